// The interface every vector index of the engine implements (FLAT, HNSW,
// IVF_FLAT, IVF_SQ8, HNSW_SQ, IVF_PQ, SCANN, DISKANN), so the segment code and
// the tests treat them alike and the exact FLAT index serves as the oracle.
//
// Rows are identified by their offset in the segment (0, 1, 2, ... in the
// order they were added). Deletes and scalar filters are not the index's
// business: the caller passes a Bitset of allowed rows to Search.
//
// Metrics: indexes implement kL2 and kIP. For kCosine the caller normalizes
// vectors (and queries) to unit length and the index is built with kIP; an
// index given kCosine treats it exactly as kIP.
#ifndef COVE_SRC_ENGINE_INDEXES_VECTOR_INDEX_H_
#define COVE_SRC_ENGINE_INDEXES_VECTOR_INDEX_H_

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "engine/bitset.h"
#include "engine/kernels/distance.h"
#include "engine/kernels/half.h"
#include "engine/storage/float_rows.h"

namespace cove::engine {

/// Index types. The numbers are the type tags of saved indexes (index_io.h):
/// never renumber.
enum class IndexType {
  kFlat,
  kHnsw,
  kHnswSq,
  kIvfFlat,
  kIvfSq8,
  // Product-quantization indexes (ivf_pq.h).
  kIvfPq,
  kScann,
  // A Vamana graph on PQ codes, float32 rows on disk (diskann_index.h).
  kDiskAnn,
  // Inverted lists of BINARY_VECTOR codes (bin_index.h).
  kBinIvfFlat,
};
/// The largest IndexType value (saved type tags above it are corrupt).
inline constexpr IndexType kLastIndexType = IndexType::kBinIvfFlat;

/// The largest vector dimension of every index type (collections allow up to
/// 32768).
inline constexpr size_t kMaxIndexDim = size_t{1} << 16;

/// Build parameters. Only the ones of the chosen type are read.
struct IndexParams {
  IndexType type = IndexType::kFlat;
  Metric metric = Metric::kL2;
  size_t dim = 0;
  // HNSW, HNSW_SQ
  int m = 16;
  int ef_construction = 200;
  // IVF_FLAT, IVF_SQ8, IVF_PQ, SCANN
  int nlist = 128;
  // IVF_PQ: sub-vectors per vector (must divide dim; 0: the largest divisor
  // of dim not above dim / 4) and bits per sub-vector code (1 to 16).
  int pq_m = 0;
  int pq_nbits = 8;
  // SCANN: the index keeps float32 rows to re-rank its candidates
  // (Milvus' with_raw_data).
  bool with_raw_data = true;
  // DISKANN: links per row, the candidate list of the build's searches, and
  // the PQ code size as a fraction of the float32 row (Milvus' max_degree,
  // search_list_size, pq_code_budget_gb_ratio).
  int max_degree = 56;
  int search_list_size = 100;
  double pq_code_budget_ratio = 0.125;
  // Threads for Build(); 0 = hardware concurrency.
  int build_threads = 0;
  // HNSW, IVF_FLAT, IVF_SQ8, IVF_PQ, SCANN: the rows are 16-bit values of
  // this type packed two per float32 slot (a FLOAT16_VECTOR /
  // BFLOAT16_VECTOR segment's storage): `dim` counts slots, and queries come
  // packed the same way. Saved with the index (LoadIndex() restores it).
  std::optional<HalfType> half;
  // BIN_IVF_FLAT: the rows are binary codes packed into the float32 slots
  // (a BINARY_VECTOR segment's storage): `dim` counts slots, and the codes
  // are compared on all 4 * dim bytes (the pad bytes are zero in rows and
  // queries). Metric kHamming or kJaccard.
  // Seed for every random choice (levels, k-means init).
  uint64_t seed = 42;
  // When set and true, Build() stops early and returns Cancelled (the owner
  // is shutting down); not saved with the index.
  const std::atomic<bool>* cancel = nullptr;

  bool cancelled() const {
    return cancel != nullptr && cancel->load(std::memory_order_relaxed);
  }
};

/// The threads a build uses for IndexParams::build_threads: the value, or
/// the hardware concurrency (at least 1) for 0.
int BuildThreadCount(int requested);

/// One result: the row offset and the raw metric value (squared L2 for kL2,
/// inner product for kIP).
struct Neighbor {
  uint32_t row;
  float score;
};

/// Per-search parameters.
struct IndexSearchParams {
  size_t k = 10;
  // HNSW: size of the dynamic candidate list; 0 = max(k, 64). DISKANN:
  // Milvus' search_list; 0 = max(k, 16).
  int ef = 0;
  // HNSW_SQ, IVF_SQ8, IVF_PQ, SCANN (Milvus' reorder_k): candidates
  // re-ranked on float32; 0 = the index's default, max(3k, 32)
  int rerank = 0;
  // IVF: lists probed; 0 = min(nlist, 16)
  int nprobe = 0;
  // Rows allowed in the result; nullptr = all rows.
  const Bitset* allowed = nullptr;
  // Range search: keep only results with score "beyond" radius and "within"
  // range_filter, Milvus style (for L2: range_filter <= score < radius;
  // for IP: radius < score <= range_filter).
  std::optional<float> radius;
  std::optional<float> range_filter;
};

/// A search's range in internal distances (smaller is closer: squared L2,
/// or minus the inner product): rows with lo <= dist < hi are inside.
struct DistanceRange {
  float lo = -std::numeric_limits<float>::infinity();
  float hi = std::numeric_limits<float>::infinity();
  bool ranged = false;  // radius or range_filter given
};

/// The range of `sp` for an index whose scores are inner products
/// (`larger_is_closer`) or squared L2 distances.
inline DistanceRange InternalRange(const IndexSearchParams& sp,
                                   bool larger_is_closer) {
  DistanceRange r;
  if (sp.radius) r.hi = larger_is_closer ? -*sp.radius : *sp.radius;
  if (sp.range_filter) {
    r.lo = larger_is_closer ? -*sp.range_filter : *sp.range_filter;
  }
  r.ranged = sp.radius.has_value() || sp.range_filter.has_value();
  return r;
}

/// A vector index over the rows of one segment.
///
/// Thread safety: Search() may run concurrently with other Search() calls.
/// Add()/Build() need exclusive access.
class VectorIndex {
 public:
  virtual ~VectorIndex() = default;

  virtual const IndexParams& params() const = 0;
  /// Rows added so far.
  virtual size_t size() const = 0;

  /// Bulk build from n row-major vectors (rows 0..n-1). Replaces any content.
  /// Uses params().build_threads threads.
  virtual absl::Status Build(const float* data, size_t n) = 0;
  /// Appends n vectors as rows size() .. size()+n-1. Indexes that need
  /// training (IVF) return FailedPrecondition before Build().
  virtual absl::Status Add(const float* data, size_t n) = 0;

  /// The up to k closest allowed rows, closest first.
  virtual std::vector<Neighbor> Search(
      const float* query, const IndexSearchParams& params) const = 0;

  /// Bytes of memory held (vectors, codes, graph, lists). Vectors attached
  /// with AttachVectors() are not counted: their owner counts them.
  virtual size_t MemoryBytes() const = 0;

  /// Makes the index read its float32 vectors from `vectors` (the same rows,
  /// in the order they were given to Build()/Add(); COSINE segments pass the
  /// raw rows with `scale` = 1/|x|) and frees its own copy, so that a
  /// segment's column and its index hold the vectors once. The index keeps
  /// `vectors.owner`. Save() still writes the vectors the index's format
  /// holds; Add() copies them back into the index first. InvalidArgument when
  /// the row count or the dimension differ, or for a `scale` with kL2.
  virtual absl::Status AttachVectors(const ExternalVectors& vectors) = 0;
  /// The attached rows (ExternalVectors::data) while the index reads them,
  /// else null.
  virtual const float* attached_vectors() const = 0;

  /// Serialized form (for sealed segments on disk) and its inverse.
  virtual absl::Status Save(std::string* out) const = 0;
};

/// Creates an empty index. InvalidArgument for bad parameters (dim 0, m < 2,
/// nlist < 1 ...), naming the parameter.
absl::StatusOr<std::unique_ptr<VectorIndex>> MakeIndex(
    const IndexParams& params);

/// Restores an index written by Save(). DataLoss when the bytes are corrupt.
absl::StatusOr<std::unique_ptr<VectorIndex>> LoadIndex(std::string_view bytes);

}  // namespace cove::engine

#endif  // COVE_SRC_ENGINE_INDEXES_VECTOR_INDEX_H_
