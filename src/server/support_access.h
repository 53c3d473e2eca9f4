// Support access on a data plane (issue 19): the vendor's support engineers
// reach a customer cluster only with an ACTIVE support access grant that an
// organization owner approved. The control plane gives the data plane the
// grants in force (never their passwords: an HMAC tag of each); a client
// signs in with the Milvus credentials "@support/{grant id}:{password}"
// ("@" and "/" never appear in a data-plane user name, so no user can be
// mistaken for a grant). Such a caller holds the read-only privileges
// (ClusterReadOnly, DatabaseReadOnly, CollectionReadOnly), and every call it
// makes is told to the host, which audits it under the grant's support
// principal.
#ifndef COVE_SRC_SERVER_SUPPORT_ACCESS_H_
#define COVE_SRC_SERVER_SUPPORT_ACCESS_H_

#include <map>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"

namespace cove::server {

/// The user-name prefix of support sessions.
inline constexpr char kSupportUserPrefix[] = "@support/";

/// The tag a data plane keeps of a grant's password.
std::string SupportPasswordTag(const std::string& password);

/// One grant in force on a data plane.
struct SupportSession {
  std::string grant;         ///< "organizations/{org}/supportGrants/{id}"
  std::string password_tag;  ///< SupportPasswordTag(password)
};

/// A call made with a support session, as told to the host.
struct SupportCall {
  std::string grant;
  std::string peer;
  std::string method;  ///< the Milvus RPC ("Search")
  absl::StatusCode code = absl::StatusCode::kOk;
  std::string message;  ///< the error's, if it failed
  absl::Time time;
};

/// The grants in force on one data plane.
///
/// Thread safety: every method may be called from any thread.
class SupportSessions {
 public:
  /// Replaces the sessions (a grant left out is closed at once).
  void Set(std::vector<SupportSession> sessions);
  /// The grant of `user` ("@support/{id}") when `password` opens one in
  /// force; UNAUTHENTICATED otherwise (never saying which part is wrong).
  absl::StatusOr<std::string> Check(const std::string& user,
                                    const std::string& password) const;
  size_t size() const;

 private:
  mutable absl::Mutex mu_;
  // By grant id (the last segment of the grant's name).
  std::map<std::string, SupportSession> by_id_ ABSL_GUARDED_BY(mu_);
};

/// True for a user name of the support form ("@support/...").
bool IsSupportUser(const std::string& user);

/// True when a support session may use `privilege` (a read-only one).
bool SupportPrivilegeAllowed(const std::string& privilege);

}  // namespace cove::server

#endif  // COVE_SRC_SERVER_SUPPORT_ACCESS_H_
