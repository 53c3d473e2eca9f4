// The engine's collection: validation, column storage and reads.
#include "engine/collection.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <limits>
#include <set>
#include <utility>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

namespace cove::engine {
namespace {

std::atomic<int64_t> g_next_collection_id{1000};

int64_t NowMicros() {
  return std::chrono::duration_cast<std::chrono::microseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

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

Metric ToEngineMetric(MetricType m) {
  switch (m) {
    case MetricType::kL2:
      return Metric::kL2;
    case MetricType::kIP:
      return Metric::kIP;
    case MetricType::kCosine:
      return Metric::kCosine;
  }
  return Metric::kL2;
}

expr::FieldType ToExprType(DataType t) {
  switch (t) {
    case DataType::kBool:
      return expr::FieldType::kBool;
    case DataType::kInt8:
      return expr::FieldType::kInt8;
    case DataType::kInt16:
      return expr::FieldType::kInt16;
    case DataType::kInt32:
      return expr::FieldType::kInt32;
    case DataType::kInt64:
      return expr::FieldType::kInt64;
    case DataType::kFloat:
      return expr::FieldType::kFloat;
    case DataType::kDouble:
      return expr::FieldType::kDouble;
    case DataType::kVarChar:
      return expr::FieldType::kVarChar;
    case DataType::kArray:
      return expr::FieldType::kArray;
    case DataType::kJson:
      return expr::FieldType::kJson;
    case DataType::kFloatVector:
    default:
      return expr::FieldType::kFloatVector;
  }
}

// Checks that a value fits a scalar type (used for values, array elements
// and defaults). `where` names the place for the message.
absl::Status CheckScalar(const FieldSchema& f, DataType type, const Value& v,
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
      return absl::OkStatus();
    default:
      return mismatch(DataTypeName(type));
  }
}

}  // namespace

absl::Status ValidateName(const std::string& what, const std::string& name) {
  if (name.empty() || name.size() > 255) {
    return absl::InvalidArgumentError(absl::StrCat(
        what, ": expected 1 to 255 characters (got ", name.size(), ")"));
  }
  auto alpha = [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
  };
  auto digit = [](char c) { return c >= '0' && c <= '9'; };
  if (!alpha(name[0])) {
    return absl::InvalidArgumentError(absl::StrCat(
        what, ": '", name, "' must start with a letter or '_' (got '",
        std::string(1, name[0]), "')"));
  }
  for (char c : name) {
    if (!alpha(c) && !digit(c)) {
      return absl::InvalidArgumentError(absl::StrCat(
          what, ": '", name, "' may only hold letters, digits and '_' (got '",
          std::string(1, c), "')"));
    }
  }
  return absl::OkStatus();
}

absl::Status ValidateSchema(const CollectionSchema& schema) {
  int pks = 0;
  int vectors = 0;
  std::set<std::string> names;
  for (const FieldSchema& f : schema.fields) {
    if (absl::Status s = ValidateName("field name", f.name); !s.ok()) return s;
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
            f.element_type == DataType::kJson ||
            f.element_type == DataType::kFloatVector ||
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
      case DataType::kFloatVector:
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
      absl::Status s =
          CheckScalar(f, f.type, *f.default_value, where + " default_value");
      if (!s.ok()) return s;
    }
  }
  if (pks != 1) {
    return absl::InvalidArgumentError(absl::StrCat(
        "schema: expected exactly one primary key field (got ", pks, ")"));
  }
  if (vectors < 1) {
    return absl::InvalidArgumentError(
        "schema: expected at least one FLOAT_VECTOR field (got none)");
  }
  return absl::OkStatus();
}

absl::StatusOr<std::unique_ptr<Collection>> Collection::Create(
    std::string name, CollectionSchema schema, int64_t id) {
  if (absl::Status s = ValidateName("collection name", name); !s.ok()) {
    return s;
  }
  if (absl::Status s = ValidateSchema(schema); !s.ok()) return s;
  if (id == 0) {
    id = g_next_collection_id.fetch_add(1);
  } else {
    ReserveIds(id);
  }
  return std::unique_ptr<Collection>(
      new Collection(std::move(name), std::move(schema), id));
}

void Collection::ReserveIds(int64_t max_used) {
  int64_t next = g_next_collection_id.load();
  while (next <= max_used &&
         !g_next_collection_id.compare_exchange_weak(next, max_used + 1)) {
  }
}

void Collection::set_logger(Logger logger) {
  absl::MutexLock lock(&mu_);
  logger_ = std::move(logger);
}

Collection::Collection(std::string name, CollectionSchema schema, int64_t id)
    : name_(std::move(name)),
      schema_(std::move(schema)),
      id_(id),
      created_ts_(NowMicros()) {
  next_auto_id_ = NowMicros() << 8;  // distinct across restarts
  for (size_t i = 0; i < schema_.fields.size(); ++i) {
    const FieldSchema& f = schema_.fields[i];
    if (f.is_primary_key) pk_index_ = static_cast<int>(i);
    expr::FieldInfo info;
    info.name = f.name;
    info.type = ToExprType(f.type);
    info.element_type = ToExprType(f.element_type);
    info.nullable = f.nullable;
    info.field_index = static_cast<int>(i);
    expr_schema_.fields.push_back(std::move(info));
    if (f.type == DataType::kFloatVector) {
      VectorField vf;
      vf.field_index = static_cast<int>(i);
      vf.dim = static_cast<size_t>(f.dim);
      vector_fields_.push_back(std::move(vf));
    }
  }
  columns_.resize(schema_.fields.size() +
                  (schema_.enable_dynamic_field ? 1 : 0));
  if (schema_.enable_dynamic_field) {
    expr_schema_.dynamic_field_index = static_cast<int>(schema_.fields.size());
  }
}

std::string Collection::name() const {
  absl::ReaderMutexLock lock(&mu_);
  return name_;
}

void Collection::set_name(std::string name) {
  absl::MutexLock lock(&mu_);
  name_ = std::move(name);
}

absl::Status Collection::CreateIndex(const IndexSpec& spec) {
  absl::MutexLock lock(&mu_);
  return CreateIndexLocked(spec, /*log=*/true);
}

absl::Status Collection::CreateIndexLocked(const IndexSpec& spec, bool log) {
  VectorField* target = nullptr;
  for (auto& vf : vector_fields_) {
    if (schema_.fields[vf.field_index].name == spec.field_name) target = &vf;
  }
  if (target == nullptr) {
    bool exists = false;
    for (const auto& f : schema_.fields) exists |= f.name == spec.field_name;
    if (exists) {
      return absl::InvalidArgumentError(absl::StrCat(
          "index field '", spec.field_name,
          "': only FLOAT_VECTOR fields can be indexed in this version"));
    }
    return absl::InvalidArgumentError(
        absl::StrCat("index field: no field '", spec.field_name,
                     "' in collection '", name_, "'"));
  }
  IndexSpec normalized = spec;
  if (normalized.index_name.empty()) normalized.index_name = spec.field_name;
  if (target->has_index) {
    if (target->spec.index_type == normalized.index_type &&
        target->spec.metric_type == normalized.metric_type &&
        target->spec.params == normalized.params &&
        target->spec.index_name == normalized.index_name) {
      return absl::OkStatus();  // same index again: idempotent, as in Milvus
    }
    return absl::AlreadyExistsError(absl::StrCat(
        "index on field '", spec.field_name, "' of collection '", name_,
        "' already exists with other parameters; drop it first"));
  }
  IndexParams params;
  params.dim = target->dim;
  params.metric = ToEngineMetric(normalized.metric_type);
  switch (normalized.index_type) {
    case cove::IndexType::kFlat:
      params.type = engine::IndexType::kFlat;
      break;
    case cove::IndexType::kIvfFlat:
      params.type = engine::IndexType::kIvfFlat;
      break;
    case cove::IndexType::kIvfSq8:
      params.type = engine::IndexType::kIvfSq8;
      break;
    case cove::IndexType::kHnsw:
    case cove::IndexType::kAutoIndex:
      params.type = engine::IndexType::kHnsw;
      break;
    case cove::IndexType::kHnswSq:
      params.type = engine::IndexType::kHnswSq;
      break;
  }
  for (const auto& [key, value] : normalized.params) {
    int64_t n = 0;
    int* dest = nullptr;
    if (key == "M") dest = &params.m;
    if (key == "efConstruction") dest = &params.ef_construction;
    if (key == "nlist") dest = &params.nlist;
    if (dest == nullptr) continue;  // unknown keys are ignored, as in Milvus
    if (!absl::SimpleAtoi(value, &n) || n <= 0 || n > 65536) {
      return absl::InvalidArgumentError(
          absl::StrCat("index param '", key,
                       "': expected a positive integer (got '", value, "')"));
    }
    *dest = static_cast<int>(n);
  }
  auto index = MakeIndex(params);
  if (!index.ok()) return index.status();
  if (log) {
    internal::ByteWriter w;
    w.U8(static_cast<uint8_t>(RecordType::kCreateIndex));
    w.I64(id_);
    EncodeIndexSpec(normalized, &w);
    if (absl::Status s = Log(w.Take()); !s.ok()) return s;
  }
  target->index = *std::move(index);
  target->spec = normalized;
  target->has_index = true;
  return RebuildIndex(*target);
}

absl::Status Collection::RebuildIndex(VectorField& vf) {
  if (num_rows_ == 0) return absl::OkStatus();
  if (schema_.fields[vf.field_index].type != DataType::kFloatVector) {
    return absl::OkStatus();
  }
  if (vf.spec.metric_type == MetricType::kCosine) {
    std::vector<float> normalized(vf.data);
    for (size_t r = 0; r < num_rows_; ++r) {
      float* v = normalized.data() + r * vf.dim;
      float n = Norm(v, vf.dim);
      if (n > 0) {
        for (size_t i = 0; i < vf.dim; ++i) v[i] /= n;
      }
    }
    return vf.index->Build(normalized.data(), num_rows_);
  }
  return vf.index->Build(vf.data.data(), num_rows_);
}

absl::Status Collection::DropIndex(const std::string& index_name) {
  absl::MutexLock lock(&mu_);
  return DropIndexLocked(index_name, /*log=*/true);
}

absl::Status Collection::DropIndexLocked(const std::string& index_name,
                                         bool log) {
  if (loaded_) {
    return absl::FailedPreconditionError(
        absl::StrCat("index '", index_name, "': collection '", name_,
                     "' is loaded; release it before dropping its index"));
  }
  for (auto& vf : vector_fields_) {
    if (vf.has_index && vf.spec.index_name == index_name) {
      if (log) {
        internal::ByteWriter w;
        w.U8(static_cast<uint8_t>(RecordType::kDropIndex));
        w.I64(id_);
        w.Str(index_name);
        if (absl::Status s = Log(w.Take()); !s.ok()) return s;
      }
      vf.index.reset();
      vf.has_index = false;
      vf.spec = IndexSpec();
      return absl::OkStatus();
    }
  }
  return absl::NotFoundError(absl::StrCat(
      "index '", index_name, "' not found in collection '", name_, "'"));
}

std::vector<IndexDescription> Collection::DescribeIndexes() const {
  absl::ReaderMutexLock lock(&mu_);
  std::vector<IndexDescription> out;
  for (const auto& vf : vector_fields_) {
    if (!vf.has_index) continue;
    IndexDescription d;
    d.index_name = vf.spec.index_name;
    d.field_name = vf.spec.field_name;
    d.index_type = vf.spec.index_type;
    d.metric_type = vf.spec.metric_type;
    d.params = vf.spec.params;
    d.total_rows = static_cast<int64_t>(num_rows_ - num_deleted_);
    d.indexed_rows = d.total_rows;
    d.state = "Finished";
    out.push_back(std::move(d));
  }
  return out;
}

absl::Status Collection::Load() {
  absl::MutexLock lock(&mu_);
  return LoadLocked(/*log=*/true);
}

absl::Status Collection::LoadLocked(bool log) {
  for (const auto& vf : vector_fields_) {
    if (!vf.has_index) {
      return absl::FailedPreconditionError(
          absl::StrCat("load collection '", name_, "': vector field '",
                       schema_.fields[vf.field_index].name,
                       "' has no index (create one first)"));
    }
  }
  if (loaded_) return absl::OkStatus();
  if (log) {
    internal::ByteWriter w;
    w.U8(static_cast<uint8_t>(RecordType::kLoad));
    w.I64(id_);
    if (absl::Status s = Log(w.Take()); !s.ok()) return s;
  }
  loaded_ = true;
  return absl::OkStatus();
}

absl::Status Collection::Release() {
  absl::MutexLock lock(&mu_);
  if (!loaded_) return absl::OkStatus();
  internal::ByteWriter w;
  w.U8(static_cast<uint8_t>(RecordType::kRelease));
  w.I64(id_);
  if (absl::Status s = Log(w.Take()); !s.ok()) return s;
  loaded_ = false;
  return absl::OkStatus();
}

LoadState Collection::load_state() const {
  absl::ReaderMutexLock lock(&mu_);
  return loaded_ ? LoadState::kLoaded : LoadState::kNotLoaded;
}

int64_t Collection::row_count() const {
  absl::ReaderMutexLock lock(&mu_);
  return static_cast<int64_t>(num_rows_ - num_deleted_);
}

absl::Status Collection::CheckLoaded(const char* verb) const {
  if (!loaded_) {
    return absl::FailedPreconditionError(
        absl::StrCat(verb, ": collection '", name_,
                     "' is not loaded (call LoadCollection)"));
  }
  return absl::OkStatus();
}

absl::StatusOr<std::vector<Row>> Collection::RowsFromRequest(
    const InsertRequest& request) const {
  if (!request.rows.empty() && !request.columns.empty()) {
    return absl::InvalidArgumentError("insert: give rows or columns, not both");
  }
  if (request.columns.empty()) return request.rows;
  size_t n = request.columns.front().size();
  for (const Column& c : request.columns) {
    if (c.dim > 0 && c.float_vectors.size() % c.dim != 0) {
      return absl::InvalidArgumentError(
          absl::StrCat("insert column '", c.name, "': ", c.float_vectors.size(),
                       " floats is not a multiple of dim ", c.dim));
    }
    if (c.size() != n) {
      return absl::InvalidArgumentError(
          absl::StrCat("insert column '", c.name, "': expected ", n,
                       " rows (got ", c.size(), ")"));
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

absl::Status Collection::NormalizeRow(const Row& in, size_t row_number,
                                      std::vector<Value>* out) const {
  out->assign(columns_.size(), Value());
  Value::Object dynamic;
  for (const auto& [key, value] : in) {
    bool known = false;
    for (const auto& f : schema_.fields) known |= f.name == key;
    if (known) continue;
    if (key == kDynamicFieldName && schema_.enable_dynamic_field &&
        value.is_object()) {
      for (const auto& [k, v] : value.AsObject()) dynamic[k] = v;
      continue;
    }
    if (!schema_.enable_dynamic_field) {
      return absl::InvalidArgumentError(
          absl::StrCat("insert row ", row_number, ": unknown field '", key,
                       "' (the collection has no dynamic field)"));
    }
    dynamic[key] = value;
  }
  for (size_t i = 0; i < schema_.fields.size(); ++i) {
    const FieldSchema& f = schema_.fields[i];
    const std::string where =
        absl::StrCat("insert row ", row_number, ": field '", f.name, "'");
    auto it = in.find(f.name);
    const Value* v = it == in.end() ? nullptr : &it->second;
    if (f.is_primary_key && f.auto_id) {
      if (v != nullptr && !v->is_null()) {
        return absl::InvalidArgumentError(absl::StrCat(
            where, ": the primary key is auto_id; do not give a value"));
      }
      continue;  // assigned by the caller
    }
    if (v == nullptr || v->is_null()) {
      if (f.default_value.has_value() && !f.default_value->is_null()) {
        (*out)[i] = *f.default_value;
        continue;
      }
      if (f.nullable) continue;
      return absl::InvalidArgumentError(
          absl::StrCat(where, " is missing (expected ", DataTypeName(f.type),
                       v == nullptr ? ")" : "; the field is not nullable)"));
    }
    if (f.type == DataType::kFloatVector) {
      std::vector<float> vec;
      if (v->is_float_vector()) {
        vec = v->AsFloatVector();
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
    if (f.type == DataType::kArray) {
      if (!v->is_array()) {
        return absl::InvalidArgumentError(absl::StrCat(
            where, ": expected ARRAY of ", DataTypeName(f.element_type),
            " (got ", Value::KindName(v->kind()), ")"));
      }
      if (static_cast<int64_t>(v->AsArray().size()) > f.max_capacity) {
        return absl::InvalidArgumentError(
            absl::StrCat(where, ": ", v->AsArray().size(),
                         " elements exceed max_capacity ", f.max_capacity));
      }
      for (size_t k = 0; k < v->AsArray().size(); ++k) {
        absl::Status s = CheckScalar(f, f.element_type, v->AsArray()[k],
                                     absl::StrCat(where, " element ", k));
        if (!s.ok()) return s;
      }
      (*out)[i] = *v;
      continue;
    }
    absl::Status s = CheckScalar(f, f.type, *v, where);
    if (!s.ok()) return s;
    if (f.type == DataType::kFloat) {
      (*out)[i] = Value(static_cast<double>(static_cast<float>(v->AsDouble())));
    } else if (f.type == DataType::kDouble) {
      (*out)[i] = Value(v->AsDouble());
    } else {
      (*out)[i] = *v;
    }
  }
  if (schema_.enable_dynamic_field) {
    (*out)[schema_.fields.size()] = Value(std::move(dynamic));
  }
  return absl::OkStatus();
}

absl::Status Collection::AppendVector(VectorField& vf, const float* v) {
  vf.data.insert(vf.data.end(), v, v + vf.dim);
  return absl::OkStatus();
}

absl::StatusOr<MutationResult> Collection::Insert(const InsertRequest& request,
                                                  bool upsert) {
  auto rows_or = RowsFromRequest(request);
  if (!rows_or.ok()) return rows_or.status();
  const std::vector<Row>& rows = *rows_or;
  if (rows.empty()) {
    return absl::InvalidArgumentError("insert: no rows given");
  }
  const FieldSchema& pk = schema_.fields[pk_index_];
  if (upsert && pk.auto_id) {
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
    Row row = rows[r];
    Value upsert_pk;
    if (upsert && pk.auto_id) {
      upsert_pk = row[pk.name];
      row.erase(pk.name);
    }
    absl::Status s = NormalizeRow(row, r, &normalized[r]);
    if (!s.ok()) return s;
    if (upsert && pk.auto_id) {
      absl::Status ps = CheckScalar(
          pk, pk.type, upsert_pk,
          absl::StrCat("upsert row ", r, ": field '", pk.name, "'"));
      if (!ps.ok()) return ps;
      normalized[r][pk_index_] = upsert_pk;
    }
  }
  absl::MutexLock lock(&mu_);
  auto partition_ids = PartitionIds({request.partition_name.empty()
                                         ? std::string(kDefaultPartition)
                                         : request.partition_name});
  if (!partition_ids.ok()) return partition_ids.status();
  const uint16_t partition_id = static_cast<uint16_t>(partition_ids->front());
  // Assign auto ids; check for duplicate keys.
  absl::flat_hash_map<std::string, size_t> seen_str;
  absl::flat_hash_map<int64_t, size_t> seen_int;
  for (size_t r = 0; r < rows.size(); ++r) {
    Value& key = normalized[r][pk_index_];
    if (pk.auto_id && !upsert) key = Value(next_auto_id_++);
    bool dup_in_batch = pk.type == DataType::kInt64
                            ? !seen_int.emplace(key.AsInt(), r).second
                            : !seen_str.emplace(key.AsString(), r).second;
    if (dup_in_batch && !upsert) {
      return absl::InvalidArgumentError(
          absl::StrCat("insert row ", r, ": duplicate primary key ",
                       key.ToJson(), " within the batch"));
    }
    if (!upsert) {
      bool exists = pk.type == DataType::kInt64
                        ? int_pk_.contains(key.AsInt())
                        : str_pk_.contains(key.AsString());
      if (exists) {
        return absl::AlreadyExistsError(
            absl::StrCat("insert row ", r, ": primary key ", key.ToJson(),
                         " already exists in collection '", name_,
                         "' (use upsert to replace it)"));
      }
    }
  }
  MutationResult result;
  result.count = static_cast<int64_t>(rows.size());
  for (const auto& values : normalized) result.ids.push_back(values[pk_index_]);
  if (logger_) {
    internal::ByteWriter w;
    w.U8(static_cast<uint8_t>(RecordType::kInsert));
    w.I64(id_);
    w.U32(partition_id);
    w.I64(next_auto_id_);
    w.Varint(normalized.size());
    for (const auto& values : normalized) {
      for (const Value& v : values) w.Val(v);
    }
    if (absl::Status s = Log(w.Take()); !s.ok()) {
      if (pk.auto_id && !upsert) next_auto_id_ -= rows.size();
      return s;
    }
  }
  ApplyInsertLocked(normalized, partition_id);
  return result;
}

void Collection::ApplyInsertLocked(std::vector<std::vector<Value>>& rows,
                                   uint16_t partition_id) {
  const FieldSchema& pk = schema_.fields[pk_index_];
  for (std::vector<Value>& values : rows) {
    const Value key = values[pk_index_];
    const uint32_t row = static_cast<uint32_t>(num_rows_);
    // Replace: tombstone the old row.
    if (pk.type == DataType::kInt64) {
      auto [it, inserted] = int_pk_.try_emplace(key.AsInt(), row);
      if (!inserted) {
        deleted_.Resize(num_rows_);
        deleted_.Set(it->second);
        ++num_deleted_;
        it->second = row;
      }
    } else {
      auto [it, inserted] = str_pk_.try_emplace(key.AsString(), row);
      if (!inserted) {
        deleted_.Resize(num_rows_);
        deleted_.Set(it->second);
        ++num_deleted_;
        it->second = row;
      }
    }
    for (auto& vf : vector_fields_) {
      const std::vector<float>& v = values[vf.field_index].AsFloatVector();
      vf.data.insert(vf.data.end(), v.begin(), v.end());
      values[vf.field_index] = Value();  // kept in vf.data only
    }
    for (size_t c = 0; c < columns_.size(); ++c) {
      columns_[c].push_back(std::move(values[c]));
    }
    row_partition_.push_back(partition_id);
    ++num_rows_;
  }
  deleted_.Resize(num_rows_);
  // Index the new rows.
  for (auto& vf : vector_fields_) {
    if (!vf.has_index) continue;
    size_t first = num_rows_ - rows.size();
    std::vector<float> batch(vf.data.begin() + first * vf.dim, vf.data.end());
    if (vf.spec.metric_type == MetricType::kCosine) {
      for (size_t r = 0; r < rows.size(); ++r) {
        float* v = batch.data() + r * vf.dim;
        float n = Norm(v, vf.dim);
        if (n > 0) {
          for (size_t i = 0; i < vf.dim; ++i) v[i] /= n;
        }
      }
    }
    absl::Status s = vf.index->Add(batch.data(), rows.size());
    if (absl::IsFailedPrecondition(s)) s = RebuildIndex(vf);  // untrained IVF
    if (!s.ok()) {
      // The rows are stored; searches fall back to an index rebuilt later.
      std::fprintf(stderr, "cove: indexing collection '%s' failed: %s\n",
                   name_.c_str(), std::string(s.message()).c_str());
    }
  }
}

std::vector<uint32_t> Collection::LookupIds(
    const std::vector<Value>& ids) const {
  std::vector<uint32_t> rows;
  const FieldSchema& pk = schema_.fields[pk_index_];
  for (const Value& id : ids) {
    if (pk.type == DataType::kInt64 && id.is_int()) {
      auto it = int_pk_.find(id.AsInt());
      if (it != int_pk_.end()) rows.push_back(it->second);
    } else if (pk.type == DataType::kVarChar && id.is_string()) {
      auto it = str_pk_.find(id.AsString());
      if (it != str_pk_.end()) rows.push_back(it->second);
    }
  }
  return rows;
}

absl::StatusOr<expr::CompiledFilter> Collection::CompileFilter(
    const std::string& filter,
    const std::map<std::string, Value>& params) const {
  expr::TemplateValues values(params.begin(), params.end());
  return expr::Compile(filter, expr_schema_, values);
}

namespace {

// Row access for filters: field values straight from the columns.
class ColumnRow : public expr::RowAccessor {
 public:
  explicit ColumnRow(const std::vector<std::vector<Value>>* columns)
      : columns_(columns) {}
  void set_row(uint32_t row) { row_ = row; }
  const Value& Get(int field_index) const override {
    return (*columns_)[field_index][row_];
  }

 private:
  const std::vector<std::vector<Value>>* columns_;
  uint32_t row_ = 0;
};

}  // namespace

Bitset Collection::Matching(const expr::CompiledFilter* filter) const {
  Bitset allowed(num_rows_, true);
  allowed.AndNot(deleted_);
  if (filter == nullptr) return allowed;
  ColumnRow accessor(&columns_);
  for (size_t r = 0; r < num_rows_; ++r) {
    if (!allowed.Test(r)) continue;
    accessor.set_row(static_cast<uint32_t>(r));
    if (!filter->Matches(accessor)) allowed.Reset(r);
  }
  return allowed;
}

absl::StatusOr<MutationResult> Collection::Delete(
    const DeleteRequest& request) {
  if (request.ids.empty() == request.filter.empty()) {
    return absl::InvalidArgumentError(
        "delete: give either ids or a filter (got " +
        std::string(request.ids.empty() ? "neither" : "both") + ")");
  }
  std::optional<expr::CompiledFilter> filter;
  if (!request.filter.empty()) {
    auto compiled = CompileFilter(request.filter, request.filter_params);
    if (!compiled.ok()) return compiled.status();
    filter = *std::move(compiled);
  }
  absl::MutexLock lock(&mu_);
  std::vector<int> partitions;
  if (!request.partition_name.empty()) {
    auto ids = PartitionIds({request.partition_name});
    if (!ids.ok()) return ids.status();
    partitions = *std::move(ids);
  }
  std::vector<uint32_t> rows;
  if (filter.has_value()) {
    Bitset matching = Matching(&*filter);
    RestrictToPartitions(partitions, &matching);
    matching.ForEachSet(
        [&](size_t r) { rows.push_back(static_cast<uint32_t>(r)); });
  } else {
    const FieldSchema& pk = schema_.fields[pk_index_];
    for (const Value& id : request.ids) {
      absl::Status s = CheckScalar(pk, pk.type, id, "delete ids");
      if (!s.ok()) return s;
    }
    for (uint32_t r : LookupIds(request.ids)) {
      if (partitions.empty() || row_partition_[r] == partitions.front()) {
        rows.push_back(r);
      }
    }
  }
  MutationResult result;
  if (logger_) {
    std::vector<uint32_t> live;
    for (uint32_t r : rows) {
      if (!deleted_.Test(r)) live.push_back(r);
    }
    if (live.empty()) return result;
    internal::ByteWriter w;
    w.U8(static_cast<uint8_t>(RecordType::kDelete));
    w.I64(id_);
    w.Varint(live.size());
    for (uint32_t r : live) w.Val(columns_[pk_index_][r]);
    if (absl::Status s = Log(w.Take()); !s.ok()) return s;
  }
  ApplyDeleteLocked(rows, &result);
  return result;
}

int64_t Collection::ApplyDeleteLocked(const std::vector<uint32_t>& rows,
                                      MutationResult* result) {
  int64_t count = 0;
  for (uint32_t r : rows) {
    if (deleted_.Test(r)) continue;
    deleted_.Set(r);
    ++num_deleted_;
    ++count;
    const Value& key = columns_[pk_index_][r];
    if (result != nullptr) result->ids.push_back(key);
    if (key.is_int()) {
      int_pk_.erase(key.AsInt());
    } else {
      str_pk_.erase(key.AsString());
    }
  }
  if (result != nullptr) result->count = count;
  return count;
}

absl::StatusOr<std::vector<std::string>> Collection::ResolveOutputFields(
    const std::vector<std::string>& requested) const {
  std::vector<std::string> out;
  std::set<std::string> seen;
  auto add = [&](const std::string& name) {
    if (seen.insert(name).second) out.push_back(name);
  };
  add(schema_.fields[pk_index_].name);
  for (const std::string& name : requested) {
    if (name == "*") {
      for (const auto& f : schema_.fields) add(f.name);
      if (schema_.enable_dynamic_field) add(kDynamicFieldName);
      continue;
    }
    bool known = name == kDynamicFieldName && schema_.enable_dynamic_field;
    for (const auto& f : schema_.fields) known |= f.name == name;
    if (!known && !schema_.enable_dynamic_field) {
      return absl::InvalidArgumentError(absl::StrCat(
          "output_fields: no field '", name, "' in collection '", name_, "'"));
    }
    add(name);  // unknown names on dynamic collections are dynamic keys
  }
  return out;
}

Row Collection::Entity(uint32_t row,
                       const std::vector<std::string>& fields) const {
  Row entity;
  const Value* meta =
      schema_.enable_dynamic_field ? &columns_.back()[row] : nullptr;
  for (const std::string& name : fields) {
    if (name == kDynamicFieldName) {
      // "*" or "$meta": spread the dynamic keys into the entity, as pymilvus.
      if (meta != nullptr && meta->is_object()) {
        for (const auto& [k, v] : meta->AsObject()) entity.emplace(k, v);
      }
      continue;
    }
    bool found = false;
    for (size_t i = 0; i < schema_.fields.size(); ++i) {
      if (schema_.fields[i].name != name) continue;
      found = true;
      if (schema_.fields[i].type == DataType::kFloatVector) {
        for (const auto& vf : vector_fields_) {
          if (vf.field_index != static_cast<int>(i)) continue;
          entity[name] = Value::FloatVector(
              std::vector<float>(vf.data.begin() + row * vf.dim,
                                 vf.data.begin() + (row + 1) * vf.dim));
        }
      } else {
        entity[name] = columns_[i][row];
      }
    }
    if (!found && meta != nullptr) {
      if (const Value* v = meta->Find(name)) entity[name] = *v;
    }
  }
  return entity;
}

absl::StatusOr<SearchResults> Collection::Search(
    const SearchRequest& request) const {
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
  std::optional<expr::CompiledFilter> filter;
  if (!request.filter.empty()) {
    auto compiled = CompileFilter(request.filter, request.filter_params);
    if (!compiled.ok()) return compiled.status();
    filter = *std::move(compiled);
  }
  absl::ReaderMutexLock lock(&mu_);
  if (absl::Status s = CheckLoaded("search"); !s.ok()) return s;
  const VectorField* vf = nullptr;
  if (request.anns_field.empty()) {
    if (vector_fields_.size() > 1) {
      return absl::InvalidArgumentError(
          absl::StrCat("search anns_field: collection '", name_,
                       "' has several vector fields; name one"));
    }
    vf = &vector_fields_.front();
  } else {
    for (const auto& v : vector_fields_) {
      if (schema_.fields[v.field_index].name == request.anns_field) vf = &v;
    }
    if (vf == nullptr) {
      return absl::InvalidArgumentError(
          absl::StrCat("search anns_field: no vector field '",
                       request.anns_field, "' in collection '", name_, "'"));
    }
  }
  if (request.dim != vf->dim || request.vectors.empty() ||
      request.vectors.size() % vf->dim != 0) {
    return absl::InvalidArgumentError(absl::StrCat(
        "search vectors: wrong dimension for field '",
        schema_.fields[vf->field_index].name, "' (expected ", vf->dim, ", got ",
        request.dim, " with ", request.vectors.size(), " floats)"));
  }
  for (size_t i = 0; i < request.vectors.size(); ++i) {
    if (!std::isfinite(request.vectors[i])) {
      return absl::InvalidArgumentError(
          absl::StrCat("search vectors: query ", i / vf->dim, " element ",
                       i % vf->dim, " is not a finite number"));
    }
  }
  if (request.metric_type.has_value() &&
      *request.metric_type != vf->spec.metric_type) {
    return absl::InvalidArgumentError(
        absl::StrCat("search metric_type: the index uses ",
                     MetricTypeName(vf->spec.metric_type), " (got ",
                     MetricTypeName(*request.metric_type), ")"));
  }
  IndexSearchParams params;
  params.k = static_cast<size_t>(request.limit + request.offset);
  for (const auto& [key, value] : request.params) {
    auto as_number = [&](const char* what) -> absl::StatusOr<double> {
      if (!value.is_number()) {
        return absl::InvalidArgumentError(
            absl::StrCat("search param '", what, "': expected a number (got ",
                         value.ToJson(), ")"));
      }
      return value.AsDouble();
    };
    if (key == "ef" || key == "nprobe") {
      auto n = as_number(key.c_str());
      if (!n.ok()) return n.status();
      if (*n < 1 || *n > 32768) {
        return absl::InvalidArgumentError(absl::StrCat(
            "search param '", key, "': expected 1 to 32768 (got ", *n, ")"));
      }
      (key == "ef" ? params.ef : params.nprobe) = static_cast<int>(*n);
    } else if (key == "radius" || key == "range_filter") {
      auto n = as_number(key.c_str());
      if (!n.ok()) return n.status();
      (key == "radius" ? params.radius : params.range_filter) =
          static_cast<float>(*n);
    }
  }
  auto fields = ResolveOutputFields(request.output_fields);
  if (!fields.ok()) return fields.status();
  auto partitions = PartitionIds(request.partition_names);
  if (!partitions.ok()) return partitions.status();
  Bitset allowed = Matching(filter.has_value() ? &*filter : nullptr);
  RestrictToPartitions(*partitions, &allowed);
  params.allowed = &allowed;
  SearchResults results;
  const size_t nq = request.vectors.size() / vf->dim;
  std::vector<float> query(vf->dim);
  for (size_t q = 0; q < nq; ++q) {
    std::copy_n(request.vectors.begin() + q * vf->dim, vf->dim, query.begin());
    if (vf->spec.metric_type == MetricType::kCosine) {
      float n = Norm(query.data(), vf->dim);
      if (n > 0) {
        for (float& x : query) x /= n;
      }
    }
    std::vector<Neighbor> found = vf->index->Search(query.data(), params);
    std::vector<Hit> hits;
    for (size_t i = static_cast<size_t>(request.offset); i < found.size();
         ++i) {
      Hit hit;
      hit.id = columns_[pk_index_][found[i].row];
      hit.distance = found[i].score;
      hit.entity = Entity(found[i].row, *fields);
      hits.push_back(std::move(hit));
    }
    results.hits.push_back(std::move(hits));
  }
  return results;
}

absl::StatusOr<std::vector<Row>> Collection::Query(
    const QueryRequest& request) const {
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
  bool count_only = request.output_fields.size() == 1 &&
                    request.output_fields[0] == "count(*)";
  if (request.filter.empty() && request.ids.empty() && request.limit == 0 &&
      !count_only) {
    return absl::InvalidArgumentError(
        "query: give a filter, ids or a limit (an unbounded query of every "
        "row is refused; use an iterator)");
  }
  std::optional<expr::CompiledFilter> filter;
  if (!request.filter.empty()) {
    auto compiled = CompileFilter(request.filter, request.filter_params);
    if (!compiled.ok()) return compiled.status();
    filter = *std::move(compiled);
  }
  absl::ReaderMutexLock lock(&mu_);
  if (absl::Status s = CheckLoaded("query"); !s.ok()) return s;
  auto partitions = PartitionIds(request.partition_names);
  if (!partitions.ok()) return partitions.status();
  Bitset allowed = Matching(filter.has_value() ? &*filter : nullptr);
  RestrictToPartitions(*partitions, &allowed);
  std::vector<uint32_t> rows;
  if (!request.ids.empty()) {
    for (uint32_t r : LookupIds(request.ids)) {
      if (allowed.Test(r)) rows.push_back(r);
    }
  } else {
    allowed.ForEachSet(
        [&](size_t r) { rows.push_back(static_cast<uint32_t>(r)); });
  }
  if (count_only) {
    Row row;
    row["count(*)"] = Value(static_cast<int64_t>(rows.size()));
    return std::vector<Row>{row};
  }
  auto fields = ResolveOutputFields(request.output_fields.empty()
                                        ? std::vector<std::string>{"*"}
                                        : request.output_fields);
  if (!fields.ok()) return fields.status();
  if (request.output_fields.empty()) {
    // Milvus returns scalar fields by default, not vectors.
    std::vector<std::string> scalars;
    for (const std::string& f : *fields) {
      bool is_vector = false;
      for (const auto& fs : schema_.fields) {
        is_vector |= fs.name == f && fs.type == DataType::kFloatVector;
      }
      if (!is_vector) scalars.push_back(f);
    }
    *fields = std::move(scalars);
  }
  if (request.ids.empty()) {
    // Results come in primary-key order, so that offset/limit pages are
    // stable and iterators can resume after the last key.
    const std::vector<Value>& keys = columns_[pk_index_];
    if (schema_.fields[pk_index_].type == DataType::kInt64) {
      std::sort(rows.begin(), rows.end(), [&](uint32_t a, uint32_t b) {
        return keys[a].AsInt() < keys[b].AsInt();
      });
    } else {
      std::sort(rows.begin(), rows.end(), [&](uint32_t a, uint32_t b) {
        return keys[a].AsString() < keys[b].AsString();
      });
    }
  }
  std::vector<Row> out;
  size_t begin = std::min(rows.size(), static_cast<size_t>(request.offset));
  size_t end =
      request.limit > 0
          ? std::min(rows.size(), begin + static_cast<size_t>(request.limit))
          : rows.size();
  for (size_t i = begin; i < end; ++i) out.push_back(Entity(rows[i], *fields));
  return out;
}

absl::StatusOr<std::vector<int>> Collection::PartitionIds(
    const std::vector<std::string>& names) const {
  std::vector<int> ids;
  for (const std::string& name : names) {
    auto it = std::find(partitions_.begin(), partitions_.end(), name);
    if (name.empty() || it == partitions_.end()) {
      return absl::NotFoundError(absl::StrCat(
          "partition '", name, "' not found in collection '", name_, "'"));
    }
    ids.push_back(static_cast<int>(it - partitions_.begin()));
  }
  return ids;
}

void Collection::RestrictToPartitions(const std::vector<int>& ids,
                                      Bitset* rows) const {
  if (ids.empty()) return;
  std::vector<bool> keep(partitions_.size(), false);
  for (int id : ids) keep[id] = true;
  for (size_t r = 0; r < num_rows_; ++r) {
    if (!keep[row_partition_[r]]) rows->Reset(r);
  }
}

absl::Status Collection::CreatePartition(const std::string& partition) {
  absl::MutexLock lock(&mu_);
  return CreatePartitionLocked(partition, /*log=*/true);
}

absl::Status Collection::CreatePartitionLocked(const std::string& partition,
                                               bool log) {
  if (absl::Status s = ValidateName("partition name", partition); !s.ok()) {
    return s;
  }
  if (std::find(partitions_.begin(), partitions_.end(), partition) !=
      partitions_.end()) {
    return absl::AlreadyExistsError(
        absl::StrCat("partition '", partition,
                     "' already exists in collection '", name_, "'"));
  }
  size_t live = 0;
  for (const auto& p : partitions_) live += p.empty() ? 0 : 1;
  if (live >= kMaxPartitions || partitions_.size() >= UINT16_MAX) {
    return absl::ResourceExhaustedError(
        absl::StrCat("partition '", partition, "': collection '", name_,
                     "' has the maximum of ", kMaxPartitions, " partitions"));
  }
  if (log) {
    internal::ByteWriter w;
    w.U8(static_cast<uint8_t>(RecordType::kCreatePartition));
    w.I64(id_);
    w.Str(partition);
    if (absl::Status s = Log(w.Take()); !s.ok()) return s;
  }
  partitions_.push_back(partition);
  return absl::OkStatus();
}

absl::Status Collection::DropPartition(const std::string& partition) {
  absl::MutexLock lock(&mu_);
  return DropPartitionLocked(partition, /*log=*/true);
}

absl::Status Collection::DropPartitionLocked(const std::string& partition,
                                             bool log) {
  if (partition == kDefaultPartition) {
    return absl::InvalidArgumentError(
        "partition '_default': the default partition cannot be dropped");
  }
  auto it = std::find(partitions_.begin(), partitions_.end(), partition);
  if (partition.empty() || it == partitions_.end()) {
    return absl::NotFoundError(absl::StrCat(
        "partition '", partition, "' not found in collection '", name_, "'"));
  }
  if (loaded_) {
    return absl::FailedPreconditionError(
        absl::StrCat("drop partition '", partition, "': collection '", name_,
                     "' is loaded; release it first"));
  }
  if (log) {
    internal::ByteWriter w;
    w.U8(static_cast<uint8_t>(RecordType::kDropPartition));
    w.I64(id_);
    w.Str(partition);
    if (absl::Status s = Log(w.Take()); !s.ok()) return s;
  }
  const uint16_t id = static_cast<uint16_t>(it - partitions_.begin());
  for (size_t r = 0; r < num_rows_; ++r) {
    if (row_partition_[r] != id || deleted_.Test(r)) continue;
    deleted_.Set(r);
    ++num_deleted_;
    const Value& key = columns_[pk_index_][r];
    if (key.is_int()) {
      int_pk_.erase(key.AsInt());
    } else {
      str_pk_.erase(key.AsString());
    }
  }
  it->clear();  // keep ids stable
  return absl::OkStatus();
}

bool Collection::HasPartition(const std::string& partition) const {
  absl::ReaderMutexLock lock(&mu_);
  return !partition.empty() && std::find(partitions_.begin(), partitions_.end(),
                                         partition) != partitions_.end();
}

std::vector<std::string> Collection::ListPartitions() const {
  absl::ReaderMutexLock lock(&mu_);
  std::vector<std::string> out;
  for (const auto& p : partitions_) {
    if (!p.empty()) out.push_back(p);
  }
  return out;
}

// --- records and snapshots ------------------------------------------------

void EncodeSchema(const CollectionSchema& schema, internal::ByteWriter* w) {
  w->U8(schema.enable_dynamic_field ? 1 : 0);
  w->Str(schema.description);
  w->Varint(schema.fields.size());
  for (const FieldSchema& f : schema.fields) {
    w->Str(f.name);
    w->U32(static_cast<uint32_t>(f.type));
    w->Str(f.description);
    w->U8((f.is_primary_key ? 1 : 0) | (f.auto_id ? 2 : 0) |
          (f.nullable ? 4 : 0) | (f.default_value.has_value() ? 8 : 0));
    w->I64(f.max_length);
    w->I64(f.dim);
    w->U32(static_cast<uint32_t>(f.element_type));
    w->I64(f.max_capacity);
    if (f.default_value.has_value()) w->Val(*f.default_value);
  }
}

bool DecodeSchema(internal::ByteReader* r, CollectionSchema* schema) {
  uint8_t dynamic = 0;
  uint64_t n = 0;
  if (!r->U8(&dynamic) || !r->Str(&schema->description) || !r->Varint(&n) ||
      n > 4096) {
    return false;
  }
  schema->enable_dynamic_field = dynamic != 0;
  schema->fields.clear();
  for (uint64_t i = 0; i < n; ++i) {
    FieldSchema f;
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
    schema->fields.push_back(std::move(f));
  }
  return true;
}

void EncodeIndexSpec(const IndexSpec& spec, internal::ByteWriter* w) {
  w->Str(spec.field_name);
  w->Str(spec.index_name);
  w->U8(static_cast<uint8_t>(spec.index_type));
  w->U8(static_cast<uint8_t>(spec.metric_type));
  w->Varint(spec.params.size());
  for (const auto& [k, v] : spec.params) {
    w->Str(k);
    w->Str(v);
  }
}

bool DecodeIndexSpec(internal::ByteReader* r, IndexSpec* spec) {
  uint8_t type = 0, metric = 0;
  uint64_t n = 0;
  if (!r->Str(&spec->field_name) || !r->Str(&spec->index_name) ||
      !r->U8(&type) || !r->U8(&metric) || !r->Varint(&n) || n > 1024 ||
      type > static_cast<uint8_t>(cove::IndexType::kAutoIndex) ||
      metric > static_cast<uint8_t>(MetricType::kCosine)) {
    return false;
  }
  spec->index_type = static_cast<cove::IndexType>(type);
  spec->metric_type = static_cast<MetricType>(metric);
  spec->params.clear();
  for (uint64_t i = 0; i < n; ++i) {
    std::string k, v;
    if (!r->Str(&k) || !r->Str(&v)) return false;
    spec->params[k] = v;
  }
  return true;
}

absl::Status Collection::Replay(std::string_view record) {
  auto corrupt = [&](const char* what) {
    return absl::DataLossError(absl::StrCat(
        "replay: undecodable ", what, " record for collection '", name_, "'"));
  };
  internal::ByteReader r(record);
  uint8_t type = 0;
  int64_t id = 0;
  if (!r.U8(&type) || !r.I64(&id) || id != id_) return corrupt("header of a");
  absl::MutexLock lock(&mu_);
  switch (static_cast<RecordType>(type)) {
    case RecordType::kInsert: {
      uint32_t partition = 0;
      int64_t next_auto = 0;
      uint64_t n = 0;
      if (!r.U32(&partition) || !r.I64(&next_auto) || !r.Varint(&n) ||
          partition >= partitions_.size()) {
        return corrupt("an insert");
      }
      std::vector<std::vector<Value>> rows;
      rows.reserve(std::min<uint64_t>(n, 1 << 20));
      for (uint64_t i = 0; i < n; ++i) {
        std::vector<Value> values(columns_.size());
        for (Value& v : values) {
          if (!r.Val(&v)) return corrupt("an insert");
        }
        for (const auto& vf : vector_fields_) {
          if (!values[vf.field_index].is_float_vector() ||
              values[vf.field_index].AsFloatVector().size() != vf.dim) {
            return corrupt("an insert");
          }
        }
        rows.push_back(std::move(values));
      }
      next_auto_id_ = std::max(next_auto_id_, next_auto);
      ApplyInsertLocked(rows, static_cast<uint16_t>(partition));
      return absl::OkStatus();
    }
    case RecordType::kDelete: {
      uint64_t n = 0;
      if (!r.Varint(&n)) return corrupt("a delete");
      std::vector<Value> keys;
      for (uint64_t i = 0; i < n; ++i) {
        Value v;
        if (!r.Val(&v)) return corrupt("a delete");
        keys.push_back(std::move(v));
      }
      ApplyDeleteLocked(LookupIds(keys), nullptr);
      return absl::OkStatus();
    }
    case RecordType::kCreatePartition:
    case RecordType::kDropPartition: {
      std::string name;
      if (!r.Str(&name)) return corrupt("a partition");
      absl::Status s =
          static_cast<RecordType>(type) == RecordType::kCreatePartition
              ? CreatePartitionLocked(name, false)
              : DropPartitionLocked(name, false);
      return s.ok() ? s : corrupt("a partition");
    }
    case RecordType::kCreateIndex: {
      IndexSpec spec;
      if (!DecodeIndexSpec(&r, &spec)) return corrupt("an index");
      return CreateIndexLocked(spec, false);
    }
    case RecordType::kDropIndex: {
      std::string name;
      if (!r.Str(&name)) return corrupt("an index");
      return DropIndexLocked(name, false);
    }
    case RecordType::kLoad:
      return LoadLocked(false);
    case RecordType::kRelease:
      loaded_ = false;
      return absl::OkStatus();
    default:
      return corrupt("an unknown");
  }
}

void Collection::Serialize(internal::ByteWriter* w) const {
  absl::ReaderMutexLock lock(&mu_);
  w->I64(id_);
  w->Str(name_);
  w->I64(created_ts_);
  EncodeSchema(schema_, w);
  w->U8(loaded_ ? 1 : 0);
  w->I64(next_auto_id_);
  w->Varint(partitions_.size());
  for (const auto& p : partitions_) w->Str(p);
  w->Varint(num_rows_);
  w->Raw(row_partition_.data(), row_partition_.size() * sizeof(uint16_t));
  for (size_t i = 0; i < num_rows_; ++i) w->U8(deleted_.Test(i) ? 1 : 0);
  for (size_t c = 0; c < columns_.size(); ++c) {
    const bool is_vector = c < schema_.fields.size() &&
                           schema_.fields[c].type == DataType::kFloatVector;
    if (is_vector) continue;
    for (const Value& v : columns_[c]) w->Val(v);
  }
  for (const auto& vf : vector_fields_) {
    w->Floats(vf.data.data(), vf.data.size());
    w->U8(vf.has_index ? 1 : 0);
    if (!vf.has_index) continue;
    EncodeIndexSpec(vf.spec, w);
    std::string bytes;
    if (!vf.index->Save(&bytes).ok()) bytes.clear();
    w->Str(bytes);
  }
}

absl::StatusOr<std::unique_ptr<Collection>> Collection::Deserialize(
    internal::ByteReader* r) {
  auto corrupt = [](const std::string& what) {
    return absl::DataLossError(
        absl::StrCat("snapshot: undecodable collection (", what, ")"));
  };
  int64_t id = 0, created = 0, next_auto = 0;
  std::string name;
  CollectionSchema schema;
  uint8_t loaded = 0;
  uint64_t num_partitions = 0;
  if (!r->I64(&id) || !r->Str(&name) || !r->I64(&created) ||
      !DecodeSchema(r, &schema) || !r->U8(&loaded) || !r->I64(&next_auto) ||
      !r->Varint(&num_partitions) || num_partitions > UINT16_MAX) {
    return corrupt("header");
  }
  auto created_or = Create(name, schema, id);
  if (!created_or.ok())
    return corrupt(std::string(created_or.status().message()));
  std::unique_ptr<Collection> c = *std::move(created_or);
  absl::MutexLock lock(&c->mu_);
  c->created_ts_ = created;
  c->next_auto_id_ = next_auto;
  c->partitions_.clear();
  for (uint64_t i = 0; i < num_partitions; ++i) {
    std::string p;
    if (!r->Str(&p)) return corrupt("partitions");
    c->partitions_.push_back(std::move(p));
  }
  uint64_t n = 0;
  if (!r->Varint(&n) || n > (uint64_t{1} << 32)) return corrupt("row count");
  c->num_rows_ = n;
  c->row_partition_.resize(n);
  if (!r->Raw(c->row_partition_.data(), n * sizeof(uint16_t))) {
    return corrupt("partition ids");
  }
  c->deleted_.Resize(n);
  for (uint64_t i = 0; i < n; ++i) {
    uint8_t d = 0;
    if (!r->U8(&d)) return corrupt("tombstones");
    if (d != 0) {
      c->deleted_.Set(i);
      ++c->num_deleted_;
    }
  }
  for (size_t col = 0; col < c->columns_.size(); ++col) {
    const bool is_vector =
        col < c->schema_.fields.size() &&
        c->schema_.fields[col].type == DataType::kFloatVector;
    c->columns_[col].resize(n);
    if (is_vector) continue;
    for (uint64_t i = 0; i < n; ++i) {
      if (!r->Val(&c->columns_[col][i])) return corrupt("column values");
    }
  }
  for (uint64_t i = 0; i < n; ++i) {
    if (c->deleted_.Test(i)) continue;
    const Value& key = c->columns_[c->pk_index_][i];
    if (key.is_int()) {
      c->int_pk_[key.AsInt()] = static_cast<uint32_t>(i);
    } else if (key.is_string()) {
      c->str_pk_[key.AsString()] = static_cast<uint32_t>(i);
    } else {
      return corrupt("primary keys");
    }
  }
  for (auto& vf : c->vector_fields_) {
    uint8_t has_index = 0;
    if (!r->Floats(&vf.data) || vf.data.size() != n * vf.dim ||
        !r->U8(&has_index)) {
      return corrupt("vectors");
    }
    if (has_index == 0) continue;
    IndexSpec spec;
    std::string bytes;
    if (!DecodeIndexSpec(r, &spec) || !r->Str(&bytes)) return corrupt("index");
    auto loaded_index = bytes.empty()
                            ? absl::StatusOr<std::unique_ptr<VectorIndex>>(
                                  absl::NotFoundError("no bytes"))
                            : LoadIndex(bytes);
    if (loaded_index.ok() && (*loaded_index)->size() == n) {
      vf.index = *std::move(loaded_index);
      vf.spec = spec;
      vf.has_index = true;
    } else if (absl::Status s = c->CreateIndexLocked(spec, false); !s.ok()) {
      return s;  // rebuilt from the vectors
    }
  }
  c->loaded_ = loaded != 0;
  return c;
}

}  // namespace cove::engine
