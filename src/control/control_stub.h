// ControlStub: the control-plane client's view of the cove.control.v1
// ControlPlane and Emulator services, one virtual method per RPC, in protos.
// The gRPC implementation is wrapped by small decorators (credentials,
// logging) built in one factory; the connection above it owns retries,
// request ids, polling and conversions. Tests put a fake stub under the
// connection instead.
//
// Adding an RPC: one X(...) line below; the gRPC stub and the decorators
// follow from it.
#ifndef COVE_SRC_CONTROL_CONTROL_STUB_H_
#define COVE_SRC_CONTROL_CONTROL_STUB_H_

#include <grpcpp/grpcpp.h>

#include <memory>
#include <string>

#include "common/grpc_client.h"
#include "cove/control/v1/control.grpc.pb.h"
#include "cove/control/v1/emulator.grpc.pb.h"
#include "google/protobuf/empty.pb.h"

namespace cove::internal {

namespace pb = ::cove::control::v1;

/// X(method, request type, response type) for every RPC of the ControlPlane
/// service.
#define COVE_CONTROL_PLANE_RPCS(X)                                             \
  X(CreateOrganization, pb::CreateOrganizationRequest, pb::Organization)       \
  X(GetOrganization, pb::GetRequest, pb::Organization)                         \
  X(ListOrganizations, pb::ListOrganizationsRequest,                           \
    pb::ListOrganizationsResponse)                                             \
  X(UpdateOrganization, pb::UpdateOrganizationRequest, pb::Organization)       \
  X(DeleteOrganization, pb::DeleteRequest, ::google::protobuf::Empty)          \
  X(ListMembers, pb::ListMembersRequest, pb::ListMembersResponse)              \
  X(GetMember, pb::GetRequest, pb::Member)                                     \
  X(UpdateMember, pb::UpdateMemberRequest, pb::Member)                         \
  X(DeleteMember, pb::DeleteRequest, ::google::protobuf::Empty)                \
  X(CreateInvitation, pb::CreateInvitationRequest, pb::Invitation)             \
  X(GetInvitation, pb::GetRequest, pb::Invitation)                             \
  X(ListInvitations, pb::ListInvitationsRequest, pb::ListInvitationsResponse)  \
  X(RevokeInvitation, pb::DeleteRequest, pb::Invitation)                       \
  X(AcceptInvitation, pb::AcceptInvitationRequest,                             \
    pb::AcceptInvitationResponse)                                              \
  X(CreateProject, pb::CreateProjectRequest, pb::Project)                      \
  X(GetProject, pb::GetRequest, pb::Project)                                   \
  X(ListProjects, pb::ListProjectsRequest, pb::ListProjectsResponse)           \
  X(UpdateProject, pb::UpdateProjectRequest, pb::Project)                      \
  X(DeleteProject, pb::DeleteRequest, ::google::protobuf::Empty)               \
  X(CreateEnvironment, pb::CreateEnvironmentRequest, pb::Environment)          \
  X(GetEnvironment, pb::GetRequest, pb::Environment)                           \
  X(ListEnvironments, pb::ListEnvironmentsRequest,                             \
    pb::ListEnvironmentsResponse)                                              \
  X(DeleteEnvironment, pb::DeleteRequest, ::google::protobuf::Empty)           \
  X(ValidateEnvironment, pb::ValidateEnvironmentRequest,                       \
    pb::EnvironmentValidation)                                                 \
  X(RotateAgentToken, pb::RotateAgentTokenRequest, pb::Environment)            \
  X(CreateCluster, pb::CreateClusterRequest, pb::Operation)                    \
  X(GetCluster, pb::GetRequest, pb::Cluster)                                   \
  X(ListClusters, pb::ListClustersRequest, pb::ListClustersResponse)           \
  X(UpdateCluster, pb::UpdateClusterRequest, pb::Cluster)                      \
  X(SuspendCluster, pb::ClusterActionRequest, pb::Operation)                   \
  X(ResumeCluster, pb::ClusterActionRequest, pb::Operation)                    \
  X(ResetClusterPassword, pb::ClusterActionRequest, pb::Operation)             \
  X(ScaleCluster, pb::ScaleClusterRequest, pb::Operation)                      \
  X(DeleteCluster, pb::ClusterActionRequest, pb::Operation)                    \
  X(RestoreCluster, pb::ClusterActionRequest, pb::Operation)                   \
  X(PurgeCluster, pb::ClusterActionRequest, pb::Operation)                     \
  X(CreateApiKey, pb::CreateApiKeyRequest, pb::ApiKey)                         \
  X(GetApiKey, pb::GetRequest, pb::ApiKey)                                     \
  X(ListApiKeys, pb::ListApiKeysRequest, pb::ListApiKeysResponse)              \
  X(UpdateApiKey, pb::UpdateApiKeyRequest, pb::ApiKey)                         \
  X(DeleteApiKey, pb::DeleteRequest, ::google::protobuf::Empty)                \
  X(CreateRole, pb::CreateRoleRequest, pb::Role)                               \
  X(GetRole, pb::GetRequest, pb::Role)                                         \
  X(ListRoles, pb::ListRolesRequest, pb::ListRolesResponse)                    \
  X(UpdateRole, pb::UpdateRoleRequest, pb::Role)                               \
  X(DeleteRole, pb::DeleteRequest, ::google::protobuf::Empty)                  \
  X(CreateRoleBinding, pb::CreateRoleBindingRequest, pb::RoleBinding)          \
  X(GetRoleBinding, pb::GetRequest, pb::RoleBinding)                           \
  X(ListRoleBindings, pb::ListRoleBindingsRequest,                             \
    pb::ListRoleBindingsResponse)                                              \
  X(DeleteRoleBinding, pb::DeleteRequest, ::google::protobuf::Empty)           \
  X(TestPermissions, pb::TestPermissionsRequest, pb::TestPermissionsResponse)  \
  X(ListAuditEvents, pb::ListAuditEventsRequest, pb::ListAuditEventsResponse)  \
  X(GetOperation, pb::GetRequest, pb::Operation)                               \
  X(ListOperations, pb::ListOperationsRequest, pb::ListOperationsResponse)     \
  X(WaitOperation, pb::WaitOperationRequest, pb::Operation)                    \
  X(CancelOperation, pb::CancelOperationRequest, pb::Operation)                \
  X(GetClusterMetrics, pb::GetClusterMetricsRequest, pb::ClusterMetrics)       \
  X(CreateBackup, pb::CreateBackupRequest, pb::Operation)                      \
  X(GetBackup, pb::GetRequest, pb::Backup)                                     \
  X(ListBackups, pb::ListBackupsRequest, pb::ListBackupsResponse)              \
  X(DeleteBackup, pb::DeleteRequest, pb::Operation)                            \
  X(RestoreBackup, pb::RestoreBackupRequest, pb::Operation)                    \
  X(SetBackupPolicy, pb::SetBackupPolicyRequest, pb::Cluster)                  \
  X(EstimateCost, pb::EstimateCostRequest, pb::CostEstimate)                   \
  X(CreateAlertRule, pb::CreateAlertRuleRequest, pb::AlertRule)                \
  X(GetAlertRule, pb::GetRequest, pb::AlertRule)                               \
  X(ListAlertRules, pb::ListAlertRulesRequest, pb::ListAlertRulesResponse)     \
  X(DeleteAlertRule, pb::DeleteRequest, google::protobuf::Empty)               \
  X(TestAlertRule, pb::TestAlertRuleRequest, pb::TestAlertRuleResponse)        \
  X(SilenceAlertRule, pb::SilenceAlertRuleRequest, pb::AlertRule)              \
  X(UpdateAlertRule, pb::UpdateAlertRuleRequest, pb::AlertRule)                \
  X(RequestSupportAccess, pb::RequestSupportAccessRequest,                     \
    pb::SupportAccessGrant)                                                    \
  X(GetSupportAccess, pb::GetRequest, pb::SupportAccessGrant)                  \
  X(ListSupportAccess, pb::ListSupportAccessRequest,                           \
    pb::ListSupportAccessResponse)                                             \
  X(ApproveSupportAccess, pb::SupportAccessActionRequest,                      \
    pb::SupportAccessGrant)                                                    \
  X(DenySupportAccess, pb::SupportAccessActionRequest, pb::SupportAccessGrant) \
  X(RevokeSupportAccess, pb::SupportAccessActionRequest,                       \
    pb::SupportAccessGrant)                                                    \
  X(ListReleases, pb::ListReleasesRequest, pb::ListReleasesResponse)           \
  X(UpgradeCluster, pb::UpgradeClusterRequest, pb::Operation)                  \
  X(SetMaintenanceWindow, pb::SetMaintenanceWindowRequest,                     \
    pb::MaintenanceWindowInfo)                                                 \
  X(GetMaintenanceWindow, pb::GetMaintenanceWindowRequest,                     \
    pb::MaintenanceWindowInfo)

/// X(method, request type, response type) for every RPC of the Emulator
/// service (cove-cloud's test knobs).
#define COVE_EMULATOR_RPCS(X)                                        \
  X(GetSettings, pb::GetSettingsRequest, pb::EmulatorSettings)       \
  X(UpdateSettings, pb::UpdateSettingsRequest, pb::EmulatorSettings) \
  X(SetClock, pb::SetClockRequest, pb::EmulatorSettings)             \
  X(AdvanceClock, pb::AdvanceClockRequest, pb::EmulatorSettings)     \
  X(InjectFault, pb::InjectFaultRequest, pb::Fault)                  \
  X(ListFaults, pb::ListFaultsRequest, pb::ListFaultsResponse)       \
  X(ClearFaults, pb::ClearFaultsRequest, pb::ClearFaultsResponse)    \
  X(SetProjectLicense, pb::SetProjectLicenseRequest, pb::Project)    \
  X(CreateSupportPrincipal, pb::CreateSupportPrincipalRequest,       \
    pb::SupportPrincipal)

/// One method per RPC. Every method has a default body returning gRPC
/// UNIMPLEMENTED, so fakes override only what a test needs.
///
/// Thread safety: implementations must be safe to call from many threads.
class ControlStub {
 public:
  virtual ~ControlStub() = default;

  COVE_CONTROL_PLANE_RPCS(COVE_GRPC_STUB_DEFAULT)
  COVE_EMULATOR_RPCS(COVE_GRPC_STUB_DEFAULT)
};

/// The stub over a gRPC channel.
std::shared_ptr<ControlStub> MakeGrpcControlStub(
    std::shared_ptr<grpc::Channel> channel);

/// The decorated stub the connection uses: `base` wrapped by the
/// credentials decorator ("authorization: Bearer <api_key>" on every call;
/// none for an empty key) and, when `log` is set, the logging decorator.
std::shared_ptr<ControlStub> MakeDecoratedControlStub(
    std::shared_ptr<ControlStub> base, const std::string& api_key,
    RpcLogSink log);

}  // namespace cove::internal

#endif  // COVE_SRC_CONTROL_CONTROL_STUB_H_
