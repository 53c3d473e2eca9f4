// Conversions between the public control-plane structs (cove::control) and
// the cove.control.v1 protos: one function each way per message family.
#ifndef COVE_SRC_CONTROL_CONTROL_CONVERT_H_
#define COVE_SRC_CONTROL_CONTROL_CONVERT_H_

#include <chrono>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "cove/control/v1/control.pb.h"
#include "cove/control/v1/emulator.pb.h"
#include "cove/control/v1/resources.pb.h"
#include "cove/control_types.h"
#include "google/protobuf/duration.pb.h"
#include "google/protobuf/timestamp.pb.h"

namespace cove::internal {

namespace pb = ::cove::control::v1;

// Times: an unset Timestamp clears the field; a missing field is unset.
void ToProto(control::Timestamp t, google::protobuf::Timestamp* out);
control::Timestamp FromProto(const google::protobuf::Timestamp& t);
void ToProto(std::chrono::milliseconds d, google::protobuf::Duration* out);
std::chrono::milliseconds FromProto(const google::protobuf::Duration& d);

// Resources.
pb::Organization ToProto(const control::Organization& v);
control::Organization FromProto(const pb::Organization& p);
pb::Member ToProto(const control::Member& v);
control::Member FromProto(const pb::Member& p);
pb::Invitation ToProto(const control::Invitation& v);
control::Invitation FromProto(const pb::Invitation& p);
pb::Project ToProto(const control::Project& v);
control::Project FromProto(const pb::Project& p);
pb::License ToProto(const control::License& v);
control::License FromProto(const pb::License& p);
pb::PriceTable ToProto(const control::PriceTable& v);
control::PriceTable FromProto(const pb::PriceTable& p);
pb::SetProjectLicenseRequest ToProto(
    const control::SetProjectLicenseRequest& v);
pb::EstimateCostRequest ToProto(const control::EstimateCostRequest& v);
control::EstimateCostRequest FromProto(const pb::EstimateCostRequest& p);
pb::CostEstimate ToProto(const control::CostEstimate& v);
control::CostEstimate FromProto(const pb::CostEstimate& p);
// Alerts (issue 19).
pb::AlertRule ToProto(const control::AlertRule& v);
control::AlertRule FromProto(const pb::AlertRule& p);
pb::CreateAlertRuleRequest ToProto(const control::CreateAlertRuleRequest& v);
pb::SilenceAlertRuleRequest ToProto(const control::SilenceAlertRuleRequest& v);
control::TestAlertRuleResult FromProto(const pb::TestAlertRuleResponse& p);
control::Page<control::AlertRule> FromProto(
    const pb::ListAlertRulesResponse& p);
// Versions and upgrades (issue 19).
pb::MaintenanceWindow ToProto(const control::MaintenanceWindow& v);
control::MaintenanceWindow FromProto(const pb::MaintenanceWindow& p);
pb::ScheduledUpgrade ToProto(const control::ScheduledUpgrade& v);
control::ScheduledUpgrade FromProto(const pb::ScheduledUpgrade& p);
pb::Release ToProto(const control::Release& v);
control::Release FromProto(const pb::Release& p);
pb::UpgradeClusterRequest ToProto(const control::UpgradeClusterRequest& v);
pb::MaintenanceWindowInfo ToProto(const control::MaintenanceWindowInfo& v);
control::MaintenanceWindowInfo FromProto(const pb::MaintenanceWindowInfo& p);
pb::Environment ToProto(const control::Environment& v);
control::Environment FromProto(const pb::Environment& p);
pb::EnvironmentValidation ToProto(const control::EnvironmentValidation& v);
control::EnvironmentValidation FromProto(const pb::EnvironmentValidation& p);
pb::Autoscaling ToProto(const control::Autoscaling& v);
control::Autoscaling FromProto(const pb::Autoscaling& p);
control::ClusterMetrics FromProto(const pb::ClusterMetrics& p);
pb::Cluster ToProto(const control::Cluster& v);
control::Cluster FromProto(const pb::Cluster& p);
pb::Operation ToProto(const control::Operation& v);
control::Operation FromProto(const pb::Operation& p);
pb::ApiKey ToProto(const control::ApiKey& v);
control::ApiKey FromProto(const pb::ApiKey& p);
pb::Statement ToProto(const control::Statement& v);
control::Statement FromProto(const pb::Statement& p);
pb::Role ToProto(const control::Role& v);
control::Role FromProto(const pb::Role& p);
pb::RoleBinding ToProto(const control::RoleBinding& v);
control::RoleBinding FromProto(const pb::RoleBinding& p);
pb::AuditEvent ToProto(const control::AuditEvent& v);
control::AuditEvent FromProto(const pb::AuditEvent& p);
pb::EmulatorSettings ToProto(const control::EmulatorSettings& v);
control::EmulatorSettings FromProto(const pb::EmulatorSettings& p);
pb::Fault ToProto(const control::Fault& v);
control::Fault FromProto(const pb::Fault& p);

// Requests (client to server).
pb::CreateOrganizationRequest ToProto(
    const control::CreateOrganizationRequest& v);
control::CreateOrganizationRequest FromProto(
    const pb::CreateOrganizationRequest& p);
pb::DeleteRequest ToProto(const control::DeleteRequest& v);
control::DeleteRequest FromProto(const pb::DeleteRequest& p);
pb::CreateInvitationRequest ToProto(const control::CreateInvitationRequest& v);
control::CreateInvitationRequest FromProto(
    const pb::CreateInvitationRequest& p);
pb::AcceptInvitationRequest ToProto(const control::AcceptInvitationRequest& v);
control::AcceptInvitationResult FromProto(
    const pb::AcceptInvitationResponse& p);
pb::CreateProjectRequest ToProto(const control::CreateProjectRequest& v);
control::CreateProjectRequest FromProto(const pb::CreateProjectRequest& p);
pb::CreateEnvironmentRequest ToProto(
    const control::CreateEnvironmentRequest& v);
control::CreateEnvironmentRequest FromProto(
    const pb::CreateEnvironmentRequest& p);
pb::CreateClusterRequest ToProto(const control::CreateClusterRequest& v);
control::CreateClusterRequest FromProto(const pb::CreateClusterRequest& p);
pb::ClusterActionRequest ToProto(const control::ClusterActionRequest& v);
control::ClusterActionRequest FromProto(const pb::ClusterActionRequest& p);
pb::BackupPolicy ToProto(const control::BackupPolicy& v);
control::BackupPolicy FromProto(const pb::BackupPolicy& p);
pb::Backup ToProto(const control::Backup& v);
control::Backup FromProto(const pb::Backup& p);
pb::CreateBackupRequest ToProto(const control::CreateBackupRequest& v);
pb::RestoreBackupRequest ToProto(const control::RestoreBackupRequest& v);
pb::SetBackupPolicyRequest ToProto(const control::SetBackupPolicyRequest& v);
pb::ScaleClusterRequest ToProto(const control::ScaleClusterRequest& v);
control::ScaleClusterRequest FromProto(const pb::ScaleClusterRequest& p);
pb::CreateApiKeyRequest ToProto(const control::CreateApiKeyRequest& v);
control::CreateApiKeyRequest FromProto(const pb::CreateApiKeyRequest& p);
pb::CreateRoleRequest ToProto(const control::CreateRoleRequest& v);
control::CreateRoleRequest FromProto(const pb::CreateRoleRequest& p);
pb::CreateRoleBindingRequest ToProto(
    const control::CreateRoleBindingRequest& v);
control::CreateRoleBindingRequest FromProto(
    const pb::CreateRoleBindingRequest& p);
pb::ListAuditEventsRequest ToProto(const control::ListAuditEventsRequest& v);
control::ListAuditEventsRequest FromProto(const pb::ListAuditEventsRequest& p);
pb::UpdateSettingsRequest ToProto(
    const control::UpdateEmulatorSettingsRequest& v);
control::UpdateEmulatorSettingsRequest FromProto(
    const pb::UpdateSettingsRequest& p);
pb::SetClockRequest ToProto(const control::SetClockRequest& v);
control::SetClockRequest FromProto(const pb::SetClockRequest& p);

// The client's other requests and responses.
pb::RotateAgentTokenRequest ToProto(const control::RotateAgentTokenRequest& v);
pb::TestPermissionsRequest ToProto(const control::TestPermissionsRequest& v);
std::vector<std::string> FromProto(const pb::TestPermissionsResponse& p);
/// The timeout is at least 1 ms (0 would mean the server's maximum).
pb::WaitOperationRequest ToProto(const control::WaitOperationRequest& v);
pb::GetClusterMetricsRequest ClusterMetricsRequestToProto(
    const std::string& name, int32_t window_seconds);
pb::AdvanceClockRequest AdvanceClockToProto(std::chrono::milliseconds by);
pb::InjectFaultRequest InjectFaultToProto(const control::Fault& fault);
pb::ClearFaultsRequest ClearFaultsToProto(const std::string& verb);
std::vector<control::Fault> FromProto(const pb::ListFaultsResponse& p);

// Pages of the List RPCs.
control::Page<control::Organization> FromProto(
    const pb::ListOrganizationsResponse& p);
control::Page<control::Member> FromProto(const pb::ListMembersResponse& p);
control::Page<control::Invitation> FromProto(
    const pb::ListInvitationsResponse& p);
control::Page<control::Project> FromProto(const pb::ListProjectsResponse& p);
control::Page<control::Environment> FromProto(
    const pb::ListEnvironmentsResponse& p);
control::Page<control::Cluster> FromProto(const pb::ListClustersResponse& p);
control::Page<control::ApiKey> FromProto(const pb::ListApiKeysResponse& p);
control::Page<control::Role> FromProto(const pb::ListRolesResponse& p);
control::Page<control::RoleBinding> FromProto(
    const pb::ListRoleBindingsResponse& p);
control::Page<control::AuditEvent> FromProto(
    const pb::ListAuditEventsResponse& p);
control::Page<control::Operation> FromProto(
    const pb::ListOperationsResponse& p);
control::Page<control::Backup> FromProto(const pb::ListBackupsResponse& p);
// Support access (issue 19; control_convert_support.cc).
pb::SupportAccessGrant ToProto(const control::SupportAccessGrant& v);
control::SupportAccessGrant FromProto(const pb::SupportAccessGrant& p);
control::Page<control::SupportAccessGrant> FromProto(
    const pb::ListSupportAccessResponse& p);
pb::SupportPrincipal ToProto(const control::SupportPrincipal& v);
control::SupportPrincipal FromProto(const pb::SupportPrincipal& p);
pb::CreateSupportPrincipalRequest ToProto(
    const control::CreateSupportPrincipalRequest& v);
pb::RequestSupportAccessRequest ToProto(
    const control::RequestSupportAccessRequest& v);
pb::SupportAccessActionRequest ToProto(
    const control::SupportAccessActionRequest& v);

/// A request that carries only a resource name (GetRequest,
/// ValidateEnvironmentRequest, CancelOperationRequest).
template <typename NameProto>
NameProto NameToProto(const std::string& name) {
  NameProto p;
  p.set_name(name);
  return p;
}

/// An Update*Request: the resource (through its `mutable_field` accessor)
/// and the field mask.
template <typename UpdateProto, typename Resource, typename ResourceProto>
UpdateProto UpdateToProto(const Resource& v,
                          const std::vector<std::string>& update_mask,
                          ResourceProto* (UpdateProto::*mutable_field)()) {
  UpdateProto p;
  *(p.*mutable_field)() = ToProto(v);
  for (const std::string& f : update_mask)
    p.mutable_update_mask()->add_paths(f);
  return p;
}

/// Fills the paging fields shared by every List*Request proto (parent,
/// filter, page_size, page_token; those the message has).
template <typename ListProto>
void ListToProto(const control::ListRequest& v, ListProto* p) {
  if constexpr (std::is_same_v<ListProto, pb::ListOrganizationsRequest>) {
    (void)0;
  } else {
    p->set_parent(v.parent);
  }
  if constexpr (!std::is_same_v<ListProto, pb::ListOrganizationsRequest> &&
                !std::is_same_v<ListProto, pb::ListMembersRequest> &&
                !std::is_same_v<ListProto, pb::ListRolesRequest>) {
    p->set_filter(v.filter);
  }
  p->set_page_size(v.page_size);
  p->set_page_token(v.page_token);
}

/// The same, returning the proto.
template <typename ListProto>
ListProto ListToProto(const control::ListRequest& v) {
  ListProto p;
  ListToProto(v, &p);
  return p;
}

}  // namespace cove::internal

#endif  // COVE_SRC_CONTROL_CONTROL_CONVERT_H_
