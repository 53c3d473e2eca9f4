// cove-cloud as a library: StartCloud() runs the BYOC cloud emulator, a
// control-plane gRPC server (cove.control.v1 ControlPlane and Emulator
// services) whose clusters are real data-plane servers on loopback ports.
// State lives in SQLite under CloudOptions::state_dir and survives restarts.
#ifndef COVE_SRC_CLOUD_CLOUD_SERVER_H_
#define COVE_SRC_CLOUD_CLOUD_SERVER_H_

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "auth/password.h"
#include "server/metrics_http.h"

namespace grpc {
class Server;
}  // namespace grpc

namespace cove::cloud {

class CloudCore;
class EmulatorService;

/// How to start the emulator.
struct CloudOptions {
  /// Required; created if missing. Holds cloud.db (SQLite) and TLS material.
  std::string state_dir;
  /// host:port; port 0 picks a free port (see CloudServer::port()).
  std::string listen_address = "127.0.0.1:0";
  /// TLS with a given PEM certificate chain and key (both or neither).
  std::string tls_cert_file, tls_key_file;
  /// TLS with a self-signed certificate generated once into state_dir
  /// (tls/cert.pem, tls/key.pem); CloudServer::ca_file() names the PEM to
  /// trust.
  bool generate_tls = false;
  /// The admin secret to install on the first start of a state_dir instead
  /// of a random one (tests); at least 8 characters.
  std::string admin_key;
  /// How long each cluster transition takes, on the emulator clock.
  std::chrono::milliseconds transition_delay{200};
  /// Restore window of soft-deleted clusters.
  std::chrono::seconds retention{7 * 24 * 3600};
  /// Vectors admitted per CU of cu_type "performance"; "capacity" CUs admit
  /// four times as many.
  int64_t vectors_per_cu = 10000;
  /// Bytes of storage (the data directory on disk: scalars, JSON, dynamic
  /// fields, vectors) admitted per CU of cu_type "performance"; "capacity"
  /// CUs admit four times as many.
  int64_t bytes_per_cu = int64_t{64} << 20;
  /// Start with the manual clock (tests move it with Emulator.AdvanceClock).
  bool manual_clock = false;
  /// PBKDF2 iterations of new secret hashes (API keys, tokens, data-plane
  /// passwords); tests use fewer.
  int pbkdf2_iterations = auth::kDefaultPbkdf2Iterations;
  /// host:port of the control plane's Prometheus endpoint (HTTP GET
  /// /metrics; port 0: a free port); empty: none. Each cluster's data plane
  /// has its own (Cluster.metrics_endpoint).
  std::string metrics_listen_address;
  /// Agent mode: how often agents send heartbeats (real time; told to the
  /// agent when it connects).
  std::chrono::milliseconds agent_heartbeat_interval{5000};
  /// Agent mode: an environment whose agent has had no stream for this long
  /// (emulator clock) becomes DISCONNECTED. Also the heartbeat deadline: an
  /// agent whose stream is open but that sent no heartbeat for this long
  /// (and for at least max(3 intervals, 2 s) of real time) is hung: its
  /// stream is ended and the environment is DISCONNECTED at once.
  std::chrono::milliseconds agent_heartbeat_timeout{30000};
  /// Agent mode: how long an operation waits for a missing agent (emulator
  /// clock) before it fails with UNAVAILABLE.
  std::chrono::milliseconds agent_operation_timeout{300000};

  /// InvalidArgument naming the option.
  absl::Status Validate() const;
};

/// A running emulator. Destroying it shuts everything down (the clusters'
/// data planes too; their state is kept).
///
/// Thread safety: Shutdown() and Wait() may be called from any thread.
class CloudServer {
 public:
  ~CloudServer();
  CloudServer(const CloudServer&) = delete;
  CloudServer& operator=(const CloudServer&) = delete;

  int port() const { return port_; }
  /// "127.0.0.1:PORT".
  std::string address() const { return address_; }
  /// "http://127.0.0.1:PORT", or https with TLS.
  std::string endpoint() const;
  /// The PEM file to trust when TLS is on, else "".
  std::string ca_file() const { return ca_file_; }
  /// The admin API key: non-empty only on the first start of a state_dir.
  const std::string& initial_admin_key() const { return initial_admin_key_; }
  /// "http://HOST:PORT/metrics", or "" without a metrics endpoint.
  std::string metrics_url() const;

  /// Stops serving, wakes blocked WaitOperation calls, stops the data
  /// planes. Idempotent.
  void Shutdown();
  /// Blocks until the server has shut down.
  void Wait();

 private:
  friend absl::StatusOr<std::unique_ptr<CloudServer>> StartCloud(
      const CloudOptions& options);
  CloudServer();

  std::unique_ptr<CloudCore> core_;
  std::unique_ptr<EmulatorService> emulator_;
  std::unique_ptr<grpc::Server> grpc_server_;
  std::unique_ptr<server::MetricsEndpoint> metrics_;
  int port_ = 0;
  std::string address_;
  bool tls_ = false;
  std::string ca_file_;
  std::string initial_admin_key_;
  bool shut_down_ = false;
};

/// Starts the emulator: opens (or creates) the state, brings RUNNING
/// clusters back, and serves. InvalidArgument for bad options; Unavailable
/// when the address cannot be bound; DataLoss for a corrupt state database.
absl::StatusOr<std::unique_ptr<CloudServer>> StartCloud(
    const CloudOptions& options);

}  // namespace cove::cloud

#endif  // COVE_SRC_CLOUD_CLOUD_SERVER_H_
