// CloudCore: authentication, authorization, audit, request ids, faults,
// persistence and start-up.
#include "cloud/cloud_core.h"

#include <algorithm>
#include <utility>

#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "cloud/permissions.h"
#include "cloud/util.h"
#include "hosting/private_files.h"
#include "nlohmann/json.hpp"

namespace cove::cloud {
namespace {

constexpr char kAdmin[] = "admin";

// Verbs whose FAIL fault fails their operation instead of the RPC.
bool IsOperationVerb(absl::string_view method) {
  return method == "CreateCluster" || method == "SuspendCluster" ||
         method == "ResumeCluster" || method == "ScaleCluster" ||
         method == "DeleteCluster" || method == "RestoreCluster" ||
         method == "PurgeCluster" || method == "ResetClusterPassword" ||
         method == "UpgradeCluster";
}

nlohmann::json HashToJson(const auth::PasswordHash& h) {
  return {{"salt", absl::Base64Escape(h.salt)},
          {"iterations", h.iterations},
          {"hash", absl::Base64Escape(h.hash)}};
}

bool HashFromJson(const nlohmann::json& j, auth::PasswordHash* h) {
  try {
    h->iterations = j.at("iterations").get<int>();
    return absl::Base64Unescape(j.at("salt").get<std::string>(), &h->salt) &&
           absl::Base64Unescape(j.at("hash").get<std::string>(), &h->hash);
  } catch (const nlohmann::json::exception&) {
    return false;
  }
}

}  // namespace

CloudCore::CloudCore(const CloudOptions& options, std::unique_ptr<Store> store,
                     std::string tls_cert_file, std::string tls_key_file)
    : options_(options),
      tls_cert_file_(std::move(tls_cert_file)),
      tls_key_file_(std::move(tls_key_file)),
      store_(std::move(store)) {
  auto key = auth::RandomBytes(32);
  cache_key_ = key.ok() ? *key : std::string("cove-cloud");
  absl::MutexLock lock(&mu_);
  transition_delay_ = absl::FromChrono(options.transition_delay);
  retention_ = absl::FromChrono(options.retention);
  vectors_per_cu_["performance"] = options.vectors_per_cu;
  vectors_per_cu_["capacity"] = 4 * options.vectors_per_cu;
  bytes_per_cu_["performance"] = options.bytes_per_cu;
  bytes_per_cu_["capacity"] = 4 * options.bytes_per_cu;
  manual_clock_ = options.manual_clock;
  price_table_.set_currency(options.price_currency);
  (*price_table_.mutable_cu_hour())["performance"] =
      options.price_cu_hour_performance;
  (*price_table_.mutable_cu_hour())["capacity"] =
      options.price_cu_hour_capacity;
  price_table_.set_storage_gib_month(options.price_storage_gib_month);
  price_table_.set_hours_per_month(options.price_hours_per_month);
  InitReleasesLocked();  // upgrades.cc
  manual_now_ = absl::Now();
  MirrorClockLocked();
}

CloudCore::~CloudCore() { Stop(); }

absl::StatusOr<std::string> CloudCore::Start() {
  std::string admin_secret;
  // The state directory holds the database and the TLS key: 0700 (the
  // database and key files are 0600 themselves).
  COVE_RETURN_IF_ERROR(hosting::RestrictMode(options_.state_dir));
  COVE_RETURN_IF_ERROR(hosting::RestrictMode(options_.state_dir + "/tls"));
  {
    absl::MutexLock lock(&mu_);
    COVE_RETURN_IF_ERROR(LoadLocked());
    COVE_RETURN_IF_ERROR(LoadSealedPasswordsLocked());
    COVE_RETURN_IF_ERROR(LoadSupportAccessLocked());  // support_access.cc
    COVE_RETURN_IF_ERROR(RecoverBackupsLocked());
    COVE_RETURN_IF_ERROR(StartAlertsLocked());  // alerts.cc
    if (secrets_.count(kAdmin) == 0) {
      if (!options_.admin_key.empty()) {
        admin_secret = options_.admin_key;
      } else {
        COVE_ASSIGN_OR_RETURN(std::string random, RandomAlnum(40));
        admin_secret = absl::StrCat("cove_", kAdmin, "_", random);
      }
      COVE_ASSIGN_OR_RETURN(
          auth::PasswordHash hash,
          auth::HashPassword(admin_secret, options_.pbkdf2_iterations));
      secrets_[kAdmin] = hash;
      key_ids_[kAdmin] = kAdmin;
      secret_key_ids_[kAdmin] = kAdmin;
      COVE_RETURN_IF_ERROR(PersistSecretLocked(kAdmin, kAdmin, hash));
    }
    // Cross-account environments of states written before private
    // endpoints get their private network address (cluster_network.cc).
    for (auto& [name, env] : environments_) {
      if (env.mode() != v1::Environment::CROSS_ACCOUNT ||
          !env.private_network_address().empty()) {
        continue;
      }
      if (AssignPrivateAddressLocked(&env).ok()) {
        COVE_RETURN_IF_ERROR(Persist("environment", name, env));
      }
    }
    // Bring back the data planes that were serving: RUNNING clusters, and
    // clusters in a transition that keeps serving until it completes (scale,
    // suspend, delete); then resume the operations in flight.
    for (auto& [name, cluster] : clusters_) {
      const v1::Cluster::State state = cluster.state();
      if (state != v1::Cluster::RUNNING && state != v1::Cluster::MODIFYING &&
          state != v1::Cluster::SUSPENDING && state != v1::Cluster::DELETING) {
        continue;
      }
      // Agent mode: the data plane runs under the agent, not here.
      if (IsAgentEnvironmentLocked(cluster.environment())) {
        continue;
      }
      if (state == v1::Cluster::RUNNING && SuspendIfKeyRevokedLocked(&cluster))
        continue;  // keys.cc
      // On its own ports (held: control_clusters.cc).
      absl::Status s = StartDataPlaneLocked(&cluster, 0);
      if (!s.ok()) {
        cluster.set_state(v1::Cluster::FAILED);
        cluster.set_state_message(
            absl::StrCat("restart: data plane did not start: ", s.message()));
      }
      cluster.set_etag(NewEtag());
      COVE_RETURN_IF_ERROR(Persist("cluster", name, cluster));
    }
    // The clusters that do not serve keep their ports too.
    for (auto& [name, cluster] : clusters_) {
      if (ports_.count(name) != 0 || cluster.endpoint().empty() ||
          IsAgentEnvironmentLocked(cluster.environment())) {
        continue;
      }
      const std::string before = cluster.endpoint();
      if (HoldPortsLocked(&cluster, false).ok() &&
          cluster.endpoint() != before) {
        COVE_RETURN_IF_ERROR(Persist("cluster", name, cluster));
      }
      // Auto-idle: its endpoint answers (and wakes it) again.
      if (cluster.state() == v1::Cluster::IDLE &&
          !StartIdleListenerLocked(&cluster).ok()) {
        WakeLocked(&cluster);
      }
    }
    const absl::Time now = NowLocked();
    for (auto& [name, pending] : pending_) {
      pending.due = now + transition_delay_;
      pending.stalled = false;
    }
  }
  scheduler_ = std::thread([this] { SchedulerLoop(); });
  return admin_secret;
}

void CloudCore::Stop() {
  {
    absl::MutexLock lock(&mu_);
    if (stopping_ && !scheduler_.joinable() && runtimes_.empty()) return;
    stopping_ = true;
  }
  if (scheduler_.joinable()) scheduler_.join();
  StopAlerts();  // alerts.cc
  absl::MutexLock lock(&mu_);
  for (auto& [name, cluster] : clusters_) {
    if (runtimes_.count(name) != 0 || idle_listeners_.count(name) != 0)
      StopDataPlaneLocked(&cluster);
  }
  runtimes_.clear();
  DrainDataPlaneAuditLocked();
}

absl::Time CloudCore::NowLocked() const {
  return manual_clock_ ? manual_now_ : absl::Now();
}

void CloudCore::MirrorClockLocked() {
  clock_mirror_ns_.store(manual_clock_ ? absl::ToUnixNanos(manual_now_) : -1);
}

absl::Time CloudCore::ClockNowNoLock() const {
  const int64_t ns = clock_mirror_ns_.load();
  return ns < 0 ? absl::Now() : absl::FromUnixNanos(ns);
}

std::string CloudCore::NewEtag() const {
  auto hex = RandomHex(8);
  return absl::StrCat("\"", hex.ok() ? *hex : "0", "\"");
}

absl::Status CloudCore::CheckEtag(const std::string& what,
                                  const std::string& etag,
                                  const std::string& current) {
  if (!etag.empty() && etag != current) {
    return absl::AbortedError(
        absl::StrCat(what, ": etag is stale (expected ", current, ", got ",
                     etag, "); read the resource again and retry"));
  }
  return absl::OkStatus();
}

// ---- persistence -------------------------------------------------------

absl::Status CloudCore::Persist(const std::string& kind,
                                const std::string& name,
                                const google::protobuf::Message& message) {
  return store_->Put(kind, name, message.SerializeAsString());
}

absl::Status CloudCore::Unpersist(const std::string& kind,
                                  const std::string& name) {
  return store_->Delete(kind, name);
}

absl::Status CloudCore::PersistSecretLocked(const std::string& name,
                                            const std::string& key_id,
                                            const auth::PasswordHash& hash) {
  nlohmann::json j = HashToJson(hash);
  j["key_id"] = key_id;
  return store_->Put("secret", name, j.dump());
}

absl::Status CloudCore::PersistPendingLocked(const std::string& op) {
  auto it = pending_.find(op);
  if (it == pending_.end()) return store_->Delete("pending", op);
  const Pending& p = it->second;
  nlohmann::json j = {
      {"prev_state", p.prev_state},    {"cu_size", p.cu_size},
      {"replicas", p.replicas},        {"fail", p.fail},
      {"fail_code", p.fail_code},      {"fail_message", p.fail_message},
      {"version", p.version},          {"scheduled", p.scheduled},
      {"fail_replica", p.fail_replica}};
  return store_->Put("pending", op, j.dump());
}

template <typename M>
static absl::Status LoadInto(Store* store, const std::string& kind,
                             std::map<std::string, M>* out) {
  COVE_ASSIGN_OR_RETURN(auto rows, store->LoadKind(kind));
  for (const auto& [name, data] : rows) {
    M m;
    if (!m.ParseFromString(data)) {
      return absl::DataLossError(
          absl::StrCat("state database: ", kind, " '", name, "' is corrupt"));
    }
    (*out)[name] = std::move(m);
  }
  return absl::OkStatus();
}

absl::Status CloudCore::LoadLocked() {
  COVE_RETURN_IF_ERROR(LoadInto(store_.get(), "org", &orgs_));
  COVE_RETURN_IF_ERROR(LoadInto(store_.get(), "member", &members_));
  COVE_RETURN_IF_ERROR(LoadInto(store_.get(), "invitation", &invitations_));
  COVE_RETURN_IF_ERROR(LoadInto(store_.get(), "project", &projects_));
  COVE_RETURN_IF_ERROR(LoadInto(store_.get(), "environment", &environments_));
  COVE_RETURN_IF_ERROR(LoadInto(store_.get(), "cluster", &clusters_));
  COVE_RETURN_IF_ERROR(LoadInto(store_.get(), "apikey", &api_keys_));
  COVE_RETURN_IF_ERROR(LoadInto(store_.get(), "role", &roles_));
  COVE_RETURN_IF_ERROR(LoadInto(store_.get(), "binding", &bindings_));
  COVE_RETURN_IF_ERROR(LoadInto(store_.get(), "operation", &operations_));
  const auto corrupt = [](const std::string& what) {
    return absl::DataLossError(
        absl::StrCat("state database: ", what, " is corrupt"));
  };
  COVE_ASSIGN_OR_RETURN(auto secrets, store_->LoadKind("secret"));
  for (const auto& [name, data] : secrets) {
    nlohmann::json j = nlohmann::json::parse(data, nullptr, false);
    auth::PasswordHash h;
    if (j.is_discarded() || !HashFromJson(j, &h)) {
      return corrupt(absl::StrCat("secret of '", name, "'"));
    }
    secrets_[name] = h;
    std::string key_id = j.value("key_id", "");
    if (!key_id.empty()) {
      key_ids_[key_id] = name;
      secret_key_ids_[name] = key_id;
    }
  }
  COVE_ASSIGN_OR_RETURN(auto pending, store_->LoadKind("pending"));
  for (const auto& [name, data] : pending) {
    nlohmann::json j = nlohmann::json::parse(data, nullptr, false);
    if (j.is_discarded() || !j.is_object()) {
      return corrupt(absl::StrCat("pending operation '", name, "'"));
    }
    Pending p;
    p.prev_state = j.value("prev_state", 0);
    p.cu_size = j.value("cu_size", 0);
    p.replicas = j.value("replicas", 0);
    p.fail = j.value("fail", false);
    p.fail_code = j.value("fail_code", 13);
    p.fail_message = j.value("fail_message", "");
    p.version = j.value("version", "");
    p.scheduled = j.value("scheduled", false);
    p.fail_replica = j.value("fail_replica", 0);
    if (operations_.count(name) != 0) pending_[name] = p;
  }
  COVE_ASSIGN_OR_RETURN(auto requests, store_->LoadKind("request"));
  for (const auto& [name, data] : requests) {
    nlohmann::json j = nlohmann::json::parse(data, nullptr, false);
    RequestRecord r;
    if (j.is_discarded() || !j.is_object() ||
        !absl::Base64Unescape(j.value("fingerprint", ""), &r.fingerprint) ||
        !absl::Base64Unescape(j.value("response", ""), &r.response)) {
      return corrupt(absl::StrCat("request id '", name, "'"));
    }
    requests_[name] = std::move(r);
  }
  COVE_ASSIGN_OR_RETURN(auto audit, store_->LoadAudit());
  for (const auto& [id, data] : audit) {
    v1::AuditEvent e;
    if (!e.ParseFromString(data)) return corrupt("audit event");
    audit_.push_back(std::move(e));
    next_audit_id_ = std::max(next_audit_id_, id + 1);
  }
  return absl::OkStatus();
}

// ---- secrets -------------------------------------------------------------

absl::StatusOr<std::string> CloudCore::IssueSecretLocked(
    const std::string& name) {
  COVE_ASSIGN_OR_RETURN(std::string key_id, RandomHex(6));
  COVE_ASSIGN_OR_RETURN(std::string random, RandomAlnum(40));
  const std::string secret = absl::StrCat("cove_", key_id, "_", random);
  COVE_ASSIGN_OR_RETURN(auth::PasswordHash hash,
                        auth::HashPassword(secret, options_.pbkdf2_iterations));
  DropSecretLocked(name);
  secrets_[name] = hash;
  key_ids_[key_id] = name;
  secret_key_ids_[name] = key_id;
  COVE_RETURN_IF_ERROR(PersistSecretLocked(name, key_id, hash));
  return secret;
}

void CloudCore::DropSecretLocked(const std::string& name) {
  auto it = secret_key_ids_.find(name);
  if (it != secret_key_ids_.end()) {
    key_ids_.erase(it->second);
    verified_.erase(it->second);
    secret_key_ids_.erase(it);
  }
  if (secrets_.erase(name) != 0) (void)store_->Delete("secret", name);
}

absl::StatusOr<Principal> CloudCore::Authenticate(const RequestContext& ctx,
                                                  std::string* actor) {
  if (ctx.authorization.empty()) {
    return absl::UnauthenticatedError(
        "authorization: missing (expected metadata 'authorization: Bearer "
        "<API key secret>')");
  }
  const std::string& value = ctx.authorization;
  if (!absl::StartsWith(value, "Bearer ")) {
    return absl::UnauthenticatedError(
        "authorization: expected 'Bearer <API key secret>'");
  }
  const std::string secret = value.substr(7);
  std::string key_id;
  std::vector<std::string> parts = absl::StrSplit(secret, '_');
  if (parts.size() == 3 && parts[0] == "cove") key_id = parts[1];
  const absl::Status unknown = absl::UnauthenticatedError(
      "authorization: the API key is not valid (unknown key or wrong "
      "secret)");
  const std::string tag = auth::HmacSha256(cache_key_, secret);
  std::string name;
  auth::PasswordHash stored;
  bool cached = false;
  {
    absl::MutexLock lock(&mu_);
    auto k = key_ids_.find(key_id);
    if (k == key_ids_.end()) {
      // The admin secret may be any string given in CloudOptions.
      k = key_ids_.find(kAdmin);
      key_id = kAdmin;
    }
    if (k == key_ids_.end()) return unknown;
    name = k->second;
    auto v = verified_.find(key_id);
    cached = v != verified_.end() && auth::ConstantTimeEquals(v->second, tag);
    auto s = secrets_.find(name);
    if (s == secrets_.end()) return unknown;
    stored = s->second;
  }
  if (!cached && !auth::VerifyPassword(secret, stored)) return unknown;
  absl::MutexLock lock(&mu_);
  auto s = secrets_.find(name);
  if (s == secrets_.end() || s->second.hash != stored.hash) return unknown;
  verified_[key_id] = tag;
  Principal p;
  if (name == kAdmin) {
    p.actor = "admin";
    p.admin = true;
    return p;
  }
  // A vendor support principal (support_access.cc): no scope, no role.
  if (support_principals_.count(name) != 0) {
    *actor = name;
    p.actor = name;
    p.key_name = name;
    p.support = true;
    return p;
  }
  auto key = api_keys_.find(name);
  if (key == api_keys_.end()) return unknown;
  v1::ApiKey& k = key->second;
  // The secret is right: a refusal now is the key's, audited under its name.
  *actor = name;
  if (!k.enabled()) {
    return absl::UnauthenticatedError(
        absl::StrCat("authorization: API key '", name, "' is disabled"));
  }
  if (k.has_expire_time() && FromProto(k.expire_time()) <= NowLocked()) {
    return absl::UnauthenticatedError(absl::StrCat(
        "authorization: API key '", name, "' expired at ",
        absl::FormatTime(absl::RFC3339_sec, FromProto(k.expire_time()),
                         absl::UTCTimeZone())));
  }
  *k.mutable_last_used_time() = ToProto(NowLocked());
  p.actor = name;
  p.key_name = name;
  p.scope = k.scope();
  p.role = k.role();
  p.owner = k.owner();
  return p;
}

// ---- authorization -----------------------------------------------------

const v1::Role* CloudCore::FindRoleLocked(const std::string& name) const {
  if (const v1::Role* r = FindBuiltInRole(name)) return r;
  auto it = roles_.find(name);
  return it == roles_.end() ? nullptr : &it->second;
}

std::vector<CloudCore::Grant> CloudCore::GrantsLocked(
    const Principal& p) const {
  std::vector<Grant> out;
  // Support principals hold only their support access grants: no role
  // binding gives them anything (no standing access).
  if (p.support) return out;
  if (!p.role.empty()) {
    if (const v1::Role* r = FindRoleLocked(p.role)) out.push_back({p.scope, r});
  }
  const std::string user = p.owner.empty() ? "" : "users/" + p.owner;
  for (const auto& [name, b] : bindings_) {
    if (b.principal() != p.key_name &&
        (user.empty() || b.principal() != user)) {
      continue;
    }
    // Bindings of a key's user only count inside the key's organization.
    if (OrgOf(b.scope()) != OrgOf(p.scope)) continue;
    if (const v1::Role* r = FindRoleLocked(b.role())) {
      out.push_back({b.scope(), r});
    }
  }
  return out;
}

bool CloudCore::AllowedLocked(const Principal& p, const std::string& action,
                              const std::string& resource) const {
  if (p.admin) return true;
  if (p.support) return SupportGrantForLocked(p, action, resource) != nullptr;
  return GrantsAllow(p.scope, GrantsLocked(p), action, resource);
}

absl::Status CloudCore::AuthorizeLocked(Call& call, const std::string& action,
                                        const std::string& resource) {
  if (call.principal.support) {
    if (const v1::SupportAccessGrant* g =
            SupportGrantForLocked(call.principal, action, resource)) {
      call.support_grant = g->name();
      return absl::OkStatus();
    }
  } else if (AllowedLocked(call.principal, action, resource)) {
    return absl::OkStatus();
  }
  call.denied = true;
  call.action = action;
  call.resource = resource;
  // Tenant isolation: an operation (a flat name) of another organization
  // looks exactly like a missing one, and its target is never named.
  const std::string org = OrgOf(call.principal.scope);
  if (absl::StartsWith(call.requested, "operations/") &&
      (org.empty() || !Within(resource, org))) {
    return absl::NotFoundError(
        absl::StrCat("operation '", call.requested, "' not found"));
  }
  return absl::PermissionDeniedError(
      absl::StrCat("permission denied: ", call.principal.actor, " may not use ",
                   action, " on '", resource, "'"));
}

absl::Status CloudCore::AuthorizeListLocked(Call& call,
                                            const std::string& action,
                                            const std::string& parent) {
  const Principal& p = call.principal;
  if (AllowedLocked(p, action, parent)) return absl::OkStatus();
  // Allowed somewhere below the parent: the list shows what is visible.
  for (const Grant& g : GrantsLocked(p)) {
    if (!Within(g.scope, parent)) continue;
    std::string where;
    if (Within(g.scope, p.scope)) {
      where = g.scope;
    } else if (Within(p.scope, g.scope)) {
      where = p.scope;
    } else {
      continue;
    }
    if (AllowedLocked(p, action, where)) return absl::OkStatus();
  }
  call.denied = true;
  return absl::PermissionDeniedError(
      absl::StrCat("permission denied: ", p.actor, " may not use ", action,
                   " on '", parent, "'"));
}

// ---- request ids ---------------------------------------------------------

std::string CloudCore::Fingerprint(
    const Call& call, const google::protobuf::Message& request) const {
  return auth::HmacSha256(call.method, DeterministicBytes(request));
}

absl::StatusOr<bool> CloudCore::ReplayLocked(
    const Call& call, const google::protobuf::Message& request,
    google::protobuf::Message* response) {
  if (call.request_id.empty()) return false;
  auto it = requests_.find(call.principal.actor + "|" + call.request_id);
  if (it == requests_.end()) return false;
  if (it->second.fingerprint != Fingerprint(call, request)) {
    return absl::AlreadyExistsError(
        absl::StrCat("request_id '", call.request_id,
                     "': already used for another request (expected the same ",
                     call.method, " request to retry, got a different one)"));
  }
  if (!response->ParseFromString(it->second.response)) {
    return absl::InternalError("request_id: stored response is corrupt");
  }
  return true;
}

absl::StatusOr<bool> CloudCore::ReplayOperationLocked(
    const Call& call, const google::protobuf::Message& request,
    v1::Operation* response) {
  COVE_ASSIGN_OR_RETURN(bool replayed, ReplayLocked(call, request, response));
  if (!replayed) return false;
  auto op = operations_.find(response->name());
  if (op != operations_.end()) {
    *response = OperationViewLocked(op->second, call.principal);
  }
  return true;
}

absl::Status CloudCore::RememberLocked(
    const Call& call, const google::protobuf::Message& request,
    const google::protobuf::Message& response,
    const google::protobuf::Message& persisted) {
  if (call.request_id.empty()) return absl::OkStatus();
  const std::string key = call.principal.actor + "|" + call.request_id;
  RequestRecord r{Fingerprint(call, request), response.SerializeAsString()};
  nlohmann::json j = {
      {"fingerprint", absl::Base64Escape(r.fingerprint)},
      {"response", absl::Base64Escape(persisted.SerializeAsString())}};
  requests_[key] = std::move(r);
  return store_->Put("request", key, j.dump());
}

// ---- faults and audit ----------------------------------------------------

bool CloudCore::TakeFaultLocked(const std::string& verb, v1::Fault::Mode mode,
                                v1::Fault* fault) {
  for (auto it = faults_.begin(); it != faults_.end(); ++it) {
    if (it->fault.mode() != mode) continue;
    if (it->fault.verb() != "*" && it->fault.verb() != verb) continue;
    *fault = it->fault;
    if (it->remaining > 0 && --it->remaining == 0) faults_.erase(it);
    return true;
  }
  return false;
}

void CloudCore::AuditLocked(const Call& call, const absl::Status& status) {
  const bool denied = call.denied ||
                      status.code() == absl::StatusCode::kUnauthenticated ||
                      status.code() == absl::StatusCode::kPermissionDenied;
  // Every call of a support principal is audited, reads too (issue 19).
  if (!call.mutation && !denied && !call.principal.support) return;
  v1::AuditEvent e;
  const int64_t id = next_audit_id_++;
  e.set_name(absl::StrFormat("auditEvents/%012d", id));
  *e.mutable_time() = ToProto(NowLocked());
  e.set_actor(call.principal.actor);
  e.set_action(call.action);
  e.set_resource(call.resource);
  e.set_outcome(denied        ? v1::AuditEvent::DENIED
                : status.ok() ? v1::AuditEvent::SUCCEEDED
                              : v1::AuditEvent::FAILED);
  e.set_status_code(static_cast<int>(status.code()));
  e.set_message(call.audit_message.empty() ? std::string(status.message())
                : status.ok()
                    ? call.audit_message
                    : absl::StrCat(call.audit_message, ": ", status.message()));
  e.set_request_id(call.request_id);
  if (call.ctx != nullptr) e.set_client_address(call.ctx->peer);
  e.set_support_grant(call.support_grant);
  (void)store_->AppendAudit(id, e.SerializeAsString());
  audit_.push_back(std::move(e));
}

absl::Status CloudCore::Handle(const RequestContext& ctx, const char* method,
                               const char* action, bool mutation,
                               std::string resource, std::string request_id,
                               const Body& body, bool needs_key) {
  Call call;
  call.ctx = &ctx;
  call.method = method;
  call.action = action;
  call.mutation = mutation;
  call.resource = std::move(resource);
  call.requested = call.resource;
  call.request_id = std::move(request_id);
  {
    absl::MutexLock lock(&mu_);
    if (stopping_) {
      CountRpc(method, absl::StatusCode::kUnavailable);
      return absl::UnavailableError("cove-cloud is shutting down");
    }
    // Sizes and charsets of the request (request_limits.h), first.
    if (!ctx.refusal.ok()) {
      CountRpc(method, ctx.refusal.code());
      return ctx.refusal;
    }
    v1::Fault fault;
    if (TakeFaultLocked(method, v1::Fault::UNAVAILABLE, &fault)) {
      return absl::UnavailableError(
          absl::StrCat(method, ": injected fault (UNAVAILABLE)",
                       fault.message().empty() ? "" : ": ", fault.message()));
    }
    if (!IsOperationVerb(method) &&
        TakeFaultLocked(method, v1::Fault::FAIL, &fault)) {
      int code = fault.code() == 0 ? 13 : fault.code();
      return absl::Status(
          static_cast<absl::StatusCode>(code),
          absl::StrCat(method, ": injected fault",
                       fault.message().empty() ? "" : ": ", fault.message()));
    }
  }
  if (needs_key) {
    std::string actor;
    auto principal = Authenticate(ctx, &actor);
    if (!principal.ok()) {
      if (!actor.empty()) call.principal.actor = actor;
      absl::MutexLock lock(&mu_);
      AuditLocked(call, principal.status());
      CountRpc(method, principal.status().code());
      return principal.status();
    }
    call.principal = *std::move(principal);
  }
  absl::MutexLock lock(&mu_);
  DrainDataPlaneAuditLocked();
  absl::Status s = body(call);
  AuditLocked(call, s);
  CountRpc(method, s.code());
  return s;
}

absl::StatusOr<Principal> CloudCore::WhoAmI(const RequestContext& ctx) {
  Principal who;
  COVE_RETURN_IF_ERROR(Handle(ctx, "WhoAmI", "session.check", false, "", "",
                              [&](Call& call) -> absl::Status {
                                who = call.principal;
                                return absl::OkStatus();
                              }));
  return who;
}

}  // namespace cove::cloud
