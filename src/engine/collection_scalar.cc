// Scalar indexes of a collection (STL_SORT, Trie, BITMAP, INVERTED,
// AUTOINDEX on a scalar field): one ScalarIndex per indexed field per sealed
// segment, built in the background like the vector indexes, never written
// to snapshots (rebuilt from the rows when a snapshot is loaded). Sealed
// rows never change, and deletes are tombstones applied before the filter,
// so an index stays true for its segment until compaction replaces the
// segment (whose new index is then built). The growing segment, and a
// sealed one whose build is running, are filtered by a scan: the same rows
// match either way.
#include <memory>
#include <utility>

#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "engine/collection.h"
#include "engine/collection_internal.h"
#include "engine/indexes/scalar_index.h"

namespace cove::engine {
namespace {

bool IsIntegerType(DataType t) {
  return t == DataType::kInt8 || t == DataType::kInt16 ||
         t == DataType::kInt32 || t == DataType::kInt64;
}

// Milvus' rules for which index type takes which field type.
absl::Status CheckScalarIndexType(const FieldDef& f, IndexKind kind) {
  const std::string where = absl::StrCat("index on field '", f.name, "'");
  if (f.type == DataType::kJson) {
    return absl::InvalidArgumentError(absl::StrCat(
        where, ": index type ", IndexKindLabel(kind),
        " on JSON fields is not supported in this version (scalar indexes "
        "cover BOOL, INT8, INT16, INT32, INT64, FLOAT, DOUBLE, VARCHAR and "
        "ARRAY fields; filters on JSON fields scan the rows)"));
  }
  if (f.type == DataType::kArray) {
    // Keyed by the elements: INVERTED (and AUTOINDEX) on arrays of any
    // scalar type, BITMAP on arrays of BOOL, integers or VARCHAR.
    const DataType e = f.element_type;
    const bool bitmap_element =
        e == DataType::kBool || IsIntegerType(e) || e == DataType::kVarChar;
    const bool element_ok =
        bitmap_element || e == DataType::kFloat || e == DataType::kDouble;
    if (element_ok &&
        (kind == IndexKind::kInverted || kind == IndexKind::kAutoIndex ||
         (kind == IndexKind::kBitmap && bitmap_element))) {
      return absl::OkStatus();
    }
    return absl::InvalidArgumentError(absl::StrCat(
        where, ": index type ", IndexKindLabel(kind),
        " is not supported on ARRAY fields of ", DataTypeName(e),
        " (ARRAY fields take INVERTED, or BITMAP for BOOL, integer and "
        "VARCHAR elements)"));
  }
  if (!IsScalarIndexable(f.type)) {
    return absl::InvalidArgumentError(
        absl::StrCat(where, ": ", DataTypeName(f.type),
                     " fields cannot be indexed (expected a vector or scalar "
                     "field)"));
  }
  const bool numeric = IsIntegerType(f.type) || f.type == DataType::kFloat ||
                       f.type == DataType::kDouble;
  switch (kind) {
    case IndexKind::kAutoIndex:
    case IndexKind::kInverted:
      return absl::OkStatus();
    case IndexKind::kStlSort:
      if (numeric) return absl::OkStatus();
      return absl::InvalidArgumentError(absl::StrCat(
          where, ": index type STL_SORT is not supported on ",
          DataTypeName(f.type),
          " fields (STL_SORT indexes numeric fields: INT8, INT16, INT32, "
          "INT64, FLOAT, DOUBLE)"));
    case IndexKind::kTrie:
      if (f.type == DataType::kVarChar) return absl::OkStatus();
      return absl::InvalidArgumentError(absl::StrCat(
          where, ": index type Trie is not supported on ", DataTypeName(f.type),
          " fields (Trie indexes VARCHAR fields)"));
    case IndexKind::kBitmap:
      if (f.is_primary_key) {
        return absl::InvalidArgumentError(absl::StrCat(
            where,
            ": index type BITMAP is not supported on the primary key (its "
            "values are all distinct; use STL_SORT, Trie or INVERTED)"));
      }
      if (f.type == DataType::kFloat || f.type == DataType::kDouble) {
        return absl::InvalidArgumentError(absl::StrCat(
            where, ": index type BITMAP is not supported on ",
            DataTypeName(f.type),
            " fields (BITMAP indexes BOOL, INT8, INT16, INT32, INT64 and "
            "VARCHAR fields)"));
      }
      return absl::OkStatus();
    default:
      return absl::InvalidArgumentError(absl::StrCat(
          where, ": index type ", IndexKindLabel(kind),
          " is for vector fields (the field is ", DataTypeName(f.type),
          "; scalar fields take STL_SORT, Trie, BITMAP, INVERTED or "
          "AUTOINDEX)"));
  }
}

ScalarIndex::Layout LayoutOf(const IndexDef& def, DataType type) {
  if (def.kind == IndexKind::kBitmap) return ScalarIndex::Layout::kBitmap;
  if (def.kind == IndexKind::kAutoIndex && type == DataType::kBool) {
    return ScalarIndex::Layout::kBitmap;
  }
  return ScalarIndex::Layout::kSorted;
}

}  // namespace

absl::Status Collection::CreateScalarIndexLocked(int column,
                                                 const IndexDef& spec,
                                                 bool log) {
  const FieldDef& fd = schema_.fields[column];
  COVE_RETURN_IF_ERROR(CheckScalarIndexType(fd, spec.kind));
  if (!spec.params.empty()) {
    const auto& [key, value] = *spec.params.begin();
    return absl::InvalidArgumentError(
        absl::StrCat("index param '", key, "': not a parameter of ",
                     IndexKindLabel(spec.kind),
                     " on a scalar field (expected none; got '", value, "')"));
  }
  IndexDef normalized = spec;
  if (normalized.index_name.empty()) normalized.index_name = fd.name;
  // No metric for a scalar index: one value, so that the same index again
  // is recognized whatever metric a client sent.
  normalized.metric = Metric::kCosine;
  COVE_ASSIGN_OR_RETURN(
      bool same,
      HasSameIndexLocked(state_->meta->scalar[column], normalized, fd.name));
  if (same) return absl::OkStatus();
  std::vector<const FieldIndexState*> others;
  for (const auto* list :
       {&state_->meta->fields, &state_->meta->sparse, &state_->meta->scalar}) {
    for (const FieldIndexState& other : *list) others.push_back(&other);
  }
  for (const FieldIndexState* other_ptr : others) {
    const FieldIndexState& other = *other_ptr;
    if (other.has_index && other.spec.index_name == normalized.index_name) {
      return absl::AlreadyExistsError(absl::StrCat(
          "index name '", normalized.index_name,
          "' is used by the index on "
          "field '",
          other.spec.field_name, "' of collection '", name(), "'"));
    }
  }
  COVE_ASSIGN_OR_RETURN(
      const uint64_t generation,
      PublishIndexLocked(&CollectionMeta::scalar, static_cast<size_t>(column),
                         normalized, log));
  for (const auto& seg : state_->segments) {
    if (seg->sealed && seg->rows > 0) {
      Submit([this, id = seg->id, column, generation] {
        ScalarBuildJob(id, column, generation);
      });
    }
  }
  return absl::OkStatus();
}

absl::Status Collection::DropScalarIndexLocked(int column, bool log) {
  return UnpublishIndexLocked(
      &CollectionMeta::scalar, static_cast<size_t>(column), log,
      [column](const SegmentView& v) {
        return v.ScalarIndexOf(column) != nullptr;
      },
      [column](SegmentView* v) { v->scalar_index[column] = nullptr; });
}

void Collection::ScheduleScalarBuilds(int64_t segment) {
  std::shared_ptr<const CollectionState> state = Snapshot();
  for (size_t c = 0; c < state->meta->scalar.size(); ++c) {
    const FieldIndexState& field = state->meta->scalar[c];
    if (!field.has_index) continue;
    Submit([this, segment, column = static_cast<int>(c),
            generation = field.generation] {
      ScalarBuildJob(segment, column, generation);
    });
  }
}

void Collection::ScalarBuildJob(int64_t segment, int column,
                                uint64_t generation) {
  std::shared_ptr<const CollectionState> state = Snapshot();
  const FieldIndexState& spec = state->meta->scalar[column];
  if (!spec.has_index || spec.generation != generation) return;
  const int pos = state->Find(segment);
  if (pos < 0) return;  // compacted away meanwhile
  const SegmentView& seg = *state->segments[pos];
  if (!seg.sealed || seg.rows == 0 || seg.ScalarIndexOf(column) != nullptr) {
    return;
  }
  const DataType type = schema_.fields[column].type;
  std::shared_ptr<const ScalarIndex> index = ScalarIndex::Build(
      seg.data->columns[column], seg.rows, type, LayoutOf(spec.spec, type),
      schema_.fields[column].element_type);
  if (index == nullptr) return;  // unexpected values: filters keep scanning
  absl::MutexLock lock(&mu_);
  const FieldIndexState& now = state_->meta->scalar[column];
  const int now_pos = state_->Find(segment);
  if (!now.has_index || now.generation != generation || now_pos < 0) return;
  std::shared_ptr<const CollectionState> old;
  absl::MutexLock slock(&state_mu_);
  Batch batch(*state_);
  SegmentView* view = batch.View(now_pos);
  if (view->scalar_index.size() < schema_.fields.size()) {
    view->scalar_index.resize(schema_.fields.size());
  }
  view->scalar_index[column] = std::move(index);
  old = std::move(state_);
  state_ = std::move(batch.next);
}

}  // namespace cove::engine
