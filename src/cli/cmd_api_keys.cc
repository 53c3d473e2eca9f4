// cove api-keys: create (secret shown once), get, list, update, delete.
#include <CLI/CLI.hpp>

#include "absl/strings/str_cat.h"
#include "cli/cli.h"
#include "common/status_macros.h"

namespace cove::cli {
namespace {

// --expire: "never", a duration from now, or an RFC 3339 time.
absl::StatusOr<control::Timestamp> ParseExpiry(const std::string& text) {
  if (text == "never") return control::Timestamp();
  std::string t = text;
  if (t.find('T') == std::string::npos && !t.empty() && t[0] != '+') {
    t = "+" + t;  // a plain duration means from now
  }
  return ParseTime(t, "--expire");
}

}  // namespace

void AddApiKeyCommands(CLI::App& app, Context& ctx) {
  CLI::App* group = AddGroup(
      app, "api-keys",
      "API keys: credentials for people and automation, each with a scope "
      "(organization, project or cluster) and a role on it.");
  group->alias("keys");
  {
    struct Flags {
      std::string id, display_name, scope, role, expire;
    };
    auto f = std::make_shared<Flags>();
    CLI::App* cmd = group->add_subcommand(
        "create",
        "Create an API key; prints it with its secret, which is shown only "
        "this once.");
    auto mut = AddMutationFlags(cmd, /*destructive=*/false);
    cmd->add_option("ID", f->id, "key id (default: chosen by the server)");
    cmd->add_option("--scope", f->scope,
                    "where the key applies: an organization, project or "
                    "cluster name (default: --project if set, else the "
                    "organization)");
    cmd->add_option("--role", f->role,
                    "role held on the scope, e.g. roles/project.read_only")
        ->required();
    cmd->add_option("--display-name", f->display_name, "display name");
    cmd->add_option("--expire", f->expire,
                    "expiry: a duration from now (30d), an RFC 3339 time, or "
                    "never (default)");
    ctx.OnCall(cmd, [&ctx, f, mut](ControlClient& c) -> absl::Status {
      COVE_ASSIGN_OR_RETURN(auto org, ctx.Organization());
      control::CreateApiKeyRequest req;
      req.request_id = mut->request_id;
      req.parent = org;
      req.api_key_id = f->id;
      req.api_key.display_name = f->display_name;
      req.api_key.role = f->role;
      req.api_key.scope = f->scope;
      if (req.api_key.scope.empty()) {
        auto project = ctx.Project();
        req.api_key.scope = project.ok() ? *project : org;
      }
      if (!f->expire.empty()) {
        COVE_ASSIGN_OR_RETURN(auto t, ParseExpiry(f->expire));
        req.api_key.expire_time = t;
      }
      return ctx.Print(c.CreateApiKey(req, ctx.Call()));
    });
  }
  {
    auto id = std::make_shared<std::string>();
    CLI::App* cmd =
        group->add_subcommand("get", "Show an API key (never its secret).");
    cmd->add_option("KEY", *id, "key id or name")->required();
    ctx.OnCall(cmd, [&ctx, id](ControlClient& c) -> absl::Status {
      COVE_ASSIGN_OR_RETURN(auto name, ctx.OrgChild(*id, "apiKeys"));
      return ctx.Print(c.GetApiKey(name, ctx.Call()));
    });
  }
  {
    auto flags = std::make_shared<ListFlags>();
    CLI::App* cmd =
        group->add_subcommand("list", "List the organization's API keys.");
    AddListFlags(cmd, *flags, true);
    ctx.OnCall(cmd, [&ctx, flags](ControlClient& c) -> absl::Status {
      COVE_ASSIGN_OR_RETURN(auto org, ctx.Organization());
      control::ListRequest req;
      req.parent = org;
      req.filter = flags->Filter();
      return ctx.PrintList(
          Collect(c.ListAllApiKeys(req, ctx.Call()), flags->limit));
    });
  }
  {
    struct Flags {
      std::string id, display_name, expire;
      bool enable = false;
      bool disable = false;
    };
    auto f = std::make_shared<Flags>();
    CLI::App* cmd = group->add_subcommand(
        "update", "Rename, enable, disable or change the expiry of a key.");
    cmd->add_option("KEY", f->id, "key id or name")->required();
    CLI::Option* dn =
        cmd->add_option("--display-name", f->display_name, "new display name");
    CLI::Option* en = cmd->add_flag("--enable", f->enable, "enable the key");
    CLI::Option* dis =
        cmd->add_flag("--disable", f->disable, "disable the key");
    en->excludes(dis);
    CLI::Option* ex = cmd->add_option(
        "--expire", f->expire,
        "a duration from now (30d), an RFC 3339 time, or never");
    ctx.OnCall(
        cmd, [&ctx, f, dn, en, dis, ex](ControlClient& c) -> absl::Status {
          COVE_ASSIGN_OR_RETURN(auto name, ctx.OrgChild(f->id, "apiKeys"));
          control::ApiKey key;
          key.name = name;
          std::vector<std::string> mask;
          if (dn->count() > 0) {
            key.display_name = f->display_name;
            mask.push_back("display_name");
          }
          if (en->count() > 0 || dis->count() > 0) {
            key.enabled = en->count() > 0;
            mask.push_back("enabled");
          }
          if (ex->count() > 0) {
            COVE_ASSIGN_OR_RETURN(auto t, ParseExpiry(f->expire));
            key.expire_time = t;
            mask.push_back("expire_time");
          }
          if (mask.empty()) {
            return absl::InvalidArgumentError(
                "nothing to update: give --display-name, --enable, "
                "--disable or "
                "--expire");
          }
          return ctx.Print(c.UpdateApiKey(key, mask, ctx.Call()));
        });
  }
  {
    auto id = std::make_shared<std::string>();
    CLI::App* cmd = group->add_subcommand(
        "delete", "Delete an API key: it stops working at once.");
    auto mut = AddMutationFlags(cmd, /*destructive=*/true);
    cmd->add_option("KEY", *id, "key id or name")->required();
    ctx.OnCall(cmd, [&ctx, id, mut](ControlClient& c) -> absl::Status {
      COVE_ASSIGN_OR_RETURN(auto name, ctx.OrgChild(*id, "apiKeys"));
      control::DeleteRequest req;
      req.name = name;
      req.request_id = mut->request_id;
      COVE_RETURN_IF_ERROR(ctx.Confirm(*mut, "delete " + req.name));
      COVE_RETURN_IF_ERROR(c.DeleteApiKey(req, ctx.Call()));
      return ctx.PrintDone(absl::StrCat("Deleted ", name));
    });
  }
}

}  // namespace cove::cli
