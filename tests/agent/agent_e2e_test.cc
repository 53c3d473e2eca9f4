// Agent mode end to end, like the cross-account test, with the control plane
// in its own process (the real cove-cloud program) and cove-agent in the
// test process. It proves that the control plane never opens a connection
// to the agent or to its data planes: a sampler reads the kernel's TCP table
// (/proc/net/tcp) and the socket inodes each process owns (/proc/PID/fd)
// throughout the scenario, and checks that
//   1. every TCP socket of the cove-cloud process is its listener or a
//      connection accepted on the listener's port (an outbound dial would
//      have an ephemeral local port), and
//   2. every connection accepted on a data-plane port has its other end in
//      the test process (the data client), never in the cove-cloud process,
//   3. the cove-cloud process holds no open file under the agent's bucket
//      (data, backups, keys: backups are written, restored and deleted by
//      the agent; metrics come from its heartbeats).
#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <thread>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_split.h"
#include "agent/agent_fixture.h"
#include "gmock/gmock.h"

extern char** environ;

namespace cove::cloud::testing {
namespace {

using ::cove::testing::IsOk;
using ::cove::testing::StatusIs;
using ::testing::Contains;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;
using ::testing::StartsWith;

struct TcpSocket {
  int local_port = 0;
  int remote_port = 0;
  int state = 0;  // 0x0A: LISTEN
  uint64_t inode = 0;
};

// Every TCP socket of this network namespace (IPv4 and IPv6).
std::vector<TcpSocket> ReadTcpTable() {
  std::vector<TcpSocket> out;
  for (const char* path : {"/proc/net/tcp", "/proc/net/tcp6"}) {
    std::ifstream in(path);
    std::string line;
    std::getline(in, line);  // header
    while (std::getline(in, line)) {
      std::vector<std::string> f =
          absl::StrSplit(line, ' ', absl::SkipWhitespace());
      if (f.size() < 10) continue;
      auto port = [](const std::string& addr) {
        int p = 0;
        std::string hex = addr.substr(addr.rfind(':') + 1);
        p = static_cast<int>(std::stoul(hex, nullptr, 16));
        return p;
      };
      TcpSocket s;
      s.local_port = port(f[1]);
      s.remote_port = port(f[2]);
      s.state = static_cast<int>(std::stoul(f[3], nullptr, 16));
      s.inode = std::stoull(f[9]);
      out.push_back(s);
    }
  }
  return out;
}

// Socket inodes held by process `pid`.
std::set<uint64_t> SocketInodes(pid_t pid) {
  std::set<uint64_t> out;
  const std::string dir = "/proc/" + std::to_string(pid) + "/fd";
  DIR* d = ::opendir(dir.c_str());
  if (d == nullptr) return out;
  while (dirent* e = ::readdir(d)) {
    char target[256];
    const std::string link = dir + "/" + e->d_name;
    ssize_t n = ::readlink(link.c_str(), target, sizeof(target) - 1);
    if (n <= 0) continue;
    target[n] = 0;
    absl::string_view t(target);
    if (absl::ConsumePrefix(&t, "socket:[") && absl::ConsumeSuffix(&t, "]")) {
      uint64_t inode = 0;
      if (absl::SimpleAtoi(t, &inode)) out.insert(inode);
    }
  }
  ::closedir(d);
  return out;
}

// Paths of the files process `pid` holds open.
std::vector<std::string> OpenFiles(pid_t pid) {
  std::vector<std::string> out;
  const std::string dir = "/proc/" + std::to_string(pid) + "/fd";
  DIR* d = ::opendir(dir.c_str());
  if (d == nullptr) return out;
  while (dirent* e = ::readdir(d)) {
    char target[4096];
    const std::string link = dir + "/" + e->d_name;
    ssize_t n = ::readlink(link.c_str(), target, sizeof(target) - 1);
    if (n <= 0) continue;
    out.emplace_back(target, static_cast<size_t>(n));
  }
  ::closedir(d);
  return out;
}

class AgentE2eTest : public AgentFixture {
 protected:
  void SetUp() override {
    const std::string state = state_.path() + "/cloud-state";
    std::vector<std::string> args = {COVE_CLOUD_BINARY,
                                     "--state-dir",
                                     state,
                                     "--listen",
                                     "127.0.0.1:0",
                                     "--admin-key",
                                     kAdminKey,
                                     "--transition-delay-ms",
                                     "20",
                                     "--vectors-per-cu",
                                     "10",
                                     "--agent-heartbeat-ms",
                                     "100"};
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    // Its stdout goes to a file (a pipe closed early would kill it).
    const std::string log = state_.path() + "/cloud.log";
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, 1, log.c_str(),
                                     O_WRONLY | O_CREAT | O_TRUNC, 0600);
    ASSERT_EQ(::posix_spawn(&cloud_pid_, argv[0], &actions, nullptr,
                            argv.data(), environ),
              0);
    posix_spawn_file_actions_destroy(&actions);
    // "cove-cloud listening on 127.0.0.1:PORT" (polled: up to 30 s).
    std::string line;
    for (int i = 0; i < 600 && line.empty(); ++i) {
      std::ifstream in(log);
      std::string first;
      if (std::getline(in, first) && !in.eof()) line = first;
      if (line.empty())
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    const std::string prefix = "cove-cloud listening on ";
    ASSERT_THAT(line, StartsWith(prefix));
    address_ = line.substr(prefix.size());
    ASSERT_TRUE(absl::SimpleAtoi(address_.substr(address_.rfind(':') + 1),
                                 &cloud_port_));
    Connect(nullptr, address_);
  }

  void TearDown() override {
    StopSampler();
    agent_.reset();
    if (cloud_pid_ > 0) {
      ::kill(cloud_pid_, SIGTERM);
      int status = 0;
      ::waitpid(cloud_pid_, &status, 0);
    }
  }

  // One look at every socket of both processes (see the file comment).
  void Sample() {
    std::set<int> data_ports;
    if (agent_ != nullptr) {
      for (const auto& c : agent_->clusters()) {
        if (c.endpoint.empty()) continue;
        int port = 0;
        if (absl::SimpleAtoi(c.endpoint.substr(c.endpoint.rfind(':') + 1),
                             &port)) {
          data_ports.insert(port);
        }
      }
    }
    const std::set<uint64_t> cloud = SocketInodes(cloud_pid_);
    const std::set<uint64_t> self = SocketInodes(::getpid());
    const std::vector<TcpSocket> table = ReadTcpTable();
    std::map<int, uint64_t> by_local_port;  // local port -> owner inode
    for (const TcpSocket& s : table) {
      if (s.inode != 0 && s.state != 0x0A)
        by_local_port[s.local_port] = s.inode;
    }
    std::string bucket;
    {
      absl::MutexLock lock(&sample_mu_);
      bucket = bucket_;
    }
    const std::vector<std::string> files =
        bucket.empty() ? std::vector<std::string>() : OpenFiles(cloud_pid_);
    absl::MutexLock lock(&sample_mu_);
    ++samples_;
    for (const std::string& f : files) {
      if (absl::StartsWith(f, bucket + "/") || f == bucket) {
        violations_.push_back("cove-cloud holds open '" + f +
                              "' in the agent's bucket");
      }
    }
    for (const TcpSocket& s : table) {
      if (s.inode != 0 && cloud.count(s.inode) != 0) {
        if (s.local_port != cloud_port_) {
          violations_.push_back(absl::StrCat(
              "cove-cloud owns a socket on local port ", s.local_port,
              " (state ", s.state, ", remote port ", s.remote_port, ")"));
        } else if (s.state != 0x0A) {
          ++cloud_accepted_;
        }
      }
      if (data_ports.count(s.local_port) != 0 && s.state != 0x0A &&
          s.inode != 0) {
        auto peer = by_local_port.find(s.remote_port);
        if (peer == by_local_port.end()) continue;  // closing
        if (cloud.count(peer->second) != 0) {
          violations_.push_back(absl::StrCat(
              "data plane port ", s.local_port,
              " accepted a connection from the cove-cloud process"));
        } else if (self.count(peer->second) != 0) {
          ++data_plane_accepted_from_test_;
        }
      }
    }
  }

  void StartSampler() {
    sampler_ = std::thread([this] {
      while (!stop_sampler_.load()) {
        Sample();
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
      }
    });
  }
  void StopSampler() {
    stop_sampler_ = true;
    if (sampler_.joinable()) sampler_.join();
  }

  v1::Operation Run(absl::StatusOr<v1::Operation> started) {
    EXPECT_THAT(started, IsOk());
    if (!started.ok()) return {};
    auto done = Wait(started->name());
    EXPECT_THAT(done, IsOk());
    if (!done.ok()) return {};
    EXPECT_TRUE(done->done());
    Sample();
    return *done;
  }

  pid_t cloud_pid_ = -1;
  std::string address_;
  int cloud_port_ = 0;
  std::unique_ptr<agent::Agent> agent_;
  std::thread sampler_;
  std::atomic<bool> stop_sampler_{false};
  absl::Mutex sample_mu_;
  std::string bucket_ ABSL_GUARDED_BY(sample_mu_);  // checked for open files
  int64_t samples_ = 0;
  int64_t cloud_accepted_ = 0;
  int64_t data_plane_accepted_from_test_ = 0;
  std::vector<std::string> violations_;
};

TEST_F(AgentE2eTest, AgentModeLifecycleWithoutInboundConnections) {
  StartSampler();
  v1::Environment env = MakeAgentEnvironment();
  ASSERT_EQ(env.state(), v1::Environment::AWAITING_AGENT);
  const std::string token = env.agent_token();
  const std::string cluster = project_ + "/clusters/search1";
  EXPECT_THAT(StartCluster(project_, env_name_, "search1"),
              StatusIs(absl::StatusCode::kFailedPrecondition,
                       HasSubstr("AWAITING_AGENT")));

  const std::string bucket = state_.path() + "/customer-bucket";
  ASSERT_OK_AND_ASSIGN(
      agent_, agent::Agent::Start(AgentOptionsFor(address_, token, bucket)));
  {
    absl::MutexLock lock(&sample_mu_);
    bucket_ = bucket;
  }
  ASSERT_TRUE(agent_->WaitConnected(absl::Seconds(20))) << agent_->last_error();
  ASSERT_OK_AND_ASSIGN(env, GetEnv(env_name_));
  EXPECT_EQ(env.state(), v1::Environment::CONNECTED);
  // A second use of the token is refused.
  ASSERT_OK_AND_ASSIGN(auto intruder,
                       agent::Agent::Start(AgentOptionsFor(
                           address_, token, state_.path() + "/other-bucket")));
  EXPECT_FALSE(intruder->WaitConnected(absl::Seconds(20)));
  EXPECT_THAT(intruder->last_error(),
              StatusIs(absl::StatusCode::kUnauthenticated));
  intruder.reset();

  v1::Operation op = Run(StartCluster(project_, env_name_, "search1"));
  ASSERT_EQ(op.error_code(), 0) << op.error_message();
  ASSERT_EQ(op.cluster().state(), v1::Cluster::RUNNING);
  const std::string password = op.cluster().admin_password();
  ASSERT_OK_AND_ASSIGN(Client data,
                       DataClient(op.cluster().endpoint(), password));
  ASSERT_OK(data.CreateCollection("docs", 2));
  ASSERT_OK(data.Insert("docs", Rows(0, 8)).status());
  SearchRequest search;
  search.collection_name = "docs";
  search.vectors = {3.0f, 1.0f};
  search.dim = 2;
  search.limit = 3;
  ASSERT_OK_AND_ASSIGN(SearchResults hits, data.Search(search));
  ASSERT_EQ(hits.hits.size(), 1u);
  EXPECT_EQ(hits.hits[0].size(), 3u);
  Sample();
  EXPECT_THAT(data.Insert("docs", Rows(8, 5)),
              StatusIs(absl::StatusCode::kResourceExhausted));

  v1::ScaleClusterRequest scale;
  scale.set_name(cluster);
  scale.set_cu_size(2);
  op = Run(Call(&v1::ControlPlane::Stub::ScaleCluster, scale, kAdminKey));
  ASSERT_EQ(op.error_code(), 0) << op.error_message();
  EXPECT_EQ(op.cluster().capacity_vectors(), 20);
  ASSERT_OK(data.Insert("docs", Rows(8, 5)).status());
  Sample();

  op = Run(ClusterAction(&v1::ControlPlane::Stub::SuspendCluster, cluster));
  ASSERT_EQ(op.error_code(), 0) << op.error_message();
  EXPECT_EQ(op.cluster().state(), v1::Cluster::SUSPENDED);
  EXPECT_THAT(op.cluster().endpoint(), Not(IsEmpty()));  // kept
  op = Run(ClusterAction(&v1::ControlPlane::Stub::ResumeCluster, cluster));
  ASSERT_EQ(op.error_code(), 0) << op.error_message();
  ASSERT_OK_AND_ASSIGN(Client again,
                       DataClient(op.cluster().endpoint(), password));
  QueryRequest count;
  count.collection_name = "docs";
  count.output_fields = {"count(*)"};
  ASSERT_OK_AND_ASSIGN(auto rows, again.Query(count));
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0].at("count(*)").AsInt(), 13);
  // Usage reported by heartbeats (the control plane cannot count it).
  v1::Cluster c;
  EXPECT_TRUE(Eventually<v1::Cluster>(
      [&] { return GetCluster(cluster); },
      [](const v1::Cluster& x) { return x.used_vectors() == 13; }, &c))
      << c.used_vectors();
  Sample();

  // Backup, restore and delete through the agent; metrics from heartbeats.
  v1::CreateBackupRequest backup;
  backup.set_parent(cluster);
  backup.set_backup_id("snap1");
  op = Run(Call(&v1::ControlPlane::Stub::CreateBackup, backup, kAdminKey));
  ASSERT_EQ(op.error_code(), 0) << op.error_message();
  ASSERT_EQ(op.backup().row_count(), 13);
  ASSERT_OK(again.Insert("docs", Rows(13, 2)).status());
  v1::RestoreBackupRequest restore;
  restore.set_name(cluster + "/backups/snap1");
  restore.set_target_cluster(cluster);
  restore.set_overwrite(true);
  op = Run(Call(&v1::ControlPlane::Stub::RestoreBackup, restore, kAdminKey));
  ASSERT_EQ(op.error_code(), 0) << op.error_message();
  ASSERT_OK_AND_ASSIGN(rows, again.Query(count));
  EXPECT_EQ(rows[0].at("count(*)").AsInt(), 13);
  v1::GetClusterMetricsRequest metrics;
  metrics.set_name(cluster);
  v1::ClusterMetrics m;
  EXPECT_TRUE(Eventually<v1::ClusterMetrics>(
      [&] {
        return Call(&v1::ControlPlane::Stub::GetClusterMetrics, metrics,
                    kAdminKey);
      },
      [](const v1::ClusterMetrics& x) {
        return x.serving() && x.vector_count() == 13 && x.requests() > 0;
      },
      &m))
      << m.DebugString();
  v1::DeleteRequest del;
  del.set_name(cluster + "/backups/snap1");
  op = Run(Call(&v1::ControlPlane::Stub::DeleteBackup, del, kAdminKey));
  ASSERT_EQ(op.error_code(), 0) << op.error_message();
  EXPECT_FALSE(std::filesystem::exists(bucket + "/backups/search1/snap1"));
  Sample();

  op = Run(ClusterAction(&v1::ControlPlane::Stub::DeleteCluster, cluster));
  ASSERT_EQ(op.error_code(), 0) << op.error_message();
  EXPECT_EQ(op.cluster().state(), v1::Cluster::DELETED);
  StopSampler();

  absl::MutexLock lock(&sample_mu_);
  EXPECT_THAT(violations_, IsEmpty());
  // The sampler saw the connections it checks: accepted ones at the control
  // plane (the agent's stream, this test's calls) and the test's own data
  // connections at the data plane.
  EXPECT_GT(samples_, 10);
  EXPECT_GT(cloud_accepted_, 0);
  EXPECT_GT(data_plane_accepted_from_test_, 0);
}

// The negative control of the proof: a cross-account cluster's data plane
// runs inside cove-cloud, and the sampler does report that socket.
TEST_F(AgentE2eTest, SamplerReportsSocketsOfTheControlPlaneProcess) {
  ASSERT_OK_AND_ASSIGN(v1::Organization org, MakeOrg("acme"));
  ASSERT_THAT(MakeProject("acme", "web"), IsOk());
  ASSERT_OK_AND_ASSIGN(v1::Environment env,
                       MakeEnv(project_, "xacct", org.external_id()));
  {
    absl::MutexLock lock(&sample_mu_);
    bucket_ = env.bucket();
  }
  Sample();
  {
    absl::MutexLock lock(&sample_mu_);
    EXPECT_THAT(violations_, IsEmpty());
  }
  v1::Operation op =
      Run(StartCluster(project_, project_ + "/environments/xacct", "local1"));
  ASSERT_EQ(op.error_code(), 0) << op.error_message();
  const std::string endpoint = op.cluster().endpoint();
  const std::string port = endpoint.substr(endpoint.rfind(':') + 1);
  Sample();
  absl::MutexLock lock(&sample_mu_);
  ASSERT_FALSE(violations_.empty());
  // The data plane's own listener is among them (its metrics listener may
  // be reported too, in any order).
  EXPECT_THAT(violations_, Contains(HasSubstr("local port " + port)));
  // Its data files are open in the cove-cloud process.
  EXPECT_THAT(violations_, Contains(HasSubstr("holds open")));
}

}  // namespace
}  // namespace cove::cloud::testing
