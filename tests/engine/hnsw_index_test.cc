// Tests of HNSW and HNSW_SQ against a brute-force oracle on small generated
// data: recall, filtered search at several selectivities, range search,
// incremental Add, Save/Load, corrupt input and parameter validation.
#include "engine/indexes/hnsw_index.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <random>
#include <set>
#include <string>
#include <thread>
#include <tuple>
#include <vector>

#include "engine/index_test_util.h"
#include "engine/indexes/index_io.h"
#include "gtest/gtest.h"

namespace cove::engine {
namespace {
namespace hnsw_index_test {

using ::cove::engine::testing::BruteForce;
using ::cove::engine::testing::Clustered;
using ::cove::engine::testing::ExpectSameScores;
using ::cove::engine::testing::RandomBits;
using ::cove::engine::testing::Recall;

IndexParams Params(IndexType type, Metric metric, size_t dim) {
  IndexParams p;
  p.type = type;
  p.metric = metric;
  p.dim = dim;
  p.m = 16;
  p.ef_construction = 100;
  p.build_threads = 2;
  return p;
}

std::unique_ptr<HnswIndex> Reload(const HnswIndex& index) {
  std::string bytes;
  EXPECT_TRUE(index.Save(&bytes).ok());
  auto header = cove::internal::ParseIndexHeader(bytes);
  EXPECT_TRUE(header.ok()) << header.status();
  auto loaded = HnswIndex::Load(header->type, header->payload);
  EXPECT_TRUE(loaded.ok()) << loaded.status();
  return loaded.ok() ? std::move(*loaded) : nullptr;
}

class HnswTest
    : public ::testing::TestWithParam<std::tuple<IndexType, Metric>> {
 protected:
  IndexType type() const { return std::get<0>(GetParam()); }
  Metric metric() const { return std::get<1>(GetParam()); }
  bool normalize() const { return metric() != Metric::kL2; }
};

constexpr size_t kDim = 32;

TEST_P(HnswTest, RecallAtTen) {
  const size_t n = 10000;
  std::vector<float> data = Clustered(n, kDim, 1, normalize());
  std::vector<float> queries = Clustered(100, kDim, 2, normalize());
  HnswIndex index(Params(type(), metric(), kDim));
  ASSERT_TRUE(index.Build(data.data(), n).ok());
  EXPECT_EQ(index.size(), n);
  IndexSearchParams sp;
  sp.k = 10;
  sp.ef = 64;
  double recall = 0;
  for (size_t q = 0; q < 100; ++q) {
    const float* query = queries.data() + q * kDim;
    std::vector<Neighbor> got = index.Search(query, sp);
    ASSERT_EQ(got.size(), 10u);
    for (size_t i = 1; i < got.size(); ++i) {
      if (metric() == Metric::kL2) {
        EXPECT_LE(got[i - 1].score, got[i].score);
      } else {
        EXPECT_GE(got[i - 1].score, got[i].score);
      }
    }
    recall += Recall(got, BruteForce(data, kDim, metric(), query, 10));
  }
  recall /= 100;
  EXPECT_GE(recall, 0.95);
}

TEST_P(HnswTest, FilteredSearchAtEverySelectivity) {
  const size_t n = 10000;
  std::vector<float> data = Clustered(n, kDim, 3, normalize());
  std::vector<float> queries = Clustered(30, kDim, 4, normalize());
  HnswIndex index(Params(type(), metric(), kDim));
  ASSERT_TRUE(index.Build(data.data(), n).ok());
  for (double fraction : {1.0, 0.1, 0.01, 0.001}) {
    SCOPED_TRACE(fraction);
    Bitset allowed = RandomBits(n, fraction, 5);
    IndexSearchParams sp;
    sp.k = 10;
    sp.ef = 64;
    sp.allowed = &allowed;
    double recall = 0;
    for (size_t q = 0; q < 30; ++q) {
      const float* query = queries.data() + q * kDim;
      std::vector<Neighbor> got = index.Search(query, sp);
      std::vector<Neighbor> truth =
          BruteForce(data, kDim, metric(), query, 10, &allowed);
      ASSERT_EQ(got.size(), truth.size());
      for (const Neighbor& nb : got) EXPECT_TRUE(allowed.Test(nb.row));
      if (fraction < 0.05) ExpectSameScores(got, truth);
      recall += Recall(got, truth);
    }
    EXPECT_GE(recall / 30, 0.95);
  }
}

TEST_P(HnswTest, FilterSmallerThanIndexAndEmptyFilter) {
  const size_t n = 2000;
  std::vector<float> data = Clustered(n, kDim, 6, normalize());
  HnswIndex index(Params(type(), metric(), kDim));
  ASSERT_TRUE(index.Build(data.data(), n).ok());
  IndexSearchParams sp;
  Bitset none(n);
  sp.allowed = &none;
  EXPECT_TRUE(index.Search(data.data(), sp).empty());
  // A bitset shorter than the index: rows past its end are not allowed.
  Bitset short_bits(n / 2, true);
  sp.allowed = &short_bits;
  std::vector<Neighbor> got = index.Search(data.data() + 1500 * kDim, sp);
  ASSERT_EQ(got.size(), 10u);
  for (const Neighbor& nb : got) EXPECT_LT(nb.row, n / 2);
}

TEST_P(HnswTest, RangeSearch) {
  const size_t n = 5000;
  std::vector<float> data = Clustered(n, kDim, 7, normalize());
  std::vector<float> queries = Clustered(20, kDim, 8, normalize());
  HnswIndex index(Params(type(), metric(), kDim));
  ASSERT_TRUE(index.Build(data.data(), n).ok());
  double recall = 0;
  for (size_t q = 0; q < 20; ++q) {
    const float* query = queries.data() + q * kDim;
    // Pick radius and range_filter from the true 5th and 40th neighbors, so
    // the range excludes the closest rows and holds ~35.
    std::vector<Neighbor> top = BruteForce(data, kDim, metric(), query, 40);
    float range_filter = top[4].score;
    float radius = top[39].score;
    IndexSearchParams sp;
    sp.k = 20;
    sp.radius = radius;
    sp.range_filter = range_filter;
    std::vector<Neighbor> got = index.Search(query, sp);
    std::vector<Neighbor> truth = BruteForce(data, kDim, metric(), query, 20,
                                             nullptr, radius, range_filter);
    for (const Neighbor& nb : got) {
      if (metric() == Metric::kL2) {
        EXPECT_TRUE(nb.score >= range_filter && nb.score < radius);
      } else {
        EXPECT_TRUE(nb.score > radius && nb.score <= range_filter);
      }
    }
    recall += Recall(got, truth);
    // A radius nothing is inside of.
    IndexSearchParams empty;
    empty.radius = metric() == Metric::kL2 ? 0.0f : 1e9f;
    EXPECT_TRUE(index.Search(query, empty).empty());
  }
  EXPECT_GE(recall / 20, 0.9);
}

TEST_P(HnswTest, IncrementalAddAfterBuild) {
  const size_t n = 6000;
  std::vector<float> data = Clustered(n, kDim, 9, normalize());
  HnswIndex index(Params(type(), metric(), kDim));
  ASSERT_TRUE(index.Build(data.data(), 2000).ok());
  ASSERT_TRUE(index.Add(data.data() + 2000 * kDim, 1).ok());
  ASSERT_TRUE(index.Add(data.data() + 2001 * kDim, 3999).ok());
  EXPECT_EQ(index.size(), n);
  std::vector<float> queries = Clustered(50, kDim, 10, normalize());
  IndexSearchParams sp;
  double recall = 0;
  for (size_t q = 0; q < 50; ++q) {
    const float* query = queries.data() + q * kDim;
    recall += Recall(index.Search(query, sp),
                     BruteForce(data, kDim, metric(), query, 10));
  }
  EXPECT_GE(recall / 50, 0.95);
  // Rows added later are found by their own vector.
  sp.k = 1;
  size_t found = 0;
  for (size_t row = 2000; row < n; row += 97) {
    std::vector<Neighbor> got = index.Search(data.data() + row * kDim, sp);
    ASSERT_EQ(got.size(), 1u);
    found += got[0].row == row;
  }
  EXPECT_GE(found, 40u);  // of 42; duplicates aside
}

TEST_P(HnswTest, AddWithoutBuildAndSingleThreadDeterminism) {
  const size_t n = 3000;
  std::vector<float> data = Clustered(n, kDim, 11, normalize());
  IndexParams p = Params(type(), metric(), kDim);
  p.build_threads = 1;
  HnswIndex a(p);
  HnswIndex b(p);
  ASSERT_TRUE(a.Add(data.data(), n).ok());
  ASSERT_TRUE(b.Build(data.data(), n).ok());
  std::string sa;
  std::string sb;
  ASSERT_TRUE(a.Save(&sa).ok());
  ASSERT_TRUE(b.Save(&sb).ok());
  EXPECT_EQ(sa, sb);
}

TEST_P(HnswTest, SaveLoadGivesIdenticalResults) {
  const size_t n = 4000;
  std::vector<float> data = Clustered(n, kDim, 12, normalize());
  HnswIndex index(Params(type(), metric(), kDim));
  ASSERT_TRUE(index.Build(data.data(), n).ok());
  std::unique_ptr<HnswIndex> loaded = Reload(index);
  ASSERT_NE(loaded, nullptr);
  EXPECT_EQ(loaded->size(), n);
  EXPECT_EQ(loaded->params().m, index.params().m);
  EXPECT_EQ(loaded->params().metric, index.params().metric);
  std::vector<float> queries = Clustered(20, kDim, 13, normalize());
  Bitset allowed = RandomBits(n, 0.3, 14);
  for (size_t q = 0; q < 20; ++q) {
    for (const Bitset* filter : {static_cast<const Bitset*>(nullptr),
                                 static_cast<const Bitset*>(&allowed)}) {
      IndexSearchParams sp;
      sp.allowed = filter;
      std::vector<Neighbor> x = index.Search(queries.data() + q * kDim, sp);
      std::vector<Neighbor> y = loaded->Search(queries.data() + q * kDim, sp);
      ASSERT_EQ(x.size(), y.size());
      for (size_t i = 0; i < x.size(); ++i) {
        EXPECT_EQ(x[i].row, y[i].row);
        EXPECT_EQ(x[i].score, y[i].score);
      }
    }
  }
  std::string first;
  std::string second;
  ASSERT_TRUE(index.Save(&first).ok());
  ASSERT_TRUE(loaded->Save(&second).ok());
  EXPECT_EQ(first, second);
  // A loaded index keeps growing.
  ASSERT_TRUE(loaded->Add(data.data(), 10).ok());
  EXPECT_EQ(loaded->size(), n + 10);
}

TEST_P(HnswTest, CorruptPayloadIsDataLoss) {
  const size_t n = 500;
  std::vector<float> data = Clustered(n, 16, 15, normalize());
  HnswIndex index(Params(type(), metric(), 16));
  ASSERT_TRUE(index.Build(data.data(), n).ok());
  std::string bytes;
  ASSERT_TRUE(index.Save(&bytes).ok());
  std::string_view payload =
      std::string_view(bytes).substr(cove::internal::kIndexHeaderSize);
  // Every truncation of the payload is rejected, never a crash.
  for (size_t len = 0; len < payload.size(); len += 1 + len / 7) {
    auto r = HnswIndex::Load(type(), payload.substr(0, len));
    ASSERT_FALSE(r.ok()) << len;
    EXPECT_EQ(r.status().code(), absl::StatusCode::kDataLoss);
  }
  // Random byte corruption past the checksum: never a crash.
  std::mt19937_64 rng(16);
  for (int trial = 0; trial < 300; ++trial) {
    std::string copy(payload);
    size_t pos = std::uniform_int_distribution<size_t>(0, copy.size() - 1)(rng);
    copy[pos] = static_cast<char>(rng());
    auto r = HnswIndex::Load(type(), copy);
    if (r.ok()) {
      // Accepted (e.g. a float changed): still searchable.
      IndexSearchParams sp;
      (*r)->Search(data.data(), sp);
    } else {
      EXPECT_EQ(r.status().code(), absl::StatusCode::kDataLoss);
    }
  }
  // A link to a row that does not exist.
  std::string bad(payload);
  size_t links_at = 1 + 8 + 4 * 3 + 8 + 8 + 4 + 4 + n;
  uint32_t huge = 1u << 30;
  std::memcpy(&bad[links_at + 4], &huge, 4);
  uint32_t one = 1;
  std::memcpy(&bad[links_at], &one, 4);
  auto r = HnswIndex::Load(type(), bad);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), absl::StatusCode::kDataLoss);
}

TEST_P(HnswTest, EmptyAndTinyIndexes) {
  HnswIndex index(Params(type(), metric(), kDim));
  std::vector<float> q(kDim, 0.5f);
  IndexSearchParams sp;
  EXPECT_TRUE(index.Search(q.data(), sp).empty());
  ASSERT_TRUE(index.Build(nullptr, 0).ok());
  EXPECT_TRUE(index.Search(q.data(), sp).empty());
  std::vector<float> data = Clustered(5, kDim, 17, normalize());
  ASSERT_TRUE(index.Build(data.data(), 5).ok());
  std::vector<Neighbor> got = index.Search(q.data(), sp);
  EXPECT_EQ(got.size(), 5u);
  sp.k = 0;
  EXPECT_TRUE(index.Search(q.data(), sp).empty());
  std::unique_ptr<HnswIndex> empty = Reload(HnswIndex(index.params()));
  ASSERT_NE(empty, nullptr);
  EXPECT_EQ(empty->size(), 0u);
}

TEST_P(HnswTest, ConcurrentSearchesMatchSequentialOnes) {
  const size_t n = 3000;
  std::vector<float> data = Clustered(n, kDim, 20, normalize());
  std::vector<float> queries = Clustered(64, kDim, 21, normalize());
  HnswIndex index(Params(type(), metric(), kDim));
  ASSERT_TRUE(index.Build(data.data(), n).ok());
  Bitset allowed = RandomBits(n, 0.5, 22);
  auto run = [&](size_t q) {
    IndexSearchParams sp;
    sp.allowed = (q % 2 == 0) ? &allowed : nullptr;
    return index.Search(queries.data() + q * kDim, sp);
  };
  std::vector<std::vector<Neighbor>> expected(64);
  for (size_t q = 0; q < 64; ++q) expected[q] = run(q);
  std::vector<std::vector<Neighbor>> got(64);
  std::vector<std::thread> threads;
  for (size_t t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (size_t q = t; q < 64; q += 4) got[q] = run(q);
    });
  }
  for (std::thread& th : threads) th.join();
  for (size_t q = 0; q < 64; ++q) {
    ASSERT_EQ(got[q].size(), expected[q].size());
    for (size_t i = 0; i < got[q].size(); ++i) {
      EXPECT_EQ(got[q][i].row, expected[q][i].row);
    }
  }
}

TEST_P(HnswTest, MemoryAccounting) {
  const size_t n = 3000;
  std::vector<float> data = Clustered(n, kDim, 18, normalize());
  HnswIndex index(Params(type(), metric(), kDim));
  ASSERT_TRUE(index.Build(data.data(), n).ok());
  HnswIndex::MemoryBreakdown m = index.Memory();
  EXPECT_EQ(m.floats, n * kDim * sizeof(float));
  if (type() == IndexType::kHnswSq) {
    // A code and its float norm per row, plus the quantizer ranges.
    EXPECT_GE(m.codes, n * (kDim + 4));
    EXPECT_LT(m.codes, n * (kDim + 4) + 4096);
  } else {
    EXPECT_EQ(m.codes, 0u);
  }
  EXPECT_GE(m.graph, n * (1 + 2 * 16) * sizeof(uint32_t));
  EXPECT_GE(index.MemoryBytes(), m.floats + m.codes + m.graph);
}

// HNSW_SQ with its float32 vectors moved to an unlinked, memory-mapped file:
// same results as in memory, with filters (the exact path reads the file
// too), deletes and upserts expressed as the allowed rows of a segment, and
// Add() after the spill.
TEST_P(HnswTest, SpilledVectorsGiveSameResults) {
  const size_t n = 5000;
  std::vector<float> data = Clustered(n, kDim, 21, normalize());
  HnswIndex index(Params(type(), metric(), kDim));
  ASSERT_TRUE(index.Build(data.data(), n).ok());
  const std::string dir = ::testing::TempDir();
  if (type() == IndexType::kHnsw) {
    EXPECT_EQ(index.SpillVectors(dir).code(),
              absl::StatusCode::kFailedPrecondition);
    return;
  }
  std::vector<float> queries = Clustered(30, kDim, 22, normalize());
  Bitset some = RandomBits(n, 0.3, 23);
  Bitset few = RandomBits(n, 0.002, 24);
  auto run = [&](const HnswIndex& x) {
    std::vector<std::vector<Neighbor>> out;
    for (size_t q = 0; q < 30; ++q) {
      for (const Bitset* f : {static_cast<const Bitset*>(nullptr),
                              static_cast<const Bitset*>(&some),
                              static_cast<const Bitset*>(&few)}) {
        IndexSearchParams sp;
        sp.allowed = f;
        out.push_back(x.Search(queries.data() + q * kDim, sp));
      }
    }
    return out;
  };
  std::vector<std::vector<Neighbor>> before = run(index);
  std::string saved_before;
  ASSERT_TRUE(index.Save(&saved_before).ok());

  const size_t mem_before = index.MemoryBytes();
  EXPECT_EQ(index.SpillVectors(dir + "/no-such-dir").code(),
            absl::StatusCode::kNotFound);
  EXPECT_FALSE(index.vectors_spilled());
  ASSERT_TRUE(index.SpillVectors(dir).ok());
  EXPECT_TRUE(index.vectors_spilled());
  ASSERT_TRUE(index.SpillVectors(dir).ok());  // idempotent
  HnswIndex::MemoryBreakdown m = index.Memory();
  EXPECT_EQ(m.floats, 0u);
  EXPECT_EQ(m.floats_on_disk, n * kDim * sizeof(float));
  EXPECT_EQ(mem_before - index.MemoryBytes(), n * kDim * sizeof(float));

  std::vector<std::vector<Neighbor>> after = run(index);
  ASSERT_EQ(before.size(), after.size());
  for (size_t i = 0; i < before.size(); ++i) {
    ASSERT_EQ(before[i].size(), after[i].size());
    for (size_t j = 0; j < before[i].size(); ++j) {
      EXPECT_EQ(before[i][j].row, after[i][j].row);
      EXPECT_EQ(before[i][j].score, after[i][j].score);
    }
  }
  std::string saved_after;
  ASSERT_TRUE(index.Save(&saved_after).ok());
  EXPECT_EQ(saved_before, saved_after);

  // Upserts: rows 0..499 are deleted and re-inserted (as new rows, shifted
  // a little) by Add(); the allowed set hides the deleted versions and 10%
  // of other rows (plain deletes).
  std::vector<float> upserted(data.begin(), data.begin() + 500 * kDim);
  for (float& v : upserted) v += 0.01f;
  ASSERT_TRUE(index.Add(upserted.data(), 500).ok());
  EXPECT_FALSE(index.vectors_spilled());
  ASSERT_TRUE(index.SpillVectors(dir).ok());
  std::vector<float> all = data;
  all.insert(all.end(), upserted.begin(), upserted.end());
  Bitset live = RandomBits(n + 500, 0.9, 25);
  for (size_t r = 0; r < 500; ++r) live.Reset(r);
  for (size_t r = n; r < n + 500; ++r) live.Set(r);
  double recall = 0;
  for (size_t q = 0; q < 30; ++q) {
    const float* query = queries.data() + q * kDim;
    IndexSearchParams sp;
    sp.allowed = &live;
    std::vector<Neighbor> got = index.Search(query, sp);
    for (const Neighbor& nb : got) EXPECT_TRUE(live.Test(nb.row));
    std::vector<Neighbor> truth =
        BruteForce(all, kDim, metric(), query, 10, &live);
    recall += Recall(got, truth);
    // Scores are exact float32 scores of the returned rows.
    for (const Neighbor& nb : got) {
      const float* x = all.data() + size_t{nb.row} * kDim;
      const float want = metric() == Metric::kL2 ? L2Sqr(query, x, kDim)
                                                 : InnerProduct(query, x, kDim);
      EXPECT_NEAR(nb.score, want, 1e-4f * (1 + std::fabs(want)));
    }
  }
  EXPECT_GE(recall / 30, 0.95);
}

TEST_P(HnswTest, RerankDepth) {
  if (type() != IndexType::kHnswSq) GTEST_SKIP() << "HNSW_SQ only";
  const size_t n = 5000;
  std::vector<float> data = Clustered(n, kDim, 26, normalize());
  std::vector<float> queries = Clustered(50, kDim, 27, normalize());
  HnswIndex index(Params(type(), metric(), kDim));
  ASSERT_TRUE(index.Build(data.data(), n).ok());
  for (int rerank : {1, 10, 0, 64}) {  // 1 is raised to k
    SCOPED_TRACE(rerank);
    IndexSearchParams sp;
    sp.ef = 64;
    sp.rerank = rerank;
    double recall = 0;
    for (size_t q = 0; q < 50; ++q) {
      const float* query = queries.data() + q * kDim;
      std::vector<Neighbor> got = index.Search(query, sp);
      ASSERT_EQ(got.size(), 10u);
      recall += Recall(got, BruteForce(data, kDim, metric(), query, 10));
    }
    // Even re-ranking only k candidates keeps most of the recall (the
    // integer walk ranks well); deeper re-ranking reaches the bar.
    EXPECT_GE(recall / 50, rerank <= 10 ? 0.85 : 0.95);
  }
}

INSTANTIATE_TEST_SUITE_P(
    All, HnswTest,
    ::testing::Combine(::testing::Values(IndexType::kHnsw, IndexType::kHnswSq),
                       ::testing::Values(Metric::kL2, Metric::kIP)),
    [](const auto& info) {
      return std::string(std::get<0>(info.param) == IndexType::kHnsw
                             ? "Hnsw"
                             : "HnswSq") +
             (std::get<1>(info.param) == Metric::kL2 ? "L2" : "IP");
    });

TEST(HnswParamsTest, BadParamsNameTheParameter) {
  IndexParams p = Params(IndexType::kHnsw, Metric::kL2, 8);
  EXPECT_TRUE(HnswIndex::ValidateParams(p).ok());
  struct Case {
    void (*mutate)(IndexParams*);
    const char* name;
  };
  const Case cases[] = {
      {[](IndexParams* q) { q->dim = 0; }, "dim"},
      {[](IndexParams* q) { q->m = 1; }, "m:"},
      {[](IndexParams* q) { q->m = 5000; }, "m:"},
      {[](IndexParams* q) { q->ef_construction = 0; }, "ef_construction"},
      {[](IndexParams* q) { q->build_threads = -1; }, "build_threads"},
      {[](IndexParams* q) { q->type = IndexType::kIvfFlat; }, "type"},
  };
  for (const Case& c : cases) {
    IndexParams q = p;
    c.mutate(&q);
    absl::Status s = HnswIndex::ValidateParams(q);
    EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument) << c.name;
    EXPECT_NE(std::string(s.message()).find(c.name), std::string::npos)
        << s.message();
  }
}

// Every stored row is found by a search with its own vector, also on data
// with near-duplicates (a periodic family where rows id and id + 103 lie
// 0.002 apart) built on two threads, where a pruned graph can leave a row
// unreachable.
TEST(HnswSelfSearchTest, EveryRowIsFoundByItsOwnVector) {
  constexpr size_t kSmallDim = 8;
  for (size_t n : {50u, 300u, 1000u}) {
    std::vector<float> data(n * kSmallDim);
    for (size_t r = 0; r < n; ++r) {
      for (size_t i = 0; i < kSmallDim; ++i) {
        data[r * kSmallDim + i] = static_cast<float>(
            std::sin(0.61 * static_cast<double>(r) + static_cast<double>(i)) +
            0.1 * static_cast<double>(i));
      }
    }
    for (int round = 0; round < 20; ++round) {
      IndexParams p = Params(IndexType::kHnsw, Metric::kL2, kSmallDim);
      p.build_threads = round % 2 + 1;
      HnswIndex index(p);
      ASSERT_TRUE(index.Build(data.data(), n).ok());
      IndexSearchParams sp;
      sp.k = 1;
      for (size_t r = 0; r < n; ++r) {
        std::vector<Neighbor> got =
            index.Search(data.data() + r * kSmallDim, sp);
        ASSERT_FALSE(got.empty());
        ASSERT_EQ(got[0].score, 0.0f)
            << "threads " << p.build_threads << " n " << n << " round " << round
            << " row " << r << " found " << got[0].row;
      }
    }
  }
}

TEST(HnswCosineTest, CosineIsTreatedAsInnerProduct) {
  const size_t n = 2000;
  std::vector<float> data = Clustered(n, 16, 19, true);
  IndexParams p = Params(IndexType::kHnsw, Metric::kCosine, 16);
  HnswIndex index(p);
  ASSERT_TRUE(index.Build(data.data(), n).ok());
  IndexSearchParams sp;
  std::vector<Neighbor> got = index.Search(data.data() + 7 * 16, sp);
  ASSERT_FALSE(got.empty());
  EXPECT_EQ(got[0].row, 7u);
  EXPECT_NEAR(got[0].score, 1.0f, 1e-5f);
}

// HNSW over 16-bit rows packed two per slot (a FLOAT16_VECTOR /
// BFLOAT16_VECTOR segment's storage) is saved with its row type: the
// loaded index walks the rows with the 16-bit kernels and answers as the
// original, bit for bit; scaled rows (COSINE) are saved as the build saw
// them; a bad type byte is DataLoss.
TEST(HnswHalfTest, SaveLoadKeepsTheRowType) {
  constexpr size_t kHalfDim = 34, kSlots = kHalfDim / 2, kRows = 1500;
  for (HalfType t : {HalfType::kFloat16, HalfType::kBFloat16}) {
    SCOPED_TRACE(HalfTypeName(t));
    const std::vector<float> wide = Clustered(kRows + 10, kHalfDim, 31, false);
    std::vector<float> packed((kRows + 10) * kSlots);
    auto* h = reinterpret_cast<uint16_t*>(packed.data());
    for (size_t i = 0; i < wide.size(); ++i) h[i] = FloatToHalf(t, wide[i]);
    IndexParams p = Params(IndexType::kHnsw, Metric::kL2, kSlots);
    p.half = t;
    HnswIndex index(p);
    ASSERT_TRUE(index.Build(packed.data(), kRows).ok());
    std::unique_ptr<HnswIndex> loaded = Reload(index);
    ASSERT_NE(loaded, nullptr);
    ASSERT_TRUE(loaded->params().half.has_value());
    EXPECT_EQ(*loaded->params().half, t);
    for (size_t q = kRows; q < kRows + 10; ++q) {
      const float* query = packed.data() + q * kSlots;
      std::vector<Neighbor> x = index.Search(query, IndexSearchParams());
      std::vector<Neighbor> y = loaded->Search(query, IndexSearchParams());
      ASSERT_EQ(x.size(), y.size());
      for (size_t i = 0; i < x.size(); ++i) {
        EXPECT_EQ(x[i].row, y[i].row);
        EXPECT_EQ(x[i].score, y[i].score);
      }
      // The scores are the 16-bit kernel's, not float32 ones on the slots.
      const float* row = packed.data() + size_t{x[0].row} * kSlots;
      EXPECT_EQ(x[0].score, HalfSlotL2SqrFunction(t)(query, row, kSlots));
    }
    std::string bytes;
    ASSERT_TRUE(loaded->Save(&bytes).ok());
    std::string first;
    ASSERT_TRUE(index.Save(&first).ok());
    EXPECT_EQ(first, bytes);
    // An unknown type byte (the last one), with a valid checksum.
    bytes.back() = 3;
    cove::internal::FinishIndexHeader(0, &bytes);
    EXPECT_EQ(LoadIndex(bytes).status().code(), absl::StatusCode::kDataLoss);

    // COSINE: built on unit rows rounded back to the type, then attached to
    // the raw rows and their inverse norms; saved as the build saw them.
    std::vector<float> unit = packed;
    std::vector<float> inv(kRows);
    auto* u = reinterpret_cast<uint16_t*>(unit.data());
    for (size_t r = 0; r < kRows; ++r) {
      const float norm = HalfNorm(t, h + r * kHalfDim, kHalfDim);
      inv[r] = 1.0f / norm;
      for (size_t i = 0; i < kHalfDim; ++i) {
        u[r * kHalfDim + i] =
            FloatToHalf(t, HalfToFloat(t, h[r * kHalfDim + i]) * inv[r]);
      }
    }
    IndexParams cp = Params(IndexType::kHnsw, Metric::kCosine, kSlots);
    cp.half = t;
    HnswIndex cosine(cp);
    ASSERT_TRUE(cosine.Build(unit.data(), kRows).ok());
    std::unique_ptr<HnswIndex> unattached = Reload(cosine);
    ExternalVectors ext;
    ext.data = packed.data();
    ext.n = kRows;
    ext.dim = kSlots;
    ext.scale = inv.data();
    ASSERT_TRUE(cosine.AttachVectors(ext).ok());
    std::unique_ptr<HnswIndex> attached = Reload(cosine);
    ASSERT_NE(unattached, nullptr);
    ASSERT_NE(attached, nullptr);
    std::string a, b;
    ASSERT_TRUE(unattached->Save(&a).ok());
    ASSERT_TRUE(attached->Save(&b).ok());
    EXPECT_EQ(a, b);
  }
}

}  // namespace hnsw_index_test
}  // namespace
}  // namespace cove::engine
