// The control plane's gRPC connection over a fake ControlStub and a fake
// clock: request ids, retries and their limits, which calls are repeated,
// conversions through the stub, and the polling of operations (a wait
// outlives a control-plane restart). No test sleeps for real.
#include "control/control_connection_impl.h"

#include <chrono>
#include <functional>
#include <memory>
#include <regex>
#include <string>
#include <vector>

#include "absl/synchronization/mutex.h"
#include "cove/control.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "testing/fake_clock.h"
#include "testing/status_matchers.h"

namespace cove::internal {
namespace {

using ::cove::testing::FakeClock;
using ::cove::testing::IsOk;
using ::cove::testing::StatusIs;
using ::testing::AllOf;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ms = std::chrono::milliseconds;

constexpr char kOrg[] = "organizations/acme";
constexpr char kProject[] = "organizations/acme/projects/search";
constexpr char kCluster[] = "organizations/acme/projects/search/clusters/prod";

grpc::Status Unavailable() {
  return grpc::Status(grpc::StatusCode::UNAVAILABLE, "connection refused");
}

// A scripted control plane: each RPC a test uses runs a handler; `calls`
// counts them per method.
class FakeStub : public ControlStub {
 public:
  template <typename Request, typename Response>
  using Handler = std::function<grpc::Status(grpc::ClientContext&,
                                             const Request&, Response*)>;

  Handler<pb::CreateProjectRequest, pb::Project> create_project;
  Handler<pb::DeleteRequest, google::protobuf::Empty> delete_project;
  Handler<pb::ClusterActionRequest, pb::Operation> suspend_cluster;
  Handler<pb::GetRequest, pb::Cluster> get_cluster;
  Handler<pb::UpdateClusterRequest, pb::Cluster> update_cluster;
  Handler<pb::AcceptInvitationRequest, pb::AcceptInvitationResponse>
      accept_invitation;
  Handler<pb::ListAuditEventsRequest, pb::ListAuditEventsResponse>
      list_audit_events;
  Handler<pb::GetClusterMetricsRequest, pb::ClusterMetrics> metrics;
  Handler<pb::WaitOperationRequest, pb::Operation> wait_operation;
  Handler<pb::SetClockRequest, pb::EmulatorSettings> set_clock;

#define COVE_FAKE(Name, Request, Response, handler)                       \
  grpc::Status Name(grpc::ClientContext& context, const Request& request, \
                    Response* response) override {                        \
    Count(#Name);                                                         \
    if (!handler) return ControlStub::Name(context, request, response);   \
    return handler(context, request, response);                           \
  }
  COVE_FAKE(CreateProject, pb::CreateProjectRequest, pb::Project,
            create_project)
  COVE_FAKE(DeleteProject, pb::DeleteRequest, google::protobuf::Empty,
            delete_project)
  COVE_FAKE(SuspendCluster, pb::ClusterActionRequest, pb::Operation,
            suspend_cluster)
  COVE_FAKE(GetCluster, pb::GetRequest, pb::Cluster, get_cluster)
  COVE_FAKE(UpdateCluster, pb::UpdateClusterRequest, pb::Cluster,
            update_cluster)
  COVE_FAKE(AcceptInvitation, pb::AcceptInvitationRequest,
            pb::AcceptInvitationResponse, accept_invitation)
  COVE_FAKE(ListAuditEvents, pb::ListAuditEventsRequest,
            pb::ListAuditEventsResponse, list_audit_events)
  COVE_FAKE(GetClusterMetrics, pb::GetClusterMetricsRequest, pb::ClusterMetrics,
            metrics)
  COVE_FAKE(WaitOperation, pb::WaitOperationRequest, pb::Operation,
            wait_operation)
  COVE_FAKE(SetClock, pb::SetClockRequest, pb::EmulatorSettings, set_clock)
#undef COVE_FAKE

  int calls(const std::string& method) {
    absl::MutexLock lock(&mu_);
    int n = 0;
    for (const std::string& m : calls_) n += m == method;
    return n;
  }

 private:
  void Count(const char* method) {
    absl::MutexLock lock(&mu_);
    calls_.push_back(method);
  }

  absl::Mutex mu_;
  std::vector<std::string> calls_;
};

bool LooksLikeUuid(const std::string& s) {
  static const std::regex re(
      "[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}");
  return std::regex_match(s, re);
}

class ControlConnectionImplTest : public ::testing::Test {
 protected:
  ControlConnectionImplTest() {
    options_.endpoint = "http://127.0.0.1:1";
    options_.initial_backoff = ms(100);
    options_.max_backoff = ms(1000);
    options_.poll_interval = ms(50);
  }

  std::shared_ptr<ControlConnection> Connection() {
    return MakeControlConnection(stub_, options_, clock_.Get());
  }

  static pb::Operation Op(bool done, int progress = 0) {
    pb::Operation op;
    op.set_name("operations/op-1");
    op.set_verb("CreateCluster");
    op.set_target(kCluster);
    op.set_done(done);
    op.set_progress_percent(progress);
    return op;
  }

  std::shared_ptr<FakeStub> stub_ = std::make_shared<FakeStub>();
  ControlOptions options_;
  FakeClock clock_;
};

// ---- request ids

TEST_F(ControlConnectionImplTest, CreateGetsARequestIdReusedByEveryRetry) {
  std::vector<std::string> ids;
  stub_->create_project = [&](grpc::ClientContext&,
                              const pb::CreateProjectRequest& r,
                              pb::Project* out) {
    ids.push_back(r.request_id());
    if (ids.size() < 3) return Unavailable();
    out->set_name(r.parent() + "/projects/" + r.project_id());
    return grpc::Status::OK;
  };
  control::CreateProjectRequest req;
  req.parent = kOrg;
  req.project_id = "search";
  auto project = Connection()->CreateProject(req, {});
  ASSERT_THAT(project, IsOk());
  EXPECT_EQ(project->name, kProject);
  ASSERT_EQ(ids.size(), 3u);
  EXPECT_TRUE(LooksLikeUuid(ids[0])) << ids[0];
  EXPECT_EQ(ids[1], ids[0]);
  EXPECT_EQ(ids[2], ids[0]);
  // Two backoffs, exponential with jitter in [base/2, base].
  ASSERT_EQ(clock_.sleeps.size(), 2u);
  EXPECT_EQ(clock_.sleeps[0], ms(50));
  EXPECT_EQ(clock_.sleeps[1], ms(100));
}

TEST_F(ControlConnectionImplTest, EachCallGetsItsOwnRequestId) {
  std::vector<std::string> ids;
  stub_->suspend_cluster = [&](grpc::ClientContext&,
                               const pb::ClusterActionRequest& r,
                               pb::Operation* out) {
    ids.push_back(r.request_id());
    *out = Op(false);
    return grpc::Status::OK;
  };
  auto connection = Connection();
  control::ClusterActionRequest req;
  req.name = kCluster;
  ASSERT_THAT(connection->SuspendCluster(req, {}), IsOk());
  ASSERT_THAT(connection->SuspendCluster(req, {}), IsOk());
  ASSERT_EQ(ids.size(), 2u);
  EXPECT_NE(ids[0], ids[1]);
}

TEST_F(ControlConnectionImplTest, CallerRequestIdAndEtagAreKept) {
  stub_->delete_project = [](grpc::ClientContext&, const pb::DeleteRequest& r,
                             google::protobuf::Empty*) {
    EXPECT_EQ(r.name(), kProject);
    EXPECT_EQ(r.request_id(), "my-id");
    EXPECT_EQ(r.etag(), "e1");
    return grpc::Status::OK;
  };
  EXPECT_THAT(Connection()->DeleteProject({kProject, "e1", "my-id"}, {}),
              IsOk());
  EXPECT_EQ(stub_->calls("DeleteProject"), 1);
}

// ---- retries

TEST_F(ControlConnectionImplTest, RetriesStopAtMaxAttempts) {
  options_.max_attempts = 3;
  stub_->get_cluster = [](grpc::ClientContext&, const pb::GetRequest&,
                          pb::Cluster*) { return Unavailable(); };
  EXPECT_THAT(Connection()->GetCluster(kCluster, {}),
              StatusIs(absl::StatusCode::kUnavailable,
                       HasSubstr("connection refused")));
  EXPECT_EQ(stub_->calls("GetCluster"), 3);
  EXPECT_EQ(clock_.sleeps.size(), 2u);
}

TEST_F(ControlConnectionImplTest, PerCallMaxAttemptsWins) {
  stub_->get_cluster = [](grpc::ClientContext&, const pb::GetRequest&,
                          pb::Cluster*) { return Unavailable(); };
  ControlCallOptions call;
  call.max_attempts = 1;
  EXPECT_THAT(Connection()->GetCluster(kCluster, call),
              StatusIs(absl::StatusCode::kUnavailable));
  EXPECT_EQ(stub_->calls("GetCluster"), 1);
}

TEST_F(ControlConnectionImplTest, RetriesStopAtTheDeadline) {
  options_.max_attempts = 100;
  options_.timeout = ms(1000);
  stub_->get_cluster = [](grpc::ClientContext& context, const pb::GetRequest&,
                          pb::Cluster*) {
    // Each attempt gets what is left of the call's deadline.
    EXPECT_LE(context.deadline(), std::chrono::system_clock::now() + ms(1000));
    return Unavailable();
  };
  EXPECT_THAT(Connection()->GetCluster(kCluster, {}),
              StatusIs(absl::StatusCode::kUnavailable));
  EXPECT_GT(stub_->calls("GetCluster"), 1);
  EXPECT_LT(stub_->calls("GetCluster"), 10);
}

TEST_F(ControlConnectionImplTest, OtherErrorsAreNotRetriedAndKeepTheirCode) {
  stub_->get_cluster = [](grpc::ClientContext&, const pb::GetRequest&,
                          pb::Cluster*) {
    return grpc::Status(grpc::StatusCode::NOT_FOUND, "cluster prod not found");
  };
  EXPECT_THAT(Connection()->GetCluster(kCluster, {}),
              StatusIs(absl::StatusCode::kNotFound,
                       HasSubstr("cluster prod not found")));
  EXPECT_EQ(stub_->calls("GetCluster"), 1);
  EXPECT_TRUE(clock_.sleeps.empty());
}

TEST_F(ControlConnectionImplTest, UpdatesAcceptAndClockNowAreNotRetried) {
  stub_->update_cluster = [](grpc::ClientContext&,
                             const pb::UpdateClusterRequest& r, pb::Cluster*) {
    EXPECT_THAT(r.update_mask().paths(), ElementsAre("labels"));
    EXPECT_EQ(r.cluster().labels().at("tier"), "gold");
    return Unavailable();
  };
  stub_->accept_invitation =
      [](grpc::ClientContext&, const pb::AcceptInvitationRequest&,
         pb::AcceptInvitationResponse*) { return Unavailable(); };
  stub_->set_clock = [](grpc::ClientContext&, const pb::SetClockRequest&,
                        pb::EmulatorSettings*) { return Unavailable(); };
  auto connection = Connection();
  control::Cluster c;
  c.name = kCluster;
  c.labels["tier"] = "gold";
  EXPECT_THAT(connection->UpdateCluster(c, {"labels"}, {}),
              StatusIs(absl::StatusCode::kUnavailable));
  EXPECT_THAT(connection->AcceptInvitation(
                  {"organizations/acme/invitations/inv-1", "token"}, {}),
              StatusIs(absl::StatusCode::kUnavailable));
  // Setting the clock to "now" is not idempotent; to a given time it is.
  EXPECT_THAT(connection->SetClock(control::SetClockRequest{}, {}),
              StatusIs(absl::StatusCode::kUnavailable));
  EXPECT_EQ(stub_->calls("UpdateCluster"), 1);
  EXPECT_EQ(stub_->calls("AcceptInvitation"), 1);
  EXPECT_EQ(stub_->calls("SetClock"), 1);
  control::SetClockRequest real;
  real.real = true;
  EXPECT_THAT(connection->SetClock(real, {}),
              StatusIs(absl::StatusCode::kUnavailable));
  EXPECT_EQ(stub_->calls("SetClock"), 1 + options_.max_attempts);
}

TEST_F(ControlConnectionImplTest, PagesAndMetricsAreRetriedAndConverted) {
  int audits = 0;
  stub_->list_audit_events = [&](grpc::ClientContext&,
                                 const pb::ListAuditEventsRequest& r,
                                 pb::ListAuditEventsResponse* out) {
    EXPECT_EQ(r.parent(), kOrg);
    EXPECT_EQ(r.page_token(), "t2");
    if (++audits == 1) return Unavailable();
    out->add_audit_events()->set_action("clusters.create");
    out->add_audit_events()->set_action("clusters.delete");
    out->set_next_page_token("t3");
    return grpc::Status::OK;
  };
  int metrics = 0;
  stub_->metrics = [&](grpc::ClientContext&,
                       const pb::GetClusterMetricsRequest& r,
                       pb::ClusterMetrics* out) {
    EXPECT_EQ(r.name(), kCluster);
    EXPECT_EQ(r.window_seconds(), 120);
    if (++metrics == 1) return Unavailable();
    out->set_vector_count(42);
    return grpc::Status::OK;
  };
  auto connection = Connection();
  control::ListAuditEventsRequest req;
  req.parent = kOrg;
  req.page_token = "t2";
  auto page = connection->ListAuditEvents(req, {});
  ASSERT_THAT(page, IsOk());
  ASSERT_EQ(page->items.size(), 2u);
  EXPECT_EQ(page->items[1].action, "clusters.delete");
  EXPECT_EQ(page->next_page_token, "t3");
  auto m = connection->GetClusterMetrics(kCluster, 120, {});
  ASSERT_THAT(m, IsOk());
  EXPECT_EQ(m->vector_count, 42);
}

// ---- polling

TEST_F(ControlConnectionImplTest, AwaitPollsUntilDoneAndTheServerWaits) {
  int waits = 0;
  stub_->wait_operation = [&](grpc::ClientContext& context,
                              const pb::WaitOperationRequest& r,
                              pb::Operation* out) {
    EXPECT_EQ(r.name(), "operations/op-1");
    // The server-side wait is what is left of the 30 s, at most 60 s; the
    // RPC's deadline covers it.
    EXPECT_EQ(r.timeout_ms(), ++waits == 1 ? 30000 : 20000);
    EXPECT_GT(context.deadline(),
              std::chrono::system_clock::now() + ms(r.timeout_ms()));
    clock_.now += ms(10000);
    *out = Op(waits == 2, waits == 2 ? 100 : 50);
    return grpc::Status::OK;
  };
  control::WaitOperationRequest req;
  req.name = "operations/op-1";
  req.timeout = ms(30000);
  auto op = Connection()->AwaitOperation(req, {});
  ASSERT_THAT(op, IsOk());
  EXPECT_TRUE(op->done);
  EXPECT_EQ(waits, 2);
  EXPECT_TRUE(clock_.sleeps.empty());  // the server did the waiting
}

TEST_F(ControlConnectionImplTest, AwaitReturnsTheLastSeenOperationAtTheEnd) {
  int waits = 0;
  stub_->wait_operation = [&](grpc::ClientContext&,
                              const pb::WaitOperationRequest&,
                              pb::Operation* out) {
    ++waits;
    *out = Op(false, 40);  // answers at once: the poll interval paces it
    return grpc::Status::OK;
  };
  control::WaitOperationRequest req;
  req.name = "operations/op-1";
  req.timeout = ms(1000);
  auto op = Connection()->AwaitOperation(req, {});
  ASSERT_THAT(op, IsOk());
  EXPECT_FALSE(op->done);
  EXPECT_EQ(op->progress_percent, 40);
  EXPECT_EQ(waits, 20);  // 1000 ms / 50 ms
}

TEST_F(ControlConnectionImplTest, AwaitOutlivesAControlPlaneRestart) {
  // Default retries (5 attempts from 100 ms); the control plane is down for
  // 90 s of a 10-minute wait.
  options_ = ControlOptions();
  options_.endpoint = "http://127.0.0.1:1";
  const auto down_until = clock_.now + std::chrono::seconds(90);
  stub_->wait_operation = [&](grpc::ClientContext&,
                              const pb::WaitOperationRequest&,
                              pb::Operation* out) {
    if (clock_.now < down_until) return Unavailable();
    *out = Op(true, 100);
    return grpc::Status::OK;
  };
  control::WaitOperationRequest req;
  req.name = "operations/op-1";
  req.timeout = std::chrono::minutes(10);
  auto op = Connection()->AwaitOperation(req, {});
  ASSERT_THAT(op, IsOk());
  EXPECT_TRUE(op->done);
  EXPECT_GT(stub_->calls("WaitOperation"), options_.max_attempts);
  // The backoff of a wait stops growing at 1 s.
  for (ms d : clock_.sleeps) EXPECT_LE(d, ms(1000));
  EXPECT_LE(clock_.now, down_until + ms(1000));
}

TEST_F(ControlConnectionImplTest, AwaitOnAnUnreachableControlPlaneEnds) {
  stub_->wait_operation = [](grpc::ClientContext&,
                             const pb::WaitOperationRequest&,
                             pb::Operation*) { return Unavailable(); };
  control::WaitOperationRequest req;
  req.name = "operations/op-1";
  req.timeout = ms(30000);
  const auto start = clock_.now;
  EXPECT_THAT(
      Connection()->AwaitOperation(req, {}),
      StatusIs(absl::StatusCode::kDeadlineExceeded,
               AllOf(HasSubstr("operations/op-1"), HasSubstr("did not answer"),
                     HasSubstr("connection refused"))));
  EXPECT_LE(clock_.now - start, ms(30000));
  EXPECT_GT(clock_.now - start, ms(30000) - ms(1000));
}

// ---- through ControlClient

TEST_F(ControlConnectionImplTest, ClientWaitUsesTheConnectionsPolling) {
  stub_->wait_operation = [&](grpc::ClientContext&,
                              const pb::WaitOperationRequest&,
                              pb::Operation* out) {
    *out = Op(true, 100);
    return grpc::Status::OK;
  };
  stub_->suspend_cluster = [&](grpc::ClientContext&,
                               const pb::ClusterActionRequest&,
                               pb::Operation* out) {
    *out = Op(false);
    return grpc::Status::OK;
  };
  ControlClient client(Connection(), options_, clock_.Control());
  control::ClusterActionRequest req;
  req.name = kCluster;
  auto op = client.StartSuspendCluster(req);
  ASSERT_THAT(op, IsOk());
  EXPECT_THAT(op->Wait(ms(5000)), IsOk());
  EXPECT_TRUE(op->done());
  EXPECT_EQ(stub_->calls("WaitOperation"), 1);
}

}  // namespace
}  // namespace cove::internal
