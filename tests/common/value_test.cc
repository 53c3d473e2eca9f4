// Tests of cove::Value: kinds, equality and JSON round trips.
#include "cove/value.h"

#include <cmath>
#include <limits>

#include "common/value_json.h"
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

// The exact form (backups) gives back an equal value for every kind: a
// kind it dropped would lose customer data on restore.
TEST(ValueTest, ExactJsonRoundTripsEveryKind) {
  SparseVector sparse;
  sparse.indices = {0, 7, 4000000000u};
  sparse.values = {0.5f, -1.25f, 3e-8f};
  const std::vector<Value> values = {
      Value(),
      Value(true),
      Value(int64_t{-9007199254740993}),
      Value(0.1),
      Value(std::numeric_limits<double>::infinity()),
      Value(-std::numeric_limits<double>::infinity()),
      Value("text \xC3\xA9"),
      Value::MakeArray({1, "a", Value::MakeArray({2.5})}),
      Value::MakeObject({{"k", Value::MakeObject({{"$f", 1}})}, {"n", 2}}),
      Value::FloatVector({1.0f, -0.0f, 1e-30f}),
      Value::Float16Vector({0x3C00, 0x7BFF, 0x0001}),
      Value::BFloat16Vector({0x3F80, 0xFF80}),
      Value::BinaryVector({0x00, 0xFF, 0x5A}),
      Value::Sparse(sparse),
  };
  size_t kinds_seen = 0;
  for (const Value& v : values) {
    const std::string text = internal::ValueToExactJson(v).dump();
    ASSERT_OK_AND_ASSIGN(
        Value back, internal::ValueFromExactJson(nlohmann::json::parse(text)));
    EXPECT_EQ(back.kind(), v.kind()) << text;
    EXPECT_EQ(back, v) << text;
    kinds_seen |= size_t{1} << static_cast<int>(v.kind());
  }
  EXPECT_EQ(
      kinds_seen,
      (size_t{1} << (static_cast<int>(Value::Kind::kSparseVector) + 1)) - 1)
      << "a kind of Value is missing from this test";
  ASSERT_OK_AND_ASSIGN(Value nan,
                       internal::ValueFromExactJson(
                           internal::ValueToExactJson(Value(std::nan("")))));
  EXPECT_TRUE(std::isnan(nan.AsDouble()));
  // The plain form is what users see: no tags.
  EXPECT_EQ(internal::ValueToPlainJson(Value::Sparse(sparse)).dump(),
            R"({"0":0.5,"4000000000":2.999999892949745e-08,"7":-1.25})");
  for (const char* bad :
       {R"({"$q":1})", R"({"$f":"%%%"})", R"({"$s":{"i":"AAAAAA==","v":""}})",
        R"({"$d":"big"})"}) {
    EXPECT_THAT(internal::ValueFromExactJson(nlohmann::json::parse(bad)),
                StatusIs(absl::StatusCode::kInvalidArgument,
                         HasSubstr("unknown encoding")))
        << bad;
  }
}

}  // namespace
}  // namespace cove
