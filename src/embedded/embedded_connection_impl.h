// The embedded backend's Connection (private to src/embedded): requests are
// checked (requests.h), the collection found, the engine called; writes go to
// the durable store. embedded_connection.cc makes it, embedded_recovery.cc
// holds its recovery from snapshots and the log.
#ifndef COVE_SRC_EMBEDDED_EMBEDDED_CONNECTION_IMPL_H_
#define COVE_SRC_EMBEDDED_EMBEDDED_CONNECTION_IMPL_H_

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <map>
#include <optional>
#include <thread>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "common/bytes.h"
#include "common/cipher.h"
#include "common/status_macros.h"
#include "common/utf8.h"
#include "cove/version.h"
#include "embedded/embedded_connection.h"
#include "embedded/requests.h"
#include "engine/collection.h"
#include "engine/read_sessions.h"
#include "engine/storage/store.h"

namespace cove::internal {

inline constexpr char kDefaultDatabase[] = "default";

class EmbeddedConnection : public Connection {
 public:
  explicit EmbeddedConnection(EmbeddedOptions options)
      : options_(std::move(options)),
        pool_(engine::BuildPool::FromThreadBudget(options_.index_threads)),
        sessions_(SessionOptions(options_)) {
    InitDatabaseLocked(databases_[kDefaultDatabase]);
  }

  ~EmbeddedConnection() override {
    StopSealer();
    if (store_ != nullptr && !store_->read_only()) {
      // Closing does not wait for index builds (a 100,000-row insert left
      // over a minute of building at close): running builds stop, the
      // snapshot keeps every row and the indexes already built, and the
      // next open builds the missing ones in the background, searching
      // those segments exactly meanwhile. Flush() first to keep them.
      for (const auto& c : AllCollections()) c->CancelBackgroundWork();
      absl::Status s = Checkpoint();
      if (!s.ok()) {
        std::fprintf(stderr, "cove: checkpoint at close failed: %s\n",
                     std::string(s.message()).c_str());
      }
    }
  }

  /// Opens the durable store and recovers the state from it.
  absl::Status OpenStore(const std::string& dir,
                         std::optional<internal::Cipher> cipher) {
    engine::StoreOptions store_options;
    store_options.read_only = options_.read_only;
    store_options.sync =
        options_.sync == EmbeddedOptions::SyncPolicy::kPerBatch;
    // The float32 vectors of HNSW_SQ/IVF_SQ8 sealed segments go to nameless
    // mapped files in the data directory, unless the store is encrypted
    // (nothing in plaintext on disk then).
    if (!cipher.has_value()) spill_dir_ = dir;
    store_options.cipher = std::move(cipher);
    absl::MutexLock lock(&mu_);
    COVE_ASSIGN_OR_RETURN(auto store, engine::Store::Open(
                                          dir, std::move(store_options),
                                          [this](std::string_view bytes) {
                                            return LoadSnapshotLocked(bytes);
                                          },
                                          [this](std::string_view record) {
                                            return ReplayLocked(record);
                                          }));
    store_ = std::move(store);
    for (auto& [id, c] : by_id_) AttachLogger(*c);
    return absl::OkStatus();
  }

  /// Writes a snapshot and starts a new log (blocks writers meanwhile).
  absl::Status Checkpoint() {
    if (store_ == nullptr) return absl::OkStatus();
    absl::WriterMutexLock ops(&op_mu_);
    absl::MutexLock lock(&mu_);
    internal::ByteWriter w;
    w.U32(kSnapshotVersion);
    w.Varint(databases_.size());
    for (const auto& [name, db] : databases_) {
      w.Str(name);
      w.Varint(db.aliases.size());
      for (const auto& [alias, target] : db.aliases) {
        w.Str(alias);
        w.Str(target);
      }
      w.Varint(db.collections.size());
      for (const auto& [cname, c] : db.collections) c->Serialize(&w);
      // Version 3: the database's id, creation time, properties and the
      // settings of its collections.
      w.I64(db.id);
      w.I64(db.created_ms);
      EncodeProperties(db.properties, &w);
      w.Varint(db.settings.size());
      for (const auto& [cname, settings] : db.settings) {
        w.Str(cname);
        EncodeSettings(settings, &w);
      }
    }
    return store_->Checkpoint(w.bytes());
  }

  /// See CancelBackgroundWork() in embedded_connection.h.
  void CancelBackgroundWork() {
    StopSealer();
    {
      absl::MutexLock lock(&mu_);
      cancelled_ = true;
    }
    for (const auto& c : AllCollections()) c->CancelBackgroundWork();
  }

  std::string backend_name() const override { return "embedded"; }

  absl::StatusOr<std::string> GetServerVersion(
      const CallOptions& call) override {
    return std::string("cove-embedded ") + VersionString();
  }

  absl::Status CheckHealth(const CallOptions& call) override {
    return absl::OkStatus();
  }

  // --- databases ---------------------------------------------------------

  absl::Status CreateDatabase(const std::string& name,
                              const CallOptions& call) override;

  absl::Status CreateDatabase(
      const std::string& name,
      const std::map<std::string, std::string>& properties,
      const CallOptions& call) override;

  absl::StatusOr<DatabaseDescription> DescribeDatabase(
      const std::string& name, const CallOptions& call) override;

  absl::Status AlterDatabaseProperties(
      const std::string& name, const std::map<std::string, std::string>& set,
      const std::vector<std::string>& remove, const CallOptions& call) override;

  absl::Status DropDatabase(const std::string& name,
                            const CallOptions& call) override;

  absl::StatusOr<std::vector<std::string>> ListDatabases(
      const CallOptions& call) override;

  // --- collections -------------------------------------------------------

  absl::Status CreateCollection(const std::string& name,
                                const CollectionSchema& schema,
                                const std::vector<IndexSpec>& indexes,
                                const CallOptions& call) override;

  absl::Status DropCollection(const std::string& name,
                              const CallOptions& call) override;

  absl::StatusOr<bool> HasCollection(const std::string& name,
                                     const CallOptions& call) override;

  absl::StatusOr<std::vector<std::string>> ListCollections(
      const CallOptions& call) override;

  absl::StatusOr<CollectionDescription> DescribeCollection(
      const std::string& name, const CallOptions& call) override;

  absl::StatusOr<std::vector<SegmentDescription>> ListSegments(
      const std::string& name, const CallOptions& call) override;

  absl::Status AlterCollectionProperties(
      const std::string& name, const std::map<std::string, std::string>& set,
      const std::vector<std::string>& remove, const CallOptions& call) override;
  absl::Status AlterCollectionField(
      const std::string& collection, const std::string& field,
      const std::map<std::string, std::string>& set,
      const CallOptions& call) override;

  absl::Status RenameCollection(const std::string& old_name,
                                const std::string& new_name,
                                const std::string& new_db_name,
                                const CallOptions& call) override;

  absl::StatusOr<CollectionStats> GetCollectionStats(
      const std::string& name, const CallOptions& call) override;

  // --- partitions --------------------------------------------------------

  absl::Status CreatePartition(const std::string& collection,
                               const std::string& partition,
                               const CallOptions& call) override;

  absl::Status DropPartition(const std::string& collection,
                             const std::string& partition,
                             const CallOptions& call) override;

  absl::StatusOr<bool> HasPartition(const std::string& collection,
                                    const std::string& partition,
                                    const CallOptions& call) override;

  absl::StatusOr<std::vector<std::string>> ListPartitions(
      const std::string& collection, const CallOptions& call) override;

  // --- aliases -----------------------------------------------------------

  absl::Status CreateAlias(const std::string& collection,
                           const std::string& alias,
                           const CallOptions& call) override;

  absl::Status DropAlias(const std::string& alias,
                         const CallOptions& call) override;

  absl::Status AlterAlias(const std::string& collection,
                          const std::string& alias,
                          const CallOptions& call) override;

  absl::StatusOr<AliasDescription> DescribeAlias(
      const std::string& alias, const CallOptions& call) override;

  absl::StatusOr<std::vector<std::string>> ListAliases(
      const std::string& collection, const CallOptions& call) override;

  // --- loading and indexes -------------------------------------------------

  absl::Status LoadCollection(const std::string& name,
                              const CallOptions& call) override {
    return LoadCollection(name, LoadOptions{}, call);
  }

  absl::Status LoadCollection(const std::string& name,
                              const LoadOptions& options,
                              const CallOptions& call) override;

  absl::Status ReleaseCollection(const std::string& name,
                                 const CallOptions& call) override {
    absl::ReaderMutexLock ops(&op_mu_);
    COVE_ASSIGN_OR_RETURN(auto c, Find(name, call));
    COVE_RETURN_IF_ERROR(c->Release());
    return SetLoadFields(*c, LoadOptions{}, call);
  }

  // Partial load: records the loaded field list in the collection's settings
  // (logged; empty: every field).
  absl::Status SetLoadFields(const engine::Collection& c,
                             const LoadOptions& options,
                             const CallOptions& call);
  // Partial load: a request's output fields ("*" becomes the loaded fields),
  // filter and named fields checked against the loaded fields.
  absl::Status LoadedFieldsGate(const engine::Collection& c,
                                const CallOptions& call, const char* verb,
                                std::vector<std::string>* output_fields,
                                const std::string& filter,
                                const std::map<std::string, Value>& params,
                                const std::vector<std::string>& named);

  absl::StatusOr<LoadState> GetLoadState(const std::string& name,
                                         const CallOptions& call) override {
    auto c = Find(name, call);
    if (absl::IsNotFound(c.status())) return LoadState::kNotExist;
    COVE_RETURN_IF_ERROR(c);
    return (*c)->loaded() ? LoadState::kLoaded : LoadState::kNotLoaded;
  }

  absl::Status LoadPartitions(const std::string& collection,
                              const std::vector<std::string>& partitions,
                              const CallOptions& call) override {
    absl::ReaderMutexLock ops(&op_mu_);
    COVE_ASSIGN_OR_RETURN(auto c, Find(collection, call));
    COVE_RETURN_IF_ERROR(NoManualPartitions(*c, call, "load partitions"));
    return c->LoadPartitions(partitions);
  }

  absl::Status ReleasePartitions(const std::string& collection,
                                 const std::vector<std::string>& partitions,
                                 const CallOptions& call) override {
    absl::ReaderMutexLock ops(&op_mu_);
    COVE_ASSIGN_OR_RETURN(auto c, Find(collection, call));
    COVE_RETURN_IF_ERROR(NoManualPartitions(*c, call, "release partitions"));
    return c->ReleasePartitions(partitions);
  }

  absl::StatusOr<LoadState> GetPartitionsLoadState(
      const std::string& collection, const std::vector<std::string>& partitions,
      const CallOptions& call) override {
    auto c = Find(collection, call);
    if (absl::IsNotFound(c.status())) return LoadState::kNotExist;
    COVE_RETURN_IF_ERROR(c.status());
    for (const std::string& p : partitions) {
      COVE_ASSIGN_OR_RETURN(bool loaded, (*c)->PartitionLoaded(p));
      if (!loaded) return LoadState::kNotLoaded;
    }
    return (*c)->loaded() ? LoadState::kLoaded : LoadState::kNotLoaded;
  }

  absl::StatusOr<CollectionStats> GetPartitionStats(
      const std::string& collection, const std::string& partition,
      const CallOptions& call) override {
    COVE_ASSIGN_OR_RETURN(auto c, Find(collection, call));
    CollectionStats stats;
    COVE_ASSIGN_OR_RETURN(stats.row_count, c->PartitionRowCount(partition));
    return stats;
  }

  absl::Status CreateIndex(const std::string& collection,
                           const IndexSpec& index,
                           const CallOptions& call) override {
    absl::ReaderMutexLock ops(&op_mu_);
    COVE_ASSIGN_OR_RETURN(auto c, Find(collection, call));
    return CreateIndexIn(*c, index);
  }

  absl::StatusOr<std::vector<IndexDescription>> DescribeIndexes(
      const std::string& collection, const CallOptions& call) override {
    absl::MutexLock lock(&mu_);
    COVE_ASSIGN_OR_RETURN(auto db, Db(call));
    COVE_ASSIGN_OR_RETURN(auto c, Resolve(*db, collection));
    std::vector<IndexDescription> indexes = DescribeIndexesOf(*c);
    auto settings = db->settings.find(c->name());
    if (settings != db->settings.end()) {
      for (IndexDescription& d : indexes) {
        auto props = settings->second.index_properties.find(d.index_name);
        if (props != settings->second.index_properties.end()) {
          d.properties = props->second;
        }
      }
    }
    return indexes;
  }

  absl::Status AlterIndexProperties(
      const std::string& collection, const std::string& index_name,
      const std::map<std::string, std::string>& set,
      const std::vector<std::string>& remove,
      const CallOptions& call) override {
    for (const auto& [k, v] : set) {
      if (k != "mmap.enabled") {
        return absl::InvalidArgumentError(
            absl::StrCat("alter index: property '", internal::ValidUtf8(k),
                         "' is not an index property (expected mmap.enabled)"));
      }
      const std::string lower = absl::AsciiStrToLower(v);
      if (lower != "true" && lower != "false") {
        return absl::InvalidArgumentError(absl::StrCat(
            "alter index: mmap.enabled: expected true or false (got '",
            internal::ValidUtf8(v), "')"));
      }
    }
    absl::ReaderMutexLock ops(&op_mu_);
    absl::MutexLock lock(&mu_);
    COVE_ASSIGN_OR_RETURN(auto db, Db(call));
    COVE_ASSIGN_OR_RETURN(auto c, Resolve(*db, collection));
    bool found = false;
    for (const engine::IndexStatus& d : c->DescribeIndexes()) {
      found = found || d.def.index_name == index_name;
    }
    if (!found) {
      return absl::NotFoundError(
          absl::StrCat("index '", internal::ValidUtf8(index_name),
                       "' not found in collection '", c->name(), "'"));
    }
    const std::string real_name = c->name();
    CollectionSettings settings = db->settings[real_name];
    auto& props = settings.index_properties[index_name];
    for (const auto& [k, v] : set) props[k] = v;
    for (const std::string& k : remove) props.erase(k);
    if (props.empty()) settings.index_properties.erase(index_name);
    internal::ByteWriter w;
    w.U8(static_cast<uint8_t>(engine::RecordType::kAlterCollection));
    w.Str(DbName(call));
    w.Str(real_name);
    EncodeSettings(settings, &w);
    COVE_RETURN_IF_ERROR(LogLocked(w.Take()));
    db->settings[real_name] = std::move(settings);
    return absl::OkStatus();
  }

  absl::Status DropIndex(const std::string& collection,
                         const std::string& index_name,
                         const CallOptions& call) override {
    absl::ReaderMutexLock ops(&op_mu_);
    COVE_ASSIGN_OR_RETURN(auto c, Find(collection, call));
    absl::Status s = c->DropIndex(index_name);
    if (absl::IsNotFound(s)) return absl::OkStatus();  // as Milvus
    COVE_RETURN_IF_ERROR(s);
    // The index's properties go with it.
    absl::MutexLock lock(&mu_);
    auto db = Db(call);
    if (!db.ok()) return absl::OkStatus();
    auto settings = (*db)->settings.find(c->name());
    if (settings == (*db)->settings.end() ||
        settings->second.index_properties.count(index_name) == 0) {
      return absl::OkStatus();
    }
    CollectionSettings updated = settings->second;
    updated.index_properties.erase(index_name);
    internal::ByteWriter w;
    w.U8(static_cast<uint8_t>(engine::RecordType::kAlterCollection));
    w.Str(DbName(call));
    w.Str(c->name());
    EncodeSettings(updated, &w);
    COVE_RETURN_IF_ERROR(LogLocked(w.Take()));
    settings->second = std::move(updated);
    return absl::OkStatus();
  }

  // The collection's schema with the field limits AlterCollectionField set;
  // nullopt when none is set.
  std::optional<engine::Schema> FieldLimits(const engine::Collection& c,
                                            const CallOptions& call) {
    absl::MutexLock lock(&mu_);
    auto db = Db(call);
    if (!db.ok()) return std::nullopt;
    auto it = (*db)->settings.find(c.name());
    if (it == (*db)->settings.end() || it->second.field_properties.empty()) {
      return std::nullopt;
    }
    engine::Schema schema = c.schema();
    ApplyFieldLimits(it->second.field_properties, &schema);
    return schema;
  }

  // --- data ----------------------------------------------------------------

  absl::StatusOr<MutationResult> Insert(const InsertRequest& request,
                                        const CallOptions& call) override {
    absl::StatusOr<MutationResult> result;
    {
      absl::ReaderMutexLock ops(&op_mu_);
      COVE_ASSIGN_OR_RETURN(auto c, Find(request.collection_name, call));
      if (!request.partition_name.empty()) {
        COVE_RETURN_IF_ERROR(NoManualPartitions(*c, call, "insert"));
      }
      std::optional<engine::Schema> limits = FieldLimits(*c, call);
      result = InsertInto(*c, request, /*upsert=*/false,
                          limits.has_value() ? &*limits : nullptr);
    }
    StartSealer();
    MaybeCheckpoint();
    return result;
  }

  absl::StatusOr<MutationResult> Upsert(const InsertRequest& request,
                                        const CallOptions& call) override {
    absl::StatusOr<MutationResult> result;
    {
      absl::ReaderMutexLock ops(&op_mu_);
      COVE_ASSIGN_OR_RETURN(auto c, Find(request.collection_name, call));
      if (!request.partition_name.empty()) {
        COVE_RETURN_IF_ERROR(NoManualPartitions(*c, call, "upsert"));
      }
      std::optional<engine::Schema> limits = FieldLimits(*c, call);
      result = InsertInto(*c, request, /*upsert=*/true,
                          limits.has_value() ? &*limits : nullptr);
    }
    StartSealer();
    MaybeCheckpoint();
    return result;
  }

  absl::StatusOr<MutationResult> Delete(const DeleteRequest& request,
                                        const CallOptions& call) override {
    absl::StatusOr<MutationResult> result;
    {
      absl::ReaderMutexLock ops(&op_mu_);
      COVE_ASSIGN_OR_RETURN(auto c, Find(request.collection_name, call));
      if (!request.partition_name.empty()) {
        COVE_RETURN_IF_ERROR(NoManualPartitions(*c, call, "delete"));
      }
      result = DeleteFrom(*c, request);
    }
    MaybeCheckpoint();
    return result;
  }

  absl::StatusOr<SearchResults> Search(const SearchRequest& request,
                                       const CallOptions& call) override {
    COVE_ASSIGN_OR_RETURN(auto c, Find(request.collection_name, call));
    if (!request.partition_names.empty()) {
      COVE_RETURN_IF_ERROR(NoManualPartitions(*c, call, "search"));
    }
    COVE_ASSIGN_OR_RETURN(auto pinned, Pinned(request.session_id, c.get()));
    SearchRequest gated = request;
    COVE_RETURN_IF_ERROR(LoadedFieldsGate(
        *c, call, "search", &gated.output_fields, request.filter,
        request.filter_params, {request.anns_field, request.group_by_field}));
    return SearchIn(*c, gated, pinned);
  }

  absl::StatusOr<SearchResults> HybridSearch(const HybridSearchRequest& request,
                                             const CallOptions& call) override {
    COVE_ASSIGN_OR_RETURN(auto c, Find(request.collection_name, call));
    if (!request.partition_names.empty()) {
      COVE_RETURN_IF_ERROR(NoManualPartitions(*c, call, "search"));
    }
    HybridSearchRequest gated = request;
    COVE_RETURN_IF_ERROR(LoadedFieldsGate(*c, call, "hybrid search",
                                          &gated.output_fields, "", {}, {}));
    for (const SearchRequest& sub : request.requests) {
      std::vector<std::string> none;
      COVE_RETURN_IF_ERROR(LoadedFieldsGate(
          *c, call, "hybrid search", &none, sub.filter, sub.filter_params,
          {sub.anns_field, sub.group_by_field}));
    }
    return HybridSearchIn(*c, gated);
  }

  absl::StatusOr<std::vector<Row>> Query(const QueryRequest& request,
                                         const CallOptions& call) override {
    COVE_ASSIGN_OR_RETURN(auto c, Find(request.collection_name, call));
    if (!request.partition_names.empty()) {
      COVE_RETURN_IF_ERROR(NoManualPartitions(*c, call, "query"));
    }
    COVE_ASSIGN_OR_RETURN(auto pinned, Pinned(request.session_id, c.get()));
    QueryRequest gated = request;
    COVE_RETURN_IF_ERROR(LoadedFieldsGate(*c, call, "query",
                                          &gated.output_fields, request.filter,
                                          request.filter_params, {}));
    return QueryIn(*c, gated, pinned);
  }

  absl::StatusOr<std::string> OpenReadSession(
      const std::string& collection, const CallOptions& call) override {
    COVE_ASSIGN_OR_RETURN(auto c, Find(collection, call));
    return sessions_.Open(std::move(c));
  }

  absl::Status CloseReadSession(const std::string& collection,
                                const std::string& session_id,
                                const CallOptions& call) override {
    // The collection is not needed to find the session; it may even be gone.
    return sessions_.Close(session_id);
  }

  absl::Status Flush(const std::string& collection,
                     const CallOptions& call) override {
    COVE_ASSIGN_OR_RETURN(auto c, Find(collection, call));
    // Writes are durable when acknowledged; Flush also seals the growing
    // segment, waits for the collection's background index builds (so that
    // every row is then searched through its index) and folds the log (and
    // the built indexes) into a snapshot, so that reopening is fast.
    c->Seal();
    c->WaitForIndexBuilds();
    return Checkpoint();
  }

  absl::Status Compact(const std::string& collection,
                       const CallOptions& call) override {
    COVE_ASSIGN_OR_RETURN(auto c, Find(collection, call));
    if (options_.read_only) {
      return absl::FailedPreconditionError(
          absl::StrCat("compact collection '", collection,
                       "': the data directory is open read-only"));
    }
    // Compaction changes no logical content: nothing is logged.
    return c->Compact();
  }

 private:
  static constexpr size_t kMaxDatabases = 64;

  // What the backend keeps of a collection besides the engine's state.
  struct CollectionSettings {
    ConsistencyLevel consistency_level = ConsistencyLevel::kStrong;
    std::map<std::string, std::string> properties;
    // By index name.
    std::map<std::string, std::map<std::string, std::string>> index_properties;
    // Milvus' partition key field (and its number of partitions) and
    // clustering key field; empty: none.
    std::string partition_key;
    int64_t num_partitions = 0;
    // How a partition key collection keeps its rows: kLayoutOnePartition
    // (collections created before partition key pruning: every row in
    // "_default", filters read all of them) or kLayoutHashed (rows hashed by
    // their key into partitions "_default_0" .. "_default_{n-1}", filters
    // that pin the key read only theirs; engine::Collection::
    // SetPartitionKey).
    int partition_layout = kLayoutOnePartition;
    std::string clustering_key;
    // Field properties set at creation or by AlterCollectionField, by field
    // name: "max_length", "max_capacity" (limits for later writes, over the
    // schema's) and "mmap.enabled".
    std::map<std::string, std::map<std::string, std::string>> field_properties;
    // Partial load (LoadCollection with load_fields): the loaded fields
    // while the collection is loaded so; empty: every field.
    std::vector<std::string> load_fields;
    bool skip_load_dynamic_field = false;
  };

  static constexpr int kLayoutOnePartition = 0;
  static constexpr int kLayoutHashed = 1;

  // The level byte of encoded settings carries this bit when the key fields
  // follow (records of older versions never have it).
  static constexpr uint8_t kSettingsHaveKeys = 0x80;
  // ... and this bit when the partition layout byte follows the key fields
  // (records of versions before partition key pruning never have it: their
  // layout is kLayoutOnePartition).
  static constexpr uint8_t kSettingsHaveLayout = 0x10;
  // ... and this bit when field properties follow the key fields.
  static constexpr uint8_t kSettingsHaveFieldProperties = 0x40;
  // ... and this bit when the load field list follows.
  static constexpr uint8_t kSettingsHaveLoadFields = 0x20;

  struct Database {
    std::map<std::string, std::shared_ptr<engine::Collection>> collections;
    std::map<std::string, std::string> aliases;  // alias -> collection
    int64_t id = 0;          // stable for the life of the database
    int64_t created_ms = 0;  // Unix milliseconds; 0: unknown (old stores)
    std::map<std::string, std::string> properties;
    std::map<std::string, CollectionSettings> settings;  // by collection
  };

  // Logs a collection's new settings (a kAlterCollection record) and keeps
  // them.
  absl::Status StoreSettingsLocked(Database* db, const std::string& db_name,
                                   const std::string& collection,
                                   CollectionSettings settings)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  // The property that bounds the collections of a database (as in Milvus).
  static constexpr char kMaxCollectionsProperty[] = "database.max.collections";

  static int64_t NowMs() { return absl::ToUnixMillis(absl::Now()); }

  // Gives a database made without an id (the default one, old stores) one.
  void InitDatabaseLocked(Database& db) {
    if (db.id == 0) db.id = NextDatabaseIdLocked();
    if (db.created_ms == 0 && store_ == nullptr) db.created_ms = NowMs();
  }

  int64_t NextDatabaseIdLocked() const {
    int64_t max_id = 0;
    for (const auto& [name, db] : databases_) max_id = std::max(max_id, db.id);
    return max_id + 1;
  }

  static void EncodeProperties(const std::map<std::string, std::string>& props,
                               internal::ByteWriter* w) {
    w->Varint(props.size());
    for (const auto& [k, v] : props) {
      w->Str(k);
      w->Str(v);
    }
  }

  static bool DecodeProperties(internal::ByteReader* r,
                               std::map<std::string, std::string>* props) {
    uint64_t n = 0;
    if (!r->Varint(&n) || n > r->remaining()) return false;
    props->clear();
    for (uint64_t i = 0; i < n; ++i) {
      std::string k, v;
      if (!r->Str(&k) || !r->Str(&v)) return false;
      (*props)[std::move(k)] = std::move(v);
    }
    return true;
  }

  static void EncodeSettings(const CollectionSettings& settings,
                             internal::ByteWriter* w) {
    const bool keys =
        !settings.partition_key.empty() || !settings.clustering_key.empty();
    const bool fields = !settings.field_properties.empty();
    const bool load = !settings.load_fields.empty();
    const bool layout =
        keys && settings.partition_layout != kLayoutOnePartition;
    w->U8(static_cast<uint8_t>(settings.consistency_level) |
          (keys ? kSettingsHaveKeys : 0) | (layout ? kSettingsHaveLayout : 0) |
          (fields ? kSettingsHaveFieldProperties : 0) |
          (load ? kSettingsHaveLoadFields : 0));
    EncodeProperties(settings.properties, w);
    w->Varint(settings.index_properties.size());
    for (const auto& [index, props] : settings.index_properties) {
      w->Str(index);
      EncodeProperties(props, w);
    }
    if (keys) {
      w->Str(settings.partition_key);
      w->Varint(static_cast<uint64_t>(settings.num_partitions));
      w->Str(settings.clustering_key);
      if (layout) w->U8(static_cast<uint8_t>(settings.partition_layout));
    }
    if (fields) {
      w->Varint(settings.field_properties.size());
      for (const auto& [field, props] : settings.field_properties) {
        w->Str(field);
        EncodeProperties(props, w);
      }
    }
    if (load) {
      w->Varint(settings.load_fields.size());
      for (const std::string& f : settings.load_fields) w->Str(f);
      w->U8(settings.skip_load_dynamic_field ? 1 : 0);
    }
  }

  static bool DecodeSettings(internal::ByteReader* r,
                             CollectionSettings* settings) {
    uint8_t level = 0;
    if (!r->U8(&level)) return false;
    const bool keys = (level & kSettingsHaveKeys) != 0;
    const bool fields = (level & kSettingsHaveFieldProperties) != 0;
    const bool load = (level & kSettingsHaveLoadFields) != 0;
    const bool layout = (level & kSettingsHaveLayout) != 0;
    level &= static_cast<uint8_t>(
        ~(kSettingsHaveKeys | kSettingsHaveFieldProperties |
          kSettingsHaveLoadFields | kSettingsHaveLayout));
    if (layout && !keys) return false;
    if (level > static_cast<uint8_t>(ConsistencyLevel::kCustomized)) {
      return false;
    }
    settings->consistency_level = static_cast<ConsistencyLevel>(level);
    uint64_t n = 0;
    if (!DecodeProperties(r, &settings->properties) || !r->Varint(&n) ||
        n > r->remaining()) {
      return false;
    }
    for (uint64_t i = 0; i < n; ++i) {
      std::string index;
      if (!r->Str(&index) ||
          !DecodeProperties(r, &settings->index_properties[index])) {
        return false;
      }
    }
    if (keys) {
      uint64_t parts = 0;
      if (!r->Str(&settings->partition_key) || !r->Varint(&parts) ||
          parts > 1024 || !r->Str(&settings->clustering_key)) {
        return false;
      }
      settings->num_partitions = static_cast<int64_t>(parts);
      uint8_t how = kLayoutOnePartition;
      if (layout && (!r->U8(&how) || how != kLayoutHashed)) return false;
      settings->partition_layout = how;
    }
    if (fields) {
      uint64_t count = 0;
      if (!r->Varint(&count) || count > r->remaining()) return false;
      for (uint64_t i = 0; i < count; ++i) {
        std::string field;
        if (!r->Str(&field) ||
            !DecodeProperties(r, &settings->field_properties[field])) {
          return false;
        }
      }
    }
    if (load) {
      uint64_t count = 0;
      uint8_t skip = 0;
      if (!r->Varint(&count) || count > r->remaining()) return false;
      settings->load_fields.resize(count);
      for (std::string& f : settings->load_fields) {
        if (!r->Str(&f)) return false;
      }
      if (!r->U8(&skip) || skip > 1) return false;
      settings->skip_load_dynamic_field = skip == 1;
    }
    return true;
  }

  // Milvus' partition and clustering keys, checked as Milvus does; fills
  // the settings' key fields.
  static absl::Status KeySettings(const CollectionSchema& schema,
                                  CollectionSettings* settings) {
    for (const FieldSchema& f : schema.fields) {
      const std::string name = internal::ValidUtf8(f.name);
      if (f.is_partition_key) {
        if (!settings->partition_key.empty()) {
          return absl::InvalidArgumentError(
              absl::StrCat("field '", name,
                           "': is_partition_key: the collection has a "
                           "partition key already ('",
                           settings->partition_key, "'; expected one)"));
        }
        if (f.type != DataType::kInt64 && f.type != DataType::kVarChar) {
          return absl::InvalidArgumentError(
              absl::StrCat("field '", name,
                           "': is_partition_key: expected an INT64 or "
                           "VARCHAR field (got ",
                           DataTypeName(f.type), ")"));
        }
        if (f.is_primary_key || f.nullable) {
          return absl::InvalidArgumentError(
              absl::StrCat("field '", name,
                           "': is_partition_key: the partition key cannot "
                           "be the primary key or nullable"));
        }
        settings->partition_key = f.name;
      }
      if (f.is_clustering_key) {
        if (!settings->clustering_key.empty()) {
          return absl::InvalidArgumentError(
              absl::StrCat("field '", name,
                           "': is_clustering_key: the collection has a "
                           "clustering key already ('",
                           settings->clustering_key, "'; expected one)"));
        }
        switch (f.type) {
          case DataType::kInt8:
          case DataType::kInt16:
          case DataType::kInt32:
          case DataType::kInt64:
          case DataType::kFloat:
          case DataType::kDouble:
          case DataType::kVarChar:
          case DataType::kFloatVector:
            break;
          default:
            return absl::InvalidArgumentError(absl::StrCat(
                "field '", name, "': is_clustering_key: cannot cluster by a ",
                DataTypeName(f.type), " field"));
        }
        settings->clustering_key = f.name;
      }
    }
    if (settings->partition_key.empty()) {
      if (schema.num_partitions != 0) {
        return absl::InvalidArgumentError(absl::StrCat(
            "num_partitions: only with a partition key field (got ",
            schema.num_partitions, ")"));
      }
      return absl::OkStatus();
    }
    if (schema.num_partitions < 0 || schema.num_partitions > 1024) {
      return absl::InvalidArgumentError(
          absl::StrCat("num_partitions: expected 1 to 1024 (got ",
                       schema.num_partitions, ")"));
    }
    settings->num_partitions =
        schema.num_partitions == 0 ? 16 : schema.num_partitions;
    settings->partition_layout = kLayoutHashed;
    return absl::OkStatus();
  }

  // Partition key collections with the hashed layout: the engine spreads
  // their rows over "_default_0" .. "_default_{n-1}" by the key and prunes
  // reads by it (called when the collection is created or restored).
  static absl::Status ApplyPartitionLayout(engine::Collection& c,
                                           const CollectionSettings& s) {
    if (s.partition_key.empty() || s.partition_layout != kLayoutHashed) {
      return absl::OkStatus();
    }
    int column = -1;
    const engine::Schema& schema = c.schema();
    for (size_t i = 0; i < schema.fields.size(); ++i) {
      if (schema.fields[i].name == s.partition_key) {
        column = static_cast<int>(i);
      }
    }
    std::vector<std::string> names;
    for (int64_t i = 0; i < s.num_partitions; ++i) {
      names.push_back(absl::StrCat(engine::kDefaultPartition, "_", i));
    }
    return c.SetPartitionKey(column, names);
  }

  // Partition-key collections spread rows by the key: partitions are not
  // named by hand, as in Milvus.
  absl::Status NoManualPartitions(const engine::Collection& c,
                                  const CallOptions& call, const char* what) {
    absl::MutexLock lock(&mu_);
    COVE_ASSIGN_OR_RETURN(auto db, Db(call));
    auto it = db->settings.find(c.name());
    if (it == db->settings.end() || it->second.partition_key.empty()) {
      return absl::OkStatus();
    }
    // The collection's mode forbids it: FailedPrecondition, which Milvus
    // clients see as UnexpectedError, as Milvus answers; a query naming
    // partitions is an IllegalArgument in Milvus (the Node SDK's own specs
    // check both), so it stays InvalidArgument.
    const std::string_view verb(what);
    const std::string message = absl::StrCat(
        what, ": collection '", c.name(), "' has a partition key ('",
        it->second.partition_key,
        "'): partitions are not named by hand in partition key mode (as in "
        "Milvus: ",
        verb == "create partition"     ? "disable create partition"
        : verb == "drop partition"     ? "disable drop partition"
        : verb == "load partitions"    ? "disable load partitions"
        : verb == "release partitions" ? "disable release partitions"
                                       : "not support manually specifying the "
                                         "partition names",
        " if partition key mode is used)");
    if (verb == "query") {
      return absl::InvalidArgumentError(message);
    }
    return absl::FailedPreconditionError(message);
  }

  absl::Status MoveCollection(const std::string& old_name,
                              const std::string& new_name,
                              const std::string& new_db_name,
                              const CallOptions& call);
  // Moves collection `old_name` of `from` to `to` as `new_name` with its
  // settings. Requires mu_ and the collection to exist in `from`.
  static void MoveLocked(Database& from, const std::string& old_name,
                         Database& to, const std::string& new_name);

  static void MoveSettings(Database& db, const std::string& from,
                           const std::string& to) {
    auto it = db.settings.find(from);
    if (it == db.settings.end()) return;
    CollectionSettings moved = std::move(it->second);
    db.settings.erase(it);
    db.settings[to] = std::move(moved);
  }

  // Values of the properties whose meaning Cove applies must parse.
  static absl::Status ValidateDatabaseProperties(
      const std::map<std::string, std::string>& props) {
    for (const auto& [k, v] : props) {
      if (k.empty()) {
        return absl::InvalidArgumentError(
            "database properties: a key is empty");
      }
    }
    auto max = props.find(kMaxCollectionsProperty);
    int64_t n = 0;
    if (max != props.end() && (!absl::SimpleAtoi(max->second, &n) || n < 0)) {
      return absl::InvalidArgumentError(absl::StrCat(
          "database property '", kMaxCollectionsProperty,
          "': expected a non-negative integer (got '", max->second, "')"));
    }
    return absl::OkStatus();
  }

  static absl::Status ValidateCollectionProperties(
      const std::map<std::string, std::string>& props) {
    for (const auto& [k, v] : props) {
      if (k.empty()) {
        return absl::InvalidArgumentError(
            "collection properties: a key is empty");
      }
    }
    auto ttl = props.find("collection.ttl.seconds");
    int64_t n = 0;
    if (ttl != props.end() && (!absl::SimpleAtoi(ttl->second, &n) || n < 0)) {
      return absl::InvalidArgumentError(absl::StrCat(
          "collection property 'collection.ttl.seconds': expected a "
          "non-negative integer (got '",
          ttl->second, "')"));
    }
    return absl::OkStatus();
  }

  // "database.max.collections" bounds the collections of a database.
  static absl::Status CheckCollectionLimit(const std::string& db_name,
                                           const Database& db) {
    auto max = db.properties.find(kMaxCollectionsProperty);
    int64_t n = 0;
    if (max == db.properties.end() || !absl::SimpleAtoi(max->second, &n)) {
      return absl::OkStatus();
    }
    if (static_cast<int64_t>(db.collections.size()) >= n) {
      return absl::ResourceExhaustedError(absl::StrCat(
          "create collection: exceeded the limit number of collections of "
          "database '",
          db_name, "' (", kMaxCollectionsProperty, " = ", n, ")"));
    }
    return absl::OkStatus();
  }

  static engine::ReadSessionOptions SessionOptions(
      const EmbeddedOptions& options) {
    engine::ReadSessionOptions out;
    out.idle_timeout = absl::FromChrono(options.read_session_idle_timeout);
    return out;
  }

  // The state a read works on: the session's pinned one, or null (the
  // current state) without a session. Sweeps expired sessions either way.
  absl::StatusOr<std::shared_ptr<const engine::CollectionState>> Pinned(
      const std::string& session_id, const engine::Collection* collection) {
    if (session_id.empty()) {
      sessions_.Sweep();
      return std::shared_ptr<const engine::CollectionState>();
    }
    COVE_ASSIGN_OR_RETURN(auto pinned, sessions_.Use(session_id, collection));
    return std::move(pinned.state);
  }

  static absl::Status NotFound(const std::string& name) {
    return absl::NotFoundError(
        absl::StrCat("collection '", internal::ValidUtf8(name), "' not found"));
  }

  static absl::Status DatabaseNotFound(const std::string& name) {
    return absl::NotFoundError(
        absl::StrCat("database '", internal::ValidUtf8(name), "' not found"));
  }

  static std::string DbName(const CallOptions& call) {
    return call.db_name.empty() ? kDefaultDatabase : call.db_name;
  }

  static std::vector<std::string> AliasesOf(const Database& db,
                                            const std::string& collection) {
    std::vector<std::string> out;
    for (const auto& [alias, target] : db.aliases) {
      if (target == collection) out.push_back(alias);
    }
    return out;
  }

  // Requires mu_.
  absl::StatusOr<Database*> Db(const CallOptions& call) {
    std::string name = DbName(call);
    auto it = databases_.find(name);
    if (it == databases_.end()) return DatabaseNotFound(name);
    return &it->second;
  }

  // A collection by name or alias. Requires mu_.
  static absl::StatusOr<std::shared_ptr<engine::Collection>> Resolve(
      const Database& db, const std::string& name) {
    auto it = db.collections.find(name);
    if (it != db.collections.end()) return it->second;
    auto alias = db.aliases.find(name);
    if (alias != db.aliases.end()) {
      auto target = db.collections.find(alias->second);
      if (target != db.collections.end()) return target->second;
    }
    return NotFound(name);
  }

  absl::StatusOr<std::shared_ptr<engine::Collection>> Find(
      const std::string& name, const CallOptions& call) {
    absl::MutexLock lock(&mu_);
    COVE_ASSIGN_OR_RETURN(auto db, Db(call));
    return Resolve(*db, name);
  }

  // 2: collections in segments (engine::kCollectionFormatV2). Version 1
  // snapshots are migrated when loaded.
  // 3: plus database ids, creation times and properties, and collection
  // settings (consistency level, properties).
  // 4: collections in engine::kCollectionFormatV3 (scalar index specs).
  static constexpr uint32_t kSnapshotVersion = 4;

  engine::CollectionContext Context() const {
    engine::CollectionContext context;
    context.segments.seal_rows =
        static_cast<size_t>(options_.segment_seal_rows);
    context.segments.compact_deleted_ratio = options_.compaction_deleted_ratio;
    context.pool = pool_;
    context.spill_dir = spill_dir_;
    context.search_threads = options_.search_threads;
    return context;
  }

  std::vector<std::shared_ptr<engine::Collection>> AllCollections() {
    absl::MutexLock lock(&mu_);
    std::vector<std::shared_ptr<engine::Collection>> out;
    for (const auto& [id, c] : by_id_) out.push_back(c);
    return out;
  }
  /// Log size that triggers a checkpoint after a write.
  static constexpr uint64_t kCheckpointLogBytes = uint64_t{256} << 20;

  void AttachLogger(engine::Collection& c) {
    if (store_ == nullptr) return;
    engine::Store* store = store_.get();
    c.set_logger([store](std::string_view record,
                         const std::function<void()>& while_syncing) {
      return store->Append(record, while_syncing);
    });
  }

  absl::Status LogAlias(engine::RecordType type, const CallOptions& call,
                        const std::string& collection,
                        const std::string& alias) {
    internal::ByteWriter w;
    w.U8(static_cast<uint8_t>(type));
    w.Str(DbName(call));
    w.Str(collection);
    w.Str(alias);
    return LogLocked(w.Take());
  }

  // Logs a database-level record (requires mu_). Without a store: OK.
  absl::Status LogLocked(const std::string& record) {
    return store_ == nullptr ? absl::OkStatus() : store_->Append(record);
  }

  // Checkpoints when the log has grown large (called after writes, with no
  // lock held).
  void MaybeCheckpoint() {
    if (store_ == nullptr || store_->read_only() ||
        store_->log_size() < kCheckpointLogBytes) {
      return;
    }
    absl::Status s = Checkpoint();
    if (!s.ok()) {
      std::fprintf(stderr,
                   "cove: checkpoint failed (the log keeps growing): %s\n",
                   std::string(s.message()).c_str());
    }
  }

  // Reads a snapshot during recovery (requires mu_; embedded_recovery.cc).
  absl::Status LoadSnapshotLocked(std::string_view bytes);

  // Applies one record during recovery (requires mu_). Records that no
  // longer apply (a write racing a drop) are skipped, as they were live.
  // (embedded_recovery.cc)
  absl::Status ReplayLocked(std::string_view record);

  // A new collection with its indexes (loaded when it has any).
  static absl::StatusOr<std::shared_ptr<engine::Collection>> BuildCollection(
      const std::string& name, const engine::Schema& schema,
      const std::vector<engine::IndexDef>& indexes, int64_t id,
      engine::CollectionContext context) {
    COVE_ASSIGN_OR_RETURN(
        auto created,
        engine::Collection::Create(name, schema, id, std::move(context)));
    std::shared_ptr<engine::Collection> collection = std::move(created);
    for (const engine::IndexDef& def : indexes) {
      COVE_RETURN_IF_ERROR(collection->CreateIndex(def));
    }
    // Like Milvus: a collection created with indexes on all its vector
    // fields is loaded at once.
    if (!indexes.empty()) (void)collection->Load();
    return collection;
  }

  // Idle sealing (EmbeddedOptions::segment_seal_idle): a thread, started by
  // the first write (a process that forks before writing has none to lose),
  // seals growing segments that have had no write for the idle time, so
  // that their rows get indexed.
  void StartSealer() {
    if (options_.segment_seal_idle.count() <= 0 || options_.read_only) return;
    absl::MutexLock lock(&sealer_mu_);
    if (sealer_.joinable() || sealer_stop_) return;
    sealer_ = std::thread([this] { SealerLoop(); });
  }

  void StopSealer() {
    std::thread sealer;
    {
      absl::MutexLock lock(&sealer_mu_);
      sealer_stop_ = true;
      sealer.swap(sealer_);
    }
    if (sealer.joinable()) sealer.join();
  }

  void SealerLoop() {
    const absl::Duration idle = absl::FromChrono(options_.segment_seal_idle);
    const absl::Duration period = std::min(idle, absl::Seconds(1)) / 2;
    absl::MutexLock lock(&sealer_mu_);
    while (
        !sealer_mu_.AwaitWithTimeout(absl::Condition(&sealer_stop_), period)) {
      sealer_mu_.Unlock();
      const int64_t now_us =
          std::chrono::duration_cast<std::chrono::microseconds>(
              std::chrono::steady_clock::now().time_since_epoch())
              .count();
      for (const auto& c : AllCollections()) {
        if (c->HasUnindexedGrowingRows() &&
            now_us - c->last_write_micros() >=
                absl::ToInt64Microseconds(idle)) {
          c->Seal();
        }
      }
      sealer_mu_.Lock();
    }
  }

  const EmbeddedOptions options_;
  // Background index builds and compactions of every collection.
  const std::shared_ptr<engine::BuildPool> pool_;
  // Iterator snapshots (they hold collections, not locks).
  engine::ReadSessions sessions_;
  // Held shared by every write from its log record to its application, and
  // exclusively by checkpoints, so a snapshot holds every logged write.
  absl::Mutex op_mu_;
  absl::Mutex mu_;
  std::map<std::string, Database> databases_;
  // Every live collection by id (replay addresses collections by id).
  std::map<int64_t, std::shared_ptr<engine::Collection>> by_id_;
  std::unique_ptr<engine::Store> store_;
  // Set once before the store opens (see OpenStore); empty for :memory:
  // and encrypted stores.
  std::string spill_dir_;
  // Set by CancelBackgroundWork(): collections created or loaded later
  // start cancelled too.
  bool cancelled_ = false;
  absl::Mutex sealer_mu_;
  bool sealer_stop_ ABSL_GUARDED_BY(sealer_mu_) = false;
  std::thread sealer_ ABSL_GUARDED_BY(sealer_mu_);
};

}  // namespace cove::internal

#endif  // COVE_SRC_EMBEDDED_EMBEDDED_CONNECTION_IMPL_H_
