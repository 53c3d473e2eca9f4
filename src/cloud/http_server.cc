// HttpServer (see http_server.h).
#include "cloud/http_server.h"

#include <httplib.h>
#include <openssl/ssl.h>

#include <algorithm>
#include <chrono>
#include <set>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/utf8.h"

namespace cove::cloud {
std::string JsonQuote(absl::string_view s) {
  const std::string valid = internal::ValidUtf8(s);
  std::string out = "\"";
  for (unsigned char c : valid) {
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      case '<':  // never "</script>" in a body a browser may sniff
        out += "\\u003c";
        break;
      case '>':
        out += "\\u003e";
        break;
      default:
        if (c < 0x20 || c == 0x7f) {
          out += absl::StrCat("\\u00", absl::Hex(c, absl::kZeroPad2));
        } else {
          out += static_cast<char>(c);
        }
    }
  }
  out += "\"";
  return out;
}

namespace {

bool MethodMatches(const std::string& route_method, const std::string& method) {
  return route_method == "*" || route_method == method ||
         (route_method == "GET" && method == "HEAD");
}

void SetHeaderOnce(httplib::Response& res, const char* name,
                   const char* value) {
  if (!res.has_header(name)) res.set_header(name, value);
}

void SetSecurityHeaders(const std::string& path, httplib::Response& res) {
  SetHeaderOnce(res, "Content-Security-Policy", kContentSecurityPolicy);
  SetHeaderOnce(res, "X-Content-Type-Options", "nosniff");
  SetHeaderOnce(res, "Referrer-Policy", "no-referrer");
  if (path == "/v1" || absl::StartsWith(path, "/v1/") ||
      absl::StartsWith(path, "/v1:")) {
    SetHeaderOnce(res, "Cache-Control", "no-store");
  }
}

}  // namespace

bool HeaderNameLess::operator()(const std::string& a,
                                const std::string& b) const {
  return std::lexicographical_compare(
      a.begin(), a.end(), b.begin(), b.end(), [](char x, char y) {
        return absl::ascii_tolower(static_cast<unsigned char>(x)) <
               absl::ascii_tolower(static_cast<unsigned char>(y));
      });
}

std::string HttpRequest::Header(absl::string_view name) const {
  auto it = headers.find(std::string(name));
  return it == headers.end() ? std::string() : it->second;
}

bool HttpRequest::HasHeader(absl::string_view name) const {
  return headers.count(std::string(name)) > 0;
}

int HttpStatusOf(absl::StatusCode code) {
  switch (code) {
    case absl::StatusCode::kOk:
      return 200;
    case absl::StatusCode::kInvalidArgument:
    case absl::StatusCode::kFailedPrecondition:
    case absl::StatusCode::kOutOfRange:
      return 400;
    case absl::StatusCode::kUnauthenticated:
      return 401;
    case absl::StatusCode::kPermissionDenied:
      return 403;
    case absl::StatusCode::kNotFound:
      return 404;
    case absl::StatusCode::kAborted:
    case absl::StatusCode::kAlreadyExists:
      return 409;
    case absl::StatusCode::kResourceExhausted:
      return 429;
    case absl::StatusCode::kCancelled:
      return 499;
    case absl::StatusCode::kUnimplemented:
      return 501;
    case absl::StatusCode::kUnavailable:
      return 503;
    case absl::StatusCode::kDeadlineExceeded:
      return 504;
    default:
      return 500;
  }
}

std::string StatusCodeName(absl::StatusCode code) {
  std::string name = absl::StatusCodeToString(code);
  // absl spells them "PERMISSION_DENIED" already; keep a fallback.
  if (name.empty()) name = "UNKNOWN";
  return name;
}

HttpResponse ErrorResponse(const absl::Status& status, int http_status) {
  HttpResponse out;
  const int code = http_status != 0 ? http_status : HttpStatusOf(status.code());
  out.status = code;
  out.content_type = "application/json";
  out.body =
      absl::StrCat("{\"error\":{\"code\":", code,
                   ",\"status\":", JsonQuote(StatusCodeName(status.code())),
                   ",\"message\":", JsonQuote(status.message()), "}}\n");
  return out;
}

absl::StatusOr<std::unique_ptr<HttpServer>> HttpServer::Bind(Options options) {
  const std::string& address = options.listen_address;
  const size_t colon = address.rfind(':');
  int port = -1;
  if (colon == std::string::npos ||
      !absl::SimpleAtoi(address.substr(colon + 1), &port) || port < 0 ||
      port > 65535) {
    return absl::InvalidArgumentError(absl::StrCat(
        "http_listen_address: expected host:port (got '", address, "')"));
  }
  std::string host = address.substr(0, colon);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
  }
  if (host.empty()) host = "0.0.0.0";
  std::unique_ptr<HttpServer> s(new HttpServer());
  if (!options.tls_cert_file.empty()) {
    const std::string cert = options.tls_cert_file;
    const std::string key = options.tls_key_file;
    bool loaded = false;
    // The gRPC port's policy: TLS 1.2 or later, ECDHE with AEAD suites
    // only, no client certificate.
    auto ssl = std::make_unique<httplib::SSLServer>([&cert, &key,
                                                     &loaded](SSL_CTX& ctx) {
      SSL_CTX_set_min_proto_version(&ctx, TLS1_2_VERSION);
      SSL_CTX_set_options(&ctx, SSL_OP_NO_COMPRESSION |
                                    SSL_OP_NO_RENEGOTIATION |
                                    SSL_OP_CIPHER_SERVER_PREFERENCE);
      // TLS 1.2: ECDHE with AES-GCM or ChaCha20-Poly1305, as gRPC's port;
      // TLS 1.3 suites are all AEAD.
      loaded =
          SSL_CTX_set_cipher_list(
              &ctx,
              "ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384:"
              "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:"
              "ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305") ==
              1 &&
          SSL_CTX_use_certificate_chain_file(&ctx, cert.c_str()) == 1 &&
          SSL_CTX_use_PrivateKey_file(&ctx, key.c_str(), SSL_FILETYPE_PEM) ==
              1 &&
          SSL_CTX_check_private_key(&ctx) == 1;
      return loaded;
    });
    if (!loaded || !ssl->is_valid()) {
      return absl::InternalError(absl::StrCat(
          "http TLS: cannot load the certificate '", cert, "' and key '", key,
          "' (expected a PEM chain and its private key)"));
    }
    s->http_ = std::move(ssl);
    s->tls_ = true;
  } else {
    s->http_ = std::make_unique<httplib::Server>();
  }
  httplib::Server& http = *s->http_;
  // SO_REUSEADDR only: httplib's default also sets SO_REUSEPORT, which
  // would let a second process bind the same port and take connections.
  http.set_socket_options([](socket_t sock) {
    int yes = 1;
    setsockopt(sock, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof(yes));
  });
  http.set_payload_max_length(static_cast<size_t>(options.max_body_bytes));
  http.set_keep_alive_max_count(100);
  const int threads = std::max(1, options.threads);
  http.new_task_queue = [threads] { return new httplib::ThreadPool(threads); };
  const HttpServer* self = s.get();
  auto serve = [self](const httplib::Request& req, httplib::Response& res) {
    self->Serve(req, res);
  };
  http.Get(".*", serve);
  http.Post(".*", serve);
  http.Put(".*", serve);
  http.Patch(".*", serve);
  http.Delete(".*", serve);
  http.Options(".*", serve);
  // Replies httplib makes itself (413 for a body past the limit, 400 for a
  // malformed request): the JSON error form.
  const int64_t max_body = options.max_body_bytes;
  httplib::Server::HandlerWithResponse on_error =
      [max_body](const httplib::Request& req, httplib::Response& res) {
        SetSecurityHeaders(req.path, res);
        if (!res.body.empty())
          return httplib::Server::HandlerResponse::Unhandled;
        absl::Status status;
        if (res.status == 413) {
          status = absl::ResourceExhaustedError(
              absl::StrCat("request body: too large (expected at most ",
                           max_body, " bytes)"));
        } else if (res.status == 404) {
          status = absl::NotFoundError(absl::StrCat(
              "path: no route for ", internal::ValidUtf8(req.path)));
        } else if (absl::StartsWithIgnoreCase(
                       req.get_header_value("Content-Type"), "multipart/")) {
          // httplib parses multipart bodies itself (and refused this one).
          status = absl::InvalidArgumentError(
              "Content-Type: a malformed multipart body (expected "
              "application/json)");
        } else if ((req.method == "POST" || req.method == "PUT" ||
                    req.method == "PATCH") &&
                   !req.has_header("Content-Length") &&
                   !req.has_header("Transfer-Encoding")) {
          status = absl::InvalidArgumentError(absl::StrCat(
              "Content-Length: a ", req.method,
              " needs a body length (expected Content-Length, 0 for an empty "
              "body, or chunked encoding; got neither)"));
        } else {
          status = absl::InvalidArgumentError(absl::StrCat(
              "request: malformed HTTP request (HTTP ", res.status, ")"));
        }
        HttpResponse r = ErrorResponse(status, res.status);
        res.set_content(r.body, r.content_type.c_str());
        return httplib::Server::HandlerResponse::Handled;
      };
  http.set_error_handler(std::move(on_error));
  http.set_exception_handler([](const httplib::Request& req,
                                httplib::Response& res, std::exception_ptr) {
    HttpResponse r =
        ErrorResponse(absl::InternalError("request: the handler failed"), 500);
    res.status = 500;
    SetSecurityHeaders(req.path, res);
    res.set_content(r.body, r.content_type.c_str());
  });
  if (port == 0) {
    port = http.bind_to_any_port(host);
  } else if (!http.bind_to_port(host, port)) {
    port = -1;
  }
  if (port <= 0) {
    return absl::UnavailableError(
        absl::StrCat("http_listen_address: cannot listen on '", address,
                     "' (address in use, or not a local address)"));
  }
  s->port_ = port;
  std::string shown = host == "0.0.0.0" || host == "::" ? "127.0.0.1" : host;
  if (shown.find(':') != std::string::npos) shown = "[" + shown + "]";
  s->base_url_ =
      absl::StrCat(s->tls_ ? "https://" : "http://", shown, ":", port);
  return s;
}

HttpServer::~HttpServer() { Stop(); }

void HttpServer::Handle(std::string method, std::string path_regex,
                        HttpHandler handler) {
  Route r;
  r.method = std::move(method);
  r.regex = std::regex(path_regex, std::regex::ECMAScript);
  r.pattern = std::move(path_regex);
  r.handler = std::move(handler);
  // Regex routes stay before the prefix routes, in registration order.
  auto first_prefix = std::find_if(routes_.begin(), routes_.end(),
                                   [](const Route& x) { return x.prefix; });
  routes_.insert(first_prefix, std::move(r));
}

void HttpServer::HandlePrefix(std::string method, std::string prefix,
                              HttpHandler handler) {
  Route r;
  r.method = std::move(method);
  r.pattern = std::move(prefix);
  r.prefix = true;
  r.handler = std::move(handler);
  routes_.push_back(std::move(r));
  // Longest prefix first (stable: equal prefixes keep their order).
  std::stable_sort(routes_.begin(), routes_.end(),
                   [](const Route& a, const Route& b) {
                     if (a.prefix != b.prefix) return !a.prefix;
                     if (!a.prefix) return false;
                     return a.pattern.size() > b.pattern.size();
                   });
}

HttpResponse HttpServer::Dispatch(HttpRequest& request) const {
  // Bounds the work of std::regex_match (libstdc++ recurses per character)
  // far below what a thread's stack holds; resource names are much shorter.
  if (request.path.size() > kMaxPathBytes) {
    return ErrorResponse(absl::InvalidArgumentError(absl::StrCat(
                             "path: too long (expected at most ", kMaxPathBytes,
                             " bytes, got ", request.path.size(), ")")),
                         414);
  }
  std::set<std::string> allowed;
  // Regex routes, then the longest matching prefix.
  std::string matched_prefix;
  bool have_prefix = false;
  for (const Route& r : routes_) {
    std::smatch m;
    if (!r.prefix) {
      if (!std::regex_match(request.path, m, r.regex)) continue;
    } else {
      if (!allowed.empty()) break;  // a regex route matched the path
      if (have_prefix && r.pattern != matched_prefix) break;
      if (!absl::StartsWith(request.path, r.pattern)) continue;
      have_prefix = true;
      matched_prefix = r.pattern;
    }
    if (!MethodMatches(r.method, request.method)) {
      allowed.insert(r.method);
      continue;
    }
    request.matches.clear();
    if (r.prefix) {
      request.matches.push_back(request.path.substr(r.pattern.size()));
    } else {
      for (size_t i = 1; i < m.size(); ++i) request.matches.push_back(m[i]);
    }
    return r.handler(request);
  }
  if (!allowed.empty()) {
    HttpResponse out =
        ErrorResponse(absl::UnimplementedError(absl::StrCat(
                          "method: ", request.method, " is not allowed on ",
                          internal::ValidUtf8(request.path), " (expected ",
                          absl::StrJoin(allowed, ", "), ")")),
                      405);
    if (allowed.count("GET")) allowed.insert("HEAD");
    out.headers.emplace_back("Allow", absl::StrJoin(allowed, ", "));
    return out;
  }
  return ErrorResponse(absl::NotFoundError(
      absl::StrCat("path: no route for ", internal::ValidUtf8(request.path))));
}

void HttpServer::Serve(const httplib::Request& req,
                       httplib::Response& res) const {
  HttpRequest r;
  r.method = req.method;
  r.path = req.path;
  // The query string only (httplib also puts a form body into params).
  if (size_t q = req.target.find('?'); q != std::string::npos) {
    httplib::Params params;
    httplib::detail::parse_query_text(req.target.substr(q + 1), params);
    for (const auto& [k, v] : params) r.query.emplace(k, v);
  }
  for (const auto& [k, v] : req.headers) r.headers.emplace(k, v);
  r.body = req.body;
  const bool v6 = req.remote_addr.find(':') != std::string::npos;
  r.peer = v6 ? absl::StrCat("ipv6:[", req.remote_addr, "]:", req.remote_port)
              : absl::StrCat("ipv4:", req.remote_addr, ":", req.remote_port);
  r.tls = tls_;
  HttpResponse out = Dispatch(r);
  res.status = out.status;
  SetSecurityHeaders(req.path, res);
  for (const auto& [k, v] : out.headers) res.set_header(k.c_str(), v);
  res.set_content(std::move(out.body), out.content_type.c_str());
}

void HttpServer::Start() {
  if (started_) return;
  started_ = true;
  httplib::Server* http = http_.get();
  std::atomic<bool>* done = &done_;
  thread_ = std::thread([http, done] {
    http->listen_after_bind();
    done->store(true);
  });
}

void HttpServer::Stop() {
  if (http_ == nullptr) return;
  if (started_) {
    // stop() does nothing before the accept loop runs: wait for it (it
    // starts at once after Start(); not a timing assumption).
    while (thread_.joinable() && !done_.load() && !http_->is_running()) {
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
    http_->stop();
    if (thread_.joinable()) thread_.join();
  }
  http_.reset();
}

}  // namespace cove::cloud
