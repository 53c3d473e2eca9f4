// HttpServer: the HTTP(S) port of cove-cloud (CloudOptions::
// http_listen_address), over cpp-httplib. It knows nothing of the control
// plane: other files register routes on it (the REST/JSON gateway of
// rest_gateway.h, the OpenAPI document of openapi.h, the web console), each a
// handler of a transport-neutral HttpRequest that returns an HttpResponse.
//
// Registration (before Start(); not after):
//
//   server.Handle("GET", "/v1/organizations/([^/:]+)", handler);   // regex
//   server.HandlePrefix("GET", "/", static_files);                  // prefix
//
// Routing of a request (method M, path P; the query string is not part of
// P):
//   1. Regex routes, in registration order: the first whose pattern matches
//      all of P (std::regex_match, ECMAScript) and whose method is M (or
//      "*") handles it; its capture groups are HttpRequest::matches.
//      If some regex route matches P but none has method M: 405 with an
//      `Allow` header listing the methods of the routes that match P.
//   2. Else prefix routes, longest prefix first: the longest prefix P
//      starts with decides, like step 1 (its method M or "*" handles it,
//      else 405 with Allow).
//   3. Else 404.
// A path longer than kMaxPathBytes is 414 before any route is tried.
// The 404, 405, 413 and 500 replies the server makes itself are JSON in the
// REST error form ({"error":{"code":404,"status":"NOT_FOUND",
// "message":"..."}}, ErrorResponse()).
//
// Every response carries the security headers (a strict
// Content-Security-Policy without inline script, X-Content-Type-Options:
// nosniff, Referrer-Policy: no-referrer; kContentSecurityPolicy), and every
// response to a /v1 path `Cache-Control: no-store`. A request body larger
// than max_body_bytes is refused with 413 RESOURCE_EXHAUSTED before any
// handler runs. Nothing is logged (the Authorization header, cookies and
// bodies never reach a log).
//
// HTTPS: with a certificate and key (the gRPC port's, so that both ports
// present the same certificate) the port speaks only TLS (1.2 or later,
// like the gRPC port); a plain-HTTP request to it fails its handshake.
//
// Thread safety: handlers run on the server's thread pool, concurrently;
// they must be thread-safe. Stop() may be called from any thread.
#ifndef COVE_SRC_CLOUD_HTTP_SERVER_H_
#define COVE_SRC_CLOUD_HTTP_SERVER_H_

#include <atomic>
#include <functional>
#include <map>
#include <memory>
#include <regex>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace httplib {
class Server;
struct Request;
struct Response;
}  // namespace httplib

namespace cove::cloud {

/// Case-insensitive ordering of header names.
struct HeaderNameLess {
  bool operator()(const std::string& a, const std::string& b) const;
};

/// One HTTP request, without transport types.
struct HttpRequest {
  std::string method;  // "GET", "POST", "PATCH", ...
  std::string path;    // "/v1/organizations/acme" (decoded, no query)
  /// Decoded query parameters; a parameter given twice has two entries.
  std::multimap<std::string, std::string> query;
  /// Header names compare case-insensitively.
  std::multimap<std::string, std::string, HeaderNameLess> headers;
  std::string body;
  /// Who connected, in the form of gRPC's peer: "ipv4:127.0.0.1:5432",
  /// "ipv6:[::1]:5432".
  std::string peer;
  /// True on the HTTPS port.
  bool tls = false;
  /// The capture groups of a regex route (matches[0]: the first group);
  /// for a prefix route, the rest of the path after the prefix.
  std::vector<std::string> matches;

  /// The first value of header `name` (any case), or "".
  std::string Header(absl::string_view name) const;
  bool HasHeader(absl::string_view name) const;
};

/// What a handler returns.
struct HttpResponse {
  int status = 200;
  std::string content_type = "application/json";
  std::string body;
  /// Extra headers ("ETag", "Set-Cookie", "Location", ...).
  std::vector<std::pair<std::string, std::string>> headers;
};

using HttpHandler = std::function<HttpResponse(const HttpRequest&)>;

/// The HTTP status of an absl status code (Google's canonical mapping:
/// INVALID_ARGUMENT, FAILED_PRECONDITION and OUT_OF_RANGE 400,
/// UNAUTHENTICATED 401, PERMISSION_DENIED 403, NOT_FOUND 404, ABORTED and
/// ALREADY_EXISTS 409, RESOURCE_EXHAUSTED 429, CANCELLED 499, UNIMPLEMENTED
/// 501, UNAVAILABLE 503, DEADLINE_EXCEEDED 504, others 500).
int HttpStatusOf(absl::StatusCode code);
/// The canonical name of a code: "PERMISSION_DENIED".
std::string StatusCodeName(absl::StatusCode code);

/// `s` as a JSON string literal (quotes included; invalid UTF-8 bytes
/// written as the text \xNN, '<' and '>' as \u003c and \u003e).
std::string JsonQuote(absl::string_view s);

/// The REST error body of `status` (not OK):
/// {"error":{"code":<http>,"status":"<NAME>","message":"..."}}, with
/// `http_status` when given (else HttpStatusOf(status.code())).
HttpResponse ErrorResponse(const absl::Status& status, int http_status = 0);

/// The Content-Security-Policy of every response.
inline constexpr char kContentSecurityPolicy[] =
    "default-src 'self'; script-src 'self'; style-src 'self'; "
    "img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; "
    "base-uri 'none'; form-action 'self'";

class HttpServer {
 public:
  /// Longer paths are refused with 414 before any route is tried.
  static constexpr size_t kMaxPathBytes = 2048;

  struct Options {
    /// "host:port"; port 0: a free port.
    std::string listen_address;
    /// PEM certificate chain and key: HTTPS. Both empty: plain HTTP.
    std::string tls_cert_file, tls_key_file;
    /// Larger bodies: 413 RESOURCE_EXHAUSTED.
    int64_t max_body_bytes = int64_t{1} << 20;
    /// Worker threads (handlers that block, like WaitOperation, hold one).
    int threads = 8;
  };

  /// Binds the port (nothing is served before Start()). InvalidArgument for
  /// a malformed address; Unavailable when it cannot be bound; Internal
  /// when the certificate or key cannot be loaded.
  static absl::StatusOr<std::unique_ptr<HttpServer>> Bind(Options options);
  ~HttpServer();
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  /// Adds a route whose path regex must match the whole path. `method`:
  /// "GET", "POST", "PUT", "PATCH", "DELETE" or "*" (any). GET routes also
  /// answer HEAD.
  void Handle(std::string method, std::string path_regex, HttpHandler handler);
  /// Adds a route for every path that starts with `prefix`.
  void HandlePrefix(std::string method, std::string prefix,
                    HttpHandler handler);

  /// Serves on a background thread.
  void Start();
  /// Stops serving (waits for the handlers running). Idempotent.
  void Stop();

  int port() const { return port_; }
  bool tls() const { return tls_; }
  /// "http://127.0.0.1:PORT" or "https://...".
  std::string base_url() const { return base_url_; }

  /// Routes a request as the server would (tests, and callers that want
  /// to serve an HttpRequest they built).
  HttpResponse Dispatch(HttpRequest& request) const;

 private:
  struct Route {
    std::string method;
    std::string pattern;  // the regex or the prefix
    std::regex regex;
    bool prefix = false;
    HttpHandler handler;
  };
  HttpServer() = default;
  void Serve(const httplib::Request& req, httplib::Response& res) const;

  std::unique_ptr<httplib::Server> http_;
  std::vector<Route> routes_;  // regex routes in order, then prefixes
  std::thread thread_;
  std::atomic<bool> done_{false};
  bool started_ = false;
  int port_ = 0;
  bool tls_ = false;
  std::string base_url_;
};

}  // namespace cove::cloud

#endif  // COVE_SRC_CLOUD_HTTP_SERVER_H_
