// cove-server as a library: StartServer() serves the Milvus v2 gRPC protocol
// over the embedded backend (or a given Connection), with optional TLS and
// authentication. The cloud emulator reuses it for its data planes.
#ifndef COVE_SRC_SERVER_SERVER_H_
#define COVE_SRC_SERVER_SERVER_H_

#include <atomic>
#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "auth/auth_store.h"
#include "cove/connection.h"
#include "server/ip_access.h"
#include "server/metrics.h"
#include "server/metrics_http.h"
#include "server/support_access.h"

namespace grpc {
class Server;
}  // namespace grpc

namespace cove::server {

class MilvusServiceImpl;

/// How to start a server.
/// A call the data plane refused for its credentials or its privileges,
/// as told to ServerOptions::on_access_denied (the hosting side audits it).
struct AccessDenial {
  enum class Kind {
    kAuthentication,  // no, malformed or wrong credentials
    kPermission,      // authenticated, but a privilege is missing
    kNetwork,         // the client's address is not in the IP access list
  };
  Kind kind = Kind::kAuthentication;
  /// The user the call named (empty when it named none); never a password
  /// or a token.
  std::string user;
  /// The client's address as gRPC reports it ("ipv4:127.0.0.1:53412").
  std::string peer;
  /// The Milvus RPC ("Search").
  std::string method;
  /// kPermission: the privilege the RPC needs ("Search", "Insert").
  /// kNetwork: empty.
  std::string privilege;
  /// The refusal's message, as the client got it.
  std::string message;
  absl::Time time;
};

/// The refusal of an insert or upsert request of `bytes` bytes, over the
/// `limit` a data plane takes in one request (RESOURCE_EXHAUSTED).
absl::Status WriteTooLargeError(int64_t bytes, int64_t limit);

struct ServerOptions {
  /// host:port to listen on; port 0 picks a free port (see Server::port()).
  std::string listen_address = "127.0.0.1:19530";
  /// Further host:port the same service listens on too (same credentials,
  /// IP access list and engine; explicit ports): a hosted cluster's private
  /// endpoint beside its public one (hosting/data_plane.h, issue 19).
  std::vector<std::string> more_listen_addresses;
  /// TLS: PEM certificate chain and private key files (both or neither).
  std::string tls_cert_file;
  std::string tls_key_file;
  /// Mutual TLS: when set, clients must present a certificate signed by one
  /// of these CAs (PEM file).
  std::string tls_client_ca_file;
  /// Require authentication and enforce privileges.
  bool auth_enabled = false;
  /// Password of the "root" user (required, 6..256 bytes, with auth on).
  /// It is set when root is first created: with a data directory, users,
  /// roles and grants persist in `<data_dir>/cove-users.json`, and a later
  /// start keeps root's current password.
  std::string root_password;
  /// The folder Import reads files from (the local stand-in for Milvus'
  /// bucket: file paths in Import requests are relative to it); empty:
  /// Import is refused.
  std::string import_dir;
  /// Data directory of the embedded backend, or ":memory:".
  std::string data_dir = ":memory:";
  /// The largest Insert or Upsert request taken, in bytes of its protobuf
  /// encoding: a larger one is refused (RESOURCE_EXHAUSTED, with
  /// WriteTooLargeError's message) before its rows are read. 0: no limit
  /// but gRPC's message size.
  int64_t max_write_request_bytes = 0;
  /// When set, served instead of opening `data_dir` (tests restart a server
  /// over the same data; the cloud emulator shares connections).
  std::shared_ptr<Connection> connection;
  /// When set, used instead of a new store (kept across restarts).
  std::shared_ptr<auth::AuthStore> auth_store;
  /// PBKDF2 iterations of a new auth store.
  int pbkdf2_iterations = auth::kDefaultPbkdf2Iterations;
  /// host:port of the Prometheus endpoint (HTTP GET /metrics; port 0: a
  /// free port, see Server::metrics_url()); empty: no endpoint. Requests
  /// are counted either way (Server::metrics()).
  std::string metrics_listen_address;
  /// When set, requests are counted there (Server::metrics()) instead of
  /// in counters of the server's own: the instances of a hosted data
  /// plane's replicas share one (hosting/data_plane.h).
  std::shared_ptr<ServerMetrics> metrics;
  /// The usage the endpoint reports; unset: entities counted over the
  /// connection and the bytes under data_dir.
  std::function<DataPlaneUsage()> usage;
  /// IP access list (server/ip_access.h): the CIDRs whose clients may call;
  /// empty: every client. Checked on every call's peer address before
  /// anything else (PERMISSION_DENIED naming the client's address);
  /// Server::SetIpAccessList changes it while the server runs.
  std::vector<std::string> ip_access_list;
  /// Whose list it is, in refusals ("cluster 'c1'"); empty: "this server".
  std::string ip_access_owner;
  /// When set, told of every refused call (failed authentication, missing
  /// privilege, an address the IP access list refuses), on the thread that
  /// served it; it must not block.
  std::function<void(const AccessDenial&)> on_access_denied;
  /// Support access (server/support_access.h, issue 19): the grants in
  /// force; the holder changes them while the server runs. Unset: no
  /// support session can sign in.
  std::shared_ptr<const SupportSessions> support_sessions;
  /// When set, told of every call a support session made once it signed in
  /// (with its outcome), on the thread that served it; it must not block.
  std::function<void(const SupportCall&)> on_support_call;
  /// The release this data plane runs (a hosted cluster's version, issue
  /// 19), reported by Connect (server_info.reserved["release"]); empty:
  /// the build's version.
  std::string release;
  /// Non-empty: this release fails its health check (the emulator's
  /// deliberately broken release, issue 19): the CheckHealth RPC reports
  /// it unhealthy with this reason, GetComponentStates abnormal.
  std::string unhealthy_reason;
  /// Both listeners (Milvus protocol and metrics) bind with SO_REUSEPORT,
  /// so that the server of a hosted data plane's next release can bind the
  /// same ports while this one drains (hosting/data_plane.h: a release
  /// swap without a moment where the endpoint refuses connections). Only
  /// processes of the same user can share a port this way.
  bool reuse_port = false;

  /// InvalidArgument naming the option.
  absl::Status Validate() const;
};

/// A running server. Destroying it shuts it down.
///
/// Thread safety: Shutdown() and Wait() may be called from any thread.
class Server {
 public:
  ~Server();
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  /// The port actually bound.
  int port() const { return port_; }
  /// host:port with the bound port, for clients.
  std::string address() const { return address_; }
  const std::shared_ptr<Connection>& connection() const { return connection_; }
  const std::shared_ptr<auth::AuthStore>& auth_store() const { return auth_; }
  /// Request counters (never null).
  const std::shared_ptr<ServerMetrics>& metrics() const { return metrics_; }
  /// "http://HOST:PORT/metrics", or "" without a metrics endpoint.
  std::string metrics_url() const;
  /// What the data plane holds now (ServerOptions::usage).
  DataPlaneUsage Usage() const;
  /// Replaces the IP access list at once (calls already admitted finish);
  /// InvalidArgument naming `ip_access_list[i]`, and the list in force
  /// stays.
  absl::Status SetIpAccessList(const std::vector<std::string>& cidrs);
  /// The canonical CIDRs in force (empty: every client).
  std::vector<std::string> ip_access_list() const;

  /// Stops accepting calls; calls still running after `grace` are cancelled.
  void Shutdown(std::chrono::milliseconds grace = std::chrono::seconds(5));
  /// Blocks until the server has shut down.
  void Wait();

 private:
  friend absl::StatusOr<std::unique_ptr<Server>> StartServer(
      const ServerOptions& options);
  Server() = default;

  std::shared_ptr<Connection> connection_;
  std::shared_ptr<auth::AuthStore> auth_;
  std::unique_ptr<MilvusServiceImpl> service_;
  std::unique_ptr<grpc::Server> grpc_server_;
  std::shared_ptr<ServerMetrics> metrics_;
  std::function<DataPlaneUsage()> usage_;
  std::shared_ptr<IpAccessControl> ip_access_;
  std::unique_ptr<MetricsEndpoint> metrics_endpoint_;
  int port_ = 0;
  std::string address_;
  std::atomic<bool> shut_down_{false};
};

/// Starts a server. InvalidArgument for bad options; NotFound or
/// InvalidArgument for unreadable TLS files; Unavailable when the address
/// cannot be bound; errors of the embedded backend opening data_dir.
absl::StatusOr<std::unique_ptr<Server>> StartServer(
    const ServerOptions& options);

}  // namespace cove::server

#endif  // COVE_SRC_SERVER_SERVER_H_
