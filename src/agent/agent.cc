// Agent: the connection loop (dial out, register, heartbeats, commands) and
// the data planes it hosts.
#include "agent/agent.h"

#include <fcntl.h>
#include <grpcpp/grpcpp.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <map>
#include <optional>
#include <thread>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/synchronization/mutex.h"
#include "auth/auth_store.h"
#include "cloud/backup_format.h"
#include "cloud/capacity_connection.h"
#include "cloud/port_reservation.h"
#include "cloud/private_files.h"
#include "cloud/util.h"
#include "common/cipher.h"
#include "common/files.h"
#include "cove/control/v1/agent.grpc.pb.h"
#include "cove/version.h"
#include "embedded/embedded_connection.h"
#include "nlohmann/json.hpp"
#include "server/metrics.h"
#include "server/server.h"

namespace cove::agent {

namespace v1 = ::cove::control::v1;

namespace {

constexpr char kCredentialFile[] = "credential.json";
constexpr char kClustersFile[] = "clusters.json";

// Writes `data` to `path` with mode 0600 (replacing it atomically).
absl::Status WritePrivateFile(const std::string& path,
                              const std::string& data) {
  const std::string tmp = path + ".tmp";
  int fd = ::open(tmp.c_str(), O_CREAT | O_WRONLY | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) {
    return absl::UnavailableError(
        absl::StrCat("state file '", tmp, "': cannot create"));
  }
  ::fchmod(fd, 0600);
  size_t done = 0;
  while (done < data.size()) {
    ssize_t n = ::write(fd, data.data() + done, data.size() - done);
    if (n <= 0) {
      ::close(fd);
      return absl::UnavailableError(
          absl::StrCat("state file '", tmp, "': write failed"));
    }
    done += static_cast<size_t>(n);
  }
  ::fsync(fd);
  ::close(fd);
  if (::rename(tmp.c_str(), path.c_str()) != 0) {
    return absl::UnavailableError(
        absl::StrCat("state file '", path, "': cannot replace"));
  }
  return absl::OkStatus();
}

std::string LastComponent(const std::string& name) {
  std::vector<std::string> parts = absl::StrSplit(name, '/');
  return parts.back();
}

bool IsRefusal(grpc::StatusCode code) {
  return code == grpc::StatusCode::UNAUTHENTICATED ||
         code == grpc::StatusCode::NOT_FOUND ||
         code == grpc::StatusCode::FAILED_PRECONDITION ||
         code == grpc::StatusCode::INVALID_ARGUMENT ||
         code == grpc::StatusCode::PERMISSION_DENIED;
}

absl::Status FromGrpc(const grpc::Status& s) {
  return absl::Status(static_cast<absl::StatusCode>(s.error_code()),
                      s.error_message());
}

}  // namespace

absl::Status AgentOptions::Validate() const {
  if (control_plane.empty()) {
    return absl::InvalidArgumentError(
        "control_plane: expected host:port or https://host:port (got an "
        "empty string)");
  }
  if (bucket.empty()) {
    return absl::InvalidArgumentError(
        "bucket: expected a directory (got an empty string)");
  }
  if (data_plane_tls_cert_file.empty() != data_plane_tls_key_file.empty()) {
    return absl::InvalidArgumentError(
        "data_plane_tls_cert_file/data_plane_tls_key_file: TLS needs both "
        "(got only one)");
  }
  if (min_backoff.count() < 1 || max_backoff < min_backoff) {
    return absl::InvalidArgumentError(absl::StrCat(
        "min_backoff/max_backoff: expected 1 <= min <= max ms (got ",
        min_backoff.count(), "/", max_backoff.count(), ")"));
  }
  if (pbkdf2_iterations < 1) {
    return absl::InvalidArgumentError(
        absl::StrCat("pbkdf2_iterations: expected at least 1 (got ",
                     pbkdf2_iterations, ")"));
  }
  return absl::OkStatus();
}

class Agent::Impl {
 public:
  explicit Impl(AgentOptions options) : options_(std::move(options)) {}

  absl::Status Init();
  void Loop();
  void Stop();

  AgentOptions options_;
  mutable absl::Mutex mu_;
  struct Local {
    AgentCluster info;
    std::shared_ptr<cloud::CapacityConnection> connection;
    std::unique_ptr<server::Server> server;
    std::shared_ptr<auth::AuthStore> users;  // while it runs
    std::string message;  // why it is not running, if it failed
    // The cluster's ports, held for its lifetime (port_reservation.h).
    cloud::PortReservation data_port, metrics_port;
  };
  std::map<std::string, Local> clusters_ ABSL_GUARDED_BY(mu_);
  std::string credential_ ABSL_GUARDED_BY(mu_);
  std::string environment_ ABSL_GUARDED_BY(mu_);
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  bool paused_ ABSL_GUARDED_BY(mu_) = false;
  bool hung_ ABSL_GUARDED_BY(mu_) = false;  // test hook (Agent::Hang)
  bool connected_ ABSL_GUARDED_BY(mu_) = false;
  bool refused_ ABSL_GUARDED_BY(mu_) = false;
  int64_t registrations_ ABSL_GUARDED_BY(mu_) = 0;
  absl::Status last_error_ ABSL_GUARDED_BY(mu_);
  grpc::ClientContext* live_ctx_ ABSL_GUARDED_BY(mu_) = nullptr;
  // Calls the data planes refused, waiting to be forwarded (with the next
  // heartbeat) for the control plane's audit log; at most
  // kMaxPendingDenials, the rest counted. Never taken with mu_ held first
  // by a data plane's thread, so stopping a data plane under mu_ is safe.
  absl::Mutex denials_mu_ ABSL_ACQUIRED_AFTER(mu_);
  v1::AgentAccessDenials denials_ ABSL_GUARDED_BY(denials_mu_);
  void QueueDenial(const std::string& cluster, const server::AccessDenial& d);
  // The queued refusals (cleared), or nullopt when there are none.
  std::optional<v1::AgentMessage> TakeDenials();
  std::thread loop_;

 private:
  using Stream = grpc::ClientReaderWriter<v1::AgentMessage, v1::ControlMessage>;

  absl::Status RunSession();
  v1::AgentCommandResult Execute(const v1::AgentCommand& cmd, Stream* stream,
                                 absl::Mutex* write_mu);
  std::shared_ptr<grpc::ChannelCredentials> Credentials(std::string* target);
  v1::AgentClusterStatus StatusLocked(const std::string& name)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  std::vector<v1::AgentClusterStatus> StatusesLocked()
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  absl::Status StartDataPlaneLocked(Local* local)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Holds the ports of `local`'s endpoints (new ones when it has none, when
  // they are taken, or with `fresh`) and sets its endpoints to them.
  absl::Status HoldPortsLocked(Local* local, bool fresh)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void StopDataPlaneLocked(Local* local) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  absl::Status SaveClustersLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  absl::Status CreateLocked(const std::string& name,
                            const v1::AgentCreateCluster& create)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  absl::Status StartLocked(const std::string& name, int64_t capacity,
                           int64_t capacity_bytes)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Writes the backup of `name` (a running cluster) under the bucket.
  absl::Status Backup(const std::string& name,
                      const v1::AgentBackupCluster& cmd,
                      v1::AgentBackupResult* out);
  absl::Status PurgeLocked(const std::string& name)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // ResetClusterPassword: the new password in the cluster's user store.
  absl::Status ResetPasswordLocked(const std::string& name,
                                   const v1::AgentResetPassword& cmd)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Restores a backup under the bucket into `name` (a running cluster).
  absl::Status Restore(const std::string& name,
                       const v1::AgentRestoreBackup& cmd,
                       v1::AgentBackupResult* out);
  // Deletes a backup's files under the bucket.
  absl::Status DeleteBackup(const v1::AgentDeleteBackup& cmd);
  // "<bucket>/<rel>" for a normalized relative path; InvalidArgument naming
  // `field` otherwise.
  absl::StatusOr<std::string> BucketPath(const std::string& field,
                                         const std::string& rel) const;
  // The key store file of "keys/{name}": <bucket>/.kms/{name}.key.
  absl::StatusOr<std::string> KeyFile(const std::string& key_ref) const;
  // The cipher of `key_ref` from the key store; FailedPrecondition when the
  // key is missing, unusable or (with `expected_id`) replaced.
  absl::StatusOr<internal::Cipher> LoadKey(
      const std::string& key_ref, const std::string& expected_id) const;
  // Stops the data planes whose key left the key store (before each
  // heartbeat, so that the control plane learns it at once).
  void CheckKeysLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
};

// ---- state
// ---------------------------------------------------------------------

absl::Status Agent::Impl::Init() {
  if (options_.state_dir.empty())
    options_.state_dir = options_.bucket + "/.cove-agent";
  if (options_.host_name.empty()) {
    char host[256] = {0};
    if (::gethostname(host, sizeof(host) - 1) == 0) options_.host_name = host;
  }
  std::error_code ec;
  std::filesystem::create_directories(options_.state_dir, ec);
  if (ec || !std::filesystem::is_directory(options_.state_dir)) {
    return absl::InvalidArgumentError(
        absl::StrCat("state_dir: cannot create directory '", options_.state_dir,
                     "' (", ec.message(), ")"));
  }
  ::chmod(options_.state_dir.c_str(), 0700);
  absl::MutexLock lock(&mu_);
  const std::string cred_file = options_.state_dir + "/" + kCredentialFile;
  if (std::filesystem::exists(cred_file)) {
    auto data = internal::ReadFile("credential file", cred_file);
    if (!data.ok()) return data.status();
    nlohmann::json j = nlohmann::json::parse(*data, nullptr, false);
    if (j.is_discarded() || !j.is_object()) {
      return absl::DataLossError(
          absl::StrCat("credential file '", cred_file, "': not valid JSON"));
    }
    credential_ = j.value("credential", "");
    environment_ = j.value("environment", "");
  }
  if (credential_.empty() && options_.token.empty()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "token: expected the environment's agent token for the first "
        "registration (no credential in '",
        cred_file, "')"));
  }
  const std::string clusters_file = options_.state_dir + "/" + kClustersFile;
  if (std::filesystem::exists(clusters_file)) {
    auto data = internal::ReadFile("clusters file", clusters_file);
    if (!data.ok()) return data.status();
    nlohmann::json j = nlohmann::json::parse(*data, nullptr, false);
    if (j.is_discarded() || !j.is_array()) {
      return absl::DataLossError(absl::StrCat("clusters file '", clusters_file,
                                              "': not a valid JSON array"));
    }
    for (const auto& e : j) {
      Local local;
      local.info.name = e.value("name", "");
      local.info.data_dir = e.value("data_dir", "");
      local.info.capacity_vectors = e.value("capacity_vectors", int64_t{0});
      local.info.capacity_bytes = e.value("capacity_bytes", int64_t{0});
      local.info.endpoint = e.value("endpoint", "");
      local.info.metrics_endpoint = e.value("metrics_endpoint", "");
      local.info.encryption_key = e.value("encryption_key", "");
      local.info.encryption_key_id = e.value("encryption_key_id", "");
      local.info.key_revoked = e.value("key_revoked", false);
      const bool running = e.value("running", false);
      if (local.info.name.empty() || local.info.data_dir.empty()) continue;
      auto& slot = clusters_[local.info.name];
      slot = std::move(local);
      // Its ports again, so that its endpoints stay (new ones only when
      // another process took them while the agent was down).
      if (!slot.info.endpoint.empty()) (void)HoldPortsLocked(&slot, false);
      if (running) {
        absl::Status s = StartDataPlaneLocked(&slot);
        if (!s.ok() && !slot.info.key_revoked)
          slot.message = std::string(s.message());
      }
    }
  }
  return absl::OkStatus();
}

absl::Status Agent::Impl::SaveClustersLocked() {
  nlohmann::json j = nlohmann::json::array();
  for (const auto& [name, l] : clusters_) {
    j.push_back({{"name", name},
                 {"data_dir", l.info.data_dir},
                 {"running", l.info.running},
                 {"endpoint", l.info.endpoint},
                 {"metrics_endpoint", l.info.metrics_endpoint},
                 {"capacity_vectors", l.info.capacity_vectors},
                 {"capacity_bytes", l.info.capacity_bytes},
                 {"encryption_key", l.info.encryption_key},
                 {"encryption_key_id", l.info.encryption_key_id},
                 {"key_revoked", l.info.key_revoked}});
  }
  return WritePrivateFile(options_.state_dir + "/" + kClustersFile, j.dump());
}

// ---- data planes
// ---------------------------------------------------------------

absl::Status Agent::Impl::HoldPortsLocked(Local* local, bool fresh) {
  const std::string& host = options_.data_plane_host;
  const auto hold = [&](cloud::PortReservation& held,
                        int wanted) -> absl::StatusOr<int> {
    if (held.held() && !fresh) return held.port();
    held.Release();
    if (wanted != 0 && !fresh) {
      auto r = cloud::PortReservation::Reserve(host, wanted);
      if (r.ok()) {
        held = *std::move(r);
        return held.port();
      }
    }
    auto r = cloud::PortReservation::Reserve(host, 0);
    if (!r.ok()) return r.status();
    held = *std::move(r);
    return held.port();
  };
  auto data = hold(local->data_port, cloud::PortOf(local->info.endpoint));
  if (!data.ok()) return data.status();
  auto metrics =
      hold(local->metrics_port, cloud::PortOf(local->info.metrics_endpoint));
  if (!metrics.ok()) return metrics.status();
  const std::string shown =
      host == "0.0.0.0" || host == "::" || host.empty() ? "127.0.0.1" : host;
  local->info.endpoint =
      absl::StrCat(options_.data_plane_tls_cert_file.empty() ? "http" : "https",
                   "://", shown, ":", *data);
  local->info.metrics_endpoint =
      absl::StrCat("http://", shown, ":", *metrics, "/metrics");
  return absl::OkStatus();
}

absl::Status Agent::Impl::StartDataPlaneLocked(Local* local) {
  if (local->server != nullptr) {
    local->connection->set_capacity(local->info.capacity_vectors);
    local->connection->set_capacity_bytes(local->info.capacity_bytes);
    return absl::OkStatus();
  }
  const std::string& dir = local->info.data_dir;
  auth::AuthStore::Options auth_options;
  auth_options.pbkdf2_iterations = options_.pbkdf2_iterations;
  auth_options.state_file = dir + "/cove-users.json";
  if (!std::filesystem::exists(auth_options.state_file)) {
    return absl::NotFoundError(absl::StrCat(
        "cluster '", local->info.name, "': data directory '", dir,
        "' has no data plane users (missing or not created by this agent)"));
  }
  EmbeddedOptions engine_options;
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
    auto path = KeyFile(local->info.encryption_key);
    if (!path.ok()) return path.status();
    engine_options.encryption_key_file = *path;
  }
  auto users = auth::AuthStore::Open(auth_options);
  if (!users.ok()) return users.status();
  auto embedded = internal::MakeEmbeddedConnection(dir, engine_options);
  if (!embedded.ok()) return embedded.status();
  auto connection = std::make_shared<cloud::CapacityConnection>(
      *std::move(embedded), local->info.capacity_vectors,
      local->info.capacity_bytes,
      [dir] { return server::DirectoryBytes(dir); });
  server::ServerOptions so;
  so.tls_cert_file = options_.data_plane_tls_cert_file;
  so.tls_key_file = options_.data_plane_tls_key_file;
  so.auth_enabled = true;
  so.connection = connection;
  so.auth_store = *users;
  so.pbkdf2_iterations = options_.pbkdf2_iterations;
  so.on_access_denied =
      [this, name = local->info.name](const server::AccessDenial& d) {
        QueueDenial(name, d);
      };
  // The cluster's own ports (its for its lifetime), held until the
  // listeners take them over; the data plane's metrics endpoint beside it
  // (as cove-cloud's data planes have).
  if (absl::Status held = HoldPortsLocked(local, false); !held.ok())
    return held;
  const std::string& host = options_.data_plane_host;
  const auto listen_on_own_ports = [&] {
    local->data_port.Release();
    local->metrics_port.Release();
    so.listen_address =
        absl::StrCat(host, ":", cloud::PortOf(local->info.endpoint));
    so.metrics_listen_address =
        absl::StrCat(host, ":", cloud::PortOf(local->info.metrics_endpoint));
  };
  listen_on_own_ports();
  auto server = server::StartServer(so);
  if (!server.ok()) {
    // Another process took a port in the instant between its release and
    // the listen: new ports (the only case where the endpoints change).
    if (absl::Status held = HoldPortsLocked(local, true); !held.ok())
      return held;
    listen_on_own_ports();
    server = server::StartServer(so);
  }
  if (!server.ok()) {
    (void)HoldPortsLocked(local, false);
    return server.status();
  }
  if (!server.ok()) return server.status();
  local->info.endpoint =
      absl::StrCat(options_.data_plane_tls_cert_file.empty() ? "http" : "https",
                   "://", (*server)->address());
  local->info.metrics_endpoint = (*server)->metrics_url();
  local->info.running = true;
  local->info.key_revoked = false;
  local->connection = std::move(connection);
  local->server = *std::move(server);
  local->users = *users;
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
                  : v1::AgentAccessDenial::AUTHENTICATION);
  a->set_user(d.user);
  a->set_peer(d.peer);
  a->set_method(d.method);
  a->set_privilege(d.privilege);
  a->set_message(d.message);
  a->set_time_unix_ms(absl::ToUnixMillis(d.time));
}

std::optional<v1::AgentMessage> Agent::Impl::TakeDenials() {
  absl::MutexLock lock(&denials_mu_);
  if (denials_.denials_size() == 0 && denials_.dropped() == 0) {
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
  if (!cloud::ValidKeyName(name)) {
    if (absl::Status s = cloud::ValidateId("encryption_key name", name);
        !s.ok()) {
      return s;
    }
  }
  return absl::StrCat(options_.bucket, "/.kms/", name, ".key");
}

absl::StatusOr<internal::Cipher> Agent::Impl::LoadKey(
    const std::string& key_ref, const std::string& expected_id) const {
  auto path = KeyFile(key_ref);
  if (!path.ok()) return path.status();
  std::error_code ec;
  if (!std::filesystem::exists(*path, ec)) {
    return absl::FailedPreconditionError(absl::StrCat(
        "customer key '", key_ref,
        "' is not available in the agent's key store (no file '", *path, "')"));
  }
  auto cipher = internal::Cipher::FromKeyFile(*path);
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
    if (l.server == nullptr || l.info.encryption_key.empty()) continue;
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
  if (local->server != nullptr) {
    local->server->Shutdown(std::chrono::milliseconds(0));
    local->server->Wait();
    local->server.reset();
  }
  local->connection.reset();
  local->users.reset();
  local->info.running = false;
  // Its ports are held again: the endpoints stay the cluster's.
  if (!local->info.endpoint.empty()) (void)HoldPortsLocked(local, false);
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
  if (l.server != nullptr) {
    s.set_state(v1::AgentClusterStatus::RUNNING);
    s.set_endpoint(l.info.endpoint);
    s.set_metrics_endpoint(l.info.metrics_endpoint);
    auto used = l.connection->CountEntities();
    if (used.ok()) s.set_used_vectors(*used);
    s.set_used_bytes(l.connection->StorageBytes());
    // Usage for GetClusterMetrics and the autoscaler: read here, since the
    // control plane never contacts the data plane.
    v1::AgentUsage* usage = s.mutable_usage();
    usage->set_sample_unix_ms(absl::ToUnixMillis(absl::Now()));
    usage->set_storage_bytes(server::DirectoryBytes(l.info.data_dir));
    const server::ServerMetrics::Snapshot snap = l.server->metrics()->Read();
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
    return StartLocked(name, create.capacity_vectors(),
                       create.capacity_bytes());
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
  std::string key_id;
  if (!create.encryption_key().empty()) {
    auto cipher = LoadKey(create.encryption_key(), "");
    if (!cipher.ok()) return cipher.status();
    key_id = cipher->KeyId();
  }
  if (absl::Status made = cloud::MakePrivateDirs("data directory", dir);
      !made.ok()) {
    return made;
  }
  std::error_code ec;
  {
    auth::AuthStore::Options auth_options;
    auth_options.pbkdf2_iterations = options_.pbkdf2_iterations;
    auth_options.state_file = dir + "/cove-users.json";
    std::filesystem::remove(auth_options.state_file, ec);
    auto users = auth::AuthStore::Open(auth_options);
    if (!users.ok()) return users.status();
    const std::string user =
        create.admin_user().empty() ? auth::kRootUser : create.admin_user();
    if (absl::Status s = (*users)->CreateUser(user, create.admin_password());
        !s.ok()) {
      return s;
    }
  }
  Local& local = clusters_[name];
  local.info.name = name;
  local.info.data_dir = dir;
  local.info.capacity_vectors = create.capacity_vectors();
  local.info.capacity_bytes = create.capacity_bytes();
  local.info.encryption_key = create.encryption_key();
  local.info.encryption_key_id = key_id;
  absl::Status s = StartDataPlaneLocked(&local);
  if (!s.ok()) local.message = std::string(s.message());
  (void)SaveClustersLocked();
  return s;
}

absl::Status Agent::Impl::StartLocked(const std::string& name, int64_t capacity,
                                      int64_t capacity_bytes) {
  auto it = clusters_.find(name);
  if (it == clusters_.end()) {
    return absl::NotFoundError(
        absl::StrCat("cluster '", name, "' is not held by this agent (bucket '",
                     options_.bucket, "')"));
  }
  if (capacity > 0) it->second.info.capacity_vectors = capacity;
  if (capacity_bytes > 0) it->second.info.capacity_bytes = capacity_bytes;
  absl::Status s = StartDataPlaneLocked(&it->second);
  if (!s.ok()) it->second.message = std::string(s.message());
  (void)SaveClustersLocked();
  return s;
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
  std::shared_ptr<auth::AuthStore> users = it->second.users;
  if (users == nullptr) {
    auth::AuthStore::Options auth_options;
    auth_options.pbkdf2_iterations = options_.pbkdf2_iterations;
    auth_options.state_file = it->second.info.data_dir + "/cove-users.json";
    auto opened = auth::AuthStore::Open(auth_options);
    if (!opened.ok()) return opened.status();
    users = *std::move(opened);
  }
  return users->UpdatePassword(
      cmd.admin_user().empty() ? auth::kRootUser : cmd.admin_user(), "",
      cmd.admin_password(), /*check_old=*/false);
}

absl::Status Agent::Impl::Backup(const std::string& name,
                                 const v1::AgentBackupCluster& cmd,
                                 v1::AgentBackupResult* out) {
  auto path = BucketPath("backup.directory", cmd.directory());
  if (!path.ok()) return path.status();
  std::shared_ptr<cloud::CapacityConnection> conn;
  std::string key_ref, key_id;
  {
    absl::MutexLock lock(&mu_);
    auto it = clusters_.find(name);
    if (it == clusters_.end()) {
      return absl::NotFoundError(absl::StrCat(
          "cluster '", name, "' is not held by this agent (bucket '",
          options_.bucket, "')"));
    }
    conn = it->second.connection;
    key_ref = it->second.info.encryption_key;
    key_id = it->second.info.encryption_key_id;
  }
  if (conn == nullptr) {
    return absl::FailedPreconditionError(
        absl::StrCat("cluster '", name,
                     "': its data plane is not running; the backup "
                     "needs a running cluster"));
  }
  auto refs = cloud::ParseCollectionRefs(
      "backup.collections", std::vector<std::string>(cmd.collections().begin(),
                                                     cmd.collections().end()));
  if (!refs.ok()) return refs.status();
  // Backups are always encrypted: with the cluster's customer-managed key,
  // or with its backup data key, created in the key store on first use.
  absl::StatusOr<internal::Cipher> cipher;
  if (!key_ref.empty()) {
    cipher = LoadKey(key_ref, key_id);
  } else {
    key_ref = cloud::BackupDataKeyRef(name);
    auto key_file = KeyFile(key_ref);
    if (!key_file.ok()) return key_file.status();
    cipher = cloud::LoadOrCreateDataKey(*key_file);
  }
  if (!cipher.ok()) return cipher.status();
  const std::string dir = *path;
  // The directory belongs to this backup alone: a command sent again (the
  // stream was lost before the result arrived) replaces an earlier write of
  // the same backup; another backup's files there are never touched.
  if (absl::Status d = cloud::DeleteBackupFiles(dir, cmd.backup()); !d.ok())
    return d;
  auto summary =
      cloud::WriteBackup(*conn, *refs, dir, *cipher, key_ref, cmd.backup());
  if (!summary.ok()) return summary.status();
  if (absl::Status v = cloud::VerifyBackup(dir, cmd.backup()); !v.ok()) {
    (void)cloud::DeleteBackupFiles(dir, cmd.backup());
    return v;
  }
  std::error_code ec;
  int32_t files = 0;
  for (const auto& e : std::filesystem::directory_iterator(dir, ec)) {
    if (e.is_regular_file() && e.path().filename() != "manifest.json") ++files;
  }
  for (const std::string& c : summary->collections) out->add_collections(c);
  out->set_row_count(summary->rows);
  out->set_size_bytes(summary->bytes);
  out->set_files(files);
  return absl::OkStatus();
}

absl::Status Agent::Impl::Restore(const std::string& name,
                                  const v1::AgentRestoreBackup& cmd,
                                  v1::AgentBackupResult* out) {
  auto dir = BucketPath("restore.directory", cmd.directory());
  if (!dir.ok()) return dir.status();
  auto refs = cloud::ParseCollectionRefs(
      "restore.collections", std::vector<std::string>(cmd.collections().begin(),
                                                      cmd.collections().end()));
  if (!refs.ok()) return refs.status();
  std::shared_ptr<cloud::CapacityConnection> conn;
  {
    absl::MutexLock lock(&mu_);
    auto it = clusters_.find(name);
    if (it == clusters_.end()) {
      return absl::NotFoundError(absl::StrCat(
          "cluster '", name, "' is not held by this agent (bucket '",
          options_.bucket, "')"));
    }
    conn = it->second.connection;
  }
  if (conn == nullptr) {
    return absl::FailedPreconditionError(
        absl::StrCat("cluster '", name,
                     "': its data plane is not running; the restore needs a "
                     "running cluster"));
  }
  std::error_code ec;
  if (!std::filesystem::exists(*dir + "/manifest.json", ec)) {
    return absl::NotFoundError(absl::StrCat(
        "backup '", cmd.backup(), "': no backup at '", *dir,
        "' in the agent's bucket (deleted, or another agent's bucket)"));
  }
  std::optional<internal::Cipher> cipher;
  if (!cmd.encryption_key().empty()) {
    auto c = LoadKey(cmd.encryption_key(), "");
    if (!c.ok()) return c.status();
    cipher = *c;
  }
  auto summary =
      cloud::RestoreBackupInto(*conn, *dir, cipher ? &*cipher : nullptr, *refs,
                               cmd.overwrite(), cmd.backup());
  if (!summary.ok()) return summary.status();
  for (const std::string& c : summary->collections) out->add_collections(c);
  out->set_row_count(summary->rows);
  out->set_size_bytes(summary->bytes);
  return absl::OkStatus();
}

absl::Status Agent::Impl::DeleteBackup(const v1::AgentDeleteBackup& cmd) {
  auto dir = BucketPath("delete_backup.directory", cmd.directory());
  if (!dir.ok()) return dir.status();
  // Only the files listed in this backup's own manifest.
  return cloud::DeleteBackupFiles(*dir, cmd.backup());
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
      s = StartLocked(name, cmd.start().capacity_vectors(),
                      cmd.start().capacity_bytes());
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
      if (it->second.connection != nullptr) {
        it->second.connection->set_capacity(cmd.scale().capacity_vectors());
        it->second.connection->set_capacity_bytes(
            it->second.info.capacity_bytes);
      }
      s = SaveClustersLocked();
      break;
    }
    case v1::AgentCommand::kPurge:
      s = PurgeLocked(name);
      break;
    case v1::AgentCommand::kResetPassword:
      s = ResetPasswordLocked(name, cmd.reset_password());
      break;
    case v1::AgentCommand::kBackup:
    case v1::AgentCommand::kRestore:
    case v1::AgentCommand::kDeleteBackup:
      break;  // done above
    default:
      s = absl::InvalidArgumentError(absl::StrCat(
          "command '", cmd.command_id(),
          "': expected an action this agent knows (create, start, stop, "
          "scale, purge, backup, restore, delete_backup, reset_password); "
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

// ---- the connection
// ------------------------------------------------------------

std::shared_ptr<grpc::ChannelCredentials> Agent::Impl::Credentials(
    std::string* target) {
  std::string t = options_.control_plane;
  bool tls = !options_.tls_ca_file.empty();
  if (absl::StartsWith(t, "https://")) {
    tls = true;
    t = t.substr(8);
  } else if (absl::StartsWith(t, "http://")) {
    t = t.substr(7);
  }
  *target = t;
  if (!tls) return grpc::InsecureChannelCredentials();
  grpc::SslCredentialsOptions ssl;
  if (!options_.tls_ca_file.empty()) {
    auto pem = internal::ReadFile("tls_ca_file", options_.tls_ca_file);
    if (pem.ok()) ssl.pem_root_certs = *pem;
  }
  return grpc::SslCredentials(ssl);
}

absl::Status Agent::Impl::RunSession() {
  std::string target;
  auto creds = Credentials(&target);
  auto channel = grpc::CreateChannel(target, creds);
  auto stub = v1::AgentGateway::NewStub(channel);
  grpc::ClientContext ctx;
  v1::AgentMessage hello;
  {
    absl::MutexLock lock(&mu_);
    if (stopping_ || paused_) return absl::CancelledError("agent: stopping");
    live_ctx_ = &ctx;
    auto* h = hello.mutable_hello();
    h->set_environment(environment_.empty() ? options_.environment
                                            : environment_);
    if (!credential_.empty()) {
      h->set_credential(credential_);
    } else {
      h->set_token(options_.token);
    }
    h->set_agent_version(COVE_VERSION_STRING);
    h->set_host(options_.host_name);
    for (auto& s : StatusesLocked()) *h->add_clusters() = std::move(s);
  }
  auto clear_ctx = [&] {
    absl::MutexLock lock(&mu_);
    live_ctx_ = nullptr;
    connected_ = false;
  };
  std::unique_ptr<Stream> stream = stub->Connect(&ctx);
  v1::ControlMessage m;
  const bool wrote = stream->Write(hello);
  const bool read = wrote && stream->Read(&m);
  if (!read || !m.has_welcome()) {
    // A refused hello ends the call with the control plane's status; read
    // it before cancelling anything.
    if (read || !wrote) ctx.TryCancel();
    grpc::Status st = stream->Finish();
    clear_ctx();
    if (st.ok()) {
      return absl::UnavailableError(
          "agent stream: ended before the control plane's welcome");
    }
    if (IsRefusal(st.error_code())) {
      absl::MutexLock lock(&mu_);
      last_error_ = FromGrpc(st);
      refused_ = true;
    }
    return FromGrpc(st);
  }
  const v1::AgentWelcome& welcome = m.welcome();
  {
    absl::MutexLock lock(&mu_);
    environment_ = welcome.environment();
    if (!welcome.credential().empty()) {
      credential_ = welcome.credential();
      nlohmann::json j = {{"environment", environment_},
                          {"credential", credential_},
                          {"control_plane", options_.control_plane}};
      absl::Status s = WritePrivateFile(
          options_.state_dir + "/" + kCredentialFile, j.dump());
      if (!s.ok()) last_error_ = s;
    }
    ++registrations_;
    connected_ = true;
  }
  absl::Mutex write_mu;
  bool session_done = false;  // guarded by mu_
  const absl::Duration interval = absl::Milliseconds(
      std::max<int64_t>(welcome.heartbeat_interval_ms(), 10));
  std::thread heartbeat([&] {
    while (true) {
      v1::AgentMessage beat;
      {
        absl::MutexLock lock(&mu_);
        mu_.AwaitWithTimeout(absl::Condition(&session_done), interval);
        if (session_done) return;
        if (hung_) continue;  // test hook: a hung agent sends nothing
        CheckKeysLocked();
        for (auto& s : StatusesLocked())
          *beat.mutable_heartbeat()->add_clusters() = std::move(s);
      }
      absl::MutexLock lock(&write_mu);
      if (!stream->Write(beat)) return;
      // Refused data-plane calls, for the control plane's audit log; lost
      // with the stream if it breaks now (the count is bounded anyway).
      if (auto denials = TakeDenials(); denials.has_value()) {
        if (!stream->Write(*denials)) return;
      }
    }
  });
  while (stream->Read(&m)) {
    if (!m.has_command()) continue;
    {
      // A hung agent (test hook) carries out nothing; the command waits.
      absl::MutexLock lock(&mu_);
      mu_.Await(absl::Condition(
          +[](Impl* i) ABSL_EXCLUSIVE_LOCKS_REQUIRED(i->mu_) {
            return !i->hung_ || i->stopping_;
          },
          this));
      if (stopping_) break;
    }
    v1::AgentMessage out;
    *out.mutable_result() = Execute(m.command(), stream.get(), &write_mu);
    absl::MutexLock lock(&write_mu);
    if (!stream->Write(out)) break;
  }
  {
    absl::MutexLock lock(&mu_);
    session_done = true;
  }
  heartbeat.join();
  ctx.TryCancel();
  grpc::Status st = stream->Finish();
  clear_ctx();
  if (!st.ok()) return FromGrpc(st);
  return absl::UnavailableError("agent stream: closed by the control plane");
}

void Agent::Impl::Loop() {
  absl::Duration backoff = absl::FromChrono(options_.min_backoff);
  const absl::Duration max_backoff = absl::FromChrono(options_.max_backoff);
  while (true) {
    int64_t before = 0;
    {
      absl::MutexLock lock(&mu_);
      mu_.Await(absl::Condition(
          +[](Impl* i) ABSL_EXCLUSIVE_LOCKS_REQUIRED(i->mu_) {
            return i->stopping_ || !i->paused_;
          },
          this));
      if (stopping_) return;
      before = registrations_;
    }
    absl::Status s = RunSession();
    {
      absl::MutexLock lock(&mu_);
      last_error_ = s;
      if (stopping_ || refused_) return;
      if (registrations_ > before)
        backoff = absl::FromChrono(options_.min_backoff);
      mu_.AwaitWithTimeout(absl::Condition(&stopping_), backoff);
      if (stopping_) return;
    }
    backoff = std::min(backoff * 2, max_backoff);
  }
}

void Agent::Impl::Stop() {
  {
    absl::MutexLock lock(&mu_);
    stopping_ = true;
    if (live_ctx_ != nullptr) live_ctx_->TryCancel();
  }
  if (loop_.joinable()) loop_.join();
  absl::MutexLock lock(&mu_);
  for (auto& [name, l] : clusters_) StopDataPlaneLocked(&l);
}

// ---- Agent
// ---------------------------------------------------------------------

Agent::Agent(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

Agent::~Agent() { Stop(); }

absl::StatusOr<std::unique_ptr<Agent>> Agent::Start(
    const AgentOptions& options) {
  if (absl::Status s = options.Validate(); !s.ok()) return s;
  auto impl = std::make_unique<Impl>(options);
  if (absl::Status s = impl->Init(); !s.ok()) {
    impl->Stop();
    return s;
  }
  Impl* raw = impl.get();
  raw->loop_ = std::thread([raw] { raw->Loop(); });
  return std::unique_ptr<Agent>(new Agent(std::move(impl)));
}

void Agent::Stop() { impl_->Stop(); }

bool Agent::connected() const {
  absl::MutexLock lock(&impl_->mu_);
  return impl_->connected_;
}

int64_t Agent::registrations() const {
  absl::MutexLock lock(&impl_->mu_);
  return impl_->registrations_;
}

std::string Agent::environment() const {
  absl::MutexLock lock(&impl_->mu_);
  return impl_->environment_;
}

absl::Status Agent::last_error() const {
  absl::MutexLock lock(&impl_->mu_);
  return impl_->connected_ ? absl::OkStatus() : impl_->last_error_;
}

bool Agent::refused() const {
  absl::MutexLock lock(&impl_->mu_);
  return impl_->refused_;
}

std::vector<AgentCluster> Agent::clusters() const {
  absl::MutexLock lock(&impl_->mu_);
  std::vector<AgentCluster> out;
  for (const auto& [name, l] : impl_->clusters_) out.push_back(l.info);
  return out;
}

bool Agent::WaitConnected(absl::Duration timeout) const {
  absl::MutexLock lock(&impl_->mu_);
  impl_->mu_.AwaitWithTimeout(
      absl::Condition(
          +[](Impl* i) ABSL_EXCLUSIVE_LOCKS_REQUIRED(i->mu_) {
            return i->connected_ || i->refused_;
          },
          impl_.get()),
      timeout);
  return impl_->connected_;
}

bool Agent::WaitRegistrations(int64_t n, absl::Duration timeout) const {
  struct Args {
    Impl* impl;
    int64_t n;
  } args{impl_.get(), n};
  absl::MutexLock lock(&impl_->mu_);
  impl_->mu_.AwaitWithTimeout(absl::Condition(
                                  +[](Args* a) ABSL_NO_THREAD_SAFETY_ANALYSIS {
                                    return a->impl->registrations_ >= a->n &&
                                           a->impl->connected_;
                                  },
                                  &args),
                              timeout);
  return impl_->registrations_ >= n && impl_->connected_;
}

void Agent::Disconnect() {
  absl::MutexLock lock(&impl_->mu_);
  impl_->paused_ = true;
  if (impl_->live_ctx_ != nullptr) impl_->live_ctx_->TryCancel();
}

void Agent::Reconnect() {
  absl::MutexLock lock(&impl_->mu_);
  impl_->paused_ = false;
  impl_->hung_ = false;
}

void Agent::Hang() {
  absl::MutexLock lock(&impl_->mu_);
  impl_->hung_ = true;
  impl_->paused_ = true;
}

}  // namespace cove::agent
