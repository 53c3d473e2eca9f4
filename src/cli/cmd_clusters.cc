// cove clusters: create, get, list, update, scale, suspend, resume, delete,
// restore, purge. The long-running verbs print their operation, or with
// --wait wait for it and print the cluster.
#include <CLI/CLI.hpp>

#include "absl/strings/str_cat.h"
#include "cli/cli.h"

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
  cmd->add_option("CLUSTER", f->id, "cluster id or name")->required();
  cmd->add_option("--etag", f->etag,
                  "only if the cluster still has this etag (else exit 4)");
  AddWaitFlags(cmd, f->wait);
  ctx.OnCall(cmd, [&ctx, f, start](ControlClient& c) -> absl::Status {
    auto name = ctx.ProjectChild(f->id, "clusters");
    if (!name.ok()) return name.status();
    control::ClusterActionRequest req;
    req.name = *name;
    req.etag = f->etag;
    return FinishClusterOperation(ctx, f->wait,
                                  [&] { return (c.*start)(req, ctx.Call()); });
  });
}

struct AutoscalingFlags {
  std::string mode;  // "on", "off" or "" (unchanged)
  int min_cu = 0;
  int max_cu = 0;
};

void AddAutoscalingFlags(CLI::App* cmd, AutoscalingFlags& f) {
  cmd->add_option("--autoscaling", f.mode,
                  "on or off (settings are stored; the emulator does not "
                  "scale by itself yet)")
      ->check(CLI::IsMember({"on", "off"}));
  cmd->add_option("--autoscaling-min-cu", f.min_cu, "smallest CU size");
  cmd->add_option("--autoscaling-max-cu", f.max_cu, "largest CU size");
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
      std::string id, environment, cu_type, display_name;
      int cu_size = 1;
      int replicas = 1;
      std::vector<std::string> labels;
      AutoscalingFlags autoscaling;
      WaitFlags wait;
    };
    auto f = std::make_shared<Flags>();
    CLI::App* cmd = group->add_subcommand(
        "create",
        "Create a cluster. With --wait, prints the running cluster with its "
        "endpoint and, this once, the data plane's admin password.");
    cmd->add_option("ID", f->id, "cluster id ([a-z][a-z0-9-]{2,62})")
        ->required();
    cmd->add_option("--environment", f->environment,
                    "environment id or name (in the same project)")
        ->required();
    cmd->add_option("--cu-type", f->cu_type,
                    "performance (default) or capacity");
    cmd->add_option("--cu-size", f->cu_size,
                    "1, 2, 4, 8, 12, ..., 256 (multiples of 4 above 8; "
                    "default 1)");
    cmd->add_option("--replicas", f->replicas,
                    "1 to 8; more than one needs --cu-size 8 or more "
                    "(default 1)");
    cmd->add_option("--display-name", f->display_name, "display name");
    cmd->add_option("--label", f->labels, "KEY=VALUE (repeatable)");
    AddAutoscalingFlags(cmd, f->autoscaling);
    AddWaitFlags(cmd, f->wait);
    ctx.OnCall(cmd, [&ctx, f](ControlClient& c) -> absl::Status {
      auto project = ctx.Project();
      if (!project.ok()) return project.status();
      auto env = ctx.ProjectChild(f->environment, "environments");
      if (!env.ok()) return env.status();
      auto labels = ParseLabels(f->labels, "--label");
      if (!labels.ok()) return labels.status();
      control::CreateClusterRequest req;
      req.parent = *project;
      req.cluster_id = f->id;
      req.cluster.environment = *env;
      req.cluster.cu_type = f->cu_type.empty() ? "performance" : f->cu_type;
      req.cluster.cu_size = f->cu_size;
      req.cluster.replicas = f->replicas;
      req.cluster.display_name = f->display_name;
      req.cluster.labels = *labels;
      req.cluster.autoscaling.enabled = f->autoscaling.mode == "on";
      req.cluster.autoscaling.min_cu_size = f->autoscaling.min_cu;
      req.cluster.autoscaling.max_cu_size = f->autoscaling.max_cu;
      return FinishClusterOperation(
          ctx, f->wait, [&] { return c.StartCreateCluster(req, ctx.Call()); });
    });
  }
  {
    auto id = std::make_shared<std::string>();
    CLI::App* cmd = group->add_subcommand("get", "Show a cluster.");
    cmd->add_option("CLUSTER", *id, "cluster id or name")->required();
    ctx.OnCall(cmd, [&ctx, id](ControlClient& c) -> absl::Status {
      auto name = ctx.ProjectChild(*id, "clusters");
      if (!name.ok()) return name.status();
      return ctx.Print(c.GetCluster(*name, ctx.Call()));
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
        auto org = ctx.Organization();
        if (!org.ok()) return org.status();
        req.parent = *org + "/projects/-";
      } else {
        auto project = ctx.Project();
        if (!project.ok()) return project.status();
        req.parent = *project;
      }
      ListFlags list = f->list;
      if (!f->state.empty()) list.terms.push_back("state=" + f->state);
      if (!f->environment.empty()) {
        auto env = ctx.ProjectChild(f->environment, "environments");
        if (!env.ok()) return env.status();
        list.terms.push_back("environment=" + *env);
      }
      if (!f->cu_type.empty()) list.terms.push_back("cu_type=" + f->cu_type);
      auto labels = ParseLabels(f->labels, "--label");
      if (!labels.ok()) return labels.status();
      for (const auto& [k, v] : *labels) {
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
    };
    auto f = std::make_shared<Flags>();
    CLI::App* cmd = group->add_subcommand(
        "update",
        "Change a cluster's display name, labels or autoscaling "
        "settings (use scale to resize).");
    cmd->add_option("CLUSTER", f->id, "cluster id or name")->required();
    CLI::Option* dn =
        cmd->add_option("--display-name", f->display_name, "new display name");
    CLI::Option* label =
        cmd->add_option("--label", f->labels, "set KEY=VALUE (repeatable)");
    CLI::Option* remove = cmd->add_option("--remove-label", f->remove_labels,
                                          "remove label KEY (repeatable)");
    cmd->add_option("--etag", f->etag,
                    "only if the cluster still has this etag (else exit 4)");
    AddAutoscalingFlags(cmd, f->autoscaling);
    ctx.OnCall(
        cmd, [&ctx, f, dn, label, remove](ControlClient& c) -> absl::Status {
          auto name = ctx.ProjectChild(f->id, "clusters");
          if (!name.ok()) return name.status();
          auto labels = ParseLabels(f->labels, "--label");
          if (!labels.ok()) return labels.status();
          const AutoscalingFlags& a = f->autoscaling;
          bool autoscaling = !a.mode.empty() || a.min_cu != 0 || a.max_cu != 0;
          bool need_current =
              label->count() > 0 || remove->count() > 0 || autoscaling;
          control::Cluster cluster;
          if (need_current) {
            // Labels and autoscaling are replaced as a whole: start from the
            // current values (and etag, so a concurrent change is not lost).
            auto current = c.GetCluster(*name, ctx.Call());
            if (!current.ok()) return current.status();
            cluster = *current;
          }
          cluster.name = *name;
          std::vector<std::string> mask;
          if (dn->count() > 0) {
            cluster.display_name = f->display_name;
            mask.push_back("display_name");
          }
          if (label->count() > 0 || remove->count() > 0) {
            for (const auto& [k, v] : *labels) cluster.labels[k] = v;
            for (const std::string& k : f->remove_labels)
              cluster.labels.erase(k);
            mask.push_back("labels");
          }
          if (autoscaling) {
            if (!a.mode.empty()) cluster.autoscaling.enabled = a.mode == "on";
            if (a.min_cu != 0) cluster.autoscaling.min_cu_size = a.min_cu;
            if (a.max_cu != 0) cluster.autoscaling.max_cu_size = a.max_cu;
            mask.push_back("autoscaling");
          }
          if (!f->etag.empty()) cluster.etag = f->etag;
          if (mask.empty()) {
            return absl::InvalidArgumentError(
                "nothing to update: give --display-name, --label, "
                "--remove-label or --autoscaling*");
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
    cmd->add_option("CLUSTER", f->id, "cluster id or name")->required();
    cmd->add_option("--cu-size", f->cu_size,
                    "new CU size (default: unchanged)");
    cmd->add_option("--replicas", f->replicas,
                    "new number of replicas (default: unchanged)");
    cmd->add_option("--etag", f->etag,
                    "only if the cluster still has this etag (else exit 4)");
    AddWaitFlags(cmd, f->wait);
    ctx.OnCall(cmd, [&ctx, f](ControlClient& c) -> absl::Status {
      if (f->cu_size == 0 && f->replicas == 0) {
        return absl::InvalidArgumentError(
            "nothing to scale: give --cu-size and/or --replicas");
      }
      auto name = ctx.ProjectChild(f->id, "clusters");
      if (!name.ok()) return name.status();
      control::ScaleClusterRequest req;
      req.name = *name;
      req.cu_size = f->cu_size;
      req.replicas = f->replicas;
      req.etag = f->etag;
      return FinishClusterOperation(
          ctx, f->wait, [&] { return c.StartScaleCluster(req, ctx.Call()); });
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
}

}  // namespace cove::cli
