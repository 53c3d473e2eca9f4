// Internals shared by the collection's translation units (collection.cc,
// collection_io.cc, collection_background.cc). Not for other users.
#ifndef COVE_SRC_ENGINE_COLLECTION_INTERNAL_H_
#define COVE_SRC_ENGINE_COLLECTION_INTERNAL_H_

#include <atomic>
#include <cstdint>
#include <memory>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "engine/collection.h"

namespace cove::engine {

/// Build parameters of an index definition on a field of dimension `dim`
/// (the caller checked the parameters when the index was created; values
/// that do not parse keep the defaults). InvalidArgument only for values out
/// of the index's range.
absl::StatusOr<IndexParams> IndexParamsFromDef(const IndexDef& def, size_t dim);

/// "HNSW", "STL_SORT", "Trie", ...: the Milvus name of an index kind.
const char* IndexKindLabel(IndexKind kind);

/// Background jobs of one collection: counted so that the collection can
/// wait for them, and cancelled when it goes away. Shared with the jobs so
/// that a job never touches a destroyed collection's counter.
struct Collection::Jobs {
  absl::Mutex mu;
  int pending ABSL_GUARDED_BY(mu) = 0;
  bool cancelled ABSL_GUARDED_BY(mu) = false;
  /// Read by running index builds (IndexParams::cancel): set, they stop.
  std::atomic<bool> stop_builds{false};
};

/// A writer's copy-on-write edit of the published state: segment views and
/// tombstone bitsets are copied the first time the batch changes them.
struct Collection::Batch {
  explicit Batch(const CollectionState& state)
      : next(std::make_shared<CollectionState>(state)),
        owned(state.segments.size()),
        own_deleted(state.segments.size(), nullptr) {}

  SegmentView* View(size_t pos) {
    if (owned[pos] == nullptr) {
      owned[pos] = std::make_shared<SegmentView>(*next->segments[pos]);
      next->segments[pos] = owned[pos];
    }
    return owned[pos].get();
  }
  Bitset* Deleted(size_t pos) {
    SegmentView* v = View(pos);
    if (own_deleted[pos] == nullptr) {
      auto copy = std::make_shared<Bitset>(*v->deleted);
      own_deleted[pos] = copy.get();
      v->deleted = std::move(copy);
    }
    return own_deleted[pos];
  }
  // Appends a view made by this batch (its id must be the largest).
  size_t Append(std::shared_ptr<SegmentView> view, Bitset* deleted) {
    next->segments.push_back(view);
    owned.push_back(std::move(view));
    own_deleted.push_back(deleted);
    return next->segments.size() - 1;
  }

  std::shared_ptr<CollectionState> next;
  std::vector<std::shared_ptr<SegmentView>> owned;
  std::vector<Bitset*> own_deleted;
};

/// Sealed segments rewritten into one without their deleted rows.
struct Collection::CompactionGroup {
  std::vector<std::shared_ptr<const SegmentView>> sources;  // as planned
  std::vector<FieldIndexState> fields;  // index settings as planned
  int64_t new_id = 0;
  std::shared_ptr<SegmentData> data;  // the output (null: nothing live)
  std::vector<std::shared_ptr<const FloatRows>> vectors;  // per field
  size_t rows = 0;
  std::vector<float> max_norm;
  // Per source: the output row of each input row (kNoRow: dropped).
  std::vector<std::vector<uint32_t>> new_row;
  std::vector<std::shared_ptr<const VectorIndex>> index;

  static constexpr uint32_t kNoRow = 0xffffffffu;
};

}  // namespace cove::engine

#endif  // COVE_SRC_ENGINE_COLLECTION_INTERNAL_H_
