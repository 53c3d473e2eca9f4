// The users, roles and grants of a Cove server.
#include "auth/auth_store.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "common/status_macros.h"
#include "nlohmann/json.hpp"

namespace cove::auth {
namespace {

// Privilege groups (Milvus 2.5 built-in collection groups).
const std::set<std::string>& CollectionReadOnly() {
  static const auto* s = new std::set<std::string>{
      "Query",         "Search",         "IndexDetail",
      "GetFlushState", "GetLoadState",   "GetLoadingProgress",
      "HasPartition",  "ShowPartitions", "DescribeCollection",
      "DescribeAlias", "GetStatistics",  "ListAliases"};
  return *s;
}

const std::set<std::string>& CollectionReadWrite() {
  static const auto* s = [] {
    auto* out = new std::set<std::string>(CollectionReadOnly());
    for (const char* p :
         {"Load", "Release", "Insert", "Delete", "Upsert", "Import", "Flush",
          "Compaction", "LoadBalance", "CreateIndex", "DropIndex",
          "CreatePartition", "DropPartition"}) {
      out->insert(p);
    }
    return out;
  }();
  return *s;
}

const std::set<std::string>& CollectionAdmin() {
  static const auto* s = [] {
    auto* out = new std::set<std::string>(CollectionReadWrite());
    out->insert("CreateAlias");
    out->insert("DropAlias");
    return out;
  }();
  return *s;
}

absl::Status ValidateUserName(const std::string& what,
                              const std::string& name) {
  bool ok = !name.empty() && name.size() <= 32 &&
            (absl::ascii_isalpha(name[0]) || name[0] == '_');
  for (char c : name) ok = ok && (absl::ascii_isalnum(c) || c == '_');
  if (!ok) {
    return absl::InvalidArgumentError(absl::StrCat(
        what,
        ": expected 1 to 32 letters, digits or '_', starting with a "
        "letter or '_' (got '",
        name, "')"));
  }
  return absl::OkStatus();
}

absl::Status ValidatePassword(const std::string& password) {
  if (password.size() < 6 || password.size() > 256) {
    return absl::InvalidArgumentError(absl::StrCat(
        "password: expected 6 to 256 characters (got ", password.size(), ")"));
  }
  return absl::OkStatus();
}

std::string NormDb(const std::string& db) {
  return db.empty() ? std::string("default") : db;
}

bool SameGrant(const Grant& a, const Grant& b) {
  return a.role == b.role && a.object_type == b.object_type &&
         a.object_name == b.object_name && a.privilege == b.privilege &&
         NormDb(a.db_name) == NormDb(b.db_name);
}

}  // namespace

AuthStore::AuthStore(Options options) : options_(options) {
  auto key = RandomBytes(32);
  cache_key_ = key.ok() ? *key : std::string();
  roles_[kAdminRole];
  RoleRecord& pub = roles_[kPublicRole];
  for (const char* p : {"DescribeCollection", "ShowCollections"}) {
    Grant g;
    g.role = kPublicRole;
    g.object_type = "Global";
    g.object_name = "*";
    g.privilege = p;
    g.db_name = "*";
    pub.grants.push_back(g);
  }
  Grant g;
  g.role = kPublicRole;
  g.object_type = "Collection";
  g.object_name = "*";
  g.privilege = "IndexDetail";
  g.db_name = "*";
  pub.grants.push_back(g);
}

absl::StatusOr<std::shared_ptr<AuthStore>> AuthStore::Open(Options options) {
  if (options.state_file.empty()) {
    return absl::InvalidArgumentError(
        "state_file: expected a file path (got an empty string)");
  }
  auto store = std::make_shared<AuthStore>(options);
  COVE_RETURN_IF_ERROR(store->LoadFromFile());
  return store;
}

absl::Status AuthStore::LoadFromFile() {
  std::ifstream in(options_.state_file, std::ios::binary);
  if (!in) {
    if (errno == ENOENT) return absl::OkStatus();  // a new store
    return absl::DataLossError(
        absl::StrCat("auth state file '", options_.state_file,
                     "': cannot read (", std::strerror(errno), ")"));
  }
  std::stringstream ss;
  ss << in.rdbuf();
  const auto corrupt = [&](const std::string& why) {
    return absl::DataLossError(absl::StrCat(
        "auth state file '", options_.state_file, "': corrupt (", why, ")"));
  };
  nlohmann::json doc = nlohmann::json::parse(ss.str(), nullptr, false);
  if (doc.is_discarded() || !doc.is_object() || doc.value("version", 0) != 1) {
    return corrupt("expected a JSON object with \"version\": 1");
  }
  std::map<std::string, UserRecord> users;
  std::map<std::string, RoleRecord> roles;
  std::map<std::string, std::set<std::string>> groups;
  try {
    if (doc.contains("privilege_groups")) {  // absent in older files
      for (const auto& [name, g] : doc.at("privilege_groups").items()) {
        for (const auto& p : g) groups[name].insert(p.get<std::string>());
      }
    }
    for (const auto& [name, u] : doc.at("users").items()) {
      UserRecord record;
      std::string salt, hash;
      if (!absl::Base64Unescape(u.at("salt").get<std::string>(), &salt) ||
          !absl::Base64Unescape(u.at("hash").get<std::string>(), &hash)) {
        return corrupt(absl::StrCat("user '", name, "': bad base64"));
      }
      record.password.salt = salt;
      record.password.hash = hash;
      record.password.iterations = u.at("iterations").get<int>();
      for (const auto& r : u.at("roles"))
        record.roles.insert(r.get<std::string>());
      users[name] = std::move(record);
    }
    for (const auto& [name, r] : doc.at("roles").items()) {
      RoleRecord record;
      for (const auto& g : r) {
        Grant grant;
        grant.role = name;
        grant.object_type = g.at("object_type").get<std::string>();
        grant.object_name = g.at("object_name").get<std::string>();
        grant.privilege = g.at("privilege").get<std::string>();
        grant.db_name = g.at("db_name").get<std::string>();
        grant.grantor = g.value("grantor", "");
        record.grants.push_back(std::move(grant));
      }
      roles[name] = std::move(record);
    }
  } catch (const nlohmann::json::exception& e) {
    return corrupt(e.what());
  }
  absl::MutexLock lock(&mu_);
  users_ = std::move(users);
  for (auto& [name, record] : roles) roles_[name] = std::move(record);
  groups_ = std::move(groups);
  verified_.clear();
  return absl::OkStatus();
}

absl::Status AuthStore::SaveLocked() const {
  if (options_.state_file.empty()) return absl::OkStatus();
  nlohmann::json doc = {{"version", 1}};
  nlohmann::json users = nlohmann::json::object();
  for (const auto& [name, u] : users_) {
    users[name] = {
        {"salt", absl::Base64Escape(u.password.salt)},
        {"iterations", u.password.iterations},
        {"hash", absl::Base64Escape(u.password.hash)},
        {"roles", std::vector<std::string>(u.roles.begin(), u.roles.end())}};
  }
  nlohmann::json roles = nlohmann::json::object();
  for (const auto& [name, r] : roles_) {
    nlohmann::json grants = nlohmann::json::array();
    for (const Grant& g : r.grants) {
      grants.push_back({{"object_type", g.object_type},
                        {"object_name", g.object_name},
                        {"privilege", g.privilege},
                        {"db_name", g.db_name},
                        {"grantor", g.grantor}});
    }
    roles[name] = std::move(grants);
  }
  doc["users"] = std::move(users);
  doc["roles"] = std::move(roles);
  nlohmann::json groups = nlohmann::json::object();
  for (const auto& [name, privileges] : groups_) {
    groups[name] =
        std::vector<std::string>(privileges.begin(), privileges.end());
  }
  doc["privilege_groups"] = std::move(groups);
  const std::string text = doc.dump(1);
  const std::string tmp = options_.state_file + ".tmp";
  const auto failed = [&](const char* what) {
    return absl::InternalError(absl::StrCat("auth state file '", tmp,
                                            "': cannot ", what, " (",
                                            std::strerror(errno), ")"));
  };
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) return failed("create");
  size_t done = 0;
  while (done < text.size()) {
    ssize_t n = ::write(fd, text.data() + done, text.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      ::close(fd);
      return failed("write");
    }
    done += static_cast<size_t>(n);
  }
  if (::fsync(fd) != 0) {
    ::close(fd);
    return failed("sync");
  }
  ::close(fd);
  if (::rename(tmp.c_str(), options_.state_file.c_str()) != 0) {
    return failed("rename");
  }
  return absl::OkStatus();
}

absl::Status AuthStore::CreateUser(const std::string& user,
                                   const std::string& password) {
  COVE_RETURN_IF_ERROR(ValidateUserName("username", user));
  COVE_RETURN_IF_ERROR(ValidatePassword(password));
  {
    absl::ReaderMutexLock lock(&mu_);
    if (users_.count(user) != 0) {
      return absl::AlreadyExistsError(
          absl::StrCat("user '", user, "' already exists"));
    }
  }
  COVE_ASSIGN_OR_RETURN(auto hash,
                        HashPassword(password, options_.pbkdf2_iterations));
  absl::MutexLock lock(&mu_);
  auto [it, inserted] = users_.try_emplace(user);
  if (!inserted) {
    return absl::AlreadyExistsError(
        absl::StrCat("user '", user, "' already exists"));
  }
  it->second.password = std::move(hash);
  return SaveLocked();
}

absl::Status AuthStore::UpdatePassword(const std::string& user,
                                       const std::string& old_password,
                                       const std::string& new_password,
                                       bool check_old) {
  COVE_RETURN_IF_ERROR(ValidatePassword(new_password));
  if (check_old) {
    if (absl::Status s = Authenticate(user, old_password); !s.ok()) {
      return absl::UnauthenticatedError(absl::StrCat(
          "update password of user '", user, "': the old password is wrong"));
    }
  } else if (!HasUser(user)) {
    return absl::NotFoundError(absl::StrCat("user '", user, "' not found"));
  }
  COVE_ASSIGN_OR_RETURN(auto hash,
                        HashPassword(new_password, options_.pbkdf2_iterations));
  absl::MutexLock lock(&mu_);
  auto it = users_.find(user);
  if (it == users_.end()) {
    return absl::NotFoundError(absl::StrCat("user '", user, "' not found"));
  }
  it->second.password = std::move(hash);
  verified_.erase(user);
  return SaveLocked();
}

absl::Status AuthStore::DeleteUser(const std::string& user) {
  if (user == kRootUser) {
    return absl::InvalidArgumentError("user 'root': cannot be deleted");
  }
  absl::MutexLock lock(&mu_);
  if (users_.erase(user) == 0) {
    return absl::NotFoundError(absl::StrCat("user '", user, "' not found"));
  }
  verified_.erase(user);
  return SaveLocked();
}

std::vector<std::string> AuthStore::ListUsers() const {
  absl::ReaderMutexLock lock(&mu_);
  std::vector<std::string> out;
  for (const auto& [name, record] : users_) out.push_back(name);
  return out;
}

bool AuthStore::HasUser(const std::string& user) const {
  absl::ReaderMutexLock lock(&mu_);
  return users_.count(user) != 0;
}

absl::StatusOr<UserInfo> AuthStore::DescribeUser(
    const std::string& user) const {
  absl::ReaderMutexLock lock(&mu_);
  auto it = users_.find(user);
  if (it == users_.end()) {
    return absl::NotFoundError(absl::StrCat("user '", user, "' not found"));
  }
  UserInfo info;
  info.name = user;
  info.roles.assign(it->second.roles.begin(), it->second.roles.end());
  return info;
}

absl::Status AuthStore::Authenticate(const std::string& user,
                                     const std::string& password) {
  const absl::Status denied = absl::UnauthenticatedError(absl::StrCat(
      "authentication: wrong user name or password (user '", user, "')"));
  const std::string tag = HmacSha256(cache_key_, password);
  PasswordHash stored;
  {
    absl::ReaderMutexLock lock(&mu_);
    auto it = users_.find(user);
    if (it == users_.end()) return denied;
    auto v = verified_.find(user);
    if (v != verified_.end() && ConstantTimeEquals(v->second, tag)) {
      return absl::OkStatus();
    }
    stored = it->second.password;
  }
  if (!VerifyPassword(password, stored)) return denied;
  absl::MutexLock lock(&mu_);
  auto it = users_.find(user);
  // Only remember the tag if the password did not change meanwhile.
  if (it != users_.end() && it->second.password.hash == stored.hash) {
    verified_[user] = tag;
  }
  return absl::OkStatus();
}

absl::Status AuthStore::CreateRole(const std::string& role) {
  COVE_RETURN_IF_ERROR(ValidateUserName("role name", role));
  absl::MutexLock lock(&mu_);
  if (!roles_.try_emplace(role).second) {
    return absl::AlreadyExistsError(
        absl::StrCat("role '", role, "' already exists"));
  }
  return SaveLocked();
}

absl::Status AuthStore::DropRole(const std::string& role, bool force) {
  if (role == kAdminRole || role == kPublicRole) {
    return absl::InvalidArgumentError(
        absl::StrCat("role '", role, "': built-in roles cannot be dropped"));
  }
  absl::MutexLock lock(&mu_);
  auto it = roles_.find(role);
  if (it == roles_.end()) {
    return absl::NotFoundError(absl::StrCat("role '", role, "' not found"));
  }
  if (!force && !it->second.grants.empty()) {
    return absl::FailedPreconditionError(
        absl::StrCat("role '", role, "' still has ", it->second.grants.size(),
                     " grants; revoke them first or drop with force"));
  }
  roles_.erase(it);
  for (auto& [name, user] : users_) user.roles.erase(role);
  return SaveLocked();
}

absl::StatusOr<std::vector<RoleInfo>> AuthStore::ListRoles(
    const std::string& only_role) const {
  absl::ReaderMutexLock lock(&mu_);
  if (!only_role.empty() && roles_.count(only_role) == 0) {
    return absl::NotFoundError(
        absl::StrCat("role '", only_role, "' not found"));
  }
  std::vector<RoleInfo> out;
  for (const auto& [name, record] : roles_) {
    if (!only_role.empty() && name != only_role) continue;
    RoleInfo info;
    info.name = name;
    for (const auto& [user, u] : users_) {
      if (u.roles.count(name) != 0) info.users.push_back(user);
    }
    out.push_back(std::move(info));
  }
  return out;
}

absl::Status AuthStore::GrantRole(const std::string& user,
                                  const std::string& role) {
  absl::MutexLock lock(&mu_);
  auto u = users_.find(user);
  if (u == users_.end()) {
    return absl::NotFoundError(absl::StrCat("user '", user, "' not found"));
  }
  if (roles_.count(role) == 0) {
    return absl::NotFoundError(absl::StrCat("role '", role, "' not found"));
  }
  u->second.roles.insert(role);
  return SaveLocked();
}

absl::Status AuthStore::RevokeRole(const std::string& user,
                                   const std::string& role) {
  absl::MutexLock lock(&mu_);
  auto u = users_.find(user);
  if (u == users_.end()) {
    return absl::NotFoundError(absl::StrCat("user '", user, "' not found"));
  }
  if (roles_.count(role) == 0) {
    return absl::NotFoundError(absl::StrCat("role '", role, "' not found"));
  }
  u->second.roles.erase(role);
  return SaveLocked();
}

absl::Status AuthStore::GrantPrivilege(const Grant& grant) {
  if (grant.object_type != "Global" && grant.object_type != "Collection" &&
      grant.object_type != "User") {
    return absl::InvalidArgumentError(absl::StrCat(
        "grant object_type: expected Global, Collection or User (got '",
        grant.object_type, "')"));
  }
  if (grant.privilege.empty()) {
    return absl::InvalidArgumentError("grant privilege: must not be empty");
  }
  absl::MutexLock lock(&mu_);
  auto it = roles_.find(grant.role);
  if (it == roles_.end()) {
    return absl::NotFoundError(
        absl::StrCat("role '", grant.role, "' not found"));
  }
  for (const Grant& g : it->second.grants) {
    if (SameGrant(g, grant)) return absl::OkStatus();
  }
  Grant g = grant;
  if (g.object_name.empty()) g.object_name = "*";
  g.db_name = NormDb(g.db_name);
  it->second.grants.push_back(std::move(g));
  return SaveLocked();
}

absl::Status AuthStore::RevokePrivilege(const Grant& grant) {
  absl::MutexLock lock(&mu_);
  auto it = roles_.find(grant.role);
  if (it == roles_.end()) {
    return absl::NotFoundError(
        absl::StrCat("role '", grant.role, "' not found"));
  }
  Grant wanted = grant;
  if (wanted.object_name.empty()) wanted.object_name = "*";
  auto& grants = it->second.grants;
  auto g = std::find_if(grants.begin(), grants.end(),
                        [&](const Grant& x) { return SameGrant(x, wanted); });
  if (g == grants.end()) {
    return absl::NotFoundError(absl::StrCat(
        "grant of ", grant.privilege, " on ", grant.object_type, " '",
        wanted.object_name, "' to role '", grant.role, "' not found"));
  }
  grants.erase(g);
  return SaveLocked();
}

absl::StatusOr<std::vector<Grant>> AuthStore::ListGrants(
    const std::string& role, const std::string& object_type,
    const std::string& object_name, const std::string& db_name) const {
  absl::ReaderMutexLock lock(&mu_);
  if (!role.empty() && roles_.count(role) == 0) {
    return absl::NotFoundError(absl::StrCat("role '", role, "' not found"));
  }
  std::vector<Grant> out;
  for (const auto& [name, record] : roles_) {
    if (!role.empty() && name != role) continue;
    for (const Grant& g : record.grants) {
      if (!object_type.empty() && g.object_type != object_type) continue;
      if (!object_name.empty() && g.object_name != object_name) continue;
      if (!db_name.empty() && db_name != "*" && g.db_name != "*" &&
          g.db_name != NormDb(db_name)) {
        continue;
      }
      out.push_back(g);
    }
  }
  return out;
}

bool AuthStore::CoversLocked(const std::string& granted,
                             const std::string& wanted) const {
  if (granted == wanted || granted == "All" || granted == "*") return true;
  for (const std::string& p : BuiltinGroupPrivileges(granted)) {
    if (p == wanted) return true;
  }
  auto custom = groups_.find(granted);
  return custom != groups_.end() && custom->second.count(wanted) != 0;
}

absl::Status AuthStore::Check(const std::string& user,
                              const std::string& privilege,
                              const std::string& object_type,
                              const std::string& object_name,
                              const std::string& db) const {
  if (user == kRootUser) return absl::OkStatus();
  const std::string database = NormDb(db);
  absl::ReaderMutexLock lock(&mu_);
  auto u = users_.find(user);
  if (u != users_.end()) {
    std::set<std::string> roles = u->second.roles;
    roles.insert(kPublicRole);
    for (const std::string& role : roles) {
      if (role == kAdminRole) return absl::OkStatus();
      auto r = roles_.find(role);
      if (r == roles_.end()) continue;
      for (const Grant& g : r->second.grants) {
        if (g.object_type != object_type) continue;
        if (g.object_name != "*" && g.object_name != object_name) continue;
        if (g.db_name != "*" && g.db_name != database) continue;
        if (CoversLocked(g.privilege, privilege)) return absl::OkStatus();
      }
    }
  }
  return absl::PermissionDeniedError(
      absl::StrCat("permission denied: user '", user, "' lacks privilege ",
                   privilege, " on ", object_type, " '", object_name,
                   "' in database '", database, "'"));
}

// --- privilege groups
// ---------------------------------------------------------

namespace {

// Milvus 2.5's built-in cluster and database groups.
const std::vector<std::string>& ClusterReadOnly() {
  static const auto* v = new std::vector<std::string>{
      "ListDatabases",         "SelectOwnership",    "SelectUser",
      "DescribeResourceGroup", "ListResourceGroups", "ListPrivilegeGroups"};
  return *v;
}
std::vector<std::string> ClusterReadWrite() {
  std::vector<std::string> v = ClusterReadOnly();
  for (const char* p : {"FlushAll", "TransferNode", "TransferReplica",
                        "UpdateResourceGroups"}) {
    v.push_back(p);
  }
  return v;
}
std::vector<std::string> ClusterAdmin() {
  std::vector<std::string> v = ClusterReadWrite();
  for (const char* p :
       {"BackupRBAC", "RestoreRBAC", "CreateDatabase", "DropDatabase",
        "CreateOwnership", "DropOwnership", "ManageOwnership",
        "CreateResourceGroup", "DropResourceGroup", "UpdateUser",
        "RenameCollection", "CreatePrivilegeGroup", "DropPrivilegeGroup",
        "OperatePrivilegeGroup"}) {
    v.push_back(p);
  }
  return v;
}
std::vector<std::string> DatabaseReadOnly() {
  return {"ShowCollections", "DescribeDatabase"};
}
std::vector<std::string> DatabaseReadWrite() {
  std::vector<std::string> v = DatabaseReadOnly();
  v.push_back("AlterDatabase");
  return v;
}
std::vector<std::string> DatabaseAdmin() {
  std::vector<std::string> v = DatabaseReadWrite();
  v.push_back("CreateCollection");
  v.push_back("DropCollection");
  return v;
}

}  // namespace

const std::vector<std::string>& AuthStore::BuiltinGroups() {
  static const auto* v = new std::vector<std::string>{
      "ClusterReadOnly",    "ClusterReadWrite",    "ClusterAdmin",
      "DatabaseReadOnly",   "DatabaseReadWrite",   "DatabaseAdmin",
      "CollectionReadOnly", "CollectionReadWrite", "CollectionAdmin"};
  return *v;
}

std::vector<std::string> AuthStore::BuiltinGroupPrivileges(
    const std::string& group) {
  if (group == "ClusterReadOnly") return ClusterReadOnly();
  if (group == "ClusterReadWrite") return ClusterReadWrite();
  if (group == "ClusterAdmin") return ClusterAdmin();
  if (group == "DatabaseReadOnly") return DatabaseReadOnly();
  if (group == "DatabaseReadWrite") return DatabaseReadWrite();
  if (group == "DatabaseAdmin") return DatabaseAdmin();
  const std::set<std::string>* set = nullptr;
  if (group == "CollectionReadOnly") set = &CollectionReadOnly();
  if (group == "CollectionReadWrite") set = &CollectionReadWrite();
  if (group == "CollectionAdmin") set = &CollectionAdmin();
  if (set == nullptr) return {};
  return std::vector<std::string>(set->begin(), set->end());
}

bool AuthStore::IsCollectionPrivilege(const std::string& privilege) {
  return CollectionAdmin().count(privilege) != 0;
}

bool AuthStore::IsPrivilegeGroup(const std::string& name) const {
  if (!BuiltinGroupPrivileges(name).empty()) return true;
  absl::ReaderMutexLock lock(&mu_);
  return groups_.count(name) != 0;
}

absl::Status AuthStore::CreatePrivilegeGroup(const std::string& group) {
  COVE_RETURN_IF_ERROR(ValidateUserName("privilege group name", group));
  if (!BuiltinGroupPrivileges(group).empty()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "privilege group '", group, "' is built in and cannot be created"));
  }
  absl::MutexLock lock(&mu_);
  if (groups_.count(group) != 0) {
    return absl::AlreadyExistsError(
        absl::StrCat("privilege group '", group, "' already exists"));
  }
  groups_[group];
  return SaveLocked();
}

absl::Status AuthStore::DropPrivilegeGroup(const std::string& group) {
  if (!BuiltinGroupPrivileges(group).empty()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "privilege group '", group, "' is built in and cannot be dropped"));
  }
  absl::MutexLock lock(&mu_);
  if (groups_.count(group) == 0) return absl::OkStatus();
  for (const auto& [role, record] : roles_) {
    for (const Grant& g : record.grants) {
      if (g.privilege == group) {
        return absl::FailedPreconditionError(absl::StrCat(
            "privilege group '", group, "' is still granted to role '", role,
            "'; revoke it first"));
      }
    }
  }
  groups_.erase(group);
  return SaveLocked();
}

absl::Status AuthStore::OperatePrivilegeGroup(
    const std::string& group, const std::vector<std::string>& privileges,
    bool add) {
  if (!BuiltinGroupPrivileges(group).empty()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "privilege group '", group, "' is built in and cannot be changed"));
  }
  absl::MutexLock lock(&mu_);
  auto it = groups_.find(group);
  if (it == groups_.end()) {
    return absl::NotFoundError(
        absl::StrCat("privilege group '", group, "' not found"));
  }
  for (const std::string& p : privileges) {
    if (p.empty() || !BuiltinGroupPrivileges(p).empty() ||
        groups_.count(p) != 0) {
      return absl::InvalidArgumentError(absl::StrCat(
          "privilege group '", group, "': '", p,
          "' is not a privilege (groups hold privileges, not groups)"));
    }
  }
  for (const std::string& p : privileges) {
    if (add) {
      it->second.insert(p);
    } else {
      it->second.erase(p);
    }
  }
  return SaveLocked();
}

std::vector<std::pair<std::string, std::vector<std::string>>>
AuthStore::ListPrivilegeGroups() const {
  std::vector<std::pair<std::string, std::vector<std::string>>> out;
  for (const std::string& g : BuiltinGroups()) {
    out.emplace_back(g, BuiltinGroupPrivileges(g));
  }
  absl::ReaderMutexLock lock(&mu_);
  for (const auto& [name, privileges] : groups_) {
    out.emplace_back(
        name, std::vector<std::string>(privileges.begin(), privileges.end()));
  }
  return out;
}

// --- backup and restore
// --------------------------------------------------------

namespace {

constexpr char kHashScheme[] = "pbkdf2-sha256";

std::string EncodeHash(const PasswordHash& h) {
  return absl::StrCat(kHashScheme, "$", h.iterations, "$",
                      absl::Base64Escape(h.salt), "$",
                      absl::Base64Escape(h.hash));
}

bool DecodeHash(const std::string& text, PasswordHash* out) {
  std::vector<std::string> parts = absl::StrSplit(text, '$');
  return parts.size() == 4 && parts[0] == kHashScheme &&
         absl::SimpleAtoi(parts[1], &out->iterations) && out->iterations > 0 &&
         absl::Base64Unescape(parts[2], &out->salt) &&
         absl::Base64Unescape(parts[3], &out->hash) && !out->hash.empty();
}

}  // namespace

AuthStore::Snapshot AuthStore::Backup() const {
  Snapshot out;
  absl::ReaderMutexLock lock(&mu_);
  for (const auto& [name, u] : users_) {
    if (name == kRootUser) continue;
    out.users.push_back(
        {name, EncodeHash(u.password),
         std::vector<std::string>(u.roles.begin(), u.roles.end())});
  }
  for (const auto& [name, r] : roles_) {
    if (name != kAdminRole && name != kPublicRole) out.roles.push_back(name);
    if (name == kPublicRole) continue;  // built-in grants
    for (const Grant& g : r.grants) out.grants.push_back(g);
  }
  for (const auto& [name, privileges] : groups_) {
    out.groups.emplace_back(
        name, std::vector<std::string>(privileges.begin(), privileges.end()));
  }
  return out;
}

absl::Status AuthStore::Restore(const Snapshot& snapshot) {
  absl::MutexLock lock(&mu_);
  // Check everything first: a failed restore changes nothing.
  std::map<std::string, PasswordHash> hashes;
  for (const Snapshot::User& u : snapshot.users) {
    COVE_RETURN_IF_ERROR(ValidateUserName("restore user", u.name));
    if (users_.count(u.name) != 0) {
      return absl::AlreadyExistsError(
          absl::StrCat("restore RBAC: user '", u.name, "' already exists"));
    }
    if (!DecodeHash(u.password_hash, &hashes[u.name])) {
      return absl::InvalidArgumentError(
          absl::StrCat("restore RBAC: user '", u.name,
                       "': the password is not a cove password hash (expected ",
                       kHashScheme, "$iterations$salt$hash from BackupRBAC)"));
    }
  }
  std::set<std::string> new_roles(snapshot.roles.begin(), snapshot.roles.end());
  for (const std::string& r : snapshot.roles) {
    COVE_RETURN_IF_ERROR(ValidateUserName("restore role", r));
    if (roles_.count(r) != 0) {
      return absl::AlreadyExistsError(
          absl::StrCat("restore RBAC: role '", r, "' already exists"));
    }
  }
  for (const auto& [name, privileges] : snapshot.groups) {
    COVE_RETURN_IF_ERROR(ValidateUserName("restore privilege group", name));
    if (groups_.count(name) != 0 || !BuiltinGroupPrivileges(name).empty()) {
      return absl::AlreadyExistsError(absl::StrCat(
          "restore RBAC: privilege group '", name, "' already exists"));
    }
  }
  for (const Grant& g : snapshot.grants) {
    if (roles_.count(g.role) == 0 && new_roles.count(g.role) == 0) {
      return absl::NotFoundError(
          absl::StrCat("restore RBAC: grant to unknown role '", g.role, "'"));
    }
  }
  for (const Snapshot::User& u : snapshot.users) {
    for (const std::string& r : u.roles) {
      if (roles_.count(r) == 0 && new_roles.count(r) == 0) {
        return absl::NotFoundError(absl::StrCat(
            "restore RBAC: user '", u.name, "' has unknown role '", r, "'"));
      }
    }
  }
  for (const std::string& r : snapshot.roles) roles_[r];
  for (const auto& [name, privileges] : snapshot.groups) {
    groups_[name].insert(privileges.begin(), privileges.end());
  }
  for (const Grant& g : snapshot.grants) {
    Grant copy = g;
    if (copy.object_name.empty()) copy.object_name = "*";
    copy.db_name = NormDb(copy.db_name);
    auto& grants = roles_[g.role].grants;
    bool have = false;
    for (const Grant& x : grants) have = have || SameGrant(x, copy);
    if (!have) grants.push_back(std::move(copy));
  }
  for (const Snapshot::User& u : snapshot.users) {
    UserRecord record;
    record.password = hashes[u.name];
    record.roles.insert(u.roles.begin(), u.roles.end());
    users_[u.name] = std::move(record);
  }
  return SaveLocked();
}

}  // namespace cove::auth
