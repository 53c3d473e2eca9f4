// Versions and upgrades (issue 19): `cove releases list`, `cove clusters
// upgrade` and `cove clusters maintenance-window set|get|clear`.
#include <CLI/CLI.hpp>
#include <iostream>
#include <optional>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "cli/cli.h"
#include "common/status_macros.h"

namespace cove::cli {
namespace {

Json ReleaseJson(const control::Release& r) {
  Json j;
  j["version"] = r.version;
  j["release_notes"] = r.release_notes;
  j["upgrades_from"] = r.upgrades_from;
  j["default"] = r.is_default;
  j["broken"] = r.broken;
  return j;
}

Json WindowInfoJson(const std::string& name,
                    const control::MaintenanceWindowInfo& w) {
  Json j;
  j["name"] = name;
  j["window"] = nullptr;
  if (w.window.has_value()) j["window"] = ToJson(*w.window);
  j["source"] = w.source;
  j["next_start_time"] = nullptr;
  if (control::IsSet(w.next_start_time))
    j["next_start_time"] = FormatTime(w.next_start_time);
  return j;
}

absl::Status Show(Context& ctx, const Json& j) {
  if (ctx.json()) {
    std::cout << j.dump(2) << std::endl;
  } else {
    PrintDetails(std::cout, j);
  }
  return absl::OkStatus();
}

// The cluster named by `id`, or the project (--project) without one.
absl::StatusOr<std::string> WindowTarget(Context& ctx, const std::string& id) {
  if (id.empty()) return ctx.Project();
  return ctx.ProjectChild(id, "clusters");
}

}  // namespace

void AddUpgradeCommands(CLI::App& app, Context& ctx) {
  CLI::App* releases = app.add_subcommand(
      "releases", "The release catalog of the data plane (issue 19).");
  releases->require_subcommand(1);
  {
    auto cluster = std::make_shared<std::string>();
    CLI::App* cmd = releases->add_subcommand(
        "list", "The releases, oldest first (with --cluster: its upgrades).");
    cmd->add_option("--cluster", *cluster,
                    "only the releases this cluster can be upgraded to");
    ctx.OnCall(cmd, [&ctx, cluster](ControlClient& c) -> absl::Status {
      std::string name;
      if (!cluster->empty()) {
        COVE_ASSIGN_OR_RETURN(name, ctx.ProjectChild(*cluster, "clusters"));
      }
      COVE_ASSIGN_OR_RETURN(auto list, c.ListReleases(name, ctx.Call()));
      Json items = Json::array();
      for (const control::Release& r : list) items.push_back(ReleaseJson(r));
      if (ctx.json()) {
        std::cout << items.dump(2) << std::endl;
        return absl::OkStatus();
      }
      for (const control::Release& r : list) {
        std::cout << r.version << (r.is_default ? "  (default)" : "")
                  << (r.broken ? "  (broken)" : "") << "  upgrades from: "
                  << (r.upgrades_from.empty()
                          ? std::string("-")
                          : absl::StrJoin(r.upgrades_from, ", "))
                  << "\n";
      }
      return absl::OkStatus();
    });
  }

  CLI::App* clusters = app.get_subcommand("clusters");
  {
    struct Flags {
      std::string id, version;
      bool schedule = false, defer = false, run_now = false;
      WaitFlags wait;
    };
    auto f = std::make_shared<Flags>();
    CLI::App* cmd = clusters->add_subcommand(
        "upgrade",
        "Restart the cluster's data plane on another release (same data and "
        "endpoint; health-checked, rolled back on failure), now or in its "
        "maintenance window.");
    cmd->add_option("CLUSTER", f->id, "cluster id or name")->required();
    cmd->add_option("--version", f->version,
                    "a release of the catalog (cove releases list)");
    cmd->add_flag("--schedule", f->schedule,
                  "run in the next maintenance window instead of now");
    cmd->add_flag("--defer", f->defer,
                  "move the scheduled upgrade to the window after");
    cmd->add_flag("--run-now", f->run_now, "run the scheduled upgrade now");
    AddWaitFlags(cmd, f->wait);
    ctx.OnCall(cmd, [&ctx, f](ControlClient& c) -> absl::Status {
      if (static_cast<int>(f->schedule) + static_cast<int>(f->defer) +
              static_cast<int>(f->run_now) >
          1) {
        return absl::InvalidArgumentError(
            "--schedule, --defer, --run-now: expected at most one");
      }
      COVE_ASSIGN_OR_RETURN(auto name, ctx.ProjectChild(f->id, "clusters"));
      control::UpgradeClusterRequest req;
      req.name = name;
      req.version = f->version;
      req.schedule = f->schedule;
      if (f->defer) req.action = control::UpgradeClusterRequest::Action::kDefer;
      if (f->run_now)
        req.action = control::UpgradeClusterRequest::Action::kRunNow;
      WaitFlags wait = f->wait;
      if (f->schedule || f->defer) wait.wait = false;  // it waits for a window
      return FinishClusterOperation(
          ctx, wait, [&] { return c.StartUpgradeCluster(req, ctx.Call()); });
    });
  }
  CLI::App* group = clusters->add_subcommand(
      "maintenance-window",
      "The weekly maintenance window of a cluster, or (without CLUSTER) of "
      "the project given by --project: scheduled upgrades run only inside "
      "it.");
  group->require_subcommand(1);
  {
    struct Flags {
      std::string id, day, start, duration = "2h", time_zone;
    };
    auto f = std::make_shared<Flags>();
    CLI::App* cmd = group->add_subcommand("set", "Set the window.");
    cmd->add_option("CLUSTER", f->id, "cluster id or name (none: the project)");
    cmd->add_option("--day", f->day, "MONDAY .. SUNDAY")->required();
    cmd->add_option("--start", f->start, "HH:MM in the time zone")->required();
    cmd->add_option("--duration", f->duration,
                    "how long it stays open (30m to 24h; default 2h)");
    cmd->add_option("--time-zone", f->time_zone,
                    "IANA time zone, e.g. Europe/Paris (default UTC)");
    ctx.OnCall(cmd, [&ctx, f](ControlClient& c) -> absl::Status {
      COVE_ASSIGN_OR_RETURN(auto name, WindowTarget(ctx, f->id));
      COVE_ASSIGN_OR_RETURN(auto duration,
                            ParseDuration(f->duration, "--duration"));
      control::MaintenanceWindow w;
      w.day_of_week = f->day;
      w.start_time = f->start;
      w.duration = duration;
      w.time_zone = f->time_zone;
      COVE_ASSIGN_OR_RETURN(auto info,
                            c.SetMaintenanceWindow(name, w, ctx.Call()));
      return Show(ctx, WindowInfoJson(name, info));
    });
  }
  {
    auto id = std::make_shared<std::string>();
    CLI::App* cmd = group->add_subcommand(
        "get",
        "Show the window in force (a cluster's own, else its "
        "project's) and when it next opens.");
    cmd->add_option("CLUSTER", *id, "cluster id or name (none: the project)");
    ctx.OnCall(cmd, [&ctx, id](ControlClient& c) -> absl::Status {
      COVE_ASSIGN_OR_RETURN(auto name, WindowTarget(ctx, *id));
      COVE_ASSIGN_OR_RETURN(auto info,
                            c.GetMaintenanceWindow(name, ctx.Call()));
      return Show(ctx, WindowInfoJson(name, info));
    });
  }
  {
    auto id = std::make_shared<std::string>();
    CLI::App* cmd = group->add_subcommand("clear", "Remove the window.");
    cmd->add_option("CLUSTER", *id, "cluster id or name (none: the project)");
    ctx.OnCall(cmd, [&ctx, id](ControlClient& c) -> absl::Status {
      COVE_ASSIGN_OR_RETURN(auto name, WindowTarget(ctx, *id));
      COVE_ASSIGN_OR_RETURN(
          auto info, c.SetMaintenanceWindow(name, std::nullopt, ctx.Call()));
      return Show(ctx, WindowInfoJson(name, info));
    });
  }
}

}  // namespace cove::cli
