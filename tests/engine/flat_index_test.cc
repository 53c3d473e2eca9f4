// Tests of the exact FLAT index (and of the TopK collector it uses) against a
// double-precision brute-force oracle, at every SIMD level this CPU can run.
#include "engine/indexes/flat_index.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "engine/indexes/index_io.h"
#include "engine/kernels/topk.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "testing/status_matchers.h"

namespace cove::engine {
namespace {
namespace flat_index_test {

using ::cove::testing::StatusIs;
using ::testing::HasSubstr;

std::vector<float> Gaussian(size_t n, size_t d, uint32_t seed) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> g(0.0f, 1.0f);
  std::vector<float> v(n * d);
  for (float& x : v) x = g(rng);
  return v;
}

// The exact answer, in double precision: rows sorted by closeness (ties by
// row), filtered by `allowed` and by the Milvus range semantics.
std::vector<Neighbor> Oracle(const std::vector<float>& data, size_t d,
                             Metric metric, const float* q,
                             const IndexSearchParams& p) {
  const size_t n = data.size() / d;
  const bool larger = metric != Metric::kL2;
  struct Scored {
    double score;
    uint32_t row;
  };
  std::vector<Scored> all;
  for (size_t r = 0; r < n; ++r) {
    if (p.allowed != nullptr && (r >= p.allowed->size() || !p.allowed->Test(r)))
      continue;
    double s = 0;
    for (size_t i = 0; i < d; ++i) {
      double x = data[r * d + i];
      if (larger) {
        s += x * q[i];
      } else {
        s += (x - q[i]) * (x - q[i]);
      }
    }
    if (p.radius.has_value()) {
      if (larger ? !(s > *p.radius) : !(s < *p.radius)) continue;
    }
    if (p.range_filter.has_value()) {
      if (larger ? !(s <= *p.range_filter) : !(s >= *p.range_filter)) continue;
    }
    all.push_back({s, static_cast<uint32_t>(r)});
  }
  std::sort(all.begin(), all.end(), [&](const Scored& a, const Scored& b) {
    if (a.score != b.score)
      return larger ? a.score > b.score : a.score < b.score;
    return a.row < b.row;
  });
  if (all.size() > p.k) all.resize(p.k);
  std::vector<Neighbor> out;
  for (const Scored& s : all)
    out.push_back({s.row, static_cast<float>(s.score)});
  return out;
}

void ExpectMatchesOracle(const std::vector<Neighbor>& got,
                         const std::vector<Neighbor>& want) {
  ASSERT_EQ(got.size(), want.size());
  for (size_t i = 0; i < got.size(); ++i) {
    EXPECT_EQ(got[i].row, want[i].row) << "rank " << i;
    EXPECT_NEAR(got[i].score, want[i].score,
                1e-4 * (1.0 + std::fabs(want[i].score)))
        << "rank " << i;
  }
}

void ExpectIdentical(const std::vector<Neighbor>& a,
                     const std::vector<Neighbor>& b) {
  ASSERT_EQ(a.size(), b.size());
  for (size_t i = 0; i < a.size(); ++i) {
    EXPECT_EQ(a[i].row, b[i].row) << "rank " << i;
    EXPECT_EQ(a[i].score, b[i].score) << "rank " << i;
  }
}

// ---------------------------------------------------------------------------
// TopK.

TEST(TopKTest, KeepsTheKSmallest) {
  TopK top(3, /*larger_is_closer=*/false);
  const float scores[] = {5, 1, 4, 1, 9, 2, 6, 0.5f, 3};
  for (uint32_t i = 0; i < 9; ++i) top.Push(i, scores[i]);
  std::vector<Neighbor> r = top.Take();
  ASSERT_EQ(r.size(), 3u);
  EXPECT_EQ(r[0].row, 7u);
  EXPECT_EQ(r[1].row, 1u);  // tie 1 vs 3: smaller row first
  EXPECT_EQ(r[2].row, 3u);
  EXPECT_EQ(r[0].score, 0.5f);
}

TEST(TopKTest, KeepsTheKLargestAndBreaksTiesByRow) {
  TopK top(2, /*larger_is_closer=*/true);
  top.Push(10, 1.0f);
  top.Push(3, 7.0f);
  top.Push(4, 7.0f);
  top.Push(2, 7.0f);
  top.Push(5, -1.0f);
  std::vector<Neighbor> r = top.Take();
  ASSERT_EQ(r.size(), 2u);
  EXPECT_EQ(r[0].row, 2u);
  EXPECT_EQ(r[1].row, 3u);
  EXPECT_EQ(r[1].score, 7.0f);
}

TEST(TopKTest, RandomStreamsMatchSort) {
  std::mt19937 rng(7);
  std::uniform_int_distribution<int> val(0, 50);  // many ties
  for (size_t k : {size_t{1}, size_t{5}, size_t{64}}) {
    for (bool larger : {false, true}) {
      TopK top(k, larger);
      std::vector<Neighbor> all;
      for (uint32_t i = 0; i < 1000; ++i) {
        float s = static_cast<float>(val(rng));
        all.push_back({i, s});
        top.Push(i, s);
      }
      std::sort(all.begin(), all.end(),
                [&](const Neighbor& a, const Neighbor& b) {
                  if (a.score != b.score)
                    return larger ? a.score > b.score : a.score < b.score;
                  return a.row < b.row;
                });
      all.resize(k);
      ExpectIdentical(top.Take(), all);
    }
  }
}

TEST(TopKTest, BoundIsStrict) {
  TopK top(10, /*larger_is_closer=*/false);
  top.SetBound(2.0f);
  EXPECT_FALSE(top.Push(0, 2.0f));
  EXPECT_TRUE(top.Push(1, 1.5f));
  EXPECT_FALSE(top.Push(2, 3.0f));
  EXPECT_EQ(top.Take().size(), 1u);
}

TEST(TopKTest, ZeroK) {
  TopK top(0, false);
  EXPECT_FALSE(top.Push(0, 1.0f));
  EXPECT_TRUE(top.Take().empty());
}

// ---------------------------------------------------------------------------
// FlatIndex, at every SIMD level.

class FlatIndexTest : public ::testing::TestWithParam<SimdLevel> {
 protected:
  void SetUp() override {
    if (!SimdLevelSupported(GetParam())) {
      GTEST_SKIP() << SimdLevelName(GetParam()) << " not supported here";
    }
    saved_ = ActiveSimdLevel();
    ASSERT_TRUE(SetSimdLevelForTesting(GetParam()));
  }
  void TearDown() override {
    if (SimdLevelSupported(GetParam())) SetSimdLevelForTesting(saved_);
  }

  static std::unique_ptr<FlatIndex> Make(Metric metric, size_t d,
                                         const std::vector<float>& data) {
    IndexParams p;
    p.type = IndexType::kFlat;
    p.metric = metric;
    p.dim = d;
    auto index = std::make_unique<FlatIndex>(p);
    EXPECT_OK(index->Build(data.data(), data.size() / d));
    return index;
  }

  SimdLevel saved_ = SimdLevel::kScalar;
};

TEST_P(FlatIndexTest, MatchesBruteForce) {
  for (Metric metric : {Metric::kL2, Metric::kIP}) {
    for (size_t d : {size_t{1}, size_t{7}, size_t{33}, size_t{128}}) {
      const size_t n = 3001;
      std::vector<float> data = Gaussian(n, d, 11);
      std::vector<float> queries = Gaussian(5, d, 12);
      auto index = Make(metric, d, data);
      ASSERT_EQ(index->size(), n);
      for (size_t k : {size_t{1}, size_t{10}, size_t{100}}) {
        if (d == 1 && k > 1) continue;  // 1-d data has near-ties everywhere
        IndexSearchParams p;
        p.k = k;
        for (size_t qi = 0; qi < 5; ++qi) {
          SCOPED_TRACE(::testing::Message()
                       << "metric=" << static_cast<int>(metric) << " d=" << d
                       << " k=" << k << " q=" << qi);
          const float* q = queries.data() + qi * d;
          ExpectMatchesOracle(index->Search(q, p),
                              Oracle(data, d, metric, q, p));
        }
      }
    }
  }
}

TEST_P(FlatIndexTest, KLargerThanSizeReturnsAllRows) {
  std::vector<float> data = Gaussian(7, 16, 3);
  auto index = Make(Metric::kL2, 16, data);
  IndexSearchParams p;
  p.k = 50;
  std::vector<float> q = Gaussian(1, 16, 4);
  std::vector<Neighbor> r = index->Search(q.data(), p);
  ExpectMatchesOracle(r, Oracle(data, 16, Metric::kL2, q.data(), p));
  EXPECT_EQ(r.size(), 7u);
  // An absurd k is clamped, not allocated.
  p.k = SIZE_MAX;
  EXPECT_EQ(index->Search(q.data(), p).size(), 7u);
  std::vector<float> qs = Gaussian(5, 16, 5);
  for (const auto& one : index->SearchBatch(qs.data(), 5, p)) {
    EXPECT_EQ(one.size(), 7u);
  }
}

TEST_P(FlatIndexTest, EmptyIndexAndZeroK) {
  IndexParams p;
  p.dim = 8;
  FlatIndex index(p);
  std::vector<float> q(8, 1.0f);
  IndexSearchParams sp;
  EXPECT_TRUE(index.Search(q.data(), sp).empty());
  EXPECT_EQ(index.SearchBatch(q.data(), 1, sp).size(), 1u);
  std::vector<float> data = Gaussian(10, 8, 1);
  ASSERT_OK(index.Add(data.data(), 10));
  sp.k = 0;
  EXPECT_TRUE(index.Search(q.data(), sp).empty());
}

TEST_P(FlatIndexTest, AllowedBitsetAtSeveralSelectivities) {
  const size_t n = 20000, d = 24;
  std::vector<float> data = Gaussian(n, d, 21);
  std::vector<float> queries = Gaussian(8, d, 22);
  std::mt19937 rng(5);
  for (Metric metric : {Metric::kL2, Metric::kIP}) {
    auto index = Make(metric, d, data);
    for (double frac : {1.0, 0.5, 0.1, 0.01, 0.001, 0.0}) {
      Bitset allowed(n);
      std::uniform_real_distribution<double> u(0, 1);
      for (size_t r = 0; r < n; ++r) allowed.Assign(r, u(rng) < frac);
      IndexSearchParams p;
      p.k = 10;
      p.allowed = &allowed;
      for (size_t qi = 0; qi < 8; ++qi) {
        SCOPED_TRACE(::testing::Message()
                     << "metric=" << static_cast<int>(metric)
                     << " frac=" << frac << " q=" << qi);
        const float* q = queries.data() + qi * d;
        std::vector<Neighbor> r = index->Search(q, p);
        ExpectMatchesOracle(r, Oracle(data, d, metric, q, p));
        for (const Neighbor& nb : r) EXPECT_TRUE(allowed.Test(nb.row));
      }
      // The batch path (matrix products, or per-query scans when sparse).
      std::vector<std::vector<Neighbor>> batch =
          index->SearchBatch(queries.data(), 8, p);
      for (size_t qi = 0; qi < 8; ++qi) {
        ExpectIdentical(batch[qi], index->Search(queries.data() + qi * d, p));
      }
    }
  }
}

TEST_P(FlatIndexTest, AllowedBitsetShorterThanIndex) {
  const size_t n = 500, d = 16;
  std::vector<float> data = Gaussian(n, d, 31);
  auto index = Make(Metric::kL2, d, data);
  Bitset allowed(130, true);  // rows >= 130 are not allowed
  IndexSearchParams p;
  p.k = 200;
  p.allowed = &allowed;
  std::vector<float> q = Gaussian(1, d, 32);
  std::vector<Neighbor> r = index->Search(q.data(), p);
  ASSERT_EQ(r.size(), 130u);
  ExpectMatchesOracle(r, Oracle(data, d, Metric::kL2, q.data(), p));
}

TEST_P(FlatIndexTest, RangeSearch) {
  const size_t n = 5000, d = 32;
  std::vector<float> data = Gaussian(n, d, 41);
  std::vector<float> queries = Gaussian(6, d, 42);
  {
    auto index = Make(Metric::kL2, d, data);
    // Typical squared distances of two N(0, I_32) points: about 64.
    IndexSearchParams p;
    p.k = 50;
    p.radius = 40.0f;
    for (std::optional<float> rf :
         {std::optional<float>(), std::optional<float>(30.0f)}) {
      p.range_filter = rf;
      for (size_t qi = 0; qi < 6; ++qi) {
        const float* q = queries.data() + qi * d;
        std::vector<Neighbor> r = index->Search(q, p);
        ExpectMatchesOracle(r, Oracle(data, d, Metric::kL2, q, p));
        for (const Neighbor& nb : r) {
          EXPECT_LT(nb.score, 40.0f);
          if (rf) {
            EXPECT_GE(nb.score, 30.0f);
          }
        }
      }
      auto batch = index->SearchBatch(queries.data(), 6, p);
      for (size_t qi = 0; qi < 6; ++qi) {
        ExpectIdentical(batch[qi], index->Search(queries.data() + qi * d, p));
      }
    }
  }
  {
    auto index = Make(Metric::kIP, d, data);
    IndexSearchParams p;
    p.k = 50;
    p.radius = 4.0f;
    for (std::optional<float> rf :
         {std::optional<float>(), std::optional<float>(8.0f)}) {
      p.range_filter = rf;
      for (size_t qi = 0; qi < 6; ++qi) {
        const float* q = queries.data() + qi * d;
        std::vector<Neighbor> r = index->Search(q, p);
        ExpectMatchesOracle(r, Oracle(data, d, Metric::kIP, q, p));
        for (const Neighbor& nb : r) {
          EXPECT_GT(nb.score, 4.0f);
          if (rf) {
            EXPECT_LE(nb.score, 8.0f);
          }
        }
      }
      auto batch = index->SearchBatch(queries.data(), 6, p);
      for (size_t qi = 0; qi < 6; ++qi) {
        ExpectIdentical(batch[qi], index->Search(queries.data() + qi * d, p));
      }
    }
  }
}

TEST_P(FlatIndexTest, BatchEqualsSingle) {
  for (Metric metric : {Metric::kL2, Metric::kIP, Metric::kCosine}) {
    // Two whole base blocks of 512 rows and a partial one; one whole query
    // block of 256 and a partial one; dimensions with and without a tail.
    for (size_t d : {size_t{5}, size_t{67}, size_t{128}}) {
      const size_t n = 1100, nq = 301;
      std::vector<float> data = Gaussian(n, d, 51);
      std::vector<float> queries = Gaussian(nq, d, 52);
      auto index = Make(metric, d, data);
      for (size_t k : {size_t{1}, size_t{10}, size_t{64}}) {
        IndexSearchParams p;
        p.k = k;
        auto batch = index->SearchBatch(queries.data(), nq, p);
        ASSERT_EQ(batch.size(), nq);
        // Every third query of the whole block, and the partial block.
        for (size_t qi = 0; qi < nq; qi += qi < 256 ? 3 : 1) {
          SCOPED_TRACE(::testing::Message()
                       << "metric=" << static_cast<int>(metric) << " d=" << d
                       << " k=" << k << " q=" << qi);
          const float* q = queries.data() + qi * d;
          std::vector<Neighbor> single = index->Search(q, p);
          ExpectIdentical(batch[qi], single);
          if (qi % 51 == 0) {
            ExpectMatchesOracle(single, Oracle(data, d, metric, q, p));
          }
        }
      }
    }
  }
}

TEST_P(FlatIndexTest, AddAppendsAndBuildReplaces) {
  const size_t d = 16;
  std::vector<float> a = Gaussian(100, d, 61), b = Gaussian(50, d, 62);
  IndexParams params;
  params.dim = d;
  FlatIndex index(params);
  ASSERT_OK(index.Add(a.data(), 100));
  ASSERT_OK(index.Add(b.data(), 50));
  EXPECT_EQ(index.size(), 150u);
  // Row 120 is b's row 20: its own nearest neighbour.
  IndexSearchParams p;
  p.k = 1;
  std::vector<Neighbor> r = index.Search(b.data() + 20 * d, p);
  ASSERT_EQ(r.size(), 1u);
  EXPECT_EQ(r[0].row, 120u);
  EXPECT_EQ(r[0].score, 0.0f);
  ASSERT_OK(index.Build(b.data(), 50));
  EXPECT_EQ(index.size(), 50u);
  r = index.Search(b.data() + 20 * d, p);
  EXPECT_EQ(r[0].row, 20u);
  EXPECT_GE(index.MemoryBytes(), 50 * d * sizeof(float));
  EXPECT_THAT(index.Add(nullptr, 3),
              StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST_P(FlatIndexTest, SaveLoadRoundTrip) {
  const size_t d = 20;
  for (Metric metric : {Metric::kL2, Metric::kIP, Metric::kCosine}) {
    std::vector<float> data = Gaussian(777, d, 71);
    auto index = Make(metric, d, data);
    std::string bytes;
    ASSERT_OK(index->Save(&bytes));
    ASSERT_OK_AND_ASSIGN(cove::internal::IndexHeader header,
                         cove::internal::ParseIndexHeader(bytes));
    EXPECT_EQ(header.type, IndexType::kFlat);
    ASSERT_OK_AND_ASSIGN(std::unique_ptr<FlatIndex> loaded,
                         FlatIndex::Load(header.payload));
    EXPECT_EQ(loaded->size(), 777u);
    EXPECT_EQ(loaded->dim(), d);
    EXPECT_EQ(loaded->params().metric, metric);
    EXPECT_EQ(loaded->params().type, IndexType::kFlat);
    std::vector<float> queries = Gaussian(10, d, 72);
    IndexSearchParams p;
    p.k = 10;
    for (size_t qi = 0; qi < 10; ++qi) {
      ExpectIdentical(loaded->Search(queries.data() + qi * d, p),
                      index->Search(queries.data() + qi * d, p));
    }
    std::string again;
    ASSERT_OK(loaded->Save(&again));
    EXPECT_EQ(again, bytes);
  }
}

TEST_P(FlatIndexTest, EmptyIndexRoundTrip) {
  IndexParams params;
  params.dim = 3;
  FlatIndex index(params);
  std::string bytes;
  ASSERT_OK(index.Save(&bytes));
  ASSERT_OK_AND_ASSIGN(cove::internal::IndexHeader header,
                       cove::internal::ParseIndexHeader(bytes));
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<FlatIndex> loaded,
                       FlatIndex::Load(header.payload));
  EXPECT_EQ(loaded->size(), 0u);
  EXPECT_EQ(loaded->dim(), 3u);
}

TEST_P(FlatIndexTest, CorruptBytesAreDataLoss) {
  const size_t d = 8;
  std::vector<float> data = Gaussian(40, d, 81);
  auto index = Make(Metric::kL2, d, data);
  std::string bytes;
  ASSERT_OK(index->Save(&bytes));

  // Flipped bit in the vectors: the header checksum catches it.
  std::string flipped = bytes;
  flipped[cove::internal::kIndexHeaderSize + 100] ^= 0x10;
  EXPECT_THAT(cove::internal::ParseIndexHeader(flipped).status(),
              StatusIs(absl::StatusCode::kDataLoss));
  // Truncated file.
  EXPECT_THAT(
      cove::internal::ParseIndexHeader(bytes.substr(0, bytes.size() - 3))
          .status(),
      StatusIs(absl::StatusCode::kDataLoss));

  // Payloads that would pass a checksum but are inconsistent.
  std::string payload = bytes.substr(cove::internal::kIndexHeaderSize);
  EXPECT_THAT(
      FlatIndex::Load(payload.substr(0, payload.size() - 4)).status(),
      StatusIs(absl::StatusCode::kDataLoss, HasSubstr("size mismatch")));
  EXPECT_THAT(FlatIndex::Load(payload + "abcd").status(),
              StatusIs(absl::StatusCode::kDataLoss));
  EXPECT_THAT(FlatIndex::Load(payload.substr(0, 10)).status(),
              StatusIs(absl::StatusCode::kDataLoss, HasSubstr("truncated")));
  EXPECT_THAT(FlatIndex::Load("").status(),
              StatusIs(absl::StatusCode::kDataLoss));
  std::string bad_metric = payload;
  bad_metric[0] = 9;
  EXPECT_THAT(FlatIndex::Load(bad_metric).status(),
              StatusIs(absl::StatusCode::kDataLoss, HasSubstr("metric")));
  std::string bad_dim = payload;
  bad_dim[4] = 0;  // dim (u64 at offset 4) = 0
  EXPECT_THAT(FlatIndex::Load(bad_dim).status(),
              StatusIs(absl::StatusCode::kDataLoss, HasSubstr("dim")));
  std::string huge_rows = payload;
  huge_rows[12 + 7] = 0x7f;  // rows (u64 at offset 12): enormous
  EXPECT_THAT(FlatIndex::Load(huge_rows).status(),
              StatusIs(absl::StatusCode::kDataLoss));
  std::string bad_pad = payload;
  bad_pad[2] = 1;
  EXPECT_THAT(FlatIndex::Load(bad_pad).status(),
              StatusIs(absl::StatusCode::kDataLoss));
}

INSTANTIATE_TEST_SUITE_P(AllLevels, FlatIndexTest,
                         ::testing::Values(SimdLevel::kScalar, SimdLevel::kAvx2,
                                           SimdLevel::kAvx512),
                         [](const ::testing::TestParamInfo<SimdLevel>& info) {
                           return std::string(SimdLevelName(info.param));
                         });

TEST(FlatIndexParamsTest, Validate) {
  IndexParams p;
  p.type = IndexType::kFlat;
  p.dim = 128;
  EXPECT_OK(FlatIndex::ValidateParams(p));
  p.dim = 0;
  EXPECT_THAT(FlatIndex::ValidateParams(p),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("dim")));
  p.dim = FlatIndex::kMaxDim + 1;
  EXPECT_THAT(FlatIndex::ValidateParams(p),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("dim")));
  p.dim = 4;
  p.type = IndexType::kHnsw;
  EXPECT_THAT(FlatIndex::ValidateParams(p),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("type")));
}

}  // namespace flat_index_test
}  // namespace
}  // namespace cove::engine
