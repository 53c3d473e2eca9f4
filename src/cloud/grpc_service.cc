// GrpcRequestContext and ToGrpcStatus: what every gRPC method of the
// control plane shares (grpc_service.h).
#include "cloud/grpc_service.h"

#include "cloud/request_limits.h"

namespace cove::cloud {

RequestContext GrpcRequestContext(grpc::ServerContext* ctx,
                                  const google::protobuf::Message& request) {
  RequestContext out;
  const auto& md = ctx->client_metadata();
  if (auto it = md.find("authorization"); it != md.end()) {
    out.authorization.assign(it->second.data(), it->second.size());
  }
  out.peer = ctx->peer();
  out.refusal = CheckRequestLimits(request);
  out.cancelled = [ctx] { return ctx->IsCancelled(); };
  return out;
}

grpc::Status ToGrpcStatus(const absl::Status& s) {
  if (s.ok()) return grpc::Status::OK;
  return grpc::Status(static_cast<grpc::StatusCode>(s.code()),
                      std::string(s.message()));
}

}  // namespace cove::cloud
