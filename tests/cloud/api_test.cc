// API conventions of the emulator: bad input, unknown ids, etags, request
// ids, key expiry and disabling, environments and their validation, lists,
// operations (wait, cancel) and fault injection.
#include <chrono>
#include <fstream>

#include "cloud/cloud_fixture.h"
#include "gmock/gmock.h"

namespace cove::cloud::testing {
namespace {

using ::cove::testing::IsOk;
using ::cove::testing::StatusIs;
using ::testing::AllOf;
using ::testing::HasSubstr;
using ::testing::Not;
using S = v1::ControlPlane::Stub;

constexpr char kApiProject[] = "organizations/acme/projects/web";

class ApiTest : public CloudFixture {
 protected:
  void SetUp() override {
    CloudFixture::SetUp();
    ASSERT_OK_AND_ASSIGN(org_, MakeOrg("acme", "owner@example.com"));
    ASSERT_THAT(MakeProject("acme", "web"), IsOk());
  }
  std::string ReadyEnv() {
    auto env = MakeEnv(kApiProject, "env1", org_.external_id());
    EXPECT_THAT(env, IsOk());
    return std::string(kApiProject) + "/environments/env1";
  }
  v1::Organization org_;
};

TEST_F(ApiTest, InvalidNamesAndUnknownIds) {
  v1::GetRequest get;
  get.set_name("organizations/ACME/projects/web");
  EXPECT_THAT(Call(&S::GetProject, get, kAdminKey),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       AllOf(HasSubstr("expected"), HasSubstr("got 'ACME'"))));
  get.set_name("projects/web");
  EXPECT_THAT(
      Call(&S::GetProject, get, kAdminKey),
      StatusIs(absl::StatusCode::kInvalidArgument,
               HasSubstr("organizations/{organization}/projects/{project}")));
  EXPECT_THAT(
      MakeProject("acme", "Bad_Id"),
      StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("project_id")));
  get.set_name("organizations/acme/projects/nope");
  EXPECT_THAT(Call(&S::GetProject, get, kAdminKey),
              StatusIs(absl::StatusCode::kNotFound, HasSubstr("nope")));
  get.set_name("operations/onope1234");
  EXPECT_THAT(Call(&S::GetOperation, get, kAdminKey),
              StatusIs(absl::StatusCode::kNotFound));
  EXPECT_THAT(MakeProject("acme", "web"),
              StatusIs(absl::StatusCode::kAlreadyExists));
  // Sizing rules.
  const std::string env = ReadyEnv();
  EXPECT_THAT(
      StartCluster(kApiProject, env, "odd", 3),
      StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("cu_size")));
  v1::CreateClusterRequest req;
  req.set_parent(kApiProject);
  req.set_cluster_id("replicated");
  req.mutable_cluster()->set_environment(env);
  req.mutable_cluster()->set_cu_size(4);
  req.mutable_cluster()->set_replicas(2);
  EXPECT_THAT(
      Call(&S::CreateCluster, req, kAdminKey),
      StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("cu_size >= 8")));
  req.mutable_cluster()->set_cu_size(64);
  req.mutable_cluster()->set_replicas(8);
  EXPECT_THAT(Call(&S::CreateCluster, req, kAdminKey),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("256")));
  req.mutable_cluster()->set_replicas(4);
  EXPECT_THAT(Call(&S::CreateCluster, req, kAdminKey), IsOk());
}

TEST_F(ApiTest, EtagsAndRequestIds) {
  v1::GetRequest get;
  get.set_name(kApiProject);
  ASSERT_OK_AND_ASSIGN(v1::Project p, Call(&S::GetProject, get, kAdminKey));
  v1::UpdateProjectRequest update;
  update.mutable_project()->set_name(kApiProject);
  update.mutable_project()->set_display_name("Web");
  update.mutable_project()->set_etag(p.etag());
  update.mutable_update_mask()->add_paths("display_name");
  ASSERT_OK_AND_ASSIGN(v1::Project updated,
                       Call(&S::UpdateProject, update, kAdminKey));
  EXPECT_NE(updated.etag(), p.etag());
  EXPECT_EQ(updated.display_name(), "Web");
  EXPECT_THAT(Call(&S::UpdateProject, update, kAdminKey),
              StatusIs(absl::StatusCode::kAborted, HasSubstr("stale")));
  update.mutable_update_mask()->add_paths("owner");
  EXPECT_THAT(Call(&S::UpdateProject, update, kAdminKey),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("owner")));

  v1::CreateProjectRequest create;
  create.set_parent("organizations/acme");
  create.set_project_id("once");
  create.set_request_id("req-1");
  ASSERT_OK_AND_ASSIGN(v1::Project first,
                       Call(&S::CreateProject, create, kAdminKey));
  ASSERT_OK_AND_ASSIGN(v1::Project again,
                       Call(&S::CreateProject, create, kAdminKey));
  EXPECT_EQ(again.SerializeAsString(), first.SerializeAsString());
  create.set_project_id("twice");
  EXPECT_THAT(Call(&S::CreateProject, create, kAdminKey),
              StatusIs(absl::StatusCode::kAlreadyExists, HasSubstr("req-1")));

  // Long-running verbs: the same request id gives the same operation.
  const std::string env = ReadyEnv();
  v1::CreateClusterRequest cluster;
  cluster.set_parent(kApiProject);
  cluster.set_cluster_id("idem");
  cluster.mutable_cluster()->set_environment(env);
  cluster.set_request_id("req-2");
  ASSERT_OK_AND_ASSIGN(v1::Operation op1,
                       Call(&S::CreateCluster, cluster, kAdminKey));
  ASSERT_OK_AND_ASSIGN(v1::Operation op2,
                       Call(&S::CreateCluster, cluster, kAdminKey));
  EXPECT_EQ(op1.name(), op2.name());
  ASSERT_OK_AND_ASSIGN(op1, Wait(op1.name()));
  // A stale etag on a state change is ABORTED.
  v1::ClusterActionRequest suspend;
  suspend.set_name(op1.target());
  suspend.set_etag("\"old\"");
  EXPECT_THAT(Call(&S::SuspendCluster, suspend, kAdminKey),
              StatusIs(absl::StatusCode::kAborted));
  // Deleting a project with clusters or environments is refused.
  v1::DeleteRequest del;
  del.set_name(kApiProject);
  EXPECT_THAT(
      Call(&S::DeleteProject, del, kAdminKey),
      StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("clusters")));
}

TEST_F(ApiTest, KeysExpireOnTheClockAndCanBeDisabled) {
  ASSERT_OK(Emu(&v1::Emulator::Stub::SetClock, v1::SetClockRequest()).status());
  ASSERT_OK_AND_ASSIGN(auto settings, Emu(&v1::Emulator::Stub::GetSettings,
                                          v1::GetSettingsRequest()));
  v1::CreateApiKeyRequest req;
  req.set_parent("organizations/acme");
  req.mutable_api_key()->set_role("roles/project.read_only");
  req.mutable_api_key()->set_scope(kApiProject);
  *req.mutable_api_key()->mutable_expire_time() = settings.now();
  req.mutable_api_key()->mutable_expire_time()->set_seconds(
      settings.now().seconds() + 3600);
  ASSERT_OK_AND_ASSIGN(v1::ApiKey key, Call(&S::CreateApiKey, req, kAdminKey));
  ASSERT_THAT(key.secret(), ::testing::StartsWith("cove_"));
  v1::GetRequest get;
  get.set_name(kApiProject);
  EXPECT_THAT(Call(&S::GetProject, get, key.secret()), IsOk());
  // The secret is not stored: reading the key back shows none.
  v1::GetRequest get_key;
  get_key.set_name(key.name());
  ASSERT_OK_AND_ASSIGN(v1::ApiKey read,
                       Call(&S::GetApiKey, get_key, kAdminKey));
  EXPECT_TRUE(read.secret().empty());
  std::ifstream db(state_.path() + "/state/cloud.db", std::ios::binary);
  std::string bytes((std::istreambuf_iterator<char>(db)),
                    std::istreambuf_iterator<char>());
  EXPECT_THAT(bytes, Not(HasSubstr(key.secret())));

  v1::AdvanceClockRequest advance;
  advance.mutable_by()->set_seconds(7200);
  ASSERT_OK(Emu(&v1::Emulator::Stub::AdvanceClock, advance).status());
  EXPECT_THAT(
      Call(&S::GetProject, get, key.secret()),
      StatusIs(absl::StatusCode::kUnauthenticated,
               AllOf(HasSubstr("expired"), Not(HasSubstr(key.secret())))));

  ASSERT_OK_AND_ASSIGN(v1::ApiKey other,
                       MakeKey("acme", "roles/project.read_only", kApiProject));
  v1::UpdateApiKeyRequest disable;
  disable.mutable_api_key()->set_name(other.name());
  disable.mutable_api_key()->set_enabled(false);
  disable.mutable_update_mask()->add_paths("enabled");
  ASSERT_OK(Call(&S::UpdateApiKey, disable, kAdminKey).status());
  EXPECT_THAT(
      Call(&S::GetProject, get, other.secret()),
      StatusIs(absl::StatusCode::kUnauthenticated, HasSubstr("disabled")));
  EXPECT_THAT(Call(&S::GetProject, get, ""),
              StatusIs(absl::StatusCode::kUnauthenticated));
  EXPECT_THAT(Call(&S::GetProject, get, "cove_000000000000_wrong"),
              StatusIs(absl::StatusCode::kUnauthenticated));
  std::string tampered = other.secret();
  tampered.back() = tampered.back() == 'a' ? 'b' : 'a';
  EXPECT_THAT(Call(&S::GetProject, get, tampered),
              StatusIs(absl::StatusCode::kUnauthenticated));
  auto denied = Audit("organizations/acme", "outcome=DENIED");
  EXPECT_GE(denied.size(), 2u);
}

TEST_F(ApiTest, EnvironmentsValidationExternalIdAndAgentMode) {
  // Wrong external ID: the environment is FAILED and takes no clusters.
  ASSERT_OK_AND_ASSIGN(v1::Environment bad,
                       MakeEnv(kApiProject, "wrong-ext", "cove-ext-not-ours"));
  EXPECT_EQ(bad.state(), v1::Environment::FAILED);
  EXPECT_THAT(bad.state_message(), HasSubstr("external_id"));
  EXPECT_THAT(
      StartCluster(kApiProject, bad.name(), "nope"),
      StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("is FAILED")));

  // Every problem reported with its field.
  v1::CreateEnvironmentRequest req =
      EnvRequest(kApiProject, "messy", org_.external_id());
  req.mutable_environment()->set_bucket("relative/dir");
  req.mutable_environment()->set_vpc_id("vpc-xyz");
  req.mutable_environment()->set_role_arn(
      "arn:aws:iam::999999999999:role/cove");
  ASSERT_OK_AND_ASSIGN(v1::Environment messy,
                       Call(&S::CreateEnvironment, req, kAdminKey));
  EXPECT_EQ(messy.state(), v1::Environment::FAILED);
  v1::ValidateEnvironmentRequest validate;
  validate.set_name(messy.name());
  ASSERT_OK_AND_ASSIGN(auto result,
                       Call(&S::ValidateEnvironment, validate, kAdminKey));
  EXPECT_FALSE(result.valid());
  std::set<std::string> fields;
  for (const auto& p : result.problems()) fields.insert(p.field());
  EXPECT_EQ(fields, (std::set<std::string>{"bucket", "vpc_id", "role_arn"}));

  // A bucket that is a file cannot hold data; fixing it outside makes the
  // environment READY on the next validation.
  const std::string file = state_.path() + "/not-a-dir";
  std::ofstream(file) << "x";
  req = EnvRequest(kApiProject, "filebucket", org_.external_id());
  req.mutable_environment()->set_bucket(file);
  ASSERT_OK_AND_ASSIGN(v1::Environment fb,
                       Call(&S::CreateEnvironment, req, kAdminKey));
  EXPECT_EQ(fb.state(), v1::Environment::FAILED);
  std::filesystem::remove(file);
  validate.set_name(fb.name());
  ASSERT_OK_AND_ASSIGN(result,
                       Call(&S::ValidateEnvironment, validate, kAdminKey));
  EXPECT_TRUE(result.valid());
  v1::GetRequest get;
  get.set_name(fb.name());
  ASSERT_OK_AND_ASSIGN(fb, Call(&S::GetEnvironment, get, kAdminKey));
  EXPECT_EQ(fb.state(), v1::Environment::READY);

  // Agent mode: a one-time token, AWAITING_AGENT, no clusters yet.
  v1::CreateEnvironmentRequest agent;
  agent.set_parent(kApiProject);
  agent.set_environment_id("agent1");
  agent.mutable_environment()->set_mode(v1::Environment::AGENT);
  ASSERT_OK_AND_ASSIGN(v1::Environment a,
                       Call(&S::CreateEnvironment, agent, kAdminKey));
  EXPECT_EQ(a.state(), v1::Environment::AWAITING_AGENT);
  EXPECT_FALSE(a.agent_token().empty());
  EXPECT_TRUE(a.has_agent_token_expire_time());
  EXPECT_THAT(StartCluster(kApiProject, a.name(), "early"),
              StatusIs(absl::StatusCode::kFailedPrecondition,
                       HasSubstr("AWAITING_AGENT")));
  get.set_name(a.name());
  ASSERT_OK_AND_ASSIGN(v1::Environment read,
                       Call(&S::GetEnvironment, get, kAdminKey));
  EXPECT_TRUE(read.agent_token().empty());
  v1::RotateAgentTokenRequest rotate;
  rotate.set_name(a.name());
  rotate.set_etag(read.etag());
  ASSERT_OK_AND_ASSIGN(v1::Environment rotated,
                       Call(&S::RotateAgentToken, rotate, kAdminKey));
  EXPECT_NE(rotated.agent_token(), a.agent_token());
  EXPECT_THAT(Call(&S::RotateAgentToken, rotate, kAdminKey),
              StatusIs(absl::StatusCode::kAborted));
  rotate.set_name(fb.name());
  rotate.clear_etag();
  EXPECT_THAT(Call(&S::RotateAgentToken, rotate, kAdminKey),
              StatusIs(absl::StatusCode::kFailedPrecondition,
                       HasSubstr("CROSS_ACCOUNT")));
}

TEST_F(ApiTest, PaginationAndFilters) {
  for (int i = 0; i < 7; ++i) {
    v1::CreateProjectRequest req;
    req.set_parent("organizations/acme");
    req.set_project_id(absl::StrCat("page-", i));
    req.mutable_project()->set_region(i % 2 == 0 ? "even" : "odd");
    ASSERT_OK(Call(&S::CreateProject, req, kAdminKey).status());
  }
  v1::ListProjectsRequest list;
  list.set_parent("organizations/acme");
  list.set_page_size(3);
  std::vector<std::string> names;
  int pages = 0;
  do {
    ASSERT_OK_AND_ASSIGN(auto resp, Call(&S::ListProjects, list, kAdminKey));
    for (const auto& p : resp.projects()) names.push_back(p.name());
    list.set_page_token(resp.next_page_token());
    ++pages;
  } while (!list.page_token().empty() && pages < 10);
  EXPECT_EQ(pages, 3);
  EXPECT_EQ(names.size(), 8u);  // web + 7
  EXPECT_TRUE(std::is_sorted(names.begin(), names.end()));
  list.set_page_token("garbage");
  EXPECT_THAT(
      Call(&S::ListProjects, list, kAdminKey),
      StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("page_token")));
  list.clear_page_token();
  list.set_page_size(0);
  list.set_filter("region=even");
  ASSERT_OK_AND_ASSIGN(auto even, Call(&S::ListProjects, list, kAdminKey));
  EXPECT_EQ(even.projects_size(), 4);
  list.set_filter("colour=red");
  EXPECT_THAT(
      Call(&S::ListProjects, list, kAdminKey),
      StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("colour")));
  list.set_page_size(-1);
  list.clear_filter();
  EXPECT_THAT(
      Call(&S::ListProjects, list, kAdminKey),
      StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("page_size")));
  // Audit events filter and page the same way.
  v1::ListAuditEventsRequest audit;
  audit.set_parent("organizations/acme");
  audit.set_filter("action=projects.create AND outcome=SUCCEEDED");
  audit.set_page_size(4);
  ASSERT_OK_AND_ASSIGN(auto events,
                       Call(&S::ListAuditEvents, audit, kAdminKey));
  EXPECT_EQ(events.audit_events_size(), 4);
  EXPECT_FALSE(events.next_page_token().empty());
  audit.set_page_token(events.next_page_token());
  ASSERT_OK_AND_ASSIGN(auto rest, Call(&S::ListAuditEvents, audit, kAdminKey));
  EXPECT_EQ(rest.audit_events_size(), 4);  // web + 7 in all
  EXPECT_LT(events.audit_events(3).name(), rest.audit_events(0).name());
}

TEST_F(ApiTest, ManualClockWaitCancelAndFaults) {
  const std::string env = ReadyEnv();
  ASSERT_OK(Emu(&v1::Emulator::Stub::SetClock, v1::SetClockRequest()).status());
  v1::UpdateSettingsRequest settings;
  settings.mutable_transition_delay()->set_seconds(60);
  ASSERT_OK(Emu(&v1::Emulator::Stub::UpdateSettings, settings).status());
  ASSERT_OK_AND_ASSIGN(v1::Operation op,
                       StartCluster(kApiProject, env, "clocked"));
  EXPECT_EQ(op.cluster().state(), v1::Cluster::CREATING);
  // WaitOperation returns at its real-time timeout while the clock stands.
  const auto start = std::chrono::steady_clock::now();
  ASSERT_OK_AND_ASSIGN(v1::Operation waited, Wait(op.name(), kAdminKey, 300));
  EXPECT_FALSE(waited.done());
  EXPECT_GE(std::chrono::steady_clock::now() - start,
            std::chrono::milliseconds(290));
  v1::AdvanceClockRequest advance;
  advance.mutable_by()->set_seconds(60);
  ASSERT_OK(Emu(&v1::Emulator::Stub::AdvanceClock, advance).status());
  ASSERT_OK_AND_ASSIGN(waited, Wait(op.name(), kAdminKey, 1000));
  EXPECT_TRUE(waited.done());
  EXPECT_EQ(waited.cluster().state(), v1::Cluster::RUNNING);
  const std::string cluster = op.target();

  // Cancel: a pending suspend goes back to RUNNING.
  ASSERT_OK_AND_ASSIGN(v1::Operation suspend,
                       ClusterAction(&S::SuspendCluster, cluster));
  v1::CancelOperationRequest cancel;
  cancel.set_name(suspend.name());
  ASSERT_OK_AND_ASSIGN(v1::Operation cancelled,
                       Call(&S::CancelOperation, cancel, kAdminKey));
  EXPECT_TRUE(cancelled.done());
  EXPECT_TRUE(cancelled.cancel_requested());
  EXPECT_EQ(cancelled.error_code(), 1);
  ASSERT_OK_AND_ASSIGN(v1::Cluster c, GetCluster(cluster));
  EXPECT_EQ(c.state(), v1::Cluster::RUNNING);

  // FAIL: the operation fails; the cluster returns to its state.
  settings.mutable_transition_delay()->set_seconds(0);
  ASSERT_OK(Emu(&v1::Emulator::Stub::UpdateSettings, settings).status());
  v1::InjectFaultRequest fault;
  fault.mutable_fault()->set_verb("SuspendCluster");
  fault.mutable_fault()->set_mode(v1::Fault::FAIL);
  fault.mutable_fault()->set_code(14);
  fault.mutable_fault()->set_message("disk on fire");
  fault.mutable_fault()->set_count(1);
  ASSERT_OK(Emu(&v1::Emulator::Stub::InjectFault, fault).status());
  ASSERT_OK_AND_ASSIGN(suspend, ClusterAction(&S::SuspendCluster, cluster));
  ASSERT_OK_AND_ASSIGN(suspend, Wait(suspend.name()));
  EXPECT_EQ(suspend.error_code(), 14);
  EXPECT_THAT(suspend.error_message(), HasSubstr("disk on fire"));
  EXPECT_EQ(suspend.cluster().state(), v1::Cluster::RUNNING);
  // FAIL on create: the cluster goes FAILED (and can be deleted).
  fault.mutable_fault()->set_verb("CreateCluster");
  ASSERT_OK(Emu(&v1::Emulator::Stub::InjectFault, fault).status());
  ASSERT_OK_AND_ASSIGN(v1::Operation broken,
                       StartCluster(kApiProject, env, "broken"));
  ASSERT_OK_AND_ASSIGN(broken, Wait(broken.name()));
  EXPECT_EQ(broken.cluster().state(), v1::Cluster::FAILED);
  EXPECT_THAT(ClusterAction(&S::DeleteCluster, broken.target()), IsOk());

  // STALL: no progress until the fault is cleared.
  fault.mutable_fault()->set_verb("SuspendCluster");
  fault.mutable_fault()->set_mode(v1::Fault::STALL);
  fault.mutable_fault()->set_count(0);
  ASSERT_OK(Emu(&v1::Emulator::Stub::InjectFault, fault).status());
  ASSERT_OK_AND_ASSIGN(suspend, ClusterAction(&S::SuspendCluster, cluster));
  ASSERT_OK(Emu(&v1::Emulator::Stub::AdvanceClock, advance).status());
  ASSERT_OK_AND_ASSIGN(waited, Wait(suspend.name(), kAdminKey, 100));
  EXPECT_FALSE(waited.done());
  ASSERT_OK_AND_ASSIGN(auto faults, Emu(&v1::Emulator::Stub::ListFaults,
                                        v1::ListFaultsRequest()));
  EXPECT_EQ(faults.faults_size(), 1);
  v1::ClearFaultsRequest clear;
  clear.set_verb("SuspendCluster");
  ASSERT_OK(Emu(&v1::Emulator::Stub::ClearFaults, clear).status());
  ASSERT_OK_AND_ASSIGN(waited, Wait(suspend.name()));
  EXPECT_TRUE(waited.done());
  EXPECT_EQ(waited.cluster().state(), v1::Cluster::SUSPENDED);

  // UNAVAILABLE: the RPC itself fails, `count` times.
  fault.mutable_fault()->set_verb("GetCluster");
  fault.mutable_fault()->set_mode(v1::Fault::UNAVAILABLE);
  fault.mutable_fault()->set_count(1);
  ASSERT_OK(Emu(&v1::Emulator::Stub::InjectFault, fault).status());
  EXPECT_THAT(GetCluster(cluster), StatusIs(absl::StatusCode::kUnavailable));
  EXPECT_THAT(GetCluster(cluster), IsOk());
  fault.mutable_fault()->set_verb("NoSuchVerb");
  EXPECT_THAT(
      Emu(&v1::Emulator::Stub::InjectFault, fault),
      StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("NoSuchVerb")));
  // Operations list and filter.
  v1::ListOperationsRequest ops;
  ops.set_parent("organizations/acme");
  ops.set_filter("verb=SuspendCluster");
  ASSERT_OK_AND_ASSIGN(auto listed, Call(&S::ListOperations, ops, kAdminKey));
  EXPECT_EQ(listed.operations_size(), 3);
  ops.set_filter("done=false");
  ASSERT_OK_AND_ASSIGN(listed, Call(&S::ListOperations, ops, kAdminKey));
  EXPECT_EQ(listed.operations_size(), 0);
}

}  // namespace
}  // namespace cove::cloud::testing
