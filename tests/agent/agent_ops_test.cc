// Agent mode, the operations of issue 7 ("BYOC operations"), in one process
// on the emulator's manual clock: backups restored and deleted by the agent
// in its own bucket, customer-managed keys held by the agent (revocation
// reported over the stream), metrics and autoscaling from the agent's
// heartbeats, a hung agent (stream open, no heartbeats) detected, and
// rolling upgrades of replicas (issue 19).
#include <sys/stat.h>

#include <algorithm>
#include <atomic>
#include <filesystem>
#include <fstream>
#include <thread>

#include "absl/strings/match.h"
#include "absl/synchronization/mutex.h"
#include "agent/agent_fixture.h"
#include "cloud/util.h"
#include "common/cipher.h"
#include "gmock/gmock.h"
#include "hosting/backup_format.h"
#include "hosting/port_reservation.h"
#include "testing/listeners.h"

namespace cove::cloud::testing {
namespace {

using ::cove::testing::IsOk;
using ::cove::testing::ListenersOn;
using ::cove::testing::StatusIs;
using ::testing::AllOf;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;

class AgentOpsTest : public ManualClockAgentFixture {
 protected:
  // An agent-mode environment with a connected agent on `bucket_`.
  void StartAgent() {
    v1::Environment env = MakeAgentEnvironment();
    options_ = AgentOptionsFor(server_->address(), env.agent_token(), bucket_);
    auto agent = agent::Agent::Start(options_);
    ASSERT_TRUE(agent.ok()) << agent.status();
    agent_ = *std::move(agent);
    ASSERT_TRUE(agent_->WaitConnected(absl::Seconds(20)))
        << agent_->last_error();
  }

  v1::CreateClusterRequest ClusterRequest(const std::string& id) {
    v1::CreateClusterRequest req;
    req.set_parent(project_);
    req.set_cluster_id(id);
    req.mutable_cluster()->set_environment(env_name_);
    req.mutable_cluster()->set_cu_type("performance");
    req.mutable_cluster()->set_cu_size(1);
    req.mutable_cluster()->set_replicas(1);
    return req;
  }

  absl::StatusOr<v1::Operation> Create(const v1::CreateClusterRequest& req) {
    return Call(&v1::ControlPlane::Stub::CreateCluster, req, kAdminKey);
  }

  absl::StatusOr<v1::Operation> CreateBackup(const std::string& cluster,
                                             const std::string& id) {
    v1::CreateBackupRequest req;
    req.set_parent(cluster);
    req.set_backup_id(id);
    return Call(&v1::ControlPlane::Stub::CreateBackup, req, kAdminKey);
  }

  // Every row of "docs" by id.
  std::vector<Row> AllRows(Client& data) {
    QueryRequest q;
    q.collection_name = "docs";
    q.filter = "id >= 0";
    q.output_fields = {"id", "vector"};
    q.limit = 1000;
    auto rows = data.Query(q);
    EXPECT_TRUE(rows.ok()) << rows.status();
    if (!rows.ok()) return {};
    std::sort(rows->begin(), rows->end(), [](const Row& a, const Row& b) {
      return a.at("id").AsInt() < b.at("id").AsInt();
    });
    return *rows;
  }

  // Row by row: the ids and vectors of Rows(0, n).
  void ExpectRows(Client& data, int n) {
    const std::vector<Row> want = Rows(0, n);
    const std::vector<Row> got = AllRows(data);
    ASSERT_EQ(got.size(), want.size());
    for (size_t i = 0; i < got.size(); ++i) {
      EXPECT_EQ(got[i].at("id").AsInt(), want[i].at("id").AsInt()) << i;
      EXPECT_EQ(got[i].at("vector").AsFloatVector(),
                want[i].at("vector").AsFloatVector())
          << i;
    }
  }

  void WriteKey(const std::string& name, char fill) {
    std::filesystem::create_directories(bucket_ + "/.kms");
    const std::string path = bucket_ + "/.kms/" + name + ".key";
    std::ofstream(path) << std::string(64, fill);
    ::chmod(path.c_str(), 0600);
  }

  int CountAudit(const std::string& action) {
    int n = 0;
    for (const auto& e : Audit("organizations/acme")) n += e.action() == action;
    return n;
  }

  const std::string bucket_ = state_.path() + "/customer-bucket";
  agent::AgentOptions options_;
  std::unique_ptr<agent::Agent> agent_;
};

TEST_F(AgentOpsTest, BackupRestoreRoundTripAndDeleteThroughTheAgent) {
  StartAgent();
  v1::Operation op = Run(Create(ClusterRequest("alpha")));
  ASSERT_EQ(op.error_code(), 0) << op.error_message();
  const std::string alpha = op.cluster().name();
  ASSERT_OK_AND_ASSIGN(Client data, DataClient(op.cluster().endpoint(),
                                               op.cluster().admin_password()));
  ASSERT_OK(data.CreateCollection("docs", 2));
  ASSERT_OK(data.Insert("docs", Rows(0, 7)).status());

  op = Run(CreateBackup(alpha, "first"));
  ASSERT_EQ(op.error_code(), 0) << op.error_message();
  const v1::Backup backup = op.backup();
  ASSERT_EQ(backup.state(), v1::Backup::READY);
  const std::string dir = bucket_ + "/" + backup.location();
  ASSERT_TRUE(std::filesystem::exists(dir + "/manifest.json"));

  // Into a new cluster of the same environment: the agent creates it, then
  // restores the backup from its bucket.
  v1::RestoreBackupRequest restore;
  restore.set_name(backup.name());
  restore.set_parent(project_);
  restore.set_cluster_id("beta");
  *restore.mutable_cluster() = ClusterRequest("beta").cluster();
  ASSERT_OK_AND_ASSIGN(
      op, Call(&v1::ControlPlane::Stub::RestoreBackup, restore, kAdminKey));
  const std::string restore_op = op.name();
  for (int i = 0; i < 5 && !op.done(); ++i) op = Run(GetOp(restore_op));
  ASSERT_TRUE(op.done());
  ASSERT_EQ(op.error_code(), 0) << op.error_message();
  EXPECT_EQ(op.verb(), "RestoreBackup");
  EXPECT_EQ(op.cluster().state(), v1::Cluster::RUNNING);
  ASSERT_FALSE(op.cluster().admin_password().empty());
  {
    ASSERT_OK_AND_ASSIGN(
        Client beta,
        DataClient(op.cluster().endpoint(), op.cluster().admin_password()));
    ExpectRows(beta, 7);
  }

  // Into the existing cluster: without overwrite the collection exists
  // (the agent finds the conflict); with overwrite the rows written since
  // the backup are gone, row by row.
  ASSERT_OK(data.Insert("docs", Rows(7, 2)).status());
  v1::RestoreBackupRequest into;
  into.set_name(backup.name());
  into.set_target_cluster(alpha);
  op = Run(Call(&v1::ControlPlane::Stub::RestoreBackup, into, kAdminKey));
  EXPECT_EQ(op.error_code(), static_cast<int>(absl::StatusCode::kAlreadyExists))
      << op.error_message();
  EXPECT_EQ(Count(data), 9);
  into.set_overwrite(true);
  op = Run(Call(&v1::ControlPlane::Stub::RestoreBackup, into, kAdminKey));
  ASSERT_EQ(op.error_code(), 0) << op.error_message();
  EXPECT_EQ(op.cluster().name(), alpha);
  ExpectRows(data, 7);

  // A corrupt backup file: DATA_LOSS from the agent, naming the file.
  op = Run(CreateBackup(alpha, "second"));
  ASSERT_EQ(op.error_code(), 0) << op.error_message();
  const std::string dir2 = bucket_ + "/" + op.backup().location();
  std::string data_file;
  for (const auto& e : std::filesystem::directory_iterator(dir2)) {
    if (absl::StartsWith(e.path().filename().string(), "data-"))
      data_file = e.path().string();
  }
  ASSERT_FALSE(data_file.empty());
  {
    std::fstream f(data_file, std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(3);
    f.put('#');
  }
  into.set_name(op.backup().name());
  op = Run(Call(&v1::ControlPlane::Stub::RestoreBackup, into, kAdminKey));
  EXPECT_EQ(op.error_code(), static_cast<int>(absl::StatusCode::kDataLoss));
  EXPECT_THAT(op.error_message(), HasSubstr("data-"));
  ExpectRows(data, 7);

  // Only within the agent's environment: another environment cannot read
  // this agent's bucket.
  v1::RestoreBackupRequest elsewhere = restore;
  elsewhere.set_cluster_id("gamma");
  elsewhere.mutable_cluster()->set_environment(project_ +
                                               "/environments/other");
  EXPECT_THAT(
      Call(&v1::ControlPlane::Stub::RestoreBackup, elsewhere, kAdminKey),
      StatusIs(absl::StatusCode::kFailedPrecondition,
               HasSubstr("restores only into clusters of that environment")));

  // Delete: the agent removes the files; the record goes.
  v1::DeleteRequest del;
  del.set_name(backup.name());
  op = Run(Call(&v1::ControlPlane::Stub::DeleteBackup, del, kAdminKey));
  ASSERT_EQ(op.error_code(), 0) << op.error_message();
  EXPECT_FALSE(std::filesystem::exists(dir));
  v1::GetRequest get;
  get.set_name(backup.name());
  EXPECT_THAT(Call(&v1::ControlPlane::Stub::GetBackup, get, kAdminKey),
              StatusIs(absl::StatusCode::kNotFound));
  EXPECT_TRUE(std::filesystem::exists(dir2 + "/manifest.json"));

  // A delete while the agent is away waits for it.
  agent_.reset();
  del.set_name(alpha + "/backups/second");
  ASSERT_OK_AND_ASSIGN(
      op, Call(&v1::ControlPlane::Stub::DeleteBackup, del, kAdminKey));
  Advance(absl::Seconds(1));
  ASSERT_OK_AND_ASSIGN(op, Wait(op.name(), kAdminKey, 200));
  EXPECT_FALSE(op.done());
  EXPECT_TRUE(std::filesystem::exists(dir2 + "/manifest.json"));
  options_.token.clear();
  ASSERT_OK_AND_ASSIGN(agent_, agent::Agent::Start(options_));
  ASSERT_TRUE(agent_->WaitConnected(absl::Seconds(20)));
  ASSERT_OK_AND_ASSIGN(op, Wait(op.name()));
  ASSERT_TRUE(op.done());
  EXPECT_EQ(op.error_code(), 0) << op.error_message();
  EXPECT_FALSE(std::filesystem::exists(dir2));
}

// The restore permission matrix holds for agent-mode backups too (the same
// RestoreBackup handler decides before anything is sent to the agent), and
// a restore into a new cluster that the agent cannot carry out (a damaged
// backup) leaves the cluster FAILED with its data plane stopped on the
// agent, never RUNNING and empty.
TEST_F(AgentOpsTest, RestoreMatrixAndFailedRestoreThroughTheAgent) {
  StartAgent();
  v1::Operation op = Run(Create(ClusterRequest("alpha")));
  ASSERT_EQ(op.error_code(), 0) << op.error_message();
  const std::string alpha = op.cluster().name();
  ASSERT_OK_AND_ASSIGN(Client data, DataClient(op.cluster().endpoint(),
                                               op.cluster().admin_password()));
  ASSERT_OK(data.CreateCollection("docs", 2));
  ASSERT_OK(data.Insert("docs", Rows(0, 5)).status());
  op = Run(CreateBackup(alpha, "first"));
  ASSERT_EQ(op.error_code(), 0) << op.error_message();
  const v1::Backup backup = op.backup();

  ASSERT_OK_AND_ASSIGN(v1::ApiKey rw,
                       MakeKey("acme", "roles/project.read_write", project_));
  ASSERT_OK_AND_ASSIGN(v1::ApiKey admin,
                       MakeKey("acme", "roles/project.admin", project_));
  v1::CreateRoleRequest role;
  role.set_parent("organizations/acme");
  role.set_role_id("restore-into");
  role.mutable_role()->set_level(v1::Role::PROJECT);
  v1::Statement* st = role.mutable_role()->add_statements();
  st->set_effect(v1::Statement::ALLOW);
  st->add_actions("backups.restore");
  st->add_actions("operations.get");
  ASSERT_OK_AND_ASSIGN(
      v1::Role into_role,
      Call(&v1::ControlPlane::Stub::CreateRole, role, kAdminKey));
  ASSERT_OK_AND_ASSIGN(v1::ApiKey into_key,
                       MakeKey("acme", into_role.name(), project_));

  v1::RestoreBackupRequest fresh;
  fresh.set_name(backup.name());
  fresh.set_parent(project_);
  fresh.set_cluster_id("beta");
  *fresh.mutable_cluster() = ClusterRequest("beta").cluster();
  v1::RestoreBackupRequest existing;
  existing.set_name(backup.name());
  existing.set_target_cluster(alpha);
  v1::RestoreBackupRequest overwrite = existing;
  overwrite.set_overwrite(true);
  // read_write: no cell.
  for (const auto* req : {&fresh, &existing, &overwrite}) {
    EXPECT_THAT(Call(&v1::ControlPlane::Stub::RestoreBackup, *req, rw.secret()),
                StatusIs(absl::StatusCode::kPermissionDenied,
                         HasSubstr("backups.restore")));
  }
  // backups.restore alone: into the existing cluster only.
  EXPECT_THAT(
      Call(&v1::ControlPlane::Stub::RestoreBackup, fresh, into_key.secret()),
      StatusIs(absl::StatusCode::kPermissionDenied,
               HasSubstr("clusters.create")));
  EXPECT_THAT(Call(&v1::ControlPlane::Stub::RestoreBackup, overwrite,
                   into_key.secret()),
              StatusIs(absl::StatusCode::kPermissionDenied,
                       HasSubstr("clusters.delete")));
  ASSERT_OK(data.DropCollection("docs"));
  op = Run(Call(&v1::ControlPlane::Stub::RestoreBackup, existing,
                into_key.secret()));
  ASSERT_EQ(op.error_code(), 0) << op.error_message();
  ExpectRows(data, 5);
  EXPECT_THAT(GetCluster(project_ + "/clusters/beta"),
              StatusIs(absl::StatusCode::kNotFound));
  // The admin: every cell, through the agent.
  ASSERT_OK_AND_ASSIGN(
      op, Call(&v1::ControlPlane::Stub::RestoreBackup, fresh, admin.secret()));
  const std::string fresh_op = op.name();
  for (int i = 0; i < 5 && !op.done(); ++i) op = Run(GetOp(fresh_op));
  ASSERT_EQ(op.error_code(), 0) << op.error_message();
  op = Run(
      Call(&v1::ControlPlane::Stub::RestoreBackup, overwrite, admin.secret()));
  ASSERT_EQ(op.error_code(), 0) << op.error_message();

  // A damaged backup restored into a new cluster: the agent finds it, the
  // cluster is FAILED and the agent stops its data plane.
  op = Run(CreateBackup(alpha, "second"));
  ASSERT_EQ(op.error_code(), 0) << op.error_message();
  const std::string dir2 = bucket_ + "/" + op.backup().location();
  for (const auto& e : std::filesystem::directory_iterator(dir2)) {
    if (!absl::StartsWith(e.path().filename().string(), "data-")) continue;
    std::fstream f(e.path(), std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(20);
    f.put('#');
  }
  v1::RestoreBackupRequest broken = fresh;
  broken.set_name(op.backup().name());
  broken.set_cluster_id("broken");
  ASSERT_OK_AND_ASSIGN(
      op, Call(&v1::ControlPlane::Stub::RestoreBackup, broken, kAdminKey));
  const std::string broken_op = op.name();
  for (int i = 0; i < 5 && !op.done(); ++i) op = Run(GetOp(broken_op));
  ASSERT_TRUE(op.done());
  EXPECT_EQ(op.error_code(), static_cast<int>(absl::StatusCode::kDataLoss))
      << op.error_message();
  ASSERT_OK_AND_ASSIGN(v1::Cluster c,
                       GetCluster(project_ + "/clusters/broken"));
  EXPECT_EQ(c.state(), v1::Cluster::FAILED);
  EXPECT_THAT(c.state_message(), HasSubstr("RestoreBackup"));
  bool stopped = false;
  for (int i = 0; i < 400 && !stopped; ++i) {
    for (const agent::AgentCluster& held : agent_->clusters()) {
      if (held.name == c.name()) stopped = !held.running;
    }
    if (!stopped) std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  EXPECT_TRUE(stopped) << "the agent still runs the failed cluster";
}

// Issue 13, item 5, agent side: every file cove-agent and its data planes
// write (credential, cluster list, data directories, backups, backup data
// keys) is 0600 in 0700 directories, whatever the umask.
TEST_F(AgentOpsTest, EveryFileTheAgentWritesIsPrivate) {
  const mode_t old_umask = ::umask(0);
  StartAgent();
  v1::Operation op = Run(Create(ClusterRequest("alpha")));
  ASSERT_EQ(op.error_code(), 0) << op.error_message();
  const std::string alpha = op.cluster().name();
  {
    ASSERT_OK_AND_ASSIGN(
        Client data,
        DataClient(op.cluster().endpoint(), op.cluster().admin_password()));
    ASSERT_OK(data.CreateCollection("docs", 2));
    ASSERT_OK(data.Insert("docs", Rows(0, 4)).status());
    ASSERT_OK(data.Flush("docs"));
  }
  op = Run(CreateBackup(alpha, "first"));
  ASSERT_EQ(op.error_code(), 0) << op.error_message();
  v1::RestoreBackupRequest restore;
  restore.set_name(op.backup().name());
  restore.set_parent(project_);
  restore.set_cluster_id("beta");
  *restore.mutable_cluster() = ClusterRequest("beta").cluster();
  ASSERT_OK_AND_ASSIGN(
      op, Call(&v1::ControlPlane::Stub::RestoreBackup, restore, kAdminKey));
  const std::string restore_op = op.name();
  for (int i = 0; i < 5 && !op.done(); ++i) op = Run(GetOp(restore_op));
  ASSERT_EQ(op.error_code(), 0) << op.error_message();
  agent_.reset();  // stopped: its files are all written
  ::umask(old_umask);
  std::vector<std::string> wrong;
  std::error_code ec;
  for (auto it = std::filesystem::recursive_directory_iterator(bucket_, ec);
       !ec && it != std::filesystem::recursive_directory_iterator();
       it.increment(ec)) {
    struct stat st;
    ASSERT_EQ(::lstat(it->path().c_str(), &st), 0);
    const unsigned mode = st.st_mode & 07777;
    if (S_ISDIR(st.st_mode) ? mode != 0700 : mode != 0600)
      wrong.push_back(absl::StrCat(it->path().string(), " ", mode));
  }
  EXPECT_THAT(wrong, IsEmpty());
  for (const std::string& path :
       {bucket_ + "/.cove-agent/credential.json",
        bucket_ + "/.cove-agent/clusters.json",
        bucket_ + "/clusters/alpha/cove-users.json",
        bucket_ + "/backups/alpha/first/manifest.json",
        bucket_ + "/.kms/backup-alpha.key"}) {
    EXPECT_TRUE(std::filesystem::exists(path)) << path;
  }
}

// ResetClusterPassword in agent mode (issue 13, item 12): the agent sets the
// new password in its data plane's user store, running or suspended.
TEST_F(AgentOpsTest, ResetClusterPasswordThroughTheAgent) {
  StartAgent();
  v1::Operation op = Run(Create(ClusterRequest("alpha")));
  ASSERT_EQ(op.error_code(), 0) << op.error_message();
  const std::string alpha = op.cluster().name();
  const std::string endpoint = op.cluster().endpoint();
  const std::string old_password = op.cluster().admin_password();
  const auto login = [&](const std::string& password) -> absl::Status {
    auto client = DataClient(endpoint, password);
    if (!client.ok()) return client.status();
    return client->ListCollections().status();
  };
  ASSERT_OK(login(old_password));
  op = Run(ClusterAction(&v1::ControlPlane::Stub::ResetClusterPassword, alpha));
  ASSERT_EQ(op.error_code(), 0) << op.error_message();
  const std::string fresh = op.cluster().admin_password();
  ASSERT_FALSE(fresh.empty());
  EXPECT_THAT(login(old_password),
              StatusIs(absl::StatusCode::kUnauthenticated));
  EXPECT_OK(login(fresh));
  // Suspended: set in the user store on disk, used when it resumes.
  op = Run(ClusterAction(&v1::ControlPlane::Stub::SuspendCluster, alpha));
  ASSERT_EQ(op.error_code(), 0) << op.error_message();
  op = Run(ClusterAction(&v1::ControlPlane::Stub::ResetClusterPassword, alpha));
  ASSERT_EQ(op.error_code(), 0) << op.error_message();
  const std::string later = op.cluster().admin_password();
  EXPECT_EQ(op.cluster().state(), v1::Cluster::SUSPENDED);
  op = Run(ClusterAction(&v1::ControlPlane::Stub::ResumeCluster, alpha));
  ASSERT_EQ(op.error_code(), 0) << op.error_message();
  EXPECT_THAT(login(fresh), StatusIs(absl::StatusCode::kUnauthenticated));
  EXPECT_OK(login(later));
}

TEST_F(AgentOpsTest, CustomerKeyLivesWithTheAgentAndRevocationSuspends) {
  StartAgent();
  WriteKey("key1", 'a');
  ASSERT_OK_AND_ASSIGN(
      internal::Cipher cipher,
      internal::Cipher::FromKeyFile(bucket_ + "/.kms/key1.key"));

  // A key the agent does not have: the create fails on the agent.
  v1::CreateClusterRequest req = ClusterRequest("nokey");
  req.mutable_cluster()->set_encryption_key("keys/missing");
  v1::Operation op = Run(Create(req));
  EXPECT_EQ(op.error_code(),
            static_cast<int>(absl::StatusCode::kFailedPrecondition));
  EXPECT_THAT(op.error_message(), HasSubstr("agent's key store"));
  req = ClusterRequest("badkey");
  req.mutable_cluster()->set_encryption_key("keys/../x");
  EXPECT_THAT(Create(req), StatusIs(absl::StatusCode::kInvalidArgument));

  req = ClusterRequest("secure");
  req.mutable_cluster()->set_encryption_key("keys/key1");
  op = Run(Create(req));
  ASSERT_EQ(op.error_code(), 0) << op.error_message();
  const std::string cluster = op.cluster().name();
  const std::string password = op.cluster().admin_password();
  EXPECT_EQ(op.cluster().encryption_key(), "keys/key1");
  // The fingerprint comes from the agent (never the key).
  EXPECT_EQ(op.cluster().encryption_key_id(), cipher.KeyId());
  {
    ASSERT_OK_AND_ASSIGN(Client data,
                         DataClient(op.cluster().endpoint(), password));
    ASSERT_OK(data.CreateCollection("docs", 2));
    ASSERT_OK(data.Insert("docs", Rows(0, 5)).status());
  }
  // Backups of the encrypted cluster are encrypted by the agent.
  op = Run(CreateBackup(cluster, "enc"));
  ASSERT_EQ(op.error_code(), 0) << op.error_message();
  EXPECT_TRUE(op.backup().encrypted());
  const std::string backup = op.backup().name();
  ASSERT_OK_AND_ASSIGN(
      hosting::BackupHeader header,
      hosting::ReadBackupHeader(bucket_ + "/" + op.backup().location()));
  EXPECT_TRUE(header.encrypted);

  // Revoked: the key file leaves the agent's key store. The agent stops the
  // data plane and reports it; the cluster is SUSPENDED with an event.
  std::filesystem::rename(bucket_ + "/.kms/key1.key",
                          state_.path() + "/key1.key.saved");
  v1::Cluster c;
  ASSERT_TRUE(Eventually<v1::Cluster>(
      [&] { return GetCluster(cluster); },
      [](const v1::Cluster& x) { return x.state() == v1::Cluster::SUSPENDED; },
      &c))
      << v1::Cluster::State_Name(c.state());
  EXPECT_THAT(c.state_message(), HasSubstr("customer key revoked"));
  EXPECT_THAT(c.endpoint(), Not(IsEmpty()));  // kept: the port is held
  EXPECT_EQ(CountAudit("clusters.keyRevoked"), 1);
  ASSERT_EQ(agent_->clusters().size(), 1u);  // "nokey" was never created
  for (const auto& l : agent_->clusters()) {
    if (l.name == cluster) {
      EXPECT_TRUE(l.key_revoked);
      EXPECT_FALSE(l.running);
    }
  }
  // Resume is refused by the agent while the key is missing; the cluster
  // stays SUSPENDED.
  op = Run(ClusterAction(&v1::ControlPlane::Stub::ResumeCluster, cluster));
  EXPECT_EQ(op.error_code(),
            static_cast<int>(absl::StatusCode::kFailedPrecondition));
  EXPECT_THAT(op.error_message(), HasSubstr("not available"));
  ASSERT_OK_AND_ASSIGN(c, GetCluster(cluster));
  EXPECT_EQ(c.state(), v1::Cluster::SUSPENDED);

  // Another key under the same name is not the key.
  WriteKey("key1", 'b');
  op = Run(ClusterAction(&v1::ControlPlane::Stub::ResumeCluster, cluster));
  EXPECT_THAT(op.error_message(), HasSubstr("replaced"));

  // The key is back: resume brings the data back.
  std::filesystem::rename(state_.path() + "/key1.key.saved",
                          bucket_ + "/.kms/key1.key");
  op = Run(ClusterAction(&v1::ControlPlane::Stub::ResumeCluster, cluster));
  ASSERT_EQ(op.error_code(), 0) << op.error_message();
  EXPECT_EQ(op.cluster().state(), v1::Cluster::RUNNING);
  {
    ASSERT_OK_AND_ASSIGN(Client data,
                         DataClient(op.cluster().endpoint(), password));
    ExpectRows(data, 5);
  }
  // The encrypted backup restores (the agent reads the key).
  v1::RestoreBackupRequest restore;
  restore.set_name(backup);
  restore.set_parent(project_);
  restore.set_cluster_id("copy");
  *restore.mutable_cluster() = ClusterRequest("copy").cluster();
  ASSERT_OK_AND_ASSIGN(
      op, Call(&v1::ControlPlane::Stub::RestoreBackup, restore, kAdminKey));
  const std::string restore_op = op.name();
  for (int i = 0; i < 5 && !op.done(); ++i) op = Run(GetOp(restore_op));
  ASSERT_TRUE(op.done());
  ASSERT_EQ(op.error_code(), 0) << op.error_message();
  ASSERT_OK_AND_ASSIGN(Client copy, DataClient(op.cluster().endpoint(),
                                               op.cluster().admin_password()));
  ExpectRows(copy, 5);
}

TEST_F(AgentOpsTest, MetricsAndAutoscalingFromHeartbeats) {
  StartAgent();
  v1::CreateClusterRequest req = ClusterRequest("auto");
  v1::Autoscaling* as = req.mutable_cluster()->mutable_autoscaling();
  as->set_enabled(true);
  as->set_min_cu_size(1);
  as->set_max_cu_size(4);
  v1::Operation op = Run(Create(req));
  ASSERT_EQ(op.error_code(), 0) << op.error_message();
  const std::string cluster = op.cluster().name();
  ASSERT_OK_AND_ASSIGN(Client data, DataClient(op.cluster().endpoint(),
                                               op.cluster().admin_password()));
  ASSERT_OK(data.CreateCollection("docs", 2));
  // 7 of 10 vectors: below the scale-up threshold (80%).
  ASSERT_OK(data.Insert("docs", Rows(0, 7)).status());
  SearchRequest search;
  search.collection_name = "docs";
  search.vectors = {3.0f, 1.0f};
  search.dim = 2;
  search.limit = 2;
  for (int i = 0; i < 5; ++i) ASSERT_OK(data.Search(search).status());

  v1::GetClusterMetricsRequest mreq;
  mreq.set_name(cluster);
  mreq.set_window_seconds(600);
  v1::ClusterMetrics m;
  auto search_kind = [](const v1::ClusterMetrics& x) {
    for (const auto& k : x.kinds())
      if (k.kind() == "search") return k;
    return v1::RequestKindMetrics();
  };
  ASSERT_TRUE(Eventually<v1::ClusterMetrics>(
      [&] {
        return Call(&v1::ControlPlane::Stub::GetClusterMetrics, mreq,
                    kAdminKey);
      },
      [&](const v1::ClusterMetrics& x) {
        return x.vector_count() == 7 && search_kind(x).requests() == 5;
      },
      &m))
      << m.DebugString();
  EXPECT_TRUE(m.serving());
  EXPECT_EQ(m.capacity_vectors(), 10);
  EXPECT_DOUBLE_EQ(m.cu_usage(), 0.7);
  EXPECT_GT(m.storage_bytes(), 0);
  // The data plane is younger than the window: every search counts.
  EXPECT_DOUBLE_EQ(search_kind(m).qps(), 5.0 / 600);
  EXPECT_GT(search_kind(m).latency_p50_ms(), 0);
  EXPECT_GE(m.requests(), 5 + 2);  // searches, create, insert
  EXPECT_GT(m.latency_p99_ms(), 0);

  // Nothing to do at 70%.
  Advance(absl::Seconds(1));
  ASSERT_OK_AND_ASSIGN(v1::Cluster c, GetCluster(cluster));
  EXPECT_EQ(c.cu_size(), 1);
  // 9 of 10 (90%): once a heartbeat reports it, the autoscaler scales up to
  // the smallest size below 80% (2 CU), carried out by the agent.
  ASSERT_OK(data.Insert("docs", Rows(7, 2)).status());
  ASSERT_TRUE(Eventually<v1::Cluster>(
      [&] { return GetCluster(cluster); },
      [](const v1::Cluster& x) { return x.used_vectors() == 9; }, &c));
  for (int i = 0;
       i < 100 && (c.cu_size() != 2 || c.state() != v1::Cluster::RUNNING);
       ++i) {
    Advance(absl::Seconds(1));
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    ASSERT_OK_AND_ASSIGN(c, GetCluster(cluster));
  }
  EXPECT_EQ(c.cu_size(), 2);
  EXPECT_EQ(c.state(), v1::Cluster::RUNNING);
  EXPECT_EQ(c.capacity_vectors(), 20);
  int autoscaled = 0;
  for (const auto& e : Audit("organizations/acme")) {
    if (e.action() == "clusters.autoscale") {
      ++autoscaled;
      EXPECT_EQ(e.actor(), "system:autoscaler");
      EXPECT_THAT(e.message(), HasSubstr("1 CU x 1 -> 2 CU x 1"));
    }
  }
  EXPECT_EQ(autoscaled, 1);
  // The agent's data plane admits the new capacity.
  ASSERT_OK(data.Insert("docs", Rows(9, 5)).status());
  EXPECT_EQ(agent_->clusters()[0].capacity_vectors, 20);
}

TEST_F(AgentOpsTest, ReplicasFollowTheQpsOfTheHeartbeats) {
  StartAgent();
  v1::CreateClusterRequest req = ClusterRequest("busy");
  req.mutable_cluster()->set_cu_size(8);
  v1::Autoscaling* as = req.mutable_cluster()->mutable_autoscaling();
  as->set_enabled(true);
  as->set_min_cu_size(8);
  as->set_max_cu_size(8);
  as->set_max_replicas(2);
  as->set_target_qps_per_replica(1.0);
  v1::Operation op = Run(Create(req));
  ASSERT_EQ(op.error_code(), 0) << op.error_message();
  const std::string cluster = op.cluster().name();
  ASSERT_OK_AND_ASSIGN(Client data, DataClient(op.cluster().endpoint(),
                                               op.cluster().admin_password()));
  ASSERT_OK(data.CreateCollection("docs", 2));
  ASSERT_OK(data.Insert("docs", Rows(0, 3)).status());
  SearchRequest search;
  search.collection_name = "docs";
  search.vectors = {3.0f, 1.0f};
  search.dim = 2;
  search.limit = 2;
  // 100 searches in the 60 s window of the agent's clock: at least 1.7 QPS
  // at one replica, above the target of 1: 2 replicas (the maximum).
  for (int i = 0; i < 100; ++i) ASSERT_OK(data.Search(search).status());
  ASSERT_OK_AND_ASSIGN(v1::Cluster c, GetCluster(cluster));
  for (int i = 0;
       i < 200 && (c.replicas() != 2 || c.state() != v1::Cluster::RUNNING);
       ++i) {
    Advance(absl::Seconds(1));
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    ASSERT_OK_AND_ASSIGN(c, GetCluster(cluster));
  }
  EXPECT_EQ(c.replicas(), 2);
  EXPECT_EQ(c.cu_size(), 8);
  EXPECT_EQ(c.state(), v1::Cluster::RUNNING);
  int autoscaled = 0;
  for (const auto& e : Audit("organizations/acme")) {
    if (e.action() == "clusters.autoscale") {
      ++autoscaled;
      EXPECT_EQ(e.actor(), "system:autoscaler");
      EXPECT_THAT(e.message(), HasSubstr("8 CU x 1 -> 8 CU x 2"));
      EXPECT_THAT(e.message(), HasSubstr("> target_qps_per_replica 1"));
    }
  }
  EXPECT_EQ(autoscaled, 1);
}

TEST_F(AgentOpsTest, HungAgentIsDetectedAfterTheHeartbeatTimeout) {
  StartAgent();
  v1::Operation op = Run(Create(ClusterRequest("alpha")));
  ASSERT_EQ(op.error_code(), 0) << op.error_message();
  const std::string cluster = op.cluster().name();
  ASSERT_OK_AND_ASSIGN(Client data, DataClient(op.cluster().endpoint(),
                                               op.cluster().admin_password()));
  ASSERT_OK(data.CreateCollection("docs", 2));
  ASSERT_OK(data.Insert("docs", Rows(0, 4)).status());

  // A healthy agent survives a jump of the clock past the timeout: its
  // next heartbeat arrives (the clock alone does not make it hung).
  ASSERT_OK_AND_ASSIGN(v1::Environment env, GetEnv(env_name_));
  const absl::Time before = FromProto(env.last_heartbeat_time());
  Advance(absl::Seconds(31));
  ASSERT_TRUE(EnvEventually(
      [&](const v1::Environment& e) {
        return FromProto(e.last_heartbeat_time()) >= before + absl::Seconds(31);
      },
      &env));
  EXPECT_EQ(env.state(), v1::Environment::CONNECTED);
  EXPECT_EQ(agent_->registrations(), 1);

  // Hung: the stream stays open, no heartbeats. After the heartbeat
  // timeout the environment is DISCONNECTED and the stream is ended.
  agent_->Hang();
  Advance(absl::Seconds(29));
  ASSERT_OK_AND_ASSIGN(env, GetEnv(env_name_));
  EXPECT_EQ(env.state(), v1::Environment::CONNECTED);
  Advance(absl::Seconds(2));
  ASSERT_TRUE(EnvEventually(
      [](const v1::Environment& e) {
        return e.state() == v1::Environment::DISCONNECTED;
      },
      &env));
  EXPECT_THAT(env.state_message(), HasSubstr("no heartbeat"));
  EXPECT_EQ(CountAudit("environments.agentLost"), 1);
  for (int i = 0; i < 400 && agent_->connected(); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  EXPECT_FALSE(agent_->connected());
  // Its clusters keep serving; an operation waits for the agent.
  ASSERT_OK_AND_ASSIGN(v1::Cluster c, GetCluster(cluster));
  EXPECT_EQ(c.state(), v1::Cluster::RUNNING);
  EXPECT_EQ(Count(data), 4);
  ASSERT_OK_AND_ASSIGN(
      op, ClusterAction(&v1::ControlPlane::Stub::SuspendCluster, cluster));
  Advance(absl::Seconds(1));
  ASSERT_OK_AND_ASSIGN(op, Wait(op.name(), kAdminKey, 200));
  EXPECT_FALSE(op.done());

  // Back: it registers again and carries out the operation.
  agent_->Reconnect();
  ASSERT_TRUE(agent_->WaitRegistrations(2, absl::Seconds(20)));
  ASSERT_OK_AND_ASSIGN(op, Wait(op.name()));
  ASSERT_TRUE(op.done());
  EXPECT_EQ(op.error_code(), 0) << op.error_message();
  EXPECT_EQ(op.cluster().state(), v1::Cluster::SUSPENDED);
  ASSERT_OK_AND_ASSIGN(env, GetEnv(env_name_));
  EXPECT_EQ(env.state(), v1::Environment::CONNECTED);
}

// Versions and upgrades (issue 19) in agent mode: the agent upgrades the
// replicas one at a time (AgentUpgradeCluster: each new instance started
// beside the running ones and health-checked) and rolls back a broken
// release, or the replicas upgraded before a failed health check; the
// endpoint and the data stay, and searches never fail.
class AgentUpgradeTest : public AgentOpsTest {};

TEST_F(AgentUpgradeTest, UpgradeAndRollbackThroughTheAgent) {
  StartAgent();
  v1::Operation op = Run(Create(ClusterRequest("upgraded")));
  ASSERT_EQ(op.error_code(), 0) << op.error_message();
  const v1::Cluster c = op.cluster();
  const std::string from = c.version();
  ASSERT_FALSE(from.empty());
  {
    ASSERT_OK_AND_ASSIGN(Client data,
                         DataClient(c.endpoint(), c.admin_password()));
    ASSERT_OK(data.CreateCollection("docs", 2));
    ASSERT_OK(data.Insert("docs", Rows(0, 6)).status());
  }
  v1::UpdateSettingsRequest settings;
  v1::Release* good = settings.add_releases();
  good->set_version("9.1.0");
  good->add_upgrades_from(from);
  v1::Release* bad = settings.add_releases();
  bad->set_version("9.0.9");
  bad->add_upgrades_from(from);
  bad->set_broken(true);
  ASSERT_TRUE(Emu(&v1::Emulator::Stub::UpdateSettings, settings).ok());

  v1::UpgradeClusterRequest req;
  req.set_name(c.name());
  req.set_version("9.0.9");
  op = Run(Call(&v1::ControlPlane::Stub::UpgradeCluster, req, kAdminKey));
  EXPECT_EQ(op.error_code(), static_cast<int>(absl::StatusCode::kUnavailable));
  EXPECT_THAT(op.error_message(),
              AllOf(HasSubstr("on the agent"), HasSubstr("flagged broken"),
                    HasSubstr("rolled back to release '" + from + "'")));
  ASSERT_OK_AND_ASSIGN(v1::Cluster got, GetCluster(c.name()));
  EXPECT_EQ(got.state(), v1::Cluster::RUNNING);
  EXPECT_EQ(got.version(), from);
  {
    ASSERT_OK_AND_ASSIGN(Client data,
                         DataClient(c.endpoint(), c.admin_password()));
    EXPECT_EQ(Count(data), 6);
  }

  req.set_version("9.1.0");
  op = Run(Call(&v1::ControlPlane::Stub::UpgradeCluster, req, kAdminKey));
  ASSERT_EQ(op.error_code(), 0) << op.error_message();
  ASSERT_OK_AND_ASSIGN(got, GetCluster(c.name()));
  EXPECT_EQ(got.state(), v1::Cluster::RUNNING);
  EXPECT_EQ(got.version(), "9.1.0");
  EXPECT_EQ(got.endpoint(), c.endpoint());
  ASSERT_OK_AND_ASSIGN(Client data,
                       DataClient(c.endpoint(), c.admin_password()));
  EXPECT_EQ(Count(data), 6);
}

// A search loop on its own thread, one new connection per search (retrying
// as users' clients do, RemoteOptions' default attempts): it must never
// fail while the replicas are upgraded one at a time or rolled back.
class SearchLoop {
 public:
  SearchLoop(const std::string& endpoint, const std::string& password)
      : thread_([this, endpoint, password] {
          SearchRequest search;
          search.collection_name = "docs";
          search.vectors = {1, 1};
          search.dim = 2;
          search.limit = 3;
          // The default RemoteOptions (attempts and backoff): they outlast
          // gRPC's reconnect backoff after a connection reset in the
          // instant a listener closes.
          ClientOptions options;
          options.remote.user = "root";
          options.remote.password = password;
          options.remote.timeout = std::chrono::seconds(10);
          while (!done_.load()) {
            auto data = Client::Open(endpoint, options);
            absl::Status s = data.status();
            if (s.ok()) s = data->Search(search).status();
            if (s.ok()) {
              ++ok_;
            } else if (failed_.fetch_add(1) == 0) {
              absl::MutexLock lock(&mu_);
              first_error_ = s.ToString();
            }
          }
        }) {}
  ~SearchLoop() { Stop(); }
  void AwaitMore(int n) {
    const int target = ok_.load() + n;
    while (ok_.load() < target && failed_.load() == 0)
      std::this_thread::yield();
  }
  void Stop() {
    done_ = true;
    if (thread_.joinable()) thread_.join();
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
  std::thread thread_;
};

TEST_F(AgentUpgradeTest, RollingUpgradeOfTwoReplicasThroughTheAgent) {
  StartAgent();
  v1::CreateClusterRequest create = ClusterRequest("rolling");
  create.mutable_cluster()->set_cu_size(8);
  create.mutable_cluster()->set_replicas(2);
  v1::Operation op = Run(Create(create));
  ASSERT_EQ(op.error_code(), 0) << op.error_message();
  const v1::Cluster c = op.cluster();
  const std::string from = c.version();
  const int port = hosting::PortOf(c.endpoint());
  {
    ASSERT_OK_AND_ASSIGN(Client data,
                         DataClient(c.endpoint(), c.admin_password()));
    ASSERT_OK(data.CreateCollection("docs", 2));
    ASSERT_OK(data.Insert("docs", Rows(0, 6)).status());
  }
  // Two data-plane server instances on the cluster's port.
  EXPECT_EQ(ListenersOn(port), 2);
  ASSERT_EQ(agent_->clusters().size(), 1u);
  EXPECT_EQ(agent_->clusters()[0].replicas, 2);
  v1::UpdateSettingsRequest settings;
  v1::Release* next = settings.add_releases();
  next->set_version("9.1.0");
  next->add_upgrades_from(from);
  v1::Release* after = settings.add_releases();
  after->set_version("9.2.0");
  after->add_upgrades_from("9.1.0");
  ASSERT_TRUE(Emu(&v1::Emulator::Stub::UpdateSettings, settings).ok());

  v1::UpgradeClusterRequest req;
  req.set_name(c.name());
  req.set_version("9.1.0");
  {
    SearchLoop searches(c.endpoint(), c.admin_password());
    searches.AwaitMore(5);
    op = Run(Call(&v1::ControlPlane::Stub::UpgradeCluster, req, kAdminKey));
    ASSERT_EQ(op.error_code(), 0) << op.error_message();
    searches.AwaitMore(5);
    searches.Stop();
    EXPECT_EQ(searches.failed(), 0) << searches.first_error();
    std::cout << "[ agent rolling upgrade, 2 replicas ] searches: "
              << searches.ok() << " ok\n";
  }
  ASSERT_OK_AND_ASSIGN(v1::Cluster got, GetCluster(c.name()));
  EXPECT_EQ(got.version(), "9.1.0");
  EXPECT_EQ(got.endpoint(), c.endpoint());
  EXPECT_EQ(ListenersOn(port), 2);

  // The second replica fails its health check: the first goes back.
  v1::InjectFaultRequest fault;
  fault.mutable_fault()->set_verb("UpgradeCluster");
  fault.mutable_fault()->set_mode(v1::Fault::FAIL);
  fault.mutable_fault()->set_replica(2);
  fault.mutable_fault()->set_message("replica 2 does not answer");
  fault.mutable_fault()->set_count(1);
  ASSERT_TRUE(Emu(&v1::Emulator::Stub::InjectFault, fault).ok());
  req.set_version("9.2.0");
  {
    SearchLoop searches(c.endpoint(), c.admin_password());
    searches.AwaitMore(5);
    op = Run(Call(&v1::ControlPlane::Stub::UpgradeCluster, req, kAdminKey));
    EXPECT_EQ(op.error_code(),
              static_cast<int>(absl::StatusCode::kUnavailable));
    EXPECT_THAT(
        op.error_message(),
        AllOf(HasSubstr("on the agent"), HasSubstr("failed on replica 2 of 2"),
              HasSubstr("replica 2 does not answer"),
              HasSubstr("rolled back to release '9.1.0'")));
    searches.AwaitMore(5);
    searches.Stop();
    EXPECT_EQ(searches.failed(), 0) << searches.first_error();
  }
  ASSERT_OK_AND_ASSIGN(got, GetCluster(c.name()));
  EXPECT_EQ(got.state(), v1::Cluster::RUNNING);
  EXPECT_EQ(got.version(), "9.1.0");
  EXPECT_THAT(got.state_message(), HasSubstr("rolled back"));
  EXPECT_EQ(ListenersOn(port), 2);

  // Scaling stops an instance; the data stays.
  v1::ScaleClusterRequest scale;
  scale.set_name(c.name());
  scale.set_replicas(1);
  op = Run(Call(&v1::ControlPlane::Stub::ScaleCluster, scale, kAdminKey));
  ASSERT_EQ(op.error_code(), 0) << op.error_message();
  EXPECT_EQ(op.cluster().replicas(), 1);
  EXPECT_EQ(ListenersOn(port), 1);
  EXPECT_EQ(agent_->clusters()[0].replicas, 1);
  ASSERT_OK_AND_ASSIGN(Client data,
                       DataClient(c.endpoint(), c.admin_password()));
  EXPECT_EQ(Count(data), 6);
}

}  // namespace
}  // namespace cove::cloud::testing
