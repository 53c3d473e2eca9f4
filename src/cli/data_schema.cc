// Values, schemas and rows of `cove data` (see data_schema.h).
#include "cli/data_schema.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdlib>
#include <limits>
#include <set>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_replace.h"
#include "common/half.h"
#include "common/status_macros.h"
#include "common/strings.h"
#include "common/value_from_json.h"

namespace cove::cli {
namespace {

using internal::Sv;

constexpr float kFloat16Max = 65504.0f;

std::string Upper(std::string s) {
  absl::AsciiStrToUpper(&s);
  return s;
}

// nlohmann's parse error without its "[json.exception.parse_error.101] "
// prefix.
std::string JsonError(const std::exception& e) {
  std::string m = e.what();
  if (absl::StartsWith(m, "[json.exception.")) {
    size_t end = m.find("] ");
    if (end != std::string::npos) m = m.substr(end + 2);
  }
  return m;
}

absl::StatusOr<Value> CoerceScalar(DataType type, const FieldSchema& f,
                                   const Value& v, const std::string& where) {
  switch (type) {
    case DataType::kBool:
      if (v.is_bool()) return v;
      return FieldError(where,
                        absl::StrCat("expected true or false, got ", Brief(v)));
    case DataType::kInt8:
    case DataType::kInt16:
    case DataType::kInt32:
    case DataType::kInt64: {
      int64_t n = 0;
      if (v.is_int()) {
        n = v.AsInt();
      } else if (v.is_double() && std::isfinite(v.AsDouble()) &&
                 std::floor(v.AsDouble()) == v.AsDouble() &&
                 std::fabs(v.AsDouble()) < 9.2e18) {
        n = static_cast<int64_t>(v.AsDouble());
      } else {
        return FieldError(
            where, absl::StrCat("expected an integer (", DataTypeName(type),
                                "), got ", Brief(v)));
      }
      int64_t lo = INT64_MIN, hi = INT64_MAX;
      if (type == DataType::kInt8) lo = INT8_MIN, hi = INT8_MAX;
      if (type == DataType::kInt16) lo = INT16_MIN, hi = INT16_MAX;
      if (type == DataType::kInt32) lo = INT32_MIN, hi = INT32_MAX;
      if (n < lo || n > hi) {
        return FieldError(
            where, absl::StrCat("expected an integer from ", lo, " to ", hi,
                                " (", DataTypeName(type), "), got ", n));
      }
      return Value(n);
    }
    case DataType::kFloat:
    case DataType::kDouble: {
      if (!v.is_number() || !std::isfinite(v.AsDouble())) {
        return FieldError(
            where, absl::StrCat("expected a finite number (",
                                DataTypeName(type), "), got ", Brief(v)));
      }
      if (type == DataType::kFloat &&
          std::fabs(v.AsDouble()) > std::numeric_limits<float>::max()) {
        return FieldError(where,
                          absl::StrCat("expected a number within the range of "
                                       "FLOAT, got ",
                                       Brief(v)));
      }
      return Value(v.AsDouble());
    }
    case DataType::kVarChar: {
      if (!v.is_string()) {
        return FieldError(
            where, absl::StrCat("expected a string (VARCHAR), got ", Brief(v)));
      }
      if (f.max_length > 0 &&
          static_cast<int64_t>(v.AsString().size()) > f.max_length) {
        return FieldError(
            where, absl::StrCat("the string is ", v.AsString().size(),
                                " bytes long (expected at most ", f.max_length,
                                ": the field's max_length)"));
      }
      return v;
    }
    case DataType::kJson:
      if (v.is_float_vector()) return Value(v.ToJson());
      return v;
    default:
      return FieldError(
          where, absl::StrCat("unsupported field type ", DataTypeName(type)));
  }
}

// A FLOAT16_VECTOR / BFLOAT16_VECTOR value: the 16-bit kind itself, or
// `dim` finite numbers rounded to it (FLOAT16 refuses numbers beyond its
// range, +-65504, rather than making them infinite).
absl::StatusOr<Value> CoerceHalfVector(const FieldSchema& f, const Value& v,
                                       const std::string& where) {
  const bool f16 = f.type == DataType::kFloat16Vector;
  if (f16 ? v.is_float16_vector() : v.is_bfloat16_vector()) {
    const size_t n =
        f16 ? v.AsFloat16Vector().size() : v.AsBFloat16Vector().size();
    if (static_cast<int64_t>(n) == f.dim) return v;
    return FieldError(where, absl::StrCat("expected a vector of ", f.dim,
                                          " numbers, got ", n, " numbers"));
  }
  std::vector<float> data;
  data.reserve(static_cast<size_t>(std::max<int64_t>(f.dim, 0)));
  COVE_RETURN_IF_ERROR(AppendVector(v, f.dim, where, data));
  std::vector<uint16_t> bits;
  bits.reserve(data.size());
  for (size_t i = 0; i < data.size(); ++i) {
    if (f16 && std::fabs(data[i]) > kFloat16Max) {
      return FieldError(where,
                        absl::StrCat("expected numbers within +-65504 (the "
                                     "range of FLOAT16), got ",
                                     data[i], " at index ", i));
    }
    bits.push_back(f16 ? internal::FloatToHalf(data[i])
                       : internal::FloatToBFloat16(data[i]));
  }
  return f16 ? Value::Float16Vector(std::move(bits))
             : Value::BFloat16Vector(std::move(bits));
}

// A BINARY_VECTOR value: bytes, or an array of dim / 8 integers 0..255 (as
// the value prints, lowest bit of byte 0 first).
absl::StatusOr<Value> CoerceBinaryVector(const FieldSchema& f, const Value& v,
                                         const std::string& where) {
  const int64_t bytes = f.dim / 8;
  auto fail = [&](const std::string& got) {
    return FieldError(
        where, absl::StrCat("expected a binary vector of ", bytes, " bytes (",
                            f.dim, " bits: integers 0 to 255), got ", got));
  };
  if (v.is_binary_vector()) {
    if (static_cast<int64_t>(v.AsBinaryVector().size()) == bytes) return v;
    return fail(absl::StrCat(v.AsBinaryVector().size(), " bytes"));
  }
  if (!v.is_array()) return fail(Brief(v));
  const auto& a = v.AsArray();
  if (static_cast<int64_t>(a.size()) != bytes) {
    return fail(absl::StrCat(a.size(), " numbers"));
  }
  std::vector<uint8_t> out;
  out.reserve(a.size());
  for (size_t i = 0; i < a.size(); ++i) {
    if (!a[i].is_int() || a[i].AsInt() < 0 || a[i].AsInt() > 255) {
      return fail(absl::StrCat(Brief(a[i]), " at index ", i));
    }
    out.push_back(static_cast<uint8_t>(a[i].AsInt()));
  }
  return Value::BinaryVector(std::move(out));
}

// A SPARSE_FLOAT_VECTOR value: the sparse kind itself, an object of
// index -> weight ({"3": 0.5, "17": 0.2}, as the value prints) or
// {"indices": [...], "values": [...]}. Indices are integers 0 .. 2^32 - 2,
// each once; weights finite numbers. Ordered by index.
absl::StatusOr<Value> CoerceSparseVector(const Value& v,
                                         const std::string& where) {
  if (v.is_sparse_vector()) return v;
  auto fail = [&](const std::string& got) {
    return FieldError(
        where, absl::StrCat("expected a sparse vector ({\"index\": weight, "
                            "...} or {\"indices\": [...], \"values\": "
                            "[...]}), got ",
                            got));
  };
  if (!v.is_object()) return fail(Brief(v));
  const auto& o = v.AsObject();
  std::vector<std::pair<int64_t, Value>> items;
  auto index_of = [&](const Value& x, const std::string& text,
                      int64_t* out) -> absl::Status {
    int64_t n = -1;
    if (x.is_int()) {
      n = x.AsInt();
    } else if (!absl::SimpleAtoi(text, &n)) {
      return fail(absl::StrCat("the index ", Brief(text)));
    }
    if (n < 0 || n >= int64_t{0xffffffff}) {
      return fail(absl::StrCat("the index ", n, " (expected 0 to ",
                               int64_t{0xffffffff} - 1, ")"));
    }
    *out = n;
    return absl::OkStatus();
  };
  auto ind = o.find("indices");
  auto val = o.find("values");
  if (ind != o.end() || val != o.end()) {
    if (ind == o.end() || val == o.end() || o.size() != 2 ||
        !ind->second.is_array() || !val->second.is_array() ||
        ind->second.AsArray().size() != val->second.AsArray().size()) {
      return fail(
          "an object with 'indices' or 'values' that is not two "
          "arrays of the same length");
    }
    for (size_t i = 0; i < ind->second.AsArray().size(); ++i) {
      int64_t n = 0;
      const Value& x = ind->second.AsArray()[i];
      COVE_RETURN_IF_ERROR(index_of(x, x.ToJson(), &n));
      items.emplace_back(n, val->second.AsArray()[i]);
    }
  } else {
    for (const auto& [k, x] : o) {
      int64_t n = 0;
      COVE_RETURN_IF_ERROR(index_of(Value(k), k, &n));
      items.emplace_back(n, x);
    }
  }
  std::sort(items.begin(), items.end(),
            [](const auto& a, const auto& b) { return a.first < b.first; });
  SparseVector out;
  for (size_t i = 0; i < items.size(); ++i) {
    if (i > 0 && items[i].first == items[i - 1].first) {
      return fail(absl::StrCat("the index ", items[i].first, " twice"));
    }
    const Value& w = items[i].second;
    if (!w.is_number() || !std::isfinite(w.AsDouble()) ||
        std::fabs(w.AsDouble()) > std::numeric_limits<float>::max()) {
      return fail(
          absl::StrCat(Brief(w), " as the weight of index ", items[i].first));
    }
    out.indices.push_back(static_cast<uint32_t>(items[i].first));
    out.values.push_back(static_cast<float>(w.AsDouble()));
  }
  return Value::Sparse(std::move(out));
}

absl::StatusOr<Value> CoerceField(const FieldSchema& f, const Value& v,
                                  const std::string& where) {
  if (f.type == DataType::kFloatVector) {
    std::vector<float> data;
    data.reserve(static_cast<size_t>(std::max<int64_t>(f.dim, 0)));
    COVE_RETURN_IF_ERROR(AppendVector(v, f.dim, where, data));
    return Value::FloatVector(std::move(data));
  }
  if (f.type == DataType::kFloat16Vector ||
      f.type == DataType::kBFloat16Vector) {
    return CoerceHalfVector(f, v, where);
  }
  if (f.type == DataType::kBinaryVector) {
    return CoerceBinaryVector(f, v, where);
  }
  if (f.type == DataType::kSparseFloatVector) {
    return CoerceSparseVector(v, where);
  }
  if (f.type == DataType::kArray) {
    if (!v.is_array()) {
      return FieldError(where, absl::StrCat("expected an array of ",
                                            DataTypeName(f.element_type),
                                            ", got ", Brief(v)));
    }
    const auto& a = v.AsArray();
    if (f.max_capacity > 0 && static_cast<int64_t>(a.size()) > f.max_capacity) {
      return FieldError(
          where, absl::StrCat("the array has ", a.size(),
                              " elements (expected at most ", f.max_capacity,
                              ": the field's max_capacity)"));
    }
    Value::Array out;
    out.reserve(a.size());
    for (size_t i = 0; i < a.size(); ++i) {
      COVE_ASSIGN_OR_RETURN(Value e,
                            CoerceScalar(f.element_type, f, a[i],
                                         absl::StrCat(where, "[", i, "]")));
      out.push_back(std::move(e));
    }
    return Value(std::move(out));
  }
  return CoerceScalar(f.type, f, v, where);
}

}  // namespace

std::string Brief(const Value& v) {
  std::string text =
      v.is_float_vector()
          ? absl::StrCat("a vector of ", v.AsFloatVector().size())
          : v.ToJson();
  if (text.size() > 40) text = text.substr(0, 37) + "...";
  return text;
}

std::string Brief(const std::string& s) {
  std::string text = s.size() > 40 ? s.substr(0, 37) + "..." : s;
  return absl::StrCat("'", text, "'");
}

absl::Status AppendVector(const Value& v, int64_t dim, const std::string& where,
                          std::vector<float>& out) {
  auto fail = [&](const std::string& got) {
    return FieldError(where, absl::StrCat("expected a vector of ", dim,
                                          " finite numbers, got ", got));
  };
  if (v.is_float_vector()) {
    const auto& fv = v.AsFloatVector();
    if (static_cast<int64_t>(fv.size()) != dim) {
      return fail(absl::StrCat(fv.size(), " numbers"));
    }
    for (float x : fv) {
      if (!std::isfinite(x)) return fail("a non-finite number");
    }
    out.insert(out.end(), fv.begin(), fv.end());
    return absl::OkStatus();
  }
  if (!v.is_array()) return fail(Brief(v));
  const auto& a = v.AsArray();
  if (static_cast<int64_t>(a.size()) != dim) {
    return fail(absl::StrCat(a.size(), " numbers"));
  }
  for (size_t i = 0; i < a.size(); ++i) {
    if (!a[i].is_number() || !std::isfinite(a[i].AsDouble()) ||
        std::fabs(a[i].AsDouble()) > std::numeric_limits<float>::max()) {
      return fail(absl::StrCat(Brief(a[i]), " at index ", i));
    }
    out.push_back(static_cast<float>(a[i].AsDouble()));
  }
  return absl::OkStatus();
}

std::string FieldNames(const CollectionSchema& schema) {
  std::vector<std::string> names;
  for (const FieldSchema& f : schema.fields) names.push_back(f.name);
  return absl::StrJoin(names, ", ");
}

bool IsRequired(const FieldSchema& f) {
  if (f.is_primary_key) return !f.auto_id;
  if (f.is_function_output) return false;  // filled by its function
  return !f.nullable && !f.default_value.has_value();
}

// ---- values and JSON -----------------------------------------------------

absl::StatusOr<Value> ValueFromJson(const Json& j, const std::string& where) {
  // Iterative depth check first, so that the recursion below is bounded.
  struct Frame {
    const Json* j;
    int depth;
  };
  std::vector<Frame> stack = {{&j, 0}};
  while (!stack.empty()) {
    Frame f = stack.back();
    stack.pop_back();
    if (!f.j->is_structured()) continue;
    if (f.depth >= Value::kMaxJsonDepth) {
      return FieldError(
          where,
          absl::StrCat("JSON nested too deeply (expected at "
                       "most ",
                       Value::kMaxJsonDepth, " levels of arrays and objects)"));
    }
    for (const Json& child : *f.j) stack.push_back({&child, f.depth + 1});
  }
  return internal::ValueFromNlohmann(j);
}

absl::StatusOr<Value> ParseJsonValue(std::string_view text,
                                     const std::string& where) {
  Json j;
  try {
    j = Json::parse(text.begin(), text.end());
  } catch (const std::exception& e) {
    std::string m = JsonError(e);
    if (text.find('\n') == std::string_view::npos) {
      // One line (a JSON lines row, a flag): the line is in `where`.
      m = absl::StrReplaceAll(m, {{"at line 1, column", "at column"}});
    }
    return FieldError(where, absl::StrCat("invalid JSON: ", m));
  }
  return ValueFromJson(j, where);
}

double ShortestDouble(float f) {
  if (!std::isfinite(f)) return static_cast<double>(f);
  char buf[64];
  auto r = std::to_chars(buf, buf + sizeof(buf) - 1, f);
  *r.ptr = '\0';
  return std::strtod(buf, nullptr);
}

Json ValueToJson(const Value& v, bool float32) {
  switch (v.kind()) {
    case Value::Kind::kNull:
      return nullptr;
    case Value::Kind::kBool:
      return v.AsBool();
    case Value::Kind::kInt:
      return v.AsInt();
    case Value::Kind::kDouble: {
      double d = v.AsDouble();
      if (!std::isfinite(d)) return nullptr;
      return float32 ? ShortestDouble(static_cast<float>(d)) : d;
    }
    case Value::Kind::kString:
      return v.AsString();
    case Value::Kind::kArray: {
      Json out = Json::array();
      for (const Value& e : v.AsArray()) out.push_back(ValueToJson(e, float32));
      return out;
    }
    case Value::Kind::kObject: {
      Json out = Json::object();
      for (const auto& [k, e] : v.AsObject()) out[k] = ValueToJson(e, false);
      return out;
    }
    case Value::Kind::kFloatVector: {
      Json out = Json::array();
      for (float f : v.AsFloatVector()) {
        out.push_back(std::isfinite(f) ? Json(ShortestDouble(f))
                                       : Json(nullptr));
      }
      return out;
    }
    case Value::Kind::kFloat16Vector:
    case Value::Kind::kBFloat16Vector:
    case Value::Kind::kBinaryVector:
    case Value::Kind::kSparseVector:
      // As the library prints them (Value::ToJson).
      return Json::parse(v.ToJson());
  }
  return nullptr;
}

Json RowToJson(const Row& row, const CollectionSchema* schema) {
  Json out = Json::object();
  std::set<std::string> done;
  if (schema != nullptr) {
    for (const FieldSchema& f : schema->fields) {
      auto it = row.find(f.name);
      if (it == row.end()) continue;
      const bool f32 =
          f.type == DataType::kFloat ||
          (f.type == DataType::kArray && f.element_type == DataType::kFloat);
      out[f.name] = ValueToJson(it->second, f32);
      done.insert(f.name);
    }
  }
  for (const auto& [k, v] : row) {
    if (done.count(k) == 0) out[k] = ValueToJson(v);
  }
  return out;
}

Json Abbreviate(const Json& value) {
  if (value.is_array() && value.size() > 8) {
    Json head = Json::array();
    for (size_t i = 0; i < 4; ++i) head.push_back(value[i]);
    head.push_back(absl::StrCat("...(", value.size(), ")"));
    return head;
  }
  return value;
}

// ---- schemas -------------------------------------------------------------

absl::StatusOr<DataType> ParseDataType(const std::string& text,
                                       const std::string& where) {
  static const DataType kTypes[] = {DataType::kBool,
                                    DataType::kInt8,
                                    DataType::kInt16,
                                    DataType::kInt32,
                                    DataType::kInt64,
                                    DataType::kFloat,
                                    DataType::kDouble,
                                    DataType::kVarChar,
                                    DataType::kArray,
                                    DataType::kJson,
                                    DataType::kFloatVector,
                                    DataType::kFloat16Vector,
                                    DataType::kBFloat16Vector,
                                    DataType::kBinaryVector,
                                    DataType::kSparseFloatVector};
  std::vector<std::string> names;
  for (DataType t : kTypes) {
    if (Upper(text) == DataTypeName(t)) return t;
    names.push_back(DataTypeName(t));
  }
  return FieldError(
      where, absl::StrCat("expected a field type (", absl::StrJoin(names, ", "),
                          "), got ", Brief(text)));
}

absl::StatusOr<MetricType> ParseMetricType(const std::string& text,
                                           const std::string& where) {
  std::vector<std::string> names;
  for (MetricType m :
       {MetricType::kL2, MetricType::kIP, MetricType::kCosine,
        MetricType::kHamming, MetricType::kJaccard, MetricType::kSubstructure,
        MetricType::kSuperstructure, MetricType::kBM25}) {
    if (Upper(text) == MetricTypeName(m)) return m;
    names.push_back(MetricTypeName(m));
  }
  return FieldError(
      where, absl::StrCat("expected a metric (", absl::StrJoin(names, ", "),
                          "), got ", Brief(text)));
}

namespace {

// STL_SORT, Trie, BITMAP, INVERTED: indexes of scalar fields.
bool IsScalarIndex(IndexType t) {
  return t == IndexType::kStlSort || t == IndexType::kTrie ||
         t == IndexType::kBitmap || t == IndexType::kInverted;
}

}  // namespace

absl::StatusOr<IndexType> ParseIndexType(const std::string& text,
                                         const std::string& where) {
  std::vector<std::string> names;
  for (IndexType t :
       {IndexType::kFlat, IndexType::kIvfFlat, IndexType::kIvfSq8,
        IndexType::kIvfPq, IndexType::kScann, IndexType::kDiskAnn,
        IndexType::kHnsw, IndexType::kHnswSq, IndexType::kAutoIndex,
        IndexType::kSparseInvertedIndex, IndexType::kSparseWand,
        IndexType::kStlSort, IndexType::kTrie, IndexType::kBitmap,
        IndexType::kInverted, IndexType::kBinFlat, IndexType::kBinIvfFlat}) {
    // Milvus spells one of them "Trie".
    if (absl::EqualsIgnoreCase(text, IndexTypeName(t))) return t;
    names.push_back(IndexTypeName(t));
  }
  return FieldError(
      where, absl::StrCat("expected an index type (",
                          absl::StrJoin(names, ", "), "), got ", Brief(text)));
}

const char* LoadStateName(LoadState state) {
  switch (state) {
    case LoadState::kNotExist:
      return "NotExist";
    case LoadState::kNotLoaded:
      return "NotLoaded";
    case LoadState::kLoading:
      return "Loading";
    case LoadState::kLoaded:
      return "Loaded";
  }
  return "NotExist";
}

Json FieldToJson(const FieldSchema& f) {
  Json j;
  j["name"] = f.name;
  j["type"] = DataTypeName(f.type);
  j["description"] = f.description;
  j["is_primary_key"] = f.is_primary_key;
  j["auto_id"] = f.auto_id;
  j["max_length"] = f.max_length;
  j["dim"] = f.dim;
  j["element_type"] = f.element_type == DataType::kNone
                          ? Json(nullptr)
                          : Json(DataTypeName(f.element_type));
  j["max_capacity"] = f.max_capacity;
  j["nullable"] = f.nullable;
  j["default_value"] =
      f.default_value.has_value()
          ? ValueToJson(*f.default_value, f.type == DataType::kFloat)
          : Json(nullptr);
  j["is_partition_key"] = f.is_partition_key;
  j["is_clustering_key"] = f.is_clustering_key;
  j["enable_analyzer"] = f.enable_analyzer;
  // Milvus keeps analyzer_params as JSON text; a schema file shows the
  // object itself (text that is not a JSON object stays a string).
  j["analyzer_params"] = nullptr;
  if (!f.analyzer_params.empty()) {
    Json params = Json::parse(f.analyzer_params, nullptr,
                              /*allow_exceptions=*/false);
    j["analyzer_params"] =
        params.is_object() ? std::move(params) : Json(f.analyzer_params);
  }
  j["enable_match"] = f.enable_match;
  j["is_function_output"] = f.is_function_output;
  Json props = Json::object();
  for (const auto& [k, v] : f.properties) props[k] = v;
  j["properties"] = std::move(props);
  return j;
}

Json FunctionToJson(const FunctionSchema& f) {
  Json j;
  j["name"] = f.name;
  j["description"] = f.description;
  j["type"] = f.type == FunctionType::kBM25 ? Json("BM25") : Json(nullptr);
  j["input_field_names"] = f.input_field_names;
  j["output_field_names"] = f.output_field_names;
  Json params = Json::object();
  for (const auto& [k, v] : f.params) params[k] = v;
  j["params"] = std::move(params);
  return j;
}

Json IndexToJson(const IndexDescription& d) {
  Json j;
  j["index_name"] = d.index_name;
  j["field_name"] = d.field_name;
  j["index_type"] = IndexTypeName(d.index_type);
  // Scalar indexes have no metric (Milvus describes none either).
  if (!IsScalarIndex(d.index_type)) {
    j["metric_type"] = MetricTypeName(d.metric_type);
  }
  Json params = Json::object();
  for (const auto& [k, v] : d.params) params[k] = v;
  j["params"] = std::move(params);
  Json props = Json::object();
  for (const auto& [k, v] : d.properties) props[k] = v;
  j["properties"] = std::move(props);
  j["indexed_rows"] = d.indexed_rows;
  j["total_rows"] = d.total_rows;
  j["state"] = d.state;
  return j;
}

Json CollectionToJson(const CollectionDescription& d,
                      const std::vector<IndexDescription>* indexes,
                      std::optional<LoadState> load_state) {
  Json j;
  j["name"] = d.name;
  j["collection_id"] = d.collection_id;
  j["description"] = d.schema.description;
  j["fields"] = Json::array();
  for (const FieldSchema& f : d.schema.fields) {
    j["fields"].push_back(FieldToJson(f));
  }
  j["functions"] = Json::array();
  for (const FunctionSchema& f : d.schema.functions) {
    j["functions"].push_back(FunctionToJson(f));
  }
  j["num_partitions"] = d.schema.num_partitions;
  j["enable_dynamic_field"] = d.schema.enable_dynamic_field;
  j["consistency_level"] = ConsistencyLevelName(d.schema.consistency_level);
  Json props = Json::object();
  for (const auto& [k, v] : d.schema.properties) props[k] = v;
  j["properties"] = std::move(props);
  j["aliases"] = d.aliases;
  j["partitions"] = d.partitions;
  j["created_timestamp"] = d.created_timestamp;
  j["num_shards"] = d.num_shards;
  if (indexes != nullptr) {
    j["indexes"] = Json::array();
    for (const IndexDescription& i : *indexes) {
      j["indexes"].push_back(IndexToJson(i));
    }
  }
  if (load_state.has_value()) j["load_state"] = LoadStateName(*load_state);
  return j;
}

namespace {

// JSON text for a message, cut at 40 characters.
std::string BriefJson(const Json& j) {
  std::string text = j.dump();
  if (text.size() > 40) text = text.substr(0, 37) + "...";
  return text;
}

// Reads the keys of a JSON object: each known key once; Finish() refuses
// the keys that were not read (except `ignored` ones).
class ObjectReader {
 public:
  ObjectReader(const Json& j, std::string where)
      : j_(j), where_(std::move(where)) {}

  const Json* Get(const std::string& key) {
    read_.insert(key);
    auto it = j_.find(key);
    if (it == j_.end() || it->is_null()) return nullptr;
    return &*it;
  }
  absl::StatusOr<std::string> String(const std::string& key,
                                     std::string fallback = "") {
    const Json* v = Get(key);
    if (v == nullptr) return fallback;
    if (!v->is_string()) return FieldError(At(key), "expected a string");
    return v->get<std::string>();
  }
  absl::StatusOr<bool> Bool(const std::string& key) {
    const Json* v = Get(key);
    if (v == nullptr) return false;
    if (!v->is_boolean()) return FieldError(At(key), "expected true or false");
    return v->get<bool>();
  }
  absl::StatusOr<int64_t> Int(const std::string& key) {
    const Json* v = Get(key);
    if (v == nullptr) return 0;
    if (!v->is_number_integer()) {
      return FieldError(At(key),
                        absl::StrCat("expected an integer, got ", v->dump()));
    }
    return v->get<int64_t>();
  }
  absl::StatusOr<std::map<std::string, std::string>> StringMap(
      const std::string& key) {
    std::map<std::string, std::string> out;
    const Json* v = Get(key);
    if (v == nullptr) return out;
    if (!v->is_object()) return FieldError(At(key), "expected an object");
    for (auto it = v->begin(); it != v->end(); ++it) {
      if (it->is_string()) {
        out[it.key()] = it->get<std::string>();
      } else if (it->is_number() || it->is_boolean()) {
        out[it.key()] = it->dump();
      } else {
        return FieldError(At(key + "." + it.key()),
                          "expected a string or a number");
      }
    }
    return out;
  }
  absl::StatusOr<std::vector<std::string>> StringList(const std::string& key) {
    std::vector<std::string> out;
    const Json* v = Get(key);
    if (v == nullptr) return out;
    if (!v->is_array()) {
      return FieldError(
          At(key),
          absl::StrCat("expected an array of strings, got ", BriefJson(*v)));
    }
    for (size_t i = 0; i < v->size(); ++i) {
      if (!(*v)[i].is_string()) {
        return FieldError(
            absl::StrCat(At(key), "[", i, "]"),
            absl::StrCat("expected a string, got ", BriefJson((*v)[i])));
      }
      out.push_back((*v)[i].get<std::string>());
    }
    return out;
  }
  void Ignore(std::initializer_list<const char*> keys) {
    for (const char* k : keys) read_.insert(k);
  }
  absl::Status Finish() {
    for (auto it = j_.begin(); it != j_.end(); ++it) {
      if (read_.count(it.key()) == 0) {
        return FieldError(At(it.key()), "unknown key (not supported)");
      }
    }
    return absl::OkStatus();
  }
  std::string At(const std::string& key) const {
    return absl::StrCat(where_, ": ", key);
  }

 private:
  const Json& j_;
  std::string where_;
  std::set<std::string> read_;
};

}  // namespace

absl::StatusOr<SchemaFile> ParseSchemaJson(std::string_view text,
                                           const std::string& where) {
  Json j;
  try {
    j = Json::parse(text.begin(), text.end());
  } catch (const std::exception& e) {
    return FieldError(where, absl::StrCat("invalid JSON: ", JsonError(e)));
  }
  if (!j.is_object())
    return FieldError(where, "expected a JSON object (a schema)");
  SchemaFile out;
  ObjectReader top(j, where);
  top.Ignore({"name", "collection_id", "aliases", "partitions",
              "created_timestamp", "num_shards", "load_state"});
  COVE_ASSIGN_OR_RETURN(out.schema.description, top.String("description"));
  COVE_ASSIGN_OR_RETURN(out.schema.enable_dynamic_field,
                        top.Bool("enable_dynamic_field"));
  COVE_ASSIGN_OR_RETURN(std::string level,
                        top.String("consistency_level", "Strong"));
  bool level_ok = false;
  for (ConsistencyLevel l :
       {ConsistencyLevel::kStrong, ConsistencyLevel::kSession,
        ConsistencyLevel::kBounded, ConsistencyLevel::kEventually,
        ConsistencyLevel::kCustomized}) {
    if (absl::EqualsIgnoreCase(level, ConsistencyLevelName(l))) {
      out.schema.consistency_level = l;
      level_ok = true;
    }
  }
  if (!level_ok) {
    return FieldError(
        top.At("consistency_level"),
        absl::StrCat("expected Strong, Session, Bounded, Eventually or "
                     "Customized, got ",
                     Brief(level)));
  }
  COVE_ASSIGN_OR_RETURN(out.schema.properties, top.StringMap("properties"));
  const Json* fields = top.Get("fields");
  if (fields == nullptr || !fields->is_array() || fields->empty()) {
    return FieldError(top.At("fields"), "expected a non-empty array of fields");
  }
  for (size_t i = 0; i < fields->size(); ++i) {
    const Json& fj = (*fields)[i];
    const std::string fw = absl::StrCat(where, ": fields[", i, "]");
    if (!fj.is_object()) return FieldError(fw, "expected an object");
    ObjectReader r(fj, fw);
    FieldSchema f;
    COVE_ASSIGN_OR_RETURN(f.name, r.String("name"));
    if (f.name.empty()) return FieldError(r.At("name"), "missing");
    COVE_ASSIGN_OR_RETURN(std::string type, r.String("type"));
    COVE_ASSIGN_OR_RETURN(f.type, ParseDataType(type, r.At("type")));
    COVE_ASSIGN_OR_RETURN(f.description, r.String("description"));
    COVE_ASSIGN_OR_RETURN(f.is_primary_key, r.Bool("is_primary_key"));
    COVE_ASSIGN_OR_RETURN(f.auto_id, r.Bool("auto_id"));
    COVE_ASSIGN_OR_RETURN(f.max_length, r.Int("max_length"));
    COVE_ASSIGN_OR_RETURN(f.dim, r.Int("dim"));
    COVE_ASSIGN_OR_RETURN(std::string element, r.String("element_type"));
    if (!element.empty() && Upper(element) != "NONE") {
      COVE_ASSIGN_OR_RETURN(f.element_type,
                            ParseDataType(element, r.At("element_type")));
    }
    COVE_ASSIGN_OR_RETURN(f.max_capacity, r.Int("max_capacity"));
    COVE_ASSIGN_OR_RETURN(f.nullable, r.Bool("nullable"));
    if (const Json* d = r.Get("default_value"); d != nullptr) {
      COVE_ASSIGN_OR_RETURN(Value dv, ValueFromJson(*d, r.At("default_value")));
      COVE_ASSIGN_OR_RETURN(f.default_value,
                            CoerceField(f, dv, r.At("default_value")));
    }
    COVE_ASSIGN_OR_RETURN(f.is_partition_key, r.Bool("is_partition_key"));
    COVE_ASSIGN_OR_RETURN(f.is_clustering_key, r.Bool("is_clustering_key"));
    COVE_ASSIGN_OR_RETURN(f.enable_analyzer, r.Bool("enable_analyzer"));
    if (const Json* a = r.Get("analyzer_params"); a != nullptr) {
      if (a->is_object()) {
        f.analyzer_params = a->dump();
      } else if (a->is_string()) {
        f.analyzer_params = a->get<std::string>();
      } else {
        return FieldError(r.At("analyzer_params"),
                          absl::StrCat("expected an object (Milvus' analyzer "
                                       "params), got ",
                                       BriefJson(*a)));
      }
    }
    COVE_ASSIGN_OR_RETURN(f.enable_match, r.Bool("enable_match"));
    COVE_ASSIGN_OR_RETURN(f.is_function_output, r.Bool("is_function_output"));
    COVE_ASSIGN_OR_RETURN(f.properties, r.StringMap("properties"));
    COVE_RETURN_IF_ERROR(r.Finish());
    out.schema.fields.push_back(std::move(f));
  }
  COVE_ASSIGN_OR_RETURN(out.schema.num_partitions, top.Int("num_partitions"));
  if (const Json* functions = top.Get("functions"); functions != nullptr) {
    if (!functions->is_array()) {
      return FieldError(top.At("functions"), "expected an array of functions");
    }
    for (size_t i = 0; i < functions->size(); ++i) {
      const Json& fj = (*functions)[i];
      const std::string fw = absl::StrCat(where, ": functions[", i, "]");
      if (!fj.is_object()) return FieldError(fw, "expected an object");
      ObjectReader r(fj, fw);
      FunctionSchema fn;
      COVE_ASSIGN_OR_RETURN(fn.name, r.String("name"));
      if (fn.name.empty()) return FieldError(r.At("name"), "missing");
      COVE_ASSIGN_OR_RETURN(fn.description, r.String("description"));
      COVE_ASSIGN_OR_RETURN(std::string type, r.String("type"));
      if (!absl::EqualsIgnoreCase(type, "BM25")) {
        return FieldError(
            r.At("type"),
            absl::StrCat("expected BM25 (the one function type cove "
                         "runs), got ",
                         Brief(type)));
      }
      fn.type = FunctionType::kBM25;
      COVE_ASSIGN_OR_RETURN(fn.input_field_names,
                            r.StringList("input_field_names"));
      COVE_ASSIGN_OR_RETURN(fn.output_field_names,
                            r.StringList("output_field_names"));
      COVE_ASSIGN_OR_RETURN(fn.params, r.StringMap("params"));
      COVE_RETURN_IF_ERROR(r.Finish());
      out.schema.functions.push_back(std::move(fn));
    }
  }
  if (const Json* indexes = top.Get("indexes"); indexes != nullptr) {
    if (!indexes->is_array())
      return FieldError(top.At("indexes"), "expected an array");
    for (size_t i = 0; i < indexes->size(); ++i) {
      const Json& ij = (*indexes)[i];
      const std::string iw = absl::StrCat(where, ": indexes[", i, "]");
      if (!ij.is_object()) return FieldError(iw, "expected an object");
      ObjectReader r(ij, iw);
      r.Ignore({"indexed_rows", "total_rows", "state"});
      IndexSpec spec;
      COVE_ASSIGN_OR_RETURN(spec.field_name, r.String("field_name"));
      if (spec.field_name.empty())
        return FieldError(r.At("field_name"), "missing");
      COVE_ASSIGN_OR_RETURN(spec.index_name, r.String("index_name"));
      COVE_ASSIGN_OR_RETURN(std::string type,
                            r.String("index_type", "AUTOINDEX"));
      COVE_ASSIGN_OR_RETURN(spec.index_type,
                            ParseIndexType(type, r.At("index_type")));
      if (IsScalarIndex(spec.index_type)) {
        if (r.Get("metric_type") != nullptr) {
          return FieldError(
              r.At("metric_type"),
              absl::StrCat("a ", IndexTypeName(spec.index_type),
                           " index has no metric (expected none)"));
        }
      } else {
        COVE_ASSIGN_OR_RETURN(std::string metric,
                              r.String("metric_type", "COSINE"));
        COVE_ASSIGN_OR_RETURN(spec.metric_type,
                              ParseMetricType(metric, r.At("metric_type")));
      }
      COVE_ASSIGN_OR_RETURN(spec.params, r.StringMap("params"));
      COVE_ASSIGN_OR_RETURN(auto props, r.StringMap("properties"));
      if (!props.empty()) {
        return FieldError(
            r.At("properties"),
            "index properties cannot be set at creation (expected an "
            "empty object)");
      }
      COVE_RETURN_IF_ERROR(r.Finish());
      out.indexes.push_back(std::move(spec));
    }
  }
  COVE_RETURN_IF_ERROR(top.Finish());
  return out;
}

// ---- rows ----------------------------------------------------------------

const FieldSchema* PrimaryField(const CollectionSchema& schema) {
  for (const FieldSchema& f : schema.fields) {
    if (f.is_primary_key) return &f;
  }
  return nullptr;
}

bool IsVectorType(DataType type) {
  return type == DataType::kFloatVector || type == DataType::kFloat16Vector ||
         type == DataType::kBFloat16Vector || type == DataType::kBinaryVector ||
         type == DataType::kSparseFloatVector;
}

absl::Status AddQueryVectors(const FieldSchema& f, const Value& v,
                             const std::string& where, SearchRequest* req) {
  // One vector, or an array of them: a sparse vector is an object, the
  // others arrays of numbers (or typed vectors, read from a row).
  const bool sparse = f.type == DataType::kSparseFloatVector;
  if (v.is_array() && v.AsArray().empty()) {
    return FieldError(where,
                      "expected a vector or an array of vectors, got []");
  }
  const bool many = v.is_array() && (sparse || !v.AsArray()[0].is_number());
  const std::vector<Value> queries = many ? v.AsArray() : std::vector<Value>{v};
  req->dim = sparse ? 0 : static_cast<size_t>(f.dim);
  for (size_t i = 0; i < queries.size(); ++i) {
    const std::string at =
        many ? absl::StrCat(where, ": vector ", i + 1) : where;
    COVE_ASSIGN_OR_RETURN(Value q, CoerceField(f, queries[i], at));
    switch (f.type) {
      case DataType::kFloatVector:
        req->vectors.insert(req->vectors.end(), q.AsFloatVector().begin(),
                            q.AsFloatVector().end());
        break;
      case DataType::kSparseFloatVector:
        req->sparse_vectors.push_back(q.AsSparseVector());
        break;
      default:
        req->vector_values.push_back(std::move(q));
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<const FieldSchema*> VectorField(const CollectionSchema& schema,
                                               const std::string& name,
                                               const std::string& flag) {
  std::vector<const FieldSchema*> vectors;
  for (const FieldSchema& f : schema.fields) {
    if (IsVectorType(f.type)) vectors.push_back(&f);
  }
  std::vector<std::string> names;
  for (const FieldSchema* f : vectors) names.push_back(f->name);
  if (!name.empty()) {
    for (const FieldSchema* f : vectors) {
      if (f->name == name) return f;
    }
    return FieldError(flag,
                      absl::StrCat("no vector field '", name,
                                   "' in the collection (its vector fields: ",
                                   absl::StrJoin(names, ", "), ")"));
  }
  if (vectors.empty()) {
    return FieldError(flag, "the collection has no vector field");
  }
  if (vectors.size() > 1) {
    return FieldError(
        flag,
        absl::StrCat("the collection has several vector fields (",
                     absl::StrJoin(names, ", "), "): name one with ", flag));
  }
  return vectors[0];
}

absl::Status CoerceRow(const CollectionSchema& schema, Row& row,
                       const std::string& where) {
  // "$meta" holds dynamic fields as an object: merged into the row.
  if (auto meta = row.find("$meta"); meta != row.end()) {
    Value m = meta->second;
    row.erase(meta);
    if (!m.is_object()) {
      return FieldError(where, absl::StrCat("$meta: expected a JSON object of "
                                            "dynamic fields, got ",
                                            Brief(m)));
    }
    for (const auto& [k, v] : m.AsObject()) {
      if (!row.emplace(k, v).second) {
        return FieldError(where, absl::StrCat("$meta: key '", k,
                                              "' is also a column of the row"));
      }
    }
  }
  for (auto& [key, value] : row) {
    const FieldSchema* f = nullptr;
    for (const FieldSchema& s : schema.fields) {
      if (s.name == key) f = &s;
    }
    const std::string fw = absl::StrCat(where, ": field '", key, "'");
    if (f == nullptr) {
      if (!schema.enable_dynamic_field) {
        return FieldError(
            fw, absl::StrCat("not a field of the collection (its "
                             "fields: ",
                             FieldNames(schema), "; it has no dynamic field)"));
      }
      if (value.is_float_vector()) value = Value(value.ToJson());
      continue;
    }
    if (f->is_primary_key && f->auto_id) {
      return FieldError(
          fw,
          "the primary key is auto_id (the server assigns it): remove "
          "it from the input");
    }
    if (f->is_function_output) {
      return FieldError(
          fw,
          "the field is a function's output (filled from its input at "
          "insert): remove it from the input");
    }
    if (value.is_null()) {
      if (f->nullable || f->default_value.has_value()) continue;
      return FieldError(
          fw, "is null (the field is not nullable and has no default)");
    }
    COVE_ASSIGN_OR_RETURN(value, CoerceField(*f, value, fw));
  }
  for (const FieldSchema& f : schema.fields) {
    if (IsRequired(f) && row.count(f.name) == 0) {
      return FieldError(
          where, absl::StrCat(f.is_primary_key ? "missing the primary key '"
                                               : "missing field '",
                              f.name, "' (", DataTypeName(f.type), ")"));
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<Value> ParseKey(const FieldSchema& pk, const std::string& text,
                               const std::string& flag) {
  if (pk.type == DataType::kVarChar) return Value(text);
  int64_t id = 0;
  if (!absl::SimpleAtoi(Sv(text), &id)) {
    return FieldError(
        flag,
        absl::StrCat("expected an integer primary key ('", pk.name, "' is ",
                     DataTypeName(pk.type), "), got ", Brief(text)));
  }
  return Value(id);
}

absl::StatusOr<std::map<std::string, Value>> ParseParams(
    const std::vector<std::string>& items, const std::string& flag) {
  std::map<std::string, Value> out;
  for (const std::string& item : items) {
    size_t eq = item.find('=');
    if (eq == std::string::npos || eq == 0) {
      return FieldError(flag,
                        absl::StrCat("expected KEY=VALUE, got ", Brief(item)));
    }
    std::string key = item.substr(0, eq);
    std::string text = item.substr(eq + 1);
    int64_t i = 0;
    double d = 0;
    if (absl::SimpleAtoi(Sv(text), &i)) {
      out[key] = Value(i);
    } else if (absl::SimpleAtod(Sv(text), &d) && std::isfinite(d)) {
      out[key] = Value(d);
    } else if (text == "true" || text == "false") {
      out[key] = Value(text == "true");
    } else {
      out[key] = Value(text);
    }
  }
  return out;
}

absl::Status FieldError(const std::string& where, const std::string& what) {
  return absl::InvalidArgumentError(absl::StrCat(where, ": ", what));
}

}  // namespace cove::cli
