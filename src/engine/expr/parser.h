// Parser for the Milvus boolean filter expression language: builds an untyped
// syntax tree from tokens. Names, types and {placeholders} are resolved later,
// by Compile() in expr.h.
//
// Grammar, loosest binding first:
//   filter     := [or]
//   or         := and (('or' | '||') and)*
//   and        := not (('and' | '&&') not)*
//   not        := ('not' | '!') not | comparison
//   comparison := additive [ cmp additive [cmp additive]   (chained range)
//                          | ['not'] 'in' additive
//                          | 'like' additive
//                          | 'is' ['not'] 'null' ]
//   additive   := multiplicative (('+' | '-') multiplicative)*
//   multiplicative := unary (('*' | '/' | '%') unary)*
//   unary      := ('-' | '+') unary | power
//   power      := postfix ['**' unary]                     (right-assoc)
//   postfix    := primary ('[' or ']')*
//   primary    := literal | '{' name '}' | name | name '(' [or (',' or)*] ')'
//               | '(' or ')' | '[' [or (',' or)* [',']] ']' | 'exists' postfix
// `not` binds looser than comparisons (`not x > 5` is `not (x > 5)`), as in
// SQL and Python.
#ifndef COVE_SRC_ENGINE_EXPR_PARSER_H_
#define COVE_SRC_ENGINE_EXPR_PARSER_H_

#include <cstddef>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "cove/value.h"
#include "engine/expr/ops.h"

namespace cove::engine::expr {

/// Maximum nesting depth of a filter (parentheses, lists, operators); deeper
/// filters are rejected with InvalidArgument rather than risking the stack.
inline constexpr int kMaxFilterDepth = 256;

/// The kinds of syntax tree nodes.
enum class AstKind {
  kLiteral,   // literal: int, double, string or bool in `literal`
  kTemplate,  // {name}: name in `name`
  kList,      // [a, b, ...]: elements in `children`
  kName,      // a field name, a dynamic field key or `$meta`: `name`
  kIndex,     // children[0][children[1]]
  kCall,      // name(children...)
  kNegate,    // -children[0]
  kArith,     // children[0] `arith` children[1]
  kCompare,   // children[0] ops[0] children[1] [ops[1] children[2]]
  kIn,        // children[0] [not] in children[1]; `negated`
  kLike,      // children[0] like children[1]
  kIsNull,    // children[0] is [not] null; `negated`
  kExists,    // exists children[0]
  kNot,       // not children[0]
  kAnd,       // children[0] and children[1] and ...
  kOr,        // children[0] or children[1] or ...
};

/// A syntax tree node. `begin`/`end` delimit its source text (byte offsets)
/// and `op_offset` is where its operator or main token is, for messages.
struct AstNode {
  AstKind kind = AstKind::kLiteral;
  size_t begin = 0;
  size_t end = 0;
  size_t op_offset = 0;
  cove::Value literal;
  /// kLiteral only: the integer literal 9223372036854775808, which is only
  /// valid negated (then it is folded to INT64_MIN).
  bool int_min_magnitude = false;
  std::string name;
  ArithOp arith = ArithOp::kAdd;
  std::vector<CompareOp> ops;
  bool negated = false;
  std::vector<std::unique_ptr<AstNode>> children;
  /// Height of the subtree (a leaf is 1); bounded by kMaxFilterDepth.
  int height = 1;
};

/// Parses `text`. Returns nullptr for a filter with no tokens (blank text),
/// which means "match everything".
///
/// Errors: InvalidArgument "filter: unexpected token ')' at column 14
/// (expected a value)" and similar, naming the 1-based column, the offending
/// token and what was expected; also for filters nested deeper than
/// kMaxFilterDepth.
absl::StatusOr<std::unique_ptr<AstNode>> Parse(std::string_view text);

}  // namespace cove::engine::expr

#endif  // COVE_SRC_ENGINE_EXPR_PARSER_H_
