// Small string helpers shared by the library.
//
// Debian's abseil is built without aliasing absl::string_view to
// std::string_view, so absl string functions cannot take std::string_view
// directly; Sv() bridges the two without copying.
#ifndef COVE_SRC_COMMON_STRINGS_H_
#define COVE_SRC_COMMON_STRINGS_H_

#include <string_view>

#include "absl/strings/string_view.h"

namespace cove::internal {

/// A std::string_view as an absl::string_view (no copy).
inline absl::string_view Sv(std::string_view s) {
  return absl::string_view(s.data(), s.size());
}

/// An absl::string_view as a std::string_view (no copy).
inline std::string_view StdSv(absl::string_view s) {
  return std::string_view(s.data(), s.size());
}

}  // namespace cove::internal

#endif  // COVE_SRC_COMMON_STRINGS_H_
