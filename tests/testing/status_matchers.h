// GoogleTest matchers for absl::Status and absl::StatusOr (Debian's abseil
// ships none): EXPECT_THAT(s, IsOk()), EXPECT_THAT(s, StatusIs(code)),
// EXPECT_THAT(s, StatusIs(code, HasSubstr("..."))), and ASSERT_OK_AND_ASSIGN.
#ifndef COVE_TESTS_TESTING_STATUS_MATCHERS_H_
#define COVE_TESTS_TESTING_STATUS_MATCHERS_H_

#include <ostream>
#include <string>
#include <utility>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "gmock/gmock.h"

namespace cove::testing {

inline const absl::Status& GetStatus(const absl::Status& s) { return s; }
template <typename T>
const absl::Status& GetStatus(const absl::StatusOr<T>& s) {
  return s.status();
}

MATCHER(IsOk, "is OK") {
  const absl::Status& s = GetStatus(arg);
  if (!s.ok()) *result_listener << "status is " << s.ToString();
  return s.ok();
}

MATCHER_P(StatusIs, code,
          std::string("has code ") + absl::StatusCodeToString(code)) {
  const absl::Status& s = GetStatus(arg);
  *result_listener << "status is " << s.ToString();
  return s.code() == code;
}

MATCHER_P2(StatusIs, code, message_matcher,
           std::string("has code ") + absl::StatusCodeToString(code)) {
  const absl::Status& s = GetStatus(arg);
  *result_listener << "status is " << s.ToString();
  return s.code() == code &&
         ::testing::ExplainMatchResult(
             message_matcher, std::string(s.message()), result_listener);
}

}  // namespace cove::testing

#define COVE_MATCHERS_CONCAT_INNER(a, b) a##b
#define COVE_MATCHERS_CONCAT(a, b) COVE_MATCHERS_CONCAT_INNER(a, b)
/// ASSERT_OK_AND_ASSIGN(auto x, Function()): asserts OK, then assigns.
#define ASSERT_OK_AND_ASSIGN(lhs, expr)                                  \
  auto COVE_MATCHERS_CONCAT(status_or_, __LINE__) = (expr);              \
  ASSERT_TRUE(COVE_MATCHERS_CONCAT(status_or_, __LINE__).ok())           \
      << COVE_MATCHERS_CONCAT(status_or_, __LINE__).status().ToString(); \
  lhs = *std::move(COVE_MATCHERS_CONCAT(status_or_, __LINE__))
#define ASSERT_OK(expr) ASSERT_THAT((expr), ::cove::testing::IsOk())
#define EXPECT_OK(expr) EXPECT_THAT((expr), ::cove::testing::IsOk())

#endif  // COVE_TESTS_TESTING_STATUS_MATCHERS_H_
