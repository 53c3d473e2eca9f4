// Exit codes of the `cove` CLI: stable, documented in docs/cli.md, one per
// family of absl status codes so that scripts can branch on them.
#ifndef COVE_SRC_CLI_EXIT_CODES_H_
#define COVE_SRC_CLI_EXIT_CODES_H_

#include <string>

#include "absl/status/status.h"

namespace cove::cli {

enum ExitCode : int {
  kExitOk = 0,
  kExitError = 1,         ///< anything else (INTERNAL, UNKNOWN, DATA_LOSS, ...)
  kExitUsage = 2,         ///< bad command line; INVALID_ARGUMENT, OUT_OF_RANGE
  kExitNotFound = 3,      ///< NOT_FOUND
  kExitConflict = 4,      ///< ALREADY_EXISTS, ABORTED (stale etag)
  kExitDenied = 5,        ///< PERMISSION_DENIED, UNAUTHENTICATED
  kExitPrecondition = 6,  ///< FAILED_PRECONDITION
  kExitUnavailable = 7,   ///< UNAVAILABLE, DEADLINE_EXCEEDED
  kExitExhausted = 8,     ///< RESOURCE_EXHAUSTED
  kExitCancelled = 9,     ///< CANCELLED (a cancelled operation)
  kExitUnimplemented = 10  ///< UNIMPLEMENTED
};

/// The exit code for `status` (kExitOk for OK).
int ExitCodeFor(const absl::Status& status);

/// The one line printed for an error: "cove: error: <message> (<CODE>)",
/// newlines flattened, and `secret` (the API key in use) replaced by
/// "<redacted>" should a message ever contain it.
std::string ErrorLine(const absl::Status& status, const std::string& secret);

}  // namespace cove::cli

#endif  // COVE_SRC_CLI_EXIT_CODES_H_
