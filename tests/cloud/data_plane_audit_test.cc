// Audit (issue 13, items 9 and 10): a cluster's data plane's refused calls
// (failed authentication, missing privileges) are audit events of the
// control plane with actor, cluster, source address, privilege and time; a
// disabled or expired key is audited under its own name, not "anonymous".
// Agent mode: tests/agent/agent_audit_test.cc.
#include "absl/strings/match.h"
#include "cloud/cloud_fixture.h"
#include "gmock/gmock.h"

namespace cove::cloud::testing {
namespace {

using ::cove::testing::IsOk;
using ::cove::testing::StatusIs;
using ::testing::HasSubstr;
using ::testing::Not;

constexpr char kOrg[] = "organizations/acme";
constexpr char kAuditProject[] = "organizations/acme/projects/web";

class DataPlaneAuditTest : public CloudFixture {
 protected:
  void SetUp() override {
    CloudFixture::SetUp();
    ASSERT_OK_AND_ASSIGN(v1::Organization org, MakeOrg("acme"));
    ASSERT_THAT(MakeProject("acme", "web"), IsOk());
    ASSERT_THAT(MakeEnv(kAuditProject, "env", org.external_id()), IsOk());
    ASSERT_OK_AND_ASSIGN(
        v1::Operation op,
        StartCluster(kAuditProject,
                     std::string(kAuditProject) + "/environments/env",
                     "search"));
    ASSERT_OK_AND_ASSIGN(created_, Wait(op.name()));
    ASSERT_EQ(created_.cluster().state(), v1::Cluster::RUNNING);
  }

  const std::string cluster_ = std::string(kAuditProject) + "/clusters/search";
  v1::Operation created_;
};

TEST_F(DataPlaneAuditTest, RefusedLoginsAndPrivilegesAreAuditEvents) {
  const std::string endpoint = created_.cluster().endpoint();
  const std::string password = created_.cluster().admin_password();
  // A wrong password, and a user without privileges.
  EXPECT_THAT(DataClient(endpoint, "not-the-password"),
              StatusIs(absl::StatusCode::kUnauthenticated));
  ASSERT_OK_AND_ASSIGN(Client root, DataClient(endpoint, password));
  ASSERT_OK(root.CreateUser("reader", "reader-password-1"));
  ClientOptions options;
  options.remote.user = "reader";
  options.remote.password = "reader-password-1";
  options.remote.max_attempts = 1;
  ASSERT_OK_AND_ASSIGN(Client reader, Client::Open(endpoint, options));
  EXPECT_THAT(reader.CreateCollection("docs", 2),
              StatusIs(absl::StatusCode::kPermissionDenied));
  // A successful call is not a refusal.
  ASSERT_OK(root.CreateCollection("docs", 2));

  std::vector<v1::AuditEvent> events =
      Audit(kOrg, "resource=" + cluster_ + " AND outcome=DENIED");
  ASSERT_EQ(events.size(), 2u);
  const v1::AuditEvent& login = events[0];
  EXPECT_EQ(login.action(), "dataPlane.authenticate");
  EXPECT_EQ(login.actor(), cluster_ + "/users/root");
  EXPECT_EQ(login.resource(), cluster_);
  EXPECT_EQ(login.status_code(), 16);
  EXPECT_THAT(login.client_address(), HasSubstr("127.0.0.1"));
  EXPECT_THAT(login.message(), HasSubstr("Connect"));
  EXPECT_TRUE(login.has_time());
  // Never the password tried.
  EXPECT_THAT(login.DebugString(), Not(HasSubstr("not-the-password")));
  const v1::AuditEvent& denied = events[1];
  EXPECT_EQ(denied.action(), "dataPlane.CreateCollection");
  EXPECT_EQ(denied.actor(), cluster_ + "/users/reader");
  EXPECT_EQ(denied.status_code(), 7);
  EXPECT_THAT(denied.client_address(), HasSubstr("127.0.0.1"));
  EXPECT_THAT(denied.message(), HasSubstr("reader"));
  // A project admin key of the cluster's project sees them; a read-only
  // one (no auditEvents.list) does not.
  ASSERT_OK_AND_ASSIGN(v1::ApiKey admin,
                       MakeKey("acme", "roles/project.admin", kAuditProject));
  v1::ListAuditEventsRequest list;
  list.set_parent(kAuditProject);
  list.set_filter("action=dataPlane.CreateCollection");
  ASSERT_OK_AND_ASSIGN(auto seen, Call(&v1::ControlPlane::Stub::ListAuditEvents,
                                       list, admin.secret()));
  EXPECT_EQ(seen.audit_events_size(), 1);
  ASSERT_OK_AND_ASSIGN(
      v1::ApiKey ro, MakeKey("acme", "roles/project.read_only", kAuditProject));
  EXPECT_THAT(Call(&v1::ControlPlane::Stub::ListAuditEvents, list, ro.secret()),
              StatusIs(absl::StatusCode::kPermissionDenied));
}

TEST_F(DataPlaneAuditTest, DisabledAndExpiredKeysAreAuditedUnderTheirName) {
  ASSERT_OK_AND_ASSIGN(
      v1::ApiKey key,
      MakeKey("acme", "roles/project.read_only", kAuditProject));
  v1::GetRequest get;
  get.set_name(cluster_);
  ASSERT_THAT(GetCluster(cluster_, key.secret()), IsOk());
  v1::UpdateApiKeyRequest off;
  off.mutable_api_key()->set_name(key.name());
  off.mutable_api_key()->set_enabled(false);
  off.mutable_update_mask()->add_paths("enabled");
  ASSERT_OK(
      Call(&v1::ControlPlane::Stub::UpdateApiKey, off, kAdminKey).status());
  EXPECT_THAT(
      GetCluster(cluster_, key.secret()),
      StatusIs(absl::StatusCode::kUnauthenticated, HasSubstr("disabled")));
  auto events = Audit(kOrg, "actor=" + key.name() + " AND outcome=DENIED");
  ASSERT_EQ(events.size(), 1u);
  EXPECT_THAT(events[0].message(), HasSubstr("disabled"));
  EXPECT_EQ(events[0].status_code(), 16);

  // Expired, on the manual clock.
  v1::SetClockRequest clock;
  ASSERT_OK(Emu(&v1::Emulator::Stub::SetClock, clock).status());
  v1::CreateApiKeyRequest req;
  req.set_parent(kOrg);
  req.mutable_api_key()->set_role("roles/project.read_only");
  req.mutable_api_key()->set_scope(kAuditProject);
  ASSERT_OK_AND_ASSIGN(
      v1::EmulatorSettings settings,
      Emu(&v1::Emulator::Stub::GetSettings, v1::GetSettingsRequest()));
  *req.mutable_api_key()->mutable_expire_time() = settings.now();
  req.mutable_api_key()->mutable_expire_time()->set_seconds(
      settings.now().seconds() + 3600);
  ASSERT_OK_AND_ASSIGN(
      v1::ApiKey expiring,
      Call(&v1::ControlPlane::Stub::CreateApiKey, req, kAdminKey));
  v1::AdvanceClockRequest advance;
  advance.mutable_by()->set_seconds(7200);
  ASSERT_OK(Emu(&v1::Emulator::Stub::AdvanceClock, advance).status());
  EXPECT_THAT(
      GetCluster(cluster_, expiring.secret()),
      StatusIs(absl::StatusCode::kUnauthenticated, HasSubstr("expired")));
  events = Audit(kOrg, "actor=" + expiring.name());
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].outcome(), v1::AuditEvent::DENIED);
  EXPECT_THAT(events[0].message(), HasSubstr("expired"));

  // A wrong secret claiming the key's id is not the key: anonymous.
  std::string forged = expiring.secret();
  forged.back() = forged.back() == 'a' ? 'b' : 'a';
  EXPECT_THAT(GetCluster(cluster_, forged),
              StatusIs(absl::StatusCode::kUnauthenticated));
  EXPECT_EQ(Audit(kOrg, "actor=" + expiring.name()).size(), 1u);
}

}  // namespace
}  // namespace cove::cloud::testing
