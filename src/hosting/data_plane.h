// Hosting a cluster's data plane: the one implementation that cove-cloud
// (cross-account mode) and cove-agent (agent mode) share. A data plane is
// the cluster's data directory (its user store "cove-users.json" and the
// embedded engine's files, with the customer-managed key when it has one),
// the capacity wrapper (capacity_connection.h) and the Milvus-protocol
// server with its Prometheus endpoint, on the cluster's own two ports
// (held by ClusterPorts while no data plane serves, so that the endpoints
// stay the cluster's for its lifetime). Backups and restores go through it
// (backup_format.h).
#ifndef COVE_SRC_HOSTING_DATA_PLANE_H_
#define COVE_SRC_HOSTING_DATA_PLANE_H_

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "auth/auth_store.h"
#include "common/cipher.h"
#include "hosting/backup_format.h"
#include "hosting/capacity_connection.h"
#include "hosting/port_reservation.h"
#include "server/metrics.h"
#include "server/server.h"

namespace cove::hosting {

/// The file of a data plane's users in its data directory.
inline constexpr char kUsersFile[] = "cove-users.json";

/// Creates the user store of a new data plane in `dir` (made with mode
/// 0700 when missing): `admin_user` (empty: root) with `password`. A user
/// store already there is replaced.
absl::Status CreateDataPlaneUsers(const std::string& dir,
                                  const std::string& admin_user,
                                  const std::string& password,
                                  int pbkdf2_iterations);

/// Opens the user store of the data plane in `dir`; FailedPrecondition
/// naming `cluster` when it has none (its data directory is missing or was
/// not made by CreateDataPlaneUsers).
absl::StatusOr<std::shared_ptr<auth::AuthStore>> OpenDataPlaneUsers(
    const std::string& cluster, const std::string& dir, int pbkdf2_iterations);

/// The two ports of a cluster's endpoints (Milvus protocol and
/// Prometheus), held while no data plane of it serves.
///
/// Thread safety: a value; its owner serializes its use.
class ClusterPorts {
 public:
  /// Holds the ports of `*endpoint` and `*metrics_endpoint` on `host` (new
  /// ones when they have none, when the ports are taken, or with `fresh`)
  /// and sets both endpoints to the ports held ("http(s)://H:P" and
  /// "http://H:P/metrics", H the host, 127.0.0.1 for a wildcard host).
  absl::Status Hold(const std::string& host, bool tls, bool fresh,
                    std::string* endpoint, std::string* metrics_endpoint);
  /// Lets every port go (the cluster is purged, or its listeners take
  /// them).
  void Release();
  /// Holds the data port again (its public listener went away; as Hold,
  /// not fresh) and sets `*endpoint` to it.
  absl::Status HoldData(const std::string& host, bool tls,
                        std::string* endpoint);
  /// Lets the metrics port go (a listener takes it).
  void ReleaseMetrics() { metrics_.Release(); }
  /// Lets the data port go (an IdleListener takes it; Hold holds it again).
  void ReleaseData() { data_.Release(); }
  bool held() const { return data_.held(); }

  /// The port of the cluster's private endpoint (issue 19) on
  /// `private_host`, the address of its environment's own network: held
  /// like the others (a new one when `*private_endpoint` has none, when
  /// the port is taken, or with `fresh`); sets `*private_endpoint` to
  /// "http(s)://PRIVATE_HOST:P" (IPv6 in brackets).
  absl::Status HoldPrivate(const std::string& private_host, bool tls,
                           bool fresh, std::string* private_endpoint);
  /// Lets the private port go (a listener takes it, or the private endpoint
  /// is disabled).
  void ReleasePrivate() { private_.Release(); }
  bool private_held() const { return private_.held(); }

  /// Where the idle endpoint (IdleListener) of a cluster listens: its
  /// public endpoint `endpoint` on `host` unless `public_disabled` (or it
  /// has no private endpoint), and its `private_endpoint` when it has one,
  /// as "host:port"; the ports held for them are let go for the listener
  /// to bind. Empty when the cluster has no endpoint.
  std::vector<std::string> ReleaseForIdle(const std::string& host,
                                          const std::string& endpoint,
                                          const std::string& private_endpoint,
                                          bool public_disabled);

 private:
  PortReservation data_, metrics_, private_;
};

/// How to start a data plane.
struct DataPlaneOptions {
  /// The cluster's resource name (in messages).
  std::string cluster;
  /// Its data directory (with the user store of CreateDataPlaneUsers).
  std::string data_dir;
  /// The address its listeners bind.
  std::string host = "127.0.0.1";
  /// Private endpoint (issue 19): non-empty, a second Milvus-protocol
  /// listener on this address (the environment's own network, e.g. another
  /// loopback address standing for its VPC), on the port ClusterPorts
  /// holds for it. Its IP access list, users and engine are the public
  /// listener's.
  std::string private_host;
  /// The public Milvus-protocol listener is off (needs private_host): the
  /// cluster is reachable on its private endpoint only; the public port
  /// stays held for it (connections refused). The Prometheus endpoint
  /// stays on `host`.
  bool public_disabled = false;
  /// Capacity (capacity_connection.h); capacity_bytes 0: not limited.
  int64_t capacity_vectors = 0;
  int64_t capacity_bytes = 0;
  /// The customer-managed key file the engine seals its data with; empty:
  /// none.
  std::string encryption_key_file;
  /// TLS of the Milvus-protocol listener (both or neither).
  std::string tls_cert_file, tls_key_file;
  int pbkdf2_iterations = auth::kDefaultPbkdf2Iterations;
  /// Told of every refused call (the host audits it); must not block.
  std::function<void(const server::AccessDenial&)> on_access_denied;
  /// IP access list (server/ip_access.h): the CIDRs whose clients may
  /// call; empty: every client. DataPlane::SetIpAccessList changes it.
  std::vector<std::string> ip_access_list;
  /// Called at the start of every call that reaches the engine (auto-idle
  /// records the time of the last data-plane request); must not block.
  std::function<void()> on_activity;
  /// Support access (server/support_access.h, issue 19): the grants in
  /// force, changed by the host while the data plane runs (unset: none),
  /// and the observer of the calls made with them (the host audits them);
  /// it must not block.
  std::shared_ptr<const server::SupportSessions> support_sessions;
  std::function<void(const server::SupportCall&)> on_support_call;
  /// The release it runs (issue 19: the cluster's version; reported by the
  /// data plane's Connect as server_info.reserved["release"]); empty: the
  /// build's version.
  std::string release;
  /// Non-empty: the release is broken on purpose (the emulator's catalog
  /// entry flagged broken): its health check fails with this reason.
  std::string unhealthy_reason;
};

/// A serving data plane. Destroying it stops it.
///
/// Thread safety: every method may be called from any thread; Stop() once.
class DataPlane {
 public:
  ~DataPlane();
  DataPlane(const DataPlane&) = delete;
  DataPlane& operator=(const DataPlane&) = delete;

  /// Starts the data plane of `options` on the ports `ports` holds for
  /// `*endpoint` / `*metrics_endpoint` (held first when they are not): the
  /// ports are released just before the listeners bind them; when another
  /// process took one in that instant, new ports are held and used (the
  /// only case where the endpoints change). On success both endpoints name
  /// the listeners; on failure the ports are held again.
  ///
  /// With options.private_host, the private endpoint's port is held
  /// (ClusterPorts::HoldPrivate) and served the same way, and
  /// `*private_endpoint` (required then) names it.
  static absl::StatusOr<std::unique_ptr<DataPlane>> Start(
      const DataPlaneOptions& options, ClusterPorts* ports,
      std::string* endpoint, std::string* metrics_endpoint,
      std::string* private_endpoint = nullptr);

  /// Changes which endpoints `running` serves (issue 19: a private endpoint
  /// on `private_host`, empty: none; the public one off with
  /// `public_disabled`) without losing data or a moment where an endpoint
  /// that stays refuses connections: a server with the new listeners starts
  /// beside the running one over the same open engine (the listeners that
  /// stay bind their ports with SO_REUSEPORT, as StartNextRelease), then
  /// the running one stops gracefully. A listener that goes away gives its
  /// port back to `ports` (the public port stays held for the cluster; a
  /// private port is let go and `*private_endpoint` cleared); a new one
  /// takes the port `ports` holds for it. On failure `running` serves on
  /// unchanged (its result is returned with the status). `*endpoint` names
  /// the public endpoint (kept while disabled).
  struct EndpointChange {
    std::shared_ptr<DataPlane> plane;
    absl::Status status;
  };
  static EndpointChange ChangeEndpoints(std::shared_ptr<DataPlane> running,
                                        const std::string& private_host,
                                        bool public_disabled,
                                        ClusterPorts* ports,
                                        std::string* endpoint,
                                        std::string* private_endpoint);

  /// Stops serving (calls in flight are cancelled) and closes the engine;
  /// the data stays. The caller holds the ports again (ClusterPorts::Hold).
  void Stop();
  /// Stop, letting calls in flight finish for up to `grace` (new calls are
  /// refused at once): an upgrade's restart cancels no read that was
  /// admitted.
  void StopGracefully(std::chrono::milliseconds grace);

  /// Starts the server of the release of `to` (its release and
  /// unhealthy_reason) beside `running`: on the same ports (both listeners
  /// bind with SO_REUSEPORT, so the kernel hands new connections to
  /// either), over the same open engine, user store, capacity and IP
  /// access list. The data plane returned owns no ports of its own; once
  /// `running` stops, it alone serves the endpoints. In the emulator a
  /// release is the data plane's reported version and health (the engine's
  /// files are the same), so the engine stays open across an upgrade.
  static absl::StatusOr<std::unique_ptr<DataPlane>> StartNextRelease(
      const DataPlane& running, const DataPlaneOptions& to);

  const std::shared_ptr<CapacityConnection>& connection() const {
    return connection_;
  }
  const std::shared_ptr<auth::AuthStore>& users() const { return users_; }
  /// Request counters of the Milvus-protocol server (never null).
  const std::shared_ptr<server::ServerMetrics>& metrics() const {
    return server_->metrics();
  }
  const std::string& data_dir() const { return options_.data_dir; }
  const DataPlaneOptions& options() const { return options_; }
  /// The release it runs (DataPlaneOptions::release).
  const std::string& release() const { return options_.release; }
  /// The public endpoint (also while disabled: its port stays the
  /// cluster's) and the private one (empty without).
  const std::string& endpoint() const { return endpoint_; }
  const std::string& private_endpoint() const { return private_endpoint_; }

  /// The health check after a start or an upgrade step: the Milvus
  /// listener accepts TCP connections on its port, the engine reports
  /// itself healthy (Connection::CheckHealth, what the Milvus CheckHealth
  /// RPC reports) and every collection can be counted (its data is
  /// readable). UNAVAILABLE naming the cluster and the failed check.
  absl::Status HealthCheck() const;

  /// Capacity changes take effect at once (scaling).
  void SetCapacity(int64_t vectors, int64_t bytes);

  /// The IP access list changes at once (no restart; calls already
  /// admitted finish); InvalidArgument for a bad entry (the list in force
  /// stays).
  absl::Status SetIpAccessList(const std::vector<std::string>& cidrs) {
    return server_->SetIpAccessList(cidrs);
  }
  std::vector<std::string> ip_access_list() const {
    return server_->ip_access_list();
  }

  /// What it holds now: entities, bytes of its data directory, capacity.
  server::DataPlaneUsage Usage() const;

  /// Writes backup `owner` of `collections` (empty: all) into `dir` (as
  /// WriteBackup; an earlier write of the same backup there is replaced,
  /// another backup's files never) and verifies it; on failure its files
  /// are removed.
  absl::StatusOr<BackupSummary> Backup(
      const std::vector<CollectionRef>& collections, const std::string& dir,
      const internal::Cipher& cipher, const std::string& key_ref,
      const std::string& owner);

  /// Restores the backup in `dir` (as RestoreBackupInto).
  absl::StatusOr<BackupSummary> Restore(
      const std::string& dir, const internal::Cipher* cipher,
      const std::vector<CollectionRef>& collections, bool overwrite,
      const std::string& owner);

 private:
  DataPlane() = default;

  DataPlaneOptions options_;
  std::string endpoint_;
  // "http(s)://PRIVATE_HOST:P" with options_.private_host; else empty.
  std::string private_endpoint_;
  std::shared_ptr<CapacityConnection> connection_;
  std::shared_ptr<auth::AuthStore> users_;
  std::unique_ptr<server::Server> server_;
  std::atomic<bool> stopped_{false};
};

/// What UpgradeDataPlane leaves: the data plane serving afterwards (the new
/// release, or the old one after a rollback) and how the upgrade went.
struct UpgradeResult {
  std::shared_ptr<DataPlane> plane;
  absl::Status status;
};

/// Upgrades (or downgrades) the data plane `running` to the release of
/// `to` (its release and unhealthy_reason; the rest of `running`'s options
/// stay) without a moment where the endpoint refuses connections:
/// DataPlane::StartNextRelease starts the new release beside the running
/// one, on the same ports and the same open engine, and health-checks it
/// (DataPlane::HealthCheck); when it is healthy, the old release stops
/// gracefully (its listeners close, calls in flight finish, its clients'
/// next calls connect to the new release); when the new release fails to
/// start or its health check fails, it stops gracefully and the old
/// release, which never stopped, goes on serving (the automatic rollback):
/// the status is the failure ("... failed: ...; rolled back to release
/// 'X'"). The endpoints never change. The caller hands `running` over and
/// keeps no other reference to it. `running_release` names the release
/// `running` runs when its options name none (a data plane started before
/// it had one), in that message.
UpgradeResult UpgradeDataPlane(std::shared_ptr<DataPlane> running,
                               const DataPlaneOptions& to,
                               const std::string& running_release = "");

}  // namespace cove::hosting

#endif  // COVE_SRC_HOSTING_DATA_PLANE_H_
