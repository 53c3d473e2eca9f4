// IVF_PQ, SCANN and DISKANN through the public Client on the embedded
// backend: the build parameters as Milvus names them (m, nbits, nlist,
// with_raw_data, max_degree, search_list_size, pq_code_budget_gb_ratio) and
// checks them, the search parameters (nprobe, rerank, reorder_k,
// search_list), and recall
// against an exact FLAT collection of the same rows once the index is built.
#include <algorithm>
#include <cmath>
#include <filesystem>
#include <map>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "cove/client.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "testing/status_matchers.h"

namespace cove {
namespace {

using ::cove::testing::IsOk;
using ::cove::testing::StatusIs;
using ::testing::HasSubstr;

constexpr int kDim = 32;
constexpr int kRows = 4000;
constexpr int kQueries = 50;
constexpr int kLimit = 10;

// Rows around 40 random centres (as embeddings cluster), fixed seed.
std::vector<std::vector<float>> Rows(int n, uint32_t seed) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> g;
  std::vector<std::vector<float>> centres(40, std::vector<float>(kDim));
  for (auto& c : centres) {
    for (float& x : c) x = 3.0f * g(rng);
  }
  std::vector<std::vector<float>> rows(n, std::vector<float>(kDim));
  for (int i = 0; i < n; ++i) {
    const auto& c = centres[static_cast<size_t>(i) % centres.size()];
    for (int t = 0; t < kDim; ++t) rows[i][t] = c[t] + g(rng);
  }
  return rows;
}

Client Open() {
  ClientOptions options;
  options.embedded.index_threads = 2;
  auto client = Client::Open(":memory:", options);
  EXPECT_THAT(client, IsOk());
  return *std::move(client);
}

CollectionSchema Schema() {
  CollectionSchema schema;
  FieldSchema id;
  id.name = "id";
  id.type = DataType::kInt64;
  id.is_primary_key = true;
  FieldSchema vec;
  vec.name = "vector";
  vec.type = DataType::kFloatVector;
  vec.dim = kDim;
  schema.AddField(id).AddField(vec);
  return schema;
}

void Fill(Client& client, const std::string& name,
          const std::vector<std::vector<float>>& rows) {
  InsertRequest request;
  request.collection_name = name;
  for (size_t i = 0; i < rows.size(); ++i) {
    request.rows.push_back(Row{{"id", Value(static_cast<int64_t>(i))},
                               {"vector", Value::FloatVector(rows[i])}});
  }
  ASSERT_THAT(client.Insert(request), IsOk());
  ASSERT_THAT(client.Flush(name), IsOk());
}

SearchRequest Queries(const std::string& name,
                      const std::vector<std::vector<float>>& queries) {
  SearchRequest s;
  s.collection_name = name;
  s.dim = kDim;
  s.limit = kLimit;
  for (const auto& q : queries) {
    s.vectors.insert(s.vectors.end(), q.begin(), q.end());
  }
  return s;
}

struct Case {
  IndexType type;
  MetricType metric;
  std::map<std::string, std::string> build;
  std::map<std::string, Value> search;
  double min_recall;
};

class PqIndexesTest : public ::testing::TestWithParam<Case> {};

TEST_P(PqIndexesTest, RecallAgainstExactSearchAfterTheIndexIsBuilt) {
  const Case& c = GetParam();
  Client client = Open();
  const std::vector<std::vector<float>> rows = Rows(kRows, 7);
  IndexSpec flat;
  flat.field_name = "vector";
  flat.index_type = IndexType::kFlat;
  flat.metric_type = c.metric;
  ASSERT_THAT(client.CreateCollection("exact", Schema(), {flat}), IsOk());
  IndexSpec pq;
  pq.field_name = "vector";
  pq.index_type = c.type;
  pq.metric_type = c.metric;
  pq.params = c.build;
  ASSERT_THAT(client.CreateCollection("pq", Schema(), {pq}), IsOk());
  Fill(client, "exact", rows);
  Fill(client, "pq", rows);
  ASSERT_OK_AND_ASSIGN(std::vector<IndexDescription> described,
                       client.DescribeIndexes("pq"));
  ASSERT_EQ(described.size(), 1u);
  EXPECT_EQ(described[0].index_type, c.type);
  EXPECT_EQ(described[0].indexed_rows, kRows);
  EXPECT_EQ(described[0].state, "Finished");
  for (const auto& [k, v] : c.build) EXPECT_EQ(described[0].params.at(k), v);

  const std::vector<std::vector<float>> queries = Rows(kQueries, 99);
  ASSERT_OK_AND_ASSIGN(SearchResults truth,
                       client.Search(Queries("exact", queries)));
  SearchRequest s = Queries("pq", queries);
  s.params = c.search;
  ASSERT_OK_AND_ASSIGN(SearchResults found, client.Search(s));
  ASSERT_EQ(found.hits.size(), static_cast<size_t>(kQueries));
  size_t hits = 0;
  for (int q = 0; q < kQueries; ++q) {
    std::set<int64_t> want;
    for (const Hit& h : truth.hits[q]) want.insert(h.id.AsInt());
    ASSERT_EQ(found.hits[q].size(), static_cast<size_t>(kLimit));
    for (const Hit& h : found.hits[q]) hits += want.count(h.id.AsInt());
    // Re-ranked on float32: the first hit's score is the exact one.
    if (found.hits[q][0].id.AsInt() == truth.hits[q][0].id.AsInt()) {
      EXPECT_NEAR(found.hits[q][0].distance, truth.hits[q][0].distance,
                  1e-3 * std::max(1.0f, std::abs(truth.hits[q][0].distance)));
    }
  }
  const double recall =
      static_cast<double>(hits) / static_cast<double>(kQueries * kLimit);
  EXPECT_GE(recall, c.min_recall) << IndexTypeName(c.type);
  // A row searched with its own vector comes first.
  SearchRequest self = Queries("pq", {rows[123]});
  self.params = c.search;
  ASSERT_OK_AND_ASSIGN(SearchResults mine, client.Search(self));
  ASSERT_FALSE(mine.hits[0].empty());
  EXPECT_EQ(mine.hits[0][0].id.AsInt(), 123);
}

INSTANTIATE_TEST_SUITE_P(
    Types, PqIndexesTest,
    ::testing::Values(Case{IndexType::kIvfPq,
                           MetricType::kL2,
                           {{"nlist", "16"}, {"m", "8"}, {"nbits", "8"}},
                           {{"nprobe", Value(8)}, {"rerank", Value(64)}},
                           0.95},
                      Case{IndexType::kIvfPq,
                           MetricType::kCosine,
                           {{"nlist", "16"}, {"m", "16"}, {"nbits", "6"}},
                           {{"nprobe", Value(8)}, {"rerank", Value(50)}},
                           0.95},
                      Case{IndexType::kScann,
                           MetricType::kL2,
                           {{"nlist", "16"}},
                           {{"nprobe", Value(8)}, {"reorder_k", Value(100)}},
                           0.95},
                      Case{
                          IndexType::kScann,
                          MetricType::kIP,
                          {{"nlist", "16"}, {"with_raw_data", "true"}},
                          {{"nprobe", Value("8")}, {"reorder_k", Value("100")}},
                          0.95},
                      Case{IndexType::kDiskAnn,
                           MetricType::kL2,
                           {},
                           {{"search_list", Value(100)}},
                           0.95},
                      Case{IndexType::kDiskAnn,
                           MetricType::kCosine,
                           {{"max_degree", "32"},
                            {"search_list_size", "64"},
                            {"pq_code_budget_gb_ratio", "0.25"}},
                           {{"search_list", Value("120")}},
                           0.95}),
    [](const auto& info) {
      return std::string(IndexTypeName(info.param.type)) + "_" +
             MetricTypeName(info.param.metric);
    });

TEST(PqIndexParamsTest, BadParamsAreRefusedNamingTheField) {
  Client client = Open();
  ASSERT_THAT(client.CreateCollection("docs", Schema(), {}), IsOk());
  IndexSpec index;
  index.field_name = "vector";
  index.index_type = IndexType::kIvfPq;
  index.metric_type = MetricType::kL2;
  auto refused = [&](std::map<std::string, std::string> params,
                     const std::string& message) {
    index.params = std::move(params);
    EXPECT_THAT(
        client.CreateIndex("docs", index),
        StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr(message)));
  };
  refused({{"m", "5"}}, "m: must divide the dimension 32 (got 5)");
  refused({{"m", "64"}}, "m: must divide the dimension 32 (got 64)");
  refused({{"nbits", "0"}},
          "index param 'nbits': expected an integer in [1, 16]");
  refused({{"nbits", "17"}}, "index param 'nbits'");
  refused({{"nlist", "0"}}, "index param 'nlist'");
  refused({{"M", "16"}},
          "index param 'M': not a parameter of IVF_PQ (expected one of: "
          "nlist, m, nbits)");
  refused({{"with_raw_data", "true"}},
          "index param 'with_raw_data': not a parameter of IVF_PQ");
  index.index_type = IndexType::kScann;
  refused({{"m", "8"}},
          "index param 'm': not a parameter of SCANN (expected one of: "
          "nlist, with_raw_data)");
  refused({{"with_raw_data", "maybe"}},
          "index param 'with_raw_data': expected true or false");
  index.index_type = IndexType::kDiskAnn;
  refused({{"max_degree", "0"}},
          "index param 'max_degree': expected an integer in [1, 512]");
  refused({{"pq_code_budget_gb_ratio", "0.5"}},
          "index param 'pq_code_budget_gb_ratio': expected a number in "
          "(0, 0.25]");
  refused({{"search_cache_budget_gb_ratio", "0.1"}},
          "index param 'search_cache_budget_gb_ratio': not a parameter of "
          "DISKANN (expected one of: max_degree, search_list_size, "
          "pq_code_budget_gb_ratio)");

  index.index_type = IndexType::kIvfPq;
  index.params = {{"nlist", "4"}, {"m", "4"}};
  ASSERT_THAT(client.CreateIndex("docs", index), IsOk());
  ASSERT_THAT(client.LoadCollection("docs"), IsOk());
  SearchRequest s = Queries("docs", {std::vector<float>(kDim, 1.0f)});
  s.params = {{"reorder_k", Value(20)}};
  EXPECT_THAT(client.Search(s),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("search param 'reorder_k': not a search "
                                 "parameter of IVF_PQ")));
  s.params = {{"nprobe", Value(0)}};
  EXPECT_THAT(client.Search(s), StatusIs(absl::StatusCode::kInvalidArgument,
                                         HasSubstr("search param 'nprobe'")));
  s.params = {{"nprobe", Value(4)}, {"rerank", Value(20)}};
  EXPECT_THAT(client.Search(s), IsOk());

  index.index_type = IndexType::kDiskAnn;
  index.params = {};
  ASSERT_THAT(client.CreateCollection("disk", Schema(), {index}), IsOk());
  SearchRequest d = Queries("disk", {std::vector<float>(kDim, 1.0f)});
  d.params = {{"search_list", Value(5)}};
  EXPECT_THAT(client.Search(d),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("search param 'search_list': must be at "
                                 "least limit + offset (expected >= 10, got "
                                 "5)")));
  d.params = {{"search_list", Value(10)}, {"ef", Value(64)}};
  EXPECT_THAT(client.Search(d), IsOk());
  d.params = {{"beam_width_ratio", Value(4)}};
  EXPECT_THAT(client.Search(d),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("search param 'beam_width_ratio': not a "
                                 "search parameter of DISKANN")));
}

TEST(PqIndexParamsTest, SurvivesReopeningTheDatabase) {
  const std::string dir = ::testing::TempDir() + "/cove_pq_reopen";
  std::filesystem::remove_all(dir);
  const std::vector<std::vector<float>> rows = Rows(1000, 3);
  std::vector<int64_t> before;
  for (IndexType type :
       {IndexType::kIvfPq, IndexType::kScann, IndexType::kDiskAnn}) {
    std::filesystem::remove_all(dir);
    {
      auto opened = Client::Open(dir);
      ASSERT_THAT(opened, IsOk());
      IndexSpec index;
      index.field_name = "vector";
      index.index_type = type;
      index.metric_type = MetricType::kL2;
      if (type != IndexType::kDiskAnn) index.params = {{"nlist", "8"}};
      ASSERT_THAT(opened->CreateCollection("docs", Schema(), {index}), IsOk());
      Fill(*opened, "docs", rows);
      SearchRequest s = Queries("docs", {rows[5]});
      ASSERT_OK_AND_ASSIGN(SearchResults r, opened->Search(s));
      before.clear();
      for (const Hit& h : r.hits[0]) before.push_back(h.id.AsInt());
      EXPECT_EQ(before.front(), 5);
    }
    auto reopened = Client::Open(dir);
    ASSERT_THAT(reopened, IsOk());
    ASSERT_THAT(reopened->LoadCollection("docs"), IsOk());
    ASSERT_OK_AND_ASSIGN(std::vector<IndexDescription> d,
                         reopened->DescribeIndexes("docs"));
    ASSERT_EQ(d.size(), 1u);
    EXPECT_EQ(d[0].index_type, type);
    SearchRequest s = Queries("docs", {rows[5]});
    ASSERT_OK_AND_ASSIGN(SearchResults r, reopened->Search(s));
    std::vector<int64_t> after;
    for (const Hit& h : r.hits[0]) after.push_back(h.id.AsInt());
    EXPECT_EQ(after, before) << IndexTypeName(type);
  }
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace cove
