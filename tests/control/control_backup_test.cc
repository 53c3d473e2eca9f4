// cove::ControlClient's backup verbs: unit tests over MockControlConnection
// (validation, waiting, the pager) and, with the emulator
// (COVE_HAVE_CLOUD), a backup and restore round trip through the client.
#include <chrono>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "cove/client.h"
#include "cove/control.h"
#include "cove/mocks/mock_control_connection.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "testing/status_matchers.h"
#ifdef COVE_HAVE_CLOUD
#include "cloud/cloud_server.h"
#endif

namespace cove {
namespace {

using ::cove::testing::IsOk;
using ::cove::testing::MockControlConnection;
using ::cove::testing::StatusIs;
using ::testing::_;
using ::testing::HasSubstr;
using ::testing::Invoke;
using ::testing::Return;
using ::testing::StrictMock;
using ms = std::chrono::milliseconds;

constexpr char kCluster[] = "organizations/acme/projects/search/clusters/prod";
constexpr char kBackupName[] =
    "organizations/acme/projects/search/clusters/prod/backups/nightly";

ControlClient MockClient(std::shared_ptr<MockControlConnection> mock) {
  ControlOptions options;
  options.endpoint = "http://127.0.0.1:1";
  options.poll_interval = ms(1);
  ControlClock clock;
  auto now = std::make_shared<std::chrono::steady_clock::time_point>(
      std::chrono::hours(1));
  clock.now = [now] { return *now; };
  clock.sleep = [now](ms d) { *now += d; };
  return ControlClient(std::move(mock), options, clock);
}

control::Operation BackupOp(bool done) {
  control::Operation op;
  op.name = "operations/b-1";
  op.verb = "CreateBackup";
  op.target = kBackupName;
  op.done = done;
  control::Backup b;
  b.name = kBackupName;
  b.state =
      done ? control::BackupState::kReady : control::BackupState::kCreating;
  b.row_count = done ? 42 : 0;
  op.backup = b;
  return op;
}

TEST(ControlBackupClientTest, CreateBackupStartsAndWaits) {
  auto mock = std::make_shared<StrictMock<MockControlConnection>>();
  ControlClient client = MockClient(mock);
  EXPECT_CALL(*mock, CreateBackup(_, _))
      .WillOnce(Invoke(
          [](const control::CreateBackupRequest& r, const ControlCallOptions&) {
            EXPECT_EQ(r.parent, kCluster);
            EXPECT_EQ(r.backup_id, "nightly");
            // The gRPC connection adds the request id, not the client.
            EXPECT_TRUE(r.request_id.empty());
            return absl::StatusOr<control::Operation>(BackupOp(false));
          }));
  EXPECT_CALL(*mock, WaitOperation(_, _)).WillOnce(Return(BackupOp(true)));
  control::CreateBackupRequest req;
  req.parent = kCluster;
  req.backup_id = "nightly";
  auto backup = client.CreateBackup(req);
  ASSERT_THAT(backup, IsOk());
  EXPECT_EQ(backup->state, control::BackupState::kReady);
  EXPECT_EQ(backup->row_count, 42);
}

TEST(ControlBackupClientTest, BadInputNeverReachesTheServer) {
  auto mock = std::make_shared<StrictMock<MockControlConnection>>();
  ControlClient client = MockClient(mock);
  control::CreateBackupRequest create;
  create.parent = "organizations/acme";
  EXPECT_THAT(
      client.StartCreateBackup(create),
      StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("parent")));
  create.parent = kCluster;
  create.backup_id = "Bad_Id";
  EXPECT_THAT(
      client.StartCreateBackup(create),
      StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("backup_id")));
  EXPECT_THAT(client.GetBackup(kCluster),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("name")));
  control::RestoreBackupRequest restore;
  restore.name = kBackupName;
  EXPECT_THAT(client.StartRestoreBackup(restore),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("exactly one target")));
  restore.target_cluster = kCluster;
  restore.cluster_id = "copy";
  EXPECT_THAT(client.StartRestoreBackup(restore),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("exactly one target")));
  control::SetBackupPolicyRequest policy;
  policy.name = kCluster;
  policy.policy.enabled = true;
  policy.policy.interval = std::chrono::seconds(5);
  EXPECT_THAT(client.SetBackupPolicy(policy),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("policy.interval")));
}

TEST(ControlBackupClientTest, ListAllBackupsFollowsPageTokens) {
  auto mock = std::make_shared<StrictMock<MockControlConnection>>();
  ControlClient client = MockClient(mock);
  EXPECT_CALL(*mock, ListBackups(_, _))
      .WillOnce(
          Invoke([](const control::ListRequest& r, const ControlCallOptions&) {
            EXPECT_EQ(r.page_token, "");
            control::Page<control::Backup> page;
            page.items.resize(2);
            page.items[0].name = "a";
            page.items[1].name = "b";
            page.next_page_token = "t1";
            return absl::StatusOr<control::Page<control::Backup>>(page);
          }))
      .WillOnce(
          Invoke([](const control::ListRequest& r, const ControlCallOptions&) {
            EXPECT_EQ(r.page_token, "t1");
            control::Page<control::Backup> page;
            page.items.resize(1);
            page.items[0].name = "c";
            return absl::StatusOr<control::Page<control::Backup>>(page);
          }));
  control::ListRequest req;
  req.parent = "organizations/acme/projects/search/clusters/-";
  std::vector<std::string> names;
  for (const control::Backup& b : client.ListAllBackups(req)) {
    names.push_back(b.name);
  }
  EXPECT_EQ(names, (std::vector<std::string>{"a", "b", "c"}));
}

TEST(ControlBackupClientTest, FailedRestoreReportsTheOperationsError) {
  auto mock = std::make_shared<StrictMock<MockControlConnection>>();
  ControlClient client = MockClient(mock);
  control::Operation started;
  started.name = "operations/r-1";
  started.verb = "RestoreBackup";
  started.target = kCluster;
  control::Operation failed = started;
  failed.done = true;
  failed.error_code = absl::StatusCode::kDataLoss;
  failed.error_message = "backup file '/b/data-0.jsonl': checksum mismatch";
  EXPECT_CALL(*mock, RestoreBackup(_, _)).WillOnce(Return(started));
  EXPECT_CALL(*mock, WaitOperation(_, _)).WillOnce(Return(failed));
  control::RestoreBackupRequest restore;
  restore.name = kBackupName;
  restore.target_cluster = kCluster;
  EXPECT_THAT(client.RestoreBackup(restore),
              StatusIs(absl::StatusCode::kDataLoss, HasSubstr("data-0.jsonl")));
}

#ifdef COVE_HAVE_CLOUD

std::string TempDir(const std::string& tag) {
  std::string pattern = (std::filesystem::temp_directory_path() /
                         ("cove_backup_" + tag + "_XXXXXX"))
                            .string();
  char* made = ::mkdtemp(pattern.data());
  return made == nullptr ? std::string() : std::string(made);
}

TEST(ControlBackupEndToEndTest, BackupAndRestoreThroughTheClient) {
  const std::string state_dir = TempDir("state");
  const std::string bucket = TempDir("bucket");
  cloud::CloudOptions options;
  options.state_dir = state_dir;
  options.admin_key = "cove-backup-admin-key-0123456789";
  options.transition_delay = ms(20);
  options.pbkdf2_iterations = 1000;
  auto server = cloud::StartCloud(options);
  ASSERT_THAT(server, IsOk());
  ControlOptions co;
  co.endpoint = (*server)->endpoint();
  co.api_key = options.admin_key;
  co.timeout = std::chrono::seconds(20);
  co.operation_timeout = std::chrono::seconds(60);
  ASSERT_OK_AND_ASSIGN(ControlClient admin, ControlClient::Connect(co));

  control::CreateOrganizationRequest org;
  org.organization_id = "acme";
  ASSERT_OK_AND_ASSIGN(control::Organization o, admin.CreateOrganization(org));
  control::CreateProjectRequest project;
  project.parent = o.name;
  project.project_id = "search";
  ASSERT_OK_AND_ASSIGN(control::Project p, admin.CreateProject(project));
  control::CreateEnvironmentRequest env;
  env.parent = p.name;
  env.environment_id = "aws";
  env.environment.mode = control::EnvironmentMode::kCrossAccount;
  env.environment.cloud_account_id = "123456789012";
  env.environment.region = "us-east-1";
  env.environment.vpc_id = "vpc-0123abcd";
  env.environment.subnet_ids = {"subnet-0123abcd"};
  env.environment.bucket = bucket;
  env.environment.role_arn = "arn:aws:iam::123456789012:role/x";
  env.environment.external_id = o.external_id;
  ASSERT_OK_AND_ASSIGN(control::Environment e, admin.CreateEnvironment(env));

  control::CreateClusterRequest create;
  create.parent = p.name;
  create.cluster_id = "prod";
  create.cluster.environment = e.name;
  ASSERT_OK_AND_ASSIGN(control::Cluster c, admin.CreateCluster(create));
  ClientOptions data_options;
  data_options.remote.user = "root";
  data_options.remote.password = c.admin_password;
  data_options.remote.max_attempts = 1;
  ASSERT_OK_AND_ASSIGN(Client data, Client::Open(c.endpoint, data_options));
  ASSERT_OK(data.CreateCollection("docs", 2));
  std::vector<Row> rows;
  for (int i = 0; i < 6; ++i) {
    rows.push_back(Row{{"id", Value(int64_t{i})},
                       {"vector", Value::FloatVector({1.0f * i, 0.5f})},
                       {"note", Value("n" + std::to_string(i))}});
  }
  ASSERT_OK(data.Insert("docs", rows).status());

  control::CreateBackupRequest backup;
  backup.parent = c.name;
  backup.backup_id = "first";
  ASSERT_OK_AND_ASSIGN(control::Backup b, admin.CreateBackup(backup));
  EXPECT_EQ(b.state, control::BackupState::kReady);
  EXPECT_EQ(b.row_count, 6);
  EXPECT_EQ(b.collections, std::vector<std::string>{"docs"});
  int listed = 0;
  control::ListRequest list;
  list.parent = c.name;
  for (const control::Backup& x : admin.ListAllBackups(list)) {
    EXPECT_EQ(x.name, b.name);
    ++listed;
  }
  EXPECT_EQ(listed, 1);

  control::RestoreBackupRequest restore;
  restore.name = b.name;
  restore.parent = p.name;
  restore.cluster_id = "copy";
  restore.cluster.environment = e.name;
  ASSERT_OK_AND_ASSIGN(control::Cluster copy, admin.RestoreBackup(restore));
  ASSERT_FALSE(copy.admin_password.empty());
  data_options.remote.password = copy.admin_password;
  ASSERT_OK_AND_ASSIGN(Client restored,
                       Client::Open(copy.endpoint, data_options));
  QueryRequest q;
  q.collection_name = "docs";
  q.output_fields = {"*"};
  q.limit = 100;
  ASSERT_OK_AND_ASSIGN(auto got, restored.Query(q));
  ASSERT_EQ(got.size(), rows.size());
  for (size_t i = 0; i < rows.size(); ++i) EXPECT_EQ(got[i], rows[i]);

  control::SetBackupPolicyRequest policy;
  policy.name = c.name;
  policy.policy.enabled = true;
  policy.policy.interval = std::chrono::hours(24);
  policy.policy.retention_count = 7;
  ASSERT_OK_AND_ASSIGN(control::Cluster with_policy,
                       admin.SetBackupPolicy(policy));
  EXPECT_TRUE(with_policy.backup_policy.enabled);
  EXPECT_EQ(with_policy.backup_policy.retention_count, 7);
  EXPECT_TRUE(control::IsSet(with_policy.backup_policy.next_backup_time));

  control::DeleteRequest drop;
  drop.name = b.name;
  ASSERT_OK(admin.DeleteBackup(drop));
  EXPECT_THAT(admin.GetBackup(b.name), StatusIs(absl::StatusCode::kNotFound));
  (*server)->Shutdown();
  server->reset();
  std::error_code ec;
  std::filesystem::remove_all(state_dir, ec);
  std::filesystem::remove_all(bucket, ec);
}

#endif  // COVE_HAVE_CLOUD

}  // namespace
}  // namespace cove
