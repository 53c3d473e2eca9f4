// Issue 19, support access with customer approval (cross-account mode): a
// support principal requests access to one cluster for a reason and a
// duration, an organization owner approves (or denies), the access is used
// on the control plane and on the cluster's data plane (a real client with
// the grant's Milvus credentials, read-only), every call is audited under
// the support principal with the grant, and the access ends at expiry (the
// emulator's manual clock) or when revoked. No standing access: the
// property test checks, over generated grants, that only an ACTIVE,
// unexpired grant opens anything, and only its own cluster.
// Agent mode: tests/agent/agent_support_access_test.cc.
#include <map>
#include <random>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "cloud/cloud_fixture.h"
#include "cloud/util.h"
#include "common/status_macros.h"
#include "gmock/gmock.h"

namespace cove::cloud::testing {
namespace {

using ::cove::testing::IsOk;
using ::cove::testing::StatusIs;
using ::testing::HasSubstr;

// The grant's Milvus credentials, as a support engineer's client uses them.
absl::StatusOr<Client> SupportClient(const std::string& endpoint,
                                     const std::string& user,
                                     const std::string& password) {
  ClientOptions options;
  options.remote.user = user;
  options.remote.password = password;
  options.remote.timeout = std::chrono::seconds(10);
  options.remote.max_attempts = 1;
  return Client::Open(endpoint, options);
}

class SupportAccessTest : public CloudFixture {
 protected:
  void SetUp() override {
    CloudFixture::SetUp();
    ASSERT_OK_AND_ASSIGN(v1::Organization org, MakeOrg("acme"));
    ASSERT_THAT(MakeProject("acme", "web"), IsOk());
    ASSERT_THAT(MakeEnv(project_, "env1", org.external_id()), IsOk());
    ASSERT_OK_AND_ASSIGN(
        v1::ApiKey owner,
        MakeKey("acme", "roles/organization.owner", "organizations/acme"));
    owner_ = owner.secret();
  }

  void ManualClock() {
    v1::SetClockRequest clock;
    clock.mutable_time()->set_seconds(1'800'000'000);
    ASSERT_THAT(Emu(&v1::Emulator::Stub::SetClock, clock), IsOk());
  }
  absl::Status Advance(int64_t seconds) {
    v1::AdvanceClockRequest req;
    req.mutable_by()->set_seconds(seconds);
    return Emu(&v1::Emulator::Stub::AdvanceClock, req).status();
  }

  // A RUNNING cluster (on the manual clock when it is set).
  absl::StatusOr<v1::Cluster> Running(const std::string& project,
                                      const std::string& env,
                                      const std::string& id) {
    COVE_ASSIGN_OR_RETURN(v1::Operation op, StartCluster(project, env, id));
    (void)Advance(1);
    COVE_ASSIGN_OR_RETURN(v1::Operation done, Wait(op.name()));
    if (done.cluster().state() != v1::Cluster::RUNNING)
      return absl::InternalError("cluster did not start: " +
                                 done.error_message());
    return done.cluster();
  }

  absl::StatusOr<v1::SupportPrincipal> MakeSupport(const std::string& id) {
    v1::CreateSupportPrincipalRequest req;
    req.set_support_principal_id(id);
    return Emu(&v1::Emulator::Stub::CreateSupportPrincipal, req);
  }

  absl::StatusOr<v1::SupportAccessGrant> Request(const std::string& key,
                                                 const std::string& cluster,
                                                 int64_t seconds,
                                                 const std::string& reason =
                                                     "ticket 4711: slow "
                                                     "searches") {
    v1::RequestSupportAccessRequest req;
    req.set_cluster(cluster);
    req.set_reason(reason);
    req.mutable_duration()->set_seconds(seconds);
    return Call(&v1::ControlPlane::Stub::RequestSupportAccess, req, key);
  }

  absl::StatusOr<v1::SupportAccessGrant> Decide(
      grpc::Status (v1::ControlPlane::Stub::*method)(
          grpc::ClientContext*, const v1::SupportAccessActionRequest&,
          v1::SupportAccessGrant*),
      const std::string& name, const std::string& key) {
    v1::SupportAccessActionRequest req;
    req.set_name(name);
    req.set_reason("as agreed");
    return Call(method, req, key);
  }
  absl::StatusOr<v1::SupportAccessGrant> Approve(const std::string& name) {
    return Decide(&v1::ControlPlane::Stub::ApproveSupportAccess, name, owner_);
  }

  absl::StatusOr<v1::SupportAccessGrant> GetGrant(const std::string& name,
                                                  const std::string& key) {
    v1::GetRequest req;
    req.set_name(name);
    return Call(&v1::ControlPlane::Stub::GetSupportAccess, req, key);
  }

  const std::string project_ = "organizations/acme/projects/web";
  const std::string env_ = project_ + "/environments/env1";
  std::string owner_;
};

TEST_F(SupportAccessTest, RequestApprovedUsedExpiredAndAudited) {
  ManualClock();
  ASSERT_OK_AND_ASSIGN(v1::Cluster db, Running(project_, env_, "main"));
  ASSERT_OK_AND_ASSIGN(v1::Cluster other, Running(project_, env_, "other"));
  {
    ASSERT_OK_AND_ASSIGN(Client root,
                         DataClient(db.endpoint(), db.admin_password()));
    ASSERT_THAT(root.CreateCollection("docs", 2), IsOk());
    ASSERT_THAT(root.Insert("docs", Rows(0, 5)).status(), IsOk());
  }
  ASSERT_OK_AND_ASSIGN(v1::SupportPrincipal alice, MakeSupport("alice"));
  ASSERT_FALSE(alice.secret().empty());
  const std::string key = alice.secret();

  // No standing access.
  EXPECT_THAT(GetCluster(db.name(), key),
              StatusIs(absl::StatusCode::kPermissionDenied,
                       HasSubstr("supportPrincipals/alice may not use "
                                 "clusters.get")));
  // Only support principals request; the request is bounded.
  EXPECT_THAT(Request(owner_, db.name(), 3600),
              StatusIs(absl::StatusCode::kPermissionDenied,
                       HasSubstr("only support principals")));
  EXPECT_THAT(Request(key, db.name(), 25 * 3600),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("duration: expected 1m to 24h of access "
                                 "(got 25h)")));
  EXPECT_THAT(Request(key, db.name(), 3600, ""),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("reason: expected 1 to 500 bytes")));
  EXPECT_THAT(Request(key, project_ + "/clusters/nope", 3600),
              StatusIs(absl::StatusCode::kNotFound));

  ASSERT_OK_AND_ASSIGN(v1::SupportAccessGrant g,
                       Request(key, db.name(), 2 * 3600));
  EXPECT_EQ(g.state(), v1::SupportAccessGrant::PENDING);
  EXPECT_EQ(g.requester(), "supportPrincipals/alice");
  EXPECT_THAT(g.name(), HasSubstr("organizations/acme/supportGrants/g"));
  EXPECT_TRUE(g.data_plane_password().empty());
  // Pending opens nothing, and nobody approves their own request.
  EXPECT_THAT(GetCluster(db.name(), key),
              StatusIs(absl::StatusCode::kPermissionDenied));
  EXPECT_THAT(
      Decide(&v1::ControlPlane::Stub::ApproveSupportAccess, g.name(), key),
      StatusIs(absl::StatusCode::kPermissionDenied));
  ASSERT_OK_AND_ASSIGN(v1::SupportAccessGrant approved, Approve(g.name()));
  EXPECT_EQ(approved.state(), v1::SupportAccessGrant::ACTIVE);
  EXPECT_EQ(
      FromProto(approved.expire_time()) - FromProto(approved.approve_time()),
      absl::Hours(2));
  EXPECT_TRUE(approved.data_plane_password().empty());  // owners never see it
  EXPECT_THAT(Approve(g.name()),
              StatusIs(absl::StatusCode::kFailedPrecondition,
                       HasSubstr("expected PENDING to approve (got ACTIVE)")));

  // Used: the control plane (its cluster only, reading only)...
  ASSERT_OK_AND_ASSIGN(v1::SupportAccessGrant mine, GetGrant(g.name(), key));
  ASSERT_FALSE(mine.data_plane_password().empty());
  EXPECT_EQ(mine.data_plane_user(),
            "@support/" + g.name().substr(g.name().rfind('/') + 1));
  ASSERT_OK_AND_ASSIGN(v1::Cluster seen, GetCluster(db.name(), key));
  EXPECT_EQ(seen.name(), db.name());
  EXPECT_TRUE(seen.admin_password().empty());
  EXPECT_THAT(GetCluster(other.name(), key),
              StatusIs(absl::StatusCode::kPermissionDenied));
  EXPECT_THAT(
      ClusterAction(&v1::ControlPlane::Stub::SuspendCluster, db.name(), key),
      StatusIs(absl::StatusCode::kPermissionDenied));
  // ... and the data plane, read-only.
  {
    ASSERT_OK_AND_ASSIGN(Client support,
                         SupportClient(db.endpoint(), mine.data_plane_user(),
                                       mine.data_plane_password()));
    ASSERT_OK_AND_ASSIGN(std::vector<std::string> names,
                         support.ListCollections());
    EXPECT_EQ(names, std::vector<std::string>{"docs"});
    EXPECT_THAT(support.DescribeCollection("docs").status(), IsOk());
    EXPECT_THAT(support.Insert("docs", Rows(100, 1)).status(),
                StatusIs(absl::StatusCode::kPermissionDenied,
                         HasSubstr("support access is read-only")));
    // The credentials open only their cluster.
    EXPECT_THAT(SupportClient(other.endpoint(), mine.data_plane_user(),
                              mine.data_plane_password())
                    .status(),
                StatusIs(absl::StatusCode::kUnauthenticated));
    EXPECT_THAT(
        SupportClient(db.endpoint(), mine.data_plane_user(), "wrong").status(),
        StatusIs(absl::StatusCode::kUnauthenticated));
  }

  // Audited under the support principal, with the grant.
  ASSERT_THAT(Advance(1), IsOk());  // drains the data plane's calls
  std::vector<v1::AuditEvent> events =
      Audit("organizations/acme", "support_grant=" + g.name());
  std::map<std::string, int> by_action;
  for (const v1::AuditEvent& e : events) {
    EXPECT_EQ(e.actor(), "supportPrincipals/alice") << e.action();
    ++by_action[e.action()];
  }
  EXPECT_GE(by_action["supportAccess.request"], 1);
  EXPECT_GE(by_action["clusters.get"], 1);
  EXPECT_GE(by_action["dataPlane.ShowCollections"], 1);
  EXPECT_GE(by_action["dataPlane.DescribeCollection"], 1);
  ASSERT_GE(by_action["dataPlane.Insert"], 1);
  for (const v1::AuditEvent& e : events) {
    if (e.action() == "dataPlane.Insert") {
      EXPECT_EQ(e.outcome(), v1::AuditEvent::DENIED);
      EXPECT_EQ(e.resource(), db.name());
    }
    if (e.action() == "dataPlane.DescribeCollection")
      EXPECT_EQ(e.outcome(), v1::AuditEvent::SUCCEEDED);
  }
  // The approval and the refusals are in the log too: the support
  // principal's own attempt (DENIED), the owner's approval, the second one.
  std::vector<v1::AuditEvent> approvals =
      Audit("organizations/acme", "action=supportAccess.approve");
  ASSERT_EQ(approvals.size(), 3u);
  EXPECT_EQ(approvals[0].outcome(), v1::AuditEvent::DENIED);
  EXPECT_EQ(approvals[0].actor(), "supportPrincipals/alice");
  EXPECT_EQ(approvals[1].outcome(), v1::AuditEvent::SUCCEEDED);
  EXPECT_THAT(approvals[1].message(), HasSubstr("until"));
  EXPECT_EQ(approvals[2].outcome(), v1::AuditEvent::FAILED);

  // Expired: at approve_time + 2 h, on the emulator's clock.
  ASSERT_THAT(Advance(2 * 3600), IsOk());
  ASSERT_OK_AND_ASSIGN(v1::SupportAccessGrant ended,
                       GetGrant(g.name(), owner_));
  EXPECT_EQ(ended.state(), v1::SupportAccessGrant::EXPIRED);
  EXPECT_THAT(GetCluster(db.name(), key),
              StatusIs(absl::StatusCode::kPermissionDenied));
  ASSERT_OK_AND_ASSIGN(mine, GetGrant(g.name(), key));
  EXPECT_TRUE(mine.data_plane_password().empty());
  EXPECT_THAT(SupportClient(db.endpoint(), approved.data_plane_user(),
                            GetGrant(g.name(), key)->data_plane_password())
                  .status(),
              StatusIs(absl::StatusCode::kUnauthenticated));
  std::vector<v1::AuditEvent> expired =
      Audit("organizations/acme", "action=supportAccess.expire");
  ASSERT_EQ(expired.size(), 1u);
  EXPECT_EQ(expired[0].resource(), g.name());
  EXPECT_EQ(expired[0].actor(), "system");
}

TEST_F(SupportAccessTest, DeniedRevokedAndKeptAcrossRestarts) {
  ASSERT_OK_AND_ASSIGN(v1::Cluster db, Running(project_, env_, "main"));
  ASSERT_OK_AND_ASSIGN(v1::SupportPrincipal bob, MakeSupport("bob"));
  const std::string key = bob.secret();
  ASSERT_OK_AND_ASSIGN(v1::SupportAccessGrant denied,
                       Request(key, db.name(), 600));
  ASSERT_OK_AND_ASSIGN(v1::SupportAccessGrant d,
                       Decide(&v1::ControlPlane::Stub::DenySupportAccess,
                              denied.name(), owner_));
  EXPECT_EQ(d.state(), v1::SupportAccessGrant::DENIED);
  EXPECT_EQ(d.decision_reason(), "as agreed");
  EXPECT_THAT(Approve(denied.name()),
              StatusIs(absl::StatusCode::kFailedPrecondition));
  EXPECT_THAT(GetCluster(db.name(), key),
              StatusIs(absl::StatusCode::kPermissionDenied));

  ASSERT_OK_AND_ASSIGN(v1::SupportAccessGrant g, Request(key, db.name(), 3600));
  ASSERT_THAT(Approve(g.name()), IsOk());
  ASSERT_OK_AND_ASSIGN(v1::SupportAccessGrant mine, GetGrant(g.name(), key));
  ASSERT_THAT(SupportClient(db.endpoint(), mine.data_plane_user(),
                            mine.data_plane_password())
                  .status(),
              IsOk());
  // Another principal's grant is not found; owners list it.
  ASSERT_OK_AND_ASSIGN(v1::SupportPrincipal eve, MakeSupport("eve"));
  EXPECT_THAT(GetGrant(g.name(), eve.secret()),
              StatusIs(absl::StatusCode::kNotFound));
  v1::ListSupportAccessRequest list;
  list.set_parent("organizations/acme");
  list.set_filter("state=ACTIVE");
  ASSERT_OK_AND_ASSIGN(
      v1::ListSupportAccessResponse active,
      Call(&v1::ControlPlane::Stub::ListSupportAccess, list, owner_));
  ASSERT_EQ(active.grants_size(), 1);
  EXPECT_EQ(active.grants(0).name(), g.name());
  EXPECT_TRUE(active.grants(0).data_plane_password().empty());
  EXPECT_THAT(Call(&v1::ControlPlane::Stub::ListSupportAccess, list, key),
              StatusIs(absl::StatusCode::kPermissionDenied));
  v1::ListSupportAccessRequest own;
  ASSERT_OK_AND_ASSIGN(
      v1::ListSupportAccessResponse bobs,
      Call(&v1::ControlPlane::Stub::ListSupportAccess, own, key));
  EXPECT_EQ(bobs.grants_size(), 2);

  // Kept across an emulator restart: the grant, its password, the session.
  Restart(TestCloudOptions(state_.path() + "/state"));
  ASSERT_OK_AND_ASSIGN(db, GetCluster(db.name()));
  ASSERT_EQ(db.state(), v1::Cluster::RUNNING);
  ASSERT_OK_AND_ASSIGN(mine, GetGrant(g.name(), key));
  EXPECT_EQ(mine.state(), v1::SupportAccessGrant::ACTIVE);
  ASSERT_THAT(SupportClient(db.endpoint(), mine.data_plane_user(),
                            mine.data_plane_password())
                  .status(),
              IsOk());
  EXPECT_THAT(GetCluster(db.name(), key), IsOk());

  // Revoked by the owner: closed at once, on both planes.
  ASSERT_OK_AND_ASSIGN(
      v1::SupportAccessGrant r,
      Decide(&v1::ControlPlane::Stub::RevokeSupportAccess, g.name(), owner_));
  EXPECT_EQ(r.state(), v1::SupportAccessGrant::REVOKED);
  EXPECT_EQ(r.revoked_by(),
            std::string("organizations/acme/apiKeys/") +
                r.revoked_by().substr(r.revoked_by().rfind('/') + 1));
  EXPECT_THAT(GetCluster(db.name(), key),
              StatusIs(absl::StatusCode::kPermissionDenied));
  EXPECT_THAT(SupportClient(db.endpoint(), mine.data_plane_user(),
                            mine.data_plane_password())
                  .status(),
              StatusIs(absl::StatusCode::kUnauthenticated));
  // A role binding never gives a support principal anything.
  v1::CreateRoleBindingRequest bind;
  bind.set_parent("organizations/acme");
  bind.mutable_role_binding()->set_principal("supportPrincipals/bob");
  bind.mutable_role_binding()->set_role("roles/project.admin");
  bind.mutable_role_binding()->set_scope(project_);
  (void)Call(&v1::ControlPlane::Stub::CreateRoleBinding, bind, kAdminKey);
  EXPECT_THAT(GetCluster(db.name(), key),
              StatusIs(absl::StatusCode::kPermissionDenied));
}

// Over generated organizations, clusters, principals and grants in every
// state: a support principal may read a cluster exactly when it holds an
// ACTIVE, unexpired grant for that cluster; the data-plane credentials of a
// grant open exactly that cluster while the grant is ACTIVE.
TEST_F(SupportAccessTest, PropertyAGrantOpensOnlyItsClusterWhileActive) {
  ManualClock();
  ASSERT_OK_AND_ASSIGN(v1::Organization org2, MakeOrg("globex"));
  ASSERT_THAT(MakeProject("globex", "web"), IsOk());
  const std::string project2 = "organizations/globex/projects/web";
  ASSERT_THAT(MakeEnv(project2, "env1", org2.external_id()), IsOk());
  ASSERT_OK_AND_ASSIGN(
      v1::ApiKey owner2,
      MakeKey("globex", "roles/organization.owner", "organizations/globex"));
  std::vector<v1::Cluster> clusters;
  for (const char* id : {"aaa", "bbb"}) {
    ASSERT_OK_AND_ASSIGN(v1::Cluster c, Running(project_, env_, id));
    clusters.push_back(c);
    ASSERT_OK_AND_ASSIGN(
        c, Running(project2, project2 + "/environments/env1", id));
    clusters.push_back(c);
  }
  const auto owner_of = [&](const std::string& name) {
    return absl::StartsWith(name, "organizations/acme/") ? owner_
                                                         : owner2.secret();
  };
  std::vector<std::string> keys;
  for (int i = 0; i < 4; ++i) {
    ASSERT_OK_AND_ASSIGN(v1::SupportPrincipal p,
                         MakeSupport(absl::StrCat("eng", i)));
    keys.push_back(p.secret());
  }
  std::mt19937 rng(19);
  for (int round = 0; round < 3; ++round) {
    // principal index -> cluster name -> credentials of its active grants.
    std::map<std::pair<int, std::string>, bool> open;
    std::vector<std::pair<int, v1::SupportAccessGrant>> grants;
    for (int n = 0; n < 6; ++n) {
      const int p = static_cast<int>(rng() % keys.size());
      const v1::Cluster& c = clusters[rng() % clusters.size()];
      // Expiring ones last 1 minute; the others 2 hours.
      const int kind = static_cast<int>(rng() % 5);
      ASSERT_OK_AND_ASSIGN(v1::SupportAccessGrant g,
                           Request(keys[p], c.name(), kind == 4 ? 60 : 7200));
      const std::string owner = owner_of(c.name());
      if (kind == 1) {
        ASSERT_THAT(
            Decide(&v1::ControlPlane::Stub::DenySupportAccess, g.name(), owner),
            IsOk());
      } else if (kind >= 2) {
        ASSERT_THAT(Decide(&v1::ControlPlane::Stub::ApproveSupportAccess,
                           g.name(), owner),
                    IsOk());
        if (kind == 3) {
          ASSERT_THAT(Decide(&v1::ControlPlane::Stub::RevokeSupportAccess,
                             g.name(), owner),
                      IsOk());
        }
      }
      ASSERT_OK_AND_ASSIGN(v1::SupportAccessGrant mine,
                           GetGrant(g.name(), keys[p]));
      if (kind == 2) open[{p, c.name()}] = true;
      grants.emplace_back(p, mine);
    }
    ASSERT_THAT(Advance(61), IsOk());  // the 1-minute grants expire
    for (size_t p = 0; p < keys.size(); ++p) {
      for (const v1::Cluster& c : clusters) {
        const bool want = open.count({static_cast<int>(p), c.name()}) != 0;
        EXPECT_EQ(GetCluster(c.name(), keys[p]).ok(), want)
            << "round " << round << " principal " << p << " " << c.name();
        v1::GetClusterMetricsRequest m;
        m.set_name(c.name());
        EXPECT_EQ(
            Call(&v1::ControlPlane::Stub::GetClusterMetrics, m, keys[p]).ok(),
            want);
      }
    }
    for (const auto& [p, g] : grants) {
      for (const v1::Cluster& c : clusters) {
        const bool want =
            g.state() == v1::SupportAccessGrant::ACTIVE &&
            g.cluster() == c.name() &&
            FromProto(g.expire_time()) - FromProto(g.approve_time()) >
                absl::Minutes(1);
        auto client = SupportClient(
            c.endpoint(), g.data_plane_user(),
            g.data_plane_password().empty() ? "none" : g.data_plane_password());
        EXPECT_EQ(client.ok(), want)
            << g.name() << " on " << c.name() << ": " << client.status();
      }
    }
    // Close the round: revoke what is still active.
    for (const auto& [p, g] : grants) {
      auto now = GetGrant(g.name(), owner_of(g.cluster()));
      ASSERT_THAT(now, IsOk());
      if (now->state() == v1::SupportAccessGrant::ACTIVE) {
        ASSERT_THAT(Decide(&v1::ControlPlane::Stub::RevokeSupportAccess,
                           g.name(), owner_of(g.cluster())),
                    IsOk());
      }
    }
  }
}

}  // namespace
}  // namespace cove::cloud::testing
