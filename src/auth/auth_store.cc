// The users, roles and grants of a Cove server.
#include "auth/auth_store.h"

#include <algorithm>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"

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

absl::Status AuthStore::CreateUser(const std::string& user,
                                   const std::string& password) {
  if (absl::Status s = ValidateUserName("username", user); !s.ok()) return s;
  if (absl::Status s = ValidatePassword(password); !s.ok()) return s;
  {
    absl::ReaderMutexLock lock(&mu_);
    if (users_.count(user) != 0) {
      return absl::AlreadyExistsError(
          absl::StrCat("user '", user, "' already exists"));
    }
  }
  auto hash = HashPassword(password, options_.pbkdf2_iterations);
  if (!hash.ok()) return hash.status();
  absl::MutexLock lock(&mu_);
  auto [it, inserted] = users_.try_emplace(user);
  if (!inserted) {
    return absl::AlreadyExistsError(
        absl::StrCat("user '", user, "' already exists"));
  }
  it->second.password = *std::move(hash);
  return absl::OkStatus();
}

absl::Status AuthStore::UpdatePassword(const std::string& user,
                                       const std::string& old_password,
                                       const std::string& new_password,
                                       bool check_old) {
  if (absl::Status s = ValidatePassword(new_password); !s.ok()) return s;
  if (check_old) {
    if (absl::Status s = Authenticate(user, old_password); !s.ok()) {
      return absl::UnauthenticatedError(absl::StrCat(
          "update password of user '", user, "': the old password is wrong"));
    }
  } else if (!HasUser(user)) {
    return absl::NotFoundError(absl::StrCat("user '", user, "' not found"));
  }
  auto hash = HashPassword(new_password, options_.pbkdf2_iterations);
  if (!hash.ok()) return hash.status();
  absl::MutexLock lock(&mu_);
  auto it = users_.find(user);
  if (it == users_.end()) {
    return absl::NotFoundError(absl::StrCat("user '", user, "' not found"));
  }
  it->second.password = *std::move(hash);
  verified_.erase(user);
  return absl::OkStatus();
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
  return absl::OkStatus();
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
  if (absl::Status s = ValidateUserName("role name", role); !s.ok()) return s;
  absl::MutexLock lock(&mu_);
  if (!roles_.try_emplace(role).second) {
    return absl::AlreadyExistsError(
        absl::StrCat("role '", role, "' already exists"));
  }
  return absl::OkStatus();
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
  return absl::OkStatus();
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
  return absl::OkStatus();
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
  return absl::OkStatus();
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
  return absl::OkStatus();
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
  return absl::OkStatus();
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
      if (!db_name.empty() && g.db_name != "*" &&
          g.db_name != NormDb(db_name)) {
        continue;
      }
      out.push_back(g);
    }
  }
  return out;
}

bool AuthStore::Covers(const std::string& granted, const std::string& wanted) {
  if (granted == wanted || granted == "All" || granted == "*") return true;
  if (granted == "CollectionReadOnly")
    return CollectionReadOnly().count(wanted);
  if (granted == "CollectionReadWrite") {
    return CollectionReadWrite().count(wanted);
  }
  if (granted == "CollectionAdmin") return CollectionAdmin().count(wanted);
  return false;
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
        if (Covers(g.privilege, privilege)) return absl::OkStatus();
      }
    }
  }
  return absl::PermissionDeniedError(
      absl::StrCat("permission denied: user '", user, "' lacks privilege ",
                   privilege, " on ", object_type, " '", object_name,
                   "' in database '", database, "'"));
}

}  // namespace cove::auth
