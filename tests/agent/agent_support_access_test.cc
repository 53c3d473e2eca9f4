// Agent mode (issue 19, support access with customer approval): an approved
// grant reaches the agent's data plane over the stream (read-only Milvus
// credentials "@support/{id}"), the calls made with it are forwarded by the
// agent and audited under the support principal with the grant, the grant
// comes back after a reconnect, and expiry (the emulator's manual clock) and
// revocation close it on the agent's data plane.
// Cross-account mode: tests/cloud/support_access_test.cc.
#include "agent/agent_fixture.h"
#include "cloud/util.h"
#include "gmock/gmock.h"

namespace cove::cloud::testing {
namespace {

using ::testing::HasSubstr;

class AgentSupportAccessTest : public ManualClockAgentFixture {
 protected:
  absl::StatusOr<Client> Support(const std::string& endpoint,
                                 const v1::SupportAccessGrant& g) {
    ClientOptions options;
    options.remote.user = g.data_plane_user();
    options.remote.password = g.data_plane_password();
    options.remote.timeout = std::chrono::seconds(10);
    options.remote.max_attempts = 1;
    return Client::Open(endpoint, options);
  }
  absl::StatusOr<v1::SupportAccessGrant> Act(
      grpc::Status (v1::ControlPlane::Stub::*method)(
          grpc::ClientContext*, const v1::SupportAccessActionRequest&,
          v1::SupportAccessGrant*),
      const std::string& name) {
    v1::SupportAccessActionRequest req;
    req.set_name(name);
    return Call(method, req, kAdminKey);
  }
  absl::StatusOr<v1::SupportAccessGrant> Mine(const std::string& name,
                                              const std::string& key) {
    v1::GetRequest req;
    req.set_name(name);
    return Call(&v1::ControlPlane::Stub::GetSupportAccess, req, key);
  }
  // Polls until a support client can (or cannot) sign in.
  bool SignInEventually(const std::string& endpoint,
                        const v1::SupportAccessGrant& g, bool want) {
    int ok = -1;
    return Eventually<int>(
        [&]() -> absl::StatusOr<int> {
          return Support(endpoint, g).ok() ? 1 : 0;
        },
        [want](int v) { return v == (want ? 1 : 0); }, &ok);
  }
};

TEST_F(AgentSupportAccessTest, ApprovedUsedAuditedKeptAcrossReconnectExpired) {
  v1::Environment env = MakeAgentEnvironment();
  const std::string bucket = state_.path() + "/customer-bucket";
  const agent::AgentOptions options =
      AgentOptionsFor(server_->address(), env.agent_token(), bucket);
  auto agent = agent::Agent::Start(options);
  ASSERT_TRUE(agent.ok()) << agent.status();
  ASSERT_TRUE((*agent)->WaitConnected(absl::Seconds(20)))
      << (*agent)->last_error();
  v1::CreateClusterRequest create;
  create.set_parent(project_);
  create.set_cluster_id("alpha");
  create.mutable_cluster()->set_environment(env_name_);
  v1::Operation op =
      Run(Call(&v1::ControlPlane::Stub::CreateCluster, create, kAdminKey));
  ASSERT_EQ(op.error_code(), 0) << op.error_message();
  const v1::Cluster& c = op.cluster();
  {
    auto root = DataClient(c.endpoint(), c.admin_password());
    ASSERT_TRUE(root.ok()) << root.status();
    ASSERT_TRUE(root->CreateCollection("docs", 2).ok());
  }

  v1::CreateSupportPrincipalRequest sp;
  sp.set_support_principal_id("alice");
  auto alice = Emu(&v1::Emulator::Stub::CreateSupportPrincipal, sp);
  ASSERT_TRUE(alice.ok()) << alice.status();
  const std::string key = alice->secret();
  v1::RequestSupportAccessRequest req;
  req.set_cluster(c.name());
  req.set_reason("ticket 99");
  req.mutable_duration()->set_seconds(3600);
  auto g = Call(&v1::ControlPlane::Stub::RequestSupportAccess, req, key);
  ASSERT_TRUE(g.ok()) << g.status();
  ASSERT_TRUE(
      Act(&v1::ControlPlane::Stub::ApproveSupportAccess, g->name()).ok());
  auto mine = Mine(g->name(), key);
  ASSERT_TRUE(mine.ok()) << mine.status();
  ASSERT_FALSE(mine->data_plane_password().empty());

  // The grant reaches the agent's data plane over the stream.
  ASSERT_TRUE(SignInEventually(c.endpoint(), *mine, true));
  {
    auto support = Support(c.endpoint(), *mine);
    ASSERT_TRUE(support.ok()) << support.status();
    auto names = support->ListCollections();
    ASSERT_TRUE(names.ok()) << names.status();
    EXPECT_EQ(*names, std::vector<std::string>{"docs"});
    EXPECT_EQ(support->DropCollection("docs").code(),
              absl::StatusCode::kPermissionDenied);
  }
  // Forwarded by the agent, audited under the support principal.
  std::vector<v1::AuditEvent> events;
  ASSERT_TRUE((Eventually<std::vector<v1::AuditEvent>>(
      [&]() -> absl::StatusOr<std::vector<v1::AuditEvent>> {
        return Audit(
            "organizations/acme",
            "action=dataPlane.DropCollection AND support_grant=" + g->name());
      },
      [](const std::vector<v1::AuditEvent>& v) { return !v.empty(); },
      &events)));
  EXPECT_EQ(events[0].actor(), "supportPrincipals/alice");
  EXPECT_EQ(events[0].resource(), c.name());
  EXPECT_EQ(events[0].outcome(), v1::AuditEvent::DENIED);
  EXPECT_THAT(events[0].message(), HasSubstr("read-only"));
  EXPECT_FALSE(
      Audit("organizations/acme",
            "action=dataPlane.ShowCollections AND support_grant=" + g->name())
          .empty());

  // A reconnected agent gets the grants in force again (a restarted agent
  // keeps none of them itself).
  (*agent)->Stop();
  agent->reset();
  auto again = agent::Agent::Start(options);
  ASSERT_TRUE(again.ok()) << again.status();
  ASSERT_TRUE((*again)->WaitConnected(absl::Seconds(20)))
      << (*again)->last_error();
  ASSERT_TRUE(SignInEventually(c.endpoint(), *mine, true));

  // Expiry on the emulator's clock closes it on the agent's data plane.
  Advance(absl::Hours(1));
  auto ended = Mine(g->name(), key);
  ASSERT_TRUE(ended.ok());
  EXPECT_EQ(ended->state(), v1::SupportAccessGrant::EXPIRED);
  EXPECT_TRUE(SignInEventually(c.endpoint(), *mine, false));

  // Revocation too.
  auto g2 = Call(&v1::ControlPlane::Stub::RequestSupportAccess, req, key);
  ASSERT_TRUE(g2.ok()) << g2.status();
  ASSERT_TRUE(
      Act(&v1::ControlPlane::Stub::ApproveSupportAccess, g2->name()).ok());
  auto mine2 = Mine(g2->name(), key);
  ASSERT_TRUE(mine2.ok());
  ASSERT_TRUE(SignInEventually(c.endpoint(), *mine2, true));
  ASSERT_TRUE(
      Act(&v1::ControlPlane::Stub::RevokeSupportAccess, g2->name()).ok());
  EXPECT_TRUE(SignInEventually(c.endpoint(), *mine2, false));
}

}  // namespace
}  // namespace cove::cloud::testing
