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

}  // namespace cove::cloud::testing

#endif  // COVE_TESTS_AGENT_AGENT_FIXTURE_H_
