// The AgentGateway gRPC service: the transport of agent mode. cove-agent
// opens one bidirectional stream (the control plane never dials out); this
// service reads the agent's messages and hands them to the core
// (AgentPort), and writes the core's commands from an outbox on a thread of
// its own, so that the core queues commands under its mutex without ever
// waiting on the network.
#ifndef COVE_SRC_CLOUD_GRPC_AGENT_GATEWAY_H_
#define COVE_SRC_CLOUD_GRPC_AGENT_GATEWAY_H_

#include <grpcpp/grpcpp.h>

#include "cloud/agent_stream.h"
#include "cove/control/v1/agent.grpc.pb.h"

namespace cove::cloud {

class AgentGatewayService final
    : public ::cove::control::v1::AgentGateway::Service {
 public:
  explicit AgentGatewayService(AgentPort* core) : core_(core) {}

  /// One agent's stream: hello, welcome, then heartbeats and results in,
  /// commands out, until either side ends it.
  grpc::Status Connect(
      grpc::ServerContext* ctx,
      grpc::ServerReaderWriter<::cove::control::v1::ControlMessage,
                               ::cove::control::v1::AgentMessage>* stream)
      override;

 private:
  AgentPort* const core_;
};

}  // namespace cove::cloud

#endif  // COVE_SRC_CLOUD_GRPC_AGENT_GATEWAY_H_
