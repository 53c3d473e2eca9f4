// The exact (brute-force) index, IndexType::kFlat: vectors stored contiguously,
// every search compares the query with every allowed row. It is the engine's
// answer for small segments and for very selective filters, and the oracle
// the approximate indexes are tested against.
//
// One query streams the vectors through the one-query batch kernels (L2SqrBatch
// / InnerProductBatch) in blocks, keeping the best k with a SIMD threshold
// filter, so it runs at close to memory bandwidth. A batch of queries
// (SearchBatch) runs as blocked matrix products (InnerProductMatrix; for L2
// through ||x||^2 - 2<q,x> + ||q||^2 with the squared norms of the rows kept
// beside them), which turns the scan from memory-bound into compute-bound.
#ifndef COVE_SRC_ENGINE_INDEXES_FLAT_INDEX_H_
#define COVE_SRC_ENGINE_INDEXES_FLAT_INDEX_H_

#include <cstddef>
#include <cstdint>
#include <memory>
#include <new>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "engine/indexes/vector_index.h"

namespace cove::internal {

/// An allocator for large float arrays: 64-byte aligned (no zmm load splits a
/// cache line when the dimension is a multiple of 16), and 2 MiB aligned with
/// transparent huge pages requested for arrays of 4 MiB and more (fewer TLB
/// misses when streaming them).
template <typename T>
struct VectorAllocator {
  using value_type = T;
  VectorAllocator() = default;
  template <typename U>
  VectorAllocator(const VectorAllocator<U>&) {}  // NOLINT: allocator rebind

  static size_t Alignment(size_t n) {
    return n * sizeof(T) >= (size_t{4} << 20) ? (size_t{2} << 20) : 64;
  }
  T* allocate(size_t n);
  void deallocate(T* p, size_t n) {
    ::operator delete(p, std::align_val_t(Alignment(n)));
  }
  template <typename U>
  bool operator==(const VectorAllocator<U>&) const {
    return true;
  }
  template <typename U>
  bool operator!=(const VectorAllocator<U>&) const {
    return false;
  }
};

/// Asks the kernel for transparent huge pages over [p, p + bytes).
void AdviseHugePages(void* p, size_t bytes);

template <typename T>
T* VectorAllocator<T>::allocate(size_t n) {
  size_t align = Alignment(n);
  void* p = ::operator new(n * sizeof(T), std::align_val_t(align));
  if (align > 64) AdviseHugePages(p, n * sizeof(T));
  return static_cast<T*>(p);
}

}  // namespace cove::internal

namespace cove::engine {

/// Row-major vectors owned elsewhere (a segment's column), for ExactSearch().
struct ExactView {
  const float* data = nullptr;
  size_t n = 0;
  size_t dim = 0;
  /// kL2, or kIP/kCosine (both scored as inner products).
  Metric metric = Metric::kL2;
  /// Largest squared norm of a row (bounds rounding errors; an upper bound
  /// is fine). With `scale`, the largest squared norm of the scaled rows.
  float max_norm = 0.0f;
  /// Optional per-row factor applied to each score (n floats): cosine over
  /// raw vectors passes 1/|x| so that scores are cosine similarities.
  const float* scale = nullptr;
  /// Optional squared norms of the rows (n floats; kL2 without `scale`),
  /// for ExactSearchBatch(); null: computed as the rows are scanned.
  const float* sq_norms = nullptr;
};

/// The FLAT search (FlatIndex::Search) over vectors it does not own: the up
/// to params.k closest allowed rows, closest first, with the range bounds.
/// Segments without an index (growing ones, or sealed ones whose index is
/// still being built) are searched with it.
std::vector<Neighbor> ExactSearch(const ExactView& view, const float* query,
                                  const IndexSearchParams& params);

/// ExactSearch() for nq row-major queries at once, result i for query i:
/// from a few queries on, a blocked matrix product of queries and rows (see
/// FlatIndex::SearchBatch) instead of one scan per query. Same rows as
/// ExactSearch(); scores may differ in the last bits.
std::vector<std::vector<Neighbor>> ExactSearchBatch(
    const ExactView& view, const float* queries, size_t nq,
    const IndexSearchParams& params);

/// Exact search over float32 vectors (IndexType::kFlat).
///
/// Scores are exact float32 kernel values: squared L2 for kL2, inner product
/// for kIP and kCosine (see vector_index.h: for kCosine the caller
/// normalizes). Ties are broken by the smaller row.
///
/// Thread safety: as VectorIndex: const methods (Search, SearchBatch, Save)
/// may run concurrently; Build/Add need exclusive access. Searches are
/// single-threaded (callers parallelize across queries or segments).
class FlatIndex : public VectorIndex {
 public:
  /// Largest supported dimension.
  static constexpr size_t kMaxDim = kMaxIndexDim;

  /// InvalidArgument naming the parameter when `params` cannot make a FLAT
  /// index (type not kFlat, dim 0 or above kMaxDim, unknown metric).
  static absl::Status ValidateParams(const IndexParams& params);

  /// An empty index. `params` should pass ValidateParams() (MakeIndex()
  /// checks it); only type, metric and dim are used.
  explicit FlatIndex(const IndexParams& params);

  FlatIndex(const FlatIndex&) = delete;
  FlatIndex& operator=(const FlatIndex&) = delete;

  /// Restores an index from the payload of a Save() output: the bytes after
  /// the 24-byte header of index_io.h (LoadIndex() checks the header and the
  /// checksum, then calls this with IndexHeader::payload). DataLoss when the
  /// payload is truncated or inconsistent.
  static absl::StatusOr<std::unique_ptr<FlatIndex>> Load(
      std::string_view payload);

  const IndexParams& params() const override { return params_; }
  size_t size() const override { return n_; }
  size_t dim() const { return dim_; }

  /// Replaces the content with n row-major vectors. InvalidArgument when
  /// data is null with n > 0; ResourceExhausted past 2^32 - 1 rows.
  absl::Status Build(const float* data, size_t n) override;
  /// Appends n vectors (rows size() .. size() + n - 1). Errors as Build().
  absl::Status Add(const float* data, size_t n) override;

  /// The up to params.k closest allowed rows (params.allowed; rows at or past
  /// allowed->size() count as not allowed), closest first, within
  /// params.radius / params.range_filter when set. ef and nprobe are ignored.
  std::vector<Neighbor> Search(const float* query,
                               const IndexSearchParams& params) const override;

  /// Search() for nq row-major queries at once, result i for query i. Same
  /// results as Search() (rows identical; scores may differ in the last bits
  /// when computed along a different path) but, from a few queries on, much
  /// faster: a blocked matrix product instead of one scan per query.
  std::vector<std::vector<Neighbor>> SearchBatch(
      const float* queries, size_t nq, const IndexSearchParams& params) const;

  size_t MemoryBytes() const override;

  /// Writes the index header (index_io.h) and the payload: metric (u8),
  /// three zero bytes, dim (u64), rows (u64), then rows x dim float32.
  absl::Status Save(std::string* out) const override;

  /// Reads `vectors` instead of its own copy (see VectorIndex).
  absl::Status AttachVectors(const ExternalVectors& vectors) override;
  const float* attached_vectors() const override { return ext_.data; }

  /// The vector of `row` (< size()), dim() floats (attached vectors without
  /// their scale).
  const float* vector(uint32_t row) const {
    return data() + size_t{row} * dim_;
  }
  /// All vectors, row-major, size() x dim().
  const float* data() const {
    return ext_.data != nullptr ? ext_.data : data_.data();
  }

 private:
  // Internally every score is a distance, smaller is closer: squared L2, or
  // minus the inner product.
  bool ip() const { return params_.metric != Metric::kL2; }

  // Range bounds in distance form: keep lo <= dist < hi.
  struct Range {
    float lo;
    float hi;
    bool has_hi;
  };
  Range DistanceRange(const IndexSearchParams& params) const;

  IndexParams params_;
  size_t dim_;
  size_t n_ = 0;
  std::vector<float, cove::internal::VectorAllocator<float>> data_;
  // Squared norms of the rows (kL2 only; the matrix path needs them).
  std::vector<float> norms_;
  // Largest squared norm of a row (both metrics; bounds rounding errors).
  float max_norm_ = 0.0f;
  // Attached vectors (AttachVectors), or data == null.
  ExternalVectors ext_;
};

}  // namespace cove::engine

#endif  // COVE_SRC_ENGINE_INDEXES_FLAT_INDEX_H_
