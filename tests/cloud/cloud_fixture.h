// Test helpers of the cloud emulator: an in-process cove-cloud on 127.0.0.1
// port 0 over a temporary state directory, generated gRPC stubs that send an
// API key, and shortcuts that build an organization, project, environment
// and cluster.
#ifndef COVE_TESTS_CLOUD_CLOUD_FIXTURE_H_
#define COVE_TESTS_CLOUD_CLOUD_FIXTURE_H_

#include <grpcpp/grpcpp.h>
#include <stdlib.h>

#include <chrono>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "cloud/cloud_server.h"
#include "cove/client.h"
#include "cove/control/v1/control.grpc.pb.h"
#include "cove/control/v1/emulator.grpc.pb.h"
#include "gtest/gtest.h"
#include "testing/status_matchers.h"

namespace cove::cloud::testing {

namespace v1 = ::cove::control::v1;

inline constexpr char kAdminKey[] = "cove_admin_test-admin-secret";
inline constexpr char kAccount[] = "123456789012";

/// A fresh directory under /tmp, removed by the destructor.
class TempDir {
 public:
  TempDir() {
    char tmpl[] = "/tmp/cove-cloud-test-XXXXXX";
    path_ = ::mkdtemp(tmpl);
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

inline absl::Status ToAbsl(const grpc::Status& s) {
  return absl::Status(static_cast<absl::StatusCode>(s.error_code()),
                      s.error_message());
}

/// Options of a test emulator: port 0, fast transitions and hashing.
inline CloudOptions TestCloudOptions(const std::string& state_dir) {
  CloudOptions options;
  options.state_dir = state_dir;
  options.admin_key = kAdminKey;
  options.transition_delay = std::chrono::milliseconds(20);
  options.vectors_per_cu = 10;
  options.pbkdf2_iterations = 1000;
  return options;
}

class CloudFixture : public ::testing::Test {
 protected:
  void SetUp() override {
    StartWith(TestCloudOptions(state_.path() + "/state"));
  }

  void StartWith(const CloudOptions& options) {
    options_ = options;
    auto server = StartCloud(options);
    ASSERT_TRUE(server.ok()) << server.status();
    server_ = *std::move(server);
    Connect();
  }

  void Connect(std::shared_ptr<grpc::ChannelCredentials> creds = nullptr,
               const std::string& target = "") {
    channel_ = grpc::CreateChannel(
        target.empty() ? server_->address() : target,
        creds != nullptr ? creds : grpc::InsecureChannelCredentials());
    stub_ = v1::ControlPlane::NewStub(channel_);
    emulator_ = v1::Emulator::NewStub(channel_);
  }

  // Stops the emulator (state kept) and starts it again over the state.
  void Restart(CloudOptions options) {
    server_.reset();
    StartWith(options);
  }

  template <typename Req, typename Resp>
  absl::StatusOr<Resp> Call(grpc::Status (v1::ControlPlane::Stub::*method)(
                                grpc::ClientContext*, const Req&, Resp*),
                            const Req& req, const std::string& key) {
    grpc::ClientContext ctx;
    ctx.set_deadline(std::chrono::system_clock::now() +
                     std::chrono::seconds(30));
    if (!key.empty()) ctx.AddMetadata("authorization", "Bearer " + key);
    Resp resp;
    grpc::Status s = (stub_.get()->*method)(&ctx, req, &resp);
    if (!s.ok()) return ToAbsl(s);
    return resp;
  }

  template <typename Req, typename Resp>
  absl::StatusOr<Resp> Emu(grpc::Status (v1::Emulator::Stub::*method)(
                               grpc::ClientContext*, const Req&, Resp*),
                           const Req& req, const std::string& key = kAdminKey) {
    grpc::ClientContext ctx;
    ctx.set_deadline(std::chrono::system_clock::now() +
                     std::chrono::seconds(30));
    if (!key.empty()) ctx.AddMetadata("authorization", "Bearer " + key);
    Resp resp;
    grpc::Status s = (emulator_.get()->*method)(&ctx, req, &resp);
    if (!s.ok()) return ToAbsl(s);
    return resp;
  }

  // ---- shortcuts (admin key unless given) ----

  absl::StatusOr<v1::Organization> MakeOrg(const std::string& id,
                                           const std::string& owner = "") {
    v1::CreateOrganizationRequest req;
    req.set_organization_id(id);
    req.set_owner_email(owner);
    return Call(&v1::ControlPlane::Stub::CreateOrganization, req, kAdminKey);
  }

  absl::StatusOr<v1::Project> MakeProject(const std::string& org,
                                          const std::string& id,
                                          const std::string& key = kAdminKey) {
    v1::CreateProjectRequest req;
    req.set_parent("organizations/" + org);
    req.set_project_id(id);
    req.mutable_project()->set_plan("standard");
    req.mutable_project()->set_region("eu-local-1");
    return Call(&v1::ControlPlane::Stub::CreateProject, req, key);
  }

  // The test bucket of environment `id` of `project`
  // ("organizations/{o}/projects/{p}"): <state>/buckets/{o}/{p}/{id}.
  std::string BucketPath(const std::string& project, const std::string& id) {
    std::vector<std::string> parts = absl::StrSplit(project, '/');
    std::string path = state_.path() + "/buckets";
    for (size_t i = 1; i < parts.size(); i += 2) path += "/" + parts[i];
    return path + "/" + id;
  }

  // A valid cross-account environment whose bucket is under the test dir.
  v1::CreateEnvironmentRequest EnvRequest(const std::string& project,
                                          const std::string& id,
                                          const std::string& external_id) {
    v1::CreateEnvironmentRequest req;
    req.set_parent(project);
    req.set_environment_id(id);
    v1::Environment* e = req.mutable_environment();
    e->set_mode(v1::Environment::CROSS_ACCOUNT);
    e->set_cloud_account_id(kAccount);
    e->set_region("eu-local-1");
    e->set_vpc_id("vpc-0123abcd");
    e->add_subnet_ids("subnet-0123abcd");
    // One bucket per environment: a bucket is never shared (the emulator
    // refuses one that overlaps another environment's).
    e->set_bucket(BucketPath(project, id));
    e->set_role_arn(absl::StrCat("arn:aws:iam::", kAccount, ":role/cove"));
    e->set_external_id(external_id);
    return req;
  }

  absl::StatusOr<v1::Environment> MakeEnv(const std::string& project,
                                          const std::string& id,
                                          const std::string& external_id) {
    return Call(&v1::ControlPlane::Stub::CreateEnvironment,
                EnvRequest(project, id, external_id), kAdminKey);
  }

  absl::StatusOr<v1::Operation> StartCluster(
      const std::string& project, const std::string& env, const std::string& id,
      int cu_size = 1, const std::string& key = kAdminKey) {
    v1::CreateClusterRequest req;
    req.set_parent(project);
    req.set_cluster_id(id);
    req.mutable_cluster()->set_environment(env);
    req.mutable_cluster()->set_cu_type("performance");
    req.mutable_cluster()->set_cu_size(cu_size);
    req.mutable_cluster()->set_replicas(1);
    (*req.mutable_cluster()->mutable_labels())["team"] = "search";
    return Call(&v1::ControlPlane::Stub::CreateCluster, req, key);
  }

  absl::StatusOr<v1::Operation> Wait(const std::string& op,
                                     const std::string& key = kAdminKey,
                                     int64_t timeout_ms = 20000) {
    v1::WaitOperationRequest req;
    req.set_name(op);
    req.set_timeout_ms(timeout_ms);
    return Call(&v1::ControlPlane::Stub::WaitOperation, req, key);
  }

  absl::StatusOr<v1::Cluster> GetCluster(const std::string& name,
                                         const std::string& key = kAdminKey) {
    v1::GetRequest req;
    req.set_name(name);
    return Call(&v1::ControlPlane::Stub::GetCluster, req, key);
  }

  absl::StatusOr<v1::ApiKey> MakeKey(const std::string& org,
                                     const std::string& role,
                                     const std::string& scope,
                                     const std::string& key = kAdminKey) {
    v1::CreateApiKeyRequest req;
    req.set_parent("organizations/" + org);
    req.mutable_api_key()->set_role(role);
    req.mutable_api_key()->set_scope(scope);
    return Call(&v1::ControlPlane::Stub::CreateApiKey, req, key);
  }

  absl::StatusOr<v1::Operation> ClusterAction(
      grpc::Status (v1::ControlPlane::Stub::*method)(
          grpc::ClientContext*, const v1::ClusterActionRequest&,
          v1::Operation*),
      const std::string& name, const std::string& key = kAdminKey) {
    v1::ClusterActionRequest req;
    req.set_name(name);
    return Call(method, req, key);
  }

  std::vector<v1::AuditEvent> Audit(const std::string& parent,
                                    const std::string& filter = "") {
    std::vector<v1::AuditEvent> out;
    v1::ListAuditEventsRequest req;
    req.set_parent(parent);
    req.set_filter(filter);
    req.set_page_size(1000);
    auto resp = Call(&v1::ControlPlane::Stub::ListAuditEvents, req, kAdminKey);
    EXPECT_TRUE(resp.ok()) << resp.status();
    if (resp.ok())
      out.assign(resp->audit_events().begin(), resp->audit_events().end());
    return out;
  }

  TempDir state_;
  CloudOptions options_;
  std::unique_ptr<CloudServer> server_;
  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<v1::ControlPlane::Stub> stub_;
  std::unique_ptr<v1::Emulator::Stub> emulator_;
};

/// A data-plane client of `endpoint` as root; by default without retries,
/// so that tests see every failure.
inline absl::StatusOr<Client> DataClient(
    const std::string& endpoint, const std::string& password,
    const std::string& ca_file = "",
    std::chrono::seconds timeout = std::chrono::seconds(10),
    int max_attempts = 1) {
  ClientOptions options;
  options.remote.user = "root";
  options.remote.password = password;
  options.remote.ca_cert_file = ca_file;
  options.remote.timeout = timeout;
  options.remote.max_attempts = max_attempts;
  options.remote.initial_backoff = std::chrono::milliseconds(10);
  options.remote.max_backoff = std::chrono::milliseconds(50);
  return Client::Open(endpoint, options);
}

/// `n` rows {id, vector} with ids from `first`.
inline std::vector<Row> Rows(int first, int n) {
  std::vector<Row> rows;
  for (int i = first; i < first + n; ++i) {
    rows.push_back(Row{{"id", Value(static_cast<int64_t>(i))},
                       {"vector", Value::FloatVector({1.0f * i, 1.0f})}});
  }
  return rows;
}

}  // namespace cove::cloud::testing

#endif  // COVE_TESTS_CLOUD_CLOUD_FIXTURE_H_
