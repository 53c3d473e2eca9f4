// Alert rules (issue 19): evaluation on the emulator's manual clock
// (pending, firing after `for_duration`, resolved), notifications to a local
// webhook receiver (signed, retried with backoff on the clock) and to the
// audit log, silence, test notifications, validation, RBAC and tenant
// isolation; every metric of a cross-account cluster (CU_USAGE, QPS,
// LATENCY_P99_MS, ERROR_RATE, STORAGE_BYTES, BACKUP_FAILED) firing from real
// data-plane traffic or backups. Agent mode (AGENT_DISCONNECTED):
// tests/agent/.
#include <httplib.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <condition_variable>
#include <deque>
#include <mutex>
#include <thread>

#include "absl/strings/match.h"
#include "absl/strings/str_format.h"
#include "absl/time/clock.h"
#include "cloud/cloud_fixture.h"
#include "cloud/util.h"
#include "gmock/gmock.h"
#include "nlohmann/json.hpp"

namespace cove::cloud::testing {
namespace {

using ::cove::testing::IsOk;
using ::cove::testing::StatusIs;
using ::testing::HasSubstr;
using ::testing::Not;

constexpr char kProject[] = "organizations/acme/projects/prod";
constexpr char kCluster[] = "organizations/acme/projects/prod/clusters/data";
constexpr char kSecret[] = "s3cret-hmac-key";

// A webhook receiver on 127.0.0.1:<any port>: records each POST and answers
// with the next scripted status (200 when the script is empty); `hold`
// makes the handler wait until Release().
class Receiver {
 public:
  struct Hit {
    std::string body;
    std::string signature;
    std::string event;
  };
  Receiver() {
    server_.Post(
        "/hook", [this](const httplib::Request& req, httplib::Response& res) {
          std::unique_lock<std::mutex> lock(mu_);
          hits_.push_back({req.body, req.get_header_value("X-Cove-Signature"),
                           req.get_header_value("X-Cove-Event")});
          cv_.notify_all();
          cv_.wait(lock, [this] { return !hold_; });
          int status = 200;
          if (!script_.empty()) {
            status = script_.front();
            script_.pop_front();
          }
          res.status = status;
          res.set_content("{}", "application/json");
        });
    port_ = server_.bind_to_any_port("127.0.0.1");
    thread_ = std::thread([this] { server_.listen_after_bind(); });
  }
  ~Receiver() {
    Release();
    server_.stop();
    thread_.join();
  }
  std::string url() const {
    return "http://127.0.0.1:" + std::to_string(port_) + "/hook";
  }
  void Script(std::deque<int> statuses) {
    std::lock_guard<std::mutex> lock(mu_);
    script_ = std::move(statuses);
  }
  void Hold() {
    std::lock_guard<std::mutex> lock(mu_);
    hold_ = true;
  }
  void Release() {
    std::lock_guard<std::mutex> lock(mu_);
    hold_ = false;
    cv_.notify_all();
  }
  // Waits (up to 20 s of real time) for the n-th POST.
  std::optional<Hit> WaitFor(size_t n) {
    std::unique_lock<std::mutex> lock(mu_);
    if (!cv_.wait_for(lock, std::chrono::seconds(20),
                      [&] { return hits_.size() >= n; })) {
      return std::nullopt;
    }
    return hits_[n - 1];
  }
  size_t count() {
    std::lock_guard<std::mutex> lock(mu_);
    return hits_.size();
  }

 private:
  httplib::Server server_;
  int port_ = 0;
  std::thread thread_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<Hit> hits_;
  std::deque<int> script_;
  bool hold_ = false;
};

// HMAC-SHA256 of `body` as the receiver checks it.
std::string ExpectedSignature(const std::string& body) {
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  HMAC(EVP_sha256(), kSecret, static_cast<int>(strlen(kSecret)),
       reinterpret_cast<const unsigned char*>(body.data()), body.size(), mac,
       &len);
  std::string hex;
  for (unsigned int i = 0; i < len; ++i) {
    hex += absl::StrFormat("%02x", mac[i]);
  }
  return "sha256=" + hex;
}

class AlertsTest : public CloudFixture {
 protected:
  void SetUp() override {
    CloudFixture::SetUp();
    ASSERT_OK_AND_ASSIGN(org_, MakeOrg("acme", "owner@example.com"));
    ASSERT_THAT(MakeProject("acme", "prod"), IsOk());
    ASSERT_THAT(MakeEnv(kProject, "env", org_.external_id()), IsOk());
    ASSERT_OK_AND_ASSIGN(
        v1::Operation op,
        StartCluster(kProject, std::string(kProject) + "/environments/env",
                     "data"));
    ASSERT_OK_AND_ASSIGN(op, Wait(op.name()));
    ASSERT_EQ(op.cluster().state(), v1::Cluster::RUNNING);
    cluster_ = op.cluster();
    v1::SetClockRequest clock;
    *clock.mutable_time() = ToProto(absl::FromUnixSeconds(1800000000));
    ASSERT_THAT(Emu(&v1::Emulator::Stub::SetClock, clock), IsOk());
  }

  void Advance(absl::Duration by) {
    v1::AdvanceClockRequest req;
    *req.mutable_by() = ToProtoDuration(by);
    ASSERT_THAT(Emu(&v1::Emulator::Stub::AdvanceClock, req), IsOk());
  }

  v1::CreateAlertRuleRequest RuleRequest(const std::string& id,
                                         const std::string& url) {
    v1::CreateAlertRuleRequest req;
    req.set_parent(kProject);
    req.set_alert_rule_id(id);
    v1::AlertRule* r = req.mutable_alert_rule();
    r->set_cluster(kCluster);
    r->set_metric(v1::AlertRule::CU_USAGE);
    r->set_threshold(0.05);
    r->mutable_for_duration()->set_seconds(60);
    if (!url.empty()) {
      r->mutable_webhook()->set_url(url);
      r->mutable_webhook()->set_secret(kSecret);
    }
    r->set_audit(true);
    return req;
  }

  absl::StatusOr<v1::AlertRule> Rule(const std::string& name,
                                     const std::string& key = kAdminKey) {
    v1::GetRequest req;
    req.set_name(name);
    return Call(&v1::ControlPlane::Stub::GetAlertRule, req, key);
  }

  // Waits (real time, bounded) until the rule's last delivery made
  // `attempts` attempts; the delivery is recorded after the POST returns.
  v1::AlertDelivery WaitDelivery(const std::string& name, int attempts) {
    const absl::Time deadline = absl::Now() + absl::Seconds(20);
    v1::AlertDelivery d;
    while (absl::Now() < deadline) {
      auto r = Rule(name);
      if (r.ok()) d = r->last_delivery();
      if (d.attempts() >= attempts) return d;
      absl::SleepFor(absl::Milliseconds(5));
    }
    ADD_FAILURE() << "no delivery with " << attempts << " attempts for "
                  << name;
    return d;
  }

  v1::Organization org_;
  v1::Cluster cluster_;
};

TEST_F(AlertsTest, FiresAfterForDurationAndResolvesToWebhookAndAudit) {
  Receiver receiver;
  ASSERT_OK_AND_ASSIGN(v1::AlertRule created,
                       Call(&v1::ControlPlane::Stub::CreateAlertRule,
                            RuleRequest("full", receiver.url()), kAdminKey));
  const std::string name = std::string(kProject) + "/alertRules/full";
  EXPECT_EQ(created.name(), name);
  EXPECT_EQ(created.state(), v1::AlertRule::INACTIVE);
  EXPECT_TRUE(created.webhook().secret_set());
  EXPECT_TRUE(created.webhook().secret().empty());

  // 3 vectors of a 1-CU cluster holding 10: usage 0.3 > 0.05.
  ASSERT_OK_AND_ASSIGN(
      Client data, DataClient(cluster_.endpoint(), cluster_.admin_password()));
  ASSERT_OK(data.CreateCollection("docs", 2));
  ASSERT_OK(data.Insert("docs", Rows(0, 3)).status());
  Advance(absl::ZeroDuration());
  ASSERT_OK_AND_ASSIGN(v1::AlertRule r, Rule(name));
  EXPECT_EQ(r.state(), v1::AlertRule::PENDING);
  EXPECT_TRUE(r.has_value());
  EXPECT_NEAR(r.value(), 0.3, 1e-9);
  Advance(absl::Seconds(59));
  ASSERT_OK_AND_ASSIGN(r, Rule(name));
  EXPECT_EQ(r.state(), v1::AlertRule::PENDING);
  EXPECT_EQ(receiver.count(), 0u);
  Advance(absl::Seconds(1));
  ASSERT_OK_AND_ASSIGN(r, Rule(name));
  EXPECT_EQ(r.state(), v1::AlertRule::FIRING);

  auto firing = receiver.WaitFor(1);
  ASSERT_TRUE(firing.has_value());
  EXPECT_EQ(firing->event, "firing");
  EXPECT_EQ(firing->signature, ExpectedSignature(firing->body));
  nlohmann::json j = nlohmann::json::parse(firing->body);
  EXPECT_EQ(j["event"], "firing");
  EXPECT_EQ(j["rule"], name);
  EXPECT_EQ(j["cluster"], kCluster);
  EXPECT_EQ(j["metric"], "CU_USAGE");
  EXPECT_EQ(j["state"], "FIRING");
  EXPECT_NEAR(j["value"].get<double>(), 0.3, 1e-9);
  EXPECT_EQ(WaitDelivery(name, 1).delivered(), true);

  // Still holding: no second notification.
  Advance(absl::Seconds(30));
  ASSERT_OK_AND_ASSIGN(r, Rule(name));
  EXPECT_EQ(r.state(), v1::AlertRule::FIRING);

  ASSERT_OK(data.DropCollection("docs"));
  Advance(absl::ZeroDuration());
  ASSERT_OK_AND_ASSIGN(r, Rule(name));
  EXPECT_EQ(r.state(), v1::AlertRule::RESOLVED);
  auto resolved = receiver.WaitFor(2);
  ASSERT_TRUE(resolved.has_value());
  EXPECT_EQ(resolved->event, "resolved");
  EXPECT_EQ(resolved->signature, ExpectedSignature(resolved->body));
  EXPECT_EQ(receiver.count(), 2u);

  std::vector<std::string> actions;
  for (const v1::AuditEvent& e : Audit("organizations/acme")) {
    if (e.resource() == name) actions.push_back(e.action());
    EXPECT_THAT(e.message(), Not(HasSubstr(kSecret)));
  }
  EXPECT_THAT(actions,
              ::testing::ElementsAre("alertRules.create", "alerts.firing",
                                     "alerts.resolved"));
}

// ---- the other metrics (AlertValueLocked): each driven to fire with real
// data-plane traffic or a real failed backup, and resolved where natural ----

// A rule on kCluster with the audit channel only.
v1::CreateAlertRuleRequest AlertsMetricRule(const std::string& id,
                                            v1::AlertRule::Metric metric,
                                            double threshold,
                                            int64_t for_seconds = 0,
                                            int window_seconds = 0) {
  v1::CreateAlertRuleRequest req;
  req.set_parent(kProject);
  req.set_alert_rule_id(id);
  v1::AlertRule* r = req.mutable_alert_rule();
  r->set_cluster(kCluster);
  r->set_metric(metric);
  r->set_threshold(threshold);
  r->mutable_for_duration()->set_seconds(for_seconds);
  r->set_window_seconds(window_seconds);
  r->set_audit(true);
  return req;
}

// `n` queries of collection "docs" (OK) or of a missing one (NOT_FOUND).
void AlertsQueries(Client& data, int n, bool fail) {
  QueryRequest q;
  q.collection_name = fail ? "missing" : "docs";
  q.filter = "id >= 0";
  q.output_fields = {"id"};
  for (int i = 0; i < n; ++i) {
    auto rows = data.Query(q);
    if (fail) {
      ASSERT_THAT(rows.status(), StatusIs(absl::StatusCode::kNotFound));
    } else {
      ASSERT_THAT(rows.status(), IsOk());
    }
  }
}

// The actions of the audit events on `rule`, oldest first.
std::vector<std::string> AlertsAuditOf(const std::vector<v1::AuditEvent>& all,
                                       const std::string& rule) {
  std::vector<std::string> actions;
  for (const v1::AuditEvent& e : all) {
    if (e.resource() == rule) actions.push_back(e.action());
  }
  return actions;
}

TEST_F(AlertsTest, QpsAndLatencyP99FireOnTrafficAndResolveWhenSuspended) {
  // QPS over 600 s: 10 requests make 0.0167/s; the 30 below make more.
  ASSERT_OK_AND_ASSIGN(
      v1::AlertRule qps,
      Call(&v1::ControlPlane::Stub::CreateAlertRule,
           AlertsMetricRule("qps", v1::AlertRule::QPS, 10.0 / 600, 0, 600),
           kAdminKey));
  EXPECT_EQ(qps.window_seconds(), 600);
  // Latency: any served request has a p99 > 0 ms; held for 30 s.
  ASSERT_OK_AND_ASSIGN(
      v1::AlertRule p99,
      Call(&v1::ControlPlane::Stub::CreateAlertRule,
           AlertsMetricRule("p99", v1::AlertRule::LATENCY_P99_MS, 0, 30),
           kAdminKey));
  Advance(absl::ZeroDuration());
  ASSERT_OK_AND_ASSIGN(v1::AlertRule r, Rule(qps.name()));
  EXPECT_EQ(r.state(), v1::AlertRule::INACTIVE);
  EXPECT_TRUE(r.has_value());  // a serving cluster: a rate, maybe 0
  EXPECT_LT(r.value(), 10.0 / 600);

  ASSERT_OK_AND_ASSIGN(
      Client data, DataClient(cluster_.endpoint(), cluster_.admin_password()));
  ASSERT_OK(data.CreateCollection("docs", 2));
  ASSERT_OK(data.Insert("docs", Rows(0, 3)).status());
  AlertsQueries(data, 30, /*fail=*/false);
  Advance(absl::ZeroDuration());
  ASSERT_OK_AND_ASSIGN(r, Rule(qps.name()));
  EXPECT_EQ(r.state(), v1::AlertRule::FIRING);
  EXPECT_GE(r.value(), 32.0 / 600);  // create, insert and 30 queries at least
  ASSERT_OK_AND_ASSIGN(r, Rule(p99.name()));
  EXPECT_EQ(r.state(), v1::AlertRule::PENDING);
  EXPECT_TRUE(r.has_value());
  EXPECT_GT(r.value(), 0);
  // The value is the cluster's metrics' p99 (all requests since start).
  v1::GetClusterMetricsRequest metrics_req;
  metrics_req.set_name(kCluster);
  ASSERT_OK_AND_ASSIGN(
      v1::ClusterMetrics m,
      Call(&v1::ControlPlane::Stub::GetClusterMetrics, metrics_req, kAdminKey));
  EXPECT_DOUBLE_EQ(r.value(), m.latency_p99_ms());
  Advance(absl::Seconds(30));
  ASSERT_OK_AND_ASSIGN(r, Rule(p99.name()));
  EXPECT_EQ(r.state(), v1::AlertRule::FIRING);

  // A suspended cluster serves nothing: no value, both resolve.
  ASSERT_OK_AND_ASSIGN(
      v1::Operation op,
      ClusterAction(&v1::ControlPlane::Stub::SuspendCluster, kCluster));
  Advance(absl::Seconds(1));
  ASSERT_OK_AND_ASSIGN(op, Wait(op.name()));
  ASSERT_EQ(op.error_code(), 0) << op.error_message();
  Advance(absl::ZeroDuration());
  for (const std::string& name : {qps.name(), p99.name()}) {
    ASSERT_OK_AND_ASSIGN(r, Rule(name));
    EXPECT_EQ(r.state(), v1::AlertRule::RESOLVED) << name;
    EXPECT_FALSE(r.has_value()) << name;
  }
  const std::vector<v1::AuditEvent> audit = Audit("organizations/acme");
  EXPECT_THAT(AlertsAuditOf(audit, qps.name()),
              ::testing::ElementsAre("alertRules.create", "alerts.firing",
                                     "alerts.resolved"));
  EXPECT_THAT(AlertsAuditOf(audit, p99.name()),
              ::testing::ElementsAre("alertRules.create", "alerts.firing",
                                     "alerts.resolved"));
}

TEST_F(AlertsTest, ErrorRateFiresOnFailedCallsAndResolvesWhenDiluted) {
  ASSERT_OK_AND_ASSIGN(
      Client data, DataClient(cluster_.endpoint(), cluster_.admin_password()));
  ASSERT_OK(data.CreateCollection("docs", 2));
  ASSERT_OK(data.Insert("docs", Rows(0, 3)).status());
  ASSERT_OK_AND_ASSIGN(
      v1::AlertRule rule,
      Call(&v1::ControlPlane::Stub::CreateAlertRule,
           AlertsMetricRule("errors", v1::AlertRule::ERROR_RATE, 0.2),
           kAdminKey));
  Advance(absl::ZeroDuration());
  ASSERT_OK_AND_ASSIGN(v1::AlertRule r, Rule(rule.name()));
  EXPECT_EQ(r.state(), v1::AlertRule::INACTIVE);
  EXPECT_TRUE(r.has_value());
  EXPECT_EQ(r.value(), 0);

  AlertsQueries(data, 10, /*fail=*/true);
  Advance(absl::ZeroDuration());
  v1::GetClusterMetricsRequest metrics_req;
  metrics_req.set_name(kCluster);
  ASSERT_OK_AND_ASSIGN(
      v1::ClusterMetrics m,
      Call(&v1::ControlPlane::Stub::GetClusterMetrics, metrics_req, kAdminKey));
  ASSERT_GE(m.errors(), 10);
  ASSERT_OK_AND_ASSIGN(r, Rule(rule.name()));
  EXPECT_EQ(r.state(), v1::AlertRule::FIRING);
  EXPECT_DOUBLE_EQ(r.value(), static_cast<double>(m.errors()) /
                                  static_cast<double>(m.requests()));
  EXPECT_GT(r.value(), 0.2);

  // Successful calls bring the rate under 0.2: errors / requests < 0.2
  // once requests > 5 * errors.
  const int64_t more = 5 * m.errors() - m.requests() + 5;
  AlertsQueries(data, static_cast<int>(more), /*fail=*/false);
  Advance(absl::ZeroDuration());
  ASSERT_OK_AND_ASSIGN(r, Rule(rule.name()));
  EXPECT_EQ(r.state(), v1::AlertRule::RESOLVED);
  EXPECT_LT(r.value(), 0.2);
  EXPECT_GT(r.value(), 0);
  EXPECT_THAT(AlertsAuditOf(Audit("organizations/acme"), rule.name()),
              ::testing::ElementsAre("alertRules.create", "alerts.firing",
                                     "alerts.resolved"));
}

TEST_F(AlertsTest, StorageBytesFiresWhenTheDataGrowsAndCountsWhileSuspended) {
  ASSERT_OK_AND_ASSIGN(
      Client data, DataClient(cluster_.endpoint(), cluster_.admin_password()));
  ASSERT_OK(data.CreateCollection("docs", 2));
  ASSERT_OK(data.Insert("docs", Rows(0, 2)).status());
  ASSERT_OK(data.Flush("docs"));
  v1::GetClusterMetricsRequest metrics_req;
  metrics_req.set_name(kCluster);
  ASSERT_OK_AND_ASSIGN(
      v1::ClusterMetrics m,
      Call(&v1::ControlPlane::Stub::GetClusterMetrics, metrics_req, kAdminKey));
  const int64_t before = m.storage_bytes();
  ASSERT_GT(before, 0);
  ASSERT_OK_AND_ASSIGN(
      v1::AlertRule rule,
      Call(&v1::ControlPlane::Stub::CreateAlertRule,
           AlertsMetricRule("disk", v1::AlertRule::STORAGE_BYTES,
                            static_cast<double>(before)),
           kAdminKey));
  Advance(absl::ZeroDuration());
  ASSERT_OK_AND_ASSIGN(v1::AlertRule r, Rule(rule.name()));
  EXPECT_EQ(r.state(), v1::AlertRule::INACTIVE);
  EXPECT_EQ(r.value(), static_cast<double>(before));

  ASSERT_OK(data.Insert("docs", Rows(2, 6)).status());
  ASSERT_OK(data.Flush("docs"));
  Advance(absl::ZeroDuration());
  ASSERT_OK_AND_ASSIGN(m, Call(&v1::ControlPlane::Stub::GetClusterMetrics,
                               metrics_req, kAdminKey));
  ASSERT_OK_AND_ASSIGN(r, Rule(rule.name()));
  EXPECT_EQ(r.state(), v1::AlertRule::FIRING);
  EXPECT_GT(r.value(), static_cast<double>(before));
  EXPECT_EQ(r.value(), static_cast<double>(m.storage_bytes()));
  // (No natural resolution: dropping the collection leaves its log files.)
  // A suspended cluster's files still count (storage is not compute).
  ASSERT_OK_AND_ASSIGN(
      v1::Operation op,
      ClusterAction(&v1::ControlPlane::Stub::SuspendCluster, kCluster));
  Advance(absl::Seconds(1));
  ASSERT_OK_AND_ASSIGN(op, Wait(op.name()));
  ASSERT_EQ(op.error_code(), 0) << op.error_message();
  Advance(absl::ZeroDuration());
  ASSERT_OK_AND_ASSIGN(r, Rule(rule.name()));
  EXPECT_EQ(r.state(), v1::AlertRule::FIRING);
  EXPECT_TRUE(r.has_value());
  EXPECT_GT(r.value(), static_cast<double>(before));
}

TEST_F(AlertsTest, BackupFailedFiresOnAFailedBackupAndResolvesOnAGoodOne) {
  ASSERT_OK_AND_ASSIGN(
      v1::AlertRule rule,
      Call(&v1::ControlPlane::Stub::CreateAlertRule,
           AlertsMetricRule("backups", v1::AlertRule::BACKUP_FAILED, 0.5),
           kAdminKey));
  Advance(absl::ZeroDuration());
  ASSERT_OK_AND_ASSIGN(v1::AlertRule r, Rule(rule.name()));
  EXPECT_EQ(r.state(), v1::AlertRule::INACTIVE);
  EXPECT_TRUE(r.has_value());  // no backup yet: 0
  EXPECT_EQ(r.value(), 0);

  const auto backup = [&](const std::string& id,
                          const std::string& collection) -> v1::Operation {
    v1::CreateBackupRequest req;
    req.set_parent(kCluster);
    req.set_backup_id(id);
    if (!collection.empty()) req.mutable_backup()->add_collections(collection);
    auto op = Call(&v1::ControlPlane::Stub::CreateBackup, req, kAdminKey);
    EXPECT_THAT(op, IsOk());
    if (!op.ok()) return {};
    Advance(absl::Seconds(1));
    auto done = Wait(op->name());
    EXPECT_THAT(done, IsOk());
    return done.ok() ? *done : v1::Operation();
  };
  // A backup of a collection that does not exist fails.
  v1::Operation op = backup("bad", "nope");
  EXPECT_EQ(op.backup().state(), v1::Backup::FAILED);
  Advance(absl::ZeroDuration());
  ASSERT_OK_AND_ASSIGN(r, Rule(rule.name()));
  EXPECT_EQ(r.state(), v1::AlertRule::FIRING);
  EXPECT_EQ(r.value(), 1);

  // The latest backup decides: a good one resolves it.
  ASSERT_OK_AND_ASSIGN(
      Client data, DataClient(cluster_.endpoint(), cluster_.admin_password()));
  ASSERT_OK(data.CreateCollection("docs", 2));
  ASSERT_OK(data.Insert("docs", Rows(0, 3)).status());
  op = backup("good", "docs");
  EXPECT_EQ(op.error_code(), 0) << op.error_message();
  EXPECT_EQ(op.backup().state(), v1::Backup::READY);
  Advance(absl::ZeroDuration());
  ASSERT_OK_AND_ASSIGN(r, Rule(rule.name()));
  EXPECT_EQ(r.state(), v1::AlertRule::RESOLVED);
  EXPECT_EQ(r.value(), 0);
  EXPECT_THAT(AlertsAuditOf(Audit("organizations/acme"), rule.name()),
              ::testing::ElementsAre("alertRules.create", "alerts.firing",
                                     "alerts.resolved"));
}

TEST_F(AlertsTest, UpdateChangesOnlyTheMaskedFieldsAndRestartsTheCondition) {
  Receiver receiver;
  ASSERT_OK_AND_ASSIGN(v1::AlertRule rule,
                       Call(&v1::ControlPlane::Stub::CreateAlertRule,
                            RuleRequest("tuned", receiver.url()), kAdminKey));
  const auto update = [&](const v1::AlertRule& r,
                          std::vector<std::string> paths,
                          const std::string& key = kAdminKey) {
    v1::UpdateAlertRuleRequest req;
    *req.mutable_alert_rule() = r;
    for (const std::string& p : paths) req.mutable_update_mask()->add_paths(p);
    return Call(&v1::ControlPlane::Stub::UpdateAlertRule, req, key);
  };
  // Usage 0.3 > 0.05: PENDING.
  ASSERT_OK_AND_ASSIGN(
      Client data, DataClient(cluster_.endpoint(), cluster_.admin_password()));
  ASSERT_OK(data.CreateCollection("docs", 2));
  ASSERT_OK(data.Insert("docs", Rows(0, 3)).status());
  Advance(absl::ZeroDuration());
  ASSERT_OK_AND_ASSIGN(rule, Rule(rule.name()));
  ASSERT_EQ(rule.state(), v1::AlertRule::PENDING);

  // Only the masked field changes; the other fields sent are ignored.
  v1::AlertRule change;
  change.set_name(rule.name());
  change.set_display_name("ignored");
  change.set_threshold(0.5);
  ASSERT_OK_AND_ASSIGN(v1::AlertRule updated, update(change, {"threshold"}));
  EXPECT_EQ(updated.threshold(), 0.5);
  EXPECT_EQ(updated.display_name(), "tuned");
  EXPECT_EQ(updated.metric(), v1::AlertRule::CU_USAGE);
  EXPECT_EQ(updated.for_duration().seconds(), 60);
  EXPECT_TRUE(updated.webhook().secret_set());
  // A new condition restarts the evaluation, with no notification.
  EXPECT_EQ(updated.state(), v1::AlertRule::INACTIVE);
  EXPECT_FALSE(updated.has_value());
  EXPECT_NE(updated.etag(), rule.etag());
  Advance(absl::Seconds(120));
  ASSERT_OK_AND_ASSIGN(rule, Rule(rule.name()));
  EXPECT_EQ(rule.state(), v1::AlertRule::INACTIVE);  // 0.3 < 0.5
  EXPECT_EQ(receiver.count(), 0u);

  // Back below the data: it fires after the new for_duration.
  change.set_threshold(0.1);
  change.mutable_for_duration()->set_seconds(10);
  ASSERT_OK(update(change, {"threshold", "for_duration"}).status());
  Advance(absl::ZeroDuration());
  Advance(absl::Seconds(10));
  ASSERT_OK_AND_ASSIGN(rule, Rule(rule.name()));
  EXPECT_EQ(rule.state(), v1::AlertRule::FIRING);
  ASSERT_TRUE(receiver.WaitFor(1).has_value());

  // Cosmetic changes keep the state.
  change.set_display_name("Tuned rule");
  (*change.mutable_labels())["team"] = "search";
  ASSERT_OK_AND_ASSIGN(updated, update(change, {"display_name", "labels"}));
  EXPECT_EQ(updated.display_name(), "Tuned rule");
  EXPECT_EQ(updated.labels().at("team"), "search");
  EXPECT_EQ(updated.state(), v1::AlertRule::FIRING);

  // The webhook goes (and its secret with it): audit alone remains.
  ASSERT_OK_AND_ASSIGN(updated, update(change, {"webhook"}));
  EXPECT_FALSE(updated.has_webhook());
  // Without any channel the rule is refused whole; nothing changed.
  change.set_audit(false);
  EXPECT_THAT(update(change, {"audit", "threshold"}),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("at least one channel")));
  ASSERT_OK_AND_ASSIGN(rule, Rule(rule.name()));
  EXPECT_TRUE(rule.audit());
  EXPECT_EQ(rule.threshold(), 0.1);
  // A webhook again, with a new secret.
  change.mutable_webhook()->set_url(receiver.url());
  change.mutable_webhook()->set_secret("another-secret");
  ASSERT_OK_AND_ASSIGN(updated, update(change, {"webhook"}));
  EXPECT_TRUE(updated.webhook().secret_set());
  EXPECT_TRUE(updated.webhook().secret().empty());

  // Refusals, each naming what is wrong.
  EXPECT_THAT(update(change, {}), StatusIs(absl::StatusCode::kInvalidArgument,
                                           HasSubstr("update_mask")));
  EXPECT_THAT(update(change, {"cluster"}),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("cluster cannot change")));
  EXPECT_THAT(update(change, {"treshold"}),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("unknown path 'treshold'")));
  change.set_window_seconds(601);
  EXPECT_THAT(update(change, {"window_seconds"}),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("alert_rule.window_seconds")));
  change.set_etag("\"stale\"");
  EXPECT_THAT(update(change, {"threshold"}),
              StatusIs(absl::StatusCode::kAborted));
  change.set_etag("");
  change.set_name(std::string(kProject) + "/alertRules/none");
  EXPECT_THAT(update(change, {"threshold"}),
              StatusIs(absl::StatusCode::kNotFound));

  // Audited with the paths, never the secret.
  std::vector<std::string> messages;
  for (const v1::AuditEvent& e :
       Audit("organizations/acme", "action=alertRules.update")) {
    messages.push_back(e.message());
    EXPECT_THAT(e.message(), Not(HasSubstr("another-secret")));
  }
  EXPECT_THAT(messages,
              ::testing::Contains(HasSubstr("threshold, for_duration")));
}

TEST_F(AlertsTest, WebhookRetriesWithBackoffOnTheEmulatorClock) {
  Receiver receiver;
  receiver.Script({503, 500, 200});
  ASSERT_OK_AND_ASSIGN(v1::AlertRule rule,
                       Call(&v1::ControlPlane::Stub::CreateAlertRule,
                            RuleRequest("retry", receiver.url()), kAdminKey));
  v1::TestAlertRuleRequest test;
  test.set_name(rule.name());
  ASSERT_OK_AND_ASSIGN(
      v1::TestAlertRuleResponse sent,
      Call(&v1::ControlPlane::Stub::TestAlertRule, test, kAdminKey));
  EXPECT_THAT(sent.channels(), ::testing::ElementsAre("webhook", "audit"));

  v1::AlertDelivery d = WaitDelivery(rule.name(), 1);
  EXPECT_EQ(d.notification_id(), sent.notification_id());
  EXPECT_EQ(d.http_status(), 503);
  EXPECT_FALSE(d.delivered());
  // The first retry is due 1 s later on the emulator clock, the second 2 s
  // after that: the clock, not real time, lets them go.
  Advance(absl::Milliseconds(900));
  EXPECT_EQ(receiver.count(), 1u);
  Advance(absl::Milliseconds(100));
  d = WaitDelivery(rule.name(), 2);
  EXPECT_EQ(d.http_status(), 500);
  Advance(absl::Seconds(2));
  d = WaitDelivery(rule.name(), 3);
  EXPECT_TRUE(d.delivered());
  EXPECT_EQ(d.event(), "test");
  ASSERT_EQ(receiver.count(), 3u);
  auto last = receiver.WaitFor(3);
  EXPECT_EQ(last->signature, ExpectedSignature(last->body));
  EXPECT_EQ(receiver.WaitFor(1)->body, last->body);  // the same notification
}

TEST_F(AlertsTest, WebhookNeverBlocksTheControlPlane) {
  Receiver receiver;
  receiver.Hold();  // the receiver does not answer until released
  ASSERT_OK_AND_ASSIGN(v1::AlertRule rule,
                       Call(&v1::ControlPlane::Stub::CreateAlertRule,
                            RuleRequest("slow", receiver.url()), kAdminKey));
  v1::TestAlertRuleRequest test;
  test.set_name(rule.name());
  ASSERT_THAT(Call(&v1::ControlPlane::Stub::TestAlertRule, test, kAdminKey),
              IsOk());
  ASSERT_TRUE(receiver.WaitFor(1).has_value());  // the POST is in flight
  // RPCs that take the core's mutex, and the evaluation pass, go on.
  Advance(absl::Seconds(1));
  ASSERT_OK_AND_ASSIGN(v1::AlertRule got, Rule(rule.name()));
  EXPECT_EQ(got.last_delivery().attempts(), 0);
  ASSERT_THAT(GetCluster(kCluster), IsOk());
  receiver.Release();
  EXPECT_TRUE(WaitDelivery(rule.name(), 1).delivered());
}

TEST_F(AlertsTest, SilencedRulesNotifyNoChannel) {
  Receiver receiver;
  v1::CreateAlertRuleRequest req = RuleRequest("quiet", receiver.url());
  req.mutable_alert_rule()->mutable_for_duration()->set_seconds(0);
  ASSERT_OK_AND_ASSIGN(
      v1::AlertRule rule,
      Call(&v1::ControlPlane::Stub::CreateAlertRule, req, kAdminKey));
  v1::SilenceAlertRuleRequest silence;
  silence.set_name(rule.name());
  *silence.mutable_until() =
      ToProto(absl::FromUnixSeconds(1800000000) + absl::Hours(1));
  ASSERT_OK_AND_ASSIGN(
      v1::AlertRule silenced,
      Call(&v1::ControlPlane::Stub::SilenceAlertRule, silence, kAdminKey));
  EXPECT_TRUE(silenced.has_silenced_until());

  ASSERT_OK_AND_ASSIGN(
      Client data, DataClient(cluster_.endpoint(), cluster_.admin_password()));
  ASSERT_OK(data.CreateCollection("docs", 2));
  ASSERT_OK(data.Insert("docs", Rows(0, 3)).status());
  Advance(absl::ZeroDuration());
  ASSERT_OK_AND_ASSIGN(v1::AlertRule r, Rule(rule.name()));
  EXPECT_EQ(r.state(), v1::AlertRule::FIRING);  // evaluated, not notified
  for (const v1::AuditEvent& e : Audit("organizations/acme")) {
    EXPECT_NE(e.action(), "alerts.firing");
  }
  // Past the silence, the next transition notifies.
  Advance(absl::Hours(2));
  ASSERT_OK(data.DropCollection("docs"));
  Advance(absl::ZeroDuration());
  auto hit = receiver.WaitFor(1);
  ASSERT_TRUE(hit.has_value());
  EXPECT_EQ(hit->event, "resolved");
  EXPECT_EQ(receiver.count(), 1u);
}

TEST_F(AlertsTest, RequestsAreValidatedNamingTheField) {
  const auto create = [&](const v1::CreateAlertRuleRequest& r) {
    return Call(&v1::ControlPlane::Stub::CreateAlertRule, r, kAdminKey)
        .status();
  };
  for (const char* url :
       {"ftp://127.0.0.1/hook", "file:///etc/passwd", "127.0.0.1:80/x",
        "http://", "http://user:pw@127.0.0.1/x", "http://127.0.0.1:0/x",
        "http://127.0.0.1:99999/x", "http://a b/x", "javascript:alert(1)"}) {
    v1::CreateAlertRuleRequest r = RuleRequest("bad", url);
    EXPECT_THAT(create(r), StatusIs(absl::StatusCode::kInvalidArgument,
                                    HasSubstr("alert_rule.webhook.url")))
        << url;
  }
  v1::CreateAlertRuleRequest r = RuleRequest("bad", "");
  r.mutable_alert_rule()->set_audit(false);
  EXPECT_THAT(create(r), StatusIs(absl::StatusCode::kInvalidArgument,
                                  HasSubstr("at least one channel")));
  r = RuleRequest("bad", "");
  r.mutable_alert_rule()->set_metric(v1::AlertRule::METRIC_UNSPECIFIED);
  EXPECT_THAT(create(r), StatusIs(absl::StatusCode::kInvalidArgument,
                                  HasSubstr("alert_rule.metric")));
  r = RuleRequest("bad", "");
  r.mutable_alert_rule()->set_metric(v1::AlertRule::AGENT_DISCONNECTED);
  EXPECT_THAT(create(r), StatusIs(absl::StatusCode::kInvalidArgument,
                                  HasSubstr("agent-mode")));
  r = RuleRequest("bad", "");
  r.mutable_alert_rule()->mutable_for_duration()->set_nanos(5);
  EXPECT_THAT(create(r), StatusIs(absl::StatusCode::kInvalidArgument,
                                  HasSubstr("alert_rule.for_duration")));
  r = RuleRequest("bad", "");
  r.mutable_alert_rule()->set_cluster(
      "organizations/acme/projects/other/clusters/data");
  EXPECT_THAT(create(r), StatusIs(absl::StatusCode::kInvalidArgument,
                                  HasSubstr("alert_rule.cluster")));
  r = RuleRequest("bad", "");
  r.mutable_alert_rule()->set_cluster(std::string(kProject) +
                                      "/clusters/missing");
  EXPECT_THAT(create(r), StatusIs(absl::StatusCode::kNotFound));
  r = RuleRequest("good", "HTTPS://hooks.example.com:8443/alerts?team=a");
  EXPECT_THAT(create(r), IsOk());
}

TEST_F(AlertsTest, ViewersCannotCreateAndOtherOrganizationsSeeNothing) {
  ASSERT_OK_AND_ASSIGN(v1::AlertRule rule,
                       Call(&v1::ControlPlane::Stub::CreateAlertRule,
                            RuleRequest("mine", ""), kAdminKey));
  ASSERT_OK_AND_ASSIGN(v1::ApiKey viewer,
                       MakeKey("acme", "roles/project.read_only", kProject));
  EXPECT_THAT(Call(&v1::ControlPlane::Stub::CreateAlertRule,
                   RuleRequest("viewer", ""), viewer.secret())
                  .status(),
              StatusIs(absl::StatusCode::kPermissionDenied));
  EXPECT_THAT(Rule(rule.name(), viewer.secret()), IsOk());
  v1::SilenceAlertRuleRequest silence;
  silence.set_name(rule.name());
  EXPECT_THAT(
      Call(&v1::ControlPlane::Stub::SilenceAlertRule, silence, viewer.secret())
          .status(),
      StatusIs(absl::StatusCode::kPermissionDenied));

  ASSERT_THAT(MakeOrg("other", "o@example.com"), IsOk());
  ASSERT_OK_AND_ASSIGN(
      v1::ApiKey other,
      MakeKey("other", "roles/organization.owner", "organizations/other"));
  const std::string missing = std::string(kProject) + "/alertRules/missing";
  for (const std::string& name : {rule.name(), missing}) {
    absl::Status got = Rule(name, other.secret()).status();
    EXPECT_THAT(got, StatusIs(absl::StatusCode::kNotFound)) << name;
    EXPECT_EQ(got.message(), "alert rule '" + name + "' not found");
    v1::TestAlertRuleRequest test;
    test.set_name(name);
    EXPECT_THAT(
        Call(&v1::ControlPlane::Stub::TestAlertRule, test, other.secret())
            .status(),
        StatusIs(absl::StatusCode::kNotFound));
    v1::DeleteRequest del;
    del.set_name(name);
    EXPECT_THAT(
        Call(&v1::ControlPlane::Stub::DeleteAlertRule, del, other.secret())
            .status(),
        StatusIs(absl::StatusCode::kNotFound));
  }
  EXPECT_THAT(Rule(rule.name()), IsOk());  // still there
}

TEST_F(AlertsTest, SecretsAreNeverReturnedAndSurviveARestart) {
  Receiver receiver;
  ASSERT_OK_AND_ASSIGN(v1::AlertRule rule,
                       Call(&v1::ControlPlane::Stub::CreateAlertRule,
                            RuleRequest("kept", receiver.url()), kAdminKey));
  v1::ListAlertRulesRequest list;
  list.set_parent(kProject);
  ASSERT_OK_AND_ASSIGN(
      v1::ListAlertRulesResponse listed,
      Call(&v1::ControlPlane::Stub::ListAlertRules, list, kAdminKey));
  ASSERT_EQ(listed.alert_rules_size(), 1);
  EXPECT_TRUE(listed.alert_rules(0).webhook().secret_set());
  EXPECT_THAT(listed.SerializeAsString(), Not(HasSubstr(kSecret)));

  Restart(options_);
  ASSERT_OK_AND_ASSIGN(v1::AlertRule again, Rule(rule.name()));
  EXPECT_TRUE(again.webhook().secret_set());
  EXPECT_EQ(again.webhook().url(), receiver.url());
  v1::TestAlertRuleRequest test;
  test.set_name(rule.name());
  ASSERT_THAT(Call(&v1::ControlPlane::Stub::TestAlertRule, test, kAdminKey),
              IsOk());
  auto hit = receiver.WaitFor(1);
  ASSERT_TRUE(hit.has_value());
  EXPECT_EQ(hit->signature, ExpectedSignature(hit->body));

  v1::DeleteRequest del;
  del.set_name(rule.name());
  ASSERT_THAT(Call(&v1::ControlPlane::Stub::DeleteAlertRule, del, kAdminKey),
              IsOk());
  EXPECT_THAT(Rule(rule.name()), StatusIs(absl::StatusCode::kNotFound));
}

}  // namespace
}  // namespace cove::cloud::testing
