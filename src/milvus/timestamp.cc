// Milvus hybrid timestamps (see timestamp.h).
#include "milvus/timestamp.h"

#include <utility>

#include "absl/time/clock.h"
#include "absl/time/time.h"

namespace cove::internal {

HybridClock::HybridClock(std::function<int64_t()> now_ms)
    : now_ms_(std::move(now_ms)) {}

HybridClock::HybridClock()
    : HybridClock([] { return absl::ToUnixMillis(absl::Now()); }) {}

uint64_t HybridClock::Next() {
  const uint64_t physical = ComposeHybridTs(now_ms_(), 0);
  uint64_t last = last_.load(std::memory_order_relaxed);
  while (true) {
    // Past the last one, and at least the clock's millisecond.
    const uint64_t next = physical > last ? physical : last + 1;
    if (last_.compare_exchange_weak(last, next, std::memory_order_relaxed)) {
      return next;
    }
  }
}

}  // namespace cove::internal
