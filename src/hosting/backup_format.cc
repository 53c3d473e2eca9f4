// Backup files: export through a Connection, verify, restore.
#include "hosting/backup_format.h"

#include <openssl/evp.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <optional>
#include <set>

#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "auth/password.h"
#include "common/files.h"
#include "common/status_macros.h"
#include "common/value_json.h"
#include "hosting/ids.h"
#include "hosting/private_files.h"
#include "nlohmann/json.hpp"

namespace cove::hosting {
namespace {

using json = nlohmann::json;

constexpr char kFormat[] = "cove-backup/1";
constexpr char kManifest[] = "manifest.json";
constexpr char kDefaultDb[] = "default";
constexpr int64_t kPage = 1000;

std::string Sha256Hex(const std::string& data) {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_Digest(data.data(), data.size(), md, &len, EVP_sha256(), nullptr);
  return absl::BytesToHexString(
      absl::string_view(reinterpret_cast<const char*>(md), len));
}

absl::StatusOr<std::string> ReadFile(const std::string& path) {
  return internal::ReadFile("backup file", path, absl::StatusCode::kDataLoss);
}

// ---- values

// Values in their exact JSON form (common/value_json.h): every kind and
// every number comes back equal.
json EncodeValue(const Value& v) { return internal::ValueToExactJson(v); }

absl::StatusOr<Value> DecodeValue(const json& j) {
  absl::StatusOr<Value> v = internal::ValueFromExactJson(j);
  if (!v.ok()) {
    return absl::DataLossError(
        absl::StrCat("backup data: ", v.status().message()));
  }
  return v;
}

// ---- schemas and indexes

json EncodeSchema(const CollectionSchema& s) {
  json fields = json::array();
  for (const FieldSchema& f : s.fields) {
    json jf = {{"name", f.name},
               {"type", static_cast<int>(f.type)},
               {"description", f.description},
               {"is_primary_key", f.is_primary_key},
               {"auto_id", f.auto_id},
               {"max_length", f.max_length},
               {"dim", f.dim},
               {"element_type", static_cast<int>(f.element_type)},
               {"max_capacity", f.max_capacity},
               {"nullable", f.nullable}};
    if (f.default_value.has_value())
      jf["default_value"] = EncodeValue(*f.default_value);
    fields.push_back(std::move(jf));
  }
  return {{"fields", fields},
          {"enable_dynamic_field", s.enable_dynamic_field},
          {"description", s.description}};
}

absl::StatusOr<CollectionSchema> DecodeSchema(const json& j) {
  CollectionSchema s;
  try {
    s.enable_dynamic_field = j.at("enable_dynamic_field").get<bool>();
    s.description = j.at("description").get<std::string>();
    for (const json& jf : j.at("fields")) {
      FieldSchema f;
      f.name = jf.at("name").get<std::string>();
      f.type = static_cast<DataType>(jf.at("type").get<int>());
      f.description = jf.at("description").get<std::string>();
      f.is_primary_key = jf.at("is_primary_key").get<bool>();
      f.auto_id = jf.at("auto_id").get<bool>();
      f.max_length = jf.at("max_length").get<int64_t>();
      f.dim = jf.at("dim").get<int64_t>();
      f.element_type = static_cast<DataType>(jf.at("element_type").get<int>());
      f.max_capacity = jf.at("max_capacity").get<int64_t>();
      f.nullable = jf.at("nullable").get<bool>();
      if (jf.contains("default_value")) {
        COVE_ASSIGN_OR_RETURN(f.default_value,
                              DecodeValue(jf["default_value"]));
      }
      s.fields.push_back(std::move(f));
    }
  } catch (const json::exception& e) {
    return absl::DataLossError(
        absl::StrCat("backup catalog: a schema is malformed (", e.what(), ")"));
  }
  return s;
}

template <typename E>
absl::StatusOr<E> EnumFromName(const std::string& name,
                               const char* (*to_name)(E), int count,
                               const char* what) {
  for (int i = 0; i < count; ++i) {
    if (name == to_name(static_cast<E>(i))) return static_cast<E>(i);
  }
  return absl::DataLossError(
      absl::StrCat("backup catalog: unknown ", what, " '", name, "'"));
}

json EncodeIndex(const IndexDescription& d) {
  json params = json::object();
  for (const auto& [k, v] : d.params) params[k] = v;
  return {{"index_name", d.index_name},
          {"field_name", d.field_name},
          {"index_type", IndexTypeName(d.index_type)},
          {"metric_type", MetricTypeName(d.metric_type)},
          {"params", params}};
}

absl::StatusOr<IndexSpec> DecodeIndex(const json& j) {
  IndexSpec spec;
  try {
    spec.index_name = j.at("index_name").get<std::string>();
    spec.field_name = j.at("field_name").get<std::string>();
    COVE_ASSIGN_OR_RETURN(
        spec.index_type,
        EnumFromName<IndexType>(j.at("index_type").get<std::string>(),
                                &IndexTypeName, 6, "index type"));
    COVE_ASSIGN_OR_RETURN(
        spec.metric_type,
        EnumFromName<MetricType>(j.at("metric_type").get<std::string>(),
                                 &MetricTypeName, 3, "metric"));
    for (const auto& [k, v] : j.at("params").items())
      spec.params[k] = v.get<std::string>();
  } catch (const json::exception& e) {
    return absl::DataLossError(
        absl::StrCat("backup catalog: an index is malformed (", e.what(), ")"));
  }
  return spec;
}

CallOptions InDb(const std::string& db) {
  CallOptions call;
  call.db_name = db;
  return call;
}

// ---- reading a backup

struct Catalog {
  json manifest;
  json collections;  // array
};

// A file name a manifest may list: a plain name in the backup directory.
bool SafeFileName(const std::string& name) {
  return !name.empty() && name != "." && name != ".." &&
         name.find('/') == std::string::npos && name != kManifest &&
         name.find('\0') == std::string::npos;
}

// The manifest of `dir`. With `owner`: FailedPrecondition when it belongs to
// another backup (one without an owner is from an earlier version).
absl::StatusOr<json> ReadManifest(const std::string& dir,
                                  const std::string& owner = "") {
  const std::string path = dir + "/" + kManifest;
  COVE_ASSIGN_OR_RETURN(auto text, ReadFile(path));
  json m = json::parse(text, nullptr, false);
  if (m.is_discarded() || !m.is_object() || m.value("format", "") != kFormat ||
      !m.contains("files") || !m["files"].is_array()) {
    return absl::DataLossError(
        absl::StrCat("backup file '", path, "': not a ", kFormat, " manifest"));
  }
  for (const json& f : m["files"]) {
    if (!f.is_object() || !f.contains("name") || !f["name"].is_string() ||
        !SafeFileName(f["name"].get<std::string>())) {
      return absl::DataLossError(absl::StrCat(
          "backup file '", path, "': lists a file name that is not allowed"));
    }
  }
  const std::string recorded = m.value("owner", "");
  if (!owner.empty() && !recorded.empty() && recorded != owner) {
    return absl::FailedPreconditionError(absl::StrCat(
        "backup directory '", dir,
        "': holds the files of another backup, not of '", owner, "'"));
  }
  if (!m.value("complete", true)) {
    return absl::DataLossError(absl::StrCat(
        "backup file '", path,
        "': the backup was not completed (interrupted while written)"));
  }
  return m;
}

// Reads `name` of the backup, checks it against the manifest and opens it.
absl::StatusOr<std::string> ReadVerified(const std::string& dir,
                                         const json& manifest,
                                         const std::string& name,
                                         const internal::Cipher* cipher) {
  const std::string path = dir + "/" + name;
  const json* entry = nullptr;
  for (const json& f : manifest["files"]) {
    if (f.value("name", "") == name) entry = &f;
  }
  if (entry == nullptr) {
    return absl::DataLossError(
        absl::StrCat("backup file '", path, "': not listed in the manifest"));
  }
  COVE_ASSIGN_OR_RETURN(auto data, ReadFile(path));
  if (static_cast<int64_t>(data.size()) != entry->value("bytes", int64_t{-1}) ||
      Sha256Hex(data) != entry->value("sha256", "")) {
    return absl::DataLossError(absl::StrCat(
        "backup file '", path, "': checksum mismatch (the file is corrupt)"));
  }
  if (!manifest.value("encrypted", false)) return data;
  if (cipher == nullptr) {
    return absl::FailedPreconditionError(absl::StrCat(
        "backup file '", path, "': encrypted, and no key was given"));
  }
  auto plain = cipher->Open(data, name);
  if (!plain.ok()) {
    return absl::DataLossError(absl::StrCat("backup file '", path,
                                            "': does not decrypt (",
                                            plain.status().message(), ")"));
  }
  return plain;
}

absl::StatusOr<Catalog> ReadCatalog(const std::string& dir,
                                    const internal::Cipher* cipher,
                                    const std::string& owner) {
  Catalog c;
  COVE_ASSIGN_OR_RETURN(c.manifest, ReadManifest(dir, owner));
  if (c.manifest.value("encrypted", false) && cipher != nullptr &&
      c.manifest.value("key_id", "") != cipher->KeyId()) {
    return absl::FailedPreconditionError(
        absl::StrCat("backup '", dir, "': encrypted with key ",
                     c.manifest.value("key_ref", std::string("?")),
                     " (fingerprint ", c.manifest.value("key_id", ""),
                     "), not with the key given (", cipher->KeyId(), ")"));
  }
  const std::string name = c.manifest.value("encrypted", false)
                               ? "catalog.json.enc"
                               : "catalog.json";
  COVE_ASSIGN_OR_RETURN(auto text, ReadVerified(dir, c.manifest, name, cipher));
  json cat = json::parse(text, nullptr, false);
  if (cat.is_discarded() || !cat.is_object() || !cat.contains("collections") ||
      !cat["collections"].is_array()) {
    return absl::DataLossError(
        absl::StrCat("backup file '", dir, "/", name, "': malformed catalog"));
  }
  c.collections = cat["collections"];
  return c;
}

// The catalog entries selected by `refs` (all when empty).
absl::StatusOr<std::vector<json>> Select(const Catalog& c,
                                         const std::vector<CollectionRef>& refs,
                                         const std::string& dir) {
  std::vector<json> out;
  for (const json& e : c.collections) {
    if (refs.empty()) out.push_back(e);
  }
  for (const CollectionRef& r : refs) {
    bool found = false;
    for (const json& e : c.collections) {
      if (e.value("db", "") == r.db && e.value("name", "") == r.name) {
        out.push_back(e);
        found = true;
      }
    }
    if (!found) {
      return absl::NotFoundError(absl::StrCat(
          "collections: '", r.Display(), "' is not in the backup '", dir, "'"));
    }
  }
  return out;
}

absl::Status Conflicts(Connection& conn, const std::vector<json>& selected,
                       bool overwrite) {
  if (overwrite) return absl::OkStatus();
  for (const json& e : selected) {
    const std::string db = e.value("db", "");
    const std::string name = e.value("name", "");
    COVE_ASSIGN_OR_RETURN(auto dbs, conn.ListDatabases(CallOptions{}));
    if (std::find(dbs.begin(), dbs.end(), db) == dbs.end()) continue;
    COVE_ASSIGN_OR_RETURN(bool has, conn.HasCollection(name, InDb(db)));
    if (has) {
      return absl::AlreadyExistsError(absl::StrCat(
          "collection '", CollectionRef{db, name}.Display(),
          "' already exists in the target cluster; drop it, restore other "
          "collections, or set overwrite"));
    }
  }
  return absl::OkStatus();
}

}  // namespace

std::string CollectionRef::Display() const {
  return db == kDefaultDb ? name : absl::StrCat(db, ".", name);
}

absl::StatusOr<std::vector<CollectionRef>> ParseCollectionRefs(
    const std::string& field, const std::vector<std::string>& refs) {
  std::vector<CollectionRef> out;
  std::set<std::pair<std::string, std::string>> seen;
  for (const std::string& r : refs) {
    std::vector<std::string> parts = absl::StrSplit(r, '.');
    CollectionRef ref;
    if (parts.size() == 1) {
      ref = {kDefaultDb, parts[0]};
    } else if (parts.size() == 2) {
      ref = {parts[0], parts[1]};
    }
    if (parts.size() > 2 || ref.db.empty() || ref.name.empty()) {
      return absl::InvalidArgumentError(absl::StrCat(
          field, ": expected 'collection' or 'database.collection' (got '", r,
          "')"));
    }
    if (!seen.insert({ref.db, ref.name}).second) {
      return absl::InvalidArgumentError(
          absl::StrCat(field, ": '", r, "' is listed twice"));
    }
    out.push_back(std::move(ref));
  }
  return out;
}

absl::StatusOr<BackupSummary> WriteBackup(
    Connection& conn, const std::vector<CollectionRef>& collections,
    const std::string& dir, const internal::Cipher& cipher,
    const std::string& key_ref, const std::string& owner) {
  COVE_RETURN_IF_ERROR(MakeNewPrivateDir("backup directory", dir));
  BackupSummary summary;
  // The manifest lists each file before it is written (bytes -1), so that
  // the files of an interrupted backup are found; it is rewritten
  // atomically after each file, and marked complete at the end.
  json manifest = {{"format", kFormat},     {"owner", owner},
                   {"complete", false},     {"encrypted", true},
                   {"key_ref", key_ref},    {"key_id", cipher.KeyId()},
                   {"files", json::array()}};
  const auto save_manifest = [&]() -> absl::Status {
    return WritePrivateFile("backup file", dir + "/" + kManifest,
                            manifest.dump(2));
  };
  const auto put = [&](const std::string& name,
                       const std::string& plain) -> absl::Status {
    COVE_ASSIGN_OR_RETURN(std::string data, cipher.Seal(plain, name));
    manifest["files"].push_back(
        {{"name", name}, {"bytes", int64_t{-1}}, {"sha256", ""}});
    COVE_RETURN_IF_ERROR(save_manifest());
    COVE_RETURN_IF_ERROR(
        WriteNewPrivateFile("backup file", dir + "/" + name, data));
    json& entry = manifest["files"].back();
    entry["bytes"] = static_cast<int64_t>(data.size());
    entry["sha256"] = Sha256Hex(data);
    summary.bytes += static_cast<int64_t>(data.size());
    return absl::OkStatus();
  };
  const auto run = [&]() -> absl::Status {
    COVE_RETURN_IF_ERROR(save_manifest());
    std::vector<CollectionRef> refs = collections;
    if (refs.empty()) {
      COVE_ASSIGN_OR_RETURN(auto dbs, conn.ListDatabases(CallOptions{}));
      for (const std::string& db : dbs) {
        COVE_ASSIGN_OR_RETURN(auto names, conn.ListCollections(InDb(db)));
        for (const std::string& n : names) refs.push_back({db, n});
      }
    }
    json catalog = json::array();
    for (size_t i = 0; i < refs.size(); ++i) {
      const CollectionRef& ref = refs[i];
      const CallOptions call = InDb(ref.db);
      COVE_ASSIGN_OR_RETURN(bool has, conn.HasCollection(ref.name, call));
      if (!has) {
        return absl::NotFoundError(
            absl::StrCat("collections: '", ref.Display(),
                         "' does not exist in the cluster"));
      }
      COVE_ASSIGN_OR_RETURN(auto desc, conn.DescribeCollection(ref.name, call));
      COVE_ASSIGN_OR_RETURN(auto partitions,
                            conn.ListPartitions(ref.name, call));
      COVE_ASSIGN_OR_RETURN(auto indexes, conn.DescribeIndexes(ref.name, call));
      COVE_ASSIGN_OR_RETURN(LoadState load, conn.GetLoadState(ref.name, call));
      const bool was_loaded = load == LoadState::kLoaded;
      if (!was_loaded)
        COVE_RETURN_IF_ERROR(conn.LoadCollection(ref.name, call));
      std::string pk;
      for (const FieldSchema& f : desc.schema.fields) {
        if (f.is_primary_key) pk = f.name;
      }
      // Rows by partition, in primary-key pages.
      std::string lines;
      int64_t rows = 0;
      absl::Status read = absl::OkStatus();
      for (const std::string& p : partitions) {
        std::optional<Value> last;
        while (read.ok()) {
          QueryRequest q;
          q.collection_name = ref.name;
          q.partition_names = {p};
          q.output_fields = {"*"};
          q.limit = kPage;
          if (last.has_value()) {
            q.filter = absl::StrCat(pk, " > {last}");
            q.filter_params["last"] = *last;
          }
          auto page = conn.Query(q, call);
          if (!page.ok()) {
            read = page.status();
            break;
          }
          for (const Row& r : *page) {
            json jr = json::object();
            for (const auto& [k, v] : r) jr[k] = EncodeValue(v);
            lines += json{{"p", p}, {"r", jr}}.dump();
            lines += '\n';
            ++rows;
          }
          if (static_cast<int64_t>(page->size()) < kPage) break;
          last = page->back().at(pk);
        }
      }
      if (!was_loaded) (void)conn.ReleaseCollection(ref.name, call);
      COVE_RETURN_IF_ERROR(read);
      const std::string data_name = absl::StrCat("data-", i, ".jsonl.enc");
      COVE_RETURN_IF_ERROR(put(data_name, lines));
      json jidx = json::array();
      for (const IndexDescription& d : indexes) jidx.push_back(EncodeIndex(d));
      catalog.push_back({{"db", ref.db},
                         {"name", ref.name},
                         {"schema", EncodeSchema(desc.schema)},
                         {"partitions", partitions},
                         {"indexes", jidx},
                         {"loaded", was_loaded},
                         {"rows", rows},
                         {"data", data_name}});
      summary.collections.push_back(ref.Display());
      summary.rows += rows;
    }
    COVE_RETURN_IF_ERROR(
        put("catalog.json.enc", json{{"collections", catalog}}.dump()));
    manifest["complete"] = true;
    return save_manifest();
  };
  absl::Status s = run();
  if (!s.ok()) {
    (void)DeleteBackupFiles(dir, owner);
    return s;
  }
  return summary;
}

absl::Status DeleteBackupFiles(const std::string& dir,
                               const std::string& owner) {
  std::error_code ec;
  if (!std::filesystem::exists(dir, ec)) return absl::OkStatus();
  const auto remove = [&](const std::string& path) -> absl::Status {
    if (::unlink(path.c_str()) != 0 && errno != ENOENT) {
      return absl::UnavailableError(absl::StrCat("backup file '", path,
                                                 "': cannot remove (",
                                                 std::strerror(errno), ")"));
    }
    return absl::OkStatus();
  };
  const std::string manifest_path = dir + "/" + kManifest;
  if (std::filesystem::exists(manifest_path, ec)) {
    COVE_ASSIGN_OR_RETURN(auto text, ReadFile(manifest_path));
    json m = json::parse(text, nullptr, false);
    if (m.is_discarded() || !m.is_object() || !m.contains("files") ||
        !m["files"].is_array()) {
      return absl::DataLossError(
          absl::StrCat("backup file '", manifest_path,
                       "': not a manifest; the directory was left as it is"));
    }
    const std::string recorded = m.value("owner", "");
    if (!recorded.empty() && recorded != owner) {
      return absl::OkStatus();  // another backup's files: not ours to delete
    }
    for (const json& f : m["files"]) {
      if (!f.is_object() || !f.contains("name") || !f["name"].is_string()) {
        continue;
      }
      const std::string name = f["name"].get<std::string>();
      if (!SafeFileName(name)) continue;
      COVE_RETURN_IF_ERROR(remove(dir + "/" + name));
    }
    COVE_RETURN_IF_ERROR(remove(manifest_path + ".tmp"));
    COVE_RETURN_IF_ERROR(remove(manifest_path));
  }
  // The directory and its parent (<bucket>/backups/<cluster id>) go when
  // nothing else is in them.
  const std::filesystem::path p = std::filesystem::path(dir).lexically_normal();
  if (::rmdir(p.c_str()) == 0 && p.has_parent_path()) {
    (void)::rmdir(p.parent_path().c_str());
  }
  return absl::OkStatus();
}

std::string BackupDataKeyRef(const std::string& cluster_name) {
  const size_t slash = cluster_name.rfind('/');
  return absl::StrCat("keys/backup-", slash == std::string::npos
                                          ? cluster_name
                                          : cluster_name.substr(slash + 1));
}

bool ValidKeyName(const std::string& name) {
  if (ValidateId("key", name).ok()) return true;
  constexpr absl::string_view kData = "backup-";
  return absl::StartsWith(name, kData) &&
         ValidateId("key", name.substr(kData.size())).ok();
}

absl::StatusOr<internal::Cipher> LoadOrCreateDataKey(const std::string& path) {
  std::error_code ec;
  if (!std::filesystem::exists(path, ec)) {
    const std::filesystem::path p(path);
    COVE_RETURN_IF_ERROR(
        MakePrivateDirs("key store", p.parent_path().string()));
    COVE_ASSIGN_OR_RETURN(std::string key,
                          auth::RandomBytes(internal::Cipher::kKeySize));
    absl::Status s = WriteNewPrivateFile("backup data key", path,
                                         absl::BytesToHexString(key) + "\n");
    // Another writer won the race: use its key.
    if (!s.ok() && !absl::IsAlreadyExists(s)) return s;
  }
  auto cipher = internal::Cipher::FromKeyFile(path);
  if (!cipher.ok()) {
    return absl::FailedPreconditionError(
        absl::StrCat("backup data key '", path,
                     "' is unusable: ", cipher.status().message()));
  }
  return cipher;
}

absl::StatusOr<BackupHeader> ReadBackupHeader(const std::string& dir) {
  COVE_ASSIGN_OR_RETURN(json m, ReadManifest(dir));
  BackupHeader h;
  h.encrypted = m.value("encrypted", false);
  h.key_ref = m.value("key_ref", "");
  h.key_id = m.value("key_id", "");
  return h;
}

absl::Status VerifyBackup(const std::string& dir, const std::string& owner) {
  COVE_ASSIGN_OR_RETURN(json m, ReadManifest(dir, owner));
  for (const json& f : m["files"]) {
    const std::string path = dir + "/" + f.value("name", "");
    COVE_ASSIGN_OR_RETURN(auto data, ReadFile(path));
    if (static_cast<int64_t>(data.size()) != f.value("bytes", int64_t{-1}) ||
        Sha256Hex(data) != f.value("sha256", "")) {
      return absl::DataLossError(absl::StrCat(
          "backup file '", path, "': checksum mismatch (the file is corrupt)"));
    }
  }
  return absl::OkStatus();
}

absl::Status CheckBackupSelection(const std::string& dir,
                                  const internal::Cipher* cipher,
                                  const std::vector<CollectionRef>& collections,
                                  const std::string& owner) {
  COVE_ASSIGN_OR_RETURN(Catalog catalog, ReadCatalog(dir, cipher, owner));
  return Select(catalog, collections, dir).status();
}

absl::Status CheckRestoreConflicts(
    Connection& conn, const std::string& dir, const internal::Cipher* cipher,
    const std::vector<CollectionRef>& collections, bool overwrite,
    const std::string& owner) {
  COVE_ASSIGN_OR_RETURN(Catalog catalog, ReadCatalog(dir, cipher, owner));
  COVE_ASSIGN_OR_RETURN(auto selected, Select(catalog, collections, dir));
  return Conflicts(conn, selected, overwrite);
}

absl::StatusOr<BackupSummary> RestoreBackupInto(
    Connection& conn, const std::string& dir, const internal::Cipher* cipher,
    const std::vector<CollectionRef>& collections, bool overwrite,
    const std::string& owner) {
  COVE_RETURN_IF_ERROR(VerifyBackup(dir, owner));
  COVE_ASSIGN_OR_RETURN(Catalog catalog, ReadCatalog(dir, cipher, owner));
  COVE_ASSIGN_OR_RETURN(auto selected, Select(catalog, collections, dir));
  COVE_RETURN_IF_ERROR(Conflicts(conn, selected, overwrite));
  // Decode everything before changing the target.
  struct Item {
    std::string db, name;
    CollectionSchema schema;
    std::vector<IndexSpec> indexes;
    std::vector<std::string> partitions;
    bool loaded = true;
    std::map<std::string, std::vector<Row>> rows;  // by partition
  };
  std::vector<Item> items;
  BackupSummary summary;
  for (const json& e : selected) {
    Item item;
    item.db = e.value("db", "");
    item.name = e.value("name", "");
    item.loaded = e.value("loaded", true);
    COVE_ASSIGN_OR_RETURN(item.schema,
                          DecodeSchema(e.value("schema", json::object())));
    for (const json& ji : e.value("indexes", json::array())) {
      COVE_ASSIGN_OR_RETURN(IndexSpec spec, DecodeIndex(ji));
      item.indexes.push_back(std::move(spec));
    }
    for (const json& p : e.value("partitions", json::array())) {
      if (p.is_string()) item.partitions.push_back(p.get<std::string>());
    }
    const std::string data_name = e.value("data", "");
    COVE_ASSIGN_OR_RETURN(
        auto text, ReadVerified(dir, catalog.manifest, data_name, cipher));
    int64_t n = 0;
    for (absl::string_view line :
         absl::StrSplit(text, '\n', absl::SkipEmpty())) {
      json jl = json::parse(line, nullptr, false);
      if (jl.is_discarded() || !jl.is_object() || !jl.contains("r") ||
          !jl["r"].is_object() || !jl.contains("p") || !jl["p"].is_string()) {
        return absl::DataLossError(absl::StrCat("backup file '", dir, "/",
                                                data_name, "': row ", n + 1,
                                                " is malformed"));
      }
      Row row;
      for (const auto& [k, v] : jl["r"].items()) {
        auto value = DecodeValue(v);
        if (!value.ok()) {
          return absl::DataLossError(
              absl::StrCat("backup file '", dir, "/", data_name, "': row ",
                           n + 1, ": ", value.status().message()));
        }
        row.emplace(k, *std::move(value));
      }
      item.rows[jl["p"].get<std::string>()].push_back(std::move(row));
      ++n;
    }
    if (n != e.value("rows", int64_t{-1})) {
      return absl::DataLossError(absl::StrCat(
          "backup file '", dir, "/", data_name, "': holds ", n,
          " rows, the catalog says ", e.value("rows", int64_t{-1})));
    }
    items.push_back(std::move(item));
  }
  for (const Item& item : items) {
    const CallOptions call = InDb(item.db);
    COVE_ASSIGN_OR_RETURN(auto dbs, conn.ListDatabases(CallOptions{}));
    if (std::find(dbs.begin(), dbs.end(), item.db) == dbs.end()) {
      COVE_RETURN_IF_ERROR(conn.CreateDatabase(item.db, CallOptions{}));
    }
    COVE_ASSIGN_OR_RETURN(bool has, conn.HasCollection(item.name, call));
    if (has) COVE_RETURN_IF_ERROR(conn.DropCollection(item.name, call));
    COVE_RETURN_IF_ERROR(
        conn.CreateCollection(item.name, item.schema, item.indexes, call));
    for (const std::string& p : item.partitions) {
      COVE_ASSIGN_OR_RETURN(bool hp, conn.HasPartition(item.name, p, call));
      if (!hp) COVE_RETURN_IF_ERROR(conn.CreatePartition(item.name, p, call));
    }
    COVE_RETURN_IF_ERROR(conn.LoadCollection(item.name, call));
    bool auto_id = false;
    for (const FieldSchema& f : item.schema.fields)
      auto_id |= f.is_primary_key && f.auto_id;
    for (const auto& [partition, rows] : item.rows) {
      for (size_t at = 0; at < rows.size(); at += kPage) {
        InsertRequest ins;
        ins.collection_name = item.name;
        ins.partition_name = partition;
        ins.rows.assign(rows.begin() + at,
                        rows.begin() + std::min(rows.size(), at + kPage));
        // Upsert keeps the primary keys of auto_id collections.
        COVE_RETURN_IF_ERROR(auto_id ? conn.Upsert(ins, call)
                                     : conn.Insert(ins, call));
        summary.rows += static_cast<int64_t>(ins.rows.size());
      }
    }
    COVE_RETURN_IF_ERROR(conn.Flush(item.name, call));
    if (!item.loaded) (void)conn.ReleaseCollection(item.name, call);
    summary.collections.push_back(CollectionRef{item.db, item.name}.Display());
  }
  return summary;
}

}  // namespace cove::hosting
