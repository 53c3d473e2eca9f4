// Access control of the control plane: the actions, the built-in roles and
// what each may do (one table, as data; docs/control-plane.md shows the same
// table and the RBAC matrix test checks the server against the document),
// and the matching of role statements.
#ifndef COVE_SRC_CLOUD_PERMISSIONS_H_
#define COVE_SRC_CLOUD_PERMISSIONS_H_

#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
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

/// A role held on a scope (a key's own role, or a role binding).
struct RoleGrant {
  std::string scope;
  const control::v1::Role* role = nullptr;
};

/// The decision of `grants`, held by a principal whose key applies within
/// `key_scope`, for `action` on `resource`: true when the resource is
/// within the key's scope, some ALLOW statement of a grant whose scope holds
/// the resource matches, and no such DENY statement does.
bool GrantsAllow(absl::string_view key_scope,
                 const std::vector<RoleGrant>& grants, absl::string_view action,
                 absl::string_view resource);

/// What a grant check compares.
enum class GrantCheckMode {
  /// What the role allows (API keys, role bindings, invitations, member
  /// roles): the holder gains exactly that.
  kAllowed,
  /// Every action any statement of the role names, ALLOW or DENY (role
  /// edits, removing a binding whose role denies): changing a DENY frees
  /// what other roles allow, so the editor must hold those actions too.
  kNamed,
};

/// An action on a resource that a grant would give and the granter does
/// not hold. `resource` may hold the id "{any}": any id that no statement
/// names (as a cluster created later).
struct Ungrantable {
  std::string action;
  std::string resource;
};

/// The grant rule: nobody grants a role, on a scope, that holds any action
/// the granter does not itself hold there. Returns the first (action,
/// resource) within `scope` that `role` held on `scope` gives (see `mode`)
/// and `granter` (key scope and grants) does not hold, or nullopt when the
/// granter holds all of it. Exact over every resource name: the check
/// visits one representative of each class of names that the statements
/// of both sides tell apart (each id named by some pattern, and "{any}").
/// ResourceExhausted when the patterns make more than `max_resources`
/// classes (the caller then refuses the grant).
absl::StatusOr<std::optional<Ungrantable>> FindUngrantable(
    absl::string_view granter_key_scope,
    const std::vector<RoleGrant>& granter_grants, const control::v1::Role& role,
    absl::string_view scope, GrantCheckMode mode, int max_resources = 20000);

/// The role with only its DENY statements: what taking the role away from
/// a holder frees (checked in GrantCheckMode::kNamed).
control::v1::Role DenyStatements(const control::v1::Role& role);

/// InvalidArgument unless the statements are well formed: an effect, at
/// least one action, each a known action, "service.*" or "*"; resource
/// patterns (ValidateResourcePattern) within `org` ("organizations/{org}").
absl::Status ValidateStatements(
    const google::protobuf::RepeatedPtrField<control::v1::Statement>& stmts,
    absl::string_view org);

/// InvalidArgument naming `field` unless `pattern` is a resource pattern:
/// collections (projects, environments, clusters, backups) alternating with
/// ids ([a-z0-9-], 1 to 63) or "*", "**" only as the last segment; or the
/// same below "organizations/{id of org}" (absolute). No empty segments.
absl::Status ValidateResourcePattern(absl::string_view field,
                                     absl::string_view pattern,
                                     absl::string_view org);

}  // namespace cove::cloud

#endif  // COVE_SRC_CLOUD_PERMISSIONS_H_
