// Segments of a collection: the column storage of a run of rows, and the
// immutable views of it that readers hold.
//
// A collection's rows live in segments. One *growing* segment takes the
// writes; at the seal threshold it is *sealed* (never written again) and the
// index of each vector field is built for it in the background. Readers work
// on a `CollectionState`: an immutable list of `SegmentView`s, each naming a
// storage block, how many of its rows are visible, its tombstones and its
// indexes as of one moment. Writers never change what a published view can
// see: the growing storage is only appended to past every view's row count
// (and replaced by a bigger copy when full), and tombstones and indexes are
// copied on write.
#ifndef COVE_SRC_ENGINE_SEGMENT_H_
#define COVE_SRC_ENGINE_SEGMENT_H_

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <vector>

#include "cove/value.h"
#include "engine/bitset.h"
#include "engine/indexes/scalar_index.h"
#include "engine/indexes/vector_index.h"
#include "engine/schema.h"
#include "engine/sparse/sparse_index.h"
#include "engine/storage/float_rows.h"
#include "engine/text/text_index.h"

namespace cove::engine {

/// Segment thresholds (per collection; the embedded backend fills them from
/// EmbeddedOptions).
struct SegmentOptions {
  /// Rows at which the growing segment is sealed.
  size_t seal_rows = 65536;
  /// A sealed segment whose deleted fraction exceeds this is rewritten
  /// without its deleted rows in the background.
  double compact_deleted_ratio = 0.2;
  /// Sealed segments with fewer live rows than this are merged with each
  /// other (0: seal_rows / 2).
  size_t merge_rows = 0;

  size_t MergeRows() const {
    return merge_rows > 0 ? merge_rows : std::max<size_t>(1, seal_rows / 2);
  }
};

/// The storage of one segment: `capacity` rows of every column, of which a
/// prefix is in use. Vector fields keep nulls in `columns` and the inverse
/// norm of each row in `vectors` (for cosine over raw vectors); their floats
/// are FloatRows that the segment's views name (SegmentView::vectors), so
/// that a sealed segment's floats can move to a mapped file and be shared
/// with its indexes without touching this object, which readers hold.
struct SegmentData {
  struct Vectors {
    size_t dim = 0;
    std::vector<float> inv_norm;  // capacity; 0 for a zero vector
  };

  SegmentData(size_t num_columns, const std::vector<size_t>& dims,
              size_t capacity)
      : capacity(capacity),
        columns(num_columns, std::vector<Value>(capacity)),
        partition(capacity, 0),
        vectors(dims.size()) {
    for (size_t f = 0; f < dims.size(); ++f) {
      vectors[f].dim = dims[f];
      vectors[f].inv_norm.resize(capacity);
    }
  }

  /// Heap bytes of the storage (values counted by their inline size; the
  /// float rows are counted by their views).
  size_t MemoryBytes() const {
    size_t bytes =
        capacity * (columns.size() * sizeof(Value) + sizeof(uint16_t));
    for (const Vectors& v : vectors) {
      bytes += v.inv_norm.capacity() * sizeof(float);
    }
    if (auto rows = std::atomic_load(&partition_rows_)) {
      bytes +=
          (rows->start.capacity() + rows->rows.capacity()) * sizeof(uint32_t);
    }
    return bytes;
  }

  /// The rows of each partition id (rows[start[p] .. start[p+1])), for
  /// reads of a few partitions of a sealed segment (partition key pruning:
  /// O(rows read), not O(rows)). Built on first use over rows [0, `rows`):
  /// only for sealed segments, whose rows and partition ids never change.
  struct PartitionRows {
    std::vector<uint32_t> start;
    std::vector<uint32_t> rows;
  };
  const PartitionRows& SealedPartitionRows(size_t rows) const {
    std::call_once(partition_rows_once_, [&] {
      auto built = std::make_shared<PartitionRows>();
      uint16_t max_id = 0;
      for (size_t r = 0; r < rows; ++r) {
        max_id = std::max(max_id, partition[r]);
      }
      built->start.assign(static_cast<size_t>(max_id) + 2, 0);
      for (size_t r = 0; r < rows; ++r) ++built->start[partition[r] + 1];
      for (size_t p = 1; p < built->start.size(); ++p) {
        built->start[p] += built->start[p - 1];
      }
      built->rows.resize(rows);
      std::vector<uint32_t> next(built->start.begin(), built->start.end() - 1);
      for (size_t r = 0; r < rows; ++r) {
        built->rows[next[partition[r]]++] = static_cast<uint32_t>(r);
      }
      std::atomic_store(&partition_rows_,
                        std::shared_ptr<const PartitionRows>(std::move(built)));
    });
    return *std::atomic_load(&partition_rows_);
  }

  const size_t capacity;
  std::vector<std::vector<Value>> columns;
  std::vector<uint16_t> partition;
  std::vector<Vectors> vectors;

 private:
  mutable std::once_flag partition_rows_once_;
  mutable std::shared_ptr<const PartitionRows> partition_rows_;
};

/// What a reader sees of one segment.
struct SegmentView {
  int64_t id = 0;
  bool sealed = false;
  std::shared_ptr<const SegmentData> data;
  /// Per vector field: the float32 rows (at least `rows` of them), in the
  /// heap or in a mapped file; the segment's indexes read the same rows.
  std::vector<std::shared_ptr<const FloatRows>> vectors;
  /// Visible rows: 0 .. rows-1 of `data`.
  size_t rows = 0;
  /// Tombstones (at least `rows` bits).
  std::shared_ptr<const Bitset> deleted;
  size_t num_deleted = 0;
  /// Per vector field: the largest squared norm among the visible rows.
  std::vector<float> max_norm;
  /// Per vector field: the index of this segment, or null (no index on the
  /// field, a growing segment, or a build still running): exact scan.
  std::vector<std::shared_ptr<const VectorIndex>> index;
  /// Per SPARSE_FLOAT_VECTOR field (Collection::sparse_fields()): the
  /// segment's inverted index, or null (as `index`). May be shorter than
  /// the number of sparse fields: missing entries are null.
  std::vector<std::shared_ptr<const sparse::SparseIndex>> sparse_index;
  /// Per schema column: the inverted index of an enable_match VARCHAR field
  /// (TEXT_MATCH), or null (other fields, a growing segment, a build still
  /// running: the filter analyzes the rows' text). May be shorter than the
  /// schema.
  std::vector<std::shared_ptr<const text::TextIndex>> text_index;
  /// Per schema column: the scalar index of a field that has one
  /// (CollectionMeta::scalar), or null (other fields, a growing segment, a
  /// build still running: the filter scans the rows). May be shorter than
  /// the schema.
  std::vector<std::shared_ptr<const ScalarIndex>> scalar_index;

  size_t live() const { return rows - num_deleted; }
  const ScalarIndex* ScalarIndexOf(int column) const {
    return column >= 0 && static_cast<size_t>(column) < scalar_index.size()
               ? scalar_index[column].get()
               : nullptr;
  }
  const text::TextIndex* TextIndexOf(int column) const {
    return column >= 0 && static_cast<size_t>(column) < text_index.size()
               ? text_index[column].get()
               : nullptr;
  }
  const sparse::SparseIndex* SparseIndexOf(size_t f) const {
    return f < sparse_index.size() ? sparse_index[f].get() : nullptr;
  }
};

/// Heap float rows of `capacity` rows for each of the dimensions `dims`.
inline std::vector<std::shared_ptr<FloatRows>> NewVectorRows(
    const std::vector<size_t>& dims, size_t capacity) {
  std::vector<std::shared_ptr<FloatRows>> out;
  for (size_t dim : dims)
    out.push_back(std::make_shared<FloatRows>(capacity, dim));
  return out;
}

/// The index settings of one vector field.
struct FieldIndexState {
  bool has_index = false;
  IndexDef spec;
  /// Bumped by every create/drop, so a background build started for an
  /// older index is discarded.
  uint64_t generation = 0;
};

/// Milvus' partition key mode (Collection::SetPartitionKey): the key column
/// and, by hash slot (PartitionKeySlot), the partition id rows of that slot
/// go to.
struct PartitionKeyLayout {
  int column = -1;
  std::vector<uint16_t> slots;
};

/// Collection metadata that readers need, replaced as a whole on change.
struct CollectionMeta {
  /// Some or all partitions are loaded.
  bool loaded = false;
  /// When loaded: the partitions that are not (Milvus' partition-level
  /// load); empty when the whole collection is loaded.
  std::set<std::string> unloaded_partitions;
  // Dropped partitions leave an empty name behind so that ids stay stable.
  std::vector<std::string> partitions;
  std::vector<FieldIndexState> fields;  // per vector field
  std::vector<FieldIndexState> sparse;  // per sparse vector field
  std::vector<FieldIndexState> scalar;  // per schema column (scalar fields)
  /// Partition key mode; null: rows go to the partition an insert names.
  std::shared_ptr<const PartitionKeyLayout> key_layout;
};

/// A consistent state of a collection: what one read works on.
struct CollectionState {
  std::shared_ptr<const CollectionMeta> meta;
  /// Sorted by id.
  std::vector<std::shared_ptr<const SegmentView>> segments;

  /// The position of segment `id`, or -1.
  int Find(int64_t id) const {
    size_t lo = 0, hi = segments.size();
    while (lo < hi) {
      size_t mid = (lo + hi) / 2;
      if (segments[mid]->id < id) {
        lo = mid + 1;
      } else {
        hi = mid;
      }
    }
    return lo < segments.size() && segments[lo]->id == id ? static_cast<int>(lo)
                                                          : -1;
  }
};

}  // namespace cove::engine

#endif  // COVE_SRC_ENGINE_SEGMENT_H_
