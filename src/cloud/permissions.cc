// The permission table of the built-in roles and statement matching.
#include "cloud/permissions.h"

#include <map>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"

namespace cove::cloud {

namespace v1 = ::cove::control::v1;

const std::vector<PermissionRow>& PermissionTable() {
  // Columns: owner, billing_admin, member, project.admin,
  // project.read_write, project.read_only.
  static const auto* table = new std::vector<PermissionRow>{
      {"organizations.create", "......"},
      {"organizations.get", "xxx..."},
      {"organizations.update", "x....."},
      {"organizations.delete", "x....."},
      {"members.get", "xxx..."},
      {"members.list", "xxx..."},
      {"members.update", "x....."},
      {"members.delete", "x....."},
      {"invitations.create", "x....."},
      {"invitations.get", "xx...."},
      {"invitations.list", "xx...."},
      {"invitations.revoke", "x....."},
      {"projects.create", "x....."},
      {"projects.get", "xx.xxx"},
      {"projects.list", "xxxxxx"},
      {"projects.update", "xx.x.."},
      {"projects.delete", "x..x.."},
      {"environments.create", "x..x.."},
      {"environments.get", "xx.xxx"},
      {"environments.list", "xx.xxx"},
      {"environments.delete", "x..x.."},
      {"environments.validate", "x..xx."},
      {"environments.rotateToken", "x..x.."},
      {"clusters.create", "x..xx."},
      {"clusters.get", "xx.xxx"},
      {"clusters.list", "xx.xxx"},
      {"clusters.update", "x..xx."},
      {"clusters.scale", "x..xx."},
      {"clusters.suspend", "x..xx."},
      {"clusters.resume", "x..xx."},
      {"clusters.delete", "x..x.."},
      {"clusters.restore", "x..x.."},
      {"clusters.purge", "x..x.."},
      {"apiKeys.create", "x..x.."},
      {"apiKeys.get", "x..x.."},
      {"apiKeys.list", "x..x.."},
      {"apiKeys.update", "x..x.."},
      {"apiKeys.delete", "x..x.."},
      {"roles.create", "x....."},
      {"roles.get", "xxx..."},
      {"roles.list", "xxx..."},
      {"roles.update", "x....."},
      {"roles.delete", "x....."},
      {"roleBindings.create", "x..x.."},
      {"roleBindings.get", "x..x.."},
      {"roleBindings.list", "x..x.."},
      {"roleBindings.delete", "x..x.."},
      {"auditEvents.list", "xx.x.."},
      {"operations.get", "xx.xxx"},
      {"operations.list", "xx.xxx"},
      {"operations.cancel", "x..xx."},
      // Autoscaling and metrics (issue 7).
      {"clusters.getMetrics", "xx.xxx"},
      {"backups.create", "x..xx."},
      {"backups.get", "xx.xxx"},
      {"backups.list", "xx.xxx"},
      {"backups.delete", "x..x.."},
      {"backups.restore", "x..x.."},
      {"backups.updatePolicy", "x..xx."},
      // The data plane's root password (issue 13): cluster admins.
      {"clusters.resetPassword", "x..x.."},
  };
  return *table;
}

bool IsKnownAction(absl::string_view action) {
  for (const PermissionRow& row : PermissionTable()) {
    if (row.action == action) return true;
  }
  return false;
}

const std::vector<v1::Role>& BuiltInRoles() {
  static const auto* roles = [] {
    static constexpr const char* kDisplay[] = {
        "Organization owner",  "Organization billing admin",
        "Organization member", "Project admin",
        "Project read-write",  "Project read-only"};
    auto* out = new std::vector<v1::Role>();
    for (int i = 0; i < kNumBuiltInRoles; ++i) {
      v1::Role role;
      role.set_name(kBuiltInRoleNames[i]);
      role.set_display_name(kDisplay[i]);
      role.set_level(i < 3 ? v1::Role::ORGANIZATION : v1::Role::PROJECT);
      role.set_built_in(true);
      role.set_etag("\"builtin\"");
      v1::Statement* st = role.add_statements();
      st->set_effect(v1::Statement::ALLOW);
      for (const PermissionRow& row : PermissionTable()) {
        if (row.allowed[i] == 'x') st->add_actions(row.action);
      }
      out->push_back(std::move(role));
    }
    return out;
  }();
  return *roles;
}

const v1::Role* FindBuiltInRole(absl::string_view name) {
  for (const v1::Role& role : BuiltInRoles()) {
    if (role.name() == name) return &role;
  }
  return nullptr;
}

bool ActionMatches(absl::string_view pattern, absl::string_view action) {
  if (pattern == "*" || pattern == action) return true;
  if (absl::EndsWith(pattern, ".*")) {
    absl::string_view prefix = pattern.substr(0, pattern.size() - 1);
    return absl::StartsWith(action, prefix);
  }
  return false;
}

bool ResourceMatches(absl::string_view scope, absl::string_view pattern,
                     absl::string_view resource) {
  if (pattern.empty()) {
    return resource == scope ||
           (absl::StartsWith(resource, scope) &&
            resource.size() > scope.size() && resource[scope.size()] == '/');
  }
  std::string full = absl::StartsWith(pattern, "organizations/")
                         ? std::string(pattern)
                         : absl::StrCat(scope, "/", pattern);
  std::vector<absl::string_view> p = absl::StrSplit(full, '/');
  std::vector<absl::string_view> r = absl::StrSplit(resource, '/');
  for (size_t i = 0; i < p.size(); ++i) {
    if (p[i] == "**" && i + 1 == p.size()) return r.size() >= i;
    if (i >= r.size()) return false;
    if (p[i] != "*" && p[i] != r[i]) return false;
  }
  return p.size() == r.size();
}

absl::Status ValidateStatements(
    const google::protobuf::RepeatedPtrField<v1::Statement>& stmts) {
  for (int i = 0; i < stmts.size(); ++i) {
    const v1::Statement& st = stmts[i];
    const std::string field = absl::StrCat("role.statements[", i, "]");
    if (st.effect() != v1::Statement::ALLOW &&
        st.effect() != v1::Statement::DENY) {
      return absl::InvalidArgumentError(
          absl::StrCat(field, ".effect: expected ALLOW or DENY (got ",
                       v1::Statement::Effect_Name(st.effect()), ")"));
    }
    if (st.actions().empty()) {
      return absl::InvalidArgumentError(
          absl::StrCat(field, ".actions: expected at least one (got none)"));
    }
    for (const std::string& a : st.actions()) {
      bool ok = a == "*" || IsKnownAction(a);
      if (!ok && absl::EndsWith(a, ".*")) {
        const std::string prefix = a.substr(0, a.size() - 1);
        for (const PermissionRow& row : PermissionTable()) {
          ok = ok || absl::StartsWith(row.action, prefix);
        }
      }
      if (!ok) {
        return absl::InvalidArgumentError(absl::StrCat(
            field,
            ".actions: expected a known action (as \"clusters.get\"), "
            "\"service.*\" or \"*\" (got '",
            a, "')"));
      }
    }
  }
  return absl::OkStatus();
}

}  // namespace cove::cloud
