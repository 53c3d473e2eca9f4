// The embedded backend's catalog: databases, collections, partitions and
// aliases (see embedded_connection_impl.h).
#include <algorithm>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/str_join.h"
#include "common/status_macros.h"
#include "embedded/embedded_connection_impl.h"

namespace cove::internal {

absl::Status EmbeddedConnection::CreateDatabase(const std::string& name,
                                                const CallOptions& call) {
  return CreateDatabase(name, {}, call);
}

absl::Status EmbeddedConnection::CreateDatabase(
    const std::string& name,
    const std::map<std::string, std::string>& properties,
    const CallOptions& call) {
  COVE_RETURN_IF_ERROR(engine::ValidateName("database name", name));
  COVE_RETURN_IF_ERROR(ValidateDatabaseProperties(properties));
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
  COVE_RETURN_IF_ERROR(LogLocked(w.Take()));
  databases_[name] = std::move(created);
  return absl::OkStatus();
}

absl::StatusOr<DatabaseDescription> EmbeddedConnection::DescribeDatabase(
    const std::string& name, const CallOptions& call) {
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

absl::Status EmbeddedConnection::AlterDatabaseProperties(
    const std::string& name, const std::map<std::string, std::string>& set,
    const std::vector<std::string>& remove, const CallOptions& call) {
  COVE_RETURN_IF_ERROR(ValidateDatabaseProperties(set));
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
  COVE_RETURN_IF_ERROR(LogLocked(w.Take()));
  it->second.properties = std::move(properties);
  return absl::OkStatus();
}

absl::Status EmbeddedConnection::DropDatabase(const std::string& name,
                                              const CallOptions& call) {
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
  COVE_RETURN_IF_ERROR(LogLocked(w.Take()));
  databases_.erase(it);
  return absl::OkStatus();
}

absl::StatusOr<std::vector<std::string>> EmbeddedConnection::ListDatabases(
    const CallOptions& call) {
  absl::MutexLock lock(&mu_);
  std::vector<std::string> names;
  for (const auto& [name, db] : databases_) names.push_back(name);
  return names;
}

absl::Status EmbeddedConnection::CreateCollection(
    const std::string& name, const CollectionSchema& schema,
    const std::vector<IndexSpec>& indexes, const CallOptions& call) {
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
  COVE_ASSIGN_OR_RETURN(auto db, Db(call));
  if (db->collections.count(name) != 0 || db->aliases.count(name)) {
    return absl::AlreadyExistsError(
        absl::StrCat("collection '", name, "' already exists"));
  }
  COVE_RETURN_IF_ERROR(CheckCollectionLimit(DbName(call), *db));
  CollectionSettings settings{schema.consistency_level, schema.properties};
  COVE_RETURN_IF_ERROR(KeySettings(schema, &settings));
  for (size_t i = 0; i < schema.fields.size(); ++i) {
    for (const auto& [key, value] : schema.fields[i].properties) {
      if (key != "mmap.enabled") {
        return absl::InvalidArgumentError(
            absl::StrCat("field '", internal::ValidUtf8(schema.fields[i].name),
                         "' property '", internal::ValidUtf8(key),
                         "': not a property a field is created with (expected "
                         "mmap.enabled)"));
      }
      COVE_ASSIGN_OR_RETURN(
          std::string checked,
          CheckFieldProperty(engine_schema.fields[i], key, value));
      settings.field_properties[schema.fields[i].name][key] = checked;
    }
  }
  COVE_RETURN_IF_ERROR(ApplyPartitionLayout(*collection, settings));
  internal::ByteWriter w;
  w.U8(static_cast<uint8_t>(engine::RecordType::kCreateCollection));
  w.Str(DbName(call));
  w.Str(name);
  w.I64(collection->id());
  engine::EncodeSchema(engine_schema, &w);
  w.Varint(defs.size());
  for (const engine::IndexDef& def : defs) engine::EncodeIndexDef(def, &w);
  EncodeSettings(settings, &w);  // absent from records of older versions
  COVE_RETURN_IF_ERROR(LogLocked(w.Take()));
  AttachLogger(*collection);
  if (cancelled_) collection->CancelBackgroundWork();
  by_id_[collection->id()] = collection;
  db->collections.emplace(name, std::move(collection));
  db->settings[name] = std::move(settings);
  return absl::OkStatus();
}

absl::Status EmbeddedConnection::DropCollection(const std::string& name,
                                                const CallOptions& call) {
  absl::ReaderMutexLock ops(&op_mu_);
  absl::MutexLock lock(&mu_);
  COVE_ASSIGN_OR_RETURN(auto db, Db(call));
  if (db->aliases.count(name) != 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("drop collection: '", name,
                     "' is an alias; drop the collection by its own name"));
  }
  auto it = db->collections.find(name);
  if (it == db->collections.end()) return absl::OkStatus();  // as Milvus
  std::vector<std::string> aliases = AliasesOf(*db, name);
  if (!aliases.empty()) {
    return absl::FailedPreconditionError(
        absl::StrCat("drop collection '", name, "': it still has aliases (",
                     absl::StrJoin(aliases, ", "), "); drop them first"));
  }
  internal::ByteWriter w;
  w.U8(static_cast<uint8_t>(engine::RecordType::kDropCollection));
  w.Str(DbName(call));
  w.Str(name);
  COVE_RETURN_IF_ERROR(LogLocked(w.Take()));
  it->second->set_logger(nullptr);
  sessions_.Forget(it->second.get());
  by_id_.erase(it->second->id());
  db->collections.erase(it);
  db->settings.erase(name);
  return absl::OkStatus();
}

absl::StatusOr<bool> EmbeddedConnection::HasCollection(
    const std::string& name, const CallOptions& call) {
  absl::MutexLock lock(&mu_);
  COVE_ASSIGN_OR_RETURN(auto db, Db(call));
  return db->collections.count(name) != 0;
}

absl::StatusOr<std::vector<std::string>> EmbeddedConnection::ListCollections(
    const CallOptions& call) {
  absl::MutexLock lock(&mu_);
  COVE_ASSIGN_OR_RETURN(auto db, Db(call));
  std::vector<std::string> names;
  for (const auto& [name, c] : db->collections) names.push_back(name);
  return names;
}

absl::StatusOr<CollectionDescription> EmbeddedConnection::DescribeCollection(
    const std::string& name, const CallOptions& call) {
  absl::MutexLock lock(&mu_);
  COVE_ASSIGN_OR_RETURN(auto db, Db(call));
  COVE_ASSIGN_OR_RETURN(auto c, Resolve(*db, name));
  CollectionDescription d;
  d.name = c->name();
  d.collection_id = c->id();
  d.schema = FromEngineSchema(c->schema());
  d.aliases = AliasesOf(*db, d.name);
  d.partitions = c->ListPartitions();
  d.created_timestamp = c->created_timestamp();
  auto settings = db->settings.find(d.name);
  if (settings != db->settings.end()) {
    d.schema.consistency_level = settings->second.consistency_level;
    d.schema.properties = settings->second.properties;
    for (FieldSchema& f : d.schema.fields) {
      f.is_partition_key = f.name == settings->second.partition_key;
      f.is_clustering_key = f.name == settings->second.clustering_key;
    }
    if (!settings->second.partition_key.empty()) {
      d.schema.num_partitions = settings->second.num_partitions;
    }
    ApplyFieldProperties(settings->second.field_properties, &d.schema);
  }
  return d;
}

absl::StatusOr<std::vector<SegmentDescription>>
EmbeddedConnection::ListSegments(const std::string& name,
                                 const CallOptions& call) {
  COVE_ASSIGN_OR_RETURN(auto c, Find(name, call));
  std::vector<SegmentDescription> out;
  for (const engine::SegmentInfo& info : c->Segments()) {
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

absl::Status EmbeddedConnection::StoreSettingsLocked(
    Database* db, const std::string& db_name, const std::string& collection,
    CollectionSettings settings) {
  internal::ByteWriter w;
  w.U8(static_cast<uint8_t>(engine::RecordType::kAlterCollection));
  w.Str(db_name);
  w.Str(collection);
  EncodeSettings(settings, &w);
  COVE_RETURN_IF_ERROR(LogLocked(w.Take()));
  db->settings[collection] = std::move(settings);
  return absl::OkStatus();
}

absl::Status EmbeddedConnection::AlterCollectionProperties(
    const std::string& name, const std::map<std::string, std::string>& set,
    const std::vector<std::string>& remove, const CallOptions& call) {
  COVE_RETURN_IF_ERROR(ValidateCollectionProperties(set));
  absl::ReaderMutexLock ops(&op_mu_);
  absl::MutexLock lock(&mu_);
  COVE_ASSIGN_OR_RETURN(auto db, Db(call));
  COVE_ASSIGN_OR_RETURN(auto c, Resolve(*db, name));
  const std::string real_name = c->name();
  CollectionSettings settings = db->settings[real_name];
  for (const auto& [k, v] : set) settings.properties[k] = v;
  for (const std::string& k : remove) settings.properties.erase(k);
  return StoreSettingsLocked(db, DbName(call), real_name, std::move(settings));
}

// Partial load, checked as Milvus does: the listed fields exist, and hold
// the primary key, a vector field and the partition and clustering keys.
absl::Status EmbeddedConnection::LoadCollection(const std::string& name,
                                                const LoadOptions& options,
                                                const CallOptions& call) {
  absl::ReaderMutexLock ops(&op_mu_);
  COVE_ASSIGN_OR_RETURN(auto c, Find(name, call));
  const engine::Schema& schema = c->schema();
  std::vector<std::string> fields;
  std::set<std::string> listed;
  for (const std::string& f : options.load_fields) {
    if (!listed.insert(f).second) continue;
    bool exists = false;
    for (const engine::FieldDef& d : schema.fields) exists |= d.name == f;
    if (!exists) {
      return absl::InvalidArgumentError(
          absl::StrCat("load_fields: field '", internal::ValidUtf8(f),
                       "' does not exist in collection '",
                       internal::ValidUtf8(c->name()), "'"));
    }
    fields.push_back(f);
  }
  if (!fields.empty()) {
    std::string partition_key, clustering_key;
    {
      absl::MutexLock lock(&mu_);
      COVE_ASSIGN_OR_RETURN(auto db, Db(call));
      auto it = db->settings.find(c->name());
      if (it != db->settings.end()) {
        partition_key = it->second.partition_key;
        clustering_key = it->second.clustering_key;
      }
    }
    bool vector = false;
    for (const engine::FieldDef& d : schema.fields) {
      const bool in = listed.count(d.name) != 0;
      vector |= in && engine::IsVectorType(d.type);
      const char* why = nullptr;
      if (d.is_primary_key) why = "the primary key";
      if (d.name == partition_key) why = "the partition key";
      if (d.name == clustering_key) why = "the clustering key";
      if (why != nullptr && !in) {
        return absl::InvalidArgumentError(
            absl::StrCat("load_fields: must include ", why, " '",
                         internal::ValidUtf8(d.name), "'"));
      }
    }
    if (!vector) {
      return absl::InvalidArgumentError(
          "load_fields: must include a vector field");
    }
  }
  if (c->loaded()) {
    // Loaded already: only with the same fields (as Milvus).
    std::vector<std::string> current;
    bool skip = false;
    {
      absl::MutexLock lock(&mu_);
      COVE_ASSIGN_OR_RETURN(auto db, Db(call));
      auto it = db->settings.find(c->name());
      if (it != db->settings.end()) {
        current = it->second.load_fields;
        skip = it->second.skip_load_dynamic_field;
      }
    }
    std::vector<std::string> a = current, b = fields;
    std::sort(a.begin(), a.end());
    std::sort(b.begin(), b.end());
    if (a != b || skip != options.skip_load_dynamic_field) {
      return absl::FailedPreconditionError(absl::StrCat(
          "load collection '", internal::ValidUtf8(c->name()),
          "': it is loaded with other load_fields (",
          current.empty() ? "every field" : absl::StrJoin(current, ", "),
          "); release it first"));
    }
    return c->Load();
  }
  LoadOptions stored = options;
  stored.load_fields = fields;
  if (fields.empty()) stored.skip_load_dynamic_field = false;
  COVE_RETURN_IF_ERROR(SetLoadFields(*c, stored, call));
  return c->Load();
}

absl::Status EmbeddedConnection::SetLoadFields(const engine::Collection& c,
                                               const LoadOptions& options,
                                               const CallOptions& call) {
  absl::MutexLock lock(&mu_);
  COVE_ASSIGN_OR_RETURN(auto db, Db(call));
  const std::string real_name = c.name();
  CollectionSettings settings = db->settings[real_name];
  const bool skip =
      !options.load_fields.empty() && options.skip_load_dynamic_field;
  if (settings.load_fields == options.load_fields &&
      settings.skip_load_dynamic_field == skip) {
    return absl::OkStatus();  // nothing to log
  }
  settings.load_fields = options.load_fields;
  settings.skip_load_dynamic_field = skip;
  return StoreSettingsLocked(db, DbName(call), real_name, std::move(settings));
}

absl::Status EmbeddedConnection::LoadedFieldsGate(
    const engine::Collection& c, const CallOptions& call, const char* verb,
    std::vector<std::string>* output_fields, const std::string& filter,
    const std::map<std::string, Value>& params,
    const std::vector<std::string>& named) {
  std::vector<std::string> loaded;
  bool skip_dynamic = false;
  {
    absl::MutexLock lock(&mu_);
    COVE_ASSIGN_OR_RETURN(auto db, Db(call));
    auto it = db->settings.find(c.name());
    if (it == db->settings.end() || it->second.load_fields.empty()) {
      return absl::OkStatus();
    }
    loaded = it->second.load_fields;
    skip_dynamic = it->second.skip_load_dynamic_field;
  }
  const engine::Schema& schema = c.schema();
  const std::set<std::string> in(loaded.begin(), loaded.end());
  const bool dynamic = schema.enable_dynamic_field && !skip_dynamic;
  auto not_loaded = [&](const std::string& what) {
    return absl::InvalidArgumentError(absl::StrCat(
        verb, ": ", what, " is not loaded (collection '",
        internal::ValidUtf8(c.name()), "' was loaded with load_fields ",
        absl::StrJoin(loaded, ", "),
        skip_dynamic ? " and skip_load_dynamic_field" : "",
        "; release it and load it with that field to use it)"));
  };
  auto is_field = [&](const std::string& name) {
    for (const engine::FieldDef& f : schema.fields) {
      if (f.name == name) return true;
    }
    return false;
  };
  std::vector<std::string> out;
  for (const std::string& name : *output_fields) {
    if (name == "*") {
      for (const engine::FieldDef& f : schema.fields) {
        if (in.count(f.name) != 0 && !f.is_function_output) {
          out.push_back(f.name);
        }
      }
      if (dynamic) out.push_back(engine::kDynamicFieldName);
      continue;
    }
    if (name == "count(*)") {
      out.push_back(name);
      continue;
    }
    if (is_field(name)) {
      if (in.count(name) == 0) {
        return not_loaded(
            absl::StrCat("output field '", internal::ValidUtf8(name), "'"));
      }
    } else if (schema.enable_dynamic_field && !dynamic) {
      return not_loaded(absl::StrCat("dynamic key '", internal::ValidUtf8(name),
                                     "' (the dynamic field)"));
    }
    out.push_back(name);
  }
  *output_fields = std::move(out);
  for (const std::string& name : named) {
    if (!name.empty() && is_field(name) && in.count(name) == 0) {
      return not_loaded(
          absl::StrCat("field '", internal::ValidUtf8(name), "'"));
    }
  }
  if (!filter.empty()) {
    auto compiled = c.CompileFilter(filter, params);
    // A filter that does not compile fails later with its own message.
    if (compiled.ok()) {
      for (int f : compiled->referenced_fields()) {
        if (f >= static_cast<int>(schema.fields.size())) {
          if (!dynamic) return not_loaded("the dynamic field (in the filter)");
          continue;
        }
        if (in.count(schema.fields[f].name) == 0) {
          return not_loaded(
              absl::StrCat("filter field '",
                           internal::ValidUtf8(schema.fields[f].name), "'"));
        }
      }
    }
  }
  return absl::OkStatus();
}

absl::Status EmbeddedConnection::AlterCollectionField(
    const std::string& collection, const std::string& field,
    const std::map<std::string, std::string>& set, const CallOptions& call) {
  if (set.empty()) {
    return absl::InvalidArgumentError(
        "alter collection field: no properties given (expected max_length, "
        "max_capacity or mmap.enabled)");
  }
  absl::ReaderMutexLock ops(&op_mu_);
  absl::MutexLock lock(&mu_);
  COVE_ASSIGN_OR_RETURN(auto db, Db(call));
  COVE_ASSIGN_OR_RETURN(auto c, Resolve(*db, collection));
  const std::string real_name = c->name();
  const engine::FieldDef* def = nullptr;
  for (const engine::FieldDef& f : c->schema().fields) {
    if (f.name == field) def = &f;
  }
  if (def == nullptr) {
    return absl::NotFoundError(absl::StrCat(
        "alter collection field: field '", internal::ValidUtf8(field),
        "' does not exist in collection '", internal::ValidUtf8(real_name),
        "'"));
  }
  CollectionSettings settings = db->settings[real_name];
  for (const auto& [key, value] : set) {
    COVE_ASSIGN_OR_RETURN(std::string checked,
                          CheckFieldProperty(*def, key, value));
    settings.field_properties[field][key] = std::move(checked);
  }
  return StoreSettingsLocked(db, DbName(call), real_name, std::move(settings));
}

absl::Status EmbeddedConnection::RenameCollection(
    const std::string& old_name, const std::string& new_name,
    const std::string& new_db_name, const CallOptions& call) {
  COVE_RETURN_IF_ERROR(engine::ValidateName("collection name", new_name));
  if (!new_db_name.empty() && new_db_name != DbName(call)) {
    return MoveCollection(old_name, new_name, new_db_name, call);
  }
  absl::ReaderMutexLock ops(&op_mu_);
  absl::MutexLock lock(&mu_);
  COVE_ASSIGN_OR_RETURN(auto db, Db(call));
  auto& collections = db->collections;
  auto it = collections.find(old_name);
  if (it == collections.end()) return NotFound(old_name);
  if (collections.count(new_name) != 0 || db->aliases.count(new_name)) {
    return absl::AlreadyExistsError(
        absl::StrCat("rename: collection '", new_name, "' already exists"));
  }
  internal::ByteWriter w;
  w.U8(static_cast<uint8_t>(engine::RecordType::kRenameCollection));
  w.Str(DbName(call));
  w.Str(old_name);
  w.Str(new_name);
  COVE_RETURN_IF_ERROR(LogLocked(w.Take()));
  auto c = it->second;
  collections.erase(it);
  c->set_name(new_name);
  collections.emplace(new_name, std::move(c));
  for (auto& [alias, target] : db->aliases) {
    if (target == old_name) target = new_name;
  }
  MoveSettings(*db, old_name, new_name);
  return absl::OkStatus();
}

// A rename into another database, with Milvus' rules: the target database
// exists, the collection has no aliases (they live in its database), the new
// name is neither a collection nor an alias there, and the target's
// collection limit holds.
absl::Status EmbeddedConnection::MoveCollection(const std::string& old_name,
                                                const std::string& new_name,
                                                const std::string& new_db_name,
                                                const CallOptions& call) {
  absl::ReaderMutexLock ops(&op_mu_);
  absl::MutexLock lock(&mu_);
  COVE_ASSIGN_OR_RETURN(Database * from, Db(call));
  auto to_it = databases_.find(new_db_name);
  if (to_it == databases_.end()) return DatabaseNotFound(new_db_name);
  Database& to = to_it->second;
  auto it = from->collections.find(old_name);
  if (it == from->collections.end()) return NotFound(old_name);
  if (std::vector<std::string> aliases = AliasesOf(*from, old_name);
      !aliases.empty()) {
    return absl::FailedPreconditionError(absl::StrCat(
        "rename collection: '", internal::ValidUtf8(old_name), "' has ",
        aliases.size(),
        " alias(es) in its database; drop them before moving it to "
        "database '",
        internal::ValidUtf8(new_db_name), "' (as Milvus requires)"));
  }
  if (to.collections.count(new_name) != 0 || to.aliases.count(new_name)) {
    return absl::AlreadyExistsError(
        absl::StrCat("rename collection: '", internal::ValidUtf8(new_name),
                     "' is already a collection or alias in database '",
                     internal::ValidUtf8(new_db_name), "'"));
  }
  COVE_RETURN_IF_ERROR(CheckCollectionLimit(new_db_name, to));
  internal::ByteWriter w;
  w.U8(static_cast<uint8_t>(engine::RecordType::kMoveCollection));
  w.Str(DbName(call));
  w.Str(old_name);
  w.Str(new_db_name);
  w.Str(new_name);
  COVE_RETURN_IF_ERROR(LogLocked(w.Take()));
  MoveLocked(*from, old_name, to, new_name);
  return absl::OkStatus();
}

void EmbeddedConnection::MoveLocked(Database& from, const std::string& old_name,
                                    Database& to, const std::string& new_name) {
  auto it = from.collections.find(old_name);
  std::shared_ptr<engine::Collection> c = std::move(it->second);
  from.collections.erase(it);
  c->set_name(new_name);
  to.collections[new_name] = std::move(c);
  auto settings = from.settings.find(old_name);
  if (settings != from.settings.end()) {
    to.settings[new_name] = std::move(settings->second);
    from.settings.erase(settings);
  }
}

absl::StatusOr<CollectionStats> EmbeddedConnection::GetCollectionStats(
    const std::string& name, const CallOptions& call) {
  COVE_ASSIGN_OR_RETURN(auto c, Find(name, call));
  CollectionStats stats;
  stats.row_count = c->row_count();
  return stats;
}

absl::Status EmbeddedConnection::CreatePartition(const std::string& collection,
                                                 const std::string& partition,
                                                 const CallOptions& call) {
  absl::ReaderMutexLock ops(&op_mu_);
  COVE_ASSIGN_OR_RETURN(auto c, Find(collection, call));
  COVE_RETURN_IF_ERROR(NoManualPartitions(*c, call, "create partition"));
  return c->CreatePartition(partition);
}

absl::Status EmbeddedConnection::DropPartition(const std::string& collection,
                                               const std::string& partition,
                                               const CallOptions& call) {
  absl::ReaderMutexLock ops(&op_mu_);
  COVE_ASSIGN_OR_RETURN(auto c, Find(collection, call));
  COVE_RETURN_IF_ERROR(NoManualPartitions(*c, call, "drop partition"));
  absl::Status s = c->DropPartition(partition);
  return absl::IsNotFound(s) ? absl::OkStatus() : s;  // as Milvus
}

absl::StatusOr<bool> EmbeddedConnection::HasPartition(
    const std::string& collection, const std::string& partition,
    const CallOptions& call) {
  COVE_ASSIGN_OR_RETURN(auto c, Find(collection, call));
  return c->HasPartition(partition);
}

absl::StatusOr<std::vector<std::string>> EmbeddedConnection::ListPartitions(
    const std::string& collection, const CallOptions& call) {
  COVE_ASSIGN_OR_RETURN(auto c, Find(collection, call));
  return c->ListPartitions();
}

absl::Status EmbeddedConnection::CreateAlias(const std::string& collection,
                                             const std::string& alias,
                                             const CallOptions& call) {
  COVE_RETURN_IF_ERROR(engine::ValidateName("alias", alias));
  absl::ReaderMutexLock ops(&op_mu_);
  absl::MutexLock lock(&mu_);
  COVE_ASSIGN_OR_RETURN(auto db, Db(call));
  if (db->collections.count(collection) == 0) return NotFound(collection);
  if (db->aliases.count(alias) != 0) {
    return absl::AlreadyExistsError(
        absl::StrCat("alias '", alias, "' already exists (it names '",
                     db->aliases[alias], "'); use AlterAlias to move it"));
  }
  if (db->collections.count(alias) != 0) {
    return absl::AlreadyExistsError(
        absl::StrCat("alias '", alias, "': a collection has that name"));
  }
  COVE_RETURN_IF_ERROR(
      LogAlias(engine::RecordType::kCreateAlias, call, collection, alias));
  db->aliases[alias] = collection;
  return absl::OkStatus();
}

absl::Status EmbeddedConnection::DropAlias(const std::string& alias,
                                           const CallOptions& call) {
  absl::ReaderMutexLock ops(&op_mu_);
  absl::MutexLock lock(&mu_);
  COVE_ASSIGN_OR_RETURN(auto db, Db(call));
  if (db->aliases.count(alias) == 0) {
    return absl::OkStatus();  // as Milvus: dropping an absent alias succeeds
  }
  internal::ByteWriter w;
  w.U8(static_cast<uint8_t>(engine::RecordType::kDropAlias));
  w.Str(DbName(call));
  w.Str(alias);
  COVE_RETURN_IF_ERROR(LogLocked(w.Take()));
  db->aliases.erase(alias);
  return absl::OkStatus();
}

absl::Status EmbeddedConnection::AlterAlias(const std::string& collection,
                                            const std::string& alias,
                                            const CallOptions& call) {
  absl::ReaderMutexLock ops(&op_mu_);
  absl::MutexLock lock(&mu_);
  COVE_ASSIGN_OR_RETURN(auto db, Db(call));
  if (db->collections.count(collection) == 0) return NotFound(collection);
  auto it = db->aliases.find(alias);
  if (it == db->aliases.end()) {
    return absl::NotFoundError(absl::StrCat("alias '", alias, "' not found"));
  }
  COVE_RETURN_IF_ERROR(
      LogAlias(engine::RecordType::kAlterAlias, call, collection, alias));
  it->second = collection;
  return absl::OkStatus();
}

absl::StatusOr<AliasDescription> EmbeddedConnection::DescribeAlias(
    const std::string& alias, const CallOptions& call) {
  absl::MutexLock lock(&mu_);
  COVE_ASSIGN_OR_RETURN(auto db, Db(call));
  auto it = db->aliases.find(alias);
  if (it == db->aliases.end()) {
    return absl::NotFoundError(absl::StrCat("alias '", alias, "' not found"));
  }
  return AliasDescription{alias, it->second, DbName(call)};
}

absl::StatusOr<std::vector<std::string>> EmbeddedConnection::ListAliases(
    const std::string& collection, const CallOptions& call) {
  absl::MutexLock lock(&mu_);
  COVE_ASSIGN_OR_RETURN(auto db, Db(call));
  if (collection.empty()) {
    std::vector<std::string> all;
    for (const auto& [alias, target] : db->aliases) all.push_back(alias);
    return all;
  }
  if (db->collections.count(collection) == 0) return NotFound(collection);
  return AliasesOf(*db, collection);
}

}  // namespace cove::internal
