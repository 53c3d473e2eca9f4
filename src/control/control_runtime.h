// What every handle of one ControlClient shares: the options and the clock
// with which the client polls a connection that does not poll itself.
#ifndef COVE_SRC_CONTROL_CONTROL_RUNTIME_H_
#define COVE_SRC_CONTROL_CONTROL_RUNTIME_H_

#include "common/retry.h"
#include "cove/control.h"

namespace cove::internal {

struct ControlRuntime {
  ControlRuntime(ControlOptions o, ControlClock c);

  const ControlOptions options;
  const Clock clock;
};

}  // namespace cove::internal

#endif  // COVE_SRC_CONTROL_CONTROL_RUNTIME_H_
