// The conformance suite: the same scenarios against every backend (the
// embedded engine, and the remote backend talking to an in-process
// cove-server on 127.0.0.1 port 0), so that code moves from local to remote
// unchanged.
#include <algorithm>
#include <cmath>
#include <limits>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "common/utf8.h"
#include "conformance/backends.h"
#include "cove/client.h"
#include "engine/collection.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "server/server_fixture.h"
#include "testing/status_matchers.h"

namespace cove {
namespace {

using ::cove::testing::IsOk;
using ::cove::testing::StatusIs;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Not;
using ::testing::UnorderedElementsAre;

using ::cove::testing::Backend;

std::string BackendName(const ::testing::TestParamInfo<Backend>& info) {
  return info.param == Backend::kEmbedded ? "Embedded" : "Remote";
}

class ConformanceTest : public ::testing::TestWithParam<Backend> {
 protected:
  void SetUp() override {
    if (GetParam() == Backend::kEmbedded) {
      auto client = Client::Open(":memory:");
      ASSERT_THAT(client, IsOk());
      client_ = std::make_unique<Client>(*std::move(client));
      return;
    }
    auto server = cove::testing::StartTestServer();
    ASSERT_THAT(server, IsOk());
    server_ = *std::move(server);
    auto client = cove::testing::ConnectTo(*server_);
    ASSERT_THAT(client, IsOk());
    client_ = std::make_unique<Client>(*std::move(client));
  }

  void TearDown() override {
    client_.reset();
    if (server_ != nullptr) server_->Shutdown(std::chrono::milliseconds(0));
  }

  Client& client() { return *client_; }

  // Starts over with a backend whose segments seal at `rows` rows, so that
  // small collections get sealed, indexed and compacted segments.
  void ReopenWithSealRows(int64_t rows) {
    EmbeddedOptions embedded;
    embedded.segment_seal_rows = rows;
    TearDown();
    auto client = cove::testing::OpenOnBackend(GetParam(), embedded, &server_);
    ASSERT_THAT(client, IsOk());
    client_ = *std::move(client);
  }

  // A quick collection "docs": id INT64, vector dim 4 (L2), dynamic fields,
  // with rows i = 0..n-1: vector (i, 0, 0, 0), "tag" = "t<i%3>", "n" = i.
  void MakeDocs(int n, MetricType metric = MetricType::kL2) {
    QuickCollectionOptions quick;
    quick.metric_type = metric;
    ASSERT_THAT(client().CreateCollection("docs", 4, quick), IsOk());
    std::vector<Row> rows;
    for (int i = 0; i < n; ++i) {
      Row row;
      row["id"] = Value(static_cast<int64_t>(i));
      row["vector"] =
          Value::FloatVector({static_cast<float>(i), 0.0f, 0.0f, 1.0f});
      row["tag"] = Value("t" + std::to_string(i % 3));
      row["n"] = Value(static_cast<int64_t>(i));
      rows.push_back(std::move(row));
    }
    if (n > 0) {
      auto inserted = client().Insert("docs", rows);
      ASSERT_THAT(inserted, IsOk());
      ASSERT_EQ(inserted->count, n);
    }
  }

  // A collection "typed" with a full schema and no dynamic fields.
  CollectionSchema TypedSchema() {
    CollectionSchema schema;
    FieldSchema id;
    id.name = "pk";
    id.type = DataType::kVarChar;
    id.max_length = 64;
    id.is_primary_key = true;
    FieldSchema age;
    age.name = "age";
    age.type = DataType::kInt32;
    FieldSchema score;
    score.name = "score";
    score.type = DataType::kDouble;
    score.nullable = true;
    FieldSchema meta;
    meta.name = "meta";
    meta.type = DataType::kJson;
    FieldSchema tags;
    tags.name = "tags";
    tags.type = DataType::kArray;
    tags.element_type = DataType::kInt64;
    tags.max_capacity = 8;
    FieldSchema vec;
    vec.name = "emb";
    vec.type = DataType::kFloatVector;
    vec.dim = 3;
    schema.AddField(id)
        .AddField(age)
        .AddField(score)
        .AddField(meta)
        .AddField(tags)
        .AddField(vec);
    return schema;
  }

  std::unique_ptr<server::Server> server_;
  std::unique_ptr<Client> client_;
};

// --- collections
// --------------------------------------------------------------

TEST_P(ConformanceTest, CollectionLifecycle) {
  EXPECT_THAT(client().CreateCollection("docs", 4), IsOk());
  ASSERT_OK_AND_ASSIGN(bool has, client().HasCollection("docs"));
  EXPECT_TRUE(has);
  ASSERT_OK_AND_ASSIGN(auto names, client().ListCollections());
  EXPECT_THAT(names, ElementsAre("docs"));
  ASSERT_OK_AND_ASSIGN(CollectionDescription d,
                       client().DescribeCollection("docs"));
  EXPECT_EQ(d.name, "docs");
  EXPECT_TRUE(d.schema.enable_dynamic_field);
  ASSERT_EQ(d.schema.fields.size(), 2u);  // no "$meta"
  EXPECT_EQ(d.schema.fields[0].name, "id");
  EXPECT_TRUE(d.schema.fields[0].is_primary_key);
  EXPECT_EQ(d.schema.fields[0].type, DataType::kInt64);
  EXPECT_EQ(d.schema.fields[1].name, "vector");
  EXPECT_EQ(d.schema.fields[1].type, DataType::kFloatVector);
  EXPECT_EQ(d.schema.fields[1].dim, 4);
  EXPECT_THAT(d.partitions, ElementsAre("_default"));
  // Creation time in Unix microseconds on both backends (the wire carries
  // Milvus' hybrid timestamp).
  const int64_t now_us = absl::ToUnixMicros(absl::Now());
  EXPECT_LE(d.created_timestamp, now_us);
  EXPECT_GT(d.created_timestamp, now_us - int64_t{3600} * 1000 * 1000);
  ASSERT_OK_AND_ASSIGN(LoadState state, client().GetLoadState("docs"));
  EXPECT_EQ(state, LoadState::kLoaded);

  EXPECT_THAT(client().RenameCollection("docs", "papers"), IsOk());
  ASSERT_OK_AND_ASSIGN(has, client().HasCollection("docs"));
  EXPECT_FALSE(has);
  ASSERT_OK_AND_ASSIGN(CollectionStats stats,
                       client().GetCollectionStats("papers"));
  EXPECT_EQ(stats.row_count, 0);
  EXPECT_THAT(client().DropCollection("papers"), IsOk());
  ASSERT_OK_AND_ASSIGN(names, client().ListCollections());
  EXPECT_TRUE(names.empty());
}

// A VARCHAR primary key with auto_id gets generated ids as text (Milvus
// keeps its int64 ids as strings), which every read takes.
TEST_P(ConformanceTest, VarCharAutoIdKeysAreText) {
  CollectionSchema schema;
  FieldSchema pk;
  pk.name = "pk";
  pk.type = DataType::kVarChar;
  pk.max_length = 64;
  pk.is_primary_key = true;
  pk.auto_id = true;
  FieldSchema vec;
  vec.name = "v";
  vec.type = DataType::kFloatVector;
  vec.dim = 2;
  schema.AddField(pk).AddField(vec);
  ASSERT_THAT(client().CreateCollection("auto", schema), IsOk());
  IndexSpec index;
  index.field_name = "v";
  index.index_type = IndexType::kFlat;
  index.metric_type = MetricType::kL2;
  ASSERT_THAT(client().CreateIndex("auto", index), IsOk());
  ASSERT_THAT(client().LoadCollection("auto"), IsOk());
  std::vector<Row> rows;
  for (int i = 0; i < 4; ++i) {
    rows.push_back({{"v", Value::FloatVector({static_cast<float>(i), 1})}});
  }
  ASSERT_OK_AND_ASSIGN(MutationResult written, client().Insert("auto", rows));
  ASSERT_EQ(written.ids.size(), 4u);
  for (const Value& id : written.ids) {
    ASSERT_TRUE(id.is_string()) << id.ToJson();
  }
  QueryRequest q;
  q.collection_name = "auto";
  q.ids = {written.ids[2]};
  q.output_fields = {"pk", "v"};
  ASSERT_OK_AND_ASSIGN(std::vector<Row> got, client().Query(q));
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].at("pk"), written.ids[2]);
  SearchRequest s;
  s.collection_name = "auto";
  s.vectors = {3, 1};
  s.dim = 2;
  s.limit = 1;
  ASSERT_OK_AND_ASSIGN(SearchResults hits, client().Search(s));
  ASSERT_EQ(hits.hits.at(0).size(), 1u);
  EXPECT_EQ(hits.hits[0][0].id, written.ids[3]);
  ASSERT_THAT(client().DropCollection("auto"), IsOk());
}

TEST_P(ConformanceTest, FullSchemaRoundTrips) {
  CollectionSchema schema = TypedSchema();
  ASSERT_THAT(client().CreateCollection("typed", schema), IsOk());
  ASSERT_OK_AND_ASSIGN(CollectionDescription d,
                       client().DescribeCollection("typed"));
  EXPECT_FALSE(d.schema.enable_dynamic_field);
  ASSERT_EQ(d.schema.fields.size(), schema.fields.size());
  for (size_t i = 0; i < schema.fields.size(); ++i) {
    SCOPED_TRACE(schema.fields[i].name);
    EXPECT_EQ(d.schema.fields[i].name, schema.fields[i].name);
    EXPECT_EQ(d.schema.fields[i].type, schema.fields[i].type);
    EXPECT_EQ(d.schema.fields[i].is_primary_key,
              schema.fields[i].is_primary_key);
    EXPECT_EQ(d.schema.fields[i].nullable, schema.fields[i].nullable);
  }
  EXPECT_EQ(d.schema.fields[0].max_length, 64);
  EXPECT_EQ(d.schema.fields[4].element_type, DataType::kInt64);
  EXPECT_EQ(d.schema.fields[4].max_capacity, 8);
  EXPECT_EQ(d.schema.fields[5].dim, 3);
  ASSERT_OK_AND_ASSIGN(LoadState state, client().GetLoadState("typed"));
  EXPECT_EQ(state, LoadState::kNotLoaded);
}

TEST_P(ConformanceTest, DuplicateCollectionIsAlreadyExists) {
  ASSERT_THAT(client().CreateCollection("docs", 4), IsOk());
  EXPECT_THAT(client().CreateCollection("docs", 4),
              StatusIs(absl::StatusCode::kAlreadyExists));
}

TEST_P(ConformanceTest, UnknownCollectionIsNotFound) {
  EXPECT_THAT(client().DescribeCollection("nope"),
              StatusIs(absl::StatusCode::kNotFound, HasSubstr("nope")));
  // As Milvus: dropping what does not exist succeeds, on every backend.
  EXPECT_THAT(client().DropCollection("nope"), IsOk());
  EXPECT_THAT(client().GetCollectionStats("nope"),
              StatusIs(absl::StatusCode::kNotFound));
  EXPECT_THAT(client().Insert("nope", {Row{{"id", Value(1)}}}),
              StatusIs(absl::StatusCode::kNotFound));
  SearchRequest search;
  search.collection_name = "nope";
  search.vectors = {1, 0, 0, 0};
  search.dim = 4;
  EXPECT_THAT(client().Search(search), StatusIs(absl::StatusCode::kNotFound));
  QueryRequest query;
  query.collection_name = "nope";
  query.filter = "id > 0";
  EXPECT_THAT(client().Query(query), StatusIs(absl::StatusCode::kNotFound));
  ASSERT_OK_AND_ASSIGN(LoadState state, client().GetLoadState("nope"));
  EXPECT_EQ(state, LoadState::kNotExist);
  ASSERT_OK_AND_ASSIGN(bool has, client().HasCollection("nope"));
  EXPECT_FALSE(has);
}

// --- indexes and loading
// ------------------------------------------------------

TEST_P(ConformanceTest, IndexesAndLoading) {
  ASSERT_THAT(client().CreateCollection("typed", TypedSchema()), IsOk());
  // Not loaded without an index: searches are refused.
  SearchRequest search;
  search.collection_name = "typed";
  search.vectors = {1, 0, 0};
  search.dim = 3;
  EXPECT_THAT(client().Search(search),
              StatusIs(absl::StatusCode::kFailedPrecondition));
  IndexSpec index;
  index.field_name = "emb";
  index.index_name = "emb_idx";
  index.index_type = IndexType::kHnsw;
  index.metric_type = MetricType::kL2;
  index.params = {{"M", "16"}, {"efConstruction", "64"}};
  ASSERT_THAT(client().CreateIndex("typed", index), IsOk());
  ASSERT_OK_AND_ASSIGN(auto indexes, client().DescribeIndexes("typed"));
  ASSERT_EQ(indexes.size(), 1u);
  EXPECT_EQ(indexes[0].index_name, "emb_idx");
  EXPECT_EQ(indexes[0].field_name, "emb");
  EXPECT_EQ(indexes[0].index_type, IndexType::kHnsw);
  EXPECT_EQ(indexes[0].metric_type, MetricType::kL2);
  EXPECT_EQ(indexes[0].params.at("M"), "16");
  EXPECT_EQ(indexes[0].params.at("efConstruction"), "64");
  // The same index again is fine; another one on the field is not.
  EXPECT_THAT(client().CreateIndex("typed", index), IsOk());
  IndexSpec other = index;
  other.index_type = IndexType::kFlat;
  EXPECT_THAT(client().CreateIndex("typed", other),
              StatusIs(absl::StatusCode::kAlreadyExists));

  ASSERT_THAT(client().LoadCollection("typed"), IsOk());
  ASSERT_OK_AND_ASSIGN(LoadState state, client().GetLoadState("typed"));
  EXPECT_EQ(state, LoadState::kLoaded);
  EXPECT_THAT(client().DropIndex("typed", "emb_idx"),
              StatusIs(absl::StatusCode::kFailedPrecondition));
  ASSERT_THAT(client().ReleaseCollection("typed"), IsOk());
  ASSERT_OK_AND_ASSIGN(state, client().GetLoadState("typed"));
  EXPECT_EQ(state, LoadState::kNotLoaded);
  EXPECT_THAT(client().DropIndex("typed", "emb_idx"), IsOk());
  ASSERT_OK_AND_ASSIGN(indexes, client().DescribeIndexes("typed"));
  EXPECT_TRUE(indexes.empty());
  EXPECT_THAT(client().DropIndex("typed", "emb_idx"), IsOk());  // as Milvus
}

// Scalar indexes on a VARCHAR primary key, an INT32 and a nullable DOUBLE
// next to the vector index: described with their rows, used by filters with
// the answers of a scan, refused on the types they do not take, dropped
// while loaded.
TEST_P(ConformanceTest, ScalarIndexes) {
  ReopenWithSealRows(50);
  ASSERT_THAT(client().CreateCollection("typed", TypedSchema()), IsOk());
  IndexSpec vec;
  vec.field_name = "emb";
  vec.index_type = IndexType::kFlat;
  vec.metric_type = MetricType::kL2;
  ASSERT_THAT(client().CreateIndex("typed", vec), IsOk());
  ASSERT_THAT(client().LoadCollection("typed"), IsOk());
  std::vector<Row> rows;
  for (int i = 0; i < 230; ++i) {
    Row row;
    row["pk"] = Value("k" + std::to_string(i));
    row["age"] = Value(static_cast<int64_t>(i % 17));
    row["score"] = i % 5 == 0 ? Value() : Value((i % 9) * 0.5);
    row["meta"] = Value(Value::Object{});
    row["tags"] = Value(Value::Array{});
    row["emb"] = Value::FloatVector({static_cast<float>(i), 1.0f, 0.0f});
    rows.push_back(std::move(row));
  }
  ASSERT_THAT(client().Insert("typed", rows), IsOk());
  ASSERT_THAT(client().Flush("typed"), IsOk());
  const std::vector<std::string> filters = {
      "age == 3",
      "age in [1, 2, 16] and score >= 1.5",
      "5 <= age < 9 or pk like \"k1%\"",
      "not (score < 2) and pk > \"k5\"",
      "score is null or age != 4",
      "pk in [\"k7\", \"k70\", \"nope\"]"};
  auto ids = [&](const std::string& filter) {
    QueryRequest query;
    query.collection_name = "typed";
    query.filter = filter;
    query.output_fields = {"pk"};
    auto got = client().Query(query);
    EXPECT_THAT(got, IsOk()) << filter;
    std::set<std::string> out;
    if (got.ok()) {
      for (const Row& r : *got) out.insert(r.at("pk").AsString());
    }
    return out;
  };
  std::vector<std::set<std::string>> before;
  for (const std::string& f : filters) before.push_back(ids(f));
  EXPECT_EQ(before[0].size(), 14u);  // 230 rows, age = i % 17

  // Index types the field types do not take, naming both.
  IndexSpec bad;
  bad.field_name = "pk";
  bad.index_type = IndexType::kStlSort;
  EXPECT_THAT(client().CreateIndex("typed", bad),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("STL_SORT is not supported on VARCHAR")));
  bad.field_name = "score";
  bad.index_type = IndexType::kBitmap;
  EXPECT_THAT(client().CreateIndex("typed", bad),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("BITMAP is not supported on DOUBLE")));

  IndexSpec age;
  age.field_name = "age";
  age.index_name = "age_idx";
  age.index_type = IndexType::kStlSort;
  ASSERT_THAT(client().CreateIndex("typed", age), IsOk());
  IndexSpec pk;
  pk.field_name = "pk";
  pk.index_type = IndexType::kTrie;
  ASSERT_THAT(client().CreateIndex("typed", pk), IsOk());
  IndexSpec score;
  score.field_name = "score";
  score.index_type = IndexType::kInverted;
  ASSERT_THAT(client().CreateIndex("typed", score), IsOk());
  ASSERT_THAT(client().CreateIndex("typed", age), IsOk());  // the same again
  ASSERT_THAT(client().Flush("typed"), IsOk());  // waits for the builds

  ASSERT_OK_AND_ASSIGN(auto indexes, client().DescribeIndexes("typed"));
  ASSERT_EQ(indexes.size(), 4u);
  bool seen = false;
  for (const IndexDescription& d : indexes) {
    if (d.index_name != "age_idx") continue;
    seen = true;
    EXPECT_EQ(d.field_name, "age");
    EXPECT_EQ(d.index_type, IndexType::kStlSort);
    EXPECT_EQ(d.total_rows, 230);
    EXPECT_EQ(d.indexed_rows, 230);
    EXPECT_EQ(d.state, "Finished");
  }
  EXPECT_TRUE(seen);
  for (size_t i = 0; i < filters.size(); ++i) {
    EXPECT_EQ(ids(filters[i]), before[i]) << filters[i];
  }
  // Dropped while loaded (a vector index cannot be): the same answers.
  ASSERT_THAT(client().DropIndex("typed", "age_idx"), IsOk());
  ASSERT_OK_AND_ASSIGN(indexes, client().DescribeIndexes("typed"));
  EXPECT_EQ(indexes.size(), 3u);
  for (size_t i = 0; i < filters.size(); ++i) {
    EXPECT_EQ(ids(filters[i]), before[i]) << filters[i];
  }
}

// --- writes and reads
// ---------------------------------------------------------

TEST_P(ConformanceTest, InsertQueryAndGet) {
  MakeDocs(10);
  ASSERT_OK_AND_ASSIGN(CollectionStats stats,
                       client().GetCollectionStats("docs"));
  EXPECT_EQ(stats.row_count, 10);

  QueryRequest query;
  query.collection_name = "docs";
  query.filter = "n >= 7 and tag == \"t0\"";
  query.output_fields = {"id", "tag", "n"};
  ASSERT_OK_AND_ASSIGN(auto rows, client().Query(query));
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0].at("id"), Value(9));
  EXPECT_EQ(rows[0].at("tag"), Value("t0"));
  EXPECT_EQ(rows[0].at("n"), Value(9));

  // count(*)
  QueryRequest count;
  count.collection_name = "docs";
  count.filter = "tag == \"t1\"";
  count.output_fields = {"count(*)"};
  ASSERT_OK_AND_ASSIGN(rows, client().Query(count));
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0].at("count(*)"), Value(3));
  count.filter.clear();
  ASSERT_OK_AND_ASSIGN(rows, client().Query(count));
  EXPECT_EQ(rows[0].at("count(*)"), Value(10));

  // limit and offset
  QueryRequest page;
  page.collection_name = "docs";
  page.filter = "n >= 0";
  page.output_fields = {"id"};
  page.limit = 3;
  page.offset = 2;
  ASSERT_OK_AND_ASSIGN(rows, client().Query(page));
  ASSERT_EQ(rows.size(), 3u);
  EXPECT_EQ(rows[0].at("id"), Value(2));

  // get by ids, with vectors; missing ids are skipped.
  ASSERT_OK_AND_ASSIGN(
      rows, client().Get("docs", {Value(4), Value(99)}, {"vector", "tag"}));
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0].at("id"), Value(4));
  EXPECT_EQ(rows[0].at("tag"), Value("t1"));
  ASSERT_TRUE(rows[0].at("vector").is_float_vector());
  EXPECT_THAT(rows[0].at("vector").AsFloatVector(),
              ElementsAre(4.0f, 0.0f, 0.0f, 1.0f));
}

TEST_P(ConformanceTest, TypedValuesRoundTrip) {
  ASSERT_THAT(client().CreateCollection("typed", TypedSchema()), IsOk());
  IndexSpec index;
  index.field_name = "emb";
  index.index_type = IndexType::kFlat;
  index.metric_type = MetricType::kIP;
  ASSERT_THAT(client().CreateIndex("typed", index), IsOk());
  ASSERT_THAT(client().LoadCollection("typed"), IsOk());
  Row a{{"pk", Value("a")},
        {"age", Value(30)},
        {"score", Value(1.5)},
        {"meta", Value::MakeObject({{"k", Value::MakeArray({1, "x"})}})},
        {"tags", Value::MakeArray({1, 2, 3})},
        {"emb", Value::FloatVector({1, 0, 0})}};
  Row b{{"pk", Value("b")},
        {"age", Value(-4)},
        {"meta", Value::MakeObject({})},
        {"tags", Value::MakeArray({})},
        {"emb", Value::FloatVector({0, 1, 0})}};  // score: null
  ASSERT_OK_AND_ASSIGN(MutationResult result, client().Insert("typed", {a, b}));
  EXPECT_EQ(result.count, 2);
  EXPECT_THAT(result.ids, ElementsAre(Value("a"), Value("b")));

  ASSERT_OK_AND_ASSIGN(auto rows,
                       client().Get("typed", {Value("a"), Value("b")},
                                    {"age", "score", "meta", "tags"}));
  ASSERT_EQ(rows.size(), 2u);
  const Row& ra = rows[0].at("pk") == Value("a") ? rows[0] : rows[1];
  const Row& rb = rows[0].at("pk") == Value("a") ? rows[1] : rows[0];
  EXPECT_EQ(ra.at("age"), Value(30));
  EXPECT_EQ(ra.at("score"), Value(1.5));
  EXPECT_EQ(ra.at("meta"), a.at("meta"));
  EXPECT_EQ(ra.at("tags"), a.at("tags"));
  EXPECT_EQ(rb.at("age"), Value(-4));
  EXPECT_TRUE(rb.at("score").is_null());
  EXPECT_EQ(rb.at("tags"), Value::MakeArray({}));

  // JSON path filter.
  QueryRequest query;
  query.collection_name = "typed";
  query.filter = "meta[\"k\"][0] == 1";
  query.output_fields = {"pk"};
  ASSERT_OK_AND_ASSIGN(rows, client().Query(query));
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0].at("pk"), Value("a"));
}

TEST_P(ConformanceTest, ColumnInsert) {
  ASSERT_THAT(client().CreateCollection("docs", 2), IsOk());
  InsertRequest request;
  request.collection_name = "docs";
  request.columns.push_back(
      Column::Scalars("id", {Value(1), Value(2), Value(3)}));
  request.columns.push_back(
      Column::FloatVectors("vector", 2, {1, 0, 0, 1, 1, 1}));
  request.columns.push_back(
      Column::Scalars("color", {Value("red"), Value("green"), Value("blue")}));
  ASSERT_OK_AND_ASSIGN(MutationResult result, client().Insert(request));
  EXPECT_EQ(result.count, 3);
  ASSERT_OK_AND_ASSIGN(auto rows, client().Get("docs", {Value(2)}, {"color"}));
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0].at("color"), Value("green"));
}

// Columns of different lengths: the length mismatch is named, not a type
// error of some value (issue 13, item 19).
TEST_P(ConformanceTest, ColumnsOfDifferentLengthsNameTheLengths) {
  ASSERT_THAT(client().CreateCollection("docs", 2), IsOk());
  InsertRequest request;
  request.collection_name = "docs";
  request.columns.push_back(
      Column::Scalars("id", {Value(1), Value(2), Value(3)}));
  request.columns.push_back(Column::FloatVectors("vector", 2, {1, 0, 0, 1}));
  EXPECT_THAT(client().Insert(request),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("insert column 'vector': wrong length "
                                 "(expected 3 rows, got 2)")));
  ASSERT_OK_AND_ASSIGN(CollectionStats stats,
                       client().GetCollectionStats("docs"));
  EXPECT_EQ(stats.row_count, 0);
}

TEST_P(ConformanceTest, UpsertReplaces) {
  MakeDocs(3);
  Row row{{"id", Value(1)},
          {"vector", Value::FloatVector({9, 9, 9, 9})},
          {"tag", Value("new")}};
  ASSERT_OK_AND_ASSIGN(MutationResult result, client().Upsert("docs", {row}));
  EXPECT_EQ(result.count, 1);
  ASSERT_OK_AND_ASSIGN(auto rows, client().Get("docs", {Value(1)}, {"*"}));
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0].at("tag"), Value("new"));
  EXPECT_EQ(rows[0].count("n"), 0u);  // the old dynamic key is gone
  ASSERT_OK_AND_ASSIGN(CollectionStats stats,
                       client().GetCollectionStats("docs"));
  EXPECT_EQ(stats.row_count, 3);
}

TEST_P(ConformanceTest, DeleteByIdsAndFilter) {
  MakeDocs(9);
  ASSERT_OK_AND_ASSIGN(
      MutationResult deleted,
      client().Delete("docs", {Value(0), Value(1), Value(42)}));
  EXPECT_EQ(deleted.count, 2);
  DeleteRequest by_filter;
  by_filter.collection_name = "docs";
  by_filter.filter = "tag == {t}";
  by_filter.filter_params = {{"t", Value("t2")}};
  ASSERT_OK_AND_ASSIGN(deleted, client().Delete(by_filter));
  EXPECT_EQ(deleted.count, 3);  // 2, 5, 8
  QueryRequest query;
  query.collection_name = "docs";
  query.output_fields = {"count(*)"};
  ASSERT_OK_AND_ASSIGN(auto rows, client().Query(query));
  EXPECT_EQ(rows[0].at("count(*)"), Value(4));
  ASSERT_OK_AND_ASSIGN(rows, client().Get("docs", {Value(0), Value(3)}));
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0].at("id"), Value(3));
}

TEST_P(ConformanceTest, Search) {
  MakeDocs(20);
  SearchRequest search;
  search.collection_name = "docs";
  search.vectors = {3.2f, 0, 0, 1, 10.1f, 0, 0, 1};
  search.dim = 4;
  search.limit = 3;
  search.output_fields = {"tag", "n"};
  ASSERT_OK_AND_ASSIGN(SearchResults results, client().Search(search));
  ASSERT_EQ(results.hits.size(), 2u);
  ASSERT_EQ(results.hits[0].size(), 3u);
  EXPECT_EQ(results.hits[0][0].id, Value(3));
  EXPECT_EQ(results.hits[0][1].id, Value(4));
  EXPECT_EQ(results.hits[0][2].id, Value(2));
  EXPECT_NEAR(results.hits[0][0].distance, 0.04f, 1e-4);
  EXPECT_EQ(results.hits[0][0].entity.at("id"), Value(3));
  EXPECT_EQ(results.hits[0][0].entity.at("tag"), Value("t0"));
  EXPECT_EQ(results.hits[0][0].entity.at("n"), Value(3));
  EXPECT_EQ(results.hits[1][0].id, Value(10));

  // filter + offset
  search.vectors = {3.2f, 0, 0, 1};
  search.filter = "n % 2 == 0";
  search.offset = 1;
  search.limit = 2;
  search.output_fields = {};
  ASSERT_OK_AND_ASSIGN(results, client().Search(search));
  ASSERT_EQ(results.hits.size(), 1u);
  ASSERT_EQ(results.hits[0].size(), 2u);
  EXPECT_EQ(results.hits[0][0].id, Value(2));
  EXPECT_EQ(results.hits[0][1].id, Value(6));
  EXPECT_EQ(results.hits[0][0].entity.count("tag"), 0u);

  // range search: squared L2 distance in [1, 5).
  SearchRequest range;
  range.collection_name = "docs";
  range.vectors = {10, 0, 0, 1};
  range.dim = 4;
  range.limit = 10;
  range.params = {{"radius", Value(5.0)}, {"range_filter", Value(1.0)}};
  ASSERT_OK_AND_ASSIGN(results, client().Search(range));
  ASSERT_EQ(results.hits.size(), 1u);
  std::vector<int64_t> ids;
  for (const Hit& h : results.hits[0]) {
    ids.push_back(h.id.AsInt());
    EXPECT_GE(h.distance, 1.0f);
    EXPECT_LT(h.distance, 5.0f);
  }
  EXPECT_THAT(ids, UnorderedElementsAre(8, 9, 11, 12));

  // search params pass through (ef); no hit for an impossible filter.
  SearchRequest none;
  none.collection_name = "docs";
  none.vectors = {1, 0, 0, 1};
  none.dim = 4;
  none.filter = "n > 1000";
  none.params = {{"ef", Value(64)}};
  ASSERT_OK_AND_ASSIGN(results, client().Search(none));
  ASSERT_EQ(results.hits.size(), 1u);
  EXPECT_TRUE(results.hits[0].empty());
}

// Grouping search: a VARCHAR group field; rows i = 0..29 with vector
// (i, 0, 0, 1) and cat "c<i%3>"; the query (10.2, 0, 0, 1) sees them in the
// order 10, 11, 9, 12, 8, 13, 7, 14, ...
TEST_P(ConformanceTest, GroupingSearch) {
  CollectionSchema schema;
  FieldSchema id;
  id.name = "id";
  id.type = DataType::kInt64;
  id.is_primary_key = true;
  FieldSchema vec;
  vec.name = "vec";
  vec.type = DataType::kFloatVector;
  vec.dim = 4;
  FieldSchema cat;
  cat.name = "cat";
  cat.type = DataType::kVarChar;
  cat.max_length = 8;
  schema.AddField(id).AddField(vec).AddField(cat);
  IndexSpec index;
  index.field_name = "vec";
  index.index_type = IndexType::kFlat;
  index.metric_type = MetricType::kL2;
  ASSERT_THAT(client().CreateCollection("grp", schema, {index}), IsOk());
  std::vector<Row> rows;
  for (int i = 0; i < 30; ++i) {
    rows.push_back(Row{
        {"id", Value(int64_t{i})},
        {"vec", Value::FloatVector({static_cast<float>(i), 0.0f, 0.0f, 1.0f})},
        {"cat", Value("c" + std::to_string(i % 3))}});
  }
  ASSERT_THAT(client().Insert("grp", rows), IsOk());
  SearchRequest search;
  search.collection_name = "grp";
  search.vectors = {10.2f, 0, 0, 1};
  search.dim = 4;
  search.limit = 2;
  search.group_by_field = "cat";
  search.group_size = 2;
  search.strict_group_size = true;
  auto ids_and_groups = [&](const SearchResults& r) {
    std::vector<std::pair<int64_t, std::string>> out;
    for (const Hit& h : r.hits.at(0)) {
      out.emplace_back(h.id.AsInt(), h.group_by_value.is_string()
                                         ? h.group_by_value.AsString()
                                         : std::string("?"));
    }
    return out;
  };
  using P = std::pair<int64_t, std::string>;
  ASSERT_OK_AND_ASSIGN(SearchResults results, client().Search(search));
  EXPECT_THAT(ids_and_groups(results),
              ElementsAre(P{10, "c1"}, P{13, "c1"}, P{11, "c2"}, P{8, "c2"}));
  // The offset skips groups.
  search.offset = 1;
  search.limit = 1;
  ASSERT_OK_AND_ASSIGN(results, client().Search(search));
  EXPECT_THAT(ids_and_groups(results), ElementsAre(P{11, "c2"}, P{8, "c2"}));
  // One hit per group, with a filter and output fields.
  search.offset = 0;
  search.limit = 3;
  search.group_size = 1;
  search.filter = "id != 11";
  search.output_fields = {"cat"};
  ASSERT_OK_AND_ASSIGN(results, client().Search(search));
  EXPECT_THAT(ids_and_groups(results),
              ElementsAre(P{10, "c1"}, P{9, "c0"}, P{8, "c2"}));
  EXPECT_EQ(results.hits[0][1].entity.at("cat"), Value("c0"));
  // What cannot group is refused, naming the parameter.
  search.group_by_field = "vec";
  EXPECT_THAT(client().Search(search),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("group_by_field 'vec'")));
  search.group_by_field = "cat";
  search.group_size = 0;
  EXPECT_THAT(
      client().Search(search),
      StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("group_size")));
}

TEST_P(ConformanceTest, SearchWithMetricMismatchIsInvalid) {
  MakeDocs(3);
  SearchRequest search;
  search.collection_name = "docs";
  search.vectors = {1, 0, 0, 1};
  search.dim = 4;
  search.metric_type = MetricType::kIP;
  EXPECT_THAT(client().Search(search),
              StatusIs(absl::StatusCode::kInvalidArgument));
  search.metric_type = MetricType::kL2;
  EXPECT_THAT(client().Search(search), IsOk());
}

// --- errors
// -------------------------------------------------------------------

TEST_P(ConformanceTest, WrongDimensionIsInvalid) {
  MakeDocs(2);
  EXPECT_THAT(
      client().Insert("docs", {Row{{"id", Value(7)},
                                   {"vector", Value::FloatVector({1, 2, 3})}}}),
      StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("dimension")));
  SearchRequest search;
  search.collection_name = "docs";
  search.vectors = {1, 2, 3};
  search.dim = 3;
  EXPECT_THAT(
      client().Search(search),
      StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("dimension")));
}

TEST_P(ConformanceTest, NanVectorsAreInvalid) {
  MakeDocs(2);
  const float nan = std::numeric_limits<float>::quiet_NaN();
  EXPECT_THAT(
      client().Insert("docs",
                      {Row{{"id", Value(7)},
                           {"vector", Value::FloatVector({1, nan, 0, 0})}}}),
      StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("finite")));
  SearchRequest search;
  search.collection_name = "docs";
  search.vectors = {nan, 0, 0, 0};
  search.dim = 4;
  EXPECT_THAT(
      client().Search(search),
      StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("finite")));
}

TEST_P(ConformanceTest, UnknownFieldIsInvalid) {
  ASSERT_THAT(client().CreateCollection("typed", TypedSchema()), IsOk());
  Row row{{"pk", Value("a")},
          {"age", Value(1)},
          {"meta", Value(nullptr)},
          {"tags", Value::MakeArray({})},
          {"emb", Value::FloatVector({1, 0, 0})},
          {"color", Value("red")}};
  EXPECT_THAT(client().Insert("typed", {row}),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("color")));
}

TEST_P(ConformanceTest, TypeMismatchIsInvalid) {
  ASSERT_THAT(client().CreateCollection("typed", TypedSchema()), IsOk());
  Row row{{"pk", Value("a")},
          {"age", Value("thirty")},
          {"meta", Value::MakeObject({})},
          {"tags", Value::MakeArray({})},
          {"emb", Value::FloatVector({1, 0, 0})}};
  EXPECT_THAT(client().Insert("typed", {row}),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("age")));
}

TEST_P(ConformanceTest, BadFilterIsInvalid) {
  MakeDocs(2);
  QueryRequest query;
  query.collection_name = "docs";
  query.filter = "id >> 3 and";
  EXPECT_THAT(client().Query(query),
              StatusIs(absl::StatusCode::kInvalidArgument));
  SearchRequest search;
  search.collection_name = "docs";
  search.vectors = {1, 0, 0, 0};
  search.dim = 4;
  search.filter = "(id > 1";
  EXPECT_THAT(client().Search(search),
              StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST_P(ConformanceTest, LimitOverMaximumIsInvalid) {
  MakeDocs(2);
  SearchRequest search;
  search.collection_name = "docs";
  search.vectors = {1, 0, 0, 0};
  search.dim = 4;
  search.limit = 16385;
  EXPECT_THAT(client().Search(search),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("16384")));
  QueryRequest query;
  query.collection_name = "docs";
  query.filter = "id >= 0";
  query.limit = 16385;
  EXPECT_THAT(client().Query(query),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("16384")));
}

// Milvus accepts an insert whose primary key exists, or repeats within the
// batch; Cove defines the result: the last row for a key wins, as an upsert
// would (on every backend).
TEST_P(ConformanceTest, DuplicatePrimaryKeyTheLastRowWins) {
  MakeDocs(3);
  Row row{{"id", Value(1)}, {"vector", Value::FloatVector({9, 9, 9, 9})}};
  ASSERT_OK_AND_ASSIGN(MutationResult r, client().Insert("docs", {row}));
  EXPECT_EQ(r.count, 1);
  ASSERT_OK_AND_ASSIGN(auto rows, client().Get("docs", {Value(1)}, {"*"}));
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0].at("vector"), Value::FloatVector({9, 9, 9, 9}));
  Row first{{"id", Value(50)}, {"vector", Value::FloatVector({1, 0, 0, 0})}};
  Row last{{"id", Value(50)}, {"vector", Value::FloatVector({0, 0, 0, 7})}};
  ASSERT_OK_AND_ASSIGN(r, client().Insert("docs", {first, last}));
  EXPECT_EQ(r.count, 2);
  EXPECT_THAT(r.ids, ElementsAre(Value(50), Value(50)));
  ASSERT_OK_AND_ASSIGN(rows, client().Get("docs", {Value(50)}, {"*"}));
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0].at("vector"), Value::FloatVector({0, 0, 0, 7}));
  QueryRequest count;
  count.collection_name = "docs";
  count.output_fields = {"count(*)"};
  ASSERT_OK_AND_ASSIGN(auto n, client().Query(count));
  EXPECT_EQ(n[0].at("count(*)").AsInt(), 4);
  // A search sees the key once, with its last vector.
  SearchRequest s;
  s.collection_name = "docs";
  s.vectors = {0, 0, 0, 7};
  s.dim = 4;
  s.limit = 4;
  ASSERT_OK_AND_ASSIGN(SearchResults found, client().Search(s));
  int fifties = 0;
  for (const Hit& h : found.hits[0]) fifties += h.id == Value(50) ? 1 : 0;
  EXPECT_EQ(fifties, 1);
}

TEST_P(ConformanceTest, MissingVectorIsInvalid) {
  MakeDocs(1);
  EXPECT_THAT(
      client().Insert("docs", {Row{{"id", Value(5)}}}),
      StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("vector")));
}

// --- databases, partitions, aliases
// ---------------------------------------------

TEST_P(ConformanceTest, Databases) {
  ASSERT_THAT(client().CreateDatabase("analytics"), IsOk());
  ASSERT_OK_AND_ASSIGN(auto dbs, client().connection()->ListDatabases({}));
  EXPECT_THAT(dbs, ::testing::IsSupersetOf({"default", "analytics"}));
  CallOptions in_db;
  in_db.db_name = "analytics";
  ASSERT_THAT(client().CreateCollection("docs", 2, {}, in_db), IsOk());
  ASSERT_THAT(client().Insert("docs",
                              {Row{{"id", Value(1)},
                                   {"vector", Value::FloatVector({1, 0})}}},
                              in_db),
              IsOk());
  ASSERT_OK_AND_ASSIGN(auto names, client().ListCollections(in_db));
  EXPECT_THAT(names, ElementsAre("docs"));
  ASSERT_OK_AND_ASSIGN(names, client().ListCollections());
  EXPECT_TRUE(names.empty());
  EXPECT_THAT(client().DescribeCollection("docs"),
              StatusIs(absl::StatusCode::kNotFound));
  ASSERT_OK_AND_ASSIGN(auto rows, client().Get("docs", {Value(1)}, {}, in_db));
  EXPECT_EQ(rows.size(), 1u);
  CallOptions missing;
  missing.db_name = "nowhere";
  EXPECT_THAT(client().ListCollections(missing),
              StatusIs(absl::StatusCode::kNotFound));
  ASSERT_THAT(client().DropCollection("docs", in_db), IsOk());
  EXPECT_THAT(client().DropDatabase("analytics"), IsOk());
}

TEST_P(ConformanceTest, RenameMovesACollectionIntoAnotherDatabase) {
  MakeDocs(5);
  ASSERT_THAT(client().CreateDatabase("archive"), IsOk());
  CallOptions archive;
  archive.db_name = "archive";
  // Refusals, as Milvus: a target database that does not exist, a collection
  // with aliases, a name already taken (by a collection or an alias) there.
  EXPECT_THAT(client().RenameCollection("docs", "docs", "nowhere"),
              StatusIs(absl::StatusCode::kNotFound, HasSubstr("nowhere")));
  ASSERT_THAT(client().CreateAlias("docs", "current"), IsOk());
  EXPECT_THAT(
      client().RenameCollection("docs", "docs", "archive"),
      StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("alias")));
  ASSERT_THAT(client().DropAlias("current"), IsOk());
  ASSERT_THAT(client().CreateCollection("taken", 2, {}, archive), IsOk());
  EXPECT_THAT(client().RenameCollection("docs", "taken", "archive"),
              StatusIs(absl::StatusCode::kAlreadyExists, HasSubstr("taken")));
  ASSERT_OK_AND_ASSIGN(auto names, client().ListCollections());
  EXPECT_THAT(names, ElementsAre("docs"));

  ASSERT_THAT(client().RenameCollection("docs", "docs_2025", "archive"),
              IsOk());
  ASSERT_OK_AND_ASSIGN(names, client().ListCollections());
  EXPECT_TRUE(names.empty());
  ASSERT_OK_AND_ASSIGN(names, client().ListCollections(archive));
  EXPECT_THAT(names, ::testing::UnorderedElementsAre("docs_2025", "taken"));
  // The rows moved with it and are served there.
  ASSERT_OK_AND_ASSIGN(auto rows,
                       client().Get("docs_2025", {Value(3)}, {"n"}, archive));
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0].at("n"), Value(3));
  SearchRequest search;
  search.collection_name = "docs_2025";
  search.vectors = {4.0f, 0.0f, 0.0f, 1.0f};
  search.dim = 4;
  search.limit = 2;
  ASSERT_OK_AND_ASSIGN(SearchResults found, client().Search(search, archive));
  ASSERT_EQ(found.hits.size(), 1u);
  ASSERT_FALSE(found.hits[0].empty());
  EXPECT_EQ(found.hits[0][0].id, Value(4));
  // Naming the call's own database is a plain rename.
  ASSERT_THAT(
      client().RenameCollection("docs_2025", "docs_old", "archive", archive),
      IsOk());
  ASSERT_OK_AND_ASSIGN(auto stats,
                       client().GetCollectionStats("docs_old", archive));
  EXPECT_EQ(stats.row_count, 5);
}

// Milvus' partition-level loading: reads see the loaded partitions only.
TEST_P(ConformanceTest, PartitionsLoadAndReleaseOneByOne) {
  MakeDocs(6);  // ids 0..5 in _default
  ASSERT_THAT(client().CreatePartition("docs", "recent"), IsOk());
  InsertRequest insert;
  insert.collection_name = "docs";
  insert.partition_name = "recent";
  for (int64_t i = 10; i < 13; ++i) {
    insert.rows.push_back(
        Row{{"id", Value(i)},
            {"vector", Value::FloatVector({static_cast<float>(i), 0, 0, 1})}});
  }
  ASSERT_THAT(client().Insert(insert), IsOk());
  auto ids = [&](std::vector<std::string> partitions) {
    QueryRequest q;
    q.collection_name = "docs";
    q.partition_names = std::move(partitions);
    q.filter = "id >= 0";
    q.output_fields = {"id"};
    std::set<int64_t> out;
    auto rows = client().Query(q);
    EXPECT_THAT(rows, IsOk());
    if (rows.ok()) {
      for (const Row& r : *rows) out.insert(r.at("id").AsInt());
    }
    return out;
  };
  ASSERT_THAT(client().ReleaseCollection("docs"), IsOk());
  ASSERT_OK_AND_ASSIGN(CollectionStats stats,
                       client().GetPartitionStats("docs", "recent"));
  EXPECT_EQ(stats.row_count, 3);  // counted without loading

  ASSERT_THAT(client().LoadPartitions("docs", {"recent"}), IsOk());
  ASSERT_OK_AND_ASSIGN(LoadState state, client().GetLoadState("docs"));
  EXPECT_EQ(state, LoadState::kLoaded);
  ASSERT_OK_AND_ASSIGN(state, client().GetLoadState("docs", {"recent"}));
  EXPECT_EQ(state, LoadState::kLoaded);
  ASSERT_OK_AND_ASSIGN(state,
                       client().GetLoadState("docs", {"recent", "_default"}));
  EXPECT_EQ(state, LoadState::kNotLoaded);
  EXPECT_EQ(ids({}), (std::set<int64_t>{10, 11, 12}));
  SearchRequest search;
  search.collection_name = "docs";
  search.vectors = {1, 0, 0, 1};
  search.dim = 4;
  search.limit = 10;
  ASSERT_OK_AND_ASSIGN(SearchResults found, client().Search(search));
  ASSERT_EQ(found.hits.size(), 1u);
  EXPECT_EQ(found.hits[0].size(), 3u);
  for (const Hit& h : found.hits[0]) EXPECT_GE(h.id.AsInt(), 10);
  QueryRequest named;
  named.collection_name = "docs";
  named.partition_names = {"_default"};
  named.filter = "id >= 0";
  EXPECT_THAT(
      client().Query(named),
      StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("'_default'")));
  EXPECT_THAT(client().DropPartition("docs", "recent"),
              StatusIs(absl::StatusCode::kFailedPrecondition,
                       HasSubstr("release it first")));
  EXPECT_THAT(client().LoadPartitions("docs", {"nowhere"}),
              StatusIs(absl::StatusCode::kNotFound, HasSubstr("nowhere")));

  ASSERT_THAT(client().LoadPartitions("docs", {"_default"}), IsOk());
  EXPECT_EQ(ids({}).size(), 9u);
  ASSERT_THAT(client().ReleasePartitions("docs", {"recent"}), IsOk());
  EXPECT_EQ(ids({}), (std::set<int64_t>{0, 1, 2, 3, 4, 5}));
  // Releasing the last loaded partition releases the collection.
  ASSERT_THAT(client().ReleasePartitions("docs", {"_default"}), IsOk());
  ASSERT_OK_AND_ASSIGN(state, client().GetLoadState("docs"));
  EXPECT_EQ(state, LoadState::kNotLoaded);
  // A released partition can be dropped; loading the collection loads all.
  ASSERT_THAT(client().LoadPartitions("docs", {"_default"}), IsOk());
  ASSERT_THAT(client().DropPartition("docs", "recent"), IsOk());
  ASSERT_THAT(client().LoadCollection("docs"), IsOk());
  EXPECT_EQ(ids({}).size(), 6u);
}

TEST_P(ConformanceTest, NamesThatAreNotAsciiGetClearMessages) {
  // A non-ASCII letter: refused naming the whole character.
  absl::Status s = client().CreateCollection("caf\xc3\xa9", 4);
  EXPECT_THAT(s, StatusIs(absl::StatusCode::kInvalidArgument,
                          HasSubstr("(got '\xc3\xa9')")));
  EXPECT_TRUE(internal::IsValidUtf8(std::string(s.message())));
  // Bytes that are not UTF-8: refused, the message stays valid UTF-8.
  s = client().CreateCollection("bad\xff\xfe", 4);
  EXPECT_THAT(s,
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("\\xff")));
  EXPECT_TRUE(internal::IsValidUtf8(std::string(s.message())));
  absl::Status described = client().DescribeCollection("x\xc3").status();
  EXPECT_FALSE(described.ok());
  EXPECT_TRUE(internal::IsValidUtf8(std::string(described.message())));
}

// A field name (inside the serialized schema) that is not UTF-8: refused
// naming the bytes, as for a collection name; remotely without protobuf's
// "invalid UTF-8" errors on either side (issue 13, item 17).
TEST_P(ConformanceTest, FieldNamesThatAreNotUtf8GetClearMessages) {
  for (const std::string& bad : {std::string("id\xff"), std::string("v\xc3")}) {
    SCOPED_TRACE(internal::EscapeForDisplay(bad));
    CollectionSchema schema;
    FieldSchema id;
    id.name = bad[0] == 'i' ? bad : "id";
    id.type = DataType::kInt64;
    id.is_primary_key = true;
    FieldSchema vec;
    vec.name = bad[0] == 'v' ? bad : "vector";
    vec.type = DataType::kFloatVector;
    vec.dim = 2;
    schema.AddField(id).AddField(vec);
    ::testing::internal::CaptureStderr();
    absl::Status s = client().CreateCollection("fields", schema);
    const std::string logged = ::testing::internal::GetCapturedStderr();
    EXPECT_THAT(s, StatusIs(absl::StatusCode::kInvalidArgument,
                            HasSubstr(internal::ValidUtf8(bad))));
    EXPECT_TRUE(internal::IsValidUtf8(std::string(s.message())));
    EXPECT_THAT(logged, Not(HasSubstr("invalid UTF-8"))) << logged;
  }
  ASSERT_OK_AND_ASSIGN(bool has, client().HasCollection("fields"));
  EXPECT_FALSE(has);
}

TEST_P(ConformanceTest, SettingsAreStoredAndReturned) {
  Connection& c = *client().connection();
  // Databases: properties, ids and creation times.
  ASSERT_THAT(c.CreateDatabase("tuned", {{"database.replica.number", "1"}}, {}),
              IsOk());
  ASSERT_OK_AND_ASSIGN(DatabaseDescription db, c.DescribeDatabase("tuned", {}));
  EXPECT_EQ(db.name, "tuned");
  EXPECT_GT(db.id, 0);
  EXPECT_GT(db.created_timestamp, 0);
  EXPECT_EQ(db.properties.at("database.replica.number"), "1");
  ASSERT_THAT(
      c.AlterDatabaseProperties("tuned", {{"database.max.collections", "5"}},
                                {"database.replica.number"}, {}),
      IsOk());
  ASSERT_OK_AND_ASSIGN(DatabaseDescription again,
                       c.DescribeDatabase("tuned", {}));
  EXPECT_EQ(again.id, db.id);
  EXPECT_EQ(
      again.properties,
      (std::map<std::string, std::string>{{"database.max.collections", "5"}}));
  EXPECT_THAT(c.DescribeDatabase("nowhere", {}),
              StatusIs(absl::StatusCode::kNotFound));
  EXPECT_THAT(c.DropDatabase("nowhere", {}), IsOk());  // as Milvus
  ASSERT_THAT(c.DropDatabase("tuned", {}), IsOk());

  // Collections: consistency level and properties.
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
  schema.consistency_level = ConsistencyLevel::kBounded;
  schema.properties = {{"collection.ttl.seconds", "100"}};
  ASSERT_THAT(c.CreateCollection("tuned_docs", schema, {}, {}), IsOk());
  ASSERT_OK_AND_ASSIGN(CollectionDescription d,
                       client().DescribeCollection("tuned_docs"));
  EXPECT_EQ(d.schema.consistency_level, ConsistencyLevel::kBounded);
  EXPECT_EQ(d.schema.properties, schema.properties);
  ASSERT_THAT(
      c.AlterCollectionProperties("tuned_docs", {{"mmap.enabled", "true"}},
                                  {"collection.ttl.seconds"}, {}),
      IsOk());
  ASSERT_OK_AND_ASSIGN(d, client().DescribeCollection("tuned_docs"));
  EXPECT_EQ(d.schema.properties,
            (std::map<std::string, std::string>{{"mmap.enabled", "true"}}));
  ASSERT_THAT(client().RenameCollection("tuned_docs", "renamed_docs"), IsOk());
  ASSERT_OK_AND_ASSIGN(d, client().DescribeCollection("renamed_docs"));
  EXPECT_EQ(d.schema.consistency_level, ConsistencyLevel::kBounded);
  EXPECT_EQ(d.schema.properties.count("mmap.enabled"), 1u);
  EXPECT_THAT(c.AlterCollectionProperties(
                  "renamed_docs", {{"collection.ttl.seconds", "x"}}, {}, {}),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("collection.ttl.seconds")));
  // Index properties: stored, reported, gone with the index.
  IndexSpec flat;
  flat.field_name = "vector";
  flat.index_name = "vec_idx";
  flat.index_type = IndexType::kFlat;
  flat.metric_type = MetricType::kL2;
  ASSERT_THAT(client().CreateIndex("renamed_docs", flat), IsOk());
  ASSERT_THAT(c.AlterIndexProperties("renamed_docs", "vec_idx",
                                     {{"mmap.enabled", "true"}}, {}, {}),
              IsOk());
  ASSERT_OK_AND_ASSIGN(std::vector<IndexDescription> indexes,
                       client().DescribeIndexes("renamed_docs"));
  ASSERT_EQ(indexes.size(), 1u);
  EXPECT_EQ(indexes[0].properties,
            (std::map<std::string, std::string>{{"mmap.enabled", "true"}}));
  EXPECT_TRUE(indexes[0].params.empty());
  EXPECT_THAT(
      c.AlterIndexProperties("renamed_docs", "vec_idx", {{"no.such", "1"}}, {},
                             {}),
      StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("no.such")));
  EXPECT_THAT(c.AlterIndexProperties("renamed_docs", "nope",
                                     {{"mmap.enabled", "true"}}, {}, {}),
              StatusIs(absl::StatusCode::kNotFound));
  ASSERT_THAT(client().DropIndex("renamed_docs", "vec_idx"), IsOk());
  ASSERT_THAT(client().CreateIndex("renamed_docs", flat), IsOk());
  ASSERT_OK_AND_ASSIGN(indexes, client().DescribeIndexes("renamed_docs"));
  ASSERT_EQ(indexes.size(), 1u);
  EXPECT_TRUE(indexes[0].properties.empty());
  ASSERT_THAT(client().LoadCollection("renamed_docs"), IsOk());

  ASSERT_THAT(client().Insert("renamed_docs",
                              {Row{{"id", Value(1)},
                                   {"vector", Value::FloatVector({1, 0})}}}),
              IsOk());
  ASSERT_OK_AND_ASSIGN(std::vector<SegmentDescription> segments,
                       c.ListSegments("renamed_docs", {}));
  int64_t rows = 0;
  for (const SegmentDescription& s : segments) rows += s.rows - s.deleted;
  EXPECT_EQ(rows, 1);
}

// Milvus' partition key mode: the key and the number of partitions are
// stored and reported, results are those of any collection, and partitions
// are not named by hand.
// AlterCollectionField as Milvus: max_length, max_capacity and mmap.enabled,
// the new limits for later writes, reported by DescribeCollection.
TEST_P(ConformanceTest, AlterCollectionField) {
  Connection& c = *client().connection();
  CollectionSchema schema;
  FieldSchema id;
  id.name = "id";
  id.type = DataType::kInt64;
  id.is_primary_key = true;
  FieldSchema vec;
  vec.name = "vector";
  vec.type = DataType::kFloatVector;
  vec.dim = 2;
  FieldSchema title;
  title.name = "title";
  title.type = DataType::kVarChar;
  title.max_length = 4;
  FieldSchema tags;
  tags.name = "tags";
  tags.type = DataType::kArray;
  tags.element_type = DataType::kInt64;
  tags.max_capacity = 2;
  FieldSchema meta;
  meta.name = "meta";
  meta.type = DataType::kJson;
  meta.properties = {{"mmap.enabled", "false"}};
  schema.AddField(id).AddField(vec).AddField(title).AddField(tags).AddField(
      meta);
  IndexSpec flat;
  flat.field_name = "vector";
  flat.index_type = IndexType::kFlat;
  flat.metric_type = MetricType::kL2;
  ASSERT_THAT(c.CreateCollection("fields", schema, {flat}, {}), IsOk());
  auto row = [](int64_t k, std::string text, std::vector<Value> list) {
    return Row{{"id", Value(k)},
               {"vector", Value::FloatVector({1, 0})},
               {"title", Value(std::move(text))},
               {"tags", Value(std::move(list))},
               {"meta", Value(Value::Object{})}};
  };
  EXPECT_THAT(
      client().Insert("fields", {row(1, "longer", {})}),
      StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("max_length 4")));
  EXPECT_THAT(
      client().Insert("fields", {row(1, "ok", {Value(1), Value(2), Value(3)})}),
      StatusIs(absl::StatusCode::kInvalidArgument,
               HasSubstr("max_capacity 2")));
  ASSERT_THAT(
      c.AlterCollectionField("fields", "title", {{"max_length", "1024"}}, {}),
      IsOk());
  ASSERT_THAT(
      c.AlterCollectionField("fields", "tags", {{"max_capacity", "3"}}, {}),
      IsOk());
  ASSERT_THAT(
      c.AlterCollectionField("fields", "meta", {{"mmap.enabled", "True"}}, {}),
      IsOk());
  ASSERT_THAT(client().Insert(
                  "fields", {row(1, "longer", {Value(1), Value(2), Value(3)})}),
              IsOk());
  ASSERT_OK_AND_ASSIGN(CollectionDescription d,
                       client().DescribeCollection("fields"));
  for (const FieldSchema& f : d.schema.fields) {
    if (f.name == "title") {
      EXPECT_EQ(f.max_length, 1024);
    }
    if (f.name == "tags") {
      EXPECT_EQ(f.max_capacity, 3);
    }
    if (f.name == "meta") {
      EXPECT_EQ(f.properties,
                (std::map<std::string, std::string>{{"mmap.enabled", "True"}}));
    }
  }
  // Stricter again: later writes obey it; stored rows keep their values.
  ASSERT_THAT(
      c.AlterCollectionField("fields", "title", {{"max_length", "5"}}, {}),
      IsOk());
  EXPECT_THAT(
      client().Insert("fields", {row(2, "longer", {})}),
      StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("max_length 5")));
  QueryRequest q;
  q.collection_name = "fields";
  q.filter = "id == 1";
  q.output_fields = {"title"};
  ASSERT_OK_AND_ASSIGN(std::vector<Row> rows, client().Query(q));
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0]["title"], Value("longer"));
  // Refusals name what is wrong.
  EXPECT_THAT(
      c.AlterCollectionField("fields", "id", {{"max_length", "9"}}, {}),
      StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("primary key")));
  EXPECT_THAT(
      c.AlterCollectionField("fields", "tags", {{"max_length", "9"}}, {}),
      StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("max_length")));
  EXPECT_THAT(
      c.AlterCollectionField("fields", "title", {{"max_length", "70000"}}, {}),
      StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("[1, 65535]")));
  EXPECT_THAT(
      c.AlterCollectionField("fields", "title", {{"nullable", "true"}}, {}),
      StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("nullable")));
  EXPECT_THAT(
      c.AlterCollectionField("fields", "nope", {{"max_length", "9"}}, {}),
      StatusIs(absl::StatusCode::kNotFound, HasSubstr("nope")));
  EXPECT_THAT(
      c.AlterCollectionField("nowhere", "title", {{"max_length", "9"}}, {}),
      StatusIs(absl::StatusCode::kNotFound));
  ASSERT_THAT(client().DropCollection("fields"), IsOk());
}

// Partial load: requests see the loaded fields only; the list holds until
// the collection is released.
TEST_P(ConformanceTest, PartialLoad) {
  Connection& c = *client().connection();
  CollectionSchema schema;
  schema.enable_dynamic_field = true;
  FieldSchema id;
  id.name = "id";
  id.type = DataType::kInt64;
  id.is_primary_key = true;
  FieldSchema vec;
  vec.name = "vector";
  vec.type = DataType::kFloatVector;
  vec.dim = 2;
  FieldSchema title;
  title.name = "title";
  title.type = DataType::kVarChar;
  title.max_length = 8;
  FieldSchema n;
  n.name = "n";
  n.type = DataType::kInt64;
  schema.AddField(id).AddField(vec).AddField(title).AddField(n);
  IndexSpec flat;
  flat.field_name = "vector";
  flat.index_type = IndexType::kFlat;
  flat.metric_type = MetricType::kL2;
  ASSERT_THAT(c.CreateCollection("partial", schema, {flat}, {}), IsOk());
  std::vector<Row> rows;
  for (int i = 0; i < 5; ++i) {
    rows.push_back(Row{{"id", Value(i)},
                       {"vector", Value::FloatVector({float(i), 0})},
                       {"title", Value("t" + std::to_string(i))},
                       {"n", Value(i * 10)},
                       {"extra", Value(i)}});
  }
  ASSERT_THAT(client().Insert("partial", rows), IsOk());
  ASSERT_THAT(client().ReleaseCollection("partial"), IsOk());
  LoadOptions options;
  options.load_fields = {"vector", "title"};
  EXPECT_THAT(
      client().LoadCollection("partial", options),
      StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("primary key")));
  options.load_fields = {"id", "title", "nope"};
  EXPECT_THAT(client().LoadCollection("partial", options),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("nope")));
  options.load_fields = {"id", "vector", "title"};
  options.skip_load_dynamic_field = true;
  ASSERT_THAT(client().LoadCollection("partial", options), IsOk());
  QueryRequest q;
  q.collection_name = "partial";
  q.filter = "id == 2";
  q.output_fields = {"*"};
  ASSERT_OK_AND_ASSIGN(std::vector<Row> got, client().Query(q));
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].count("n"), 0u);
  EXPECT_EQ(got[0].count("extra"), 0u);
  EXPECT_EQ(got[0].at("title"), Value("t2"));
  q.output_fields = {"n"};
  EXPECT_THAT(client().Query(q), StatusIs(absl::StatusCode::kInvalidArgument,
                                          HasSubstr("is not loaded")));
  q.output_fields = {};
  q.filter = "n > 10";
  EXPECT_THAT(client().Query(q), StatusIs(absl::StatusCode::kInvalidArgument,
                                          HasSubstr("'n' is not loaded")));
  q.filter = "extra > 1";
  EXPECT_THAT(client().Query(q), StatusIs(absl::StatusCode::kInvalidArgument,
                                          HasSubstr("dynamic field")));
  SearchRequest s;
  s.collection_name = "partial";
  s.vectors = {3, 0};
  s.dim = 2;
  s.limit = 2;
  s.filter = "title != \"t4\"";
  s.output_fields = {"title"};
  ASSERT_OK_AND_ASSIGN(SearchResults hits, client().Search(s));
  ASSERT_EQ(hits.hits[0].size(), 2u);
  EXPECT_EQ(hits.hits[0][0].id, Value(3));
  EXPECT_THAT(client().LoadCollection("partial"),
              StatusIs(absl::StatusCode::kFailedPrecondition,
                       HasSubstr("release it first")));
  ASSERT_THAT(client().ReleaseCollection("partial"), IsOk());
  ASSERT_THAT(client().LoadCollection("partial"), IsOk());
  q.filter = "n > 30";
  q.output_fields = {"*"};
  ASSERT_OK_AND_ASSIGN(got, client().Query(q));
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].at("extra"), Value(4));
  ASSERT_THAT(client().DropCollection("partial"), IsOk());
}

TEST_P(ConformanceTest, PartitionKey) {
  CollectionSchema schema;
  FieldSchema id;
  id.name = "id";
  id.type = DataType::kInt64;
  id.is_primary_key = true;
  FieldSchema vec;
  vec.name = "vec";
  vec.type = DataType::kFloatVector;
  vec.dim = 4;
  FieldSchema tenant;
  tenant.name = "tenant";
  tenant.type = DataType::kVarChar;
  tenant.max_length = 16;
  tenant.is_partition_key = true;
  FieldSchema ts;
  ts.name = "ts";
  ts.type = DataType::kInt64;
  ts.is_clustering_key = true;
  schema.AddField(id).AddField(vec).AddField(tenant).AddField(ts);
  IndexSpec index;
  index.field_name = "vec";
  index.index_type = IndexType::kFlat;
  index.metric_type = MetricType::kL2;
  ASSERT_THAT(client().CreateCollection("pk", schema, {index}), IsOk());
  ASSERT_OK_AND_ASSIGN(CollectionDescription d,
                       client().DescribeCollection("pk"));
  ASSERT_EQ(d.schema.fields.size(), 4u);
  EXPECT_FALSE(d.schema.fields[0].is_partition_key);
  EXPECT_TRUE(d.schema.fields[2].is_partition_key);
  EXPECT_FALSE(d.schema.fields[2].is_clustering_key);
  EXPECT_TRUE(d.schema.fields[3].is_clustering_key);
  EXPECT_EQ(d.schema.num_partitions, 16);  // Milvus' default

  std::vector<Row> rows;
  for (int i = 0; i < 12; ++i) {
    rows.push_back(Row{
        {"id", Value(int64_t{i})},
        {"vec", Value::FloatVector({static_cast<float>(i), 0.0f, 0.0f, 0.0f})},
        {"tenant", Value(i % 2 == 0 ? "a" : "b")},
        {"ts", Value(int64_t{100 + i})}});
  }
  ASSERT_THAT(client().Insert("pk", rows), IsOk());
  SearchRequest search;
  search.collection_name = "pk";
  search.vectors = {5.2f, 0, 0, 0};
  search.dim = 4;
  search.limit = 3;
  search.filter = "tenant == \"a\"";
  ASSERT_OK_AND_ASSIGN(SearchResults results, client().Search(search));
  std::vector<int64_t> ids;
  for (const Hit& h : results.hits.at(0)) ids.push_back(h.id.AsInt());
  EXPECT_THAT(ids, ElementsAre(6, 4, 8));

  // The rows are spread over "_default_0" .. "_default_15" by the hash of
  // their key (documented: engine::PartitionKeySlot); "_default" is hidden.
  std::vector<std::string> names;
  for (int i = 0; i < 16; ++i) names.push_back(absl::StrCat("_default_", i));
  ASSERT_OK_AND_ASSIGN(std::vector<std::string> listed,
                       client().ListPartitions("pk"));
  EXPECT_EQ(listed, names);
  ASSERT_OK_AND_ASSIGN(bool has, client().HasPartition("pk", "_default"));
  EXPECT_FALSE(has);
  ASSERT_OK_AND_ASSIGN(has, client().HasPartition("pk", "_default_15"));
  EXPECT_TRUE(has);
  auto expect_spread = [&](const std::map<std::string, int>& per_key) {
    std::vector<int64_t> want(16);
    for (const auto& [key, n] : per_key) {
      want[engine::PartitionKeySlot(Value(key), 16)] += n;
    }
    for (int i = 0; i < 16; ++i) {
      ASSERT_OK_AND_ASSIGN(CollectionStats stats,
                           client().GetPartitionStats("pk", names[i]));
      EXPECT_EQ(stats.row_count, want[i]) << names[i];
    }
  };
  ASSERT_NE(engine::PartitionKeySlot(Value("a"), 16),
            engine::PartitionKeySlot(Value("b"), 16));
  expect_spread({{"a", 6}, {"b", 6}});
  // An upsert that changes the key moves the row; deletes by id find rows
  // wherever they are; a delete by a pinned filter deletes what it says.
  Row moved = rows[0];
  moved["tenant"] = Value("b");
  ASSERT_THAT(client().Upsert("pk", {moved}), IsOk());
  expect_spread({{"a", 5}, {"b", 7}});
  QueryRequest query;
  query.collection_name = "pk";
  query.filter = "tenant == \"b\" and id < 4";
  ASSERT_OK_AND_ASSIGN(std::vector<Row> got, client().Query(query));
  std::vector<int64_t> got_ids;
  for (const Row& r : got) got_ids.push_back(r.at("id").AsInt());
  std::sort(got_ids.begin(), got_ids.end());
  EXPECT_THAT(got_ids, ElementsAre(0, 1, 3));
  ASSERT_THAT(
      client().Delete("pk", {Value(int64_t{0}), Value(int64_t{2})}).status(),
      IsOk());
  expect_spread({{"a", 4}, {"b", 6}});
  DeleteRequest by_filter;
  by_filter.collection_name = "pk";
  by_filter.filter = "tenant in [\"a\"] and id > 6";
  ASSERT_THAT(client().Delete(by_filter), IsOk());
  expect_spread({{"a", 2}, {"b", 6}});
  query.filter = "tenant == \"a\" or tenant == \"b\"";
  ASSERT_OK_AND_ASSIGN(got, client().Query(query));
  EXPECT_EQ(got.size(), 8u);

  // Partitions are not named by hand.
  EXPECT_THAT(client().LoadPartitions("pk", {"_default_0"}),
              StatusIs(absl::StatusCode::kFailedPrecondition,
                       HasSubstr("disable load partitions if partition key "
                                 "mode is used")));
  EXPECT_THAT(client().ReleasePartitions("pk", {"_default_0"}),
              StatusIs(absl::StatusCode::kFailedPrecondition,
                       HasSubstr("partition key")));
  search.partition_names = {"_default"};
  EXPECT_THAT(client().Search(search),
              StatusIs(absl::StatusCode::kFailedPrecondition,
                       HasSubstr("partition key")));
  Connection& c = *client().connection();
  EXPECT_THAT(c.CreatePartition("pk", "p1", {}),
              StatusIs(absl::StatusCode::kFailedPrecondition,
                       HasSubstr("partition key")));
  InsertRequest insert;
  insert.collection_name = "pk";
  insert.partition_name = "_default";
  insert.rows = {rows[0]};
  EXPECT_THAT(client().Insert(insert),
              StatusIs(absl::StatusCode::kFailedPrecondition,
                       HasSubstr("partition key")));

  // num_partitions is kept; bad keys are refused naming the field.
  schema.num_partitions = 4;
  ASSERT_THAT(client().CreateCollection("pk4", schema, {index}), IsOk());
  ASSERT_OK_AND_ASSIGN(d, client().DescribeCollection("pk4"));
  EXPECT_EQ(d.schema.num_partitions, 4);
  schema.fields[2].type = DataType::kDouble;
  EXPECT_THAT(client().CreateCollection("pk_bad", schema, {index}),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("is_partition_key")));
  schema.fields[2].type = DataType::kVarChar;
  schema.fields[2].is_partition_key = false;
  EXPECT_THAT(client().CreateCollection("pk_bad", schema, {index}),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("num_partitions")));
}

TEST_P(ConformanceTest, Partitions) {
  MakeDocs(0);
  Connection& c = *client().connection();
  ASSERT_THAT(c.CreatePartition("docs", "p1", {}), IsOk());
  EXPECT_THAT(c.CreatePartition("docs", "p1", {}),
              StatusIs(absl::StatusCode::kAlreadyExists));
  ASSERT_OK_AND_ASSIGN(bool has, c.HasPartition("docs", "p1", {}));
  EXPECT_TRUE(has);
  ASSERT_OK_AND_ASSIGN(has, c.HasPartition("docs", "p2", {}));
  EXPECT_FALSE(has);
  ASSERT_OK_AND_ASSIGN(auto parts, c.ListPartitions("docs", {}));
  EXPECT_THAT(parts, UnorderedElementsAre("_default", "p1"));
  InsertRequest insert;
  insert.collection_name = "docs";
  insert.partition_name = "p1";
  insert.rows = {
      Row{{"id", Value(1)}, {"vector", Value::FloatVector({1, 0, 0, 0})}}};
  ASSERT_THAT(client().Insert(insert), IsOk());
  insert.partition_name = "";
  insert.rows = {
      Row{{"id", Value(2)}, {"vector", Value::FloatVector({1, 0, 0, 0})}}};
  ASSERT_THAT(client().Insert(insert), IsOk());
  SearchRequest search;
  search.collection_name = "docs";
  search.vectors = {1, 0, 0, 0};
  search.dim = 4;
  search.partition_names = {"p1"};
  ASSERT_OK_AND_ASSIGN(SearchResults results, client().Search(search));
  ASSERT_EQ(results.hits.size(), 1u);
  ASSERT_EQ(results.hits[0].size(), 1u);
  EXPECT_EQ(results.hits[0][0].id, Value(1));
  QueryRequest query;
  query.collection_name = "docs";
  query.partition_names = {"_default"};
  query.filter = "id > 0";
  ASSERT_OK_AND_ASSIGN(auto rows, client().Query(query));
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0].at("id"), Value(2));
  search.partition_names = {"nope"};
  EXPECT_THAT(client().Search(search), StatusIs(absl::StatusCode::kNotFound));
}

TEST_P(ConformanceTest, Aliases) {
  MakeDocs(2);
  Connection& c = *client().connection();
  ASSERT_THAT(c.CreateAlias("docs", "current", {}), IsOk());
  ASSERT_OK_AND_ASSIGN(AliasDescription d, c.DescribeAlias("current", {}));
  EXPECT_EQ(d.alias, "current");
  EXPECT_EQ(d.collection, "docs");
  ASSERT_OK_AND_ASSIGN(auto aliases, c.ListAliases("docs", {}));
  EXPECT_THAT(aliases, ElementsAre("current"));
  ASSERT_OK_AND_ASSIGN(CollectionDescription desc,
                       client().DescribeCollection("docs"));
  EXPECT_THAT(desc.aliases, ElementsAre("current"));
  // Reads through the alias.
  ASSERT_OK_AND_ASSIGN(auto rows, client().Get("current", {Value(1)}));
  EXPECT_EQ(rows.size(), 1u);
  ASSERT_THAT(client().CreateCollection("docs2", 4), IsOk());
  ASSERT_THAT(c.AlterAlias("docs2", "current", {}), IsOk());
  ASSERT_OK_AND_ASSIGN(d, c.DescribeAlias("current", {}));
  EXPECT_EQ(d.collection, "docs2");
  ASSERT_THAT(c.DropAlias("current", {}), IsOk());
  EXPECT_THAT(c.DescribeAlias("current", {}),
              StatusIs(absl::StatusCode::kNotFound));
}

// --- iterators over a pinned snapshot
// ------------------------------------------------

// A collection "snap": id INT64, "vec" FLOAT_VECTOR dim 8 (L2, index
// `type`), "n" INT64; rows i = 0..n-1 with small integer components, so that
// squared distances are exact integers with many ties.
struct SnapRow {
  int64_t id;
  std::vector<float> vec;
  int64_t n;
};

std::vector<float> SnapVector(int64_t i) {
  std::vector<float> v(8);
  for (int d = 0; d < 8; ++d) v[d] = static_cast<float>((i * (d + 3) + d) % 4);
  return v;
}

void MakeSnap(Client& client, IndexType type, int n,
              std::vector<SnapRow>* rows) {
  CollectionSchema schema;
  FieldSchema id;
  id.name = "id";
  id.type = DataType::kInt64;
  id.is_primary_key = true;
  FieldSchema vec;
  vec.name = "vec";
  vec.type = DataType::kFloatVector;
  vec.dim = 8;
  FieldSchema num;
  num.name = "n";
  num.type = DataType::kInt64;
  schema.AddField(id).AddField(vec).AddField(num);
  IndexSpec index;
  index.field_name = "vec";
  index.index_type = type;
  index.metric_type = MetricType::kL2;
  if (type == IndexType::kHnsw) {
    // A small graph: its walks miss rows, which a cursor over it would drop.
    index.params = {{"M", "4"}, {"efConstruction", "8"}};
  }
  ASSERT_THAT(client.CreateCollection("snap", schema, {index}), IsOk());
  std::vector<Row> insert;
  for (int i = 0; i < n; ++i) {
    SnapRow r{i, SnapVector(i), i};
    insert.push_back({{"id", Value(r.id)},
                      {"vec", Value::FloatVector(r.vec)},
                      {"n", Value(r.n)}});
    rows->push_back(std::move(r));
  }
  ASSERT_THAT(client.Insert("snap", std::move(insert)), IsOk());
}

// Writes between pages: inserts new rows that match every filter, upserts
// rows (new "n", new vector), deletes rows both before and after the
// cursor, and compacts.
void WriteBetweenPages(Client& client, int page, int n) {
  std::vector<Row> fresh;
  for (int i = 0; i < 5; ++i) {
    const int64_t id = 100000 + page * 10 + i;
    fresh.push_back({{"id", Value(id)},
                     {"vec", Value::FloatVector(std::vector<float>(8, 0.0f))},
                     {"n", Value(int64_t{2})}});
  }
  ASSERT_THAT(client.Insert("snap", std::move(fresh)), IsOk());
  std::vector<Row> changed;
  for (int i = 0; i < 4; ++i) {
    const int64_t id = (page * 37 + i * 101) % n;
    changed.push_back({{"id", Value(id)},
                       {"vec", Value::FloatVector(std::vector<float>(8, 9.0f))},
                       {"n", Value(int64_t{-1})}});
  }
  ASSERT_THAT(client.Upsert("snap", std::move(changed)), IsOk());
  std::vector<Value> gone;
  for (int i = 0; i < 6; ++i) gone.push_back(Value((page * 53 + i * 71) % n));
  ASSERT_THAT(client.Delete("snap", std::move(gone)), IsOk());
  // Compaction rewrites segments; the pinned snapshot keeps the old ones.
  absl::Status compacted = client.Compact("snap");
  ASSERT_THAT(compacted, IsOk());
}

TEST_P(ConformanceTest, QueryIteratorReadsTheSnapshotOfItsCreation) {
  ReopenWithSealRows(200);
  constexpr int kRows = 900;
  std::vector<SnapRow> rows;
  MakeSnap(client(), IndexType::kFlat, kRows, &rows);
  QueryRequest q;
  q.collection_name = "snap";
  q.filter = "n % 3 != 1";
  q.output_fields = {"n"};
  ASSERT_OK_AND_ASSIGN(QueryIterator it, client().NewQueryIterator(q, 64));
  EXPECT_TRUE(it.pinned());
  EXPECT_FALSE(it.server_iterator());
  // Through the remote backend, also as against Milvus (no read sessions):
  // the pages of Milvus' query iterator protocol (the first page's
  // session_ts sent back as guarantee_timestamp, as pymilvus does), which
  // cove-server pins to the first page too.
  std::optional<Client> milvus_like;
  std::optional<QueryIterator> server_it;
  if (GetParam() == Backend::kRemote) {
    ClientOptions options = cove::testing::TestClientOptions();
    options.remote.read_sessions = false;
    ASSERT_OK_AND_ASSIGN(milvus_like,
                         cove::testing::ConnectTo(*server_, options));
    ASSERT_OK_AND_ASSIGN(server_it, milvus_like->NewQueryIterator(q, 50));
    EXPECT_TRUE(server_it->server_iterator());
    EXPECT_TRUE(server_it->pinned());
  }
  std::vector<std::pair<int64_t, int64_t>> expected;  // (id, n)
  for (const SnapRow& r : rows) {
    if (r.n % 3 != 1) expected.emplace_back(r.id, r.n);
  }
  std::vector<std::pair<int64_t, int64_t>> got, got_server;
  for (int page = 0; !it.done() || (server_it && !server_it->done()); ++page) {
    ASSERT_OK_AND_ASSIGN(std::vector<Row> rows_page, it.Next());
    for (const Row& r : rows_page) {
      got.emplace_back(r.at("id").AsInt(), r.at("n").AsInt());
    }
    if (server_it.has_value()) {
      ASSERT_OK_AND_ASSIGN(std::vector<Row> page2, server_it->Next());
      for (const Row& r : page2) {
        got_server.emplace_back(r.at("id").AsInt(), r.at("n").AsInt());
      }
    }
    WriteBetweenPages(client(), page, kRows);
    ASSERT_LT(page, 100);
  }
  EXPECT_EQ(got, expected);  // no drop, no repeat, key order, old values
  EXPECT_THAT(it.Close(), IsOk());
  if (server_it.has_value()) EXPECT_EQ(got_server, expected);

  // With a limit.
  q.limit = 100;
  ASSERT_OK_AND_ASSIGN(QueryIterator capped, client().NewQueryIterator(q, 30));
  size_t total = 0;
  while (!capped.done()) {
    ASSERT_OK_AND_ASSIGN(auto page, capped.Next());
    total += page.size();
  }
  EXPECT_EQ(total, 100u);
  if (milvus_like.has_value()) {
    ASSERT_OK_AND_ASSIGN(QueryIterator capped_server,
                         milvus_like->NewQueryIterator(q, 30));
    total = 0;
    while (!capped_server.done()) {
      ASSERT_OK_AND_ASSIGN(auto page, capped_server.Next());
      total += page.size();
    }
    EXPECT_EQ(total, 100u);
  }
}

TEST_P(ConformanceTest, SearchIteratorIsExactOnTheSnapshot) {
  ReopenWithSealRows(256);
  for (IndexType type : {IndexType::kFlat, IndexType::kHnsw}) {
    SCOPED_TRACE(IndexTypeName(type));
    constexpr int kRows = 1200;
    std::vector<SnapRow> rows;
    MakeSnap(client(), type, kRows, &rows);
    const std::vector<float> query = {1, 2, 0, 3, 1, 1, 2, 0};
    // The oracle: the snapshot's matching rows by (distance, id); the
    // distances are exact small integers.
    std::vector<std::pair<float, int64_t>> expected;
    for (const SnapRow& r : rows) {
      if (r.n % 4 == 0) continue;
      float d = 0;
      for (int k = 0; k < 8; ++k)
        d += (r.vec[k] - query[k]) * (r.vec[k] - query[k]);
      expected.emplace_back(d, r.id);
    }
    std::sort(expected.begin(), expected.end());
    SearchRequest s;
    s.collection_name = "snap";
    s.vectors = query;
    s.dim = 8;
    s.filter = "n % 4 != 0";
    s.output_fields = {"n"};
    ASSERT_OK_AND_ASSIGN(SearchIterator it,
                         client().NewSearchIterator(s, /*batch_size=*/97));
    EXPECT_TRUE(it.pinned());
    EXPECT_FALSE(it.server_iterator());
    // Through the remote backend, also as against Milvus (no read
    // sessions): the pages of the server's own iterator (search_iter_v2,
    // as pymilvus drives it), as exact on cove-server.
    std::optional<Client> milvus_like;
    std::optional<SearchIterator> v2;
    if (GetParam() == Backend::kRemote) {
      ClientOptions options = cove::testing::TestClientOptions();
      options.remote.read_sessions = false;
      ASSERT_OK_AND_ASSIGN(milvus_like,
                           cove::testing::ConnectTo(*server_, options));
      ASSERT_OK_AND_ASSIGN(v2, milvus_like->NewSearchIterator(s, 97));
      EXPECT_TRUE(v2->server_iterator());
      EXPECT_TRUE(v2->pinned());
    }
    std::vector<std::pair<float, int64_t>> got, got_v2;
    for (int page = 0; !it.done(); ++page) {
      ASSERT_OK_AND_ASSIGN(std::vector<Hit> hits, it.Next());
      for (const Hit& h : hits) {
        got.emplace_back(h.distance, h.id.AsInt());
        EXPECT_EQ(h.entity.at("n"), Value(h.id.AsInt()));  // old values
      }
      if (v2.has_value()) {
        ASSERT_OK_AND_ASSIGN(std::vector<Hit> hits2, v2->Next());
        for (const Hit& h : hits2) {
          got_v2.emplace_back(h.distance, h.id.AsInt());
          EXPECT_EQ(h.entity.at("n"), Value(h.id.AsInt()));
        }
      }
      WriteBetweenPages(client(), page, kRows);
      ASSERT_LT(page, 100);
    }
    EXPECT_EQ(got, expected);  // every row once, in (distance, id) order
    if (v2.has_value()) {
      EXPECT_TRUE(v2->done());
      EXPECT_EQ(got_v2, expected);
      // A limit cuts the server's pages too.
      ASSERT_OK_AND_ASSIGN(SearchIterator capped_v2,
                           milvus_like->NewSearchIterator(s, 40, 150));
      size_t n = 0;
      while (!capped_v2.done()) {
        ASSERT_OK_AND_ASSIGN(auto hits, capped_v2.Next());
        n += hits.size();
      }
      EXPECT_EQ(n, 150u);
    }

    // A limit caps the hits; the first ones are the closest.
    ASSERT_OK_AND_ASSIGN(SearchIterator capped,
                         client().NewSearchIterator(s, 40, /*limit=*/150));
    std::vector<int64_t> capped_ids;
    while (!capped.done()) {
      ASSERT_OK_AND_ASSIGN(auto hits, capped.Next());
      for (const Hit& h : hits) capped_ids.push_back(h.id.AsInt());
    }
    EXPECT_EQ(capped_ids.size(), 150u);
    ASSERT_THAT(client().DropCollection("snap"), IsOk());
  }
}

TEST_P(ConformanceTest, ReadSessionsEndWithAClearError) {
  std::vector<SnapRow> rows;
  MakeSnap(client(), IndexType::kFlat, 50, &rows);
  Connection& c = *client().connection();
  ASSERT_OK_AND_ASSIGN(std::string id, c.OpenReadSession("snap", {}));
  ASSERT_THAT(client().Delete("snap", {Value(int64_t{7})}), IsOk());
  QueryRequest q;
  q.collection_name = "snap";
  q.session_id = id;
  q.output_fields = {"count(*)"};
  ASSERT_OK_AND_ASSIGN(std::vector<Row> count, c.Query(q, {}));
  EXPECT_EQ(count.at(0).at("count(*)"), Value(int64_t{50}));
  // Get by ids reads the snapshot too: the deleted row is still there.
  q.output_fields = {"id", "n"};
  q.ids = {Value(int64_t{7}), Value(int64_t{3})};
  ASSERT_OK_AND_ASSIGN(std::vector<Row> got, c.Query(q, {}));
  std::vector<int64_t> got_ids;
  for (const Row& r : got) got_ids.push_back(r.at("id").AsInt());
  EXPECT_THAT(got_ids, UnorderedElementsAre(7, 3));
  q.ids.clear();
  q.output_fields = {"count(*)"};

  ASSERT_THAT(c.CloseReadSession("snap", id, {}), IsOk());
  EXPECT_THAT(c.Query(q, {}), StatusIs(absl::StatusCode::kNotFound,
                                       HasSubstr("read session '" + id)));
  SearchRequest s;
  s.collection_name = "snap";
  s.vectors = std::vector<float>(8, 1.0f);
  s.dim = 8;
  s.session_id = id;
  EXPECT_THAT(c.Search(s, {}), StatusIs(absl::StatusCode::kNotFound,
                                        HasSubstr("read session '" + id)));
  EXPECT_THAT(c.CloseReadSession("snap", id, {}),
              StatusIs(absl::StatusCode::kNotFound));
  q.session_id = "12345";
  EXPECT_THAT(c.Query(q, {}), StatusIs(absl::StatusCode::kNotFound,
                                       HasSubstr("read session '12345'")));
  // A cursor needs a session.
  s.session_id.clear();
  s.search_after = SearchCursor{1.0f, Value(int64_t{3})};
  EXPECT_THAT(c.Search(s, {}), StatusIs(absl::StatusCode::kInvalidArgument));

  // A session belongs to its collection.
  MakeDocs(5);
  ASSERT_OK_AND_ASSIGN(std::string other, c.OpenReadSession("snap", {}));
  q.collection_name = "docs";
  q.session_id = other;
  EXPECT_THAT(c.Query(q, {}), StatusIs(absl::StatusCode::kInvalidArgument,
                                       HasSubstr("belongs to collection")));
  // Dropping the collection ends its sessions.
  ASSERT_THAT(client().DropCollection("snap"), IsOk());
  EXPECT_THAT(c.CloseReadSession("snap", other, {}),
              StatusIs(absl::StatusCode::kNotFound));
  EXPECT_THAT(c.OpenReadSession("snap", {}),
              StatusIs(absl::StatusCode::kNotFound));

  // An iterator closed early: its session is gone, and Next() is empty.
  QueryRequest all;
  all.collection_name = "docs";
  all.filter = "id >= 0";
  ASSERT_OK_AND_ASSIGN(QueryIterator it, client().NewQueryIterator(all, 2));
  ASSERT_THAT(it.Close(), IsOk());
  EXPECT_TRUE(it.done());
  ASSERT_OK_AND_ASSIGN(std::vector<Row> empty, it.Next());
  EXPECT_TRUE(empty.empty());
}

TEST_P(ConformanceTest, CompactKeepsContent) {
  ReopenWithSealRows(8);
  MakeDocs(40);
  std::vector<Value> gone;
  for (int i = 0; i < 40; i += 3) gone.push_back(Value(int64_t{i}));
  ASSERT_THAT(client().Delete("docs", gone), IsOk());
  ASSERT_THAT(client().Compact("docs"), IsOk());
  QueryRequest q;
  q.collection_name = "docs";
  q.filter = "n >= 0";
  q.output_fields = {"n"};
  ASSERT_OK_AND_ASSIGN(std::vector<Row> rows, client().Query(q));
  EXPECT_EQ(rows.size(), 40u - gone.size());
  for (const Row& r : rows) EXPECT_NE(r.at("n").AsInt() % 3, 0);
  EXPECT_THAT(client().Compact("missing"),
              StatusIs(absl::StatusCode::kNotFound));
}

INSTANTIATE_TEST_SUITE_P(Backends, ConformanceTest,
                         ::testing::Values(Backend::kEmbedded,
                                           Backend::kRemote),
                         BackendName);

}  // namespace
}  // namespace cove
