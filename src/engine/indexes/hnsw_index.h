// HNSW (Malkov & Yashunin, "Efficient and robust approximate nearest neighbor
// search using Hierarchical Navigable Small World graphs", 2016) and its
// 8-bit quantized variant HNSW_SQ, behind the VectorIndex interface.
//
// Layout (chosen for cache behaviour on the level-0 traversal, where nearly
// all of the search time goes):
//  - level 0: one contiguous array of fixed-size blocks, one per row. HNSW:
//    [count][2*M neighbor ids] (uint32 each). HNSW_SQ: [SQ8 code, dim bytes
//    padded to 4][code norm, float][count][2*M ids], padded to a multiple of
//    64 bytes, so that one hop reads the row's code and its links from one
//    block (for dim 128, M 16: 320 bytes, the code in the first two cache
//    lines);
//  - links of the upper levels (about 1/M of the rows have any): blocks of
//    [count][M ids] in a second contiguous array, found through a per-row
//    block offset;
//  - float32 vectors contiguous, row-major. HNSW traverses them; HNSW_SQ only
//    builds the graph on them and re-ranks the best candidates, and can move
//    them out of memory into an unlinked file that is memory-mapped
//    (SpillVectors()).
// The level-0 blocks and the float vectors are allocated on 2 MiB huge pages
// where the kernel allows it (huge_page_allocator.h).
// Searches reuse per-thread scratch (visited tags with a generation counter,
// preallocated heaps) from a small pool, and prefetch neighbor blocks.
#ifndef COVE_SRC_ENGINE_INDEXES_HNSW_INDEX_H_
#define COVE_SRC_ENGINE_INDEXES_HNSW_INDEX_H_

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "engine/indexes/sq8.h"
#include "engine/indexes/vector_index.h"
#include "engine/storage/float_rows.h"
#include "engine/storage/huge_page_allocator.h"

namespace cove::engine {

/// An HNSW graph index (IndexType::kHnsw) or, with IndexType::kHnswSq, the
/// same graph traversed on SQ8 codes (integer distances: the query is turned
/// into 16-bit weights once per search, see Sq8Query) with the best
/// candidates re-ranked on float32 vectors (scores returned are exact float32
/// scores). HNSW_SQ re-ranks IndexSearchParams::rerank candidates, by default
/// max(kRerankPerK * k, kRerankMin) (at most ef); range searches re-rank all
/// ef.
///
/// The graph is built on float32 distances in both variants (better graph
/// quality for the same time). Build() and Add() insert with
/// params().build_threads threads, guarding each row's links with its own
/// spin lock.
///
/// Filtered search: all rows are used for navigation, only allowed rows enter
/// the result. When few rows are allowed the graph walk would visit most of
/// the graph before finding k of them, so Search() scans the allowed rows
/// exactly instead when
///   allowed_count < size() * kExactFraction (5%), or
///   allowed_count <= kExactMinRowsPerEf * ef,
/// and also whenever the graph walk returns fewer than min(k, allowed_count)
/// rows. The result is then the exact filtered top-k.
///
/// Range search (radius / range_filter): the graph walk collects the ef best
/// allowed rows and keeps those inside the range; when fewer than k are
/// inside and the walk did not reach beyond `radius` (so more rows inside the
/// range may lie further out), the search falls back to an exact scan.
///
/// Thread safety: as VectorIndex (concurrent Search; Build/Add exclusive).
class HnswIndex : public VectorIndex {
 public:
  /// Rows allowed below this fraction of size() are searched exactly.
  static constexpr double kExactFraction = 0.05;
  /// ... as are filters allowing at most this many rows per unit of ef.
  static constexpr size_t kExactMinRowsPerEf = 2;
  /// HNSW_SQ default re-rank depth: max(kRerankPerK * k, kRerankMin).
  static constexpr size_t kRerankPerK = 3;
  static constexpr size_t kRerankMin = 32;
  /// Highest level a row can get (levels are geometric with mean 1/ln(M)).
  static constexpr int kMaxLevel = 31;

  /// InvalidArgument naming the parameter when params cannot build an HNSW
  /// or HNSW_SQ index (dim 0, m outside [2, 1024], ef_construction < 1,
  /// build_threads < 0, type not kHnsw/kHnswSq).
  static absl::Status ValidateParams(const IndexParams& params);

  /// An empty index. `params` must pass ValidateParams() (use MakeIndex()).
  explicit HnswIndex(const IndexParams& params);
  ~HnswIndex() override;

  HnswIndex(const HnswIndex&) = delete;
  HnswIndex& operator=(const HnswIndex&) = delete;

  /// Restores an index from the payload of a Save() output (the bytes after
  /// the header of index_io.h). DataLoss when the payload is inconsistent.
  static absl::StatusOr<std::unique_ptr<HnswIndex>> Load(
      IndexType type, std::string_view payload);

  const IndexParams& params() const override { return params_; }
  size_t size() const override { return n_; }
  absl::Status Build(const float* data, size_t n) override;
  absl::Status Add(const float* data, size_t n) override;
  std::vector<Neighbor> Search(const float* query,
                               const IndexSearchParams& params) const override;
  size_t MemoryBytes() const override;
  absl::Status Save(std::string* out) const override;
  /// Frees the index's float32 copy (or unmaps its spill file) and reads
  /// `vectors` instead; with `scale` (IP/COSINE only) every float distance
  /// is multiplied by the row's factor. See VectorIndex::AttachVectors.
  absl::Status AttachVectors(const ExternalVectors& vectors) override;
  const float* attached_vectors() const override { return ext_.data; }

  /// HNSW_SQ only: moves the float32 vectors out of memory into a file
  /// created in directory `dir` and unlinked at once (it disappears with the
  /// index or the process), memory-mapped read-only with MADV_RANDOM: searches
  /// then read from it only the pages of the re-ranked candidates (and of the
  /// rows of exact filtered scans), which the kernel may evict at will. The
  /// graph and the codes stay in memory. Save() still writes the vectors.
  /// Add() and Build() bring the vectors back into memory (call SpillVectors
  /// again after them). Nothing to do (OK) while vectors are attached.
  /// FailedPrecondition for HNSW (it traverses the floats); the errno of a
  /// failed create/write/map otherwise.
  absl::Status SpillVectors(const std::string& dir);
  /// True when the float32 vectors live in a spill file.
  bool vectors_spilled() const { return mapped_ != nullptr; }

  /// Memory by kind, in bytes. HNSW_SQ holds `codes` (n * (dim + 4) bytes
  /// inside the level-0 blocks, traversed) and `floats` (n * dim * 4 bytes,
  /// only read to re-rank the best candidates and for exact filtered scans),
  /// which SpillVectors() moves to `floats_on_disk`.
  struct MemoryBreakdown {
    size_t floats = 0;           // float32 vectors in memory
    size_t floats_on_disk = 0;   // float32 vectors in the spill file
    size_t floats_attached = 0;  // float32 vectors read from their owner
    size_t codes = 0;            // SQ8 codes, their norms and quantizer ranges
    size_t graph = 0;            // links of all levels, levels, block offsets
    size_t scratch = 0;          // pooled per-thread search scratch
  };
  MemoryBreakdown Memory() const;

  /// The float32 vector of `row` (< size()), dim() floats: where the index
  /// reads it (its own copy, the spill file, or the attached vectors, whose
  /// `scale` is not applied here).
  const float* vector(uint32_t row) const {
    return (ext_.data != nullptr ? ext_.data
            : mapped_ != nullptr ? mapped_
                                 : vectors_.data()) +
           size_t{row} * dim_;
  }

 private:
  struct Scratch;
  struct Candidate {
    float dist;
    uint32_t id;
  };

  // Internal distances are "smaller is closer": squared L2, or minus the
  // inner product.
  float Dist(const float* a, const float* b) const;
  void RefreshKernels();
  float DistRows(uint32_t a, uint32_t b) const {
    return Dist(vector(a), vector(b));
  }
  float ToScore(float dist) const { return metric_ip_ ? -dist : dist; }
  // Distance from a query to a row, with the attached scale if any.
  float RowDist(const float* q, uint32_t row) const {
    const float d = Dist(q, vector(row));
    return ext_.scale != nullptr ? d * ext_.scale[row] : d;
  }
  // Takes the attached vectors back into vectors_ (scaled) and detaches.
  void DetachVectors();

  uint32_t* Links0(uint32_t id) {
    return level0_.data() + size_t{id} * stride0_ + links_off_;
  }
  const uint32_t* Links0(uint32_t id) const {
    return level0_.data() + size_t{id} * stride0_ + links_off_;
  }
  // HNSW_SQ: the code of `id` and its norm (Sq8Quantizer::CodeNorm).
  uint8_t* Code(uint32_t id) {
    return reinterpret_cast<uint8_t*>(level0_.data() + size_t{id} * stride0_);
  }
  const uint8_t* Code(uint32_t id) const {
    return reinterpret_cast<const uint8_t*>(level0_.data() +
                                            size_t{id} * stride0_);
  }
  void SetCodeNorm(uint32_t id, float norm) {
    std::memcpy(level0_.data() + size_t{id} * stride0_ + code_words_, &norm,
                sizeof(float));
  }
  uint32_t* Links(uint32_t id, int level);
  const uint32_t* Links(uint32_t id, int level) const;
  size_t MaxLinks(int level) const { return level == 0 ? max_m0_ : max_m_; }

  int DrawLevel(size_t row) const;
  void Lock(uint32_t id) const;
  void Unlock(uint32_t id) const;

  // Moves spilled vectors back into vectors_ and unmaps the file.
  void UnspillVectors();
  // Grows the storage for rows [n_, n_ + n) and copies/encodes their data.
  void AppendRows(const float* data, size_t n);
  // Inserts rows [begin, end) into the graph with `threads` threads.
  void InsertRows(size_t begin, size_t end, int threads);
  void Insert(uint32_t node, Scratch* s);
  // Best-first search of one level for insertion; leaves the result sorted
  // closest first in s->result.
  void SearchLayerForInsert(uint32_t node, uint32_t ep, float ep_dist,
                            int level, size_t ef, Scratch* s) const;
  // The neighbor-selection heuristic (paper, Algorithm 4): keeps a candidate
  // only when it is closer to the base than to every kept one. `sorted`
  // is closest first; the kept ids go to *out.
  void SelectNeighbors(const std::vector<Candidate>& sorted, size_t max_count,
                       std::vector<Candidate>* out) const;
  // Links `node` to `selected` on `level`, and each of them back to it.
  void Connect(uint32_t node, int level, const std::vector<Candidate>& selected,
               Scratch* s);

  std::unique_ptr<Scratch> AcquireScratch() const;
  void ReleaseScratch(std::unique_ptr<Scratch> s) const;

  template <typename Space>
  uint32_t GreedyUpper(const Space& space) const;
  template <typename Space, typename Accept>
  void SearchLevel0(const Space& space, uint32_t ep, size_t ef,
                    const Accept& accept, Scratch* s) const;
  // The unfiltered level-0 walk: one sorted pool of the ef best candidates
  // (the expanded ones flagged in the id's top bit) instead of two heaps;
  // the unvisited neighbors of a row are gathered first, then their vectors
  // prefetched kPrefetchAhead ahead of the distance loop. Leaves the pool in
  // s->top, closest first.
  static constexpr uint32_t kExpanded = 0x80000000u;
  static constexpr size_t kPrefetchAhead = 4;
  template <typename Space>
  void SearchLevel0Pool(const Space& space, uint32_t ep, size_t ef,
                        Scratch* s) const;
  template <typename Space>
  void GraphSearch(const Space& space, size_t ef, const Bitset* allowed,
                   Scratch* s) const;
  std::vector<Neighbor> ExactSearch(const float* query, size_t k,
                                    const Bitset* allowed, float lo,
                                    float hi) const;

  IndexParams params_;
  size_t dim_;
  bool quantized_;
  bool metric_ip_;
  size_t max_m_;   // M: links per row on levels >= 1
  size_t max_m0_;  // 2 * M: links per row on level 0
  // Level-0 block geometry, in uint32 words: HNSW_SQ code words
  // (ceil(dim / 4); 0 for HNSW), offset of [count][ids] in the block
  // (code_words_ + 1 for the norm; 0 for HNSW) and block stride.
  size_t code_words_;
  size_t links_off_;
  size_t stride0_;
  double level_mult_;
  // The active kernels (see RefreshKernels()).
  float (*l2_fn_)(const float*, const float*, size_t) = nullptr;
  float (*ip_fn_)(const float*, const float*, size_t) = nullptr;

  size_t n_ = 0;
  std::vector<float, HugePageAllocator<float>> vectors_;
  // Attached vectors (AttachVectors), or data == null.
  ExternalVectors ext_;
  // The spilled vectors (SpillVectors), mapped from a file without a name,
  // or null; mapped_ is their data.
  std::shared_ptr<FloatRows> spilled_;
  const float* mapped_ = nullptr;
  Sq8Quantizer sq_;
  std::vector<uint32_t, HugePageAllocator<uint32_t>> level0_;
  std::vector<uint8_t> levels_;
  // First block in upper_ of each row with level >= 1 (unused otherwise).
  std::vector<uint32_t> upper_block_;
  std::vector<uint32_t> upper_;
  int max_level_ = -1;
  uint32_t entry_ = 0;

  // Only during InsertRows with more than one thread.
  std::unique_ptr<std::atomic<uint8_t>[]> locks_;
  std::mutex entry_mu_;

  mutable std::mutex pool_mu_;
  mutable std::vector<std::unique_ptr<Scratch>> pool_;
};

}  // namespace cove::engine

#endif  // COVE_SRC_ENGINE_INDEXES_HNSW_INDEX_H_
