// AgentHub: the control plane's side of agent mode. It serves the
// AgentGateway stream that cove-agent opens (the control plane never dials
// out), registers agents (one-time token, then a long-lived credential),
// records heartbeats, hands the cluster verbs of agent-mode environments to
// the connected agent instead of running them locally, completes their
// operations from the agent's results, notices lost agents and reconciles
// state when an agent comes back.
//
// Locking: the hub's state is guarded by CloudCore::mu_ (the hub is a friend
// of CloudCore); the *Locked methods are called with it held. Each session
// has a small outbox with its own mutex, so that commands are queued under
// mu_ without blocking on the network.
#ifndef COVE_SRC_CLOUD_AGENT_HUB_H_
#define COVE_SRC_CLOUD_AGENT_HUB_H_

#include <grpcpp/grpcpp.h>

#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "cove/control/v1/agent.grpc.pb.h"
#include "cove/control/v1/resources.pb.h"

namespace cove::cloud {

class CloudCore;

class AgentHub final : public ::cove::control::v1::AgentGateway::Service {
 public:
  explicit AgentHub(CloudCore* core);
  ~AgentHub() override;

  /// One agent's stream: hello, welcome, then heartbeats and results in,
  /// commands out, until either side ends it.
  grpc::Status Connect(
      grpc::ServerContext* ctx,
      grpc::ServerReaderWriter<::cove::control::v1::ControlMessage,
                               ::cove::control::v1::AgentMessage>* stream)
      override;

  /// Ends every session (the control plane is stopping).
  void Shutdown();

  // ---- called by CloudCore with its mutex held ----

  /// True when `environment` is an agent-mode environment.
  bool IsAgentEnvironmentLocked(const std::string& environment) const;
  /// Carries out the due operation `op_name` of a cluster in an agent-mode
  /// environment: sends it to the connected agent, or lets it wait for one
  /// (and fails it with UNAVAILABLE after the agent operation timeout).
  void ExecuteLocked(const std::string& op_name);
  /// Carries out the due backup job `op_name` (CreateBackup, DeleteBackup or
  /// RestoreBackup) of an agent-mode backup or cluster: sends the command to
  /// the connected agent, or lets it wait (and fails it after the agent
  /// operation timeout).
  void ExecuteBackupLocked(const std::string& op_name);

  /// What the agent's heartbeats report of a cluster's data plane (the
  /// control plane never asks the data plane itself).
  struct Usage {
    bool running = false;  // RUNNING in the last report
    ::cove::control::v1::AgentUsage latest;
    // (agent's clock in ms, requests per kind) of each heartbeat, kept for
    // the longest metrics window (600 s) and one sample before it.
    std::deque<std::pair<int64_t, std::vector<int64_t>>> samples;
  };
  /// The usage of `cluster`, or nullptr before its agent reported any.
  const Usage* UsageLocked(const std::string& cluster) const;
  /// Requests of kind `kind` (index into AgentUsage.kinds; -1: every kind)
  /// in the last `window_seconds` of the agent's clock, from heartbeats.
  static int64_t RequestsInWindow(const Usage& usage, int window_seconds,
                                  int kind);
  /// True when the autoscaler may act on `cluster`'s usage: its agent is
  /// connected and reported the data plane RUNNING.
  bool UsageFreshLocked(const ::cove::control::v1::Cluster& cluster) const;
  /// The control plane forgot `cluster` (purged): tells the agent to delete
  /// its data now, or at its next connection (reconciliation).
  void ForgetClusterLocked(const ::cove::control::v1::Cluster& cluster);
  /// Stops the data plane of `cluster` on its agent (now, or by
  /// reconciliation when the agent is back): a failed restore into a new
  /// cluster.
  void StopClusterLocked(const ::cove::control::v1::Cluster& cluster);
  /// The environment is deleted: its agent's stream ends (its credential is
  /// dropped by the caller, so it cannot come back).
  void EnvironmentDeletedLocked(const std::string& environment);
  /// Notices environments whose agent has been gone longer than the
  /// heartbeat timeout (they become DISCONNECTED).
  void TickLocked();

 private:
  struct Session;
  using Stream = grpc::ServerReaderWriter<::cove::control::v1::ControlMessage,
                                          ::cove::control::v1::AgentMessage>;

  // Checks the hello and makes `session` the environment's session; the
  // welcome to send. UNAUTHENTICATED / NOT_FOUND / INVALID_ARGUMENT.
  absl::StatusOr<::cove::control::v1::AgentWelcome> RegisterLocked(
      const ::cove::control::v1::AgentHello& hello,
      const std::shared_ptr<Session>& session, const std::string& peer);
  absl::StatusOr<std::string> FindEnvironmentByTokenLocked(
      const std::string& token);
  void ReconcileLocked(const std::string& environment,
                       const ::cove::control::v1::AgentHello& hello);
  void HeartbeatLocked(const std::shared_ptr<Session>& session,
                       const ::cove::control::v1::AgentHeartbeat& heartbeat);
  void ResultLocked(const std::shared_ptr<Session>& session,
                    const ::cove::control::v1::AgentCommandResult& result);
  // The result of a backup command: records the Backup READY or FAILED and
  // finishes its operation.
  void BackupResultLocked(const ::cove::control::v1::AgentCommandResult& r,
                          int code);
  void SessionEndedLocked(const std::shared_ptr<Session>& session);
  // The agent reported that it stopped `cluster` because its customer key
  // left the agent's key store: SUSPENDED, "clusters.keyRevoked" event.
  void KeyRevokedLocked(const ::cove::control::v1::AgentClusterStatus& status);
  // Records the usage of a heartbeat's cluster status.
  void RecordUsageLocked(const ::cove::control::v1::AgentClusterStatus& status);
  // Agents whose stream is open but that sent no heartbeat within the
  // heartbeat timeout: their stream is ended and the environment becomes
  // DISCONNECTED.
  void DetectHungLocked();
  // Applies what the agent reports about a RUNNING cluster (endpoint,
  // usage) without changing its state.
  void ObserveLocked(const ::cove::control::v1::AgentClusterStatus& status);
  void SendLocked(const std::string& environment,
                  ::cove::control::v1::AgentCommand command);
  std::shared_ptr<Session> SessionLocked(const std::string& environment) const;
  // Makes the due operations of `environment` run again (now).
  void RequeueLocked(const std::string& environment);

  CloudCore* const core_;
  // Guarded by core_->mu_.
  std::map<std::string, std::shared_ptr<Session>> sessions_;  // by env
  std::map<std::string, absl::Time> lost_at_;                 // by env
  std::map<std::string, int64_t> sent_;        // op -> session id
  std::map<std::string, absl::Time> waiting_;  // op -> since
  std::map<std::string, Usage> usage_;         // by cluster
  int64_t next_session_id_ = 1;
  bool shutdown_ = false;
};

/// The secret name under which an environment's agent credential is stored.
std::string AgentCredentialSecretName(const std::string& environment);

}  // namespace cove::cloud

#endif  // COVE_SRC_CLOUD_AGENT_HUB_H_
