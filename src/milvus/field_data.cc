// The FieldData column codec (see convert.h): rows and entities to Milvus'
// typed columns and back, with the helpers the other conversions share
// (convert_internal.h).
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
#include "engine/kernels/half.h"
#include "engine/sparse/sparse.h"
#include "milvus/convert.h"

// Milvus deprecated CollectionSchema.autoID (and common.Status.error_code,
// see status_convert.cc), but peers still read them: keep setting and
// reading them.
#include "milvus/convert_internal.h"

#pragma GCC diagnostic ignored "-Wdeprecated-declarations"

namespace cove::internal {
namespace convert_detail {

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

// Makes sure an empty scalar column still has its typed oneof set.
void TouchScalar(DataType type, DataType element_type,
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
        case DataType::kInt8:
        case DataType::kInt16:
        case DataType::kInt32:
        case DataType::kInt64:
        case DataType::kFloat:
        case DataType::kDouble:
        case DataType::kVarChar:
          TouchScalar(element_type, DataType::kNone, item);
          break;
        default:
          return Invalid(absl::StrCat(where,
                                      ": unsupported array element type ",
                                      DataTypeName(element_type)));
      }
      const Value::Array& elems = v.AsArray();
      for (size_t i = 0; i < elems.size(); ++i) {
        COVE_RETURN_IF_ERROR(
            AppendScalar(element_type, DataType::kNone, elems[i],
                         absl::StrCat(where, " element ", i), item));
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
        COVE_ASSIGN_OR_RETURN(auto v, ScalarValueAt(item, k));
        elems.push_back(std::move(v));
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
  } else if (v.is_float16_vector() || v.is_bfloat16_vector()) {
    // 16-bit values (a numpy float16 array): widened exactly.
    const engine::HalfType t = v.is_float16_vector()
                                   ? engine::HalfType::kFloat16
                                   : engine::HalfType::kBFloat16;
    for (uint16_t b : t == engine::HalfType::kFloat16 ? v.AsFloat16Vector()
                                                      : v.AsBFloat16Vector()) {
      out->push_back(engine::HalfToFloat(t, b));
    }
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

// A FLOAT16_VECTOR, BFLOAT16_VECTOR or BINARY_VECTOR column: the rows'
// bytes one after the other (16-bit values little-endian; binary vectors
// 8 dimensions a byte). 16-bit fields also take float32 numbers, rounded to
// the field's type.
absl::Status BuildTypedVectorColumn(const FieldSchema& f,
                                    const std::vector<const Row*>& rows,
                                    bool insert, schema_pb::FieldData* out) {
  schema_pb::VectorField* vec = out->mutable_vectors();
  vec->set_dim(f.dim);
  const bool binary = f.type == DataType::kBinaryVector;
  const bool f16 = f.type == DataType::kFloat16Vector;
  const engine::HalfType half =
      f16 ? engine::HalfType::kFloat16 : engine::HalfType::kBFloat16;
  std::string* bytes = binary ? vec->mutable_binary_vector()
                       : f16  ? vec->mutable_float16_vector()
                              : vec->mutable_bfloat16_vector();
  const size_t dim = static_cast<size_t>(std::max<int64_t>(f.dim, 0));
  const size_t row_bytes = binary ? dim / 8 : 2 * dim;
  auto put16 = [&](uint16_t x) {
    bytes->push_back(static_cast<char>(x & 0xff));
    bytes->push_back(static_cast<char>(x >> 8));
  };
  for (size_t r = 0; r < rows.size(); ++r) {
    std::string where = absl::StrCat(insert ? "insert row " : "row ", r,
                                     ": field '", f.name, "'");
    auto it = rows[r]->find(f.name);
    if (it == rows[r]->end() || it->second.is_null()) {
      if (!insert) {
        bytes->append(row_bytes, '\0');
        continue;
      }
      return Invalid(absl::StrCat(where, " is missing"));
    }
    const Value& v = it->second;
    const size_t before = bytes->size();
    if (binary && v.is_binary_vector()) {
      bytes->append(v.AsBinaryVector().begin(), v.AsBinaryVector().end());
    } else if (binary && v.is_array()) {
      // Byte values (a numpy uint8 array's items).
      for (const Value& e : v.AsArray()) {
        if (!e.is_int() || e.AsInt() < 0 || e.AsInt() > 255) {
          return Invalid(absl::StrCat(
              where, ": expected BINARY_VECTOR bytes (a list element is ",
              e.ToJson(), ", not a byte value 0 to 255)"));
        }
        bytes->push_back(static_cast<char>(e.AsInt()));
      }
    } else if (!binary &&
               (f16 ? v.is_float16_vector() : v.is_bfloat16_vector())) {
      for (uint16_t x : f16 ? v.AsFloat16Vector() : v.AsBFloat16Vector()) {
        put16(x);
      }
    } else if (!binary && v.is_binary_vector()) {
      // Raw bytes of the 16-bit values (pymilvus' bytes form), as they are.
      bytes->append(v.AsBinaryVector().begin(), v.AsBinaryVector().end());
    } else if (!binary && (v.is_float_vector() || v.is_array())) {
      std::vector<float> floats;
      COVE_RETURN_IF_ERROR(VectorFloats(v, where, f.dim, &floats));
      for (float x : floats) put16(engine::FloatToHalf(half, x));
    } else {
      return Invalid(absl::StrCat(where, ": expected ", DataTypeName(f.type),
                                  " (got ", KindName(v), ")"));
    }
    if (bytes->size() - before != row_bytes) {
      return Invalid(absl::StrCat(
          where, ": wrong vector dimension (expected ", f.dim, ", got ",
          (bytes->size() - before) * (binary ? 8 : 1) / (binary ? 1 : 2), ")"));
    }
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
  if (f.type == DataType::kFloat16Vector ||
      f.type == DataType::kBFloat16Vector ||
      f.type == DataType::kBinaryVector) {
    return BuildTypedVectorColumn(f, rows, insert, out);
  }
  if (f.type == DataType::kFloatVector) {
    schema_pb::VectorField* vec = out->mutable_vectors();
    vec->set_dim(f.dim);
    // Written straight into the message: float32 vectors of the right
    // dimension are copied once, other forms converted through `data`.
    auto* floats = vec->mutable_float_vector()->mutable_data();
    const size_t dim = static_cast<size_t>(std::max<int64_t>(f.dim, 0));
    floats->Reserve(static_cast<int>(rows.size() * dim));
    std::vector<float> data;
    for (size_t r = 0; r < rows.size(); ++r) {
      auto it = rows[r]->find(f.name);
      if (it != rows[r]->end() && it->second.is_float_vector() &&
          it->second.AsFloatVector().size() == dim) {
        const std::vector<float>& v = it->second.AsFloatVector();
        floats->Add(v.begin(), v.end());
        continue;
      }
      std::string where = absl::StrCat(insert ? "insert row " : "row ", r,
                                       ": field '", f.name, "'");
      if (it == rows[r]->end() || it->second.is_null()) {
        if (!insert) {
          floats->Resize(floats->size() + static_cast<int>(dim), 0.0f);
          continue;
        }
        return Invalid(absl::StrCat(where, " is missing"));
      }
      data.clear();
      COVE_RETURN_IF_ERROR(VectorFloats(it->second, where, f.dim, &data));
      floats->Add(data.begin(), data.end());
    }
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
    COVE_RETURN_IF_ERROR(AppendScalar(
        f.type, f.element_type, rows[r]->find(f.name)->second, where, scalars));
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

}  // namespace convert_detail

using convert_detail::AddKv;
using convert_detail::BuildColumn;
using convert_detail::BuildMetaColumn;
using convert_detail::FindField;
using convert_detail::GetFloatLE;
using convert_detail::Invalid;
using convert_detail::KindName;
using convert_detail::ParamString;
using convert_detail::ParamValue;
using convert_detail::ParseInt64Param;
using convert_detail::PrimaryKey;
using convert_detail::PutFloatLE;
using convert_detail::ResultOutputFields;
using convert_detail::ScalarSize;
using convert_detail::ScalarValueAt;

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
    if ((f.is_primary_key && f.auto_id) || f.is_function_output) {
      bool given = false;
      for (const Row& r : rows) given |= r.find(f.name) != r.end();
      // The server assigns the keys, and computes function outputs (it
      // refuses them when given, as Milvus does).
      if (!given) continue;
    }
    COVE_RETURN_IF_ERROR(BuildColumn(f, ptrs, /*insert=*/true, out->Add()));
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
    COVE_RETURN_IF_ERROR(BuildColumn(f, rows, /*insert=*/false, out->Add()));
  }
  if (schema.enable_dynamic_field && any_dynamic) {
    BuildMetaColumn(schema, rows, out->Add());
  }
  return absl::OkStatus();
}

namespace {

// The rows of a FLOAT16 / BFLOAT16 / BINARY vector column: its bytes must
// fill whole vectors of its dim.
absl::StatusOr<size_t> TypedVectorRows(const schema_pb::FieldData& c) {
  const schema_pb::VectorField& v = c.vectors();
  const bool binary = v.data_case() == schema_pb::VectorField::kBinaryVector;
  const std::string& bytes =
      binary ? v.binary_vector()
      : v.data_case() == schema_pb::VectorField::kFloat16Vector
          ? v.float16_vector()
          : v.bfloat16_vector();
  if (v.dim() <= 0 || (binary && v.dim() % 8 != 0)) {
    return Invalid(absl::StrCat(
        "field data '", c.field_name(), "': vector dim must be positive",
        binary ? " and a multiple of 8" : "", " (got ", v.dim(), ")"));
  }
  const size_t row_bytes = binary ? static_cast<size_t>(v.dim()) / 8
                                  : 2 * static_cast<size_t>(v.dim());
  if (bytes.size() % row_bytes != 0) {
    return Invalid(absl::StrCat("field data '", c.field_name(),
                                "': ", bytes.size(),
                                " bytes do not fill whole vectors of dim ",
                                v.dim(), " (", row_bytes, " bytes each)"));
  }
  return bytes.size() / row_bytes;
}

// Row `at` of a column TypedVectorRows() accepted.
Value TypedVectorAt(const schema_pb::VectorField& v, size_t at) {
  if (v.data_case() == schema_pb::VectorField::kBinaryVector) {
    const size_t n = static_cast<size_t>(v.dim()) / 8;
    const char* p = v.binary_vector().data() + at * n;
    return Value::BinaryVector(std::vector<uint8_t>(p, p + n));
  }
  const bool f16 = v.data_case() == schema_pb::VectorField::kFloat16Vector;
  const std::string& bytes = f16 ? v.float16_vector() : v.bfloat16_vector();
  const size_t n = static_cast<size_t>(v.dim());
  const auto* p = reinterpret_cast<const uint8_t*>(bytes.data()) + at * 2 * n;
  std::vector<uint16_t> h(n);
  for (size_t i = 0; i < n; ++i) {
    h[i] = static_cast<uint16_t>(p[2 * i] | (p[2 * i + 1] << 8));
  }
  return f16 ? Value::Float16Vector(std::move(h))
             : Value::BFloat16Vector(std::move(h));
}

}  // namespace

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
      if (v.data_case() == schema_pb::VectorField::kFloat16Vector ||
          v.data_case() == schema_pb::VectorField::kBfloat16Vector ||
          v.data_case() == schema_pb::VectorField::kBinaryVector) {
        COVE_ASSIGN_OR_RETURN(len, TypedVectorRows(c));
      } else if (v.data_case() == schema_pb::VectorField::kSparseFloatVector) {
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
      if (c.field_case() == schema_pb::FieldData::kVectors &&
          c.vectors().data_case() != schema_pb::VectorField::kFloatVector &&
          c.vectors().data_case() != schema_pb::VectorField::DATA_NOT_SET) {
        rows[r][c.field_name()] = TypedVectorAt(c.vectors(), at);
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

}  // namespace cove::internal
