// Inverted-file indexes IVF_FLAT and IVF_SQ8: k-means partitions the vectors
// into nlist lists; a search scans the nprobe lists whose centroids are
// closest to the query.
#ifndef COVE_SRC_ENGINE_INDEXES_IVF_INDEX_H_
#define COVE_SRC_ENGINE_INDEXES_IVF_INDEX_H_

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "engine/indexes/sq8.h"
#include "engine/indexes/vector_index.h"

namespace cove::engine {

/// IVF_FLAT (IndexType::kIvfFlat: float32 vectors in the lists, exact scores)
/// or IVF_SQ8 (IndexType::kIvfSq8: SQ8 codes in the lists, a quarter of the
/// memory). IVF_SQ8 scans the lists on the codes, keeps the best
/// IndexSearchParams::rerank candidates (default max(kRerankPerK * k,
/// kRerankMin)) and re-scores them on float32, so returned scores are exact.
/// Its float32 rows (in row order) are its own copy after Build()/Add() (move
/// them to a mapped file with SpillVectors()) or a segment's column
/// (AttachVectors()); Save() writes the codes only, so an index restored by
/// Load() has no floats until AttachVectors() and then returns code scores
/// (approximate), as before re-ranking existed.
///
/// Attached vectors (AttachVectors) replace IVF_FLAT's list vectors too: the
/// lists keep only row ids and a scan reads each row from the attached
/// storage.
///
/// Build() trains k-means (k-means++ seeding, 10 Lloyd iterations, on a
/// sample of at most 256 vectors per list) with min(nlist, n) centroids and
/// the SQ8 ranges on all given vectors; Add() before Build() is
/// FailedPrecondition. Vectors added later are assigned to the existing
/// centroids (and clamped to the trained SQ8 ranges).
///
/// Lists are chosen by squared L2 to the centroids for kL2 and by inner
/// product with the centroids for kIP/kCosine.
///
/// 16-bit rows (IndexParams::half: FLOAT16_VECTOR / BFLOAT16_VECTOR rows
/// packed two values per float32 slot, `dim` counting slots; queries packed
/// the same way): k-means and the SQ8 ranges are trained, and the SQ8 codes
/// encoded, on the rows widened to float32 (transiently, half_rows.h);
/// IVF_FLAT's lists and IVF_SQ8's re-rank rows are the 16-bit rows (2 bytes
/// per value), scored with the 16-bit kernels (kernels/half.h). Attached
/// COSINE rows are the raw 16-bit rows with their scale; Save() writes them
/// scaled and rounded back to their type, as the build saw them.
///
/// Filtered search scans all lists (exactly, over the allowed rows only) when
///   allowed_count < size() * kExactFraction (5%),
/// and whenever scanning nprobe lists finds fewer than min(k, allowed_count)
/// rows (outside range search), so the filtered top-k is exact at low
/// selectivity (with floats, IVF_SQ8 then scores the allowed rows exactly
/// on float32). Range search keeps the rows of the probed lists inside the
/// range (IVF_SQ8 with floats scores them on float32).
///
/// Thread safety: as VectorIndex (concurrent Search; Build/Add exclusive).
class IvfIndex : public VectorIndex {
 public:
  static constexpr double kExactFraction = 0.05;
  static constexpr int kMaxNlist = 1 << 20;
  /// IVF_SQ8 default re-rank depth: max(kRerankPerK * k, kRerankMin).
  static constexpr size_t kRerankPerK = 3;
  static constexpr size_t kRerankMin = 32;

  /// InvalidArgument naming the parameter (dim 0, nlist outside
  /// [1, 1048576], build_threads < 0, type not kIvfFlat/kIvfSq8).
  static absl::Status ValidateParams(const IndexParams& params);

  /// An untrained index. `params` must pass ValidateParams().
  explicit IvfIndex(const IndexParams& params);

  /// Restores an index from the payload of a Save() output (after the
  /// header of index_io.h). DataLoss when the payload is inconsistent.
  static absl::StatusOr<std::unique_ptr<IvfIndex>> Load(
      IndexType type, std::string_view payload);

  const IndexParams& params() const override { return params_; }
  size_t size() const override { return n_; }
  /// InvalidArgument when n == 0 (k-means needs data).
  absl::Status Build(const float* data, size_t n) override;
  absl::Status Add(const float* data, size_t n) override;
  std::vector<Neighbor> Search(const float* query,
                               const IndexSearchParams& params) const override;
  size_t MemoryBytes() const override;
  absl::Status Save(std::string* out) const override;
  absl::Status AttachVectors(const ExternalVectors& vectors) override;
  const float* attached_vectors() const override {
    return ext_spilled_ ? nullptr : ext_.data;
  }

  /// IVF_SQ8 only: moves the index's own float32 rows into a nameless file
  /// in `dir`, memory-mapped (see FloatRows::Spill); re-ranking then reads
  /// the candidates' pages. OK when there is nothing to move (attached or
  /// spilled already, or no floats). FailedPrecondition for IVF_FLAT; the
  /// errno of a failed create/write/map otherwise.
  absl::Status SpillVectors(const std::string& dir);
  /// IVF_SQ8: float32 rows are available for re-ranking.
  bool has_floats() const;
  /// Bytes of float32 rows the index holds in the heap (IVF_FLAT's lists or
  /// IVF_SQ8's own copy) and in its spill file.
  size_t float_bytes() const;
  size_t spilled_bytes() const { return ext_spilled_ ? n_ * dim_ * 4 : 0; }

  /// Number of lists (min(nlist, rows given to Build); 0 before Build).
  size_t list_count() const { return lists_.size(); }
  /// Rows in list i.
  size_t list_size(size_t i) const { return lists_[i].ids.size(); }

 private:
  struct List {
    std::vector<uint32_t> ids;
    std::vector<float> vectors;  // IVF_FLAT
    std::vector<uint8_t> codes;  // IVF_SQ8
  };

  struct Candidate {
    float dist;  // smaller is closer: squared L2 or minus inner product
    uint32_t id;
  };

  // Appends n rows: `rows` as stored (dim_ slots each), `values` the same
  // rows as vdim_ float32 values (== rows for float32 rows).
  void Append(const float* rows, const float* values, size_t n);
  // Scans list `l` into the top-k heap; `floats`: score rows on the float32
  // rows (Row()) instead of what the list stores. `query` is in the rows'
  // form, `values` the query as vdim_ float32 values (the codes').
  void ScanList(const List& l, const float* query, const float* values,
                size_t k, const Bitset* allowed, size_t allowed_limit, float lo,
                float hi, bool floats, std::vector<float>* buf,
                std::vector<Candidate>* heap) const;
  // The float32 row `id` (attached: without its scale) and the internal
  // distance to it (scale applied).
  const float* Row(uint32_t id) const {
    return (ext_.data != nullptr ? ext_.data : floats_.data()) +
           size_t{id} * dim_;
  }
  float RowDist(const float* query, uint32_t id) const;
  // Takes attached vectors back into the index (scaled) and detaches.
  void DetachVectors();

  IndexParams params_;
  size_t dim_;   // row width in slots (the values of float32 rows)
  size_t vdim_;  // values per row: centroids, SQ8 (2 * dim_ for 16-bit)
  bool quantized_;
  bool metric_ip_;
  size_t n_ = 0;
  std::vector<float> centroids_;
  std::vector<List> lists_;
  Sq8Quantizer sq_;
  // IVF_SQ8: the float32 rows in row order, for re-ranking (empty when
  // attached, spilled, or loaded without them).
  std::vector<float> floats_;
  // Attached (or spilled: ext_spilled_) vectors, or data == null.
  ExternalVectors ext_;
  bool ext_spilled_ = false;
};

}  // namespace cove::engine

#endif  // COVE_SRC_ENGINE_INDEXES_IVF_INDEX_H_
