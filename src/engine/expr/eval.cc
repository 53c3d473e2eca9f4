// Out-of-line parts of the evaluation nodes (eval.h) and CompiledFilter's
// evaluation entry points.
#include "engine/expr/eval.h"

#include <set>

namespace cove::engine::expr {

Value ToValue(const Datum& d) {
  switch (d.kind) {
    case Datum::Kind::kBool:
      return Value(d.b);
    case Datum::Kind::kInt:
      return Value(d.i);
    case Datum::Kind::kDouble:
      return Value(d.d);
    case Datum::Kind::kString:
      return Value(*d.s);
    case Datum::Kind::kOther:
      return *d.v;
    default:
      return Value();
  }
}

// Follows a JSON path; nullptr when a step is missing.
const Value* FollowPath(const Value& root, const std::vector<PathStep>& steps) {
  const Value* cur = &root;
  for (const PathStep& step : steps) {
    if (step.index >= 0) {
      if (!cur->is_array()) return nullptr;
      const Value::Array& a = cur->AsArray();
      if (static_cast<uint64_t>(step.index) >= a.size()) return nullptr;
      cur = &a[static_cast<size_t>(step.index)];
    } else {
      cur = cur->Find(step.key);
      if (cur == nullptr) return nullptr;
    }
  }
  return cur;
}

// Arithmetic. Integer + - * wrap around; integer / and % truncate toward
// zero (as in Milvus); division by zero yields null; ** is always a double.
Datum Arith(ArithOp op, const Datum& a, const Datum& b) {
  if (a.kind == Datum::Kind::kNull || b.kind == Datum::Kind::kNull) {
    return Datum::Null();
  }
  if (!a.is_number() || !b.is_number()) return Datum::Missing();
  if (a.kind == Datum::Kind::kInt && b.kind == Datum::Kind::kInt &&
      op != ArithOp::kPow) {
    const uint64_t x = static_cast<uint64_t>(a.i),
                   y = static_cast<uint64_t>(b.i);
    switch (op) {
      case ArithOp::kAdd:
        return Datum::Int(static_cast<int64_t>(x + y));
      case ArithOp::kSub:
        return Datum::Int(static_cast<int64_t>(x - y));
      case ArithOp::kMul:
        return Datum::Int(static_cast<int64_t>(x * y));
      case ArithOp::kDiv:
        if (b.i == 0) return Datum::Null();
        if (b.i == -1) return Datum::Int(static_cast<int64_t>(0 - x));
        return Datum::Int(a.i / b.i);
      case ArithOp::kMod:
        if (b.i == 0) return Datum::Null();
        if (b.i == -1) return Datum::Int(0);
        return Datum::Int(a.i % b.i);
      default:
        break;
    }
  }
  const double x = a.AsDouble(), y = b.AsDouble();
  switch (op) {
    case ArithOp::kAdd:
      return Datum::Double(x + y);
    case ArithOp::kSub:
      return Datum::Double(x - y);
    case ArithOp::kMul:
      return Datum::Double(x * y);
    case ArithOp::kDiv:
      if (y == 0) return Datum::Null();
      return Datum::Double(x / y);
    case ArithOp::kMod:
      if (y == 0) return Datum::Null();
      return Datum::Double(std::fmod(x, y));
    case ArithOp::kPow:
      return Datum::Double(std::pow(x, y));
  }
  return Datum::Missing();
}

namespace {

// The values predicate `p` pins field `field` to (CompiledFilter::
// PinnedValues), or nullopt.
std::optional<std::vector<Value>> Pinned(const Predicate& p, int field,
                                         int depth) {
  if (depth > 300) return std::nullopt;  // deeper than the parser allows
  switch (p.connective()) {
    case Predicate::Connective::kAnd: {
      std::optional<std::vector<Value>> best;
      for (const Predicate* c : p.children()) {
        std::optional<std::vector<Value>> v = Pinned(*c, field, depth + 1);
        if (v.has_value() && (!best.has_value() || v->size() < best->size())) {
          best = std::move(v);
        }
      }
      return best;
    }
    case Predicate::Connective::kOr: {
      std::vector<Value> all;
      for (const Predicate* c : p.children()) {
        std::optional<std::vector<Value>> v = Pinned(*c, field, depth + 1);
        if (!v.has_value()) return std::nullopt;
        all.insert(all.end(), v->begin(), v->end());
      }
      return all;
    }
    case Predicate::Connective::kNot:
      return std::nullopt;
    case Predicate::Connective::kNone:
      break;
  }
  int f = -1;
  std::vector<Value> keys;
  if (!p.CollectKeys(&f, &keys) || f != field) return std::nullopt;
  return keys;
}

}  // namespace

CompiledFilter::CompiledFilter() = default;

std::optional<std::vector<Value>> CompiledFilter::PinnedValues(
    int field_index) const {
  if (root_ == nullptr) return std::nullopt;
  return Pinned(*root_, field_index, 0);
}

bool CompiledFilter::Matches(const RowAccessor& row) const {
  return root_ == nullptr || root_->Eval(row) == Tri::kTrue;
}

std::optional<std::vector<Value>> CompiledFilter::PrimaryKeyLookup(
    int pk_field_index) const {
  if (root_ == nullptr) return std::nullopt;
  int field = -1;
  std::vector<Value> keys;
  if (!root_->CollectKeys(&field, &keys) || field != pk_field_index) {
    return std::nullopt;
  }
  // Keys must be all integers or all strings; deduplicate, keep order.
  std::set<int64_t> seen_ints;
  std::set<std::string, std::less<>> seen_strings;
  std::vector<Value> out;
  for (const Value& k : keys) {
    if (k.is_int()) {
      if (!seen_strings.empty()) return std::nullopt;
      if (seen_ints.insert(k.AsInt()).second) out.push_back(k);
    } else if (k.is_string()) {
      if (!seen_ints.empty()) return std::nullopt;
      if (seen_strings.insert(k.AsString()).second) out.push_back(k);
    } else {
      return std::nullopt;
    }
  }
  return out;
}

}  // namespace cove::engine::expr
