// Licenses and cost (issue 19): `cove projects license get|set|clear` (set
// and clear are the vendor's: the emulator's admin key) and `cove clusters
// estimate-cost`.
#include <CLI/CLI.hpp>
#include <iostream>
#include <optional>
#include <string>

#include "absl/strings/str_cat.h"
#include "cli/cli.h"

namespace cove::cli {
namespace {

absl::StatusOr<std::string> ProjectArg(Context& ctx, const std::string& arg) {
  if (arg.empty()) return ctx.Project();
  return ctx.OrgChild(arg, "projects");
}

Json LicenseJson(const std::string& project,
                 const std::optional<control::License>& l) {
  Json j;
  j["project"] = project;
  j["license"] = ToJson(l);
  return j;
}

Json CostJson(const control::CostEstimate& e) {
  Json j;
  j["cu_type"] = e.cu_type;
  j["region"] = e.region;
  j["region_factor"] = e.region_factor;
  j["currency"] = e.currency;
  j["hours_per_month"] = e.hours_per_month;
  Json items = Json::array();
  for (const control::CostItem& i : e.items) {
    Json x;
    x["item"] = i.item;
    x["quantity"] = i.quantity;
    x["unit"] = i.unit;
    x["unit_price"] = i.unit_price;
    x["per_hour"] = i.per_hour;
    x["per_month"] = i.per_month;
    items.push_back(std::move(x));
  }
  j["items"] = std::move(items);
  j["per_hour"] = e.per_hour;
  j["per_month"] = e.per_month;
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

absl::Status ShowLicense(Context& ctx,
                         const absl::StatusOr<control::Project>& p) {
  if (!p.ok()) return p.status();
  return Show(ctx, LicenseJson(p->name, p->license));
}

}  // namespace

void AddLicenseCommands(CLI::App& app, Context& ctx) {
  CLI::App* projects = app.get_subcommand("projects");
  CLI::App* group = projects->add_subcommand(
      "license",
      "A project's license: the total CUs and replicas its clusters may use "
      "(set by the vendor: the emulator's admin key).");
  group->require_subcommand(1);
  {
    auto id = std::make_shared<std::string>();
    CLI::App* cmd = group->add_subcommand(
        "get", "Show the project's license and what its clusters use.");
    cmd->add_option("PROJECT", *id, "project id or name (default: --project)");
    ctx.OnCall(cmd, [&ctx, id](ControlClient& c) -> absl::Status {
      auto name = ProjectArg(ctx, *id);
      if (!name.ok()) return name.status();
      return ShowLicense(ctx, c.GetProject(*name, ctx.Call()));
    });
  }
  {
    struct Flags {
      std::string id, license_id;
      int max_cus = 0, max_replicas = 0;
    };
    auto f = std::make_shared<Flags>();
    CLI::App* cmd = group->add_subcommand(
        "set",
        "Set the project's license (vendor side: the emulator's admin key).");
    cmd->add_option("PROJECT", f->id,
                    "project id or name (default: --project)");
    cmd->add_option("--license-id", f->license_id, "the license's id");
    cmd->add_option("--max-cus", f->max_cus,
                    "total CUs (cu_size x replicas) of the project's clusters "
                    "(0: no limit)");
    cmd->add_option("--max-replicas", f->max_replicas,
                    "total replicas of the project's clusters (0: no limit)");
    ctx.OnCall(cmd, [&ctx, f](ControlClient& c) -> absl::Status {
      auto name = ProjectArg(ctx, f->id);
      if (!name.ok()) return name.status();
      control::SetProjectLicenseRequest req;
      req.project = *name;
      control::License l;
      l.license_id = f->license_id;
      l.max_cus = f->max_cus;
      l.max_replicas = f->max_replicas;
      req.license = l;
      return ShowLicense(ctx, c.emulator().SetProjectLicense(req, ctx.Call()));
    });
  }
  {
    auto id = std::make_shared<std::string>();
    CLI::App* cmd = group->add_subcommand(
        "clear", "Remove the project's license: no limit (vendor side).");
    cmd->add_option("PROJECT", *id, "project id or name (default: --project)");
    ctx.OnCall(cmd, [&ctx, id](ControlClient& c) -> absl::Status {
      auto name = ProjectArg(ctx, *id);
      if (!name.ok()) return name.status();
      control::SetProjectLicenseRequest req;
      req.project = *name;
      return ShowLicense(ctx, c.emulator().SetProjectLicense(req, ctx.Call()));
    });
  }

  CLI::App* clusters = app.get_subcommand("clusters");
  {
    struct Flags {
      std::string cu_type = "performance", region;
      int cu_size = 1, replicas = 1;
      int64_t storage_gib = 0;
    };
    auto f = std::make_shared<Flags>();
    CLI::App* cmd = clusters->add_subcommand(
        "estimate-cost",
        "What a cluster spec would cost per hour and per month (the control "
        "plane's price table), in the project given by --project.");
    cmd->add_option("--cu-size", f->cu_size, "CU size (default 1)");
    cmd->add_option("--replicas", f->replicas, "replicas (default 1)");
    cmd->add_option("--cu-type", f->cu_type,
                    "performance (default) or capacity");
    cmd->add_option("--storage-gib", f->storage_gib,
                    "storage to price, in GiB (default 0)");
    cmd->add_option("--region", f->region,
                    "region to price (default: the project's)");
    ctx.OnCall(cmd, [&ctx, f](ControlClient& c) -> absl::Status {
      auto project = ctx.Project();
      if (!project.ok()) return project.status();
      control::EstimateCostRequest req;
      req.parent = *project;
      req.cu_type = f->cu_type;
      req.cu_size = f->cu_size;
      req.replicas = f->replicas;
      req.storage_gib = f->storage_gib;
      req.region = f->region;
      auto e = c.EstimateCost(req, ctx.Call());
      if (!e.ok()) return e.status();
      return Show(ctx, CostJson(*e));
    });
  }
}

}  // namespace cove::cli
