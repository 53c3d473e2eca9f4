// Issue 19, network access (cross-account mode): a cluster's IP access list
// is validated and canonicalised by the API, enforced by its data plane on
// the client's address (real connections from 127.0.0.2 and 127.0.0.3),
// changed by UpdateCluster without a restart, and every refusal is an audit
// event with the cluster, the client's address and the reason. An IDLE
// cluster's endpoint refuses the same clients without waking.
// Agent mode: tests/agent/agent_ip_access_test.cc.
#include <string>
#include <vector>

#include "cloud/cloud_fixture.h"
#include "gmock/gmock.h"
#include "hosting/port_reservation.h"
#include "testing/source_address_client.h"

namespace cove::cloud::testing {
namespace {

using ::cove::testing::IsOk;
using ::cove::testing::ShowCollectionsFrom;
using ::cove::testing::StatusIs;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Not;

class IpAccessTest : public CloudFixture {
 protected:
  void SetUp() override {
    CloudFixture::SetUp();
    ASSERT_OK_AND_ASSIGN(v1::Organization org, MakeOrg("acme"));
    ASSERT_THAT(MakeProject("acme", "web"), IsOk());
    ASSERT_THAT(MakeEnv(project_, "env1", org.external_id()), IsOk());
  }

  absl::StatusOr<v1::Operation> Create(const std::string& id,
                                       const std::vector<std::string>& list,
                                       int64_t idle_seconds = 0) {
    v1::CreateClusterRequest req;
    req.set_parent(project_);
    req.set_cluster_id(id);
    req.mutable_cluster()->set_environment(env_);
    for (const std::string& cidr : list)
      req.mutable_cluster()->add_ip_access_list(cidr);
    req.mutable_cluster()->mutable_idle_timeout()->set_seconds(idle_seconds);
    return Call(&v1::ControlPlane::Stub::CreateCluster, req, kAdminKey);
  }

  absl::StatusOr<v1::Cluster> SetList(const std::string& name,
                                      const std::vector<std::string>& list) {
    v1::UpdateClusterRequest req;
    req.mutable_cluster()->set_name(name);
    for (const std::string& cidr : list)
      req.mutable_cluster()->add_ip_access_list(cidr);
    req.mutable_update_mask()->add_paths("ip_access_list");
    return Call(&v1::ControlPlane::Stub::UpdateCluster, req, kAdminKey);
  }

  const std::string project_ = "organizations/acme/projects/web";
  const std::string env_ = project_ + "/environments/env1";
};

TEST_F(IpAccessTest, ValidatedAndCanonicalisedByTheApi) {
  EXPECT_THAT(Create("bad", {"127.0.0.2", "10.1.2.3/8"}),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("cluster.ip_access_list[1]: expected a "
                                 "network address with its host bits zero "
                                 "(got '10.1.2.3/8'")));
  EXPECT_THAT(
      Create("bad", {"localhost"}),
      StatusIs(absl::StatusCode::kInvalidArgument,
               HasSubstr("cluster.ip_access_list[0]: expected a CIDR")));
  std::vector<std::string> many;
  for (int i = 0; i < 65; ++i)
    many.push_back(absl::StrCat("10.", i, ".0.0/16"));
  EXPECT_THAT(Create("bad", many),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("at most 64 CIDRs (got 65)")));
  ASSERT_OK_AND_ASSIGN(v1::Operation op,
                       Create("net", {"127.0.0.2", "2001:DB8::/32"}));
  ASSERT_OK_AND_ASSIGN(v1::Operation done, Wait(op.name()));
  ASSERT_EQ(done.cluster().state(), v1::Cluster::RUNNING);
  EXPECT_THAT(done.cluster().ip_access_list(),
              ElementsAre("127.0.0.2/32", "2001:db8::/32"));
  EXPECT_THAT(SetList(done.cluster().name(), {"::ffff:127.0.0.0/104", "x"}),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("cluster.ip_access_list[1]")));
  ASSERT_OK_AND_ASSIGN(v1::Cluster got, GetCluster(done.cluster().name()));
  EXPECT_THAT(got.ip_access_list(),
              ElementsAre("127.0.0.2/32", "2001:db8::/32"));
  ASSERT_OK_AND_ASSIGN(
      got, SetList(done.cluster().name(), {"::ffff:127.0.0.0/104"}));
  EXPECT_THAT(got.ip_access_list(), ElementsAre("127.0.0.0/8"));
  // Another field's update leaves the list alone.
  v1::UpdateClusterRequest req;
  req.mutable_cluster()->set_name(got.name());
  req.mutable_cluster()->set_display_name("renamed");
  req.mutable_update_mask()->add_paths("display_name");
  ASSERT_OK_AND_ASSIGN(
      got, Call(&v1::ControlPlane::Stub::UpdateCluster, req, kAdminKey));
  EXPECT_THAT(got.ip_access_list(), ElementsAre("127.0.0.0/8"));
}

TEST_F(IpAccessTest, EnforcedOnSourceAddressesChangedWithoutRestartAudited) {
  ASSERT_OK_AND_ASSIGN(v1::Operation op, Create("net", {"127.0.0.2"}));
  ASSERT_OK_AND_ASSIGN(v1::Operation done, Wait(op.name()));
  const v1::Cluster& c = done.cluster();
  ASSERT_EQ(c.state(), v1::Cluster::RUNNING);
  const int port = hosting::PortOf(c.endpoint());
  const std::string pw = c.admin_password();
  EXPECT_TRUE(ShowCollectionsFrom("127.0.0.2", port, "root", pw).ok());
  grpc::Status refused = ShowCollectionsFrom("127.0.0.3", port, "root", pw);
  EXPECT_EQ(refused.error_code(), grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(refused.error_message(),
            "client address 127.0.0.3 is not allowed by the IP access list "
            "of cluster '" +
                c.name() + "'");
  // The Cove client (from 127.0.0.1) is refused too, with the same reason.
  ClientOptions options;
  options.remote.user = "root";
  options.remote.password = pw;
  options.remote.max_attempts = 1;
  EXPECT_THAT(Client::Open(c.endpoint(), options).status(),
              StatusIs(absl::StatusCode::kPermissionDenied,
                       HasSubstr("client address 127.0.0.1 is not allowed")));

  // Changed while serving: the same data plane (its metrics endpoint and
  // request counters stay), the next call sees the new list.
  ASSERT_OK_AND_ASSIGN(v1::Cluster updated,
                       SetList(c.name(), {"127.0.0.3/32"}));
  EXPECT_EQ(updated.endpoint(), c.endpoint());
  EXPECT_EQ(ShowCollectionsFrom("127.0.0.2", port, "root", pw).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_TRUE(ShowCollectionsFrom("127.0.0.3", port, "root", pw).ok());
  // Empty: open to every address.
  ASSERT_THAT(SetList(c.name(), {}), IsOk());
  EXPECT_TRUE(ShowCollectionsFrom("127.0.0.2", port, "root", pw).ok());
  EXPECT_THAT(DataClient(c.endpoint(), pw), IsOk());

  // Three refusals, each an audit event naming the cluster, the address
  // and the reason; never the list's entries.
  std::vector<v1::AuditEvent> events =
      Audit("organizations/acme", "action=dataPlane.ipAccessList");
  ASSERT_EQ(events.size(), 3u);
  const char* addresses[] = {"127.0.0.3", "127.0.0.1", "127.0.0.2"};
  for (size_t i = 0; i < events.size(); ++i) {
    const v1::AuditEvent& e = events[i];
    EXPECT_EQ(e.resource(), c.name());
    EXPECT_EQ(e.outcome(), v1::AuditEvent::DENIED);
    EXPECT_EQ(e.status_code(), 7);
    EXPECT_THAT(e.client_address(), HasSubstr(addresses[i]));
    EXPECT_THAT(e.message(),
                HasSubstr(absl::StrCat("client address ", addresses[i],
                                       " is not allowed by the IP access "
                                       "list")));
    EXPECT_THAT(e.message(), Not(HasSubstr("/32")));
  }
  EXPECT_EQ(events[0].actor(), c.name() + "/users/root");
  EXPECT_THAT(events[0].message(), HasSubstr("ShowCollections"));
}

TEST_F(IpAccessTest, IdleEndpointRefusesWithoutWaking) {
  v1::SetClockRequest clock;
  clock.mutable_time()->set_seconds(1'800'000'000);
  ASSERT_THAT(Emu(&v1::Emulator::Stub::SetClock, clock), IsOk());
  ASSERT_OK_AND_ASSIGN(v1::Operation op, Create("lazy", {"127.0.0.2"}, 60));
  v1::AdvanceClockRequest tick;
  tick.mutable_by()->set_seconds(1);
  ASSERT_THAT(Emu(&v1::Emulator::Stub::AdvanceClock, tick), IsOk());
  ASSERT_OK_AND_ASSIGN(v1::Operation done, Wait(op.name()));
  const v1::Cluster& c = done.cluster();
  ASSERT_EQ(c.state(), v1::Cluster::RUNNING) << done.error_message();
  v1::AdvanceClockRequest idle;
  idle.mutable_by()->set_seconds(61);
  ASSERT_THAT(Emu(&v1::Emulator::Stub::AdvanceClock, idle), IsOk());
  ASSERT_OK_AND_ASSIGN(v1::Cluster got, GetCluster(c.name()));
  ASSERT_EQ(got.state(), v1::Cluster::IDLE);
  const int port = hosting::PortOf(c.endpoint());
  grpc::Status refused = ShowCollectionsFrom("127.0.0.3", port);
  EXPECT_EQ(refused.error_code(), grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_THAT(refused.error_message(), HasSubstr("127.0.0.3"));
  ASSERT_THAT(Emu(&v1::Emulator::Stub::AdvanceClock, tick), IsOk());
  ASSERT_OK_AND_ASSIGN(got, GetCluster(c.name()));
  EXPECT_EQ(got.state(), v1::Cluster::IDLE);  // not woken
  EXPECT_EQ(Audit("organizations/acme", "action=dataPlane.ipAccessList").size(),
            1u);
  // A list changed while idle is the idle endpoint's at once.
  ASSERT_THAT(SetList(c.name(), {"127.0.0.3"}), IsOk());
  EXPECT_EQ(ShowCollectionsFrom("127.0.0.3", port).error_code(),
            grpc::StatusCode::UNAVAILABLE);  // waking up
}

}  // namespace
}  // namespace cove::cloud::testing
