// Support access with customer approval (issue 19).
//
// The vendor's support engineers are support principals
// ("supportPrincipals/{id}", made by the emulator's admin with
// Emulator.CreateSupportPrincipal): API keys of no organization that hold
// nothing by themselves. Role bindings never give them anything
// (GrantsLocked skips them). A support principal asks for access to one
// cluster, for a reason and a duration (1 minute to 24 hours):
// RequestSupportAccess makes a PENDING grant
// "organizations/{org}/supportGrants/{id}". An organization owner approves
// it (ACTIVE from then until approve_time + duration, on the emulator's
// clock), denies it, or revokes it at any time. While ACTIVE it allows the
// support actions (kSupportActions: reading the cluster, its metrics and
// its backups) on that cluster only, and the data plane admits the Milvus
// credentials "@support/{id}:{password}" read-only (server/support_access.h;
// the password is shown to the requester by GetSupportAccess while the
// grant is ACTIVE). Every call a support principal makes (control plane:
// Handle's audit; data plane: the data plane's support calls, forwarded by
// agents in agent mode) is an audit event under the support principal with
// the grant's name in support_grant. Expiry and revocation close the data
// plane's session at once (cross-account: the data plane's table; agent
// mode: AgentSetSupportAccess, sent again after every hello).
#include <algorithm>

#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "cloud/cloud_core.h"
#include "cloud/request_limits.h"
#include "cloud/util.h"
#include "common/utf8.h"

namespace cove::cloud {
namespace {

constexpr char kGrantKind[] = "supportgrant";
constexpr char kPrincipalKind[] = "supportprincipal";
constexpr char kPasswordKind[] = "supportpassword";
constexpr size_t kMaxPendingSupportCalls = 1000;
constexpr size_t kMaxReason = 500;

// What an ACTIVE grant allows on its cluster (and below it).
constexpr const char* kSupportActions[] = {
    "clusters.get", "clusters.getMetrics", "backups.get", "backups.list"};

bool IsSupportAction(const std::string& action) {
  for (const char* a : kSupportActions) {
    if (action == a) return true;
  }
  return false;
}

std::string StateName(v1::SupportAccessGrant::State s) {
  return v1::SupportAccessGrant::State_Name(s);
}

std::string Aad(const std::string& grant) {
  return "cove-support-password:" + grant;
}

}  // namespace

// ---- state -----------------------------------------------------------------

absl::Status CloudCore::LoadSupportAccessLocked() {
  const auto load = [this](const char* kind, auto* out) -> absl::Status {
    COVE_ASSIGN_OR_RETURN(auto rows, store_->LoadKind(kind));
    for (const auto& [name, data] : rows) {
      typename std::remove_pointer_t<decltype(out)>::mapped_type m;
      if (!m.ParseFromString(data)) {
        return absl::DataLossError(
            absl::StrCat("state database: ", kind, " '", name, "' is corrupt"));
      }
      (*out)[name] = std::move(m);
    }
    return absl::OkStatus();
  };
  COVE_RETURN_IF_ERROR(load(kPrincipalKind, &support_principals_));
  COVE_RETURN_IF_ERROR(load(kGrantKind, &support_grants_));
  COVE_ASSIGN_OR_RETURN(auto rows, store_->LoadKind(kPasswordKind));
  for (const auto& [name, sealed] : rows) {
    COVE_ASSIGN_OR_RETURN(const internal::Cipher* cipher,
                          SealingCipherLocked());
    auto password = cipher->Open(sealed, Aad(name));
    if (!password.ok()) {
      return absl::FailedPreconditionError(absl::StrCat(
          "state directory: the sealed data-plane password of '", name,
          "' does not open with sealing.key (", password.status().message(),
          "); was the key replaced?"));
    }
    support_passwords_[name] = *std::move(password);
  }
  return absl::OkStatus();
}

// ---- authorization ---------------------------------------------------------

const v1::SupportAccessGrant* CloudCore::SupportGrantForLocked(
    const Principal& p, const std::string& action,
    const std::string& resource) const {
  if (!p.support || !IsSupportAction(action)) return nullptr;
  const absl::Time now = NowLocked();
  const std::string org = OrgOf(resource);
  if (org.empty()) return nullptr;
  // Grants are named below their cluster's organization.
  const std::string prefix = org + "/supportGrants/";
  for (auto it = support_grants_.lower_bound(prefix);
       it != support_grants_.end() && absl::StartsWith(it->first, prefix);
       ++it) {
    const v1::SupportAccessGrant& g = it->second;
    if (g.requester() != p.key_name ||
        g.state() != v1::SupportAccessGrant::ACTIVE ||
        FromProto(g.expire_time()) <= now || !Within(resource, g.cluster())) {
      continue;
    }
    // A cluster of the same name made after the request is another one.
    auto c = clusters_.find(g.cluster());
    if (c == clusters_.end() ||
        FromProto(c->second.create_time()) > FromProto(g.create_time())) {
      continue;
    }
    return &g;
  }
  return nullptr;
}

v1::SupportAccessGrant CloudCore::SupportGrantViewLocked(
    const v1::SupportAccessGrant& g, const Principal& p, bool reveal) const {
  v1::SupportAccessGrant out = g;
  out.clear_data_plane_password();
  if (reveal && p.support && p.key_name == g.requester() &&
      g.state() == v1::SupportAccessGrant::ACTIVE &&
      FromProto(g.expire_time()) > NowLocked()) {
    auto pw = support_passwords_.find(g.name());
    if (pw != support_passwords_.end()) out.set_data_plane_password(pw->second);
  }
  return out;
}

// ---- the data planes -------------------------------------------------------

std::vector<server::SupportSession> CloudCore::SupportSessionListLocked(
    const std::string& cluster) const {
  std::vector<server::SupportSession> out;
  const absl::Time now = NowLocked();
  const std::string prefix = OrgOf(cluster) + "/supportGrants/";
  for (auto it = support_grants_.lower_bound(prefix);
       it != support_grants_.end() && absl::StartsWith(it->first, prefix);
       ++it) {
    const v1::SupportAccessGrant& g = it->second;
    if (g.cluster() != cluster || g.state() != v1::SupportAccessGrant::ACTIVE ||
        FromProto(g.expire_time()) <= now) {
      continue;
    }
    auto pw = support_passwords_.find(g.name());
    if (pw == support_passwords_.end()) continue;
    out.push_back({g.name(), server::SupportPasswordTag(pw->second)});
  }
  return out;
}

v1::AgentCommand CloudCore::AgentSupportAccessCommand(
    const std::string& cluster) const {
  v1::AgentCommand cmd;
  cmd.set_command_id(absl::StrCat("support/", cluster));
  cmd.set_cluster(cluster);
  v1::AgentSetSupportAccess* set = cmd.mutable_support_access();
  for (const server::SupportSession& s : SupportSessionListLocked(cluster)) {
    v1::AgentSupportSession* out = set->add_sessions();
    out->set_grant(s.grant);
    out->set_password_tag(s.password_tag);
  }
  return cmd;
}

std::shared_ptr<server::SupportSessions> CloudCore::SupportSessionsLocked(
    const std::string& cluster) {
  auto& table = support_sessions_[cluster];
  if (table == nullptr) {
    table = std::make_shared<server::SupportSessions>();
    table->Set(SupportSessionListLocked(cluster));
  }
  return table;
}

void CloudCore::ApplySupportSessionsLocked(const std::string& cluster) {
  auto c = clusters_.find(cluster);
  if (c == clusters_.end()) return;
  if (IsAgentEnvironmentLocked(c->second.environment())) {
    // Not connected: the next hello sends it (AgentReconcileLocked).
    AgentSendLocked(c->second.environment(),
                    AgentSupportAccessCommand(cluster));
    return;
  }
  SupportSessionsLocked(cluster)->Set(SupportSessionListLocked(cluster));
}

std::function<void(const server::SupportCall&)> CloudCore::SupportCallObserver(
    const std::string& cluster) {
  return [this, cluster](const server::SupportCall& c) {
    absl::MutexLock lock(&denials_mu_);
    if (support_calls_.size() >= kMaxPendingSupportCalls) {
      ++denials_dropped_[cluster];
      return;
    }
    support_calls_.push_back({cluster, c});
  };
}

void CloudCore::DrainSupportCallsLocked() {
  std::vector<PendingSupportCall> pending;
  {
    absl::MutexLock lock(&denials_mu_);
    if (support_calls_.empty()) return;
    pending.swap(support_calls_);
  }
  for (const PendingSupportCall& p : pending)
    (void)SupportCallEventLocked(p.cluster, p.call);
}

bool CloudCore::SupportCallEventLocked(const std::string& cluster,
                                       const server::SupportCall& call) {
  const std::string grant_name =
      absl::StrCat(OrgOf(cluster), "/supportGrants/", call.grant);
  auto g = support_grants_.find(grant_name);
  if (OrgOf(cluster).empty() || g == support_grants_.end() ||
      g->second.cluster() != cluster) {
    return false;
  }
  v1::AuditEvent e;
  const int64_t id = next_audit_id_++;
  e.set_name(absl::StrFormat("auditEvents/%012d", id));
  *e.mutable_time() = ToProto(
      manual_clock_ || call.time == absl::Time() ? NowLocked() : call.time);
  e.set_actor(g->second.requester());
  e.set_action(absl::StrCat("dataPlane.", EscapeForMessage(call.method, 64)));
  e.set_resource(cluster);
  e.set_outcome(call.code == absl::StatusCode::kOk ? v1::AuditEvent::SUCCEEDED
                : call.code == absl::StatusCode::kPermissionDenied
                    ? v1::AuditEvent::DENIED
                    : v1::AuditEvent::FAILED);
  e.set_status_code(static_cast<int>(call.code));
  e.set_message(absl::StrCat(
      "data plane ", EscapeForMessage(call.method, 64), " with support access",
      call.message.empty() ? "" : ": ", EscapeForMessage(call.message, 300)));
  e.set_client_address(EscapeForMessage(call.peer, 128));
  e.set_support_grant(grant_name);
  (void)store_->AppendAudit(id, e.SerializeAsString());
  audit_.push_back(std::move(e));
  return true;
}

void CloudCore::AgentSupportCallsLocked(const std::string& environment,
                                        const v1::AgentAccessDenials& in) {
  int64_t foreign = 0;
  for (const v1::AgentSupportCall& a : in.support_calls()) {
    // An agent speaks only for the clusters of its own environment.
    auto c = clusters_.find(a.cluster());
    if (c == clusters_.end() || c->second.environment() != environment) {
      ++foreign;
      continue;
    }
    server::SupportCall call;
    call.grant = a.grant();
    call.peer = a.peer();
    call.method = a.method();
    call.code = static_cast<absl::StatusCode>(a.status_code());
    call.message = a.message();
    call.time = a.time_unix_ms() > 0 ? absl::FromUnixMillis(a.time_unix_ms())
                                     : absl::Time();
    if (!SupportCallEventLocked(a.cluster(), call)) ++foreign;
  }
  if (foreign > 0) {
    SystemEventLocked(
        "dataPlane.supportCalls", environment,
        absl::InvalidArgumentError("agent"),
        absl::StrCat("the agent of ", environment, " reported ", foreign,
                     " support calls naming no support access grant of its "
                     "clusters; ignored"));
  }
}

void CloudCore::SupportAccessTickLocked() {
  const absl::Time now = NowLocked();
  std::vector<std::string> clusters;
  for (auto& [name, g] : support_grants_) {
    if (g.state() != v1::SupportAccessGrant::ACTIVE ||
        FromProto(g.expire_time()) > now) {
      continue;
    }
    g.set_state(v1::SupportAccessGrant::EXPIRED);
    *g.mutable_end_time() = g.expire_time();
    g.set_etag(NewEtag());
    (void)Persist(kGrantKind, name, g);
    support_passwords_.erase(name);
    (void)Unpersist(kPasswordKind, name);
    clusters.push_back(g.cluster());
    SystemEventLocked("supportAccess.expire", name, absl::OkStatus(),
                      absl::StrCat("support access of ", g.requester(), " to ",
                                   g.cluster(), " expired"));
  }
  for (const std::string& c : clusters) ApplySupportSessionsLocked(c);
}

// ---- the RPCs
// ----------------------------------------------------------------

absl::Status CloudCore::CreateSupportPrincipal(
    const RequestContext& ctx, const v1::CreateSupportPrincipalRequest& req,
    v1::SupportPrincipal* resp) {
  return Handle(
      ctx, "CreateSupportPrincipal", "emulator.createSupportPrincipal", true,
      "supportPrincipals", "", [&](Call& call) -> absl::Status {
        if (!call.principal.admin) {
          call.denied = true;
          return absl::PermissionDeniedError(absl::StrCat(
              "permission denied: ", call.principal.actor,
              " may not use emulator.createSupportPrincipal (only the "
              "emulator's admin key may)"));
        }
        COVE_RETURN_IF_ERROR(
            ValidateId("support_principal_id", req.support_principal_id()));
        if (req.display_name().size() > 200) {
          return absl::InvalidArgumentError(
              absl::StrCat("display_name: expected at most 200 bytes (got ",
                           req.display_name().size(), ")"));
        }
        const std::string name =
            absl::StrCat("supportPrincipals/", req.support_principal_id());
        call.resource = name;
        if (support_principals_.count(name) != 0) {
          return absl::AlreadyExistsError(
              absl::StrCat("support principal '", name, "' already exists"));
        }
        v1::SupportPrincipal sp;
        sp.set_name(name);
        sp.set_display_name(req.display_name().empty()
                                ? req.support_principal_id()
                                : req.display_name());
        *sp.mutable_create_time() = ToProto(NowLocked());
        COVE_ASSIGN_OR_RETURN(std::string secret, IssueSecretLocked(name));
        COVE_RETURN_IF_ERROR(Persist(kPrincipalKind, name, sp));
        support_principals_[name] = sp;
        *resp = sp;
        resp->set_secret(secret);
        return absl::OkStatus();
      });
}

absl::Status CloudCore::RequestSupportAccess(
    const RequestContext& ctx, const v1::RequestSupportAccessRequest& req,
    v1::SupportAccessGrant* resp) {
  return Handle(
      ctx, "RequestSupportAccess", "supportAccess.request", true, req.cluster(),
      req.request_id(), [&](Call& call) -> absl::Status {
        if (!call.principal.support) {
          call.denied = true;
          return absl::PermissionDeniedError(absl::StrCat(
              "permission denied: ", call.principal.actor,
              " may not use supportAccess.request (only support principals "
              "request support access)"));
        }
        COVE_RETURN_IF_ERROR(
            ParseName("cluster", req.cluster(),
                      {"organizations", "projects", "clusters"})
                .status());
        if (req.reason().empty() || req.reason().size() > kMaxReason) {
          return absl::InvalidArgumentError(
              absl::StrCat("reason: expected 1 to ", kMaxReason,
                           " bytes saying why access is needed (got ",
                           req.reason().size(), ")"));
        }
        if (!internal::IsValidUtf8(req.reason())) {
          return absl::InvalidArgumentError(
              "reason: expected UTF-8 text (got invalid bytes)");
        }
        const absl::Duration d = FromProtoDuration(req.duration());
        if (d < absl::Minutes(1) || d > absl::Hours(24)) {
          return absl::InvalidArgumentError(
              absl::StrCat("duration: expected 1m to 24h of access (got ",
                           absl::FormatDuration(d), ")"));
        }
        COVE_ASSIGN_OR_RETURN(bool replayed, ReplayLocked(call, req, resp));
        if (replayed) return absl::OkStatus();
        auto c = clusters_.find(req.cluster());
        if (c == clusters_.end() || c->second.state() == v1::Cluster::DELETED) {
          return NotFound("cluster", req.cluster());
        }
        COVE_ASSIGN_OR_RETURN(std::string hex, RandomHex(8));
        const std::string id = "g" + hex;
        const std::string name =
            absl::StrCat(OrgOf(req.cluster()), "/supportGrants/", id);
        call.resource = name;
        v1::SupportAccessGrant g;
        g.set_name(name);
        g.set_cluster(req.cluster());
        g.set_requester(call.principal.key_name);
        g.set_reason(req.reason());
        *g.mutable_duration() = req.duration();
        g.set_state(v1::SupportAccessGrant::PENDING);
        *g.mutable_create_time() = ToProto(NowLocked());
        g.set_data_plane_user(absl::StrCat(server::kSupportUserPrefix, id));
        g.set_etag(NewEtag());
        COVE_RETURN_IF_ERROR(Persist(kGrantKind, name, g));
        support_grants_[name] = g;
        call.support_grant = name;
        *resp = SupportGrantViewLocked(g, call.principal, false);
        return RememberLocked(call, req, *resp, *resp);
      });
}

absl::Status CloudCore::GetSupportAccess(const RequestContext& ctx,
                                         const v1::GetRequest& req,
                                         v1::SupportAccessGrant* resp) {
  return Handle(
      ctx, "GetSupportAccess", "supportAccess.get", false, req.name(), "",
      [&](Call& call) -> absl::Status {
        COVE_RETURN_IF_ERROR(
            ParseName("name", req.name(), {"organizations", "supportGrants"})
                .status());
        auto it = support_grants_.find(req.name());
        if (call.principal.support) {
          // Another principal's grant looks exactly like a missing one.
          if (it == support_grants_.end() ||
              it->second.requester() != call.principal.key_name) {
            call.denied = it != support_grants_.end();
            return NotFound("support access grant", req.name());
          }
          call.support_grant = req.name();
        } else {
          COVE_RETURN_IF_ERROR(
              AuthorizeLocked(call, "supportAccess.get", req.name()));
          if (it == support_grants_.end())
            return NotFound("support access grant", req.name());
        }
        *resp = SupportGrantViewLocked(it->second, call.principal, true);
        return absl::OkStatus();
      });
}

absl::Status CloudCore::ListSupportAccess(
    const RequestContext& ctx, const v1::ListSupportAccessRequest& req,
    v1::ListSupportAccessResponse* resp) {
  return Handle(
      ctx, "ListSupportAccess", "supportAccess.list", false, req.parent(), "",
      [&](Call& call) -> absl::Status {
        COVE_ASSIGN_OR_RETURN(Filter filter,
                              ParseFilter(req.filter(), {"state", "cluster"}));
        if (const std::string* s = filter.Get("state")) {
          v1::SupportAccessGrant::State st;
          if (!v1::SupportAccessGrant::State_Parse(*s, &st) ||
              st == v1::SupportAccessGrant::STATE_UNSPECIFIED) {
            return absl::InvalidArgumentError(absl::StrCat(
                "filter: state expected PENDING, ACTIVE, DENIED, EXPIRED or "
                "REVOKED (got '",
                EscapeForMessage(*s, 40), "')"));
          }
        }
        if (call.principal.support) {
          if (!req.parent().empty()) {
            call.denied = true;
            return absl::PermissionDeniedError(absl::StrCat(
                "permission denied: ", call.principal.actor,
                " may not use supportAccess.list on '",
                EscapeForMessage(req.parent(), 200),
                "' (support principals list their own grants: leave parent "
                "empty)"));
          }
        } else {
          COVE_RETURN_IF_ERROR(
              ParseName("parent", req.parent(), {"organizations"}).status());
          COVE_RETURN_IF_ERROR(
              AuthorizeLocked(call, "supportAccess.list", req.parent()));
        }
        std::vector<std::pair<std::string, v1::SupportAccessGrant>> items;
        for (const auto& [name, g] : support_grants_) {
          if (call.principal.support ? g.requester() != call.principal.key_name
                                     : !Within(name, req.parent())) {
            continue;
          }
          if (auto* v = filter.Get("state"); v && *v != StateName(g.state()))
            continue;
          if (auto* v = filter.Get("cluster"); v && *v != g.cluster()) continue;
          items.emplace_back(name,
                             SupportGrantViewLocked(g, call.principal, false));
        }
        PageRequest page{req.page_size(), req.page_token(),
                         absl::StrCat("support|", call.principal.actor, "|",
                                      req.parent(), "|", req.filter())};
        return Paginate(items, page, resp->mutable_grants(),
                        resp->mutable_next_page_token());
      });
}

absl::Status CloudCore::SupportAction(const RequestContext& ctx,
                                      const char* method, const char* action,
                                      const v1::SupportAccessActionRequest& req,
                                      v1::SupportAccessGrant* resp) {
  return Handle(
      ctx, method, action, true, req.name(), "",
      [&](Call& call) -> absl::Status {
        COVE_RETURN_IF_ERROR(
            ParseName("name", req.name(), {"organizations", "supportGrants"})
                .status());
        if (req.reason().size() > kMaxReason ||
            !internal::IsValidUtf8(req.reason())) {
          return absl::InvalidArgumentError(absl::StrCat(
              "reason: expected at most ", kMaxReason,
              " bytes of UTF-8 text (got ", req.reason().size(), " bytes)"));
        }
        // Owners only; a support principal never decides on its own access.
        COVE_RETURN_IF_ERROR(AuthorizeLocked(call, action, req.name()));
        auto it = support_grants_.find(req.name());
        if (it == support_grants_.end())
          return NotFound("support access grant", req.name());
        v1::SupportAccessGrant& g = it->second;
        COVE_RETURN_IF_ERROR(CheckEtag(req.name(), req.etag(), g.etag()));
        const absl::Time now = NowLocked();
        const std::string verb =
            std::string(action).substr(std::string("supportAccess.").size());
        // An ACTIVE grant past its end that the scheduler has not seen yet.
        if (g.state() == v1::SupportAccessGrant::ACTIVE &&
            FromProto(g.expire_time()) <= now) {
          SupportAccessTickLocked();
        }
        const auto expect = [&](v1::SupportAccessGrant::State want) {
          return absl::FailedPreconditionError(
              absl::StrCat("support access grant '", req.name(), "': expected ",
                           StateName(want), " to ", verb, " (got ",
                           StateName(g.state()), ")"));
        };
        v1::SupportAccessGrant next = g;
        std::string password;
        if (verb == "approve") {
          if (g.state() != v1::SupportAccessGrant::PENDING)
            return expect(v1::SupportAccessGrant::PENDING);
          auto c = clusters_.find(g.cluster());
          if (c == clusters_.end() ||
              c->second.state() == v1::Cluster::DELETED ||
              FromProto(c->second.create_time()) > FromProto(g.create_time())) {
            return absl::FailedPreconditionError(absl::StrCat(
                "support access grant '", req.name(), "': cluster '",
                g.cluster(), "' no longer exists"));
          }
          next.set_state(v1::SupportAccessGrant::ACTIVE);
          *next.mutable_approve_time() = ToProto(now);
          *next.mutable_expire_time() =
              ToProto(now + FromProtoDuration(g.duration()));
          next.set_decided_by(call.principal.actor);
          COVE_ASSIGN_OR_RETURN(password, RandomAlnum(32));
          COVE_ASSIGN_OR_RETURN(const internal::Cipher* cipher,
                                SealingCipherLocked());
          COVE_ASSIGN_OR_RETURN(std::string sealed,
                                cipher->Seal(password, Aad(g.name())));
          COVE_RETURN_IF_ERROR(store_->Put(kPasswordKind, g.name(), sealed));
        } else if (verb == "deny") {
          if (g.state() != v1::SupportAccessGrant::PENDING)
            return expect(v1::SupportAccessGrant::PENDING);
          next.set_state(v1::SupportAccessGrant::DENIED);
          *next.mutable_end_time() = ToProto(now);
          next.set_decided_by(call.principal.actor);
          next.set_decision_reason(req.reason());
        } else {
          if (g.state() != v1::SupportAccessGrant::ACTIVE)
            return expect(v1::SupportAccessGrant::ACTIVE);
          next.set_state(v1::SupportAccessGrant::REVOKED);
          *next.mutable_end_time() = ToProto(now);
          next.set_revoked_by(call.principal.actor);
          next.set_decision_reason(req.reason());
        }
        next.set_etag(NewEtag());
        COVE_RETURN_IF_ERROR(Persist(kGrantKind, g.name(), next));
        g = next;
        if (verb == "approve") {
          support_passwords_[g.name()] = password;
        } else if (verb == "revoke") {
          support_passwords_.erase(g.name());
          (void)Unpersist(kPasswordKind, g.name());
        }
        call.audit_message = absl::StrCat(
            verb, " support access of ", g.requester(), " to ", g.cluster(),
            verb == "approve"
                ? absl::StrCat(" until ",
                               absl::FormatTime(absl::RFC3339_sec,
                                                FromProto(g.expire_time()),
                                                absl::UTCTimeZone()))
                : "");
        if (verb != "deny") ApplySupportSessionsLocked(g.cluster());
        *resp = SupportGrantViewLocked(g, call.principal, false);
        return absl::OkStatus();
      });
}

absl::Status CloudCore::ApproveSupportAccess(
    const RequestContext& ctx, const v1::SupportAccessActionRequest& req,
    v1::SupportAccessGrant* resp) {
  return SupportAction(ctx, "ApproveSupportAccess", "supportAccess.approve",
                       req, resp);
}

absl::Status CloudCore::DenySupportAccess(
    const RequestContext& ctx, const v1::SupportAccessActionRequest& req,
    v1::SupportAccessGrant* resp) {
  return SupportAction(ctx, "DenySupportAccess", "supportAccess.deny", req,
                       resp);
}

absl::Status CloudCore::RevokeSupportAccess(
    const RequestContext& ctx, const v1::SupportAccessActionRequest& req,
    v1::SupportAccessGrant* resp) {
  return SupportAction(ctx, "RevokeSupportAccess", "supportAccess.revoke", req,
                       resp);
}

}  // namespace cove::cloud
