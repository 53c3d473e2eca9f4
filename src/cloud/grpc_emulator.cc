// gRPC transport: the Emulator service (test knobs), forwarded to CloudCore
// (grpc_service.h).
#include "cloud/grpc_service.h"

namespace cove::cloud {

#define COVE_FORWARD(Name, Request, Response) \
  COVE_GRPC_FORWARD_RPC(EmulatorService, Name, Request, Response)
COVE_EMULATOR_RPCS(COVE_FORWARD)
#undef COVE_FORWARD

}  // namespace cove::cloud
