// Randomized tests of filter expressions: random token soups and random bytes
// never crash Compile (or Matches when they compile); random valid filters
// obey the laws of three-valued logic and agree with simple oracles.
#include <algorithm>
#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "engine/expr/expr.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "testing/status_matchers.h"

namespace cove::engine::expr {
namespace {
namespace expr_fuzz_test {

using ::cove::testing::IsOk;

enum : int { kId, kX, kY, kS, kB, kJ, kArr, kV, kDyn, kColumns };

Schema FuzzSchema() {
  Schema s;
  auto add = [&](const char* name, FieldType type,
                 FieldType element = FieldType::kInt64) {
    FieldInfo f;
    f.name = name;
    f.type = type;
    f.element_type = element;
    f.nullable = true;
    f.field_index = static_cast<int>(s.fields.size());
    s.fields.push_back(f);
  };
  add("id", FieldType::kInt64);
  add("x", FieldType::kInt32);
  add("y", FieldType::kDouble);
  add("s", FieldType::kVarChar);
  add("b", FieldType::kBool);
  add("j", FieldType::kJson);
  add("arr", FieldType::kArray, FieldType::kInt64);
  add("v", FieldType::kFloatVector);
  s.dynamic_field_index = kDyn;
  return s;
}

class Row : public RowAccessor {
 public:
  explicit Row(std::vector<Value> v) : v_(std::move(v)) {}
  const Value& Get(int i) const override {
    return v_.at(static_cast<size_t>(i));
  }
  const Value& operator[](int i) const { return v_[static_cast<size_t>(i)]; }

 private:
  std::vector<Value> v_;
};

std::vector<Row> RandomRows(std::mt19937* rng, int n) {
  std::uniform_int_distribution<int> small(-5, 5);
  std::uniform_int_distribution<int> pct(0, 99);
  const char* strings[] = {"", "a", "ab", "abc", "b", "ba", "x%y", "日本", "A"};
  std::vector<Row> rows;
  for (int i = 0; i < n; ++i) {
    std::vector<Value> v(kColumns);
    v[kId] = Value(i);
    if (pct(*rng) >= 20) v[kX] = Value(small(*rng));
    if (pct(*rng) >= 20) v[kY] = Value(small(*rng) / 2.0);
    if (pct(*rng) >= 20) v[kS] = Value(strings[pct(*rng) % 9]);
    if (pct(*rng) >= 20) v[kB] = Value(pct(*rng) % 2 == 0);
    if (pct(*rng) >= 20) {
      Value::Object o;
      if (pct(*rng) >= 30) o["k"] = Value(small(*rng));
      if (pct(*rng) >= 50) o["t"] = Value(strings[pct(*rng) % 9]);
      if (pct(*rng) >= 50)
        o["l"] = Value::MakeArray({small(*rng), small(*rng)});
      v[kJ] = Value(std::move(o));
    }
    if (pct(*rng) >= 20) {
      Value::Array a;
      for (int k = pct(*rng) % 4; k > 0; --k) a.push_back(Value(small(*rng)));
      v[kArr] = Value(std::move(a));
    }
    v[kV] = Value::FloatVector({1.0f});
    Value::Object d;
    if (pct(*rng) >= 40) d["dk"] = Value(small(*rng));
    v[kDyn] = Value(std::move(d));
    rows.emplace_back(std::move(v));
  }
  return rows;
}

std::vector<int> Matching(const CompiledFilter& f,
                          const std::vector<Row>& rows) {
  std::vector<int> out;
  for (size_t i = 0; i < rows.size(); ++i) {
    if (f.Matches(rows[i])) out.push_back(static_cast<int>(i));
  }
  return out;
}

TEST(ExprFuzzTest, TokenSoupNeverCrashes) {
  const std::vector<std::string> vocab = {"id",
                                          "x",
                                          "y",
                                          "s",
                                          "b",
                                          "j",
                                          "arr",
                                          "v",
                                          "dk",
                                          "$meta",
                                          "null",
                                          "is",
                                          "IS",
                                          "not",
                                          "NOT",
                                          "and",
                                          "or",
                                          "AND",
                                          "OR",
                                          "in",
                                          "IN",
                                          "like",
                                          "LIKE",
                                          "exists",
                                          "true",
                                          "False",
                                          "0",
                                          "1",
                                          "-1",
                                          "2.5",
                                          "1e3",
                                          "9223372036854775808",
                                          "99999999999999999999",
                                          "0x1F",
                                          "\"a%\"",
                                          "'b'",
                                          "\"\\u00e9\"",
                                          "\"",
                                          "'",
                                          "\\",
                                          "==",
                                          "!=",
                                          "<",
                                          "<=",
                                          ">",
                                          ">=",
                                          "+",
                                          "-",
                                          "*",
                                          "/",
                                          "%",
                                          "**",
                                          "&&",
                                          "||",
                                          "!",
                                          "(",
                                          ")",
                                          "[",
                                          "]",
                                          ",",
                                          "{",
                                          "}",
                                          "{p}",
                                          "{list}",
                                          "{missing}",
                                          "json_contains(",
                                          "json_contains_all(",
                                          "array_contains_any(",
                                          "array_length(",
                                          "foo(",
                                          "j[\"k\"]",
                                          "j[\"l\"][0]",
                                          "arr[0]",
                                          "[1, 2]",
                                          "[]",
                                          "=",
                                          "&",
                                          "|",
                                          "#",
                                          "$",
                                          "<<",
                                          "日本",
                                          "\n",
                                          "\"x%y\"",
                                          ".5",
                                          "1.",
                                          "e5"};
  std::mt19937 rng(12345);
  std::uniform_int_distribution<size_t> pick(0, vocab.size() - 1);
  std::uniform_int_distribution<int> len(0, 24);
  const Schema schema = FuzzSchema();
  const TemplateValues values = {{"p", Value(3)},
                                 {"list", Value::MakeArray({1, "a"})}};
  const std::vector<Row> rows = RandomRows(&rng, 8);
  int compiled = 0;
  for (int iter = 0; iter < 20000; ++iter) {
    std::string text;
    for (int n = len(rng); n > 0; --n) {
      text += vocab[pick(rng)];
      if (rng() % 4 != 0) text += ' ';
    }
    auto filter = Compile(text, schema, values);
    if (!filter.ok()) {
      EXPECT_EQ(filter.status().code(), absl::StatusCode::kInvalidArgument)
          << text;
      EXPECT_EQ(filter.status().message().substr(0, 8), "filter: ") << text;
      continue;
    }
    ++compiled;
    for (const Row& row : rows) (void)filter->Matches(row);
    (void)filter->PrimaryKeyLookup(kId);
  }
  // The soup is mostly invalid, but some of it compiles.
  EXPECT_GT(compiled, 50);
}

TEST(ExprFuzzTest, RandomBytesNeverCrash) {
  std::mt19937 rng(777);
  const std::string alphabet = "ab01 .eE+-*/%()[]{},<>=!&|\"'\\$_#\n\t";
  const Schema schema = FuzzSchema();
  for (int iter = 0; iter < 5000; ++iter) {
    std::string text;
    for (int n = static_cast<int>(rng() % 48); n > 0; --n) {
      if (rng() % 8 == 0) {
        text.push_back(static_cast<char>(rng() % 256));
      } else {
        text.push_back(alphabet[rng() % alphabet.size()]);
      }
    }
    auto filter = Compile(text, schema);
    if (!filter.ok()) {
      EXPECT_EQ(filter.status().code(), absl::StatusCode::kInvalidArgument);
    }
  }
}

// Random valid filters over the fuzz schema.
class FilterGenerator {
 public:
  explicit FilterGenerator(std::mt19937* rng) : rng_(rng) {}

  std::string Atom() {
    const char* cmp[] = {"==", "!=", "<", "<=", ">", ">="};
    const std::string op = cmp[Uniform(6)];
    const std::string num = std::to_string(Uniform(11) - 5);
    switch (Uniform(16)) {
      case 0:
        return "x " + op + " " + num;
      case 1:
        return "y " + op + " " + num + ".5";
      case 2:
        return num + " " + op + " x";
      case 3:
        return "x " + op + " y";
      case 4:
        return "s " + op + " \"ab\"";
      case 5:
        return "b == true";
      case 6:
        return "x in [" + num + ", 1, -2]";
      case 7:
        return "x not in [" + num + ", 0]";
      case 8:
        return std::string("s like \"") + (Uniform(2) ? "a%" : "%b_") + "\"";
      case 9:
        return Uniform(2) ? "x is null" : "s is not null";
      case 10:
        return "j[\"k\"] " + op + " " + num;
      case 11:
        return "exists j[\"t\"]";
      case 12:
        return "array_contains(arr, " + num + ")";
      case 13:
        return "array_length(arr) " + op + " 1";
      case 14:
        return "dk " + op + " " + num;
      default:
        return "(x + 1) * 2 " + op + " " + num;
    }
  }

  std::string Expr(int depth) {
    if (depth == 0 || Uniform(3) == 0) return Atom();
    switch (Uniform(3)) {
      case 0:
        return "(" + Expr(depth - 1) + " and " + Expr(depth - 1) + ")";
      case 1:
        return "(" + Expr(depth - 1) + " or " + Expr(depth - 1) + ")";
      default:
        return "not (" + Expr(depth - 1) + ")";
    }
  }

  int Uniform(int n) { return static_cast<int>((*rng_)() % n); }

 private:
  std::mt19937* rng_;
};

std::vector<int> Intersect(const std::vector<int>& a,
                           const std::vector<int>& b) {
  std::vector<int> out;
  std::set_intersection(a.begin(), a.end(), b.begin(), b.end(),
                        std::back_inserter(out));
  return out;
}
std::vector<int> Union(const std::vector<int>& a, const std::vector<int>& b) {
  std::vector<int> out;
  std::set_union(a.begin(), a.end(), b.begin(), b.end(),
                 std::back_inserter(out));
  return out;
}

TEST(ExprFuzzTest, ThreeValuedLogicLaws) {
  std::mt19937 rng(4242);
  const Schema schema = FuzzSchema();
  const std::vector<Row> rows = RandomRows(&rng, 64);
  FilterGenerator gen(&rng);
  auto match = [&](const std::string& text) {
    auto f = Compile(text, schema);
    EXPECT_THAT(f, IsOk()) << text;
    return f.ok() ? Matching(*f, rows) : std::vector<int>{};
  };
  for (int iter = 0; iter < 400; ++iter) {
    const std::string a = gen.Expr(3), b = gen.Expr(3);
    SCOPED_TRACE(a + "  |  " + b);
    const auto ma = match(a), mb = match(b);
    const auto not_a = match("not (" + a + ")");
    EXPECT_TRUE(Intersect(ma, not_a).empty());
    EXPECT_EQ(match("not (not (" + a + "))"), ma);
    EXPECT_EQ(match("(" + a + ") and (" + b + ")"), Intersect(ma, mb));
    EXPECT_EQ(match("(" + a + ") or (" + b + ")"), Union(ma, mb));
    EXPECT_EQ(match("not ((" + a + ") and (" + b + "))"),
              match("not (" + a + ") or not (" + b + ")"));
    EXPECT_EQ(match("not ((" + a + ") or (" + b + "))"),
              match("not (" + a + ") and not (" + b + ")"));
  }
}

TEST(ExprFuzzTest, AgreesWithOracles) {
  std::mt19937 rng(99);
  const Schema schema = FuzzSchema();
  const std::vector<Row> rows = RandomRows(&rng, 200);
  auto match = [&](const std::string& text) {
    auto f = Compile(text, schema);
    EXPECT_THAT(f, IsOk()) << text;
    return f.ok() ? Matching(*f, rows) : std::vector<int>{};
  };
  auto oracle = [&](auto pred) {
    std::vector<int> out;
    for (size_t i = 0; i < rows.size(); ++i) {
      if (pred(rows[i])) out.push_back(static_cast<int>(i));
    }
    return out;
  };
  for (int c = -6; c <= 6; ++c) {
    const std::string n = std::to_string(c);
    SCOPED_TRACE(n);
    auto x_is = [&](auto cmp) {
      return oracle(
          [&](const Row& r) { return !r[kX].is_null() && cmp(r[kX].AsInt()); });
    };
    EXPECT_EQ(match("x == " + n), x_is([&](int64_t x) { return x == c; }));
    EXPECT_EQ(match("x != " + n), x_is([&](int64_t x) { return x != c; }));
    EXPECT_EQ(match("x < " + n), x_is([&](int64_t x) { return x < c; }));
    EXPECT_EQ(match("x <= " + n), x_is([&](int64_t x) { return x <= c; }));
    EXPECT_EQ(match("x > " + n), x_is([&](int64_t x) { return x > c; }));
    EXPECT_EQ(match("x >= " + n), x_is([&](int64_t x) { return x >= c; }));
    const double half = c < 0 ? c - 0.5 : c + 0.5;  // the literal n.5
    EXPECT_EQ(match("x > " + n + ".5"),
              x_is([&](int64_t x) { return x > half; }));
    EXPECT_EQ(match(n + " < x <= 3"),
              x_is([&](int64_t x) { return c < x && x <= 3; }));
    EXPECT_EQ(match(n + " < x <= 3"), match("x > " + n + " and x <= 3"));
    EXPECT_EQ(match("3 >= x > " + n), match(n + " < x <= 3"));
    EXPECT_EQ(match("x in [" + n + ", 2]"), match("x == " + n + " or x == 2"));
    EXPECT_EQ(match("x not in [" + n + ", 2]"),
              match("not (x in [" + n + ", 2])"));
    EXPECT_EQ(match("x % 3 == " + n),
              x_is([&](int64_t x) { return x % 3 == c; }));
    EXPECT_EQ(match("x * 2 - 1 > " + n),
              x_is([&](int64_t x) { return x * 2 - 1 > c; }));
    EXPECT_EQ(match("y < " + n), oracle([&](const Row& r) {
                return !r[kY].is_null() && r[kY].AsDouble() < c;
              }));
    EXPECT_EQ(match("j[\"k\"] == " + n), oracle([&](const Row& r) {
                const Value* k = r[kJ].Find("k");
                return k != nullptr && k->is_int() && k->AsInt() == c;
              }));
    EXPECT_EQ(match("array_contains(arr, " + n + ")"),
              oracle([&](const Row& r) {
                if (!r[kArr].is_array()) return false;
                for (const Value& e : r[kArr].AsArray()) {
                  if (e.AsInt() == c) return true;
                }
                return false;
              }));
  }
  for (const char* prefix : {"", "a", "ab", "b", "x%", "日"}) {
    SCOPED_TRACE(prefix);
    const std::string p = prefix;
    std::string escaped;
    for (char ch : p) {
      if (ch == '%' || ch == '_') escaped += "\\";
      escaped += ch;
    }
    EXPECT_EQ(match("s like \"" + escaped + "%\""), oracle([&](const Row& r) {
                return r[kS].is_string() &&
                       r[kS].AsString().compare(0, p.size(), p) == 0;
              }));
    EXPECT_EQ(match("s like \"%" + escaped + "\""), oracle([&](const Row& r) {
                const std::string& s =
                    r[kS].is_string() ? r[kS].AsString() : "";
                return r[kS].is_string() && s.size() >= p.size() &&
                       s.compare(s.size() - p.size(), p.size(), p) == 0;
              }));
    EXPECT_EQ(match("s like \"%" + escaped + "%\""), oracle([&](const Row& r) {
                return r[kS].is_string() &&
                       r[kS].AsString().find(p) != std::string::npos;
              }));
  }
}

}  // namespace expr_fuzz_test
}  // namespace
}  // namespace cove::engine::expr
