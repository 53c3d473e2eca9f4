// cove login, cove logout, cove config: credentials and defaults in the
// configuration file.
#include <termios.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <cstdlib>
#include <iostream>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "cli/cli.h"
#include "common/status_macros.h"

namespace cove::cli {
namespace {

std::string Env(const char* name) {
  const char* v = std::getenv(name);
  return v == nullptr ? std::string() : std::string(v);
}

// Reads one line of stdin (the key), without echo on a terminal.
absl::StatusOr<std::string> ReadSecret(bool prompt) {
  const bool tty = ::isatty(STDIN_FILENO) == 1;
  struct termios saved;
  bool restore = false;
  if (tty) {
    if (prompt) std::cerr << "API key: " << std::flush;
    if (::tcgetattr(STDIN_FILENO, &saved) == 0) {
      struct termios quiet = saved;
      quiet.c_lflag &= ~static_cast<tcflag_t>(ECHO);
      restore = ::tcsetattr(STDIN_FILENO, TCSANOW, &quiet) == 0;
    }
  }
  std::string line;
  std::getline(std::cin, line);
  if (restore) {
    ::tcsetattr(STDIN_FILENO, TCSANOW, &saved);
    std::cerr << std::endl;
  }
  std::string key(absl::StripAsciiWhitespace(line));
  if (key.empty()) {
    return absl::InvalidArgumentError(
        "--api-key: read an empty key from standard input");
  }
  return key;
}

std::string AbsolutePath(const std::string& path) {
  if (path.empty() || path[0] == '/') return path;
  char* cwd = ::getcwd(nullptr, 0);
  if (cwd == nullptr) return path;
  std::string out = absl::StrCat(cwd, "/", path);
  std::free(cwd);
  return out;
}

absl::Status Login(Context& ctx) {
  COVE_ASSIGN_OR_RETURN(std::string path, ctx.ConfigFile());
  COVE_ASSIGN_OR_RETURN(Config config, LoadConfig(path));
  Profile& profile = config.profiles[ctx.ProfileName()];

  std::string endpoint = ctx.global.endpoint;
  if (endpoint.empty()) endpoint = Env("COVE_CLOUD_ENDPOINT");
  if (endpoint.empty()) endpoint = profile.endpoint;
  if (endpoint.empty()) {
    return absl::InvalidArgumentError(
        "--endpoint: required for login (HOST:PORT or https://HOST:PORT)");
  }
  std::string ca = ctx.global.tls_ca;
  if (ca.empty()) ca = Env("COVE_CA_FILE");
  if (ca.empty()) ca = profile.tls_ca;
  ca = AbsolutePath(ca);

  std::string key = ctx.global.api_key;
  if (key.empty()) key = Env("COVE_API_KEY");
  if (key.empty() || key == "-") {
    if (key.empty() && ::isatty(STDIN_FILENO) != 1) {
      return absl::InvalidArgumentError(
          "--api-key: no API key (pass --api-key KEY, --api-key - to read it "
          "from standard input, or set COVE_API_KEY)");
    }
    COVE_ASSIGN_OR_RETURN(std::string read, ReadSecret(key.empty()));
    key = std::move(read);
  }
  ctx.secret_in_use = key;

  ControlOptions options;
  options.endpoint = NormalizeEndpoint(endpoint, !ca.empty());
  options.api_key = key;
  options.ca_cert_file = ca;
  options.timeout = std::chrono::milliseconds(
      static_cast<int64_t>(ctx.global.call_timeout_s * 1000));
  COVE_RETURN_IF_ERROR(options.Validate());
  COVE_ASSIGN_OR_RETURN(ControlClient client, ControlClient::Connect(options));
  // A cheap authenticated call proves the endpoint and the key.
  control::ListRequest list;
  list.page_size = 2;
  auto orgs = client.ListOrganizations(list);
  if (!orgs.ok()) {
    return absl::Status(orgs.status().code(),
                        absl::StrCat("login to ", options.endpoint,
                                     " failed: ", orgs.status().message()));
  }

  profile.endpoint = options.endpoint;
  profile.api_key = key;
  profile.tls_ca = ca;
  profile.organization = ctx.global.organization;
  profile.project = ctx.global.project;
  if (profile.organization.empty() && orgs->items.size() == 1) {
    profile.organization = orgs->items[0].name;
  }
  COVE_RETURN_IF_ERROR(SaveConfig(path, config));

  if (ctx.json()) {
    Json j;
    j["profile"] = ctx.ProfileName();
    j["endpoint"] = profile.endpoint;
    j["config"] = path;
    j["organization"] = profile.organization;
    j["project"] = profile.project;
    std::cout << j.dump(2) << std::endl;
  } else {
    std::cout << "Logged in to " << profile.endpoint << " (profile '"
              << ctx.ProfileName() << "', saved in " << path << ")"
              << std::endl;
    if (!profile.organization.empty()) {
      std::cout << "Default organization: " << profile.organization
                << std::endl;
    }
  }
  return absl::OkStatus();
}

absl::Status Logout(Context& ctx) {
  COVE_ASSIGN_OR_RETURN(std::string path, ctx.ConfigFile());
  COVE_ASSIGN_OR_RETURN(Config config, LoadConfig(path));
  auto it = config.profiles.find(ctx.ProfileName());
  bool had_key = it != config.profiles.end() && !it->second.api_key.empty();
  if (had_key) {
    it->second.api_key.clear();
    COVE_RETURN_IF_ERROR(SaveConfig(path, config));
  }
  return ctx.PrintDone(
      had_key ? absl::StrCat("Logged out: removed the API key of profile '",
                             ctx.ProfileName(), "' from ", path,
                             " (the key itself stays valid; revoke it with "
                             "'cove api-keys delete')")
              : absl::StrCat("Profile '", ctx.ProfileName(),
                             "' holds no API key: nothing to do"));
}

// The settable fields of a profile.
std::string* ProfileField(Profile& p, const std::string& key) {
  if (key == "endpoint") return &p.endpoint;
  if (key == "organization") return &p.organization;
  if (key == "project") return &p.project;
  if (key == "tls_ca") return &p.tls_ca;
  return nullptr;
}

absl::Status SetField(Context& ctx, const std::string& key,
                      const std::string* value) {
  COVE_ASSIGN_OR_RETURN(std::string path, ctx.ConfigFile());
  COVE_ASSIGN_OR_RETURN(Config config, LoadConfig(path));
  Profile& profile = config.profiles[ctx.ProfileName()];
  std::string* field = ProfileField(profile, key);
  if (field == nullptr) {
    return absl::InvalidArgumentError(absl::StrCat(
        "KEY: expected endpoint, organization, project or tls_ca, got '", key,
        "' (the API key is set by 'cove login')"));
  }
  std::string v = value == nullptr ? std::string() : *value;
  if (key == "tls_ca") v = AbsolutePath(v);
  if (key == "endpoint" && !v.empty()) {
    v = NormalizeEndpoint(v, !profile.tls_ca.empty());
  }
  *field = v;
  COVE_RETURN_IF_ERROR(SaveConfig(path, config));
  return ctx.PrintDone(value == nullptr ? absl::StrCat("Unset ", key)
                                        : absl::StrCat("Set ", key, " = ", v));
}

absl::Status Show(Context& ctx) {
  COVE_ASSIGN_OR_RETURN(std::string path, ctx.ConfigFile());
  COVE_ASSIGN_OR_RETURN(Profile profile, ctx.LoadProfile());
  Json j;
  j["config"] = path;
  j["profile"] = ctx.ProfileName();
  j["endpoint"] = profile.endpoint;
  j["tls_ca"] = profile.tls_ca;
  j["organization"] = profile.organization;
  j["project"] = profile.project;
  // Never the key itself.
  j["api_key"] = profile.api_key.empty() ? "not set" : "set";
  if (ctx.json()) {
    std::cout << j.dump(2) << std::endl;
  } else {
    PrintDetails(std::cout, j);
  }
  return absl::OkStatus();
}

}  // namespace

void AddLoginCommands(CLI::App& app, Context& ctx) {
  CLI::App* login = app.add_subcommand(
      "login",
      "Verify an API key against a control plane and save the endpoint and "
      "key in the config file (mode 0600). The key comes from --api-key KEY, "
      "--api-key - (standard input), COVE_API_KEY, or a prompt on a "
      "terminal. --org and --project given here become the profile's "
      "defaults (without --org: the key's only organization, if it sees "
      "exactly one).");
  login->footer(
      "Example: cove login --endpoint 127.0.0.1:7443 --api-key - < key.txt");
  ctx.OnRun(login, [&ctx] { return Login(ctx); });

  CLI::App* logout = app.add_subcommand(
      "logout",
      "Remove the profile's API key from the config file (the key stays "
      "valid on the server: revoke it with 'cove api-keys delete').");
  ctx.OnRun(logout, [&ctx] { return Logout(ctx); });
}

void AddConfigCommands(CLI::App& app, Context& ctx) {
  CLI::App* group = app.add_subcommand(
      "config", "Show or change the profile in the config file.");
  group->require_subcommand(1);

  CLI::App* show = group->add_subcommand(
      "show", "Show the config file path and the profile (never the key).");
  ctx.OnRun(show, [&ctx] { return Show(ctx); });

  auto key = std::make_shared<std::string>();
  auto value = std::make_shared<std::string>();
  CLI::App* set = group->add_subcommand(
      "set",
      "Set a field of the profile: endpoint, organization, project, "
      "tls_ca.");
  set->add_option("KEY", *key, "endpoint, organization, project or tls_ca")
      ->required();
  set->add_option("VALUE", *value, "the new value")->required();
  ctx.OnRun(set,
            [&ctx, key, value] { return SetField(ctx, *key, value.get()); });

  auto unset_key = std::make_shared<std::string>();
  CLI::App* unset = group->add_subcommand(
      "unset",
      "Clear a field of the profile: endpoint, organization, "
      "project, tls_ca.");
  unset
      ->add_option("KEY", *unset_key,
                   "endpoint, organization, project or tls_ca")
      ->required();
  ctx.OnRun(unset,
            [&ctx, unset_key] { return SetField(ctx, *unset_key, nullptr); });
}

}  // namespace cove::cli
