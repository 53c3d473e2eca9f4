// Milvus hybrid timestamps: the physical time in Unix milliseconds shifted
// left by 18 bits, plus an 18-bit logical counter (Milvus' TSO format). The
// server hands them out (AllocTimestamp, flush and session timestamps) and
// reads them back (guarantee_timestamp, GetIndexState's timestamp).
#ifndef COVE_SRC_MILVUS_TIMESTAMP_H_
#define COVE_SRC_MILVUS_TIMESTAMP_H_

#include <atomic>
#include <cstdint>
#include <functional>

namespace cove::internal {

/// Bits of the logical part.
inline constexpr int kLogicalBits = 18;

/// (physical ms, logical) -> hybrid timestamp.
constexpr uint64_t ComposeHybridTs(int64_t physical_ms, uint64_t logical) {
  return (static_cast<uint64_t>(physical_ms) << kLogicalBits) |
         (logical & ((uint64_t{1} << kLogicalBits) - 1));
}
/// The physical part of a hybrid timestamp, Unix milliseconds.
constexpr int64_t HybridTsPhysicalMs(uint64_t ts) {
  return static_cast<int64_t>(ts >> kLogicalBits);
}

/// Hands out strictly increasing hybrid timestamps: the physical part
/// follows the clock (never going back when the clock does), the logical
/// part counts calls within one millisecond.
///
/// Thread safety: Next() may be called from many threads.
class HybridClock {
 public:
  /// `now_ms` gives Unix milliseconds (tests inject a clock).
  explicit HybridClock(std::function<int64_t()> now_ms);
  HybridClock();

  /// A timestamp greater than every one returned before.
  uint64_t Next();

 private:
  const std::function<int64_t()> now_ms_;
  std::atomic<uint64_t> last_{0};
};

}  // namespace cove::internal

#endif  // COVE_SRC_MILVUS_TIMESTAMP_H_
