// cove-server's timestamps, settings, cluster information, resource groups,
// RBAC v2 and bulk import, over raw gRPC stubs (as any Milvus client).
#include <grpcpp/grpcpp.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <memory>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "cove/value.h"
#include "embedded/embedded_connection.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "milvus.grpc.pb.h"
#include "milvus/convert.h"
#include "milvus/timestamp.h"
#include "server/import_task.h"
#include "server/server_fixture.h"
#include "testing/status_matchers.h"

namespace cove {
namespace {

namespace milvus_pb = ::milvus::proto::milvus;
namespace common_pb = ::milvus::proto::common;
namespace schema_pb = ::milvus::proto::schema;

using ::cove::testing::IsOk;
using ::cove::testing::StatusIs;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

#pragma GCC diagnostic ignored "-Wdeprecated-declarations"

std::string TempDir(const std::string& name) {
  std::string dir = ::testing::TempDir() + "/cove_admin_" + name + "_" +
                    std::to_string(::getpid());
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  return dir;
}

TEST(HybridClockTest, IncreasesAlsoWhenTheClockStandsOrGoesBack) {
  int64_t now = 1'700'000'000'000;
  internal::HybridClock clock([&] { return now; });
  uint64_t a = clock.Next();
  EXPECT_EQ(internal::HybridTsPhysicalMs(a), now);
  uint64_t b = clock.Next();  // same millisecond: the logical part counts
  EXPECT_EQ(b, a + 1);
  now -= 5000;  // the clock goes back
  uint64_t c = clock.Next();
  EXPECT_GT(c, b);
  now += 10'000;
  uint64_t d = clock.Next();
  EXPECT_EQ(d, internal::ComposeHybridTs(now, 0));
}

TEST(Utf8Test, InvalidBytesAreEscaped) {
  EXPECT_EQ(internal::ValidUtf8("caf\xc3\xa9"), "caf\xc3\xa9");
  EXPECT_EQ(internal::ValidUtf8("a\xff"
                                "b"),
            "a\\xffb");
  EXPECT_EQ(internal::ValidUtf8("\xc3"), "\\xc3");           // truncated
  EXPECT_EQ(internal::ValidUtf8("\xc0\xaf"), "\\xc0\\xaf");  // overlong
  EXPECT_EQ(internal::ValidUtf8("\xed\xa0\x80"),
            "\\xed\\xa0\\x80");  // surrogate
  absl::Status s = absl::InvalidArgumentError("name 'x\xfe'");
  EXPECT_EQ(internal::StatusToProto(s).reason(), "name 'x\\xfe'");
}

// A .npy file (format 1.0) with the given dtype, shape and raw data.
std::string Npy(const std::string& descr, const std::string& shape,
                const std::string& data) {
  std::string header = "{'descr': '" + descr +
                       "', 'fortran_order': False, 'shape': (" + shape + "), }";
  while ((10 + header.size() + 1) % 64 != 0) header += ' ';
  header += '\n';
  std::string out = "\x93NUMPY";
  out += '\x01';
  out += '\x00';
  out += static_cast<char>(header.size() & 0xFF);
  out += static_cast<char>(header.size() >> 8);
  return out + header + data;
}

template <typename T>
std::string Bytes(const std::vector<T>& v) {
  return std::string(reinterpret_cast<const char*>(v.data()),
                     v.size() * sizeof(T));
}

TEST(ParseNpyTest, ReadsTheDtypesMilvusImports) {
  ASSERT_OK_AND_ASSIGN(
      auto ints,
      server::ParseNpy("id.npy", Npy("<i8", "3,", Bytes<int64_t>({7, -1, 9}))));
  ASSERT_EQ(ints.size(), 3u);
  EXPECT_EQ(ints[1].AsInt(), -1);
  ASSERT_OK_AND_ASSIGN(
      auto vecs,
      server::ParseNpy("v.npy",
                       Npy("<f4", "2, 2", Bytes<float>({1.f, 2.f, 3.f, 4.f}))));
  ASSERT_EQ(vecs.size(), 2u);
  EXPECT_THAT(vecs[1].AsFloatVector(), ElementsAre(3.f, 4.f));
  // Unicode strings are UTF-32: "hé", "x".
  ASSERT_OK_AND_ASSIGN(
      auto text,
      server::ParseNpy("t.npy",
                       Npy("<U2", "2,", Bytes<uint32_t>({'h', 0xE9, 'x', 0}))));
  EXPECT_EQ(text[0].AsString(), "h\xc3\xa9");
  EXPECT_EQ(text[1].AsString(), "x");
  EXPECT_THAT(server::ParseNpy("b.npy", "not numpy"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("b.npy")));
  EXPECT_THAT(server::ParseNpy("c.npy", Npy("<c8", "1,", std::string(8, 0))),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("dtype")));
  EXPECT_THAT(
      server::ParseNpy("s.npy", Npy("<i8", "4,", Bytes<int64_t>({1}))),
      StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("shorter")));
}

class AdminRpcTest : public ::testing::Test {
 protected:
  void Start(
      server::ServerOptions options = cove::testing::TestServerOptions()) {
    auto server = cove::testing::StartTestServer(std::move(options));
    ASSERT_THAT(server, IsOk());
    server_ = *std::move(server);
    channel_ = grpc::CreateChannel(server_->address(),
                                   grpc::InsecureChannelCredentials());
    stub_ = milvus_pb::MilvusService::NewStub(channel_);
  }
  void SetUp() override { Start(); }

  std::unique_ptr<grpc::ClientContext> Context() {
    auto ctx = std::make_unique<grpc::ClientContext>();
    ctx->set_deadline(std::chrono::system_clock::now() +
                      std::chrono::seconds(10));
    return ctx;
  }

  // "docs": id INT64, vector dim 2, FLAT index, loaded.
  void CreateDocs(common_pb::ConsistencyLevel level = common_pb::Bounded) {
    schema_pb::CollectionSchema schema;
    schema.set_name("docs");
    auto* id = schema.add_fields();
    id->set_name("id");
    id->set_data_type(schema_pb::Int64);
    id->set_is_primary_key(true);
    auto* vec = schema.add_fields();
    vec->set_name("vector");
    vec->set_data_type(schema_pb::FloatVector);
    auto* dim = vec->add_type_params();
    dim->set_key("dim");
    dim->set_value("2");
    milvus_pb::CreateCollectionRequest create;
    create.set_collection_name("docs");
    create.set_schema(schema.SerializeAsString());
    create.set_consistency_level(level);
    auto* ttl = create.add_properties();
    ttl->set_key("collection.ttl.seconds");
    ttl->set_value("60");
    common_pb::Status status;
    ASSERT_TRUE(stub_->CreateCollection(Context().get(), create, &status).ok());
    ASSERT_EQ(status.code(), 0) << status.reason();
    milvus_pb::CreateIndexRequest index;
    index.set_collection_name("docs");
    index.set_field_name("vector");
    auto* type = index.add_extra_params();
    type->set_key("index_type");
    type->set_value("FLAT");
    auto* metric = index.add_extra_params();
    metric->set_key("metric_type");
    metric->set_value("L2");
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

TEST_F(AdminRpcTest, AllocTimestampIsAHybridTimestampThatIncreases) {
  milvus_pb::AllocTimestampResponse a, b;
  ASSERT_TRUE(stub_->AllocTimestamp(Context().get(), {}, &a).ok());
  ASSERT_TRUE(stub_->AllocTimestamp(Context().get(), {}, &b).ok());
  EXPECT_EQ(a.status().code(), 0);
  EXPECT_GT(b.timestamp(), a.timestamp());
  const int64_t now_ms = absl::ToUnixMillis(absl::Now());
  EXPECT_NEAR(static_cast<double>(internal::HybridTsPhysicalMs(a.timestamp())),
              static_cast<double>(now_ms), 60'000.0);
}

TEST_F(AdminRpcTest, ConsistencyLevelAndPropertiesAreStoredAndAltered) {
  CreateDocs(common_pb::Bounded);
  milvus_pb::DescribeCollectionRequest describe;
  describe.set_collection_name("docs");
  milvus_pb::DescribeCollectionResponse d;
  ASSERT_TRUE(stub_->DescribeCollection(Context().get(), describe, &d).ok());
  EXPECT_EQ(d.consistency_level(), common_pb::Bounded);
  ASSERT_EQ(d.properties_size(), 1);
  EXPECT_EQ(d.properties(0).key(), "collection.ttl.seconds");

  milvus_pb::AlterCollectionRequest alter;
  alter.set_collection_name("docs");
  auto* mmap = alter.add_properties();
  mmap->set_key("mmap.enabled");
  mmap->set_value("true");
  alter.add_delete_keys("collection.ttl.seconds");
  common_pb::Status status;
  ASSERT_TRUE(stub_->AlterCollection(Context().get(), alter, &status).ok());
  ASSERT_EQ(status.code(), 0) << status.reason();
  ASSERT_TRUE(stub_->DescribeCollection(Context().get(), describe, &d).ok());
  ASSERT_EQ(d.properties_size(), 1);
  EXPECT_EQ(d.properties(0).key(), "mmap.enabled");

  alter.clear_delete_keys();
  mmap->set_key("collection.ttl.seconds");
  mmap->set_value("soon");
  ASSERT_TRUE(stub_->AlterCollection(Context().get(), alter, &status).ok());
  EXPECT_EQ(status.code(), 1100);
  EXPECT_THAT(status.reason(), HasSubstr("collection.ttl.seconds"));
}

TEST_F(AdminRpcTest, SettingsSurviveARestart) {
  const std::string dir = TempDir("restart");
  for (int round = 0; round < 2; ++round) {
    auto conn = internal::MakeEmbeddedConnection(dir, EmbeddedOptions{});
    ASSERT_THAT(conn, IsOk());
    server::ServerOptions options = cove::testing::TestServerOptions();
    options.connection = *conn;
    Start(options);
    if (round == 0) {
      CreateDocs(common_pb::Session);
      milvus_pb::CreateDatabaseRequest db;
      db.set_db_name("books");
      auto* p = db.add_properties();
      p->set_key("database.max.collections");
      p->set_value("3");
      common_pb::Status status;
      ASSERT_TRUE(stub_->CreateDatabase(Context().get(), db, &status).ok());
      ASSERT_EQ(status.code(), 0) << status.reason();
    }
    milvus_pb::DescribeCollectionRequest describe;
    describe.set_collection_name("docs");
    milvus_pb::DescribeCollectionResponse d;
    ASSERT_TRUE(stub_->DescribeCollection(Context().get(), describe, &d).ok());
    EXPECT_EQ(d.consistency_level(), common_pb::Session) << "round " << round;
    ASSERT_EQ(d.properties_size(), 1) << "round " << round;
    milvus_pb::DescribeDatabaseRequest ddb;
    ddb.set_db_name("books");
    milvus_pb::DescribeDatabaseResponse books;
    ASSERT_TRUE(stub_->DescribeDatabase(Context().get(), ddb, &books).ok());
    ASSERT_EQ(books.status().code(), 0) << books.status().reason();
    ASSERT_EQ(books.properties_size(), 1);
    EXPECT_EQ(books.properties(0).value(), "3");
    EXPECT_GT(books.dbid(), 1);
    EXPECT_GT(books.created_timestamp(), 0u);
    server_.reset();
  }
}

TEST_F(AdminRpcTest, DatabaseMaxCollectionsIsEnforced) {
  milvus_pb::CreateDatabaseRequest db;
  db.set_db_name("small");
  auto* p = db.add_properties();
  p->set_key("database.max.collections");
  p->set_value("0");
  common_pb::Status status;
  ASSERT_TRUE(stub_->CreateDatabase(Context().get(), db, &status).ok());
  ASSERT_EQ(status.code(), 0) << status.reason();
  auto conn = server_->connection();
  CallOptions call;
  call.db_name = "small";
  CollectionSchema schema;
  FieldSchema id;
  id.name = "id";
  id.type = DataType::kInt64;
  id.is_primary_key = true;
  FieldSchema vec;
  vec.name = "vector";
  vec.type = DataType::kFloatVector;
  vec.dim = 2;
  schema.AddField(id).AddField(vec);
  EXPECT_THAT(conn->CreateCollection("c", schema, {}, call),
              StatusIs(absl::StatusCode::kResourceExhausted,
                       HasSubstr("database.max.collections")));
}

TEST_F(AdminRpcTest, ClusterInformationDescribesTheOneNode) {
  CreateDocs();
  milvus_pb::GetMetricsRequest metrics_request;
  metrics_request.set_request(R"({"metric_type": "system_info"})");
  milvus_pb::GetMetricsResponse metrics;
  ASSERT_TRUE(
      stub_->GetMetrics(Context().get(), metrics_request, &metrics).ok());
  ASSERT_EQ(metrics.status().code(), 0) << metrics.status().reason();
  ASSERT_OK_AND_ASSIGN(Value json, Value::FromJson(metrics.response()));
  ASSERT_TRUE(json.is_object());
  // A node per Milvus component, all the one process: one query node, the
  // node the default resource group holds (clients compare the two).
  const Value::Array& nodes = json.AsObject().at("nodes_info").AsArray();
  std::vector<std::string> types;
  for (const Value& node : nodes) {
    const Value::Object& infos = node.AsObject().at("infos").AsObject();
    types.push_back(infos.at("type").AsString());
    EXPECT_EQ(infos.at("id").AsInt(), 1);
  }
  EXPECT_THAT(types,
              ElementsAre("proxy", "rootcoord", "datacoord", "querycoord",
                          "datanode", "querynode", "indexnode"));
  milvus_pb::DescribeResourceGroupRequest group_request;
  group_request.set_resource_group("__default_resource_group");
  milvus_pb::DescribeResourceGroupResponse group;
  ASSERT_TRUE(
      stub_->DescribeResourceGroup(Context().get(), group_request, &group)
          .ok());
  ASSERT_EQ(group.status().code(), 0) << group.status().reason();
  EXPECT_EQ(group.resource_group().num_available_node(),
            std::count(types.begin(), types.end(), "querynode"));
  ASSERT_EQ(group.resource_group().nodes_size(), 1);
  EXPECT_EQ(group.resource_group().nodes(0).node_id(), 1);

  milvus_pb::ComponentStates states;
  ASSERT_TRUE(stub_->GetComponentStates(Context().get(), {}, &states).ok());
  EXPECT_EQ(states.state().state_code(), common_pb::Healthy);

  milvus_pb::GetReplicasRequest replicas_request;
  replicas_request.set_collection_name("docs");
  milvus_pb::GetReplicasResponse replicas;
  ASSERT_TRUE(
      stub_->GetReplicas(Context().get(), replicas_request, &replicas).ok());
  ASSERT_EQ(replicas.replicas_size(), 1) << replicas.status().reason();
  EXPECT_EQ(replicas.replicas(0).resource_group_name(),
            "__default_resource_group");

  // Segments: the engine's, with their rows.
  milvus_pb::InsertRequest insert;
  insert.set_collection_name("docs");
  insert.set_num_rows(3);
  auto* ids = insert.add_fields_data();
  ids->set_field_name("id");
  ids->set_type(schema_pb::Int64);
  for (int64_t i : {1, 2, 3}) {
    ids->mutable_scalars()->mutable_long_data()->add_data(i);
  }
  auto* vecs = insert.add_fields_data();
  vecs->set_field_name("vector");
  vecs->set_type(schema_pb::FloatVector);
  vecs->mutable_vectors()->set_dim(2);
  for (float f : {1.f, 2.f, 3.f, 4.f, 5.f, 6.f}) {
    vecs->mutable_vectors()->mutable_float_vector()->add_data(f);
  }
  milvus_pb::MutationResult inserted;
  ASSERT_TRUE(stub_->Insert(Context().get(), insert, &inserted).ok());
  ASSERT_EQ(inserted.status().code(), 0) << inserted.status().reason();
  milvus_pb::GetQuerySegmentInfoRequest seg_request;
  seg_request.set_collectionname("docs");
  milvus_pb::GetQuerySegmentInfoResponse segs;
  ASSERT_TRUE(
      stub_->GetQuerySegmentInfo(Context().get(), seg_request, &segs).ok());
  int64_t rows = 0;
  for (const auto& s : segs.infos()) rows += s.num_rows();
  EXPECT_EQ(rows, 3);

  milvus_pb::ListResourceGroupsResponse groups;
  ASSERT_TRUE(stub_->ListResourceGroups(Context().get(), {}, &groups).ok());
  EXPECT_THAT(groups.resource_groups(),
              ElementsAre("__default_resource_group"));
  milvus_pb::CreateResourceGroupRequest create_rg;
  create_rg.set_resource_group("rg1");
  create_rg.mutable_config()->mutable_requests()->set_node_num(1);
  common_pb::Status status;
  ASSERT_TRUE(
      stub_->CreateResourceGroup(Context().get(), create_rg, &status).ok());
  EXPECT_THAT(status.reason(), HasSubstr("one query node"));
  create_rg.clear_config();
  ASSERT_TRUE(
      stub_->CreateResourceGroup(Context().get(), create_rg, &status).ok());
  EXPECT_EQ(status.code(), 0) << status.reason();
  ASSERT_TRUE(stub_->ListResourceGroups(Context().get(), {}, &groups).ok());
  EXPECT_THAT(groups.resource_groups(),
              ElementsAre("__default_resource_group", "rg1"));
}

TEST_F(AdminRpcTest, PrivilegeGroupsAndBackupRestore) {
  auto auth = server_->auth_store();
  ASSERT_THAT(auth->CreateUser("ann", "ann-pw-123"), IsOk());
  ASSERT_THAT(auth->CreateRole("rw"), IsOk());
  ASSERT_THAT(auth->GrantRole("ann", "rw"), IsOk());
  milvus_pb::CreatePrivilegeGroupRequest create;
  create.set_group_name("mine");
  common_pb::Status status;
  ASSERT_TRUE(
      stub_->CreatePrivilegeGroup(Context().get(), create, &status).ok());
  ASSERT_EQ(status.code(), 0) << status.reason();
  milvus_pb::OperatePrivilegeGroupRequest add;
  add.set_group_name("mine");
  add.add_privileges()->set_name("Insert");
  add.add_privileges()->set_name("NoSuchPrivilege");
  ASSERT_TRUE(stub_->OperatePrivilegeGroup(Context().get(), add, &status).ok());
  EXPECT_THAT(status.reason(), HasSubstr("NoSuchPrivilege"));
  add.mutable_privileges()->RemoveLast();
  ASSERT_TRUE(stub_->OperatePrivilegeGroup(Context().get(), add, &status).ok());
  ASSERT_EQ(status.code(), 0) << status.reason();

  milvus_pb::OperatePrivilegeV2Request grant;
  grant.mutable_role()->set_name("rw");
  grant.mutable_grantor()->mutable_privilege()->set_name("mine");
  grant.set_db_name("default");
  grant.set_collection_name("docs");
  grant.set_type(milvus_pb::Grant);
  ASSERT_TRUE(stub_->OperatePrivilegeV2(Context().get(), grant, &status).ok());
  ASSERT_EQ(status.code(), 0) << status.reason();
  EXPECT_THAT(auth->Check("ann", "Insert", "Collection", "docs", "default"),
              IsOk());
  EXPECT_THAT(auth->Check("ann", "Insert", "Collection", "other", "default"),
              StatusIs(absl::StatusCode::kPermissionDenied));
  EXPECT_THAT(auth->Check("ann", "Delete", "Collection", "docs", "default"),
              StatusIs(absl::StatusCode::kPermissionDenied));
  // A built-in cluster group grants Global privileges.
  grant.mutable_grantor()->mutable_privilege()->set_name("ClusterReadOnly");
  grant.set_collection_name("*");
  grant.set_db_name("*");
  ASSERT_TRUE(stub_->OperatePrivilegeV2(Context().get(), grant, &status).ok());
  ASSERT_EQ(status.code(), 0) << status.reason();
  EXPECT_THAT(auth->Check("ann", "ListDatabases", "Global", "*", "default"),
              IsOk());

  // SelectGrant with db_name "*": the grants of every database.
  milvus_pb::SelectGrantRequest select;
  select.mutable_entity()->mutable_role()->set_name("rw");
  select.mutable_entity()->set_db_name("*");
  milvus_pb::SelectGrantResponse selected;
  ASSERT_TRUE(stub_->SelectGrant(Context().get(), select, &selected).ok());
  ASSERT_EQ(selected.status().code(), 0) << selected.status().reason();
  std::set<std::string> dbs;
  for (const auto& e : selected.entities()) dbs.insert(e.db_name());
  EXPECT_THAT(dbs, ElementsAre("*", "default"));

  milvus_pb::BackupRBACMetaResponse backup;
  ASSERT_TRUE(stub_->BackupRBAC(Context().get(), {}, &backup).ok());
  ASSERT_EQ(backup.status().code(), 0) << backup.status().reason();
  ASSERT_EQ(backup.rbac_meta().users_size(), 1);
  EXPECT_EQ(backup.rbac_meta().users(0).user(), "ann");
  EXPECT_THAT(backup.rbac_meta().users(0).password(),
              ::testing::Not(HasSubstr("ann-pw-123")));

  // Restored into a fresh server: ann logs in with her password and keeps
  // her grants.
  Start();
  milvus_pb::RestoreRBACMetaRequest restore;
  *restore.mutable_rbac_meta() = backup.rbac_meta();
  ASSERT_TRUE(stub_->RestoreRBAC(Context().get(), restore, &status).ok());
  ASSERT_EQ(status.code(), 0) << status.reason();
  auth = server_->auth_store();
  EXPECT_THAT(auth->Authenticate("ann", "ann-pw-123"), IsOk());
  EXPECT_THAT(auth->Check("ann", "Insert", "Collection", "docs", "default"),
              IsOk());
  // A second restore of the same users is refused, changing nothing.
  ASSERT_TRUE(stub_->RestoreRBAC(Context().get(), restore, &status).ok());
  EXPECT_THAT(status.reason(), HasSubstr("already exists"));
}

// What the Node SDK's own specs (v2.5.6) check of errors and orders, as
// Milvus 2.5 answers them.
TEST_F(AdminRpcTest, CreateIndexOnAMissingFieldSaysNonExistAsMilvus) {
  CreateDocs();
  for (const char* type : {"HNSW", "abcd"}) {  // the field is checked first
    milvus_pb::CreateIndexRequest index;
    index.set_collection_name("docs");
    index.set_field_name("vector2322");
    auto* kv = index.add_extra_params();
    kv->set_key("index_type");
    kv->set_value(type);
    common_pb::Status status;
    ASSERT_TRUE(stub_->CreateIndex(Context().get(), index, &status).ok());
    EXPECT_EQ(status.error_code(), common_pb::UnexpectedError) << type;
    EXPECT_NE(status.code(), 0);
    EXPECT_THAT(status.reason(), HasSubstr("non-exist field"));
    EXPECT_THAT(status.reason(), HasSubstr("'vector2322'"));
  }
  // A field that exists still gets its parameters checked.
  milvus_pb::CreateIndexRequest bad_type;
  bad_type.set_collection_name("docs");
  bad_type.set_field_name("vector");
  auto* kv = bad_type.add_extra_params();
  kv->set_key("index_type");
  kv->set_value("abcd");
  common_pb::Status status;
  ASSERT_TRUE(stub_->CreateIndex(Context().get(), bad_type, &status).ok());
  EXPECT_EQ(status.error_code(), common_pb::IllegalArgument);
  EXPECT_THAT(status.reason(), HasSubstr("abcd"));
}

TEST_F(AdminRpcTest, LoadBalanceWithoutACollectionIsCollectionNotExists) {
  CreateDocs();
  milvus_pb::LoadBalanceRequest balance;
  balance.set_src_nodeid(1);
  common_pb::Status status;
  ASSERT_TRUE(stub_->LoadBalance(Context().get(), balance, &status).ok());
  EXPECT_EQ(status.error_code(), common_pb::CollectionNotExists)
      << status.reason();
  EXPECT_EQ(status.code(), 100);
  balance.set_collectionname("docs");
  ASSERT_TRUE(stub_->LoadBalance(Context().get(), balance, &status).ok());
  EXPECT_EQ(status.code(), 0) << status.reason();
}

TEST_F(AdminRpcTest, SelectGrantListsPrivilegesInMilvusOrder) {
  CreateDocs();
  auto auth = server_->auth_store();
  ASSERT_THAT(auth->CreateRole("reader"), IsOk());
  // Granted in the order Search, Query, Load; listed by privilege name.
  for (const char* privilege : {"Search", "Query", "Load"}) {
    milvus_pb::OperatePrivilegeRequest grant;
    auto* e = grant.mutable_entity();
    e->mutable_role()->set_name("reader");
    e->mutable_object()->set_name("Collection");
    e->set_object_name("docs");
    e->set_db_name("default");
    e->mutable_grantor()->mutable_privilege()->set_name(privilege);
    grant.set_type(milvus_pb::Grant);
    common_pb::Status status;
    ASSERT_TRUE(stub_->OperatePrivilege(Context().get(), grant, &status).ok());
    ASSERT_EQ(status.code(), 0) << status.reason();
  }
  milvus_pb::SelectGrantRequest select;
  select.mutable_entity()->mutable_role()->set_name("reader");
  milvus_pb::SelectGrantResponse selected;
  ASSERT_TRUE(stub_->SelectGrant(Context().get(), select, &selected).ok());
  ASSERT_EQ(selected.status().code(), 0) << selected.status().reason();
  std::vector<std::string> names;
  for (const auto& e : selected.entities()) {
    names.push_back(e.grantor().privilege().name());
  }
  EXPECT_THAT(names, ElementsAre("Load", "Query", "Search"));
}

TEST_F(AdminRpcTest, ImportReadsJsonAndNumpyWithProgress) {
  const std::string dir = TempDir("import");
  server::ServerOptions options = cove::testing::TestServerOptions();
  options.import_dir = dir;
  Start(options);
  CreateDocs();
  std::ofstream(dir + "/rows.json")
      << R"({"rows": [{"id": 10, "vector": [1, 0]}, {"id": 11, "vector": [0, 1]}]})";
  std::ofstream(dir + "/id.npy", std::ios::binary)
      << Npy("<i8", "2,", Bytes<int64_t>({20, 21}));
  std::ofstream(dir + "/vector.npy", std::ios::binary)
      << Npy("<f4", "2, 2", Bytes<float>({1.f, 1.f, 2.f, 2.f}));
  auto run = [&](std::vector<std::string> files) {
    milvus_pb::ImportRequest request;
    request.set_collection_name("docs");
    for (const auto& f : files) request.add_files(f);
    milvus_pb::ImportResponse response;
    EXPECT_TRUE(stub_->Import(Context().get(), request, &response).ok());
    EXPECT_EQ(response.status().code(), 0) << response.status().reason();
    EXPECT_EQ(response.tasks_size(), 1);
    milvus_pb::GetImportStateRequest get;
    get.set_task(response.tasks(0));
    milvus_pb::GetImportStateResponse state;
    // The worker runs in the background: poll its state (bounded).
    for (int i = 0; i < 2000; ++i) {
      EXPECT_TRUE(stub_->GetImportState(Context().get(), get, &state).ok());
      if (state.state() == common_pb::ImportCompleted ||
          state.state() == common_pb::ImportFailed) {
        break;
      }
      std::this_thread::yield();
    }
    return state;
  };
  milvus_pb::GetImportStateResponse json = run({"rows.json"});
  EXPECT_EQ(json.state(), common_pb::ImportCompleted);
  EXPECT_EQ(json.row_count(), 2);
  EXPECT_EQ(internal::FindKeyValue(json.infos(), "progress_percent"), "100");
  milvus_pb::GetImportStateResponse npy = run({"id.npy", "vector.npy"});
  EXPECT_EQ(npy.state(), common_pb::ImportCompleted);
  EXPECT_EQ(npy.row_count(), 2);
  milvus_pb::GetImportStateResponse missing = run({"missing.json"});
  EXPECT_EQ(missing.state(), common_pb::ImportFailed);
  EXPECT_THAT(internal::FindKeyValue(missing.infos(), "failed_reason"),
              HasSubstr("missing.json"));
  ASSERT_OK_AND_ASSIGN(CollectionStats stats,
                       server_->connection()->GetCollectionStats("docs", {}));
  EXPECT_EQ(stats.row_count, 4);

  milvus_pb::ImportRequest escape;
  escape.set_collection_name("docs");
  escape.add_files("../etc/passwd");
  milvus_pb::ImportResponse refused;
  ASSERT_TRUE(stub_->Import(Context().get(), escape, &refused).ok());
  EXPECT_THAT(refused.status().reason(), HasSubstr("import directory"));
}

}  // namespace
}  // namespace cove
