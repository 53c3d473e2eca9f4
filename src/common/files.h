// Reading whole files (certificates, keys, credential and backup files).
#ifndef COVE_SRC_COMMON_FILES_H_
#define COVE_SRC_COMMON_FILES_H_

#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace cove::internal {

/// The bytes of the file at `path`. When it cannot be opened or read, an
/// error with `code` (NotFound unless given) and the message
/// "<what>: cannot read file '<path>' (<reason>)", `what` naming the option
/// or the kind of file.
absl::StatusOr<std::string> ReadFile(
    std::string_view what, const std::string& path,
    absl::StatusCode code = absl::StatusCode::kNotFound);

}  // namespace cove::internal

#endif  // COVE_SRC_COMMON_FILES_H_
