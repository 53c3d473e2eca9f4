// The agent's implementation (agent.h), split by concern:
//   agent.cc           options, state files, start and stop, Agent's methods
//   agent_clusters.cc  the clusters it hosts (through hosting/data_plane.h),
//                      their keys, backups, and the commands it carries out
//   agent_session.cc   the connection to the control plane (dial out,
//                      register, heartbeats, commands, reconnect)
#ifndef COVE_SRC_AGENT_AGENT_IMPL_H_
#define COVE_SRC_AGENT_AGENT_IMPL_H_

#include <grpcpp/grpcpp.h>

#include <atomic>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "absl/synchronization/mutex.h"
#include "agent/agent.h"
#include "common/cipher.h"
#include "cove/control/v1/agent.grpc.pb.h"
#include "hosting/data_plane.h"
#include "hosting/idle_listener.h"
#include "server/server.h"

namespace cove::agent {

namespace v1 = ::cove::control::v1;

inline constexpr char kCredentialFile[] = "credential.json";
inline constexpr char kClustersFile[] = "clusters.json";

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
    // While it runs (hosting/data_plane.h); shared with backups and
    // restores, which run without mu_.
    std::shared_ptr<hosting::DataPlane> plane;
    std::string message;  // why it is not running, if it failed
    // The cluster's ports, held for its lifetime while it does not serve.
    hosting::ClusterPorts ports;
    // Support access grants in force (issue 19): set by
    // AgentSetSupportAccess (sent after every hello, so never saved), read
    // by the data plane.
    std::shared_ptr<server::SupportSessions> support =
        std::make_shared<server::SupportSessions>();
    // Auto-idle (issue 19): data-plane calls that reached the engine since
    // the agent started (reported; the control plane times idleness), and
    // the idle endpoint while it is IDLE.
    std::shared_ptr<std::atomic<int64_t>> requests =
        std::make_shared<std::atomic<int64_t>>(0);
    std::unique_ptr<hosting::IdleListener> idle_listener;
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
  // Calls made with support access grants (forwarded with the refusals).
  void QueueSupportCall(const std::string& cluster,
                        const server::SupportCall& c);
  std::thread loop_;
  // Auto-idle: idle endpoints that were called (by cluster), taken by the
  // waker thread, which starts their data planes at once. An idle
  // endpoint's callback takes only wake_mu_ (never mu_), so that stopping
  // it under mu_ is safe.
  absl::Mutex wake_mu_;
  std::set<std::string> wake_requests_ ABSL_GUARDED_BY(wake_mu_);
  bool wake_stopping_ ABSL_GUARDED_BY(wake_mu_) = false;
  std::thread waker_;
  void WakeLoop();
  // A heartbeat is due at once (a cluster woke).
  bool beat_now_ ABSL_GUARDED_BY(mu_) = false;

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
  // Auto-idle (issue 19): AgentIdleCluster (the data plane stopped, an
  // idle endpoint on its ports), the idle endpoint itself, and the wake
  // (StartDataPlaneLocked closes the idle endpoint first).
  absl::Status IdleLocked(const std::string& name,
                          const v1::AgentIdleCluster& cmd)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  absl::Status StartIdleListenerLocked(Local* local)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Closes the idle endpoint (its ports held again); false when none.
  bool StopIdleListenerLocked(Local* local) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // AgentUpgradeCluster (issue 19).
  // `progress` is told the percent of replicas done after each one.
  absl::Status UpgradeLocked(const std::string& name,
                             const v1::AgentUpgradeCluster& upgrade,
                             const std::function<void(int)>& progress)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  absl::Status SaveClustersLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  absl::Status CreateLocked(const std::string& name,
                            const v1::AgentCreateCluster& create)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  absl::Status StartLocked(const std::string& name,
                           const v1::AgentStartCluster& start)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // AgentSetIpAccessList: in force at once on a running data plane, and
  // kept for later starts.
  // AgentSetEndpoints (issue 19): the running data plane's listeners change
  // (hosting::DataPlane::ChangeEndpoints), kept for later starts.
  absl::Status SetEndpointsLocked(const std::string& name,
                                  const v1::AgentSetEndpoints& cmd)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  absl::Status SetIpAccessListLocked(const std::string& name,
                                     const v1::AgentSetIpAccessList& cmd)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // AgentSetSupportAccess: the grants in force, at once.
  absl::Status SetSupportAccessLocked(const std::string& name,
                                      const v1::AgentSetSupportAccess& cmd)
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

}  // namespace cove::agent

#endif  // COVE_SRC_AGENT_AGENT_IMPL_H_
