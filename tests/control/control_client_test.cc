// Unit tests of cove::ControlClient over MockControlConnection and a fake
// clock: what the client adds over any connection (validation before any
// RPC, paging, operation handles, waiting by polling WaitOperation) and
// that a mock sees each call once, as the caller built it. Request ids and
// retries belong to the gRPC connection (control_connection_impl_test.cc).
#include <chrono>
#include <regex>
#include <set>
#include <string>
#include <vector>

#include "cove/control.h"
#include "cove/mocks/mock_control_connection.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "testing/fake_clock.h"
#include "testing/status_matchers.h"

namespace cove {
namespace {

using ::cove::testing::FakeClock;
using ::cove::testing::IsOk;
using ::cove::testing::MockControlConnection;
using ::cove::testing::StatusIs;
using ::testing::_;
using ::testing::AllOf;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Invoke;
using ::testing::Return;
using ::testing::StrictMock;
using ms = std::chrono::milliseconds;

constexpr char kOrg[] = "organizations/acme";
constexpr char kProject[] = "organizations/acme/projects/search";
constexpr char kEnv[] = "organizations/acme/projects/search/environments/aws";
constexpr char kClientCluster[] =
    "organizations/acme/projects/search/clusters/prod";

class ControlClientTest : public ::testing::Test {
 protected:
  ControlClientTest()
      : mock_(std::make_shared<StrictMock<MockControlConnection>>()) {
    options_.endpoint = "http://127.0.0.1:1";
    options_.initial_backoff = ms(100);
    options_.max_backoff = ms(1000);
    options_.poll_interval = ms(50);
  }

  ControlClient Client() {
    return ControlClient(mock_, options_, clock_.Control());
  }

  static control::Operation Op(bool done, int progress = 0) {
    control::Operation op;
    op.name = "operations/op-1";
    op.verb = "CreateCluster";
    op.target = kClientCluster;
    op.done = done;
    op.progress_percent = progress;
    if (done) {
      control::Cluster c;
      c.name = kClientCluster;
      c.state = control::ClusterState::kRunning;
      c.admin_password = "secret";
      op.cluster = c;
    }
    return op;
  }

  std::shared_ptr<StrictMock<MockControlConnection>> mock_;
  ControlOptions options_;
  FakeClock clock_;
};

control::ClusterActionRequest Act(const std::string& name) {
  control::ClusterActionRequest r;
  r.name = name;
  return r;
}

bool LooksLikeUuid(const std::string& s) {
  static const std::regex re(
      "[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}");
  return std::regex_match(s, re);
}

// ---- request ids and retries
// ---------------------------------------------------

TEST(NewRequestIdTest, UuidShapedAndUnique) {
  std::set<std::string> seen;
  for (int i = 0; i < 1000; ++i) {
    std::string id = ControlClient::NewRequestId();
    EXPECT_TRUE(LooksLikeUuid(id)) << id;
    seen.insert(id);
  }
  EXPECT_EQ(seen.size(), 1000u);
}

TEST_F(ControlClientTest, GetClusterMetricsValidatesAndPassesThrough) {
  control::ClusterMetrics m;
  m.cluster = kClientCluster;
  m.vector_count = 42;
  m.kinds.push_back({"search", 7, 1, 0.5, 1.0, 2.0, 3.0});
  EXPECT_CALL(*mock_, GetClusterMetrics(kClientCluster, 120, _))
      .WillOnce(Return(m));
  auto got = Client().GetClusterMetrics(kClientCluster, 120);
  ASSERT_THAT(got, IsOk());
  EXPECT_EQ(got->vector_count, 42);
  ASSERT_EQ(got->kinds.size(), 1u);
  EXPECT_EQ(got->kinds[0].requests, 7);
  EXPECT_THAT(Client().GetClusterMetrics(kClientCluster, 601),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("window_seconds")));
  EXPECT_THAT(Client().GetClusterMetrics("clusters/x"),
              StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST_F(ControlClientTest, AMockSeesEachCallOnceAsTheCallerBuiltIt) {
  // No request id added, no retry of Unavailable, the caller's call options
  // unchanged: those belong to the gRPC connection.
  EXPECT_CALL(*mock_, CreateProject)
      .WillOnce(Invoke([](const control::CreateProjectRequest& r,
                          const ControlCallOptions& call)
                           -> absl::StatusOr<control::Project> {
        EXPECT_TRUE(r.request_id.empty());
        EXPECT_EQ(call.timeout, ms(1234));
        EXPECT_EQ(call.max_attempts, 7);
        return absl::UnavailableError("down");
      }));
  control::CreateProjectRequest req;
  req.parent = kOrg;
  req.project_id = "search";
  ControlCallOptions call;
  call.timeout = ms(1234);
  call.max_attempts = 7;
  EXPECT_THAT(Client().CreateProject(req, call),
              StatusIs(absl::StatusCode::kUnavailable));
  EXPECT_TRUE(clock_.sleeps.empty());
}

// ---- paging ---------------------------------------------------------------

control::Cluster NamedCluster(const std::string& id) {
  control::Cluster c;
  c.name = std::string(kProject) + "/clusters/" + id;
  return c;
}

TEST_F(ControlClientTest, ListAllClustersWalksEveryPage) {
  std::vector<std::string> tokens;
  EXPECT_CALL(*mock_, ListClusters)
      .Times(3)
      .WillRepeatedly(
          Invoke([&](const control::ListRequest& r, const ControlCallOptions&)
                     -> absl::StatusOr<control::Page<control::Cluster>> {
            EXPECT_EQ(r.parent, kProject);
            EXPECT_EQ(r.filter, "state=RUNNING");
            EXPECT_EQ(r.page_size, 2);
            tokens.push_back(r.page_token);
            control::Page<control::Cluster> page;
            if (r.page_token.empty()) {
              page.items = {NamedCluster("c-1"), NamedCluster("c-2")};
              page.next_page_token = "t2";
            } else if (r.page_token == "t2") {
              page.items = {NamedCluster("c-3"), NamedCluster("c-4")};
              page.next_page_token = "t3";
            } else {
              page.items = {NamedCluster("c-5")};
            }
            return page;
          }));
  control::ListRequest req;
  req.parent = kProject;
  req.filter = "state=RUNNING";
  req.page_size = 2;
  Pager<control::Cluster> clusters = Client().ListAllClusters(req);
  std::vector<std::string> names;
  for (const control::Cluster& c : clusters) names.push_back(c.name);
  EXPECT_THAT(clusters.status(), IsOk());
  EXPECT_EQ(clusters.pages(), 3);
  ASSERT_EQ(names.size(), 5u);
  EXPECT_EQ(names[4], std::string(kProject) + "/clusters/c-5");
  EXPECT_THAT(tokens, ElementsAre("", "t2", "t3"));
}

TEST_F(ControlClientTest, ListAllStopsAtAnErrorAndReportsIt) {
  EXPECT_CALL(*mock_, ListClusters)
      .WillOnce(Return(control::Page<control::Cluster>{
          {NamedCluster("c-1"), NamedCluster("c-2")}, "t2"}))
      .WillOnce(Return(absl::PermissionDeniedError("no clusters.list")));
  control::ListRequest req;
  req.parent = kProject;
  auto clusters = Client().ListAllClusters(req);
  int n = 0;
  for (const auto& c : clusters) {
    EXPECT_FALSE(c.name.empty());
    ++n;
  }
  EXPECT_EQ(n, 2);
  EXPECT_THAT(clusters.status(), StatusIs(absl::StatusCode::kPermissionDenied,
                                          HasSubstr("clusters.list")));
  // ToVector surfaces the same error.
  EXPECT_CALL(*mock_, ListClusters)
      .WillOnce(Return(absl::PermissionDeniedError("no clusters.list")));
  EXPECT_THAT(Client().ListAllClusters(req).ToVector(),
              StatusIs(absl::StatusCode::kPermissionDenied));
}

TEST_F(ControlClientTest, ListAllSkipsEmptyPagesAndHandlesNoItems) {
  EXPECT_CALL(*mock_, ListProjects)
      .WillOnce(Return(control::Page<control::Project>{{}, "t2"}))
      .WillOnce(
          Return(control::Page<control::Project>{{control::Project{}}, ""}))
      .WillOnce(Return(control::Page<control::Project>{{}, ""}));
  control::ListRequest req;
  req.parent = kOrg;
  auto all = Client().ListAllProjects(req).ToVector();
  ASSERT_THAT(all, IsOk());
  EXPECT_EQ(all->size(), 1u);
  auto none = Client().ListAllProjects(req);
  EXPECT_TRUE(none.begin() == none.end());
  EXPECT_THAT(none.status(), IsOk());
}

TEST_F(ControlClientTest, OperationsAndAuditTakeAnOrganizationOrAProject) {
  EXPECT_CALL(*mock_, ListOperations)
      .Times(2)
      .WillRepeatedly(Return(control::Page<control::Operation>{}));
  EXPECT_CALL(*mock_, ListAuditEvents)
      .Times(2)
      .WillRepeatedly(Return(control::Page<control::AuditEvent>{}));
  for (const std::string& parent :
       {std::string(kOrg), std::string(kOrg) + "/projects/search"}) {
    control::ListRequest ops;
    ops.parent = parent;
    EXPECT_THAT(Client().ListOperations(ops), IsOk()) << parent;
    control::ListAuditEventsRequest audit;
    audit.parent = parent;
    EXPECT_THAT(Client().ListAuditEvents(audit), IsOk()) << parent;
  }
  control::ListRequest bad;
  bad.parent = std::string(kOrg) + "/projects/search/clusters/c1";
  EXPECT_THAT(
      Client().ListOperations(bad),
      StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("parent")));
}

// ---- operations ------------------------------------------------------------

TEST_F(ControlClientTest, WaitPollsUntilDone) {
  EXPECT_CALL(*mock_, CreateCluster).WillOnce(Return(Op(false, 0)));
  EXPECT_CALL(*mock_, WaitOperation)
      .WillOnce(Invoke([&](const control::WaitOperationRequest& r,
                           const ControlCallOptions& call) {
        EXPECT_EQ(r.name, "operations/op-1");
        EXPECT_EQ(r.timeout, ms(30000));
        // The RPC deadline covers the server-side wait.
        EXPECT_GT(*call.timeout, r.timeout);
        clock_.now += ms(10000);
        return absl::StatusOr<control::Operation>(Op(false, 50));
      }))
      .WillOnce(Invoke([&](const control::WaitOperationRequest& r,
                           const ControlCallOptions&) {
        EXPECT_EQ(r.timeout, ms(20000));
        clock_.now += ms(3000);
        return absl::StatusOr<control::Operation>(Op(true, 100));
      }));
  control::CreateClusterRequest req;
  req.parent = kProject;
  req.cluster_id = "prod";
  req.cluster.environment = kEnv;
  req.cluster.cu_size = 1;
  auto op = Client().StartCreateCluster(req);
  ASSERT_THAT(op, IsOk());
  EXPECT_FALSE(op->done());
  EXPECT_THAT(op->cluster(), StatusIs(absl::StatusCode::kFailedPrecondition));
  EXPECT_THAT(op->Wait(ms(30000)), IsOk());
  EXPECT_TRUE(op->done());
  ASSERT_THAT(op->cluster(), IsOk());
  EXPECT_EQ(op->cluster()->admin_password, "secret");
  EXPECT_TRUE(clock_.sleeps.empty());  // the server did the waiting
}

TEST_F(ControlClientTest, WaitTimesOutWithAClearMessage) {
  EXPECT_CALL(*mock_, ScaleCluster).WillOnce(Return(Op(false, 0)));
  EXPECT_CALL(*mock_, WaitOperation)
      .WillRepeatedly(Invoke([&](const control::WaitOperationRequest& r,
                                 const ControlCallOptions&) {
        clock_.now += r.timeout;
        return absl::StatusOr<control::Operation>(Op(false, 40));
      }));
  auto op = Client().StartScaleCluster({kClientCluster, 8, 0, "", ""});
  ASSERT_THAT(op, IsOk());
  EXPECT_THAT(
      op->Wait(ms(5000)),
      StatusIs(absl::StatusCode::kDeadlineExceeded,
               AllOf(HasSubstr("operations/op-1"),
                     HasSubstr("not done after 5000 ms"), HasSubstr("40%"))));
}

TEST_F(ControlClientTest, WaitDoesNotSpinWhenTheServerAnswersEarly) {
  EXPECT_CALL(*mock_, GetOperation).WillOnce(Return(Op(false)));
  int waits = 0;
  EXPECT_CALL(*mock_, WaitOperation)
      .WillRepeatedly(Invoke(
          [&](const control::WaitOperationRequest&, const ControlCallOptions&) {
            ++waits;
            return absl::StatusOr<control::Operation>(Op(false));
          }));
  auto op = Client().GetOperation("operations/op-1");
  ASSERT_THAT(op, IsOk());
  EXPECT_THAT(op->Wait(ms(1000)),
              StatusIs(absl::StatusCode::kDeadlineExceeded));
  // 1000 ms / 50 ms poll interval.
  EXPECT_EQ(waits, 20);
  EXPECT_EQ(clock_.sleeps.size(), 20u);
}

TEST_F(ControlClientTest, WaitOutlivesAControlPlaneRestart) {
  // Default retry options (5 attempts from 100 ms: about 1.5 s of retries
  // for a plain call); the control plane is down for 60 s of the wait.
  options_ = ControlOptions();
  options_.endpoint = "http://127.0.0.1:1";
  EXPECT_CALL(*mock_, GetOperation).WillOnce(Return(Op(false, 10)));
  const auto down_until = clock_.now + std::chrono::seconds(60);
  int waits = 0;
  EXPECT_CALL(*mock_, WaitOperation)
      .WillRepeatedly(Invoke([&](const control::WaitOperationRequest& r,
                                 const ControlCallOptions& call)
                                 -> absl::StatusOr<control::Operation> {
        ++waits;
        // One attempt per call: the wait does its own retrying.
        EXPECT_EQ(call.max_attempts, 1);
        if (clock_.now < down_until) {
          return absl::UnavailableError("connection refused");
        }
        return Op(true, 100);
      }));
  auto op = Client().GetOperation("operations/op-1");
  ASSERT_THAT(op, IsOk());
  EXPECT_THAT(op->Wait(std::chrono::minutes(10)), IsOk());
  EXPECT_TRUE(op->done());
  EXPECT_GT(waits, 5);
  // The backoff of a wait stops growing at 1 s.
  for (ms d : clock_.sleeps) EXPECT_LE(d, ms(1000));
  // Done within one capped backoff of the control plane's return.
  EXPECT_LE(clock_.now, down_until + ms(1000));
}

TEST_F(ControlClientTest, WaitOnAnUnreachableControlPlaneEndsAtItsDeadline) {
  EXPECT_CALL(*mock_, GetOperation).WillOnce(Return(Op(false, 30)));
  EXPECT_CALL(*mock_, WaitOperation)
      .WillRepeatedly(Return(absl::UnavailableError("connection refused")));
  auto op = Client().GetOperation("operations/op-1");
  ASSERT_THAT(op, IsOk());
  const auto start = clock_.now;
  EXPECT_THAT(
      op->Wait(ms(30000)),
      StatusIs(absl::StatusCode::kDeadlineExceeded,
               AllOf(HasSubstr("operations/op-1"),
                     HasSubstr("not done after 30000 ms"), HasSubstr("30%"),
                     HasSubstr("connection refused"))));
  EXPECT_LE(clock_.now - start, ms(30000));
  // Retried to the end, not for a number of attempts.
  EXPECT_GT(clock_.now - start, ms(30000) - ms(1000));
}

TEST_F(ControlClientTest, WaitReturnsOtherErrorsAtOnce) {
  EXPECT_CALL(*mock_, GetOperation).WillOnce(Return(Op(false)));
  EXPECT_CALL(*mock_, WaitOperation)
      .WillOnce(Return(absl::PermissionDeniedError("no operations.get")));
  auto op = Client().GetOperation("operations/op-1");
  ASSERT_THAT(op, IsOk());
  EXPECT_THAT(op->Wait(ms(30000)),
              StatusIs(absl::StatusCode::kPermissionDenied));
  EXPECT_TRUE(clock_.sleeps.empty());
}

TEST_F(ControlClientTest, WaitReturnsTheOperationsError) {
  EXPECT_CALL(*mock_, ResumeCluster).WillOnce(Return(Op(false)));
  control::Operation failed = Op(false);
  failed.done = true;
  failed.error_code = absl::StatusCode::kFailedPrecondition;
  failed.error_message = "bucket not writable";
  EXPECT_CALL(*mock_, WaitOperation).WillOnce(Return(failed));
  auto op = Client().StartResumeCluster(Act(kClientCluster));
  ASSERT_THAT(op, IsOk());
  EXPECT_THAT(op->Wait(), StatusIs(absl::StatusCode::kFailedPrecondition,
                                   HasSubstr("bucket not writable")));
  EXPECT_THAT(op->status(), StatusIs(absl::StatusCode::kFailedPrecondition));
  EXPECT_THAT(op->cluster(), StatusIs(absl::StatusCode::kFailedPrecondition));
}

TEST_F(ControlClientTest, CancelThenWaitEndsCancelled) {
  EXPECT_CALL(*mock_, CreateCluster).WillOnce(Return(Op(false)));
  control::Operation cancelling = Op(false);
  cancelling.cancel_requested = true;
  control::Operation cancelled = cancelling;
  cancelled.done = true;
  cancelled.error_code = absl::StatusCode::kCancelled;
  cancelled.error_message = "cancelled by the caller";
  EXPECT_CALL(*mock_, CancelOperation("operations/op-1", _))
      .WillOnce(Return(cancelling));
  EXPECT_CALL(*mock_, WaitOperation).WillOnce(Return(cancelled));
  control::CreateClusterRequest req;
  req.parent = kProject;
  req.cluster_id = "prod";
  req.cluster.environment = kEnv;
  auto op = Client().StartCreateCluster(req);
  ASSERT_THAT(op, IsOk());
  ASSERT_THAT(op->Cancel(), IsOk());
  EXPECT_TRUE(op->operation().cancel_requested);
  EXPECT_FALSE(op->done());
  EXPECT_THAT(op->Wait(), StatusIs(absl::StatusCode::kCancelled));
}

TEST_F(ControlClientTest, RefreshReadsTheOperationAgain) {
  EXPECT_CALL(*mock_, DeleteCluster).WillOnce(Return(Op(false, 10)));
  EXPECT_CALL(*mock_, GetOperation("operations/op-1", _))
      .WillOnce(Return(Op(false, 60)));
  auto op = Client().StartDeleteCluster(Act(kClientCluster));
  ASSERT_THAT(op, IsOk());
  ASSERT_THAT(op->Refresh(), IsOk());
  EXPECT_EQ(op->operation().progress_percent, 60);
}

TEST_F(ControlClientTest, BlockingVerbStartsAndWaits) {
  EXPECT_CALL(*mock_, CreateCluster).WillOnce(Return(Op(false)));
  EXPECT_CALL(*mock_, WaitOperation).WillOnce(Return(Op(true)));
  control::CreateClusterRequest req;
  req.parent = kProject;
  req.cluster_id = "prod";
  req.cluster.environment = kEnv;
  auto cluster = Client().CreateCluster(req);
  ASSERT_THAT(cluster, IsOk());
  EXPECT_EQ(cluster->state, control::ClusterState::kRunning);
  EXPECT_EQ(cluster->admin_password, "secret");
}

TEST_F(ControlClientTest, BlockingVerbWithoutClusterReturnsTheTarget) {
  control::Operation done = Op(false);
  done.done = true;
  EXPECT_CALL(*mock_, PurgeCluster).WillOnce(Return(done));
  auto cluster = Client().PurgeCluster(Act(kClientCluster));
  ASSERT_THAT(cluster, IsOk());
  EXPECT_EQ(cluster->name, kClientCluster);
}

// ---- validation
// --------------------------------------------------------------

TEST_F(ControlClientTest, BadNamesAreInvalidArgumentBeforeAnyRpc) {
  ControlClient c = Client();  // StrictMock: any RPC fails the test
  EXPECT_THAT(c.GetCluster("clusters/prod"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       AllOf(HasSubstr("name"), HasSubstr("clusters/prod"))));
  EXPECT_THAT(c.GetCluster(""), StatusIs(absl::StatusCode::kInvalidArgument,
                                         HasSubstr("required")));
  EXPECT_THAT(c.GetProject("organizations/Acme/projects/search"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("Acme")));
  control::CreateOrganizationRequest org;
  org.organization_id = "a";
  EXPECT_THAT(c.CreateOrganization(org),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("organization_id")));
  org.organization_id = "acme-";
  EXPECT_THAT(c.CreateOrganization(org),
              StatusIs(absl::StatusCode::kInvalidArgument));
  org.organization_id = "9acme";
  EXPECT_THAT(c.CreateOrganization(org),
              StatusIs(absl::StatusCode::kInvalidArgument));
  control::CreateClusterRequest cluster;
  cluster.parent = kProject;
  cluster.cluster_id = "prod";
  EXPECT_THAT(c.StartCreateCluster(cluster),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("cluster.environment")));
  cluster.cluster.environment = kEnv;
  cluster.cluster_id = "Prod";
  EXPECT_THAT(
      c.CreateCluster(cluster),
      StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("cluster_id")));
  EXPECT_THAT(
      c.ScaleCluster({kClientCluster, 0, 0, "", ""}),
      StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("cu_size")));
  EXPECT_THAT(c.ScaleCluster({kClientCluster, -1, 0, "", ""}),
              StatusIs(absl::StatusCode::kInvalidArgument));
  control::Cluster update;
  update.name = kClientCluster;
  EXPECT_THAT(
      c.UpdateCluster(update, {}),
      StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("update_mask")));
  control::ListRequest list;
  list.parent = kOrg;
  list.page_size = 1001;
  EXPECT_THAT(c.ListProjects(list), StatusIs(absl::StatusCode::kInvalidArgument,
                                             HasSubstr("page_size")));
  list.page_size = 0;
  list.filter = "role=x";
  EXPECT_THAT(c.ListMembers(list), StatusIs(absl::StatusCode::kInvalidArgument,
                                            HasSubstr("filter")));
  list.filter.clear();
  list.parent = kProject;
  EXPECT_THAT(c.ListApiKeys(list), StatusIs(absl::StatusCode::kInvalidArgument,
                                            HasSubstr("parent")));
  EXPECT_THAT(c.GetOperation("ops/1"),
              StatusIs(absl::StatusCode::kInvalidArgument));
  control::CreateEnvironmentRequest env;
  env.parent = kProject;
  env.environment_id = "aws";
  EXPECT_THAT(c.CreateEnvironment(env),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("environment.mode")));
  control::CreateApiKeyRequest key;
  key.parent = kOrg;
  key.api_key.scope = kProject;
  key.api_key.role = "owner";
  EXPECT_THAT(c.CreateApiKey(key), StatusIs(absl::StatusCode::kInvalidArgument,
                                            HasSubstr("api_key.role")));
  EXPECT_THAT(
      c.TestPermissions({kProject, {}}),
      StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("actions")));
  EXPECT_THAT(c.emulator().AdvanceClock(ms(-1)),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("by")));
  control::Fault fault;
  fault.verb = "CreateCluster";
  EXPECT_THAT(
      c.emulator().InjectFault(fault),
      StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("fault.mode")));
}

TEST_F(ControlClientTest, GoodNamesPass) {
  EXPECT_CALL(*mock_, ListClusters)
      .WillOnce(Return(control::Page<control::Cluster>{}));
  EXPECT_CALL(*mock_, GetRole).Times(2).WillRepeatedly(Return(control::Role{}));
  EXPECT_CALL(*mock_, GetMember).WillOnce(Return(control::Member{}));
  ControlClient c = Client();
  control::ListRequest all;
  all.parent = "organizations/acme/projects/-";
  EXPECT_THAT(c.ListClusters(all), IsOk());
  EXPECT_THAT(c.GetRole("roles/project.read_only"), IsOk());
  EXPECT_THAT(c.GetRole("organizations/acme/roles/auditor"), IsOk());
  EXPECT_THAT(c.GetMember("organizations/acme/members/ann@example.com"),
              IsOk());
}

// ---- the emulator
// ---------------------------------------------------------------

TEST_F(ControlClientTest, EmulatorCallsGoThroughTheConnection) {
  control::EmulatorSettings settings;
  settings.manual_clock = true;
  EXPECT_CALL(*mock_, GetEmulatorSettings).WillOnce(Return(settings));
  EXPECT_CALL(*mock_, AdvanceClock(ms(5000), _)).WillOnce(Return(settings));
  EXPECT_CALL(*mock_, ClearFaults("", _)).WillOnce(Return(absl::OkStatus()));
  EmulatorClient emu = Client().emulator();
  ASSERT_THAT(emu.GetSettings(), IsOk());
  EXPECT_THAT(emu.AdvanceClock(ms(5000)), IsOk());
  EXPECT_THAT(emu.ClearFaults(), IsOk());
}

// ---- the connection interface and options
// -------------------------------------

TEST(ControlConnectionTest, DefaultsAreUnimplemented) {
  struct Bare : ControlConnection {
    std::string backend_name() const override { return "bare"; }
  };
  auto bare = std::make_shared<Bare>();
  ControlOptions options;
  options.endpoint = "http://x:1";
  ControlClient c(bare, options);
  EXPECT_THAT(c.GetOrganization("organizations/acme"),
              StatusIs(absl::StatusCode::kUnimplemented,
                       AllOf(HasSubstr("GetOrganization"), HasSubstr("bare"))));
  EXPECT_THAT(c.emulator().ListFaults(),
              StatusIs(absl::StatusCode::kUnimplemented));
  EXPECT_THAT(
      bare->AwaitOperation({"operations/op-1", ms(10)}, {}),
      StatusIs(absl::StatusCode::kUnimplemented, HasSubstr("AwaitOperation")));
}

TEST(ControlOptionsTest, Validate) {
  ControlOptions o;
  EXPECT_THAT(o.Validate(), StatusIs(absl::StatusCode::kInvalidArgument,
                                     HasSubstr("endpoint")));
  o.endpoint = "http://127.0.0.1:8080";
  EXPECT_THAT(o.Validate(), IsOk());
  o.max_attempts = 0;
  EXPECT_THAT(o.Validate(), StatusIs(absl::StatusCode::kInvalidArgument,
                                     HasSubstr("max_attempts")));
  o.max_attempts = 1;
  o.timeout = ms(0);
  EXPECT_THAT(o.Validate(), StatusIs(absl::StatusCode::kInvalidArgument,
                                     HasSubstr("timeout")));
}

TEST(ControlOptionsTest, ConnectRejectsBadEndpoints) {
  for (const char* bad : {"127.0.0.1:80", "ftp://x", "http://", "http://x:0",
                          "http://x:99999", "https://x:1/path"}) {
    ControlOptions o;
    o.endpoint = bad;
    EXPECT_THAT(
        ControlClient::Connect(o),
        StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("endpoint")))
        << bad;
  }
  ControlOptions o;
  o.endpoint = "https://127.0.0.1:1";
  o.ca_cert_file = "/nonexistent/ca.pem";
  EXPECT_THAT(ControlClient::Connect(o),
              StatusIs(absl::StatusCode::kNotFound, HasSubstr("ca_cert_file")));
}

TEST(ControlOptionsTest, ConnectToNothingIsUnavailable) {
  ControlOptions o;
  o.endpoint = "http://127.0.0.1:1";
  o.max_attempts = 2;
  o.initial_backoff = ms(10);
  o.max_backoff = ms(10);
  o.timeout = ms(2000);
  auto c = ControlClient::Connect(o);
  ASSERT_THAT(c, IsOk());
  EXPECT_THAT(c->GetOrganization("organizations/acme"),
              StatusIs(absl::StatusCode::kUnavailable));
}

TEST(ControlTypesTest, EnumNamesMatchTheProto) {
  EXPECT_EQ(control::ToString(control::ClusterState::kRunning), "RUNNING");
  EXPECT_EQ(control::ToString(control::ClusterState::kDeleted), "DELETED");
  EXPECT_EQ(control::ToString(control::EnvironmentMode::kCrossAccount),
            "CROSS_ACCOUNT");
  EXPECT_EQ(control::ToString(control::EnvironmentState::kReady), "READY");
  EXPECT_EQ(control::ToString(control::AuditOutcome::kDenied), "DENIED");
  EXPECT_EQ(control::ToString(control::Effect::kAllow), "ALLOW");
  EXPECT_EQ(control::ToString(control::RoleLevel::kProject), "PROJECT");
  EXPECT_EQ(control::ToString(control::InvitationState::kPending), "PENDING");
  EXPECT_EQ(control::ToString(control::FaultMode::kStall), "STALL");
}

}  // namespace
}  // namespace cove
