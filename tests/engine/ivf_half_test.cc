// IVF_FLAT, IVF_SQ8, IVF_PQ and SCANN over FLOAT16 / BFLOAT16 rows packed as
// a segment stores them (IndexParams::half), against the exact 16-bit FLAT
// search (HalfExactSearch) over the same rows: recall at a partial probe,
// exact results when every list is probed, filters (the exact path of few
// allowed rows too), range search, Save/LoadIndex giving identical results,
// and IVF_FLAT's lists holding the 16-bit rows (2 bytes per value). COSINE
// runs as a segment runs it: the index built on the unit rows rounded to
// the type, then reading the raw rows with their inverse norms.
#include <algorithm>
#include <cstdint>
#include <memory>
#include <string>
#include <tuple>
#include <vector>

#include "engine/bitset.h"
#include "engine/indexes/half_flat.h"
#include "engine/indexes/half_rows.h"
#include "engine/indexes/ivf_index.h"
#include "engine/indexes/vector_index.h"
#include "engine/kernels/half.h"
#include "gtest/gtest.h"
#include "index_test_util.h"

namespace cove::engine {
namespace {
namespace ivf_half_test {

using testing::Clustered;
using testing::RandomBits;
using testing::Recall;

constexpr size_t kIvfHalfValues = 32;  // dimension
constexpr size_t kIvfHalfSlots = kIvfHalfValues / 2;
constexpr size_t kIvfHalfRows = 1500;
constexpr size_t kIvfHalfQueries = 30;
constexpr int kIvfHalfNlist = 16;

class IvfHalfTest
    : public ::testing::TestWithParam<std::tuple<IndexType, HalfType, Metric>> {
 protected:
  IndexType type() const { return std::get<0>(GetParam()); }
  HalfType half() const { return std::get<1>(GetParam()); }
  Metric metric() const { return std::get<2>(GetParam()); }
  bool cosine() const { return metric() == Metric::kCosine; }
  // A segment attaches its rows to every index; IVF_PQ re-ranks only then.
  bool attach() const { return cosine() || type() == IndexType::kIvfPq; }

  void SetUp() override {
    const std::vector<float> wide =
        Clustered(kIvfHalfRows + kIvfHalfQueries, kIvfHalfValues, 41, false);
    rows_.assign(kIvfHalfRows * kIvfHalfSlots, 0.0f);
    queries_.assign(kIvfHalfQueries * kIvfHalfSlots, 0.0f);
    auto* r = reinterpret_cast<uint16_t*>(rows_.data());
    auto* q = reinterpret_cast<uint16_t*>(queries_.data());
    for (size_t i = 0; i < kIvfHalfRows * kIvfHalfValues; ++i) {
      r[i] = FloatToHalf(half(), wide[i]);
    }
    for (size_t i = 0; i < kIvfHalfQueries * kIvfHalfValues; ++i) {
      q[i] = FloatToHalf(half(), wide[kIvfHalfRows * kIvfHalfValues + i]);
    }
    inv_norm_.resize(kIvfHalfRows);
    unit_rows_.resize(rows_.size());
    for (size_t i = 0; i < kIvfHalfRows; ++i) {
      const float n = HalfNorm(half(), r + i * kIvfHalfValues, kIvfHalfValues);
      inv_norm_[i] = n > 0 ? 1.0f / n : 0.0f;
      ScaleHalfRow(half(), rows_.data() + i * kIvfHalfSlots, kIvfHalfSlots,
                   inv_norm_[i], unit_rows_.data() + i * kIvfHalfSlots);
    }
    query_inv_norm_.resize(kIvfHalfQueries);
    unit_queries_.resize(queries_.size());
    for (size_t i = 0; i < kIvfHalfQueries; ++i) {
      const float n = HalfNorm(half(), q + i * kIvfHalfValues, kIvfHalfValues);
      query_inv_norm_[i] = n > 0 ? 1.0f / n : 0.0f;
      ScaleHalfRow(half(), queries_.data() + i * kIvfHalfSlots, kIvfHalfSlots,
                   query_inv_norm_[i],
                   unit_queries_.data() + i * kIvfHalfSlots);
    }
  }

  IndexParams Params() const {
    IndexParams p;
    p.type = type();
    p.metric = metric();
    p.dim = kIvfHalfSlots;
    p.half = half();
    p.nlist = kIvfHalfNlist;
    p.pq_nbits = 4;
    p.build_threads = 1;
    return p;
  }

  void Attach(VectorIndex& index) const {
    ExternalVectors v;
    v.data = rows_.data();
    v.n = kIvfHalfRows;
    v.dim = kIvfHalfSlots;
    if (cosine()) v.scale = inv_norm_.data();
    ASSERT_TRUE(index.AttachVectors(v).ok());
  }

  std::unique_ptr<VectorIndex> Build() const {
    auto made = MakeIndex(Params());
    EXPECT_TRUE(made.ok()) << made.status();
    if (!made.ok()) return nullptr;
    std::unique_ptr<VectorIndex> index = *std::move(made);
    const std::vector<float>& rows = cosine() ? unit_rows_ : rows_;
    EXPECT_TRUE(index->Build(rows.data(), kIvfHalfRows).ok());
    if (attach()) Attach(*index);
    return index;
  }

  // The query as the index takes it (COSINE: at unit length).
  const float* Query(size_t q) const {
    return (cosine() ? unit_queries_ : queries_).data() + q * kIvfHalfSlots;
  }

  std::vector<Neighbor> Oracle(size_t q, const IndexSearchParams& sp) const {
    HalfExactView view;
    view.data = reinterpret_cast<const uint16_t*>(rows_.data());
    view.n = kIvfHalfRows;
    view.dim = kIvfHalfValues;
    view.type = half();
    view.metric = metric();
    view.inv_norm = inv_norm_.data();
    return HalfExactSearch(
        view,
        reinterpret_cast<const uint16_t*>(queries_.data() + q * kIvfHalfSlots),
        query_inv_norm_[q], sp);
  }

  std::vector<float> rows_, unit_rows_, queries_, unit_queries_;
  std::vector<float> inv_norm_, query_inv_norm_;
};

TEST_P(IvfHalfTest, RecallAndFiltersAgainstHalfFlat) {
  std::unique_ptr<VectorIndex> index = Build();
  ASSERT_NE(index, nullptr);
  ASSERT_EQ(index->size(), kIvfHalfRows);
  const Bitset half_allowed = RandomBits(kIvfHalfRows, 0.5, 3);
  const Bitset few_allowed = RandomBits(kIvfHalfRows, 0.02, 4);
  struct Probe {
    int nprobe;
    const Bitset* allowed;
    double min_recall;
  };
  // A quarter of the lists; every list (with a deep re-rank: exact for the
  // indexes with 16-bit rows); half the rows allowed; 2% allowed (scored
  // exactly over the allowed rows).
  const std::vector<Probe> probes = {
      {4, nullptr, type() == IndexType::kIvfFlat ? 0.85 : 0.75},
      {kIvfHalfNlist, nullptr, 0.99},
      {4, &half_allowed, type() == IndexType::kIvfFlat ? 0.85 : 0.75},
      {4, &few_allowed, 0.99},
  };
  for (const Probe& probe : probes) {
    SCOPED_TRACE(
        ::testing::Message()
        << "nprobe " << probe.nprobe << " allowed "
        << (probe.allowed == nullptr ? kIvfHalfRows : probe.allowed->Count()));
    double recall = 0;
    for (size_t q = 0; q < kIvfHalfQueries; ++q) {
      IndexSearchParams sp;
      sp.k = 10;
      sp.nprobe = probe.nprobe;
      sp.rerank = probe.nprobe == kIvfHalfNlist ? 400 : 0;
      sp.allowed = probe.allowed;
      const std::vector<Neighbor> got = index->Search(Query(q), sp);
      const std::vector<Neighbor> truth = Oracle(q, sp);
      ASSERT_EQ(got.size(), truth.size());
      for (const Neighbor& nb : got) {
        ASSERT_LT(nb.row, kIvfHalfRows);
        if (probe.allowed != nullptr) EXPECT_TRUE(probe.allowed->Test(nb.row));
      }
      // Scores are the 16-bit rows' (COSINE: the unit query rounded to the
      // type, so a little apart from the oracle's).
      const float tol = cosine() ? 2e-2f : 1e-3f;
      for (size_t i = 0; i < got.size() && probe.nprobe == kIvfHalfNlist; ++i) {
        EXPECT_NEAR(got[i].score, truth[i].score,
                    tol * (1.0f + std::fabs(truth[i].score)))
            << "query " << q << " rank " << i;
      }
      recall += Recall(got, truth);
    }
    recall /= kIvfHalfQueries;
    EXPECT_GE(recall, probe.min_recall);
  }
}

TEST_P(IvfHalfTest, RangeSearchKeepsTheRowsInside) {
  std::unique_ptr<VectorIndex> index = Build();
  ASSERT_NE(index, nullptr);
  const bool larger = metric() != Metric::kL2;
  for (size_t q = 0; q < 5; ++q) {
    IndexSearchParams sp;
    sp.k = 50;
    const std::vector<Neighbor> top = Oracle(q, sp);
    ASSERT_EQ(top.size(), 50u);
    // The band between the oracle's 5th and 40th scores.
    sp.range_filter = top[4].score;
    sp.radius = top[39].score;
    sp.nprobe = kIvfHalfNlist;
    const std::vector<Neighbor> got = index->Search(Query(q), sp);
    const std::vector<Neighbor> truth = Oracle(q, sp);
    const float slack = cosine() ? 2e-2f : 1e-3f;
    for (const Neighbor& nb : got) {
      if (larger) {
        EXPECT_GT(nb.score, *sp.radius - slack);
        EXPECT_LE(nb.score, *sp.range_filter + slack);
      } else {
        EXPECT_LT(nb.score, *sp.radius * (1 + slack));
        EXPECT_GE(nb.score, *sp.range_filter * (1 - slack));
      }
    }
    EXPECT_GE(Recall(got, truth), 0.9) << "query " << q;
  }
}

TEST_P(IvfHalfTest, SaveLoadGivesIdenticalResults) {
  std::unique_ptr<VectorIndex> index = Build();
  ASSERT_NE(index, nullptr);
  std::string bytes;
  ASSERT_TRUE(index->Save(&bytes).ok());
  auto loaded = LoadIndex(bytes);
  ASSERT_TRUE(loaded.ok()) << loaded.status();
  VectorIndex& copy = **loaded;
  ASSERT_TRUE(copy.params().half.has_value());
  EXPECT_EQ(*copy.params().half, half());
  EXPECT_EQ(copy.params().dim, kIvfHalfSlots);
  EXPECT_EQ(copy.params().type, type());
  EXPECT_EQ(copy.size(), kIvfHalfRows);
  // As a segment reopens: the index reads the segment's rows again.
  if (attach()) Attach(copy);
  const Bitset allowed = RandomBits(kIvfHalfRows, 0.3, 5);
  for (size_t q = 0; q < kIvfHalfQueries; ++q) {
    for (const Bitset* filter : {static_cast<const Bitset*>(nullptr),
                                 static_cast<const Bitset*>(&allowed)}) {
      IndexSearchParams sp;
      sp.k = 10;
      sp.nprobe = 4;
      sp.allowed = filter;
      const std::vector<Neighbor> x = index->Search(Query(q), sp);
      const std::vector<Neighbor> y = copy.Search(Query(q), sp);
      ASSERT_EQ(x.size(), y.size());
      for (size_t i = 0; i < x.size(); ++i) {
        EXPECT_EQ(x[i].row, y[i].row);
        EXPECT_EQ(x[i].score, y[i].score);
      }
    }
  }
  std::string again;
  ASSERT_TRUE(copy.Save(&again).ok());
  EXPECT_EQ(bytes, again);
}

INSTANTIATE_TEST_SUITE_P(
    TypesRowsAndMetrics, IvfHalfTest,
    ::testing::Combine(
        ::testing::Values(IndexType::kIvfFlat, IndexType::kIvfSq8,
                          IndexType::kIvfPq, IndexType::kScann),
        ::testing::Values(HalfType::kFloat16, HalfType::kBFloat16),
        ::testing::Values(Metric::kL2, Metric::kIP, Metric::kCosine)),
    [](const auto& info) {
      const IndexType t = std::get<0>(info.param);
      const Metric m = std::get<2>(info.param);
      return std::string(t == IndexType::kIvfFlat  ? "IvfFlat"
                         : t == IndexType::kIvfSq8 ? "IvfSq8"
                         : t == IndexType::kIvfPq  ? "IvfPq"
                                                   : "Scann") +
             "_" + HalfTypeName(std::get<1>(info.param)) +
             (m == Metric::kL2   ? "_L2"
              : m == Metric::kIP ? "_IP"
                                 : "_COSINE");
    });

// IVF_FLAT keeps the 16-bit rows in its lists (not widened copies), and
// SQ8's codes and PQ's sub-vectors cover the widened dimension.
TEST(IvfHalfLayoutTest, ListsHoldTwoBytesPerValue) {
  const std::vector<float> wide =
      Clustered(kIvfHalfRows, kIvfHalfValues, 43, false);
  std::vector<float> rows(kIvfHalfRows * kIvfHalfSlots);
  auto* h = reinterpret_cast<uint16_t*>(rows.data());
  for (size_t i = 0; i < wide.size(); ++i) {
    h[i] = FloatToHalf(HalfType::kBFloat16, wide[i]);
  }
  IndexParams p;
  p.type = IndexType::kIvfFlat;
  p.dim = kIvfHalfSlots;
  p.half = HalfType::kBFloat16;
  p.nlist = kIvfHalfNlist;
  p.build_threads = 1;
  IvfIndex flat(p);
  ASSERT_TRUE(flat.Build(rows.data(), kIvfHalfRows).ok());
  EXPECT_EQ(flat.float_bytes(), kIvfHalfRows * kIvfHalfValues * 2);
  // Rows added later are widened for their list and kept as they are.
  ASSERT_TRUE(flat.Add(rows.data(), 10).ok());
  EXPECT_EQ(flat.size(), kIvfHalfRows + 10);
  IndexSearchParams sp;
  sp.k = 2;
  sp.nprobe = kIvfHalfNlist;
  const std::vector<Neighbor> got = flat.Search(rows.data(), sp);
  ASSERT_EQ(got.size(), 2u);
  EXPECT_EQ(got[0].score, 0.0f);
  EXPECT_EQ(got[1].score, 0.0f);  // row 0 and its copy, row kIvfHalfRows
  p.type = IndexType::kIvfPq;
  p.pq_m = 32;  // divides the 32 values, not the 16 slots only
  EXPECT_TRUE(MakeIndex(p).ok());
  p.pq_m = 12;
  auto bad = MakeIndex(p);
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("must divide the dimension 32"),
            std::string::npos)
      << bad.status();
}

}  // namespace ivf_half_test
}  // namespace
}  // namespace cove::engine
