// Disk full: writes fail with ResourceExhausted naming the file, nothing
// acknowledged is lost, reads go on, and the store reopens with every
// acknowledged row once space is back. Three ways to fill the disk:
//   - a file size limit (RLIMIT_FSIZE, SIGXFSZ ignored: write() fails with
//     EFBIG) on a forked embedded writer: works unprivileged;
//   - the same limit on a real cove-server process: the error reaches a
//     remote client as ResourceExhausted;
//   - a small tmpfs (ENOSPC; needs root and mount(2), skipped otherwise).
#include <signal.h>
#include <sys/mount.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <map>
#include <string>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "cove/client.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "reliability/process.h"
#include "reliability/rows.h"
#include "testing/status_matchers.h"

namespace cove {
namespace {

using ::cove::testing::ChildProcess;
using ::cove::testing::IsOk;
using ::cove::testing::ProcessSpec;
using ::cove::testing::ScratchDir;
using ::cove::testing::StatusIs;
using ::testing::HasSubstr;

constexpr char kCollection[] = "full_docs";
constexpr int kBatch = 20;
constexpr uint64_t kLimit = 256 * 1024;

std::vector<Row> Batch(int64_t first) {
  std::vector<Row> rows;
  for (int64_t id = first; id < first + kBatch; ++id) {
    rows.push_back(cove::testing::MakeRow(id, 0));
  }
  return rows;
}

absl::Status CreateCollection(Client& client) {
  return client.CreateCollection(kCollection,
                                 cove::testing::ReliabilitySchema(),
                                 {cove::testing::ReliabilityIndex()});
}

int64_t Count(Client& client) {
  QueryRequest q;
  q.collection_name = kCollection;
  q.output_fields = {"count(*)"};
  auto rows = client.Query(q);
  return rows.ok() ? rows->at(0).at("count(*)").AsInt() : -1;
}

// Checks a reopened store: exactly the acknowledged rows (all version 0),
// and writes work again.
void ExpectAcknowledgedRowsAndWritable(Client& client,
                                       const std::map<int64_t, int64_t>& acked,
                                       int64_t next_id) {
  ASSERT_OK_AND_ASSIGN(auto present,
                       cove::testing::ReadAll(client, kCollection));
  EXPECT_EQ(present.size(), acked.size());
  EXPECT_TRUE(present == acked) << "rows differ from the acknowledged ones";
  EXPECT_OK(client.Insert(kCollection, Batch(next_id)).status());
  EXPECT_EQ(Count(client), static_cast<int64_t>(acked.size()) + kBatch);
}

// Writes a line to the pipe (the child's report to the test).
void Report(int fd, const std::string& line) {
  std::string l = line + "\n";
  (void)!::write(fd, l.data(), l.size());
}

TEST(DiskFullTest, FileSizeLimitOnEmbeddedWriter) {
  ScratchDir scratch;
  const std::string dir = scratch.path() + "/data";
  {
    ASSERT_OK_AND_ASSIGN(Client client, Client::Open(dir));
    ASSERT_OK(CreateCollection(client));
  }
  int fds[2];
  ASSERT_EQ(::pipe(fds), 0);
  const pid_t pid = ::fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    // The writer: inserts batches under a file size limit until one fails,
    // reporting each acknowledged batch, then the failures and the count.
    ::close(fds[0]);
    ::signal(SIGXFSZ, SIG_IGN);
    struct rlimit limit = {kLimit, kLimit};
    if (::setrlimit(RLIMIT_FSIZE, &limit) != 0) _exit(2);
    {
      auto client = Client::Open(dir);
      if (!client.ok()) {
        Report(fds[1], "OPEN " + client.status().ToString());
        _exit(3);
      }
      int64_t next = 0;
      int failures = 0;
      for (int i = 0; i < 100000 && failures < 3; ++i) {
        absl::Status s = client->Insert(kCollection, Batch(next)).status();
        if (s.ok()) {
          Report(fds[1], absl::StrCat("ACK ", next));
          next += kBatch;
        } else {
          Report(fds[1], absl::StrCat("FAIL ", static_cast<int>(s.code()), " ",
                                      s.message()));
          ++failures;
        }
      }
      Report(fds[1], absl::StrCat("COUNT ", Count(*client)));
    }  // closing tries a checkpoint, which may or may not fit
    Report(fds[1], "DONE");
    _exit(0);
  }
  ::close(fds[1]);
  std::string out;
  char buf[4096];
  ssize_t n;
  while ((n = ::read(fds[0], buf, sizeof(buf))) > 0) out.append(buf, n);
  ::close(fds[0]);
  int status = 0;
  ::waitpid(pid, &status, 0);
  ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << status << "\n"
                                                             << out;

  std::map<int64_t, int64_t> acked;
  std::vector<std::string> failures;
  int64_t counted = -1;
  for (absl::string_view line : absl::StrSplit(out, '\n')) {
    if (absl::ConsumePrefix(&line, "ACK ")) {
      int64_t first = 0;
      ASSERT_TRUE(absl::SimpleAtoi(line, &first));
      for (int64_t id = first; id < first + kBatch; ++id) acked[id] = 0;
    } else if (absl::ConsumePrefix(&line, "FAIL ")) {
      failures.emplace_back(line);
    } else if (absl::ConsumePrefix(&line, "COUNT ")) {
      ASSERT_TRUE(absl::SimpleAtoi(line, &counted));
    }
  }
  ASSERT_GT(acked.size(), 0u) << out;
  ASSERT_EQ(failures.size(), 3u) << out;
  for (const std::string& f : failures) {
    // "8 write '.../wal-N.log': File too large" (8 = RESOURCE_EXHAUSTED).
    EXPECT_THAT(
        f, HasSubstr(absl::StrCat(
               static_cast<int>(absl::StatusCode::kResourceExhausted), " ")))
        << f;
    EXPECT_THAT(f, HasSubstr("wal-")) << f;
    EXPECT_THAT(f, HasSubstr("File too large")) << f;
  }
  EXPECT_EQ(counted, static_cast<int64_t>(acked.size()));
  std::printf(
      "[ disk full ] RLIMIT_FSIZE %llu KiB: %zu rows acknowledged, "
      "then: %s\n",
      static_cast<unsigned long long>(kLimit / 1024), acked.size(),
      failures[0].c_str());

  // The limit is gone (this process never had it): everything is there.
  ASSERT_OK_AND_ASSIGN(Client client, Client::Open(dir));
  ExpectAcknowledgedRowsAndWritable(client, acked, 1'000'000);
}

TEST(DiskFullTest, FileSizeLimitOnServerIsResourceExhaustedForRemoteClient) {
  ScratchDir scratch;
  ProcessSpec spec;
  spec.program = COVE_SERVER_BIN;
  spec.args = {"--data", scratch.path() + "/data", "--listen", "127.0.0.1:0"};
  spec.log_file = scratch.path() + "/server.log";
  spec.file_size_limit = kLimit;
  std::map<int64_t, int64_t> acked;
  {
    ASSERT_OK_AND_ASSIGN(auto server, ChildProcess::Start(spec));
    ClientOptions options;
    options.remote.max_attempts = 1;
    ASSERT_OK_AND_ASSIGN(Client client,
                         Client::Open("http://" + server->address(), options));
    ASSERT_OK(CreateCollection(client));
    int64_t next = 0;
    absl::Status failed;
    for (int i = 0; i < 100000; ++i) {
      failed = client.Insert(kCollection, Batch(next)).status();
      if (!failed.ok()) break;
      for (int64_t id = next; id < next + kBatch; ++id) acked[id] = 0;
      next += kBatch;
    }
    ASSERT_GT(acked.size(), 0u);
    EXPECT_THAT(failed, StatusIs(absl::StatusCode::kResourceExhausted,
                                 HasSubstr("wal-")));
    std::printf(
        "[ disk full ] cove-server under RLIMIT_FSIZE: %zu rows "
        "acknowledged, then: %s\n",
        acked.size(), failed.ToString().c_str());
    // The server stays up: further writes fail the same way, reads work.
    EXPECT_THAT(client.Insert(kCollection, Batch(next)),
                StatusIs(absl::StatusCode::kResourceExhausted));
    EXPECT_THAT(client.Upsert(kCollection, Batch(0)),
                StatusIs(absl::StatusCode::kResourceExhausted));
    EXPECT_EQ(Count(client), static_cast<int64_t>(acked.size()));
    // A graceful stop (its checkpoint may not fit: that loses nothing).
    const int status = server->Kill(SIGTERM);
    EXPECT_TRUE(WIFEXITED(status)) << status;
  }
  spec.file_size_limit.reset();
  ASSERT_OK_AND_ASSIGN(auto server, ChildProcess::Start(spec));
  ASSERT_OK_AND_ASSIGN(Client client,
                       Client::Open("http://" + server->address()));
  ExpectAcknowledgedRowsAndWritable(client, acked, 1'000'000);
}

// A tmpfs mounted for the test, unmounted (lazily) by the destructor.
class TmpfsMount {
 public:
  explicit TmpfsMount(std::string path) : path_(std::move(path)) {
    ::mkdir(path_.c_str(), 0700);
    mounted_ = ::mount("cove-test", path_.c_str(), "tmpfs", 0,
                       "size=256k,mode=0700") == 0;
    error_ = mounted_ ? 0 : errno;
  }
  ~TmpfsMount() {
    if (mounted_) ::umount2(path_.c_str(), MNT_DETACH);
  }
  bool mounted() const { return mounted_; }
  int error() const { return error_; }
  absl::Status Resize(const std::string& size) {
    if (::mount("cove-test", path_.c_str(), "tmpfs", MS_REMOUNT,
                ("size=" + size).c_str()) != 0) {
      return absl::InternalError(std::strerror(errno));
    }
    return absl::OkStatus();
  }

 private:
  std::string path_;
  bool mounted_ = false;
  int error_ = 0;
};

TEST(DiskFullTest, FullTmpfsEmbedded) {
  ScratchDir scratch;
  TmpfsMount mount(scratch.path() + "/mnt");
  if (!mount.mounted()) {
    GTEST_SKIP() << "cannot mount a tmpfs (needs root): "
                 << std::strerror(mount.error());
  }
  const std::string dir = scratch.path() + "/mnt/data";
  std::map<int64_t, int64_t> acked;
  int64_t next = 0;
  {
    ASSERT_OK_AND_ASSIGN(Client client, Client::Open(dir));
    ASSERT_OK(CreateCollection(client));
    absl::Status failed;
    for (int i = 0; i < 100000; ++i) {
      failed = client.Insert(kCollection, Batch(next)).status();
      if (!failed.ok()) break;
      for (int64_t id = next; id < next + kBatch; ++id) acked[id] = 0;
      next += kBatch;
    }
    ASSERT_GT(acked.size(), 0u);
    EXPECT_THAT(failed, StatusIs(absl::StatusCode::kResourceExhausted,
                                 HasSubstr("No space left on device")));
    EXPECT_THAT(failed.message(), HasSubstr(dir));
    std::printf(
        "[ disk full ] tmpfs 256 KiB: %zu rows acknowledged, then: %s\n",
        acked.size(), failed.ToString().c_str());
    EXPECT_THAT(client.Insert(kCollection, Batch(next)),
                StatusIs(absl::StatusCode::kResourceExhausted));
    // A small record may still fit in the log's last page: a delete either
    // fails the same way or succeeds (and is then durable like any other).
    auto deleted = client.Delete(kCollection, {Value(int64_t{0})});
    if (deleted.ok()) {
      acked.erase(0);
    } else {
      EXPECT_THAT(deleted, StatusIs(absl::StatusCode::kResourceExhausted));
    }
    // A checkpoint needs space too: it fails cleanly.
    EXPECT_THAT(client.Flush(kCollection),
                StatusIs(absl::StatusCode::kResourceExhausted));
    EXPECT_EQ(Count(client), static_cast<int64_t>(acked.size()));
  }  // the checkpoint at close fails too (printed), nothing is lost
  {
    // Reopening on the full disk works: reads see every acknowledged row.
    ASSERT_OK_AND_ASSIGN(Client client, Client::Open(dir));
    ASSERT_OK_AND_ASSIGN(auto present,
                         cove::testing::ReadAll(client, kCollection));
    EXPECT_TRUE(present == acked);
    EXPECT_THAT(client.Insert(kCollection, Batch(next)),
                StatusIs(absl::StatusCode::kResourceExhausted));
  }
  ASSERT_OK(mount.Resize("8m"));
  {
    ASSERT_OK_AND_ASSIGN(Client client, Client::Open(dir));
    ExpectAcknowledgedRowsAndWritable(client, acked, next);
    for (int64_t id = next; id < next + kBatch; ++id) acked[id] = 0;
    ASSERT_OK(client.Flush(kCollection));
  }
  ASSERT_OK_AND_ASSIGN(Client client, Client::Open(dir));
  ASSERT_OK_AND_ASSIGN(auto present,
                       cove::testing::ReadAll(client, kCollection));
  EXPECT_TRUE(present == acked);
}

}  // namespace
}  // namespace cove
