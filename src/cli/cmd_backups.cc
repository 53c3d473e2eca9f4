// cove backups: create, get, list, delete, restore, policy. create, delete
// and restore are long-running: they print their operation, or with --wait
// wait for it and print the backup (create), the cluster (restore) or a line
// (delete).
#include <CLI/CLI.hpp>
#include <chrono>
#include <cstdint>
#include <memory>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "cli/cli.h"
#include "common/status_macros.h"

namespace cove::cli {

absl::StatusOr<std::string> BackupName(
    const std::string& arg, const std::string& cluster,
    const std::function<absl::StatusOr<std::string>()>& project) {
  auto bad = [&](const std::string& why) {
    return absl::InvalidArgumentError(absl::StrCat(
        "BACKUP: expected a backup name (organizations/.../clusters/C/"
        "backups/B), CLUSTER/BACKUP, or a backup id with --cluster (",
        why, "), got '", arg, "'"));
  };
  if (arg.empty()) return bad("it is empty");
  if (absl::StartsWith(arg, "organizations/")) {
    if (!absl::StrContains(arg, "/backups/")) return bad("no /backups/");
    return arg;
  }
  std::vector<std::string> parts = absl::StrSplit(arg, '/');
  std::string cluster_name, id;
  if (parts.size() == 2) {
    if (!cluster.empty()) return bad("CLUSTER/BACKUP and --cluster both given");
    if (parts[0].empty() || parts[1].empty()) return bad("an empty part");
    COVE_ASSIGN_OR_RETURN(auto p, project());
    return absl::StrCat(p, "/clusters/", parts[0], "/backups/", parts[1]);
  }
  if (parts.size() != 1) return bad("too many '/'");
  if (cluster.empty()) return bad("no --cluster for a bare backup id");
  if (absl::StrContains(cluster, "/")) {
    return absl::StrCat(cluster, "/backups/", arg);
  }
  COVE_ASSIGN_OR_RETURN(auto p, project());
  return absl::StrCat(p, "/clusters/", cluster, "/backups/", arg);
}

absl::StatusOr<control::BackupPolicy> ParseBackupPolicy(
    const std::string& every, int keep, const std::string& max_age, bool off) {
  control::BackupPolicy policy;
  if (off) {
    if (!every.empty() || keep != 0 || !max_age.empty()) {
      return absl::InvalidArgumentError(
          "--off: give it alone, not with --every, --keep or --max-age");
    }
    return policy;  // enabled = false
  }
  if (every.empty()) {
    return absl::InvalidArgumentError(
        "--every: expected how often to take a backup (1m or more, such as "
        "6h or 1d), or --off to stop scheduled backups; got neither");
  }
  COVE_ASSIGN_OR_RETURN(auto interval, ParseDuration(every, "--every"));
  if (interval.count() < 60 * 1000 || interval.count() % 1000 != 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("--every: expected whole seconds, at least 1m (such as "
                     "6h or 1d), got '",
                     every, "'"));
  }
  if (keep < 0) {
    return absl::InvalidArgumentError(absl::StrCat(
        "--keep: expected 0 (no count limit) or more backups, got ", keep));
  }
  policy.enabled = true;
  policy.interval = interval;
  policy.retention_count = keep;
  if (!max_age.empty()) {
    COVE_ASSIGN_OR_RETURN(auto age, ParseDuration(max_age, "--max-age"));
    if (age.count() % 1000 != 0) {
      return absl::InvalidArgumentError(
          absl::StrCat("--max-age: expected whole seconds (such as 7d), got '",
                       max_age, "'"));
    }
    policy.retention = age;
  }
  return policy;
}

namespace {

// Starts a backup operation; with --wait waits and prints the backup as the
// operation left it (else `done` when it left none).
absl::Status FinishBackupOperation(
    Context& ctx, const WaitFlags& flags, const std::string& done,
    const std::function<absl::StatusOr<ControlOperation>()>& start) {
  COVE_ASSIGN_OR_RETURN(auto timeout,
                        ParseDuration(flags.timeout, "--timeout"));
  COVE_ASSIGN_OR_RETURN(auto started, start());
  if (!flags.wait) return ctx.PrintItem(started.operation());
  COVE_RETURN_IF_ERROR(WaitForOperation(ctx, started, timeout));
  const control::Operation& op = started.operation();
  if (done.empty() && op.backup) return ctx.PrintItem(*op.backup);
  return ctx.PrintDone(done);
}

void AddBackupArg(CLI::App* cmd, std::string& backup, std::string& cluster) {
  cmd->add_option("BACKUP", backup,
                  "backup name, CLUSTER/BACKUP_ID, or BACKUP_ID with "
                  "--cluster")
      ->required();
  cmd->add_option("--cluster", cluster,
                  "the backup's cluster (id or name), for a bare BACKUP_ID");
}

}  // namespace

void AddBackupCommands(CLI::App& app, Context& ctx) {
  CLI::App* group = AddGroup(
      app, "backups",
      "Backups of a cluster's collections in its environment's bucket "
      "(always encrypted: with the cluster's key when it has one, else a data "
      "key of the cluster), restores, and the "
      "scheduled backup policy. create, delete and restore print their "
      "operation, or with --wait its result.");
  {
    struct Flags {
      std::string cluster, id, expire;
      std::vector<std::string> collections;
      WaitFlags wait;
    };
    auto f = std::make_shared<Flags>();
    CLI::App* cmd = group->add_subcommand(
        "create",
        "Back up a RUNNING cluster. With --wait, prints the READY backup.");
    auto mut = AddMutationFlags(cmd, /*destructive=*/false);
    cmd->add_option("CLUSTER", f->cluster, "cluster id or name")->required();
    cmd->add_option("--id", f->id,
                    "backup id ([a-z][a-z0-9-]{2,62}; default: generated)");
    cmd->add_option("--collection", f->collections,
                    "only this collection, 'name' or 'db.name' (repeatable; "
                    "default: every collection of every database)");
    cmd->add_option("--expire", f->expire,
                    "delete the backup after this long (7d, 12h, ...; "
                    "default: kept until deleted)");
    AddWaitFlags(cmd, f->wait);
    ctx.OnCall(cmd, [&ctx, f, mut](ControlClient& c) -> absl::Status {
      control::CreateBackupRequest req;
      req.request_id = mut->request_id;
      if (!f->expire.empty()) {
        COVE_ASSIGN_OR_RETURN(auto d, ParseDuration(f->expire, "--expire"));
        if (d.count() <= 0) {
          return absl::InvalidArgumentError(absl::StrCat(
              "--expire: expected a positive duration, got '", f->expire, "'"));
        }
        req.expire_time = std::chrono::system_clock::now() + d;
      }
      COVE_ASSIGN_OR_RETURN(auto cluster,
                            ctx.ProjectChild(f->cluster, "clusters"));
      req.parent = cluster;
      req.backup_id = f->id;
      req.collections = f->collections;
      return FinishBackupOperation(ctx, f->wait, "", [&] {
        return c.StartCreateBackup(req, ctx.Call());
      });
    });
  }
  {
    struct Flags {
      std::string backup, cluster;
    };
    auto f = std::make_shared<Flags>();
    CLI::App* cmd = group->add_subcommand("get", "Show a backup.");
    AddBackupArg(cmd, f->backup, f->cluster);
    ctx.OnCall(cmd, [&ctx, f](ControlClient& c) -> absl::Status {
      COVE_ASSIGN_OR_RETURN(auto name, BackupName(f->backup, f->cluster, [&] {
                              return ctx.Project();
                            }));
      return ctx.Print(c.GetBackup(name, ctx.Call()));
    });
  }
  {
    struct Flags {
      std::string cluster, state;
      bool in_project = false;
      bool scheduled = false;
      ListFlags list;
    };
    auto f = std::make_shared<Flags>();
    CLI::App* cmd = group->add_subcommand(
        "list",
        "List a cluster's backups, or with --in-project every backup of the "
        "project (also of deleted clusters).");
    cmd->add_option("CLUSTER", f->cluster, "cluster id or name");
    cmd->add_flag("--in-project", f->in_project,
                  "every backup of the project instead of one cluster's");
    cmd->add_option("--state", f->state,
                    "only this state: CREATING, READY, FAILED, DELETING");
    cmd->add_flag("--scheduled", f->scheduled,
                  "only backups taken by the backup policy");
    AddListFlags(cmd, f->list, true);
    ctx.OnCall(cmd, [&ctx, f](ControlClient& c) -> absl::Status {
      if (f->in_project == !f->cluster.empty()) {
        return absl::InvalidArgumentError(
            "CLUSTER or --in-project: give exactly one");
      }
      control::ListRequest req;
      if (f->in_project) {
        COVE_ASSIGN_OR_RETURN(auto project, ctx.Project());
        req.parent = project + "/clusters/-";
      } else {
        COVE_ASSIGN_OR_RETURN(auto cluster,
                              ctx.ProjectChild(f->cluster, "clusters"));
        req.parent = cluster;
      }
      ListFlags list = f->list;
      if (!f->state.empty()) list.terms.push_back("state=" + f->state);
      if (f->scheduled) list.terms.push_back("scheduled=true");
      req.filter = list.Filter();
      return ctx.PrintList(
          Collect(c.ListAllBackups(req, ctx.Call()), list.limit));
    });
  }
  {
    struct Flags {
      std::string backup, cluster, etag;
      WaitFlags wait;
    };
    auto f = std::make_shared<Flags>();
    CLI::App* cmd = group->add_subcommand(
        "delete", "Delete a READY or FAILED backup's files (irreversible).");
    auto mut = AddMutationFlags(cmd, /*destructive=*/true);
    AddBackupArg(cmd, f->backup, f->cluster);
    cmd->add_option("--etag", f->etag,
                    "only if the backup still has this etag (else exit 4)");
    AddWaitFlags(cmd, f->wait);
    ctx.OnCall(cmd, [&ctx, f, mut](ControlClient& c) -> absl::Status {
      COVE_ASSIGN_OR_RETURN(auto name, BackupName(f->backup, f->cluster, [&] {
                              return ctx.Project();
                            }));
      control::DeleteRequest req;
      req.name = name;
      req.request_id = mut->request_id;
      COVE_RETURN_IF_ERROR(ctx.Confirm(*mut, "delete " + req.name));
      req.etag = f->etag;
      return FinishBackupOperation(
          ctx, f->wait, absl::StrCat("deleted ", name),
          [&] { return c.StartDeleteBackup(req, ctx.Call()); });
    });
  }
  {
    struct Flags {
      std::string backup, cluster, into, new_cluster, environment, cu_type,
          display_name, encryption_key;
      int cu_size = 1;
      int replicas = 1;
      bool overwrite = false;
      std::vector<std::string> labels, collections;
      WaitFlags wait;
    };
    auto f = std::make_shared<Flags>();
    CLI::App* cmd = group->add_subcommand(
        "restore",
        "Restore a READY backup into a RUNNING cluster (--into; existing "
        "collections of the same name: exit 4 unless --overwrite) or into a "
        "new cluster (--new-cluster). With --wait, prints the target cluster "
        "(a new one with its once-shown admin password).");
    auto mut = AddMutationFlags(cmd, /*destructive=*/false);
    AddBackupArg(cmd, f->backup, f->cluster);
    CLI::Option* into = cmd->add_option(
        "--into", f->into, "restore into this RUNNING cluster (id or name)");
    CLI::Option* fresh = cmd->add_option(
        "--new-cluster", f->new_cluster,
        "restore into a new cluster with this id ([a-z][a-z0-9-]{2,62})");
    into->excludes(fresh);
    cmd->add_flag("--overwrite", f->overwrite,
                  "with --into: replace collections of the same name");
    cmd->add_option("--collection", f->collections,
                    "only this collection of the backup, 'name' or 'db.name' "
                    "(repeatable; default: all)");
    cmd->add_option("--environment", f->environment,
                    "with --new-cluster: environment id or name (required)");
    cmd->add_option("--cu-type", f->cu_type,
                    "with --new-cluster: performance (default) or capacity");
    cmd->add_option("--cu-size", f->cu_size,
                    "with --new-cluster: 1, 2, 4, 8, 12, ..., 256 (default 1)")
        ->check(WholeNumber(0, INT32_MAX));
    cmd->add_option("--replicas", f->replicas,
                    "with --new-cluster: 1 to 8 (default 1)")
        ->check(WholeNumber(0, INT32_MAX));
    cmd->add_option("--display-name", f->display_name,
                    "with --new-cluster: display name");
    cmd->add_option("--label", f->labels,
                    "with --new-cluster: KEY=VALUE (repeatable)");
    cmd->add_option("--encryption-key", f->encryption_key,
                    "with --new-cluster: customer-managed key keys/NAME");
    AddWaitFlags(cmd, f->wait);
    ctx.OnCall(cmd, [&ctx, f, mut](ControlClient& c) -> absl::Status {
      COVE_ASSIGN_OR_RETURN(auto name, BackupName(f->backup, f->cluster, [&] {
                              return ctx.Project();
                            }));
      control::RestoreBackupRequest req;
      req.request_id = mut->request_id;
      req.name = name;
      req.collections = f->collections;
      req.overwrite = f->overwrite;
      if (f->into.empty() == f->new_cluster.empty()) {
        return absl::InvalidArgumentError(
            "--into or --new-cluster: give exactly one");
      }
      if (!f->into.empty()) {
        if (!f->environment.empty()) {
          return absl::InvalidArgumentError(
              "--environment: only with --new-cluster (--into restores into "
              "an existing cluster)");
        }
        COVE_ASSIGN_OR_RETURN(auto target,
                              ctx.ProjectChild(f->into, "clusters"));
        req.target_cluster = target;
      } else {
        if (f->overwrite) {
          return absl::InvalidArgumentError(
              "--overwrite: only with --into (a new cluster has no "
              "collections)");
        }
        if (f->environment.empty()) {
          return absl::InvalidArgumentError(
              "--environment: required with --new-cluster");
        }
        COVE_ASSIGN_OR_RETURN(auto project, ctx.Project());
        COVE_ASSIGN_OR_RETURN(auto env,
                              ctx.ProjectChild(f->environment, "environments"));
        COVE_ASSIGN_OR_RETURN(auto labels, ParseLabels(f->labels, "--label"));
        req.parent = project;
        req.cluster_id = f->new_cluster;
        req.cluster.environment = env;
        req.cluster.cu_type = f->cu_type.empty() ? "performance" : f->cu_type;
        req.cluster.cu_size = f->cu_size;
        req.cluster.replicas = f->replicas;
        req.cluster.display_name = f->display_name;
        req.cluster.labels = labels;
        req.cluster.encryption_key = f->encryption_key;
      }
      return FinishClusterOperation(
          ctx, f->wait, [&] { return c.StartRestoreBackup(req, ctx.Call()); });
    });
  }
  {
    struct Flags {
      std::string cluster, every, max_age, etag;
      int keep = 0;
      bool off = false;
    };
    auto f = std::make_shared<Flags>();
    CLI::App* cmd = group->add_subcommand(
        "policy",
        "Set a cluster's scheduled backups: one every --every, the newest "
        "--keep kept and none older than --max-age; or --off. Prints the "
        "cluster (backup_policy).");
    cmd->add_option("CLUSTER", f->cluster, "cluster id or name")->required();
    cmd->add_option("--every", f->every,
                    "time between two backups, 1m or more (6h, 1d, ...)");
    cmd->add_option("--keep", f->keep,
                    "scheduled backups kept, the newest (0: no count limit)")
        ->check(WholeNumber(0, INT32_MAX));
    cmd->add_option("--max-age", f->max_age,
                    "delete scheduled backups older than this (7d, ...; "
                    "default: no age limit)");
    cmd->add_flag("--off", f->off, "stop scheduled backups");
    cmd->add_option("--etag", f->etag,
                    "only if the cluster still has this etag (else exit 4)");
    ctx.OnCall(cmd, [&ctx, f](ControlClient& c) -> absl::Status {
      COVE_ASSIGN_OR_RETURN(auto policy, ParseBackupPolicy(f->every, f->keep,
                                                           f->max_age, f->off));
      COVE_ASSIGN_OR_RETURN(auto name,
                            ctx.ProjectChild(f->cluster, "clusters"));
      control::SetBackupPolicyRequest req;
      req.name = name;
      req.policy = policy;
      req.etag = f->etag;
      return ctx.Print(c.SetBackupPolicy(req, ctx.Call()));
    });
  }
}

}  // namespace cove::cli
