// ControlPlane handlers: organizations, members, invitations, projects,
// environments, API keys, roles, role bindings, permissions and audit.
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <regex>
#include <set>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "cloud/cloud_core.h"
#include "cloud/permissions.h"
#include "cloud/util.h"

namespace cove::cloud {
namespace {

bool AllDigits(absl::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) {
    return absl::ascii_isdigit(c);
  });
}

bool IsHexId(absl::string_view s, absl::string_view prefix) {
  if (!absl::StartsWith(s, prefix)) return false;
  s.remove_prefix(prefix.size());
  return s.size() >= 8 && s.size() <= 17 &&
         std::all_of(s.begin(), s.end(), [](char c) {
           return absl::ascii_isdigit(c) || (c >= 'a' && c <= 'f');
         });
}

constexpr absl::Duration kInvitationLifetime = absl::Hours(7 * 24);
constexpr absl::Duration kAgentTokenLifetime = absl::Hours(24);

}  // namespace

// ---- organizations ---------------------------------------------------------

absl::Status CloudCore::CreateOrganization(
    const RequestContext& ctx, const v1::CreateOrganizationRequest& req,
    v1::Organization* resp) {
  const std::string name = "organizations/" + req.organization_id();
  return Handle(
      ctx, "CreateOrganization", "organizations.create", true, name,
      req.request_id(), [&](Call& call) -> absl::Status {
        COVE_RETURN_IF_ERROR(
            ValidateId("organization_id", req.organization_id()));
        if (!req.owner_email().empty()) {
          COVE_RETURN_IF_ERROR(ValidateEmail("owner_email", req.owner_email()));
        }
        COVE_RETURN_IF_ERROR(
            AuthorizeLocked(call, "organizations.create", name));
        COVE_ASSIGN_OR_RETURN(bool replayed, ReplayLocked(call, req, resp));
        if (replayed) return absl::OkStatus();
        if (orgs_.count(name) != 0) {
          return absl::AlreadyExistsError(
              absl::StrCat("organization '", name, "' already exists"));
        }
        const absl::Time now = NowLocked();
        v1::Organization org;
        org.set_name(name);
        org.set_display_name(req.organization().display_name().empty()
                                 ? req.organization_id()
                                 : req.organization().display_name());
        *org.mutable_create_time() = ToProto(now);
        *org.mutable_update_time() = ToProto(now);
        org.set_etag(NewEtag());
        COVE_ASSIGN_OR_RETURN(std::string ext, RandomHex(12));
        org.set_external_id("cove-ext-" + ext);
        if (!req.owner_email().empty()) {
          v1::Member m;
          m.set_name(absl::StrCat(name, "/members/", req.owner_email()));
          m.set_user(req.owner_email());
          m.set_role("roles/organization.owner");
          *m.mutable_create_time() = ToProto(now);
          COVE_ASSIGN_OR_RETURN(std::string bid, RandomHex(6));
          v1::RoleBinding b;
          b.set_name(absl::StrCat(name, "/roleBindings/b", bid));
          b.set_role(m.role());
          b.set_principal("users/" + req.owner_email());
          b.set_scope(name);
          *b.mutable_create_time() = ToProto(now);
          COVE_RETURN_IF_ERROR(Persist("member", m.name(), m));
          COVE_RETURN_IF_ERROR(Persist("binding", b.name(), b));
          members_[m.name()] = m;
          bindings_[b.name()] = b;
        }
        COVE_RETURN_IF_ERROR(Persist("org", name, org));
        orgs_[name] = org;
        *resp = org;
        return RememberLocked(call, req, *resp, *resp);
      });
}

absl::Status CloudCore::GetOrganization(const RequestContext& ctx,
                                        const v1::GetRequest& req,
                                        v1::Organization* resp) {
  return Handle(
      ctx, "GetOrganization", "organizations.get", false, req.name(), "",
      [&](Call& call) -> absl::Status {
        COVE_RETURN_IF_ERROR(
            ParseName("name", req.name(), {"organizations"}).status());
        COVE_RETURN_IF_ERROR(
            AuthorizeLocked(call, "organizations.get", req.name()));
        auto it = orgs_.find(req.name());
        if (it == orgs_.end()) return NotFound("organization", req.name());
        *resp = it->second;
        return absl::OkStatus();
      });
}

absl::Status CloudCore::ListOrganizations(
    const RequestContext& ctx, const v1::ListOrganizationsRequest& req,
    v1::ListOrganizationsResponse* resp) {
  return Handle(
      ctx, "ListOrganizations", "organizations.get", false, "", "",
      [&](Call& call) -> absl::Status {
        std::vector<std::pair<std::string, v1::Organization>> items;
        for (const auto& [name, org] : orgs_) {
          if (AllowedLocked(call.principal, "organizations.get", name)) {
            items.emplace_back(name, org);
          }
        }
        PageRequest page{req.page_size(), req.page_token(), "orgs"};
        return Paginate(items, page, resp->mutable_organizations(),
                        resp->mutable_next_page_token());
      });
}

absl::Status CloudCore::UpdateOrganization(
    const RequestContext& ctx, const v1::UpdateOrganizationRequest& req,
    v1::Organization* resp) {
  const std::string& name = req.organization().name();
  return Handle(
      ctx, "UpdateOrganization", "organizations.update", true, name, "",
      [&](Call& call) -> absl::Status {
        COVE_RETURN_IF_ERROR(
            ParseName("organization.name", name, {"organizations"}).status());
        COVE_ASSIGN_OR_RETURN(auto paths,
                              MaskPaths(req.update_mask(), {"display_name"}));
        COVE_RETURN_IF_ERROR(
            AuthorizeLocked(call, "organizations.update", name));
        auto it = orgs_.find(name);
        if (it == orgs_.end()) return NotFound("organization", name);
        COVE_RETURN_IF_ERROR(
            CheckEtag(absl::StrCat("organization '", name, "'"),
                      req.organization().etag(), it->second.etag()));
        v1::Organization org = it->second;
        if (paths.count("display_name")) {
          org.set_display_name(req.organization().display_name());
        }
        *org.mutable_update_time() = ToProto(NowLocked());
        org.set_etag(NewEtag());
        COVE_RETURN_IF_ERROR(Persist("org", name, org));
        it->second = org;
        *resp = org;
        return absl::OkStatus();
      });
}

absl::Status CloudCore::DeleteOrganization(const RequestContext& ctx,
                                           const v1::DeleteRequest& req,
                                           google::protobuf::Empty* resp) {
  return Handle(
      ctx, "DeleteOrganization", "organizations.delete", true, req.name(),
      req.request_id(), [&](Call& call) -> absl::Status {
        COVE_RETURN_IF_ERROR(
            ParseName("name", req.name(), {"organizations"}).status());
        COVE_RETURN_IF_ERROR(
            AuthorizeLocked(call, "organizations.delete", req.name()));
        auto it = orgs_.find(req.name());
        if (it == orgs_.end()) return NotFound("organization", req.name());
        COVE_RETURN_IF_ERROR(
            CheckEtag(absl::StrCat("organization '", req.name(), "'"),
                      req.etag(), it->second.etag()));
        for (const auto& [pname, p] : projects_) {
          if (Within(pname, req.name())) {
            return absl::FailedPreconditionError(absl::StrCat(
                "organization '", req.name(), "' still has projects (such as '",
                pname, "'); delete them first"));
          }
        }
        const std::string org = req.name();
        auto erase_below = [&](auto& map, const char* kind) -> absl::Status {
          for (auto i = map.begin(); i != map.end();) {
            if (Within(i->first, org)) {
              COVE_RETURN_IF_ERROR(Unpersist(kind, i->first));
              DropSecretLocked(i->first);
              i = map.erase(i);
            } else {
              ++i;
            }
          }
          return absl::OkStatus();
        };
        COVE_RETURN_IF_ERROR(erase_below(members_, "member"));
        COVE_RETURN_IF_ERROR(erase_below(invitations_, "invitation"));
        COVE_RETURN_IF_ERROR(erase_below(api_keys_, "apikey"));
        COVE_RETURN_IF_ERROR(erase_below(roles_, "role"));
        COVE_RETURN_IF_ERROR(erase_below(bindings_, "binding"));
        COVE_RETURN_IF_ERROR(Unpersist("org", org));
        orgs_.erase(it);
        return absl::OkStatus();
      });
}

// ---- members
// -----------------------------------------------------------------

absl::Status CloudCore::ListMembers(const RequestContext& ctx,
                                    const v1::ListMembersRequest& req,
                                    v1::ListMembersResponse* resp) {
  return Handle(
      ctx, "ListMembers", "members.list", false, req.parent(), "",
      [&](Call& call) -> absl::Status {
        COVE_RETURN_IF_ERROR(
            ParseName("parent", req.parent(), {"organizations"}).status());
        COVE_RETURN_IF_ERROR(
            AuthorizeListLocked(call, "members.list", req.parent()));
        if (orgs_.count(req.parent()) == 0)
          return NotFound("organization", req.parent());
        std::vector<std::pair<std::string, v1::Member>> items;
        for (const auto& [name, m] : members_) {
          if (Within(name, req.parent())) items.emplace_back(name, m);
        }
        PageRequest page{req.page_size(), req.page_token(),
                         "members|" + req.parent()};
        return Paginate(items, page, resp->mutable_members(),
                        resp->mutable_next_page_token());
      });
}

absl::Status CloudCore::GetMember(const RequestContext& ctx,
                                  const v1::GetRequest& req, v1::Member* resp) {
  return Handle(
      ctx, "GetMember", "members.get", false, req.name(), "",
      [&](Call& call) -> absl::Status {
        COVE_RETURN_IF_ERROR(
            ParseName("name", req.name(), {"organizations", "members"}, true)
                .status());
        COVE_RETURN_IF_ERROR(
            AuthorizeLocked(call, "members.get", OrgOf(req.name())));
        auto it = members_.find(req.name());
        if (it == members_.end()) return NotFound("member", req.name());
        *resp = it->second;
        return absl::OkStatus();
      });
}

absl::Status CloudCore::UpdateMember(const RequestContext& ctx,
                                     const v1::UpdateMemberRequest& req,
                                     v1::Member* resp) {
  const std::string& name = req.member().name();
  return Handle(
      ctx, "UpdateMember", "members.update", true, name, "",
      [&](Call& call) -> absl::Status {
        COVE_RETURN_IF_ERROR(
            ParseName("member.name", name, {"organizations", "members"}, true)
                .status());
        COVE_ASSIGN_OR_RETURN(auto paths,
                              MaskPaths(req.update_mask(), {"role"}));
        const std::string org = OrgOf(name);
        COVE_RETURN_IF_ERROR(AuthorizeLocked(call, "members.update", org));
        auto it = members_.find(name);
        if (it == members_.end()) return NotFound("member", name);
        if (!paths.count("role")) {
          *resp = it->second;
          return absl::OkStatus();
        }
        const v1::Role* role = FindRoleLocked(req.member().role());
        if (role == nullptr || role->level() != v1::Role::ORGANIZATION ||
            (!role->built_in() && OrgOf(role->name()) != org)) {
          return absl::InvalidArgumentError(absl::StrCat(
              "member.role: expected an organization-level role of this "
              "organization (got '",
              req.member().role(), "')"));
        }
        COVE_RETURN_IF_ERROR(
            CheckGrantLocked(call, *role, org, GrantCheckMode::kAllowed,
                             absl::StrCat("give member '", name, "' role ",
                                          role->name(), " on '", org, "'")));
        if (const v1::Role* old = FindRoleLocked(it->second.role())) {
          COVE_RETURN_IF_ERROR(CheckGrantLocked(
              call, DenyStatements(*old), org, GrantCheckMode::kNamed,
              absl::StrCat("take role ", old->name(),
                           " and its DENY "
                           "statements from member '",
                           name, "'")));
        }
        if (it->second.role() == "roles/organization.owner" &&
            role->name() != it->second.role()) {
          int owners = 0;
          for (const auto& [n, m] : members_) {
            owners += Within(n, org) && m.role() == "roles/organization.owner";
          }
          if (owners <= 1) {
            return absl::FailedPreconditionError(
                absl::StrCat("member '", name, "' is the last owner of '", org,
                             "'; make another member owner first"));
          }
        }
        const std::string principal = "users/" + it->second.user();
        for (auto& [bn, b] : bindings_) {
          if (b.principal() == principal && b.scope() == org &&
              b.role() == it->second.role()) {
            b.set_role(role->name());
            COVE_RETURN_IF_ERROR(Persist("binding", bn, b));
          }
        }
        it->second.set_role(role->name());
        COVE_RETURN_IF_ERROR(Persist("member", name, it->second));
        *resp = it->second;
        return absl::OkStatus();
      });
}

absl::Status CloudCore::DeleteMember(const RequestContext& ctx,
                                     const v1::DeleteRequest& req,
                                     google::protobuf::Empty* resp) {
  return Handle(
      ctx, "DeleteMember", "members.delete", true, req.name(), req.request_id(),
      [&](Call& call) -> absl::Status {
        COVE_RETURN_IF_ERROR(
            ParseName("name", req.name(), {"organizations", "members"}, true)
                .status());
        const std::string org = OrgOf(req.name());
        COVE_RETURN_IF_ERROR(AuthorizeLocked(call, "members.delete", org));
        auto it = members_.find(req.name());
        if (it == members_.end()) return NotFound("member", req.name());
        if (it->second.role() == "roles/organization.owner") {
          int owners = 0;
          for (const auto& [n, m] : members_) {
            owners += Within(n, org) && m.role() == "roles/organization.owner";
          }
          if (owners <= 1) {
            return absl::FailedPreconditionError(absl::StrCat(
                "member '", req.name(), "' is the last owner of '", org, "'"));
          }
        }
        const std::string user = it->second.user();
        for (auto b = bindings_.begin(); b != bindings_.end();) {
          if (b->second.principal() == "users/" + user &&
              Within(b->first, org)) {
            COVE_RETURN_IF_ERROR(Unpersist("binding", b->first));
            b = bindings_.erase(b);
          } else {
            ++b;
          }
        }
        for (auto k = api_keys_.begin(); k != api_keys_.end();) {
          if (k->second.owner() == user && Within(k->first, org)) {
            COVE_RETURN_IF_ERROR(Unpersist("apikey", k->first));
            DropSecretLocked(k->first);
            k = api_keys_.erase(k);
          } else {
            ++k;
          }
        }
        COVE_RETURN_IF_ERROR(Unpersist("member", req.name()));
        members_.erase(it);
        return absl::OkStatus();
      });
}

// ---- invitations
// -------------------------------------------------------------

void CloudCore::ExpireInvitationsLocked() {
  const absl::Time now = NowLocked();
  for (auto& [name, inv] : invitations_) {
    if (inv.state() == v1::Invitation::PENDING &&
        FromProto(inv.expire_time()) <= now) {
      inv.set_state(v1::Invitation::EXPIRED);
      inv.set_etag(NewEtag());
      (void)Persist("invitation", name, inv);
    }
  }
}

absl::Status CloudCore::CreateInvitation(const RequestContext& ctx,
                                         const v1::CreateInvitationRequest& req,
                                         v1::Invitation* resp) {
  return Handle(
      ctx, "CreateInvitation", "invitations.create", true, req.parent(),
      req.request_id(), [&](Call& call) -> absl::Status {
        COVE_RETURN_IF_ERROR(
            ParseName("parent", req.parent(), {"organizations"}).status());
        COVE_RETURN_IF_ERROR(
            ValidateEmail("invitation.email", req.invitation().email()));
        COVE_RETURN_IF_ERROR(
            AuthorizeLocked(call, "invitations.create", req.parent()));
        COVE_ASSIGN_OR_RETURN(bool replayed, ReplayLocked(call, req, resp));
        if (replayed) return absl::OkStatus();
        if (orgs_.count(req.parent()) == 0)
          return NotFound("organization", req.parent());
        std::string role_name = req.invitation().role().empty()
                                    ? "roles/organization.member"
                                    : req.invitation().role();
        const v1::Role* role = FindRoleLocked(role_name);
        if (role == nullptr || role->level() != v1::Role::ORGANIZATION ||
            (!role->built_in() && OrgOf(role->name()) != req.parent())) {
          return absl::InvalidArgumentError(absl::StrCat(
              "invitation.role: expected an organization-level role (got '",
              role_name, "')"));
        }
        COVE_RETURN_IF_ERROR(CheckGrantLocked(
            call, *role, req.parent(), GrantCheckMode::kAllowed,
            absl::StrCat("invite with role ", role_name, " on '", req.parent(),
                         "'")));
        const absl::Time now = NowLocked();
        absl::Time expire = now + kInvitationLifetime;
        if (req.invitation().has_expire_time()) {
          expire = FromProto(req.invitation().expire_time());
          if (expire <= now) {
            return absl::InvalidArgumentError(absl::StrCat(
                "invitation.expire_time: expected a time after now (got ",
                absl::FormatTime(expire), ")"));
          }
        }
        COVE_ASSIGN_OR_RETURN(std::string id, RandomHex(6));
        v1::Invitation inv;
        inv.set_name(absl::StrCat(req.parent(), "/invitations/i", id));
        inv.set_email(req.invitation().email());
        inv.set_role(role_name);
        inv.set_state(v1::Invitation::PENDING);
        *inv.mutable_create_time() = ToProto(now);
        *inv.mutable_expire_time() = ToProto(expire);
        inv.set_etag(NewEtag());
        COVE_ASSIGN_OR_RETURN(std::string token, RandomAlnum(40));
        COVE_ASSIGN_OR_RETURN(
            auto hash, auth::HashPassword(token, options_.pbkdf2_iterations));
        secrets_[inv.name()] = hash;
        COVE_RETURN_IF_ERROR(PersistSecretLocked(inv.name(), "", hash));
        COVE_RETURN_IF_ERROR(Persist("invitation", inv.name(), inv));
        invitations_[inv.name()] = inv;
        call.resource = inv.name();
        *resp = inv;
        resp->set_token(token);
        return RememberLocked(call, req, *resp, inv);
      });
}

absl::Status CloudCore::GetInvitation(const RequestContext& ctx,
                                      const v1::GetRequest& req,
                                      v1::Invitation* resp) {
  return Handle(
      ctx, "GetInvitation", "invitations.get", false, req.name(), "",
      [&](Call& call) -> absl::Status {
        COVE_RETURN_IF_ERROR(
            ParseName("name", req.name(), {"organizations", "invitations"})
                .status());
        COVE_RETURN_IF_ERROR(
            AuthorizeLocked(call, "invitations.get", OrgOf(req.name())));
        ExpireInvitationsLocked();
        auto it = invitations_.find(req.name());
        if (it == invitations_.end()) return NotFound("invitation", req.name());
        *resp = it->second;
        return absl::OkStatus();
      });
}

absl::Status CloudCore::ListInvitations(const RequestContext& ctx,
                                        const v1::ListInvitationsRequest& req,
                                        v1::ListInvitationsResponse* resp) {
  return Handle(
      ctx, "ListInvitations", "invitations.list", false, req.parent(), "",
      [&](Call& call) -> absl::Status {
        COVE_RETURN_IF_ERROR(
            ParseName("parent", req.parent(), {"organizations"}).status());
        COVE_ASSIGN_OR_RETURN(Filter filter,
                              ParseFilter(req.filter(), {"state", "email"}));
        COVE_RETURN_IF_ERROR(
            AuthorizeListLocked(call, "invitations.list", req.parent()));
        ExpireInvitationsLocked();
        std::vector<std::pair<std::string, v1::Invitation>> items;
        for (const auto& [name, inv] : invitations_) {
          if (!Within(name, req.parent())) continue;
          if (auto* v = filter.Get("state");
              v && *v != v1::Invitation::State_Name(inv.state())) {
            continue;
          }
          if (auto* v = filter.Get("email"); v && *v != inv.email()) continue;
          items.emplace_back(name, inv);
        }
        PageRequest page{req.page_size(), req.page_token(),
                         absl::StrCat("inv|", req.parent(), "|", req.filter())};
        return Paginate(items, page, resp->mutable_invitations(),
                        resp->mutable_next_page_token());
      });
}

absl::Status CloudCore::RevokeInvitation(const RequestContext& ctx,
                                         const v1::DeleteRequest& req,
                                         v1::Invitation* resp) {
  return Handle(
      ctx, "RevokeInvitation", "invitations.revoke", true, req.name(),
      req.request_id(), [&](Call& call) -> absl::Status {
        COVE_RETURN_IF_ERROR(
            ParseName("name", req.name(), {"organizations", "invitations"})
                .status());
        COVE_RETURN_IF_ERROR(
            AuthorizeLocked(call, "invitations.revoke", OrgOf(req.name())));
        ExpireInvitationsLocked();
        auto it = invitations_.find(req.name());
        if (it == invitations_.end()) return NotFound("invitation", req.name());
        COVE_RETURN_IF_ERROR(
            CheckEtag(absl::StrCat("invitation '", req.name(), "'"), req.etag(),
                      it->second.etag()));
        if (it->second.state() != v1::Invitation::PENDING) {
          return absl::FailedPreconditionError(
              absl::StrCat("invitation '", req.name(), "' is ",
                           v1::Invitation::State_Name(it->second.state()),
                           "; only a PENDING invitation can be revoked"));
        }
        it->second.set_state(v1::Invitation::REVOKED);
        it->second.set_etag(NewEtag());
        DropSecretLocked(req.name());
        COVE_RETURN_IF_ERROR(Persist("invitation", req.name(), it->second));
        *resp = it->second;
        return absl::OkStatus();
      });
}

absl::Status CloudCore::AcceptInvitation(const RequestContext& ctx,
                                         const v1::AcceptInvitationRequest& req,
                                         v1::AcceptInvitationResponse* resp) {
  return Handle(
      ctx, "AcceptInvitation", "invitations.accept", true, req.name(), "",
      [&](Call& call) -> absl::Status {
        COVE_RETURN_IF_ERROR(
            ParseName("name", req.name(), {"organizations", "invitations"})
                .status());
        ExpireInvitationsLocked();
        auto it = invitations_.find(req.name());
        if (it == invitations_.end()) return NotFound("invitation", req.name());
        v1::Invitation& inv = it->second;
        if (inv.state() != v1::Invitation::PENDING) {
          return absl::FailedPreconditionError(absl::StrCat(
              "invitation '", req.name(), "' is ",
              v1::Invitation::State_Name(inv.state()), " (expected PENDING)"));
        }
        auto secret = secrets_.find(req.name());
        if (secret == secrets_.end() ||
            !auth::VerifyPassword(req.token(), secret->second)) {
          return absl::UnauthenticatedError(absl::StrCat(
              "token: not the token of invitation '", req.name(), "'"));
        }
        const std::string org = OrgOf(req.name());
        const std::string member_name =
            absl::StrCat(org, "/members/", inv.email());
        if (members_.count(member_name) != 0) {
          return absl::AlreadyExistsError(
              absl::StrCat("member '", member_name, "' already exists"));
        }
        const absl::Time now = NowLocked();
        call.principal.actor = "users/" + inv.email();
        v1::Member m;
        m.set_name(member_name);
        m.set_user(inv.email());
        m.set_role(inv.role());
        *m.mutable_create_time() = ToProto(now);
        COVE_ASSIGN_OR_RETURN(std::string bid, RandomHex(6));
        v1::RoleBinding b;
        b.set_name(absl::StrCat(org, "/roleBindings/b", bid));
        b.set_role(inv.role());
        b.set_principal("users/" + inv.email());
        b.set_scope(org);
        *b.mutable_create_time() = ToProto(now);
        COVE_ASSIGN_OR_RETURN(std::string kid, RandomHex(6));
        v1::ApiKey key;
        key.set_name(absl::StrCat(org, "/apiKeys/u", kid));
        key.set_display_name(absl::StrCat("key of ", inv.email()));
        key.set_scope(org);
        key.set_enabled(true);
        key.set_owner(inv.email());
        *key.mutable_create_time() = ToProto(now);
        key.set_etag(NewEtag());
        COVE_ASSIGN_OR_RETURN(std::string key_secret,
                              IssueSecretLocked(key.name()));
        COVE_RETURN_IF_ERROR(Persist("member", m.name(), m));
        COVE_RETURN_IF_ERROR(Persist("binding", b.name(), b));
        COVE_RETURN_IF_ERROR(Persist("apikey", key.name(), key));
        members_[m.name()] = m;
        bindings_[b.name()] = b;
        api_keys_[key.name()] = key;
        inv.set_state(v1::Invitation::ACCEPTED);
        inv.set_etag(NewEtag());
        DropSecretLocked(req.name());
        COVE_RETURN_IF_ERROR(Persist("invitation", inv.name(), inv));
        *resp->mutable_member() = m;
        *resp->mutable_api_key() = key;
        resp->mutable_api_key()->set_secret(key_secret);
        return absl::OkStatus();
      },
      /*needs_key=*/false);
}

// ---- projects
// ------------------------------------------------------------------

namespace {
absl::Status ValidatePlan(const std::string& plan) {
  if (plan != "free" && plan != "standard" && plan != "enterprise") {
    return absl::InvalidArgumentError(absl::StrCat(
        "project.plan: expected free, standard or enterprise (got '", plan,
        "')"));
  }
  return absl::OkStatus();
}
}  // namespace

absl::Status CloudCore::CreateProject(const RequestContext& ctx,
                                      const v1::CreateProjectRequest& req,
                                      v1::Project* resp) {
  const std::string name =
      absl::StrCat(req.parent(), "/projects/", req.project_id());
  return Handle(
      ctx, "CreateProject", "projects.create", true, name, req.request_id(),
      [&](Call& call) -> absl::Status {
        COVE_RETURN_IF_ERROR(
            ParseName("parent", req.parent(), {"organizations"}).status());
        COVE_RETURN_IF_ERROR(ValidateId("project_id", req.project_id()));
        v1::Project p = req.project();
        if (p.has_license()) {
          return absl::InvalidArgumentError(
              "project.license: set by the vendor "
              "(Emulator.SetProjectLicense), "
              "not by CreateProject (expected unset)");
        }
        if (p.has_maintenance_window()) {  // issue 19
          return absl::InvalidArgumentError(
              "project.maintenance_window: set with SetMaintenanceWindow, "
              "not by CreateProject (expected unset)");
        }
        if (p.plan().empty()) p.set_plan("free");
        COVE_RETURN_IF_ERROR(ValidatePlan(p.plan()));
        if (p.region().empty()) p.set_region("local");
        COVE_RETURN_IF_ERROR(
            AuthorizeLocked(call, "projects.create", req.parent()));
        COVE_ASSIGN_OR_RETURN(bool replayed, ReplayLocked(call, req, resp));
        if (replayed) return absl::OkStatus();
        if (orgs_.count(req.parent()) == 0)
          return NotFound("organization", req.parent());
        if (projects_.count(name) != 0) {
          return absl::AlreadyExistsError(
              absl::StrCat("project '", name, "' already exists"));
        }
        const absl::Time now = NowLocked();
        p.set_name(name);
        if (p.display_name().empty()) p.set_display_name(req.project_id());
        *p.mutable_create_time() = ToProto(now);
        *p.mutable_update_time() = ToProto(now);
        p.set_etag(NewEtag());
        COVE_RETURN_IF_ERROR(Persist("project", name, p));
        projects_[name] = p;
        *resp = p;
        return RememberLocked(call, req, *resp, *resp);
      });
}

absl::Status CloudCore::GetProject(const RequestContext& ctx,
                                   const v1::GetRequest& req,
                                   v1::Project* resp) {
  return Handle(
      ctx, "GetProject", "projects.get", false, req.name(), "",
      [&](Call& call) -> absl::Status {
        COVE_RETURN_IF_ERROR(
            ParseName("name", req.name(), {"organizations", "projects"})
                .status());
        COVE_RETURN_IF_ERROR(AuthorizeLocked(call, "projects.get", req.name()));
        auto it = projects_.find(req.name());
        if (it == projects_.end()) return NotFound("project", req.name());
        *resp = ProjectViewLocked(it->second);
        return absl::OkStatus();
      });
}

absl::Status CloudCore::ListProjects(const RequestContext& ctx,
                                     const v1::ListProjectsRequest& req,
                                     v1::ListProjectsResponse* resp) {
  return Handle(
      ctx, "ListProjects", "projects.list", false, req.parent(), "",
      [&](Call& call) -> absl::Status {
        COVE_RETURN_IF_ERROR(
            ParseName("parent", req.parent(), {"organizations"}).status());
        COVE_ASSIGN_OR_RETURN(
            Filter filter,
            ParseFilter(req.filter(), {"region", "plan", "labels."}));
        COVE_RETURN_IF_ERROR(
            AuthorizeListLocked(call, "projects.list", req.parent()));
        if (orgs_.count(req.parent()) == 0)
          return NotFound("organization", req.parent());
        std::vector<std::pair<std::string, v1::Project>> items;
        for (const auto& [name, p] : projects_) {
          if (!Within(name, req.parent())) continue;
          if (!AllowedLocked(call.principal, "projects.get", name)) continue;
          bool match = true;
          for (const auto& [f, v] : filter.terms) {
            if (f == "region")
              match = match && p.region() == v;
            else if (f == "plan")
              match = match && p.plan() == v;
            else {
              auto l = p.labels().find(f.substr(7));
              match = match && l != p.labels().end() && l->second == v;
            }
          }
          if (match) items.emplace_back(name, ProjectViewLocked(p));
        }
        PageRequest page{
            req.page_size(), req.page_token(),
            absl::StrCat("projects|", req.parent(), "|", req.filter())};
        return Paginate(items, page, resp->mutable_projects(),
                        resp->mutable_next_page_token());
      });
}

absl::Status CloudCore::UpdateProject(const RequestContext& ctx,
                                      const v1::UpdateProjectRequest& req,
                                      v1::Project* resp) {
  const std::string& name = req.project().name();
  return Handle(
      ctx, "UpdateProject", "projects.update", true, name, "",
      [&](Call& call) -> absl::Status {
        COVE_RETURN_IF_ERROR(
            ParseName("project.name", name, {"organizations", "projects"})
                .status());
        COVE_ASSIGN_OR_RETURN(
            auto paths,
            MaskPaths(req.update_mask(), {"display_name", "plan", "labels"}));
        if (paths.count("plan"))
          COVE_RETURN_IF_ERROR(ValidatePlan(req.project().plan()));
        COVE_RETURN_IF_ERROR(AuthorizeLocked(call, "projects.update", name));
        auto it = projects_.find(name);
        if (it == projects_.end()) return NotFound("project", name);
        COVE_RETURN_IF_ERROR(CheckEtag(absl::StrCat("project '", name, "'"),
                                       req.project().etag(),
                                       it->second.etag()));
        v1::Project p = it->second;
        if (paths.count("display_name"))
          p.set_display_name(req.project().display_name());
        if (paths.count("plan")) p.set_plan(req.project().plan());
        if (paths.count("labels")) *p.mutable_labels() = req.project().labels();
        *p.mutable_update_time() = ToProto(NowLocked());
        p.set_etag(NewEtag());
        COVE_RETURN_IF_ERROR(Persist("project", name, p));
        it->second = p;
        *resp = ProjectViewLocked(p);
        return absl::OkStatus();
      });
}

absl::Status CloudCore::DeleteProject(const RequestContext& ctx,
                                      const v1::DeleteRequest& req,
                                      google::protobuf::Empty* resp) {
  return Handle(ctx, "DeleteProject", "projects.delete", true, req.name(),
                req.request_id(), [&](Call& call) -> absl::Status {
                  COVE_RETURN_IF_ERROR(ParseName("name", req.name(),
                                                 {"organizations", "projects"})
                                           .status());
                  COVE_RETURN_IF_ERROR(
                      AuthorizeLocked(call, "projects.delete", req.name()));
                  auto it = projects_.find(req.name());
                  if (it == projects_.end())
                    return NotFound("project", req.name());
                  COVE_RETURN_IF_ERROR(
                      CheckEtag(absl::StrCat("project '", req.name(), "'"),
                                req.etag(), it->second.etag()));
                  int clusters = 0, environments = 0;
                  for (const auto& [n, c] : clusters_)
                    clusters += Within(n, req.name());
                  for (const auto& [n, e] : environments_)
                    environments += Within(n, req.name());
                  if (clusters + environments > 0) {
                    return absl::FailedPreconditionError(absl::StrCat(
                        "project '", req.name(), "' still has ", clusters,
                        " clusters (deleted ones count until purged) and ",
                        environments, " environments; delete them first"));
                  }
                  COVE_RETURN_IF_ERROR(Unpersist("project", req.name()));
                  projects_.erase(it);
                  return absl::OkStatus();
                });
}

// ---- environments -----------------------------------------------------------

v1::EnvironmentValidation CloudCore::ValidateEnvironmentLocked(
    const v1::Environment& env) {
  v1::EnvironmentValidation out;
  auto problem = [&](const std::string& field, const std::string& message) {
    auto* p = out.add_problems();
    p->set_field(field);
    p->set_message(message);
  };
  if (env.mode() == v1::Environment::AGENT) {
    if (env.state() == v1::Environment::AWAITING_AGENT ||
        env.state() == v1::Environment::DISCONNECTED) {
      problem("state",
              absl::StrCat("no agent is connected (state ",
                           v1::Environment::State_Name(env.state()),
                           "); start cove-agent with the agent token"));
    }
    out.set_valid(out.problems().empty());
    return out;
  }
  if (env.cloud_account_id().size() != 12 ||
      !AllDigits(env.cloud_account_id())) {
    problem("cloud_account_id", absl::StrCat("expected 12 digits (got '",
                                             env.cloud_account_id(), "')"));
  }
  if (env.region().empty()) problem("region", "expected a region (got none)");
  if (!IsHexId(env.vpc_id(), "vpc-")) {
    problem("vpc_id",
            absl::StrCat("expected 'vpc-' and 8 to 17 hex digits (got '",
                         env.vpc_id(), "')"));
  }
  for (const std::string& s : env.subnet_ids()) {
    if (!IsHexId(s, "subnet-")) {
      problem("subnet_ids",
              absl::StrCat("expected 'subnet-' and 8 to 17 hex digits (got '",
                           s, "')"));
    }
  }
  // The bucket: an absolute directory that exists (or can be created) and
  // is writable, checked by writing and reading back a probe file.
  const std::string& bucket = env.bucket();
  if (bucket.empty() || bucket[0] != '/') {
    problem("bucket", absl::StrCat("expected an absolute directory path (got '",
                                   bucket, "')"));
  } else {
    std::error_code ec;
    std::filesystem::create_directories(bucket, ec);
    if (!std::filesystem::is_directory(bucket, ec)) {
      problem("bucket",
              absl::StrCat("'", bucket,
                           "' is not a directory and cannot be created"));
    } else {
      const std::string probe =
          absl::StrCat(bucket, "/.cove-probe-", ::getpid(), "-", audit_.size());
      bool ok = false;
      {
        std::ofstream out_file(probe, std::ios::binary | std::ios::trunc);
        out_file << "cove";
        ok = static_cast<bool>(out_file.flush());
      }
      if (ok) {
        std::ifstream in(probe, std::ios::binary);
        std::string back;
        in >> back;
        ok = back == "cove";
      }
      std::filesystem::remove(probe, ec);
      if (!ok) {
        problem("bucket", absl::StrCat("'", bucket,
                                       "' is not writable (a probe file could "
                                       "not be written and read back)"));
      }
    }
  }
  static const std::regex kArn(
      R"(arn:aws:iam::(\d{12}):role/([\w+=,.@-]{1,64}))");
  std::smatch m;
  if (!std::regex_match(env.role_arn(), m, kArn)) {
    problem("role_arn",
            absl::StrCat(
                "expected arn:aws:iam::<12-digit account>:role/<name> (got '",
                env.role_arn(), "')"));
  } else if (m[1].str() != env.cloud_account_id()) {
    problem("role_arn", absl::StrCat("the role's account ", m[1].str(),
                                     " is not cloud_account_id '",
                                     env.cloud_account_id(), "'"));
  }
  auto org = orgs_.find(OrgOf(env.name()));
  if (org == orgs_.end() || env.external_id() != org->second.external_id()) {
    problem("external_id",
            absl::StrCat("expected the organization's external ID (see "
                         "Organization.external_id; got '",
                         env.external_id(), "')"));
  }
  out.set_valid(out.problems().empty());
  return out;
}

namespace {
std::string ProblemsText(const v1::EnvironmentValidation& v) {
  std::vector<std::string> parts;
  for (const auto& p : v.problems())
    parts.push_back(p.field() + ": " + p.message());
  return absl::StrJoin(parts, "; ");
}
}  // namespace

absl::Status CloudCore::CreateEnvironment(
    const RequestContext& ctx, const v1::CreateEnvironmentRequest& req,
    v1::Environment* resp) {
  const std::string name =
      absl::StrCat(req.parent(), "/environments/", req.environment_id());
  return Handle(
      ctx, "CreateEnvironment", "environments.create", true, name,
      req.request_id(), [&](Call& call) -> absl::Status {
        COVE_RETURN_IF_ERROR(
            ParseName("parent", req.parent(), {"organizations", "projects"})
                .status());
        COVE_RETURN_IF_ERROR(
            ValidateId("environment_id", req.environment_id()));
        const v1::Environment& in = req.environment();
        if (in.mode() != v1::Environment::CROSS_ACCOUNT &&
            in.mode() != v1::Environment::AGENT) {
          return absl::InvalidArgumentError(absl::StrCat(
              "environment.mode: expected CROSS_ACCOUNT or AGENT (got ",
              v1::Environment::Mode_Name(in.mode()), ")"));
        }
        COVE_RETURN_IF_ERROR(
            AuthorizeLocked(call, "environments.create", req.parent()));
        COVE_ASSIGN_OR_RETURN(bool replayed, ReplayLocked(call, req, resp));
        if (replayed) return absl::OkStatus();
        if (projects_.count(req.parent()) == 0)
          return NotFound("project", req.parent());
        if (environments_.count(name) != 0) {
          return absl::AlreadyExistsError(
              absl::StrCat("environment '", name, "' already exists"));
        }
        const absl::Time now = NowLocked();
        v1::Environment env = in;
        env.set_name(name);
        // Private endpoints (cluster_network.cc).
        COVE_RETURN_IF_ERROR(AssignPrivateAddressLocked(&env));
        env.clear_agent_token();
        env.clear_agent_token_expire_time();
        env.clear_last_heartbeat_time();
        *env.mutable_create_time() = ToProto(now);
        *env.mutable_update_time() = ToProto(now);
        env.set_etag(NewEtag());
        std::string token;
        if (env.mode() == v1::Environment::AGENT) {
          env.set_state(v1::Environment::AWAITING_AGENT);
          env.set_state_message("waiting for the agent to connect");
          COVE_ASSIGN_OR_RETURN(std::string random, RandomAlnum(40));
          token = "cove-agent_" + random;
          COVE_ASSIGN_OR_RETURN(
              auto hash, auth::HashPassword(token, options_.pbkdf2_iterations));
          secrets_[name] = hash;
          COVE_RETURN_IF_ERROR(PersistSecretLocked(name, "", hash));
          *env.mutable_agent_token_expire_time() =
              ToProto(now + kAgentTokenLifetime);
        } else {
          COVE_RETURN_IF_ERROR(CheckBucketAvailableLocked(env.bucket()));
          v1::EnvironmentValidation v = ValidateEnvironmentLocked(env);
          env.set_state(v.valid() ? v1::Environment::READY
                                  : v1::Environment::FAILED);
          env.set_state_message(v.valid() ? "validated" : ProblemsText(v));
        }
        COVE_RETURN_IF_ERROR(Persist("environment", name, env));
        environments_[name] = env;
        *resp = env;
        resp->set_agent_token(token);
        return RememberLocked(call, req, *resp, env);
      });
}

absl::Status CloudCore::GetEnvironment(const RequestContext& ctx,
                                       const v1::GetRequest& req,
                                       v1::Environment* resp) {
  return Handle(ctx, "GetEnvironment", "environments.get", false, req.name(),
                "", [&](Call& call) -> absl::Status {
                  COVE_RETURN_IF_ERROR(
                      ParseName("name", req.name(),
                                {"organizations", "projects", "environments"})
                          .status());
                  COVE_RETURN_IF_ERROR(
                      AuthorizeLocked(call, "environments.get", req.name()));
                  auto it = environments_.find(req.name());
                  if (it == environments_.end())
                    return NotFound("environment", req.name());
                  *resp = it->second;
                  return absl::OkStatus();
                });
}

absl::Status CloudCore::ListEnvironments(const RequestContext& ctx,
                                         const v1::ListEnvironmentsRequest& req,
                                         v1::ListEnvironmentsResponse* resp) {
  return Handle(
      ctx, "ListEnvironments", "environments.list", false, req.parent(), "",
      [&](Call& call) -> absl::Status {
        COVE_RETURN_IF_ERROR(
            ParseName("parent", req.parent(), {"organizations", "projects"})
                .status());
        COVE_ASSIGN_OR_RETURN(Filter filter,
                              ParseFilter(req.filter(), {"mode", "state"}));
        COVE_RETURN_IF_ERROR(
            AuthorizeListLocked(call, "environments.list", req.parent()));
        std::vector<std::pair<std::string, v1::Environment>> items;
        for (const auto& [name, e] : environments_) {
          if (!Within(name, req.parent())) continue;
          if (!AllowedLocked(call.principal, "environments.get", name))
            continue;
          if (auto* v = filter.Get("mode");
              v && *v != v1::Environment::Mode_Name(e.mode())) {
            continue;
          }
          if (auto* v = filter.Get("state");
              v && *v != v1::Environment::State_Name(e.state())) {
            continue;
          }
          items.emplace_back(name, e);
        }
        PageRequest page{
            req.page_size(), req.page_token(),
            absl::StrCat("envs|", req.parent(), "|", req.filter())};
        return Paginate(items, page, resp->mutable_environments(),
                        resp->mutable_next_page_token());
      });
}

absl::Status CloudCore::DeleteEnvironment(const RequestContext& ctx,
                                          const v1::DeleteRequest& req,
                                          google::protobuf::Empty* resp) {
  return Handle(ctx, "DeleteEnvironment", "environments.delete", true,
                req.name(), req.request_id(), [&](Call& call) -> absl::Status {
                  COVE_RETURN_IF_ERROR(
                      ParseName("name", req.name(),
                                {"organizations", "projects", "environments"})
                          .status());
                  COVE_RETURN_IF_ERROR(
                      AuthorizeLocked(call, "environments.delete", req.name()));
                  auto it = environments_.find(req.name());
                  if (it == environments_.end())
                    return NotFound("environment", req.name());
                  COVE_RETURN_IF_ERROR(
                      CheckEtag(absl::StrCat("environment '", req.name(), "'"),
                                req.etag(), it->second.etag()));
                  for (const auto& [n, c] : clusters_) {
                    if (c.environment() == req.name()) {
                      return absl::FailedPreconditionError(absl::StrCat(
                          "environment '", req.name(), "' is used by cluster '",
                          n, "' (", v1::Cluster::State_Name(c.state()),
                          "); delete and purge it first"));
                    }
                  }
                  DropSecretLocked(req.name());
                  DropSecretLocked(AgentCredentialSecretName(req.name()));
                  AgentEnvironmentDeletedLocked(req.name());
                  COVE_RETURN_IF_ERROR(Unpersist("environment", req.name()));
                  environments_.erase(it);
                  return absl::OkStatus();
                });
}

absl::Status CloudCore::ValidateEnvironment(
    const RequestContext& ctx, const v1::ValidateEnvironmentRequest& req,
    v1::EnvironmentValidation* resp) {
  return Handle(
      ctx, "ValidateEnvironment", "environments.validate", true, req.name(), "",
      [&](Call& call) -> absl::Status {
        COVE_RETURN_IF_ERROR(
            ParseName("name", req.name(),
                      {"organizations", "projects", "environments"})
                .status());
        COVE_RETURN_IF_ERROR(
            AuthorizeLocked(call, "environments.validate", req.name()));
        auto it = environments_.find(req.name());
        if (it == environments_.end())
          return NotFound("environment", req.name());
        v1::Environment& env = it->second;
        *resp = ValidateEnvironmentLocked(env);
        if (env.mode() == v1::Environment::CROSS_ACCOUNT) {
          auto state =
              resp->valid() ? v1::Environment::READY : v1::Environment::FAILED;
          std::string message =
              resp->valid() ? "validated" : ProblemsText(*resp);
          if (state != env.state() || message != env.state_message()) {
            env.set_state(state);
            env.set_state_message(message);
            *env.mutable_update_time() = ToProto(NowLocked());
            env.set_etag(NewEtag());
            COVE_RETURN_IF_ERROR(Persist("environment", env.name(), env));
          }
        }
        return absl::OkStatus();
      });
}

absl::Status CloudCore::RotateAgentToken(const RequestContext& ctx,
                                         const v1::RotateAgentTokenRequest& req,
                                         v1::Environment* resp) {
  return Handle(
      ctx, "RotateAgentToken", "environments.rotateToken", true, req.name(), "",
      [&](Call& call) -> absl::Status {
        COVE_RETURN_IF_ERROR(
            ParseName("name", req.name(),
                      {"organizations", "projects", "environments"})
                .status());
        COVE_RETURN_IF_ERROR(
            AuthorizeLocked(call, "environments.rotateToken", req.name()));
        auto it = environments_.find(req.name());
        if (it == environments_.end())
          return NotFound("environment", req.name());
        v1::Environment& env = it->second;
        COVE_RETURN_IF_ERROR(
            CheckEtag(absl::StrCat("environment '", req.name(), "'"),
                      req.etag(), env.etag()));
        if (env.mode() != v1::Environment::AGENT) {
          return absl::FailedPreconditionError(
              absl::StrCat("environment '", req.name(), "' is in mode ",
                           v1::Environment::Mode_Name(env.mode()),
                           "; only AGENT environments have agent tokens"));
        }
        const absl::Time now = NowLocked();
        COVE_ASSIGN_OR_RETURN(std::string random, RandomAlnum(40));
        const std::string token = "cove-agent_" + random;
        COVE_ASSIGN_OR_RETURN(
            auto hash, auth::HashPassword(token, options_.pbkdf2_iterations));
        secrets_[env.name()] = hash;
        COVE_RETURN_IF_ERROR(PersistSecretLocked(env.name(), "", hash));
        *env.mutable_agent_token_expire_time() =
            ToProto(now + kAgentTokenLifetime);
        *env.mutable_update_time() = ToProto(now);
        env.set_etag(NewEtag());
        COVE_RETURN_IF_ERROR(Persist("environment", env.name(), env));
        *resp = env;
        resp->set_agent_token(token);
        return absl::OkStatus();
      });
}

}  // namespace cove::cloud
