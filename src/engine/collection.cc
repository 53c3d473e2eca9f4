// The engine's collection: validation, writes into the growing segment, and
// reads over a snapshot of the segments. Records and snapshots are in
// collection_io.cc, background index builds and compaction in
// collection_background.cc.
#include "engine/collection.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <limits>
#include <optional>
#include <set>
#include <utility>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "engine/collection_internal.h"
#include "engine/indexes/flat_index.h"

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

// True when `v` nests arrays and objects more than `levels` deep.
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
      return CheckJsonDepth(v, where);
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
    std::string name, CollectionSchema schema, int64_t id,
    CollectionContext context) {
  if (absl::Status s = ValidateName("collection name", name); !s.ok()) {
    return s;
  }
  if (absl::Status s = ValidateSchema(schema); !s.ok()) return s;
  if (id == 0) {
    id = g_next_collection_id.fetch_add(1);
  } else {
    ReserveIds(id);
  }
  return std::unique_ptr<Collection>(new Collection(
      std::move(name), std::move(schema), id, std::move(context)));
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

Collection::Collection(std::string name, CollectionSchema schema, int64_t id,
                       CollectionContext context)
    : name_(std::move(name)),
      schema_(std::move(schema)),
      id_(id),
      created_ts_(NowMicros()),
      context_(std::move(context)),
      jobs_(std::make_shared<Jobs>()) {
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
      vector_field_index_.push_back(static_cast<int>(i));
      vector_dims_.push_back(static_cast<size_t>(f.dim));
    }
  }
  num_columns_ = schema_.fields.size() + (schema_.enable_dynamic_field ? 1 : 0);
  if (schema_.enable_dynamic_field) {
    expr_schema_.dynamic_field_index = static_cast<int>(schema_.fields.size());
  }
  if (context_.segments.seal_rows == 0) context_.segments.seal_rows = 1;
  if (context_.pool == nullptr) context_.pool = std::make_shared<BuildPool>(1);
  auto meta = std::make_shared<CollectionMeta>();
  meta->partitions = {kDefaultPartition};
  meta->fields.resize(vector_dims_.size());
  auto state = std::make_shared<CollectionState>();
  state->meta = std::move(meta);
  absl::MutexLock lock(&mu_);
  state->segments.push_back(NewGrowingLocked(InitialCapacity()));
  state_ = std::move(state);
}

Collection::~Collection() {
  absl::MutexLock lock(&jobs_->mu);
  jobs_->cancelled = true;
  jobs_->mu.Await(absl::Condition(
      +[](Jobs* j) ABSL_NO_THREAD_SAFETY_ANALYSIS { return j->pending == 0; },
      jobs_.get()));
}

size_t Collection::InitialCapacity() const {
  return std::min<size_t>(context_.segments.seal_rows, 1024);
}

std::shared_ptr<SegmentView> Collection::NewGrowingLocked(size_t capacity) {
  growing_ =
      std::make_shared<SegmentData>(num_columns_, vector_dims_, capacity);
  growing_vectors_ = NewVectorRows(vector_dims_, capacity);
  growing_id_ = next_segment_id_++;
  auto view = std::make_shared<SegmentView>();
  view->id = growing_id_;
  view->sealed = false;
  view->data = growing_;
  view->vectors.assign(growing_vectors_.begin(), growing_vectors_.end());
  view->rows = 0;
  view->deleted = std::make_shared<Bitset>(capacity);
  view->max_norm.assign(vector_dims_.size(), 0.0f);
  view->index.resize(vector_dims_.size());
  return view;
}

std::shared_ptr<const CollectionState> Collection::Snapshot() const {
  absl::ReaderMutexLock lock(&state_mu_);
  return state_;
}

void Collection::PublishMeta(std::shared_ptr<const CollectionMeta> meta) {
  auto next = std::make_shared<CollectionState>(*state_);
  next->meta = std::move(meta);
  std::shared_ptr<const CollectionState> old;
  absl::MutexLock lock(&state_mu_);
  old = std::move(state_);
  state_ = std::move(next);
}

std::string Collection::name() const {
  absl::MutexLock lock(&name_mu_);
  return name_;
}

void Collection::set_name(std::string name) {
  absl::MutexLock lock(&name_mu_);
  name_ = std::move(name);
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

absl::StatusOr<IndexParams> IndexParamsFromSpec(const IndexSpec& spec,
                                                size_t dim) {
  IndexParams params;
  params.dim = dim;
  params.metric = ToEngineMetric(spec.metric_type);
  switch (spec.index_type) {
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
  for (const auto& [key, value] : spec.params) {
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
  return params;
}

absl::Status Collection::CreateIndex(const IndexSpec& spec) {
  absl::MutexLock lock(&mu_);
  return CreateIndexLocked(spec, /*log=*/true);
}

absl::Status Collection::CreateIndexLocked(const IndexSpec& spec, bool log) {
  int target = -1;
  for (size_t f = 0; f < vector_field_index_.size(); ++f) {
    if (schema_.fields[vector_field_index_[f]].name == spec.field_name) {
      target = static_cast<int>(f);
    }
  }
  if (target < 0) {
    bool exists = false;
    for (const auto& f : schema_.fields) exists |= f.name == spec.field_name;
    if (exists) {
      return absl::InvalidArgumentError(absl::StrCat(
          "index field '", spec.field_name,
          "': only FLOAT_VECTOR fields can be indexed in this version"));
    }
    return absl::InvalidArgumentError(
        absl::StrCat("index field: no field '", spec.field_name,
                     "' in collection '", name(), "'"));
  }
  IndexSpec normalized = spec;
  if (normalized.index_name.empty()) normalized.index_name = spec.field_name;
  const FieldIndexState& current = state_->meta->fields[target];
  if (current.has_index) {
    if (current.spec.index_type == normalized.index_type &&
        current.spec.metric_type == normalized.metric_type &&
        current.spec.params == normalized.params &&
        current.spec.index_name == normalized.index_name) {
      return absl::OkStatus();  // same index again: idempotent, as in Milvus
    }
    return absl::AlreadyExistsError(absl::StrCat(
        "index on field '", spec.field_name, "' of collection '", name(),
        "' already exists with other parameters; drop it first"));
  }
  auto params = IndexParamsFromSpec(normalized, vector_dims_[target]);
  if (!params.ok()) return params.status();
  if (auto index = MakeIndex(*params); !index.ok()) return index.status();
  if (log) {
    internal::ByteWriter w;
    w.U8(static_cast<uint8_t>(RecordType::kCreateIndex));
    w.I64(id_);
    EncodeIndexSpec(normalized, &w);
    if (absl::Status s = Log(w.Take()); !s.ok()) return s;
  }
  auto meta = std::make_shared<CollectionMeta>(*state_->meta);
  FieldIndexState& field = meta->fields[target];
  field.has_index = true;
  field.spec = normalized;
  ++field.generation;
  const uint64_t generation = field.generation;
  PublishMeta(std::move(meta));
  for (const auto& seg : state_->segments) {
    if (seg->sealed && seg->rows > 0) {
      ScheduleBuild(seg->id, static_cast<size_t>(target), generation);
    }
  }
  return absl::OkStatus();
}

absl::Status Collection::DropIndex(const std::string& index_name) {
  absl::MutexLock lock(&mu_);
  return DropIndexLocked(index_name, /*log=*/true);
}

absl::Status Collection::DropIndexLocked(const std::string& index_name,
                                         bool log) {
  if (state_->meta->loaded) {
    return absl::FailedPreconditionError(
        absl::StrCat("index '", index_name, "': collection '", name(),
                     "' is loaded; release it before dropping its index"));
  }
  const CollectionMeta& meta = *state_->meta;
  for (size_t f = 0; f < meta.fields.size(); ++f) {
    if (!meta.fields[f].has_index ||
        meta.fields[f].spec.index_name != index_name) {
      continue;
    }
    if (log) {
      internal::ByteWriter w;
      w.U8(static_cast<uint8_t>(RecordType::kDropIndex));
      w.I64(id_);
      w.Str(index_name);
      if (absl::Status s = Log(w.Take()); !s.ok()) return s;
    }
    auto next_meta = std::make_shared<CollectionMeta>(meta);
    next_meta->fields[f].has_index = false;
    next_meta->fields[f].spec = IndexSpec();
    ++next_meta->fields[f].generation;
    Batch batch(*state_);
    batch.next->meta = std::move(next_meta);
    for (size_t pos = 0; pos < batch.next->segments.size(); ++pos) {
      if (batch.next->segments[pos]->index[f] != nullptr) {
        batch.View(pos)->index[f] = nullptr;
      }
    }
    std::shared_ptr<const CollectionState> old;
    absl::MutexLock lock(&state_mu_);
    old = std::move(state_);
    state_ = std::move(batch.next);
    return absl::OkStatus();
  }
  return absl::NotFoundError(absl::StrCat(
      "index '", index_name, "' not found in collection '", name(), "'"));
}

std::vector<IndexDescription> Collection::DescribeIndexes() const {
  std::shared_ptr<const CollectionState> state = Snapshot();
  std::vector<IndexDescription> out;
  for (size_t f = 0; f < state->meta->fields.size(); ++f) {
    const FieldIndexState& field = state->meta->fields[f];
    if (!field.has_index) continue;
    int64_t total = 0, pending = 0;
    for (const auto& seg : state->segments) {
      total += static_cast<int64_t>(seg->live());
      if (seg->sealed && seg->index[f] == nullptr) {
        pending += static_cast<int64_t>(seg->live());
      }
    }
    IndexDescription d;
    d.index_name = field.spec.index_name;
    d.field_name = field.spec.field_name;
    d.index_type = field.spec.index_type;
    d.metric_type = field.spec.metric_type;
    d.params = field.spec.params;
    d.total_rows = total;
    d.indexed_rows = total - pending;
    d.state = pending > 0 ? "InProgress" : "Finished";
    out.push_back(std::move(d));
  }
  return out;
}

absl::Status Collection::Load() {
  absl::MutexLock lock(&mu_);
  return LoadLocked(/*log=*/true);
}

absl::Status Collection::LoadLocked(bool log) {
  const CollectionMeta& meta = *state_->meta;
  for (size_t f = 0; f < meta.fields.size(); ++f) {
    if (!meta.fields[f].has_index) {
      return absl::FailedPreconditionError(
          absl::StrCat("load collection '", name(), "': vector field '",
                       schema_.fields[vector_field_index_[f]].name,
                       "' has no index (create one first)"));
    }
  }
  if (meta.loaded) return absl::OkStatus();
  if (log) {
    internal::ByteWriter w;
    w.U8(static_cast<uint8_t>(RecordType::kLoad));
    w.I64(id_);
    if (absl::Status s = Log(w.Take()); !s.ok()) return s;
  }
  auto next = std::make_shared<CollectionMeta>(meta);
  next->loaded = true;
  PublishMeta(std::move(next));
  return absl::OkStatus();
}

absl::Status Collection::Release() {
  absl::MutexLock lock(&mu_);
  if (!state_->meta->loaded) return absl::OkStatus();
  internal::ByteWriter w;
  w.U8(static_cast<uint8_t>(RecordType::kRelease));
  w.I64(id_);
  if (absl::Status s = Log(w.Take()); !s.ok()) return s;
  auto next = std::make_shared<CollectionMeta>(*state_->meta);
  next->loaded = false;
  PublishMeta(std::move(next));
  return absl::OkStatus();
}

LoadState Collection::load_state() const {
  return Snapshot()->meta->loaded ? LoadState::kLoaded : LoadState::kNotLoaded;
}

int64_t Collection::row_count() const {
  std::shared_ptr<const CollectionState> state = Snapshot();
  int64_t n = 0;
  for (const auto& seg : state->segments)
    n += static_cast<int64_t>(seg->live());
  return n;
}

namespace {

absl::Status NotLoaded(const char* verb, const std::string& name) {
  return absl::FailedPreconditionError(absl::StrCat(
      verb, ": collection '", name, "' is not loaded (call LoadCollection)"));
}

}  // namespace

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
  out->assign(num_columns_, Value());
  Value::Object dynamic;
  for (const auto& [key, value] : in) {
    bool known = false;
    for (const auto& f : schema_.fields) known |= f.name == key;
    if (known) continue;
    if (key == kDynamicFieldName && schema_.enable_dynamic_field &&
        value.is_object()) {
      for (const auto& [k, v] : value.AsObject()) {
        if (absl::Status s =
                CheckJsonDepth(v, absl::StrCat("insert row ", row_number,
                                               ": dynamic field '", k, "'"));
            !s.ok()) {
          return s;
        }
        dynamic[k] = v;
      }
      continue;
    }
    if (!schema_.enable_dynamic_field) {
      return absl::InvalidArgumentError(
          absl::StrCat("insert row ", row_number, ": unknown field '", key,
                       "' (the collection has no dynamic field)"));
    }
    if (absl::Status s =
            CheckJsonDepth(value, absl::StrCat("insert row ", row_number,
                                               ": dynamic field '", key, "'"));
        !s.ok()) {
      return s;
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
  auto partition_ids =
      PartitionIds(*state_->meta, {request.partition_name.empty()
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
                         " already exists in collection '", name(),
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

void Collection::SetPkLocked(const Value& key, Loc loc) {
  if (key.is_int()) {
    int_pk_[key.AsInt()] = loc;
  } else {
    str_pk_[key.AsString()] = loc;
  }
}

void Collection::ErasePkLocked(const Value& key) {
  if (key.is_int()) {
    int_pk_.erase(key.AsInt());
  } else {
    str_pk_.erase(key.AsString());
  }
}

const Value& Collection::KeyAt(const CollectionState& state, Loc loc) const {
  const int pos = state.Find(LocSegment(loc));
  return state.segments[pos]->data->columns[pk_index_][LocRow(loc)];
}

bool Collection::TombstoneLocked(Batch& batch, Loc loc,
                                 std::vector<int64_t>* touched) {
  const int pos = batch.next->Find(LocSegment(loc));
  if (pos < 0) return false;
  const uint32_t row = LocRow(loc);
  const SegmentView& current = *batch.next->segments[pos];
  if (row >= current.rows || current.deleted->Test(row)) return false;
  batch.Deleted(pos)->Set(row);
  SegmentView* view = batch.View(pos);
  ++view->num_deleted;
  if (view->sealed && touched != nullptr) touched->push_back(view->id);
  return true;
}

void Collection::ApplyInsertLocked(std::vector<std::vector<Value>>& rows,
                                   uint16_t partition_id) {
  const size_t seal_rows = context_.segments.seal_rows;
  std::vector<int64_t> sealed_now;
  std::vector<int64_t> touched;
  {
    absl::MutexLock slock(&state_mu_);
    Batch batch(*state_);
    int gpos = batch.next->Find(growing_id_);
    SegmentView* g = batch.View(gpos);
    auto seal_if_full = [&] {
      if (g->rows < seal_rows) return;
      // Seal: the storage is never written again; its indexes are built in
      // the background.
      g->sealed = true;
      sealed_now.push_back(g->id);
      auto view = NewGrowingLocked(InitialCapacity());
      Bitset* deleted = const_cast<Bitset*>(view->deleted.get());
      gpos = static_cast<int>(batch.Append(std::move(view), deleted));
      g = batch.View(gpos);
    };
    for (std::vector<Value>& values : rows) {
      seal_if_full();
      if (g->rows == growing_->capacity) {
        // Full below the threshold: continue in a copy twice the size.
        // Readers keep the old storage as long as they need it.
        const size_t rows_now = g->rows;
        const size_t capacity =
            std::max(rows_now + 1, std::min(2 * rows_now, seal_rows));
        auto bigger =
            std::make_shared<SegmentData>(num_columns_, vector_dims_, capacity);
        auto bigger_vectors = NewVectorRows(vector_dims_, capacity);
        for (size_t c = 0; c < num_columns_; ++c) {
          std::copy_n(growing_->columns[c].begin(), rows_now,
                      bigger->columns[c].begin());
        }
        std::copy_n(growing_->partition.begin(), rows_now,
                    bigger->partition.begin());
        for (size_t f = 0; f < vector_dims_.size(); ++f) {
          std::copy_n(growing_vectors_[f]->data(), rows_now * vector_dims_[f],
                      bigger_vectors[f]->mutable_data());
          std::copy_n(growing_->vectors[f].inv_norm.begin(), rows_now,
                      bigger->vectors[f].inv_norm.begin());
        }
        Bitset* deleted = batch.Deleted(gpos);
        deleted->Resize(capacity);
        g->data = bigger;
        g->vectors.assign(bigger_vectors.begin(), bigger_vectors.end());
        growing_ = std::move(bigger);
        growing_vectors_ = std::move(bigger_vectors);
      }
      const Value key = values[pk_index_];
      // Upsert: tombstone the row the key had.
      if (key.is_int()) {
        auto it = int_pk_.find(key.AsInt());
        if (it != int_pk_.end()) TombstoneLocked(batch, it->second, &touched);
      } else {
        auto it = str_pk_.find(key.AsString());
        if (it != str_pk_.end()) TombstoneLocked(batch, it->second, &touched);
      }
      const size_t row = g->rows;
      for (size_t f = 0; f < vector_dims_.size(); ++f) {
        Value& v = values[vector_field_index_[f]];
        const std::vector<float>& vec = v.AsFloatVector();
        const size_t dim = vector_dims_[f];
        float* dst = growing_vectors_[f]->mutable_data() + row * dim;
        std::copy_n(vec.data(), dim, dst);
        const float norm = Norm(dst, dim);
        growing_->vectors[f].inv_norm[row] = norm > 0 ? 1.0f / norm : 0.0f;
        g->max_norm[f] = std::max(g->max_norm[f], norm * norm);
        v = Value();  // kept in the vector storage only
      }
      for (size_t c = 0; c < num_columns_; ++c) {
        growing_->columns[c][row] = std::move(values[c]);
      }
      growing_->partition[row] = partition_id;
      g->rows = row + 1;
      SetPkLocked(key, MakeLoc(g->id, static_cast<uint32_t>(row)));
      seal_if_full();
    }
    std::shared_ptr<const CollectionState> old = std::move(state_);
    state_ = std::move(batch.next);
  }
  const CollectionMeta& meta = *state_->meta;
  for (int64_t id : sealed_now) {
    for (size_t f = 0; f < meta.fields.size(); ++f) {
      if (meta.fields[f].has_index) {
        ScheduleBuild(id, f, meta.fields[f].generation);
      }
    }
  }
  if (!touched.empty()) MaybeScheduleCompactionLocked();
}

std::vector<Collection::Loc> Collection::LookupIds(
    const std::vector<Value>& ids) const {
  std::vector<Loc> rows;
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

std::vector<Collection::Loc> Collection::LookupIdsIn(
    const CollectionState& state, const std::vector<Value>& ids) const {
  const bool int_pk = schema_.fields[pk_index_].type == DataType::kInt64;
  absl::flat_hash_map<int64_t, std::optional<Loc>> ints;
  absl::flat_hash_map<std::string, std::optional<Loc>> strings;
  for (const Value& id : ids) {
    if (int_pk && id.is_int()) ints.emplace(id.AsInt(), std::nullopt);
    if (!int_pk && id.is_string()) strings.emplace(id.AsString(), std::nullopt);
  }
  // A key has at most one live row in a state (an upsert tombstones the old
  // row in the batch that adds the new one).
  for (const auto& seg : state.segments) {
    const std::vector<Value>& keys = seg->data->columns[pk_index_];
    for (size_t r = 0; r < seg->rows; ++r) {
      if (seg->num_deleted > 0 && seg->deleted->Test(r)) continue;
      const Loc loc = MakeLoc(seg->id, static_cast<uint32_t>(r));
      if (int_pk) {
        auto it = ints.find(keys[r].AsInt());
        if (it != ints.end()) it->second = loc;
      } else {
        auto it = strings.find(keys[r].AsString());
        if (it != strings.end()) it->second = loc;
      }
    }
  }
  std::vector<Loc> rows;
  for (const Value& id : ids) {
    std::optional<Loc> loc;
    if (int_pk && id.is_int()) loc = ints[id.AsInt()];
    if (!int_pk && id.is_string()) loc = strings[id.AsString()];
    if (loc.has_value()) rows.push_back(*loc);
  }
  return rows;
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
  const CollectionState& state = *state_;
  std::vector<int> partitions;
  if (!request.partition_name.empty()) {
    auto ids = PartitionIds(*state.meta, {request.partition_name});
    if (!ids.ok()) return ids.status();
    partitions = *std::move(ids);
  }
  std::vector<Loc> rows;
  if (filter.has_value()) {
    std::vector<bool> keep;
    if (!partitions.empty()) {
      keep.assign(state.meta->partitions.size(), false);
      for (int p : partitions) keep[p] = true;
    }
    for (const auto& seg : state.segments) {
      Bitset matching =
          Matching(*seg, &*filter, partitions.empty() ? nullptr : &keep);
      matching.ForEachSet([&](size_t r) {
        rows.push_back(MakeLoc(seg->id, static_cast<uint32_t>(r)));
      });
    }
  } else {
    const FieldSchema& pk = schema_.fields[pk_index_];
    for (const Value& id : request.ids) {
      absl::Status s = CheckScalar(pk, pk.type, id, "delete ids");
      if (!s.ok()) return s;
    }
    for (Loc loc : LookupIds(request.ids)) {
      const int pos = state.Find(LocSegment(loc));
      if (partitions.empty() ||
          state.segments[pos]->data->partition[LocRow(loc)] ==
              partitions.front()) {
        rows.push_back(loc);
      }
    }
  }
  MutationResult result;
  if (logger_) {
    // Every row found is live (filters skip tombstones, the pk map holds
    // live rows only); a key given twice is logged once.
    absl::flat_hash_set<Loc> seen;
    rows.erase(
        std::remove_if(rows.begin(), rows.end(),
                       [&](Loc loc) { return !seen.insert(loc).second; }),
        rows.end());
    if (rows.empty()) return result;
    internal::ByteWriter w;
    w.U8(static_cast<uint8_t>(RecordType::kDelete));
    w.I64(id_);
    w.Varint(rows.size());
    for (Loc loc : rows) w.Val(KeyAt(state, loc));
    if (absl::Status s = Log(w.Take()); !s.ok()) return s;
  }
  ApplyDeleteLocked(rows, &result);
  return result;
}

int64_t Collection::ApplyDeleteLocked(const std::vector<Loc>& rows,
                                      MutationResult* result) {
  int64_t count = 0;
  std::vector<int64_t> touched;
  {
    absl::MutexLock slock(&state_mu_);
    Batch batch(*state_);
    for (Loc loc : rows) {
      if (!TombstoneLocked(batch, loc, &touched)) continue;
      ++count;
      const Value& key = KeyAt(*batch.next, loc);
      if (result != nullptr) result->ids.push_back(key);
      ErasePkLocked(key);
    }
    std::shared_ptr<const CollectionState> old = std::move(state_);
    state_ = std::move(batch.next);
  }
  if (result != nullptr) result->count = count;
  if (!touched.empty()) MaybeScheduleCompactionLocked();
  return count;
}

absl::StatusOr<expr::CompiledFilter> Collection::CompileFilter(
    const std::string& filter,
    const std::map<std::string, Value>& params) const {
  expr::TemplateValues values(params.begin(), params.end());
  return expr::Compile(filter, expr_schema_, values);
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

namespace {

// Row access for filters: field values straight from a segment's columns.
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

Bitset Collection::Matching(const SegmentView& seg,
                            const expr::CompiledFilter* filter,
                            const std::vector<bool>* partitions) const {
  Bitset allowed(seg.rows, true);
  if (seg.num_deleted > 0) allowed.AndNot(*seg.deleted);
  if (partitions != nullptr) {
    const std::vector<uint16_t>& part = seg.data->partition;
    for (size_t r = 0; r < seg.rows; ++r) {
      if (!(*partitions)[part[r]]) allowed.Reset(r);
    }
  }
  if (filter == nullptr) return allowed;
  ColumnRow accessor(&seg.data->columns);
  allowed.ForEachSet([&](size_t r) {
    accessor.set_row(static_cast<uint32_t>(r));
    if (!filter->Matches(accessor)) allowed.Reset(r);
  });
  return allowed;
}

Row Collection::Entity(const SegmentView& seg, uint32_t row,
                       const std::vector<std::string>& fields) const {
  Row entity;
  const SegmentData& data = *seg.data;
  const Value* meta =
      schema_.enable_dynamic_field ? &data.columns.back()[row] : nullptr;
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
        for (size_t f = 0; f < vector_field_index_.size(); ++f) {
          if (vector_field_index_[f] != static_cast<int>(i)) continue;
          const size_t dim = vector_dims_[f];
          const float* v = seg.vectors[f]->row(row);
          entity[name] = Value::FloatVector(std::vector<float>(v, v + dim));
        }
      } else {
        entity[name] = data.columns[i][row];
      }
    }
    if (!found && meta != nullptr) {
      if (const Value* v = meta->Find(name)) entity[name] = *v;
    }
  }
  return entity;
}

absl::StatusOr<SearchResults> Collection::Search(
    const SearchRequest& request,
    const std::shared_ptr<const CollectionState>& pinned) const {
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
  if (request.search_after.has_value() && pinned == nullptr) {
    return absl::InvalidArgumentError(
        "search search_after: only a read-session search takes a cursor "
        "(session_id is empty)");
  }
  // Everything below reads this snapshot only: no lock is held.
  const std::shared_ptr<const CollectionState> state =
      pinned != nullptr ? pinned : Snapshot();
  const CollectionMeta& meta = *state->meta;
  if (!(pinned != nullptr ? load_state() == LoadState::kLoaded : meta.loaded)) {
    return NotLoaded("search", name());
  }
  size_t field = 0;
  if (request.anns_field.empty()) {
    if (vector_field_index_.size() > 1) {
      return absl::InvalidArgumentError(
          absl::StrCat("search anns_field: collection '", name(),
                       "' has several vector fields; name one"));
    }
  } else {
    bool found = false;
    for (size_t f = 0; f < vector_field_index_.size(); ++f) {
      if (schema_.fields[vector_field_index_[f]].name == request.anns_field) {
        field = f;
        found = true;
      }
    }
    if (!found) {
      return absl::InvalidArgumentError(
          absl::StrCat("search anns_field: no vector field '",
                       request.anns_field, "' in collection '", name(), "'"));
    }
  }
  const size_t dim = vector_dims_[field];
  const std::string& field_name =
      schema_.fields[vector_field_index_[field]].name;
  if (request.dim != dim || request.vectors.empty() ||
      request.vectors.size() % dim != 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("search vectors: wrong dimension for field '", field_name,
                     "' (expected ", dim, ", got ", request.dim, " with ",
                     request.vectors.size(), " floats)"));
  }
  for (size_t i = 0; i < request.vectors.size(); ++i) {
    if (!std::isfinite(request.vectors[i])) {
      return absl::InvalidArgumentError(
          absl::StrCat("search vectors: query ", i / dim, " element ", i % dim,
                       " is not a finite number"));
    }
  }
  const IndexSpec& spec = meta.fields[field].spec;
  if (request.metric_type.has_value() &&
      *request.metric_type != spec.metric_type) {
    return absl::InvalidArgumentError(absl::StrCat(
        "search metric_type: the index uses ", MetricTypeName(spec.metric_type),
        " (got ", MetricTypeName(*request.metric_type), ")"));
  }
  IndexSearchParams params;
  params.k = static_cast<size_t>(request.limit + request.offset);
  for (const auto& param : request.params) {
    // (Not a structured binding: clang 14 cannot capture those in lambdas.)
    const std::string& key = param.first;
    const Value& value = param.second;
    auto as_number = [&](const char* what) -> absl::StatusOr<double> {
      if (!value.is_number()) {
        return absl::InvalidArgumentError(
            absl::StrCat("search param '", what, "': expected a number (got ",
                         value.ToJson(), ")"));
      }
      return value.AsDouble();
    };
    if (key == "ef" || key == "nprobe" || key == "rerank") {
      auto n = as_number(key.c_str());
      if (!n.ok()) return n.status();
      if (*n < 1 || *n > 32768) {
        return absl::InvalidArgumentError(absl::StrCat(
            "search param '", key, "': expected 1 to 32768 (got ", *n, ")"));
      }
      (key == "ef"       ? params.ef
       : key == "nprobe" ? params.nprobe
                         : params.rerank) = static_cast<int>(*n);
    } else if (key == "radius" || key == "range_filter") {
      auto n = as_number(key.c_str());
      if (!n.ok()) return n.status();
      (key == "radius" ? params.radius : params.range_filter) =
          static_cast<float>(*n);
    }
  }
  auto fields = ResolveOutputFields(request.output_fields);
  if (!fields.ok()) return fields.status();
  auto partitions = PartitionIds(meta, request.partition_names);
  if (!partitions.ok()) return partitions.status();
  std::vector<bool> keep;
  if (!partitions->empty()) {
    keep.assign(meta.partitions.size(), false);
    for (int p : *partitions) keep[p] = true;
  }
  const bool cosine = spec.metric_type == MetricType::kCosine;
  const Metric metric = ToEngineMetric(spec.metric_type);
  const bool larger_is_closer = LargerIsCloser(metric);

  // The segments to search, each with its allowed rows (none: all rows).
  struct Target {
    const SegmentView* seg;
    std::optional<Bitset> allowed;
  };
  std::vector<Target> targets;
  targets.reserve(state->segments.size());
  for (const auto& seg : state->segments) {
    if (seg->live() == 0) continue;
    Target t{seg.get(), std::nullopt};
    if (filter.has_value() || !keep.empty() || seg->num_deleted > 0) {
      t.allowed = Matching(*seg, filter.has_value() ? &*filter : nullptr,
                           keep.empty() ? nullptr : &keep);
      if (t.allowed->Count() == 0) continue;
    }
    targets.push_back(std::move(t));
  }

  struct Candidate {
    float key;  // smaller is closer
    uint32_t target;
    uint32_t row;
    float score;
  };
  SearchResults results;
  const size_t nq = request.vectors.size() / dim;
  std::vector<float> query(dim);
  if (pinned != nullptr) {
    // Read sessions (iterators): every allowed row of the pinned state is
    // scored exactly, the same way on every page, so that pages split one
    // total order (distance, then primary key) and never drop a row that an
    // approximate index would have missed.
    const bool int_pk = schema_.fields[pk_index_].type == DataType::kInt64;
    std::optional<float> after_key;
    if (request.search_after.has_value()) {
      const SearchCursor& after = *request.search_after;
      if (int_pk ? !after.id.is_int() : !after.id.is_string()) {
        return absl::InvalidArgumentError(
            absl::StrCat("search search_after.id: expected ",
                         int_pk ? "an INT64" : "a VARCHAR",
                         " primary key (got ", after.id.ToJson(), ")"));
      }
      if (!std::isfinite(after.distance)) {
        return absl::InvalidArgumentError(
            "search search_after.distance: expected a finite number");
      }
      after_key = larger_is_closer ? -after.distance : after.distance;
    }
    auto key_less = [int_pk](const Value& a, const Value& b) {
      return int_pk ? a.AsInt() < b.AsInt() : a.AsString() < b.AsString();
    };
    const DistanceFn score_fn =
        metric == Metric::kL2 ? L2SqrFunction() : InnerProductFunction();
    auto in_range = [&](float score) {
      // Milvus range semantics: L2 keeps range_filter <= d < radius; IP and
      // COSINE keep radius < s <= range_filter.
      if (params.radius.has_value() &&
          (larger_is_closer ? !(score > *params.radius)
                            : !(score < *params.radius))) {
        return false;
      }
      if (params.range_filter.has_value() &&
          (larger_is_closer ? !(score <= *params.range_filter)
                            : !(score >= *params.range_filter))) {
        return false;
      }
      return true;
    };
    std::vector<Candidate> found;
    for (size_t q = 0; q < nq; ++q) {
      std::copy_n(request.vectors.begin() + q * dim, dim, query.begin());
      if (cosine) {
        float n = Norm(query.data(), dim);
        if (n > 0) {
          for (float& x : query) x /= n;
        }
      }
      found.clear();
      for (size_t t = 0; t < targets.size(); ++t) {
        const SegmentView& seg = *targets[t].seg;
        const float* base = seg.vectors[field]->data();
        const float* inv_norm = seg.data->vectors[field].inv_norm.data();
        const std::vector<Value>& keys = seg.data->columns[pk_index_];
        auto visit = [&](size_t r) {
          float score = score_fn(query.data(), base + r * dim, dim);
          if (cosine) score *= inv_norm[r];
          if (!in_range(score)) return;
          const float key = larger_is_closer ? -score : score;
          if (after_key.has_value() &&
              (key < *after_key ||
               (key == *after_key &&
                !key_less(request.search_after->id, keys[r])))) {
            return;
          }
          found.push_back(Candidate{key, static_cast<uint32_t>(t),
                                    static_cast<uint32_t>(r), score});
        };
        if (targets[t].allowed.has_value()) {
          targets[t].allowed->ForEachSet(visit);
        } else {
          for (size_t r = 0; r < seg.rows; ++r) visit(r);
        }
      }
      const size_t want = std::min(found.size(), params.k);
      auto closer = [&](const Candidate& a, const Candidate& b) {
        if (a.key != b.key) return a.key < b.key;
        return key_less(targets[a.target].seg->data->columns[pk_index_][a.row],
                        targets[b.target].seg->data->columns[pk_index_][b.row]);
      };
      std::partial_sort(found.begin(), found.begin() + want, found.end(),
                        closer);
      std::vector<Hit> hits;
      for (size_t i = static_cast<size_t>(request.offset); i < want; ++i) {
        const SegmentView& seg = *targets[found[i].target].seg;
        Hit hit;
        hit.id = seg.data->columns[pk_index_][found[i].row];
        hit.distance = found[i].score;
        hit.entity = Entity(seg, found[i].row, *fields);
        hits.push_back(std::move(hit));
      }
      results.hits.push_back(std::move(hits));
    }
    return results;
  }
  std::vector<Candidate> merged;
  for (size_t q = 0; q < nq; ++q) {
    std::copy_n(request.vectors.begin() + q * dim, dim, query.begin());
    if (cosine) {
      float n = Norm(query.data(), dim);
      if (n > 0) {
        for (float& x : query) x /= n;
      }
    }
    merged.clear();
    for (size_t t = 0; t < targets.size(); ++t) {
      const SegmentView& seg = *targets[t].seg;
      IndexSearchParams p = params;
      p.allowed =
          targets[t].allowed.has_value() ? &*targets[t].allowed : nullptr;
      std::vector<Neighbor> found;
      if (const VectorIndex* index = seg.index[field].get()) {
        found = index->Search(query.data(), p);
      } else {
        // Growing segment, or a sealed one whose index is being built.
        ExactView view;
        view.data = seg.vectors[field]->data();
        view.n = seg.rows;
        view.dim = dim;
        view.metric = metric;
        view.max_norm = cosine ? 1.0f : seg.max_norm[field];
        view.scale =
            cosine ? seg.data->vectors[field].inv_norm.data() : nullptr;
        found = ExactSearch(view, query.data(), p);
      }
      for (const Neighbor& nb : found) {
        merged.push_back(Candidate{larger_is_closer ? -nb.score : nb.score,
                                   static_cast<uint32_t>(t), nb.row, nb.score});
      }
    }
    const size_t want = std::min(merged.size(), params.k);
    auto closer = [](const Candidate& a, const Candidate& b) {
      if (a.key != b.key) return a.key < b.key;
      if (a.target != b.target) return a.target < b.target;
      return a.row < b.row;
    };
    std::partial_sort(merged.begin(), merged.begin() + want, merged.end(),
                      closer);
    std::vector<Hit> hits;
    for (size_t i = static_cast<size_t>(request.offset); i < want; ++i) {
      const SegmentView& seg = *targets[merged[i].target].seg;
      Hit hit;
      hit.id = seg.data->columns[pk_index_][merged[i].row];
      hit.distance = merged[i].score;
      hit.entity = Entity(seg, merged[i].row, *fields);
      hits.push_back(std::move(hit));
    }
    results.hits.push_back(std::move(hits));
  }
  return results;
}

absl::StatusOr<std::vector<Row>> Collection::Query(
    const QueryRequest& request,
    const std::shared_ptr<const CollectionState>& pinned) const {
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
  std::shared_ptr<const CollectionState> state;
  std::vector<Loc> locs;
  if (pinned != nullptr) {
    // The pk maps describe the current state: find the ids in the pinned
    // one by a scan.
    state = pinned;
    if (load_state() != LoadState::kLoaded) return NotLoaded("query", name());
    if (!request.ids.empty()) locs = LookupIdsIn(*state, request.ids);
  } else if (!request.ids.empty()) {
    // The key lookups and the snapshot under one lock: they agree.
    absl::ReaderMutexLock lock(&state_mu_);
    state = state_;
    locs = LookupIds(request.ids);
  } else {
    state = Snapshot();
  }
  const CollectionMeta& meta = *state->meta;
  if (!meta.loaded) return NotLoaded("query", name());
  auto partitions = PartitionIds(meta, request.partition_names);
  if (!partitions.ok()) return partitions.status();
  std::vector<bool> keep;
  if (!partitions->empty()) {
    keep.assign(meta.partitions.size(), false);
    for (int p : *partitions) keep[p] = true;
  }
  // Result rows as (segment position, row).
  std::vector<std::pair<uint32_t, uint32_t>> rows;
  if (!request.ids.empty()) {
    for (Loc loc : locs) {
      const int pos = state->Find(LocSegment(loc));
      if (pos < 0) continue;
      const SegmentView& seg = *state->segments[pos];
      const uint32_t r = LocRow(loc);
      if (r >= seg.rows || seg.deleted->Test(r)) continue;
      if (!keep.empty() && !keep[seg.data->partition[r]]) continue;
      if (filter.has_value()) {
        ColumnRow accessor(&seg.data->columns);
        accessor.set_row(r);
        if (!filter->Matches(accessor)) continue;
      }
      rows.emplace_back(static_cast<uint32_t>(pos), r);
    }
  } else {
    for (size_t pos = 0; pos < state->segments.size(); ++pos) {
      const SegmentView& seg = *state->segments[pos];
      if (seg.live() == 0) continue;
      Bitset allowed = Matching(seg, filter.has_value() ? &*filter : nullptr,
                                keep.empty() ? nullptr : &keep);
      allowed.ForEachSet([&](size_t r) {
        rows.emplace_back(static_cast<uint32_t>(pos), static_cast<uint32_t>(r));
      });
    }
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
  auto key = [&](const std::pair<uint32_t, uint32_t>& at) -> const Value& {
    return state->segments[at.first]->data->columns[pk_index_][at.second];
  };
  size_t begin = std::min(rows.size(), static_cast<size_t>(request.offset));
  size_t end =
      request.limit > 0
          ? std::min(rows.size(), begin + static_cast<size_t>(request.limit))
          : rows.size();
  if (request.ids.empty()) {
    // Results come in primary-key order, so that offset/limit pages are
    // stable and iterators can resume after the last key.
    using At = std::pair<uint32_t, uint32_t>;
    auto sort_rows = [&](auto less) {
      if (end < rows.size()) {
        std::partial_sort(rows.begin(), rows.begin() + end, rows.end(), less);
      } else {
        std::sort(rows.begin(), rows.end(), less);
      }
    };
    if (schema_.fields[pk_index_].type == DataType::kInt64) {
      sort_rows([&](const At& a, const At& b) {
        return key(a).AsInt() < key(b).AsInt();
      });
    } else {
      sort_rows([&](const At& a, const At& b) {
        return key(a).AsString() < key(b).AsString();
      });
    }
  }
  std::vector<Row> out;
  for (size_t i = begin; i < end; ++i) {
    out.push_back(
        Entity(*state->segments[rows[i].first], rows[i].second, *fields));
  }
  return out;
}

absl::StatusOr<std::vector<int>> Collection::PartitionIds(
    const CollectionMeta& meta, const std::vector<std::string>& names) const {
  std::vector<int> ids;
  for (const std::string& name : names) {
    auto it = std::find(meta.partitions.begin(), meta.partitions.end(), name);
    if (name.empty() || it == meta.partitions.end()) {
      return absl::NotFoundError(absl::StrCat("partition '", name,
                                              "' not found in collection '",
                                              this->name(), "'"));
    }
    ids.push_back(static_cast<int>(it - meta.partitions.begin()));
  }
  return ids;
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
  const std::vector<std::string>& partitions = state_->meta->partitions;
  if (std::find(partitions.begin(), partitions.end(), partition) !=
      partitions.end()) {
    return absl::AlreadyExistsError(
        absl::StrCat("partition '", partition,
                     "' already exists in collection '", name(), "'"));
  }
  size_t live = 0;
  for (const auto& p : partitions) live += p.empty() ? 0 : 1;
  if (live >= kMaxPartitions || partitions.size() >= UINT16_MAX) {
    return absl::ResourceExhaustedError(
        absl::StrCat("partition '", partition, "': collection '", name(),
                     "' has the maximum of ", kMaxPartitions, " partitions"));
  }
  if (log) {
    internal::ByteWriter w;
    w.U8(static_cast<uint8_t>(RecordType::kCreatePartition));
    w.I64(id_);
    w.Str(partition);
    if (absl::Status s = Log(w.Take()); !s.ok()) return s;
  }
  auto meta = std::make_shared<CollectionMeta>(*state_->meta);
  meta->partitions.push_back(partition);
  PublishMeta(std::move(meta));
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
  const std::vector<std::string>& partitions = state_->meta->partitions;
  auto it = std::find(partitions.begin(), partitions.end(), partition);
  if (partition.empty() || it == partitions.end()) {
    return absl::NotFoundError(absl::StrCat(
        "partition '", partition, "' not found in collection '", name(), "'"));
  }
  if (state_->meta->loaded) {
    return absl::FailedPreconditionError(
        absl::StrCat("drop partition '", partition, "': collection '", name(),
                     "' is loaded; release it first"));
  }
  if (log) {
    internal::ByteWriter w;
    w.U8(static_cast<uint8_t>(RecordType::kDropPartition));
    w.I64(id_);
    w.Str(partition);
    if (absl::Status s = Log(w.Take()); !s.ok()) return s;
  }
  const uint16_t id = static_cast<uint16_t>(it - partitions.begin());
  std::vector<int64_t> touched;
  {
    absl::MutexLock slock(&state_mu_);
    Batch batch(*state_);
    auto meta = std::make_shared<CollectionMeta>(*state_->meta);
    meta->partitions[id].clear();  // keep ids stable
    batch.next->meta = std::move(meta);
    for (size_t pos = 0; pos < batch.next->segments.size(); ++pos) {
      const SegmentView& seg = *batch.next->segments[pos];
      const int64_t seg_id = seg.id;
      const size_t rows = seg.rows;
      const SegmentData& data = *seg.data;
      for (size_t r = 0; r < rows; ++r) {
        if (data.partition[r] != id) continue;
        const Loc loc = MakeLoc(seg_id, static_cast<uint32_t>(r));
        if (TombstoneLocked(batch, loc, &touched)) {
          ErasePkLocked(data.columns[pk_index_][r]);
        }
      }
    }
    std::shared_ptr<const CollectionState> old = std::move(state_);
    state_ = std::move(batch.next);
  }
  if (!touched.empty()) MaybeScheduleCompactionLocked();
  return absl::OkStatus();
}

bool Collection::HasPartition(const std::string& partition) const {
  std::shared_ptr<const CollectionState> state = Snapshot();
  const std::vector<std::string>& partitions = state->meta->partitions;
  return !partition.empty() && std::find(partitions.begin(), partitions.end(),
                                         partition) != partitions.end();
}

std::vector<std::string> Collection::ListPartitions() const {
  std::shared_ptr<const CollectionState> state = Snapshot();
  std::vector<std::string> out;
  for (const auto& p : state->meta->partitions) {
    if (!p.empty()) out.push_back(p);
  }
  return out;
}

std::vector<SegmentInfo> Collection::Segments() const {
  std::shared_ptr<const CollectionState> state = Snapshot();
  std::vector<SegmentInfo> out;
  for (const auto& seg : state->segments) {
    SegmentInfo info;
    info.id = seg->id;
    info.sealed = seg->sealed;
    info.rows = static_cast<int64_t>(seg->rows);
    info.deleted = static_cast<int64_t>(seg->num_deleted);
    info.memory_bytes = seg->data->MemoryBytes() +
                        seg->deleted->words().capacity() * sizeof(uint64_t);
    for (const auto& rows : seg->vectors) {
      info.memory_bytes += rows->heap_bytes();
      info.mapped_vector_bytes += rows->mapped_bytes();
      info.vectors_mapped.push_back(rows->mapped());
    }
    for (const auto& index : seg->index) {
      info.indexed.push_back(index != nullptr);
      if (index != nullptr) info.memory_bytes += index->MemoryBytes();
    }
    out.push_back(std::move(info));
  }
  return out;
}

size_t Collection::MemoryBytes() const {
  size_t bytes = 0;
  for (const SegmentInfo& info : Segments()) bytes += info.memory_bytes;
  return bytes;
}

}  // namespace cove::engine
