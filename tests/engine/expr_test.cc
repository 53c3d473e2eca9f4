// Tests of the filter expression language: every construct against a handful
// of rows with known matches, null semantics, templates, dynamic fields,
// primary key lookups and error messages.
#include "engine/expr/expr.h"

#include <algorithm>
#include <cstdint>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "testing/status_matchers.h"

namespace cove::engine::expr {
namespace {
namespace expr_test {

using ::cove::testing::IsOk;
using ::cove::testing::StatusIs;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

// Field indices of the test schema.
enum : int {
  kId,
  kAge,
  kPrice,
  kColor,
  kActive,
  kMeta,
  kTags,
  kNums,
  kVec,
  kScore,
  kDynamic,
  kNumColumns
};

Schema TestSchema(bool dynamic) {
  Schema s;
  auto add = [&](std::string name, FieldType type, bool nullable,
                 FieldType element = FieldType::kInt64) {
    FieldInfo f;
    f.name = std::move(name);
    f.type = type;
    f.element_type = element;
    f.nullable = nullable;
    f.field_index = static_cast<int>(s.fields.size());
    s.fields.push_back(std::move(f));
  };
  add("id", FieldType::kInt64, false);
  add("age", FieldType::kInt32, true);
  add("price", FieldType::kDouble, true);
  add("color", FieldType::kVarChar, true);
  add("active", FieldType::kBool, true);
  add("meta", FieldType::kJson, true);
  add("tags", FieldType::kArray, true, FieldType::kVarChar);
  add("nums", FieldType::kArray, false, FieldType::kInt64);
  add("vec", FieldType::kFloatVector, false);
  add("score", FieldType::kFloat, false);
  if (dynamic) s.dynamic_field_index = kDynamic;
  return s;
}

class TestRow : public RowAccessor {
 public:
  explicit TestRow(std::vector<Value> values) : values_(std::move(values)) {}
  const Value& Get(int field_index) const override {
    return values_.at(static_cast<size_t>(field_index));
  }
  int64_t id() const { return values_[kId].AsInt(); }

 private:
  std::vector<Value> values_;
};

Value Json(const char* text) {
  auto v = Value::FromJson(text);
  EXPECT_TRUE(v.ok()) << text;
  return v.ok() ? *v : Value();
}

Value F32(double d) {
  return Value(static_cast<double>(static_cast<float>(d)));
}

std::vector<TestRow> TestRows() {
  std::vector<TestRow> rows;
  auto row = [&](int64_t id, Value age, Value price, Value color, Value active,
                 Value meta, Value tags, Value nums, Value score,
                 Value dynamic) {
    rows.emplace_back(std::vector<Value>{
        Value(id), std::move(age), std::move(price), std::move(color),
        std::move(active), std::move(meta), std::move(tags), std::move(nums),
        Value::FloatVector({0.1f, 0.2f}), std::move(score),
        std::move(dynamic)});
  };
  row(1, 20, 10.5, "red", true,
      Json(R"({"a":1,"b":{"c":"x"},"arr":[1,2,3],"s":"hello","flag":true})"),
      Json(R"(["a","b"])"), Json("[1,2,3]"), F32(0.1),
      Json(R"({"city":"paris","n":5})"));
  row(2, 30, 20.0, "green", false,
      Json(R"({"a":2.5,"arr":[4],"s":"world","k":null})"), Json(R"(["b","c"])"),
      Json("[4,5]"), F32(0.5),
      Json(R"({"city":"berlin","n":7,"extra":[1,2]})"));
  row(3, Value(), Value(), Value(), Value(), Value(), Value(), Json("[]"),
      F32(1.5), Json("{}"));
  row(4, 40, 5.0, "blue", true,
      Json(R"({"a":"str","arr":["x","y"],"s":"help"})"), Json("[]"),
      Json("[10]"), F32(-2), Value());
  row(5, 50, 100.0, "Red", false,
      Json(R"({"a":3,"b":{"c":"y"},"arr":[[1,2],3]})"), Json(R"(["a"])"),
      Json("[7,8,9]"), F32(2.25), Json(R"({"city":"paris","n":"5"})"));
  row(-6, 20, 0.0, "re%d", true, Json(R"({"a":-1,"s":"日本語"})"),
      Json(R"(["日本"])"), Json("[0]"), F32(0),
      Json(R"({"city":"rome","n":5.0})"));
  return rows;
}

// The ids of the test rows that `filter` matches, sorted.
std::vector<int64_t> MatchingIds(const CompiledFilter& filter) {
  std::vector<int64_t> ids;
  for (const TestRow& row : TestRows()) {
    if (filter.Matches(row)) ids.push_back(row.id());
  }
  std::sort(ids.begin(), ids.end());
  return ids;
}

struct Case {
  const char* filter;
  std::vector<int64_t> ids;
};

void RunCases(const std::vector<Case>& cases, const Schema& schema,
              const TemplateValues& values = {}) {
  for (const Case& c : cases) {
    SCOPED_TRACE(c.filter);
    auto filter = Compile(c.filter, schema, values);
    ASSERT_THAT(filter, IsOk());
    std::vector<int64_t> want = c.ids;
    std::sort(want.begin(), want.end());
    EXPECT_EQ(MatchingIds(*filter), want);
  }
}

const std::vector<int64_t> kAll = {-6, 1, 2, 3, 4, 5};

TEST(ExprTest, Comparisons) {
  RunCases(
      {
          {"id == 1", {1}},
          {"id != 1", {-6, 2, 3, 4, 5}},
          {"age > 25", {2, 4, 5}},
          {"age >= 20", {-6, 1, 2, 4, 5}},
          {"age < 30", {-6, 1}},
          {"age <= 30", {-6, 1, 2}},
          {"age != 20", {2, 4, 5}},
          {"25 < age", {2, 4, 5}},
          {"20 == age", {-6, 1}},
          {"price == 10.5", {1}},
          {"price > 10", {1, 2, 5}},
          {"age == 20.0", {-6, 1}},
          {"age > 20.5", {2, 4, 5}},
          {"price == 1.05e1", {1}},
          {"price < 1E1", {-6, 4}},
          {"price > .5e-1", {1, 2, 4, 5}},
          {R"(color == "red")", {1}},
          {"color == 'red'", {1}},
          {R"(color != "red")", {-6, 2, 4, 5}},
          {R"(color > "blue")", {-6, 1, 2}},
          {"active == true", {-6, 1, 4}},
          {"active == True", {-6, 1, 4}},
          {"active == TRUE", {-6, 1, 4}},
          {"active != false", {-6, 1, 4}},
          {"active", {-6, 1, 4}},
          {"not active", {2, 5}},
          {"id == -6", {-6}},
          {"id < -5", {-6}},
          {"id == 0x1", {1}},
          {"id == 0b10", {2}},
          {"id == 0o3", {3}},
          {"score == 0.1", {1}},
          {"score > 0.1", {2, 3, 5}},
          {"score <= -2", {4}},
          {"id > -9223372036854775808", kAll},
          {"id < 9223372036854775807", kAll},
          {"id == id", kAll},
          {"price > age", {5}},
          {"age > id * 10", {-6, 1, 2}},
          {"1 == 1", kAll},
          {"1 > 2", {}},
          {"'a' < 'b'", kAll},
      },
      TestSchema(true));
}

TEST(ExprTest, ChainedRanges) {
  RunCases(
      {
          {"10 < age <= 30", {-6, 1, 2}},
          {"20 < age <= 40", {2, 4}},
          {"1 <= id < 4", {1, 2, 3}},
          {"40 >= age > 20", {2, 4}},
          {"5.0 <= price < 20", {1, 4}},
          {"0 < array_length(nums) <= 2", {-6, 2, 4}},
          {"-10 < meta[\"a\"] < 2", {-6, 1}},
          {"20.5 < age < 40.5", {2, 4}},
          {"0 < age < id * 100", {1, 2, 4, 5}},
          {"9223372036854775807 < id < 5", {}},
          {"score > 0.1 >= -3", {2, 3, 5}},
          {"0.1 <= score <= 0.5", {1, 2}},
      },
      TestSchema(true));
}

TEST(ExprTest, InAndNotIn) {
  RunCases(
      {
          {"id in [1, 3, 5]", {1, 3, 5}},
          {"id not in [1, 3, 5]", {-6, 2, 4}},
          {"id NOT IN [1,3,5,]", {-6, 2, 4}},
          {"id IN [1]", {1}},
          {R"(color in ["red", "blue"])", {1, 4}},
          {R"(color not in ["red", "blue"])", {-6, 2, 5}},
          {"age in [20, 40.0]", {-6, 1, 4}},
          {"age in []", {}},
          {"age not in []", {-6, 1, 2, 4, 5}},
          {"price in [10.5, 5]", {1, 4}},
          {"active in [false]", {2, 5}},
          {"score in [0.1, 2.25]", {1, 5}},
          {"meta[\"a\"] in [1, 3]", {1, 5}},
          {"meta[\"a\"] not in [1, 3]", {-6, 2, 4}},
          {"meta[\"a\"] in [\"str\", 2.5]", {2, 4}},
          {"id % 3 in [0]", {-6, 3}},
          {"nums[0] in [1, 10]", {1, 4}},
      },
      TestSchema(true));
}

TEST(ExprTest, Like) {
  RunCases(
      {
          {R"(color like "r%")", {-6, 1}},
          {R"(color LIKE "%e%")", {-6, 1, 2, 4, 5}},
          {R"(color like "%d")", {-6, 1, 5}},
          {R"(color like "re_")", {1}},
          {R"(color like "r_%d")", {-6, 1}},
          {R"(color like "re\%d")", {-6}},
          {R"(color like "re\_")", {}},
          {R"(color like "blue")", {4}},
          {R"(color like "%")", {-6, 1, 2, 4, 5}},
          {R"(color like "%%")", {-6, 1, 2, 4, 5}},
          {R"(color like "")", {}},
          {R"(color like "_")", {}},
          {R"(color like "%e%e%")", {2}},
          {R"(color like "g%n")", {2}},
          {R"(meta["s"] like "hel%")", {1, 4}},
          {R"(meta["s"] like "_本_")", {-6}},
          {R"(meta["a"] like "s%")", {4}},
          {R"(city like "p%")", {1, 5}},
          {R"(tags[0] like "日%")", {-6}},
          {R"(not color like "r%")", {2, 4, 5}},
      },
      TestSchema(true));
}

TEST(ExprTest, Logic) {
  RunCases(
      {
          {R"(age > 25 and color == "blue")", {4}},
          {R"(age > 25 && color == "blue")", {4}},
          {R"(age > 25 AND color == "blue")", {4}},
          {R"(age > 45 or color == "red")", {1, 5}},
          {"age > 45 || id == 1", {1, 5}},
          {"age > 45 OR id == 1", {1, 5}},
          {"not (age > 25)", {-6, 1}},
          {"!(age > 25)", {-6, 1}},
          {"NOT age > 25", {-6, 1}},
          {"not not age > 25", {2, 4, 5}},
          {"(age > 25 or id == 3) and id < 5", {2, 3, 4}},
          {"age > 25 or age is null", {2, 3, 4, 5}},
          {"id == 1 and id == 2 or id == 3", {3}},
          {"id == 3 or id == 1 and id == 2", {3}},
          {R"(id > 0 and (color == "red" or color == "green" or color == "blue"))",
           {1, 2, 4}},
          {"true", kAll},
          {"false", {}},
          {"TRUE", kAll},
          {"not false", kAll},
          {"id > 0 and true", {1, 2, 3, 4, 5}},
          {"((((id == 1))))", {1}},
          {"id == 1 or (id == 2 or (id == 3 or id == 4))", {1, 2, 3, 4}},
      },
      TestSchema(true));
}

TEST(ExprTest, Arithmetic) {
  RunCases(
      {
          {"id % 2 == 0", {-6, 2, 4}},
          {"id % 2 == 1", {1, 3, 5}},
          {"price * 2 > 30", {2, 5}},
          {"price / 2 == 5.25", {1}},
          {"age + 5 == 25", {-6, 1}},
          {"age - 10 >= 30", {4, 5}},
          {"age * 2 + 1 == 41", {-6, 1}},
          {"1 + age * 2 == 41", {-6, 1}},
          {"age ** 2 == 400", {-6, 1}},
          {"2 ** 3 == id + 3", {5}},
          {"2 ** 3 ** 0 == id + 1", {1}},
          {"-id == 6", {-6}},
          {"- id > 0", {-6}},
          {"id / 2 == 1", {2, 3}},
          {"(age + 10) * 2 > 100", {5}},
          {"age - -10 == 30", {-6, 1}},
          {"meta[\"a\"] + 1 == 2", {1}},
          {"meta[\"a\"] * 2 == 5", {2}},
          {"array_length(nums) * 2 == 6", {1, 5}},
          {"id * 2 == 2 * 1", {1}},
          {"price - 0.5 > 10 - 1 * 2", {1, 2, 5}},
          {"age > 10 * 4", {5}},
          {"age / 0.5 == 40", {-6, 1}},
          {"n + 1 == 6", {-6, 1}},
      },
      TestSchema(true));
}

TEST(ExprTest, NullChecks) {
  RunCases(
      {
          {"age is null", {3}},
          {"age IS NULL", {3}},
          {"age Is Null", {3}},
          {"age is not null", {-6, 1, 2, 4, 5}},
          {"age IS NOT NULL", {-6, 1, 2, 4, 5}},
          {"meta is null", {3}},
          {"meta[\"k\"] is null", kAll},
          {"meta[\"a\"] is not null", {-6, 1, 2, 4, 5}},
          {"city is null", {3, 4}},
          {"$meta[\"city\"] is not null", {-6, 1, 2, 5}},
          {"tags is null", {3}},
          {"nums[1] is not null", {1, 2, 5}},
          {"not (age is null)", {-6, 1, 2, 4, 5}},
      },
      TestSchema(true));
}

TEST(ExprTest, NullSemantics) {
  // Row 3 has null age, price, color, active, meta and tags.
  RunCases(
      {
          {"age != 20", {2, 4, 5}},
          {"not (age == 20)", {2, 4, 5}},
          {"not (age > 25) or id == 3", {-6, 1, 3}},
          // unknown and true = unknown; not unknown = unknown.
          {"not (age > 25 and id > 0)", {-6, 1}},
          // unknown and false = false; not false = true.
          {"not (age > 100 and id > 5)", kAll},
          // unknown or true = true.
          {"age > 100 or id == 3", {3}},
          // unknown or false = unknown.
          {"not (age > 100 or id == 0)", {-6, 1, 2, 4, 5}},
          {"age in [20]", {-6, 1}},
          {"age not in [20]", {2, 4, 5}},
          {R"(color like "%")", {-6, 1, 2, 4, 5}},
          {R"(not color like "zzz")", {-6, 1, 2, 4, 5}},
          {"not active", {2, 5}},
          {"age + 1 > 0", {-6, 1, 2, 4, 5}},
          {"not (age + 1 > 0)", {}},
          {"price > age or price <= age", {-6, 1, 2, 4, 5}},
          {"not array_contains(tags, \"a\")", {-6, 2, 4}},
          {"array_length(tags) == 0", {4}},
          {"not (array_length(tags) == 0)", {-6, 1, 2, 5}},
          // A null JSON field is null; a missing key is not.
          {"meta[\"a\"] != 1", {-6, 2, 4, 5}},
          {"meta[\"missing\"] != 1", {-6, 1, 2, 4, 5}},
          {"not (meta[\"missing\"] == 1)", {-6, 1, 2, 4, 5}},
          {"not exists meta[\"b\"]", {-6, 2, 4}},
          // The dynamic field is never null.
          {R"(city != "paris")", {-6, 2, 3, 4}},
          {R"(not (city == "paris"))", {-6, 2, 3, 4}},
      },
      TestSchema(true));
}

TEST(ExprTest, JsonPaths) {
  RunCases(
      {
          {"meta[\"a\"] == 1", {1}},
          {"meta['a'] == 1", {1}},
          {"meta[\"a\"] > 1", {2, 5}},
          {"meta[\"a\"] == \"str\"", {4}},
          {"meta[\"a\"] < \"z\"", {4}},
          {"meta[\"b\"][\"c\"] == \"x\"", {1}},
          {"meta[\"arr\"][0] == 1", {1}},
          {"meta[\"arr\"][1] == 2", {1}},
          {"meta[\"arr\"][0] == [1, 2]", {5}},
          {"meta[\"arr\"][0][1] == 2", {5}},
          {"meta[\"arr\"] == [1, 2, 3]", {1}},
          {"meta[\"b\"] == {obj}", {1}},
          {"meta[\"flag\"]", {1}},
          {"meta[\"flag\"] == true", {1}},
          {"not meta[\"flag\"]", {-6, 2, 4, 5}},
          {"exists meta[\"b\"]", {1, 5}},
          {"EXISTS meta[\"k\"]", {2}},
          {"exists meta[\"b\"][\"c\"]", {1, 5}},
          {"exists meta[\"arr\"][2]", {1}},
          {"meta[\"a\"] == meta[\"a\"]", {-6, 1, 2, 4, 5}},
          {"meta[\"a\"] < age", {-6, 1, 2, 5}},
          {"meta == meta", {-6, 1, 2, 4, 5}},
      },
      TestSchema(true), {{"obj", Value::MakeObject({{"c", "x"}})}});
}

TEST(ExprTest, DynamicFields) {
  RunCases(
      {
          {R"(city == "paris")", {1, 5}},
          {R"($meta["city"] == "paris")", {1, 5}},
          {"n == 5", {-6, 1}},
          {"n > 5", {2}},
          {"exists city", {-6, 1, 2, 5}},
          {"exists $meta[\"extra\"]", {2}},
          {"extra[1] == 2", {2}},
          {"json_contains(extra, 2)", {2}},
          {R"(city in ["rome", "berlin"])", {-6, 2}},
          {R"(undefined_key == 1)", {}},
          {R"(undefined_key != 1)", kAll},
          {"$meta[\"n\"] == \"5\"", {5}},
      },
      TestSchema(true));
}

TEST(ExprTest, Contains) {
  RunCases(
      {
          {"json_contains(meta[\"arr\"], 2)", {1}},
          {"json_contains(meta[\"arr\"], 2.0)", {1}},
          {"json_contains(meta[\"arr\"], \"x\")", {4}},
          {"json_contains(meta[\"arr\"], [1, 2])", {5}},
          {"JSON_CONTAINS(meta[\"arr\"], 3)", {1, 5}},
          {"json_contains_all(meta[\"arr\"], [1, 2])", {1}},
          {"json_contains_all(meta[\"arr\"], [1, 7])", {}},
          {"json_contains_any(meta[\"arr\"], [4, \"y\"])", {2, 4}},
          {"json_contains(meta[\"s\"], \"h\")", {}},
          {"array_contains(tags, \"a\")", {1, 5}},
          {"array_contains_all(tags, [\"a\", \"b\"])", {1}},
          {"array_contains_any(tags, [\"c\", \"日本\"])", {-6, 2}},
          {"array_contains_any(nums, [3, 9])", {1, 5}},
          {"ARRAY_CONTAINS(nums, 10)", {4}},
          {"ARRAY_CONTAINS_ANY(nums, [])", {}},
          {"array_contains_all(nums, [])", kAll},
          {"json_contains(tags, \"b\")", {1, 2}},
          {"array_contains(meta[\"arr\"], \"y\")", {4}},
      },
      TestSchema(true));
}

TEST(ExprTest, Arrays) {
  RunCases(
      {
          {"nums[0] == 1", {1}},
          {"nums[0] > 5", {4, 5}},
          {"nums[2] == 9", {5}},
          {"nums[5] == 1", {}},
          {"nums[5] != 1", kAll},
          {"tags[1] == \"b\"", {1}},
          {"array_length(nums) == 0", {3}},
          {"array_length(tags) >= 2", {1, 2}},
          {"array_length(meta[\"arr\"]) == 2", {4, 5}},
          {"ARRAY_LENGTH(nums) == 1", {-6, 4}},
          {"nums == [1, 2, 3]", {1}},
          {"nums != [1, 2, 3]", {-6, 2, 3, 4, 5}},
          {"nums == []", {3}},
          {"nums[0] + nums[1] == 3", {1}},
      },
      TestSchema(true));
}

TEST(ExprTest, Templates) {
  TemplateValues values = {
      {"a", Value(25)},     {"ids", Value::MakeArray({1, 2})},
      {"p", Value("r%")},   {"lo", Value(15)},
      {"hi", Value(35.0)},  {"v", Value(2)},
      {"x", Value(1)},      {"k", Value("a")},
      {"yes", Value(true)}, {"colors", Value::MakeArray({"red", "blue"})},
  };
  RunCases(
      {
          {"age > {a}", {2, 4, 5}},
          {"age > { a }", {2, 4, 5}},
          {"id in {ids}", {1, 2}},
          {"id not in {ids}", {-6, 3, 4, 5}},
          {"color like {p}", {-6, 1}},
          {"{lo} < age < {hi}", {-6, 1, 2}},
          {"json_contains(meta[\"arr\"], {v})", {1}},
          {"array_contains_any(tags, {colors})", {}},
          {"color in {colors}", {1, 4}},
          {"id in [{x}, 3]", {1, 3}},
          {"meta[{k}] == 1", {1}},
          {"{yes}", kAll},
          {"active == {yes}", {-6, 1, 4}},
          {"id == {x} + 1", {2}},
          {"{a} < age", {2, 4, 5}},
      },
      TestSchema(true), values);
}

TEST(ExprTest, EmptyFilterMatchesAll) {
  for (const char* text : {"", "   ", "\n\t"}) {
    auto filter = Compile(text, TestSchema(false));
    ASSERT_THAT(filter, IsOk());
    EXPECT_TRUE(filter->matches_all());
    EXPECT_TRUE(filter->referenced_fields().empty());
    EXPECT_EQ(MatchingIds(*filter), kAll);
    EXPECT_FALSE(filter->PrimaryKeyLookup(kId).has_value());
  }
  auto filter = Compile("true", TestSchema(false));
  ASSERT_THAT(filter, IsOk());
  EXPECT_TRUE(filter->matches_all());
  filter = Compile("id > 0", TestSchema(false));
  ASSERT_THAT(filter, IsOk());
  EXPECT_FALSE(filter->matches_all());
  CompiledFilter default_filter;
  EXPECT_TRUE(default_filter.matches_all());
  EXPECT_TRUE(default_filter.Matches(TestRows()[0]));
}

TEST(ExprTest, ReferencedFields) {
  auto filter = Compile(
      R"(age > 1 and (color == "x" or meta["a"] == 1) and city == "p" and age < 5)",
      TestSchema(true));
  ASSERT_THAT(filter, IsOk());
  EXPECT_THAT(filter->referenced_fields(),
              ElementsAre(kAge, kColor, kMeta, kDynamic));
  filter = Compile("exists $meta[\"k\"] or array_length(nums) > 1",
                   TestSchema(true));
  ASSERT_THAT(filter, IsOk());
  EXPECT_THAT(filter->referenced_fields(), ElementsAre(kNums, kDynamic));
}

TEST(ExprTest, PrimaryKeyLookup) {
  const Schema schema = TestSchema(false);
  auto keys = [&](const char* text) {
    auto filter = Compile(text, schema, {{"ids", Value::MakeArray({7, 8})}});
    EXPECT_THAT(filter, IsOk()) << text;
    return filter->PrimaryKeyLookup(kId);
  };
  EXPECT_THAT(keys("id == 5"), ::testing::Optional(ElementsAre(Value(5))));
  EXPECT_THAT(keys("5 == id"), ::testing::Optional(ElementsAre(Value(5))));
  EXPECT_THAT(keys("id in [3, 1, 3]"),
              ::testing::Optional(ElementsAre(Value(3), Value(1))));
  EXPECT_THAT(keys("id in {ids}"),
              ::testing::Optional(ElementsAre(Value(7), Value(8))));
  EXPECT_THAT(keys("id == 1 or id in [2, 1] or id == 9"),
              ::testing::Optional(ElementsAre(Value(1), Value(2), Value(9))));
  EXPECT_THAT(keys("id in []"), ::testing::Optional(ElementsAre()));
  EXPECT_FALSE(keys("id > 5").has_value());
  EXPECT_FALSE(keys("id not in [1]").has_value());
  EXPECT_FALSE(keys("id == 1 and age > 3").has_value());
  EXPECT_FALSE(keys("id == 1 or age == 3").has_value());
  EXPECT_FALSE(keys("age == 1").has_value());
  EXPECT_FALSE(keys("id in [1, 2.5]").has_value());
  EXPECT_FALSE(keys("not id == 1").has_value());
  // A VARCHAR primary key.
  auto filter = Compile(R"(color in ["a", "b"] or color == "c")", schema);
  ASSERT_THAT(filter, IsOk());
  EXPECT_THAT(
      filter->PrimaryKeyLookup(kColor),
      ::testing::Optional(ElementsAre(Value("a"), Value("b"), Value("c"))));
  EXPECT_FALSE(filter->PrimaryKeyLookup(kId).has_value());
}

TEST(ExprTest, CopiesShareTheTree) {
  auto filter = Compile("id in [1, 2]", TestSchema(false));
  ASSERT_THAT(filter, IsOk());
  CompiledFilter copy = *filter;
  filter = Compile("id == 3", TestSchema(false));
  ASSERT_THAT(filter, IsOk());
  EXPECT_EQ(MatchingIds(copy), (std::vector<int64_t>{1, 2}));
  EXPECT_EQ(copy.text(), "id in [1, 2]");
}

TEST(ExprTest, StringEscapes) {
  Schema schema = TestSchema(false);
  struct EscapeCase {
    const char* filter;
    const char* value;
  };
  for (const EscapeCase& c : std::vector<EscapeCase>{
           {R"(color == "a\"b")", "a\"b"},
           {R"(color == 'a\'b')", "a'b"},
           {R"(color == 'a"b')", "a\"b"},
           {R"(color == "a'b")", "a'b"},
           {R"(color == "a\\b")", "a\\b"},
           {R"(color == "a\nb\t")", "a\nb\t"},
           {R"(color == "\u00e9\x41")",
            "\xc3\xa9"
            "A"},
           {R"(color == "\ud83d\ude00")", "\xf0\x9f\x98\x80"},
           {R"(color == "日本")", "日本"},
       }) {
    SCOPED_TRACE(c.filter);
    auto filter = Compile(c.filter, schema);
    ASSERT_THAT(filter, IsOk());
    std::vector<Value> values(kNumColumns);
    values[kColor] = Value(c.value);
    EXPECT_TRUE(filter->Matches(TestRow(values)));
    values[kColor] = Value(std::string(c.value) + "x");
    EXPECT_FALSE(filter->Matches(TestRow(values)));
  }
}

TEST(ExprTest, LargeInputs) {
  const Schema schema = TestSchema(false);
  std::string in_list = "id in [";
  for (int i = 0; i < 100000; ++i) {
    in_list += std::to_string(i * 2) + ",";
  }
  in_list += "5]";
  auto filter = Compile(in_list, schema);
  ASSERT_THAT(filter, IsOk());
  EXPECT_EQ(MatchingIds(*filter), (std::vector<int64_t>{2, 4, 5}));

  std::string ors = "id == -1";
  for (int i = 0; i < 20000; ++i) ors += " or id == " + std::to_string(i * 3);
  filter = Compile(ors, schema);
  ASSERT_THAT(filter, IsOk());
  EXPECT_EQ(MatchingIds(*filter), (std::vector<int64_t>{3}));
  EXPECT_EQ(filter->PrimaryKeyLookup(kId)->size(), 20001u);

  // Nesting up to the limit works; beyond it is an error, not a crash.
  auto nested = [](int depth) {
    return std::string(depth, '(') + "id == 1" + std::string(depth, ')');
  };
  EXPECT_THAT(Compile(nested(200), schema), IsOk());
  EXPECT_THAT(Compile(nested(100000), schema),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("nested too deeply")));
  EXPECT_THAT(Compile(std::string(100000, '!') + "active", schema),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("nested too deeply")));
  EXPECT_THAT(Compile("id == " + std::string(100000, '-') + "1", schema),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("nested too deeply")));
  std::string sum = "id";
  for (int i = 0; i < 100000; ++i) sum += " + 1";
  EXPECT_THAT(Compile(sum + " > 0", schema),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("nested too deeply")));
  EXPECT_THAT(Compile(std::string(100000, '[') + "1", schema),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("nested too deeply")));
  std::string path = "meta";
  for (int i = 0; i < 100000; ++i) path += "[\"k\"]";
  EXPECT_THAT(Compile(path + " == 1", schema),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("nested too deeply")));
}

}  // namespace expr_test
}  // namespace
}  // namespace cove::engine::expr
