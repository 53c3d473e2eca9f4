// Data-plane benchmark: the embedded backend against the remote backend
// talking Milvus v2 gRPC to a cove-server on loopback, and, for comparison,
// the official Node client (@zilliz/milvus2-sdk-node) against the same
// server.
//
//   remote_benchmark [--rows 20000] [--dim 768] [--batch 1000]
//                    [--queries 2000] [--inflight 1,2,4,8,16,32,64]
//                    [--node-script benchmarks/node_remote_bench.js]
//                    [--node-modules DIR] [--json FILE]
//
// For each backend: insert throughput (rows per second, columnar batches of
// `batch` rows), then searches (k=10, AUTOINDEX = HNSW, COSINE) with 1 to 64
// requests in flight: QPS (wall clock) and latency p50/p99 per request.
// The server runs in this process (auth on, in-memory data); on a 2-core
// machine client and server share the cores, which is the point of the
// comparison: the cost of the protocol, per backend and per client.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "cove/cove.h"
#include "server/server.h"

namespace {

using Clock = std::chrono::steady_clock;

double Seconds(Clock::time_point a, Clock::time_point b) {
  return std::chrono::duration<double>(b - a).count();
}

struct Args {
  int64_t rows = 20000;
  int64_t dim = 768;
  int64_t batch = 1000;
  int64_t queries = 2000;
  std::vector<int> inflight = {1, 2, 4, 8, 16, 32, 64};
  std::string node_script;
  std::string node_modules;
  std::string json;
};

struct SearchPoint {
  int inflight = 0;
  double qps = 0;
  double p50_ms = 0;
  double p99_ms = 0;
};

struct Result {
  std::string backend;
  double insert_rows_per_s = 0;
  std::vector<SearchPoint> search;
};

double Percentile(std::vector<double> v, double p) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  size_t i = static_cast<size_t>(p * static_cast<double>(v.size() - 1) + 0.5);
  return v[std::min(i, v.size() - 1)];
}

std::vector<float> Normalized(std::mt19937& rng, int64_t n, int64_t dim) {
  std::normal_distribution<float> g;
  std::vector<float> out(static_cast<size_t>(n * dim));
  for (int64_t i = 0; i < n; ++i) {
    float* v = out.data() + i * dim;
    double norm = 0;
    for (int64_t j = 0; j < dim; ++j) {
      v[j] = g(rng);
      norm += v[j] * v[j];
    }
    const float inv = static_cast<float>(1.0 / std::sqrt(norm));
    for (int64_t j = 0; j < dim; ++j) v[j] *= inv;
  }
  return out;
}

absl::StatusOr<Result> Run(const std::string& backend, cove::Client& client,
                           const Args& a, const std::vector<float>& data,
                           const std::vector<float>& queries) {
  Result r;
  r.backend = backend;
  const std::string name = "bench";
  if (auto has = client.HasCollection(name); has.ok() && *has) {
    if (auto s = client.DropCollection(name); !s.ok()) return s;
  }
  if (auto s = client.CreateCollection(name, a.dim); !s.ok()) return s;

  auto t0 = Clock::now();
  for (int64_t first = 0; first < a.rows; first += a.batch) {
    const int64_t n = std::min(a.batch, a.rows - first);
    cove::InsertRequest req;
    req.collection_name = name;
    std::vector<cove::Value> ids;
    ids.reserve(static_cast<size_t>(n));
    for (int64_t i = first; i < first + n; ++i) ids.emplace_back(i);
    req.columns.push_back(cove::Column::Scalars("id", std::move(ids)));
    req.columns.push_back(cove::Column::FloatVectors(
        "vector", static_cast<size_t>(a.dim),
        std::vector<float>(data.begin() + first * a.dim,
                           data.begin() + (first + n) * a.dim)));
    auto res = client.Insert(req);
    if (!res.ok()) return res.status();
  }
  r.insert_rows_per_s = static_cast<double>(a.rows) / Seconds(t0, Clock::now());

  const int64_t nq = static_cast<int64_t>(queries.size()) / a.dim;
  for (int c : a.inflight) {
    const int64_t total = std::max<int64_t>(a.queries, 20 * c);
    std::vector<std::vector<double>> lat(static_cast<size_t>(c));
    std::vector<absl::Status> errors(static_cast<size_t>(c));
    std::vector<std::thread> threads;
    auto start = Clock::now();
    for (int t = 0; t < c; ++t) {
      threads.emplace_back([&, t] {
        for (int64_t i = t; i < total; i += c) {
          cove::SearchRequest s;
          s.collection_name = name;
          s.dim = a.dim;
          const float* q = queries.data() + (i % nq) * a.dim;
          s.vectors.assign(q, q + a.dim);
          s.limit = 10;
          auto q0 = Clock::now();
          auto res = client.Search(s);
          lat[t].push_back(Seconds(q0, Clock::now()) * 1e3);
          if (!res.ok()) {
            errors[t] = res.status();
            return;
          }
        }
      });
    }
    for (auto& th : threads) th.join();
    const double wall = Seconds(start, Clock::now());
    for (const absl::Status& e : errors) {
      if (!e.ok()) return e;
    }
    std::vector<double> all;
    for (const auto& l : lat) all.insert(all.end(), l.begin(), l.end());
    r.search.push_back({c, static_cast<double>(total) / wall,
                        Percentile(all, 0.50), Percentile(all, 0.99)});
  }
  if (auto s = client.DropCollection(name); !s.ok()) return s;
  return r;
}

// Runs the Node client workload; it prints one JSON object on its last line.
absl::StatusOr<Result> RunNode(const Args& a, const std::string& address,
                               const std::string& password) {
  std::string inflight;
  for (int c : a.inflight)
    absl::StrAppend(&inflight, inflight.empty() ? "" : ",", c);
  const std::string cmd =
      absl::StrCat("NODE_PATH='", a.node_modules, "' node '", a.node_script,
                   "' ", address, " '", password, "' ", a.rows, " ", a.dim, " ",
                   a.batch, " ", a.queries, " ", inflight);
  FILE* pipe = popen(cmd.c_str(), "r");
  if (pipe == nullptr) return absl::InternalError("node: popen failed");
  std::string out;
  char buf[4096];
  while (size_t n = fread(buf, 1, sizeof(buf), pipe)) out.append(buf, n);
  const int rc = pclose(pipe);
  if (rc != 0) {
    return absl::InternalError(
        absl::StrCat("node exited with ", rc, ": ", out));
  }
  std::vector<std::string> lines = absl::StrSplit(out, '\n', absl::SkipEmpty());
  if (lines.empty()) return absl::InternalError("node: no output");
  nlohmann::json j = nlohmann::json::parse(lines.back(), nullptr, false);
  if (j.is_discarded()) {
    return absl::InternalError(absl::StrCat("node: bad output: ", out));
  }
  Result r;
  r.backend = "node-sdk -> cove-server";
  r.insert_rows_per_s = j.at("insert_rows_per_s").get<double>();
  for (const auto& p : j.at("search")) {
    r.search.push_back({p.at("inflight").get<int>(), p.at("qps").get<double>(),
                        p.at("p50_ms").get<double>(),
                        p.at("p99_ms").get<double>()});
  }
  return r;
}

}  // namespace

int main(int argc, char** argv) {
  Args a;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string k = argv[i];
    const std::string v = argv[i + 1];
    if (k == "--rows") {
      a.rows = std::stoll(v);
    } else if (k == "--dim") {
      a.dim = std::stoll(v);
    } else if (k == "--batch") {
      a.batch = std::stoll(v);
    } else if (k == "--queries") {
      a.queries = std::stoll(v);
    } else if (k == "--inflight") {
      a.inflight.clear();
      for (absl::string_view p : absl::StrSplit(v, ',')) {
        a.inflight.push_back(std::stoi(std::string(p)));
      }
    } else if (k == "--node-script") {
      a.node_script = v;
    } else if (k == "--node-modules") {
      a.node_modules = v;
    } else if (k == "--json") {
      a.json = v;
    } else {
      std::fprintf(stderr, "remote_benchmark: unknown option %s\n", k.c_str());
      return 2;
    }
  }
  std::mt19937 rng(42);
  const std::vector<float> data = Normalized(rng, a.rows, a.dim);
  const std::vector<float> queries = Normalized(rng, 1000, a.dim);

  const std::string password = "bench-root-pw";
  cove::server::ServerOptions so;
  so.listen_address = "127.0.0.1:0";
  so.auth_enabled = true;
  so.root_password = password;
  auto server = cove::server::StartServer(so);
  if (!server.ok()) {
    std::fprintf(stderr, "server: %s\n", server.status().ToString().c_str());
    return 1;
  }
  std::printf(
      "cove-server (in process) on %s; %lld rows x %lld dims, "
      "batches of %lld\n",
      (*server)->address().c_str(), static_cast<long long>(a.rows),
      static_cast<long long>(a.dim), static_cast<long long>(a.batch));

  std::vector<Result> results;
  {
    auto embedded = cove::Client::Open(":memory:");
    if (!embedded.ok()) return 1;
    auto r = Run("embedded", *embedded, a, data, queries);
    if (!r.ok()) {
      std::fprintf(stderr, "embedded: %s\n", r.status().ToString().c_str());
      return 1;
    }
    results.push_back(*r);
  }
  {
    cove::ClientOptions co;
    co.remote.user = "root";
    co.remote.password = password;
    auto remote =
        cove::Client::Open(absl::StrCat("http://", (*server)->address()), co);
    if (!remote.ok()) return 1;
    auto r = Run("remote -> cove-server", *remote, a, data, queries);
    if (!r.ok()) {
      std::fprintf(stderr, "remote: %s\n", r.status().ToString().c_str());
      return 1;
    }
    results.push_back(*r);
  }
  if (!a.node_script.empty()) {
    auto r = RunNode(a, (*server)->address(), password);
    if (!r.ok()) {
      std::fprintf(stderr, "node: %s (skipped)\n",
                   r.status().ToString().c_str());
    } else {
      results.push_back(*r);
    }
  }

  std::printf("\n%-24s %14s\n", "backend", "insert rows/s");
  for (const Result& r : results) {
    std::printf("%-24s %14.0f\n", r.backend.c_str(), r.insert_rows_per_s);
  }
  std::printf("\n%-24s %8s %10s %9s %9s\n", "backend", "inflight", "QPS",
              "p50 ms", "p99 ms");
  for (const Result& r : results) {
    for (const SearchPoint& p : r.search) {
      std::printf("%-24s %8d %10.0f %9.2f %9.2f\n", r.backend.c_str(),
                  p.inflight, p.qps, p.p50_ms, p.p99_ms);
    }
  }
  if (!a.json.empty()) {
    nlohmann::json out;
    out["rows"] = a.rows;
    out["dim"] = a.dim;
    out["batch"] = a.batch;
    for (const Result& r : results) {
      nlohmann::json jr;
      jr["backend"] = r.backend;
      jr["insert_rows_per_s"] = r.insert_rows_per_s;
      for (const SearchPoint& p : r.search) {
        jr["search"].push_back({{"inflight", p.inflight},
                                {"qps", p.qps},
                                {"p50_ms", p.p50_ms},
                                {"p99_ms", p.p99_ms}});
      }
      out["results"].push_back(jr);
    }
    std::ofstream(a.json) << out.dump(2) << "\n";
    std::printf("\nwrote %s\n", a.json.c_str());
  }
  (*server)->Shutdown();
  return 0;
}
