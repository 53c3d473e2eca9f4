// Reading whole files (see files.h).
#include "common/files.h"

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "common/strings.h"

namespace cove::internal {

absl::StatusOr<std::string> ReadFile(std::string_view what,
                                     const std::string& path,
                                     absl::StatusCode code) {
  errno = 0;
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  if (in) ss << in.rdbuf();
  if (!in || in.bad()) {
    const int err = errno;
    return absl::Status(
        code, absl::StrCat(Sv(what), ": cannot read file '", path, "' (",
                           err != 0 ? std::strerror(err) : "read error", ")"));
  }
  return ss.str();
}

}  // namespace cove::internal
