// A clock for tests of retries and polling: time moves only when the code
// under test sleeps (or the test moves it), and every sleep is recorded. No
// test sleeps for real.
#ifndef COVE_TESTS_TESTING_FAKE_CLOCK_H_
#define COVE_TESTS_TESTING_FAKE_CLOCK_H_

#include <chrono>
#include <vector>

#include "common/retry.h"
#include "cove/control.h"

namespace cove::testing {

struct FakeClock {
  std::chrono::steady_clock::time_point now{std::chrono::hours(1)};
  std::vector<std::chrono::milliseconds> sleeps;
  /// What the clock's random() returns (the backoff's jitter).
  double random = 0.0;

  /// The internal clock of retry loops (common/retry.h).
  internal::Clock Get() {
    internal::Clock c;
    c.now = [this] { return now; };
    c.sleep = [this](std::chrono::milliseconds d) {
      sleeps.push_back(d);
      now += d;
    };
    c.random = [this] { return random; };
    return c;
  }

  /// The public clock of a ControlClient.
  ControlClock Control() {
    ControlClock c;
    c.now = [this] { return now; };
    c.sleep = [this](std::chrono::milliseconds d) {
      sleeps.push_back(d);
      now += d;
    };
    return c;
  }
};

}  // namespace cove::testing

#endif  // COVE_TESTS_TESTING_FAKE_CLOCK_H_
