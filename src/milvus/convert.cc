// Conversions between Cove types and the Milvus v2 protos (see convert.h).
#include "milvus/convert.h"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <map>
#include <optional>
#include <set>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/string_view.h"
#include "common/status_macros.h"
#include "common/strings.h"
#include "common/utf8.h"
#include "engine/sparse/sparse.h"

// Milvus deprecated common.Status.error_code and CollectionSchema.autoID, but
// peers still read them (DESIGN.md section 4): keep setting and reading them.
#pragma GCC diagnostic ignored "-Wdeprecated-declarations"

namespace cove::internal {
namespace {

// Payload of an absl::Status that carries the Milvus numeric code.
constexpr char kMilvusCodePayload[] = "type.googleapis.com/cove.MilvusCode";

// Milvus numeric codes (the `merr` package of Milvus 2.5).
constexpr int32_t kCodeSuccess = 0;
constexpr int32_t kCodeServiceUnavailable = 2;
constexpr int32_t kCodeServiceInternal = 5;
constexpr int32_t kCodeQuotaExceeded = 9;
constexpr int32_t kCodeUnimplemented = 10;
constexpr int32_t kCodeCollectionNotFound = 100;
constexpr int32_t kCodeCollectionNotLoaded = 101;
constexpr int32_t kCodeSchemaMismatch = 108;
constexpr int32_t kCodePartitionNotFound = 200;
constexpr int32_t kCodeIndexNotFound = 700;
constexpr int32_t kCodeDatabaseNotFound = 800;
constexpr int32_t kCodeParameterInvalid = 1100;
constexpr int32_t kCodeNotAuthenticated = 1400;
constexpr int32_t kCodeNotPermitted = 1401;
constexpr int32_t kCodeAliasNotFound = 1600;
constexpr int32_t kCodeAliasExists = 1602;
constexpr int32_t kCodeUndefined = 65535;

struct WireCode {
  common_pb::ErrorCode legacy;
  int32_t code;
};

// The status table. absl code -> (legacy error_code, numeric code):
//
//   OK                  Success(0)              0
//   InvalidArgument     IllegalArgument(5)      1100  ParameterInvalid
//   OutOfRange          IllegalArgument(5)      1100
//   NotFound            collection: CollectionNotExists(4) 100
//                       index:      IndexNotExist(25)      700
//                       partition:  UnexpectedError(1)     200
//                       database:   UnexpectedError(1)     800
//                       alias:      UnexpectedError(1)     1600
//                       other:      UnexpectedError(1)     65535
//   AlreadyExists       alias: UnexpectedError(1) 1602; other: 1, 65535
//   FailedPrecondition  not loaded: UnexpectedError(1) 101;
//                       schema mismatch: SchemaMismatch(62) 108;
//                       other: UnexpectedError(1) 65535
//   PermissionDenied    PermissionDenied(3)     1401  PrivilegeNotPermitted
//   Unauthenticated     PermissionDenied(3)     1400  PrivilegeNotAuthenticated
//   ResourceExhausted   MemoryQuotaExhausted(53) 9    ServiceQuotaExceeded
//   Unavailable         NotReadyServe(56)       2     ServiceUnavailable
//                                                     (retriable = true)
//   Unimplemented       UnexpectedError(1)      10    ServiceUnimplemented
//   Internal            UnexpectedError(1)      5     ServiceInternal
//   anything else       UnexpectedError(1)      65535
//
// The sub-kind of NotFound and friends is read from the message, whose first
// word names the resource ("collection 'x' not found", "index 'i' ..."), or
// from the code payload a Status received from a peer keeps. Between Cove
// peers extra_info["cove_code"] carries the exact absl code as well; other
// peers are mapped back by numeric code, then by legacy code (see
// StatusFromProto).
// The Milvus code a Status carries in its payload; 0 when none.
int32_t PayloadCode(const absl::Status& status) {
  auto payload = status.GetPayload(kMilvusCodePayload);
  int32_t code = 0;
  if (!payload.has_value() || !absl::SimpleAtoi(std::string(*payload), &code)) {
    return 0;
  }
  return code;
}

WireCode WireCodeFor(const absl::Status& status) {
  const std::string_view msg = StdSv(status.message());
  auto starts = [&](const char* word) {
    return absl::StartsWithIgnoreCase(Sv(msg), word);
  };
  switch (status.code()) {
    case absl::StatusCode::kOk:
      return {common_pb::Success, kCodeSuccess};
    case absl::StatusCode::kInvalidArgument:
    case absl::StatusCode::kOutOfRange:
      return {common_pb::IllegalArgument, kCodeParameterInvalid};
    case absl::StatusCode::kNotFound:
      if (starts("index"))
        return {common_pb::IndexNotExist, kCodeIndexNotFound};
      if (starts("partition")) {
        return {common_pb::UnexpectedError, kCodePartitionNotFound};
      }
      if (starts("database")) {
        return {common_pb::UnexpectedError, kCodeDatabaseNotFound};
      }
      if (starts("alias")) {
        return {common_pb::UnexpectedError, kCodeAliasNotFound};
      }
      if (starts("collection") || absl::StrContains(Sv(msg), "collection '")) {
        return {common_pb::CollectionNotExists, kCodeCollectionNotFound};
      }
      return {common_pb::UnexpectedError, kCodeUndefined};
    case absl::StatusCode::kAlreadyExists:
      if (starts("alias"))
        return {common_pb::UnexpectedError, kCodeAliasExists};
      return {common_pb::UnexpectedError, kCodeUndefined};
    case absl::StatusCode::kFailedPrecondition:
      if (PayloadCode(status) == kCodeSchemaMismatch) {
        return {common_pb::SchemaMismatch, kCodeSchemaMismatch};
      }
      if (absl::StrContains(Sv(msg), "not loaded")) {
        return {common_pb::UnexpectedError, kCodeCollectionNotLoaded};
      }
      return {common_pb::UnexpectedError, kCodeUndefined};
    case absl::StatusCode::kPermissionDenied:
      return {common_pb::PermissionDenied, kCodeNotPermitted};
    case absl::StatusCode::kUnauthenticated:
      return {common_pb::PermissionDenied, kCodeNotAuthenticated};
    case absl::StatusCode::kResourceExhausted:
      return {common_pb::MemoryQuotaExhausted, kCodeQuotaExceeded};
    case absl::StatusCode::kUnavailable:
      return {common_pb::NotReadyServe, kCodeServiceUnavailable};
    case absl::StatusCode::kUnimplemented:
      return {common_pb::UnexpectedError, kCodeUnimplemented};
    case absl::StatusCode::kInternal:
      return {common_pb::UnexpectedError, kCodeServiceInternal};
    default:
      return {common_pb::UnexpectedError, kCodeUndefined};
  }
}

absl::StatusCode CodeFromNumeric(int32_t code) {
  switch (code) {
    case kCodeCollectionNotFound:
    case kCodePartitionNotFound:
    case kCodeIndexNotFound:
    case kCodeDatabaseNotFound:
    case kCodeAliasNotFound:
      return absl::StatusCode::kNotFound;
    case kCodeCollectionNotLoaded:
    case kCodeSchemaMismatch:
      return absl::StatusCode::kFailedPrecondition;
    case kCodeParameterInvalid:
    case 1101:  // ParameterMissing
    case 1102:  // ParameterTooLarge
      return absl::StatusCode::kInvalidArgument;
    case kCodeNotAuthenticated:
      return absl::StatusCode::kUnauthenticated;
    case kCodeNotPermitted:
      return absl::StatusCode::kPermissionDenied;
    case 1:  // ServiceNotReady
    case kCodeServiceUnavailable:
      return absl::StatusCode::kUnavailable;
    case 3:  // ServiceMemoryLimitExceeded
    case 4:  // ServiceTooManyRequests
    case 7:  // ServiceDiskLimitExceeded
    case 8:  // ServiceRateLimit
    case kCodeQuotaExceeded:
      return absl::StatusCode::kResourceExhausted;
    case kCodeUnimplemented:
      return absl::StatusCode::kUnimplemented;
    case kCodeAliasExists:
      return absl::StatusCode::kAlreadyExists;
    default:
      return absl::StatusCode::kInternal;
  }
}

absl::StatusCode CodeFromLegacy(common_pb::ErrorCode code) {
  switch (code) {
    case common_pb::PermissionDenied:
      return absl::StatusCode::kPermissionDenied;
    case common_pb::CollectionNotExists:
    case common_pb::IndexNotExist:
    case common_pb::CollectionNameNotFound:
      return absl::StatusCode::kNotFound;
    case common_pb::IllegalArgument:
    case common_pb::IllegalDimension:
    case common_pb::IllegalIndexType:
    case common_pb::IllegalCollectionName:
    case common_pb::IllegalTOPK:
    case common_pb::IllegalRowRecord:
    case common_pb::IllegalVectorID:
    case common_pb::IllegalNLIST:
    case common_pb::IllegalMetricType:
      return absl::StatusCode::kInvalidArgument;
    case common_pb::RateLimit:
    case common_pb::MemoryQuotaExhausted:
    case common_pb::DiskQuotaExhausted:
    case common_pb::ForceDeny:
      return absl::StatusCode::kResourceExhausted;
    case common_pb::NotReadyServe:
    case common_pb::NotReadyCoordActivating:
    case common_pb::ConnectFailed:
      return absl::StatusCode::kUnavailable;
    case common_pb::SchemaMismatch:
      return absl::StatusCode::kFailedPrecondition;
    default:
      return absl::StatusCode::kInternal;
  }
}

absl::Status Invalid(std::string message) {
  return absl::InvalidArgumentError(std::move(message));
}

const char* KindName(const Value& v) { return Value::KindName(v.kind()); }

// --- typed columns
// ------------------------------------------------------------

// Appends one value of a scalar type to a ScalarField. `where` names the
// row and field for messages.
absl::Status AppendScalar(DataType type, DataType element_type, const Value& v,
                          const std::string& where,
                          schema_pb::ScalarField* out);

absl::Status TypeError(const std::string& where, DataType type,
                       const Value& v) {
  return Invalid(absl::StrCat(where, ": expected ", DataTypeName(type),
                              " (got ", KindName(v), ")"));
}

absl::Status AppendScalar(DataType type, DataType element_type, const Value& v,
                          const std::string& where,
                          schema_pb::ScalarField* out) {
  switch (type) {
    case DataType::kBool:
      if (!v.is_bool()) return TypeError(where, type, v);
      out->mutable_bool_data()->add_data(v.AsBool());
      return absl::OkStatus();
    case DataType::kInt8:
    case DataType::kInt16:
    case DataType::kInt32: {
      if (!v.is_int()) return TypeError(where, type, v);
      int64_t x = v.AsInt();
      int64_t lo = type == DataType::kInt8    ? INT8_MIN
                   : type == DataType::kInt16 ? INT16_MIN
                                              : INT32_MIN;
      int64_t hi = type == DataType::kInt8    ? INT8_MAX
                   : type == DataType::kInt16 ? INT16_MAX
                                              : INT32_MAX;
      if (x < lo || x > hi) {
        return Invalid(absl::StrCat(where, ": value ", x, " out of range for ",
                                    DataTypeName(type)));
      }
      out->mutable_int_data()->add_data(static_cast<int32_t>(x));
      return absl::OkStatus();
    }
    case DataType::kInt64:
      if (!v.is_int()) return TypeError(where, type, v);
      out->mutable_long_data()->add_data(v.AsInt());
      return absl::OkStatus();
    case DataType::kFloat:
      if (!v.is_number()) return TypeError(where, type, v);
      out->mutable_float_data()->add_data(static_cast<float>(v.AsDouble()));
      return absl::OkStatus();
    case DataType::kDouble:
      if (!v.is_number()) return TypeError(where, type, v);
      out->mutable_double_data()->add_data(v.AsDouble());
      return absl::OkStatus();
    case DataType::kVarChar:
      if (!v.is_string()) return TypeError(where, type, v);
      out->mutable_string_data()->add_data(v.AsString());
      return absl::OkStatus();
    case DataType::kJson:
      out->mutable_json_data()->add_data(v.ToJson());
      return absl::OkStatus();
    case DataType::kArray: {
      if (!v.is_array()) return TypeError(where, type, v);
      schema_pb::ArrayArray* arrays = out->mutable_array_data();
      arrays->set_element_type(DataTypeToProto(element_type));
      schema_pb::ScalarField* item = arrays->add_data();
      // An empty array still needs its typed oneof set.
      switch (element_type) {
        case DataType::kBool:
          item->mutable_bool_data();
          break;
        case DataType::kInt8:
        case DataType::kInt16:
        case DataType::kInt32:
          item->mutable_int_data();
          break;
        case DataType::kInt64:
          item->mutable_long_data();
          break;
        case DataType::kFloat:
          item->mutable_float_data();
          break;
        case DataType::kDouble:
          item->mutable_double_data();
          break;
        case DataType::kVarChar:
          item->mutable_string_data();
          break;
        default:
          return Invalid(absl::StrCat(where,
                                      ": unsupported array element type ",
                                      DataTypeName(element_type)));
      }
      const Value::Array& elems = v.AsArray();
      for (size_t i = 0; i < elems.size(); ++i) {
        absl::Status s =
            AppendScalar(element_type, DataType::kNone, elems[i],
                         absl::StrCat(where, " element ", i), item);
        if (!s.ok()) return s;
      }
      return absl::OkStatus();
    }
    default:
      return Invalid(
          absl::StrCat(where, ": unsupported type ", DataTypeName(type)));
  }
}

size_t ScalarSize(const schema_pb::ScalarField& f) {
  switch (f.data_case()) {
    case schema_pb::ScalarField::kBoolData:
      return f.bool_data().data_size();
    case schema_pb::ScalarField::kIntData:
      return f.int_data().data_size();
    case schema_pb::ScalarField::kLongData:
      return f.long_data().data_size();
    case schema_pb::ScalarField::kFloatData:
      return f.float_data().data_size();
    case schema_pb::ScalarField::kDoubleData:
      return f.double_data().data_size();
    case schema_pb::ScalarField::kStringData:
      return f.string_data().data_size();
    case schema_pb::ScalarField::kBytesData:
      return f.bytes_data().data_size();
    case schema_pb::ScalarField::kArrayData:
      return f.array_data().data_size();
    case schema_pb::ScalarField::kJsonData:
      return f.json_data().data_size();
    default:
      return 0;
  }
}

absl::StatusOr<Value> ScalarValueAt(const schema_pb::ScalarField& f, size_t i) {
  switch (f.data_case()) {
    case schema_pb::ScalarField::kBoolData:
      return Value(f.bool_data().data(i));
    case schema_pb::ScalarField::kIntData:
      return Value(static_cast<int64_t>(f.int_data().data(i)));
    case schema_pb::ScalarField::kLongData:
      return Value(f.long_data().data(i));
    case schema_pb::ScalarField::kFloatData:
      return Value(static_cast<double>(f.float_data().data(i)));
    case schema_pb::ScalarField::kDoubleData:
      return Value(f.double_data().data(i));
    case schema_pb::ScalarField::kStringData:
      return Value(f.string_data().data(i));
    case schema_pb::ScalarField::kBytesData:
      return Value(f.bytes_data().data(i));
    case schema_pb::ScalarField::kJsonData: {
      const std::string& text = f.json_data().data(i);
      if (text.empty()) return Value();
      return Value::FromJson(text);
    }
    case schema_pb::ScalarField::kArrayData: {
      const schema_pb::ScalarField& item = f.array_data().data(i);
      Value::Array elems;
      size_t n = ScalarSize(item);
      elems.reserve(n);
      for (size_t k = 0; k < n; ++k) {
        auto v = ScalarValueAt(item, k);
        if (!v.ok()) return v.status();
        elems.push_back(*std::move(v));
      }
      return Value(std::move(elems));
    }
    default:
      return Invalid("field data: unsupported scalar column");
  }
}

// The placeholder value of a null entry in a full-length column.
void AppendPlaceholder(DataType type, DataType element_type,
                       schema_pb::ScalarField* out) {
  switch (type) {
    case DataType::kBool:
      out->mutable_bool_data()->add_data(false);
      break;
    case DataType::kInt8:
    case DataType::kInt16:
    case DataType::kInt32:
      out->mutable_int_data()->add_data(0);
      break;
    case DataType::kInt64:
      out->mutable_long_data()->add_data(0);
      break;
    case DataType::kFloat:
      out->mutable_float_data()->add_data(0);
      break;
    case DataType::kDouble:
      out->mutable_double_data()->add_data(0);
      break;
    case DataType::kVarChar:
      out->mutable_string_data()->add_data("");
      break;
    case DataType::kJson:
      out->mutable_json_data()->add_data("");
      break;
    case DataType::kArray: {
      schema_pb::ArrayArray* arrays = out->mutable_array_data();
      arrays->set_element_type(DataTypeToProto(element_type));
      arrays->add_data();
      break;
    }
    default:
      break;
  }
}

// Makes sure an empty scalar column still has its typed oneof set.
void TouchScalar(DataType type, DataType element_type,
                 schema_pb::ScalarField* out) {
  switch (type) {
    case DataType::kBool:
      out->mutable_bool_data();
      break;
    case DataType::kInt8:
    case DataType::kInt16:
    case DataType::kInt32:
      out->mutable_int_data();
      break;
    case DataType::kInt64:
      out->mutable_long_data();
      break;
    case DataType::kFloat:
      out->mutable_float_data();
      break;
    case DataType::kDouble:
      out->mutable_double_data();
      break;
    case DataType::kVarChar:
      out->mutable_string_data();
      break;
    case DataType::kJson:
      out->mutable_json_data();
      break;
    case DataType::kArray:
      out->mutable_array_data()->set_element_type(
          DataTypeToProto(element_type));
      break;
    default:
      break;
  }
}

// Floats of a vector value: a FloatVector or an array of numbers.
absl::Status VectorFloats(const Value& v, const std::string& where, int64_t dim,
                          std::vector<float>* out) {
  size_t before = out->size();
  if (v.is_float_vector()) {
    const auto& f = v.AsFloatVector();
    out->insert(out->end(), f.begin(), f.end());
  } else if (v.is_array()) {
    for (const Value& x : v.AsArray()) {
      if (!x.is_number()) {
        return Invalid(absl::StrCat(where,
                                    ": expected a vector of numbers (got an "
                                    "element of kind ",
                                    KindName(x), ")"));
      }
      out->push_back(static_cast<float>(x.AsDouble()));
    }
  } else {
    return Invalid(
        absl::StrCat(where, ": expected FLOAT_VECTOR (got ", KindName(v), ")"));
  }
  size_t got = out->size() - before;
  if (static_cast<int64_t>(got) != dim) {
    return Invalid(absl::StrCat(where, ": wrong vector dimension (expected ",
                                dim, ", got ", got, ")"));
  }
  return absl::OkStatus();
}

// One column of a schema field from rows. `entities`: results (nulls as
// full-length placeholders) vs inserts (compact valid values).
absl::Status BuildColumn(const FieldSchema& f,
                         const std::vector<const Row*>& rows, bool insert,
                         schema_pb::FieldData* out) {
  out->set_field_name(f.name);
  out->set_type(DataTypeToProto(f.type));
  if (f.type == DataType::kSparseFloatVector) {
    // Milvus' SparseFloatArray: one row of (uint32 index, float32 value)
    // pairs per entity, dim the largest index plus one.
    schema_pb::SparseFloatArray* sparse =
        out->mutable_vectors()->mutable_sparse_float_vector();
    int64_t dim = 0;
    for (size_t r = 0; r < rows.size(); ++r) {
      std::string where = absl::StrCat(insert ? "insert row " : "row ", r,
                                       ": field '", f.name, "'");
      auto it = rows[r]->find(f.name);
      if (it == rows[r]->end() || it->second.is_null()) {
        if (!insert) {
          sparse->add_contents();
          continue;
        }
        return Invalid(absl::StrCat(where, " is missing"));
      }
      COVE_ASSIGN_OR_RETURN(SparseVector v,
                            engine::sparse::FromValue(it->second, where));
      dim =
          std::max<int64_t>(dim, static_cast<int64_t>(engine::sparse::Dim(v)));
      sparse->add_contents(engine::sparse::ToBytes(v));
    }
    sparse->set_dim(dim);
    out->mutable_vectors()->set_dim(dim);
    return absl::OkStatus();
  }
  if (f.type == DataType::kFloatVector) {
    schema_pb::VectorField* vec = out->mutable_vectors();
    vec->set_dim(f.dim);
    std::vector<float> data;
    data.reserve(rows.size() *
                 static_cast<size_t>(std::max<int64_t>(f.dim, 0)));
    for (size_t r = 0; r < rows.size(); ++r) {
      std::string where = absl::StrCat(insert ? "insert row " : "row ", r,
                                       ": field '", f.name, "'");
      auto it = rows[r]->find(f.name);
      if (it == rows[r]->end() || it->second.is_null()) {
        if (!insert) {
          data.resize(data.size() + f.dim, 0.0f);
          continue;
        }
        return Invalid(absl::StrCat(where, " is missing"));
      }
      absl::Status s = VectorFloats(it->second, where, f.dim, &data);
      if (!s.ok()) return s;
    }
    vec->mutable_float_vector()->mutable_data()->Add(data.begin(), data.end());
    return absl::OkStatus();
  }
  schema_pb::ScalarField* scalars = out->mutable_scalars();
  TouchScalar(f.type, f.element_type, scalars);
  const bool may_be_null = f.nullable || f.default_value.has_value();
  bool any_null = false;
  std::vector<bool> valid(rows.size(), true);
  for (size_t r = 0; r < rows.size(); ++r) {
    auto it = rows[r]->find(f.name);
    if (it == rows[r]->end() || it->second.is_null()) {
      any_null = true;
      valid[r] = false;
    }
  }
  for (size_t r = 0; r < rows.size(); ++r) {
    std::string where = absl::StrCat(insert ? "insert row " : "row ", r,
                                     ": field '", f.name, "'");
    if (!valid[r]) {
      if (insert && !may_be_null) {
        return Invalid(absl::StrCat(where, " is missing"));
      }
      if (!insert) AppendPlaceholder(f.type, f.element_type, scalars);
      continue;
    }
    absl::Status s = AppendScalar(
        f.type, f.element_type, rows[r]->find(f.name)->second, where, scalars);
    if (!s.ok()) return s;
  }
  if (may_be_null || (!insert && any_null)) {
    for (bool v : valid) out->add_valid_data(v);
  }
  return absl::OkStatus();
}

const FieldSchema* FindField(const CollectionSchema& schema,
                             std::string_view name) {
  for (const auto& f : schema.fields) {
    if (f.name == name) return &f;
  }
  return nullptr;
}

const FieldSchema* PrimaryKey(const CollectionSchema& schema) {
  for (const auto& f : schema.fields) {
    if (f.is_primary_key) return &f;
  }
  return nullptr;
}

// The `$meta` column: per row, the keys that are not schema fields.
void BuildMetaColumn(const CollectionSchema& schema,
                     const std::vector<const Row*>& rows,
                     schema_pb::FieldData* out) {
  out->set_field_name(kMetaFieldName);
  out->set_type(schema_pb::JSON);
  out->set_is_dynamic(true);
  auto* json = out->mutable_scalars()->mutable_json_data();
  for (const Row* row : rows) {
    Value::Object meta;
    for (const auto& [k, v] : *row) {
      if (FindField(schema, k) == nullptr && k != kCountStar)
        meta.emplace(k, v);
    }
    json->add_data(Value(std::move(meta)).ToJson());
  }
}

void PutFloatLE(float f, std::string* out) {
  uint32_t bits;
  std::memcpy(&bits, &f, sizeof(bits));
  char b[4] = {static_cast<char>(bits & 0xff),
               static_cast<char>((bits >> 8) & 0xff),
               static_cast<char>((bits >> 16) & 0xff),
               static_cast<char>((bits >> 24) & 0xff)};
  out->append(b, 4);
}

float GetFloatLE(const char* p) {
  uint32_t bits =
      static_cast<uint32_t>(static_cast<unsigned char>(p[0])) |
      (static_cast<uint32_t>(static_cast<unsigned char>(p[1])) << 8) |
      (static_cast<uint32_t>(static_cast<unsigned char>(p[2])) << 16) |
      (static_cast<uint32_t>(static_cast<unsigned char>(p[3])) << 24);
  float f;
  std::memcpy(&f, &bits, sizeof(f));
  return f;
}

void AddKv(google::protobuf::RepeatedPtrField<common_pb::KeyValuePair>* kvs,
           std::string key, std::string value) {
  common_pb::KeyValuePair* kv = kvs->Add();
  kv->set_key(std::move(key));
  kv->set_value(std::move(value));
}

// A string parameter as JSON: numbers and booleans unquoted.
Value ParamValue(const std::string& s) {
  int64_t i;
  if (absl::SimpleAtoi(s, &i)) return Value(i);
  double d;
  if (absl::SimpleAtod(s, &d) && std::isfinite(d)) return Value(d);
  if (s == "true") return Value(true);
  if (s == "false") return Value(false);
  return Value(s);
}

// A JSON scalar as a string parameter.
std::string ParamString(const Value& v) {
  if (v.is_string()) return v.AsString();
  return v.ToJson();
}

absl::StatusOr<int64_t> ParseInt64Param(const std::string& what,
                                        const std::string& text) {
  int64_t n = 0;
  if (!absl::SimpleAtoi(text, &n)) {
    return Invalid(
        absl::StrCat(what, ": expected an integer (got '", text, "')"));
  }
  return n;
}

// output_fields of a result names what each row carries (clients build rows
// from it): the columns, then the requested dynamic keys, which live in the
// `$meta` column ("$meta" itself for "*" or "$meta").
void ResultOutputFields(
    const CollectionSchema& schema,
    const google::protobuf::RepeatedPtrField<schema_pb::FieldData>& columns,
    const std::vector<std::string>& requested,
    google::protobuf::RepeatedPtrField<std::string>* out) {
  bool has_meta = false;
  for (const auto& c : columns) {
    if (c.field_name() == kMetaFieldName) {
      has_meta = true;
      continue;
    }
    *out->Add() = c.field_name();
  }
  if (!has_meta) return;
  bool meta_added = false;
  for (const std::string& f : requested) {
    if (f == "*" || f == kMetaFieldName) {
      if (!meta_added) *out->Add() = kMetaFieldName;
      meta_added = true;
    } else if (f != kCountStar && FindField(schema, f) == nullptr) {
      *out->Add() = f;
    }
  }
}

}  // namespace

// --- status
// -------------------------------------------------------------------

common_pb::Status StatusToProto(const absl::Status& status) {
  common_pb::Status out;
  WireCode wire = WireCodeFor(status);
  if (int32_t code = PayloadCode(status); code != 0 && !status.ok()) {
    wire.code = code;
  }
  out.set_error_code(wire.legacy);
  out.set_code(wire.code);
  if (!status.ok()) {
    out.set_reason(ValidUtf8(status.message()));
    out.set_retriable(status.code() == absl::StatusCode::kUnavailable);
    (*out.mutable_extra_info())[kCoveCodeKey] =
        absl::StatusCodeToString(status.code());
  }
  return out;
}

absl::Status StatusFromProto(const common_pb::Status& status) {
  if (status.code() == 0 && status.error_code() == common_pb::Success) {
    return absl::OkStatus();
  }
  absl::StatusCode code = absl::StatusCode::kInternal;
  bool exact = false;
  auto it = status.extra_info().find(kCoveCodeKey);
  if (it != status.extra_info().end()) {
    for (int c = 1; c <= 16; ++c) {
      auto candidate = static_cast<absl::StatusCode>(c);
      if (absl::StatusCodeToString(candidate) == it->second) {
        code = candidate;
        exact = true;
      }
    }
  }
  if (!exact) {
    code = status.code() != 0 ? CodeFromNumeric(status.code())
                              : CodeFromLegacy(status.error_code());
    if (status.code() != 0 && code == absl::StatusCode::kInternal &&
        status.error_code() != common_pb::Success &&
        status.error_code() != common_pb::UnexpectedError) {
      code = CodeFromLegacy(status.error_code());
    }
  }
  std::string message = status.reason();
  if (message.empty()) message = status.detail();
  if (!exact) {
    message = absl::StrCat(message.empty() ? "server error" : message,
                           " (server code ", status.code(), ", error_code ",
                           static_cast<int>(status.error_code()), ")");
  }
  absl::Status out(code, message);
  int32_t numeric = status.code();
  if (numeric == 0 && status.error_code() == common_pb::SchemaMismatch) {
    numeric = kCodeSchemaMismatch;
  }
  if (numeric != 0) {
    out.SetPayload(kMilvusCodePayload, absl::Cord(absl::StrCat(numeric)));
  }
  return out;
}

absl::Status SchemaMismatchError(const std::string& collection) {
  absl::Status s = absl::FailedPreconditionError(absl::StrCat(
      "collection '", collection,
      "': schema mismatch (the write was built against an older schema; "
      "describe the collection again)"));
  s.SetPayload(kMilvusCodePayload,
               absl::Cord(absl::StrCat(kCodeSchemaMismatch)));
  return s;
}

bool IsSchemaMismatch(const absl::Status& status) {
  return PayloadCode(status) == kCodeSchemaMismatch;
}

int32_t MilvusCode(const absl::Status& status) {
  if (int32_t code = PayloadCode(status); code != 0) return code;
  return WireCodeFor(status).code;
}

// --- enums
// --------------------------------------------------------------------

schema_pb::DataType DataTypeToProto(DataType type) {
  return static_cast<schema_pb::DataType>(static_cast<int>(type));
}

absl::StatusOr<DataType> DataTypeFromProto(schema_pb::DataType type) {
  switch (type) {
    case schema_pb::Bool:
    case schema_pb::Int8:
    case schema_pb::Int16:
    case schema_pb::Int32:
    case schema_pb::Int64:
    case schema_pb::Float:
    case schema_pb::Double:
    case schema_pb::VarChar:
    case schema_pb::Array:
    case schema_pb::JSON:
    case schema_pb::FloatVector:
    case schema_pb::SparseFloatVector:
    case schema_pb::None:
      return static_cast<DataType>(static_cast<int>(type));
    case schema_pb::String:
      return DataType::kVarChar;
    default:
      return Invalid(absl::StrCat(
          "data type: ", schema_pb::DataType_Name(type),
          " is not supported by cove (expected BOOL, INT8..INT64, FLOAT, "
          "DOUBLE, VARCHAR, ARRAY, JSON, FLOAT_VECTOR or "
          "SPARSE_FLOAT_VECTOR)"));
  }
}

absl::StatusOr<MetricType> ParseMetricType(std::string_view name) {
  std::string upper = absl::AsciiStrToUpper(Sv(name));
  if (upper == "L2") return MetricType::kL2;
  if (upper == "IP") return MetricType::kIP;
  if (upper == "COSINE") return MetricType::kCosine;
  if (upper == "BM25") return MetricType::kBM25;
  return Invalid(absl::StrCat(
      "metric_type: expected L2, IP, COSINE or BM25 (got '", Sv(name), "')"));
}

absl::StatusOr<IndexType> ParseIndexType(std::string_view name) {
  std::string upper = absl::AsciiStrToUpper(Sv(name));
  if (upper.empty() || upper == "AUTOINDEX") return IndexType::kAutoIndex;
  if (upper == "FLAT") return IndexType::kFlat;
  if (upper == "IVF_FLAT") return IndexType::kIvfFlat;
  if (upper == "IVF_SQ8") return IndexType::kIvfSq8;
  if (upper == "HNSW") return IndexType::kHnsw;
  if (upper == "HNSW_SQ") return IndexType::kHnswSq;
  if (upper == "SPARSE_INVERTED_INDEX") return IndexType::kSparseInvertedIndex;
  if (upper == "SPARSE_WAND") return IndexType::kSparseWand;
  if (upper == "IVF_PQ") return IndexType::kIvfPq;
  if (upper == "SCANN") return IndexType::kScann;
  return Invalid(absl::StrCat(
      "index_type: expected FLAT, IVF_FLAT, IVF_SQ8, IVF_PQ, SCANN, HNSW, "
      "HNSW_SQ or AUTOINDEX (got '",
      Sv(name), "')"));
}

common_pb::LoadState LoadStateToProto(LoadState state) {
  switch (state) {
    case LoadState::kNotExist:
      return common_pb::LoadStateNotExist;
    case LoadState::kNotLoaded:
      return common_pb::LoadStateNotLoad;
    case LoadState::kLoading:
      return common_pb::LoadStateLoading;
    case LoadState::kLoaded:
      return common_pb::LoadStateLoaded;
  }
  return common_pb::LoadStateNotExist;
}

LoadState LoadStateFromProto(common_pb::LoadState state) {
  switch (state) {
    case common_pb::LoadStateNotLoad:
      return LoadState::kNotLoaded;
    case common_pb::LoadStateLoading:
      return LoadState::kLoading;
    case common_pb::LoadStateLoaded:
      return LoadState::kLoaded;
    default:
      return LoadState::kNotExist;
  }
}

// --- schemas
// ------------------------------------------------------------------

schema_pb::CollectionSchema SchemaToProto(const std::string& name,
                                          const CollectionSchema& schema) {
  schema_pb::CollectionSchema out;
  out.set_name(name);
  out.set_description(schema.description);
  out.set_enable_dynamic_field(schema.enable_dynamic_field);
  int64_t id = 100;
  for (const FieldSchema& f : schema.fields) {
    schema_pb::FieldSchema* p = out.add_fields();
    p->set_fieldid(id++);
    p->set_name(f.name);
    p->set_description(f.description);
    p->set_data_type(DataTypeToProto(f.type));
    p->set_is_primary_key(f.is_primary_key);
    p->set_autoid(f.auto_id);
    p->set_nullable(f.nullable);
    p->set_is_partition_key(f.is_partition_key);
    p->set_is_clustering_key(f.is_clustering_key);
    if (f.type == DataType::kFloatVector) {
      AddKv(p->mutable_type_params(), "dim", absl::StrCat(f.dim));
    }
    if (f.type == DataType::kVarChar ||
        (f.type == DataType::kArray && f.element_type == DataType::kVarChar)) {
      AddKv(p->mutable_type_params(), "max_length", absl::StrCat(f.max_length));
    }
    if (f.type == DataType::kArray) {
      p->set_element_type(DataTypeToProto(f.element_type));
      AddKv(p->mutable_type_params(), "max_capacity",
            absl::StrCat(f.max_capacity));
    }
    if (f.default_value.has_value()) {
      const Value& d = *f.default_value;
      schema_pb::ValueField* v = p->mutable_default_value();
      switch (f.type) {
        case DataType::kBool:
          if (d.is_bool()) v->set_bool_data(d.AsBool());
          break;
        case DataType::kInt8:
        case DataType::kInt16:
        case DataType::kInt32:
          if (d.is_int()) v->set_int_data(static_cast<int32_t>(d.AsInt()));
          break;
        case DataType::kInt64:
          if (d.is_int()) v->set_long_data(d.AsInt());
          break;
        case DataType::kFloat:
          if (d.is_number())
            v->set_float_data(static_cast<float>(d.AsDouble()));
          break;
        case DataType::kDouble:
          if (d.is_number()) v->set_double_data(d.AsDouble());
          break;
        case DataType::kVarChar:
          if (d.is_string()) v->set_string_data(d.AsString());
          break;
        default:
          v->set_bytes_data(d.ToJson());
          break;
      }
    }
  }
  return out;
}

absl::StatusOr<CollectionSchema> SchemaFromProto(
    const schema_pb::CollectionSchema& proto) {
  CollectionSchema out;
  out.description = proto.description();
  out.enable_dynamic_field = proto.enable_dynamic_field();
  for (const schema_pb::FieldSchema& p : proto.fields()) {
    if (p.is_dynamic() || p.name() == kMetaFieldName) {
      out.enable_dynamic_field = true;
      continue;
    }
    FieldSchema f;
    f.name = p.name();
    f.description = p.description();
    auto type = DataTypeFromProto(p.data_type());
    if (!type.ok()) {
      return Invalid(
          absl::StrCat("field '", p.name(), "': ", type.status().message()));
    }
    f.type = *type;
    f.is_primary_key = p.is_primary_key();
    f.auto_id = p.autoid() || (p.is_primary_key() && proto.autoid());
    f.nullable = p.nullable();
    f.is_partition_key = p.is_partition_key();
    f.is_clustering_key = p.is_clustering_key();
    if (f.type == DataType::kArray) {
      auto element = DataTypeFromProto(p.element_type());
      if (!element.ok()) {
        return Invalid(absl::StrCat("field '", p.name(),
                                    "' element: ", element.status().message()));
      }
      f.element_type = *element;
    }
    // type_params may also arrive in index_params (old clients).
    for (const auto* kvs : {&p.type_params(), &p.index_params()}) {
      for (const common_pb::KeyValuePair& kv : *kvs) {
        int64_t* dest = nullptr;
        if (kv.key() == "dim") dest = &f.dim;
        if (kv.key() == "max_length") dest = &f.max_length;
        if (kv.key() == "max_capacity") dest = &f.max_capacity;
        if (dest == nullptr) continue;
        auto n = ParseInt64Param(
            absl::StrCat("field '", p.name(), "' ", kv.key()), kv.value());
        if (!n.ok()) return n.status();
        *dest = *n;
      }
    }
    if (f.type == DataType::kFloatVector && (f.dim < 1 || f.dim > 32768)) {
      // Milvus' wording, which clients match on.
      return Invalid(absl::StrCat("field '", ValidUtf8(p.name()),
                                  "': invalid dimension: ", f.dim,
                                  " (expected 1 to 32768)"));
    }
    if (p.has_default_value()) {
      const schema_pb::ValueField& v = p.default_value();
      switch (v.data_case()) {
        case schema_pb::ValueField::kBoolData:
          f.default_value = Value(v.bool_data());
          break;
        case schema_pb::ValueField::kIntData:
          f.default_value = Value(static_cast<int64_t>(v.int_data()));
          break;
        case schema_pb::ValueField::kLongData:
          f.default_value = Value(v.long_data());
          break;
        case schema_pb::ValueField::kFloatData:
          f.default_value = Value(static_cast<double>(v.float_data()));
          break;
        case schema_pb::ValueField::kDoubleData:
          f.default_value = Value(v.double_data());
          break;
        case schema_pb::ValueField::kStringData:
          f.default_value = Value(v.string_data());
          break;
        case schema_pb::ValueField::kBytesData: {
          auto parsed = Value::FromJson(v.bytes_data());
          if (!parsed.ok()) {
            return Invalid(
                absl::StrCat("field '", p.name(),
                             "' default_value: ", parsed.status().message()));
          }
          f.default_value = *std::move(parsed);
          break;
        }
        default:
          break;
      }
    }
    out.fields.push_back(std::move(f));
  }
  return out;
}

absl::Status CheckCreateCollectionSupported(
    const milvus_pb::CreateCollectionRequest& request) {
  if (request.shards_num() > 1) {
    // One shard holds every row; more would change nothing locally.
  }
  schema_pb::CollectionSchema schema;
  if (!schema.ParseFromString(request.schema())) {
    return Invalid(
        "create collection schema: not a serialized schema.CollectionSchema");
  }
  if (schema.functions_size() > 0) {
    return absl::UnimplementedError(absl::StrCat(
        "create collection: schema functions ('", schema.functions(0).name(),
        "') are not supported by cove (no BM25 or embedding functions)"));
  }
  for (const schema_pb::FieldSchema& f : schema.fields()) {
    const std::string name = ValidUtf8(f.name());
    if (f.is_function_output()) {
      return absl::UnimplementedError(
          absl::StrCat("field '", name,
                       "': function output fields are not supported by cove"));
    }
    for (const common_pb::KeyValuePair& kv : f.type_params()) {
      const std::string& k = kv.key();
      if (k == "dim" || k == "max_length" || k == "max_capacity") continue;
      return absl::UnimplementedError(absl::StrCat(
          "field '", name, "': type param '", ValidUtf8(k),
          "' is not supported by cove (expected dim, max_length or "
          "max_capacity)"));
    }
  }
  for (const common_pb::KeyValuePair& kv : schema.properties()) {
    return absl::UnimplementedError(absl::StrCat(
        "create collection: schema property '", ValidUtf8(kv.key()),
        "' is not supported by cove (collection properties go in the "
        "request's properties)"));
  }
  return absl::OkStatus();
}

void DescriptionToProto(const CollectionDescription& d,
                        milvus_pb::DescribeCollectionResponse* out) {
  *out->mutable_schema() = SchemaToProto(d.name, d.schema);
  out->set_collectionid(d.collection_id);
  out->set_collection_name(d.name);
  out->set_created_timestamp(static_cast<uint64_t>(d.created_timestamp));
  out->set_created_utc_timestamp(
      static_cast<uint64_t>(d.created_timestamp / 1000));
  out->set_update_timestamp(static_cast<uint64_t>(d.created_timestamp));
  out->set_shards_num(d.num_shards);
  // Partition key mode: the partitions the rows are spread over.
  out->set_num_partitions(d.schema.num_partitions > 0
                              ? d.schema.num_partitions
                              : static_cast<int64_t>(d.partitions.size()));
  out->set_consistency_level(
      static_cast<common_pb::ConsistencyLevel>(d.schema.consistency_level));
  for (const auto& [k, v] : d.schema.properties) {
    AddKv(out->mutable_properties(), k, v);
  }
  for (const std::string& a : d.aliases) out->add_aliases(a);
}

absl::StatusOr<CollectionDescription> DescriptionFromProto(
    const milvus_pb::DescribeCollectionResponse& proto) {
  CollectionDescription d;
  auto schema = SchemaFromProto(proto.schema());
  if (!schema.ok()) return schema.status();
  d.schema = *std::move(schema);
  d.name = proto.collection_name().empty() ? proto.schema().name()
                                           : proto.collection_name();
  d.collection_id = proto.collectionid();
  d.created_timestamp = static_cast<int64_t>(proto.created_timestamp());
  d.num_shards = proto.shards_num();
  for (const FieldSchema& f : d.schema.fields) {
    if (f.is_partition_key) d.schema.num_partitions = proto.num_partitions();
  }
  d.aliases.assign(proto.aliases().begin(), proto.aliases().end());
  if (proto.consistency_level() >= common_pb::Strong &&
      proto.consistency_level() <= common_pb::Customized) {
    d.schema.consistency_level =
        static_cast<ConsistencyLevel>(proto.consistency_level());
  }
  for (const common_pb::KeyValuePair& kv : proto.properties()) {
    d.schema.properties[kv.key()] = kv.value();
  }
  return d;
}

// --- rows and columns
// ---------------------------------------------------------

absl::Status InsertRowsToFieldData(
    const CollectionSchema& schema, const std::vector<Row>& rows,
    google::protobuf::RepeatedPtrField<schema_pb::FieldData>* out) {
  std::vector<const Row*> ptrs;
  ptrs.reserve(rows.size());
  for (const Row& r : rows) ptrs.push_back(&r);
  if (!schema.enable_dynamic_field) {
    for (size_t r = 0; r < rows.size(); ++r) {
      for (const auto& [k, v] : rows[r]) {
        if (FindField(schema, k) == nullptr) {
          return Invalid(
              absl::StrCat("insert row ", r, ": unknown field '", k,
                           "' (the collection has no dynamic fields)"));
        }
      }
    }
  }
  for (const FieldSchema& f : schema.fields) {
    if (f.is_primary_key && f.auto_id) {
      bool given = false;
      for (const Row& r : rows) given |= r.find(f.name) != r.end();
      if (!given) continue;  // the server assigns the keys
    }
    absl::Status s = BuildColumn(f, ptrs, /*insert=*/true, out->Add());
    if (!s.ok()) return s;
  }
  if (schema.enable_dynamic_field) BuildMetaColumn(schema, ptrs, out->Add());
  return absl::OkStatus();
}

absl::Status EntitiesToFieldData(
    const CollectionSchema& schema, const std::vector<const Row*>& rows,
    const std::vector<std::string>& output_fields,
    google::protobuf::RepeatedPtrField<schema_pb::FieldData>* out) {
  std::set<std::string, std::less<>> present;
  for (const Row* row : rows) {
    for (const auto& [k, v] : *row) present.insert(k);
  }
  for (const std::string& name : output_fields) present.insert(name);
  if (present.count(kCountStar) != 0) {
    schema_pb::FieldData* c = out->Add();
    c->set_field_name(kCountStar);
    c->set_type(schema_pb::Int64);
    auto* data = c->mutable_scalars()->mutable_long_data();
    for (const Row* row : rows) {
      auto it = row->find(kCountStar);
      data->add_data(
          it != row->end() && it->second.is_int() ? it->second.AsInt() : 0);
    }
    return absl::OkStatus();
  }
  const FieldSchema* pk = PrimaryKey(schema);
  bool any_dynamic = false;
  for (const std::string& name : present) {
    if (FindField(schema, name) == nullptr && name != "*") any_dynamic = true;
  }
  for (const FieldSchema& f : schema.fields) {
    if (present.count(f.name) == 0 && &f != pk) continue;
    absl::Status s = BuildColumn(f, rows, /*insert=*/false, out->Add());
    if (!s.ok()) return s;
  }
  if (schema.enable_dynamic_field && any_dynamic) {
    BuildMetaColumn(schema, rows, out->Add());
  }
  return absl::OkStatus();
}

absl::StatusOr<std::vector<Row>> FieldDataToRows(
    const google::protobuf::RepeatedPtrField<schema_pb::FieldData>& columns,
    bool omit_nulls) {
  // Number of rows: from valid_data, else the column length.
  size_t n = 0;
  bool have_n = false;
  std::vector<size_t> lengths;
  for (const schema_pb::FieldData& c : columns) {
    size_t len = 0;
    if (c.field_case() == schema_pb::FieldData::kVectors) {
      const schema_pb::VectorField& v = c.vectors();
      if (v.data_case() != schema_pb::VectorField::kFloatVector &&
          v.data_case() != schema_pb::VectorField::kSparseFloatVector &&
          v.data_case() != schema_pb::VectorField::DATA_NOT_SET) {
        return absl::UnimplementedError(absl::StrCat(
            "field data '", c.field_name(),
            "': only FLOAT_VECTOR and SPARSE_FLOAT_VECTOR vectors are "
            "supported by cove (binary, float16 and bfloat16 are not yet)"));
      }
      if (v.data_case() == schema_pb::VectorField::kSparseFloatVector) {
        len = static_cast<size_t>(v.sparse_float_vector().contents_size());
      } else if (v.dim() <= 0) {
        if (v.float_vector().data_size() == 0) {
          len = 0;
        } else {
          return Invalid(absl::StrCat("field data '", c.field_name(),
                                      "': vector dim must be positive (got ",
                                      v.dim(), ")"));
        }
      } else {
        if (v.float_vector().data_size() % v.dim() != 0) {
          return Invalid(absl::StrCat(
              "field data '", c.field_name(),
              "': ", v.float_vector().data_size(),
              " floats do not fill whole vectors of dim ", v.dim()));
        }
        len = static_cast<size_t>(v.float_vector().data_size() / v.dim());
      }
    } else {
      len = ScalarSize(c.scalars());
    }
    lengths.push_back(len);
    size_t rows_here = c.valid_data_size() > 0
                           ? static_cast<size_t>(c.valid_data_size())
                           : len;
    if (!have_n) {
      n = rows_here;
      have_n = true;
    } else if (rows_here != n) {
      return Invalid(absl::StrCat("field data '", c.field_name(),
                                  "': wrong number of rows (expected ", n,
                                  ", got ", rows_here, ")"));
    }
  }
  std::vector<Row> rows(n);
  for (int ci = 0; ci < columns.size(); ++ci) {
    const schema_pb::FieldData& c = columns[ci];
    const size_t len = lengths[ci];
    const bool has_valid = c.valid_data_size() > 0;
    size_t valid_count = 0;
    for (bool b : c.valid_data()) valid_count += b ? 1 : 0;
    const bool compact = has_valid && len != n;
    if (compact && len != valid_count) {
      return Invalid(absl::StrCat("field data '", c.field_name(), "': ", len,
                                  " values for ", valid_count, " valid rows"));
    }
    const bool dynamic = c.is_dynamic() || c.field_name() == kMetaFieldName;
    size_t k = 0;  // index into the data
    for (size_t r = 0; r < n; ++r) {
      bool valid = !has_valid || c.valid_data(static_cast<int>(r));
      if (!valid) {
        if (!compact) ++k;
        if (!omit_nulls) rows[r][c.field_name()] = Value();
        continue;
      }
      size_t at = k++;
      if (c.field_case() == schema_pb::FieldData::kVectors &&
          c.vectors().data_case() ==
              schema_pb::VectorField::kSparseFloatVector) {
        COVE_ASSIGN_OR_RETURN(
            SparseVector v,
            engine::sparse::FromBytes(
                c.vectors().sparse_float_vector().contents(
                    static_cast<int>(at)),
                absl::StrCat("field data '", c.field_name(), "' row ", r)));
        rows[r][c.field_name()] = Value::Sparse(std::move(v));
        continue;
      }
      if (c.field_case() == schema_pb::FieldData::kVectors) {
        const auto& data = c.vectors().float_vector().data();
        const size_t dim = static_cast<size_t>(c.vectors().dim());
        rows[r][c.field_name()] = Value::FloatVector(std::vector<float>(
            data.begin() + at * dim, data.begin() + (at + 1) * dim));
        continue;
      }
      auto v = ScalarValueAt(c.scalars(), at);
      if (!v.ok()) {
        return Invalid(absl::StrCat("field data '", c.field_name(), "' row ", r,
                                    ": ", v.status().message()));
      }
      if (dynamic) {
        if (v->is_object()) {
          for (const auto& [key, value] : v->AsObject()) {
            rows[r].emplace(key, value);
          }
        } else if (!v->is_null()) {
          return Invalid(absl::StrCat("field data '", c.field_name(), "' row ",
                                      r,
                                      ": dynamic field must hold a JSON "
                                      "object (got ",
                                      KindName(*v), ")"));
        }
        continue;
      }
      rows[r][c.field_name()] = *std::move(v);
    }
  }
  return rows;
}

void IdsToProto(const std::vector<Value>& ids, schema_pb::IDs* out) {
  if (!ids.empty() && ids.front().is_string()) {
    auto* s = out->mutable_str_id();
    for (const Value& v : ids) s->add_data(v.is_string() ? v.AsString() : "");
    return;
  }
  auto* l = out->mutable_int_id();
  for (const Value& v : ids) l->add_data(v.is_int() ? v.AsInt() : 0);
}

std::vector<Value> IdsFromProto(const schema_pb::IDs& ids) {
  std::vector<Value> out;
  if (ids.has_str_id()) {
    for (const std::string& s : ids.str_id().data()) out.emplace_back(s);
  } else {
    for (int64_t v : ids.int_id().data()) out.emplace_back(v);
  }
  return out;
}

absl::StatusOr<schema_pb::TemplateValue> TemplateValueToProto(
    const Value& value) {
  schema_pb::TemplateValue out;
  switch (value.kind()) {
    case Value::Kind::kBool:
      out.set_bool_val(value.AsBool());
      return out;
    case Value::Kind::kInt:
      out.set_int64_val(value.AsInt());
      return out;
    case Value::Kind::kDouble:
      out.set_float_val(value.AsDouble());
      return out;
    case Value::Kind::kString:
      out.set_string_val(value.AsString());
      return out;
    case Value::Kind::kArray:
    case Value::Kind::kFloatVector: {
      // Homogeneous arrays travel typed; anything else as JSON documents.
      Value::Array elems;
      if (value.is_float_vector()) {
        for (float f : value.AsFloatVector()) elems.emplace_back(f);
      } else {
        elems = value.AsArray();
      }
      schema_pb::TemplateArrayValue* arr = out.mutable_array_val();
      auto all = [&](bool (Value::*pred)() const) {
        return std::all_of(elems.begin(), elems.end(),
                           [&](const Value& v) { return (v.*pred)(); });
      };
      if (elems.empty()) {
        arr->mutable_long_data();
      } else if (all(&Value::is_bool)) {
        for (const Value& v : elems)
          arr->mutable_bool_data()->add_data(v.AsBool());
      } else if (all(&Value::is_int)) {
        for (const Value& v : elems)
          arr->mutable_long_data()->add_data(v.AsInt());
      } else if (all(&Value::is_number)) {
        for (const Value& v : elems) {
          arr->mutable_double_data()->add_data(v.AsDouble());
        }
      } else if (all(&Value::is_string)) {
        for (const Value& v : elems) {
          arr->mutable_string_data()->add_data(v.AsString());
        }
      } else {
        for (const Value& v : elems) {
          arr->mutable_json_data()->add_data(v.ToJson());
        }
      }
      return out;
    }
    default:
      return Invalid(absl::StrCat(
          "filter_params: a ", KindName(value),
          " cannot be sent as a filter template value (expected bool, "
          "number, string or array)"));
  }
}

namespace {

Value TemplateArrayFromProto(const schema_pb::TemplateArrayValue& a) {
  Value::Array out;
  switch (a.data_case()) {
    case schema_pb::TemplateArrayValue::kBoolData:
      for (bool b : a.bool_data().data()) out.emplace_back(b);
      break;
    case schema_pb::TemplateArrayValue::kLongData:
      for (int64_t v : a.long_data().data()) out.emplace_back(v);
      break;
    case schema_pb::TemplateArrayValue::kDoubleData:
      for (double v : a.double_data().data()) out.emplace_back(v);
      break;
    case schema_pb::TemplateArrayValue::kStringData:
      for (const std::string& v : a.string_data().data()) out.emplace_back(v);
      break;
    case schema_pb::TemplateArrayValue::kArrayData:
      for (const auto& v : a.array_data().data()) {
        out.push_back(TemplateArrayFromProto(v));
      }
      break;
    case schema_pb::TemplateArrayValue::kJsonData:
      for (const std::string& v : a.json_data().data()) {
        auto parsed = Value::FromJson(v);
        out.push_back(parsed.ok() ? *parsed : Value(v));
      }
      break;
    default:
      break;
  }
  return Value(std::move(out));
}

}  // namespace

Value TemplateValueFromProto(const schema_pb::TemplateValue& value) {
  switch (value.val_case()) {
    case schema_pb::TemplateValue::kBoolVal:
      return Value(value.bool_val());
    case schema_pb::TemplateValue::kInt64Val:
      return Value(value.int64_val());
    case schema_pb::TemplateValue::kFloatVal:
      return Value(value.float_val());
    case schema_pb::TemplateValue::kStringVal:
      return Value(value.string_val());
    case schema_pb::TemplateValue::kArrayVal:
      return TemplateArrayFromProto(value.array_val());
    default:
      return Value();
  }
}

absl::StatusOr<std::string> IdsFilter(const FieldSchema& primary_key,
                                      const std::vector<Value>& ids,
                                      const std::string& filter) {
  std::vector<std::string> items;
  items.reserve(ids.size());
  for (size_t i = 0; i < ids.size(); ++i) {
    const Value& id = ids[i];
    bool ok =
        primary_key.type == DataType::kVarChar ? id.is_string() : id.is_int();
    if (!ok) {
      return Invalid(absl::StrCat("ids[", i, "]: expected ",
                                  DataTypeName(primary_key.type),
                                  " for primary key '", primary_key.name,
                                  "' (got ", KindName(id), ")"));
    }
    items.push_back(id.ToJson());
  }
  std::string in =
      absl::StrCat(primary_key.name, " in [", absl::StrJoin(items, ", "), "]");
  if (filter.empty()) return in;
  return absl::StrCat("(", filter, ") and (", in, ")");
}

// --- writes
// -------------------------------------------------------------------

void MutationResultToProto(const MutationResult& result, std::string_view kind,
                           milvus_pb::MutationResult* out) {
  // As Milvus (since 2.3.2): a delete reports its count, not the keys
  // (pymilvus returns a non-empty key list instead of the count).
  if (kind != "delete") IdsToProto(result.ids, out->mutable_ids());
  if (kind == "delete") {
    out->set_delete_cnt(result.count);
  } else if (kind == "upsert") {
    out->set_upsert_cnt(result.count);
    out->set_insert_cnt(result.count);
  } else {
    out->set_insert_cnt(result.count);
  }
  for (size_t i = 0; i < result.ids.size() && kind != "delete"; ++i) {
    out->add_succ_index(static_cast<uint32_t>(i));
  }
}

MutationResult MutationResultFromProto(const milvus_pb::MutationResult& proto,
                                       std::string_view kind) {
  MutationResult out;
  out.ids = IdsFromProto(proto.ids());
  if (kind == "delete") {
    out.count = proto.delete_cnt();
  } else if (kind == "upsert") {
    out.count =
        proto.upsert_cnt() != 0 ? proto.upsert_cnt() : proto.insert_cnt();
  } else {
    out.count = proto.insert_cnt();
  }
  return out;
}

// --- searches and queries
// -----------------------------------------------------

absl::Status SearchRequestToProto(const SearchRequest& request,
                                  milvus_pb::SearchRequest* out) {
  const size_t dim = request.dim;
  const bool sparse = !request.sparse_vectors.empty();
  if (!sparse && (dim == 0 || request.vectors.empty() ||
                  request.vectors.size() % dim != 0)) {
    return Invalid(
        absl::StrCat("search vectors: expected whole vectors of dim ", dim,
                     " (got ", request.vectors.size(), " floats)"));
  }
  for (const auto& p : request.partition_names) out->add_partition_names(p);
  out->set_dsl(request.filter);
  out->set_dsl_type(common_pb::BoolExprV1);
  for (const auto& f : request.output_fields) out->add_output_fields(f);
  common_pb::PlaceholderGroup group;
  common_pb::PlaceholderValue* ph = group.add_placeholders();
  ph->set_tag("$0");
  ph->set_type(sparse ? common_pb::PlaceholderType::SparseFloatVector
                      : common_pb::PlaceholderType::FloatVector);
  const size_t nq =
      sparse ? request.sparse_vectors.size() : request.vectors.size() / dim;
  for (size_t q = 0; sparse && q < nq; ++q) {
    COVE_RETURN_IF_ERROR(engine::sparse::Check(
        request.sparse_vectors[q], absl::StrCat("search data ", q)));
    ph->add_values(engine::sparse::ToBytes(request.sparse_vectors[q]));
  }
  for (size_t q = 0; !sparse && q < nq; ++q) {
    std::string* bytes = ph->add_values();
    bytes->reserve(dim * 4);
    for (size_t i = 0; i < dim; ++i) {
      PutFloatLE(request.vectors[q * dim + i], bytes);
    }
  }
  out->set_placeholder_group(group.SerializeAsString());
  out->set_nq(static_cast<int64_t>(nq));
  auto* sp = out->mutable_search_params();
  AddKv(sp, "anns_field", request.anns_field);
  AddKv(sp, "topk", absl::StrCat(request.limit));
  AddKv(sp, "offset", absl::StrCat(request.offset));
  AddKv(sp, "metric_type",
        request.metric_type.has_value() ? MetricTypeName(*request.metric_type)
                                        : "");
  Value::Object params;
  for (const auto& [k, v] : request.params) params.emplace(k, v);
  AddKv(sp, "params", Value(std::move(params)).ToJson());
  AddKv(sp, "round_decimal", "-1");
  if (!request.group_by_field.empty()) {
    AddKv(sp, "group_by_field", request.group_by_field);
    AddKv(sp, "group_size", absl::StrCat(request.group_size));
    AddKv(sp, "strict_group_size",
          request.strict_group_size ? "true" : "false");
  }
  if (!request.session_id.empty()) {
    AddKv(sp, kCoveSessionIdKey, request.session_id);
  }
  if (request.search_after.has_value()) {
    AddKv(sp, kCoveSearchAfterDistance,
          absl::StrFormat("%a", request.search_after->distance));
    AddKv(sp, kCoveSearchAfterId, request.search_after->id.ToJson());
  }
  for (const auto& [name, value] : request.filter_params) {
    auto tv = TemplateValueToProto(value);
    if (!tv.ok()) return tv.status();
    (*out->mutable_expr_template_values())[name] = *std::move(tv);
  }
  out->set_consistency_level(common_pb::Strong);
  out->set_use_default_consistency(false);
  return absl::OkStatus();
}

namespace {

// Search keys Milvus defines that cove does not implement: refused, naming
// the feature, never ignored.
absl::Status RefuseSearchKey(const std::string& key) {
  if (key == "iterator" || key == "search_iter_v2" ||
      key == "search_iter_batch_size" || key == "search_iter_last_bound" ||
      key == "search_iter_id" || key == "iterator_session_ts") {
    return absl::UnimplementedError(absl::StrCat(
        "search param '", key,
        "': Milvus' search iterator protocol (iterator, search_iter_v2) is not "
        "supported by cove-server yet (cove's own clients iterate with read "
        "sessions)"));
  }
  if (key == "analyzer_name") {
    return absl::UnimplementedError(
        "search param 'analyzer_name': text analyzers (full-text search) are "
        "not supported by cove");
  }
  if (key == "rank_group_scorer" || key == "reduce_stop_for_best") {
    return absl::UnimplementedError(absl::StrCat(
        "search param '", key, "' is not supported by cove-server"));
  }
  return absl::InvalidArgumentError(
      absl::StrCat("search param '", ValidUtf8(key),
                   "' is not supported by cove-server (expected anns_field, "
                   "topk, offset, metric_type, params, round_decimal, "
                   "ignore_growing, hints)"));
}

// Keys read elsewhere (round_decimal, by the server) or that change
// nothing in cove: checked here.
bool IsAcceptedSearchKey(const std::string& key) {
  return key == "round_decimal" || key == "ignore_growing" || key == "hints" ||
         key == "collection_id" || key == "page_retain_order";
}

absl::Status CheckAcceptedSearchKey(const std::string& key,
                                    const std::string& value) {
  if (key == "round_decimal") {
    int64_t n = 0;
    if (!absl::SimpleAtoi(value, &n) || n < -1 || n > 6) {
      return Invalid(
          absl::StrCat("search param 'round_decimal': expected -1 to 6 (got '",
                       ValidUtf8(value), "')"));
    }
  } else if (key == "ignore_growing" || key == "page_retain_order") {
    // Cove searches every segment; pages keep (distance, id) order.
    if (absl::AsciiStrToLower(value) == "true") {
      if (key == "ignore_growing") {
        return absl::UnimplementedError(
            "search param 'ignore_growing': skipping the growing segment is "
            "not supported by cove (every acknowledged write is searched)");
      }
    } else if (absl::AsciiStrToLower(value) != "false" && !value.empty()) {
      return Invalid(absl::StrCat("search param '", key,
                                  "': expected true or false (got '",
                                  ValidUtf8(value), "')"));
    }
  }
  if (key == "hints" && !value.empty() && value != "iterative_filter") {
    // Milvus' one hint; cove's filtered search needs none, but a value it
    // does not know is refused, not ignored.
    return Invalid(absl::StrCat("search param 'hints': unknown hint '",
                                ValidUtf8(value),
                                "' (expected iterative_filter)"));
  }
  // collection_id: the collection is named by collection_name.
  return absl::OkStatus();
}

bool IsGroupingKey(const std::string& key) {
  return key == "group_by_field" || key == "group_size" ||
         key == "strict_group_size";
}

// group_by_field, group_size and strict_group_size, as the SDKs send them
// ("2", "True", "true").
absl::Status ReadGroupingKey(const std::string& key, const std::string& value,
                             SearchRequest* out) {
  if (key == "group_by_field") {
    out->group_by_field = value;
  } else if (key == "group_size") {
    int64_t n = 0;
    if (!absl::SimpleAtoi(value, &n) || n < 1) {
      return Invalid(absl::StrCat(
          "search param 'group_size': expected a positive integer (got '",
          ValidUtf8(value), "')"));
    }
    out->group_size = n;
  } else {
    const std::string lower = absl::AsciiStrToLower(value);
    if (lower != "true" && lower != "false") {
      return Invalid(absl::StrCat(
          "search param 'strict_group_size': expected true or false (got '",
          ValidUtf8(value), "')"));
    }
    out->strict_group_size = lower == "true";
  }
  return absl::OkStatus();
}

// Numbers may arrive as strings ("10"), as Milvus reads them.
Value NumberFromString(const Value& v) {
  if (!v.is_string()) return v;
  const std::string& text = v.AsString();
  int64_t i = 0;
  if (absl::SimpleAtoi(text, &i)) return Value(i);
  double d = 0;
  if (absl::SimpleAtod(text, &d) && std::isfinite(d)) return Value(d);
  return v;
}

// The `params` JSON of a search: null, empty or an object; pymilvus also
// puts its top-level keys in it (metric_type, offset, ...).
absl::Status ReadSearchParamsJson(const std::string& json, SearchRequest* out) {
  if (json.empty()) return absl::OkStatus();
  auto parsed = Value::FromJson(json);
  if (parsed.ok() && parsed->is_null()) return absl::OkStatus();
  if (!parsed.ok() || !parsed->is_object()) {
    return Invalid(
        absl::StrCat("search params: expected a JSON object or null (got '",
                     ValidUtf8(json), "')"));
  }
  for (const auto& [k, v] : parsed->AsObject()) {
    if (k == "params") {
      if (v.is_null()) continue;
      if (!v.is_object()) {
        return Invalid(
            absl::StrCat("search params.params: expected a JSON object (got ",
                         ValidUtf8(v.ToJson()), ")"));
      }
      for (const auto& [k2, v2] : v.AsObject()) {
        out->params[k2] = NumberFromString(v2);
      }
    } else if (k == "metric_type") {
      if (!v.is_string() || v.AsString().empty()) continue;
      auto m = ParseMetricType(v.AsString());
      if (!m.ok()) return m.status();
      out->metric_type = *m;
    } else if (k == "offset") {
      Value n = NumberFromString(v);
      if (!n.is_int() || n.AsInt() < 0) {
        return Invalid(absl::StrCat(
            "search params offset: expected a non-negative integer (got ",
            ValidUtf8(v.ToJson()), ")"));
      }
      if (n.AsInt() > 0) out->offset = n.AsInt();
    } else if (k == "round_decimal" || k == "ignore_growing" || k == "hints" ||
               k == "page_retain_order") {
      std::string text = v.is_string() ? v.AsString() : v.ToJson();
      COVE_RETURN_IF_ERROR(CheckAcceptedSearchKey(k, text));
    } else if (IsGroupingKey(k)) {
      COVE_RETURN_IF_ERROR(
          ReadGroupingKey(k, v.is_string() ? v.AsString() : v.ToJson(), out));
    } else if (k == "iterator" || k == "search_iter_v2" ||
               k == "analyzer_name") {
      return RefuseSearchKey(k);
    } else {
      out->params[k] = NumberFromString(v);
    }
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<SearchRequest> SearchRequestFromProto(
    const milvus_pb::SearchRequest& proto) {
  SearchRequest out;
  out.collection_name = proto.collection_name();
  out.partition_names.assign(proto.partition_names().begin(),
                             proto.partition_names().end());
  out.filter = proto.dsl();
  out.output_fields.assign(proto.output_fields().begin(),
                           proto.output_fields().end());
  for (const auto& [name, value] : proto.expr_template_values()) {
    out.filter_params[name] = TemplateValueFromProto(value);
  }
  if (proto.sub_reqs_size() > 0) {
    return absl::UnimplementedError(
        "search sub_reqs: hybrid search is not supported by cove");
  }
  common_pb::PlaceholderGroup group;
  if (!group.ParseFromString(proto.placeholder_group())) {
    return Invalid(
        "search placeholder_group: not a serialized "
        "PlaceholderGroup");
  }
  if (group.placeholders_size() != 1) {
    return Invalid(
        absl::StrCat("search placeholder_group: expected one placeholder (got ",
                     group.placeholders_size(), ")"));
  }
  const common_pb::PlaceholderValue& ph = group.placeholders(0);
  if (ph.type() == common_pb::PlaceholderType::SparseFloatVector) {
    for (int q = 0; q < ph.values_size(); ++q) {
      COVE_ASSIGN_OR_RETURN(SparseVector v,
                            engine::sparse::FromBytes(
                                ph.values(q), absl::StrCat("search data ", q)));
      out.sparse_vectors.push_back(std::move(v));
    }
    if (out.sparse_vectors.empty()) {
      return Invalid("search placeholder_group: no query vectors");
    }
  } else if (ph.type() != common_pb::PlaceholderType::FloatVector) {
    return absl::UnimplementedError(absl::StrCat(
        "search placeholder_group: only FloatVector (101) and "
        "SparseFloatVector (104) queries are supported by cove (got type ",
        static_cast<int>(ph.type()), ")"));
  }
  size_t bytes_per_query = 0;
  for (int q = 0; out.sparse_vectors.empty() && q < ph.values_size(); ++q) {
    const std::string& bytes = ph.values(q);
    if (bytes.empty() || bytes.size() % 4 != 0 ||
        (q > 0 && bytes.size() != bytes_per_query)) {
      return Invalid(absl::StrCat(
          "search vectors: query ", q, " has ", bytes.size(),
          " bytes (expected a non-empty multiple of 4, the same for every "
          "query)"));
    }
    bytes_per_query = bytes.size();
    for (size_t i = 0; i < bytes.size(); i += 4) {
      out.vectors.push_back(GetFloatLE(bytes.data() + i));
    }
  }
  out.dim = bytes_per_query / 4;
  bool have_limit = false;
  std::optional<float> after_distance;
  std::optional<Value> after_id;
  // Keys at the top level that are not Milvus' own: the Node SDK copies the
  // keys of `params` up there; any other is refused below.
  std::map<std::string, std::string> extra;
  for (const common_pb::KeyValuePair& kv : proto.search_params()) {
    const std::string& key = kv.key();
    const std::string& value = kv.value();
    if (key == kCoveSessionIdKey) {
      out.session_id = value;
    } else if (key == kCoveSearchAfterDistance) {
      char* end = nullptr;
      const float d = std::strtof(value.c_str(), &end);
      if (value.empty() || end != value.c_str() + value.size() ||
          !std::isfinite(d)) {
        return Invalid(absl::StrCat("search param '", kCoveSearchAfterDistance,
                                    "': expected a finite float (got '",
                                    ValidUtf8(value), "')"));
      }
      after_distance = d;
    } else if (key == kCoveSearchAfterId) {
      auto id = Value::FromJson(value);
      if (!id.ok() || !(id->is_int() || id->is_string())) {
        return Invalid(
            absl::StrCat("search param '", kCoveSearchAfterId,
                         "': expected a JSON integer or string (got '",
                         ValidUtf8(value), "')"));
      }
      after_id = *std::move(id);
    } else if (key == "anns_field") {
      out.anns_field = value;
    } else if (key == "topk" || key == "limit") {
      auto n = ParseInt64Param("search topk", value);
      if (!n.ok()) return n.status();
      out.limit = *n;
      have_limit = true;
    } else if (key == "offset") {
      auto n = ParseInt64Param("search offset", value);
      if (!n.ok()) return n.status();
      out.offset = *n;
    } else if (key == "metric_type") {
      if (value.empty()) continue;
      auto m = ParseMetricType(value);
      if (!m.ok()) return m.status();
      out.metric_type = *m;
    } else if (key == "params") {
      COVE_RETURN_IF_ERROR(ReadSearchParamsJson(value, &out));
    } else if (IsGroupingKey(key)) {
      COVE_RETURN_IF_ERROR(ReadGroupingKey(key, value, &out));
    } else if (IsAcceptedSearchKey(key)) {
      COVE_RETURN_IF_ERROR(CheckAcceptedSearchKey(key, value));
    } else {
      extra[key] = value;
    }
  }
  for (const auto& [key, value] : extra) {
    // A copy of a key of `params` (what the Node SDK sends) is fine.
    auto it = out.params.find(key);
    if (it != out.params.end() &&
        (it->second.ToJson() == value ||
         (it->second.is_string() && it->second.AsString() == value))) {
      continue;
    }
    COVE_RETURN_IF_ERROR(RefuseSearchKey(key));
  }
  if (!have_limit) {
    return Invalid("search params: 'topk' is missing");
  }
  if (after_distance.has_value() != after_id.has_value()) {
    return Invalid(absl::StrCat("search params: '", kCoveSearchAfterDistance,
                                "' and '", kCoveSearchAfterId,
                                "' go together (got one)"));
  }
  if (after_distance.has_value()) {
    out.search_after = SearchCursor{*after_distance, *std::move(after_id)};
  }
  return out;
}

absl::Status SearchResultsToProto(const SearchResults& results,
                                  const CollectionSchema& schema,
                                  const SearchRequest& request,
                                  milvus_pb::SearchResults* out) {
  schema_pb::SearchResultData* data = out->mutable_results();
  data->set_num_queries(static_cast<int64_t>(results.hits.size()));
  data->set_top_k(request.limit);
  const FieldSchema* pk = PrimaryKey(schema);
  if (pk != nullptr) data->set_primary_field_name(pk->name);
  std::vector<Value> ids;
  std::vector<const Row*> entities;
  for (const auto& hits : results.hits) {
    data->add_topks(static_cast<int64_t>(hits.size()));
    for (const Hit& hit : hits) {
      ids.push_back(hit.id);
      data->add_scores(hit.distance);
      entities.push_back(&hit.entity);
    }
  }
  if (pk != nullptr && pk->type == DataType::kVarChar) {
    data->mutable_ids()->mutable_str_id();
  } else {
    data->mutable_ids()->mutable_int_id();
  }
  if (!ids.empty()) IdsToProto(ids, data->mutable_ids());
  absl::Status s =
      EntitiesToFieldData(schema, entities, {}, data->mutable_fields_data());
  if (!s.ok()) return s;
  ResultOutputFields(schema, data->fields_data(), request.output_fields,
                     data->mutable_output_fields());
  if (!request.group_by_field.empty()) {
    // The value of each hit's group, as Milvus sends it.
    const FieldSchema* field = FindField(schema, request.group_by_field);
    if (field != nullptr) {
      std::vector<Row> values;
      for (const auto& hits : results.hits) {
        for (const Hit& hit : hits) {
          values.push_back(Row{{field->name, hit.group_by_value}});
        }
      }
      std::vector<const Row*> ptrs;
      for (const Row& r : values) ptrs.push_back(&r);
      COVE_RETURN_IF_ERROR(BuildColumn(*field, ptrs, /*insert=*/false,
                                       data->mutable_group_by_field_value()));
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<SearchResults> SearchResultsFromProto(
    const milvus_pb::SearchResults& proto) {
  const schema_pb::SearchResultData& data = proto.results();
  std::vector<Value> ids = IdsFromProto(data.ids());
  auto rows = FieldDataToRows(data.fields_data(), /*omit_nulls=*/false);
  if (!rows.ok()) return rows.status();
  if (data.scores_size() != static_cast<int>(ids.size())) {
    return Invalid(absl::StrCat("search results: ", ids.size(), " ids but ",
                                data.scores_size(), " scores"));
  }
  const bool have_rows = !rows->empty();
  if (have_rows && rows->size() != ids.size()) {
    return Invalid(absl::StrCat("search results: ", ids.size(), " ids but ",
                                rows->size(), " entities"));
  }
  // Grouping searches: the group value of every hit.
  std::vector<Value> group_values;
  if (data.has_group_by_field_value()) {
    google::protobuf::RepeatedPtrField<schema_pb::FieldData> one;
    *one.Add() = data.group_by_field_value();
    auto values = FieldDataToRows(one, /*omit_nulls=*/false);
    if (!values.ok()) return values.status();
    const std::string& name = data.group_by_field_value().field_name();
    for (const Row& r : *values) {
      auto it = r.find(name);
      group_values.push_back(it == r.end() ? Value() : it->second);
    }
    if (group_values.size() != ids.size()) {
      return Invalid(absl::StrCat("search results: ", ids.size(), " ids but ",
                                  group_values.size(),
                                  " group_by_field_value values"));
    }
  }
  SearchResults out;
  size_t at = 0;
  for (int64_t k : data.topks()) {
    if (k < 0 || at + static_cast<size_t>(k) > ids.size()) {
      return Invalid("search results: topks do not match the ids");
    }
    std::vector<Hit> hits;
    hits.reserve(static_cast<size_t>(k));
    for (int64_t i = 0; i < k; ++i, ++at) {
      Hit hit;
      hit.id = ids[at];
      hit.distance = data.scores(static_cast<int>(at));
      if (have_rows) {
        hit.entity = std::move((*rows)[at]);
      } else if (!data.primary_field_name().empty()) {
        hit.entity[data.primary_field_name()] = hit.id;
      }
      if (!group_values.empty()) hit.group_by_value = group_values[at];
      hits.push_back(std::move(hit));
    }
    out.hits.push_back(std::move(hits));
  }
  // Some servers omit topks when nq queries all found nothing.
  while (static_cast<int64_t>(out.hits.size()) < data.num_queries()) {
    out.hits.emplace_back();
  }
  return out;
}

absl::Status QueryRequestToProto(const QueryRequest& request,
                                 milvus_pb::QueryRequest* out) {
  out->set_expr(request.filter);
  for (const auto& f : request.output_fields) out->add_output_fields(f);
  for (const auto& p : request.partition_names) out->add_partition_names(p);
  if (request.limit > 0) {
    AddKv(out->mutable_query_params(), "limit", absl::StrCat(request.limit));
  }
  if (request.offset > 0) {
    AddKv(out->mutable_query_params(), "offset", absl::StrCat(request.offset));
  }
  if (!request.session_id.empty()) {
    AddKv(out->mutable_query_params(), kCoveSessionIdKey, request.session_id);
  }
  for (const auto& [name, value] : request.filter_params) {
    auto tv = TemplateValueToProto(value);
    if (!tv.ok()) return tv.status();
    (*out->mutable_expr_template_values())[name] = *std::move(tv);
  }
  out->set_consistency_level(common_pb::Strong);
  out->set_use_default_consistency(false);
  return absl::OkStatus();
}

absl::StatusOr<QueryRequest> QueryRequestFromProto(
    const milvus_pb::QueryRequest& proto) {
  QueryRequest out;
  out.collection_name = proto.collection_name();
  out.filter = proto.expr();
  out.output_fields.assign(proto.output_fields().begin(),
                           proto.output_fields().end());
  out.partition_names.assign(proto.partition_names().begin(),
                             proto.partition_names().end());
  for (const auto& [name, value] : proto.expr_template_values()) {
    out.filter_params[name] = TemplateValueFromProto(value);
  }
  for (const common_pb::KeyValuePair& kv : proto.query_params()) {
    if (kv.key() == "limit") {
      auto n = ParseInt64Param("query limit", kv.value());
      if (!n.ok()) return n.status();
      out.limit = *n;
    } else if (kv.key() == "offset") {
      auto n = ParseInt64Param("query offset", kv.value());
      if (!n.ok()) return n.status();
      out.offset = *n;
    } else if (kv.key() == kCoveSessionIdKey) {
      out.session_id = kv.value();
    } else if (kv.key() == "iterator" || kv.key() == "reduce_stop_for_best" ||
               kv.key() == "collection_id" || kv.key() == kCoveReadSessionKey) {
      // iterator: the server returns rows in primary key order (see
      // QueryWantsKeyOrder); the others change nothing in cove.
    } else if (kv.key() == "ignore_growing") {
      if (absl::AsciiStrToLower(kv.value()) == "true") {
        return absl::UnimplementedError(
            "query param 'ignore_growing': skipping the growing segment is not "
            "supported by cove (every acknowledged write is read)");
      }
    } else {
      return Invalid(absl::StrCat(
          "query param '", ValidUtf8(kv.key()),
          "' is not supported by cove-server (expected limit, offset, "
          "iterator, reduce_stop_for_best, ignore_growing, collection_id)"));
    }
  }
  return out;
}

bool QueryWantsKeyOrder(const milvus_pb::QueryRequest& proto) {
  return absl::AsciiStrToLower(
             FindKeyValue(proto.query_params(), "iterator")) == "true";
}

absl::Status QueryResultsToProto(const std::vector<Row>& rows,
                                 const CollectionSchema& schema,
                                 const QueryRequest& request,
                                 milvus_pb::QueryResults* out) {
  std::vector<const Row*> ptrs;
  ptrs.reserve(rows.size());
  for (const Row& r : rows) ptrs.push_back(&r);
  std::vector<std::string> named;
  for (const std::string& f : request.output_fields) {
    if (f == kCountStar || FindField(schema, f) != nullptr) named.push_back(f);
  }
  absl::Status s =
      EntitiesToFieldData(schema, ptrs, named, out->mutable_fields_data());
  if (!s.ok()) return s;
  ResultOutputFields(schema, out->fields_data(), request.output_fields,
                     out->mutable_output_fields());
  if (const FieldSchema* pk = PrimaryKey(schema)) {
    out->set_primary_field_name(pk->name);
  }
  return absl::OkStatus();
}

absl::StatusOr<std::vector<Row>> QueryResultsFromProto(
    const milvus_pb::QueryResults& proto) {
  return FieldDataToRows(proto.fields_data(), /*omit_nulls=*/false);
}

absl::Status DeleteRequestToProto(const DeleteRequest& request,
                                  milvus_pb::DeleteRequest* out) {
  out->set_partition_name(request.partition_name);
  out->set_expr(request.filter);
  for (const auto& [name, value] : request.filter_params) {
    auto tv = TemplateValueToProto(value);
    if (!tv.ok()) return tv.status();
    (*out->mutable_expr_template_values())[name] = *std::move(tv);
  }
  out->set_consistency_level(common_pb::Strong);
  return absl::OkStatus();
}

DeleteRequest DeleteRequestFromProto(const milvus_pb::DeleteRequest& proto) {
  DeleteRequest out;
  out.collection_name = proto.collection_name();
  out.partition_name = proto.partition_name();
  out.filter = proto.expr();
  for (const auto& [name, value] : proto.expr_template_values()) {
    out.filter_params[name] = TemplateValueFromProto(value);
  }
  return out;
}

// --- indexes
// ------------------------------------------------------------------

void IndexSpecToProto(const IndexSpec& spec,
                      milvus_pb::CreateIndexRequest* out) {
  out->set_field_name(spec.field_name);
  out->set_index_name(spec.index_name);
  auto* kvs = out->mutable_extra_params();
  AddKv(kvs, "index_type", IndexTypeName(spec.index_type));
  AddKv(kvs, "metric_type", MetricTypeName(spec.metric_type));
  Value::Object params;
  for (const auto& [k, v] : spec.params) params.emplace(k, ParamValue(v));
  AddKv(kvs, "params", Value(std::move(params)).ToJson());
}

absl::StatusOr<IndexSpec> IndexSpecFromProto(
    const milvus_pb::CreateIndexRequest& proto) {
  IndexSpec spec;
  spec.field_name = proto.field_name();
  spec.index_name = proto.index_name();
  // Without metric_type, IndexSpec's default (COSINE) applies, as in Milvus.
  for (const common_pb::KeyValuePair& kv : proto.extra_params()) {
    if (kv.key() == "index_type") {
      auto t = ParseIndexType(kv.value());
      if (!t.ok()) return t.status();
      spec.index_type = *t;
    } else if (kv.key() == "metric_type") {
      auto m = ParseMetricType(kv.value());
      if (!m.ok()) return m.status();
      spec.metric_type = *m;
    } else if (kv.key() == "params") {
      if (kv.value().empty()) continue;
      auto parsed = Value::FromJson(kv.value());
      if (!parsed.ok() || !parsed->is_object()) {
        return Invalid(absl::StrCat(
            "index params: expected a JSON object (got '", kv.value(), "')"));
      }
      for (const auto& [k, v] : parsed->AsObject()) {
        if (k == "metric_type" && v.is_string()) {
          auto m = ParseMetricType(v.AsString());
          if (!m.ok()) return m.status();
          spec.metric_type = *m;
        } else if (k == "index_type" && v.is_string()) {
          auto t = ParseIndexType(v.AsString());
          if (!t.ok()) return t.status();
          spec.index_type = *t;
        } else {
          spec.params[k] = ParamString(v);
        }
      }
    } else {
      spec.params[kv.key()] = kv.value();
    }
  }
  return spec;
}

void IndexDescriptionToProto(const IndexDescription& d,
                             milvus_pb::IndexDescription* out) {
  out->set_index_name(d.index_name);
  out->set_field_name(d.field_name);
  auto* kvs = out->mutable_params();
  AddKv(kvs, "index_type", IndexTypeName(d.index_type));
  AddKv(kvs, "metric_type", MetricTypeName(d.metric_type));
  // As Milvus 2.5: build parameters flat, one key each ("M", "nlist"), and
  // the index properties ("mmap.enabled") among them.
  for (const auto& [k, v] : d.params) AddKv(kvs, k, v);
  for (const auto& [k, v] : d.properties) AddKv(kvs, k, v);
  out->set_indexed_rows(d.indexed_rows);
  out->set_total_rows(d.total_rows);
  out->set_pending_index_rows(d.pending_index_rows);
  if (d.state == "Failed") {
    out->set_state(common_pb::Failed);
  } else if (d.state == "InProgress") {
    out->set_state(common_pb::InProgress);
  } else {
    out->set_state(common_pb::Finished);
  }
}

absl::StatusOr<IndexDescription> IndexDescriptionFromProto(
    const milvus_pb::IndexDescription& proto) {
  milvus_pb::CreateIndexRequest as_create;
  *as_create.mutable_extra_params() = proto.params();
  as_create.set_field_name(proto.field_name());
  as_create.set_index_name(proto.index_name());
  auto spec = IndexSpecFromProto(as_create);
  if (!spec.ok()) return spec.status();
  IndexDescription d;
  d.index_name = proto.index_name();
  d.field_name = proto.field_name();
  d.index_type = spec->index_type;
  d.metric_type = spec->metric_type;
  d.params = spec->params;
  // Milvus lists index properties among the parameters.
  for (const char* key : {"mmap.enabled"}) {
    auto it = d.params.find(key);
    if (it == d.params.end()) continue;
    d.properties[key] = it->second;
    d.params.erase(it);
  }
  d.indexed_rows = proto.indexed_rows();
  d.total_rows = proto.total_rows();
  d.pending_index_rows = proto.pending_index_rows();
  switch (proto.state()) {
    case common_pb::Finished:
      d.state = "Finished";
      break;
    case common_pb::Failed:
      d.state = "Failed";
      break;
    default:
      d.state = "InProgress";
      break;
  }
  return d;
}

// --- RBAC
// ---------------------------------------------------------------------

void GrantToProto(const Grant& grant, milvus_pb::GrantEntity* out) {
  out->mutable_role()->set_name(grant.role);
  out->mutable_object()->set_name(grant.object_type);
  out->set_object_name(grant.object_name);
  out->set_db_name(grant.db_name);
  out->mutable_grantor()->mutable_user()->set_name(grant.grantor);
  out->mutable_grantor()->mutable_privilege()->set_name(grant.privilege);
}

Grant GrantFromProto(const milvus_pb::GrantEntity& proto) {
  Grant g;
  g.role = proto.role().name();
  g.object_type = proto.object().name();
  g.object_name = proto.object_name();
  g.db_name = proto.db_name();
  g.grantor = proto.grantor().user().name();
  g.privilege = proto.grantor().privilege().name();
  return g;
}

// --- misc
// ---------------------------------------------------------------------

std::string FindKeyValue(
    const google::protobuf::RepeatedPtrField<common_pb::KeyValuePair>& kvs,
    std::string_view key) {
  for (const auto& kv : kvs) {
    if (kv.key() == key) return kv.value();
  }
  return std::string();
}

std::string Base64Encode(std::string_view data) {
  return absl::Base64Escape(Sv(data));
}

absl::StatusOr<std::string> Base64Decode(std::string_view data) {
  std::string out;
  if (!absl::Base64Unescape(Sv(data), &out)) {
    return Invalid("base64: malformed input");
  }
  return out;
}

}  // namespace cove::internal
