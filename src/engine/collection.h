// One collection of the embedded engine: schema, segments (segment.h),
// primary-key map, partitions and one index spec per vector field.
//
// Writes go to the growing segment; sealed segments get their indexes built
// and are compacted in the background (build_pool.h). Reads work on an
// immutable snapshot (CollectionState) taken under a short lock, so a long
// search never blocks writes and never sees half a write batch.
#ifndef COVE_SRC_ENGINE_COLLECTION_H_
#define COVE_SRC_ENGINE_COLLECTION_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "common/bytes.h"
#include "cove/types.h"
#include "cove/value.h"
#include "engine/bitset.h"
#include "engine/build_pool.h"
#include "engine/expr/expr.h"
#include "engine/indexes/vector_index.h"
#include "engine/segment.h"

namespace cove::engine {

/// Most hits a search may return (offset + limit), as in Milvus.
inline constexpr int64_t kMaxTopK = 16384;

/// The name of the hidden JSON field that keeps dynamic keys.
inline constexpr char kDynamicFieldName[] = "$meta";

/// The partition every collection has.
inline constexpr char kDefaultPartition[] = "_default";
inline constexpr size_t kMaxPartitions = 1024;

/// Checks a collection schema: exactly one primary key (INT64 or VARCHAR with
/// max_length), at least one FLOAT_VECTOR with a dimension in [1, 32768],
/// unique non-empty names, sensible VARCHAR/ARRAY limits and defaults.
/// InvalidArgument naming the field otherwise.
absl::Status ValidateSchema(const CollectionSchema& schema);

/// Checks a collection or field name: 1..255 characters, a letter or '_'
/// first, then letters, digits and '_'. InvalidArgument otherwise.
absl::Status ValidateName(const std::string& what, const std::string& name);

/// Types of the write-ahead-log records that a collection writes and
/// replays (the embedded backend writes the database-level ones).
enum class RecordType : uint8_t {
  kCreateDatabase = 1,
  kDropDatabase = 2,
  kCreateCollection = 3,
  kDropCollection = 4,
  kRenameCollection = 5,
  kCreateAlias = 6,
  kDropAlias = 7,
  kAlterAlias = 8,
  // Collection-level records start with the collection id.
  kInsert = 20,
  kDelete = 21,
  kCreatePartition = 22,
  kDropPartition = 23,
  kCreateIndex = 24,
  kDropIndex = 25,
  kLoad = 26,
  kRelease = 27,
};

/// Serialization of schemas and index specs (records and snapshots).
void EncodeSchema(const CollectionSchema& schema, internal::ByteWriter* w);
bool DecodeSchema(internal::ByteReader* r, CollectionSchema* schema);
void EncodeIndexSpec(const IndexSpec& spec, internal::ByteWriter* w);
bool DecodeIndexSpec(internal::ByteReader* r, IndexSpec* spec);

/// What a collection runs with besides its schema.
struct CollectionContext {
  SegmentOptions segments;
  /// Shared worker pool for index builds and compactions; null: the
  /// collection makes its own (one worker).
  std::shared_ptr<BuildPool> pool;
  /// Where the float32 vectors of sealed segments indexed with HNSW_SQ or
  /// IVF_SQ8 go: nameless files in this directory, memory-mapped (the index
  /// walks its 8-bit codes and reads only the re-ranked rows). Empty: they
  /// stay in the heap (`:memory:` and encrypted stores: no plaintext on
  /// disk). A file that cannot be written leaves the rows in the heap.
  std::string spill_dir;
};

/// Introspection of one segment (tests, stats).
struct SegmentInfo {
  int64_t id = 0;
  bool sealed = false;
  int64_t rows = 0;  // including deleted
  int64_t deleted = 0;
  /// Per vector field: the segment's index is built (growing: false).
  std::vector<bool> indexed;
  /// Heap bytes: columns, float32 rows in the heap, indexes (which do not
  /// count the rows they share with the segment).
  size_t memory_bytes = 0;
  /// Bytes of float32 rows in mapped files (page cache, not heap).
  size_t mapped_vector_bytes = 0;
  /// Per vector field: the field's rows live in a mapped file.
  std::vector<bool> vectors_mapped;
};

/// Snapshot format versions that Collection::Deserialize reads: 1 (one
/// block of rows; migrated on load) and 2 (segments).
inline constexpr uint32_t kCollectionFormatV1 = 1;
inline constexpr uint32_t kCollectionFormatV2 = 2;

class Collection {
 public:
  /// Writes a record durably before a change is applied; an error aborts
  /// the change.
  using Logger = std::function<absl::Status(std::string_view record)>;

  /// Validates the schema. The collection starts empty and not loaded.
  /// `id` 0 assigns a new collection id; replay passes the logged one.
  static absl::StatusOr<std::unique_ptr<Collection>> Create(
      std::string name, CollectionSchema schema, int64_t id = 0,
      CollectionContext context = {});

  /// Waits for this collection's background jobs (a running index build
  /// finishes; queued ones are dropped).
  ~Collection();

  /// Sets the logger of every later change (none: changes are not logged).
  void set_logger(Logger logger);

  /// Applies a collection-level record (written by this class) during
  /// recovery. DataLoss when the record does not decode.
  absl::Status Replay(std::string_view record);

  /// The whole state (schema, segments, partitions, index specs and the
  /// bytes of the indexes built so far), for snapshots, in the latest format.
  void Serialize(internal::ByteWriter* w) const;
  /// Reads what Serialize wrote in format `version` (kCollectionFormatV1 or
  /// V2). Sealed segments whose index was not saved get it rebuilt in the
  /// background. DataLoss when the bytes do not decode.
  static absl::StatusOr<std::unique_ptr<Collection>> Deserialize(
      internal::ByteReader* r, uint32_t version = kCollectionFormatV2,
      CollectionContext context = {});

  /// Keeps collection ids unique after recovery.
  static void ReserveIds(int64_t max_used);

  std::string name() const;
  void set_name(std::string name);
  const CollectionSchema& schema() const { return schema_; }
  int64_t id() const { return id_; }
  int64_t created_timestamp() const { return created_ts_; }

  /// Creates the index of a vector field (one per field). AlreadyExists when
  /// the field has an index with other parameters; InvalidArgument for an
  /// unknown or non-vector field or bad parameters. Sealed segments get the
  /// index built in the background (searched exactly meanwhile).
  absl::Status CreateIndex(const IndexSpec& spec);
  absl::Status DropIndex(const std::string& index_name);
  /// indexed_rows counts live rows that searches serve from an index or
  /// from the growing segment; state is "InProgress" while sealed segments
  /// wait for their index.
  std::vector<IndexDescription> DescribeIndexes() const;

  /// Loading: searches and queries need a loaded collection, and loading
  /// needs an index on every vector field (as in Milvus).
  absl::Status Load();
  absl::Status Release();
  LoadState load_state() const;

  absl::StatusOr<MutationResult> Insert(const InsertRequest& request,
                                        bool upsert);
  absl::StatusOr<MutationResult> Delete(const DeleteRequest& request);
  /// Reads the current state, or `pinned` (a state returned by Pin()) when
  /// given. A search of a pinned state is an exact scan ordered by (distance,
  /// primary key) that honours request.search_after; request.session_id is
  /// not looked at here (the caller resolves it to `pinned`).
  absl::StatusOr<SearchResults> Search(
      const SearchRequest& request,
      const std::shared_ptr<const CollectionState>& pinned = nullptr) const;
  absl::StatusOr<std::vector<Row>> Query(
      const QueryRequest& request,
      const std::shared_ptr<const CollectionState>& pinned = nullptr) const;

  /// The current state, for read sessions: holding it keeps every segment,
  /// tombstone bitset and index of this moment alive (writes and compactions
  /// copy on write, never change it).
  std::shared_ptr<const CollectionState> Pin() const { return Snapshot(); }

  /// Live (not deleted) rows.
  int64_t row_count() const;

  /// Partitions: "_default" always exists; at most kMaxPartitions.
  absl::Status CreatePartition(const std::string& partition);
  /// Drops a partition and its rows. "_default" cannot be dropped; a loaded
  /// collection must be released first (as in Milvus).
  absl::Status DropPartition(const std::string& partition);
  bool HasPartition(const std::string& partition) const;
  std::vector<std::string> ListPartitions() const;

  /// Compacts now and waits: every sealed segment with deleted rows is
  /// rewritten without them (small ones merged), and the growing segment
  /// drops its deleted rows. Results of reads do not change.
  absl::Status Compact();

  /// Waits until no index build or compaction of this collection is queued
  /// or running (tests, Flush and Compact use it).
  void WaitForIndexBuilds() const;

  /// The segments as of now, by id.
  std::vector<SegmentInfo> Segments() const;
  /// Bytes held by the segments and their indexes.
  size_t MemoryBytes() const;

 private:
  struct Jobs;
  struct Batch;
  struct CompactionGroup;
  // A location in the pk map: segment id (high 32 bits) and row.
  using Loc = uint64_t;
  static Loc MakeLoc(int64_t segment, uint32_t row) {
    return (static_cast<uint64_t>(segment) << 32) | row;
  }
  static int64_t LocSegment(Loc loc) { return static_cast<int64_t>(loc >> 32); }
  static uint32_t LocRow(Loc loc) { return static_cast<uint32_t>(loc); }

  Collection(std::string name, CollectionSchema schema, int64_t id,
             CollectionContext context);
  static absl::StatusOr<std::unique_ptr<Collection>> DeserializeV1(
      internal::ByteReader* r, CollectionContext context);

  absl::Status Log(const std::string& record) {
    return logger_ ? logger_(record) : absl::OkStatus();
  }
  std::shared_ptr<const CollectionState> Snapshot() const;
  // Replaces the published state (requires mu_ and state_mu_).
  void Publish(std::shared_ptr<const CollectionState> next);
  void PublishMeta(std::shared_ptr<const CollectionMeta> meta);

  size_t InitialCapacity() const;
  std::shared_ptr<SegmentView> NewGrowingLocked(size_t capacity);
  // Tombstones a row in a batch; false when it was deleted already.
  bool TombstoneLocked(Batch& batch, Loc loc, std::vector<int64_t>* touched);
  void ErasePkLocked(const Value& key);
  void SetPkLocked(const Value& key, Loc loc);
  void ApplyInsertLocked(std::vector<std::vector<Value>>& rows,
                         uint16_t partition_id);
  int64_t ApplyDeleteLocked(const std::vector<Loc>& rows,
                            MutationResult* result);
  absl::Status CreateIndexLocked(const IndexSpec& spec, bool log);
  absl::Status DropIndexLocked(const std::string& index_name, bool log);
  absl::Status LoadLocked(bool log);
  absl::Status CreatePartitionLocked(const std::string& partition, bool log);
  absl::Status DropPartitionLocked(const std::string& partition, bool log);

  absl::StatusOr<std::vector<Row>> RowsFromRequest(
      const InsertRequest& request) const;
  absl::Status NormalizeRow(const Row& in, size_t row_number,
                            std::vector<Value>* out) const;
  absl::StatusOr<expr::CompiledFilter> CompileFilter(
      const std::string& filter,
      const std::map<std::string, Value>& params) const;
  // Allowed rows of one segment: visible, live, in the partitions (empty:
  // all) and matching the filter (null: all).
  Bitset Matching(const SegmentView& seg, const expr::CompiledFilter* filter,
                  const std::vector<bool>* partitions) const;
  Row Entity(const SegmentView& seg, uint32_t row,
             const std::vector<std::string>& fields) const;
  absl::StatusOr<std::vector<std::string>> ResolveOutputFields(
      const std::vector<std::string>& requested) const;
  // Partition ids of names (empty names: all partitions).
  absl::StatusOr<std::vector<int>> PartitionIds(
      const CollectionMeta& meta, const std::vector<std::string>& names) const;
  // Requires mu_ or state_mu_.
  std::vector<Loc> LookupIds(const std::vector<Value>& ids) const;
  // The same lookup in a given state, by a scan (read sessions).
  std::vector<Loc> LookupIdsIn(const CollectionState& state,
                               const std::vector<Value>& ids) const;
  const Value& KeyAt(const CollectionState& state, Loc loc) const;

  // Background work.
  void Submit(std::function<void()> job) const;
  void ScheduleBuild(int64_t segment, size_t field, uint64_t generation);
  void BuildJob(int64_t segment, size_t field, uint64_t generation);
  // Builds the index of `field` over the rows of a sealed segment; the
  // index reads `*vectors` (placed as PlaceVectors decides; replaced by the
  // rows it reads) instead of a copy of its own.
  absl::StatusOr<std::shared_ptr<const VectorIndex>> BuildSegmentIndex(
      const std::shared_ptr<const SegmentData>& data,
      std::shared_ptr<const FloatRows>* vectors, size_t rows, size_t field,
      const IndexSpec& spec) const;
  // Where a sealed segment's rows of `field` live under index `spec`
  // (null: none): a mapped file for HNSW_SQ/IVF_SQ8 with a spill
  // directory, the heap for other indexes. Returns `rows` when they are
  // where they belong or cannot move.
  std::shared_ptr<const FloatRows> PlaceVectors(
      std::shared_ptr<const FloatRows> rows, size_t n, size_t field,
      const IndexSpec* spec) const;
  // Makes `index` read `vectors` (with the inverse norms of `data` for
  // COSINE) instead of its own copy.
  absl::Status AttachSegmentVectors(
      VectorIndex& index, const std::shared_ptr<const SegmentData>& data,
      const std::shared_ptr<const FloatRows>& vectors, size_t rows,
      size_t field, const IndexSpec& spec) const;
  // Requires mu_: schedules a compaction when a segment needs one.
  void MaybeScheduleCompactionLocked();
  // Requires mu_: picks segments to rewrite (all with deletes when
  // `everything`) and marks them as compacting.
  std::vector<CompactionGroup> PickCompactionsLocked(bool everything);
  void RunCompaction(CompactionGroup& group) const;
  void InstallCompaction(CompactionGroup& group);
  void CompactGrowingLocked();
  void CompactionJob();

  // Lock order: mu_, then state_mu_. Writers hold mu_ from validation to
  // publication (the log append included) and state_mu_ only while they
  // change the in-memory state; readers hold state_mu_ (shared) just long
  // enough to take the state pointer (and look up primary keys).
  mutable absl::Mutex mu_;        // serializes writers and background installs
  mutable absl::Mutex state_mu_;  // guards state_ and the pk maps
  mutable absl::Mutex name_mu_;   // guards name_
  Logger logger_;
  std::string name_;
  const CollectionSchema schema_;
  const int64_t id_;
  int64_t created_ts_;
  int pk_index_ = -1;
  expr::Schema expr_schema_;
  size_t num_columns_ = 0;
  std::vector<int> vector_field_index_;  // schema index of each vector field
  std::vector<size_t> vector_dims_;
  CollectionContext context_;

  std::shared_ptr<const CollectionState> state_;
  // The growing segment's storage (the same object its view names) and its
  // float rows (the ones its view names).
  std::shared_ptr<SegmentData> growing_;
  std::vector<std::shared_ptr<FloatRows>> growing_vectors_;
  int64_t growing_id_ = 0;
  int64_t next_segment_id_ = 1;
  std::vector<int64_t> compacting_;  // segments a compaction is rewriting
  bool compaction_scheduled_ = false;
  absl::flat_hash_map<int64_t, Loc> int_pk_;
  absl::flat_hash_map<std::string, Loc> str_pk_;
  int64_t next_auto_id_ = 0;
  std::shared_ptr<Jobs> jobs_;
};

}  // namespace cove::engine

#endif  // COVE_SRC_ENGINE_COLLECTION_H_
