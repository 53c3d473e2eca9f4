// Fuzz target: the Milvus requests cove-server accepts, through the real
// service (server/milvus_service.cc) and its proto-to-Cove conversions
// (milvus/convert.cc: FieldData columns, placeholder groups, search params,
// template values, schemas, index params), down to the embedded engine.
//
// Input: one selector byte, then a serialized request:
//   0 InsertRequest    1 UpsertRequest   2 DeleteRequest   3 SearchRequest
//   4 QueryRequest     5 CreateCollectionRequest (its `schema` bytes are a
//   schema.CollectionSchema)               6 CreateIndexRequest
// Bytes that do not parse as the message are skipped (gRPC would reject
// them). Every request runs against a fresh in-memory store holding two
// loaded collections: "c" (INT64 key; FLOAT_VECTOR dim 4; nullable VARCHAR,
// JSON and ARRAY fields; dynamic fields) and "k" (VARCHAR key), with a few
// rows. The reply must carry either success or an error with a reason.
#include <grpcpp/grpcpp.h>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

#include "auth/auth_store.h"
#include "fuzz/fuzz_util.h"
#include "google/protobuf/stubs/logging.h"
#include "server/milvus_service.h"

namespace {

namespace milvus_pb = ::milvus::proto::milvus;
namespace common_pb = ::milvus::proto::common;

using cove::CollectionSchema;
using cove::DataType;
using cove::FieldSchema;
using cove::Value;

FieldSchema Field(const char* name, DataType type) {
  FieldSchema f;
  f.name = name;
  f.type = type;
  return f;
}

std::shared_ptr<cove::Connection> MakeStore() {
  auto c = cove::internal::MakeEmbeddedConnection(
      ":memory:", cove::fuzz::FuzzEmbeddedOptions());
  if (!c.ok()) cove::fuzz::Fail("open :memory:", c.status());
  cove::CallOptions call;

  CollectionSchema schema;
  FieldSchema id = Field("id", DataType::kInt64);
  id.is_primary_key = true;
  schema.AddField(id);
  FieldSchema v = Field("v", DataType::kFloatVector);
  v.dim = 4;
  schema.AddField(v);
  FieldSchema s = Field("s", DataType::kVarChar);
  s.max_length = 16;
  s.nullable = true;
  schema.AddField(s);
  FieldSchema j = Field("j", DataType::kJson);
  j.nullable = true;
  schema.AddField(j);
  FieldSchema a = Field("a", DataType::kArray);
  a.element_type = DataType::kInt64;
  a.max_capacity = 4;
  a.nullable = true;
  schema.AddField(a);
  FieldSchema n = Field("n", DataType::kInt32);
  n.default_value = Value(7);
  schema.AddField(n);
  schema.enable_dynamic_field = true;
  cove::IndexSpec index;
  index.field_name = "v";
  index.index_type = cove::IndexType::kFlat;
  index.metric_type = cove::MetricType::kL2;
  if (auto st = (*c)->CreateCollection("c", schema, {index}, call); !st.ok()) {
    cove::fuzz::Fail("create c", st);
  }
  cove::InsertRequest insert;
  insert.collection_name = "c";
  for (int i = 0; i < 4; ++i) {
    cove::Row row;
    row["id"] = Value(i);
    row["v"] = Value::FloatVector({1.0f * i, 0.5f, -1.0f, 0.0f});
    if (i % 2 == 0) row["s"] = Value(i == 0 ? "red" : "blue");
    row["j"] = Value::MakeObject({{"k", Value(i)}, {"t", Value("x")}});
    row["a"] = Value::MakeArray({Value(i), Value(2)});
    row["extra"] = Value(i * 1.5);
    insert.rows.push_back(std::move(row));
  }
  if (auto r = (*c)->Insert(insert, call); !r.ok()) {
    cove::fuzz::Fail("insert c", r.status());
  }

  CollectionSchema kschema;
  FieldSchema pk = Field("pk", DataType::kVarChar);
  pk.is_primary_key = true;
  pk.max_length = 8;
  kschema.AddField(pk);
  FieldSchema kv = Field("kv", DataType::kFloatVector);
  kv.dim = 2;
  kschema.AddField(kv);
  cove::IndexSpec kindex;
  kindex.field_name = "kv";
  if (auto st = (*c)->CreateCollection("k", kschema, {kindex}, call);
      !st.ok()) {
    cove::fuzz::Fail("create k", st);
  }
  cove::InsertRequest kinsert;
  kinsert.collection_name = "k";
  for (const char* key : {"a", "bb"}) {
    cove::Row row;
    row["pk"] = Value(key);
    row["kv"] = Value::FloatVector({1.0f, 0.0f});
    kinsert.rows.push_back(std::move(row));
  }
  if (auto r = (*c)->Insert(kinsert, call); !r.ok()) {
    cove::fuzz::Fail("insert k", r.status());
  }
  return *std::move(c);
}

void CheckStatus(const grpc::Status& rpc, const common_pb::Status& status) {
  if (!rpc.ok()) {
    cove::fuzz::Fail("rpc", absl::InternalError(rpc.error_message()));
  }
  absl::Status s = cove::internal::StatusFromProto(status);
  if (!s.ok() && s.message().empty()) cove::fuzz::Fail("reply status", s);
  if (s.code() == absl::StatusCode::kInternal ||
      s.code() == absl::StatusCode::kUnknown) {
    // Bad input is the caller's error, never an internal one.
    cove::fuzz::Fail("reply status", s);
  }
}

template <typename Request, typename Response, typename Method>
void Run(cove::server::MilvusServiceImpl& service, Method method,
         const uint8_t* data, size_t size) {
  Request request;
  if (!request.ParseFromArray(data, static_cast<int>(size))) return;
  Response response;
  grpc::ServerContext context;
  grpc::Status rpc = (service.*method)(&context, &request, &response);
  if constexpr (std::is_same_v<Response, common_pb::Status>) {
    CheckStatus(rpc, response);
  } else {
    CheckStatus(rpc, response.status());
  }
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  // Protobuf logs every string field that is not UTF-8; the parse failure
  // is all that matters here.
  google::protobuf::SetLogHandler(nullptr);
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static auto* auth = new std::shared_ptr<cove::auth::AuthStore>(
      std::make_shared<cove::auth::AuthStore>(
          cove::auth::AuthStore::Options{/*pbkdf2_iterations=*/1, ""}));
  if (size < 1 || size > (1u << 16)) return -1;
  cove::server::MilvusServiceImpl service(MakeStore(), *auth, {});
  using S = cove::server::MilvusServiceImpl;
  const uint8_t* p = data + 1;
  const size_t n = size - 1;
  switch (data[0] % 7) {
    case 0:
      Run<milvus_pb::InsertRequest, milvus_pb::MutationResult>(
          service, &S::Insert, p, n);
      break;
    case 1:
      Run<milvus_pb::UpsertRequest, milvus_pb::MutationResult>(
          service, &S::Upsert, p, n);
      break;
    case 2:
      Run<milvus_pb::DeleteRequest, milvus_pb::MutationResult>(
          service, &S::Delete, p, n);
      break;
    case 3:
      Run<milvus_pb::SearchRequest, milvus_pb::SearchResults>(service,
                                                              &S::Search, p, n);
      break;
    case 4:
      Run<milvus_pb::QueryRequest, milvus_pb::QueryResults>(service, &S::Query,
                                                            p, n);
      break;
    case 5:
      Run<milvus_pb::CreateCollectionRequest, common_pb::Status>(
          service, &S::CreateCollection, p, n);
      break;
    case 6:
      Run<milvus_pb::CreateIndexRequest, common_pb::Status>(
          service, &S::CreateIndex, p, n);
      break;
  }
  return 0;
}
