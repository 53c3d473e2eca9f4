// Recovery of the embedded backend: the snapshot a checkpoint wrote and the
// records of the write-ahead log after it (see embedded_connection_impl.h).
#include <string_view>

#include "common/bytes.h"
#include "common/status_macros.h"
#include "embedded/embedded_connection_impl.h"

namespace cove::internal {

absl::Status EmbeddedConnection::LoadSnapshotLocked(std::string_view bytes) {
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
        version >= 4 ? engine::kCollectionFormatV3
                     : std::min<uint32_t>(version, engine::kCollectionFormatV2);
    for (uint64_t k = 0; k < ncollections; ++k) {
      COVE_ASSIGN_OR_RETURN(auto c, engine::Collection::Deserialize(
                                        &r, collection_format, Context()));
      std::shared_ptr<engine::Collection> shared = std::move(c);
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
        auto c = db.collections.find(cname);
        if (c != db.collections.end()) {
          absl::Status s = ApplyPartitionLayout(*c->second, settings);
          if (!s.ok()) {
            return absl::DataLossError(absl::StrCat("snapshot: collection '",
                                                    cname, "': ", s.message()));
          }
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
absl::Status EmbeddedConnection::ReplayLocked(std::string_view record) {
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
    return s.ok()
               ? s
               : absl::DataLossError(absl::StrCat(
                     "replay: database record with an invalid ", s.message()));
  };
  std::string db_name, a, b;
  switch (type) {
    case engine::RecordType::kCreateDatabase: {
      if (!r.Str(&a)) return corrupt();
      COVE_RETURN_IF_ERROR(bad_name("database name", a));
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
      COVE_RETURN_IF_ERROR(bad_name("database name", db_name));
      COVE_RETURN_IF_ERROR(bad_name("collection name", a));
      std::vector<engine::IndexDef> indexes(nindexes);
      for (auto& def : indexes) {
        if (!engine::DecodeIndexDef(&r, &def)) return corrupt();
      }
      CollectionSettings settings;
      if (!r.done() && !DecodeSettings(&r, &settings)) return corrupt();
      COVE_ASSIGN_OR_RETURN(auto c,
                            BuildCollection(a, schema, indexes, id, Context()));
      if (absl::Status s = ApplyPartitionLayout(*c, settings); !s.ok()) {
        return absl::DataLossError(
            absl::StrCat("replay: collection '", a, "': ", s.message()));
      }
      by_id_[id] = c;
      Database& db = databases_[db_name];
      if (db.id == 0) db.id = NextDatabaseIdLocked();
      db.collections[a] = std::move(c);
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
      COVE_RETURN_IF_ERROR(bad_name("collection name", b));
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
    case engine::RecordType::kMoveCollection: {
      std::string to_db;
      if (!r.Str(&db_name) || !r.Str(&a) || !r.Str(&to_db) || !r.Str(&b)) {
        return corrupt();
      }
      COVE_RETURN_IF_ERROR(bad_name("collection name", b));
      auto from = databases_.find(db_name);
      auto to = databases_.find(to_db);
      if (from == databases_.end() || to == databases_.end() ||
          from->second.collections.count(a) == 0 ||
          to->second.collections.count(b) != 0) {
        return corrupt();
      }
      MoveLocked(from->second, a, to->second, b);
      return absl::OkStatus();
    }
    case engine::RecordType::kCreateAlias:
    case engine::RecordType::kAlterAlias:
      if (!r.Str(&db_name) || !r.Str(&a) || !r.Str(&b)) return corrupt();
      COVE_RETURN_IF_ERROR(bad_name("alias", b));
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

}  // namespace cove::internal
