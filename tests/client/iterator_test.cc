// Query and search iterators: every row exactly once, in order.
#include <random>
#include <set>
#include <tuple>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "cove/client.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "testing/status_matchers.h"

namespace cove {
namespace {

using ::cove::testing::StatusIs;

class IteratorTest
    : public ::testing::TestWithParam<std::tuple<MetricType, IndexType>> {
 protected:
  void SetUp() override {
    // Small segments: most rows sit in sealed segments searched through
    // their (approximate) index.
    ClientOptions options;
    options.embedded.segment_seal_rows = 256;
    ASSERT_OK_AND_ASSIGN(Client c, Client::Open(":memory:", options));
    client_ = std::make_unique<Client>(c);
    QuickCollectionOptions quick;
    quick.metric_type = metric();
    ASSERT_OK(client_->CreateCollection("c", 8, quick));
    if (index_type() != IndexType::kAutoIndex) {
      ASSERT_OK(client_->ReleaseCollection("c"));
      ASSERT_OK(client_->DropIndex("c", "vector"));
      IndexSpec spec;
      spec.field_name = "vector";
      spec.index_type = index_type();
      spec.metric_type = metric();
      if (index_type() == IndexType::kHnsw) {
        spec.params = {{"M", "4"}, {"efConstruction", "8"}};  // misses rows
      } else if (index_type() == IndexType::kIvfFlat) {
        spec.params = {{"nlist", "16"}};
      }
      ASSERT_OK(client_->CreateIndex("c", spec));
      ASSERT_OK(client_->LoadCollection("c"));
    }
    std::mt19937 rng(11);
    std::normal_distribution<float> g;
    std::vector<Row> rows;
    for (int i = 0; i < 2500; ++i) {
      std::vector<float> v(8);
      for (float& x : v) x = g(rng);
      // Duplicate vectors make ties at one distance.
      if (i % 100 == 1) v = std::vector<float>(8, 0.5f);
      rows.push_back({{"id", Value(int64_t{(i * 7919) % 2500})},
                      {"vector", Value::FloatVector(v)},
                      {"even", Value(i % 2 == 0)}});
    }
    ASSERT_OK(client_->Insert("c", std::move(rows)).status());
    ASSERT_OK(client_->Flush("c"));  // waits for the segment indexes
  }
  MetricType metric() const { return std::get<0>(GetParam()); }
  IndexType index_type() const { return std::get<1>(GetParam()); }
  std::unique_ptr<Client> client_;
};

TEST_P(IteratorTest, QueryIteratorReturnsEveryMatchOnceInKeyOrder) {
  QueryRequest q;
  q.collection_name = "c";
  q.filter = "even == true";
  q.output_fields = {"even"};
  ASSERT_OK_AND_ASSIGN(QueryIterator it, client_->NewQueryIterator(q, 300));
  std::vector<int64_t> ids;
  int pages = 0;
  while (!it.done()) {
    ASSERT_OK_AND_ASSIGN(auto page, it.Next());
    ++pages;
    for (const Row& r : page) {
      EXPECT_TRUE(r.at("even").AsBool());
      ids.push_back(r.at("id").AsInt());
    }
  }
  EXPECT_EQ(ids.size(), 1250u);
  EXPECT_TRUE(std::is_sorted(ids.begin(), ids.end()));
  EXPECT_EQ(std::set<int64_t>(ids.begin(), ids.end()).size(), 1250u);
  EXPECT_EQ(pages, 5);  // 300 * 4 + 50: the short page ends it

  q.limit = 400;
  ASSERT_OK_AND_ASSIGN(QueryIterator capped, client_->NewQueryIterator(q, 300));
  size_t total = 0;
  while (!capped.done()) {
    ASSERT_OK_AND_ASSIGN(auto page, capped.Next());
    total += page.size();
  }
  EXPECT_EQ(total, 400u);
}

TEST_P(IteratorTest, SearchIteratorWalksAllHitsByDistance) {
  SearchRequest s;
  s.collection_name = "c";
  s.vectors = std::vector<float>(8, 0.5f);
  s.dim = 8;
  ASSERT_OK_AND_ASSIGN(SearchIterator it, client_->NewSearchIterator(s, 250));
  EXPECT_TRUE(it.pinned());
  // (closeness key, id): pages must follow this order exactly, equal
  // distances (the duplicate vectors) by id.
  std::vector<std::pair<float, int64_t>> order;
  std::set<int64_t> ids;
  while (!it.done()) {
    ASSERT_OK_AND_ASSIGN(auto page, it.Next());
    for (const Hit& h : page) {
      EXPECT_TRUE(ids.insert(h.id.AsInt()).second)
          << "repeated " << h.id.AsInt();
      order.emplace_back(metric() == MetricType::kL2 ? h.distance : -h.distance,
                         h.id.AsInt());
    }
  }
  // Exact on every index type: the pages scan the pinned snapshot.
  EXPECT_EQ(ids.size(), 2500u);
  EXPECT_TRUE(std::is_sorted(order.begin(), order.end()));
}

TEST_P(IteratorTest, SearchIteratorPagesAreTheTopKOfOneSearch) {
  // The iterator's first hits are those of an exact search; on FLAT the
  // ordinary search agrees with them.
  SearchRequest s;
  s.collection_name = "c";
  s.vectors = {0.1f, -0.3f, 0.7f, 0.0f, 1.2f, -0.5f, 0.25f, 0.9f};
  s.dim = 8;
  s.filter = "even == true";  // leaves out the duplicate vectors
  ASSERT_OK_AND_ASSIGN(SearchIterator it,
                       client_->NewSearchIterator(s, 7, /*limit=*/30));
  std::vector<int64_t> ids;
  while (!it.done()) {
    ASSERT_OK_AND_ASSIGN(auto page, it.Next());
    for (const Hit& h : page) ids.push_back(h.id.AsInt());
  }
  ASSERT_EQ(ids.size(), 30u);
  if (index_type() == IndexType::kFlat) {
    s.limit = 30;
    ASSERT_OK_AND_ASSIGN(SearchResults top, client_->Search(s));
    // As sets: the two paths may order equal distances differently (the
    // iterator by id, FLAT by storage row).
    std::set<int64_t> expected;
    for (const Hit& h : top.hits[0]) expected.insert(h.id.AsInt());
    EXPECT_EQ(std::set<int64_t>(ids.begin(), ids.end()), expected);
  }
}

TEST_P(IteratorTest, BadArguments) {
  QueryRequest q;
  q.collection_name = "c";
  EXPECT_THAT(client_->NewQueryIterator(q, 0),
              StatusIs(absl::StatusCode::kInvalidArgument));
  q.collection_name = "missing";
  EXPECT_THAT(client_->NewQueryIterator(q, 10),
              StatusIs(absl::StatusCode::kNotFound));
  SearchRequest s;
  s.collection_name = "c";
  s.vectors = std::vector<float>(16, 0.0f);
  s.dim = 8;  // two queries
  EXPECT_THAT(client_->NewSearchIterator(s, 10),
              StatusIs(absl::StatusCode::kInvalidArgument));
}

INSTANTIATE_TEST_SUITE_P(
    Metrics, IteratorTest,
    ::testing::Combine(::testing::Values(MetricType::kL2, MetricType::kCosine),
                       ::testing::Values(IndexType::kFlat,
                                         IndexType::kAutoIndex,
                                         IndexType::kHnsw,
                                         IndexType::kIvfFlat)),
    [](const auto& info) {
      return absl::StrCat(MetricTypeName(std::get<0>(info.param)), "_",
                          IndexTypeName(std::get<1>(info.param)));
    });

}  // namespace
}  // namespace cove
