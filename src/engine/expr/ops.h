// The operators of the filter language and their spellings, shared by the
// parser (parser.cc), the compiler (compiler.cc) and the evaluation nodes
// (eval.h).
#ifndef COVE_SRC_ENGINE_EXPR_OPS_H_
#define COVE_SRC_ENGINE_EXPR_OPS_H_

namespace cove::engine::expr {

/// Comparison operators.
enum class CompareOp { kEq, kNe, kLt, kLe, kGt, kGe };
/// Arithmetic operators.
enum class ArithOp { kAdd, kSub, kMul, kDiv, kMod, kPow };

/// "==", "<", ...
inline const char* CompareOpName(CompareOp op) {
  switch (op) {
    case CompareOp::kEq:
      return "==";
    case CompareOp::kNe:
      return "!=";
    case CompareOp::kLt:
      return "<";
    case CompareOp::kLe:
      return "<=";
    case CompareOp::kGt:
      return ">";
    case CompareOp::kGe:
      return ">=";
  }
  return "?";
}

/// "+", "**", ...
inline const char* ArithOpName(ArithOp op) {
  switch (op) {
    case ArithOp::kAdd:
      return "+";
    case ArithOp::kSub:
      return "-";
    case ArithOp::kMul:
      return "*";
    case ArithOp::kDiv:
      return "/";
    case ArithOp::kMod:
      return "%";
    case ArithOp::kPow:
      return "**";
  }
  return "?";
}

}  // namespace cove::engine::expr

#endif  // COVE_SRC_ENGINE_EXPR_OPS_H_
