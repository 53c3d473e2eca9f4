// Milvus' search iterator v2 over read sessions: paging, ties, tokens bound
// to their owner, eviction. (pymilvus and the Node SDK drive the same code in
// tests/pymilvus and tests/interop.)
#include "server/search_iterators.h"

#include <random>
#include <set>
#include <string>
#include <vector>

#include "cove/client.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "testing/status_matchers.h"

namespace cove::server {
namespace {

using ::cove::testing::StatusIs;
using ::testing::HasSubstr;

constexpr int kDim = 4;

class SearchIteratorsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto client = Client::Open(":memory:");
    ASSERT_TRUE(client.ok()) << client.status();
    client_ = std::make_unique<Client>(*std::move(client));
    QuickCollectionOptions quick;
    quick.metric_type = MetricType::kL2;
    ASSERT_TRUE(client_->CreateCollection("c", kDim, quick).ok());
    std::vector<Row> rows;
    for (int i = 0; i < 50; ++i) {
      // Rows 10..29 share one vector: twenty hits at one distance.
      const float x = (i >= 10 && i < 30) ? 3.0f : static_cast<float>(i);
      rows.push_back({{"id", Value(int64_t{i})},
                      {"vector", Value::FloatVector({x, 0, 0, 1})}});
    }
    ASSERT_TRUE(client_->Insert("c", rows).ok());
  }

  SearchRequest Query() const {
    SearchRequest s;
    s.collection_name = "c";
    s.vectors = {0.5f, 0, 0, 1};
    s.dim = kDim;
    s.limit = 10;
    return s;
  }

  internal::SearchIteratorKeys Keys(int64_t batch) const {
    internal::SearchIteratorKeys k;
    k.iterator = k.v2 = true;
    k.batch_size = batch;
    return k;
  }

  std::unique_ptr<Client> client_;
};

TEST_F(SearchIteratorsTest, PagesEveryRowOnceInDistanceThenKeyOrder) {
  SearchIterators iterators(client_->connection(), {});
  for (int64_t batch : {1, 3, 7, 20, 64}) {
    internal::SearchIteratorKeys keys = Keys(batch);
    std::vector<int64_t> seen;
    float previous = -1;
    for (int page = 0; page < 100; ++page) {
      auto next = iterators.Next("u", CallOptions{}, Query(), keys);
      ASSERT_TRUE(next.ok()) << next.status();
      const auto& hits = next->results.hits.at(0);
      ASSERT_LE(static_cast<int64_t>(hits.size()), batch);
      if (hits.empty()) break;
      for (const Hit& h : hits) {
        EXPECT_GE(h.distance, previous);
        previous = h.distance;
        seen.push_back(h.id.AsInt());
      }
      keys.token = next->token;
      keys.last_bound = next->last_bound;
    }
    std::vector<int64_t> expected;
    // Rows 3 and 10..29 are all at x = 3: one distance, key order.
    expected = {0, 1, 2, 3};
    for (int i = 10; i < 30; ++i) expected.push_back(i);
    for (int i = 4; i < 10; ++i) expected.push_back(i);
    for (int i = 30; i < 50; ++i) expected.push_back(i);
    EXPECT_EQ(seen, expected) << "batch " << batch;
  }
}

TEST_F(SearchIteratorsTest, TokensAreBoundToTheirUserCollectionAndBounds) {
  SearchIterators iterators(client_->connection(), {});
  auto first = iterators.Next("alice", CallOptions{}, Query(), Keys(5));
  ASSERT_TRUE(first.ok()) << first.status();
  internal::SearchIteratorKeys keys = Keys(5);
  keys.token = first->token;
  keys.last_bound = first->last_bound;
  EXPECT_THAT(iterators.Next("bob", CallOptions{}, Query(), keys),
              StatusIs(absl::StatusCode::kNotFound, HasSubstr("unknown")));
  CallOptions other_db;
  other_db.db_name = "other";
  EXPECT_THAT(iterators.Next("alice", other_db, Query(), keys),
              StatusIs(absl::StatusCode::kNotFound));
  keys.last_bound = first->last_bound + 1;
  EXPECT_THAT(
      iterators.Next("alice", CallOptions{}, Query(), keys),
      StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("last_bound")));
  // Asking the same page again (a retry) gives the same page (when no later
  // page ended at the same distance: then the latest such page wins).
  auto small = iterators.Next("alice", CallOptions{}, Query(), Keys(2));
  ASSERT_TRUE(small.ok());
  keys.token = small->token;
  keys.last_bound = small->last_bound;
  auto a = iterators.Next("alice", CallOptions{}, Query(), keys);
  auto b = iterators.Next("alice", CallOptions{}, Query(), keys);
  ASSERT_TRUE(a.ok() && b.ok());
  ASSERT_EQ(a->results.hits[0].size(), b->results.hits[0].size());
  for (size_t i = 0; i < a->results.hits[0].size(); ++i) {
    EXPECT_EQ(a->results.hits[0][i].id, b->results.hits[0][i].id);
  }
  // Several queries, an offset, grouping: refused by name.
  SearchRequest two = Query();
  two.vectors.insert(two.vectors.end(), {1, 0, 0, 1});
  EXPECT_THAT(iterators.Next("alice", CallOptions{}, two, Keys(5)),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("one query vector (got 2)")));
  SearchRequest offset = Query();
  offset.offset = 2;
  EXPECT_THAT(
      iterators.Next("alice", CallOptions{}, offset, Keys(5)),
      StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("offset")));
}

TEST_F(SearchIteratorsTest, OldAndIdleIteratorsEnd) {
  SearchIterators::Options options;
  options.max_iterators = 3;
  SearchIterators iterators(client_->connection(), options);
  std::vector<std::string> tokens;
  for (int i = 0; i < 5; ++i) {
    auto page = iterators.Next("u", CallOptions{}, Query(), Keys(2));
    ASSERT_TRUE(page.ok()) << page.status();
    tokens.push_back(page->token);
  }
  EXPECT_EQ(iterators.size(), 3u);
  EXPECT_EQ(std::set<std::string>(tokens.begin(), tokens.end()).size(), 5u);
  internal::SearchIteratorKeys keys = Keys(2);
  keys.token = tokens[0];  // the least recently used: ended
  EXPECT_THAT(iterators.Next("u", CallOptions{}, Query(), keys),
              StatusIs(absl::StatusCode::kNotFound));
  keys.token = tokens[4];
  EXPECT_TRUE(iterators.Next("u", CallOptions{}, Query(), keys).ok());

  options.idle_timeout = absl::ZeroDuration();
  SearchIterators idle(client_->connection(), options);
  auto page = idle.Next("u", CallOptions{}, Query(), Keys(2));
  ASSERT_TRUE(page.ok());
  keys.token = page->token;
  EXPECT_THAT(idle.Next("u", CallOptions{}, Query(), keys),
              StatusIs(absl::StatusCode::kNotFound));
  EXPECT_EQ(idle.size(), 0u);
}

}  // namespace
}  // namespace cove::server
