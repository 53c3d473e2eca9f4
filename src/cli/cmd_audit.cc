// cove audit list: the audit log of an organization (or a project).
#include <CLI/CLI.hpp>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "cli/cli.h"

namespace cove::cli {

void AddAuditCommands(CLI::App& app, Context& ctx) {
  CLI::App* group = AddGroup(
      app, "audit",
      "The audit log: every mutation (succeeded or failed) and every denied "
      "call, with actor, action, resource, outcome and status.");
  struct Flags {
    ListFlags list;
    std::string actor, action, resource, outcome, request_id, since, until;
    bool in_project = false;
  };
  auto f = std::make_shared<Flags>();
  CLI::App* cmd =
      group->add_subcommand("list", "List audit events, oldest first.");
  AddListFlags(cmd, f->list, true);
  cmd->add_option("--actor", f->actor,
                  "only this actor (admin, an API key name, users/EMAIL, "
                  "system, anonymous)");
  cmd->add_option("--action", f->action,
                  "only this action, e.g. clusters.create");
  cmd->add_option("--resource", f->resource,
                  "only resources starting with this name");
  cmd->add_option("--outcome", f->outcome, "SUCCEEDED, FAILED or DENIED");
  cmd->add_option("--request-id", f->request_id, "only this request id");
  cmd->add_option("--since", f->since,
                  "from this time: RFC 3339, or a duration ago (1h)");
  cmd->add_option("--until", f->until,
                  "before this time: RFC 3339, or a duration ago");
  cmd->add_flag("--in-project", f->in_project,
                "events of --project only (default: the whole organization)");
  ctx.OnCall(cmd, [&ctx, f](ControlClient& c) -> absl::Status {
    control::ListAuditEventsRequest req;
    if (f->in_project) {
      auto project = ctx.Project();
      if (!project.ok()) return project.status();
      req.parent = *project;
    } else {
      auto org = ctx.Organization();
      if (!org.ok()) return org.status();
      req.parent = *org;
    }
    ListFlags list = f->list;
    if (!f->actor.empty()) list.terms.push_back("actor=" + f->actor);
    if (!f->action.empty()) list.terms.push_back("action=" + f->action);
    if (!f->resource.empty()) list.terms.push_back("resource=" + f->resource);
    if (!f->outcome.empty()) {
      list.terms.push_back("outcome=" + absl::AsciiStrToUpper(f->outcome));
    }
    if (!f->request_id.empty()) {
      list.terms.push_back("request_id=" + f->request_id);
    }
    req.filter = list.Filter();
    if (!f->since.empty()) {
      auto t = ParseTime(f->since, "--since");
      if (!t.ok()) return t.status();
      req.start_time = *t;
    }
    if (!f->until.empty()) {
      auto t = ParseTime(f->until, "--until");
      if (!t.ok()) return t.status();
      req.end_time = *t;
    }
    return ctx.PrintList(
        Collect(c.ListAllAuditEvents(req, ctx.Call()), list.limit));
  });
}

}  // namespace cove::cli
