// Versions and upgrades through the control plane, as a user program: the
// vendor publishes releases (the emulator's catalog); a cluster shows its
// version and available upgrades; an upgrade to a broken release is rolled
// back with the data intact; a sound one is scheduled in the project's
// maintenance window, waits for it on the emulator's clock, then runs.
//
//   upgrades --endpoint http://127.0.0.1:PORT --api-key ADMIN_KEY
//            [--ca-file CA.pem] [--bucket DIR] [--org ID]
//
// Run it against cove-cloud with its admin key (see docs/cloud-emulator.md).
// docs/control-plane.md#versions-and-upgrades has the rules.

#include <chrono>
#include <iostream>
#include <string>
#include <tuple>
#include <vector>

#include "cove/cove.h"
#include "example_support.h"

namespace {

using example::Check;
using example::Expect;
using example::Must;
using example::Step;

void PrintCluster(const cove::control::Cluster& c) {
  std::cout << "    " << c.name << ": " << cove::control::ToString(c.state)
            << " on release " << c.version << ", upgrades:";
  for (const std::string& v : c.available_upgrades) std::cout << " " << v;
  if (c.scheduled_upgrade) {
    std::cout << " (upgrade to " << c.scheduled_upgrade->version
              << " scheduled at "
              << example::Time(c.scheduled_upgrade->start_time) << ")";
  }
  std::cout << std::endl;
}

int64_t CountRows(const cove::control::Cluster& c,
                  const std::string& password) {
  cove::ClientOptions o;
  o.remote.user = "root";
  o.remote.password = password;
  cove::Client data = Must(cove::Client::Open(c.endpoint, o), "connect");
  cove::QueryRequest q;
  q.collection_name = "docs";
  q.filter = "id >= 0";
  q.output_fields = {"id"};
  q.limit = 1000;
  return static_cast<int64_t>(Must(data.Query(q), "query").size());
}

}  // namespace

int main(int argc, char** argv) {
  const example::Args args = example::ParseArgs(argc, argv, "upgrades");
  cove::ControlClient cc =
      Must(cove::ControlClient::Connect(args.options), "connect");
  cove::EmulatorClient emulator = cc.emulator();

  Step(
      "the vendor publishes releases 7.0.0 (default), 7.1.0 and a broken "
      "7.0.1");
  cove::control::UpdateEmulatorSettingsRequest settings;
  for (const auto& [version, from, broken] :
       {std::tuple<std::string, std::string, bool>{"7.0.0", "", false},
        {"7.1.0", "7.0.0", false},
        {"7.0.1", "7.0.0", true}}) {
    cove::control::Release r;
    r.version = version;
    r.release_notes = "example release " + version;
    if (!from.empty()) r.upgrades_from = {from};
    r.is_default = version == "7.0.0";
    r.broken = broken;
    settings.releases.push_back(r);
  }
  Must(emulator.UpdateSettings(settings), "publish releases");
  for (const cove::control::Release& r : Must(cc.ListReleases(), "releases")) {
    std::cout << "    " << r.version << (r.is_default ? " (default)" : "")
              << (r.broken ? " (broken)" : "") << std::endl;
  }

  Step("organization, project, environment and a cluster with 25 rows");
  const example::Landing landing =
      example::CreateCrossAccountLanding(cc, args, "upgraded");
  const std::string project = landing.project.name;
  cove::control::CreateClusterRequest create;
  create.parent = project;
  create.cluster_id = "search";
  create.cluster.environment = landing.env.name;
  create.cluster.cu_size = 1;
  cove::control::Cluster c = Must(cc.CreateCluster(create), "create cluster");
  const std::string password = c.admin_password;
  {
    cove::ClientOptions o;
    o.remote.user = "root";
    o.remote.password = password;
    cove::Client data = Must(cove::Client::Open(c.endpoint, o), "connect");
    Check(data.CreateCollection("docs", 2), "create collection");
    std::vector<cove::Row> rows;
    for (int i = 0; i < 25; ++i) {
      rows.push_back(
          cove::Row{{"id", cove::Value(static_cast<int64_t>(i))},
                    {"vector", cove::Value::FloatVector({1.0f * i, 1.0f})}});
    }
    Must(data.Insert("docs", rows), "insert");
  }
  c = Must(cc.GetCluster(c.name), "get cluster");
  PrintCluster(c);
  Expect(c.version == "7.0.0", "new clusters get the default release");

  Step("upgrade to the broken 7.0.1: health check fails, rolled back");
  cove::control::UpgradeClusterRequest up;
  up.name = c.name;
  up.version = "7.0.1";
  absl::StatusOr<cove::control::Cluster> failed = cc.UpgradeCluster(up);
  std::cout << "    " << failed.status() << std::endl;
  Expect(!failed.ok(), "the upgrade failed");
  c = Must(cc.GetCluster(c.name), "get cluster");
  PrintCluster(c);
  Expect(
      c.version == "7.0.0" && c.state == cove::control::ClusterState::kRunning,
      "back on 7.0.0 and RUNNING");
  Expect(CountRows(c, password) == 25, "all 25 rows are there");

  Step(
      "the project's maintenance window: Sundays 03:00 for 2 h, "
      "America/New_York");
  cove::control::SetClockRequest clock;
  clock.time = std::chrono::system_clock::from_time_t(1'800'000'000);
  Must(emulator.SetClock(clock), "manual clock");  // Fri 2027-01-15 08:00 UTC
  cove::control::MaintenanceWindow window;
  window.day_of_week = "SUNDAY";
  window.start_time = "03:00";
  window.duration = std::chrono::hours(2);
  window.time_zone = "America/New_York";
  const cove::control::MaintenanceWindowInfo info =
      Must(cc.SetMaintenanceWindow(project, window), "set window");
  std::cout << "    next opening: " << example::Time(info.next_start_time)
            << std::endl;

  Step("schedule the upgrade to 7.1.0: it waits for the window");
  up.version = "7.1.0";
  up.schedule = true;
  cove::ControlOperation op = Must(cc.StartUpgradeCluster(up), "schedule");
  c = Must(cc.GetCluster(c.name), "get cluster");
  PrintCluster(c);
  Expect(c.scheduled_upgrade.has_value(), "the upgrade is scheduled");
  Must(emulator.AdvanceClock(std::chrono::hours(24)), "advance 24 h");
  c = Must(cc.GetCluster(c.name), "get cluster");
  Expect(c.version == "7.0.0", "Saturday: still 7.0.0");

  Step(
      "Sunday 03:00 in New York (08:00 UTC): the window opens, the upgrade "
      "runs");
  Must(emulator.AdvanceClock(std::chrono::hours(24)), "advance 24 h");
  Check(op.Wait(), "wait for the upgrade");
  c = Must(cc.GetCluster(c.name), "get cluster");
  PrintCluster(c);
  Expect(c.version == "7.1.0", "now on 7.1.0");
  Expect(CountRows(c, password) == 25, "all 25 rows are still there");
  std::cout << "done" << std::endl;
  return 0;
}
