// The two backends every conformance test runs on, and a client on each: the
// same test code checks that the embedded engine and cove-server (through
// the remote backend) answer alike.
#ifndef COVE_TESTS_CONFORMANCE_BACKENDS_H_
#define COVE_TESTS_CONFORMANCE_BACKENDS_H_

#include <memory>

#include "absl/status/statusor.h"
#include "common/status_macros.h"
#include "cove/client.h"
#include "embedded/embedded_connection.h"
#include "server/server.h"
#include "server/server_fixture.h"

namespace cove::testing {

enum class Backend { kEmbedded, kRemote };

/// "Embedded" or "Remote" (parameterized test names).
inline const char* BackendName(Backend backend) {
  return backend == Backend::kEmbedded ? "Embedded" : "Remote";
}

/// A client of a fresh in-memory engine with `embedded` options: directly
/// (kEmbedded), or through a cove-server over it (kRemote), which is started
/// into `*server` (the caller shuts it down after the client is gone).
inline absl::StatusOr<std::unique_ptr<Client>> OpenOnBackend(
    Backend backend, const EmbeddedOptions& embedded,
    std::unique_ptr<server::Server>* server) {
  if (backend == Backend::kEmbedded) {
    ClientOptions options;
    options.embedded = embedded;
    COVE_ASSIGN_OR_RETURN(Client client, Client::Open(":memory:", options));
    return std::make_unique<Client>(std::move(client));
  }
  server::ServerOptions options = TestServerOptions();
  COVE_ASSIGN_OR_RETURN(options.connection,
                        internal::MakeEmbeddedConnection(":memory:", embedded));
  COVE_ASSIGN_OR_RETURN(*server, StartTestServer(options));
  COVE_ASSIGN_OR_RETURN(Client client, ConnectTo(**server));
  return std::make_unique<Client>(std::move(client));
}

}  // namespace cove::testing

#endif  // COVE_TESTS_CONFORMANCE_BACKENDS_H_
