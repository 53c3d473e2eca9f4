// The narrow interface between the control-plane core and the transport of
// agent mode (the AgentGateway gRPC stream, grpc_agent_gateway.h): the
// transport registers each agent's stream with the core (AgentPort) and the
// core sends commands through it (AgentStream). Neither sees the other's
// internals.
#ifndef COVE_SRC_CLOUD_AGENT_STREAM_H_
#define COVE_SRC_CLOUD_AGENT_STREAM_H_

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "cove/control/v1/agent.pb.h"

namespace cove::cloud {

/// One agent's connection as the core sees it.
///
/// Thread safety: Send and End may be called from any thread, with the
/// core's mutex held: they never block on the network.
class AgentStream {
 public:
  virtual ~AgentStream();
  /// Queues a message to the agent (dropped once the stream ended).
  virtual void Send(::cove::control::v1::ControlMessage message) = 0;
  /// Ends the stream (the agent reconnects, or is gone for good).
  virtual void End() = 0;
};

/// What the core offers the agent transport.
///
/// Thread safety: every method may be called from any thread.
class AgentPort {
 public:
  virtual ~AgentPort();
  /// Checks the hello (agent token or credential) and makes `stream` the
  /// environment's agent; the welcome to send. UNAUTHENTICATED,
  /// NOT_FOUND, INVALID_ARGUMENT, FAILED_PRECONDITION; UNAVAILABLE while
  /// the control plane stops.
  virtual absl::StatusOr<::cove::control::v1::AgentWelcome> AgentConnect(
      const ::cove::control::v1::AgentHello& hello,
      std::shared_ptr<AgentStream> stream, const std::string& peer) = 0;
  /// One message (heartbeat, command result, refusals) of a registered
  /// stream; ignored for a stream that is not (or no longer) registered.
  virtual void AgentReceive(
      const AgentStream* stream,
      const ::cove::control::v1::AgentMessage& message) = 0;
  /// The stream ended (either side): commands in flight wait for the
  /// agent's return.
  virtual void AgentDisconnect(const AgentStream* stream) = 0;
};

/// The secret name under which an environment's agent credential is stored.
std::string AgentCredentialSecretName(const std::string& environment);

}  // namespace cove::cloud

#endif  // COVE_SRC_CLOUD_AGENT_STREAM_H_
