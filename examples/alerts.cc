// Alerts through the control plane, as a user program: a local webhook
// receiver (cpp-httplib) checks each notification's HMAC signature; an alert
// rule on a cluster's CU usage goes pending, fires after its duration and
// resolves, on the emulator's manual clock; a test notification, a silence,
// a raised threshold (UpdateAlertRule) and the audit log's alert events.
//
//   alerts --endpoint http://127.0.0.1:PORT --api-key ADMIN_KEY
//          [--ca-file CA.pem] [--bucket DIR] [--org ID]
//
// Run it against cove-cloud with its admin key (see docs/cloud-emulator.md):
// it moves the emulator's clock. docs/control-plane.md#alerts has the rules.

#include <httplib.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <chrono>
#include <condition_variable>
#include <cstring>
#include <iostream>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "cove/cove.h"
#include "example_support.h"

namespace {

using example::Check;
using example::Expect;
using example::Must;
using example::Step;

constexpr char kSecret[] = "example-webhook-secret";

std::string Sign(const std::string& body) {
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  HMAC(EVP_sha256(), kSecret, static_cast<int>(std::strlen(kSecret)),
       reinterpret_cast<const unsigned char*>(body.data()), body.size(), mac,
       &len);
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out = "sha256=";
  for (unsigned int i = 0; i < len; ++i) {
    out += kHex[mac[i] >> 4];
    out += kHex[mac[i] & 0xf];
  }
  return out;
}

// The customer's webhook endpoint: keeps the events of correctly signed
// notifications, refuses the others (401).
class Receiver {
 public:
  Receiver() {
    server_.Post(
        "/alerts", [this](const httplib::Request& req, httplib::Response& res) {
          if (req.get_header_value("X-Cove-Signature") != Sign(req.body)) {
            res.status = 401;
            return;
          }
          std::lock_guard<std::mutex> lock(mu_);
          events_.push_back(req.get_header_value("X-Cove-Event"));
          std::cout << "    webhook received: " << req.body << std::endl;
          cv_.notify_all();
        });
    port_ = server_.bind_to_any_port("127.0.0.1");
    thread_ = std::thread([this] { server_.listen_after_bind(); });
  }
  ~Receiver() {
    server_.stop();
    thread_.join();
  }
  std::string url() const {
    return "http://127.0.0.1:" + std::to_string(port_) + "/alerts";
  }
  // The n-th event ("" when none came within 30 s).
  std::string Wait(size_t n) {
    std::unique_lock<std::mutex> lock(mu_);
    cv_.wait_for(lock, std::chrono::seconds(30),
                 [&] { return events_.size() >= n; });
    return events_.size() >= n ? events_[n - 1] : "";
  }
  size_t count() {
    std::lock_guard<std::mutex> lock(mu_);
    return events_.size();
  }

 private:
  httplib::Server server_;
  int port_ = 0;
  std::thread thread_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<std::string> events_;
};

void PrintRule(const cove::control::AlertRule& r) {
  std::cout << "    " << r.name << ": " << cove::control::ToString(r.state);
  if (r.has_value) std::cout << " (value " << r.value << ")";
  std::cout << std::endl;
}

}  // namespace

int main(int argc, char** argv) {
  const example::Args args = example::ParseArgs(argc, argv, "alerts");
  cove::ControlClient cc =
      Must(cove::ControlClient::Connect(args.options), "connect");
  cove::EmulatorClient emulator = cc.emulator();

  Step("organization, project and cross-account environment");
  const example::Landing landing =
      example::CreateCrossAccountLanding(cc, args, "watched");
  const std::string project = landing.project.name;
  cove::control::UpdateEmulatorSettingsRequest small;
  small.vectors_per_cu["performance"] = 10;  // 10 vectors fill a CU here
  Must(emulator.UpdateSettings(small), "update settings");

  Step("create cluster 'search' (1 CU: 10 vectors)");
  cove::control::CreateClusterRequest create;
  create.parent = project;
  create.cluster_id = "search";
  create.cluster.environment = landing.env.name;
  const cove::control::Cluster cluster =
      Must(cc.CreateCluster(create), "create cluster");
  Must(emulator.SetClock({}), "switch to the manual clock");

  Step("a webhook receiver, and a rule: CU usage > 0.2 for 5 minutes");
  Receiver receiver;
  cove::control::CreateAlertRuleRequest req;
  req.parent = project;
  req.alert_rule_id = "search-full";
  req.alert_rule.cluster = cluster.name;
  req.alert_rule.metric = cove::control::AlertMetric::kCuUsage;
  req.alert_rule.threshold = 0.2;
  req.alert_rule.for_duration = std::chrono::minutes(5);
  req.alert_rule.webhook = cove::control::AlertWebhook{};
  req.alert_rule.webhook->url = receiver.url();
  req.alert_rule.webhook->secret = kSecret;
  req.alert_rule.audit = true;
  cove::control::AlertRule rule =
      Must(cc.CreateAlertRule(req), "create alert rule");
  PrintRule(rule);
  Expect(
      rule.webhook && rule.webhook->secret_set && rule.webhook->secret.empty(),
      "the secret is set and never returned");
  req.alert_rule.webhook->url = "ftp://127.0.0.1/alerts";
  req.alert_rule_id = "bad";
  absl::Status bad = cc.CreateAlertRule(req).status();
  std::cout << "    an ftp:// webhook: " << bad << std::endl;
  Expect(absl::IsInvalidArgument(bad), "non-http(s) URLs are refused");

  Step("a test notification");
  const cove::control::TestAlertRuleResult sent =
      Must(cc.TestAlertRule(rule.name), "test");
  Expect(receiver.Wait(1) == "test", "the receiver got the signed test");

  Step("3 vectors: usage 0.3 > 0.2, pending");
  cove::ClientOptions o;
  o.remote.user = "root";
  o.remote.password = cluster.admin_password;
  cove::Client data = Must(cove::Client::Open(cluster.endpoint, o), "data");
  Check(data.CreateCollection("docs", 2), "create collection");
  std::vector<cove::Row> rows;
  for (int i = 0; i < 3; ++i) {
    rows.push_back(
        cove::Row{{"id", cove::Value(static_cast<int64_t>(i))},
                  {"vector", cove::Value::FloatVector({1.0f, 1.0f * i})}});
  }
  Must(data.Insert("docs", rows), "insert");
  Must(emulator.AdvanceClock(std::chrono::seconds(0)), "evaluate");
  rule = Must(cc.GetAlertRule(rule.name), "get rule");
  PrintRule(rule);
  Expect(rule.state == cove::control::AlertState::kPending, "pending");

  Step("5 minutes later (emulator clock): firing, notified");
  Must(emulator.AdvanceClock(std::chrono::minutes(5)), "advance clock");
  rule = Must(cc.GetAlertRule(rule.name), "get rule");
  PrintRule(rule);
  Expect(rule.state == cove::control::AlertState::kFiring, "firing");
  Expect(receiver.Wait(2) == "firing", "the receiver got 'firing'");

  Step("drop the collection: resolved, notified");
  Check(data.DropCollection("docs"), "drop collection");
  Must(emulator.AdvanceClock(std::chrono::seconds(10)), "advance clock");
  rule = Must(cc.GetAlertRule(rule.name), "get rule");
  PrintRule(rule);
  Expect(rule.state == cove::control::AlertState::kResolved, "resolved");
  Expect(receiver.Wait(3) == "resolved", "the receiver got 'resolved'");

  Step("silence the rule for a day: the next firing notifies nobody");
  cove::control::SilenceAlertRuleRequest silence;
  silence.name = rule.name;
  silence.until =
      Must(emulator.GetSettings(), "settings").now + std::chrono::hours(24);
  Must(cc.SilenceAlertRule(silence), "silence");
  Check(data.CreateCollection("more", 2), "create collection");
  Must(data.Insert("more", rows), "insert");
  Must(emulator.AdvanceClock(std::chrono::seconds(0)), "evaluate: pending");
  Must(emulator.AdvanceClock(std::chrono::minutes(5)), "advance clock");
  rule = Must(cc.GetAlertRule(rule.name), "get rule");
  PrintRule(rule);
  Expect(rule.state == cove::control::AlertState::kFiring, "firing again");
  Expect(receiver.count() == 3, "silenced: no webhook");

  Step("raise the threshold to 0.5: the evaluation restarts, 0.3 < 0.5");
  cove::control::AlertRule raised;
  raised.name = rule.name;
  raised.threshold = 0.5;
  raised.etag = rule.etag;  // fails (ABORTED) if someone changed it since
  rule = Must(cc.UpdateAlertRule(raised, {"threshold"}), "update");
  PrintRule(rule);
  Expect(rule.threshold == 0.5 &&
             rule.state == cove::control::AlertState::kInactive,
         "inactive with the new threshold");
  Must(emulator.AdvanceClock(std::chrono::minutes(5)), "advance clock");
  rule = Must(cc.GetAlertRule(rule.name), "get rule");
  Expect(rule.state == cove::control::AlertState::kInactive, "still inactive");

  Step("the audit log's alert events");
  cove::control::ListAuditEventsRequest audit;
  audit.parent = project;
  audit.filter = "resource=" + rule.name;
  int alerts = 0;
  for (const cove::control::AuditEvent& e :
       Must(cc.ListAuditEvents(audit), "audit").items) {
    std::cout << "    " << e.action << ": " << e.message << std::endl;
    if (e.action.rfind("alerts.", 0) == 0) ++alerts;
  }
  Expect(alerts == 3, "test, firing and resolved in the audit log");

  Check(cc.DeleteAlertRule({rule.name}), "delete rule");
  std::cout << "done" << std::endl;
  return 0;
}
