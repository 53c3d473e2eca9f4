// Auto-idle (issue 19): a RUNNING cluster with an idle_timeout and no
// data-plane request for that long (emulator clock) is suspended to IDLE:
// its data plane stops (compute released) and its data port is answered by
// an IdleListener (hosting/idle_listener.h), whose every call fails with a
// retryable UNAVAILABLE naming the cluster and asks for a wake; the
// scheduler then starts the data plane again on the same port. Activity is
// recorded by the data plane itself (DataPlaneOptions::on_activity: every
// call that reaches the engine) on the emulator clock, without mu_.
//
// Agent mode: the agent counts its data plane's calls and reports the
// count (AgentClusterStatus.requests) with every heartbeat; a count that
// changed is activity at that moment of the emulator clock. The scheduler
// decides here as for cross-account clusters and sends AgentIdleCluster
// (with the count it saw: the agent refuses with ABORTED if calls came
// since); the agent stops the data plane and answers the cluster's ports
// with its own IdleListener, and wakes the cluster itself on the first
// call (the customer's data plane never waits for the control plane),
// then reports it. Its transitions are numbered (idle_epoch) so that a
// heartbeat built before a transition never undoes it.
#include <algorithm>
#include <cstring>
#include <filesystem>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "cloud/cloud_core.h"
#include "cloud/util.h"

namespace cove::cloud {

namespace {

constexpr absl::Duration kMinIdleTimeout = absl::Minutes(1);
constexpr absl::Duration kMaxIdleTimeout = absl::Hours(24 * 30);

}  // namespace

absl::Status CloudCore::ValidateIdleTimeout(
    const std::string& field, const google::protobuf::Duration& d) {
  if (d.seconds() == 0 && d.nanos() == 0) return absl::OkStatus();
  const absl::Duration t = FromProtoDuration(d);
  if (d.nanos() != 0 || t < kMinIdleTimeout || t > kMaxIdleTimeout) {
    return absl::InvalidArgumentError(absl::StrCat(
        field,
        ": expected 0 (never idle) or 60s to 2592000s (30 days) in whole "
        "seconds (got ",
        absl::FormatDuration(t), ")"));
  }
  return absl::OkStatus();
}

absl::Status CloudCore::StartIdleListenerLocked(v1::Cluster* c) {
  const std::string name = c->name();
  COVE_RETURN_IF_ERROR(HoldPortsLocked(c, false));
  // It listens where the cluster is reachable: its public endpoint unless
  // disabled, its private endpoint when enabled (cluster_network.cc).
  const std::vector<std::string> addresses = ports_[name].ReleaseForIdle(
      "127.0.0.1", c->endpoint(), c->private_endpoint(),
      c->public_endpoint_disabled());
  if (addresses.empty()) {
    return absl::FailedPreconditionError(absl::StrCat(
        "idle endpoint of cluster '", name, "': it has no endpoint"));
  }
  auto listener = hosting::IdleListener::Start(
      name, addresses[0], tls_cert_file_, tls_key_file_,
      [this, name] {
        absl::MutexLock lock(&wake_mu_);
        wake_requests_.insert(name);
      },
      {c->ip_access_list().begin(), c->ip_access_list().end()},
      DataPlaneAuditObserver(name), {addresses.begin() + 1, addresses.end()});
  if (!listener.ok()) {
    (void)HoldPortsLocked(c, false);
    return listener.status();
  }
  idle_listeners_[name] = *std::move(listener);
  return absl::OkStatus();
}

bool CloudCore::StopIdleListenerLocked(v1::Cluster* c) {
  auto it = idle_listeners_.find(c->name());
  if (it == idle_listeners_.end()) return false;
  it->second->Stop();
  idle_listeners_.erase(it);
  {
    absl::MutexLock lock(&wake_mu_);
    wake_requests_.erase(c->name());
  }
  (void)HoldPortsLocked(c, false);
  return true;
}

void CloudCore::GoIdleLocked(v1::Cluster* c) {
  const absl::Duration timeout = FromProtoDuration(c->idle_timeout());
  StopDataPlaneLocked(c);
  absl::Status s = StartIdleListenerLocked(c);
  if (!s.ok()) {
    // Without its idle endpoint nothing could wake it: it keeps serving.
    absl::Status started = StartDataPlaneLocked(c, 0);
    SystemEventLocked("clusters.idle", c->name(), s,
                      absl::StrCat("auto-idle: the idle endpoint did not "
                                   "start; the cluster keeps serving",
                                   started.ok() ? "" : " (restart failed: ",
                                   started.ok() ? "" : started.message(),
                                   started.ok() ? "" : ")"));
    return;
  }
  c->set_state(v1::Cluster::IDLE);
  *c->mutable_idle_time() = ToProto(NowLocked());
  c->set_etag(NewEtag());
  (void)Persist("cluster", c->name(), *c);
  SystemEventLocked(
      "clusters.idle", c->name(), absl::OkStatus(),
      absl::StrCat("no data-plane request for ", absl::FormatDuration(timeout),
                   " (idle_timeout): compute released; the endpoint ",
                   c->endpoint(), " stays and its first request wakes it"));
}

void CloudCore::WakeLocked(v1::Cluster* c) {
  StopIdleListenerLocked(c);
  absl::Status s = StartDataPlaneLocked(c, 0);
  if (s.ok()) {
    c->set_state(v1::Cluster::RUNNING);
    c->clear_state_message();
  } else {
    c->set_state(v1::Cluster::FAILED);
    c->set_state_message(absl::StrCat(
        "wake from idle: the data plane did not start: ", s.message()));
  }
  c->set_etag(NewEtag());
  (void)Persist("cluster", c->name(), *c);
  SystemEventLocked("clusters.wake", c->name(), s,
                    s.ok() ? "a request to the endpoint woke the cluster "
                             "from idle"
                           : "");
}

void CloudCore::IdleTickLocked() {
  std::set<std::string> wake;
  {
    absl::MutexLock lock(&wake_mu_);
    wake.swap(wake_requests_);
  }
  for (const std::string& name : wake) {
    auto it = clusters_.find(name);
    if (it != clusters_.end() && it->second.state() == v1::Cluster::IDLE)
      WakeLocked(&it->second);
  }
  const absl::Time now = NowLocked();
  for (auto& [name, c] : clusters_) {
    if (c.state() != v1::Cluster::RUNNING || runtimes_.count(name) == 0)
      continue;
    const absl::Duration timeout = FromProtoDuration(c.idle_timeout());
    if (timeout <= absl::ZeroDuration()) continue;
    auto a = activity_.find(name);
    if (a == activity_.end()) continue;
    if (now - absl::FromUnixNanos(a->second->load()) >= timeout)
      GoIdleLocked(&c);
  }
  AgentIdleTickLocked();
}

// ---- agent mode
// ----------------------------------------------------------------

void CloudCore::ResetIdleActivityLocked(const std::string& cluster) {
  const absl::Time now = NowLocked();
  if (auto a = activity_.find(cluster); a != activity_.end())
    a->second->store(absl::ToUnixNanos(now));
  if (auto a = agent_idle_.find(cluster); a != agent_idle_.end())
    a->second.active = now;
}

void CloudCore::AgentIdleTickLocked() {
  const absl::Time now = NowLocked();
  for (auto it = agent_idle_.begin(); it != agent_idle_.end();) {
    auto c = clusters_.find(it->first);
    if (c == clusters_.end()) {
      it = agent_idle_.erase(it);
      continue;
    }
    AgentIdleState& a = it->second;
    ++it;
    if (c->second.state() != v1::Cluster::RUNNING ||
        !IsAgentEnvironmentLocked(c->second.environment())) {
      continue;
    }
    const absl::Duration timeout = FromProtoDuration(c->second.idle_timeout());
    if (timeout <= absl::ZeroDuration() || a.requests < 0) continue;
    // Without its agent nothing is sent: decided again once it is back.
    auto session = AgentSessionLocked(c->second.environment());
    if (session == nullptr) continue;
    if (a.sent_session == session->id) continue;  // in flight
    a.sent_session = 0;
    if (now - a.active < timeout) continue;
    v1::AgentCommand cmd;
    cmd.set_command_id(absl::StrCat("idle/", c->first));
    cmd.set_cluster(c->first);
    cmd.mutable_idle()->set_requests(a.requests);
    a.sent_session = session->id;
    AgentSendLocked(c->second.environment(), std::move(cmd));
  }
}

void CloudCore::AgentIdleObserveLocked(const std::string& environment,
                                       const v1::AgentClusterStatus& status,
                                       bool fresh) {
  auto c = clusters_.find(status.cluster());
  if (c == clusters_.end() || c->second.environment() != environment) return;
  const absl::Time now = NowLocked();
  AgentIdleState& a = agent_idle_[c->first];
  if (status.requests() != a.requests) {
    a.requests = status.requests();
    a.active = now;
  }
  if (!fresh && status.idle_epoch() <= a.epoch) return;  // nothing newer
  a.epoch =
      fresh ? status.idle_epoch() : std::max(a.epoch, status.idle_epoch());
  v1::Cluster& cluster = c->second;
  if (status.state() == v1::AgentClusterStatus::IDLE &&
      cluster.state() == v1::Cluster::RUNNING) {
    a.sent_session = 0;
    cluster.set_state(v1::Cluster::IDLE);
    *cluster.mutable_idle_time() = ToProto(now);
    cluster.set_etag(NewEtag());
    (void)Persist("cluster", cluster.name(), cluster);
    SystemEventLocked(
        "clusters.idle", cluster.name(), absl::OkStatus(),
        absl::StrCat(
            "no data-plane request for ",
            absl::FormatDuration(FromProtoDuration(cluster.idle_timeout())),
            " (idle_timeout): compute released by the agent; the "
            "endpoint ",
            cluster.endpoint().empty() ? cluster.private_endpoint()
                                       : cluster.endpoint(),
            " stays and its first request wakes it"));
  } else if (status.state() == v1::AgentClusterStatus::RUNNING &&
             cluster.state() == v1::Cluster::IDLE) {
    a.active = now;
    cluster.set_state(v1::Cluster::RUNNING);
    cluster.clear_state_message();
    cluster.set_etag(NewEtag());
    (void)Persist("cluster", cluster.name(), cluster);
    SystemEventLocked("clusters.wake", cluster.name(), absl::OkStatus(),
                      "a request to the endpoint woke the cluster from idle "
                      "(its agent started the data plane)");
  }
}

void CloudCore::AgentIdleResultLocked(const std::string& environment,
                                      const v1::AgentCommandResult& r,
                                      int code) {
  const std::string name = r.command_id().substr(std::strlen("idle/"));
  auto a = agent_idle_.find(name);
  if (a != agent_idle_.end()) a->second.sent_session = 0;
  auto c = clusters_.find(name);
  if (c == clusters_.end() || c->second.environment() != environment) return;
  if (code == 0) {
    AgentIdleObserveLocked(environment, r.cluster(), false);
    return;
  }
  // Not idle: the timeout counts again from now (and from the agent's
  // count of calls, which may be newer than its last heartbeat's).
  AgentIdleObserveLocked(environment, r.cluster(), false);
  if (a = agent_idle_.find(name); a != agent_idle_.end())
    a->second.active = NowLocked();
  if (code == static_cast<int>(absl::StatusCode::kAborted)) return;  // busy
  SystemEventLocked(
      "clusters.idle", name,
      absl::Status(static_cast<absl::StatusCode>(code), r.error_message()),
      "auto-idle: the agent did not idle the cluster; it keeps "
      "serving");
}

}  // namespace cove::cloud
