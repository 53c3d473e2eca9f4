// Lexer for the Milvus boolean filter expression language: turns the filter
// text into tokens (literals, names, {placeholders}, operators, keywords).
#ifndef COVE_SRC_ENGINE_EXPR_LEXER_H_
#define COVE_SRC_ENGINE_EXPR_LEXER_H_

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace cove::engine::expr {

/// The kinds of tokens of a filter.
enum class TokenKind {
  kEnd,       // end of input
  kInt,       // integer literal (magnitude in int_value; sign is an operator)
  kFloat,     // floating-point literal
  kString,    // "double" or 'single' quoted string (decoded in text)
  kBool,      // true/True/TRUE/false/False/FALSE
  kIdent,     // field name, function name, `$meta`, `is`, `null`
  kTemplate,  // {name}: a value given separately (name in text)
  kLParen,
  kRParen,
  kLBracket,
  kRBracket,
  kComma,
  kEq,  // ==
  kNe,  // !=
  kLt,
  kLe,
  kGt,
  kGe,
  kPlus,
  kMinus,
  kStar,
  kSlash,
  kPercent,
  kPower,   // **
  kAnd,     // and, AND, &&
  kOr,      // or, OR, ||
  kNot,     // not, NOT, !
  kIn,      // in, IN
  kLike,    // like, LIKE
  kExists,  // exists, EXISTS
};

/// One token, with its place in the source text.
struct Token {
  TokenKind kind = TokenKind::kEnd;
  /// Byte offset of the first character in the source text.
  size_t offset = 0;
  /// Length in bytes of the token in the source text.
  size_t length = 0;
  /// kString: the decoded string; kIdent: the name; kTemplate: the
  /// placeholder name (without braces).
  std::string text;
  /// kInt: the magnitude. Literals up to 2^63 are accepted so that
  /// -9223372036854775808 can be written; the parser range-checks.
  uint64_t int_value = 0;
  /// kFloat: the value.
  double float_value = 0.0;
  /// kBool: the value.
  bool bool_value = false;
};

/// Splits `text` into tokens; the last token is always kEnd.
///
/// Keywords follow Milvus: `and`/`or`/`not`/`in`/`like`/`exists` are
/// recognized in lower case or upper case; booleans also capitalized. In
/// strings, `\%` and `\_` are kept with their backslash so that `like` can
/// tell an escaped wildcard from a wildcard.
///
/// Errors: InvalidArgument with the 1-based column of the offending text
/// (unterminated string, bad escape, bad number, invalid character).
absl::StatusOr<std::vector<Token>> Tokenize(std::string_view text);

/// A short human description of a token for error messages: `'<source>'`
/// (truncated when long) or `end of input`.
std::string DescribeToken(std::string_view text, const Token& token);

/// "filter: <what> at column C (<expected>)" (or "at line L, column C" when
/// the text has several lines), as an InvalidArgument error. `expected` may
/// be empty.
absl::Status FilterError(std::string_view text, size_t offset,
                         std::string_view what, std::string_view expected);

/// The 1-based position of a byte offset, as "column C" or
/// "line L, column C" when the text has several lines.
std::string DescribePosition(std::string_view text, size_t offset);

}  // namespace cove::engine::expr

#endif  // COVE_SRC_ENGINE_EXPR_LEXER_H_
