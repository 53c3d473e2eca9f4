// Agent mode over TLS: the agent dials the control plane with TLS (trusting
// the emulator's generated certificate) and serves its data planes with TLS.
#include <fstream>
#include <sstream>

#include "agent/agent_fixture.h"
#include "gmock/gmock.h"

namespace cove::cloud::testing {
namespace {

using ::cove::testing::IsOk;
using ::testing::StartsWith;

class AgentTlsTest : public AgentFixture {
 protected:
  void SetUp() override {
    CloudOptions options = TestCloudOptions(state_.path() + "/state");
    options.generate_tls = true;
    options.agent_heartbeat_interval = std::chrono::milliseconds(50);
    StartWith(options);
    std::ifstream in(server_->ca_file());
    std::stringstream pem;
    pem << in.rdbuf();
    grpc::SslCredentialsOptions ssl;
    ssl.pem_root_certs = pem.str();
    Connect(grpc::SslCredentials(ssl));
  }
};

TEST_F(AgentTlsTest, AgentDialsOutOverTlsAndServesTls) {
  v1::Environment env = MakeAgentEnvironment();
  ASSERT_EQ(env.state(), v1::Environment::AWAITING_AGENT);
  // Without TLS the agent cannot talk to a TLS control plane (it retries:
  // not a refusal).
  auto plain = AgentOptionsFor(server_->address(), env.agent_token(),
                               state_.path() + "/plain-bucket");
  ASSERT_OK_AND_ASSIGN(auto plain_agent, agent::Agent::Start(plain));
  EXPECT_FALSE(plain_agent->WaitConnected(absl::Milliseconds(500)));
  EXPECT_FALSE(plain_agent->refused());
  plain_agent.reset();

  auto o = AgentOptionsFor("https://" + server_->address(), env.agent_token(),
                           state_.path() + "/bucket");
  o.tls_ca_file = server_->ca_file();
  o.data_plane_tls_cert_file = state_.path() + "/state/tls/cert.pem";
  o.data_plane_tls_key_file = state_.path() + "/state/tls/key.pem";
  ASSERT_OK_AND_ASSIGN(auto agent, agent::Agent::Start(o));
  ASSERT_TRUE(agent->WaitConnected(absl::Seconds(20))) << agent->last_error();
  ASSERT_OK_AND_ASSIGN(v1::Operation op,
                       StartCluster(project_, env_name_, "tls1"));
  ASSERT_OK_AND_ASSIGN(op, Wait(op.name()));
  ASSERT_EQ(op.error_code(), 0) << op.error_message();
  ASSERT_THAT(op.cluster().endpoint(), StartsWith("https://127.0.0.1:"));
  ASSERT_OK_AND_ASSIGN(Client data, DataClient(op.cluster().endpoint(),
                                               op.cluster().admin_password(),
                                               server_->ca_file()));
  ASSERT_OK(data.CreateCollection("docs", 2));
  EXPECT_OK(data.Insert("docs", Rows(0, 3)).status());
}

}  // namespace
}  // namespace cove::cloud::testing
