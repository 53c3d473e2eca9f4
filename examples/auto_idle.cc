// Auto-idle through the control plane, as a user program: give a cluster an
// idle_timeout, write to it, let it go IDLE (compute released, endpoint
// kept), then wake it with a data-plane request and read every row back.
//
//   auto_idle --endpoint http://127.0.0.1:PORT --api-key ADMIN_KEY
//             [--ca-file CA.pem] [--bucket DIR] [--org ID]
//
// Run it against cove-cloud with its admin key (see
// docs/cloud-emulator.md): the example drives the emulator's manual clock
// (SetClock, AdvanceClock) so that ten idle minutes pass at once.
// docs/control-plane.md#auto-idle has the rules. It uses a cross-account
// environment; examples/agent_mode.sh shows auto-idle in agent mode (the
// agent idles the cluster and wakes it on the first call).

#include <chrono>
#include <iostream>
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

absl::StatusOr<cove::Client> DataClient(const cove::control::Cluster& c,
                                        const std::string& password) {
  cove::ClientOptions o;
  o.remote.user = c.admin_user.empty() ? "root" : c.admin_user;
  o.remote.password = password;
  o.remote.timeout = std::chrono::seconds(30);
  o.remote.max_attempts = 1;  // show the first answer of an idle cluster
  return cove::Client::Open(c.endpoint, o);
}

// Rows of "notes" as a fresh client sees them.
absl::StatusOr<int64_t> CountRows(const cove::control::Cluster& c,
                                  const std::string& password) {
  auto data = DataClient(c, password);
  if (!data.ok()) return data.status();
  cove::QueryRequest q;
  q.collection_name = "notes";
  q.output_fields = {"count(*)"};
  auto rows = data->Query(q);
  if (!rows.ok()) return rows.status();
  return rows->at(0).at("count(*)").AsInt();
}

}  // namespace

int main(int argc, char** argv) {
  const example::Args args = example::ParseArgs(argc, argv, "auto_idle");
  cove::ControlClient cc =
      Must(cove::ControlClient::Connect(args.options), "connect");
  cove::EmulatorClient emulator = cc.emulator();

  Step("organization, project and cross-account environment");
  const example::Landing landing =
      example::CreateCrossAccountLanding(cc, args, "notes");
  Step("switch the emulator to its manual clock");
  Must(emulator.SetClock({}), "set clock");

  Step("create cluster 'notes' that idles after 10 minutes without requests");
  cove::control::CreateClusterRequest req;
  req.parent = landing.project.name;
  req.cluster_id = "notes";
  req.cluster.environment = landing.env.name;
  req.cluster.idle_timeout = std::chrono::minutes(10);
  cove::ControlOperation op =
      Must(cc.StartCreateCluster(req), "start create cluster");
  Must(emulator.AdvanceClock(std::chrono::seconds(1)), "advance clock");
  Check(op.Wait(std::chrono::minutes(1)), "wait for the create");
  cove::control::Cluster cluster = Must(op.cluster(), "created cluster");
  const std::string password = cluster.admin_password;  // shown only once
  std::cout << "    " << cluster.name << ": "
            << cove::control::ToString(cluster.state) << " at "
            << cluster.endpoint << ", idle_timeout "
            << std::chrono::duration_cast<std::chrono::seconds>(
                   cluster.idle_timeout)
                   .count()
            << " s" << std::endl;

  Step("write 100 rows");
  {
    cove::Client data = Must(DataClient(cluster, password), "data client");
    Check(data.CreateCollection("notes", 4), "create collection");
    std::vector<cove::Row> rows;
    for (int64_t i = 0; i < 100; ++i) {
      const float x = static_cast<float>(i);
      rows.push_back(
          cove::Row{{"id", cove::Value(i)},
                    {"vector", cove::Value::FloatVector({x, 1, 2, 3})}});
    }
    Must(data.Insert("notes", rows), "insert");
  }

  Step("ten quiet minutes pass");
  Must(emulator.AdvanceClock(std::chrono::minutes(10)), "advance clock");
  cluster = Must(cc.GetCluster(cluster.name), "get cluster");
  std::cout << "    " << cove::control::ToString(cluster.state) << " since "
            << example::Time(cluster.idle_time) << ", endpoint still "
            << cluster.endpoint << std::endl;
  Expect(cluster.state == cove::control::ClusterState::kIdle,
         "the cluster is IDLE");

  Step("the first request wakes it");
  const auto start = std::chrono::steady_clock::now();
  absl::StatusOr<int64_t> rows = CountRows(cluster, password);
  std::cout << "    first answer: "
            << (rows.ok() ? std::string("OK") : rows.status().ToString())
            << std::endl;
  Expect(!rows.ok() && absl::IsUnavailable(rows.status()),
         "an idle cluster answers UNAVAILABLE (retryable)");
  while (!rows.ok() &&
         std::chrono::steady_clock::now() - start < std::chrono::seconds(30)) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
    rows = CountRows(cluster, password);
  }
  const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                      std::chrono::steady_clock::now() - start)
                      .count();
  Check(rows.status(), "read after the wake");
  std::cout << "    serving again after " << ms << " ms: " << *rows << " rows"
            << std::endl;
  Expect(*rows == 100, "every row written before the idle is there");
  cluster = Must(cc.GetCluster(cluster.name), "get cluster");
  Expect(cluster.state == cove::control::ClusterState::kRunning,
         "the cluster is RUNNING again");

  Step("the audit log tells the story");
  cove::control::ListAuditEventsRequest audit;
  audit.parent = landing.org.name;
  audit.filter = "resource=" + cluster.name;
  int idle_events = 0;
  for (const auto& e :
       Must(cc.ListAllAuditEvents(audit).ToVector(), "list audit events")) {
    if (e.action != "clusters.idle" && e.action != "clusters.wake") continue;
    ++idle_events;
    std::cout << "    " << e.action << " by " << e.actor << ": " << e.message
              << std::endl;
  }
  Expect(idle_events == 2, "one idle and one wake event");
  std::cout << "done" << std::endl;
  return 0;
}
