// Autoscaling and metrics of the cloud emulator, driven by the manual clock:
// the decision rule and cron schedules as pure functions, then a real
// cluster that fills up, scales up, empties and scales down after the
// cool-down; a schedule in a non-UTC zone; GetClusterMetrics and the
// Prometheus endpoints of a data plane and of the control plane.
#include <cmath>

#include "cloud/autoscaler.h"
#include "cloud/cloud_fixture.h"
#include "gmock/gmock.h"
#include "server/metrics_http.h"
#include "server/prometheus.h"

namespace cove::cloud::testing {
namespace {

using ::cove::testing::IsOk;
using ::cove::testing::StatusIs;
using ::testing::HasSubstr;

absl::Time Utc(const char* rfc3339) {
  absl::Time t;
  std::string err;
  EXPECT_TRUE(absl::ParseTime(absl::RFC3339_full, rfc3339, &t, &err)) << err;
  return t;
}

// ---- pure functions ---------------------------------------------------------

TEST(Cron, ParsesAndMatches) {
  ASSERT_OK_AND_ASSIGN(CronSpec weekdays,
                       CronSpec::Parse("cron", "*/15 9-17 * * 1-5"));
  // 2026-01-05 is a Monday.
  EXPECT_TRUE(weekdays.Matches(absl::CivilMinute(2026, 1, 5, 9, 0)));
  EXPECT_TRUE(weekdays.Matches(absl::CivilMinute(2026, 1, 5, 17, 45)));
  EXPECT_FALSE(weekdays.Matches(absl::CivilMinute(2026, 1, 5, 9, 10)));
  EXPECT_FALSE(weekdays.Matches(absl::CivilMinute(2026, 1, 5, 18, 0)));
  EXPECT_FALSE(weekdays.Matches(absl::CivilMinute(2026, 1, 4, 9, 0)));  // Sun
  // 7 is Sunday; with both day fields restricted either may match.
  ASSERT_OK_AND_ASSIGN(CronSpec either, CronSpec::Parse("cron", "0 0 1 * 7"));
  EXPECT_TRUE(either.Matches(absl::CivilMinute(2026, 1, 4, 0, 0)));   // Sun
  EXPECT_TRUE(either.Matches(absl::CivilMinute(2026, 1, 1, 0, 0)));   // 1st
  EXPECT_FALSE(either.Matches(absl::CivilMinute(2026, 1, 5, 0, 0)));  // Mon
  ASSERT_OK_AND_ASSIGN(CronSpec list, CronSpec::Parse("cron", "5,10 1 * 2 *"));
  EXPECT_TRUE(list.Matches(absl::CivilMinute(2026, 2, 9, 1, 10)));
  EXPECT_FALSE(list.Matches(absl::CivilMinute(2026, 3, 9, 1, 10)));

  for (const char* bad :
       {"* * * *", "60 * * * *", "* 24 * * *", "* * 0 * *", "* * * 13 *",
        "* * * * 8", "5-1 * * * *", "*/0 * * * *", "a * * * *"}) {
    EXPECT_THAT(
        CronSpec::Parse("x.cron", bad),
        StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("x.cron")))
        << bad;
  }
}

TEST(Cron, ScheduleActiveInItsTimeZone) {
  v1::AutoscalingSchedule s;
  s.set_cron("0 9 * * 1-5");
  s.set_time_zone("Europe/Paris");  // UTC+1 in January
  s.set_duration_minutes(30);
  EXPECT_FALSE(ScheduleActive(s, Utc("2026-01-05T07:59:59Z")));
  EXPECT_TRUE(ScheduleActive(s, Utc("2026-01-05T08:00:00Z")));
  EXPECT_TRUE(ScheduleActive(s, Utc("2026-01-05T08:29:59Z")));
  EXPECT_FALSE(ScheduleActive(s, Utc("2026-01-05T08:30:00Z")));
  EXPECT_FALSE(ScheduleActive(s, Utc("2026-01-05T09:00:00Z")));  // 10:00 Paris
  s.set_time_zone("");
  EXPECT_TRUE(ScheduleActive(s, Utc("2026-01-05T09:00:00Z")));
}

v1::Autoscaling Enabled(int min, int max) {
  v1::Autoscaling as;
  as.set_enabled(true);
  as.set_min_cu_size(min);
  as.set_max_cu_size(max);
  return as;
}

TEST(DecideAutoscale, ScalesUpAtThresholdWithinMax) {
  AutoscaleInput in;
  in.vectors_per_cu = 100;
  in.now = Utc("2026-01-05T08:00:00Z");
  in.cu_size = 1;
  in.used_vectors = 79;
  EXPECT_FALSE(DecideAutoscale(Enabled(1, 8), in).scale);
  in.used_vectors = 80;  // 80% of 100
  AutoscaleDecision d = DecideAutoscale(Enabled(1, 8), in);
  ASSERT_TRUE(d.scale);
  EXPECT_EQ(d.cu_size, 2);  // 40% at 2 CU
  EXPECT_THAT(d.reason, HasSubstr("scale-up threshold 80%"));
  in.used_vectors = 500;  // needs 8 CU to be below 80%
  EXPECT_EQ(DecideAutoscale(Enabled(1, 8), in).cu_size, 8);
  EXPECT_EQ(DecideAutoscale(Enabled(1, 4), in).cu_size, 4);  // capped
  in.cu_size = 4;
  EXPECT_FALSE(DecideAutoscale(Enabled(1, 4), in).scale);  // at max
  // Two replicas: sizes below 8 CU are not allowed.
  in.cu_size = 8;
  in.replicas = 2;
  in.used_vectors = 700;
  d = DecideAutoscale(Enabled(8, 32), in);
  ASSERT_TRUE(d.scale);
  EXPECT_EQ(d.cu_size, 12);
  EXPECT_EQ(d.replicas, 2);
}

TEST(DecideAutoscale, ScalesDownOnlyAfterCoolDown) {
  v1::Autoscaling as = Enabled(1, 8);
  AutoscaleInput in;
  in.vectors_per_cu = 100;
  in.cu_size = 8;
  in.used_vectors = 150;  // 18.75% of 800
  in.now = Utc("2026-01-05T08:00:00Z");
  in.below_since = in.now - absl::Seconds(599);
  EXPECT_FALSE(DecideAutoscale(as, in).scale);
  in.below_since = in.now - absl::Seconds(600);
  AutoscaleDecision d = DecideAutoscale(as, in);
  ASSERT_TRUE(d.scale);
  EXPECT_EQ(d.cu_size, 4);  // 37.5% <= 50%; 2 CU would be 75%
  EXPECT_THAT(d.reason, HasSubstr("below scale-down threshold 50%"));
  in.below_since.reset();
  EXPECT_FALSE(DecideAutoscale(as, in).scale);
  // Custom thresholds and cool-down.
  as.set_scale_down_fill_percent(80);
  as.set_scale_up_fill_percent(90);
  as.set_cool_down_seconds(60);
  in.below_since = in.now - absl::Seconds(60);
  EXPECT_EQ(DecideAutoscale(as, in).cu_size, 2);  // 75% <= 80%
  // Never below the minimum.
  as.set_min_cu_size(4);
  EXPECT_EQ(DecideAutoscale(as, in).cu_size, 4);
}

TEST(DecideAutoscale, MinimumSchedulesAndReplicaBounds) {
  v1::Autoscaling as = Enabled(2, 8);
  AutoscaleInput in;
  in.vectors_per_cu = 100;
  in.cu_size = 1;
  in.now = Utc("2026-01-05T08:00:00Z");
  AutoscaleDecision d = DecideAutoscale(as, in);
  ASSERT_TRUE(d.scale);
  EXPECT_EQ(d.cu_size, 2);
  EXPECT_THAT(d.reason, HasSubstr("min_cu_size 2"));
  in.cu_size = 2;
  v1::AutoscalingSchedule* s = as.add_schedules();
  s->set_cron("0 9 * * *");
  s->set_time_zone("Europe/Paris");
  s->set_min_cu_size(8);
  d = DecideAutoscale(as, in);
  ASSERT_TRUE(d.scale);
  EXPECT_EQ(d.cu_size, 8);
  EXPECT_THAT(d.reason, HasSubstr("schedule 0"));
  as.set_min_replicas(2);
  in.cu_size = 8;
  d = DecideAutoscale(as, in);
  ASSERT_TRUE(d.scale);
  EXPECT_EQ(d.cu_size, 8);
  EXPECT_EQ(d.replicas, 2);
}

TEST(DecideAutoscale, ReplicasFollowTheQps) {
  v1::Autoscaling as = Enabled(8, 8);
  as.set_target_qps_per_replica(10);
  as.set_max_replicas(4);
  AutoscaleInput in;
  in.vectors_per_cu = 100;
  in.cu_size = 8;
  in.now = Utc("2026-01-05T08:00:00Z");
  in.qps = 10;  // exactly the target: nothing
  EXPECT_FALSE(DecideAutoscale(as, in).scale);
  in.qps.reset();  // not measured: nothing
  EXPECT_FALSE(DecideAutoscale(as, in).scale);
  in.qps = 25;
  AutoscaleDecision d = DecideAutoscale(as, in);
  ASSERT_TRUE(d.scale);
  EXPECT_EQ(d.cu_size, 8);
  EXPECT_EQ(d.replicas, 3);  // ceil(25 / 10)
  EXPECT_THAT(d.reason, HasSubstr("> target_qps_per_replica 10"));
  in.qps = 75;  // needs 8, bounded by max_replicas
  d = DecideAutoscale(as, in);
  ASSERT_TRUE(d.scale);
  EXPECT_EQ(d.replicas, 4);
  EXPECT_THAT(d.reason, HasSubstr("bounded to 4"));
  // No bound: at most 8.
  as.set_max_replicas(0);
  in.qps = 1000;
  EXPECT_EQ(DecideAutoscale(as, in).replicas, 8);
  // Below 8 CU a cluster has one replica: load cannot add any.
  v1::Autoscaling small = Enabled(1, 4);
  small.set_target_qps_per_replica(10);
  in.cu_size = 4;
  EXPECT_FALSE(DecideAutoscale(small, in).scale);

  // Down: below 50% of the target per replica, only after the cool-down.
  as.set_max_replicas(4);
  as.set_min_replicas(2);
  as.set_cool_down_seconds(300);
  in.cu_size = 8;
  in.replicas = 4;
  in.qps = 19;  // 4.75 per replica < 5
  in.qps_below_since = in.now - absl::Seconds(299);
  EXPECT_FALSE(DecideAutoscale(as, in).scale);
  in.qps_below_since = in.now - absl::Seconds(300);
  d = DecideAutoscale(as, in);
  ASSERT_TRUE(d.scale);
  EXPECT_EQ(d.replicas, 2);  // ceil(1.9)
  EXPECT_THAT(d.reason, HasSubstr("below 50% of target_qps_per_replica 10"));
  in.qps = 0;
  EXPECT_EQ(DecideAutoscale(as, in).replicas, 2);  // min_replicas
  in.qps = 21;  // 5.25 per replica: not below half the target
  EXPECT_FALSE(DecideAutoscale(as, in).scale);
  EXPECT_FALSE(QpsBelowScaleDown(as, 21, 4));
  EXPECT_TRUE(QpsBelowScaleDown(as, 19, 4));
  as.set_target_qps_per_replica(0);  // not driven by load
  EXPECT_FALSE(QpsBelowScaleDown(as, 0, 4));
  in.qps = 1000;
  EXPECT_FALSE(DecideAutoscale(as, in).scale);
}

TEST(ValidateAutoscaling, NamesTheField) {
  v1::Autoscaling as = Enabled(4, 2);
  EXPECT_THAT(ValidateAutoscaling("a", as),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("a.min_cu_size/max_cu_size")));
  as = Enabled(1, 3);
  EXPECT_THAT(
      ValidateAutoscaling("a", as),
      StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("got 1..3")));
  as = Enabled(1, 4);
  as.set_scale_down_fill_percent(80);
  EXPECT_THAT(ValidateAutoscaling("a", as),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("a.scale_down_fill_percent")));
  as = Enabled(1, 4);
  as.set_min_replicas(3);
  as.set_max_replicas(2);
  EXPECT_THAT(ValidateAutoscaling("a", as),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("a.min_replicas/max_replicas")));
  as = Enabled(1, 4);
  as.add_schedules()->set_cron("0 9 * *");
  as.mutable_schedules(0)->set_min_cu_size(2);
  EXPECT_THAT(ValidateAutoscaling("a", as),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("a.schedules[0].cron")));
  as.mutable_schedules(0)->set_cron("0 9 * * *");
  as.mutable_schedules(0)->set_time_zone("Mars/Olympus_Mons");
  EXPECT_THAT(ValidateAutoscaling("a", as),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("a.schedules[0].time_zone")));
  as.mutable_schedules(0)->set_time_zone("Asia/Tokyo");
  as.mutable_schedules(0)->set_min_cu_size(8);
  EXPECT_THAT(ValidateAutoscaling("a", as),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("a.schedules[0].min_cu_size")));
  as.mutable_schedules(0)->set_min_cu_size(4);
  EXPECT_OK(ValidateAutoscaling("a", as));
  as.set_target_qps_per_replica(-1);
  EXPECT_THAT(ValidateAutoscaling("a", as),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("a.target_qps_per_replica")));
  as.set_target_qps_per_replica(std::nan(""));
  EXPECT_THAT(ValidateAutoscaling("a", as),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("a.target_qps_per_replica")));
  as.set_target_qps_per_replica(0.5);
  EXPECT_OK(ValidateAutoscaling("a", as));
}

// ---- the emulator -----------------------------------------------------------

class AutoscaleTest : public CloudFixture {
 protected:
  void SetUp() override {
    CloudFixture::SetUp();
    ASSERT_OK_AND_ASSIGN(org_, MakeOrg("acme", "owner@example.com"));
    ASSERT_THAT(MakeProject("acme", "web"), IsOk());
    auto env = MakeEnv(project_, "env1", org_.external_id());
    ASSERT_THAT(env, IsOk());
    ASSERT_EQ(env->state(), v1::Environment::READY);
  }

  void SetClock(const char* rfc3339) {
    v1::SetClockRequest req;
    const absl::Time t = Utc(rfc3339);
    req.mutable_time()->set_seconds(absl::ToUnixSeconds(t));
    ASSERT_THAT(Emu(&v1::Emulator::Stub::SetClock, req), IsOk());
  }
  void Advance(absl::Duration by) {
    v1::AdvanceClockRequest req;
    req.mutable_by()->set_seconds(absl::ToInt64Seconds(by));
    ASSERT_THAT(Emu(&v1::Emulator::Stub::AdvanceClock, req), IsOk());
  }

  // A RUNNING cluster of `cu` CU (the manual clock moves 1 s) and its
  // admin password.
  std::string CreateRunning(const std::string& id, int cu = 1) {
    auto op = StartCluster(project_, project_ + "/environments/env1", id, cu);
    EXPECT_THAT(op, IsOk());
    if (!op.ok()) return "";
    Advance(absl::Seconds(1));
    auto done = Wait(op->name());
    EXPECT_THAT(done, IsOk());
    if (!done.ok()) return "";
    EXPECT_EQ(done->cluster().state(), v1::Cluster::RUNNING);
    return done->cluster().admin_password();
  }

  absl::StatusOr<v1::Cluster> SetAutoscaling(const std::string& name,
                                             const v1::Autoscaling& as) {
    v1::UpdateClusterRequest req;
    req.mutable_cluster()->set_name(name);
    *req.mutable_cluster()->mutable_autoscaling() = as;
    req.mutable_update_mask()->add_paths("autoscaling");
    return Call(&v1::ControlPlane::Stub::UpdateCluster, req, kAdminKey);
  }

  std::vector<v1::Operation> ScaleOps(const std::string& name) {
    v1::ListOperationsRequest req;
    req.set_parent("organizations/acme");
    req.set_filter("verb=ScaleCluster AND target=" + name);
    req.set_page_size(100);
    auto resp = Call(&v1::ControlPlane::Stub::ListOperations, req, kAdminKey);
    EXPECT_THAT(resp, IsOk());
    if (!resp.ok()) return {};
    return {resp->operations().begin(), resp->operations().end()};
  }

  const std::string project_ = "organizations/acme/projects/web";
  v1::Organization org_;
};

TEST_F(AutoscaleTest, ScalesUpWhenFullAndDownAfterTheCoolDown) {
  SetClock("2026-01-05T10:00:00Z");
  const std::string name = project_ + "/clusters/auto1";
  const std::string password = CreateRunning("auto1");
  ASSERT_FALSE(password.empty());
  ASSERT_OK_AND_ASSIGN(v1::Cluster c, GetCluster(name));
  ASSERT_OK_AND_ASSIGN(Client data, DataClient(c.endpoint(), password));
  ASSERT_OK(data.CreateCollection("docs", 2));
  ASSERT_OK(data.Insert("docs", Rows(0, 7)).status());  // 70% of 10

  v1::Autoscaling as = Enabled(1, 4);
  as.set_cool_down_seconds(600);
  ASSERT_THAT(SetAutoscaling(name, as), IsOk());
  Advance(absl::Seconds(5));
  EXPECT_TRUE(ScaleOps(name).empty());  // 70% < 80%: nothing

  ASSERT_OK(data.Insert("docs", Rows(7, 2)).status());  // 90%
  EXPECT_THAT(data.Insert("docs", Rows(9, 3)),
              StatusIs(absl::StatusCode::kResourceExhausted));
  Advance(absl::Seconds(1));  // the autoscaler starts a ScaleCluster
  Advance(absl::Seconds(1));  // which completes after the transition delay
  ASSERT_OK_AND_ASSIGN(c, GetCluster(name));
  EXPECT_EQ(c.state(), v1::Cluster::RUNNING);
  EXPECT_EQ(c.cu_size(), 2);  // 45% at 2 CU
  EXPECT_EQ(c.capacity_vectors(), 20);
  std::vector<v1::Operation> ops = ScaleOps(name);
  ASSERT_EQ(ops.size(), 1u);
  EXPECT_TRUE(ops[0].done());
  EXPECT_EQ(ops[0].error_code(), 0) << ops[0].error_message();
  std::vector<v1::AuditEvent> events =
      Audit("organizations/acme", "action=clusters.autoscale");
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].actor(), "system:autoscaler");
  EXPECT_EQ(events[0].resource(), name);
  EXPECT_EQ(events[0].outcome(), v1::AuditEvent::SUCCEEDED);
  EXPECT_THAT(events[0].message(), HasSubstr("fill 90.0%"));
  EXPECT_THAT(events[0].message(), HasSubstr("scale-up threshold 80%"));
  EXPECT_THAT(events[0].message(), HasSubstr(ops[0].name()));
  // The write refused before now fits.
  ASSERT_OK(data.Insert("docs", Rows(9, 3)).status());  // 12 of 20

  // Usage drops to 20% of 2 CU: no scale-down before the cool-down.
  std::vector<Value> ids;
  for (int i = 0; i < 8; ++i) ids.push_back(Value(int64_t{i}));
  ASSERT_OK(data.Delete("docs", ids).status());
  ASSERT_OK_AND_ASSIGN(c, GetCluster(name));
  ASSERT_EQ(c.used_vectors(), 4);
  Advance(absl::Seconds(1));
  Advance(absl::Minutes(9));
  ASSERT_OK_AND_ASSIGN(c, GetCluster(name));
  EXPECT_EQ(c.cu_size(), 2);
  EXPECT_EQ(c.state(), v1::Cluster::RUNNING);
  EXPECT_EQ(ScaleOps(name).size(), 1u);
  Advance(absl::Seconds(61));  // past 10 minutes below 50%
  Advance(absl::Seconds(1));
  ASSERT_OK_AND_ASSIGN(c, GetCluster(name));
  EXPECT_EQ(c.cu_size(), 1);  // 40% at 1 CU
  EXPECT_EQ(c.state(), v1::Cluster::RUNNING);
  EXPECT_EQ(ScaleOps(name).size(), 2u);
  events = Audit("organizations/acme", "action=clusters.autoscale");
  ASSERT_EQ(events.size(), 2u);
  EXPECT_THAT(events[1].message(), HasSubstr("below scale-down threshold 50%"));
  // Stable: at 1 CU (the minimum) nothing more happens.
  Advance(absl::Minutes(30));
  EXPECT_EQ(ScaleOps(name).size(), 2u);
}

TEST_F(AutoscaleTest, ScheduleRaisesTheMinimumAtLocalTime) {
  // Monday 2026-01-05 07:58 UTC = 08:58 in Paris.
  SetClock("2026-01-05T07:58:00Z");
  const std::string name = project_ + "/clusters/sched";
  ASSERT_FALSE(CreateRunning("sched").empty());
  v1::Autoscaling as = Enabled(1, 8);
  v1::AutoscalingSchedule* s = as.add_schedules();
  s->set_cron("0 9 * * 1-5");
  s->set_time_zone("Europe/Paris");
  s->set_min_cu_size(4);
  s->set_duration_minutes(60);
  ASSERT_THAT(SetAutoscaling(name, as), IsOk());
  Advance(absl::Seconds(117));  // 07:59:58 UTC
  EXPECT_TRUE(ScaleOps(name).empty());
  Advance(absl::Seconds(3));  // 08:00:01 UTC = 09:00:01 Paris
  Advance(absl::Seconds(1));
  ASSERT_OK_AND_ASSIGN(v1::Cluster c, GetCluster(name));
  EXPECT_EQ(c.cu_size(), 4);
  std::vector<v1::AuditEvent> events =
      Audit("organizations/acme", "action=clusters.autoscale");
  ASSERT_EQ(events.size(), 1u);
  EXPECT_THAT(events[0].message(), HasSubstr("schedule 0 '0 9 * * 1-5'"));
  EXPECT_THAT(events[0].message(), HasSubstr("Europe/Paris"));
  // While the schedule is active the empty cluster stays at 4 CU ...
  Advance(absl::Minutes(58));  // 08:58:02
  ASSERT_OK_AND_ASSIGN(c, GetCluster(name));
  EXPECT_EQ(c.cu_size(), 4);
  // ... and after it (and the cool-down) it returns to the minimum.
  Advance(absl::Minutes(2));  // 09:00:02
  Advance(absl::Seconds(1));
  ASSERT_OK_AND_ASSIGN(c, GetCluster(name));
  EXPECT_EQ(c.cu_size(), 1);
  EXPECT_EQ(ScaleOps(name).size(), 2u);
}

TEST_F(AutoscaleTest, ReplicasFollowTheQueryLoad) {
  SetClock("2026-01-05T10:00:00Z");
  const std::string name = project_ + "/clusters/qps1";
  const std::string password = CreateRunning("qps1", 8);
  ASSERT_FALSE(password.empty());
  ASSERT_OK_AND_ASSIGN(v1::Cluster c, GetCluster(name));
  ASSERT_EQ(c.replicas(), 1);
  ASSERT_OK_AND_ASSIGN(Client data, DataClient(c.endpoint(), password));
  ASSERT_OK(data.CreateCollection("docs", 2));
  ASSERT_OK(data.Insert("docs", Rows(0, 5)).status());

  v1::Autoscaling as = Enabled(8, 8);
  as.set_min_replicas(1);
  as.set_max_replicas(3);
  as.set_target_qps_per_replica(1.0);
  as.set_cool_down_seconds(300);
  ASSERT_THAT(SetAutoscaling(name, as), IsOk());
  Advance(absl::Seconds(1));
  EXPECT_TRUE(ScaleOps(name).empty());  // a few requests: below 1 QPS

  SearchRequest search;
  search.collection_name = "docs";
  search.vectors = {1, 1};
  search.dim = 2;
  search.limit = 2;
  // 100 searches (and the few requests above) in the 60 s window: 1.7..2
  // QPS at 1 replica > 1 per replica: 2 replicas.
  for (int i = 0; i < 100; ++i) ASSERT_OK(data.Search(search).status());
  Advance(absl::Seconds(1));  // the autoscaler starts a ScaleCluster
  Advance(absl::Seconds(1));  // which completes after the transition delay
  ASSERT_OK_AND_ASSIGN(c, GetCluster(name));
  EXPECT_EQ(c.state(), v1::Cluster::RUNNING);
  EXPECT_EQ(c.cu_size(), 8);
  EXPECT_EQ(c.replicas(), 2);
  std::vector<v1::Operation> ops = ScaleOps(name);
  ASSERT_EQ(ops.size(), 1u);
  EXPECT_TRUE(ops[0].done());
  EXPECT_EQ(ops[0].error_code(), 0) << ops[0].error_message();
  std::vector<v1::AuditEvent> events =
      Audit("organizations/acme", "action=clusters.autoscale");
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].actor(), "system:autoscaler");
  EXPECT_EQ(events[0].outcome(), v1::AuditEvent::SUCCEEDED);
  EXPECT_THAT(events[0].message(), HasSubstr("8 CU x 1 -> 8 CU x 2"));
  EXPECT_THAT(events[0].message(), HasSubstr("> target_qps_per_replica 1"));
  EXPECT_THAT(events[0].message(), HasSubstr(ops[0].name()));

  // 300 more searches: 5 QPS or more would need 5 replicas; max_replicas 3.
  // The scheduler also runs passes while the manual clock stands still, and
  // one of them would act on the first few dozen searches (a legitimate
  // decision on part of the load): the target is raised while they run and
  // lowered again after, so the decision sees all of them.
  v1::Autoscaling relaxed = as;
  relaxed.set_target_qps_per_replica(1000.0);
  ASSERT_THAT(SetAutoscaling(name, relaxed), IsOk());
  ASSERT_OK_AND_ASSIGN(c, GetCluster(name));
  ASSERT_OK_AND_ASSIGN(data, DataClient(c.endpoint(), password));
  for (int i = 0; i < 300; ++i) ASSERT_OK(data.Search(search).status());
  ASSERT_THAT(SetAutoscaling(name, as), IsOk());
  Advance(absl::Seconds(1));
  Advance(absl::Seconds(1));
  ASSERT_OK_AND_ASSIGN(c, GetCluster(name));
  EXPECT_EQ(c.state(), v1::Cluster::RUNNING);
  EXPECT_EQ(c.replicas(), 3);
  ASSERT_EQ(ScaleOps(name).size(), 2u);
  events = Audit("organizations/acme", "action=clusters.autoscale");
  ASSERT_EQ(events.size(), 2u);
  EXPECT_THAT(events[1].message(), HasSubstr("bounded to 3"));

  // The load stops. Once the window has no requests the QPS is 0, but the
  // replicas stay for the cool-down (300 s) ...
  Advance(absl::Seconds(61));
  Advance(absl::Seconds(200));
  ASSERT_OK_AND_ASSIGN(c, GetCluster(name));
  EXPECT_EQ(c.replicas(), 3);
  EXPECT_EQ(ScaleOps(name).size(), 2u);
  // ... and then go down to min_replicas.
  Advance(absl::Seconds(100));
  Advance(absl::Seconds(1));
  ASSERT_OK_AND_ASSIGN(c, GetCluster(name));
  EXPECT_EQ(c.state(), v1::Cluster::RUNNING);
  EXPECT_EQ(c.replicas(), 1);
  EXPECT_EQ(c.cu_size(), 8);
  ASSERT_EQ(ScaleOps(name).size(), 3u);
  events = Audit("organizations/acme", "action=clusters.autoscale");
  ASSERT_EQ(events.size(), 3u);
  EXPECT_THAT(events[2].message(), HasSubstr("8 CU x 3 -> 8 CU x 1"));
  EXPECT_THAT(events[2].message(),
              HasSubstr("below 50% of target_qps_per_replica 1"));
  // Stable without load.
  Advance(absl::Minutes(30));
  EXPECT_EQ(ScaleOps(name).size(), 3u);

  // Bad targets are refused, naming the field.
  as.set_target_qps_per_replica(-2);
  EXPECT_THAT(
      SetAutoscaling(name, as),
      StatusIs(absl::StatusCode::kInvalidArgument,
               HasSubstr("cluster.autoscaling.target_qps_per_replica")));
}

TEST_F(AutoscaleTest, InvalidSettingsAreRefused) {
  SetClock("2026-01-05T10:00:00Z");
  const std::string name = project_ + "/clusters/bad";
  ASSERT_FALSE(CreateRunning("bad").empty());
  v1::Autoscaling as = Enabled(8, 4);
  EXPECT_THAT(SetAutoscaling(name, as),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("cluster.autoscaling.min_cu_size")));
  as = Enabled(1, 4);
  as.add_schedules()->set_cron("0 25 * * *");
  as.mutable_schedules(0)->set_min_cu_size(2);
  EXPECT_THAT(SetAutoscaling(name, as),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("cluster.autoscaling.schedules[0].cron")));
  as.mutable_schedules(0)->set_cron("0 9 * * *");
  as.mutable_schedules(0)->set_time_zone("Nowhere/Land");
  EXPECT_THAT(
      SetAutoscaling(name, as),
      StatusIs(absl::StatusCode::kInvalidArgument,
               HasSubstr("cluster.autoscaling.schedules[0].time_zone")));
  // CreateCluster checks them too.
  v1::CreateClusterRequest create;
  create.set_parent(project_);
  create.set_cluster_id("bad2");
  create.mutable_cluster()->set_environment(project_ + "/environments/env1");
  *create.mutable_cluster()->mutable_autoscaling() = Enabled(4, 2);
  EXPECT_THAT(Call(&v1::ControlPlane::Stub::CreateCluster, create, kAdminKey),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("cluster.autoscaling.min_cu_size")));
}

TEST_F(AutoscaleTest, MetricsThroughTheApiAndPrometheus) {
  // Restart with a control-plane metrics endpoint.
  CloudOptions options = options_;
  options.metrics_listen_address = "127.0.0.1:0";
  Restart(options);
  SetClock("2026-01-05T10:00:00Z");
  ASSERT_THAT(server_->metrics_url(),
              ::testing::StartsWith("http://127.0.0.1:"));
  const std::string name = project_ + "/clusters/met1";
  const std::string password = CreateRunning("met1");
  ASSERT_OK_AND_ASSIGN(v1::Cluster c, GetCluster(name));
  ASSERT_THAT(c.metrics_endpoint(), ::testing::StartsWith("http://127.0.0.1:"));
  ASSERT_OK_AND_ASSIGN(Client data, DataClient(c.endpoint(), password));
  ASSERT_OK(data.CreateCollection("docs", 2));
  ASSERT_OK(data.Insert("docs", Rows(0, 5)).status());
  SearchRequest search;
  search.collection_name = "docs";
  search.vectors = {1, 1};
  search.dim = 2;
  search.limit = 2;
  constexpr int kSearches = 7;
  for (int i = 0; i < kSearches; ++i) ASSERT_OK(data.Search(search).status());

  v1::GetClusterMetricsRequest req;
  req.set_name(name);
  req.set_window_seconds(600);
  ASSERT_OK_AND_ASSIGN(
      v1::ClusterMetrics m,
      Call(&v1::ControlPlane::Stub::GetClusterMetrics, req, kAdminKey));
  EXPECT_TRUE(m.serving());
  EXPECT_EQ(m.vector_count(), 5);
  EXPECT_EQ(m.capacity_vectors(), 10);
  EXPECT_DOUBLE_EQ(m.cu_usage(), 0.5);
  EXPECT_GT(m.storage_bytes(), 0);
  EXPECT_EQ(m.metrics_endpoint(), c.metrics_endpoint());
  const v1::RequestKindMetrics* searches = nullptr;
  for (const auto& k : m.kinds()) {
    if (k.kind() == "search") searches = &k;
  }
  ASSERT_NE(searches, nullptr);
  EXPECT_EQ(searches->requests(), kSearches);
  EXPECT_EQ(searches->errors(), 0);
  EXPECT_DOUBLE_EQ(searches->qps(), kSearches / 600.0);
  EXPECT_GT(searches->latency_p50_ms(), 0);
  EXPECT_GE(searches->latency_p95_ms(), searches->latency_p50_ms());
  EXPECT_GE(searches->latency_p99_ms(), searches->latency_p95_ms());
  EXPECT_GE(m.requests(), kSearches + 2);  // + create, insert, ...
  EXPECT_GT(m.qps(), 0);
  EXPECT_GT(m.latency_p99_ms(), 0);
  req.set_window_seconds(601);
  EXPECT_THAT(Call(&v1::ControlPlane::Stub::GetClusterMetrics, req, kAdminKey),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("window_seconds")));
  req.set_window_seconds(0);
  req.set_name(project_ + "/clusters/nope");
  EXPECT_THAT(Call(&v1::ControlPlane::Stub::GetClusterMetrics, req, kAdminKey),
              StatusIs(absl::StatusCode::kNotFound));

  // The data plane's endpoint.
  ASSERT_OK_AND_ASSIGN(std::string text, server::HttpGet(c.metrics_endpoint()));
  ASSERT_OK_AND_ASSIGN(prometheus::ParsedText dp, prometheus::ParseText(text));
  auto ok = dp.Find("cove_dataplane_requests_total",
                    {{"kind", "search"}, {"code", "OK"}});
  ASSERT_EQ(ok.size(), 1u) << text;
  EXPECT_EQ(ok[0]->value, kSearches);
  ASSERT_EQ(dp.Find("cove_dataplane_vectors").size(), 1u);
  EXPECT_EQ(dp.Find("cove_dataplane_vectors")[0]->value, 5);
  ASSERT_EQ(dp.Find("cove_dataplane_capacity_vectors").size(), 1u);
  EXPECT_EQ(dp.Find("cove_dataplane_capacity_vectors")[0]->value, 10);
  EXPECT_GT(dp.Find("cove_dataplane_storage_bytes")[0]->value, 0);

  // The control plane's endpoint.
  ASSERT_OK_AND_ASSIGN(text, server::HttpGet(server_->metrics_url()));
  ASSERT_OK_AND_ASSIGN(prometheus::ParsedText cp, prometheus::ParseText(text));
  auto calls = cp.Find("cove_control_requests_total",
                       {{"method", "GetClusterMetrics"}, {"code", "OK"}});
  ASSERT_EQ(calls.size(), 1u) << text;
  EXPECT_EQ(calls[0]->value, 1);
  auto bad = cp.Find("cove_control_requests_total",
                     {{"method", "GetClusterMetrics"}, {"code", "NOT_FOUND"}});
  ASSERT_EQ(bad.size(), 1u);
  EXPECT_EQ(bad[0]->value, 1);
  auto running = cp.Find("cove_control_clusters", {{"state", "RUNNING"}});
  ASSERT_EQ(running.size(), 1u);
  EXPECT_EQ(running[0]->value, 1);
  auto created = cp.Find("cove_control_operations",
                         {{"verb", "CreateCluster"}, {"state", "SUCCEEDED"}});
  ASSERT_EQ(created.size(), 1u);
  EXPECT_EQ(created[0]->value, 1);
  EXPECT_EQ(cp.types["cove_control_requests_total"],
            prometheus::Type::kCounter);

  // Suspended: no data plane, the last numbers.
  auto op = ClusterAction(&v1::ControlPlane::Stub::SuspendCluster, name);
  ASSERT_THAT(op, IsOk());
  Advance(absl::Seconds(1));
  ASSERT_THAT(Wait(op->name()), IsOk());
  req.set_name(name);
  ASSERT_OK_AND_ASSIGN(
      m, Call(&v1::ControlPlane::Stub::GetClusterMetrics, req, kAdminKey));
  EXPECT_FALSE(m.serving());
  EXPECT_EQ(m.vector_count(), 5);
  EXPECT_TRUE(m.metrics_endpoint().empty());
}

}  // namespace
}  // namespace cove::cloud::testing
