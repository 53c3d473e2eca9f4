// Hosting a cluster's data plane on this machine (cross-account mode; in
// agent mode cove-agent hosts it) through the hosting library
// (hosting/data_plane.h, which cove-agent uses too): its data directory
// under the environment's bucket, the key and audit hook the emulator
// gives it, its ports, and its root password.
#include <algorithm>
#include <filesystem>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "cloud/cloud_core.h"
#include "cloud/util.h"
#include "embedded/embedded_connection.h"
#include "hosting/private_files.h"

namespace cove::cloud {

std::string CloudCore::DataDirLocked(const v1::Cluster& c) const {
  auto env = environments_.find(c.environment());
  std::string bucket = env == environments_.end() ? "" : env->second.bucket();
  // Per tenant: <bucket>/clusters/<org>/<project>/<cluster>, so that equal
  // cluster ids of two organizations (or projects) never share a directory.
  std::vector<absl::string_view> parts = absl::StrSplit(c.name(), '/');
  if (parts.size() == 6) {
    return absl::StrCat(bucket, "/clusters/", parts[1], "/", parts[3], "/",
                        parts[5]);
  }
  return absl::StrCat(bucket, "/clusters/", parts.back());
}

absl::Status CloudCore::StartDataPlaneLocked(v1::Cluster* cluster,
                                             int preferred_port) {
  if (runtimes_.count(cluster->name()) != 0) return absl::OkStatus();
  // An IDLE cluster's endpoint gives its port back (cluster_idle.cc).
  StopIdleListenerLocked(cluster);
  // Clusters of states written before storage was limited.
  if (cluster->capacity_bytes() == 0) {
    cluster->set_capacity_bytes(
        CapacityBytesLocked(cluster->cu_type(), cluster->cu_size()));
  }
  hosting::DataPlaneOptions o;
  o.cluster = cluster->name();
  o.data_dir = DataDirLocked(*cluster);
  o.host = "127.0.0.1";
  o.capacity_vectors = cluster->capacity_vectors();
  o.capacity_bytes = cluster->capacity_bytes();
  // Customer-managed key: the engine reads it from the environment.
  COVE_ASSIGN_OR_RETURN(EmbeddedOptions engine_options,
                        DataPlaneOptionsLocked(*cluster));
  o.encryption_key_file = engine_options.encryption_key_file;
  o.tls_cert_file = tls_cert_file_;
  o.tls_key_file = tls_key_file_;
  o.pbkdf2_iterations = options_.pbkdf2_iterations;
  // Refused calls become audit events (data_plane_audit.cc).
  o.on_access_denied = DataPlaneAuditObserver(cluster->name());
  // Support access grants in force, and the calls made with them
  // (support_access.cc).
  o.support_sessions = SupportSessionsLocked(cluster->name());
  o.on_support_call = SupportCallObserver(cluster->name());
  o.ip_access_list.assign(cluster->ip_access_list().begin(),
                          cluster->ip_access_list().end());
  // Its release (upgrades.cc): states written before versions run the
  // default release.
  if (cluster->version().empty()) cluster->set_version(DefaultReleaseLocked());
  o.release = cluster->version();
  o.unhealthy_reason = BrokenReasonLocked(cluster->version());
  // One data-plane server instance per replica, over the one engine.
  o.replicas = std::max(1, cluster->replicas());
  // Auto-idle: the time of its last request, from now (cluster_idle.cc).
  auto activity =
      std::make_shared<std::atomic<int64_t>>(absl::ToUnixNanos(NowLocked()));
  activity_[cluster->name()] = activity;
  o.on_activity = [this, activity] {
    activity->store(absl::ToUnixNanos(ClockNowNoLock()));
  };
  COVE_RETURN_IF_ERROR(hosting::RestrictMode(
      std::filesystem::path(o.data_dir).parent_path().string()));
  // Private endpoint (cluster_network.cc).
  if (cluster->private_endpoint_enabled())
    o.private_host = PrivateAddressLocked(*cluster);
  // Never public when it should not be (DataPlane::Start refuses a data
  // plane without any endpoint).
  o.public_disabled = cluster->public_endpoint_disabled();
  std::string endpoint = cluster->endpoint();
  std::string metrics_endpoint = cluster->metrics_endpoint();
  std::string private_endpoint = cluster->private_endpoint();
  auto plane = hosting::DataPlane::Start(o, &ports_[cluster->name()], &endpoint,
                                         &metrics_endpoint, &private_endpoint);
  // The endpoints the ports held name (new only when a port was taken).
  cluster->set_endpoint(endpoint);
  cluster->set_metrics_endpoint(metrics_endpoint);
  if (o.private_host.empty()) {
    cluster->clear_private_endpoint();
  } else {
    cluster->set_private_endpoint(private_endpoint);
  }
  COVE_RETURN_IF_ERROR(plane.status());
  Runtime rt;
  rt.plane = *std::move(plane);
  runtimes_[cluster->name()] = std::move(rt);
  return absl::OkStatus();
}

void CloudCore::StopDataPlaneLocked(v1::Cluster* cluster) {
  // An IDLE cluster (suspended or deleted): its idle endpoint closes.
  if (StopIdleListenerLocked(cluster)) return;
  auto it = runtimes_.find(cluster->name());
  if (it == runtimes_.end()) return;
  activity_.erase(cluster->name());
  auto used = it->second.plane->connection()->CountEntities();
  if (used.ok()) cluster->set_used_vectors(*used);
  it->second.plane->Stop();
  runtimes_.erase(it);
  // The endpoints stay the cluster's: its ports are held again, and
  // connections are refused until the data plane serves again.
  (void)HoldPortsLocked(cluster, false);
}

absl::Status CloudCore::HoldPortsLocked(v1::Cluster* c, bool fresh) {
  std::string endpoint = c->endpoint();
  std::string metrics_endpoint = c->metrics_endpoint();
  hosting::ClusterPorts& ports = ports_[c->name()];
  const bool tls = !tls_cert_file_.empty();
  COVE_RETURN_IF_ERROR(
      ports.Hold("127.0.0.1", tls, fresh, &endpoint, &metrics_endpoint));
  c->set_endpoint(endpoint);
  c->set_metrics_endpoint(metrics_endpoint);
  // The private endpoint's port too, while it is enabled.
  const std::string address =
      c->private_endpoint_enabled() ? PrivateAddressLocked(*c) : "";
  if (address.empty()) {
    ports.ReleasePrivate();
    c->clear_private_endpoint();
    return absl::OkStatus();
  }
  std::string private_endpoint = c->private_endpoint();
  COVE_RETURN_IF_ERROR(
      ports.HoldPrivate(address, tls, fresh, &private_endpoint));
  c->set_private_endpoint(private_endpoint);
  return absl::OkStatus();
}

absl::Status CloudCore::SetRootPasswordLocked(const v1::Cluster& c,
                                              const std::string& password) {
  std::shared_ptr<auth::AuthStore> users;
  auto rt = runtimes_.find(c.name());
  if (rt != runtimes_.end()) {
    users = rt->second.plane->users();
  } else {
    COVE_ASSIGN_OR_RETURN(
        users, hosting::OpenDataPlaneUsers(c.name(), DataDirLocked(c),
                                           options_.pbkdf2_iterations));
  }
  return users->UpdatePassword(
      c.admin_user().empty() ? auth::kRootUser : c.admin_user(), "", password,
      /*check_old=*/false);
}

}  // namespace cove::cloud
