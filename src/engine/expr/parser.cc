// Recursive-descent parser for filter expressions (grammar in parser.h).
#include "engine/expr/parser.h"

#include <algorithm>
#include <cstdint>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "common/strings.h"
#include "engine/expr/lexer.h"

namespace cove::engine::expr {

namespace {

using NodePtr = std::unique_ptr<AstNode>;

bool IsWordCi(const Token& t, std::string_view word) {
  return t.kind == TokenKind::kIdent &&
         absl::EqualsIgnoreCase(internal::Sv(t.text), internal::Sv(word));
}

// Each parse function returns the node, or nullptr after recording the error
// in status_.
class Parser {
 public:
  Parser(std::string_view text, std::vector<Token> tokens)
      : text_(text), tokens_(std::move(tokens)) {}

  absl::StatusOr<NodePtr> Run() {
    if (Cur().kind == TokenKind::kEnd) return NodePtr();
    NodePtr root = ParseOr();
    if (root == nullptr) return status_;
    if (Cur().kind != TokenKind::kEnd) {
      // Keywords are lower or upper case only, as in Milvus ("And" is not).
      for (const char* kw : {"and", "or", "not", "in", "like", "exists"}) {
        if (IsWordCi(Cur(), kw)) {
          Unexpected(absl::StrCat("an operator or end of input; write '", kw,
                                  "' or '", absl::AsciiStrToUpper(kw), "'"));
          return status_;
        }
      }
      Unexpected("an operator or end of input");
      return status_;
    }
    return root;
  }

 private:
  // Counts nesting on the recursive paths of the parser.
  class DepthGuard {
   public:
    explicit DepthGuard(Parser* p) : p_(p) { ++p_->depth_; }
    ~DepthGuard() { --p_->depth_; }
    DepthGuard(const DepthGuard&) = delete;
    DepthGuard& operator=(const DepthGuard&) = delete;

   private:
    Parser* p_;
  };

  const Token& Cur() const { return tokens_[pos_]; }
  const Token& Ahead(size_t n) const {
    return tokens_[std::min(pos_ + n, tokens_.size() - 1)];
  }
  const Token& Advance() {
    const Token& t = tokens_[pos_];
    prev_end_ = t.offset + t.length;
    if (pos_ + 1 < tokens_.size()) ++pos_;
    return t;
  }

  std::nullptr_t Fail(absl::Status status) {
    if (status_.ok()) status_ = std::move(status);
    return nullptr;
  }
  std::nullptr_t Unexpected(std::string_view expected) {
    const Token& t = Cur();
    std::string what =
        t.kind == TokenKind::kEnd
            ? std::string("unexpected end of input")
            : absl::StrCat("unexpected token ", DescribeToken(text_, t));
    return Fail(FilterError(text_, t.offset, what, expected));
  }
  bool TooDeep() {
    if (depth_ <= kMaxFilterDepth) return false;
    Fail(FilterError(
        text_, Cur().offset, "expression nested too deeply",
        absl::StrCat("at most ", kMaxFilterDepth, " levels of nesting")));
    return true;
  }

  NodePtr Make(AstKind kind, size_t begin, size_t op_offset) {
    auto n = std::make_unique<AstNode>();
    n->kind = kind;
    n->begin = begin;
    n->end = prev_end_;
    n->op_offset = op_offset;
    return n;
  }
  // Adds a child, keeping the height bounded.
  bool Adopt(AstNode* parent, NodePtr child) {
    parent->height = std::max(parent->height, child->height + 1);
    parent->children.push_back(std::move(child));
    if (parent->height > kMaxFilterDepth) {
      Fail(FilterError(
          text_, parent->op_offset, "expression nested too deeply",
          absl::StrCat("at most ", kMaxFilterDepth, " levels of nesting")));
      return false;
    }
    return true;
  }

  NodePtr ParseOr() {
    DepthGuard guard(this);
    if (TooDeep()) return nullptr;
    const size_t begin = Cur().offset;
    NodePtr first = ParseAnd();
    if (first == nullptr || Cur().kind != TokenKind::kOr) return first;
    NodePtr node = Make(AstKind::kOr, begin, Cur().offset);
    if (!Adopt(node.get(), std::move(first))) return nullptr;
    while (Cur().kind == TokenKind::kOr) {
      Advance();
      NodePtr next = ParseAnd();
      if (next == nullptr || !Adopt(node.get(), std::move(next))) {
        return nullptr;
      }
    }
    node->end = prev_end_;
    return node;
  }

  NodePtr ParseAnd() {
    const size_t begin = Cur().offset;
    NodePtr first = ParseNot();
    if (first == nullptr || Cur().kind != TokenKind::kAnd) return first;
    NodePtr node = Make(AstKind::kAnd, begin, Cur().offset);
    if (!Adopt(node.get(), std::move(first))) return nullptr;
    while (Cur().kind == TokenKind::kAnd) {
      Advance();
      NodePtr next = ParseNot();
      if (next == nullptr || !Adopt(node.get(), std::move(next))) {
        return nullptr;
      }
    }
    node->end = prev_end_;
    return node;
  }

  NodePtr ParseNot() {
    if (Cur().kind != TokenKind::kNot) return ParseComparison();
    DepthGuard guard(this);
    if (TooDeep()) return nullptr;
    const size_t begin = Cur().offset;
    Advance();
    NodePtr operand = ParseNot();
    if (operand == nullptr) return nullptr;
    NodePtr node = Make(AstKind::kNot, begin, begin);
    if (!Adopt(node.get(), std::move(operand))) return nullptr;
    return node;
  }

  static bool ToCompareOp(TokenKind k, CompareOp* op) {
    switch (k) {
      case TokenKind::kEq:
        *op = CompareOp::kEq;
        return true;
      case TokenKind::kNe:
        *op = CompareOp::kNe;
        return true;
      case TokenKind::kLt:
        *op = CompareOp::kLt;
        return true;
      case TokenKind::kLe:
        *op = CompareOp::kLe;
        return true;
      case TokenKind::kGt:
        *op = CompareOp::kGt;
        return true;
      case TokenKind::kGe:
        *op = CompareOp::kGe;
        return true;
      default:
        return false;
    }
  }

  NodePtr ParseComparison() {
    const size_t begin = Cur().offset;
    NodePtr lhs = ParseAdditive();
    if (lhs == nullptr) return nullptr;
    CompareOp op;
    if (ToCompareOp(Cur().kind, &op)) {
      NodePtr node = Make(AstKind::kCompare, begin, Cur().offset);
      if (!Adopt(node.get(), std::move(lhs))) return nullptr;
      while (ToCompareOp(Cur().kind, &op)) {
        if (node->ops.size() == 2) {
          return Fail(FilterError(text_, Cur().offset,
                                  absl::StrCat("too many chained comparisons: ",
                                               DescribeToken(text_, Cur())),
                                  "at most two, as in '1 < x <= 5'"));
        }
        node->ops.push_back(op);
        Advance();
        NodePtr rhs = ParseAdditive();
        if (rhs == nullptr || !Adopt(node.get(), std::move(rhs))) {
          return nullptr;
        }
      }
      node->end = prev_end_;
      return node;
    }
    const bool not_in =
        Cur().kind == TokenKind::kNot && Ahead(1).kind == TokenKind::kIn;
    if (Cur().kind == TokenKind::kIn || not_in) {
      const size_t op_offset = Cur().offset;
      Advance();
      if (not_in) Advance();
      NodePtr rhs = ParseAdditive();
      if (rhs == nullptr) return nullptr;
      NodePtr node = Make(AstKind::kIn, begin, op_offset);
      node->negated = not_in;
      if (!Adopt(node.get(), std::move(lhs)) ||
          !Adopt(node.get(), std::move(rhs))) {
        return nullptr;
      }
      return node;
    }
    if (Cur().kind == TokenKind::kLike) {
      const size_t op_offset = Cur().offset;
      Advance();
      NodePtr rhs = ParseAdditive();
      if (rhs == nullptr) return nullptr;
      NodePtr node = Make(AstKind::kLike, begin, op_offset);
      if (!Adopt(node.get(), std::move(lhs)) ||
          !Adopt(node.get(), std::move(rhs))) {
        return nullptr;
      }
      return node;
    }
    if (IsWordCi(Cur(), "is")) {
      const size_t op_offset = Cur().offset;
      Advance();
      bool negated = false;
      if (Cur().kind == TokenKind::kNot || IsWordCi(Cur(), "not")) {
        negated = true;
        Advance();
      }
      if (!IsWordCi(Cur(), "null")) {
        return Unexpected(negated ? "'null'" : "'null' or 'not null'");
      }
      Advance();
      NodePtr node = Make(AstKind::kIsNull, begin, op_offset);
      node->negated = negated;
      if (!Adopt(node.get(), std::move(lhs))) return nullptr;
      return node;
    }
    return lhs;
  }

  NodePtr ParseAdditive() {
    const size_t begin = Cur().offset;
    NodePtr lhs = ParseMultiplicative();
    while (lhs != nullptr && (Cur().kind == TokenKind::kPlus ||
                              Cur().kind == TokenKind::kMinus)) {
      const ArithOp op =
          Cur().kind == TokenKind::kPlus ? ArithOp::kAdd : ArithOp::kSub;
      const size_t op_offset = Cur().offset;
      Advance();
      NodePtr rhs = ParseMultiplicative();
      if (rhs == nullptr) return nullptr;
      lhs = Binary(op, begin, op_offset, std::move(lhs), std::move(rhs));
    }
    return lhs;
  }

  NodePtr ParseMultiplicative() {
    const size_t begin = Cur().offset;
    NodePtr lhs = ParseUnary();
    while (lhs != nullptr &&
           (Cur().kind == TokenKind::kStar || Cur().kind == TokenKind::kSlash ||
            Cur().kind == TokenKind::kPercent)) {
      const ArithOp op = Cur().kind == TokenKind::kStar    ? ArithOp::kMul
                         : Cur().kind == TokenKind::kSlash ? ArithOp::kDiv
                                                           : ArithOp::kMod;
      const size_t op_offset = Cur().offset;
      Advance();
      NodePtr rhs = ParseUnary();
      if (rhs == nullptr) return nullptr;
      lhs = Binary(op, begin, op_offset, std::move(lhs), std::move(rhs));
    }
    return lhs;
  }

  NodePtr Binary(ArithOp op, size_t begin, size_t op_offset, NodePtr lhs,
                 NodePtr rhs) {
    NodePtr node = Make(AstKind::kArith, begin, op_offset);
    node->arith = op;
    if (!Adopt(node.get(), std::move(lhs)) ||
        !Adopt(node.get(), std::move(rhs))) {
      return nullptr;
    }
    return node;
  }

  NodePtr ParseUnary() {
    const TokenKind k = Cur().kind;
    if (k != TokenKind::kMinus && k != TokenKind::kPlus) return ParsePower();
    DepthGuard guard(this);
    if (TooDeep()) return nullptr;
    const size_t begin = Cur().offset;
    Advance();
    NodePtr operand = ParseUnary();
    if (operand == nullptr) return nullptr;
    if (k == TokenKind::kPlus) {
      operand->begin = begin;
      return operand;
    }
    // Fold the sign into numeric literals.
    if (operand->kind == AstKind::kLiteral && operand->literal.is_number()) {
      if (operand->int_min_magnitude) {
        operand->literal = cove::Value(INT64_MIN);
        operand->int_min_magnitude = false;
      } else if (operand->literal.is_int()) {
        const int64_t v = operand->literal.AsInt();
        if (v == INT64_MIN) {
          return Fail(FilterError(text_, begin, "integer literal out of range",
                                  "an integer that fits in 64 bits"));
        }
        operand->literal = cove::Value(-v);
      } else {
        operand->literal = cove::Value(-operand->literal.AsDouble());
      }
      operand->begin = begin;
      return operand;
    }
    NodePtr node = Make(AstKind::kNegate, begin, begin);
    if (!Adopt(node.get(), std::move(operand))) return nullptr;
    return node;
  }

  NodePtr ParsePower() {
    const size_t begin = Cur().offset;
    NodePtr base = ParsePostfix();
    if (base == nullptr || Cur().kind != TokenKind::kPower) return base;
    DepthGuard guard(this);
    if (TooDeep()) return nullptr;
    const size_t op_offset = Cur().offset;
    Advance();
    NodePtr exponent = ParseUnary();
    if (exponent == nullptr) return nullptr;
    return Binary(ArithOp::kPow, begin, op_offset, std::move(base),
                  std::move(exponent));
  }

  NodePtr ParsePostfix() {
    const size_t begin = Cur().offset;
    NodePtr node = ParsePrimary();
    while (node != nullptr && Cur().kind == TokenKind::kLBracket) {
      const size_t op_offset = Cur().offset;
      Advance();
      NodePtr key = ParseOr();
      if (key == nullptr) return nullptr;
      if (Cur().kind != TokenKind::kRBracket) return Unexpected("']'");
      Advance();
      NodePtr index = Make(AstKind::kIndex, begin, op_offset);
      if (!Adopt(index.get(), std::move(node)) ||
          !Adopt(index.get(), std::move(key))) {
        return nullptr;
      }
      node = std::move(index);
    }
    return node;
  }

  NodePtr ParsePrimary() {
    const Token& t = Cur();
    const size_t begin = t.offset;
    switch (t.kind) {
      case TokenKind::kInt: {
        Advance();
        NodePtr n = Make(AstKind::kLiteral, begin, begin);
        if (t.int_value > static_cast<uint64_t>(INT64_MAX)) {
          // Only valid negated; ParseUnary folds it, Compile rejects it.
          n->literal = cove::Value(static_cast<double>(t.int_value));
          n->int_min_magnitude = true;
        } else {
          n->literal = cove::Value(static_cast<int64_t>(t.int_value));
        }
        return n;
      }
      case TokenKind::kFloat: {
        Advance();
        NodePtr n = Make(AstKind::kLiteral, begin, begin);
        n->literal = cove::Value(t.float_value);
        return n;
      }
      case TokenKind::kString: {
        Advance();
        NodePtr n = Make(AstKind::kLiteral, begin, begin);
        n->literal = cove::Value(t.text);
        return n;
      }
      case TokenKind::kBool: {
        Advance();
        NodePtr n = Make(AstKind::kLiteral, begin, begin);
        n->literal = cove::Value(t.bool_value);
        return n;
      }
      case TokenKind::kTemplate: {
        Advance();
        NodePtr n = Make(AstKind::kTemplate, begin, begin);
        n->name = t.text;
        return n;
      }
      case TokenKind::kLParen: {
        Advance();
        NodePtr inner = ParseOr();
        if (inner == nullptr) return nullptr;
        if (Cur().kind != TokenKind::kRParen) return Unexpected("')'");
        Advance();
        inner->begin = begin;
        inner->end = prev_end_;
        return inner;
      }
      case TokenKind::kLBracket:
        return ParseList();
      case TokenKind::kExists: {
        DepthGuard guard(this);
        if (TooDeep()) return nullptr;
        Advance();
        NodePtr operand = ParsePostfix();
        if (operand == nullptr) return nullptr;
        NodePtr n = Make(AstKind::kExists, begin, begin);
        if (!Adopt(n.get(), std::move(operand))) return nullptr;
        return n;
      }
      case TokenKind::kIdent: {
        if (Ahead(1).kind == TokenKind::kLParen) return ParseCall();
        Advance();
        NodePtr n = Make(AstKind::kName, begin, begin);
        n->name = t.text;
        return n;
      }
      default:
        return Unexpected("a value");
    }
  }

  NodePtr ParseList() {
    const size_t begin = Cur().offset;
    DepthGuard guard(this);
    if (TooDeep()) return nullptr;
    Advance();  // '['
    NodePtr list = Make(AstKind::kList, begin, begin);
    while (Cur().kind != TokenKind::kRBracket) {
      NodePtr item = ParseOr();
      if (item == nullptr || !Adopt(list.get(), std::move(item))) {
        return nullptr;
      }
      if (Cur().kind == TokenKind::kComma) {
        Advance();
        continue;
      }
      if (Cur().kind != TokenKind::kRBracket) return Unexpected("',' or ']'");
    }
    Advance();  // ']'
    list->end = prev_end_;
    return list;
  }

  NodePtr ParseCall() {
    const size_t begin = Cur().offset;
    NodePtr call = Make(AstKind::kCall, begin, begin);
    call->name = Cur().text;
    Advance();  // name
    Advance();  // '('
    while (Cur().kind != TokenKind::kRParen) {
      NodePtr arg = ParseOr();
      if (arg == nullptr || !Adopt(call.get(), std::move(arg))) {
        return nullptr;
      }
      if (Cur().kind == TokenKind::kComma) {
        Advance();
        if (Cur().kind == TokenKind::kRParen) return Unexpected("a value");
        continue;
      }
      if (Cur().kind != TokenKind::kRParen) return Unexpected("',' or ')'");
    }
    Advance();  // ')'
    call->end = prev_end_;
    return call;
  }

  std::string_view text_;
  std::vector<Token> tokens_;
  size_t pos_ = 0;
  size_t prev_end_ = 0;
  int depth_ = 0;
  absl::Status status_;
};

}  // namespace

absl::StatusOr<std::unique_ptr<AstNode>> Parse(std::string_view text) {
  COVE_ASSIGN_OR_RETURN(auto tokens, Tokenize(text));
  return Parser(text, std::move(tokens)).Run();
}

}  // namespace cove::engine::expr
