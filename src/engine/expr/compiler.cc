// Filter compilation: type checking against the schema, constant folding
// and template substitution, from the syntax tree (parser.h) to the
// evaluation nodes (eval.h).
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <set>
#include <string>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/status_macros.h"
#include "common/strings.h"
#include "engine/expr/eval.h"
#include "engine/expr/expr.h"
#include "engine/expr/lexer.h"
#include "engine/expr/ops.h"
#include "engine/expr/parser.h"

namespace cove::engine::expr {

using ::cove::internal::Sv;

namespace {

// ---------------------------------------------------------------------------
// Compilation.

// Static types of operands.
enum class VType {
  kBool,
  kInt,
  kFloat,
  kString,
  kJson,
  kArray,
  kList,
  kObject
};

const char* VTypeName(VType t) {
  switch (t) {
    case VType::kBool:
      return "bool";
    case VType::kInt:
      return "integer";
    case VType::kFloat:
      return "float";
    case VType::kString:
      return "string";
    case VType::kJson:
      return "JSON";
    case VType::kArray:
      return "ARRAY";
    case VType::kList:
      return "list";
    case VType::kObject:
      return "object";
  }
  return "?";
}

bool IsNumeric(VType t) { return t == VType::kInt || t == VType::kFloat; }

VType VTypeOfField(FieldType t) {
  switch (t) {
    case FieldType::kBool:
      return VType::kBool;
    case FieldType::kInt8:
    case FieldType::kInt16:
    case FieldType::kInt32:
    case FieldType::kInt64:
      return VType::kInt;
    case FieldType::kFloat:
    case FieldType::kDouble:
      return VType::kFloat;
    case FieldType::kVarChar:
      return VType::kString;
    case FieldType::kJson:
      return VType::kJson;
    case FieldType::kArray:
      return VType::kArray;
    case FieldType::kFloatVector:
      return VType::kList;
  }
  return VType::kJson;
}

VType VTypeOfValue(const Value& v) {
  switch (v.kind()) {
    case Value::Kind::kBool:
      return VType::kBool;
    case Value::Kind::kInt:
      return VType::kInt;
    case Value::Kind::kDouble:
      return VType::kFloat;
    case Value::Kind::kString:
      return VType::kString;
    case Value::Kind::kObject:
      return VType::kObject;
    default:
      return VType::kList;
  }
}

const char* ExpectedFor(VType t) {
  switch (t) {
    case VType::kBool:
      return "true or false";
    case VType::kInt:
    case VType::kFloat:
      return "a number";
    case VType::kString:
      return "a string";
    case VType::kArray:
    case VType::kList:
      return "a list";
    default:
      return "a value";
  }
}

// A compiled value expression with its static type.
struct Operand {
  VType type = VType::kJson;
  bool is_const = false;
  Value value;    // when is_const
  ValuePtr node;  // when !is_const
  const AstNode* ast = nullptr;
  // The field itself (no path or element), or -1.
  int direct_field = -1;
  // A field, JSON path or array element (may be null-tested).
  bool is_ref = false;
  // Numbers compared with it are rounded to float (FLOAT fields, FLOAT
  // array elements), as Milvus casts literals to the field's type.
  bool float32 = false;
  // For messages.
  std::string description;
};

class Compiler {
 public:
  Compiler(std::string_view text, const Schema& schema,
           const TemplateValues& values)
      : text_(text), schema_(schema), values_(values) {
    for (const FieldInfo& f : schema_.fields) {
      fields_by_name_.emplace(f.name, &f);
    }
  }

  const std::set<int>& referenced() const { return referenced_; }

  absl::StatusOr<PredPtr> CompilePredicate(const AstNode& n) {
    switch (n.kind) {
      case AstKind::kAnd:
      case AstKind::kOr: {
        std::vector<PredPtr> children;
        for (const auto& c : n.children) {
          COVE_ASSIGN_OR_RETURN(auto p, CompilePredicate(*c));
          children.push_back(std::move(p));
        }
        if (n.kind == AstKind::kAnd) {
          return PredPtr(std::make_unique<AndPred>(std::move(children)));
        }
        return PredPtr(std::make_unique<OrPred>(std::move(children)));
      }
      case AstKind::kNot: {
        COVE_ASSIGN_OR_RETURN(auto p, CompilePredicate(*n.children[0]));
        return PredPtr(std::make_unique<NotPred>(std::move(p)));
      }
      case AstKind::kCompare:
        return CompileCompare(n);
      case AstKind::kIn:
        return CompileIn(n);
      case AstKind::kLike:
        return CompileLike(n);
      case AstKind::kIsNull:
        return CompileIsNull(n);
      case AstKind::kExists:
        return CompileExists(n);
      case AstKind::kCall:
        return CompileCall(n);
      default:
        break;
    }
    // A value used as a condition: must be boolean.
    COVE_ASSIGN_OR_RETURN(auto v, CompileValue(n));
    Operand& op = v;
    if (op.is_const && op.type == VType::kBool) {
      return PredPtr(std::make_unique<ConstPred>(ToTri(op.value.AsBool())));
    }
    if (!op.is_const && (op.type == VType::kBool || op.type == VType::kJson)) {
      const int direct = op.type == VType::kBool ? op.direct_field : -1;
      return PredPtr(std::make_unique<TruthPred>(std::move(op.node), direct));
    }
    return Error(n.begin,
                 absl::StrCat("expected a condition, got ", op.description),
                 "a comparison such as 'x > 0', or a boolean field");
  }

 private:
  absl::Status Error(size_t offset, std::string_view what,
                     std::string_view expected = "") const {
    return FilterError(text_, offset, what, expected);
  }

  // The source text of a node, truncated when long; quoted unless `raw`.
  std::string Source(const AstNode& n, bool raw = false) const {
    std::string_view s = text_.substr(n.begin, n.end - n.begin);
    const char* quote = raw ? "" : "'";
    if (s.size() > 40) {
      size_t cut = 40;
      while (cut > 0 && (static_cast<unsigned char>(s[cut]) & 0xC0) == 0x80) {
        --cut;
      }
      return absl::StrCat(quote, Sv(s.substr(0, cut)), "...", quote);
    }
    return absl::StrCat(quote, Sv(s), quote);
  }

  static std::string FieldTypeDescription(const FieldInfo& f) {
    if (f.type == FieldType::kArray) {
      return absl::StrCat("ARRAY of ", FieldTypeName(f.element_type));
    }
    return FieldTypeName(f.type);
  }

  // --- Values --------------------------------------------------------------

  Operand Constant(const AstNode& n, Value v, std::string description) {
    Operand op;
    op.type = VTypeOfValue(v);
    op.is_const = true;
    op.value = std::move(v);
    op.ast = &n;
    op.description = std::move(description);
    return op;
  }

  absl::StatusOr<Value> TemplateValue(const AstNode& n) {
    auto it = values_.find(n.name);
    if (it == values_.end()) {
      std::vector<std::string> names;
      for (const auto& [k, v] : values_)
        names.push_back(absl::StrCat("{", k, "}"));
      return Error(
          n.begin,
          absl::StrCat("missing value for template placeholder {", n.name, "}"),
          names.empty() ? std::string("a value in the template values "
                                      "(none were given)")
                        : absl::StrCat("one of the values given: ",
                                       absl::StrJoin(names, ", ")));
    }
    const Value& v = it->second;
    if (v.is_null()) {
      return Error(n.begin,
                   absl::StrCat("template value {", n.name, "} is null"),
                   "a non-null value; use 'is null' to test for null");
    }
    if (v.is_float_vector()) {
      Value::Array items;
      for (float f : v.AsFloatVector()) items.push_back(Value(f));
      return Value(std::move(items));
    }
    return v;
  }

  absl::StatusOr<Operand> CompileValue(const AstNode& n) {
    switch (n.kind) {
      case AstKind::kLiteral: {
        if (n.int_min_magnitude) {
          return Error(
              n.begin,
              absl::StrCat("integer literal ", Source(n), " is out of range"),
              "an integer that fits in 64 bits");
        }
        const char* kind = VTypeName(VTypeOfValue(n.literal));
        return Constant(n, n.literal,
                        absl::StrCat(kind, " ", Source(n, /*raw=*/true)));
      }
      case AstKind::kTemplate: {
        COVE_ASSIGN_OR_RETURN(auto v, TemplateValue(n));
        const char* kind = VTypeName(VTypeOfValue(v));
        return Constant(n, std::move(v),
                        absl::StrCat("template {", n.name, "} (", kind, ")"));
      }
      case AstKind::kList: {
        Value::Array items;
        items.reserve(n.children.size());
        for (const auto& c : n.children) {
          COVE_ASSIGN_OR_RETURN(auto item, CompileValue(*c));
          if (!item.is_const) {
            return Error(c->begin,
                         absl::StrCat("list elements must be constants, got ",
                                      item.description),
                         "literals or {placeholders}");
          }
          items.push_back(std::move(item.value));
        }
        return Constant(n, Value(std::move(items)),
                        absl::StrCat("list ", Source(n, /*raw=*/true)));
      }
      case AstKind::kName:
      case AstKind::kIndex:
        return CompileRef(n);
      case AstKind::kCall: {
        const std::string name = absl::AsciiStrToLower(n.name);
        if (name != "array_length") {
          if (IsConditionFunction(name)) {
            return Error(
                n.begin,
                absl::StrCat(n.name, "(...) is a condition, not a value"),
                "a value");
          }
          return UnknownFunction(n);
        }
        if (n.children.size() != 1) return Arity(n, 1);
        COVE_ASSIGN_OR_RETURN(auto arg, CompileValue(*n.children[0]));
        if (arg.is_const) {
          if (!arg.value.is_array()) {
            return Error(n.children[0]->begin,
                         absl::StrCat("array_length needs an ARRAY or JSON "
                                      "value, got ",
                                      arg.description),
                         "an ARRAY field or a JSON path");
          }
          return Constant(
              n, Value(static_cast<int64_t>(arg.value.AsArray().size())),
              absl::StrCat("integer ", Source(n, /*raw=*/true)));
        }
        if (arg.type != VType::kArray && arg.type != VType::kJson) {
          return Error(n.children[0]->begin,
                       absl::StrCat("array_length needs an ARRAY or JSON "
                                    "value, got ",
                                    arg.description),
                       "an ARRAY field or a JSON path");
        }
        Operand op;
        op.type = VType::kInt;
        op.node = std::make_unique<ArrayLengthNode>(std::move(arg.node));
        op.ast = &n;
        op.description = absl::StrCat(Source(n), " (integer)");
        return op;
      }
      case AstKind::kNegate: {
        COVE_ASSIGN_OR_RETURN(auto arg, CompileValue(*n.children[0]));
        if (!IsNumeric(arg.type) && arg.type != VType::kJson) {
          return Error(
              n.begin,
              absl::StrCat("'-' needs a number, got ", arg.description),
              "a number");
        }
        if (arg.is_const) {
          Datum d = Arith(ArithOp::kSub, Datum::Int(0), FromValue(arg.value));
          return Constant(
              n, ToValue(d),
              absl::StrCat(VTypeName(arg.type), " ", Source(n, /*raw=*/true)));
        }
        Operand op;
        op.type = arg.type;
        op.node = std::make_unique<NegateNode>(std::move(arg.node));
        op.ast = &n;
        op.description = absl::StrCat(Source(n), " (number)");
        return op;
      }
      case AstKind::kArith:
        return CompileArith(n);
      default:
        return Error(
            n.op_offset,
            absl::StrCat("expected a value, got the condition ", Source(n)),
            "a field, a literal or an arithmetic expression");
    }
  }

  absl::StatusOr<Operand> CompileArith(const AstNode& n) {
    COVE_ASSIGN_OR_RETURN(auto lhs, CompileValue(*n.children[0]));
    COVE_ASSIGN_OR_RETURN(auto rhs, CompileValue(*n.children[1]));
    const char* op_name = ArithOpName(n.arith);
    for (const Operand* o : {&lhs, &rhs}) {
      if (!IsNumeric(o->type) && o->type != VType::kJson) {
        return Error(n.op_offset,
                     absl::StrCat("arithmetic '", op_name,
                                  "' needs numbers, got ", o->description),
                     "numeric fields, numbers or JSON values");
      }
      if (n.arith == ArithOp::kMod && o->type == VType::kFloat) {
        return Error(n.op_offset,
                     absl::StrCat("'%' needs integers, got ", o->description),
                     "integer fields or integers");
      }
    }
    if ((n.arith == ArithOp::kDiv || n.arith == ArithOp::kMod) &&
        rhs.is_const && rhs.value.AsDouble() == 0) {
      return Error(n.op_offset, "division by zero", "a non-zero divisor");
    }
    Operand op;
    op.ast = &n;
    if (lhs.type == VType::kJson || rhs.type == VType::kJson) {
      op.type = VType::kJson;
    } else if (n.arith == ArithOp::kPow || lhs.type == VType::kFloat ||
               rhs.type == VType::kFloat) {
      op.type = VType::kFloat;
    } else {
      op.type = VType::kInt;
    }
    if (lhs.is_const && rhs.is_const) {
      Datum d = Arith(n.arith, FromValue(lhs.value), FromValue(rhs.value));
      return Constant(
          n, ToValue(d),
          absl::StrCat(VTypeName(op.type), " ", Source(n, /*raw=*/true)));
    }
    auto node_of = [](Operand& o) -> ValuePtr {
      if (o.is_const) return std::make_unique<ConstNode>(o.value);
      return std::move(o.node);
    };
    op.node = std::make_unique<ArithNode>(n.arith, node_of(lhs), node_of(rhs));
    op.description = absl::StrCat(
        Source(n), " (",
        op.type == VType::kJson ? "number" : VTypeName(op.type), ")");
    return op;
  }

  absl::Status UnknownField(const AstNode& n) const {
    std::vector<std::string> names;
    for (const FieldInfo& f : schema_.fields) {
      if (f.type == FieldType::kFloatVector) continue;
      if (names.size() == 30) {
        names.push_back("...");
        break;
      }
      names.push_back(f.name);
    }
    std::string note = absl::StrCat("fields: ", absl::StrJoin(names, ", "));
    if (const FieldInfo* near = Nearest(n.name)) {
      absl::StrAppend(&note, "; did you mean '", near->name, "'?");
    }
    return absl::InvalidArgumentError(
        absl::StrCat("filter: unknown field '", n.name, "' at ",
                     DescribePosition(text_, n.begin), " (", note, ")"));
  }

  // The field with the closest name (edit distance <= 2), for hints.
  const FieldInfo* Nearest(std::string_view name) const {
    const FieldInfo* best = nullptr;
    size_t best_d = 3;
    if (name.size() > 64) return nullptr;
    for (const FieldInfo& f : schema_.fields) {
      if (f.name.size() > 64) continue;
      const std::string a = absl::AsciiStrToLower(Sv(name));
      const std::string b = absl::AsciiStrToLower(f.name);
      std::vector<size_t> prev(b.size() + 1), cur(b.size() + 1);
      for (size_t j = 0; j <= b.size(); ++j) prev[j] = j;
      for (size_t i = 1; i <= a.size(); ++i) {
        cur[0] = i;
        for (size_t j = 1; j <= b.size(); ++j) {
          cur[j] = std::min({prev[j] + 1, cur[j - 1] + 1,
                             prev[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1)});
        }
        std::swap(prev, cur);
      }
      if (prev[b.size()] < best_d) {
        best_d = prev[b.size()];
        best = &f;
      }
    }
    return best;
  }

  // A field, a dynamic key or `$meta`, possibly indexed: a JSON path, an
  // array element or a whole field.
  struct Ref {
    const FieldInfo* field = nullptr;  // nullptr: the dynamic field
    int field_index = -1;
    std::vector<PathStep> steps;  // JSON (and dynamic) paths
    bool element = false;         // arr[index] on an ARRAY field
    int64_t index = 0;
    bool is_json() const {
      return field == nullptr || field->type == FieldType::kJson;
    }
  };

  absl::StatusOr<Ref> ResolveRef(const AstNode& n) {
    if (n.kind == AstKind::kName) {
      Ref ref;
      auto it = fields_by_name_.find(n.name);
      if (it != fields_by_name_.end()) {
        const FieldInfo* f = it->second;
        if (f->type == FieldType::kFloatVector) {
          return Error(n.begin,
                       absl::StrCat("vector field '", f->name,
                                    "' cannot be used in a filter"),
                       "a scalar, ARRAY or JSON field");
        }
        ref.field = f;
        ref.field_index = f->field_index;
      } else if (absl::EqualsIgnoreCase(Sv(n.name), "null")) {
        // Not a dynamic key either: `x == null` is a common mistake.
        return Error(n.begin, absl::StrCat("unexpected '", n.name, "'"),
                     "a value; test for null with 'x is null' or "
                     "'x is not null'");
      } else if (schema_.dynamic_field_index >= 0) {
        ref.field_index = schema_.dynamic_field_index;
        if (n.name != "$meta") ref.steps.push_back(PathStep{n.name, -1});
      } else {
        return UnknownField(n);
      }
      referenced_.insert(ref.field_index);
      return ref;
    }
    if (n.kind != AstKind::kIndex) {
      return Error(
          n.begin,
          absl::StrCat("only fields and JSON paths can be indexed, got ",
                       Source(n)),
          "a field name");
    }
    COVE_ASSIGN_OR_RETURN(auto base, ResolveRef(*n.children[0]));
    const AstNode& key_ast = *n.children[1];
    COVE_ASSIGN_OR_RETURN(auto key, CompileValue(key_ast));
    if (!key.is_const || (!key.value.is_string() && !key.value.is_int())) {
      return Error(key_ast.begin,
                   absl::StrCat("invalid index ", key.description),
                   "a quoted key such as [\"key\"] or an index such as [0]");
    }
    if (key.value.is_int() && key.value.AsInt() < 0) {
      return Error(key_ast.begin,
                   absl::StrCat("negative index ", key.description),
                   "an index >= 0");
    }
    Ref ref = std::move(base);
    if (ref.is_json()) {
      if (key.value.is_string()) {
        ref.steps.push_back(PathStep{key.value.AsString(), -1});
      } else {
        ref.steps.push_back(PathStep{"", key.value.AsInt()});
      }
      return ref;
    }
    if (ref.field->type == FieldType::kArray && !ref.element) {
      if (!key.value.is_int()) {
        return Error(key_ast.begin,
                     absl::StrCat("ARRAY field '", ref.field->name,
                                  "' indexed with ", key.description),
                     "an index such as [0]");
      }
      ref.element = true;
      ref.index = key.value.AsInt();
      return ref;
    }
    return Error(
        n.op_offset,
        absl::StrCat(ref.element ? "element of '" : "field '", ref.field->name,
                     "' (",
                     ref.element ? FieldTypeName(ref.field->element_type)
                                 : FieldTypeDescription(*ref.field),
                     ") cannot be indexed"),
        "a JSON field or an ARRAY field");
  }

  absl::StatusOr<Operand> CompileRef(const AstNode& n) {
    COVE_ASSIGN_OR_RETURN(auto r, ResolveRef(n));
    Ref& ref = r;
    Operand op;
    op.ast = &n;
    op.is_ref = true;
    if (ref.is_json()) {
      op.type = VType::kJson;
      if (ref.steps.empty() && ref.field != nullptr) {
        op.direct_field = ref.field_index;
      }
      op.node = std::make_unique<JsonPathNode>(
          ref.field_index, std::move(ref.steps), ref.field == nullptr);
      op.description = ref.field == nullptr
                           ? absl::StrCat("dynamic field value ", Source(n))
                           : absl::StrCat("JSON value ", Source(n));
      return op;
    }
    if (ref.element) {
      op.type = VTypeOfField(ref.field->element_type);
      op.float32 = ref.field->element_type == FieldType::kFloat;
      op.node = std::make_unique<ArrayElementNode>(ref.field_index, ref.index);
      op.description =
          absl::StrCat("element ", Source(n), " (",
                       FieldTypeName(ref.field->element_type), ")");
      return op;
    }
    op.type = VTypeOfField(ref.field->type);
    op.float32 = ref.field->type == FieldType::kFloat;
    op.direct_field = ref.field_index;
    op.node = std::make_unique<FieldNode>(ref.field_index);
    op.description = absl::StrCat("field '", ref.field->name, "' (",
                                  FieldTypeDescription(*ref.field), ")");
    return op;
  }

  // --- Conditions ----------------------------------------------------------

  // Rounds numeric constants compared with FLOAT values to float.
  static Value AdjustConstant(const Operand& target, const Value& v) {
    if (!target.float32 || !v.is_number()) return v;
    const double d = v.AsDouble();
    if (!std::isfinite(d) ||
        std::fabs(d) > static_cast<double>(std::numeric_limits<float>::max())) {
      return v;
    }
    return Value(static_cast<double>(static_cast<float>(d)));
  }

  absl::Status CheckComparable(const Operand& a, const Operand& b, CompareOp op,
                               size_t offset) const {
    const bool ordering = op != CompareOp::kEq && op != CompareOp::kNe;
    auto is_seq = [](VType t) {
      return t == VType::kArray || t == VType::kList || t == VType::kObject;
    };
    bool ok = false;
    if (a.type == VType::kJson || b.type == VType::kJson) {
      ok = !(ordering && (is_seq(a.type) || is_seq(b.type)));
    } else if (IsNumeric(a.type) && IsNumeric(b.type)) {
      ok = true;
    } else if (a.type == b.type && a.type == VType::kString) {
      ok = true;
    } else if (a.type == b.type && a.type == VType::kBool) {
      if (ordering) {
        return Error(
            offset,
            absl::StrCat("cannot order booleans with '", CompareOpName(op),
                         "': ", a.description, " and ", b.description),
            "'==' or '!='");
      }
      ok = true;
    } else if (is_seq(a.type) && is_seq(b.type)) {
      ok = !ordering;
    }
    if (ok) return absl::OkStatus();
    const Operand& field_side = (a.is_const && !b.is_const) ? b : a;
    return Error(
        offset,
        absl::StrCat("cannot compare ", a.description, " with ", b.description,
                     " using '", CompareOpName(op), "'"),
        ExpectedFor(field_side.type));
  }

  absl::StatusOr<PredPtr> BuildCompare(CompareOp op, Operand lhs, Operand rhs,
                                       size_t offset) {
    COVE_RETURN_IF_ERROR(CheckComparable(lhs, rhs, op, offset));
    if (lhs.is_const && rhs.is_const) {
      return PredPtr(std::make_unique<ConstPred>(
          CompareTri(op, FromValue(lhs.value), FromValue(rhs.value))));
    }
    if (lhs.is_const) {
      std::swap(lhs, rhs);
      op = Flip(op);
    }
    if (!rhs.is_const) {
      return PredPtr(std::make_unique<ComparePred>(op, std::move(lhs.node),
                                                   std::move(rhs.node)));
    }
    Value c = AdjustConstant(lhs, rhs.value);
    if (lhs.direct_field >= 0) {
      if (lhs.type == VType::kInt && c.is_int()) {
        return MakeForOp<FieldIntCmp>(op, lhs.direct_field, c.AsInt());
      }
      if (lhs.type == VType::kFloat && c.is_number()) {
        return MakeForOp<FieldDoubleCmp>(op, lhs.direct_field, c.AsDouble());
      }
      if (lhs.type == VType::kString && c.is_string()) {
        return MakeForOp<FieldStringCmp>(op, lhs.direct_field, c.AsString());
      }
    }
    const int direct = IsScalar(lhs.type) ? lhs.direct_field : -1;
    return PredPtr(std::make_unique<CompareConstPred>(op, std::move(lhs.node),
                                                      std::move(c), direct));
  }

  absl::StatusOr<PredPtr> CompileCompare(const AstNode& n) {
    if (n.ops.size() == 1) {
      COVE_ASSIGN_OR_RETURN(auto lhs, CompileValue(*n.children[0]));
      COVE_ASSIGN_OR_RETURN(auto rhs, CompileValue(*n.children[1]));
      return BuildCompare(n.ops[0], std::move(lhs), std::move(rhs),
                          n.op_offset);
    }
    // Chained range: a < x <= b or a > x >= b.
    auto is_up = [](CompareOp o) {
      return o == CompareOp::kLt || o == CompareOp::kLe;
    };
    auto is_down = [](CompareOp o) {
      return o == CompareOp::kGt || o == CompareOp::kGe;
    };
    const CompareOp op1 = n.ops[0], op2 = n.ops[1];
    if (!((is_up(op1) && is_up(op2)) || (is_down(op1) && is_down(op2)))) {
      return Error(
          n.op_offset,
          absl::StrCat("invalid chained comparison '", CompareOpName(op1),
                       "' ... '", CompareOpName(op2), "'"),
          "both operators '<'/'<=' or both '>'/'>=', as in "
          "'1 < x <= 5'");
    }
    COVE_ASSIGN_OR_RETURN(auto first, CompileValue(*n.children[0]));
    COVE_ASSIGN_OR_RETURN(auto middle, CompileValue(*n.children[1]));
    COVE_ASSIGN_OR_RETURN(auto last, CompileValue(*n.children[2]));
    // Normalize to lo (<|<=) x (<|<=) hi.
    Operand* lo = &first;
    Operand* hi = &last;
    bool lo_incl = op1 == CompareOp::kLe;
    bool hi_incl = op2 == CompareOp::kLe;
    if (is_down(op1)) {
      std::swap(lo, hi);
      lo_incl = op2 == CompareOp::kGe;
      hi_incl = op1 == CompareOp::kGe;
    }
    COVE_RETURN_IF_ERROR(
        CheckComparable(*lo, middle, CompareOp::kLt, n.op_offset));
    COVE_RETURN_IF_ERROR(
        CheckComparable(middle, *hi, CompareOp::kLt, n.op_offset));
    if (lo->is_const && hi->is_const && !middle.is_const) {
      Value lo_v = AdjustConstant(middle, lo->value);
      Value hi_v = AdjustConstant(middle, hi->value);
      if (middle.direct_field >= 0 && middle.type == VType::kInt &&
          lo_v.is_int() && hi_v.is_int()) {
        int64_t l = lo_v.AsInt(), h = hi_v.AsInt();
        bool empty = false;
        if (!lo_incl) {
          if (l == INT64_MAX)
            empty = true;
          else
            ++l;
        }
        if (!hi_incl) {
          if (h == INT64_MIN)
            empty = true;
          else
            --h;
        }
        return PredPtr(std::make_unique<FieldIntRangePred>(
            middle.direct_field, l, h, empty || l > h));
      }
      const int direct = IsScalar(middle.type) ? middle.direct_field : -1;
      return PredPtr(std::make_unique<RangePred>(
          std::move(middle.node), std::move(lo_v), lo_incl, std::move(hi_v),
          hi_incl, direct));
    }
    // General case: two comparisons (the middle is compiled twice).
    COVE_ASSIGN_OR_RETURN(auto middle2, CompileValue(*n.children[1]));
    std::vector<PredPtr> both;
    COVE_ASSIGN_OR_RETURN(
        auto a, BuildCompare(lo_incl ? CompareOp::kLe : CompareOp::kLt,
                             std::move(*lo), std::move(middle), n.op_offset));
    both.push_back(std::move(a));
    COVE_ASSIGN_OR_RETURN(
        auto b, BuildCompare(hi_incl ? CompareOp::kLe : CompareOp::kLt,
                             std::move(middle2), std::move(*hi), n.op_offset));
    both.push_back(std::move(b));
    return PredPtr(std::make_unique<AndPred>(std::move(both)));
  }

  // Checks that the constants in `items` can be compared with `target`.
  absl::Status CheckElements(const Operand& target, const Value::Array& items,
                             const AstNode& list_ast, std::string_view what) {
    VType want = target.type;
    if (want == VType::kJson) return absl::OkStatus();
    for (size_t i = 0; i < items.size(); ++i) {
      const Value& v = items[i];
      const VType got = VTypeOfValue(v);
      bool ok = (IsNumeric(want) && IsNumeric(got)) || want == got ||
                (want == VType::kArray && got == VType::kList);
      if (ok) continue;
      size_t offset = list_ast.begin;
      std::string desc = absl::StrCat(VTypeName(got), " ", v.ToJson());
      if (list_ast.kind == AstKind::kList && i < list_ast.children.size()) {
        offset = list_ast.children[i]->begin;
      }
      return Error(offset,
                   absl::StrCat(Sv(what), " element ", desc, " does not match ",
                                target.description),
                   ExpectedFor(want));
    }
    return absl::OkStatus();
  }

  absl::StatusOr<PredPtr> CompileIn(const AstNode& n) {
    COVE_ASSIGN_OR_RETURN(auto lhs, CompileValue(*n.children[0]));
    const AstNode& list_ast = *n.children[1];
    COVE_ASSIGN_OR_RETURN(auto rhs, CompileValue(list_ast));
    if (!rhs.is_const || !rhs.value.is_array()) {
      return Error(list_ast.begin,
                   absl::StrCat("'", n.negated ? "not in" : "in",
                                "' needs a list, got ", rhs.description),
                   "a list such as [1, 2, 3]");
    }
    if (lhs.type == VType::kObject ||
        (lhs.type == VType::kList && !lhs.is_const)) {
      return Error(n.op_offset,
                   absl::StrCat("'in' cannot test ", lhs.description),
                   "a scalar, ARRAY or JSON value");
    }
    COVE_RETURN_IF_ERROR(
        CheckElements(lhs, rhs.value.AsArray(), list_ast, "list"));
    Value::Array items;
    items.reserve(rhs.value.AsArray().size());
    for (const Value& v : rhs.value.AsArray()) {
      items.push_back(AdjustConstant(lhs, v));
    }
    if (lhs.is_const) {
      ValueSet set;
      for (const Value& v : items) set.Add(v);
      set.Finish();
      return PredPtr(std::make_unique<ConstPred>(
          ToTri(set.Contains(FromValue(lhs.value)) != n.negated)));
    }
    const int direct = IsScalar(lhs.type) ? lhs.direct_field : -1;
    return PredPtr(std::make_unique<InPred>(std::move(lhs.node), direct, items,
                                            n.negated));
  }

  static bool IsScalar(VType t) {
    return t == VType::kBool || t == VType::kInt || t == VType::kFloat ||
           t == VType::kString;
  }

  absl::StatusOr<PredPtr> CompileLike(const AstNode& n) {
    COVE_ASSIGN_OR_RETURN(auto lhs, CompileValue(*n.children[0]));
    if (lhs.type != VType::kString && lhs.type != VType::kJson) {
      return Error(n.op_offset,
                   absl::StrCat("'like' needs a VARCHAR or JSON value, got ",
                                lhs.description),
                   "a VARCHAR field or a JSON path");
    }
    const AstNode& pattern_ast = *n.children[1];
    COVE_ASSIGN_OR_RETURN(auto pattern, CompileValue(pattern_ast));
    if (!pattern.is_const || !pattern.value.is_string()) {
      return Error(pattern_ast.begin,
                   absl::StrCat("'like' needs a string pattern, got ",
                                pattern.description),
                   "a quoted pattern such as \"abc%\"");
    }
    if (lhs.is_const) {
      LikeMatcher m(pattern.value.AsString());
      return PredPtr(
          std::make_unique<ConstPred>(ToTri(m.Match(lhs.value.AsString()))));
    }
    const int direct = lhs.type == VType::kString ? lhs.direct_field : -1;
    return PredPtr(std::make_unique<LikePred>(
        std::move(lhs.node), pattern.value.AsString(), direct));
  }

  absl::StatusOr<PredPtr> CompileIsNull(const AstNode& n) {
    const AstNode& arg = *n.children[0];
    if (arg.kind != AstKind::kName && arg.kind != AstKind::kIndex) {
      return Error(n.op_offset,
                   absl::StrCat("'is ", n.negated ? "not " : "",
                                "null' needs a field, got ", Source(arg)),
                   "a field, a JSON path or an array element");
    }
    COVE_ASSIGN_OR_RETURN(auto op, CompileRef(arg));
    const int direct = IsScalar(op.type) ? op.direct_field : -1;
    return PredPtr(
        std::make_unique<IsNullPred>(std::move(op.node), n.negated, direct));
  }

  absl::StatusOr<PredPtr> CompileExists(const AstNode& n) {
    const AstNode& arg = *n.children[0];
    auto not_a_key = [&] {
      return Error(arg.begin,
                   absl::StrCat("'exists' needs a JSON key, got ", Source(arg)),
                   "a JSON path such as meta[\"key\"]");
    };
    if (arg.kind != AstKind::kName && arg.kind != AstKind::kIndex) {
      return not_a_key();
    }
    COVE_ASSIGN_OR_RETURN(auto ref, ResolveRef(arg));
    if (!ref.is_json() || ref.steps.empty()) return not_a_key();
    return PredPtr(std::make_unique<ExistsPred>(std::make_unique<JsonPathNode>(
        ref.field_index, std::move(ref.steps), ref.field == nullptr)));
  }

  static bool IsConditionFunction(const std::string& lower) {
    return lower == "json_contains" || lower == "json_contains_all" ||
           lower == "json_contains_any" || lower == "array_contains" ||
           lower == "array_contains_all" || lower == "array_contains_any";
  }

  absl::Status UnknownFunction(const AstNode& n) const {
    return Error(n.begin, absl::StrCat("unknown function '", n.name, "'"),
                 "one of json_contains, json_contains_all, json_contains_any, "
                 "array_contains, array_contains_all, array_contains_any, "
                 "array_length, text_match");
  }

  absl::Status Arity(const AstNode& n, size_t want) const {
    return Error(n.begin,
                 absl::StrCat(n.name, " takes ", want,
                              want == 1 ? " argument" : " arguments", ", got ",
                              n.children.size()),
                 absl::StrCat(want, want == 1 ? " argument" : " arguments"));
  }

  absl::StatusOr<PredPtr> CompileCall(const AstNode& n) {
    const std::string name = absl::AsciiStrToLower(n.name);
    if (name == "array_length") {
      return Error(n.begin, "array_length(...) is a value, not a condition",
                   "a comparison such as 'array_length(f) > 0'");
    }
    if (name == "text_match") return CompileTextMatch(n);
    if (!IsConditionFunction(name)) return UnknownFunction(n);
    if (n.children.size() != 2) return Arity(n, 2);
    ContainsMode mode = ContainsMode::kOne;
    if (absl::EndsWith(name, "_all")) mode = ContainsMode::kAll;
    if (absl::EndsWith(name, "_any")) mode = ContainsMode::kAny;
    COVE_ASSIGN_OR_RETURN(auto target, CompileValue(*n.children[0]));
    if (target.is_const ||
        (target.type != VType::kJson && target.type != VType::kArray)) {
      return Error(n.children[0]->begin,
                   absl::StrCat(n.name, " needs a JSON or ARRAY field, got ",
                                target.description),
                   "a JSON path or an ARRAY field as first argument");
    }
    const AstNode& needle_ast = *n.children[1];
    COVE_ASSIGN_OR_RETURN(auto needle, CompileValue(needle_ast));
    if (!needle.is_const) {
      return Error(
          needle_ast.begin,
          absl::StrCat(n.name, " needs a constant, got ", needle.description),
          "a literal or a {placeholder}");
    }
    if (mode != ContainsMode::kOne && !needle.value.is_array()) {
      return Error(
          needle_ast.begin,
          absl::StrCat(n.name, " needs a list, got ", needle.description),
          "a list such as [1, 2]");
    }
    // Element types of ARRAY fields are known: check the constants.
    Value needle_value = needle.value;
    if (target.type == VType::kArray) {
      const FieldInfo* f = FieldByIndex(target.direct_field);
      if (f != nullptr) {
        Operand element;
        element.type = VTypeOfField(f->element_type);
        element.float32 = f->element_type == FieldType::kFloat;
        element.description =
            absl::StrCat("the elements (", FieldTypeName(f->element_type),
                         ") of field '", f->name, "'");
        if (mode == ContainsMode::kOne) {
          COVE_RETURN_IF_ERROR(CheckElements(
              element, Value::Array{needle_value}, needle_ast, "value"));
          needle_value = AdjustConstant(element, needle_value);
        } else {
          COVE_RETURN_IF_ERROR(CheckElements(element, needle_value.AsArray(),
                                             needle_ast, "list"));
          Value::Array items;
          for (const Value& v : needle_value.AsArray()) {
            items.push_back(AdjustConstant(element, v));
          }
          needle_value = Value(std::move(items));
        }
      }
    }
    const int direct = target.type == VType::kArray ? target.direct_field : -1;
    return PredPtr(std::make_unique<ContainsPred>(
        std::move(target.node), mode, std::move(needle_value), direct));
  }

  // TEXT_MATCH(field, 'words'): a VARCHAR field with enable_match, and a
  // string constant analyzed as the field's text is.
  absl::StatusOr<PredPtr> CompileTextMatch(const AstNode& n) {
    if (n.children.size() != 2) return Arity(n, 2);
    const AstNode& field_ast = *n.children[0];
    const FieldInfo* field = nullptr;
    if (field_ast.kind == AstKind::kName) {
      auto it = fields_by_name_.find(field_ast.name);
      if (it != fields_by_name_.end()) field = it->second;
    }
    if (field == nullptr) {
      return Error(
          field_ast.begin,
          absl::StrCat(n.name, " needs a field name, got ", Source(field_ast)),
          "a VARCHAR field with enable_match");
    }
    if (field->type != FieldType::kVarChar || !field->match_terms) {
      return Error(field_ast.begin,
                   absl::StrCat(n.name, ": field '", field->name,
                                "' has no enable_match (",
                                FieldTypeName(field->type), ")"),
                   "a VARCHAR field with enable_analyzer and enable_match");
    }
    const AstNode& words_ast = *n.children[1];
    COVE_ASSIGN_OR_RETURN(auto words, CompileValue(words_ast));
    if (!words.is_const || !words.value.is_string()) {
      return Error(
          words_ast.begin,
          absl::StrCat(n.name, " needs a string, got ", words.description),
          "a string literal or a {placeholder}");
    }
    referenced_.insert(field->field_index);
    return PredPtr(std::make_unique<TextMatchPred>(
        field->field_index, field->match_terms(words.value.AsString()),
        field->match_terms));
  }

  const FieldInfo* FieldByIndex(int index) const {
    for (const FieldInfo& f : schema_.fields) {
      if (f.field_index == index) return &f;
    }
    return nullptr;
  }

  std::string_view text_;
  const Schema& schema_;
  const TemplateValues& values_;
  std::map<std::string_view, const FieldInfo*> fields_by_name_;
  std::set<int> referenced_;
};

}  // namespace

const char* FieldTypeName(FieldType type) {
  switch (type) {
    case FieldType::kBool:
      return "BOOL";
    case FieldType::kInt8:
      return "INT8";
    case FieldType::kInt16:
      return "INT16";
    case FieldType::kInt32:
      return "INT32";
    case FieldType::kInt64:
      return "INT64";
    case FieldType::kFloat:
      return "FLOAT";
    case FieldType::kDouble:
      return "DOUBLE";
    case FieldType::kVarChar:
      return "VARCHAR";
    case FieldType::kJson:
      return "JSON";
    case FieldType::kArray:
      return "ARRAY";
    case FieldType::kFloatVector:
      return "FLOAT_VECTOR";
  }
  return "UNKNOWN";
}

absl::StatusOr<CompiledFilter> Compile(std::string_view text,
                                       const Schema& schema,
                                       const TemplateValues& values) {
  COVE_ASSIGN_OR_RETURN(auto ast, Parse(text));
  CompiledFilter filter;
  filter.text_ = std::string(text);
  if (ast == nullptr) return filter;
  Compiler compiler(text, schema, values);
  COVE_ASSIGN_OR_RETURN(auto root, compiler.CompilePredicate(*ast));
  filter.matches_all_ = root->IsTrue();
  filter.root_ = std::shared_ptr<const Predicate>(std::move(root));
  filter.referenced_fields_.assign(compiler.referenced().begin(),
                                   compiler.referenced().end());
  return filter;
}

}  // namespace cove::engine::expr
