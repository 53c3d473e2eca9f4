// Tests of filter compile errors: code, position, offending token and what
// was expected.
#include <string>
#include <vector>

#include "engine/expr/expr.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "testing/status_matchers.h"

namespace cove::engine::expr {
namespace {
namespace expr_errors_test {

using ::cove::testing::IsOk;
using ::cove::testing::StatusIs;
using ::testing::HasSubstr;

Schema ErrorSchema(bool dynamic = false) {
  Schema s;
  auto add = [&](std::string name, FieldType type,
                 FieldType element = FieldType::kInt64) {
    FieldInfo f;
    f.name = std::move(name);
    f.type = type;
    f.element_type = element;
    f.nullable = true;
    f.field_index = static_cast<int>(s.fields.size());
    s.fields.push_back(std::move(f));
  };
  add("id", FieldType::kInt64);
  add("age", FieldType::kInt32);
  add("price", FieldType::kDouble);
  add("color", FieldType::kVarChar);
  add("active", FieldType::kBool);
  add("meta", FieldType::kJson);
  add("tags", FieldType::kArray, FieldType::kVarChar);
  add("nums", FieldType::kArray, FieldType::kInt64);
  add("vec", FieldType::kFloatVector);
  if (dynamic) s.dynamic_field_index = 9;
  return s;
}

std::string ErrorOf(const std::string& filter, bool dynamic = false) {
  auto compiled = Compile(filter, ErrorSchema(dynamic), {{"v", Value(1)}});
  EXPECT_THAT(compiled, StatusIs(absl::StatusCode::kInvalidArgument)) << filter;
  return compiled.ok() ? std::string()
                       : std::string(compiled.status().message());
}

TEST(ExprErrorsTest, ExactMessages) {
  struct Case {
    const char* filter;
    const char* message;
  };
  const std::vector<Case> cases = {
      {"age > ",
       "filter: unexpected end of input at column 7 (expected a value)"},
      {"(age > 1",
       "filter: unexpected end of input at column 9 (expected ')')"},
      {"age > 1)",
       "filter: unexpected token ')' at column 8 (expected an operator or end "
       "of input)"},
      {"(age > 1 and ) or id == 2",
       "filter: unexpected token ')' at column 14 (expected a value)"},
      {R"(colour == "red")",
       "filter: unknown field 'colour' at column 1 (fields: id, age, price, "
       "color, active, meta, tags, nums; did you mean 'color'?)"},
      {R"(id > 1 and zzz == "red")",
       "filter: unknown field 'zzz' at column 12 (fields: id, age, price, "
       "color, active, meta, tags, nums)"},
      {R"(age == "abc")",
       "filter: cannot compare field 'age' (INT32) with string \"abc\" using "
       "'==' at column 5 (expected a number)"},
      {R"(age like "a%")",
       "filter: 'like' needs a VARCHAR or JSON value, got field 'age' (INT32) "
       "at column 5 (expected a VARCHAR field or a JSON path)"},
      {"color + 1 > 2",
       "filter: arithmetic '+' needs numbers, got field 'color' (VARCHAR) at "
       "column 7 (expected numeric fields, numbers or JSON values)"},
      {"age > {missing}",
       "filter: missing value for template placeholder {missing} at column 7 "
       "(expected one of the values given: {v})"},
      {"age = 5", "filter: unexpected token '=' at column 5 (expected '==')"},
      {R"(color == "abc)",
       "filter: unterminated string at column 10 (expected a closing '\"')"},
      {"age in 5",
       "filter: 'in' needs a list, got integer 5 at column 8 (expected a list "
       "such as [1, 2, 3])"},
      {"age # 5",
       "filter: invalid character '#' at column 5 (expected a field name, a "
       "literal, an operator or a parenthesis)"},
      {"age > 1\nand )",
       "filter: unexpected token ')' at line 2, column 5 (expected a value)"},
      {"age >= >= 1",
       "filter: unexpected token '>=' at column 8 (expected a value)"},
      {"age is nul",
       "filter: unexpected token 'nul' at column 8 (expected 'null' or 'not "
       "null')"},
      {"vec == 1",
       "filter: vector field 'vec' cannot be used in a filter at column 1 "
       "(expected a scalar, ARRAY or JSON field)"},
  };
  for (const Case& c : cases) {
    EXPECT_EQ(ErrorOf(c.filter), c.message) << c.filter;
  }
}

TEST(ExprErrorsTest, MessagesNameTheProblem) {
  struct Case {
    const char* filter;
    std::vector<const char*> parts;
  };
  const std::vector<Case> cases = {
      {"age > 1 and", {"unexpected end of input", "column 12", "a value"}},
      {"1 < age > 5", {"invalid chained comparison", "column 3"}},
      {"1 < age < 5 < 7", {"too many chained comparisons", "column 13"}},
      {"age > 99999999999999999999", {"out of range", "column 7"}},
      {"9223372036854775808 == id", {"out of range", "column 1"}},
      {"--9223372036854775808 == id", {"out of range"}},
      {"1.5e999 > price", {"out of range"}},
      {"12abc > 1", {"invalid number '12abc'", "column 1"}},
      {"0x > 1", {"invalid number '0x'"}},
      {"foo(age)", {"unknown function 'foo'", "json_contains"}},
      {"json_contains(age, 1)", {"needs a JSON or ARRAY field", "'age'"}},
      {R"(array_contains(nums, "a"))",
       {"string \"a\"", "field 'nums'", "column 22", "a number"}},
      {"age", {"expected a condition", "field 'age' (INT32)"}},
      {R"(color == "a\q")", {"invalid escape sequence '\\q'", "column 12"}},
      {R"(age in [1, "a"])", {"list element string \"a\"", "column 12"}},
      {"id % 2.5 == 0", {"'%' needs integers", "column 4"}},
      {"id / 0 > 1", {"division by zero", "column 4"}},
      {"active > true", {"cannot order booleans", "'>'"}},
      {"age[0] == 1", {"field 'age' (INT32) cannot be indexed", "column 4"}},
      {"exists age", {"'exists' needs a JSON key", "column 8"}},
      {"exists 1", {"'exists' needs a JSON key"}},
      {"age > 1 & id < 2", {"'&' is not supported", "'&&'"}},
      {"id == 1 ||| id == 2", {"'|' is not supported"}},
      {"id << 2 == 4", {"'<<' is not supported"}},
      {"age > 1 <> 2", {"'<>'", "'!='"}},
      {"age == null", {"'null'", "is null"}},
      {R"(meta["a")", {"unexpected end of input", "']'"}},
      {"json_contains(meta)", {"takes 2 arguments, got 1"}},
      {"array_length(age) > 1", {"array_length needs an ARRAY or JSON value"}},
      {"array_length(nums)", {"is a value, not a condition"}},
      {R"(json_contains(meta["a"], 1) == true)",
       {"is a condition, not a value"}},
      {"{ 1 } == age", {"invalid template placeholder", "column 1"}},
      {"{v", {"invalid template placeholder"}},
      {"$foo == 1", {"invalid name '$foo'"}},
      {"$meta == 1", {"unknown field '$meta'"}},
      {"age > 1 age", {"unexpected token 'age'", "column 9"}},
      {"nums[-1] == 1", {"negative index"}},
      {R"(nums["a"] == 1)", {"ARRAY field 'nums' indexed with string"}},
      {"tags[0] + 1 > 2", {"needs numbers", "element 'tags[0]' (VARCHAR)"}},
      {"color like age", {"'like' needs a string pattern"}},
      {"age in [age]", {"list elements must be constants"}},
      {"age == [1, 2]", {"cannot compare field 'age'", "list [1, 2]"}},
      {"nums < [1]", {"cannot compare field 'nums' (ARRAY of INT64)"}},
      {"not", {"unexpected end of input", "column 4"}},
      {"()", {"unexpected token ')'", "column 2"}},
      {"[]", {"expected a condition", "list []"}},
      {",", {"unexpected token ','", "column 1"}},
      {"meta[age] == 1", {"invalid index field 'age'"}},
      {"(age > 1) > 2", {"expected a value, got the condition '(age > 1)'"}},
      {"id is null is null", {"unexpected token 'is'", "column 12"}},
      {"array_contains_all(nums, 1)", {"needs a list", "column 26"}},
      {"json_contains(meta, age)", {"needs a constant"}},
      {"age % price > 1", {"'%' needs integers", "field 'price'"}},
      {"-color > 1", {"'-' needs a number"}},
      {"age > {v} + 'x'", {"needs numbers", "string 'x'"}},
      {"id == 1 and", {"unexpected end of input"}},
      {"id == 1 And id == 2", {"'And'", "column 9", "write 'and' or 'AND'"}},
      {R"("é" == 'x' and 名前 == 1)", {"invalid character '名'", "column 16"}},
      {R"(color == "\u12")", {"invalid escape sequence"}},
      {R"(color == "\ud800")", {"invalid escape sequence"}},
      {"age in {v}", {"'in' needs a list", "template {v}"}},
      {"color like {v}", {"'like' needs a string pattern", "template {v}"}},
  };
  for (const Case& c : cases) {
    const std::string message = ErrorOf(c.filter);
    for (const char* part : c.parts) {
      EXPECT_THAT(message, HasSubstr(part)) << c.filter;
    }
    EXPECT_THAT(message, ::testing::StartsWith("filter: ")) << c.filter;
  }
}

TEST(ExprErrorsTest, TemplateErrors) {
  const Schema schema = ErrorSchema();
  EXPECT_THAT(Compile("age > {a}", schema),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("missing value for template placeholder {a} "
                                 "at column 7 (expected a value in the "
                                 "template values (none were given))")));
  EXPECT_THAT(Compile("age > {a}", schema, {{"a", Value()}}),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("template value {a} is null")));
  EXPECT_THAT(Compile("age > {a}", schema, {{"a", Value("x")}}),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("cannot compare field 'age' (INT32) with "
                                 "template {a} (string)")));
  EXPECT_THAT(Compile("id in {a}", schema, {{"a", Value::MakeArray({1, "x"})}}),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("list element string \"x\" does not match "
                                 "field 'id' (INT64) at column 7")));
  EXPECT_THAT(Compile("age > {a}", schema, {{"a", Value(3)}}), IsOk());
}

TEST(ExprErrorsTest, DynamicSchemaStillChecksRealFields) {
  // Unknown names become dynamic keys, but real fields keep their types.
  EXPECT_THAT(Compile(R"(colour == "red")", ErrorSchema(true)), IsOk());
  EXPECT_THAT(ErrorOf(R"(age == "x")", true),
              HasSubstr("cannot compare field 'age' (INT32)"));
  EXPECT_THAT(Compile("$meta[\"a\"] == 1", ErrorSchema(true)), IsOk());
  EXPECT_THAT(ErrorOf("color == null", true),
              HasSubstr("unexpected 'null' at column 10 (expected a value; "
                        "test for null with 'x is null'"));
}

}  // namespace expr_errors_test
}  // namespace
}  // namespace cove::engine::expr
