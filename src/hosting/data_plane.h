// Hosting a cluster's data plane: the one implementation that cove-cloud
// (cross-account mode) and cove-agent (agent mode) share. A data plane is
// the cluster's data directory (its user store "cove-users.json" and the
// embedded engine's files, with the customer-managed key when it has one),
// the capacity wrapper (capacity_connection.h) and one Milvus-protocol
// server instance per replica, each with its Prometheus endpoint, all on
// the cluster's own ports (SO_REUSEPORT; held by ClusterPorts while no data
// plane serves, so that the endpoints stay the cluster's for its
// lifetime). The replicas share the one open engine (one process hosts
// them). Rolling upgrades replace them one at a time (RollingUpgrade).
// Backups and restores go through it (backup_format.h).
#ifndef COVE_SRC_HOSTING_DATA_PLANE_H_
#define COVE_SRC_HOSTING_DATA_PLANE_H_

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
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
  /// Replicas (issue 19): how many data-plane server instances serve the
  /// cluster's endpoints, 1 to kMaxReplicas. Every instance listens on the
  /// same ports (SO_REUSEPORT: the kernel spreads new connections over
  /// them) and serves the same open engine, user store, capacity and IP
  /// access list; they count requests together (DataPlane::metrics).
  int replicas = 1;
};

/// The most replicas a data plane runs.
inline constexpr int kMaxReplicas = 16;

/// The release one replica's instance runs.
struct ReplicaRelease {
  /// DataPlaneOptions::release.
  std::string release;
  /// DataPlaneOptions::unhealthy_reason.
  std::string unhealthy_reason;
};

/// A serving data plane: the cluster's open engine served by
/// DataPlaneOptions::replicas server instances on the cluster's ports.
/// Destroying it stops it.
///
/// Thread safety: every method may be called from any thread; the changes
/// (SetReplicas, ReplaceReplica, ChangeEndpoints, Stop) run one at a time.
class DataPlane {
 public:
  ~DataPlane();
  DataPlane(const DataPlane&) = delete;
  DataPlane& operator=(const DataPlane&) = delete;

  /// Starts the data plane of `options` on the ports `ports` holds for
  /// `*endpoint` / `*metrics_endpoint` (held first when they are not): the
  /// ports are released just before the first instance's listeners bind
  /// them (the other replicas' instances bind them too); when another
  /// process took one in that instant, new ports are held and used (the
  /// only case where the endpoints change). On success both endpoints name
  /// the listeners; on failure the ports are held again.
  ///
  /// With options.private_host, the private endpoint's port is held
  /// (ClusterPorts::HoldPrivate) and served the same way, and
  /// `*private_endpoint` (required then) names it. InvalidArgument for
  /// replicas outside 1..kMaxReplicas.
  static absl::StatusOr<std::unique_ptr<DataPlane>> Start(
      const DataPlaneOptions& options, ClusterPorts* ports,
      std::string* endpoint, std::string* metrics_endpoint,
      std::string* private_endpoint = nullptr);

  /// Changes which endpoints it serves (issue 19: a private endpoint on
  /// `private_host`, empty: none; the public one off with
  /// `public_disabled`) without losing data or a moment where an endpoint
  /// that stays refuses connections: for every replica, an instance with
  /// the new listeners (and the replica's release) starts beside the
  /// running ones over the same open engine (the listeners that stay bind
  /// their ports with SO_REUSEPORT); once all have started, the old
  /// instances stop gracefully. A listener that goes away gives its port
  /// back to `ports` (the public port stays held for the cluster; a private
  /// port is let go and `*private_endpoint` cleared); a new one takes the
  /// port `ports` holds for it. On failure nothing changed (the instances
  /// started are stopped) and the status says why. `*endpoint` names the
  /// public endpoint (kept while disabled). FailedPrecondition once
  /// stopped.
  absl::Status ChangeEndpoints(const std::string& private_host,
                               bool public_disabled, ClusterPorts* ports,
                               std::string* endpoint,
                               std::string* private_endpoint);

  /// Scaling (issue 19): starts instances (on the release of the first
  /// replica, health-checked as an upgrade's) or stops the last ones
  /// gracefully until `replicas` serve; the others serve throughout. On a
  /// failure the instances it started are stopped again (the replicas
  /// stay as they were). InvalidArgument outside 1..kMaxReplicas;
  /// FailedPrecondition once stopped.
  absl::Status SetReplicas(int replicas);
  /// How many replicas serve (0 once stopped).
  int replicas() const;
  /// The release each replica runs, by replica.
  std::vector<std::string> replica_releases() const;

  /// One step of a rolling upgrade (RollingUpgrade): starts an instance of
  /// release `to` for replica `index` beside the running instances (same
  /// ports, SO_REUSEPORT; same open engine, users, capacity, IP access
  /// list, endpoints), health-checks it (HealthCheck's checks for this
  /// instance; a non-empty `injected_failure` fails it, the emulator's
  /// injected fault), then stops the replica's old instance gracefully (its
  /// listeners close, its calls in flight finish, up to 5 s): the new
  /// instance is that replica from then on. When the new instance does not
  /// start or fails its check, it is the one stopped and the replica's old
  /// instance, which never stopped, goes on: the status says why
  /// (UNAVAILABLE for a failed check). `*replaced` (optional) gets the
  /// release the replica ran before. OutOfRange for a bad index;
  /// FailedPrecondition once stopped.
  absl::Status ReplaceReplica(int index, const ReplicaRelease& to,
                              const std::string& injected_failure = "",
                              ReplicaRelease* replaced = nullptr);

  /// Stops serving (calls in flight are cancelled); the engine closes once
  /// no one holds its connection. The data stays. The caller holds the
  /// ports again (ClusterPorts::Hold).
  void Stop();
  /// Stop, letting calls in flight finish for up to `grace` (new calls are
  /// refused at once).
  void StopGracefully(std::chrono::milliseconds grace);

  const std::shared_ptr<CapacityConnection>& connection() const {
    return connection_;
  }
  const std::shared_ptr<auth::AuthStore>& users() const { return users_; }
  /// Request counters of the data plane: every replica's instance (and
  /// every instance an upgrade starts) counts into this one (never null);
  /// its Prometheus endpoint reports them, whichever instance answers.
  const std::shared_ptr<server::ServerMetrics>& metrics() const {
    return metrics_;
  }
  const std::string& data_dir() const { return data_dir_; }
  /// Its options now (release: the first replica's; ip_access_list,
  /// endpoints and replicas as in force).
  DataPlaneOptions options() const;
  /// The release of its first replica (all replicas run it but in the
  /// middle of a rolling upgrade; DataPlaneOptions::release).
  std::string release() const;
  /// The public endpoint (also while disabled: its port stays the
  /// cluster's) and the private one (empty without).
  std::string endpoint() const;
  std::string private_endpoint() const;

  /// The health check after a start or an upgrade step, of every replica:
  /// the Milvus listener accepts TCP connections on its port, the replica's
  /// release is not broken and the engine reports itself healthy
  /// (Connection::CheckHealth, what the Milvus CheckHealth RPC reports) and
  /// every collection can be counted (its data is readable). UNAVAILABLE
  /// naming the cluster, the replica and the failed check.
  absl::Status HealthCheck() const;

  /// Capacity changes take effect at once (scaling).
  void SetCapacity(int64_t vectors, int64_t bytes);

  /// The IP access list changes at once on every instance (no restart;
  /// calls already admitted finish); InvalidArgument for a bad entry (the
  /// list in force stays).
  absl::Status SetIpAccessList(const std::vector<std::string>& cidrs);
  std::vector<std::string> ip_access_list() const;

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
  struct Instance {
    std::unique_ptr<server::Server> server;
    ReplicaRelease release;
  };

  DataPlane() = default;
  // Starts an instance of `release` with the listeners of `options` on
  // the data plane's ports (public_port_, `private_port`, metrics_port_)
  // and registers it in starting_ (so that SetIpAccessList reaches it).
  absl::StatusOr<std::shared_ptr<Instance>> StartInstance(
      const DataPlaneOptions& options, int private_port,
      const ReplicaRelease& release) ABSL_LOCKS_EXCLUDED(mu_);
  // Stops `instance` gracefully and forgets it (starting_).
  void StopInstance(const std::shared_ptr<Instance>& instance,
                    std::chrono::milliseconds grace) ABSL_LOCKS_EXCLUDED(mu_);
  // The health check of `instance` as replica `index`.
  absl::Status CheckInstance(const Instance& instance, int index,
                             const std::string& injected_failure) const;

  // Serializes the changes (SetReplicas, ReplaceReplica, ChangeEndpoints,
  // Stop).
  absl::Mutex change_mu_ ABSL_ACQUIRED_BEFORE(mu_);
  mutable absl::Mutex mu_;
  DataPlaneOptions options_ ABSL_GUARDED_BY(mu_);
  std::string endpoint_ ABSL_GUARDED_BY(mu_);
  // "http(s)://PRIVATE_HOST:P" with options_.private_host; else empty.
  std::string private_endpoint_ ABSL_GUARDED_BY(mu_);
  // The instance of each replica.
  std::vector<std::shared_ptr<Instance>> replicas_ ABSL_GUARDED_BY(mu_);
  // Instances started and not yet a replica's (upgrade steps, endpoint
  // changes): they serve too.
  std::vector<std::shared_ptr<Instance>> starting_ ABSL_GUARDED_BY(mu_);
  int public_port_ = 0, metrics_port_ = 0;
  int private_port_ ABSL_GUARDED_BY(mu_) = 0;
  bool stopped_ ABSL_GUARDED_BY(mu_) = false;
  std::string data_dir_;
  std::shared_ptr<CapacityConnection> connection_;
  std::shared_ptr<auth::AuthStore> users_;
  std::shared_ptr<server::ServerMetrics> metrics_;
  std::function<server::DataPlaneUsage()> usage_;
};

/// A rolling upgrade (issue 19), one replica at a time, on a running data
/// plane: for each replica in turn, DataPlane::ReplaceReplica starts the
/// new release's instance beside the running ones, health-checks it and
/// stops the replica's old instance; the other replicas serve throughout,
/// so with 2 replicas or more reads are served by an instance that is not
/// changing at every moment (and with 1, the old and new instances overlap
/// on the same ports). When a step fails (the new instance does not start,
/// or fails its health check), the failed instance is stopped and the
/// replicas already upgraded are replaced again by instances of the
/// release they ran (the automatic rollback): the status is the failure
/// ("upgrade of cluster 'C' to release 'B' failed on replica 2 of 3: ...;
/// rolled back to release 'A'"). Step() does one replica (or the whole
/// rollback), so a host may report progress between steps.
///
/// Thread safety: a value; its owner serializes its use. The data plane
/// must not be scaled while the upgrade runs.
class RollingUpgrade {
 public:
  /// The emulator's fault: the health check of replica `fail_replica`'s
  /// new instance (1-based; 0: none) fails with `fail_reason`.
  struct Options {
    ReplicaRelease to;
    /// The release the data plane runs when its options name none (a data
    /// plane started before it had one), in messages.
    std::string running_release;
    int fail_replica = 0;
    std::string fail_reason;
  };
  RollingUpgrade(std::shared_ptr<DataPlane> plane, Options options);

  /// Upgrades the next replica, or rolls back after a failure; false when
  /// there is nothing left to do (done()).
  bool Step();
  /// Rolls back the replicas already upgraded (the upgrade was cancelled):
  /// status() becomes `why`. Nothing when done.
  void Abort(const absl::Status& why);
  bool done() const { return done_; }
  /// OK once every replica runs the new release; the failure after a
  /// rollback.
  const absl::Status& status() const { return status_; }
  /// Replicas upgraded so far, of replicas().
  int upgraded() const { return static_cast<int>(previous_.size()); }
  int replicas() const { return replicas_; }
  /// 100 x upgraded / replicas (100 once done).
  int progress_percent() const;

 private:
  // Replaces the upgraded replicas by their previous releases; the text
  // of what did not roll back ("" when all did).
  std::string RollBack();

  std::shared_ptr<DataPlane> plane_;
  Options options_;
  std::string from_;  // the release before, for messages
  int replicas_ = 0;
  std::vector<ReplicaRelease> previous_;  // of the replicas upgraded
  bool done_ = false;
  absl::Status status_;
};

/// The whole rolling upgrade at once: RollingUpgrade::Step until done,
/// telling `on_progress` (optional) the percent done after each replica.
/// Returns RollingUpgrade::status().
absl::Status UpgradeDataPlane(
    std::shared_ptr<DataPlane> plane, const RollingUpgrade::Options& options,
    const std::function<void(int percent)>& on_progress = {});

}  // namespace cove::hosting

#endif  // COVE_SRC_HOSTING_DATA_PLANE_H_
