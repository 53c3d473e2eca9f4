// One collection of the embedded engine: schema, segments (segment.h),
// primary-key map, partitions and one index spec per vector field.
//
// Writes go to the growing segment; sealed segments get their indexes built
// and are compacted in the background (build_pool.h). Reads work on an
// immutable snapshot (CollectionState) taken under a short lock, so a long
// search never blocks writes and never sees half a write batch.
#ifndef COVE_SRC_ENGINE_COLLECTION_H_
#define COVE_SRC_ENGINE_COLLECTION_H_

#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "common/bytes.h"
#include "cove/value.h"
#include "engine/bitset.h"
#include "engine/build_pool.h"
#include "engine/expr/expr.h"
#include "engine/indexes/vector_index.h"
#include "engine/schema.h"
#include "engine/segment.h"
#include "engine/text/analyzer.h"

namespace cove::engine {

/// The name of the hidden JSON field that keeps dynamic keys.
inline constexpr char kDynamicFieldName[] = "$meta";

/// The partition every collection has.
inline constexpr char kDefaultPartition[] = "_default";
inline constexpr size_t kMaxPartitions = 1024;

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
  kAlterDatabase = 9,     // the database's new properties
  kAlterCollection = 10,  // a collection's new settings (embedded backend)
  kMoveCollection = 11,   // a rename into another database
  // Collection-level records start with the collection id.
  kInsert = 20,
  kDelete = 21,
  kCreatePartition = 22,
  kDropPartition = 23,
  kCreateIndex = 24,
  kDropIndex = 25,
  kLoad = 26,
  kRelease = 27,
  kLoadPartitions = 28,     // id, count, names
  kReleasePartitions = 29,  // id, count, names
  // An insert in partition key mode: id, next auto id, count, then per row
  // its partition id (varint) and values.
  kInsertByKey = 30,
};

/// Partition key mode: the slot (0 .. n-1) a partition key value hashes to,
/// MurmurHash3 x86_32 (seed 0) of an INT64's 8 bytes in little-endian order
/// or of a VARCHAR's UTF-8 bytes, modulo n. Rows are stored by it: it never
/// changes. n > 0; the key must be an int or a string.
uint32_t PartitionKeySlot(const Value& key, size_t n);

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
  /// Threads one search may use for its batch of queries (0: hardware
  /// concurrency).
  int search_threads = 1;
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
/// block of rows; migrated on load), 2 (segments) and 3 (plus the specs of
/// the scalar indexes; Serialize writes it).
inline constexpr uint32_t kCollectionFormatV1 = 1;
inline constexpr uint32_t kCollectionFormatV2 = 2;
inline constexpr uint32_t kCollectionFormatV3 = 3;

/// A row of a collection state: the position of its segment in
/// CollectionState::segments, and the row in that segment.
struct RowRef {
  uint32_t segment = 0;
  uint32_t row = 0;
};

/// One search hit: the row and its raw metric value (squared L2, inner
/// product or cosine similarity).
struct ScoredRow {
  RowRef ref;
  float score = 0.0f;
};

/// A position in the (distance, primary key) order of an ordered search.
struct SearchCursor {
  float score = 0.0f;
  Value id;
};

/// Grouping search (Milvus' group_by_field), of dense and sparse fields
/// alike (collection_group.cc). Hits are taken closest first; a hit joins
/// its value's group while the group has fewer than `group_size` hits, and
/// starts a new group while there are fewer than `groups`. Null values form
/// one group.
struct Grouping {
  /// The schema position of a BOOL, INT8..INT64 or VARCHAR field, or -1
  /// (no grouping).
  int field = -1;
  size_t groups = 0;
  size_t group_size = 1;
  /// Every chosen group gets `group_size` hits when the rows allow it;
  /// otherwise the search may stop once it has `groups` groups, some of them
  /// with fewer hits.
  bool strict_group_size = false;
};

/// A search of one vector field for a batch of queries.
struct SearchSpec {
  /// The vector field: its position among the schema's vector fields.
  size_t field = 0;
  /// nq x dim floats, row-major (dim of the field); finite. BINARY_VECTOR
  /// fields: each query's dim / 8 bytes packed into the storage's float32
  /// slots ((dim / 8 + 3) / 4 floats per query, zero-padded), as rows are
  /// stored (PackBinaryQuery()).
  const float* queries = nullptr;
  size_t num_queries = 0;
  /// Hits wanted per query (the caller's offset + limit).
  size_t k = 10;
  /// The index's metric must be this one when set (InvalidArgument else).
  std::optional<Metric> metric;
  /// Index search widths (0: the index's default), checked by the caller.
  int ef = 0;
  int nprobe = 0;
  int rerank = 0;
  /// Range search bounds, Milvus style (see IndexSearchParams).
  std::optional<float> radius;
  std::optional<float> range_filter;
  /// Rows must match this filter (compiled by CompileFilter()); null: all.
  const expr::CompiledFilter* filter = nullptr;
  /// Partitions to search by name; empty: all.
  std::vector<std::string> partitions;
  /// An exact scan of every allowed row, hits ordered by (distance, primary
  /// key), as read sessions need; with `after`, only the hits past it.
  bool exact_ordered = false;
  std::optional<SearchCursor> after;

  /// Grouping search (Milvus' group_by_field); `k` is not used then.
  Grouping grouping;
};

/// What a search found, per query closest first, with the state the rows
/// belong to (read their values with Collection::ValueAt).
struct SearchHits {
  std::shared_ptr<const CollectionState> state;
  std::vector<std::vector<ScoredRow>> hits;
  /// Grouping searches only: per query, the number of hits of each group, in
  /// the order the groups appear in `hits` (by their closest hit).
  std::vector<std::vector<size_t>> group_sizes;
};

/// A query: rows by primary keys or matching a filter (or both).
struct QuerySpec {
  /// When `by_ids`: the primary keys wanted, in this order (missing ones are
  /// skipped); else every row that passes the filter, in primary-key order.
  bool by_ids = false;
  std::vector<Value> ids;
  const expr::CompiledFilter* filter = nullptr;
  std::vector<std::string> partitions;
  /// The page of the result: rows [offset, offset + limit); limit 0: all.
  size_t offset = 0;
  size_t limit = 0;
  /// Only count the matching rows (QueryRows::count), return none.
  bool count_only = false;
};

/// What a query found.
struct QueryRows {
  std::shared_ptr<const CollectionState> state;
  std::vector<RowRef> rows;
  /// Rows matched before paging.
  int64_t count = 0;
};

/// A search of one SPARSE_FLOAT_VECTOR field for a batch of queries: sparse
/// vectors (IP), or texts (BM25, on the output field of a BM25 function).
struct SparseSearchSpec {
  /// The field: its position among the schema's sparse fields.
  size_t field = 0;
  /// IP queries (checked by sparse::Check), or BM25 query texts: one of
  /// the two.
  std::vector<SparseVector> queries;
  std::vector<std::string> texts;
  /// Hits wanted per query (offset + limit).
  size_t k = 10;
  /// The index's metric must be this one when set.
  std::optional<Metric> metric;
  /// Fraction of each query's smallest weights left out, in [0, 1).
  double drop_ratio_search = 0.0;
  /// BM25 parameters; unset: the index's (bm25_k1, bm25_b), else 1.2, 0.75.
  std::optional<float> bm25_k1;
  std::optional<float> bm25_b;
  /// Range search bounds: radius < score <= range_filter.
  std::optional<float> radius;
  std::optional<float> range_filter;
  const expr::CompiledFilter* filter = nullptr;
  std::vector<std::string> partitions;
  /// Grouping search (Milvus' group_by_field); `k` is not used then.
  Grouping grouping;
};

/// BM25 statistics of a collection state: live documents, their total
/// length, and per term the live documents holding it.
struct Bm25Stats {
  int64_t documents = 0;
  double total_length = 0;
  absl::flat_hash_map<uint32_t, int64_t> doc_freq;

  double avgdl() const {
    return documents > 0 ? total_length / static_cast<double>(documents) : 0;
  }
};

/// A delete: rows by primary keys, or matching a filter (one of the two).
struct DeleteSpec {
  std::vector<Value> ids;
  const expr::CompiledFilter* filter = nullptr;
  /// Only rows of this partition; empty: all.
  std::string partition;
};

/// The rows a write touched.
struct WriteResult {
  int64_t count = 0;
  /// Primary keys, in input order (inserts) or as found (deletes).
  std::vector<Value> ids;
};

/// An index and how far it has got.
struct IndexStatus {
  IndexDef def;
  /// Live rows of the collection.
  int64_t total_rows = 0;
  /// Live rows that searches serve from this index.
  int64_t indexed_rows = 0;
  /// Live rows of sealed segments whose index is not built yet.
  int64_t pending_rows = 0;
  /// Live rows of the growing segment (searched exactly).
  int64_t growing_rows = 0;
};

class Collection {
 public:
  /// Writes a record durably before a change is applied; an error aborts
  /// the change. `while_syncing`, when not empty, is to be called once the
  /// record is written, while it is made durable (it prepares the change
  /// without publishing it; a logger that has nothing to wait for calls it
  /// before returning OK).
  using Logger = std::function<absl::Status(
      std::string_view record, const std::function<void()>& while_syncing)>;

  /// Validates the schema. The collection starts empty and not loaded.
  /// `id` 0 assigns a new collection id; replay passes the logged one.
  static absl::StatusOr<std::unique_ptr<Collection>> Create(
      std::string name, Schema schema, int64_t id = 0,
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
      internal::ByteReader* r, uint32_t version = kCollectionFormatV3,
      CollectionContext context = {});

  /// Keeps collection ids unique after recovery.
  static void ReserveIds(int64_t max_used);

  std::string name() const;
  void set_name(std::string name);
  const Schema& schema() const { return schema_; }
  /// Schema positions of the vector fields (SearchSpec::field indexes it).
  const std::vector<int>& vector_fields() const { return vector_field_index_; }
  /// The schema position of the primary key.
  int primary_key() const { return pk_index_; }
  /// The column of the dynamic keys ("$meta"), or -1 without dynamic fields.
  int dynamic_column() const {
    return schema_.enable_dynamic_field
               ? static_cast<int>(schema_.fields.size())
               : -1;
  }
  int64_t id() const { return id_; }
  int64_t created_timestamp() const { return created_ts_; }

  /// Creates the index of a field (one per field): a vector index, or a
  /// scalar index (STL_SORT, Trie, BITMAP, INVERTED, AUTOINDEX) of a BOOL,
  /// INT8..INT64, FLOAT, DOUBLE or VARCHAR field, which filters then use
  /// (indexes/scalar_index.h). AlreadyExists when the field has an index
  /// with other parameters; InvalidArgument for an unknown field, an index
  /// type the field's type does not take, or bad parameters. Sealed
  /// segments get the index built in the background (searched exactly, or
  /// filtered by a scan, meanwhile).
  /// `def.params` must have been checked by the caller; an empty index_name
  /// becomes the field name.
  absl::Status CreateIndex(const IndexDef& def);
  absl::Status DropIndex(const std::string& index_name);
  /// The index of vector field `field` (a position in vector_fields()), or
  /// none.
  std::optional<IndexDef> IndexOf(size_t field) const;
  /// Every index with the rows it serves (IndexStatus).
  std::vector<IndexStatus> DescribeIndexes() const;

  /// Loading: searches and queries need a loaded collection, and loading
  /// needs an index on every vector field (as in Milvus).
  absl::Status Load();
  absl::Status Release();
  bool loaded() const;
  /// Partition-level loading, as Milvus: loading partitions of a released
  /// collection loads only those (searches and queries then read the loaded
  /// partitions, and naming another one is FailedPrecondition); releasing
  /// every loaded partition releases the collection. Names must exist.
  absl::Status LoadPartitions(const std::vector<std::string>& names);
  absl::Status ReleasePartitions(const std::vector<std::string>& names);
  /// Whether partition `name` is loaded (NotFound for an unknown one).
  absl::StatusOr<bool> PartitionLoaded(const std::string& name) const;
  /// Live rows of partition `name`, loaded or not.
  absl::StatusOr<int64_t> PartitionRowCount(const std::string& name) const;

  /// Milvus' partition key mode, from now on: an insert that names no
  /// partition puts each row into partition `names[PartitionKeySlot(v,
  /// names.size())]`, v the row's value of `column` (an INT64 or VARCHAR
  /// field, not nullable), so that an upsert that changes v moves the row;
  /// a search, query or delete by filter that names no partition reads only
  /// the partitions of the values the filter pins `column` to
  /// (CompiledFilter::PinnedValues), all of them otherwise. Partitions of
  /// `names` that do not exist are created without a log record: the caller
  /// keeps the mode and calls this again right after the collection is
  /// created anew or restored during recovery. "_default" is hidden then
  /// (not listed, not found by name). Idempotent.
  absl::Status SetPartitionKey(int column,
                               const std::vector<std::string>& names);
  /// The partition key column, or -1 (not in partition key mode).
  int partition_key_column() const;
  /// Partition key pruning on (the default) or off. Results are the same
  /// either way (tests and benchmarks compare the two).
  void set_partition_pruning(bool on) {
    prune_by_key_.store(on, std::memory_order_relaxed);
  }

  /// Appends rows given as one value per column: the schema's fields in
  /// order, then the dynamic column ("$meta", a JSON object) when the schema
  /// has one. Values must fit the schema (the caller checks them: vectors
  /// of the field's dimension with finite elements, scalars by CheckScalar);
  /// the primary key of an auto_id collection is assigned here unless
  /// `upsert`. A key that exists already, or repeats within the batch, is
  /// replaced: the last row for a key wins (as an upsert). The batch is
  /// logged and applied whole, or not at all.
  absl::StatusOr<WriteResult> Insert(std::vector<std::vector<Value>> rows,
                                     const std::string& partition, bool upsert);
  absl::StatusOr<WriteResult> Delete(const DeleteSpec& spec);
  /// Reads the current state, or `pinned` (a state returned by Pin()) when
  /// given.
  absl::StatusOr<SearchHits> Search(
      const SearchSpec& spec,
      const std::shared_ptr<const CollectionState>& pinned = nullptr) const;
  absl::StatusOr<QueryRows> Query(
      const QuerySpec& spec,
      const std::shared_ptr<const CollectionState>& pinned = nullptr) const;
  /// Searches a sparse field (collection_sparse.cc): every segment's
  /// inverted index, or an exact scan of its rows until it has one (the
  /// growing segment always). BM25 scores use the statistics of the whole
  /// state (every live row, whatever the partitions and filter). Reads the
  /// current state, or `pinned` when given.
  absl::StatusOr<SearchHits> Search(
      const SparseSearchSpec& spec,
      const std::shared_ptr<const CollectionState>& pinned = nullptr) const;

  /// Schema positions of the SPARSE_FLOAT_VECTOR fields
  /// (SparseSearchSpec::field indexes it).
  const std::vector<int>& sparse_fields() const { return sparse_field_index_; }
  /// The index of sparse field `field`, or none.
  std::optional<IndexDef> SparseIndexOf(size_t field) const;
  /// True when sparse field `field` is the output of a BM25 function.
  bool IsBm25Field(size_t field) const { return bm25_input_[field] >= 0; }
  /// The analyzer of VARCHAR field `column` (a schema position), or null
  /// when the field has none.
  std::shared_ptr<const text::Analyzer> AnalyzerOf(int column) const;
  /// The BM25 statistics of `state` for the `terms` of sparse field
  /// `field` (tests check them against a recount).
  Bm25Stats ComputeBm25Stats(const CollectionState& state, size_t field,
                             const std::vector<uint32_t>& terms) const;

  /// Compiles a filter against this collection's schema.
  absl::StatusOr<expr::CompiledFilter> CompileFilter(
      const std::string& filter,
      const std::map<std::string, Value>& params) const;
  /// The value of `column` (a schema position, or dynamic_column()) of a row
  /// of `state`: vectors as FloatVector values.
  Value ValueAt(const CollectionState& state, RowRef ref, int column) const;

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

  /// Seals the growing segment now when it has rows (its index is built in
  /// the background; a new growing segment takes the next writes), so that
  /// every row is searched through an index once the builds finish. Flush
  /// and idle sealing call it.
  void Seal();
  /// Microseconds (steady clock) of the last write that added rows to the
  /// growing segment, or 0; for idle sealing.
  int64_t last_write_micros() const {
    return last_write_us_.load(std::memory_order_relaxed);
  }
  /// True when the growing segment has rows and some vector field has an
  /// index (sealing would build it).
  bool HasUnindexedGrowingRows() const;

  /// Compacts now and waits: every sealed segment with deleted rows is
  /// rewritten without them (small ones merged), and the growing segment
  /// drops its deleted rows. Results of reads do not change.
  absl::Status Compact();

  /// Waits until no index build or compaction of this collection is queued
  /// or running (tests, Flush and Compact use it).
  void WaitForIndexBuilds() const;
  /// Stops background work for good (shutdown): queued builds and
  /// compactions are dropped, running index builds stop within
  /// milliseconds, and none is started any more. Segments left without their
  /// index are searched exactly, and a snapshot of them gets the index
  /// rebuilt when it is loaded again.
  void CancelBackgroundWork();

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

  Collection(std::string name, Schema schema, int64_t id,
             CollectionContext context);
  // Grouping searches (grouping.field >= 0): ordinary searches of growing
  // depth until the groups are settled (collection_group.cc).
  absl::StatusOr<SearchHits> SearchGrouped(
      const SearchSpec& spec,
      const std::shared_ptr<const CollectionState>& pinned) const;
  absl::StatusOr<SearchHits> SearchGrouped(
      const SparseSearchSpec& spec,
      const std::shared_ptr<const CollectionState>& pinned) const;
  // One round of a grouping search: the ungrouped hits, `k` per query, of
  // the queries at positions `queries` of the request, in that order.
  using GroupRound = std::function<absl::StatusOr<SearchHits>(
      size_t k, const std::vector<size_t>& queries)>;
  // The rounds shared by dense and sparse grouping searches of
  // `num_queries` queries over `state`.
  absl::StatusOr<SearchHits> GroupRounds(
      const Grouping& grouping, size_t num_queries,
      const std::shared_ptr<const CollectionState>& state,
      const GroupRound& round) const;
  // InvalidArgument unless `grouping` names a field that groups.
  absl::Status CheckGrouping(const Grouping& grouping) const;
  static absl::StatusOr<std::unique_ptr<Collection>> DeserializeV1(
      internal::ByteReader* r, CollectionContext context);

  absl::Status Log(const std::string& record) {
    return logger_ ? logger_(record, {}) : absl::OkStatus();
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
  // Rows go to `partition_id`, or to `per_row[r]` when given. The float
  // vectors of the first `staged` rows are in their slots already
  // (StageVectorsLocked, which gave their norms).
  void ApplyInsertLocked(std::vector<std::vector<Value>>& rows,
                         uint16_t partition_id,
                         const std::vector<uint16_t>* per_row = nullptr,
                         size_t staged = 0,
                         const std::vector<float>& staged_norms = {});
  // Copies the float vectors of the first rows of an insert, and their
  // inverse norms, into the growing segment's slots past its published
  // rows (as many rows as fit before the storage must grow or the segment
  // seals; none when a vector field is not float32). Readers do not see
  // them until ApplyInsertLocked publishes the rows. Returns how many rows
  // it staged, their norms in `norms` (row-major by field; requires mu_).
  size_t StageVectorsLocked(const std::vector<std::vector<Value>>& rows,
                            std::vector<float>* norms);
  // Seals the growing view at `pos` of `batch` and appends a new growing
  // one (requires mu_ and state_mu_); returns the new one's position.
  size_t SealGrowingLocked(Batch& batch, size_t pos);
  // Schedules the index builds of newly sealed segments (requires mu_).
  void ScheduleSealedLocked(const std::vector<int64_t>& sealed);
  int64_t ApplyDeleteLocked(const std::vector<Loc>& rows, WriteResult* result);
  absl::Status CreateIndexLocked(const IndexDef& def, bool log);
  // The index states of one kind of field in CollectionMeta: vector
  // (fields), sparse or scalar.
  using IndexStates = std::vector<FieldIndexState> CollectionMeta::*;
  // True when `current` already holds `spec` (creating it again is a no-op,
  // as in Milvus); AlreadyExists naming `field` when it holds another
  // index; false when it holds none.
  absl::StatusOr<bool> HasSameIndexLocked(const FieldIndexState& current,
                                          const IndexDef& spec,
                                          const std::string& field) const;
  // Logs the creation of `spec` (with `log`) and publishes it as the index
  // of (meta.*kind)[slot] under a new generation, which it returns (the
  // caller schedules the builds).
  absl::StatusOr<uint64_t> PublishIndexLocked(IndexStates kind, size_t slot,
                                              const IndexDef& spec, bool log);
  // Logs the drop of the index of (meta.*kind)[slot] (with `log`), clears
  // it in the metadata, and detaches the built index from every segment
  // view: `built(view)` says whether a view holds one, `detach(view)`
  // removes it.
  absl::Status UnpublishIndexLocked(
      IndexStates kind, size_t slot, bool log,
      const std::function<bool(const SegmentView&)>& built,
      const std::function<void(SegmentView*)>& detach);
  // Sparse fields (collection_sparse.cc).
  absl::Status CreateSparseIndexLocked(size_t field, const IndexDef& def,
                                       bool log);
  absl::Status DropSparseIndexLocked(size_t field, bool log);
  void ScheduleSparseBuild(int64_t segment, size_t field, uint64_t generation);
  void SparseBuildJob(int64_t segment, size_t field, uint64_t generation);
  // Scalar indexes (collection_scalar.cc) of schema column `column`.
  absl::Status CreateScalarIndexLocked(int column, const IndexDef& def,
                                       bool log);
  absl::Status DropScalarIndexLocked(int column, bool log);
  // Schedules the builds of every scalar index of a sealed segment.
  void ScheduleScalarBuilds(int64_t segment);
  void ScalarBuildJob(int64_t segment, int column, uint64_t generation);
  // Text indexes (TEXT_MATCH) of a sealed segment's enable_match fields.
  void ScheduleTextBuild(int64_t segment);
  void TextBuildJob(int64_t segment);
  // Fills the outputs of the schema's functions (BM25) in rows of values.
  void ApplyFunctions(std::vector<std::vector<Value>>* rows) const;
  absl::Status DropIndexLocked(const std::string& index_name, bool log);
  absl::Status LoadLocked(bool log);
  absl::Status LoadPartitionsLocked(const std::vector<std::string>& names,
                                    bool log);
  absl::Status ReleasePartitionsLocked(const std::vector<std::string>& names,
                                       bool log);
  // Checks that every vector field has an index (loading needs one).
  absl::Status CheckLoadable(const CollectionMeta& meta) const;
  absl::Status CreatePartitionLocked(const std::string& partition, bool log,
                                     bool key_mode = false);
  absl::Status DropPartitionLocked(const std::string& partition, bool log);

  // Allowed rows of one segment: visible, live, in the partitions (empty:
  // all) and matching the filter (null: all).
  Bitset Matching(const SegmentView& seg, const expr::CompiledFilter* filter,
                  const std::vector<bool>* partitions) const;
  // Per segment of `state`: the rows a search or query may return (none:
  // every row), or skip the segment (false).
  struct Target {
    uint32_t pos;
    const SegmentView* seg;
    std::optional<Bitset> allowed;
  };
  std::vector<Target> Targets(const CollectionState& state,
                              const expr::CompiledFilter* filter,
                              const std::vector<bool>* partitions) const;
  // The partition mask of `names` (empty: none, all partitions).
  absl::StatusOr<std::vector<bool>> PartitionMask(
      const CollectionMeta& meta, const std::vector<std::string>& names) const;
  // The partitions a read of `names` sees: PartitionMask, restricted to the
  // loaded partitions; a named partition that is not loaded is
  // FailedPrecondition. With no names, in partition key mode, and a filter
  // that pins the key: the partitions of the pinned values (KeyMask).
  absl::StatusOr<std::vector<bool>> ReadMask(
      const CollectionMeta& meta, const std::vector<std::string>& names,
      const expr::CompiledFilter* filter = nullptr) const;
  // Partition key pruning: the partitions of the values `filter` pins the
  // key to, or empty (every partition).
  std::vector<bool> KeyMask(const CollectionMeta& meta,
                            const expr::CompiledFilter* filter) const;
  // Partition key mode: per row of `rows`, its partition id.
  absl::StatusOr<std::vector<uint16_t>> KeyPartitions(
      const PartitionKeyLayout& layout,
      const std::vector<std::vector<Value>>& rows) const;
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
      const IndexDef& def) const;
  // Where a sealed segment's rows of `field` live under index `spec`
  // (null: none): a mapped file for HNSW_SQ/IVF_SQ8 with a spill
  // directory, the heap for other indexes. Returns `rows` when they are
  // where they belong or cannot move.
  std::shared_ptr<const FloatRows> PlaceVectors(
      std::shared_ptr<const FloatRows> rows, size_t n, size_t field,
      const IndexDef* def) const;
  // Makes `index` read `vectors` (with the inverse norms of `data` for
  // COSINE) instead of its own copy.
  absl::Status AttachSegmentVectors(
      VectorIndex& index, const std::shared_ptr<const SegmentData>& data,
      const std::shared_ptr<const FloatRows>& vectors, size_t rows,
      size_t field, const IndexDef& def) const;
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
  const Schema schema_;
  const int64_t id_;
  int64_t created_ts_;
  int pk_index_ = -1;
  expr::Schema expr_schema_;
  size_t num_columns_ = 0;
  std::vector<int> vector_field_index_;  // schema index of each vector field
  // vector_dims_: the width of a row in the storage's float32 slots
  // (FloatRows): the dimension for FLOAT_VECTOR; FLOAT16_VECTOR and
  // BFLOAT16_VECTOR rows hold 2-byte values packed two per slot, so
  // (dim + 1) / 2. Code that copies or persists rows uses it alike for every
  // type; code that reads values asks vector_half_ (the 16-bit format, or
  // none for float32) and vector_elems_ (the dimension).
  std::vector<size_t> vector_dims_;
  std::vector<size_t> vector_elems_;
  std::vector<std::optional<HalfType>> vector_half_;
  // BINARY_VECTOR fields: the code length in bytes (dim / 8; the storage
  // rows are vector_dims_ slots, zero-padded), 0 for other fields.
  std::vector<size_t> vector_binary_bytes_;
  bool IsBinaryField(size_t f) const { return vector_binary_bytes_[f] > 0; }
  // True when vector field `f` is 16-bit with a FLAT (or AUTOINDEX) index,
  // or binary with BIN_FLAT (or AUTOINDEX): searched by scans of its rows,
  // no index object is built.
  bool HalfScan(size_t f, const IndexDef& def) const {
    if (IsBinaryField(f)) return def.kind != IndexKind::kBinIvfFlat;
    return vector_half_[f].has_value() &&
           (def.kind == IndexKind::kFlat || def.kind == IndexKind::kAutoIndex);
  }
  // Sparse fields: their schema positions, and for BM25 outputs the schema
  // position of the text field (-1 else). Analyzers by schema position.
  std::vector<int> sparse_field_index_;
  std::vector<int> bm25_input_;
  std::vector<std::shared_ptr<const text::Analyzer>> analyzers_;
  // Schema positions of the VARCHAR fields with enable_match (TEXT_MATCH):
  // sealed segments get a text index of each (SegmentView::text_index).
  std::vector<int> match_columns_;
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
  std::atomic<int64_t> last_write_us_{0};
  std::atomic<bool> prune_by_key_{true};
  std::shared_ptr<Jobs> jobs_;
};

}  // namespace cove::engine

#endif  // COVE_SRC_ENGINE_COLLECTION_H_
