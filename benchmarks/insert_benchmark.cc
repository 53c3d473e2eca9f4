// Bulk-write benchmark: insert throughput into a data directory (the
// write-ahead log fsynced per acknowledged batch), through the embedded
// backend and through the remote backend to a cove-server running in this
// process over loopback with its own data directory.
//
//   insert_benchmark [--rows 20000] [--dim 768] [--batch 1000] [--reps 3]
//                    [--indexes none,flat,hnsw] [--backends embedded,remote]
//                    [--dir DIR] [--json FILE]
//
// For each repetition, backend and index kind a fresh collection (INT64
// primary key, FLOAT_VECTOR) receives `rows` rows in columnar batches of
// `batch`: rows per second of wall clock, and rows per CPU second of the
// whole process (client and, for remote, the server: they share the
// machine). `none` is a collection without an index (the write path
// alone), `flat` a FLAT index, `hnsw` HNSW M=16 efConstruction=200.
// Reported: the median over the repetitions.
#include <sys/resource.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <random>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "cove/cove.h"
#include "server/server.h"

namespace {

using Clock = std::chrono::steady_clock;

struct Args {
  int64_t rows = 20000;
  int64_t dim = 768;
  int64_t batch = 1000;
  int reps = 3;
  std::vector<std::string> indexes = {"none", "flat", "hnsw"};
  std::vector<std::string> backends = {"embedded", "remote"};
  std::string dir;
  std::string json;
};

double CpuSeconds() {
  rusage u;
  getrusage(RUSAGE_SELF, &u);
  return static_cast<double>(u.ru_utime.tv_sec + u.ru_stime.tv_sec) +
         static_cast<double>(u.ru_utime.tv_usec + u.ru_stime.tv_usec) * 1e-6;
}

double Median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v.empty() ? 0 : v[v.size() / 2];
}

struct Rate {
  double rows_per_s = 0;
  double rows_per_cpu_s = 0;
};

absl::StatusOr<Rate> InsertOnce(cove::Client& client, const Args& a,
                                const std::string& index,
                                const std::vector<float>& data) {
  const std::string name = "ins_" + index;
  if (auto has = client.HasCollection(name); has.ok() && *has) {
    if (auto s = client.DropCollection(name); !s.ok()) return s;
  }
  cove::CollectionSchema schema;
  cove::FieldSchema id;
  id.name = "id";
  id.type = cove::DataType::kInt64;
  id.is_primary_key = true;
  schema.AddField(id);
  cove::FieldSchema vec;
  vec.name = "vector";
  vec.type = cove::DataType::kFloatVector;
  vec.dim = a.dim;
  schema.AddField(vec);
  std::vector<cove::IndexSpec> specs;
  if (index != "none") {
    cove::IndexSpec spec;
    spec.field_name = "vector";
    spec.metric_type = cove::MetricType::kL2;
    if (index == "flat") {
      spec.index_type = cove::IndexType::kFlat;
    } else {
      spec.index_type = cove::IndexType::kHnsw;
      spec.params = {{"M", "16"}, {"efConstruction", "200"}};
    }
    specs.push_back(spec);
  }
  if (auto s = client.CreateCollection(name, schema, specs); !s.ok()) return s;

  const double cpu0 = CpuSeconds();
  const auto t0 = Clock::now();
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
  const double wall = std::chrono::duration<double>(Clock::now() - t0).count();
  const double cpu = CpuSeconds() - cpu0;
  if (auto s = client.DropCollection(name); !s.ok()) return s;
  Rate r;
  r.rows_per_s = static_cast<double>(a.rows) / wall;
  r.rows_per_cpu_s = static_cast<double>(a.rows) / cpu;
  return r;
}

std::vector<std::string> Split(const std::string& v) {
  std::vector<std::string> out;
  for (absl::string_view p : absl::StrSplit(v, ',')) out.emplace_back(p);
  return out;
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
    } else if (k == "--reps") {
      a.reps = std::stoi(v);
    } else if (k == "--indexes") {
      a.indexes = Split(v);
    } else if (k == "--backends") {
      a.backends = Split(v);
    } else if (k == "--dir") {
      a.dir = v;
    } else if (k == "--json") {
      a.json = v;
    } else {
      std::fprintf(stderr, "insert_benchmark: unknown option %s\n", k.c_str());
      return 2;
    }
  }
  namespace fs = std::filesystem;
  const fs::path base = a.dir.empty()
                            ? fs::temp_directory_path() /
                                  absl::StrCat("cove-insert-bench-", ::getpid())
                            : fs::path(a.dir);
  fs::remove_all(base);
  fs::create_directories(base);

  std::mt19937 rng(42);
  std::normal_distribution<float> g;
  std::vector<float> data(static_cast<size_t>(a.rows * a.dim));
  for (float& x : data) x = g(rng);

  std::map<std::string, std::unique_ptr<cove::Client>> clients;
  std::unique_ptr<cove::server::Server> server;
  for (const std::string& b : a.backends) {
    if (b == "embedded") {
      auto c = cove::Client::Open((base / "embedded").string());
      if (!c.ok()) {
        std::fprintf(stderr, "embedded: %s\n", c.status().ToString().c_str());
        return 1;
      }
      clients[b] = std::make_unique<cove::Client>(*std::move(c));
    } else if (b == "remote") {
      cove::server::ServerOptions so;
      so.listen_address = "127.0.0.1:0";
      so.data_dir = (base / "server").string();
      auto s = cove::server::StartServer(so);
      if (!s.ok()) {
        std::fprintf(stderr, "server: %s\n", s.status().ToString().c_str());
        return 1;
      }
      server = *std::move(s);
      auto c = cove::Client::Open(absl::StrCat("http://", server->address()));
      if (!c.ok()) {
        std::fprintf(stderr, "remote: %s\n", c.status().ToString().c_str());
        return 1;
      }
      clients[b] = std::make_unique<cove::Client>(*std::move(c));
    } else {
      std::fprintf(stderr, "insert_benchmark: unknown backend %s\n", b.c_str());
      return 2;
    }
  }
  std::printf(
      "%lld rows x %lld dims, batches of %lld, %d repetitions, data "
      "directories under %s (fsync per batch)\n",
      static_cast<long long>(a.rows), static_cast<long long>(a.dim),
      static_cast<long long>(a.batch), a.reps, base.c_str());

  // Repetitions outermost, so that a burst of load on the shared machine
  // spreads over every configuration instead of hitting one.
  std::map<std::pair<std::string, std::string>, std::vector<Rate>> rates;
  for (int rep = 0; rep < a.reps; ++rep) {
    for (const std::string& b : a.backends) {
      for (const std::string& index : a.indexes) {
        auto r = InsertOnce(*clients[b], a, index, data);
        if (!r.ok()) {
          std::fprintf(stderr, "%s / %s: %s\n", b.c_str(), index.c_str(),
                       r.status().ToString().c_str());
          return 1;
        }
        rates[{b, index}].push_back(*r);
      }
    }
  }
  std::printf("\n%-10s %-6s %14s %18s\n", "backend", "index", "rows/s",
              "rows per CPU s");
  nlohmann::json out = nlohmann::json::array();
  for (const std::string& b : a.backends) {
    for (const std::string& index : a.indexes) {
      std::vector<double> wall;
      std::vector<double> cpu;
      for (const Rate& r : rates[{b, index}]) {
        wall.push_back(r.rows_per_s);
        cpu.push_back(r.rows_per_cpu_s);
      }
      std::printf("%-10s %-6s %14.0f %18.0f\n", b.c_str(), index.c_str(),
                  Median(wall), Median(cpu));
      out.push_back({{"backend", b},
                     {"index", index},
                     {"rows_per_s", wall},
                     {"rows_per_cpu_s", cpu},
                     {"median_rows_per_s", Median(wall)},
                     {"median_rows_per_cpu_s", Median(cpu)}});
    }
  }
  clients.clear();
  if (server != nullptr) server->Shutdown();
  fs::remove_all(base);
  if (!a.json.empty()) std::ofstream(a.json) << out.dump(2) << "\n";
  return 0;
}
