// cove::auth::AuthStore: the users, roles and grants of a Cove server (Milvus
// RBAC), with password authentication and privilege checks.
//
// Model (as Milvus):
//   - users authenticate with a password, stored only as a PBKDF2 hash;
//   - the user "root" is a superuser and cannot be deleted;
//   - built-in roles: "admin" (every privilege) and "public" (held by every
//     user: Global DescribeCollection and ShowCollections, Collection
//     IndexDetail); neither can be dropped;
//   - a grant gives a role a privilege on an object: object_type "Global",
//     "Collection" or "User", object_name a name or "*", in a database (or
//     "*"); the privilege "All" and the groups CollectionReadOnly,
//     CollectionReadWrite and CollectionAdmin cover several privileges.
#ifndef COVE_SRC_AUTH_AUTH_STORE_H_
#define COVE_SRC_AUTH_AUTH_STORE_H_

#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "auth/password.h"
#include "cove/types.h"

namespace cove::auth {

/// The superuser.
inline constexpr char kRootUser[] = "root";
/// Built-in roles.
inline constexpr char kAdminRole[] = "admin";
inline constexpr char kPublicRole[] = "public";

/// Users, roles and grants, in memory.
///
/// Thread safety: every method may be called from many threads.
/// Passwords never appear in error messages.
class AuthStore {
 public:
  struct Options {
    /// PBKDF2 iterations of new password hashes (tests use fewer).
    int pbkdf2_iterations = kDefaultPbkdf2Iterations;
    /// When set, the users (password hashes only), roles and grants are kept
    /// in this JSON file: Open() loads it, and every change rewrites it
    /// atomically (temporary file, fsync, rename). The cloud emulator keeps
    /// a data plane's users across suspend, resume and restarts this way.
    std::string state_file;
  };

  AuthStore() : AuthStore(Options{}) {}
  explicit AuthStore(Options options);

  /// A store over `options.state_file`: loaded when the file exists, empty
  /// (built-in roles only) otherwise. DataLoss for an unreadable or corrupt
  /// file; InvalidArgument for an empty state_file.
  static absl::StatusOr<std::shared_ptr<AuthStore>> Open(Options options);

  /// Creates a user. InvalidArgument for a malformed name or a password
  /// outside 6..256 bytes; AlreadyExists when the name is taken.
  absl::Status CreateUser(const std::string& user, const std::string& password);
  /// Changes a password. With `check_old`, Unauthenticated unless
  /// `old_password` is the current one. NotFound for an unknown user.
  absl::Status UpdatePassword(const std::string& user,
                              const std::string& old_password,
                              const std::string& new_password, bool check_old);
  /// Deletes a user. NotFound; InvalidArgument for root.
  absl::Status DeleteUser(const std::string& user);
  std::vector<std::string> ListUsers() const;
  /// The user and its roles. NotFound.
  absl::StatusOr<UserInfo> DescribeUser(const std::string& user) const;
  bool HasUser(const std::string& user) const;

  /// OK when the password is right; Unauthenticated (not saying which part
  /// was wrong) otherwise. After one slow check, the user's password is
  /// remembered as an HMAC tag under a random per-process key, so that
  /// later calls are cheap; the tag is dropped when the password changes.
  absl::Status Authenticate(const std::string& user,
                            const std::string& password);

  absl::Status CreateRole(const std::string& role);
  /// InvalidArgument for built-in roles; FailedPrecondition when the role
  /// still has grants and `force` is false.
  absl::Status DropRole(const std::string& role, bool force);
  /// Roles (all, or the one named) with their users. NotFound.
  absl::StatusOr<std::vector<RoleInfo>> ListRoles(
      const std::string& only_role) const;
  absl::Status GrantRole(const std::string& user, const std::string& role);
  absl::Status RevokeRole(const std::string& user, const std::string& role);

  /// Adds a grant (idempotent). NotFound for an unknown role;
  /// InvalidArgument for an unknown object type.
  absl::Status GrantPrivilege(const Grant& grant);
  /// Removes a grant. NotFound when it does not exist.
  absl::Status RevokePrivilege(const Grant& grant);
  /// Grants of `role` (all roles when empty), optionally only those on
  /// `object_type` / `object_name` (empty: any).
  absl::StatusOr<std::vector<Grant>> ListGrants(
      const std::string& role, const std::string& object_type,
      const std::string& object_name, const std::string& db_name) const;

  // --- privilege groups (RBAC v2) ---------------------------------------

  /// Milvus' built-in groups: ClusterReadOnly/ReadWrite/Admin,
  /// DatabaseReadOnly/ReadWrite/Admin, CollectionReadOnly/ReadWrite/Admin.
  static const std::vector<std::string>& BuiltinGroups();
  /// The privileges of a built-in group (empty for other names).
  static std::vector<std::string> BuiltinGroupPrivileges(
      const std::string& group);
  /// True for privileges that apply to one collection (Collection objects);
  /// others are Global (cluster or database wide).
  static bool IsCollectionPrivilege(const std::string& privilege);

  /// InvalidArgument for a malformed or built-in name; AlreadyExists.
  absl::Status CreatePrivilegeGroup(const std::string& group);
  /// InvalidArgument for built-in groups; FailedPrecondition while a role
  /// holds a grant of it. Dropping an absent group succeeds (as Milvus).
  absl::Status DropPrivilegeGroup(const std::string& group);
  /// Adds (or removes) privileges to (from) a custom group. NotFound;
  /// InvalidArgument for built-in groups and unknown privilege names.
  absl::Status OperatePrivilegeGroup(const std::string& group,
                                     const std::vector<std::string>& privileges,
                                     bool add);
  /// Every group, built-in ones first, with its privileges.
  std::vector<std::pair<std::string, std::vector<std::string>>>
  ListPrivilegeGroups() const;
  /// True for a built-in or custom group.
  bool IsPrivilegeGroup(const std::string& name) const;

  // --- backup and restore --------------------------------------------------

  /// Everything a backup of the RBAC state holds. Passwords travel as
  /// their PBKDF2 hashes only ("pbkdf2-sha256$iterations$salt$hash", base64).
  struct Snapshot {
    struct User {
      std::string name;
      std::string password_hash;
      std::vector<std::string> roles;
    };
    std::vector<User> users;
    std::vector<std::string> roles;
    std::vector<Grant> grants;
    std::vector<std::pair<std::string, std::vector<std::string>>> groups;
  };
  /// Users (but root), custom roles, their grants and custom groups.
  Snapshot Backup() const;
  /// Adds what `snapshot` holds. AlreadyExists (naming it) when a user,
  /// role or group exists already; InvalidArgument for a password that is
  /// not a cove hash; nothing is changed on error.
  absl::Status Restore(const Snapshot& snapshot);

  /// OK when `user` may use `privilege` ("Search", "CreateCollection", ...)
  /// on the object. PermissionDenied naming the privilege and object
  /// otherwise. `db` empty means "default".
  absl::Status Check(const std::string& user, const std::string& privilege,
                     const std::string& object_type,
                     const std::string& object_name,
                     const std::string& db) const;

 private:
  struct UserRecord {
    PasswordHash password;
    std::set<std::string> roles;
  };
  struct RoleRecord {
    std::vector<Grant> grants;
  };

  bool CoversLocked(const std::string& granted, const std::string& wanted) const
      ABSL_SHARED_LOCKS_REQUIRED(mu_);
  // Rewrites options_.state_file (when set) with the current state.
  absl::Status SaveLocked() const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  absl::Status LoadFromFile();

  const Options options_;
  std::string cache_key_;  // random; keys the verified-password tags
  mutable absl::Mutex mu_;
  std::map<std::string, UserRecord> users_ ABSL_GUARDED_BY(mu_);
  std::map<std::string, RoleRecord> roles_ ABSL_GUARDED_BY(mu_);
  std::map<std::string, std::string> verified_ ABSL_GUARDED_BY(mu_);
  // Custom privilege groups and their privileges.
  std::map<std::string, std::set<std::string>> groups_ ABSL_GUARDED_BY(mu_);
};

}  // namespace cove::auth

#endif  // COVE_SRC_AUTH_AUTH_STORE_H_
