// The `cove` CLI's configuration file: named profiles, each with an endpoint,
// an API key and defaults (organization, project, CA file).
//
// The file holds API keys, so it is written with mode 0600 (its directory
// 0700) and a file readable by group or others is refused, as ssh refuses
// an unprotected private key.
#ifndef COVE_SRC_CLI_CONFIG_H_
#define COVE_SRC_CLI_CONFIG_H_

#include <map>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace cove::cli {

/// One profile of the configuration file.
struct Profile {
  std::string endpoint;      ///< "http://host:port" or "https://host:port"
  std::string api_key;       ///< the secret; empty after logout
  std::string tls_ca;        ///< PEM file of trusted CAs (TLS)
  std::string organization;  ///< default organization id or name
  std::string project;       ///< default project id or name
};

/// The whole file: profiles by name.
struct Config {
  std::map<std::string, Profile> profiles;
};

/// Where the configuration lives: `explicit_path` when set, else
/// $COVE_CONFIG, else $XDG_CONFIG_HOME/cove/config.json, else
/// $HOME/.config/cove/config.json. FailedPrecondition when none can be
/// determined.
absl::StatusOr<std::string> ConfigPath(const std::string& explicit_path);

/// Reads the file. A missing file is an empty Config. FailedPrecondition when
/// the file is readable or writable by group or others, or owned by another
/// user (the message says how to fix it); InvalidArgument for malformed
/// JSON or fields of the wrong type (naming them).
absl::StatusOr<Config> LoadConfig(const std::string& path);

/// Writes the file atomically (a temporary file in the same directory, mode
/// 0600, then rename), creating the directory with mode 0700 if missing.
absl::Status SaveConfig(const std::string& path, const Config& config);

/// The environment variable `name`, "" when unset.
std::string GetEnv(const char* name);

}  // namespace cove::cli

#endif  // COVE_SRC_CLI_CONFIG_H_
