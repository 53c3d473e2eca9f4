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

}  // namespace cove::internal

#endif  // COVE_SRC_EMBEDDED_EMBEDDED_CONNECTION_H_
