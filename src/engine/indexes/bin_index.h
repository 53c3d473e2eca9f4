// The indexes of BINARY_VECTOR fields.
//
// BIN_FLAT is the exact scan of a segment's codes (BinaryExactSearch): the
// segment holds no separate index object for it. BIN_IVF_FLAT (BinIvfIndex,
// IndexType::kBinIvfFlat) clusters the codes into `nlist` inverted lists
// around binary centroids trained by k-modes (each centroid bit is the
// majority bit of its members), and a search scans the `nprobe` lists whose
// centroids are closest to the query.
//
// Codes are given as a segment stores them: dim / 8 bytes zero-padded to a
// whole number of float32 slots (`stride` bytes, a multiple of 4), so that
// kernels may run over the whole stride (the pad adds nothing to any count).
// Scores: HAMMING (differing bits, as a float), JACCARD (distance); both
// smaller-is-closer. SUBSTRUCTURE keeps rows containing every bit of the
// query, SUPERSTRUCTURE rows whose bits the query contains, with score 0, in
// row order (BIN_FLAT only).
#ifndef COVE_SRC_ENGINE_INDEXES_BIN_INDEX_H_
#define COVE_SRC_ENGINE_INDEXES_BIN_INDEX_H_

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "engine/indexes/vector_index.h"
#include "engine/kernels/topk.h"

namespace cove::engine {

/// Row-major codes owned elsewhere: n rows of `stride` bytes; row r is
/// ids[r] when `ids` is set (an inverted list), else r.
struct BinaryView {
  const uint8_t* data = nullptr;
  size_t n = 0;
  size_t stride = 0;
  Metric metric = Metric::kHamming;
  const uint32_t* ids = nullptr;
};

/// Scores every allowed row of `view` against `query` (stride bytes) into
/// `top` (created with larger_is_closer false), within params.radius /
/// params.range_filter (HAMMING, JACCARD: range_filter <= d < radius).
void BinaryScan(const BinaryView& view, const uint8_t* query,
                const IndexSearchParams& params, TopK* top);

/// One row's score against the query: false when the row does not match
/// (SUBSTRUCTURE / SUPERSTRUCTURE), else true with *score set.
bool BinaryScoreOne(Metric metric, const uint8_t* query, const uint8_t* row,
                    size_t stride, float* score);

/// The up to params.k closest allowed rows (ties: the smaller row).
std::vector<Neighbor> BinaryExactSearch(const BinaryView& view,
                                        const uint8_t* query,
                                        const IndexSearchParams& params);

/// BIN_IVF_FLAT. Thread safety as VectorIndex.
class BinIvfIndex : public VectorIndex {
 public:
  explicit BinIvfIndex(const IndexParams& params);

  /// InvalidArgument naming the parameter: dim (slots) in [1, 2^16],
  /// nlist >= 1, metric HAMMING or JACCARD.
  static absl::Status ValidateParams(const IndexParams& params);
  static absl::StatusOr<std::unique_ptr<BinIvfIndex>> Load(
      std::string_view payload);

  const IndexParams& params() const override { return params_; }
  size_t size() const override { return n_; }
  absl::Status Build(const float* data, size_t n) override;
  absl::Status Add(const float* data, size_t n) override;
  std::vector<Neighbor> Search(const float* query,
                               const IndexSearchParams& params) const override;
  size_t MemoryBytes() const override;
  /// The lists keep their own copy of the codes (in list order, for
  /// sequential scans): checks the shape and keeps nothing.
  absl::Status AttachVectors(const ExternalVectors& vectors) override;
  const float* attached_vectors() const override { return nullptr; }
  absl::Status Save(std::string* out) const override;

  /// The number of lists (min(nlist, rows) after Build()).
  size_t num_lists() const { return lists_.size(); }

 private:
  struct List {
    std::vector<uint32_t> ids;
    std::vector<uint8_t> codes;  // ids.size() x stride_
  };

  float Distance(const uint8_t* a, const uint8_t* b) const;
  size_t Nearest(const uint8_t* code) const;
  void Train(const uint8_t* codes, size_t n);
  void Assign(const uint8_t* codes, size_t n, uint32_t first_id);

  IndexParams params_;
  size_t stride_ = 0;
  size_t n_ = 0;
  bool trained_ = false;
  std::vector<uint8_t> centroids_;  // lists_.size() x stride_
  std::vector<List> lists_;
};

}  // namespace cove::engine

#endif  // COVE_SRC_ENGINE_INDEXES_BIN_INDEX_H_
