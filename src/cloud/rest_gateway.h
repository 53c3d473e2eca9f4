// The REST/JSON gateway: every RPC of the cove.control.v1 ControlPlane and
// Emulator services (control_rpcs.h) as JSON over HTTP on cove-cloud's HTTP
// port (http_server.h), over the same CloudCore as the gRPC transport: same
// API keys (Authorization: Bearer), RBAC, audit, request ids
// (Idempotency-Key) and etags (If-Match, ETag). Paths follow Google's AIP
// conventions over the resource names; docs/open-api.md lists them.
#ifndef COVE_SRC_CLOUD_REST_GATEWAY_H_
#define COVE_SRC_CLOUD_REST_GATEWAY_H_

#include <string>
#include <vector>

#include "cloud/http_server.h"

namespace cove::cloud {

class CloudCore;

/// Registers the REST routes, GET /v1/openapi.json, and a /v1 fallback
/// (404 NOT_FOUND naming the path) on `http`. `core` and `http` must
/// outlive the serving.
void RegisterRestGateway(CloudCore* core, HttpServer* http);

}  // namespace cove::cloud

#endif  // COVE_SRC_CLOUD_REST_GATEWAY_H_
