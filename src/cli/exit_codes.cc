// Exit codes and the error line of the `cove` CLI (see exit_codes.h).
#include "cli/exit_codes.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "cli/output.h"

namespace cove::cli {

int ExitCodeFor(const absl::Status& status) {
  switch (status.code()) {
    case absl::StatusCode::kOk:
      return kExitOk;
    case absl::StatusCode::kInvalidArgument:
    case absl::StatusCode::kOutOfRange:
      return kExitUsage;
    case absl::StatusCode::kNotFound:
      return kExitNotFound;
    case absl::StatusCode::kAlreadyExists:
    case absl::StatusCode::kAborted:
      return kExitConflict;
    case absl::StatusCode::kPermissionDenied:
    case absl::StatusCode::kUnauthenticated:
      return kExitDenied;
    case absl::StatusCode::kFailedPrecondition:
      return kExitPrecondition;
    case absl::StatusCode::kUnavailable:
    case absl::StatusCode::kDeadlineExceeded:
      return kExitUnavailable;
    case absl::StatusCode::kResourceExhausted:
      return kExitExhausted;
    case absl::StatusCode::kCancelled:
      return kExitCancelled;
    case absl::StatusCode::kUnimplemented:
      return kExitUnimplemented;
    default:
      return kExitError;
  }
}

std::string ErrorLine(const absl::Status& status, const std::string& secret) {
  std::string message(status.message());
  if (message.empty()) message = "failed";
  if (secret.size() >= 4) {
    message = absl::StrReplaceAll(message, {{secret, "<redacted>"}});
  }
  message =
      absl::StrReplaceAll(message, {{"\r\n", " "}, {"\n", " "}, {"\r", " "}});
  // Whatever else a server sends (an escape sequence quoted from input)
  // reaches the terminal escaped.
  message = Printable(message, /*keep_backslash=*/true);
  return absl::StrCat("cove: error: ", message, " (",
                      absl::StatusCodeToString(status.code()), ")");
}

}  // namespace cove::cli
