// Versions and upgrades (issue 19) against the emulator with real data
// planes: the release catalog, every cluster's version (reported by its data
// plane's Connect), UpgradeCluster with searches running, a broken release
// rolled back with the data intact, a rolling upgrade of three replicas (one
// at a time, searches running) and its rollback after a failed health check
// of the second replica, and a scheduled upgrade that waits for the
// maintenance window on the manual clock (deferred once, then run).
#include <grpcpp/grpcpp.h>

#include <atomic>
#include <thread>

#include "absl/strings/escaping.h"
#include "absl/synchronization/mutex.h"
#include "cloud/cloud_fixture.h"
#include "common/status_macros.h"
#include "gmock/gmock.h"
#include "hosting/port_reservation.h"
#include "milvus.grpc.pb.h"
#include "server/metrics_http.h"
#include "testing/listeners.h"

namespace cove::cloud::testing {
namespace {

using ::cove::testing::IsOk;
using ::cove::testing::ListenersOn;
using ::cove::testing::StatusIs;
using ::testing::AllOf;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

namespace milvus_pb = ::milvus::proto::milvus;

// Friday 2027-01-15 08:00:00 UTC.
constexpr int64_t kStart = 1'800'000'000;

// What the data plane at `endpoint` says of itself: Connect's release and
// CheckHealth, over the Milvus protocol as root.
struct Reported {
  std::string release;
  bool healthy = false;
};
absl::StatusOr<Reported> AskDataPlane(const std::string& endpoint,
                                      const std::string& password) {
  const std::string target = endpoint.substr(endpoint.find("://") + 3);
  auto stub = milvus_pb::MilvusService::NewStub(
      grpc::CreateChannel(target, grpc::InsecureChannelCredentials()));
  const auto context = [&] {
    auto ctx = std::make_unique<grpc::ClientContext>();
    ctx->AddMetadata("authorization",
                     absl::Base64Escape(absl::StrCat("root:", password)));
    ctx->set_deadline(std::chrono::system_clock::now() +
                      std::chrono::seconds(10));
    return ctx;
  };
  milvus_pb::ConnectResponse connect;
  grpc::Status s =
      stub->Connect(context().get(), milvus_pb::ConnectRequest(), &connect);
  if (!s.ok()) return ToAbsl(s);
  milvus_pb::CheckHealthResponse health;
  s = stub->CheckHealth(context().get(), milvus_pb::CheckHealthRequest(),
                        &health);
  if (!s.ok()) return ToAbsl(s);
  Reported r;
  r.release = connect.server_info().reserved().at("release");
  r.healthy = health.ishealthy();
  return r;
}

class UpgradeTest : public CloudFixture {
 protected:
  void SetUp() override {
    CloudOptions options = TestCloudOptions(state_.path() + "/state");
    for (const char* spec : {"2.5.0:default", "2.6.0:2.5.0",
                             "2.6.1:2.5.0:broken", "2.7.0:2.6.0"}) {
      auto r = ParseCloudRelease(spec);
      ASSERT_THAT(r, IsOk());
      options.releases.push_back(*r);
    }
    StartWith(options);
    ASSERT_OK_AND_ASSIGN(v1::Organization org, MakeOrg("acme"));
    ASSERT_THAT(MakeProject("acme", "web"), IsOk());
    ASSERT_THAT(MakeEnv(project_, "env1", org.external_id()), IsOk());
    v1::SetClockRequest clock;
    clock.mutable_time()->set_seconds(kStart);
    ASSERT_THAT(Emu(&v1::Emulator::Stub::SetClock, clock), IsOk());
  }

  void Advance(absl::Duration by) {
    v1::AdvanceClockRequest req;
    req.mutable_by()->set_seconds(absl::ToInt64Seconds(by));
    ASSERT_THAT(Emu(&v1::Emulator::Stub::AdvanceClock, req), IsOk());
  }

  // A RUNNING cluster holding 10 rows in "docs" (more than one replica
  // needs 8 CUs).
  v1::Cluster CreateWithData(const std::string& id, int replicas = 1) {
    v1::CreateClusterRequest req;
    req.set_parent(project_);
    req.set_cluster_id(id);
    req.mutable_cluster()->set_environment(env_);
    req.mutable_cluster()->set_cu_size(replicas > 1 ? 8 : 4);
    req.mutable_cluster()->set_replicas(replicas);
    auto op = Call(&v1::ControlPlane::Stub::CreateCluster, req, kAdminKey);
    EXPECT_THAT(op, IsOk());
    if (!op.ok()) return {};
    Advance(absl::Seconds(1));
    auto done = Wait(op->name());
    EXPECT_THAT(done, IsOk());
    if (!done.ok()) return {};
    EXPECT_EQ(done->cluster().state(), v1::Cluster::RUNNING);
    auto data = DataClient(done->cluster().endpoint(),
                           done->cluster().admin_password());
    EXPECT_THAT(data.status(), IsOk());
    if (!data.ok()) return {};
    EXPECT_THAT(data->CreateCollection("docs", 2), IsOk());
    EXPECT_THAT(data->Insert("docs", Rows(0, 10)).status(), IsOk());
    return done->cluster();
  }

  absl::StatusOr<v1::Operation> Upgrade(
      const std::string& name, const std::string& version,
      bool schedule = false,
      v1::UpgradeClusterRequest::Action action =
          v1::UpgradeClusterRequest::ACTION_UNSPECIFIED,
      const std::string& key = kAdminKey) {
    v1::UpgradeClusterRequest req;
    req.set_name(name);
    req.set_version(version);
    req.set_schedule(schedule);
    req.set_action(action);
    return Call(&v1::ControlPlane::Stub::UpgradeCluster, req, key);
  }

  static absl::StatusOr<int64_t> CountRows(const v1::Cluster& c,
                                           const std::string& password) {
    COVE_ASSIGN_OR_RETURN(Client data, DataClient(c.endpoint(), password));
    QueryRequest q;
    q.collection_name = "docs";
    q.filter = "id >= 0";
    q.output_fields = {"id"};
    q.limit = 1000;
    COVE_ASSIGN_OR_RETURN(std::vector<Row> rows, data.Query(q));
    return static_cast<int64_t>(rows.size());
  }

  const std::string project_ = "organizations/acme/projects/web";
  const std::string env_ = project_ + "/environments/env1";
};

TEST_F(UpgradeTest, CatalogAndVersionsAreReported) {
  v1::ListReleasesRequest all;
  ASSERT_OK_AND_ASSIGN(
      v1::ListReleasesResponse list,
      Call(&v1::ControlPlane::Stub::ListReleases, all, kAdminKey));
  std::vector<std::string> versions;
  for (const auto& r : list.releases()) versions.push_back(r.version());
  EXPECT_THAT(versions, ElementsAre("2.5.0", "2.6.0", "2.6.1", "2.7.0"));
  EXPECT_TRUE(list.releases(0).is_default());
  EXPECT_TRUE(list.releases(2).broken());

  v1::Cluster c = CreateWithData("alpha");
  EXPECT_EQ(c.version(), "2.5.0");
  EXPECT_THAT(c.available_upgrades(), ElementsAre("2.6.0", "2.6.1"));
  ASSERT_OK_AND_ASSIGN(Reported r,
                       AskDataPlane(c.endpoint(), c.admin_password()));
  EXPECT_EQ(r.release, "2.5.0");
  EXPECT_TRUE(r.healthy);
  v1::ListReleasesRequest of;
  of.set_cluster(c.name());
  ASSERT_OK_AND_ASSIGN(
      list, Call(&v1::ControlPlane::Stub::ListReleases, of, kAdminKey));
  ASSERT_EQ(list.releases_size(), 2);
  EXPECT_EQ(list.releases(0).version(), "2.6.0");

  // The catalog changes through the emulator's settings.
  v1::UpdateSettingsRequest settings;
  v1::Release* next = settings.add_releases();
  next->set_version("2.6.2");
  next->add_upgrades_from("2.5.0");
  ASSERT_OK_AND_ASSIGN(v1::EmulatorSettings s,
                       Emu(&v1::Emulator::Stub::UpdateSettings, settings));
  EXPECT_EQ(s.releases_size(), 5);
  ASSERT_OK_AND_ASSIGN(c, GetCluster(c.name()));
  EXPECT_THAT(c.available_upgrades(), ElementsAre("2.6.0", "2.6.1", "2.6.2"));
  settings.mutable_releases(0)->set_version("bad version");
  EXPECT_THAT(Emu(&v1::Emulator::Stub::UpdateSettings, settings),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("releases[0].version")));

  // Requests outside the catalog's paths are refused, naming why.
  EXPECT_THAT(Upgrade(c.name(), "9.9.9"),
              StatusIs(absl::StatusCode::kNotFound,
                       HasSubstr("release '9.9.9' is not in the release")));
  EXPECT_THAT(Upgrade(c.name(), "2.7.0"),
              StatusIs(absl::StatusCode::kFailedPrecondition,
                       AllOf(HasSubstr("runs release '2.5.0'"),
                             HasSubstr("upgrades from '2.6.0'"))));
  EXPECT_THAT(Upgrade(c.name(), "2.6.0", true),
              StatusIs(absl::StatusCode::kFailedPrecondition,
                       HasSubstr("no maintenance window")));
  // Read-only members cannot upgrade.
  ASSERT_OK_AND_ASSIGN(v1::ApiKey reader,
                       MakeKey("acme", "roles/project.read_only", project_));
  EXPECT_THAT(
      Upgrade(c.name(), "2.6.0", false,
              v1::UpgradeClusterRequest::ACTION_UNSPECIFIED, reader.secret()),
      StatusIs(absl::StatusCode::kPermissionDenied,
               HasSubstr("clusters.upgrade")));
}

// Searches running against a cluster's endpoint on their own threads: two
// clients that keep their connection, and one that opens a new connection
// for every search (new connections arrive throughout the swap). Every
// search must succeed with its 3 hits: an upgrade, and its rollback, serve
// reads throughout. The clients retry as users' clients do (the default
// RemoteOptions, 5 attempts; pymilvus retries too): gRPC cancels a call
// that reaches the old release in the instant its shutdown starts, before
// the client has read the GOAWAY that sends it to the new one.
class Readers {
 public:
  Readers(const std::string& endpoint, const std::string& password) {
    // The default RemoteOptions (attempts and backoff), not the fixture's
    // short backoff: a connection reset in the instant a listener closes
    // leaves gRPC's channel in its reconnect backoff (about 1 s), which the
    // default retries outlast.
    const auto open = [endpoint, password] {
      ClientOptions options;
      options.remote.user = "root";
      options.remote.password = password;
      options.remote.timeout = std::chrono::seconds(10);
      return Client::Open(endpoint, options);
    };
    for (int i = 0; i < 3; ++i) {
      const bool reconnect = i == 2;
      threads_.emplace_back([this, open, reconnect] {
        absl::StatusOr<Client> data = open();
        SearchRequest search;
        search.collection_name = "docs";
        search.vectors = {1, 1};
        search.dim = 2;
        search.limit = 3;
        while (!done_.load()) {
          if (reconnect) data = open();
          absl::Status s = data.status();
          if (s.ok()) {
            auto r = data->Search(search);
            s = r.status();
            if (r.ok() && (r->hits.size() != 1 || r->hits[0].size() != 3)) {
              s = absl::InternalError("not the 3 hits of one query");
            }
          }
          if (s.ok()) {
            ++ok_;
          } else if (failed_.fetch_add(1) == 0) {
            absl::MutexLock lock(&mu_);
            first_error_ = s.ToString();
          }
        }
      });
    }
  }
  ~Readers() { Stop(); }

  // Waits until `n` more searches have succeeded.
  void AwaitMore(int n) {
    const int target = ok_.load() + n;
    while (ok_.load() < target && failed_.load() == 0) {
      std::this_thread::yield();
    }
  }
  void Stop() {
    done_ = true;
    for (std::thread& t : threads_) {
      if (t.joinable()) t.join();
    }
  }
  int ok() const { return ok_.load(); }
  int failed() const { return failed_.load(); }
  std::string first_error() {
    absl::MutexLock lock(&mu_);
    return first_error_;
  }

 private:
  std::atomic<bool> done_{false};
  std::atomic<int> ok_{0}, failed_{0};
  absl::Mutex mu_;
  std::string first_error_;
  std::vector<std::thread> threads_;
};

TEST_F(UpgradeTest, UpgradeWithSearchesRunningKeepsEndpointAndData) {
  v1::Cluster c = CreateWithData("live");
  const std::string password = c.admin_password();
  Readers readers(c.endpoint(), password);
  readers.AwaitMore(10);
  ASSERT_OK_AND_ASSIGN(v1::Operation op, Upgrade(c.name(), "2.6.0"));
  EXPECT_EQ(op.cluster().state(), v1::Cluster::MODIFYING);
  Advance(absl::Seconds(1));
  ASSERT_OK_AND_ASSIGN(op, Wait(op.name()));
  ASSERT_EQ(op.error_code(), 0) << op.error_message();
  readers.AwaitMore(10);
  readers.Stop();
  EXPECT_EQ(readers.failed(), 0) << readers.first_error();
  std::cout << "[ upgrade ] searches: " << readers.ok() << " ok, "
            << readers.failed() << " failed\n";

  ASSERT_OK_AND_ASSIGN(v1::Cluster got, GetCluster(c.name()));
  EXPECT_EQ(got.state(), v1::Cluster::RUNNING);
  EXPECT_EQ(got.version(), "2.6.0");
  EXPECT_THAT(got.available_upgrades(), ElementsAre("2.7.0"));
  EXPECT_EQ(got.endpoint(), c.endpoint());
  EXPECT_EQ(got.metrics_endpoint(), c.metrics_endpoint());
  ASSERT_OK_AND_ASSIGN(Reported r, AskDataPlane(c.endpoint(), password));
  EXPECT_EQ(r.release, "2.6.0");
  EXPECT_TRUE(r.healthy);
  ASSERT_OK_AND_ASSIGN(int64_t rows, CountRows(c, password));
  EXPECT_EQ(rows, 10);
  // The metrics endpoint is the new release's.
  ASSERT_OK_AND_ASSIGN(std::string text,
                       server::HttpGet(got.metrics_endpoint()));
  EXPECT_THAT(text, HasSubstr("cove_"));
  auto events = Audit("organizations/acme", "action=clusters.upgrade");
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].resource(), c.name());
}

TEST_F(UpgradeTest, BrokenReleaseIsRolledBackWithTheDataIntact) {
  v1::Cluster c = CreateWithData("safe");
  const std::string password = c.admin_password();
  Readers readers(c.endpoint(), password);
  readers.AwaitMore(10);
  ASSERT_OK_AND_ASSIGN(v1::Operation op, Upgrade(c.name(), "2.6.1"));
  Advance(absl::Seconds(1));
  ASSERT_OK_AND_ASSIGN(op, Wait(op.name()));
  EXPECT_EQ(op.error_code(), static_cast<int>(absl::StatusCode::kUnavailable));
  EXPECT_THAT(op.error_message(),
              AllOf(HasSubstr("to release '2.6.1' failed"),
                    HasSubstr("health check failed: engine"),
                    HasSubstr("flagged broken"),
                    HasSubstr("rolled back to release '2.5.0'")));
  readers.AwaitMore(10);
  readers.Stop();
  EXPECT_EQ(readers.failed(), 0) << readers.first_error();
  ASSERT_OK_AND_ASSIGN(v1::Cluster got, GetCluster(c.name()));
  EXPECT_EQ(got.state(), v1::Cluster::RUNNING);
  EXPECT_EQ(got.version(), "2.5.0");
  EXPECT_THAT(got.state_message(), HasSubstr("rolled back"));
  EXPECT_EQ(got.endpoint(), c.endpoint());
  ASSERT_OK_AND_ASSIGN(Reported r, AskDataPlane(c.endpoint(), password));
  EXPECT_EQ(r.release, "2.5.0");
  EXPECT_TRUE(r.healthy);
  ASSERT_OK_AND_ASSIGN(int64_t rows, CountRows(c, password));
  EXPECT_EQ(rows, 10);
  // A sound release afterwards.
  ASSERT_OK_AND_ASSIGN(op, Upgrade(c.name(), "2.6.0"));
  Advance(absl::Seconds(1));
  ASSERT_OK_AND_ASSIGN(op, Wait(op.name()));
  EXPECT_EQ(op.error_code(), 0) << op.error_message();
  EXPECT_EQ(op.cluster().version(), "2.6.0");
}

// Each replica is a data-plane server instance on the cluster's port: the
// upgrade replaces them one at a time (the operation's progress_percent
// counts the replicas done), searches never fail, and a failed health
// check of the second replica rolls the first one back.
TEST_F(UpgradeTest, RollingUpgradeOfThreeReplicasAndItsRollback) {
  v1::Cluster c = CreateWithData("rolling", 3);
  const std::string password = c.admin_password();
  const int port = hosting::PortOf(c.endpoint());
  EXPECT_EQ(ListenersOn(port), 3);
  {
    Readers readers(c.endpoint(), password);
    readers.AwaitMore(10);
    ASSERT_OK_AND_ASSIGN(v1::Operation op, Upgrade(c.name(), "2.6.0"));
    Advance(absl::Seconds(1));
    // Progress as it is seen: a third of the replicas at a time.
    v1::GetRequest get_op;
    get_op.set_name(op.name());
    for (int i = 0; i < 20000 && !op.done(); ++i) {
      ASSERT_OK_AND_ASSIGN(
          op, Call(&v1::ControlPlane::Stub::GetOperation, get_op, kAdminKey));
      EXPECT_THAT(op.progress_percent(), ::testing::AnyOf(0, 33, 66, 100));
    }
    ASSERT_OK_AND_ASSIGN(op, Wait(op.name()));
    ASSERT_EQ(op.error_code(), 0) << op.error_message();
    EXPECT_EQ(op.progress_percent(), 100);
    readers.AwaitMore(10);
    readers.Stop();
    EXPECT_EQ(readers.failed(), 0) << readers.first_error();
    std::cout << "[ rolling upgrade, 3 replicas ] searches: " << readers.ok()
              << " ok, " << readers.failed() << " failed\n";
  }
  ASSERT_OK_AND_ASSIGN(v1::Cluster got, GetCluster(c.name()));
  EXPECT_EQ(got.state(), v1::Cluster::RUNNING);
  EXPECT_EQ(got.version(), "2.6.0");
  EXPECT_EQ(got.endpoint(), c.endpoint());
  EXPECT_EQ(ListenersOn(port), 3);
  // Every replica runs it (new connections reach any of them).
  for (int i = 0; i < 9; ++i) {
    ASSERT_OK_AND_ASSIGN(Reported r, AskDataPlane(c.endpoint(), password));
    EXPECT_EQ(r.release, "2.6.0");
  }

  // The second replica's new instance fails its health check: the first
  // one, already upgraded, goes back to 2.6.0.
  v1::InjectFaultRequest fault;
  fault.mutable_fault()->set_verb("UpgradeCluster");
  fault.mutable_fault()->set_mode(v1::Fault::FAIL);
  fault.mutable_fault()->set_replica(2);
  fault.mutable_fault()->set_message("replica 2 does not answer");
  fault.mutable_fault()->set_count(1);
  ASSERT_THAT(Emu(&v1::Emulator::Stub::InjectFault, fault), IsOk());
  {
    Readers readers(c.endpoint(), password);
    readers.AwaitMore(10);
    ASSERT_OK_AND_ASSIGN(v1::Operation op, Upgrade(c.name(), "2.7.0"));
    Advance(absl::Seconds(1));
    ASSERT_OK_AND_ASSIGN(op, Wait(op.name()));
    EXPECT_EQ(op.error_code(),
              static_cast<int>(absl::StatusCode::kUnavailable));
    EXPECT_THAT(
        op.error_message(),
        AllOf(HasSubstr("to release '2.7.0' failed on replica 2 of 3"),
              HasSubstr("health check failed: injected fault: replica 2 "
                        "does not answer"),
              HasSubstr("rolled back to release '2.6.0'")));
    readers.AwaitMore(10);
    readers.Stop();
    EXPECT_EQ(readers.failed(), 0) << readers.first_error();
    std::cout << "[ rollback, 3 replicas ] searches: " << readers.ok()
              << " ok, " << readers.failed() << " failed\n";
  }
  ASSERT_OK_AND_ASSIGN(got, GetCluster(c.name()));
  EXPECT_EQ(got.state(), v1::Cluster::RUNNING);
  EXPECT_EQ(got.version(), "2.6.0");
  EXPECT_THAT(got.state_message(), HasSubstr("rolled back"));
  EXPECT_EQ(ListenersOn(port), 3);
  for (int i = 0; i < 9; ++i) {
    ASSERT_OK_AND_ASSIGN(Reported r, AskDataPlane(c.endpoint(), password));
    EXPECT_EQ(r.release, "2.6.0");
  }
  // A replica number on another verb is refused.
  fault.mutable_fault()->set_verb("ScaleCluster");
  EXPECT_THAT(
      Emu(&v1::Emulator::Stub::InjectFault, fault),
      StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("fault.replica")));

  // Scaling starts and stops instances; the data stays.
  v1::ScaleClusterRequest scale;
  scale.set_name(c.name());
  scale.set_replicas(2);
  ASSERT_OK_AND_ASSIGN(
      v1::Operation op,
      Call(&v1::ControlPlane::Stub::ScaleCluster, scale, kAdminKey));
  Advance(absl::Seconds(1));
  ASSERT_OK_AND_ASSIGN(op, Wait(op.name()));
  ASSERT_EQ(op.error_code(), 0) << op.error_message();
  EXPECT_EQ(op.cluster().replicas(), 2);
  EXPECT_EQ(ListenersOn(port), 2);
  ASSERT_OK_AND_ASSIGN(int64_t rows, CountRows(c, password));
  EXPECT_EQ(rows, 10);
}

TEST_F(UpgradeTest, ScheduledUpgradeWaitsForTheWindowAndCanBeDeferred) {
  v1::Cluster c = CreateWithData("sched");
  // The project's window: Saturdays 02:00-04:00 in Paris (01:00 UTC in
  // January); the clock is Friday 08:00 UTC.
  v1::SetMaintenanceWindowRequest set;
  set.set_name(project_);
  set.mutable_window()->set_day_of_week("saturday");
  set.mutable_window()->set_start_time("02:00");
  set.mutable_window()->mutable_duration()->set_seconds(7200);
  set.mutable_window()->set_time_zone("Europe/Paris");
  ASSERT_OK_AND_ASSIGN(
      v1::MaintenanceWindowInfo info,
      Call(&v1::ControlPlane::Stub::SetMaintenanceWindow, set, kAdminKey));
  EXPECT_EQ(info.window().day_of_week(), "SATURDAY");
  const int64_t saturday = kStart + 17 * 3600;
  EXPECT_EQ(info.next_start_time().seconds(), saturday);
  v1::GetMaintenanceWindowRequest get;
  get.set_name(c.name());
  ASSERT_OK_AND_ASSIGN(info, Call(&v1::ControlPlane::Stub::GetMaintenanceWindow,
                                  get, kAdminKey));
  EXPECT_EQ(info.source(), "project");
  set.mutable_window()->set_time_zone("Mars/Olympus");
  EXPECT_THAT(
      Call(&v1::ControlPlane::Stub::SetMaintenanceWindow, set, kAdminKey),
      StatusIs(absl::StatusCode::kInvalidArgument,
               HasSubstr("window.time_zone")));

  ASSERT_OK_AND_ASSIGN(v1::Operation op, Upgrade(c.name(), "2.6.0", true));
  EXPECT_FALSE(op.done());
  ASSERT_OK_AND_ASSIGN(v1::Cluster got, GetCluster(c.name()));
  EXPECT_EQ(got.state(), v1::Cluster::RUNNING);
  EXPECT_EQ(got.scheduled_upgrade().version(), "2.6.0");
  EXPECT_EQ(got.scheduled_upgrade().start_time().seconds(), saturday);
  // A second upgrade while one is scheduled is refused.
  EXPECT_THAT(Upgrade(c.name(), "2.6.0"),
              StatusIs(absl::StatusCode::kFailedPrecondition,
                       HasSubstr("already has an upgrade to '2.6.0'")));
  // Before the window: nothing happens.
  Advance(absl::Hours(16));
  v1::GetRequest get_op;
  get_op.set_name(op.name());
  ASSERT_OK_AND_ASSIGN(
      op, Call(&v1::ControlPlane::Stub::GetOperation, get_op, kAdminKey));
  EXPECT_FALSE(op.done());
  // Deferred: the window after.
  ASSERT_OK_AND_ASSIGN(
      op, Upgrade(c.name(), "", false, v1::UpgradeClusterRequest::DEFER));
  ASSERT_OK_AND_ASSIGN(got, GetCluster(c.name()));
  EXPECT_EQ(got.scheduled_upgrade().start_time().seconds(),
            saturday + 7 * 24 * 3600);
  EXPECT_EQ(got.scheduled_upgrade().deferrals(), 1);
  Advance(absl::Hours(2));  // inside Saturday's window: deferred, waits
  ASSERT_OK_AND_ASSIGN(
      op, Call(&v1::ControlPlane::Stub::GetOperation, get_op, kAdminKey));
  EXPECT_FALSE(op.done());
  ASSERT_OK_AND_ASSIGN(got, GetCluster(c.name()));
  EXPECT_EQ(got.version(), "2.5.0");
  // The next Saturday's window: it runs.
  Advance(absl::Hours(7 * 24 - 1));
  ASSERT_OK_AND_ASSIGN(op, Wait(op.name()));
  ASSERT_TRUE(op.done());
  EXPECT_EQ(op.error_code(), 0) << op.error_message();
  ASSERT_OK_AND_ASSIGN(got, GetCluster(c.name()));
  EXPECT_EQ(got.version(), "2.6.0");
  EXPECT_FALSE(got.has_scheduled_upgrade());
  ASSERT_OK_AND_ASSIGN(int64_t rows, CountRows(c, c.admin_password()));
  EXPECT_EQ(rows, 10);

  // Run now: a scheduled upgrade started at once, outside the window.
  Advance(absl::Hours(3));  // the window has closed
  ASSERT_OK_AND_ASSIGN(op, Upgrade(c.name(), "2.7.0", true));
  EXPECT_FALSE(op.done());
  ASSERT_OK_AND_ASSIGN(
      op, Upgrade(c.name(), "", false, v1::UpgradeClusterRequest::RUN_NOW));
  EXPECT_EQ(op.cluster().state(), v1::Cluster::MODIFYING);
  Advance(absl::Seconds(1));
  ASSERT_OK_AND_ASSIGN(op, Wait(op.name()));
  EXPECT_EQ(op.error_code(), 0) << op.error_message();
  ASSERT_OK_AND_ASSIGN(got, GetCluster(c.name()));
  EXPECT_EQ(got.version(), "2.7.0");
}

}  // namespace
}  // namespace cove::cloud::testing
