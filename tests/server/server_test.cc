// cove-server seen through a raw Milvus gRPC stub: the wire facts that any
// Milvus client relies on (see src/milvus/convert.h).
#include <grpcpp/grpcpp.h>

#include <memory>
#include <string>

#include "absl/time/clock.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "milvus.grpc.pb.h"
#include "milvus/convert.h"
#include "milvus/timestamp.h"
#include "server/server_fixture.h"
#include "testing/status_matchers.h"

namespace cove {
namespace {

namespace milvus_pb = ::milvus::proto::milvus;
namespace common_pb = ::milvus::proto::common;
namespace schema_pb = ::milvus::proto::schema;

using ::cove::testing::IsOk;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Not;

#pragma GCC diagnostic ignored "-Wdeprecated-declarations"

class ServerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto server = cove::testing::StartTestServer();
    ASSERT_THAT(server, IsOk());
    server_ = *std::move(server);
    ASSERT_GT(server_->port(), 0);
    channel_ = grpc::CreateChannel(server_->address(),
                                   grpc::InsecureChannelCredentials());
    stub_ = milvus_pb::MilvusService::NewStub(channel_);
  }

  std::unique_ptr<grpc::ClientContext> Context(const std::string& db = "") {
    auto ctx = std::make_unique<grpc::ClientContext>();
    if (!db.empty()) ctx->AddMetadata("dbname", db);
    ctx->set_deadline(std::chrono::system_clock::now() +
                      std::chrono::seconds(10));
    return ctx;
  }

  // Creates "docs" (id INT64, vector dim 3, dynamic) the way a Milvus
  // client does: CreateCollection, CreateIndex, LoadCollection.
  void CreateDocs() {
    schema_pb::CollectionSchema schema;
    schema.set_name("docs");
    schema.set_enable_dynamic_field(true);
    auto* id = schema.add_fields();
    id->set_name("id");
    id->set_data_type(schema_pb::Int64);
    id->set_is_primary_key(true);
    auto* vec = schema.add_fields();
    vec->set_name("vector");
    vec->set_data_type(schema_pb::FloatVector);
    auto* dim = vec->add_type_params();
    dim->set_key("dim");
    dim->set_value("3");
    milvus_pb::CreateCollectionRequest create;
    create.set_collection_name("docs");
    create.set_schema(schema.SerializeAsString());
    common_pb::Status status;
    ASSERT_TRUE(stub_->CreateCollection(Context().get(), create, &status).ok());
    ASSERT_EQ(status.code(), 0) << status.reason();
    milvus_pb::CreateIndexRequest index;
    index.set_collection_name("docs");
    index.set_field_name("vector");
    auto* kv = index.add_extra_params();
    kv->set_key("index_type");
    kv->set_value("HNSW");
    kv = index.add_extra_params();
    kv->set_key("metric_type");
    kv->set_value("L2");
    kv = index.add_extra_params();
    kv->set_key("params");
    kv->set_value("{\"M\": 8, \"efConstruction\": 32}");
    ASSERT_TRUE(stub_->CreateIndex(Context().get(), index, &status).ok());
    ASSERT_EQ(status.code(), 0) << status.reason();
    milvus_pb::LoadCollectionRequest load;
    load.set_collection_name("docs");
    ASSERT_TRUE(stub_->LoadCollection(Context().get(), load, &status).ok());
    ASSERT_EQ(status.code(), 0) << status.reason();
  }

  std::unique_ptr<server::Server> server_;
  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<milvus_pb::MilvusService::Stub> stub_;
};

TEST_F(ServerTest, ConnectReturnsAnIdentifier) {
  milvus_pb::ConnectRequest request;
  request.mutable_client_info()->set_sdk_type("test");
  milvus_pb::ConnectResponse a, b;
  ASSERT_TRUE(stub_->Connect(Context().get(), request, &a).ok());
  ASSERT_TRUE(stub_->Connect(Context().get(), request, &b).ok());
  EXPECT_EQ(a.status().code(), 0);
  EXPECT_NE(a.identifier(), 0);
  EXPECT_NE(a.identifier(), b.identifier());
  EXPECT_THAT(a.server_info().build_tags(), HasSubstr("cove"));
  milvus_pb::GetVersionResponse version;
  ASSERT_TRUE(stub_
                  ->GetVersion(Context().get(), milvus_pb::GetVersionRequest(),
                               &version)
                  .ok());
  EXPECT_EQ(version.version(), "v2.5.6");
  milvus_pb::CheckHealthResponse health;
  ASSERT_TRUE(stub_
                  ->CheckHealth(Context().get(),
                                milvus_pb::CheckHealthRequest(), &health)
                  .ok());
  EXPECT_TRUE(health.ishealthy());
}

TEST_F(ServerTest, UnsupportedRpcAnswersWithAStatus) {
  milvus_pb::CalcDistanceRequest request;
  milvus_pb::CalcDistanceResults reply;
  grpc::Status g = stub_->CalcDistance(Context().get(), request, &reply);
  ASSERT_TRUE(g.ok()) << g.error_message();  // never gRPC UNIMPLEMENTED
  EXPECT_NE(reply.status().code(), 0);
  EXPECT_NE(reply.status().error_code(), common_pb::Success);
  EXPECT_THAT(reply.status().reason(), HasSubstr("CalcDistance"));
  EXPECT_THAT(reply.status().reason(), HasSubstr("not supported by cove"));
  milvus_pb::GetMetricsRequest metrics_request;
  metrics_request.set_request(R"({"metric_type": "no_such_metric"})");
  milvus_pb::GetMetricsResponse metrics;
  ASSERT_TRUE(
      stub_->GetMetrics(Context().get(), metrics_request, &metrics).ok());
  EXPECT_THAT(metrics.status().reason(), HasSubstr("no_such_metric"));
}

TEST_F(ServerTest, CollectionNotFoundUsesBothCodes) {
  milvus_pb::DescribeCollectionRequest request;
  request.set_collection_name("nope");
  milvus_pb::DescribeCollectionResponse response;
  ASSERT_TRUE(
      stub_->DescribeCollection(Context().get(), request, &response).ok());
  EXPECT_EQ(response.status().error_code(), common_pb::CollectionNotExists);
  EXPECT_EQ(response.status().code(), 100);
  EXPECT_THAT(response.status().reason(), HasSubstr("nope"));
}

TEST_F(ServerTest, IllegalArgumentUsesBothCodes) {
  milvus_pb::CreateCollectionRequest create;
  create.set_collection_name("bad");
  create.set_schema("not a schema \xff\xff");
  common_pb::Status status;
  ASSERT_TRUE(stub_->CreateCollection(Context().get(), create, &status).ok());
  EXPECT_EQ(status.error_code(), common_pb::IllegalArgument);
  EXPECT_EQ(status.code(), 1100);
}

TEST_F(ServerTest, DescribeListsDimAndHidesMeta) {
  CreateDocs();
  milvus_pb::DescribeCollectionRequest request;
  request.set_collection_name("docs");
  milvus_pb::DescribeCollectionResponse response;
  ASSERT_TRUE(
      stub_->DescribeCollection(Context().get(), request, &response).ok());
  ASSERT_EQ(response.status().code(), 0);
  EXPECT_TRUE(response.schema().enable_dynamic_field());
  ASSERT_EQ(response.schema().fields_size(), 2);
  EXPECT_EQ(response.schema().fields(1).name(), "vector");
  EXPECT_EQ(
      internal::FindKeyValue(response.schema().fields(1).type_params(), "dim"),
      "3");
  EXPECT_NE(response.update_timestamp(), 0u);
  EXPECT_EQ(response.collection_name(), "docs");
  // Hybrid timestamps (milliseconds << 18), as Milvus reports them.
  const int64_t now_ms = absl::ToUnixMillis(absl::Now());
  const int64_t created_ms =
      internal::HybridTsPhysicalMs(response.created_timestamp());
  EXPECT_LE(created_ms, now_ms);
  EXPECT_GT(created_ms, now_ms - 3600 * 1000);
  EXPECT_EQ(response.update_timestamp(), response.created_timestamp());
  EXPECT_EQ(
      internal::CollectionCreatedMicros(response.created_timestamp()) / 1000,
      static_cast<int64_t>(response.created_utc_timestamp()));

  milvus_pb::GetLoadingProgressRequest progress;
  progress.set_collection_name("docs");
  milvus_pb::GetLoadingProgressResponse progress_response;
  ASSERT_TRUE(
      stub_->GetLoadingProgress(Context().get(), progress, &progress_response)
          .ok());
  EXPECT_EQ(progress_response.progress(), 100);

  milvus_pb::DescribeIndexRequest index;
  index.set_collection_name("docs");
  milvus_pb::DescribeIndexResponse index_response;
  ASSERT_TRUE(
      stub_->DescribeIndex(Context().get(), index, &index_response).ok());
  ASSERT_EQ(index_response.index_descriptions_size(), 1);
  EXPECT_EQ(internal::FindKeyValue(
                index_response.index_descriptions(0).params(), "index_type"),
            "HNSW");
  EXPECT_EQ(index_response.index_descriptions(0).state(), common_pb::Finished);
}

// Columns of different lengths on the wire (a client that does not check
// them itself): INVALID_ARGUMENT naming the column and both lengths, not a
// type error (issue 13, item 19).
TEST_F(ServerTest, RaggedColumnsOnTheWireNameTheLengths) {
  CreateDocs();
  milvus_pb::InsertRequest insert;
  insert.set_collection_name("docs");
  insert.set_num_rows(3);
  auto* id = insert.add_fields_data();
  id->set_field_name("id");
  id->set_type(schema_pb::Int64);
  for (int64_t i : {10, 20, 30}) {
    id->mutable_scalars()->mutable_long_data()->add_data(i);
  }
  auto* vec = insert.add_fields_data();
  vec->set_field_name("vector");
  vec->set_type(schema_pb::FloatVector);
  vec->mutable_vectors()->set_dim(3);
  for (float f : {1, 0, 0, 0, 1, 0}) {
    vec->mutable_vectors()->mutable_float_vector()->add_data(f);
  }
  milvus_pb::MutationResult inserted;
  ASSERT_TRUE(stub_->Insert(Context().get(), insert, &inserted).ok());
  EXPECT_EQ(inserted.status().code(), 1100) << inserted.status().reason();
  EXPECT_THAT(inserted.status().reason(),
              HasSubstr("field data 'vector': wrong number of rows "
                        "(expected 3, got 2)"));
  EXPECT_THAT(inserted.status().reason(), Not(HasSubstr("expected INT64")));
}

TEST_F(ServerTest, InsertSearchAndQueryOnTheWire) {
  CreateDocs();
  // Insert as a Milvus client does: one column per field, vectors row-major,
  // dynamic keys in a $meta JSON column flagged dynamic.
  milvus_pb::InsertRequest insert;
  insert.set_collection_name("docs");
  insert.set_num_rows(3);
  auto* id = insert.add_fields_data();
  id->set_field_name("id");
  id->set_type(schema_pb::Int64);
  for (int64_t i : {10, 20, 30}) {
    id->mutable_scalars()->mutable_long_data()->add_data(i);
  }
  auto* vec = insert.add_fields_data();
  vec->set_field_name("vector");
  vec->set_type(schema_pb::FloatVector);
  vec->mutable_vectors()->set_dim(3);
  for (float f : {1, 0, 0, 0, 1, 0, 0, 0, 1}) {
    vec->mutable_vectors()->mutable_float_vector()->add_data(f);
  }
  auto* meta = insert.add_fields_data();
  meta->set_field_name("$meta");
  meta->set_type(schema_pb::JSON);
  meta->set_is_dynamic(true);
  for (const char* json :
       {"{\"color\":\"red\"}", "{\"color\":\"blue\"}", "{}"}) {
    meta->mutable_scalars()->mutable_json_data()->add_data(json);
  }
  milvus_pb::MutationResult inserted;
  ASSERT_TRUE(stub_->Insert(Context().get(), insert, &inserted).ok());
  ASSERT_EQ(inserted.status().code(), 0) << inserted.status().reason();
  EXPECT_EQ(inserted.insert_cnt(), 3);
  EXPECT_THAT(inserted.ids().int_id().data(), ElementsAre(10, 20, 30));

  // Search two queries through a PlaceholderGroup.
  common_pb::PlaceholderGroup group;
  auto* ph = group.add_placeholders();
  ph->set_tag("$0");
  ph->set_type(common_pb::PlaceholderType::FloatVector);
  for (const std::vector<float>& q :
       std::vector<std::vector<float>>{{0, 1, 0}, {0, 0, 1}}) {
    std::string bytes(reinterpret_cast<const char*>(q.data()), q.size() * 4);
    ph->add_values(bytes);  // little-endian on this machine
  }
  milvus_pb::SearchRequest search;
  search.set_collection_name("docs");
  search.set_placeholder_group(group.SerializeAsString());
  search.set_dsl_type(common_pb::BoolExprV1);
  search.add_output_fields("color");
  for (auto [k, v] : std::vector<std::pair<std::string, std::string>>{
           {"anns_field", "vector"},
           {"topk", "2"},
           {"metric_type", ""},
           {"params", "{\"ef\": 16}"},
           {"offset", "0"}}) {
    auto* kv = search.add_search_params();
    kv->set_key(k);
    kv->set_value(v);
  }
  search.set_nq(2);
  milvus_pb::SearchResults results;
  ASSERT_TRUE(stub_->Search(Context().get(), search, &results).ok());
  ASSERT_EQ(results.status().code(), 0) << results.status().reason();
  EXPECT_NE(results.session_ts(), 0u);  // the time of the read, as Milvus
  const schema_pb::SearchResultData& data = results.results();
  EXPECT_EQ(data.num_queries(), 2);
  EXPECT_THAT(data.topks(), ElementsAre(2, 2));
  ASSERT_EQ(data.ids().int_id().data_size(), 4);
  EXPECT_EQ(data.ids().int_id().data(0), 20);
  EXPECT_EQ(data.ids().int_id().data(2), 30);
  EXPECT_FLOAT_EQ(data.scores(0), 0.0f);
  bool has_pk = false;
  for (const auto& f : data.fields_data()) has_pk |= f.field_name() == "id";
  EXPECT_TRUE(has_pk);

  // Query with count(*).
  milvus_pb::QueryRequest query;
  query.set_collection_name("docs");
  query.set_expr("color in [\"red\", \"blue\"]");
  query.add_output_fields("count(*)");
  milvus_pb::QueryResults counted;
  ASSERT_TRUE(stub_->Query(Context().get(), query, &counted).ok());
  ASSERT_EQ(counted.status().code(), 0) << counted.status().reason();
  ASSERT_EQ(counted.fields_data_size(), 1);
  EXPECT_EQ(counted.fields_data(0).field_name(), "count(*)");
  EXPECT_THAT(counted.fields_data(0).scalars().long_data().data(),
              ElementsAre(2));
}

TEST_F(ServerTest, DatabaseFromMetadataAndRequest) {
  milvus_pb::ListDatabasesResponse dbs;
  ASSERT_TRUE(stub_
                  ->ListDatabases(Context().get(),
                                  milvus_pb::ListDatabasesRequest(), &dbs)
                  .ok());
  EXPECT_THAT(dbs.db_names(), ::testing::Contains("default"));
  milvus_pb::DescribeDatabaseRequest describe;
  milvus_pb::DescribeDatabaseResponse described;
  ASSERT_TRUE(
      stub_->DescribeDatabase(Context().get(), describe, &described).ok());
  EXPECT_EQ(described.status().code(), 0);
  EXPECT_EQ(described.db_name(), "default");
  ASSERT_TRUE(
      stub_->DescribeDatabase(Context("nodb").get(), describe, &described)
          .ok());
  EXPECT_EQ(described.status().code(), 800);  // database not found
}

TEST_F(ServerTest, CredentialPasswordsArriveBase64) {
  milvus_pb::CreateCredentialRequest create;
  create.set_username("alice");
  create.set_password(internal::Base64Encode("s3cret-pw"));
  common_pb::Status status;
  ASSERT_TRUE(stub_->CreateCredential(Context().get(), create, &status).ok());
  ASSERT_EQ(status.code(), 0) << status.reason();
  EXPECT_THAT(server_->auth_store()->Authenticate("alice", "s3cret-pw"),
              IsOk());
  create.set_password("%%%not base64");
  create.set_username("bob");
  ASSERT_TRUE(stub_->CreateCredential(Context().get(), create, &status).ok());
  EXPECT_EQ(status.code(), 1100);
  EXPECT_THAT(status.reason(), ::testing::Not(HasSubstr("%%%")));
  milvus_pb::ListCredUsersResponse users;
  ASSERT_TRUE(stub_
                  ->ListCredUsers(Context().get(),
                                  milvus_pb::ListCredUsersRequest(), &users)
                  .ok());
  // root exists also with authentication off, as in Milvus.
  EXPECT_THAT(users.usernames(), ElementsAre("root", "alice"));
}

// A data plane's request size limit (ServerOptions::max_write_request_bytes,
// 64 MiB in hosted clusters) refuses an insert or upsert on its wire size,
// before its rows are read, naming the size and the limit; a request under
// the limit is written.
TEST(ServerWriteLimitTest, AWriteOverTheLimitIsRefusedOnItsSize) {
  server::ServerOptions options = cove::testing::TestServerOptions();
  options.max_write_request_bytes = 64 * 1024;
  auto started = cove::testing::StartTestServer(options);
  ASSERT_THAT(started, IsOk());
  auto client = cove::testing::ConnectTo(**started);
  ASSERT_THAT(client, IsOk());
  ASSERT_THAT(client->CreateCollection("docs", 4), IsOk());
  InsertRequest small;
  small.collection_name = "docs";
  small.rows.push_back(Row{{"id", Value(int64_t{1})},
                           {"vector", Value::FloatVector({1, 0, 0, 0})},
                           {"note", Value(std::string(1000, 'x'))}});
  ASSERT_THAT(client->Insert(small).status(), IsOk());
  InsertRequest big = small;
  big.rows[0]["id"] = Value(int64_t{2});
  big.rows[0]["note"] = Value(std::string(70 * 1024, 'x'));
  for (bool upsert : {false, true}) {
    auto written = upsert ? client->Upsert(big) : client->Insert(big);
    EXPECT_THAT(written.status(),
                cove::testing::StatusIs(
                    absl::StatusCode::kResourceExhausted,
                    ::testing::AllOf(
                        HasSubstr("request size: this write holds 7"),
                        HasSubstr("over the limit of 65536 bytes per insert "
                                  "or upsert request"))))
        << (upsert ? "upsert" : "insert");
  }
  QueryRequest count;
  count.collection_name = "docs";
  count.output_fields = {"count(*)"};
  auto rows = client->Query(count);
  ASSERT_THAT(rows, IsOk());
  EXPECT_EQ(rows->at(0).at("count(*)"), Value(int64_t{1}));
}

}  // namespace
}  // namespace cove
