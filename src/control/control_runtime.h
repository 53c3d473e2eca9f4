// What every handle of one ControlClient shares (options, retry policy,
// clock), and the client-side checks of names and ids.
#ifndef COVE_SRC_CONTROL_CONTROL_RUNTIME_H_
#define COVE_SRC_CONTROL_CONTROL_RUNTIME_H_

#include <string>

#include "absl/status/status.h"
#include "common/retry.h"
#include "cove/control.h"

namespace cove::internal {

struct ControlRuntime {
  ControlRuntime(ControlOptions o, ControlClock c);

  const ControlOptions options;
  /// The retries of calls safe to repeat (from options).
  const RetryPolicy policy;
  const Clock clock;
};

/// OK when `id` is 3..63 characters of [a-z0-9-], starting with a letter and
/// not ending with '-'; else InvalidArgument naming `field`.
absl::Status CheckId(const std::string& field, const std::string& id);

/// OK when `name` matches `pattern`, a resource name pattern such as
/// "organizations/{org}/projects/{project}": literal segments match
/// themselves, "{x}" an id (CheckId), "{*}" any non-empty segment, "{-}" an id
/// or "-". Else InvalidArgument naming `field` and the expected form.
absl::Status CheckName(const std::string& field, const std::string& name,
                       const std::string& pattern);

/// OK when `value` is non-empty; else InvalidArgument naming `field`.
absl::Status CheckRequired(const std::string& field, const std::string& value);

}  // namespace cove::internal

#endif  // COVE_SRC_CONTROL_CONTROL_RUNTIME_H_
