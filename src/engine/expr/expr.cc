// Filter compilation (type checking against the schema, constant folding,
// template substitution) and the evaluation nodes.
//
// Evaluation is three-valued: every predicate node yields TRUE, FALSE or
// UNKNOWN (a null was involved). Value nodes yield a Datum: a non-owning view
// of a number, bool, string or nested Value, or one of two "no value" states:
//   kNull    - an SQL null (a null field): comparisons are UNKNOWN;
//   kMissing - a JSON key that is absent (or JSON null, or an array index out
//              of range): comparisons are FALSE, `!=` is TRUE.
#include "engine/expr/expr.h"

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
#include "common/strings.h"
#include "engine/expr/lexer.h"
#include "engine/expr/parser.h"

namespace cove::engine::expr {

using ::cove::internal::Sv;

/// Result of a predicate for one row.
enum class Tri : uint8_t { kFalse, kTrue, kUnknown };

/// A boolean node of a compiled filter.
class Predicate {
 public:
  virtual ~Predicate() = default;
  virtual Tri Eval(const RowAccessor& row) const = 0;
  /// For CompiledFilter::PrimaryKeyLookup: if this predicate is exactly
  /// `field == key` / `field in [keys]` (or an `or` of those on one field),
  /// sets *field and appends the keys.
  virtual bool CollectKeys(int* field, std::vector<Value>* keys) const {
    (void)field;
    (void)keys;
    return false;
  }
  /// True for the constant TRUE predicate.
  virtual bool IsTrue() const { return false; }
};

namespace {

Tri ToTri(bool b) { return b ? Tri::kTrue : Tri::kFalse; }

// ---------------------------------------------------------------------------
// Datum: what a value node yields.

struct Datum {
  enum class Kind : uint8_t {
    kNull,
    kMissing,
    kBool,
    kInt,
    kDouble,
    kString,
    kOther
  };
  Kind kind = Kind::kMissing;
  union {
    bool b;
    int64_t i;
    double d;
    const std::string* s;
    const Value* v;  // arrays, objects, float vectors
  };

  Datum() : i(0) {}
  static Datum Null() {
    Datum x;
    x.kind = Kind::kNull;
    return x;
  }
  static Datum Missing() { return Datum(); }
  static Datum Bool(bool b) {
    Datum x;
    x.kind = Kind::kBool;
    x.b = b;
    return x;
  }
  static Datum Int(int64_t i) {
    Datum x;
    x.kind = Kind::kInt;
    x.i = i;
    return x;
  }
  static Datum Double(double d) {
    Datum x;
    x.kind = Kind::kDouble;
    x.d = d;
    return x;
  }
  bool is_number() const { return kind == Kind::kInt || kind == Kind::kDouble; }
  double AsDouble() const {
    return kind == Kind::kInt ? static_cast<double>(i) : d;
  }
};

// A row value as a Datum (a null Value is an SQL null).
inline Datum FromValue(const Value& v) {
  Datum x;
  switch (v.kind()) {
    case Value::Kind::kNull:
      x.kind = Datum::Kind::kNull;
      break;
    case Value::Kind::kBool:
      x.kind = Datum::Kind::kBool;
      x.b = v.AsBool();
      break;
    case Value::Kind::kInt:
      x.kind = Datum::Kind::kInt;
      x.i = v.AsInt();
      break;
    case Value::Kind::kDouble:
      x.kind = Datum::Kind::kDouble;
      x.d = v.AsDouble();
      break;
    case Value::Kind::kString:
      x.kind = Datum::Kind::kString;
      x.s = &v.AsString();
      break;
    default:
      x.kind = Datum::Kind::kOther;
      x.v = &v;
      break;
  }
  return x;
}

// A value nested in a JSON document or array (null there means missing).
inline Datum FromNested(const Value& v) {
  return v.is_null() ? Datum::Missing() : FromValue(v);
}

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

// ---------------------------------------------------------------------------
// Comparisons.

enum class Order : uint8_t { kLess, kEqual, kGreater, kUnordered };

template <typename T>
inline Order Cmp3(const T& a, const T& b) {
  return a < b ? Order::kLess : (b < a ? Order::kGreater : Order::kEqual);
}

// Exact comparison of an integer with a double (no rounding of the int).
inline Order CompareIntDouble(int64_t i, double d) {
  if (std::isnan(d)) return Order::kUnordered;
  if (d >= 9223372036854775808.0) return Order::kLess;
  if (d < -9223372036854775808.0) return Order::kGreater;
  const double t = std::trunc(d);
  const int64_t ti = static_cast<int64_t>(t);
  if (i < ti) return Order::kLess;
  if (i > ti) return Order::kGreater;
  if (d > t) return Order::kLess;
  if (d < t) return Order::kGreater;
  return Order::kEqual;
}

inline Order CompareDoubles(double a, double b) {
  if (std::isnan(a) || std::isnan(b)) return Order::kUnordered;
  return Cmp3(a, b);
}

inline Order CompareNumbers(const Datum& a, const Datum& b) {
  if (a.kind == Datum::Kind::kInt) {
    if (b.kind == Datum::Kind::kInt) return Cmp3(a.i, b.i);
    return CompareIntDouble(a.i, b.d);
  }
  if (b.kind == Datum::Kind::kInt) {
    Order o = CompareIntDouble(b.i, a.d);
    if (o == Order::kLess) return Order::kGreater;
    if (o == Order::kGreater) return Order::kLess;
    return o;
  }
  return CompareDoubles(a.d, b.d);
}

// Order of two present values; kUnordered when they are of different types,
// NaN, or arrays/objects that differ.
inline Order CompareDatums(const Datum& a, const Datum& b) {
  if (a.is_number() && b.is_number()) return CompareNumbers(a, b);
  if (a.kind != b.kind) return Order::kUnordered;
  switch (a.kind) {
    case Datum::Kind::kString: {
      const int c = a.s->compare(*b.s);
      return c < 0 ? Order::kLess : (c > 0 ? Order::kGreater : Order::kEqual);
    }
    case Datum::Kind::kBool:
      return Cmp3(a.b, b.b);
    case Datum::Kind::kOther:
      return *a.v == *b.v ? Order::kEqual : Order::kUnordered;
    default:
      return Order::kUnordered;
  }
}

template <CompareOp kOp>
inline bool Holds(Order o) {
  switch (kOp) {
    case CompareOp::kEq:
      return o == Order::kEqual;
    case CompareOp::kNe:
      return o != Order::kEqual;
    case CompareOp::kLt:
      return o == Order::kLess;
    case CompareOp::kLe:
      return o == Order::kLess || o == Order::kEqual;
    case CompareOp::kGt:
      return o == Order::kGreater;
    case CompareOp::kGe:
      return o == Order::kGreater || o == Order::kEqual;
  }
  return false;
}

inline bool HoldsOp(CompareOp op, Order o) {
  switch (op) {
    case CompareOp::kEq:
      return Holds<CompareOp::kEq>(o);
    case CompareOp::kNe:
      return Holds<CompareOp::kNe>(o);
    case CompareOp::kLt:
      return Holds<CompareOp::kLt>(o);
    case CompareOp::kLe:
      return Holds<CompareOp::kLe>(o);
    case CompareOp::kGt:
      return Holds<CompareOp::kGt>(o);
    case CompareOp::kGe:
      return Holds<CompareOp::kGe>(o);
  }
  return false;
}

// Full comparison semantics, nulls and missing values included.
inline Tri CompareTri(CompareOp op, const Datum& a, const Datum& b) {
  if (a.kind == Datum::Kind::kNull || b.kind == Datum::Kind::kNull) {
    return Tri::kUnknown;
  }
  if (a.kind == Datum::Kind::kMissing || b.kind == Datum::Kind::kMissing) {
    return ToTri(op == CompareOp::kNe);
  }
  return ToTri(HoldsOp(op, CompareDatums(a, b)));
}

CompareOp Flip(CompareOp op) {
  switch (op) {
    case CompareOp::kLt:
      return CompareOp::kGt;
    case CompareOp::kLe:
      return CompareOp::kGe;
    case CompareOp::kGt:
      return CompareOp::kLt;
    case CompareOp::kGe:
      return CompareOp::kLe;
    default:
      return op;
  }
}

bool IsIntegral(double d, int64_t* out) {
  if (!(d >= -9223372036854775808.0 && d < 9223372036854775808.0)) {
    return false;
  }
  if (std::trunc(d) != d) return false;
  *out = static_cast<int64_t>(d);
  return true;
}

// ---------------------------------------------------------------------------
// Sets of constants for `in` and `*_contains_any`.

class ValueSet {
 public:
  void Add(const Value& v) {
    switch (v.kind()) {
      case Value::Kind::kNull:
        break;  // nothing equals null
      case Value::Kind::kBool:
        (v.AsBool() ? has_true_ : has_false_) = true;
        break;
      case Value::Kind::kInt:
        ints_.push_back(v.AsInt());
        break;
      case Value::Kind::kDouble: {
        const double d = v.AsDouble();
        int64_t i;
        if (IsIntegral(d, &i)) {
          ints_.push_back(i);
        } else if (!std::isnan(d)) {
          doubles_.push_back(d);
        }
        break;
      }
      case Value::Kind::kString:
        strings_.push_back(v.AsString());
        break;
      default:
        others_.push_back(v);
        break;
    }
  }
  void Finish() {
    SortUnique(&ints_);
    SortUnique(&doubles_);
    SortUnique(&strings_);
  }
  bool Contains(const Datum& d) const {
    switch (d.kind) {
      case Datum::Kind::kInt:
        return std::binary_search(ints_.begin(), ints_.end(), d.i);
      case Datum::Kind::kDouble: {
        int64_t i;
        if (IsIntegral(d.d, &i)) {
          return std::binary_search(ints_.begin(), ints_.end(), i);
        }
        return std::binary_search(doubles_.begin(), doubles_.end(), d.d);
      }
      case Datum::Kind::kString:
        return std::binary_search(strings_.begin(), strings_.end(), *d.s);
      case Datum::Kind::kBool:
        return d.b ? has_true_ : has_false_;
      case Datum::Kind::kOther:
        for (const Value& o : others_) {
          if (o == *d.v) return true;
        }
        return false;
      default:
        return false;
    }
  }

 private:
  template <typename T>
  static void SortUnique(std::vector<T>* v) {
    std::sort(v->begin(), v->end());
    v->erase(std::unique(v->begin(), v->end()), v->end());
  }

  std::vector<int64_t> ints_;
  std::vector<double> doubles_;
  std::vector<std::string> strings_;
  std::vector<Value> others_;
  bool has_true_ = false;
  bool has_false_ = false;
};

// ---------------------------------------------------------------------------
// `like` patterns: `%` any run of characters, `_` one character (a UTF-8
// code point), `\` escapes the next character.

size_t Utf8Step(std::string_view s, size_t i) {
  const unsigned char c = static_cast<unsigned char>(s[i]);
  size_t n = 1;
  if (c >= 0xF0 && c <= 0xF7) {
    n = 4;
  } else if (c >= 0xE0 && c <= 0xEF) {
    n = 3;
  } else if (c >= 0xC0 && c <= 0xDF) {
    n = 2;
  }
  return std::min(n, s.size() - i);
}

class LikeMatcher {
 public:
  explicit LikeMatcher(std::string_view pattern) {
    // Tokenize: literal bytes, '_' (one) and '%' (many, runs collapsed).
    bool has_one = false;
    for (size_t i = 0; i < pattern.size(); ++i) {
      const char c = pattern[i];
      if (c == '\\' && i + 1 < pattern.size()) {
        toks_.push_back({kLit, pattern[++i]});
      } else if (c == '%') {
        if (toks_.empty() || toks_.back().kind != kMany) {
          toks_.push_back({kMany, 0});
        }
      } else if (c == '_') {
        toks_.push_back({kOne, 0});
        has_one = true;
      } else {
        toks_.push_back({kLit, c});
      }
    }
    if (has_one) {
      mode_ = Mode::kGeneral;
      return;
    }
    // Without '_', classify by where the '%'s are.
    std::vector<size_t> stars;
    for (size_t i = 0; i < toks_.size(); ++i) {
      if (toks_[i].kind == kMany) stars.push_back(i);
    }
    const size_t n = toks_.size();
    auto literal = [&](size_t from, size_t to) {
      std::string s;
      for (size_t i = from; i < to; ++i) s.push_back(toks_[i].c);
      return s;
    };
    if (stars.empty()) {
      mode_ = Mode::kExact;
      literal_ = literal(0, n);
    } else if (stars.size() == 1 && n == 1) {
      mode_ = Mode::kAll;
    } else if (stars.size() == 1 && stars[0] == n - 1) {
      mode_ = Mode::kPrefix;
      literal_ = literal(0, n - 1);
    } else if (stars.size() == 1 && stars[0] == 0) {
      mode_ = Mode::kSuffix;
      literal_ = literal(1, n);
    } else if (stars.size() == 2 && stars[0] == 0 && stars[1] == n - 1) {
      mode_ = Mode::kContains;
      literal_ = literal(1, n - 1);
    } else {
      mode_ = Mode::kGeneral;
    }
  }

  bool Match(std::string_view s) const {
    switch (mode_) {
      case Mode::kExact:
        return s == literal_;
      case Mode::kAll:
        return true;
      case Mode::kPrefix:
        return s.size() >= literal_.size() &&
               s.compare(0, literal_.size(), literal_) == 0;
      case Mode::kSuffix:
        return s.size() >= literal_.size() &&
               s.compare(s.size() - literal_.size(), literal_.size(),
                         literal_) == 0;
      case Mode::kContains:
        return s.find(literal_) != std::string_view::npos;
      case Mode::kGeneral:
        return MatchGeneral(s);
    }
    return false;
  }

 private:
  enum TokKind : uint8_t { kLit, kOne, kMany };
  struct Tok {
    TokKind kind;
    char c;
  };
  enum class Mode { kExact, kAll, kPrefix, kSuffix, kContains, kGeneral };

  // Wildcard matching with single-star backtracking: O(|s| * |pattern|)
  // worst case, no recursion.
  bool MatchGeneral(std::string_view s) const {
    size_t ti = 0, si = 0;
    size_t star_t = std::string_view::npos, star_s = 0;
    while (si < s.size()) {
      if (ti < toks_.size()) {
        const Tok& t = toks_[ti];
        if (t.kind == kOne) {
          si += Utf8Step(s, si);
          ++ti;
          continue;
        }
        if (t.kind == kLit && t.c == s[si]) {
          ++si;
          ++ti;
          continue;
        }
        if (t.kind == kMany) {
          star_t = ti++;
          star_s = si;
          continue;
        }
      }
      if (star_t == std::string_view::npos) return false;
      ti = star_t + 1;
      star_s += Utf8Step(s, star_s);
      si = star_s;
    }
    while (ti < toks_.size() && toks_[ti].kind == kMany) ++ti;
    return ti == toks_.size();
  }

  std::vector<Tok> toks_;
  Mode mode_ = Mode::kGeneral;
  std::string literal_;
};

// ---------------------------------------------------------------------------
// Value nodes.

class ValueNode {
 public:
  virtual ~ValueNode() = default;
  virtual Datum Eval(const RowAccessor& row) const = 0;
};
using ValuePtr = std::unique_ptr<ValueNode>;
using PredPtr = std::unique_ptr<Predicate>;

class ConstNode final : public ValueNode {
 public:
  explicit ConstNode(Value v) : value_(std::move(v)) {
    datum_ = FromValue(value_);
  }
  Datum Eval(const RowAccessor&) const override { return datum_; }

 private:
  Value value_;
  Datum datum_;
};

// A whole field: scalar, ARRAY or JSON.
class FieldNode final : public ValueNode {
 public:
  explicit FieldNode(int field) : field_(field) {}
  Datum Eval(const RowAccessor& row) const override {
    return FromValue(row.Get(field_));
  }

 private:
  int field_;
};

struct PathStep {
  std::string key;
  int64_t index = -1;  // >= 0: an array index
};

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

// A JSON path in a JSON field or the dynamic field.
class JsonPathNode final : public ValueNode {
 public:
  JsonPathNode(int field, std::vector<PathStep> steps, bool dynamic)
      : field_(field), steps_(std::move(steps)), dynamic_(dynamic) {}

  Datum Eval(const RowAccessor& row) const override {
    const Value& root = row.Get(field_);
    if (root.is_null()) return dynamic_ ? Datum::Missing() : Datum::Null();
    if (steps_.empty()) return FromValue(root);
    const Value* v = FollowPath(root, steps_);
    return v == nullptr ? Datum::Missing() : FromNested(*v);
  }

  // For `exists`: kTrue if the key is present (even with a JSON null value),
  // kUnknown if the JSON field itself is null.
  Tri Exists(const RowAccessor& row) const {
    const Value& root = row.Get(field_);
    if (root.is_null()) return dynamic_ ? Tri::kFalse : Tri::kUnknown;
    return ToTri(FollowPath(root, steps_) != nullptr);
  }

 private:
  int field_;
  std::vector<PathStep> steps_;
  bool dynamic_;
};

// arr[i] on an ARRAY field.
class ArrayElementNode final : public ValueNode {
 public:
  ArrayElementNode(int field, int64_t index) : field_(field), index_(index) {}
  Datum Eval(const RowAccessor& row) const override {
    const Value& v = row.Get(field_);
    if (v.is_null()) return Datum::Null();
    if (!v.is_array()) return Datum::Missing();
    const Value::Array& a = v.AsArray();
    if (static_cast<uint64_t>(index_) >= a.size()) return Datum::Missing();
    return FromNested(a[static_cast<size_t>(index_)]);
  }

 private:
  int field_;
  int64_t index_;
};

class ArrayLengthNode final : public ValueNode {
 public:
  explicit ArrayLengthNode(ValuePtr arg) : arg_(std::move(arg)) {}
  Datum Eval(const RowAccessor& row) const override {
    const Datum d = arg_->Eval(row);
    if (d.kind == Datum::Kind::kNull) return Datum::Null();
    if (d.kind == Datum::Kind::kOther && d.v->is_array()) {
      return Datum::Int(static_cast<int64_t>(d.v->AsArray().size()));
    }
    return Datum::Missing();
  }

 private:
  ValuePtr arg_;
};

class NegateNode final : public ValueNode {
 public:
  explicit NegateNode(ValuePtr arg) : arg_(std::move(arg)) {}
  Datum Eval(const RowAccessor& row) const override {
    const Datum d = arg_->Eval(row);
    if (d.kind == Datum::Kind::kNull) return d;
    if (d.kind == Datum::Kind::kInt) {
      return Datum::Int(
          static_cast<int64_t>(0 - static_cast<uint64_t>(d.i)));  // wraps
    }
    if (d.kind == Datum::Kind::kDouble) return Datum::Double(-d.d);
    return Datum::Missing();
  }

 private:
  ValuePtr arg_;
};

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

class ArithNode final : public ValueNode {
 public:
  ArithNode(ArithOp op, ValuePtr lhs, ValuePtr rhs)
      : op_(op), lhs_(std::move(lhs)), rhs_(std::move(rhs)) {}
  Datum Eval(const RowAccessor& row) const override {
    const Datum a = lhs_->Eval(row);
    if (a.kind == Datum::Kind::kNull) return a;
    return Arith(op_, a, rhs_->Eval(row));
  }

 private:
  ArithOp op_;
  ValuePtr lhs_;
  ValuePtr rhs_;
};

// ---------------------------------------------------------------------------
// Predicates.

class ConstPred final : public Predicate {
 public:
  explicit ConstPred(Tri v) : v_(v) {}
  Tri Eval(const RowAccessor&) const override { return v_; }
  bool IsTrue() const override { return v_ == Tri::kTrue; }

 private:
  Tri v_;
};

class AndPred final : public Predicate {
 public:
  explicit AndPred(std::vector<PredPtr> children)
      : children_(std::move(children)) {}
  Tri Eval(const RowAccessor& row) const override {
    Tri result = Tri::kTrue;
    for (const PredPtr& c : children_) {
      const Tri t = c->Eval(row);
      if (t == Tri::kFalse) return Tri::kFalse;
      if (t == Tri::kUnknown) result = Tri::kUnknown;
    }
    return result;
  }

 private:
  std::vector<PredPtr> children_;
};

class OrPred final : public Predicate {
 public:
  explicit OrPred(std::vector<PredPtr> children)
      : children_(std::move(children)) {}
  Tri Eval(const RowAccessor& row) const override {
    Tri result = Tri::kFalse;
    for (const PredPtr& c : children_) {
      const Tri t = c->Eval(row);
      if (t == Tri::kTrue) return Tri::kTrue;
      if (t == Tri::kUnknown) result = Tri::kUnknown;
    }
    return result;
  }
  bool CollectKeys(int* field, std::vector<Value>* keys) const override {
    int f = -1;
    for (const PredPtr& c : children_) {
      int cf = -1;
      if (!c->CollectKeys(&cf, keys)) return false;
      if (f >= 0 && cf != f) return false;
      f = cf;
    }
    *field = f;
    return f >= 0;
  }

 private:
  std::vector<PredPtr> children_;
};

class NotPred final : public Predicate {
 public:
  explicit NotPred(PredPtr child) : child_(std::move(child)) {}
  Tri Eval(const RowAccessor& row) const override {
    const Tri t = child_->Eval(row);
    if (t == Tri::kUnknown) return t;
    return t == Tri::kTrue ? Tri::kFalse : Tri::kTrue;
  }

 private:
  PredPtr child_;
};

// A boolean value used as a condition (`is_active`, `meta["flag"]`).
class TruthPred final : public Predicate {
 public:
  explicit TruthPred(ValuePtr value) : value_(std::move(value)) {}
  Tri Eval(const RowAccessor& row) const override {
    const Datum d = value_->Eval(row);
    if (d.kind == Datum::Kind::kBool) return ToTri(d.b);
    if (d.kind == Datum::Kind::kNull) return Tri::kUnknown;
    return Tri::kFalse;
  }

 private:
  ValuePtr value_;
};

// lhs op rhs, both evaluated per row.
class ComparePred final : public Predicate {
 public:
  ComparePred(CompareOp op, ValuePtr lhs, ValuePtr rhs)
      : op_(op), lhs_(std::move(lhs)), rhs_(std::move(rhs)) {}
  Tri Eval(const RowAccessor& row) const override {
    const Datum a = lhs_->Eval(row);
    if (a.kind == Datum::Kind::kNull) return Tri::kUnknown;
    return CompareTri(op_, a, rhs_->Eval(row));
  }

 private:
  CompareOp op_;
  ValuePtr lhs_;
  ValuePtr rhs_;
};

// value op constant.
class CompareConstPred final : public Predicate {
 public:
  CompareConstPred(CompareOp op, ValuePtr lhs, Value constant)
      : op_(op), lhs_(std::move(lhs)), constant_(std::move(constant)) {
    datum_ = FromValue(constant_);
  }
  Tri Eval(const RowAccessor& row) const override {
    return CompareTri(op_, lhs_->Eval(row), datum_);
  }

 private:
  CompareOp op_;
  ValuePtr lhs_;
  Value constant_;
  Datum datum_;
};

// Fast paths: a scalar field compared with a constant of its own kind; the
// generic path handles anything unexpected in the row.
template <CompareOp kOp>
class FieldIntCmp final : public Predicate {
 public:
  FieldIntCmp(int field, int64_t c) : field_(field), c_(c) {}
  Tri Eval(const RowAccessor& row) const override {
    const Value& v = row.Get(field_);
    if (v.is_int()) return ToTri(Holds<kOp>(Cmp3(v.AsInt(), c_)));
    return CompareTri(kOp, FromValue(v), Datum::Int(c_));
  }
  bool CollectKeys(int* field, std::vector<Value>* keys) const override {
    if (kOp != CompareOp::kEq) return false;
    *field = field_;
    keys->push_back(Value(c_));
    return true;
  }

 private:
  int field_;
  int64_t c_;
};

template <CompareOp kOp>
class FieldDoubleCmp final : public Predicate {
 public:
  FieldDoubleCmp(int field, double c) : field_(field), c_(c) {}
  Tri Eval(const RowAccessor& row) const override {
    const Value& v = row.Get(field_);
    if (v.is_double())
      return ToTri(Holds<kOp>(CompareDoubles(v.AsDouble(), c_)));
    return CompareTri(kOp, FromValue(v), Datum::Double(c_));
  }

 private:
  int field_;
  double c_;
};

template <CompareOp kOp>
class FieldStringCmp final : public Predicate {
 public:
  FieldStringCmp(int field, std::string c) : field_(field), c_(std::move(c)) {}
  Tri Eval(const RowAccessor& row) const override {
    const Value& v = row.Get(field_);
    if (v.is_string()) {
      const int c = v.AsString().compare(c_);
      return ToTri(Holds<kOp>(
          c < 0 ? Order::kLess : (c > 0 ? Order::kGreater : Order::kEqual)));
    }
    Datum d;
    d.kind = Datum::Kind::kString;
    d.s = &c_;
    return CompareTri(kOp, FromValue(v), d);
  }
  bool CollectKeys(int* field, std::vector<Value>* keys) const override {
    if (kOp != CompareOp::kEq) return false;
    *field = field_;
    keys->push_back(Value(c_));
    return true;
  }

 private:
  int field_;
  std::string c_;
};

template <template <CompareOp> class T, typename... Args>
PredPtr MakeForOp(CompareOp op, Args&&... args) {
  switch (op) {
    case CompareOp::kEq:
      return std::make_unique<T<CompareOp::kEq>>(std::forward<Args>(args)...);
    case CompareOp::kNe:
      return std::make_unique<T<CompareOp::kNe>>(std::forward<Args>(args)...);
    case CompareOp::kLt:
      return std::make_unique<T<CompareOp::kLt>>(std::forward<Args>(args)...);
    case CompareOp::kLe:
      return std::make_unique<T<CompareOp::kLe>>(std::forward<Args>(args)...);
    case CompareOp::kGt:
      return std::make_unique<T<CompareOp::kGt>>(std::forward<Args>(args)...);
    case CompareOp::kGe:
      return std::make_unique<T<CompareOp::kGe>>(std::forward<Args>(args)...);
  }
  return nullptr;
}

// lo <(=) x <(=) hi with constant bounds; x evaluated once.
class RangePred final : public Predicate {
 public:
  RangePred(ValuePtr x, Value lo, bool lo_inclusive, Value hi,
            bool hi_inclusive)
      : x_(std::move(x)),
        lo_(std::move(lo)),
        hi_(std::move(hi)),
        lo_op_(lo_inclusive ? CompareOp::kGe : CompareOp::kGt),
        hi_op_(hi_inclusive ? CompareOp::kLe : CompareOp::kLt) {
    lo_datum_ = FromValue(lo_);
    hi_datum_ = FromValue(hi_);
  }
  Tri Eval(const RowAccessor& row) const override {
    const Datum d = x_->Eval(row);
    const Tri a = CompareTri(lo_op_, d, lo_datum_);
    if (a == Tri::kFalse) return a;
    const Tri b = CompareTri(hi_op_, d, hi_datum_);
    if (b == Tri::kFalse) return b;
    return (a == Tri::kTrue && b == Tri::kTrue) ? Tri::kTrue : Tri::kUnknown;
  }

 private:
  ValuePtr x_;
  Value lo_, hi_;
  CompareOp lo_op_, hi_op_;
  Datum lo_datum_, hi_datum_;
};

// lo <= field <= hi on an integer field with integer bounds (exclusive
// bounds already turned inclusive).
class FieldIntRangePred final : public Predicate {
 public:
  FieldIntRangePred(int field, int64_t lo, int64_t hi, bool empty)
      : field_(field), lo_(lo), hi_(hi), empty_(empty) {}
  Tri Eval(const RowAccessor& row) const override {
    const Value& v = row.Get(field_);
    if (v.is_null()) return Tri::kUnknown;
    if (empty_) return Tri::kFalse;
    if (v.is_int()) {
      const int64_t x = v.AsInt();
      return ToTri(x >= lo_ && x <= hi_);
    }
    const Datum d = FromValue(v);
    return ToTri(CompareTri(CompareOp::kGe, d, Datum::Int(lo_)) == Tri::kTrue &&
                 CompareTri(CompareOp::kLe, d, Datum::Int(hi_)) == Tri::kTrue);
  }

 private:
  int field_;
  int64_t lo_, hi_;
  bool empty_;
};

class InPred final : public Predicate {
 public:
  // `direct_field` >= 0 when x is that field itself (skips a virtual call
  // and enables the primary key fast path).
  InPred(ValuePtr x, int direct_field, const Value::Array& values, bool negated)
      : x_(std::move(x)), direct_field_(direct_field), negated_(negated) {
    for (const Value& v : values) set_.Add(v);
    set_.Finish();
    if (direct_field_ >= 0 && !negated_) keys_ = values;
  }
  Tri Eval(const RowAccessor& row) const override {
    const Datum d =
        direct_field_ >= 0 ? FromValue(row.Get(direct_field_)) : x_->Eval(row);
    if (d.kind == Datum::Kind::kNull) return Tri::kUnknown;
    return ToTri(set_.Contains(d) != negated_);
  }
  bool CollectKeys(int* field, std::vector<Value>* keys) const override {
    if (direct_field_ < 0 || negated_) return false;
    *field = direct_field_;
    keys->insert(keys->end(), keys_.begin(), keys_.end());
    return true;
  }

 private:
  ValuePtr x_;
  int direct_field_;
  bool negated_;
  ValueSet set_;
  std::vector<Value> keys_;
};

class LikePred final : public Predicate {
 public:
  LikePred(ValuePtr x, std::string_view pattern)
      : x_(std::move(x)), matcher_(pattern) {}
  Tri Eval(const RowAccessor& row) const override {
    const Datum d = x_->Eval(row);
    if (d.kind == Datum::Kind::kString) return ToTri(matcher_.Match(*d.s));
    if (d.kind == Datum::Kind::kNull) return Tri::kUnknown;
    return Tri::kFalse;
  }

 private:
  ValuePtr x_;
  LikeMatcher matcher_;
};

class IsNullPred final : public Predicate {
 public:
  IsNullPred(ValuePtr x, bool negated) : x_(std::move(x)), negated_(negated) {}
  Tri Eval(const RowAccessor& row) const override {
    const Datum d = x_->Eval(row);
    const bool is_null =
        d.kind == Datum::Kind::kNull || d.kind == Datum::Kind::kMissing;
    return ToTri(is_null != negated_);
  }

 private:
  ValuePtr x_;
  bool negated_;
};

class ExistsPred final : public Predicate {
 public:
  explicit ExistsPred(std::unique_ptr<JsonPathNode> path)
      : path_(std::move(path)) {}
  Tri Eval(const RowAccessor& row) const override { return path_->Exists(row); }

 private:
  std::unique_ptr<JsonPathNode> path_;
};

enum class ContainsMode { kOne, kAll, kAny };

// json_contains / array_contains and their _all / _any forms.
class ContainsPred final : public Predicate {
 public:
  ContainsPred(ValuePtr x, ContainsMode mode, Value needle)
      : x_(std::move(x)), mode_(mode), needle_(std::move(needle)) {
    if (mode_ == ContainsMode::kOne) {
      needle_datum_ = FromValue(needle_);
    } else {
      for (const Value& v : needle_.AsArray()) {
        set_.Add(v);
        if (!v.is_null()) needles_.push_back(v);
      }
      set_.Finish();
      for (const Value& v : needles_) needle_datums_.push_back(FromValue(v));
    }
  }
  Tri Eval(const RowAccessor& row) const override {
    const Datum d = x_->Eval(row);
    if (d.kind == Datum::Kind::kNull) return Tri::kUnknown;
    if (d.kind != Datum::Kind::kOther || !d.v->is_array()) return Tri::kFalse;
    const Value::Array& items = d.v->AsArray();
    switch (mode_) {
      case ContainsMode::kOne:
        return ToTri(ContainsDatum(items, needle_datum_));
      case ContainsMode::kAny:
        for (const Value& item : items) {
          if (set_.Contains(FromNested(item))) return Tri::kTrue;
        }
        return Tri::kFalse;
      case ContainsMode::kAll:
        if (needles_.size() != needle_.AsArray().size()) {
          return Tri::kFalse;  // a null needle is never contained
        }
        for (const Datum& n : needle_datums_) {
          if (!ContainsDatum(items, n)) return Tri::kFalse;
        }
        return Tri::kTrue;
    }
    return Tri::kFalse;
  }

 private:
  static bool ContainsDatum(const Value::Array& items, const Datum& n) {
    if (n.kind == Datum::Kind::kNull) return false;
    for (const Value& item : items) {
      const Datum d = FromNested(item);
      if (d.kind != Datum::Kind::kMissing &&
          CompareDatums(d, n) == Order::kEqual) {
        return true;
      }
    }
    return false;
  }

  ValuePtr x_;
  ContainsMode mode_;
  Value needle_;
  Datum needle_datum_;
  ValueSet set_;
  std::vector<Value> needles_;
  std::vector<Datum> needle_datums_;
};

// A RowAccessor for constant folding: any field read yields null.
class NoRow final : public RowAccessor {
 public:
  const Value& Get(int) const override {
    static const Value* null = new Value();
    return *null;
  }
};

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
          auto p = CompilePredicate(*c);
          if (!p.ok()) return p.status();
          children.push_back(*std::move(p));
        }
        if (n.kind == AstKind::kAnd) {
          return PredPtr(std::make_unique<AndPred>(std::move(children)));
        }
        return PredPtr(std::make_unique<OrPred>(std::move(children)));
      }
      case AstKind::kNot: {
        auto p = CompilePredicate(*n.children[0]);
        if (!p.ok()) return p.status();
        return PredPtr(std::make_unique<NotPred>(*std::move(p)));
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
    auto v = CompileValue(n);
    if (!v.ok()) return v.status();
    Operand& op = *v;
    if (op.is_const && op.type == VType::kBool) {
      return PredPtr(std::make_unique<ConstPred>(ToTri(op.value.AsBool())));
    }
    if (!op.is_const && (op.type == VType::kBool || op.type == VType::kJson)) {
      return PredPtr(std::make_unique<TruthPred>(std::move(op.node)));
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
        auto v = TemplateValue(n);
        if (!v.ok()) return v.status();
        const char* kind = VTypeName(VTypeOfValue(*v));
        return Constant(n, *std::move(v),
                        absl::StrCat("template {", n.name, "} (", kind, ")"));
      }
      case AstKind::kList: {
        Value::Array items;
        items.reserve(n.children.size());
        for (const auto& c : n.children) {
          auto item = CompileValue(*c);
          if (!item.ok()) return item.status();
          if (!item->is_const) {
            return Error(c->begin,
                         absl::StrCat("list elements must be constants, got ",
                                      item->description),
                         "literals or {placeholders}");
          }
          items.push_back(std::move(item->value));
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
        auto arg = CompileValue(*n.children[0]);
        if (!arg.ok()) return arg.status();
        if (arg->is_const) {
          if (!arg->value.is_array()) {
            return Error(n.children[0]->begin,
                         absl::StrCat("array_length needs an ARRAY or JSON "
                                      "value, got ",
                                      arg->description),
                         "an ARRAY field or a JSON path");
          }
          return Constant(
              n, Value(static_cast<int64_t>(arg->value.AsArray().size())),
              absl::StrCat("integer ", Source(n, /*raw=*/true)));
        }
        if (arg->type != VType::kArray && arg->type != VType::kJson) {
          return Error(n.children[0]->begin,
                       absl::StrCat("array_length needs an ARRAY or JSON "
                                    "value, got ",
                                    arg->description),
                       "an ARRAY field or a JSON path");
        }
        Operand op;
        op.type = VType::kInt;
        op.node = std::make_unique<ArrayLengthNode>(std::move(arg->node));
        op.ast = &n;
        op.description = absl::StrCat(Source(n), " (integer)");
        return op;
      }
      case AstKind::kNegate: {
        auto arg = CompileValue(*n.children[0]);
        if (!arg.ok()) return arg.status();
        if (!IsNumeric(arg->type) && arg->type != VType::kJson) {
          return Error(
              n.begin,
              absl::StrCat("'-' needs a number, got ", arg->description),
              "a number");
        }
        if (arg->is_const) {
          Datum d = Arith(ArithOp::kSub, Datum::Int(0), FromValue(arg->value));
          return Constant(
              n, ToValue(d),
              absl::StrCat(VTypeName(arg->type), " ", Source(n, /*raw=*/true)));
        }
        Operand op;
        op.type = arg->type;
        op.node = std::make_unique<NegateNode>(std::move(arg->node));
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
    auto lhs = CompileValue(*n.children[0]);
    if (!lhs.ok()) return lhs.status();
    auto rhs = CompileValue(*n.children[1]);
    if (!rhs.ok()) return rhs.status();
    const char* op_name = ArithOpName(n.arith);
    for (const Operand* o : {&*lhs, &*rhs}) {
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
        rhs->is_const && rhs->value.AsDouble() == 0) {
      return Error(n.op_offset, "division by zero", "a non-zero divisor");
    }
    Operand op;
    op.ast = &n;
    if (lhs->type == VType::kJson || rhs->type == VType::kJson) {
      op.type = VType::kJson;
    } else if (n.arith == ArithOp::kPow || lhs->type == VType::kFloat ||
               rhs->type == VType::kFloat) {
      op.type = VType::kFloat;
    } else {
      op.type = VType::kInt;
    }
    if (lhs->is_const && rhs->is_const) {
      Datum d = Arith(n.arith, FromValue(lhs->value), FromValue(rhs->value));
      return Constant(
          n, ToValue(d),
          absl::StrCat(VTypeName(op.type), " ", Source(n, /*raw=*/true)));
    }
    auto node_of = [](Operand& o) -> ValuePtr {
      if (o.is_const) return std::make_unique<ConstNode>(o.value);
      return std::move(o.node);
    };
    op.node =
        std::make_unique<ArithNode>(n.arith, node_of(*lhs), node_of(*rhs));
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
    auto base = ResolveRef(*n.children[0]);
    if (!base.ok()) return base.status();
    const AstNode& key_ast = *n.children[1];
    auto key = CompileValue(key_ast);
    if (!key.ok()) return key.status();
    if (!key->is_const || (!key->value.is_string() && !key->value.is_int())) {
      return Error(key_ast.begin,
                   absl::StrCat("invalid index ", key->description),
                   "a quoted key such as [\"key\"] or an index such as [0]");
    }
    if (key->value.is_int() && key->value.AsInt() < 0) {
      return Error(key_ast.begin,
                   absl::StrCat("negative index ", key->description),
                   "an index >= 0");
    }
    Ref ref = *std::move(base);
    if (ref.is_json()) {
      if (key->value.is_string()) {
        ref.steps.push_back(PathStep{key->value.AsString(), -1});
      } else {
        ref.steps.push_back(PathStep{"", key->value.AsInt()});
      }
      return ref;
    }
    if (ref.field->type == FieldType::kArray && !ref.element) {
      if (!key->value.is_int()) {
        return Error(key_ast.begin,
                     absl::StrCat("ARRAY field '", ref.field->name,
                                  "' indexed with ", key->description),
                     "an index such as [0]");
      }
      ref.element = true;
      ref.index = key->value.AsInt();
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
    auto r = ResolveRef(n);
    if (!r.ok()) return r.status();
    Ref& ref = *r;
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
    absl::Status s = CheckComparable(lhs, rhs, op, offset);
    if (!s.ok()) return s;
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
    return PredPtr(std::make_unique<CompareConstPred>(op, std::move(lhs.node),
                                                      std::move(c)));
  }

  absl::StatusOr<PredPtr> CompileCompare(const AstNode& n) {
    if (n.ops.size() == 1) {
      auto lhs = CompileValue(*n.children[0]);
      if (!lhs.ok()) return lhs.status();
      auto rhs = CompileValue(*n.children[1]);
      if (!rhs.ok()) return rhs.status();
      return BuildCompare(n.ops[0], *std::move(lhs), *std::move(rhs),
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
    auto first = CompileValue(*n.children[0]);
    if (!first.ok()) return first.status();
    auto middle = CompileValue(*n.children[1]);
    if (!middle.ok()) return middle.status();
    auto last = CompileValue(*n.children[2]);
    if (!last.ok()) return last.status();
    // Normalize to lo (<|<=) x (<|<=) hi.
    Operand* lo = &*first;
    Operand* hi = &*last;
    bool lo_incl = op1 == CompareOp::kLe;
    bool hi_incl = op2 == CompareOp::kLe;
    if (is_down(op1)) {
      std::swap(lo, hi);
      lo_incl = op2 == CompareOp::kGe;
      hi_incl = op1 == CompareOp::kGe;
    }
    absl::Status s = CheckComparable(*lo, *middle, CompareOp::kLt, n.op_offset);
    if (!s.ok()) return s;
    s = CheckComparable(*middle, *hi, CompareOp::kLt, n.op_offset);
    if (!s.ok()) return s;
    if (lo->is_const && hi->is_const && !middle->is_const) {
      Value lo_v = AdjustConstant(*middle, lo->value);
      Value hi_v = AdjustConstant(*middle, hi->value);
      if (middle->direct_field >= 0 && middle->type == VType::kInt &&
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
            middle->direct_field, l, h, empty || l > h));
      }
      return PredPtr(std::make_unique<RangePred>(std::move(middle->node),
                                                 std::move(lo_v), lo_incl,
                                                 std::move(hi_v), hi_incl));
    }
    // General case: two comparisons (the middle is compiled twice).
    auto middle2 = CompileValue(*n.children[1]);
    if (!middle2.ok()) return middle2.status();
    std::vector<PredPtr> both;
    auto a = BuildCompare(lo_incl ? CompareOp::kLe : CompareOp::kLt,
                          std::move(*lo), *std::move(middle), n.op_offset);
    if (!a.ok()) return a.status();
    both.push_back(*std::move(a));
    auto b = BuildCompare(hi_incl ? CompareOp::kLe : CompareOp::kLt,
                          *std::move(middle2), std::move(*hi), n.op_offset);
    if (!b.ok()) return b.status();
    both.push_back(*std::move(b));
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
    auto lhs = CompileValue(*n.children[0]);
    if (!lhs.ok()) return lhs.status();
    const AstNode& list_ast = *n.children[1];
    auto rhs = CompileValue(list_ast);
    if (!rhs.ok()) return rhs.status();
    if (!rhs->is_const || !rhs->value.is_array()) {
      return Error(list_ast.begin,
                   absl::StrCat("'", n.negated ? "not in" : "in",
                                "' needs a list, got ", rhs->description),
                   "a list such as [1, 2, 3]");
    }
    if (lhs->type == VType::kObject ||
        (lhs->type == VType::kList && !lhs->is_const)) {
      return Error(n.op_offset,
                   absl::StrCat("'in' cannot test ", lhs->description),
                   "a scalar, ARRAY or JSON value");
    }
    absl::Status s =
        CheckElements(*lhs, rhs->value.AsArray(), list_ast, "list");
    if (!s.ok()) return s;
    Value::Array items;
    items.reserve(rhs->value.AsArray().size());
    for (const Value& v : rhs->value.AsArray()) {
      items.push_back(AdjustConstant(*lhs, v));
    }
    if (lhs->is_const) {
      ValueSet set;
      for (const Value& v : items) set.Add(v);
      set.Finish();
      return PredPtr(std::make_unique<ConstPred>(
          ToTri(set.Contains(FromValue(lhs->value)) != n.negated)));
    }
    const int direct = IsScalar(lhs->type) ? lhs->direct_field : -1;
    return PredPtr(std::make_unique<InPred>(std::move(lhs->node), direct, items,
                                            n.negated));
  }

  static bool IsScalar(VType t) {
    return t == VType::kBool || t == VType::kInt || t == VType::kFloat ||
           t == VType::kString;
  }

  absl::StatusOr<PredPtr> CompileLike(const AstNode& n) {
    auto lhs = CompileValue(*n.children[0]);
    if (!lhs.ok()) return lhs.status();
    if (lhs->type != VType::kString && lhs->type != VType::kJson) {
      return Error(n.op_offset,
                   absl::StrCat("'like' needs a VARCHAR or JSON value, got ",
                                lhs->description),
                   "a VARCHAR field or a JSON path");
    }
    const AstNode& pattern_ast = *n.children[1];
    auto pattern = CompileValue(pattern_ast);
    if (!pattern.ok()) return pattern.status();
    if (!pattern->is_const || !pattern->value.is_string()) {
      return Error(pattern_ast.begin,
                   absl::StrCat("'like' needs a string pattern, got ",
                                pattern->description),
                   "a quoted pattern such as \"abc%\"");
    }
    if (lhs->is_const) {
      LikeMatcher m(pattern->value.AsString());
      return PredPtr(
          std::make_unique<ConstPred>(ToTri(m.Match(lhs->value.AsString()))));
    }
    return PredPtr(std::make_unique<LikePred>(std::move(lhs->node),
                                              pattern->value.AsString()));
  }

  absl::StatusOr<PredPtr> CompileIsNull(const AstNode& n) {
    const AstNode& arg = *n.children[0];
    if (arg.kind != AstKind::kName && arg.kind != AstKind::kIndex) {
      return Error(n.op_offset,
                   absl::StrCat("'is ", n.negated ? "not " : "",
                                "null' needs a field, got ", Source(arg)),
                   "a field, a JSON path or an array element");
    }
    auto op = CompileRef(arg);
    if (!op.ok()) return op.status();
    return PredPtr(
        std::make_unique<IsNullPred>(std::move(op->node), n.negated));
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
    auto ref = ResolveRef(arg);
    if (!ref.ok()) return ref.status();
    if (!ref->is_json() || ref->steps.empty()) return not_a_key();
    return PredPtr(std::make_unique<ExistsPred>(std::make_unique<JsonPathNode>(
        ref->field_index, std::move(ref->steps), ref->field == nullptr)));
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
                 "array_length");
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
    if (!IsConditionFunction(name)) return UnknownFunction(n);
    if (n.children.size() != 2) return Arity(n, 2);
    ContainsMode mode = ContainsMode::kOne;
    if (absl::EndsWith(name, "_all")) mode = ContainsMode::kAll;
    if (absl::EndsWith(name, "_any")) mode = ContainsMode::kAny;
    auto target = CompileValue(*n.children[0]);
    if (!target.ok()) return target.status();
    if (target->is_const ||
        (target->type != VType::kJson && target->type != VType::kArray)) {
      return Error(n.children[0]->begin,
                   absl::StrCat(n.name, " needs a JSON or ARRAY field, got ",
                                target->description),
                   "a JSON path or an ARRAY field as first argument");
    }
    const AstNode& needle_ast = *n.children[1];
    auto needle = CompileValue(needle_ast);
    if (!needle.ok()) return needle.status();
    if (!needle->is_const) {
      return Error(
          needle_ast.begin,
          absl::StrCat(n.name, " needs a constant, got ", needle->description),
          "a literal or a {placeholder}");
    }
    if (mode != ContainsMode::kOne && !needle->value.is_array()) {
      return Error(
          needle_ast.begin,
          absl::StrCat(n.name, " needs a list, got ", needle->description),
          "a list such as [1, 2]");
    }
    // Element types of ARRAY fields are known: check the constants.
    Value needle_value = needle->value;
    if (target->type == VType::kArray) {
      const FieldInfo* f = FieldByIndex(target->direct_field);
      if (f != nullptr) {
        Operand element;
        element.type = VTypeOfField(f->element_type);
        element.float32 = f->element_type == FieldType::kFloat;
        element.description =
            absl::StrCat("the elements (", FieldTypeName(f->element_type),
                         ") of field '", f->name, "'");
        if (mode == ContainsMode::kOne) {
          absl::Status s = CheckElements(element, Value::Array{needle_value},
                                         needle_ast, "value");
          if (!s.ok()) return s;
          needle_value = AdjustConstant(element, needle_value);
        } else {
          absl::Status s = CheckElements(element, needle_value.AsArray(),
                                         needle_ast, "list");
          if (!s.ok()) return s;
          Value::Array items;
          for (const Value& v : needle_value.AsArray()) {
            items.push_back(AdjustConstant(element, v));
          }
          needle_value = Value(std::move(items));
        }
      }
    }
    return PredPtr(std::make_unique<ContainsPred>(std::move(target->node), mode,
                                                  std::move(needle_value)));
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

CompiledFilter::CompiledFilter() = default;

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

absl::StatusOr<CompiledFilter> Compile(std::string_view text,
                                       const Schema& schema,
                                       const TemplateValues& values) {
  auto ast = Parse(text);
  if (!ast.ok()) return ast.status();
  CompiledFilter filter;
  filter.text_ = std::string(text);
  if (*ast == nullptr) return filter;
  Compiler compiler(text, schema, values);
  auto root = compiler.CompilePredicate(**ast);
  if (!root.ok()) return root.status();
  filter.matches_all_ = (*root)->IsTrue();
  filter.root_ = std::shared_ptr<const Predicate>(*std::move(root));
  filter.referenced_fields_.assign(compiler.referenced().begin(),
                                   compiler.referenced().end());
  return filter;
}

}  // namespace cove::engine::expr
