// cove-server over a data directory keeps users, roles and grants across
// restarts, and root keeps the password it was changed to.
#include <stdlib.h>

#include <filesystem>
#include <string>

#include "gtest/gtest.h"
#include "server/server.h"
#include "server_fixture.h"
#include "testing/status_matchers.h"

namespace cove::testing {
namespace {

std::string TempDir() {
  char tmpl[] = "/tmp/cove-users-XXXXXX";
  const char* dir = mkdtemp(tmpl);
  return dir == nullptr ? std::string() : std::string(dir);
}

server::ServerOptions Options(const std::string& dir) {
  server::ServerOptions options = TestServerOptions();
  options.data_dir = dir + "/data";
  options.auth_enabled = true;
  options.root_password = "first-root-pw";
  return options;
}

ClientOptions As(const std::string& user, const std::string& password) {
  ClientOptions options = TestClientOptions();
  options.remote.user = user;
  options.remote.password = password;
  options.remote.max_attempts = 1;
  return options;
}

TEST(UsersPersistTest, UsersRolesAndPasswordsSurviveRestart) {
  const std::string dir = TempDir();
  ASSERT_FALSE(dir.empty());
  {
    ASSERT_OK_AND_ASSIGN(auto server, server::StartServer(Options(dir)));
    ASSERT_OK_AND_ASSIGN(Client root,
                         ConnectTo(*server, As("root", "first-root-pw")));
    ASSERT_OK(root.CreateUser("alice", "alice-password"));
    ASSERT_OK(root.CreateRole("readers"));
    ASSERT_OK(root.GrantRole("alice", "readers"));
    ASSERT_OK(root.UpdatePassword("root", "first-root-pw", "second-root-pw"));
    server->Shutdown();
  }
  EXPECT_TRUE(std::filesystem::exists(dir + "/data/cove-users.json"));

  // The password option only applies when root is first created.
  ASSERT_OK_AND_ASSIGN(auto server, server::StartServer(Options(dir)));
  ASSERT_OK_AND_ASSIGN(Client root,
                       ConnectTo(*server, As("root", "second-root-pw")));
  ASSERT_OK_AND_ASSIGN(auto alice_info, root.DescribeUser("alice"));
  EXPECT_EQ(alice_info.roles, std::vector<std::string>{"readers"});
  ASSERT_OK_AND_ASSIGN(Client alice,
                       ConnectTo(*server, As("alice", "alice-password")));
  EXPECT_OK(alice.ListCollections().status());

  auto stale = ConnectTo(*server, As("root", "first-root-pw"));
  if (stale.ok()) {
    EXPECT_THAT(stale->ListUsers().status(),
                StatusIs(absl::StatusCode::kUnauthenticated));
  }
  server->Shutdown();
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace cove::testing
