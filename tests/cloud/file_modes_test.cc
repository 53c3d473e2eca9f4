// Issue 13, item 5: every file the emulator and its data planes write that
// holds customer data or secrets is mode 0600, in directories of mode 0700:
// the trees of the state directory and of the bucket are walked after a
// scenario (cluster with data, backup, restore, suspend and resume, a
// restart), and every entry is checked.
#include <sys/stat.h>

#include <filesystem>
#include <string>
#include <vector>

#include "cloud/cloud_fixture.h"
#include "gmock/gmock.h"

namespace cove::cloud::testing {
namespace {

using ::cove::testing::IsOk;
using ::testing::IsEmpty;

// Entries under `root` (not `root` itself) whose mode is not 0600 (files)
// or 0700 (directories), as "path mode".
std::vector<std::string> WrongModes(const std::string& root) {
  std::vector<std::string> out;
  std::error_code ec;
  for (auto it = std::filesystem::recursive_directory_iterator(root, ec);
       !ec && it != std::filesystem::recursive_directory_iterator();
       it.increment(ec)) {
    struct stat st;
    if (::lstat(it->path().c_str(), &st) != 0) continue;
    const unsigned mode = st.st_mode & 07777;
    const bool dir = S_ISDIR(st.st_mode);
    if (S_ISLNK(st.st_mode)) {
      out.push_back(it->path().string() + " is a symbolic link");
    } else if ((dir && mode != 0700) || (!dir && mode != 0600)) {
      char m[8];
      std::snprintf(m, sizeof(m), "%04o", mode);
      out.push_back(it->path().string() + " " + m);
    }
  }
  EXPECT_FALSE(ec) << ec.message();
  return out;
}

class FileModesTest : public CloudFixture {};

TEST_F(FileModesTest, EveryFileOfTheStateAndTheBucketIsPrivate) {
  // A permissive umask, so that nothing passes by the umask's grace.
  const mode_t old_umask = ::umask(0);
  ASSERT_OK_AND_ASSIGN(v1::Organization org, MakeOrg("acme"));
  ASSERT_THAT(MakeProject("acme", "web"), IsOk());
  const std::string project = "organizations/acme/projects/web";
  ASSERT_OK_AND_ASSIGN(v1::Environment env,
                       MakeEnv(project, "env1", org.external_id()));
  ASSERT_EQ(env.state(), v1::Environment::READY) << env.state_message();
  const std::string env_name = project + "/environments/env1";

  ASSERT_OK_AND_ASSIGN(v1::Operation op,
                       StartCluster(project, env_name, "search"));
  ASSERT_OK_AND_ASSIGN(op, Wait(op.name()));
  ASSERT_EQ(op.error_code(), 0) << op.error_message();
  const std::string cluster = op.cluster().name();
  {
    ASSERT_OK_AND_ASSIGN(
        Client data,
        DataClient(op.cluster().endpoint(), op.cluster().admin_password()));
    ASSERT_OK(data.CreateCollection("docs", 2));
    ASSERT_OK(data.Insert("docs", Rows(0, 8)).status());
    ASSERT_OK(data.Flush("docs"));
  }
  v1::CreateBackupRequest backup;
  backup.set_parent(cluster);
  backup.set_backup_id("nightly");
  ASSERT_OK_AND_ASSIGN(
      op, Call(&v1::ControlPlane::Stub::CreateBackup, backup, kAdminKey));
  ASSERT_OK_AND_ASSIGN(op, Wait(op.name()));
  ASSERT_EQ(op.error_code(), 0) << op.error_message();
  v1::RestoreBackupRequest restore;
  restore.set_name(cluster + "/backups/nightly");
  restore.set_parent(project);
  restore.set_cluster_id("copy");
  restore.mutable_cluster()->set_environment(env_name);
  ASSERT_OK_AND_ASSIGN(
      op, Call(&v1::ControlPlane::Stub::RestoreBackup, restore, kAdminKey));
  ASSERT_OK_AND_ASSIGN(op, Wait(op.name()));
  ASSERT_EQ(op.error_code(), 0) << op.error_message();
  for (auto verb : {&v1::ControlPlane::Stub::SuspendCluster,
                    &v1::ControlPlane::Stub::ResumeCluster}) {
    ASSERT_OK_AND_ASSIGN(op, ClusterAction(verb, cluster));
    ASSERT_OK_AND_ASSIGN(op, Wait(op.name()));
    ASSERT_EQ(op.error_code(), 0) << op.error_message();
  }
  Restart(options_);
  ASSERT_OK_AND_ASSIGN(v1::Cluster c, GetCluster(cluster));
  ASSERT_EQ(c.state(), v1::Cluster::RUNNING);
  ::umask(old_umask);

  EXPECT_THAT(WrongModes(options_.state_dir), IsEmpty());
  EXPECT_THAT(WrongModes(env.bucket()), IsEmpty());
  // What the walk saw: the database, the sealing key, the data planes'
  // files, the backup and its data key.
  for (const std::string& path :
       {options_.state_dir + "/cloud.db", options_.state_dir + "/sealing.key",
        env.bucket() + "/clusters/acme/web/search/cove-users.json",
        env.bucket() + "/backups/search/nightly/manifest.json",
        env.bucket() + "/.kms/backup-search.key"}) {
    EXPECT_TRUE(std::filesystem::exists(path)) << path;
  }
  struct stat st;
  ASSERT_EQ(::stat(options_.state_dir.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 0700u);
}

TEST_F(FileModesTest, GeneratedTlsKeyIsPrivate) {
  const mode_t old_umask = ::umask(0);
  CloudOptions options = TestCloudOptions(state_.path() + "/tls-state");
  options.generate_tls = true;
  Restart(options);
  ::umask(old_umask);
  const std::string dir = options.state_dir + "/tls";
  struct stat st;
  ASSERT_EQ(::stat(dir.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 0700u);
  ASSERT_EQ(::stat((dir + "/key.pem").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 0600u);
}

}  // namespace
}  // namespace cove::cloud::testing
