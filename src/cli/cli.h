// The `cove` command line tool: the shared context of its commands.
//
// Each command group lives in its own file (cmd_<group>.cc) with one
// Add<Group>Commands() function registered in main.cc; a command parses its
// flags with CLI11 and sets Context::action, which main() runs after the
// whole command line parsed. Commands return absl::Status; main() maps the
// code to the documented exit code (exit_codes.h).
#ifndef COVE_SRC_CLI_CLI_H_
#define COVE_SRC_CLI_CLI_H_

#include <chrono>
#include <cstdint>
#include <functional>
#include <iostream>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "cli/config.h"
#include "cli/output.h"
#include "common/status_macros.h"
#include "cove/control.h"

namespace CLI {
class App;
class Option;
class Validator;
}  // namespace CLI

namespace cove::cli {

/// Options every command accepts (before or after the command name).
struct GlobalOptions {
  std::string endpoint;      ///< --endpoint (else COVE_CLOUD_ENDPOINT, profile)
  std::string api_key;       ///< --api-key (else COVE_API_KEY, profile)
  std::string tls_ca;        ///< --tls-ca (else COVE_CA_FILE, profile)
  std::string profile;       ///< --profile (else COVE_PROFILE, "default")
  std::string config_path;   ///< --config (else COVE_CONFIG, XDG, HOME)
  std::string organization;  ///< --org (else COVE_ORG, profile)
  std::string project;       ///< --project (else COVE_PROJECT, profile)
  std::string output = "table";  ///< --output table|json
  bool quiet = false;            ///< --quiet: no progress on stderr
  double call_timeout_s = 30;    ///< --call-timeout seconds per RPC
};

/// Flags of a mutating command: --request-id, and -y/--yes when it is
/// destructive (delete, purge).
struct MutationFlags {
  /// The idempotency key: the same command again with the same id returns
  /// the first result instead of acting twice (empty: the client makes one
  /// per invocation, used by its own retries).
  std::string request_id;
  bool yes = false;
  bool destructive = false;
};
std::shared_ptr<MutationFlags> AddMutationFlags(CLI::App* cmd,
                                                bool destructive);

/// The confirmation of a destructive command (`what`: "delete NAME"). OK
/// when not destructive or with --yes. Else, when `interactive` (standard
/// input is a terminal), asks on `err` and reads a line from `in`: "y" or
/// "yes" go on, anything else is Cancelled ("not confirmed: nothing was
/// done"). Not interactive: InvalidArgument asking for --yes (a script must
/// say so; nothing is deleted by a missing answer).
absl::Status Confirm(const MutationFlags& flags, const std::string& what,
                     bool interactive, std::istream& in, std::ostream& err);

/// A CLI11 check of a whole number from `min` to `max`, naming the range
/// in plain digits ("expected a whole number from 0 to 2147483647, got
/// '-1'").
CLI::Validator WholeNumber(int64_t min, int64_t max);

/// State shared by the commands of one invocation.
class Context {
 public:
  GlobalOptions global;
  /// What the parsed command does; main() runs it after parsing.
  std::function<absl::Status()> action;
  /// The API key in use once known (never printed: error lines redact it).
  std::string secret_in_use;

  /// Makes `cmd` set `action` to `run` when it is the command given.
  void OnRun(CLI::App* cmd, std::function<absl::Status()> run);
  /// The same, for commands that call the control plane: `run` gets the
  /// client (not called when there is none: not logged in, ...).
  void OnCall(CLI::App* cmd, std::function<absl::Status(ControlClient&)> run);

  /// The profile name in use.
  std::string ProfileName() const;
  /// The configuration file path in use.
  absl::StatusOr<std::string> ConfigFile() const;
  /// The profile from the configuration file (empty when there is none).
  absl::StatusOr<Profile> LoadProfile();

  /// Options for ControlClient: flags, then environment, then the profile.
  /// Unauthenticated when there is no API key ("run cove login");
  /// FailedPrecondition when there is no endpoint.
  absl::StatusOr<ControlOptions> ClientOptions(bool need_key = true);
  /// The client (connected once per invocation).
  absl::StatusOr<ControlClient*> Client(bool need_key = true);

  /// The organization name: --org (an id or "organizations/ID"), else the
  /// one in a full --project name, else the profile's, else the only
  /// organization the key can see. InvalidArgument naming --org otherwise.
  absl::StatusOr<std::string> Organization();
  /// The project name: --project (an id under Organization(), or a full
  /// name), else the profile's. InvalidArgument naming --project otherwise.
  absl::StatusOr<std::string> Project();

  /// A child resource name: `arg` as it is when it contains '/', else
  /// parent + "/" + collection + "/" + arg. `parent` is computed only when
  /// needed.
  absl::StatusOr<std::string> Child(
      const std::string& arg, const std::string& collection,
      const std::function<absl::StatusOr<std::string>()>& parent);
  absl::StatusOr<std::string> ProjectChild(const std::string& arg,
                                           const std::string& collection) {
    return Child(arg, collection, [this] { return Project(); });
  }
  absl::StatusOr<std::string> OrgChild(const std::string& arg,
                                       const std::string& collection) {
    return Child(arg, collection, [this] { return Organization(); });
  }

  /// Confirm() on the terminal: standard input, standard error.
  absl::Status Confirm(const MutationFlags& flags, const std::string& what);

  /// Per-call options from --call-timeout.
  ControlCallOptions Call() const;

  bool json() const { return global.output == "json"; }

  /// Prints one API object (JSON, or "field: value" lines).
  template <typename T>
  absl::Status PrintItem(const T& item) {
    Json j = ToJson(item);
    if (json()) {
      std::cout << j.dump(2) << std::endl;
    } else {
      PrintDetails(std::cout, j);
    }
    return absl::OkStatus();
  }
  /// Prints a result, or returns its error.
  template <typename T>
  absl::Status Print(const absl::StatusOr<T>& result) {
    COVE_RETURN_IF_ERROR(result);
    return PrintItem(*result);
  }
  /// Prints a list (a JSON array, or a table).
  template <typename T>
  absl::Status PrintList(const std::vector<T>& items) {
    std::vector<Json> rows;
    rows.reserve(items.size());
    for (const T& item : items) rows.push_back(ToJson(item));
    if (json()) {
      Json array = Json::array();
      for (Json& r : rows) array.push_back(std::move(r));
      std::cout << array.dump(2) << std::endl;
    } else {
      PrintTable(std::cout, ColumnsFor(static_cast<const T*>(nullptr)), rows);
    }
    return absl::OkStatus();
  }
  template <typename T>
  absl::Status PrintList(const absl::StatusOr<std::vector<T>>& items) {
    COVE_RETURN_IF_ERROR(items);
    return PrintList(*items);
  }
  /// Prints the result of a call that returns nothing: `{}` in JSON (the
  /// API's Empty), `message` in a table.
  absl::Status PrintDone(const std::string& message);

 private:
  std::optional<Profile> profile_;
  std::unique_ptr<ControlClient> client_;
  std::optional<std::string> organization_;
};

/// Collects a pager into at most `limit` items (0: all), or its error.
template <typename T>
absl::StatusOr<std::vector<T>> Collect(Pager<T> pager, int limit) {
  std::vector<T> out;
  for (const T& item : pager) {
    out.push_back(item);
    if (limit > 0 && static_cast<int>(out.size()) >= limit) return out;
  }
  COVE_RETURN_IF_ERROR(pager.status());
  return out;
}

/// A command group ("clusters"): needs one of its commands.
CLI::App* AddGroup(CLI::App& app, const std::string& name,
                   const std::string& description);

/// Flags of list commands: --limit and --filter.
struct ListFlags {
  int limit = 0;
  std::string filter;
  std::vector<std::string> terms;  ///< filter terms added by other flags

  /// The terms and --filter joined by " AND ".
  std::string Filter() const;
};
/// `with_filter`: whether the list takes a server-side filter.
void AddListFlags(CLI::App* cmd, ListFlags& flags, bool with_filter);

/// Flags of a long-running verb: --wait and --timeout.
struct WaitFlags {
  bool wait = false;
  std::string timeout = "10m";
};
void AddWaitFlags(CLI::App* cmd, WaitFlags& flags);

/// Waits for `op` (progress on stderr unless --quiet: a live line on a TTY,
/// plain lines otherwise) for at most `timeout`. OK when it succeeded; the
/// operation's own error when it failed; DeadlineExceeded naming it when the
/// timeout passed first (the operation goes on).
absl::Status WaitForOperation(Context& ctx, ControlOperation& op,
                              std::chrono::milliseconds timeout);

/// Prints a long-running verb's result: with --wait, waits and prints the
/// cluster as the operation left it; without, prints the operation.
/// Checks --timeout, then calls `start`.
absl::Status FinishClusterOperation(
    Context& ctx, const WaitFlags& flags,
    const std::function<absl::StatusOr<ControlOperation>()>& start);

/// "90s", "10m", "1h30m", "500ms", "2d", or a plain number of seconds.
absl::StatusOr<std::chrono::milliseconds> ParseDuration(
    const std::string& text, const std::string& flag);
/// RFC 3339 ("2026-12-03T11:45:01Z", offsets and fractions allowed), or a
/// duration meaning that long ago ("1h") / from now ("+7d") on this machine's
/// clock.
absl::StatusOr<control::Timestamp> ParseTime(const std::string& text,
                                             const std::string& flag);
/// KEY=VALUE flags into a map (InvalidArgument naming the flag).
absl::StatusOr<std::map<std::string, std::string>> ParseLabels(
    const std::vector<std::string>& items, const std::string& flag);
/// A --schedule value, 'CRON|ZONE|MIN_CU[|MINUTES]' (ZONE empty: UTC;
/// MINUTES absent: 0, the server's default). InvalidArgument naming
/// --schedule; the cron expression and the zone are checked by the server.
absl::StatusOr<control::AutoscalingSchedule> ParseSchedule(
    const std::string& text);
/// A backup's resource name from a BACKUP argument: a full name as it is,
/// "CLUSTER/BACKUP_ID" under Project(), or "BACKUP_ID" under `cluster`
/// (an id or a name; empty: not given). InvalidArgument naming BACKUP.
absl::StatusOr<std::string> BackupName(
    const std::string& arg, const std::string& cluster,
    const std::function<absl::StatusOr<std::string>()>& project);
/// The policy of `cove backups policy`: --every (1m or more, whole seconds),
/// --keep (0 or more), --max-age (optional), or --off alone (disabled).
/// InvalidArgument naming the flag.
absl::StatusOr<control::BackupPolicy> ParseBackupPolicy(
    const std::string& every, int keep, const std::string& max_age, bool off);
/// "http://h:p" and "https://h:p" as they are; "h:p" gets "https://" when a
/// CA is given, else "http://".
std::string NormalizeEndpoint(const std::string& endpoint, bool tls);

// Command groups (one file each).
void AddLoginCommands(CLI::App& app, Context& ctx);
void AddConfigCommands(CLI::App& app, Context& ctx);
void AddOrganizationCommands(CLI::App& app, Context& ctx);
void AddMemberCommands(CLI::App& app, Context& ctx);
void AddInvitationCommands(CLI::App& app, Context& ctx);
void AddProjectCommands(CLI::App& app, Context& ctx);
void AddEnvironmentCommands(CLI::App& app, Context& ctx);
void AddClusterCommands(CLI::App& app, Context& ctx);
void AddBackupCommands(CLI::App& app, Context& ctx);
void AddApiKeyCommands(CLI::App& app, Context& ctx);
void AddRoleCommands(CLI::App& app, Context& ctx);
void AddRoleBindingCommands(CLI::App& app, Context& ctx);
void AddAuditCommands(CLI::App& app, Context& ctx);
void AddOperationCommands(CLI::App& app, Context& ctx);
void AddEmulatorCommands(CLI::App& app, Context& ctx);
/// `projects license ...` and `clusters estimate-cost` (cmd_licenses.cc):
/// after AddProjectCommands and AddClusterCommands.
void AddLicenseCommands(CLI::App& app, Context& ctx);
/// `cove alerts ...` (cmd_alerts.cc; issue 19).
void AddAlertCommands(CLI::App& app, Context& ctx);
/// `support-access ...` and `emulator support-principal create`
/// (cmd_support.cc): after AddEmulatorCommands.
void AddSupportCommands(CLI::App& app, Context& ctx);
/// `releases list`, `clusters upgrade`, `clusters maintenance-window ...`
/// (cmd_upgrades.cc, issue 19): after AddClusterCommands.
void AddUpgradeCommands(CLI::App& app, Context& ctx);
/// `cove data`: the data plane (cmd_data.cc, cmd_data_rows.cc).
void AddDataCommands(CLI::App& app, Context& ctx);

}  // namespace cove::cli

#endif  // COVE_SRC_CLI_CLI_H_
