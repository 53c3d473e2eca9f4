// gmock mock of cove::ControlConnection, for unit tests of code that uses
// cove::ControlClient (users' automation included):
//
//   auto mock = std::make_shared<cove::testing::MockControlConnection>();
//   EXPECT_CALL(*mock, GetCluster).WillOnce(Return(cove::control::Cluster{}));
//   cove::ControlClient client(mock);
//
// Header-only; needs GoogleMock (link GTest::gmock).
#ifndef COVE_INCLUDE_COVE_MOCKS_MOCK_CONTROL_CONNECTION_H_
#define COVE_INCLUDE_COVE_MOCKS_MOCK_CONTROL_CONNECTION_H_

#include <chrono>
#include <string>
#include <vector>

#include "cove/control_connection.h"
#include "gmock/gmock.h"

namespace cove::testing {

/// A ControlConnection whose every RPC method is a gmock mock method.
/// backend_name() returns "mock". AwaitOperation is not mocked: its default
/// (Unimplemented) makes ControlOperation::Wait and the blocking verbs poll
/// the mocked WaitOperation with the ControlClient's clock. ControlClient
/// calls each mocked method once per call, with the request as the caller
/// built it (request ids and retries belong to the gRPC connection).
class MockControlConnection : public ControlConnection {
 public:
  std::string backend_name() const override { return "mock"; }

  MOCK_METHOD(absl::StatusOr<control::Organization>, CreateOrganization,
              (const control::CreateOrganizationRequest&,
               const ControlCallOptions&),
              (override));
  MOCK_METHOD(absl::StatusOr<control::Organization>, GetOrganization,
              (const std::string&, const ControlCallOptions&), (override));
  MOCK_METHOD(absl::StatusOr<control::Page<control::Organization>>,
              ListOrganizations,
              (const control::ListRequest&, const ControlCallOptions&),
              (override));
  MOCK_METHOD(absl::StatusOr<control::Organization>, UpdateOrganization,
              (const control::Organization&, const std::vector<std::string>&,
               const ControlCallOptions&),
              (override));
  MOCK_METHOD(absl::Status, DeleteOrganization,
              (const control::DeleteRequest&, const ControlCallOptions&),
              (override));
  MOCK_METHOD(absl::StatusOr<control::Page<control::Member>>, ListMembers,
              (const control::ListRequest&, const ControlCallOptions&),
              (override));
  MOCK_METHOD(absl::StatusOr<control::Member>, GetMember,
              (const std::string&, const ControlCallOptions&), (override));
  MOCK_METHOD(absl::StatusOr<control::Member>, UpdateMember,
              (const control::Member&, const std::vector<std::string>&,
               const ControlCallOptions&),
              (override));
  MOCK_METHOD(absl::Status, DeleteMember,
              (const control::DeleteRequest&, const ControlCallOptions&),
              (override));
  MOCK_METHOD(absl::StatusOr<control::Invitation>, CreateInvitation,
              (const control::CreateInvitationRequest&,
               const ControlCallOptions&),
              (override));
  MOCK_METHOD(absl::StatusOr<control::Invitation>, GetInvitation,
              (const std::string&, const ControlCallOptions&), (override));
  MOCK_METHOD(absl::StatusOr<control::Page<control::Invitation>>,
              ListInvitations,
              (const control::ListRequest&, const ControlCallOptions&),
              (override));
  MOCK_METHOD(absl::StatusOr<control::Invitation>, RevokeInvitation,
              (const control::DeleteRequest&, const ControlCallOptions&),
              (override));
  MOCK_METHOD(absl::StatusOr<control::AcceptInvitationResult>, AcceptInvitation,
              (const control::AcceptInvitationRequest&,
               const ControlCallOptions&),
              (override));
  MOCK_METHOD(absl::StatusOr<control::Project>, CreateProject,
              (const control::CreateProjectRequest&, const ControlCallOptions&),
              (override));
  MOCK_METHOD(absl::StatusOr<control::Project>, GetProject,
              (const std::string&, const ControlCallOptions&), (override));
  MOCK_METHOD(absl::StatusOr<control::Page<control::Project>>, ListProjects,
              (const control::ListRequest&, const ControlCallOptions&),
              (override));
  MOCK_METHOD(absl::StatusOr<control::Project>, UpdateProject,
              (const control::Project&, const std::vector<std::string>&,
               const ControlCallOptions&),
              (override));
  MOCK_METHOD(absl::Status, DeleteProject,
              (const control::DeleteRequest&, const ControlCallOptions&),
              (override));
  MOCK_METHOD(absl::StatusOr<control::Environment>, CreateEnvironment,
              (const control::CreateEnvironmentRequest&,
               const ControlCallOptions&),
              (override));
  MOCK_METHOD(absl::StatusOr<control::Environment>, GetEnvironment,
              (const std::string&, const ControlCallOptions&), (override));
  MOCK_METHOD(absl::StatusOr<control::Page<control::Environment>>,
              ListEnvironments,
              (const control::ListRequest&, const ControlCallOptions&),
              (override));
  MOCK_METHOD(absl::Status, DeleteEnvironment,
              (const control::DeleteRequest&, const ControlCallOptions&),
              (override));
  MOCK_METHOD(absl::StatusOr<control::EnvironmentValidation>,
              ValidateEnvironment,
              (const std::string&, const ControlCallOptions&), (override));
  MOCK_METHOD(absl::StatusOr<control::Environment>, RotateAgentToken,
              (const control::RotateAgentTokenRequest&,
               const ControlCallOptions&),
              (override));
  MOCK_METHOD(absl::StatusOr<control::Operation>, CreateCluster,
              (const control::CreateClusterRequest&, const ControlCallOptions&),
              (override));
  MOCK_METHOD(absl::StatusOr<control::Cluster>, GetCluster,
              (const std::string&, const ControlCallOptions&), (override));
  MOCK_METHOD(absl::StatusOr<control::Page<control::Cluster>>, ListClusters,
              (const control::ListRequest&, const ControlCallOptions&),
              (override));
  MOCK_METHOD(absl::StatusOr<control::Cluster>, UpdateCluster,
              (const control::Cluster&, const std::vector<std::string>&,
               const ControlCallOptions&),
              (override));
  MOCK_METHOD(absl::StatusOr<control::Operation>, SuspendCluster,
              (const control::ClusterActionRequest&, const ControlCallOptions&),
              (override));
  MOCK_METHOD(absl::StatusOr<control::Operation>, ResumeCluster,
              (const control::ClusterActionRequest&, const ControlCallOptions&),
              (override));
  MOCK_METHOD(absl::StatusOr<control::Operation>, ResetClusterPassword,
              (const control::ClusterActionRequest&, const ControlCallOptions&),
              (override));
  MOCK_METHOD(absl::StatusOr<control::Operation>, ScaleCluster,
              (const control::ScaleClusterRequest&, const ControlCallOptions&),
              (override));
  MOCK_METHOD(absl::StatusOr<control::Operation>, DeleteCluster,
              (const control::ClusterActionRequest&, const ControlCallOptions&),
              (override));
  MOCK_METHOD(absl::StatusOr<control::Operation>, RestoreCluster,
              (const control::ClusterActionRequest&, const ControlCallOptions&),
              (override));
  MOCK_METHOD(absl::StatusOr<control::Operation>, PurgeCluster,
              (const control::ClusterActionRequest&, const ControlCallOptions&),
              (override));
  MOCK_METHOD(absl::StatusOr<control::Operation>, CreateBackup,
              (const control::CreateBackupRequest&, const ControlCallOptions&),
              (override));
  MOCK_METHOD(absl::StatusOr<control::Backup>, GetBackup,
              (const std::string&, const ControlCallOptions&), (override));
  MOCK_METHOD(absl::StatusOr<control::Page<control::Backup>>, ListBackups,
              (const control::ListRequest&, const ControlCallOptions&),
              (override));
  MOCK_METHOD(absl::StatusOr<control::Operation>, DeleteBackup,
              (const control::DeleteRequest&, const ControlCallOptions&),
              (override));
  MOCK_METHOD(absl::StatusOr<control::Operation>, RestoreBackup,
              (const control::RestoreBackupRequest&, const ControlCallOptions&),
              (override));
  MOCK_METHOD(absl::StatusOr<control::Cluster>, SetBackupPolicy,
              (const control::SetBackupPolicyRequest&,
               const ControlCallOptions&),
              (override));
  MOCK_METHOD(absl::StatusOr<control::ApiKey>, CreateApiKey,
              (const control::CreateApiKeyRequest&, const ControlCallOptions&),
              (override));
  MOCK_METHOD(absl::StatusOr<control::ApiKey>, GetApiKey,
              (const std::string&, const ControlCallOptions&), (override));
  MOCK_METHOD(absl::StatusOr<control::Page<control::ApiKey>>, ListApiKeys,
              (const control::ListRequest&, const ControlCallOptions&),
              (override));
  MOCK_METHOD(absl::StatusOr<control::ApiKey>, UpdateApiKey,
              (const control::ApiKey&, const std::vector<std::string>&,
               const ControlCallOptions&),
              (override));
  MOCK_METHOD(absl::Status, DeleteApiKey,
              (const control::DeleteRequest&, const ControlCallOptions&),
              (override));
  MOCK_METHOD(absl::StatusOr<control::Role>, CreateRole,
              (const control::CreateRoleRequest&, const ControlCallOptions&),
              (override));
  MOCK_METHOD(absl::StatusOr<control::Role>, GetRole,
              (const std::string&, const ControlCallOptions&), (override));
  MOCK_METHOD(absl::StatusOr<control::Page<control::Role>>, ListRoles,
              (const control::ListRequest&, const ControlCallOptions&),
              (override));
  MOCK_METHOD(absl::StatusOr<control::Role>, UpdateRole,
              (const control::Role&, const std::vector<std::string>&,
               const ControlCallOptions&),
              (override));
  MOCK_METHOD(absl::Status, DeleteRole,
              (const control::DeleteRequest&, const ControlCallOptions&),
              (override));
  MOCK_METHOD(absl::StatusOr<control::RoleBinding>, CreateRoleBinding,
              (const control::CreateRoleBindingRequest&,
               const ControlCallOptions&),
              (override));
  MOCK_METHOD(absl::StatusOr<control::RoleBinding>, GetRoleBinding,
              (const std::string&, const ControlCallOptions&), (override));
  MOCK_METHOD(absl::StatusOr<control::Page<control::RoleBinding>>,
              ListRoleBindings,
              (const control::ListRequest&, const ControlCallOptions&),
              (override));
  MOCK_METHOD(absl::Status, DeleteRoleBinding,
              (const control::DeleteRequest&, const ControlCallOptions&),
              (override));
  MOCK_METHOD(absl::StatusOr<std::vector<std::string>>, TestPermissions,
              (const control::TestPermissionsRequest&,
               const ControlCallOptions&),
              (override));
  MOCK_METHOD(absl::StatusOr<control::Page<control::AuditEvent>>,
              ListAuditEvents,
              (const control::ListAuditEventsRequest&,
               const ControlCallOptions&),
              (override));
  MOCK_METHOD(absl::StatusOr<control::Operation>, GetOperation,
              (const std::string&, const ControlCallOptions&), (override));
  MOCK_METHOD(absl::StatusOr<control::Page<control::Operation>>, ListOperations,
              (const control::ListRequest&, const ControlCallOptions&),
              (override));
  MOCK_METHOD(absl::StatusOr<control::Operation>, WaitOperation,
              (const control::WaitOperationRequest&, const ControlCallOptions&),
              (override));
  MOCK_METHOD(absl::StatusOr<control::Operation>, CancelOperation,
              (const std::string&, const ControlCallOptions&), (override));
  MOCK_METHOD(absl::StatusOr<control::ClusterMetrics>, GetClusterMetrics,
              (const std::string&, int32_t, const ControlCallOptions&),
              (override));
  MOCK_METHOD(absl::StatusOr<control::EmulatorSettings>, GetEmulatorSettings,
              (const ControlCallOptions&), (override));
  MOCK_METHOD(absl::StatusOr<control::EmulatorSettings>, UpdateEmulatorSettings,
              (const control::UpdateEmulatorSettingsRequest&,
               const ControlCallOptions&),
              (override));
  MOCK_METHOD(absl::StatusOr<control::EmulatorSettings>, SetClock,
              (const control::SetClockRequest&, const ControlCallOptions&),
              (override));
  MOCK_METHOD(absl::StatusOr<control::EmulatorSettings>, AdvanceClock,
              (std::chrono::milliseconds, const ControlCallOptions&),
              (override));
  MOCK_METHOD(absl::StatusOr<control::Fault>, InjectFault,
              (const control::Fault&, const ControlCallOptions&), (override));
  MOCK_METHOD(absl::StatusOr<std::vector<control::Fault>>, ListFaults,
              (const ControlCallOptions&), (override));
  MOCK_METHOD(absl::Status, ClearFaults,
              (const std::string&, const ControlCallOptions&), (override));
  MOCK_METHOD(absl::StatusOr<control::Project>, SetProjectLicense,
              (const control::SetProjectLicenseRequest&,
               const ControlCallOptions&),
              (override));
  MOCK_METHOD(absl::StatusOr<control::CostEstimate>, EstimateCost,
              (const control::EstimateCostRequest&, const ControlCallOptions&),
              (override));
  // Alerts (issue 19).
  MOCK_METHOD(absl::StatusOr<control::AlertRule>, CreateAlertRule,
              (const control::CreateAlertRuleRequest&,
               const ControlCallOptions&),
              (override));
  MOCK_METHOD(absl::StatusOr<control::AlertRule>, GetAlertRule,
              (const std::string&, const ControlCallOptions&), (override));
  MOCK_METHOD(absl::StatusOr<control::Page<control::AlertRule>>, ListAlertRules,
              (const control::ListRequest&, const ControlCallOptions&),
              (override));
  MOCK_METHOD(absl::Status, DeleteAlertRule,
              (const control::DeleteRequest&, const ControlCallOptions&),
              (override));
  MOCK_METHOD(absl::StatusOr<control::TestAlertRuleResult>, TestAlertRule,
              (const std::string&, const ControlCallOptions&), (override));
  MOCK_METHOD(absl::StatusOr<control::AlertRule>, SilenceAlertRule,
              (const control::SilenceAlertRuleRequest&,
               const ControlCallOptions&),
              (override));
  MOCK_METHOD(absl::StatusOr<control::AlertRule>, UpdateAlertRule,
              (const control::AlertRule&, const std::vector<std::string>&,
               const ControlCallOptions&),
              (override));
  // Support access (issue 19).
  MOCK_METHOD(absl::StatusOr<control::SupportPrincipal>, CreateSupportPrincipal,
              (const control::CreateSupportPrincipalRequest&,
               const ControlCallOptions&),
              (override));
  MOCK_METHOD(absl::StatusOr<control::SupportAccessGrant>, RequestSupportAccess,
              (const control::RequestSupportAccessRequest&,
               const ControlCallOptions&),
              (override));
  MOCK_METHOD(absl::StatusOr<control::SupportAccessGrant>, GetSupportAccess,
              (const std::string&, const ControlCallOptions&), (override));
  MOCK_METHOD(absl::StatusOr<control::Page<control::SupportAccessGrant>>,
              ListSupportAccess,
              (const control::ListRequest&, const ControlCallOptions&),
              (override));
  MOCK_METHOD(absl::StatusOr<control::SupportAccessGrant>, ApproveSupportAccess,
              (const control::SupportAccessActionRequest&,
               const ControlCallOptions&),
              (override));
  MOCK_METHOD(absl::StatusOr<control::SupportAccessGrant>, DenySupportAccess,
              (const control::SupportAccessActionRequest&,
               const ControlCallOptions&),
              (override));
  MOCK_METHOD(absl::StatusOr<control::SupportAccessGrant>, RevokeSupportAccess,
              (const control::SupportAccessActionRequest&,
               const ControlCallOptions&),
              (override));
  // Versions and upgrades (issue 19).
  MOCK_METHOD(absl::StatusOr<std::vector<control::Release>>, ListReleases,
              (const std::string&, const ControlCallOptions&), (override));
  MOCK_METHOD(absl::StatusOr<control::Operation>, UpgradeCluster,
              (const control::UpgradeClusterRequest&,
               const ControlCallOptions&),
              (override));
  MOCK_METHOD(absl::StatusOr<control::MaintenanceWindowInfo>,
              SetMaintenanceWindow,
              (const std::string&,
               const std::optional<control::MaintenanceWindow>&,
               const ControlCallOptions&),
              (override));
  MOCK_METHOD(absl::StatusOr<control::MaintenanceWindowInfo>,
              GetMaintenanceWindow,
              (const std::string&, const ControlCallOptions&), (override));
};

}  // namespace cove::testing

#endif  // COVE_INCLUDE_COVE_MOCKS_MOCK_CONTROL_CONNECTION_H_
