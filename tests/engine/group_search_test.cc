// Grouping searches (group_by_field, group_size, strict_group_size) against
// a brute-force oracle: every index type, filters, several queries, offsets
// over groups, nulls as a group, sealed and growing segments.
#include <algorithm>
#include <cmath>
#include <map>
#include <optional>
#include <ostream>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include "embedded/requests.h"
#include "engine/build_pool.h"
#include "engine/collection.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "testing/status_matchers.h"

namespace cove::engine {
namespace {
namespace group_search_test {

using ::cove::testing::IsOk;
using ::cove::testing::StatusIs;
using ::testing::HasSubstr;

constexpr int kDim = 6;

struct TestRow {
  int64_t id;
  std::vector<float> vec;
  int64_t tag;                 // 9 values
  std::string color;           // 4 values
  bool flag;                   // 2 values
  std::optional<int32_t> opt;  // 3 values and nulls
  double score;
};

CollectionSchema GroupSchema() {
  CollectionSchema schema;
  auto add = [&](const char* name, cove::DataType type) -> FieldSchema& {
    FieldSchema f;
    f.name = name;
    f.type = type;
    schema.AddField(f);
    return schema.fields.back();
  };
  add("id", cove::DataType::kInt64).is_primary_key = true;
  add("vec", cove::DataType::kFloatVector).dim = kDim;
  add("tag", cove::DataType::kInt64);
  add("color", cove::DataType::kVarChar).max_length = 16;
  add("flag", cove::DataType::kBool);
  add("opt", cove::DataType::kInt32).nullable = true;
  add("score", cove::DataType::kDouble);
  return schema;
}

std::vector<TestRow> MakeRows(size_t n, uint32_t seed) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> g;
  std::vector<TestRow> rows;
  for (size_t i = 0; i < n; ++i) {
    TestRow r;
    r.id = static_cast<int64_t>(i);
    r.vec.resize(kDim);
    for (float& x : r.vec) x = g(rng);
    r.tag = static_cast<int64_t>(rng() % 9);
    r.color = "c" + std::to_string(rng() % 4);
    r.flag = rng() % 2 == 0;
    if (rng() % 4 != 0) r.opt = static_cast<int32_t>(rng() % 3);
    r.score = static_cast<double>(i % 100);
    rows.push_back(std::move(r));
  }
  return rows;
}

Row ToRow(const TestRow& r) {
  Row row{{"id", Value(r.id)},     {"vec", Value::FloatVector(r.vec)},
          {"tag", Value(r.tag)},   {"color", Value(r.color)},
          {"flag", Value(r.flag)}, {"score", Value(r.score)}};
  if (r.opt.has_value()) row["opt"] = Value(static_cast<int64_t>(*r.opt));
  return row;
}

Value GroupValue(const TestRow& r, const std::string& field) {
  if (field == "id") return Value(r.id);
  if (field == "tag") return Value(r.tag);
  if (field == "color") return Value(r.color);
  if (field == "flag") return Value(r.flag);
  if (field == "opt") {
    return r.opt.has_value() ? Value(static_cast<int64_t>(*r.opt)) : Value();
  }
  return Value();
}

float L2(const std::vector<float>& a, const float* b) {
  float d = 0;
  for (int i = 0; i < kDim; ++i) d += (a[i] - b[i]) * (a[i] - b[i]);
  return d;
}

struct OracleHit {
  int64_t id;
  Value group;
};

// The grouping rule applied to every allowed row in exact L2 order: the
// first `groups` distinct values, up to `size` hits each, groups in the
// order of their closest hit.
std::vector<std::vector<OracleHit>> Oracle(const std::vector<TestRow>& rows,
                                           const float* query,
                                           const std::string& field,
                                           size_t groups, size_t size,
                                           bool (*allowed)(const TestRow&)) {
  std::vector<std::pair<float, size_t>> order;
  for (size_t i = 0; i < rows.size(); ++i) {
    if (allowed != nullptr && !allowed(rows[i])) continue;
    order.emplace_back(L2(rows[i].vec, query), i);
  }
  std::sort(order.begin(), order.end());
  std::vector<std::vector<OracleHit>> out;
  for (const auto& [d, i] : order) {
    const Value v = GroupValue(rows[i], field);
    auto it = std::find_if(out.begin(), out.end(), [&](const auto& g) {
      return g.front().group == v && g.front().group.kind() == v.kind();
    });
    if (it == out.end()) {
      if (out.size() >= groups) continue;
      out.push_back({});
      it = out.end() - 1;
    }
    if (it->size() < size) it->push_back(OracleHit{rows[i].id, v});
  }
  return out;
}

std::unique_ptr<Collection> MakeCollection(
    cove::IndexType type, std::map<std::string, std::string> params,
    const std::vector<TestRow>& rows) {
  CollectionContext context;
  context.segments.seal_rows = 150;
  context.pool = std::make_shared<BuildPool>(2);
  auto c = Collection::Create("g", internal::ToEngineSchema(GroupSchema()), 0,
                              std::move(context));
  EXPECT_THAT(c.status(), IsOk());
  IndexSpec spec;
  spec.field_name = "vec";
  spec.index_type = type;
  spec.metric_type = MetricType::kL2;
  spec.params = std::move(params);
  EXPECT_THAT(internal::CreateIndexIn(**c, spec), IsOk());
  EXPECT_THAT((*c)->Load(), IsOk());
  for (size_t at = 0; at < rows.size(); at += 37) {
    InsertRequest insert;
    for (size_t i = at; i < std::min(rows.size(), at + 37); ++i) {
      insert.rows.push_back(ToRow(rows[i]));
    }
    EXPECT_THAT(internal::InsertInto(**c, insert, false).status(), IsOk());
  }
  (*c)->WaitForIndexBuilds();
  return *std::move(c);
}

struct IndexCase {
  cove::IndexType type;
  std::map<std::string, std::string> build;
  std::map<std::string, Value> search;
};

void PrintTo(const IndexCase& c, std::ostream* os) {
  *os << IndexTypeName(c.type);
}

class GroupSearchTest : public ::testing::TestWithParam<IndexCase> {};

// Search parameters that make every index type exact on 700 rows, so the
// oracle's answer is the only right one.
std::vector<IndexCase> Cases() {
  return {
      {cove::IndexType::kFlat, {}, {}},
      {cove::IndexType::kHnsw,
       {{"M", "16"}, {"efConstruction", "200"}},
       {{"ef", Value(int64_t{1024})}}},
      {cove::IndexType::kHnswSq,
       {{"M", "16"}, {"efConstruction", "200"}},
       {{"ef", Value(int64_t{1024})}, {"rerank", Value(int64_t{1024})}}},
      {cove::IndexType::kIvfFlat,
       {{"nlist", "4"}},
       {{"nprobe", Value(int64_t{4})}}},
      {cove::IndexType::kIvfSq8,
       {{"nlist", "4"}},
       {{"nprobe", Value(int64_t{4})}, {"rerank", Value(int64_t{1024})}}},
  };
}

bool ScoreOver20(const TestRow& r) { return r.score > 20; }

TEST_P(GroupSearchTest, MatchesTheBruteForceOracle) {
  const IndexCase& ic = GetParam();
  const std::vector<TestRow> rows = MakeRows(700, 11);
  auto c = MakeCollection(ic.type, ic.build, rows);
  ASSERT_GT(c->Segments().size(), 3u);  // sealed segments and a growing one
  std::mt19937 rng(5);
  std::normal_distribution<float> g;
  const size_t nq = 3;
  std::vector<float> queries(nq * kDim);
  for (float& x : queries) x = g(rng);

  struct Variant {
    std::string field;
    int64_t limit, offset, size;
    std::string filter;
    bool (*allowed)(const TestRow&);
  };
  const std::vector<Variant> variants = {
      {"tag", 4, 0, 3, "", nullptr},
      {"tag", 3, 2, 2, "score > 20", &ScoreOver20},
      {"color", 4, 0, 5, "", nullptr},   // all 4 groups
      {"color", 10, 0, 2, "", nullptr},  // more groups asked than exist
      {"flag", 2, 0, 4, "", nullptr},
      {"opt", 4, 0, 2, "", nullptr},  // nulls are a group of their own
      {"id", 5, 1, 1, "", nullptr},   // one row per group: a plain search
  };
  for (const Variant& v : variants) {
    SCOPED_TRACE(v.field + " limit " + std::to_string(v.limit) + " offset " +
                 std::to_string(v.offset) + " size " + std::to_string(v.size) +
                 " filter '" + v.filter + "'");
    SearchRequest request;
    request.vectors = queries;
    request.dim = kDim;
    request.limit = v.limit;
    request.offset = v.offset;
    request.filter = v.filter;
    request.params = ic.search;
    request.group_by_field = v.field;
    request.group_size = v.size;
    request.strict_group_size = true;
    request.output_fields = {v.field};
    auto results = internal::SearchIn(*c, request);
    ASSERT_THAT(results.status(), IsOk());
    ASSERT_EQ(results->hits.size(), nq);
    for (size_t q = 0; q < nq; ++q) {
      auto expected = Oracle(rows, queries.data() + q * kDim, v.field,
                             static_cast<size_t>(v.limit + v.offset),
                             static_cast<size_t>(v.size), v.allowed);
      expected.erase(
          expected.begin(),
          expected.begin() + std::min<size_t>(expected.size(), v.offset));
      std::vector<int64_t> want_ids, got_ids;
      std::vector<Value> want_groups;
      for (const auto& group : expected) {
        for (const OracleHit& h : group) {
          want_ids.push_back(h.id);
          want_groups.push_back(h.group);
        }
      }
      for (const Hit& h : results->hits[q]) got_ids.push_back(h.id.AsInt());
      EXPECT_EQ(got_ids, want_ids) << "query " << q;
      ASSERT_EQ(results->hits[q].size(), want_groups.size());
      for (size_t i = 0; i < want_groups.size(); ++i) {
        const Hit& h = results->hits[q][i];
        EXPECT_EQ(h.group_by_value, want_groups[i]);
        if (!want_groups[i].is_null()) {
          EXPECT_EQ(h.entity.at(v.field), want_groups[i]);
        }
      }
    }
  }
}

INSTANTIATE_TEST_SUITE_P(AllIndexTypes, GroupSearchTest,
                         ::testing::ValuesIn(Cases()),
                         [](const ::testing::TestParamInfo<IndexCase>& info) {
                           std::string name = IndexTypeName(info.param.type);
                           name.erase(
                               std::remove(name.begin(), name.end(), '_'),
                               name.end());
                           return name;
                         });

TEST(GroupSearchRulesTest, WithoutStrictTheGroupsAreRightAndHitsAPrefix) {
  const std::vector<TestRow> rows = MakeRows(500, 3);
  auto c = MakeCollection(cove::IndexType::kFlat, {}, rows);
  std::mt19937 rng(9);
  std::normal_distribution<float> g;
  std::vector<float> query(kDim);
  for (float& x : query) x = g(rng);
  SearchRequest request;
  request.vectors = query;
  request.dim = kDim;
  request.limit = 5;
  request.group_by_field = "tag";
  request.group_size = 40;  // more than the first round settles
  auto results = internal::SearchIn(*c, request);
  ASSERT_THAT(results.status(), IsOk());
  auto expected = Oracle(rows, query.data(), "tag", 5, 40, nullptr);
  std::vector<std::vector<int64_t>> got;
  for (const Hit& h : results->hits[0]) {
    if (got.empty() || !(h.group_by_value == Value(rows[got.back()[0]].tag))) {
      got.push_back({});
    }
    got.back().push_back(h.id.AsInt());
  }
  ASSERT_EQ(got.size(), expected.size());
  for (size_t i = 0; i < got.size(); ++i) {
    ASSERT_LE(got[i].size(), expected[i].size());
    for (size_t j = 0; j < got[i].size(); ++j) {
      EXPECT_EQ(got[i][j], expected[i][j].id);
    }
  }
}

TEST(GroupSearchRulesTest, BadRequestsNameTheParameter) {
  auto c = MakeCollection(cove::IndexType::kFlat, {}, MakeRows(50, 1));
  SearchRequest request;
  request.vectors.assign(kDim, 0.5f);
  request.dim = kDim;
  request.limit = 3;
  request.group_by_field = "score";
  EXPECT_THAT(internal::SearchIn(*c, request).status(),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("cannot group by a DOUBLE field")));
  request.group_by_field = "vec";
  EXPECT_THAT(internal::SearchIn(*c, request).status(),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("group_by_field 'vec'")));
  request.group_by_field = "nope";
  EXPECT_THAT(internal::SearchIn(*c, request).status(),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("'nope' does not exist")));
  request.group_by_field = "tag";
  request.group_size = 0;
  EXPECT_THAT(
      internal::SearchIn(*c, request).status(),
      StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("group_size")));
  request.group_size = 10000;
  EXPECT_THAT(
      internal::SearchIn(*c, request).status(),
      StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("group_size")));
}

}  // namespace group_search_test
}  // namespace
}  // namespace cove::engine
