// The REST/JSON gateway: every RPC of the cove.control.v1 ControlPlane and
// Emulator services (control_rpcs.h) as JSON over HTTP on cove-cloud's HTTP
// port (http_server.h), over the same CloudCore as the gRPC transport: the
// same API keys (Authorization: Bearer <secret>), RBAC, audit, request ids
// and etags. docs/open-api.md is the user's guide; the route table below is
// the contract (the OpenAPI document of openapi.h is generated from it).
//
// A route maps an HTTP method and a path template to one RPC:
//   - the template's variables ({name=organizations/*/projects/*}) fill
//     the request field they name ("name", "parent", "cluster.name" of an
//     Update); a body or query parameter naming another value is
//     INVALID_ARGUMENT;
//   - POST and PATCH bodies are the request message in the proto3 JSON
//     mapping (lowerCamelCase names; an empty body is {}); GET and DELETE
//     take no body;
//   - query parameters set top-level request fields by their JSON or proto
//     name, typed through the JSON mapping (?pageSize=10&filter=state%3D
//     RUNNING, ?clusterId=c1); repeated fields by repeating the parameter;
//   - unknown fields, in the body or as query parameters, are
//     INVALID_ARGUMENT naming the field (never ignored);
//   - headers: `Idempotency-Key` is the request's request_id, `If-Match`
//     its etag (the resource's etag for an Update), each INVALID_ARGUMENT
//     when the request disagrees or has no such field; the response's
//     `ETag` is the returned resource's etag (already a quoted entity tag,
//     "\"03f6021a5dfc67f7\"");
//   - the response is the RPC's response message as JSON (HTTP 200);
//     an error is {"error":{"code":<http>,"status":"<CODE>","message":
//     "..."}} with the canonical HTTP status (HttpStatusOf).
#ifndef COVE_SRC_CLOUD_REST_GATEWAY_H_
#define COVE_SRC_CLOUD_REST_GATEWAY_H_

#include <functional>
#include <map>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "cloud/http_server.h"
#include "cloud/request_context.h"
#include "google/protobuf/descriptor.h"
#include "google/protobuf/message.h"

namespace cove::cloud {

class CloudCore;

/// One route of the REST API.
struct RestRoute {
  const char* rpc;     // "SuspendCluster"
  const char* method;  // "POST"
  /// "/v1/{name=organizations/*/projects/*/clusters/*}:suspend": literal
  /// segments, and variables {field=pattern} whose pattern's `*` matches
  /// one segment ([^/:]+).
  const char* path;
};

/// The route table (docs/open-api.md lists the same). Every RPC of
/// RestRpcs() has at least one route (tests/cloud/rest_test.cc checks).
const std::vector<RestRoute>& RestRoutes();

/// One RPC the gateway can call.
struct RestRpc {
  std::string name;     // "CreateCluster"
  std::string service;  // "ControlPlane" or "Emulator"
  const google::protobuf::Descriptor* request = nullptr;
  const google::protobuf::Descriptor* response = nullptr;
  std::function<absl::Status(CloudCore*, const RequestContext&,
                             const google::protobuf::Message&,
                             google::protobuf::Message*)>
      call;
};

/// Every RPC of COVE_CONTROL_PLANE_RPCS and COVE_EMULATOR_RPCS, by name.
const std::map<std::string, RestRpc>& RestRpcs();

/// A path template as a regex (one capture group per variable) and its
/// variables' field paths, in order.
struct CompiledPath {
  std::string regex;
  std::vector<std::string> fields;  // "name", "cluster.name"
  /// The OpenAPI form: "/v1/organizations/{organization}/projects/
  /// {project}" and the parameter names in order.
  std::string openapi_path;
  std::vector<std::string> openapi_params;
};
CompiledPath CompilePath(const std::string& path_template);

/// The RequestContext of an HTTP request: the Authorization header, the
/// peer, Idempotency-Key as request_id, If-Match as etag (a W/ prefix
/// removed; the core's etags are quoted entity tags). The console's own routes
/// use it as well.
RequestContext HttpRequestContext(const HttpRequest& request);

/// Registers every route of RestRoutes(), GET /v1/openapi.json (openapi.h)
/// and a /v1 fallback (404 NOT_FOUND naming the path, for any method) on
/// `http`, before http->Start(). `core` and `http` must outlive the
/// serving.
void RegisterRestGateway(CloudCore* core, HttpServer* http);

}  // namespace cove::cloud

#endif  // COVE_SRC_CLOUD_REST_GATEWAY_H_
