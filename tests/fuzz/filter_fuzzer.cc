// Fuzz target: the filter expression language (lexer, parser, type checks,
// constant folding, template substitution) and the evaluation of every filter
// that compiles, over a few fixed rows with nulls, JSON and arrays.
//
// Input: the filter text. Templates `{i}`, `{f}`, `{s}`, `{b}`, `{l}`,
// `{ls}`, `{n}`, `{o}` are always bound, so placeholder paths are reached.
// Any input must either compile or fail with InvalidArgument; a compiled
// filter must evaluate without crashing.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "cove/value.h"
#include "engine/expr/expr.h"

namespace {

using cove::Value;
using cove::engine::expr::CompiledFilter;
using cove::engine::expr::FieldInfo;
using cove::engine::expr::FieldType;
using cove::engine::expr::RowAccessor;
using cove::engine::expr::Schema;
using cove::engine::expr::TemplateValues;

enum : int { kId, kX, kY, kS, kB, kJ, kArr, kSArr, kV, kName, kDyn, kColumns };

Schema MakeSchema() {
  Schema s;
  auto add = [&](const char* name, FieldType type, bool nullable,
                 FieldType element = FieldType::kInt64) {
    FieldInfo f;
    f.name = name;
    f.type = type;
    f.element_type = element;
    f.nullable = nullable;
    f.field_index = static_cast<int>(s.fields.size());
    s.fields.push_back(f);
  };
  add("id", FieldType::kInt64, false);
  add("x", FieldType::kInt32, true);
  add("y", FieldType::kDouble, true);
  add("s", FieldType::kVarChar, true);
  add("b", FieldType::kBool, true);
  add("j", FieldType::kJson, true);
  add("arr", FieldType::kArray, true, FieldType::kInt64);
  add("sarr", FieldType::kArray, false, FieldType::kVarChar);
  add("v", FieldType::kFloatVector, false);
  add("name", FieldType::kVarChar, false);
  s.dynamic_field_index = kDyn;
  return s;
}

class Row : public RowAccessor {
 public:
  explicit Row(std::vector<Value> v) : v_(std::move(v)) {}
  const Value& Get(int i) const override {
    if (i < 0 || static_cast<size_t>(i) >= v_.size()) {
      // The compiler must only reference fields of the schema.
      std::abort();
    }
    return v_[static_cast<size_t>(i)];
  }

 private:
  std::vector<Value> v_;
};

std::vector<Row> MakeRows() {
  std::vector<Row> rows;
  {
    std::vector<Value> v(kColumns);
    v[kId] = Value(int64_t{1});
    v[kX] = Value(int64_t{-7});
    v[kY] = Value(2.5);
    v[kS] = Value("ab%c_d");
    v[kB] = Value(true);
    Value::Object o;
    o["k"] = Value(int64_t{3});
    o["t"] = Value("red");
    o["l"] = Value::MakeArray({Value(int64_t{1}), Value("x"), Value(1.5)});
    Value::Object inner;
    inner["deep"] = Value(false);
    o["o"] = Value(std::move(inner));
    v[kJ] = Value(std::move(o));
    v[kArr] = Value::MakeArray({Value(int64_t{1}), Value(int64_t{-2})});
    v[kSArr] = Value::MakeArray({Value("a"), Value("")});
    v[kV] = Value::FloatVector({1.0f, 0.0f});
    v[kName] = Value("日本");
    Value::Object d;
    d["dk"] = Value(int64_t{9223372036854775807});
    d["ds"] = Value("blue");
    v[kDyn] = Value(std::move(d));
    rows.emplace_back(std::move(v));
  }
  {
    // Nulls everywhere a field is nullable, a JSON scalar, empty arrays.
    std::vector<Value> v(kColumns);
    v[kId] = Value(int64_t{-9223372036854775807 - 1});
    v[kJ] = Value(int64_t{0});
    v[kSArr] = Value(Value::Array{});
    v[kV] = Value::FloatVector({0.0f, -1.0f});
    v[kName] = Value("");
    v[kDyn] = Value(Value::Object{});
    rows.emplace_back(std::move(v));
  }
  {
    std::vector<Value> v(kColumns);
    v[kId] = Value(int64_t{0});
    v[kX] = Value(int64_t{0});
    v[kY] = Value(-0.0);
    v[kS] = Value("");
    v[kB] = Value(false);
    v[kJ] = Value::MakeArray({Value(int64_t{0}), Value()});
    v[kArr] = Value(Value::Array{});
    v[kSArr] = Value::MakeArray({Value("zz")});
    v[kV] = Value::FloatVector({0.5f, 0.5f});
    v[kName] = Value("x");
    v[kDyn] = Value(Value::Object{});
    rows.emplace_back(std::move(v));
  }
  return rows;
}

TemplateValues MakeTemplates() {
  TemplateValues t;
  t["i"] = Value(int64_t{5});
  t["f"] = Value(0.25);
  t["s"] = Value("red");
  t["b"] = Value(true);
  t["l"] = Value::MakeArray({Value(int64_t{1}), Value(int64_t{2})});
  t["ls"] = Value::MakeArray({Value("a"), Value("red")});
  t["n"] = Value();
  Value::Object o;
  o["k"] = Value(int64_t{1});
  t["o"] = Value(std::move(o));
  return t;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const Schema schema = MakeSchema();
  static const std::vector<Row> rows = MakeRows();
  static const TemplateValues templates = MakeTemplates();
  if (size > 4096) return -1;  // longer filters add nothing but time
  std::string_view text(reinterpret_cast<const char*>(data), size);

  auto compiled = cove::engine::expr::Compile(text, schema, templates);
  if (!compiled.ok()) {
    // Every rejection is a clear InvalidArgument naming what was wrong.
    if (compiled.status().code() != absl::StatusCode::kInvalidArgument ||
        compiled.status().message().empty()) {
      std::abort();
    }
    return 0;
  }
  for (const Row& row : rows) (void)compiled->Matches(row);
  (void)compiled->PrimaryKeyLookup(kId);
  (void)compiled->PrimaryKeyLookup(kName);
  for (int f : compiled->referenced_fields()) {
    if (f < 0 || f >= kColumns) std::abort();
  }
  // Without templates, a filter with placeholders must fail cleanly.
  auto bare = cove::engine::expr::Compile(text, schema);
  if (!bare.ok() &&
      bare.status().code() != absl::StatusCode::kInvalidArgument) {
    std::abort();
  }
  return 0;
}
