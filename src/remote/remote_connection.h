// The remote backend: a cove::Connection that speaks Milvus v2 gRPC to
// Milvus, Zilliz Cloud or cove-server. It owns retries of idempotent calls
// (exponential backoff with jitter), per-call deadlines, TLS, credentials,
// the database name, keepalive, reconnection and a schema cache.
#ifndef COVE_SRC_REMOTE_REMOTE_CONNECTION_H_
#define COVE_SRC_REMOTE_REMOTE_CONNECTION_H_

#include <memory>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "common/retry.h"
#include "cove/connection.h"
#include "cove/options.h"
#include "remote/milvus_stub.h"

namespace cove::internal {

/// Where a URI points: host, port, TLS, and an optional database (a path
/// segment, as pymilvus accepts "http://host:19530/mydb").
struct RemoteEndpoint {
  std::string host;
  int port = 0;
  bool tls = false;
  std::string db_name;

  /// "host:port" for gRPC (IPv6 hosts bracketed).
  std::string target() const;
};

/// Parses http://host[:port][/db] and https://... (also tcp:// and grpc://,
/// as plain http). Default port 19530 for http, 443 for https.
/// InvalidArgument for anything else.
absl::StatusOr<RemoteEndpoint> ParseRemoteUri(const std::string& uri);

/// Opens the remote backend for `uri` (see ParseRemoteUri): builds the
/// channel (TLS with the system roots or options.ca_cert_file, mutual TLS
/// with client_cert_file/client_key_file, keepalive, reconnect backoff), the
/// decorated stub, and calls Connect (retried), whose identifier is then sent
/// with every call. Errors: InvalidArgument (URI, options), NotFound
/// (unreadable TLS files), Unauthenticated (wrong credentials), Unavailable
/// (no server after the retries).
absl::StatusOr<std::shared_ptr<Connection>> MakeRemoteConnection(
    const std::string& uri, const RemoteOptions& options);

/// The same over a given stub (already decorated or fake) and clock: for
/// tests. Calls Connect first, like MakeRemoteConnection.
absl::StatusOr<std::shared_ptr<Connection>> MakeRemoteConnectionWithStub(
    std::shared_ptr<MilvusStub> stub, const RemoteOptions& options,
    Clock clock);

}  // namespace cove::internal

#endif  // COVE_SRC_REMOTE_REMOTE_CONNECTION_H_
