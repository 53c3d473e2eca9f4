// UTF-8 checks for messages that quote user input (see utf8.h).
#include "common/utf8.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace cove::internal {

int32_t NextCodePoint(std::string_view text, size_t* i) {
  const auto byte = [&](size_t k) { return static_cast<uint8_t>(text[k]); };
  const uint8_t c = byte(*i);
  if (c < 0x80) {
    ++*i;
    return c;
  }
  int n = 0;
  int32_t cp = 0;
  if ((c & 0xE0) == 0xC0) {
    n = 1;
    cp = c & 0x1F;
  } else if ((c & 0xF0) == 0xE0) {
    n = 2;
    cp = c & 0x0F;
  } else if ((c & 0xF8) == 0xF0) {
    n = 3;
    cp = c & 0x07;
  } else {
    ++*i;
    return -1;
  }
  for (int k = 1; k <= n; ++k) {
    if (*i + k >= text.size() || (byte(*i + k) & 0xC0) != 0x80) {
      ++*i;
      return -1;
    }
    cp = (cp << 6) | (byte(*i + k) & 0x3F);
  }
  static constexpr int32_t kMin[] = {0, 0x80, 0x800, 0x10000};
  if (cp < kMin[n] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) {
    ++*i;
    return -1;
  }
  *i += n + 1;
  return cp;
}

std::string ValidUtf8(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  size_t i = 0;
  while (i < text.size()) {
    const size_t at = i;
    if (NextCodePoint(text, &i) < 0) {
      absl::StrAppend(
          &out, "\\x",
          absl::Hex(static_cast<uint8_t>(text[at]), absl::kZeroPad2));
    } else {
      out.append(text.substr(at, i - at));
    }
  }
  return out;
}

bool IsUnsafeToShow(int32_t cp) {
  return cp < 0x20 || (cp >= 0x7F && cp <= 0x9F) || cp == 0x2028 ||
         cp == 0x2029 || (cp >= 0x202A && cp <= 0x202E) ||
         (cp >= 0x2066 && cp <= 0x2069);
}

std::string EscapeForDisplay(std::string_view text, EscapeOptions options) {
  std::string out;
  out.reserve(text.size());
  size_t i = 0, chars = 0;
  while (i < text.size()) {
    if (options.max_chars != 0 && chars == options.max_chars) {
      out += "...";
      break;
    }
    const size_t at = i;
    const int32_t cp = NextCodePoint(text, &i);
    if (cp < 0) {
      absl::StrAppendFormat(&out, "\\x%02X", static_cast<uint8_t>(text[at]));
    } else if (cp == '\\' && options.escape_backslash) {
      out += "\\\\";
    } else if (IsUnsafeToShow(cp)) {
      if (cp < 0x100) {
        absl::StrAppendFormat(&out, "\\x%02X", cp);
      } else {
        absl::StrAppendFormat(&out, "\\u%04X", cp);
      }
    } else {
      out.append(text.substr(at, i - at));
    }
    ++chars;
  }
  return out;
}

bool IsValidUtf8(std::string_view text) { return ValidUtf8(text) == text; }

}  // namespace cove::internal
