// BINARY_VECTOR fields on every backend (embedded, and remote through an
// in-process cove-server speaking Milvus' wire format: FieldData
// binary_vector bytes and BinaryVector placeholders): rows, BIN_FLAT and
// BIN_IVF_FLAT searches with HAMMING and JACCARD against a bit reference,
// output fields byte for byte, index descriptions, and the refusals.
#include <algorithm>
#include <memory>
#include <random>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "conformance/backends.h"
#include "cove/client.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "server/server_fixture.h"
#include "testing/status_matchers.h"

namespace cove {
namespace {

using ::cove::testing::IsOk;
using ::cove::testing::StatusIs;
using ::testing::HasSubstr;

using ::cove::testing::Backend;
constexpr int kBits = 256;
constexpr int kBytes = kBits / 8;
using Code = std::vector<uint8_t>;

class BinaryConformanceTest : public ::testing::TestWithParam<
                                  std::tuple<Backend, IndexType, MetricType>> {
 protected:
  void SetUp() override {
    EmbeddedOptions embedded;
    embedded.segment_seal_rows = 32;  // sealed segments too
    auto client = cove::testing::OpenOnBackend(std::get<0>(GetParam()),
                                               embedded, &server_);
    ASSERT_THAT(client, IsOk());
    client_ = *std::move(client);
  }
  void TearDown() override {
    client_.reset();
    if (server_ != nullptr) server_->Shutdown(std::chrono::milliseconds(0));
  }
  Client& client() { return *client_; }
  IndexType index_type() const { return std::get<1>(GetParam()); }
  MetricType metric() const { return std::get<2>(GetParam()); }

  Code Random() {
    Code c(kBytes);
    for (auto& b : c) b = static_cast<uint8_t>(rng_());
    return c;
  }

  double Ref(const Code& q, const Code& r) const {
    int x = 0, a = 0, o = 0;
    for (int i = 0; i < kBytes; ++i) {
      x += __builtin_popcount(q[i] ^ r[i]);
      a += __builtin_popcount(q[i] & r[i]);
      o += __builtin_popcount(q[i] | r[i]);
    }
    if (metric() == MetricType::kHamming) return x;
    return o == 0 ? 1.0 : static_cast<double>(o - a) / o;
  }

  void MakeCollection() {
    CollectionSchema schema;
    FieldSchema id;
    id.name = "id";
    id.type = DataType::kInt64;
    id.is_primary_key = true;
    schema.AddField(id);
    FieldSchema vec;
    vec.name = "vec";
    vec.type = DataType::kBinaryVector;
    vec.dim = kBits;
    schema.AddField(vec);
    IndexSpec index;
    index.field_name = "vec";
    index.index_type = index_type();
    index.metric_type = metric();
    if (index_type() == IndexType::kBinIvfFlat) index.params["nlist"] = "2";
    ASSERT_THAT(client().CreateCollection("b", schema, {index}), IsOk());
    std::vector<Row> rows;
    for (int64_t id = 0; id < 70; ++id) {
      rows_.push_back(Random());
      rows.push_back(
          Row{{"id", Value(id)}, {"vec", Value::BinaryVector(rows_.back())}});
    }
    ASSERT_THAT(client().Insert("b", rows), IsOk());
    ASSERT_THAT(client().Flush("b"), IsOk());
  }

  std::mt19937 rng_{5};
  std::vector<Code> rows_;
  std::unique_ptr<server::Server> server_;
  std::unique_ptr<Client> client_;
};

TEST_P(BinaryConformanceTest, SearchMatchesReferenceAndCodesRoundTrip) {
  ASSERT_NO_FATAL_FAILURE(MakeCollection());
  SearchRequest s;
  s.collection_name = "b";
  const std::vector<Code> queries = {Random(), Random(), rows_[17]};
  for (const Code& q : queries)
    s.vector_values.push_back(Value::BinaryVector(q));
  s.limit = 5;
  s.output_fields = {"vec"};
  s.params["nprobe"] = Value(int64_t{2});  // every list: exact
  ASSERT_OK_AND_ASSIGN(SearchResults results, client().Search(s));
  ASSERT_EQ(results.hits.size(), 3u);
  for (size_t q = 0; q < 3; ++q) {
    std::vector<double> ref;
    for (const Code& r : rows_) ref.push_back(Ref(queries[q], r));
    std::sort(ref.begin(), ref.end());
    ASSERT_EQ(results.hits[q].size(), 5u);
    for (size_t i = 0; i < 5; ++i) {
      const Hit& hit = results.hits[q][i];
      const Code& row = rows_[hit.id.AsInt()];
      EXPECT_FLOAT_EQ(hit.distance, static_cast<float>(ref[i]));
      EXPECT_FLOAT_EQ(hit.distance, static_cast<float>(Ref(queries[q], row)));
      ASSERT_TRUE(hit.entity.at("vec").is_binary_vector());
      EXPECT_EQ(hit.entity.at("vec").AsBinaryVector(), row);
    }
  }
  EXPECT_EQ(results.hits[2][0].id.AsInt(), 17);  // a row finds itself
  EXPECT_EQ(results.hits[2][0].distance, 0.0f);
  ASSERT_OK_AND_ASSIGN(
      std::vector<Row> got,
      client().Get("b", {Value(int64_t{3}), Value(int64_t{64})}, {"vec"}));
  ASSERT_EQ(got.size(), 2u);
  for (const Row& r : got) {
    EXPECT_EQ(r.at("vec").AsBinaryVector(), rows_[r.at("id").AsInt()]);
  }
  ASSERT_OK_AND_ASSIGN(auto info, client().DescribeCollection("b"));
  EXPECT_EQ(info.schema.fields[1].type, DataType::kBinaryVector);
  EXPECT_EQ(info.schema.fields[1].dim, kBits);
  ASSERT_OK_AND_ASSIGN(auto indexes, client().DescribeIndexes("b"));
  ASSERT_EQ(indexes.size(), 1u);
  EXPECT_EQ(indexes[0].index_type, index_type());
  EXPECT_EQ(indexes[0].metric_type, metric());
}

TEST_P(BinaryConformanceTest, Refusals) {
  ASSERT_NO_FATAL_FAILURE(MakeCollection());
  SearchRequest s;
  s.collection_name = "b";
  s.vector_values = {Value::BinaryVector(Code(3))};
  EXPECT_THAT(client().Search(s),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("expected 256 bits in 32 bytes, got 3")));
  s.vector_values = {Value::BinaryVector(Code(kBytes))};
  s.metric_type = metric() == MetricType::kHamming ? MetricType::kJaccard
                                                   : MetricType::kHamming;
  EXPECT_THAT(client().Search(s),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr(absl::StrCat("the index uses ",
                                              MetricTypeName(metric())))));
  EXPECT_THAT(
      client().Insert("b",
                      {Row{{"id", Value(int64_t{1000})},
                           {"vec", Value::BinaryVector(Code(kBytes + 1))}}}),
      StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("dimension")));
  ASSERT_THAT(client().ReleaseCollection("b"), IsOk());
  ASSERT_THAT(client().DropIndex("b", "vec"), IsOk());
  IndexSpec bad;
  bad.field_name = "vec";
  bad.index_type = IndexType::kHnsw;
  bad.metric_type = MetricType::kHamming;
  EXPECT_THAT(client().CreateIndex("b", bad),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("index type HNSW is not supported on "
                                 "BINARY_VECTOR fields")));
  bad.index_type = IndexType::kBinFlat;
  bad.metric_type = MetricType::kIP;
  EXPECT_THAT(
      client().CreateIndex("b", bad),
      StatusIs(absl::StatusCode::kInvalidArgument,
               HasSubstr("metric IP is not a metric of BINARY_VECTOR")));
}

INSTANTIATE_TEST_SUITE_P(
    All, BinaryConformanceTest,
    ::testing::Combine(
        ::testing::Values(Backend::kEmbedded, Backend::kRemote),
        ::testing::Values(IndexType::kBinFlat, IndexType::kBinIvfFlat),
        ::testing::Values(MetricType::kHamming, MetricType::kJaccard)),
    [](const auto& info) {
      return std::string(std::get<0>(info.param) == Backend::kEmbedded
                             ? "Embedded"
                             : "Remote") +
             IndexTypeName(std::get<1>(info.param)) +
             MetricTypeName(std::get<2>(info.param));
    });

}  // namespace
}  // namespace cove
