// cove::ControlClient, ControlOperation and EmulatorClient: the thin layer
// over a ControlConnection. It checks requests before any RPC, pages
// (Pager), wraps operations in handles and waits for them; request ids,
// retries and polling belong to the connection (control_connection_impl.h),
// so a mock connection gets the conveniences of this layer and sees each
// call once, as the caller built it.
#include <algorithm>
#include <thread>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "common/retry.h"
#include "common/status_macros.h"
#include "control/control_connection_impl.h"
#include "control/control_runtime.h"
#include "control/control_validation.h"
#include "control/polling.h"
#include "cove/control.h"

namespace cove {
namespace internal {
namespace {

// The client's clock: time and sleeping as given, randomness of our own.
Clock ClockOf(ControlClock c) {
  Clock clock = Clock::Real();
  clock.now = std::move(c.now);
  clock.sleep = std::move(c.sleep);
  return clock;
}

}  // namespace

ControlRuntime::ControlRuntime(ControlOptions o, ControlClock c)
    : options(std::move(o)), clock(ClockOf(std::move(c))) {}

}  // namespace internal

namespace {

using internal::CheckId;
using internal::CheckList;
using internal::CheckMask;
using internal::CheckName;
using internal::CheckOrgOrProjectList;
using internal::CheckPaging;
using internal::CheckRequired;
using internal::CheckRoleName;
using internal::ControlRuntime;
using internal::kAnyCluster;
using internal::kAnyProject;
using internal::kApiKey;
using internal::kBackup;
using internal::kCluster;
using internal::kCustomRole;
using internal::kEnvironment;
using internal::kInvitation;
using internal::kMember;
using internal::kOperation;
using internal::kOrg;
using internal::kProject;
using internal::kRoleBinding;
using ms = std::chrono::milliseconds;

}  // namespace

ControlClock ControlClock::Real() {
  ControlClock c;
  c.now = [] { return std::chrono::steady_clock::now(); };
  c.sleep = [](ms d) { std::this_thread::sleep_for(d); };
  return c;
}

// ---- ControlOperation
// --------------------------------------------------------

absl::StatusOr<control::Backup> ControlOperation::backup() const {
  if (!op_.done) {
    return absl::FailedPreconditionError(
        absl::StrCat("operation ", op_.name, " (", op_.verb,
                     "): not done yet (progress ", op_.progress_percent, "%)"));
  }
  COVE_RETURN_IF_ERROR(op_.error());
  if (!op_.backup.has_value()) {
    return absl::NotFoundError(absl::StrCat("operation ", op_.name, " (",
                                            op_.verb, "): carries no backup"));
  }
  return *op_.backup;
}

absl::StatusOr<control::Cluster> ControlOperation::cluster() const {
  if (!op_.done) {
    return absl::FailedPreconditionError(
        absl::StrCat("operation ", op_.name, " (", op_.verb,
                     "): not done yet (progress ", op_.progress_percent, "%)"));
  }
  COVE_RETURN_IF_ERROR(op_.error());
  if (!op_.cluster.has_value()) {
    return absl::NotFoundError(absl::StrCat("operation ", op_.name, " (",
                                            op_.verb, "): carries no cluster"));
  }
  return *op_.cluster;
}

absl::Status ControlOperation::Refresh(const ControlCallOptions& call) {
  COVE_ASSIGN_OR_RETURN(op_, connection_->GetOperation(op_.name, call));
  return absl::OkStatus();
}

absl::Status ControlOperation::Wait(std::optional<ms> timeout,
                                    const ControlCallOptions& call) {
  if (op_.done) return op_.error();
  const ControlRuntime& rt = *runtime_;
  const ms total = timeout.value_or(rt.options.operation_timeout);
  auto not_done = [&](absl::string_view detail) {
    return absl::DeadlineExceededError(absl::StrCat(
        "operation ", op_.name, " (", op_.verb, " of ", op_.target,
        "): not done after ", total.count(), " ms (progress ",
        op_.progress_percent, "%)", detail.empty() ? "" : "; ", detail));
  };
  if (total <= ms(0)) return not_done("");
  control::WaitOperationRequest request;
  request.name = op_.name;
  request.timeout = total;
  absl::StatusOr<control::Operation> r =
      connection_->AwaitOperation(request, call);
  if (absl::IsUnimplemented(r.status())) {
    // A connection that does not poll (a mock): poll its WaitOperation.
    r = internal::PollOperation(
        [this](const control::WaitOperationRequest& w,
               const ControlCallOptions& c) {
          return connection_->WaitOperation(w, c);
        },
        request, call, rt.options, rt.clock);
  }
  if (absl::IsDeadlineExceeded(r.status())) {
    absl::string_view detail = r.status().message();
    absl::ConsumePrefix(&detail, absl::StrCat("operation ", op_.name, ": "));
    return not_done(detail);
  }
  COVE_ASSIGN_OR_RETURN(op_, std::move(r));
  if (!op_.done) return not_done("");
  return op_.error();
}

absl::Status ControlOperation::Cancel(const ControlCallOptions& call) {
  COVE_ASSIGN_OR_RETURN(op_, connection_->CancelOperation(op_.name, call));
  return absl::OkStatus();
}

// ---- EmulatorClient
// ------------------------------------------------------------

absl::StatusOr<control::EmulatorSettings> EmulatorClient::GetSettings(
    const ControlCallOptions& call) {
  return connection_->GetEmulatorSettings(call);
}

absl::StatusOr<control::EmulatorSettings> EmulatorClient::UpdateSettings(
    const control::UpdateEmulatorSettingsRequest& request,
    const ControlCallOptions& call) {
  if (request.transition_delay && *request.transition_delay < ms(0)) {
    return absl::InvalidArgumentError(
        absl::StrCat("transition_delay: expected >= 0 ms (got ",
                     request.transition_delay->count(), ")"));
  }
  if (request.retention && *request.retention < ms(0)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "retention: expected >= 0 ms (got ", request.retention->count(), ")"));
  }
  return connection_->UpdateEmulatorSettings(request, call);
}

absl::StatusOr<control::EmulatorSettings> EmulatorClient::SetClock(
    const control::SetClockRequest& request, const ControlCallOptions& call) {
  return connection_->SetClock(request, call);
}

absl::StatusOr<control::EmulatorSettings> EmulatorClient::AdvanceClock(
    ms by, const ControlCallOptions& call) {
  if (by < ms(0)) {
    return absl::InvalidArgumentError(
        absl::StrCat("by: expected >= 0 ms (got ", by.count(), ")"));
  }
  return connection_->AdvanceClock(by, call);
}

absl::StatusOr<control::Fault> EmulatorClient::InjectFault(
    const control::Fault& fault, const ControlCallOptions& call) {
  COVE_RETURN_IF_ERROR(CheckRequired("fault.verb", fault.verb));
  if (fault.mode == control::FaultMode::kUnspecified) {
    return absl::InvalidArgumentError(
        "fault.mode: required (expected FAIL, STALL or UNAVAILABLE)");
  }
  if (fault.count < 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("fault.count: expected >= 0 (got ", fault.count, ")"));
  }
  return connection_->InjectFault(fault, call);
}

absl::StatusOr<std::vector<control::Fault>> EmulatorClient::ListFaults(
    const ControlCallOptions& call) {
  return connection_->ListFaults(call);
}

absl::Status EmulatorClient::ClearFaults(const std::string& verb,
                                         const ControlCallOptions& call) {
  return connection_->ClearFaults(verb, call);
}

absl::StatusOr<control::Project> EmulatorClient::SetProjectLicense(
    const control::SetProjectLicenseRequest& request,
    const ControlCallOptions& call) {
  COVE_RETURN_IF_ERROR(CheckName("project", request.project, kProject));
  if (request.license &&
      (request.license->max_cus < 0 || request.license->max_replicas < 0)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "license.max_cus/max_replicas: expected 0 (no limit) or more (got ",
        request.license->max_cus, "/", request.license->max_replicas, ")"));
  }
  return connection_->SetProjectLicense(request, call);
}

absl::StatusOr<control::SupportPrincipal>
EmulatorClient::CreateSupportPrincipal(
    const control::CreateSupportPrincipalRequest& request,
    const ControlCallOptions& call) {
  COVE_RETURN_IF_ERROR(
      CheckRequired("support_principal_id", request.support_principal_id));
  return connection_->CreateSupportPrincipal(request, call);
}

// ---- ControlClient
// -----------------------------------------------------------

ControlClient::ControlClient(std::shared_ptr<ControlConnection> connection,
                             ControlOptions options, ControlClock clock)
    : connection_(std::move(connection)),
      runtime_(std::make_shared<ControlRuntime>(std::move(options),
                                                std::move(clock))) {}

absl::StatusOr<ControlClient> ControlClient::Connect(ControlOptions options) {
  COVE_RETURN_IF_ERROR(options.Validate());
  COVE_ASSIGN_OR_RETURN(auto connection,
                        internal::MakeControlConnection(options));
  return ControlClient(std::move(connection), std::move(options));
}

const ControlOptions& ControlClient::options() const {
  return runtime_->options;
}

EmulatorClient ControlClient::emulator() const {
  return EmulatorClient(connection_, runtime_);
}

std::string ControlClient::NewRequestId() { return internal::NewRequestId(); }

// Shorthand for the method bodies below.
// Pager over a List method: `fetch` runs one page with the token given.
#define COVE_PAGER(Type, Method, request)                               \
  Pager<control::Type>(                                                 \
      [client = *this, request, call](const std::string& token) mutable \
      -> absl::StatusOr<control::Page<control::Type>> {                 \
        auto r = request;                                               \
        r.page_token = token;                                           \
        return client.Method(r, call);                                  \
      },                                                                \
      request.page_token)

// ---- organizations

absl::StatusOr<control::Organization> ControlClient::CreateOrganization(
    const control::CreateOrganizationRequest& request,
    const ControlCallOptions& call) {
  COVE_RETURN_IF_ERROR(CheckId("organization_id", request.organization_id));
  return connection_->CreateOrganization(request, call);
}

absl::StatusOr<control::Organization> ControlClient::GetOrganization(
    const std::string& name, const ControlCallOptions& call) {
  COVE_RETURN_IF_ERROR(CheckName("name", name, kOrg));
  return connection_->GetOrganization(name, call);
}

absl::StatusOr<control::Page<control::Organization>>
ControlClient::ListOrganizations(const control::ListRequest& request,
                                 const ControlCallOptions& call) {
  COVE_RETURN_IF_ERROR(CheckPaging(request, false));
  return connection_->ListOrganizations(request, call);
}

Pager<control::Organization> ControlClient::ListAllOrganizations(
    control::ListRequest request, const ControlCallOptions& call) {
  return COVE_PAGER(Organization, ListOrganizations, request);
}

absl::StatusOr<control::Organization> ControlClient::UpdateOrganization(
    const control::Organization& organization,
    const std::vector<std::string>& update_mask,
    const ControlCallOptions& call) {
  COVE_RETURN_IF_ERROR(CheckName("organization.name", organization.name, kOrg));
  COVE_RETURN_IF_ERROR(CheckMask(update_mask));
  return connection_->UpdateOrganization(organization, update_mask, call);
}

absl::Status ControlClient::DeleteOrganization(
    const control::DeleteRequest& request, const ControlCallOptions& call) {
  COVE_RETURN_IF_ERROR(CheckName("name", request.name, kOrg));
  return connection_->DeleteOrganization(request, call);
}

// ---- members and invitations

absl::StatusOr<control::Page<control::Member>> ControlClient::ListMembers(
    const control::ListRequest& request, const ControlCallOptions& call) {
  COVE_RETURN_IF_ERROR(CheckList(request, kOrg, false));
  return connection_->ListMembers(request, call);
}

Pager<control::Member> ControlClient::ListAllMembers(
    control::ListRequest request, const ControlCallOptions& call) {
  return COVE_PAGER(Member, ListMembers, request);
}

absl::StatusOr<control::Member> ControlClient::GetMember(
    const std::string& name, const ControlCallOptions& call) {
  COVE_RETURN_IF_ERROR(CheckName("name", name, kMember));
  return connection_->GetMember(name, call);
}

absl::StatusOr<control::Member> ControlClient::UpdateMember(
    const control::Member& member, const std::vector<std::string>& update_mask,
    const ControlCallOptions& call) {
  COVE_RETURN_IF_ERROR(CheckName("member.name", member.name, kMember));
  COVE_RETURN_IF_ERROR(CheckMask(update_mask));
  return connection_->UpdateMember(member, update_mask, call);
}

absl::Status ControlClient::DeleteMember(const control::DeleteRequest& request,
                                         const ControlCallOptions& call) {
  COVE_RETURN_IF_ERROR(CheckName("name", request.name, kMember));
  return connection_->DeleteMember(request, call);
}

absl::StatusOr<control::Invitation> ControlClient::CreateInvitation(
    const control::CreateInvitationRequest& request,
    const ControlCallOptions& call) {
  COVE_RETURN_IF_ERROR(CheckName("parent", request.parent, kOrg));
  COVE_RETURN_IF_ERROR(
      CheckRequired("invitation.email", request.invitation.email));
  return connection_->CreateInvitation(request, call);
}

absl::StatusOr<control::Invitation> ControlClient::GetInvitation(
    const std::string& name, const ControlCallOptions& call) {
  COVE_RETURN_IF_ERROR(CheckName("name", name, kInvitation));
  return connection_->GetInvitation(name, call);
}

absl::StatusOr<control::Page<control::Invitation>>
ControlClient::ListInvitations(const control::ListRequest& request,
                               const ControlCallOptions& call) {
  COVE_RETURN_IF_ERROR(CheckList(request, kOrg, true));
  return connection_->ListInvitations(request, call);
}

Pager<control::Invitation> ControlClient::ListAllInvitations(
    control::ListRequest request, const ControlCallOptions& call) {
  return COVE_PAGER(Invitation, ListInvitations, request);
}

absl::StatusOr<control::Invitation> ControlClient::RevokeInvitation(
    const control::DeleteRequest& request, const ControlCallOptions& call) {
  COVE_RETURN_IF_ERROR(CheckName("name", request.name, kInvitation));
  return connection_->RevokeInvitation(request, call);
}

absl::StatusOr<control::AcceptInvitationResult> ControlClient::AcceptInvitation(
    const control::AcceptInvitationRequest& request,
    const ControlCallOptions& call) {
  COVE_RETURN_IF_ERROR(CheckName("name", request.name, kInvitation));
  COVE_RETURN_IF_ERROR(CheckRequired("token", request.token));
  return connection_->AcceptInvitation(request, call);
}

// ---- projects

absl::StatusOr<control::Project> ControlClient::CreateProject(
    const control::CreateProjectRequest& request,
    const ControlCallOptions& call) {
  COVE_RETURN_IF_ERROR(CheckName("parent", request.parent, kOrg));
  COVE_RETURN_IF_ERROR(CheckId("project_id", request.project_id));
  return connection_->CreateProject(request, call);
}

absl::StatusOr<control::Project> ControlClient::GetProject(
    const std::string& name, const ControlCallOptions& call) {
  COVE_RETURN_IF_ERROR(CheckName("name", name, kProject));
  return connection_->GetProject(name, call);
}

absl::StatusOr<control::Page<control::Project>> ControlClient::ListProjects(
    const control::ListRequest& request, const ControlCallOptions& call) {
  COVE_RETURN_IF_ERROR(CheckList(request, kOrg, true));
  return connection_->ListProjects(request, call);
}

Pager<control::Project> ControlClient::ListAllProjects(
    control::ListRequest request, const ControlCallOptions& call) {
  return COVE_PAGER(Project, ListProjects, request);
}

absl::StatusOr<control::Project> ControlClient::UpdateProject(
    const control::Project& project,
    const std::vector<std::string>& update_mask,
    const ControlCallOptions& call) {
  COVE_RETURN_IF_ERROR(CheckName("project.name", project.name, kProject));
  COVE_RETURN_IF_ERROR(CheckMask(update_mask));
  return connection_->UpdateProject(project, update_mask, call);
}

absl::Status ControlClient::DeleteProject(const control::DeleteRequest& request,
                                          const ControlCallOptions& call) {
  COVE_RETURN_IF_ERROR(CheckName("name", request.name, kProject));
  return connection_->DeleteProject(request, call);
}

// ---- environments

absl::StatusOr<control::Environment> ControlClient::CreateEnvironment(
    const control::CreateEnvironmentRequest& request,
    const ControlCallOptions& call) {
  COVE_RETURN_IF_ERROR(CheckName("parent", request.parent, kProject));
  COVE_RETURN_IF_ERROR(CheckId("environment_id", request.environment_id));
  if (request.environment.mode == control::EnvironmentMode::kUnspecified) {
    return absl::InvalidArgumentError(
        "environment.mode: required (expected CROSS_ACCOUNT or AGENT)");
  }
  return connection_->CreateEnvironment(request, call);
}

absl::StatusOr<control::Environment> ControlClient::GetEnvironment(
    const std::string& name, const ControlCallOptions& call) {
  COVE_RETURN_IF_ERROR(CheckName("name", name, kEnvironment));
  return connection_->GetEnvironment(name, call);
}

absl::StatusOr<control::Page<control::Environment>>
ControlClient::ListEnvironments(const control::ListRequest& request,
                                const ControlCallOptions& call) {
  COVE_RETURN_IF_ERROR(CheckList(request, kProject, true));
  return connection_->ListEnvironments(request, call);
}

Pager<control::Environment> ControlClient::ListAllEnvironments(
    control::ListRequest request, const ControlCallOptions& call) {
  return COVE_PAGER(Environment, ListEnvironments, request);
}

absl::Status ControlClient::DeleteEnvironment(
    const control::DeleteRequest& request, const ControlCallOptions& call) {
  COVE_RETURN_IF_ERROR(CheckName("name", request.name, kEnvironment));
  return connection_->DeleteEnvironment(request, call);
}

absl::StatusOr<control::EnvironmentValidation>
ControlClient::ValidateEnvironment(const std::string& name,
                                   const ControlCallOptions& call) {
  COVE_RETURN_IF_ERROR(CheckName("name", name, kEnvironment));
  return connection_->ValidateEnvironment(name, call);
}

absl::StatusOr<control::Environment> ControlClient::RotateAgentToken(
    const control::RotateAgentTokenRequest& request,
    const ControlCallOptions& call) {
  COVE_RETURN_IF_ERROR(CheckName("name", request.name, kEnvironment));
  return connection_->RotateAgentToken(request, call);
}

// ---- clusters

namespace {

// Start + wait for a blocking long-running verb.
absl::StatusOr<control::Cluster> Finish(
    absl::StatusOr<ControlOperation> started) {
  COVE_ASSIGN_OR_RETURN(ControlOperation op, std::move(started));
  COVE_RETURN_IF_ERROR(op.Wait());
  if (!op.operation().cluster.has_value()) {
    control::Cluster c;
    c.name = op.operation().target;
    return c;
  }
  return *op.operation().cluster;
}

}  // namespace

absl::StatusOr<ControlOperation> ControlClient::Started(
    absl::StatusOr<control::Operation> op) const {
  COVE_ASSIGN_OR_RETURN(control::Operation started, std::move(op));
  return ControlOperation(connection_, runtime_, std::move(started));
}

absl::StatusOr<ControlOperation> ControlClient::StartCreateCluster(
    const control::CreateClusterRequest& request,
    const ControlCallOptions& call) {
  COVE_RETURN_IF_ERROR(CheckName("parent", request.parent, kProject));
  COVE_RETURN_IF_ERROR(CheckId("cluster_id", request.cluster_id));
  COVE_RETURN_IF_ERROR(CheckName("cluster.environment",
                                 request.cluster.environment, kEnvironment));
  if (request.cluster.cu_size < 0 || request.cluster.replicas < 0) {
    return absl::InvalidArgumentError(absl::StrCat(
        "cluster.cu_size, cluster.replicas: expected >= 0 (got ",
        request.cluster.cu_size, ", ", request.cluster.replicas, ")"));
  }
  return Started(connection_->CreateCluster(request, call));
}

absl::StatusOr<control::Cluster> ControlClient::CreateCluster(
    const control::CreateClusterRequest& request,
    const ControlCallOptions& call) {
  return Finish(StartCreateCluster(request, call));
}

absl::StatusOr<control::Cluster> ControlClient::GetCluster(
    const std::string& name, const ControlCallOptions& call) {
  COVE_RETURN_IF_ERROR(CheckName("name", name, kCluster));
  return connection_->GetCluster(name, call);
}

absl::StatusOr<control::Page<control::Cluster>> ControlClient::ListClusters(
    const control::ListRequest& request, const ControlCallOptions& call) {
  COVE_RETURN_IF_ERROR(CheckList(request, kAnyProject, true));
  return connection_->ListClusters(request, call);
}

Pager<control::Cluster> ControlClient::ListAllClusters(
    control::ListRequest request, const ControlCallOptions& call) {
  return COVE_PAGER(Cluster, ListClusters, request);
}

absl::StatusOr<control::Cluster> ControlClient::UpdateCluster(
    const control::Cluster& cluster,
    const std::vector<std::string>& update_mask,
    const ControlCallOptions& call) {
  COVE_RETURN_IF_ERROR(CheckName("cluster.name", cluster.name, kCluster));
  COVE_RETURN_IF_ERROR(CheckMask(update_mask));
  return connection_->UpdateCluster(cluster, update_mask, call);
}

#define COVE_CLUSTER_ACTION(Verb)                                       \
  absl::StatusOr<ControlOperation> ControlClient::Start##Verb##Cluster( \
      const control::ClusterActionRequest& request,                     \
      const ControlCallOptions& call) {                                 \
    COVE_RETURN_IF_ERROR(CheckName("name", request.name, kCluster));    \
    return Started(connection_->Verb##Cluster(request, call));          \
  }                                                                     \
  absl::StatusOr<control::Cluster> ControlClient::Verb##Cluster(        \
      const control::ClusterActionRequest& request,                     \
      const ControlCallOptions& call) {                                 \
    return Finish(Start##Verb##Cluster(request, call));                 \
  }

COVE_CLUSTER_ACTION(Suspend)
COVE_CLUSTER_ACTION(Resume)
COVE_CLUSTER_ACTION(Delete)
COVE_CLUSTER_ACTION(Restore)
COVE_CLUSTER_ACTION(Purge)

absl::StatusOr<ControlOperation> ControlClient::StartResetClusterPassword(
    const control::ClusterActionRequest& request,
    const ControlCallOptions& call) {
  COVE_RETURN_IF_ERROR(CheckName("name", request.name, kCluster));
  return Started(connection_->ResetClusterPassword(request, call));
}

absl::StatusOr<control::Cluster> ControlClient::ResetClusterPassword(
    const control::ClusterActionRequest& request,
    const ControlCallOptions& call) {
  return Finish(StartResetClusterPassword(request, call));
}

absl::StatusOr<ControlOperation> ControlClient::StartScaleCluster(
    const control::ScaleClusterRequest& request,
    const ControlCallOptions& call) {
  COVE_RETURN_IF_ERROR(CheckName("name", request.name, kCluster));
  if (request.cu_size < 0 || request.replicas < 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("cu_size, replicas: expected >= 0, 0 meaning unchanged "
                     "(got ",
                     request.cu_size, ", ", request.replicas, ")"));
  }
  if (request.cu_size == 0 && request.replicas == 0) {
    return absl::InvalidArgumentError(
        "cu_size, replicas: expected at least one to change (got 0 and 0)");
  }
  return Started(connection_->ScaleCluster(request, call));
}

absl::StatusOr<control::Cluster> ControlClient::ScaleCluster(
    const control::ScaleClusterRequest& request,
    const ControlCallOptions& call) {
  return Finish(StartScaleCluster(request, call));
}

// ---- API keys

absl::StatusOr<control::ApiKey> ControlClient::CreateApiKey(
    const control::CreateApiKeyRequest& request,
    const ControlCallOptions& call) {
  COVE_RETURN_IF_ERROR(CheckName("parent", request.parent, kOrg));
  if (!request.api_key_id.empty()) {
    COVE_RETURN_IF_ERROR(CheckId("api_key_id", request.api_key_id));
  }
  COVE_RETURN_IF_ERROR(CheckRequired("api_key.scope", request.api_key.scope));
  COVE_RETURN_IF_ERROR(CheckRoleName("api_key.role", request.api_key.role));
  return connection_->CreateApiKey(request, call);
}

absl::StatusOr<control::ApiKey> ControlClient::GetApiKey(
    const std::string& name, const ControlCallOptions& call) {
  COVE_RETURN_IF_ERROR(CheckName("name", name, kApiKey));
  return connection_->GetApiKey(name, call);
}

absl::StatusOr<control::Page<control::ApiKey>> ControlClient::ListApiKeys(
    const control::ListRequest& request, const ControlCallOptions& call) {
  COVE_RETURN_IF_ERROR(CheckList(request, kOrg, true));
  return connection_->ListApiKeys(request, call);
}

Pager<control::ApiKey> ControlClient::ListAllApiKeys(
    control::ListRequest request, const ControlCallOptions& call) {
  return COVE_PAGER(ApiKey, ListApiKeys, request);
}

absl::StatusOr<control::ApiKey> ControlClient::UpdateApiKey(
    const control::ApiKey& api_key, const std::vector<std::string>& update_mask,
    const ControlCallOptions& call) {
  COVE_RETURN_IF_ERROR(CheckName("api_key.name", api_key.name, kApiKey));
  COVE_RETURN_IF_ERROR(CheckMask(update_mask));
  return connection_->UpdateApiKey(api_key, update_mask, call);
}

absl::Status ControlClient::DeleteApiKey(const control::DeleteRequest& request,
                                         const ControlCallOptions& call) {
  COVE_RETURN_IF_ERROR(CheckName("name", request.name, kApiKey));
  return connection_->DeleteApiKey(request, call);
}

// ---- roles and bindings

absl::StatusOr<control::Role> ControlClient::CreateRole(
    const control::CreateRoleRequest& request, const ControlCallOptions& call) {
  COVE_RETURN_IF_ERROR(CheckName("parent", request.parent, kOrg));
  COVE_RETURN_IF_ERROR(CheckId("role_id", request.role_id));
  return connection_->CreateRole(request, call);
}

absl::StatusOr<control::Role> ControlClient::GetRole(
    const std::string& name, const ControlCallOptions& call) {
  COVE_RETURN_IF_ERROR(CheckRoleName("name", name));
  return connection_->GetRole(name, call);
}

absl::StatusOr<control::Page<control::Role>> ControlClient::ListRoles(
    const control::ListRequest& request, const ControlCallOptions& call) {
  COVE_RETURN_IF_ERROR(CheckList(request, kOrg, false));
  return connection_->ListRoles(request, call);
}

Pager<control::Role> ControlClient::ListAllRoles(
    control::ListRequest request, const ControlCallOptions& call) {
  return COVE_PAGER(Role, ListRoles, request);
}

absl::StatusOr<control::Role> ControlClient::UpdateRole(
    const control::Role& role, const std::vector<std::string>& update_mask,
    const ControlCallOptions& call) {
  COVE_RETURN_IF_ERROR(CheckName("role.name", role.name, kCustomRole));
  COVE_RETURN_IF_ERROR(CheckMask(update_mask));
  return connection_->UpdateRole(role, update_mask, call);
}

absl::Status ControlClient::DeleteRole(const control::DeleteRequest& request,
                                       const ControlCallOptions& call) {
  COVE_RETURN_IF_ERROR(CheckName("name", request.name, kCustomRole));
  return connection_->DeleteRole(request, call);
}

absl::StatusOr<control::RoleBinding> ControlClient::CreateRoleBinding(
    const control::CreateRoleBindingRequest& request,
    const ControlCallOptions& call) {
  COVE_RETURN_IF_ERROR(CheckName("parent", request.parent, kOrg));
  COVE_RETURN_IF_ERROR(
      CheckRoleName("role_binding.role", request.role_binding.role));
  COVE_RETURN_IF_ERROR(
      CheckRequired("role_binding.principal", request.role_binding.principal));
  COVE_RETURN_IF_ERROR(
      CheckRequired("role_binding.scope", request.role_binding.scope));
  return connection_->CreateRoleBinding(request, call);
}

absl::StatusOr<control::RoleBinding> ControlClient::GetRoleBinding(
    const std::string& name, const ControlCallOptions& call) {
  COVE_RETURN_IF_ERROR(CheckName("name", name, kRoleBinding));
  return connection_->GetRoleBinding(name, call);
}

absl::StatusOr<control::Page<control::RoleBinding>>
ControlClient::ListRoleBindings(const control::ListRequest& request,
                                const ControlCallOptions& call) {
  COVE_RETURN_IF_ERROR(CheckList(request, kOrg, true));
  return connection_->ListRoleBindings(request, call);
}

Pager<control::RoleBinding> ControlClient::ListAllRoleBindings(
    control::ListRequest request, const ControlCallOptions& call) {
  return COVE_PAGER(RoleBinding, ListRoleBindings, request);
}

absl::Status ControlClient::DeleteRoleBinding(
    const control::DeleteRequest& request, const ControlCallOptions& call) {
  COVE_RETURN_IF_ERROR(CheckName("name", request.name, kRoleBinding));
  return connection_->DeleteRoleBinding(request, call);
}

absl::StatusOr<std::vector<std::string>> ControlClient::TestPermissions(
    const control::TestPermissionsRequest& request,
    const ControlCallOptions& call) {
  COVE_RETURN_IF_ERROR(CheckRequired("resource", request.resource));
  if (request.actions.empty()) {
    return absl::InvalidArgumentError("actions: required (got none)");
  }
  return connection_->TestPermissions(request, call);
}

// ---- audit

absl::StatusOr<control::Page<control::AuditEvent>>
ControlClient::ListAuditEvents(const control::ListAuditEventsRequest& request,
                               const ControlCallOptions& call) {
  control::ListRequest paging;
  paging.parent = request.parent;
  paging.page_size = request.page_size;
  COVE_RETURN_IF_ERROR(CheckOrgOrProjectList(paging));
  if (control::IsSet(request.start_time) && control::IsSet(request.end_time) &&
      request.end_time < request.start_time) {
    return absl::InvalidArgumentError(
        "end_time: expected at or after start_time");
  }
  return connection_->ListAuditEvents(request, call);
}

Pager<control::AuditEvent> ControlClient::ListAllAuditEvents(
    control::ListAuditEventsRequest request, const ControlCallOptions& call) {
  return COVE_PAGER(AuditEvent, ListAuditEvents, request);
}

// ---- operations

// ---- metrics

absl::StatusOr<control::ClusterMetrics> ControlClient::GetClusterMetrics(
    const std::string& name, int32_t window_seconds,
    const ControlCallOptions& call) {
  COVE_RETURN_IF_ERROR(CheckName("name", name, kCluster));
  if (window_seconds < 0 || window_seconds > 600) {
    return absl::InvalidArgumentError(absl::StrCat(
        "window_seconds: expected 1..600 (0: 60) (got ", window_seconds, ")"));
  }
  return connection_->GetClusterMetrics(name, window_seconds, call);
}

// ---- licenses and cost (issue 19)

absl::StatusOr<control::CostEstimate> ControlClient::EstimateCost(
    const control::EstimateCostRequest& request,
    const ControlCallOptions& call) {
  COVE_RETURN_IF_ERROR(CheckName("parent", request.parent, kProject));
  if (request.cu_size < 1) {
    return absl::InvalidArgumentError(
        absl::StrCat("cu_size: expected a CU size such as 1, 2, 4 or 8 (got ",
                     request.cu_size, ")"));
  }
  if (request.replicas < 0 || request.storage_gib < 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("replicas/storage_gib: expected >= 0 (got ",
                     request.replicas, "/", request.storage_gib, ")"));
  }
  return connection_->EstimateCost(request, call);
}

// ---- alerts (issue 19)

absl::StatusOr<control::AlertRule> ControlClient::CreateAlertRule(
    const control::CreateAlertRuleRequest& request,
    const ControlCallOptions& call) {
  COVE_RETURN_IF_ERROR(CheckName("parent", request.parent, kProject));
  COVE_RETURN_IF_ERROR(CheckId("alert_rule_id", request.alert_rule_id));
  COVE_RETURN_IF_ERROR(
      CheckName("alert_rule.cluster", request.alert_rule.cluster, kCluster));
  return connection_->CreateAlertRule(request, call);
}

absl::StatusOr<control::AlertRule> ControlClient::GetAlertRule(
    const std::string& name, const ControlCallOptions& call) {
  COVE_RETURN_IF_ERROR(CheckName("name", name, internal::kAlertRule));
  return connection_->GetAlertRule(name, call);
}

absl::StatusOr<control::Page<control::AlertRule>> ControlClient::ListAlertRules(
    const control::ListRequest& request, const ControlCallOptions& call) {
  COVE_RETURN_IF_ERROR(CheckList(request, kProject, true));
  return connection_->ListAlertRules(request, call);
}

Pager<control::AlertRule> ControlClient::ListAllAlertRules(
    control::ListRequest request, const ControlCallOptions& call) {
  return COVE_PAGER(AlertRule, ListAlertRules, request);
}

absl::Status ControlClient::DeleteAlertRule(
    const control::DeleteRequest& request, const ControlCallOptions& call) {
  COVE_RETURN_IF_ERROR(CheckName("name", request.name, internal::kAlertRule));
  return connection_->DeleteAlertRule(request, call);
}

absl::StatusOr<control::TestAlertRuleResult> ControlClient::TestAlertRule(
    const std::string& name, const ControlCallOptions& call) {
  COVE_RETURN_IF_ERROR(CheckName("name", name, internal::kAlertRule));
  return connection_->TestAlertRule(name, call);
}

absl::StatusOr<control::AlertRule> ControlClient::SilenceAlertRule(
    const control::SilenceAlertRuleRequest& request,
    const ControlCallOptions& call) {
  COVE_RETURN_IF_ERROR(CheckName("name", request.name, internal::kAlertRule));
  return connection_->SilenceAlertRule(request, call);
}

absl::StatusOr<control::AlertRule> ControlClient::UpdateAlertRule(
    const control::AlertRule& rule, const std::vector<std::string>& update_mask,
    const ControlCallOptions& call) {
  COVE_RETURN_IF_ERROR(
      CheckName("alert_rule.name", rule.name, internal::kAlertRule));
  COVE_RETURN_IF_ERROR(CheckMask(update_mask));
  return connection_->UpdateAlertRule(rule, update_mask, call);
}

// ---- support access (issue 19)

namespace {
constexpr char kSupportGrant[] = "organizations/{org}/supportGrants/{*}";

absl::Status CheckSupportAction(const control::SupportAccessActionRequest& r) {
  return CheckName("name", r.name, kSupportGrant);
}
}  // namespace

absl::StatusOr<control::SupportAccessGrant> ControlClient::RequestSupportAccess(
    const control::RequestSupportAccessRequest& request,
    const ControlCallOptions& call) {
  COVE_RETURN_IF_ERROR(CheckName("cluster", request.cluster, kCluster));
  COVE_RETURN_IF_ERROR(CheckRequired("reason", request.reason));
  if (request.duration < std::chrono::minutes(1) ||
      request.duration > std::chrono::hours(24)) {
    return absl::InvalidArgumentError(
        absl::StrCat("duration: expected 1 minute to 24 hours of access (got ",
                     request.duration.count(), " ms)"));
  }
  return connection_->RequestSupportAccess(request, call);
}

absl::StatusOr<control::SupportAccessGrant> ControlClient::GetSupportAccess(
    const std::string& name, const ControlCallOptions& call) {
  COVE_RETURN_IF_ERROR(CheckName("name", name, kSupportGrant));
  return connection_->GetSupportAccess(name, call);
}

absl::StatusOr<control::Page<control::SupportAccessGrant>>
ControlClient::ListSupportAccess(const control::ListRequest& request,
                                 const ControlCallOptions& call) {
  if (request.parent.empty()) {
    COVE_RETURN_IF_ERROR(internal::CheckPaging(request, true));
  } else {
    COVE_RETURN_IF_ERROR(CheckList(request, kOrg, true));
  }
  return connection_->ListSupportAccess(request, call);
}

absl::StatusOr<control::SupportAccessGrant> ControlClient::ApproveSupportAccess(
    const control::SupportAccessActionRequest& request,
    const ControlCallOptions& call) {
  COVE_RETURN_IF_ERROR(CheckSupportAction(request));
  return connection_->ApproveSupportAccess(request, call);
}

absl::StatusOr<control::SupportAccessGrant> ControlClient::DenySupportAccess(
    const control::SupportAccessActionRequest& request,
    const ControlCallOptions& call) {
  COVE_RETURN_IF_ERROR(CheckSupportAction(request));
  return connection_->DenySupportAccess(request, call);
}

absl::StatusOr<control::SupportAccessGrant> ControlClient::RevokeSupportAccess(
    const control::SupportAccessActionRequest& request,
    const ControlCallOptions& call) {
  COVE_RETURN_IF_ERROR(CheckSupportAction(request));
  return connection_->RevokeSupportAccess(request, call);
}

// ---- versions and upgrades (issue 19)

absl::StatusOr<std::vector<control::Release>> ControlClient::ListReleases(
    const std::string& cluster, const ControlCallOptions& call) {
  if (!cluster.empty())
    COVE_RETURN_IF_ERROR(CheckName("cluster", cluster, kCluster));
  return connection_->ListReleases(cluster, call);
}

absl::StatusOr<ControlOperation> ControlClient::StartUpgradeCluster(
    const control::UpgradeClusterRequest& request,
    const ControlCallOptions& call) {
  COVE_RETURN_IF_ERROR(CheckName("name", request.name, kCluster));
  if (request.action == control::UpgradeClusterRequest::Action::kNew &&
      request.version.empty()) {
    return absl::InvalidArgumentError(
        "version: expected a release of the catalog (got none)");
  }
  return Started(connection_->UpgradeCluster(request, call));
}

absl::StatusOr<control::Cluster> ControlClient::UpgradeCluster(
    const control::UpgradeClusterRequest& request,
    const ControlCallOptions& call) {
  return Finish(StartUpgradeCluster(request, call));
}

absl::StatusOr<control::MaintenanceWindowInfo>
ControlClient::SetMaintenanceWindow(
    const std::string& name,
    const std::optional<control::MaintenanceWindow>& window,
    const ControlCallOptions& call) {
  if (name.find("/clusters/") != std::string::npos) {
    COVE_RETURN_IF_ERROR(CheckName("name", name, kCluster));
  } else {
    COVE_RETURN_IF_ERROR(CheckName("name", name, kProject));
  }
  return connection_->SetMaintenanceWindow(name, window, call);
}

absl::StatusOr<control::MaintenanceWindowInfo>
ControlClient::GetMaintenanceWindow(const std::string& name,
                                    const ControlCallOptions& call) {
  if (name.find("/clusters/") != std::string::npos) {
    COVE_RETURN_IF_ERROR(CheckName("name", name, kCluster));
  } else {
    COVE_RETURN_IF_ERROR(CheckName("name", name, kProject));
  }
  return connection_->GetMaintenanceWindow(name, call);
}

// ---- backups

absl::StatusOr<ControlOperation> ControlClient::StartCreateBackup(
    const control::CreateBackupRequest& request,
    const ControlCallOptions& call) {
  COVE_RETURN_IF_ERROR(CheckName("parent", request.parent, kCluster));
  if (!request.backup_id.empty())
    COVE_RETURN_IF_ERROR(CheckId("backup_id", request.backup_id));
  return Started(connection_->CreateBackup(request, call));
}

absl::StatusOr<control::Backup> ControlClient::CreateBackup(
    const control::CreateBackupRequest& request,
    const ControlCallOptions& call) {
  COVE_ASSIGN_OR_RETURN(ControlOperation op, StartCreateBackup(request, call));
  COVE_RETURN_IF_ERROR(op.Wait());
  return op.backup();
}

absl::StatusOr<control::Backup> ControlClient::GetBackup(
    const std::string& name, const ControlCallOptions& call) {
  COVE_RETURN_IF_ERROR(CheckName("name", name, kBackup));
  return connection_->GetBackup(name, call);
}

absl::StatusOr<control::Page<control::Backup>> ControlClient::ListBackups(
    const control::ListRequest& request, const ControlCallOptions& call) {
  COVE_RETURN_IF_ERROR(CheckList(request, kAnyCluster, true));
  return connection_->ListBackups(request, call);
}

Pager<control::Backup> ControlClient::ListAllBackups(
    control::ListRequest request, const ControlCallOptions& call) {
  return COVE_PAGER(Backup, ListBackups, request);
}

absl::StatusOr<ControlOperation> ControlClient::StartDeleteBackup(
    const control::DeleteRequest& request, const ControlCallOptions& call) {
  COVE_RETURN_IF_ERROR(CheckName("name", request.name, kBackup));
  return Started(connection_->DeleteBackup(request, call));
}

absl::Status ControlClient::DeleteBackup(const control::DeleteRequest& request,
                                         const ControlCallOptions& call) {
  COVE_ASSIGN_OR_RETURN(ControlOperation op, StartDeleteBackup(request, call));
  return op.Wait();
}

absl::StatusOr<ControlOperation> ControlClient::StartRestoreBackup(
    const control::RestoreBackupRequest& request,
    const ControlCallOptions& call) {
  COVE_RETURN_IF_ERROR(CheckName("name", request.name, kBackup));
  const bool into_new = !request.parent.empty() || !request.cluster_id.empty();
  if (into_new == !request.target_cluster.empty()) {
    return absl::InvalidArgumentError(
        "target_cluster / parent + cluster_id: expected exactly one target "
        "(an existing cluster, or a new one)");
  }
  if (into_new) {
    COVE_RETURN_IF_ERROR(CheckName("parent", request.parent, kProject));
    COVE_RETURN_IF_ERROR(CheckId("cluster_id", request.cluster_id));
  } else {
    COVE_RETURN_IF_ERROR(
        CheckName("target_cluster", request.target_cluster, kCluster));
  }
  return Started(connection_->RestoreBackup(request, call));
}

absl::StatusOr<control::Cluster> ControlClient::RestoreBackup(
    const control::RestoreBackupRequest& request,
    const ControlCallOptions& call) {
  return Finish(StartRestoreBackup(request, call));
}

absl::StatusOr<control::Cluster> ControlClient::SetBackupPolicy(
    const control::SetBackupPolicyRequest& request,
    const ControlCallOptions& call) {
  COVE_RETURN_IF_ERROR(CheckName("name", request.name, kCluster));
  if (request.policy.enabled &&
      request.policy.interval < std::chrono::minutes(1)) {
    return absl::InvalidArgumentError(
        absl::StrCat("policy.interval: expected at least 60000 ms (got ",
                     request.policy.interval.count(), " ms)"));
  }
  return connection_->SetBackupPolicy(request, call);
}

absl::StatusOr<ControlOperation> ControlClient::GetOperation(
    const std::string& name, const ControlCallOptions& call) {
  COVE_RETURN_IF_ERROR(CheckName("name", name, kOperation));
  return Started(connection_->GetOperation(name, call));
}

absl::StatusOr<control::Page<control::Operation>> ControlClient::ListOperations(
    const control::ListRequest& request, const ControlCallOptions& call) {
  COVE_RETURN_IF_ERROR(CheckOrgOrProjectList(request));
  return connection_->ListOperations(request, call);
}

Pager<control::Operation> ControlClient::ListAllOperations(
    control::ListRequest request, const ControlCallOptions& call) {
  return COVE_PAGER(Operation, ListOperations, request);
}

#undef COVE_CLUSTER_ACTION
#undef COVE_PAGER

}  // namespace cove
