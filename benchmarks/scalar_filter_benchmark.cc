// Scalar index benchmark: selective filters on a collection of 1M rows,
// queried and searched without a scalar index and with each index type that
// takes the field, as QPS and ratios to the unindexed run.
//
// The collection (engine level, one process): an INT64 primary key, `k`
// INT64 uniform in [0, 1000) (`k == 500` selects ~0.1%), `r` INT64 uniform
// in [0, 1e6) (`1000 <= r < 2000`: ~0.1%), `c` VARCHAR of 1,000 words
// "w0".."w999" (`c in [three words]`: ~0.3%; `c like "w99%"`: ~1.1%), `flag`
// BOOL, and an 8-dimensional FLAT vector. Every segment is sealed before the
// measurements (as after a flush), so filters run against sealed segments
// only. For each filter and index type: the index is created, built
// (waited for), the filter queried (all matching ids) and searched (top 10
// among the matching rows), each --reps times on one thread, and the index
// dropped; the results are checked equal to the unindexed ones.
//
//   scalar_filter_benchmark [--n 1000000] [--reps 50] [--seal-rows 65536]
//
// With --partition-key P: partition key pruning instead. Two collections of
// --n rows with the same data, one plain and one with `k` as its partition
// key over P partitions (Milvus' partition key mode: rows hashed by `k`
// into _default_0 .. _default_{P-1}); filters that pin `k` read only their
// partitions there. Each filter is measured on the plain collection, on the
// partition key one with pruning off (the rows spread, every partition
// read) and with pruning on; the results are checked equal.
//
//   scalar_filter_benchmark --partition-key 64 --n 200000 [--reps 200]
#include <time.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "engine/build_pool.h"
#include "engine/collection.h"

namespace cove::bench {
namespace {

using engine::Collection;
using engine::DataType;
using engine::FieldDef;
using engine::IndexDef;
using engine::IndexKind;

double Now() {
  return std::chrono::duration<double>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

FieldDef Field(const std::string& name, DataType type) {
  FieldDef f;
  f.name = name;
  f.type = type;
  if (type == DataType::kVarChar) f.max_length = 16;
  if (type == DataType::kFloatVector) f.dim = 8;
  return f;
}

struct Timing {
  double query_qps = 0;
  double search_qps = 0;
  size_t rows = 0;
  std::vector<int64_t> ids;
  std::vector<float> scores;
};

Timing Measure(const Collection& c, const std::string& filter, int reps) {
  Timing t;
  auto compiled = c.CompileFilter(filter, {});
  if (!compiled.ok()) {
    std::fprintf(stderr, "%s\n", compiled.status().ToString().c_str());
    std::exit(1);
  }
  engine::QuerySpec q;
  q.filter = &*compiled;
  double start = Now();
  for (int i = 0; i < reps; ++i) {
    auto rows = c.Query(q);
    if (!rows.ok()) std::exit(1);
    if (i == 0) {
      t.rows = rows->rows.size();
      for (const auto& ref : rows->rows) {
        t.ids.push_back(c.ValueAt(*rows->state, ref, 0).AsInt());
      }
    }
  }
  t.query_qps = reps / (Now() - start);
  const float query[8] = {0.5f, 0.5f, 0.5f, 0.5f, 0.5f, 0.5f, 0.5f, 0.5f};
  engine::SearchSpec s;
  s.queries = query;
  s.num_queries = 1;
  s.k = 10;
  s.filter = &*compiled;
  start = Now();
  for (int i = 0; i < reps; ++i) {
    auto hits = c.Search(s);
    if (!hits.ok()) std::exit(1);
    if (i == 0) {
      for (const auto& h : hits->hits[0]) t.scores.push_back(h.score);
    }
  }
  t.search_qps = reps / (Now() - start);
  return t;
}

// The rows of both benchmarks (deterministic: seed 42).
std::vector<std::vector<Value>> MakeRows(std::mt19937_64& rng, size_t begin,
                                         size_t end) {
  std::uniform_real_distribution<float> unit(0.0f, 1.0f);
  std::vector<std::vector<Value>> rows;
  for (size_t i = begin; i < end; ++i) {
    std::vector<float> v(8);
    for (float& x : v) x = unit(rng);
    rows.push_back({Value(static_cast<int64_t>(i)),
                    Value(static_cast<int64_t>(rng() % 1000)),
                    Value(static_cast<int64_t>(rng() % 1000000)),
                    Value(absl::StrCat("w", rng() % 1000)),
                    Value(rng() % 2 == 0), Value::FloatVector(std::move(v))});
  }
  return rows;
}

engine::Schema BenchSchema() {
  engine::Schema schema;
  FieldDef id = Field("id", DataType::kInt64);
  id.is_primary_key = true;
  schema.fields = {id,
                   Field("k", DataType::kInt64),
                   Field("r", DataType::kInt64),
                   Field("c", DataType::kVarChar),
                   Field("flag", DataType::kBool),
                   Field("vec", DataType::kFloatVector)};
  return schema;
}

// A loaded collection of n rows, sealed; `partitions` > 0: `k` is its
// partition key over that many partitions.
std::unique_ptr<Collection> Build(size_t n, size_t seal_rows, int partitions) {
  engine::CollectionContext context;
  context.segments.seal_rows = seal_rows;
  context.pool = std::make_shared<engine::BuildPool>(2);
  auto created = Collection::Create("bench", BenchSchema(), 0, context);
  if (!created.ok()) std::exit(1);
  std::unique_ptr<Collection> c = *std::move(created);
  if (partitions > 0) {
    std::vector<std::string> names;
    for (int p = 0; p < partitions; ++p) {
      names.push_back(absl::StrCat("_default_", p));
    }
    if (!c->SetPartitionKey(1, names).ok()) std::exit(1);
  }
  IndexDef vec;
  vec.field_name = "vec";
  vec.kind = IndexKind::kFlat;
  vec.metric = engine::Metric::kL2;
  if (!c->CreateIndex(vec).ok() || !c->Load().ok()) std::exit(1);
  std::mt19937_64 rng(42);
  for (size_t begin = 0; begin < n; begin += 10000) {
    if (!c->Insert(MakeRows(rng, begin, std::min(n, begin + 10000)), "", false)
             .ok()) {
      std::exit(1);
    }
  }
  c->Seal();
  c->WaitForIndexBuilds();
  return c;
}

int PartitionKeyMain(size_t n, int reps, size_t seal_rows, int partitions) {
  const double t0 = Now();
  std::unique_ptr<Collection> plain = Build(n, seal_rows, 0);
  std::unique_ptr<Collection> keyed = Build(n, seal_rows, partitions);
  std::printf(
      "%zu rows in each collection, %d partitions, built in %.1f s (%d reps "
      "per figure)\n",
      n, partitions, Now() - t0, reps);
  const std::vector<const char*> filters = {
      "k == 500", "k in [1, 500, 999]", "k == 500 and flag",
      "k == 500 and r < 500000", "k > 997"};
  std::printf(
      "| filter | rows | collection | query QPS | x | search QPS | x |\n");
  std::printf("|---|---|---|---|---|---|---|\n");
  for (const char* filter : filters) {
    const Timing base = Measure(*plain, filter, reps);
    std::printf("| `%s` | %zu | no partition key | %.0f | 1.0 | %.0f | 1.0 |\n",
                filter, base.rows, base.query_qps, base.search_qps);
    for (bool prune : {false, true}) {
      keyed->set_partition_pruning(prune);
      const Timing t = Measure(*keyed, filter, reps);
      if (t.ids != base.ids || t.scores != base.scores) {
        std::fprintf(stderr, "results differ on %s (pruning %s)\n", filter,
                     prune ? "on" : "off");
        return 1;
      }
      std::printf(
          "| `%s` | %zu | partition key, %s | %.0f | %.1f | %.0f | "
          "%.1f |\n",
          filter, t.rows, prune ? "pruned" : "not pruned", t.query_qps,
          t.query_qps / base.query_qps, t.search_qps,
          t.search_qps / base.search_qps);
      std::fflush(stdout);
    }
  }
  return 0;
}

int Main(int argc, char** argv) {
  size_t n = 1000000;
  int reps = 50;
  size_t seal_rows = 65536;
  int partition_key = 0;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string flag = argv[i];
    if (flag == "--n") n = std::strtoull(argv[i + 1], nullptr, 10);
    if (flag == "--reps") reps = std::atoi(argv[i + 1]);
    if (flag == "--seal-rows")
      seal_rows = std::strtoull(argv[i + 1], nullptr, 10);
    if (flag == "--partition-key") partition_key = std::atoi(argv[i + 1]);
  }
  if (partition_key > 0) {
    return PartitionKeyMain(n, reps, seal_rows, partition_key);
  }
  const double t0 = Now();
  std::unique_ptr<Collection> c = Build(n, seal_rows, 0);
  std::printf("%zu rows inserted and sealed in %.1f s (%d reps per figure)\n",
              n, Now() - t0, reps);

  struct Case {
    const char* filter;
    const char* field;
    std::vector<IndexKind> kinds;
  };
  const std::vector<Case> cases = {
      {"k == 500",
       "k",
       {IndexKind::kStlSort, IndexKind::kInverted, IndexKind::kBitmap}},
      {"1000 <= r < 2000",
       "r",
       {IndexKind::kStlSort, IndexKind::kInverted, IndexKind::kBitmap}},
      {"c in [\"w1\", \"w500\", \"w999\"]",
       "c",
       {IndexKind::kTrie, IndexKind::kInverted, IndexKind::kBitmap}},
      {"c like \"w99%\"", "c", {IndexKind::kTrie, IndexKind::kInverted}},
      {"k == 500 and flag", "k", {IndexKind::kStlSort, IndexKind::kBitmap}},
  };
  const char* names[] = {"STL_SORT", "Trie", "BITMAP", "INVERTED"};
  auto name_of = [&](IndexKind k) {
    return k == IndexKind::kStlSort  ? names[0]
           : k == IndexKind::kTrie   ? names[1]
           : k == IndexKind::kBitmap ? names[2]
                                     : names[3];
  };
  std::printf(
      "| filter | rows | index | build s | query QPS | x | search QPS | x |\n");
  std::printf("|---|---|---|---|---|---|---|---|\n");
  for (const Case& cs : cases) {
    const Timing base = Measure(*c, cs.filter, reps);
    std::printf("| `%s` | %zu | none | | %.0f | 1.0 | %.0f | 1.0 |\n",
                cs.filter, base.rows, base.query_qps, base.search_qps);
    for (IndexKind kind : cs.kinds) {
      IndexDef def;
      def.field_name = cs.field;
      def.kind = kind;
      const double b0 = Now();
      if (!c->CreateIndex(def).ok()) return 1;
      c->WaitForIndexBuilds();
      const double build = Now() - b0;
      const Timing t = Measure(*c, cs.filter, reps);
      if (t.ids != base.ids || t.scores != base.scores) {
        std::fprintf(stderr, "results differ with %s on %s\n", name_of(kind),
                     cs.filter);
        return 1;
      }
      std::printf("| `%s` | %zu | %s | %.2f | %.0f | %.1f | %.0f | %.1f |\n",
                  cs.filter, t.rows, name_of(kind), build, t.query_qps,
                  t.query_qps / base.query_qps, t.search_qps,
                  t.search_qps / base.search_qps);
      std::fflush(stdout);
      if (!c->DropIndex(cs.field).ok()) return 1;
    }
  }
  return 0;
}

}  // namespace
}  // namespace cove::bench

int main(int argc, char** argv) { return cove::bench::Main(argc, argv); }
