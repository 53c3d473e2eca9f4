// One collection of the embedded engine: schema, rows, primary-key map,
// tombstones and one vector index per vector field.
//
// Rows are stored by column in a single growing segment for now; the engine
// issue splits them into growing and sealed segments. Reads take a shared
// lock and writes an exclusive one, so every read sees a consistent state.
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
#include "engine/expr/expr.h"
#include "engine/vector_index.h"

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

class Collection {
 public:
  /// Writes a record durably before a change is applied; an error aborts
  /// the change.
  using Logger = std::function<absl::Status(std::string_view record)>;

  /// Validates the schema. The collection starts empty and not loaded.
  /// `id` 0 assigns a new collection id; replay passes the logged one.
  static absl::StatusOr<std::unique_ptr<Collection>> Create(
      std::string name, CollectionSchema schema, int64_t id = 0);

  /// Sets the logger of every later change (none: changes are not logged).
  void set_logger(Logger logger);

  /// Applies a collection-level record (written by this class) during
  /// recovery. DataLoss when the record does not decode.
  absl::Status Replay(std::string_view record);

  /// The whole state (schema, rows, partitions, index specs and index
  /// bytes), for snapshots.
  void Serialize(internal::ByteWriter* w) const;
  static absl::StatusOr<std::unique_ptr<Collection>> Deserialize(
      internal::ByteReader* r);

  /// Keeps collection ids unique after recovery.
  static void ReserveIds(int64_t max_used);

  std::string name() const;
  void set_name(std::string name);
  const CollectionSchema& schema() const { return schema_; }
  int64_t id() const { return id_; }
  int64_t created_timestamp() const { return created_ts_; }

  /// Creates the index of a vector field (one per field). AlreadyExists when
  /// the field has an index with other parameters; InvalidArgument for an
  /// unknown or non-vector field or bad parameters.
  absl::Status CreateIndex(const IndexSpec& spec);
  absl::Status DropIndex(const std::string& index_name);
  std::vector<IndexDescription> DescribeIndexes() const;

  /// Loading: searches and queries need a loaded collection, and loading
  /// needs an index on every vector field (as in Milvus).
  absl::Status Load();
  absl::Status Release();
  LoadState load_state() const;

  absl::StatusOr<MutationResult> Insert(const InsertRequest& request,
                                        bool upsert);
  absl::StatusOr<MutationResult> Delete(const DeleteRequest& request);
  absl::StatusOr<SearchResults> Search(const SearchRequest& request) const;
  absl::StatusOr<std::vector<Row>> Query(const QueryRequest& request) const;

  /// Live (not deleted) rows.
  int64_t row_count() const;

  /// Partitions: "_default" always exists; at most kMaxPartitions.
  absl::Status CreatePartition(const std::string& partition);
  /// Drops a partition and its rows. "_default" cannot be dropped; a loaded
  /// collection must be released first (as in Milvus).
  absl::Status DropPartition(const std::string& partition);
  bool HasPartition(const std::string& partition) const;
  std::vector<std::string> ListPartitions() const;

 private:
  struct VectorField {
    int field_index;
    size_t dim;
    std::vector<float> data;  // all rows, row-major, as inserted
    std::unique_ptr<VectorIndex> index;
    IndexSpec spec;
    bool has_index = false;
  };

  Collection(std::string name, CollectionSchema schema, int64_t id);

  absl::Status Log(const std::string& record) {
    return logger_ ? logger_(record) : absl::OkStatus();
  }
  void ApplyInsertLocked(std::vector<std::vector<Value>>& rows,
                         uint16_t partition_id);
  int64_t ApplyDeleteLocked(const std::vector<uint32_t>& rows,
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
  // Allowed rows: live and matching the filter. Requires mu_ held.
  Bitset Matching(const expr::CompiledFilter* filter) const;
  Row Entity(uint32_t row, const std::vector<std::string>& fields) const;
  absl::StatusOr<std::vector<std::string>> ResolveOutputFields(
      const std::vector<std::string>& requested) const;
  absl::Status CheckLoaded(const char* verb) const;
  // Partition ids of names (empty names: all partitions). Requires mu_.
  absl::StatusOr<std::vector<int>> PartitionIds(
      const std::vector<std::string>& names) const;
  // Clears bits of rows outside the given partitions (empty: keep all).
  void RestrictToPartitions(const std::vector<int>& ids, Bitset* rows) const;
  std::vector<uint32_t> LookupIds(const std::vector<Value>& ids) const;
  absl::Status RebuildIndex(VectorField& vf);
  absl::Status AppendVector(VectorField& vf, const float* v);

  mutable absl::Mutex mu_;
  Logger logger_;
  std::string name_;
  const CollectionSchema schema_;
  const int64_t id_;
  int64_t created_ts_;
  int pk_index_ = -1;
  expr::Schema expr_schema_;
  bool loaded_ = false;

  // Columns: one per schema field (vector fields keep their data in
  // vector_fields_ and hold nulls here), plus $meta at the end when dynamic.
  std::vector<std::vector<Value>> columns_;
  std::vector<VectorField> vector_fields_;
  Bitset deleted_;
  // Partition of each row (an index into partitions_; dropped partitions
  // leave an empty name behind so that ids stay stable).
  std::vector<uint16_t> row_partition_;
  std::vector<std::string> partitions_{kDefaultPartition};
  size_t num_rows_ = 0;  // including deleted
  size_t num_deleted_ = 0;
  absl::flat_hash_map<int64_t, uint32_t> int_pk_;
  absl::flat_hash_map<std::string, uint32_t> str_pk_;
  int64_t next_auto_id_ = 0;
};

}  // namespace cove::engine

#endif  // COVE_SRC_ENGINE_COLLECTION_H_
