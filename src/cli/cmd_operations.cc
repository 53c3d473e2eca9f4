// cove operations: get, list, wait, cancel.
#include <CLI/CLI.hpp>

#include "absl/strings/str_cat.h"
#include "cli/cli.h"
#include "common/status_macros.h"

namespace cove::cli {
namespace {

std::string OperationName(const std::string& arg) {
  if (arg.find('/') != std::string::npos) return arg;
  return "operations/" + arg;
}

}  // namespace

void AddOperationCommands(CLI::App& app, Context& ctx) {
  CLI::App* group = AddGroup(
      app, "operations",
      "Long-running operations (cluster create, scale, suspend, resume, "
      "delete, restore, purge).");
  group->alias("ops");
  {
    auto id = std::make_shared<std::string>();
    CLI::App* cmd = group->add_subcommand("get", "Show an operation.");
    cmd->add_option("OPERATION", *id, "operation id or name (operations/ID)")
        ->required();
    ctx.OnCall(cmd, [&ctx, id](ControlClient& c) -> absl::Status {
      COVE_ASSIGN_OR_RETURN(auto op,
                            c.GetOperation(OperationName(*id), ctx.Call()));
      return ctx.PrintItem(op.operation());
    });
  }
  {
    struct Flags {
      ListFlags list;
      std::string done, target, verb;
      bool in_project = false;
    };
    auto f = std::make_shared<Flags>();
    CLI::App* cmd = group->add_subcommand(
        "list", "List operations of the organization (or --in-project).");
    AddListFlags(cmd, f->list, true);
    cmd->add_option("--done", f->done, "true or false")
        ->check(CLI::IsMember({"true", "false"}));
    cmd->add_option("--target", f->target, "only operations on this resource");
    cmd->add_option("--verb", f->verb, "only this verb, e.g. CreateCluster");
    cmd->add_flag("--in-project", f->in_project,
                  "operations of --project only");
    ctx.OnCall(cmd, [&ctx, f](ControlClient& c) -> absl::Status {
      control::ListRequest req;
      if (f->in_project) {
        COVE_ASSIGN_OR_RETURN(auto project, ctx.Project());
        req.parent = project;
      } else {
        COVE_ASSIGN_OR_RETURN(auto org, ctx.Organization());
        req.parent = org;
      }
      ListFlags list = f->list;
      if (!f->done.empty()) list.terms.push_back("done=" + f->done);
      if (!f->target.empty()) {
        COVE_ASSIGN_OR_RETURN(auto target,
                              ctx.ProjectChild(f->target, "clusters"));
        list.terms.push_back("target=" + target);
      }
      if (!f->verb.empty()) list.terms.push_back("verb=" + f->verb);
      req.filter = list.Filter();
      return ctx.PrintList(
          Collect(c.ListAllOperations(req, ctx.Call()), list.limit));
    });
  }
  {
    struct Flags {
      std::string id;
      std::string timeout = "10m";
    };
    auto f = std::make_shared<Flags>();
    CLI::App* cmd = group->add_subcommand(
        "wait",
        "Wait for an operation (progress on stderr) and print it; exits with "
        "the operation's error when it failed.");
    cmd->add_option("OPERATION", f->id, "operation id or name")->required();
    cmd->add_option("--timeout", f->timeout,
                    "how long to wait (default 10m); exit code 7 when it "
                    "passes");
    ctx.OnCall(cmd, [&ctx, f](ControlClient& c) -> absl::Status {
      COVE_ASSIGN_OR_RETURN(auto timeout,
                            ParseDuration(f->timeout, "--timeout"));
      COVE_ASSIGN_OR_RETURN(auto op,
                            c.GetOperation(OperationName(f->id), ctx.Call()));
      absl::Status waited = WaitForOperation(ctx, op, timeout);
      // Print the operation as it ended, failed or not, then its status.
      if (!op.done()) return waited;
      absl::Status printed = ctx.PrintItem(op.operation());
      return waited.ok() ? printed : waited;
    });
  }
  {
    struct Flags {
      std::string id;
      WaitFlags wait;
    };
    auto f = std::make_shared<Flags>();
    CLI::App* cmd = group->add_subcommand(
        "cancel",
        "Ask for an operation to be cancelled (best effort: one past its "
        "point of no return completes). With --wait, waits for its end: "
        "exit code 9 when it was cancelled.");
    cmd->add_option("OPERATION", f->id, "operation id or name")->required();
    AddWaitFlags(cmd, f->wait);
    ctx.OnCall(cmd, [&ctx, f](ControlClient& c) -> absl::Status {
      COVE_ASSIGN_OR_RETURN(auto timeout,
                            ParseDuration(f->wait.timeout, "--timeout"));
      COVE_ASSIGN_OR_RETURN(auto op,
                            c.GetOperation(OperationName(f->id), ctx.Call()));
      COVE_RETURN_IF_ERROR(op.Cancel(ctx.Call()));
      if (!f->wait.wait) return ctx.PrintItem(op.operation());
      absl::Status waited = WaitForOperation(ctx, op, timeout);
      if (!op.done()) return waited;
      absl::Status printed = ctx.PrintItem(op.operation());
      return waited.ok() ? printed : waited;
    });
  }
}

}  // namespace cove::cli
