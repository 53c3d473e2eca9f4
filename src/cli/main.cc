// cove: the command line tool of the Cove control plane (cove.control.v1).
//
//   cove login --endpoint HOST:PORT --api-key -   (key on standard input)
//   cove --project search clusters create prod --environment aws --wait
//   cove clusters list -o json
//
// See docs/cli.md for every command and the exit codes.
#include <CLI/CLI.hpp>
#include <exception>
#include <iostream>

#include "cli/cli.h"
#include "cli/exit_codes.h"
#include "cove/version.h"

namespace {

// Repeatable flags take one value each (--label a=1 --label b=2), so that a
// flag never swallows the positional argument after it.
void OneValuePerFlag(CLI::App* app) {
  for (CLI::Option* o : app->get_options(std::function<bool(CLI::Option*)>())) {
    if (!o->get_positional()) o->allow_extra_args(false);
  }
  for (CLI::App* sub : app->get_subcommands(
           std::function<bool(CLI::App*)>([](CLI::App*) { return true; }))) {
    OneValuePerFlag(sub);
  }
}

}  // namespace

int main(int argc, char** argv) {
  using cove::cli::Context;
  Context ctx;
  CLI::App app{
      "cove: manage Cove BYOC deployments through the control plane "
      "(organizations, projects, environments, clusters, API keys, roles, "
      "audit log, operations), and reach the data plane (cove data: "
      "collections, insert, search, query).",
      "cove"};
  app.set_version_flag("--version", COVE_VERSION_STRING);
  app.require_subcommand(1);
  // Global options may come before or after the command.
  app.fallthrough();
  app.footer(
      "Start with 'cove login'. Resource arguments take an id (resolved under "
      "--org/--project) or a full name (organizations/acme/projects/p/...). "
      "Exit codes: 0 ok, 1 error, 2 usage/invalid argument, 3 not found, 4 "
      "already exists/conflict, 5 permission denied/unauthenticated, 6 failed "
      "precondition, 7 unavailable/timeout, 8 resource exhausted, 9 "
      "cancelled, 10 unimplemented (docs/cli.md).");

  cove::cli::GlobalOptions& g = ctx.global;
  app.add_option(
      "--endpoint", g.endpoint,
      "control plane HOST:PORT or URL (default: COVE_CLOUD_ENDPOINT, "
      "then the profile)");
  app.add_option("--api-key", g.api_key,
                 "API key, or - to read it from standard input (default: "
                 "COVE_API_KEY, then the profile)");
  app.add_option("--tls-ca", g.tls_ca,
                 "PEM file of CAs to trust; turns TLS on (default: "
                 "COVE_CA_FILE, then the profile)");
  app.add_option("--profile", g.profile,
                 "profile of the config file (default: COVE_PROFILE, then "
                 "'default')");
  app.add_option("--config", g.config_path,
                 "config file (default: COVE_CONFIG, then "
                 "$XDG_CONFIG_HOME/cove/config.json, then "
                 "~/.config/cove/config.json)");
  app.add_option("--org", g.organization,
                 "organization id or name (default: COVE_ORG, then the "
                 "profile, then the key's only organization)");
  app.add_option("--project", g.project,
                 "project id or name (default: COVE_PROJECT, then the "
                 "profile)");
  app.add_option("-o,--output", g.output, "output format: table or json")
      ->check(CLI::IsMember({"table", "json"}));
  app.add_flag("-q,--quiet", g.quiet, "no progress display for --wait");
  app.add_option("--call-timeout", g.call_timeout_s,
                 "deadline of each call in seconds, retries included "
                 "(default 30)");

  cove::cli::AddLoginCommands(app, ctx);
  cove::cli::AddConfigCommands(app, ctx);
  cove::cli::AddOrganizationCommands(app, ctx);
  cove::cli::AddMemberCommands(app, ctx);
  cove::cli::AddInvitationCommands(app, ctx);
  cove::cli::AddProjectCommands(app, ctx);
  cove::cli::AddEnvironmentCommands(app, ctx);
  cove::cli::AddClusterCommands(app, ctx);
  cove::cli::AddBackupCommands(app, ctx);
  cove::cli::AddApiKeyCommands(app, ctx);
  cove::cli::AddRoleCommands(app, ctx);
  cove::cli::AddRoleBindingCommands(app, ctx);
  cove::cli::AddAuditCommands(app, ctx);
  cove::cli::AddOperationCommands(app, ctx);
  cove::cli::AddEmulatorCommands(app, ctx);
  cove::cli::AddDataCommands(app, ctx);
  cove::cli::AddLicenseCommands(app, ctx);  // needs projects and clusters
  cove::cli::AddAlertCommands(app, ctx);
  cove::cli::AddSupportCommands(app, ctx);  // needs emulator
  cove::cli::AddUpgradeCommands(app, ctx);  // needs clusters (issue 19)
  OneValuePerFlag(&app);

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    if (e.get_exit_code() == static_cast<int>(CLI::ExitCodes::Success)) {
      return app.exit(e);  // --help, --version
    }
    std::cerr << "cove: error: " << e.what() << " (usage)" << std::endl
              << "Run 'cove --help' (or COMMAND --help) for usage."
              << std::endl;
    return cove::cli::kExitUsage;
  }
  if (!ctx.action) {
    std::cerr << "cove: error: no command given (usage)" << std::endl;
    return cove::cli::kExitUsage;
  }
  absl::Status status;
  try {
    status = ctx.action();
  } catch (const std::exception& e) {
    status =
        absl::InternalError(std::string("unexpected failure: ") + e.what());
  }
  if (!status.ok()) {
    std::cout.flush();
    std::cerr << cove::cli::ErrorLine(status, ctx.secret_in_use) << std::endl;
  }
  return cove::cli::ExitCodeFor(status);
}
