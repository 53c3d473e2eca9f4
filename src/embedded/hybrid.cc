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
  // Per query: the fused score and first entity of each row, by key.
  std::vector<std::map<std::string, std::pair<double, Hit>>> fused;
  size_t nq = 0;
  for (size_t i = 0; i < n; ++i) {
    SearchRequest sub = request.requests[i];
    sub.collection_name = request.collection_name;
    sub.partition_names = request.partition_names;
    sub.output_fields = request.output_fields;
    sub.offset = 0;
    if (!sub.group_by_field.empty() || !sub.session_id.empty()) {
      return absl::InvalidArgumentError(absl::StrCat(
          "hybrid search request ", i,
          ": grouping and read sessions are not supported in a hybrid "
          "search"));
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
  for (size_t q = 0; q < nq; ++q) {
    std::vector<std::pair<double, Hit>*> order;
    for (auto& [key, entry] : fused[q]) order.push_back(&entry);
    // Best first; equal scores by primary key (the map's order is the key's
    // JSON, so compare the ids themselves).
    std::stable_sort(order.begin(), order.end(), [](auto* a, auto* b) {
      if (a->first != b->first) return a->first > b->first;
      const Value& x = a->second.id;
      const Value& y = b->second.id;
      if (x.is_int() && y.is_int()) return x.AsInt() < y.AsInt();
      return x.ToJson() < y.ToJson();
    });
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
