// Read sessions: pinned states survive writes and compaction; sessions end
// on close, on idle expiry (an injected clock), with their collection, and
// are capped in number.
#include "engine/read_sessions.h"

#include <memory>
#include <string>
#include <vector>

#include "embedded/requests.h"
#include "engine/build_pool.h"
#include "engine/collection.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "testing/status_matchers.h"

namespace cove::engine {
namespace {
namespace read_sessions_test {

using ::cove::testing::IsOk;
using ::cove::testing::StatusIs;
using ::testing::HasSubstr;

std::shared_ptr<Collection> MakeCollection(int rows) {
  CollectionSchema schema;
  FieldSchema id;
  id.name = "id";
  id.type = cove::DataType::kInt64;
  id.is_primary_key = true;
  FieldSchema vec;
  vec.name = "vec";
  vec.type = cove::DataType::kFloatVector;
  vec.dim = 2;
  schema.AddField(id).AddField(vec);
  CollectionContext context;
  context.segments.seal_rows = 16;
  context.segments.merge_rows = 64;
  context.pool = std::make_shared<BuildPool>(1);
  auto c = Collection::Create("c", internal::ToEngineSchema(schema), 0,
                              std::move(context));
  EXPECT_THAT(c.status(), IsOk());
  IndexSpec spec;
  spec.field_name = "vec";
  spec.index_type = cove::IndexType::kHnsw;
  spec.metric_type = MetricType::kL2;
  EXPECT_THAT(internal::CreateIndexIn(**c, spec), IsOk());
  EXPECT_THAT((*c)->Load(), IsOk());
  InsertRequest insert;
  for (int i = 0; i < rows; ++i) {
    insert.rows.push_back(
        {{"id", Value(int64_t{i})},
         {"vec", Value::FloatVector({static_cast<float>(i), 0.0f})}});
  }
  EXPECT_THAT(internal::InsertInto(**c, insert, /*upsert=*/false).status(),
              IsOk());
  return std::shared_ptr<Collection>(*std::move(c));
}

int64_t Count(const Collection& c,
              const std::shared_ptr<const CollectionState>& pinned) {
  QueryRequest q;
  q.output_fields = {"count(*)"};
  auto rows = internal::QueryIn(c, q, pinned);
  EXPECT_THAT(rows.status(), IsOk());
  return rows.ok() ? rows->at(0).at("count(*)").AsInt() : -1;
}

TEST(ReadSessionsTest, PinnedStateSurvivesWritesAndCompaction) {
  std::shared_ptr<Collection> c = MakeCollection(100);
  ReadSessions sessions;
  ASSERT_OK_AND_ASSIGN(std::string id, sessions.Open(c));
  DeleteRequest del;
  del.filter = "id < 60";
  ASSERT_THAT(internal::DeleteFrom(*c, del).status(), IsOk());
  InsertRequest more;
  more.rows.push_back(
      {{"id", Value(int64_t{500})}, {"vec", Value::FloatVector({0.5f, 0.0f})}});
  ASSERT_THAT(internal::InsertInto(*c, more, false).status(), IsOk());
  ASSERT_THAT(c->Compact(), IsOk());
  EXPECT_EQ(Count(*c, nullptr), 41);
  ASSERT_OK_AND_ASSIGN(PinnedRead pinned, sessions.Use(id, c.get()));
  EXPECT_EQ(Count(*c, pinned.state), 100);

  // The pinned search is exact, in (distance, id) order, after the cursor.
  SearchRequest s;
  s.vectors = {0.0f, 0.0f};
  s.dim = 2;
  s.limit = 3;
  s.search_after = cove::SearchCursor{4.0f, Value(int64_t{2})};
  ASSERT_OK_AND_ASSIGN(SearchResults r,
                       internal::SearchIn(*c, s, pinned.state));
  ASSERT_EQ(r.hits[0].size(), 3u);
  EXPECT_EQ(r.hits[0][0].id, Value(int64_t{3}));
  EXPECT_EQ(r.hits[0][2].id, Value(int64_t{5}));
  s.search_after = cove::SearchCursor{4.0f, Value("two")};
  EXPECT_THAT(internal::SearchIn(*c, s, pinned.state),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("search_after.id")));
  s.search_after.reset();
  s.limit = 1;
  ASSERT_OK_AND_ASSIGN(r, internal::SearchIn(*c, s, pinned.state));
  EXPECT_EQ(r.hits[0][0].id, Value(int64_t{0}));  // deleted since
  ASSERT_OK_AND_ASSIGN(r, internal::SearchIn(*c, s, nullptr));
  EXPECT_EQ(r.hits[0][0].id, Value(int64_t{500}));  // inserted since
}

TEST(ReadSessionsTest, IdleSessionsExpire) {
  std::shared_ptr<Collection> c = MakeCollection(10);
  absl::Time now = absl::FromUnixSeconds(1000);
  ReadSessionOptions options;
  options.idle_timeout = absl::Minutes(10);
  options.clock = [&now] { return now; };
  ReadSessions sessions(options);
  ASSERT_OK_AND_ASSIGN(std::string kept, sessions.Open(c));
  ASSERT_OK_AND_ASSIGN(std::string idle, sessions.Open(c));
  EXPECT_NE(kept, idle);
  now += absl::Minutes(6);
  ASSERT_THAT(sessions.Use(kept, c.get()).status(), IsOk());
  now += absl::Minutes(6);  // idle: 12 minutes unused; kept: 6
  EXPECT_THAT(sessions.Use(idle, c.get()).status(),
              StatusIs(absl::StatusCode::kNotFound,
                       HasSubstr("read session '" + idle + "'")));
  EXPECT_EQ(sessions.size(), 1u);  // swept: its snapshot is released
  ASSERT_THAT(sessions.Use(kept, c.get()).status(), IsOk());
  now += absl::Minutes(11);
  sessions.Sweep();
  EXPECT_EQ(sessions.size(), 0u);
  EXPECT_THAT(sessions.Close(kept), StatusIs(absl::StatusCode::kNotFound));
}

TEST(ReadSessionsTest, CloseForgetAndCap) {
  std::shared_ptr<Collection> c = MakeCollection(10);
  std::shared_ptr<Collection> other = MakeCollection(5);
  ReadSessionOptions options;
  options.max_sessions = 2;
  ReadSessions sessions(options);
  ASSERT_OK_AND_ASSIGN(std::string a, sessions.Open(c));
  ASSERT_OK_AND_ASSIGN(std::string b, sessions.Open(other));
  EXPECT_THAT(sessions.Open(c).status(),
              StatusIs(absl::StatusCode::kResourceExhausted));
  EXPECT_THAT(sessions.Use(a, other.get()).status(),
              StatusIs(absl::StatusCode::kInvalidArgument));
  ASSERT_THAT(sessions.Close(a), IsOk());
  EXPECT_THAT(sessions.Close(a), StatusIs(absl::StatusCode::kNotFound));
  sessions.Forget(other.get());
  EXPECT_THAT(sessions.Use(b, other.get()).status(),
              StatusIs(absl::StatusCode::kNotFound));
  EXPECT_EQ(sessions.size(), 0u);
}

}  // namespace read_sessions_test
}  // namespace
}  // namespace cove::engine
