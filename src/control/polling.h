// Polling of long-running operations: WaitOperation again and again until
// the operation is done or the wait's deadline passes, retrying Unavailable
// (a control-plane restart) until that deadline. Used by the gRPC
// connection's AwaitOperation and, over a connection that does not poll
// itself (a mock), by ControlOperation::Wait.
#ifndef COVE_SRC_CONTROL_POLLING_H_
#define COVE_SRC_CONTROL_POLLING_H_

#include <functional>

#include "absl/status/statusor.h"
#include "common/retry.h"
#include "cove/control_types.h"

namespace cove::internal {

/// One WaitOperation call, one attempt: `request.timeout` is the server-side
/// wait, `call.timeout` the deadline of the RPC.
using WaitOperationOnce = std::function<absl::StatusOr<control::Operation>(
    const control::WaitOperationRequest& request,
    const ControlCallOptions& call)>;

/// Polls `request.name` with `wait_once` until the operation is done or
/// `request.timeout` passes. Each call asks the server to wait for what is
/// left (at most 60 s) and gets that plus `call.timeout` (default
/// options.timeout) as its deadline; a server that answers early is asked
/// again after options.poll_interval at the earliest. Unavailable is retried
/// until the deadline, whatever max_attempts says, with the backoff of
/// options capped at 1 s (an attempt while the channel reconnects fails
/// without touching the network).
///
/// Returns the operation as last seen: done, or not done when the timeout
/// passed first. DeadlineExceeded when the control plane did not answer up
/// to the deadline (naming the operation and the last error); any other
/// error at once.
absl::StatusOr<control::Operation> PollOperation(
    const WaitOperationOnce& wait_once,
    const control::WaitOperationRequest& request,
    const ControlCallOptions& call, const ControlOptions& options,
    const Clock& clock);

}  // namespace cove::internal

#endif  // COVE_SRC_CONTROL_POLLING_H_
