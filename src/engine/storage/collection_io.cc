// Records and snapshots of a collection: write-ahead-log replay and the
// snapshot formats (2: segments; 1: one block of rows, migrated on load).
#include <algorithm>
#include <set>
#include <utility>

#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "engine/collection.h"
#include "engine/collection_internal.h"

namespace cove::engine {

absl::Status Collection::Replay(std::string_view record) {
  auto corrupt = [&](const char* what) {
    return absl::DataLossError(absl::StrCat(
        "replay: undecodable ", what, " record for collection '", name(), "'"));
  };
  internal::ByteReader r(record);
  uint8_t type = 0;
  int64_t id = 0;
  if (!r.U8(&type) || !r.I64(&id) || id != id_) return corrupt("header of a");
  absl::MutexLock lock(&mu_);
  switch (static_cast<RecordType>(type)) {
    case RecordType::kInsert:
    case RecordType::kInsertByKey: {
      // kInsertByKey: no batch partition; each row has its own.
      const bool by_key =
          static_cast<RecordType>(type) == RecordType::kInsertByKey;
      uint32_t partition = 0;
      int64_t next_auto = 0;
      uint64_t n = 0;
      if ((!by_key && !r.U32(&partition)) || !r.I64(&next_auto) ||
          !r.Varint(&n) || partition >= state_->meta->partitions.size()) {
        return corrupt("an insert");
      }
      std::vector<std::vector<Value>> rows;
      std::vector<uint16_t> per_row;
      rows.reserve(std::min<uint64_t>(n, 1 << 20));
      for (uint64_t i = 0; i < n; ++i) {
        if (by_key) {
          uint64_t p = 0;
          if (!r.Varint(&p) || p >= state_->meta->partitions.size()) {
            return corrupt("an insert");
          }
          per_row.push_back(static_cast<uint16_t>(p));
        }
        std::vector<Value> values(num_columns_);
        for (Value& v : values) {
          if (!r.Val(&v)) return corrupt("an insert");
        }
        for (size_t f = 0; f < vector_field_index_.size(); ++f) {
          const Value& v = values[vector_field_index_[f]];
          const std::optional<HalfType> half = vector_half_[f];
          const bool ok =
              IsBinaryField(f)
                  ? v.is_binary_vector() &&
                        v.AsBinaryVector().size() == vector_binary_bytes_[f]
              : !half.has_value()
                  ? v.is_float_vector() &&
                        v.AsFloatVector().size() == vector_elems_[f]
              : *half == HalfType::kFloat16
                  ? v.is_float16_vector() &&
                        v.AsFloat16Vector().size() == vector_elems_[f]
                  : v.is_bfloat16_vector() &&
                        v.AsBFloat16Vector().size() == vector_elems_[f];
          if (!ok) return corrupt("an insert");
        }
        for (int column : sparse_field_index_) {
          if (!values[column].is_sparse_vector()) return corrupt("an insert");
        }
        const Value& key = values[pk_index_];
        if (schema_.fields[pk_index_].type == DataType::kInt64
                ? !key.is_int()
                : !key.is_string()) {
          return corrupt("an insert");
        }
        rows.push_back(std::move(values));
      }
      next_auto_id_ = std::max(next_auto_id_, next_auto);
      ApplyInsertLocked(rows, static_cast<uint16_t>(partition),
                        by_key ? &per_row : nullptr);
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
      IndexDef spec;
      if (!DecodeIndexDef(&r, &spec)) return corrupt("an index");
      return CreateIndexLocked(spec, false);
    }
    case RecordType::kDropIndex: {
      std::string name;
      if (!r.Str(&name)) return corrupt("an index");
      return DropIndexLocked(name, false);
    }
    case RecordType::kLoad:
      return LoadLocked(false);
    case RecordType::kRelease: {
      auto meta = std::make_shared<CollectionMeta>(*state_->meta);
      meta->loaded = false;
      meta->unloaded_partitions.clear();
      PublishMeta(std::move(meta));
      return absl::OkStatus();
    }
    case RecordType::kLoadPartitions:
    case RecordType::kReleasePartitions: {
      uint64_t n = 0;
      if (!r.Varint(&n) || n == 0 || n > kMaxPartitions) {
        return corrupt("a partition load");
      }
      std::vector<std::string> names(n);
      for (std::string& name : names) {
        if (!r.Str(&name)) return corrupt("a partition load");
      }
      absl::Status s =
          static_cast<RecordType>(type) == RecordType::kLoadPartitions
              ? LoadPartitionsLocked(names, false)
              : ReleasePartitionsLocked(names, false);
      return s.ok() ? s : corrupt("a partition load");
    }
    default:
      return corrupt("an unknown");
  }
}

// Format 2:
//   id, name, created, schema, loaded, next auto id, partitions,
//   per vector field: has index (u8) [, index spec],
//   segments: count, then per segment
//     id (i64), sealed (u8), rows (varint), partition ids (u16 x rows),
//     tombstones (varint words, u64 x words), scalar columns (values),
//     per vector field: floats (rows x dim), index bytes (empty: none).
void Collection::Serialize(internal::ByteWriter* w) const {
  std::shared_ptr<const CollectionState> state;
  int64_t next_auto = 0;
  {
    absl::MutexLock lock(&mu_);
    state = state_;
    next_auto = next_auto_id_;
  }
  const CollectionMeta& meta = *state->meta;
  w->I64(id_);
  w->Str(name());
  w->I64(created_ts_);
  EncodeSchema(schema_, w);
  // Loaded: 0 no, 1 wholly, 2 some partitions (the names of those that are
  // not follow the partitions).
  const bool partial = meta.loaded && !meta.unloaded_partitions.empty();
  w->U8(partial ? 2 : meta.loaded ? 1 : 0);
  w->I64(next_auto);
  w->Varint(meta.partitions.size());
  for (const auto& p : meta.partitions) w->Str(p);
  if (partial) {
    w->Varint(meta.unloaded_partitions.size());
    for (const auto& p : meta.unloaded_partitions) w->Str(p);
  }
  for (const FieldIndexState& field : meta.fields) {
    w->U8(field.has_index ? 1 : 0);
    if (field.has_index) EncodeIndexDef(field.spec, w);
  }
  // Sparse fields (none in snapshots written before them): their specs;
  // their indexes are rebuilt from the rows when the snapshot is loaded.
  for (const FieldIndexState& field : meta.sparse) {
    w->U8(field.has_index ? 1 : 0);
    if (field.has_index) EncodeIndexDef(field.spec, w);
  }
  // Format 3: the scalar index specs (their indexes are rebuilt from the
  // rows when the snapshot is loaded).
  size_t num_scalar = 0;
  for (const FieldIndexState& field : meta.scalar)
    num_scalar += field.has_index;
  w->Varint(num_scalar);
  for (const FieldIndexState& field : meta.scalar) {
    if (field.has_index) EncodeIndexDef(field.spec, w);
  }
  w->Varint(state->segments.size());
  for (const auto& seg : state->segments) {
    const SegmentData& data = *seg->data;
    const size_t rows = seg->rows;
    w->I64(seg->id);
    w->U8(seg->sealed ? 1 : 0);
    w->Varint(rows);
    w->Raw(data.partition.data(), rows * sizeof(uint16_t));
    const size_t words = (rows + 63) / 64;
    w->Varint(words);
    w->Raw(seg->deleted->words().data(), words * sizeof(uint64_t));
    for (size_t c = 0; c < num_columns_; ++c) {
      const bool is_vector = c < schema_.fields.size() &&
                             IsDenseVectorType(schema_.fields[c].type);
      if (is_vector) continue;
      for (size_t r = 0; r < rows; ++r) w->Val(data.columns[c][r]);
    }
    for (size_t f = 0; f < vector_dims_.size(); ++f) {
      w->Floats(seg->vectors[f]->data(), rows * vector_dims_[f]);
      std::string bytes;
      if (seg->index[f] != nullptr && !seg->index[f]->Save(&bytes).ok()) {
        bytes.clear();  // rebuilt after loading
      }
      w->Str(bytes);
    }
  }
}

absl::StatusOr<std::unique_ptr<Collection>> Collection::Deserialize(
    internal::ByteReader* r, uint32_t version, CollectionContext context) {
  if (version == kCollectionFormatV1) {
    return DeserializeV1(r, std::move(context));
  }
  auto corrupt = [](const std::string& what) {
    return absl::DataLossError(
        absl::StrCat("snapshot: undecodable collection (", what, ")"));
  };
  if (version != kCollectionFormatV2 && version != kCollectionFormatV3) {
    return absl::DataLossError(
        absl::StrCat("snapshot: unknown collection format version ", version,
                     " (this build reads versions ", kCollectionFormatV1,
                     " to ", kCollectionFormatV3, ")"));
  }
  int64_t id = 0, created = 0, next_auto = 0;
  std::string name;
  Schema schema;
  uint8_t loaded = 0;
  uint64_t num_partitions = 0;
  if (!r->I64(&id) || !r->Str(&name) || !r->I64(&created) ||
      !DecodeSchema(r, &schema) || !r->U8(&loaded) || !r->I64(&next_auto) ||
      !r->Varint(&num_partitions) || num_partitions > UINT16_MAX ||
      num_partitions == 0) {
    return corrupt("header");
  }
  auto created_or = Create(name, schema, id, std::move(context));
  if (!created_or.ok()) {
    return corrupt(std::string(created_or.status().message()));
  }
  std::unique_ptr<Collection> c = *std::move(created_or);
  absl::MutexLock lock(&c->mu_);
  c->created_ts_ = created;
  c->next_auto_id_ = next_auto;
  auto meta = std::make_shared<CollectionMeta>(*c->state_->meta);
  meta->partitions.clear();
  for (uint64_t i = 0; i < num_partitions; ++i) {
    std::string p;
    if (!r->Str(&p)) return corrupt("partitions");
    meta->partitions.push_back(std::move(p));
  }
  if (loaded > 2) return corrupt("load state");
  if (loaded == 2) {
    uint64_t n = 0;
    if (!r->Varint(&n) || n == 0 || n >= num_partitions) {
      return corrupt("unloaded partitions");
    }
    for (uint64_t i = 0; i < n; ++i) {
      std::string p;
      if (!r->Str(&p) || p.empty() ||
          std::find(meta->partitions.begin(), meta->partitions.end(), p) ==
              meta->partitions.end()) {
        return corrupt("unloaded partitions");
      }
      meta->unloaded_partitions.insert(std::move(p));
    }
  }
  for (FieldIndexState& field : meta->fields) {
    uint8_t has_index = 0;
    if (!r->U8(&has_index)) return corrupt("index specs");
    if (has_index != 0) {
      if (!DecodeIndexDef(r, &field.spec)) return corrupt("index specs");
      field.has_index = true;
      field.generation = 1;
    }
  }
  for (FieldIndexState& field : meta->sparse) {
    uint8_t has_index = 0;
    if (!r->U8(&has_index)) return corrupt("index specs");
    if (has_index != 0) {
      if (!DecodeIndexDef(r, &field.spec)) return corrupt("index specs");
      field.has_index = true;
      field.generation = 1;
    }
  }
  if (version >= kCollectionFormatV3) {
    uint64_t num_scalar = 0;
    if (!r->Varint(&num_scalar) || num_scalar > meta->scalar.size()) {
      return corrupt("scalar index specs");
    }
    for (uint64_t i = 0; i < num_scalar; ++i) {
      IndexDef def;
      if (!DecodeIndexDef(r, &def) ||
          (!IsScalarIndexKind(def.kind) && def.kind != IndexKind::kAutoIndex)) {
        return corrupt("scalar index specs");
      }
      int column = -1;
      for (size_t col = 0; col < c->schema_.fields.size(); ++col) {
        if (c->schema_.fields[col].name == def.field_name) {
          column = static_cast<int>(col);
        }
      }
      if (column < 0 || meta->scalar[column].has_index) {
        return corrupt("scalar index specs");
      }
      meta->scalar[column].spec = std::move(def);
      meta->scalar[column].has_index = true;
      meta->scalar[column].generation = 1;
    }
  }
  meta->loaded = loaded != 0;
  uint64_t num_segments = 0;
  if (!r->Varint(&num_segments) || num_segments == 0 ||
      num_segments > (uint64_t{1} << 24)) {
    return corrupt("segment count");
  }
  auto state = std::make_shared<CollectionState>();
  state->meta = meta;
  const size_t nvf = c->vector_dims_.size();
  std::vector<std::pair<int64_t, size_t>> to_build;  // (segment, field)
  int64_t growing_id = -1;
  for (uint64_t s = 0; s < num_segments; ++s) {
    int64_t seg_id = 0;
    uint8_t sealed = 0;
    uint64_t rows = 0;
    if (!r->I64(&seg_id) || !r->U8(&sealed) || !r->Varint(&rows) ||
        seg_id <= 0 || seg_id >= (int64_t{1} << 32) ||
        rows >= (uint64_t{1} << 32) ||
        // Each row has at least its partition id (u16) here: a count the
        // rest cannot hold is corrupt, found before allocating for it.
        rows > r->remaining() / sizeof(uint16_t) ||
        (!state->segments.empty() && state->segments.back()->id >= seg_id)) {
      return corrupt("segment header");
    }
    if (sealed == 0) {
      if (growing_id >= 0) return corrupt("two growing segments");
      growing_id = seg_id;
    }
    const size_t capacity =
        sealed != 0 ? rows : std::max<size_t>(rows, c->InitialCapacity());
    auto data = std::make_shared<SegmentData>(c->num_columns_, c->vector_dims_,
                                              capacity);
    auto view = std::make_shared<SegmentView>();
    view->id = seg_id;
    view->sealed = sealed != 0;
    view->rows = rows;
    view->max_norm.assign(nvf, 0.0f);
    view->index.resize(nvf);
    view->vectors.resize(nvf);
    std::vector<std::shared_ptr<FloatRows>> growing_vectors;
    if (!r->Raw(data->partition.data(), rows * sizeof(uint16_t))) {
      return corrupt("partition ids");
    }
    for (size_t i = 0; i < rows; ++i) {
      if (data->partition[i] >= num_partitions) return corrupt("partition ids");
    }
    uint64_t words = 0;
    if (!r->Varint(&words) || words != (rows + 63) / 64) {
      return corrupt("tombstones");
    }
    std::vector<uint64_t> bits(words);
    if (!r->Raw(bits.data(), words * sizeof(uint64_t))) {
      return corrupt("tombstones");
    }
    auto deleted = std::make_shared<Bitset>(capacity);
    for (size_t i = 0; i < rows; ++i) {
      if ((bits[i / 64] >> (i % 64)) & 1) {
        deleted->Set(i);
        ++view->num_deleted;
      }
    }
    view->deleted = deleted;
    for (size_t col = 0; col < c->num_columns_; ++col) {
      const bool is_vector = col < c->schema_.fields.size() &&
                             IsDenseVectorType(c->schema_.fields[col].type);
      if (is_vector) continue;
      for (size_t i = 0; i < rows; ++i) {
        if (!r->Val(&data->columns[col][i])) return corrupt("column values");
      }
    }
    for (size_t f = 0; f < nvf; ++f) {
      const size_t dim = c->vector_dims_[f];
      std::vector<float> floats;
      std::string bytes;
      if (!r->Floats(&floats) || floats.size() != rows * dim ||
          !r->Str(&bytes)) {
        return corrupt("vectors");
      }
      auto vectors = std::make_shared<FloatRows>(capacity, dim);
      if (rows > 0)
        std::copy_n(floats.data(), rows * dim, vectors->mutable_data());
      floats = std::vector<float>();
      const std::optional<HalfType> half = c->vector_half_[f];
      for (size_t i = 0; i < rows; ++i) {
        // Binary codes have no norm (their metrics never scale).
        const float norm =
            c->IsBinaryField(f) ? 0.0f
            : half.has_value()
                ? HalfNorm(*half,
                           reinterpret_cast<const uint16_t*>(vectors->row(i)),
                           2 * dim)
                : Norm(vectors->row(i), dim);
        data->vectors[f].inv_norm[i] = norm > 0 ? 1.0f / norm : 0.0f;
        view->max_norm[f] = std::max(view->max_norm[f], norm * norm);
      }
      if (sealed == 0) growing_vectors.push_back(vectors);
      view->vectors[f] = std::move(vectors);
      if (sealed == 0 || !meta->fields[f].has_index || rows == 0) continue;
      if (!bytes.empty()) {
        auto index = LoadIndex(bytes);
        if (index.ok() && (*index)->size() == rows &&
            (*index)->params().dim == dim && (*index)->params().half == half) {
          // The index reads the segment's rows (moved to a mapped file for
          // HNSW_SQ/IVF_SQ8) and drops the copy its bytes held.
          std::shared_ptr<const FloatRows> placed =
              c->PlaceVectors(view->vectors[f], rows, f, &meta->fields[f].spec);
          if (c->AttachSegmentVectors(**index, data, placed, rows, f,
                                      meta->fields[f].spec)
                  .ok()) {
            view->vectors[f] = std::move(placed);
            view->index[f] =
                std::shared_ptr<const VectorIndex>(*std::move(index));
            continue;
          }
        }
      }
      to_build.emplace_back(seg_id, f);  // rebuilt in the background
    }
    view->data = data;
    if (sealed == 0) {
      c->growing_ = data;
      c->growing_vectors_ = std::move(growing_vectors);
    }
    // Primary keys of the live rows.
    const std::vector<Value>& keys = data->columns[c->pk_index_];
    for (size_t i = 0; i < rows; ++i) {
      if (deleted->Test(i)) continue;
      const bool is_int_pk =
          c->schema_.fields[c->pk_index_].type == DataType::kInt64;
      if (is_int_pk ? !keys[i].is_int() : !keys[i].is_string()) {
        return corrupt("primary keys");
      }
      const Loc loc = MakeLoc(seg_id, static_cast<uint32_t>(i));
      const bool fresh =
          is_int_pk ? c->int_pk_.emplace(keys[i].AsInt(), loc).second
                    : c->str_pk_.emplace(keys[i].AsString(), loc).second;
      if (!fresh) return corrupt("duplicate primary key");
    }
    state->segments.push_back(std::move(view));
  }
  if (growing_id < 0) return corrupt("no growing segment");
  c->growing_id_ = growing_id;
  c->next_segment_id_ = state->segments.back()->id + 1;
  {
    absl::MutexLock slock(&c->state_mu_);
    c->state_ = std::move(state);
  }
  for (const auto& [seg_id, f] : to_build) {
    c->ScheduleBuild(seg_id, f, meta->fields[f].generation);
  }
  for (const auto& seg : c->state_->segments) {
    if (!seg->sealed || seg->rows == 0) continue;
    for (size_t f = 0; f < meta->sparse.size(); ++f) {
      if (meta->sparse[f].has_index) {
        c->ScheduleSparseBuild(seg->id, f, meta->sparse[f].generation);
      }
    }
    c->ScheduleTextBuild(seg->id);
    c->ScheduleScalarBuilds(seg->id);
  }
  c->MaybeScheduleCompactionLocked();
  return c;
}

// Format 1 (one block of rows, before segments): read, then re-inserted
// through the write path, so the rows land in segments like new writes
// (deleted rows are dropped; indexes are rebuilt in the background).
absl::StatusOr<std::unique_ptr<Collection>> Collection::DeserializeV1(
    internal::ByteReader* r, CollectionContext context) {
  auto corrupt = [](const std::string& what) {
    return absl::DataLossError(
        absl::StrCat("snapshot: undecodable collection (", what, ")"));
  };
  int64_t id = 0, created = 0, next_auto = 0;
  std::string name;
  Schema schema;
  uint8_t loaded = 0;
  uint64_t num_partitions = 0;
  if (!r->I64(&id) || !r->Str(&name) || !r->I64(&created) ||
      !DecodeSchema(r, &schema) || !r->U8(&loaded) || !r->I64(&next_auto) ||
      !r->Varint(&num_partitions) || num_partitions > UINT16_MAX ||
      num_partitions == 0) {
    return corrupt("header");
  }
  auto created_or = Create(name, schema, id, std::move(context));
  if (!created_or.ok()) {
    return corrupt(std::string(created_or.status().message()));
  }
  std::unique_ptr<Collection> c = *std::move(created_or);
  absl::MutexLock lock(&c->mu_);
  c->created_ts_ = created;
  c->next_auto_id_ = next_auto;
  auto meta = std::make_shared<CollectionMeta>(*c->state_->meta);
  meta->partitions.clear();
  for (uint64_t i = 0; i < num_partitions; ++i) {
    std::string p;
    if (!r->Str(&p)) return corrupt("partitions");
    meta->partitions.push_back(std::move(p));
  }
  c->PublishMeta(std::move(meta));
  uint64_t n = 0;
  if (!r->Varint(&n) || n > (uint64_t{1} << 32) ||
      n > r->remaining() / sizeof(uint16_t)) {
    return corrupt("row count");
  }
  std::vector<uint16_t> partition(n);
  if (!r->Raw(partition.data(), n * sizeof(uint16_t))) {
    return corrupt("partition ids");
  }
  std::vector<uint8_t> deleted(n);
  for (uint64_t i = 0; i < n; ++i) {
    if (!r->U8(&deleted[i])) return corrupt("tombstones");
    if (partition[i] >= num_partitions) return corrupt("partition ids");
  }
  std::vector<std::vector<Value>> rows(n, std::vector<Value>(c->num_columns_));
  for (size_t col = 0; col < c->num_columns_; ++col) {
    const bool is_vector =
        col < c->schema_.fields.size() &&
        c->schema_.fields[col].type == DataType::kFloatVector;
    if (is_vector) continue;
    for (uint64_t i = 0; i < n; ++i) {
      if (!r->Val(&rows[i][col])) return corrupt("column values");
    }
  }
  std::vector<IndexDef> specs;
  for (size_t f = 0; f < c->vector_dims_.size(); ++f) {
    const size_t dim = c->vector_dims_[f];
    std::vector<float> data;
    uint8_t has_index = 0;
    if (!r->Floats(&data) || data.size() != n * dim || !r->U8(&has_index)) {
      return corrupt("vectors");
    }
    for (uint64_t i = 0; i < n; ++i) {
      rows[i][c->vector_field_index_[f]] =
          Value::FloatVector(std::vector<float>(data.begin() + i * dim,
                                                data.begin() + (i + 1) * dim));
    }
    if (has_index == 0) continue;
    IndexDef spec;
    std::string bytes;  // the old whole-collection index: rebuilt instead
    if (!DecodeIndexDef(r, &spec) || !r->Str(&bytes)) return corrupt("index");
    specs.push_back(std::move(spec));
  }
  for (const IndexDef& spec : specs) {
    COVE_RETURN_IF_ERROR(c->CreateIndexLocked(spec, false));
  }
  std::set<std::string> str_keys;
  std::set<int64_t> int_keys;
  // Live rows, in their order, one batch per run of one partition.
  for (uint64_t i = 0; i < n;) {
    std::vector<std::vector<Value>> batch;
    const uint16_t p = partition[i];
    for (; i < n && partition[i] == p; ++i) {
      if (deleted[i] != 0) continue;
      const Value& key = rows[i][c->pk_index_];
      const bool fresh = key.is_int() ? int_keys.insert(key.AsInt()).second
                         : key.is_string()
                             ? str_keys.insert(key.AsString()).second
                             : false;
      if (!fresh) return corrupt("primary keys");
      batch.push_back(std::move(rows[i]));
    }
    if (!batch.empty()) c->ApplyInsertLocked(batch, p);
  }
  if (loaded != 0) {
    auto m = std::make_shared<CollectionMeta>(*c->state_->meta);
    m->loaded = true;
    c->PublishMeta(std::move(m));
  }
  return c;
}

}  // namespace cove::engine
