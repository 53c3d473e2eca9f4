// cove-cloud as a library: StartCloud() runs the BYOC cloud emulator, a
// control-plane gRPC server (cove.control.v1 ControlPlane and Emulator
// services) whose clusters are real data-plane servers on loopback ports,
// and optionally its HTTP(S) port (the REST/JSON API of rest_gateway.h, the
// OpenAPI document and the web console; http_server.h).
// State lives in SQLite under CloudOptions::state_dir and survives restarts.
#ifndef COVE_SRC_CLOUD_CLOUD_SERVER_H_
#define COVE_SRC_CLOUD_CLOUD_SERVER_H_

#include <memory>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "cloud/cloud_options.h"
#include "server/metrics_http.h"

namespace grpc {
class Server;
}  // namespace grpc

namespace cove::cloud {

class CloudCore;
class ControlPlaneService;
class EmulatorService;
class AgentGatewayService;
class HttpServer;

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
  /// The HTTP(S) port (REST/JSON API, OpenAPI document, console;
  /// CloudOptions::http_listen_address), or 0 without one.
  int http_port() const;
  /// "http://HOST:PORT" or "https://HOST:PORT", or "" without an HTTP port.
  std::string http_url() const;

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
  std::unique_ptr<ControlPlaneService> control_;
  std::unique_ptr<EmulatorService> emulator_;
  std::unique_ptr<AgentGatewayService> agent_gateway_;
  std::unique_ptr<grpc::Server> grpc_server_;
  std::unique_ptr<server::MetricsEndpoint> metrics_;
  std::unique_ptr<HttpServer> http_;
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
