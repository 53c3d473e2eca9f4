// Distance kernels of the embedded engine: L2, inner product and cosine on
// float32 vectors and on 8-bit scalar-quantized codes.
//
// Every kernel has a scalar reference implementation and SIMD versions; the
// level is chosen once at first use from the CPU (or forced with the
// environment variable COVE_SIMD=scalar|avx2|avx512) and can be queried.
// Functions here are thread-safe and never allocate.
#ifndef COVE_SRC_ENGINE_KERNELS_DISTANCE_H_
#define COVE_SRC_ENGINE_KERNELS_DISTANCE_H_

#include <cstddef>
#include <cstdint>
#include <string>

namespace cove::engine {

/// The similarity measure of a vector field or index.
/// L2 is the squared Euclidean distance (smaller is closer), as in Milvus.
/// IP and COSINE are similarities (larger is closer). BM25 scores a text
/// query against the term frequencies of a sparse field (larger is closer);
/// only sparse indexes use it. BINARY_VECTOR fields take the bit metrics
/// (kernels/binary.h): HAMMING and JACCARD are distances (smaller is
/// closer); SUBSTRUCTURE and SUPERSTRUCTURE keep the rows that contain the
/// query's bits or whose bits the query contains (score 0). The numbers are
/// written to logs and snapshots: never renumber.
enum class Metric {
  kL2,
  kIP,
  kCosine,
  kBM25,
  kHamming,
  kJaccard,
  kSubstructure,
  kSuperstructure,
};
/// The largest Metric value (saved metric tags above it are corrupt).
inline constexpr Metric kLastMetric = Metric::kSuperstructure;

/// True for the metrics of BINARY_VECTOR fields.
inline bool IsBinaryMetric(Metric m) {
  return m == Metric::kHamming || m == Metric::kJaccard ||
         m == Metric::kSubstructure || m == Metric::kSuperstructure;
}

/// True when larger scores mean closer (IP, COSINE, BM25).
inline bool LargerIsCloser(Metric m) {
  return m == Metric::kIP || m == Metric::kCosine || m == Metric::kBM25;
}

/// "L2", "IP", "COSINE", "BM25", "HAMMING", "JACCARD", "SUBSTRUCTURE",
/// "SUPERSTRUCTURE", as Milvus spells them.
inline const char* MetricName(Metric m) {
  switch (m) {
    case Metric::kL2:
      return "L2";
    case Metric::kIP:
      return "IP";
    case Metric::kCosine:
      return "COSINE";
    case Metric::kBM25:
      return "BM25";
    case Metric::kHamming:
      return "HAMMING";
    case Metric::kJaccard:
      return "JACCARD";
    case Metric::kSubstructure:
      return "SUBSTRUCTURE";
    case Metric::kSuperstructure:
      return "SUPERSTRUCTURE";
  }
  return "L2";
}

/// The SIMD instruction set level used by the kernels.
enum class SimdLevel { kScalar, kAvx2, kAvx512 };

/// The level in use (resolved once; honours COVE_SIMD).
SimdLevel ActiveSimdLevel();
/// "scalar", "avx2" or "avx512".
const char* SimdLevelName(SimdLevel level);
/// Forces a level for the rest of the process (tests use it to compare levels).
/// Returns false, and changes nothing, when the CPU cannot run that level.
bool SetSimdLevelForTesting(SimdLevel level);
/// True when this CPU and build can run `level` (tests loop over levels).
bool SimdLevelSupported(SimdLevel level);

/// Squared L2 distance between a and b (d floats each).
float L2Sqr(const float* a, const float* b, size_t d);
/// Inner product of a and b.
float InnerProduct(const float* a, const float* b, size_t d);
/// Euclidean norm of a.
float Norm(const float* a, size_t d);

/// A pairwise kernel: (a, b, d) -> score.
using DistanceFn = float (*)(const float* a, const float* b, size_t d);
/// The L2Sqr / InnerProduct kernel of the active level, for hot loops that
/// want to resolve the dispatch once (e.g. a graph walk). The pointer stays
/// valid for the life of the process, but does not follow a later
/// SetSimdLevelForTesting().
DistanceFn L2SqrFunction();
DistanceFn InnerProductFunction();

/// One query against n vectors stored row-major and contiguous in `base`
/// (n x d); writes n scores to out.
void L2SqrBatch(const float* query, const float* base, size_t n, size_t d,
                float* out);
void InnerProductBatch(const float* query, const float* base, size_t n,
                       size_t d, float* out);

/// Many queries against many vectors: out[i * nx + j] = <q_i, x_j>.
/// Blocked, matrix-multiply style kernel for query batches.
void InnerProductMatrix(const float* queries, size_t nq, const float* base,
                        size_t nx, size_t d, float* out);

/// 8-bit scalar quantization with a per-dimension affine map:
/// x[i] ~= vmin[i] + code[i] * vdiff[i] / 255.
/// Distances between a float32 query and a code, and between two codes.
float L2SqrSq8(const float* query, const uint8_t* code, const float* vmin,
               const float* vdiff, size_t d);
float InnerProductSq8(const float* query, const uint8_t* code,
                      const float* vmin, const float* vdiff, size_t d);

/// sum_i code[i] * w[i] in 32-bit integers, the inner loop of SQ8 graph
/// walks (the query is turned into 16-bit weights once per search, see
/// Sq8Quantizer::PrepareQuery). Exact when sum_i code[i] * |w[i]| < 2^31;
/// beyond that the sum wraps modulo 2^32 on every level alike.
int32_t DotU8I16(const uint8_t* code, const int16_t* w, size_t d);
/// The DotU8I16 kernel of the active level (see L2SqrFunction()).
using DotU8I16Fn = int32_t (*)(const uint8_t* code, const int16_t* w, size_t d);
DotU8I16Fn DotU8I16Function();

}  // namespace cove::engine

#endif  // COVE_SRC_ENGINE_KERNELS_DISTANCE_H_
