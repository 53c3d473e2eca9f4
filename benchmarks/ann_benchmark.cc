// ANN benchmark: Cove's indexes against hnswlib and FAISS in one process.
//
// For each data set: exact ground truth from Cove's FLAT index, then every
// index is built (2 threads, wall time and resident-memory growth measured),
// then searched one query at a time on one thread over a sweep of search
// widths. Repetitions of all (index, width) pairs are interleaved and timed
// with thread CPU time; medians are reported. The summary gives, per index,
// the QPS at the smallest width that reaches recall@10 >= 0.95 and its ratio
// to hnswlib's.
//
//   ann_benchmark --data DIR [--sets mixture,fashion-mnist,glove100k,...]
//                 [--mixture-n 1000000] [--reps 3] [--json out.json]
//                 [--indexes cove-hnsw,cove-hnsw-sq,hnswlib,...]
//                 [--cache DIR]  (reuse built indexes across runs)
//                 [--spill DIR]  (HNSW_SQ, IVF_SQ8, DISKANN: float32 in a
//                 mapped file)
//                 [--rerank N]   (HNSW_SQ, IVF_SQ8 re-rank depth; 0: default)
//                 [--attach 1]   (Cove indexes read the data set's rows, as
//                                 in a collection, instead of a copy)
//                 [--baseline hnswlib] [--target 0.95]  (the summary's
//                                 reference index and recall)
//   PQ indexes: cove-ivf-pq, cove-scann, faiss-ivfpq, faiss-ivfpq-fs, with
//   [--pq-m 0] (IVF_PQ codes per row; 0: Cove's default, dim / 4) and
//   [--pq-nbits 8]; SCANN and faiss-ivfpq-fs use dim / 2 codes of 4 bits
//   and re-rank --rerank candidates (0: Cove's default, max(3k, 32)).
#include <time.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iterator>
#include <map>
#include <memory>
#include <random>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "engine/indexes/diskann_index.h"
#include "engine/indexes/flat_index.h"
#include "engine/indexes/hnsw_index.h"
#include "engine/indexes/ivf_index.h"
#include "engine/indexes/ivf_pq.h"
#include "engine/indexes/vector_index.h"
#include "engine/kernels/distance.h"
#include "nlohmann/json.hpp"
#include "peers.h"

namespace cove::bench {
namespace {

double ThreadSeconds() {
  timespec ts;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + ts.tv_nsec * 1e-9;
}

double WallSeconds() {
  return std::chrono::duration<double>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

// A field of /proc/self/status in bytes: "VmRSS" (all resident memory),
// "RssAnon" (heap: what an index holds in RAM) or "RssFile" (resident pages
// of mapped files, e.g. HNSW_SQ's spilled float32 vectors).
size_t StatusBytes(const std::string& field = "VmRSS") {
  std::ifstream in("/proc/self/status");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind(field + ":", 0) == 0) {
      return std::stoull(line.substr(field.size() + 1)) * 1024;
    }
  }
  return 0;
}
size_t RssBytes() { return StatusBytes("VmRSS"); }

struct Dataset {
  std::string name;
  size_t dim = 0;
  bool ip = false;  // cosine on normalized vectors
  std::vector<float> base;
  std::vector<float> queries;
  size_t n() const { return base.size() / dim; }
  size_t nq() const { return queries.size() / dim; }
};

bool ReadFvecs(const std::string& path, std::vector<float>* out, size_t* dim) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return false;
  int32_t d = 0;
  std::vector<float> row;
  while (in.read(reinterpret_cast<char*>(&d), 4)) {
    row.resize(static_cast<size_t>(d));
    in.read(reinterpret_cast<char*>(row.data()), d * 4);
    out->insert(out->end(), row.begin(), row.end());
  }
  *dim = static_cast<size_t>(d);
  return !out->empty();
}

// A Gaussian mixture: `clusters` centers drawn from N(0, 1) per dimension,
// points at a center plus N(0, 0.25^2) noise; queries from the same mixture.
Dataset Mixture(size_t n, size_t nq, size_t dim, size_t clusters) {
  Dataset ds;
  ds.name = "mixture-" + std::to_string(n / 1000) + "k";
  ds.dim = dim;
  std::mt19937_64 rng(12345);
  std::normal_distribution<float> unit(0.0f, 1.0f);
  std::vector<float> centers(clusters * dim);
  for (float& c : centers) c = unit(rng);
  auto fill = [&](std::vector<float>* out, size_t count) {
    out->resize(count * dim);
    std::uniform_int_distribution<size_t> pick(0, clusters - 1);
    for (size_t i = 0; i < count; ++i) {
      const float* c = &centers[pick(rng) * dim];
      for (size_t j = 0; j < dim; ++j) {
        (*out)[i * dim + j] = c[j] + 0.25f * unit(rng);
      }
    }
  };
  fill(&ds.base, n);
  fill(&ds.queries, nq);
  return ds;
}

bool LoadSet(const std::string& dir, const std::string& name, bool ip,
             Dataset* ds) {
  size_t d1 = 0, d2 = 0;
  ds->name = name;
  ds->ip = ip;
  if (!ReadFvecs(dir + "/" + name + "_base.fvecs", &ds->base, &d1) ||
      !ReadFvecs(dir + "/" + name + "_query.fvecs", &ds->queries, &d2) ||
      d1 != d2) {
    return false;
  }
  ds->dim = d1;
  return true;
}

std::vector<int64_t> GroundTruth(const Dataset& ds, size_t k) {
  engine::IndexParams params;
  params.type = engine::IndexType::kFlat;
  params.metric = ds.ip ? engine::Metric::kIP : engine::Metric::kL2;
  params.dim = ds.dim;
  engine::FlatIndex flat(params);
  if (!flat.Build(ds.base.data(), ds.n()).ok()) std::abort();
  engine::IndexSearchParams sp;
  sp.k = k;
  auto results = flat.SearchBatch(ds.queries.data(), ds.nq(), sp);
  std::vector<int64_t> gt(ds.nq() * k, -1);
  for (size_t q = 0; q < ds.nq(); ++q) {
    for (size_t i = 0; i < results[q].size() && i < k; ++i) {
      gt[q * k + i] = results[q][i].row;
    }
  }
  return gt;
}

// Cove's engine indexes behind AnnIndex.
class CoveIndex : public AnnIndex {
 public:
  CoveIndex(std::string name, engine::IndexParams params, bool ivf,
            std::string spill_dir = "", int rerank = 0)
      : name_(std::move(name)),
        params_(params),
        ivf_(ivf),
        spill_dir_(std::move(spill_dir)),
        rerank_(rerank) {}
  std::string name() const override { return name_; }
  void Build(const float* data, size_t n, int threads) override {
    params_.build_threads = threads;
    auto index = engine::MakeIndex(params_);
    if (!index.ok()) {
      std::fprintf(stderr, "%s: %s\n", name_.c_str(),
                   std::string(index.status().message()).c_str());
      std::exit(1);
    }
    index_ = *std::move(index);
    absl::Status s = index_->Build(data, n);
    if (!s.ok()) {
      std::fprintf(stderr, "%s build: %s\n", name_.c_str(),
                   std::string(s.message()).c_str());
      std::exit(1);
    }
    if (attach_) {
      // As in a collection: the index reads rows it does not own, held in
      // a FloatRows like a sealed segment's (2 MiB pages), instead of its
      // own copy.
      auto rows = engine::FloatRows::Copy(data, n, params_.dim);
      engine::ExternalVectors v;
      v.data = rows->data();
      v.n = n;
      v.dim = params_.dim;
      v.owner = std::move(rows);
      s = index_->AttachVectors(v);
      if (!s.ok()) {
        std::fprintf(stderr, "%s attach: %s\n", name_.c_str(),
                     std::string(s.message()).c_str());
        std::exit(1);
      }
    }
  }
  void set_attach(bool attach) { attach_ = attach; }
  // HNSW_SQ and IVF_SQ8 with --spill DIR: the float32 vectors move to a
  // mapped file.
  void Spill() {
    if (spill_dir_.empty()) return;
    if (auto* ivf = dynamic_cast<engine::IvfIndex*>(index_.get())) {
      if (ivf->params().type != engine::IndexType::kIvfSq8) return;
      absl::Status s = ivf->SpillVectors(spill_dir_);
      if (!s.ok()) {
        std::fprintf(stderr, "%s spill: %s\n", name_.c_str(),
                     std::string(s.message()).c_str());
        std::exit(1);
      }
      std::printf(
          "%s: %.1f MB in memory (codes, lists, centroids), float32 %.1f MB "
          "in memory, %.1f MB in a mapped file\n",
          name_.c_str(), ivf->MemoryBytes() / 1e6, ivf->float_bytes() / 1e6,
          ivf->spilled_bytes() / 1e6);
      return;
    }
    if (auto* disk = dynamic_cast<engine::DiskAnnIndex*>(index_.get())) {
      absl::Status s = disk->SpillVectors(spill_dir_);
      if (!s.ok()) {
        std::fprintf(stderr, "%s spill: %s\n", name_.c_str(),
                     std::string(s.message()).c_str());
        std::exit(1);
      }
      std::printf(
          "%s: %.1f MB in memory (links, PQ codes), float32 in a mapped "
          "file\n",
          name_.c_str(), disk->MemoryBytes() / 1e6);
      return;
    }
    auto* hnsw = dynamic_cast<engine::HnswIndex*>(index_.get());
    if (hnsw == nullptr) return;
    absl::Status s = hnsw->SpillVectors(spill_dir_);
    if (!s.ok()) {
      std::fprintf(stderr, "%s spill: %s\n", name_.c_str(),
                   std::string(s.message()).c_str());
      std::exit(1);
    }
    auto m = hnsw->Memory();
    std::printf(
        "%s: graph %.1f MB + codes %.1f MB in memory, float32 %.1f MB in "
        "memory, %.1f MB in a mapped file\n",
        name_.c_str(), m.graph / 1e6, m.codes / 1e6, m.floats / 1e6,
        m.floats_on_disk / 1e6);
  }
  void Search(const float* query, size_t k, int ef, int64_t* labels) override {
    engine::IndexSearchParams sp;
    sp.k = k;
    sp.rerank = rerank_;
    if (ivf_) {
      sp.nprobe = ef;
    } else {
      sp.ef = ef;
    }
    auto hits = index_->Search(query, sp);
    for (size_t i = 0; i < k; ++i) {
      labels[i] = i < hits.size() ? hits[i].row : -1;
    }
  }
  size_t ReportedBytes() const override { return index_->MemoryBytes(); }
  bool Save(const std::string& path) override {
    std::string bytes;
    if (!index_->Save(&bytes).ok()) return false;
    std::ofstream out(path, std::ios::binary);
    out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
    return static_cast<bool>(out);
  }
  bool Load(const std::string& path) override {
    std::ifstream in(path, std::ios::binary);
    if (!in) return false;
    std::string bytes((std::istreambuf_iterator<char>(in)),
                      std::istreambuf_iterator<char>());
    auto index = engine::LoadIndex(bytes);
    if (!index.ok()) {
      std::fprintf(stderr, "%s: cache %s: %s\n", name_.c_str(), path.c_str(),
                   std::string(index.status().message()).c_str());
      return false;
    }
    index_ = *std::move(index);
    return true;
  }

 private:
  std::string name_;
  engine::IndexParams params_;
  bool ivf_;
  std::string spill_dir_;
  int rerank_;
  bool attach_ = false;
  std::unique_ptr<engine::VectorIndex> index_;
};

struct Point {
  std::string index;
  int ef;
  double recall;
  double qps;
};

std::vector<int> ParseInts(const std::string& s) {
  std::vector<int> out;
  std::stringstream ss(s);
  std::string item;
  while (std::getline(ss, item, ',')) out.push_back(std::stoi(item));
  return out;
}

std::vector<std::string> ParseList(const std::string& s) {
  std::vector<std::string> out;
  std::stringstream ss(s);
  std::string item;
  while (std::getline(ss, item, ',')) out.push_back(item);
  return out;
}

}  // namespace
}  // namespace cove::bench

int main(int argc, char** argv) {
  using namespace cove::bench;
  std::map<std::string, std::string> args = {
      {"--data", "build/bench-data"},
      {"--sets", "mixture,fashion-mnist,glove100k"},
      {"--mixture-n", "1000000"},
      {"--queries", "1000"},
      {"--indexes", "cove-hnsw,cove-hnsw-sq,hnswlib,faiss"},
      {"--efs", "10,16,24,32,48,64,96,128,192,256"},
      {"--nprobes", "1,2,4,8,16,32,64,128"},
      {"--reps", "3"},
      {"--k", "10"},
      {"--m", "16"},
      {"--efc", "200"},
      {"--threads", "2"},
      {"--json", ""},
      {"--cache", ""},
      {"--spill", ""},
      {"--rerank", "0"},
      {"--attach", "0"},
      {"--baseline", "hnswlib"},
      {"--target", "0.95"},
      {"--pq-m", "0"},
      {"--pq-nbits", "8"}};
  for (int i = 1; i + 1 < argc; i += 2) {
    if (args.count(argv[i]) == 0) {
      std::fprintf(stderr, "unknown option %s\n", argv[i]);
      return 2;
    }
    args[argv[i]] = argv[i + 1];
  }
  const size_t k = std::stoul(args["--k"]);
  const int m = std::stoi(args["--m"]);
  const int efc = std::stoi(args["--efc"]);
  const int threads = std::stoi(args["--threads"]);
  const int reps = std::stoi(args["--reps"]);
  const std::vector<int> efs = ParseInts(args["--efs"]);
  const std::vector<int> nprobes = ParseInts(args["--nprobes"]);
  std::printf("simd level: %s\n",
              cove::engine::SimdLevelName(cove::engine::ActiveSimdLevel()));
  nlohmann::json report = nlohmann::json::array();

  for (const std::string& set : ParseList(args["--sets"])) {
    Dataset ds;
    if (set == "mixture") {
      ds = Mixture(std::stoul(args["--mixture-n"]),
                   std::stoul(args["--queries"]), 128, 1000);
    } else {
      bool ip = set.find("glove") != std::string::npos;
      if (!LoadSet(args["--data"], set, ip, &ds)) {
        std::printf("\n== %s: skipped (run benchmarks/prepare_data.py %s)\n",
                    set.c_str(), args["--data"].c_str());
        continue;
      }
    }
    std::printf("\n== %s: %zu x %zu, %zu queries, %s, k=%zu, M=%d, efC=%d\n",
                ds.name.c_str(), ds.n(), ds.dim, ds.nq(),
                ds.ip ? "cosine" : "L2", k, m, efc);
    double t0 = WallSeconds();
    std::vector<int64_t> gt = GroundTruth(ds, k);
    std::printf("ground truth (FLAT, batched): %.1f s\n", WallSeconds() - t0);

    std::vector<std::unique_ptr<AnnIndex>> indexes;
    std::map<std::string, bool> is_ivf;
    for (const std::string& name : ParseList(args["--indexes"])) {
      cove::engine::IndexParams p;
      p.metric = ds.ip ? cove::engine::Metric::kIP : cove::engine::Metric::kL2;
      p.dim = ds.dim;
      p.m = m;
      p.ef_construction = efc;
      if (name.rfind("cove-", 0) == 0 && args["--cache"].empty() == false &&
          args["--attach"] == "1") {
        std::fprintf(stderr, "--attach needs built indexes (no --cache)\n");
        return 2;
      }
      if (name == "cove-hnsw") {
        p.type = cove::engine::IndexType::kHnsw;
        indexes.push_back(std::make_unique<CoveIndex>(name, p, false));
      } else if (name == "cove-hnsw-sq") {
        p.type = cove::engine::IndexType::kHnswSq;
        indexes.push_back(std::make_unique<CoveIndex>(
            name, p, false, args["--spill"], std::stoi(args["--rerank"])));
      } else if (name == "cove-ivf-sq8" || name == "cove-ivf-flat") {
        p.type = name == "cove-ivf-sq8" ? cove::engine::IndexType::kIvfSq8
                                        : cove::engine::IndexType::kIvfFlat;
        p.nlist = static_cast<int>(
            std::max<size_t>(16, 4 * std::sqrt(static_cast<double>(ds.n()))));
        indexes.push_back(std::make_unique<CoveIndex>(
            name, p, true, args["--spill"], std::stoi(args["--rerank"])));
        is_ivf[name] = true;
      } else if (name == "cove-ivf-pq" || name == "cove-scann" ||
                 name == "faiss-ivfpq" || name == "faiss-ivfpq-fs") {
        // The PQ indexes and their FAISS peers, on the same lists and code
        // geometry.
        const bool scann = name == "cove-scann" || name == "faiss-ivfpq-fs";
        p.type = scann ? cove::engine::IndexType::kScann
                       : cove::engine::IndexType::kIvfPq;
        p.nlist = static_cast<int>(
            std::max<size_t>(16, 4 * std::sqrt(static_cast<double>(ds.n()))));
        p.pq_m = std::stoi(args["--pq-m"]);
        p.pq_nbits = std::stoi(args["--pq-nbits"]);
        const size_t pq_m = cove::engine::IvfPqIndex::SubVectors(p);
        const int rerank = std::stoi(args["--rerank"]);
        const int depth =
            rerank > 0 ? rerank : static_cast<int>(std::max<size_t>(3 * k, 32));
        if (name == "faiss-ivfpq") {
          indexes.push_back(
              MakeFaissIvfPq(ds.dim, ds.ip, p.nlist, pq_m, p.pq_nbits));
        } else if (name == "faiss-ivfpq-fs") {
          indexes.push_back(
              MakeFaissIvfPqFastScan(ds.dim, ds.ip, p.nlist, pq_m, depth));
        } else {
          indexes.push_back(
              std::make_unique<CoveIndex>(name, p, true, "", rerank));
        }
        is_ivf[name] = true;
      } else if (name == "cove-diskann") {
        // --efs sweeps search_list; Milvus' build defaults.
        p.type = cove::engine::IndexType::kDiskAnn;
        indexes.push_back(
            std::make_unique<CoveIndex>(name, p, false, args["--spill"]));
      } else if (name == "hnswlib") {
        indexes.push_back(MakeHnswlib(ds.dim, ds.ip, ds.n(), m, efc));
      } else if (name == "faiss") {
        indexes.push_back(MakeFaissHnsw(ds.dim, ds.ip, m, efc));
      } else {
        std::fprintf(stderr, "unknown index %s\n", name.c_str());
        return 2;
      }
    }
    for (auto& index : indexes) {
      if (auto* cove_index = dynamic_cast<CoveIndex*>(index.get())) {
        cove_index->set_attach(args["--attach"] == "1");
      }
    }
    std::map<std::string, double> build_s, build_cpu, mem, mem_file;
    for (auto& index : indexes) {
      size_t rss0 = RssBytes();
      size_t file0 = StatusBytes("RssFile");
      double w0 = WallSeconds();
      clock_t c0 = clock();
      // --cache DIR: reuse an index built by an earlier run with the same
      // set, size and parameters (build figures then are those of loading).
      const std::string cache =
          args["--cache"].empty()
              ? std::string()
              : args["--cache"] + "/" + ds.name + "-" + index->name() + "-m" +
                    std::to_string(m) + "-efc" + std::to_string(efc) + ".idx";
      if (!cache.empty() && index->Load(cache)) {
        std::printf("loaded %s from %s\n", index->name().c_str(),
                    cache.c_str());
      } else {
        index->Build(ds.base.data(), ds.n(), threads);
        if (!cache.empty() && !index->Save(cache)) {
          std::printf("could not cache %s in %s\n", index->name().c_str(),
                      cache.c_str());
        }
      }
      build_s[index->name()] = WallSeconds() - w0;
      build_cpu[index->name()] =
          static_cast<double>(clock() - c0) / CLOCKS_PER_SEC;
      if (auto* cove_index = dynamic_cast<CoveIndex*>(index.get())) {
        cove_index->Spill();
      }
      mem[index->name()] = static_cast<double>(RssBytes()) - rss0;
      mem_file[index->name()] =
          static_cast<double>(StatusBytes("RssFile")) - file0;
      std::printf(
          "build %-14s %7.1f s wall, %7.1f s cpu, rss +%7.1f MB, "
          "reported %7.1f MB\n",
          index->name().c_str(), build_s[index->name()],
          build_cpu[index->name()], mem[index->name()] / 1e6,
          index->ReportedBytes() / 1e6);
    }

    // Interleaved repetitions: for each rep, every (index, width) pair.
    std::map<std::pair<std::string, int>, std::vector<double>> times;
    std::map<std::pair<std::string, int>, double> recalls;
    std::vector<int64_t> labels(k);
    for (int rep = 0; rep < reps; ++rep) {
      for (auto& index : indexes) {
        const auto& widths = is_ivf[index->name()] ? nprobes : efs;
        for (int ef : widths) {
          if (!is_ivf[index->name()] && ef < static_cast<int>(k)) continue;
          size_t hits = 0;
          double c0 = ThreadSeconds();
          for (size_t q = 0; q < ds.nq(); ++q) {
            index->Search(&ds.queries[q * ds.dim], k, ef, labels.data());
            if (rep == 0) {
              std::set<int64_t> truth(gt.begin() + q * k,
                                      gt.begin() + (q + 1) * k);
              for (int64_t l : labels) hits += truth.count(l);
            }
          }
          double elapsed = ThreadSeconds() - c0;
          times[{index->name(), ef}].push_back(elapsed);
          if (rep == 0) {
            recalls[{index->name(), ef}] =
                static_cast<double>(hits) / (ds.nq() * k);
          }
        }
      }
    }
    std::printf(
        "\nafter the searches: RssFile %.1f MB (pages of mapped files, e.g. "
        "spilled float32 vectors read for re-ranking)\n",
        StatusBytes("RssFile") / 1e6);
    std::vector<Point> points;
    std::printf("\n%-14s %6s %8s %10s\n", "index", "ef", "recall", "QPS");
    for (auto& [key, samples] : times) {
      std::sort(samples.begin(), samples.end());
      double median = samples[samples.size() / 2];
      Point p{key.first, key.second, recalls[key], ds.nq() / median};
      points.push_back(p);
      std::printf("%-14s %6d %8.4f %10.0f\n", p.index.c_str(), p.ef, p.recall,
                  p.qps);
    }
    // QPS at recall >= target: the fastest point that reaches it.
    const double target = std::stod(args["--target"]);
    const std::string baseline = args["--baseline"];
    std::map<std::string, Point> at95;
    for (const Point& p : points) {
      if (p.recall < target) continue;
      auto it = at95.find(p.index);
      if (it == at95.end() || p.qps > it->second.qps) at95[p.index] = p;
    }
    std::printf(
        "\nsummary (%s): QPS at recall@%zu >= %.2f, build and memory "
        "vs %s\n",
        ds.name.c_str(), k, target, baseline.c_str());
    std::printf("%-14s %6s %8s %10s %8s %9s %8s %9s %8s\n", "index", "ef",
                "recall", "QPS", "ratio", "build s", "ratio", "mem MB",
                "ratio");
    nlohmann::json set_json;
    set_json["dataset"] = ds.name;
    set_json["n"] = ds.n();
    set_json["dim"] = ds.dim;
    set_json["metric"] = ds.ip ? "cosine" : "L2";
    for (auto& index : indexes) {
      const std::string& name = index->name();
      nlohmann::json entry;
      entry["build_wall_s"] = build_s[name];
      entry["build_cpu_s"] = build_cpu[name];
      entry["rss_growth_bytes"] = mem[name];
      entry["rss_file_growth_bytes"] = mem_file[name];
      entry["reported_bytes"] = index->ReportedBytes();
      for (const Point& p : points) {
        if (p.index == name) {
          entry["curve"].push_back(
              {{"ef", p.ef}, {"recall", p.recall}, {"qps", p.qps}});
        }
      }
      auto hl = at95.find(baseline);
      auto me = at95.find(name);
      if (me != at95.end()) {
        entry["at95"] = {{"ef", me->second.ef},
                         {"recall", me->second.recall},
                         {"qps", me->second.qps}};
        double qps_ratio =
            hl != at95.end() ? me->second.qps / hl->second.qps : 0.0;
        double build_ratio =
            build_s.count(baseline) ? build_s[name] / build_s[baseline] : 0.0;
        double mem_ratio = mem.count(baseline) && mem[baseline] > 0
                               ? mem[name] / mem[baseline]
                               : 0.0;
        entry["qps_ratio_vs_" + baseline] = qps_ratio;
        entry["build_ratio_vs_" + baseline] = build_ratio;
        entry["mem_ratio_vs_" + baseline] = mem_ratio;
        std::printf("%-14s %6d %8.4f %10.0f %8.2f %9.1f %8.2f %9.1f %8.2f\n",
                    name.c_str(), me->second.ef, me->second.recall,
                    me->second.qps, qps_ratio, build_s[name], build_ratio,
                    mem[name] / 1e6, mem_ratio);
      } else {
        std::printf("%-14s never reached recall %.2f\n", name.c_str(), target);
      }
      set_json["indexes"][name] = entry;
    }
    report.push_back(set_json);
  }
  if (!args["--json"].empty()) {
    std::ofstream(args["--json"]) << report.dump(2) << "\n";
    std::printf("\nwrote %s\n", args["--json"].c_str());
  }
  return 0;
}
