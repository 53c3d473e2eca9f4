// Secrets are kept only as salted slow hashes and never leak: every password,
// API key and agent token a test uses is searched for in the servers' files,
// their stderr (with RPC logging on), error messages and audit events.
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "cloud/cloud_fixture.h"
#include "cove/client.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "server/server_fixture.h"
#include "testing/status_matchers.h"

namespace cove {
namespace {

using ::cove::testing::IsOk;
using ::cove::testing::StatusIs;
using ::testing::HasSubstr;
using ::testing::Not;

// Captures stderr until Take() or destruction (so that a failed ASSERT does
// not leave the capture on for the next test).
class StderrCapture {
 public:
  StderrCapture() { ::testing::internal::CaptureStderr(); }
  ~StderrCapture() {
    if (!taken_) (void)::testing::internal::GetCapturedStderr();
  }
  std::string Take() {
    taken_ = true;
    return ::testing::internal::GetCapturedStderr();
  }

 private:
  bool taken_ = false;
};

// Every regular file under `dir`, as (path, contents).
std::vector<std::pair<std::string, std::string>> FilesUnder(
    const std::string& dir) {
  std::vector<std::pair<std::string, std::string>> out;
  for (const auto& entry : std::filesystem::recursive_directory_iterator(dir)) {
    if (!entry.is_regular_file()) continue;
    std::ifstream in(entry.path(), std::ios::binary);
    std::stringstream buf;
    buf << in.rdbuf();
    out.emplace_back(entry.path().string(), buf.str());
  }
  return out;
}

// Fails for each secret found in `text` (named `where`).
void ExpectNoSecret(const std::vector<std::string>& secrets,
                    const std::string& where, const std::string& text) {
  for (const std::string& secret : secrets) {
    EXPECT_FALSE(absl::StrContains(text, secret))
        << "secret '" << secret << "' found in " << where;
  }
}

TEST(SecretsTest, DataPlanePasswordsNeverLeak) {
  cloud::testing::TempDir dir;
  const std::string kRoot = "Root-pw-4f1c9e2a";
  const std::string kAlice1 = "Alice-pw-8d2b7a61";
  const std::string kAlice2 = "Alice-pw-new-3e9f0c55";
  const std::string kWrong = "Wrong-pw-6a0d1b73";
  const std::vector<std::string> secrets = {kRoot, kAlice1, kAlice2, kWrong};

  StderrCapture capture;
  std::vector<std::string> errors;
  {
    server::ServerOptions options = cove::testing::TestServerOptions();
    options.auth_enabled = true;
    options.root_password = kRoot;
    options.data_dir = dir.path();  // users persist in cove-users.json
    auto server = server::StartServer(options);
    ASSERT_THAT(server, IsOk());

    ClientOptions root = cove::testing::TestClientOptions();
    root.remote.user = "root";
    root.remote.password = kRoot;
    root.remote.log_rpcs = true;  // logging must not print credentials
    auto admin = cove::testing::ConnectTo(**server, root);
    ASSERT_THAT(admin, IsOk());
    ASSERT_THAT(admin->CreateUser("alice", kAlice1), IsOk());
    {
      // Alice changes her own password; a wrong old one is refused.
      ClientOptions own = cove::testing::TestClientOptions();
      own.remote.user = "alice";
      own.remote.password = kAlice1;
      own.remote.log_rpcs = true;
      auto alice = cove::testing::ConnectTo(**server, own);
      ASSERT_THAT(alice, IsOk());
      absl::Status s = alice->UpdatePassword("alice", kWrong, kAlice2);
      EXPECT_FALSE(s.ok());
      errors.push_back(s.ToString());
      ASSERT_THAT(alice->UpdatePassword("alice", kAlice1, kAlice2), IsOk());
    }

    for (const std::string& password : {kWrong, kAlice1}) {
      ClientOptions bad = cove::testing::TestClientOptions();
      bad.remote.user = "alice";
      bad.remote.password = password;
      bad.remote.max_attempts = 1;
      bad.remote.log_rpcs = true;
      auto client = cove::testing::ConnectTo(**server, bad);
      absl::Status status =
          client.ok() ? client->ListCollections().status() : client.status();
      EXPECT_THAT(status, StatusIs(absl::StatusCode::kUnauthenticated));
      errors.push_back(status.ToString());
    }
    ClientOptions token = cove::testing::TestClientOptions();
    token.remote.token = "alice:" + kWrong;
    token.remote.max_attempts = 1;
    auto by_token = cove::testing::ConnectTo(**server, token);
    absl::Status status = by_token.ok() ? by_token->ListCollections().status()
                                        : by_token.status();
    EXPECT_FALSE(status.ok());
    errors.push_back(status.ToString());

    ClientOptions good = cove::testing::TestClientOptions();
    good.remote.user = "alice";
    good.remote.password = kAlice2;
    auto alice = cove::testing::ConnectTo(**server, good);
    ASSERT_THAT(alice, IsOk());
    EXPECT_THAT(alice->ListCollections(), IsOk());
  }
  const std::string log = capture.Take();

  EXPECT_THAT(log, HasSubstr("CreateCredential"));  // logging was on
  ExpectNoSecret(secrets, "stderr", log);
  for (const std::string& e : errors) ExpectNoSecret(secrets, "an error", e);
  bool saw_users = false;
  for (const auto& [path, contents] : FilesUnder(dir.path())) {
    ExpectNoSecret(secrets, path, contents);
    if (absl::EndsWith(path, "cove-users.json")) {
      saw_users = true;
      EXPECT_THAT(contents, HasSubstr("alice"));
    }
  }
  EXPECT_TRUE(saw_users) << "users were not persisted under " << dir.path();
}

class ControlSecretsTest : public cloud::testing::CloudFixture {};

TEST_F(ControlSecretsTest, KeysTokensAndPasswordsNeverLeak) {
  namespace v1 = ::cove::control::v1;
  using cloud::testing::kAdminKey;
  StderrCapture capture;
  std::vector<std::string> secrets = {kAdminKey};
  std::vector<std::string> errors;

  auto org = MakeOrg("acme", "owner@example.com");
  ASSERT_THAT(org, IsOk());
  ASSERT_THAT(MakeProject("acme", "web"), IsOk());
  const std::string project = "organizations/acme/projects/web";
  auto key = MakeKey("acme", "roles/project.read_only", project);
  ASSERT_THAT(key, IsOk());
  ASSERT_FALSE(key->secret().empty());
  secrets.push_back(key->secret());

  // Agent token (one-time) of an agent-mode environment.
  v1::CreateEnvironmentRequest agent_env =
      EnvRequest(project, "agentenv", org->external_id());
  agent_env.mutable_environment()->set_mode(v1::Environment::AGENT);
  agent_env.mutable_environment()->clear_role_arn();
  agent_env.mutable_environment()->clear_external_id();
  auto env =
      Call(&v1::ControlPlane::Stub::CreateEnvironment, agent_env, kAdminKey);
  ASSERT_THAT(env, IsOk());
  ASSERT_FALSE(env->agent_token().empty());
  secrets.push_back(env->agent_token());

  // The data-plane admin password of a new cluster.
  ASSERT_THAT(MakeEnv(project, "env1", org->external_id()), IsOk());
  auto op =
      StartCluster(project, project + "/environments/env1", "secret-test");
  ASSERT_THAT(op, IsOk());
  auto done = Wait(op->name());
  ASSERT_THAT(done, IsOk());
  ASSERT_EQ(done->error_code(), 0) << done->error_message();
  ASSERT_FALSE(done->cluster().admin_password().empty());
  secrets.push_back(done->cluster().admin_password());

  // Wrong and malformed keys, and a read-only key trying to write.
  const std::string wrong =
      absl::StrCat(key->secret().substr(0, key->secret().size() - 4), "zzzz");
  secrets.push_back(wrong);
  for (const std::string& k :
       {wrong, std::string("cove_nosuchid_abcdef123"), key->secret()}) {
    auto denied = MakeProject("acme", "other", k);
    EXPECT_FALSE(denied.ok());
    errors.push_back(denied.status().ToString());
  }
  secrets.push_back("cove_nosuchid_abcdef123");

  // A data-plane login with a wrong password.
  ClientOptions bad;
  bad.remote.user = "root";
  bad.remote.password = "Not-the-pw-2c8e";
  bad.remote.max_attempts = 1;
  secrets.push_back(bad.remote.password);
  auto client = Client::Open(done->cluster().endpoint(), bad);
  absl::Status s =
      client.ok() ? client->ListCollections().status() : client.status();
  EXPECT_THAT(s, StatusIs(absl::StatusCode::kUnauthenticated));
  errors.push_back(s.ToString());

  std::string audit;
  for (const v1::AuditEvent& e : Audit("organizations/acme")) {
    audit += e.DebugString();
  }
  EXPECT_THAT(audit, HasSubstr("apiKeys.create"));
  server_->Shutdown();  // flush the state files
  const std::string log = capture.Take();

  ExpectNoSecret(secrets, "stderr", log);
  ExpectNoSecret(secrets, "audit events", audit);
  for (const std::string& e : errors) ExpectNoSecret(secrets, "an error", e);
  int files = 0;
  for (const auto& [path, contents] : FilesUnder(state_.path())) {
    ExpectNoSecret(secrets, path, contents);
    ++files;
  }
  EXPECT_GT(files, 0);
}

}  // namespace
}  // namespace cove
