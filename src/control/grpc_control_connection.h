// The gRPC backend of cove::ControlConnection: one attempt per call over a
// channel to a cove.control.v1 server (cove-cloud or a real control plane).
#ifndef COVE_SRC_CONTROL_GRPC_CONTROL_CONNECTION_H_
#define COVE_SRC_CONTROL_GRPC_CONTROL_CONNECTION_H_

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "cove/control_connection.h"

namespace grpc {
class Channel;
}  // namespace grpc

namespace cove::internal {

/// Where a control-plane endpoint points.
struct ControlEndpoint {
  std::string host;
  int port = 0;
  bool tls = false;
  /// "host:port" for gRPC (IPv6 hosts bracketed).
  std::string target() const;
};

/// Parses "http://host[:port]" (default 80) and "https://host[:port]"
/// (default 443); a trailing "/" is allowed. InvalidArgument otherwise.
absl::StatusOr<ControlEndpoint> ParseControlEndpoint(
    const std::string& endpoint);

/// Builds the channel for options.endpoint (TLS with the system roots or
/// the given CA) and the connection over it. InvalidArgument for a bad
/// endpoint; NotFound for an unreadable CA file.
absl::StatusOr<std::shared_ptr<ControlConnection>> MakeGrpcControlConnection(
    const ControlOptions& options);

/// The connection over an existing channel (tests).
std::shared_ptr<ControlConnection> MakeGrpcControlConnection(
    std::shared_ptr<grpc::Channel> channel, std::string api_key);

}  // namespace cove::internal

#endif  // COVE_SRC_CONTROL_GRPC_CONTROL_CONNECTION_H_
