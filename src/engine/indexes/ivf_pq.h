// Inverted-file indexes over product-quantized residuals: IVF_PQ and SCANN.
//
// Both partition the vectors with k-means into nlist lists and store, in each
// list, the product-quantization code (pq.h) of every row's residual (the
// row minus its list's centroid). A search picks the nprobe lists whose
// centroids are closest to the query and scores their codes with asymmetric
// distance tables:
//  - kL2: the table of (query - centroid) for each probed list, so the sum
//    of a code's entries is |query - centroid - residual|^2;
//  - kIP: one table of the query for all lists, plus <query, centroid> per
//    list (as FAISS does; the error of <query, residual> is that of the
//    whole query against the residual's, larger than L2's);
//  - kCosine: rows are unit vectors (the caller normalizes them), so the
//    index probes and ranks as kL2 and turns a squared distance d into the
//    inner product (|q|^2 + 1 - d) / 2: the ranking of L2's precision, for
//    any query norm.
//
// IVF_PQ (IndexType::kIvfPq): `pq_m` codes of `pq_nbits` bits per row, stored
// row after row; a list is scanned with one table lookup per code (ADC).
//
// SCANN (IndexType::kScann): as Milvus' SCANN (an IVF with 4-bit PQ of
// 2-dimensional sub-vectors and a float32 re-rank, after Google's ScaNN):
// dim / 2 (rounded up) codes of 4 bits, stored in the fast-scan layout of
// pq_kernels.h (blocks of 32 rows); a list is scanned 32 rows at a time with
// the query's table quantized to 8 bits and looked up in registers (vpshufb).
// Rows whose quantized sum can beat the current candidates (with a margin
// for the rounding) are then scored with the float table, so candidates are
// ranked on the same ADC distances as IVF_PQ's.
//
// Re-ranking: the best `depth` candidates by ADC distance are re-scored on
// float32 and the best k returned with exact scores, when float32 rows are
// available: IVF_PQ reads them only from attached vectors (a segment's
// column, AttachVectors); SCANN with `with_raw_data` keeps its own copy after
// Build()/Add() (saved with it) until vectors are attached. depth =
// IndexSearchParams::rerank (Milvus' reorder_k for SCANN), by default
// max(kRerankPerK * k, kRerankMin). Without float32 rows (SCANN without raw
// data, IVF_PQ built standalone) the k best by ADC are returned with their
// ADC scores.
//
// Filtered search and range search follow IvfIndex: fewer than 5% of the
// rows allowed, or a probe that finds fewer than min(k, allowed) rows, scans
// every list (with float32 rows: the allowed rows exactly); range search
// keeps the rows of the probed lists inside the range, scored on float32
// when available.
//
// 16-bit rows (IndexParams::half: FLOAT16_VECTOR / BFLOAT16_VECTOR rows
// packed two values per float32 slot, `dim` counting slots; queries packed
// the same way): the centroids and the product quantizer are trained, and
// the codes encoded, on the rows widened to float32 (2 * dim values,
// transiently; pq_m divides 2 * dim, SCANN takes dim sub-vectors); the
// re-rank rows (attached, or SCANN's raw data) are the 16-bit rows, scored
// with the 16-bit kernels (kernels/half.h).
//
// Thread safety: as VectorIndex (concurrent Search; Build/Add exclusive).
#ifndef COVE_SRC_ENGINE_INDEXES_IVF_PQ_H_
#define COVE_SRC_ENGINE_INDEXES_IVF_PQ_H_

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "engine/indexes/pq.h"
#include "engine/indexes/vector_index.h"

namespace cove::engine {

class IvfPqIndex : public VectorIndex {
 public:
  static constexpr double kExactFraction = 0.05;
  static constexpr int kMaxNlist = 1 << 20;
  /// Default re-rank depth: max(kRerankPerK * k, kRerankMin).
  static constexpr size_t kRerankPerK = 3;
  static constexpr size_t kRerankMin = 32;
  /// Default nprobe: min(nlist, kDefaultNprobe).
  static constexpr int kDefaultNprobe = 16;

  /// InvalidArgument naming the parameter: dim outside [1, 65536], nlist
  /// outside [1, 1048576], IVF_PQ's pq_m not dividing dim (or above it),
  /// pq_nbits outside [1, 16], build_threads < 0, type not kIvfPq/kScann.
  static absl::Status ValidateParams(const IndexParams& params);
  /// The sub-vector count IVF_PQ uses for `params` (pq_m, or its default),
  /// and SCANN's: ceil(dim / 2).
  static size_t SubVectors(const IndexParams& params);

  /// An untrained index. `params` must pass ValidateParams().
  explicit IvfPqIndex(const IndexParams& params);

  /// Restores an index from the payload of a Save() output (after the
  /// header of index_io.h). DataLoss when the payload is inconsistent.
  static absl::StatusOr<std::unique_ptr<IvfPqIndex>> Load(
      IndexType type, std::string_view payload);

  const IndexParams& params() const override { return params_; }
  size_t size() const override { return n_; }
  /// Trains the coarse centroids (min(nlist, n)) and the product quantizer
  /// on the residuals, then encodes the n rows. InvalidArgument when n == 0.
  absl::Status Build(const float* data, size_t n) override;
  /// Encodes rows with the trained quantizers. FailedPrecondition before
  /// Build().
  absl::Status Add(const float* data, size_t n) override;
  std::vector<Neighbor> Search(const float* query,
                               const IndexSearchParams& params) const override;
  size_t MemoryBytes() const override;
  absl::Status Save(std::string* out) const override;
  absl::Status AttachVectors(const ExternalVectors& vectors) override;
  const float* attached_vectors() const override { return ext_.data; }

  /// Float32 rows are available for re-ranking (own or attached).
  bool has_floats() const;
  /// Number of lists (0 before Build).
  size_t list_count() const { return lists_.size(); }
  size_t list_size(size_t i) const { return lists_[i].ids.size(); }
  const ProductQuantizer& quantizer() const { return pq_; }
  /// Bytes of codes in all lists (fast-scan blocks include their padding).
  size_t code_bytes() const;

 private:
  struct List {
    std::vector<uint32_t> ids;
    // IVF_PQ: code_size() bytes per row. SCANN: fast-scan blocks.
    std::vector<uint8_t> codes;
  };
  struct Candidate {
    float dist;  // smaller is closer: squared L2 or minus inner product
    uint32_t id;
  };
  struct Scratch;

  // Appends n rows: `rows` as stored (dim_ slots each), `values` the same
  // rows as vdim_ float32 values (== rows for float32 rows).
  void Append(const float* rows, const float* values, size_t n);
  // SCANN: writes the m sub-codes `ids` of the list's row `pos`.
  void PutFastScanCode(List* l, size_t pos, const uint16_t* ids) const;
  // SCANN: reads them back.
  void GetFastScanCode(const List& l, size_t pos, uint16_t* ids) const;
  // The ADC table (internal distances, smaller is closer) of list `c` for
  // `query` into s->table, and the list's constant term; for kIP the table
  // is the same for every list and is computed once (`ip_ready`).
  float ListTable(const float* query, size_t c, Scratch* s) const;
  // Scores the rows of list `c` into the heap of `depth` candidates:
  // `query` in the rows' form (re-rank), `values` as vdim_ float32 values
  // (tables).
  void ScanList(size_t c, const float* query, const float* values, size_t depth,
                const Bitset* allowed, size_t allowed_limit, float lo, float hi,
                bool floats, Scratch* s) const;
  float RowDist(const float* query, uint32_t id) const;
  const float* Row(uint32_t id) const {
    return (ext_.data != nullptr ? ext_.data : floats_.data()) +
           size_t{id} * dim_;
  }
  void DetachVectors();

  IndexParams params_;
  size_t dim_;   // row width in slots (the values of float32 rows)
  size_t vdim_;  // values per row: centroids, PQ (2 * dim_ for 16-bit)
  bool scann_;
  bool metric_ip_;  // kIP or kCosine: scores are inner products
  bool ip_tables_;  // kIP: tables and probing on inner products
  size_t n_ = 0;
  std::vector<float> centroids_;
  ProductQuantizer pq_;
  // SCANN: sub-quantizers rounded up to a multiple of 4 (pq_kernels.h).
  size_t m4_ = 0;
  std::vector<List> lists_;
  // SCANN with raw data: float32 rows in row order (empty when attached or
  // loaded without them).
  std::vector<float> floats_;
  ExternalVectors ext_;
};

}  // namespace cove::engine

#endif  // COVE_SRC_ENGINE_INDEXES_IVF_PQ_H_
