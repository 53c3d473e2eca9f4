// Backups, restore, backup policies and customer-managed keys of the cloud
// emulator, end to end with real data planes: a round trip verified row by
// row, encryption on disk, corruption, the policy on the manual clock, key
// revocation and restoration, and RBAC.
#include <sys/stat.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "absl/strings/match.h"
#include "cloud/cloud_fixture.h"
#include "gmock/gmock.h"

namespace cove::cloud::testing {
namespace {

using ::cove::testing::IsOk;
using ::cove::testing::StatusIs;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;

constexpr char kMarker[] = "PLAINTEXT-MARKER-7f3a";
// The customer's key, 64 hex digits.
constexpr char kKeyHex[] =
    "00112233445566778899aabbccddeeff0f1e2d3c4b5a69788796a5b4c3d2e1f0";

std::string ReadAll(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// Every regular file under `dir` whose bytes contain `needle`.
std::vector<std::string> FilesContaining(const std::string& dir,
                                         const std::string& needle) {
  std::vector<std::string> out;
  std::error_code ec;
  for (auto it = std::filesystem::recursive_directory_iterator(dir, ec);
       !ec && it != std::filesystem::recursive_directory_iterator();
       it.increment(ec)) {
    if (!it->is_regular_file()) continue;
    if (ReadAll(it->path().string()).find(needle) != std::string::npos)
      out.push_back(it->path().string());
  }
  return out;
}

std::string RawKey() {
  std::string raw;
  for (size_t i = 0; i < 64; i += 2)
    raw.push_back(
        static_cast<char>(std::stoi(std::string(kKeyHex + i, 2), nullptr, 16)));
  return raw;
}

class BackupTest : public CloudFixture {
 protected:
  void SetUp() override {
    CloudFixture::SetUp();
    auto org = MakeOrg("acme", "owner@example.com");
    ASSERT_THAT(org, IsOk());
    ASSERT_THAT(MakeProject("acme", "web"), IsOk());
    auto env = MakeEnv(project_, "env1", org->external_id());
    ASSERT_THAT(env, IsOk());
    bucket_ = env->bucket();
    v1::UpdateSettingsRequest settings;
    (*settings.mutable_vectors_per_cu())["performance"] = 100000;
    ASSERT_THAT(Emu(&v1::Emulator::Stub::UpdateSettings, settings), IsOk());
  }

  // The customer puts a key into the environment's key store.
  void PutKey(const std::string& name, const std::string& hex = kKeyHex) {
    std::filesystem::create_directories(bucket_ + "/.kms");
    const std::string path = bucket_ + "/.kms/" + name + ".key";
    std::ofstream(path) << hex << "\n";
    ::chmod(path.c_str(), 0600);
  }

  // Creates a RUNNING cluster; returns the done operation (with password).
  v1::Operation CreateRunning(const std::string& id,
                              const std::string& key = "") {
    v1::CreateClusterRequest req;
    req.set_parent(project_);
    req.set_cluster_id(id);
    req.mutable_cluster()->set_environment(env_);
    req.mutable_cluster()->set_encryption_key(key);
    auto op = Call(&v1::ControlPlane::Stub::CreateCluster, req, kAdminKey);
    EXPECT_THAT(op, IsOk());
    if (!op.ok()) return {};
    auto done = Wait(op->name());
    EXPECT_THAT(done, IsOk());
    if (!done.ok()) return {};
    EXPECT_EQ(done->error_code(), 0) << done->error_message();
    EXPECT_EQ(done->cluster().state(), v1::Cluster::RUNNING);
    return *done;
  }

  // "docs": scalar, JSON, array, vector and dynamic fields, two partitions.
  void MakeDocs(Client& data) {
    CollectionSchema schema;
    schema.enable_dynamic_field = true;
    FieldSchema id;
    id.name = "id";
    id.type = DataType::kInt64;
    id.is_primary_key = true;
    schema.AddField(id);
    FieldSchema title;
    title.name = "title";
    title.type = DataType::kVarChar;
    title.max_length = 200;
    schema.AddField(title);
    FieldSchema score;
    score.name = "score";
    score.type = DataType::kDouble;
    schema.AddField(score);
    FieldSchema meta;
    meta.name = "meta";
    meta.type = DataType::kJson;
    schema.AddField(meta);
    FieldSchema tags;
    tags.name = "tags";
    tags.type = DataType::kArray;
    tags.element_type = DataType::kInt64;
    tags.max_capacity = 8;
    schema.AddField(tags);
    FieldSchema vec;
    vec.name = "vector";
    vec.type = DataType::kFloatVector;
    vec.dim = 4;
    schema.AddField(vec);
    IndexSpec index;
    index.field_name = "vector";
    index.index_type = IndexType::kHnsw;
    index.metric_type = MetricType::kL2;
    index.params = {{"M", "8"}, {"efConstruction", "64"}};
    ASSERT_OK(data.CreateCollection("docs", schema, {index}));
    ASSERT_OK(data.CreatePartition("docs", "p1"));
  }

  static Row DocRow(int i) {
    return Row{
        {"id", Value(int64_t{i})},
        {"title", Value(absl::StrCat(kMarker, "-", i))},
        {"score", Value(i * 0.5)},
        {"meta", Value::MakeObject({{"n", Value(int64_t{i})},
                                    {"k", Value("v")},
                                    {"list", Value::MakeArray({1, 2})}})},
        {"tags", Value::MakeArray({Value(int64_t{i}), Value(int64_t{7})})},
        {"vector", Value::FloatVector({0.25f * i, 1.0f, -2.5f, 1e-3f})},
        {"extra", Value(absl::StrCat("dyn", i))}};
  }

  void InsertDocs(Client& data, int first, int n, const std::string& part) {
    InsertRequest ins;
    ins.collection_name = "docs";
    ins.partition_name = part;
    for (int i = first; i < first + n; ++i) ins.rows.push_back(DocRow(i));
    ASSERT_OK(data.Insert(ins).status());
  }

  // Every row of `collection` (all fields), by primary key.
  static std::vector<Row> AllRows(Client& data, const std::string& collection,
                                  const std::string& partition = "") {
    QueryRequest q;
    q.collection_name = collection;
    q.output_fields = {"*"};
    q.limit = 16000;
    if (!partition.empty()) q.partition_names = {partition};
    auto rows = data.Query(q);
    EXPECT_THAT(rows, IsOk());
    return rows.ok() ? *rows : std::vector<Row>{};
  }

  static void ExpectSameRows(const std::vector<Row>& got,
                             const std::vector<Row>& want) {
    ASSERT_EQ(got.size(), want.size());
    for (size_t i = 0; i < want.size(); ++i) {
      ASSERT_EQ(got[i].size(), want[i].size()) << "row " << i;
      for (const auto& [k, v] : want[i]) {
        auto it = got[i].find(k);
        ASSERT_NE(it, got[i].end()) << "row " << i << " field " << k;
        EXPECT_EQ(it->second, v) << "row " << i << " field " << k << ": "
                                 << it->second.ToJson() << " vs " << v.ToJson();
      }
    }
  }

  absl::StatusOr<v1::Operation> Backup(const std::string& cluster,
                                       const std::string& id,
                                       std::vector<std::string> cols = {}) {
    v1::CreateBackupRequest req;
    req.set_parent(cluster);
    req.set_backup_id(id);
    for (auto& c : cols) req.mutable_backup()->add_collections(c);
    auto op = Call(&v1::ControlPlane::Stub::CreateBackup, req, kAdminKey);
    if (!op.ok()) return op.status();
    return Wait(op->name());
  }

  absl::StatusOr<v1::Operation> Restore(v1::RestoreBackupRequest req) {
    auto op = Call(&v1::ControlPlane::Stub::RestoreBackup, req, kAdminKey);
    if (!op.ok()) return op.status();
    return Wait(op->name());
  }

  absl::Status AdvanceClock(absl::Duration d) {
    v1::AdvanceClockRequest req;
    req.mutable_by()->set_seconds(absl::ToInt64Seconds(d));
    return Emu(&v1::Emulator::Stub::AdvanceClock, req).status();
  }

  const std::string project_ = "organizations/acme/projects/web";
  const std::string env_ = project_ + "/environments/env1";
  std::string bucket_;
};

TEST_F(BackupTest, RoundTripIntoNewAndExistingClusterRowByRow) {
  const std::string name = project_ + "/clusters/src";
  v1::Operation created = CreateRunning("src");
  ASSERT_OK_AND_ASSIGN(Client data,
                       DataClient(created.cluster().endpoint(),
                                  created.cluster().admin_password()));
  MakeDocs(data);
  InsertDocs(data, 0, 30, "_default");
  InsertDocs(data, 100, 12, "p1");
  ASSERT_OK(data.CreateCollection("other", 2));
  ASSERT_OK(data.Insert("other", Rows(0, 5)).status());
  const std::vector<Row> docs = AllRows(data, "docs");
  const std::vector<Row> docs_p1 = AllRows(data, "docs", "p1");
  const std::vector<Row> other = AllRows(data, "other");
  ASSERT_EQ(docs.size(), 42u);
  ASSERT_EQ(docs_p1.size(), 12u);

  ASSERT_OK_AND_ASSIGN(v1::Operation op, Backup(name, "bk1"));
  ASSERT_EQ(op.error_code(), 0) << op.error_message();
  // Without a customer key the marker is on disk in the data plane's files
  // (so the scans of the CMEK test can see it), but never in the backup:
  // backups are always encrypted, here with the cluster's backup data key,
  // created in the environment's key store.
  ASSERT_OK(data.Flush("docs"));
  EXPECT_THAT(FilesContaining(bucket_ + "/clusters/acme/web/src", kMarker),
              Not(IsEmpty()));
  EXPECT_THAT(FilesContaining(op.backup().location(), kMarker), IsEmpty());
  EXPECT_THAT(FilesContaining(op.backup().location(), "\"title\""), IsEmpty());
  EXPECT_EQ(op.verb(), "CreateBackup");
  EXPECT_EQ(op.backup().state(), v1::Backup::READY);
  EXPECT_EQ(op.backup().row_count(), 47);
  EXPECT_GT(op.backup().size_bytes(), 0);
  EXPECT_TRUE(op.backup().encrypted());
  EXPECT_EQ(op.backup().encryption_key(), "keys/backup-src");
  struct stat key_stat;
  ASSERT_EQ(::stat((bucket_ + "/.kms/backup-src.key").c_str(), &key_stat), 0);
  EXPECT_EQ(key_stat.st_mode & 0777, 0600u);
  // The data key is not in the control plane's state.
  EXPECT_THAT(
      FilesContaining(state_.path() + "/state",
                      ReadAll(bucket_ + "/.kms/backup-src.key").substr(0, 64)),
      IsEmpty());
  EXPECT_THAT(op.backup().collections(),
              ::testing::UnorderedElementsAre("docs", "other"));
  const std::string backup = name + "/backups/bk1";
  const std::string dir = bucket_ + "/backups/src/bk1";
  EXPECT_EQ(op.backup().location(), dir);
  EXPECT_TRUE(std::filesystem::exists(dir + "/manifest.json"));
  v1::GetRequest get;
  get.set_name(backup);
  ASSERT_OK_AND_ASSIGN(
      v1::Backup b, Call(&v1::ControlPlane::Stub::GetBackup, get, kAdminKey));
  EXPECT_EQ(b.state(), v1::Backup::READY);
  // A second backup of only "other".
  ASSERT_OK_AND_ASSIGN(op, Backup(name, "bk2", {"other"}));
  EXPECT_EQ(op.backup().row_count(), 5);
  v1::ListBackupsRequest list;
  list.set_parent(name);
  ASSERT_OK_AND_ASSIGN(
      auto listed, Call(&v1::ControlPlane::Stub::ListBackups, list, kAdminKey));
  EXPECT_EQ(listed.backups_size(), 2);
  list.set_parent(project_ + "/clusters/-");
  list.set_filter("state=READY");
  ASSERT_OK_AND_ASSIGN(
      listed, Call(&v1::ControlPlane::Stub::ListBackups, list, kAdminKey));
  EXPECT_EQ(listed.backups_size(), 2);

  // Change the source after the backup.
  InsertDocs(data, 200, 5, "_default");
  DeleteRequest del;
  del.collection_name = "docs";
  del.filter = "id < 10";
  ASSERT_OK(data.Delete(del).status());
  ASSERT_NE(AllRows(data, "docs").size(), docs.size());

  // Restore into a new cluster: every row as it was.
  v1::RestoreBackupRequest restore;
  restore.set_name(backup);
  restore.set_parent(project_);
  restore.set_cluster_id("copy");
  restore.mutable_cluster()->set_environment(env_);
  ASSERT_OK_AND_ASSIGN(op, Restore(restore));
  ASSERT_EQ(op.error_code(), 0) << op.error_message();
  EXPECT_EQ(op.verb(), "RestoreBackup");
  EXPECT_EQ(op.target(), project_ + "/clusters/copy");
  ASSERT_FALSE(op.cluster().admin_password().empty());
  ASSERT_OK_AND_ASSIGN(Client copy, DataClient(op.cluster().endpoint(),
                                               op.cluster().admin_password()));
  ExpectSameRows(AllRows(copy, "docs"), docs);
  ExpectSameRows(AllRows(copy, "docs", "p1"), docs_p1);
  ExpectSameRows(AllRows(copy, "other"), other);
  ASSERT_OK_AND_ASSIGN(auto indexes, copy.DescribeIndexes("docs"));
  ASSERT_EQ(indexes.size(), 1u);
  EXPECT_EQ(indexes[0].index_type, IndexType::kHnsw);
  EXPECT_EQ(indexes[0].metric_type, MetricType::kL2);

  // Into the existing cluster: a name conflict is refused at once ...
  restore.Clear();
  restore.set_name(backup);
  restore.set_target_cluster(name);
  EXPECT_THAT(Call(&v1::ControlPlane::Stub::RestoreBackup, restore, kAdminKey),
              StatusIs(absl::StatusCode::kAlreadyExists,
                       HasSubstr("collection 'docs' already exists")));
  // ... a collection not in the backup is NotFound ...
  restore.add_collections("missing");
  EXPECT_THAT(Call(&v1::ControlPlane::Stub::RestoreBackup, restore, kAdminKey),
              StatusIs(absl::StatusCode::kNotFound, HasSubstr("missing")));
  // ... and overwrite replaces the chosen collection only.
  restore.clear_collections();
  restore.add_collections("docs");
  restore.set_overwrite(true);
  ASSERT_OK(data.Insert("other", Rows(50, 1)).status());
  ASSERT_OK_AND_ASSIGN(op, Restore(restore));
  ASSERT_EQ(op.error_code(), 0) << op.error_message();
  ExpectSameRows(AllRows(data, "docs"), docs);
  ExpectSameRows(AllRows(data, "docs", "p1"), docs_p1);
  EXPECT_EQ(AllRows(data, "other").size(), other.size() + 1);

  // Corruption: one flipped byte in a data file is DataLoss naming it.
  const std::string victim = dir + "/data-0.jsonl.enc";
  ASSERT_TRUE(std::filesystem::exists(victim));
  std::string bytes = ReadAll(victim);
  bytes[bytes.size() / 2] ^= 0x01;
  std::ofstream(victim, std::ios::binary | std::ios::trunc) << bytes;
  ASSERT_OK_AND_ASSIGN(op, Restore(restore));
  EXPECT_EQ(op.error_code(), static_cast<int>(absl::StatusCode::kDataLoss));
  EXPECT_THAT(op.error_message(), HasSubstr(victim));
  ExpectSameRows(AllRows(data, "docs"), docs);  // untouched

  // Delete: the files go.
  v1::DeleteRequest drop;
  drop.set_name(backup);
  ASSERT_OK_AND_ASSIGN(
      op, Call(&v1::ControlPlane::Stub::DeleteBackup, drop, kAdminKey));
  ASSERT_OK_AND_ASSIGN(op, Wait(op.name()));
  EXPECT_EQ(op.error_code(), 0) << op.error_message();
  EXPECT_FALSE(std::filesystem::exists(dir));
  EXPECT_THAT(Call(&v1::ControlPlane::Stub::GetBackup, get, kAdminKey),
              StatusIs(absl::StatusCode::kNotFound));

  // Every mutation is audited.
  std::vector<std::string> actions;
  for (const v1::AuditEvent& e : Audit("organizations/acme")) {
    if (absl::StartsWith(e.action(), "backups."))
      actions.push_back(absl::StrCat(
          e.action(), ":", v1::AuditEvent::Outcome_Name(e.outcome())));
  }
  EXPECT_THAT(actions,
              ::testing::ElementsAre(
                  "backups.create:SUCCEEDED", "backups.create:SUCCEEDED",
                  "backups.restore:SUCCEEDED", "backups.restore:FAILED",
                  "backups.restore:FAILED", "backups.restore:SUCCEEDED",
                  "backups.restore:SUCCEEDED", "backups.delete:SUCCEEDED"));
}

TEST_F(BackupTest, CustomerKeyEncryptsRevokesAndRestores) {
  // Without the key in the environment's key store: refused.
  v1::CreateClusterRequest bad;
  bad.set_parent(project_);
  bad.set_cluster_id("nokey");
  bad.mutable_cluster()->set_environment(env_);
  bad.mutable_cluster()->set_encryption_key("keys/key1");
  EXPECT_THAT(
      Call(&v1::ControlPlane::Stub::CreateCluster, bad, kAdminKey),
      StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("keys/key1")));
  bad.mutable_cluster()->set_encryption_key("key1");
  EXPECT_THAT(
      Call(&v1::ControlPlane::Stub::CreateCluster, bad, kAdminKey),
      StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("keys/{name}")));

  PutKey("key1");
  const std::string name = project_ + "/clusters/vault";
  v1::Operation created = CreateRunning("vault", "keys/key1");
  EXPECT_EQ(created.cluster().encryption_key(), "keys/key1");
  EXPECT_FALSE(created.cluster().encryption_key_id().empty());
  const std::string password = created.cluster().admin_password();
  ASSERT_OK_AND_ASSIGN(Client data,
                       DataClient(created.cluster().endpoint(), password));
  MakeDocs(data);
  InsertDocs(data, 0, 20, "_default");
  ASSERT_OK(data.Flush("docs"));
  const std::vector<Row> docs = AllRows(data, "docs");
  ASSERT_EQ(docs.size(), 20u);

  // The data plane's files and the backup hold no plaintext value.
  const std::string data_dir = bucket_ + "/clusters/vault";
  EXPECT_THAT(FilesContaining(data_dir, kMarker), IsEmpty());
  ASSERT_OK_AND_ASSIGN(v1::Operation op, Backup(name, "sealed"));
  ASSERT_EQ(op.error_code(), 0) << op.error_message();
  EXPECT_TRUE(op.backup().encrypted());
  EXPECT_EQ(op.backup().encryption_key(), "keys/key1");
  EXPECT_THAT(FilesContaining(op.backup().location(), kMarker), IsEmpty());
  EXPECT_THAT(FilesContaining(op.backup().location(), "\"title\""), IsEmpty());
  // The control plane's state holds no key material (the scan does see the
  // state: the key's name is there).
  EXPECT_THAT(FilesContaining(state_.path() + "/state", "keys/key1"),
              Not(IsEmpty()));
  EXPECT_THAT(FilesContaining(state_.path() + "/state", kKeyHex), IsEmpty());
  EXPECT_THAT(FilesContaining(state_.path() + "/state", RawKey()), IsEmpty());

  // The encrypted backup restores into a new cluster (the key is read from
  // the environment).
  v1::RestoreBackupRequest restore;
  restore.set_name(name + "/backups/sealed");
  restore.set_parent(project_);
  restore.set_cluster_id("vault-copy");
  restore.mutable_cluster()->set_environment(env_);
  restore.mutable_cluster()->set_encryption_key("keys/key1");
  ASSERT_OK_AND_ASSIGN(op, Restore(restore));
  ASSERT_EQ(op.error_code(), 0) << op.error_message();
  ASSERT_OK_AND_ASSIGN(Client copy, DataClient(op.cluster().endpoint(),
                                               op.cluster().admin_password()));
  ExpectSameRows(AllRows(copy, "docs"), docs);

  // Revocation: the customer removes the key; on its next pass the
  // scheduler stops the cluster with a clear state and event.
  v1::SetClockRequest clock;
  ASSERT_THAT(Emu(&v1::Emulator::Stub::SetClock, clock), IsOk());
  const std::string key_file = bucket_ + "/.kms/key1.key";
  std::filesystem::rename(key_file, key_file + ".revoked");
  ASSERT_OK(AdvanceClock(absl::Seconds(1)));
  ASSERT_OK_AND_ASSIGN(v1::Cluster c, GetCluster(name));
  EXPECT_EQ(c.state(), v1::Cluster::SUSPENDED);
  EXPECT_THAT(c.state_message(), HasSubstr("customer key revoked"));
  EXPECT_THAT(c.endpoint(), Not(IsEmpty()));  // kept: the port is held
  auto events = Audit("organizations/acme", "action=clusters.keyRevoked");
  ASSERT_EQ(events.size(), 2u);  // both clusters use keys/key1
  EXPECT_EQ(events[0].actor(), "system");
  EXPECT_THAT(events[0].message(), HasSubstr("customer key revoked"));
  // The data plane refuses; resume and backups wait for the key.
  EXPECT_THAT(data.Get("docs", {Value(int64_t{1})}),
              StatusIs(absl::StatusCode::kUnavailable));
  EXPECT_THAT(
      ClusterAction(&v1::ControlPlane::Stub::ResumeCluster, name),
      StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("keys/key1")));
  restore.set_cluster_id("vault-copy2");
  EXPECT_THAT(
      Call(&v1::ControlPlane::Stub::RestoreBackup, restore, kAdminKey),
      StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("keys/key1")));
  // Another key under the same name is not the key.
  PutKey("key1", std::string(64, 'a'));
  EXPECT_THAT(
      ClusterAction(&v1::ControlPlane::Stub::ResumeCluster, name),
      StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("replaced")));

  // The key is back: ResumeCluster brings the data back.
  std::filesystem::rename(key_file + ".revoked", key_file);
  ASSERT_OK_AND_ASSIGN(
      op, ClusterAction(&v1::ControlPlane::Stub::ResumeCluster, name));
  ASSERT_OK(AdvanceClock(absl::Seconds(1)));
  ASSERT_OK_AND_ASSIGN(op, Wait(op.name()));
  ASSERT_EQ(op.error_code(), 0) << op.error_message();
  EXPECT_EQ(op.cluster().state(), v1::Cluster::RUNNING);
  EXPECT_THAT(op.cluster().state_message(), IsEmpty());
  ASSERT_OK_AND_ASSIGN(Client again,
                       DataClient(op.cluster().endpoint(), password));
  ExpectSameRows(AllRows(again, "docs"), docs);
  EXPECT_THAT(FilesContaining(state_.path() + "/state", kKeyHex), IsEmpty());
}

TEST_F(BackupTest, KeyRevokedWhileTheEmulatorWasDownSuspendsAtStart) {
  PutKey("key2");
  const std::string name = project_ + "/clusters/vault2";
  v1::Operation created = CreateRunning("vault2", "keys/key2");
  const std::string password = created.cluster().admin_password();
  ASSERT_OK_AND_ASSIGN(Client data,
                       DataClient(created.cluster().endpoint(), password));
  ASSERT_OK(data.CreateCollection("docs", 2));
  ASSERT_OK(data.Insert("docs", Rows(0, 4)).status());
  server_.reset();
  const std::string key_file = bucket_ + "/.kms/key2.key";
  std::filesystem::rename(key_file, key_file + ".off");
  Restart(options_);
  ASSERT_OK_AND_ASSIGN(v1::Cluster c, GetCluster(name));
  EXPECT_EQ(c.state(), v1::Cluster::SUSPENDED);
  EXPECT_THAT(c.state_message(), HasSubstr("customer key revoked"));
  EXPECT_EQ(Audit("organizations/acme", "action=clusters.keyRevoked").size(),
            1u);
  std::filesystem::rename(key_file + ".off", key_file);
  ASSERT_OK_AND_ASSIGN(
      v1::Operation op,
      ClusterAction(&v1::ControlPlane::Stub::ResumeCluster, name));
  ASSERT_OK_AND_ASSIGN(op, Wait(op.name()));
  ASSERT_EQ(op.error_code(), 0) << op.error_message();
  ASSERT_OK_AND_ASSIGN(Client again,
                       DataClient(op.cluster().endpoint(), password));
  ASSERT_OK_AND_ASSIGN(auto rows, again.Get("docs", {Value(int64_t{3})}));
  EXPECT_EQ(rows.size(), 1u);
}

TEST_F(BackupTest, PolicyCreatesAndPrunesOnTheManualClock) {
  const std::string name = project_ + "/clusters/sched";
  v1::Operation created = CreateRunning("sched");
  ASSERT_OK_AND_ASSIGN(Client data,
                       DataClient(created.cluster().endpoint(),
                                  created.cluster().admin_password()));
  ASSERT_OK(data.CreateCollection("docs", 2));
  ASSERT_OK(data.Insert("docs", Rows(0, 3)).status());

  v1::SetBackupPolicyRequest policy;
  policy.set_name(name);
  policy.mutable_policy()->set_enabled(true);
  policy.mutable_policy()->mutable_interval()->set_seconds(10);
  EXPECT_THAT(Call(&v1::ControlPlane::Stub::SetBackupPolicy, policy, kAdminKey),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("backup_policy.interval")));
  ASSERT_THAT(Emu(&v1::Emulator::Stub::SetClock, v1::SetClockRequest()),
              IsOk());
  policy.mutable_policy()->mutable_interval()->set_seconds(3600);
  policy.mutable_policy()->set_retention_count(2);
  ASSERT_OK_AND_ASSIGN(
      v1::Cluster c,
      Call(&v1::ControlPlane::Stub::SetBackupPolicy, policy, kAdminKey));
  EXPECT_TRUE(c.backup_policy().has_next_backup_time());

  // Not yet due.
  ASSERT_OK(AdvanceClock(absl::Minutes(59)));
  v1::ListBackupsRequest list;
  list.set_parent(name);
  ASSERT_OK_AND_ASSIGN(
      auto listed, Call(&v1::ControlPlane::Stub::ListBackups, list, kAdminKey));
  EXPECT_EQ(listed.backups_size(), 0);
  // Four intervals: four backups taken, the oldest two pruned.
  for (int i = 0; i < 4; ++i) {
    ASSERT_OK(AdvanceClock(absl::Minutes(i == 0 ? 1 : 60)));
    ASSERT_OK(data.Insert("docs", Rows(10 + i, 1)).status());
  }
  list.set_filter("scheduled=true");
  ASSERT_OK_AND_ASSIGN(
      listed, Call(&v1::ControlPlane::Stub::ListBackups, list, kAdminKey));
  ASSERT_EQ(listed.backups_size(), 2);
  for (const v1::Backup& b : listed.backups()) {
    EXPECT_EQ(b.state(), v1::Backup::READY);
    EXPECT_TRUE(b.scheduled());
  }
  // The newest holds the rows inserted before it.
  int64_t newest = 0;
  for (const v1::Backup& b : listed.backups())
    newest = std::max(newest, b.row_count());
  EXPECT_EQ(newest, 6);
  auto created_events = Audit("organizations/acme", "action=backups.create");
  auto deleted_events = Audit("organizations/acme", "action=backups.delete");
  ASSERT_EQ(created_events.size(), 4u);
  ASSERT_EQ(deleted_events.size(), 2u);
  EXPECT_EQ(created_events[0].actor(), "system");
  EXPECT_EQ(deleted_events[0].actor(), "system");
  v1::ListOperationsRequest ops;
  ops.set_parent("organizations/acme");
  ops.set_filter("verb=DeleteBackup");
  ASSERT_OK_AND_ASSIGN(
      auto deletes,
      Call(&v1::ControlPlane::Stub::ListOperations, ops, kAdminKey));
  EXPECT_EQ(deletes.operations_size(), 2);

  // Disabled: no more backups.
  policy.mutable_policy()->set_enabled(false);
  ASSERT_THAT(Call(&v1::ControlPlane::Stub::SetBackupPolicy, policy, kAdminKey),
              IsOk());
  ASSERT_OK(AdvanceClock(absl::Hours(3)));
  EXPECT_EQ(Audit("organizations/acme", "action=backups.create").size(), 4u);
}

TEST_F(BackupTest, ReadOnlyKeyCanListButNotBackUpAndIsAudited) {
  const std::string name = project_ + "/clusters/ro1";
  CreateRunning("ro1");
  ASSERT_OK_AND_ASSIGN(v1::Operation op, Backup(name, "bk1"));
  ASSERT_EQ(op.error_code(), 0) << op.error_message();
  ASSERT_OK_AND_ASSIGN(v1::ApiKey key,
                       MakeKey("acme", "roles/project.read_only", project_));
  v1::ListBackupsRequest list;
  list.set_parent(name);
  ASSERT_OK_AND_ASSIGN(auto listed, Call(&v1::ControlPlane::Stub::ListBackups,
                                         list, key.secret()));
  EXPECT_EQ(listed.backups_size(), 1);
  v1::CreateBackupRequest req;
  req.set_parent(name);
  EXPECT_THAT(Call(&v1::ControlPlane::Stub::CreateBackup, req, key.secret()),
              StatusIs(absl::StatusCode::kPermissionDenied,
                       HasSubstr("backups.create")));
  v1::DeleteRequest drop;
  drop.set_name(name + "/backups/bk1");
  EXPECT_THAT(Call(&v1::ControlPlane::Stub::DeleteBackup, drop, key.secret()),
              StatusIs(absl::StatusCode::kPermissionDenied));
  v1::RestoreBackupRequest restore;
  restore.set_name(name + "/backups/bk1");
  restore.set_target_cluster(name);
  EXPECT_THAT(
      Call(&v1::ControlPlane::Stub::RestoreBackup, restore, key.secret()),
      StatusIs(absl::StatusCode::kPermissionDenied));
  auto denied = Audit("organizations/acme", "outcome=DENIED");
  EXPECT_EQ(denied.size(), 3u);
  // Bad input names the field.
  req.set_backup_id("Bad_Id");
  EXPECT_THAT(
      Call(&v1::ControlPlane::Stub::CreateBackup, req, kAdminKey),
      StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("backup_id")));
  req.set_backup_id("");
  req.mutable_backup()->add_collections("a.b.c");
  EXPECT_THAT(Call(&v1::ControlPlane::Stub::CreateBackup, req, kAdminKey),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("backup.collections")));
  req.mutable_backup()->clear_collections();
  req.mutable_backup()->add_collections("nope");
  ASSERT_OK_AND_ASSIGN(
      op, Call(&v1::ControlPlane::Stub::CreateBackup, req, kAdminKey));
  ASSERT_OK_AND_ASSIGN(op, Wait(op.name()));
  EXPECT_EQ(op.error_code(), static_cast<int>(absl::StatusCode::kNotFound));
  EXPECT_EQ(op.backup().state(), v1::Backup::FAILED);
}

// Issue 13, item 2: a second organization created a READY environment on
// the bucket of another tenant, and "backups delete" of its own backup (same
// cluster id and backup id) removed the other tenant's backup files. Now a
// bucket belongs to one environment: equal, inside or containing another
// environment's bucket (of any organization, through symbolic links too) is
// refused without naming the other tenant.
TEST_F(BackupTest, AnotherTenantCannotClaimTheBucketOfAnEnvironment) {
  const std::string name = project_ + "/clusters/shared";
  v1::Operation created = CreateRunning("shared");
  ASSERT_OK_AND_ASSIGN(Client data,
                       DataClient(created.cluster().endpoint(),
                                  created.cluster().admin_password()));
  ASSERT_OK(data.CreateCollection("docs", 2));
  ASSERT_OK(data.Insert("docs", Rows(0, 7)).status());
  ASSERT_OK_AND_ASSIGN(v1::Operation op, Backup(name, "nightly"));
  ASSERT_EQ(op.error_code(), 0) << op.error_message();

  ASSERT_OK_AND_ASSIGN(v1::Organization evil, MakeOrg("evil"));
  ASSERT_THAT(MakeProject("evil", "web"), IsOk());
  const std::string project2 = "organizations/evil/projects/web";
  const std::string link = state_.path() + "/link-to-bucket";
  std::filesystem::create_directory_symlink(bucket_, link);
  const std::string parent =
      std::filesystem::path(bucket_).parent_path().string();
  for (const std::string& bucket :
       {bucket_, bucket_ + "/", bucket_ + "/backups", bucket_ + "/x/y", parent,
        bucket_ + "/../env1", link, link + "/clusters",
        state_.path() + "/state/buckets"}) {
    SCOPED_TRACE(bucket);
    v1::CreateEnvironmentRequest req =
        EnvRequest(project2, "stolen", evil.external_id());
    req.mutable_environment()->set_bucket(bucket);
    auto env = Call(&v1::ControlPlane::Stub::CreateEnvironment, req, kAdminKey);
    ASSERT_THAT(env, StatusIs(absl::StatusCode::kFailedPrecondition,
                              HasSubstr("environment.bucket")));
    EXPECT_THAT(std::string(env.status().message()),
                Not(HasSubstr("organizations/")));
  }
  // A neighbour whose name only starts like the bucket is its own bucket.
  v1::CreateEnvironmentRequest req =
      EnvRequest(project2, "own", evil.external_id());
  req.mutable_environment()->set_bucket(bucket_ + "-2");
  ASSERT_OK_AND_ASSIGN(
      v1::Environment own,
      Call(&v1::ControlPlane::Stub::CreateEnvironment, req, kAdminKey));
  EXPECT_EQ(own.state(), v1::Environment::READY) << own.state_message();
  // The same holds within an organization.
  req = EnvRequest(project_, "env2", "checked-after-the-bucket");
  req.mutable_environment()->set_bucket(bucket_ + "/clusters");
  EXPECT_THAT(Call(&v1::ControlPlane::Stub::CreateEnvironment, req, kAdminKey),
              StatusIs(absl::StatusCode::kFailedPrecondition));

  // The first tenant's backup is intact and restores.
  v1::RestoreBackupRequest restore;
  restore.set_name(name + "/backups/nightly");
  restore.set_parent(project_);
  restore.set_cluster_id("shared-copy");
  restore.mutable_cluster()->set_environment(env_);
  ASSERT_OK_AND_ASSIGN(op, Restore(restore));
  ASSERT_EQ(op.error_code(), 0) << op.error_message();
  ASSERT_OK_AND_ASSIGN(Client copy, DataClient(op.cluster().endpoint(),
                                               op.cluster().admin_password()));
  EXPECT_EQ(AllRows(copy, "docs").size(), 7u);
}

// DeleteBackup removes only the files listed in the backup's own manifest:
// a backup that could not be written because its directory was taken (the
// tenant-collision case of item 2) does not delete what is there.
TEST_F(BackupTest, DeleteRemovesOnlyTheFilesOfItsOwnManifest) {
  const std::string name = project_ + "/clusters/cl1";
  v1::Operation created = CreateRunning("cl1");
  ASSERT_OK_AND_ASSIGN(Client data,
                       DataClient(created.cluster().endpoint(),
                                  created.cluster().admin_password()));
  ASSERT_OK(data.CreateCollection("docs", 2));
  ASSERT_OK(data.Insert("docs", Rows(0, 3)).status());
  // Someone else's files where backup "taken" would go, with a manifest of
  // another backup.
  const std::string taken = bucket_ + "/backups/cl1/taken";
  std::filesystem::create_directories(taken);
  std::ofstream(taken + "/precious.txt") << "not yours";
  std::ofstream(taken + "/manifest.json")
      << R"({"format":"cove-backup/1","owner":"organizations/x/projects/y/)"
         R"(clusters/cl1/backups/taken","complete":true,"encrypted":true,)"
         R"("files":[{"name":"precious.txt","bytes":9,"sha256":""}]})";
  ASSERT_OK_AND_ASSIGN(v1::Operation op, Backup(name, "taken"));
  EXPECT_EQ(op.error_code(), static_cast<int>(absl::StatusCode::kAlreadyExists))
      << op.error_message();
  EXPECT_EQ(op.backup().state(), v1::Backup::FAILED);
  v1::DeleteRequest drop;
  drop.set_name(name + "/backups/taken");
  ASSERT_OK_AND_ASSIGN(
      op, Call(&v1::ControlPlane::Stub::DeleteBackup, drop, kAdminKey));
  ASSERT_OK_AND_ASSIGN(op, Wait(op.name()));
  EXPECT_EQ(op.error_code(), 0) << op.error_message();
  EXPECT_EQ(ReadAll(taken + "/precious.txt"), "not yours");
  EXPECT_TRUE(std::filesystem::exists(taken + "/manifest.json"));
  // Without a manifest at all, nothing either.
  std::filesystem::remove(taken + "/manifest.json");
  ASSERT_OK_AND_ASSIGN(op, Backup(name, "taken"));
  EXPECT_EQ(op.backup().state(), v1::Backup::FAILED);
  ASSERT_OK_AND_ASSIGN(
      op, Call(&v1::ControlPlane::Stub::DeleteBackup, drop, kAdminKey));
  ASSERT_OK_AND_ASSIGN(op, Wait(op.name()));
  EXPECT_EQ(ReadAll(taken + "/precious.txt"), "not yours");

  // A file put into a READY backup's directory stays when it is deleted
  // (with the directory); the backup's own files go.
  ASSERT_OK_AND_ASSIGN(op, Backup(name, "mine"));
  ASSERT_EQ(op.error_code(), 0) << op.error_message();
  const std::string mine = op.backup().location();
  std::ofstream(mine + "/notes.txt") << "keep";
  drop.set_name(name + "/backups/mine");
  ASSERT_OK_AND_ASSIGN(
      op, Call(&v1::ControlPlane::Stub::DeleteBackup, drop, kAdminKey));
  ASSERT_OK_AND_ASSIGN(op, Wait(op.name()));
  EXPECT_EQ(op.error_code(), 0) << op.error_message();
  std::vector<std::string> left;
  for (const auto& e : std::filesystem::directory_iterator(mine))
    left.push_back(e.path().filename().string());
  EXPECT_THAT(left, ::testing::ElementsAre("notes.txt"));
  // A backup directory that only held its own files is gone.
  ASSERT_OK_AND_ASSIGN(op, Backup(name, "clean"));
  const std::string clean = op.backup().location();
  drop.set_name(name + "/backups/clean");
  ASSERT_OK_AND_ASSIGN(
      op, Call(&v1::ControlPlane::Stub::DeleteBackup, drop, kAdminKey));
  ASSERT_OK_AND_ASSIGN(op, Wait(op.name()));
  EXPECT_FALSE(std::filesystem::exists(clean));
}

}  // namespace
}  // namespace cove::cloud::testing
