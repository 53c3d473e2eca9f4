// Issue 19, auto-idle: a cluster with an idle_timeout and no data-plane
// request for that long (manual emulator clock) becomes IDLE (data plane
// stopped, an audit event), its endpoint stays; the first request gets a
// retryable UNAVAILABLE naming the cluster and wakes it; then requests
// succeed and every acknowledged write is there. The wake-up latency is
// measured and reported (not asserted).
#include <chrono>
#include <iostream>
#include <string>
#include <thread>
#include <vector>

#include "cloud/cloud_fixture.h"
#include "common/status_macros.h"
#include "gmock/gmock.h"

namespace cove::cloud::testing {
namespace {

using ::cove::testing::IsOk;
using ::cove::testing::StatusIs;
using ::testing::HasSubstr;

class IdleTest : public CloudFixture {
 protected:
  void SetUp() override {
    CloudFixture::SetUp();
    ASSERT_OK_AND_ASSIGN(v1::Organization org, MakeOrg("acme"));
    ASSERT_THAT(MakeProject("acme", "web"), IsOk());
    ASSERT_THAT(MakeEnv(project_, "env1", org.external_id()), IsOk());
    v1::SetClockRequest clock;
    clock.mutable_time()->set_seconds(1'800'000'000);
    ASSERT_THAT(Emu(&v1::Emulator::Stub::SetClock, clock), IsOk());
  }

  void Advance(absl::Duration by) {
    v1::AdvanceClockRequest req;
    req.mutable_by()->set_seconds(absl::ToInt64Seconds(by));
    ASSERT_THAT(Emu(&v1::Emulator::Stub::AdvanceClock, req), IsOk());
  }

  // A RUNNING cluster with `idle_seconds` (0: none).
  v1::Cluster CreateRunning(const std::string& id, int64_t idle_seconds) {
    v1::CreateClusterRequest req;
    req.set_parent(project_);
    req.set_cluster_id(id);
    req.mutable_cluster()->set_environment(env_);
    req.mutable_cluster()->mutable_idle_timeout()->set_seconds(idle_seconds);
    req.mutable_cluster()->set_cu_size(4);  // 40 vectors (test settings)
    auto op = Call(&v1::ControlPlane::Stub::CreateCluster, req, kAdminKey);
    EXPECT_THAT(op, IsOk());
    if (!op.ok()) return {};
    Advance(absl::Seconds(1));
    auto done = Wait(op->name());
    EXPECT_THAT(done, IsOk());
    if (!done.ok()) return {};
    EXPECT_EQ(done->cluster().state(), v1::Cluster::RUNNING)
        << done->error_message();
    return done->cluster();
  }

  absl::StatusOr<v1::Cluster> SetIdleTimeout(const std::string& name,
                                             int64_t seconds) {
    v1::UpdateClusterRequest req;
    req.mutable_cluster()->set_name(name);
    req.mutable_cluster()->mutable_idle_timeout()->set_seconds(seconds);
    req.mutable_update_mask()->add_paths("idle_timeout");
    return Call(&v1::ControlPlane::Stub::UpdateCluster, req, kAdminKey);
  }

  // Rows of "docs" seen by a fresh client (its first call fails while the
  // cluster is idle or waking).
  static absl::StatusOr<int64_t> CountRows(const v1::Cluster& c,
                                           const std::string& password) {
    COVE_ASSIGN_OR_RETURN(Client data, DataClient(c.endpoint(), password));
    QueryRequest q;
    q.collection_name = "docs";
    q.filter = "id >= 0";
    q.output_fields = {"id"};
    q.limit = 1000;
    COVE_ASSIGN_OR_RETURN(std::vector<Row> rows, data.Query(q));
    return static_cast<int64_t>(rows.size());
  }

  const std::string project_ = "organizations/acme/projects/web";
  const std::string env_ = project_ + "/environments/env1";
};

TEST_F(IdleTest, IdlesAfterTheTimeoutWakesOnTheFirstRequestAndLosesNoWrite) {
  v1::Cluster c = CreateRunning("lazy", 300);
  ASSERT_EQ(c.idle_timeout().seconds(), 300);
  const std::string password = c.admin_password();
  {
    ASSERT_OK_AND_ASSIGN(Client data, DataClient(c.endpoint(), password));
    ASSERT_OK(data.CreateCollection("docs", 2));
    ASSERT_OK(data.Insert("docs", Rows(0, 10)).status());
    ASSERT_OK(data.Insert("docs", Rows(10, 7)).status());  // acknowledged
  }
  // Requests keep it running: 200 s, a request, 200 s more.
  Advance(absl::Seconds(200));
  ASSERT_OK_AND_ASSIGN(int64_t n, CountRows(c, password));
  EXPECT_EQ(n, 17);
  Advance(absl::Seconds(200));
  ASSERT_OK_AND_ASSIGN(v1::Cluster got, GetCluster(c.name()));
  EXPECT_EQ(got.state(), v1::Cluster::RUNNING);
  // 300 s after the last request: IDLE, same endpoints.
  Advance(absl::Seconds(101));
  ASSERT_OK_AND_ASSIGN(got, GetCluster(c.name()));
  ASSERT_EQ(got.state(), v1::Cluster::IDLE);
  EXPECT_EQ(got.endpoint(), c.endpoint());
  EXPECT_EQ(got.metrics_endpoint(), c.metrics_endpoint());
  EXPECT_TRUE(got.has_idle_time());
  EXPECT_EQ(got.used_vectors(), 17);
  std::vector<v1::AuditEvent> idle =
      Audit("organizations/acme", "action=clusters.idle");
  ASSERT_EQ(idle.size(), 1u);
  EXPECT_EQ(idle[0].resource(), c.name());
  EXPECT_EQ(idle[0].actor(), "system");
  EXPECT_THAT(idle[0].message(), HasSubstr("compute released"));
  // The data plane is gone: its metrics endpoint no longer answers, and
  // the clock moving on does not change the state.
  Advance(absl::Seconds(3600));
  ASSERT_OK_AND_ASSIGN(got, GetCluster(c.name()));
  EXPECT_EQ(got.state(), v1::Cluster::IDLE);

  // The first request: a retryable UNAVAILABLE naming the cluster.
  const auto start = std::chrono::steady_clock::now();
  EXPECT_THAT(CountRows(c, password).status(),
              StatusIs(absl::StatusCode::kUnavailable,
                       HasSubstr("cluster '" + c.name() +
                                 "' is waking up from idle; retry")));
  // Then it serves again on the same endpoint, with every row.
  absl::StatusOr<int64_t> rows = absl::UnavailableError("not tried");
  int attempts = 0;
  while (!rows.ok() &&
         std::chrono::steady_clock::now() - start < std::chrono::seconds(30)) {
    ++attempts;
    rows = CountRows(c, password);
    if (!rows.ok()) {
      EXPECT_EQ(rows.status().code(), absl::StatusCode::kUnavailable)
          << rows.status();
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
  }
  const double wake_ms = std::chrono::duration<double, std::milli>(
                             std::chrono::steady_clock::now() - start)
                             .count();
  ASSERT_OK(rows.status());
  EXPECT_EQ(*rows, 17);
  std::cout << "[ wake-up ] first request to serving: " << wake_ms << " ms ("
            << attempts << " retries)\n";
  RecordProperty("wake_up_ms", static_cast<int>(wake_ms));
  ASSERT_OK_AND_ASSIGN(got, GetCluster(c.name()));
  EXPECT_EQ(got.state(), v1::Cluster::RUNNING);
  EXPECT_EQ(got.endpoint(), c.endpoint());
  std::vector<v1::AuditEvent> wake =
      Audit("organizations/acme", "action=clusters.wake");
  ASSERT_EQ(wake.size(), 1u);
  EXPECT_EQ(wake[0].resource(), c.name());
  // Writes after the wake land too, and it idles again later.
  {
    ASSERT_OK_AND_ASSIGN(Client data, DataClient(c.endpoint(), password));
    ASSERT_OK(data.Insert("docs", Rows(17, 3)).status());
  }
  Advance(absl::Seconds(301));
  ASSERT_OK_AND_ASSIGN(got, GetCluster(c.name()));
  EXPECT_EQ(got.state(), v1::Cluster::IDLE);
  EXPECT_EQ(got.used_vectors(), 20);
  // ResumeCluster wakes it as well.
  ASSERT_OK_AND_ASSIGN(
      v1::Operation op,
      ClusterAction(&v1::ControlPlane::Stub::ResumeCluster, c.name()));
  Advance(absl::Seconds(1));
  ASSERT_OK_AND_ASSIGN(op, Wait(op.name()));
  ASSERT_EQ(op.error_code(), 0) << op.error_message();
  ASSERT_OK_AND_ASSIGN(n, CountRows(c, password));
  EXPECT_EQ(n, 20);
}

TEST_F(IdleTest, AnIdleClusterStaysIdleAcrossAnEmulatorRestartAndWakes) {
  v1::Cluster c = CreateRunning("sleepy", 120);
  {
    ASSERT_OK_AND_ASSIGN(Client data,
                         DataClient(c.endpoint(), c.admin_password()));
    ASSERT_OK(data.CreateCollection("docs", 2));
    ASSERT_OK(data.Insert("docs", Rows(0, 5)).status());
  }
  Advance(absl::Seconds(121));
  ASSERT_OK_AND_ASSIGN(v1::Cluster got, GetCluster(c.name()));
  ASSERT_EQ(got.state(), v1::Cluster::IDLE);
  Restart(options_);
  ASSERT_OK_AND_ASSIGN(got, GetCluster(c.name()));
  EXPECT_EQ(got.state(), v1::Cluster::IDLE);
  EXPECT_EQ(got.endpoint(), c.endpoint());
  EXPECT_THAT(CountRows(c, c.admin_password()).status(),
              StatusIs(absl::StatusCode::kUnavailable,
                       HasSubstr("waking up from idle")));
  absl::StatusOr<int64_t> rows = absl::UnavailableError("not tried");
  const auto start = std::chrono::steady_clock::now();
  while (!rows.ok() &&
         std::chrono::steady_clock::now() - start < std::chrono::seconds(30)) {
    rows = CountRows(c, c.admin_password());
    if (!rows.ok()) std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  ASSERT_OK(rows.status());
  EXPECT_EQ(*rows, 5);
}

TEST_F(IdleTest, TheTimeoutIsValidatedAndSettableWithUpdateCluster) {
  v1::CreateClusterRequest req;
  req.set_parent(project_);
  req.set_cluster_id("bad");
  req.mutable_cluster()->set_environment(env_);
  req.mutable_cluster()->mutable_idle_timeout()->set_seconds(30);
  EXPECT_THAT(Call(&v1::ControlPlane::Stub::CreateCluster, req, kAdminKey),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("cluster.idle_timeout")));
  v1::Cluster c = CreateRunning("busy", 0);
  // No timeout: never idle.
  Advance(absl::Hours(24 * 40));
  ASSERT_OK_AND_ASSIGN(v1::Cluster got, GetCluster(c.name()));
  EXPECT_EQ(got.state(), v1::Cluster::RUNNING);
  EXPECT_THAT(
      SetIdleTimeout(c.name(), 3'000'000),
      StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("30 days")));
  // The timeout counts from the update, not from the last request.
  ASSERT_OK_AND_ASSIGN(got, SetIdleTimeout(c.name(), 60));
  EXPECT_EQ(got.idle_timeout().seconds(), 60);
  Advance(absl::Seconds(59));
  ASSERT_OK_AND_ASSIGN(got, GetCluster(c.name()));
  EXPECT_EQ(got.state(), v1::Cluster::RUNNING);
  Advance(absl::Seconds(1));
  ASSERT_OK_AND_ASSIGN(got, GetCluster(c.name()));
  EXPECT_EQ(got.state(), v1::Cluster::IDLE);
  // Scaling needs it running; suspending and deleting an idle one work.
  v1::ScaleClusterRequest scale;
  scale.set_name(c.name());
  scale.set_cu_size(2);
  scale.set_replicas(1);
  EXPECT_THAT(
      Call(&v1::ControlPlane::Stub::ScaleCluster, scale, kAdminKey),
      StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("is IDLE")));
  ASSERT_OK_AND_ASSIGN(
      v1::Operation op,
      ClusterAction(&v1::ControlPlane::Stub::SuspendCluster, c.name()));
  Advance(absl::Seconds(1));
  ASSERT_OK_AND_ASSIGN(op, Wait(op.name()));
  ASSERT_EQ(op.error_code(), 0) << op.error_message();
  ASSERT_OK_AND_ASSIGN(got, GetCluster(c.name()));
  EXPECT_EQ(got.state(), v1::Cluster::SUSPENDED);
  // Suspended: connections are refused (no idle endpoint wakes it).
  EXPECT_THAT(CountRows(c, c.admin_password()).status(),
              StatusIs(absl::StatusCode::kUnavailable));
  ASSERT_OK_AND_ASSIGN(got, GetCluster(c.name()));
  EXPECT_EQ(got.state(), v1::Cluster::SUSPENDED);
}

}  // namespace
}  // namespace cove::cloud::testing
