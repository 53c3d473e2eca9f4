// Grouping searches (Milvus' group_by_field): hits grouped by the value of a
// scalar field, at most `group_size` per group, `groups` groups per query,
// for searches of dense and sparse (IP or BM25) fields alike.
//
// The groups come from the same ordered candidates a plain search returns:
// walking them closest first, a hit joins its value's group while the group
// is not full, and opens a new group while there are fewer than `groups`.
// A plain search of depth k gives the first k candidates in that order, so
// the search runs again with a deeper k (x4 each round, on the same state)
// until the groups are settled: every chosen group full (or, without
// strict_group_size, enough groups), or every allowed row seen. On exact
// segments the result is the brute-force one; on approximate indexes the
// candidates are the index's, as for any search. The rounds (GroupRounds)
// do not know the kind of search: dense and sparse searches each give a
// round function that searches a subset of their queries to a depth.
#include <algorithm>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "engine/collection.h"

namespace cove::engine {
namespace {

// The group of a value: kinds are kept apart (a VARCHAR "1" is not the
// INT 1, though one field never holds both).
std::string GroupKey(const Value& v) {
  switch (v.kind()) {
    case Value::Kind::kNull:
      return "n";
    case Value::Kind::kBool:
      return v.AsBool() ? "b1" : "b0";
    case Value::Kind::kInt:
      return absl::StrCat("i", v.AsInt());
    case Value::Kind::kString:
      return absl::StrCat("s", v.AsString());
    default:
      return absl::StrCat("o", v.ToJson());
  }
}

struct Grouped {
  std::vector<ScoredRow> hits;  // group by group
  std::vector<size_t> sizes;
  bool full = true;  // every group has group_size hits
};

Grouped GroupHits(const std::vector<ScoredRow>& candidates,
                  const CollectionState& state, int column, size_t groups,
                  size_t group_size) {
  absl::flat_hash_map<std::string, size_t> index;
  std::vector<std::vector<ScoredRow>> members;
  for (const ScoredRow& hit : candidates) {
    const Value& v =
        state.segments[hit.ref.segment]->data->columns[column][hit.ref.row];
    auto [it, added] = index.try_emplace(GroupKey(v), members.size());
    if (added) {
      if (members.size() >= groups) {
        index.erase(it);
        continue;
      }
      members.emplace_back();
    }
    std::vector<ScoredRow>& group = members[it->second];
    if (group.size() < group_size) group.push_back(hit);
  }
  Grouped out;
  for (std::vector<ScoredRow>& group : members) {
    out.full = out.full && group.size() == group_size;
    out.sizes.push_back(group.size());
    out.hits.insert(out.hits.end(), group.begin(), group.end());
  }
  return out;
}

}  // namespace

absl::Status Collection::CheckGrouping(const Grouping& grouping) const {
  if (grouping.field < 0 ||
      static_cast<size_t>(grouping.field) >= schema_.fields.size()) {
    return absl::InvalidArgumentError(
        absl::StrCat("search group_by_field: no field at position ",
                     grouping.field, " in collection '", name(), "'"));
  }
  const FieldDef& field = schema_.fields[grouping.field];
  switch (field.type) {
    case DataType::kBool:
    case DataType::kInt8:
    case DataType::kInt16:
    case DataType::kInt32:
    case DataType::kInt64:
    case DataType::kVarChar:
      break;
    default:
      return absl::InvalidArgumentError(absl::StrCat(
          "search group_by_field '", field.name, "': cannot group by a ",
          DataTypeName(field.type),
          " field (expected BOOL, INT8, INT16, INT32, INT64 or VARCHAR)"));
  }
  if (grouping.groups == 0 || grouping.group_size == 0) {
    return absl::InvalidArgumentError(absl::StrCat(
        "search group_size: expected at least one group of at least one hit "
        "(got ",
        grouping.groups, " groups of ", grouping.group_size, ")"));
  }
  return absl::OkStatus();
}

absl::StatusOr<SearchHits> Collection::GroupRounds(
    const Grouping& grouping, size_t num_queries,
    const std::shared_ptr<const CollectionState>& state,
    const GroupRound& round) const {
  size_t live = 0;
  for (const auto& seg : state->segments) live += seg->live();
  SearchHits out;
  out.state = state;
  out.hits.resize(num_queries);
  out.group_sizes.resize(num_queries);
  std::vector<size_t> pending(num_queries);
  for (size_t q = 0; q < pending.size(); ++q) pending[q] = q;
  size_t k = std::max<size_t>(64, 2 * grouping.groups * grouping.group_size);
  while (!pending.empty()) {
    k = std::min(k, std::max<size_t>(live, 1));
    COVE_ASSIGN_OR_RETURN(SearchHits found, round(k, pending));
    if (found.hits.size() != pending.size()) {
      return absl::InternalError(
          absl::StrCat("grouping search: a round answered ", found.hits.size(),
                       " queries (expected ", pending.size(), ")"));
    }
    std::vector<size_t> next;
    for (size_t i = 0; i < pending.size(); ++i) {
      const size_t q = pending[i];
      Grouped g = GroupHits(found.hits[i], *state, grouping.field,
                            grouping.groups, grouping.group_size);
      // Fewer candidates than asked for: every allowed row was seen.
      const bool exhausted = found.hits[i].size() < k || k >= live;
      const bool enough = g.sizes.size() == grouping.groups &&
                          (g.full || !grouping.strict_group_size);
      if (exhausted || enough) {
        out.hits[q] = std::move(g.hits);
        out.group_sizes[q] = std::move(g.sizes);
      } else {
        next.push_back(q);
      }
    }
    pending = std::move(next);
    k *= 4;
  }
  return out;
}

absl::StatusOr<SearchHits> Collection::SearchGrouped(
    const SearchSpec& spec,
    const std::shared_ptr<const CollectionState>& pinned) const {
  COVE_RETURN_IF_ERROR(CheckGrouping(spec.grouping));
  if (spec.exact_ordered || spec.after.has_value()) {
    return absl::InvalidArgumentError(
        "search group_by_field: a grouping search cannot be paged by a "
        "cursor (iterators do not group)");
  }
  if (spec.queries == nullptr || spec.num_queries == 0) {
    return absl::InvalidArgumentError("search vectors: no query vectors");
  }
  // Every round reads the same state.
  const std::shared_ptr<const CollectionState> state =
      pinned != nullptr ? pinned : Snapshot();
  const size_t dim = spec.field < vector_elems_.size()
                         ? vector_elems_[spec.field]
                         : 0;  // Search() reports a bad field
  auto round = [&](size_t k, const std::vector<size_t>& queries) {
    SearchSpec plain = spec;
    plain.grouping = Grouping();
    plain.k = k;
    std::vector<float> subset;
    if (queries.size() != spec.num_queries) {
      for (size_t q : queries) {
        subset.insert(subset.end(), spec.queries + q * dim,
                      spec.queries + (q + 1) * dim);
      }
      plain.queries = subset.data();
      plain.num_queries = queries.size();
    }
    return Search(plain, state);
  };
  return GroupRounds(spec.grouping, spec.num_queries, state, round);
}

absl::StatusOr<SearchHits> Collection::SearchGrouped(
    const SparseSearchSpec& spec,
    const std::shared_ptr<const CollectionState>& pinned) const {
  COVE_RETURN_IF_ERROR(CheckGrouping(spec.grouping));
  const size_t num_queries =
      spec.texts.empty() ? spec.queries.size() : spec.texts.size();
  if (num_queries == 0) {
    return absl::InvalidArgumentError("search data: no query vectors or texts");
  }
  // Every round reads the same state (and so, for BM25, the same corpus
  // statistics and scores).
  const std::shared_ptr<const CollectionState> state =
      pinned != nullptr ? pinned : Snapshot();
  auto round = [&](size_t k, const std::vector<size_t>& queries) {
    SparseSearchSpec plain = spec;
    plain.grouping = Grouping();
    plain.k = k;
    if (queries.size() != num_queries) {
      plain.queries.clear();
      plain.texts.clear();
      for (size_t q : queries) {
        // (Both kinds of query: Search() refuses that in the first round.)
        if (q < spec.queries.size()) plain.queries.push_back(spec.queries[q]);
        if (q < spec.texts.size()) plain.texts.push_back(spec.texts[q]);
      }
    }
    return Search(plain, state);
  };
  return GroupRounds(spec.grouping, num_queries, state, round);
}

}  // namespace cove::engine
