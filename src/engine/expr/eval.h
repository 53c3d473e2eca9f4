// The evaluation nodes of a compiled filter (the compiler, compiler.cc,
// builds them; eval.cc holds their out-of-line parts). Internal to the filter
// language: users include expr.h.
//
// Evaluation is three-valued: every predicate node yields TRUE, FALSE or
// UNKNOWN (a null was involved). Value nodes yield a Datum: a non-owning view
// of a number, bool, string or nested Value, or one of two "no value" states:
//   kNull    - an SQL null (a null field): comparisons are UNKNOWN;
//   kMissing - a JSON key that is absent (or JSON null, or an array index out
//              of range): comparisons are FALSE, `!=` is TRUE.
#ifndef COVE_SRC_ENGINE_EXPR_EVAL_H_
#define COVE_SRC_ENGINE_EXPR_EVAL_H_

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "cove/value.h"
#include "engine/expr/expr.h"
#include "engine/expr/ops.h"

namespace cove::engine::expr {

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

  /// For set evaluation (CompiledFilter::FilterIndexed): how the node
  /// combines its children, the children, and for a leaf on one scalar
  /// field the question a scalar index may answer (null: none).
  enum class Connective : uint8_t { kNone, kAnd, kOr, kNot };
  virtual Connective connective() const { return Connective::kNone; }
  virtual std::vector<const Predicate*> children() const { return {}; }
  virtual const IndexQuery* index_query() const { return nullptr; }
};

// An IndexQuery of a leaf on field `field` (< 0: none).
inline std::optional<IndexQuery> CompareQuery(int field, CompareOp op,
                                              Value value) {
  if (field < 0) return std::nullopt;
  IndexQuery q;
  q.kind = IndexQuery::Kind::kCompare;
  q.field = field;
  q.op = op;
  q.value = std::move(value);
  return q;
}
inline std::optional<IndexQuery> RangeQuery(int field, Value lo, bool lo_incl,
                                            Value hi, bool hi_incl) {
  if (field < 0) return std::nullopt;
  IndexQuery q;
  q.kind = IndexQuery::Kind::kRange;
  q.field = field;
  q.lo = std::move(lo);
  q.hi = std::move(hi);
  q.lo_inclusive = lo_incl;
  q.hi_inclusive = hi_incl;
  return q;
}
inline const IndexQuery* QueryOrNull(const std::optional<IndexQuery>& q) {
  return q.has_value() ? &*q : nullptr;
}

inline Tri ToTri(bool b) { return b ? Tri::kTrue : Tri::kFalse; }

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

Value ToValue(const Datum& d);

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

inline CompareOp Flip(CompareOp op) {
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

inline bool IsIntegral(double d, int64_t* out) {
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
        if (std::isnan(d.d)) return false;  // equal to nothing
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

inline size_t Utf8Step(std::string_view s, size_t i) {
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

  /// True when the pattern is a prefix ("abc%", "%": the empty prefix) or
  /// an exact text (no wildcard); *literal gets the text.
  bool IsPrefix(std::string* literal) const {
    if (mode_ != Mode::kPrefix && mode_ != Mode::kAll) return false;
    *literal = literal_;
    return true;
  }
  bool IsExact(std::string* literal) const {
    if (mode_ != Mode::kExact) return false;
    *literal = literal_;
    return true;
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
const Value* FollowPath(const Value& root, const std::vector<PathStep>& steps);

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
Datum Arith(ArithOp op, const Datum& a, const Datum& b);

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
  Connective connective() const override { return Connective::kAnd; }
  std::vector<const Predicate*> children() const override {
    std::vector<const Predicate*> out;
    for (const PredPtr& c : children_) out.push_back(c.get());
    return out;
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
  Connective connective() const override { return Connective::kOr; }
  std::vector<const Predicate*> children() const override {
    std::vector<const Predicate*> out;
    for (const PredPtr& c : children_) out.push_back(c.get());
    return out;
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
  Connective connective() const override { return Connective::kNot; }
  std::vector<const Predicate*> children() const override {
    return {child_.get()};
  }

 private:
  PredPtr child_;
};

// A boolean value used as a condition (`is_active`, `meta["flag"]`).
class TruthPred final : public Predicate {
 public:
  // `direct_field` >= 0 when the value is that BOOL field itself.
  explicit TruthPred(ValuePtr value, int direct_field = -1)
      : value_(std::move(value)),
        query_(CompareQuery(direct_field, CompareOp::kEq, Value(true))) {}
  Tri Eval(const RowAccessor& row) const override {
    const Datum d = value_->Eval(row);
    if (d.kind == Datum::Kind::kBool) return ToTri(d.b);
    if (d.kind == Datum::Kind::kNull) return Tri::kUnknown;
    return Tri::kFalse;
  }
  const IndexQuery* index_query() const override { return QueryOrNull(query_); }

 private:
  ValuePtr value_;
  std::optional<IndexQuery> query_;
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
  // `direct_field` >= 0 when lhs is that scalar field itself.
  CompareConstPred(CompareOp op, ValuePtr lhs, Value constant,
                   int direct_field = -1)
      : op_(op),
        lhs_(std::move(lhs)),
        constant_(std::move(constant)),
        query_(CompareQuery(direct_field, op, constant_)) {
    datum_ = FromValue(constant_);
  }
  Tri Eval(const RowAccessor& row) const override {
    return CompareTri(op_, lhs_->Eval(row), datum_);
  }
  const IndexQuery* index_query() const override { return QueryOrNull(query_); }

 private:
  CompareOp op_;
  ValuePtr lhs_;
  Value constant_;
  Datum datum_;
  std::optional<IndexQuery> query_;
};

// Fast paths: a scalar field compared with a constant of its own kind; the
// generic path handles anything unexpected in the row.
template <CompareOp kOp>
class FieldIntCmp final : public Predicate {
 public:
  FieldIntCmp(int field, int64_t c)
      : field_(field), c_(c), query_(CompareQuery(field, kOp, Value(c))) {}
  const IndexQuery* index_query() const override { return QueryOrNull(query_); }
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
  std::optional<IndexQuery> query_;
};

template <CompareOp kOp>
class FieldDoubleCmp final : public Predicate {
 public:
  FieldDoubleCmp(int field, double c)
      : field_(field), c_(c), query_(CompareQuery(field, kOp, Value(c))) {}
  const IndexQuery* index_query() const override { return QueryOrNull(query_); }
  Tri Eval(const RowAccessor& row) const override {
    const Value& v = row.Get(field_);
    if (v.is_double())
      return ToTri(Holds<kOp>(CompareDoubles(v.AsDouble(), c_)));
    return CompareTri(kOp, FromValue(v), Datum::Double(c_));
  }

 private:
  int field_;
  double c_;
  std::optional<IndexQuery> query_;
};

template <CompareOp kOp>
class FieldStringCmp final : public Predicate {
 public:
  FieldStringCmp(int field, std::string c)
      : field_(field),
        c_(std::move(c)),
        query_(CompareQuery(field, kOp, Value(c_))) {}
  const IndexQuery* index_query() const override { return QueryOrNull(query_); }
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
  std::optional<IndexQuery> query_;
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
  // `direct_field` >= 0 when x is that scalar field itself.
  RangePred(ValuePtr x, Value lo, bool lo_inclusive, Value hi,
            bool hi_inclusive, int direct_field = -1)
      : x_(std::move(x)),
        lo_(std::move(lo)),
        hi_(std::move(hi)),
        lo_op_(lo_inclusive ? CompareOp::kGe : CompareOp::kGt),
        hi_op_(hi_inclusive ? CompareOp::kLe : CompareOp::kLt),
        query_(RangeQuery(direct_field, lo_, lo_inclusive, hi_, hi_inclusive)) {
    lo_datum_ = FromValue(lo_);
    hi_datum_ = FromValue(hi_);
  }
  const IndexQuery* index_query() const override { return QueryOrNull(query_); }
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
  std::optional<IndexQuery> query_;
};

// lo <= field <= hi on an integer field with integer bounds (exclusive
// bounds already turned inclusive).
class FieldIntRangePred final : public Predicate {
 public:
  FieldIntRangePred(int field, int64_t lo, int64_t hi, bool empty)
      : field_(field), lo_(lo), hi_(hi), empty_(empty) {
    // An empty range: lo > hi, which selects nothing either way.
    query_ = empty ? RangeQuery(field, Value(int64_t{1}), true,
                                Value(int64_t{0}), true)
                   : RangeQuery(field, Value(lo), true, Value(hi), true);
  }
  const IndexQuery* index_query() const override { return QueryOrNull(query_); }
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
  std::optional<IndexQuery> query_;
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
    if (direct_field_ >= 0) {
      query_.emplace();
      query_->kind = IndexQuery::Kind::kIn;
      query_->field = direct_field_;
      query_->values = values;
      query_->negated = negated_;
    }
  }
  const IndexQuery* index_query() const override { return QueryOrNull(query_); }
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
  std::optional<IndexQuery> query_;
};

class LikePred final : public Predicate {
 public:
  // `direct_field` >= 0 when x is that VARCHAR field itself: a prefix or
  // exact pattern is then a question for its index.
  LikePred(ValuePtr x, std::string_view pattern, int direct_field = -1)
      : x_(std::move(x)), matcher_(pattern) {
    std::string literal;
    if (direct_field < 0) return;
    if (matcher_.IsExact(&literal)) {
      query_ = CompareQuery(direct_field, CompareOp::kEq, Value(literal));
    } else if (matcher_.IsPrefix(&literal)) {
      query_ = CompareQuery(direct_field, CompareOp::kEq, Value(literal));
      query_->kind = IndexQuery::Kind::kPrefix;
    }
  }
  const IndexQuery* index_query() const override { return QueryOrNull(query_); }
  Tri Eval(const RowAccessor& row) const override {
    const Datum d = x_->Eval(row);
    if (d.kind == Datum::Kind::kString) return ToTri(matcher_.Match(*d.s));
    if (d.kind == Datum::Kind::kNull) return Tri::kUnknown;
    return Tri::kFalse;
  }

 private:
  ValuePtr x_;
  LikeMatcher matcher_;
  std::optional<IndexQuery> query_;
};

class IsNullPred final : public Predicate {
 public:
  // `direct_field` >= 0 when x is that scalar field itself.
  IsNullPred(ValuePtr x, bool negated, int direct_field = -1)
      : x_(std::move(x)), negated_(negated) {
    if (direct_field >= 0) {
      query_.emplace();
      query_->kind = IndexQuery::Kind::kIsNull;
      query_->field = direct_field;
      query_->negated = negated;
    }
  }
  const IndexQuery* index_query() const override { return QueryOrNull(query_); }
  Tri Eval(const RowAccessor& row) const override {
    const Datum d = x_->Eval(row);
    const bool is_null =
        d.kind == Datum::Kind::kNull || d.kind == Datum::Kind::kMissing;
    return ToTri(is_null != negated_);
  }

 private:
  ValuePtr x_;
  bool negated_;
  std::optional<IndexQuery> query_;
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

// TEXT_MATCH(field, 'words'): TRUE when the row's text holds any of the
// analyzed terms of the words (through the accessor's inverted index when it
// has one, else by analyzing the row's text); UNKNOWN for a null text.
class TextMatchPred : public Predicate {
 public:
  TextMatchPred(int field, std::vector<uint32_t> terms,
                std::function<std::vector<uint32_t>(std::string_view)> analyze)
      : field_(field), terms_(std::move(terms)), analyze_(std::move(analyze)) {
    std::sort(terms_.begin(), terms_.end());
    terms_.erase(std::unique(terms_.begin(), terms_.end()), terms_.end());
  }
  Tri Eval(const RowAccessor& row) const override {
    const Value& v = row.Get(field_);
    if (v.is_null()) return Tri::kUnknown;
    if (terms_.empty() || !v.is_string()) return Tri::kFalse;
    std::optional<bool> indexed = row.TextMatch(field_, terms_, this);
    if (indexed.has_value()) return ToTri(*indexed);
    for (uint32_t t : analyze_(v.AsString())) {
      if (std::binary_search(terms_.begin(), terms_.end(), t)) {
        return Tri::kTrue;
      }
    }
    return Tri::kFalse;
  }

 private:
  int field_;
  std::vector<uint32_t> terms_;
  std::function<std::vector<uint32_t>(std::string_view)> analyze_;
};

// json_contains / array_contains and their _all / _any forms.
class ContainsPred final : public Predicate {
 public:
  // `direct_field` >= 0 when x is that ARRAY field itself.
  ContainsPred(ValuePtr x, ContainsMode mode, Value needle,
               int direct_field = -1)
      : x_(std::move(x)), mode_(mode), needle_(std::move(needle)) {
    if (direct_field >= 0) {
      query_.emplace();
      query_->kind = mode_ == ContainsMode::kAll
                         ? IndexQuery::Kind::kContainsAll
                         : IndexQuery::Kind::kContainsAny;
      query_->field = direct_field;
      if (mode_ == ContainsMode::kOne) {
        query_->values = {needle_};
      } else {
        query_->values = needle_.AsArray();
      }
    }
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
  const IndexQuery* index_query() const override { return QueryOrNull(query_); }
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
  std::optional<IndexQuery> query_;
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

}  // namespace cove::engine::expr

#endif  // COVE_SRC_ENGINE_EXPR_EVAL_H_
