// Schema checks and the serialization of schemas and index definitions.
#include "engine/schema.h"

#include <set>
#include <utility>

#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "common/utf8.h"
#include "engine/text/analyzer.h"

namespace cove::engine {
namespace {

bool IntFits(DataType t, int64_t v) {
  switch (t) {
    case DataType::kInt8:
      return v >= INT8_MIN && v <= INT8_MAX;
    case DataType::kInt16:
      return v >= INT16_MIN && v <= INT16_MAX;
    case DataType::kInt32:
      return v >= INT32_MIN && v <= INT32_MAX;
    default:
      return true;
  }
}

}  // namespace

const char* DataTypeName(DataType type) {
  switch (type) {
    case DataType::kNone:
      return "NONE";
    case DataType::kBool:
      return "BOOL";
    case DataType::kInt8:
      return "INT8";
    case DataType::kInt16:
      return "INT16";
    case DataType::kInt32:
      return "INT32";
    case DataType::kInt64:
      return "INT64";
    case DataType::kFloat:
      return "FLOAT";
    case DataType::kDouble:
      return "DOUBLE";
    case DataType::kVarChar:
      return "VARCHAR";
    case DataType::kArray:
      return "ARRAY";
    case DataType::kJson:
      return "JSON";
    case DataType::kFloatVector:
      return "FLOAT_VECTOR";
    case DataType::kBinaryVector:
      return "BINARY_VECTOR";
    case DataType::kFloat16Vector:
      return "FLOAT16_VECTOR";
    case DataType::kBFloat16Vector:
      return "BFLOAT16_VECTOR";
    case DataType::kSparseFloatVector:
      return "SPARSE_FLOAT_VECTOR";
  }
  return "UNKNOWN";
}

// True when `v` nests arrays and objects more than `levels` deep.
namespace {

bool NestedDeeperThan(const Value& v, int levels) {
  if (!v.is_array() && !v.is_object()) return false;
  if (levels == 0) return true;
  if (v.is_array()) {
    for (const Value& item : v.AsArray()) {
      if (NestedDeeperThan(item, levels - 1)) return true;
    }
  } else {
    for (const auto& [k, item] : v.AsObject()) {
      if (NestedDeeperThan(item, levels - 1)) return true;
    }
  }
  return false;
}

}  // namespace

// JSON values (JSON fields, dynamic keys) nest at most Value::kMaxJsonDepth
// levels, so that the log and snapshots can always read them back.
absl::Status CheckJsonDepth(const Value& v, const std::string& where) {
  if (NestedDeeperThan(v, Value::kMaxJsonDepth)) {
    return absl::InvalidArgumentError(
        absl::StrCat(where, ": JSON value nested deeper than ",
                     Value::kMaxJsonDepth, " levels of arrays and objects"));
  }
  return absl::OkStatus();
}

// Checks that a value fits a scalar type (used for values, array elements
// and defaults). `where` names the place for the message.
absl::Status CheckScalar(const FieldDef& f, DataType type, const Value& v,
                         const std::string& where) {
  auto mismatch = [&](const char* expected) {
    return absl::InvalidArgumentError(absl::StrCat(
        where, ": expected ", expected, " (got ", Value::KindName(v.kind()),
        " ", v.ToJson().substr(0, 40), ")"));
  };
  switch (type) {
    case DataType::kBool:
      if (!v.is_bool()) return mismatch("BOOL");
      return absl::OkStatus();
    case DataType::kInt8:
    case DataType::kInt16:
    case DataType::kInt32:
    case DataType::kInt64:
      if (!v.is_int()) return mismatch(DataTypeName(type));
      if (!IntFits(type, v.AsInt())) {
        return absl::InvalidArgumentError(
            absl::StrCat(where, ": value ", v.AsInt(), " out of range for ",
                         DataTypeName(type)));
      }
      return absl::OkStatus();
    case DataType::kFloat:
    case DataType::kDouble:
      if (!v.is_number()) return mismatch(DataTypeName(type));
      return absl::OkStatus();
    case DataType::kVarChar:
      if (!v.is_string()) return mismatch("VARCHAR");
      if (f.max_length > 0 &&
          static_cast<int64_t>(v.AsString().size()) > f.max_length) {
        return absl::InvalidArgumentError(
            absl::StrCat(where, ": string of ", v.AsString().size(),
                         " bytes exceeds max_length ", f.max_length));
      }
      return absl::OkStatus();
    case DataType::kJson:
      return CheckJsonDepth(v, where);
    default:
      return mismatch(DataTypeName(type));
  }
}

absl::Status ValidateName(const std::string& what, const std::string& name) {
  if (name.empty() || name.size() > 255) {
    return absl::InvalidArgumentError(absl::StrCat(
        what, ": expected 1 to 255 characters (got ", name.size(), ")"));
  }
  auto alpha = [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
  };
  auto digit = [](char c) { return c >= '0' && c <= '9'; };
  // Messages quote the name as valid UTF-8 (invalid bytes escaped), and a
  // non-ASCII character whole.
  auto at = [&](size_t i) {
    size_t n = 1;
    while (i + n < name.size() && (name[i + n] & 0xC0) == 0x80 && n < 4) ++n;
    return internal::ValidUtf8(name.substr(i, (name[i] & 0x80) ? n : 1));
  };
  if (!alpha(name[0])) {
    return absl::InvalidArgumentError(
        absl::StrCat(what, ": '", internal::ValidUtf8(name),
                     "' must start with a letter or '_' (got '", at(0), "')"));
  }
  for (size_t i = 0; i < name.size(); ++i) {
    const char c = name[i];
    if (!alpha(c) && !digit(c)) {
      return absl::InvalidArgumentError(absl::StrCat(
          what, ": '", internal::ValidUtf8(name),
          "' may only hold letters, digits and '_' (got '", at(i), "')"));
    }
  }
  return absl::OkStatus();
}

namespace {

// Analyzer settings of VARCHAR fields, and BM25 functions.
absl::Status ValidateTextAndFunctions(const Schema& schema) {
  auto find = [&](const std::string& name) -> const FieldDef* {
    for (const FieldDef& f : schema.fields) {
      if (f.name == name) return &f;
    }
    return nullptr;
  };
  for (const FieldDef& f : schema.fields) {
    const std::string where = absl::StrCat("field '", f.name, "'");
    if ((f.enable_analyzer || f.enable_match || !f.analyzer_params.empty()) &&
        f.type != DataType::kVarChar) {
      return absl::InvalidArgumentError(absl::StrCat(
          where,
          ": enable_analyzer, analyzer_params and enable_match are for "
          "VARCHAR fields (got ",
          DataTypeName(f.type), ")"));
    }
    if (f.enable_match && !f.enable_analyzer) {
      return absl::InvalidArgumentError(
          absl::StrCat(where, ": enable_match needs enable_analyzer=True"));
    }
    if (!f.analyzer_params.empty() && !f.enable_analyzer) {
      return absl::InvalidArgumentError(
          absl::StrCat(where, ": analyzer_params needs enable_analyzer=True"));
    }
    if (f.enable_analyzer) {
      auto analyzer = text::Analyzer::Make(f.analyzer_params);
      if (!analyzer.ok()) {
        return absl::InvalidArgumentError(
            absl::StrCat(where, ": ", analyzer.status().message()));
      }
    }
  }
  std::set<std::string> names, outputs;
  for (const FunctionDef& fn : schema.functions) {
    const std::string where = absl::StrCat("function '", fn.name, "'");
    COVE_RETURN_IF_ERROR(ValidateName("function name", fn.name));
    if (!names.insert(fn.name).second) {
      return absl::InvalidArgumentError(
          absl::StrCat("schema: duplicate function name '", fn.name, "'"));
    }
    if (fn.kind != FunctionKind::kBM25) {
      return absl::InvalidArgumentError(
          absl::StrCat(where, ": only BM25 functions are supported (got type ",
                       static_cast<uint32_t>(fn.kind), ")"));
    }
    if (!fn.params.empty()) {
      return absl::InvalidArgumentError(
          absl::StrCat(where, ": BM25 functions take no params (got '",
                       fn.params.begin()->first, "')"));
    }
    if (fn.input_fields.size() != 1 || fn.output_fields.size() != 1) {
      return absl::InvalidArgumentError(absl::StrCat(
          where, ": a BM25 function has one input and one output field (got ",
          fn.input_fields.size(), " and ", fn.output_fields.size(), ")"));
    }
    const FieldDef* in = find(fn.input_fields[0]);
    const FieldDef* out = find(fn.output_fields[0]);
    if (in == nullptr || out == nullptr) {
      return absl::InvalidArgumentError(absl::StrCat(
          where, ": no field '",
          in == nullptr ? fn.input_fields[0] : fn.output_fields[0], "'"));
    }
    if (in->type != DataType::kVarChar || !in->enable_analyzer) {
      return absl::InvalidArgumentError(
          absl::StrCat(where, ": the input field '", in->name,
                       "' must be a VARCHAR with enable_analyzer=True"));
    }
    if (out->type != DataType::kSparseFloatVector) {
      return absl::InvalidArgumentError(
          absl::StrCat(where, ": the output field '", out->name,
                       "' must be a SPARSE_FLOAT_VECTOR (got ",
                       DataTypeName(out->type), ")"));
    }
    if (!outputs.insert(out->name).second) {
      return absl::InvalidArgumentError(
          absl::StrCat(where, ": field '", out->name,
                       "' is the output of another function already"));
    }
    if (!out->is_function_output) {
      return absl::InvalidArgumentError(
          absl::StrCat(where, ": the output field '", out->name,
                       "' must be marked is_function_output"));
    }
  }
  for (const FieldDef& f : schema.fields) {
    if (f.is_function_output && outputs.count(f.name) == 0) {
      return absl::InvalidArgumentError(
          absl::StrCat("field '", f.name,
                       "': is_function_output, but no function writes it"));
    }
  }
  return absl::OkStatus();
}

}  // namespace

absl::Status ValidateSchema(const Schema& schema) {
  int pks = 0;
  int vectors = 0;
  std::set<std::string> names;
  for (const FieldDef& f : schema.fields) {
    COVE_RETURN_IF_ERROR(ValidateName("field name", f.name));
    if (!names.insert(f.name).second) {
      return absl::InvalidArgumentError(
          absl::StrCat("schema: duplicate field name '", f.name, "'"));
    }
    const std::string where = absl::StrCat("field '", f.name, "'");
    switch (f.type) {
      case DataType::kBool:
      case DataType::kInt8:
      case DataType::kInt16:
      case DataType::kInt32:
      case DataType::kInt64:
      case DataType::kFloat:
      case DataType::kDouble:
      case DataType::kJson:
        break;
      case DataType::kVarChar:
        if (f.max_length <= 0 || f.max_length > 65535) {
          return absl::InvalidArgumentError(
              absl::StrCat(where,
                           ": VARCHAR max_length must be in [1, 65535] "
                           "(got ",
                           f.max_length, ")"));
        }
        break;
      case DataType::kArray:
        if (f.element_type == DataType::kArray ||
            f.element_type == DataType::kJson || IsVectorType(f.element_type) ||
            f.element_type == DataType::kNone) {
          return absl::InvalidArgumentError(absl::StrCat(
              where, ": ARRAY element_type must be a scalar type (got ",
              DataTypeName(f.element_type), ")"));
        }
        if (f.max_capacity <= 0 || f.max_capacity > 4096) {
          return absl::InvalidArgumentError(absl::StrCat(
              where, ": ARRAY max_capacity must be in [1, 4096] (got ",
              f.max_capacity, ")"));
        }
        if (f.element_type == DataType::kVarChar &&
            (f.max_length <= 0 || f.max_length > 65535)) {
          return absl::InvalidArgumentError(absl::StrCat(
              where, ": VARCHAR elements need max_length in [1, 65535] (got ",
              f.max_length, ")"));
        }
        break;
      case DataType::kSparseFloatVector:
        ++vectors;
        if (f.nullable || f.default_value.has_value()) {
          return absl::InvalidArgumentError(absl::StrCat(
              where, ": vector fields cannot be nullable or have defaults"));
        }
        break;
      case DataType::kBinaryVector:
        // Milvus: dim bits, a multiple of 8, 8 to 32768 * 8.
        ++vectors;
        if (f.dim < 8 || f.dim > 32768 * 8 || f.dim % 8 != 0) {
          return absl::InvalidArgumentError(absl::StrCat(
              where, ": BINARY_VECTOR dim must be a multiple of 8 in [8, ",
              32768 * 8, "] (got ", f.dim, ")"));
        }
        if (f.nullable || f.default_value.has_value()) {
          return absl::InvalidArgumentError(absl::StrCat(
              where, ": vector fields cannot be nullable or have defaults"));
        }
        break;
      case DataType::kFloatVector:
      case DataType::kFloat16Vector:
      case DataType::kBFloat16Vector:
        ++vectors;
        if (f.dim < 1 || f.dim > 32768) {
          return absl::InvalidArgumentError(absl::StrCat(
              where, ": dim must be in [1, 32768] (got ", f.dim, ")"));
        }
        if (f.nullable || f.default_value.has_value()) {
          return absl::InvalidArgumentError(absl::StrCat(
              where, ": vector fields cannot be nullable or have defaults"));
        }
        break;
      default:
        return absl::InvalidArgumentError(absl::StrCat(
            where, ": unsupported data type ", static_cast<int>(f.type)));
    }
    if (f.is_primary_key) {
      ++pks;
      if (f.type != DataType::kInt64 && f.type != DataType::kVarChar) {
        return absl::InvalidArgumentError(absl::StrCat(
            where, ": a primary key must be INT64 or VARCHAR (got ",
            DataTypeName(f.type), ")"));
      }
      if (f.nullable || f.default_value.has_value()) {
        return absl::InvalidArgumentError(absl::StrCat(
            where, ": a primary key cannot be nullable or have a default"));
      }
    } else if (f.auto_id) {
      return absl::InvalidArgumentError(
          absl::StrCat(where, ": auto_id is only valid on the primary key"));
    }
    if (f.default_value.has_value() && !f.default_value->is_null()) {
      if (f.type == DataType::kJson || f.type == DataType::kArray) {
        return absl::InvalidArgumentError(
            absl::StrCat(where, ": default values are not supported for ",
                         DataTypeName(f.type), " fields"));
      }
      COVE_RETURN_IF_ERROR(
          CheckScalar(f, f.type, *f.default_value, where + " default_value"));
    }
  }
  if (pks != 1) {
    return absl::InvalidArgumentError(absl::StrCat(
        "schema: expected exactly one primary key field (got ", pks, ")"));
  }
  if (vectors < 1) {
    return absl::InvalidArgumentError(
        "schema: expected at least one vector field (FLOAT_VECTOR or "
        "SPARSE_FLOAT_VECTOR; got none)");
  }
  COVE_RETURN_IF_ERROR(ValidateTextAndFunctions(schema));
  return absl::OkStatus();
}

// Additions to the format are flagged so that older logs and snapshots
// decode unchanged: schema flag 2 means functions follow the fields, field
// flag 16 means text settings follow the field.
void EncodeSchema(const Schema& schema, internal::ByteWriter* w) {
  w->U8((schema.enable_dynamic_field ? 1 : 0) |
        (schema.functions.empty() ? 0 : 2));
  w->Str(schema.description);
  w->Varint(schema.fields.size());
  for (const FieldDef& f : schema.fields) {
    w->Str(f.name);
    w->U32(static_cast<uint32_t>(f.type));
    w->Str(f.description);
    const bool text = f.enable_analyzer || f.enable_match ||
                      f.is_function_output || !f.analyzer_params.empty();
    w->U8((f.is_primary_key ? 1 : 0) | (f.auto_id ? 2 : 0) |
          (f.nullable ? 4 : 0) | (f.default_value.has_value() ? 8 : 0) |
          (text ? 16 : 0));
    w->I64(f.max_length);
    w->I64(f.dim);
    w->U32(static_cast<uint32_t>(f.element_type));
    w->I64(f.max_capacity);
    if (f.default_value.has_value()) w->Val(*f.default_value);
    if (text) {
      w->U8((f.enable_analyzer ? 1 : 0) | (f.enable_match ? 2 : 0) |
            (f.is_function_output ? 4 : 0));
      w->Str(f.analyzer_params);
    }
  }
  if (!schema.functions.empty()) {
    w->Varint(schema.functions.size());
    for (const FunctionDef& fn : schema.functions) {
      w->Str(fn.name);
      w->Str(fn.description);
      w->U32(static_cast<uint32_t>(fn.kind));
      w->Varint(fn.input_fields.size());
      for (const std::string& s : fn.input_fields) w->Str(s);
      w->Varint(fn.output_fields.size());
      for (const std::string& s : fn.output_fields) w->Str(s);
      w->Varint(fn.params.size());
      for (const auto& [k, v] : fn.params) {
        w->Str(k);
        w->Str(v);
      }
    }
  }
}

bool DecodeSchema(internal::ByteReader* r, Schema* schema) {
  uint8_t dynamic = 0;
  uint64_t n = 0;
  if (!r->U8(&dynamic) || !r->Str(&schema->description) || !r->Varint(&n) ||
      n > 4096) {
    return false;
  }
  schema->enable_dynamic_field = (dynamic & 1) != 0;
  schema->fields.clear();
  for (uint64_t i = 0; i < n; ++i) {
    FieldDef f;
    uint32_t type = 0, element = 0;
    uint8_t flags = 0;
    if (!r->Str(&f.name) || !r->U32(&type) || !r->Str(&f.description) ||
        !r->U8(&flags) || !r->I64(&f.max_length) || !r->I64(&f.dim) ||
        !r->U32(&element) || !r->I64(&f.max_capacity)) {
      return false;
    }
    f.type = static_cast<DataType>(type);
    f.element_type = static_cast<DataType>(element);
    f.is_primary_key = (flags & 1) != 0;
    f.auto_id = (flags & 2) != 0;
    f.nullable = (flags & 4) != 0;
    if ((flags & 8) != 0) {
      Value v;
      if (!r->Val(&v)) return false;
      f.default_value = std::move(v);
    }
    if ((flags & 16) != 0) {
      uint8_t text = 0;
      if (!r->U8(&text) || !r->Str(&f.analyzer_params)) return false;
      f.enable_analyzer = (text & 1) != 0;
      f.enable_match = (text & 2) != 0;
      f.is_function_output = (text & 4) != 0;
    }
    schema->fields.push_back(std::move(f));
  }
  schema->functions.clear();
  if ((dynamic & 2) != 0) {
    uint64_t count = 0;
    if (!r->Varint(&count) || count > 1024) return false;
    auto strings = [&](std::vector<std::string>* out) {
      uint64_t k = 0;
      if (!r->Varint(&k) || k > 1024) return false;
      out->resize(k);
      for (std::string& s : *out) {
        if (!r->Str(&s)) return false;
      }
      return true;
    };
    for (uint64_t i = 0; i < count; ++i) {
      FunctionDef fn;
      uint32_t kind = 0;
      uint64_t params = 0;
      if (!r->Str(&fn.name) || !r->Str(&fn.description) || !r->U32(&kind) ||
          !strings(&fn.input_fields) || !strings(&fn.output_fields) ||
          !r->Varint(&params) || params > 1024) {
        return false;
      }
      fn.kind = static_cast<FunctionKind>(kind);
      for (uint64_t p = 0; p < params; ++p) {
        std::string k, v;
        if (!r->Str(&k) || !r->Str(&v)) return false;
        fn.params[k] = v;
      }
      schema->functions.push_back(std::move(fn));
    }
  }
  return true;
}

void EncodeIndexDef(const IndexDef& def, internal::ByteWriter* w) {
  w->Str(def.field_name);
  w->Str(def.index_name);
  w->U8(static_cast<uint8_t>(def.kind));
  w->U8(static_cast<uint8_t>(def.metric));
  w->Varint(def.params.size());
  for (const auto& [k, v] : def.params) {
    w->Str(k);
    w->Str(v);
  }
}

bool DecodeIndexDef(internal::ByteReader* r, IndexDef* def) {
  uint8_t kind = 0, metric = 0;
  uint64_t n = 0;
  if (!r->Str(&def->field_name) || !r->Str(&def->index_name) || !r->U8(&kind) ||
      !r->U8(&metric) || !r->Varint(&n) || n > 1024 ||
      !IsKnownIndexKind(kind) || metric > static_cast<uint8_t>(kLastMetric)) {
    return false;
  }
  def->kind = static_cast<IndexKind>(kind);
  def->metric = static_cast<Metric>(metric);
  def->params.clear();
  for (uint64_t i = 0; i < n; ++i) {
    std::string k, v;
    if (!r->Str(&k) || !r->Str(&v)) return false;
    def->params[k] = v;
  }
  return true;
}

}  // namespace cove::engine
