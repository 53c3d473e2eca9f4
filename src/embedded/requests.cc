// Request semantics of the embedded backend. See requests.h.
#include "embedded/requests.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <optional>
#include <set>
#include <string>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "common/utf8.h"
#include "engine/sparse/sparse.h"

namespace cove::internal {
namespace {

engine::Metric ToMetric(MetricType m) {
  switch (m) {
    case MetricType::kL2:
      return engine::Metric::kL2;
    case MetricType::kIP:
      return engine::Metric::kIP;
    case MetricType::kCosine:
      return engine::Metric::kCosine;
    case MetricType::kBM25:
      return engine::Metric::kBM25;
    case MetricType::kHamming:
      return engine::Metric::kHamming;
    case MetricType::kJaccard:
      return engine::Metric::kJaccard;
    case MetricType::kSubstructure:
      return engine::Metric::kSubstructure;
    case MetricType::kSuperstructure:
      return engine::Metric::kSuperstructure;
  }
  return engine::Metric::kL2;
}

MetricType FromMetric(engine::Metric m) {
  switch (m) {
    case engine::Metric::kL2:
      return MetricType::kL2;
    case engine::Metric::kIP:
      return MetricType::kIP;
    case engine::Metric::kCosine:
      return MetricType::kCosine;
    case engine::Metric::kBM25:
      return MetricType::kBM25;
    case engine::Metric::kHamming:
      return MetricType::kHamming;
    case engine::Metric::kJaccard:
      return MetricType::kJaccard;
    case engine::Metric::kSubstructure:
      return MetricType::kSubstructure;
    case engine::Metric::kSuperstructure:
      return MetricType::kSuperstructure;
  }
  return MetricType::kL2;
}

engine::IndexKind ToIndexKind(IndexType t) {
  switch (t) {
    case IndexType::kFlat:
      return engine::IndexKind::kFlat;
    case IndexType::kIvfFlat:
      return engine::IndexKind::kIvfFlat;
    case IndexType::kIvfSq8:
      return engine::IndexKind::kIvfSq8;
    case IndexType::kHnsw:
      return engine::IndexKind::kHnsw;
    case IndexType::kHnswSq:
      return engine::IndexKind::kHnswSq;
    case IndexType::kAutoIndex:
      return engine::IndexKind::kAutoIndex;
    case IndexType::kSparseInvertedIndex:
      return engine::IndexKind::kSparseInvertedIndex;
    case IndexType::kSparseWand:
      return engine::IndexKind::kSparseWand;
    case IndexType::kIvfPq:
      return engine::IndexKind::kIvfPq;
    case IndexType::kScann:
      return engine::IndexKind::kScann;
    case IndexType::kDiskAnn:
      return engine::IndexKind::kDiskAnn;
    case IndexType::kStlSort:
      return engine::IndexKind::kStlSort;
    case IndexType::kTrie:
      return engine::IndexKind::kTrie;
    case IndexType::kBitmap:
      return engine::IndexKind::kBitmap;
    case IndexType::kInverted:
      return engine::IndexKind::kInverted;
    case IndexType::kBinFlat:
      return engine::IndexKind::kBinFlat;
    case IndexType::kBinIvfFlat:
      return engine::IndexKind::kBinIvfFlat;
  }
  return engine::IndexKind::kAutoIndex;
}

IndexType FromIndexKind(engine::IndexKind k) {
  switch (k) {
    case engine::IndexKind::kFlat:
      return IndexType::kFlat;
    case engine::IndexKind::kIvfFlat:
      return IndexType::kIvfFlat;
    case engine::IndexKind::kIvfSq8:
      return IndexType::kIvfSq8;
    case engine::IndexKind::kHnsw:
      return IndexType::kHnsw;
    case engine::IndexKind::kHnswSq:
      return IndexType::kHnswSq;
    case engine::IndexKind::kAutoIndex:
      return IndexType::kAutoIndex;
    case engine::IndexKind::kSparseInvertedIndex:
      return IndexType::kSparseInvertedIndex;
    case engine::IndexKind::kSparseWand:
      return IndexType::kSparseWand;
    case engine::IndexKind::kIvfPq:
      return IndexType::kIvfPq;
    case engine::IndexKind::kScann:
      return IndexType::kScann;
    case engine::IndexKind::kDiskAnn:
      return IndexType::kDiskAnn;
    case engine::IndexKind::kStlSort:
      return IndexType::kStlSort;
    case engine::IndexKind::kTrie:
      return IndexType::kTrie;
    case engine::IndexKind::kBitmap:
      return IndexType::kBitmap;
    case engine::IndexKind::kInverted:
      return IndexType::kInverted;
    case engine::IndexKind::kBinFlat:
      return IndexType::kBinFlat;
    case engine::IndexKind::kBinIvfFlat:
      return IndexType::kBinIvfFlat;
  }
  return IndexType::kAutoIndex;
}

engine::FieldDef ToFieldDef(const FieldSchema& f) {
  engine::FieldDef d;
  d.name = f.name;
  d.type = static_cast<engine::DataType>(f.type);
  d.description = f.description;
  d.is_primary_key = f.is_primary_key;
  d.auto_id = f.auto_id;
  d.max_length = f.max_length;
  d.dim = f.dim;
  d.element_type = static_cast<engine::DataType>(f.element_type);
  d.max_capacity = f.max_capacity;
  d.nullable = f.nullable;
  d.default_value = f.default_value;
  d.enable_analyzer = f.enable_analyzer;
  d.analyzer_params = f.analyzer_params;
  d.enable_match = f.enable_match;
  d.is_function_output = f.is_function_output;
  return d;
}

FieldSchema FromFieldDef(const engine::FieldDef& d) {
  FieldSchema f;
  f.name = d.name;
  f.type = static_cast<DataType>(d.type);
  f.description = d.description;
  f.is_primary_key = d.is_primary_key;
  f.auto_id = d.auto_id;
  f.max_length = d.max_length;
  f.dim = d.dim;
  f.element_type = static_cast<DataType>(d.element_type);
  f.max_capacity = d.max_capacity;
  f.nullable = d.nullable;
  f.default_value = d.default_value;
  f.enable_analyzer = d.enable_analyzer;
  f.analyzer_params = d.analyzer_params;
  f.enable_match = d.enable_match;
  f.is_function_output = d.is_function_output;
  return f;
}

// A FLOAT16_VECTOR / BFLOAT16_VECTOR value of field `f` from what a row
// gives: 16-bit values of the field's type, or numbers (a float vector or a
// list) rounded to it. Every value must be finite (and in range once
// rounded).
absl::StatusOr<Value> HalfVectorValue(const engine::FieldDef& f,
                                      engine::HalfType half, const Value& v,
                                      const std::string& where) {
  const bool f16 = half == engine::HalfType::kFloat16;
  std::vector<uint16_t> bits;
  if (v.is_float16_vector() || v.is_bfloat16_vector()) {
    if (v.is_float16_vector() != f16) {
      return absl::InvalidArgumentError(
          absl::StrCat(where, ": expected ", engine::DataTypeName(f.type),
                       " (got ", Value::KindName(v.kind()), ")"));
    }
    bits = f16 ? v.AsFloat16Vector() : v.AsBFloat16Vector();
  } else if (v.is_binary_vector()) {
    // Raw bytes (pymilvus' bytes form): the values little-endian.
    const std::vector<uint8_t>& b = v.AsBinaryVector();
    if (b.size() != 2 * static_cast<size_t>(f.dim)) {
      return absl::InvalidArgumentError(absl::StrCat(
          where, ": wrong dimension (expected ", f.dim, " values in ",
          2 * f.dim, " bytes, got ", b.size(), " bytes)"));
    }
    bits.resize(b.size() / 2);
    for (size_t k = 0; k < bits.size(); ++k) {
      bits[k] = static_cast<uint16_t>(b[2 * k] | (b[2 * k + 1] << 8));
    }
  } else if (v.is_float_vector() || v.is_array()) {
    const size_t n =
        v.is_float_vector() ? v.AsFloatVector().size() : v.AsArray().size();
    bits.reserve(n);
    for (size_t k = 0; k < n; ++k) {
      double x;
      if (v.is_float_vector()) {
        x = v.AsFloatVector()[k];
      } else {
        const Value& e = v.AsArray()[k];
        if (!e.is_number()) {
          return absl::InvalidArgumentError(absl::StrCat(
              where, ": expected a list of numbers (got an element of type ",
              Value::KindName(e.kind()), ")"));
        }
        x = e.AsDouble();
      }
      bits.push_back(engine::FloatToHalf(half, static_cast<float>(x)));
    }
  } else {
    return absl::InvalidArgumentError(
        absl::StrCat(where, ": expected ", engine::DataTypeName(f.type),
                     " (got ", Value::KindName(v.kind()), ")"));
  }
  if (static_cast<int64_t>(bits.size()) != f.dim) {
    return absl::InvalidArgumentError(
        absl::StrCat(where, ": wrong dimension (expected ", f.dim, ", got ",
                     bits.size(), ")"));
  }
  for (size_t k = 0; k < bits.size(); ++k) {
    if (!std::isfinite(engine::HalfToFloat(half, bits[k]))) {
      return absl::InvalidArgumentError(
          absl::StrCat(where, ": element ", k, " is not a finite ",
                       engine::HalfTypeName(half), " number"));
    }
  }
  return f16 ? Value::Float16Vector(std::move(bits))
             : Value::BFloat16Vector(std::move(bits));
}

// A BINARY_VECTOR value of field `f` (dim bits): its dim / 8 bytes, given
// as bytes (pymilvus' form) or a list of byte values (0 to 255).
absl::StatusOr<Value> BinaryVectorValue(const engine::FieldDef& f,
                                        const Value& v,
                                        const std::string& where) {
  const size_t want = static_cast<size_t>(f.dim) / 8;
  std::vector<uint8_t> bytes;
  if (v.is_binary_vector()) {
    bytes = v.AsBinaryVector();
  } else if (v.is_array()) {
    for (const Value& e : v.AsArray()) {
      if (!e.is_int() || e.AsInt() < 0 || e.AsInt() > 255) {
        return absl::InvalidArgumentError(absl::StrCat(
            where, ": expected BINARY_VECTOR bytes (a list element is ",
            e.ToJson(), ", not a byte value 0 to 255)"));
      }
      bytes.push_back(static_cast<uint8_t>(e.AsInt()));
    }
  } else {
    return absl::InvalidArgumentError(
        absl::StrCat(where, ": expected BINARY_VECTOR bytes (got ",
                     Value::KindName(v.kind()), ")"));
  }
  if (bytes.size() != want) {
    return absl::InvalidArgumentError(
        absl::StrCat(where, ": wrong dimension (expected ", f.dim, " bits in ",
                     want, " bytes, got ", bytes.size(), " bytes)"));
  }
  return Value::BinaryVector(std::move(bytes));
}

// True when no value is NaN or infinite (exponent bits not all set): a
// loop the compiler vectorizes, for the common case of valid vectors.
bool AllFinite(const float* p, size_t n) {
  uint32_t bad = 0;
  for (size_t k = 0; k < n; ++k) {
    uint32_t bits;
    std::memcpy(&bits, p + k, sizeof(bits));
    bad |= static_cast<uint32_t>((bits & 0x7F800000u) == 0x7F800000u);
  }
  return bad == 0;
}

// A row of the request as one value per column of `c` (the schema's fields,
// then "$meta"): unknown keys become dynamic keys (or are refused), missing
// values take defaults, every value is checked against its field. The
// primary key of an auto_id collection stays null (the engine assigns it).
absl::Status NormalizeRow(const engine::Schema& schema, const Row& in,
                          size_t row_number, std::vector<Value>* out) {
  const size_t num_columns =
      schema.fields.size() + (schema.enable_dynamic_field ? 1 : 0);
  out->assign(num_columns, Value());
  Value::Object dynamic;
  for (const auto& [key, value] : in) {
    bool known = false;
    for (const auto& f : schema.fields) known |= f.name == key;
    if (known) continue;
    if (key == engine::kDynamicFieldName && schema.enable_dynamic_field &&
        value.is_object()) {
      for (const auto& [k, v] : value.AsObject()) {
        COVE_RETURN_IF_ERROR(engine::CheckJsonDepth(
            v, absl::StrCat("insert row ", row_number, ": dynamic field '", k,
                            "'")));
        dynamic[k] = v;
      }
      continue;
    }
    if (!schema.enable_dynamic_field) {
      return absl::InvalidArgumentError(
          absl::StrCat("insert row ", row_number, ": unknown field '", key,
                       "' (the collection has no dynamic field)"));
    }
    COVE_RETURN_IF_ERROR(engine::CheckJsonDepth(
        value, absl::StrCat("insert row ", row_number, ": dynamic field '", key,
                            "'")));
    dynamic[key] = value;
  }
  for (size_t i = 0; i < schema.fields.size(); ++i) {
    const engine::FieldDef& f = schema.fields[i];
    const std::string where =
        absl::StrCat("insert row ", row_number, ": field '", f.name, "'");
    auto it = in.find(f.name);
    const Value* v = it == in.end() ? nullptr : &it->second;
    if (f.is_function_output) {
      // Filled by the engine (a BM25 output), as Milvus refuses it too.
      if (v != nullptr && !v->is_null()) {
        return absl::InvalidArgumentError(absl::StrCat(
            where,
            ": unexpected function output field (the output of a BM25 "
            "function is computed at insert; do not give its values)"));
      }
      continue;
    }
    if (f.is_primary_key && f.auto_id) {
      if (v != nullptr && !v->is_null()) {
        return absl::InvalidArgumentError(absl::StrCat(
            where, ": the primary key is auto_id; do not give a value"));
      }
      continue;  // assigned by the engine
    }
    if (v == nullptr || v->is_null()) {
      if (f.default_value.has_value() && !f.default_value->is_null()) {
        (*out)[i] = *f.default_value;
        continue;
      }
      if (f.nullable) continue;
      return absl::InvalidArgumentError(absl::StrCat(
          where, " is missing (expected ", engine::DataTypeName(f.type),
          v == nullptr ? ")" : "; the field is not nullable)"));
    }
    if (f.type == engine::DataType::kFloatVector) {
      if (v->is_float_vector() &&
          static_cast<int64_t>(v->AsFloatVector().size()) == f.dim &&
          AllFinite(v->AsFloatVector().data(), v->AsFloatVector().size())) {
        (*out)[i] = *v;  // shares the floats: no copy
        continue;
      }
      std::vector<float> vec;
      if (v->is_float_vector()) {
        vec = v->AsFloatVector();
      } else if (v->is_float16_vector() || v->is_bfloat16_vector()) {
        // 16-bit values (a numpy float16 array): widened exactly.
        const engine::HalfType t = v->is_float16_vector()
                                       ? engine::HalfType::kFloat16
                                       : engine::HalfType::kBFloat16;
        for (uint16_t b : t == engine::HalfType::kFloat16
                              ? v->AsFloat16Vector()
                              : v->AsBFloat16Vector()) {
          vec.push_back(engine::HalfToFloat(t, b));
        }
      } else if (v->is_array()) {
        vec.reserve(v->AsArray().size());
        for (const Value& x : v->AsArray()) {
          if (!x.is_number()) {
            return absl::InvalidArgumentError(absl::StrCat(
                where, ": expected a list of numbers (got an element of type ",
                Value::KindName(x.kind()), ")"));
          }
          vec.push_back(static_cast<float>(x.AsDouble()));
        }
      } else {
        return absl::InvalidArgumentError(
            absl::StrCat(where, ": expected FLOAT_VECTOR (got ",
                         Value::KindName(v->kind()), ")"));
      }
      if (static_cast<int64_t>(vec.size()) != f.dim) {
        return absl::InvalidArgumentError(
            absl::StrCat(where, ": wrong dimension (expected ", f.dim, ", got ",
                         vec.size(), ")"));
      }
      for (size_t k = 0; k < vec.size(); ++k) {
        if (!std::isfinite(vec[k])) {
          return absl::InvalidArgumentError(
              absl::StrCat(where, ": element ", k,
                           " is not a finite number (got ", vec[k], ")"));
        }
      }
      (*out)[i] = Value::FloatVector(std::move(vec));
      continue;
    }
    if (const auto half = engine::HalfTypeOf(f.type)) {
      COVE_ASSIGN_OR_RETURN((*out)[i], HalfVectorValue(f, *half, *v, where));
      continue;
    }
    if (f.type == engine::DataType::kBinaryVector) {
      COVE_ASSIGN_OR_RETURN((*out)[i], BinaryVectorValue(f, *v, where));
      continue;
    }
    if (f.type == engine::DataType::kSparseFloatVector) {
      COVE_ASSIGN_OR_RETURN(SparseVector sparse,
                            engine::sparse::FromValue(*v, where));
      (*out)[i] = Value::Sparse(std::move(sparse));
      continue;
    }
    if (f.type == engine::DataType::kArray) {
      if (!v->is_array()) {
        return absl::InvalidArgumentError(absl::StrCat(
            where, ": expected ARRAY of ", engine::DataTypeName(f.element_type),
            " (got ", Value::KindName(v->kind()), ")"));
      }
      if (static_cast<int64_t>(v->AsArray().size()) > f.max_capacity) {
        return absl::InvalidArgumentError(
            absl::StrCat(where, ": ", v->AsArray().size(),
                         " elements exceed max_capacity ", f.max_capacity));
      }
      for (size_t k = 0; k < v->AsArray().size(); ++k) {
        COVE_RETURN_IF_ERROR(
            engine::CheckScalar(f, f.element_type, v->AsArray()[k],
                                absl::StrCat(where, " element ", k)));
      }
      (*out)[i] = *v;
      continue;
    }
    COVE_RETURN_IF_ERROR(engine::CheckScalar(f, f.type, *v, where));
    if (f.type == engine::DataType::kFloat) {
      (*out)[i] = Value(static_cast<double>(static_cast<float>(v->AsDouble())));
    } else if (f.type == engine::DataType::kDouble) {
      (*out)[i] = Value(v->AsDouble());
    } else {
      (*out)[i] = *v;
    }
  }
  if (schema.enable_dynamic_field) {
    (*out)[schema.fields.size()] = Value(std::move(dynamic));
  }
  return absl::OkStatus();
}

// The fields an entity shows: the primary key first, then the requested
// names ("*": every field and the dynamic keys; "$meta": the dynamic keys;
// other unknown names on a dynamic collection: one dynamic key).
absl::StatusOr<std::vector<std::string>> ResolveOutputFields(
    const engine::Collection& c, const std::vector<std::string>& requested) {
  const engine::Schema& schema = c.schema();
  std::vector<std::string> out;
  std::set<std::string> seen;
  auto add = [&](const std::string& name) {
    if (seen.insert(name).second) out.push_back(name);
  };
  add(schema.fields[c.primary_key()].name);
  for (const std::string& name : requested) {
    if (name == "*") {
      // BM25 outputs are left out, as Milvus does.
      for (const auto& f : schema.fields) {
        if (!f.is_function_output) add(f.name);
      }
      if (schema.enable_dynamic_field) add(engine::kDynamicFieldName);
      continue;
    }
    bool known =
        name == engine::kDynamicFieldName && schema.enable_dynamic_field;
    for (const auto& f : schema.fields) {
      known |= f.name == name;
      if (f.name == name && f.is_function_output) {
        // Milvus' wording, which clients match (the Node SDK's FullTextSearch
        // spec: "not allowed to retrieve raw data of field sparse").
        return absl::InvalidArgumentError(absl::StrCat(
            "output_fields: not allowed to retrieve raw data of field ", name,
            " (the output of a BM25 function)"));
      }
    }
    if (!known && !schema.enable_dynamic_field) {
      return absl::InvalidArgumentError(
          absl::StrCat("output_fields: no field '", name, "' in collection '",
                       c.name(), "'"));
    }
    add(name);  // unknown names on dynamic collections are dynamic keys
  }
  return out;
}

// The entity of a row: the fields by name, with the dynamic keys spread into
// it for "$meta" (as pymilvus shows them).
Row Entity(const engine::Collection& c, const engine::CollectionState& state,
           engine::RowRef ref, const std::vector<std::string>& fields) {
  const engine::Schema& schema = c.schema();
  Row entity;
  std::optional<Value> meta;
  if (c.dynamic_column() >= 0) {
    meta = c.ValueAt(state, ref, c.dynamic_column());
  }
  for (const std::string& name : fields) {
    if (name == engine::kDynamicFieldName) {
      if (meta.has_value() && meta->is_object()) {
        for (const auto& [k, v] : meta->AsObject()) entity.emplace(k, v);
      }
      continue;
    }
    bool found = false;
    for (size_t i = 0; i < schema.fields.size(); ++i) {
      if (schema.fields[i].name != name) continue;
      found = true;
      entity[name] = c.ValueAt(state, ref, static_cast<int>(i));
    }
    if (!found && meta.has_value()) {
      if (const Value* v = meta->Find(name)) entity[name] = *v;
    }
  }
  return entity;
}

// A parameter value as a number: numbers, or strings that spell one ("10"),
// as Milvus reads search and index parameters alike.
absl::StatusOr<double> ParamNumber(const char* what, const std::string& key,
                                   const Value& value) {
  double n = 0;
  if (value.is_number()) return value.AsDouble();
  if (value.is_string() && absl::SimpleAtod(value.AsString(), &n) &&
      std::isfinite(n)) {
    return n;
  }
  return absl::InvalidArgumentError(absl::StrCat(
      what, " '", key, "': expected a number (got ", value.ToJson(), ")"));
}

// An integer parameter in [lo, hi].
absl::StatusOr<int> ParamInt(const char* what, const std::string& key,
                             const Value& value, int64_t lo, int64_t hi) {
  COVE_ASSIGN_OR_RETURN(double n, ParamNumber(what, key, value));
  if (n != std::floor(n) || n < static_cast<double>(lo) ||
      n > static_cast<double>(hi)) {
    return absl::InvalidArgumentError(
        absl::StrCat(what, " '", key, "': expected an integer in [", lo, ", ",
                     hi, "] (got ", value.ToJson(), ")"));
  }
  return static_cast<int>(n);
}

const char* KindName(engine::IndexKind kind) {
  return IndexTypeName(FromIndexKind(kind));
}

bool IsHnsw(engine::IndexKind k) {
  return k == engine::IndexKind::kHnsw || k == engine::IndexKind::kHnswSq ||
         k == engine::IndexKind::kAutoIndex;
}
bool IsIvf(engine::IndexKind k) {
  return k == engine::IndexKind::kIvfFlat || k == engine::IndexKind::kIvfSq8 ||
         k == engine::IndexKind::kIvfPq || k == engine::IndexKind::kScann ||
         k == engine::IndexKind::kBinIvfFlat;
}

// The search parameters an index kind takes.
std::vector<std::string> SearchKeys(engine::IndexKind k) {
  std::vector<std::string> keys;
  if (IsHnsw(k)) keys.push_back("ef");
  if (IsIvf(k)) keys.push_back("nprobe");
  if (k == engine::IndexKind::kHnswSq || k == engine::IndexKind::kIvfSq8 ||
      k == engine::IndexKind::kIvfPq) {
    keys.push_back("rerank");
  }
  // SCANN's re-rank depth, by Milvus' name.
  if (k == engine::IndexKind::kScann) keys.push_back("reorder_k");
  // DISKANN's candidate list, by Milvus' name.
  if (k == engine::IndexKind::kDiskAnn) keys.push_back("search_list");
  keys.push_back("radius");
  keys.push_back("range_filter");
  return keys;
}

// The search keys of cove's other vector index types. Milvus accepts them in
// a search of any index, and an index that does not read one (HNSW and
// `nprobe`, IVF and `ef`, FLAT and both, a sparse index and `ef` or `nprobe`,
// a dense index and `drop_ratio_search`) leaves it without effect: clients
// send one set of parameters whatever the index (the Node SDK's own specs
// search an HNSW index with `nprobe`, a dense field with `drop_ratio_search`
// and a BM25 field with `nprobe`). They are accepted so, still checked as
// numbers in their ranges; any other key is refused by name.
bool IsDenseSearchKey(const std::string& key) {
  return key == "ef" || key == "nprobe";
}
absl::Status CheckSearchKeyOfAnotherIndex(const std::string& key,
                                          const Value& value) {
  if (key == "drop_ratio_search") {
    COVE_ASSIGN_OR_RETURN(double n, ParamNumber("search param", key, value));
    if (!(n >= 0 && n < 1)) {
      return absl::InvalidArgumentError(absl::StrCat(
          "search param 'drop_ratio_search': expected a number in [0, 1) "
          "(got ",
          n, ")"));
    }
    return absl::OkStatus();
  }
  return ParamInt("search param", key, value, 1, 32768).status();
}

// The build parameters an index kind takes, with their ranges (integers in
// [lo, hi]; lo = hi = kBoolean: true or false; lo = hi = kFraction: a number
// in (0, 0.25]).
struct BuildKey {
  const char* name;
  int64_t lo;
  int64_t hi;
};
constexpr int64_t kBoolean = -1;
constexpr int64_t kFraction = -2;
std::vector<BuildKey> BuildKeys(engine::IndexKind k) {
  if (IsHnsw(k)) return {{"M", 2, 1024}, {"efConstruction", 1, 65536}};
  if (k == engine::IndexKind::kIvfPq) {
    return {{"nlist", 1, 65536}, {"m", 1, 65536}, {"nbits", 1, 16}};
  }
  if (k == engine::IndexKind::kScann) {
    return {{"nlist", 1, 65536}, {"with_raw_data", kBoolean, kBoolean}};
  }
  if (k == engine::IndexKind::kDiskAnn) {
    return {{"max_degree", 1, 512},
            {"search_list_size", 1, 65536},
            {"pq_code_budget_gb_ratio", kFraction, kFraction}};
  }
  if (IsIvf(k)) return {{"nlist", 1, 65536}};
  return {};
}

std::string JoinKeys(const std::vector<std::string>& keys) {
  std::string out;
  for (const std::string& k : keys) {
    absl::StrAppend(&out, out.empty() ? "" : ", ", k);
  }
  return out.empty() ? "none" : out;
}

// The grouping part of a search (SearchRequest::group_by_field), checked as
// Milvus does.
absl::Status GroupingSpec(
    const engine::Collection& collection, const SearchRequest& request,
    const std::shared_ptr<const engine::CollectionState>& pinned,
    engine::Grouping* spec) {
  const engine::Schema& schema = collection.schema();
  int column = -1;
  for (size_t i = 0; i < schema.fields.size(); ++i) {
    if (schema.fields[i].name == request.group_by_field) {
      column = static_cast<int>(i);
    }
  }
  if (column < 0) {
    return absl::InvalidArgumentError(absl::StrCat(
        "search group_by_field: field '", ValidUtf8(request.group_by_field),
        "' does not exist in collection '", collection.name(),
        "' (dynamic keys cannot group)"));
  }
  if (pinned != nullptr || request.search_after.has_value()) {
    return absl::InvalidArgumentError(
        "search group_by_field: a grouping search cannot run in a read "
        "session (iterators do not group)");
  }
  if (request.group_size < 1 || request.group_size > kMaxTopK) {
    return absl::InvalidArgumentError(
        absl::StrCat("search group_size: expected 1 to ", kMaxTopK, " (got ",
                     request.group_size, ")"));
  }
  const int64_t groups = request.limit + request.offset;
  if (groups * request.group_size > kMaxTopK) {
    return absl::InvalidArgumentError(absl::StrCat(
        "search group_size: (offset + limit) x group_size must be at most ",
        kMaxTopK, " (got (", request.offset, " + ", request.limit, ") x ",
        request.group_size, ")"));
  }
  spec->field = column;
  spec->groups = static_cast<size_t>(groups);
  spec->group_size = static_cast<size_t>(request.group_size);
  spec->strict_group_size = request.strict_group_size;
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<std::vector<Row>> InsertRequestRows(
    const InsertRequest& request) {
  if (!request.rows.empty() && !request.columns.empty()) {
    return absl::InvalidArgumentError(
        "insert: give rows or columns, not both (got both)");
  }
  if (request.columns.empty()) return request.rows;
  const size_t n = request.columns.front().size();
  for (const Column& c : request.columns) {
    if (c.dim > 0 && c.float_vectors.size() % c.dim != 0) {
      return absl::InvalidArgumentError(
          absl::StrCat("insert column '", c.name, "': ", c.float_vectors.size(),
                       " floats is not a multiple of dim ", c.dim));
    }
    if (c.size() != n) {
      return absl::InvalidArgumentError(
          absl::StrCat("insert column '", c.name, "': wrong length (expected ",
                       n, " rows, got ", c.size(), ")"));
    }
  }
  std::vector<Row> rows(n);
  for (const Column& c : request.columns) {
    for (size_t r = 0; r < n; ++r) {
      if (c.dim > 0) {
        rows[r][c.name] = Value::FloatVector(
            std::vector<float>(c.float_vectors.begin() + r * c.dim,
                               c.float_vectors.begin() + (r + 1) * c.dim));
      } else {
        rows[r][c.name] = c.values[r];
      }
    }
  }
  return rows;
}

absl::StatusOr<std::string> CheckFieldProperty(const engine::FieldDef& f,
                                               const std::string& key,
                                               const std::string& value) {
  const std::string where =
      absl::StrCat("field '", internal::ValidUtf8(f.name), "' property '",
                   internal::ValidUtf8(key), "'");
  if (f.is_primary_key) {
    return absl::InvalidArgumentError(
        absl::StrCat(where, ": the primary key's properties cannot change"));
  }
  auto int_in = [&](int64_t lo, int64_t hi) -> absl::StatusOr<std::string> {
    int64_t n = 0;
    if (!absl::SimpleAtoi(value, &n) || n < lo || n > hi) {
      return absl::InvalidArgumentError(
          absl::StrCat(where, ": expected an integer in [", lo, ", ", hi,
                       "] (got '", internal::ValidUtf8(value), "')"));
    }
    return absl::StrCat(n);
  };
  if (key == "max_length") {
    if (f.type != engine::DataType::kVarChar &&
        !(f.type == engine::DataType::kArray &&
          f.element_type == engine::DataType::kVarChar)) {
      return absl::InvalidArgumentError(absl::StrCat(
          where,
          ": only VARCHAR fields and VARCHAR arrays have a max_length "
          "(the field is ",
          engine::DataTypeName(f.type), ")"));
    }
    return int_in(1, 65535);
  }
  if (key == "max_capacity") {
    if (f.type != engine::DataType::kArray) {
      return absl::InvalidArgumentError(
          absl::StrCat(where,
                       ": only ARRAY fields have a max_capacity (the "
                       "field is ",
                       engine::DataTypeName(f.type), ")"));
    }
    return int_in(1, 4096);
  }
  if (key == "mmap.enabled") {
    const std::string lower = absl::AsciiStrToLower(value);
    if (lower != "true" && lower != "false") {
      return absl::InvalidArgumentError(
          absl::StrCat(where, ": expected true or false (got '",
                       internal::ValidUtf8(value), "')"));
    }
    return value;  // as given, like collection and index properties
  }
  return absl::InvalidArgumentError(
      absl::StrCat(where,
                   ": not a field property cove supports (expected "
                   "max_length, max_capacity or mmap.enabled)"));
}

void ApplyFieldLimits(
    const std::map<std::string, std::map<std::string, std::string>>& props,
    engine::Schema* schema) {
  for (engine::FieldDef& f : schema->fields) {
    auto it = props.find(f.name);
    if (it == props.end()) continue;
    for (const auto& [key, value] : it->second) {
      int64_t n = 0;
      if (!absl::SimpleAtoi(value, &n)) continue;
      if (key == "max_length") f.max_length = n;
      if (key == "max_capacity") f.max_capacity = n;
    }
  }
}

void ApplyFieldProperties(
    const std::map<std::string, std::map<std::string, std::string>>& props,
    CollectionSchema* schema) {
  for (FieldSchema& f : schema->fields) {
    auto it = props.find(f.name);
    if (it == props.end()) continue;
    for (const auto& [key, value] : it->second) {
      int64_t n = 0;
      if (key == "max_length" && absl::SimpleAtoi(value, &n)) {
        f.max_length = n;
      } else if (key == "max_capacity" && absl::SimpleAtoi(value, &n)) {
        f.max_capacity = n;
      } else {
        f.properties[key] = value;
      }
    }
  }
}

engine::Schema ToEngineSchema(const CollectionSchema& schema) {
  engine::Schema out;
  out.enable_dynamic_field = schema.enable_dynamic_field;
  out.description = schema.description;
  for (const FieldSchema& f : schema.fields) {
    out.fields.push_back(ToFieldDef(f));
  }
  for (const FunctionSchema& fn : schema.functions) {
    engine::FunctionDef def;
    def.name = fn.name;
    def.description = fn.description;
    def.kind = static_cast<engine::FunctionKind>(fn.type);
    def.input_fields = fn.input_field_names;
    def.output_fields = fn.output_field_names;
    def.params = fn.params;
    // The outputs of a function are function outputs whether or not the
    // caller marked them (pymilvus does; a C++ schema need not).
    for (engine::FieldDef& f : out.fields) {
      for (const std::string& name : fn.output_field_names) {
        if (f.name == name) f.is_function_output = true;
      }
    }
    out.functions.push_back(std::move(def));
  }
  return out;
}

CollectionSchema FromEngineSchema(const engine::Schema& schema) {
  CollectionSchema out;
  out.enable_dynamic_field = schema.enable_dynamic_field;
  out.description = schema.description;
  for (const engine::FieldDef& f : schema.fields) {
    out.fields.push_back(FromFieldDef(f));
  }
  for (const engine::FunctionDef& def : schema.functions) {
    FunctionSchema fn;
    fn.name = def.name;
    fn.description = def.description;
    fn.type = static_cast<FunctionType>(def.kind);
    fn.input_field_names = def.input_fields;
    fn.output_field_names = def.output_fields;
    fn.params = def.params;
    out.functions.push_back(std::move(fn));
  }
  return out;
}

absl::StatusOr<engine::IndexDef> ToIndexDef(const IndexSpec& spec) {
  engine::IndexDef def;
  def.field_name = spec.field_name;
  def.index_name = spec.index_name;
  def.kind = ToIndexKind(spec.index_type);
  def.metric = ToMetric(spec.metric_type);
  if (engine::IsSparseIndexKind(def.kind)) {
    // drop_ratio_build (a fraction): checked by the engine with the field.
    def.params = spec.params;
    return def;
  }
  // Build parameters as Milvus checks them: every key must be one the index
  // type takes (a misspelled or foreign key is refused, not ignored), and
  // numbers may come as strings ("16").
  const std::vector<BuildKey> allowed = BuildKeys(def.kind);
  for (const auto& [key, value] : spec.params) {
    const BuildKey* known = nullptr;
    for (const BuildKey& b : allowed) {
      if (key == b.name) known = &b;
    }
    if (known == nullptr) {
      std::vector<std::string> names;
      for (const BuildKey& b : allowed) names.push_back(b.name);
      return absl::InvalidArgumentError(absl::StrCat(
          "index param '", key, "': not a parameter of ", KindName(def.kind),
          " (expected one of: ", JoinKeys(names), ")"));
    }
    if (known->lo == kFraction) {
      COVE_ASSIGN_OR_RETURN(double x,
                            ParamNumber("index param", key, Value(value)));
      if (!(x > 0 && x <= 0.25)) {
        return absl::InvalidArgumentError(absl::StrCat(
            "index param '", key, "': expected a number in (0, 0.25] (got ",
            value, ")"));
      }
      def.params[key] = absl::StrCat(x);
      continue;
    }
    if (known->lo == kBoolean) {
      const std::string lower = absl::AsciiStrToLower(value);
      if (lower != "true" && lower != "false") {
        return absl::InvalidArgumentError(
            absl::StrCat("index param '", key,
                         "': expected true or false (got '", value, "')"));
      }
      def.params[key] = lower;
      continue;
    }
    COVE_ASSIGN_OR_RETURN(int n, ParamInt("index param", key, Value(value),
                                          known->lo, known->hi));
    def.params[key] = absl::StrCat(n);
  }
  return def;
}

absl::Status CreateIndexIn(engine::Collection& collection,
                           const IndexSpec& spec) {
  // A field that has an index already: the same index again is a no-op and
  // another one is AlreadyExists, whatever its parameters (as in Milvus).
  const engine::Schema& schema = collection.schema();
  const std::vector<int>& vector_fields = collection.vector_fields();
  for (size_t f = 0; f < vector_fields.size(); ++f) {
    if (schema.fields[vector_fields[f]].name != spec.field_name) continue;
    if (!collection.IndexOf(f).has_value()) break;
    engine::IndexDef as_given;
    as_given.field_name = spec.field_name;
    as_given.index_name = spec.index_name;
    as_given.kind = ToIndexKind(spec.index_type);
    as_given.metric = ToMetric(spec.metric_type);
    as_given.params = spec.params;
    return collection.CreateIndex(as_given);
  }
  COVE_ASSIGN_OR_RETURN(engine::IndexDef def, ToIndexDef(spec));
  return collection.CreateIndex(def);
}

std::vector<IndexDescription> DescribeIndexesOf(
    const engine::Collection& collection) {
  std::vector<IndexDescription> out;
  for (const engine::IndexStatus& s : collection.DescribeIndexes()) {
    IndexDescription d;
    d.index_name = s.def.index_name;
    d.field_name = s.def.field_name;
    d.index_type = FromIndexKind(s.def.kind);
    d.metric_type = FromMetric(s.def.metric);
    d.params = s.def.params;
    d.total_rows = s.total_rows;
    // What is indexed, truly: rows of the growing segment and of sealed
    // segments whose build runs are searched exactly, so they are pending.
    d.indexed_rows = s.indexed_rows;
    d.pending_index_rows = s.total_rows - s.indexed_rows;
    d.state = d.pending_index_rows > 0 ? "InProgress" : "Finished";
    out.push_back(std::move(d));
  }
  return out;
}

absl::StatusOr<MutationResult> InsertInto(engine::Collection& collection,
                                          const InsertRequest& request,
                                          bool upsert,
                                          const engine::Schema* limits) {
  // Rows given as rows are read where they are; columns become rows.
  std::vector<Row> from_columns;
  if (!request.columns.empty()) {
    COVE_ASSIGN_OR_RETURN(from_columns, InsertRequestRows(request));
  }
  const std::vector<Row>& rows =
      request.columns.empty() ? request.rows : from_columns;
  if (rows.empty()) {
    return absl::InvalidArgumentError("insert: no rows given");
  }
  const engine::Schema& schema = collection.schema();
  // Rows are checked against the field limits in force (AlterCollectionField
  // may have changed them since the collection was created).
  const engine::Schema& checked = limits != nullptr ? *limits : schema;
  const int pk_index = collection.primary_key();
  const engine::FieldDef& pk = schema.fields[pk_index];
  const bool keep_pk = upsert && pk.auto_id;
  if (keep_pk) {
    // Milvus: upsert on auto_id collections needs the primary key given.
    for (size_t r = 0; r < rows.size(); ++r) {
      if (rows[r].find(pk.name) == rows[r].end()) {
        return absl::InvalidArgumentError(absl::StrCat(
            "upsert row ", r, ": primary key '", pk.name, "' is missing"));
      }
    }
  }
  // Validate every row before changing anything: a batch applies whole.
  std::vector<std::vector<Value>> normalized(rows.size());
  for (size_t r = 0; r < rows.size(); ++r) {
    if (!keep_pk) {
      COVE_RETURN_IF_ERROR(NormalizeRow(checked, rows[r], r, &normalized[r]));
      continue;
    }
    Row row = rows[r];
    Value upsert_pk = row[pk.name];
    row.erase(pk.name);
    COVE_RETURN_IF_ERROR(NormalizeRow(checked, row, r, &normalized[r]));
    COVE_RETURN_IF_ERROR(engine::CheckScalar(
        pk, pk.type, upsert_pk,
        absl::StrCat("upsert row ", r, ": field '", pk.name, "'")));
    normalized[r][pk_index] = upsert_pk;
  }
  COVE_ASSIGN_OR_RETURN(
      engine::WriteResult written,
      collection.Insert(std::move(normalized), request.partition_name, upsert));
  MutationResult result;
  result.count = written.count;
  result.ids = std::move(written.ids);
  return result;
}

absl::StatusOr<MutationResult> DeleteFrom(engine::Collection& collection,
                                          const DeleteRequest& request) {
  if (request.ids.empty() == request.filter.empty()) {
    return absl::InvalidArgumentError(
        "delete: give either ids or a filter (got " +
        std::string(request.ids.empty() ? "neither" : "both") + ")");
  }
  std::optional<engine::expr::CompiledFilter> filter;
  engine::DeleteSpec spec;
  if (!request.filter.empty()) {
    COVE_ASSIGN_OR_RETURN(filter, collection.CompileFilter(
                                      request.filter, request.filter_params));
    spec.filter = &*filter;
  }
  spec.ids = request.ids;
  spec.partition = request.partition_name;
  COVE_ASSIGN_OR_RETURN(engine::WriteResult written, collection.Delete(spec));
  MutationResult result;
  result.count = written.count;
  result.ids = std::move(written.ids);
  return result;
}

namespace {

// The hits of a search as results (from `offset`, with their entities).
// Grouping by field `group_by` (-1: none), the offset skips whole groups
// and every hit carries its group's value.
SearchResults ToResults(const engine::Collection& collection,
                        const engine::SearchHits& found, size_t offset,
                        const std::vector<std::string>& fields,
                        int group_by = -1) {
  SearchResults results;
  results.hits.resize(found.hits.size());
  const int pk = collection.primary_key();
  for (size_t q = 0; q < found.hits.size(); ++q) {
    const std::vector<engine::ScoredRow>& rows = found.hits[q];
    std::vector<Hit>& hits = results.hits[q];
    size_t first = offset;
    if (group_by >= 0) {
      first = 0;
      const std::vector<size_t>& sizes = found.group_sizes[q];
      for (size_t g = 0; g < sizes.size() && g < offset; ++g) {
        first += sizes[g];
      }
    }
    for (size_t i = first; i < rows.size(); ++i) {
      Hit hit;
      hit.id = collection.ValueAt(*found.state, rows[i].ref, pk);
      hit.distance = rows[i].score;
      hit.entity = Entity(collection, *found.state, rows[i].ref, fields);
      if (group_by >= 0) {
        hit.group_by_value =
            collection.ValueAt(*found.state, rows[i].ref, group_by);
      }
      hits.push_back(std::move(hit));
    }
  }
  return results;
}

// A search of sparse field `field` (a position among the sparse fields).
absl::StatusOr<SearchResults> SparseSearchIn(
    const engine::Collection& collection, const SearchRequest& request,
    size_t field, const std::optional<engine::expr::CompiledFilter>& filter,
    const std::shared_ptr<const engine::CollectionState>& pinned) {
  const engine::Schema& schema = collection.schema();
  const std::string& name =
      schema.fields[collection.sparse_fields()[field]].name;
  if (pinned != nullptr) {
    return absl::UnimplementedError(absl::StrCat(
        "search: read sessions (search iterators) over the sparse field '",
        name, "' are not supported yet"));
  }
  const bool bm25 = collection.IsBm25Field(field);
  if (bm25) {
    if (request.texts.empty() || !request.vectors.empty() ||
        !request.sparse_vectors.empty()) {
      return absl::InvalidArgumentError(absl::StrCat(
          "search data: field '", name,
          "' is the output of a BM25 function; search it with query texts "
          "(full-text search)"));
    }
  } else if (request.sparse_vectors.empty() || !request.vectors.empty() ||
             !request.texts.empty()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "search data: field '", name,
        "' is a SPARSE_FLOAT_VECTOR; give sparse query vectors",
        request.texts.empty() ? ""
                              : " (query texts need the output field of a BM25 "
                                "function)"));
  }
  engine::SparseSearchSpec spec;
  spec.field = field;
  spec.queries = request.sparse_vectors;
  spec.texts = request.texts;
  spec.k = static_cast<size_t>(request.limit + request.offset);
  if (request.metric_type.has_value()) {
    spec.metric = ToMetric(*request.metric_type);
  }
  for (const auto& [key, value] : request.params) {
    if (IsDenseSearchKey(key)) {
      COVE_RETURN_IF_ERROR(CheckSearchKeyOfAnotherIndex(key, value));
      continue;  // as Milvus: without effect on a sparse index
    }
    const bool bm25_key = key == "bm25_k1" || key == "bm25_b";
    if (key != "drop_ratio_search" && key != "radius" &&
        key != "range_filter" && !(bm25 && bm25_key)) {
      return absl::InvalidArgumentError(absl::StrCat(
          "search param '", key,
          "': not a search parameter of a sparse index (expected one of: "
          "drop_ratio_search, radius, range_filter",
          bm25 ? ", bm25_k1, bm25_b)" : ")"));
    }
    COVE_ASSIGN_OR_RETURN(double n, ParamNumber("search param", key, value));
    if (key == "drop_ratio_search") {
      spec.drop_ratio_search = n;
    } else if (key == "bm25_k1") {
      if (!(n >= 0 && n <= 3)) {
        return absl::InvalidArgumentError(absl::StrCat(
            "search param 'bm25_k1': expected 0 to 3 (got ", n, ")"));
      }
      spec.bm25_k1 = static_cast<float>(n);
    } else if (key == "bm25_b") {
      if (!(n >= 0 && n <= 1)) {
        return absl::InvalidArgumentError(absl::StrCat(
            "search param 'bm25_b': expected 0 to 1 (got ", n, ")"));
      }
      spec.bm25_b = static_cast<float>(n);
    } else {
      (key == "radius" ? spec.radius : spec.range_filter) =
          static_cast<float>(n);
    }
  }
  COVE_ASSIGN_OR_RETURN(std::vector<std::string> fields,
                        ResolveOutputFields(collection, request.output_fields));
  spec.filter = filter.has_value() ? &*filter : nullptr;
  spec.partitions = request.partition_names;
  if (!request.group_by_field.empty()) {
    COVE_RETURN_IF_ERROR(
        GroupingSpec(collection, request, pinned, &spec.grouping));
  }
  COVE_ASSIGN_OR_RETURN(engine::SearchHits found, collection.Search(spec));
  return ToResults(collection, found, static_cast<size_t>(request.offset),
                   fields, spec.grouping.field);
}

}  // namespace

// The typed query vectors of a search (SearchRequest::vector_values) of a
// FLOAT16_VECTOR / BFLOAT16_VECTOR field, widened to float32 into `out`:
// one value of the field's type and dimension per query.
absl::Status WidenQueryValues(const SearchRequest& request,
                              const engine::FieldDef& field,
                              std::vector<float>* out) {
  const std::optional<engine::HalfType> half = engine::HalfTypeOf(field.type);
  if (!half.has_value()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "search data: field '", field.name, "' is a ",
        engine::DataTypeName(field.type), "; give float32 query vectors (got ",
        Value::KindName(request.vector_values.front().kind()), " values)"));
  }
  if (!request.vectors.empty()) {
    return absl::InvalidArgumentError(
        "search data: give float32 vectors or typed vector values, not both");
  }
  const bool f16 = *half == engine::HalfType::kFloat16;
  const size_t dim = static_cast<size_t>(field.dim);
  out->reserve(request.vector_values.size() * dim);
  for (size_t q = 0; q < request.vector_values.size(); ++q) {
    const Value& v = request.vector_values[q];
    if (f16 ? !v.is_float16_vector() : !v.is_bfloat16_vector()) {
      return absl::InvalidArgumentError(
          absl::StrCat("search data: query ", q, ": expected ",
                       engine::DataTypeName(field.type), " for field '",
                       field.name, "' (got ", Value::KindName(v.kind()), ")"));
    }
    const std::vector<uint16_t>& bits =
        f16 ? v.AsFloat16Vector() : v.AsBFloat16Vector();
    if (bits.size() != dim) {
      return absl::InvalidArgumentError(absl::StrCat(
          "search vectors: wrong dimension for field '", field.name,
          "' (expected ", dim, ", got ", bits.size(), " in query ", q, ")"));
    }
    for (uint16_t b : bits) out->push_back(engine::HalfToFloat(*half, b));
  }
  return absl::OkStatus();
}

// The query codes of a search of a BINARY_VECTOR field: one
// Value::BinaryVector of dim / 8 bytes per query (SearchRequest::
// vector_values), packed into float32 slots zero-padded as the engine stores
// rows ((dim / 8 + 3) / 4 slots per query).
absl::Status PackBinaryQueries(const SearchRequest& request,
                               const engine::FieldDef& field,
                               std::vector<float>* out) {
  if (request.vector_values.empty()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "search data: field '", field.name,
        "' is a BINARY_VECTOR; give binary query vectors (bytes of dim / 8 = ",
        field.dim / 8, " each; got ",
        request.vectors.empty() ? "none" : "float32 vectors", ")"));
  }
  if (!request.vectors.empty()) {
    return absl::InvalidArgumentError(
        "search data: give float32 vectors or typed vector values, not both");
  }
  const size_t bytes = static_cast<size_t>(field.dim) / 8;
  const size_t slots = (bytes + 3) / 4;
  out->assign(request.vector_values.size() * slots, 0.0f);
  for (size_t q = 0; q < request.vector_values.size(); ++q) {
    const Value& v = request.vector_values[q];
    if (!v.is_binary_vector()) {
      return absl::InvalidArgumentError(
          absl::StrCat("search data: query ", q,
                       ": expected BINARY_VECTOR bytes for field '", field.name,
                       "' (got ", Value::KindName(v.kind()), ")"));
    }
    if (v.AsBinaryVector().size() != bytes) {
      return absl::InvalidArgumentError(absl::StrCat(
          "search vectors: wrong dimension for field '", field.name,
          "' (expected ", field.dim, " bits in ", bytes, " bytes, got ",
          v.AsBinaryVector().size(), " bytes in query ", q, ")"));
    }
    std::memcpy(out->data() + q * slots, v.AsBinaryVector().data(), bytes);
  }
  return absl::OkStatus();
}

absl::StatusOr<SearchResults> SearchIn(
    const engine::Collection& collection, const SearchRequest& request,
    const std::shared_ptr<const engine::CollectionState>& pinned) {
  if (request.limit < 1 || request.limit > kMaxTopK) {
    return absl::InvalidArgumentError(
        absl::StrCat("search limit: expected 1 to ", kMaxTopK, " (got ",
                     request.limit, ")"));
  }
  if (request.offset < 0 || request.offset + request.limit > kMaxTopK) {
    return absl::InvalidArgumentError(absl::StrCat(
        "search offset: expected offset >= 0 and offset + limit <= ", kMaxTopK,
        " (got offset ", request.offset, ", limit ", request.limit, ")"));
  }
  std::optional<engine::expr::CompiledFilter> filter;
  if (!request.filter.empty()) {
    COVE_ASSIGN_OR_RETURN(filter, collection.CompileFilter(
                                      request.filter, request.filter_params));
  }
  if (request.search_after.has_value() && pinned == nullptr) {
    return absl::InvalidArgumentError(
        "search search_after: only a read-session search takes a cursor "
        "(session_id is empty)");
  }
  if (pinned == nullptr && !collection.loaded()) {
    return absl::FailedPreconditionError(
        absl::StrCat("search: collection '", collection.name(),
                     "' is not loaded (call LoadCollection)"));
  }
  const engine::Schema& schema = collection.schema();
  const std::vector<int>& vector_fields = collection.vector_fields();
  const std::vector<int>& sparse_fields = collection.sparse_fields();
  for (size_t f = 0; f < sparse_fields.size(); ++f) {
    const bool named =
        schema.fields[sparse_fields[f]].name == request.anns_field;
    const bool only = request.anns_field.empty() && vector_fields.empty() &&
                      sparse_fields.size() == 1;
    if (named || only) {
      return SparseSearchIn(collection, request, f, filter, pinned);
    }
  }
  if (!request.sparse_vectors.empty()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "search data: sparse query vectors need a SPARSE_FLOAT_VECTOR "
        "anns_field (got '",
        request.anns_field, "')"));
  }
  if (!request.texts.empty()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "search data: query texts need the output field of a BM25 function "
        "as anns_field (got '",
        request.anns_field, "')"));
  }
  size_t field = 0;
  if (request.anns_field.empty()) {
    if (vector_fields.size() + sparse_fields.size() > 1) {
      return absl::InvalidArgumentError(
          absl::StrCat("search anns_field: collection '", collection.name(),
                       "' has several vector fields; name one"));
    }
  } else {
    bool found = false;
    for (size_t f = 0; f < vector_fields.size(); ++f) {
      if (schema.fields[vector_fields[f]].name == request.anns_field) {
        field = f;
        found = true;
      }
    }
    if (!found) {
      return absl::InvalidArgumentError(absl::StrCat(
          "search anns_field: no vector field '", request.anns_field,
          "' in collection '", collection.name(), "'"));
    }
  }
  const engine::FieldDef& vector_field = schema.fields[vector_fields[field]];
  const size_t dim = static_cast<size_t>(vector_field.dim);
  // 16-bit query values, widened (exactly) to float32: the engine rounds
  // them back to the field's type.
  std::vector<float> widened;
  const std::vector<float>* queries = &request.vectors;
  const bool binary = vector_field.type == engine::DataType::kBinaryVector;
  // Binary codes travel packed in float32 slots, as the engine stores them.
  const size_t width = binary ? (dim / 8 + 3) / 4 : dim;
  if (binary) {
    COVE_RETURN_IF_ERROR(PackBinaryQueries(request, vector_field, &widened));
    queries = &widened;
  } else if (!request.vector_values.empty()) {
    COVE_RETURN_IF_ERROR(WidenQueryValues(request, vector_field, &widened));
    queries = &widened;
  } else if (request.dim != dim || request.vectors.empty() ||
             request.vectors.size() % dim != 0) {
    return absl::InvalidArgumentError(absl::StrCat(
        "search vectors: wrong dimension for field '", vector_field.name,
        "' (expected ", dim, ", got ", request.dim, " with ",
        request.vectors.size(), " floats)"));
  }
  const std::optional<engine::HalfType> half =
      engine::HalfTypeOf(vector_field.type);
  for (size_t i = 0; i < (binary ? 0 : queries->size()); ++i) {
    const float x = (*queries)[i];
    if (!std::isfinite(x) ||
        (half.has_value() && !std::isfinite(engine::HalfToFloat(
                                 *half, engine::FloatToHalf(*half, x))))) {
      return absl::InvalidArgumentError(absl::StrCat(
          "search vectors: query ", i / dim, " element ", i % dim,
          " is not a finite ",
          half.has_value() ? engine::HalfTypeName(*half) : "float32",
          " number"));
    }
  }
  engine::SearchSpec spec;
  spec.field = field;
  spec.queries = queries->data();
  spec.num_queries = queries->size() / width;
  spec.k = static_cast<size_t>(request.limit + request.offset);
  if (request.metric_type.has_value()) {
    spec.metric = ToMetric(*request.metric_type);
  }
  // Search parameters as Milvus checks them: keys the field's index takes
  // (a misspelled key is refused; `nprobe` on HNSW is accepted without
  // effect, as in Milvus), numbers possibly given as strings, and `ef` at
  // least the hits wanted.
  const std::optional<engine::IndexDef> index = collection.IndexOf(field);
  const engine::IndexKind kind =
      index.has_value() ? index->kind : engine::IndexKind::kFlat;
  const std::vector<std::string> keys = SearchKeys(kind);
  for (const auto& [key, value] : request.params) {
    if (std::find(keys.begin(), keys.end(), key) == keys.end()) {
      if (IsDenseSearchKey(key) || key == "drop_ratio_search") {
        COVE_RETURN_IF_ERROR(CheckSearchKeyOfAnotherIndex(key, value));
        continue;  // as Milvus: without effect on this index
      }
      return absl::InvalidArgumentError(absl::StrCat(
          "search param '", key, "': not a search parameter of ",
          KindName(kind), " (expected one of: ", JoinKeys(keys), ")"));
    }
    if (key == "radius" || key == "range_filter") {
      COVE_ASSIGN_OR_RETURN(double n, ParamNumber("search param", key, value));
      (key == "radius" ? spec.radius : spec.range_filter) =
          static_cast<float>(n);
      continue;
    }
    COVE_ASSIGN_OR_RETURN(int n,
                          ParamInt("search param", key, value, 1, 32768));
    if (key == "ef" || key == "search_list") {
      // A read session scans exactly and does not use ef.
      if (pinned == nullptr && static_cast<size_t>(n) < spec.k) {
        return absl::InvalidArgumentError(absl::StrCat(
            "search param '", key,
            "': must be at least limit + offset (expected >= ", spec.k,
            ", got ", n, ")"));
      }
      spec.ef = n;
    } else if (key == "nprobe") {
      spec.nprobe = n;
    } else {
      spec.rerank = n;
    }
  }
  COVE_ASSIGN_OR_RETURN(std::vector<std::string> fields,
                        ResolveOutputFields(collection, request.output_fields));
  spec.filter = filter.has_value() ? &*filter : nullptr;
  spec.partitions = request.partition_names;
  spec.exact_ordered = pinned != nullptr;
  if (request.search_after.has_value()) {
    spec.after = engine::SearchCursor{request.search_after->distance,
                                      request.search_after->id};
  }
  if (!request.group_by_field.empty()) {
    COVE_RETURN_IF_ERROR(
        GroupingSpec(collection, request, pinned, &spec.grouping));
  }
  COVE_ASSIGN_OR_RETURN(engine::SearchHits found,
                        collection.Search(spec, pinned));
  return ToResults(collection, found, static_cast<size_t>(request.offset),
                   fields, spec.grouping.field);
}

absl::StatusOr<std::vector<Row>> QueryIn(
    const engine::Collection& collection, const QueryRequest& request,
    const std::shared_ptr<const engine::CollectionState>& pinned) {
  if (request.limit < 0 || request.offset < 0) {
    return absl::InvalidArgumentError(absl::StrCat(
        "query limit/offset: expected non-negative values (got limit ",
        request.limit, ", offset ", request.offset, ")"));
  }
  if (request.limit + request.offset > kMaxTopK) {
    return absl::InvalidArgumentError(
        absl::StrCat("query limit: offset + limit must be at most ", kMaxTopK,
                     " (got ", request.offset + request.limit, ")"));
  }
  const bool count_only = request.output_fields.size() == 1 &&
                          request.output_fields[0] == "count(*)";
  if (request.filter.empty() && request.ids.empty() && request.limit == 0 &&
      !count_only) {
    return absl::InvalidArgumentError(
        "query: give a filter, ids or a limit (an unbounded query of every "
        "row is refused; use an iterator)");
  }
  std::optional<engine::expr::CompiledFilter> filter;
  engine::QuerySpec spec;
  if (!request.filter.empty()) {
    COVE_ASSIGN_OR_RETURN(filter, collection.CompileFilter(
                                      request.filter, request.filter_params));
    spec.filter = &*filter;
  }
  spec.by_ids = !request.ids.empty();
  spec.ids = request.ids;
  spec.partitions = request.partition_names;
  spec.offset = static_cast<size_t>(request.offset);
  spec.limit = static_cast<size_t>(request.limit);
  spec.count_only = count_only;
  COVE_ASSIGN_OR_RETURN(engine::QueryRows found,
                        collection.Query(spec, pinned));
  if (count_only) {
    Row row;
    row["count(*)"] = Value(found.count);
    return std::vector<Row>{row};
  }
  COVE_ASSIGN_OR_RETURN(
      std::vector<std::string> fields,
      ResolveOutputFields(collection, request.output_fields.empty()
                                          ? std::vector<std::string>{"*"}
                                          : request.output_fields));
  if (request.output_fields.empty()) {
    // Milvus returns scalar fields by default, not vectors (sparse ones
    // neither).
    std::vector<std::string> scalars;
    for (const std::string& f : fields) {
      bool is_vector = false;
      for (const auto& fs : collection.schema().fields) {
        is_vector |= fs.name == f && engine::IsVectorType(fs.type);
      }
      if (!is_vector) scalars.push_back(f);
    }
    fields = std::move(scalars);
  }
  std::vector<Row> out;
  out.reserve(found.rows.size());
  for (const engine::RowRef& ref : found.rows) {
    out.push_back(Entity(collection, *found.state, ref, fields));
  }
  return out;
}

}  // namespace cove::internal
