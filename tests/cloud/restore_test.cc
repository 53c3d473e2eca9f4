// RestoreBackup: the permission matrix of docs/control-plane.md (every cell,
// built-in and custom roles, and across projects), and what a failed or
// cancelled restore into a new cluster leaves behind (never a RUNNING,
// empty cluster).
#include <filesystem>
#include <fstream>
#include <sstream>

#include "absl/strings/match.h"
#include "cloud/cloud_fixture.h"
#include "gmock/gmock.h"
#include "server/metrics_http.h"
#include "server/prometheus.h"

namespace cove::cloud::testing {
namespace {

using ::cove::testing::IsOk;
using ::cove::testing::StatusIs;
using ::testing::HasSubstr;

constexpr char kRestoreOrg[] = "organizations/acme";
constexpr char kRestoreP1[] = "organizations/acme/projects/pone";
constexpr char kRestoreP2[] = "organizations/acme/projects/ptwo";

// The three kinds of restore, the columns of the matrix.
enum class Cell { kNew, kExisting, kOverwrite };

const char* CellName(Cell c) {
  switch (c) {
    case Cell::kNew:
      return "into a new cluster";
    case Cell::kExisting:
      return "into an existing cluster";
    case Cell::kOverwrite:
      return "into an existing cluster with overwrite";
  }
  return "";
}

class RestoreTest : public CloudFixture {
 protected:
  void SetUp() override {
    CloudFixture::SetUp();
    ASSERT_OK_AND_ASSIGN(org_, MakeOrg("acme", "owner@example.com"));
    ASSERT_THAT(MakeProject("acme", "pone"), IsOk());
    ASSERT_THAT(MakeProject("acme", "ptwo"), IsOk());
    ASSERT_THAT(MakeEnv(kRestoreP1, "env1", org_.external_id()), IsOk());
    ASSERT_THAT(MakeEnv(kRestoreP2, "env2", org_.external_id()), IsOk());
    v1::UpdateSettingsRequest settings;
    (*settings.mutable_vectors_per_cu())["performance"] = 100000;
    ASSERT_THAT(Emu(&v1::Emulator::Stub::UpdateSettings, settings), IsOk());
  }

  std::string Env(const std::string& project) {
    return project + (project == kRestoreP1 ? "/environments/env1"
                                            : "/environments/env2");
  }

  // A RUNNING cluster; its root client in `data` when given.
  v1::Operation Running(const std::string& project, const std::string& id) {
    auto op = StartCluster(project, Env(project), id);
    EXPECT_THAT(op, IsOk());
    if (!op.ok()) return {};
    auto done = Wait(op->name());
    EXPECT_THAT(done, IsOk());
    if (!done.ok()) return {};
    EXPECT_EQ(done->error_code(), 0) << done->error_message();
    return *done;
  }

  // A cluster with collection "docs" (`rows` rows) and its READY backup.
  std::string SourceWithBackup(const std::string& project,
                               const std::string& id, int rows) {
    v1::Operation c = Running(project, id);
    auto data =
        DataClient(c.cluster().endpoint(), c.cluster().admin_password());
    EXPECT_THAT(data, IsOk());
    if (!data.ok()) return "";
    EXPECT_OK(data->CreateCollection("docs", 2));
    EXPECT_OK(data->Insert("docs", Rows(0, rows)).status());
    v1::CreateBackupRequest req;
    req.set_parent(c.cluster().name());
    req.set_backup_id("bkp");
    auto op = Call(&v1::ControlPlane::Stub::CreateBackup, req, kAdminKey);
    EXPECT_THAT(op, IsOk());
    if (!op.ok()) return "";
    auto done = Wait(op->name());
    EXPECT_THAT(done, IsOk());
    EXPECT_EQ(done->error_code(), 0) << done->error_message();
    return c.cluster().name() + "/backups/bkp";
  }

  v1::RestoreBackupRequest Request(const std::string& backup, Cell cell,
                                   const std::string& target) {
    v1::RestoreBackupRequest req;
    req.set_name(backup);
    if (cell == Cell::kNew) {
      // target: "project|cluster id"
      const size_t bar = target.find('|');
      req.set_parent(target.substr(0, bar));
      req.set_cluster_id(target.substr(bar + 1));
      req.mutable_cluster()->set_environment(Env(req.parent()));
    } else {
      req.set_target_cluster(target);
      req.add_collections("docs");
      req.set_overwrite(cell == Cell::kOverwrite);
    }
    return req;
  }

  // A custom role of the organization with one ALLOW statement per entry
  // (action, resource pattern or "" for the whole scope) and DENY ones.
  std::string Role(
      const std::string& id,
      const std::vector<std::pair<std::string, std::string>>& allow,
      const std::vector<std::pair<std::string, std::string>>& deny = {}) {
    v1::CreateRoleRequest req;
    req.set_parent(kRestoreOrg);
    req.set_role_id(id);
    req.mutable_role()->set_level(v1::Role::PROJECT);
    auto add = [&](v1::Statement::Effect effect, const std::string& action,
                   const std::string& resource) {
      v1::Statement* st = req.mutable_role()->add_statements();
      st->set_effect(effect);
      st->add_actions(action);
      if (!resource.empty()) st->add_resources(resource);
    };
    for (const auto& [a, r] : allow) add(v1::Statement::ALLOW, a, r);
    for (const auto& [a, r] : deny) add(v1::Statement::DENY, a, r);
    auto role = Call(&v1::ControlPlane::Stub::CreateRole, req, kAdminKey);
    EXPECT_THAT(role, IsOk());
    return role.ok() ? role->name() : "";
  }

  v1::Organization org_;
};

// Every cell of the matrix for built-in and custom roles: a restore
// succeeds exactly when the caller holds backups.restore on the backup and
// clusters.create on the new cluster's project (new), or backups.restore on
// the target cluster (existing) and clusters.delete on it too (overwrite);
// otherwise PERMISSION_DENIED names the first action missing, and nothing
// is created or changed.
TEST_F(RestoreTest, PermissionMatrixEveryCell) {
  const std::string backup = SourceWithBackup(kRestoreP1, "src", 6);
  ASSERT_FALSE(backup.empty());
  const std::string src = std::string(kRestoreP1) + "/clusters/src";
  v1::Operation target = Running(kRestoreP1, "tgt");
  const std::string tgt = target.cluster().name();
  ASSERT_OK_AND_ASSIGN(Client tgt_data,
                       DataClient(target.cluster().endpoint(),
                                  target.cluster().admin_password()));

  struct Principal {
    std::string what;
    std::string role;
    std::string scope;
    // The action PERMISSION_DENIED names per cell; "" = allowed.
    std::string missing[3];
  };
  const std::string rw = "backups.restore";
  std::vector<Principal> principals = {
      {"owner", "roles/organization.owner", kRestoreOrg, {"", "", ""}},
      {"billing admin",
       "roles/organization.billing_admin",
       kRestoreOrg,
       {rw, rw, rw}},
      {"member", "roles/organization.member", kRestoreOrg, {rw, rw, rw}},
      {"project admin", "roles/project.admin", kRestoreP1, {"", "", ""}},
      // The issue: read_write restored other clusters' backups.
      {"project read_write",
       "roles/project.read_write",
       kRestoreP1,
       {rw, rw, rw}},
      {"project read_only",
       "roles/project.read_only",
       kRestoreP1,
       {rw, rw, rw}},
      {"may restore src's backups into new clusters",
       Role("restore-new",
            {{"backups.restore", "projects/pone/clusters/src/**"},
             {"clusters.create", ""},
             {"operations.get", ""}}),
       kRestoreOrg,
       {"", rw, rw}},
      {"may restore into existing clusters, not create",
       Role("restore-into", {{"backups.restore", ""}, {"operations.get", ""}}),
       kRestoreOrg,
       {"clusters.create", "", "clusters.delete"}},
      {"may also overwrite",
       Role("restore-over", {{"backups.restore", ""},
                             {"clusters.delete", ""},
                             {"operations.get", ""}}),
       kRestoreOrg,
       {"clusters.create", "", ""}},
      {"everything on the target, nothing on the source",
       Role("target-only", {{"backups.restore", "projects/pone/clusters/tgt"},
                            {"clusters.create", ""},
                            {"clusters.delete", ""}}),
       kRestoreOrg,
       {rw, rw, rw}},
      {"everything but DENY backups.restore on the source",
       Role("deny-source", {{"*", ""}},
            {{"backups.restore", "projects/pone/clusters/src/**"}}),
       kRestoreOrg,
       {rw, rw, rw}},
      {"everything but DENY clusters.delete on the target",
       Role("deny-delete", {{"*", ""}},
            {{"clusters.delete", "projects/pone/clusters/tgt"}}),
       kRestoreOrg,
       {"", "", "clusters.delete"}},
  };
  int fresh = 0;
  for (const Principal& p : principals) {
    ASSERT_OK_AND_ASSIGN(v1::ApiKey key, MakeKey("acme", p.role, p.scope));
    for (Cell cell : {Cell::kNew, Cell::kExisting, Cell::kOverwrite}) {
      SCOPED_TRACE(absl::StrCat(p.what, ", ", CellName(cell)));
      const std::string missing = p.missing[static_cast<int>(cell)];
      const std::string id = absl::StrCat("copy-", ++fresh);
      // Existing cells: "docs" absent (plain) or present (overwrite).
      ASSERT_OK_AND_ASSIGN(bool has, tgt_data.HasCollection("docs"));
      if (has) ASSERT_OK(tgt_data.DropCollection("docs"));
      if (cell == Cell::kOverwrite) {
        ASSERT_OK(tgt_data.CreateCollection("docs", 2));
        ASSERT_OK(tgt_data.Insert("docs", Rows(100, 1)).status());
      }
      v1::RestoreBackupRequest req =
          Request(backup, cell,
                  cell == Cell::kNew ? absl::StrCat(kRestoreP1, "|", id) : tgt);
      auto op = Call(&v1::ControlPlane::Stub::RestoreBackup, req, key.secret());
      if (!missing.empty()) {
        EXPECT_THAT(op, StatusIs(absl::StatusCode::kPermissionDenied,
                                 HasSubstr(missing)));
        // Nothing happened.
        EXPECT_THAT(GetCluster(absl::StrCat(kRestoreP1, "/clusters/", id)),
                    StatusIs(absl::StatusCode::kNotFound));
        if (cell != Cell::kNew) {
          QueryRequest count;
          count.collection_name = "docs";
          count.output_fields = {"count(*)"};
          auto rows = tgt_data.Query(count);
          if (cell == Cell::kOverwrite) {
            ASSERT_THAT(rows, IsOk());
            EXPECT_EQ(rows->at(0).at("count(*)"), Value(int64_t{1}));
          }
        }
        continue;
      }
      ASSERT_THAT(op, IsOk());
      ASSERT_OK_AND_ASSIGN(v1::Operation done, Wait(op->name()));
      ASSERT_EQ(done.error_code(), 0) << done.error_message();
      if (cell == Cell::kNew) {
        EXPECT_EQ(done.cluster().state(), v1::Cluster::RUNNING);
        // The creator sees the new cluster's password once it is done.
        ASSERT_OK_AND_ASSIGN(v1::Operation mine,
                             Wait(op->name(), key.secret()));
        ASSERT_FALSE(mine.cluster().admin_password().empty());
        ASSERT_OK_AND_ASSIGN(Client copy,
                             DataClient(mine.cluster().endpoint(),
                                        mine.cluster().admin_password()));
        ASSERT_OK_AND_ASSIGN(auto rows, copy.Get("docs", {Value(int64_t{5})}));
        EXPECT_EQ(rows.size(), 1u);
      } else {
        ASSERT_OK_AND_ASSIGN(auto rows,
                             tgt_data.Get("docs", {Value(int64_t{5})}));
        EXPECT_EQ(rows.size(), 1u);
        ASSERT_OK_AND_ASSIGN(rows, tgt_data.Get("docs", {Value(int64_t{100})}));
        EXPECT_TRUE(rows.empty());
      }
    }
  }
  // Every denial is audited as such, with the restore's action.
  int denied = 0;
  for (const v1::AuditEvent& e : Audit(kRestoreOrg, "outcome=DENIED")) {
    EXPECT_EQ(e.message().find("permission denied"), 0u) << e.message();
    ++denied;
  }
  int expected = 0;
  for (const Principal& p : principals)
    for (const std::string& m : p.missing) expected += !m.empty();
  EXPECT_EQ(denied, expected);
  (void)src;
}

// "Another cluster's backup": a key that is admin of project p2 but only
// reads p1 cannot restore p1's backup into p2 (it would read p1's rows and
// get the new cluster's root password), neither into a new cluster nor over
// one of its own; p2's own backup it may restore.
TEST_F(RestoreTest, AdminOfOneProjectCannotRestoreAnotherProjectsBackup) {
  const std::string foreign = SourceWithBackup(kRestoreP1, "secret", 3);
  const std::string own = SourceWithBackup(kRestoreP2, "mine", 4);
  v1::Operation target = Running(kRestoreP2, "mine-tgt");
  ASSERT_OK_AND_ASSIGN(v1::ApiKey key,
                       MakeKey("acme", "roles/project.read_only", kRestoreOrg));
  v1::CreateRoleBindingRequest bind;
  bind.set_parent(kRestoreOrg);
  bind.mutable_role_binding()->set_role("roles/project.admin");
  bind.mutable_role_binding()->set_principal(key.name());
  bind.mutable_role_binding()->set_scope(kRestoreP2);
  ASSERT_THAT(Call(&v1::ControlPlane::Stub::CreateRoleBinding, bind, kAdminKey),
              IsOk());
  for (Cell cell : {Cell::kNew, Cell::kExisting, Cell::kOverwrite}) {
    SCOPED_TRACE(CellName(cell));
    auto req = Request(foreign, cell,
                       cell == Cell::kNew ? absl::StrCat(kRestoreP2, "|stolen")
                                          : target.cluster().name());
    EXPECT_THAT(Call(&v1::ControlPlane::Stub::RestoreBackup, req, key.secret()),
                StatusIs(absl::StatusCode::kPermissionDenied,
                         HasSubstr("backups.restore")));
  }
  EXPECT_THAT(GetCluster(absl::StrCat(kRestoreP2, "/clusters/stolen")),
              StatusIs(absl::StatusCode::kNotFound));
  // Its own project's backup restores; into p1 it may not create.
  auto req = Request(own, Cell::kNew, absl::StrCat(kRestoreP2, "|restored"));
  ASSERT_OK_AND_ASSIGN(
      v1::Operation op,
      Call(&v1::ControlPlane::Stub::RestoreBackup, req, key.secret()));
  ASSERT_OK_AND_ASSIGN(op, Wait(op.name(), key.secret()));
  EXPECT_EQ(op.error_code(), 0) << op.error_message();
  EXPECT_FALSE(op.cluster().admin_password().empty());
  req = Request(own, Cell::kNew, absl::StrCat(kRestoreP1, "|elsewhere"));
  req.mutable_cluster()->set_environment(Env(kRestoreP1));
  EXPECT_THAT(Call(&v1::ControlPlane::Stub::RestoreBackup, req, key.secret()),
              StatusIs(absl::StatusCode::kPermissionDenied,
                       HasSubstr("clusters.create")));
}

std::string ReadAll(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

void FlipByte(const std::string& path) {
  std::string bytes = ReadAll(path);
  bytes[bytes.size() / 2] ^= 0x01;
  std::ofstream(path, std::ios::binary | std::ios::trunc) << bytes;
}

// Issue 13, item 13: a restore into a new cluster that fails leaves the
// cluster FAILED with the reason (data plane stopped), or no cluster at
// all; never a RUNNING, empty cluster.
TEST_F(RestoreTest, FailedRestoreIntoANewClusterLeavesItFailedOrAbsent) {
  const std::string backup = SourceWithBackup(kRestoreP1, "src", 5);
  ASSERT_OK_AND_ASSIGN(v1::Backup b, Call(
                                         &v1::ControlPlane::Stub::GetBackup,
                                         [&] {
                                           v1::GetRequest g;
                                           g.set_name(backup);
                                           return g;
                                         }(),
                                         kAdminKey));
  const std::string data_file = b.location() + "/data-0.jsonl.enc";
  ASSERT_TRUE(std::filesystem::exists(data_file));

  // Damaged before the call: DATA_LOSS at once, no cluster.
  FlipByte(data_file);
  auto req = Request(backup, Cell::kNew, absl::StrCat(kRestoreP1, "|early"));
  EXPECT_THAT(Call(&v1::ControlPlane::Stub::RestoreBackup, req, kAdminKey),
              StatusIs(absl::StatusCode::kDataLoss, HasSubstr(data_file)));
  EXPECT_THAT(GetCluster(absl::StrCat(kRestoreP1, "/clusters/early")),
              StatusIs(absl::StatusCode::kNotFound));
  FlipByte(data_file);  // repaired

  // Damaged after the call, before the restore runs (the create waits on
  // the manual clock): the operation fails DATA_LOSS and the cluster is
  // FAILED, saying why, with no data plane behind its endpoint.
  ASSERT_THAT(Emu(&v1::Emulator::Stub::SetClock, v1::SetClockRequest()),
              IsOk());
  req = Request(backup, Cell::kNew, absl::StrCat(kRestoreP1, "|late"));
  ASSERT_OK_AND_ASSIGN(
      v1::Operation op,
      Call(&v1::ControlPlane::Stub::RestoreBackup, req, kAdminKey));
  FlipByte(data_file);
  v1::AdvanceClockRequest advance;
  advance.mutable_by()->set_seconds(1);
  ASSERT_THAT(Emu(&v1::Emulator::Stub::AdvanceClock, advance), IsOk());
  ASSERT_OK_AND_ASSIGN(op, Wait(op.name()));
  ASSERT_TRUE(op.done());
  EXPECT_EQ(op.error_code(), static_cast<int>(absl::StatusCode::kDataLoss))
      << op.error_message();
  EXPECT_TRUE(op.cluster().admin_password().empty());
  ASSERT_OK_AND_ASSIGN(v1::Cluster late,
                       GetCluster(absl::StrCat(kRestoreP1, "/clusters/late")));
  EXPECT_EQ(late.state(), v1::Cluster::FAILED);
  EXPECT_THAT(late.state_message(), HasSubstr("RestoreBackup"));
  EXPECT_THAT(late.state_message(), HasSubstr(data_file));
  // Its data plane does not serve (whatever the endpoint says).
  if (!late.endpoint().empty()) {
    ClientOptions options;
    options.remote.user = "root";
    options.remote.password = "irrelevant";
    options.remote.timeout = std::chrono::seconds(2);
    options.remote.max_attempts = 1;
    auto client = Client::Open(late.endpoint(), options);
    if (client.ok()) {
      EXPECT_THAT(client->ListCollections(),
                  StatusIs(absl::StatusCode::kUnavailable));
    }
  }
  // It can be deleted like any failed cluster.
  ASSERT_OK_AND_ASSIGN(
      op, ClusterAction(&v1::ControlPlane::Stub::DeleteCluster, late.name()));
  ASSERT_THAT(Emu(&v1::Emulator::Stub::AdvanceClock, advance), IsOk());
  ASSERT_OK_AND_ASSIGN(op, Wait(op.name()));
  EXPECT_EQ(op.error_code(), 0) << op.error_message();
  FlipByte(data_file);  // repaired

  // Cancelled before its cluster was created: nothing is left.
  req = Request(backup, Cell::kNew, absl::StrCat(kRestoreP1, "|cancelled"));
  ASSERT_OK_AND_ASSIGN(
      op, Call(&v1::ControlPlane::Stub::RestoreBackup, req, kAdminKey));
  v1::CancelOperationRequest cancel;
  cancel.set_name(op.name());
  ASSERT_OK_AND_ASSIGN(
      op, Call(&v1::ControlPlane::Stub::CancelOperation, cancel, kAdminKey));
  EXPECT_TRUE(op.done());
  EXPECT_EQ(op.error_code(), static_cast<int>(absl::StatusCode::kCancelled));
  ASSERT_THAT(Emu(&v1::Emulator::Stub::AdvanceClock, advance), IsOk());
  EXPECT_THAT(GetCluster(absl::StrCat(kRestoreP1, "/clusters/cancelled")),
              StatusIs(absl::StatusCode::kNotFound));

  // And a good restore still works.
  req = Request(backup, Cell::kNew, absl::StrCat(kRestoreP1, "|good"));
  ASSERT_OK_AND_ASSIGN(
      op, Call(&v1::ControlPlane::Stub::RestoreBackup, req, kAdminKey));
  ASSERT_THAT(Emu(&v1::Emulator::Stub::AdvanceClock, advance), IsOk());
  ASSERT_OK_AND_ASSIGN(op, Wait(op.name()));
  EXPECT_EQ(op.error_code(), 0) << op.error_message();
  EXPECT_EQ(op.cluster().state(), v1::Cluster::RUNNING);
}

// One RestoreBackup call is one request in the control plane's metrics and
// one restore audit event (plus the create's, for a new cluster).
TEST_F(RestoreTest, OneCallCountsOnceAndAuditsTheCreate) {
  CloudOptions options = options_;
  options.metrics_listen_address = "127.0.0.1:0";
  Restart(options);
  const std::string backup = SourceWithBackup(kRestoreP1, "src", 2);
  auto req = Request(backup, Cell::kNew, absl::StrCat(kRestoreP1, "|once"));
  ASSERT_OK_AND_ASSIGN(
      v1::Operation op,
      Call(&v1::ControlPlane::Stub::RestoreBackup, req, kAdminKey));
  ASSERT_OK_AND_ASSIGN(op, Wait(op.name()));
  ASSERT_EQ(op.error_code(), 0) << op.error_message();
  ASSERT_OK_AND_ASSIGN(std::string text,
                       server::HttpGet(server_->metrics_url()));
  ASSERT_OK_AND_ASSIGN(prometheus::ParsedText parsed,
                       prometheus::ParseText(text));
  auto calls = parsed.Find("cove_control_requests_total",
                           {{"method", "RestoreBackup"}, {"code", "OK"}});
  ASSERT_EQ(calls.size(), 1u) << text;
  EXPECT_EQ(calls[0]->value, 1);
  // The create inside it is not a CreateCluster request (the one counted
  // is the source cluster's).
  auto creates_counted =
      parsed.Find("cove_control_requests_total",
                  {{"method", "CreateCluster"}, {"code", "OK"}});
  ASSERT_EQ(creates_counted.size(), 1u);
  EXPECT_EQ(creates_counted[0]->value, 1);
  auto restores = Audit(kRestoreOrg, "action=backups.restore");
  EXPECT_EQ(restores.size(), 1u);
  auto creates = Audit(kRestoreOrg,
                       absl::StrCat("resource=", kRestoreP1, "/clusters/once"));
  ASSERT_EQ(creates.size(), 1u);
  EXPECT_EQ(creates[0].action(), "clusters.create");
}

}  // namespace
}  // namespace cove::cloud::testing
