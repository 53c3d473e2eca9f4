// SPARSE_FLOAT_VECTOR fields of a collection: their indexes (built per
// sealed segment in the background, like the dense ones), the BM25
// function that fills them at insert, and their searches (IP, or BM25 with
// statistics over every live row of the searched state).
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <utility>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "engine/collection.h"
#include "engine/collection_internal.h"
#include "engine/sparse/sparse.h"
#include "engine/sparse/sparse_index.h"

namespace cove::engine {
namespace {

absl::StatusOr<double> SparseParam(const IndexDef& def, const std::string& key,
                                   double lo, double hi, bool hi_open) {
  auto it = def.params.find(key);
  if (it == def.params.end()) return -1.0;
  double v = 0;
  if (!absl::SimpleAtod(it->second, &v) || !std::isfinite(v) || v < lo ||
      (hi_open ? v >= hi : v > hi)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "index param '", key, "': expected a number in [", lo, ", ", hi,
        hi_open ? ")" : "]", " (got '", it->second, "')"));
  }
  return v;
}

sparse::SparseIndexParams ParamsOf(const IndexDef& def) {
  sparse::SparseIndexParams p;
  // Milvus' inverted_index_algo when given (checked when the index was
  // created); otherwise SPARSE_WAND means WAND and SPARSE_INVERTED_INDEX
  // term at a time: on short documents (WordNet's glosses,
  // benchmarks/fulltext_benchmark.cc) that beats MaxScore, whose pruning
  // saves less than its document-at-a-time walk costs. The hits are the
  // same either way.
  p.algo = def.kind == IndexKind::kSparseWand ? sparse::SparseAlgo::kWand
                                              : sparse::SparseAlgo::kTaat;
  auto algo = def.params.find("inverted_index_algo");
  if (algo != def.params.end()) {
    if (algo->second == "TAAT_NAIVE") p.algo = sparse::SparseAlgo::kTaat;
    if (algo->second == "DAAT_WAND") p.algo = sparse::SparseAlgo::kWand;
    if (algo->second == "DAAT_MAXSCORE") p.algo = sparse::SparseAlgo::kMaxScore;
  }
  p.bm25 = def.metric == Metric::kBM25;
  // (Checked when the index was created: SparseParam.)
  auto it = def.params.find("drop_ratio_build");
  double v = 0;
  if (it != def.params.end() && absl::SimpleAtod(it->second, &v)) {
    p.drop_ratio_build = v;
  }
  return p;
}

// Sparse rows of one column (null where a row has none).
std::vector<const SparseVector*> SparseRows(const SegmentData& data, int column,
                                            size_t rows) {
  std::vector<const SparseVector*> out(rows, nullptr);
  for (size_t r = 0; r < rows; ++r) {
    const Value& v = data.columns[column][r];
    if (v.is_sparse_vector()) out[r] = &v.AsSparseVector();
  }
  return out;
}

}  // namespace

absl::Status Collection::CreateSparseIndexLocked(size_t field,
                                                 const IndexDef& spec,
                                                 bool log) {
  const FieldDef& fd = schema_.fields[sparse_field_index_[field]];
  const std::string where = absl::StrCat("index on field '", fd.name, "'");
  IndexDef normalized = spec;
  if (normalized.index_name.empty()) normalized.index_name = fd.name;
  if (normalized.kind == IndexKind::kAutoIndex) {
    normalized.kind = IndexKind::kSparseInvertedIndex;
  }
  if (!IsSparseIndexKind(normalized.kind)) {
    return absl::InvalidArgumentError(absl::StrCat(
        where,
        ": a SPARSE_FLOAT_VECTOR field takes SPARSE_INVERTED_INDEX or "
        "SPARSE_WAND (got another index type)"));
  }
  const bool bm25 = IsBm25Field(field);
  const Metric want = bm25 ? Metric::kBM25 : Metric::kIP;
  if (normalized.metric != want) {
    return absl::InvalidArgumentError(
        absl::StrCat(where, ": metric_type must be ", MetricName(want),
                     " (got ", MetricName(normalized.metric), ")"));
  }
  for (const auto& [key, value] : normalized.params) {
    const bool known = key == "drop_ratio_build" ||
                       key == "inverted_index_algo" ||
                       (bm25 && (key == "bm25_k1" || key == "bm25_b"));
    if (!known) {
      return absl::InvalidArgumentError(absl::StrCat(
          where, ": unsupported index param '", key, "' (expected ",
          bm25 ? "drop_ratio_build, inverted_index_algo, bm25_k1 or bm25_b"
               : "drop_ratio_build or inverted_index_algo",
          ")"));
    }
    // Milvus' query algorithms (ParamsOf): every one returns the same hits.
    if (key == "inverted_index_algo" && value != "DAAT_MAXSCORE" &&
        value != "DAAT_WAND" && value != "TAAT_NAIVE") {
      return absl::InvalidArgumentError(absl::StrCat(
          where,
          ": index param 'inverted_index_algo': expected DAAT_MAXSCORE, "
          "DAAT_WAND or TAAT_NAIVE (got '",
          value, "')"));
    }
  }
  COVE_RETURN_IF_ERROR(
      SparseParam(normalized, "drop_ratio_build", 0, 1, true).status());
  COVE_RETURN_IF_ERROR(
      SparseParam(normalized, "bm25_k1", 0, 3, false).status());
  COVE_RETURN_IF_ERROR(SparseParam(normalized, "bm25_b", 0, 1, false).status());
  COVE_ASSIGN_OR_RETURN(
      bool same,
      HasSameIndexLocked(state_->meta->sparse[field], normalized, fd.name));
  if (same) return absl::OkStatus();
  COVE_ASSIGN_OR_RETURN(
      const uint64_t generation,
      PublishIndexLocked(&CollectionMeta::sparse, field, normalized, log));
  for (const auto& seg : state_->segments) {
    if (seg->sealed && seg->rows > 0) {
      ScheduleSparseBuild(seg->id, field, generation);
    }
  }
  return absl::OkStatus();
}

absl::Status Collection::DropSparseIndexLocked(size_t field, bool log) {
  return UnpublishIndexLocked(
      &CollectionMeta::sparse, field, log,
      [field](const SegmentView& v) {
        return v.SparseIndexOf(field) != nullptr;
      },
      [field](SegmentView* v) { v->sparse_index[field] = nullptr; });
}

void Collection::ScheduleSparseBuild(int64_t segment, size_t field,
                                     uint64_t generation) {
  Submit([this, segment, field, generation] {
    SparseBuildJob(segment, field, generation);
  });
}

void Collection::SparseBuildJob(int64_t segment, size_t field,
                                uint64_t generation) {
  std::shared_ptr<const CollectionState> state = Snapshot();
  const FieldIndexState& spec = state->meta->sparse[field];
  if (!spec.has_index || spec.generation != generation) return;
  const int pos = state->Find(segment);
  if (pos < 0) return;  // compacted away meanwhile
  const SegmentView& seg = *state->segments[pos];
  if (!seg.sealed || seg.SparseIndexOf(field) != nullptr) return;
  std::shared_ptr<const sparse::SparseIndex> index = sparse::SparseIndex::Build(
      SparseRows(*seg.data, sparse_field_index_[field], seg.rows),
      ParamsOf(spec.spec));
  absl::MutexLock lock(&mu_);
  const FieldIndexState& now = state_->meta->sparse[field];
  const int now_pos = state_->Find(segment);
  if (!now.has_index || now.generation != generation || now_pos < 0) return;
  std::shared_ptr<const CollectionState> old;
  absl::MutexLock slock(&state_mu_);
  Batch batch(*state_);
  SegmentView* view = batch.View(now_pos);
  if (view->sparse_index.size() <= field) view->sparse_index.resize(field + 1);
  view->sparse_index[field] = std::move(index);
  old = std::move(state_);
  state_ = std::move(batch.next);
}

std::optional<IndexDef> Collection::SparseIndexOf(size_t field) const {
  std::shared_ptr<const CollectionState> state = Snapshot();
  if (field >= state->meta->sparse.size() ||
      !state->meta->sparse[field].has_index) {
    return std::nullopt;
  }
  return state->meta->sparse[field].spec;
}

std::shared_ptr<const text::Analyzer> Collection::AnalyzerOf(int column) const {
  if (column < 0 || static_cast<size_t>(column) >= analyzers_.size()) {
    return nullptr;
  }
  return analyzers_[column];
}

void Collection::ApplyFunctions(std::vector<std::vector<Value>>* rows) const {
  for (size_t f = 0; f < sparse_field_index_.size(); ++f) {
    const int input = bm25_input_[f];
    if (input < 0) continue;
    const text::Analyzer* analyzer = analyzers_[input].get();
    const int output = sparse_field_index_[f];
    for (std::vector<Value>& row : *rows) {
      std::vector<std::pair<uint64_t, double>> counts;
      if (analyzer != nullptr && row[input].is_string()) {
        absl::flat_hash_map<uint32_t, double> tf;
        for (const std::string& token :
             analyzer->Analyze(row[input].AsString())) {
          tf[text::TermId(token)] += 1;
        }
        counts.assign(tf.begin(), tf.end());
      }
      // Term ids are below 2^32 and distinct: this cannot fail.
      auto v = sparse::FromPairs(std::move(counts), "bm25");
      row[output] = Value::Sparse(v.ok() ? *std::move(v) : SparseVector());
    }
  }
}

Bm25Stats Collection::ComputeBm25Stats(
    const CollectionState& state, size_t field,
    const std::vector<uint32_t>& terms) const {
  Bm25Stats stats;
  const int column = sparse_field_index_[field];
  for (uint32_t t : terms) stats.doc_freq[t] = 0;
  for (const auto& seg : state.segments) {
    const Bitset* deleted = seg->num_deleted > 0 ? seg->deleted.get() : nullptr;
    const sparse::SparseIndex* index = seg->SparseIndexOf(field);
    if (index != nullptr && deleted == nullptr) {
      stats.documents += static_cast<int64_t>(seg->rows);
      stats.total_length += index->total_length();
      for (auto& [t, df] : stats.doc_freq) {
        df += static_cast<int64_t>(index->DocFreq(t, nullptr));
      }
      continue;
    }
    for (size_t r = 0; r < seg->rows; ++r) {
      if (deleted != nullptr && deleted->Test(r)) continue;
      const Value& v = seg->data->columns[column][r];
      if (!v.is_sparse_vector()) continue;
      const SparseVector& row = v.AsSparseVector();
      ++stats.documents;
      stats.total_length += sparse::RowLength(row);
      for (auto& [t, df] : stats.doc_freq) {
        if (std::binary_search(row.indices.begin(), row.indices.end(), t)) {
          ++df;
        }
      }
    }
  }
  return stats;
}

absl::StatusOr<SearchHits> Collection::Search(
    const SparseSearchSpec& spec,
    const std::shared_ptr<const CollectionState>& pinned) const {
  if (spec.grouping.field >= 0) return SearchGrouped(spec, pinned);
  if (spec.field >= sparse_field_index_.size()) {
    return absl::InvalidArgumentError(
        absl::StrCat("search field: collection '", name(), "' has ",
                     sparse_field_index_.size(),
                     " sparse vector fields (got position ", spec.field, ")"));
  }
  const size_t field = spec.field;
  const int column = sparse_field_index_[field];
  const std::string& field_name = schema_.fields[column].name;
  SearchHits out;
  out.state = pinned != nullptr ? pinned : Snapshot();
  const CollectionState& state = *out.state;
  const CollectionMeta& meta = *state.meta;
  if (!meta.loaded) {
    return absl::FailedPreconditionError(
        absl::StrCat("search: collection '", name(),
                     "' is not loaded (call LoadCollection)"));
  }
  const FieldIndexState& index_state = meta.sparse[field];
  const Metric metric = index_state.spec.metric;
  if (spec.metric.has_value() && *spec.metric != metric) {
    return absl::InvalidArgumentError(
        absl::StrCat("search metric_type: the index uses ", MetricName(metric),
                     " (got ", MetricName(*spec.metric), ")"));
  }
  if (!(spec.drop_ratio_search >= 0 && spec.drop_ratio_search < 1)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "search param 'drop_ratio_search': expected a number in [0, 1) (got ",
        spec.drop_ratio_search, ")"));
  }
  const bool bm25 = metric == Metric::kBM25;
  std::vector<sparse::SparseQuery> queries;
  if (bm25) {
    if (!spec.queries.empty() || spec.texts.empty()) {
      return absl::InvalidArgumentError(absl::StrCat(
          "search data: field '", field_name,
          "' is the output of a BM25 function; search it with query texts"));
    }
    sparse::Bm25Params params;
    auto number = [&](const char* key, float fallback) {
      auto it = index_state.spec.params.find(key);
      double v = fallback;
      if (it != index_state.spec.params.end() &&
          !absl::SimpleAtod(it->second, &v)) {
        v = fallback;  // (checked when the index was created)
      }
      return static_cast<float>(v);
    };
    params.k1 = spec.bm25_k1.value_or(number("bm25_k1", 1.2f));
    params.b = spec.bm25_b.value_or(number("bm25_b", 0.75f));
    const text::Analyzer* analyzer = analyzers_[bm25_input_[field]].get();
    std::vector<absl::flat_hash_map<uint32_t, double>> counts(
        spec.texts.size());
    std::vector<uint32_t> terms;
    for (size_t q = 0; q < spec.texts.size(); ++q) {
      for (const std::string& token : analyzer->Analyze(spec.texts[q])) {
        const uint32_t t = text::TermId(token);
        if (counts[q].emplace(t, 0).second) terms.push_back(t);
        counts[q][t] += 1;
      }
    }
    std::sort(terms.begin(), terms.end());
    terms.erase(std::unique(terms.begin(), terms.end()), terms.end());
    const Bm25Stats stats = ComputeBm25Stats(state, field, terms);
    for (size_t q = 0; q < spec.texts.size(); ++q) {
      std::vector<std::pair<uint64_t, double>> weights;
      for (const auto& [t, n] : counts[q]) {
        weights.emplace_back(
            t, n * sparse::Bm25Idf(static_cast<double>(stats.documents),
                                   static_cast<double>(stats.doc_freq.at(t))));
      }
      COVE_ASSIGN_OR_RETURN(SparseVector w,
                            sparse::FromPairs(std::move(weights), "bm25"));
      sparse::SparseQuery query;
      query.weights = sparse::DropSmallest(w, spec.drop_ratio_search);
      query.bm25 = params;
      query.avgdl = static_cast<float>(stats.avgdl());
      query.radius = spec.radius;
      query.range_filter = spec.range_filter;
      queries.push_back(std::move(query));
    }
  } else {
    if (!spec.texts.empty() || spec.queries.empty()) {
      return absl::InvalidArgumentError(
          absl::StrCat("search data: field '", field_name,
                       "' is searched with sparse vectors (got ",
                       spec.texts.empty() ? "none" : "texts", ")"));
    }
    for (size_t q = 0; q < spec.queries.size(); ++q) {
      COVE_RETURN_IF_ERROR(
          sparse::Check(spec.queries[q], absl::StrCat("search data ", q)));
      sparse::SparseQuery query;
      query.weights =
          sparse::DropSmallest(spec.queries[q], spec.drop_ratio_search);
      query.radius = spec.radius;
      query.range_filter = spec.range_filter;
      queries.push_back(std::move(query));
    }
  }
  COVE_ASSIGN_OR_RETURN(std::vector<bool> keep,
                        ReadMask(meta, spec.partitions, spec.filter));
  const std::vector<Target> targets =
      Targets(state, spec.filter, keep.empty() ? nullptr : &keep);
  // Growing segments and sealed ones whose build is pending are scanned.
  std::vector<std::vector<const SparseVector*>> scan_rows(targets.size());
  for (size_t t = 0; t < targets.size(); ++t) {
    if (targets[t].seg->SparseIndexOf(field) == nullptr) {
      scan_rows[t] =
          SparseRows(*targets[t].seg->data, column, targets[t].seg->rows);
    }
  }
  out.hits.resize(queries.size());
  for (size_t q = 0; q < queries.size(); ++q) {
    struct Found {
      float score;
      uint32_t target;
      uint32_t row;
    };
    std::vector<Found> found;
    for (size_t t = 0; t < targets.size(); ++t) {
      const Target& target = targets[t];
      const Bitset* allowed =
          target.allowed.has_value() ? &*target.allowed : nullptr;
      const sparse::SparseIndex* index = target.seg->SparseIndexOf(field);
      std::vector<Neighbor> hits =
          index != nullptr ? index->Search(queries[q], spec.k, allowed)
                           : sparse::ExactSearch(scan_rows[t], bm25, queries[q],
                                                 spec.k, allowed);
      for (const Neighbor& nb : hits) {
        found.push_back(Found{nb.score, static_cast<uint32_t>(t), nb.row});
      }
    }
    const size_t keep_n = std::min(spec.k, found.size());
    std::partial_sort(found.begin(), found.begin() + keep_n, found.end(),
                      [](const Found& a, const Found& b) {
                        if (a.score != b.score) return a.score > b.score;
                        if (a.target != b.target) return a.target < b.target;
                        return a.row < b.row;
                      });
    found.resize(keep_n);
    for (const Found& f : found) {
      out.hits[q].push_back(
          ScoredRow{RowRef{targets[f.target].pos, f.row}, f.score});
    }
  }
  return out;
}

}  // namespace cove::engine
