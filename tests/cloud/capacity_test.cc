// Issue 13, item 18: capacity counts bytes, not only vectors. Through a real
// data plane: a huge dynamic field and a huge insert are refused by the
// per-request limit, and rows with large scalar, JSON and dynamic values
// fill the cluster's storage quota (capacity_bytes) long before its vector
// quota; RESOURCE_EXHAUSTED names the limit, scaling up lifts it, and
// Cluster.used_bytes and the metrics' CU usage show it.
#include <string>
#include <vector>

#include "cloud/cloud_fixture.h"
#include "gmock/gmock.h"
#include "hosting/capacity_connection.h"

namespace cove::cloud::testing {
namespace {

using ::cove::testing::IsOk;
using ::cove::testing::StatusIs;
using ::testing::HasSubstr;

class CapacityTest : public CloudFixture {
 protected:
  void SetUp() override {
    CloudFixture::SetUp();
    ASSERT_OK_AND_ASSIGN(v1::Organization org, MakeOrg("acme"));
    ASSERT_THAT(MakeProject("acme", "web"), IsOk());
    ASSERT_THAT(MakeEnv(project_, "env1", org.external_id()), IsOk());
    // Many vectors per CU, little storage: the byte quota is the one hit.
    v1::UpdateSettingsRequest settings;
    (*settings.mutable_vectors_per_cu())["performance"] = 1000000;
    (*settings.mutable_bytes_per_cu())["performance"] = 2 << 20;
    ASSERT_THAT(Emu(&v1::Emulator::Stub::UpdateSettings, settings), IsOk());
    ASSERT_OK_AND_ASSIGN(v1::Operation op, StartCluster(project_, env_, "big"));
    ASSERT_OK_AND_ASSIGN(op, Wait(op.name()));
    ASSERT_EQ(op.error_code(), 0) << op.error_message();
    cluster_ = op.cluster();
    EXPECT_EQ(cluster_.capacity_bytes(), 2 << 20);
    EXPECT_EQ(cluster_.capacity_vectors(), 1000000);
    // 68 MB requests: under ASan, with the tests compiled at -O0 (whose
    // copies of header-only code, nlohmann::json's, the linker may pick for
    // the libraries too), one takes more than the fixture's 10 s.
    ASSERT_OK_AND_ASSIGN(
        Client data, DataClient(cluster_.endpoint(), cluster_.admin_password(),
                                "", std::chrono::seconds(120)));
    data_.emplace(std::move(data));
    ASSERT_OK(data_->CreateCollection("docs", 4));  // dynamic fields on
  }

  Row DocRow(int64_t id, size_t text_bytes) {
    return Row{{"id", Value(id)},
               {"vector", Value::FloatVector({1.0f, 0.5f, 0.25f, 0.125f})},
               {"note", Value(std::string(text_bytes, 'x'))},
               {"meta", Value::MakeObject(
                            {{"k", Value(std::string(text_bytes / 4, 'y'))}})}};
  }

  const std::string project_ = "organizations/acme/projects/web";
  const std::string env_ = project_ + "/environments/env1";
  v1::Cluster cluster_;
  std::optional<Client> data_;
};

TEST_F(CapacityTest, AHugeDynamicFieldAndAHugeInsertAreRefused) {
  // One row whose dynamic field holds 68,000,000 characters.
  InsertRequest huge_field;
  huge_field.collection_name = "docs";
  huge_field.rows.push_back(DocRow(1, 0));
  huge_field.rows[0]["blob"] = Value(std::string(68'000'000, 'z'));
  EXPECT_THAT(
      data_->Insert(huge_field),
      StatusIs(absl::StatusCode::kResourceExhausted, HasSubstr("64 MiB")));
  EXPECT_THAT(data_->Upsert(huge_field),
              StatusIs(absl::StatusCode::kResourceExhausted,
                       HasSubstr("per insert or upsert request")));
  huge_field.rows.clear();
  // 66 MB of rows in one request.
  InsertRequest huge;
  huge.collection_name = "docs";
  for (int64_t i = 0; i < 66; ++i) huge.rows.push_back(DocRow(i, 1'000'000));
  EXPECT_THAT(data_->Insert(huge),
              StatusIs(absl::StatusCode::kResourceExhausted,
                       HasSubstr("request size")));
  huge.rows.clear();
  // Nothing was written.
  QueryRequest count;
  count.collection_name = "docs";
  count.output_fields = {"count(*)"};
  ASSERT_OK_AND_ASSIGN(auto rows, data_->Query(count));
  EXPECT_EQ(rows.at(0).at("count(*)"), Value(int64_t{0}));
}

TEST_F(CapacityTest, StorageQuotaCountsScalarsJsonAndDynamicFields) {
  // 64 KiB of scalar, JSON and dynamic data per row: 2 MiB hold about 32
  // such rows, against a million vectors.
  absl::Status refused;
  int64_t written = 0;
  for (int64_t batch = 0; batch < 200 && refused.ok(); ++batch) {
    InsertRequest ins;
    ins.collection_name = "docs";
    for (int64_t i = 0; i < 4; ++i) {
      ins.rows.push_back(DocRow(batch * 4 + i, 40 * 1024));
      ins.rows.back()["extra"] = Value(std::string(14 * 1024, 'e'));
    }
    auto r = data_->Insert(ins);
    refused = r.status();
    if (r.ok()) {
      written += 4;
      ASSERT_OK(data_->Flush("docs"));
    }
  }
  ASSERT_THAT(refused, StatusIs(absl::StatusCode::kResourceExhausted,
                                HasSubstr("capacity_bytes")));
  EXPECT_GT(written, 0);
  EXPECT_LT(written, 100) << "far below the vector quota";
  ASSERT_OK_AND_ASSIGN(v1::Cluster c, GetCluster(cluster_.name()));
  EXPECT_EQ(c.used_vectors(), written);
  EXPECT_GT(c.used_bytes(), (2 << 20) * 8 / 10);
  v1::GetClusterMetricsRequest mreq;
  mreq.set_name(cluster_.name());
  ASSERT_OK_AND_ASSIGN(
      v1::ClusterMetrics m,
      Call(&v1::ControlPlane::Stub::GetClusterMetrics, mreq, kAdminKey));
  EXPECT_GT(m.cu_usage(), 0.8) << "CU usage follows the bytes";
  // Scale-down is refused while the data would not fit.
  v1::ScaleClusterRequest scale;
  scale.set_name(cluster_.name());
  scale.set_cu_size(4);
  ASSERT_OK_AND_ASSIGN(
      v1::Operation op,
      Call(&v1::ControlPlane::Stub::ScaleCluster, scale, kAdminKey));
  ASSERT_OK_AND_ASSIGN(op, Wait(op.name()));
  ASSERT_EQ(op.error_code(), 0) << op.error_message();
  EXPECT_EQ(op.cluster().capacity_bytes(), 4 * (2 << 20));
  // Scaled up: the same write goes through.
  InsertRequest more;
  more.collection_name = "docs";
  more.rows.push_back(DocRow(100000, 40 * 1024));
  EXPECT_THAT(data_->Insert(more), IsOk());
  scale.set_cu_size(1);
  EXPECT_THAT(
      Call(&v1::ControlPlane::Stub::ScaleCluster, scale, kAdminKey),
      StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("bytes")));
}

// The capacity wrapper of a hosted cluster passes every read through,
// hybrid search included.
TEST_F(CapacityTest, HybridSearchReachesTheEngine) {
  InsertRequest insert;
  insert.collection_name = "docs";
  for (int64_t i = 0; i < 20; ++i) insert.rows.push_back(DocRow(i, 8));
  ASSERT_THAT(data_->Insert(insert), IsOk());
  SearchRequest one;
  one.vectors = {1.0f, 0.5f, 0.25f, 0.125f};
  one.dim = 4;
  one.limit = 5;
  one.anns_field = "vector";
  HybridSearchRequest hybrid;
  hybrid.collection_name = "docs";
  hybrid.requests = {one, one};
  hybrid.ranker = Ranker::RRF(60);
  hybrid.limit = 5;
  ASSERT_OK_AND_ASSIGN(SearchResults found, data_->HybridSearch(hybrid));
  ASSERT_EQ(found.hits.size(), 1u);
  EXPECT_EQ(found.hits[0].size(), 5u);
}

TEST(CapacityConnectionTest, RequestBytesCountsEveryKindOfValue) {
  InsertRequest r;
  r.rows.push_back(Row{
      {"id", Value(int64_t{1})},
      {"s", Value(std::string(10, 'a'))},
      {"b", Value(true)},
      {"n", Value()},
      {"v", Value::FloatVector({1, 2, 3})},
      {"o", Value::MakeObject({{"kk", Value(2.5)}})},
      {"a", Value::MakeArray({Value(int64_t{1}), Value(std::string("xy"))})}});
  // keys 2+1+1+1+1+1+1 = 8; values 8 + 10 + 1 + 1 + 12 + (2 + 8) + (8 + 2).
  EXPECT_EQ(hosting::CapacityConnection::RequestBytes(r),
            8 + 8 + 10 + 1 + 1 + 12 + 10 + 10);
  InsertRequest cols;
  Column c;
  c.name = "vec";
  c.dim = 2;
  c.float_vectors = {1, 2, 3, 4};
  cols.columns.push_back(c);
  EXPECT_EQ(hosting::CapacityConnection::RequestBytes(cols), 3 + 16);
}

}  // namespace
}  // namespace cove::cloud::testing
