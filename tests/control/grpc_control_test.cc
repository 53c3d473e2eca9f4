// The control client's gRPC stack (ControlClient::Connect: connection,
// decorated stub, channel) against a small fake ControlPlane service
// in-process: credentials, deadlines, the 1:1 status mapping, paging, the
// logging decorator, endpoint parsing.
#include <grpcpp/grpcpp.h>

#include <memory>
#include <string>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "control/control_connection_impl.h"
#include "cove/control.h"
#include "cove/control/v1/control.grpc.pb.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "testing/status_matchers.h"

namespace cove::internal {
namespace {

using ::cove::testing::IsOk;
using ::cove::testing::StatusIs;
using ::testing::HasSubstr;
namespace pb = ::cove::control::v1;

// GetCluster answers with the gRPC code named by the cluster id ("code-5"),
// or a cluster; WaitOperation sleeps for its timeout. Records the metadata.
class FakeControlPlane final : public pb::ControlPlane::Service {
 public:
  grpc::Status GetCluster(grpc::ServerContext* context,
                          const pb::GetRequest* request,
                          pb::Cluster* response) override {
    Record(context);
    const std::string& name = request->name();
    size_t at = name.rfind("/code-");
    int code = 0;
    if (at != std::string::npos &&
        absl::SimpleAtoi(name.substr(at + 6), &code)) {
      return grpc::Status(static_cast<grpc::StatusCode>(code),
                          absl::StrCat("server says ", code));
    }
    response->set_name(name);
    response->set_state(pb::Cluster::RUNNING);
    response->set_cu_size(4);
    return grpc::Status::OK;
  }

  grpc::Status ListProjects(grpc::ServerContext* context,
                            const pb::ListProjectsRequest* request,
                            pb::ListProjectsResponse* response) override {
    Record(context);
    int start = 0;
    if (!request->page_token().empty()) {
      (void)absl::SimpleAtoi(request->page_token(), &start);
    }
    const int total = 7;
    const int size = request->page_size() > 0 ? request->page_size() : 50;
    for (int i = start; i < std::min(total, start + size); ++i) {
      response->add_projects()->set_name(
          absl::StrCat(request->parent(), "/projects/p-", i));
    }
    if (start + size < total) {
      response->set_next_page_token(std::to_string(start + size));
    }
    return grpc::Status::OK;
  }

  std::string last_authorization() {
    absl::MutexLock lock(&mu_);
    return authorization_;
  }
  bool last_had_deadline() {
    absl::MutexLock lock(&mu_);
    return had_deadline_;
  }

 private:
  void Record(grpc::ServerContext* context) {
    absl::MutexLock lock(&mu_);
    auto it = context->client_metadata().find("authorization");
    authorization_ = it == context->client_metadata().end()
                         ? std::string()
                         : std::string(it->second.data(), it->second.size());
    had_deadline_ = context->deadline() <
                    std::chrono::system_clock::now() + std::chrono::hours(1);
  }

  absl::Mutex mu_;
  std::string authorization_;
  bool had_deadline_ = false;
};

class GrpcControlTest : public ::testing::Test {
 protected:
  void SetUp() override {
    grpc::ServerBuilder builder;
    builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(),
                             &port_);
    builder.RegisterService(&service_);
    server_ = builder.BuildAndStart();
    ASSERT_NE(server_, nullptr);
    ASSERT_GT(port_, 0);
  }
  void TearDown() override {
    if (server_) server_->Shutdown();
  }

  ControlOptions Options() {
    ControlOptions o;
    o.endpoint = absl::StrCat("http://127.0.0.1:", port_);
    o.api_key = "cove_test_secret";
    o.max_attempts = 1;
    return o;
  }

  FakeControlPlane service_;
  std::unique_ptr<grpc::Server> server_;
  int port_ = 0;
};

constexpr char kGrpcProject[] = "organizations/acme/projects/search";

TEST_F(GrpcControlTest, SendsTheKeyAndADeadline) {
  auto client = ControlClient::Connect(Options());
  ASSERT_THAT(client, IsOk());
  auto c = client->GetCluster(absl::StrCat(kGrpcProject, "/clusters/prod"));
  ASSERT_THAT(c, IsOk());
  EXPECT_EQ(c->state, control::ClusterState::kRunning);
  EXPECT_EQ(c->cu_size, 4);
  EXPECT_EQ(service_.last_authorization(), "Bearer cove_test_secret");
  EXPECT_TRUE(service_.last_had_deadline());
}

TEST_F(GrpcControlTest, NoKeyNoAuthorization) {
  ControlOptions o = Options();
  o.api_key.clear();
  auto client = ControlClient::Connect(o);
  ASSERT_THAT(client, IsOk());
  ASSERT_THAT(client->GetCluster(absl::StrCat(kGrpcProject, "/clusters/prod")),
              IsOk());
  EXPECT_EQ(service_.last_authorization(), "");
}

TEST_F(GrpcControlTest, EveryCodeMapsOneToOneWithTheMessage) {
  auto client = ControlClient::Connect(Options());
  ASSERT_THAT(client, IsOk());
  for (int code = 1; code <= 16; ++code) {
    auto c =
        client->GetCluster(absl::StrCat(kGrpcProject, "/clusters/code-", code));
    EXPECT_EQ(static_cast<int>(c.status().code()), code);
    EXPECT_EQ(c.status().message(), absl::StrCat("server says ", code));
  }
}

TEST_F(GrpcControlTest, PagesThroughARealServer) {
  auto client = ControlClient::Connect(Options());
  ASSERT_THAT(client, IsOk());
  control::ListRequest req;
  req.parent = "organizations/acme";
  req.page_size = 3;
  auto projects = client->ListAllProjects(req);
  int n = 0;
  for (const auto& p : projects) {
    EXPECT_EQ(p.name, absl::StrCat("organizations/acme/projects/p-", n));
    ++n;
  }
  EXPECT_THAT(projects.status(), IsOk());
  EXPECT_EQ(n, 7);
  EXPECT_EQ(projects.pages(), 3);
}

TEST_F(GrpcControlTest, UnimplementedRpcsAreUnimplemented) {
  auto client = ControlClient::Connect(Options());
  ASSERT_THAT(client, IsOk());
  EXPECT_THAT(client->GetOrganization("organizations/acme"),
              StatusIs(absl::StatusCode::kUnimplemented));
  // The emulator service is not registered on this server.
  EXPECT_THAT(client->emulator().GetSettings(),
              StatusIs(absl::StatusCode::kUnimplemented));
}

TEST_F(GrpcControlTest, LoggingDecoratorLogsEveryAttemptWithoutSecrets) {
  std::vector<std::string> lines;
  absl::Mutex mu;
  RpcLogSink sink = [&](const std::string& line) {
    absl::MutexLock lock(&mu);
    lines.push_back(line);
  };
  auto channel = grpc::CreateChannel(absl::StrCat("127.0.0.1:", port_),
                                     grpc::InsecureChannelCredentials());
  auto stub = MakeDecoratedControlStub(MakeGrpcControlStub(channel),
                                       "cove_test_secret", sink);
  ControlClient client(MakeControlConnection(stub, Options(), Clock::Real()),
                       Options());
  ASSERT_THAT(client.GetCluster(absl::StrCat(kGrpcProject, "/clusters/prod")),
              IsOk());
  EXPECT_THAT(client.GetCluster(absl::StrCat(kGrpcProject, "/clusters/code-5")),
              StatusIs(absl::StatusCode::kNotFound));
  absl::MutexLock lock(&mu);
  ASSERT_EQ(lines.size(), 2u);
  EXPECT_THAT(lines[0], ::testing::StartsWith("cove rpc GetCluster: OK ("));
  EXPECT_THAT(lines[1], HasSubstr("GetCluster: grpc code 5 server says 5"));
  for (const std::string& line : lines) {
    EXPECT_THAT(line, ::testing::Not(HasSubstr("cove_test_secret")));
  }
  // The credentials decorator sits under the logger.
  EXPECT_EQ(service_.last_authorization(), "Bearer cove_test_secret");
}

TEST(ParseControlEndpointTest, Forms) {
  auto a = ParseControlEndpoint("http://127.0.0.1:8080");
  ASSERT_THAT(a, IsOk());
  EXPECT_EQ(a->target(), "127.0.0.1:8080");
  EXPECT_FALSE(a->tls);
  auto b = ParseControlEndpoint("https://control.example/");
  ASSERT_THAT(b, IsOk());
  EXPECT_EQ(b->target(), "control.example:443");
  EXPECT_TRUE(b->tls);
  auto c = ParseControlEndpoint("http://[::1]:9000");
  ASSERT_THAT(c, IsOk());
  EXPECT_EQ(c->target(), "[::1]:9000");
  auto d = ParseControlEndpoint("http://localhost");
  ASSERT_THAT(d, IsOk());
  EXPECT_EQ(d->port, 80);
  EXPECT_THAT(ParseControlEndpoint("localhost:80"),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(ParseControlEndpoint("http://host:"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("port")));
}

}  // namespace
}  // namespace cove::internal
