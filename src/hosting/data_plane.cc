// DataPlane: start, stop, replicas, usage, backup and restore of a
// cluster's data plane, the ports of its endpoints, its health check and
// its rolling upgrade.
#include "hosting/data_plane.h"

#include <netdb.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
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

// The options of the Milvus-protocol server instance of release
// `release` of a data plane of `options` over `connection` and `users`,
// counting into `metrics` (its listen addresses are the caller's).
server::ServerOptions InstanceOptions(
    const DataPlaneOptions& options, const ReplicaRelease& release,
    const std::shared_ptr<CapacityConnection>& connection,
    const std::shared_ptr<auth::AuthStore>& users,
    const std::shared_ptr<server::ServerMetrics>& metrics,
    const std::function<server::DataPlaneUsage()>& usage) {
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
  so.release = release.release;
  so.unhealthy_reason = release.unhealthy_reason;
  so.ip_access_list = options.ip_access_list;
  so.max_write_request_bytes = CapacityConnection::kMaxRequestBytes;
  so.ip_access_owner = absl::StrCat("cluster '", options.cluster, "'");
  // The replicas' instances (and an upgrade's next one) bind the same
  // ports.
  so.reuse_port = true;
  so.metrics = metrics;
  so.usage = usage;
  return so;
}

std::string ReleaseName(const std::string& release) {
  return release.empty() ? std::string("(build)") : release;
}

// Removes `item` from `*list` (when there).
template <typename T>
void Forget(std::vector<T>* list, const T& item) {
  auto it = std::find(list->begin(), list->end(), item);
  if (it != list->end()) list->erase(it);
}

absl::Status CheckReplicas(int replicas) {
  if (replicas < 1 || replicas > kMaxReplicas) {
    return absl::InvalidArgumentError(absl::StrCat(
        "replicas: expected 1 to ", kMaxReplicas, " (got ", replicas, ")"));
  }
  return absl::OkStatus();
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
  COVE_RETURN_IF_ERROR(CheckReplicas(options.replicas));
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
  std::unique_ptr<DataPlane> dp(new DataPlane());
  dp->data_dir_ = dir;
  dp->connection_ = connection;
  dp->users_ = users;
  dp->metrics_ = std::make_shared<server::ServerMetrics>();
  // The Prometheus endpoints report this; it never takes the host's locks
  // (a scrape may run while the host stops the data plane).
  dp->usage_ = [connection, dir] {
    server::DataPlaneUsage u;
    u.vectors = connection->CountEntities().value_or(-1);
    u.storage_bytes = server::DirectoryBytes(dir);
    u.capacity_vectors = connection->capacity();
    return u;
  };
  const ReplicaRelease release{options.release, options.unhealthy_reason};
  server::ServerOptions so = InstanceOptions(options, release, connection,
                                             users, dp->metrics_, dp->usage_);
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
  dp->public_port_ = PortOf(*endpoint);
  dp->metrics_port_ = PortOf(*metrics_endpoint);
  auto first = std::make_shared<Instance>();
  first->release = release;
  {
    absl::MutexLock lock(&dp->mu_);
    dp->options_ = options;
    // The canonical list in force.
    dp->options_.ip_access_list = (*server)->ip_access_list();
    dp->endpoint_ = *endpoint;
    if (with_private) {
      dp->private_endpoint_ = *private_endpoint;
      dp->private_port_ = PortOf(*private_endpoint);
    }
    first->server = *std::move(server);
    dp->replicas_.push_back(std::move(first));
  }
  // The other replicas' instances share the ports (SO_REUSEPORT).
  for (int i = 1; i < options.replicas; ++i) {
    auto next = dp->StartInstance(
        options, with_private ? PortOf(*private_endpoint) : 0, release);
    if (!next.ok()) {
      dp->Stop();
      (void)hold(false);
      return absl::Status(
          next.status().code(),
          absl::StrCat("cluster '", options.cluster, "': replica ", i + 1,
                       " of ", options.replicas,
                       " did not start: ", next.status().message()));
    }
    absl::MutexLock lock(&dp->mu_);
    Forget(&dp->starting_, *next);
    dp->replicas_.push_back(*std::move(next));
  }
  return dp;
}

absl::StatusOr<std::shared_ptr<DataPlane::Instance>> DataPlane::StartInstance(
    const DataPlaneOptions& options, int private_port,
    const ReplicaRelease& release) {
  server::ServerOptions so =
      InstanceOptions(options, release, connection_, users_, metrics_, usage_);
  SetListeners(options, public_port_, private_port, metrics_port_, &so);
  // Under mu_: the instance starts with the IP access list in force and is
  // known to SetIpAccessList from its first call.
  absl::MutexLock lock(&mu_);
  so.ip_access_list = options_.ip_access_list;
  COVE_ASSIGN_OR_RETURN(auto server, server::StartServer(so));
  auto instance = std::make_shared<Instance>();
  instance->server = std::move(server);
  instance->release = release;
  starting_.push_back(instance);
  return instance;
}

void DataPlane::StopInstance(const std::shared_ptr<Instance>& instance,
                             std::chrono::milliseconds grace) {
  {
    absl::MutexLock lock(&mu_);
    Forget(&starting_, instance);
  }
  instance->server->Shutdown(grace);
  instance->server->Wait();
}

absl::Status DataPlane::ChangeEndpoints(const std::string& private_host,
                                        bool public_disabled,
                                        ClusterPorts* ports,
                                        std::string* endpoint,
                                        std::string* private_endpoint) {
  absl::MutexLock change(&change_mu_);
  DataPlaneOptions was;
  std::vector<ReplicaRelease> releases;
  std::string running_endpoint, running_private;
  {
    absl::MutexLock lock(&mu_);
    if (stopped_) {
      return absl::FailedPreconditionError(absl::StrCat(
          "cluster '", options_.cluster, "': its data plane is stopped"));
    }
    was = options_;
    for (const auto& r : replicas_) releases.push_back(r->release);
    running_endpoint = endpoint_;
    running_private = private_endpoint_;
  }
  COVE_RETURN_IF_ERROR(
      CheckEndpoints(was.cluster, private_host, public_disabled));
  const bool same_private = was.private_host == private_host;
  if (same_private && was.public_disabled == public_disabled) {
    *endpoint = running_endpoint;
    *private_endpoint = running_private;
    return absl::OkStatus();
  }
  const bool tls = !was.tls_cert_file.empty();
  const bool new_public = was.public_disabled && !public_disabled;
  const bool new_private = !private_host.empty() && !same_private;
  const bool gone_public = !was.public_disabled && public_disabled;
  const bool gone_private = !was.private_host.empty() && !same_private;
  std::string next_private = same_private ? running_private : "";
  if (new_private) {
    COVE_RETURN_IF_ERROR(
        ports->HoldPrivate(private_host, tls, false, &next_private));
  }
  DataPlaneOptions options = was;
  options.private_host = private_host;
  options.public_disabled = public_disabled;
  // The ports of new listeners are let go just before the first instance
  // binds them; the listeners that stay share theirs with the running
  // instances.
  if (new_public) ports->ReleaseData();
  if (new_private) ports->ReleasePrivate();
  std::vector<std::shared_ptr<Instance>> started;
  absl::Status failure;
  for (const ReplicaRelease& release : releases) {
    auto next = StartInstance(options, PortOf(next_private), release);
    if (!next.ok()) {
      failure = next.status();
      break;
    }
    started.push_back(*std::move(next));
  }
  if (!failure.ok()) {
    for (const auto& s : started) StopInstance(s, std::chrono::seconds(0));
    std::string public_endpoint = running_endpoint;
    if (new_public) (void)ports->HoldData(was.host, tls, &public_endpoint);
    if (new_private) ports->ReleasePrivate();
    return absl::Status(
        failure.code(),
        absl::StrCat("cluster '", was.cluster,
                     "': the endpoints did not change: ", failure.message()));
  }
  std::vector<std::shared_ptr<Instance>> old;
  {
    absl::MutexLock lock(&mu_);
    for (const auto& s : started) {
      Forget(&starting_, s);
    }
    old.swap(replicas_);
    replicas_ = started;
    options_.private_host = private_host;
    options_.public_disabled = public_disabled;
    private_endpoint_ = next_private;
    private_port_ = PortOf(next_private);
  }
  // The old instances close their listeners, then let their calls in
  // flight finish; their clients' next calls connect to the new ones.
  for (const auto& o : old) o->server->Shutdown(std::chrono::seconds(5));
  for (const auto& o : old) o->server->Wait();
  *endpoint = running_endpoint;
  if (gone_public) (void)ports->HoldData(was.host, tls, endpoint);
  if (gone_private && !new_private) ports->ReleasePrivate();
  *private_endpoint = next_private;
  return absl::OkStatus();
}

absl::Status DataPlane::SetReplicas(int replicas) {
  COVE_RETURN_IF_ERROR(CheckReplicas(replicas));
  absl::MutexLock change(&change_mu_);
  DataPlaneOptions options;
  int private_port = 0;
  int have = 0;
  ReplicaRelease release;
  {
    absl::MutexLock lock(&mu_);
    if (stopped_) {
      return absl::FailedPreconditionError(absl::StrCat(
          "cluster '", options_.cluster, "': its data plane is stopped"));
    }
    options = options_;
    private_port = private_port_;
    have = static_cast<int>(replicas_.size());
    release = replicas_[0]->release;
  }
  std::vector<std::shared_ptr<Instance>> added;
  for (int i = have; i < replicas; ++i) {
    auto next = StartInstance(options, private_port, release);
    absl::Status s = next.ok() ? CheckInstance(**next, i, "") : next.status();
    if (next.ok()) added.push_back(*next);
    if (!s.ok()) {
      for (const auto& a : added) StopInstance(a, std::chrono::seconds(5));
      return absl::Status(
          s.code(), absl::StrCat("cluster '", options.cluster, "': still ",
                                 have, " replica(s): replica ", i + 1, " of ",
                                 replicas, " did not start: ", s.message()));
    }
  }
  std::vector<std::shared_ptr<Instance>> removed;
  {
    absl::MutexLock lock(&mu_);
    for (const auto& a : added) {
      Forget(&starting_, a);
      replicas_.push_back(a);
    }
    while (static_cast<int>(replicas_.size()) > replicas) {
      removed.push_back(replicas_.back());
      replicas_.pop_back();
    }
    options_.replicas = replicas;
  }
  // The replicas that go close their listeners and finish their calls in
  // flight; their clients' next calls reach the others.
  for (const auto& r : removed) r->server->Shutdown(std::chrono::seconds(5));
  for (const auto& r : removed) r->server->Wait();
  return absl::OkStatus();
}

int DataPlane::replicas() const {
  absl::MutexLock lock(&mu_);
  return static_cast<int>(replicas_.size());
}

std::vector<std::string> DataPlane::replica_releases() const {
  absl::MutexLock lock(&mu_);
  std::vector<std::string> out;
  for (const auto& r : replicas_) out.push_back(r->release.release);
  return out;
}

absl::Status DataPlane::ReplaceReplica(int index, const ReplicaRelease& to,
                                       const std::string& injected_failure,
                                       ReplicaRelease* replaced) {
  absl::MutexLock change(&change_mu_);
  DataPlaneOptions options;
  int private_port = 0;
  {
    absl::MutexLock lock(&mu_);
    if (stopped_) {
      return absl::FailedPreconditionError(absl::StrCat(
          "cluster '", options_.cluster, "': its data plane is stopped"));
    }
    if (index < 0 || index >= static_cast<int>(replicas_.size())) {
      return absl::OutOfRangeError(absl::StrCat("replica: expected 0 to ",
                                                replicas_.size() - 1, " (got ",
                                                index, ")"));
    }
    options = options_;
    private_port = private_port_;
    if (replaced != nullptr) *replaced = replicas_[index]->release;
  }
  // The new instance serves beside the running ones, on the same ports
  // (SO_REUSEPORT) and the same open engine: new connections reach any.
  auto next = StartInstance(options, private_port, to);
  if (!next.ok()) {
    return absl::Status(
        next.status().code(),
        absl::StrCat("cluster '", options.cluster, "' replica ", index + 1,
                     ": the instance of release '", ReleaseName(to.release),
                     "' did not start: ", next.status().message()));
  }
  if (absl::Status s = CheckInstance(**next, index, injected_failure);
      !s.ok()) {
    // The connections it took move back to the running instances.
    StopInstance(*next, std::chrono::seconds(5));
    return s;
  }
  std::shared_ptr<Instance> old;
  {
    absl::MutexLock lock(&mu_);
    Forget(&starting_, *next);
    old = replicas_[index];
    replicas_[index] = *next;
  }
  // The replica's old instance closes its listeners first, then lets its
  // calls in flight finish: its clients' next calls connect to the others.
  old->server->Shutdown(std::chrono::seconds(5));
  old->server->Wait();
  return absl::OkStatus();
}

DataPlane::~DataPlane() { Stop(); }

void DataPlane::Stop() { StopGracefully(std::chrono::milliseconds(0)); }

void DataPlane::StopGracefully(std::chrono::milliseconds grace) {
  absl::MutexLock change(&change_mu_);
  std::vector<std::shared_ptr<Instance>> all;
  {
    absl::MutexLock lock(&mu_);
    if (stopped_) return;
    stopped_ = true;
    all.swap(replicas_);
    all.insert(all.end(), starting_.begin(), starting_.end());
    starting_.clear();
  }
  for (const auto& i : all) i->server->Shutdown(grace);
  for (const auto& i : all) i->server->Wait();
}

DataPlaneOptions DataPlane::options() const {
  absl::MutexLock lock(&mu_);
  DataPlaneOptions o = options_;
  if (!replicas_.empty()) {
    o.release = replicas_[0]->release.release;
    o.unhealthy_reason = replicas_[0]->release.unhealthy_reason;
    o.replicas = static_cast<int>(replicas_.size());
  }
  return o;
}

std::string DataPlane::release() const {
  absl::MutexLock lock(&mu_);
  return replicas_.empty() ? options_.release : replicas_[0]->release.release;
}

std::string DataPlane::endpoint() const {
  absl::MutexLock lock(&mu_);
  return endpoint_;
}

std::string DataPlane::private_endpoint() const {
  absl::MutexLock lock(&mu_);
  return private_endpoint_;
}

void DataPlane::SetCapacity(int64_t vectors, int64_t bytes) {
  connection_->set_capacity(vectors);
  connection_->set_capacity_bytes(bytes);
}

absl::Status DataPlane::SetIpAccessList(const std::vector<std::string>& cidrs) {
  absl::MutexLock lock(&mu_);
  std::vector<std::shared_ptr<Instance>> all = replicas_;
  all.insert(all.end(), starting_.begin(), starting_.end());
  if (all.empty()) {
    options_.ip_access_list = cidrs;
    return absl::OkStatus();
  }
  // The first one checks the list (a bad entry changes nothing).
  COVE_RETURN_IF_ERROR(all[0]->server->SetIpAccessList(cidrs));
  for (size_t i = 1; i < all.size(); ++i)
    (void)all[i]->server->SetIpAccessList(cidrs);
  options_.ip_access_list = all[0]->server->ip_access_list();
  return absl::OkStatus();
}

std::vector<std::string> DataPlane::ip_access_list() const {
  absl::MutexLock lock(&mu_);
  return options_.ip_access_list;
}

server::DataPlaneUsage DataPlane::Usage() const { return usage_(); }

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

absl::Status DataPlane::CheckInstance(
    const Instance& instance, int index,
    const std::string& injected_failure) const {
  std::string cluster, host;
  int port = 0;
  {
    absl::MutexLock lock(&mu_);
    cluster = options_.cluster;
    const bool on_private = options_.public_disabled;
    host = on_private ? options_.private_host : ShownHost(options_.host);
    port = on_private ? private_port_ : public_port_;
    if (stopped_) {
      return absl::UnavailableError(
          absl::StrCat("cluster '", cluster,
                       "': health check failed: its data plane is "
                       "stopped"));
    }
  }
  const auto failed = [&](absl::string_view check, const absl::Status& s) {
    return absl::UnavailableError(
        absl::StrCat("cluster '", cluster, "' replica ", index + 1,
                     " on release '", ReleaseName(instance.release.release),
                     "': health check failed: ", check, ": ", s.message()));
  };
  // With SO_REUSEPORT any instance of the data plane may accept this
  // connection: the check is that the endpoint accepts.
  if (absl::Status s = TcpConnects(host, port); !s.ok()) {
    return failed("listener", s);
  }
  if (!injected_failure.empty()) {
    return failed("injected fault", absl::UnavailableError(injected_failure));
  }
  if (!instance.release.unhealthy_reason.empty()) {
    return failed("engine",
                  absl::UnavailableError(instance.release.unhealthy_reason));
  }
  if (absl::Status s = connection_->CheckHealth(CallOptions{}); !s.ok()) {
    return failed("engine", s);
  }
  if (auto n = connection_->CountEntities(); !n.ok()) {
    return failed("data", n.status());
  }
  return absl::OkStatus();
}

absl::Status DataPlane::HealthCheck() const {
  std::vector<std::shared_ptr<Instance>> replicas;
  std::string cluster;
  {
    absl::MutexLock lock(&mu_);
    replicas = replicas_;
    cluster = options_.cluster;
  }
  if (replicas.empty()) {
    return absl::UnavailableError(absl::StrCat(
        "cluster '", cluster, "': health check failed: listener: stopped"));
  }
  for (size_t i = 0; i < replicas.size(); ++i) {
    COVE_RETURN_IF_ERROR(CheckInstance(*replicas[i], static_cast<int>(i), ""));
  }
  return absl::OkStatus();
}

// ---- rolling upgrade -------------------------------------------------------

RollingUpgrade::RollingUpgrade(std::shared_ptr<DataPlane> plane,
                               Options options)
    : plane_(std::move(plane)), options_(std::move(options)) {
  replicas_ = plane_->replicas();
  const std::string running = plane_->release();
  from_ = running.empty() ? options_.running_release : running;
}

int RollingUpgrade::progress_percent() const {
  if (done_) return 100;
  return replicas_ == 0 ? 0 : 100 * upgraded() / replicas_;
}

std::string RollingUpgrade::RollBack() {
  std::string not_rolled_back;
  // The last upgraded first: the replicas on the old release grow back.
  for (int j = upgraded() - 1; j >= 0; --j) {
    if (absl::Status s = plane_->ReplaceReplica(j, previous_[j]); !s.ok()) {
      absl::StrAppend(&not_rolled_back, "; replica ", j + 1,
                      " stays on release '", ReleaseName(options_.to.release),
                      "' (its rollback failed: ", s.message(), ")");
    }
  }
  previous_.clear();
  return not_rolled_back;
}

bool RollingUpgrade::Step() {
  if (done_) return false;
  const std::string cluster = plane_->options().cluster;
  if (replicas_ == 0) {
    status_ = absl::FailedPreconditionError(absl::StrCat(
        "upgrade of cluster '", cluster, "': its data plane is not running"));
    done_ = true;
    return false;
  }
  const int i = upgraded();
  ReplicaRelease before;
  const absl::Status s = plane_->ReplaceReplica(
      i, options_.to,
      i + 1 == options_.fail_replica ? options_.fail_reason : "", &before);
  if (s.ok()) {
    previous_.push_back(before);
    done_ = upgraded() == replicas_;
    return !done_;
  }
  const std::string left = RollBack();
  status_ = absl::Status(
      s.code(), absl::StrCat("upgrade of cluster '", cluster, "' to release '",
                             ReleaseName(options_.to.release), "' failed",
                             replicas_ > 1 ? absl::StrCat(" on replica ", i + 1,
                                                          " of ", replicas_)
                                           : std::string(),
                             ": ", s.message(), "; rolled back to release '",
                             ReleaseName(from_), "'", left));
  done_ = true;
  return false;
}

void RollingUpgrade::Abort(const absl::Status& why) {
  if (done_) return;
  const std::string left = RollBack();
  status_ = absl::Status(
      why.code(), absl::StrCat(why.message(), "; rolled back to release '",
                               ReleaseName(from_), "'", left));
  done_ = true;
}

absl::Status UpgradeDataPlane(
    std::shared_ptr<DataPlane> plane, const RollingUpgrade::Options& options,
    const std::function<void(int percent)>& on_progress) {
  RollingUpgrade upgrade(std::move(plane), options);
  while (upgrade.Step()) {
    if (on_progress) on_progress(upgrade.progress_percent());
  }
  return upgrade.status();
}

}  // namespace cove::hosting
