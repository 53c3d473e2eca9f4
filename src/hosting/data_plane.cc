// DataPlane: start, stop, usage, backup and restore of a cluster's data
// plane, and the ports of its endpoints.
#include "hosting/data_plane.h"

#include <netdb.h>
#include <sys/socket.h>
#include <unistd.h>

#include <filesystem>
#include <string>
#include <utility>

#include "absl/strings/match.h"
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

std::string Scheme(bool tls) { return tls ? "https" : "http"; }

// The listeners of a data plane of `options` on its ports: the public one
// unless disabled, the private one with a private host, the Prometheus
// endpoint on the host.
void SetListeners(const DataPlaneOptions& options, int public_port,
                  int private_port, int metrics_port,
                  server::ServerOptions* so) {
  std::vector<std::string> listeners;
  if (!options.public_disabled)
    listeners.push_back(JoinHostPort(options.host, public_port));
  if (!options.private_host.empty())
    listeners.push_back(JoinHostPort(options.private_host, private_port));
  so->listen_address = listeners.empty() ? std::string() : listeners[0];
  so->more_listen_addresses.assign(
      listeners.begin() + (listeners.empty() ? 0 : 1), listeners.end());
  so->metrics_listen_address = JoinHostPort(options.host, metrics_port);
}

absl::Status CheckEndpoints(const std::string& cluster,
                            const std::string& private_host,
                            bool public_disabled) {
  if (public_disabled && private_host.empty()) {
    return absl::FailedPreconditionError(absl::StrCat(
        "cluster '", cluster,
        "': public_endpoint_disabled needs private_endpoint_enabled (a "
        "cluster without endpoints is unreachable)"));
  }
  return absl::OkStatus();
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
  private_.Release();
}

namespace {

// Holds `*held` on `host`: the port it holds, else `wanted` (not with
// `fresh`), else a free one.
absl::StatusOr<int> HoldPort(PortReservation* held, const std::string& host,
                             int wanted, bool fresh) {
  if (held->held() && !fresh) return held->port();
  held->Release();
  if (wanted != 0 && !fresh) {
    auto r = PortReservation::Reserve(host, wanted);
    if (r.ok()) {
      *held = *std::move(r);
      return held->port();
    }
  }
  COVE_ASSIGN_OR_RETURN(*held, PortReservation::Reserve(host, 0));
  return held->port();
}

}  // namespace

absl::Status ClusterPorts::HoldData(const std::string& host, bool tls,
                                    std::string* endpoint) {
  COVE_ASSIGN_OR_RETURN(int data,
                        HoldPort(&data_, host, PortOf(*endpoint), false));
  *endpoint = absl::StrCat(Scheme(tls), "://", ShownHost(host), ":", data);
  return absl::OkStatus();
}

absl::Status ClusterPorts::HoldPrivate(const std::string& private_host,
                                       bool tls, bool fresh,
                                       std::string* private_endpoint) {
  // A private endpoint of another host (the environment's address changed)
  // is not this one's.
  int wanted = PortOf(*private_endpoint);
  if (wanted != 0 &&
      !absl::StrContains(
          *private_endpoint,
          absl::StrCat("//", JoinHostPort(private_host, wanted)))) {
    wanted = 0;
    private_.Release();
  }
  COVE_ASSIGN_OR_RETURN(int port,
                        HoldPort(&private_, private_host, wanted, fresh));
  *private_endpoint =
      absl::StrCat(Scheme(tls), "://", JoinHostPort(private_host, port));
  return absl::OkStatus();
}

std::vector<std::string> ClusterPorts::ReleaseForIdle(
    const std::string& host, const std::string& endpoint,
    const std::string& private_endpoint, bool public_disabled) {
  std::vector<std::string> addresses;
  if (!endpoint.empty() && (!public_disabled || private_endpoint.empty())) {
    data_.Release();
    addresses.push_back(JoinHostPort(host, PortOf(endpoint)));
  }
  if (!private_endpoint.empty()) {
    private_.Release();
    addresses.push_back(
        private_endpoint.substr(private_endpoint.find("://") + 3));
  }
  return addresses;
}

// ---- DataPlane -------------------------------------------------------------

absl::StatusOr<std::unique_ptr<DataPlane>> DataPlane::Start(
    const DataPlaneOptions& options, ClusterPorts* ports, std::string* endpoint,
    std::string* metrics_endpoint, std::string* private_endpoint) {
  const std::string& dir = options.data_dir;
  COVE_RETURN_IF_ERROR(CheckEndpoints(options.cluster, options.private_host,
                                      options.public_disabled));
  const bool with_private = !options.private_host.empty();
  if (with_private && private_endpoint == nullptr) {
    return absl::InvalidArgumentError(
        "private_endpoint: expected where to write the private endpoint of a "
        "data plane with a private_host (got none)");
  }
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
  // The cluster's own ports, held until the listeners take them over (the
  // public one stays held while the public endpoint is disabled).
  const auto hold = [&](bool fresh) -> absl::Status {
    COVE_RETURN_IF_ERROR(
        ports->Hold(options.host, tls, fresh, endpoint, metrics_endpoint));
    if (with_private) {
      COVE_RETURN_IF_ERROR(ports->HoldPrivate(options.private_host, tls, fresh,
                                              private_endpoint));
    }
    return absl::OkStatus();
  };
  COVE_RETURN_IF_ERROR(hold(false));
  const auto listen_on_own_ports = [&] {
    ports->ReleaseMetrics();
    if (!options.public_disabled) ports->ReleaseData();
    if (with_private) ports->ReleasePrivate();
    SetListeners(options, PortOf(*endpoint),
                 with_private ? PortOf(*private_endpoint) : 0,
                 PortOf(*metrics_endpoint), &so);
  };
  listen_on_own_ports();
  auto server = server::StartServer(so);
  if (!server.ok()) {
    // Another process took a port in the instant between its release and
    // the listen: new ports.
    COVE_RETURN_IF_ERROR(hold(true));
    listen_on_own_ports();
    server = server::StartServer(so);
  }
  if (!server.ok()) {
    (void)hold(false);
    return server.status();
  }
  if (!options.public_disabled) {
    *endpoint = absl::StrCat(Scheme(tls), "://", (*server)->address());
  }
  *metrics_endpoint = (*server)->metrics_url();
  std::unique_ptr<DataPlane> dp(new DataPlane());
  dp->options_ = options;
  dp->connection_ = std::move(connection);
  dp->users_ = std::move(users);
  dp->server_ = *std::move(server);
  dp->endpoint_ = *endpoint;
  if (with_private) dp->private_endpoint_ = *private_endpoint;
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
  SetListeners(options, PortOf(running.endpoint_),
               PortOf(running.private_endpoint_),
               PortOf(running.server_->metrics_url()), &so);
  COVE_ASSIGN_OR_RETURN(auto server, server::StartServer(so));
  std::unique_ptr<DataPlane> dp(new DataPlane());
  dp->options_ = std::move(options);
  dp->connection_ = running.connection_;
  dp->users_ = running.users_;
  dp->server_ = std::move(server);
  dp->endpoint_ = running.endpoint_;
  dp->private_endpoint_ = running.private_endpoint_;
  return dp;
}

DataPlane::EndpointChange DataPlane::ChangeEndpoints(
    std::shared_ptr<DataPlane> running, const std::string& private_host,
    bool public_disabled, ClusterPorts* ports, std::string* endpoint,
    std::string* private_endpoint) {
  EndpointChange result;
  result.plane = running;
  const DataPlaneOptions& was = running->options_;
  if (running->stopped_.load()) {
    result.status = absl::FailedPreconditionError(
        absl::StrCat("cluster '", was.cluster, "': its data plane is stopped"));
    return result;
  }
  result.status = CheckEndpoints(was.cluster, private_host, public_disabled);
  if (!result.status.ok()) return result;
  const bool same_private = was.private_host == private_host;
  if (same_private && was.public_disabled == public_disabled) {
    *endpoint = running->endpoint_;
    *private_endpoint = running->private_endpoint_;
    return result;
  }
  const bool tls = !was.tls_cert_file.empty();
  const bool new_public = was.public_disabled && !public_disabled;
  const bool new_private = !private_host.empty() && !same_private;
  const bool gone_public = !was.public_disabled && public_disabled;
  const bool gone_private = !was.private_host.empty() && !same_private;
  std::string next_private = same_private ? running->private_endpoint_ : "";
  if (new_private) {
    result.status = ports->HoldPrivate(private_host, tls, false, &next_private);
    if (!result.status.ok()) return result;
  }
  DataPlaneOptions options = was;
  options.private_host = private_host;
  options.public_disabled = public_disabled;
  options.ip_access_list = running->server_->ip_access_list();
  server::ServerOptions so =
      ServerOptionsFor(options, running->connection_, running->users_);
  SetListeners(options, PortOf(running->endpoint_), PortOf(next_private),
               PortOf(running->server_->metrics_url()), &so);
  // The ports of new listeners are let go just before they bind them; the
  // listeners that stay share theirs with the running server.
  if (new_public) ports->ReleaseData();
  if (new_private) ports->ReleasePrivate();
  auto server = server::StartServer(so);
  if (!server.ok()) {
    std::string public_endpoint = running->endpoint_;
    if (new_public) (void)ports->HoldData(was.host, tls, &public_endpoint);
    if (new_private) ports->ReleasePrivate();
    result.status = absl::Status(
        server.status().code(),
        absl::StrCat(
            "cluster '", was.cluster,
            "': the endpoints did not change: ", server.status().message()));
    return result;
  }
  std::shared_ptr<DataPlane> next(new DataPlane());
  next->options_ = std::move(options);
  next->connection_ = running->connection_;
  next->users_ = running->users_;
  next->server_ = *std::move(server);
  next->endpoint_ = running->endpoint_;
  next->private_endpoint_ = next_private;
  // The running server closes its listeners, then lets its calls in flight
  // finish; its clients' next calls connect to the new server.
  running->StopGracefully(std::chrono::seconds(5));
  *endpoint = next->endpoint_;
  if (gone_public) (void)ports->HoldData(was.host, tls, endpoint);
  if (gone_private && !new_private) ports->ReleasePrivate();
  *private_endpoint = next_private;
  result.plane = std::move(next);
  return result;
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
  const bool on_private = options_.public_disabled;
  if (absl::Status s = TcpConnects(
          on_private ? options_.private_host : ShownHost(options_.host),
          PortOf(on_private ? private_endpoint_ : endpoint_));
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
