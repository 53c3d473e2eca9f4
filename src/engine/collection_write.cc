// Writes of a collection: inserts and upserts into the growing segment
// (sealing it when full), deletes as tombstones, and the primary-key map.
#include <algorithm>
#include <chrono>
#include <cstring>
#include <optional>
#include <utility>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "engine/collection.h"
#include "engine/collection_internal.h"

namespace cove::engine {

absl::StatusOr<WriteResult> Collection::Insert(
    std::vector<std::vector<Value>> normalized, const std::string& partition,
    bool upsert) {
  if (normalized.empty()) {
    return absl::InvalidArgumentError("insert: no rows given");
  }
  const FieldDef& pk = schema_.fields[pk_index_];
  const bool int_pk = pk.type == DataType::kInt64;
  for (size_t r = 0; r < normalized.size(); ++r) {
    if (normalized[r].size() != num_columns_) {
      return absl::InvalidArgumentError(
          absl::StrCat("insert row ", r, ": expected ", num_columns_,
                       " columns (got ", normalized[r].size(), ")"));
    }
    const Value& key = normalized[r][pk_index_];
    if ((!pk.auto_id || upsert) &&
        (int_pk ? !key.is_int() : !key.is_string())) {
      return absl::InvalidArgumentError(absl::StrCat(
          "insert row ", r, ": primary key '", pk.name, "': expected ",
          DataTypeName(pk.type), " (got ", key.ToJson(), ")"));
    }
  }
  // Function outputs (BM25 term frequencies) are computed here, before the
  // batch is logged: replay applies them as they were.
  if (!schema_.functions.empty()) ApplyFunctions(&normalized);
  const auto& rows = normalized;
  absl::MutexLock lock(&mu_);
  // Partition key mode: each row goes to its key's partition.
  const std::shared_ptr<const PartitionKeyLayout> layout =
      partition.empty() ? state_->meta->key_layout : nullptr;
  std::vector<uint16_t> per_row;
  uint16_t partition_id = 0;
  if (layout != nullptr) {
    COVE_ASSIGN_OR_RETURN(per_row, KeyPartitions(*layout, normalized));
  } else {
    COVE_ASSIGN_OR_RETURN(
        std::vector<bool> mask,
        PartitionMask(
            *state_->meta,
            {partition.empty() ? std::string(kDefaultPartition) : partition}));
    partition_id = static_cast<uint16_t>(
        std::find(mask.begin(), mask.end(), true) - mask.begin());
  }
  // Assign auto ids. A key that exists already, or repeats within the
  // batch, is not refused (Milvus accepts it): the last row for a key wins,
  // as in an upsert (ApplyInsertLocked tombstones the row the key had).
  // A VARCHAR key gets the same numbers as text, as Milvus does.
  if (pk.auto_id && !upsert) {
    for (std::vector<Value>& row : normalized) {
      const int64_t id = next_auto_id_++;
      row[pk_index_] = int_pk ? Value(id) : Value(absl::StrCat(id));
    }
  }
  WriteResult result;
  result.count = static_cast<int64_t>(rows.size());
  for (const auto& values : normalized) result.ids.push_back(values[pk_index_]);
  if (logger_) {
    internal::ByteWriter w;
    // One allocation for the record: the vectors (most of its bytes) are
    // raw floats, scalars a few bytes each.
    size_t row_bytes = 16 + 10 * num_columns_;
    for (size_t f = 0; f < vector_dims_.size(); ++f) {
      row_bytes += sizeof(float) * vector_dims_[f];
    }
    w.bytes().reserve(32 + normalized.size() * row_bytes);
    if (layout != nullptr) {
      w.U8(static_cast<uint8_t>(RecordType::kInsertByKey));
      w.I64(id_);
      w.I64(next_auto_id_);
      w.Varint(normalized.size());
      for (size_t r = 0; r < normalized.size(); ++r) {
        w.Varint(per_row[r]);
        for (const Value& v : normalized[r]) w.Val(v);
      }
    } else {
      w.U8(static_cast<uint8_t>(RecordType::kInsert));
      w.I64(id_);
      w.U32(partition_id);
      w.I64(next_auto_id_);
      w.Varint(normalized.size());
      for (const auto& values : normalized) {
        for (const Value& v : values) w.Val(v);
      }
    }
    // The float vectors are copied into the growing segment's free slots
    // while the record is flushed; they are published only after.
    size_t staged = 0;
    std::vector<float> norms;
    if (absl::Status s = logger_(
            w.bytes(), [&] { staged = StageVectorsLocked(rows, &norms); });
        !s.ok()) {
      if (pk.auto_id && !upsert) next_auto_id_ -= rows.size();
      return s;
    }
    ApplyInsertLocked(normalized, partition_id,
                      layout != nullptr ? &per_row : nullptr, staged, norms);
    return result;
  }
  ApplyInsertLocked(normalized, partition_id,
                    layout != nullptr ? &per_row : nullptr);
  return result;
}

size_t Collection::StageVectorsLocked(
    const std::vector<std::vector<Value>>& rows, std::vector<float>* norms) {
  std::shared_ptr<const CollectionState> state = Snapshot();
  const int gpos = state->Find(growing_id_);
  if (gpos < 0) return 0;
  const size_t first = state->segments[gpos]->rows;
  const size_t limit =
      std::min(growing_->capacity, context_.segments.seal_rows);
  const size_t n = first < limit ? std::min(rows.size(), limit - first) : 0;
  if (n == 0 || vector_dims_.empty()) return 0;
  for (size_t f = 0; f < vector_dims_.size(); ++f) {
    if (IsBinaryField(f) || vector_half_[f].has_value()) return 0;
  }
  norms->resize(n * vector_dims_.size());
  for (size_t f = 0; f < vector_dims_.size(); ++f) {
    const size_t dim = vector_dims_[f];
    const int column = vector_field_index_[f];
    float* base = growing_vectors_[f]->mutable_data();
    std::vector<float>& inv_norm = growing_->vectors[f].inv_norm;
    for (size_t i = 0; i < n; ++i) {
      const Value& v = rows[i][column];
      if (!v.is_float_vector() || v.AsFloatVector().size() != dim) return 0;
      float* dst = base + (first + i) * dim;
      std::copy_n(v.AsFloatVector().data(), dim, dst);
      const float norm = Norm(dst, dim);
      inv_norm[first + i] = norm > 0 ? 1.0f / norm : 0.0f;
      (*norms)[i * vector_dims_.size() + f] = norm;
    }
  }
  return n;
}

absl::StatusOr<std::vector<uint16_t>> Collection::KeyPartitions(
    const PartitionKeyLayout& layout,
    const std::vector<std::vector<Value>>& rows) const {
  const FieldDef& f = schema_.fields[layout.column];
  const bool int_key = f.type == DataType::kInt64;
  std::vector<uint16_t> out(rows.size());
  for (size_t r = 0; r < rows.size(); ++r) {
    const Value& v = rows[r][layout.column];
    if (int_key ? !v.is_int() : !v.is_string()) {
      return absl::InvalidArgumentError(absl::StrCat(
          "insert row ", r, ": partition key '", f.name, "': expected ",
          DataTypeName(f.type), " (got ", v.ToJson(), ")"));
    }
    out[r] = layout.slots[PartitionKeySlot(v, layout.slots.size())];
  }
  return out;
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
                                   uint16_t partition_id,
                                   const std::vector<uint16_t>* per_row,
                                   size_t staged,
                                   const std::vector<float>& staged_norms) {
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
      sealed_now.push_back(g->id);
      gpos = static_cast<int>(SealGrowingLocked(batch, gpos));
      g = batch.View(gpos);
    };
    for (size_t i = 0; i < rows.size(); ++i) {
      std::vector<Value>& values = rows[i];
      seal_if_full();
      if (g->rows == growing_->capacity) {
        // Full below the threshold: continue in a copy twice the size.
        // Readers keep the old storage as long as they need it.
        const size_t rows_now = g->rows;
        const size_t capacity =
            std::max(rows_now + 1, std::min(2 * rows_now, seal_rows));
        auto bigger =
            std::make_shared<SegmentData>(num_columns_, vector_dims_, capacity);
        // Rows past rows_now are written by inserts before readers see
        // them: no zeros written first.
        std::vector<std::shared_ptr<FloatRows>> bigger_vectors;
        for (size_t dim : vector_dims_) {
          bigger_vectors.push_back(FloatRows::Uninitialized(capacity, dim));
        }
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
        const size_t dim = vector_dims_[f];
        float* dst = growing_vectors_[f]->mutable_data() + row * dim;
        float norm = 0.0f;
        if (i < staged) {
          // Copied by StageVectorsLocked, into this very slot (no growth
          // nor seal comes before it).
          norm = staged_norms[i * vector_dims_.size() + f];
          g->max_norm[f] = std::max(g->max_norm[f], norm * norm);
          v = Value();
          continue;
        }
        if (IsBinaryField(f)) {
          // The code's bytes, zero-padded to the row's slots.
          const std::vector<uint8_t>& code = v.AsBinaryVector();
          std::fill_n(dst, dim, 0.0f);
          std::memcpy(dst, code.data(), code.size());
        } else if (vector_half_[f].has_value()) {
          // 2 bytes per value, packed into the row's float slots.
          const std::vector<uint16_t>& vec = v.is_float16_vector()
                                                 ? v.AsFloat16Vector()
                                                 : v.AsBFloat16Vector();
          // An odd dimension leaves half of the last slot: zero it (the
          // storage may not start zeroed).
          if (vec.size() % 2 != 0) dst[dim - 1] = 0.0f;
          std::memcpy(dst, vec.data(), vec.size() * sizeof(uint16_t));
          norm = HalfNorm(*vector_half_[f], vec.data(), vec.size());
        } else {
          const std::vector<float>& vec = v.AsFloatVector();
          std::copy_n(vec.data(), dim, dst);
          norm = Norm(dst, dim);
        }
        growing_->vectors[f].inv_norm[row] = norm > 0 ? 1.0f / norm : 0.0f;
        g->max_norm[f] = std::max(g->max_norm[f], norm * norm);
        v = Value();  // kept in the vector storage only
      }
      for (size_t c = 0; c < num_columns_; ++c) {
        growing_->columns[c][row] = std::move(values[c]);
      }
      growing_->partition[row] =
          per_row != nullptr ? (*per_row)[i] : partition_id;
      g->rows = row + 1;
      SetPkLocked(key, MakeLoc(g->id, static_cast<uint32_t>(row)));
      seal_if_full();
    }
    std::shared_ptr<const CollectionState> old = std::move(state_);
    state_ = std::move(batch.next);
  }
  last_write_us_.store(std::chrono::duration_cast<std::chrono::microseconds>(
                           std::chrono::steady_clock::now().time_since_epoch())
                           .count(),
                       std::memory_order_relaxed);
  ScheduleSealedLocked(sealed_now);
  if (!touched.empty()) MaybeScheduleCompactionLocked();
}

size_t Collection::SealGrowingLocked(Batch& batch, size_t pos) {
  // The storage is never written again; its indexes are built in the
  // background.
  batch.View(pos)->sealed = true;
  auto view = NewGrowingLocked(InitialCapacity());
  Bitset* deleted = const_cast<Bitset*>(view->deleted.get());
  return batch.Append(std::move(view), deleted);
}

void Collection::ScheduleSealedLocked(const std::vector<int64_t>& sealed) {
  if (sealed.empty()) return;
  const CollectionMeta& meta = *state_->meta;
  for (int64_t id : sealed) {
    for (size_t f = 0; f < meta.fields.size(); ++f) {
      if (meta.fields[f].has_index) {
        ScheduleBuild(id, f, meta.fields[f].generation);
      }
    }
    for (size_t f = 0; f < meta.sparse.size(); ++f) {
      if (meta.sparse[f].has_index) {
        ScheduleSparseBuild(id, f, meta.sparse[f].generation);
      }
    }
    ScheduleTextBuild(id);
    ScheduleScalarBuilds(id);
  }
  // Segments sealed before they were full are merged by compaction.
  MaybeScheduleCompactionLocked();
}

void Collection::Seal() {
  absl::MutexLock lock(&mu_);
  std::vector<int64_t> sealed;
  {
    absl::MutexLock slock(&state_mu_);
    const int pos = state_->Find(growing_id_);
    if (pos < 0 || state_->segments[pos]->rows == 0) return;
    Batch batch(*state_);
    sealed.push_back(growing_id_);
    SealGrowingLocked(batch, static_cast<size_t>(pos));
    std::shared_ptr<const CollectionState> old = std::move(state_);
    state_ = std::move(batch.next);
  }
  ScheduleSealedLocked(sealed);
}

bool Collection::HasUnindexedGrowingRows() const {
  std::shared_ptr<const CollectionState> state = Snapshot();
  bool indexed = false;
  for (const FieldIndexState& f : state->meta->fields) indexed |= f.has_index;
  for (const FieldIndexState& f : state->meta->sparse) indexed |= f.has_index;
  for (const FieldIndexState& f : state->meta->scalar) indexed |= f.has_index;
  if (!indexed) return false;
  for (const auto& seg : state->segments) {
    if (!seg->sealed && seg->live() > 0) return true;
  }
  return false;
}

std::vector<Collection::Loc> Collection::LookupIds(
    const std::vector<Value>& ids) const {
  std::vector<Loc> rows;
  const FieldDef& pk = schema_.fields[pk_index_];
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

absl::StatusOr<WriteResult> Collection::Delete(const DeleteSpec& spec) {
  if (spec.ids.empty() == (spec.filter == nullptr)) {
    return absl::InvalidArgumentError(
        "delete: give either ids or a filter (got " +
        std::string(spec.ids.empty() ? "neither" : "both") + ")");
  }
  absl::MutexLock lock(&mu_);
  const CollectionState& state = *state_;
  std::vector<bool> keep;
  if (!spec.partition.empty()) {
    COVE_ASSIGN_OR_RETURN(keep, PartitionMask(*state.meta, {spec.partition}));
  } else if (spec.filter != nullptr) {
    keep = KeyMask(*state.meta, spec.filter);
  }
  std::vector<Loc> rows;
  if (spec.filter != nullptr) {
    for (const auto& seg : state.segments) {
      Bitset matching =
          Matching(*seg, spec.filter, keep.empty() ? nullptr : &keep);
      matching.ForEachSet([&](size_t r) {
        rows.push_back(MakeLoc(seg->id, static_cast<uint32_t>(r)));
      });
    }
  } else {
    const FieldDef& pk = schema_.fields[pk_index_];
    for (const Value& id : spec.ids) {
      COVE_RETURN_IF_ERROR(CheckScalar(pk, pk.type, id, "delete ids"));
    }
    for (Loc loc : LookupIds(spec.ids)) {
      const int pos = state.Find(LocSegment(loc));
      if (keep.empty() ||
          keep[state.segments[pos]->data->partition[LocRow(loc)]]) {
        rows.push_back(loc);
      }
    }
  }
  WriteResult result;
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
    COVE_RETURN_IF_ERROR(Log(w.Take()));
  }
  ApplyDeleteLocked(rows, &result);
  return result;
}

int64_t Collection::ApplyDeleteLocked(const std::vector<Loc>& rows,
                                      WriteResult* result) {
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

}  // namespace cove::engine
