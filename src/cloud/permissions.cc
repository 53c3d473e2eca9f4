// The permission table of the built-in roles and statement matching.
#include "cloud/permissions.h"

#include <functional>
#include <map>
#include <set>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "cloud/util.h"

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
      // Licenses and cost (issue 19): whoever may read the project.
      {"projects.estimateCost", "xx.xxx"},
      // Alerts (issue 19): who may change a cluster manages its alerts.
      {"alertRules.create", "x..xx."},
      {"alertRules.get", "xx.xxx"},
      {"alertRules.list", "xx.xxx"},
      {"alertRules.delete", "x..xx."},
      {"alertRules.test", "x..xx."},
      {"alertRules.silence", "x..xx."},
      {"alertRules.update", "x..xx."},
      // Support access with customer approval (issue 19): owners decide.
      {"supportAccess.get", "x....."},
      {"supportAccess.list", "x....."},
      {"supportAccess.approve", "x....."},
      {"supportAccess.deny", "x....."},
      {"supportAccess.revoke", "x....."},
      // Versions and upgrades (issue 19): cluster writers upgrade.
      {"clusters.upgrade", "x..xx."},
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

namespace {

// Does `st`, in a role held on `scope`, match `action` on `resource`?
bool StatementMatches(const v1::Statement& st, absl::string_view scope,
                      absl::string_view action, absl::string_view resource) {
  bool action_match = false;
  for (const std::string& a : st.actions()) {
    action_match = action_match || ActionMatches(a, action);
  }
  if (!action_match) return false;
  if (st.resources().empty()) return true;  // the grant's whole scope
  for (const std::string& r : st.resources()) {
    if (ResourceMatches(scope, r, resource)) return true;
  }
  return false;
}

// A resource pattern as a full path: segments (literal or "*") and whether
// a trailing "**" matches everything below.
struct Glob {
  std::vector<std::string> segments;
  bool below = false;
};

Glob MakeGlob(absl::string_view scope, absl::string_view pattern) {
  std::string full = pattern.empty() ? absl::StrCat(scope, "/**")
                     : absl::StartsWith(pattern, "organizations/")
                         ? std::string(pattern)
                         : absl::StrCat(scope, "/", pattern);
  Glob g;
  g.segments = absl::StrSplit(full, '/');
  if (!g.segments.empty() && g.segments.back() == "**") {
    g.segments.pop_back();
    g.below = true;
  }
  return g;
}

// Could `g` match `r` or a resource below it?
bool MatchesOrBelow(const Glob& g, const std::vector<std::string>& r) {
  const size_t n = std::min(g.segments.size(), r.size());
  for (size_t i = 0; i < n; ++i) {
    if (g.segments[i] != "*" && g.segments[i] != r[i]) return false;
  }
  return g.below || r.size() <= g.segments.size();
}

void AddGlobs(const v1::Role& role, absl::string_view scope, bool deny_too,
              std::vector<Glob>* out) {
  for (const v1::Statement& st : role.statements()) {
    if (!deny_too && st.effect() != v1::Statement::ALLOW) continue;
    if (st.resources().empty()) out->push_back(MakeGlob(scope, ""));
    for (const std::string& r : st.resources()) {
      out->push_back(MakeGlob(scope, r));
    }
  }
}

// The collections below a resource of the hierarchy that authorization
// names: organizations hold projects, projects environments and clusters,
// clusters backups.
std::vector<std::string> ChildCollections(const std::vector<std::string>& r) {
  if (r.size() == 2 && r[0] == "organizations") return {"projects"};
  if (r.size() < 4) return {};
  const std::string& collection = r[r.size() - 2];
  if (collection == "projects") return {"environments", "clusters"};
  if (collection == "clusters") return {"backups"};
  return {};
}

constexpr char kAnyId[] = "{any}";

}  // namespace

bool GrantsAllow(absl::string_view key_scope,
                 const std::vector<RoleGrant>& grants, absl::string_view action,
                 absl::string_view resource) {
  if (!Within(resource, key_scope)) return false;
  bool allowed = false;
  for (const RoleGrant& g : grants) {
    if (g.role == nullptr || !Within(resource, g.scope)) continue;
    for (const v1::Statement& st : g.role->statements()) {
      if (!StatementMatches(st, g.scope, action, resource)) continue;
      if (st.effect() == v1::Statement::DENY) return false;
      if (st.effect() == v1::Statement::ALLOW) allowed = true;
    }
  }
  return allowed;
}

absl::StatusOr<std::optional<Ungrantable>> FindUngrantable(
    absl::string_view granter_key_scope,
    const std::vector<RoleGrant>& granter_grants, const v1::Role& role,
    absl::string_view scope, GrantCheckMode mode, int max_resources) {
  const bool named = mode == GrantCheckMode::kNamed;
  // The actions at stake, in table order.
  std::vector<std::string> actions;
  for (const PermissionRow& row : PermissionTable()) {
    bool at_stake = false;
    for (const v1::Statement& st : role.statements()) {
      if (!named && st.effect() != v1::Statement::ALLOW) continue;
      for (const std::string& a : st.actions()) {
        at_stake = at_stake || ActionMatches(a, row.action);
      }
    }
    if (at_stake) actions.push_back(row.action);
  }
  if (actions.empty()) return std::nullopt;

  // The resource names to try: every id named at each position by a
  // pattern of either side, and one id named by none. Names that no
  // pattern tells apart get the same decision from every statement, so
  // one representative of each class decides for all.
  std::vector<Glob> role_globs;
  AddGlobs(role, scope, named, &role_globs);
  std::vector<Glob> all_globs = role_globs;
  if (!named) AddGlobs(role, scope, true, &all_globs);
  all_globs.push_back(MakeGlob(granter_key_scope, ""));
  for (const RoleGrant& g : granter_grants) {
    if (g.role == nullptr) continue;
    all_globs.push_back(MakeGlob(g.scope, ""));
    AddGlobs(*g.role, g.scope, true, &all_globs);
  }
  std::map<size_t, std::set<std::string>> ids;
  for (const Glob& g : all_globs) {
    for (size_t i = 0; i < g.segments.size(); ++i) {
      if (g.segments[i] != "*") ids[i].insert(g.segments[i]);
    }
  }
  const std::vector<RoleGrant> held = {{std::string(scope), &role}};
  auto gives = [&](const std::string& action, const std::string& resource) {
    if (!named) return GrantsAllow(scope, held, action, resource);
    if (!Within(resource, scope)) return false;
    for (const v1::Statement& st : role.statements()) {
      if (StatementMatches(st, scope, action, resource)) return true;
    }
    return false;
  };

  int visited = 0;
  std::optional<Ungrantable> found;
  absl::Status budget = absl::OkStatus();
  std::function<void(std::vector<std::string>&)> visit =
      [&](std::vector<std::string>& r) {
        if (found || !budget.ok()) return;
        bool reachable = false;
        for (const Glob& g : role_globs) {
          reachable = reachable || MatchesOrBelow(g, r);
        }
        if (!reachable) return;
        if (++visited > max_resources) {
          budget = absl::ResourceExhaustedError(absl::StrCat(
              "grant check: the resource patterns of the role and of the "
              "granter make more than ",
              max_resources,
              " distinct resources to compare (expected fewer patterns)"));
          return;
        }
        const std::string resource = absl::StrJoin(r, "/");
        for (const std::string& a : actions) {
          if (gives(a, resource) &&
              !GrantsAllow(granter_key_scope, granter_grants, a, resource)) {
            found = Ungrantable{a, resource};
            return;
          }
        }
        for (const std::string& collection : ChildCollections(r)) {
          std::set<std::string> candidates = {kAnyId};
          if (auto it = ids.find(r.size() + 1); it != ids.end()) {
            candidates.insert(it->second.begin(), it->second.end());
          }
          for (const std::string& id : candidates) {
            r.push_back(collection);
            r.push_back(id);
            visit(r);
            r.pop_back();
            r.pop_back();
            if (found || !budget.ok()) return;
          }
        }
      };
  std::vector<std::string> start = absl::StrSplit(scope, '/');
  visit(start);
  COVE_RETURN_IF_ERROR(budget);
  return found;
}

v1::Role DenyStatements(const v1::Role& role) {
  v1::Role out;
  out.set_name(role.name());
  for (const v1::Statement& st : role.statements()) {
    if (st.effect() == v1::Statement::DENY) *out.add_statements() = st;
  }
  return out;
}

absl::Status ValidateResourcePattern(absl::string_view field,
                                     absl::string_view pattern,
                                     absl::string_view org) {
  const auto bad = [&](absl::string_view why) {
    return absl::InvalidArgumentError(absl::StrCat(
        field,
        ": expected a resource pattern such as \"projects/*/clusters/**\" (",
        why, ") (got '", pattern, "')"));
  };
  if (pattern.empty()) return bad("not empty");
  std::vector<absl::string_view> seg = absl::StrSplit(pattern, '/');
  size_t first = 0;
  if (seg[0] == "organizations") {
    if (seg.size() < 2 || org.empty() || seg[1] != OrgOf(org).substr(14)) {
      return bad(absl::StrCat("an absolute pattern within ", org));
    }
    first = 2;
  }
  static const char* kCollections[] = {"projects", "environments", "clusters",
                                       "backups"};
  for (size_t i = first; i < seg.size(); ++i) {
    const absl::string_view s = seg[i];
    if (s.empty()) return bad("no empty segment");
    if (s == "**") {
      if (i + 1 != seg.size()) return bad("\"**\" only as the last segment");
      continue;
    }
    if (s == "*") continue;
    if ((i - first) % 2 == 0) {
      bool known = false;
      for (const char* c : kCollections) known = known || s == c;
      if (!known) {
        return bad(absl::StrCat("'", s,
                                "' is not a collection: projects, "
                                "environments, clusters or backups"));
      }
    } else {
      bool id = s.size() <= 63;
      for (char c : s) {
        id = id &&
             (absl::ascii_islower(c) || absl::ascii_isdigit(c) || c == '-');
      }
      if (!id) {
        return bad(absl::StrCat("'", s, "' is not an id of [a-z0-9-]"));
      }
    }
  }
  return absl::OkStatus();
}

absl::Status ValidateStatements(
    const google::protobuf::RepeatedPtrField<v1::Statement>& stmts,
    absl::string_view org) {
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
    for (int j = 0; j < st.resources_size(); ++j) {
      COVE_RETURN_IF_ERROR(ValidateResourcePattern(
          absl::StrCat(field, ".resources[", j, "]"), st.resources(j), org));
    }
  }
  return absl::OkStatus();
}

}  // namespace cove::cloud
