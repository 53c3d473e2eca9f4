// Rows of the reliability tests: a fixed schema (id, an 8-dimensional vector,
// a tag and a version number), rows whose every value is derived from
// (id, version) so that a test can check a row exactly, and a full read of a
// collection.
#ifndef COVE_TESTS_RELIABILITY_ROWS_H_
#define COVE_TESTS_RELIABILITY_ROWS_H_

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "cove/client.h"

namespace cove::testing {

inline constexpr int kVecDim = 8;

/// id INT64 (primary key), vector FLOAT_VECTOR(8), tag VARCHAR(64),
/// version INT64.
inline CollectionSchema ReliabilitySchema() {
  CollectionSchema schema;
  FieldSchema id;
  id.name = "id";
  id.type = DataType::kInt64;
  id.is_primary_key = true;
  FieldSchema vec;
  vec.name = "vector";
  vec.type = DataType::kFloatVector;
  vec.dim = kVecDim;
  FieldSchema tag;
  tag.name = "tag";
  tag.type = DataType::kVarChar;
  tag.max_length = 64;
  FieldSchema version;
  version.name = "version";
  version.type = DataType::kInt64;
  schema.AddField(id).AddField(vec).AddField(tag).AddField(version);
  return schema;
}

inline IndexSpec ReliabilityIndex() {
  IndexSpec index;
  index.field_name = "vector";
  index.index_type = IndexType::kHnsw;
  index.metric_type = MetricType::kL2;
  return index;
}

inline std::vector<float> VectorOf(int64_t id, int64_t version) {
  std::vector<float> v(kVecDim);
  for (int i = 0; i < kVecDim; ++i) {
    v[i] = static_cast<float>((id * 31 + version * 7 + i * 13) % 1009) / 17.0f;
  }
  return v;
}

inline std::string TagOf(int64_t id, int64_t version) {
  return absl::StrCat("row-", id, "-v", version);
}

/// The row (id, version): every value follows from the two numbers.
inline Row MakeRow(int64_t id, int64_t version) {
  return Row{{"id", Value(id)},
             {"vector", Value::FloatVector(VectorOf(id, version))},
             {"tag", Value(TagOf(id, version))},
             {"version", Value(version)}};
}

/// Empty when `row` is exactly MakeRow(id, version) for its id and version;
/// else what differs.
inline std::string CheckRow(const Row& row) {
  auto id = row.find("id");
  auto version = row.find("version");
  auto tag = row.find("tag");
  auto vec = row.find("vector");
  if (id == row.end() || version == row.end() || tag == row.end() ||
      vec == row.end()) {
    return "a field is missing";
  }
  const int64_t i = id->second.AsInt();
  const int64_t v = version->second.AsInt();
  if (tag->second.AsString() != TagOf(i, v)) {
    return absl::StrCat("id ", i, ": tag ", tag->second.AsString(),
                        " does not match version ", v);
  }
  if (vec->second.AsFloatVector() != VectorOf(i, v)) {
    return absl::StrCat("id ", i, ": vector does not match version ", v);
  }
  return "";
}

/// Every row of `collection` as id -> version, checking each row's values
/// (a row whose values do not match its (id, version) is an error).
inline absl::StatusOr<std::map<int64_t, int64_t>> ReadAll(
    Client& client, const std::string& collection) {
  QueryRequest q;
  q.collection_name = collection;
  q.filter = "id >= 0";
  q.output_fields = {"id", "vector", "tag", "version"};
  auto it = client.NewQueryIterator(q, 4096);
  if (!it.ok()) return it.status();
  std::map<int64_t, int64_t> out;
  while (true) {
    auto page = it->Next();
    if (!page.ok()) return page.status();
    if (page->empty()) break;
    for (const Row& row : *page) {
      std::string problem = CheckRow(row);
      if (!problem.empty()) return absl::DataLossError(problem);
      const int64_t id = row.at("id").AsInt();
      if (!out.emplace(id, row.at("version").AsInt()).second) {
        return absl::DataLossError(absl::StrCat("id ", id, " returned twice"));
      }
    }
    if (it->done()) break;
  }
  return out;
}

}  // namespace cove::testing

#endif  // COVE_TESTS_RELIABILITY_ROWS_H_
