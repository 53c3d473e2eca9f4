// Tests of DISKANN against a brute-force oracle on small generated data:
// recall at several search lists, filters at every selectivity, range
// search, memory without float32 rows, spilled and attached rows, Save/Load,
// corrupt input, Add, and parameter validation.
#include "engine/indexes/diskann_index.h"

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <string>
#include <tuple>
#include <vector>

#include "engine/index_test_util.h"
#include "engine/indexes/hnsw_index.h"
#include "engine/indexes/index_io.h"
#include "gtest/gtest.h"

namespace cove::engine {
namespace {
namespace diskann_index_test {

using ::cove::engine::testing::BruteForce;
using ::cove::engine::testing::Clustered;
using ::cove::engine::testing::ExpectSameScores;
using ::cove::engine::testing::RandomBits;
using ::cove::engine::testing::Recall;

constexpr size_t kDim = 32;

IndexParams Params(Metric metric) {
  IndexParams p;
  p.type = IndexType::kDiskAnn;
  p.metric = metric;
  p.dim = kDim;
  p.max_degree = 32;
  p.search_list_size = 64;
  p.build_threads = 2;
  return p;
}

class DiskAnnTest : public ::testing::TestWithParam<Metric> {
 protected:
  Metric metric() const { return GetParam(); }
  bool normalize() const { return metric() != Metric::kL2; }
};

double MeanRecall(const DiskAnnIndex& index, const std::vector<float>& data,
                  const std::vector<float>& queries, size_t nq, int list,
                  Metric metric, const Bitset* allowed = nullptr) {
  IndexSearchParams sp;
  sp.k = 10;
  sp.ef = list;
  sp.allowed = allowed;
  double recall = 0;
  for (size_t q = 0; q < nq; ++q) {
    const float* query = queries.data() + q * kDim;
    std::vector<Neighbor> got = index.Search(query, sp);
    recall += Recall(got, BruteForce(data, kDim, metric, query, 10, allowed));
  }
  return recall / static_cast<double>(nq);
}

TEST_P(DiskAnnTest, RecallGrowsWithTheSearchList) {
  const size_t n = 4000;
  std::vector<float> data = Clustered(n, kDim, 1, normalize());
  std::vector<float> queries = Clustered(100, kDim, 2, normalize());
  DiskAnnIndex index(Params(metric()));
  ASSERT_TRUE(index.Build(data.data(), n).ok());
  EXPECT_EQ(index.size(), n);
  const double r16 = MeanRecall(index, data, queries, 100, 16, metric());
  const double r100 = MeanRecall(index, data, queries, 100, 100, metric());
  EXPECT_GE(r100, 0.97) << "search_list 100";
  EXPECT_GE(r100, r16);
  EXPECT_GE(r16, 0.7) << "search_list 16";
  // Scores are exact float32 scores, ordered.
  IndexSearchParams sp;
  sp.ef = 100;
  std::vector<Neighbor> got = index.Search(queries.data(), sp);
  std::vector<Neighbor> truth =
      BruteForce(data, kDim, metric(), queries.data(), 10);
  ASSERT_EQ(got.size(), 10u);
  for (size_t i = 0; i < got.size(); ++i) {
    bool in_truth = false;
    for (const Neighbor& t : truth) {
      if (t.row == got[i].row) {
        in_truth = true;
        EXPECT_NEAR(got[i].score, t.score, 1e-4f * (1 + std::fabs(t.score)));
      }
    }
    if (i > 0 && in_truth) {
      if (metric() == Metric::kL2) {
        EXPECT_LE(got[i - 1].score, got[i].score);
      } else {
        EXPECT_GE(got[i - 1].score, got[i].score);
      }
    }
  }
}

TEST_P(DiskAnnTest, GraphIsBoundedAndEveryRowIsFoundByItsOwnVector) {
  const size_t n = 3000;
  std::vector<float> data = Clustered(n, kDim, 3, normalize());
  DiskAnnIndex index(Params(metric()));
  ASSERT_TRUE(index.Build(data.data(), n).ok());
  for (uint32_t r = 0; r < n; ++r) {
    ASSERT_LE(index.degree(r), 32u);
    for (size_t t = 0; t < index.degree(r); ++t) {
      ASSERT_LT(index.links(r)[t], n);
      ASSERT_NE(index.links(r)[t], r);
    }
  }
  IndexSearchParams sp;
  sp.k = 1;
  sp.ef = 32;
  size_t found = 0;
  for (uint32_t r = 0; r < n; ++r) {
    std::vector<Neighbor> got = index.Search(data.data() + r * kDim, sp);
    ASSERT_EQ(got.size(), 1u);
    found += got[0].row == r ? 1 : 0;
  }
  EXPECT_EQ(found, n);
}

TEST_P(DiskAnnTest, FiltersAtEverySelectivityAreExactOrClose) {
  const size_t n = 3000;
  std::vector<float> data = Clustered(n, kDim, 4, normalize());
  std::vector<float> queries = Clustered(30, kDim, 5, normalize());
  DiskAnnIndex index(Params(metric()));
  ASSERT_TRUE(index.Build(data.data(), n).ok());
  for (double fraction : {0.001, 0.01, 0.2, 0.5, 0.9}) {
    Bitset allowed = RandomBits(n, fraction, 6);
    IndexSearchParams sp;
    sp.k = 10;
    sp.ef = 100;
    sp.allowed = &allowed;
    double recall = 0;
    for (size_t q = 0; q < 30; ++q) {
      const float* query = queries.data() + q * kDim;
      std::vector<Neighbor> got = index.Search(query, sp);
      std::vector<Neighbor> truth =
          BruteForce(data, kDim, metric(), query, 10, &allowed);
      ASSERT_EQ(got.size(), truth.size()) << "fraction " << fraction;
      for (const Neighbor& g : got) ASSERT_TRUE(allowed.Test(g.row));
      recall += Recall(got, truth);
      if (fraction < DiskAnnIndex::kExactFraction) {
        ExpectSameScores(got, truth);
      }
    }
    EXPECT_GE(recall / 30, 0.9) << "fraction " << fraction;
  }
  Bitset none(n);
  IndexSearchParams sp;
  sp.allowed = &none;
  EXPECT_TRUE(index.Search(queries.data(), sp).empty());
}

TEST_P(DiskAnnTest, RangeSearchKeepsOnlyRowsInsideTheRange) {
  const size_t n = 4000;
  std::vector<float> data = Clustered(n, kDim, 7, normalize());
  std::vector<float> queries = Clustered(10, kDim, 8, normalize());
  DiskAnnIndex index(Params(metric()));
  ASSERT_TRUE(index.Build(data.data(), n).ok());
  for (size_t q = 0; q < 10; ++q) {
    const float* query = queries.data() + q * kDim;
    std::vector<Neighbor> all = BruteForce(data, kDim, metric(), query, 50);
    // A radius around the 20th nearest: about 20 rows inside.
    const float radius = all[20].score;
    IndexSearchParams sp;
    sp.k = 50;
    sp.ef = 100;
    sp.radius = radius;
    std::vector<Neighbor> got = index.Search(query, sp);
    std::vector<Neighbor> truth =
        BruteForce(data, kDim, metric(), query, 50, nullptr, radius);
    for (const Neighbor& g : got) {
      if (metric() == Metric::kL2) {
        EXPECT_LT(g.score, radius);
      } else {
        EXPECT_GT(g.score, radius);
      }
    }
    EXPECT_GE(Recall(got, truth), 0.9);
  }
}

TEST_P(DiskAnnTest, SaveLoadAttachAndSpillGiveTheSameResults) {
  const size_t n = 3000;
  std::vector<float> data = Clustered(n, kDim, 9, normalize());
  std::vector<float> queries = Clustered(20, kDim, 10, normalize());
  DiskAnnIndex index(Params(metric()));
  ASSERT_TRUE(index.Build(data.data(), n).ok());
  std::string bytes;
  ASSERT_TRUE(index.Save(&bytes).ok());
  auto header = cove::internal::ParseIndexHeader(bytes);
  ASSERT_TRUE(header.ok()) << header.status();
  EXPECT_EQ(header->type, IndexType::kDiskAnn);
  auto loaded = LoadIndex(bytes);
  ASSERT_TRUE(loaded.ok()) << loaded.status();

  // Without float32 rows in memory: attached (as a segment does) and
  // spilled to a file.
  DiskAnnIndex attached(Params(metric()));
  ASSERT_TRUE(attached.Build(data.data(), n).ok());
  const size_t with_rows = attached.MemoryBytes();
  ExternalVectors v;
  v.data = data.data();
  v.n = n;
  v.dim = kDim;
  ASSERT_TRUE(attached.AttachVectors(v).ok());
  EXPECT_LE(attached.MemoryBytes() + n * kDim * sizeof(float), with_rows + 64);
  DiskAnnIndex spilled(Params(metric()));
  ASSERT_TRUE(spilled.Build(data.data(), n).ok());
  ASSERT_TRUE(
      spilled.SpillVectors(std::filesystem::temp_directory_path().string())
          .ok());
  EXPECT_TRUE(spilled.has_floats());

  for (size_t q = 0; q < 20; ++q) {
    IndexSearchParams sp;
    sp.ef = 40;
    const float* query = queries.data() + q * kDim;
    std::vector<Neighbor> x = index.Search(query, sp);
    for (const VectorIndex* other :
         {static_cast<const VectorIndex*>(loaded->get()),
          static_cast<const VectorIndex*>(&attached),
          static_cast<const VectorIndex*>(&spilled)}) {
      std::vector<Neighbor> y = other->Search(query, sp);
      ASSERT_EQ(x.size(), y.size());
      for (size_t i = 0; i < x.size(); ++i) {
        EXPECT_EQ(x[i].row, y[i].row);
        EXPECT_EQ(x[i].score, y[i].score);
      }
    }
  }
  std::string again;
  ASSERT_TRUE((*loaded)->Save(&again).ok());
  EXPECT_EQ(bytes, again);
  // An attached index saves without the rows; loaded so, it ranks on PQ
  // codes and cannot grow until rows are attached.
  std::string without;
  ASSERT_TRUE(attached.Save(&without).ok());
  EXPECT_LT(without.size(), bytes.size());
  auto codes_only = LoadIndex(without);
  ASSERT_TRUE(codes_only.ok()) << codes_only.status();
  IndexSearchParams sp;
  sp.ef = 100;
  std::vector<Neighbor> approx = (*codes_only)->Search(queries.data(), sp);
  EXPECT_GE(
      Recall(approx, BruteForce(data, kDim, metric(), queries.data(), 10)),
      0.5);
  EXPECT_EQ((*codes_only)->Add(data.data(), 1).code(),
            absl::StatusCode::kFailedPrecondition);
}

TEST_P(DiskAnnTest, AddedRowsAreSearchable) {
  const size_t n = 3000;
  std::vector<float> data = Clustered(n + 500, kDim, 11, normalize());
  DiskAnnIndex index(Params(metric()));
  ASSERT_TRUE(index.Build(data.data(), n).ok());
  ASSERT_TRUE(index.Add(data.data() + n * kDim, 500).ok());
  EXPECT_EQ(index.size(), n + 500);
  IndexSearchParams sp;
  sp.k = 1;
  sp.ef = 32;
  size_t found = 0;
  for (uint32_t r = n; r < n + 500; ++r) {
    std::vector<Neighbor> got = index.Search(data.data() + r * kDim, sp);
    found += !got.empty() && got[0].row == r ? 1 : 0;
  }
  EXPECT_GE(found, 495u);
}

TEST_P(DiskAnnTest, HoldsLessMemoryThanHnswWithoutItsRows) {
  const size_t n = 2000;
  std::vector<float> data = Clustered(n, kDim, 12, normalize());
  DiskAnnIndex disk(Params(metric()));
  ASSERT_TRUE(disk.Build(data.data(), n).ok());
  ExternalVectors v;
  v.data = data.data();
  v.n = n;
  v.dim = kDim;
  ASSERT_TRUE(disk.AttachVectors(v).ok());
  IndexParams hp;
  hp.type = IndexType::kHnsw;
  hp.metric = metric();
  hp.dim = kDim;
  hp.m = 16;
  HnswIndex hnsw(hp);
  ASSERT_TRUE(hnsw.Build(data.data(), n).ok());
  // HNSW searches its float32 rows in memory; DISKANN holds codes and links.
  EXPECT_LT(disk.MemoryBytes(), hnsw.MemoryBytes());
}

INSTANTIATE_TEST_SUITE_P(Metrics, DiskAnnTest,
                         ::testing::Values(Metric::kL2, Metric::kIP),
                         [](const auto& info) {
                           return info.param == Metric::kL2 ? "L2" : "IP";
                         });

TEST(DiskAnnCorruptTest, EveryTruncationAndFlippedByteIsDataLoss) {
  const size_t n = 300;
  std::vector<float> data = Clustered(n, kDim, 13, false);
  DiskAnnIndex index(Params(Metric::kL2));
  ASSERT_TRUE(index.Build(data.data(), n).ok());
  std::string bytes;
  ASSERT_TRUE(index.Save(&bytes).ok());
  auto header = cove::internal::ParseIndexHeader(bytes);
  ASSERT_TRUE(header.ok());
  const std::string payload(header->payload);
  // The payload parser alone (the header's checksum would catch flips).
  for (size_t cut = 0; cut < payload.size(); cut += 97) {
    auto loaded = DiskAnnIndex::Load(std::string_view(payload).substr(0, cut));
    EXPECT_EQ(loaded.status().code(), absl::StatusCode::kDataLoss)
        << "cut " << cut;
  }
  auto ok = DiskAnnIndex::Load(payload);
  ASSERT_TRUE(ok.ok()) << ok.status();
  // An unknown metric and an impossible dimension.
  std::string bad = payload;
  bad[0] = 9;
  EXPECT_EQ(DiskAnnIndex::Load(bad).status().code(),
            absl::StatusCode::kDataLoss);
  bad = payload;
  bad[8] = 0x7f;  // dim's high byte
  EXPECT_EQ(DiskAnnIndex::Load(bad).status().code(),
            absl::StatusCode::kDataLoss);
  std::string flipped = bytes;
  flipped[flipped.size() / 2] ^= 1;
  EXPECT_EQ(LoadIndex(flipped).status().code(), absl::StatusCode::kDataLoss);
}

TEST(DiskAnnParamsTest, BadParamsNameTheParameter) {
  IndexParams p = Params(Metric::kL2);
  EXPECT_TRUE(DiskAnnIndex::ValidateParams(p).ok());
  struct Case {
    void (*mutate)(IndexParams*);
    const char* name;
  };
  const Case cases[] = {
      {[](IndexParams* q) { q->dim = 0; }, "dim"},
      {[](IndexParams* q) { q->max_degree = 0; }, "max_degree"},
      {[](IndexParams* q) { q->max_degree = 513; }, "max_degree"},
      {[](IndexParams* q) { q->search_list_size = 0; }, "search_list_size"},
      {[](IndexParams* q) { q->pq_code_budget_ratio = 0; },
       "pq_code_budget_gb_ratio"},
      {[](IndexParams* q) { q->pq_code_budget_ratio = 0.3; },
       "pq_code_budget_gb_ratio"},
      {[](IndexParams* q) { q->build_threads = -1; }, "build_threads"},
  };
  for (const Case& c : cases) {
    IndexParams q = p;
    c.mutate(&q);
    absl::Status s = DiskAnnIndex::ValidateParams(q);
    EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument) << c.name;
    EXPECT_NE(std::string(s.message()).find(c.name), std::string::npos)
        << s.message();
  }
  // The PQ budget: 0.125 of a float32 row is one byte per two dimensions.
  EXPECT_EQ(DiskAnnIndex::SubVectors(p), kDim / 2);
}

TEST(DiskAnnTinyTest, EmptyAndTinyIndexes) {
  DiskAnnIndex index(Params(Metric::kL2));
  std::vector<float> q(kDim, 0.5f);
  IndexSearchParams sp;
  EXPECT_TRUE(index.Search(q.data(), sp).empty());
  ASSERT_TRUE(index.Build(nullptr, 0).ok());
  EXPECT_TRUE(index.Search(q.data(), sp).empty());
  std::vector<float> data = Clustered(5, kDim, 17, false);
  ASSERT_TRUE(index.Build(data.data(), 5).ok());
  EXPECT_EQ(index.Search(q.data(), sp).size(), 5u);
}

}  // namespace diskann_index_test
}  // namespace
}  // namespace cove::engine
