// Inverted indexes over sparse vectors: Milvus' SPARSE_INVERTED_INDEX and
// SPARSE_WAND, for the IP metric and for BM25 (rows are term frequencies;
// the index keeps each document's length), searched by one of Milvus'
// query algorithms (inverted_index_algo): term-at-a-time accumulation
// (TAAT_NAIVE), or document-at-a-time with MaxScore (DAAT_MAXSCORE) or WAND
// (DAAT_WAND) pruning; plus the exact scan that serves growing segments and
// is the test oracle. Every algorithm returns the same hits with the same
// scores: pruning skips only documents whose score bound is below the k-th
// best score.
//
// Rows are identified by their offset in the segment. A row scores only
// when it shares a term with the query (as in Milvus: rows without a common
// term are not results).
#ifndef COVE_SRC_ENGINE_SPARSE_SPARSE_INDEX_H_
#define COVE_SRC_ENGINE_SPARSE_SPARSE_INDEX_H_

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "cove/value.h"
#include "engine/bitset.h"
#include "engine/indexes/vector_index.h"
#include "engine/sparse/sparse.h"

namespace cove::engine::sparse {

/// How an index answers top-k searches (Milvus' inverted_index_algo).
/// Range searches and queries with a negative weight always accumulate
/// term at a time (no bound holds for them).
enum class SparseAlgo {
  /// Term at a time: every posting of every query term is scored.
  kTaat,
  /// Document at a time with MaxScore: terms whose summed score bounds
  /// cannot reach the k-th best score only complete other documents.
  kMaxScore,
  /// Document at a time with WAND: a pivot by summed bounds.
  kWand,
};

/// How an index is built.
struct SparseIndexParams {
  SparseAlgo algo = SparseAlgo::kTaat;
  /// BM25: rows hold term frequencies; scores are BM25.
  bool bm25 = false;
  /// Fraction of each row's smallest entries left out of the postings.
  double drop_ratio_build = 0.0;
};

/// One query, ready to score.
struct SparseQuery {
  /// Per term, its weight: the query value (IP), or the query's count of
  /// the term times its IDF (BM25). Strictly increasing terms.
  SparseVector weights;
  /// BM25 only: k1, b and the average document length of the collection.
  Bm25Params bm25;
  float avgdl = 1.0f;
  /// Range search, Milvus style for similarities: radius < score <=
  /// range_filter.
  std::optional<float> radius;
  std::optional<float> range_filter;

  bool InRange(float score) const {
    return (!radius.has_value() || score > *radius) &&
           (!range_filter.has_value() || score <= *range_filter);
  }
};

/// The postings of one segment's rows.
///
/// Thread safety: const methods may run concurrently.
class SparseIndex {
 public:
  /// Indexes `rows` (null: a row without a vector). Rows must pass Check().
  static std::unique_ptr<SparseIndex> Build(
      const std::vector<const SparseVector*>& rows,
      const SparseIndexParams& params);

  const SparseIndexParams& params() const { return params_; }
  size_t size() const { return num_rows_; }

  /// The up to k best allowed rows (null: all), best first (ties: lower
  /// row first).
  std::vector<Neighbor> Search(const SparseQuery& query, size_t k,
                               const Bitset* allowed) const;

  /// BM25 statistics: rows holding `term` that are not in `deleted` (null:
  /// none), whatever drop_ratio_build left out.
  size_t DocFreq(uint32_t term, const Bitset* deleted) const;
  /// The length (sum of term frequencies) of row r (BM25).
  float doc_length(size_t r) const { return doc_len_[r]; }
  /// The sum of every row's length (BM25).
  double total_length() const { return total_length_; }

  size_t MemoryBytes() const;

 private:
  struct Postings {
    uint32_t begin = 0;  // into rows_/vals_
    uint32_t end = 0;
    uint32_t dropped_begin = 0;  // into dropped_ (rows left out)
    uint32_t dropped_end = 0;
    float max_val = 0;      // largest value (IP bound; BM25: largest tf)
    float min_dl = 0;       // BM25: the shortest document of the postings
    bool negative = false;  // some value is negative (no WAND bound)
    // BM25: into frontier_, the (tf, shortest length with that tf) pairs
    // that no other posting dominates (a larger tf in a document no
    // longer): the term's exact score bound for any k1, b and avgdl is
    // the best of them.
    uint32_t frontier_begin = 0;
    uint32_t frontier_end = 0;
  };
  SparseIndex() = default;

  std::vector<Neighbor> SearchTaat(const SparseQuery& query, size_t k,
                                   const Bitset* allowed) const;
  std::vector<Neighbor> SearchWand(const SparseQuery& query, size_t k,
                                   const Bitset* allowed) const;
  std::vector<Neighbor> SearchMaxScore(const SparseQuery& query, size_t k,
                                       const Bitset* allowed) const;
  // The most a term of weight w (>= 0) adds to any document's score, a
  // little above the exact maximum so that rounding never prunes a
  // document that reaches the threshold.
  float Bound(const SparseQuery& q, const Postings& p, float w) const;
  void BuildFrontiers();
  float Contribution(const SparseQuery& q, float weight, uint32_t row,
                     float value) const;

  SparseIndexParams params_;
  size_t num_rows_ = 0;
  absl::flat_hash_map<uint32_t, Postings> terms_;
  std::vector<uint32_t> rows_;
  std::vector<float> vals_;
  std::vector<uint32_t> dropped_;
  std::vector<float> doc_len_;                     // BM25 only
  std::vector<std::pair<float, float>> frontier_;  // BM25: (tf, length)
  double total_length_ = 0;
};

/// The exact scan over rows (null: no vector) that an index approximates
/// no differently: the same scores and order. `doc_len` gives BM25 lengths
/// (null: computed from the rows).
std::vector<Neighbor> ExactSearch(const std::vector<const SparseVector*>& rows,
                                  bool bm25, const SparseQuery& query, size_t k,
                                  const Bitset* allowed);

/// The sum of a row's values (a BM25 document's length).
float RowLength(const SparseVector& v);

}  // namespace cove::engine::sparse

#endif  // COVE_SRC_ENGINE_SPARSE_SPARSE_INDEX_H_
