// Inverted indexes over sparse vectors: Milvus' SPARSE_INVERTED_INDEX
// (term-at-a-time accumulation) and SPARSE_WAND (document-at-a-time with
// WAND pruning), for the IP metric and for BM25 (rows are term
// frequencies; the index keeps each document's length), plus the exact
// scan that serves growing segments and is the test oracle.
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
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "cove/value.h"
#include "engine/bitset.h"
#include "engine/indexes/vector_index.h"
#include "engine/sparse/sparse.h"

namespace cove::engine::sparse {

/// How an index is built.
struct SparseIndexParams {
  /// SPARSE_WAND (document-at-a-time, WAND pruning) instead of
  /// SPARSE_INVERTED_INDEX (term-at-a-time). Results are the same.
  bool wand = false;
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
  };
  SparseIndex() = default;

  std::vector<Neighbor> SearchTaat(const SparseQuery& query, size_t k,
                                   const Bitset* allowed) const;
  std::vector<Neighbor> SearchWand(const SparseQuery& query, size_t k,
                                   const Bitset* allowed) const;
  float Contribution(const SparseQuery& q, float weight, uint32_t row,
                     float value) const;

  SparseIndexParams params_;
  size_t num_rows_ = 0;
  absl::flat_hash_map<uint32_t, Postings> terms_;
  std::vector<uint32_t> rows_;
  std::vector<float> vals_;
  std::vector<uint32_t> dropped_;
  std::vector<float> doc_len_;  // BM25 only
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
