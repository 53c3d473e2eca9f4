// Agent mode (issue 19, alerts): an AGENT_DISCONNECTED rule on a cluster of
// an agent-mode environment goes pending when the agent's stream ends, fires
// after its duration on the emulator clock (an audit notification) and
// resolves when the agent is back. Cross-account mode and the webhook
// channel: tests/cloud/alerts_test.cc.
#include "agent/agent_fixture.h"
#include "gmock/gmock.h"

namespace cove::cloud::testing {
namespace {

class AgentAlertsTest : public ManualClockAgentFixture {
 protected:
  // Evaluates (AdvanceClock by 0) and reads the rule until `state`.
  bool RuleEventually(const std::string& name, v1::AlertRule::State state,
                      v1::AlertRule* last) {
    return Eventually<v1::AlertRule>(
        [&]() -> absl::StatusOr<v1::AlertRule> {
          Advance(absl::ZeroDuration());
          v1::GetRequest req;
          req.set_name(name);
          return Call(&v1::ControlPlane::Stub::GetAlertRule, req, kAdminKey);
        },
        [&](const v1::AlertRule& r) { return r.state() == state; }, last);
  }
};

TEST_F(AgentAlertsTest, AgentDisconnectedFiresAndResolves) {
  v1::Environment env = MakeAgentEnvironment();
  const std::string bucket = state_.path() + "/customer-bucket";
  agent::AgentOptions options =
      AgentOptionsFor(server_->address(), env.agent_token(), bucket);
  auto agent = agent::Agent::Start(options);
  ASSERT_TRUE(agent.ok()) << agent.status();
  ASSERT_TRUE((*agent)->WaitConnected(absl::Seconds(20)))
      << (*agent)->last_error();
  v1::CreateClusterRequest create;
  create.set_parent(project_);
  create.set_cluster_id("edge-db");
  create.mutable_cluster()->set_environment(env_name_);
  v1::Operation op =
      Run(Call(&v1::ControlPlane::Stub::CreateCluster, create, kAdminKey));
  ASSERT_EQ(op.error_code(), 0) << op.error_message();

  v1::CreateAlertRuleRequest req;
  req.set_parent(project_);
  req.set_alert_rule_id("agent-gone");
  req.mutable_alert_rule()->set_cluster(op.cluster().name());
  req.mutable_alert_rule()->set_metric(v1::AlertRule::AGENT_DISCONNECTED);
  req.mutable_alert_rule()->mutable_for_duration()->set_seconds(60);
  req.mutable_alert_rule()->set_audit(true);
  auto rule = Call(&v1::ControlPlane::Stub::CreateAlertRule, req, kAdminKey);
  ASSERT_TRUE(rule.ok()) << rule.status();
  v1::AlertRule r;
  ASSERT_TRUE(RuleEventually(rule->name(), v1::AlertRule::INACTIVE, &r));
  EXPECT_TRUE(r.has_value());
  EXPECT_EQ(r.value(), 0);

  agent->reset();  // the agent stops: its stream ends
  ASSERT_TRUE(RuleEventually(rule->name(), v1::AlertRule::PENDING, &r))
      << r.DebugString();
  EXPECT_EQ(r.value(), 1);
  Advance(absl::Seconds(60));
  ASSERT_TRUE(RuleEventually(rule->name(), v1::AlertRule::FIRING, &r));
  int firing = 0;
  for (const v1::AuditEvent& e : Audit("organizations/acme")) {
    if (e.action() == "alerts.firing" && e.resource() == rule->name()) ++firing;
  }
  EXPECT_EQ(firing, 1);

  options.token.clear();  // the agent's saved credential from now on
  auto again = agent::Agent::Start(options);
  ASSERT_TRUE(again.ok()) << again.status();
  ASSERT_TRUE((*again)->WaitConnected(absl::Seconds(20)))
      << (*again)->last_error();
  ASSERT_TRUE(RuleEventually(rule->name(), v1::AlertRule::RESOLVED, &r));
}

}  // namespace
}  // namespace cove::cloud::testing
