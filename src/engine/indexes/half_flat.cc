// The FLAT search over 16-bit rows. See half_flat.h.
//
// Unfiltered scans score blocks of rows with the batch kernel and pass each
// block through the SIMD threshold filter of the float32 FLAT scan
// (select_le): only the rows that beat the collector's current k-th best
// reach TopK, so the per-row cost is the kernel's, not the collector's.
// Filtered scans score the allowed rows one by one with the pairwise kernel.
//
// Compiler flags: none beyond the baseline.
#include "engine/indexes/half_flat.h"

#include <algorithm>
#include <limits>

#include "engine/kernels/distance_internal.h"
#include "engine/kernels/topk.h"

namespace cove::engine {
namespace {

// Rows scored per batch call (their scores stay in L1).
constexpr size_t kBlock = 1024;

}  // namespace

std::vector<Neighbor> HalfExactSearch(const HalfExactView& view,
                                      const uint16_t* query,
                                      float query_inv_norm,
                                      const IndexSearchParams& params) {
  const bool larger = LargerIsCloser(view.metric);
  const bool cosine = view.metric == Metric::kCosine;
  // Keys are "smaller is closer": the score, negated when larger is closer.
  const float sign = larger ? -1.0f : 1.0f;
  TopK top(params.k, larger);
  // radius: strictly closer than it (TopK's bound); range_filter: a key at
  // least this (L2: score >= range_filter; IP: score <= range_filter).
  if (params.radius.has_value()) top.SetBound(*params.radius);
  const float lo_key = params.range_filter.has_value()
                           ? sign * *params.range_filter
                           : -std::numeric_limits<float>::infinity();
  const size_t d = view.dim;
  const Bitset* allowed = params.allowed;
  if (allowed == nullptr) {
    const cove::internal::DistanceKernels& kern =
        cove::internal::ActiveDistanceKernels();
    alignas(64) float scores[kBlock];
    alignas(64) float keys[kBlock];
    alignas(64) uint32_t idx[kBlock];
    for (size_t r0 = 0; r0 < view.n; r0 += kBlock) {
      const size_t m = std::min(kBlock, view.n - r0);
      HalfScoreBatch(view.type, view.metric, query, view.data + r0 * d, m, d,
                     scores);
      if (cosine) {
        const float* inv = view.inv_norm + r0;
        for (size_t j = 0; j < m; ++j) {
          scores[j] *= inv[j] * query_inv_norm;
        }
      }
      const size_t hits = kern.select_le(scores, nullptr, sign, m,
                                         top.threshold_key(), idx, keys);
      for (size_t i = 0; i < hits; ++i) {
        if (keys[i] >= lo_key) {
          top.PushKey(static_cast<uint32_t>(r0 + idx[i]), keys[i]);
        }
      }
    }
    return top.Take();
  }
  const HalfDistanceFn fn = view.metric == Metric::kL2
                                ? HalfL2SqrFunction(view.type)
                                : HalfInnerProductFunction(view.type);
  allowed->ForEachSet([&](size_t r) {
    if (r >= view.n) return;
    float s = fn(query, view.data + r * d, d);
    if (cosine) s *= view.inv_norm[r] * query_inv_norm;
    const float key = sign * s;
    if (key >= lo_key) top.PushKey(static_cast<uint32_t>(r), key);
  });
  return top.Take();
}

}  // namespace cove::engine
