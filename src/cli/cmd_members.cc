// cove members (list, get, update, delete) and cove invitations (create,
// get, list, revoke, accept).
#include <CLI/CLI.hpp>

#include "absl/strings/str_cat.h"
#include "cli/cli.h"
#include "common/status_macros.h"

namespace cove::cli {

void AddMemberCommands(CLI::App& app, Context& ctx) {
  CLI::App* group = AddGroup(
      app, "members",
      "Members of an organization (users with an organization-level role).");
  {
    auto flags = std::make_shared<ListFlags>();
    CLI::App* cmd = group->add_subcommand("list", "List the members.");
    AddListFlags(cmd, *flags, false);
    ctx.OnCall(cmd, [&ctx, flags](ControlClient& c) -> absl::Status {
      COVE_ASSIGN_OR_RETURN(auto org, ctx.Organization());
      control::ListRequest req;
      req.parent = org;
      return ctx.PrintList(
          Collect(c.ListAllMembers(req, ctx.Call()), flags->limit));
    });
  }
  {
    auto user = std::make_shared<std::string>();
    CLI::App* cmd = group->add_subcommand("get", "Show a member.");
    cmd->add_option("USER", *user, "e-mail address, or the member's name")
        ->required();
    ctx.OnCall(cmd, [&ctx, user](ControlClient& c) -> absl::Status {
      COVE_ASSIGN_OR_RETURN(auto name, ctx.OrgChild(*user, "members"));
      return ctx.Print(c.GetMember(name, ctx.Call()));
    });
  }
  {
    struct Flags {
      std::string user, role;
    };
    auto f = std::make_shared<Flags>();
    CLI::App* cmd =
        group->add_subcommand("update", "Change a member's organization role.");
    cmd->add_option("USER", f->user, "e-mail address, or the member's name")
        ->required();
    cmd->add_option("--role", f->role,
                    "organization-level role, e.g. roles/organization.owner")
        ->required();
    ctx.OnCall(cmd, [&ctx, f](ControlClient& c) -> absl::Status {
      COVE_ASSIGN_OR_RETURN(auto name, ctx.OrgChild(f->user, "members"));
      control::Member m;
      m.name = name;
      m.role = f->role;
      return ctx.Print(c.UpdateMember(m, {"role"}, ctx.Call()));
    });
  }
  {
    auto user = std::make_shared<std::string>();
    CLI::App* cmd = group->add_subcommand(
        "delete",
        "Remove a member (and the user's role bindings and API keys in the "
        "organization).");
    auto mut = AddMutationFlags(cmd, /*destructive=*/true);
    cmd->add_option("USER", *user, "e-mail address, or the member's name")
        ->required();
    ctx.OnCall(cmd, [&ctx, user, mut](ControlClient& c) -> absl::Status {
      COVE_ASSIGN_OR_RETURN(auto name, ctx.OrgChild(*user, "members"));
      control::DeleteRequest req;
      req.name = name;
      req.request_id = mut->request_id;
      COVE_RETURN_IF_ERROR(ctx.Confirm(*mut, "delete " + req.name));
      COVE_RETURN_IF_ERROR(c.DeleteMember(req, ctx.Call()));
      return ctx.PrintDone(absl::StrCat("Removed ", name));
    });
  }
}

void AddInvitationCommands(CLI::App& app, Context& ctx) {
  CLI::App* group = AddGroup(
      app, "invitations",
      "Invitations to join an organization (the token is shown once).");
  {
    struct Flags {
      std::string email, role, expire;
    };
    auto f = std::make_shared<Flags>();
    CLI::App* cmd = group->add_subcommand(
        "create", "Invite a user; prints the invitation with its token.");
    auto mut = AddMutationFlags(cmd, /*destructive=*/false);
    cmd->add_option("--email", f->email, "the user's e-mail address")
        ->required();
    cmd->add_option("--role", f->role,
                    "organization-level role given on acceptance (default "
                    "roles/organization.member)");
    cmd->add_option("--expire", f->expire,
                    "expiry: a duration from now (+7d) or an RFC 3339 time "
                    "(default: 7 days)");
    ctx.OnCall(cmd, [&ctx, f, mut](ControlClient& c) -> absl::Status {
      COVE_ASSIGN_OR_RETURN(auto org, ctx.Organization());
      control::CreateInvitationRequest req;
      req.request_id = mut->request_id;
      req.parent = org;
      req.invitation.email = f->email;
      req.invitation.role = f->role;
      if (!f->expire.empty()) {
        std::string text = f->expire;
        if (text.find('T') == std::string::npos && text[0] != '+') {
          text = "+" + text;  // a plain duration means from now here
        }
        COVE_ASSIGN_OR_RETURN(auto t, ParseTime(text, "--expire"));
        req.invitation.expire_time = t;
      }
      return ctx.Print(c.CreateInvitation(req, ctx.Call()));
    });
  }
  {
    auto id = std::make_shared<std::string>();
    CLI::App* cmd = group->add_subcommand("get", "Show an invitation.");
    cmd->add_option("INVITATION", *id, "invitation id or name")->required();
    ctx.OnCall(cmd, [&ctx, id](ControlClient& c) -> absl::Status {
      COVE_ASSIGN_OR_RETURN(auto name, ctx.OrgChild(*id, "invitations"));
      return ctx.Print(c.GetInvitation(name, ctx.Call()));
    });
  }
  {
    auto flags = std::make_shared<ListFlags>();
    CLI::App* cmd = group->add_subcommand("list", "List the invitations.");
    AddListFlags(cmd, *flags, true);
    ctx.OnCall(cmd, [&ctx, flags](ControlClient& c) -> absl::Status {
      COVE_ASSIGN_OR_RETURN(auto org, ctx.Organization());
      control::ListRequest req;
      req.parent = org;
      req.filter = flags->Filter();
      return ctx.PrintList(
          Collect(c.ListAllInvitations(req, ctx.Call()), flags->limit));
    });
  }
  {
    auto id = std::make_shared<std::string>();
    CLI::App* cmd =
        group->add_subcommand("revoke", "Revoke a pending invitation.");
    auto mut = AddMutationFlags(cmd, /*destructive=*/false);
    cmd->add_option("INVITATION", *id, "invitation id or name")->required();
    ctx.OnCall(cmd, [&ctx, id, mut](ControlClient& c) -> absl::Status {
      COVE_ASSIGN_OR_RETURN(auto name, ctx.OrgChild(*id, "invitations"));
      control::DeleteRequest req;
      req.name = name;
      req.request_id = mut->request_id;
      return ctx.Print(c.RevokeInvitation(req, ctx.Call()));
    });
  }
  {
    struct Flags {
      std::string name, token;
    };
    auto f = std::make_shared<Flags>();
    CLI::App* cmd = group->add_subcommand(
        "accept",
        "Accept an invitation with its token (no API key needed); prints the "
        "new member and an API key acting as the user (secret shown once).");
    cmd->add_option("INVITATION", f->name,
                    "the invitation's full name "
                    "(organizations/ORG/invitations/ID)")
        ->required();
    cmd->add_option("--token", f->token, "the invitation token")->required();
    ctx.OnRun(cmd, [&ctx, f]() -> absl::Status {
      COVE_ASSIGN_OR_RETURN(auto client, ctx.Client(/*need_key=*/false));
      control::AcceptInvitationRequest req;
      req.name = f->name;
      req.token = f->token;
      return ctx.Print(client->AcceptInvitation(req, ctx.Call()));
    });
  }
}

}  // namespace cove::cli
