// The web console of cove-cloud on its HTTP(S) port (http_server.h): the
// static files of console/ at "/", Chart.js at /vendor/chart.js, the
// console's session check (GET /console/session) and the data explorer of
// each cluster (/v1/{cluster}/collections...), which reads the cluster's
// data plane with cove's own client and the database credentials the user
// typed (header X-Cove-Database-Auth, never stored or logged).
//
// The pages themselves only call the REST/JSON API (rest_gateway.h) and the
// routes here; docs/console.md describes the security model.
#ifndef COVE_SRC_CLOUD_CONSOLE_ROUTES_H_
#define COVE_SRC_CLOUD_CONSOLE_ROUTES_H_

#include <string>

#include "absl/status/statusor.h"
#include "cloud/http_server.h"

namespace cove::cloud {

class CloudCore;

/// Where the console's files come from, and what its pages are told.
struct ConsoleOptions {
  /// The directory of index.html, app.js, ... (ResolveConsoleDir()).
  std::string console_dir;
  /// Chart.js, served at /vendor/chart.js; a missing file is a 404 (the
  /// dashboards then show numbers only).
  std::string chartjs_file;
  /// The control plane's gRPC address (host:port), for the command that
  /// starts cove-agent.
  std::string control_plane_address;
  /// PEM file to trust when a cluster's data plane speaks TLS (the
  /// emulator's certificate), else "".
  std::string data_plane_ca_file;
};

/// The console directory to serve: `configured` when set (it must hold
/// index.html: else NotFound naming it); else the first of
/// <directory of the running program>/../share/cove/console (an install)
/// and the source tree's console/ (a build tree) that holds index.html;
/// NotFound naming the places looked at when none does.
absl::StatusOr<std::string> ResolveConsoleDir(const std::string& configured);

/// The file under `root` (an existing directory) that the URL path `path`
/// (decoded, starting with '/') names: "/" is index.html. InvalidArgument
/// for a path that could leave `root` or is not plain (NUL or control
/// bytes, backslashes, "." or ".." segments, a path not starting with
/// '/'); NotFound when no regular file is there, or when the file (after
/// resolving symbolic links) is outside `root`.
absl::StatusOr<std::string> ResolveConsolePath(const std::string& root,
                                               const std::string& path);

/// The Content-Type of a console file by its extension
/// ("text/javascript; charset=utf-8", ...); application/octet-stream for
/// unknown ones.
std::string ConsoleContentType(const std::string& file);

/// Registers the console's routes on `http` (before HttpServer::Start()).
/// `core` must outlive the server.
void RegisterConsole(CloudCore* core, HttpServer* http,
                     const ConsoleOptions& options);

}  // namespace cove::cloud

#endif  // COVE_SRC_CLOUD_CONSOLE_ROUTES_H_
