// Backups through the control plane, as a user program: create a cluster and
// fill it through the data plane, back it up, list and read the backup,
// restore it into a new cluster and check every restored row against the
// original, set a backup policy, then delete the backup.
//
//   backups --endpoint http://127.0.0.1:PORT --api-key KEY
//           [--ca-file CA.pem] [--bucket DIR] [--org ID]
//
// The endpoint and key may also come from COVE_CLOUD_ENDPOINT and
// COVE_API_KEY. Run it against cove-cloud (see docs/cloud-emulator.md);
// docs/control-plane.md#backups describes the backups it makes.

#include <chrono>
#include <filesystem>
#include <iostream>
#include <map>
#include <string>
#include <vector>

#include "cove/cove.h"
#include "example_support.h"

namespace {

using example::Check;
using example::DataClient;
using example::Expect;
using example::Must;
using example::Step;
using example::Time;

std::string StateName(cove::control::BackupState s) {
  switch (s) {
    case cove::control::BackupState::kCreating:
      return "CREATING";
    case cove::control::BackupState::kReady:
      return "READY";
    case cove::control::BackupState::kFailed:
      return "FAILED";
    case cove::control::BackupState::kDeleting:
      return "DELETING";
    default:
      return "STATE_UNSPECIFIED";
  }
}

void Show(const cove::control::Backup& b) {
  std::cout << "    " << b.name << ": " << StateName(b.state) << ", "
            << b.row_count << " rows, " << b.size_bytes << " bytes, "
            << (b.encrypted ? "encrypted" : "not encrypted") << ", created "
            << Time(b.create_time) << "\n    collections:";
  for (const std::string& c : b.collections) std::cout << " " << c;
  std::cout << "\n    files: " << b.location << std::endl;
}

std::string RowJson(const cove::Row& row) {
  std::string out = "{";
  for (const auto& [field, value] : row) {
    if (out.size() > 1) out += ", ";
    out += field + ": " + value.ToJson();
  }
  return out + "}";
}

// Every row of collection "docs" with all its fields, by primary key.
absl::StatusOr<std::map<int64_t, cove::Row>> AllRows(cove::Client& client) {
  cove::QueryRequest query;
  query.collection_name = "docs";
  query.filter = "id >= 0";
  query.output_fields = {"*"};
  auto rows = client.Query(query);
  if (!rows.ok()) return rows.status();
  std::map<int64_t, cove::Row> by_id;
  for (cove::Row& row : *rows) {
    const int64_t id = row.at("id").AsInt();
    by_id.emplace(id, std::move(row));
  }
  return by_id;
}

}  // namespace

int main(int argc, char** argv) {
  const example::Args args = example::ParseArgs(argc, argv, "backups");
  const std::string& bucket = args.bucket;
  cove::ControlClient cc =
      Must(cove::ControlClient::Connect(args.options), "connect");

  Step("organization, project and cross-account environment");
  const example::Landing landing =
      example::CreateCrossAccountLanding(cc, args, "search");
  const cove::control::Project& project = landing.project;
  const cove::control::Environment& env = landing.env;

  Step("create cluster 'orders'");
  cove::control::CreateClusterRequest cluster_req;
  cluster_req.parent = project.name;
  cluster_req.cluster_id = "orders";
  cluster_req.cluster.environment = env.name;
  cluster_req.cluster.cu_size = 1;
  cove::control::Cluster cluster =
      Must(cc.CreateCluster(cluster_req), "create cluster");
  std::cout << "    " << cluster.name << ": "
            << cove::control::ToString(cluster.state) << ", endpoint "
            << cluster.endpoint << std::endl;

  Step("insert 200 rows through the data plane");
  constexpr int kRows = 200;
  std::map<int64_t, cove::Row> original;
  {
    cove::Client data =
        Must(DataClient(cluster, cluster.admin_password), "data client");
    Check(data.CreateCollection("docs", 4), "create collection");
    std::vector<cove::Row> rows;
    for (int i = 0; i < kRows; ++i) {
      const float x = static_cast<float>(i);
      rows.push_back(cove::Row{
          {"id", cove::Value(int64_t{i})},
          {"vector", cove::Value::FloatVector({x, x / 2, 1, -x})},
          // Dynamic fields: a string and a JSON object.
          {"title", cove::Value("document " + std::to_string(i))},
          {"meta", cove::Value::MakeObject(
                       {{"shard", cove::Value(int64_t{i % 4})},
                        {"tags", cove::Value::MakeArray({"a", "b"})}})}});
    }
    const cove::MutationResult inserted =
        Must(data.Insert("docs", rows), "insert");
    std::cout << "    inserted " << inserted.count << " rows" << std::endl;
    original = Must(AllRows(data), "read the rows back");
    Expect(original.size() == kRows, "the cluster holds the 200 rows");
  }

  Step("back it up (an operation) and wait");
  cove::control::CreateBackupRequest backup_req;
  backup_req.parent = cluster.name;
  backup_req.backup_id = "before-migration";
  cove::ControlOperation op =
      Must(cc.StartCreateBackup(backup_req), "start backup");
  std::cout << "    operation " << op.name() << " (" << op.operation().verb
            << ")" << std::endl;
  Check(op.Wait(std::chrono::minutes(2)), "wait for the backup");
  cove::control::Backup backup = Must(op.backup(), "backup of the operation");
  Show(backup);
  Expect(backup.state == cove::control::BackupState::kReady,
         "the backup is READY");
  Expect(backup.row_count == kRows, "the backup holds 200 rows");

  Step("list the cluster's backups, and get one");
  cove::control::ListRequest list;
  list.parent = cluster.name;
  auto backups = cc.ListAllBackups(list);
  int listed = 0;
  for (const cove::control::Backup& b : backups) {
    std::cout << "    " << b.name << " " << StateName(b.state) << std::endl;
    ++listed;
  }
  Check(backups.status(), "list backups");
  Expect(listed == 1, "one backup listed");
  cove::control::Backup got = Must(cc.GetBackup(backup.name), "get backup");
  Expect(got.size_bytes == backup.size_bytes && got.etag == backup.etag,
         "GetBackup returns the backup the operation made");

  Step("restore it into a new cluster 'orders-copy'");
  cove::control::RestoreBackupRequest restore;
  restore.name = backup.name;
  restore.parent = project.name;
  restore.cluster_id = "orders-copy";
  restore.cluster.environment = env.name;
  restore.cluster.cu_size = 1;
  cove::ControlOperation restore_op =
      Must(cc.StartRestoreBackup(restore), "start restore");
  std::cout << "    operation " << restore_op.name() << std::endl;
  Check(restore_op.Wait(std::chrono::minutes(2)), "wait for the restore");
  cove::control::Cluster copy =
      Must(restore_op.cluster(), "cluster of the restore");
  std::cout << "    " << copy.name << ": "
            << cove::control::ToString(copy.state) << ", endpoint "
            << copy.endpoint << std::endl;

  Step("compare the restored rows with the originals, row by row");
  {
    cove::Client data =
        Must(DataClient(copy, copy.admin_password), "data client (copy)");
    std::map<int64_t, cove::Row> restored =
        Must(AllRows(data), "read the restored rows");
    Expect(restored.size() == original.size(),
           "as many rows restored (" + std::to_string(restored.size()) +
               ") as backed up (" + std::to_string(original.size()) + ")");
    for (const auto& [id, row] : original) {
      auto it = restored.find(id);
      Expect(it != restored.end(), "row " + std::to_string(id) + " restored");
      Expect(it->second == row,
             "row " + std::to_string(id) + " restored unchanged (original " +
                 RowJson(row) + ", restored " + RowJson(it->second) + ")");
    }
    const cove::Row& sample = restored.at(7);
    std::cout << "    " << restored.size()
              << " rows equal; row 7: title=" << sample.at("title").ToJson()
              << " meta=" << sample.at("meta").ToJson() << std::endl;
  }

  Step("a backup policy: every 6 hours, keep the newest 7");
  cove::control::SetBackupPolicyRequest policy;
  policy.name = cluster.name;
  policy.policy.enabled = true;
  policy.policy.interval = std::chrono::hours(6);
  policy.policy.retention_count = 7;
  cove::control::Cluster with_policy =
      Must(cc.SetBackupPolicy(policy), "set backup policy");
  const cove::control::BackupPolicy& p = with_policy.backup_policy;
  std::cout
      << "    enabled " << std::boolalpha << p.enabled << ", every "
      << std::chrono::duration_cast<std::chrono::hours>(p.interval).count()
      << " h, keep " << p.retention_count << ", next backup at "
      << Time(p.next_backup_time) << std::endl;
  Expect(p.enabled && p.interval == std::chrono::hours(6) &&
             cove::control::IsSet(p.next_backup_time),
         "the policy is set");

  Step("delete the backup");
  cove::control::DeleteRequest del;
  del.name = backup.name;
  Check(cc.DeleteBackup(del), "delete backup");
  absl::Status gone = cc.GetBackup(backup.name).status();
  std::cout << "    get after delete: " << gone << std::endl;
  Expect(absl::IsNotFound(gone), "the deleted backup is NOT_FOUND");
  Expect(
      !std::filesystem::exists(std::filesystem::path(bucket) / backup.location),
      "the backup's files are gone from the bucket");

  std::error_code ec;
  std::filesystem::remove_all(bucket, ec);
  std::cout << "done" << std::endl;
  return 0;
}
