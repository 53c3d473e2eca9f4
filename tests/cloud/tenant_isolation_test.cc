// Tenant isolation of names and messages (issue 13, item 4): the resource
// paths of another organization never appear in a message; an operation of
// another organization looks exactly like a missing one; equal cluster ids in
// two organizations get separate data directories, even over one bucket.
#include <filesystem>
#include <functional>

#include "absl/strings/match.h"
#include "absl/strings/str_replace.h"
#include "cloud/cloud_fixture.h"
#include "gmock/gmock.h"

namespace cove::cloud::testing {
namespace {

using ::cove::testing::IsOk;
using ::cove::testing::StatusIs;
using ::testing::HasSubstr;
using ::testing::Not;

constexpr char kAlpha[] = "organizations/alpha";
constexpr char kAlphaProject[] = "organizations/alpha/projects/prod";
constexpr char kBetaProject[] = "organizations/beta/projects/prod";

class TenantIsolationTest : public CloudFixture {
 protected:
  void SetUp() override {
    CloudFixture::SetUp();
    ASSERT_OK_AND_ASSIGN(alpha_, MakeOrg("alpha", "a@example.com"));
    ASSERT_OK_AND_ASSIGN(beta_, MakeOrg("beta", "b@example.com"));
    ASSERT_THAT(MakeProject("alpha", "prod"), IsOk());
    ASSERT_THAT(MakeProject("beta", "prod"), IsOk());
    v1::CreateEnvironmentRequest env =
        EnvRequest(kAlphaProject, "env", alpha_.external_id());
    env.mutable_environment()->set_bucket(state_.path() + "/buckets/shared");
    ASSERT_THAT(
        Call(&v1::ControlPlane::Stub::CreateEnvironment, env, kAdminKey),
        IsOk());
    ASSERT_OK_AND_ASSIGN(
        v1::Operation op,
        StartCluster(kAlphaProject,
                     std::string(kAlphaProject) + "/environments/env", "data"));
    alpha_op_ = op.name();
    ASSERT_OK_AND_ASSIGN(alpha_created_, Wait(op.name()));
    ASSERT_EQ(alpha_created_.cluster().state(), v1::Cluster::RUNNING);
    ASSERT_OK_AND_ASSIGN(
        alpha_key_, MakeKey("alpha", "roles/project.admin", kAlphaProject));
    ASSERT_OK_AND_ASSIGN(beta_key_, MakeKey("beta", "roles/organization.owner",
                                            "organizations/beta"));
  }

  // No path of alpha in `message` but the names the request gave.
  static void ExpectNoAlphaPath(const absl::Status& s,
                                const std::vector<std::string>& typed) {
    std::string m(s.message());
    for (const std::string& t : typed)
      m = absl::StrReplaceAll(m, {{t, "<typed>"}});
    EXPECT_THAT(m, Not(HasSubstr("alpha"))) << s;
  }

  v1::Organization alpha_, beta_;
  std::string alpha_op_;
  v1::Operation alpha_created_;
  v1::ApiKey alpha_key_, beta_key_;
};

TEST_F(TenantIsolationTest, EqualClusterIdsOverOneBucketStaySeparate) {
  const std::string alpha_cluster =
      std::string(kAlphaProject) + "/clusters/data";
  ASSERT_OK_AND_ASSIGN(Client alpha_data,
                       DataClient(alpha_created_.cluster().endpoint(),
                                  alpha_created_.cluster().admin_password()));
  ASSERT_OK(alpha_data.CreateCollection("alpha_docs", 2));
  ASSERT_OK(alpha_data.Insert("alpha_docs", Rows(0, 3)).status());

  // Beta asks for an environment over the same bucket: refused without
  // naming alpha, or accepted; either way its cluster "data" is its own.
  v1::CreateEnvironmentRequest env =
      EnvRequest(kBetaProject, "env", beta_.external_id());
  env.mutable_environment()->set_bucket(state_.path() + "/buckets/shared");
  auto made =
      Call(&v1::ControlPlane::Stub::CreateEnvironment, env, beta_key_.secret());
  if (!made.ok()) {
    ExpectNoAlphaPath(made.status(), {});
    env.mutable_environment()->set_bucket(state_.path() + "/buckets/beta");
    ASSERT_OK(Call(&v1::ControlPlane::Stub::CreateEnvironment, env,
                   beta_key_.secret())
                  .status());
  } else {
    EXPECT_THAT(made->state_message(), Not(HasSubstr("alpha")));
  }
  auto started = StartCluster(kBetaProject,
                              std::string(kBetaProject) + "/environments/env",
                              "data", 1, beta_key_.secret());
  ASSERT_TRUE(started.ok()) << started.status();
  ASSERT_OK_AND_ASSIGN(v1::Operation done,
                       Wait(started->name(), beta_key_.secret()));
  ASSERT_EQ(done.cluster().state(), v1::Cluster::RUNNING)
      << done.error_message();
  EXPECT_THAT(done.error_message(), Not(HasSubstr("alpha")));
  EXPECT_THAT(done.cluster().state_message(), Not(HasSubstr("alpha")));

  // Each sees only its own data.
  ASSERT_OK_AND_ASSIGN(
      Client beta_data,
      DataClient(done.cluster().endpoint(), done.cluster().admin_password()));
  ASSERT_OK_AND_ASSIGN(auto beta_collections, beta_data.ListCollections());
  EXPECT_TRUE(beta_collections.empty());
  ASSERT_OK_AND_ASSIGN(auto alpha_collections, alpha_data.ListCollections());
  EXPECT_EQ(alpha_collections, std::vector<std::string>{"alpha_docs"});
  // The data directories are per tenant.
  const std::string shared = state_.path() + "/buckets/shared/clusters";
  EXPECT_TRUE(std::filesystem::exists(shared + "/alpha/prod/data"));
  EXPECT_FALSE(std::filesystem::exists(shared + "/data"));

  // Purging beta's cluster leaves alpha's intact.
  ASSERT_OK_AND_ASSIGN(
      v1::Operation del,
      ClusterAction(&v1::ControlPlane::Stub::DeleteCluster,
                    std::string(kBetaProject) + "/clusters/data",
                    beta_key_.secret()));
  ASSERT_OK(Wait(del.name(), beta_key_.secret()).status());
  ASSERT_OK_AND_ASSIGN(
      v1::Operation purge,
      ClusterAction(&v1::ControlPlane::Stub::PurgeCluster,
                    std::string(kBetaProject) + "/clusters/data",
                    beta_key_.secret()));
  ASSERT_OK(Wait(purge.name(), beta_key_.secret()).status());
  ASSERT_OK_AND_ASSIGN(alpha_collections, alpha_data.ListCollections());
  EXPECT_EQ(alpha_collections, std::vector<std::string>{"alpha_docs"});
  ASSERT_OK_AND_ASSIGN(v1::Cluster still, GetCluster(alpha_cluster));
  EXPECT_EQ(still.state(), v1::Cluster::RUNNING);
}

TEST_F(TenantIsolationTest, AnotherTenantsOperationLooksMissing) {
  const std::string missing = "operations/o0123456789ab";
  auto expect_same = [&](const absl::Status& theirs, const absl::Status& none) {
    EXPECT_THAT(theirs, StatusIs(absl::StatusCode::kNotFound));
    EXPECT_THAT(none, StatusIs(absl::StatusCode::kNotFound));
    EXPECT_EQ(absl::StrReplaceAll(theirs.message(), {{alpha_op_, "X"}}),
              absl::StrReplaceAll(none.message(), {{missing, "X"}}));
    ExpectNoAlphaPath(theirs, {});
  };
  v1::GetRequest get;
  get.set_name(alpha_op_);
  auto theirs =
      Call(&v1::ControlPlane::Stub::GetOperation, get, beta_key_.secret());
  get.set_name(missing);
  auto none =
      Call(&v1::ControlPlane::Stub::GetOperation, get, beta_key_.secret());
  expect_same(theirs.status(), none.status());

  v1::WaitOperationRequest wait;
  wait.set_name(alpha_op_);
  wait.set_timeout_ms(10);
  auto wait_theirs =
      Call(&v1::ControlPlane::Stub::WaitOperation, wait, beta_key_.secret());
  wait.set_name(missing);
  auto wait_none =
      Call(&v1::ControlPlane::Stub::WaitOperation, wait, beta_key_.secret());
  expect_same(wait_theirs.status(), wait_none.status());

  v1::CancelOperationRequest cancel;
  cancel.set_name(alpha_op_);
  auto cancel_theirs = Call(&v1::ControlPlane::Stub::CancelOperation, cancel,
                            beta_key_.secret());
  cancel.set_name(missing);
  auto cancel_none = Call(&v1::ControlPlane::Stub::CancelOperation, cancel,
                          beta_key_.secret());
  expect_same(cancel_theirs.status(), cancel_none.status());

  // Alpha's own key still sees it; the attempts are in alpha's audit log.
  get.set_name(alpha_op_);
  EXPECT_THAT(
      Call(&v1::ControlPlane::Stub::GetOperation, get, alpha_key_.secret()),
      IsOk());
  auto denied = Audit(kAlpha, "actor=" + beta_key_.name());
  EXPECT_EQ(denied.size(), 3u);
  for (const auto& e : denied) EXPECT_EQ(e.outcome(), v1::AuditEvent::DENIED);
}

TEST_F(TenantIsolationTest, StoredScopesOfAnotherTenantAreNeverNamed) {
  // Beta names alpha's key and a role binding of alpha: denied, and the
  // message names only what beta gave, never the key's project.
  v1::CreateRoleBindingRequest bind;
  bind.set_parent(kAlpha);
  bind.mutable_role_binding()->set_role("roles/project.read_only");
  bind.mutable_role_binding()->set_principal("users/x@example.com");
  bind.mutable_role_binding()->set_scope(kAlphaProject);
  ASSERT_OK_AND_ASSIGN(
      v1::RoleBinding binding,
      Call(&v1::ControlPlane::Stub::CreateRoleBinding, bind, kAdminKey));
  const std::string missing_key = std::string(kAlpha) + "/apiKeys/knothere";
  const std::string missing_binding =
      std::string(kAlpha) + "/roleBindings/bnothere";
  for (const auto& [name, kind] :
       std::vector<std::pair<std::string, int>>{{alpha_key_.name(), 0},
                                                {missing_key, 0},
                                                {binding.name(), 1},
                                                {missing_binding, 1}}) {
    SCOPED_TRACE(name);
    v1::GetRequest get;
    get.set_name(name);
    v1::DeleteRequest del;
    del.set_name(name);
    std::vector<absl::Status> results;
    if (kind == 0) {
      results.push_back(
          Call(&v1::ControlPlane::Stub::GetApiKey, get, beta_key_.secret())
              .status());
      results.push_back(
          Call(&v1::ControlPlane::Stub::DeleteApiKey, del, beta_key_.secret())
              .status());
      v1::UpdateApiKeyRequest up;
      up.mutable_api_key()->set_name(name);
      up.mutable_api_key()->set_enabled(false);
      up.mutable_update_mask()->add_paths("enabled");
      results.push_back(
          Call(&v1::ControlPlane::Stub::UpdateApiKey, up, beta_key_.secret())
              .status());
    } else {
      results.push_back(
          Call(&v1::ControlPlane::Stub::GetRoleBinding, get, beta_key_.secret())
              .status());
      results.push_back(Call(&v1::ControlPlane::Stub::DeleteRoleBinding, del,
                             beta_key_.secret())
                            .status());
    }
    for (const absl::Status& s : results) {
      EXPECT_THAT(s, StatusIs(absl::StatusCode::kPermissionDenied));
      EXPECT_THAT(std::string(s.message()), Not(HasSubstr(kAlphaProject))) << s;
      ExpectNoAlphaPath(s, {std::string(kAlpha)});
    }
  }
  // Existing and missing names give the same message.
  v1::GetRequest a, b;
  a.set_name(alpha_key_.name());
  b.set_name(missing_key);
  auto sa = Call(&v1::ControlPlane::Stub::GetApiKey, a, beta_key_.secret());
  auto sb = Call(&v1::ControlPlane::Stub::GetApiKey, b, beta_key_.secret());
  EXPECT_EQ(sa.status().message(), sb.status().message());
  // The key itself is untouched.
  ASSERT_OK_AND_ASSIGN(v1::ApiKey key, Call(&v1::ControlPlane::Stub::GetApiKey,
                                            a, alpha_key_.secret()));
  EXPECT_TRUE(key.enabled());
}

// Issue 13, item 4, over every kind of resource and verb: what another
// tenant gets for an existing resource of alpha (organization, project,
// environment, cluster, backup, role, member, invitation) is exactly what it
// gets for a missing one (the same code, the same message but for the name
// it gave): nothing tells it the resource exists, and no message names a
// path of alpha it did not give.
TEST_F(TenantIsolationTest,
       ExistingAndMissingResourcesOfAnotherTenantLookAlike) {
  const std::string cluster = std::string(kAlphaProject) + "/clusters/data";
  v1::CreateBackupRequest backup;
  backup.set_parent(cluster);
  backup.set_backup_id("nightly");
  ASSERT_OK_AND_ASSIGN(
      v1::Operation op,
      Call(&v1::ControlPlane::Stub::CreateBackup, backup, kAdminKey));
  ASSERT_OK_AND_ASSIGN(op, Wait(op.name()));
  ASSERT_EQ(op.error_code(), 0) << op.error_message();
  v1::CreateRoleRequest role;
  role.set_parent(kAlpha);
  role.set_role_id("viewer");
  role.mutable_role()->set_level(v1::Role::PROJECT);
  v1::Statement* st = role.mutable_role()->add_statements();
  st->set_effect(v1::Statement::ALLOW);
  st->add_actions("clusters.get");
  ASSERT_OK_AND_ASSIGN(v1::Role made, Call(&v1::ControlPlane::Stub::CreateRole,
                                           role, kAdminKey));
  v1::CreateInvitationRequest invite;
  invite.set_parent(kAlpha);
  invite.mutable_invitation()->set_email("new@example.com");
  invite.mutable_invitation()->set_role("roles/organization.member");
  ASSERT_OK_AND_ASSIGN(
      v1::Invitation invitation,
      Call(&v1::ControlPlane::Stub::CreateInvitation, invite, kAdminKey));

  // {existing, missing} names of alpha.
  const std::string p = kAlphaProject;
  const std::vector<std::pair<std::string, std::string>> orgs = {
      {kAlpha, "organizations/nobody"}};
  const std::vector<std::pair<std::string, std::string>> projects = {
      {p, std::string(kAlpha) + "/projects/nope"}};
  const std::vector<std::pair<std::string, std::string>> envs = {
      {p + "/environments/env", p + "/environments/nope"}};
  const std::vector<std::pair<std::string, std::string>> clusters = {
      {cluster, p + "/clusters/nope"}};
  const std::vector<std::pair<std::string, std::string>> backups = {
      {cluster + "/backups/nightly", cluster + "/backups/nope"},
      {cluster + "/backups/nightly", p + "/clusters/nope/backups/nightly"}};
  const std::vector<std::pair<std::string, std::string>> roles = {
      {made.name(), std::string(kAlpha) + "/roles/nope"}};
  const std::vector<std::pair<std::string, std::string>> members = {
      {std::string(kAlpha) + "/members/a@example.com",
       std::string(kAlpha) + "/members/z@example.com"}};
  const std::vector<std::pair<std::string, std::string>> invitations = {
      {invitation.name(), std::string(kAlpha) + "/invitations/inope"}};

  int compared = 0;
  // Calls `call(name)` for both names of each pair and compares.
  auto compare =
      [&](const std::string& what,
          const std::vector<std::pair<std::string, std::string>>& pairs,
          const std::function<absl::Status(const std::string&)>& call) {
        for (const auto& [existing, missing] : pairs) {
          SCOPED_TRACE(what + " " + existing + " / " + missing);
          const absl::Status a = call(existing);
          const absl::Status b = call(missing);
          EXPECT_FALSE(a.ok());
          EXPECT_EQ(a.code(), b.code()) << a << " / " << b;
          EXPECT_EQ(absl::StrReplaceAll(a.message(), {{existing, "<name>"}}),
                    absl::StrReplaceAll(b.message(), {{missing, "<name>"}}));
          // What the caller gave: the name, its ancestors (a permission is
          // checked on the scope the name gives) and, for CreateCluster, the
          // parent.
          std::vector<std::string> typed = {existing};
          for (size_t slash = existing.rfind('/');
               slash != std::string::npos && slash > 0;
               slash = existing.rfind('/', slash - 1)) {
            typed.push_back(existing.substr(0, slash));
          }
          typed.push_back(p);
          ExpectNoAlphaPath(a, typed);
          ++compared;
        }
      };
  const std::string beta = beta_key_.secret();
  auto get = [&](auto method) {
    return [&, method](const std::string& name) {
      v1::GetRequest req;
      req.set_name(name);
      return Call(method, req, beta).status();
    };
  };
  auto del = [&](auto method) {
    return [&, method](const std::string& name) {
      v1::DeleteRequest req;
      req.set_name(name);
      return Call(method, req, beta).status();
    };
  };
  auto action = [&](auto method) {
    return [&, method](const std::string& name) {
      v1::ClusterActionRequest req;
      req.set_name(name);
      return Call(method, req, beta).status();
    };
  };
  using S = v1::ControlPlane::Stub;
  compare("GetOrganization", orgs, get(&S::GetOrganization));
  compare("DeleteOrganization", orgs, del(&S::DeleteOrganization));
  compare("GetProject", projects, get(&S::GetProject));
  compare("DeleteProject", projects, del(&S::DeleteProject));
  compare("GetEnvironment", envs, get(&S::GetEnvironment));
  compare("DeleteEnvironment", envs, del(&S::DeleteEnvironment));
  compare("GetCluster", clusters, get(&S::GetCluster));
  for (auto method :
       {&S::SuspendCluster, &S::ResumeCluster, &S::DeleteCluster,
        &S::RestoreCluster, &S::PurgeCluster, &S::ResetClusterPassword}) {
    compare("ClusterAction", clusters, action(method));
  }
  compare("ScaleCluster", clusters, [&](const std::string& name) {
    v1::ScaleClusterRequest req;
    req.set_name(name);
    req.set_cu_size(2);
    return Call(&S::ScaleCluster, req, beta).status();
  });
  compare("GetClusterMetrics", clusters, [&](const std::string& name) {
    v1::GetClusterMetricsRequest req;
    req.set_name(name);
    return Call(&S::GetClusterMetrics, req, beta).status();
  });
  compare("CreateBackup", clusters, [&](const std::string& name) {
    v1::CreateBackupRequest req;
    req.set_parent(name);
    return Call(&S::CreateBackup, req, beta).status();
  });
  compare("ListBackups", clusters, [&](const std::string& name) {
    v1::ListBackupsRequest req;
    req.set_parent(name);
    return Call(&S::ListBackups, req, beta).status();
  });
  compare("GetBackup", backups, get(&S::GetBackup));
  compare("DeleteBackup", backups, del(&S::DeleteBackup));
  compare("RestoreBackup", backups, [&](const std::string& name) {
    v1::RestoreBackupRequest req;
    req.set_name(name);
    req.set_parent(kBetaProject);
    req.set_cluster_id("stolen");
    req.mutable_cluster()->set_environment(std::string(kBetaProject) +
                                           "/environments/none");
    return Call(&S::RestoreBackup, req, beta).status();
  });
  compare("ListClusters", projects, [&](const std::string& name) {
    v1::ListClustersRequest req;
    req.set_parent(name);
    return Call(&S::ListClusters, req, beta).status();
  });
  compare("ListEnvironments", projects, [&](const std::string& name) {
    v1::ListEnvironmentsRequest req;
    req.set_parent(name);
    return Call(&S::ListEnvironments, req, beta).status();
  });
  compare("CreateCluster", envs, [&](const std::string& name) {
    v1::CreateClusterRequest req;
    req.set_parent(p);
    req.set_cluster_id("intruder");
    req.mutable_cluster()->set_environment(name);
    return Call(&S::CreateCluster, req, beta).status();
  });
  compare("ListProjects", orgs, [&](const std::string& name) {
    v1::ListProjectsRequest req;
    req.set_parent(name);
    return Call(&S::ListProjects, req, beta).status();
  });
  compare("ListOperations", orgs, [&](const std::string& name) {
    v1::ListOperationsRequest req;
    req.set_parent(name);
    return Call(&S::ListOperations, req, beta).status();
  });
  compare("ListAuditEvents", orgs, [&](const std::string& name) {
    v1::ListAuditEventsRequest req;
    req.set_parent(name);
    return Call(&S::ListAuditEvents, req, beta).status();
  });
  compare("GetRole", roles, get(&S::GetRole));
  compare("DeleteRole", roles, del(&S::DeleteRole));
  compare("GetMember", members, get(&S::GetMember));
  compare("DeleteMember", members, del(&S::DeleteMember));
  compare("GetInvitation", invitations, get(&S::GetInvitation));
  compare("RevokeInvitation", invitations, del(&S::RevokeInvitation));
  EXPECT_GE(compared, 30);
  // TestPermissions answers the same (nothing allowed) for both.
  for (const auto& [existing, missing] : clusters) {
    v1::TestPermissionsRequest req;
    req.add_actions("clusters.get");
    req.set_resource(existing);
    auto a = Call(&S::TestPermissions, req, beta);
    req.set_resource(missing);
    auto b = Call(&S::TestPermissions, req, beta);
    ASSERT_EQ(a.ok(), b.ok());
    if (a.ok()) {
      EXPECT_EQ(a->allowed_actions_size(), 0);
      EXPECT_EQ(b->allowed_actions_size(), 0);
    } else {
      EXPECT_EQ(a.status().code(), b.status().code());
    }
  }
  // Alpha's resources are all still there.
  ASSERT_OK_AND_ASSIGN(v1::Cluster still, GetCluster(cluster));
  EXPECT_EQ(still.state(), v1::Cluster::RUNNING);
}

}  // namespace
}  // namespace cove::cloud::testing
