// The gRPC backend of cove::ControlConnection (see grpc_control_connection.h).
#include "control/grpc_control_connection.h"

#include <grpcpp/grpcpp.h>

#include <algorithm>
#include <chrono>
#include <fstream>
#include <sstream>
#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "control/control_convert.h"
#include "cove/control/v1/control.grpc.pb.h"
#include "cove/control/v1/emulator.grpc.pb.h"
#include "cove/version.h"
#include "google/protobuf/empty.pb.h"
#include "remote/tls_credentials.h"

namespace cove::internal {
namespace {

using control::Page;

// gRPC and absl share the canonical code numbers: 1:1, with the server's
// message unchanged.
absl::Status FromGrpc(const grpc::Status& s) {
  if (s.ok()) return absl::OkStatus();
  return absl::Status(static_cast<absl::StatusCode>(s.error_code()),
                      s.error_message());
}

absl::StatusOr<std::string> ReadFile(const std::string& what,
                                     const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return absl::NotFoundError(
        absl::StrCat(what, ": cannot read file '", path, "'"));
  }
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

template <typename Repeated, typename T = typename std::decay_t<
                                 decltype(*std::declval<Repeated>().begin())>>
auto ItemsFrom(const Repeated& r) {
  using Out = decltype(FromProto(std::declval<const T&>()));
  std::vector<Out> out;
  out.reserve(r.size());
  for (const auto& p : r) out.push_back(FromProto(p));
  return out;
}

void SetMask(const std::vector<std::string>& mask,
             google::protobuf::FieldMask* out) {
  for (const auto& f : mask) out->add_paths(f);
}

class GrpcControlConnection final : public ControlConnection {
 public:
  GrpcControlConnection(std::shared_ptr<grpc::Channel> channel,
                        std::string api_key)
      : control_(pb::ControlPlane::NewStub(channel)),
        emulator_(pb::Emulator::NewStub(channel)),
        authorization_(api_key.empty() ? std::string()
                                       : absl::StrCat("Bearer ", api_key)) {}

  std::string backend_name() const override { return "grpc"; }

  // ---- organizations

  absl::StatusOr<control::Organization> CreateOrganization(
      const control::CreateOrganizationRequest& request,
      const ControlCallOptions& call) override {
    return Unary<pb::Organization>(call, ToProto(request),
                                   &pb::ControlPlane::Stub::CreateOrganization);
  }
  absl::StatusOr<control::Organization> GetOrganization(
      const std::string& name, const ControlCallOptions& call) override {
    return Unary<pb::Organization>(call, Get(name),
                                   &pb::ControlPlane::Stub::GetOrganization);
  }
  absl::StatusOr<Page<control::Organization>> ListOrganizations(
      const control::ListRequest& request,
      const ControlCallOptions& call) override {
    return List<pb::ListOrganizationsRequest, pb::ListOrganizationsResponse>(
        call, request, &pb::ControlPlane::Stub::ListOrganizations,
        [](const pb::ListOrganizationsResponse& r) {
          return ItemsFrom(r.organizations());
        });
  }
  absl::StatusOr<control::Organization> UpdateOrganization(
      const control::Organization& organization,
      const std::vector<std::string>& update_mask,
      const ControlCallOptions& call) override {
    pb::UpdateOrganizationRequest p;
    *p.mutable_organization() = ToProto(organization);
    SetMask(update_mask, p.mutable_update_mask());
    return Unary<pb::Organization>(call, p,
                                   &pb::ControlPlane::Stub::UpdateOrganization);
  }
  absl::Status DeleteOrganization(const control::DeleteRequest& request,
                                  const ControlCallOptions& call) override {
    return Empty(call, ToProto(request),
                 &pb::ControlPlane::Stub::DeleteOrganization);
  }

  // ---- members and invitations

  absl::StatusOr<Page<control::Member>> ListMembers(
      const control::ListRequest& request,
      const ControlCallOptions& call) override {
    return List<pb::ListMembersRequest, pb::ListMembersResponse>(
        call, request, &pb::ControlPlane::Stub::ListMembers,
        [](const pb::ListMembersResponse& r) {
          return ItemsFrom(r.members());
        });
  }
  absl::StatusOr<control::Member> GetMember(
      const std::string& name, const ControlCallOptions& call) override {
    return Unary<pb::Member>(call, Get(name),
                             &pb::ControlPlane::Stub::GetMember);
  }
  absl::StatusOr<control::Member> UpdateMember(
      const control::Member& member,
      const std::vector<std::string>& update_mask,
      const ControlCallOptions& call) override {
    pb::UpdateMemberRequest p;
    *p.mutable_member() = ToProto(member);
    SetMask(update_mask, p.mutable_update_mask());
    return Unary<pb::Member>(call, p, &pb::ControlPlane::Stub::UpdateMember);
  }
  absl::Status DeleteMember(const control::DeleteRequest& request,
                            const ControlCallOptions& call) override {
    return Empty(call, ToProto(request), &pb::ControlPlane::Stub::DeleteMember);
  }
  absl::StatusOr<control::Invitation> CreateInvitation(
      const control::CreateInvitationRequest& request,
      const ControlCallOptions& call) override {
    return Unary<pb::Invitation>(call, ToProto(request),
                                 &pb::ControlPlane::Stub::CreateInvitation);
  }
  absl::StatusOr<control::Invitation> GetInvitation(
      const std::string& name, const ControlCallOptions& call) override {
    return Unary<pb::Invitation>(call, Get(name),
                                 &pb::ControlPlane::Stub::GetInvitation);
  }
  absl::StatusOr<Page<control::Invitation>> ListInvitations(
      const control::ListRequest& request,
      const ControlCallOptions& call) override {
    return List<pb::ListInvitationsRequest, pb::ListInvitationsResponse>(
        call, request, &pb::ControlPlane::Stub::ListInvitations,
        [](const pb::ListInvitationsResponse& r) {
          return ItemsFrom(r.invitations());
        });
  }
  absl::StatusOr<control::Invitation> RevokeInvitation(
      const control::DeleteRequest& request,
      const ControlCallOptions& call) override {
    return Unary<pb::Invitation>(call, ToProto(request),
                                 &pb::ControlPlane::Stub::RevokeInvitation);
  }
  absl::StatusOr<control::AcceptInvitationResult> AcceptInvitation(
      const control::AcceptInvitationRequest& request,
      const ControlCallOptions& call) override {
    return Unary<pb::AcceptInvitationResponse>(
        call, ToProto(request), &pb::ControlPlane::Stub::AcceptInvitation);
  }

  // ---- projects

  absl::StatusOr<control::Project> CreateProject(
      const control::CreateProjectRequest& request,
      const ControlCallOptions& call) override {
    return Unary<pb::Project>(call, ToProto(request),
                              &pb::ControlPlane::Stub::CreateProject);
  }
  absl::StatusOr<control::Project> GetProject(
      const std::string& name, const ControlCallOptions& call) override {
    return Unary<pb::Project>(call, Get(name),
                              &pb::ControlPlane::Stub::GetProject);
  }
  absl::StatusOr<Page<control::Project>> ListProjects(
      const control::ListRequest& request,
      const ControlCallOptions& call) override {
    return List<pb::ListProjectsRequest, pb::ListProjectsResponse>(
        call, request, &pb::ControlPlane::Stub::ListProjects,
        [](const pb::ListProjectsResponse& r) {
          return ItemsFrom(r.projects());
        });
  }
  absl::StatusOr<control::Project> UpdateProject(
      const control::Project& project,
      const std::vector<std::string>& update_mask,
      const ControlCallOptions& call) override {
    pb::UpdateProjectRequest p;
    *p.mutable_project() = ToProto(project);
    SetMask(update_mask, p.mutable_update_mask());
    return Unary<pb::Project>(call, p, &pb::ControlPlane::Stub::UpdateProject);
  }
  absl::Status DeleteProject(const control::DeleteRequest& request,
                             const ControlCallOptions& call) override {
    return Empty(call, ToProto(request),
                 &pb::ControlPlane::Stub::DeleteProject);
  }

  // ---- environments

  absl::StatusOr<control::Environment> CreateEnvironment(
      const control::CreateEnvironmentRequest& request,
      const ControlCallOptions& call) override {
    return Unary<pb::Environment>(call, ToProto(request),
                                  &pb::ControlPlane::Stub::CreateEnvironment);
  }
  absl::StatusOr<control::Environment> GetEnvironment(
      const std::string& name, const ControlCallOptions& call) override {
    return Unary<pb::Environment>(call, Get(name),
                                  &pb::ControlPlane::Stub::GetEnvironment);
  }
  absl::StatusOr<Page<control::Environment>> ListEnvironments(
      const control::ListRequest& request,
      const ControlCallOptions& call) override {
    return List<pb::ListEnvironmentsRequest, pb::ListEnvironmentsResponse>(
        call, request, &pb::ControlPlane::Stub::ListEnvironments,
        [](const pb::ListEnvironmentsResponse& r) {
          return ItemsFrom(r.environments());
        });
  }
  absl::Status DeleteEnvironment(const control::DeleteRequest& request,
                                 const ControlCallOptions& call) override {
    return Empty(call, ToProto(request),
                 &pb::ControlPlane::Stub::DeleteEnvironment);
  }
  absl::StatusOr<control::EnvironmentValidation> ValidateEnvironment(
      const std::string& name, const ControlCallOptions& call) override {
    pb::ValidateEnvironmentRequest p;
    p.set_name(name);
    return Unary<pb::EnvironmentValidation>(
        call, p, &pb::ControlPlane::Stub::ValidateEnvironment);
  }
  absl::StatusOr<control::Environment> RotateAgentToken(
      const control::RotateAgentTokenRequest& request,
      const ControlCallOptions& call) override {
    pb::RotateAgentTokenRequest p;
    p.set_name(request.name);
    p.set_etag(request.etag);
    return Unary<pb::Environment>(call, p,
                                  &pb::ControlPlane::Stub::RotateAgentToken);
  }

  // ---- clusters

  absl::StatusOr<control::Operation> CreateCluster(
      const control::CreateClusterRequest& request,
      const ControlCallOptions& call) override {
    return Unary<pb::Operation>(call, ToProto(request),
                                &pb::ControlPlane::Stub::CreateCluster);
  }
  absl::StatusOr<control::Cluster> GetCluster(
      const std::string& name, const ControlCallOptions& call) override {
    return Unary<pb::Cluster>(call, Get(name),
                              &pb::ControlPlane::Stub::GetCluster);
  }
  absl::StatusOr<Page<control::Cluster>> ListClusters(
      const control::ListRequest& request,
      const ControlCallOptions& call) override {
    return List<pb::ListClustersRequest, pb::ListClustersResponse>(
        call, request, &pb::ControlPlane::Stub::ListClusters,
        [](const pb::ListClustersResponse& r) {
          return ItemsFrom(r.clusters());
        });
  }
  absl::StatusOr<control::Cluster> UpdateCluster(
      const control::Cluster& cluster,
      const std::vector<std::string>& update_mask,
      const ControlCallOptions& call) override {
    pb::UpdateClusterRequest p;
    *p.mutable_cluster() = ToProto(cluster);
    SetMask(update_mask, p.mutable_update_mask());
    return Unary<pb::Cluster>(call, p, &pb::ControlPlane::Stub::UpdateCluster);
  }
  absl::StatusOr<control::Operation> SuspendCluster(
      const control::ClusterActionRequest& request,
      const ControlCallOptions& call) override {
    return Unary<pb::Operation>(call, ToProto(request),
                                &pb::ControlPlane::Stub::SuspendCluster);
  }
  absl::StatusOr<control::Operation> ResetClusterPassword(
      const control::ClusterActionRequest& request,
      const ControlCallOptions& call) override {
    return Unary<pb::Operation>(call, ToProto(request),
                                &pb::ControlPlane::Stub::ResetClusterPassword);
  }
  absl::StatusOr<control::Operation> ResumeCluster(
      const control::ClusterActionRequest& request,
      const ControlCallOptions& call) override {
    return Unary<pb::Operation>(call, ToProto(request),
                                &pb::ControlPlane::Stub::ResumeCluster);
  }
  absl::StatusOr<control::Operation> ScaleCluster(
      const control::ScaleClusterRequest& request,
      const ControlCallOptions& call) override {
    return Unary<pb::Operation>(call, ToProto(request),
                                &pb::ControlPlane::Stub::ScaleCluster);
  }
  absl::StatusOr<control::Operation> DeleteCluster(
      const control::ClusterActionRequest& request,
      const ControlCallOptions& call) override {
    return Unary<pb::Operation>(call, ToProto(request),
                                &pb::ControlPlane::Stub::DeleteCluster);
  }
  absl::StatusOr<control::Operation> RestoreCluster(
      const control::ClusterActionRequest& request,
      const ControlCallOptions& call) override {
    return Unary<pb::Operation>(call, ToProto(request),
                                &pb::ControlPlane::Stub::RestoreCluster);
  }
  absl::StatusOr<control::Operation> PurgeCluster(
      const control::ClusterActionRequest& request,
      const ControlCallOptions& call) override {
    return Unary<pb::Operation>(call, ToProto(request),
                                &pb::ControlPlane::Stub::PurgeCluster);
  }

  // ---- API keys

  absl::StatusOr<control::ApiKey> CreateApiKey(
      const control::CreateApiKeyRequest& request,
      const ControlCallOptions& call) override {
    return Unary<pb::ApiKey>(call, ToProto(request),
                             &pb::ControlPlane::Stub::CreateApiKey);
  }
  absl::StatusOr<control::ApiKey> GetApiKey(
      const std::string& name, const ControlCallOptions& call) override {
    return Unary<pb::ApiKey>(call, Get(name),
                             &pb::ControlPlane::Stub::GetApiKey);
  }
  absl::StatusOr<Page<control::ApiKey>> ListApiKeys(
      const control::ListRequest& request,
      const ControlCallOptions& call) override {
    return List<pb::ListApiKeysRequest, pb::ListApiKeysResponse>(
        call, request, &pb::ControlPlane::Stub::ListApiKeys,
        [](const pb::ListApiKeysResponse& r) {
          return ItemsFrom(r.api_keys());
        });
  }
  absl::StatusOr<control::ApiKey> UpdateApiKey(
      const control::ApiKey& api_key,
      const std::vector<std::string>& update_mask,
      const ControlCallOptions& call) override {
    pb::UpdateApiKeyRequest p;
    *p.mutable_api_key() = ToProto(api_key);
    SetMask(update_mask, p.mutable_update_mask());
    return Unary<pb::ApiKey>(call, p, &pb::ControlPlane::Stub::UpdateApiKey);
  }
  absl::Status DeleteApiKey(const control::DeleteRequest& request,
                            const ControlCallOptions& call) override {
    return Empty(call, ToProto(request), &pb::ControlPlane::Stub::DeleteApiKey);
  }

  // ---- roles and bindings

  absl::StatusOr<control::Role> CreateRole(
      const control::CreateRoleRequest& request,
      const ControlCallOptions& call) override {
    return Unary<pb::Role>(call, ToProto(request),
                           &pb::ControlPlane::Stub::CreateRole);
  }
  absl::StatusOr<control::Role> GetRole(
      const std::string& name, const ControlCallOptions& call) override {
    return Unary<pb::Role>(call, Get(name), &pb::ControlPlane::Stub::GetRole);
  }
  absl::StatusOr<Page<control::Role>> ListRoles(
      const control::ListRequest& request,
      const ControlCallOptions& call) override {
    return List<pb::ListRolesRequest, pb::ListRolesResponse>(
        call, request, &pb::ControlPlane::Stub::ListRoles,
        [](const pb::ListRolesResponse& r) { return ItemsFrom(r.roles()); });
  }
  absl::StatusOr<control::Role> UpdateRole(
      const control::Role& role, const std::vector<std::string>& update_mask,
      const ControlCallOptions& call) override {
    pb::UpdateRoleRequest p;
    *p.mutable_role() = ToProto(role);
    SetMask(update_mask, p.mutable_update_mask());
    return Unary<pb::Role>(call, p, &pb::ControlPlane::Stub::UpdateRole);
  }
  absl::Status DeleteRole(const control::DeleteRequest& request,
                          const ControlCallOptions& call) override {
    return Empty(call, ToProto(request), &pb::ControlPlane::Stub::DeleteRole);
  }
  absl::StatusOr<control::RoleBinding> CreateRoleBinding(
      const control::CreateRoleBindingRequest& request,
      const ControlCallOptions& call) override {
    return Unary<pb::RoleBinding>(call, ToProto(request),
                                  &pb::ControlPlane::Stub::CreateRoleBinding);
  }
  absl::StatusOr<control::RoleBinding> GetRoleBinding(
      const std::string& name, const ControlCallOptions& call) override {
    return Unary<pb::RoleBinding>(call, Get(name),
                                  &pb::ControlPlane::Stub::GetRoleBinding);
  }
  absl::StatusOr<Page<control::RoleBinding>> ListRoleBindings(
      const control::ListRequest& request,
      const ControlCallOptions& call) override {
    return List<pb::ListRoleBindingsRequest, pb::ListRoleBindingsResponse>(
        call, request, &pb::ControlPlane::Stub::ListRoleBindings,
        [](const pb::ListRoleBindingsResponse& r) {
          return ItemsFrom(r.role_bindings());
        });
  }
  absl::Status DeleteRoleBinding(const control::DeleteRequest& request,
                                 const ControlCallOptions& call) override {
    return Empty(call, ToProto(request),
                 &pb::ControlPlane::Stub::DeleteRoleBinding);
  }
  absl::StatusOr<std::vector<std::string>> TestPermissions(
      const control::TestPermissionsRequest& request,
      const ControlCallOptions& call) override {
    pb::TestPermissionsRequest p;
    p.set_resource(request.resource);
    for (const auto& a : request.actions) p.add_actions(a);
    pb::TestPermissionsResponse response;
    absl::Status s = Invoke(call, [&](grpc::ClientContext* ctx) {
      return control_->TestPermissions(ctx, p, &response);
    });
    if (!s.ok()) return s;
    return std::vector<std::string>(response.allowed_actions().begin(),
                                    response.allowed_actions().end());
  }

  // ---- audit

  absl::StatusOr<Page<control::AuditEvent>> ListAuditEvents(
      const control::ListAuditEventsRequest& request,
      const ControlCallOptions& call) override {
    pb::ListAuditEventsRequest p = ToProto(request);
    pb::ListAuditEventsResponse response;
    absl::Status s = Invoke(call, [&](grpc::ClientContext* ctx) {
      return control_->ListAuditEvents(ctx, p, &response);
    });
    if (!s.ok()) return s;
    return Page<control::AuditEvent>{ItemsFrom(response.audit_events()),
                                     response.next_page_token()};
  }

  // ---- operations

  absl::StatusOr<control::Operation> GetOperation(
      const std::string& name, const ControlCallOptions& call) override {
    return Unary<pb::Operation>(call, Get(name),
                                &pb::ControlPlane::Stub::GetOperation);
  }
  absl::StatusOr<Page<control::Operation>> ListOperations(
      const control::ListRequest& request,
      const ControlCallOptions& call) override {
    return List<pb::ListOperationsRequest, pb::ListOperationsResponse>(
        call, request, &pb::ControlPlane::Stub::ListOperations,
        [](const pb::ListOperationsResponse& r) {
          return ItemsFrom(r.operations());
        });
  }
  absl::StatusOr<control::Operation> WaitOperation(
      const control::WaitOperationRequest& request,
      const ControlCallOptions& call) override {
    pb::WaitOperationRequest p;
    p.set_name(request.name);
    // 0 would mean the server's maximum: ask for at least 1 ms.
    p.set_timeout_ms(std::max<int64_t>(1, request.timeout.count()));
    return Unary<pb::Operation>(call, p,
                                &pb::ControlPlane::Stub::WaitOperation);
  }
  absl::StatusOr<control::Operation> CancelOperation(
      const std::string& name, const ControlCallOptions& call) override {
    pb::CancelOperationRequest p;
    p.set_name(name);
    return Unary<pb::Operation>(call, p,
                                &pb::ControlPlane::Stub::CancelOperation);
  }

  // ---- metrics

  absl::StatusOr<control::ClusterMetrics> GetClusterMetrics(
      const std::string& name, int32_t window_seconds,
      const ControlCallOptions& call) override {
    pb::GetClusterMetricsRequest p;
    p.set_name(name);
    p.set_window_seconds(window_seconds);
    return Unary<pb::ClusterMetrics>(
        call, p, &pb::ControlPlane::Stub::GetClusterMetrics);
  }

  // ---- backups

  absl::StatusOr<control::Operation> CreateBackup(
      const control::CreateBackupRequest& request,
      const ControlCallOptions& call) override {
    return Unary<pb::Operation>(call, ToProto(request),
                                &pb::ControlPlane::Stub::CreateBackup);
  }
  absl::StatusOr<control::Backup> GetBackup(
      const std::string& name, const ControlCallOptions& call) override {
    return Unary<pb::Backup>(call, Get(name),
                             &pb::ControlPlane::Stub::GetBackup);
  }
  absl::StatusOr<Page<control::Backup>> ListBackups(
      const control::ListRequest& request,
      const ControlCallOptions& call) override {
    return List<pb::ListBackupsRequest, pb::ListBackupsResponse>(
        call, request, &pb::ControlPlane::Stub::ListBackups,
        [](const pb::ListBackupsResponse& r) {
          return ItemsFrom(r.backups());
        });
  }
  absl::StatusOr<control::Operation> DeleteBackup(
      const control::DeleteRequest& request,
      const ControlCallOptions& call) override {
    return Unary<pb::Operation>(call, ToProto(request),
                                &pb::ControlPlane::Stub::DeleteBackup);
  }
  absl::StatusOr<control::Operation> RestoreBackup(
      const control::RestoreBackupRequest& request,
      const ControlCallOptions& call) override {
    return Unary<pb::Operation>(call, ToProto(request),
                                &pb::ControlPlane::Stub::RestoreBackup);
  }
  absl::StatusOr<control::Cluster> SetBackupPolicy(
      const control::SetBackupPolicyRequest& request,
      const ControlCallOptions& call) override {
    return Unary<pb::Cluster>(call, ToProto(request),
                              &pb::ControlPlane::Stub::SetBackupPolicy);
  }

  // ---- emulator

  absl::StatusOr<control::EmulatorSettings> GetEmulatorSettings(
      const ControlCallOptions& call) override {
    return Emu<pb::EmulatorSettings>(call, pb::GetSettingsRequest(),
                                     &pb::Emulator::Stub::GetSettings);
  }
  absl::StatusOr<control::EmulatorSettings> UpdateEmulatorSettings(
      const control::UpdateEmulatorSettingsRequest& request,
      const ControlCallOptions& call) override {
    return Emu<pb::EmulatorSettings>(call, ToProto(request),
                                     &pb::Emulator::Stub::UpdateSettings);
  }
  absl::StatusOr<control::EmulatorSettings> SetClock(
      const control::SetClockRequest& request,
      const ControlCallOptions& call) override {
    return Emu<pb::EmulatorSettings>(call, ToProto(request),
                                     &pb::Emulator::Stub::SetClock);
  }
  absl::StatusOr<control::EmulatorSettings> AdvanceClock(
      std::chrono::milliseconds by, const ControlCallOptions& call) override {
    pb::AdvanceClockRequest p;
    ToProto(by, p.mutable_by());
    return Emu<pb::EmulatorSettings>(call, p,
                                     &pb::Emulator::Stub::AdvanceClock);
  }
  absl::StatusOr<control::Fault> InjectFault(
      const control::Fault& fault, const ControlCallOptions& call) override {
    pb::InjectFaultRequest p;
    *p.mutable_fault() = ToProto(fault);
    return Emu<pb::Fault>(call, p, &pb::Emulator::Stub::InjectFault);
  }
  absl::StatusOr<std::vector<control::Fault>> ListFaults(
      const ControlCallOptions& call) override {
    pb::ListFaultsRequest p;
    pb::ListFaultsResponse response;
    absl::Status s = Invoke(call, [&](grpc::ClientContext* ctx) {
      return emulator_->ListFaults(ctx, p, &response);
    });
    if (!s.ok()) return s;
    return ItemsFrom(response.faults());
  }
  absl::Status ClearFaults(const std::string& verb,
                           const ControlCallOptions& call) override {
    pb::ClearFaultsRequest p;
    p.set_verb(verb);
    pb::ClearFaultsResponse response;
    return Invoke(call, [&](grpc::ClientContext* ctx) {
      return emulator_->ClearFaults(ctx, p, &response);
    });
  }

 private:
  static pb::GetRequest Get(const std::string& name) {
    pb::GetRequest p;
    p.set_name(name);
    return p;
  }

  // One RPC: deadline, credentials, status mapping.
  template <typename F>
  absl::Status Invoke(const ControlCallOptions& call, F&& rpc) {
    grpc::ClientContext context;
    if (call.timeout.has_value()) {
      context.set_deadline(
          std::chrono::system_clock::now() +
          std::max(*call.timeout, std::chrono::milliseconds(1)));
    }
    if (!authorization_.empty()) {
      context.AddMetadata("authorization", authorization_);
    }
    return FromGrpc(rpc(&context));
  }

  template <typename Response, typename Request, typename Stub>
  auto Unary(const ControlCallOptions& call, const Request& request,
             grpc::Status (Stub::*method)(grpc::ClientContext*, const Request&,
                                          Response*))
      -> absl::StatusOr<decltype(FromProto(std::declval<const Response&>()))> {
    Response response;
    absl::Status s = Invoke(call, [&](grpc::ClientContext* ctx) {
      return (control_.get()->*method)(ctx, request, &response);
    });
    if (!s.ok()) return s;
    return FromProto(response);
  }

  template <typename Response, typename Request>
  auto Emu(const ControlCallOptions& call, const Request& request,
           grpc::Status (pb::Emulator::Stub::*method)(grpc::ClientContext*,
                                                      const Request&,
                                                      Response*))
      -> absl::StatusOr<decltype(FromProto(std::declval<const Response&>()))> {
    Response response;
    absl::Status s = Invoke(call, [&](grpc::ClientContext* ctx) {
      return (emulator_.get()->*method)(ctx, request, &response);
    });
    if (!s.ok()) return s;
    return FromProto(response);
  }

  template <typename Request>
  absl::Status Empty(const ControlCallOptions& call, const Request& request,
                     grpc::Status (pb::ControlPlane::Stub::*method)(
                         grpc::ClientContext*, const Request&,
                         google::protobuf::Empty*)) {
    google::protobuf::Empty response;
    return Invoke(call, [&](grpc::ClientContext* ctx) {
      return (control_.get()->*method)(ctx, request, &response);
    });
  }

  template <typename Request, typename Response, typename Items>
  auto List(const ControlCallOptions& call, const control::ListRequest& request,
            grpc::Status (pb::ControlPlane::Stub::*method)(grpc::ClientContext*,
                                                           const Request&,
                                                           Response*),
            Items items)
      -> absl::StatusOr<Page<typename decltype(items(
          std::declval<const Response&>()))::value_type>> {
    Request p;
    ListToProto(request, &p);
    Response response;
    absl::Status s = Invoke(call, [&](grpc::ClientContext* ctx) {
      return (control_.get()->*method)(ctx, p, &response);
    });
    if (!s.ok()) return s;
    using T = typename decltype(items(response))::value_type;
    return Page<T>{items(response), response.next_page_token()};
  }

  std::unique_ptr<pb::ControlPlane::Stub> control_;
  std::unique_ptr<pb::Emulator::Stub> emulator_;
  const std::string authorization_;
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

absl::StatusOr<std::shared_ptr<ControlConnection>> MakeGrpcControlConnection(
    const ControlOptions& options) {
  auto endpoint = ParseControlEndpoint(options.endpoint);
  if (!endpoint.ok()) return endpoint.status();
  const bool tls = endpoint->tls || !options.ca_cert_file.empty() ||
                   !options.ca_cert_pem.empty() ||
                   options.dangerously_skip_tls_verification;
  grpc::ChannelArguments args;
  args.SetInt(GRPC_ARG_ENABLE_RETRIES, 0);  // ControlClient retries
  args.SetInt(GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL, 1);
  const int reconnect_ms =
      std::max<int>(100, static_cast<int>(options.initial_backoff.count()));
  args.SetInt(GRPC_ARG_INITIAL_RECONNECT_BACKOFF_MS, reconnect_ms);
  // Not GRPC_ARG_MIN_RECONNECT_BACKOFF_MS: gRPC's minimum connect timeout.
  args.SetInt(
      GRPC_ARG_MAX_RECONNECT_BACKOFF_MS,
      std::max(reconnect_ms, static_cast<int>(options.max_backoff.count())));
  args.SetString(GRPC_ARG_PRIMARY_USER_AGENT_STRING,
                 absl::StrCat("cove-control-cpp/", VersionString()));
  std::shared_ptr<grpc::ChannelCredentials> credentials;
  if (tls) {
    std::string roots = options.ca_cert_pem;
    if (roots.empty() && !options.ca_cert_file.empty()) {
      auto ca = ReadFile("ca_cert_file", options.ca_cert_file);
      if (!ca.ok()) return ca.status();
      roots = *std::move(ca);
    }
    if (!options.server_name.empty()) {
      args.SetSslTargetNameOverride(options.server_name);
    }
    credentials = options.dangerously_skip_tls_verification
                      ? internal::UnverifiedTlsCredentials(
                            "ControlOptions.dangerously_skip_tls_verification",
                            endpoint->target(), "", "")
                      : internal::VerifiedTlsCredentials(roots, "", "");
  } else {
    credentials = grpc::InsecureChannelCredentials();
  }
  auto channel =
      grpc::CreateCustomChannel(endpoint->target(), credentials, args);
  return MakeGrpcControlConnection(std::move(channel), options.api_key);
}

std::shared_ptr<ControlConnection> MakeGrpcControlConnection(
    std::shared_ptr<grpc::Channel> channel, std::string api_key) {
  return std::make_shared<GrpcControlConnection>(std::move(channel),
                                                 std::move(api_key));
}

}  // namespace cove::internal
