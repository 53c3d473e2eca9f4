// End to end: cove::ControlClient against the cove-cloud emulator started
// in-process, and cove::Client against the data planes it provisions. The
// lifecycle of the control-plane issue's "done when", plus RBAC, etag and
// request-id checks through the client. Built only with the emulator
// (COVE_HAVE_CLOUD).
#ifdef COVE_HAVE_CLOUD

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "cloud/cloud_server.h"
#include "cove/client.h"
#include "cove/control.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "testing/status_matchers.h"

namespace cove {
namespace {

using ::cove::testing::IsOk;
using ::cove::testing::StatusIs;
using ::testing::Contains;
using ::testing::HasSubstr;
using ::testing::Not;
using ms = std::chrono::milliseconds;

constexpr char kAdminKey[] = "cove-e2e-admin-key-0123456789";
constexpr char kAccount[] = "123456789012";

std::string E2eTempDir(const std::string& tag) {
  std::string pattern = (std::filesystem::temp_directory_path() /
                         ("cove_control_" + tag + "_XXXXXX"))
                            .string();
  char* made = ::mkdtemp(pattern.data());
  return made == nullptr ? std::string() : std::string(made);
}

class ControlEndToEndTest : public ::testing::Test {
 protected:
  void SetUp() override {
    state_dir_ = E2eTempDir("state");
    bucket_ = E2eTempDir("bucket");
    ASSERT_FALSE(state_dir_.empty());
    ASSERT_FALSE(bucket_.empty());
    cloud::CloudOptions options;
    options.state_dir = state_dir_;
    options.admin_key = kAdminKey;
    options.transition_delay = ms(50);
    options.pbkdf2_iterations = 1000;
    auto server = cloud::StartCloud(options);
    ASSERT_THAT(server, IsOk());
    server_ = *std::move(server);
    auto client = Connect(kAdminKey);
    ASSERT_THAT(client, IsOk());
    admin_ = std::make_unique<ControlClient>(*std::move(client));
  }

  void TearDown() override {
    admin_.reset();
    if (server_) server_->Shutdown();
    server_.reset();
    std::error_code ec;
    std::filesystem::remove_all(state_dir_, ec);
    std::filesystem::remove_all(bucket_, ec);
  }

  absl::StatusOr<ControlClient> Connect(const std::string& key) {
    ControlOptions o;
    o.endpoint = server_->endpoint();
    o.api_key = key;
    o.timeout = std::chrono::seconds(20);
    o.operation_timeout = std::chrono::seconds(60);
    return ControlClient::Connect(o);
  }

  // Organization "acme", project "search", cross-account environment "aws".
  void CreateFoundation() {
    control::CreateOrganizationRequest org;
    org.organization_id = "acme";
    org.organization.display_name = "Acme";
    auto o = admin_->CreateOrganization(org);
    ASSERT_THAT(o, IsOk());
    ASSERT_FALSE(o->external_id.empty());
    org_ = *o;

    control::CreateProjectRequest project;
    project.parent = org_.name;
    project.project_id = "search";
    project.project.display_name = "Search";
    project.project.plan = "standard";
    project.project.region = "us-east-1";
    auto p = admin_->CreateProject(project);
    ASSERT_THAT(p, IsOk());
    project_ = p->name;

    control::CreateEnvironmentRequest env;
    env.parent = project_;
    env.environment_id = "aws";
    env.environment.mode = control::EnvironmentMode::kCrossAccount;
    env.environment.cloud_account_id = kAccount;
    env.environment.region = "us-east-1";
    env.environment.vpc_id = "vpc-0123abcd";
    env.environment.subnet_ids = {"subnet-0123abcd"};
    env.environment.bucket = bucket_;
    env.environment.role_arn =
        std::string("arn:aws:iam::") + kAccount + ":role/x";
    env.environment.external_id = org_.external_id;
    auto e = admin_->CreateEnvironment(env);
    ASSERT_THAT(e, IsOk());
    EXPECT_EQ(e->state, control::EnvironmentState::kReady) << e->state_message;
    environment_ = e->name;
  }

  control::CreateClusterRequest ClusterRequest(const std::string& id) {
    control::CreateClusterRequest req;
    req.parent = project_;
    req.cluster_id = id;
    req.cluster.environment = environment_;
    req.cluster.cu_type = "performance";
    req.cluster.cu_size = 1;
    req.cluster.replicas = 1;
    req.cluster.labels["team"] = "search";
    return req;
  }

  static absl::StatusOr<Client> DataClient(const control::Cluster& cluster,
                                           const std::string& password) {
    ClientOptions options;
    options.remote.user =
        cluster.admin_user.empty() ? "root" : cluster.admin_user;
    options.remote.password = password;
    options.remote.max_attempts = 2;
    options.remote.initial_backoff = ms(20);
    options.remote.max_backoff = ms(50);
    options.remote.timeout = std::chrono::seconds(10);
    return Client::Open(cluster.endpoint, options);
  }

  static absl::StatusOr<int64_t> Count(Client& client) {
    QueryRequest count;
    count.collection_name = "docs";
    count.output_fields = {"count(*)"};
    auto rows = client.Query(count);
    if (!rows.ok()) return rows.status();
    return rows->at(0).at("count(*)").AsInt();
  }

  std::string state_dir_;
  std::string bucket_;
  std::unique_ptr<cloud::CloudServer> server_;
  std::unique_ptr<ControlClient> admin_;
  control::Organization org_;
  std::string project_;
  std::string environment_;
};

TEST_F(ControlEndToEndTest, ClusterLifecycleWithTheDataPlane) {
  ASSERT_NO_FATAL_FAILURE(CreateFoundation());
  auto validation = admin_->ValidateEnvironment(environment_);
  ASSERT_THAT(validation, IsOk());
  EXPECT_TRUE(validation->valid);

  // Create and wait: RUNNING, with an endpoint and a once-shown password.
  auto op = admin_->StartCreateCluster(ClusterRequest("prod"));
  ASSERT_THAT(op, IsOk());
  EXPECT_EQ(op->operation().verb, "CreateCluster");
  ASSERT_THAT(op->Wait(std::chrono::seconds(60)), IsOk());
  auto created = op->cluster();
  ASSERT_THAT(created, IsOk());
  EXPECT_EQ(created->state, control::ClusterState::kRunning);
  ASSERT_FALSE(created->endpoint.empty());
  const std::string password = created->admin_password;
  ASSERT_FALSE(password.empty());
  const std::string cluster = created->name;
  auto got = admin_->GetCluster(cluster);
  ASSERT_THAT(got, IsOk());
  EXPECT_TRUE(got->admin_password.empty());  // shown once
  EXPECT_EQ(got->labels.at("team"), "search");

  // The data plane: insert and search.
  {
    auto data = DataClient(*created, password);
    ASSERT_THAT(data, IsOk());
    ASSERT_THAT(data->CreateCollection("docs", 4), IsOk());
    std::vector<Row> rows;
    for (int i = 0; i < 20; ++i) {
      rows.push_back(Row{{"id", Value(int64_t{i})},
                         {"vector", Value::FloatVector({float(i), 1, 0, 0})}});
    }
    ASSERT_THAT(data->Insert("docs", rows), IsOk());
    SearchRequest search;
    search.collection_name = "docs";
    search.vectors = {5, 1, 0, 0};
    search.dim = 4;
    search.limit = 3;
    auto hits = data->Search(search);
    ASSERT_THAT(hits, IsOk());
    ASSERT_EQ(hits->hits.size(), 1u);
    EXPECT_EQ(hits->hits[0].size(), 3u);
    auto n = Count(*data);
    ASSERT_THAT(n, IsOk());
    EXPECT_EQ(*n, 20);
  }

  // Scale up and wait.
  const int64_t capacity_before = got->capacity_vectors;
  control::ScaleClusterRequest scale;
  scale.name = cluster;
  scale.cu_size = 2;
  auto scaled = admin_->ScaleCluster(scale);
  ASSERT_THAT(scaled, IsOk());
  EXPECT_EQ(scaled->cu_size, 2);
  EXPECT_EQ(scaled->state, control::ClusterState::kRunning);
  EXPECT_GT(scaled->capacity_vectors, capacity_before);

  // Suspend: the data client gets a clear error.
  auto suspended = admin_->SuspendCluster({cluster, "", ""});
  ASSERT_THAT(suspended, IsOk());
  EXPECT_EQ(suspended->state, control::ClusterState::kSuspended);
  {
    control::Cluster at_suspend = *created;
    auto data = DataClient(at_suspend, password);
    absl::Status s = data.ok() ? Count(*data).status() : data.status();
    EXPECT_FALSE(s.ok());
    EXPECT_THAT(s.code(),
                ::testing::AnyOf(absl::StatusCode::kUnavailable,
                                 absl::StatusCode::kFailedPrecondition))
        << s;
  }
  // An illegal transition names the state.
  EXPECT_THAT(
      admin_->StartSuspendCluster({cluster, "", ""}),
      StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("SUSPENDED")));

  // Resume: the data is still there.
  auto resumed = admin_->ResumeCluster({cluster, "", ""});
  ASSERT_THAT(resumed, IsOk());
  EXPECT_EQ(resumed->state, control::ClusterState::kRunning);
  {
    auto current = admin_->GetCluster(cluster);
    ASSERT_THAT(current, IsOk());
    auto data = DataClient(*current, password);
    ASSERT_THAT(data, IsOk());
    auto n = Count(*data);
    ASSERT_THAT(n, IsOk());
    EXPECT_EQ(*n, 20);
  }

  // Delete (soft), restore within the window.
  auto deleted = admin_->DeleteCluster({cluster, "", ""});
  ASSERT_THAT(deleted, IsOk());
  EXPECT_EQ(deleted->state, control::ClusterState::kDeleted);
  EXPECT_TRUE(control::IsSet(deleted->purge_time));
  auto restored = admin_->RestoreCluster({cluster, "", ""});
  ASSERT_THAT(restored, IsOk());
  EXPECT_EQ(restored->state, control::ClusterState::kRunning);
  {
    auto current = admin_->GetCluster(cluster);
    ASSERT_THAT(current, IsOk());
    auto data = DataClient(*current, password);
    ASSERT_THAT(data, IsOk());
    auto n = Count(*data);
    ASSERT_THAT(n, IsOk());
    EXPECT_EQ(*n, 20);
  }

  // Delete and purge: gone.
  ASSERT_THAT(admin_->DeleteCluster({cluster, "", ""}), IsOk());
  ASSERT_THAT(admin_->PurgeCluster({cluster, "", ""}), IsOk());
  EXPECT_THAT(admin_->GetCluster(cluster),
              StatusIs(absl::StatusCode::kNotFound));

  // The audit log shows each step.
  control::ListAuditEventsRequest audit;
  audit.parent = org_.name;
  audit.filter = "outcome=SUCCEEDED";
  audit.page_size = 5;  // several pages
  auto events = admin_->ListAllAuditEvents(audit);
  std::vector<std::string> actions;
  for (const control::AuditEvent& e : events) {
    EXPECT_EQ(e.outcome, control::AuditOutcome::kSucceeded);
    actions.push_back(e.action);
  }
  ASSERT_THAT(events.status(), IsOk());
  EXPECT_GT(events.pages(), 1);
  for (const char* action :
       {"organizations.create", "projects.create", "environments.create",
        "clusters.create", "clusters.scale", "clusters.suspend",
        "clusters.resume", "clusters.delete", "clusters.restore",
        "clusters.purge"}) {
    EXPECT_THAT(actions, Contains(std::string(action)));
  }
  // In order: create before scale before suspend ... before purge.
  auto pos = [&](const std::string& a) {
    return std::find(actions.begin(), actions.end(), a) - actions.begin();
  };
  EXPECT_LT(pos("clusters.create"), pos("clusters.scale"));
  EXPECT_LT(pos("clusters.scale"), pos("clusters.suspend"));
  EXPECT_LT(pos("clusters.suspend"), pos("clusters.resume"));
  EXPECT_LT(pos("clusters.restore"), pos("clusters.purge"));
}

TEST_F(ControlEndToEndTest, ReadOnlyKeyCannotCreate) {
  ASSERT_NO_FATAL_FAILURE(CreateFoundation());
  control::CreateApiKeyRequest key;
  key.parent = org_.name;
  key.api_key_id = "reader";
  key.api_key.display_name = "reader";
  key.api_key.scope = project_;
  key.api_key.role = "roles/project.read_only";
  auto created = admin_->CreateApiKey(key);
  ASSERT_THAT(created, IsOk());
  ASSERT_FALSE(created->secret.empty());
  auto reader = Connect(created->secret);
  ASSERT_THAT(reader, IsOk());
  EXPECT_THAT(reader->GetProject(project_), IsOk());
  EXPECT_THAT(reader->StartCreateCluster(ClusterRequest("nope")),
              StatusIs(absl::StatusCode::kPermissionDenied));
  auto allowed =
      reader->TestPermissions({project_, {"clusters.create", "clusters.list"}});
  ASSERT_THAT(allowed, IsOk());
  EXPECT_THAT(*allowed, Contains("clusters.list"));
  EXPECT_THAT(*allowed, Not(Contains("clusters.create")));
  // A wrong key is Unauthenticated; the emulator knobs are admin-only.
  auto stranger = Connect("cove_nobody_0000000000");
  ASSERT_THAT(stranger, IsOk());
  EXPECT_THAT(stranger->GetProject(project_),
              StatusIs(absl::StatusCode::kUnauthenticated));
  EXPECT_THAT(reader->emulator().GetSettings(),
              StatusIs(absl::StatusCode::kPermissionDenied));
  // The denial is audited.
  control::ListAuditEventsRequest audit;
  audit.parent = org_.name;
  audit.filter = "outcome=DENIED";
  auto denied = admin_->ListAllAuditEvents(audit).ToVector();
  ASSERT_THAT(denied, IsOk());
  EXPECT_FALSE(denied->empty());
}

TEST_F(ControlEndToEndTest, StaleEtagIsAborted) {
  ASSERT_NO_FATAL_FAILURE(CreateFoundation());
  auto project = admin_->GetProject(project_);
  ASSERT_THAT(project, IsOk());
  control::Project update = *project;
  update.display_name = "Search v2";
  auto updated = admin_->UpdateProject(update, {"display_name"});
  ASSERT_THAT(updated, IsOk());
  EXPECT_EQ(updated->display_name, "Search v2");
  EXPECT_NE(updated->etag, project->etag);
  // The old etag is stale now.
  update.display_name = "Search v3";
  EXPECT_THAT(admin_->UpdateProject(update, {"display_name"}),
              StatusIs(absl::StatusCode::kAborted));
  update.etag = updated->etag;
  EXPECT_THAT(admin_->UpdateProject(update, {"display_name"}), IsOk());
}

TEST_F(ControlEndToEndTest, RequestIdsMakeCreatesIdempotent) {
  ASSERT_NO_FATAL_FAILURE(CreateFoundation());
  control::CreateProjectRequest req;
  req.parent = org_.name;
  req.project_id = "analytics";
  req.request_id = ControlClient::NewRequestId();
  auto first = admin_->CreateProject(req);
  ASSERT_THAT(first, IsOk());
  // Same id, same request: the same result again.
  auto again = admin_->CreateProject(req);
  ASSERT_THAT(again, IsOk());
  EXPECT_EQ(again->name, first->name);
  EXPECT_EQ(again->etag, first->etag);
  // Same id, another request: AlreadyExists.
  req.project_id = "analytics-2";
  EXPECT_THAT(admin_->CreateProject(req),
              StatusIs(absl::StatusCode::kAlreadyExists));
  // Without an id the client makes one per call: a second create of the
  // same project is a plain AlreadyExists.
  control::CreateProjectRequest fresh;
  fresh.parent = org_.name;
  fresh.project_id = "analytics";
  EXPECT_THAT(admin_->CreateProject(fresh),
              StatusIs(absl::StatusCode::kAlreadyExists));
}

TEST_F(ControlEndToEndTest, ListsPageAndFilter) {
  ASSERT_NO_FATAL_FAILURE(CreateFoundation());
  for (const char* id : {"p-one", "p-two", "p-three", "p-four"}) {
    control::CreateProjectRequest req;
    req.parent = org_.name;
    req.project_id = id;
    req.project.region = "eu-west-1";
    ASSERT_THAT(admin_->CreateProject(req), IsOk());
  }
  control::ListRequest list;
  list.parent = org_.name;
  list.page_size = 2;
  auto page = admin_->ListProjects(list);
  ASSERT_THAT(page, IsOk());
  EXPECT_EQ(page->items.size(), 2u);
  EXPECT_FALSE(page->next_page_token.empty());
  auto all = admin_->ListAllProjects(list).ToVector();
  ASSERT_THAT(all, IsOk());
  EXPECT_EQ(all->size(), 5u);
  list.filter = "region=eu-west-1";
  auto eu = admin_->ListAllProjects(list).ToVector();
  ASSERT_THAT(eu, IsOk());
  EXPECT_EQ(eu->size(), 4u);
  list.filter = "colour=blue";
  EXPECT_THAT(admin_->ListProjects(list),
              StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST_F(ControlEndToEndTest, OperationsCanBeListedAndTimedOut) {
  ASSERT_NO_FATAL_FAILURE(CreateFoundation());
  // Slow transitions: a short wait times out, a longer one succeeds.
  control::UpdateEmulatorSettingsRequest slow;
  slow.transition_delay = ms(1500);
  ASSERT_THAT(admin_->emulator().UpdateSettings(slow), IsOk());
  auto op = admin_->StartCreateCluster(ClusterRequest("slow"));
  ASSERT_THAT(op, IsOk());
  EXPECT_THAT(op->Wait(ms(100)), StatusIs(absl::StatusCode::kDeadlineExceeded,
                                          HasSubstr(op->name())));
  control::ListRequest ops;
  ops.parent = org_.name;
  ops.filter = "done=false";
  auto running = admin_->ListAllOperations(ops).ToVector();
  ASSERT_THAT(running, IsOk());
  ASSERT_EQ(running->size(), 1u);
  EXPECT_EQ(running->at(0).name, op->name());
  EXPECT_THAT(op->Wait(std::chrono::seconds(30)), IsOk());
  EXPECT_THAT(op->cluster(), IsOk());
}

TEST_F(ControlEndToEndTest, FaultsSurfaceThroughTheClient) {
  ASSERT_NO_FATAL_FAILURE(CreateFoundation());
  // Two UNAVAILABLE faults: the client's retries absorb them, reusing the
  // request id, so the project is created once.
  control::Fault fault;
  fault.verb = "CreateProject";
  fault.mode = control::FaultMode::kUnavailable;
  fault.count = 2;
  ASSERT_THAT(admin_->emulator().InjectFault(fault), IsOk());
  control::CreateProjectRequest req;
  req.parent = org_.name;
  req.project_id = "flaky";
  EXPECT_THAT(admin_->CreateProject(req), IsOk());
  auto faults = admin_->emulator().ListFaults();
  ASSERT_THAT(faults, IsOk());
  EXPECT_THAT(admin_->emulator().ClearFaults(), IsOk());
}

}  // namespace
// ResetClusterPassword through the C++ client (issue 13, item 12).
TEST_F(ControlEndToEndTest, ResetClusterPasswordThroughTheClient) {
  ASSERT_NO_FATAL_FAILURE(CreateFoundation());
  auto created = admin_->CreateCluster(ClusterRequest("vault"));
  ASSERT_THAT(created, IsOk());
  control::ClusterActionRequest req;
  req.name = created->name;
  auto reset = admin_->ResetClusterPassword(req);
  ASSERT_THAT(reset, IsOk());
  EXPECT_EQ(reset->state, control::ClusterState::kRunning);
  ASSERT_FALSE(reset->admin_password.empty());
  EXPECT_NE(reset->admin_password, created->admin_password);
  EXPECT_EQ(control::DebugString(*reset).find(reset->admin_password),
            std::string::npos);
  auto fresh = DataClient(*reset, reset->admin_password);
  ASSERT_THAT(fresh, IsOk());
  EXPECT_THAT(fresh->ListCollections(), IsOk());
  // The old password is refused (when connecting, or on the first call).
  auto stale = DataClient(*created, created->admin_password);
  absl::Status refused =
      stale.ok() ? stale->ListCollections().status() : stale.status();
  EXPECT_THAT(refused, StatusIs(absl::StatusCode::kUnauthenticated));
  req.name = "not-a-name";
  EXPECT_THAT(admin_->StartResetClusterPassword(req),
              StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST_F(ControlEndToEndTest, AutoIdleThroughTheClient) {
  ASSERT_NO_FATAL_FAILURE(CreateFoundation());
  EmulatorClient emulator = admin_->emulator();
  ASSERT_THAT(emulator.SetClock(control::SetClockRequest{}), IsOk());
  control::CreateClusterRequest req = ClusterRequest("nap");
  req.cluster.idle_timeout = std::chrono::seconds(120);
  auto start = admin_->StartCreateCluster(req);
  ASSERT_THAT(start, IsOk());
  ASSERT_THAT(emulator.AdvanceClock(std::chrono::seconds(1)), IsOk());
  ASSERT_THAT(start->Wait(), IsOk());
  auto created = start->cluster();
  ASSERT_THAT(created, IsOk());
  EXPECT_EQ(created->idle_timeout, std::chrono::seconds(120));
  control::Cluster update;
  update.name = created->name;
  update.idle_timeout = std::chrono::seconds(60);
  auto updated = admin_->UpdateCluster(update, {"idle_timeout"});
  ASSERT_THAT(updated, IsOk());
  EXPECT_EQ(updated->idle_timeout, std::chrono::seconds(60));
  ASSERT_THAT(emulator.AdvanceClock(std::chrono::seconds(60)), IsOk());
  auto idle = admin_->GetCluster(created->name);
  ASSERT_THAT(idle, IsOk());
  EXPECT_EQ(idle->state, control::ClusterState::kIdle);
  EXPECT_EQ(control::ToString(idle->state), "IDLE");
  EXPECT_TRUE(control::IsSet(idle->idle_time));
  update.idle_timeout = std::chrono::seconds(59);
  EXPECT_THAT(admin_->UpdateCluster(update, {"idle_timeout"}),
              StatusIs(absl::StatusCode::kInvalidArgument));
}

}  // namespace cove

#endif  // COVE_HAVE_CLOUD
