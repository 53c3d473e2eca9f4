// gRPC transport: versions and upgrades (issue 19), forwarded to CloudCore
// (grpc_service.h).
#include "cloud/grpc_service.h"

namespace cove::cloud {

#define COVE_FORWARD(Name, Request, Response) \
  COVE_GRPC_FORWARD_RPC(ControlPlaneService, Name, Request, Response)
COVE_RPCS_UPGRADES(COVE_FORWARD)
#undef COVE_FORWARD

}  // namespace cove::cloud
