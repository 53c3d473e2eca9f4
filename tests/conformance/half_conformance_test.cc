// FLOAT16_VECTOR and BFLOAT16_VECTOR fields on every backend (embedded, and
// remote through an in-process cove-server speaking Milvus' wire format:
// FieldData float16_vector / bfloat16_vector bytes and Float16Vector /
// BFloat16Vector placeholders): rows, searches against a double reference,
// the IVF indexes on the field, output fields bit for bit, and the
// refusals.
#include <algorithm>
#include <cmath>
#include <memory>
#include <random>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "conformance/backends.h"
#include "cove/client.h"
#include "engine/kernels/half.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "server/server_fixture.h"
#include "testing/status_matchers.h"

namespace cove {
namespace {

using ::cove::engine::FloatToHalf;
using ::cove::engine::HalfToFloat;
using ::cove::engine::HalfType;
using ::cove::testing::IsOk;
using ::cove::testing::StatusIs;
using ::testing::HasSubstr;

using ::cove::testing::Backend;
constexpr int kDim = 16;

class HalfConformanceTest
    : public ::testing::TestWithParam<std::tuple<Backend, HalfType>> {
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
  HalfType type() const { return std::get<1>(GetParam()); }
  DataType data_type() const {
    return type() == HalfType::kFloat16 ? DataType::kFloat16Vector
                                        : DataType::kBFloat16Vector;
  }
  Value Half(const std::vector<uint16_t>& bits) const {
    return type() == HalfType::kFloat16 ? Value::Float16Vector(bits)
                                        : Value::BFloat16Vector(bits);
  }
  const std::vector<uint16_t>& Bits(const Value& v) const {
    return type() == HalfType::kFloat16 ? v.AsFloat16Vector()
                                        : v.AsBFloat16Vector();
  }
  std::vector<uint16_t> Random() {
    std::normal_distribution<float> g;
    std::vector<uint16_t> v(kDim);
    for (auto& x : v) x = FloatToHalf(type(), g(rng_));
    return v;
  }

  // Collection `name` with an index of `kind` on "vec" and 70 rows (the
  // same rows in every collection of a test).
  void MakeCollection(MetricType metric, IndexType kind = IndexType::kFlat,
                      const std::string& name = "h") {
    CollectionSchema schema;
    FieldSchema id;
    id.name = "id";
    id.type = DataType::kInt64;
    id.is_primary_key = true;
    schema.AddField(id);
    FieldSchema vec;
    vec.name = "vec";
    vec.type = data_type();
    vec.dim = kDim;
    schema.AddField(vec);
    IndexSpec index;
    index.field_name = "vec";
    index.index_type = kind;
    index.metric_type = metric;
    if (kind != IndexType::kFlat) index.params = {{"nlist", "4"}};
    ASSERT_THAT(client().CreateCollection(name, schema, {index}), IsOk());
    std::vector<Row> rows;
    for (int64_t id = 0; id < 70; ++id) {
      if (rows_.size() < 70) rows_.push_back(Random());
      rows.push_back(Row{{"id", Value(id)}, {"vec", Half(rows_[id])}});
    }
    ASSERT_THAT(client().Insert(name, rows), IsOk());
  }

  std::mt19937 rng_{5};
  std::vector<std::vector<uint16_t>> rows_;
  std::unique_ptr<server::Server> server_;
  std::unique_ptr<Client> client_;
};

TEST_P(HalfConformanceTest, SearchMatchesReferenceAndValuesRoundTrip) {
  ASSERT_NO_FATAL_FAILURE(MakeCollection(MetricType::kIP));
  SearchRequest s;
  s.collection_name = "h";
  std::vector<std::vector<uint16_t>> queries = {Random(), Random()};
  for (const auto& q : queries) s.vector_values.push_back(Half(q));
  s.limit = 5;
  s.output_fields = {"vec"};
  ASSERT_OK_AND_ASSIGN(SearchResults results, client().Search(s));
  ASSERT_EQ(results.hits.size(), 2u);
  for (size_t q = 0; q < 2; ++q) {
    std::vector<std::pair<double, int64_t>> ref;
    for (size_t id = 0; id < rows_.size(); ++id) {
      double ip = 0;
      for (int i = 0; i < kDim; ++i) {
        ip += double{HalfToFloat(type(), queries[q][i])} *
              HalfToFloat(type(), rows_[id][i]);
      }
      ref.emplace_back(-ip, static_cast<int64_t>(id));
    }
    std::sort(ref.begin(), ref.end());
    ASSERT_EQ(results.hits[q].size(), 5u);
    for (size_t i = 0; i < 5; ++i) {
      const Hit& hit = results.hits[q][i];
      EXPECT_EQ(hit.id.AsInt(), ref[i].second);
      EXPECT_NEAR(hit.distance, -ref[i].first,
                  1e-4 * (1 + std::fabs(ref[i].first)));
      EXPECT_EQ(Bits(hit.entity.at("vec")), rows_[hit.id.AsInt()]);
    }
  }
  ASSERT_OK_AND_ASSIGN(
      std::vector<Row> got,
      client().Get("h", {Value(int64_t{3}), Value(int64_t{64})}, {"vec"}));
  ASSERT_EQ(got.size(), 2u);
  for (const Row& r : got) {
    EXPECT_EQ(Bits(r.at("vec")), rows_[r.at("id").AsInt()]);
  }
  // float32 queries are rounded to the field's type.
  SearchRequest f = s;
  f.vector_values.clear();
  for (uint16_t x : queries[0]) f.vectors.push_back(HalfToFloat(type(), x));
  f.dim = kDim;
  ASSERT_OK_AND_ASSIGN(SearchResults same, client().Search(f));
  ASSERT_EQ(same.hits[0].size(), 5u);
  for (size_t i = 0; i < 5; ++i) {
    EXPECT_EQ(same.hits[0][i].id, results.hits[0][i].id);
  }
  ASSERT_OK_AND_ASSIGN(auto info, client().DescribeCollection("h"));
  EXPECT_EQ(info.schema.fields[1].type, data_type());
  EXPECT_EQ(info.schema.fields[1].dim, kDim);
}

// IVF_FLAT, IVF_SQ8, IVF_PQ and SCANN on the field (Milvus 2.5 takes them):
// created with the collection, built on the sealed segments, searched with
// every list probed and a deep re-rank: the exact L2 top-5.
TEST_P(HalfConformanceTest, IvfIndexesOnTheField) {
  const std::vector<std::pair<IndexType, const char*>> kinds = {
      {IndexType::kIvfFlat, ""},
      {IndexType::kIvfSq8, "rerank"},
      {IndexType::kIvfPq, "rerank"},
      {IndexType::kScann, "reorder_k"}};
  const std::vector<uint16_t> query = Random();
  for (size_t k = 0; k < kinds.size(); ++k) {
    const std::string name = absl::StrCat("ivf", k);
    SCOPED_TRACE(name);
    ASSERT_NO_FATAL_FAILURE(
        MakeCollection(MetricType::kL2, kinds[k].first, name));
    ASSERT_THAT(client().Flush(name), IsOk());  // waits for the builds
    ASSERT_OK_AND_ASSIGN(auto indexes, client().DescribeIndexes(name));
    ASSERT_EQ(indexes.size(), 1u);
    EXPECT_EQ(indexes[0].index_type, kinds[k].first);
    EXPECT_EQ(indexes[0].indexed_rows, 70);
    EXPECT_EQ(indexes[0].state, "Finished");
    SearchRequest s;
    s.collection_name = name;
    s.vector_values = {Half(query)};
    s.limit = 5;
    s.params["nprobe"] = Value(int64_t{4});
    if (*kinds[k].second != '\0')
      s.params[kinds[k].second] = Value(int64_t{100});
    ASSERT_OK_AND_ASSIGN(SearchResults results, client().Search(s));
    std::vector<std::pair<double, int64_t>> ref;
    for (size_t id = 0; id < rows_.size(); ++id) {
      double l2 = 0;
      for (int i = 0; i < kDim; ++i) {
        const double d = double{HalfToFloat(type(), query[i])} -
                         HalfToFloat(type(), rows_[id][i]);
        l2 += d * d;
      }
      ref.emplace_back(l2, static_cast<int64_t>(id));
    }
    std::sort(ref.begin(), ref.end());
    ASSERT_EQ(results.hits.size(), 1u);
    ASSERT_EQ(results.hits[0].size(), 5u);
    for (size_t i = 0; i < 5; ++i) {
      EXPECT_EQ(results.hits[0][i].id.AsInt(), ref[i].second) << "hit " << i;
      EXPECT_NEAR(results.hits[0][i].distance, ref[i].first,
                  1e-4 * (1 + ref[i].first));
    }
  }
}

TEST_P(HalfConformanceTest, Refusals) {
  ASSERT_NO_FATAL_FAILURE(MakeCollection(MetricType::kL2));
  SearchRequest s;
  s.collection_name = "h";
  const bool f16 = type() == HalfType::kFloat16;
  s.vector_values = {f16 ? Value::BFloat16Vector(std::vector<uint16_t>(kDim))
                         : Value::Float16Vector(std::vector<uint16_t>(kDim))};
  EXPECT_THAT(client().Search(s),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr(f16 ? "expected FLOAT16_VECTOR"
                                     : "expected BFLOAT16_VECTOR")));
  s.vector_values = {Half(std::vector<uint16_t>(3))};
  EXPECT_THAT(client().Search(s), StatusIs(absl::StatusCode::kInvalidArgument,
                                           HasSubstr("wrong dimension")));
  ASSERT_THAT(client().ReleaseCollection("h"), IsOk());
  ASSERT_THAT(client().DropIndex("h", "vec"), IsOk());
  IndexSpec diskann;
  diskann.field_name = "vec";
  diskann.index_type = IndexType::kDiskAnn;
  diskann.metric_type = MetricType::kL2;
  EXPECT_THAT(client().CreateIndex("h", diskann),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr(absl::StrCat(
                           "index type DISKANN is not supported on ",
                           f16 ? "FLOAT16_VECTOR" : "BFLOAT16_VECTOR"))));
}

INSTANTIATE_TEST_SUITE_P(
    All, HalfConformanceTest,
    ::testing::Combine(::testing::Values(Backend::kEmbedded, Backend::kRemote),
                       ::testing::Values(HalfType::kFloat16,
                                         HalfType::kBFloat16)),
    [](const auto& info) {
      return std::string(std::get<0>(info.param) == Backend::kEmbedded
                             ? "Embedded"
                             : "Remote") +
             (std::get<1>(info.param) == HalfType::kFloat16 ? "Float16"
                                                            : "BFloat16");
    });

}  // namespace
}  // namespace cove
