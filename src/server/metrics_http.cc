// The metrics HTTP endpoint (see metrics_http.h).
#include "server/metrics_http.h"

#include <httplib.h>

#include <atomic>
#include <chrono>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"

namespace cove::server {

absl::StatusOr<std::unique_ptr<MetricsEndpoint>> MetricsEndpoint::Start(
    const std::string& listen_address, std::function<std::string()> render,
    bool reuse_port) {
  const size_t colon = listen_address.rfind(':');
  int port = -1;
  if (colon == std::string::npos ||
      !absl::SimpleAtoi(listen_address.substr(colon + 1), &port) || port < 0 ||
      port > 65535) {
    return absl::InvalidArgumentError(
        absl::StrCat("metrics listen address: expected host:port (got '",
                     listen_address, "')"));
  }
  std::string host = listen_address.substr(0, colon);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
  }
  if (host.empty()) host = "0.0.0.0";
  std::unique_ptr<MetricsEndpoint> e(new MetricsEndpoint());
  e->http_ = std::make_unique<httplib::Server>();
  e->http_->Get("/metrics",
                [render](const httplib::Request&, httplib::Response& res) {
                  res.set_content(render(), kPrometheusContentType);
                });
  e->http_->set_error_handler(
      [](const httplib::Request& req, httplib::Response& res) {
        if (res.status == 404) {
          res.set_content(
              absl::StrCat("not found: ", req.path, " (try /metrics)\n"),
              "text/plain");
        }
      });
  // SO_REUSEADDR only, unless asked: httplib's default also sets
  // SO_REUSEPORT, which would let a second process bind the same port and
  // take scrapes.
  e->http_->set_socket_options([reuse_port](socket_t sock) {
    int yes = 1;
    setsockopt(sock, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof(yes));
    if (reuse_port)
      setsockopt(sock, SOL_SOCKET, SO_REUSEPORT, &yes, sizeof(yes));
  });
  e->http_->set_keep_alive_max_count(100);
  e->http_->new_task_queue = [] { return new httplib::ThreadPool(2); };
  if (port == 0) {
    port = e->http_->bind_to_any_port(host);
  } else if (!e->http_->bind_to_port(host, port)) {
    port = -1;
  }
  if (port <= 0) {
    return absl::UnavailableError(
        absl::StrCat("metrics listen address: cannot listen on '",
                     listen_address, "' (address in use, or not local)"));
  }
  e->port_ = port;
  std::string shown = host == "0.0.0.0" || host == "::" ? "127.0.0.1" : host;
  if (shown.find(':') != std::string::npos) shown = "[" + shown + "]";
  e->url_ = absl::StrCat("http://", shown, ":", port, "/metrics");
  httplib::Server* http = e->http_.get();
  std::atomic<bool>* done = &e->done_;
  e->thread_ = std::thread([http, done] {
    http->listen_after_bind();
    done->store(true);
  });
  return e;
}

absl::StatusOr<std::string> HttpGet(const std::string& url) {
  constexpr absl::string_view kScheme = "http://";
  if (!absl::StartsWith(url, kScheme)) {
    return absl::InvalidArgumentError(
        absl::StrCat("url: expected http://host:port/path (got '", url, "')"));
  }
  const size_t slash = url.find('/', kScheme.size());
  const std::string host_port = url.substr(
      kScheme.size(),
      slash == std::string::npos ? std::string::npos : slash - kScheme.size());
  const std::string path = slash == std::string::npos ? "/" : url.substr(slash);
  httplib::Client client(absl::StrCat("http://", host_port));
  client.set_connection_timeout(10, 0);
  client.set_read_timeout(30, 0);
  auto res = client.Get(path);
  if (!res) {
    return absl::UnavailableError(
        absl::StrCat("GET ", url, ": ", httplib::to_string(res.error())));
  }
  if (res->status == 404) {
    return absl::NotFoundError(absl::StrCat("GET ", url, ": 404"));
  }
  if (res->status != 200) {
    return absl::InternalError(
        absl::StrCat("GET ", url, ": HTTP status ", res->status));
  }
  return res->body;
}

MetricsEndpoint::~MetricsEndpoint() { Stop(); }

void MetricsEndpoint::Stop() {
  if (http_ == nullptr) return;
  // stop() does nothing before the accept loop runs: wait for it (the loop
  // starts at once after bind; this is not a timing assumption).
  while (thread_.joinable() && !done_.load() && !http_->is_running()) {
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  http_->stop();
  if (thread_.joinable()) thread_.join();
}

}  // namespace cove::server
