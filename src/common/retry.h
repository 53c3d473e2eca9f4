// Retries with exponential backoff and jitter, and the clock they run on:
// one policy for the data-plane (remote) and the control-plane clients.
#ifndef COVE_SRC_COMMON_RETRY_H_
#define COVE_SRC_COMMON_RETRY_H_

#include <algorithm>
#include <chrono>
#include <functional>
#include <type_traits>

#include "absl/status/status.h"
#include "common/status_macros.h"

namespace cove::internal {

/// Time and randomness of retry loops and polling, injected so that tests
/// never sleep for real.
struct Clock {
  std::function<std::chrono::steady_clock::time_point()> now;
  std::function<void(std::chrono::milliseconds)> sleep;
  /// Uniform in [0, 1), for the backoff's jitter.
  std::function<double()> random;

  /// The steady clock, std::this_thread::sleep_for, and a randomly seeded
  /// generator (thread-safe).
  static Clock Real();
};

/// How a call is retried.
struct RetryPolicy {
  /// Attempts including the first. 0: no limit, only the deadline ends the
  /// retries (a time budget, as waiting for an operation uses).
  int max_attempts = 5;
  std::chrono::milliseconds initial_backoff{100};
  /// The cap of one backoff.
  std::chrono::milliseconds max_backoff{5000};
};

/// The delay before retry number `retry` (0 for the first retry):
/// min(max_backoff, initial_backoff * 2^retry), scaled by a jitter factor
/// 0.5 + unit_random / 2 ("equal jitter"), unit_random in [0, 1).
std::chrono::milliseconds BackoffDelay(const RetryPolicy& policy, int retry,
                                       double unit_random);

/// True for errors a retry may cure: Unavailable (the server is down,
/// restarting or not ready).
bool IsRetryable(const absl::Status& status);

/// Runs `attempt(remaining)`, one RPC given the time left until `deadline`
/// (at least 1 ms), returning an absl::Status or absl::StatusOr. When
/// `idempotent`, runs it again after a backoff (BackoffDelay) each time it
/// fails with a retryable error, while attempts remain and the backoff ends
/// before the deadline. Returns the last result.
template <typename F>
auto RetryLoop(const RetryPolicy& policy, const Clock& clock,
               std::chrono::steady_clock::time_point deadline, bool idempotent,
               F&& attempt)
    -> std::invoke_result_t<F&, std::chrono::milliseconds> {
  using std::chrono::milliseconds;
  for (int retry = 0;; ++retry) {
    const milliseconds remaining = std::max(
        milliseconds(1),
        std::chrono::duration_cast<milliseconds>(deadline - clock.now()));
    auto result = attempt(remaining);
    const absl::Status& status = ToStatus(result);
    if (status.ok() || !idempotent || !IsRetryable(status)) return result;
    if (policy.max_attempts > 0 && retry + 1 >= policy.max_attempts) {
      return result;
    }
    const milliseconds delay = BackoffDelay(policy, retry, clock.random());
    if (clock.now() + delay >= deadline) return result;
    clock.sleep(delay);
  }
}

}  // namespace cove::internal

#endif  // COVE_SRC_COMMON_RETRY_H_
