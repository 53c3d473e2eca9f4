// The embedded backend: validates requests, finds the collection and calls
// the engine. No stub, no retry. The class is in embedded_connection_impl.h.
#include "embedded/embedded_connection.h"

#include <optional>
#include <utility>

#include "absl/strings/str_cat.h"
#include "common/cipher.h"
#include "common/status_macros.h"
#include "embedded/embedded_connection_impl.h"

namespace cove::internal {

void CancelBackgroundWork(Connection& connection) {
  if (auto* embedded = dynamic_cast<EmbeddedConnection*>(&connection)) {
    embedded->CancelBackgroundWork();
  }
}

absl::StatusOr<std::shared_ptr<Connection>> MakeEmbeddedConnection(
    const std::string& path, const EmbeddedOptions& options) {
  if (options.segment_seal_idle.count() < 0) {
    return absl::InvalidArgumentError(absl::StrCat(
        "EmbeddedOptions.segment_seal_idle: must not be negative (got ",
        options.segment_seal_idle.count(), " ms)"));
  }
  if (options.search_threads < 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("EmbeddedOptions.search_threads: must be >= 0 (got ",
                     options.search_threads, ")"));
  }
  auto connection = std::make_shared<EmbeddedConnection>(options);
  if (path == ":memory:") {
    if (options.read_only) {
      return absl::InvalidArgumentError(
          "EmbeddedOptions.read_only: an in-memory store cannot be read-only");
    }
    return std::shared_ptr<Connection>(std::move(connection));
  }
  std::optional<internal::Cipher> cipher;
  if (!options.encryption_key.empty()) {
    COVE_ASSIGN_OR_RETURN(auto c,
                          internal::Cipher::FromKey(options.encryption_key));
    cipher = std::move(c);
  } else if (!options.encryption_key_file.empty()) {
    COVE_ASSIGN_OR_RETURN(
        auto c, internal::Cipher::FromKeyFile(options.encryption_key_file));
    cipher = std::move(c);
  } else if (!options.encryption_key_env.empty()) {
    COVE_ASSIGN_OR_RETURN(
        auto c, internal::Cipher::FromEnv(options.encryption_key_env));
    cipher = std::move(c);
  }
  COVE_RETURN_IF_ERROR(connection->OpenStore(path, std::move(cipher)));
  return std::shared_ptr<Connection>(std::move(connection));
}

}  // namespace cove::internal
