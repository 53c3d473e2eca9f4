// Internal status macros: early return on a failed absl::Status or
// absl::StatusOr. Used by every internal library; never included from a
// public header.
#ifndef COVE_SRC_COMMON_STATUS_MACROS_H_
#define COVE_SRC_COMMON_STATUS_MACROS_H_

#include <utility>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

#define COVE_STATUS_CONCAT_INNER_(a, b) a##b
#define COVE_STATUS_CONCAT_(a, b) COVE_STATUS_CONCAT_INNER_(a, b)

/// Evaluates `expr` (an absl::Status, or a StatusOr whose status is taken)
/// once and returns it from the enclosing function when it is not OK.
#define COVE_RETURN_IF_ERROR(expr)                                      \
  do {                                                                  \
    if (::absl::Status cove_status_ = ::cove::internal::ToStatus(expr); \
        !cove_status_.ok()) {                                           \
      return cove_status_;                                              \
    }                                                                   \
  } while (false)

/// Evaluates `expr` (an absl::StatusOr<T>) once; returns its status from the
/// enclosing function when it is not OK, else moves the value into `lhs`
/// (a declaration such as `auto x` or an existing lvalue).
#define COVE_ASSIGN_OR_RETURN(lhs, expr)                                    \
  COVE_ASSIGN_OR_RETURN_IMPL_(COVE_STATUS_CONCAT_(cove_or_, __LINE__), lhs, \
                              expr)

#define COVE_ASSIGN_OR_RETURN_IMPL_(tmp, lhs, expr) \
  auto tmp = (expr);                                \
  if (!tmp.ok()) return std::move(tmp).status();    \
  lhs = *std::move(tmp)

namespace cove::internal {

inline const absl::Status& ToStatus(const absl::Status& status) {
  return status;
}
template <typename T>
const absl::Status& ToStatus(const absl::StatusOr<T>& status_or) {
  return status_or.status();
}

}  // namespace cove::internal

#endif  // COVE_SRC_COMMON_STATUS_MACROS_H_
