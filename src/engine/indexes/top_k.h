// Bounded top-k over candidates with a `dist` member (smaller is nearer),
// shared by the index searches: a max-heap on distance holds the k nearest.
#ifndef COVE_SRC_ENGINE_INDEXES_TOP_K_H_
#define COVE_SRC_ENGINE_INDEXES_TOP_K_H_

#include <algorithm>
#include <cstddef>
#include <vector>

namespace cove::engine {

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

}  // namespace cove::engine

#endif  // COVE_SRC_ENGINE_INDEXES_TOP_K_H_
