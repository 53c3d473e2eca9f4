// cove::ControlConnection: the interface behind cove::ControlClient, one
// virtual method per RPC of the cove.control.v1 ControlPlane and Emulator
// services, plus the polling of operations. The gRPC backend implements it;
// users' tests put a mock here (cove/mocks/mock_control_connection.h).
#ifndef COVE_INCLUDE_COVE_CONTROL_CONNECTION_H_
#define COVE_INCLUDE_COVE_CONTROL_CONNECTION_H_

#include <chrono>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "cove/control_types.h"

namespace cove {

/// The RPCs of the control plane. The connection ControlClient::Connect
/// builds (the gRPC backend) gives every create and long-running verb a
/// request id when it has none, retries the calls safe to repeat on
/// Unavailable (with `call.timeout` as the deadline of all attempts and
/// `call.max_attempts` as their number) and polls operations
/// (AwaitOperation). ControlClient adds, over any connection: validation
/// before any RPC, pagers, operation handles and the blocking verbs; it
/// passes requests and `call` through unchanged. A mock is therefore called
/// once per client call, with the request as the caller built it.
///
/// Every method has a default body returning Unimplemented (naming the
/// backend and the method), so adding a method never breaks a user's mock.
///
/// Thread safety: implementations must be safe to call from many threads.
class ControlConnection {
 public:
  virtual ~ControlConnection() = default;

  /// "grpc", "mock", ...: used in error messages.
  virtual std::string backend_name() const { return "unknown"; }

  // Organizations.
  virtual absl::StatusOr<control::Organization> CreateOrganization(
      const control::CreateOrganizationRequest& request,
      const ControlCallOptions& call);
  virtual absl::StatusOr<control::Organization> GetOrganization(
      const std::string& name, const ControlCallOptions& call);
  virtual absl::StatusOr<control::Page<control::Organization>>
  ListOrganizations(const control::ListRequest& request,
                    const ControlCallOptions& call);
  virtual absl::StatusOr<control::Organization> UpdateOrganization(
      const control::Organization& organization,
      const std::vector<std::string>& update_mask,
      const ControlCallOptions& call);
  virtual absl::Status DeleteOrganization(const control::DeleteRequest& request,
                                          const ControlCallOptions& call);

  // Members and invitations.
  virtual absl::StatusOr<control::Page<control::Member>> ListMembers(
      const control::ListRequest& request, const ControlCallOptions& call);
  virtual absl::StatusOr<control::Member> GetMember(
      const std::string& name, const ControlCallOptions& call);
  virtual absl::StatusOr<control::Member> UpdateMember(
      const control::Member& member,
      const std::vector<std::string>& update_mask,
      const ControlCallOptions& call);
  virtual absl::Status DeleteMember(const control::DeleteRequest& request,
                                    const ControlCallOptions& call);
  virtual absl::StatusOr<control::Invitation> CreateInvitation(
      const control::CreateInvitationRequest& request,
      const ControlCallOptions& call);
  virtual absl::StatusOr<control::Invitation> GetInvitation(
      const std::string& name, const ControlCallOptions& call);
  virtual absl::StatusOr<control::Page<control::Invitation>> ListInvitations(
      const control::ListRequest& request, const ControlCallOptions& call);
  virtual absl::StatusOr<control::Invitation> RevokeInvitation(
      const control::DeleteRequest& request, const ControlCallOptions& call);
  virtual absl::StatusOr<control::AcceptInvitationResult> AcceptInvitation(
      const control::AcceptInvitationRequest& request,
      const ControlCallOptions& call);

  // Projects.
  virtual absl::StatusOr<control::Project> CreateProject(
      const control::CreateProjectRequest& request,
      const ControlCallOptions& call);
  virtual absl::StatusOr<control::Project> GetProject(
      const std::string& name, const ControlCallOptions& call);
  virtual absl::StatusOr<control::Page<control::Project>> ListProjects(
      const control::ListRequest& request, const ControlCallOptions& call);
  virtual absl::StatusOr<control::Project> UpdateProject(
      const control::Project& project,
      const std::vector<std::string>& update_mask,
      const ControlCallOptions& call);
  virtual absl::Status DeleteProject(const control::DeleteRequest& request,
                                     const ControlCallOptions& call);

  // Environments.
  virtual absl::StatusOr<control::Environment> CreateEnvironment(
      const control::CreateEnvironmentRequest& request,
      const ControlCallOptions& call);
  virtual absl::StatusOr<control::Environment> GetEnvironment(
      const std::string& name, const ControlCallOptions& call);
  virtual absl::StatusOr<control::Page<control::Environment>> ListEnvironments(
      const control::ListRequest& request, const ControlCallOptions& call);
  virtual absl::Status DeleteEnvironment(const control::DeleteRequest& request,
                                         const ControlCallOptions& call);
  virtual absl::StatusOr<control::EnvironmentValidation> ValidateEnvironment(
      const std::string& name, const ControlCallOptions& call);
  virtual absl::StatusOr<control::Environment> RotateAgentToken(
      const control::RotateAgentTokenRequest& request,
      const ControlCallOptions& call);

  // Clusters. The long-running verbs return the operation as started.
  virtual absl::StatusOr<control::Operation> CreateCluster(
      const control::CreateClusterRequest& request,
      const ControlCallOptions& call);
  virtual absl::StatusOr<control::Cluster> GetCluster(
      const std::string& name, const ControlCallOptions& call);
  virtual absl::StatusOr<control::Page<control::Cluster>> ListClusters(
      const control::ListRequest& request, const ControlCallOptions& call);
  virtual absl::StatusOr<control::Cluster> UpdateCluster(
      const control::Cluster& cluster,
      const std::vector<std::string>& update_mask,
      const ControlCallOptions& call);
  virtual absl::StatusOr<control::Operation> SuspendCluster(
      const control::ClusterActionRequest& request,
      const ControlCallOptions& call);
  virtual absl::StatusOr<control::Operation> ResumeCluster(
      const control::ClusterActionRequest& request,
      const ControlCallOptions& call);
  virtual absl::StatusOr<control::Operation> ResetClusterPassword(
      const control::ClusterActionRequest& request,
      const ControlCallOptions& call);
  virtual absl::StatusOr<control::Operation> ScaleCluster(
      const control::ScaleClusterRequest& request,
      const ControlCallOptions& call);
  virtual absl::StatusOr<control::Operation> DeleteCluster(
      const control::ClusterActionRequest& request,
      const ControlCallOptions& call);
  virtual absl::StatusOr<control::Operation> RestoreCluster(
      const control::ClusterActionRequest& request,
      const ControlCallOptions& call);
  virtual absl::StatusOr<control::Operation> PurgeCluster(
      const control::ClusterActionRequest& request,
      const ControlCallOptions& call);

  // API keys.
  virtual absl::StatusOr<control::ApiKey> CreateApiKey(
      const control::CreateApiKeyRequest& request,
      const ControlCallOptions& call);
  virtual absl::StatusOr<control::ApiKey> GetApiKey(
      const std::string& name, const ControlCallOptions& call);
  virtual absl::StatusOr<control::Page<control::ApiKey>> ListApiKeys(
      const control::ListRequest& request, const ControlCallOptions& call);
  virtual absl::StatusOr<control::ApiKey> UpdateApiKey(
      const control::ApiKey& api_key,
      const std::vector<std::string>& update_mask,
      const ControlCallOptions& call);
  virtual absl::Status DeleteApiKey(const control::DeleteRequest& request,
                                    const ControlCallOptions& call);

  // Roles, role bindings, permissions.
  virtual absl::StatusOr<control::Role> CreateRole(
      const control::CreateRoleRequest& request,
      const ControlCallOptions& call);
  virtual absl::StatusOr<control::Role> GetRole(const std::string& name,
                                                const ControlCallOptions& call);
  virtual absl::StatusOr<control::Page<control::Role>> ListRoles(
      const control::ListRequest& request, const ControlCallOptions& call);
  virtual absl::StatusOr<control::Role> UpdateRole(
      const control::Role& role, const std::vector<std::string>& update_mask,
      const ControlCallOptions& call);
  virtual absl::Status DeleteRole(const control::DeleteRequest& request,
                                  const ControlCallOptions& call);
  virtual absl::StatusOr<control::RoleBinding> CreateRoleBinding(
      const control::CreateRoleBindingRequest& request,
      const ControlCallOptions& call);
  virtual absl::StatusOr<control::RoleBinding> GetRoleBinding(
      const std::string& name, const ControlCallOptions& call);
  virtual absl::StatusOr<control::Page<control::RoleBinding>> ListRoleBindings(
      const control::ListRequest& request, const ControlCallOptions& call);
  virtual absl::Status DeleteRoleBinding(const control::DeleteRequest& request,
                                         const ControlCallOptions& call);
  virtual absl::StatusOr<std::vector<std::string>> TestPermissions(
      const control::TestPermissionsRequest& request,
      const ControlCallOptions& call);

  // Audit.
  virtual absl::StatusOr<control::Page<control::AuditEvent>> ListAuditEvents(
      const control::ListAuditEventsRequest& request,
      const ControlCallOptions& call);

  // Operations.
  virtual absl::StatusOr<control::Operation> GetOperation(
      const std::string& name, const ControlCallOptions& call);
  virtual absl::StatusOr<control::Page<control::Operation>> ListOperations(
      const control::ListRequest& request, const ControlCallOptions& call);
  virtual absl::StatusOr<control::Operation> WaitOperation(
      const control::WaitOperationRequest& request,
      const ControlCallOptions& call);
  virtual absl::StatusOr<control::Operation> CancelOperation(
      const std::string& name, const ControlCallOptions& call);
  /// Polls the operation `request.name` until it is done or
  /// `request.timeout` passes: the backend's polling. Returns the operation
  /// as last seen (not done when the timeout passed first); DeadlineExceeded
  /// when the control plane did not answer up to the deadline. The gRPC
  /// backend long-polls WaitOperation and retries Unavailable until the
  /// timeout, so a wait outlives a control-plane restart.
  ///
  /// The default body returns Unimplemented, and ControlOperation::Wait then
  /// polls WaitOperation itself (with the client's options and clock): a
  /// connection that implements WaitOperation, a mock included, needs
  /// nothing more.
  virtual absl::StatusOr<control::Operation> AwaitOperation(
      const control::WaitOperationRequest& request,
      const ControlCallOptions& call);

  // Metrics (autoscaling and metrics).
  virtual absl::StatusOr<control::ClusterMetrics> GetClusterMetrics(
      const std::string& name, int32_t window_seconds,
      const ControlCallOptions& call);
  // Backups, restore and the backup policy. CreateBackup, DeleteBackup and
  // RestoreBackup return the operation as started.
  virtual absl::StatusOr<control::Operation> CreateBackup(
      const control::CreateBackupRequest& request,
      const ControlCallOptions& call);
  virtual absl::StatusOr<control::Backup> GetBackup(
      const std::string& name, const ControlCallOptions& call);
  virtual absl::StatusOr<control::Page<control::Backup>> ListBackups(
      const control::ListRequest& request, const ControlCallOptions& call);
  virtual absl::StatusOr<control::Operation> DeleteBackup(
      const control::DeleteRequest& request, const ControlCallOptions& call);
  virtual absl::StatusOr<control::Operation> RestoreBackup(
      const control::RestoreBackupRequest& request,
      const ControlCallOptions& call);
  virtual absl::StatusOr<control::Cluster> SetBackupPolicy(
      const control::SetBackupPolicyRequest& request,
      const ControlCallOptions& call);

  // The emulator's test knobs (cove-cloud only; its admin key only).
  virtual absl::StatusOr<control::EmulatorSettings> GetEmulatorSettings(
      const ControlCallOptions& call);
  virtual absl::StatusOr<control::EmulatorSettings> UpdateEmulatorSettings(
      const control::UpdateEmulatorSettingsRequest& request,
      const ControlCallOptions& call);
  virtual absl::StatusOr<control::EmulatorSettings> SetClock(
      const control::SetClockRequest& request, const ControlCallOptions& call);
  virtual absl::StatusOr<control::EmulatorSettings> AdvanceClock(
      std::chrono::milliseconds by, const ControlCallOptions& call);
  virtual absl::StatusOr<control::Fault> InjectFault(
      const control::Fault& fault, const ControlCallOptions& call);
  virtual absl::StatusOr<std::vector<control::Fault>> ListFaults(
      const ControlCallOptions& call);
  virtual absl::Status ClearFaults(const std::string& verb,
                                   const ControlCallOptions& call);
  // Licenses and cost (issue 19).
  virtual absl::StatusOr<control::Project> SetProjectLicense(
      const control::SetProjectLicenseRequest& request,
      const ControlCallOptions& call);
  virtual absl::StatusOr<control::CostEstimate> EstimateCost(
      const control::EstimateCostRequest& request,
      const ControlCallOptions& call);
  // Alerts (issue 19).
  virtual absl::StatusOr<control::AlertRule> CreateAlertRule(
      const control::CreateAlertRuleRequest& request,
      const ControlCallOptions& call);
  virtual absl::StatusOr<control::AlertRule> GetAlertRule(
      const std::string& name, const ControlCallOptions& call);
  virtual absl::StatusOr<control::Page<control::AlertRule>> ListAlertRules(
      const control::ListRequest& request, const ControlCallOptions& call);
  virtual absl::Status DeleteAlertRule(const control::DeleteRequest& request,
                                       const ControlCallOptions& call);
  virtual absl::StatusOr<control::TestAlertRuleResult> TestAlertRule(
      const std::string& name, const ControlCallOptions& call);
  virtual absl::StatusOr<control::AlertRule> SilenceAlertRule(
      const control::SilenceAlertRuleRequest& request,
      const ControlCallOptions& call);
  virtual absl::StatusOr<control::AlertRule> UpdateAlertRule(
      const control::AlertRule& rule,
      const std::vector<std::string>& update_mask,
      const ControlCallOptions& call);
  // Support access (issue 19).
  virtual absl::StatusOr<control::SupportPrincipal> CreateSupportPrincipal(
      const control::CreateSupportPrincipalRequest& request,
      const ControlCallOptions& call);
  virtual absl::StatusOr<control::SupportAccessGrant> RequestSupportAccess(
      const control::RequestSupportAccessRequest& request,
      const ControlCallOptions& call);
  virtual absl::StatusOr<control::SupportAccessGrant> GetSupportAccess(
      const std::string& name, const ControlCallOptions& call);
  virtual absl::StatusOr<control::Page<control::SupportAccessGrant>>
  ListSupportAccess(const control::ListRequest& request,
                    const ControlCallOptions& call);
  virtual absl::StatusOr<control::SupportAccessGrant> ApproveSupportAccess(
      const control::SupportAccessActionRequest& request,
      const ControlCallOptions& call);
  virtual absl::StatusOr<control::SupportAccessGrant> DenySupportAccess(
      const control::SupportAccessActionRequest& request,
      const ControlCallOptions& call);
  virtual absl::StatusOr<control::SupportAccessGrant> RevokeSupportAccess(
      const control::SupportAccessActionRequest& request,
      const ControlCallOptions& call);
  // Versions and upgrades (issue 19).
  virtual absl::StatusOr<std::vector<control::Release>> ListReleases(
      const std::string& cluster, const ControlCallOptions& call);
  virtual absl::StatusOr<control::Operation> UpgradeCluster(
      const control::UpgradeClusterRequest& request,
      const ControlCallOptions& call);
  /// `window` unset: cleared.
  virtual absl::StatusOr<control::MaintenanceWindowInfo> SetMaintenanceWindow(
      const std::string& name,
      const std::optional<control::MaintenanceWindow>& window,
      const ControlCallOptions& call);
  virtual absl::StatusOr<control::MaintenanceWindowInfo> GetMaintenanceWindow(
      const std::string& name, const ControlCallOptions& call);
};

}  // namespace cove

#endif  // COVE_INCLUDE_COVE_CONTROL_CONNECTION_H_
