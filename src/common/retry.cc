// Retries and their clock (see retry.h).
#include "common/retry.h"

#include <cmath>
#include <cstdint>
#include <memory>
#include <random>
#include <thread>

#include "absl/synchronization/mutex.h"

namespace cove::internal {

Clock Clock::Real() {
  Clock c;
  c.now = [] { return std::chrono::steady_clock::now(); };
  c.sleep = [](std::chrono::milliseconds d) { std::this_thread::sleep_for(d); };
  auto rng = std::make_shared<std::mt19937_64>(std::random_device{}());
  auto mu = std::make_shared<absl::Mutex>();
  c.random = [rng, mu] {
    absl::MutexLock lock(mu.get());
    return std::uniform_real_distribution<double>(0.0, 1.0)(*rng);
  };
  return c;
}

std::chrono::milliseconds BackoffDelay(const RetryPolicy& policy, int retry,
                                       double unit_random) {
  double base = static_cast<double>(policy.initial_backoff.count()) *
                std::pow(2.0, std::min(retry, 30));
  base = std::min(base, static_cast<double>(policy.max_backoff.count()));
  double jitter = 0.5 + std::clamp(unit_random, 0.0, 1.0) / 2;
  return std::chrono::milliseconds(static_cast<int64_t>(base * jitter));
}

bool IsRetryable(const absl::Status& status) {
  return absl::IsUnavailable(status);
}

}  // namespace cove::internal
