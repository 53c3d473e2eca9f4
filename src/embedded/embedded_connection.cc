// The embedded backend: validates requests, finds the collection and calls
// the engine. No stub, no retry.
#include "embedded/embedded_connection.h"

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
#include "embedded/requests.h"
#include "engine/collection.h"
#include "engine/read_sessions.h"
#include "engine/storage/store.h"

namespace cove::internal {
namespace {

constexpr char kDefaultDatabase[] = "default";

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
    auto store = engine::Store::Open(
        dir, std::move(store_options),
        [this](std::string_view bytes) { return LoadSnapshotLocked(bytes); },
        [this](std::string_view record) { return ReplayLocked(record); });
    if (!store.ok()) return store.status();
    store_ = *std::move(store);
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
                              const CallOptions& call) override {
    return CreateDatabase(name, {}, call);
  }

  absl::Status CreateDatabase(
      const std::string& name,
      const std::map<std::string, std::string>& properties,
      const CallOptions& call) override {
    if (absl::Status s = engine::ValidateName("database name", name); !s.ok()) {
      return s;
    }
    if (absl::Status s = ValidateDatabaseProperties(properties); !s.ok()) {
      return s;
    }
    absl::ReaderMutexLock ops(&op_mu_);
    absl::MutexLock lock(&mu_);
    if (databases_.count(name) != 0) {
      return absl::AlreadyExistsError(
          absl::StrCat("database '", name, "' already exists"));
    }
    if (databases_.size() >= kMaxDatabases) {
      return absl::ResourceExhaustedError(
          absl::StrCat("database '", name, "': the maximum of ", kMaxDatabases,
                       " databases is reached"));
    }
    Database created;
    created.id = NextDatabaseIdLocked();
    created.created_ms = NowMs();
    created.properties = properties;
    internal::ByteWriter w;
    w.U8(static_cast<uint8_t>(engine::RecordType::kCreateDatabase));
    w.Str(name);
    w.I64(created.id);
    w.I64(created.created_ms);
    EncodeProperties(created.properties, &w);
    if (absl::Status s = LogLocked(w.Take()); !s.ok()) return s;
    databases_[name] = std::move(created);
    return absl::OkStatus();
  }

  absl::StatusOr<DatabaseDescription> DescribeDatabase(
      const std::string& name, const CallOptions& call) override {
    absl::MutexLock lock(&mu_);
    auto it = databases_.find(name);
    if (it == databases_.end()) return DatabaseNotFound(name);
    DatabaseDescription d;
    d.name = name;
    d.id = it->second.id;
    d.created_timestamp = it->second.created_ms;
    d.properties = it->second.properties;
    return d;
  }

  absl::Status AlterDatabaseProperties(
      const std::string& name, const std::map<std::string, std::string>& set,
      const std::vector<std::string>& remove,
      const CallOptions& call) override {
    if (absl::Status s = ValidateDatabaseProperties(set); !s.ok()) return s;
    absl::ReaderMutexLock ops(&op_mu_);
    absl::MutexLock lock(&mu_);
    auto it = databases_.find(name);
    if (it == databases_.end()) return DatabaseNotFound(name);
    std::map<std::string, std::string> properties = it->second.properties;
    for (const auto& [k, v] : set) properties[k] = v;
    for (const std::string& k : remove) properties.erase(k);
    internal::ByteWriter w;
    w.U8(static_cast<uint8_t>(engine::RecordType::kAlterDatabase));
    w.Str(name);
    EncodeProperties(properties, &w);
    if (absl::Status s = LogLocked(w.Take()); !s.ok()) return s;
    it->second.properties = std::move(properties);
    return absl::OkStatus();
  }

  absl::Status DropDatabase(const std::string& name,
                            const CallOptions& call) override {
    if (name == kDefaultDatabase) {
      return absl::InvalidArgumentError(
          "database 'default': the default database cannot be dropped");
    }
    absl::ReaderMutexLock ops(&op_mu_);
    absl::MutexLock lock(&mu_);
    auto it = databases_.find(name);
    // As Milvus: dropping what does not exist succeeds.
    if (it == databases_.end()) return absl::OkStatus();
    if (!it->second.collections.empty()) {
      return absl::FailedPreconditionError(absl::StrCat(
          "database '", name, "' still has ", it->second.collections.size(),
          " collection(s); drop them first"));
    }
    internal::ByteWriter w;
    w.U8(static_cast<uint8_t>(engine::RecordType::kDropDatabase));
    w.Str(name);
    if (absl::Status s = LogLocked(w.Take()); !s.ok()) return s;
    databases_.erase(it);
    return absl::OkStatus();
  }

  absl::StatusOr<std::vector<std::string>> ListDatabases(
      const CallOptions& call) override {
    absl::MutexLock lock(&mu_);
    std::vector<std::string> names;
    for (const auto& [name, db] : databases_) names.push_back(name);
    return names;
  }

  // --- collections -------------------------------------------------------

  absl::Status CreateCollection(const std::string& name,
                                const CollectionSchema& schema,
                                const std::vector<IndexSpec>& indexes,
                                const CallOptions& call) override {
    COVE_RETURN_IF_ERROR(ValidateCollectionProperties(schema.properties));
    const engine::Schema engine_schema = ToEngineSchema(schema);
    std::vector<engine::IndexDef> defs;
    for (const IndexSpec& spec : indexes) {
      COVE_ASSIGN_OR_RETURN(engine::IndexDef def, ToIndexDef(spec));
      defs.push_back(std::move(def));
    }
    COVE_ASSIGN_OR_RETURN(
        std::shared_ptr<engine::Collection> collection,
        BuildCollection(name, engine_schema, defs, /*id=*/0, Context()));
    absl::ReaderMutexLock ops(&op_mu_);
    absl::MutexLock lock(&mu_);
    auto db = Db(call);
    if (!db.ok()) return db.status();
    if ((*db)->collections.count(name) != 0 || (*db)->aliases.count(name)) {
      return absl::AlreadyExistsError(
          absl::StrCat("collection '", name, "' already exists"));
    }
    if (absl::Status s = CheckCollectionLimit(DbName(call), **db); !s.ok()) {
      return s;
    }
    CollectionSettings settings{schema.consistency_level, schema.properties};
    COVE_RETURN_IF_ERROR(KeySettings(schema, &settings));
    internal::ByteWriter w;
    w.U8(static_cast<uint8_t>(engine::RecordType::kCreateCollection));
    w.Str(DbName(call));
    w.Str(name);
    w.I64(collection->id());
    engine::EncodeSchema(engine_schema, &w);
    w.Varint(defs.size());
    for (const engine::IndexDef& def : defs) engine::EncodeIndexDef(def, &w);
    EncodeSettings(settings, &w);  // absent from records of older versions
    if (absl::Status s = LogLocked(w.Take()); !s.ok()) return s;
    AttachLogger(*collection);
    if (cancelled_) collection->CancelBackgroundWork();
    by_id_[collection->id()] = collection;
    (*db)->collections.emplace(name, std::move(collection));
    (*db)->settings[name] = std::move(settings);
    return absl::OkStatus();
  }

  absl::Status DropCollection(const std::string& name,
                              const CallOptions& call) override {
    absl::ReaderMutexLock ops(&op_mu_);
    absl::MutexLock lock(&mu_);
    auto db = Db(call);
    if (!db.ok()) return db.status();
    if ((*db)->aliases.count(name) != 0) {
      return absl::InvalidArgumentError(
          absl::StrCat("drop collection: '", name,
                       "' is an alias; drop the collection by its own name"));
    }
    auto it = (*db)->collections.find(name);
    if (it == (*db)->collections.end()) return absl::OkStatus();  // as Milvus
    std::vector<std::string> aliases = AliasesOf(**db, name);
    if (!aliases.empty()) {
      return absl::FailedPreconditionError(
          absl::StrCat("drop collection '", name, "': it still has aliases (",
                       absl::StrJoin(aliases, ", "), "); drop them first"));
    }
    internal::ByteWriter w;
    w.U8(static_cast<uint8_t>(engine::RecordType::kDropCollection));
    w.Str(DbName(call));
    w.Str(name);
    if (absl::Status s = LogLocked(w.Take()); !s.ok()) return s;
    it->second->set_logger(nullptr);
    sessions_.Forget(it->second.get());
    by_id_.erase(it->second->id());
    (*db)->collections.erase(it);
    (*db)->settings.erase(name);
    return absl::OkStatus();
  }

  absl::StatusOr<bool> HasCollection(const std::string& name,
                                     const CallOptions& call) override {
    absl::MutexLock lock(&mu_);
    auto db = Db(call);
    if (!db.ok()) return db.status();
    return (*db)->collections.count(name) != 0;
  }

  absl::StatusOr<std::vector<std::string>> ListCollections(
      const CallOptions& call) override {
    absl::MutexLock lock(&mu_);
    auto db = Db(call);
    if (!db.ok()) return db.status();
    std::vector<std::string> names;
    for (const auto& [name, c] : (*db)->collections) names.push_back(name);
    return names;
  }

  absl::StatusOr<CollectionDescription> DescribeCollection(
      const std::string& name, const CallOptions& call) override {
    absl::MutexLock lock(&mu_);
    auto db = Db(call);
    if (!db.ok()) return db.status();
    auto c = Resolve(**db, name);
    if (!c.ok()) return c.status();
    CollectionDescription d;
    d.name = (*c)->name();
    d.collection_id = (*c)->id();
    d.schema = FromEngineSchema((*c)->schema());
    d.aliases = AliasesOf(**db, d.name);
    d.partitions = (*c)->ListPartitions();
    d.created_timestamp = (*c)->created_timestamp();
    auto settings = (*db)->settings.find(d.name);
    if (settings != (*db)->settings.end()) {
      d.schema.consistency_level = settings->second.consistency_level;
      d.schema.properties = settings->second.properties;
      for (FieldSchema& f : d.schema.fields) {
        f.is_partition_key = f.name == settings->second.partition_key;
        f.is_clustering_key = f.name == settings->second.clustering_key;
      }
      if (!settings->second.partition_key.empty()) {
        d.schema.num_partitions = settings->second.num_partitions;
      }
    }
    return d;
  }

  absl::StatusOr<std::vector<SegmentDescription>> ListSegments(
      const std::string& name, const CallOptions& call) override {
    auto c = Find(name, call);
    if (!c.ok()) return c.status();
    std::vector<SegmentDescription> out;
    for (const engine::SegmentInfo& info : (*c)->Segments()) {
      SegmentDescription d;
      d.id = info.id;
      d.sealed = info.sealed;
      d.rows = info.rows;
      d.deleted = info.deleted;
      d.indexed = !info.indexed.empty() &&
                  std::all_of(info.indexed.begin(), info.indexed.end(),
                              [](bool b) { return b; });
      d.memory_bytes =
          static_cast<int64_t>(info.memory_bytes + info.mapped_vector_bytes);
      out.push_back(d);
    }
    return out;
  }

  absl::Status AlterCollectionProperties(
      const std::string& name, const std::map<std::string, std::string>& set,
      const std::vector<std::string>& remove,
      const CallOptions& call) override {
    if (absl::Status s = ValidateCollectionProperties(set); !s.ok()) return s;
    absl::ReaderMutexLock ops(&op_mu_);
    absl::MutexLock lock(&mu_);
    auto db = Db(call);
    if (!db.ok()) return db.status();
    auto c = Resolve(**db, name);
    if (!c.ok()) return c.status();
    const std::string real_name = (*c)->name();
    CollectionSettings settings = (*db)->settings[real_name];
    for (const auto& [k, v] : set) settings.properties[k] = v;
    for (const std::string& k : remove) settings.properties.erase(k);
    internal::ByteWriter w;
    w.U8(static_cast<uint8_t>(engine::RecordType::kAlterCollection));
    w.Str(DbName(call));
    w.Str(real_name);
    EncodeSettings(settings, &w);
    if (absl::Status s = LogLocked(w.Take()); !s.ok()) return s;
    (*db)->settings[real_name] = std::move(settings);
    return absl::OkStatus();
  }

  absl::Status RenameCollection(const std::string& old_name,
                                const std::string& new_name,
                                const CallOptions& call) override {
    if (absl::Status s = engine::ValidateName("collection name", new_name);
        !s.ok()) {
      return s;
    }
    absl::ReaderMutexLock ops(&op_mu_);
    absl::MutexLock lock(&mu_);
    auto db = Db(call);
    if (!db.ok()) return db.status();
    auto& collections = (*db)->collections;
    auto it = collections.find(old_name);
    if (it == collections.end()) return NotFound(old_name);
    if (collections.count(new_name) != 0 || (*db)->aliases.count(new_name)) {
      return absl::AlreadyExistsError(
          absl::StrCat("rename: collection '", new_name, "' already exists"));
    }
    internal::ByteWriter w;
    w.U8(static_cast<uint8_t>(engine::RecordType::kRenameCollection));
    w.Str(DbName(call));
    w.Str(old_name);
    w.Str(new_name);
    if (absl::Status s = LogLocked(w.Take()); !s.ok()) return s;
    auto c = it->second;
    collections.erase(it);
    c->set_name(new_name);
    collections.emplace(new_name, std::move(c));
    for (auto& [alias, target] : (*db)->aliases) {
      if (target == old_name) target = new_name;
    }
    MoveSettings(**db, old_name, new_name);
    return absl::OkStatus();
  }

  absl::StatusOr<CollectionStats> GetCollectionStats(
      const std::string& name, const CallOptions& call) override {
    auto c = Find(name, call);
    if (!c.ok()) return c.status();
    CollectionStats stats;
    stats.row_count = (*c)->row_count();
    return stats;
  }

  // --- partitions --------------------------------------------------------

  absl::Status CreatePartition(const std::string& collection,
                               const std::string& partition,
                               const CallOptions& call) override {
    absl::ReaderMutexLock ops(&op_mu_);
    auto c = Find(collection, call);
    if (!c.ok()) return c.status();
    COVE_RETURN_IF_ERROR(NoManualPartitions(**c, call, "create partition"));
    return (*c)->CreatePartition(partition);
  }

  absl::Status DropPartition(const std::string& collection,
                             const std::string& partition,
                             const CallOptions& call) override {
    absl::ReaderMutexLock ops(&op_mu_);
    auto c = Find(collection, call);
    if (!c.ok()) return c.status();
    COVE_RETURN_IF_ERROR(NoManualPartitions(**c, call, "drop partition"));
    absl::Status s = (*c)->DropPartition(partition);
    return absl::IsNotFound(s) ? absl::OkStatus() : s;  // as Milvus
  }

  absl::StatusOr<bool> HasPartition(const std::string& collection,
                                    const std::string& partition,
                                    const CallOptions& call) override {
    auto c = Find(collection, call);
    if (!c.ok()) return c.status();
    return (*c)->HasPartition(partition);
  }

  absl::StatusOr<std::vector<std::string>> ListPartitions(
      const std::string& collection, const CallOptions& call) override {
    auto c = Find(collection, call);
    if (!c.ok()) return c.status();
    return (*c)->ListPartitions();
  }

  // --- aliases -----------------------------------------------------------

  absl::Status CreateAlias(const std::string& collection,
                           const std::string& alias,
                           const CallOptions& call) override {
    if (absl::Status s = engine::ValidateName("alias", alias); !s.ok()) {
      return s;
    }
    absl::ReaderMutexLock ops(&op_mu_);
    absl::MutexLock lock(&mu_);
    auto db = Db(call);
    if (!db.ok()) return db.status();
    if ((*db)->collections.count(collection) == 0) return NotFound(collection);
    if ((*db)->aliases.count(alias) != 0) {
      return absl::AlreadyExistsError(
          absl::StrCat("alias '", alias, "' already exists (it names '",
                       (*db)->aliases[alias], "'); use AlterAlias to move it"));
    }
    if ((*db)->collections.count(alias) != 0) {
      return absl::AlreadyExistsError(
          absl::StrCat("alias '", alias, "': a collection has that name"));
    }
    if (absl::Status s =
            LogAlias(engine::RecordType::kCreateAlias, call, collection, alias);
        !s.ok()) {
      return s;
    }
    (*db)->aliases[alias] = collection;
    return absl::OkStatus();
  }

  absl::Status DropAlias(const std::string& alias,
                         const CallOptions& call) override {
    absl::ReaderMutexLock ops(&op_mu_);
    absl::MutexLock lock(&mu_);
    auto db = Db(call);
    if (!db.ok()) return db.status();
    if ((*db)->aliases.count(alias) == 0) {
      return absl::OkStatus();  // as Milvus: dropping an absent alias succeeds
    }
    internal::ByteWriter w;
    w.U8(static_cast<uint8_t>(engine::RecordType::kDropAlias));
    w.Str(DbName(call));
    w.Str(alias);
    if (absl::Status s = LogLocked(w.Take()); !s.ok()) return s;
    (*db)->aliases.erase(alias);
    return absl::OkStatus();
  }

  absl::Status AlterAlias(const std::string& collection,
                          const std::string& alias,
                          const CallOptions& call) override {
    absl::ReaderMutexLock ops(&op_mu_);
    absl::MutexLock lock(&mu_);
    auto db = Db(call);
    if (!db.ok()) return db.status();
    if ((*db)->collections.count(collection) == 0) return NotFound(collection);
    auto it = (*db)->aliases.find(alias);
    if (it == (*db)->aliases.end()) {
      return absl::NotFoundError(absl::StrCat("alias '", alias, "' not found"));
    }
    if (absl::Status s =
            LogAlias(engine::RecordType::kAlterAlias, call, collection, alias);
        !s.ok()) {
      return s;
    }
    it->second = collection;
    return absl::OkStatus();
  }

  absl::StatusOr<AliasDescription> DescribeAlias(
      const std::string& alias, const CallOptions& call) override {
    absl::MutexLock lock(&mu_);
    auto db = Db(call);
    if (!db.ok()) return db.status();
    auto it = (*db)->aliases.find(alias);
    if (it == (*db)->aliases.end()) {
      return absl::NotFoundError(absl::StrCat("alias '", alias, "' not found"));
    }
    return AliasDescription{alias, it->second, DbName(call)};
  }

  absl::StatusOr<std::vector<std::string>> ListAliases(
      const std::string& collection, const CallOptions& call) override {
    absl::MutexLock lock(&mu_);
    auto db = Db(call);
    if (!db.ok()) return db.status();
    if (collection.empty()) {
      std::vector<std::string> all;
      for (const auto& [alias, target] : (*db)->aliases) all.push_back(alias);
      return all;
    }
    if ((*db)->collections.count(collection) == 0) return NotFound(collection);
    return AliasesOf(**db, collection);
  }

  // --- loading and indexes -------------------------------------------------

  absl::Status LoadCollection(const std::string& name,
                              const CallOptions& call) override {
    absl::ReaderMutexLock ops(&op_mu_);
    auto c = Find(name, call);
    if (!c.ok()) return c.status();
    return (*c)->Load();
  }

  absl::Status ReleaseCollection(const std::string& name,
                                 const CallOptions& call) override {
    absl::ReaderMutexLock ops(&op_mu_);
    auto c = Find(name, call);
    if (!c.ok()) return c.status();
    return (*c)->Release();
  }

  absl::StatusOr<LoadState> GetLoadState(const std::string& name,
                                         const CallOptions& call) override {
    auto c = Find(name, call);
    if (absl::IsNotFound(c.status())) return LoadState::kNotExist;
    if (!c.ok()) return c.status();
    return (*c)->loaded() ? LoadState::kLoaded : LoadState::kNotLoaded;
  }

  absl::Status CreateIndex(const std::string& collection,
                           const IndexSpec& index,
                           const CallOptions& call) override {
    absl::ReaderMutexLock ops(&op_mu_);
    auto c = Find(collection, call);
    if (!c.ok()) return c.status();
    return CreateIndexIn(**c, index);
  }

  absl::StatusOr<std::vector<IndexDescription>> DescribeIndexes(
      const std::string& collection, const CallOptions& call) override {
    absl::MutexLock lock(&mu_);
    auto db = Db(call);
    if (!db.ok()) return db.status();
    auto c = Resolve(**db, collection);
    if (!c.ok()) return c.status();
    std::vector<IndexDescription> indexes = DescribeIndexesOf(**c);
    auto settings = (*db)->settings.find((*c)->name());
    if (settings != (*db)->settings.end()) {
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
    auto db = Db(call);
    if (!db.ok()) return db.status();
    auto c = Resolve(**db, collection);
    if (!c.ok()) return c.status();
    bool found = false;
    for (const engine::IndexStatus& d : (*c)->DescribeIndexes()) {
      found = found || d.def.index_name == index_name;
    }
    if (!found) {
      return absl::NotFoundError(
          absl::StrCat("index '", internal::ValidUtf8(index_name),
                       "' not found in collection '", (*c)->name(), "'"));
    }
    const std::string real_name = (*c)->name();
    CollectionSettings settings = (*db)->settings[real_name];
    auto& props = settings.index_properties[index_name];
    for (const auto& [k, v] : set) props[k] = v;
    for (const std::string& k : remove) props.erase(k);
    if (props.empty()) settings.index_properties.erase(index_name);
    internal::ByteWriter w;
    w.U8(static_cast<uint8_t>(engine::RecordType::kAlterCollection));
    w.Str(DbName(call));
    w.Str(real_name);
    EncodeSettings(settings, &w);
    if (absl::Status s = LogLocked(w.Take()); !s.ok()) return s;
    (*db)->settings[real_name] = std::move(settings);
    return absl::OkStatus();
  }

  absl::Status DropIndex(const std::string& collection,
                         const std::string& index_name,
                         const CallOptions& call) override {
    absl::ReaderMutexLock ops(&op_mu_);
    auto c = Find(collection, call);
    if (!c.ok()) return c.status();
    absl::Status s = (*c)->DropIndex(index_name);
    if (absl::IsNotFound(s)) return absl::OkStatus();  // as Milvus
    if (!s.ok()) return s;
    // The index's properties go with it.
    absl::MutexLock lock(&mu_);
    auto db = Db(call);
    if (!db.ok()) return absl::OkStatus();
    auto settings = (*db)->settings.find((*c)->name());
    if (settings == (*db)->settings.end() ||
        settings->second.index_properties.count(index_name) == 0) {
      return absl::OkStatus();
    }
    CollectionSettings updated = settings->second;
    updated.index_properties.erase(index_name);
    internal::ByteWriter w;
    w.U8(static_cast<uint8_t>(engine::RecordType::kAlterCollection));
    w.Str(DbName(call));
    w.Str((*c)->name());
    EncodeSettings(updated, &w);
    COVE_RETURN_IF_ERROR(LogLocked(w.Take()));
    settings->second = std::move(updated);
    return absl::OkStatus();
  }

  // --- data ----------------------------------------------------------------

  absl::StatusOr<MutationResult> Insert(const InsertRequest& request,
                                        const CallOptions& call) override {
    absl::StatusOr<MutationResult> result;
    {
      absl::ReaderMutexLock ops(&op_mu_);
      auto c = Find(request.collection_name, call);
      if (!c.ok()) return c.status();
      if (!request.partition_name.empty()) {
        COVE_RETURN_IF_ERROR(NoManualPartitions(**c, call, "insert"));
      }
      result = InsertInto(**c, request, /*upsert=*/false);
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
      auto c = Find(request.collection_name, call);
      if (!c.ok()) return c.status();
      if (!request.partition_name.empty()) {
        COVE_RETURN_IF_ERROR(NoManualPartitions(**c, call, "upsert"));
      }
      result = InsertInto(**c, request, /*upsert=*/true);
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
      auto c = Find(request.collection_name, call);
      if (!c.ok()) return c.status();
      if (!request.partition_name.empty()) {
        COVE_RETURN_IF_ERROR(NoManualPartitions(**c, call, "delete"));
      }
      result = DeleteFrom(**c, request);
    }
    MaybeCheckpoint();
    return result;
  }

  absl::StatusOr<SearchResults> Search(const SearchRequest& request,
                                       const CallOptions& call) override {
    auto c = Find(request.collection_name, call);
    if (!c.ok()) return c.status();
    if (!request.partition_names.empty()) {
      COVE_RETURN_IF_ERROR(NoManualPartitions(**c, call, "search"));
    }
    auto pinned = Pinned(request.session_id, c->get());
    if (!pinned.ok()) return pinned.status();
    return SearchIn(**c, request, *pinned);
  }

  absl::StatusOr<std::vector<Row>> Query(const QueryRequest& request,
                                         const CallOptions& call) override {
    auto c = Find(request.collection_name, call);
    if (!c.ok()) return c.status();
    if (!request.partition_names.empty()) {
      COVE_RETURN_IF_ERROR(NoManualPartitions(**c, call, "query"));
    }
    auto pinned = Pinned(request.session_id, c->get());
    if (!pinned.ok()) return pinned.status();
    return QueryIn(**c, request, *pinned);
  }

  absl::StatusOr<std::string> OpenReadSession(
      const std::string& collection, const CallOptions& call) override {
    auto c = Find(collection, call);
    if (!c.ok()) return c.status();
    return sessions_.Open(*std::move(c));
  }

  absl::Status CloseReadSession(const std::string& collection,
                                const std::string& session_id,
                                const CallOptions& call) override {
    // The collection is not needed to find the session; it may even be gone.
    return sessions_.Close(session_id);
  }

  absl::Status Flush(const std::string& collection,
                     const CallOptions& call) override {
    auto c = Find(collection, call);
    if (!c.ok()) return c.status();
    // Writes are durable when acknowledged; Flush also seals the growing
    // segment, waits for the collection's background index builds (so that
    // every row is then searched through its index) and folds the log (and
    // the built indexes) into a snapshot, so that reopening is fast.
    (*c)->Seal();
    (*c)->WaitForIndexBuilds();
    return Checkpoint();
  }

  absl::Status Compact(const std::string& collection,
                       const CallOptions& call) override {
    auto c = Find(collection, call);
    if (!c.ok()) return c.status();
    if (options_.read_only) {
      return absl::FailedPreconditionError(
          absl::StrCat("compact collection '", collection,
                       "': the data directory is open read-only"));
    }
    // Compaction changes no logical content: nothing is logged.
    return (*c)->Compact();
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
    std::string clustering_key;
  };

  // The level byte of encoded settings carries this bit when the key fields
  // follow (records of older versions never have it).
  static constexpr uint8_t kSettingsHaveKeys = 0x80;

  struct Database {
    std::map<std::string, std::shared_ptr<engine::Collection>> collections;
    std::map<std::string, std::string> aliases;  // alias -> collection
    int64_t id = 0;          // stable for the life of the database
    int64_t created_ms = 0;  // Unix milliseconds; 0: unknown (old stores)
    std::map<std::string, std::string> properties;
    std::map<std::string, CollectionSettings> settings;  // by collection
  };

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
    w->U8(static_cast<uint8_t>(settings.consistency_level) |
          (keys ? kSettingsHaveKeys : 0));
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
    }
  }

  static bool DecodeSettings(internal::ByteReader* r,
                             CollectionSettings* settings) {
    uint8_t level = 0;
    if (!r->U8(&level)) return false;
    const bool keys = (level & kSettingsHaveKeys) != 0;
    level &= static_cast<uint8_t>(~kSettingsHaveKeys);
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
    return absl::OkStatus();
  }

  // Partition-key collections spread rows by the key: partitions are not
  // named by hand, as in Milvus.
  absl::Status NoManualPartitions(const engine::Collection& c,
                                  const CallOptions& call, const char* what) {
    absl::MutexLock lock(&mu_);
    auto db = Db(call);
    if (!db.ok()) return db.status();
    auto it = (*db)->settings.find(c.name());
    if (it == (*db)->settings.end() || it->second.partition_key.empty()) {
      return absl::OkStatus();
    }
    return absl::InvalidArgumentError(absl::StrCat(
        what, ": collection '", c.name(), "' has a partition key ('",
        it->second.partition_key,
        "'): partitions are not named by hand in partition key mode (as in "
        "Milvus)"));
  }

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
    auto pinned = sessions_.Use(session_id, collection);
    if (!pinned.ok()) return pinned.status();
    return std::move(pinned->state);
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
    auto db = Db(call);
    if (!db.ok()) return db.status();
    return Resolve(**db, name);
  }

  // 2: collections in segments (engine::kCollectionFormatV2). Version 1
  // snapshots are migrated when loaded.
  // 3: plus database ids, creation times and properties, and collection
  // settings (consistency level, properties).
  static constexpr uint32_t kSnapshotVersion = 3;

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
    c.set_logger(
        [store](std::string_view record) { return store->Append(record); });
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

  absl::Status LoadSnapshotLocked(std::string_view bytes) {
    internal::ByteReader r(bytes);
    uint32_t version = 0;
    uint64_t ndb = 0;
    if (!r.U32(&version)) {
      return absl::DataLossError("snapshot: truncated header");
    }
    if (version < 1 || version > kSnapshotVersion) {
      return absl::FailedPreconditionError(absl::StrCat(
          "snapshot: format version ", version,
          " is not supported by this build (it reads versions 1 to ",
          kSnapshotVersion, "); open the directory with a newer Cove"));
    }
    if (!r.Varint(&ndb)) {
      return absl::DataLossError("snapshot: undecodable header");
    }
    databases_.clear();
    by_id_.clear();
    for (uint64_t i = 0; i < ndb; ++i) {
      std::string name;
      uint64_t naliases = 0, ncollections = 0;
      if (!r.Str(&name) || !r.Varint(&naliases)) {
        return absl::DataLossError("snapshot: undecodable database");
      }
      Database& db = databases_[name];
      for (uint64_t a = 0; a < naliases; ++a) {
        std::string alias, target;
        if (!r.Str(&alias) || !r.Str(&target)) {
          return absl::DataLossError("snapshot: undecodable alias");
        }
        db.aliases[alias] = target;
      }
      if (!r.Varint(&ncollections)) {
        return absl::DataLossError("snapshot: undecodable database");
      }
      const uint32_t collection_format =
          std::min<uint32_t>(version, engine::kCollectionFormatV2);
      for (uint64_t k = 0; k < ncollections; ++k) {
        auto c =
            engine::Collection::Deserialize(&r, collection_format, Context());
        if (!c.ok()) return c.status();
        std::shared_ptr<engine::Collection> shared = *std::move(c);
        by_id_[shared->id()] = shared;
        db.collections[shared->name()] = std::move(shared);
      }
      if (version >= 3) {
        uint64_t nsettings = 0;
        if (!r.I64(&db.id) || !r.I64(&db.created_ms) ||
            !DecodeProperties(&r, &db.properties) || !r.Varint(&nsettings) ||
            nsettings > r.remaining()) {
          return absl::DataLossError("snapshot: undecodable database settings");
        }
        for (uint64_t k = 0; k < nsettings; ++k) {
          std::string cname;
          CollectionSettings settings;
          if (!r.Str(&cname) || !DecodeSettings(&r, &settings)) {
            return absl::DataLossError(
                "snapshot: undecodable collection settings");
          }
          db.settings[cname] = std::move(settings);
        }
      }
    }
    for (auto& [name, db] : databases_) {
      if (db.id == 0) db.id = NextDatabaseIdLocked();
    }
    if (databases_.count(kDefaultDatabase) == 0) {
      InitDatabaseLocked(databases_[kDefaultDatabase]);
    }
    return absl::OkStatus();
  }

  // Applies one record during recovery (requires mu_). Records that no
  // longer apply (a write racing a drop) are skipped, as they were live.
  absl::Status ReplayLocked(std::string_view record) {
    internal::ByteReader r(record);
    uint8_t raw = 0;
    if (!r.U8(&raw)) return absl::DataLossError("replay: empty record");
    const auto type = static_cast<engine::RecordType>(raw);
    if (raw >= static_cast<uint8_t>(engine::RecordType::kInsert)) {
      int64_t id = 0;
      if (!r.I64(&id)) return absl::DataLossError("replay: short record");
      auto it = by_id_.find(id);
      if (it == by_id_.end()) return absl::OkStatus();  // dropped later
      return it->second->Replay(record);
    }
    auto corrupt = [] {
      return absl::DataLossError("replay: undecodable database record");
    };
    // Names were validated before they were logged: one that is not valid
    // now is corruption (accepting it would write a snapshot that cannot
    // be read back).
    auto bad_name = [](const char* what, const std::string& name) {
      absl::Status s = engine::ValidateName(what, name);
      return s.ok() ? s
                    : absl::DataLossError(absl::StrCat(
                          "replay: database record with an invalid ",
                          s.message()));
    };
    std::string db_name, a, b;
    switch (type) {
      case engine::RecordType::kCreateDatabase: {
        if (!r.Str(&a)) return corrupt();
        if (absl::Status s = bad_name("database name", a); !s.ok()) return s;
        Database created;
        if (!r.done()) {  // records of older versions end at the name
          if (!r.I64(&created.id) || !r.I64(&created.created_ms) ||
              !DecodeProperties(&r, &created.properties)) {
            return corrupt();
          }
        }
        if (created.id == 0) created.id = NextDatabaseIdLocked();
        databases_[a] = std::move(created);
        return absl::OkStatus();
      }
      case engine::RecordType::kAlterDatabase: {
        std::map<std::string, std::string> props;
        if (!r.Str(&a) || !DecodeProperties(&r, &props)) return corrupt();
        auto it = databases_.find(a);
        if (it != databases_.end()) it->second.properties = std::move(props);
        return absl::OkStatus();
      }
      case engine::RecordType::kAlterCollection: {
        CollectionSettings settings;
        if (!r.Str(&db_name) || !r.Str(&a) || !DecodeSettings(&r, &settings)) {
          return corrupt();
        }
        auto it = databases_.find(db_name);
        if (it != databases_.end() && it->second.collections.count(a) != 0) {
          it->second.settings[a] = std::move(settings);
        }
        return absl::OkStatus();
      }
      case engine::RecordType::kDropDatabase:
        if (!r.Str(&a)) return corrupt();
        databases_.erase(a);
        return absl::OkStatus();
      case engine::RecordType::kCreateCollection: {
        int64_t id = 0;
        engine::Schema schema;
        uint64_t nindexes = 0;
        if (!r.Str(&db_name) || !r.Str(&a) || !r.I64(&id) ||
            !engine::DecodeSchema(&r, &schema) || !r.Varint(&nindexes) ||
            nindexes > schema.fields.size()) {
          return corrupt();
        }
        if (absl::Status s = bad_name("database name", db_name); !s.ok()) {
          return s;
        }
        if (absl::Status s = bad_name("collection name", a); !s.ok()) {
          return s;
        }
        std::vector<engine::IndexDef> indexes(nindexes);
        for (auto& def : indexes) {
          if (!engine::DecodeIndexDef(&r, &def)) return corrupt();
        }
        CollectionSettings settings;
        if (!r.done() && !DecodeSettings(&r, &settings)) return corrupt();
        auto c = BuildCollection(a, schema, indexes, id, Context());
        if (!c.ok()) return c.status();
        by_id_[id] = *c;
        Database& db = databases_[db_name];
        if (db.id == 0) db.id = NextDatabaseIdLocked();
        db.collections[a] = *std::move(c);
        db.settings[a] = std::move(settings);
        return absl::OkStatus();
      }
      case engine::RecordType::kDropCollection: {
        if (!r.Str(&db_name) || !r.Str(&a)) return corrupt();
        auto& cs = databases_[db_name].collections;
        auto it = cs.find(a);
        if (it != cs.end()) {
          by_id_.erase(it->second->id());
          cs.erase(it);
        }
        databases_[db_name].settings.erase(a);
        return absl::OkStatus();
      }
      case engine::RecordType::kRenameCollection: {
        if (!r.Str(&db_name) || !r.Str(&a) || !r.Str(&b)) return corrupt();
        if (absl::Status s = bad_name("collection name", b); !s.ok()) {
          return s;
        }
        Database& db = databases_[db_name];
        auto it = db.collections.find(a);
        if (it == db.collections.end()) return corrupt();
        auto c = it->second;
        db.collections.erase(it);
        c->set_name(b);
        db.collections[b] = std::move(c);
        for (auto& [alias, target] : db.aliases) {
          if (target == a) target = b;
        }
        MoveSettings(db, a, b);
        return absl::OkStatus();
      }
      case engine::RecordType::kCreateAlias:
      case engine::RecordType::kAlterAlias:
        if (!r.Str(&db_name) || !r.Str(&a) || !r.Str(&b)) return corrupt();
        if (absl::Status s = bad_name("alias", b); !s.ok()) return s;
        databases_[db_name].aliases[b] = a;
        return absl::OkStatus();
      case engine::RecordType::kDropAlias:
        if (!r.Str(&db_name) || !r.Str(&a)) return corrupt();
        databases_[db_name].aliases.erase(a);
        return absl::OkStatus();
      default:
        return absl::DataLossError(
            absl::StrCat("replay: unknown record type ", raw));
    }
  }

  // A new collection with its indexes (loaded when it has any).
  static absl::StatusOr<std::shared_ptr<engine::Collection>> BuildCollection(
      const std::string& name, const engine::Schema& schema,
      const std::vector<engine::IndexDef>& indexes, int64_t id,
      engine::CollectionContext context) {
    auto created =
        engine::Collection::Create(name, schema, id, std::move(context));
    if (!created.ok()) return created.status();
    std::shared_ptr<engine::Collection> collection = *std::move(created);
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

}  // namespace

void CancelBackgroundWork(Connection& connection) {
  if (auto* embedded = dynamic_cast<EmbeddedConnection*>(&connection)) {
    embedded->CancelBackgroundWork();
  }
}

absl::StatusOr<std::shared_ptr<Connection>> MakeEmbeddedConnection(
    const std::string& path, const EmbeddedOptions& options) {
  if (options.segment_seal_idle.count() < 0) {
    return absl::InvalidArgumentError(absl::StrCat(
        "EmbeddedOptions.segment_seal_idle: must not be negative (got ",
        options.segment_seal_idle.count(), " ms)"));
  }
  if (options.search_threads < 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("EmbeddedOptions.search_threads: must be >= 0 (got ",
                     options.search_threads, ")"));
  }
  auto connection = std::make_shared<EmbeddedConnection>(options);
  if (path == ":memory:") {
    if (options.read_only) {
      return absl::InvalidArgumentError(
          "EmbeddedOptions.read_only: an in-memory store cannot be read-only");
    }
    return std::shared_ptr<Connection>(std::move(connection));
  }
  std::optional<internal::Cipher> cipher;
  if (!options.encryption_key.empty()) {
    auto c = internal::Cipher::FromKey(options.encryption_key);
    if (!c.ok()) return c.status();
    cipher = *std::move(c);
  } else if (!options.encryption_key_file.empty()) {
    auto c = internal::Cipher::FromKeyFile(options.encryption_key_file);
    if (!c.ok()) return c.status();
    cipher = *std::move(c);
  } else if (!options.encryption_key_env.empty()) {
    auto c = internal::Cipher::FromEnv(options.encryption_key_env);
    if (!c.ok()) return c.status();
    cipher = *std::move(c);
  }
  if (absl::Status s = connection->OpenStore(path, std::move(cipher));
      !s.ok()) {
    return s;
  }
  return std::shared_ptr<Connection>(std::move(connection));
}

}  // namespace cove::internal
