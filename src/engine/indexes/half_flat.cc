#include "engine/indexes/half_flat.h"

#include <algorithm>

#include "engine/kernels/topk.h"

namespace cove::engine {

std::vector<Neighbor> HalfExactSearch(const HalfExactView& view,
                                      const uint16_t* query,
                                      float query_inv_norm,
                                      const IndexSearchParams& params) {
  const bool larger = LargerIsCloser(view.metric);
  const bool cosine = view.metric == Metric::kCosine;
  TopK top(params.k, larger);
  auto in_range = [&](float s) {
    if (params.radius.has_value() &&
        (larger ? !(s > *params.radius) : !(s < *params.radius))) {
      return false;
    }
    if (params.range_filter.has_value() &&
        (larger ? !(s <= *params.range_filter)
                : !(s >= *params.range_filter))) {
      return false;
    }
    return true;
  };
  auto offer = [&](size_t r, float s) {
    if (cosine) s *= view.inv_norm[r] * query_inv_norm;
    if (in_range(s)) top.Push(static_cast<uint32_t>(r), s);
  };
  const bool plain =
      !cosine && !params.radius.has_value() && !params.range_filter.has_value();
  const Bitset* allowed = params.allowed;
  const size_t d = view.dim;
  if (allowed == nullptr) {
    // Unfiltered: blocks of rows through the batch kernel.
    constexpr size_t kBlock = 256;
    float scores[kBlock];
    for (size_t r0 = 0; r0 < view.n; r0 += kBlock) {
      const size_t m = std::min(kBlock, view.n - r0);
      HalfScoreBatch(view.type, view.metric, query, view.data + r0 * d, m, d,
                     scores);
      if (plain) {
        // No scale, no range: straight into the collector, whose first
        // test is the admission threshold.
        for (size_t j = 0; j < m; ++j) {
          top.Push(static_cast<uint32_t>(r0 + j), scores[j]);
        }
        continue;
      }
      for (size_t j = 0; j < m; ++j) offer(r0 + j, scores[j]);
    }
    return top.Take();
  }
  const HalfDistanceFn fn = view.metric == Metric::kL2
                                ? HalfL2SqrFunction(view.type)
                                : HalfInnerProductFunction(view.type);
  allowed->ForEachSet([&](size_t r) {
    if (r >= view.n) return;
    offer(r, fn(query, view.data + r * d, d));
  });
  return top.Take();
}

}  // namespace cove::engine
