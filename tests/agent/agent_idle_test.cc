// Issue 19, auto-idle in agent mode: the agent counts its data plane's
// calls and reports the count in its heartbeats; the control plane times
// the idleness on the emulator's manual clock and sends the idle command;
// the agent stops the data plane and answers the cluster's endpoints
// (public and private) with an idle endpoint, whose first call wakes the
// cluster at once on the agent (also while the control plane is away);
// the control plane follows (IDLE, RUNNING) and audits both. Real data
// planes and real connections. Cross-account mode: tests/cloud/idle_test.cc.
#include <chrono>
#include <iostream>
#include <string>
#include <thread>
#include <vector>

#include "agent/agent_fixture.h"
#include "common/status_macros.h"
#include "gmock/gmock.h"

namespace cove::cloud::testing {
namespace {

using ::cove::testing::StatusIs;
using ::testing::HasSubstr;

class AgentIdleTest : public ManualClockAgentFixture {
 protected:
  void SetUp() override {
    ManualClockAgentFixture::SetUp();
    v1::SetClockRequest clock;
    clock.mutable_time()->set_seconds(1'800'000'000);
    ASSERT_TRUE(Emu(&v1::Emulator::Stub::SetClock, clock).ok());
  }

  void StartAgent(const std::string& private_address = "") {
    if (options_.bucket.empty()) {
      v1::Environment env = MakeAgentEnvironment();
      options_ = AgentOptionsFor(server_->address(), env.agent_token(),
                                 state_.path() + "/customer-bucket");
      options_.private_address = private_address;
    }
    auto agent = agent::Agent::Start(options_);
    ASSERT_TRUE(agent.ok()) << agent.status();
    agent_ = *std::move(agent);
    ASSERT_TRUE(agent_->WaitConnected(absl::Seconds(20)))
        << agent_->last_error();
  }

  // A RUNNING agent-mode cluster with `idle_seconds` (0: none).
  v1::Cluster CreateRunning(const std::string& id, int64_t idle_seconds,
                            bool private_endpoint = false) {
    v1::CreateClusterRequest req;
    req.set_parent(project_);
    req.set_cluster_id(id);
    req.mutable_cluster()->set_environment(env_name_);
    req.mutable_cluster()->mutable_idle_timeout()->set_seconds(idle_seconds);
    req.mutable_cluster()->set_private_endpoint_enabled(private_endpoint);
    req.mutable_cluster()->set_cu_size(4);
    v1::Operation op =
        Run(Call(&v1::ControlPlane::Stub::CreateCluster, req, kAdminKey));
    EXPECT_EQ(op.error_code(), 0) << op.error_message();
    EXPECT_EQ(op.cluster().state(), v1::Cluster::RUNNING);
    return op.cluster();
  }

  absl::StatusOr<v1::Cluster> SetIdleTimeout(const std::string& name,
                                             int64_t seconds) {
    v1::UpdateClusterRequest req;
    req.mutable_cluster()->set_name(name);
    req.mutable_cluster()->mutable_idle_timeout()->set_seconds(seconds);
    req.mutable_update_mask()->add_paths("idle_timeout");
    return Call(&v1::ControlPlane::Stub::UpdateCluster, req, kAdminKey);
  }

  // Inserts rows [first, first + n) into "docs" (created if needed) and
  // waits until the control plane has the agent's report of them (so that
  // the calls are seen as activity at the clock's current time).
  void Write(const v1::Cluster& c, int first, int n) {
    ASSERT_OK_AND_ASSIGN(Client data,
                         DataClient(c.endpoint(), c.admin_password()));
    if (first == 0) ASSERT_OK(data.CreateCollection("docs", 2));
    ASSERT_OK(data.Insert("docs", Rows(first, n)).status());
    WaitUsed(c.name(), first + n);
  }

  void WaitUsed(const std::string& name, int64_t used) {
    v1::Cluster got;
    ASSERT_TRUE(Eventually<v1::Cluster>(
        [&] { return GetCluster(name); },
        [&](const v1::Cluster& c) { return c.used_vectors() == used; }, &got))
        << got.used_vectors();
  }

  v1::Cluster WaitState(const std::string& name, v1::Cluster::State state) {
    v1::Cluster got;
    EXPECT_TRUE(Eventually<v1::Cluster>(
        [&] { return GetCluster(name); },
        [&](const v1::Cluster& c) { return c.state() == state; }, &got))
        << v1::Cluster::State_Name(got.state());
    return got;
  }

  // Every command sent to the agent so far has been carried out: an IP
  // access list change goes over the same stream, after them.
  void Barrier(const std::string& name) {
    static int n = 0;
    const std::string cidr = absl::StrCat("127.0.0.0/", 8 + (++n % 2));
    v1::UpdateClusterRequest req;
    req.mutable_cluster()->set_name(name);
    req.mutable_cluster()->add_ip_access_list(cidr);
    req.mutable_update_mask()->add_paths("ip_access_list");
    ASSERT_TRUE(
        Call(&v1::ControlPlane::Stub::UpdateCluster, req, kAdminKey).ok());
    std::vector<agent::AgentCluster> held;
    ASSERT_TRUE((Eventually<std::vector<agent::AgentCluster>>(
        [&] { return agent_->clusters(); },
        [&](const std::vector<agent::AgentCluster>& h) {
          return h.size() == 1 && h[0].ip_access_list.size() == 1 &&
                 h[0].ip_access_list[0] == cidr;
        },
        &held)));
  }

  bool HeldIdle() {
    std::vector<agent::AgentCluster> held = agent_->clusters();
    return held.size() == 1 && held[0].idle;
  }

  // Rows of "docs" through `endpoint` (one attempt).
  static absl::StatusOr<int64_t> CountRows(const std::string& endpoint,
                                           const std::string& password) {
    COVE_ASSIGN_OR_RETURN(Client data, DataClient(endpoint, password));
    QueryRequest q;
    q.collection_name = "docs";
    q.filter = "id >= 0";
    q.output_fields = {"id"};
    q.limit = 1000;
    COVE_ASSIGN_OR_RETURN(std::vector<Row> rows, data.Query(q));
    return static_cast<int64_t>(rows.size());
  }

  // The client's retries after the first UNAVAILABLE (up to 30 s).
  static absl::StatusOr<int64_t> CountRowsRetrying(
      const std::string& endpoint, const std::string& password) {
    absl::StatusOr<int64_t> rows = absl::UnavailableError("not tried");
    const auto start = std::chrono::steady_clock::now();
    while (!rows.ok() && std::chrono::steady_clock::now() - start <
                             std::chrono::seconds(30)) {
      rows = CountRows(endpoint, password);
      if (!rows.ok()) {
        EXPECT_EQ(rows.status().code(), absl::StatusCode::kUnavailable)
            << rows.status();
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
      }
    }
    return rows;
  }

  agent::AgentOptions options_;
  std::unique_ptr<agent::Agent> agent_;
};

TEST_F(AgentIdleTest, IdlesAfterTheTimeoutWakesOnTheFirstRequestNoWriteLost) {
  StartAgent();
  v1::Cluster c = CreateRunning("lazy", 300);
  ASSERT_EQ(c.idle_timeout().seconds(), 300);
  Write(c, 0, 10);
  Write(c, 10, 7);  // acknowledged
  // Requests keep it running: 200 s, a request, 299 s more.
  Advance(absl::Seconds(200));
  Write(c, 17, 1);
  Advance(absl::Seconds(299));
  Barrier(c.name());
  ASSERT_OK_AND_ASSIGN(v1::Cluster got, GetCluster(c.name()));
  EXPECT_EQ(got.state(), v1::Cluster::RUNNING);
  EXPECT_FALSE(HeldIdle());
  // 300 s after the last request: IDLE, same endpoints.
  Advance(absl::Seconds(1));
  got = WaitState(c.name(), v1::Cluster::IDLE);
  EXPECT_EQ(got.endpoint(), c.endpoint());
  EXPECT_EQ(got.metrics_endpoint(), c.metrics_endpoint());
  EXPECT_TRUE(got.has_idle_time());
  EXPECT_EQ(got.used_vectors(), 18);
  EXPECT_TRUE(HeldIdle());
  std::vector<v1::AuditEvent> idle =
      Audit("organizations/acme", "action=clusters.idle");
  ASSERT_EQ(idle.size(), 1u);
  EXPECT_EQ(idle[0].resource(), c.name());
  EXPECT_EQ(idle[0].actor(), "system");
  EXPECT_THAT(idle[0].message(), HasSubstr("compute released by the agent"));
  // The clock moving on changes nothing.
  Advance(absl::Seconds(3600));
  Barrier(c.name());
  EXPECT_TRUE(HeldIdle());

  // The first request: a retryable UNAVAILABLE naming the cluster; the
  // agent wakes it at once and the client's retry gets every row. The
  // wake-up latency (first request to serving) is reported, not asserted.
  const auto start = std::chrono::steady_clock::now();
  EXPECT_THAT(CountRows(c.endpoint(), c.admin_password()).status(),
              StatusIs(absl::StatusCode::kUnavailable,
                       HasSubstr("cluster '" + c.name() +
                                 "' is waking up from idle; retry")));
  ASSERT_OK_AND_ASSIGN(int64_t rows,
                       CountRowsRetrying(c.endpoint(), c.admin_password()));
  const double wake_ms = std::chrono::duration<double, std::milli>(
                             std::chrono::steady_clock::now() - start)
                             .count();
  std::cout << "[ wake-up ] agent mode, first request to serving: " << wake_ms
            << " ms\n";
  RecordProperty("wake_up_ms", static_cast<int>(wake_ms));
  EXPECT_EQ(rows, 18);
  got = WaitState(c.name(), v1::Cluster::RUNNING);
  EXPECT_EQ(got.endpoint(), c.endpoint());
  std::vector<v1::AuditEvent> wake =
      Audit("organizations/acme", "action=clusters.wake");
  ASSERT_EQ(wake.size(), 1u);
  EXPECT_EQ(wake[0].resource(), c.name());
  EXPECT_EQ(wake[0].actor(), "system");
  // Writes after the wake land too, and it idles again later.
  Write(c, 18, 2);
  Advance(absl::Seconds(300));
  got = WaitState(c.name(), v1::Cluster::IDLE);
  EXPECT_EQ(got.used_vectors(), 20);
  // ResumeCluster wakes it as well, and the timeout counts from then.
  v1::Operation op =
      Run(ClusterAction(&v1::ControlPlane::Stub::ResumeCluster, c.name()));
  ASSERT_EQ(op.error_code(), 0) << op.error_message();
  EXPECT_FALSE(HeldIdle());
  Advance(absl::Seconds(299));
  Barrier(c.name());
  EXPECT_FALSE(HeldIdle());
  ASSERT_OK_AND_ASSIGN(got, GetCluster(c.name()));
  EXPECT_EQ(got.state(), v1::Cluster::RUNNING);
  ASSERT_OK_AND_ASSIGN(rows, CountRows(c.endpoint(), c.admin_password()));
  EXPECT_EQ(rows, 20);
}

TEST_F(AgentIdleTest, TheTimeoutIsSetAndClearedWithUpdateCluster) {
  StartAgent();
  v1::Cluster c = CreateRunning("busy", 0);
  Write(c, 0, 3);
  // No timeout: never idle.
  Advance(absl::Hours(24 * 40));
  Barrier(c.name());
  ASSERT_OK_AND_ASSIGN(v1::Cluster got, GetCluster(c.name()));
  EXPECT_EQ(got.state(), v1::Cluster::RUNNING);
  EXPECT_THAT(SetIdleTimeout(c.name(), 30),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("cluster.idle_timeout")));
  // The timeout counts from the update, not from the last request.
  ASSERT_OK_AND_ASSIGN(got, SetIdleTimeout(c.name(), 60));
  EXPECT_EQ(got.idle_timeout().seconds(), 60);
  Advance(absl::Seconds(59));
  Barrier(c.name());
  ASSERT_OK_AND_ASSIGN(got, GetCluster(c.name()));
  EXPECT_EQ(got.state(), v1::Cluster::RUNNING);
  Advance(absl::Seconds(1));
  WaitState(c.name(), v1::Cluster::IDLE);
  // Cleared: it stays IDLE until a request wakes it, then never idles.
  ASSERT_OK_AND_ASSIGN(got, SetIdleTimeout(c.name(), 0));
  EXPECT_EQ(got.state(), v1::Cluster::IDLE);
  ASSERT_OK_AND_ASSIGN(int64_t rows,
                       CountRowsRetrying(c.endpoint(), c.admin_password()));
  EXPECT_EQ(rows, 3);
  WaitState(c.name(), v1::Cluster::RUNNING);
  Write(c, 3, 1);  // reported before the clock moves on
  Advance(absl::Hours(24 * 40));
  Barrier(c.name());
  ASSERT_OK_AND_ASSIGN(got, GetCluster(c.name()));
  EXPECT_EQ(got.state(), v1::Cluster::RUNNING);
  // Set again: idle; suspending an IDLE cluster closes its idle endpoint.
  ASSERT_OK(SetIdleTimeout(c.name(), 60).status());
  Advance(absl::Seconds(60));
  WaitState(c.name(), v1::Cluster::IDLE);
  v1::Operation op =
      Run(ClusterAction(&v1::ControlPlane::Stub::SuspendCluster, c.name()));
  ASSERT_EQ(op.error_code(), 0) << op.error_message();
  EXPECT_EQ(op.cluster().state(), v1::Cluster::SUSPENDED);
  EXPECT_FALSE(HeldIdle());
  EXPECT_FALSE(CountRows(c.endpoint(), c.admin_password()).ok());
  op = Run(ClusterAction(&v1::ControlPlane::Stub::ResumeCluster, c.name()));
  ASSERT_EQ(op.error_code(), 0) << op.error_message();
  ASSERT_OK_AND_ASSIGN(rows, CountRows(c.endpoint(), c.admin_password()));
  EXPECT_EQ(rows, 4);
}

// The agent away: no idle command is sent while it is disconnected (the
// decision is made again when it is back); a cluster idle on the agent
// wakes on its private endpoint without the control plane, which learns
// it at the next hello; an agent restarted while its cluster is IDLE
// answers on the same endpoints and wakes it.
TEST_F(AgentIdleTest, AwayAgentsAndRestartsKeepTheEndpoints) {
  StartAgent("127.0.0.9");
  v1::Cluster c = CreateRunning("far", 120, /*private_endpoint=*/true);
  ASSERT_THAT(c.private_endpoint(), HasSubstr("127.0.0.9:"));
  Write(c, 0, 5);
  agent_->Disconnect();
  Advance(absl::Seconds(121));
  ASSERT_OK_AND_ASSIGN(v1::Cluster got, GetCluster(c.name()));
  EXPECT_EQ(got.state(), v1::Cluster::RUNNING);
  EXPECT_FALSE(HeldIdle());
  agent_->Reconnect();
  ASSERT_TRUE(agent_->WaitRegistrations(2, absl::Seconds(20)));
  // The first heartbeat after the hello, then the next tick decides.
  WaitUsed(c.name(), 5);
  Advance(absl::Seconds(1));
  got = WaitState(c.name(), v1::Cluster::IDLE);
  EXPECT_EQ(got.private_endpoint(), c.private_endpoint());
  EXPECT_TRUE(HeldIdle());

  // Woken through its private endpoint while the control plane is away.
  agent_->Disconnect();
  EXPECT_THAT(CountRows(c.private_endpoint(), c.admin_password()).status(),
              StatusIs(absl::StatusCode::kUnavailable,
                       HasSubstr("waking up from idle")));
  ASSERT_OK_AND_ASSIGN(int64_t rows, CountRowsRetrying(c.private_endpoint(),
                                                       c.admin_password()));
  EXPECT_EQ(rows, 5);
  EXPECT_FALSE(HeldIdle());
  ASSERT_OK_AND_ASSIGN(got, GetCluster(c.name()));
  EXPECT_EQ(got.state(), v1::Cluster::IDLE);  // not told yet
  agent_->Reconnect();
  WaitState(c.name(), v1::Cluster::RUNNING);
  EXPECT_EQ(Audit("organizations/acme", "action=clusters.wake").size(), 1u);

  // Idle again, then the agent restarts: still IDLE on the same
  // endpoints, and the first call wakes it.
  Write(c, 5, 1);
  Advance(absl::Seconds(120));
  WaitState(c.name(), v1::Cluster::IDLE);
  agent_.reset();
  StartAgent();
  ASSERT_TRUE(HeldIdle());
  Barrier(c.name());
  ASSERT_OK_AND_ASSIGN(got, GetCluster(c.name()));
  EXPECT_EQ(got.state(), v1::Cluster::IDLE);
  EXPECT_EQ(got.endpoint(), c.endpoint());
  EXPECT_EQ(got.private_endpoint(), c.private_endpoint());
  EXPECT_THAT(CountRows(c.endpoint(), c.admin_password()).status(),
              StatusIs(absl::StatusCode::kUnavailable,
                       HasSubstr("waking up from idle")));
  ASSERT_OK_AND_ASSIGN(rows,
                       CountRowsRetrying(c.endpoint(), c.admin_password()));
  EXPECT_EQ(rows, 6);
  WaitState(c.name(), v1::Cluster::RUNNING);
  ASSERT_OK_AND_ASSIGN(rows,
                       CountRows(c.private_endpoint(), c.admin_password()));
  EXPECT_EQ(rows, 6);
  EXPECT_EQ(Audit("organizations/acme", "action=clusters.idle").size(), 2u);
  EXPECT_EQ(Audit("organizations/acme", "action=clusters.wake").size(), 2u);
}

// Changes while IDLE reach the idle endpoint: an IP access list that
// leaves the client out refuses it without waking the cluster; the public
// endpoint turned off moves the idle endpoint to the private one only.
TEST_F(AgentIdleTest, AnIdleEndpointFollowsIpListsAndEndpointChanges) {
  StartAgent("127.0.0.10");
  v1::Cluster c = CreateRunning("moving", 60, /*private_endpoint=*/true);
  Write(c, 0, 2);
  Advance(absl::Seconds(60));
  WaitState(c.name(), v1::Cluster::IDLE);
  v1::UpdateClusterRequest req;
  req.mutable_cluster()->set_name(c.name());
  req.mutable_cluster()->add_ip_access_list("10.0.0.0/8");
  req.mutable_update_mask()->add_paths("ip_access_list");
  ASSERT_OK(Call(&v1::ControlPlane::Stub::UpdateCluster, req, kAdminKey));
  absl::Status refused;
  ASSERT_TRUE((Eventually<absl::Status>(
      [&]() -> absl::StatusOr<absl::Status> {
        return CountRows(c.endpoint(), c.admin_password()).status();
      },
      [](const absl::Status& s) {
        return s.code() == absl::StatusCode::kPermissionDenied;
      },
      &refused)))
      << refused;
  EXPECT_TRUE(HeldIdle());  // not woken
  // Everyone again, and the public endpoint off.
  req.mutable_cluster()->clear_ip_access_list();
  req.mutable_cluster()->set_public_endpoint_disabled(true);
  req.mutable_update_mask()->add_paths("public_endpoint_disabled");
  ASSERT_OK(Call(&v1::ControlPlane::Stub::UpdateCluster, req, kAdminKey));
  std::vector<agent::AgentCluster> held;
  ASSERT_TRUE((Eventually<std::vector<agent::AgentCluster>>(
      [&] { return agent_->clusters(); },
      [&](const std::vector<agent::AgentCluster>& h) {
        return h.size() == 1 && h[0].public_endpoint_disabled &&
               h[0].ip_access_list.empty();
      },
      &held)));
  EXPECT_TRUE(held[0].idle);
  absl::Status s = CountRows(c.endpoint(), c.admin_password()).status();
  EXPECT_THAT(s.message(), ::testing::Not(HasSubstr("waking up")));
  EXPECT_TRUE(HeldIdle());
  EXPECT_THAT(CountRows(c.private_endpoint(), c.admin_password()).status(),
              StatusIs(absl::StatusCode::kUnavailable,
                       HasSubstr("waking up from idle")));
  ASSERT_OK_AND_ASSIGN(int64_t rows, CountRowsRetrying(c.private_endpoint(),
                                                       c.admin_password()));
  EXPECT_EQ(rows, 2);
  v1::Cluster got = WaitState(c.name(), v1::Cluster::RUNNING);
  EXPECT_EQ(got.private_endpoint(), c.private_endpoint());
  EXPECT_EQ(got.endpoint(), "");
}

}  // namespace
}  // namespace cove::cloud::testing
