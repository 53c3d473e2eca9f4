// Polling of long-running operations (see polling.h).
#include "control/polling.h"

#include <algorithm>
#include <chrono>
#include <optional>
#include <utility>

#include "absl/strings/str_cat.h"
#include "common/status_macros.h"

namespace cove::internal {
namespace {

using ms = std::chrono::milliseconds;

// The server's longest WaitOperation.
constexpr ms kMaxServerWait{60000};
// The longest backoff between two attempts of a wait.
constexpr ms kMaxWaitBackoff{1000};

}  // namespace

absl::StatusOr<control::Operation> PollOperation(
    const WaitOperationOnce& wait_once,
    const control::WaitOperationRequest& request,
    const ControlCallOptions& call, const ControlOptions& options,
    const Clock& clock) {
  const auto deadline = clock.now() + request.timeout;
  const ms rpc_timeout = call.timeout.value_or(options.timeout);
  // A time budget: no attempt limit, the deadline ends the retries. The
  // backoff stops growing at 1 s (or max_backoff when smaller): while the
  // channel reconnects, an attempt fails at once without touching the
  // network, and the wait goes on within a second of the channel's return.
  RetryPolicy budget;
  budget.max_attempts = 0;
  budget.initial_backoff = std::min(options.initial_backoff, kMaxWaitBackoff);
  budget.max_backoff = std::min(options.max_backoff, kMaxWaitBackoff);
  std::optional<control::Operation> last;
  for (;;) {
    auto attempt_start = clock.now();
    absl::StatusOr<control::Operation> r =
        RetryLoop(budget, clock, deadline, true, [&](ms remaining) {
          control::WaitOperationRequest one_wait;
          one_wait.name = request.name;
          one_wait.timeout = std::min(remaining, kMaxServerWait);
          ControlCallOptions one = call;
          one.timeout = one_wait.timeout + rpc_timeout;
          one.max_attempts = 1;
          attempt_start = clock.now();
          return wait_once(one_wait, one);
        });
    if (IsRetryable(r.status())) {
      // Still unreachable when no retry fits before the deadline.
      return absl::DeadlineExceededError(absl::StrCat(
          "operation ", request.name,
          ": the control plane did not answer before the deadline: ",
          r.status().message()));
    }
    COVE_ASSIGN_OR_RETURN(last, std::move(r));
    if (last->done || clock.now() >= deadline) return *std::move(last);
    // A server that answers before its wait ran out: do not spin.
    const ms elapsed =
        std::chrono::duration_cast<ms>(clock.now() - attempt_start);
    if (elapsed < options.poll_interval) {
      const ms left = std::chrono::duration_cast<ms>(deadline - clock.now());
      const ms pause = std::min(options.poll_interval - elapsed, left);
      if (pause > ms(0)) clock.sleep(pause);
    }
    if (clock.now() >= deadline) return *std::move(last);
  }
}

}  // namespace cove::internal
