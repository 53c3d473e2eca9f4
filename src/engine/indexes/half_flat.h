// The FLAT search over FLOAT16_VECTOR / BFLOAT16_VECTOR rows: every allowed
// row is scored against the query with the 16-bit kernels (kernels/half.h)
// straight from the segment's storage (2 bytes per dimension), and the best
// k are kept. It is the FLAT index of those fields: segments hold no
// separate index object for it.
#ifndef COVE_SRC_ENGINE_INDEXES_HALF_FLAT_H_
#define COVE_SRC_ENGINE_INDEXES_HALF_FLAT_H_

#include <cstddef>
#include <cstdint>
#include <vector>

#include "engine/indexes/vector_index.h"
#include "engine/kernels/half.h"

namespace cove::engine {

/// Row-major 16-bit rows owned elsewhere (a segment's column).
struct HalfExactView {
  const uint16_t* data = nullptr;
  size_t n = 0;
  size_t dim = 0;
  HalfType type = HalfType::kBFloat16;
  Metric metric = Metric::kL2;
  /// kCosine: 1/|x| per row (n floats; 0 for a zero row). Ignored otherwise.
  const float* inv_norm = nullptr;
};

/// The up to params.k closest allowed rows to `query` (dim values of the
/// view's type), closest first (ties: the smaller row), within
/// params.radius / params.range_filter. Scores: squared L2 (kL2), inner
/// product (kIP), cosine similarity (kCosine: the inner product times
/// `query_inv_norm` and the row's inverse norm). ef, nprobe are ignored.
std::vector<Neighbor> HalfExactSearch(const HalfExactView& view,
                                      const uint16_t* query,
                                      float query_inv_norm,
                                      const IndexSearchParams& params);

}  // namespace cove::engine

#endif  // COVE_SRC_ENGINE_INDEXES_HALF_FLAT_H_
