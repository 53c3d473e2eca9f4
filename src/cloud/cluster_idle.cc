// Auto-idle (issue 19): a RUNNING cluster with an idle_timeout and no
// data-plane request for that long (emulator clock) is suspended to IDLE:
// its data plane stops (compute released) and its data port is answered by
// an IdleListener (hosting/idle_listener.h), whose every call fails with a
// retryable UNAVAILABLE naming the cluster and asks for a wake; the
// scheduler then starts the data plane again on the same port. Activity is
// recorded by the data plane itself (DataPlaneOptions::on_activity: every
// call that reaches the engine) on the emulator clock, without mu_.
#include <filesystem>

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

absl::Status CloudCore::CheckIdleModeLocked(const v1::Cluster& c,
                                            const v1::Cluster& in) {
  const bool set =
      in.idle_timeout().seconds() != 0 || in.idle_timeout().nanos() != 0;
  if (set && IsAgentEnvironmentLocked(c.environment())) {
    return absl::UnimplementedError(absl::StrCat(
        "cluster.idle_timeout: auto-idle is not available for agent-mode "
        "clusters yet (environment '",
        c.environment(), "'); it works for cross-account clusters"));
  }
  return absl::OkStatus();
}

absl::Status CloudCore::StartIdleListenerLocked(v1::Cluster* c) {
  const std::string name = c->name();
  COVE_RETURN_IF_ERROR(HoldPortsLocked(c, false));
  // It listens where the cluster is reachable: its public endpoint unless
  // disabled, its private endpoint when enabled (cluster_network.cc).
  std::vector<std::string> addresses;
  if (!c->public_endpoint_disabled() || c->private_endpoint().empty()) {
    ports_[name].ReleaseData();
    addresses.push_back(
        absl::StrCat("127.0.0.1:", hosting::PortOf(c->endpoint())));
  }
  if (const std::string& pe = c->private_endpoint(); !pe.empty()) {
    ports_[name].ReleasePrivate();
    addresses.push_back(pe.substr(pe.find("://") + 3));
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
}

}  // namespace cove::cloud
