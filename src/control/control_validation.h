// The control-plane client's checks of requests before any RPC: resource
// names and ids, paging, update masks. Each failure is InvalidArgument
// naming the field and the expected form.
#ifndef COVE_SRC_CONTROL_CONTROL_VALIDATION_H_
#define COVE_SRC_CONTROL_CONTROL_VALIDATION_H_

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "cove/control_types.h"

namespace cove::internal {

// Resource name patterns (see CheckName).
inline constexpr char kOrg[] = "organizations/{org}";
inline constexpr char kMember[] = "organizations/{org}/members/{*}";
inline constexpr char kInvitation[] = "organizations/{org}/invitations/{*}";
inline constexpr char kProject[] = "organizations/{org}/projects/{project}";
inline constexpr char kAnyProject[] = "organizations/{org}/projects/{-}";
inline constexpr char kEnvironment[] =
    "organizations/{org}/projects/{project}/environments/{environment}";
inline constexpr char kCluster[] =
    "organizations/{org}/projects/{project}/clusters/{cluster}";
inline constexpr char kBackup[] =
    "organizations/{org}/projects/{project}/clusters/{cluster}/backups/"
    "{backup}";
inline constexpr char kAnyCluster[] =
    "organizations/{org}/projects/{project}/clusters/{-}";
inline constexpr char kApiKey[] = "organizations/{org}/apiKeys/{*}";
inline constexpr char kCustomRole[] = "organizations/{org}/roles/{role}";
inline constexpr char kBuiltInRole[] = "roles/{*}";
inline constexpr char kRoleBinding[] = "organizations/{org}/roleBindings/{*}";
inline constexpr char kOperation[] = "operations/{*}";
inline constexpr char kAlertRule[] =
    "organizations/{org}/projects/{project}/alertRules/{rule}";

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

/// page_size within 0..1000; a filter only where the list takes one.
absl::Status CheckPaging(const control::ListRequest& r, bool has_filter);

/// The parent matches `pattern`, and CheckPaging.
absl::Status CheckList(const control::ListRequest& r, const char* pattern,
                       bool has_filter);

/// ListAuditEvents and ListOperations: the parent is an organization or a
/// project.
absl::Status CheckOrgOrProjectList(const control::ListRequest& r);

/// A non-empty update mask of non-empty field names.
absl::Status CheckMask(const std::vector<std::string>& mask);

/// A custom role ("organizations/{org}/roles/{role}") or a built-in one
/// ("roles/{*}").
absl::Status CheckRoleName(const std::string& field, const std::string& name);

}  // namespace cove::internal

#endif  // COVE_SRC_CONTROL_CONTROL_VALIDATION_H_
