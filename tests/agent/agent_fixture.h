// Test helpers of agent mode: an agent-mode environment, a cove-agent in the
// test process, and polling of control-plane state that changes when the
// agent's stream events arrive (asynchronous by nature; polled with a
// generous real-time limit, never asserted on timing).
#ifndef COVE_TESTS_AGENT_AGENT_FIXTURE_H_
#define COVE_TESTS_AGENT_AGENT_FIXTURE_H_

#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <thread>

#include "agent/agent.h"
#include "cloud/cloud_fixture.h"

namespace cove::cloud::testing {

class AgentFixture : public CloudFixture {
 protected:
  const std::string project_ = "organizations/acme/projects/web";
  const std::string env_name_ = project_ + "/environments/edge";

  // org "acme", project "web", agent-mode environment "edge"; returns it
  // (with its one-time token).
  v1::Environment MakeAgentEnvironment() {
    EXPECT_TRUE(MakeOrg("acme", "owner@example.com").ok());
    EXPECT_TRUE(MakeProject("acme", "web").ok());
    v1::CreateEnvironmentRequest req;
    req.set_parent(project_);
    req.set_environment_id("edge");
    req.mutable_environment()->set_mode(v1::Environment::AGENT);
    req.mutable_environment()->set_region("eu-local-1");
    auto env = Call(&v1::ControlPlane::Stub::CreateEnvironment, req, kAdminKey);
    EXPECT_TRUE(env.ok()) << env.status();
    return env.ok() ? *env : v1::Environment();
  }

  agent::AgentOptions AgentOptionsFor(const std::string& control_plane,
                                      const std::string& token,
                                      const std::string& bucket) {
    agent::AgentOptions o;
    o.control_plane = control_plane;
    o.token = token;
    o.bucket = bucket;
    o.pbkdf2_iterations = 1000;
    o.min_backoff = std::chrono::milliseconds(20);
    o.max_backoff = std::chrono::milliseconds(200);
    o.host_name = "test-host";
    return o;
  }

  absl::StatusOr<v1::Environment> GetEnv(const std::string& name) {
    v1::GetRequest req;
    req.set_name(name);
    return Call(&v1::ControlPlane::Stub::GetEnvironment, req, kAdminKey);
  }

  // Polls `get` until `pred` holds (up to 20 s of real time).
  template <typename T>
  bool Eventually(const std::function<absl::StatusOr<T>()>& get,
                  const std::function<bool(const T&)>& pred, T* last) {
    for (int i = 0; i < 400; ++i) {
      auto v = get();
      if (v.ok()) {
        *last = *v;
        if (pred(*v)) return true;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    return false;
  }

  bool EnvEventually(const std::function<bool(const v1::Environment&)>& pred,
                     v1::Environment* last) {
    return Eventually<v1::Environment>([&] { return GetEnv(env_name_); }, pred,
                                       last);
  }
};

// The emulator on its manual clock, with short agent timings (heartbeats
// every 50 ms of real time; the heartbeat timeout 30 s and the operation
// timeout 5 min of the emulator clock).
class ManualClockAgentFixture : public AgentFixture {
 protected:
  void SetUp() override {
    CloudOptions o = TestCloudOptions(state_.path() + "/state");
    o.manual_clock = true;
    o.agent_heartbeat_interval = std::chrono::milliseconds(50);
    o.agent_heartbeat_timeout = std::chrono::seconds(30);
    o.agent_operation_timeout = std::chrono::minutes(5);
    StartWith(o);
  }

  void Advance(absl::Duration d) {
    v1::AdvanceClockRequest req;
    req.mutable_by()->set_seconds(absl::ToInt64Seconds(d));
    req.mutable_by()->set_nanos(static_cast<int32_t>(
        absl::ToInt64Nanoseconds(d - absl::Seconds(absl::ToInt64Seconds(d)))));
    ASSERT_TRUE(Emu(&v1::Emulator::Stub::AdvanceClock, req).ok());
  }

  absl::StatusOr<v1::Operation> GetOp(const std::string& name) {
    v1::GetRequest req;
    req.set_name(name);
    return Call(&v1::ControlPlane::Stub::GetOperation, req, kAdminKey);
  }

  // Starts the verb, moves the clock past the transition and waits for the
  // agent's result.
  v1::Operation Run(absl::StatusOr<v1::Operation> started) {
    EXPECT_TRUE(started.ok()) << started.status();
    if (!started.ok()) return {};
    Advance(absl::Seconds(1));
    auto done = Wait(started->name());
    EXPECT_TRUE(done.ok()) << done.status();
    if (!done.ok()) return {};
    EXPECT_TRUE(done->done()) << done->name() << " still pending";
    return *done;
  }

  int64_t Count(Client& data) {
    QueryRequest q;
    q.collection_name = "docs";
    q.filter = "id >= 0";
    q.output_fields = {"count(*)"};
    auto rows = data.Query(q);
    if (!rows.ok() || rows->size() != 1) return -1;
    auto it = (*rows)[0].find("count(*)");
    return it == (*rows)[0].end() ? -1 : it->second.AsInt();
  }
};

}  // namespace cove::cloud::testing

#endif  // COVE_TESTS_AGENT_AGENT_FIXTURE_H_
