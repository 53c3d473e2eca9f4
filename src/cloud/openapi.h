// The OpenAPI 3.0 document of the REST/JSON API (rest_gateway.h), generated
// at run time from the route table and the protobuf descriptors of the
// request and response messages: one path item per route template (path
// parameters from its variables, query parameters from the request's
// scalar fields on GET and DELETE, the request message as the body of POST
// and PATCH, Idempotency-Key and If-Match headers where the request takes
// a request id or an etag), one schema per message (JSON names and types
// of the proto3 JSON mapping) and per enum, the error schema, and the
// bearer security scheme. Served at GET /v1/openapi.json without a key.
#ifndef COVE_SRC_CLOUD_OPENAPI_H_
#define COVE_SRC_CLOUD_OPENAPI_H_

#include <string>

namespace cove::cloud {

/// The document as JSON (deterministic: same routes and protos, same
/// bytes).
std::string OpenApiDocument();

}  // namespace cove::cloud

#endif  // COVE_SRC_CLOUD_OPENAPI_H_
