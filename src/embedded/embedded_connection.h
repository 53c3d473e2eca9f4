// The embedded backend: a Connection over the in-process engine.
#ifndef COVE_SRC_EMBEDDED_EMBEDDED_CONNECTION_H_
#define COVE_SRC_EMBEDDED_EMBEDDED_CONNECTION_H_

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "cove/connection.h"
#include "cove/options.h"

namespace cove::internal {

/// Opens the embedded engine at `path` (":memory:" for a store that lives
/// only in this process).
absl::StatusOr<std::shared_ptr<Connection>> MakeEmbeddedConnection(
    const std::string& path, const EmbeddedOptions& options);

/// Shutdown of an embedded connection (cove-server on SIGTERM): stops idle
/// sealing, drops queued index builds and compactions and stops running
/// ones within milliseconds, so that closing the connection then takes only
/// its checkpoint. Segments whose index was not built are saved without it
/// and get it rebuilt in the background when the directory is opened again.
/// No effect on other backends. Searches and writes keep working meanwhile
/// (unindexed segments are scanned exactly).
void CancelBackgroundWork(Connection& connection);

}  // namespace cove::internal

#endif  // COVE_SRC_EMBEDDED_EMBEDDED_CONNECTION_H_
