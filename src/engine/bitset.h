// A fixed-size bitset over row offsets of a segment: the "allowed rows" of a
// filtered search, tombstones, and filter results.
#ifndef COVE_SRC_ENGINE_BITSET_H_
#define COVE_SRC_ENGINE_BITSET_H_

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <vector>

namespace cove::engine {

/// Bits indexed by row offset. Not thread-safe for writes; concurrent reads
/// are fine.
class Bitset {
 public:
  Bitset() = default;
  explicit Bitset(size_t size, bool value = false)
      : size_(size), words_((size + 63) / 64, value ? ~uint64_t{0} : 0) {
    ClearTail();
  }

  size_t size() const { return size_; }
  bool Test(size_t i) const { return (words_[i >> 6] >> (i & 63)) & 1; }
  void Set(size_t i) { words_[i >> 6] |= uint64_t{1} << (i & 63); }
  void Reset(size_t i) { words_[i >> 6] &= ~(uint64_t{1} << (i & 63)); }
  void Assign(size_t i, bool v) { v ? Set(i) : Reset(i); }

  /// Grows (new bits take `value`) or shrinks.
  void Resize(size_t size, bool value = false) {
    size_t old = size_;
    words_.resize((size + 63) / 64, value ? ~uint64_t{0} : 0);
    size_ = size;
    if (size > old) {
      for (size_t i = old; i < size && (i & 63) != 0; ++i) Assign(i, value);
    }
    ClearTail();
  }

  /// Number of set bits.
  size_t Count() const {
    size_t n = 0;
    for (uint64_t w : words_) n += static_cast<size_t>(__builtin_popcountll(w));
    return n;
  }

  /// Number of set bits among the first min(n, size()) positions.
  size_t CountBelow(size_t n) const {
    const size_t limit = n < size_ ? n : size_;
    const size_t full = limit / 64;
    size_t count = 0;
    for (size_t i = 0; i < full; ++i) {
      count += static_cast<size_t>(__builtin_popcountll(words_[i]));
    }
    if (limit % 64 != 0) {
      const uint64_t mask = (uint64_t{1} << (limit % 64)) - 1;
      count += static_cast<size_t>(__builtin_popcountll(words_[full] & mask));
    }
    return count;
  }

  /// this &= other (sizes must match).
  void And(const Bitset& other) {
    for (size_t i = 0; i < words_.size(); ++i) words_[i] &= other.words_[i];
  }
  /// this &= ~other (sizes must match).
  void AndNot(const Bitset& other) {
    for (size_t i = 0; i < words_.size(); ++i) words_[i] &= ~other.words_[i];
  }
  /// this |= other (sizes must match).
  void Or(const Bitset& other) {
    for (size_t i = 0; i < words_.size(); ++i) words_[i] |= other.words_[i];
  }

  /// Calls f(row) for every set bit, in increasing order.
  template <typename F>
  void ForEachSet(F&& f) const {
    for (size_t w = 0; w < words_.size(); ++w) {
      uint64_t bits = words_[w];
      while (bits != 0) {
        int b = __builtin_ctzll(bits);
        f(w * 64 + static_cast<size_t>(b));
        bits &= bits - 1;
      }
    }
  }

  const std::vector<uint64_t>& words() const { return words_; }

  /// Clears every bit i for which keep(i) is false (keep returns 0 or 1 and
  /// is called for every i < size(), 64 at a time without branches).
  template <typename F>
  void AndWith(F&& keep) {
    for (size_t w = 0; w < words_.size(); ++w) {
      const size_t base = w * 64;
      const size_t end = std::min(size_, base + 64);
      uint64_t m = 0;
      for (size_t i = base; i < end; ++i) {
        m |= static_cast<uint64_t>(keep(i)) << (i - base);
      }
      words_[w] &= m;
    }
  }

 private:
  void ClearTail() {
    if ((size_ & 63) != 0 && !words_.empty()) {
      words_.back() &= (uint64_t{1} << (size_ & 63)) - 1;
    }
  }

  size_t size_ = 0;
  std::vector<uint64_t> words_;
};

}  // namespace cove::engine

#endif  // COVE_SRC_ENGINE_BITSET_H_
