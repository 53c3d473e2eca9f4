// Support sessions of a data plane (support_access.h).
#include "server/support_access.h"

#include <set>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "auth/auth_store.h"
#include "auth/password.h"

namespace cove::server {

std::string SupportPasswordTag(const std::string& password) {
  return auth::HmacSha256("cove-support-access", password);
}

bool IsSupportUser(const std::string& user) {
  return absl::StartsWith(user, kSupportUserPrefix);
}

void SupportSessions::Set(std::vector<SupportSession> sessions) {
  std::map<std::string, SupportSession> by_id;
  for (SupportSession& s : sessions) {
    const size_t slash = s.grant.rfind('/');
    std::string id =
        slash == std::string::npos ? s.grant : s.grant.substr(slash + 1);
    by_id[id] = std::move(s);
  }
  absl::MutexLock lock(&mu_);
  by_id_.swap(by_id);
}

absl::StatusOr<std::string> SupportSessions::Check(
    const std::string& user, const std::string& password) const {
  const absl::Status refused = absl::UnauthenticatedError(
      "authentication: support access is not granted (no active grant "
      "with these credentials on this cluster)");
  if (!IsSupportUser(user)) return refused;
  const std::string id = user.substr(sizeof(kSupportUserPrefix) - 1);
  const std::string tag = SupportPasswordTag(password);
  absl::MutexLock lock(&mu_);
  auto it = by_id_.find(id);
  if (it == by_id_.end() ||
      !auth::ConstantTimeEquals(it->second.password_tag, tag)) {
    return refused;
  }
  return it->second.grant;
}

size_t SupportSessions::size() const {
  absl::MutexLock lock(&mu_);
  return by_id_.size();
}

bool SupportPrivilegeAllowed(const std::string& privilege) {
  static const std::set<std::string>* const allowed = [] {
    auto* s = new std::set<std::string>();
    for (const char* group :
         {"ClusterReadOnly", "DatabaseReadOnly", "CollectionReadOnly"}) {
      for (const std::string& p :
           auth::AuthStore::BuiltinGroupPrivileges(group))
        s->insert(p);
    }
    return s;
  }();
  return allowed->count(privilege) != 0;
}

}  // namespace cove::server
