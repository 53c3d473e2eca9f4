// Context of the `cove` CLI: settings from flags, environment and profile;
// the client; resolution of short resource ids into names.
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <cmath>
#include <cstdlib>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "cli/cli.h"
#include "common/status_macros.h"

namespace cove::cli {
namespace {

std::string FirstSet(std::initializer_list<std::string> values) {
  for (const std::string& v : values) {
    if (!v.empty()) return v;
  }
  return {};
}

}  // namespace

void Context::OnRun(CLI::App* cmd, std::function<absl::Status()> run) {
  cmd->callback([this, run = std::move(run)] { action = run; });
}

void Context::OnCall(CLI::App* cmd,
                     std::function<absl::Status(ControlClient&)> run) {
  OnRun(cmd, [this, run = std::move(run)]() -> absl::Status {
    COVE_ASSIGN_OR_RETURN(auto* client, Client());
    return run(*client);
  });
}

std::string Context::ProfileName() const {
  return FirstSet({global.profile, GetEnv("COVE_PROFILE"), "default"});
}

absl::StatusOr<std::string> Context::ConfigFile() const {
  return ConfigPath(global.config_path);
}

absl::StatusOr<Profile> Context::LoadProfile() {
  if (profile_) return *profile_;
  COVE_ASSIGN_OR_RETURN(std::string path, ConfigFile());
  COVE_ASSIGN_OR_RETURN(Config config, LoadConfig(path));
  auto it = config.profiles.find(ProfileName());
  profile_ = it == config.profiles.end() ? Profile() : it->second;
  return *profile_;
}

absl::StatusOr<ControlOptions> Context::ClientOptions(bool need_key) {
  COVE_ASSIGN_OR_RETURN(Profile profile, LoadProfile());
  ControlOptions options;
  options.ca_cert_file =
      FirstSet({global.tls_ca, GetEnv("COVE_CA_FILE"), profile.tls_ca});
  options.api_key =
      FirstSet({global.api_key, GetEnv("COVE_API_KEY"), profile.api_key});
  if (options.api_key == "-") {
    // --api-key -: one line of standard input.
    std::string line;
    std::getline(std::cin, line);
    options.api_key = std::string(absl::StripAsciiWhitespace(line));
    global.api_key = options.api_key;
    if (options.api_key.empty()) {
      return absl::InvalidArgumentError(
          "--api-key: read an empty key from standard input");
    }
  }
  secret_in_use = options.api_key;
  if (need_key && options.api_key.empty()) {
    return absl::UnauthenticatedError(absl::StrCat(
        "not logged in (profile '", ProfileName(),
        "' has no API key): run 'cove login', or set COVE_API_KEY"));
  }
  std::string endpoint = FirstSet(
      {global.endpoint, GetEnv("COVE_CLOUD_ENDPOINT"), profile.endpoint});
  if (endpoint.empty()) {
    return absl::FailedPreconditionError(absl::StrCat(
        "no control-plane endpoint for profile '", ProfileName(),
        "': run 'cove login --endpoint HOST:PORT', or pass --endpoint"));
  }
  options.endpoint = NormalizeEndpoint(endpoint, !options.ca_cert_file.empty());
  if (global.call_timeout_s <= 0 || !std::isfinite(global.call_timeout_s)) {
    return absl::InvalidArgumentError(
        absl::StrCat("--call-timeout: expected a positive number of seconds, "
                     "got ",
                     global.call_timeout_s));
  }
  options.timeout = std::chrono::milliseconds(
      static_cast<int64_t>(global.call_timeout_s * 1000));
  COVE_RETURN_IF_ERROR(options.Validate());
  return options;
}

absl::StatusOr<ControlClient*> Context::Client(bool need_key) {
  if (client_) return client_.get();
  COVE_ASSIGN_OR_RETURN(ControlOptions options, ClientOptions(need_key));
  COVE_ASSIGN_OR_RETURN(ControlClient client, ControlClient::Connect(options));
  client_ = std::make_unique<ControlClient>(std::move(client));
  return client_.get();
}

absl::StatusOr<std::string> Context::Organization() {
  if (organization_) return *organization_;
  auto from = [](const std::string& value) -> std::string {
    if (absl::StartsWith(value, "organizations/")) {
      std::vector<std::string> parts = absl::StrSplit(value, '/');
      return "organizations/" + parts[1];
    }
    return "organizations/" + value;
  };
  std::string org = FirstSet({global.organization, GetEnv("COVE_ORG")});
  std::string project = FirstSet({global.project, GetEnv("COVE_PROJECT")});
  if (org.empty() && absl::StartsWith(project, "organizations/")) {
    org = project;
  }
  if (org.empty()) {
    COVE_ASSIGN_OR_RETURN(Profile profile, LoadProfile());
    org = profile.organization;
    if (org.empty() && project.empty() &&
        absl::StartsWith(profile.project, "organizations/")) {
      org = profile.project;
    }
  }
  if (!org.empty()) {
    organization_ = from(org);
    return *organization_;
  }
  // The only organization the key can see.
  COVE_ASSIGN_OR_RETURN(auto* client, Client());
  control::ListRequest request;
  request.page_size = 2;
  COVE_ASSIGN_OR_RETURN(auto page, client->ListOrganizations(request, Call()));
  if (page.items.size() == 1) {
    organization_ = page.items[0].name;
    return *organization_;
  }
  return absl::InvalidArgumentError(
      absl::StrCat("--org: no organization given, and the API key sees ",
                   page.items.empty() ? "none" : "several",
                   " (pass --org ORG, set COVE_ORG, or 'cove config set "
                   "organization ORG')"));
}

absl::StatusOr<std::string> Context::Project() {
  std::string project = FirstSet({global.project, GetEnv("COVE_PROJECT")});
  if (project.empty()) {
    COVE_ASSIGN_OR_RETURN(Profile profile, LoadProfile());
    project = profile.project;
  }
  if (project.empty()) {
    return absl::InvalidArgumentError(
        "--project: no project given (pass --project PROJECT, set "
        "COVE_PROJECT, or 'cove config set project PROJECT')");
  }
  if (absl::StrContains(project, '/')) return project;
  COVE_ASSIGN_OR_RETURN(std::string org, Organization());
  return absl::StrCat(org, "/projects/", project);
}

absl::StatusOr<std::string> Context::Child(
    const std::string& arg, const std::string& collection,
    const std::function<absl::StatusOr<std::string>()>& parent) {
  if (absl::StrContains(arg, '/')) return arg;
  COVE_ASSIGN_OR_RETURN(std::string p, parent());
  return absl::StrCat(p, "/", collection, "/", arg);
}

ControlCallOptions Context::Call() const { return ControlCallOptions(); }

absl::Status Context::Confirm(const MutationFlags& flags,
                              const std::string& what) {
  return cli::Confirm(flags, what, ::isatty(STDIN_FILENO) == 1, std::cin,
                      std::cerr);
}

absl::Status Context::PrintDone(const std::string& message) {
  if (json()) {
    std::cout << "{}" << std::endl;
  } else {
    std::cout << message << std::endl;
  }
  return absl::OkStatus();
}

}  // namespace cove::cli
