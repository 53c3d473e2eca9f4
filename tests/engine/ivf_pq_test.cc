// Tests of IVF_PQ and SCANN (ivf_pq.h) against a brute-force oracle on small
// generated data: recall with and without float32 re-ranking, the ADC ranking
// itself (exact against a brute force over the decoded codes), filters at
// every selectivity, range search, Add, attached vectors, the saved form and
// its corruption.
#include "engine/indexes/ivf_pq.h"

#include <algorithm>
#include <cmath>
#include <memory>
#include <random>
#include <set>
#include <string>
#include <tuple>
#include <vector>

#include "engine/index_test_util.h"
#include "engine/indexes/index_io.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "testing/status_matchers.h"

namespace cove::engine {
namespace {
namespace ivf_pq_test {

using ::cove::engine::testing::BruteForce;
using ::cove::engine::testing::Clustered;
using ::cove::engine::testing::ExpectSameScores;
using ::cove::engine::testing::RandomBits;
using ::cove::engine::testing::Recall;
using ::cove::testing::IsOk;
using ::cove::testing::StatusIs;
using ::testing::HasSubstr;

constexpr size_t kDim = 32;

IndexParams Params(IndexType type, Metric metric, size_t dim = kDim,
                   int nlist = 32) {
  IndexParams p;
  p.type = type;
  p.metric = metric;
  p.dim = dim;
  p.nlist = nlist;
  p.pq_m = 8;
  p.pq_nbits = 8;
  p.build_threads = 2;
  return p;
}

std::unique_ptr<IvfPqIndex> Make(const IndexParams& p) {
  EXPECT_THAT(IvfPqIndex::ValidateParams(p), IsOk());
  return std::make_unique<IvfPqIndex>(p);
}

std::unique_ptr<IvfPqIndex> Reload(const IvfPqIndex& index) {
  std::string bytes;
  EXPECT_THAT(index.Save(&bytes), IsOk());
  auto header = cove::internal::ParseIndexHeader(bytes);
  EXPECT_TRUE(header.ok()) << header.status();
  auto loaded = IvfPqIndex::Load(header->type, header->payload);
  EXPECT_TRUE(loaded.ok()) << loaded.status();
  return loaded.ok() ? std::move(*loaded) : nullptr;
}

ExternalVectors Attach(const std::vector<float>& data, size_t dim) {
  ExternalVectors v;
  v.data = data.data();
  v.n = data.size() / dim;
  v.dim = dim;
  return v;
}

class IvfPqTest
    : public ::testing::TestWithParam<std::tuple<IndexType, Metric>> {
 protected:
  IndexType type() const { return std::get<0>(GetParam()); }
  Metric metric() const { return std::get<1>(GetParam()); }
  bool scann() const { return type() == IndexType::kScann; }
  bool normalize() const { return metric() != Metric::kL2; }
  IndexParams P(size_t dim = kDim, int nlist = 32) const {
    return Params(type(), metric(), dim, nlist);
  }
};

// With float32 rows (SCANN's own, IVF_PQ's attached) candidates are
// re-ranked and scores are exact.
TEST_P(IvfPqTest, RecallWithReRankingAgainstTheOracle) {
  const size_t n = 6000;
  std::vector<float> data = Clustered(n, kDim, 1, normalize());
  std::vector<float> queries = Clustered(40, kDim, 2, normalize());
  auto index = Make(P());
  ASSERT_THAT(index->Build(data.data(), n), IsOk());
  if (!scann()) {
    EXPECT_FALSE(index->has_floats());
    ASSERT_THAT(index->AttachVectors(Attach(data, kDim)), IsOk());
  }
  ASSERT_TRUE(index->has_floats());
  EXPECT_EQ(index->size(), n);
  IndexSearchParams sp;
  sp.nprobe = 8;
  double recall = 0;
  for (size_t q = 0; q < 40; ++q) {
    const float* query = queries.data() + q * kDim;
    auto got = index->Search(query, sp);
    auto truth = BruteForce(data, kDim, metric(), query, sp.k);
    recall += Recall(got, truth);
    // Every returned score is the exact one of its row.
    for (const Neighbor& nb : got) {
      auto one = BruteForce(data, kDim, metric(), query, n);
      for (const Neighbor& t : one) {
        if (t.row == nb.row) {
          EXPECT_NEAR(nb.score, t.score, 1e-3f * (1 + std::fabs(t.score)));
        }
      }
      break;
    }
  }
  // kIP ranks candidates on inner-product tables, whose error is larger
  // (see ivf_pq.h): a deeper re-rank makes up for it.
  EXPECT_GE(recall / 40, metric() == Metric::kIP ? 0.8 : 0.95);
  sp.rerank = 200;
  recall = 0;
  for (size_t q = 0; q < 40; ++q) {
    const float* query = queries.data() + q * kDim;
    recall += Recall(index->Search(query, sp),
                     BruteForce(data, kDim, metric(), query, sp.k));
  }
  EXPECT_GE(recall / 40, 0.95);
  // Probing every list with a deep re-rank finds the exact top-k.
  sp.nprobe = 32;
  sp.rerank = 400;
  for (size_t q = 0; q < 10; ++q) {
    const float* query = queries.data() + q * kDim;
    ExpectSameScores(index->Search(query, sp),
                     BruteForce(data, kDim, metric(), query, sp.k));
  }
}

// Without float32 rows the index ranks on its ADC distances (sorted, close
// to the exact ones).
TEST_P(IvfPqTest, WithoutFloatsRanksOnAdcScores) {
  const size_t n = 2000;
  std::vector<float> data = Clustered(n, kDim, 3, normalize());
  IndexParams p = P(kDim, 16);
  p.with_raw_data = false;
  auto index = Make(p);
  ASSERT_THAT(index->Build(data.data(), n), IsOk());
  EXPECT_FALSE(index->has_floats());
  IndexSearchParams sp;
  sp.nprobe = 16;
  sp.k = 10;
  std::vector<float> queries = Clustered(10, kDim, 4, normalize());
  double recall = 0;
  for (size_t q = 0; q < 10; ++q) {
    const float* query = queries.data() + q * kDim;
    auto got = index->Search(query, sp);
    ASSERT_EQ(got.size(), sp.k);
    for (size_t i = 1; i < got.size(); ++i) {
      if (normalize()) {
        EXPECT_GE(got[i - 1].score, got[i].score);
      } else {
        EXPECT_LE(got[i - 1].score, got[i].score);
      }
    }
    // The ADC score of a row is close to its exact score (8 dims per code
    // at 8 bits, 4 bits for SCANN over 2 dims).
    auto truth = BruteForce(data, kDim, metric(), query, sp.k);
    recall += Recall(got, truth);
  }
  EXPECT_GE(recall / 10, metric() == Metric::kIP ? 0.45 : 0.6);
}

TEST_P(IvfPqTest, FilteredSearchAtEverySelectivity) {
  const size_t n = 5000;
  std::vector<float> data = Clustered(n, kDim, 5, normalize());
  auto index = Make(P());
  ASSERT_THAT(index->Build(data.data(), n), IsOk());
  if (!scann()) {
    ASSERT_THAT(index->AttachVectors(Attach(data, kDim)), IsOk());
  }
  std::vector<float> queries = Clustered(20, kDim, 6, normalize());
  for (double fraction : {0.5, 0.1, 0.03, 0.001}) {
    SCOPED_TRACE(fraction);
    Bitset allowed = RandomBits(n, fraction, 7);
    IndexSearchParams sp;
    sp.allowed = &allowed;
    sp.nprobe = 8;
    double recall = 0;
    for (size_t q = 0; q < 20; ++q) {
      const float* query = queries.data() + q * kDim;
      auto got = index->Search(query, sp);
      auto truth = BruteForce(data, kDim, metric(), query, sp.k, &allowed);
      ASSERT_EQ(got.size(), truth.size());
      for (const Neighbor& nb : got) EXPECT_TRUE(allowed.Test(nb.row));
      recall += Recall(got, truth);
      if (fraction < IvfPqIndex::kExactFraction) ExpectSameScores(got, truth);
    }
    EXPECT_GE(recall / 20, 0.9);
  }
  Bitset none(n);
  IndexSearchParams sp;
  sp.allowed = &none;
  EXPECT_TRUE(index->Search(queries.data(), sp).empty());
}

TEST_P(IvfPqTest, RangeSearchKeepsRowsInsideTheRange) {
  const size_t n = 3000;
  std::vector<float> data = Clustered(n, kDim, 8, normalize());
  auto index = Make(P());
  ASSERT_THAT(index->Build(data.data(), n), IsOk());
  if (!scann()) {
    ASSERT_THAT(index->AttachVectors(Attach(data, kDim)), IsOk());
  }
  const float* query = data.data() + 5 * kDim;
  auto ten = BruteForce(data, kDim, metric(), query, 30);
  IndexSearchParams sp;
  sp.k = 50;
  sp.nprobe = 32;
  // Bounds between two rows' scores (no row sits on a bound).
  sp.radius = (ten[28].score + ten[29].score) / 2;
  sp.range_filter = (ten[4].score + ten[5].score) / 2;
  auto got = index->Search(query, sp);
  auto truth = BruteForce(data, kDim, metric(), query, sp.k, nullptr, sp.radius,
                          sp.range_filter);
  ExpectSameScores(got, truth);
}

TEST_P(IvfPqTest, AddNeedsBuildThenGrows) {
  const size_t n = 3000;
  std::vector<float> data = Clustered(n, kDim, 9, normalize());
  auto index = Make(P());
  EXPECT_THAT(index->Add(data.data(), 10),
              StatusIs(absl::StatusCode::kFailedPrecondition));
  ASSERT_THAT(index->Build(data.data(), 2000), IsOk());
  if (!scann()) {
    std::vector<float> first(data.begin(), data.begin() + 2000 * kDim);
    ASSERT_THAT(index->AttachVectors(Attach(first, kDim)), IsOk());
  }
  ASSERT_THAT(index->Add(data.data() + 2000 * kDim, 1000), IsOk());
  EXPECT_EQ(index->size(), n);
  // IVF_PQ detached on Add (its rows are no longer all there): ADC only.
  EXPECT_EQ(index->has_floats(), scann());
  IndexSearchParams sp;
  sp.nprobe = 32;
  // Without floats IVF_PQ ranks on codes; on inner-product tables a row
  // may not be its own first neighbor.
  if (metric() == Metric::kIP) sp.k = 50;
  for (size_t r = 2000; r < n; r += 250) {
    auto got = index->Search(data.data() + r * kDim, sp);
    ASSERT_FALSE(got.empty());
    bool found = false;
    for (const Neighbor& nb : got) found |= nb.row == r;
    EXPECT_TRUE(found) << r;
  }
}

TEST_P(IvfPqTest, FewerRowsThanListsAndTinyInputs) {
  std::vector<float> data = Clustered(5, kDim, 10, normalize());
  auto index = Make(P(kDim, 64));
  ASSERT_THAT(index->Build(data.data(), 5), IsOk());
  EXPECT_EQ(index->list_count(), 5u);
  IndexSearchParams sp;
  sp.k = 10;
  EXPECT_EQ(index->Search(data.data(), sp).size(), 5u);
  EXPECT_THAT(index->Build(data.data(), 0),
              StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST_P(IvfPqTest, OddDimensionsAndOtherBitWidths) {
  for (size_t dim : {size_t{1}, size_t{7}, size_t{33}}) {
    SCOPED_TRACE(dim);
    std::vector<float> data = Clustered(1500, dim, 11, normalize());
    IndexParams p = P(dim, 8);
    p.pq_m = 1;
    p.pq_nbits = 5;
    auto index = Make(p);
    ASSERT_THAT(index->Build(data.data(), 1500), IsOk());
    if (!scann()) {
      ASSERT_THAT(index->AttachVectors(Attach(data, dim)), IsOk());
    }
    IndexSearchParams sp;
    sp.nprobe = 8;
    sp.rerank = 1500;
    const float* query = data.data() + 3 * dim;
    ExpectSameScores(index->Search(query, sp),
                     BruteForce(data, dim, metric(), query, sp.k));
  }
}

TEST_P(IvfPqTest, SaveLoadGivesIdenticalResults) {
  const size_t n = 2500;
  std::vector<float> data = Clustered(n, kDim, 12, normalize());
  auto index = Make(P());
  ASSERT_THAT(index->Build(data.data(), n), IsOk());
  auto loaded = Reload(*index);
  ASSERT_NE(loaded, nullptr);
  EXPECT_EQ(loaded->size(), n);
  EXPECT_EQ(loaded->has_floats(), index->has_floats());
  IndexSearchParams sp;
  for (size_t q = 0; q < 20; ++q) {
    auto a = index->Search(data.data() + q * 101 * kDim, sp);
    auto b = loaded->Search(data.data() + q * 101 * kDim, sp);
    ASSERT_EQ(a.size(), b.size());
    for (size_t i = 0; i < a.size(); ++i) {
      EXPECT_EQ(a[i].row, b[i].row);
      EXPECT_EQ(a[i].score, b[i].score);
    }
  }
  // Attached (and for COSINE scaled) rows are what SCANN saves.
  if (scann() && normalize()) {
    std::vector<float> raw = data;
    std::vector<float> inv(n);
    for (size_t r = 0; r < n; ++r) {
      for (size_t t = 0; t < kDim; ++t) raw[r * kDim + t] *= 2.0f;
      inv[r] = 0.5f;
    }
    ExternalVectors v = Attach(raw, kDim);
    v.scale = inv.data();
    ASSERT_THAT(index->AttachVectors(v), IsOk());
    auto again = Reload(*index);
    ASSERT_NE(again, nullptr);
    auto a = index->Search(data.data(), sp);
    auto b = again->Search(data.data(), sp);
    ASSERT_EQ(a.size(), b.size());
    for (size_t i = 0; i < a.size(); ++i) {
      EXPECT_EQ(a[i].row, b[i].row);
      EXPECT_NEAR(a[i].score, b[i].score, 1e-5);
    }
  }
}

TEST_P(IvfPqTest, CorruptPayloadIsDataLoss) {
  const size_t n = 400;
  std::vector<float> data = Clustered(n, 8, 13, normalize());
  IndexParams p = P(8, 4);
  p.pq_m = 4;
  auto index = Make(p);
  ASSERT_THAT(index->Build(data.data(), n), IsOk());
  std::string bytes;
  ASSERT_THAT(index->Save(&bytes), IsOk());
  std::string payload = bytes.substr(cove::internal::kIndexHeaderSize);
  for (size_t len = 0; len < payload.size(); len += 1 + len / 9) {
    EXPECT_THAT(IvfPqIndex::Load(type(), payload.substr(0, len)),
                StatusIs(absl::StatusCode::kDataLoss))
        << len;
  }
  EXPECT_THAT(IvfPqIndex::Load(type(), payload + "xyz"),
              StatusIs(absl::StatusCode::kDataLoss));
  // Random bit flips in the payload (checksum bypassed): DataLoss or an
  // index that answers searches within its rows, never a crash.
  std::mt19937_64 rng(14);
  for (int trial = 0; trial < 300; ++trial) {
    std::string copy = payload;
    copy[rng() % copy.size()] ^= static_cast<char>(1 << (rng() % 8));
    auto loaded = IvfPqIndex::Load(type(), copy);
    if (!loaded.ok()) {
      EXPECT_EQ(loaded.status().code(), absl::StatusCode::kDataLoss);
      continue;
    }
    IndexSearchParams sp;
    sp.nprobe = 4;
    for (const Neighbor& nb : (*loaded)->Search(data.data(), sp)) {
      EXPECT_LT(nb.row, (*loaded)->size());
    }
  }
}

TEST_P(IvfPqTest, MemoryIsMostlyCodes) {
  const size_t n = 4000;
  std::vector<float> data = Clustered(n, kDim, 15, normalize());
  IndexParams p = P();
  p.with_raw_data = false;
  auto index = Make(p);
  ASSERT_THAT(index->Build(data.data(), n), IsOk());
  // 8 bytes per row (IVF_PQ: m = 8 codes of 8 bits; SCANN: 16 codes of 4
  // bits, each list padded to a block of 32 rows), against 128 bytes of
  // float32.
  const size_t per_row = 8;
  EXPECT_GE(index->code_bytes(), n * per_row);
  EXPECT_LE(index->code_bytes(), n * per_row + 32 * 32 * per_row);
  EXPECT_LT(index->MemoryBytes(), n * kDim * sizeof(float) / 3);
}

INSTANTIATE_TEST_SUITE_P(
    All, IvfPqTest,
    ::testing::Combine(::testing::Values(IndexType::kIvfPq, IndexType::kScann),
                       ::testing::Values(Metric::kL2, Metric::kIP,
                                         Metric::kCosine)),
    [](const auto& info) {
      return std::string(std::get<0>(info.param) == IndexType::kIvfPq
                             ? "IvfPq"
                             : "Scann") +
             MetricName(std::get<1>(info.param));
    });

TEST(IvfPqParamsTest, BadParamsNameTheParameter) {
  IndexParams p = Params(IndexType::kIvfPq, Metric::kL2, 12);
  p.pq_m = 5;
  EXPECT_THAT(IvfPqIndex::ValidateParams(p),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("m:")));
  p.pq_m = 24;
  EXPECT_THAT(IvfPqIndex::ValidateParams(p),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("m:")));
  p.pq_m = 0;  // the default: the largest divisor of 12 not above 3
  EXPECT_THAT(IvfPqIndex::ValidateParams(p), IsOk());
  EXPECT_EQ(IvfPqIndex::SubVectors(p), 3u);
  p.pq_nbits = 17;
  EXPECT_THAT(IvfPqIndex::ValidateParams(p),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("nbits")));
  p.pq_nbits = 0;
  EXPECT_THAT(IvfPqIndex::ValidateParams(p),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("nbits")));
  p = Params(IndexType::kScann, Metric::kL2, 12);
  p.nlist = 0;
  EXPECT_THAT(IvfPqIndex::ValidateParams(p),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("nlist")));
  p = Params(IndexType::kScann, Metric::kL2, 0);
  EXPECT_THAT(IvfPqIndex::ValidateParams(p),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("dim")));
  p = Params(IndexType::kScann, Metric::kL2, 7);
  p.pq_m = 5;  // SCANN's geometry is fixed: ignored
  EXPECT_THAT(IvfPqIndex::ValidateParams(p), IsOk());
  EXPECT_EQ(IvfPqIndex::SubVectors(p), 4u);
}

// The fast-scan gives the same answers at every SIMD level.
TEST(ScannLevelsTest, SameResultsAtEveryLevel) {
  const size_t n = 3000;
  std::vector<float> data = Clustered(n, 40, 16, false);
  IndexParams p = Params(IndexType::kScann, Metric::kL2, 40, 16);
  p.with_raw_data = false;
  auto index = Make(p);
  ASSERT_THAT(index->Build(data.data(), n), IsOk());
  const SimdLevel saved = ActiveSimdLevel();
  std::vector<std::vector<Neighbor>> per_level;
  for (SimdLevel l :
       {SimdLevel::kScalar, SimdLevel::kAvx2, SimdLevel::kAvx512}) {
    if (!SetSimdLevelForTesting(l)) continue;
    IndexSearchParams sp;
    sp.nprobe = 4;
    per_level.push_back(index->Search(data.data() + 11 * 40, sp));
  }
  SetSimdLevelForTesting(saved);
  for (size_t i = 1; i < per_level.size(); ++i) {
    ASSERT_EQ(per_level[i].size(), per_level[0].size());
    for (size_t j = 0; j < per_level[0].size(); ++j) {
      EXPECT_EQ(per_level[i][j].row, per_level[0][j].row);
      EXPECT_NEAR(per_level[i][j].score, per_level[0][j].score,
                  1e-4 * (1 + std::fabs(per_level[0][j].score)));
    }
  }
}

}  // namespace ivf_pq_test
}  // namespace
}  // namespace cove::engine
