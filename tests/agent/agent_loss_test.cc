// Agent mode in one process, on the emulator's manual clock: registration
// (one-time token, credential), cluster verbs carried out by the agent, and
// the fault of the reliability issue: agent loss and return (DISCONNECTED
// after the heartbeat timeout, clusters keep serving, pending operations
// wait and finish on return or fail with UNAVAILABLE after their deadline,
// state reconciled).
#include <sys/stat.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "absl/strings/match.h"
#include "absl/strings/str_split.h"
#include "agent/agent_fixture.h"
#include "common/cipher.h"
#include "gmock/gmock.h"
#include "hosting/backup_format.h"
#include "server/metrics_http.h"

namespace cove::cloud::testing {
namespace {

using ::cove::testing::IsOk;
using ::cove::testing::StatusIs;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;
using ::testing::StartsWith;

using AgentLossTest = ManualClockAgentFixture;

TEST_F(AgentLossTest, RegistersRunsVerbsSurvivesLossAndReconciles) {
  v1::Environment env = MakeAgentEnvironment();
  ASSERT_EQ(env.state(), v1::Environment::AWAITING_AGENT);
  ASSERT_THAT(env.agent_token(), StartsWith("cove-agent_"));
  const std::string cluster = project_ + "/clusters/search1";

  // No agent yet: creating a cluster is refused, naming the state.
  EXPECT_THAT(StartCluster(project_, env_name_, "search1"),
              StatusIs(absl::StatusCode::kFailedPrecondition,
                       HasSubstr("AWAITING_AGENT")));

  const std::string bucket = state_.path() + "/customer-bucket";
  ASSERT_OK_AND_ASSIGN(auto agent,
                       agent::Agent::Start(AgentOptionsFor(
                           server_->address(), env.agent_token(), bucket)));
  ASSERT_TRUE(agent->WaitConnected(absl::Seconds(20))) << agent->last_error();
  EXPECT_EQ(agent->environment(), env_name_);
  ASSERT_OK_AND_ASSIGN(env, GetEnv(env_name_));
  EXPECT_EQ(env.state(), v1::Environment::CONNECTED);
  EXPECT_THAT(env.state_message(), HasSubstr("test-host"));
  EXPECT_TRUE(env.has_last_heartbeat_time());
  // The credential the token was exchanged for: a 0600 file.
  const std::string cred = bucket + "/.cove-agent/credential.json";
  ASSERT_TRUE(std::filesystem::exists(cred));
  EXPECT_EQ(
      std::filesystem::status(cred).permissions() & std::filesystem::perms::all,
      std::filesystem::perms::owner_read | std::filesystem::perms::owner_write);

  // Create: the agent starts the data plane; its data lives in the bucket.
  v1::Operation op = Run(StartCluster(project_, env_name_, "search1"));
  ASSERT_EQ(op.error_code(), 0) << op.error_message();
  ASSERT_EQ(op.cluster().state(), v1::Cluster::RUNNING);
  const std::string password = op.cluster().admin_password();
  ASSERT_FALSE(password.empty());
  const std::string endpoint = op.cluster().endpoint();
  ASSERT_EQ(agent->clusters().size(), 1u);
  EXPECT_EQ(agent->clusters()[0].endpoint, endpoint);
  EXPECT_TRUE(std::filesystem::exists(bucket + "/clusters/search1"));
  ASSERT_OK_AND_ASSIGN(Client data, DataClient(endpoint, password));
  ASSERT_OK(data.CreateCollection("docs", 2));
  ASSERT_OK(data.Insert("docs", Rows(0, 10)).status());
  // Capacity (1 CU x 10 vectors) is enforced by the agent's data plane.
  EXPECT_THAT(data.Insert("docs", Rows(10, 1)),
              StatusIs(absl::StatusCode::kResourceExhausted));
  // Usage reaches the control plane through heartbeats.
  v1::Cluster c;
  ASSERT_TRUE(Eventually<v1::Cluster>(
      [&] { return GetCluster(cluster); },
      [](const v1::Cluster& x) { return x.used_vectors() == 10; }, &c))
      << c.used_vectors();

  // ---- the agent is lost (its stream is cut; its data planes keep serving)
  agent->Disconnect();
  ASSERT_TRUE(EnvEventually(
      [](const v1::Environment& e) {
        return absl::StrContains(e.state_message(), "stream lost");
      },
      &env))
      << env.state_message();
  EXPECT_EQ(env.state(), v1::Environment::CONNECTED);  // not yet timed out
  Advance(absl::Seconds(31));
  ASSERT_TRUE(EnvEventually(
      [](const v1::Environment& e) {
        return e.state() == v1::Environment::DISCONNECTED;
      },
      &env));
  EXPECT_THAT(env.state_message(), HasSubstr("agent lost"));
  // The cluster keeps serving data; the control plane still shows it RUNNING.
  EXPECT_EQ(Count(data), 10);
  ASSERT_OK_AND_ASSIGN(c, GetCluster(cluster));
  EXPECT_EQ(c.state(), v1::Cluster::RUNNING);
  EXPECT_EQ(c.endpoint(), endpoint);
  // New clusters need a connected agent.
  EXPECT_THAT(StartCluster(project_, env_name_, "search2"),
              StatusIs(absl::StatusCode::kFailedPrecondition,
                       HasSubstr("DISCONNECTED")));

  // A pending operation waits for the agent ...
  v1::ScaleClusterRequest scale;
  scale.set_name(cluster);
  scale.set_cu_size(2);
  ASSERT_OK_AND_ASSIGN(
      op, Call(&v1::ControlPlane::Stub::ScaleCluster, scale, kAdminKey));
  Advance(absl::Seconds(60));
  ASSERT_OK_AND_ASSIGN(op, Wait(op.name(), kAdminKey, 300));
  EXPECT_FALSE(op.done());
  ASSERT_OK_AND_ASSIGN(c, GetCluster(cluster));
  EXPECT_EQ(c.state(), v1::Cluster::MODIFYING);
  // ... and finishes when the agent is back (reconnecting with its
  // credential: the token was spent).
  agent->Reconnect();
  ASSERT_TRUE(agent->WaitRegistrations(2, absl::Seconds(20)))
      << agent->last_error();
  ASSERT_OK_AND_ASSIGN(op, Wait(op.name()));
  ASSERT_TRUE(op.done());
  EXPECT_EQ(op.error_code(), 0) << op.error_message();
  EXPECT_EQ(op.cluster().capacity_vectors(), 20);
  EXPECT_EQ(op.cluster().state(), v1::Cluster::RUNNING);
  ASSERT_OK_AND_ASSIGN(env, GetEnv(env_name_));
  EXPECT_EQ(env.state(), v1::Environment::CONNECTED);
  ASSERT_OK(data.Insert("docs", Rows(10, 5)).status());

  // Lost again: an operation that waits past its deadline fails with
  // UNAVAILABLE and the cluster returns to its state (and keeps serving).
  agent->Disconnect();
  ASSERT_TRUE(EnvEventually(
      [](const v1::Environment& e) {
        return absl::StrContains(e.state_message(), "stream lost");
      },
      &env));
  ASSERT_OK_AND_ASSIGN(
      op, ClusterAction(&v1::ControlPlane::Stub::SuspendCluster, cluster));
  Advance(absl::Seconds(31));
  // DISCONNECTED shows that the scheduler has run since the clock moved, so
  // the suspend has started waiting for the agent.
  ASSERT_TRUE(EnvEventually(
      [](const v1::Environment& e) {
        return e.state() == v1::Environment::DISCONNECTED;
      },
      &env));
  Advance(absl::Minutes(5));
  ASSERT_OK_AND_ASSIGN(op, Wait(op.name()));
  ASSERT_TRUE(op.done());
  EXPECT_EQ(op.error_code(), static_cast<int>(absl::StatusCode::kUnavailable));
  EXPECT_THAT(op.error_message(), HasSubstr("no connected agent"));
  EXPECT_EQ(op.cluster().state(), v1::Cluster::RUNNING);
  EXPECT_EQ(Count(data), 15);

  // Back: suspend, resume and delete through the agent.
  agent->Reconnect();
  ASSERT_TRUE(agent->WaitRegistrations(3, absl::Seconds(20)));
  op = Run(ClusterAction(&v1::ControlPlane::Stub::SuspendCluster, cluster));
  ASSERT_EQ(op.error_code(), 0) << op.error_message();
  EXPECT_EQ(op.cluster().state(), v1::Cluster::SUSPENDED);
  EXPECT_THAT(op.cluster().endpoint(), Not(IsEmpty()));  // kept
  EXPECT_FALSE(agent->clusters()[0].running);
  op = Run(ClusterAction(&v1::ControlPlane::Stub::ResumeCluster, cluster));
  ASSERT_EQ(op.error_code(), 0) << op.error_message();
  ASSERT_OK_AND_ASSIGN(Client again,
                       DataClient(op.cluster().endpoint(), password));
  EXPECT_EQ(Count(again), 15);
  op = Run(ClusterAction(&v1::ControlPlane::Stub::DeleteCluster, cluster));
  ASSERT_EQ(op.error_code(), 0) << op.error_message();
  EXPECT_EQ(op.cluster().state(), v1::Cluster::DELETED);
  op = Run(ClusterAction(&v1::ControlPlane::Stub::PurgeCluster, cluster));
  ASSERT_EQ(op.error_code(), 0) << op.error_message();
  EXPECT_THAT(GetCluster(cluster), StatusIs(absl::StatusCode::kNotFound));
  EXPECT_FALSE(std::filesystem::exists(bucket + "/clusters/search1"));
  EXPECT_TRUE(agent->clusters().empty());
}

TEST_F(AgentLossTest, AgentRestartBringsClustersBackAndReconciles) {
  v1::Environment env = MakeAgentEnvironment();
  const std::string bucket = state_.path() + "/customer-bucket";
  auto options = AgentOptionsFor(server_->address(), env.agent_token(), bucket);
  ASSERT_OK_AND_ASSIGN(auto agent, agent::Agent::Start(options));
  ASSERT_TRUE(agent->WaitConnected(absl::Seconds(20))) << agent->last_error();
  v1::Operation op = Run(StartCluster(project_, env_name_, "alpha"));
  ASSERT_EQ(op.error_code(), 0) << op.error_message();
  const std::string password = op.cluster().admin_password();
  {
    ASSERT_OK_AND_ASSIGN(Client data,
                         DataClient(op.cluster().endpoint(), password));
    ASSERT_OK(data.CreateCollection("docs", 2));
    ASSERT_OK(data.Insert("docs", Rows(0, 3)).status());
  }
  op = Run(StartCluster(project_, env_name_, "beta"));
  ASSERT_EQ(op.error_code(), 0) << op.error_message();

  // The agent process ends (its data planes with it) while the control
  // plane suspends "b" and purges nothing; it comes back with its
  // credential (the token is not needed any more).
  agent.reset();
  ASSERT_OK_AND_ASSIGN(op,
                       ClusterAction(&v1::ControlPlane::Stub::SuspendCluster,
                                     project_ + "/clusters/beta"));
  Advance(absl::Seconds(1));
  options.token.clear();
  ASSERT_OK_AND_ASSIGN(agent, agent::Agent::Start(options));
  ASSERT_TRUE(agent->WaitConnected(absl::Seconds(20))) << agent->last_error();
  // The missed suspend is resent; "a" runs again where the agent restarted
  // it, and the control plane learns its endpoint.
  ASSERT_OK_AND_ASSIGN(op, Wait(op.name()));
  ASSERT_TRUE(op.done());
  EXPECT_EQ(op.error_code(), 0) << op.error_message();
  EXPECT_EQ(op.cluster().state(), v1::Cluster::SUSPENDED);
  v1::Cluster a;
  ASSERT_OK_AND_ASSIGN(a, GetCluster(project_ + "/clusters/alpha"));
  EXPECT_EQ(a.state(), v1::Cluster::RUNNING);
  std::string endpoint;
  for (const auto& c : agent->clusters()) {
    if (c.name == a.name()) endpoint = c.endpoint;
  }
  ASSERT_FALSE(endpoint.empty());
  ASSERT_TRUE(Eventually<v1::Cluster>(
      [&] { return GetCluster(project_ + "/clusters/alpha"); },
      [&](const v1::Cluster& x) { return x.endpoint() == endpoint; }, &a));
  ASSERT_OK_AND_ASSIGN(Client data, DataClient(endpoint, password));
  EXPECT_EQ(Count(data), 3);
}

// Issue 13, item 11, agent mode: a create waiting for its agent used to
// fail after a control-plane restart (its password was memory-only); the
// password is now sealed in the state, so the create is carried out when
// the agent is back and the creator gets the password.
TEST_F(AgentLossTest, CreateWaitingForTheAgentSurvivesAControlPlaneRestart) {
  v1::Environment env = MakeAgentEnvironment();
  const std::string bucket = state_.path() + "/customer-bucket";
  auto options = AgentOptionsFor(server_->address(), env.agent_token(), bucket);
  ASSERT_OK_AND_ASSIGN(auto agent, agent::Agent::Start(options));
  ASSERT_TRUE(agent->WaitConnected(absl::Seconds(20))) << agent->last_error();
  agent.reset();
  ASSERT_OK_AND_ASSIGN(v1::Operation op,
                       StartCluster(project_, env_name_, "alpha"));
  const std::string password = op.cluster().admin_password();
  ASSERT_FALSE(password.empty());
  Advance(absl::Seconds(1));
  ASSERT_OK_AND_ASSIGN(op, Wait(op.name(), kAdminKey, 200));
  EXPECT_FALSE(op.done());
  Restart(options_);
  options.control_plane = server_->address();
  options.token.clear();
  ASSERT_OK_AND_ASSIGN(agent, agent::Agent::Start(options));
  ASSERT_TRUE(agent->WaitConnected(absl::Seconds(20))) << agent->last_error();
  Advance(absl::Seconds(1));
  ASSERT_OK_AND_ASSIGN(op, Wait(op.name()));
  ASSERT_TRUE(op.done());
  ASSERT_EQ(op.error_code(), 0) << op.error_message();
  EXPECT_EQ(op.cluster().state(), v1::Cluster::RUNNING);
  EXPECT_EQ(op.cluster().admin_password(), password);
  ASSERT_OK_AND_ASSIGN(Client data,
                       DataClient(op.cluster().endpoint(), password));
  EXPECT_OK(data.ListCollections().status());
}

// Issue 13, item 15 and the agent-mode metrics endpoint: an agent-mode
// cluster has a Prometheus endpoint like cove-cloud's clusters, and keeps
// its endpoint and metrics endpoint through suspend/resume, scaling, an
// agent restart and a control-plane restart (the agent holds the ports).
TEST_F(AgentLossTest, AgentModeEndpointsAndMetricsEndpointStay) {
  v1::Environment env = MakeAgentEnvironment();
  const std::string bucket = state_.path() + "/customer-bucket";
  auto options = AgentOptionsFor(server_->address(), env.agent_token(), bucket);
  ASSERT_OK_AND_ASSIGN(auto agent, agent::Agent::Start(options));
  ASSERT_TRUE(agent->WaitConnected(absl::Seconds(20))) << agent->last_error();
  v1::Operation op = Run(StartCluster(project_, env_name_, "alpha"));
  ASSERT_EQ(op.error_code(), 0) << op.error_message();
  const std::string cluster = op.cluster().name();
  const std::string password = op.cluster().admin_password();
  const std::string endpoint = op.cluster().endpoint();
  const std::string metrics = op.cluster().metrics_endpoint();
  ASSERT_THAT(endpoint, StartsWith("http://127.0.0.1:"));
  ASSERT_THAT(metrics, StartsWith("http://127.0.0.1:"));
  {
    ASSERT_OK_AND_ASSIGN(Client data, DataClient(endpoint, password));
    ASSERT_OK(data.CreateCollection("docs", 2));
    ASSERT_OK(data.Insert("docs", Rows(0, 3)).status());
  }
  // The storage quota travels to the agent's data plane (item 18).
  EXPECT_EQ(op.cluster().capacity_bytes(), options_.bytes_per_cu);
  for (const agent::AgentCluster& held : agent->clusters())
    EXPECT_EQ(held.capacity_bytes, options_.bytes_per_cu);
  ASSERT_OK_AND_ASSIGN(std::string text, server::HttpGet(metrics));
  EXPECT_THAT(text, HasSubstr("cove_dataplane_requests_total"));
  EXPECT_THAT(text, HasSubstr("cove_dataplane_vectors 3"));
  v1::GetClusterMetricsRequest mreq;
  mreq.set_name(cluster);
  ASSERT_OK_AND_ASSIGN(
      v1::ClusterMetrics m,
      Call(&v1::ControlPlane::Stub::GetClusterMetrics, mreq, kAdminKey));
  EXPECT_EQ(m.metrics_endpoint(), metrics);

  const auto same = [&](const v1::Cluster& c, const char* when) {
    EXPECT_EQ(c.endpoint(), endpoint) << when;
    EXPECT_EQ(c.metrics_endpoint(), metrics) << when;
  };
  const auto serving = [&](const char* when) {
    ASSERT_OK_AND_ASSIGN(Client data, DataClient(endpoint, password));
    EXPECT_EQ(Count(data), 3) << when;
    EXPECT_THAT(server::HttpGet(metrics), IsOk()) << when;
  };
  op = Run(ClusterAction(&v1::ControlPlane::Stub::SuspendCluster, cluster));
  ASSERT_EQ(op.error_code(), 0) << op.error_message();
  same(op.cluster(), "suspended");
  op = Run(ClusterAction(&v1::ControlPlane::Stub::ResumeCluster, cluster));
  ASSERT_EQ(op.error_code(), 0) << op.error_message();
  same(op.cluster(), "resumed");
  serving("resumed");
  v1::ScaleClusterRequest scale;
  scale.set_name(cluster);
  scale.set_cu_size(2);
  op = Run(Call(&v1::ControlPlane::Stub::ScaleCluster, scale, kAdminKey));
  ASSERT_EQ(op.error_code(), 0) << op.error_message();
  same(op.cluster(), "scaled");
  // The agent restarts: its data plane comes back on the held ports.
  agent.reset();
  options.token.clear();
  ASSERT_OK_AND_ASSIGN(agent, agent::Agent::Start(options));
  ASSERT_TRUE(agent->WaitConnected(absl::Seconds(20))) << agent->last_error();
  for (const agent::AgentCluster& held : agent->clusters()) {
    EXPECT_EQ(held.endpoint, endpoint);
    EXPECT_EQ(held.metrics_endpoint, metrics);
  }
  serving("agent restarted");
  // The control plane restarts.
  Restart(options_);
  agent.reset();
  options.control_plane = server_->address();
  ASSERT_OK_AND_ASSIGN(agent, agent::Agent::Start(options));
  ASSERT_TRUE(agent->WaitConnected(absl::Seconds(20))) << agent->last_error();
  ASSERT_OK_AND_ASSIGN(v1::Cluster c, GetCluster(cluster));
  same(c, "control plane restarted");
  serving("control plane restarted");
}

TEST_F(AgentLossTest, TokenIsOneTimeAndCredentialsAreChecked) {
  v1::Environment env = MakeAgentEnvironment();
  ASSERT_OK_AND_ASSIGN(auto first, agent::Agent::Start(AgentOptionsFor(
                                       server_->address(), env.agent_token(),
                                       state_.path() + "/bucket1")));
  ASSERT_TRUE(first->WaitConnected(absl::Seconds(20)));
  // A second use of the token is refused for good.
  ASSERT_OK_AND_ASSIGN(auto second, agent::Agent::Start(AgentOptionsFor(
                                        server_->address(), env.agent_token(),
                                        state_.path() + "/bucket2")));
  EXPECT_FALSE(second->WaitConnected(absl::Seconds(20)));
  EXPECT_TRUE(second->refused());
  EXPECT_THAT(second->last_error(),
              StatusIs(absl::StatusCode::kUnauthenticated,
                       HasSubstr("not valid for any environment")));
  EXPECT_TRUE(first->connected());
  // A mistyped token, and the denial is audited.
  ASSERT_OK_AND_ASSIGN(auto third, agent::Agent::Start(AgentOptionsFor(
                                       server_->address(), "cove-agent_wrong",
                                       state_.path() + "/bucket3")));
  EXPECT_FALSE(third->WaitConnected(absl::Seconds(20)));
  EXPECT_TRUE(third->refused());
  // An expired token (after a rotation) is refused with the expiry.
  v1::RotateAgentTokenRequest rotate;
  rotate.set_name(env_name_);
  ASSERT_OK_AND_ASSIGN(
      env, Call(&v1::ControlPlane::Stub::RotateAgentToken, rotate, kAdminKey));
  Advance(absl::Hours(25));
  auto o = AgentOptionsFor(server_->address(), env.agent_token(),
                           state_.path() + "/bucket4");
  o.environment = env_name_;
  ASSERT_OK_AND_ASSIGN(auto fourth, agent::Agent::Start(o));
  EXPECT_FALSE(fourth->WaitConnected(absl::Seconds(20)));
  EXPECT_THAT(fourth->last_error(), StatusIs(absl::StatusCode::kUnauthenticated,
                                             HasSubstr("expired")));
  // Registrations and refusals naming the environment are audited.
  int connected = 0, denied = 0;
  for (const auto& e : Audit("organizations/acme")) {
    if (e.action() != "environments.agentConnect") continue;
    connected += e.outcome() == v1::AuditEvent::SUCCEEDED;
    denied += e.outcome() == v1::AuditEvent::DENIED;
  }
  EXPECT_EQ(connected, 1);
  EXPECT_EQ(denied, 1);
  // Deleting the environment ends its agent's stream for good (its
  // credential is gone with it).
  v1::DeleteRequest del;
  del.set_name(env_name_);
  ASSERT_OK(Call(&v1::ControlPlane::Stub::DeleteEnvironment, del, kAdminKey)
                .status());
  for (int i = 0; i < 400 && !first->refused(); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  EXPECT_TRUE(first->refused());
  EXPECT_FALSE(first->connected());
  EXPECT_THAT(first->last_error(), StatusIs(absl::StatusCode::kNotFound));
  // Agent options are checked.
  agent::AgentOptions bad;
  bad.control_plane = server_->address();
  EXPECT_THAT(
      agent::Agent::Start(bad),
      StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("bucket")));
  bad.bucket = state_.path() + "/bucket5";
  EXPECT_THAT(agent::Agent::Start(bad),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("token")));
}

// Backups of agent-mode clusters are written by cove-agent under its own
// bucket (the control plane never reads the data plane nor the bucket) and
// recorded from the agent's report; one requested while the agent is away
// waits for it, or fails after the agent operation timeout.
TEST_F(AgentLossTest, AgentWritesBackupsAndTheControlPlaneRecordsThem) {
  v1::Environment env = MakeAgentEnvironment();
  const std::string bucket = state_.path() + "/customer-bucket";
  auto options = AgentOptionsFor(server_->address(), env.agent_token(), bucket);
  ASSERT_OK_AND_ASSIGN(auto agent, agent::Agent::Start(options));
  ASSERT_TRUE(agent->WaitConnected(absl::Seconds(20))) << agent->last_error();
  v1::Operation op = Run(StartCluster(project_, env_name_, "alpha"));
  ASSERT_EQ(op.error_code(), 0) << op.error_message();
  const std::string cluster = op.cluster().name();
  {
    ASSERT_OK_AND_ASSIGN(
        Client data,
        DataClient(op.cluster().endpoint(), op.cluster().admin_password()));
    ASSERT_OK(data.CreateCollection("docs", 2));
    ASSERT_OK(data.Insert("docs", Rows(0, 7)).status());
  }
  auto create_backup = [&](const std::string& id) {
    v1::CreateBackupRequest req;
    req.set_parent(cluster);
    req.set_backup_id(id);
    return Call(&v1::ControlPlane::Stub::CreateBackup, req, kAdminKey);
  };

  op = Run(create_backup("first"));
  ASSERT_EQ(op.error_code(), 0) << op.error_message();
  EXPECT_EQ(op.verb(), "CreateBackup");
  EXPECT_EQ(op.backup().state(), v1::Backup::READY);
  EXPECT_EQ(op.backup().row_count(), 7);
  EXPECT_GT(op.backup().size_bytes(), 0);
  EXPECT_EQ(op.backup().collections_size(), 1);
  EXPECT_EQ(op.backup().location(), "backups/alpha/first");
  // The files are the agent's, in backup_format, and verify.
  const std::string dir = bucket + "/" + op.backup().location();
  ASSERT_TRUE(std::filesystem::exists(dir + "/manifest.json"));
  EXPECT_OK(hosting::VerifyBackup(dir));
  // Always encrypted: without a customer key, with the cluster's backup
  // data key, which the agent created in its own key store (0600).
  EXPECT_TRUE(op.backup().encrypted());
  EXPECT_EQ(op.backup().encryption_key(), "keys/backup-alpha");
  const std::string key_file = bucket + "/.kms/backup-alpha.key";
  struct stat st;
  ASSERT_EQ(::stat(key_file.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  ASSERT_OK_AND_ASSIGN(internal::Cipher cipher,
                       internal::Cipher::FromKeyFile(key_file));
  int64_t lines = 0;
  for (const auto& e : std::filesystem::directory_iterator(dir)) {
    const std::string file = e.path().filename().string();
    if (!absl::StartsWith(file, "data-")) continue;
    EXPECT_TRUE(absl::EndsWith(file, ".enc")) << file;
    std::ifstream in(e.path(), std::ios::binary);
    std::stringstream sealed;
    sealed << in.rdbuf();
    ASSERT_OK_AND_ASSIGN(std::string plain, cipher.Open(sealed.str(), file));
    for (absl::string_view line : absl::StrSplit(plain, '\n'))
      lines += !line.empty();
  }
  EXPECT_EQ(lines, 7);
  v1::GetRequest get;
  get.set_name(cluster + "/backups/first");
  ASSERT_OK_AND_ASSIGN(
      v1::Backup b, Call(&v1::ControlPlane::Stub::GetBackup, get, kAdminKey));
  EXPECT_EQ(b.state(), v1::Backup::READY);
  EXPECT_EQ(b.row_count(), 7);

  // The agent is away: the backup waits and is carried out when it is back.
  agent.reset();
  ASSERT_OK_AND_ASSIGN(op, create_backup("second"));
  Advance(absl::Seconds(1));
  ASSERT_OK_AND_ASSIGN(op, Wait(op.name(), kAdminKey, 200));
  EXPECT_FALSE(op.done());
  options.token.clear();
  ASSERT_OK_AND_ASSIGN(agent, agent::Agent::Start(options));
  ASSERT_TRUE(agent->WaitConnected(absl::Seconds(20))) << agent->last_error();
  ASSERT_OK_AND_ASSIGN(op, Wait(op.name()));
  ASSERT_TRUE(op.done());
  ASSERT_EQ(op.error_code(), 0) << op.error_message();
  EXPECT_EQ(op.backup().state(), v1::Backup::READY);
  EXPECT_EQ(op.backup().row_count(), 7);
  EXPECT_OK(hosting::VerifyBackup(bucket + "/backups/alpha/second"));

  // Away past the agent operation timeout: the backup fails, saying why.
  agent.reset();
  ASSERT_OK_AND_ASSIGN(op, create_backup("third"));
  Advance(absl::Minutes(6));
  ASSERT_OK_AND_ASSIGN(op, Wait(op.name()));
  ASSERT_TRUE(op.done());
  EXPECT_EQ(op.error_code(), static_cast<int>(absl::StatusCode::kUnavailable));
  EXPECT_THAT(op.error_message(), HasSubstr("no connected agent"));
  EXPECT_EQ(op.backup().state(), v1::Backup::FAILED);
  EXPECT_FALSE(std::filesystem::exists(bucket + "/backups/alpha/third"));
}

}  // namespace
}  // namespace cove::cloud::testing
