// Collection benchmark: resident memory of one collection (segments and their
// indexes) with HNSW, HNSW_SQ and IVF_SQ8, and its search recall and QPS.
//
// Each index type runs in its own child process (fork), so that one
// measurement does not inherit the heap of another. A child:
//  1. generates the Gaussian mixture of ann_benchmark (same seed and formula:
//     1,000 centers drawn from N(0, 1), points at a center plus N(0, 0.25^2))
//     and computes exact ground truth with the FLAT index, then frees it;
//  2. measures its resident heap (RssAnon) and mapped-file pages (RssFile);
//  3. creates an engine collection (seal at --seal-rows, default 65,536; the
//     spill directory set as the embedded backend sets it for an unencrypted
//     data directory, unless --no-spill), inserts the rows in batches
//     regenerated from the same stream, waits for the index builds;
//  4. reports the growth of RssAnon and RssFile, the collection's own
//     accounting (heap bytes, bytes of float32 rows in mapped files), then
//     searches one query per request on one thread (thread CPU time) over a
//     sweep of ef / nprobe and reports recall@10 and QPS (median of --reps).
//
//   collection_benchmark [--n 200000] [--queries 1000] [--indexes
//       hnsw,hnsw-sq,ivf-sq8] [--spill-dir DIR] [--no-spill 1] [--reps 3]
//       [--threads 2] [--nlist 256]
#include <malloc.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <map>
#include <memory>
#include <random>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "embedded/requests.h"
#include "engine/build_pool.h"
#include "engine/collection.h"
#include "engine/indexes/flat_index.h"

namespace cove::bench {
namespace {

constexpr size_t kDim = 128;
constexpr size_t kClusters = 1000;

double ThreadSeconds() {
  timespec ts;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + ts.tv_nsec * 1e-9;
}

size_t StatusBytes(const std::string& field) {
  std::ifstream in("/proc/self/status");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind(field + ":", 0) == 0) {
      return std::stoull(line.substr(field.size() + 1)) * 1024;
    }
  }
  return 0;
}

// The mixture of ann_benchmark's Mixture(), as a stream: base rows first,
// then queries, drawn from one generator in the same order.
class MixtureStream {
 public:
  MixtureStream() : rng_(12345), centers_(kClusters * kDim) {
    for (float& c : centers_) c = unit_(rng_);
  }
  void Next(size_t count, std::vector<float>* out) {
    out->resize(count * kDim);
    std::uniform_int_distribution<size_t> pick(0, kClusters - 1);
    for (size_t i = 0; i < count; ++i) {
      const float* c = &centers_[pick(rng_) * kDim];
      for (size_t j = 0; j < kDim; ++j) {
        (*out)[i * kDim + j] = c[j] + 0.25f * unit_(rng_);
      }
    }
  }

 private:
  std::mt19937_64 rng_;
  std::normal_distribution<float> unit_{0.0f, 1.0f};
  std::vector<float> centers_;
};

CollectionSchema Schema() {
  CollectionSchema schema;
  FieldSchema id;
  id.name = "id";
  id.type = DataType::kInt64;
  id.is_primary_key = true;
  schema.AddField(id);
  FieldSchema vec;
  vec.name = "vector";
  vec.type = DataType::kFloatVector;
  vec.dim = kDim;
  schema.AddField(vec);
  return schema;
}

struct Options {
  size_t n = 200000;
  size_t nq = 1000;
  size_t seal_rows = 65536;
  std::string spill_dir = "/tmp";
  bool spill = true;
  int reps = 3;
  int threads = 2;
  int nlist = 256;
};

int RunOne(const std::string& name, const Options& opt) {
  IndexSpec spec;
  spec.field_name = "vector";
  spec.metric_type = MetricType::kL2;
  std::vector<int> widths;
  std::string width_name;
  if (name == "hnsw" || name == "hnsw-sq") {
    spec.index_type = name == "hnsw" ? IndexType::kHnsw : IndexType::kHnswSq;
    spec.params = {{"M", "16"}, {"efConstruction", "200"}};
    widths = {32, 48, 64, 96, 128};
    width_name = "ef";
  } else if (name == "ivf-sq8") {
    spec.index_type = IndexType::kIvfSq8;
    spec.params = {{"nlist", std::to_string(opt.nlist)}};
    widths = {4, 8, 16, 32, 64};
    width_name = "nprobe";
  } else {
    std::fprintf(stderr, "unknown index %s\n", name.c_str());
    return 2;
  }

  // 1. Data and exact ground truth (then freed).
  MixtureStream stream;
  std::vector<float> base;
  stream.Next(opt.n, &base);
  std::vector<float> queries;
  stream.Next(opt.nq, &queries);
  const size_t k = 10;
  std::vector<std::set<int64_t>> truth(opt.nq);
  {
    engine::IndexParams p;
    p.type = engine::IndexType::kFlat;
    p.metric = engine::Metric::kL2;
    p.dim = kDim;
    engine::FlatIndex flat(p);
    if (!flat.Build(base.data(), opt.n).ok()) std::abort();
    engine::IndexSearchParams sp;
    sp.k = k;
    auto results = flat.SearchBatch(queries.data(), opt.nq, sp);
    for (size_t q = 0; q < opt.nq; ++q) {
      for (const engine::Neighbor& nb : results[q]) truth[q].insert(nb.row);
    }
  }
  base = std::vector<float>();
  malloc_trim(0);

  // 2. Baseline.
  const size_t anon0 = StatusBytes("RssAnon");
  const size_t file0 = StatusBytes("RssFile");

  // 3. The collection.
  engine::CollectionContext context;
  context.segments.seal_rows = opt.seal_rows;
  context.pool = std::make_shared<engine::BuildPool>(opt.threads);
  if (opt.spill) context.spill_dir = opt.spill_dir;
  auto created = engine::Collection::Create(
      "bench", internal::ToEngineSchema(Schema()), 0, context);
  if (!created.ok()) return 1;
  std::unique_ptr<engine::Collection> c = *std::move(created);
  if (!internal::CreateIndexIn(*c, spec).ok() || !c->Load().ok()) return 1;
  MixtureStream again;  // the same rows, in batches
  std::vector<float> batch;
  const size_t kBatch = 5000;
  timespec w0;
  clock_gettime(CLOCK_MONOTONIC, &w0);
  for (size_t done = 0; done < opt.n; done += kBatch) {
    const size_t count = std::min(kBatch, opt.n - done);
    again.Next(count, &batch);
    InsertRequest request;
    for (size_t i = 0; i < count; ++i) {
      request.rows.push_back(Row{
          {"id", Value(static_cast<int64_t>(done + i))},
          {"vector",
           Value::FloatVector(std::vector<float>(
               batch.begin() + i * kDim, batch.begin() + (i + 1) * kDim))}});
    }
    if (!internal::InsertInto(*c, request, false).ok()) return 1;
  }
  c->WaitForIndexBuilds();
  timespec w1;
  clock_gettime(CLOCK_MONOTONIC, &w1);
  batch = std::vector<float>();
  malloc_trim(0);

  // 4. Memory.
  const double anon = static_cast<double>(StatusBytes("RssAnon")) - anon0;
  const double file = static_cast<double>(StatusBytes("RssFile")) - file0;
  size_t heap = 0, mapped = 0, sealed = 0;
  for (const engine::SegmentInfo& info : c->Segments()) {
    heap += info.memory_bytes;
    mapped += info.mapped_vector_bytes;
    sealed += info.sealed ? 1 : 0;
  }
  const double floats = static_cast<double>(opt.n) * kDim * sizeof(float);
  std::printf(
      "%-8s n=%zu: %zu sealed segments, insert+build %.1f s wall\n"
      "%-8s heap (RssAnon growth) %7.1f MB | collection heap %7.1f MB | "
      "float32 rows in mapped files %7.1f MB | RssFile growth %7.1f MB | "
      "float32 vectors alone %7.1f MB\n",
      name.c_str(), opt.n, sealed,
      (w1.tv_sec - w0.tv_sec) + (w1.tv_nsec - w0.tv_nsec) * 1e-9, name.c_str(),
      anon / 1e6, heap / 1e6, mapped / 1e6, file / 1e6, floats / 1e6);

  // 5. Searches: one query per request, one thread, thread CPU time.
  std::map<int, std::vector<double>> times;
  std::map<int, double> recall;
  for (int rep = 0; rep < opt.reps; ++rep) {
    for (int w : widths) {
      size_t hits = 0;
      const double t0 = ThreadSeconds();
      for (size_t q = 0; q < opt.nq; ++q) {
        SearchRequest request;
        request.vectors.assign(queries.begin() + q * kDim,
                               queries.begin() + (q + 1) * kDim);
        request.dim = kDim;
        request.limit = static_cast<int64_t>(k);
        request.params[width_name] = Value(static_cast<int64_t>(w));
        auto results = internal::SearchIn(*c, request);
        if (!results.ok()) {
          std::fprintf(stderr, "search: %s\n",
                       std::string(results.status().message()).c_str());
          return 1;
        }
        if (rep == 0) {
          for (const Hit& h : results->hits[0]) {
            hits += truth[q].count(h.id.AsInt());
          }
        }
      }
      times[w].push_back(ThreadSeconds() - t0);
      if (rep == 0) recall[w] = static_cast<double>(hits) / (opt.nq * k);
    }
  }
  for (int w : widths) {
    std::vector<double>& t = times[w];
    std::sort(t.begin(), t.end());
    std::printf("%-8s %-6s %4d recall@10 %.4f QPS %8.0f\n", name.c_str(),
                width_name.c_str(), w, recall[w], opt.nq / t[t.size() / 2]);
  }
  std::fflush(stdout);
  return 0;
}

}  // namespace
}  // namespace cove::bench

int main(int argc, char** argv) {
  using namespace cove::bench;
  Options opt;
  std::string indexes = "hnsw,hnsw-sq,ivf-sq8";
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string key = argv[i];
    const std::string value = argv[i + 1];
    if (key == "--n") {
      opt.n = std::stoul(value);
    } else if (key == "--queries") {
      opt.nq = std::stoul(value);
    } else if (key == "--indexes") {
      indexes = value;
    } else if (key == "--spill-dir") {
      opt.spill_dir = value;
    } else if (key == "--no-spill") {
      opt.spill = value != "1";
    } else if (key == "--reps") {
      opt.reps = std::stoi(value);
    } else if (key == "--threads") {
      opt.threads = std::stoi(value);
    } else if (key == "--nlist") {
      opt.nlist = std::stoi(value);
    } else if (key == "--seal-rows") {
      opt.seal_rows = std::stoul(value);
    } else {
      std::fprintf(stderr, "unknown option %s\n", key.c_str());
      return 2;
    }
  }
  std::printf(
      "collection of %zu x %zu (mixture), L2, seal at %zu rows, spill %s\n",
      opt.n, kDim, opt.seal_rows, opt.spill ? opt.spill_dir.c_str() : "off");
  std::fflush(stdout);
  std::stringstream ss(indexes);
  std::string name;
  int status = 0;
  while (std::getline(ss, name, ',')) {
    pid_t pid = fork();
    if (pid == 0) _exit(RunOne(name, opt));
    int st = 0;
    waitpid(pid, &st, 0);
    if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) status = 1;
  }
  return status;
}
