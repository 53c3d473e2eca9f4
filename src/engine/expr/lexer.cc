// Lexer for filter expressions.
#include "engine/expr/lexer.h"

#include <charconv>
#include <string>
#include <system_error>

#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "common/strings.h"

namespace cove::engine::expr {
namespace {

using ::cove::internal::Sv;

constexpr size_t kMaxQuotedToken = 40;

bool IsIdentStart(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
}
bool IsDigit(char c) { return c >= '0' && c <= '9'; }
bool IsIdentChar(char c) { return IsIdentStart(c) || IsDigit(c); }
bool IsSpace(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' ||
         c == '\v';
}
int HexDigit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// Length of the UTF-8 sequence starting with byte `c` (1 for invalid bytes).
size_t Utf8Length(unsigned char c) {
  if (c >= 0xF0 && c <= 0xF7) return 4;
  if (c >= 0xE0) return c <= 0xEF ? 3 : 1;
  if (c >= 0xC0) return 2;
  return 1;
}

void AppendUtf8(uint32_t cp, std::string* out) {
  if (cp < 0x80) {
    out->push_back(static_cast<char>(cp));
  } else if (cp < 0x800) {
    out->push_back(static_cast<char>(0xC0 | (cp >> 6)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else if (cp < 0x10000) {
    out->push_back(static_cast<char>(0xE0 | (cp >> 12)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else {
    out->push_back(static_cast<char>(0xF0 | (cp >> 18)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  }
}

// Source text of [offset, offset + length) quoted for a message, truncated
// to kMaxQuotedToken bytes (on a UTF-8 boundary).
std::string Quote(std::string_view text, size_t offset, size_t length) {
  std::string_view s = text.substr(offset, length);
  bool truncated = false;
  if (s.size() > kMaxQuotedToken) {
    size_t cut = kMaxQuotedToken;
    while (cut > 0 && (static_cast<unsigned char>(s[cut]) & 0xC0) == 0x80) {
      --cut;
    }
    s = s.substr(0, cut);
    truncated = true;
  }
  return absl::StrCat("'", Sv(s), truncated ? "...'" : "'");
}

class Lexer {
 public:
  explicit Lexer(std::string_view text) : text_(text) {}

  absl::StatusOr<std::vector<Token>> Run() {
    std::vector<Token> tokens;
    while (true) {
      SkipSpace();
      Token token;
      token.offset = pos_;
      if (pos_ >= text_.size()) {
        token.kind = TokenKind::kEnd;
        tokens.push_back(std::move(token));
        return tokens;
      }
      COVE_RETURN_IF_ERROR(Next(&token));
      token.length = pos_ - token.offset;
      tokens.push_back(std::move(token));
    }
  }

 private:
  void SkipSpace() {
    while (pos_ < text_.size() && IsSpace(text_[pos_])) ++pos_;
  }
  char Peek(size_t ahead = 0) const {
    return pos_ + ahead < text_.size() ? text_[pos_ + ahead] : '\0';
  }

  absl::Status Next(Token* token) {
    const char c = text_[pos_];
    if (IsIdentStart(c) || c == '$') return Identifier(token);
    if (IsDigit(c) || (c == '.' && IsDigit(Peek(1)))) return Number(token);
    if (c == '"' || c == '\'') return String(token);
    if (c == '{') return Template(token);
    return Operator(token);
  }

  absl::Status Identifier(Token* token) {
    const size_t start = pos_;
    if (text_[pos_] == '$') ++pos_;
    while (pos_ < text_.size() && IsIdentChar(text_[pos_])) ++pos_;
    std::string_view word = text_.substr(start, pos_ - start);
    if (word[0] == '$' && word != "$meta") {
      return FilterError(
          text_, start,
          absl::StrCat("invalid name ", Quote(text_, start, word.size())),
          "'$meta' (the only name that starts with '$')");
    }
    token->kind = TokenKind::kIdent;
    if (word == "and" || word == "AND") {
      token->kind = TokenKind::kAnd;
    } else if (word == "or" || word == "OR") {
      token->kind = TokenKind::kOr;
    } else if (word == "not" || word == "NOT") {
      token->kind = TokenKind::kNot;
    } else if (word == "in" || word == "IN") {
      token->kind = TokenKind::kIn;
    } else if (word == "like" || word == "LIKE") {
      token->kind = TokenKind::kLike;
    } else if (word == "exists" || word == "EXISTS") {
      token->kind = TokenKind::kExists;
    } else if (word == "true" || word == "True" || word == "TRUE") {
      token->kind = TokenKind::kBool;
      token->bool_value = true;
    } else if (word == "false" || word == "False" || word == "FALSE") {
      token->kind = TokenKind::kBool;
      token->bool_value = false;
    }
    token->text = std::string(word);
    return absl::OkStatus();
  }

  absl::Status BadNumber(size_t start) {
    size_t end = pos_;
    while (end < text_.size() &&
           (IsIdentChar(text_[end]) || text_[end] == '.')) {
      ++end;
    }
    return FilterError(
        text_, start,
        absl::StrCat("invalid number ", Quote(text_, start, end - start)), "");
  }

  absl::Status Number(Token* token) {
    const size_t start = pos_;
    // Integers with a base prefix: 0x1F, 0o17, 0b101.
    if (text_[pos_] == '0' &&
        (Peek(1) == 'x' || Peek(1) == 'X' || Peek(1) == 'o' || Peek(1) == 'O' ||
         Peek(1) == 'b' || Peek(1) == 'B')) {
      const char p = static_cast<char>(Peek(1) | 0x20);
      const int base = p == 'x' ? 16 : (p == 'o' ? 8 : 2);
      pos_ += 2;
      const size_t digits = pos_;
      while (pos_ < text_.size() && IsIdentChar(text_[pos_])) ++pos_;
      uint64_t v = 0;
      auto r =
          std::from_chars(text_.data() + digits, text_.data() + pos_, v, base);
      if (digits == pos_ || r.ptr != text_.data() + pos_) {
        return BadNumber(start);
      }
      if (r.ec == std::errc::result_out_of_range) {
        return OutOfRange(start);
      }
      token->kind = TokenKind::kInt;
      token->int_value = v;
      return CheckIntRange(start, v);
    }
    bool is_float = false;
    while (pos_ < text_.size() && IsDigit(text_[pos_])) ++pos_;
    if (Peek() == '.') {
      is_float = true;
      ++pos_;
      while (pos_ < text_.size() && IsDigit(text_[pos_])) ++pos_;
    }
    if (Peek() == 'e' || Peek() == 'E') {
      size_t save = pos_;
      ++pos_;
      if (Peek() == '+' || Peek() == '-') ++pos_;
      if (!IsDigit(Peek())) {
        pos_ = save;
        return BadNumber(start);
      }
      while (pos_ < text_.size() && IsDigit(text_[pos_])) ++pos_;
      is_float = true;
    }
    if (pos_ < text_.size() &&
        (IsIdentChar(text_[pos_]) || text_[pos_] == '.')) {
      return BadNumber(start);
    }
    const char* first = text_.data() + start;
    const char* last = text_.data() + pos_;
    if (is_float) {
      double d = 0;
      auto r = std::from_chars(first, last, d);
      if (r.ec == std::errc::result_out_of_range) {
        // Out of range is either an underflow (a negative exponent: harmless,
        // becomes 0) or an overflow (an error).
        const char* e = first;
        while (e < last && *e != 'e' && *e != 'E') ++e;
        if (e < last && e + 1 < last && e[1] == '-') {
          d = 0.0;
        } else {
          return OutOfRange(start);
        }
      } else if (r.ec != std::errc() || r.ptr != last) {
        return BadNumber(start);
      }
      token->kind = TokenKind::kFloat;
      token->float_value = d;
      return absl::OkStatus();
    }
    uint64_t v = 0;
    auto r = std::from_chars(first, last, v);
    if (r.ec == std::errc::result_out_of_range) return OutOfRange(start);
    if (r.ec != std::errc() || r.ptr != last) return BadNumber(start);
    token->kind = TokenKind::kInt;
    token->int_value = v;
    return CheckIntRange(start, v);
  }

  absl::Status CheckIntRange(size_t start, uint64_t v) {
    if (v > static_cast<uint64_t>(INT64_MAX) + 1) return OutOfRange(start);
    return absl::OkStatus();
  }

  absl::Status OutOfRange(size_t start) {
    size_t end = start;
    while (end < text_.size() && (IsIdentChar(text_[end]) || text_[end] == '.'))
      ++end;
    return FilterError(text_, start,
                       absl::StrCat("number ", Quote(text_, start, end - start),
                                    " is out of range"),
                       "an integer that fits in 64 bits or a finite float");
  }

  absl::Status String(Token* token) {
    const size_t start = pos_;
    const char quote = text_[pos_++];
    std::string out;
    while (true) {
      if (pos_ >= text_.size()) {
        return FilterError(
            text_, start, "unterminated string",
            absl::StrCat("a closing ", quote == '"' ? "'\"'" : "\"'\""));
      }
      char c = text_[pos_];
      if (c == quote) {
        ++pos_;
        break;
      }
      if (c != '\\') {
        out.push_back(c);
        ++pos_;
        continue;
      }
      const size_t esc = pos_;
      ++pos_;
      if (pos_ >= text_.size()) continue;  // reported as unterminated
      c = text_[pos_++];
      switch (c) {
        case 'n':
          out.push_back('\n');
          break;
        case 't':
          out.push_back('\t');
          break;
        case 'r':
          out.push_back('\r');
          break;
        case 'b':
          out.push_back('\b');
          break;
        case 'f':
          out.push_back('\f');
          break;
        case 'v':
          out.push_back('\v');
          break;
        case 'a':
          out.push_back('\a');
          break;
        case '0':
          out.push_back('\0');
          break;
        case '\\':
          out.push_back('\\');
          break;
        case '\'':
          out.push_back('\'');
          break;
        case '"':
          out.push_back('"');
          break;
        case '/':
          out.push_back('/');
          break;
        case '%':
        case '_':
          // Kept escaped: meaningful to `like` patterns only.
          out.push_back('\\');
          out.push_back(c);
          break;
        case 'x': {
          int h1 = HexDigit(Peek()), h2 = HexDigit(Peek(1));
          if (h1 < 0 || h2 < 0) return BadEscape(esc);
          pos_ += 2;
          AppendUtf8(static_cast<uint32_t>(h1 * 16 + h2), &out);
          break;
        }
        case 'u':
        case 'U': {
          uint32_t cp = 0;
          if (!ReadHex(c == 'u' ? 4 : 8, &cp)) return BadEscape(esc);
          if (cp >= 0xD800 && cp <= 0xDBFF && Peek() == '\\' &&
              Peek(1) == 'u') {
            const size_t save = pos_;
            pos_ += 2;
            uint32_t low = 0;
            if (ReadHex(4, &low) && low >= 0xDC00 && low <= 0xDFFF) {
              cp = 0x10000 + ((cp - 0xD800) << 10) + (low - 0xDC00);
            } else {
              pos_ = save;
            }
          }
          if (cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) {
            return BadEscape(esc);
          }
          AppendUtf8(cp, &out);
          break;
        }
        default:
          return BadEscape(esc);
      }
    }
    token->kind = TokenKind::kString;
    token->text = std::move(out);
    return absl::OkStatus();
  }

  bool ReadHex(int n, uint32_t* out) {
    uint32_t v = 0;
    for (int i = 0; i < n; ++i) {
      int h = HexDigit(Peek(i));
      if (h < 0) return false;
      v = v * 16 + static_cast<uint32_t>(h);
    }
    pos_ += n;
    *out = v;
    return true;
  }

  absl::Status BadEscape(size_t esc) {
    size_t len = 2;
    if (esc + 1 < text_.size()) {
      len = 1 + Utf8Length(static_cast<unsigned char>(text_[esc + 1]));
    }
    return FilterError(
        text_, esc,
        absl::StrCat("invalid escape sequence ", Quote(text_, esc, len),
                     " in string"),
        "one of \\n \\t \\r \\\\ \\\" \\' \\% \\_ \\xHH \\uXXXX");
  }

  absl::Status Template(Token* token) {
    const size_t start = pos_;
    ++pos_;
    SkipSpace();
    const size_t name_start = pos_;
    while (pos_ < text_.size() && IsIdentChar(text_[pos_])) ++pos_;
    const size_t name_end = pos_;
    SkipSpace();
    if (name_end == name_start || IsDigit(text_[name_start]) || Peek() != '}') {
      size_t end = pos_ < text_.size() ? pos_ + 1 : pos_;
      return FilterError(
          text_, start,
          absl::StrCat("invalid template placeholder ",
                       Quote(text_, start, end - start)),
          "'{name}' with a name made of letters, digits and '_'");
    }
    ++pos_;
    token->kind = TokenKind::kTemplate;
    token->text = std::string(text_.substr(name_start, name_end - name_start));
    return absl::OkStatus();
  }

  absl::Status Operator(Token* token) {
    const size_t start = pos_;
    const char c = text_[pos_];
    const char n = Peek(1);
    auto one = [&](TokenKind k) {
      token->kind = k;
      pos_ += 1;
      return absl::OkStatus();
    };
    auto two = [&](TokenKind k) {
      token->kind = k;
      pos_ += 2;
      return absl::OkStatus();
    };
    switch (c) {
      case '(':
        return one(TokenKind::kLParen);
      case ')':
        return one(TokenKind::kRParen);
      case '[':
        return one(TokenKind::kLBracket);
      case ']':
        return one(TokenKind::kRBracket);
      case ',':
        return one(TokenKind::kComma);
      case '+':
        return one(TokenKind::kPlus);
      case '-':
        return one(TokenKind::kMinus);
      case '/':
        return one(TokenKind::kSlash);
      case '%':
        return one(TokenKind::kPercent);
      case '*':
        return n == '*' ? two(TokenKind::kPower) : one(TokenKind::kStar);
      case '=':
        if (n == '=') return two(TokenKind::kEq);
        return FilterError(text_, start, "unexpected token '='", "'=='");
      case '!':
        return n == '=' ? two(TokenKind::kNe) : one(TokenKind::kNot);
      case '<':
        if (n == '=') return two(TokenKind::kLe);
        if (n == '<') break;
        if (n == '>') {
          return FilterError(text_, start, "unexpected token '<>'", "'!='");
        }
        return one(TokenKind::kLt);
      case '>':
        if (n == '=') return two(TokenKind::kGe);
        if (n == '>') break;
        return one(TokenKind::kGt);
      case '&':
        if (n == '&') return two(TokenKind::kAnd);
        return FilterError(text_, start,
                           "bitwise operator '&' is not supported",
                           "'&&' or 'and'");
      case '|':
        if (n == '|') return two(TokenKind::kOr);
        return FilterError(text_, start,
                           "bitwise operator '|' is not supported",
                           "'||' or 'or'");
      default:
        break;
    }
    if ((c == '<' && n == '<') || (c == '>' && n == '>') || c == '^' ||
        c == '~') {
      const size_t len = (c == '<' || c == '>') ? 2 : 1;
      return FilterError(
          text_, start,
          absl::StrCat("bitwise operator ", Quote(text_, start, len),
                       " is not supported"),
          "");
    }
    const size_t len = Utf8Length(static_cast<unsigned char>(c));
    return FilterError(
        text_, start,
        absl::StrCat("invalid character ", Quote(text_, start, len)),
        "a field name, a literal, an operator or a parenthesis");
  }

  std::string_view text_;
  size_t pos_ = 0;
};

}  // namespace

absl::StatusOr<std::vector<Token>> Tokenize(std::string_view text) {
  return Lexer(text).Run();
}

std::string DescribeToken(std::string_view text, const Token& token) {
  if (token.kind == TokenKind::kEnd) return "end of input";
  return Quote(text, token.offset, token.length);
}

std::string DescribePosition(std::string_view text, size_t offset) {
  if (offset > text.size()) offset = text.size();
  size_t line = 1;
  size_t line_start = 0;
  for (size_t i = 0; i < offset; ++i) {
    if (text[i] == '\n') {
      ++line;
      line_start = i + 1;
    }
  }
  // Columns count characters, not bytes (UTF-8 continuation bytes skipped).
  size_t column = 1;
  for (size_t i = line_start; i < offset; ++i) {
    if ((static_cast<unsigned char>(text[i]) & 0xC0) != 0x80) ++column;
  }
  bool multi_line = text.find('\n') != std::string_view::npos;
  if (multi_line) return absl::StrCat("line ", line, ", column ", column);
  return absl::StrCat("column ", column);
}

absl::Status FilterError(std::string_view text, size_t offset,
                         std::string_view what, std::string_view expected) {
  std::string message = absl::StrCat("filter: ", Sv(what), " at ",
                                     DescribePosition(text, offset));
  if (!expected.empty())
    absl::StrAppend(&message, " (expected ", Sv(expected), ")");
  return absl::InvalidArgumentError(message);
}

}  // namespace cove::engine::expr
