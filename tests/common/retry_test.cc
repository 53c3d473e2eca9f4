// Tests of the shared retry loop and backoff (common/retry.h) with a fake
// clock: no test sleeps for real.
#include "common/retry.h"

#include <chrono>
#include <vector>

#include "absl/status/statusor.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "testing/fake_clock.h"
#include "testing/status_matchers.h"

namespace cove::internal {
namespace {

using ::cove::testing::IsOk;
using ::cove::testing::StatusIs;
using ::testing::ElementsAre;
using ms = std::chrono::milliseconds;

using FakeClock = ::cove::testing::FakeClock;

RetryPolicy Policy(int max_attempts) {
  RetryPolicy p;
  p.max_attempts = max_attempts;
  p.initial_backoff = ms(100);
  p.max_backoff = ms(1000);
  return p;
}

TEST(BackoffTest, GrowsExponentiallyWithJitterAndCap) {
  RetryPolicy p = Policy(5);
  EXPECT_EQ(BackoffDelay(p, 0, 0.0).count(), 50);
  EXPECT_EQ(BackoffDelay(p, 0, 0.999999).count(), 99);
  EXPECT_EQ(BackoffDelay(p, 1, 0.0).count(), 100);
  EXPECT_EQ(BackoffDelay(p, 2, 0.0).count(), 200);
  EXPECT_EQ(BackoffDelay(p, 3, 1.0).count(), 800);
  EXPECT_EQ(BackoffDelay(p, 10, 1.0).count(), 1000);  // capped
  EXPECT_EQ(BackoffDelay(p, 10, 0.0).count(), 500);
  EXPECT_EQ(BackoffDelay(p, 1000, 1.0).count(), 1000);  // no overflow
}

TEST(RetryLoopTest, RetriesUnavailableUntilItSucceeds) {
  FakeClock clock;
  int calls = 0;
  absl::StatusOr<int> r =
      RetryLoop(Policy(5), clock.Get(), clock.now + ms(10000), true,
                [&](ms) -> absl::StatusOr<int> {
                  if (++calls < 3) return absl::UnavailableError("down");
                  return 7;
                });
  ASSERT_THAT(r, IsOk());
  EXPECT_EQ(*r, 7);
  EXPECT_EQ(calls, 3);
  EXPECT_THAT(clock.sleeps, ElementsAre(ms(50), ms(100)));
}

TEST(RetryLoopTest, StopsAtMaxAttempts) {
  FakeClock clock;
  int calls = 0;
  absl::Status s =
      RetryLoop(Policy(3), clock.Get(), clock.now + ms(100000), true, [&](ms) {
        ++calls;
        return absl::UnavailableError("down");
      });
  EXPECT_THAT(s, StatusIs(absl::StatusCode::kUnavailable));
  EXPECT_EQ(calls, 3);
  EXPECT_EQ(clock.sleeps.size(), 2u);
}

TEST(RetryLoopTest, NotIdempotentOrNotRetryableRunsOnce) {
  FakeClock clock;
  int calls = 0;
  auto down = [&](ms) {
    ++calls;
    return absl::UnavailableError("down");
  };
  EXPECT_THAT(
      RetryLoop(Policy(5), clock.Get(), clock.now + ms(10000), false, down),
      StatusIs(absl::StatusCode::kUnavailable));
  EXPECT_EQ(calls, 1);
  calls = 0;
  EXPECT_THAT(RetryLoop(Policy(5), clock.Get(), clock.now + ms(10000), true,
                        [&](ms) {
                          ++calls;
                          return absl::NotFoundError("gone");
                        }),
              StatusIs(absl::StatusCode::kNotFound));
  EXPECT_EQ(calls, 1);
  EXPECT_TRUE(clock.sleeps.empty());
}

TEST(RetryLoopTest, EachAttemptGetsTheTimeLeftAndNoBackoffPassesTheDeadline) {
  FakeClock clock;
  const auto deadline = clock.now + ms(1000);
  std::vector<ms> given;
  absl::Status s =
      RetryLoop(Policy(100), clock.Get(), deadline, true, [&](ms remaining) {
        given.push_back(remaining);
        clock.now += ms(10);  // the RPC takes 10 ms
        return absl::UnavailableError("down");
      });
  EXPECT_THAT(s, StatusIs(absl::StatusCode::kUnavailable));
  // Attempts at 0, 60 (after 10 + 50), 170, 380 and 790 ms; the next backoff
  // (500 ms, half the cap) would end past the deadline.
  EXPECT_THAT(given, ElementsAre(ms(1000), ms(940), ms(830), ms(620), ms(210)));
  EXPECT_LE(clock.now, deadline);
}

TEST(RetryLoopTest, NoAttemptLimitRetriesUntilTheDeadlineWithCappedBackoff) {
  // max_attempts 0: a time budget. A server down for 60 s is outlived by a
  // 120 s budget, every backoff at most max_backoff.
  FakeClock clock;
  const auto start = clock.now;
  clock.random = 0.999;
  int calls = 0;
  absl::StatusOr<int> r =
      RetryLoop(Policy(0), clock.Get(), start + ms(120000), true,
                [&](ms) -> absl::StatusOr<int> {
                  ++calls;
                  if (clock.now - start < std::chrono::seconds(60)) {
                    return absl::UnavailableError("restarting");
                  }
                  return 1;
                });
  ASSERT_THAT(r, IsOk());
  EXPECT_GT(calls, 60);
  for (ms d : clock.sleeps) EXPECT_LE(d, ms(1000));
  EXPECT_LT(clock.now - start, std::chrono::seconds(62));
}

}  // namespace
}  // namespace cove::internal
