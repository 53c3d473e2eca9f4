// cove projects: create, get, list, update, delete.
#include <CLI/CLI.hpp>

#include "absl/strings/str_cat.h"
#include "cli/cli.h"
#include "common/status_macros.h"

namespace cove::cli {
namespace {

// A project argument (id or name); empty: --project.
absl::StatusOr<std::string> ProjectName(Context& ctx, const std::string& arg) {
  if (arg.empty()) return ctx.Project();
  return ctx.OrgChild(arg, "projects");
}

}  // namespace

void AddProjectCommands(CLI::App& app, Context& ctx) {
  CLI::App* group = AddGroup(
      app, "projects",
      "Projects of an organization: they hold environments and clusters.");
  {
    struct Flags {
      std::string id, display_name, plan, region;
      std::vector<std::string> labels;
    };
    auto f = std::make_shared<Flags>();
    CLI::App* cmd = group->add_subcommand("create", "Create a project.");
    auto mut = AddMutationFlags(cmd, /*destructive=*/false);
    cmd->add_option("ID", f->id, "project id ([a-z][a-z0-9-]{2,62})")
        ->required();
    cmd->add_option("--display-name", f->display_name, "display name");
    cmd->add_option("--plan", f->plan,
                    "free, standard or enterprise (default free)");
    cmd->add_option("--region", f->region, "region (default: local)");
    cmd->add_option("--label", f->labels, "KEY=VALUE (repeatable)");
    ctx.OnCall(cmd, [&ctx, f, mut](ControlClient& c) -> absl::Status {
      COVE_ASSIGN_OR_RETURN(auto org, ctx.Organization());
      COVE_ASSIGN_OR_RETURN(auto labels, ParseLabels(f->labels, "--label"));
      control::CreateProjectRequest req;
      req.request_id = mut->request_id;
      req.parent = org;
      req.project_id = f->id;
      req.project.display_name = f->display_name;
      req.project.plan = f->plan;
      req.project.region = f->region;
      req.project.labels = labels;
      return ctx.Print(c.CreateProject(req, ctx.Call()));
    });
  }
  {
    auto id = std::make_shared<std::string>();
    CLI::App* cmd =
        group->add_subcommand("get", "Show a project (default: --project).");
    cmd->add_option("PROJECT", *id, "project id or name");
    ctx.OnCall(cmd, [&ctx, id](ControlClient& c) -> absl::Status {
      COVE_ASSIGN_OR_RETURN(auto name, ProjectName(ctx, *id));
      return ctx.Print(c.GetProject(name, ctx.Call()));
    });
  }
  {
    auto flags = std::make_shared<ListFlags>();
    CLI::App* cmd = group->add_subcommand(
        "list", "List the organization's projects that the key can see.");
    AddListFlags(cmd, *flags, true);
    ctx.OnCall(cmd, [&ctx, flags](ControlClient& c) -> absl::Status {
      COVE_ASSIGN_OR_RETURN(auto org, ctx.Organization());
      control::ListRequest req;
      req.parent = org;
      req.filter = flags->Filter();
      return ctx.PrintList(
          Collect(c.ListAllProjects(req, ctx.Call()), flags->limit));
    });
  }
  {
    struct Flags {
      std::string id, display_name, plan, etag;
      std::vector<std::string> labels, remove_labels;
    };
    auto f = std::make_shared<Flags>();
    CLI::App* cmd = group->add_subcommand(
        "update", "Change a project's display name, plan or labels.");
    cmd->add_option("PROJECT", f->id,
                    "project id or name (default: --project)");
    CLI::Option* dn =
        cmd->add_option("--display-name", f->display_name, "new display name");
    CLI::Option* plan =
        cmd->add_option("--plan", f->plan, "free, standard or enterprise");
    CLI::Option* label =
        cmd->add_option("--label", f->labels, "set KEY=VALUE (repeatable)");
    CLI::Option* remove = cmd->add_option("--remove-label", f->remove_labels,
                                          "remove label KEY (repeatable)");
    cmd->add_option("--etag", f->etag,
                    "only if the project still has this etag (else exit 4)");
    ctx.OnCall(
        cmd,
        [&ctx, f, dn, plan, label, remove](ControlClient& c) -> absl::Status {
          COVE_ASSIGN_OR_RETURN(auto name, ProjectName(ctx, f->id));
          COVE_ASSIGN_OR_RETURN(auto labels, ParseLabels(f->labels, "--label"));
          control::Project p;
          std::vector<std::string> mask;
          if (label->count() > 0 || remove->count() > 0) {
            // Labels are replaced as a whole: start from the current ones (and
            // their etag, so that a concurrent change is not lost).
            COVE_ASSIGN_OR_RETURN(auto current, c.GetProject(name, ctx.Call()));
            p = current;
            for (const auto& [k, v] : labels) p.labels[k] = v;
            for (const std::string& k : f->remove_labels) p.labels.erase(k);
            mask.push_back("labels");
          }
          p.name = name;
          if (dn->count() > 0) {
            p.display_name = f->display_name;
            mask.push_back("display_name");
          }
          if (plan->count() > 0) {
            p.plan = f->plan;
            mask.push_back("plan");
          }
          if (!f->etag.empty()) p.etag = f->etag;
          if (mask.empty()) {
            return absl::InvalidArgumentError(
                "nothing to update: give --display-name, --plan, --label or "
                "--remove-label");
          }
          return ctx.Print(c.UpdateProject(p, mask, ctx.Call()));
        });
  }
  {
    struct Flags {
      std::string id, etag;
    };
    auto f = std::make_shared<Flags>();
    CLI::App* cmd = group->add_subcommand(
        "delete",
        "Delete a project (it must have no clusters or environments left).");
    auto mut = AddMutationFlags(cmd, /*destructive=*/true);
    cmd->add_option("PROJECT", f->id, "project id or name")->required();
    cmd->add_option("--etag", f->etag, "only if it still has this etag");
    ctx.OnCall(cmd, [&ctx, f, mut](ControlClient& c) -> absl::Status {
      COVE_ASSIGN_OR_RETURN(auto name, ProjectName(ctx, f->id));
      control::DeleteRequest req;
      req.name = name;
      req.request_id = mut->request_id;
      COVE_RETURN_IF_ERROR(ctx.Confirm(*mut, "delete " + req.name));
      req.etag = f->etag;
      COVE_RETURN_IF_ERROR(c.DeleteProject(req, ctx.Call()));
      return ctx.PrintDone(absl::StrCat("Deleted ", name));
    });
  }
}

}  // namespace cove::cli
