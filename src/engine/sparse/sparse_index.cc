// Sparse inverted indexes: build, TAAT and WAND searches, exact scan.
#include "engine/sparse/sparse_index.h"

#include <algorithm>
#include <limits>
#include <queue>

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
  return index;
}

size_t SparseIndex::MemoryBytes() const {
  return rows_.capacity() * sizeof(uint32_t) +
         vals_.capacity() * sizeof(float) +
         dropped_.capacity() * sizeof(uint32_t) +
         doc_len_.capacity() * sizeof(float) +
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

float SparseIndex::Contribution(const SparseQuery& q, float weight,
                                uint32_t row, float value) const {
  if (!params_.bm25) return weight * value;
  return weight * Bm25Tf(value, doc_len_[row], q.avgdl, q.bm25);
}

std::vector<Neighbor> SparseIndex::Search(const SparseQuery& query, size_t k,
                                          const Bitset* allowed) const {
  if (k == 0 || num_rows_ == 0) return {};
  // WAND needs non-negative contributions to bound a document's score, and
  // a top-k cut (range searches keep everything in range).
  bool wand = params_.wand && !query.radius.has_value() &&
              !query.range_filter.has_value();
  for (float w : query.weights.values) wand &= w >= 0;
  return wand ? SearchWand(query, k, allowed) : SearchTaat(query, k, allowed);
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
    float bound = 0;
    if (params_.bm25) {
      // BM25's tf part grows with tf and shrinks with the length.
      bound = w * Bm25Tf(p.max_val, p.min_dl, query.avgdl, query.bm25);
    } else if (p.negative) {
      // A negative value cannot be bounded from above by max_val * w when
      // w is 0; other weights are non-negative here: max_val bounds.
      bound = w * std::max(p.max_val, 0.0f);
    } else {
      bound = w * p.max_val;
    }
    // Bounds a little above the exact maximum, so that summing in another
    // order than the full evaluation does never prunes a document that
    // reaches the threshold.
    bound = bound * (1.0f + 1e-5f) + 1e-30f;
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
