// The cluster lifecycle end to end, with real data planes: create, data
// calls, capacity, scale, suspend, resume, delete, restore, purge; restart
// of the emulator with a running cluster; TLS.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include "cloud/cloud_fixture.h"
#include "gmock/gmock.h"
#include "hosting/port_reservation.h"
#include "server/metrics_http.h"

namespace cove::cloud::testing {
namespace {

using ::cove::testing::IsOk;
using ::cove::testing::StatusIs;
using ::testing::Contains;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;
using ::testing::StartsWith;

class LifecycleTest : public CloudFixture {
 protected:
  // org "acme", project "web", READY environment "env1".
  void MakeBasics() {
    auto org = MakeOrg("acme", "owner@example.com");
    ASSERT_THAT(org, IsOk());
    org_ = *org;
    ASSERT_THAT(MakeProject("acme", "web"), IsOk());
    auto env = MakeEnv(project_, "env1", org_.external_id());
    ASSERT_THAT(env, IsOk());
    ASSERT_EQ(env->state(), v1::Environment::READY) << env->state_message();
  }

  // Creates a cluster and waits until it runs; returns the done operation.
  v1::Operation CreateRunning(const std::string& id, int cu_size = 1) {
    auto op =
        StartCluster(project_, project_ + "/environments/env1", id, cu_size);
    EXPECT_THAT(op, IsOk());
    if (!op.ok()) return {};
    auto done = Wait(op->name());
    EXPECT_THAT(done, IsOk());
    if (!done.ok()) return {};
    EXPECT_TRUE(done->done());
    EXPECT_EQ(done->error_code(), 0) << done->error_message();
    EXPECT_EQ(done->cluster().state(), v1::Cluster::RUNNING);
    return *done;
  }

  v1::Operation Do(grpc::Status (v1::ControlPlane::Stub::*method)(
                       grpc::ClientContext*, const v1::ClusterActionRequest&,
                       v1::Operation*),
                   const std::string& name) {
    auto op = ClusterAction(method, name);
    EXPECT_THAT(op, IsOk());
    if (!op.ok()) return {};
    auto done = Wait(op->name());
    EXPECT_THAT(done, IsOk());
    return done.ok() ? *done : v1::Operation();
  }

  const std::string project_ = "organizations/acme/projects/web";
  v1::Organization org_;
};

TEST_F(LifecycleTest, FullLifecycleWithRealDataPlane) {
  MakeBasics();
  const std::string name = project_ + "/clusters/search1";
  v1::Operation created = CreateRunning("search1");
  const std::string password = created.cluster().admin_password();
  ASSERT_FALSE(password.empty());
  EXPECT_EQ(created.cluster().admin_user(), "root");
  EXPECT_EQ(created.cluster().capacity_vectors(), 10);
  const std::string endpoint = created.cluster().endpoint();
  ASSERT_THAT(endpoint, StartsWith("http://127.0.0.1:"));
  // The password is shown to the creator of the operation only, once.
  ASSERT_OK_AND_ASSIGN(v1::Cluster got, GetCluster(name));
  EXPECT_THAT(got.admin_password(), IsEmpty());
  EXPECT_EQ(got.state(), v1::Cluster::RUNNING);

  // The data plane is real: a wrong password is refused, root works.
  EXPECT_THAT(DataClient(endpoint, "wrong-password-1"),
              StatusIs(absl::StatusCode::kUnauthenticated));
  ASSERT_OK_AND_ASSIGN(Client data, DataClient(endpoint, password));
  ASSERT_OK(data.CreateCollection("docs", 2));
  ASSERT_OK(data.Insert("docs", Rows(0, 8)).status());
  SearchRequest search;
  search.collection_name = "docs";
  search.vectors = {3.0f, 1.0f};
  search.dim = 2;
  search.limit = 3;
  ASSERT_OK_AND_ASSIGN(SearchResults hits, data.Search(search));
  ASSERT_EQ(hits.hits.size(), 1u);
  EXPECT_EQ(hits.hits[0].size(), 3u);

  // Capacity: 1 CU x 10 vectors; the 11th..13th vector is refused.
  EXPECT_THAT(data.Insert("docs", Rows(8, 5)),
              StatusIs(absl::StatusCode::kResourceExhausted,
                       HasSubstr("admits 10 vectors")));
  ASSERT_OK_AND_ASSIGN(got, GetCluster(name));
  EXPECT_EQ(got.used_vectors(), 8);
  EXPECT_EQ(got.capacity_vectors(), 10);
  // An upsert of existing ids adds nothing and fits.
  EXPECT_OK(data.Upsert("docs", Rows(0, 8)).status());

  // Scale up lifts the limit while serving.
  v1::ScaleClusterRequest scale;
  scale.set_name(name);
  scale.set_cu_size(2);
  scale.set_etag(got.etag());
  ASSERT_OK_AND_ASSIGN(
      v1::Operation op,
      Call(&v1::ControlPlane::Stub::ScaleCluster, scale, kAdminKey));
  EXPECT_EQ(op.cluster().state(), v1::Cluster::MODIFYING);
  ASSERT_OK_AND_ASSIGN(op, Wait(op.name()));
  EXPECT_EQ(op.cluster().state(), v1::Cluster::RUNNING);
  EXPECT_EQ(op.cluster().capacity_vectors(), 20);
  ASSERT_OK(data.Insert("docs", Rows(8, 5)).status());
  // Scale-down refused: 13 vectors > 80% of 10.
  scale.set_cu_size(1);
  scale.clear_etag();
  EXPECT_THAT(Call(&v1::ControlPlane::Stub::ScaleCluster, scale, kAdminKey),
              StatusIs(absl::StatusCode::kFailedPrecondition,
                       HasSubstr("more than 80%")));

  // Suspend: the data plane stops, data calls fail as unavailable.
  op = Do(&v1::ControlPlane::Stub::SuspendCluster, name);
  EXPECT_EQ(op.cluster().state(), v1::Cluster::SUSPENDED);
  // The endpoint stays the cluster's (its port is held).
  EXPECT_EQ(op.cluster().endpoint(), endpoint);
  EXPECT_THAT(data.Get("docs", {Value(int64_t{1})}),
              StatusIs(absl::StatusCode::kUnavailable));
  // Illegal transitions name the state.
  EXPECT_THAT(ClusterAction(&v1::ControlPlane::Stub::SuspendCluster, name),
              StatusIs(absl::StatusCode::kFailedPrecondition,
                       HasSubstr("is SUSPENDED")));

  // Resume: same data, same password.
  op = Do(&v1::ControlPlane::Stub::ResumeCluster, name);
  ASSERT_EQ(op.cluster().state(), v1::Cluster::RUNNING);
  ASSERT_OK_AND_ASSIGN(Client again,
                       DataClient(op.cluster().endpoint(), password));
  ASSERT_OK_AND_ASSIGN(
      auto rows, again.Get("docs", {Value(int64_t{0}), Value(int64_t{12})}));
  EXPECT_EQ(rows.size(), 2u);
  ASSERT_OK_AND_ASSIGN(got, GetCluster(name));
  EXPECT_EQ(got.used_vectors(), 13);

  // Delete is soft: DELETED with a restore window, hidden from lists.
  op = Do(&v1::ControlPlane::Stub::DeleteCluster, name);
  EXPECT_EQ(op.cluster().state(), v1::Cluster::DELETED);
  EXPECT_TRUE(op.cluster().has_purge_time());
  v1::ListClustersRequest list;
  list.set_parent(project_);
  ASSERT_OK_AND_ASSIGN(auto listed, Call(&v1::ControlPlane::Stub::ListClusters,
                                         list, kAdminKey));
  EXPECT_EQ(listed.clusters_size(), 0);
  list.set_filter("show_deleted=true");
  ASSERT_OK_AND_ASSIGN(
      listed, Call(&v1::ControlPlane::Stub::ListClusters, list, kAdminKey));
  EXPECT_EQ(listed.clusters_size(), 1);

  // Restore within the window: running again with the data.
  op = Do(&v1::ControlPlane::Stub::RestoreCluster, name);
  ASSERT_EQ(op.cluster().state(), v1::Cluster::RUNNING);
  ASSERT_OK_AND_ASSIGN(Client restored,
                       DataClient(op.cluster().endpoint(), password));
  ASSERT_OK_AND_ASSIGN(rows, restored.Get("docs", {Value(int64_t{5})}));
  EXPECT_EQ(rows.size(), 1u);

  // Delete and purge: the data directory goes.
  const std::string dir =
      BucketPath(project_, "env1") + "/clusters/acme/web/search1";
  EXPECT_TRUE(std::filesystem::exists(dir));
  op = Do(&v1::ControlPlane::Stub::DeleteCluster, name);
  EXPECT_EQ(op.cluster().state(), v1::Cluster::DELETED);
  op = Do(&v1::ControlPlane::Stub::PurgeCluster, name);
  EXPECT_TRUE(op.done());
  EXPECT_EQ(op.error_code(), 0) << op.error_message();
  EXPECT_THAT(GetCluster(name), StatusIs(absl::StatusCode::kNotFound));
  EXPECT_FALSE(std::filesystem::exists(dir));

  // The audit log shows each step, with the request's client address.
  std::vector<std::string> actions;
  for (const v1::AuditEvent& e :
       Audit("organizations/acme", "resource=" + name)) {
    // The wrong data-plane password above is audited too (the data
    // plane's refusals: tests/cloud/data_plane_audit_test.cc).
    if (e.action() == "dataPlane.authenticate") continue;
    actions.push_back(absl::StrCat(e.action(), ":",
                                   v1::AuditEvent::Outcome_Name(e.outcome())));
    EXPECT_EQ(e.actor(), "admin");
    EXPECT_THAT(e.client_address(), HasSubstr("127.0.0.1"));
  }
  EXPECT_THAT(actions,
              ::testing::ElementsAre(
                  "clusters.create:SUCCEEDED", "clusters.scale:SUCCEEDED",
                  "clusters.scale:FAILED", "clusters.suspend:SUCCEEDED",
                  "clusters.suspend:FAILED", "clusters.resume:SUCCEEDED",
                  "clusters.delete:SUCCEEDED", "clusters.restore:SUCCEEDED",
                  "clusters.delete:SUCCEEDED", "clusters.purge:SUCCEEDED"));
}

TEST_F(LifecycleTest, JanitorPurgesAfterRetentionOnManualClock) {
  MakeBasics();
  const std::string name = project_ + "/clusters/old";
  CreateRunning("old");
  v1::SetClockRequest clock;
  ASSERT_OK(Emu(&v1::Emulator::Stub::SetClock, clock).status());
  v1::UpdateSettingsRequest settings;
  settings.mutable_retention()->set_seconds(3600);
  settings.mutable_transition_delay()->set_seconds(0);
  ASSERT_OK(Emu(&v1::Emulator::Stub::UpdateSettings, settings).status());
  v1::Operation op = Do(&v1::ControlPlane::Stub::DeleteCluster, name);
  ASSERT_EQ(op.cluster().state(), v1::Cluster::DELETED);
  v1::AdvanceClockRequest advance;
  advance.mutable_by()->set_seconds(3599);
  ASSERT_OK(Emu(&v1::Emulator::Stub::AdvanceClock, advance).status());
  EXPECT_THAT(GetCluster(name), IsOk());
  advance.mutable_by()->set_seconds(2);
  ASSERT_OK(Emu(&v1::Emulator::Stub::AdvanceClock, advance).status());
  EXPECT_THAT(GetCluster(name), StatusIs(absl::StatusCode::kNotFound));
  EXPECT_FALSE(std::filesystem::exists(BucketPath(project_, "env1") +
                                       "/clusters/acme/web/old"));
  auto events = Audit("organizations/acme", "actor=system");
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].action(), "clusters.purge");
}

// Issue 13, item 15: a cluster keeps its endpoint and metrics endpoint for
// its lifetime: through suspend/resume, scaling, a failed start and
// emulator restarts (with the cluster running and suspended). Its ports are
// held while it does not serve: nobody else can bind them, and connections
// are refused.
TEST_F(LifecycleTest, EndpointsStayTheClustersForItsLifetime) {
  MakeBasics();
  const std::string name = project_ + "/clusters/stable";
  v1::Operation created = CreateRunning("stable");
  const std::string password = created.cluster().admin_password();
  const std::string endpoint = created.cluster().endpoint();
  const std::string metrics = created.cluster().metrics_endpoint();
  ASSERT_THAT(endpoint, StartsWith("http://127.0.0.1:"));
  ASSERT_THAT(metrics, StartsWith("http://127.0.0.1:"));
  {
    ASSERT_OK_AND_ASSIGN(Client data, DataClient(endpoint, password));
    ASSERT_OK(data.CreateCollection("docs", 2));
    ASSERT_OK(data.Insert("docs", Rows(0, 3)).status());
  }
  const auto port_of = [](const std::string& url) {
    std::string rest = url.substr(url.find("://") + 3);
    rest = rest.substr(0, rest.find('/'));
    return std::stoi(rest.substr(rest.rfind(':') + 1));
  };
  // A plain bind (what another program would do) of a port.
  const auto bindable = [](int port) {
    const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(static_cast<uint16_t>(port));
    ::inet_pton(AF_INET, "127.0.0.1", &a.sin_addr);
    const bool ok = ::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof(a)) == 0;
    ::close(fd);
    return ok;
  };
  const auto expect_same = [&](const v1::Cluster& c, const char* when) {
    EXPECT_EQ(c.endpoint(), endpoint) << when;
    EXPECT_EQ(c.metrics_endpoint(), metrics) << when;
  };
  const auto expect_serving = [&](const char* when) {
    ASSERT_OK_AND_ASSIGN(Client data, DataClient(endpoint, password));
    ASSERT_OK_AND_ASSIGN(auto rows, data.Get("docs", {Value(int64_t{2})}));
    EXPECT_EQ(rows.size(), 1u) << when;
    EXPECT_THAT(server::HttpGet(metrics), IsOk()) << when;
  };

  // Suspended: the same endpoints, held (refused, not bindable by others).
  v1::Operation op = Do(&v1::ControlPlane::Stub::SuspendCluster, name);
  ASSERT_EQ(op.cluster().state(), v1::Cluster::SUSPENDED);
  expect_same(op.cluster(), "suspended");
  EXPECT_FALSE(bindable(port_of(endpoint)));
  EXPECT_FALSE(bindable(port_of(metrics)));
  EXPECT_THAT(server::HttpGet(metrics), Not(IsOk()));
  // Other clusters get other ports meanwhile.
  v1::Operation other = CreateRunning("other");
  EXPECT_NE(other.cluster().endpoint(), endpoint);
  EXPECT_NE(hosting::PortOf(other.cluster().metrics_endpoint()),
            port_of(metrics));
  EXPECT_NE(hosting::PortOf(other.cluster().endpoint()), port_of(metrics));
  // Resumed: the same endpoints, serving.
  op = Do(&v1::ControlPlane::Stub::ResumeCluster, name);
  ASSERT_EQ(op.cluster().state(), v1::Cluster::RUNNING);
  expect_same(op.cluster(), "resumed");
  expect_serving("resumed");
  // Scaled.
  v1::ScaleClusterRequest scale;
  scale.set_name(name);
  scale.set_cu_size(2);
  ASSERT_OK_AND_ASSIGN(
      op, Call(&v1::ControlPlane::Stub::ScaleCluster, scale, kAdminKey));
  ASSERT_OK_AND_ASSIGN(op, Wait(op.name()));
  ASSERT_EQ(op.error_code(), 0) << op.error_message();
  expect_same(op.cluster(), "scaled");
  // An emulator restart while it runs.
  Restart(options_);
  ASSERT_OK_AND_ASSIGN(v1::Cluster got, GetCluster(name));
  expect_same(got, "restarted while running");
  expect_serving("restarted while running");
  // An emulator restart while it is suspended, then a resume.
  op = Do(&v1::ControlPlane::Stub::SuspendCluster, name);
  Restart(options_);
  ASSERT_OK_AND_ASSIGN(got, GetCluster(name));
  EXPECT_EQ(got.state(), v1::Cluster::SUSPENDED);
  expect_same(got, "restarted while suspended");
  EXPECT_FALSE(bindable(port_of(endpoint)));
  op = Do(&v1::ControlPlane::Stub::ResumeCluster, name);
  expect_same(op.cluster(), "resumed after the restart");
  expect_serving("resumed after the restart");
  // Deleted and restored within the window.
  op = Do(&v1::ControlPlane::Stub::DeleteCluster, name);
  expect_same(op.cluster(), "deleted");
  op = Do(&v1::ControlPlane::Stub::RestoreCluster, name);
  expect_same(op.cluster(), "restored");
  expect_serving("restored");
  // Purged: the ports are let go (a plain bind of the data port works; the
  // metrics port may linger in TIME_WAIT after the scrapes).
  op = Do(&v1::ControlPlane::Stub::DeleteCluster, name);
  op = Do(&v1::ControlPlane::Stub::PurgeCluster, name);
  ASSERT_EQ(op.error_code(), 0) << op.error_message();
  EXPECT_TRUE(bindable(port_of(endpoint)));
}

// Issue 13, item 12: ResetClusterPassword gives the data plane's root user a
// new password, shown once to its caller, audited (never with the secret),
// for cluster admins only; on a running or a suspended cluster, and across
// a restart of the emulator.
TEST_F(LifecycleTest, ResetClusterPasswordShownOnceAuditedAdminsOnly) {
  MakeBasics();
  const std::string name = project_ + "/clusters/vault";
  v1::Operation created = CreateRunning("vault");
  const std::string endpoint = created.cluster().endpoint();
  const std::string old_password = created.cluster().admin_password();
  ASSERT_OK_AND_ASSIGN(v1::ApiKey rw,
                       MakeKey("acme", "roles/project.read_write", project_));
  ASSERT_OK_AND_ASSIGN(v1::ApiKey reader,
                       MakeKey("acme", "roles/project.read_only", project_));
  ASSERT_OK_AND_ASSIGN(v1::ApiKey admin,
                       MakeKey("acme", "roles/project.admin", project_));
  // A cluster admin: project.admin bound on the cluster alone.
  ASSERT_OK_AND_ASSIGN(v1::ApiKey cluster_admin,
                       MakeKey("acme", "roles/project.admin", name));
  for (const v1::ApiKey* k : {&rw, &reader}) {
    EXPECT_THAT(ClusterAction(&v1::ControlPlane::Stub::ResetClusterPassword,
                              name, k->secret()),
                StatusIs(absl::StatusCode::kPermissionDenied,
                         HasSubstr("clusters.resetPassword")));
  }
  const auto login = [&](const std::string& password) -> absl::Status {
    auto client = DataClient(endpoint, password);
    if (!client.ok()) return client.status();
    return client->ListCollections().status();
  };
  const auto reset = [&](const v1::ApiKey& key) -> std::string {
    auto op = ClusterAction(&v1::ControlPlane::Stub::ResetClusterPassword, name,
                            key.secret());
    EXPECT_THAT(op, IsOk());
    if (!op.ok()) return "";
    EXPECT_EQ(op->verb(), "ResetClusterPassword");
    auto done = Wait(op->name(), key.secret());
    EXPECT_THAT(done, IsOk());
    if (!done.ok()) return "";
    EXPECT_EQ(done->error_code(), 0) << done->error_message();
    // Nobody else sees it.
    auto other = Wait(op->name(), kAdminKey);
    EXPECT_TRUE(other.ok() && other->cluster().admin_password().empty());
    return done->cluster().admin_password();
  };

  const std::string first = reset(admin);
  ASSERT_FALSE(first.empty());
  EXPECT_NE(first, old_password);
  EXPECT_THAT(login(old_password),
              StatusIs(absl::StatusCode::kUnauthenticated));
  EXPECT_OK(login(first));
  ASSERT_OK_AND_ASSIGN(v1::Cluster c, GetCluster(name));
  EXPECT_EQ(c.state(), v1::Cluster::RUNNING);
  EXPECT_THAT(c.admin_password(), IsEmpty());

  // A cluster admin, on a suspended cluster: the new password is there when
  // it resumes.
  Do(&v1::ControlPlane::Stub::SuspendCluster, name);
  const std::string second = reset(cluster_admin);
  ASSERT_FALSE(second.empty());
  ASSERT_OK_AND_ASSIGN(c, GetCluster(name));
  EXPECT_EQ(c.state(), v1::Cluster::SUSPENDED);
  Do(&v1::ControlPlane::Stub::ResumeCluster, name);
  EXPECT_THAT(login(first), StatusIs(absl::StatusCode::kUnauthenticated));
  EXPECT_OK(login(second));

  // Pending across a restart of the emulator: still carried out, and the
  // password still shown (once) to its caller.
  v1::InjectFaultRequest fault;
  fault.mutable_fault()->set_verb("ResetClusterPassword");
  fault.mutable_fault()->set_mode(v1::Fault::STALL);
  ASSERT_OK(Emu(&v1::Emulator::Stub::InjectFault, fault).status());
  ASSERT_OK_AND_ASSIGN(
      v1::Operation pending,
      ClusterAction(&v1::ControlPlane::Stub::ResetClusterPassword, name,
                    admin.secret()));
  Restart(options_);
  ASSERT_OK_AND_ASSIGN(v1::Operation done,
                       Wait(pending.name(), admin.secret()));
  ASSERT_TRUE(done.done());
  ASSERT_EQ(done.error_code(), 0) << done.error_message();
  const std::string third = done.cluster().admin_password();
  ASSERT_FALSE(third.empty());
  EXPECT_OK(login(third));
  EXPECT_THAT(login(second), StatusIs(absl::StatusCode::kUnauthenticated));

  // Not on a deleted cluster.
  Do(&v1::ControlPlane::Stub::DeleteCluster, name);
  EXPECT_THAT(ClusterAction(&v1::ControlPlane::Stub::ResetClusterPassword, name,
                            admin.secret()),
              StatusIs(absl::StatusCode::kFailedPrecondition,
                       HasSubstr("RUNNING or SUSPENDED")));

  // Audited, the denials too, never with a password; none in the state.
  int succeeded = 0, denied = 0;
  for (const v1::AuditEvent& e :
       Audit("organizations/acme", "action=clusters.resetPassword")) {
    succeeded += e.outcome() == v1::AuditEvent::SUCCEEDED;
    denied += e.outcome() == v1::AuditEvent::DENIED;
    for (const std::string& pw : {first, second, third})
      EXPECT_THAT(e.message(), Not(HasSubstr(pw)));
  }
  EXPECT_EQ(succeeded, 3);
  EXPECT_EQ(denied, 2);
  for (const auto& entry :
       std::filesystem::recursive_directory_iterator(options_.state_dir)) {
    if (!entry.is_regular_file()) continue;
    std::ifstream in(entry.path(), std::ios::binary);
    std::stringstream ss;
    ss << in.rdbuf();
    for (const std::string& pw : {first, second, third})
      EXPECT_EQ(ss.str().find(pw), std::string::npos) << entry.path();
  }
}

TEST_F(LifecycleTest, RestartKeepsStateAndBringsClustersBack) {
  MakeBasics();
  const std::string name = project_ + "/clusters/keep";
  v1::Operation created = CreateRunning("keep");
  const std::string password = created.cluster().admin_password();
  {
    ASSERT_OK_AND_ASSIGN(Client data,
                         DataClient(created.cluster().endpoint(), password));
    ASSERT_OK(data.CreateCollection("docs", 2));
    ASSERT_OK(data.Insert("docs", Rows(0, 4)).status());
  }
  // A second cluster is stuck SUSPENDING when the emulator stops.
  CreateRunning("stuck");
  v1::InjectFaultRequest fault;
  fault.mutable_fault()->set_verb("SuspendCluster");
  fault.mutable_fault()->set_mode(v1::Fault::STALL);
  ASSERT_OK(Emu(&v1::Emulator::Stub::InjectFault, fault).status());
  ASSERT_OK_AND_ASSIGN(v1::Operation stuck,
                       ClusterAction(&v1::ControlPlane::Stub::SuspendCluster,
                                     project_ + "/clusters/stuck"));
  ASSERT_OK_AND_ASSIGN(v1::Operation waited,
                       Wait(stuck.name(), kAdminKey, 200));
  EXPECT_FALSE(waited.done());
  ASSERT_OK_AND_ASSIGN(v1::ApiKey key,
                       MakeKey("acme", "roles/project.read_only", project_));
  const std::string old_endpoint = created.cluster().endpoint();

  Restart(options_);
  EXPECT_THAT(server_->initial_admin_key(), IsEmpty());
  // Everything is still there, keys still work.
  ASSERT_OK_AND_ASSIGN(v1::Cluster got, GetCluster(name, key.secret()));
  EXPECT_EQ(got.state(), v1::Cluster::RUNNING);
  EXPECT_EQ(got.endpoint(), old_endpoint);  // the same port when free
  EXPECT_EQ(got.used_vectors(), 4);
  ASSERT_OK_AND_ASSIGN(Client data, DataClient(got.endpoint(), password));
  ASSERT_OK_AND_ASSIGN(auto rows, data.Get("docs", {Value(int64_t{3})}));
  EXPECT_EQ(rows.size(), 1u);
  // The operation in flight resumes (faults do not survive a restart).
  ASSERT_OK_AND_ASSIGN(waited, Wait(stuck.name()));
  EXPECT_TRUE(waited.done());
  EXPECT_EQ(waited.cluster().state(), v1::Cluster::SUSPENDED);
  // The audit log survived too.
  EXPECT_FALSE(Audit("organizations/acme", "action=clusters.create").empty());
}

TEST_F(LifecycleTest, ShutdownDoesNotHangOnWaitOperation) {
  MakeBasics();
  v1::InjectFaultRequest fault;
  fault.mutable_fault()->set_verb("CreateCluster");
  fault.mutable_fault()->set_mode(v1::Fault::STALL);
  ASSERT_OK(Emu(&v1::Emulator::Stub::InjectFault, fault).status());
  ASSERT_OK_AND_ASSIGN(
      v1::Operation op,
      StartCluster(project_, project_ + "/environments/env1", "slow"));
  std::thread waiter([&] {
    auto r = Wait(op.name(), kAdminKey, 60000);
    (void)r;
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  const auto start = std::chrono::steady_clock::now();
  server_.reset();
  waiter.join();
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(5));
}

class TlsCloudTest : public CloudFixture {
 protected:
  void SetUp() override {
    CloudOptions options = TestCloudOptions(state_.path() + "/state");
    options.generate_tls = true;
    StartWith(options);
  }
};

TEST_F(TlsCloudTest, GeneratedCertificateServesControlAndDataPlanes) {
  ASSERT_THAT(server_->endpoint(), StartsWith("https://127.0.0.1:"));
  ASSERT_FALSE(server_->ca_file().empty());
  std::ifstream in(server_->ca_file());
  std::stringstream pem;
  pem << in.rdbuf();
  ASSERT_THAT(pem.str(), HasSubstr("BEGIN CERTIFICATE"));
  // A plaintext client cannot talk to it.
  EXPECT_THAT(MakeOrg("acme"), StatusIs(absl::StatusCode::kUnavailable));
  grpc::SslCredentialsOptions ssl;
  ssl.pem_root_certs = pem.str();
  Connect(grpc::SslCredentials(ssl));
  ASSERT_OK_AND_ASSIGN(v1::Organization org, MakeOrg("acme"));
  ASSERT_THAT(MakeProject("acme", "web"), IsOk());
  const std::string project = "organizations/acme/projects/web";
  ASSERT_THAT(MakeEnv(project, "env1", org.external_id()), IsOk());
  ASSERT_OK_AND_ASSIGN(
      v1::Operation op,
      StartCluster(project, project + "/environments/env1", "tls1"));
  ASSERT_OK_AND_ASSIGN(op, Wait(op.name()));
  ASSERT_EQ(op.cluster().state(), v1::Cluster::RUNNING) << op.error_message();
  ASSERT_THAT(op.cluster().endpoint(), StartsWith("https://127.0.0.1:"));
  ASSERT_OK_AND_ASSIGN(Client data, DataClient(op.cluster().endpoint(),
                                               op.cluster().admin_password(),
                                               server_->ca_file()));
  ASSERT_OK(data.CreateCollection("docs", 2));
  EXPECT_OK(data.Insert("docs", Rows(0, 3)).status());
  // The certificate is kept and reused by the next start.
  const std::string before = pem.str();
  Restart(options_);
  std::ifstream in2(server_->ca_file());
  std::stringstream pem2;
  pem2 << in2.rdbuf();
  EXPECT_EQ(pem2.str(), before);
}

}  // namespace
}  // namespace cove::cloud::testing
