// The cluster-hosting library's replicas (issue 19): a data plane served by
// several server instances on the same ports (SO_REUSEPORT) over one
// engine, scaled up and down, upgraded one replica at a time
// (RollingUpgrade), rolled back after a failed health check of a later
// replica, aborted, and moved to a private endpoint with every replica.
// The instances are counted as the kernel sees them: listening sockets on
// the cluster's port (/proc/net/tcp).
#include <stdlib.h>

#include <filesystem>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "cove/client.h"
#include "gmock/gmock.h"
#include "hosting/data_plane.h"
#include "hosting/port_reservation.h"
#include "testing/listeners.h"
#include "testing/status_matchers.h"

namespace cove::hosting {
namespace {

using ::cove::testing::IsOk;
using ::cove::testing::ListenersOn;
using ::cove::testing::StatusIs;
using ::testing::AllOf;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

constexpr char kPassword[] = "replica-test-password";

class DataPlaneReplicasTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/cove-hosting-test-XXXXXX";
    dir_ = ::mkdtemp(tmpl);
    ASSERT_THAT(CreateDataPlaneUsers(dir_ + "/data", "", kPassword, 1000),
                IsOk());
  }
  void TearDown() override {
    plane_.reset();
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }

  // Starts a data plane of `replicas` on release `release` holding 10 rows
  // in "docs".
  void StartPlane(int replicas, const std::string& release) {
    DataPlaneOptions o;
    o.cluster = "organizations/o/projects/p/clusters/c";
    o.data_dir = dir_ + "/data";
    o.pbkdf2_iterations = 1000;
    o.release = release;
    o.replicas = replicas;
    o.capacity_vectors = 1000;
    auto plane = DataPlane::Start(o, &ports_, &endpoint_, &metrics_endpoint_,
                                  &private_endpoint_);
    ASSERT_THAT(plane.status(), IsOk());
    plane_ = *std::move(plane);
    auto data = Open();
    ASSERT_THAT(data.status(), IsOk());
    ASSERT_THAT(data->CreateCollection("docs", 2), IsOk());
    std::vector<Row> rows;
    for (int i = 0; i < 10; ++i) {
      rows.push_back(Row{{"id", Value(static_cast<int64_t>(i))},
                         {"vector", Value::FloatVector({1.0f * i, 1.0f})}});
    }
    ASSERT_THAT(data->Insert("docs", rows).status(), IsOk());
  }

  absl::StatusOr<Client> Open(const std::string& endpoint = "") {
    ClientOptions options;
    options.remote.user = "root";
    options.remote.password = kPassword;
    options.remote.timeout = std::chrono::seconds(10);
    options.remote.initial_backoff = std::chrono::milliseconds(10);
    options.remote.max_backoff = std::chrono::milliseconds(50);
    return Client::Open(endpoint.empty() ? endpoint_ : endpoint, options);
  }

  // A search over a new connection finds 3 hits.
  absl::Status SearchOnce(const std::string& endpoint = "") {
    auto data = Open(endpoint);
    if (!data.ok()) return data.status();
    SearchRequest search;
    search.collection_name = "docs";
    search.vectors = {1, 1};
    search.dim = 2;
    search.limit = 3;
    auto r = data->Search(search);
    if (!r.ok()) return r.status();
    if (r->hits.size() != 1 || r->hits[0].size() != 3)
      return absl::InternalError("not the 3 hits of one query");
    return absl::OkStatus();
  }

  std::string dir_;
  ClusterPorts ports_;
  std::string endpoint_, metrics_endpoint_, private_endpoint_;
  std::shared_ptr<DataPlane> plane_;
};

TEST_F(DataPlaneReplicasTest, ReplicasAreInstancesOnTheSamePorts) {
  StartPlane(3, "1.0");
  const int port = PortOf(endpoint_);
  EXPECT_EQ(plane_->replicas(), 3);
  EXPECT_THAT(plane_->replica_releases(), ElementsAre("1.0", "1.0", "1.0"));
  EXPECT_EQ(ListenersOn(port), 3);
  EXPECT_EQ(ListenersOn(PortOf(metrics_endpoint_)), 3);
  EXPECT_THAT(plane_->HealthCheck(), IsOk());
  // The replicas count into one set of counters, whichever serves a call.
  const auto before = plane_->metrics()->Read().kinds[0].requests();
  for (int i = 0; i < 6; ++i) ASSERT_THAT(SearchOnce(), IsOk());
  EXPECT_EQ(plane_->metrics()->Read().kinds[0].requests(), before + 6);

  ASSERT_THAT(plane_->SetReplicas(1), IsOk());
  EXPECT_EQ(plane_->replicas(), 1);
  EXPECT_EQ(ListenersOn(port), 1);
  ASSERT_THAT(SearchOnce(), IsOk());
  ASSERT_THAT(plane_->SetReplicas(2), IsOk());
  EXPECT_EQ(ListenersOn(port), 2);
  EXPECT_THAT(plane_->replica_releases(), ElementsAre("1.0", "1.0"));
  EXPECT_THAT(plane_->SetReplicas(0),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("replicas: expected 1 to")));
  EXPECT_EQ(endpoint_, plane_->endpoint());
}

TEST_F(DataPlaneReplicasTest, RollingUpgradeOneReplicaAtATime) {
  StartPlane(3, "1.0");
  const int port = PortOf(endpoint_);
  RollingUpgrade::Options o;
  o.to.release = "2.0";
  RollingUpgrade upgrade(plane_, o);
  EXPECT_EQ(upgrade.progress_percent(), 0);
  EXPECT_TRUE(upgrade.Step());
  EXPECT_THAT(plane_->replica_releases(), ElementsAre("2.0", "1.0", "1.0"));
  EXPECT_EQ(upgrade.progress_percent(), 33);
  // The replica's old instance is gone: still 3 instances.
  EXPECT_EQ(ListenersOn(port), 3);
  ASSERT_THAT(SearchOnce(), IsOk());
  EXPECT_TRUE(upgrade.Step());
  EXPECT_THAT(plane_->replica_releases(), ElementsAre("2.0", "2.0", "1.0"));
  EXPECT_EQ(upgrade.progress_percent(), 66);
  EXPECT_FALSE(upgrade.Step());
  EXPECT_TRUE(upgrade.done());
  EXPECT_THAT(upgrade.status(), IsOk());
  EXPECT_EQ(upgrade.progress_percent(), 100);
  EXPECT_THAT(plane_->replica_releases(), ElementsAre("2.0", "2.0", "2.0"));
  EXPECT_EQ(plane_->release(), "2.0");
  EXPECT_EQ(ListenersOn(port), 3);
  ASSERT_THAT(SearchOnce(), IsOk());

  // The whole upgrade at once reports each replica done.
  std::vector<int> seen;
  o.to.release = "3.0";
  ASSERT_THAT(UpgradeDataPlane(plane_, o, [&](int p) { seen.push_back(p); }),
              IsOk());
  EXPECT_THAT(seen, ElementsAre(33, 66));
  EXPECT_THAT(plane_->replica_releases(), ElementsAre("3.0", "3.0", "3.0"));
}

TEST_F(DataPlaneReplicasTest, FailedHealthCheckOfALaterReplicaRollsBack) {
  StartPlane(3, "1.0");
  RollingUpgrade::Options o;
  o.to.release = "2.0";
  o.fail_replica = 3;
  o.fail_reason = "the emulator says no";
  RollingUpgrade upgrade(plane_, o);
  ASSERT_TRUE(upgrade.Step());
  ASSERT_TRUE(upgrade.Step());
  EXPECT_THAT(plane_->replica_releases(), ElementsAre("2.0", "2.0", "1.0"));
  EXPECT_FALSE(upgrade.Step());
  EXPECT_THAT(
      upgrade.status(),
      StatusIs(absl::StatusCode::kUnavailable,
               AllOf(HasSubstr("to release '2.0' failed on replica 3 of 3"),
                     HasSubstr("health check failed: injected fault: the "
                               "emulator says no"),
                     HasSubstr("rolled back to release '1.0'"))));
  EXPECT_THAT(plane_->replica_releases(), ElementsAre("1.0", "1.0", "1.0"));
  EXPECT_EQ(ListenersOn(PortOf(endpoint_)), 3);
  ASSERT_THAT(SearchOnce(), IsOk());

  // A broken release fails on the first replica; nothing to roll back.
  o.fail_replica = 0;
  o.to.unhealthy_reason = "flagged broken";
  EXPECT_THAT(UpgradeDataPlane(plane_, o),
              StatusIs(absl::StatusCode::kUnavailable,
                       AllOf(HasSubstr("failed on replica 1 of 3"),
                             HasSubstr("health check failed: engine: flagged "
                                       "broken"))));
  EXPECT_THAT(plane_->replica_releases(), ElementsAre("1.0", "1.0", "1.0"));

  // Cancelled in the middle: the upgraded replicas go back.
  o.to.unhealthy_reason.clear();
  RollingUpgrade cancelled(plane_, o);
  ASSERT_TRUE(cancelled.Step());
  cancelled.Abort(absl::CancelledError("cancelled"));
  EXPECT_TRUE(cancelled.done());
  EXPECT_THAT(cancelled.status(),
              StatusIs(absl::StatusCode::kCancelled,
                       HasSubstr("rolled back to release '1.0'")));
  EXPECT_THAT(plane_->replica_releases(), ElementsAre("1.0", "1.0", "1.0"));
}

TEST_F(DataPlaneReplicasTest, EndpointsChangeOnEveryReplica) {
  StartPlane(2, "1.0");
  ASSERT_THAT(plane_->ChangeEndpoints("127.0.0.2", false, &ports_, &endpoint_,
                                      &private_endpoint_),
              IsOk());
  ASSERT_FALSE(private_endpoint_.empty());
  EXPECT_EQ(ListenersOn(PortOf(private_endpoint_)), 2);
  EXPECT_EQ(ListenersOn(PortOf(endpoint_)), 2);
  ASSERT_THAT(SearchOnce(private_endpoint_), IsOk());
  ASSERT_THAT(SearchOnce(), IsOk());
  // The private endpoint only: the public port is held (no listener).
  ASSERT_THAT(plane_->ChangeEndpoints("127.0.0.2", true, &ports_, &endpoint_,
                                      &private_endpoint_),
              IsOk());
  EXPECT_EQ(ListenersOn(PortOf(private_endpoint_)), 2);
  ASSERT_THAT(SearchOnce(private_endpoint_), IsOk());
  // An upgrade keeps them.
  RollingUpgrade::Options o;
  o.to.release = "2.0";
  ASSERT_THAT(UpgradeDataPlane(plane_, o), IsOk());
  EXPECT_EQ(ListenersOn(PortOf(private_endpoint_)), 2);
  ASSERT_THAT(SearchOnce(private_endpoint_), IsOk());
}

}  // namespace
}  // namespace cove::hosting
