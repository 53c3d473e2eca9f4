// UTF-8 for messages that quote user input: protobuf string fields and
// Python's str need valid UTF-8, and names arrive as arbitrary bytes.
#ifndef COVE_SRC_COMMON_UTF8_H_
#define COVE_SRC_COMMON_UTF8_H_

#include <cstddef>
#include <cstdint>
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

/// The code point at `text[*i]`, advancing `*i` past it; -1 for a byte that
/// does not start a valid sequence (truncated, overlong, a surrogate, past
/// U+10FFFF), and `*i` then advances by one byte.
int32_t NextCodePoint(std::string_view text, size_t* i);

/// Control characters (C0, DEL, C1) and the invisible characters that end or
/// reorder a line on a terminal (U+2028, U+2029, bidirectional overrides and
/// isolates): never shown raw to a person.
bool IsUnsafeToShow(int32_t code_point);

struct EscapeOptions {
  /// Write `\` as `\\`, so that the escaped form reads back unambiguously.
  bool escape_backslash = false;
  /// At most this many code points, then "..." (0: no limit).
  size_t max_chars = 0;
};
/// `text` safe to show: invalid bytes as `\xNN`, unsafe code points as
/// `\xNN` or `\uNNNN`, everything else (any script) unchanged.
std::string EscapeForDisplay(std::string_view text, EscapeOptions options = {});

}  // namespace cove::internal

#endif  // COVE_SRC_COMMON_UTF8_H_
