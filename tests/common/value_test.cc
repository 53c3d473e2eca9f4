// Tests of cove::Value: kinds, equality and JSON round trips.
#include "cove/value.h"

#include <cmath>
#include <limits>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "testing/status_matchers.h"

namespace cove {
namespace {

using ::cove::testing::StatusIs;
using ::testing::HasSubstr;

TEST(ValueTest, KindsAndAccessors) {
  EXPECT_TRUE(Value().is_null());
  EXPECT_TRUE(Value(true).AsBool());
  EXPECT_EQ(Value(int64_t{1} << 60).AsInt(), int64_t{1} << 60);
  EXPECT_DOUBLE_EQ(Value(2.5).AsDouble(), 2.5);
  EXPECT_DOUBLE_EQ(Value(3).AsDouble(), 3.0);
  EXPECT_EQ(Value("abc").AsString(), "abc");
  EXPECT_EQ(Value::MakeArray({1, 2}).AsArray().size(), 2u);
  Value obj = Value::MakeObject({{"a", 1}, {"b", "x"}});
  ASSERT_NE(obj.Find("b"), nullptr);
  EXPECT_EQ(obj.Find("b")->AsString(), "x");
  EXPECT_EQ(obj.Find("c"), nullptr);
  EXPECT_EQ(Value::FloatVector({1, 2, 3}).AsFloatVector().size(), 3u);
}

TEST(ValueTest, NumericEquality) {
  EXPECT_EQ(Value(1), Value(1.0));
  EXPECT_NE(Value(1), Value("1"));
  EXPECT_EQ(Value::MakeArray({1, "a"}), Value::MakeArray({1.0, "a"}));
  EXPECT_NE(Value::MakeObject({{"a", 1}}), Value::MakeObject({{"a", 2}}));
}

TEST(ValueTest, JsonRoundTrip) {
  const std::string text =
      R"({"a":[1,2.5,"x",null,true],"b":{"c":-9007199254740993}})";
  ASSERT_OK_AND_ASSIGN(Value v, Value::FromJson(text));
  EXPECT_EQ(v.Find("b")->Find("c")->AsInt(), -9007199254740993LL);
  EXPECT_TRUE(v.Find("a")->AsArray()[1].is_double());
  ASSERT_OK_AND_ASSIGN(Value again, Value::FromJson(v.ToJson()));
  EXPECT_EQ(v, again);
}

TEST(ValueTest, NonFiniteDoublesBecomeNull) {
  EXPECT_EQ(Value(std::numeric_limits<double>::quiet_NaN()).ToJson(), "null");
  EXPECT_EQ(Value::FloatVector({1.0f, INFINITY}).ToJson(), "[1.0,null]");
}

TEST(ValueTest, BadJsonNamesTheOffset) {
  EXPECT_THAT(Value::FromJson("{\"a\": [1, 2}"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("invalid JSON at byte")));
  EXPECT_THAT(Value::FromJson(""),
              StatusIs(absl::StatusCode::kInvalidArgument));
}

// Found by tests/fuzz/json_fuzzer: deep nesting used to recurse once per
// level (stack overflow on a few hundred kilobytes of '[').
TEST(ValueTest, DeepNestingIsAnErrorNotACrash) {
  EXPECT_THAT(Value::FromJson(std::string(200000, '[')),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("nested too deeply at byte 64")));
  const std::string ok = std::string(64, '[') + std::string(64, ']');
  ASSERT_OK_AND_ASSIGN(Value v, Value::FromJson(ok));
  EXPECT_EQ(v.ToJson(), ok);
  // Brackets inside strings do not count.
  const std::string in_string =
      "[\"" + std::string(1000, '[') + "\\\"\", {\"a\": 1}]";
  ASSERT_OK_AND_ASSIGN(Value s, Value::FromJson(in_string));
  EXPECT_EQ(s.AsArray().size(), 2u);
}

// Found by tests/fuzz/json_fuzzer: a string that is not UTF-8 made ToJson
// throw (nlohmann-json refuses to write it); it is now written with U+FFFD
// for each bad byte, and the result parses.
TEST(ValueTest, InvalidUtf8IsReplacedWhenWritingJson) {
  EXPECT_EQ(Value("a\xff"
                  "b")
                .ToJson(),
            "\"a\xef\xbf\xbd"
            "b\"");
  ASSERT_OK_AND_ASSIGN(
      Value back,
      Value::FromJson(Value::MakeObject({{"k\xc3", "\x80\x80"}}).ToJson()));
  EXPECT_TRUE(back.is_object());
}

}  // namespace
}  // namespace cove
