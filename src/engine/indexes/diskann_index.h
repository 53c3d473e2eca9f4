// DISKANN (IndexType::kDiskAnn): a Vamana graph (Subramanya et al.,
// "DiskANN: Fast Accurate Billion-point Nearest Neighbor Search on a Single
// Node", NeurIPS 2019) searched on product-quantization codes held in memory,
// with the float32 vectors read on demand from a file.
//
// Memory: the graph (max_degree links per row) and one PQ code per row
// (pq_code_budget_ratio of the float32 row: 0.125 gives dim / 2 bytes, one
// 8-bit code per two dimensions); the float32 rows are not held. They come
// from the segment's column, which the collection keeps in a memory-mapped
// file for this index (AttachVectors), or from SpillVectors() when the index
// is used alone: the kernel pages them in as searches touch them.
//
// Build: rows are inserted in a shuffled order on build_threads threads
// (each row's links under its own spin lock): a greedy search from the medoid
// with a list of search_list_size candidates on float32 distances, then
// RobustPrune of the visited rows (alpha = kAlpha) down to max_degree links,
// and a link back from each chosen neighbour (pruned again when its list
// overflows kSlack * max_degree). A last pass prunes every list to
// max_degree. The graph is built on squared L2 distances whatever the metric
// (for COSINE the rows are unit vectors, so the neighbourhoods are the same).
//
// Search: a best-first walk from the medoid over a list of `search_list`
// candidates ranked by PQ (ADC) distance in the search metric; every row
// expanded is scored on its float32 vector (one read of the file, as DiskANN
// reads a node's sector), and the k best of those are returned with exact
// scores. Without float32 rows (loaded and not attached) the k best by ADC
// are returned with ADC scores.
//
// Filtered search: the walk navigates through every row and only allowed
// rows enter the result; fewer than kExactFraction of the rows allowed, or a
// walk that finds fewer than min(k, allowed) rows, scans the allowed rows
// exactly instead. Range search keeps the expanded rows inside the range and
// falls back to an exact scan when the walk may have missed some (fewer than
// k inside and every candidate of the list inside).
//
// Thread safety: as VectorIndex (concurrent Search; Build/Add exclusive).
#ifndef COVE_SRC_ENGINE_INDEXES_DISKANN_INDEX_H_
#define COVE_SRC_ENGINE_INDEXES_DISKANN_INDEX_H_

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "engine/indexes/pq.h"
#include "engine/indexes/vector_index.h"
#include "engine/storage/float_rows.h"

namespace cove::engine {

class DiskAnnIndex : public VectorIndex {
 public:
  /// RobustPrune's distance factor (on squared distances).
  static constexpr float kAlpha = 1.2f;
  /// A list may grow to kSlack * max_degree links during the build before it
  /// is pruned (fewer prunes); the last pass brings it to max_degree.
  static constexpr double kSlack = 1.3;
  /// Milvus' default search_list (the candidate list of a search).
  static constexpr int kDefaultSearchList = 16;
  static constexpr int kMaxDegree = 512;
  static constexpr double kExactFraction = 0.05;

  /// InvalidArgument naming the parameter: dim outside [1, 65536],
  /// max_degree outside [1, 512], search_list_size < 1,
  /// pq_code_budget_ratio outside (0, 0.25], build_threads < 0, type not
  /// kDiskAnn.
  static absl::Status ValidateParams(const IndexParams& params);
  /// The PQ sub-vectors for `params`: pq_code_budget_ratio * 4 * dim bytes,
  /// at least 1 and at most dim.
  static size_t SubVectors(const IndexParams& params);

  explicit DiskAnnIndex(const IndexParams& params);
  ~DiskAnnIndex() override;

  /// Restores an index from the payload of a Save() output. DataLoss when
  /// the payload is inconsistent.
  static absl::StatusOr<std::unique_ptr<DiskAnnIndex>> Load(
      std::string_view payload);

  const IndexParams& params() const override { return params_; }
  size_t size() const override { return n_; }

  /// Trains the quantizer, encodes the rows and builds the graph; keeps a
  /// float32 copy until AttachVectors() or SpillVectors().
  absl::Status Build(const float* data, size_t n) override;
  /// Inserts rows into the graph (needs float32 rows of the existing ones:
  /// FailedPrecondition for a loaded index without attached vectors, or
  /// before Build()).
  absl::Status Add(const float* data, size_t n) override;
  /// IndexSearchParams::ef is Milvus' search_list (0: max(k, 16)).
  std::vector<Neighbor> Search(const float* query,
                               const IndexSearchParams& params) const override;
  size_t MemoryBytes() const override;
  absl::Status Save(std::string* out) const override;
  absl::Status AttachVectors(const ExternalVectors& vectors) override;
  const float* attached_vectors() const override { return ext_.data; }

  /// Moves the float32 rows into a nameless file in `dir`, memory-mapped
  /// (see FloatRows::Spill); Add() and Build() bring them back.
  absl::Status SpillVectors(const std::string& dir);

  /// Float32 rows are available (own, spilled or attached).
  bool has_floats() const { return n_ > 0 && Rows() != nullptr; }
  /// The entry row of every walk.
  uint32_t medoid() const { return medoid_; }
  /// The links of row `id`.
  size_t degree(uint32_t id) const { return graph_[size_t{id} * stride_]; }
  const uint32_t* links(uint32_t id) const {
    return graph_.data() + size_t{id} * stride_ + 1;
  }
  const ProductQuantizer& quantizer() const { return pq_; }

 private:
  struct Candidate {
    float dist;
    uint32_t id;
  };
  struct Scratch;

  const float* Rows() const;
  const float* Row(uint32_t id) const { return Rows() + size_t{id} * dim_; }
  // Squared L2 between rows (the graph's geometry).
  float RowL2(uint32_t a, uint32_t b) const;
  // The search metric's internal distance (smaller is closer) of a row.
  float RowDist(const float* query, uint32_t id) const;
  float ToScore(float dist) const { return metric_ip_ ? -dist : dist; }

  // Inserts rows [begin, end) on `threads` threads.
  void InsertRows(size_t begin, size_t end, int threads);
  void Insert(uint32_t node, size_t capacity, Scratch* s);
  // Greedy search on float32 squared L2 from the medoid; leaves the
  // expanded rows (with their distances to `q`) in s->visited.
  void BuildSearch(const float* q, uint32_t self, Scratch* s) const;
  // RobustPrune of `base`'s candidates (sorted, closest first) to at most
  // `max` links, into *out.
  void Prune(uint32_t base, std::vector<Candidate>* candidates, size_t max,
             std::vector<uint32_t>* out) const;
  void SetLinks(uint32_t id, const std::vector<uint32_t>& ids);
  void Lock(uint32_t id) const;
  void Unlock(uint32_t id) const;
  void ChooseMedoid();
  std::unique_ptr<Scratch> AcquireScratch() const;
  void ReleaseScratch(std::unique_ptr<Scratch> s) const;
  void DropOwnRows();

  std::vector<Neighbor> ExactSearch(const float* query, size_t k,
                                    const Bitset* allowed, float lo,
                                    float hi) const;

  IndexParams params_;
  size_t dim_;
  bool metric_ip_;
  size_t degree_;  // max_degree
  // Links per row in graph_ during a build (kSlack * max_degree), else
  // degree_.
  size_t stride_;
  size_t n_ = 0;
  uint32_t medoid_ = 0;
  // Per row: the link count, then stride_ - 1 slots.
  std::vector<uint32_t> graph_;
  ProductQuantizer pq_;
  std::vector<uint8_t> codes_;
  // Float32 rows owned by the index (after Build/Add), or spilled.
  std::vector<float> floats_;
  std::shared_ptr<FloatRows> spilled_;
  ExternalVectors ext_;
  // Search buffers, reused across searches.
  mutable std::mutex pool_mu_;
  mutable std::vector<std::unique_ptr<Scratch>> scratch_pool_;
  // Per-row spin locks during a multi-threaded build.
  std::unique_ptr<std::atomic<uint8_t>[]> locks_;
};

}  // namespace cove::engine

#endif  // COVE_SRC_ENGINE_INDEXES_DISKANN_INDEX_H_
