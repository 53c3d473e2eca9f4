// What the control-plane examples share: their command line, checks that end
// the program on an unexpected result (each example verifies what it shows,
// so that its ctest fails when the product misbehaves), and the organization,
// project and cross-account environment that every scenario starts from.
//
// Every example takes
//   --endpoint URL --api-key KEY [--ca-file CA.pem] [--bucket DIR] [--org ID]
// and the endpoint and key may also come from COVE_CLOUD_ENDPOINT and
// COVE_API_KEY (cove::ApplyControlEnvironment).
#ifndef COVE_EXAMPLES_EXAMPLE_SUPPORT_H_
#define COVE_EXAMPLES_EXAMPLE_SUPPORT_H_

#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <ctime>
#include <filesystem>
#include <iomanip>
#include <iostream>
#include <sstream>
#include <string>
#include <utility>

#include "cove/cove.h"

namespace example {

// Prints the failure and exits.
inline void Check(const absl::Status& status, const std::string& step) {
  if (status.ok()) return;
  std::cerr << "FAILED " << step << ": " << status << std::endl;
  std::exit(1);
}

template <typename T>
T Must(absl::StatusOr<T> result, const std::string& step) {
  Check(result.status(), step);
  return *std::move(result);
}

// Exits when `ok` is false: the example checks what it shows.
inline void Expect(bool ok, const std::string& what) {
  if (ok) return;
  std::cerr << "FAILED: " << what << std::endl;
  std::exit(1);
}

inline void Step(const std::string& text) {
  std::cout << "==> " << text << std::endl;
}

// A timestamp as RFC 3339 (UTC), "-" when unset.
inline std::string Time(cove::control::Timestamp t) {
  if (!cove::control::IsSet(t)) return "-";
  std::time_t secs = std::chrono::system_clock::to_time_t(t);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  std::ostringstream out;
  out << std::put_time(&tm, "%Y-%m-%dT%H:%M:%SZ");
  return out.str();
}

struct Args {
  cove::ControlOptions options;
  // The environment's bucket directory (default: a new directory under the
  // system's temporary directory).
  std::string bucket;
  std::string org_id = "acme";
};

// Parses the command line shared by the examples; prints the usage and exits
// with status 2 on anything else.
inline Args ParseArgs(int argc, char** argv, const std::string& program) {
  Args args;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    auto value = [&]() -> std::string {
      if (i + 1 >= argc) {
        std::cerr << arg << ": expected a value" << std::endl;
        std::exit(2);
      }
      return argv[++i];
    };
    if (arg == "--endpoint") {
      args.options.endpoint = value();
    } else if (arg == "--api-key") {
      args.options.api_key = value();
    } else if (arg == "--ca-file") {
      args.options.ca_cert_file = value();
    } else if (arg == "--bucket") {
      args.bucket = value();
    } else if (arg == "--org") {
      args.org_id = value();
    } else {
      std::cerr << "usage: " << program
                << " --endpoint URL --api-key KEY [--ca-file F] "
                   "[--bucket DIR] [--org ID]"
                << std::endl;
      std::exit(2);
    }
  }
  args.options = cove::ApplyControlEnvironment(args.options);
  if (args.bucket.empty()) {
    args.bucket = (std::filesystem::temp_directory_path() /
                   ("cove-example-bucket-" + std::to_string(::getpid())))
                      .string();
  }
  return args;
}

// The organization, project and environment a scenario runs in.
struct Landing {
  cove::control::Organization org;
  cove::control::Project project;
  cove::control::Environment env;
};

// Creates organization `args.org_id`, project `project_id` in it and a
// cross-account environment "aws" (AWS us-east-1) on `args.bucket`.
inline Landing CreateCrossAccountLanding(cove::ControlClient& cc,
                                         const Args& args,
                                         const std::string& project_id) {
  Landing out;
  cove::control::CreateOrganizationRequest org_req;
  org_req.organization_id = args.org_id;
  org_req.organization.display_name = "Example Org";
  out.org = Must(cc.CreateOrganization(org_req), "create organization");
  cove::control::CreateProjectRequest project_req;
  project_req.parent = out.org.name;
  project_req.project_id = project_id;
  out.project = Must(cc.CreateProject(project_req), "create project");
  cove::control::CreateEnvironmentRequest env_req;
  env_req.parent = out.project.name;
  env_req.environment_id = "aws";
  env_req.environment.mode = cove::control::EnvironmentMode::kCrossAccount;
  env_req.environment.cloud_account_id = "123456789012";
  env_req.environment.region = "us-east-1";
  env_req.environment.vpc_id = "vpc-0123abcd";
  env_req.environment.bucket = args.bucket;
  env_req.environment.role_arn = "arn:aws:iam::123456789012:role/cove-byoc";
  // The trust policy of the role names the organization's external id.
  env_req.environment.external_id = out.org.external_id;
  out.env = Must(cc.CreateEnvironment(env_req), "create environment");
  std::cout << "    " << out.env.name << ": "
            << cove::control::ToString(out.env.state) << std::endl;
  return out;
}

// A data-plane client for a cluster, as its administrator; `max_attempts`
// per call (1: fail at once when the data plane is down).
inline absl::StatusOr<cove::Client> DataClient(const cove::control::Cluster& c,
                                               const std::string& password,
                                               int max_attempts = 2) {
  cove::ClientOptions options;
  options.remote.user = c.admin_user.empty() ? "root" : c.admin_user;
  options.remote.password = password;
  options.remote.max_attempts = max_attempts;
  options.remote.timeout = std::chrono::seconds(10);
  return cove::Client::Open(c.endpoint, options);
}

}  // namespace example

#endif  // COVE_EXAMPLES_EXAMPLE_SUPPORT_H_
