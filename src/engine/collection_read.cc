// Reads of a collection: searches and queries over one immutable state.
//
// A search has one scan path: every segment with rows left after tombstones,
// partitions and the filter is a target; each target answers every query of
// the batch (from its index, by an exact scan, or, for ordered searches, by
// scoring every allowed row), and the candidates of all targets are merged
// per query.
#include <algorithm>
#include <cmath>
#include <cstring>
#include <optional>
#include <thread>
#include <utility>

#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "engine/collection.h"
#include "engine/collection_internal.h"
#include "engine/indexes/bin_index.h"
#include "engine/indexes/flat_index.h"
#include "engine/indexes/half_flat.h"

namespace cove::engine {
namespace {

absl::Status NotLoaded(const char* verb, const std::string& name) {
  return absl::FailedPreconditionError(absl::StrCat(
      verb, ": collection '", name, "' is not loaded (call LoadCollection)"));
}

// Row access for filters: field values straight from a segment's columns.
class ColumnRow : public expr::RowAccessor {
 public:
  explicit ColumnRow(const SegmentView& seg)
      : columns_(&seg.data->columns), seg_(&seg) {}
  void set_row(uint32_t row) { row_ = row; }
  const Value& Get(int field_index) const override {
    return (*columns_)[field_index][row_];
  }
  // TEXT_MATCH through the segment's text index: the rows of a node are
  // the union of its terms' postings, computed once per segment.
  std::optional<bool> TextMatch(int field_index,
                                const std::vector<uint32_t>& terms,
                                const void* key) const override {
    const text::TextIndex* index = seg_->TextIndexOf(field_index);
    if (index == nullptr || row_ >= index->size()) return std::nullopt;
    auto it = matched_.find(key);
    if (it == matched_.end()) {
      Bitset rows(index->size(), false);
      index->MatchAny(terms, &rows);
      it = matched_.emplace(key, std::move(rows)).first;
    }
    return it->second.Test(row_);
  }

 private:
  const std::vector<std::vector<Value>>* columns_;
  const SegmentView* seg_;
  uint32_t row_ = 0;
  mutable absl::flat_hash_map<const void*, Bitset> matched_;
};

// The scalar indexes of a segment, for set evaluation of a filter
// (CompiledFilter::FilterIndexed); other leaves read the columns.
class SegmentIndexes : public expr::IndexedRows {
 public:
  explicit SegmentIndexes(const SegmentView& seg) : seg_(seg), row_(seg) {}
  bool Indexed(int field) const override {
    const ScalarIndex* index = seg_.ScalarIndexOf(field);
    return index != nullptr && index->size() == seg_.rows;
  }
  bool Answer(const expr::IndexQuery& q, Bitset* true_rows,
              const Bitset** nulls) const override {
    const ScalarIndex* index = seg_.ScalarIndexOf(q.field);
    if (index == nullptr || !index->Answer(q, true_rows)) return false;
    *nulls = &index->nulls();
    return true;
  }
  const expr::RowAccessor& At(uint32_t row) override {
    row_.set_row(row);
    return row_;
  }

 private:
  const SegmentView& seg_;
  ColumnRow row_;
};

// A search batch is split across threads only in slices of at least this
// many queries.
constexpr size_t kMinQueriesPerThread = 8;

// A hit of one target before the merge.
struct Candidate {
  float key;  // smaller is closer
  uint32_t target;
  uint32_t row;
  float score;
};

}  // namespace

Bitset Collection::Matching(const SegmentView& seg,
                            const expr::CompiledFilter* filter,
                            const std::vector<bool>* partitions) const {
  Bitset allowed(seg.rows, true);
  if (seg.num_deleted > 0) allowed.AndNot(*seg.deleted);
  if (partitions != nullptr) {
    size_t kept = 0;
    for (bool k : *partitions) kept += k ? 1 : 0;
    if (seg.sealed && kept * 8 <= partitions->size()) {
      // A few partitions of a sealed segment (partition key pruning): only
      // their rows, from the segment's rows by partition.
      const SegmentData::PartitionRows& by_partition =
          seg.data->SealedPartitionRows(seg.rows);
      Bitset only(seg.rows, false);
      const size_t ids =
          std::min(partitions->size(), by_partition.start.size() - 1);
      for (size_t p = 0; p < ids; ++p) {
        if (!(*partitions)[p]) continue;
        for (uint32_t i = by_partition.start[p]; i < by_partition.start[p + 1];
             ++i) {
          only.Set(by_partition.rows[i]);
        }
      }
      allowed.And(only);
    } else {
      // A byte per partition: the row loop has no branch.
      std::vector<uint8_t> keep(partitions->begin(), partitions->end());
      const uint16_t* part = seg.data->partition.data();
      const uint8_t* k = keep.data();
      allowed.AndWith([&](size_t r) { return k[part[r]]; });
    }
  }
  if (filter == nullptr) return allowed;
  if (!seg.scalar_index.empty()) {
    SegmentIndexes indexes(seg);
    if (filter->FilterIndexed(indexes, &allowed)) return allowed;
  }
  ColumnRow accessor(seg);
  allowed.ForEachSet([&](size_t r) {
    accessor.set_row(static_cast<uint32_t>(r));
    if (!filter->Matches(accessor)) allowed.Reset(r);
  });
  return allowed;
}

std::vector<Collection::Target> Collection::Targets(
    const CollectionState& state, const expr::CompiledFilter* filter,
    const std::vector<bool>* partitions) const {
  std::vector<Target> targets;
  targets.reserve(state.segments.size());
  for (size_t pos = 0; pos < state.segments.size(); ++pos) {
    const SegmentView* seg = state.segments[pos].get();
    if (seg->live() == 0) continue;
    Target t{static_cast<uint32_t>(pos), seg, std::nullopt};
    if (filter != nullptr || partitions != nullptr || seg->num_deleted > 0) {
      t.allowed = Matching(*seg, filter, partitions);
      if (t.allowed->Count() == 0) continue;
    }
    targets.push_back(std::move(t));
  }
  return targets;
}

Value Collection::ValueAt(const CollectionState& state, RowRef ref,
                          int column) const {
  const SegmentView& seg = *state.segments[ref.segment];
  for (size_t f = 0; f < vector_field_index_.size(); ++f) {
    if (vector_field_index_[f] != column) continue;
    const float* v = seg.vectors[f]->row(ref.row);
    if (IsBinaryField(f)) {
      const auto* b = reinterpret_cast<const uint8_t*>(v);
      return Value::BinaryVector(
          std::vector<uint8_t>(b, b + vector_binary_bytes_[f]));
    }
    if (vector_half_[f].has_value()) {
      std::vector<uint16_t> bits(vector_elems_[f]);
      std::memcpy(bits.data(), v, bits.size() * sizeof(uint16_t));
      return *vector_half_[f] == HalfType::kFloat16
                 ? Value::Float16Vector(std::move(bits))
                 : Value::BFloat16Vector(std::move(bits));
    }
    return Value::FloatVector(std::vector<float>(v, v + vector_dims_[f]));
  }
  return seg.data->columns[column][ref.row];
}

absl::StatusOr<SearchHits> Collection::Search(
    const SearchSpec& spec,
    const std::shared_ptr<const CollectionState>& pinned) const {
  if (spec.grouping.field >= 0) return SearchGrouped(spec, pinned);
  if (spec.field >= vector_dims_.size()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "search field: collection '", name(), "' has ", vector_dims_.size(),
        " vector fields (got position ", spec.field, ")"));
  }
  const size_t field = spec.field;
  const size_t dim = vector_dims_[field];
  const size_t nq = spec.num_queries;
  if (spec.queries == nullptr || nq == 0) {
    return absl::InvalidArgumentError("search vectors: no query vectors");
  }
  if (spec.after.has_value() && !spec.exact_ordered) {
    return absl::InvalidArgumentError(
        "search search_after: only a read-session search takes a cursor "
        "(session_id is empty)");
  }
  // Everything below reads this snapshot only: no lock is held.
  SearchHits out;
  out.state = pinned != nullptr ? pinned : Snapshot();
  const CollectionState& state = *out.state;
  const CollectionMeta& meta = *state.meta;
  if (!(pinned != nullptr ? loaded() : meta.loaded)) {
    return NotLoaded("search", name());
  }
  const Metric metric = meta.fields[field].spec.metric;
  if (spec.metric.has_value() && *spec.metric != metric) {
    return absl::InvalidArgumentError(
        absl::StrCat("search metric_type: the index uses ", MetricName(metric),
                     " (got ", MetricName(*spec.metric), ")"));
  }
  const bool binary = IsBinaryField(field);
  if (binary &&
      (metric == Metric::kSubstructure || metric == Metric::kSuperstructure) &&
      (spec.radius.has_value() || spec.range_filter.has_value())) {
    return absl::InvalidArgumentError(absl::StrCat(
        "search params: range search (radius, range_filter) is not supported "
        "with metric ",
        MetricName(metric), " (expected HAMMING or JACCARD)"));
  }
  const bool int_pk = schema_.fields[pk_index_].type == DataType::kInt64;
  std::optional<float> after_key;
  const bool larger_is_closer = LargerIsCloser(metric);
  if (spec.after.has_value()) {
    const SearchCursor& after = *spec.after;
    if (int_pk ? !after.id.is_int() : !after.id.is_string()) {
      return absl::InvalidArgumentError(
          absl::StrCat("search search_after.id: expected ",
                       int_pk ? "an INT64" : "a VARCHAR", " primary key (got ",
                       after.id.ToJson(), ")"));
    }
    if (!std::isfinite(after.score)) {
      return absl::InvalidArgumentError(
          "search search_after.distance: expected a finite number");
    }
    after_key = larger_is_closer ? -after.score : after.score;
  }
  COVE_ASSIGN_OR_RETURN(std::vector<bool> keep,
                        ReadMask(meta, spec.partitions, spec.filter));
  const std::vector<Target> targets =
      Targets(state, spec.filter, keep.empty() ? nullptr : &keep);

  // The queries as indexes take them: COSINE ones at unit length.
  const bool cosine = metric == Metric::kCosine;
  const std::optional<HalfType> half = vector_half_[field];
  std::vector<float> queries;
  // 16-bit fields: the queries rounded to the field's type (exact when they
  // came as 16-bit values), zero-padded to the even row width of the
  // storage (hd values: the pad adds nothing to L2 or IP), and for COSINE
  // their inverse norms (rows and queries stay as they are).
  const size_t hd = 2 * dim;
  std::vector<uint16_t> half_queries;
  std::vector<float> query_inv_norm;
  std::vector<uint16_t> half_unit_queries;  // COSINE, for an index
  if (half.has_value()) {
    const size_t elems = vector_elems_[field];
    half_queries.assign(nq * hd, 0);
    if (cosine) half_unit_queries.assign(nq * hd, 0);
    query_inv_norm.assign(nq, 1.0f);
    for (size_t q = 0; q < nq; ++q) {
      for (size_t i = 0; i < elems; ++i) {
        half_queries[q * hd + i] =
            FloatToHalf(*half, spec.queries[q * elems + i]);
      }
      if (cosine) {
        const float n = HalfNorm(*half, half_queries.data() + q * hd, hd);
        query_inv_norm[q] = n > 0 ? 1.0f / n : 0.0f;
        for (size_t i = 0; i < elems; ++i) {
          half_unit_queries[q * hd + i] =
              FloatToHalf(*half, HalfToFloat(*half, half_queries[q * hd + i]) *
                                     query_inv_norm[q]);
        }
      }
    }
  } else {
    queries.assign(spec.queries, spec.queries + nq * dim);
  }
  if (cosine && !half.has_value()) {
    for (size_t q = 0; q < nq; ++q) {
      float* v = queries.data() + q * dim;
      const float n = Norm(v, dim);
      if (n > 0) {
        for (size_t i = 0; i < dim; ++i) v[i] /= n;
      }
    }
  }
  IndexSearchParams params;
  params.k = spec.k;
  params.ef = spec.ef;
  params.nprobe = spec.nprobe;
  params.rerank = spec.rerank;
  params.radius = spec.radius;
  params.range_filter = spec.range_filter;

  auto key_of = [&](const Target& t, uint32_t row) -> const Value& {
    return t.seg->data->columns[pk_index_][row];
  };
  auto key_less = [int_pk](const Value& a, const Value& b) {
    return int_pk ? a.AsInt() < b.AsInt() : a.AsString() < b.AsString();
  };
  // Ordered searches score every allowed row, the same way on every page, so
  // that pages split one total order (distance, then primary key) and never
  // drop a row that an approximate index would have missed.
  const DistanceFn score_fn =
      metric == Metric::kL2 ? L2SqrFunction() : InnerProductFunction();
  const HalfDistanceFn half_score_fn = !half.has_value() ? nullptr
                                       : metric == Metric::kL2
                                           ? HalfL2SqrFunction(*half)
                                           : HalfInnerProductFunction(*half);
  auto in_range = [&](float score) {
    // Milvus range semantics: L2 keeps range_filter <= d < radius; IP and
    // COSINE keep radius < s <= range_filter.
    if (params.radius.has_value() &&
        (larger_is_closer ? !(score > *params.radius)
                          : !(score < *params.radius))) {
      return false;
    }
    if (params.range_filter.has_value() &&
        (larger_is_closer ? !(score <= *params.range_filter)
                          : !(score >= *params.range_filter))) {
      return false;
    }
    return true;
  };

  // Queries [q0, q1) against every target: each target answers the whole
  // batch (an ordered scan, its index, or the blocked exact kernel), then
  // the candidates are merged per query.
  out.hits.resize(nq);
  auto run = [&](size_t q0, size_t q1) {
    std::vector<std::vector<Candidate>> found(q1 - q0);
    auto add = [&](size_t q, size_t t, const std::vector<Neighbor>& hits) {
      for (const Neighbor& nb : hits) {
        found[q - q0].push_back(
            Candidate{larger_is_closer ? -nb.score : nb.score,
                      static_cast<uint32_t>(t), nb.row, nb.score});
      }
    };
    for (size_t t = 0; t < targets.size(); ++t) {
      const Target& target = targets[t];
      const SegmentView& seg = *target.seg;
      const Bitset* allowed =
          target.allowed.has_value() ? &*target.allowed : nullptr;
      if (spec.exact_ordered) {
        const float* base = seg.vectors[field]->data();
        const auto* base16 = reinterpret_cast<const uint16_t*>(base);
        const float* inv_norm = seg.data->vectors[field].inv_norm.data();
        for (size_t q = q0; q < q1; ++q) {
          auto visit = [&](size_t r) {
            float score;
            if (binary) {
              const size_t stride = dim * sizeof(float);
              if (!BinaryScoreOne(
                      metric,
                      reinterpret_cast<const uint8_t*>(queries.data() +
                                                       q * dim),
                      reinterpret_cast<const uint8_t*>(base) + r * stride,
                      stride, &score)) {
                return;
              }
            } else if (half.has_value()) {
              score = half_score_fn(half_queries.data() + q * hd,
                                    base16 + r * hd, hd);
              if (cosine) score *= query_inv_norm[q];
            } else {
              score = score_fn(queries.data() + q * dim, base + r * dim, dim);
            }
            if (cosine) score *= inv_norm[r];
            if (!in_range(score)) return;
            const float key = larger_is_closer ? -score : score;
            if (after_key.has_value() &&
                (key < *after_key ||
                 (key == *after_key &&
                  !key_less(spec.after->id,
                            key_of(target, static_cast<uint32_t>(r)))))) {
              return;
            }
            found[q - q0].push_back(Candidate{key, static_cast<uint32_t>(t),
                                              static_cast<uint32_t>(r), score});
          };
          if (allowed != nullptr) {
            allowed->ForEachSet(visit);
          } else {
            for (size_t r = 0; r < seg.rows; ++r) visit(r);
          }
        }
        continue;
      }
      IndexSearchParams p = params;
      p.allowed = allowed;
      const VectorIndex* index = seg.index[field].get();
      if (binary) {
        // BIN_IVF_FLAT lists, or BIN_FLAT: a scan of the segment's codes.
        BinaryView view;
        view.data =
            reinterpret_cast<const uint8_t*>(seg.vectors[field]->data());
        view.n = seg.rows;
        view.stride = dim * sizeof(float);
        view.metric = metric;
        for (size_t q = q0; q < q1; ++q) {
          const float* query = queries.data() + q * dim;
          add(q, t,
              index != nullptr
                  ? index->Search(query, p)
                  : BinaryExactSearch(
                        view, reinterpret_cast<const uint8_t*>(query), p));
        }
        continue;
      }
      if (index != nullptr && !half.has_value()) {
        if (const auto* flat = dynamic_cast<const FlatIndex*>(index)) {
          // FLAT: the batch goes through the blocked matrix kernel.
          std::vector<std::vector<Neighbor>> hits =
              flat->SearchBatch(queries.data() + q0 * dim, q1 - q0, p);
          for (size_t q = q0; q < q1; ++q) add(q, t, hits[q - q0]);
          continue;
        }
        for (size_t q = q0; q < q1; ++q) {
          add(q, t, index->Search(queries.data() + q * dim, p));
        }
        continue;
      }
      if (half.has_value() && index != nullptr) {
        // 16-bit rows walked by HNSW or scanned by an IVF index: queries
        // packed as the rows (COSINE: at unit length, as the index was
        // built).
        const std::vector<uint16_t>& iq =
            cosine ? half_unit_queries : half_queries;
        for (size_t q = q0; q < q1; ++q) {
          add(q, t,
              index->Search(reinterpret_cast<const float*>(iq.data() + q * hd),
                            p));
        }
        continue;
      }
      if (half.has_value()) {
        // 16-bit rows: FLAT, a scan with the 16-bit kernels.
        HalfExactView view;
        view.data =
            reinterpret_cast<const uint16_t*>(seg.vectors[field]->data());
        view.n = seg.rows;
        view.dim = hd;
        view.type = *half;
        view.metric = metric;
        view.inv_norm = seg.data->vectors[field].inv_norm.data();
        for (size_t q = q0; q < q1; ++q) {
          add(q, t,
              HalfExactSearch(view, half_queries.data() + q * hd,
                              query_inv_norm[q], p));
        }
        continue;
      }
      // Growing segment, or a sealed one whose index is being built: the
      // batch goes through the blocked matrix kernel.
      ExactView view;
      view.data = seg.vectors[field]->data();
      view.n = seg.rows;
      view.dim = dim;
      view.metric = metric;
      view.max_norm = cosine ? 1.0f : seg.max_norm[field];
      view.scale = cosine ? seg.data->vectors[field].inv_norm.data() : nullptr;
      std::vector<std::vector<Neighbor>> hits =
          ExactSearchBatch(view, queries.data() + q0 * dim, q1 - q0, p);
      for (size_t q = q0; q < q1; ++q) add(q, t, hits[q - q0]);
    }
    for (size_t q = q0; q < q1; ++q) {
      std::vector<Candidate>& cand = found[q - q0];
      const size_t want = std::min(cand.size(), params.k);
      auto closer = [&](const Candidate& a, const Candidate& b) {
        if (a.key != b.key) return a.key < b.key;
        if (spec.exact_ordered) {
          return key_less(key_of(targets[a.target], a.row),
                          key_of(targets[b.target], b.row));
        }
        if (a.target != b.target) return a.target < b.target;
        return a.row < b.row;
      };
      std::partial_sort(cand.begin(), cand.begin() + want, cand.end(), closer);
      std::vector<ScoredRow>& hits = out.hits[q];
      hits.reserve(want);
      for (size_t i = 0; i < want; ++i) {
        hits.push_back(ScoredRow{
            RowRef{targets[cand[i].target].pos, cand[i].row}, cand[i].score});
      }
    }
  };
  // A batch runs on every thread it is allowed, in contiguous slices (each
  // big enough for the blocked kernel).
  size_t threads = context_.search_threads > 0
                       ? static_cast<size_t>(context_.search_threads)
                       : std::max(1u, std::thread::hardware_concurrency());
  threads = std::min(threads, nq / kMinQueriesPerThread);
  if (threads <= 1) {
    run(0, nq);
    return out;
  }
  std::vector<std::thread> workers;
  const size_t per = (nq + threads - 1) / threads;
  for (size_t q0 = per; q0 < nq; q0 += per) {
    workers.emplace_back(run, q0, std::min(nq, q0 + per));
  }
  run(0, std::min(nq, per));
  for (std::thread& w : workers) w.join();
  return out;
}

absl::StatusOr<QueryRows> Collection::Query(
    const QuerySpec& spec,
    const std::shared_ptr<const CollectionState>& pinned) const {
  QueryRows out;
  std::vector<Loc> locs;
  if (pinned != nullptr) {
    // The pk maps describe the current state: find the ids in the pinned
    // one by a scan.
    out.state = pinned;
    if (!loaded()) return NotLoaded("query", name());
    if (spec.by_ids) locs = LookupIdsIn(*out.state, spec.ids);
  } else if (spec.by_ids) {
    // The key lookups and the snapshot under one lock: they agree.
    absl::ReaderMutexLock lock(&state_mu_);
    out.state = state_;
    locs = LookupIds(spec.ids);
  } else {
    out.state = Snapshot();
  }
  const CollectionState& state = *out.state;
  const CollectionMeta& meta = *state.meta;
  if (!meta.loaded) return NotLoaded("query", name());
  COVE_ASSIGN_OR_RETURN(std::vector<bool> keep,
                        ReadMask(meta, spec.partitions, spec.filter));
  std::vector<RowRef>& rows = out.rows;
  if (spec.by_ids) {
    for (Loc loc : locs) {
      const int pos = state.Find(LocSegment(loc));
      if (pos < 0) continue;
      const SegmentView& seg = *state.segments[pos];
      const uint32_t r = LocRow(loc);
      if (r >= seg.rows || seg.deleted->Test(r)) continue;
      if (!keep.empty() && !keep[seg.data->partition[r]]) continue;
      if (spec.filter != nullptr) {
        ColumnRow accessor(seg);
        accessor.set_row(r);
        if (!spec.filter->Matches(accessor)) continue;
      }
      rows.push_back(RowRef{static_cast<uint32_t>(pos), r});
    }
  } else {
    for (const Target& t :
         Targets(state, spec.filter, keep.empty() ? nullptr : &keep)) {
      if (t.allowed.has_value()) {
        t.allowed->ForEachSet([&](size_t r) {
          rows.push_back(RowRef{t.pos, static_cast<uint32_t>(r)});
        });
      } else {
        for (size_t r = 0; r < t.seg->rows; ++r) {
          rows.push_back(RowRef{t.pos, static_cast<uint32_t>(r)});
        }
      }
    }
  }
  out.count = static_cast<int64_t>(rows.size());
  if (spec.count_only) {
    rows.clear();
    return out;
  }
  auto key = [&](const RowRef& at) -> const Value& {
    return state.segments[at.segment]->data->columns[pk_index_][at.row];
  };
  const size_t begin = std::min(rows.size(), spec.offset);
  const size_t end =
      spec.limit > 0 ? std::min(rows.size(), begin + spec.limit) : rows.size();
  if (!spec.by_ids) {
    // Results come in primary-key order, so that offset/limit pages are
    // stable and iterators can resume after the last key.
    auto sort_rows = [&](auto less) {
      if (end < rows.size()) {
        std::partial_sort(rows.begin(), rows.begin() + end, rows.end(), less);
      } else {
        std::sort(rows.begin(), rows.end(), less);
      }
    };
    if (schema_.fields[pk_index_].type == DataType::kInt64) {
      sort_rows([&](const RowRef& a, const RowRef& b) {
        return key(a).AsInt() < key(b).AsInt();
      });
    } else {
      sort_rows([&](const RowRef& a, const RowRef& b) {
        return key(a).AsString() < key(b).AsString();
      });
    }
  }
  rows.erase(rows.begin() + end, rows.end());
  rows.erase(rows.begin(), rows.begin() + begin);
  return out;
}

}  // namespace cove::engine
