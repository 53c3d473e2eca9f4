// The Milvus proto conversions shared by the client and the server.
#include "milvus/convert.h"

#include <cstring>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "testing/status_matchers.h"

namespace cove::internal {
namespace {

using ::cove::testing::IsOk;
using ::cove::testing::StatusIs;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

#pragma GCC diagnostic ignored "-Wdeprecated-declarations"

TEST(StatusConvertTest, TableSetsBothCodes) {
  struct Case {
    absl::Status status;
    common_pb::ErrorCode legacy;
    int32_t code;
  };
  const Case cases[] = {
      {absl::OkStatus(), common_pb::Success, 0},
      {absl::NotFoundError("collection 'x' not found"),
       common_pb::CollectionNotExists, 100},
      {absl::NotFoundError("index 'i' not found in collection 'x'"),
       common_pb::IndexNotExist, 700},
      {absl::NotFoundError("database 'd' not found"),
       common_pb::UnexpectedError, 800},
      {absl::InvalidArgumentError("bad"), common_pb::IllegalArgument, 1100},
      {absl::PermissionDeniedError("no"), common_pb::PermissionDenied, 1401},
      {absl::UnauthenticatedError("who"), common_pb::PermissionDenied, 1400},
      {absl::UnavailableError("later"), common_pb::NotReadyServe, 2},
      {absl::FailedPreconditionError("search: collection 'x' is not loaded"),
       common_pb::UnexpectedError, 101},
      {SchemaMismatchError("x"), common_pb::SchemaMismatch, 108},
      {absl::UnimplementedError("no"), common_pb::UnexpectedError, 10},
      {absl::AbortedError("other"), common_pb::UnexpectedError, 65535},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.status.ToString());
    common_pb::Status proto = StatusToProto(c.status);
    EXPECT_EQ(proto.error_code(), c.legacy);
    EXPECT_EQ(proto.code(), c.code);
    EXPECT_EQ(proto.reason(), c.status.message());
    absl::Status back = StatusFromProto(proto);
    EXPECT_EQ(back.code(), c.status.code());
    EXPECT_EQ(back.message(), c.status.message());
  }
  EXPECT_TRUE(StatusToProto(absl::UnavailableError("x")).retriable());
  EXPECT_TRUE(IsSchemaMismatch(
      StatusFromProto(StatusToProto(SchemaMismatchError("x")))));
}

TEST(StatusConvertTest, ForeignServersMapByNumericThenLegacyCode) {
  common_pb::Status s;
  s.set_code(100);
  s.set_error_code(common_pb::CollectionNotExists);
  s.set_reason("collection not found[collection=x]");
  EXPECT_THAT(StatusFromProto(s),
              StatusIs(absl::StatusCode::kNotFound, HasSubstr("collection=x")));
  common_pb::Status legacy;
  legacy.set_error_code(common_pb::IllegalArgument);
  EXPECT_THAT(StatusFromProto(legacy),
              StatusIs(absl::StatusCode::kInvalidArgument));
  common_pb::Status other;
  other.set_code(65535);
  other.set_error_code(common_pb::UnexpectedError);
  EXPECT_THAT(StatusFromProto(other), StatusIs(absl::StatusCode::kInternal));
}

CollectionSchema DocsSchema() {
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
  FieldSchema score;
  score.name = "score";
  score.type = DataType::kFloat;
  score.nullable = true;
  FieldSchema name;
  name.name = "name";
  name.type = DataType::kVarChar;
  name.max_length = 20;
  name.default_value = Value("anon");
  s.AddField(id).AddField(v).AddField(score).AddField(name);
  return s;
}

TEST(SchemaConvertTest, RoundTripsAndHidesMeta) {
  CollectionSchema schema = DocsSchema();
  schema_pb::CollectionSchema proto = SchemaToProto("docs", schema);
  EXPECT_EQ(proto.name(), "docs");
  ASSERT_EQ(proto.fields_size(), 4);
  EXPECT_EQ(proto.fields(0).fieldid(), 100);
  EXPECT_EQ(proto.fields(1).data_type(), schema_pb::FloatVector);
  EXPECT_EQ(FindKeyValue(proto.fields(1).type_params(), "dim"), "2");
  EXPECT_EQ(FindKeyValue(proto.fields(3).type_params(), "max_length"), "20");
  EXPECT_EQ(proto.fields(3).default_value().string_data(), "anon");
  // A client that lists $meta: it is dropped and turns dynamic fields on.
  auto* meta = proto.add_fields();
  meta->set_name("$meta");
  meta->set_data_type(schema_pb::JSON);
  meta->set_is_dynamic(true);
  proto.set_enable_dynamic_field(false);
  ASSERT_OK_AND_ASSIGN(CollectionSchema back, SchemaFromProto(proto));
  EXPECT_TRUE(back.enable_dynamic_field);
  ASSERT_EQ(back.fields.size(), 4u);
  EXPECT_EQ(back.fields[1].dim, 2);
  EXPECT_EQ(back.fields[3].default_value, Value("anon"));
  EXPECT_TRUE(back.fields[2].nullable);
  proto.mutable_fields(1)->set_data_type(schema_pb::SparseFloatVector);
  ASSERT_OK_AND_ASSIGN(CollectionSchema sparse, SchemaFromProto(proto));
  EXPECT_EQ(sparse.fields[1].type, DataType::kSparseFloatVector);
  proto.mutable_fields(1)->set_data_type(schema_pb::BinaryVector);
  ASSERT_OK_AND_ASSIGN(CollectionSchema binary, SchemaFromProto(proto));
  EXPECT_EQ(binary.fields[1].type, DataType::kBinaryVector);
  proto.mutable_fields(1)->set_data_type(schema_pb::Geometry);
  EXPECT_THAT(
      SchemaFromProto(proto),
      StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("Geometry")));
}

TEST(RowConvertTest, InsertColumnsAndBack) {
  std::vector<Row> rows = {
      Row{{"id", Value(1)},
          {"vector", Value::FloatVector({1, 2})},
          {"score", Value(0.5)},
          {"name", Value("a")},
          {"color", Value("red")}},
      Row{{"id", Value(2)}, {"vector", Value::MakeArray({3, 4})}}};
  google::protobuf::RepeatedPtrField<schema_pb::FieldData> columns;
  ASSERT_THAT(InsertRowsToFieldData(DocsSchema(), rows, &columns), IsOk());
  ASSERT_EQ(columns.size(), 5);
  EXPECT_THAT(columns[1].vectors().float_vector().data(),
              ElementsAre(1, 2, 3, 4));
  // Nullable/default fields: compact values plus valid_data.
  EXPECT_THAT(columns[2].valid_data(), ElementsAre(true, false));
  EXPECT_EQ(columns[2].scalars().float_data().data_size(), 1);
  EXPECT_TRUE(columns[4].is_dynamic());
  ASSERT_OK_AND_ASSIGN(auto back, FieldDataToRows(columns, true));
  ASSERT_EQ(back.size(), 2u);
  EXPECT_EQ(back[0].at("color"), Value("red"));
  EXPECT_EQ(back[0].at("score"), Value(0.5));
  EXPECT_EQ(back[1].count("score"), 0u);  // omitted: the engine decides
  EXPECT_EQ(back[1].count("name"), 0u);
  ASSERT_OK_AND_ASSIGN(auto with_nulls, FieldDataToRows(columns, false));
  EXPECT_TRUE(with_nulls[1].at("score").is_null());

  rows[1]["vector"] = Value::FloatVector({1, 2, 3});
  google::protobuf::RepeatedPtrField<schema_pb::FieldData> bad;
  EXPECT_THAT(InsertRowsToFieldData(DocsSchema(), rows, &bad),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("dimension (expected 2, got 3)")));
  rows[1]["vector"] = Value::FloatVector({1, 2});
  rows[1]["id"] = Value("two");
  EXPECT_THAT(InsertRowsToFieldData(DocsSchema(), rows, &bad),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("expected INT64 (got string)")));
}

TEST(RowConvertTest, EmptyArraysKeepTheirElementType) {
  // An empty ARRAY value still sets the typed oneof of its element type (a
  // peer reads the element type from it); JSON or ARRAY elements are refused.
  const std::pair<DataType, schema_pb::ScalarField::DataCase> kinds[] = {
      {DataType::kBool, schema_pb::ScalarField::kBoolData},
      {DataType::kInt8, schema_pb::ScalarField::kIntData},
      {DataType::kInt16, schema_pb::ScalarField::kIntData},
      {DataType::kInt32, schema_pb::ScalarField::kIntData},
      {DataType::kInt64, schema_pb::ScalarField::kLongData},
      {DataType::kFloat, schema_pb::ScalarField::kFloatData},
      {DataType::kDouble, schema_pb::ScalarField::kDoubleData},
      {DataType::kVarChar, schema_pb::ScalarField::kStringData},
  };
  for (const auto& [element, data_case] : kinds) {
    SCOPED_TRACE(DataTypeName(element));
    CollectionSchema schema;
    FieldSchema id;
    id.name = "id";
    id.type = DataType::kInt64;
    id.is_primary_key = true;
    FieldSchema tags;
    tags.name = "tags";
    tags.type = DataType::kArray;
    tags.element_type = element;
    tags.max_capacity = 4;
    tags.max_length = 8;
    schema.AddField(id).AddField(tags);
    std::vector<Row> rows = {
        Row{{"id", Value(1)}, {"tags", Value(Value::Array{})}}};
    google::protobuf::RepeatedPtrField<schema_pb::FieldData> columns;
    ASSERT_THAT(InsertRowsToFieldData(schema, rows, &columns), IsOk());
    ASSERT_EQ(columns.size(), 2);
    const schema_pb::ArrayArray& arrays = columns[1].scalars().array_data();
    EXPECT_EQ(arrays.element_type(), DataTypeToProto(element));
    ASSERT_EQ(arrays.data_size(), 1);
    EXPECT_EQ(arrays.data(0).data_case(), data_case);
    ASSERT_OK_AND_ASSIGN(auto back, FieldDataToRows(columns, true));
    ASSERT_EQ(back.size(), 1u);
    EXPECT_EQ(back[0].at("tags"), Value(Value::Array{}));
  }
  for (DataType element : {DataType::kJson, DataType::kArray}) {
    CollectionSchema schema;
    FieldSchema id;
    id.name = "id";
    id.type = DataType::kInt64;
    id.is_primary_key = true;
    FieldSchema tags;
    tags.name = "tags";
    tags.type = DataType::kArray;
    tags.element_type = element;
    tags.max_capacity = 4;
    schema.AddField(id).AddField(tags);
    std::vector<Row> rows = {
        Row{{"id", Value(1)}, {"tags", Value(Value::Array{})}}};
    google::protobuf::RepeatedPtrField<schema_pb::FieldData> columns;
    EXPECT_THAT(InsertRowsToFieldData(schema, rows, &columns),
                StatusIs(absl::StatusCode::kInvalidArgument,
                         HasSubstr("unsupported array element type")));
  }
}

TEST(RowConvertTest, ColumnsOfDifferentLengthAreInvalid) {
  google::protobuf::RepeatedPtrField<schema_pb::FieldData> columns;
  auto* a = columns.Add();
  a->set_field_name("a");
  a->mutable_scalars()->mutable_long_data()->add_data(1);
  auto* b = columns.Add();
  b->set_field_name("b");
  b->mutable_scalars()->mutable_long_data()->add_data(1);
  b->mutable_scalars()->mutable_long_data()->add_data(2);
  EXPECT_THAT(FieldDataToRows(columns, true),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("wrong number of rows")));
}

TEST(SearchConvertTest, PlaceholderGroupIsLittleEndianFloat32) {
  SearchRequest request;
  request.collection_name = "docs";
  request.vectors = {1.0f, -2.5f, 0.0f, 3.0f};
  request.dim = 2;
  request.limit = 7;
  request.offset = 3;
  request.filter = "id > {min}";
  request.filter_params = {{"min", Value(4)}};
  request.params = {{"ef", Value(32)}, {"radius", Value(0.5)}};
  request.output_fields = {"name"};
  milvus_pb::SearchRequest proto;
  proto.set_collection_name("docs");  // names are the caller's
  ASSERT_THAT(SearchRequestToProto(request, &proto), IsOk());
  common_pb::PlaceholderGroup group;
  ASSERT_TRUE(group.ParseFromString(proto.placeholder_group()));
  ASSERT_EQ(group.placeholders_size(), 1);
  EXPECT_EQ(group.placeholders(0).tag(), "$0");
  EXPECT_EQ(static_cast<int>(group.placeholders(0).type()), 101);
  ASSERT_EQ(group.placeholders(0).values_size(), 2);
  const std::string& q1 = group.placeholders(0).values(1);
  ASSERT_EQ(q1.size(), 8u);
  // 0.0f then 3.0f = 0x40400000, little-endian.
  EXPECT_EQ(q1.substr(4), std::string("\x00\x00\x40\x40", 4));
  EXPECT_EQ(FindKeyValue(proto.search_params(), "topk"), "7");
  EXPECT_EQ(FindKeyValue(proto.search_params(), "offset"), "3");
  EXPECT_EQ(FindKeyValue(proto.search_params(), "metric_type"), "");
  EXPECT_EQ(proto.nq(), 2);

  ASSERT_OK_AND_ASSIGN(SearchRequest back, SearchRequestFromProto(proto));
  EXPECT_EQ(back.collection_name, "docs");
  EXPECT_EQ(back.dim, 2u);
  EXPECT_THAT(back.vectors, ElementsAre(1.0f, -2.5f, 0.0f, 3.0f));
  EXPECT_EQ(back.limit, 7);
  EXPECT_EQ(back.offset, 3);
  EXPECT_FALSE(back.metric_type.has_value());
  EXPECT_EQ(back.filter, "id > {min}");
  EXPECT_EQ(back.filter_params.at("min"), Value(4));
  EXPECT_EQ(back.params.at("ef"), Value(32));
  EXPECT_EQ(back.params.at("radius"), Value(0.5));
  EXPECT_THAT(back.output_fields, ElementsAre("name"));
}

TEST(SearchConvertTest, ResultsAreQueryMajorWithPrimaryKeys) {
  SearchResults results;
  results.hits.resize(2);
  Hit h;
  h.id = Value(5);
  h.distance = 0.25f;
  h.entity = Row{{"id", Value(5)}, {"name", Value("e")}, {"color", Value(1)}};
  results.hits[0].push_back(h);
  h.id = Value(6);
  h.distance = 0.5f;
  h.entity = Row{{"id", Value(6)}, {"name", Value("f")}};
  results.hits[0].push_back(h);
  SearchRequest request;
  request.limit = 2;
  milvus_pb::SearchResults proto;
  ASSERT_THAT(SearchResultsToProto(results, DocsSchema(), request, &proto),
              IsOk());
  EXPECT_THAT(proto.results().topks(), ElementsAre(2, 0));
  EXPECT_THAT(proto.results().ids().int_id().data(), ElementsAre(5, 6));
  EXPECT_THAT(proto.results().scores(), ElementsAre(0.25f, 0.5f));
  EXPECT_EQ(proto.results().fields_data(0).field_name(), "id");
  ASSERT_OK_AND_ASSIGN(SearchResults back, SearchResultsFromProto(proto));
  ASSERT_EQ(back.hits.size(), 2u);
  ASSERT_EQ(back.hits[0].size(), 2u);
  EXPECT_TRUE(back.hits[1].empty());
  EXPECT_EQ(back.hits[0][0].entity, results.hits[0][0].entity);
  EXPECT_EQ(back.hits[0][1].entity, results.hits[0][1].entity);
}

TEST(IndexConvertTest, ParamsTravelAsJson) {
  IndexSpec spec;
  spec.field_name = "vector";
  spec.index_name = "v";
  spec.index_type = IndexType::kIvfSq8;
  spec.metric_type = MetricType::kIP;
  spec.params = {{"nlist", "128"}};
  milvus_pb::CreateIndexRequest proto;
  IndexSpecToProto(spec, &proto);
  EXPECT_EQ(FindKeyValue(proto.extra_params(), "index_type"), "IVF_SQ8");
  EXPECT_EQ(FindKeyValue(proto.extra_params(), "params"), "{\"nlist\":128}");
  ASSERT_OK_AND_ASSIGN(IndexSpec back, IndexSpecFromProto(proto));
  EXPECT_EQ(back.index_type, IndexType::kIvfSq8);
  EXPECT_EQ(back.metric_type, MetricType::kIP);
  EXPECT_EQ(back.params, spec.params);
  auto* kv = proto.add_extra_params();
  kv->set_key("index_type");
  kv->set_value("GPU_CAGRA");
  EXPECT_THAT(
      IndexSpecFromProto(proto),
      StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("GPU_CAGRA")));
}

TEST(IdsFilterTest, QuotesStrings) {
  FieldSchema pk;
  pk.name = "pk";
  pk.type = DataType::kVarChar;
  ASSERT_OK_AND_ASSIGN(std::string f,
                       IdsFilter(pk, {Value("a"), Value("b\"c")}, ""));
  EXPECT_EQ(f, "pk in [\"a\", \"b\\\"c\"]");
}

}  // namespace
}  // namespace cove::internal
