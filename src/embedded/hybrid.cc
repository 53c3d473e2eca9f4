// Hybrid search in the embedded backend: each search of the request runs
// as an ordinary search, and their hits are fused per query by Milvus'
// rankers (RRF, or weighted sums of scores normalized by metric).
#include <algorithm>
#include <cmath>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "common/utf8.h"
#include "embedded/requests.h"
#include "engine/collection.h"

namespace cove::internal {
namespace {

constexpr double kPi = 3.14159265358979323846;

// The metric of the index searched by `request` (the request's own when it
// names one).
absl::StatusOr<engine::Metric> MetricOf(const engine::Collection& c,
                                        const SearchRequest& request,
                                        size_t position) {
  const engine::Schema& schema = c.schema();
  const std::string where = absl::StrCat("hybrid search request ", position);
  if (request.anns_field.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat(where, ": anns_field is empty (name the vector field)"));
  }
  std::optional<engine::IndexDef> index;
  bool found = false;
  for (size_t f = 0; f < c.vector_fields().size(); ++f) {
    if (schema.fields[c.vector_fields()[f]].name != request.anns_field)
      continue;
    found = true;
    index = c.IndexOf(f);
  }
  for (size_t f = 0; f < c.sparse_fields().size(); ++f) {
    if (schema.fields[c.sparse_fields()[f]].name != request.anns_field)
      continue;
    found = true;
    index = c.SparseIndexOf(f);
  }
  if (!found) {
    return absl::InvalidArgumentError(
        absl::StrCat(where, ": anns_field '", request.anns_field,
                     "' is not a vector field of collection '", c.name(), "'"));
  }
  if (!index.has_value()) {
    return absl::FailedPreconditionError(
        absl::StrCat(where, ": field '", request.anns_field, "' has no index"));
  }
  return index->metric;
}

// Milvus' normalization of a score of `metric` for weighted ranking:
// larger is closer, in [0, 1] when `norm`.
double Normalize(engine::Metric metric, double s, bool norm) {
  if (!norm) return metric == engine::Metric::kL2 ? -s : s;
  switch (metric) {
    case engine::Metric::kCosine:
      return (1 + s) * 0.5;
    case engine::Metric::kIP:
      return 0.5 + std::atan(s) / kPi;
    case engine::Metric::kBM25:
      return 2 * std::atan(s) / kPi;
    default:  // L2: a distance
      return 1.0 - 2 * std::atan(s) / kPi;
  }
}

// Primary keys in order (INT64 by number, VARCHAR by text).
bool KeyLess(const Value& x, const Value& y) {
  if (x.is_int() && y.is_int()) return x.AsInt() < y.AsInt();
  return x.ToJson() < y.ToJson();
}

// Orders fused rows best first; equal scores by primary key.
bool BetterFused(const std::pair<double, Hit>* a,
                 const std::pair<double, Hit>* b) {
  if (a->first != b->first) return a->first > b->first;
  return KeyLess(a->second.id, b->second.id);
}

// The hits of one query of a grouping hybrid search (HybridSearchRequest:
// rows bucketed by group value, best rows first, group_size each; groups
// scored by the scorer and ordered; offset and limit count groups).
std::vector<Hit> GroupFused(
    std::map<std::string, std::pair<double, Hit>>& fused,
    const HybridSearchRequest& request) {
  std::vector<std::pair<double, Hit>*> rows;
  rows.reserve(fused.size());
  for (auto& [key, entry] : fused) rows.push_back(&entry);
  std::sort(rows.begin(), rows.end(), BetterFused);
  struct Group {
    std::vector<std::pair<double, Hit>*> rows;
    double max = 0, sum = 0, score = 0;
  };
  std::map<std::string, Group> by_value;
  std::vector<Group*> groups;
  const size_t size = static_cast<size_t>(request.group_size);
  for (std::pair<double, Hit>* row : rows) {
    auto [it, fresh] =
        by_value.try_emplace(row->second.group_by_value.ToJson());
    Group& g = it->second;
    if (fresh) groups.push_back(&g);
    if (g.rows.size() >= size) continue;
    g.max = g.rows.empty() ? row->first : std::max(g.max, row->first);
    g.sum += row->first;
    g.rows.push_back(row);
  }
  for (Group* g : groups) {
    g->score = request.group_scorer == "sum"   ? g->sum
               : request.group_scorer == "avg" ? g->sum / g->rows.size()
                                               : g->max;
  }
  std::stable_sort(groups.begin(), groups.end(), [](Group* a, Group* b) {
    if (a->score != b->score) return a->score > b->score;
    if (a->rows.size() != b->rows.size()) {
      return a->rows.size() > b->rows.size();
    }
    return KeyLess(a->rows[0]->second.id, b->rows[0]->second.id);
  });
  std::vector<Hit> out;
  const size_t begin =
      std::min(groups.size(), static_cast<size_t>(request.offset));
  const size_t end =
      std::min(groups.size(), begin + static_cast<size_t>(request.limit));
  for (size_t gi = begin; gi < end; ++gi) {
    for (std::pair<double, Hit>* row : groups[gi]->rows) {
      Hit hit = std::move(row->second);
      hit.distance = static_cast<float>(row->first);
      out.push_back(std::move(hit));
    }
  }
  return out;
}

}  // namespace

absl::StatusOr<SearchResults> HybridSearchIn(
    const engine::Collection& collection, const HybridSearchRequest& request) {
  const size_t n = request.requests.size();
  if (n == 0 || n > 1024) {
    return absl::InvalidArgumentError(absl::StrCat(
        "hybrid search requests: expected 1 to 1024 searches (got ", n, ")"));
  }
  if (request.limit < 1 || request.offset < 0 ||
      request.limit + request.offset > kMaxTopK) {
    return absl::InvalidArgumentError(absl::StrCat(
        "hybrid search limit: expected limit >= 1, offset >= 0 and offset + "
        "limit <= ",
        kMaxTopK, " (got limit ", request.limit, ", offset ", request.offset,
        ")"));
  }
  const Ranker& ranker = request.ranker;
  if (ranker.kind == Ranker::Kind::kRRF) {
    if (!(ranker.k > 0 && ranker.k < 16384)) {
      return absl::InvalidArgumentError(absl::StrCat(
          "hybrid search ranker: RRF k must be in (0, 16384) (got ", ranker.k,
          ")"));
    }
  } else {
    if (ranker.weights.size() != n) {
      return absl::InvalidArgumentError(absl::StrCat(
          "hybrid search ranker: WeightedRanker takes one weight per search "
          "(expected ",
          n, ", got ", ranker.weights.size(), ")"));
    }
    for (double w : ranker.weights) {
      if (!(w >= 0 && w <= 1)) {
        return absl::InvalidArgumentError(absl::StrCat(
            "hybrid search ranker: weights must be in [0, 1] (got ", w, ")"));
      }
    }
  }
  const bool grouped = !request.group_by_field.empty();
  if (grouped) {
    const std::string& scorer = request.group_scorer;
    if (scorer != "max" && scorer != "sum" && scorer != "avg") {
      return absl::InvalidArgumentError(absl::StrCat(
          "hybrid search rank_group_scorer: expected max, sum or avg (got '",
          internal::ValidUtf8(scorer), "')"));
    }
    if (request.group_size < 1 ||
        (request.limit + request.offset) * request.group_size > kMaxTopK) {
      return absl::InvalidArgumentError(absl::StrCat(
          "hybrid search group_size: expected at least 1 with (offset + "
          "limit) x group_size at most ",
          kMaxTopK, " (got group_size ", request.group_size, ", offset ",
          request.offset, ", limit ", request.limit, ")"));
    }
  }
  // Per query: the fused score and first entity of each row, by key.
  std::vector<std::map<std::string, std::pair<double, Hit>>> fused;
  size_t nq = 0;
  for (size_t i = 0; i < n; ++i) {
    SearchRequest sub = request.requests[i];
    sub.collection_name = request.collection_name;
    sub.partition_names = request.partition_names;
    sub.output_fields = request.output_fields;
    sub.offset = 0;
    // pymilvus repeats the hybrid search's grouping keys in every search:
    // the same grouping is fine, another one is not.
    const bool same_grouping =
        grouped && sub.group_by_field == request.group_by_field &&
        sub.group_size == request.group_size &&
        sub.strict_group_size == request.strict_group_size;
    if ((!sub.group_by_field.empty() && !same_grouping) ||
        !sub.session_id.empty()) {
      return absl::InvalidArgumentError(absl::StrCat(
          "hybrid search request ", i,
          ": group_by_field and session_id are not taken per search in a "
          "hybrid search (group the hybrid search itself)"));
    }
    if (grouped) {
      sub.group_by_field = request.group_by_field;
      sub.group_size = request.group_size;
      sub.strict_group_size = request.strict_group_size;
    }
    COVE_ASSIGN_OR_RETURN(engine::Metric metric, MetricOf(collection, sub, i));
    absl::StatusOr<SearchResults> results = SearchIn(collection, sub);
    if (!results.ok()) {
      return absl::Status(results.status().code(),
                          absl::StrCat("hybrid search request ", i, ": ",
                                       results.status().message()));
    }
    if (i == 0) {
      nq = results->hits.size();
      fused.resize(nq);
    } else if (results->hits.size() != nq) {
      return absl::InvalidArgumentError(
          absl::StrCat("hybrid search request ", i,
                       ": every search needs the same number "
                       "of queries (expected ",
                       nq, ", got ", results->hits.size(), ")"));
    }
    for (size_t q = 0; q < nq; ++q) {
      std::vector<Hit>& hits = results->hits[q];
      for (size_t rank = 0; rank < hits.size(); ++rank) {
        const double score =
            ranker.kind == Ranker::Kind::kRRF
                ? 1.0 / (ranker.k + static_cast<double>(rank + 1))
                : ranker.weights[i] *
                      Normalize(metric, hits[rank].distance, ranker.norm_score);
        const std::string key = hits[rank].id.ToJson();
        auto it = fused[q].find(key);
        if (it == fused[q].end()) {
          fused[q].emplace(key, std::make_pair(score, std::move(hits[rank])));
        } else {
          it->second.first += score;
        }
      }
    }
  }
  SearchResults out;
  out.hits.resize(nq);
  if (grouped) {
    for (size_t q = 0; q < nq; ++q) {
      out.hits[q] = GroupFused(fused[q], request);
    }
    return out;
  }
  for (size_t q = 0; q < nq; ++q) {
    std::vector<std::pair<double, Hit>*> order;
    for (auto& [key, entry] : fused[q]) order.push_back(&entry);
    // Best first; equal scores by primary key (the map's order is the key's
    // JSON, so compare the ids themselves).
    std::stable_sort(order.begin(), order.end(), BetterFused);
    const size_t begin =
        std::min(order.size(), static_cast<size_t>(request.offset));
    const size_t end =
        std::min(order.size(), begin + static_cast<size_t>(request.limit));
    for (size_t r = begin; r < end; ++r) {
      Hit hit = std::move(order[r]->second);
      hit.distance = static_cast<float>(order[r]->first);
      out.hits[q].push_back(std::move(hit));
    }
  }
  return out;
}

}  // namespace cove::internal
