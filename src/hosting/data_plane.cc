// DataPlane: start, stop, usage, backup and restore of a cluster's data
// plane, and the ports of its endpoints.
#include "hosting/data_plane.h"

#include <netdb.h>
#include <sys/socket.h>
#include <unistd.h>

#include <filesystem>
#include <string>
#include <utility>

#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "embedded/embedded_connection.h"
#include "hosting/private_files.h"

namespace cove::hosting {

namespace {

std::string UsersFile(const std::string& dir) {
  return absl::StrCat(dir, "/", kUsersFile);
}

// The host clients use for a listener bound to `host`.
std::string ShownHost(const std::string& host) {
  if (host.empty() || host == "0.0.0.0" || host == "::" || host == "[::]")
    return "127.0.0.1";
  return host;
}

// The options of the Milvus-protocol server of a data plane of `options`
// over `connection` and `users` (its listen addresses are the caller's).
server::ServerOptions ServerOptionsFor(
    const DataPlaneOptions& options,
    const std::shared_ptr<CapacityConnection>& connection,
    const std::shared_ptr<auth::AuthStore>& users) {
  server::ServerOptions so;
  so.tls_cert_file = options.tls_cert_file;
  so.tls_key_file = options.tls_key_file;
  so.auth_enabled = true;
  so.connection = connection;
  so.auth_store = users;
  so.pbkdf2_iterations = options.pbkdf2_iterations;
  so.on_access_denied = options.on_access_denied;
  so.support_sessions = options.support_sessions;
  so.on_support_call = options.on_support_call;
  so.release = options.release;
  so.unhealthy_reason = options.unhealthy_reason;
  so.ip_access_list = options.ip_access_list;
  so.ip_access_owner = absl::StrCat("cluster '", options.cluster, "'");
  // The next release's server binds the same ports while this one drains.
  so.reuse_port = true;
  // The data plane's Prometheus endpoint reports this; it never takes the
  // host's locks (a scrape may run while the host stops the data plane).
  const std::string dir = options.data_dir;
  so.usage = [connection, dir] {
    server::DataPlaneUsage u;
    u.vectors = connection->CountEntities().value_or(-1);
    u.storage_bytes = server::DirectoryBytes(dir);
    u.capacity_vectors = connection->capacity();
    return u;
  };
  return so;
}

}  // namespace

absl::Status CreateDataPlaneUsers(const std::string& dir,
                                  const std::string& admin_user,
                                  const std::string& password,
                                  int pbkdf2_iterations) {
  if (password.empty()) {
    return absl::InvalidArgumentError(
        "admin_password: expected a password (got none)");
  }
  COVE_RETURN_IF_ERROR(MakePrivateDirs("data directory", dir));
  auth::AuthStore::Options auth_options;
  auth_options.pbkdf2_iterations = pbkdf2_iterations;
  auth_options.state_file = UsersFile(dir);
  std::error_code ec;
  std::filesystem::remove(auth_options.state_file, ec);
  COVE_ASSIGN_OR_RETURN(auto users, auth::AuthStore::Open(auth_options));
  return users->CreateUser(admin_user.empty() ? auth::kRootUser : admin_user,
                           password);
}

absl::StatusOr<std::shared_ptr<auth::AuthStore>> OpenDataPlaneUsers(
    const std::string& cluster, const std::string& dir, int pbkdf2_iterations) {
  auth::AuthStore::Options auth_options;
  auth_options.pbkdf2_iterations = pbkdf2_iterations;
  auth_options.state_file = UsersFile(dir);
  std::error_code ec;
  if (!std::filesystem::exists(auth_options.state_file, ec)) {
    return absl::FailedPreconditionError(absl::StrCat(
        "cluster '", cluster, "': data directory '", dir,
        "' has no data plane users (missing, or not created by this host)"));
  }
  return auth::AuthStore::Open(auth_options);
}

// ---- ClusterPorts ----------------------------------------------------------

absl::Status ClusterPorts::Hold(const std::string& host, bool tls, bool fresh,
                                std::string* endpoint,
                                std::string* metrics_endpoint) {
  const auto hold = [&](PortReservation& held,
                        int wanted) -> absl::StatusOr<int> {
    if (held.held() && !fresh) return held.port();
    held.Release();
    if (wanted != 0 && !fresh) {
      auto r = PortReservation::Reserve(host, wanted);
      if (r.ok()) {
        held = *std::move(r);
        return held.port();
      }
    }
    COVE_ASSIGN_OR_RETURN(held, PortReservation::Reserve(host, 0));
    return held.port();
  };
  COVE_ASSIGN_OR_RETURN(int data, hold(data_, PortOf(*endpoint)));
  COVE_ASSIGN_OR_RETURN(int metrics, hold(metrics_, PortOf(*metrics_endpoint)));
  const std::string shown = ShownHost(host);
  *endpoint = absl::StrCat(tls ? "https" : "http", "://", shown, ":", data);
  *metrics_endpoint = absl::StrCat("http://", shown, ":", metrics, "/metrics");
  return absl::OkStatus();
}

void ClusterPorts::Release() {
  data_.Release();
  metrics_.Release();
}

// ---- DataPlane -------------------------------------------------------------

absl::StatusOr<std::unique_ptr<DataPlane>> DataPlane::Start(
    const DataPlaneOptions& options, ClusterPorts* ports, std::string* endpoint,
    std::string* metrics_endpoint) {
  const std::string& dir = options.data_dir;
  // Customer data: 0700 directories (older ones are restricted), the
  // engine's files are 0600.
  COVE_RETURN_IF_ERROR(MakePrivateDirs("data directory", dir));
  COVE_RETURN_IF_ERROR(RestrictMode(dir));
  COVE_ASSIGN_OR_RETURN(
      auto users,
      OpenDataPlaneUsers(options.cluster, dir, options.pbkdf2_iterations));
  EmbeddedOptions engine_options;
  engine_options.encryption_key_file = options.encryption_key_file;
  COVE_ASSIGN_OR_RETURN(auto embedded,
                        internal::MakeEmbeddedConnection(dir, engine_options));
  auto connection = std::make_shared<CapacityConnection>(
      std::move(embedded), options.capacity_vectors, options.capacity_bytes,
      [dir] { return server::DirectoryBytes(dir); });
  if (options.on_activity) connection->set_on_activity(options.on_activity);
  server::ServerOptions so = ServerOptionsFor(options, connection, users);
  const bool tls = !options.tls_cert_file.empty();
  // The cluster's own ports, held until the listeners take them over.
  COVE_RETURN_IF_ERROR(
      ports->Hold(options.host, tls, false, endpoint, metrics_endpoint));
  const auto listen_on_own_ports = [&] {
    ports->Release();
    so.listen_address = absl::StrCat(options.host, ":", PortOf(*endpoint));
    so.metrics_listen_address =
        absl::StrCat(options.host, ":", PortOf(*metrics_endpoint));
  };
  listen_on_own_ports();
  auto server = server::StartServer(so);
  if (!server.ok()) {
    // Another process took a port in the instant between its release and
    // the listen: new ports.
    COVE_RETURN_IF_ERROR(
        ports->Hold(options.host, tls, true, endpoint, metrics_endpoint));
    listen_on_own_ports();
    server = server::StartServer(so);
  }
  if (!server.ok()) {
    (void)ports->Hold(options.host, tls, false, endpoint, metrics_endpoint);
    return server.status();
  }
  *endpoint = absl::StrCat(tls ? "https" : "http", "://", (*server)->address());
  *metrics_endpoint = (*server)->metrics_url();
  std::unique_ptr<DataPlane> dp(new DataPlane());
  dp->options_ = options;
  dp->connection_ = std::move(connection);
  dp->users_ = std::move(users);
  dp->server_ = *std::move(server);
  dp->endpoint_ = *endpoint;
  return dp;
}

absl::StatusOr<std::unique_ptr<DataPlane>> DataPlane::StartNextRelease(
    const DataPlane& running, const DataPlaneOptions& to) {
  if (running.stopped_.load()) {
    return absl::FailedPreconditionError(
        absl::StrCat("cluster '", running.options_.cluster,
                     "': its data plane is stopped (no release to follow)"));
  }
  DataPlaneOptions options = running.options_;
  options.release = to.release;
  options.unhealthy_reason = to.unhealthy_reason;
  // The list in force (it may have changed since the start).
  options.ip_access_list = running.server_->ip_access_list();
  server::ServerOptions so =
      ServerOptionsFor(options, running.connection_, running.users_);
  so.listen_address =
      absl::StrCat(options.host, ":", PortOf(running.endpoint_));
  so.metrics_listen_address =
      absl::StrCat(options.host, ":", PortOf(running.server_->metrics_url()));
  COVE_ASSIGN_OR_RETURN(auto server, server::StartServer(so));
  std::unique_ptr<DataPlane> dp(new DataPlane());
  dp->options_ = std::move(options);
  dp->connection_ = running.connection_;
  dp->users_ = running.users_;
  dp->server_ = std::move(server);
  dp->endpoint_ = running.endpoint_;
  return dp;
}

DataPlane::~DataPlane() { Stop(); }

void DataPlane::Stop() { StopGracefully(std::chrono::milliseconds(0)); }

void DataPlane::StopGracefully(std::chrono::milliseconds grace) {
  if (stopped_.exchange(true)) return;
  server_->Shutdown(grace);
  server_->Wait();
}

void DataPlane::SetCapacity(int64_t vectors, int64_t bytes) {
  connection_->set_capacity(vectors);
  connection_->set_capacity_bytes(bytes);
}

server::DataPlaneUsage DataPlane::Usage() const { return server_->Usage(); }

absl::StatusOr<BackupSummary> DataPlane::Backup(
    const std::vector<CollectionRef>& collections, const std::string& dir,
    const internal::Cipher& cipher, const std::string& key_ref,
    const std::string& owner) {
  // The directory belongs to this backup alone: a write sent again replaces
  // an earlier write of the same backup; another backup's files are never
  // touched.
  COVE_RETURN_IF_ERROR(DeleteBackupFiles(dir, owner));
  COVE_ASSIGN_OR_RETURN(
      BackupSummary summary,
      WriteBackup(*connection_, collections, dir, cipher, key_ref, owner));
  if (absl::Status v = VerifyBackup(dir, owner); !v.ok()) {
    (void)DeleteBackupFiles(dir, owner);
    return v;
  }
  return summary;
}

absl::StatusOr<BackupSummary> DataPlane::Restore(
    const std::string& dir, const internal::Cipher* cipher,
    const std::vector<CollectionRef>& collections, bool overwrite,
    const std::string& owner) {
  return RestoreBackupInto(*connection_, dir, cipher, collections, overwrite,
                           owner);
}

// ---- health check and upgrade ---------------------------------------------

namespace {

// A TCP connection to host:port opens (the listener accepts).
absl::Status TcpConnects(const std::string& host, int port) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* found = nullptr;
  const std::string service = std::to_string(port);
  if (getaddrinfo(host.c_str(), service.c_str(), &hints, &found) != 0 ||
      found == nullptr) {
    return absl::UnavailableError(absl::StrCat("cannot resolve '", host, "'"));
  }
  absl::Status status = absl::UnavailableError(
      absl::StrCat("nothing accepts connections on ", host, ":", port));
  for (addrinfo* a = found; a != nullptr; a = a->ai_next) {
    int fd = socket(a->ai_family, a->ai_socktype | SOCK_CLOEXEC, 0);
    if (fd < 0) continue;
    const bool ok = connect(fd, a->ai_addr, a->ai_addrlen) == 0;
    close(fd);
    if (ok) {
      status = absl::OkStatus();
      break;
    }
  }
  freeaddrinfo(found);
  return status;
}

}  // namespace

absl::Status DataPlane::HealthCheck() const {
  const std::string release =
      options_.release.empty() ? std::string("(build)") : options_.release;
  const auto failed = [&](absl::string_view check, const absl::Status& s) {
    return absl::UnavailableError(
        absl::StrCat("cluster '", options_.cluster, "' on release '", release,
                     "': health check failed: ", check, ": ", s.message()));
  };
  if (stopped_.load()) {
    return failed("listener", absl::UnavailableError("stopped"));
  }
  if (absl::Status s = TcpConnects(ShownHost(options_.host), PortOf(endpoint_));
      !s.ok()) {
    return failed("listener", s);
  }
  if (!options_.unhealthy_reason.empty()) {
    return failed("engine", absl::UnavailableError(options_.unhealthy_reason));
  }
  if (absl::Status s = connection_->CheckHealth(CallOptions{}); !s.ok()) {
    return failed("engine", s);
  }
  if (auto n = connection_->CountEntities(); !n.ok()) {
    return failed("data", n.status());
  }
  return absl::OkStatus();
}

UpgradeResult UpgradeDataPlane(std::shared_ptr<DataPlane> running,
                               const DataPlaneOptions& to,
                               const std::string& running_release) {
  const std::string from_release =
      running->release().empty() ? running_release : running->release();
  const auto name = [](const std::string& release) {
    return release.empty() ? std::string("(build)") : release;
  };
  UpgradeResult result;
  // The next release serves beside the running one, on the same ports
  // (SO_REUSEPORT) and the same open engine: new connections reach either.
  auto next = DataPlane::StartNextRelease(*running, to);
  const absl::Status failure =
      next.ok() ? (*next)->HealthCheck() : next.status();
  if (failure.ok()) {
    // The old release closes its listeners first, then lets its calls in
    // flight finish: its clients' next calls connect to the new release.
    running->StopGracefully(std::chrono::seconds(5));
    result.plane = *std::move(next);
    return result;
  }
  if (next.ok()) {
    // Rollback: the connections the new release took move back to the old
    // one, which never stopped.
    (*next)->StopGracefully(std::chrono::seconds(5));
  }
  result.plane = std::move(running);
  result.status = absl::Status(
      failure.code(),
      absl::StrCat("upgrade of cluster '", to.cluster, "' to release '",
                   name(to.release), "' failed: ", failure.message(),
                   "; rolled back to release '", name(from_release), "'"));
  return result;
}

}  // namespace cove::hosting
