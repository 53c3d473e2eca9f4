// cove-server given SIGTERM while an index build runs stops within a
// bounded time: shutdown cancels the build (it restarts on the next start)
// instead of running it to its end at full CPU (issue 13, item 16).
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include "cove/client.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "reliability/process.h"
#include "testing/status_matchers.h"

namespace cove {
namespace {

using ::cove::testing::ChildProcess;
using ::cove::testing::IsOk;
using ::cove::testing::ProcessSpec;
using ::cove::testing::ScratchDir;

// CPU seconds (user + system) the process has used, from /proc/PID/stat.
double CpuSeconds(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
  std::string stat((std::istreambuf_iterator<char>(in)), {});
  const size_t close = stat.rfind(')');
  if (close == std::string::npos) return -1;
  std::istringstream fields(stat.substr(close + 2));
  std::string skip;
  for (int i = 0; i < 11; ++i) fields >> skip;  // state .. cmajflt
  long utime = 0, stime = 0;
  fields >> utime >> stime;
  return static_cast<double>(utime + stime) /
         static_cast<double>(sysconf(_SC_CLK_TCK));
}

TEST(ServerShutdownTest, SigtermDuringAnIndexBuildStopsAtOnce) {
  ScratchDir dir;
  ASSERT_FALSE(dir.path().empty());
  ProcessSpec spec;
  spec.program = COVE_SERVER_BIN;
  spec.args = {"--data", dir.path() + "/data", "--listen", "127.0.0.1:0"};
  spec.log_file = dir.path() + "/server.log";
  constexpr int kRows = 20000;
  constexpr int kDim = 64;
  {
    ASSERT_OK_AND_ASSIGN(auto server, ChildProcess::Start(spec));
    ASSERT_OK_AND_ASSIGN(Client client,
                         Client::Open("http://" + server->address()));
    CollectionSchema schema;
    FieldSchema id;
    id.name = "id";
    id.type = DataType::kInt64;
    id.is_primary_key = true;
    FieldSchema vec;
    vec.name = "vector";
    vec.type = DataType::kFloatVector;
    vec.dim = kDim;
    schema.AddField(id).AddField(vec);
    // efConstruction 65536: every insertion visits every row, a build of
    // minutes.
    IndexSpec index;
    index.field_name = "vector";
    index.index_type = IndexType::kHnsw;
    index.metric_type = MetricType::kL2;
    index.params = {{"M", "64"}, {"efConstruction", "65536"}};
    ASSERT_THAT(client.CreateCollection("docs", schema, {index}), IsOk());
    for (int b = 0; b < kRows; b += 2000) {
      std::vector<Row> rows;
      for (int64_t i = b; i < b + 2000; ++i) {
        std::vector<float> v(kDim);
        for (int d = 0; d < kDim; ++d) {
          v[d] = static_cast<float>(std::sin(0.013 * i * (d + 1)));
        }
        rows.push_back(Row{{"id", Value(i)},
                           {"vector", Value::FloatVector(std::move(v))}});
      }
      ASSERT_THAT(client.Insert("docs", std::move(rows)), IsOk());
    }
    // The growing segment is sealed once idle (1 s) and its build starts:
    // wait until the server has burnt 2 CPU seconds more.
    const double cpu_before = CpuSeconds(server->pid());
    const auto deadline =
        std::chrono::steady_clock::now() + std::chrono::seconds(120);
    while (CpuSeconds(server->pid()) < cpu_before + 2.0 &&
           std::chrono::steady_clock::now() < deadline) {
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    ASSERT_OK_AND_ASSIGN(auto indexes, client.DescribeIndexes("docs"));
    ASSERT_EQ(indexes.size(), 1u);
    EXPECT_EQ(indexes[0].state, "InProgress");  // the build runs
    const auto start = std::chrono::steady_clock::now();
    const int status = server->Kill(SIGTERM);
    const double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start)
            .count();
    std::printf("SIGTERM to exit with a build running: %.2f s\n", seconds);
    EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << status;
    // Bounded (docs/engine.md, "Shutdown"): the final checkpoint of 20,000
    // rows, not the minutes of the build.
    EXPECT_LT(seconds, 30.0);
  }
  // The next start has every row; the build restarted in the background.
  ASSERT_OK_AND_ASSIGN(auto server, ChildProcess::Start(spec));
  ASSERT_OK_AND_ASSIGN(Client client,
                       Client::Open("http://" + server->address()));
  ASSERT_OK_AND_ASSIGN(auto stats, client.GetCollectionStats("docs"));
  EXPECT_EQ(stats.row_count, kRows);
  ASSERT_OK_AND_ASSIGN(auto indexes, client.DescribeIndexes("docs"));
  ASSERT_EQ(indexes.size(), 1u);
  EXPECT_EQ(indexes[0].total_rows, kRows);
  EXPECT_EQ(indexes[0].state, "InProgress");
  const int status = server->Kill(SIGTERM);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << status;
}

}  // namespace
}  // namespace cove
