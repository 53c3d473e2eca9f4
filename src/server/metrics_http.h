// A small HTTP/1.1 endpoint (cpp-httplib) that serves GET /metrics in the
// Prometheus text format; other paths are 404, other methods 400. Used by
// cove-server (--metrics-listen), the cloud's data planes and cove-cloud.
#ifndef COVE_SRC_SERVER_METRICS_HTTP_H_
#define COVE_SRC_SERVER_METRICS_HTTP_H_

#include <atomic>
#include <functional>
#include <memory>
#include <string>
#include <thread>

#include "absl/status/statusor.h"

namespace httplib {
class Server;
}  // namespace httplib

namespace cove::server {

/// Thread safety: `render` is called on the endpoint's threads, possibly
/// concurrently; Stop() may be called from any thread.
class MetricsEndpoint {
 public:
  /// Listens on "host:port" (port 0: a free port). InvalidArgument for a
  /// malformed address; Unavailable when it cannot be bound. With
  /// `reuse_port`, the socket has SO_REUSEPORT, so that another endpoint of
  /// the same user can bind the same port while this one still serves (a
  /// hosted data plane's release swap, hosting/data_plane.h).
  static absl::StatusOr<std::unique_ptr<MetricsEndpoint>> Start(
      const std::string& listen_address, std::function<std::string()> render,
      bool reuse_port = false);
  ~MetricsEndpoint();
  MetricsEndpoint(const MetricsEndpoint&) = delete;
  MetricsEndpoint& operator=(const MetricsEndpoint&) = delete;

  int port() const { return port_; }
  /// "http://HOST:PORT/metrics".
  std::string url() const { return url_; }
  void Stop();

 private:
  MetricsEndpoint() = default;
  std::unique_ptr<httplib::Server> http_;
  std::thread thread_;
  std::atomic<bool> done_{false};
  int port_ = 0;
  std::string url_;
};

/// GET `url` ("http://host:port/path") and return the body: Unavailable when
/// the server cannot be reached, NotFound for 404, Internal for other
/// non-200 replies, InvalidArgument for a malformed URL. For tests and
/// tools (the control plane never calls a data plane's endpoint).
absl::StatusOr<std::string> HttpGet(const std::string& url);

/// The content type of the text format.
inline constexpr char kPrometheusContentType[] =
    "text/plain; version=0.0.4; charset=utf-8";

}  // namespace cove::server

#endif  // COVE_SRC_SERVER_METRICS_HTTP_H_
