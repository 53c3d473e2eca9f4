// ControlPlane handlers: API keys, roles, role bindings, TestPermissions and
// the audit log.
#include <set>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "cloud/cloud_core.h"
#include "cloud/permissions.h"
#include "cloud/util.h"

namespace cove::cloud {
namespace {

// The kind of scope a name is: 1 organization, 2 project, 3 cluster, else 0.
int ScopeKind(const std::string& scope) {
  if (ParseName("scope", scope, {"organizations"}).ok()) return 1;
  if (ParseName("scope", scope, {"organizations", "projects"}).ok()) return 2;
  if (ParseName("scope", scope, {"organizations", "projects", "clusters"})
          .ok()) {
    return 3;
  }
  return 0;
}

// Where to check a call on a stored key or binding `name` whose own scope is
// `stored`: there, unless it belongs to another organization than the
// caller's; then on that organization (the caller named it), so that the
// message never names another tenant's project or cluster, and a missing
// name and an existing one look the same.
std::string CheckScope(const Principal& p, const std::string& name,
                       const std::string* stored) {
  const std::string org = OrgOf(name);
  if (stored == nullptr || (!p.admin && org != OrgOf(p.scope))) return org;
  return *stored;
}

}  // namespace

// Checks that `scope` is this organization or a project or cluster in it,
// and that `role` may be held there.
static absl::Status CheckScopeAndRole(
    const std::string& field, const std::string& org, const std::string& scope,
    const v1::Role* role, const std::string& role_name, bool project_exists,
    bool cluster_exists) {
  const int kind = ScopeKind(scope);
  if (kind == 0 || !Within(scope, org)) {
    return absl::InvalidArgumentError(
        absl::StrCat(field, ".scope: expected ", org,
                     " or a project or cluster in it (got '", scope, "')"));
  }
  if ((kind == 2 && !project_exists) || (kind == 3 && !cluster_exists)) {
    return NotFound(kind == 2 ? "project" : "cluster", scope);
  }
  if (role == nullptr || (!role->built_in() && OrgOf(role->name()) != org)) {
    return absl::InvalidArgumentError(
        absl::StrCat(field, ".role: expected a built-in role or a role of ",
                     org, " (got '", role_name, "')"));
  }
  if (role->level() == v1::Role::ORGANIZATION && kind != 1) {
    return absl::InvalidArgumentError(
        absl::StrCat(field, ".role: the organization-level role '", role_name,
                     "' needs the organization as scope (got '", scope, "')"));
  }
  return absl::OkStatus();
}

// ---- the grant rule
// ----------------------------------------------------------

absl::Status CloudCore::CheckGrantLocked(Call& call, const v1::Role& role,
                                         const std::string& scope,
                                         GrantCheckMode mode,
                                         const std::string& what) {
  const Principal& p = call.principal;
  if (p.admin) return absl::OkStatus();
  auto missing = FindUngrantable(p.scope, GrantsLocked(p), role, scope, mode);
  if (missing.ok() && !missing->has_value()) return absl::OkStatus();
  call.denied = true;
  if (!missing.ok()) {
    return absl::PermissionDeniedError(
        absl::StrCat("permission denied: ", p.actor, " may not ", what,
                     ": the grant could not be verified (",
                     missing.status().message(), ")"));
  }
  const Ungrantable& u = **missing;
  return absl::PermissionDeniedError(absl::StrCat(
      "permission denied: ", p.actor, " may not ", what, ": the role ",
      mode == GrantCheckMode::kAllowed ? "allows " : "names ", u.action,
      " on '", u.resource, "', which ", p.actor,
      " does not hold there (nobody grants more than they hold)"));
}

// ---- API keys
// ----------------------------------------------------------------

absl::Status CloudCore::CreateApiKey(const RequestContext& ctx,
                                     const v1::CreateApiKeyRequest& req,
                                     v1::ApiKey* resp) {
  return Handle(
      ctx, "CreateApiKey", "apiKeys.create", true, req.parent(),
      req.request_id(), [&](Call& call) -> absl::Status {
        COVE_RETURN_IF_ERROR(
            ParseName("parent", req.parent(), {"organizations"}).status());
        std::string id = req.api_key_id();
        if (!id.empty()) COVE_RETURN_IF_ERROR(ValidateId("api_key_id", id));
        const v1::ApiKey& in = req.api_key();
        const std::string scope =
            in.scope().empty() ? req.parent() : in.scope();
        COVE_RETURN_IF_ERROR(AuthorizeLocked(call, "apiKeys.create", scope));
        COVE_ASSIGN_OR_RETURN(bool replayed, ReplayLocked(call, req, resp));
        if (replayed) return absl::OkStatus();
        if (orgs_.count(req.parent()) == 0)
          return NotFound("organization", req.parent());
        const v1::Role* role = FindRoleLocked(in.role());
        COVE_RETURN_IF_ERROR(CheckScopeAndRole(
            "api_key", req.parent(), scope, role, in.role(),
            projects_.count(scope) != 0, clusters_.count(scope) != 0));
        COVE_RETURN_IF_ERROR(
            CheckGrantLocked(call, *role, scope, GrantCheckMode::kAllowed,
                             absl::StrCat("create an API key with role ",
                                          in.role(), " on '", scope, "'")));
        const absl::Time now = NowLocked();
        if (in.has_expire_time() && FromProto(in.expire_time()) <= now) {
          return absl::InvalidArgumentError(absl::StrCat(
              "api_key.expire_time: expected a time after now (got ",
              absl::FormatTime(FromProto(in.expire_time())), ")"));
        }
        if (id.empty()) {
          COVE_ASSIGN_OR_RETURN(std::string hex, RandomHex(6));
          id = "k" + hex;
        }
        const std::string name = absl::StrCat(req.parent(), "/apiKeys/", id);
        call.resource = name;
        if (api_keys_.count(name) != 0) {
          return absl::AlreadyExistsError(
              absl::StrCat("API key '", name, "' already exists"));
        }
        v1::ApiKey key;
        key.set_name(name);
        key.set_display_name(in.display_name().empty() ? id
                                                       : in.display_name());
        key.set_scope(scope);
        key.set_role(in.role());
        key.set_enabled(true);
        *key.mutable_create_time() = ToProto(now);
        if (in.has_expire_time()) *key.mutable_expire_time() = in.expire_time();
        key.set_etag(NewEtag());
        COVE_ASSIGN_OR_RETURN(std::string secret, IssueSecretLocked(name));
        COVE_RETURN_IF_ERROR(Persist("apikey", name, key));
        api_keys_[name] = key;
        *resp = key;
        resp->set_secret(secret);
        return RememberLocked(call, req, *resp, key);
      });
}

absl::Status CloudCore::GetApiKey(const RequestContext& ctx,
                                  const v1::GetRequest& req, v1::ApiKey* resp) {
  return Handle(
      ctx, "GetApiKey", "apiKeys.get", false, req.name(), "",
      [&](Call& call) -> absl::Status {
        COVE_RETURN_IF_ERROR(
            ParseName("name", req.name(), {"organizations", "apiKeys"})
                .status());
        auto it = api_keys_.find(req.name());
        COVE_RETURN_IF_ERROR(AuthorizeLocked(
            call, "apiKeys.get",
            CheckScope(call.principal, req.name(),
                       it == api_keys_.end() ? nullptr : &it->second.scope())));
        if (it == api_keys_.end()) return NotFound("API key", req.name());
        *resp = it->second;
        return absl::OkStatus();
      });
}

absl::Status CloudCore::ListApiKeys(const RequestContext& ctx,
                                    const v1::ListApiKeysRequest& req,
                                    v1::ListApiKeysResponse* resp) {
  return Handle(
      ctx, "ListApiKeys", "apiKeys.list", false, req.parent(), "",
      [&](Call& call) -> absl::Status {
        COVE_RETURN_IF_ERROR(
            ParseName("parent", req.parent(), {"organizations"}).status());
        COVE_ASSIGN_OR_RETURN(
            Filter filter,
            ParseFilter(req.filter(), {"scope", "enabled", "role", "owner"}));
        COVE_RETURN_IF_ERROR(
            AuthorizeListLocked(call, "apiKeys.list", req.parent()));
        std::vector<std::pair<std::string, v1::ApiKey>> items;
        for (const auto& [name, k] : api_keys_) {
          if (!Within(name, req.parent())) continue;
          if (!AllowedLocked(call.principal, "apiKeys.get", k.scope()))
            continue;
          if (auto* v = filter.Get("scope"); v && *v != k.scope()) continue;
          if (auto* v = filter.Get("role"); v && *v != k.role()) continue;
          if (auto* v = filter.Get("owner"); v && *v != k.owner()) continue;
          if (auto* v = filter.Get("enabled");
              v && *v != (k.enabled() ? "true" : "false")) {
            continue;
          }
          items.emplace_back(name, k);
        }
        PageRequest page{
            req.page_size(), req.page_token(),
            absl::StrCat("keys|", req.parent(), "|", req.filter())};
        return Paginate(items, page, resp->mutable_api_keys(),
                        resp->mutable_next_page_token());
      });
}

absl::Status CloudCore::UpdateApiKey(const RequestContext& ctx,
                                     const v1::UpdateApiKeyRequest& req,
                                     v1::ApiKey* resp) {
  const std::string& name = req.api_key().name();
  return Handle(
      ctx, "UpdateApiKey", "apiKeys.update", true, name, "",
      [&](Call& call) -> absl::Status {
        COVE_RETURN_IF_ERROR(
            ParseName("api_key.name", name, {"organizations", "apiKeys"})
                .status());
        COVE_ASSIGN_OR_RETURN(
            auto paths, MaskPaths(req.update_mask(),
                                  {"display_name", "enabled", "expire_time"}));
        auto it = api_keys_.find(name);
        COVE_RETURN_IF_ERROR(AuthorizeLocked(
            call, "apiKeys.update",
            CheckScope(call.principal, name,
                       it == api_keys_.end() ? nullptr : &it->second.scope())));
        if (it == api_keys_.end()) return NotFound("API key", name);
        COVE_RETURN_IF_ERROR(CheckEtag(absl::StrCat("API key '", name, "'"),
                                       req.api_key().etag(),
                                       it->second.etag()));
        v1::ApiKey key = it->second;
        if (paths.count("display_name"))
          key.set_display_name(req.api_key().display_name());
        if (paths.count("enabled")) key.set_enabled(req.api_key().enabled());
        if (paths.count("expire_time")) {
          if (req.api_key().has_expire_time()) {
            *key.mutable_expire_time() = req.api_key().expire_time();
          } else {
            key.clear_expire_time();
          }
        }
        // Enabling a key or extending its life gives its roles again: the
        // grant rule applies to its own role and its bindings.
        const auto expiry = [](const v1::ApiKey& k) {
          return k.has_expire_time() ? FromProto(k.expire_time())
                                     : absl::InfiniteFuture();
        };
        if ((key.enabled() && !it->second.enabled()) ||
            expiry(key) > expiry(it->second)) {
          std::vector<Grant> held;
          if (const v1::Role* r = FindRoleLocked(key.role())) {
            held.push_back({key.scope(), r});
          }
          for (const auto& [bn, b] : bindings_) {
            const v1::Role* r = FindRoleLocked(b.role());
            if (b.principal() == name && r != nullptr) {
              held.push_back({b.scope(), r});
            }
          }
          for (const Grant& g : held) {
            COVE_RETURN_IF_ERROR(CheckGrantLocked(
                call, *g.role, g.scope, GrantCheckMode::kAllowed,
                absl::StrCat("enable or extend API key '", name,
                             "' holding role ", g.role->name(), " on '",
                             g.scope, "'")));
          }
        }
        key.set_etag(NewEtag());
        COVE_RETURN_IF_ERROR(Persist("apikey", name, key));
        it->second = key;
        *resp = key;
        return absl::OkStatus();
      });
}

absl::Status CloudCore::DeleteApiKey(const RequestContext& ctx,
                                     const v1::DeleteRequest& req,
                                     google::protobuf::Empty* resp) {
  return Handle(
      ctx, "DeleteApiKey", "apiKeys.delete", true, req.name(), req.request_id(),
      [&](Call& call) -> absl::Status {
        COVE_RETURN_IF_ERROR(
            ParseName("name", req.name(), {"organizations", "apiKeys"})
                .status());
        auto it = api_keys_.find(req.name());
        COVE_RETURN_IF_ERROR(AuthorizeLocked(
            call, "apiKeys.delete",
            CheckScope(call.principal, req.name(),
                       it == api_keys_.end() ? nullptr : &it->second.scope())));
        if (it == api_keys_.end()) return NotFound("API key", req.name());
        COVE_RETURN_IF_ERROR(
            CheckEtag(absl::StrCat("API key '", req.name(), "'"), req.etag(),
                      it->second.etag()));
        for (auto b = bindings_.begin(); b != bindings_.end();) {
          if (b->second.principal() == req.name()) {
            COVE_RETURN_IF_ERROR(Unpersist("binding", b->first));
            b = bindings_.erase(b);
          } else {
            ++b;
          }
        }
        DropSecretLocked(req.name());
        COVE_RETURN_IF_ERROR(Unpersist("apikey", req.name()));
        api_keys_.erase(it);
        return absl::OkStatus();
      });
}

// ---- roles
// ---------------------------------------------------------------------

absl::Status CloudCore::CreateRole(const RequestContext& ctx,
                                   const v1::CreateRoleRequest& req,
                                   v1::Role* resp) {
  const std::string name = absl::StrCat(req.parent(), "/roles/", req.role_id());
  return Handle(
      ctx, "CreateRole", "roles.create", true, name, req.request_id(),
      [&](Call& call) -> absl::Status {
        COVE_RETURN_IF_ERROR(
            ParseName("parent", req.parent(), {"organizations"}).status());
        COVE_RETURN_IF_ERROR(ValidateId("role_id", req.role_id()));
        const v1::Role& in = req.role();
        if (in.level() != v1::Role::ORGANIZATION &&
            in.level() != v1::Role::PROJECT) {
          return absl::InvalidArgumentError(
              absl::StrCat("role.level: expected ORGANIZATION or PROJECT (got ",
                           v1::Role::Level_Name(in.level()), ")"));
        }
        COVE_RETURN_IF_ERROR(ValidateStatements(in.statements(), req.parent()));
        COVE_RETURN_IF_ERROR(
            AuthorizeLocked(call, "roles.create", req.parent()));
        COVE_ASSIGN_OR_RETURN(bool replayed, ReplayLocked(call, req, resp));
        if (replayed) return absl::OkStatus();
        if (orgs_.count(req.parent()) == 0)
          return NotFound("organization", req.parent());
        if (roles_.count(name) != 0) {
          return absl::AlreadyExistsError(
              absl::StrCat("role '", name, "' already exists"));
        }
        v1::Role role = in;
        role.set_name(name);
        role.set_built_in(false);
        if (role.display_name().empty()) role.set_display_name(req.role_id());
        *role.mutable_create_time() = ToProto(NowLocked());
        role.set_etag(NewEtag());
        COVE_RETURN_IF_ERROR(Persist("role", name, role));
        roles_[name] = role;
        *resp = role;
        return RememberLocked(call, req, *resp, *resp);
      });
}

absl::Status CloudCore::GetRole(const RequestContext& ctx,
                                const v1::GetRequest& req, v1::Role* resp) {
  return Handle(
      ctx, "GetRole", "roles.get", false, req.name(), "",
      [&](Call& call) -> absl::Status {
        if (const v1::Role* r = FindBuiltInRole(req.name())) {
          *resp = *r;  // built-in roles are public
          return absl::OkStatus();
        }
        if (absl::StartsWith(req.name(), "roles/")) {
          return NotFound("built-in role", req.name());
        }
        COVE_RETURN_IF_ERROR(
            ParseName("name", req.name(), {"organizations", "roles"}).status());
        COVE_RETURN_IF_ERROR(
            AuthorizeLocked(call, "roles.get", OrgOf(req.name())));
        auto it = roles_.find(req.name());
        if (it == roles_.end()) return NotFound("role", req.name());
        *resp = it->second;
        return absl::OkStatus();
      });
}

absl::Status CloudCore::ListRoles(const RequestContext& ctx,
                                  const v1::ListRolesRequest& req,
                                  v1::ListRolesResponse* resp) {
  return Handle(
      ctx, "ListRoles", "roles.list", false, req.parent(), "",
      [&](Call& call) -> absl::Status {
        COVE_RETURN_IF_ERROR(
            ParseName("parent", req.parent(), {"organizations"}).status());
        COVE_RETURN_IF_ERROR(AuthorizeLocked(call, "roles.list", req.parent()));
        std::vector<std::pair<std::string, v1::Role>> items;
        for (const v1::Role& r : BuiltInRoles())
          items.emplace_back(r.name(), r);
        for (const auto& [name, r] : roles_) {
          if (Within(name, req.parent())) items.emplace_back(name, r);
        }
        std::sort(items.begin(), items.end(), [](const auto& a, const auto& b) {
          return a.first < b.first;
        });
        PageRequest page{req.page_size(), req.page_token(),
                         "roles|" + req.parent()};
        return Paginate(items, page, resp->mutable_roles(),
                        resp->mutable_next_page_token());
      });
}

absl::Status CloudCore::UpdateRole(const RequestContext& ctx,
                                   const v1::UpdateRoleRequest& req,
                                   v1::Role* resp) {
  const std::string& name = req.role().name();
  return Handle(
      ctx, "UpdateRole", "roles.update", true, name, "",
      [&](Call& call) -> absl::Status {
        if (FindBuiltInRole(name) != nullptr) {
          COVE_RETURN_IF_ERROR(AuthorizeLocked(call, "roles.update", name));
          return absl::FailedPreconditionError(
              absl::StrCat("role '", name, "' is built in and cannot change"));
        }
        COVE_RETURN_IF_ERROR(
            ParseName("role.name", name, {"organizations", "roles"}).status());
        COVE_ASSIGN_OR_RETURN(
            auto paths,
            MaskPaths(req.update_mask(), {"display_name", "statements"}));
        if (paths.count("statements")) {
          COVE_RETURN_IF_ERROR(
              ValidateStatements(req.role().statements(), OrgOf(name)));
        }
        COVE_RETURN_IF_ERROR(
            AuthorizeLocked(call, "roles.update", OrgOf(name)));
        auto it = roles_.find(name);
        if (it == roles_.end()) return NotFound("role", name);
        COVE_RETURN_IF_ERROR(CheckEtag(absl::StrCat("role '", name, "'"),
                                       req.role().etag(), it->second.etag()));
        v1::Role role = it->second;
        if (paths.count("display_name"))
          role.set_display_name(req.role().display_name());
        if (paths.count("statements")) {
          *role.mutable_statements() = req.role().statements();
          // The edit changes what every holder may do: the editor must hold,
          // where the role is held, each action the old or the new
          // statements name (a removed DENY frees what other roles allow).
          v1::Role both = it->second;
          for (const v1::Statement& st : role.statements()) {
            *both.add_statements() = st;
          }
          std::set<std::string> scopes;
          for (const auto& [kn, k] : api_keys_) {
            if (k.role() == name) scopes.insert(k.scope());
          }
          for (const auto& [bn, b] : bindings_) {
            if (b.role() == name) scopes.insert(b.scope());
          }
          for (const std::string& scope : scopes) {
            COVE_RETURN_IF_ERROR(CheckGrantLocked(
                call, both, scope, GrantCheckMode::kNamed,
                absl::StrCat("change the statements of role '", name,
                             "', held on '", scope, "'")));
          }
        }
        role.set_etag(NewEtag());
        COVE_RETURN_IF_ERROR(Persist("role", name, role));
        it->second = role;
        *resp = role;
        return absl::OkStatus();
      });
}

absl::Status CloudCore::DeleteRole(const RequestContext& ctx,
                                   const v1::DeleteRequest& req,
                                   google::protobuf::Empty* resp) {
  return Handle(
      ctx, "DeleteRole", "roles.delete", true, req.name(), req.request_id(),
      [&](Call& call) -> absl::Status {
        if (FindBuiltInRole(req.name()) != nullptr) {
          COVE_RETURN_IF_ERROR(
              AuthorizeLocked(call, "roles.delete", req.name()));
          return absl::FailedPreconditionError(absl::StrCat(
              "role '", req.name(), "' is built in and cannot be deleted"));
        }
        COVE_RETURN_IF_ERROR(
            ParseName("name", req.name(), {"organizations", "roles"}).status());
        COVE_RETURN_IF_ERROR(
            AuthorizeLocked(call, "roles.delete", OrgOf(req.name())));
        auto it = roles_.find(req.name());
        if (it == roles_.end()) return NotFound("role", req.name());
        COVE_RETURN_IF_ERROR(CheckEtag(absl::StrCat("role '", req.name(), "'"),
                                       req.etag(), it->second.etag()));
        for (const auto& [n, b] : bindings_) {
          if (b.role() == req.name()) {
            return absl::FailedPreconditionError(absl::StrCat(
                "role '", req.name(), "' is used by role binding '", n,
                "'; delete the binding first"));
          }
        }
        for (const auto& [n, k] : api_keys_) {
          if (k.role() == req.name()) {
            return absl::FailedPreconditionError(
                absl::StrCat("role '", req.name(), "' is held by API key '", n,
                             "'; delete the key first"));
          }
        }
        COVE_RETURN_IF_ERROR(Unpersist("role", req.name()));
        roles_.erase(it);
        return absl::OkStatus();
      });
}

// ---- role bindings
// -------------------------------------------------------------

absl::Status CloudCore::CreateRoleBinding(
    const RequestContext& ctx, const v1::CreateRoleBindingRequest& req,
    v1::RoleBinding* resp) {
  return Handle(
      ctx, "CreateRoleBinding", "roleBindings.create", true, req.parent(),
      req.request_id(), [&](Call& call) -> absl::Status {
        COVE_RETURN_IF_ERROR(
            ParseName("parent", req.parent(), {"organizations"}).status());
        const v1::RoleBinding& in = req.role_binding();
        const std::string& principal = in.principal();
        if (absl::StartsWith(principal, "users/")) {
          COVE_RETURN_IF_ERROR(
              ValidateEmail("role_binding.principal", principal.substr(6)));
        } else if (!ParseName("role_binding.principal", principal,
                              {"organizations", "apiKeys"})
                        .ok()) {
          return absl::InvalidArgumentError(
              absl::StrCat("role_binding.principal: expected users/{email} or "
                           "an API key name "
                           "(got '",
                           principal, "')"));
        }
        const std::string scope =
            in.scope().empty() ? req.parent() : in.scope();
        COVE_RETURN_IF_ERROR(
            AuthorizeLocked(call, "roleBindings.create", scope));
        COVE_ASSIGN_OR_RETURN(bool replayed, ReplayLocked(call, req, resp));
        if (replayed) return absl::OkStatus();
        if (orgs_.count(req.parent()) == 0)
          return NotFound("organization", req.parent());
        if (!absl::StartsWith(principal, "users/")) {
          if (OrgOf(principal) != req.parent()) {
            return absl::InvalidArgumentError(
                absl::StrCat("role_binding.principal: expected an API key of ",
                             req.parent(), " (got '", principal, "')"));
          }
          if (api_keys_.count(principal) == 0)
            return NotFound("API key", principal);
        }
        const v1::Role* role = FindRoleLocked(in.role());
        COVE_RETURN_IF_ERROR(CheckScopeAndRole(
            "role_binding", req.parent(), scope, role, in.role(),
            projects_.count(scope) != 0, clusters_.count(scope) != 0));
        COVE_RETURN_IF_ERROR(CheckGrantLocked(
            call, *role, scope, GrantCheckMode::kAllowed,
            absl::StrCat("bind role ", in.role(), " on '", scope, "'")));
        COVE_ASSIGN_OR_RETURN(std::string id, RandomHex(6));
        v1::RoleBinding b;
        b.set_name(absl::StrCat(req.parent(), "/roleBindings/b", id));
        b.set_role(in.role());
        b.set_principal(principal);
        b.set_scope(scope);
        *b.mutable_create_time() = ToProto(NowLocked());
        call.resource = b.name();
        COVE_RETURN_IF_ERROR(Persist("binding", b.name(), b));
        bindings_[b.name()] = b;
        *resp = b;
        return RememberLocked(call, req, *resp, *resp);
      });
}

absl::Status CloudCore::GetRoleBinding(const RequestContext& ctx,
                                       const v1::GetRequest& req,
                                       v1::RoleBinding* resp) {
  return Handle(
      ctx, "GetRoleBinding", "roleBindings.get", false, req.name(), "",
      [&](Call& call) -> absl::Status {
        COVE_RETURN_IF_ERROR(
            ParseName("name", req.name(), {"organizations", "roleBindings"})
                .status());
        auto it = bindings_.find(req.name());
        COVE_RETURN_IF_ERROR(AuthorizeLocked(
            call, "roleBindings.get",
            CheckScope(call.principal, req.name(),
                       it == bindings_.end() ? nullptr : &it->second.scope())));
        if (it == bindings_.end()) return NotFound("role binding", req.name());
        *resp = it->second;
        return absl::OkStatus();
      });
}

absl::Status CloudCore::ListRoleBindings(const RequestContext& ctx,
                                         const v1::ListRoleBindingsRequest& req,
                                         v1::ListRoleBindingsResponse* resp) {
  return Handle(
      ctx, "ListRoleBindings", "roleBindings.list", false, req.parent(), "",
      [&](Call& call) -> absl::Status {
        COVE_RETURN_IF_ERROR(
            ParseName("parent", req.parent(), {"organizations"}).status());
        COVE_ASSIGN_OR_RETURN(
            Filter filter,
            ParseFilter(req.filter(), {"principal", "scope", "role"}));
        COVE_RETURN_IF_ERROR(
            AuthorizeListLocked(call, "roleBindings.list", req.parent()));
        std::vector<std::pair<std::string, v1::RoleBinding>> items;
        for (const auto& [name, b] : bindings_) {
          if (!Within(name, req.parent())) continue;
          if (!AllowedLocked(call.principal, "roleBindings.get", b.scope()))
            continue;
          if (auto* v = filter.Get("principal"); v && *v != b.principal())
            continue;
          if (auto* v = filter.Get("scope"); v && *v != b.scope()) continue;
          if (auto* v = filter.Get("role"); v && *v != b.role()) continue;
          items.emplace_back(name, b);
        }
        PageRequest page{
            req.page_size(), req.page_token(),
            absl::StrCat("bindings|", req.parent(), "|", req.filter())};
        return Paginate(items, page, resp->mutable_role_bindings(),
                        resp->mutable_next_page_token());
      });
}

absl::Status CloudCore::DeleteRoleBinding(const RequestContext& ctx,
                                          const v1::DeleteRequest& req,
                                          google::protobuf::Empty* resp) {
  return Handle(
      ctx, "DeleteRoleBinding", "roleBindings.delete", true, req.name(),
      req.request_id(), [&](Call& call) -> absl::Status {
        COVE_RETURN_IF_ERROR(
            ParseName("name", req.name(), {"organizations", "roleBindings"})
                .status());
        auto it = bindings_.find(req.name());
        COVE_RETURN_IF_ERROR(AuthorizeLocked(
            call, "roleBindings.delete",
            CheckScope(call.principal, req.name(),
                       it == bindings_.end() ? nullptr : &it->second.scope())));
        if (it == bindings_.end()) return NotFound("role binding", req.name());
        // Removing a binding whose role denies frees what the holder's
        // other roles allow: the remover must hold the denied actions.
        if (const v1::Role* r = FindRoleLocked(it->second.role())) {
          COVE_RETURN_IF_ERROR(CheckGrantLocked(
              call, DenyStatements(*r), it->second.scope(),
              GrantCheckMode::kNamed,
              absl::StrCat("remove the DENY statements of role ", r->name(),
                           " on '", it->second.scope(), "' from ",
                           it->second.principal())));
        }
        COVE_RETURN_IF_ERROR(Unpersist("binding", req.name()));
        bindings_.erase(it);
        return absl::OkStatus();
      });
}

absl::Status CloudCore::TestPermissions(const RequestContext& ctx,
                                        const v1::TestPermissionsRequest& req,
                                        v1::TestPermissionsResponse* resp) {
  return Handle(
      ctx, "TestPermissions", "", false, req.resource(), "",
      [&](Call& call) -> absl::Status {
        for (const std::string& a : req.actions()) {
          if (!IsKnownAction(a)) {
            return absl::InvalidArgumentError(absl::StrCat(
                "actions: expected actions such as clusters.get (got '", a,
                "')"));
          }
        }
        // The principal's grants are gathered once for all the actions (a
        // scan of every binding), not once per action.
        const Principal& p = call.principal;
        const bool plain = !p.admin && !p.support;
        const std::vector<Grant> grants =
            plain ? GrantsLocked(p) : std::vector<Grant>{};
        for (const std::string& a : req.actions()) {
          if (plain ? GrantsAllow(p.scope, grants, a, req.resource())
                    : AllowedLocked(p, a, req.resource())) {
            resp->add_allowed_actions(a);
          }
        }
        return absl::OkStatus();
      });
}

// ---- audit
// -----------------------------------------------------------------------

absl::Status CloudCore::ListAuditEvents(const RequestContext& ctx,
                                        const v1::ListAuditEventsRequest& req,
                                        v1::ListAuditEventsResponse* resp) {
  return Handle(
      ctx, "ListAuditEvents", "auditEvents.list", false, req.parent(), "",
      [&](Call& call) -> absl::Status {
        if (!ParseName("parent", req.parent(), {"organizations"}).ok()) {
          COVE_RETURN_IF_ERROR(
              ParseName("parent", req.parent(), {"organizations", "projects"})
                  .status());
        }
        COVE_ASSIGN_OR_RETURN(
            Filter filter,
            ParseFilter(req.filter(), {"actor", "action", "resource", "outcome",
                                       "request_id", "support_grant"}));
        COVE_RETURN_IF_ERROR(
            AuthorizeListLocked(call, "auditEvents.list", req.parent()));
        const absl::Time start = req.has_start_time()
                                     ? FromProto(req.start_time())
                                     : absl::InfinitePast();
        const absl::Time end = req.has_end_time() ? FromProto(req.end_time())
                                                  : absl::InfiniteFuture();
        std::vector<std::pair<std::string, v1::AuditEvent>> items;
        for (const v1::AuditEvent& e : audit_) {
          if (!Within(e.resource(), req.parent())) continue;
          const absl::Time t = FromProto(e.time());
          if (t < start || t >= end) continue;
          if (!AllowedLocked(call.principal, "auditEvents.list", e.resource()))
            continue;
          if (auto* v = filter.Get("actor"); v && *v != e.actor()) continue;
          if (auto* v = filter.Get("action"); v && *v != e.action()) continue;
          if (auto* v = filter.Get("resource");
              v && !absl::StartsWith(e.resource(), *v)) {
            continue;
          }
          if (auto* v = filter.Get("outcome");
              v && *v != v1::AuditEvent::Outcome_Name(e.outcome())) {
            continue;
          }
          if (auto* v = filter.Get("request_id"); v && *v != e.request_id())
            continue;
          if (auto* v = filter.Get("support_grant");
              v && *v != e.support_grant()) {
            continue;
          }
          items.emplace_back(e.name(), e);
        }
        PageRequest page{
            req.page_size(), req.page_token(),
            absl::StrCat("audit|", req.parent(), "|", req.filter())};
        return Paginate(items, page, resp->mutable_audit_events(),
                        resp->mutable_next_page_token());
      });
}

}  // namespace cove::cloud
