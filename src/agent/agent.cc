// Agent: its options, its state files (credential, clusters), start and
// stop, and the public methods. The clusters it hosts are in
// agent_clusters.cc, the connection to the control plane in
// agent_session.cc.
#include "agent/agent.h"

#include <arpa/inet.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>

#include "absl/strings/str_cat.h"
#include "agent/agent_impl.h"
#include "common/files.h"
#include "common/status_macros.h"
#include "hosting/private_files.h"
#include "nlohmann/json.hpp"

namespace cove::agent {

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
  if (!private_address.empty()) {
    unsigned char buf[16];
    if (inet_pton(AF_INET, private_address.c_str(), buf) != 1 &&
        inet_pton(AF_INET6, private_address.c_str(), buf) != 1) {
      return absl::InvalidArgumentError(absl::StrCat(
          "private_address: expected an IPv4 or IPv6 address (got '",
          private_address, "')"));
    }
    if (private_address == data_plane_host || private_address == "0.0.0.0" ||
        private_address == "::") {
      return absl::InvalidArgumentError(absl::StrCat(
          "private_address: expected an address of the customer's own "
          "network, not a wildcard or data_plane_host (got '",
          private_address, "')"));
    }
  }
  return absl::OkStatus();
}

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
    COVE_ASSIGN_OR_RETURN(std::string data,
                          internal::ReadFile("credential file", cred_file));
    nlohmann::json j = nlohmann::json::parse(data, nullptr, false);
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
    COVE_ASSIGN_OR_RETURN(std::string data,
                          internal::ReadFile("clusters file", clusters_file));
    nlohmann::json j = nlohmann::json::parse(data, nullptr, false);
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
      local.info.ip_access_list =
          e.value("ip_access_list", std::vector<std::string>{});
      local.info.release = e.value("release", "");
      local.info.replicas = std::max(1, e.value("replicas", 1));
      local.info.private_endpoint_enabled =
          e.value("private_endpoint_enabled", false);
      local.info.public_endpoint_disabled =
          e.value("public_endpoint_disabled", false);
      local.info.private_endpoint = e.value("private_endpoint", "");
      local.info.idle = e.value("idle", false);
      local.info.idle_epoch = e.value("idle_epoch", int64_t{0});
      const bool running = e.value("running", false);
      if (local.info.name.empty() || local.info.data_dir.empty()) continue;
      auto& slot = clusters_[local.info.name];
      slot = std::move(local);
      // Its ports again, so that its endpoints stay (new ones only when
      // another process took them while the agent was down).
      if (!slot.info.endpoint.empty()) (void)HoldPortsLocked(&slot, false);
      // An IDLE cluster's idle endpoint answers again (or, if it cannot,
      // its data plane serves: never an endpoint that nothing answers).
      if (slot.info.idle && !slot.info.endpoint.empty() &&
          StartIdleListenerLocked(&slot).ok()) {
        continue;
      }
      if (running || slot.info.idle) {
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
                 {"key_revoked", l.info.key_revoked},
                 {"ip_access_list", l.info.ip_access_list},
                 {"release", l.info.release},
                 {"replicas", l.info.replicas},
                 {"private_endpoint_enabled", l.info.private_endpoint_enabled},
                 {"public_endpoint_disabled", l.info.public_endpoint_disabled},
                 {"private_endpoint", l.info.private_endpoint},
                 {"idle", l.info.idle},
                 {"idle_epoch", l.info.idle_epoch}});
  }
  return hosting::WritePrivateFile(
      "state file", options_.state_dir + "/" + kClustersFile, j.dump());
}

void Agent::Impl::Stop() {
  {
    absl::MutexLock lock(&mu_);
    stopping_ = true;
    if (live_ctx_ != nullptr) live_ctx_->TryCancel();
  }
  if (loop_.joinable()) loop_.join();
  {
    absl::MutexLock lock(&wake_mu_);
    wake_stopping_ = true;
  }
  if (waker_.joinable()) waker_.join();
  absl::MutexLock lock(&mu_);
  for (auto& [name, l] : clusters_) StopDataPlaneLocked(&l);
}

// ---- Agent
// ---------------------------------------------------------------------

Agent::Agent(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

Agent::~Agent() { Stop(); }

absl::StatusOr<std::unique_ptr<Agent>> Agent::Start(
    const AgentOptions& options) {
  COVE_RETURN_IF_ERROR(options.Validate());
  auto impl = std::make_unique<Impl>(options);
  if (absl::Status s = impl->Init(); !s.ok()) {
    impl->Stop();
    return s;
  }
  Impl* raw = impl.get();
  raw->loop_ = std::thread([raw] { raw->Loop(); });
  raw->waker_ = std::thread([raw] { raw->WakeLoop(); });
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
