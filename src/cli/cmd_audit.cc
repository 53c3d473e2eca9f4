// cove audit list: the audit log of an organization (or a project).
#include <CLI/CLI.hpp>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "cli/cli.h"
#include "common/status_macros.h"

namespace cove::cli {

void AddAuditCommands(CLI::App& app, Context& ctx) {
  CLI::App* group = AddGroup(
      app, "audit",
      "The audit log: every mutation (succeeded or failed) and every denied "
      "call, with actor, action, resource, outcome and status.");
  struct Flags {
    ListFlags list;
    std::string actor, action, resource, cluster, outcome, request_id, since,
        until;
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
  cmd->add_option("--cluster", f->cluster,
                  "only events of this cluster (an id under --project, or a "
                  "full name) and its backups, the data plane's refused "
                  "logins and privileges included (actions dataPlane.*)");
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
    std::string cluster;
    if (!f->cluster.empty()) {
      COVE_ASSIGN_OR_RETURN(auto name,
                            ctx.ProjectChild(f->cluster, "clusters"));
      cluster = name;
    }
    if (!cluster.empty() && !f->in_project) {
      // The cluster's own organization ("organizations/ID/...").
      req.parent = cluster.substr(0, cluster.find('/', 14));
    } else if (f->in_project) {
      COVE_ASSIGN_OR_RETURN(auto project, ctx.Project());
      req.parent = project;
    } else {
      COVE_ASSIGN_OR_RETURN(auto org, ctx.Organization());
      req.parent = org;
    }
    ListFlags list = f->list;
    if (!f->actor.empty()) list.terms.push_back("actor=" + f->actor);
    if (!f->action.empty()) list.terms.push_back("action=" + f->action);
    if (!f->resource.empty()) list.terms.push_back("resource=" + f->resource);
    // The server's resource filter is a prefix ("clusters/prod" would also
    // match "clusters/prod2"): the cluster and what is below it are kept
    // here.
    if (!cluster.empty()) list.terms.push_back("resource=" + cluster);
    if (!f->outcome.empty()) {
      list.terms.push_back("outcome=" + absl::AsciiStrToUpper(f->outcome));
    }
    if (!f->request_id.empty()) {
      list.terms.push_back("request_id=" + f->request_id);
    }
    req.filter = list.Filter();
    if (!f->since.empty()) {
      COVE_ASSIGN_OR_RETURN(auto t, ParseTime(f->since, "--since"));
      req.start_time = t;
    }
    if (!f->until.empty()) {
      COVE_ASSIGN_OR_RETURN(auto t, ParseTime(f->until, "--until"));
      req.end_time = t;
    }
    if (cluster.empty()) {
      return ctx.PrintList(
          Collect(c.ListAllAuditEvents(req, ctx.Call()), list.limit));
    }
    std::vector<control::AuditEvent> events;
    auto pager = c.ListAllAuditEvents(req, ctx.Call());
    for (const control::AuditEvent& e : pager) {
      if (e.resource != cluster && e.resource.rfind(cluster + "/", 0) != 0) {
        continue;
      }
      events.push_back(e);
      if (list.limit > 0 && static_cast<int>(events.size()) >= list.limit) {
        return ctx.PrintList(events);
      }
    }
    COVE_RETURN_IF_ERROR(pager.status());
    return ctx.PrintList(events);
  });
}

}  // namespace cove::cli
