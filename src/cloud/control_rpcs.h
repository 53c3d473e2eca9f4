// The RPCs of the cove.control.v1 ControlPlane and Emulator services as
// X-macro lists, by resource group: X(Name, Request, Response). CloudCore
// declares one method per entry; the gRPC services (grpc_*.cc) forward each
// to it. A test (tests/cloud/core_test.cc) checks the lists against the
// services' descriptors, so no RPC can be left out.
#ifndef COVE_SRC_CLOUD_CONTROL_RPCS_H_
#define COVE_SRC_CLOUD_CONTROL_RPCS_H_

// Organizations, members and invitations.
#define COVE_RPCS_ORGANIZATIONS(X)                                            \
  X(CreateOrganization, v1::CreateOrganizationRequest, v1::Organization)      \
  X(GetOrganization, v1::GetRequest, v1::Organization)                        \
  X(ListOrganizations, v1::ListOrganizationsRequest,                          \
    v1::ListOrganizationsResponse)                                            \
  X(UpdateOrganization, v1::UpdateOrganizationRequest, v1::Organization)      \
  X(DeleteOrganization, v1::DeleteRequest, google::protobuf::Empty)           \
  X(ListMembers, v1::ListMembersRequest, v1::ListMembersResponse)             \
  X(GetMember, v1::GetRequest, v1::Member)                                    \
  X(UpdateMember, v1::UpdateMemberRequest, v1::Member)                        \
  X(DeleteMember, v1::DeleteRequest, google::protobuf::Empty)                 \
  X(CreateInvitation, v1::CreateInvitationRequest, v1::Invitation)            \
  X(GetInvitation, v1::GetRequest, v1::Invitation)                            \
  X(ListInvitations, v1::ListInvitationsRequest, v1::ListInvitationsResponse) \
  X(RevokeInvitation, v1::DeleteRequest, v1::Invitation)                      \
  X(AcceptInvitation, v1::AcceptInvitationRequest, v1::AcceptInvitationResponse)

// Projects and environments.
#define COVE_RPCS_PROJECTS(X)                                         \
  X(CreateProject, v1::CreateProjectRequest, v1::Project)             \
  X(GetProject, v1::GetRequest, v1::Project)                          \
  X(ListProjects, v1::ListProjectsRequest, v1::ListProjectsResponse)  \
  X(UpdateProject, v1::UpdateProjectRequest, v1::Project)             \
  X(DeleteProject, v1::DeleteRequest, google::protobuf::Empty)        \
  X(CreateEnvironment, v1::CreateEnvironmentRequest, v1::Environment) \
  X(GetEnvironment, v1::GetRequest, v1::Environment)                  \
  X(ListEnvironments, v1::ListEnvironmentsRequest,                    \
    v1::ListEnvironmentsResponse)                                     \
  X(DeleteEnvironment, v1::DeleteRequest, google::protobuf::Empty)    \
  X(ValidateEnvironment, v1::ValidateEnvironmentRequest,              \
    v1::EnvironmentValidation)                                        \
  X(RotateAgentToken, v1::RotateAgentTokenRequest, v1::Environment)

// Clusters, their verbs and their metrics.
#define COVE_RPCS_CLUSTERS(X)                                        \
  X(CreateCluster, v1::CreateClusterRequest, v1::Operation)          \
  X(GetCluster, v1::GetRequest, v1::Cluster)                         \
  X(ListClusters, v1::ListClustersRequest, v1::ListClustersResponse) \
  X(UpdateCluster, v1::UpdateClusterRequest, v1::Cluster)            \
  X(SuspendCluster, v1::ClusterActionRequest, v1::Operation)         \
  X(ResumeCluster, v1::ClusterActionRequest, v1::Operation)          \
  X(ScaleCluster, v1::ScaleClusterRequest, v1::Operation)            \
  X(DeleteCluster, v1::ClusterActionRequest, v1::Operation)          \
  X(RestoreCluster, v1::ClusterActionRequest, v1::Operation)         \
  X(PurgeCluster, v1::ClusterActionRequest, v1::Operation)           \
  X(ResetClusterPassword, v1::ClusterActionRequest, v1::Operation)   \
  X(GetClusterMetrics, v1::GetClusterMetricsRequest, v1::ClusterMetrics)

// API keys, roles, role bindings, permissions and the audit log.
#define COVE_RPCS_ACCESS(X)                                                   \
  X(CreateApiKey, v1::CreateApiKeyRequest, v1::ApiKey)                        \
  X(GetApiKey, v1::GetRequest, v1::ApiKey)                                    \
  X(ListApiKeys, v1::ListApiKeysRequest, v1::ListApiKeysResponse)             \
  X(UpdateApiKey, v1::UpdateApiKeyRequest, v1::ApiKey)                        \
  X(DeleteApiKey, v1::DeleteRequest, google::protobuf::Empty)                 \
  X(CreateRole, v1::CreateRoleRequest, v1::Role)                              \
  X(GetRole, v1::GetRequest, v1::Role)                                        \
  X(ListRoles, v1::ListRolesRequest, v1::ListRolesResponse)                   \
  X(UpdateRole, v1::UpdateRoleRequest, v1::Role)                              \
  X(DeleteRole, v1::DeleteRequest, google::protobuf::Empty)                   \
  X(CreateRoleBinding, v1::CreateRoleBindingRequest, v1::RoleBinding)         \
  X(GetRoleBinding, v1::GetRequest, v1::RoleBinding)                          \
  X(ListRoleBindings, v1::ListRoleBindingsRequest,                            \
    v1::ListRoleBindingsResponse)                                             \
  X(DeleteRoleBinding, v1::DeleteRequest, google::protobuf::Empty)            \
  X(TestPermissions, v1::TestPermissionsRequest, v1::TestPermissionsResponse) \
  X(ListAuditEvents, v1::ListAuditEventsRequest, v1::ListAuditEventsResponse)

// Operations.
#define COVE_RPCS_OPERATIONS(X)                                            \
  X(GetOperation, v1::GetRequest, v1::Operation)                           \
  X(ListOperations, v1::ListOperationsRequest, v1::ListOperationsResponse) \
  X(WaitOperation, v1::WaitOperationRequest, v1::Operation)                \
  X(CancelOperation, v1::CancelOperationRequest, v1::Operation)

// Backups and the backup policy.
#define COVE_RPCS_BACKUPS(X)                                      \
  X(CreateBackup, v1::CreateBackupRequest, v1::Operation)         \
  X(GetBackup, v1::GetRequest, v1::Backup)                        \
  X(ListBackups, v1::ListBackupsRequest, v1::ListBackupsResponse) \
  X(DeleteBackup, v1::DeleteRequest, v1::Operation)               \
  X(RestoreBackup, v1::RestoreBackupRequest, v1::Operation)       \
  X(SetBackupPolicy, v1::SetBackupPolicyRequest, v1::Cluster)

// Licenses and cost (issue 19).
#define COVE_RPCS_LICENSES(X) \
  X(EstimateCost, v1::EstimateCostRequest, v1::CostEstimate)

// Alerts (issue 19).
#define COVE_RPCS_ALERTS(X)                                                \
  X(CreateAlertRule, v1::CreateAlertRuleRequest, v1::AlertRule)            \
  X(GetAlertRule, v1::GetRequest, v1::AlertRule)                           \
  X(ListAlertRules, v1::ListAlertRulesRequest, v1::ListAlertRulesResponse) \
  X(DeleteAlertRule, v1::DeleteRequest, google::protobuf::Empty)           \
  X(TestAlertRule, v1::TestAlertRuleRequest, v1::TestAlertRuleResponse)    \
  X(SilenceAlertRule, v1::SilenceAlertRuleRequest, v1::AlertRule)          \
  X(UpdateAlertRule, v1::UpdateAlertRuleRequest, v1::AlertRule)
// Support access with customer approval (issue 19).
#define COVE_RPCS_SUPPORT(X)                                                   \
  X(RequestSupportAccess, v1::RequestSupportAccessRequest,                     \
    v1::SupportAccessGrant)                                                    \
  X(GetSupportAccess, v1::GetRequest, v1::SupportAccessGrant)                  \
  X(ListSupportAccess, v1::ListSupportAccessRequest,                           \
    v1::ListSupportAccessResponse)                                             \
  X(ApproveSupportAccess, v1::SupportAccessActionRequest,                      \
    v1::SupportAccessGrant)                                                    \
  X(DenySupportAccess, v1::SupportAccessActionRequest, v1::SupportAccessGrant) \
  X(RevokeSupportAccess, v1::SupportAccessActionRequest, v1::SupportAccessGrant)
// Versions and upgrades (issue 19).
#define COVE_RPCS_UPGRADES(X)                                        \
  X(ListReleases, v1::ListReleasesRequest, v1::ListReleasesResponse) \
  X(UpgradeCluster, v1::UpgradeClusterRequest, v1::Operation)        \
  X(SetMaintenanceWindow, v1::SetMaintenanceWindowRequest,           \
    v1::MaintenanceWindowInfo)                                       \
  X(GetMaintenanceWindow, v1::GetMaintenanceWindowRequest,           \
    v1::MaintenanceWindowInfo)

// Every RPC of the ControlPlane service.
#define COVE_CONTROL_PLANE_RPCS(X) \
  COVE_RPCS_ORGANIZATIONS(X)       \
  COVE_RPCS_PROJECTS(X)            \
  COVE_RPCS_CLUSTERS(X)            \
  COVE_RPCS_ACCESS(X)              \
  COVE_RPCS_OPERATIONS(X)          \
  COVE_RPCS_BACKUPS(X)             \
  COVE_RPCS_LICENSES(X)            \
  COVE_RPCS_ALERTS(X)              \
  COVE_RPCS_SUPPORT(X)             \
  COVE_RPCS_UPGRADES(X)

// The Emulator service (test knobs; the emulator's admin key only).
#define COVE_EMULATOR_RPCS(X)                                        \
  X(GetSettings, v1::GetSettingsRequest, v1::EmulatorSettings)       \
  X(UpdateSettings, v1::UpdateSettingsRequest, v1::EmulatorSettings) \
  X(SetClock, v1::SetClockRequest, v1::EmulatorSettings)             \
  X(AdvanceClock, v1::AdvanceClockRequest, v1::EmulatorSettings)     \
  X(InjectFault, v1::InjectFaultRequest, v1::Fault)                  \
  X(ListFaults, v1::ListFaultsRequest, v1::ListFaultsResponse)       \
  X(ClearFaults, v1::ClearFaultsRequest, v1::ClearFaultsResponse)    \
  X(SetProjectLicense, v1::SetProjectLicenseRequest, v1::Project)    \
  X(CreateSupportPrincipal, v1::CreateSupportPrincipalRequest,       \
    v1::SupportPrincipal)

#endif  // COVE_SRC_CLOUD_CONTROL_RPCS_H_
