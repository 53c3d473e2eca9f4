// UTF-8 for messages that quote user input: protobuf string fields and
// Python's str need valid UTF-8, and names arrive as arbitrary bytes.
#ifndef COVE_SRC_COMMON_UTF8_H_
#define COVE_SRC_COMMON_UTF8_H_

#include <string>
#include <string_view>

#include "absl/strings/string_view.h"

namespace cove::internal {

/// `text` with every byte that is not part of valid UTF-8 (truncated or
/// overlong sequences, surrogates, code points past U+10FFFF) written as
/// `\xNN`; valid text is returned unchanged.
std::string ValidUtf8(std::string_view text);
inline std::string ValidUtf8(const std::string& text) {
  return ValidUtf8(std::string_view(text));
}
inline std::string ValidUtf8(const char* text) {
  return ValidUtf8(std::string_view(text));
}
/// absl::Status::message() (Debian's abseil has its own string_view).
inline std::string ValidUtf8(absl::string_view text) {
  return ValidUtf8(std::string_view(text.data(), text.size()));
}
/// True when `text` is valid UTF-8.
bool IsValidUtf8(std::string_view text);

}  // namespace cove::internal

#endif  // COVE_SRC_COMMON_UTF8_H_
