// Autoscaling and metrics through the control plane, as a user program:
// turn on autoscaling for a cluster, fill it past 80% of its capacity and
// watch the autoscaler scale it up (an operation by system:autoscaler and an
// audit event that gives the reason), read the cluster's metrics before and
// after, then empty it and watch it scale back down after the cool-down.
//
//   autoscaling --endpoint http://127.0.0.1:PORT --api-key ADMIN_KEY
//               [--ca-file CA.pem] [--bucket DIR] [--org ID]
//
// The endpoint and key may also come from COVE_CLOUD_ENDPOINT and
// COVE_API_KEY. Run it against cove-cloud (see docs/cloud-emulator.md) with
// its admin key: on a real control plane the autoscaler runs on its own
// clock; here the example drives the emulator's manual clock (the Emulator
// service's SetClock and AdvanceClock), so that the five-minute cool-down
// passes at once and each autoscaler pass happens when the example says.
// docs/control-plane.md#autoscaling has the rules.

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <iomanip>
#include <iostream>
#include <string>
#include <vector>

#include "cove/cove.h"
#include "example_support.h"

namespace {

using example::Check;
using example::Expect;
using example::Must;
using example::Step;

void Show(const cove::control::Cluster& c) {
  std::cout << "    " << c.name << ": " << cove::control::ToString(c.state)
            << ", " << c.cu_size << " CU x " << c.replicas << ", "
            << c.used_vectors << " of " << c.capacity_vectors << " vectors"
            << std::endl;
}

void ShowMetrics(const cove::control::ClusterMetrics& m) {
  std::cout << std::fixed << std::setprecision(1)
            << "    metrics: " << m.vector_count << " vectors of "
            << m.capacity_vectors << " (cu_usage " << 100 * m.cu_usage << "%), "
            << m.cu_size << " CU x " << m.replicas << ", " << m.storage_bytes
            << " bytes stored, " << m.requests << " requests (" << m.errors
            << " errors), " << std::setprecision(2) << m.qps << " qps over "
            << m.window_seconds << " s, p50 " << m.latency_p50_ms << " ms, p99 "
            << m.latency_p99_ms << " ms" << std::endl;
  for (const cove::control::RequestKindMetrics& k : m.kinds) {
    if (k.requests == 0) continue;
    std::cout << "      " << k.kind << ": " << k.requests << " requests, "
              << k.errors << " errors, p95 " << k.latency_p95_ms << " ms"
              << std::endl;
  }
  std::cout.unsetf(std::ios::floatfield);
}

// The autoscaler's ScaleCluster operations on `cluster`, oldest first.
std::vector<cove::control::Operation> AutoscalerOperations(
    cove::ControlClient& cc, const std::string& project,
    const std::string& cluster) {
  cove::control::ListRequest list;
  list.parent = project;
  list.filter = "verb=ScaleCluster AND target=" + cluster;
  std::vector<cove::control::Operation> ops =
      Must(cc.ListAllOperations(list).ToVector(), "list operations");
  std::sort(ops.begin(), ops.end(), [](const auto& a, const auto& b) {
    return a.create_time < b.create_time;
  });
  return ops;
}

// Waits for the newest autoscaler operation and returns the cluster it left.
cove::control::Cluster FinishScale(cove::ControlClient& cc,
                                   const cove::control::Operation& info) {
  cove::ControlOperation op = Must(cc.GetOperation(info.name), "get operation");
  Check(op.Wait(std::chrono::minutes(1)), "wait for " + info.name);
  return Must(op.cluster(), "cluster of " + info.name);
}

void ShowAutoscaleEvents(cove::ControlClient& cc, const std::string& org,
                         size_t expected) {
  cove::control::ListAuditEventsRequest audit;
  audit.parent = org;
  audit.filter = "action=clusters.autoscale";
  std::vector<cove::control::AuditEvent> events =
      Must(cc.ListAllAuditEvents(audit).ToVector(), "list audit events");
  for (const cove::control::AuditEvent& e : events) {
    std::cout << "    audit: " << e.actor << " " << e.action << " "
              << cove::control::ToString(e.outcome) << ": " << e.message
              << std::endl;
  }
  Expect(events.size() == expected,
         std::to_string(expected) + " clusters.autoscale audit event(s)");
  Expect(events.back().actor == "system:autoscaler" &&
             events.back().outcome == cove::control::AuditOutcome::kSucceeded,
         "the event is by system:autoscaler and succeeded");
}

}  // namespace

int main(int argc, char** argv) {
  const example::Args args = example::ParseArgs(argc, argv, "autoscaling");
  const std::string& bucket = args.bucket;
  cove::ControlClient cc =
      Must(cove::ControlClient::Connect(args.options), "connect");
  cove::EmulatorClient emulator = cc.emulator();

  Step("organization, project and cross-account environment");
  const example::Landing landing =
      example::CreateCrossAccountLanding(cc, args, "search");
  const cove::control::Organization& org = landing.org;
  const cove::control::Project& project = landing.project;
  const cove::control::Environment& env = landing.env;

  Step("create cluster 'events' at 1 CU");
  cove::control::CreateClusterRequest cluster_req;
  cluster_req.parent = project.name;
  cluster_req.cluster_id = "events";
  cluster_req.cluster.environment = env.name;
  cluster_req.cluster.cu_size = 1;
  cove::control::Cluster cluster =
      Must(cc.CreateCluster(cluster_req), "create cluster");
  const std::string password = cluster.admin_password;  // shown only once
  Show(cluster);

  Step("enable autoscaling: 1..8 CU, up at 80%, down below 50% for 5 min");
  cluster.autoscaling.enabled = true;
  cluster.autoscaling.min_cu_size = 1;
  cluster.autoscaling.max_cu_size = 8;
  cluster.autoscaling.scale_up_fill_percent = 80;
  cluster.autoscaling.scale_down_fill_percent = 50;
  cluster.autoscaling.cool_down_seconds = 300;
  cluster = Must(cc.UpdateCluster(cluster, {"autoscaling"}), "update cluster");
  const cove::control::Autoscaling& as = cluster.autoscaling;
  std::cout << "    autoscaling: enabled " << std::boolalpha << as.enabled
            << ", " << as.min_cu_size << ".." << as.max_cu_size << " CU, up at "
            << as.scale_up_fill_percent << "%, down below "
            << as.scale_down_fill_percent << "% for " << as.cool_down_seconds
            << " s" << std::endl;

  Step("switch the emulator to its manual clock");
  cove::control::EmulatorSettings settings =
      Must(emulator.SetClock({}), "set clock");
  Expect(settings.manual_clock, "the emulator runs on the manual clock");

  const int64_t capacity = cluster.capacity_vectors;
  const int64_t fill = capacity * 85 / 100;
  Step("fill it to 85%: insert " + std::to_string(fill) + " vectors");
  cove::Client data = Must(
      [&]() {
        cove::ClientOptions o;
        o.remote.user =
            cluster.admin_user.empty() ? "root" : cluster.admin_user;
        o.remote.password = password;
        o.remote.timeout = std::chrono::seconds(30);
        return cove::Client::Open(cluster.endpoint, o);
      }(),
      "data client");
  Check(data.CreateCollection("events", 8), "create collection");
  for (int64_t start = 0; start < fill; start += 1000) {
    std::vector<cove::Row> rows;
    for (int64_t i = start; i < std::min(fill, start + 1000); ++i) {
      const float x = static_cast<float>(i % 97);
      rows.push_back(cove::Row{
          {"id", cove::Value(i)},
          {"vector", cove::Value::FloatVector({x, 1, 2, 3, 4, 5, 6, x})}});
    }
    Must(data.Insert("events", rows), "insert");
  }
  cove::SearchRequest search;
  search.collection_name = "events";
  search.vectors = {1, 1, 2, 3, 4, 5, 6, 1};
  search.dim = 8;
  search.limit = 5;
  for (int i = 0; i < 3; ++i) Must(data.Search(search), "search");
  cove::control::ClusterMetrics before =
      Must(cc.GetClusterMetrics(cluster.name, 60), "metrics");
  ShowMetrics(before);
  Expect(before.vector_count == fill && before.cu_usage >= 0.8,
         "the cluster is filled past 80%");

  Step("an autoscaler pass (advance the clock 1 s): scale up");
  Must(emulator.AdvanceClock(std::chrono::seconds(1)), "advance clock");
  std::vector<cove::control::Operation> ops =
      AutoscalerOperations(cc, project.name, cluster.name);
  Expect(ops.size() == 1, "one ScaleCluster operation by the autoscaler");
  std::cout << "    operation " << ops.back().name << " " << ops.back().verb
            << " " << ops.back().target
            << (ops.back().done ? " (done)" : " (running)") << std::endl;
  ShowAutoscaleEvents(cc, org.name, 1);
  // The transition takes the emulator's transition delay, on its clock.
  Must(emulator.AdvanceClock(std::chrono::seconds(1)), "advance clock");
  cluster = FinishScale(cc, ops.back());
  Show(cluster);
  Expect(cluster.cu_size == 2, "scaled up to 2 CU");
  cove::control::ClusterMetrics after =
      Must(cc.GetClusterMetrics(cluster.name, 60), "metrics");
  ShowMetrics(after);
  Expect(after.capacity_vectors == 2 * capacity && after.cu_usage < 0.8,
         "twice the capacity, below 80%");

  Step("delete most rows: the fill drops to 5%");
  cove::DeleteRequest del;
  del.collection_name = "events";
  del.filter = "id >= " + std::to_string(capacity / 10);
  Must(data.Delete(del), "delete");
  Must(emulator.AdvanceClock(std::chrono::seconds(1)), "advance clock");
  Expect(AutoscalerOperations(cc, project.name, cluster.name).size() == 1,
         "no scale-down before the cool-down");
  std::cout << "    no change yet: the fill must stay low for 5 minutes"
            << std::endl;

  Step("advance the clock by the cool-down: scale down");
  Must(emulator.AdvanceClock(std::chrono::minutes(5)), "advance clock");
  ops = AutoscalerOperations(cc, project.name, cluster.name);
  Expect(ops.size() == 2, "a second ScaleCluster operation");
  ShowAutoscaleEvents(cc, org.name, 2);
  Must(emulator.AdvanceClock(std::chrono::seconds(1)), "advance clock");
  cluster = FinishScale(cc, ops.back());
  Show(cluster);
  Expect(cluster.cu_size == 1, "scaled back down to 1 CU");
  ShowMetrics(Must(cc.GetClusterMetrics(cluster.name, 60), "metrics"));

  Step("back to the real clock");
  cove::control::SetClockRequest real;
  real.real = true;
  Must(emulator.SetClock(real), "set clock");

  std::error_code ec;
  std::filesystem::remove_all(bucket, ec);
  std::cout << "done" << std::endl;
  return 0;
}
