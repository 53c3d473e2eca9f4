// Support access with customer approval (issue 19): `cove support-access
// request|get|list|approve|deny|revoke`, and the vendor's `cove emulator
// support-principal create` (the emulator's admin key).
#include <CLI/CLI.hpp>
#include <iostream>
#include <string>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "cli/cli.h"
#include "common/status_macros.h"

namespace cove::cli {
namespace {

const char* StateName(control::SupportAccessState s) {
  switch (s) {
    case control::SupportAccessState::kPending:
      return "PENDING";
    case control::SupportAccessState::kActive:
      return "ACTIVE";
    case control::SupportAccessState::kDenied:
      return "DENIED";
    case control::SupportAccessState::kExpired:
      return "EXPIRED";
    case control::SupportAccessState::kRevoked:
      return "REVOKED";
    default:
      return "STATE_UNSPECIFIED";
  }
}

std::string TimeText(control::Timestamp t) {
  return control::IsSet(t) ? FormatTime(t) : std::string();
}

Json GrantJson(const control::SupportAccessGrant& g) {
  Json j;
  j["name"] = g.name;
  j["cluster"] = g.cluster;
  j["requester"] = g.requester;
  j["reason"] = g.reason;
  j["duration_seconds"] = g.duration.count() / 1000;
  j["state"] = StateName(g.state);
  j["create_time"] = TimeText(g.create_time);
  j["approve_time"] = TimeText(g.approve_time);
  j["expire_time"] = TimeText(g.expire_time);
  j["end_time"] = TimeText(g.end_time);
  j["decided_by"] = g.decided_by;
  j["revoked_by"] = g.revoked_by;
  j["decision_reason"] = g.decision_reason;
  j["data_plane_user"] = g.data_plane_user;
  // Shown only to the requester of an ACTIVE grant (as the API does).
  if (!g.data_plane_password.empty())
    j["data_plane_password"] = g.data_plane_password;
  return j;
}

absl::Status Show(Context& ctx,
                  const absl::StatusOr<control::SupportAccessGrant>& g) {
  COVE_RETURN_IF_ERROR(g);
  const Json j = GrantJson(*g);
  if (ctx.json()) {
    std::cout << j.dump(2) << std::endl;
  } else {
    PrintDetails(std::cout, j);
  }
  return absl::OkStatus();
}

// A grant: an id under --org, or "organizations/ORG/supportGrants/ID".
absl::StatusOr<std::string> GrantArg(Context& ctx, const std::string& arg) {
  return ctx.OrgChild(arg, "supportGrants");
}

}  // namespace

void AddSupportCommands(CLI::App& app, Context& ctx) {
  CLI::App* group = AddGroup(
      app, "support-access",
      "Just-in-time support access: a vendor support principal requests "
      "access to one cluster for a reason and a duration; an organization "
      "owner approves, denies or revokes it; every call made with it is "
      "audited.");
  {
    struct Flags {
      std::string cluster, reason, duration = "1h", request_id;
    };
    auto f = std::make_shared<Flags>();
    CLI::App* cmd = group->add_subcommand(
        "request",
        "Request access to a cluster (support principals only): PENDING "
        "until an owner decides.");
    cmd->add_option("CLUSTER", f->cluster,
                    "cluster id under --project, or its full name")
        ->required();
    cmd->add_option("--reason", f->reason, "why access is needed (a ticket)")
        ->required();
    cmd->add_option("--duration", f->duration,
                    "how long access lasts once approved: 1m to 24h "
                    "(default 1h)");
    cmd->add_option("--request-id", f->request_id,
                    "idempotency key (the same command again returns the "
                    "first grant)");
    ctx.OnCall(cmd, [&ctx, f](ControlClient& c) -> absl::Status {
      COVE_ASSIGN_OR_RETURN(auto cluster,
                            ctx.ProjectChild(f->cluster, "clusters"));
      COVE_ASSIGN_OR_RETURN(auto d, ParseDuration(f->duration, "--duration"));
      control::RequestSupportAccessRequest req;
      req.cluster = cluster;
      req.reason = f->reason;
      req.duration = d;
      req.request_id = f->request_id;
      return Show(ctx, c.RequestSupportAccess(req, ctx.Call()));
    });
  }
  {
    auto id = std::make_shared<std::string>();
    CLI::App* cmd = group->add_subcommand(
        "get",
        "Show a grant (its requester also sees the data-plane credentials "
        "while it is ACTIVE).");
    cmd->add_option("GRANT", *id, "grant id under --org, or its full name")
        ->required();
    ctx.OnCall(cmd, [&ctx, id](ControlClient& c) -> absl::Status {
      COVE_ASSIGN_OR_RETURN(auto name, GrantArg(ctx, *id));
      return Show(ctx, c.GetSupportAccess(name, ctx.Call()));
    });
  }
  {
    struct Flags {
      std::string state, cluster;
      bool mine = false;
      int limit = 0;
    };
    auto f = std::make_shared<Flags>();
    CLI::App* cmd = group->add_subcommand(
        "list",
        "List the grants of --org (owners), or with --mine the caller's own "
        "(support principals).");
    cmd->add_option("--state", f->state,
                    "PENDING, ACTIVE, DENIED, EXPIRED or REVOKED");
    cmd->add_option("--cluster", f->cluster,
                    "only grants of this cluster (an id under --project, or "
                    "a full name)");
    cmd->add_flag("--mine", f->mine, "the caller's own grants");
    cmd->add_option("--limit", f->limit, "at most this many (0: all)");
    ctx.OnCall(cmd, [&ctx, f](ControlClient& c) -> absl::Status {
      control::ListRequest req;
      if (!f->mine) {
        COVE_ASSIGN_OR_RETURN(auto org, ctx.Organization());
        req.parent = org;
      }
      std::string filter;
      if (!f->state.empty())
        filter = "state=" + absl::AsciiStrToUpper(f->state);
      if (!f->cluster.empty()) {
        COVE_ASSIGN_OR_RETURN(auto cluster,
                              ctx.ProjectChild(f->cluster, "clusters"));
        filter +=
            absl::StrCat(filter.empty() ? "" : " AND ", "cluster=", cluster);
      }
      req.filter = filter;
      std::vector<Json> rows;
      do {
        COVE_ASSIGN_OR_RETURN(auto page, c.ListSupportAccess(req, ctx.Call()));
        for (const auto& g : page.items) {
          if (f->limit > 0 && static_cast<int>(rows.size()) >= f->limit) break;
          rows.push_back(GrantJson(g));
        }
        req.page_token = page.next_page_token;
      } while (!req.page_token.empty() &&
               (f->limit == 0 || static_cast<int>(rows.size()) < f->limit));
      if (ctx.json()) {
        Json array = Json::array();
        for (Json& r : rows) array.push_back(std::move(r));
        std::cout << array.dump(2) << std::endl;
      } else {
        PrintTable(std::cout,
                   {{"NAME", "name"},
                    {"CLUSTER", "cluster"},
                    {"REQUESTER", "requester"},
                    {"STATE", "state"},
                    {"EXPIRES", "expire_time"},
                    {"REASON", "reason"}},
                   rows);
      }
      return absl::OkStatus();
    });
  }
  struct Decision {
    const char* verb;
    const char* help;
    absl::StatusOr<control::SupportAccessGrant> (ControlClient::*method)(
        const control::SupportAccessActionRequest&, const ControlCallOptions&);
  };
  for (const Decision& d :
       {Decision{"approve",
                 "Approve a PENDING request (organization owners): access "
                 "starts now and ends after its duration.",
                 &ControlClient::ApproveSupportAccess},
        Decision{"deny", "Deny a PENDING request (organization owners).",
                 &ControlClient::DenySupportAccess},
        Decision{"revoke",
                 "End an ACTIVE grant now, on the control plane and the data "
                 "plane (organization owners).",
                 &ControlClient::RevokeSupportAccess}}) {
    struct Flags {
      std::string id, reason, etag;
    };
    auto f = std::make_shared<Flags>();
    CLI::App* cmd = group->add_subcommand(d.verb, d.help);
    cmd->add_option("GRANT", f->id, "grant id under --org, or its full name")
        ->required();
    if (std::string(d.verb) != "approve")
      cmd->add_option("--reason", f->reason, "a note kept with the grant");
    cmd->add_option("--etag", f->etag, "fail if the grant changed since");
    auto method = d.method;
    ctx.OnCall(cmd, [&ctx, f, method](ControlClient& c) -> absl::Status {
      COVE_ASSIGN_OR_RETURN(auto name, GrantArg(ctx, f->id));
      control::SupportAccessActionRequest req;
      req.name = name;
      req.reason = f->reason;
      req.etag = f->etag;
      return Show(ctx, (c.*method)(req, ctx.Call()));
    });
  }

  // The vendor's side: the emulator's admin key makes support principals.
  CLI::App* emulator = app.get_subcommand("emulator");
  CLI::App* principals = emulator->add_subcommand(
      "support-principal",
      "Vendor support principals (the emulator's admin key).");
  principals->require_subcommand(1);
  {
    struct Flags {
      std::string id, display_name;
    };
    auto f = std::make_shared<Flags>();
    CLI::App* cmd = principals->add_subcommand(
        "create", "Make a support principal; prints its API key secret once.");
    cmd->add_option("ID", f->id, "3 to 63 of [a-z0-9-], starting with a letter")
        ->required();
    cmd->add_option("--display-name", f->display_name, "a name to show");
    ctx.OnCall(cmd, [&ctx, f](ControlClient& c) -> absl::Status {
      control::CreateSupportPrincipalRequest req;
      req.support_principal_id = f->id;
      req.display_name = f->display_name;
      COVE_ASSIGN_OR_RETURN(
          auto p, c.emulator().CreateSupportPrincipal(req, ctx.Call()));
      Json j;
      j["name"] = p.name;
      j["display_name"] = p.display_name;
      j["create_time"] = TimeText(p.create_time);
      j["secret"] = p.secret;
      if (ctx.json()) {
        std::cout << j.dump(2) << std::endl;
      } else {
        PrintDetails(std::cout, j);
      }
      return absl::OkStatus();
    });
  }
}

}  // namespace cove::cli
