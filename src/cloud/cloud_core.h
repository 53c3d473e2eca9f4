// CloudCore: the control-plane core of cove-cloud, without a transport.
//
// It holds the resource tables (written through to SQLite: Store), evaluates
// IAM, writes the audit log, remembers request ids, runs operations on the
// scheduler thread on the emulator clock (real or manual), autoscales, and
// starts and stops the clusters' data planes (cove::server), or has the
// agent of an agent-mode environment do it. Everything lives in memory under
// one mutex.
//
// Its interface is transport-neutral: one method per RPC of the
// cove.control.v1 ControlPlane and Emulator services (control_rpcs.h) that
// takes a RequestContext (credentials, peer, request id, etag) and the
// request message, and returns an absl::Status. The transports are thin
// layers over it (the gRPC services of grpc_service.h, one grpc_*.cc file
// per resource group); agent streams reach it through AgentPort
// (agent_stream.h, served by grpc_agent_gateway.h). No gRPC type appears
// here: tests/cloud/core_test.cc drives it directly.
//
// The implementation is split by topic: cloud_core.cc (authentication,
// authorization, audit, request ids, faults, loading), control_resources.cc
// (organizations ... environments), control_access.cc (API keys, roles,
// bindings, audit), control_clusters.cc (clusters, operations, scheduler),
// cluster_hosting.cc (the local data planes of cross-account clusters),
// agent_core.cc (agent mode), backups.cc, keys.cc, autoscaler.cc,
// cluster_metrics.cc, data_plane_audit.cc, emulator_knobs.cc, licenses.cc
// (licenses and cost), alerts.cc (alert rules; webhooks.h delivers).
#ifndef COVE_SRC_CLOUD_CLOUD_CORE_H_
#define COVE_SRC_CLOUD_CLOUD_CORE_H_

#include <atomic>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "auth/password.h"
#include "cloud/agent_stream.h"
#include "cloud/cloud_options.h"
#include "cloud/control_rpcs.h"
#include "cloud/permissions.h"
#include "cloud/request_context.h"
#include "cloud/request_limits.h"
#include "cloud/store.h"
#include "cloud/webhooks.h"
#include "common/cipher.h"
#include "cove/control/v1/agent.pb.h"
#include "cove/control/v1/alerts.pb.h"
#include "cove/control/v1/control.pb.h"
#include "cove/control/v1/emulator.pb.h"
#include "cove/options.h"
#include "google/protobuf/empty.pb.h"
#include "hosting/data_plane.h"
#include "hosting/idle_listener.h"
#include "server/server.h"
#include "server/support_access.h"

namespace cove::cloud {

namespace v1 = ::cove::control::v1;

/// Who is calling.
struct Principal {
  std::string actor = "anonymous";  // audit actor
  bool admin = false;               // the emulator's admin key
  std::string key_name;             // ApiKey resource name
  std::string scope;                // where the key applies
  std::string role;                 // the key's own role (may be empty)
  std::string owner;                // the user the key acts as, if any
  // A vendor support principal (support_access.cc): holds nothing but its
  // ACTIVE support access grants.
  bool support = false;
};

/// One RPC being handled.
struct Call {
  const RequestContext* ctx = nullptr;
  std::string method;     // "CreateCluster"
  std::string action;     // "clusters.create"
  std::string resource;   // what the audit event names
  std::string requested;  // the name the request gave (Handle's resource)
  bool mutation = false;
  bool denied = false;
  std::string request_id;
  Principal principal;
  // When set, the audit event's message (the autoscaler's reason), followed
  // by the status message on failure.
  std::string audit_message;
  // The support access grant the call was allowed by (support principals).
  std::string support_grant;
};

class CloudCore final : public AgentPort {
 public:
  CloudCore(const CloudOptions& options, std::unique_ptr<Store> store,
            std::string tls_cert_file, std::string tls_key_file);
  ~CloudCore() override;

  /// Loads the state; on a new state_dir creates the admin key and returns
  /// it (else ""). Then brings RUNNING clusters back and resumes operations
  /// in flight, and starts the scheduler.
  absl::StatusOr<std::string> Start();
  /// Stops the scheduler, wakes waiters, stops every data plane.
  void Stop();

  // ---- the RPCs (control_rpcs.h) -------------------------------------------
  // Each authenticates ctx.authorization (AcceptInvitation: the token),
  // authorizes, runs and audits the request, like the RPC of the same name
  // (proto/cove/control/v1/control.proto documents each).
#define COVE_CORE_DECLARE_RPC(Name, Request, Response)             \
  absl::Status Name(const RequestContext& ctx, const Request& req, \
                    Response* resp);
  COVE_CONTROL_PLANE_RPCS(COVE_CORE_DECLARE_RPC)
  COVE_EMULATOR_RPCS(COVE_CORE_DECLARE_RPC)
#undef COVE_CORE_DECLARE_RPC

  /// The control plane's Prometheus exposition (requests per RPC,
  /// operations by verb and state, clusters by state).
  std::string ControlPlaneMetricsText();

  /// The authenticated caller of `ctx` (the console's session check:
  /// who is signed in). UNAUTHENTICATED as for any RPC.
  absl::StatusOr<Principal> WhoAmI(const RequestContext& ctx);

  // ---- agent mode (AgentPort; agent_core.cc) --------------------------------
  absl::StatusOr<v1::AgentWelcome> AgentConnect(
      const v1::AgentHello& hello, std::shared_ptr<AgentStream> stream,
      const std::string& peer) override;
  void AgentReceive(const AgentStream* stream,
                    const v1::AgentMessage& message) override;
  void AgentDisconnect(const AgentStream* stream) override;
  /// Ends every agent stream (the control plane is stopping).
  void AgentShutdown();

 private:
  struct RequestRecord {
    std::string fingerprint;
    std::string response;  // serialized; secrets only in memory
  };
  // What a pending (not done) operation still has to do.
  struct Pending {
    int prev_state = 0;  // cluster state before the verb
    int cu_size = 0;     // ScaleCluster targets
    int replicas = 0;
    absl::Time due;
    bool stalled = false;
    bool fail = false;
    int fail_code = 13;
    std::string fail_message;
    // UpgradeCluster (upgrades.cc): the target release; `scheduled` while
    // it waits for the maintenance window (the cluster stays RUNNING).
    std::string version;
    bool scheduled = false;
    // UpgradeCluster: the emulator's fault (Fault.replica): the health
    // check of this replica's new release fails with fail_message (0:
    // none).
    int fail_replica = 0;
  };
  struct Runtime {
    std::shared_ptr<hosting::DataPlane> plane;  // hosting/data_plane.h
  };
  // ResetClusterPassword: the new root password in the cluster's user store
  // (the running data plane's, else its file).
  absl::Status SetRootPasswordLocked(const v1::Cluster& c,
                                     const std::string& password)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  struct FaultRecord {
    v1::Fault fault;
    int remaining = 0;  // 0: until cleared
  };

  using Body = std::function<absl::Status(Call&)>;
  // Runs one RPC: faults (UNAVAILABLE, and FAIL of verbs without an
  // operation), authentication, then `body` under the mutex, then the
  // audit event (mutations and denials).
  absl::Status Handle(const RequestContext& ctx, const char* method,
                      const char* action, bool mutation, std::string resource,
                      std::string request_id, const Body& body,
                      bool needs_key = true);
  // The caller. A disabled or expired key whose secret is right is
  // refused, and its name stored in `*actor` for the audit event.
  absl::StatusOr<Principal> Authenticate(const RequestContext& ctx,
                                         std::string* actor);
  void AuditLocked(const Call& call, const absl::Status& status)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // PermissionDenied (marking the call denied) unless allowed.
  absl::Status AuthorizeLocked(Call& call, const std::string& action,
                               const std::string& resource)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Lists: allowed on the parent or on anything below it.
  absl::Status AuthorizeListLocked(Call& call, const std::string& action,
                                   const std::string& parent)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  bool AllowedLocked(const Principal& p, const std::string& action,
                     const std::string& resource) const
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  using Grant = RoleGrant;
  std::vector<Grant> GrantsLocked(const Principal& p) const
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  const v1::Role* FindRoleLocked(const std::string& name) const
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // The grant rule (control_access.cc): PermissionDenied (marking the call
  // denied) naming the first action `role` held on `scope` would give that
  // the caller does not hold there. `what` names the grant in the message.
  absl::Status CheckGrantLocked(Call& call, const v1::Role& role,
                                const std::string& scope, GrantCheckMode mode,
                                const std::string& what)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  // Request ids: true when `request` was seen (response filled in);
  // AlreadyExists when the id was used for another request.
  absl::StatusOr<bool> ReplayLocked(const Call& call,
                                    const google::protobuf::Message& request,
                                    google::protobuf::Message* response)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // ReplayLocked for a request answered by an operation: a replayed answer
  // is refreshed to the operation as it is now (seen by `call`'s principal).
  absl::StatusOr<bool> ReplayOperationLocked(
      const Call& call, const google::protobuf::Message& request,
      v1::Operation* response) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Remembers the response; `persisted` (secrets removed) goes to SQLite.
  absl::Status RememberLocked(const Call& call,
                              const google::protobuf::Message& request,
                              const google::protobuf::Message& response,
                              const google::protobuf::Message& persisted)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  std::string Fingerprint(const Call& call,
                          const google::protobuf::Message& request) const;

  absl::Status Persist(const std::string& kind, const std::string& name,
                       const google::protobuf::Message& message)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  absl::Status Unpersist(const std::string& kind, const std::string& name)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  absl::Status PersistSecretLocked(const std::string& name,
                                   const std::string& key_id,
                                   const auth::PasswordHash& hash)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  absl::Status PersistPendingLocked(const std::string& op)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  absl::Status LoadLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // A new key secret "cove_<key id>_<random>", its hash stored for `name`.
  absl::StatusOr<std::string> IssueSecretLocked(const std::string& name)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void DropSecretLocked(const std::string& name)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  absl::Time NowLocked() const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  std::string NewEtag() const;
  // ABORTED when `etag` is set and differs from `current`.
  static absl::Status CheckEtag(const std::string& what,
                                const std::string& etag,
                                const std::string& current);

  // Faults.
  bool TakeFaultLocked(const std::string& verb, v1::Fault::Mode mode,
                       v1::Fault* fault) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  // Clusters and operations (control_clusters.cc).
  absl::StatusOr<v1::Cluster*> FindClusterLocked(const std::string& name)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // CreateCluster's checks of the request alone (InvalidArgument).
  static absl::Status CheckCreateClusterRequest(
      const v1::CreateClusterRequest& req);
  // CreateCluster after authorization: the cluster (CREATING), its data
  // directory and root user (cross-account), its operation and its sealed
  // once-shown password. Also the first step of RestoreBackup into a new
  // cluster.
  absl::StatusOr<v1::Operation> CreateClusterLocked(
      Call& call, const v1::CreateClusterRequest& req)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Once-shown passwords of create operations: kept in op_passwords_ and,
  // until the creator has seen the finished operation, sealed (AES-256-GCM
  // with the state directory's sealing key, never in the database in
  // clear) in the state, so that a create interrupted by a crash still
  // returns its password once after the restart.
  absl::Status SealPasswordLocked(const std::string& op)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  absl::Status LoadSealedPasswordsLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void DropSealedPasswordLocked(const std::string& op)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  absl::StatusOr<const internal::Cipher*> SealingCipherLocked()
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // OperationViewLocked for the operation RPCs: once the creator got the
  // finished operation with its password, the sealed copy goes.
  v1::Operation RevealLocked(const v1::Operation& op, const Principal& p)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // A restore into a new cluster failed (or was cancelled): the cluster is
  // left FAILED with the reason and its data plane stopped, never RUNNING
  // and empty (or partly restored).
  void FailRestoredClusterLocked(const std::string& cluster,
                                 const std::string& backup,
                                 const absl::Status& status)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Restores into new clusters are persisted ("restorejob") so that an
  // emulator restart resumes them (backups.cc).
  absl::Status PersistRestoreJobLocked(const std::string& op)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  v1::Cluster ClusterViewLocked(const v1::Cluster& c)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  int64_t CapacityLocked(const std::string& cu_type, int cu_size) const
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Bytes of storage admitted (bytes_per_cu_ x cu_size).
  int64_t CapacityBytesLocked(const std::string& cu_type, int cu_size) const
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  std::string DataDirLocked(const v1::Cluster& c) const
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  absl::Status ClusterVerb(const RequestContext& ctx, const char* method,
                           const char* action,
                           const v1::ClusterActionRequest& req,
                           v1::Operation* resp);
  // Starts the verb's operation on a cluster (transition checked by the
  // caller) and moves the cluster into `transitional`.
  absl::StatusOr<v1::Operation> StartOperationLocked(
      Call& call, v1::Cluster* cluster, v1::Cluster::State transitional,
      Pending pending) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  v1::Operation OperationViewLocked(const v1::Operation& op,
                                    const Principal& p) const
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void RunDueLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  // Auto-idle (cluster_idle.cc): RUNNING clusters without a data-plane
  // request for their idle_timeout become IDLE (data plane stopped, an
  // IdleListener on the data port); a call to the endpoint, or
  // ResumeCluster, wakes them.
  void IdleTickLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // InvalidArgument naming `field` unless unset, 0, or 1 minute to 30
  // days in whole seconds.
  static absl::Status ValidateIdleTimeout(const std::string& field,
                                          const google::protobuf::Duration& d);
  // Auto-idle in agent mode (cluster_idle.cc): the agent counts its data
  // plane's calls and reports the count; the control plane times the
  // idleness on its own clock (a count that changed is activity now),
  // sends AgentIdleCluster, and learns the agent's idle and wake
  // transitions (numbered by idle_epoch, so that an older report never
  // undoes a newer one). `fresh`: the report is the agent's state now (its
  // hello, a reconciliation result), applied whatever its number.
  void AgentIdleObserveLocked(const std::string& environment,
                              const v1::AgentClusterStatus& status, bool fresh)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void AgentIdleTickLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // The result of an "idle/{cluster}" command.
  void AgentIdleResultLocked(const std::string& environment,
                             const v1::AgentCommandResult& r, int code)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // UpdateCluster(idle_timeout): the timeout counts from now.
  void ResetIdleActivityLocked(const std::string& cluster)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // IP access lists (cluster_network.cc): the canonical form of
  // in.ip_access_list (InvalidArgument naming cluster.ip_access_list[i]).
  static absl::StatusOr<std::vector<std::string>> CanonicalIpAccessList(
      const v1::Cluster& in);
  // Puts c's list in force where its data plane runs: the emulator's data
  // plane or idle endpoint, or the agent of its environment.
  void ApplyIpAccessListLocked(const v1::Cluster& c)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // The agent command that sets c's list.
  static v1::AgentCommand AgentIpAccessCommand(const v1::Cluster& c);
  // Private endpoints (cluster_network.cc). The address private endpoints
  // of c's environment listen on ("" none).
  std::string PrivateAddressLocked(const v1::Cluster& c) const
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // FailedPrecondition unless c's environment can serve the endpoints
  // `private_enabled` / `public_disabled` (naming the fields).
  absl::Status CheckEndpointsLocked(const v1::Cluster& c, bool private_enabled,
                                    bool public_disabled)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Puts c's endpoints in force where its data plane runs (the emulator's
  // data plane or idle endpoint, whose listeners change without losing
  // data; the agent of its environment), and sets c->private_endpoint.
  absl::Status ApplyEndpointsLocked(v1::Cluster* c)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  static v1::AgentCommand AgentEndpointsCommand(const v1::Cluster& c);
  // CreateEnvironment: the private network address given (validated) or a
  // new one (cross-account mode).
  absl::Status AssignPrivateAddressLocked(v1::Environment* env)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void GoIdleLocked(v1::Cluster* c) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void WakeLocked(v1::Cluster* c) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Listens on the data port of an IDLE cluster (its port released first).
  absl::Status StartIdleListenerLocked(v1::Cluster* c)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Closes it and holds the port again; false when there was none.
  bool StopIdleListenerLocked(v1::Cluster* c)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // The emulator clock without mu_ (data-plane threads record activity).
  absl::Time ClockNowNoLock() const;
  void MirrorClockLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void ExecuteLocked(const std::string& op_name)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void FinishOperationLocked(v1::Operation* op, const absl::Status& status,
                             const v1::Cluster* result)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Starts the data plane of `cluster` on its held ports (HoldPortsLocked);
  // `preferred_port` is unused (the ports are the cluster's).
  absl::Status StartDataPlaneLocked(v1::Cluster* cluster, int preferred_port)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // The ports of a cluster are its for its lifetime: the same endpoint and
  // metrics endpoint across suspend/resume, scaling and emulator restarts.
  // While its data plane does not serve they are held (port_reservation.h);
  // while it serves, its listeners hold them. Released at the purge.
  // Holds the ports of `c`'s endpoints (new ones when it has none, when
  // they are taken, or with `fresh`) and sets its endpoints to them.
  absl::Status HoldPortsLocked(v1::Cluster* c, bool fresh)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void StopDataPlaneLocked(v1::Cluster* cluster)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  absl::Status PurgeLocked(const std::string& cluster_name)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void SchedulerLoop();

  // Autoscaling and metrics (autoscaler.cc, cluster_metrics.cc).
  struct AutoscaleState {
    int cu_size = 0;                        // size when last seen
    int replicas = 0;                       // replicas when last seen
    std::optional<absl::Time> below_since;  // fill below the down threshold
    // QPS per replica below the scale-down fraction of the target.
    std::optional<absl::Time> qps_below_since;
    // Emulator data planes: (control-plane time, requests served) at each
    // pass, for the QPS over kQpsWindowSeconds on the control plane's
    // clock; `metrics` tells a restarted data plane (new counters).
    std::weak_ptr<const server::ServerMetrics> metrics;
    std::deque<std::pair<absl::Time, int64_t>> requests;
    // The last license refusal audited (issue 19): written once per
    // distinct refusal, not at every pass.
    std::string license_refusal;
  };
  // One pass of the autoscaler over the RUNNING clusters.
  void AutoscaleLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // The requests per second of `c` over the last kQpsWindowSeconds: from
  // the agent's heartbeats in agent mode, else from the data plane's
  // request counters sampled into `st` at each pass on the control plane's
  // clock (so that the manual clock drives it); nullopt: no data plane.
  std::optional<double> QpsLocked(const v1::Cluster& c, absl::Time now,
                                  AutoscaleState& st)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void CountRpc(const char* method, absl::StatusCode code);
  // ---- backups and customer-managed keys (backups.cc, keys.cc) ----
  // A backup, delete or restore in flight (memory only: an emulator restart
  // fails them, see RecoverBackupsLocked).
  struct BackupJob {
    std::string backup;     // backup resource name
    std::string cluster;    // source (create) or target (restore)
    std::string create_op;  // restore into a new cluster: its create
    std::vector<std::string> collections;
    bool overwrite = false;
    bool scheduled = false;  // by the backup policy
    // Agent mode: the backup's directory under the agent's bucket (the
    // agent carries the job out; agent_core.cc).
    std::string agent_dir;
    int prev_backup_state = 0;  // DeleteBackup: the state to return to
    absl::Time due;
  };
  // Loads backups; fails what an emulator restart interrupted.
  absl::Status RecoverBackupsLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // The scheduler's turn: due backup jobs, backup policies, key checks.
  void RunBackupsAndKeysLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // CancelOperation of a backup verb: true when `op` was one (handled).
  bool CancelBackupJobLocked(v1::Operation* op)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // RestoreBackup: an agent-mode backup restores only within its
  // environment (its agent's bucket); a cross-account one not into an
  // agent-mode environment. `field` names the target in the message.
  absl::Status CheckRestoreEnvironmentLocked(const v1::Backup& backup,
                                             const std::string& environment,
                                             const std::string& field) const
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  absl::StatusOr<v1::Operation> StartBackupLocked(Call& call,
                                                  const v1::Cluster& cluster,
                                                  const std::string& backup_id,
                                                  const v1::Backup& spec,
                                                  bool scheduled)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  absl::StatusOr<v1::Operation> StartDeleteBackupLocked(Call& call,
                                                        v1::Backup* backup)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  v1::Operation NewBackupOperationLocked(const Call& call,
                                         const std::string& target)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void RunBackupJobLocked(const std::string& op_name)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void RunBackupPoliciesLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  std::string BackupDirLocked(const v1::Cluster& c,
                              const std::string& backup_id) const
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // ---- data-plane refusals as audit events (data_plane_audit.cc) ----
  // The observer a cross-account data plane of `cluster` reports refused
  // calls to (ServerOptions::on_access_denied): it queues them without
  // taking mu_ (a data plane may be stopped under mu_).
  std::function<void(const server::AccessDenial&)> DataPlaneAuditObserver(
      const std::string& cluster);
  // Writes the queued refusals as audit events.
  void DrainDataPlaneAuditLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Agent mode: refusals forwarded by the agent of `environment` (only for
  // its own clusters).
  void AgentAccessDenialsLocked(const std::string& environment,
                                const v1::AgentAccessDenials& denials)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void DataPlaneAuditEventLocked(const std::string& cluster,
                                 const server::AccessDenial& d)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // An event of the control plane itself (actor "system").
  void SystemEventLocked(const std::string& action, const std::string& resource,
                         const absl::Status& status, const std::string& message)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Keys: "<bucket>/.kms/{name}.key" of `environment` for "keys/{name}".
  absl::StatusOr<std::string> KeyFileLocked(const std::string& environment,
                                            const std::string& key_ref) const
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // The key's fingerprint; FailedPrecondition when it is not available.
  absl::StatusOr<std::string> KeyIdLocked(const std::string& environment,
                                          const std::string& key_ref) const
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // FailedPrecondition unless the cluster's key (if any) is available and
  // the one it was created with.
  absl::Status CheckClusterKeyLocked(const v1::Cluster& c) const
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // CreateCluster: validates cluster.encryption_key and records its
  // fingerprint, and the backup policy.
  absl::Status PrepareClusterKeyLocked(const v1::Cluster& in, v1::Cluster* c)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // The cipher that seals `c`'s backups: its customer-managed key (checked
  // as CheckClusterKeyLocked), or its backup data key, created in the
  // environment's key store on first use (hosting::BackupDataKeyRef).
  absl::StatusOr<internal::Cipher> BackupCipherLocked(
      const v1::Cluster& c) const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // CreateEnvironment (cross-account): FailedPrecondition when `bucket`
  // equals, contains or is inside the bucket of another environment (of any
  // organization) or the location of a backup; the message never names the
  // other environment (backups.cc).
  absl::Status CheckBucketAvailableLocked(const std::string& bucket) const
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // The data plane's engine options (encryption at rest with the key file).
  absl::StatusOr<EmbeddedOptions> DataPlaneOptionsLocked(
      const v1::Cluster& c) const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Stops RUNNING clusters whose key was revoked.
  void CheckKeysLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // When the cluster's key is unavailable: stops its data plane, leaves it
  // SUSPENDED ("customer key revoked: ..."), writes the event; true then.
  bool SuspendIfKeyRevokedLocked(v1::Cluster* c)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  // ---- agent mode (agent_core.cc) ----
  struct AgentSession;
  /// What the agent's heartbeats report of a cluster's data plane (the
  /// control plane never asks the data plane itself).
  struct AgentUsageSamples {
    bool running = false;  // RUNNING in the last report
    v1::AgentUsage latest;
    // (agent's clock in ms, requests per kind) of each heartbeat, kept for
    // the longest metrics window (600 s) and one sample before it.
    std::deque<std::pair<int64_t, std::vector<int64_t>>> samples;
  };
  // True when `environment` is an agent-mode environment.
  bool IsAgentEnvironmentLocked(const std::string& environment) const
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Carries out the due operation `op_name` of a cluster in an agent-mode
  // environment: sends it to the connected agent, or lets it wait for one
  // (and fails it with UNAVAILABLE after the agent operation timeout).
  void AgentExecuteLocked(const std::string& op_name)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // The same for the due backup job `op_name` (CreateBackup, DeleteBackup or
  // RestoreBackup) of an agent-mode backup or cluster.
  void AgentExecuteBackupLocked(const std::string& op_name)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // The usage of `cluster`, or nullptr before its agent reported any.
  const AgentUsageSamples* AgentUsageLocked(const std::string& cluster) const
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Requests of kind `kind` (index into AgentUsage.kinds; -1: every kind)
  // in the last `window_seconds` of the agent's clock, from heartbeats.
  static int64_t AgentRequestsInWindow(const AgentUsageSamples& usage,
                                       int window_seconds, int kind);
  // True when the autoscaler may act on `cluster`'s usage: its agent is
  // connected and reported the data plane RUNNING.
  bool AgentUsageFreshLocked(const v1::Cluster& cluster) const
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // The control plane forgot `cluster` (purged): tells the agent to delete
  // its data now, or at its next connection (reconciliation).
  void AgentForgetClusterLocked(const v1::Cluster& cluster)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Stops the data plane of `cluster` on its agent (now, or by
  // reconciliation when the agent is back): a failed restore into a new
  // cluster.
  void AgentStopClusterLocked(const v1::Cluster& cluster)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // The environment is deleted: its agent's stream ends (its credential is
  // dropped by the caller, so it cannot come back).
  void AgentEnvironmentDeletedLocked(const std::string& environment)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Notices environments whose agent has been gone longer than the
  // heartbeat timeout (they become DISCONNECTED), and hung agents.
  void AgentTickLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Checks the hello and makes `session` the environment's session; the
  // welcome to send. UNAUTHENTICATED / NOT_FOUND / INVALID_ARGUMENT.
  absl::StatusOr<v1::AgentWelcome> AgentRegisterLocked(
      const v1::AgentHello& hello, const std::shared_ptr<AgentSession>& session,
      const std::string& peer) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  absl::StatusOr<std::string> AgentEnvironmentByTokenLocked(
      const std::string& token) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void AgentReconcileLocked(const std::string& environment,
                            const v1::AgentHello& hello)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void AgentHeartbeatLocked(const std::shared_ptr<AgentSession>& session,
                            const v1::AgentHeartbeat& heartbeat)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void AgentResultLocked(const std::shared_ptr<AgentSession>& session,
                         const v1::AgentCommandResult& result)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // The result of a backup command: records the Backup READY or FAILED and
  // finishes its operation.
  void AgentBackupResultLocked(const v1::AgentCommandResult& r, int code)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void AgentSessionEndedLocked(const std::shared_ptr<AgentSession>& session)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // The agent reported that it stopped `cluster` because its customer key
  // left the agent's key store: SUSPENDED, "clusters.keyRevoked" event.
  void AgentKeyRevokedLocked(const v1::AgentClusterStatus& status)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Records the usage of a heartbeat's cluster status.
  void AgentRecordUsageLocked(const v1::AgentClusterStatus& status)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Agents whose stream is open but that sent no heartbeat within the
  // heartbeat timeout: their stream is ended and the environment becomes
  // DISCONNECTED.
  void AgentDetectHungLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Applies what the agent reports about a RUNNING cluster (endpoint,
  // usage) without changing its state.
  void AgentObserveLocked(const v1::AgentClusterStatus& status)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void AgentSendLocked(const std::string& environment, v1::AgentCommand command)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  std::shared_ptr<AgentSession> AgentSessionLocked(
      const std::string& environment) const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Makes the due operations of `environment` run again (now).
  void AgentRequeueLocked(const std::string& environment)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  // Environments.
  v1::EnvironmentValidation ValidateEnvironmentLocked(
      const v1::Environment& env) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Invitations past expire_time become EXPIRED.
  void ExpireInvitationsLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  const CloudOptions options_;
  const std::string tls_cert_file_, tls_key_file_;
  std::string cache_key_;  // keys the verified-secret tags

  mutable absl::Mutex mu_;
  std::unique_ptr<Store> store_ ABSL_GUARDED_BY(mu_);
  std::map<std::string, v1::Organization> orgs_ ABSL_GUARDED_BY(mu_);
  std::map<std::string, v1::Member> members_ ABSL_GUARDED_BY(mu_);
  std::map<std::string, v1::Invitation> invitations_ ABSL_GUARDED_BY(mu_);
  std::map<std::string, v1::Project> projects_ ABSL_GUARDED_BY(mu_);
  std::map<std::string, v1::Environment> environments_ ABSL_GUARDED_BY(mu_);
  std::map<std::string, v1::Cluster> clusters_ ABSL_GUARDED_BY(mu_);
  std::map<std::string, v1::ApiKey> api_keys_ ABSL_GUARDED_BY(mu_);
  std::map<std::string, v1::Role> roles_ ABSL_GUARDED_BY(mu_);
  std::map<std::string, v1::RoleBinding> bindings_ ABSL_GUARDED_BY(mu_);
  std::map<std::string, v1::Operation> operations_ ABSL_GUARDED_BY(mu_);
  std::map<std::string, Pending> pending_ ABSL_GUARDED_BY(mu_);
  std::vector<v1::AuditEvent> audit_ ABSL_GUARDED_BY(mu_);
  int64_t next_audit_id_ ABSL_GUARDED_BY(mu_) = 1;
  // Hashed secrets by resource name ("admin", API keys, invitations,
  // environments' agent tokens), and key id -> resource name.
  std::map<std::string, auth::PasswordHash> secrets_ ABSL_GUARDED_BY(mu_);
  std::map<std::string, std::string> secret_key_ids_ ABSL_GUARDED_BY(mu_);
  std::map<std::string, std::string> key_ids_ ABSL_GUARDED_BY(mu_);
  std::map<std::string, std::string> verified_ ABSL_GUARDED_BY(mu_);
  std::map<std::string, RequestRecord> requests_ ABSL_GUARDED_BY(mu_);
  // Create operations' data-plane passwords and the actors that may see
  // them (sealed in the state until seen: SealPasswordLocked).
  std::map<std::string, std::string> op_passwords_ ABSL_GUARDED_BY(mu_);
  std::optional<internal::Cipher> sealing_cipher_ ABSL_GUARDED_BY(mu_);
  std::map<std::string, std::string> op_creators_ ABSL_GUARDED_BY(mu_);
  std::map<std::string, Runtime> runtimes_ ABSL_GUARDED_BY(mu_);
  std::map<std::string, hosting::ClusterPorts> ports_ ABSL_GUARDED_BY(mu_);
  std::vector<FaultRecord> faults_ ABSL_GUARDED_BY(mu_);
  std::map<std::string, AutoscaleState> autoscale_ ABSL_GUARDED_BY(mu_);
  absl::Mutex rpc_mu_;
  std::map<std::pair<std::string, int>, int64_t> rpc_counts_
      ABSL_GUARDED_BY(rpc_mu_);
  std::map<std::string, v1::Backup> backups_ ABSL_GUARDED_BY(mu_);
  std::map<std::string, BackupJob> backup_jobs_ ABSL_GUARDED_BY(mu_);

  absl::Duration transition_delay_ ABSL_GUARDED_BY(mu_);
  absl::Duration retention_ ABSL_GUARDED_BY(mu_);
  std::map<std::string, int64_t> vectors_per_cu_ ABSL_GUARDED_BY(mu_);
  std::map<std::string, int64_t> bytes_per_cu_ ABSL_GUARDED_BY(mu_);
  bool manual_clock_ ABSL_GUARDED_BY(mu_) = false;
  absl::Time manual_now_ ABSL_GUARDED_BY(mu_);
  // manual_now_ in Unix ns, -1 on the real clock (MirrorClockLocked).
  std::atomic<int64_t> clock_mirror_ns_{-1};
  // Auto-idle: the time (emulator clock, Unix ns) of each serving cluster's
  // last data-plane request, written by its data plane's threads.
  std::map<std::string, std::shared_ptr<std::atomic<int64_t>>> activity_
      ABSL_GUARDED_BY(mu_);
  std::map<std::string, std::unique_ptr<hosting::IdleListener>> idle_listeners_
      ABSL_GUARDED_BY(mu_);
  // Agent mode: what the agent last reported of each cluster's activity
  // and idle transitions, and the idle command in flight (by cluster).
  struct AgentIdleState {
    int64_t requests = -1;     // the agent's count (-1: none seen yet)
    absl::Time active;         // when the count last changed (emulator clock)
    int64_t epoch = -1;        // the highest idle_epoch seen
    int64_t sent_session = 0;  // the session an idle command went to (0: none)
  };
  std::map<std::string, AgentIdleState> agent_idle_ ABSL_GUARDED_BY(mu_);
  // Clusters whose idle endpoint was called; taken by the scheduler. Never
  // held with mu_ taken after it.
  absl::Mutex wake_mu_ ABSL_ACQUIRED_AFTER(mu_);
  std::set<std::string> wake_requests_ ABSL_GUARDED_BY(wake_mu_);

  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  bool wake_ ABSL_GUARDED_BY(mu_) = false;
  std::thread scheduler_;
  // Agent mode: sessions of cove-agent and the operations they carry out
  // (agent_core.cc).
  struct AgentSession {
    int64_t id = 0;
    std::string environment;
    std::shared_ptr<AgentStream> stream;
    // The last heartbeat (or the registration), on the emulator clock and
    // in real time.
    absl::Time last_beat;
    absl::Time last_beat_real;
  };
  std::map<const AgentStream*, std::shared_ptr<AgentSession>> agent_streams_
      ABSL_GUARDED_BY(mu_);
  std::map<std::string, std::shared_ptr<AgentSession>> agent_sessions_
      ABSL_GUARDED_BY(mu_);  // by environment
  std::map<std::string, absl::Time> agent_lost_at_
      ABSL_GUARDED_BY(mu_);  // by environment
  std::map<std::string, int64_t> agent_sent_
      ABSL_GUARDED_BY(mu_);  // op -> session id
  std::map<std::string, absl::Time> agent_waiting_
      ABSL_GUARDED_BY(mu_);  // op -> since
  std::map<std::string, AgentUsageSamples> agent_usage_
      ABSL_GUARDED_BY(mu_);  // by cluster
  int64_t next_agent_session_id_ ABSL_GUARDED_BY(mu_) = 1;
  bool agent_shutdown_ ABSL_GUARDED_BY(mu_) = false;
  // Data-plane refusals waiting for DrainDataPlaneAuditLocked.
  struct PendingDenial {
    std::string cluster;
    server::AccessDenial denial;
  };
  absl::Mutex denials_mu_ ABSL_ACQUIRED_AFTER(mu_);
  std::vector<PendingDenial> denials_ ABSL_GUARDED_BY(denials_mu_);
  std::map<std::string, int64_t> denials_dropped_ ABSL_GUARDED_BY(denials_mu_);

  // ---- licenses and cost (licenses.cc; issue 19) ----
  struct LicenseUse {
    int64_t cus = 0;
    int64_t replicas = 0;
  };
  // What the clusters of `project` hold against its license: every cluster
  // but DELETED ones, with the larger of its size and a scale in flight;
  // `except` (a cluster name) is left out.
  LicenseUse LicenseUseLocked(const std::string& project,
                              const std::string& except) const
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // RESOURCE_EXHAUSTED naming the license, the limit, the use and the
  // request when `cluster` of `project` at cu_size x replicas would take
  // the project past a limit of its license and grows its use (`verb`
  // names the request in the message). OK without a license.
  absl::Status CheckLicenseLocked(const std::string& project,
                                  const std::string& cluster, int cu_size,
                                  int replicas, const std::string& verb) const
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // The project with its license's use filled in.
  v1::Project ProjectViewLocked(const v1::Project& p) const
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // The autoscaler's decision `cu_size` x `replicas` for `c`, capped to
  // what the license leaves (largest fitting size and replicas between the
  // current ones and the decision's); false when nothing fits (then
  // `*refusal` says why).
  bool CapToLicenseLocked(const v1::Cluster& c, int* cu_size, int* replicas,
                          std::string* refusal) const
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  v1::PriceTable price_table_ ABSL_GUARDED_BY(mu_);

  // ---- alerts (alerts.cc, webhooks.h; issue 19) ----
  // Rules by name (webhook secrets cleared: they live in alert_secrets_).
  std::map<std::string, v1::AlertRule> alert_rules_ ABSL_GUARDED_BY(mu_);
  std::map<std::string, std::string> alert_secrets_ ABSL_GUARDED_BY(mu_);
  int64_t next_notification_ ABSL_GUARDED_BY(mu_) = 1;
  // Never takes mu_; queued to under mu_ (its own mutex after mu_).
  std::unique_ptr<WebhookSender> webhooks_;
  // Loads the rules and their sealed secrets; starts the webhook sender.
  absl::Status StartAlertsLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void StopAlerts();
  // One evaluation pass over every rule (RunDueLocked).
  void EvaluateAlertsLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // The rule's metric now; nullopt: no value.
  std::optional<double> AlertValueLocked(const v1::AlertRule& rule)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Sends `event` ("firing", "resolved", "test") of `rule` to its channels;
  // returns the notification id.
  std::string NotifyAlertLocked(const v1::AlertRule& rule,
                                const std::string& event)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  v1::AlertRule AlertRuleViewLocked(const v1::AlertRule& rule) const
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // The rule's cluster exists (NOT_FOUND) and suits its metric
  // (AGENT_DISCONNECTED: an agent-mode cluster; INVALID_ARGUMENT).
  absl::Status CheckRuleClusterLocked(const v1::AlertRule& rule)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // AuthorizeLocked, but a rule outside the caller's organization answers
  // NOT_FOUND like a missing one.
  absl::Status AuthorizeAlertLocked(Call& call, const std::string& action,
                                    const std::string& name)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  absl::Status PersistAlertRuleLocked(const v1::AlertRule& rule)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // The cluster metrics GetClusterMetrics returns, over `window` seconds
  // (cluster_metrics.cc).
  void FillClusterMetricsLocked(const v1::Cluster& cluster, int window,
                                v1::ClusterMetrics* m)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // ---- support access (support_access.cc; issue 19) ----
  // Loads support principals, grants and the grants' sealed data-plane
  // passwords (Start).
  absl::Status LoadSupportAccessLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // The ACTIVE, unexpired grant of support principal `p` that allows
  // `action` on `resource`, or nullptr: a grant opens only its cluster (and
  // what is below it), only for the support actions, only until its
  // expire_time, and never a cluster created after it was requested.
  const v1::SupportAccessGrant* SupportGrantForLocked(
      const Principal& p, const std::string& action,
      const std::string& resource) const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // ACTIVE grants past their expire_time become EXPIRED (scheduler).
  void SupportAccessTickLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Gives the data plane of `cluster` the grants in force on it (the
  // cross-account data plane's table; agent mode: AgentSetSupportAccess).
  void ApplySupportSessionsLocked(const std::string& cluster)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  std::vector<server::SupportSession> SupportSessionListLocked(
      const std::string& cluster) const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  v1::AgentCommand AgentSupportAccessCommand(const std::string& cluster) const
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // The table a cross-account data plane of `cluster` reads (made on first
  // use, filled with the grants in force).
  std::shared_ptr<server::SupportSessions> SupportSessionsLocked(
      const std::string& cluster) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Queues the data plane's support calls for the audit log.
  std::function<void(const server::SupportCall&)> SupportCallObserver(
      const std::string& cluster);
  void DrainSupportCallsLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // One audit event for a data-plane call made with a grant (`grant_id`
  // the last segment of its name), under the grant's support principal;
  // false when no grant of that id is on `cluster` (ignored).
  bool SupportCallEventLocked(const std::string& cluster,
                              const server::SupportCall& call)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Agents' forwarded support calls (data_plane_audit.cc calls it).
  void AgentSupportCallsLocked(const std::string& environment,
                               const v1::AgentAccessDenials& in)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // The grant as `p` may see it (the data-plane password only to its
  // requester, while ACTIVE, when `reveal`).
  v1::SupportAccessGrant SupportGrantViewLocked(const v1::SupportAccessGrant& g,
                                                const Principal& p,
                                                bool reveal) const
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  absl::Status SupportAction(const RequestContext& ctx, const char* method,
                             const char* action,
                             const v1::SupportAccessActionRequest& req,
                             v1::SupportAccessGrant* resp);
  std::map<std::string, v1::SupportPrincipal> support_principals_
      ABSL_GUARDED_BY(mu_);
  std::map<std::string, v1::SupportAccessGrant> support_grants_
      ABSL_GUARDED_BY(mu_);
  // Data-plane passwords of ACTIVE grants (sealed in the state).
  std::map<std::string, std::string> support_passwords_ ABSL_GUARDED_BY(mu_);
  std::map<std::string, std::shared_ptr<server::SupportSessions>>
      support_sessions_ ABSL_GUARDED_BY(mu_);  // by cluster
  struct PendingSupportCall {
    std::string cluster;
    server::SupportCall call;
  };
  std::vector<PendingSupportCall> support_calls_ ABSL_GUARDED_BY(denials_mu_);
  // ---- versions and upgrades (upgrades.cc; issue 19) ----
  // The release catalog by version (CloudOptions::releases, changed by
  // Emulator.UpdateSettings; memory only like the other settings).
  std::map<std::string, v1::Release> releases_ ABSL_GUARDED_BY(mu_);
  void InitReleasesLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // The release new clusters get.
  std::string DefaultReleaseLocked() const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // The releases `version` can be upgraded to, oldest first.
  std::vector<std::string> UpgradesOfLocked(const std::string& version) const
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // UpdateSettings' releases: checked (InvalidArgument naming the field)
  // and, with `apply`, merged into the catalog.
  absl::Status UpdateReleasesLocked(
      const google::protobuf::RepeatedPtrField<v1::Release>& in, bool apply)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void FillReleasesLocked(v1::EmulatorSettings* settings) const
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // The version and available upgrades of a cluster view.
  void UpgradeViewLocked(v1::Cluster* view) const
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // The maintenance window in force for `c` (its own, else its project's;
  // null without one); `*source` says which.
  const v1::MaintenanceWindow* WindowOfLocked(const v1::Cluster& c,
                                              std::string* source) const
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // A due UpgradeCluster operation: false when it keeps waiting (its
  // window is not open, or the cluster is busy: moved to the next
  // opening); true when it runs now (the cluster MODIFYING).
  bool UpgradeMayRunLocked(const std::string& op_name, v1::Cluster* c)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // One step of the rolling upgrade of a cross-account cluster's data
  // plane (hosting::RollingUpgrade: one replica, or the rollback after a
  // failure), so that the scheduler releases mu_ between replicas and the
  // operation's progress_percent shows the replicas done. True once done
  // (`*status` its outcome; the cluster's version is the release serving
  // afterwards); false while replicas remain (the next pass goes on).
  bool UpgradeStepLocked(v1::Operation* op, v1::Cluster* c, const Pending& p,
                         absl::Status* status)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // A cancelled upgrade in the middle: its upgraded replicas are rolled
  // back.
  void AbortRollingUpgradeLocked(const std::string& op_name)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Rolling upgrades in flight, by operation (memory only: after a
  // restart the data plane starts on the cluster's version and the
  // upgrade starts over).
  std::map<std::string, std::unique_ptr<hosting::RollingUpgrade>> rolling_
      ABSL_GUARDED_BY(mu_);
  // A rolling upgrade has more steps: the scheduler passes again at once.
  bool rerun_ ABSL_GUARDED_BY(mu_) = false;
  // The unhealthy reason of a broken release ("" for a sound one).
  std::string BrokenReasonLocked(const std::string& version) const
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
};

}  // namespace cove::cloud

#endif  // COVE_SRC_CLOUD_CLOUD_CORE_H_
