// Default bodies of cove::ControlConnection: Unimplemented, naming the
// backend and the method.
#include "cove/control_connection.h"

#include "absl/strings/str_cat.h"

namespace cove {
namespace {

absl::Status NotImplemented(const ControlConnection& c, const char* method) {
  return absl::UnimplementedError(absl::StrCat(
      method, ": not implemented by the '", c.backend_name(), "' backend"));
}

}  // namespace

absl::StatusOr<control::Organization> ControlConnection::CreateOrganization(
    const control::CreateOrganizationRequest& request,
    const ControlCallOptions& call) {
  return NotImplemented(*this, "CreateOrganization");
}

absl::StatusOr<control::Organization> ControlConnection::GetOrganization(
    const std::string& name, const ControlCallOptions& call) {
  return NotImplemented(*this, "GetOrganization");
}

absl::StatusOr<control::Page<control::Organization>>
ControlConnection::ListOrganizations(const control::ListRequest& request,
                                     const ControlCallOptions& call) {
  return NotImplemented(*this, "ListOrganizations");
}

absl::StatusOr<control::Organization> ControlConnection::UpdateOrganization(
    const control::Organization& organization,
    const std::vector<std::string>& update_mask,
    const ControlCallOptions& call) {
  return NotImplemented(*this, "UpdateOrganization");
}

absl::Status ControlConnection::DeleteOrganization(
    const control::DeleteRequest& request, const ControlCallOptions& call) {
  return NotImplemented(*this, "DeleteOrganization");
}

absl::StatusOr<control::Page<control::Member>> ControlConnection::ListMembers(
    const control::ListRequest& request, const ControlCallOptions& call) {
  return NotImplemented(*this, "ListMembers");
}

absl::StatusOr<control::Member> ControlConnection::GetMember(
    const std::string& name, const ControlCallOptions& call) {
  return NotImplemented(*this, "GetMember");
}

absl::StatusOr<control::Member> ControlConnection::UpdateMember(
    const control::Member& member, const std::vector<std::string>& update_mask,
    const ControlCallOptions& call) {
  return NotImplemented(*this, "UpdateMember");
}

absl::Status ControlConnection::DeleteMember(
    const control::DeleteRequest& request, const ControlCallOptions& call) {
  return NotImplemented(*this, "DeleteMember");
}

absl::StatusOr<control::Invitation> ControlConnection::CreateInvitation(
    const control::CreateInvitationRequest& request,
    const ControlCallOptions& call) {
  return NotImplemented(*this, "CreateInvitation");
}

absl::StatusOr<control::Invitation> ControlConnection::GetInvitation(
    const std::string& name, const ControlCallOptions& call) {
  return NotImplemented(*this, "GetInvitation");
}

absl::StatusOr<control::Page<control::Invitation>>
ControlConnection::ListInvitations(const control::ListRequest& request,
                                   const ControlCallOptions& call) {
  return NotImplemented(*this, "ListInvitations");
}

absl::StatusOr<control::Invitation> ControlConnection::RevokeInvitation(
    const control::DeleteRequest& request, const ControlCallOptions& call) {
  return NotImplemented(*this, "RevokeInvitation");
}

absl::StatusOr<control::AcceptInvitationResult>
ControlConnection::AcceptInvitation(
    const control::AcceptInvitationRequest& request,
    const ControlCallOptions& call) {
  return NotImplemented(*this, "AcceptInvitation");
}

absl::StatusOr<control::Project> ControlConnection::CreateProject(
    const control::CreateProjectRequest& request,
    const ControlCallOptions& call) {
  return NotImplemented(*this, "CreateProject");
}

absl::StatusOr<control::Project> ControlConnection::GetProject(
    const std::string& name, const ControlCallOptions& call) {
  return NotImplemented(*this, "GetProject");
}

absl::StatusOr<control::Page<control::Project>> ControlConnection::ListProjects(
    const control::ListRequest& request, const ControlCallOptions& call) {
  return NotImplemented(*this, "ListProjects");
}

absl::StatusOr<control::Project> ControlConnection::UpdateProject(
    const control::Project& project,
    const std::vector<std::string>& update_mask,
    const ControlCallOptions& call) {
  return NotImplemented(*this, "UpdateProject");
}

absl::Status ControlConnection::DeleteProject(
    const control::DeleteRequest& request, const ControlCallOptions& call) {
  return NotImplemented(*this, "DeleteProject");
}

absl::StatusOr<control::Environment> ControlConnection::CreateEnvironment(
    const control::CreateEnvironmentRequest& request,
    const ControlCallOptions& call) {
  return NotImplemented(*this, "CreateEnvironment");
}

absl::StatusOr<control::Environment> ControlConnection::GetEnvironment(
    const std::string& name, const ControlCallOptions& call) {
  return NotImplemented(*this, "GetEnvironment");
}

absl::StatusOr<control::Page<control::Environment>>
ControlConnection::ListEnvironments(const control::ListRequest& request,
                                    const ControlCallOptions& call) {
  return NotImplemented(*this, "ListEnvironments");
}

absl::Status ControlConnection::DeleteEnvironment(
    const control::DeleteRequest& request, const ControlCallOptions& call) {
  return NotImplemented(*this, "DeleteEnvironment");
}

absl::StatusOr<control::EnvironmentValidation>
ControlConnection::ValidateEnvironment(const std::string& name,
                                       const ControlCallOptions& call) {
  return NotImplemented(*this, "ValidateEnvironment");
}

absl::StatusOr<control::Environment> ControlConnection::RotateAgentToken(
    const control::RotateAgentTokenRequest& request,
    const ControlCallOptions& call) {
  return NotImplemented(*this, "RotateAgentToken");
}

absl::StatusOr<control::Operation> ControlConnection::CreateCluster(
    const control::CreateClusterRequest& request,
    const ControlCallOptions& call) {
  return NotImplemented(*this, "CreateCluster");
}

absl::StatusOr<control::Cluster> ControlConnection::GetCluster(
    const std::string& name, const ControlCallOptions& call) {
  return NotImplemented(*this, "GetCluster");
}

absl::StatusOr<control::Page<control::Cluster>> ControlConnection::ListClusters(
    const control::ListRequest& request, const ControlCallOptions& call) {
  return NotImplemented(*this, "ListClusters");
}

absl::StatusOr<control::Cluster> ControlConnection::UpdateCluster(
    const control::Cluster& cluster,
    const std::vector<std::string>& update_mask,
    const ControlCallOptions& call) {
  return NotImplemented(*this, "UpdateCluster");
}

absl::StatusOr<control::Operation> ControlConnection::SuspendCluster(
    const control::ClusterActionRequest& request,
    const ControlCallOptions& call) {
  return NotImplemented(*this, "SuspendCluster");
}

absl::StatusOr<control::Operation> ControlConnection::ResetClusterPassword(
    const control::ClusterActionRequest& request,
    const ControlCallOptions& call) {
  return NotImplemented(*this, "ResetClusterPassword");
}

absl::StatusOr<control::Operation> ControlConnection::ResumeCluster(
    const control::ClusterActionRequest& request,
    const ControlCallOptions& call) {
  return NotImplemented(*this, "ResumeCluster");
}

absl::StatusOr<control::Operation> ControlConnection::ScaleCluster(
    const control::ScaleClusterRequest& request,
    const ControlCallOptions& call) {
  return NotImplemented(*this, "ScaleCluster");
}

absl::StatusOr<control::Operation> ControlConnection::DeleteCluster(
    const control::ClusterActionRequest& request,
    const ControlCallOptions& call) {
  return NotImplemented(*this, "DeleteCluster");
}

absl::StatusOr<control::Operation> ControlConnection::RestoreCluster(
    const control::ClusterActionRequest& request,
    const ControlCallOptions& call) {
  return NotImplemented(*this, "RestoreCluster");
}

absl::StatusOr<control::Operation> ControlConnection::PurgeCluster(
    const control::ClusterActionRequest& request,
    const ControlCallOptions& call) {
  return NotImplemented(*this, "PurgeCluster");
}

absl::StatusOr<control::ApiKey> ControlConnection::CreateApiKey(
    const control::CreateApiKeyRequest& request,
    const ControlCallOptions& call) {
  return NotImplemented(*this, "CreateApiKey");
}

absl::StatusOr<control::ApiKey> ControlConnection::GetApiKey(
    const std::string& name, const ControlCallOptions& call) {
  return NotImplemented(*this, "GetApiKey");
}

absl::StatusOr<control::Page<control::ApiKey>> ControlConnection::ListApiKeys(
    const control::ListRequest& request, const ControlCallOptions& call) {
  return NotImplemented(*this, "ListApiKeys");
}

absl::StatusOr<control::ApiKey> ControlConnection::UpdateApiKey(
    const control::ApiKey& api_key, const std::vector<std::string>& update_mask,
    const ControlCallOptions& call) {
  return NotImplemented(*this, "UpdateApiKey");
}

absl::Status ControlConnection::DeleteApiKey(
    const control::DeleteRequest& request, const ControlCallOptions& call) {
  return NotImplemented(*this, "DeleteApiKey");
}

absl::StatusOr<control::Role> ControlConnection::CreateRole(
    const control::CreateRoleRequest& request, const ControlCallOptions& call) {
  return NotImplemented(*this, "CreateRole");
}

absl::StatusOr<control::Role> ControlConnection::GetRole(
    const std::string& name, const ControlCallOptions& call) {
  return NotImplemented(*this, "GetRole");
}

absl::StatusOr<control::Page<control::Role>> ControlConnection::ListRoles(
    const control::ListRequest& request, const ControlCallOptions& call) {
  return NotImplemented(*this, "ListRoles");
}

absl::StatusOr<control::Role> ControlConnection::UpdateRole(
    const control::Role& role, const std::vector<std::string>& update_mask,
    const ControlCallOptions& call) {
  return NotImplemented(*this, "UpdateRole");
}

absl::Status ControlConnection::DeleteRole(
    const control::DeleteRequest& request, const ControlCallOptions& call) {
  return NotImplemented(*this, "DeleteRole");
}

absl::StatusOr<control::RoleBinding> ControlConnection::CreateRoleBinding(
    const control::CreateRoleBindingRequest& request,
    const ControlCallOptions& call) {
  return NotImplemented(*this, "CreateRoleBinding");
}

absl::StatusOr<control::RoleBinding> ControlConnection::GetRoleBinding(
    const std::string& name, const ControlCallOptions& call) {
  return NotImplemented(*this, "GetRoleBinding");
}

absl::StatusOr<control::Page<control::RoleBinding>>
ControlConnection::ListRoleBindings(const control::ListRequest& request,
                                    const ControlCallOptions& call) {
  return NotImplemented(*this, "ListRoleBindings");
}

absl::Status ControlConnection::DeleteRoleBinding(
    const control::DeleteRequest& request, const ControlCallOptions& call) {
  return NotImplemented(*this, "DeleteRoleBinding");
}

absl::StatusOr<std::vector<std::string>> ControlConnection::TestPermissions(
    const control::TestPermissionsRequest& request,
    const ControlCallOptions& call) {
  return NotImplemented(*this, "TestPermissions");
}

absl::StatusOr<control::Page<control::AuditEvent>>
ControlConnection::ListAuditEvents(
    const control::ListAuditEventsRequest& request,
    const ControlCallOptions& call) {
  return NotImplemented(*this, "ListAuditEvents");
}

absl::StatusOr<control::Operation> ControlConnection::GetOperation(
    const std::string& name, const ControlCallOptions& call) {
  return NotImplemented(*this, "GetOperation");
}

absl::StatusOr<control::Page<control::Operation>>
ControlConnection::ListOperations(const control::ListRequest& request,
                                  const ControlCallOptions& call) {
  return NotImplemented(*this, "ListOperations");
}

absl::StatusOr<control::Operation> ControlConnection::WaitOperation(
    const control::WaitOperationRequest& request,
    const ControlCallOptions& call) {
  return NotImplemented(*this, "WaitOperation");
}

absl::StatusOr<control::Operation> ControlConnection::CancelOperation(
    const std::string& name, const ControlCallOptions& call) {
  return NotImplemented(*this, "CancelOperation");
}

absl::StatusOr<control::Operation> ControlConnection::AwaitOperation(
    const control::WaitOperationRequest& request,
    const ControlCallOptions& call) {
  return NotImplemented(*this, "AwaitOperation");
}

absl::StatusOr<control::ClusterMetrics> ControlConnection::GetClusterMetrics(
    const std::string& name, int32_t window_seconds,
    const ControlCallOptions& call) {
  return NotImplemented(*this, "GetClusterMetrics");
}

absl::StatusOr<control::EmulatorSettings>
ControlConnection::GetEmulatorSettings(const ControlCallOptions& call) {
  return NotImplemented(*this, "GetEmulatorSettings");
}

absl::StatusOr<control::EmulatorSettings>
ControlConnection::UpdateEmulatorSettings(
    const control::UpdateEmulatorSettingsRequest& request,
    const ControlCallOptions& call) {
  return NotImplemented(*this, "UpdateEmulatorSettings");
}

absl::StatusOr<control::EmulatorSettings> ControlConnection::SetClock(
    const control::SetClockRequest& request, const ControlCallOptions& call) {
  return NotImplemented(*this, "SetClock");
}

absl::StatusOr<control::EmulatorSettings> ControlConnection::AdvanceClock(
    std::chrono::milliseconds by, const ControlCallOptions& call) {
  return NotImplemented(*this, "AdvanceClock");
}

absl::StatusOr<control::Fault> ControlConnection::InjectFault(
    const control::Fault& fault, const ControlCallOptions& call) {
  return NotImplemented(*this, "InjectFault");
}

absl::StatusOr<std::vector<control::Fault>> ControlConnection::ListFaults(
    const ControlCallOptions& call) {
  return NotImplemented(*this, "ListFaults");
}

absl::Status ControlConnection::ClearFaults(const std::string& verb,
                                            const ControlCallOptions& call) {
  return NotImplemented(*this, "ClearFaults");
}

absl::StatusOr<control::Project> ControlConnection::SetProjectLicense(
    const control::SetProjectLicenseRequest& request,
    const ControlCallOptions& call) {
  return NotImplemented(*this, "SetProjectLicense");
}

absl::StatusOr<control::CostEstimate> ControlConnection::EstimateCost(
    const control::EstimateCostRequest& request,
    const ControlCallOptions& call) {
  return NotImplemented(*this, "EstimateCost");
}

// ---- alerts (issue 19)

absl::StatusOr<control::AlertRule> ControlConnection::CreateAlertRule(
    const control::CreateAlertRuleRequest& request,
    const ControlCallOptions& call) {
  return NotImplemented(*this, "CreateAlertRule");
}

absl::StatusOr<control::AlertRule> ControlConnection::GetAlertRule(
    const std::string& name, const ControlCallOptions& call) {
  return NotImplemented(*this, "GetAlertRule");
}

absl::StatusOr<control::Page<control::AlertRule>>
ControlConnection::ListAlertRules(const control::ListRequest& request,
                                  const ControlCallOptions& call) {
  return NotImplemented(*this, "ListAlertRules");
}

absl::Status ControlConnection::DeleteAlertRule(
    const control::DeleteRequest& request, const ControlCallOptions& call) {
  return NotImplemented(*this, "DeleteAlertRule");
}

absl::StatusOr<control::TestAlertRuleResult> ControlConnection::TestAlertRule(
    const std::string& name, const ControlCallOptions& call) {
  return NotImplemented(*this, "TestAlertRule");
}

absl::StatusOr<control::AlertRule> ControlConnection::UpdateAlertRule(
    const control::AlertRule& rule, const std::vector<std::string>& update_mask,
    const ControlCallOptions& call) {
  return NotImplemented(*this, "UpdateAlertRule");
}

absl::StatusOr<control::AlertRule> ControlConnection::SilenceAlertRule(
    const control::SilenceAlertRuleRequest& request,
    const ControlCallOptions& call) {
  return NotImplemented(*this, "SilenceAlertRule");
}

absl::StatusOr<control::SupportPrincipal>
ControlConnection::CreateSupportPrincipal(
    const control::CreateSupportPrincipalRequest& request,
    const ControlCallOptions& call) {
  return NotImplemented(*this, "CreateSupportPrincipal");
}

absl::StatusOr<control::SupportAccessGrant>
ControlConnection::RequestSupportAccess(
    const control::RequestSupportAccessRequest& request,
    const ControlCallOptions& call) {
  return NotImplemented(*this, "RequestSupportAccess");
}

absl::StatusOr<control::SupportAccessGrant> ControlConnection::GetSupportAccess(
    const std::string& name, const ControlCallOptions& call) {
  return NotImplemented(*this, "GetSupportAccess");
}

absl::StatusOr<control::Page<control::SupportAccessGrant>>
ControlConnection::ListSupportAccess(const control::ListRequest& request,
                                     const ControlCallOptions& call) {
  return NotImplemented(*this, "ListSupportAccess");
}

absl::StatusOr<control::SupportAccessGrant>
ControlConnection::ApproveSupportAccess(
    const control::SupportAccessActionRequest& request,
    const ControlCallOptions& call) {
  return NotImplemented(*this, "ApproveSupportAccess");
}

absl::StatusOr<control::SupportAccessGrant>
ControlConnection::DenySupportAccess(
    const control::SupportAccessActionRequest& request,
    const ControlCallOptions& call) {
  return NotImplemented(*this, "DenySupportAccess");
}

absl::StatusOr<control::SupportAccessGrant>
ControlConnection::RevokeSupportAccess(
    const control::SupportAccessActionRequest& request,
    const ControlCallOptions& call) {
  return NotImplemented(*this, "RevokeSupportAccess");
}

absl::StatusOr<std::vector<control::Release>> ControlConnection::ListReleases(
    const std::string& cluster, const ControlCallOptions& call) {
  return NotImplemented(*this, "ListReleases");
}

absl::StatusOr<control::Operation> ControlConnection::UpgradeCluster(
    const control::UpgradeClusterRequest& request,
    const ControlCallOptions& call) {
  return NotImplemented(*this, "UpgradeCluster");
}

absl::StatusOr<control::MaintenanceWindowInfo>
ControlConnection::SetMaintenanceWindow(
    const std::string& name,
    const std::optional<control::MaintenanceWindow>& window,
    const ControlCallOptions& call) {
  return NotImplemented(*this, "SetMaintenanceWindow");
}

absl::StatusOr<control::MaintenanceWindowInfo>
ControlConnection::GetMaintenanceWindow(const std::string& name,
                                        const ControlCallOptions& call) {
  return NotImplemented(*this, "GetMaintenanceWindow");
}

absl::StatusOr<control::Operation> ControlConnection::CreateBackup(
    const control::CreateBackupRequest& request,
    const ControlCallOptions& call) {
  return NotImplemented(*this, "CreateBackup");
}

absl::StatusOr<control::Backup> ControlConnection::GetBackup(
    const std::string& name, const ControlCallOptions& call) {
  return NotImplemented(*this, "GetBackup");
}

absl::StatusOr<control::Page<control::Backup>> ControlConnection::ListBackups(
    const control::ListRequest& request, const ControlCallOptions& call) {
  return NotImplemented(*this, "ListBackups");
}

absl::StatusOr<control::Operation> ControlConnection::DeleteBackup(
    const control::DeleteRequest& request, const ControlCallOptions& call) {
  return NotImplemented(*this, "DeleteBackup");
}

absl::StatusOr<control::Operation> ControlConnection::RestoreBackup(
    const control::RestoreBackupRequest& request,
    const ControlCallOptions& call) {
  return NotImplemented(*this, "RestoreBackup");
}

absl::StatusOr<control::Cluster> ControlConnection::SetBackupPolicy(
    const control::SetBackupPolicyRequest& request,
    const ControlCallOptions& call) {
  return NotImplemented(*this, "SetBackupPolicy");
}

}  // namespace cove
