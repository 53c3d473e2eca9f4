// A bounded top-k collector for exact and approximate scans: keeps the k best
// (row, score) pairs of a stream, for "smaller is closer" (L2) or "larger is
// closer" (IP, cosine) scores.
//
// It is a reservoir rather than a heap: accepted candidates are appended to a
// buffer of 2k entries; when the buffer is full, a selection (nth_element)
// keeps the k best and the k-th best becomes the admission threshold. Each
// accepted push is O(1) amortized (a heap costs O(log k)), and the threshold
// is a plain float that scan loops can test (or hand to a SIMD filter) before
// calling Push().
//
// Ties are broken by row: of two equal scores the smaller row is closer, so
// the result is deterministic whatever the push order.
#ifndef COVE_SRC_ENGINE_KERNELS_TOPK_H_
#define COVE_SRC_ENGINE_KERNELS_TOPK_H_

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <vector>

#include "engine/indexes/vector_index.h"

namespace cove::engine {

/// Keeps the k best (row, score) pairs pushed into it.
///
/// Thread safety: not thread-safe; use one collector per thread and query.
class TopK {
 public:
  /// Collects the `k` closest; `larger_is_closer` selects the order
  /// (LargerIsCloser(metric)).
  TopK(size_t k, bool larger_is_closer)
      : k_(std::min(k, std::numeric_limits<size_t>::max() / 4)),
        sign_(larger_is_closer ? -1.0f : 1.0f) {
    buf_.reserve(std::min(k_, kMaxReserve / 2) * 2);
  }

  /// Admits only scores strictly closer than `bound` from now on (range
  /// search: the radius). Call before the first Push().
  void SetBound(float bound) {
    thr_key_ = sign_ * bound;
    thr_row_ = 0;  // strict: a score equal to the bound never enters
  }

  /// Number of results requested.
  size_t k() const { return k_; }
  /// Candidates held (up to 2k before Take()).
  size_t size() const { return buf_.size(); }

  /// The score a candidate must reach to have a chance to enter: scores
  /// farther than this are rejected by Push(). Scan loops may test it first.
  /// It only ever moves closer.
  float threshold() const { return sign_ * thr_key_; }

  /// The threshold in "smaller is closer" form (the score, negated when
  /// larger is closer): a candidate can enter only if sign * score <= this.
  float threshold_key() const { return thr_key_; }

  /// Offers one candidate. Returns true when it was kept (for now).
  bool Push(uint32_t row, float score) { return PushKey(row, sign_ * score); }

  /// Offers a candidate given in "smaller is closer" form (see
  /// threshold_key()).
  bool PushKey(uint32_t row, float key) {
    if (!(key < thr_key_ || (key == thr_key_ && row < thr_row_))) return false;
    if (k_ == 0) return false;
    buf_.push_back(Entry{key, row});
    if (buf_.size() >= 2 * k_) Shrink();
    return true;
  }

  /// The up to k best, closest first, as Neighbor{row, score}. Leaves the
  /// collector empty (with its threshold).
  std::vector<Neighbor> Take() {
    std::sort(buf_.begin(), buf_.end(), Less);
    if (buf_.size() > k_) buf_.resize(k_);
    std::vector<Neighbor> out;
    out.reserve(buf_.size());
    for (const Entry& e : buf_) out.push_back(Neighbor{e.row, sign_ * e.key});
    buf_.clear();
    return out;
  }

 private:
  static constexpr size_t kMaxReserve = size_t{1} << 16;

  struct Entry {
    float key;  // smaller is closer
    uint32_t row;
  };

  static bool Less(const Entry& a, const Entry& b) {
    return a.key < b.key || (a.key == b.key && a.row < b.row);
  }

  // Keeps the k best; the k-th best becomes the admission threshold.
  void Shrink() {
    std::nth_element(buf_.begin(), buf_.begin() + (k_ - 1), buf_.end(), Less);
    const Entry& kth = buf_[k_ - 1];
    thr_key_ = kth.key;
    thr_row_ = kth.row;
    buf_.resize(k_);
  }

  size_t k_;
  float sign_;
  float thr_key_ = std::numeric_limits<float>::infinity();
  uint32_t thr_row_ = std::numeric_limits<uint32_t>::max();
  std::vector<Entry> buf_;
};

}  // namespace cove::engine

#endif  // COVE_SRC_ENGINE_KERNELS_TOPK_H_
