// Agent mode (issue 19, network access): a cluster's IP access list reaches
// the agent's data plane with its create command and with UpdateCluster
// (over the agent's stream, no restart), is enforced on the client's
// address (real connections from 127.0.0.2 and 127.0.0.3), and refusals
// reach the control plane's audit log. Cross-account mode:
// tests/cloud/ip_access_test.cc.
#include "agent/agent_fixture.h"
#include "gmock/gmock.h"
#include "hosting/port_reservation.h"
#include "testing/source_address_client.h"

namespace cove::cloud::testing {
namespace {

using ::cove::testing::ShowCollectionsFrom;
using ::testing::HasSubstr;

class AgentIpAccessTest : public ManualClockAgentFixture {};

TEST_F(AgentIpAccessTest, EnforcedByTheAgentsDataPlaneUpdatedAndAudited) {
  v1::Environment env = MakeAgentEnvironment();
  const std::string bucket = state_.path() + "/customer-bucket";
  auto agent = agent::Agent::Start(
      AgentOptionsFor(server_->address(), env.agent_token(), bucket));
  ASSERT_TRUE(agent.ok()) << agent.status();
  ASSERT_TRUE((*agent)->WaitConnected(absl::Seconds(20)))
      << (*agent)->last_error();

  v1::CreateClusterRequest create;
  create.set_parent(project_);
  create.set_cluster_id("alpha");
  create.mutable_cluster()->set_environment(env_name_);
  create.mutable_cluster()->add_ip_access_list("127.0.0.2");
  v1::Operation op =
      Run(Call(&v1::ControlPlane::Stub::CreateCluster, create, kAdminKey));
  ASSERT_EQ(op.error_code(), 0) << op.error_message();
  const v1::Cluster& c = op.cluster();
  const int port = hosting::PortOf(c.endpoint());
  const std::string pw = c.admin_password();
  // In force from the data plane's first call.
  EXPECT_TRUE(ShowCollectionsFrom("127.0.0.2", port, "root", pw).ok());
  grpc::Status refused = ShowCollectionsFrom("127.0.0.3", port, "root", pw);
  EXPECT_EQ(refused.error_code(), grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(refused.error_message(),
            "client address 127.0.0.3 is not allowed by the IP access list "
            "of cluster '" +
                c.name() + "'");

  // UpdateCluster: over the stream, without a restart.
  v1::UpdateClusterRequest update;
  update.mutable_cluster()->set_name(c.name());
  update.mutable_cluster()->add_ip_access_list("127.0.0.3/32");
  update.mutable_update_mask()->add_paths("ip_access_list");
  ASSERT_TRUE(
      Call(&v1::ControlPlane::Stub::UpdateCluster, update, kAdminKey).ok());
  int code = -1;
  ASSERT_TRUE((Eventually<int>(
      [&]() -> absl::StatusOr<int> {
        return static_cast<int>(
            ShowCollectionsFrom("127.0.0.3", port, "root", pw).error_code());
      },
      [](int c) { return c == 0; }, &code)));
  EXPECT_EQ(ShowCollectionsFrom("127.0.0.2", port, "root", pw).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);

  // The refusals, forwarded by the agent: the first from 127.0.0.3, the
  // last from 127.0.0.2 (polls in between may have been refused too).
  std::vector<v1::AuditEvent> events;
  ASSERT_TRUE((Eventually<std::vector<v1::AuditEvent>>(
      [&]() -> absl::StatusOr<std::vector<v1::AuditEvent>> {
        return Audit("organizations/acme", "action=dataPlane.ipAccessList");
      },
      [](const std::vector<v1::AuditEvent>& v) {
        return !v.empty() &&
               absl::StrContains(v.back().client_address(), "127.0.0.2");
      },
      &events)));
  EXPECT_EQ(events.front().resource(), c.name());
  EXPECT_EQ(events.front().outcome(), v1::AuditEvent::DENIED);
  EXPECT_EQ(events.front().status_code(), 7);
  EXPECT_THAT(events.front().client_address(), HasSubstr("127.0.0.3"));
  EXPECT_THAT(events.front().message(),
              HasSubstr("client address 127.0.0.3 is not allowed"));
  EXPECT_THAT(events.back().message(),
              HasSubstr("client address 127.0.0.2 is not allowed"));
}

TEST_F(AgentIpAccessTest, AChangeWhileAwayArrivesAndSurvivesARestart) {
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
  create.set_cluster_id("beta");
  create.mutable_cluster()->set_environment(env_name_);
  create.mutable_cluster()->add_ip_access_list("127.0.0.3");
  v1::Operation op =
      Run(Call(&v1::ControlPlane::Stub::CreateCluster, create, kAdminKey));
  ASSERT_EQ(op.error_code(), 0) << op.error_message();
  const v1::Cluster& c = op.cluster();
  const int port = hosting::PortOf(c.endpoint());
  const std::string pw = c.admin_password();
  EXPECT_EQ(ShowCollectionsFrom("127.0.0.2", port, "root", pw).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);

  // The agent is away while the list changes: its data plane keeps the old
  // list; the new one arrives with the next hello.
  (*agent)->Disconnect();
  v1::UpdateClusterRequest update;
  update.mutable_cluster()->set_name(c.name());
  update.mutable_cluster()->add_ip_access_list("127.0.0.2");
  update.mutable_update_mask()->add_paths("ip_access_list");
  ASSERT_TRUE(
      Call(&v1::ControlPlane::Stub::UpdateCluster, update, kAdminKey).ok());
  EXPECT_EQ(ShowCollectionsFrom("127.0.0.2", port, "root", pw).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  (*agent)->Reconnect();
  ASSERT_TRUE((*agent)->WaitRegistrations(2, absl::Seconds(20)));
  int code = -1;
  ASSERT_TRUE((Eventually<int>(
      [&]() -> absl::StatusOr<int> {
        return static_cast<int>(
            ShowCollectionsFrom("127.0.0.2", port, "root", pw).error_code());
      },
      [](int c) { return c == 0; }, &code)));
  std::vector<agent::AgentCluster> held = (*agent)->clusters();
  ASSERT_EQ(held.size(), 1u);
  EXPECT_EQ(held[0].ip_access_list, std::vector<std::string>{"127.0.0.2/32"});

  // A restarted agent starts the data plane with the list it kept, before
  // it reaches the control plane.
  (*agent)->Stop();
  agent->reset();
  auto again = agent::Agent::Start(options);
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_EQ(ShowCollectionsFrom("127.0.0.3", port, "root", pw).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_TRUE(ShowCollectionsFrom("127.0.0.2", port, "root", pw).ok());
}

}  // namespace
}  // namespace cove::cloud::testing
