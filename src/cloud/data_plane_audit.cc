// Data-plane refusals (failed authentication, missing privileges) as audit
// events of the control plane, in both BYOC modes: cross-account data planes
// report to DataPlaneAuditObserver; agents forward theirs over their stream
// (AgentAccessDenials).
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "cloud/cloud_core.h"
#include "cloud/request_limits.h"
#include "cloud/util.h"

namespace cove::cloud {
namespace {

// At most this many refusals wait between two drains (per emulator, and per
// agent message); more are counted and summarized in one event, so that a
// flood of bad logins cannot fill the audit log or the memory.
constexpr size_t kMaxPendingDenials = 1000;

}  // namespace

std::function<void(const server::AccessDenial&)>
CloudCore::DataPlaneAuditObserver(const std::string& cluster) {
  return [this, cluster](const server::AccessDenial& d) {
    absl::MutexLock lock(&denials_mu_);
    if (denials_.size() >= kMaxPendingDenials) {
      ++denials_dropped_[cluster];
      return;
    }
    denials_.push_back({cluster, d});
  };
}

void CloudCore::DataPlaneAuditEventLocked(const std::string& cluster,
                                          const server::AccessDenial& d) {
  const bool auth = d.kind == server::AccessDenial::Kind::kAuthentication;
  const bool network = d.kind == server::AccessDenial::Kind::kNetwork;
  v1::AuditEvent e;
  const int64_t id = next_audit_id_++;
  e.set_name(absl::StrFormat("auditEvents/%012d", id));
  // The manual clock (tests) wins over the data plane's real time.
  *e.mutable_time() =
      ToProto(manual_clock_ || d.time == absl::Time() ? NowLocked() : d.time);
  // The data-plane user, named below its cluster: "<cluster>/users/<user>".
  e.set_actor(d.user.empty() ? "anonymous"
                             : absl::StrCat(cluster, "/users/",
                                            EscapeForMessage(d.user, 64)));
  // IP access list refusals: dataPlane.ipAccessList, the client address
  // in client_address and in the message.
  e.set_action(network ? "dataPlane.ipAccessList"
               : auth  ? "dataPlane.authenticate"
                       : absl::StrCat("dataPlane.",
                                     d.privilege.empty()
                                          ? std::string("privilege")
                                          : EscapeForMessage(d.privilege, 64)));
  e.set_resource(cluster);
  e.set_outcome(v1::AuditEvent::DENIED);
  e.set_status_code(
      static_cast<int>(auth ? absl::StatusCode::kUnauthenticated
                            : absl::StatusCode::kPermissionDenied));
  e.set_message(absl::StrCat("data plane ", EscapeForMessage(d.method, 64),
                             ": ", EscapeForMessage(d.message, 300)));
  e.set_client_address(EscapeForMessage(d.peer, 128));
  (void)store_->AppendAudit(id, e.SerializeAsString());
  audit_.push_back(std::move(e));
}

void CloudCore::DrainDataPlaneAuditLocked() {
  DrainSupportCallsLocked();  // support_access.cc
  std::vector<PendingDenial> pending;
  std::map<std::string, int64_t> dropped;
  {
    absl::MutexLock lock(&denials_mu_);
    if (denials_.empty() && denials_dropped_.empty()) return;
    pending.swap(denials_);
    dropped.swap(denials_dropped_);
  }
  for (const PendingDenial& p : pending) {
    DataPlaneAuditEventLocked(p.cluster, p.denial);
  }
  for (const auto& [cluster, n] : dropped) {
    SystemEventLocked(
        "dataPlane.denials", cluster,
        absl::ResourceExhaustedError("rate limit"),
        absl::StrCat(n,
                     " data-plane refusals were not recorded one by one (more "
                     "than ",
                     kMaxPendingDenials, " between two writes)"));
  }
}

void CloudCore::AgentAccessDenialsLocked(const std::string& environment,
                                         const v1::AgentAccessDenials& in) {
  AgentSupportCallsLocked(environment, in);  // support_access.cc
  int64_t foreign = 0;
  for (const v1::AgentAccessDenial& a : in.denials()) {
    // An agent speaks only for the clusters of its own environment.
    auto c = clusters_.find(a.cluster());
    if (c == clusters_.end() || c->second.environment() != environment) {
      ++foreign;
      continue;
    }
    server::AccessDenial d;
    d.kind = a.kind() == v1::AgentAccessDenial::PERMISSION
                 ? server::AccessDenial::Kind::kPermission
             : a.kind() == v1::AgentAccessDenial::NETWORK
                 ? server::AccessDenial::Kind::kNetwork
                 : server::AccessDenial::Kind::kAuthentication;
    d.user = a.user();
    d.peer = a.peer();
    d.method = a.method();
    d.privilege = a.privilege();
    d.message = a.message();
    d.time = a.time_unix_ms() > 0 ? absl::FromUnixMillis(a.time_unix_ms())
                                  : absl::Time();
    DataPlaneAuditEventLocked(a.cluster(), d);
  }
  if (in.dropped() > 0 || foreign > 0) {
    SystemEventLocked(
        "dataPlane.denials", environment, absl::ResourceExhaustedError("agent"),
        absl::StrCat("the agent of ", environment, " dropped ", in.dropped(),
                     " data-plane refusals (rate limit)",
                     foreign > 0 ? absl::StrCat("; ", foreign,
                                                " named clusters that are not "
                                                "its own and were ignored")
                                 : ""));
  }
}

}  // namespace cove::cloud
