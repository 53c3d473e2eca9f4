// Issue 19, network access (cross-account mode): private endpoints. Every
// environment has a private network address of its own (a loopback address
// standing for its VPC); a cluster may listen there too and turn its
// public endpoint off, changes taking effect on the running data plane
// without losing data. Real connections: a client on the private address
// reaches the cluster, the public port refuses connections once disabled,
// and no cluster is reachable through another environment's address.
// Agent mode: tests/agent/agent_private_endpoint_test.cc.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <string>
#include <vector>

#include "cloud/cloud_fixture.h"
#include "common/status_macros.h"
#include "gmock/gmock.h"
#include "hosting/port_reservation.h"
#include "testing/source_address_client.h"

namespace cove::cloud::testing {
namespace {

using ::cove::testing::IsOk;
using ::cove::testing::StatusIs;
using ::testing::HasSubstr;
using ::testing::MatchesRegex;

// A TCP connection to host:port (IPv4) opens.
bool Connects(const std::string& host, int port) {
  const int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return false;
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(static_cast<uint16_t>(port));
  inet_pton(AF_INET, host.c_str(), &a.sin_addr);
  const bool ok = connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof(a)) == 0;
  close(fd);
  return ok;
}

// The host of "http://HOST:PORT".
std::string HostOf(const std::string& endpoint) {
  std::string rest = endpoint.substr(endpoint.find("://") + 3);
  return rest.substr(0, rest.rfind(':'));
}

// ShowCollections as root at host:port: true when it succeeds (the
// credentials are those of the cluster listening there).
bool ReachedAs(const std::string& host, int port, const std::string& pw) {
  auto channel = ::cove::testing::ChannelFromSource(host, port, host);
  if (!channel.ok()) return false;
  auto stub = ::milvus::proto::milvus::MilvusService::NewStub(*channel);
  grpc::ClientContext ctx;
  ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
  ctx.AddMetadata("authorization",
                  absl::Base64Escape(absl::StrCat("root:", pw)));
  ::milvus::proto::milvus::ShowCollectionsRequest req;
  ::milvus::proto::milvus::ShowCollectionsResponse resp;
  return stub->ShowCollections(&ctx, req, &resp).ok() &&
         resp.status().code() == 0;
}

// The number of rows of "docs" through `endpoint`.
absl::StatusOr<int64_t> CountDocs(const std::string& endpoint,
                                  const std::string& password) {
  COVE_ASSIGN_OR_RETURN(Client data, DataClient(endpoint, password));
  QueryRequest count;
  count.collection_name = "docs";
  count.output_fields = {"count(*)"};
  COVE_ASSIGN_OR_RETURN(auto rows, data.Query(count));
  return rows.at(0).at("count(*)").AsInt();
}

class PrivateEndpointTest : public CloudFixture {
 protected:
  void SetUp() override {
    CloudFixture::SetUp();
    ASSERT_OK_AND_ASSIGN(org_, MakeOrg("acme"));
    ASSERT_THAT(MakeProject("acme", "web"), IsOk());
    ASSERT_OK_AND_ASSIGN(env1_, MakeEnv(project_, "env1", org_.external_id()));
  }

  absl::StatusOr<v1::Operation> Create(const std::string& env,
                                       const std::string& id,
                                       bool private_enabled,
                                       bool public_disabled,
                                       int64_t idle_seconds = 0) {
    v1::CreateClusterRequest req;
    req.set_parent(project_);
    req.set_cluster_id(id);
    req.mutable_cluster()->set_environment(env);
    req.mutable_cluster()->set_private_endpoint_enabled(private_enabled);
    req.mutable_cluster()->set_public_endpoint_disabled(public_disabled);
    req.mutable_cluster()->mutable_idle_timeout()->set_seconds(idle_seconds);
    return Call(&v1::ControlPlane::Stub::CreateCluster, req, kAdminKey);
  }

  absl::StatusOr<v1::Cluster> Running(const std::string& env,
                                      const std::string& id,
                                      bool private_enabled,
                                      bool public_disabled) {
    COVE_ASSIGN_OR_RETURN(v1::Operation op,
                          Create(env, id, private_enabled, public_disabled));
    COVE_ASSIGN_OR_RETURN(v1::Operation done, Wait(op.name()));
    if (done.cluster().state() != v1::Cluster::RUNNING)
      return absl::InternalError(done.error_message());
    return done.cluster();
  }

  // UpdateCluster of the fields named in `paths` ("private_endpoint_enabled",
  // "public_endpoint_disabled").
  absl::StatusOr<v1::Cluster> SetEndpoints(
      const std::string& name, bool private_enabled, bool public_disabled,
      std::vector<std::string> paths = {"private_endpoint_enabled",
                                        "public_endpoint_disabled"}) {
    v1::UpdateClusterRequest req;
    req.mutable_cluster()->set_name(name);
    req.mutable_cluster()->set_private_endpoint_enabled(private_enabled);
    req.mutable_cluster()->set_public_endpoint_disabled(public_disabled);
    for (const std::string& p : paths) req.mutable_update_mask()->add_paths(p);
    return Call(&v1::ControlPlane::Stub::UpdateCluster, req, kAdminKey);
  }

  const std::string project_ = "organizations/acme/projects/web";
  v1::Organization org_;
  v1::Environment env1_;
};

TEST_F(PrivateEndpointTest, EnvironmentsGetTheirOwnValidatedAddress) {
  EXPECT_THAT(env1_.private_network_address(),
              MatchesRegex("127\\.1\\.[0-9]+\\.[0-9]+"));
  ASSERT_OK_AND_ASSIGN(v1::Environment env2,
                       MakeEnv(project_, "env2", org_.external_id()));
  EXPECT_NE(env2.private_network_address(), env1_.private_network_address());
  const auto make = [&](const std::string& id, const std::string& address) {
    v1::CreateEnvironmentRequest req =
        EnvRequest(project_, id, org_.external_id());
    req.mutable_environment()->set_private_network_address(address);
    return Call(&v1::ControlPlane::Stub::CreateEnvironment, req, kAdminKey);
  };
  EXPECT_THAT(make("bad1", "vpc.local"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("environment.private_network_address: "
                                 "expected an IPv4 or IPv6 address (got "
                                 "'vpc.local')")));
  EXPECT_THAT(make("bad2", "127.0.0.1"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("not 127.0.0.1 where public endpoints")));
  EXPECT_THAT(make("bad3", "0.0.0.0"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("not a wildcard")));
  EXPECT_THAT(make("bad4", env1_.private_network_address()),
              StatusIs(absl::StatusCode::kAlreadyExists,
                       HasSubstr("private network address of another "
                                 "environment")));
  EXPECT_THAT(make("bad5", "192.0.2.1"),  // TEST-NET-1: not this machine's
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("is not an address of this machine")));
  ASSERT_OK_AND_ASSIGN(v1::Environment given, make("vpc", "127.0.0.9"));
  EXPECT_EQ(given.private_network_address(), "127.0.0.9");
}

TEST_F(PrivateEndpointTest, PublicOffAndOnAgainWithoutLosingData) {
  const std::string env = env1_.name();
  // Refused combinations name both fields.
  EXPECT_THAT(Create(env, "bad", false, true),
              StatusIs(absl::StatusCode::kFailedPrecondition,
                       HasSubstr("cluster.public_endpoint_disabled: needs "
                                 "cluster.private_endpoint_enabled")));
  ASSERT_OK_AND_ASSIGN(v1::Cluster c, Running(env, "docs-db", false, false));
  EXPECT_EQ(c.private_endpoint(), "");
  const std::string pw = c.admin_password();
  const std::string public_endpoint = c.endpoint();
  const int public_port = hosting::PortOf(public_endpoint);
  {
    ASSERT_OK_AND_ASSIGN(Client data, DataClient(public_endpoint, pw));
    ASSERT_THAT(data.CreateCollection("docs", 2), IsOk());
    ASSERT_THAT(data.Insert("docs", Rows(0, 5)).status(), IsOk());
  }
  EXPECT_THAT(SetEndpoints(c.name(), false, true),
              StatusIs(absl::StatusCode::kFailedPrecondition,
                       HasSubstr("cluster.private_endpoint_enabled")));

  // The private endpoint, beside the public one: the same data.
  ASSERT_OK_AND_ASSIGN(v1::Cluster got, SetEndpoints(c.name(), true, false));
  EXPECT_EQ(got.endpoint(), public_endpoint);
  ASSERT_THAT(got.private_endpoint(),
              HasSubstr("http://" + env1_.private_network_address() + ":"));
  const std::string private_endpoint = got.private_endpoint();
  EXPECT_THAT(CountDocs(private_endpoint, pw), IsOk());
  EXPECT_EQ(CountDocs(private_endpoint, pw).value_or(-1), 5);
  EXPECT_EQ(CountDocs(public_endpoint, pw).value_or(-1), 5);

  // Public off: connections to it are refused, the private one serves the
  // data written before; the endpoint is not shown.
  ASSERT_OK_AND_ASSIGN(
      got, SetEndpoints(c.name(), true, true, {"public_endpoint_disabled"}));
  EXPECT_EQ(got.endpoint(), "");
  EXPECT_EQ(got.private_endpoint(), private_endpoint);
  EXPECT_FALSE(Connects("127.0.0.1", public_port));
  {
    ASSERT_OK_AND_ASSIGN(Client data, DataClient(private_endpoint, pw));
    ASSERT_THAT(data.Insert("docs", Rows(5, 2)).status(), IsOk());
  }
  EXPECT_EQ(CountDocs(private_endpoint, pw).value_or(-1), 7);
  // Leaving no endpoint is refused, and changes nothing.
  EXPECT_THAT(SetEndpoints(c.name(), false, true, {"private_endpoint_enabled"}),
              StatusIs(absl::StatusCode::kFailedPrecondition,
                       HasSubstr("cluster.public_endpoint_disabled")));
  EXPECT_EQ(CountDocs(private_endpoint, pw).value_or(-1), 7);

  // Suspend and resume keep both choices and both ports.
  ASSERT_OK_AND_ASSIGN(
      v1::Operation op,
      ClusterAction(&v1::ControlPlane::Stub::SuspendCluster, c.name()));
  ASSERT_THAT(Wait(op.name()), IsOk());
  EXPECT_FALSE(
      Connects(HostOf(private_endpoint), hosting::PortOf(private_endpoint)));
  ASSERT_OK_AND_ASSIGN(
      op, ClusterAction(&v1::ControlPlane::Stub::ResumeCluster, c.name()));
  ASSERT_OK_AND_ASSIGN(v1::Operation resumed, Wait(op.name()));
  EXPECT_EQ(resumed.cluster().endpoint(), "");
  EXPECT_EQ(resumed.cluster().private_endpoint(), private_endpoint);
  EXPECT_FALSE(Connects("127.0.0.1", public_port));
  EXPECT_EQ(CountDocs(private_endpoint, pw).value_or(-1), 7);

  // Public on again (the same endpoint), private off: its port refuses.
  ASSERT_OK_AND_ASSIGN(got, SetEndpoints(c.name(), false, false));
  EXPECT_EQ(got.endpoint(), public_endpoint);
  EXPECT_EQ(got.private_endpoint(), "");
  EXPECT_FALSE(
      Connects(HostOf(private_endpoint), hosting::PortOf(private_endpoint)));
  EXPECT_EQ(CountDocs(public_endpoint, pw).value_or(-1), 7);

  // Audited: the changes and the refusals, as clusters.update.
  int ok = 0, refused = 0;
  for (const v1::AuditEvent& e :
       Audit("organizations/acme", "action=clusters.update")) {
    if (e.resource() != c.name()) continue;
    if (e.status_code() == 0) ++ok;
    if (e.status_code() == 9) ++refused;
  }
  EXPECT_EQ(ok, 3);
  EXPECT_EQ(refused, 2);
}

TEST_F(PrivateEndpointTest, CreatedPrivateOnly) {
  ASSERT_OK_AND_ASSIGN(v1::Cluster c,
                       Running(env1_.name(), "vpc-only", true, true));
  EXPECT_EQ(c.endpoint(), "");
  ASSERT_OK_AND_ASSIGN(v1::Cluster got, GetCluster(c.name()));
  EXPECT_EQ(got.endpoint(), "");
  EXPECT_TRUE(got.private_endpoint_enabled());
  EXPECT_TRUE(got.public_endpoint_disabled());
  {
    ASSERT_OK_AND_ASSIGN(Client data,
                         DataClient(c.private_endpoint(), c.admin_password()));
    ASSERT_THAT(data.CreateCollection("docs", 2), IsOk());
  }
  // An emulator restart keeps the private endpoint, the public one off.
  Restart(options_);
  ASSERT_OK_AND_ASSIGN(got, GetCluster(c.name()));
  EXPECT_EQ(got.state(), v1::Cluster::RUNNING);
  EXPECT_EQ(got.endpoint(), "");
  EXPECT_EQ(got.private_endpoint(), c.private_endpoint());
  EXPECT_EQ(CountDocs(c.private_endpoint(), c.admin_password()).value_or(-1),
            0);
  // The public port is the cluster's (held: refused), and becomes its
  // endpoint when enabled.
  ASSERT_OK_AND_ASSIGN(got, SetEndpoints(c.name(), true, false));
  ASSERT_NE(got.endpoint(), "");
  EXPECT_EQ(CountDocs(got.endpoint(), c.admin_password()).value_or(-1), 0);
}

// The IP access list is the private listener's too: clients are admitted
// by their own address on either endpoint.
TEST_F(PrivateEndpointTest, TheIpAccessListAppliesToBothListeners) {
  v1::CreateClusterRequest req;
  req.set_parent(project_);
  req.set_cluster_id("fenced");
  req.mutable_cluster()->set_environment(env1_.name());
  req.mutable_cluster()->set_private_endpoint_enabled(true);
  req.mutable_cluster()->add_ip_access_list("127.0.0.2");
  ASSERT_OK_AND_ASSIGN(
      v1::Operation op,
      Call(&v1::ControlPlane::Stub::CreateCluster, req, kAdminKey));
  ASSERT_OK_AND_ASSIGN(v1::Operation done, Wait(op.name()));
  const v1::Cluster& c = done.cluster();
  ASSERT_EQ(c.state(), v1::Cluster::RUNNING) << done.error_message();
  const std::string host = HostOf(c.private_endpoint());
  const int port = hosting::PortOf(c.private_endpoint());
  const auto from = [&](const std::string& source, const std::string& to,
                        int p) {
    auto channel = ::cove::testing::ChannelFromSource(source, p, to);
    if (!channel.ok()) return grpc::StatusCode::INTERNAL;
    auto stub = ::milvus::proto::milvus::MilvusService::NewStub(*channel);
    grpc::ClientContext ctx;
    ctx.AddMetadata("authorization",
                    absl::Base64Escape("root:" + c.admin_password()));
    ::milvus::proto::milvus::ShowCollectionsRequest show;
    ::milvus::proto::milvus::ShowCollectionsResponse resp;
    return stub->ShowCollections(&ctx, show, &resp).error_code();
  };
  EXPECT_EQ(from("127.0.0.2", host, port), grpc::StatusCode::OK);
  EXPECT_EQ(from("127.0.0.3", host, port), grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(from("127.0.0.3", "127.0.0.1", hosting::PortOf(c.endpoint())),
            grpc::StatusCode::PERMISSION_DENIED);
  // Changed at once on both.
  v1::UpdateClusterRequest update;
  update.mutable_cluster()->set_name(c.name());
  update.mutable_cluster()->add_ip_access_list("127.0.0.3");
  update.mutable_update_mask()->add_paths("ip_access_list");
  ASSERT_THAT(Call(&v1::ControlPlane::Stub::UpdateCluster, update, kAdminKey),
              IsOk());
  EXPECT_EQ(from("127.0.0.3", host, port), grpc::StatusCode::OK);
  EXPECT_EQ(from("127.0.0.2", host, port), grpc::StatusCode::PERMISSION_DENIED);
}

// A property over every pair (cluster, address): a cluster's private
// endpoint is reachable only on its own environment's address; on the
// public address and on every other environment's address its private
// port never reaches it (its credentials are refused or nothing listens).
TEST_F(PrivateEndpointTest, NoClusterIsReachableThroughAnotherAddress) {
  std::vector<v1::Environment> envs = {env1_};
  for (const char* id : {"env2", "env3"}) {
    ASSERT_OK_AND_ASSIGN(v1::Environment e,
                         MakeEnv(project_, id, org_.external_id()));
    envs.push_back(e);
  }
  std::vector<v1::Cluster> clusters;
  for (size_t i = 0; i < envs.size(); ++i) {
    for (int j = 0; j < 2; ++j) {
      ASSERT_OK_AND_ASSIGN(
          v1::Cluster c,
          Running(envs[i].name(), absl::StrCat("c", i, j), true, j == 1));
      clusters.push_back(c);
    }
  }
  std::vector<std::string> addresses = {"127.0.0.1"};
  for (const v1::Environment& e : envs)
    addresses.push_back(e.private_network_address());
  int checked = 0;
  for (const v1::Cluster& c : clusters) {
    const std::string own = HostOf(c.private_endpoint());
    const int port = hosting::PortOf(c.private_endpoint());
    for (const std::string& a : addresses) {
      if (a == own) {
        EXPECT_TRUE(ReachedAs(a, port, c.admin_password())) << c.name();
        continue;
      }
      ++checked;
      // Nothing listens there, or something of another environment that
      // happens to use the same port number: never this cluster.
      EXPECT_FALSE(ReachedAs(a, port, c.admin_password()))
          << c.name() << " reached through " << a;
    }
    // Nor is its private port reachable on the public address, nor (for
    // those with the public endpoint off) its public port.
    if (c.public_endpoint_disabled()) {
      ASSERT_OK_AND_ASSIGN(v1::Cluster held, GetCluster(c.name()));
      EXPECT_EQ(held.endpoint(), "");
    }
  }
  EXPECT_EQ(checked, static_cast<int>(clusters.size() * 3));
}

TEST_F(PrivateEndpointTest, IdleEndpointListensWhereTheClusterIsReachable) {
  v1::SetClockRequest clock;
  clock.mutable_time()->set_seconds(1'800'000'000);
  ASSERT_THAT(Emu(&v1::Emulator::Stub::SetClock, clock), IsOk());
  ASSERT_OK_AND_ASSIGN(v1::Operation op,
                       Create(env1_.name(), "lazy", true, true, 60));
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
  const std::string host = HostOf(c.private_endpoint());
  const int port = hosting::PortOf(c.private_endpoint());
  // The idle endpoint answers on the private address ("waking up").
  auto channel = ::cove::testing::ChannelFromSource(host, port, host);
  ASSERT_THAT(channel, IsOk());
  auto stub = ::milvus::proto::milvus::MilvusService::NewStub(*channel);
  grpc::ClientContext ctx;
  ::milvus::proto::milvus::ShowCollectionsRequest req;
  ::milvus::proto::milvus::ShowCollectionsResponse resp;
  grpc::Status s = stub->ShowCollections(&ctx, req, &resp);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::UNAVAILABLE);
  EXPECT_THAT(s.error_message(), HasSubstr("waking up from idle"));
}

}  // namespace
}  // namespace cove::cloud::testing
