// Inverted-file indexes IVF_FLAT and IVF_SQ8: k-means partitions the vectors
// into nlist lists; a search scans the nprobe lists whose centroids are
// closest to the query.
#ifndef COVE_SRC_ENGINE_IVF_INDEX_H_
#define COVE_SRC_ENGINE_IVF_INDEX_H_

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "engine/sq8.h"
#include "engine/vector_index.h"

namespace cove::engine {

/// IVF_FLAT (IndexType::kIvfFlat: float32 vectors in the lists, exact scores)
/// or IVF_SQ8 (IndexType::kIvfSq8: SQ8 codes in the lists, a quarter of the
/// memory; scores are computed on the codes, so they are approximate, and no
/// float32 copy is kept for re-ranking).
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
/// Filtered search scans all lists (exactly, over the allowed rows only) when
///   allowed_count < size() * kExactFraction (5%),
/// and whenever scanning nprobe lists finds fewer than min(k, allowed_count)
/// rows (outside range search), so the filtered top-k is exact at low
/// selectivity. Range search keeps the rows of the probed lists inside the
/// range.
///
/// Thread safety: as VectorIndex (concurrent Search; Build/Add exclusive).
class IvfIndex : public VectorIndex {
 public:
  static constexpr double kExactFraction = 0.05;
  static constexpr int kMaxNlist = 1 << 20;

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

  void Append(const float* data, size_t n);
  // Scans list `l` into the top-k heap.
  void ScanList(const List& l, const float* query, size_t k,
                const Bitset* allowed, size_t allowed_limit, float lo, float hi,
                std::vector<float>* buf, std::vector<Candidate>* heap) const;

  IndexParams params_;
  size_t dim_;
  bool quantized_;
  bool metric_ip_;
  size_t n_ = 0;
  std::vector<float> centroids_;
  std::vector<List> lists_;
  Sq8Quantizer sq_;
};

}  // namespace cove::engine

#endif  // COVE_SRC_ENGINE_IVF_INDEX_H_
