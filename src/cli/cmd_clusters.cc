// cove clusters: create, get, list, update, scale, metrics, suspend, resume,
// delete, restore, purge, reset-password. The long-running verbs print their
// operation, or with --wait wait for it and print the cluster.
#include <CLI/CLI.hpp>
#include <cstdint>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "cli/cli.h"
#include "common/status_macros.h"

namespace cove::cli {
namespace {

using StartFn = absl::StatusOr<ControlOperation> (ControlClient::*)(
    const control::ClusterActionRequest&, const ControlCallOptions&);

// suspend, resume, delete, restore, purge: the same shape.
void AddAction(CLI::App* group, Context& ctx, const std::string& verb,
               const std::string& help, StartFn start) {
  struct Flags {
    std::string id, etag;
    WaitFlags wait;
  };
  auto f = std::make_shared<Flags>();
  CLI::App* cmd = group->add_subcommand(verb, help);
  auto mut = AddMutationFlags(cmd, verb == "delete" || verb == "purge");
  cmd->add_option("CLUSTER", f->id, "cluster id or name")->required();
  cmd->add_option("--etag", f->etag,
                  "only if the cluster still has this etag (else exit 4)");
  AddWaitFlags(cmd, f->wait);
  ctx.OnCall(
      cmd, [&ctx, f, start, mut, verb](ControlClient& c) -> absl::Status {
        COVE_ASSIGN_OR_RETURN(auto name, ctx.ProjectChild(f->id, "clusters"));
        control::ClusterActionRequest req;
        req.name = name;
        req.etag = f->etag;
        req.request_id = mut->request_id;
        COVE_RETURN_IF_ERROR(ctx.Confirm(*mut, verb + " " + req.name));
        return FinishClusterOperation(
            ctx, f->wait, [&] { return (c.*start)(req, ctx.Call()); });
      });
}

// The --autoscaling* flags of create and update. Each option is kept so that
// update changes only the settings given (0 is a valid value for several).
struct AutoscalingFlags {
  std::string mode;  // "on", "off" or "" (unchanged)
  int min_cu = 0, max_cu = 0;
  int min_replicas = 0, max_replicas = 0;
  int up_at = 0, down_below = 0;
  std::string cooldown;
  double target_qps = 0;
  std::vector<std::string> schedules;
  bool clear_schedules = false;
  std::vector<CLI::Option*> options;  // every flag above

  bool Given() const {
    for (const CLI::Option* o : options) {
      if (o->count() > 0) return true;
    }
    return false;
  }
};

void AddAutoscalingFlags(CLI::App* cmd, AutoscalingFlags& f, bool update) {
  auto& o = f.options;
  o.push_back(cmd->add_option("--autoscaling", f.mode,
                              "on or off: whether the autoscaler resizes "
                              "the cluster (see docs/control-plane.md)")
                  ->check(CLI::IsMember({"on", "off"})));
  o.push_back(cmd->add_option("--autoscaling-min-cu", f.min_cu,
                              "smallest CU size (required with "
                              "--autoscaling on)")
                  ->check(WholeNumber(0, INT32_MAX)));
  o.push_back(cmd->add_option("--autoscaling-max-cu", f.max_cu,
                              "largest CU size (required with "
                              "--autoscaling on)")
                  ->check(WholeNumber(0, INT32_MAX)));
  o.push_back(cmd->add_option("--autoscaling-min-replicas", f.min_replicas,
                              "fewest replicas, 1 to 8 (0: no bound)")
                  ->check(WholeNumber(0, INT32_MAX)));
  o.push_back(cmd->add_option("--autoscaling-max-replicas", f.max_replicas,
                              "most replicas, 1 to 8 (0: no bound)")
                  ->check(WholeNumber(0, INT32_MAX)));
  o.push_back(cmd->add_option("--scale-up-at", f.up_at,
                              "scale up when the fill reaches PERCENT "
                              "(1..100; 0: 80)")
                  ->check(WholeNumber(0, INT32_MAX)));
  o.push_back(cmd->add_option("--scale-down-below", f.down_below,
                              "scale down when the fill stays below PERCENT "
                              "(below --scale-up-at; 0: 50)")
                  ->check(WholeNumber(0, INT32_MAX)));
  o.push_back(cmd->add_option("--cooldown", f.cooldown,
                              "how long the fill (or the QPS per replica) "
                              "must stay low before scaling down: 10m, 1h, "
                              "... (0: 10m)"));
  o.push_back(cmd->add_option(
      "--autoscaling-target-qps-per-replica", f.target_qps,
      "requests per second one replica should serve: the replicas follow "
      "the query load (0: they do not)"));
  o.push_back(cmd->add_option(
      "--schedule", f.schedules,
      update ? "'CRON|ZONE|MIN_CU[|MINUTES]': raise the minimum at set times, "
               "e.g. '0 9 * * 1-5|Europe/Paris|8|600' (repeatable; replaces "
               "the cluster's schedules)"
             : "'CRON|ZONE|MIN_CU[|MINUTES]': raise the minimum at set times, "
               "e.g. '0 9 * * 1-5|Europe/Paris|8|600' (repeatable)"));
  if (update) {
    o.push_back(cmd->add_flag("--clear-schedules", f.clear_schedules,
                              "remove every autoscaling schedule"));
  }
}

}  // namespace

absl::StatusOr<control::AutoscalingSchedule> ParseSchedule(
    const std::string& text) {
  auto bad = [&](const std::string& why) {
    return absl::InvalidArgumentError(absl::StrCat(
        "--schedule: expected 'CRON|ZONE|MIN_CU[|MINUTES]' such as "
        "'0 9 * * 1-5|Europe/Paris|8|600' (",
        why, "), got '", text, "'"));
  };
  std::vector<std::string> parts = absl::StrSplit(text, '|');
  if (parts.size() < 3 || parts.size() > 4) {
    return bad(
        absl::StrCat("3 or 4 parts separated by '|', not ", parts.size()));
  }
  control::AutoscalingSchedule s;
  s.cron = std::string(absl::StripAsciiWhitespace(parts[0]));
  s.time_zone = std::string(absl::StripAsciiWhitespace(parts[1]));
  if (s.cron.empty()) return bad("CRON is empty");
  if (!absl::SimpleAtoi(absl::StripAsciiWhitespace(parts[2]), &s.min_cu_size)) {
    return bad("MIN_CU is not a whole number");
  }
  if (parts.size() == 4 &&
      !absl::SimpleAtoi(absl::StripAsciiWhitespace(parts[3]),
                        &s.duration_minutes)) {
    return bad("MINUTES is not a whole number");
  }
  return s;
}

namespace {

absl::Status ApplyAutoscalingFlags(const AutoscalingFlags& f,
                                   control::Autoscaling& a) {
  auto given = [](const CLI::Option* o) { return o->count() > 0; };
  const auto& o = f.options;
  // The order of AddAutoscalingFlags.
  if (given(o[0])) a.enabled = f.mode == "on";
  if (given(o[1])) a.min_cu_size = f.min_cu;
  if (given(o[2])) a.max_cu_size = f.max_cu;
  if (given(o[3])) a.min_replicas = f.min_replicas;
  if (given(o[4])) a.max_replicas = f.max_replicas;
  if (given(o[5])) a.scale_up_fill_percent = f.up_at;
  if (given(o[6])) a.scale_down_fill_percent = f.down_below;
  if (given(o[7])) {
    COVE_ASSIGN_OR_RETURN(auto d, ParseDuration(f.cooldown, "--cooldown"));
    if (d.count() % 1000 != 0 || d.count() / 1000 > INT32_MAX) {
      return absl::InvalidArgumentError(
          absl::StrCat("--cooldown: expected a whole number of seconds "
                       "such as 90s or 10m, got '",
                       f.cooldown, "'"));
    }
    a.cool_down_seconds = static_cast<int32_t>(d.count() / 1000);
  }
  if (given(o[8])) a.target_qps_per_replica = f.target_qps;
  if (f.clear_schedules) {
    if (!f.schedules.empty()) {
      return absl::InvalidArgumentError(
          "--clear-schedules and --schedule: give one or the other");
    }
    a.schedules.clear();
  }
  if (!f.schedules.empty()) {
    a.schedules.clear();
    for (const std::string& text : f.schedules) {
      COVE_ASSIGN_OR_RETURN(auto s, ParseSchedule(text));
      a.schedules.push_back(s);
    }
  }
  return absl::OkStatus();
}

}  // namespace

void AddClusterCommands(CLI::App& app, Context& ctx) {
  CLI::App* group = AddGroup(
      app, "clusters",
      "Clusters: vector database deployments in an environment of the "
      "project. Long-running verbs print their operation, or with --wait the "
      "cluster once the operation is done.");
  {
    struct Flags {
      std::string id, environment, cu_type, display_name, encryption_key;
      int cu_size = 1;
      int replicas = 1;
      int64_t idle_timeout = 0;
      std::vector<std::string> labels, ip_allow;
      bool private_endpoint = false, no_public_endpoint = false;
      AutoscalingFlags autoscaling;
      WaitFlags wait;
    };
    auto f = std::make_shared<Flags>();
    CLI::App* cmd = group->add_subcommand(
        "create",
        "Create a cluster. With --wait, prints the running cluster with its "
        "endpoint and, this once, the data plane's admin password.");
    auto mut = AddMutationFlags(cmd, /*destructive=*/false);
    cmd->add_option("ID", f->id, "cluster id ([a-z][a-z0-9-]{2,62})")
        ->required();
    cmd->add_option("--environment", f->environment,
                    "environment id or name (in the same project)")
        ->required();
    cmd->add_option("--cu-type", f->cu_type,
                    "performance (default) or capacity");
    cmd->add_option("--cu-size", f->cu_size,
                    "1, 2, 4, 8, 12, ..., 256 (multiples of 4 above 8; "
                    "default 1)")
        ->check(WholeNumber(0, INT32_MAX));
    cmd->add_option("--replicas", f->replicas,
                    "1 to 8; more than one needs --cu-size 8 or more "
                    "(default 1)")
        ->check(WholeNumber(0, INT32_MAX));
    cmd->add_option("--display-name", f->display_name, "display name");
    cmd->add_option("--label", f->labels, "KEY=VALUE (repeatable)");
    cmd->add_option("--encryption-key", f->encryption_key,
                    "customer-managed key keys/NAME in the environment's key "
                    "store (set at creation only)");
    cmd->add_option("--idle-timeout", f->idle_timeout,
                    "auto-idle: seconds without a data-plane request before "
                    "the cluster goes IDLE (60 to 2592000; default 0: never)")
        ->check(WholeNumber(0, INT32_MAX));
    cmd->add_option("--ip-allow", f->ip_allow,
                    "IP access list: CIDR[,CIDR...] (10.0.0.0/8, "
                    "2001:db8::/32, or a bare address) whose clients may call "
                    "the data plane (default: every address)")
        ->delimiter(',');
    cmd->add_flag("--private-endpoint", f->private_endpoint,
                  "also listen on the environment's private network address");
    cmd->add_flag("--no-public-endpoint", f->no_public_endpoint,
                  "no public endpoint (needs --private-endpoint)");
    AddAutoscalingFlags(cmd, f->autoscaling, /*update=*/false);
    AddWaitFlags(cmd, f->wait);
    ctx.OnCall(cmd, [&ctx, f, mut](ControlClient& c) -> absl::Status {
      COVE_ASSIGN_OR_RETURN(auto project, ctx.Project());
      COVE_ASSIGN_OR_RETURN(auto env,
                            ctx.ProjectChild(f->environment, "environments"));
      COVE_ASSIGN_OR_RETURN(auto labels, ParseLabels(f->labels, "--label"));
      control::CreateClusterRequest req;
      req.request_id = mut->request_id;
      req.parent = project;
      req.cluster_id = f->id;
      req.cluster.environment = env;
      req.cluster.cu_type = f->cu_type.empty() ? "performance" : f->cu_type;
      req.cluster.cu_size = f->cu_size;
      req.cluster.replicas = f->replicas;
      req.cluster.display_name = f->display_name;
      req.cluster.labels = labels;
      req.cluster.encryption_key = f->encryption_key;
      req.cluster.idle_timeout = std::chrono::seconds(f->idle_timeout);
      req.cluster.ip_access_list = f->ip_allow;
      req.cluster.private_endpoint_enabled = f->private_endpoint;
      req.cluster.public_endpoint_disabled = f->no_public_endpoint;
      COVE_RETURN_IF_ERROR(
          ApplyAutoscalingFlags(f->autoscaling, req.cluster.autoscaling));
      return FinishClusterOperation(
          ctx, f->wait, [&] { return c.StartCreateCluster(req, ctx.Call()); });
    });
  }
  {
    auto id = std::make_shared<std::string>();
    CLI::App* cmd = group->add_subcommand("get", "Show a cluster.");
    cmd->add_option("CLUSTER", *id, "cluster id or name")->required();
    ctx.OnCall(cmd, [&ctx, id](ControlClient& c) -> absl::Status {
      COVE_ASSIGN_OR_RETURN(auto name, ctx.ProjectChild(*id, "clusters"));
      return ctx.Print(c.GetCluster(name, ctx.Call()));
    });
  }
  {
    struct Flags {
      ListFlags list;
      std::string state, environment, cu_type;
      std::vector<std::string> labels;
      bool show_deleted = false;
      bool all_projects = false;
    };
    auto f = std::make_shared<Flags>();
    CLI::App* cmd = group->add_subcommand(
        "list",
        "List the project's clusters (deleted ones only with "
        "--show-deleted).");
    AddListFlags(cmd, f->list, true);
    cmd->add_option("--state", f->state,
                    "only this state: CREATING, RUNNING, MODIFYING, "
                    "SUSPENDING, SUSPENDED, RESUMING, DELETING, DELETED, "
                    "FAILED");
    cmd->add_option("--environment", f->environment,
                    "only clusters of this environment (id or name)");
    cmd->add_option("--cu-type", f->cu_type, "only this CU type");
    cmd->add_option("--label", f->labels,
                    "only clusters with label KEY=VALUE (repeatable)");
    cmd->add_flag("--show-deleted", f->show_deleted,
                  "include soft-deleted clusters");
    cmd->add_flag("--all-projects", f->all_projects,
                  "clusters of every project of the organization");
    ctx.OnCall(cmd, [&ctx, f](ControlClient& c) -> absl::Status {
      control::ListRequest req;
      if (f->all_projects) {
        COVE_ASSIGN_OR_RETURN(auto org, ctx.Organization());
        req.parent = org + "/projects/-";
      } else {
        COVE_ASSIGN_OR_RETURN(auto project, ctx.Project());
        req.parent = project;
      }
      ListFlags list = f->list;
      if (!f->state.empty()) list.terms.push_back("state=" + f->state);
      if (!f->environment.empty()) {
        COVE_ASSIGN_OR_RETURN(auto env,
                              ctx.ProjectChild(f->environment, "environments"));
        list.terms.push_back("environment=" + env);
      }
      if (!f->cu_type.empty()) list.terms.push_back("cu_type=" + f->cu_type);
      COVE_ASSIGN_OR_RETURN(auto labels, ParseLabels(f->labels, "--label"));
      for (const auto& [k, v] : labels) {
        list.terms.push_back(absl::StrCat("labels.", k, "=", v));
      }
      if (f->show_deleted) list.terms.push_back("show_deleted=true");
      req.filter = list.Filter();
      return ctx.PrintList(
          Collect(c.ListAllClusters(req, ctx.Call()), list.limit));
    });
  }
  {
    struct Flags {
      std::string id, display_name, etag;
      std::vector<std::string> labels, remove_labels;
      AutoscalingFlags autoscaling;
      int64_t idle_timeout = 0;
      std::vector<std::string> ip_allow;
      bool ip_allow_all = false;
      std::string private_endpoint, public_endpoint;
    };
    auto f = std::make_shared<Flags>();
    CLI::App* cmd = group->add_subcommand(
        "update",
        "Change a cluster's display name, labels, autoscaling, auto-idle "
        "settings, IP access list or endpoints (use scale to resize).");
    cmd->add_option("CLUSTER", f->id, "cluster id or name")->required();
    CLI::Option* dn =
        cmd->add_option("--display-name", f->display_name, "new display name");
    CLI::Option* label =
        cmd->add_option("--label", f->labels, "set KEY=VALUE (repeatable)");
    CLI::Option* remove = cmd->add_option("--remove-label", f->remove_labels,
                                          "remove label KEY (repeatable)");
    cmd->add_option("--etag", f->etag,
                    "only if the cluster still has this etag (else exit 4)");
    AddAutoscalingFlags(cmd, f->autoscaling, /*update=*/true);
    CLI::Option* idle =
        cmd->add_option("--idle-timeout", f->idle_timeout,
                        "auto-idle after this many seconds without a "
                        "data-plane request (60 to 2592000; 0: never)")
            ->check(WholeNumber(0, INT32_MAX));
    CLI::Option* ip = cmd->add_option("--ip-allow", f->ip_allow,
                                      "replace the IP access list: "
                                      "CIDR[,CIDR...] (at once, no restart)")
                          ->delimiter(',');
    CLI::Option* ip_all =
        cmd->add_flag("--ip-allow-all", f->ip_allow_all,
                      "clear the IP access list: every address may call")
            ->excludes(ip);
    CLI::Option* private_ep =
        cmd->add_option("--private-endpoint", f->private_endpoint,
                        "on|off: the listener on the environment's private "
                        "network address (at once, no data lost)")
            ->check(CLI::IsMember({"on", "off"}));
    CLI::Option* public_ep =
        cmd->add_option("--public-endpoint", f->public_endpoint,
                        "on|off: the public listener (off needs the private "
                        "endpoint)")
            ->check(CLI::IsMember({"on", "off"}));
    ctx.OnCall(
        cmd,
        [&ctx, f, dn, label, remove, idle, ip, ip_all, private_ep,
         public_ep](ControlClient& c) -> absl::Status {
          COVE_ASSIGN_OR_RETURN(auto name, ctx.ProjectChild(f->id, "clusters"));
          COVE_ASSIGN_OR_RETURN(auto labels, ParseLabels(f->labels, "--label"));
          const bool autoscaling = f->autoscaling.Given();
          bool need_current =
              label->count() > 0 || remove->count() > 0 || autoscaling;
          control::Cluster cluster;
          if (need_current) {
            // Labels and autoscaling are replaced as a whole: start from the
            // current values (and etag, so a concurrent change is not lost).
            COVE_ASSIGN_OR_RETURN(auto current, c.GetCluster(name, ctx.Call()));
            cluster = current;
          }
          cluster.name = name;
          std::vector<std::string> mask;
          if (dn->count() > 0) {
            cluster.display_name = f->display_name;
            mask.push_back("display_name");
          }
          if (label->count() > 0 || remove->count() > 0) {
            for (const auto& [k, v] : labels) cluster.labels[k] = v;
            for (const std::string& k : f->remove_labels)
              cluster.labels.erase(k);
            mask.push_back("labels");
          }
          if (autoscaling) {
            COVE_RETURN_IF_ERROR(
                ApplyAutoscalingFlags(f->autoscaling, cluster.autoscaling));
            mask.push_back("autoscaling");
          }
          if (idle->count() > 0) {
            cluster.idle_timeout = std::chrono::seconds(f->idle_timeout);
            mask.push_back("idle_timeout");
          }
          if (ip->count() > 0 || ip_all->count() > 0) {
            cluster.ip_access_list = f->ip_allow;  // empty with --ip-allow-all
            mask.push_back("ip_access_list");
          }
          if (private_ep->count() > 0) {
            cluster.private_endpoint_enabled = f->private_endpoint == "on";
            mask.push_back("private_endpoint_enabled");
          }
          if (public_ep->count() > 0) {
            cluster.public_endpoint_disabled = f->public_endpoint == "off";
            mask.push_back("public_endpoint_disabled");
          }
          if (!f->etag.empty()) cluster.etag = f->etag;
          if (mask.empty()) {
            return absl::InvalidArgumentError(
                "nothing to update: give --display-name, --label, "
                "--remove-label, --idle-timeout, --ip-allow, --ip-allow-all, "
                "--private-endpoint, --public-endpoint or "
                "an autoscaling flag "
                "(--autoscaling*, "
                "--scale-up-at, --scale-down-below, --cooldown, --schedule, "
                "--clear-schedules)");
          }
          return ctx.Print(c.UpdateCluster(cluster, mask, ctx.Call()));
        });
  }
  {
    struct Flags {
      std::string id, etag;
      int cu_size = 0;
      int replicas = 0;
      WaitFlags wait;
    };
    auto f = std::make_shared<Flags>();
    CLI::App* cmd = group->add_subcommand(
        "scale",
        "Resize a running cluster (scaling down needs the data to fit in 80% "
        "of the new capacity).");
    auto mut = AddMutationFlags(cmd, /*destructive=*/false);
    cmd->add_option("CLUSTER", f->id, "cluster id or name")->required();
    cmd->add_option("--cu-size", f->cu_size, "new CU size (default: unchanged)")
        ->check(WholeNumber(0, INT32_MAX));
    cmd->add_option("--replicas", f->replicas,
                    "new number of replicas (default: unchanged)")
        ->check(WholeNumber(0, INT32_MAX));
    cmd->add_option("--etag", f->etag,
                    "only if the cluster still has this etag (else exit 4)");
    AddWaitFlags(cmd, f->wait);
    ctx.OnCall(cmd, [&ctx, f, mut](ControlClient& c) -> absl::Status {
      if (f->cu_size == 0 && f->replicas == 0) {
        return absl::InvalidArgumentError(
            "nothing to scale: give --cu-size and/or --replicas");
      }
      COVE_ASSIGN_OR_RETURN(auto name, ctx.ProjectChild(f->id, "clusters"));
      control::ScaleClusterRequest req;
      req.request_id = mut->request_id;
      req.name = name;
      req.cu_size = f->cu_size;
      req.replicas = f->replicas;
      req.etag = f->etag;
      return FinishClusterOperation(
          ctx, f->wait, [&] { return c.StartScaleCluster(req, ctx.Call()); });
    });
  }
  {
    struct Flags {
      std::string id;
      std::string window = "60s";
    };
    auto f = std::make_shared<Flags>();
    CLI::App* cmd = group->add_subcommand(
        "metrics",
        "Show a cluster's usage: requests per second over --window, latency "
        "percentiles, errors, vectors, storage and CU usage.");
    cmd->add_option("CLUSTER", f->id, "cluster id or name")->required();
    cmd->add_option("--window", f->window,
                    "the window of the request rates: 1s to 10m (default 60s)");
    ctx.OnCall(cmd, [&ctx, f](ControlClient& c) -> absl::Status {
      COVE_ASSIGN_OR_RETURN(auto window, ParseDuration(f->window, "--window"));
      if (window.count() % 1000 != 0 || window.count() < 1000 ||
          window.count() > 600 * 1000) {
        return absl::InvalidArgumentError(absl::StrCat(
            "--window: expected whole seconds from 1s to 10m, got '", f->window,
            "'"));
      }
      COVE_ASSIGN_OR_RETURN(auto name, ctx.ProjectChild(f->id, "clusters"));
      COVE_ASSIGN_OR_RETURN(
          auto metrics,
          c.GetClusterMetrics(name, static_cast<int32_t>(window.count() / 1000),
                              ctx.Call()));
      if (ctx.json()) return ctx.PrintItem(metrics);
      PrintMetrics(std::cout, ToJson(metrics));
      return absl::OkStatus();
    });
  }
  AddAction(group, ctx, "suspend",
            "Stop a running cluster's data plane; the data is kept.",
            &ControlClient::StartSuspendCluster);
  AddAction(group, ctx, "resume",
            "Start a suspended cluster again, over the same data.",
            &ControlClient::StartResumeCluster);
  AddAction(group, ctx, "delete",
            "Soft-delete a cluster: stopped, restorable until its purge_time.",
            &ControlClient::StartDeleteCluster);
  AddAction(group, ctx, "restore",
            "Bring a soft-deleted cluster back, with its data.",
            &ControlClient::StartRestoreCluster);
  AddAction(group, ctx, "purge",
            "Remove a soft-deleted cluster and its data now (irreversible).",
            &ControlClient::StartPurgeCluster);
  AddAction(group, ctx, "reset-password",
            "Set a new password of the data plane's root user (a RUNNING or "
            "SUSPENDED cluster); the old one stops working. Printed this "
            "once (with --wait, in the cluster). Needs cluster admin.",
            &ControlClient::StartResetClusterPassword);
}

}  // namespace cove::cli
