// Access control of the control plane: the actions, the built-in roles and
// what each may do (one table, as data; docs/control-plane.md shows the same
// table and the RBAC matrix test checks the server against the document),
// and the matching of role statements.
#ifndef COVE_SRC_CLOUD_PERMISSIONS_H_
#define COVE_SRC_CLOUD_PERMISSIONS_H_

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "cove/control/v1/resources.pb.h"

namespace cove::cloud {

/// Built-in roles, in the column order of the permission table.
inline constexpr const char* kBuiltInRoleNames[] = {
    "roles/organization.owner",  "roles/organization.billing_admin",
    "roles/organization.member", "roles/project.admin",
    "roles/project.read_write",  "roles/project.read_only"};
inline constexpr int kNumBuiltInRoles = 6;

/// One row of the permission table: an action and, per built-in role (in
/// the order of kBuiltInRoleNames), 'x' when allowed and '.' when not.
struct PermissionRow {
  const char* action;
  const char* allowed;
};

/// The table (every action of the API that needs a permission).
const std::vector<PermissionRow>& PermissionTable();

/// True when `action` is in the table.
bool IsKnownAction(absl::string_view action);

/// The built-in role as a Role message, or nullptr for other names.
const control::v1::Role* FindBuiltInRole(absl::string_view name);
/// Every built-in role.
const std::vector<control::v1::Role>& BuiltInRoles();

/// "*" matches every action, "clusters.*" every action of clusters.
bool ActionMatches(absl::string_view pattern, absl::string_view action);

/// True when `resource` matches `pattern` relative to `scope`: empty means
/// the whole scope (itself and below); otherwise `scope/pattern` (or the
/// pattern itself when it starts with "organizations/"), where "*" matches
/// one path segment and a trailing "**" everything below.
bool ResourceMatches(absl::string_view scope, absl::string_view pattern,
                     absl::string_view resource);

/// InvalidArgument unless the statements are well formed: an effect, at
/// least one action, each a known action, "service.*" or "*".
absl::Status ValidateStatements(
    const google::protobuf::RepeatedPtrField<control::v1::Statement>& stmts);

}  // namespace cove::cloud

#endif  // COVE_SRC_CLOUD_PERMISSIONS_H_
