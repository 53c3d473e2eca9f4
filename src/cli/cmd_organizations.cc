// cove organizations: create (admin key), get, list, update, delete.
#include <CLI/CLI.hpp>

#include "absl/strings/str_cat.h"
#include "cli/cli.h"
#include "common/status_macros.h"

namespace cove::cli {
namespace {

// An organization argument: an id or "organizations/ID"; empty: --org.
absl::StatusOr<std::string> OrgName(Context& ctx, const std::string& arg) {
  if (arg.empty()) return ctx.Organization();
  if (arg.find('/') != std::string::npos) return arg;
  return "organizations/" + arg;
}

}  // namespace

void AddOrganizationCommands(CLI::App& app, Context& ctx) {
  CLI::App* group = AddGroup(
      app, "organizations",
      "Organizations: the top of the resource tree (creating one needs the "
      "emulator's admin key).");
  group->alias("orgs");

  {
    struct Flags {
      std::string id, display_name, owner_email;
    };
    auto f = std::make_shared<Flags>();
    CLI::App* cmd = group->add_subcommand(
        "create",
        "Create an organization; prints it with its external_id (what "
        "cross-account environments must present).");
    auto mut = AddMutationFlags(cmd, /*destructive=*/false);
    cmd->add_option("ID", f->id, "organization id ([a-z][a-z0-9-]{2,62})")
        ->required();
    cmd->add_option("--display-name", f->display_name, "display name");
    cmd->add_option("--owner-email", f->owner_email,
                    "first owner (becomes a member with "
                    "roles/organization.owner)");
    ctx.OnRun(cmd, [&ctx, f, mut]() -> absl::Status {
      COVE_ASSIGN_OR_RETURN(auto client, ctx.Client());
      control::CreateOrganizationRequest req;
      req.request_id = mut->request_id;
      req.organization_id = f->id;
      req.organization.display_name = f->display_name;
      req.owner_email = f->owner_email;
      COVE_ASSIGN_OR_RETURN(auto org,
                            client->CreateOrganization(req, ctx.Call()));
      return ctx.PrintItem(org);
    });
  }
  {
    auto id = std::make_shared<std::string>();
    CLI::App* cmd =
        group->add_subcommand("get", "Show an organization (default: --org).");
    cmd->add_option("ORG", *id, "organization id or name");
    ctx.OnRun(cmd, [&ctx, id]() -> absl::Status {
      COVE_ASSIGN_OR_RETURN(auto client, ctx.Client());
      COVE_ASSIGN_OR_RETURN(auto name, OrgName(ctx, *id));
      COVE_ASSIGN_OR_RETURN(auto org,
                            client->GetOrganization(name, ctx.Call()));
      return ctx.PrintItem(org);
    });
  }
  {
    auto flags = std::make_shared<ListFlags>();
    CLI::App* cmd = group->add_subcommand(
        "list", "List the organizations the API key can see.");
    AddListFlags(cmd, *flags, false);
    ctx.OnRun(cmd, [&ctx, flags]() -> absl::Status {
      COVE_ASSIGN_OR_RETURN(auto client, ctx.Client());
      COVE_ASSIGN_OR_RETURN(
          auto items,
          Collect(client->ListAllOrganizations({}, ctx.Call()), flags->limit));
      return ctx.PrintList(items);
    });
  }
  {
    struct Flags {
      std::string id, display_name, etag;
    };
    auto f = std::make_shared<Flags>();
    CLI::App* cmd = group->add_subcommand(
        "update", "Change an organization's display name.");
    cmd->add_option("ORG", f->id, "organization id or name (default: --org)");
    cmd->add_option("--display-name", f->display_name, "new display name")
        ->required();
    cmd->add_option("--etag", f->etag,
                    "only if the organization still has this etag "
                    "(else exit 4)");
    ctx.OnRun(cmd, [&ctx, f]() -> absl::Status {
      COVE_ASSIGN_OR_RETURN(auto client, ctx.Client());
      COVE_ASSIGN_OR_RETURN(auto name, OrgName(ctx, f->id));
      control::Organization org;
      org.name = name;
      org.display_name = f->display_name;
      org.etag = f->etag;
      COVE_ASSIGN_OR_RETURN(
          auto updated,
          client->UpdateOrganization(org, {"display_name"}, ctx.Call()));
      return ctx.PrintItem(updated);
    });
  }
  {
    struct Flags {
      std::string id, etag;
    };
    auto f = std::make_shared<Flags>();
    CLI::App* cmd = group->add_subcommand(
        "delete", "Delete an organization (it must have no projects left).");
    auto mut = AddMutationFlags(cmd, /*destructive=*/true);
    cmd->add_option("ORG", f->id, "organization id or name")->required();
    cmd->add_option("--etag", f->etag, "only if it still has this etag");
    ctx.OnRun(cmd, [&ctx, f, mut]() -> absl::Status {
      COVE_ASSIGN_OR_RETURN(auto client, ctx.Client());
      COVE_ASSIGN_OR_RETURN(auto name, OrgName(ctx, f->id));
      control::DeleteRequest req;
      req.name = name;
      req.request_id = mut->request_id;
      COVE_RETURN_IF_ERROR(ctx.Confirm(*mut, "delete " + req.name));
      req.etag = f->etag;
      COVE_RETURN_IF_ERROR(client->DeleteOrganization(req, ctx.Call()));
      return ctx.PrintDone(absl::StrCat("Deleted ", name));
    });
  }
}

}  // namespace cove::cli
