// cove roles (create, get, list, update, delete, test-permissions) and cove
// role-bindings (create, get, list, delete).
#include <CLI/CLI.hpp>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "cli/cli.h"
#include "common/status_macros.h"

namespace cove::cli {
namespace {

// "ACTIONS[:RESOURCES]", both comma-separated lists.
absl::StatusOr<control::Statement> ParseStatement(const std::string& text,
                                                  control::Effect effect,
                                                  const std::string& flag) {
  control::Statement s;
  s.effect = effect;
  size_t colon = text.find(':');
  std::string actions = text.substr(0, colon);
  for (absl::string_view a : absl::StrSplit(actions, ',', absl::SkipEmpty())) {
    s.actions.emplace_back(a);
  }
  if (s.actions.empty()) {
    return absl::InvalidArgumentError(absl::StrCat(
        flag,
        ": expected ACTIONS[:RESOURCES] (e.g. clusters.get,clusters.list"
        ":projects/p1/**), got '",
        text, "'"));
  }
  if (colon != std::string::npos) {
    for (absl::string_view r :
         absl::StrSplit(text.substr(colon + 1), ',', absl::SkipEmpty())) {
      s.resources.emplace_back(r);
    }
  }
  return s;
}

absl::StatusOr<std::vector<control::Statement>> Statements(
    const std::vector<std::string>& allow,
    const std::vector<std::string>& deny) {
  std::vector<control::Statement> out;
  for (const std::string& a : allow) {
    COVE_ASSIGN_OR_RETURN(
        auto s, ParseStatement(a, control::Effect::kAllow, "--allow"));
    out.push_back(s);
  }
  for (const std::string& d : deny) {
    COVE_ASSIGN_OR_RETURN(auto s,
                          ParseStatement(d, control::Effect::kDeny, "--deny"));
    out.push_back(s);
  }
  return out;
}

// A role argument: "roles/..." (built-in) or a full name as they are, else a
// custom role id of the organization.
absl::StatusOr<std::string> RoleName(Context& ctx, const std::string& arg) {
  return ctx.OrgChild(arg, "roles");
}

}  // namespace

void AddRoleCommands(CLI::App& app, Context& ctx) {
  CLI::App* group = AddGroup(
      app, "roles",
      "Roles: the built-in ones (roles/organization.owner, "
      "roles/project.admin, roles/project.read_write, "
      "roles/project.read_only, ...) and the organization's custom roles.");
  const char* kStatementHelp =
      "ACTIONS[:RESOURCES], comma-separated (e.g. clusters.get,clusters.list"
      ":projects/p1/**; resources relative to the binding's scope; none: all)";
  {
    struct Flags {
      std::string id, display_name, level = "project";
      std::vector<std::string> allow, deny;
    };
    auto f = std::make_shared<Flags>();
    CLI::App* cmd = group->add_subcommand(
        "create",
        "Create a custom role from ALLOW and DENY statements (DENY "
        "wins; no matching ALLOW denies).");
    auto mut = AddMutationFlags(cmd, /*destructive=*/false);
    cmd->add_option("ID", f->id, "role id")->required();
    cmd->add_option("--level", f->level,
                    "organization or project (default project)")
        ->check(CLI::IsMember({"organization", "project"}));
    cmd->add_option("--display-name", f->display_name, "display name");
    cmd->add_option("--allow", f->allow, kStatementHelp);
    cmd->add_option("--deny", f->deny, kStatementHelp);
    ctx.OnCall(cmd, [&ctx, f, mut](ControlClient& c) -> absl::Status {
      COVE_ASSIGN_OR_RETURN(auto org, ctx.Organization());
      COVE_ASSIGN_OR_RETURN(auto statements, Statements(f->allow, f->deny));
      control::CreateRoleRequest req;
      req.request_id = mut->request_id;
      req.parent = org;
      req.role_id = f->id;
      req.role.display_name = f->display_name;
      req.role.level = f->level == "organization"
                           ? control::RoleLevel::kOrganization
                           : control::RoleLevel::kProject;
      req.role.statements = statements;
      return ctx.Print(c.CreateRole(req, ctx.Call()));
    });
  }
  {
    auto id = std::make_shared<std::string>();
    CLI::App* cmd =
        group->add_subcommand("get", "Show a role with its statements.");
    cmd->add_option("ROLE", *id,
                    "built-in role (roles/...), custom role id, or name")
        ->required();
    ctx.OnCall(cmd, [&ctx, id](ControlClient& c) -> absl::Status {
      COVE_ASSIGN_OR_RETURN(auto name, RoleName(ctx, *id));
      return ctx.Print(c.GetRole(name, ctx.Call()));
    });
  }
  {
    auto flags = std::make_shared<ListFlags>();
    CLI::App* cmd = group->add_subcommand(
        "list", "List the built-in roles and the organization's custom ones.");
    AddListFlags(cmd, *flags, false);
    ctx.OnCall(cmd, [&ctx, flags](ControlClient& c) -> absl::Status {
      COVE_ASSIGN_OR_RETURN(auto org, ctx.Organization());
      control::ListRequest req;
      req.parent = org;
      return ctx.PrintList(
          Collect(c.ListAllRoles(req, ctx.Call()), flags->limit));
    });
  }
  {
    struct Flags {
      std::string id, display_name, etag;
      std::vector<std::string> allow, deny;
    };
    auto f = std::make_shared<Flags>();
    CLI::App* cmd = group->add_subcommand(
        "update",
        "Change a custom role: its display name, or its statements (--allow "
        "and --deny replace them all).");
    cmd->add_option("ROLE", f->id, "custom role id or name")->required();
    CLI::Option* dn =
        cmd->add_option("--display-name", f->display_name, "new display name");
    CLI::Option* allow = cmd->add_option("--allow", f->allow, kStatementHelp);
    CLI::Option* deny = cmd->add_option("--deny", f->deny, kStatementHelp);
    cmd->add_option("--etag", f->etag, "only if it still has this etag");
    ctx.OnCall(
        cmd, [&ctx, f, dn, allow, deny](ControlClient& c) -> absl::Status {
          COVE_ASSIGN_OR_RETURN(auto name, RoleName(ctx, f->id));
          control::Role role;
          role.name = name;
          role.etag = f->etag;
          std::vector<std::string> mask;
          if (dn->count() > 0) {
            role.display_name = f->display_name;
            mask.push_back("display_name");
          }
          if (allow->count() > 0 || deny->count() > 0) {
            COVE_ASSIGN_OR_RETURN(auto statements,
                                  Statements(f->allow, f->deny));
            role.statements = statements;
            mask.push_back("statements");
          }
          if (mask.empty()) {
            return absl::InvalidArgumentError(
                "nothing to update: give --display-name, --allow or --deny");
          }
          return ctx.Print(c.UpdateRole(role, mask, ctx.Call()));
        });
  }
  {
    auto id = std::make_shared<std::string>();
    CLI::App* cmd = group->add_subcommand(
        "delete", "Delete a custom role (not while a binding or key uses it).");
    auto mut = AddMutationFlags(cmd, /*destructive=*/true);
    cmd->add_option("ROLE", *id, "custom role id or name")->required();
    ctx.OnCall(cmd, [&ctx, id, mut](ControlClient& c) -> absl::Status {
      COVE_ASSIGN_OR_RETURN(auto name, RoleName(ctx, *id));
      control::DeleteRequest req;
      req.name = name;
      req.request_id = mut->request_id;
      COVE_RETURN_IF_ERROR(ctx.Confirm(*mut, "delete " + req.name));
      COVE_RETURN_IF_ERROR(c.DeleteRole(req, ctx.Call()));
      return ctx.PrintDone(absl::StrCat("Deleted ", name));
    });
  }
  {
    struct Flags {
      std::string resource;
      std::vector<std::string> actions;
    };
    auto f = std::make_shared<Flags>();
    CLI::App* cmd = group->add_subcommand(
        "test-permissions",
        "Print which of the actions the API key in use may do on a resource "
        "(one per line; a JSON array with -o json).");
    cmd->add_option("RESOURCE", f->resource, "a full resource name")
        ->required();
    cmd->add_option("ACTION", f->actions, "actions, e.g. clusters.create")
        ->required();
    ctx.OnCall(cmd, [&ctx, f](ControlClient& c) -> absl::Status {
      control::TestPermissionsRequest req;
      req.resource = f->resource;
      req.actions = f->actions;
      COVE_ASSIGN_OR_RETURN(auto allowed, c.TestPermissions(req, ctx.Call()));
      if (ctx.json()) {
        Json array = Json::array();
        for (const std::string& a : allowed) array.push_back(a);
        std::cout << array.dump(2) << std::endl;
      } else {
        for (const std::string& a : allowed) std::cout << a << "\n";
      }
      return absl::OkStatus();
    });
  }
}

void AddRoleBindingCommands(CLI::App& app, Context& ctx) {
  CLI::App* group = AddGroup(
      app, "role-bindings",
      "Role bindings: a role given to a principal (users/EMAIL or an API "
      "key name) on a scope (the organization, a project or a cluster).");
  group->alias("bindings");
  {
    struct Flags {
      std::string role, principal, scope;
    };
    auto f = std::make_shared<Flags>();
    CLI::App* cmd = group->add_subcommand("create", "Create a role binding.");
    auto mut = AddMutationFlags(cmd, /*destructive=*/false);
    cmd->add_option("--role", f->role, "role (roles/... or a custom role id)")
        ->required();
    cmd->add_option("--principal", f->principal,
                    "users/EMAIL, or an API key (id or name)")
        ->required();
    cmd->add_option("--scope", f->scope,
                    "organization, project or cluster name (default: "
                    "--project if set, else the organization)");
    ctx.OnCall(cmd, [&ctx, f, mut](ControlClient& c) -> absl::Status {
      COVE_ASSIGN_OR_RETURN(auto org, ctx.Organization());
      COVE_ASSIGN_OR_RETURN(auto role, RoleName(ctx, f->role));
      control::CreateRoleBindingRequest req;
      req.request_id = mut->request_id;
      req.parent = org;
      req.role_binding.role = role;
      std::string principal = f->principal;
      if (principal.find('/') == std::string::npos) {
        principal = org + "/apiKeys/" + principal;
      }
      req.role_binding.principal = principal;
      req.role_binding.scope = f->scope;
      if (req.role_binding.scope.empty()) {
        auto project = ctx.Project();
        req.role_binding.scope = project.ok() ? *project : org;
      }
      return ctx.Print(c.CreateRoleBinding(req, ctx.Call()));
    });
  }
  {
    auto id = std::make_shared<std::string>();
    CLI::App* cmd = group->add_subcommand("get", "Show a role binding.");
    cmd->add_option("BINDING", *id, "binding id or name")->required();
    ctx.OnCall(cmd, [&ctx, id](ControlClient& c) -> absl::Status {
      COVE_ASSIGN_OR_RETURN(auto name, ctx.OrgChild(*id, "roleBindings"));
      return ctx.Print(c.GetRoleBinding(name, ctx.Call()));
    });
  }
  {
    auto flags = std::make_shared<ListFlags>();
    CLI::App* cmd =
        group->add_subcommand("list", "List the organization's role bindings.");
    AddListFlags(cmd, *flags, true);
    ctx.OnCall(cmd, [&ctx, flags](ControlClient& c) -> absl::Status {
      COVE_ASSIGN_OR_RETURN(auto org, ctx.Organization());
      control::ListRequest req;
      req.parent = org;
      req.filter = flags->Filter();
      return ctx.PrintList(
          Collect(c.ListAllRoleBindings(req, ctx.Call()), flags->limit));
    });
  }
  {
    auto id = std::make_shared<std::string>();
    CLI::App* cmd = group->add_subcommand("delete", "Delete a role binding.");
    auto mut = AddMutationFlags(cmd, /*destructive=*/true);
    cmd->add_option("BINDING", *id, "binding id or name")->required();
    ctx.OnCall(cmd, [&ctx, id, mut](ControlClient& c) -> absl::Status {
      COVE_ASSIGN_OR_RETURN(auto name, ctx.OrgChild(*id, "roleBindings"));
      control::DeleteRequest req;
      req.name = name;
      req.request_id = mut->request_id;
      COVE_RETURN_IF_ERROR(ctx.Confirm(*mut, "delete " + req.name));
      COVE_RETURN_IF_ERROR(c.DeleteRoleBinding(req, ctx.Call()));
      return ctx.PrintDone(absl::StrCat("Deleted ", name));
    });
  }
}

}  // namespace cove::cli
