// Unit tests of `cove data`'s values and schemas: JSON to and from values,
// float32 output, typing of rows by the schema (every refusal named),
// schemas as JSON and their round trip, parameters, keys and URIs.
#include "cli/data_schema.h"

#include <cmath>

#include "cli/data_session.h"
#include "cli/data_test_util.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "testing/status_matchers.h"

namespace cove::cli {
namespace {

using ::cove::testing::IsOk;
using ::cove::testing::StatusIs;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

constexpr auto kSchemaInvalid = absl::StatusCode::kInvalidArgument;

// ---- JSON and values -----------------------------------------------------

TEST(DataValues, FloatsPrintShortest) {
  EXPECT_EQ(Json(ShortestDouble(0.1f)).dump(), "0.1");
  EXPECT_EQ(ValueToJson(Value::FloatVector({0.1f, -2.5f, 1e-7f})).dump(),
            "[0.1,-2.5,1e-07]");
  // FLOAT fields (doubles holding a float32) when asked; doubles stay exact.
  EXPECT_EQ(ValueToJson(Value(static_cast<double>(0.3f)), true).dump(), "0.3");
  EXPECT_EQ(ValueToJson(Value(0.3)).dump(), "0.3");
  EXPECT_EQ(ValueToJson(Value(int64_t{9007199254740993})).dump(),
            "9007199254740993");
  EXPECT_TRUE(ValueToJson(Value(std::nan(""))).is_null());
}

TEST(DataValues, RowsInSchemaOrderThenDynamicFields) {
  CollectionSchema schema = TestSchema();
  Row row{{"zeta", Value(1)},
          {"price", Value(static_cast<double>(0.7f))},
          {"id", Value(5)},
          {"alpha", Value("x")}};
  EXPECT_EQ(RowToJson(row, &schema).dump(),
            R"({"id":5,"price":0.7,"alpha":"x","zeta":1})");
}

TEST(DataValues, ParseJsonNamesWhere) {
  EXPECT_THAT(ParseJsonValue(R"({"a": })", "rows.jsonl:7"),
              StatusIs(kSchemaInvalid, HasSubstr("rows.jsonl:7: invalid JSON: "
                                                 "parse error at column 7")));
  std::string deep(100, '[');
  EXPECT_THAT(ParseJsonValue(deep + std::string(100, ']'), "f:1"),
              StatusIs(kSchemaInvalid, HasSubstr("nested too deeply")));
  ASSERT_OK_AND_ASSIGN(Value v, ParseJsonValue("[1, 2.5, \"x\"]", "w"));
  EXPECT_TRUE(v.AsArray()[0].is_int());
  EXPECT_TRUE(v.AsArray()[1].is_double());
}

TEST(DataValues, AbbreviateLongArrays) {
  Json v = Json::array();
  for (int i = 0; i < 768; ++i) v.push_back(i);
  EXPECT_EQ(Cell(Abbreviate(v)), "0,1,2,3,...(768)");
  EXPECT_EQ(Cell(Abbreviate(Json::array({1, 2, 3}))), "1,2,3");
}

TEST(DataValues, ParamsAndKeys) {
  ASSERT_OK_AND_ASSIGN(
      auto params,
      ParseParams({"ef=64", "radius=0.5", "x=abc", "b=true"}, "--param"));
  EXPECT_TRUE(params["ef"].is_int());
  EXPECT_EQ(params["ef"].AsInt(), 64);
  EXPECT_EQ(params["radius"].AsDouble(), 0.5);
  EXPECT_EQ(params["x"].AsString(), "abc");
  EXPECT_TRUE(params["b"].AsBool());
  EXPECT_THAT(
      ParseParams({"=1"}, "--param"),
      StatusIs(kSchemaInvalid, HasSubstr("--param: expected KEY=VALUE")));
  FieldSchema pk;
  pk.name = "id";
  pk.type = DataType::kInt64;
  EXPECT_EQ(ParseKey(pk, "42", "ID")->AsInt(), 42);
  EXPECT_THAT(
      ParseKey(pk, "4x", "ID"),
      StatusIs(kSchemaInvalid, HasSubstr("ID: expected an integer primary "
                                         "key ('id' is INT64), got '4x'")));
  pk.type = DataType::kVarChar;
  EXPECT_EQ(ParseKey(pk, "4x", "ID")->AsString(), "4x");
}

TEST(DataValues, NormalizeUri) {
  EXPECT_EQ(NormalizeDataUri("localhost:19530", false),
            "http://localhost:19530");
  EXPECT_EQ(NormalizeDataUri("10.0.0.1:443", true), "https://10.0.0.1:443");
  EXPECT_EQ(NormalizeDataUri("[::1]:19530", false), "http://[::1]:19530");
  EXPECT_EQ(NormalizeDataUri("http://h:1", true), "http://h:1");
  EXPECT_EQ(NormalizeDataUri(":memory:", false), ":memory:");
  EXPECT_EQ(NormalizeDataUri("./data:1", false), "./data:1");
  EXPECT_EQ(NormalizeDataUri("/var/lib/cove", false), "/var/lib/cove");
  EXPECT_EQ(NormalizeDataUri("host:", false), "host:");
}

// ---- rows against the schema ---------------------------------------------

TEST(CoerceRow, TypesValuesByTheSchema) {
  CollectionSchema schema = TestSchema();
  ASSERT_OK_AND_ASSIGN(Value v,
                       ParseJsonValue(R"({"id": 7, "vector": [1, 2.5, 0, -1],
        "title": "abc", "n8": -128, "price": 2, "ok": false,
        "tags": [1, 2.0], "meta": {"k": [1]}, "extra": "dyn",
        "$meta": {"more": 1}})",
                                      "w"));
  Row row(v.AsObject().begin(), v.AsObject().end());
  ASSERT_THAT(CoerceRow(schema, row, "w"), IsOk());
  EXPECT_TRUE(row["vector"].is_float_vector());
  EXPECT_THAT(row["vector"].AsFloatVector(), ElementsAre(1, 2.5, 0, -1));
  EXPECT_TRUE(row["price"].is_double());
  EXPECT_TRUE(row["tags"].AsArray()[1].is_int());
  EXPECT_EQ(row["more"].AsInt(), 1);  // $meta merged as dynamic fields
  EXPECT_EQ(row.count("$meta"), 0u);
  EXPECT_EQ(row["extra"].AsString(), "dyn");
}

TEST(CoerceRow, RefusalsNameTheField) {
  CollectionSchema schema = TestSchema(/*dynamic=*/false);
  struct Case {
    const char* row;
    const char* message;
  };
  const Case cases[] = {
      {R"({"vector": [1,2,3,4]})", "f:3: missing the primary key 'id' (INT64)"},
      {R"({"id": 1})", "f:3: missing field 'vector' (FLOAT_VECTOR)"},
      {R"({"id": 1.5, "vector": [1,2,3,4]})",
       "field 'id': expected an integer (INT64), got 1.5"},
      {R"({"id": "1", "vector": [1,2,3,4]})",
       "field 'id': expected an integer (INT64), got \"1\""},
      {R"({"id": 1, "vector": [1,2,3]})",
       "field 'vector': expected a vector of 4 finite numbers, got 3 "
       "numbers"},
      {R"({"id": 1, "vector": [1,2,"x",4]})",
       "field 'vector': expected a vector of 4 finite numbers, got \"x\" at "
       "index 2"},
      {R"({"id": 1, "vector": [1,2,3,1e300]})", "at index 3"},
      {R"({"id": 1, "vector": [1,2,3,4], "n8": 128})",
       "field 'n8': expected an integer from -128 to 127 (INT8), got 128"},
      {R"({"id": 1, "vector": [1,2,3,4], "title": "123456789"})",
       "field 'title': the string is 9 bytes long (expected at most 8"},
      {R"({"id": 1, "vector": [1,2,3,4], "title": 5})",
       "field 'title': expected a string (VARCHAR), got 5"},
      {R"({"id": 1, "vector": [1,2,3,4], "ok": "yes"})",
       "field 'ok': expected true or false"},
      {R"({"id": 1, "vector": [1,2,3,4], "price": 1e300})",
       "within the range of FLOAT"},
      {R"({"id": 1, "vector": [1,2,3,4], "tags": [1,2,3,4]})",
       "the array has 4 elements (expected at most 3"},
      {R"({"id": 1, "vector": [1,2,3,4], "tags": [1,"a"]})",
       "field 'tags'[1]: expected an integer (INT32)"},
      {R"({"id": 1, "vector": [1,2,3,4], "tags": 1})",
       "expected an array of INT32"},
      {R"({"id": null, "vector": [1,2,3,4]})",
       "field 'id': is null (the field is not nullable and has no default)"},
      {R"({"id": 1, "vector": [1,2,3,4], "other": 1})",
       "field 'other': not a field of the collection (its fields: id, "
       "vector, title, n8, price, ok, tags, meta; it has no dynamic field)"},
  };
  for (const Case& c : cases) {
    ASSERT_OK_AND_ASSIGN(Value v, ParseJsonValue(c.row, "w"));
    Row row(v.AsObject().begin(), v.AsObject().end());
    EXPECT_THAT(CoerceRow(schema, row, "f:3"),
                StatusIs(kSchemaInvalid, HasSubstr(c.message)))
        << c.row;
  }
  // Nullable fields and fields with a default may be null or missing.
  Row row{{"id", Value(1)},
          {"vector", Value::MakeArray({1, 2, 3, 4})},
          {"title", Value()},
          {"n8", Value()}};
  EXPECT_THAT(CoerceRow(schema, row, "f"), IsOk());
  // An auto_id key comes from the server.
  schema.fields[0].auto_id = true;
  Row with_id{{"id", Value(1)}, {"vector", Value::MakeArray({1, 2, 3, 4})}};
  EXPECT_THAT(
      CoerceRow(schema, with_id, "f:1"),
      StatusIs(kSchemaInvalid, HasSubstr("field 'id': the primary key is "
                                         "auto_id")));
}

// ---- schemas -------------------------------------------------------------

TEST(Schemas, DescribeOutputReadsBack) {
  CollectionDescription d;
  d.name = "docs";
  d.collection_id = 7;
  d.schema = TestSchema();
  d.schema.description = "test";
  d.schema.consistency_level = ConsistencyLevel::kBounded;
  d.schema.properties["collection.ttl.seconds"] = "60";
  d.partitions = {"_default"};
  IndexDescription index;
  index.index_name = "vector";
  index.field_name = "vector";
  index.index_type = IndexType::kHnsw;
  index.metric_type = MetricType::kL2;
  index.params = {{"M", "8"}};
  index.state = "Finished";
  std::vector<IndexDescription> indexes = {index};
  Json j = CollectionToJson(d, &indexes, LoadState::kLoaded);
  EXPECT_EQ(j["load_state"], "Loaded");
  EXPECT_EQ(j["fields"][0]["type"], "INT64");
  ASSERT_OK_AND_ASSIGN(SchemaFile back, ParseSchemaJson(j.dump(), "s.json"));
  ASSERT_EQ(back.schema.fields.size(), d.schema.fields.size());
  for (size_t i = 0; i < back.schema.fields.size(); ++i) {
    const FieldSchema& a = back.schema.fields[i];
    const FieldSchema& b = d.schema.fields[i];
    EXPECT_EQ(a.name, b.name);
    EXPECT_EQ(a.type, b.type);
    EXPECT_EQ(a.is_primary_key, b.is_primary_key);
    EXPECT_EQ(a.max_length, b.max_length);
    EXPECT_EQ(a.dim, b.dim);
    EXPECT_EQ(a.element_type, b.element_type);
    EXPECT_EQ(a.max_capacity, b.max_capacity);
    EXPECT_EQ(a.nullable, b.nullable);
    EXPECT_EQ(a.default_value.has_value(), b.default_value.has_value());
  }
  EXPECT_EQ(back.schema.description, "test");
  EXPECT_EQ(back.schema.consistency_level, ConsistencyLevel::kBounded);
  EXPECT_EQ(back.schema.properties, d.schema.properties);
  EXPECT_TRUE(back.schema.enable_dynamic_field);
  ASSERT_EQ(back.indexes.size(), 1u);
  EXPECT_EQ(back.indexes[0].index_type, IndexType::kHnsw);
  EXPECT_EQ(back.indexes[0].metric_type, MetricType::kL2);
  EXPECT_EQ(back.indexes[0].params.at("M"), "8");
}

TEST(Schemas, ScalarAndSparseIndexesRoundTripWithoutAMetric) {
  CollectionDescription d;
  d.name = "docs";
  d.schema = TestSchema();
  std::vector<IndexDescription> indexes;
  for (IndexType t : {IndexType::kStlSort, IndexType::kTrie, IndexType::kBitmap,
                      IndexType::kInverted}) {
    IndexDescription index;
    index.index_name = IndexTypeName(t);
    index.field_name = "id";
    index.index_type = t;
    indexes.push_back(index);
  }
  Json j = CollectionToJson(d, &indexes, LoadState::kLoaded);
  ASSERT_EQ(j["indexes"].size(), 4u);
  EXPECT_EQ(j["indexes"][1]["index_type"], "Trie");
  EXPECT_FALSE(j["indexes"][0].contains("metric_type"));
  ASSERT_OK_AND_ASSIGN(SchemaFile back, ParseSchemaJson(j.dump(), "s.json"));
  ASSERT_EQ(back.indexes.size(), 4u);
  for (size_t i = 0; i < 4; ++i) {
    EXPECT_EQ(back.indexes[i].index_type, indexes[i].index_type);
  }
  // Any spelling of Trie; sparse indexes keep their metric.
  ASSERT_OK_AND_ASSIGN(
      back, ParseSchemaJson(R"({"fields": [{"name": "a", "type": "INT64"}],
                               "indexes": [{"field_name": "a",
                                            "index_type": "TRIE"},
                                           {"field_name": "s",
                                            "index_type": "SPARSE_WAND",
                                            "metric_type": "IP"}]})",
                            "s.json"));
  EXPECT_EQ(back.indexes[0].index_type, IndexType::kTrie);
  EXPECT_EQ(back.indexes[1].index_type, IndexType::kSparseWand);
  EXPECT_EQ(back.indexes[1].metric_type, MetricType::kIP);
  EXPECT_THAT(
      ParseSchemaJson(R"({"fields": [{"name": "a", "type": "INT64"}],
                                  "indexes": [{"field_name": "a",
                                  "index_type": "STL_SORT",
                                  "metric_type": "L2"}]})",
                      "s.json"),
      StatusIs(kSchemaInvalid, HasSubstr("indexes[0]: metric_type: a "
                                         "STL_SORT index has no metric")));
}

// Full-text settings, partition and clustering keys, field properties and
// BM25 functions read back from describe's output; other function types
// and analyzer params that are not an object are refused by name.
TEST(Schemas, FunctionsAnalyzersAndKeysRoundTrip) {
  CollectionDescription d;
  d.name = "notes";
  FieldSchema id;
  id.name = "id";
  id.type = DataType::kInt64;
  id.is_primary_key = true;
  FieldSchema team;
  team.name = "team";
  team.type = DataType::kVarChar;
  team.max_length = 8;
  team.is_partition_key = true;
  FieldSchema year;
  year.name = "year";
  year.type = DataType::kInt32;
  year.is_clustering_key = true;
  year.properties["mmap.enabled"] = "false";
  FieldSchema body;
  body.name = "body";
  body.type = DataType::kVarChar;
  body.max_length = 64;
  body.enable_analyzer = true;
  body.enable_match = true;
  body.analyzer_params = R"({"type":"english","stop_words":["a"]})";
  FieldSchema sparse;
  sparse.name = "sparse";
  sparse.type = DataType::kSparseFloatVector;
  sparse.is_function_output = true;
  d.schema.fields = {id, team, year, body, sparse};
  d.schema.num_partitions = 8;
  FunctionSchema bm25;
  bm25.name = "bm25";
  bm25.description = "text to terms";
  bm25.input_field_names = {"body"};
  bm25.output_field_names = {"sparse"};
  d.schema.functions = {bm25};
  Json j = CollectionToJson(d, nullptr, std::nullopt);
  EXPECT_EQ(j["fields"][3]["analyzer_params"]["type"], "english");
  EXPECT_EQ(j["functions"][0]["type"], "BM25");
  ASSERT_OK_AND_ASSIGN(SchemaFile back, ParseSchemaJson(j.dump(), "s.json"));
  const auto& f = back.schema.fields;
  ASSERT_EQ(f.size(), 5u);
  EXPECT_TRUE(f[1].is_partition_key);
  EXPECT_FALSE(f[0].is_partition_key);
  EXPECT_TRUE(f[2].is_clustering_key);
  EXPECT_EQ(f[2].properties, year.properties);
  EXPECT_TRUE(f[3].enable_analyzer);
  EXPECT_TRUE(f[3].enable_match);
  EXPECT_EQ(Json::parse(f[3].analyzer_params),
            Json::parse(body.analyzer_params));
  EXPECT_TRUE(f[4].is_function_output);
  EXPECT_EQ(back.schema.num_partitions, 8);
  ASSERT_EQ(back.schema.functions.size(), 1u);
  EXPECT_EQ(back.schema.functions[0].name, "bm25");
  EXPECT_EQ(back.schema.functions[0].description, "text to terms");
  EXPECT_EQ(back.schema.functions[0].type, FunctionType::kBM25);
  EXPECT_EQ(back.schema.functions[0].input_field_names,
            std::vector<std::string>{"body"});
  EXPECT_EQ(back.schema.functions[0].output_field_names,
            std::vector<std::string>{"sparse"});
  // analyzer_params as Milvus' JSON text is read too.
  ASSERT_OK_AND_ASSIGN(
      back, ParseSchemaJson(R"({"fields": [{"name": "t", "type": "VARCHAR",
                               "enable_analyzer": true,
                               "analyzer_params": "{\"type\": \"standard\"}"}]})",
                            "s.json"));
  EXPECT_EQ(back.schema.fields[0].analyzer_params, R"({"type": "standard"})");
  const std::string field = R"({"name": "t", "type": "VARCHAR"})";
  EXPECT_THAT(
      ParseSchemaJson(R"({"fields": [{"name": "t", "type": "VARCHAR",
                          "analyzer_params": 3}]})",
                      "s.json"),
      StatusIs(kSchemaInvalid, HasSubstr("s.json: fields[0]: analyzer_params: "
                                         "expected an object")));
  EXPECT_THAT(ParseSchemaJson(R"({"fields": [)" + field +
                                  R"(], "functions": [{"name": "e",
                                  "type": "TextEmbedding"}]})",
                              "s.json"),
              StatusIs(kSchemaInvalid, HasSubstr("s.json: functions[0]: type: "
                                                 "expected BM25")));
  EXPECT_THAT(
      ParseSchemaJson(R"({"fields": [)" + field +
                          R"(], "functions": [{"name": "e",
                                  "type": "BM25", "input_field_names": "t"}]})",
                      "s.json"),
      StatusIs(kSchemaInvalid, HasSubstr("functions[0]: input_field_names: "
                                         "expected an array of strings")));
  EXPECT_THAT(
      ParseSchemaJson(R"({"fields": [)" + field +
                          R"(], "functions": [{"name": "e",
                                  "type": "BM25", "inputs": []}]})",
                      "s.json"),
      StatusIs(kSchemaInvalid, HasSubstr("functions[0]: inputs: unknown "
                                         "key")));
  // Rows leave a function's output out; giving it is refused.
  Row row = {{"id", Value(int64_t{1})},
             {"team", Value("a")},
             {"year", Value(int64_t{2020})},
             {"body", Value("some text")}};
  EXPECT_THAT(CoerceRow(d.schema, row, "r:1"), IsOk());
  row["sparse"] = Value("x");
  EXPECT_THAT(
      CoerceRow(d.schema, row, "r:1"),
      StatusIs(kSchemaInvalid, HasSubstr("r:1: field 'sparse': the field is "
                                         "a function's output")));
}

// A schema file with every vector type reads; rows of it are typed as the
// fields are (binary bytes, 16-bit bits, ordered sparse vectors).
TEST(Schemas, EveryVectorTypeReadsAndTypesRows) {
  ASSERT_OK_AND_ASSIGN(SchemaFile file, ParseSchemaJson(R"({"fields": [
        {"name": "id", "type": "INT64", "is_primary_key": true},
        {"name": "b", "type": "BINARY_VECTOR", "dim": 16},
        {"name": "h", "type": "float16_vector", "dim": 2},
        {"name": "bf", "type": "BFLOAT16_VECTOR", "dim": 2},
        {"name": "s", "type": "SPARSE_FLOAT_VECTOR"}],
        "indexes": [{"field_name": "b", "index_type": "BIN_IVF_FLAT",
                     "metric_type": "JACCARD", "params": {"nlist": "4"}},
                    {"field_name": "s", "index_type": "SPARSE_WAND",
                     "metric_type": "IP"}]})",
                                                        "s.json"));
  const CollectionSchema& schema = file.schema;
  EXPECT_EQ(schema.fields[1].type, DataType::kBinaryVector);
  EXPECT_EQ(schema.fields[2].type, DataType::kFloat16Vector);
  EXPECT_EQ(schema.fields[4].type, DataType::kSparseFloatVector);
  EXPECT_EQ(file.indexes[0].index_type, IndexType::kBinIvfFlat);
  EXPECT_EQ(file.indexes[0].metric_type, MetricType::kJaccard);
  ASSERT_OK_AND_ASSIGN(Value v, ParseJsonValue(R"({"id": 1, "b": [3, 255],
      "h": [1.5, -0.25], "bf": [1, 2], "s": {"10": 0.5, "2": 1.5}})",
                                               "w"));
  Row row(v.AsObject().begin(), v.AsObject().end());
  ASSERT_THAT(CoerceRow(schema, row, "w"), IsOk());
  EXPECT_THAT(row["b"].AsBinaryVector(), ElementsAre(3, 255));
  EXPECT_THAT(row["h"].AsFloat16Vector(), ElementsAre(0x3e00, 0xb400));
  EXPECT_THAT(row["bf"].AsBFloat16Vector(), ElementsAre(0x3f80, 0x4000));
  EXPECT_THAT(row["s"].AsSparseVector().indices, ElementsAre(2, 10));
  // What the rows print reads back as the same values.
  Json printed = RowToJson(row, &schema);
  ASSERT_OK_AND_ASSIGN(Value back, ValueFromJson(printed, "p"));
  Row again(back.AsObject().begin(), back.AsObject().end());
  ASSERT_THAT(CoerceRow(schema, again, "p"), IsOk());
  for (const char* name : {"b", "h", "bf", "s"}) {
    EXPECT_EQ(again[name], row[name]) << name;
  }
  ASSERT_OK_AND_ASSIGN(Value bad,
                       ParseJsonValue(R"({"id": 1, "b": [3], "h": [1, 2],
                                          "bf": [1, 2], "s": {}})",
                                      "w"));
  Row bad_row(bad.AsObject().begin(), bad.AsObject().end());
  EXPECT_THAT(CoerceRow(schema, bad_row, "w"),
              StatusIs(kSchemaInvalid, HasSubstr("field 'b': expected a binary "
                                                 "vector of 2 bytes")));
  // The vector field of a command: any vector type, named or the only one.
  EXPECT_THAT(
      VectorField(schema, "", "--field"),
      StatusIs(kSchemaInvalid, HasSubstr("several vector fields (b, h, bf, "
                                         "s)")));
  ASSERT_OK_AND_ASSIGN(const FieldSchema* s, VectorField(schema, "s", "-f"));
  EXPECT_EQ(s->name, "s");
  ASSERT_OK_AND_ASSIGN(MetricType m, ParseMetricType("hamming", "--metric"));
  EXPECT_EQ(m, MetricType::kHamming);
}

TEST(Schemas, RefusesWhatItDoesNotKnow) {
  EXPECT_THAT(ParseSchemaJson("{}", "s.json"),
              StatusIs(kSchemaInvalid, HasSubstr("s.json: fields: expected a "
                                                 "non-empty array")));
  EXPECT_THAT(ParseSchemaJson(R"({"fields": [{"name": "a", "type": "INT64",
        "is_primary": true}]})",
                              "s.json"),
              StatusIs(kSchemaInvalid,
                       HasSubstr("s.json: fields[0]: is_primary: unknown "
                                 "key")));
  EXPECT_THAT(
      ParseSchemaJson(R"({"fields": [{"name": "a", "type": "INT"}]})",
                      "s.json"),
      StatusIs(kSchemaInvalid, HasSubstr("fields[0]: type: expected a field "
                                         "type (BOOL, INT8")));
  EXPECT_THAT(ParseSchemaJson(R"({"fields": [{"name": "a", "type": "INT8",
                                  "default_value": 300}]})",
                              "s.json"),
              StatusIs(kSchemaInvalid, HasSubstr("default_value: expected an "
                                                 "integer from -128 to 127")));
  EXPECT_THAT(
      ParseSchemaJson(R"({"fields": [{"name": "a", "type": "INT64"}],
                                  "shards": 2})",
                      "s.json"),
      StatusIs(kSchemaInvalid, HasSubstr("s.json: shards: unknown key")));
  EXPECT_THAT(
      ParseSchemaJson(R"({"fields": [{"name": "a", "type": "INT64"}],
                                  "indexes": [{"field_name": "v",
                                  "index_type": "GPU_CAGRA"}]})",
                      "s.json"),
      StatusIs(kSchemaInvalid, HasSubstr("indexes[0]: index_type: expected "
                                         "an index type")));
  EXPECT_THAT(ParseSchemaJson(R"({"fields": [{"name": "a", "type": "INT64"}],
                                  "consistency_level": "Sometimes"})",
                              "s.json"),
              StatusIs(kSchemaInvalid, HasSubstr("consistency_level: expected "
                                                 "Strong")));
  EXPECT_THAT(ParseSchemaJson("{", "s.json"),
              StatusIs(kSchemaInvalid, HasSubstr("s.json: invalid JSON")));
}

}  // namespace
}  // namespace cove::cli
