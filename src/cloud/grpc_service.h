// The gRPC transport of the control plane: the cove.control.v1 ControlPlane
// and Emulator services as thin adapters over CloudCore. Each method turns
// the call's ServerContext into a RequestContext (authorization metadata,
// peer, the request's size and charset check, cancellation), calls the core
// method of the same name and converts the absl::Status back. The methods
// are defined by resource group in grpc_organizations.cc, grpc_projects.cc,
// grpc_clusters.cc, grpc_access.cc, grpc_operations.cc, grpc_backups.cc and
// grpc_emulator.cc.
#ifndef COVE_SRC_CLOUD_GRPC_SERVICE_H_
#define COVE_SRC_CLOUD_GRPC_SERVICE_H_

#include <grpcpp/grpcpp.h>

#include "cloud/cloud_core.h"
#include "cloud/control_rpcs.h"
#include "cloud/request_context.h"
#include "cove/control/v1/control.grpc.pb.h"
#include "cove/control/v1/emulator.grpc.pb.h"

namespace cove::cloud {

/// The RequestContext of a gRPC call: `authorization` metadata, the peer,
/// the limits check of `request` (request_limits.h) and the call's
/// cancellation.
RequestContext GrpcRequestContext(grpc::ServerContext* ctx,
                                  const google::protobuf::Message& request);

/// The gRPC status of an absl::Status (same code and message).
grpc::Status ToGrpcStatus(const absl::Status& status);

#define COVE_GRPC_DECLARE_RPC(Name, Request, Response)            \
  grpc::Status Name(grpc::ServerContext* ctx, const Request* req, \
                    Response* resp) override;

/// The ControlPlane service.
class ControlPlaneService final : public v1::ControlPlane::Service {
 public:
  explicit ControlPlaneService(CloudCore* core) : core_(core) {}
  COVE_CONTROL_PLANE_RPCS(COVE_GRPC_DECLARE_RPC)

 private:
  CloudCore* const core_;
};

/// The Emulator service (test knobs).
class EmulatorService final : public v1::Emulator::Service {
 public:
  explicit EmulatorService(CloudCore* core) : core_(core) {}
  COVE_EMULATOR_RPCS(COVE_GRPC_DECLARE_RPC)

 private:
  CloudCore* const core_;
};

#undef COVE_GRPC_DECLARE_RPC

// Defines Service::Name as a forward to CloudCore::Name.
#define COVE_GRPC_FORWARD_RPC(Service, Name, Request, Response)            \
  grpc::Status Service::Name(grpc::ServerContext* ctx, const Request* req, \
                             Response* resp) {                             \
    return ToGrpcStatus(                                                   \
        core_->Name(GrpcRequestContext(ctx, *req), *req, resp));           \
  }

}  // namespace cove::cloud

#endif  // COVE_SRC_CLOUD_GRPC_SERVICE_H_
