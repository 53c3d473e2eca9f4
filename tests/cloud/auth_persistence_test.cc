// AuthStore persistence (used by the emulator's data planes): users, roles
// and grants survive a reopen; only hashes are written; a corrupt file is
// DataLoss.
#include <fstream>
#include <sstream>

#include "auth/auth_store.h"
#include "cloud/cloud_fixture.h"
#include "gmock/gmock.h"

namespace cove::cloud::testing {
namespace {

using ::cove::testing::IsOk;
using ::cove::testing::StatusIs;
using ::testing::HasSubstr;
using ::testing::Not;

TEST(AuthPersistenceTest, UsersSurviveReopenAsHashesOnly) {
  TempDir dir;
  auth::AuthStore::Options options;
  options.pbkdf2_iterations = 100;
  options.state_file = dir.path() + "/users.json";
  {
    ASSERT_OK_AND_ASSIGN(auto store, auth::AuthStore::Open(options));
    ASSERT_OK(store->CreateUser("root", "root-secret-1"));
    ASSERT_OK(store->CreateUser("alice", "alice-secret"));
    ASSERT_OK(store->CreateRole("reader"));
    Grant g;
    g.role = "reader";
    g.object_type = "Collection";
    g.object_name = "docs";
    g.privilege = "Search";
    ASSERT_OK(store->GrantPrivilege(g));
    ASSERT_OK(store->GrantRole("alice", "reader"));
  }
  std::ifstream in(options.state_file);
  std::stringstream text;
  text << in.rdbuf();
  EXPECT_THAT(text.str(), Not(HasSubstr("alice-secret")));
  ASSERT_OK_AND_ASSIGN(auto store, auth::AuthStore::Open(options));
  EXPECT_THAT(store->Authenticate("root", "root-secret-1"), IsOk());
  EXPECT_THAT(store->Authenticate("alice", "wrong-secret"),
              StatusIs(absl::StatusCode::kUnauthenticated));
  EXPECT_THAT(store->Check("alice", "Search", "Collection", "docs", ""),
              IsOk());
  std::ofstream(options.state_file) << "{not json";
  EXPECT_THAT(auth::AuthStore::Open(options),
              StatusIs(absl::StatusCode::kDataLoss));
}

}  // namespace
}  // namespace cove::cloud::testing
