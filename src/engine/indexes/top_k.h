// Bounded top-k over candidates with a `dist` member (smaller is nearer),
// shared by the index searches: a max-heap on distance holds the k nearest.
#ifndef COVE_SRC_ENGINE_INDEXES_TOP_K_H_
#define COVE_SRC_ENGINE_INDEXES_TOP_K_H_

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <vector>

#include "engine/bitset.h"

namespace cove::engine {

/// A distance above every real one (an empty bound, an unset radius).
inline constexpr float kInf = std::numeric_limits<float>::infinity();

/// Heap comparator: the largest distance at the front.
struct FartherOnTop {
  template <typename C>
  bool operator()(const C& a, const C& b) const {
    return a.dist < b.dist;
  }
};

/// Heap comparator: the smallest distance at the front.
struct CloserOnTop {
  template <typename C>
  bool operator()(const C& a, const C& b) const {
    return a.dist > b.dist;
  }
};

/// Keeps `c` in `heap` (a FartherOnTop heap of at most `k` candidates) when
/// the heap is not full or `c` is nearer than its farthest.
template <typename C>
void KeepNearest(std::vector<C>* heap, size_t k, const C& c) {
  if (heap->size() < k) {
    heap->push_back(c);
    std::push_heap(heap->begin(), heap->end(), FartherOnTop());
  } else if (c.dist < heap->front().dist) {
    std::pop_heap(heap->begin(), heap->end(), FartherOnTop());
    heap->back() = c;
    std::push_heap(heap->begin(), heap->end(), FartherOnTop());
  }
}

/// Sort order of results: nearer first, ties by id.
struct ByDistThenId {
  template <typename C>
  bool operator()(const C& a, const C& b) const {
    return a.dist < b.dist || (a.dist == b.dist && a.id < b.id);
  }
};

/// Inserts `c` into `pool` (sorted nearest first, at most `cap` entries)
/// when it is not full or `c` is nearer than its last; returns the position
/// taken, or SIZE_MAX when `c` was not kept.
template <typename C>
size_t InsertBounded(std::vector<C>* pool, const C& c, size_t cap) {
  if (pool->size() >= cap && !(c.dist < pool->back().dist)) return SIZE_MAX;
  auto at =
      std::upper_bound(pool->begin(), pool->end(), c,
                       [](const C& a, const C& b) { return a.dist < b.dist; });
  const size_t pos = static_cast<size_t>(at - pool->begin());
  pool->insert(at, c);
  if (pool->size() > cap) pool->pop_back();
  return pos;
}

/// The k nearest of rows [0, n) (only those set in `allowed` when it is not
/// null) whose distance `dist(row)` lies in [lo, hi), nearest first: the
/// exact scan behind the graph indexes' fallbacks.
template <typename C, typename Dist>
std::vector<C> ExactNearest(size_t n, const Bitset* allowed, size_t k, float lo,
                            float hi, const Dist& dist) {
  std::vector<C> heap;
  heap.reserve(k + 1);
  auto consider = [&](size_t row) {
    const float d = dist(static_cast<uint32_t>(row));
    if (!(d >= lo && d < hi)) return;
    KeepNearest(&heap, k, C{d, static_cast<uint32_t>(row)});
  };
  if (allowed == nullptr) {
    for (size_t r = 0; r < n; ++r) consider(r);
  } else {
    allowed->ForEachSet([&](size_t r) {
      if (r < n) consider(r);
    });
  }
  std::sort(heap.begin(), heap.end(), ByDistThenId());
  return heap;
}

}  // namespace cove::engine

#endif  // COVE_SRC_ENGINE_INDEXES_TOP_K_H_
