// Authentication and authorization: the auth store, and a server with auth
// on, seen through the remote client.
#include <memory>
#include <string>

#include "auth/auth_store.h"
#include "cove/client.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "server/server_fixture.h"
#include "testing/status_matchers.h"

namespace cove {
namespace {

using ::cove::testing::IsOk;
using ::cove::testing::StatusIs;
using ::testing::Contains;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Not;

constexpr char kRootPassword[] = "root-password-1";

TEST(PasswordTest, HashIsSaltedAndVerifies) {
  ASSERT_OK_AND_ASSIGN(auth::PasswordHash a,
                       auth::HashPassword("hunter22", 10));
  ASSERT_OK_AND_ASSIGN(auth::PasswordHash b,
                       auth::HashPassword("hunter22", 10));
  EXPECT_NE(a.salt, b.salt);
  EXPECT_NE(a.hash, b.hash);
  EXPECT_EQ(a.hash.size(), 32u);
  EXPECT_THAT(a.hash, Not(HasSubstr("hunter22")));
  EXPECT_TRUE(auth::VerifyPassword("hunter22", a));
  EXPECT_FALSE(auth::VerifyPassword("hunter23", a));
  EXPECT_FALSE(auth::VerifyPassword("", a));
  EXPECT_EQ(auth::kDefaultPbkdf2Iterations, 600000);
}

TEST(AuthStoreTest, UsersRolesAndChecks) {
  auth::AuthStore::Options options;
  options.pbkdf2_iterations = 100;
  auth::AuthStore store(options);
  ASSERT_THAT(store.CreateUser("root", kRootPassword), IsOk());
  ASSERT_THAT(store.CreateUser("alice", "alice-pw"), IsOk());
  EXPECT_THAT(store.CreateUser("alice", "alice-pw"),
              StatusIs(absl::StatusCode::kAlreadyExists));
  EXPECT_THAT(store.CreateUser("bad name", "alice-pw"),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(
      store.CreateUser("bob", "short"),
      StatusIs(absl::StatusCode::kInvalidArgument, Not(HasSubstr("short"))));
  EXPECT_THAT(store.Authenticate("alice", "alice-pw"), IsOk());
  EXPECT_THAT(store.Authenticate("alice", "alice-pw"), IsOk());  // cached
  EXPECT_THAT(
      store.Authenticate("alice", "wrong-pw"),
      StatusIs(absl::StatusCode::kUnauthenticated, Not(HasSubstr("wrong-pw"))));
  EXPECT_THAT(store.Authenticate("nobody", "alice-pw"),
              StatusIs(absl::StatusCode::kUnauthenticated));

  // Root may do anything; alice only what public and her roles allow.
  EXPECT_THAT(store.Check("root", "DropCollection", "Global", "*", ""), IsOk());
  EXPECT_THAT(store.Check("alice", "DescribeCollection", "Global", "*", ""),
              IsOk());
  EXPECT_THAT(
      store.Check("alice", "Search", "Collection", "docs", ""),
      StatusIs(absl::StatusCode::kPermissionDenied, HasSubstr("Search")));
  ASSERT_THAT(store.CreateRole("reader"), IsOk());
  Grant grant;
  grant.role = "reader";
  grant.object_type = "Collection";
  grant.object_name = "docs";
  grant.privilege = "CollectionReadOnly";
  ASSERT_THAT(store.GrantPrivilege(grant), IsOk());
  ASSERT_THAT(store.GrantRole("alice", "reader"), IsOk());
  EXPECT_THAT(store.Check("alice", "Search", "Collection", "docs", ""), IsOk());
  EXPECT_THAT(store.Check("alice", "Query", "Collection", "docs", "default"),
              IsOk());
  EXPECT_THAT(store.Check("alice", "Search", "Collection", "other", ""),
              StatusIs(absl::StatusCode::kPermissionDenied));
  EXPECT_THAT(store.Check("alice", "Search", "Collection", "docs", "db2"),
              StatusIs(absl::StatusCode::kPermissionDenied));
  EXPECT_THAT(
      store.Check("alice", "Insert", "Collection", "docs", ""),
      StatusIs(absl::StatusCode::kPermissionDenied, HasSubstr("Insert")));
  EXPECT_THAT(store.DropRole("reader", false),
              StatusIs(absl::StatusCode::kFailedPrecondition));
  ASSERT_OK_AND_ASSIGN(UserInfo info, store.DescribeUser("alice"));
  EXPECT_THAT(info.roles, ElementsAre("reader"));
  ASSERT_THAT(store.GrantRole("alice", "admin"), IsOk());
  EXPECT_THAT(store.Check("alice", "DropCollection", "Global", "*", ""),
              IsOk());
  EXPECT_THAT(store.DeleteUser("root"),
              StatusIs(absl::StatusCode::kInvalidArgument));

  // A changed password invalidates the remembered one.
  ASSERT_THAT(store.UpdatePassword("alice", "alice-pw", "alice-pw2", true),
              IsOk());
  EXPECT_THAT(store.Authenticate("alice", "alice-pw"),
              StatusIs(absl::StatusCode::kUnauthenticated));
  EXPECT_THAT(store.Authenticate("alice", "alice-pw2"), IsOk());
  EXPECT_THAT(store.UpdatePassword("alice", "nope-nope", "x-pw-long", true),
              StatusIs(absl::StatusCode::kUnauthenticated));
}

class AuthServerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    server::ServerOptions options = cove::testing::TestServerOptions();
    options.auth_enabled = true;
    options.root_password = kRootPassword;
    auto server = cove::testing::StartTestServer(options);
    ASSERT_THAT(server, IsOk());
    server_ = *std::move(server);
  }

  absl::StatusOr<Client> As(const std::string& user,
                            const std::string& password) {
    ClientOptions options = cove::testing::TestClientOptions();
    options.remote.user = user;
    options.remote.password = password;
    return cove::testing::ConnectTo(*server_, options);
  }

  std::unique_ptr<server::Server> server_;
};

TEST_F(AuthServerTest, WrongCredentialsAreUnauthenticated) {
  EXPECT_THAT(As("root", "not-the-password"),
              StatusIs(absl::StatusCode::kUnauthenticated,
                       Not(HasSubstr("not-the-password"))));
  EXPECT_THAT(As("ghost", kRootPassword),
              StatusIs(absl::StatusCode::kUnauthenticated));
  EXPECT_THAT(
      cove::testing::ConnectTo(*server_),
      StatusIs(absl::StatusCode::kUnauthenticated, HasSubstr("authorization")));
  ClientOptions token = cove::testing::TestClientOptions();
  token.remote.token = std::string("root:") + kRootPassword;
  EXPECT_THAT(cove::testing::ConnectTo(*server_, token), IsOk());
  token.remote.token = "some-api-key";
  EXPECT_THAT(cove::testing::ConnectTo(*server_, token),
              StatusIs(absl::StatusCode::kUnauthenticated));
}

TEST_F(AuthServerTest, MissingPrivilegeIsPermissionDenied) {
  ASSERT_OK_AND_ASSIGN(Client root, As("root", kRootPassword));
  ASSERT_THAT(root.CreateCollection("docs", 2), IsOk());
  ASSERT_THAT(
      root.Insert("docs", {Row{{"id", Value(1)},
                               {"vector", Value::FloatVector({1, 0})}}}),
      IsOk());
  ASSERT_THAT(root.connection()->CreateUser("alice", "alice-pw", {}), IsOk());
  ASSERT_OK_AND_ASSIGN(auto users, root.connection()->ListUsers({}));
  EXPECT_THAT(users, Contains("alice"));

  ASSERT_OK_AND_ASSIGN(Client alice, As("alice", "alice-pw"));
  SearchRequest search;
  search.collection_name = "docs";
  search.vectors = {1, 0};
  search.dim = 2;
  EXPECT_THAT(
      alice.Search(search),
      StatusIs(absl::StatusCode::kPermissionDenied, HasSubstr("Search")));
  EXPECT_THAT(alice.CreateCollection("mine", 2),
              StatusIs(absl::StatusCode::kPermissionDenied,
                       HasSubstr("CreateCollection")));
  EXPECT_THAT(
      alice.Insert("docs", {Row{{"id", Value(2)},
                                {"vector", Value::FloatVector({0, 1})}}}),
      StatusIs(absl::StatusCode::kPermissionDenied, HasSubstr("Insert")));
  // The public role may describe.
  EXPECT_THAT(alice.DescribeCollection("docs"), IsOk());

  // Grant Search on docs through a role.
  ASSERT_THAT(root.connection()->CreateRole("reader", {}), IsOk());
  Grant grant;
  grant.role = "reader";
  grant.object_type = "Collection";
  grant.object_name = "docs";
  grant.privilege = "Search";
  ASSERT_THAT(root.connection()->GrantPrivilege(grant, {}), IsOk());
  ASSERT_THAT(root.connection()->GrantRole("alice", "reader", {}), IsOk());
  ASSERT_OK_AND_ASSIGN(SearchResults results, alice.Search(search));
  ASSERT_EQ(results.hits.size(), 1u);
  QueryRequest query;
  query.collection_name = "docs";
  query.filter = "id > 0";
  EXPECT_THAT(alice.Query(query), StatusIs(absl::StatusCode::kPermissionDenied,
                                           HasSubstr("Query")));
  ASSERT_OK_AND_ASSIGN(auto grants,
                       root.connection()->ListGrants("reader", {}));
  ASSERT_EQ(grants.size(), 1u);
  EXPECT_EQ(grants[0].privilege, "Search");
  EXPECT_EQ(grants[0].object_name, "docs");
  EXPECT_EQ(grants[0].grantor, "root");
  ASSERT_OK_AND_ASSIGN(UserInfo info,
                       root.connection()->DescribeUser("alice", {}));
  EXPECT_THAT(info.roles, ElementsAre("reader"));
  Grant bogus = grant;
  bogus.privilege = "Teleport";
  EXPECT_THAT(
      root.connection()->GrantPrivilege(bogus, {}),
      StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("Teleport")));

  // Users may change their own password (old one required).
  EXPECT_THAT(
      alice.connection()->UpdatePassword("alice", "alice-pw", "alice-pw2", {}),
      IsOk());
  EXPECT_THAT(As("alice", "alice-pw"),
              StatusIs(absl::StatusCode::kUnauthenticated));
  // The old session's credentials no longer work.
  EXPECT_THAT(alice.DescribeCollection("docs"),
              StatusIs(absl::StatusCode::kUnauthenticated));
  ASSERT_OK_AND_ASSIGN(Client alice2, As("alice", "alice-pw2"));
  // ... and users cannot touch other users' accounts.
  ASSERT_THAT(root.connection()->CreateUser("bob", "bob-pw-1", {}), IsOk());
  EXPECT_THAT(alice2.connection()->DropUser("bob", {}),
              StatusIs(absl::StatusCode::kPermissionDenied,
                       HasSubstr("DropOwnership")));
  EXPECT_THAT(
      alice2.connection()->UpdatePassword("bob", "bob-pw-1", "bob-pw-2", {}),
      StatusIs(absl::StatusCode::kPermissionDenied, HasSubstr("UpdateUser")));
}

}  // namespace
}  // namespace cove
