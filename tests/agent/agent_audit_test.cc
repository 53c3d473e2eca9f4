// Agent mode (issue 13, item 9): the refused calls of the agent's data
// planes (failed authentication, missing privileges) reach the control
// plane's audit log over the agent's stream, with actor, cluster, source
// address and privilege; an agent speaks only for its own clusters.
#include "absl/strings/match.h"
#include "agent/agent_fixture.h"
#include "cove/control/v1/agent.grpc.pb.h"
#include "gmock/gmock.h"

namespace cove::cloud::testing {
namespace {

using ::cove::testing::IsOk;
using ::cove::testing::StatusIs;
using ::testing::HasSubstr;
using ::testing::Not;

class AgentAuditTest : public ManualClockAgentFixture {
 protected:
  void StartAgent() {
    v1::Environment env = MakeAgentEnvironment();
    auto agent = agent::Agent::Start(
        AgentOptionsFor(server_->address(), env.agent_token(), bucket_));
    ASSERT_TRUE(agent.ok()) << agent.status();
    agent_ = *std::move(agent);
    ASSERT_TRUE(agent_->WaitConnected(absl::Seconds(20)))
        << agent_->last_error();
  }

  v1::Operation CreateCluster(const std::string& id) {
    v1::CreateClusterRequest req;
    req.set_parent(project_);
    req.set_cluster_id(id);
    req.mutable_cluster()->set_environment(env_name_);
    req.mutable_cluster()->set_cu_size(1);
    return Run(Call(&v1::ControlPlane::Stub::CreateCluster, req, kAdminKey));
  }

  // The DENIED events of `resource`, once there are at least `n`.
  std::vector<v1::AuditEvent> DeniedEventually(const std::string& resource,
                                               size_t n) {
    std::vector<v1::AuditEvent> last;
    Eventually<std::vector<v1::AuditEvent>>(
        [&]() -> absl::StatusOr<std::vector<v1::AuditEvent>> {
          return Audit("organizations/acme",
                       "resource=" + resource + " AND outcome=DENIED");
        },
        [&](const std::vector<v1::AuditEvent>& v) { return v.size() >= n; },
        &last);
    return last;
  }

  const std::string bucket_ = state_.path() + "/customer-bucket";
  std::unique_ptr<agent::Agent> agent_;
};

TEST_F(AgentAuditTest, RefusalsOfTheAgentsDataPlanesAreAuditEvents) {
  StartAgent();
  v1::Operation op = CreateCluster("alpha");
  ASSERT_EQ(op.error_code(), 0) << op.error_message();
  const std::string cluster = op.cluster().name();
  const std::string endpoint = op.cluster().endpoint();
  EXPECT_THAT(DataClient(endpoint, "not-the-password"),
              StatusIs(absl::StatusCode::kUnauthenticated));
  ASSERT_OK_AND_ASSIGN(Client root,
                       DataClient(endpoint, op.cluster().admin_password()));
  ASSERT_OK(root.CreateUser("reader", "reader-password-1"));
  ClientOptions options;
  options.remote.user = "reader";
  options.remote.password = "reader-password-1";
  options.remote.max_attempts = 1;
  ASSERT_OK_AND_ASSIGN(Client reader, Client::Open(endpoint, options));
  EXPECT_THAT(reader.CreateCollection("docs", 2),
              StatusIs(absl::StatusCode::kPermissionDenied));

  std::vector<v1::AuditEvent> events = DeniedEventually(cluster, 2);
  ASSERT_EQ(events.size(), 2u);
  EXPECT_EQ(events[0].action(), "dataPlane.authenticate");
  EXPECT_EQ(events[0].actor(), cluster + "/users/root");
  EXPECT_EQ(events[0].status_code(), 16);
  EXPECT_THAT(events[0].client_address(), HasSubstr("127.0.0.1"));
  EXPECT_THAT(events[0].DebugString(), Not(HasSubstr("not-the-password")));
  EXPECT_EQ(events[1].action(), "dataPlane.CreateCollection");
  EXPECT_EQ(events[1].actor(), cluster + "/users/reader");
  EXPECT_EQ(events[1].status_code(), 7);
  EXPECT_THAT(events[1].client_address(), HasSubstr("127.0.0.1"));
}

TEST_F(AgentAuditTest, AnAgentSpeaksOnlyForItsOwnClusters) {
  StartAgent();
  v1::Operation op = CreateCluster("alpha");
  ASSERT_EQ(op.error_code(), 0) << op.error_message();
  const std::string victim = op.cluster().name();
  // A second agent environment, whose agent (a raw stream here) forwards
  // refusals naming the first environment's cluster.
  v1::CreateEnvironmentRequest req;
  req.set_parent(project_);
  req.set_environment_id("rogue");
  req.mutable_environment()->set_mode(v1::Environment::AGENT);
  ASSERT_OK_AND_ASSIGN(
      v1::Environment rogue,
      Call(&v1::ControlPlane::Stub::CreateEnvironment, req, kAdminKey));
  auto stub = v1::AgentGateway::NewStub(channel_);
  grpc::ClientContext ctx;
  auto stream = stub->Connect(&ctx);
  v1::AgentMessage hello;
  hello.mutable_hello()->set_environment(rogue.name());
  hello.mutable_hello()->set_token(rogue.agent_token());
  ASSERT_TRUE(stream->Write(hello));
  v1::ControlMessage welcome;
  ASSERT_TRUE(stream->Read(&welcome));
  ASSERT_TRUE(welcome.has_welcome());
  v1::AgentMessage forged;
  v1::AgentAccessDenial* d = forged.mutable_access_denials()->add_denials();
  d->set_cluster(victim);
  d->set_kind(v1::AgentAccessDenial::AUTHENTICATION);
  d->set_user("root");
  d->set_peer("ipv4:10.0.0.66:1234");
  d->set_message("forged");
  ASSERT_TRUE(stream->Write(forged));
  // The control plane notes what it ignored, on the rogue environment.
  std::vector<v1::AuditEvent> notes;
  ASSERT_TRUE((Eventually<std::vector<v1::AuditEvent>>(
      [&]() -> absl::StatusOr<std::vector<v1::AuditEvent>> {
        return Audit("organizations/acme",
                     "action=dataPlane.denials AND resource=" + rogue.name());
      },
      [](const std::vector<v1::AuditEvent>& v) { return !v.empty(); },
      &notes)));
  EXPECT_THAT(notes[0].message(), HasSubstr("not its own"));
  for (const auto& e : Audit("organizations/acme", "resource=" + victim)) {
    EXPECT_THAT(e.message(), Not(HasSubstr("forged"))) << e.DebugString();
  }
  ctx.TryCancel();
}

}  // namespace
}  // namespace cove::cloud::testing
