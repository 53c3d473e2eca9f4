// Agent: the clusters it hosts, each a data plane of the hosting library
// (hosting/data_plane.h, as cove-cloud's), their customer keys, backups
// and restores, and the control plane's commands carried out on them.
#include <algorithm>
#include <filesystem>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "agent/agent_impl.h"
#include "common/status_macros.h"
#include "cove/version.h"
#include "hosting/backup_format.h"
#include "hosting/ids.h"
#include "hosting/private_files.h"
#include "server/ip_access.h"
#include "server/metrics.h"

namespace cove::agent {

namespace {

std::string LastComponent(const std::string& name) {
  std::vector<std::string> parts = absl::StrSplit(name, '/');
  return parts.back();
}

}  // namespace

// ---- data planes
// ---------------------------------------------------------------

absl::Status Agent::Impl::HoldPortsLocked(Local* local, bool fresh) {
  const bool tls = !options_.data_plane_tls_cert_file.empty();
  COVE_RETURN_IF_ERROR(local->ports.Hold(options_.data_plane_host, tls, fresh,
                                         &local->info.endpoint,
                                         &local->info.metrics_endpoint));
  // The private endpoint's port too, while it is enabled.
  if (!local->info.private_endpoint_enabled ||
      options_.private_address.empty()) {
    local->ports.ReleasePrivate();
    local->info.private_endpoint.clear();
    return absl::OkStatus();
  }
  return local->ports.HoldPrivate(options_.private_address, tls, fresh,
                                  &local->info.private_endpoint);
}

namespace {

// FailedPrecondition when the endpoints cannot be served by this agent.
absl::Status CheckAgentEndpoints(const std::string& cluster,
                                 const std::string& private_address,
                                 bool private_enabled, bool public_disabled) {
  if (private_enabled && private_address.empty()) {
    return absl::FailedPreconditionError(absl::StrCat(
        "cluster '", cluster,
        "': private_endpoint_enabled: this agent has no private address "
        "(cove-agent --private-address)"));
  }
  if (public_disabled && !private_enabled) {
    return absl::FailedPreconditionError(absl::StrCat(
        "cluster '", cluster,
        "': public_endpoint_disabled needs private_endpoint_enabled"));
  }
  return absl::OkStatus();
}

}  // namespace

absl::Status Agent::Impl::StartDataPlaneLocked(Local* local) {
  if (local->plane != nullptr) {
    local->plane->SetCapacity(local->info.capacity_vectors,
                              local->info.capacity_bytes);
    if (local->plane->replicas() != local->info.replicas)
      return local->plane->SetReplicas(local->info.replicas);
    return absl::OkStatus();
  }
  // An IDLE cluster wakes: its idle endpoint gives the ports back first.
  if (local->info.idle || local->idle_listener != nullptr) {
    StopIdleListenerLocked(local);
    local->info.idle = false;
    ++local->info.idle_epoch;
    beat_now_ = true;
  }
  hosting::DataPlaneOptions o;
  o.cluster = local->info.name;
  o.data_dir = local->info.data_dir;
  o.host = options_.data_plane_host;
  o.capacity_vectors = local->info.capacity_vectors;
  o.capacity_bytes = local->info.capacity_bytes;
  o.tls_cert_file = options_.data_plane_tls_cert_file;
  o.tls_key_file = options_.data_plane_tls_key_file;
  o.pbkdf2_iterations = options_.pbkdf2_iterations;
  o.ip_access_list = local->info.ip_access_list;
  o.release = local->info.release;
  // One data-plane server instance per replica, over the one engine.
  o.replicas = std::max(1, local->info.replicas);
  // Private endpoint on the agent's private address (issue 19).
  if (local->info.private_endpoint_enabled)
    o.private_host = options_.private_address;
  // Never public when it should not be: without a private address (an
  // agent restarted without --private-address) the start is refused.
  o.public_disabled = local->info.public_endpoint_disabled;
  o.on_access_denied =
      [this, name = local->info.name](const server::AccessDenial& d) {
        QueueDenial(name, d);
      };
  o.support_sessions = local->support;
  // Auto-idle: every call that reaches the engine is activity.
  o.on_activity = [requests = local->requests] { requests->fetch_add(1); };
  o.on_support_call = [this,
                       name = local->info.name](const server::SupportCall& c) {
    QueueSupportCall(name, c);
  };
  if (!local->info.encryption_key.empty()) {
    // The engine reads the key file itself; checked first so that a missing
    // key is reported as a revocation, not as an engine error.
    auto cipher =
        LoadKey(local->info.encryption_key, local->info.encryption_key_id);
    if (!cipher.ok()) {
      local->info.key_revoked = true;
      local->message =
          absl::StrCat("customer key revoked: ", cipher.status().message());
      return cipher.status();
    }
    if (local->info.encryption_key_id.empty())
      local->info.encryption_key_id = cipher->KeyId();
    COVE_ASSIGN_OR_RETURN(o.encryption_key_file,
                          KeyFile(local->info.encryption_key));
  }
  COVE_ASSIGN_OR_RETURN(
      local->plane,
      hosting::DataPlane::Start(o, &local->ports, &local->info.endpoint,
                                &local->info.metrics_endpoint,
                                &local->info.private_endpoint));
  if (o.private_host.empty()) local->info.private_endpoint.clear();
  local->info.running = true;
  local->info.key_revoked = false;
  local->message.clear();
  return absl::OkStatus();
}

constexpr int kMaxPendingDenials = 1000;

void Agent::Impl::QueueDenial(const std::string& cluster,
                              const server::AccessDenial& d) {
  absl::MutexLock lock(&denials_mu_);
  if (denials_.denials_size() >= kMaxPendingDenials) {
    denials_.set_dropped(denials_.dropped() + 1);
    return;
  }
  v1::AgentAccessDenial* a = denials_.add_denials();
  a->set_cluster(cluster);
  a->set_kind(d.kind == server::AccessDenial::Kind::kPermission
                  ? v1::AgentAccessDenial::PERMISSION
              : d.kind == server::AccessDenial::Kind::kNetwork
                  ? v1::AgentAccessDenial::NETWORK
                  : v1::AgentAccessDenial::AUTHENTICATION);
  a->set_user(d.user);
  a->set_peer(d.peer);
  a->set_method(d.method);
  a->set_privilege(d.privilege);
  a->set_message(d.message);
  a->set_time_unix_ms(absl::ToUnixMillis(d.time));
}

void Agent::Impl::QueueSupportCall(const std::string& cluster,
                                   const server::SupportCall& c) {
  absl::MutexLock lock(&denials_mu_);
  if (denials_.support_calls_size() >= kMaxPendingDenials) {
    denials_.set_dropped(denials_.dropped() + 1);
    return;
  }
  v1::AgentSupportCall* a = denials_.add_support_calls();
  a->set_cluster(cluster);
  a->set_grant(c.grant);
  a->set_peer(c.peer);
  a->set_method(c.method);
  a->set_status_code(static_cast<int>(c.code));
  a->set_message(c.message);
  a->set_time_unix_ms(absl::ToUnixMillis(c.time));
}

absl::Status Agent::Impl::SetSupportAccessLocked(
    const std::string& name, const v1::AgentSetSupportAccess& cmd) {
  auto it = clusters_.find(name);
  if (it == clusters_.end()) {
    return absl::NotFoundError(
        absl::StrCat("cluster '", name, "' is not held by this agent"));
  }
  std::vector<server::SupportSession> sessions;
  for (const v1::AgentSupportSession& s : cmd.sessions())
    sessions.push_back({s.grant(), s.password_tag()});
  it->second.support->Set(std::move(sessions));
  return absl::OkStatus();
}

std::optional<v1::AgentMessage> Agent::Impl::TakeDenials() {
  absl::MutexLock lock(&denials_mu_);
  if (denials_.denials_size() == 0 && denials_.support_calls_size() == 0 &&
      denials_.dropped() == 0) {
    return std::nullopt;
  }
  v1::AgentMessage m;
  m.mutable_access_denials()->Swap(&denials_);
  return m;
}

absl::StatusOr<std::string> Agent::Impl::BucketPath(
    const std::string& field, const std::string& rel) const {
  if (rel.empty() || rel.front() == '/' ||
      std::filesystem::path(rel).lexically_normal().string() != rel ||
      absl::StartsWith(rel, "..") || absl::StrContains(rel, "/../") ||
      absl::EndsWith(rel, "/..")) {
    return absl::InvalidArgumentError(
        absl::StrCat(field,
                     ": expected a normalized path relative to the bucket, "
                     "got '",
                     rel, "'"));
  }
  return absl::StrCat(options_.bucket, "/", rel);
}

absl::StatusOr<std::string> Agent::Impl::KeyFile(
    const std::string& key_ref) const {
  if (!absl::StartsWith(key_ref, "keys/")) {
    return absl::InvalidArgumentError(absl::StrCat(
        "encryption_key: expected 'keys/{name}' (got '", key_ref, "')"));
  }
  const std::string name = key_ref.substr(5);
  if (!hosting::ValidKeyName(name)) {
    COVE_RETURN_IF_ERROR(hosting::ValidateId("encryption_key name", name));
  }
  return absl::StrCat(options_.bucket, "/.kms/", name, ".key");
}

absl::StatusOr<internal::Cipher> Agent::Impl::LoadKey(
    const std::string& key_ref, const std::string& expected_id) const {
  COVE_ASSIGN_OR_RETURN(std::string path, KeyFile(key_ref));
  std::error_code ec;
  if (!std::filesystem::exists(path, ec)) {
    return absl::FailedPreconditionError(absl::StrCat(
        "customer key '", key_ref,
        "' is not available in the agent's key store (no file '", path, "')"));
  }
  auto cipher = internal::Cipher::FromKeyFile(path);
  if (!cipher.ok()) {
    return absl::FailedPreconditionError(absl::StrCat(
        "customer key '", key_ref,
        "' in the agent's key store is unusable: ", cipher.status().message()));
  }
  if (!expected_id.empty() && cipher->KeyId() != expected_id) {
    return absl::FailedPreconditionError(absl::StrCat(
        "customer key '", key_ref,
        "' was replaced by another key in the agent's key store (fingerprint ",
        cipher->KeyId(), ", expected ", expected_id, ")"));
  }
  return cipher;
}

void Agent::Impl::CheckKeysLocked() {
  bool changed = false;
  for (auto& [name, l] : clusters_) {
    if (l.plane == nullptr || l.info.encryption_key.empty()) continue;
    auto cipher = LoadKey(l.info.encryption_key, l.info.encryption_key_id);
    if (cipher.ok()) continue;
    StopDataPlaneLocked(&l);
    l.info.key_revoked = true;
    l.message =
        absl::StrCat("customer key revoked: ", cipher.status().message());
    changed = true;
  }
  if (changed) (void)SaveClustersLocked();
}

void Agent::Impl::StopDataPlaneLocked(Local* local) {
  if (local->plane != nullptr) {
    local->plane->Stop();
    local->plane.reset();
  }
  // An IDLE cluster (suspended, purged): its idle endpoint closes.
  StopIdleListenerLocked(local);
  local->info.idle = false;
  local->info.running = false;
  // Its ports are held again: the endpoints stay the cluster's.
  if (!local->info.endpoint.empty()) (void)HoldPortsLocked(local, false);
}

// ---- auto-idle (issue 19)
// ----------------------------------------------------------

absl::Status Agent::Impl::StartIdleListenerLocked(Local* local) {
  const AgentCluster& info = local->info;
  // It listens where the cluster is reachable: its public endpoint unless
  // disabled, its private endpoint when it has one.
  const std::vector<std::string> addresses = local->ports.ReleaseForIdle(
      options_.data_plane_host, info.endpoint, info.private_endpoint,
      info.public_endpoint_disabled);
  if (addresses.empty()) {
    return absl::FailedPreconditionError(absl::StrCat(
        "idle endpoint of cluster '", info.name, "': it has no endpoint"));
  }
  auto listener = hosting::IdleListener::Start(
      info.name, addresses[0], options_.data_plane_tls_cert_file,
      options_.data_plane_tls_key_file,
      [this, name = info.name] {
        absl::MutexLock lock(&wake_mu_);
        wake_requests_.insert(name);
      },
      info.ip_access_list,
      [this, name = info.name](const server::AccessDenial& d) {
        QueueDenial(name, d);
      },
      {addresses.begin() + 1, addresses.end()});
  if (!listener.ok()) {
    (void)HoldPortsLocked(local, false);
    return listener.status();
  }
  local->idle_listener = *std::move(listener);
  return absl::OkStatus();
}

bool Agent::Impl::StopIdleListenerLocked(Local* local) {
  if (local->idle_listener == nullptr) return false;
  local->idle_listener->Stop();
  local->idle_listener.reset();
  {
    absl::MutexLock lock(&wake_mu_);
    wake_requests_.erase(local->info.name);
  }
  if (!local->info.endpoint.empty()) (void)HoldPortsLocked(local, false);
  return true;
}

absl::Status Agent::Impl::IdleLocked(const std::string& name,
                                     const v1::AgentIdleCluster& cmd) {
  auto it = clusters_.find(name);
  if (it == clusters_.end()) {
    return absl::NotFoundError(
        absl::StrCat("cluster '", name, "' is not held by this agent"));
  }
  Local& local = it->second;
  if (local.info.idle) return absl::OkStatus();  // sent again
  if (local.plane == nullptr) {
    return absl::FailedPreconditionError(
        absl::StrCat("idle: cluster '", name, "' has no running data plane"));
  }
  if (const int64_t n = local.requests->load(); n != cmd.requests()) {
    return absl::AbortedError(absl::StrCat(
        "idle: cluster '", name,
        "' served requests after the decision (expected ", cmd.requests(),
        " requests, got ", n, "); it keeps serving"));
  }
  StopDataPlaneLocked(&local);
  if (absl::Status s = StartIdleListenerLocked(&local); !s.ok()) {
    // Without its idle endpoint nothing could wake it: it keeps serving.
    absl::Status started = StartDataPlaneLocked(&local);
    if (!started.ok()) local.message = std::string(started.message());
    (void)SaveClustersLocked();
    return absl::UnavailableError(
        absl::StrCat("idle: the idle endpoint of cluster '", name,
                     "' did not start (", s.message(), "); it keeps serving"));
  }
  local.info.idle = true;
  ++local.info.idle_epoch;
  return SaveClustersLocked();
}

void Agent::Impl::WakeLoop() {
  while (true) {
    std::set<std::string> names;
    {
      absl::MutexLock lock(&wake_mu_);
      wake_mu_.Await(absl::Condition(
          +[](Impl* i) ABSL_EXCLUSIVE_LOCKS_REQUIRED(i->wake_mu_) {
            return i->wake_stopping_ || !i->wake_requests_.empty();
          },
          this));
      if (wake_stopping_) return;
      names.swap(wake_requests_);
    }
    // The customer's data plane wakes here, at once, whether the control
    // plane is reachable or not; the next heartbeat (sent now) reports it.
    absl::MutexLock lock(&mu_);
    for (const std::string& name : names) {
      auto it = clusters_.find(name);
      if (it == clusters_.end() || it->second.idle_listener == nullptr)
        continue;
      absl::Status s = StartDataPlaneLocked(&it->second);
      if (!s.ok() && !it->second.info.key_revoked)
        it->second.message = std::string(s.message());
    }
    (void)SaveClustersLocked();
  }
}

// Versions and upgrades (issue 19): a rolling upgrade, one replica at a
// time (the next release's instance started beside the running ones over
// the same data and endpoint, health-checked, then the replica's old
// instance drained; on a failure the replicas upgraded are rolled back)
// (hosting::RollingUpgrade); the release serving afterwards is recorded and
// reported.
absl::Status Agent::Impl::UpgradeLocked(
    const std::string& name, const v1::AgentUpgradeCluster& upgrade,
    const std::function<void(int)>& progress) {
  auto it = clusters_.find(name);
  if (it == clusters_.end()) {
    return absl::NotFoundError(
        absl::StrCat("cluster '", name, "' is not held by this agent"));
  }
  Local& local = it->second;
  if (local.plane == nullptr) {
    return absl::FailedPreconditionError(absl::StrCat(
        "upgrade of cluster '", name, "': its data plane is not running"));
  }
  if (upgrade.release().empty()) {
    return absl::InvalidArgumentError(
        "upgrade.release: expected a release (got none)");
  }
  hosting::RollingUpgrade::Options to;
  to.to.release = upgrade.release();
  to.to.unhealthy_reason = upgrade.unhealthy_reason();
  to.running_release = local.info.release.empty() ? upgrade.current_release()
                                                  : local.info.release;
  to.fail_replica = upgrade.fail_replica();
  to.fail_reason = upgrade.fail_reason();
  const absl::Status status =
      hosting::UpgradeDataPlane(local.plane, to, progress);
  // (A data plane started before it had a release name runs the release
  // the control plane names as current.)
  local.info.release = local.plane->release().empty()
                           ? upgrade.current_release()
                           : local.plane->release();
  COVE_RETURN_IF_ERROR(SaveClustersLocked());
  return status;
}

v1::AgentClusterStatus Agent::Impl::StatusLocked(const std::string& name) {
  v1::AgentClusterStatus s;
  s.set_cluster(name);
  auto it = clusters_.find(name);
  if (it == clusters_.end()) return s;
  const Local& l = it->second;
  s.set_capacity_vectors(l.info.capacity_vectors);
  s.set_capacity_bytes(l.info.capacity_bytes);
  s.set_encryption_key_id(l.info.encryption_key_id);
  s.set_release(l.info.release.empty() ? VersionString() : l.info.release);
  s.set_requests(l.requests->load());
  s.set_idle_epoch(l.info.idle_epoch);
  if (l.idle_listener != nullptr) {
    s.set_state(v1::AgentClusterStatus::IDLE);
    s.set_endpoint(l.info.endpoint);
    s.set_metrics_endpoint(l.info.metrics_endpoint);
    s.set_private_endpoint(l.info.private_endpoint);
  } else if (l.plane != nullptr) {
    s.set_state(v1::AgentClusterStatus::RUNNING);
    s.set_endpoint(l.info.endpoint);
    s.set_metrics_endpoint(l.info.metrics_endpoint);
    s.set_private_endpoint(l.info.private_endpoint);
    auto used = l.plane->connection()->CountEntities();
    if (used.ok()) s.set_used_vectors(*used);
    s.set_used_bytes(l.plane->connection()->StorageBytes());
    s.set_replicas(l.plane->replicas());
    for (const std::string& r : l.plane->replica_releases())
      s.add_replica_releases(r.empty() ? VersionString() : r);
    // Usage for GetClusterMetrics and the autoscaler: read here, since the
    // control plane never contacts the data plane.
    v1::AgentUsage* usage = s.mutable_usage();
    usage->set_sample_unix_ms(absl::ToUnixMillis(absl::Now()));
    usage->set_storage_bytes(server::DirectoryBytes(l.info.data_dir));
    const server::ServerMetrics::Snapshot snap = l.plane->metrics()->Read();
    usage->set_uptime_seconds(snap.uptime_seconds);
    for (int i = 0; i < server::kRpcKinds; ++i) {
      const auto& k = snap.kinds[i];
      v1::AgentRequestKind* kind = usage->add_kinds();
      kind->set_kind(server::RpcKindName(static_cast<server::RpcKind>(i)));
      kind->set_requests(static_cast<int64_t>(k.requests()));
      kind->set_errors(static_cast<int64_t>(k.errors()));
      for (uint64_t b : k.buckets)
        kind->add_latency_buckets(static_cast<int64_t>(b));
    }
  } else if (l.info.key_revoked) {
    s.set_state(v1::AgentClusterStatus::KEY_REVOKED);
    s.set_message(l.message);
  } else if (!l.message.empty()) {
    s.set_state(v1::AgentClusterStatus::FAILED);
    s.set_message(l.message);
  } else {
    s.set_state(v1::AgentClusterStatus::STOPPED);
  }
  return s;
}

std::vector<v1::AgentClusterStatus> Agent::Impl::StatusesLocked() {
  std::vector<v1::AgentClusterStatus> out;
  for (const auto& [name, l] : clusters_) out.push_back(StatusLocked(name));
  return out;
}

absl::Status Agent::Impl::CreateLocked(const std::string& name,
                                       const v1::AgentCreateCluster& create) {
  if (clusters_.count(name) != 0) {
    // Sent again after a lost stream: it exists; make sure it runs.
    v1::AgentStartCluster start;
    start.set_capacity_vectors(create.capacity_vectors());
    start.set_capacity_bytes(create.capacity_bytes());
    *start.mutable_ip_access_list() = create.ip_access_list();
    start.set_private_endpoint_enabled(create.private_endpoint_enabled());
    start.set_public_endpoint_disabled(create.public_endpoint_disabled());
    return StartLocked(name, start);
  }
  const std::string dir =
      absl::StrCat(options_.bucket, "/clusters/", LastComponent(name));
  for (const auto& [other, l] : clusters_) {
    if (l.info.data_dir == dir) {
      return absl::AlreadyExistsError(absl::StrCat(
          "data directory '", dir, "' is used by cluster '", other, "'"));
    }
  }
  if (create.admin_password().empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat("create of '", name,
                     "': admin_password: expected a password (got "
                     "none)"));
  }
  COVE_RETURN_IF_ERROR(CheckAgentEndpoints(name, options_.private_address,
                                           create.private_endpoint_enabled(),
                                           create.public_endpoint_disabled()));
  std::string key_id;
  if (!create.encryption_key().empty()) {
    COVE_ASSIGN_OR_RETURN(internal::Cipher cipher,
                          LoadKey(create.encryption_key(), ""));
    key_id = cipher.KeyId();
  }
  COVE_RETURN_IF_ERROR(hosting::MakePrivateDirs("data directory", dir));
  COVE_RETURN_IF_ERROR(hosting::CreateDataPlaneUsers(
      dir, create.admin_user(), create.admin_password(),
      options_.pbkdf2_iterations));
  Local& local = clusters_[name];
  local.info.name = name;
  local.info.data_dir = dir;
  local.info.capacity_vectors = create.capacity_vectors();
  local.info.capacity_bytes = create.capacity_bytes();
  local.info.encryption_key = create.encryption_key();
  local.info.encryption_key_id = key_id;
  local.info.ip_access_list.assign(create.ip_access_list().begin(),
                                   create.ip_access_list().end());
  local.info.release = create.release();
  local.info.replicas = std::max(1, create.replicas());
  local.info.private_endpoint_enabled = create.private_endpoint_enabled();
  local.info.public_endpoint_disabled = create.public_endpoint_disabled();
  absl::Status s = StartDataPlaneLocked(&local);
  if (!s.ok()) local.message = std::string(s.message());
  (void)SaveClustersLocked();
  return s;
}

absl::Status Agent::Impl::StartLocked(const std::string& name,
                                      const v1::AgentStartCluster& start) {
  auto it = clusters_.find(name);
  if (it == clusters_.end()) {
    return absl::NotFoundError(
        absl::StrCat("cluster '", name, "' is not held by this agent (bucket '",
                     options_.bucket, "')"));
  }
  if (start.capacity_vectors() > 0)
    it->second.info.capacity_vectors = start.capacity_vectors();
  if (start.capacity_bytes() > 0)
    it->second.info.capacity_bytes = start.capacity_bytes();
  if (start.replicas() > 0) it->second.info.replicas = start.replicas();
  it->second.info.ip_access_list.assign(start.ip_access_list().begin(),
                                        start.ip_access_list().end());
  if (it->second.plane != nullptr) {
    // Already serving (a reconcile): the list in force now.
    COVE_RETURN_IF_ERROR(
        it->second.plane->SetIpAccessList(it->second.info.ip_access_list));
  }
  // Its endpoints (changed on a running data plane).
  v1::AgentSetEndpoints endpoints;
  endpoints.set_private_endpoint_enabled(start.private_endpoint_enabled());
  endpoints.set_public_endpoint_disabled(start.public_endpoint_disabled());
  COVE_RETURN_IF_ERROR(SetEndpointsLocked(name, endpoints));
  absl::Status s = StartDataPlaneLocked(&it->second);
  if (!s.ok()) it->second.message = std::string(s.message());
  (void)SaveClustersLocked();
  return s;
}

absl::Status Agent::Impl::SetEndpointsLocked(const std::string& name,
                                             const v1::AgentSetEndpoints& cmd) {
  auto it = clusters_.find(name);
  if (it == clusters_.end()) {
    return absl::NotFoundError(
        absl::StrCat("cluster '", name, "' is not held by this agent (bucket '",
                     options_.bucket, "')"));
  }
  COVE_RETURN_IF_ERROR(CheckAgentEndpoints(name, options_.private_address,
                                           cmd.private_endpoint_enabled(),
                                           cmd.public_endpoint_disabled()));
  AgentCluster& info = it->second.info;
  const bool changed =
      info.private_endpoint_enabled != cmd.private_endpoint_enabled() ||
      info.public_endpoint_disabled != cmd.public_endpoint_disabled();
  if (!changed) return absl::OkStatus();
  if (it->second.idle_listener != nullptr) {
    // An IDLE cluster's idle endpoint moves with its endpoints.
    StopIdleListenerLocked(&it->second);
    info.private_endpoint_enabled = cmd.private_endpoint_enabled();
    info.public_endpoint_disabled = cmd.public_endpoint_disabled();
    COVE_RETURN_IF_ERROR(HoldPortsLocked(&it->second, false));
    if (absl::Status s = StartIdleListenerLocked(&it->second); !s.ok()) {
      // Nothing would wake it: it serves again.
      COVE_RETURN_IF_ERROR(StartDataPlaneLocked(&it->second));
    }
    return SaveClustersLocked();
  }
  if (it->second.plane != nullptr) {
    // The listeners change beside the running data plane (same engine).
    COVE_RETURN_IF_ERROR(it->second.plane->ChangeEndpoints(
        cmd.private_endpoint_enabled() ? options_.private_address : "",
        cmd.public_endpoint_disabled(), &it->second.ports, &info.endpoint,
        &info.private_endpoint));
  }
  info.private_endpoint_enabled = cmd.private_endpoint_enabled();
  info.public_endpoint_disabled = cmd.public_endpoint_disabled();
  if (it->second.plane == nullptr && !info.endpoint.empty()) {
    // Not serving: its ports are held (the private one let go).
    (void)HoldPortsLocked(&it->second, false);
  }
  return SaveClustersLocked();
}

absl::Status Agent::Impl::SetIpAccessListLocked(
    const std::string& name, const v1::AgentSetIpAccessList& cmd) {
  auto it = clusters_.find(name);
  if (it == clusters_.end()) {
    return absl::NotFoundError(
        absl::StrCat("cluster '", name, "' is not held by this agent (bucket '",
                     options_.bucket, "')"));
  }
  std::vector<std::string> list(cmd.ip_access_list().begin(),
                                cmd.ip_access_list().end());
  // Checked by the data plane's parser even when it does not run, so that
  // a bad list is never kept for a later start.
  COVE_RETURN_IF_ERROR(
      server::IpAccessList::Parse("ip_access_list", list).status());
  if (it->second.plane != nullptr) {
    COVE_RETURN_IF_ERROR(it->second.plane->SetIpAccessList(list));
  }
  if (it->second.idle_listener != nullptr) {
    COVE_RETURN_IF_ERROR(it->second.idle_listener->SetIpAccessList(list));
  }
  if (it->second.info.ip_access_list == list) return absl::OkStatus();
  it->second.info.ip_access_list = std::move(list);
  return SaveClustersLocked();
}

absl::Status Agent::Impl::PurgeLocked(const std::string& name) {
  auto it = clusters_.find(name);
  if (it == clusters_.end()) return absl::OkStatus();
  StopDataPlaneLocked(&it->second);
  std::error_code ec;
  std::filesystem::remove_all(it->second.info.data_dir, ec);
  if (ec) {
    return absl::UnavailableError(
        absl::StrCat("data directory '", it->second.info.data_dir,
                     "': cannot remove (", ec.message(), ")"));
  }
  clusters_.erase(it);
  return SaveClustersLocked();
}

absl::Status Agent::Impl::ResetPasswordLocked(
    const std::string& name, const v1::AgentResetPassword& cmd) {
  auto it = clusters_.find(name);
  if (it == clusters_.end()) {
    return absl::NotFoundError(
        absl::StrCat("cluster '", name, "' is not held by this agent (bucket '",
                     options_.bucket, "')"));
  }
  std::shared_ptr<auth::AuthStore> users;
  if (it->second.plane != nullptr) {
    users = it->second.plane->users();
  } else {
    COVE_ASSIGN_OR_RETURN(
        users, hosting::OpenDataPlaneUsers(name, it->second.info.data_dir,
                                           options_.pbkdf2_iterations));
  }
  return users->UpdatePassword(
      cmd.admin_user().empty() ? auth::kRootUser : cmd.admin_user(), "",
      cmd.admin_password(), /*check_old=*/false);
}

absl::Status Agent::Impl::Backup(const std::string& name,
                                 const v1::AgentBackupCluster& cmd,
                                 v1::AgentBackupResult* out) {
  COVE_ASSIGN_OR_RETURN(const std::string dir,
                        BucketPath("backup.directory", cmd.directory()));
  std::shared_ptr<hosting::DataPlane> plane;
  std::string key_ref, key_id;
  {
    absl::MutexLock lock(&mu_);
    auto it = clusters_.find(name);
    if (it == clusters_.end()) {
      return absl::NotFoundError(absl::StrCat(
          "cluster '", name, "' is not held by this agent (bucket '",
          options_.bucket, "')"));
    }
    plane = it->second.plane;
    key_ref = it->second.info.encryption_key;
    key_id = it->second.info.encryption_key_id;
  }
  if (plane == nullptr) {
    return absl::FailedPreconditionError(
        absl::StrCat("cluster '", name,
                     "': its data plane is not running; the backup "
                     "needs a running cluster"));
  }
  COVE_ASSIGN_OR_RETURN(auto refs,
                        hosting::ParseCollectionRefs(
                            "backup.collections",
                            std::vector<std::string>(cmd.collections().begin(),
                                                     cmd.collections().end())));
  // Backups are always encrypted: with the cluster's customer-managed key,
  // or with its backup data key, created in the key store on first use.
  absl::StatusOr<internal::Cipher> cipher;
  if (!key_ref.empty()) {
    cipher = LoadKey(key_ref, key_id);
  } else {
    key_ref = hosting::BackupDataKeyRef(name);
    COVE_ASSIGN_OR_RETURN(std::string key_file, KeyFile(key_ref));
    cipher = hosting::LoadOrCreateDataKey(key_file);
  }
  COVE_RETURN_IF_ERROR(cipher);
  // A command sent again (the stream was lost before the result arrived)
  // replaces an earlier write of the same backup (DataPlane::Backup).
  COVE_ASSIGN_OR_RETURN(
      hosting::BackupSummary summary,
      plane->Backup(refs, dir, *cipher, key_ref, cmd.backup()));
  std::error_code ec;
  int32_t files = 0;
  for (const auto& e : std::filesystem::directory_iterator(dir, ec)) {
    if (e.is_regular_file() && e.path().filename() != "manifest.json") ++files;
  }
  for (const std::string& c : summary.collections) out->add_collections(c);
  out->set_row_count(summary.rows);
  out->set_size_bytes(summary.bytes);
  out->set_files(files);
  return absl::OkStatus();
}

absl::Status Agent::Impl::Restore(const std::string& name,
                                  const v1::AgentRestoreBackup& cmd,
                                  v1::AgentBackupResult* out) {
  COVE_ASSIGN_OR_RETURN(std::string dir,
                        BucketPath("restore.directory", cmd.directory()));
  COVE_ASSIGN_OR_RETURN(auto refs,
                        hosting::ParseCollectionRefs(
                            "restore.collections",
                            std::vector<std::string>(cmd.collections().begin(),
                                                     cmd.collections().end())));
  std::shared_ptr<hosting::DataPlane> plane;
  {
    absl::MutexLock lock(&mu_);
    auto it = clusters_.find(name);
    if (it == clusters_.end()) {
      return absl::NotFoundError(absl::StrCat(
          "cluster '", name, "' is not held by this agent (bucket '",
          options_.bucket, "')"));
    }
    plane = it->second.plane;
  }
  if (plane == nullptr) {
    return absl::FailedPreconditionError(
        absl::StrCat("cluster '", name,
                     "': its data plane is not running; the restore needs a "
                     "running cluster"));
  }
  std::error_code ec;
  if (!std::filesystem::exists(dir + "/manifest.json", ec)) {
    return absl::NotFoundError(absl::StrCat(
        "backup '", cmd.backup(), "': no backup at '", dir,
        "' in the agent's bucket (deleted, or another agent's bucket)"));
  }
  std::optional<internal::Cipher> cipher;
  if (!cmd.encryption_key().empty()) {
    COVE_ASSIGN_OR_RETURN(cipher, LoadKey(cmd.encryption_key(), ""));
  }
  COVE_ASSIGN_OR_RETURN(hosting::BackupSummary summary,
                        plane->Restore(dir, cipher ? &*cipher : nullptr, refs,
                                       cmd.overwrite(), cmd.backup()));
  for (const std::string& c : summary.collections) out->add_collections(c);
  out->set_row_count(summary.rows);
  out->set_size_bytes(summary.bytes);
  return absl::OkStatus();
}

absl::Status Agent::Impl::DeleteBackup(const v1::AgentDeleteBackup& cmd) {
  COVE_ASSIGN_OR_RETURN(std::string dir,
                        BucketPath("delete_backup.directory", cmd.directory()));
  // Only the files listed in this backup's own manifest.
  return hosting::DeleteBackupFiles(dir, cmd.backup());
}

v1::AgentCommandResult Agent::Impl::Execute(const v1::AgentCommand& cmd,
                                            Stream* stream,
                                            absl::Mutex* write_mu) {
  const std::string& name = cmd.cluster();
  // Reports the progress of a command that takes a while.
  auto report_progress = [&](int percent) {
    v1::AgentMessage progress;
    auto* r = progress.mutable_result();
    r->set_command_id(cmd.command_id());
    r->set_progress_percent(percent);
    absl::MutexLock lock(write_mu);
    stream->Write(progress);
  };
  if (cmd.has_create() || cmd.has_start()) report_progress(50);
  absl::Status s;
  v1::AgentCommandResult result;
  if (cmd.has_backup()) {
    // Written without the agent's mutex (heartbeats go on); the data plane's
    // connection is shared and stays valid while the backup reads it.
    report_progress(20);
    s = Backup(name, cmd.backup(), result.mutable_backup());
    if (!s.ok()) result.clear_backup();
  } else if (cmd.has_restore()) {
    report_progress(20);
    s = Restore(name, cmd.restore(), result.mutable_backup());
    if (!s.ok()) result.clear_backup();
  } else if (cmd.has_delete_backup()) {
    s = DeleteBackup(cmd.delete_backup());
  }
  absl::MutexLock lock(&mu_);
  switch (cmd.action_case()) {
    case v1::AgentCommand::kCreate:
      s = CreateLocked(name, cmd.create());
      break;
    case v1::AgentCommand::kStart:
      s = StartLocked(name, cmd.start());
      break;
    case v1::AgentCommand::kStop: {
      auto it = clusters_.find(name);
      if (it != clusters_.end()) {
        StopDataPlaneLocked(&it->second);
        it->second.message.clear();
        s = SaveClustersLocked();
      }
      break;
    }
    case v1::AgentCommand::kScale: {
      auto it = clusters_.find(name);
      if (it == clusters_.end()) {
        s = absl::NotFoundError(
            absl::StrCat("cluster '", name, "' is not held by this agent"));
        break;
      }
      it->second.info.capacity_vectors = cmd.scale().capacity_vectors();
      if (cmd.scale().capacity_bytes() > 0)
        it->second.info.capacity_bytes = cmd.scale().capacity_bytes();
      if (cmd.scale().replicas() > 0)
        it->second.info.replicas = cmd.scale().replicas();
      if (it->second.plane != nullptr) {
        it->second.plane->SetCapacity(cmd.scale().capacity_vectors(),
                                      it->second.info.capacity_bytes);
        // One data-plane server instance per replica.
        s = it->second.plane->SetReplicas(it->second.info.replicas);
        // The replicas that serve.
        if (!s.ok()) it->second.info.replicas = it->second.plane->replicas();
      }
      absl::Status saved = SaveClustersLocked();
      if (s.ok()) s = saved;
      break;
    }
    case v1::AgentCommand::kPurge:
      s = PurgeLocked(name);
      break;
    case v1::AgentCommand::kResetPassword:
      s = ResetPasswordLocked(name, cmd.reset_password());
      break;
    case v1::AgentCommand::kIpAccess:
      s = SetIpAccessListLocked(name, cmd.ip_access());
      break;
    case v1::AgentCommand::kEndpoints:
      s = SetEndpointsLocked(name, cmd.endpoints());
      break;
    case v1::AgentCommand::kIdle:
      s = IdleLocked(name, cmd.idle());
      break;
    case v1::AgentCommand::kSupportAccess:
      s = SetSupportAccessLocked(name, cmd.support_access());
      break;
    case v1::AgentCommand::kUpgrade:
      s = UpgradeLocked(name, cmd.upgrade(), [&](int percent) {
        // Replicas done so far (an operation's percent stays under 100
        // until its result).
        report_progress(std::min(percent, 99));
      });
      break;
    case v1::AgentCommand::kBackup:
    case v1::AgentCommand::kRestore:
    case v1::AgentCommand::kDeleteBackup:
      break;  // done above
    default:
      s = absl::InvalidArgumentError(absl::StrCat(
          "command '", cmd.command_id(),
          "': expected an action this agent knows (create, start, stop, "
          "scale, purge, backup, restore, delete_backup, reset_password, "
          "ip_access, endpoints, idle, support_access, upgrade); "
          "upgrade cove-agent"));
  }
  result.set_command_id(cmd.command_id());
  result.set_done(true);
  result.set_progress_percent(100);
  result.set_error_code(static_cast<int>(s.code()));
  result.set_error_message(std::string(s.message()));
  *result.mutable_cluster() = StatusLocked(name);
  return result;
}

}  // namespace cove::agent
