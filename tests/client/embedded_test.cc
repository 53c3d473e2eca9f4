// Scenario tests of the embedded backend through the public Client: schema
// validation, writes, searches with filters, queries and errors.
#include <algorithm>
#include <cmath>
#include <random>
#include <string>
#include <vector>

#include "cove/client.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "testing/status_matchers.h"

namespace cove {
namespace {

using ::cove::testing::IsOk;
using ::cove::testing::StatusIs;
using ::testing::HasSubstr;

constexpr int64_t kEmbeddedDim = 8;

FieldSchema Field(std::string name, DataType type) {
  FieldSchema f;
  f.name = std::move(name);
  f.type = type;
  return f;
}

CollectionSchema ProductSchema() {
  CollectionSchema schema;
  FieldSchema id = Field("id", DataType::kInt64);
  id.is_primary_key = true;
  FieldSchema vec = Field("vec", DataType::kFloatVector);
  vec.dim = kEmbeddedDim;
  FieldSchema color = Field("color", DataType::kVarChar);
  color.max_length = 16;
  FieldSchema price = Field("price", DataType::kDouble);
  FieldSchema note = Field("note", DataType::kVarChar);
  note.max_length = 64;
  note.nullable = true;
  FieldSchema stock = Field("stock", DataType::kInt32);
  stock.default_value = Value(7);
  schema.AddField(id)
      .AddField(vec)
      .AddField(color)
      .AddField(price)
      .AddField(note)
      .AddField(stock);
  return schema;
}

std::vector<float> RandomVector(std::mt19937& rng) {
  std::normal_distribution<float> g;
  std::vector<float> v(kEmbeddedDim);
  for (float& x : v) x = g(rng);
  return v;
}

class EmbeddedTest : public ::testing::TestWithParam<IndexType> {
 protected:
  void SetUp() override {
    auto c = Client::Open(":memory:");
    ASSERT_THAT(c, IsOk());
    client_ = std::make_unique<Client>(*c);
    IndexSpec index;
    index.field_name = "vec";
    index.index_type = GetParam();
    index.metric_type = MetricType::kL2;
    if (GetParam() == IndexType::kIvfFlat || GetParam() == IndexType::kIvfSq8) {
      index.params = {{"nlist", "8"}};
    }
    ASSERT_OK(client_->CreateCollection("products", ProductSchema(), {index}));
    std::mt19937 rng(1);
    std::vector<Row> rows;
    for (int i = 0; i < 500; ++i) {
      vectors_.push_back(RandomVector(rng));
      Row row{{"id", Value(i)},
              {"vec", Value::FloatVector(vectors_.back())},
              {"color", Value(i % 2 == 0 ? "red" : "blue")},
              {"price", Value(i * 1.5)}};
      if (i % 5 == 0) row["note"] = Value("five");
      rows.push_back(std::move(row));
    }
    ASSERT_OK_AND_ASSIGN(MutationResult r,
                         client_->Insert("products", std::move(rows)));
    ASSERT_EQ(r.count, 500);
  }

  SearchRequest Search(const std::vector<float>& q, int64_t limit) {
    SearchRequest s;
    s.collection_name = "products";
    s.vectors = q;
    s.dim = kEmbeddedDim;
    s.limit = limit;
    // Each index type takes its own search parameters (Milvus refuses the
    // others).
    if (GetParam() == IndexType::kIvfFlat || GetParam() == IndexType::kIvfSq8) {
      s.params = {{"nprobe", Value(8)}};
    } else if (GetParam() != IndexType::kFlat) {
      s.params = {{"ef", Value(200)}};
    }
    return s;
  }

  std::unique_ptr<Client> client_;
  std::vector<std::vector<float>> vectors_;
};

TEST_P(EmbeddedTest, SearchFindsExactVectorFirst) {
  for (int i : {0, 17, 499}) {
    ASSERT_OK_AND_ASSIGN(SearchResults r,
                         client_->Search(Search(vectors_[i], 3)));
    ASSERT_EQ(r.hits.size(), 1u);
    ASSERT_EQ(r.hits[0].size(), 3u);
    EXPECT_EQ(r.hits[0][0].id.AsInt(), i);
    EXPECT_NEAR(r.hits[0][0].distance, 0.0f, 1e-4);
    EXPECT_LE(r.hits[0][0].distance, r.hits[0][1].distance);
  }
}

TEST_P(EmbeddedTest, FilteredSearchOnlyReturnsMatches) {
  SearchRequest s = Search(vectors_[3], 10);
  s.filter = "color == \"red\" and price < 300";
  s.output_fields = {"color", "price", "stock", "note"};
  ASSERT_OK_AND_ASSIGN(SearchResults r, client_->Search(s));
  ASSERT_EQ(r.hits[0].size(), 10u);
  for (const Hit& h : r.hits[0]) {
    EXPECT_EQ(h.entity.at("color").AsString(), "red");
    EXPECT_LT(h.entity.at("price").AsDouble(), 300);
    EXPECT_EQ(h.entity.at("stock").AsInt(), 7);  // the default
  }
}

TEST_P(EmbeddedTest, RareFilterStillReturnsTrueTopK) {
  SearchRequest s = Search(vectors_[0], 3);
  s.filter = "id in [10, 250, 490]";
  ASSERT_OK_AND_ASSIGN(SearchResults r, client_->Search(s));
  ASSERT_EQ(r.hits[0].size(), 3u);
  std::vector<int64_t> ids;
  for (const Hit& h : r.hits[0]) ids.push_back(h.id.AsInt());
  std::sort(ids.begin(), ids.end());
  EXPECT_EQ(ids, (std::vector<int64_t>{10, 250, 490}));
}

TEST_P(EmbeddedTest, OffsetSkipsHits) {
  ASSERT_OK_AND_ASSIGN(SearchResults all,
                       client_->Search(Search(vectors_[5], 6)));
  SearchRequest s = Search(vectors_[5], 3);
  s.offset = 3;
  ASSERT_OK_AND_ASSIGN(SearchResults page, client_->Search(s));
  ASSERT_EQ(page.hits[0].size(), 3u);
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(page.hits[0][i].id, all.hits[0][i + 3].id);
  }
}

TEST_P(EmbeddedTest, QueryCountGetDeleteUpsert) {
  QueryRequest count;
  count.collection_name = "products";
  count.output_fields = {"count(*)"};
  ASSERT_OK_AND_ASSIGN(auto n, client_->Query(count));
  EXPECT_EQ(n[0].at("count(*)").AsInt(), 500);

  count.filter = "note is null";
  ASSERT_OK_AND_ASSIGN(n, client_->Query(count));
  EXPECT_EQ(n[0].at("count(*)").AsInt(), 400);

  ASSERT_OK_AND_ASSIGN(
      auto got, client_->Get("products", {Value(3), Value(999)}, {"color"}));
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].at("color").AsString(), "blue");

  DeleteRequest del;
  del.collection_name = "products";
  del.filter = "price >= 600";  // ids 400..499
  ASSERT_OK_AND_ASSIGN(MutationResult d, client_->Delete(del));
  EXPECT_EQ(d.count, 100);
  ASSERT_OK_AND_ASSIGN(MutationResult d2,
                       client_->Delete("products", {Value(1)}));
  EXPECT_EQ(d2.count, 1);
  count.filter.clear();
  ASSERT_OK_AND_ASSIGN(n, client_->Query(count));
  EXPECT_EQ(n[0].at("count(*)").AsInt(), 399);

  // A deleted row is never returned by search.
  ASSERT_OK_AND_ASSIGN(SearchResults r,
                       client_->Search(Search(vectors_[1], 5)));
  for (const Hit& h : r.hits[0]) EXPECT_NE(h.id.AsInt(), 1);

  // Upsert replaces a row; count is unchanged.
  Row replacement{{"id", Value(2)},
                  {"vec", Value::FloatVector(vectors_[2])},
                  {"color", Value("green")},
                  {"price", Value(1.0)}};
  ASSERT_OK(client_->Upsert("products", {replacement}).status());
  ASSERT_OK_AND_ASSIGN(got, client_->Get("products", {Value(2)}, {"color"}));
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].at("color").AsString(), "green");
  ASSERT_OK_AND_ASSIGN(n, client_->Query(count));
  EXPECT_EQ(n[0].at("count(*)").AsInt(), 399);
}

TEST_P(EmbeddedTest, BadInputGetsClearErrors) {
  std::mt19937 rng(9);
  // Wrong dimension.
  Row row{{"id", Value(1000)},
          {"vec", Value::FloatVector({1, 2})},
          {"color", Value("red")},
          {"price", Value(1.0)}};
  EXPECT_THAT(client_->Insert("products", {row}),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("wrong dimension (expected 8, got 2)")));
  // NaN.
  std::vector<float> nan_vec = RandomVector(rng);
  nan_vec[3] = NAN;
  row["vec"] = Value::FloatVector(nan_vec);
  EXPECT_THAT(client_->Insert("products", {row}),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("not a finite number")));
  // Unknown field without dynamic fields.
  row["vec"] = Value::FloatVector(RandomVector(rng));
  row["colour"] = Value("red");
  EXPECT_THAT(client_->Insert("products", {row}),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("unknown field 'colour'")));
  row.erase("colour");
  // Type mismatch.
  row["price"] = Value("cheap");
  EXPECT_THAT(client_->Insert("products", {row}),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("field 'price': expected DOUBLE")));
  row["price"] = Value(2.0);
  // An existing primary key: the row replaces the one the key had.
  row["id"] = Value(5);
  EXPECT_THAT(client_->Insert("products", {row}), IsOk());
  // A failed batch changes nothing (and the replacement added no row).
  row["price"] = Value("cheap");
  EXPECT_THAT(client_->Insert("products", {row}),
              StatusIs(absl::StatusCode::kInvalidArgument));
  QueryRequest count;
  count.collection_name = "products";
  count.output_fields = {"count(*)"};
  ASSERT_OK_AND_ASSIGN(auto n, client_->Query(count));
  EXPECT_EQ(n[0].at("count(*)").AsInt(), 500);
  // Limit over 16,384.
  EXPECT_THAT(client_->Search(Search(vectors_[0], 16385)),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("limit")));
  // Bad filter.
  SearchRequest s = Search(vectors_[0], 3);
  s.filter = "price >";
  EXPECT_THAT(client_->Search(s), StatusIs(absl::StatusCode::kInvalidArgument,
                                           HasSubstr("filter")));
  // Unknown collection.
  s = Search(vectors_[0], 3);
  s.collection_name = "nope";
  EXPECT_THAT(client_->Search(s),
              StatusIs(absl::StatusCode::kNotFound,
                       HasSubstr("collection 'nope' not found")));
  // Query vector of the wrong dimension.
  s = Search({1, 2, 3}, 3);
  EXPECT_THAT(client_->Search(s), StatusIs(absl::StatusCode::kInvalidArgument,
                                           HasSubstr("wrong dimension")));
}

TEST_P(EmbeddedTest, ReleasedCollectionRefusesSearch) {
  ASSERT_OK(client_->ReleaseCollection("products"));
  EXPECT_THAT(
      client_->Search(Search(vectors_[0], 3)),
      StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("not loaded")));
  ASSERT_OK(client_->LoadCollection("products"));
  EXPECT_THAT(client_->Search(Search(vectors_[0], 3)), IsOk());
}

INSTANTIATE_TEST_SUITE_P(Indexes, EmbeddedTest,
                         ::testing::Values(IndexType::kFlat, IndexType::kHnsw,
                                           IndexType::kIvfFlat,
                                           IndexType::kAutoIndex),
                         [](const auto& info) {
                           return std::string(IndexTypeName(info.param)) ==
                                          "AUTOINDEX"
                                      ? std::string("AUTOINDEX")
                                      : std::string(IndexTypeName(info.param));
                         });

TEST(EmbeddedSchemaTest, SchemaErrorsNameTheField) {
  ASSERT_OK_AND_ASSIGN(Client client, Client::Open(":memory:"));
  CollectionSchema no_pk;
  FieldSchema v = Field("v", DataType::kFloatVector);
  v.dim = 4;
  no_pk.AddField(v);
  EXPECT_THAT(client.CreateCollection("c", no_pk),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("exactly one primary key")));
  CollectionSchema bad_varchar = ProductSchema();
  bad_varchar.fields[2].max_length = 0;
  EXPECT_THAT(
      client.CreateCollection("c", bad_varchar),
      StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("field 'color'")));
  EXPECT_THAT(client.CreateCollection("1bad", ProductSchema()),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("collection name")));
  ASSERT_OK(client.CreateCollection("c", ProductSchema()));
  EXPECT_THAT(client.CreateCollection("c", ProductSchema()),
              StatusIs(absl::StatusCode::kAlreadyExists));
  // No index yet: not loaded, and loading needs an index.
  EXPECT_THAT(client.LoadCollection("c"),
              StatusIs(absl::StatusCode::kFailedPrecondition,
                       HasSubstr("has no index")));
}

TEST(EmbeddedQuickTest, QuickCollectionWithDynamicFields) {
  ASSERT_OK_AND_ASSIGN(Client client, Client::Open(":memory:"));
  ASSERT_OK(client.CreateCollection("docs", 3));
  ASSERT_OK_AND_ASSIGN(auto state, client.GetLoadState("docs"));
  EXPECT_EQ(state, LoadState::kLoaded);
  std::vector<Row> rows;
  for (int i = 0; i < 20; ++i) {
    rows.push_back({{"id", Value(i)},
                    {"vector", Value::MakeArray({1.0, double(i), 0.5})},
                    {"genre", Value(i < 10 ? "a" : "b")},
                    {"meta", Value::MakeObject({{"n", i}})}});
  }
  ASSERT_OK(client.Insert("docs", std::move(rows)).status());
  SearchRequest s;
  s.collection_name = "docs";
  s.vectors = {1, 15, 0.5};
  s.dim = 3;
  s.limit = 2;
  s.filter = "genre == \"b\" and meta[\"n\"] >= 15";
  s.output_fields = {"genre", "meta"};
  ASSERT_OK_AND_ASSIGN(SearchResults r, client.Search(s));
  ASSERT_EQ(r.hits[0].size(), 2u);
  EXPECT_EQ(r.hits[0][0].id.AsInt(), 15);
  EXPECT_EQ(r.hits[0][0].entity.at("genre").AsString(), "b");
  EXPECT_NEAR(r.hits[0][0].distance, 1.0f, 1e-5);  // cosine
  ASSERT_OK_AND_ASSIGN(auto names, client.ListCollections());
  EXPECT_EQ(names, std::vector<std::string>{"docs"});
  ASSERT_OK(client.RenameCollection("docs", "papers"));
  ASSERT_OK_AND_ASSIGN(bool has_old, client.HasCollection("docs"));
  EXPECT_FALSE(has_old);
  ASSERT_OK(client.DropCollection("papers"));
  // As Milvus: dropping a collection that is gone succeeds.
  EXPECT_THAT(client.DropCollection("papers"), IsOk());
  EXPECT_THAT(client.DescribeCollection("papers"),
              StatusIs(absl::StatusCode::kNotFound));
}

}  // namespace
}  // namespace cove
