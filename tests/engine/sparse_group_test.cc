// Grouping searches of SPARSE_FLOAT_VECTOR fields (group_by_field,
// group_size, strict_group_size): sparse vectors (IP) and BM25 over texts,
// across indexed and growing segments with deletes, against an oracle that
// scores every live row exactly (inner products; BM25 from the generated
// token counts) and applies the grouping walk to them.
#include <algorithm>
#include <cmath>
#include <map>
#include <optional>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include "engine/build_pool.h"
#include "engine/collection.h"
#include "engine/sparse/sparse.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "testing/status_matchers.h"

namespace cove::engine {
namespace {
namespace sparse_group_test {

using ::cove::testing::IsOk;
using ::cove::testing::StatusIs;
using ::testing::HasSubstr;

// Schema positions.
constexpr int kId = 0, kSp = 1, kTag = 4, kColor = 5, kOpt = 6, kBucket = 7;
// Sparse field positions (SparseSearchSpec::field).
constexpr size_t kSpField = 0, kBmField = 1;
constexpr size_t kRows = 300;
constexpr size_t kVocabulary = 40;

struct TestRow {
  int64_t id;
  SparseVector sp;
  std::map<std::string, double> tokens;  // the text's term counts
  double length = 0;                     // tokens in the text
  std::string text;
  int64_t tag;                 // 7 values
  std::string color;           // 4 values
  std::optional<int64_t> opt;  // 3 values and nulls
  int64_t bucket;              // 0 mostly; 1..3 on a few rows
};

Schema GroupSchema() {
  Schema s;
  auto add = [&](const char* name, DataType type) -> FieldDef& {
    FieldDef f;
    f.name = name;
    f.type = type;
    s.fields.push_back(f);
    return s.fields.back();
  };
  add("id", DataType::kInt64).is_primary_key = true;
  add("sp", DataType::kSparseFloatVector);
  FieldDef& text = add("text", DataType::kVarChar);
  text.max_length = 65535;
  text.enable_analyzer = true;
  text.analyzer_params = R"({"type": "standard"})";
  add("bm", DataType::kSparseFloatVector).is_function_output = true;
  add("tag", DataType::kInt64);
  add("color", DataType::kVarChar).max_length = 16;
  add("opt", DataType::kInt64).nullable = true;
  add("bucket", DataType::kInt64);
  FunctionDef fn;
  fn.name = "bm25";
  fn.kind = FunctionKind::kBM25;
  fn.input_fields = {"text"};
  fn.output_fields = {"bm"};
  s.functions.push_back(fn);
  return s;
}

SparseVector RandomSparse(std::mt19937& rng) {
  std::uniform_int_distribution<int> nnz(1, 10);
  std::uniform_int_distribution<uint32_t> term(0, 50);
  std::uniform_real_distribution<float> w(0.05f, 2.0f);
  std::map<uint32_t, float> m;
  const int n = nnz(rng);
  for (int i = 0; i < n; ++i) m[term(rng)] = w(rng);
  SparseVector v;
  for (const auto& [k, x] : m) {
    v.indices.push_back(k);
    v.values.push_back(x);
  }
  return v;
}

// Words "w0".."w39", the low ones far more frequent.
std::string RandomWord(std::mt19937& rng) {
  std::uniform_real_distribution<double> u(0, 1);
  const double x = u(rng);
  return "w" + std::to_string(static_cast<int>(x * x * x * kVocabulary));
}

// Every text has its own length (4 + id words), so BM25 scores do not tie.
std::vector<TestRow> MakeRows(uint32_t seed) {
  std::mt19937 rng(seed);
  std::vector<TestRow> rows;
  for (size_t i = 0; i < kRows; ++i) {
    TestRow r;
    r.id = static_cast<int64_t>(i);
    r.sp = RandomSparse(rng);
    for (size_t w = 0; w < 4 + i; ++w) {
      const std::string word = RandomWord(rng);
      r.tokens[word] += 1;
      r.text += (w == 0 ? "" : " ") + word;
    }
    r.length = static_cast<double>(4 + i);
    r.tag = static_cast<int64_t>(rng() % 7);
    r.color = "c" + std::to_string(rng() % 4);
    if (rng() % 4 != 0) r.opt = static_cast<int64_t>(rng() % 3);
    r.bucket = i % 37 == 0 ? static_cast<int64_t>(i % 3 + 1) : 0;
    rows.push_back(std::move(r));
  }
  return rows;
}

std::vector<Value> ToValues(const TestRow& r) {
  return {Value(r.id),
          Value::Sparse(r.sp),
          Value(r.text),
          Value(),
          Value(r.tag),
          Value(r.color),
          r.opt.has_value() ? Value(*r.opt) : Value(),
          Value(r.bucket)};
}

Value GroupValue(const TestRow& r, int column) {
  switch (column) {
    case kTag:
      return Value(r.tag);
    case kColor:
      return Value(r.color);
    case kOpt:
      return r.opt.has_value() ? Value(*r.opt) : Value();
    default:
      return Value(r.bucket);
  }
}

// A collection of `rows` over sealed (indexed) segments and a growing one,
// without the rows whose id is a multiple of 11 (deleted); `live` gets the
// others.
std::unique_ptr<Collection> MakeCollection(IndexKind kind,
                                           const std::vector<TestRow>& rows,
                                           std::vector<TestRow>* live) {
  CollectionContext context;
  context.segments.seal_rows = 64;
  context.pool = std::make_shared<BuildPool>(2);
  auto c = Collection::Create("g", GroupSchema(), 0, std::move(context));
  EXPECT_THAT(c.status(), IsOk());
  IndexDef sp;
  sp.field_name = "sp";
  sp.kind = kind;
  sp.metric = Metric::kIP;
  EXPECT_THAT((*c)->CreateIndex(sp), IsOk());
  IndexDef bm;
  bm.field_name = "bm";
  bm.kind = kind;
  bm.metric = Metric::kBM25;
  EXPECT_THAT((*c)->CreateIndex(bm), IsOk());
  EXPECT_THAT((*c)->Load(), IsOk());
  for (size_t at = 0; at < rows.size(); at += 29) {
    std::vector<std::vector<Value>> batch;
    for (size_t i = at; i < std::min(rows.size(), at + 29); ++i) {
      batch.push_back(ToValues(rows[i]));
    }
    EXPECT_THAT((*c)->Insert(std::move(batch), "", false).status(), IsOk());
  }
  DeleteSpec del;
  for (const TestRow& r : rows) {
    if (r.id % 11 == 0) {
      del.ids.push_back(Value(r.id));
    } else {
      live->push_back(r);
    }
  }
  EXPECT_THAT((*c)->Delete(del).status(), IsOk());
  (*c)->WaitForIndexBuilds();
  return *std::move(c);
}

// The exact scores of the rows a query reaches (those sharing a term):
// inner products, or BM25 (k1 1.2, b 0.75) with statistics over every
// live row, computed in doubles from the token counts.
std::map<int64_t, double> IpScores(const std::vector<TestRow>& rows,
                                   const SparseVector& query) {
  std::map<int64_t, double> out;
  for (const TestRow& r : rows) {
    bool shares = false;
    for (uint32_t t : query.indices) {
      shares = shares ||
               std::binary_search(r.sp.indices.begin(), r.sp.indices.end(), t);
    }
    if (shares) out[r.id] = sparse::Dot(query, r.sp);
  }
  return out;
}

std::map<int64_t, double> Bm25Scores(const std::vector<TestRow>& rows,
                                     const std::vector<std::string>& query) {
  const double k1 = 1.2, b = 0.75;
  const double n = static_cast<double>(rows.size());
  double total = 0;
  for (const TestRow& r : rows) total += r.length;
  const double avgdl = total / n;
  std::map<std::string, double> q, df;
  for (const std::string& t : query) q[t] += 1;
  for (const auto& [t, qc] : q) {
    for (const TestRow& r : rows) df[t] += r.tokens.count(t);
  }
  std::map<int64_t, double> out;
  for (const TestRow& r : rows) {
    double score = 0;
    bool shares = false;
    for (const auto& [t, qc] : q) {
      auto it = r.tokens.find(t);
      if (it == r.tokens.end()) continue;
      shares = true;
      const double idf = std::log(1 + (n - df[t] + 0.5) / (df[t] + 0.5));
      const double f = it->second;
      score +=
          qc * idf * f * (k1 + 1) / (f + k1 * (1 - b + b * r.length / avgdl));
    }
    if (shares) out[r.id] = score;
  }
  return out;
}

struct OracleHit {
  int64_t id;
  double score;
};

// The grouping walk over every scored row best first (equal scores by id):
// the first `groups` distinct values, up to `size` hits each, groups in the
// order of their best hit.
std::vector<std::vector<OracleHit>> Oracle(
    const std::vector<TestRow>& rows, const std::map<int64_t, double>& scores,
    int column, size_t groups, size_t size, bool (*allowed)(const TestRow&)) {
  std::map<int64_t, const TestRow*> by_id;
  for (const TestRow& r : rows) by_id[r.id] = &r;
  std::vector<std::pair<double, int64_t>> order;
  for (const auto& [id, s] : scores) {
    if (allowed != nullptr && !allowed(*by_id[id])) continue;
    order.emplace_back(s, id);
  }
  std::sort(order.begin(), order.end(), [](const auto& x, const auto& y) {
    return x.first != y.first ? x.first > y.first : x.second < y.second;
  });
  std::vector<Value> values;
  std::vector<std::vector<OracleHit>> out;
  for (const auto& [s, id] : order) {
    const Value v = GroupValue(*by_id[id], column);
    size_t g = 0;
    while (g < values.size() &&
           !(values[g] == v && values[g].kind() == v.kind())) {
      ++g;
    }
    if (g == values.size()) {
      if (out.size() >= groups) continue;
      values.push_back(v);
      out.emplace_back();
    }
    if (out[g].size() < size) out[g].push_back(OracleHit{id, s});
  }
  return out;
}

bool TagOver2(const TestRow& r) { return r.tag > 2; }

struct Variant {
  int column;
  size_t groups, size;
  bool strict;
  bool (*allowed)(const TestRow&);
};

std::string Describe(const Variant& v) {
  return "column " + std::to_string(v.column) + " groups " +
         std::to_string(v.groups) + " size " + std::to_string(v.size) +
         (v.strict ? " strict" : "") + (v.allowed != nullptr ? " filter" : "");
}

// Checks one query's grouped hits against the oracle's groups: the same
// groups in the same order; with strict_group_size the same hits, else
// each group's hits a prefix of the oracle's.
void ExpectGroups(const Collection& c, const SearchHits& found, size_t q,
                  const std::vector<std::vector<OracleHit>>& want,
                  bool strict) {
  const std::vector<size_t>& sizes = found.group_sizes[q];
  ASSERT_EQ(sizes.size(), want.size());
  size_t at = 0;
  for (size_t g = 0; g < sizes.size(); ++g) {
    SCOPED_TRACE("group " + std::to_string(g));
    ASSERT_GE(sizes[g], 1u);
    if (strict) {
      EXPECT_EQ(sizes[g], want[g].size());
    } else {
      EXPECT_LE(sizes[g], want[g].size());
    }
    for (size_t i = 0; i < sizes[g] && i < want[g].size(); ++i, ++at) {
      const ScoredRow& hit = found.hits[q][at];
      EXPECT_EQ(c.ValueAt(*found.state, hit.ref, kId).AsInt(), want[g][i].id)
          << "hit " << i;
      EXPECT_NEAR(hit.score, want[g][i].score,
                  1e-4 * std::max(1.0, std::abs(want[g][i].score)));
    }
  }
  EXPECT_EQ(found.hits[q].size(), at);
}

const std::vector<Variant>& Variants() {
  static const std::vector<Variant> v = {
      {kTag, 3, 1, false, nullptr},
      {kTag, 4, 3, true, nullptr},
      {kColor, 3, 5, true, &TagOver2},
      {kColor, 6, 2, true, nullptr},  // more groups asked than exist
      {kOpt, 4, 2, true, nullptr},    // nulls are a group of their own
      {kTag, 3, 40, false, nullptr},  // the first round may stop early
      {kTag, 2, 1, false, &TagOver2},
      {kBucket, 3, 3, true, nullptr},  // rare groups: deeper rounds
  };
  return v;
}

class SparseGroupTest : public ::testing::TestWithParam<IndexKind> {};

TEST_P(SparseGroupTest, IpGroupsMatchTheOracle) {
  const std::vector<TestRow> rows = MakeRows(5);
  std::vector<TestRow> live;
  auto c = MakeCollection(GetParam(), rows, &live);
  ASSERT_GT(c->Segments().size(), 3u);
  auto filter = c->CompileFilter("tag > 2", {});
  ASSERT_THAT(filter.status(), IsOk());
  std::mt19937 rng(17);
  const size_t nq = 3;
  std::vector<SparseVector> queries;
  std::vector<std::map<int64_t, double>> scores;
  for (size_t q = 0; q < nq; ++q) {
    queries.push_back(RandomSparse(rng));
    scores.push_back(IpScores(live, queries.back()));
  }
  for (const Variant& v : Variants()) {
    SCOPED_TRACE(Describe(v));
    SparseSearchSpec spec;
    spec.field = kSpField;
    spec.queries = queries;
    spec.grouping.field = v.column;
    spec.grouping.groups = v.groups;
    spec.grouping.group_size = v.size;
    spec.grouping.strict_group_size = v.strict;
    if (v.allowed != nullptr) spec.filter = &*filter;
    auto found = c->Search(spec);
    ASSERT_THAT(found.status(), IsOk());
    ASSERT_EQ(found->hits.size(), nq);
    for (size_t q = 0; q < nq; ++q) {
      SCOPED_TRACE("query " + std::to_string(q));
      ExpectGroups(
          *c, *found, q,
          Oracle(live, scores[q], v.column, v.groups, v.size, v.allowed),
          v.strict);
    }
  }
}

TEST_P(SparseGroupTest, Bm25GroupsMatchTheOracle) {
  const std::vector<TestRow> rows = MakeRows(8);
  std::vector<TestRow> live;
  auto c = MakeCollection(GetParam(), rows, &live);
  auto filter = c->CompileFilter("tag > 2", {});
  ASSERT_THAT(filter.status(), IsOk());
  const std::vector<std::vector<std::string>> queries = {
      {"w0"}, {"w3", "w17"}, {"w25", "w31", "w1", "w1"}};
  std::vector<std::string> texts;
  std::vector<std::map<int64_t, double>> scores;
  for (const auto& words : queries) {
    std::string text;
    for (const std::string& w : words) text += (text.empty() ? "" : " ") + w;
    texts.push_back(text);
    scores.push_back(Bm25Scores(live, words));
  }
  for (const Variant& v : Variants()) {
    SCOPED_TRACE(Describe(v));
    SparseSearchSpec spec;
    spec.field = kBmField;
    spec.texts = texts;
    spec.grouping.field = v.column;
    spec.grouping.groups = v.groups;
    spec.grouping.group_size = v.size;
    spec.grouping.strict_group_size = v.strict;
    if (v.allowed != nullptr) spec.filter = &*filter;
    auto found = c->Search(spec);
    ASSERT_THAT(found.status(), IsOk());
    ASSERT_EQ(found->hits.size(), queries.size());
    for (size_t q = 0; q < queries.size(); ++q) {
      SCOPED_TRACE("query " + texts[q]);
      ExpectGroups(
          *c, *found, q,
          Oracle(live, scores[q], v.column, v.groups, v.size, v.allowed),
          v.strict);
    }
  }
}

INSTANTIATE_TEST_SUITE_P(Kinds, SparseGroupTest,
                         ::testing::Values(IndexKind::kSparseInvertedIndex,
                                           IndexKind::kSparseWand));

TEST(SparseGroupRulesTest, BadGroupingsNameTheField) {
  std::vector<TestRow> live;
  auto c = MakeCollection(IndexKind::kSparseInvertedIndex, MakeRows(2), &live);
  SparseSearchSpec spec;
  spec.texts = {"w1"};
  spec.field = kBmField;
  spec.grouping.groups = 2;
  spec.grouping.field = kSp;
  EXPECT_THAT(c->Search(spec).status(),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("cannot group by a SPARSE_FLOAT_VECTOR")));
  spec.grouping.field = 99;
  EXPECT_THAT(
      c->Search(spec).status(),
      StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("position 99")));
  spec.grouping.field = kTag;
  spec.grouping.group_size = 0;
  EXPECT_THAT(
      c->Search(spec).status(),
      StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("group_size")));
  // The checks of an ungrouped search still apply.
  spec.grouping.group_size = 1;
  spec.texts.clear();
  spec.queries = {SparseVector{{1}, {1.0f}}};
  EXPECT_THAT(
      c->Search(spec).status(),
      StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("query texts")));
}

}  // namespace sparse_group_test
}  // namespace
}  // namespace cove::engine
