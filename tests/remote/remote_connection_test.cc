// The remote backend over a fake stub and a fake clock: retries, backoff,
// deadlines, idempotency, the Connect identifier, the schema cache. No test
// sleeps for real.
#include "remote/remote_connection.h"

#include <atomic>
#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "absl/synchronization/mutex.h"
#include "cove/client.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "milvus/convert.h"
#include "testing/fake_clock.h"
#include "testing/status_matchers.h"

namespace cove::internal {
namespace {

using ::cove::testing::IsOk;
using ::cove::testing::StatusIs;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

// A clock that only moves when the code under test sleeps; jitter 0.75.
struct FakeClock : ::cove::testing::FakeClock {
  FakeClock() { random = 0.5; }
};

common_pb::Status Ok() { return StatusToProto(absl::OkStatus()); }

// A fake server: scripted failures, a "docs" collection (id INT64,
// vector dim 2, dynamic), and counters.
class FakeStub : public MilvusStub {
 public:
  grpc::Status Connect(grpc::ClientContext&,
                       const milvus_pb::ConnectRequest& request,
                       milvus_pb::ConnectResponse* response) override {
    ++connects;
    client_sdk = request.client_info().sdk_type();
    if (connect_unavailable-- > 0) {
      return grpc::Status(grpc::StatusCode::UNAVAILABLE, "connection refused");
    }
    *response->mutable_status() = Ok();
    response->set_identifier(77);
    return grpc::Status::OK;
  }

  grpc::Status HasCollection(grpc::ClientContext& context,
                             const milvus_pb::HasCollectionRequest& request,
                             milvus_pb::BoolResponse* response) override {
    ++has_calls;
    last_db = request.db_name();
    if (fail_has-- > 0) {
      return grpc::Status(grpc::StatusCode::UNAVAILABLE, "server restarting");
    }
    if (business_unavailable-- > 0) {
      *response->mutable_status() =
          StatusToProto(absl::UnavailableError("not ready"));
      return grpc::Status::OK;
    }
    *response->mutable_status() = Ok();
    response->set_value(request.collection_name() == "docs");
    return grpc::Status::OK;
  }

  grpc::Status DescribeCollection(
      grpc::ClientContext&, const milvus_pb::DescribeCollectionRequest& request,
      milvus_pb::DescribeCollectionResponse* response) override {
    ++describes;
    if (request.collection_name() != "docs") {
      *response->mutable_status() = StatusToProto(absl::NotFoundError(
          "collection '" + request.collection_name() + "' not found"));
      return grpc::Status::OK;
    }
    CollectionDescription d;
    d.name = "docs";
    d.schema = schema;
    d.created_timestamp = schema_version;
    DescriptionToProto(d, response);
    *response->mutable_status() = Ok();
    return grpc::Status::OK;
  }

  grpc::Status Insert(grpc::ClientContext&,
                      const milvus_pb::InsertRequest& request,
                      milvus_pb::MutationResult* response) override {
    ++inserts;
    last_insert = request;
    if (fail_insert-- > 0) {
      return grpc::Status(grpc::StatusCode::UNAVAILABLE, "connection reset");
    }
    if (request.schema_timestamp() != CollectionHybridTs(schema_version)) {
      *response->mutable_status() =
          StatusToProto(SchemaMismatchError(request.collection_name()));
      return grpc::Status::OK;
    }
    *response->mutable_status() = Ok();
    auto rows = FieldDataToRows(request.fields_data(), true);
    MutationResult result;
    result.count = static_cast<int64_t>(rows->size());
    for (const Row& r : *rows) result.ids.push_back(r.at("id"));
    MutationResultToProto(result, "insert", response);
    return grpc::Status::OK;
  }

  grpc::Status Query(grpc::ClientContext&,
                     const milvus_pb::QueryRequest& request,
                     milvus_pb::QueryResults* response) override {
    last_query = request;
    *response->mutable_status() = Ok();
    return grpc::Status::OK;
  }

  grpc::Status Search(grpc::ClientContext& context,
                      const milvus_pb::SearchRequest& request,
                      milvus_pb::SearchResults* response) override {
    ++searches;
    return grpc::Status(grpc::StatusCode::UNAVAILABLE, "down");
  }

  // Compaction: Executing for `compaction_polls_executing` polls, then
  // Completed.
  grpc::Status ManualCompaction(
      grpc::ClientContext&, const milvus_pb::ManualCompactionRequest& request,
      milvus_pb::ManualCompactionResponse* response) override {
    last_compaction = request;
    *response->mutable_status() = Ok();
    response->set_compactionid(4242);
    return grpc::Status::OK;
  }

  grpc::Status GetCompactionState(
      grpc::ClientContext&, const milvus_pb::GetCompactionStateRequest& request,
      milvus_pb::GetCompactionStateResponse* response) override {
    ++compaction_polls;
    *response->mutable_status() = Ok();
    if (request.compactionid() != 4242) {
      *response->mutable_status() =
          StatusToProto(absl::NotFoundError("compaction not found"));
      return grpc::Status::OK;
    }
    response->set_state(compaction_polls_executing-- > 0
                            ? common_pb::Executing
                            : common_pb::Completed);
    return grpc::Status::OK;
  }

  std::atomic<int> connects{0}, has_calls{0}, describes{0}, inserts{0},
      searches{0}, compaction_polls{0};
  int compaction_polls_executing = 0;
  milvus_pb::ManualCompactionRequest last_compaction;
  int connect_unavailable = 0;
  int fail_has = 0;
  int business_unavailable = 0;
  int fail_insert = 0;
  std::string client_sdk;
  std::string last_db;
  int64_t schema_version = 1000;
  CollectionSchema schema = [] {
    CollectionSchema s;
    s.enable_dynamic_field = true;
    FieldSchema id;
    id.name = "id";
    id.type = DataType::kInt64;
    id.is_primary_key = true;
    FieldSchema v;
    v.name = "vector";
    v.type = DataType::kFloatVector;
    v.dim = 2;
    s.AddField(id).AddField(v);
    return s;
  }();
  milvus_pb::InsertRequest last_insert;
  milvus_pb::QueryRequest last_query;
};

class RemoteConnectionTest : public ::testing::Test {
 protected:
  RemoteConnectionTest() {
    options_.max_attempts = 4;
    options_.initial_backoff = std::chrono::milliseconds(100);
    options_.max_backoff = std::chrono::milliseconds(250);
    options_.timeout = std::chrono::seconds(10);
  }

  std::shared_ptr<Connection> Open() {
    auto conn = MakeRemoteConnectionWithStub(stub_, options_, clock_.Get());
    EXPECT_THAT(conn, IsOk());
    return conn.ok() ? *conn : nullptr;
  }

  std::shared_ptr<FakeStub> stub_ = std::make_shared<FakeStub>();
  FakeClock clock_;
  RemoteOptions options_;
};

TEST(ParseRemoteUriTest, DefaultsAndForms) {
  ASSERT_OK_AND_ASSIGN(RemoteEndpoint a, ParseRemoteUri("http://localhost"));
  EXPECT_EQ(a.target(), "localhost:19530");
  EXPECT_FALSE(a.tls);
  ASSERT_OK_AND_ASSIGN(RemoteEndpoint b,
                       ParseRemoteUri("https://example.com/mydb"));
  EXPECT_EQ(b.target(), "example.com:443");
  EXPECT_TRUE(b.tls);
  EXPECT_EQ(b.db_name, "mydb");
  ASSERT_OK_AND_ASSIGN(RemoteEndpoint c, ParseRemoteUri("http://[::1]:1234"));
  EXPECT_EQ(c.target(), "[::1]:1234");
  EXPECT_THAT(ParseRemoteUri("http://host:99999"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("port")));
  EXPECT_THAT(ParseRemoteUri("ftp://host"),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(ParseRemoteUri("http://:80"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("host")));
}

TEST_F(RemoteConnectionTest, ConnectIsCalledFirstAndRetried) {
  stub_->connect_unavailable = 2;
  auto conn = Open();
  ASSERT_NE(conn, nullptr);
  EXPECT_EQ(stub_->connects, 3);
  EXPECT_EQ(stub_->client_sdk, "cove-cpp");
  EXPECT_THAT(clock_.sleeps, ElementsAre(std::chrono::milliseconds(75),
                                         std::chrono::milliseconds(150)));
}

TEST_F(RemoteConnectionTest, ConnectGivesUpAfterMaxAttempts) {
  stub_->connect_unavailable = 100;
  auto conn = MakeRemoteConnectionWithStub(stub_, options_, clock_.Get());
  EXPECT_THAT(conn,
              StatusIs(absl::StatusCode::kUnavailable, HasSubstr("Connect")));
  EXPECT_EQ(stub_->connects, 4);
  EXPECT_EQ(clock_.sleeps.size(), 3u);
}

TEST_F(RemoteConnectionTest, IdempotentCallsRetryUnavailable) {
  auto conn = Open();
  stub_->fail_has = 2;
  stub_->business_unavailable = 1;  // a Status saying "not ready" counts too
  ASSERT_OK_AND_ASSIGN(bool has, conn->HasCollection("docs", CallOptions{}));
  EXPECT_TRUE(has);
  EXPECT_EQ(stub_->has_calls, 4);
  // 100ms * 2^n, capped at 250ms, times the jitter factor 0.75.
  EXPECT_THAT(clock_.sleeps, ElementsAre(std::chrono::milliseconds(75),
                                         std::chrono::milliseconds(150),
                                         std::chrono::milliseconds(187)));
}

TEST_F(RemoteConnectionTest, RetriesStopAtTheDeadline) {
  auto conn = Open();
  CallOptions call;
  call.timeout = std::chrono::milliseconds(200);
  SearchRequest search;
  search.collection_name = "docs";
  search.vectors = {1, 0};
  search.dim = 2;
  EXPECT_THAT(conn->Search(search, call),
              StatusIs(absl::StatusCode::kUnavailable, HasSubstr("Search")));
  // 75ms, then 150ms would pass the 200ms deadline: two attempts.
  EXPECT_EQ(stub_->searches, 2);
  EXPECT_THAT(clock_.sleeps, ElementsAre(std::chrono::milliseconds(75)));
}

TEST_F(RemoteConnectionTest, InsertIsNeverRetriedAfterTransportFailure) {
  auto conn = Open();
  stub_->fail_insert = 1;
  InsertRequest insert;
  insert.collection_name = "docs";
  insert.rows = {Row{{"id", Value(1)}, {"vector", Value::FloatVector({1, 2})}}};
  EXPECT_THAT(conn->Insert(insert, CallOptions{}),
              StatusIs(absl::StatusCode::kUnavailable));
  EXPECT_EQ(stub_->inserts, 1);
  EXPECT_TRUE(clock_.sleeps.empty());
}

TEST_F(RemoteConnectionTest, InsertSendsColumnsWithTheSchemaTimestamp) {
  auto conn = Open();
  InsertRequest insert;
  insert.collection_name = "docs";
  insert.rows = {Row{{"id", Value(1)},
                     {"vector", Value::FloatVector({1, 2})},
                     {"color", Value("red")}},
                 Row{{"id", Value(2)}, {"vector", Value::FloatVector({3, 4})}}};
  ASSERT_OK_AND_ASSIGN(MutationResult result,
                       conn->Insert(insert, CallOptions{}));
  EXPECT_EQ(result.count, 2);
  EXPECT_THAT(result.ids, ElementsAre(Value(1), Value(2)));
  const milvus_pb::InsertRequest& sent = stub_->last_insert;
  EXPECT_EQ(sent.schema_timestamp(), CollectionHybridTs(1000));
  EXPECT_EQ(sent.num_rows(), 2u);
  ASSERT_EQ(sent.fields_data_size(), 3);
  EXPECT_EQ(sent.fields_data(0).field_name(), "id");
  EXPECT_THAT(sent.fields_data(0).scalars().long_data().data(),
              ElementsAre(1, 2));
  EXPECT_EQ(sent.fields_data(1).vectors().dim(), 2);
  EXPECT_THAT(sent.fields_data(1).vectors().float_vector().data(),
              ElementsAre(1, 2, 3, 4));
  EXPECT_EQ(sent.fields_data(2).field_name(), "$meta");
  EXPECT_TRUE(sent.fields_data(2).is_dynamic());
  EXPECT_EQ(sent.fields_data(2).scalars().json_data().data(0),
            "{\"color\":\"red\"}");
  EXPECT_EQ(sent.fields_data(2).scalars().json_data().data(1), "{}");
}

TEST_F(RemoteConnectionTest, SchemaCacheRefreshesOnMismatch) {
  auto conn = Open();
  InsertRequest insert;
  insert.collection_name = "docs";
  insert.rows = {Row{{"id", Value(1)}, {"vector", Value::FloatVector({1, 2})}}};
  ASSERT_THAT(conn->Insert(insert, CallOptions{}), IsOk());
  ASSERT_THAT(conn->Insert(insert, CallOptions{}), IsOk());
  EXPECT_EQ(stub_->describes, 1);  // cached
  // The collection is re-created elsewhere with a wider vector.
  stub_->schema_version = 2000;
  stub_->schema.fields[1].dim = 3;
  insert.rows = {
      Row{{"id", Value(2)}, {"vector", Value::FloatVector({1, 2, 3})}}};
  ASSERT_THAT(conn->Insert(insert, CallOptions{}), IsOk());
  EXPECT_EQ(stub_->describes, 2);
  EXPECT_EQ(stub_->last_insert.schema_timestamp(), CollectionHybridTs(2000));
  // Same schema, the server changed only its version: mismatch then retry.
  stub_->schema_version = 3000;
  ASSERT_THAT(conn->Insert(insert, CallOptions{}), IsOk());
  EXPECT_EQ(stub_->describes, 3);
}

TEST_F(RemoteConnectionTest, GetFoldsIdsIntoTheFilter) {
  auto conn = Open();
  QueryRequest query;
  query.collection_name = "docs";
  query.ids = {Value(3), Value(5)};
  query.filter = "color == \"red\"";
  ASSERT_THAT(conn->Query(query, CallOptions{}), IsOk());
  EXPECT_EQ(stub_->last_query.expr(), "(color == \"red\") and (id in [3, 5])");
  query.ids = {Value("x")};
  EXPECT_THAT(conn->Query(query, CallOptions{}),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("ids")));
}

TEST_F(RemoteConnectionTest, CompactPollsTheStateUntilCompleted) {
  auto conn = Open();
  stub_->compaction_polls_executing = 3;
  ASSERT_THAT(conn->Compact("docs", CallOptions{}), IsOk());
  EXPECT_EQ(stub_->last_compaction.collection_name(), "docs");
  EXPECT_EQ(stub_->compaction_polls, 4);
  EXPECT_EQ(clock_.sleeps.size(), 3u);  // between polls (a fake clock)

  // A compaction that never completes ends at the call's deadline.
  stub_->compaction_polls_executing = 1 << 30;
  CallOptions call;
  call.timeout = std::chrono::seconds(3);
  EXPECT_THAT(conn->Compact("docs", call),
              StatusIs(absl::StatusCode::kDeadlineExceeded,
                       HasSubstr("still running")));
  EXPECT_THAT(conn->Compact("missing", CallOptions{}),
              StatusIs(absl::StatusCode::kNotFound));
}

TEST_F(RemoteConnectionTest, ReadSessionsAreUnimplementedOnAMilvusServer) {
  // Milvus ignores cove's query param and answers a plain count: no session
  // id comes back, so there is no snapshot to promise.
  auto conn = Open();
  EXPECT_THAT(conn->OpenReadSession("docs", CallOptions{}),
              StatusIs(absl::StatusCode::kUnimplemented,
                       HasSubstr("no read sessions")));
  EXPECT_EQ(FindKeyValue(stub_->last_query.query_params(), kCoveReadSessionKey),
            "open");
}

TEST_F(RemoteConnectionTest, DatabaseFromOptionsAndCall) {
  options_.db_name = "analytics";
  auto conn = Open();
  ASSERT_THAT(conn->HasCollection("docs", CallOptions{}), IsOk());
  EXPECT_EQ(stub_->last_db, "analytics");
  CallOptions call;
  call.db_name = "other";
  ASSERT_THAT(conn->HasCollection("docs", call), IsOk());
  EXPECT_EQ(stub_->last_db, "other");
}

}  // namespace
}  // namespace cove::internal
