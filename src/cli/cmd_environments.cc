// cove environments: create (cross-account or agent mode), get, list,
// validate, rotate-agent-token, delete.
#include <CLI/CLI.hpp>

#include "absl/strings/str_cat.h"
#include "cli/cli.h"
#include "common/status_macros.h"

namespace cove::cli {
namespace {

// After creating an agent-mode environment (or rotating its token): the
// cove-agent command to run in the customer's network, on stderr (stdout keeps
// the environment). The token goes through a file or standard input, never the
// command line (where `ps` shows it).
void PrintAgentCommand(Context& ctx, const control::Environment& env) {
  auto options = ctx.ClientOptions();
  if (!options.ok()) return;
  std::cerr << "Start the agent in the customer's network (the agent token "
               "above is shown once, works once"
            << (control::IsSet(env.agent_token_expire_time)
                    ? " and expires at " +
                          FormatTime(env.agent_token_expire_time)
                    : std::string())
            << "). Save the token in a file only you can read (chmod 600), "
               "then run:\n  cove-agent --control-plane "
            << options->endpoint
            << (options->ca_cert_file.empty()
                    ? std::string()
                    : " --tls-ca " + options->ca_cert_file)
            << " --environment " << env.name
            << " --bucket DIR --token-file TOKEN_FILE\n"
               "(or --token-file - to read it from standard input).\n";
}

}  // namespace

void AddEnvironmentCommands(CLI::App& app, Context& ctx) {
  CLI::App* group = AddGroup(
      app, "environments",
      "Environments of a project: where its clusters run (a customer cloud "
      "account in cross-account mode, or a network reached by an agent in "
      "agent mode).");
  group->alias("envs");
  {
    struct Flags {
      std::string id, mode = "cross-account", account, region, vpc, bucket,
                      role_arn, external_id, private_address;
      std::vector<std::string> subnets;
    };
    auto f = std::make_shared<Flags>();
    CLI::App* cmd = group->add_subcommand(
        "create",
        "Create an environment. Cross-account: validated at once (READY, or "
        "FAILED with the problems). Agent: prints a one-time agent token and "
        "waits in AWAITING_AGENT.");
    auto mut = AddMutationFlags(cmd, /*destructive=*/false);
    cmd->add_option("ID", f->id, "environment id")->required();
    cmd->add_option("--mode", f->mode, "cross-account (default) or agent")
        ->check(CLI::IsMember({"cross-account", "agent"}));
    cmd->add_option("--cloud-account-id", f->account,
                    "cross-account: the customer's account (12 digits)");
    cmd->add_option("--region", f->region, "region, e.g. us-east-1");
    cmd->add_option("--vpc-id", f->vpc, "vpc- followed by 8 to 17 hex digits");
    cmd->add_option("--subnet-id", f->subnets,
                    "subnet- followed by 8 to 17 hex digits (repeatable)");
    cmd->add_option("--bucket", f->bucket,
                    "bucket (in the emulator: an absolute local directory)");
    cmd->add_option("--role-arn", f->role_arn,
                    "cross-account: arn:aws:iam::ACCOUNT:role/NAME");
    cmd->add_option("--external-id", f->external_id,
                    "cross-account: the organization's external id (default: "
                    "read from the organization)");
    cmd->add_option("--private-address", f->private_address,
                    "cross-account: the address of the environment's own "
                    "network that clusters' private endpoints listen on "
                    "(default: chosen by the control plane; agent mode: the "
                    "agent reports it)");
    ctx.OnCall(cmd, [&ctx, f, mut](ControlClient& c) -> absl::Status {
      COVE_ASSIGN_OR_RETURN(auto project, ctx.Project());
      control::CreateEnvironmentRequest req;
      req.request_id = mut->request_id;
      req.parent = project;
      req.environment_id = f->id;
      control::Environment& e = req.environment;
      e.mode = f->mode == "agent" ? control::EnvironmentMode::kAgent
                                  : control::EnvironmentMode::kCrossAccount;
      e.cloud_account_id = f->account;
      e.region = f->region;
      e.vpc_id = f->vpc;
      e.subnet_ids = f->subnets;
      e.bucket = f->bucket;
      e.role_arn = f->role_arn;
      e.external_id = f->external_id;
      e.private_network_address = f->private_address;
      if (e.mode == control::EnvironmentMode::kCrossAccount &&
          e.external_id.empty()) {
        // The project name starts with its organization's.
        std::string org = project.substr(0, project.find("/projects/"));
        auto o = c.GetOrganization(org, ctx.Call());
        if (!o.ok()) {
          return absl::Status(
              o.status().code(),
              absl::StrCat("--external-id not given and reading it from ", org,
                           " failed: ", o.status().message()));
        }
        e.external_id = o->external_id;
      }
      COVE_ASSIGN_OR_RETURN(auto created, c.CreateEnvironment(req, ctx.Call()));
      absl::Status printed = ctx.PrintItem(created);
      if (created.mode == control::EnvironmentMode::kAgent &&
          !ctx.global.quiet) {
        PrintAgentCommand(ctx, created);
      }
      return printed;
    });
  }
  {
    auto id = std::make_shared<std::string>();
    CLI::App* cmd = group->add_subcommand("get", "Show an environment.");
    cmd->add_option("ENVIRONMENT", *id, "environment id or name")->required();
    ctx.OnCall(cmd, [&ctx, id](ControlClient& c) -> absl::Status {
      COVE_ASSIGN_OR_RETURN(auto name, ctx.ProjectChild(*id, "environments"));
      return ctx.Print(c.GetEnvironment(name, ctx.Call()));
    });
  }
  {
    auto flags = std::make_shared<ListFlags>();
    CLI::App* cmd =
        group->add_subcommand("list", "List the project's environments.");
    AddListFlags(cmd, *flags, true);
    ctx.OnCall(cmd, [&ctx, flags](ControlClient& c) -> absl::Status {
      COVE_ASSIGN_OR_RETURN(auto project, ctx.Project());
      control::ListRequest req;
      req.parent = project;
      req.filter = flags->Filter();
      return ctx.PrintList(
          Collect(c.ListAllEnvironments(req, ctx.Call()), flags->limit));
    });
  }
  {
    auto id = std::make_shared<std::string>();
    CLI::App* cmd = group->add_subcommand(
        "validate",
        "Check the environment's bucket and role again; lists every problem "
        "(a FAILED environment whose problems were fixed becomes READY). "
        "Exit code 6 when it is not valid.");
    cmd->add_option("ENVIRONMENT", *id, "environment id or name")->required();
    ctx.OnCall(cmd, [&ctx, id](ControlClient& c) -> absl::Status {
      COVE_ASSIGN_OR_RETURN(auto name, ctx.ProjectChild(*id, "environments"));
      COVE_ASSIGN_OR_RETURN(auto v, c.ValidateEnvironment(name, ctx.Call()));
      COVE_RETURN_IF_ERROR(ctx.PrintItem(v));
      if (!v.valid) {
        return absl::FailedPreconditionError(
            absl::StrCat("environment ", name, " is not valid (",
                         v.problems.size(), " problem(s))"));
      }
      return absl::OkStatus();
    });
  }
  {
    struct Flags {
      std::string id, etag;
    };
    auto f = std::make_shared<Flags>();
    CLI::App* cmd = group->add_subcommand(
        "rotate-agent-token",
        "Agent mode: issue a new one-time agent token (printed once; the old "
        "one stops working).");
    cmd->add_option("ENVIRONMENT", f->id, "environment id or name")->required();
    cmd->add_option("--etag", f->etag, "only if it still has this etag");
    ctx.OnCall(cmd, [&ctx, f](ControlClient& c) -> absl::Status {
      COVE_ASSIGN_OR_RETURN(auto name, ctx.ProjectChild(f->id, "environments"));
      control::RotateAgentTokenRequest req;
      req.name = name;
      req.etag = f->etag;
      COVE_ASSIGN_OR_RETURN(auto rotated, c.RotateAgentToken(req, ctx.Call()));
      absl::Status printed = ctx.PrintItem(rotated);
      if (!ctx.global.quiet) PrintAgentCommand(ctx, rotated);
      return printed;
    });
  }
  {
    struct Flags {
      std::string id, etag;
    };
    auto f = std::make_shared<Flags>();
    CLI::App* cmd = group->add_subcommand(
        "delete", "Delete an environment (no cluster may use it).");
    auto mut = AddMutationFlags(cmd, /*destructive=*/true);
    cmd->add_option("ENVIRONMENT", f->id, "environment id or name")->required();
    cmd->add_option("--etag", f->etag, "only if it still has this etag");
    ctx.OnCall(cmd, [&ctx, f, mut](ControlClient& c) -> absl::Status {
      COVE_ASSIGN_OR_RETURN(auto name, ctx.ProjectChild(f->id, "environments"));
      control::DeleteRequest req;
      req.name = name;
      req.request_id = mut->request_id;
      COVE_RETURN_IF_ERROR(ctx.Confirm(*mut, "delete " + req.name));
      req.etag = f->etag;
      COVE_RETURN_IF_ERROR(c.DeleteEnvironment(req, ctx.Call()));
      return ctx.PrintDone(absl::StrCat("Deleted ", name));
    });
  }
}

}  // namespace cove::cli
