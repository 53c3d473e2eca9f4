// `cove data`: the connection to a data plane shared by its commands.
//
// A command of the group reaches one data plane, named by --uri (any Milvus
// endpoint, a directory for the embedded engine, or :memory:) or by
// --cluster (a cluster of the control plane: its endpoint is looked up with
// the logged-in profile). Credentials never need the command line:
// --password-file/--token-file take a file (mode 0600) or '-' for standard
// input, COVE_PASSWORD/COVE_TOKEN the environment, and a terminal is
// prompted.
#ifndef COVE_SRC_CLI_DATA_SESSION_H_
#define COVE_SRC_CLI_DATA_SESSION_H_

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "cli/cli.h"
#include "cli/data_files.h"
#include "cove/client.h"

namespace cove::cli {

/// The connection flags of `cove data` (options of the group, accepted
/// before or after the verb).
struct DataFlags {
  std::string uri;            ///< --uri (else COVE_URI)
  std::string cluster;        ///< --cluster (else COVE_CLUSTER)
  std::string db;             ///< --db (else COVE_DB_NAME, "default")
  std::string user;           ///< --user (else COVE_USER, cluster admin)
  std::string password_file;  ///< --password-file FILE|- (else COVE_PASSWORD)
  std::string token_file;     ///< --token-file FILE|- (else COVE_TOKEN)
  std::string tls_ca;         ///< --data-tls-ca (else COVE_DATA_CA_FILE)
  std::string client_cert;    ///< --client-cert (mutual TLS)
  std::string client_key;     ///< --client-key
  std::string server_name;    ///< --server-name
};

/// The data plane of one invocation: connects on first use.
class DataSession {
 public:
  DataSession(Context& ctx, const DataFlags& flags) : ctx_(ctx), f_(flags) {}

  /// The client, connected once. Errors: InvalidArgument for missing or
  /// conflicting flags, the control plane's errors for --cluster,
  /// FailedPrecondition for a cluster without a data plane.
  absl::StatusOr<Client*> client();
  /// Per-call options: the database and --call-timeout.
  CallOptions call() const;
  /// A collection's description (cached).
  absl::StatusOr<CollectionDescription> Describe(const std::string& name);
  /// Reads standard input for `what` (--file -, --password-file -, ...);
  /// InvalidArgument when another flag claimed it already.
  absl::Status ClaimStdin(const std::string& what);

  /// `status` for printing: the secrets in use replaced by "<redacted>",
  /// and a hint for the data plane's Unauthenticated errors.
  absl::Status Finish(absl::Status status) const;

  /// Where the client connects (after client()): the URI, and the
  /// cluster's resource name for --cluster (else empty).
  const std::string& target_uri() const { return target_uri_; }
  const std::string& target_cluster() const { return target_cluster_; }

  Context& ctx() { return ctx_; }
  bool json() const { return ctx_.json(); }
  bool quiet() const { return ctx_.global.quiet; }

 private:
  absl::StatusOr<std::string> ReadSecret(const std::string& file,
                                         const std::string& flag, bool strip);
  Context& ctx_;
  const DataFlags& f_;
  std::unique_ptr<Client> client_;
  std::string db_;
  std::string target_uri_;
  std::string target_cluster_;
  std::vector<std::string> secrets_;
  std::string stdin_owner_;
  bool connected_ = false;
  std::map<std::string, CollectionDescription> described_;
};

/// Makes `cmd` (a command of `cove data`) run `run` with the session; the
/// error it returns goes through DataSession::Finish.
void OnData(Context& ctx, CLI::App* cmd, const std::shared_ptr<DataFlags>& f,
            std::function<absl::Status(DataSession&)> run);

/// -y/--yes of a destructive data command (Context::Confirm asks without
/// it). The data plane has no request ids: no --request-id here.
std::shared_ptr<MutationFlags> AddYesFlag(CLI::App* cmd);

/// "host:port" as "http://host:port" ("https://" when `tls`); URLs, paths and
/// ":memory:" as they are.
std::string NormalizeDataUri(const std::string& uri, bool tls);

/// Prints rows (JSON objects) as a table whose columns are the union of
/// their keys in first-seen order; long arrays (vectors) abbreviated.
void PrintRows(std::ostream& out, const std::vector<Json>& rows);

/// Prints `j` as indented JSON (bytes that are not UTF-8 replaced).
void PrintJson(std::ostream& out, const Json& j);

// The verbs of `cove data` that read and write rows (cmd_data_rows.cc).
void AddDataRowCommands(CLI::App* group, Context& ctx,
                        const std::shared_ptr<DataFlags>& flags);

}  // namespace cove::cli

#endif  // COVE_SRC_CLI_DATA_SESSION_H_
