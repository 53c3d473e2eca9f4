// Sparse inverted indexes: build, TAAT and WAND searches, exact scan.
#include "engine/sparse/sparse_index.h"

#include <algorithm>
#include <limits>
#include <queue>

#include "absl/base/attributes.h"
#include "absl/container/inlined_vector.h"

namespace cove::engine::sparse {
namespace {

// Best first: larger score, then lower row.
bool Better(const Neighbor& a, const Neighbor& b) {
  if (a.score != b.score) return a.score > b.score;
  return a.row < b.row;
}

// The k best of `all`, best first.
std::vector<Neighbor> TopK(std::vector<Neighbor> all, size_t k) {
  const size_t keep = std::min(k, all.size());
  std::partial_sort(all.begin(), all.begin() + keep, all.end(), Better);
  all.resize(keep);
  return all;
}

// A bounded heap of the k best hits: its top is the worst kept.
class Best {
 public:
  explicit Best(size_t k) : k_(k) {}
  bool full() const { return heap_.size() >= k_; }
  // The score a new hit must beat (ties lose to lower rows already kept).
  float threshold() const {
    return full() ? heap_.front().score
                  : -std::numeric_limits<float>::infinity();
  }
  void Push(Neighbor n) {
    if (k_ == 0) return;
    if (!full()) {
      heap_.push_back(n);
      std::push_heap(heap_.begin(), heap_.end(), Better);
      return;
    }
    if (!Better(n, heap_.front())) return;
    std::pop_heap(heap_.begin(), heap_.end(), Better);
    heap_.back() = n;
    std::push_heap(heap_.begin(), heap_.end(), Better);
  }
  std::vector<Neighbor> Take() {
    std::sort(heap_.begin(), heap_.end(), Better);
    return std::move(heap_);
  }

 private:
  size_t k_;
  std::vector<Neighbor> heap_;  // a heap ordered by Better: front is worst
};

}  // namespace

float RowLength(const SparseVector& v) {
  float sum = 0;
  for (float x : v.values) sum += x;
  return sum;
}

std::unique_ptr<SparseIndex> SparseIndex::Build(
    const std::vector<const SparseVector*>& rows,
    const SparseIndexParams& params) {
  std::unique_ptr<SparseIndex> index(new SparseIndex());
  index->params_ = params;
  index->num_rows_ = rows.size();
  if (params.bm25) {
    index->doc_len_.resize(rows.size());
    for (size_t r = 0; r < rows.size(); ++r) {
      index->doc_len_[r] = rows[r] != nullptr ? RowLength(*rows[r]) : 0.0f;
      index->total_length_ += index->doc_len_[r];
    }
  }
  // Count the postings of each term, then lay them out contiguously in
  // term order of first sight, rows ascending within a term.
  std::vector<SparseVector> kept(params.drop_ratio_build > 0 ? rows.size() : 0);
  auto kept_row = [&](size_t r) -> const SparseVector* {
    if (rows[r] == nullptr) return nullptr;
    return params.drop_ratio_build > 0 ? &kept[r] : rows[r];
  };
  absl::flat_hash_map<uint32_t, std::pair<uint32_t, uint32_t>> counts;
  for (size_t r = 0; r < rows.size(); ++r) {
    if (rows[r] == nullptr) continue;
    if (params.drop_ratio_build > 0) {
      kept[r] = DropSmallest(*rows[r], params.drop_ratio_build);
    }
    for (uint32_t t : kept_row(r)->indices) ++counts[t].first;
    if (params.drop_ratio_build > 0) {
      // Dropped entries still count for document frequencies.
      size_t j = 0;
      const SparseVector& k = kept[r];
      for (uint32_t t : rows[r]->indices) {
        while (j < k.indices.size() && k.indices[j] < t) ++j;
        if (j >= k.indices.size() || k.indices[j] != t) ++counts[t].second;
      }
    }
  }
  uint32_t at = 0, dropped_at = 0;
  for (auto& [term, c] : counts) {
    Postings& p = index->terms_[term];
    p.begin = p.end = at;
    p.dropped_begin = p.dropped_end = dropped_at;
    at += c.first;
    dropped_at += c.second;
    p.min_dl = std::numeric_limits<float>::infinity();
  }
  index->rows_.resize(at);
  index->vals_.resize(at);
  index->dropped_.resize(dropped_at);
  for (size_t r = 0; r < rows.size(); ++r) {
    const SparseVector* v = kept_row(r);
    if (v == nullptr) continue;
    for (size_t i = 0; i < v->indices.size(); ++i) {
      Postings& p = index->terms_[v->indices[i]];
      const float val = v->values[i];
      index->rows_[p.end] = static_cast<uint32_t>(r);
      index->vals_[p.end] = val;
      ++p.end;
      p.max_val = std::max(p.max_val, val);
      p.negative |= val < 0;
      if (params.bm25) p.min_dl = std::min(p.min_dl, index->doc_len_[r]);
    }
    if (params.drop_ratio_build > 0) {
      size_t j = 0;
      for (uint32_t t : rows[r]->indices) {
        while (j < v->indices.size() && v->indices[j] < t) ++j;
        if (j < v->indices.size() && v->indices[j] == t) continue;
        Postings& p = index->terms_[t];
        index->dropped_[p.dropped_end++] = static_cast<uint32_t>(r);
      }
    }
  }
  if (params.bm25) index->BuildFrontiers();
  return index;
}

void SparseIndex::BuildFrontiers() {
  // Per term: the shortest document for each tf, then from the largest tf
  // down, only pairs in a document shorter than every larger tf's.
  std::vector<std::pair<float, float>> pairs;
  for (auto& [term, p] : terms_) {
    pairs.clear();
    for (uint32_t j = p.begin; j < p.end; ++j) {
      pairs.emplace_back(vals_[j], doc_len_[rows_[j]]);
    }
    std::sort(pairs.begin(), pairs.end(), [](const auto& a, const auto& b) {
      if (a.first != b.first) return a.first > b.first;
      return a.second < b.second;
    });
    p.frontier_begin = static_cast<uint32_t>(frontier_.size());
    float shortest = std::numeric_limits<float>::infinity();
    for (const auto& [tf, dl] : pairs) {
      if (dl < shortest) {
        frontier_.emplace_back(tf, dl);
        shortest = dl;
      }
    }
    p.frontier_end = static_cast<uint32_t>(frontier_.size());
  }
  frontier_.shrink_to_fit();
}

size_t SparseIndex::MemoryBytes() const {
  return rows_.capacity() * sizeof(uint32_t) +
         vals_.capacity() * sizeof(float) +
         dropped_.capacity() * sizeof(uint32_t) +
         doc_len_.capacity() * sizeof(float) +
         frontier_.capacity() * sizeof(std::pair<float, float>) +
         terms_.capacity() * (sizeof(uint32_t) + sizeof(Postings) + 1);
}

size_t SparseIndex::DocFreq(uint32_t term, const Bitset* deleted) const {
  auto it = terms_.find(term);
  if (it == terms_.end()) return 0;
  const Postings& p = it->second;
  size_t n = (p.end - p.begin) + (p.dropped_end - p.dropped_begin);
  if (deleted == nullptr) return n;
  for (uint32_t i = p.begin; i < p.end; ++i) n -= deleted->Test(rows_[i]);
  for (uint32_t i = p.dropped_begin; i < p.dropped_end; ++i) {
    n -= deleted->Test(dropped_[i]);
  }
  return n;
}

// (Called once per posting: inlined into the searches.)
ABSL_ATTRIBUTE_ALWAYS_INLINE inline float SparseIndex::Contribution(
    const SparseQuery& q, float weight, uint32_t row, float value) const {
  if (!params_.bm25) return weight * value;
  return weight * Bm25Tf(value, doc_len_[row], q.avgdl, q.bm25);
}

std::vector<Neighbor> SparseIndex::Search(const SparseQuery& query, size_t k,
                                          const Bitset* allowed) const {
  if (k == 0 || num_rows_ == 0) return {};
  // Pruning needs non-negative contributions to bound a document's score,
  // and a top-k cut (range searches keep everything in range).
  bool prune = params_.algo != SparseAlgo::kTaat && !query.radius.has_value() &&
               !query.range_filter.has_value();
  for (float w : query.weights.values) prune &= w >= 0;
  if (!prune) return SearchTaat(query, k, allowed);
  return params_.algo == SparseAlgo::kWand ? SearchWand(query, k, allowed)
                                           : SearchMaxScore(query, k, allowed);
}

float SparseIndex::Bound(const SparseQuery& q, const Postings& p,
                         float w) const {
  float bound = 0;
  if (params_.bm25) {
    // BM25's tf part grows with tf and shrinks with the length: the best
    // pair of the frontier is the term's largest contribution.
    float best = 0;
    for (uint32_t i = p.frontier_begin; i < p.frontier_end; ++i) {
      best = std::max(best, Bm25Tf(frontier_[i].first, frontier_[i].second,
                                   q.avgdl, q.bm25));
    }
    bound = w * best;
  } else {
    // Weights are non-negative here; a negative value adds at most 0.
    bound = w * std::max(p.max_val, 0.0f);
  }
  // A little above the exact maximum, so that summing in another order
  // than the full evaluation does never prunes a document that reaches
  // the threshold.
  return bound * (1.0f + 1e-5f) + 1e-30f;
}

std::vector<Neighbor> SparseIndex::SearchTaat(const SparseQuery& query,
                                              size_t k,
                                              const Bitset* allowed) const {
  // Scores accumulate in a per-thread array; a stamp per row tells whether
  // this query touched it yet, so nothing is cleared between queries.
  thread_local std::vector<float> acc;
  thread_local std::vector<uint32_t> stamp;
  thread_local uint32_t generation = 0;
  if (acc.size() < num_rows_) {
    acc.resize(num_rows_);
    stamp.resize(num_rows_, 0);
  }
  if (++generation == 0) {
    std::fill(stamp.begin(), stamp.end(), 0);
    generation = 1;
  }
  std::vector<uint32_t> touched;
  for (size_t i = 0; i < query.weights.indices.size(); ++i) {
    auto it = terms_.find(query.weights.indices[i]);
    if (it == terms_.end()) continue;
    const float w = query.weights.values[i];
    const Postings& p = it->second;
    for (uint32_t j = p.begin; j < p.end; ++j) {
      const uint32_t row = rows_[j];
      if (allowed != nullptr && !allowed->Test(row)) continue;
      const float c = Contribution(query, w, row, vals_[j]);
      if (stamp[row] != generation) {
        stamp[row] = generation;
        acc[row] = c;
        touched.push_back(row);
      } else {
        acc[row] += c;
      }
    }
  }
  Best best(k);
  for (uint32_t row : touched) {
    const float s = acc[row];
    if (!query.InRange(s)) continue;
    best.Push(Neighbor{row, s});
  }
  return best.Take();
}

std::vector<Neighbor> SparseIndex::SearchWand(const SparseQuery& query,
                                              size_t k,
                                              const Bitset* allowed) const {
  struct Cursor {
    const uint32_t* row;  // current posting
    const uint32_t* end;
    const float* val;
    float weight;
    float bound;  // the most this term adds to any document
  };
  std::vector<Cursor> cursors;
  for (size_t i = 0; i < query.weights.indices.size(); ++i) {
    auto it = terms_.find(query.weights.indices[i]);
    if (it == terms_.end()) continue;
    const Postings& p = it->second;
    if (p.begin == p.end) continue;
    const float w = query.weights.values[i];
    const float bound = Bound(query, p, w);
    cursors.push_back(Cursor{rows_.data() + p.begin, rows_.data() + p.end,
                             vals_.data() + p.begin, w, bound});
  }
  Best best(k);
  constexpr uint32_t kDone = std::numeric_limits<uint32_t>::max();
  auto current = [&](const Cursor& c) {
    return c.row < c.end ? *c.row : kDone;
  };
  std::vector<Cursor*> order;
  for (Cursor& c : cursors) order.push_back(&c);
  while (true) {
    std::sort(order.begin(), order.end(),
              [&](const Cursor* a, const Cursor* b) {
                return current(*a) < current(*b);
              });
    // The pivot: the first cursor at which the bounds so far could beat
    // the threshold. A tie with the threshold can still win on the row
    // number only when the heap is not full, so ">" is exact otherwise.
    const float threshold = best.threshold();
    float sum = 0;
    size_t pivot = order.size();
    for (size_t i = 0; i < order.size(); ++i) {
      if (current(*order[i]) == kDone) break;
      sum += order[i]->bound;
      if (!best.full() || sum >= threshold) {
        pivot = i;
        break;
      }
    }
    if (pivot == order.size()) break;
    const uint32_t target = current(*order[pivot]);
    if (current(*order[0]) == target) {
      // Every cursor before the pivot is at the target: score it fully.
      float score = 0;
      bool any = false;
      for (Cursor* c : order) {
        if (current(*c) != target) break;
        score += Contribution(query, c->weight, target, *c->val);
        any = true;
        ++c->row;
        ++c->val;
      }
      if (any && (allowed == nullptr || allowed->Test(target))) {
        best.Push(Neighbor{target, score});
      }
      continue;
    }
    // Move the cursors before the pivot up to the target.
    for (size_t i = 0; i < pivot; ++i) {
      Cursor* c = order[i];
      const uint32_t* next = std::lower_bound(c->row, c->end, target);
      c->val += next - c->row;
      c->row = next;
    }
  }
  return best.Take();
}

namespace {

// The first posting at or after `p` whose row is at least `target`
// (galloping: cheap for the short skips MaxScore makes).
const uint32_t* Seek(const uint32_t* p, const uint32_t* end, uint32_t target) {
  if (p == end || *p >= target) return p;
  size_t step = 1;
  const uint32_t* lo = p;  // *lo < target
  while (static_cast<size_t>(end - lo) > step && lo[step] < target) {
    lo += step;
    step *= 2;
  }
  const uint32_t* hi = static_cast<size_t>(end - lo) > step ? lo + step : end;
  return std::lower_bound(lo + 1, hi, target);
}

}  // namespace

std::vector<Neighbor> SparseIndex::SearchMaxScore(const SparseQuery& query,
                                                  size_t k,
                                                  const Bitset* allowed) const {
  // MaxScore (Turtle and Flood): terms in increasing order of their score
  // bound; the first ones, whose bounds sum below the k-th best score, are
  // "non-essential": a document holding none of the others cannot enter
  // the top k. Candidates come from the essential terms only, document at
  // a time; the non-essential ones are looked up (largest bound first)
  // while the score so far plus their remaining bounds can still reach the
  // threshold. A document that survives is scored in query term order,
  // exactly as the term-at-a-time search sums it.
  struct Cursor {
    const uint32_t* row;
    const uint32_t* end;
    const float* val;  // parallel to row
    float weight;
    float bound;
    uint32_t slot;  // the term's position in the query
  };
  const size_t nterms = query.weights.indices.size();
  // (Queries are short: no allocation for up to 16 terms.)
  absl::InlinedVector<Cursor, 16> cursors;
  for (size_t i = 0; i < nterms; ++i) {
    auto it = terms_.find(query.weights.indices[i]);
    if (it == terms_.end()) continue;
    const Postings& p = it->second;
    if (p.begin == p.end) continue;
    const float w = query.weights.values[i];
    cursors.push_back(Cursor{rows_.data() + p.begin, rows_.data() + p.end,
                             vals_.data() + p.begin, w, Bound(query, p, w),
                             static_cast<uint32_t>(i)});
  }
  const size_t m = cursors.size();
  if (m == 0) return {};
  std::sort(cursors.begin(), cursors.end(),
            [](const Cursor& a, const Cursor& b) { return a.bound < b.bound; });
  // below[i]: the sum of the bounds of cursors 0..i.
  // Float sums in another order than the exact one differ by a few ulps
  // per term: pruning compares with this much margin.
  const float margin = 1.0f + 1e-6f + 3e-7f * static_cast<float>(nterms);
  absl::InlinedVector<float, 16> below(m);
  float sum = 0;
  for (size_t i = 0; i < m; ++i) below[i] = (sum += cursors[i].bound) * margin;
  // Per query term: its contribution to the current document, if any.
  absl::InlinedVector<float, 16> contrib(nterms, 0.0f);
  absl::InlinedVector<uint8_t, 16> has(nterms, 0);

  Best best(k);
  float threshold = best.threshold();
  size_t essential = 0;  // cursors [essential, m) are essential
  constexpr uint32_t kDone = std::numeric_limits<uint32_t>::max();
  while (essential < m) {
    uint32_t doc = kDone;
    for (size_t i = essential; i < m; ++i) {
      if (cursors[i].row < cursors[i].end) {
        doc = std::min(doc, *cursors[i].row);
      }
    }
    if (doc == kDone) break;
    const bool skip = allowed != nullptr && !allowed->Test(doc);
    float score = 0;
    for (size_t i = essential; i < m; ++i) {
      Cursor& c = cursors[i];
      if (c.row == c.end || *c.row != doc) continue;
      if (!skip) {
        const float x = Contribution(query, c.weight, doc, *c.val);
        contrib[c.slot] = x;
        has[c.slot] = 1;
        score += x;
      }
      ++c.row;
      ++c.val;
    }
    if (skip) continue;
    bool pruned = false;
    for (size_t i = essential; i-- > 0;) {
      if (best.full() && score * margin + below[i] < threshold) {
        pruned = true;
        break;
      }
      Cursor& c = cursors[i];
      const uint32_t* next = Seek(c.row, c.end, doc);
      c.val += next - c.row;
      c.row = next;
      if (c.row == c.end || *c.row != doc) continue;
      const float x = Contribution(query, c.weight, doc, *c.val);
      contrib[c.slot] = x;
      has[c.slot] = 1;
      score += x;
    }
    if (!pruned) {
      float exact = 0;
      for (size_t s = 0; s < nterms; ++s) {
        if (has[s]) exact += contrib[s];
      }
      best.Push(Neighbor{doc, exact});
      if (best.full()) {
        threshold = best.threshold();
        while (essential < m && below[essential] < threshold) ++essential;
      }
    }
    std::fill(has.begin(), has.end(), 0);
  }
  return best.Take();
}

std::vector<Neighbor> ExactSearch(const std::vector<const SparseVector*>& rows,
                                  bool bm25, const SparseQuery& query, size_t k,
                                  const Bitset* allowed) {
  std::vector<Neighbor> all;
  const SparseVector& q = query.weights;
  for (size_t r = 0; r < rows.size(); ++r) {
    const SparseVector* v = rows[r];
    if (v == nullptr || (allowed != nullptr && !allowed->Test(r))) continue;
    const float dl = bm25 ? RowLength(*v) : 0.0f;
    float score = 0;
    bool any = false;
    size_t i = 0, j = 0;
    while (i < q.indices.size() && j < v->indices.size()) {
      if (q.indices[i] < v->indices[j]) {
        ++i;
      } else if (q.indices[i] > v->indices[j]) {
        ++j;
      } else {
        const float val = v->values[j];
        score += bm25 ? q.values[i] * Bm25Tf(val, dl, query.avgdl, query.bm25)
                      : q.values[i] * val;
        any = true;
        ++i;
        ++j;
      }
    }
    if (any && query.InRange(score)) {
      all.push_back(Neighbor{static_cast<uint32_t>(r), score});
    }
  }
  return TopK(std::move(all), k);
}

}  // namespace cove::engine::sparse
