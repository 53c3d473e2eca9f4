// SIGKILL of a real cove-server process under write load, at random points,
// 24 times over one data directory: after each restart every acknowledged
// write (insert, upsert, delete) is there with its exact values, nothing
// else is, and the one write in flight at the kill is all-or-nothing.
#include <signal.h>
#include <sys/wait.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <map>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
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

constexpr char kCollection[] = "kill_docs";

// One write: insert new ids, upsert existing ids to a new version, or
// delete existing ids.
struct Op {
  enum Kind { kInsert, kUpsert, kDelete } kind = kInsert;
  std::vector<int64_t> ids;
  int64_t version = 0;

  void ApplyTo(std::map<int64_t, int64_t>* state) const {
    for (int64_t id : ids) {
      if (kind == kDelete) {
        state->erase(id);
      } else {
        (*state)[id] = version;
      }
    }
  }
  std::string ToString() const {
    return absl::StrCat(kind == kInsert   ? "insert"
                        : kind == kUpsert ? "upsert"
                                          : "delete",
                        " of ", ids.size(), " rows (first id ", ids.front(),
                        ", version ", version, ")");
  }
};

// The first few differences between two states, for failure messages.
std::string Diff(const std::map<int64_t, int64_t>& got,
                 const std::map<int64_t, int64_t>& want) {
  std::string out;
  int shown = 0;
  for (const auto& [id, v] : want) {
    auto it = got.find(id);
    if (it == got.end()) {
      absl::StrAppend(&out, " lost id ", id, ";");
    } else if (it->second != v) {
      absl::StrAppend(&out, " id ", id, " has version ", it->second, " (want ",
                      v, ");");
    } else {
      continue;
    }
    if (++shown == 8) return out + " ...";
  }
  for (const auto& [id, v] : got) {
    if (want.count(id) == 0) {
      absl::StrAppend(&out, " unexpected id ", id, ";");
      if (++shown == 8) return out + " ...";
    }
  }
  return out;
}

ClientOptions KillClientOptions() {
  ClientOptions options;
  options.remote.max_attempts = 1;  // a write in flight at the kill fails
  options.remote.timeout = std::chrono::seconds(30);
  return options;
}

TEST(ServerKillTest, AcknowledgedWritesSurviveSigkillAtRandomPoints) {
  ScratchDir dir;
  ASSERT_FALSE(dir.path().empty());
  ProcessSpec spec;
  spec.program = COVE_SERVER_BIN;
  spec.args = {"--data", dir.path() + "/data", "--listen", "127.0.0.1:0"};
  spec.log_file = dir.path() + "/server.log";

  const uint64_t seed = std::random_device{}();
  std::printf("[ seed ] %llu\n", static_cast<unsigned long long>(seed));
  SCOPED_TRACE(absl::StrCat("seed ", seed));
  std::mt19937_64 rng(seed);

  constexpr int kRounds = 24;
  std::map<int64_t, int64_t> acked;  // id -> version of acknowledged writes
  std::optional<Op> in_flight;       // the write a kill interrupted
  int64_t next_id = 0;
  int64_t next_version = 1;
  int in_flight_applied = 0, in_flight_absent = 0;
  int64_t total_acked_ops = 0;

  for (int round = 0; round <= kRounds; ++round) {
    SCOPED_TRACE(absl::StrCat("round ", round));
    ASSERT_OK_AND_ASSIGN(auto server, ChildProcess::Start(spec));
    ASSERT_OK_AND_ASSIGN(
        Client client,
        Client::Open("http://" + server->address(), KillClientOptions()));
    if (round == 0) {
      ASSERT_OK(client.CreateCollection(kCollection,
                                        cove::testing::ReliabilitySchema(),
                                        {cove::testing::ReliabilityIndex()}));
    }
    // The state after the restart: the acknowledged writes, plus the write
    // in flight either entirely or not at all.
    ASSERT_OK_AND_ASSIGN(auto present,
                         cove::testing::ReadAll(client, kCollection));
    if (present != acked) {
      ASSERT_TRUE(in_flight.has_value())
          << "state differs from the acknowledged writes:"
          << Diff(present, acked);
      std::map<int64_t, int64_t> with = acked;
      in_flight->ApplyTo(&with);
      ASSERT_EQ(present, with)
          << "neither without nor with the write in flight ("
          << in_flight->ToString() << "):" << Diff(present, with);
      acked = std::move(with);
      ++in_flight_applied;
    } else if (in_flight.has_value()) {
      ++in_flight_absent;
    }
    in_flight.reset();
    QueryRequest count;
    count.collection_name = kCollection;
    count.output_fields = {"count(*)"};
    ASSERT_OK_AND_ASSIGN(auto counted, client.Query(count));
    EXPECT_EQ(counted.at(0).at("count(*)").AsInt(),
              static_cast<int64_t>(acked.size()));
    if (round == kRounds) {
      // A last, graceful stop: exit status 0.
      int status = server->Kill(SIGTERM);
      EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << status;
      break;
    }

    // A writer runs until the server dies under it.
    std::atomic<bool> killed{false};
    std::atomic<int> acked_ops{0};
    std::atomic<bool> writer_done{false};
    absl::Status writer_error;
    std::vector<int64_t> live;
    for (const auto& [id, v] : acked) live.push_back(id);
    std::mt19937_64 writer_rng(rng());
    std::thread writer([&] {
      while (true) {
        Op op;
        const int dice = static_cast<int>(writer_rng() % 100);
        if (live.size() < 10 || dice < 60) {
          op.kind = Op::kInsert;
          const int n = 1 + static_cast<int>(writer_rng() % 20);
          for (int i = 0; i < n; ++i) op.ids.push_back(next_id++);
        } else {
          op.kind = dice < 85 ? Op::kUpsert : Op::kDelete;
          const int n = 1 + static_cast<int>(writer_rng() % 10);
          std::vector<int64_t> picked;
          for (int i = 0; i < n; ++i) {
            picked.push_back(live[writer_rng() % live.size()]);
          }
          std::sort(picked.begin(), picked.end());
          picked.erase(std::unique(picked.begin(), picked.end()), picked.end());
          op.ids = picked;
        }
        op.version = op.kind == Op::kInsert ? 0 : next_version++;
        absl::Status s;
        if (op.kind == Op::kDelete) {
          std::vector<Value> ids;
          for (int64_t id : op.ids) ids.push_back(Value(id));
          s = client.Delete(kCollection, ids).status();
        } else {
          std::vector<Row> rows;
          for (int64_t id : op.ids) {
            rows.push_back(cove::testing::MakeRow(id, op.version));
          }
          s = op.kind == Op::kInsert
                  ? client.Insert(kCollection, rows).status()
                  : client.Upsert(kCollection, rows).status();
        }
        if (!s.ok()) {
          in_flight = op;
          if (!killed.load()) writer_error = s;
          writer_done = true;
          return;
        }
        op.ApplyTo(&acked);
        if (op.kind == Op::kInsert) {
          live.insert(live.end(), op.ids.begin(), op.ids.end());
        } else if (op.kind == Op::kDelete) {
          live.erase(std::remove_if(live.begin(), live.end(),
                                    [&](int64_t id) {
                                      return std::binary_search(
                                          op.ids.begin(), op.ids.end(), id);
                                    }),
                     live.end());
        }
        acked_ops++;
        if (killed.load()) {
          writer_done = true;
          return;
        }
      }
    });
    // The kill point: after a random number of acknowledged writes, then a
    // random delay (so kills land before, inside and after a write's log
    // append and its acknowledgement).
    const int wait_ops = static_cast<int>(rng() % 25);
    const auto until =
        std::chrono::steady_clock::now() + std::chrono::seconds(60);
    while (acked_ops.load() < wait_ops && !writer_done.load() &&
           std::chrono::steady_clock::now() < until) {
      std::this_thread::sleep_for(std::chrono::microseconds(200));
    }
    std::this_thread::sleep_for(std::chrono::microseconds(rng() % 3000));
    killed = true;
    const int status = server->Kill(SIGKILL);
    writer.join();
    ASSERT_OK(writer_error);
    EXPECT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL) << status;
    total_acked_ops += acked_ops.load();
  }
  std::printf(
      "[ kills ] %d SIGKILLs, %lld acknowledged writes, %zu rows at the end; "
      "the write in flight was present after %d kills and absent after %d\n",
      kRounds, static_cast<long long>(total_acked_ops), acked.size(),
      in_flight_applied, in_flight_absent);
}

}  // namespace
}  // namespace cove
