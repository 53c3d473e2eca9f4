// Test helpers: an in-process cove-server on 127.0.0.1 port 0 over a fresh
// embedded backend, and clients connected to it.
#ifndef COVE_TESTS_SERVER_SERVER_FIXTURE_H_
#define COVE_TESTS_SERVER_SERVER_FIXTURE_H_

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "cove/client.h"
#include "embedded/embedded_connection.h"
#include "server/server.h"

namespace cove::testing {

/// Options of a test server: port 0, in memory, cheap password hashing.
inline server::ServerOptions TestServerOptions() {
  server::ServerOptions options;
  options.listen_address = "127.0.0.1:0";
  options.pbkdf2_iterations = 1000;
  return options;
}

/// Starts a test server over a new embedded connection.
inline absl::StatusOr<std::unique_ptr<server::Server>> StartTestServer(
    server::ServerOptions options = TestServerOptions()) {
  if (options.connection == nullptr) {
    auto conn = internal::MakeEmbeddedConnection(":memory:", EmbeddedOptions{});
    if (!conn.ok()) return conn.status();
    options.connection = *std::move(conn);
  }
  return server::StartServer(options);
}

/// Client options for tests: short backoff, so failures come quickly.
inline ClientOptions TestClientOptions() {
  ClientOptions options;
  options.remote.timeout = std::chrono::seconds(10);
  options.remote.initial_backoff = std::chrono::milliseconds(20);
  options.remote.max_backoff = std::chrono::milliseconds(200);
  return options;
}

/// A client of `server`.
inline absl::StatusOr<Client> ConnectTo(
    const server::Server& server, ClientOptions options = TestClientOptions()) {
  return Client::Open("http://" + server.address(), std::move(options));
}

}  // namespace cove::testing

#endif  // COVE_TESTS_SERVER_SERVER_FIXTURE_H_
