// Milvus' query iterator over read sessions: a session_ts handed out pins
// its pages; foreign or unknown timestamps start a new snapshot; ended ones
// are refused. (pymilvus drives the same code in tests/pymilvus, cove's
// remote backend in tests/conformance.)
#include "server/query_iterators.h"

#include <atomic>
#include <string>
#include <vector>

#include "cove/client.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "testing/status_matchers.h"

namespace cove::server {
namespace {

using ::cove::testing::IsOk;
using ::cove::testing::StatusIs;
using ::testing::HasSubstr;

class QueryIteratorsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto client = Client::Open(":memory:");
    ASSERT_TRUE(client.ok()) << client.status();
    client_ = std::make_unique<Client>(*std::move(client));
    ASSERT_THAT(client_->CreateCollection("c", 2), IsOk());
    ASSERT_THAT(client_->CreateCollection("d", 2), IsOk());
    Add(0, 10);
  }

  void Add(int from, int to) {
    std::vector<Row> rows;
    for (int i = from; i < to; ++i) {
      rows.push_back(
          {{"id", Value(int64_t{i})},
           {"vector", Value::FloatVector({1, static_cast<float>(i)})}});
    }
    ASSERT_THAT(client_->Insert("c", rows), IsOk());
  }

  // Rows of "c" read through a pinned page.
  int64_t Count(const QueryIterators::Pin& pin) {
    QueryRequest q;
    q.collection_name = "c";
    q.session_id = pin.session_id;
    q.output_fields = {"count(*)"};
    auto rows = client_->connection()->Query(q, {});
    EXPECT_TRUE(rows.ok()) << rows.status();
    return rows.ok() ? rows->at(0).at("count(*)").AsInt() : -1;
  }

  QueryIterators Make(QueryIterators::Options options = {}) {
    return QueryIterators(
        client_->connection(), [this] { return ++ts_; }, options);
  }

  std::unique_ptr<Client> client_;
  std::atomic<uint64_t> ts_{1000};
};

TEST_F(QueryIteratorsTest, ATimestampHandedOutPinsItsPages) {
  QueryIterators iterators = Make();
  ASSERT_OK_AND_ASSIGN(QueryIterators::Pin first,
                       iterators.PinPage("u", {}, "c", 0));
  EXPECT_GT(first.session_ts, 1000u);
  Add(10, 15);
  ASSERT_OK_AND_ASSIGN(QueryIterators::Pin next,
                       iterators.PinPage("u", {}, "c", first.session_ts));
  EXPECT_EQ(next.session_ts, first.session_ts);
  EXPECT_EQ(next.session_id, first.session_id);
  EXPECT_EQ(Count(next), 10);  // as of the first page
  // A timestamp this server did not hand out is a first page: now.
  ASSERT_OK_AND_ASSIGN(QueryIterators::Pin other,
                       iterators.PinPage("u", {}, "c", 7));
  EXPECT_NE(other.session_ts, first.session_ts);
  EXPECT_EQ(Count(other), 15);
  EXPECT_EQ(iterators.size(), 2u);
}

// Another user, database or collection presenting a timestamp gets a
// snapshot of its own, never the owner's session.
TEST_F(QueryIteratorsTest, TimestampsAreBoundToUserDatabaseAndCollection) {
  QueryIterators iterators = Make();
  ASSERT_OK_AND_ASSIGN(QueryIterators::Pin first,
                       iterators.PinPage("u", {}, "c", 0));
  ASSERT_OK_AND_ASSIGN(QueryIterators::Pin by_other,
                       iterators.PinPage("v", {}, "c", first.session_ts));
  EXPECT_NE(by_other.session_id, first.session_id);
  EXPECT_NE(by_other.session_ts, first.session_ts);
  ASSERT_OK_AND_ASSIGN(QueryIterators::Pin on_d,
                       iterators.PinPage("u", {}, "d", first.session_ts));
  EXPECT_NE(on_d.session_id, first.session_id);
  CallOptions other_db;
  other_db.db_name = "elsewhere";
  auto in_other_db = iterators.PinPage("u", other_db, "c", first.session_ts);
  if (in_other_db.ok()) EXPECT_NE(in_other_db->session_id, first.session_id);
}

// The least recently used iterator ends when too many are open; its
// timestamp is then refused, not read as the current state.
TEST_F(QueryIteratorsTest, EndedTimestampsAreRefused) {
  QueryIterators::Options options;
  options.max_iterators = 3;
  QueryIterators iterators = Make(options);
  std::vector<uint64_t> ts;
  for (int i = 0; i < 3; ++i) {
    ASSERT_OK_AND_ASSIGN(QueryIterators::Pin p,
                         iterators.PinPage("u", {}, "c", 0));
    ts.push_back(p.session_ts);
  }
  // Touch the first: the second is now the least recently used.
  ASSERT_THAT(iterators.PinPage("u", {}, "c", ts[0]), IsOk());
  ASSERT_THAT(iterators.PinPage("u", {}, "c", 0), IsOk());
  EXPECT_EQ(iterators.size(), 3u);
  EXPECT_THAT(iterators.PinPage("u", {}, "c", ts[1]),
              StatusIs(absl::StatusCode::kFailedPrecondition,
                       HasSubstr("guarantee_timestamp " +
                                 std::to_string(ts[1]) + " has ended")));
  ASSERT_OK_AND_ASSIGN(QueryIterators::Pin again,
                       iterators.PinPage("u", {}, "c", ts[0]));
  EXPECT_EQ(again.session_ts, ts[0]);

  // Idle ones end too.
  QueryIterators::Options idle;
  idle.idle_timeout = absl::ZeroDuration();
  QueryIterators short_lived = Make(idle);
  ASSERT_OK_AND_ASSIGN(QueryIterators::Pin p,
                       short_lived.PinPage("u", {}, "c", 0));
  EXPECT_THAT(short_lived.PinPage("u", {}, "c", p.session_ts),
              StatusIs(absl::StatusCode::kFailedPrecondition));
}

}  // namespace
}  // namespace cove::server
