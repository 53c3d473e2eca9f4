// Access control: the permission table of docs/control-plane.md checked verb
// by verb against every built-in role; scoped keys; custom roles;
// invitations.
#include <fstream>
#include <functional>
#include <map>
#include <sstream>

#include "absl/strings/match.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "cloud/cloud_fixture.h"
#include "cloud/permissions.h"
#include "gmock/gmock.h"

namespace cove::cloud::testing {
namespace {

using ::cove::testing::IsOk;
using ::cove::testing::StatusIs;
using ::testing::HasSubstr;
using ::testing::Not;
using ::testing::UnorderedElementsAre;

constexpr char kOrg[] = "organizations/acme";
constexpr char kP1[] = "organizations/acme/projects/proj-a";
constexpr char kP2[] = "organizations/acme/projects/proj-b";
constexpr char kStale[] = "\"stale\"";

// The permission table of docs/control-plane.md: action -> role -> allowed.
std::map<std::string, std::map<std::string, bool>> ReadDocTable() {
  std::string path = std::string(COVE_SOURCE_DIR) + "/docs/control-plane.md";
  std::ifstream in(path);
  EXPECT_TRUE(in) << "cannot read " << path;
  std::map<std::string, std::map<std::string, bool>> table;
  std::vector<std::string> roles;
  std::string line;
  while (std::getline(in, line)) {
    std::vector<std::string> cells = absl::StrSplit(line, '|');
    if (cells.size() < 3) continue;
    for (std::string& c : cells) c = std::string(absl::StripAsciiWhitespace(c));
    if (cells[1] == "action" && cells.size() == 9) {
      roles.assign(cells.begin() + 2, cells.end() - 1);
      continue;
    }
    if (roles.empty() || !absl::StartsWith(cells[1], "`")) continue;
    std::string action(
        absl::StripSuffix(absl::StripPrefix(cells[1], "`"), "`"));
    for (size_t i = 0; i < roles.size(); ++i) {
      EXPECT_TRUE(cells[i + 2] == "✓" || cells[i + 2] == "–") << line;
      table[action]["roles/" + std::string(i < 3 ? "organization." : "") +
                    roles[i]] = cells[i + 2] == "✓";
    }
  }
  return table;
}

class RbacTest : public CloudFixture {
 protected:
  void SetUp() override {
    CloudFixture::SetUp();
    ASSERT_OK_AND_ASSIGN(org_, MakeOrg("acme", "owner@example.com"));
    ASSERT_THAT(MakeProject("acme", "proj-a"), IsOk());
    ASSERT_THAT(MakeProject("acme", "proj-b"), IsOk());
    ASSERT_THAT(MakeEnv(kP1, "env1", org_.external_id()), IsOk());
    ASSERT_THAT(MakeEnv(kP2, "env2", org_.external_id()), IsOk());
    for (const auto& [project, env, id] :
         std::vector<std::tuple<std::string, std::string, std::string>>{
             {kP1, "env1", "cl1"},
             {kP1, "env1", "cl2"},
             {kP2, "env2", "cl3"}}) {
      ASSERT_OK_AND_ASSIGN(
          v1::Operation op,
          StartCluster(project, project + "/environments/" + env, id));
      ASSERT_OK_AND_ASSIGN(op, Wait(op.name()));
      ASSERT_EQ(op.cluster().state(), v1::Cluster::RUNNING);
      if (id == "cl1") create_op_ = op.name();
    }
  }

  absl::Status Run(const std::string& action, const std::string& key, int n);

  v1::Organization org_;
  std::string create_op_;
};

// Calls the verb of `action` with `key`; `n` makes created ids unique.
absl::Status RbacTest::Run(const std::string& action, const std::string& key,
                           int n) {
  using S = v1::ControlPlane::Stub;
  const std::string c1 = std::string(kP1) + "/clusters/cl1";
  const std::string env1 = std::string(kP1) + "/environments/env1";
  const std::string suffix = absl::StrCat("n", n);
  auto get = [&](auto method, const std::string& name) {
    v1::GetRequest r;
    r.set_name(name);
    return Call(method, r, key).status();
  };
  auto del = [&](auto method, const std::string& name,
                 const std::string& etag) {
    v1::DeleteRequest r;
    r.set_name(name);
    r.set_etag(etag);
    return Call(method, r, key).status();
  };
  auto cluster_verb = [&](auto method) {
    v1::ClusterActionRequest r;
    r.set_name(c1);
    r.set_etag(kStale);
    return Call(method, r, key).status();
  };
  // Fixtures made with the admin key.
  auto p1_key = [&]() {
    return MakeKey("acme", "roles/project.read_only", kP1)->name();
  };
  auto p1_binding = [&]() {
    v1::CreateRoleBindingRequest r;
    r.set_parent(kOrg);
    r.mutable_role_binding()->set_role("roles/project.read_only");
    r.mutable_role_binding()->set_principal("users/someone@example.com");
    r.mutable_role_binding()->set_scope(kP1);
    return Call(&S::CreateRoleBinding, r, kAdminKey)->name();
  };
  auto custom_role = [&]() {
    v1::CreateRoleRequest r;
    r.set_parent(kOrg);
    r.set_role_id("custom-" + suffix);
    r.mutable_role()->set_level(v1::Role::PROJECT);
    auto* st = r.mutable_role()->add_statements();
    st->set_effect(v1::Statement::ALLOW);
    st->add_actions("clusters.get");
    return Call(&S::CreateRole, r, kAdminKey)->name();
  };
  auto invitation = [&]() {
    v1::CreateInvitationRequest r;
    r.set_parent(kOrg);
    r.mutable_invitation()->set_email(suffix + "@example.com");
    return Call(&S::CreateInvitation, r, kAdminKey)->name();
  };

  if (action == "organizations.create") {
    v1::CreateOrganizationRequest r;
    r.set_organization_id("org-" + suffix);
    return Call(&S::CreateOrganization, r, key).status();
  }
  if (action == "organizations.get") return get(&S::GetOrganization, kOrg);
  if (action == "organizations.update") {
    v1::UpdateOrganizationRequest r;
    r.mutable_organization()->set_name(kOrg);
    r.mutable_organization()->set_etag(kStale);
    return Call(&S::UpdateOrganization, r, key).status();
  }
  if (action == "organizations.delete")
    return del(&S::DeleteOrganization, kOrg, kStale);
  const std::string owner = std::string(kOrg) + "/members/owner@example.com";
  if (action == "members.get") return get(&S::GetMember, owner);
  if (action == "members.list") {
    v1::ListMembersRequest r;
    r.set_parent(kOrg);
    return Call(&S::ListMembers, r, key).status();
  }
  if (action == "members.update") {
    v1::UpdateMemberRequest r;
    r.mutable_member()->set_name(owner);
    r.mutable_member()->set_role("roles/organization.owner");
    r.mutable_update_mask()->add_paths("role");
    return Call(&S::UpdateMember, r, key).status();
  }
  if (action == "members.delete") {
    return del(&S::DeleteMember,
               std::string(kOrg) + "/members/nobody@example.com", "");
  }
  if (action == "invitations.create") {
    v1::CreateInvitationRequest r;
    r.set_parent(kOrg);
    r.mutable_invitation()->set_email(suffix + "@example.com");
    return Call(&S::CreateInvitation, r, key).status();
  }
  if (action == "invitations.get") return get(&S::GetInvitation, invitation());
  if (action == "invitations.list") {
    v1::ListInvitationsRequest r;
    r.set_parent(kOrg);
    return Call(&S::ListInvitations, r, key).status();
  }
  if (action == "invitations.revoke") {
    return del(&S::RevokeInvitation, invitation(), kStale);
  }
  if (action == "projects.create")
    return MakeProject("acme", "p-" + suffix, key).status();
  if (action == "projects.get") return get(&S::GetProject, kP1);
  // Support access (issue 19): owners decide; a grant that does not exist
  // is NOT_FOUND for them and PERMISSION_DENIED for everyone else.
  if (absl::StartsWith(action, "supportAccess.")) {
    const std::string grant = std::string(kOrg) + "/supportGrants/gnone";
    if (action == "supportAccess.get") return get(&S::GetSupportAccess, grant);
    if (action == "supportAccess.list") {
      v1::ListSupportAccessRequest r;
      r.set_parent(kOrg);
      return Call(&S::ListSupportAccess, r, key).status();
    }
    v1::SupportAccessActionRequest r;
    r.set_name(grant);
    if (action == "supportAccess.approve")
      return Call(&S::ApproveSupportAccess, r, key).status();
    if (action == "supportAccess.deny")
      return Call(&S::DenySupportAccess, r, key).status();
    if (action == "supportAccess.revoke")
      return Call(&S::RevokeSupportAccess, r, key).status();
  }
  if (action == "projects.estimateCost") {
    v1::EstimateCostRequest r;
    r.set_parent(kP1);
    r.set_cu_size(1);
    return Call(&S::EstimateCost, r, key).status();
  }
  if (action == "projects.list") {
    v1::ListProjectsRequest r;
    r.set_parent(kOrg);
    return Call(&S::ListProjects, r, key).status();
  }
  if (action == "projects.update") {
    v1::UpdateProjectRequest r;
    r.mutable_project()->set_name(kP1);
    r.mutable_project()->set_etag(kStale);
    r.mutable_update_mask()->add_paths("display_name");
    return Call(&S::UpdateProject, r, key).status();
  }
  if (action == "projects.delete") return del(&S::DeleteProject, kP1, kStale);
  if (action == "environments.create") {
    return Call(&S::CreateEnvironment,
                EnvRequest(kP1, "e-" + suffix, org_.external_id()), key)
        .status();
  }
  if (action == "environments.get") return get(&S::GetEnvironment, env1);
  if (action == "environments.list") {
    v1::ListEnvironmentsRequest r;
    r.set_parent(kP1);
    return Call(&S::ListEnvironments, r, key).status();
  }
  if (action == "environments.delete")
    return del(&S::DeleteEnvironment, env1, kStale);
  if (action == "environments.validate") {
    v1::ValidateEnvironmentRequest r;
    r.set_name(env1);
    return Call(&S::ValidateEnvironment, r, key).status();
  }
  if (action == "environments.rotateToken") {
    v1::RotateAgentTokenRequest r;
    r.set_name(env1);
    r.set_etag(kStale);
    return Call(&S::RotateAgentToken, r, key).status();
  }
  if (action == "clusters.create") {
    return StartCluster(kP1, std::string(kP1) + "/environments/nope",
                        "c-" + suffix, 1, key)
        .status();
  }
  if (action == "clusters.get") return get(&S::GetCluster, c1);
  if (action == "clusters.list") {
    v1::ListClustersRequest r;
    r.set_parent(kP1);
    return Call(&S::ListClusters, r, key).status();
  }
  if (action == "clusters.update") {
    v1::UpdateClusterRequest r;
    r.mutable_cluster()->set_name(c1);
    r.mutable_cluster()->set_etag(kStale);
    return Call(&S::UpdateCluster, r, key).status();
  }
  if (action == "clusters.scale") {
    v1::ScaleClusterRequest r;
    r.set_name(c1);
    r.set_cu_size(2);
    r.set_etag(kStale);
    return Call(&S::ScaleCluster, r, key).status();
  }
  if (action == "clusters.getMetrics") {
    v1::GetClusterMetricsRequest r;
    r.set_name(c1);
    return Call(&S::GetClusterMetrics, r, key).status();
  }
  if (action == "clusters.suspend") return cluster_verb(&S::SuspendCluster);
  if (action == "clusters.resume") return cluster_verb(&S::ResumeCluster);
  if (action == "clusters.delete") return cluster_verb(&S::DeleteCluster);
  if (action == "clusters.restore") return cluster_verb(&S::RestoreCluster);
  if (action == "clusters.purge") return cluster_verb(&S::PurgeCluster);
  if (action == "clusters.resetPassword")
    return cluster_verb(&S::ResetClusterPassword);
  if (action == "clusters.upgrade") {  // issue 19
    v1::UpgradeClusterRequest r;
    r.set_name(c1);
    r.set_version("9.9.9");
    r.set_etag(kStale);
    return Call(&S::UpgradeCluster, r, key).status();
  }
  if (action == "apiKeys.create") {
    return MakeKey("acme", "roles/project.read_only", kP1, key).status();
  }
  if (action == "apiKeys.get") return get(&S::GetApiKey, p1_key());
  if (action == "apiKeys.list") {
    v1::ListApiKeysRequest r;
    r.set_parent(kOrg);
    return Call(&S::ListApiKeys, r, key).status();
  }
  if (action == "apiKeys.update") {
    v1::UpdateApiKeyRequest r;
    r.mutable_api_key()->set_name(p1_key());
    r.mutable_api_key()->set_etag(kStale);
    return Call(&S::UpdateApiKey, r, key).status();
  }
  if (action == "apiKeys.delete")
    return del(&S::DeleteApiKey, p1_key(), kStale);
  if (action == "roles.create") {
    v1::CreateRoleRequest r;
    r.set_parent(kOrg);
    r.set_role_id("r-" + suffix);
    r.mutable_role()->set_level(v1::Role::PROJECT);
    auto* st = r.mutable_role()->add_statements();
    st->set_effect(v1::Statement::ALLOW);
    st->add_actions("clusters.get");
    return Call(&S::CreateRole, r, key).status();
  }
  if (action == "roles.get") return get(&S::GetRole, custom_role());
  if (action == "roles.list") {
    v1::ListRolesRequest r;
    r.set_parent(kOrg);
    return Call(&S::ListRoles, r, key).status();
  }
  if (action == "roles.update") {
    v1::UpdateRoleRequest r;
    r.mutable_role()->set_name(custom_role());
    r.mutable_role()->set_etag(kStale);
    r.mutable_update_mask()->add_paths("display_name");
    return Call(&S::UpdateRole, r, key).status();
  }
  if (action == "roles.delete")
    return del(&S::DeleteRole, custom_role(), kStale);
  if (action == "roleBindings.create") {
    v1::CreateRoleBindingRequest r;
    r.set_parent(kOrg);
    r.mutable_role_binding()->set_role("roles/project.read_only");
    r.mutable_role_binding()->set_principal("users/x@example.com");
    r.mutable_role_binding()->set_scope(kP1);
    return Call(&S::CreateRoleBinding, r, key).status();
  }
  if (action == "roleBindings.get")
    return get(&S::GetRoleBinding, p1_binding());
  if (action == "roleBindings.list") {
    v1::ListRoleBindingsRequest r;
    r.set_parent(kOrg);
    return Call(&S::ListRoleBindings, r, key).status();
  }
  if (action == "roleBindings.delete") {
    return del(&S::DeleteRoleBinding, p1_binding(), "");
  }
  if (action == "auditEvents.list") {
    v1::ListAuditEventsRequest r;
    r.set_parent(kOrg);
    return Call(&S::ListAuditEvents, r, key).status();
  }
  if (action == "operations.get") return get(&S::GetOperation, create_op_);
  if (action == "operations.list") {
    v1::ListOperationsRequest r;
    r.set_parent(kOrg);
    return Call(&S::ListOperations, r, key).status();
  }
  if (action == "operations.cancel") {
    v1::CancelOperationRequest r;
    r.set_name(create_op_);
    return Call(&S::CancelOperation, r, key).status();
  }
  // Backups: requests that pass authorization and then fail (or do
  // little), so that the table is what decides.
  if (action == "backups.create") {
    v1::CreateBackupRequest r;
    r.set_parent(c1);
    r.set_backup_id(suffix + "-bk");
    return Call(&S::CreateBackup, r, key).status();
  }
  if (action == "backups.get") return get(&S::GetBackup, c1 + "/backups/none");
  if (action == "backups.list") {
    v1::ListBackupsRequest r;
    r.set_parent(c1);
    return Call(&S::ListBackups, r, key).status();
  }
  if (action == "backups.delete") {
    v1::DeleteRequest r;
    r.set_name(c1 + "/backups/none");
    return Call(&S::DeleteBackup, r, key).status();
  }
  if (action == "backups.restore") {
    v1::RestoreBackupRequest r;
    r.set_name(c1 + "/backups/none");
    r.set_target_cluster(c1);
    return Call(&S::RestoreBackup, r, key).status();
  }
  if (action == "backups.updatePolicy") {
    v1::SetBackupPolicyRequest r;
    r.set_name(c1);
    r.set_etag(kStale);
    return Call(&S::SetBackupPolicy, r, key).status();
  }
  // Alerts (issue 19): a missing rule once authorized.
  const std::string rule = std::string(kP1) + "/alertRules/none";
  if (action == "alertRules.create") {
    v1::CreateAlertRuleRequest r;
    r.set_parent(kP1);
    r.set_alert_rule_id(suffix + "-rule");
    r.mutable_alert_rule()->set_cluster(c1);
    r.mutable_alert_rule()->set_metric(v1::AlertRule::CU_USAGE);
    r.mutable_alert_rule()->set_threshold(0.9);
    r.mutable_alert_rule()->set_audit(true);
    return Call(&S::CreateAlertRule, r, key).status();
  }
  if (action == "alertRules.get") return get(&S::GetAlertRule, rule);
  if (action == "alertRules.list") {
    v1::ListAlertRulesRequest r;
    r.set_parent(kP1);
    return Call(&S::ListAlertRules, r, key).status();
  }
  if (action == "alertRules.delete") return del(&S::DeleteAlertRule, rule, "");
  if (action == "alertRules.test") {
    v1::TestAlertRuleRequest r;
    r.set_name(rule);
    return Call(&S::TestAlertRule, r, key).status();
  }
  if (action == "alertRules.silence") {
    v1::SilenceAlertRuleRequest r;
    r.set_name(rule);
    return Call(&S::SilenceAlertRule, r, key).status();
  }
  if (action == "alertRules.update") {
    v1::UpdateAlertRuleRequest r;
    r.mutable_alert_rule()->set_name(rule);
    r.mutable_alert_rule()->set_threshold(2);
    r.mutable_update_mask()->add_paths("threshold");
    return Call(&S::UpdateAlertRule, r, key).status();
  }
  return absl::UnimplementedError("rbac_test: no call for action " + action);
}

TEST_F(RbacTest, EveryBuiltInRoleAgainstEveryVerbAsTheDocumentSays) {
  const auto table = ReadDocTable();
  // The document covers exactly the actions of the server.
  std::set<std::string> doc_actions, code_actions;
  for (const auto& [a, roles] : table) doc_actions.insert(a);
  for (const PermissionRow& row : PermissionTable())
    code_actions.insert(row.action);
  ASSERT_EQ(doc_actions, code_actions);
  ASSERT_EQ(table.size(), 73u);

  int n = 0;
  for (const char* role : kBuiltInRoleNames) {
    const bool org_level = absl::StartsWith(role, "roles/organization.");
    ASSERT_OK_AND_ASSIGN(v1::ApiKey key,
                         MakeKey("acme", role, org_level ? kOrg : kP1));
    for (const auto& [action, allowed] : table) {
      absl::Status s = Run(action, key.secret(), ++n);
      EXPECT_NE(s.code(), absl::StatusCode::kUnimplemented) << s;
      EXPECT_NE(s.code(), absl::StatusCode::kUnauthenticated) << s;
      if (allowed.at(role)) {
        EXPECT_NE(s.code(), absl::StatusCode::kPermissionDenied)
            << role << " should be allowed " << action << ": " << s;
      } else {
        EXPECT_EQ(s.code(), absl::StatusCode::kPermissionDenied)
            << role << " should be denied " << action << ": " << s;
      }
    }
  }
  // Every denial is in the audit log.
  auto denied = Audit(kOrg, "outcome=DENIED");
  EXPECT_GT(denied.size(), 100u);
  for (const auto& e : denied) EXPECT_EQ(e.status_code(), 7) << e.DebugString();
}

TEST_F(RbacTest, ReadOnlyKeyCannotCreate) {
  ASSERT_OK_AND_ASSIGN(v1::ApiKey key,
                       MakeKey("acme", "roles/project.read_only", kP1));
  EXPECT_THAT(GetCluster(std::string(kP1) + "/clusters/cl1", key.secret()),
              IsOk());
  EXPECT_THAT(StartCluster(kP1, std::string(kP1) + "/environments/env1", "nope",
                           1, key.secret()),
              StatusIs(absl::StatusCode::kPermissionDenied,
                       HasSubstr("clusters.create")));
  auto events = Audit(kOrg, "actor=" + key.name() + " AND outcome=DENIED");
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].action(), "clusters.create");
  EXPECT_EQ(events[0].resource(), kP1);
  EXPECT_THAT(events[0].client_address(), HasSubstr("127.0.0.1"));
}

TEST_F(RbacTest, ProjectScopedKeyCannotSeeAnotherProject) {
  ASSERT_OK_AND_ASSIGN(v1::ApiKey key,
                       MakeKey("acme", "roles/project.admin", kP1));
  v1::GetRequest get;
  get.set_name(kP2);
  EXPECT_THAT(Call(&v1::ControlPlane::Stub::GetProject, get, key.secret()),
              StatusIs(absl::StatusCode::kPermissionDenied));
  EXPECT_THAT(GetCluster(std::string(kP2) + "/clusters/cl3", key.secret()),
              StatusIs(absl::StatusCode::kPermissionDenied));
  EXPECT_THAT(GetCluster(std::string(kP2) + "/clusters/unknown", key.secret()),
              StatusIs(absl::StatusCode::kPermissionDenied));
  v1::ListProjectsRequest projects;
  projects.set_parent(kOrg);
  ASSERT_OK_AND_ASSIGN(auto listed, Call(&v1::ControlPlane::Stub::ListProjects,
                                         projects, key.secret()));
  ASSERT_EQ(listed.projects_size(), 1);
  EXPECT_EQ(listed.projects(0).name(), kP1);
  v1::ListClustersRequest clusters;
  clusters.set_parent("organizations/acme/projects/-");
  ASSERT_OK_AND_ASSIGN(auto cl, Call(&v1::ControlPlane::Stub::ListClusters,
                                     clusters, key.secret()));
  EXPECT_EQ(cl.clusters_size(), 2);
  clusters.set_parent(kP2);
  EXPECT_THAT(
      Call(&v1::ControlPlane::Stub::ListClusters, clusters, key.secret()),
      StatusIs(absl::StatusCode::kPermissionDenied));
  // It cannot mint a key for the other project either.
  EXPECT_THAT(MakeKey("acme", "roles/project.admin", kP2, key.secret()),
              StatusIs(absl::StatusCode::kPermissionDenied));
}

TEST_F(RbacTest, ClusterScopedKeySeesOnlyItsCluster) {
  const std::string c1 = std::string(kP1) + "/clusters/cl1";
  ASSERT_OK_AND_ASSIGN(v1::ApiKey key,
                       MakeKey("acme", "roles/project.read_write", c1));
  EXPECT_THAT(GetCluster(c1, key.secret()), IsOk());
  EXPECT_THAT(GetCluster(std::string(kP1) + "/clusters/cl2", key.secret()),
              StatusIs(absl::StatusCode::kPermissionDenied));
  v1::ListClustersRequest list;
  list.set_parent(kP1);
  ASSERT_OK_AND_ASSIGN(auto listed, Call(&v1::ControlPlane::Stub::ListClusters,
                                         list, key.secret()));
  ASSERT_EQ(listed.clusters_size(), 1);
  EXPECT_EQ(listed.clusters(0).name(), c1);
  v1::GetRequest get;
  get.set_name(kP1);
  EXPECT_THAT(Call(&v1::ControlPlane::Stub::GetProject, get, key.secret()),
              StatusIs(absl::StatusCode::kPermissionDenied));
  ASSERT_OK_AND_ASSIGN(
      v1::Operation op,
      ClusterAction(&v1::ControlPlane::Stub::SuspendCluster, c1, key.secret()));
  ASSERT_OK_AND_ASSIGN(op, Wait(op.name(), key.secret()));
  EXPECT_EQ(op.cluster().state(), v1::Cluster::SUSPENDED);
  // An organization-level role cannot be held on a cluster.
  EXPECT_THAT(MakeKey("acme", "roles/organization.owner", c1),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("role")));
}

TEST_F(RbacTest, CustomRoleAllowAndDenyWithBindings) {
  v1::CreateRoleRequest role;
  role.set_parent(kOrg);
  role.set_role_id("operator");
  role.mutable_role()->set_level(v1::Role::PROJECT);
  auto* allow = role.mutable_role()->add_statements();
  allow->set_effect(v1::Statement::ALLOW);
  allow->add_actions("clusters.*");
  allow->add_actions("projects.get");
  auto* deny = role.mutable_role()->add_statements();
  deny->set_effect(v1::Statement::DENY);
  deny->add_actions("clusters.delete");
  auto* deny_c2 = role.mutable_role()->add_statements();
  deny_c2->set_effect(v1::Statement::DENY);
  deny_c2->add_actions("*");
  deny_c2->add_resources("projects/*/clusters/cl2");
  ASSERT_OK_AND_ASSIGN(
      v1::Role created,
      Call(&v1::ControlPlane::Stub::CreateRole, role, kAdminKey));
  EXPECT_FALSE(created.built_in());
  // A bad statement is refused.
  role.set_role_id("bad-role");
  role.mutable_role()->mutable_statements(0)->add_actions("clusters.explode");
  EXPECT_THAT(Call(&v1::ControlPlane::Stub::CreateRole, role, kAdminKey),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("clusters.explode")));

  ASSERT_OK_AND_ASSIGN(v1::ApiKey key, MakeKey("acme", created.name(), kOrg));
  const std::string c1 = std::string(kP1) + "/clusters/cl1";
  EXPECT_THAT(GetCluster(c1, key.secret()), IsOk());
  EXPECT_THAT(GetCluster(std::string(kP2) + "/clusters/cl3", key.secret()),
              IsOk());
  EXPECT_THAT(GetCluster(std::string(kP1) + "/clusters/cl2", key.secret()),
              StatusIs(absl::StatusCode::kPermissionDenied));
  EXPECT_THAT(
      ClusterAction(&v1::ControlPlane::Stub::DeleteCluster, c1, key.secret()),
      StatusIs(absl::StatusCode::kPermissionDenied,
               HasSubstr("clusters.delete")));
  v1::TestPermissionsRequest test;
  test.set_resource(c1);
  test.add_actions("clusters.get");
  test.add_actions("clusters.delete");
  test.add_actions("clusters.scale");
  test.add_actions("apiKeys.create");
  ASSERT_OK_AND_ASSIGN(
      auto allowed,
      Call(&v1::ControlPlane::Stub::TestPermissions, test, key.secret()));
  EXPECT_THAT(allowed.allowed_actions(),
              UnorderedElementsAre("clusters.get", "clusters.scale"));

  // A binding adds a role to a key: a read-only key bound to project.admin
  // on p2 may delete there; a binding on the role blocks its deletion.
  ASSERT_OK_AND_ASSIGN(v1::ApiKey reader,
                       MakeKey("acme", "roles/project.read_only", kOrg));
  const std::string c3 = std::string(kP2) + "/clusters/cl3";
  EXPECT_THAT(ClusterAction(&v1::ControlPlane::Stub::DeleteCluster, c3,
                            reader.secret()),
              StatusIs(absl::StatusCode::kPermissionDenied));
  v1::CreateRoleBindingRequest bind;
  bind.set_parent(kOrg);
  bind.mutable_role_binding()->set_role("roles/project.admin");
  bind.mutable_role_binding()->set_principal(reader.name());
  bind.mutable_role_binding()->set_scope(kP2);
  ASSERT_OK_AND_ASSIGN(
      v1::RoleBinding binding,
      Call(&v1::ControlPlane::Stub::CreateRoleBinding, bind, kAdminKey));
  EXPECT_THAT(ClusterAction(&v1::ControlPlane::Stub::DeleteCluster, c3,
                            reader.secret()),
              IsOk());
  EXPECT_THAT(ClusterAction(&v1::ControlPlane::Stub::SuspendCluster, c1,
                            reader.secret()),
              StatusIs(absl::StatusCode::kPermissionDenied));
  v1::DeleteRequest del_role;
  del_role.set_name(created.name());
  EXPECT_THAT(
      Call(&v1::ControlPlane::Stub::DeleteRole, del_role, kAdminKey),
      StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("API key")));
  del_role.set_name("roles/project.admin");
  EXPECT_THAT(
      Call(&v1::ControlPlane::Stub::DeleteRole, del_role, kAdminKey),
      StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("built in")));
}

TEST_F(RbacTest, EmulatorServiceIsAdminOnly) {
  ASSERT_OK_AND_ASSIGN(v1::ApiKey key,
                       MakeKey("acme", "roles/organization.owner", kOrg));
  EXPECT_THAT(Emu(&v1::Emulator::Stub::GetSettings, v1::GetSettingsRequest(),
                  key.secret()),
              StatusIs(absl::StatusCode::kPermissionDenied));
  EXPECT_THAT(Emu(&v1::Emulator::Stub::GetSettings, v1::GetSettingsRequest()),
              IsOk());
  EXPECT_THAT(MakeOrg("other"), IsOk());
  v1::CreateOrganizationRequest org;
  org.set_organization_id("third");
  EXPECT_THAT(
      Call(&v1::ControlPlane::Stub::CreateOrganization, org, key.secret()),
      StatusIs(absl::StatusCode::kPermissionDenied));
}

TEST_F(RbacTest, InvitationsAcceptAndExpireOnTheClock) {
  v1::SetClockRequest clock;
  ASSERT_OK(Emu(&v1::Emulator::Stub::SetClock, clock).status());
  v1::CreateInvitationRequest inv;
  inv.set_parent(kOrg);
  inv.mutable_invitation()->set_email("new@example.com");
  inv.mutable_invitation()->set_role("roles/organization.member");
  ASSERT_OK_AND_ASSIGN(
      v1::Invitation first,
      Call(&v1::ControlPlane::Stub::CreateInvitation, inv, kAdminKey));
  ASSERT_FALSE(first.token().empty());
  EXPECT_EQ(first.state(), v1::Invitation::PENDING);
  inv.mutable_invitation()->set_email("late@example.com");
  ASSERT_OK_AND_ASSIGN(
      v1::Invitation second,
      Call(&v1::ControlPlane::Stub::CreateInvitation, inv, kAdminKey));

  v1::AcceptInvitationRequest accept;
  accept.set_name(first.name());
  accept.set_token("not-the-token");
  EXPECT_THAT(Call(&v1::ControlPlane::Stub::AcceptInvitation, accept, ""),
              StatusIs(absl::StatusCode::kUnauthenticated));
  accept.set_token(first.token());
  ASSERT_OK_AND_ASSIGN(
      auto accepted,
      Call(&v1::ControlPlane::Stub::AcceptInvitation, accept, ""));
  EXPECT_EQ(accepted.member().user(), "new@example.com");
  EXPECT_EQ(accepted.api_key().owner(), "new@example.com");
  const std::string user_key = accepted.api_key().secret();
  ASSERT_FALSE(user_key.empty());
  // The user's key acts as a member: reads the organization, creates nothing.
  v1::GetRequest get;
  get.set_name(kOrg);
  EXPECT_THAT(Call(&v1::ControlPlane::Stub::GetOrganization, get, user_key),
              IsOk());
  EXPECT_THAT(MakeProject("acme", "mine", user_key),
              StatusIs(absl::StatusCode::kPermissionDenied));
  // A member lists the projects it has bindings for.
  v1::ListProjectsRequest list;
  list.set_parent(kOrg);
  ASSERT_OK_AND_ASSIGN(
      auto listed, Call(&v1::ControlPlane::Stub::ListProjects, list, user_key));
  EXPECT_EQ(listed.projects_size(), 0);
  v1::CreateRoleBindingRequest bind;
  bind.set_parent(kOrg);
  bind.mutable_role_binding()->set_role("roles/project.read_only");
  bind.mutable_role_binding()->set_principal("users/new@example.com");
  bind.mutable_role_binding()->set_scope(kP2);
  ASSERT_OK(Call(&v1::ControlPlane::Stub::CreateRoleBinding, bind, kAdminKey)
                .status());
  ASSERT_OK_AND_ASSIGN(
      listed, Call(&v1::ControlPlane::Stub::ListProjects, list, user_key));
  ASSERT_EQ(listed.projects_size(), 1);
  EXPECT_EQ(listed.projects(0).name(), kP2);
  // Accepting twice is refused, naming the state.
  EXPECT_THAT(
      Call(&v1::ControlPlane::Stub::AcceptInvitation, accept, ""),
      StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("ACCEPTED")));

  // Eight days later the second invitation has expired.
  v1::AdvanceClockRequest advance;
  advance.mutable_by()->set_seconds(8 * 24 * 3600);
  ASSERT_OK(Emu(&v1::Emulator::Stub::AdvanceClock, advance).status());
  get.set_name(second.name());
  ASSERT_OK_AND_ASSIGN(
      v1::Invitation expired,
      Call(&v1::ControlPlane::Stub::GetInvitation, get, kAdminKey));
  EXPECT_EQ(expired.state(), v1::Invitation::EXPIRED);
  accept.set_name(second.name());
  accept.set_token(second.token());
  EXPECT_THAT(
      Call(&v1::ControlPlane::Stub::AcceptInvitation, accept, ""),
      StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("EXPIRED")));
  v1::ListInvitationsRequest pending;
  pending.set_parent(kOrg);
  pending.set_filter("state=PENDING");
  ASSERT_OK_AND_ASSIGN(auto none, Call(&v1::ControlPlane::Stub::ListInvitations,
                                       pending, kAdminKey));
  EXPECT_EQ(none.invitations_size(), 0);
  // The acceptance is audited as the user.
  auto events = Audit(kOrg, "action=invitations.accept");
  ASSERT_EQ(events.size(), 4u);
  EXPECT_EQ(events[0].outcome(), v1::AuditEvent::DENIED);
  EXPECT_EQ(events[1].actor(), "users/new@example.com");
  EXPECT_EQ(events[1].outcome(), v1::AuditEvent::SUCCEEDED);
}

}  // namespace
}  // namespace cove::cloud::testing
