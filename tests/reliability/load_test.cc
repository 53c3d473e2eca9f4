// Load: many concurrent clients against a real cove-server process on
// loopback, each with its own Client and asynchronous reads in flight, doing
// a bounded mix of insert, upsert, delete, search, query and get. Asserts
// zero errors, a final state equal to the clients' oracles, and a stable
// server RSS (VmRSS after a warm-up phase vs. at the end, within a bound
// documented in docs/reliability.md); prints p50/p99 latency and throughput
// (reported, never asserted: timing depends on the machine).
#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <map>
#include <mutex>
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
using ::cove::testing::kUnderSanitizer;
using ::cove::testing::ProcessSpec;
using ::cove::testing::ScratchDir;
using Clock = std::chrono::steady_clock;

constexpr char kCollection[] = "load_docs";
constexpr int kMaxInFlight = 4;   // asynchronous reads per client
constexpr size_t kLiveCap = 200;  // rows per client before deletes win
constexpr int64_t kIdStride = 10'000'000;

enum OpKind {
  kInsert,
  kUpsert,
  kDelete,
  kSearch,
  kQuery,
  kGet,
  kCount,
  kKinds
};
const char* const kKindNames[kKinds] = {"insert", "upsert", "delete", "search",
                                        "query",  "get",    "count"};

// Latencies (microseconds) and errors of the whole test, by kind.
struct Stats {
  std::mutex mu;
  std::vector<int64_t> micros[kKinds];
  int64_t errors = 0;
  std::vector<std::string> first_errors;

  void Record(OpKind kind, Clock::time_point start, const absl::Status& s) {
    const int64_t us = std::chrono::duration_cast<std::chrono::microseconds>(
                           Clock::now() - start)
                           .count();
    std::lock_guard<std::mutex> lock(mu);
    micros[kind].push_back(us);
    if (!s.ok()) {
      ++errors;
      if (first_errors.size() < 10) {
        first_errors.push_back(
            absl::StrCat(kKindNames[kind], ": ", s.ToString()));
      }
    }
  }
  void Clear() {
    std::lock_guard<std::mutex> lock(mu);
    for (auto& v : micros) v.clear();
  }
};

double Percentile(std::vector<int64_t> v, double p) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  size_t i = static_cast<size_t>(p * static_cast<double>(v.size() - 1) + 0.5);
  return static_cast<double>(v[std::min(i, v.size() - 1)]) / 1000.0;
}

// One client: its own Client, its own id range and oracle (id -> version).
class LoadClient {
 public:
  LoadClient(int index, Client client, Stats* stats, uint64_t seed)
      : index_(index),
        stats_(stats),
        rng_(seed),
        next_id_(index * kIdStride),
        client_(std::move(client)) {}

  // Runs `ops` operations, then waits for its asynchronous reads.
  void Run(int ops) {
    for (int i = 0; i < ops; ++i) Step();
    std::unique_lock<std::mutex> lock(mu_);
    cv_.wait(lock, [&] { return in_flight_ == 0; });
  }

  const std::map<int64_t, int64_t>& oracle() const { return oracle_; }

 private:
  void Step() {
    int dice = static_cast<int>(rng_() % 100);
    if (live_.size() < 5) dice = 0;                        // insert
    if (dice < 25 && live_.size() >= kLiveCap) dice = 40;  // delete instead
    if (dice < 25) {
      Write(kInsert, 1 + static_cast<int>(rng_() % 8));
    } else if (dice < 35) {
      Write(kUpsert, 1 + static_cast<int>(rng_() % 4));
    } else if (dice < 45) {
      Write(kDelete, 1 + static_cast<int>(rng_() % 4));
    } else if (dice < 65) {
      AsyncSearch();
    } else if (dice < 75) {
      AsyncQuery();
    } else if (dice < 88) {
      Get();
    } else {
      Count();
    }
  }

  std::vector<int64_t> PickLive(int n) {
    std::vector<int64_t> ids;
    for (int i = 0; i < n; ++i) ids.push_back(live_[rng_() % live_.size()]);
    std::sort(ids.begin(), ids.end());
    ids.erase(std::unique(ids.begin(), ids.end()), ids.end());
    return ids;
  }

  void Write(OpKind kind, int n) {
    std::vector<int64_t> ids;
    if (kind == kInsert) {
      for (int i = 0; i < n; ++i) ids.push_back(next_id_++);
    } else {
      ids = PickLive(n);
    }
    const int64_t version = kind == kInsert ? 0 : ++next_version_;
    const auto start = Clock::now();
    absl::Status s;
    if (kind == kDelete) {
      std::vector<Value> keys;
      for (int64_t id : ids) keys.push_back(Value(id));
      auto r = client_.Delete(kCollection, keys);
      s = r.status();
      if (r.ok() && r->count != static_cast<int64_t>(ids.size())) {
        s = absl::InternalError(
            absl::StrCat("delete count ", r->count, ", want ", ids.size()));
      }
    } else {
      std::vector<Row> rows;
      for (int64_t id : ids)
        rows.push_back(cove::testing::MakeRow(id, version));
      auto r = kind == kInsert ? client_.Insert(kCollection, rows)
                               : client_.Upsert(kCollection, rows);
      s = r.status();
    }
    stats_->Record(kind, start, s);
    if (!s.ok()) return;
    for (int64_t id : ids) {
      if (kind == kDelete) {
        oracle_.erase(id);
      } else {
        oracle_[id] = version;
      }
    }
    if (kind == kInsert) {
      live_.insert(live_.end(), ids.begin(), ids.end());
    } else if (kind == kDelete) {
      live_.erase(std::remove_if(live_.begin(), live_.end(),
                                 [&](int64_t id) {
                                   return std::binary_search(ids.begin(),
                                                             ids.end(), id);
                                 }),
                  live_.end());
    }
  }

  // Waits for a free slot among the asynchronous reads.
  void Acquire() {
    std::unique_lock<std::mutex> lock(mu_);
    cv_.wait(lock, [&] { return in_flight_ < kMaxInFlight; });
    ++in_flight_;
  }
  void Release() {
    std::lock_guard<std::mutex> lock(mu_);
    --in_flight_;
    cv_.notify_all();
  }

  void AsyncSearch() {
    SearchRequest req;
    req.collection_name = kCollection;
    req.vectors = cove::testing::VectorOf(static_cast<int64_t>(rng_() % 5000),
                                          static_cast<int64_t>(rng_() % 7));
    req.dim = cove::testing::kVecDim;
    req.limit = 10;
    if (rng_() % 2 == 0) req.filter = "version >= 0";
    req.output_fields = {"tag", "version"};
    Acquire();
    const auto start = Clock::now();
    client_.SearchAsync(req, [this, start](absl::StatusOr<SearchResults> r) {
      absl::Status s = r.status();
      if (r.ok() && (r->hits.size() != 1 || r->hits[0].empty() ||
                     r->hits[0].size() > 10)) {
        s = absl::InternalError("search: wrong number of hits");
      }
      if (r.ok() && s.ok()) {
        for (const Hit& h : r->hits[0]) {
          if (h.entity.at("tag").AsString() !=
              cove::testing::TagOf(h.id.AsInt(),
                                   h.entity.at("version").AsInt())) {
            s = absl::InternalError("search: a hit's fields do not match");
          }
        }
      }
      stats_->Record(kSearch, start, s);
      Release();
    });
  }

  void AsyncQuery() {
    QueryRequest req;
    req.collection_name = kCollection;
    const int64_t from = (rng_() % 24) * kIdStride;
    req.filter = absl::StrCat("id >= ", from, " and id < ", from + kIdStride,
                              " and version >= 0");
    req.output_fields = {"id", "tag", "version"};
    req.limit = 20;
    Acquire();
    const auto start = Clock::now();
    client_.QueryAsync(req, [this, start](absl::StatusOr<std::vector<Row>> r) {
      absl::Status s = r.status();
      if (r.ok()) {
        for (const Row& row : *r) {
          if (row.at("tag").AsString() !=
              cove::testing::TagOf(row.at("id").AsInt(),
                                   row.at("version").AsInt())) {
            s = absl::InternalError("query: a row's fields do not match");
          }
        }
      }
      stats_->Record(kQuery, start, s);
      Release();
    });
  }

  // Reads back own rows: they must be exactly as last written.
  void Get() {
    std::vector<int64_t> ids = PickLive(1 + static_cast<int>(rng_() % 5));
    std::vector<Value> keys;
    for (int64_t id : ids) keys.push_back(Value(id));
    const auto start = Clock::now();
    auto r = client_.Get(kCollection, keys, {"id", "vector", "tag", "version"});
    absl::Status s = r.status();
    if (r.ok()) {
      if (r->size() != ids.size()) {
        s = absl::InternalError(absl::StrCat("get: ", r->size(), " rows for ",
                                             ids.size(), " live ids"));
      }
      for (const Row& row : *r) {
        const int64_t id = row.at("id").AsInt();
        std::string problem = cove::testing::CheckRow(row);
        if (!problem.empty()) s = absl::InternalError("get: " + problem);
        if (row.at("version").AsInt() != oracle_[id]) {
          s = absl::InternalError(absl::StrCat("get: id ", id, " has version ",
                                               row.at("version").AsInt(),
                                               ", want ", oracle_[id]));
        }
      }
    }
    stats_->Record(kGet, start, s);
  }

  // count(*) over own id range equals the oracle's size.
  void Count() {
    QueryRequest req;
    req.collection_name = kCollection;
    req.filter = absl::StrCat("id >= ", index_ * kIdStride, " and id < ",
                              (index_ + 1) * kIdStride);
    req.output_fields = {"count(*)"};
    const auto start = Clock::now();
    auto r = client_.Query(req);
    absl::Status s = r.status();
    if (r.ok() && r->at(0).at("count(*)").AsInt() !=
                      static_cast<int64_t>(oracle_.size())) {
      s = absl::InternalError(
          absl::StrCat("count: ", r->at(0).at("count(*)").AsInt(), ", want ",
                       oracle_.size()));
    }
    stats_->Record(kCount, start, s);
  }

  const int index_;
  Stats* stats_;
  std::mt19937_64 rng_;
  int64_t next_id_;
  int64_t next_version_ = 0;
  std::map<int64_t, int64_t> oracle_;
  std::vector<int64_t> live_;
  std::mutex mu_;
  std::condition_variable cv_;
  int in_flight_ = 0;
  // Last: destroying it waits for the callbacks still running, which use
  // the members above.
  Client client_;
};

TEST(LoadTest, ConcurrentClientsZeroErrorsStableMemory) {
  const int kClients = kUnderSanitizer ? 8 : 24;
  const int kWarmupOps = kUnderSanitizer ? 30 : 100;
  const int kMainOps = kUnderSanitizer ? 90 : 300;

  ScratchDir dir;
  ASSERT_FALSE(dir.path().empty());
  ProcessSpec spec;
  spec.program = COVE_SERVER_BIN;
  spec.args = {"--data", dir.path() + "/data", "--listen", "127.0.0.1:0"};
  spec.log_file = dir.path() + "/server.log";
  ASSERT_OK_AND_ASSIGN(auto server, ChildProcess::Start(spec));
  const std::string uri = "http://" + server->address();
  const int64_t rss_start = server->ResidentBytes();
  {
    ASSERT_OK_AND_ASSIGN(Client admin, Client::Open(uri));
    ASSERT_OK(admin.CreateCollection(kCollection,
                                     cove::testing::ReliabilitySchema(),
                                     {cove::testing::ReliabilityIndex()}));
  }

  Stats stats;
  std::vector<std::unique_ptr<LoadClient>> clients;
  const uint64_t seed = std::random_device{}();
  std::printf("[ seed ] %llu\n", static_cast<unsigned long long>(seed));
  for (int i = 0; i < kClients; ++i) {
    ClientOptions options;
    options.remote.timeout = std::chrono::seconds(60);
    ASSERT_OK_AND_ASSIGN(Client c, Client::Open(uri, options));
    clients.push_back(
        std::make_unique<LoadClient>(i, std::move(c), &stats, seed + i));
  }
  auto phase = [&](int ops) {
    std::vector<std::thread> threads;
    for (auto& c : clients) {
      threads.emplace_back([&c, ops] { c->Run(ops); });
    }
    for (auto& t : threads) t.join();
  };

  phase(kWarmupOps);
  const int64_t rss_warm = server->ResidentBytes();
  stats.Clear();
  const auto main_start = Clock::now();
  phase(kMainOps);
  const double seconds =
      std::chrono::duration<double>(Clock::now() - main_start).count();
  const int64_t rss_end = server->ResidentBytes();

  {
    std::lock_guard<std::mutex> lock(stats.mu);
    EXPECT_EQ(stats.errors, 0);
    for (const std::string& e : stats.first_errors) ADD_FAILURE() << e;
  }

  // The final state is the union of the clients' oracles, row for row.
  std::map<int64_t, int64_t> want;
  for (const auto& c : clients) {
    want.insert(c->oracle().begin(), c->oracle().end());
  }
  ASSERT_OK_AND_ASSIGN(Client check, Client::Open(uri));
  ASSERT_OK_AND_ASSIGN(auto present,
                       cove::testing::ReadAll(check, kCollection));
  EXPECT_EQ(present.size(), want.size());
  EXPECT_TRUE(present == want) << "the final state differs from the oracles";
  QueryRequest count;
  count.collection_name = kCollection;
  count.output_fields = {"count(*)"};
  ASSERT_OK_AND_ASSIGN(auto counted, check.Query(count));
  EXPECT_EQ(counted.at(0).at("count(*)").AsInt(),
            static_cast<int64_t>(want.size()));

  // Report.
  std::vector<int64_t> all;
  int64_t total = 0;
  std::printf(
      "[ load ] %d clients x %d ops (+%d warm-up each), %d async reads "
      "in flight per client%s\n",
      kClients, kMainOps, kWarmupOps, kMaxInFlight,
      kUnderSanitizer ? " (sanitizer build: scaled down)" : "");
  for (int k = 0; k < kKinds; ++k) {
    const auto& v = stats.micros[k];
    total += static_cast<int64_t>(v.size());
    all.insert(all.end(), v.begin(), v.end());
    std::printf("[ load ] %-7s %6zu ops  p50 %8.2f ms  p99 %8.2f ms\n",
                kKindNames[k], v.size(), Percentile(v, 0.50),
                Percentile(v, 0.99));
  }
  std::printf(
      "[ load ] all     %6lld ops  p50 %8.2f ms  p99 %8.2f ms  "
      "%.0f ops/s over %.1f s; %zu rows at the end\n",
      static_cast<long long>(total), Percentile(all, 0.50),
      Percentile(all, 0.99), static_cast<double>(total) / seconds, seconds,
      want.size());
  std::printf(
      "[ load ] server RSS: %.1f MiB at start, %.1f MiB after warm-up, "
      "%.1f MiB at the end (%+.1f%%)\n",
      rss_start / 1048576.0, rss_warm / 1048576.0, rss_end / 1048576.0,
      100.0 * static_cast<double>(rss_end - rss_warm) /
          static_cast<double>(rss_warm));

  // Memory is stable: after the warm-up the server may grow by the rows the
  // main phase leaves (a few MiB) and allocator noise: at most 25% or
  // 16 MiB, whichever is larger (a leak of 2 KiB per operation fails). Not
  // checked under sanitizers (ASan's quarantine holds up to 256 MiB of freed
  // memory by design).
  ASSERT_GT(rss_warm, 0);
  ASSERT_GT(rss_end, 0);
  if (!kUnderSanitizer) {
    const int64_t bound = std::max<int64_t>(rss_warm / 4, int64_t{16} << 20);
    EXPECT_LE(rss_end - rss_warm, bound)
        << "server RSS grew from " << rss_warm << " to " << rss_end;
  }
  const int status = server->Kill(SIGTERM);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << status;
}

}  // namespace
}  // namespace cove
