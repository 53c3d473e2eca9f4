// The gRPC backend of cove::ControlConnection (see control_connection_impl.h).
#include "control/control_connection_impl.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <random>
#include <utility>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "common/grpc_client.h"
#include "common/status_macros.h"
#include "control/control_convert.h"
#include "control/polling.h"
#include "cove/version.h"

namespace cove::internal {
namespace {

using control::Page;
using ms = std::chrono::milliseconds;

// Whether a call may be repeated after a failure whose outcome is unknown:
// reads, and the calls a request id makes safe.
constexpr bool kIdempotent = true;
constexpr bool kNotIdempotent = false;

// gRPC and absl share the canonical code numbers: 1:1, with the server's
// message unchanged.
absl::Status FromGrpc(const grpc::Status& s) {
  if (s.ok()) return absl::OkStatus();
  return absl::Status(static_cast<absl::StatusCode>(s.error_code()),
                      s.error_message());
}

// The request with a new request id when it has none: every retry of the
// call sends the same one, so the server runs it once.
template <typename Request>
Request WithRequestId(Request r) {
  if (r.request_id.empty()) r.request_id = NewRequestId();
  return r;
}

RetryPolicy RetryPolicyOf(const ControlOptions& options) {
  RetryPolicy policy;
  policy.max_attempts = std::max(1, options.max_attempts);
  policy.initial_backoff = options.initial_backoff;
  policy.max_backoff = options.max_backoff;
  return policy;
}

class ControlConnectionImpl final : public ControlConnection {
 public:
  ControlConnectionImpl(std::shared_ptr<ControlStub> stub,
                        ControlOptions options, Clock clock)
      : stub_(std::move(stub)),
        options_(std::move(options)),
        policy_(RetryPolicyOf(options_)),
        clock_(std::move(clock)) {}

  std::string backend_name() const override { return "grpc"; }

  // ---- organizations

  absl::StatusOr<control::Organization> CreateOrganization(
      const control::CreateOrganizationRequest& request,
      const ControlCallOptions& call) override {
    return Unary(kIdempotent, call, ToProto(WithRequestId(request)),
                 &ControlStub::CreateOrganization);
  }
  absl::StatusOr<control::Organization> GetOrganization(
      const std::string& name, const ControlCallOptions& call) override {
    return Unary(kIdempotent, call, NameToProto<pb::GetRequest>(name),
                 &ControlStub::GetOrganization);
  }
  absl::StatusOr<Page<control::Organization>> ListOrganizations(
      const control::ListRequest& request,
      const ControlCallOptions& call) override {
    return Unary(kIdempotent, call,
                 ListToProto<pb::ListOrganizationsRequest>(request),
                 &ControlStub::ListOrganizations);
  }
  absl::StatusOr<control::Organization> UpdateOrganization(
      const control::Organization& organization,
      const std::vector<std::string>& update_mask,
      const ControlCallOptions& call) override {
    return Unary(
        kNotIdempotent, call,
        UpdateToProto(organization, update_mask,
                      &pb::UpdateOrganizationRequest::mutable_organization),
        &ControlStub::UpdateOrganization);
  }
  absl::Status DeleteOrganization(const control::DeleteRequest& request,
                                  const ControlCallOptions& call) override {
    return Empty(call, ToProto(WithRequestId(request)),
                 &ControlStub::DeleteOrganization);
  }

  // ---- members and invitations

  absl::StatusOr<Page<control::Member>> ListMembers(
      const control::ListRequest& request,
      const ControlCallOptions& call) override {
    return Unary(kIdempotent, call,
                 ListToProto<pb::ListMembersRequest>(request),
                 &ControlStub::ListMembers);
  }
  absl::StatusOr<control::Member> GetMember(
      const std::string& name, const ControlCallOptions& call) override {
    return Unary(kIdempotent, call, NameToProto<pb::GetRequest>(name),
                 &ControlStub::GetMember);
  }
  absl::StatusOr<control::Member> UpdateMember(
      const control::Member& member,
      const std::vector<std::string>& update_mask,
      const ControlCallOptions& call) override {
    return Unary(kNotIdempotent, call,
                 UpdateToProto(member, update_mask,
                               &pb::UpdateMemberRequest::mutable_member),
                 &ControlStub::UpdateMember);
  }
  absl::Status DeleteMember(const control::DeleteRequest& request,
                            const ControlCallOptions& call) override {
    return Empty(call, ToProto(WithRequestId(request)),
                 &ControlStub::DeleteMember);
  }
  absl::StatusOr<control::Invitation> CreateInvitation(
      const control::CreateInvitationRequest& request,
      const ControlCallOptions& call) override {
    return Unary(kIdempotent, call, ToProto(WithRequestId(request)),
                 &ControlStub::CreateInvitation);
  }
  absl::StatusOr<control::Invitation> GetInvitation(
      const std::string& name, const ControlCallOptions& call) override {
    return Unary(kIdempotent, call, NameToProto<pb::GetRequest>(name),
                 &ControlStub::GetInvitation);
  }
  absl::StatusOr<Page<control::Invitation>> ListInvitations(
      const control::ListRequest& request,
      const ControlCallOptions& call) override {
    return Unary(kIdempotent, call,
                 ListToProto<pb::ListInvitationsRequest>(request),
                 &ControlStub::ListInvitations);
  }
  absl::StatusOr<control::Invitation> RevokeInvitation(
      const control::DeleteRequest& request,
      const ControlCallOptions& call) override {
    return Unary(kIdempotent, call, ToProto(WithRequestId(request)),
                 &ControlStub::RevokeInvitation);
  }
  // The token authenticates once: not repeated.
  absl::StatusOr<control::AcceptInvitationResult> AcceptInvitation(
      const control::AcceptInvitationRequest& request,
      const ControlCallOptions& call) override {
    return Unary(kNotIdempotent, call, ToProto(request),
                 &ControlStub::AcceptInvitation);
  }

  // ---- projects

  absl::StatusOr<control::Project> CreateProject(
      const control::CreateProjectRequest& request,
      const ControlCallOptions& call) override {
    return Unary(kIdempotent, call, ToProto(WithRequestId(request)),
                 &ControlStub::CreateProject);
  }
  absl::StatusOr<control::Project> GetProject(
      const std::string& name, const ControlCallOptions& call) override {
    return Unary(kIdempotent, call, NameToProto<pb::GetRequest>(name),
                 &ControlStub::GetProject);
  }
  absl::StatusOr<Page<control::Project>> ListProjects(
      const control::ListRequest& request,
      const ControlCallOptions& call) override {
    return Unary(kIdempotent, call,
                 ListToProto<pb::ListProjectsRequest>(request),
                 &ControlStub::ListProjects);
  }
  absl::StatusOr<control::Project> UpdateProject(
      const control::Project& project,
      const std::vector<std::string>& update_mask,
      const ControlCallOptions& call) override {
    return Unary(kNotIdempotent, call,
                 UpdateToProto(project, update_mask,
                               &pb::UpdateProjectRequest::mutable_project),
                 &ControlStub::UpdateProject);
  }
  absl::Status DeleteProject(const control::DeleteRequest& request,
                             const ControlCallOptions& call) override {
    return Empty(call, ToProto(WithRequestId(request)),
                 &ControlStub::DeleteProject);
  }

  // ---- environments

  absl::StatusOr<control::Environment> CreateEnvironment(
      const control::CreateEnvironmentRequest& request,
      const ControlCallOptions& call) override {
    return Unary(kIdempotent, call, ToProto(WithRequestId(request)),
                 &ControlStub::CreateEnvironment);
  }
  absl::StatusOr<control::Environment> GetEnvironment(
      const std::string& name, const ControlCallOptions& call) override {
    return Unary(kIdempotent, call, NameToProto<pb::GetRequest>(name),
                 &ControlStub::GetEnvironment);
  }
  absl::StatusOr<Page<control::Environment>> ListEnvironments(
      const control::ListRequest& request,
      const ControlCallOptions& call) override {
    return Unary(kIdempotent, call,
                 ListToProto<pb::ListEnvironmentsRequest>(request),
                 &ControlStub::ListEnvironments);
  }
  absl::Status DeleteEnvironment(const control::DeleteRequest& request,
                                 const ControlCallOptions& call) override {
    return Empty(call, ToProto(WithRequestId(request)),
                 &ControlStub::DeleteEnvironment);
  }
  absl::StatusOr<control::EnvironmentValidation> ValidateEnvironment(
      const std::string& name, const ControlCallOptions& call) override {
    return Unary(kIdempotent, call,
                 NameToProto<pb::ValidateEnvironmentRequest>(name),
                 &ControlStub::ValidateEnvironment);
  }
  // A repeat would rotate again (and lose the first new token).
  absl::StatusOr<control::Environment> RotateAgentToken(
      const control::RotateAgentTokenRequest& request,
      const ControlCallOptions& call) override {
    return Unary(kNotIdempotent, call, ToProto(request),
                 &ControlStub::RotateAgentToken);
  }

  // ---- clusters

  absl::StatusOr<control::Operation> CreateCluster(
      const control::CreateClusterRequest& request,
      const ControlCallOptions& call) override {
    return Unary(kIdempotent, call, ToProto(WithRequestId(request)),
                 &ControlStub::CreateCluster);
  }
  absl::StatusOr<control::Cluster> GetCluster(
      const std::string& name, const ControlCallOptions& call) override {
    return Unary(kIdempotent, call, NameToProto<pb::GetRequest>(name),
                 &ControlStub::GetCluster);
  }
  absl::StatusOr<Page<control::Cluster>> ListClusters(
      const control::ListRequest& request,
      const ControlCallOptions& call) override {
    return Unary(kIdempotent, call,
                 ListToProto<pb::ListClustersRequest>(request),
                 &ControlStub::ListClusters);
  }
  absl::StatusOr<control::Cluster> UpdateCluster(
      const control::Cluster& cluster,
      const std::vector<std::string>& update_mask,
      const ControlCallOptions& call) override {
    return Unary(kNotIdempotent, call,
                 UpdateToProto(cluster, update_mask,
                               &pb::UpdateClusterRequest::mutable_cluster),
                 &ControlStub::UpdateCluster);
  }
  absl::StatusOr<control::Operation> SuspendCluster(
      const control::ClusterActionRequest& request,
      const ControlCallOptions& call) override {
    return Unary(kIdempotent, call, ToProto(WithRequestId(request)),
                 &ControlStub::SuspendCluster);
  }
  absl::StatusOr<control::Operation> ResumeCluster(
      const control::ClusterActionRequest& request,
      const ControlCallOptions& call) override {
    return Unary(kIdempotent, call, ToProto(WithRequestId(request)),
                 &ControlStub::ResumeCluster);
  }
  absl::StatusOr<control::Operation> ResetClusterPassword(
      const control::ClusterActionRequest& request,
      const ControlCallOptions& call) override {
    return Unary(kIdempotent, call, ToProto(WithRequestId(request)),
                 &ControlStub::ResetClusterPassword);
  }
  absl::StatusOr<control::Operation> ScaleCluster(
      const control::ScaleClusterRequest& request,
      const ControlCallOptions& call) override {
    return Unary(kIdempotent, call, ToProto(WithRequestId(request)),
                 &ControlStub::ScaleCluster);
  }
  absl::StatusOr<control::Operation> DeleteCluster(
      const control::ClusterActionRequest& request,
      const ControlCallOptions& call) override {
    return Unary(kIdempotent, call, ToProto(WithRequestId(request)),
                 &ControlStub::DeleteCluster);
  }
  absl::StatusOr<control::Operation> RestoreCluster(
      const control::ClusterActionRequest& request,
      const ControlCallOptions& call) override {
    return Unary(kIdempotent, call, ToProto(WithRequestId(request)),
                 &ControlStub::RestoreCluster);
  }
  absl::StatusOr<control::Operation> PurgeCluster(
      const control::ClusterActionRequest& request,
      const ControlCallOptions& call) override {
    return Unary(kIdempotent, call, ToProto(WithRequestId(request)),
                 &ControlStub::PurgeCluster);
  }

  // ---- API keys

  absl::StatusOr<control::ApiKey> CreateApiKey(
      const control::CreateApiKeyRequest& request,
      const ControlCallOptions& call) override {
    return Unary(kIdempotent, call, ToProto(WithRequestId(request)),
                 &ControlStub::CreateApiKey);
  }
  absl::StatusOr<control::ApiKey> GetApiKey(
      const std::string& name, const ControlCallOptions& call) override {
    return Unary(kIdempotent, call, NameToProto<pb::GetRequest>(name),
                 &ControlStub::GetApiKey);
  }
  absl::StatusOr<Page<control::ApiKey>> ListApiKeys(
      const control::ListRequest& request,
      const ControlCallOptions& call) override {
    return Unary(kIdempotent, call,
                 ListToProto<pb::ListApiKeysRequest>(request),
                 &ControlStub::ListApiKeys);
  }
  absl::StatusOr<control::ApiKey> UpdateApiKey(
      const control::ApiKey& api_key,
      const std::vector<std::string>& update_mask,
      const ControlCallOptions& call) override {
    return Unary(kNotIdempotent, call,
                 UpdateToProto(api_key, update_mask,
                               &pb::UpdateApiKeyRequest::mutable_api_key),
                 &ControlStub::UpdateApiKey);
  }
  absl::Status DeleteApiKey(const control::DeleteRequest& request,
                            const ControlCallOptions& call) override {
    return Empty(call, ToProto(WithRequestId(request)),
                 &ControlStub::DeleteApiKey);
  }

  // ---- roles, role bindings, permissions

  absl::StatusOr<control::Role> CreateRole(
      const control::CreateRoleRequest& request,
      const ControlCallOptions& call) override {
    return Unary(kIdempotent, call, ToProto(WithRequestId(request)),
                 &ControlStub::CreateRole);
  }
  absl::StatusOr<control::Role> GetRole(
      const std::string& name, const ControlCallOptions& call) override {
    return Unary(kIdempotent, call, NameToProto<pb::GetRequest>(name),
                 &ControlStub::GetRole);
  }
  absl::StatusOr<Page<control::Role>> ListRoles(
      const control::ListRequest& request,
      const ControlCallOptions& call) override {
    return Unary(kIdempotent, call, ListToProto<pb::ListRolesRequest>(request),
                 &ControlStub::ListRoles);
  }
  absl::StatusOr<control::Role> UpdateRole(
      const control::Role& role, const std::vector<std::string>& update_mask,
      const ControlCallOptions& call) override {
    return Unary(
        kNotIdempotent, call,
        UpdateToProto(role, update_mask, &pb::UpdateRoleRequest::mutable_role),
        &ControlStub::UpdateRole);
  }
  absl::Status DeleteRole(const control::DeleteRequest& request,
                          const ControlCallOptions& call) override {
    return Empty(call, ToProto(WithRequestId(request)),
                 &ControlStub::DeleteRole);
  }
  absl::StatusOr<control::RoleBinding> CreateRoleBinding(
      const control::CreateRoleBindingRequest& request,
      const ControlCallOptions& call) override {
    return Unary(kIdempotent, call, ToProto(WithRequestId(request)),
                 &ControlStub::CreateRoleBinding);
  }
  absl::StatusOr<control::RoleBinding> GetRoleBinding(
      const std::string& name, const ControlCallOptions& call) override {
    return Unary(kIdempotent, call, NameToProto<pb::GetRequest>(name),
                 &ControlStub::GetRoleBinding);
  }
  absl::StatusOr<Page<control::RoleBinding>> ListRoleBindings(
      const control::ListRequest& request,
      const ControlCallOptions& call) override {
    return Unary(kIdempotent, call,
                 ListToProto<pb::ListRoleBindingsRequest>(request),
                 &ControlStub::ListRoleBindings);
  }
  absl::Status DeleteRoleBinding(const control::DeleteRequest& request,
                                 const ControlCallOptions& call) override {
    return Empty(call, ToProto(WithRequestId(request)),
                 &ControlStub::DeleteRoleBinding);
  }
  absl::StatusOr<std::vector<std::string>> TestPermissions(
      const control::TestPermissionsRequest& request,
      const ControlCallOptions& call) override {
    return Unary(kIdempotent, call, ToProto(request),
                 &ControlStub::TestPermissions);
  }

  // ---- audit

  absl::StatusOr<Page<control::AuditEvent>> ListAuditEvents(
      const control::ListAuditEventsRequest& request,
      const ControlCallOptions& call) override {
    return Unary(kIdempotent, call, ToProto(request),
                 &ControlStub::ListAuditEvents);
  }

  // ---- operations

  absl::StatusOr<control::Operation> GetOperation(
      const std::string& name, const ControlCallOptions& call) override {
    return Unary(kIdempotent, call, NameToProto<pb::GetRequest>(name),
                 &ControlStub::GetOperation);
  }
  absl::StatusOr<Page<control::Operation>> ListOperations(
      const control::ListRequest& request,
      const ControlCallOptions& call) override {
    return Unary(kIdempotent, call,
                 ListToProto<pb::ListOperationsRequest>(request),
                 &ControlStub::ListOperations);
  }
  absl::StatusOr<control::Operation> WaitOperation(
      const control::WaitOperationRequest& request,
      const ControlCallOptions& call) override {
    return Unary(kIdempotent, call, ToProto(request),
                 &ControlStub::WaitOperation);
  }
  absl::StatusOr<control::Operation> CancelOperation(
      const std::string& name, const ControlCallOptions& call) override {
    return Unary(kIdempotent, call,
                 NameToProto<pb::CancelOperationRequest>(name),
                 &ControlStub::CancelOperation);
  }
  absl::StatusOr<control::Operation> AwaitOperation(
      const control::WaitOperationRequest& request,
      const ControlCallOptions& call) override {
    return PollOperation(
        [this](const control::WaitOperationRequest& r,
               const ControlCallOptions& c) { return WaitOperation(r, c); },
        request, call, options_, clock_);
  }

  // ---- metrics

  absl::StatusOr<control::ClusterMetrics> GetClusterMetrics(
      const std::string& name, int32_t window_seconds,
      const ControlCallOptions& call) override {
    return Unary(kIdempotent, call,
                 ClusterMetricsRequestToProto(name, window_seconds),
                 &ControlStub::GetClusterMetrics);
  }

  // ---- backups

  absl::StatusOr<control::Operation> CreateBackup(
      const control::CreateBackupRequest& request,
      const ControlCallOptions& call) override {
    return Unary(kIdempotent, call, ToProto(WithRequestId(request)),
                 &ControlStub::CreateBackup);
  }
  absl::StatusOr<control::Backup> GetBackup(
      const std::string& name, const ControlCallOptions& call) override {
    return Unary(kIdempotent, call, NameToProto<pb::GetRequest>(name),
                 &ControlStub::GetBackup);
  }
  absl::StatusOr<Page<control::Backup>> ListBackups(
      const control::ListRequest& request,
      const ControlCallOptions& call) override {
    return Unary(kIdempotent, call,
                 ListToProto<pb::ListBackupsRequest>(request),
                 &ControlStub::ListBackups);
  }
  absl::StatusOr<control::Operation> DeleteBackup(
      const control::DeleteRequest& request,
      const ControlCallOptions& call) override {
    return Unary(kIdempotent, call, ToProto(WithRequestId(request)),
                 &ControlStub::DeleteBackup);
  }
  absl::StatusOr<control::Operation> RestoreBackup(
      const control::RestoreBackupRequest& request,
      const ControlCallOptions& call) override {
    return Unary(kIdempotent, call, ToProto(WithRequestId(request)),
                 &ControlStub::RestoreBackup);
  }
  absl::StatusOr<control::Cluster> SetBackupPolicy(
      const control::SetBackupPolicyRequest& request,
      const ControlCallOptions& call) override {
    return Unary(kNotIdempotent, call, ToProto(request),
                 &ControlStub::SetBackupPolicy);
  }

  // ---- the emulator

  absl::StatusOr<control::EmulatorSettings> GetEmulatorSettings(
      const ControlCallOptions& call) override {
    return Unary(kIdempotent, call, pb::GetSettingsRequest(),
                 &ControlStub::GetSettings);
  }
  absl::StatusOr<control::EmulatorSettings> UpdateEmulatorSettings(
      const control::UpdateEmulatorSettingsRequest& request,
      const ControlCallOptions& call) override {
    return Unary(kIdempotent, call, ToProto(request),
                 &ControlStub::UpdateSettings);
  }
  // Setting the clock to a given time (or back to real) is idempotent;
  // "now" is not.
  absl::StatusOr<control::EmulatorSettings> SetClock(
      const control::SetClockRequest& request,
      const ControlCallOptions& call) override {
    return Unary(request.real || control::IsSet(request.time), call,
                 ToProto(request), &ControlStub::SetClock);
  }
  absl::StatusOr<control::EmulatorSettings> AdvanceClock(
      ms by, const ControlCallOptions& call) override {
    return Unary(kNotIdempotent, call, AdvanceClockToProto(by),
                 &ControlStub::AdvanceClock);
  }
  absl::StatusOr<control::Fault> InjectFault(
      const control::Fault& fault, const ControlCallOptions& call) override {
    return Unary(kNotIdempotent, call, InjectFaultToProto(fault),
                 &ControlStub::InjectFault);
  }
  absl::StatusOr<std::vector<control::Fault>> ListFaults(
      const ControlCallOptions& call) override {
    return Unary(kIdempotent, call, pb::ListFaultsRequest(),
                 &ControlStub::ListFaults);
  }
  absl::Status ClearFaults(const std::string& verb,
                           const ControlCallOptions& call) override {
    pb::ClearFaultsResponse response;
    return Call(kIdempotent, call, ClearFaultsToProto(verb), &response,
                &ControlStub::ClearFaults);
  }

  // ---- licenses and cost (issue 19)

  // Setting a license to given values is idempotent.
  absl::StatusOr<control::Project> SetProjectLicense(
      const control::SetProjectLicenseRequest& request,
      const ControlCallOptions& call) override {
    return Unary(kIdempotent, call, ToProto(request),
                 &ControlStub::SetProjectLicense);
  }
  absl::StatusOr<control::CostEstimate> EstimateCost(
      const control::EstimateCostRequest& request,
      const ControlCallOptions& call) override {
    return Unary(kIdempotent, call, ToProto(request),
                 &ControlStub::EstimateCost);
  }

  // ---- alerts (issue 19)

  absl::StatusOr<control::AlertRule> CreateAlertRule(
      const control::CreateAlertRuleRequest& request,
      const ControlCallOptions& call) override {
    return Unary(kIdempotent, call, ToProto(WithRequestId(request)),
                 &ControlStub::CreateAlertRule);
  }
  absl::StatusOr<control::AlertRule> GetAlertRule(
      const std::string& name, const ControlCallOptions& call) override {
    return Unary(kIdempotent, call, NameToProto<pb::GetRequest>(name),
                 &ControlStub::GetAlertRule);
  }
  absl::StatusOr<Page<control::AlertRule>> ListAlertRules(
      const control::ListRequest& request,
      const ControlCallOptions& call) override {
    return Unary(kIdempotent, call,
                 ListToProto<pb::ListAlertRulesRequest>(request),
                 &ControlStub::ListAlertRules);
  }
  absl::Status DeleteAlertRule(const control::DeleteRequest& request,
                               const ControlCallOptions& call) override {
    return Empty(call, ToProto(WithRequestId(request)),
                 &ControlStub::DeleteAlertRule);
  }
  // A retried test may send a second test notification: harmless.
  absl::StatusOr<control::TestAlertRuleResult> TestAlertRule(
      const std::string& name, const ControlCallOptions& call) override {
    return Unary(kIdempotent, call, NameToProto<pb::TestAlertRuleRequest>(name),
                 &ControlStub::TestAlertRule);
  }
  // Silencing until a given time is idempotent.
  absl::StatusOr<control::AlertRule> SilenceAlertRule(
      const control::SilenceAlertRuleRequest& request,
      const ControlCallOptions& call) override {
    return Unary(kIdempotent, call, ToProto(request),
                 &ControlStub::SilenceAlertRule);
  }
  absl::StatusOr<control::AlertRule> UpdateAlertRule(
      const control::AlertRule& rule,
      const std::vector<std::string>& update_mask,
      const ControlCallOptions& call) override {
    return Unary(kNotIdempotent, call,
                 UpdateToProto(rule, update_mask,
                               &pb::UpdateAlertRuleRequest::mutable_alert_rule),
                 &ControlStub::UpdateAlertRule);
  }

  // ---- support access (issue 19)

  // A second principal of the same id is refused: not repeated.
  absl::StatusOr<control::SupportPrincipal> CreateSupportPrincipal(
      const control::CreateSupportPrincipalRequest& request,
      const ControlCallOptions& call) override {
    return Unary(kNotIdempotent, call, ToProto(request),
                 &ControlStub::CreateSupportPrincipal);
  }
  // With a request id: a retry returns the first answer.
  absl::StatusOr<control::SupportAccessGrant> RequestSupportAccess(
      const control::RequestSupportAccessRequest& request,
      const ControlCallOptions& call) override {
    return Unary(kIdempotent, call, ToProto(WithRequestId(request)),
                 &ControlStub::RequestSupportAccess);
  }
  absl::StatusOr<control::SupportAccessGrant> GetSupportAccess(
      const std::string& name, const ControlCallOptions& call) override {
    return Unary(kIdempotent, call, NameToProto<pb::GetRequest>(name),
                 &ControlStub::GetSupportAccess);
  }
  absl::StatusOr<Page<control::SupportAccessGrant>> ListSupportAccess(
      const control::ListRequest& request,
      const ControlCallOptions& call) override {
    return Unary(kIdempotent, call,
                 ListToProto<pb::ListSupportAccessRequest>(request),
                 &ControlStub::ListSupportAccess);
  }
  // A decision repeated after it took effect fails (FailedPrecondition):
  // not repeated.
  absl::StatusOr<control::SupportAccessGrant> ApproveSupportAccess(
      const control::SupportAccessActionRequest& request,
      const ControlCallOptions& call) override {
    return Unary(kNotIdempotent, call, ToProto(request),
                 &ControlStub::ApproveSupportAccess);
  }
  absl::StatusOr<control::SupportAccessGrant> DenySupportAccess(
      const control::SupportAccessActionRequest& request,
      const ControlCallOptions& call) override {
    return Unary(kNotIdempotent, call, ToProto(request),
                 &ControlStub::DenySupportAccess);
  }
  absl::StatusOr<control::SupportAccessGrant> RevokeSupportAccess(
      const control::SupportAccessActionRequest& request,
      const ControlCallOptions& call) override {
    return Unary(kNotIdempotent, call, ToProto(request),
                 &ControlStub::RevokeSupportAccess);
  }

  // ---- versions and upgrades (issue 19)

  absl::StatusOr<std::vector<control::Release>> ListReleases(
      const std::string& cluster, const ControlCallOptions& call) override {
    pb::ListReleasesRequest req;
    req.set_cluster(cluster);
    pb::ListReleasesResponse resp;
    COVE_RETURN_IF_ERROR(
        Call(kIdempotent, call, req, &resp, &ControlStub::ListReleases));
    std::vector<control::Release> out;
    for (const pb::Release& r : resp.releases()) out.push_back(FromProto(r));
    return out;
  }
  // A request id makes a retried upgrade the same upgrade.
  absl::StatusOr<control::Operation> UpgradeCluster(
      const control::UpgradeClusterRequest& request,
      const ControlCallOptions& call) override {
    return Unary(kIdempotent, call, ToProto(WithRequestId(request)),
                 &ControlStub::UpgradeCluster);
  }
  absl::StatusOr<control::MaintenanceWindowInfo> SetMaintenanceWindow(
      const std::string& name,
      const std::optional<control::MaintenanceWindow>& window,
      const ControlCallOptions& call) override {
    pb::SetMaintenanceWindowRequest req;
    req.set_name(name);
    if (window.has_value()) *req.mutable_window() = ToProto(*window);
    return Unary(kIdempotent, call, req, &ControlStub::SetMaintenanceWindow);
  }
  absl::StatusOr<control::MaintenanceWindowInfo> GetMaintenanceWindow(
      const std::string& name, const ControlCallOptions& call) override {
    pb::GetMaintenanceWindowRequest req;
    req.set_name(name);
    return Unary(kIdempotent, call, req, &ControlStub::GetMaintenanceWindow);
  }

 private:
  template <typename Request, typename Response>
  using Method = grpc::Status (ControlStub::*)(grpc::ClientContext&,
                                               const Request&, Response*);

  // One RPC under the call's deadline (all attempts); when `idempotent`,
  // retried on Unavailable with backoff while attempts (call.max_attempts,
  // else options) and time remain. Each attempt gets the time left.
  template <typename Request, typename Response>
  absl::Status Call(bool idempotent, const ControlCallOptions& call,
                    const Request& request, Response* response,
                    Method<Request, Response> method) {
    RetryPolicy policy = policy_;
    if (call.max_attempts.has_value()) {
      policy.max_attempts = std::max(1, *call.max_attempts);
    }
    const auto deadline =
        clock_.now() + call.timeout.value_or(options_.timeout);
    return RetryLoop(policy, clock_, deadline, idempotent, [&](ms remaining) {
      grpc::ClientContext context;
      context.set_deadline(std::chrono::system_clock::now() + remaining);
      response->Clear();
      return FromGrpc((stub_.get()->*method)(context, request, response));
    });
  }

  // Call, then the response converted.
  template <typename Request, typename Response>
  auto Unary(bool idempotent, const ControlCallOptions& call,
             const Request& request, Method<Request, Response> method)
      -> absl::StatusOr<decltype(FromProto(std::declval<const Response&>()))> {
    Response response;
    COVE_RETURN_IF_ERROR(Call(idempotent, call, request, &response, method));
    return FromProto(response);
  }

  // A Delete* answering google.protobuf.Empty; the request id makes it safe
  // to repeat.
  template <typename Request>
  absl::Status Empty(const ControlCallOptions& call, const Request& request,
                     Method<Request, google::protobuf::Empty> method) {
    google::protobuf::Empty response;
    return Call(kIdempotent, call, request, &response, method);
  }

  const std::shared_ptr<ControlStub> stub_;
  const ControlOptions options_;
  const RetryPolicy policy_;
  const Clock clock_;
};

}  // namespace

std::string ControlEndpoint::target() const {
  if (host.find(':') != std::string::npos) {
    return absl::StrCat("[", host, "]:", port);
  }
  return absl::StrCat(host, ":", port);
}

absl::StatusOr<ControlEndpoint> ParseControlEndpoint(
    const std::string& endpoint) {
  ControlEndpoint ep;
  absl::string_view rest(endpoint);
  if (absl::ConsumePrefix(&rest, "https://")) {
    ep.tls = true;
    ep.port = 443;
  } else if (absl::ConsumePrefix(&rest, "http://")) {
    ep.port = 80;
  } else {
    return absl::InvalidArgumentError(absl::StrCat(
        "endpoint: expected http://host[:port] or https://host[:port] (got '",
        endpoint, "')"));
  }
  absl::ConsumeSuffix(&rest, "/");
  if (rest.find('/') != absl::string_view::npos) {
    return absl::InvalidArgumentError(absl::StrCat(
        "endpoint: expected no path after host[:port] (got '", endpoint, "')"));
  }
  absl::string_view port_text;
  bool has_port = false;
  if (absl::ConsumePrefix(&rest, "[")) {
    size_t close = rest.find(']');
    if (close == absl::string_view::npos) {
      return absl::InvalidArgumentError(absl::StrCat(
          "endpoint: unterminated IPv6 address (got '", endpoint, "')"));
    }
    ep.host = std::string(rest.substr(0, close));
    absl::string_view after = rest.substr(close + 1);
    if (absl::ConsumePrefix(&after, ":")) {
      has_port = true;
      port_text = after;
    }
  } else {
    size_t colon = rest.rfind(':');
    ep.host = std::string(rest.substr(0, colon));
    if (colon != absl::string_view::npos) {
      has_port = true;
      port_text = rest.substr(colon + 1);
    }
  }
  if (ep.host.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat("endpoint: missing host (got '", endpoint, "')"));
  }
  if (has_port) {
    int port = 0;
    if (!absl::SimpleAtoi(port_text, &port) || port < 1 || port > 65535) {
      return absl::InvalidArgumentError(absl::StrCat(
          "endpoint: port must be 1 to 65535 (got '", port_text, "')"));
    }
    ep.port = port;
  }
  return ep;
}

std::string NewRequestId() {
  std::random_device rd;
  uint64_t hi = (static_cast<uint64_t>(rd()) << 32) | rd();
  uint64_t lo = (static_cast<uint64_t>(rd()) << 32) | rd();
  hi = (hi & ~0xF000ULL) | 0x4000ULL;                  // version 4
  lo = (lo & ~(0xC000ULL << 48)) | (0x8000ULL << 48);  // variant 10
  char buf[37];
  std::snprintf(buf, sizeof(buf), "%08x-%04x-%04x-%04x-%012llx",
                static_cast<unsigned>(hi >> 32),
                static_cast<unsigned>((hi >> 16) & 0xFFFF),
                static_cast<unsigned>(hi & 0xFFFF),
                static_cast<unsigned>(lo >> 48),
                static_cast<unsigned long long>(lo & 0xFFFFFFFFFFFFULL));
  return buf;
}

std::shared_ptr<ControlConnection> MakeControlConnection(
    std::shared_ptr<ControlStub> stub, ControlOptions options, Clock clock) {
  return std::make_shared<ControlConnectionImpl>(
      std::move(stub), std::move(options), std::move(clock));
}

std::shared_ptr<ControlConnection> MakeControlConnection(
    std::shared_ptr<grpc::Channel> channel, ControlOptions options) {
  RpcLogSink log;
  // ControlOptions::log_rpcs (or COVE_LOG_RPCS=1 through
  // ApplyControlEnvironment) logs every RPC attempt to stderr.
  if (options.log_rpcs) log = StderrRpcLogSink();
  auto stub = MakeDecoratedControlStub(MakeGrpcControlStub(std::move(channel)),
                                       options.api_key, std::move(log));
  return MakeControlConnection(std::move(stub), std::move(options),
                               Clock::Real());
}

absl::StatusOr<std::shared_ptr<ControlConnection>> MakeControlConnection(
    const ControlOptions& options) {
  COVE_ASSIGN_OR_RETURN(ControlEndpoint endpoint,
                        ParseControlEndpoint(options.endpoint));
  // Reconnection after a control-plane restart at least once a second, so
  // that a wait (whose attempts are at most 1 s apart) goes on soon after.
  RetryPolicy reconnect;
  reconnect.initial_backoff = options.initial_backoff;
  reconnect.max_backoff = std::min(options.max_backoff, ms(1000));
  grpc::ChannelArguments args = ClientChannelArguments(
      reconnect, absl::StrCat("cove-control-cpp/", VersionString()));
  const TlsSettings tls{options.ca_cert_pem,
                        options.ca_cert_file,
                        /*client_cert_file=*/"",
                        /*client_key_file=*/"",
                        options.server_name,
                        options.dangerously_skip_tls_verification,
                        "ControlOptions.dangerously_skip_tls_verification"};
  COVE_ASSIGN_OR_RETURN(
      auto credentials,
      ChannelCredentials(tls, endpoint.tls, endpoint.target(), &args));
  return MakeControlConnection(
      grpc::CreateCustomChannel(endpoint.target(), credentials, args), options);
}

}  // namespace cove::internal
