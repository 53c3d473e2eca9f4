// The gRPC backend of cove::ControlConnection, the control plane's
// counterpart of the data plane's RemoteConnection: every RPC over a
// ControlStub (control_stub.h), with a request id for every create and
// long-running verb that has none, retries of the calls safe to repeat
// (common/retry.h), the conversions to and from the protos
// (control_convert.h), and the polling of operations (polling.h).
#ifndef COVE_SRC_CONTROL_CONTROL_CONNECTION_IMPL_H_
#define COVE_SRC_CONTROL_CONTROL_CONNECTION_IMPL_H_

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "common/retry.h"
#include "control/control_stub.h"
#include "cove/control_connection.h"

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

/// A new random request id ("xxxxxxxx-xxxx-4xxx-yxxx-xxxxxxxxxxxx").
std::string NewRequestId();

/// The connection over `stub` (decorated already, or a fake in tests) with
/// the timeouts, retries and polling of `options`, on `clock`.
std::shared_ptr<ControlConnection> MakeControlConnection(
    std::shared_ptr<ControlStub> stub, ControlOptions options, Clock clock);

/// The connection over an existing channel: the gRPC stub decorated with
/// options.api_key and options.log_rpcs, on the real clock.
std::shared_ptr<ControlConnection> MakeControlConnection(
    std::shared_ptr<grpc::Channel> channel, ControlOptions options);

/// Builds the channel for options.endpoint (TLS with the system roots or the
/// given CA) and the connection over it. InvalidArgument for a bad
/// endpoint; NotFound for an unreadable CA file.
absl::StatusOr<std::shared_ptr<ControlConnection>> MakeControlConnection(
    const ControlOptions& options);

}  // namespace cove::internal

#endif  // COVE_SRC_CONTROL_CONTROL_CONNECTION_IMPL_H_
