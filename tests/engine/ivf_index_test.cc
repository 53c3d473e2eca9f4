// Tests of IVF_FLAT and IVF_SQ8 (and of the k-means under them) against a
// brute-force oracle on small generated data.
#include "engine/indexes/ivf_index.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <optional>
#include <random>
#include <set>
#include <string>
#include <tuple>
#include <vector>

#include "engine/index_test_util.h"
#include "engine/indexes/index_io.h"
#include "engine/indexes/kmeans.h"
#include "engine/indexes/sq8.h"
#include "gtest/gtest.h"

namespace cove::engine {
namespace {
namespace ivf_index_test {

using ::cove::engine::testing::BruteForce;
using ::cove::engine::testing::Clustered;
using ::cove::engine::testing::ExpectSameScores;
using ::cove::engine::testing::RandomBits;
using ::cove::engine::testing::Recall;

// The oracle IVF_SQ8 is exact against: brute force on the SQ8 scores of a
// quantizer trained, like the index's, on all build vectors.
std::vector<Neighbor> BruteForceSq8(const std::vector<float>& data, size_t d,
                                    Metric metric, const float* q, size_t k,
                                    const Bitset* allowed) {
  Sq8Quantizer sq(d);
  size_t n = data.size() / d;
  sq.Train(data.data(), n);
  std::vector<uint8_t> code(d);
  std::vector<Neighbor> all;
  for (size_t i = 0; i < n; ++i) {
    if (allowed != nullptr && !allowed->Test(i)) continue;
    sq.Encode(data.data() + i * d, code.data());
    all.push_back({static_cast<uint32_t>(i), sq.Score(metric, q, code.data())});
  }
  bool ip = metric != Metric::kL2;
  std::sort(all.begin(), all.end(), [&](const Neighbor& a, const Neighbor& b) {
    return ip ? a.score > b.score : a.score < b.score;
  });
  if (all.size() > k) all.resize(k);
  return all;
}

IndexParams Params(IndexType type, Metric metric, size_t dim, int nlist = 64) {
  IndexParams p;
  p.type = type;
  p.metric = metric;
  p.dim = dim;
  p.nlist = nlist;
  p.build_threads = 2;
  return p;
}

std::unique_ptr<IvfIndex> Reload(const IvfIndex& index) {
  std::string bytes;
  EXPECT_TRUE(index.Save(&bytes).ok());
  auto header = cove::internal::ParseIndexHeader(bytes);
  EXPECT_TRUE(header.ok()) << header.status();
  auto loaded = IvfIndex::Load(header->type, header->payload);
  EXPECT_TRUE(loaded.ok()) << loaded.status();
  return loaded.ok() ? std::move(*loaded) : nullptr;
}

class IvfTest : public ::testing::TestWithParam<std::tuple<IndexType, Metric>> {
 protected:
  IndexType type() const { return std::get<0>(GetParam()); }
  Metric metric() const { return std::get<1>(GetParam()); }
  bool sq8() const { return type() == IndexType::kIvfSq8; }
  bool normalize() const { return metric() != Metric::kL2; }
  // IVF_SQ8 ranks on the codes and re-ranks the best max(3k, 32) on
  // float32: its recall is bounded by the quantization and the depth.
  double min_recall() const { return sq8() ? 0.9 : 0.95; }
};

constexpr size_t kDim = 32;

TEST_P(IvfTest, RecallAtTen) {
  const size_t n = 10000;
  std::vector<float> data = Clustered(n, kDim, 1, normalize());
  std::vector<float> queries = Clustered(100, kDim, 2, normalize());
  IvfIndex index(Params(type(), metric(), kDim));
  ASSERT_TRUE(index.Build(data.data(), n).ok());
  EXPECT_EQ(index.size(), n);
  EXPECT_EQ(index.list_count(), 64u);
  size_t total = 0;
  for (size_t i = 0; i < index.list_count(); ++i) total += index.list_size(i);
  EXPECT_EQ(total, n);
  IndexSearchParams sp;
  sp.nprobe = 16;
  double recall = 0;
  for (size_t q = 0; q < 100; ++q) {
    const float* query = queries.data() + q * kDim;
    std::vector<Neighbor> got = index.Search(query, sp);
    ASSERT_EQ(got.size(), 10u);
    recall += Recall(got, BruteForce(data, kDim, metric(), query, 10));
  }
  EXPECT_GE(recall / 100, min_recall());
}

TEST_P(IvfTest, ProbingAllListsIsExact) {
  const size_t n = 3000;
  std::vector<float> data = Clustered(n, kDim, 3, normalize());
  IvfIndex index(Params(type(), metric(), kDim, 16));
  ASSERT_TRUE(index.Build(data.data(), n).ok());
  std::vector<float> queries = Clustered(10, kDim, 4, normalize());
  IndexSearchParams sp;
  sp.nprobe = 16;
  // IVF_SQ8 re-ranking every row is exact on float32.
  if (sq8()) sp.rerank = static_cast<int>(n);
  for (size_t q = 0; q < 10; ++q) {
    const float* query = queries.data() + q * kDim;
    std::vector<Neighbor> got = index.Search(query, sp);
    ExpectSameScores(got, BruteForce(data, kDim, metric(), query, 10));
  }
}

TEST_P(IvfTest, Sq8ReranksOnFloatsAndReadsOldBytesWithoutThem) {
  if (!sq8()) GTEST_SKIP() << "IVF_SQ8 only";
  const size_t n = 3000;
  std::vector<float> data = Clustered(n, kDim, 3, normalize());
  IvfIndex index(Params(type(), metric(), kDim, 16));
  ASSERT_TRUE(index.Build(data.data(), n).ok());
  EXPECT_TRUE(index.has_floats());
  std::vector<float> queries = Clustered(10, kDim, 4, normalize());
  IndexSearchParams sp;
  sp.nprobe = 16;
  // Bytes written before re-ranking existed end with the lists: no floats,
  // so the index ranks and scores on the codes.
  std::string bytes;
  ASSERT_TRUE(index.Save(&bytes).ok());
  auto header = cove::internal::ParseIndexHeader(bytes);
  ASSERT_TRUE(header.ok());
  std::string_view old = header->payload;
  old.remove_suffix(1 + n * kDim * sizeof(float));
  auto loaded = IvfIndex::Load(type(), old);
  ASSERT_TRUE(loaded.ok()) << loaded.status();
  EXPECT_FALSE((*loaded)->has_floats());
  double recall = 0;
  for (size_t q = 0; q < 10; ++q) {
    const float* query = queries.data() + q * kDim;
    std::vector<Neighbor> truth = BruteForce(data, kDim, metric(), query, 10);
    // Default depth: the scores returned are exact float32 scores.
    std::vector<Neighbor> got = index.Search(query, sp);
    ASSERT_EQ(got.size(), 10u);
    for (const Neighbor& nb : got) {
      const float* x = data.data() + size_t{nb.row} * kDim;
      float exact = 0;
      for (size_t i = 0; i < kDim; ++i) {
        exact += metric() == Metric::kL2 ? (query[i] - x[i]) * (query[i] - x[i])
                                         : query[i] * x[i];
      }
      EXPECT_NEAR(nb.score, exact, 1e-4f * std::max(1.0f, std::abs(exact)));
    }
    recall += Recall(got, truth);
    ExpectSameScores((*loaded)->Search(query, sp),
                     BruteForceSq8(data, kDim, metric(), query, 10, nullptr));
  }
  EXPECT_GE(recall / 10, 0.95);
  // A too-short float section is corrupt.
  std::string_view cut = header->payload;
  cut.remove_suffix(4);
  EXPECT_EQ(IvfIndex::Load(type(), cut).status().code(),
            absl::StatusCode::kDataLoss);
}

TEST_P(IvfTest, FilteredSearchAtEverySelectivity) {
  const size_t n = 10000;
  std::vector<float> data = Clustered(n, kDim, 5, normalize());
  std::vector<float> queries = Clustered(30, kDim, 6, normalize());
  IvfIndex index(Params(type(), metric(), kDim));
  ASSERT_TRUE(index.Build(data.data(), n).ok());
  for (double fraction : {1.0, 0.1, 0.01, 0.001}) {
    SCOPED_TRACE(fraction);
    Bitset allowed = RandomBits(n, fraction, 7);
    IndexSearchParams sp;
    sp.allowed = &allowed;
    double recall = 0;
    for (size_t q = 0; q < 30; ++q) {
      const float* query = queries.data() + q * kDim;
      std::vector<Neighbor> got = index.Search(query, sp);
      std::vector<Neighbor> truth =
          BruteForce(data, kDim, metric(), query, 10, &allowed);
      ASSERT_EQ(got.size(), truth.size());
      for (const Neighbor& nb : got) EXPECT_TRUE(allowed.Test(nb.row));
      // Few allowed rows: an exact scan (IVF_SQ8: on float32).
      if (fraction < 0.05) ExpectSameScores(got, truth);
      recall += Recall(got, truth);
    }
    EXPECT_GE(recall / 30, min_recall());
  }
}

TEST_P(IvfTest, RangeSearch) {
  const size_t n = 5000;
  std::vector<float> data = Clustered(n, kDim, 8, normalize());
  IvfIndex index(Params(type(), metric(), kDim, 32));
  ASSERT_TRUE(index.Build(data.data(), n).ok());
  std::vector<float> queries = Clustered(10, kDim, 9, normalize());
  double recall = 0;
  for (size_t q = 0; q < 10; ++q) {
    const float* query = queries.data() + q * kDim;
    std::vector<Neighbor> top = BruteForce(data, kDim, metric(), query, 40);
    IndexSearchParams sp;
    sp.k = 20;
    sp.nprobe = 8;
    sp.range_filter = top[4].score;
    sp.radius = top[39].score;
    std::vector<Neighbor> got = index.Search(query, sp);
    for (const Neighbor& nb : got) {
      if (metric() == Metric::kL2) {
        EXPECT_TRUE(nb.score >= *sp.range_filter && nb.score < *sp.radius);
      } else {
        EXPECT_TRUE(nb.score > *sp.radius && nb.score <= *sp.range_filter);
      }
    }
    recall += Recall(got, BruteForce(data, kDim, metric(), query, 20, nullptr,
                                     sp.radius, sp.range_filter));
  }
  EXPECT_GE(recall / 10, sq8() ? 0.8 : 0.9);
}

TEST_P(IvfTest, AddNeedsBuildThenGrows) {
  const size_t n = 6000;
  std::vector<float> data = Clustered(n, kDim, 10, normalize());
  IvfIndex index(Params(type(), metric(), kDim, 32));
  absl::Status s = index.Add(data.data(), 10);
  EXPECT_EQ(s.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_TRUE(index.Search(data.data(), IndexSearchParams()).empty());
  ASSERT_TRUE(index.Build(data.data(), 3000).ok());
  ASSERT_TRUE(index.Add(data.data() + 3000 * kDim, 3000).ok());
  EXPECT_EQ(index.size(), n);
  std::vector<float> queries = Clustered(50, kDim, 11, normalize());
  IndexSearchParams sp;
  double recall = 0;
  for (size_t q = 0; q < 50; ++q) {
    const float* query = queries.data() + q * kDim;
    recall += Recall(index.Search(query, sp),
                     BruteForce(data, kDim, metric(), query, 10));
  }
  EXPECT_GE(recall / 50, min_recall());
  if (!sq8() && metric() == Metric::kL2) {
    sp.k = 1;
    std::vector<Neighbor> got = index.Search(data.data() + 5555 * kDim, sp);
    ASSERT_EQ(got.size(), 1u);
    EXPECT_EQ(got[0].row, 5555u);
  }
}

TEST_P(IvfTest, FewerRowsThanLists) {
  std::vector<float> data = Clustered(10, kDim, 12, normalize());
  IvfIndex index(Params(type(), metric(), kDim, 128));
  ASSERT_TRUE(index.Build(data.data(), 10).ok());
  EXPECT_EQ(index.list_count(), 10u);
  IndexSearchParams sp;
  sp.k = 20;
  EXPECT_EQ(index.Search(data.data(), sp).size(), 10u);
  EXPECT_EQ(index.Build(nullptr, 0).code(), absl::StatusCode::kInvalidArgument);
}

TEST_P(IvfTest, SaveLoadGivesIdenticalResults) {
  const size_t n = 4000;
  std::vector<float> data = Clustered(n, kDim, 13, normalize());
  IvfIndex index(Params(type(), metric(), kDim, 32));
  ASSERT_TRUE(index.Build(data.data(), n).ok());
  std::unique_ptr<IvfIndex> loaded = Reload(index);
  ASSERT_NE(loaded, nullptr);
  EXPECT_EQ(loaded->size(), n);
  EXPECT_EQ(loaded->list_count(), index.list_count());
  std::vector<float> queries = Clustered(20, kDim, 14, normalize());
  Bitset allowed = RandomBits(n, 0.3, 15);
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
  ASSERT_TRUE(loaded->Add(data.data(), 5).ok());
  EXPECT_EQ(loaded->size(), n + 5);
}

TEST_P(IvfTest, CorruptPayloadIsDataLoss) {
  const size_t n = 600;
  std::vector<float> data = Clustered(n, 16, 16, normalize());
  IvfIndex index(Params(type(), metric(), 16, 8));
  ASSERT_TRUE(index.Build(data.data(), n).ok());
  std::string bytes;
  ASSERT_TRUE(index.Save(&bytes).ok());
  std::string_view payload =
      std::string_view(bytes).substr(cove::internal::kIndexHeaderSize);
  for (size_t len = 0; len < payload.size(); len += 1 + len / 7) {
    auto r = IvfIndex::Load(type(), payload.substr(0, len));
    ASSERT_FALSE(r.ok()) << len;
    EXPECT_EQ(r.status().code(), absl::StatusCode::kDataLoss);
  }
  std::mt19937_64 rng(17);
  for (int trial = 0; trial < 300; ++trial) {
    std::string copy(payload);
    size_t pos = std::uniform_int_distribution<size_t>(0, copy.size() - 1)(rng);
    copy[pos] = static_cast<char>(rng());
    auto r = IvfIndex::Load(type(), copy);
    if (r.ok()) {
      (*r)->Search(data.data(), IndexSearchParams());
    } else {
      EXPECT_EQ(r.status().code(), absl::StatusCode::kDataLoss);
    }
  }
  // An untrained index round-trips.
  std::unique_ptr<IvfIndex> empty = Reload(IvfIndex(index.params()));
  ASSERT_NE(empty, nullptr);
  EXPECT_EQ(empty->list_count(), 0u);
}

TEST_P(IvfTest, MemoryIsAccounted) {
  const size_t n = 4000;
  std::vector<float> data = Clustered(n, kDim, 18, normalize());
  IvfIndex index(Params(type(), metric(), kDim, 32));
  ASSERT_TRUE(index.Build(data.data(), n).ok());
  // IVF_SQ8: codes plus its own float32 rows for re-ranking.
  size_t payload =
      n * kDim * (sq8() ? 1 + sizeof(float) : sizeof(float)) + n * 4;
  EXPECT_GE(index.MemoryBytes(), payload);
  EXPECT_LT(index.MemoryBytes(), payload + 32 * kDim * 4 + 64 * 1024);
}

INSTANTIATE_TEST_SUITE_P(
    All, IvfTest,
    ::testing::Combine(::testing::Values(IndexType::kIvfFlat,
                                         IndexType::kIvfSq8),
                       ::testing::Values(Metric::kL2, Metric::kIP)),
    [](const auto& info) {
      return std::string(std::get<0>(info.param) == IndexType::kIvfFlat
                             ? "IvfFlat"
                             : "IvfSq8") +
             (std::get<1>(info.param) == Metric::kL2 ? "L2" : "IP");
    });

TEST(IvfParamsTest, BadParamsNameTheParameter) {
  IndexParams p = Params(IndexType::kIvfFlat, Metric::kL2, 8);
  EXPECT_TRUE(IvfIndex::ValidateParams(p).ok());
  struct Case {
    void (*mutate)(IndexParams*);
    const char* name;
  };
  const Case cases[] = {
      {[](IndexParams* q) { q->dim = 0; }, "dim"},
      {[](IndexParams* q) { q->nlist = 0; }, "nlist"},
      {[](IndexParams* q) { q->nlist = -3; }, "nlist"},
      {[](IndexParams* q) { q->build_threads = -2; }, "build_threads"},
      {[](IndexParams* q) { q->type = IndexType::kHnsw; }, "type"},
  };
  for (const Case& c : cases) {
    IndexParams q = p;
    c.mutate(&q);
    absl::Status s = IvfIndex::ValidateParams(q);
    EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument) << c.name;
    EXPECT_NE(std::string(s.message()).find(c.name), std::string::npos)
        << s.message();
  }
}

TEST(KMeansTest, FindsSeparatedClusters) {
  // 8 tight, far-apart blobs: k-means++ then Lloyd must put one centroid on
  // each.
  const size_t d = 4;
  const size_t per = 200;
  std::mt19937_64 rng(1);
  std::normal_distribution<float> g(0.0f, 0.1f);
  std::vector<float> data;
  for (size_t c = 0; c < 8; ++c) {
    for (size_t i = 0; i < per; ++i) {
      for (size_t j = 0; j < d; ++j) {
        data.push_back(static_cast<float>(((c >> (j % 3)) & 1) * 100) + g(rng));
      }
    }
  }
  KMeansOptions opt;
  opt.threads = 2;
  std::vector<float> cen = TrainKMeans(data.data(), 8 * per, d, 8, opt);
  ASSERT_EQ(cen.size(), 8 * d);
  std::vector<uint32_t> assign(8 * per);
  std::vector<float> dist(8 * per);
  AssignNearest(data.data(), 8 * per, cen.data(), 8, d, 2, assign.data(),
                dist.data());
  for (size_t c = 0; c < 8; ++c) {
    for (size_t i = 0; i < per; ++i) {
      EXPECT_EQ(assign[c * per + i], assign[c * per]);
      EXPECT_LT(dist[c * per + i], 1.0f);
    }
  }
  std::set<uint32_t> distinct(assign.begin(), assign.end());
  EXPECT_EQ(distinct.size(), 8u);
  // Deterministic, and independent of the thread count.
  opt.threads = 1;
  EXPECT_EQ(TrainKMeans(data.data(), 8 * per, d, 8, opt), cen);
}

TEST(KMeansTest, ClampsKAndHandlesDuplicates) {
  std::vector<float> same(50 * 3, 1.5f);
  KMeansOptions opt;
  std::vector<float> cen = TrainKMeans(same.data(), 50, 3, 10, opt);
  EXPECT_EQ(cen.size(), 10u * 3);
  for (float v : cen) EXPECT_TRUE(std::isfinite(v));
  EXPECT_EQ(TrainKMeans(same.data(), 4, 3, 10, opt).size(), 4u * 3);
  EXPECT_TRUE(TrainKMeans(same.data(), 0, 3, 10, opt).empty());
}

TEST(KMeansTest, SamplesLargeInputs) {
  std::vector<float> data = Clustered(20000, 16, 19, false);
  KMeansOptions opt;
  opt.max_points_per_centroid = 32;  // 16 * 32 = 512 training points
  opt.iterations = 5;
  std::vector<float> cen = TrainKMeans(data.data(), 20000, 16, 16, opt);
  ASSERT_EQ(cen.size(), 16u * 16);
  std::vector<uint32_t> assign(20000);
  AssignNearest(data.data(), 20000, cen.data(), 16, 16, 1, assign.data(),
                nullptr);
  std::vector<size_t> sizes(16);
  for (uint32_t a : assign) ++sizes[a];
  for (size_t s : sizes) EXPECT_GT(s, 0u);
}

}  // namespace ivf_index_test
}  // namespace
}  // namespace cove::engine
