// Hosting a cluster's data plane on this machine (cross-account mode; in
// agent mode cove-agent hosts it): its data directory under the
// environment's bucket, its users, its engine behind the capacity limits,
// its Milvus-protocol server on the cluster's own ports, and its root
// password. Kept together so that the hosting can move into a library of
// its own (issue 19).
#include <filesystem>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "cloud/cloud_core.h"
#include "cloud/private_files.h"
#include "cloud/util.h"
#include "embedded/embedded_connection.h"

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
  // Clusters of states written before storage was limited.
  if (cluster->capacity_bytes() == 0) {
    cluster->set_capacity_bytes(
        CapacityBytesLocked(cluster->cu_type(), cluster->cu_size()));
  }
  const std::string dir = DataDirLocked(*cluster);
  // Customer data: 0700 directories (older ones are restricted), the
  // engine's files are 0600.
  COVE_RETURN_IF_ERROR(MakePrivateDirs("data directory", dir));
  COVE_RETURN_IF_ERROR(RestrictMode(dir));
  COVE_RETURN_IF_ERROR(
      RestrictMode(std::filesystem::path(dir).parent_path().string()));
  auth::AuthStore::Options auth_options;
  auth_options.pbkdf2_iterations = options_.pbkdf2_iterations;
  auth_options.state_file = dir + "/cove-users.json";
  COVE_ASSIGN_OR_RETURN(auto users, auth::AuthStore::Open(auth_options));
  if (!users->HasUser(auth::kRootUser)) {
    return absl::FailedPreconditionError(absl::StrCat(
        "data directory '", dir, "': the data plane's users are missing"));
  }
  // Customer-managed key: the engine reads it from the environment.
  COVE_ASSIGN_OR_RETURN(EmbeddedOptions engine_options,
                        DataPlaneOptionsLocked(*cluster));
  COVE_ASSIGN_OR_RETURN(auto embedded,
                        internal::MakeEmbeddedConnection(dir, engine_options));
  auto connection = std::make_shared<CapacityConnection>(
      std::move(embedded), cluster->capacity_vectors(),
      cluster->capacity_bytes(), [dir] { return server::DirectoryBytes(dir); });
  server::ServerOptions so;
  so.tls_cert_file = tls_cert_file_;
  so.tls_key_file = tls_key_file_;
  so.auth_enabled = true;
  so.connection = connection;
  so.auth_store = users;
  so.pbkdf2_iterations = options_.pbkdf2_iterations;
  // Refused calls become audit events (data_plane_audit.cc).
  so.on_access_denied = DataPlaneAuditObserver(cluster->name());
  // The cluster's own ports (its for its lifetime): held until the
  // listeners take them over.
  COVE_RETURN_IF_ERROR(HoldPortsLocked(cluster, false));
  const auto listen_on_own_ports = [&] {
    ports_[cluster->name()].data.Release();
    ports_[cluster->name()].metrics.Release();
    so.listen_address = absl::StrCat("127.0.0.1:", PortOf(cluster->endpoint()));
    // The data plane's Prometheus endpoint; its usage never takes mu_ (a
    // scrape may run while a verb stops the data plane under mu_).
    so.metrics_listen_address =
        absl::StrCat("127.0.0.1:", PortOf(cluster->metrics_endpoint()));
  };
  listen_on_own_ports();
  so.usage = [connection, dir] {
    server::DataPlaneUsage u;
    u.vectors = connection->CountEntities().value_or(-1);
    u.storage_bytes = server::DirectoryBytes(dir);
    u.capacity_vectors = connection->capacity();
    return u;
  };
  auto server = server::StartServer(so);
  if (!server.ok()) {
    // Another process took a port in the instant between its release and
    // the listen: new ports (the endpoints change; the only case where they
    // do, with a port taken while the emulator was down).
    COVE_RETURN_IF_ERROR(HoldPortsLocked(cluster, true));
    listen_on_own_ports();
    server = server::StartServer(so);
  }
  if (!server.ok()) {
    (void)HoldPortsLocked(cluster, false);
    return server.status();
  }
  cluster->set_endpoint(absl::StrCat(tls_cert_file_.empty() ? "http" : "https",
                                     "://", (*server)->address()));
  cluster->set_metrics_endpoint((*server)->metrics_url());
  Runtime rt;
  rt.connection = connection;
  rt.users = users;
  rt.server = *std::move(server);
  runtimes_[cluster->name()] = std::move(rt);
  return absl::OkStatus();
}

void CloudCore::StopDataPlaneLocked(v1::Cluster* cluster) {
  auto it = runtimes_.find(cluster->name());
  if (it == runtimes_.end()) return;
  auto used = it->second.connection->CountEntities();
  if (used.ok()) cluster->set_used_vectors(*used);
  it->second.server->Shutdown(std::chrono::milliseconds(0));
  it->second.server->Wait();
  runtimes_.erase(it);
  // The endpoints stay the cluster's: its ports are held again, and
  // connections are refused until the data plane serves again.
  (void)HoldPortsLocked(cluster, false);
}

absl::Status CloudCore::HoldPortsLocked(v1::Cluster* c, bool fresh) {
  ClusterPorts& ports = ports_[c->name()];
  const auto hold = [&](PortReservation& held,
                        int wanted) -> absl::StatusOr<int> {
    if (held.held() && !fresh) return held.port();
    held.Release();
    if (wanted != 0 && !fresh) {
      auto r = PortReservation::Reserve("127.0.0.1", wanted);
      if (r.ok()) {
        held = *std::move(r);
        return held.port();
      }
    }
    COVE_ASSIGN_OR_RETURN(held, PortReservation::Reserve("127.0.0.1", 0));
    return held.port();
  };
  COVE_ASSIGN_OR_RETURN(int data, hold(ports.data, PortOf(c->endpoint())));
  COVE_ASSIGN_OR_RETURN(int metrics,
                        hold(ports.metrics, PortOf(c->metrics_endpoint())));
  c->set_endpoint(absl::StrCat(tls_cert_file_.empty() ? "http" : "https",
                               "://127.0.0.1:", data));
  c->set_metrics_endpoint(
      absl::StrCat("http://127.0.0.1:", metrics, "/metrics"));
  return absl::OkStatus();
}

absl::Status CloudCore::SetRootPasswordLocked(const v1::Cluster& c,
                                              const std::string& password) {
  std::shared_ptr<auth::AuthStore> users;
  auto rt = runtimes_.find(c.name());
  if (rt != runtimes_.end() && rt->second.users != nullptr) {
    users = rt->second.users;
  } else {
    auth::AuthStore::Options auth_options;
    auth_options.pbkdf2_iterations = options_.pbkdf2_iterations;
    auth_options.state_file = DataDirLocked(c) + "/cove-users.json";
    if (!std::filesystem::exists(auth_options.state_file)) {
      return absl::FailedPreconditionError(absl::StrCat(
          "cluster '", c.name(), "': its data plane's users are missing"));
    }
    COVE_ASSIGN_OR_RETURN(users, auth::AuthStore::Open(auth_options));
  }
  return users->UpdatePassword(
      c.admin_user().empty() ? auth::kRootUser : c.admin_user(), "", password,
      /*check_old=*/false);
}

}  // namespace cove::cloud
