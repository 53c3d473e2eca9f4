// The endpoint of an IDLE cluster (auto-idle): a gRPC listener on the
// cluster's data port that serves no data. Every call fails at once with
// UNAVAILABLE (retryable) and a message naming the cluster
// ("cluster 'X' is waking up from idle; retry"), and the first one tells
// the host to wake the cluster (start its data plane on the same port).
// A client the cluster's IP access list refuses gets PERMISSION_DENIED
// instead, and wakes nothing.
#ifndef COVE_SRC_HOSTING_IDLE_LISTENER_H_
#define COVE_SRC_HOSTING_IDLE_LISTENER_H_

#include <atomic>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "server/ip_access.h"
#include "server/server.h"

namespace grpc {
class Server;
class CallbackGenericService;
}  // namespace grpc

namespace cove::hosting {

/// Thread safety: Stop() may be called from any thread; `on_wake` runs on
/// a gRPC thread and must not block (Stop() waits for it).
class IdleListener {
 public:
  ~IdleListener();
  IdleListener(const IdleListener&) = delete;
  IdleListener& operator=(const IdleListener&) = delete;

  /// Listens on `listen_address` ("host:port"; TLS with both files), and
  /// on `more_listen_addresses` too (a cluster's private endpoint).
  /// `on_wake` is called for every call received (the host wakes the
  /// cluster once). Unavailable when the port cannot be bound.
  static absl::StatusOr<std::unique_ptr<IdleListener>> Start(
      const std::string& cluster, const std::string& listen_address,
      const std::string& tls_cert_file, const std::string& tls_key_file,
      std::function<void()> on_wake,
      const std::vector<std::string>& ip_access_list = {},
      std::function<void(const server::AccessDenial&)> on_access_denied =
          nullptr,
      const std::vector<std::string>& more_listen_addresses = {});

  /// Replaces the IP access list (as DataPlane::SetIpAccessList).
  absl::Status SetIpAccessList(const std::vector<std::string>& cidrs) {
    return ip_access_->Set(cidrs);
  }

  /// Calls received so far.
  int64_t calls() const { return calls_.load(); }

  /// Closes the listener (the port is free again when it returns).
  void Stop();

 private:
  IdleListener() = default;
  class Service;

  std::atomic<int64_t> calls_{0};
  std::shared_ptr<server::IpAccessControl> ip_access_;
  std::unique_ptr<Service> service_;
  std::unique_ptr<grpc::Server> server_;
  bool stopped_ = false;
};

}  // namespace cove::hosting

#endif  // COVE_SRC_HOSTING_IDLE_LISTENER_H_
