// Agent mode (issue 19, network access): private endpoints. The agent
// reports its private address (cove-agent --private-address) as the
// environment's private network address; a cluster created with a private
// endpoint listens there on the agent's data plane, and UpdateCluster turns
// the public endpoint off and on again over the agent's stream, without
// losing data (real connections). Cross-account mode:
// tests/cloud/private_endpoint_test.cc.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include "agent/agent_fixture.h"
#include "gmock/gmock.h"
#include "hosting/port_reservation.h"

namespace cove::cloud::testing {
namespace {

using ::testing::HasSubstr;

bool Connects(const std::string& host, int port) {
  const int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return false;
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(static_cast<uint16_t>(port));
  inet_pton(AF_INET, host.c_str(), &a.sin_addr);
  const bool ok = connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof(a)) == 0;
  close(fd);
  return ok;
}

// Rows of "docs" through `endpoint` as root.
absl::StatusOr<int64_t> CountDocs(const std::string& endpoint,
                                  const std::string& password) {
  ClientOptions options;
  options.remote.user = "root";
  options.remote.password = password;
  options.remote.max_attempts = 1;
  auto data = Client::Open(endpoint, options);
  if (!data.ok()) return data.status();
  QueryRequest count;
  count.collection_name = "docs";
  count.output_fields = {"count(*)"};
  auto rows = data->Query(count);
  if (!rows.ok()) return rows.status();
  return rows->at(0).at("count(*)").AsInt();
}

class AgentPrivateEndpointTest : public ManualClockAgentFixture {};

TEST_F(AgentPrivateEndpointTest, ServedOnTheAgentsAddressPublicOffAndOn) {
  v1::Environment env = MakeAgentEnvironment();
  const std::string bucket = state_.path() + "/customer-bucket";
  agent::AgentOptions options =
      AgentOptionsFor(server_->address(), env.agent_token(), bucket);
  options.private_address = "127.0.0.7";
  auto agent = agent::Agent::Start(options);
  ASSERT_TRUE(agent.ok()) << agent.status();
  ASSERT_TRUE((*agent)->WaitConnected(absl::Seconds(20)))
      << (*agent)->last_error();
  v1::Environment got_env;
  ASSERT_TRUE(EnvEventually(
      [](const v1::Environment& e) {
        return e.private_network_address() == "127.0.0.7";
      },
      &got_env));

  // Refused without a private endpoint to fall back on.
  v1::CreateClusterRequest create;
  create.set_parent(project_);
  create.set_cluster_id("alpha");
  create.mutable_cluster()->set_environment(env_name_);
  create.mutable_cluster()->set_public_endpoint_disabled(true);
  EXPECT_EQ(Call(&v1::ControlPlane::Stub::CreateCluster, create, kAdminKey)
                .status()
                .code(),
            absl::StatusCode::kFailedPrecondition);
  create.mutable_cluster()->set_public_endpoint_disabled(false);
  create.mutable_cluster()->set_private_endpoint_enabled(true);
  v1::Operation op =
      Run(Call(&v1::ControlPlane::Stub::CreateCluster, create, kAdminKey));
  ASSERT_EQ(op.error_code(), 0) << op.error_message();
  const v1::Cluster& c = op.cluster();
  const std::string pw = c.admin_password();
  ASSERT_THAT(c.private_endpoint(), HasSubstr("http://127.0.0.7:"));
  const std::string private_endpoint = c.private_endpoint();
  const std::string public_endpoint = c.endpoint();
  {
    ClientOptions o;
    o.remote.user = "root";
    o.remote.password = pw;
    auto data = Client::Open(private_endpoint, o);
    ASSERT_TRUE(data.ok()) << data.status();
    ASSERT_TRUE(data->CreateCollection("docs", 2).ok());
    ASSERT_TRUE(data->Insert("docs", Rows(0, 4)).ok());
  }
  EXPECT_EQ(CountDocs(public_endpoint, pw).value_or(-1), 4);

  // Public off, over the stream: its port refuses, the private one serves
  // the data written before.
  v1::UpdateClusterRequest update;
  update.mutable_cluster()->set_name(c.name());
  update.mutable_cluster()->set_public_endpoint_disabled(true);
  update.mutable_update_mask()->add_paths("public_endpoint_disabled");
  auto updated =
      Call(&v1::ControlPlane::Stub::UpdateCluster, update, kAdminKey);
  ASSERT_TRUE(updated.ok()) << updated.status();
  EXPECT_EQ(updated->endpoint(), "");
  bool open = true;
  ASSERT_TRUE((Eventually<bool>(
      [&]() -> absl::StatusOr<bool> {
        return Connects("127.0.0.1", hosting::PortOf(public_endpoint));
      },
      [](bool b) { return !b; }, &open)));
  EXPECT_EQ(CountDocs(private_endpoint, pw).value_or(-1), 4);
  std::vector<agent::AgentCluster> held = (*agent)->clusters();
  ASSERT_EQ(held.size(), 1u);
  EXPECT_TRUE(held[0].public_endpoint_disabled);
  EXPECT_EQ(held[0].private_endpoint, private_endpoint);

  // On again: the same public endpoint serves the same data.
  update.mutable_cluster()->set_public_endpoint_disabled(false);
  updated = Call(&v1::ControlPlane::Stub::UpdateCluster, update, kAdminKey);
  ASSERT_TRUE(updated.ok()) << updated.status();
  EXPECT_EQ(updated->endpoint(), public_endpoint);
  int64_t n = -1;
  ASSERT_TRUE(
      (Eventually<int64_t>([&] { return CountDocs(public_endpoint, pw); },
                           [](int64_t v) { return v == 4; }, &n)));

  // Private off: its port is let go, the control plane learns it.
  update.mutable_cluster()->set_private_endpoint_enabled(false);
  update.mutable_update_mask()->add_paths("private_endpoint_enabled");
  ASSERT_TRUE(
      Call(&v1::ControlPlane::Stub::UpdateCluster, update, kAdminKey).ok());
  ASSERT_TRUE((Eventually<bool>(
      [&]() -> absl::StatusOr<bool> {
        return Connects("127.0.0.7", hosting::PortOf(private_endpoint));
      },
      [](bool b) { return !b; }, &open)));
  v1::GetRequest get;
  get.set_name(c.name());
  auto view = Call(&v1::ControlPlane::Stub::GetCluster, get, kAdminKey);
  ASSERT_TRUE(view.ok());
  EXPECT_EQ(view->private_endpoint(), "");
  EXPECT_EQ(CountDocs(public_endpoint, pw).value_or(-1), 4);
}

// A cluster whose public endpoint is off never serves publicly, also when
// its agent restarts without --private-address (its data plane is not
// started); with the address back it serves privately the data it had.
TEST_F(AgentPrivateEndpointTest, NeverPublicAfterARestartWithoutTheAddress) {
  v1::Environment env = MakeAgentEnvironment();
  const std::string bucket = state_.path() + "/customer-bucket";
  agent::AgentOptions options =
      AgentOptionsFor(server_->address(), env.agent_token(), bucket);
  options.private_address = "127.0.0.8";
  auto agent = agent::Agent::Start(options);
  ASSERT_TRUE(agent.ok()) << agent.status();
  ASSERT_TRUE((*agent)->WaitConnected(absl::Seconds(20)))
      << (*agent)->last_error();
  v1::Environment got_env;
  ASSERT_TRUE(EnvEventually(
      [](const v1::Environment& e) {
        return e.private_network_address() == "127.0.0.8";
      },
      &got_env));
  v1::CreateClusterRequest create;
  create.set_parent(project_);
  create.set_cluster_id("hidden");
  create.mutable_cluster()->set_environment(env_name_);
  create.mutable_cluster()->set_private_endpoint_enabled(true);
  create.mutable_cluster()->set_public_endpoint_disabled(true);
  v1::Operation op =
      Run(Call(&v1::ControlPlane::Stub::CreateCluster, create, kAdminKey));
  ASSERT_EQ(op.error_code(), 0) << op.error_message();
  const std::string pw = op.cluster().admin_password();
  const std::string private_endpoint = op.cluster().private_endpoint();
  EXPECT_EQ(op.cluster().endpoint(), "");
  {
    ClientOptions o;
    o.remote.user = "root";
    o.remote.password = pw;
    auto data = Client::Open(private_endpoint, o);
    ASSERT_TRUE(data.ok()) << data.status();
    ASSERT_TRUE(data->CreateCollection("docs", 2).ok());
    ASSERT_TRUE(data->Insert("docs", Rows(0, 3)).ok());
  }
  std::vector<agent::AgentCluster> held = (*agent)->clusters();
  ASSERT_EQ(held.size(), 1u);
  const int public_port = hosting::PortOf(held[0].endpoint);
  ASSERT_GT(public_port, 0);
  EXPECT_FALSE(Connects("127.0.0.1", public_port));

  (*agent)->Stop();
  agent->reset();
  agent::AgentOptions bare = options;
  bare.private_address.clear();
  auto without = agent::Agent::Start(bare);
  ASSERT_TRUE(without.ok()) << without.status();
  held = (*without)->clusters();
  ASSERT_EQ(held.size(), 1u);
  EXPECT_FALSE(held[0].running);
  EXPECT_FALSE(Connects("127.0.0.1", public_port));
  (*without)->Stop();
  without->reset();

  auto again = agent::Agent::Start(options);
  ASSERT_TRUE(again.ok()) << again.status();
  held = (*again)->clusters();
  ASSERT_EQ(held.size(), 1u);
  EXPECT_TRUE(held[0].running);
  EXPECT_EQ(held[0].private_endpoint, private_endpoint);
  EXPECT_FALSE(Connects("127.0.0.1", public_port));
  EXPECT_EQ(CountDocs(private_endpoint, pw).value_or(-1), 3);
}

}  // namespace
}  // namespace cove::cloud::testing
