// The FLAT search over 16-bit rows (HalfExactSearch), at every SIMD level
// this CPU runs, against a double-precision brute-force oracle over the
// same 16-bit values: top-k, filters, range bounds and COSINE, on tail-heavy
// dimensions and enough rows that the scan's threshold filter moves.
#include "engine/indexes/half_flat.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "engine/bitset.h"
#include "gtest/gtest.h"

namespace cove::engine {
namespace {
namespace half_flat_test {

struct Scored {
  double score;
  uint32_t row;
};

std::vector<uint16_t> Random(HalfType t, size_t count, uint32_t seed) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> g(0.0f, 1.0f);
  std::vector<uint16_t> v(count);
  for (auto& x : v) x = FloatToHalf(t, g(rng));
  return v;
}

// Scores every row in double precision (cosine: the inner product over the
// two norms, with `inv_norm` the rows' float inverse norms as segments keep
// them).
std::vector<Scored> OracleScores(HalfType t, Metric metric,
                                 const std::vector<uint16_t>& rows, size_t d,
                                 const uint16_t* q) {
  const size_t n = rows.size() / d;
  std::vector<Scored> all(n);
  double qn = 0;
  for (size_t i = 0; i < d; ++i) {
    qn += double{HalfToFloat(t, q[i])} * HalfToFloat(t, q[i]);
  }
  for (size_t r = 0; r < n; ++r) {
    double l2 = 0, ip = 0, xn = 0;
    for (size_t i = 0; i < d; ++i) {
      const double a = HalfToFloat(t, q[i]);
      const double b = HalfToFloat(t, rows[r * d + i]);
      l2 += (a - b) * (a - b);
      ip += a * b;
      xn += b * b;
    }
    double s = metric == Metric::kL2 ? l2 : ip;
    if (metric == Metric::kCosine) {
      s = xn > 0 && qn > 0 ? ip / std::sqrt(xn * qn) : 0.0;
    }
    all[r] = {s, static_cast<uint32_t>(r)};
  }
  return all;
}

// The oracle's answer: allowed rows within the range, closest first.
std::vector<Scored> Oracle(std::vector<Scored> all, Metric metric,
                           const IndexSearchParams& p) {
  const bool larger = metric != Metric::kL2;
  std::vector<Scored> kept;
  for (const Scored& s : all) {
    if (p.allowed != nullptr && !p.allowed->Test(s.row)) continue;
    if (p.radius && (larger ? !(s.score > *p.radius) : !(s.score < *p.radius)))
      continue;
    if (p.range_filter && (larger ? !(s.score <= *p.range_filter)
                                  : !(s.score >= *p.range_filter)))
      continue;
    kept.push_back(s);
  }
  std::sort(kept.begin(), kept.end(), [&](const Scored& a, const Scored& b) {
    if (a.score != b.score)
      return larger ? a.score > b.score : a.score < b.score;
    return a.row < b.row;
  });
  if (kept.size() > p.k) kept.resize(p.k);
  return kept;
}

class HalfFlatTest : public ::testing::TestWithParam<SimdLevel> {
 protected:
  void SetUp() override {
    saved_ = ActiveSimdLevel();
    if (!SimdLevelSupported(GetParam())) {
      GTEST_SKIP() << SimdLevelName(GetParam()) << " not supported here";
    }
    ASSERT_TRUE(SetSimdLevelForTesting(GetParam()));
  }
  void TearDown() override { SetSimdLevelForTesting(saved_); }

  SimdLevel saved_ = SimdLevel::kScalar;
};

// The result has the oracle's size, every returned score is the row's
// true score (to float tolerance), and the i-th returned score is the
// oracle's i-th (so no better row was skipped); the rows themselves must
// match where the oracle's i-th score is apart from its neighbours (ties
// within rounding may come in either order).
void ExpectExact(const std::vector<Neighbor>& got, std::vector<Scored> all,
                 Metric metric, IndexSearchParams p, double tol) {
  const size_t k = p.k;
  p.k = all.size();
  const std::vector<Scored> ranked = Oracle(all, metric, p);
  ASSERT_EQ(got.size(), std::min(k, ranked.size()));
  for (size_t i = 0; i < got.size(); ++i) {
    ASSERT_LT(got[i].row, all.size());
    EXPECT_NEAR(got[i].score, all[got[i].row].score, tol) << "rank " << i;
    EXPECT_NEAR(got[i].score, ranked[i].score, tol) << "rank " << i;
    const bool apart =
        (i + 1 == ranked.size() ||
         std::fabs(ranked[i].score - ranked[i + 1].score) > 2 * tol) &&
        (i == 0 || std::fabs(ranked[i].score - ranked[i - 1].score) > 2 * tol);
    if (apart) {
      EXPECT_EQ(got[i].row, ranked[i].row) << "rank " << i;
    }
  }
}

TEST_P(HalfFlatTest, MatchesOracle) {
  const size_t dims[] = {1, 7, 15, 17, 33, 100, 128};
  uint32_t seed = 1;
  for (HalfType t : {HalfType::kFloat16, HalfType::kBFloat16}) {
    for (size_t d : dims) {
      // Enough rows for several scan blocks and a moving threshold.
      const size_t n = d <= 17 ? 3001 : 2500;
      const std::vector<uint16_t> rows = Random(t, n * d, seed++);
      const std::vector<uint16_t> queries = Random(t, 3 * d, seed++);
      std::vector<float> inv_norm(n);
      for (size_t r = 0; r < n; ++r) {
        const float norm = HalfNorm(t, rows.data() + r * d, d);
        inv_norm[r] = norm > 0 ? 1.0f / norm : 0.0f;
      }
      Bitset odd(n);
      for (size_t r = 1; r < n; r += 2) odd.Set(r);
      for (Metric metric : {Metric::kL2, Metric::kIP, Metric::kCosine}) {
        HalfExactView view;
        view.data = rows.data();
        view.n = n;
        view.dim = d;
        view.type = t;
        view.metric = metric;
        view.inv_norm = inv_norm.data();
        for (size_t qi = 0; qi < 3; ++qi) {
          const uint16_t* q = queries.data() + qi * d;
          const float qnorm = HalfNorm(t, q, d);
          const float qinv = qnorm > 0 ? 1.0f / qnorm : 0.0f;
          const std::vector<Scored> all = OracleScores(t, metric, rows, d, q);
          double mag = 1.0;
          for (const Scored& s : all) mag = std::max(mag, std::fabs(s.score));
          const double tol = 1e-5 * mag;
          SCOPED_TRACE(::testing::Message()
                       << HalfTypeName(t) << " d=" << d << " metric "
                       << static_cast<int>(metric) << " query " << qi);
          IndexSearchParams p;
          for (size_t k : {size_t{1}, size_t{10}, size_t{100}}) {
            p.k = k;
            p.allowed = nullptr;
            ExpectExact(HalfExactSearch(view, q, qinv, p), all, metric, p, tol);
            p.allowed = &odd;
            ExpectExact(HalfExactSearch(view, q, qinv, p), all, metric, p, tol);
          }
          // A range: radius between the 50th and 51st best scores,
          // range_filter between the 4th and 5th (the first 4 are outside).
          p.k = 1000;
          p.allowed = nullptr;
          const std::vector<Scored> top = Oracle(all, metric, p);
          if (std::fabs(top[49].score - top[50].score) < 2 * tol ||
              std::fabs(top[3].score - top[4].score) < 2 * tol) {
            continue;  // bounds between ties (d = 1): no exact answer
          }
          p.k = 20;
          p.radius = static_cast<float>((top[49].score + top[50].score) / 2);
          p.range_filter =
              static_cast<float>((top[3].score + top[4].score) / 2);
          ExpectExact(HalfExactSearch(view, q, qinv, p), all, metric, p, tol);
          p.radius.reset();
          p.range_filter.reset();
        }
      }
    }
  }
}

// The unfiltered scan (batch kernel) and the filtered one (pairwise kernel)
// return the same rows with the same scores, bit for bit, on the levels
// whose batch kernel sums in the pairwise kernel's order (scalar, AVX2).
TEST_P(HalfFlatTest, FilteredAndUnfilteredScoresAreIdentical) {
  if (GetParam() == SimdLevel::kAvx512) {
    GTEST_SKIP() << "the AVX-512 batch kernel sums in its own order";
  }
  for (HalfType t : {HalfType::kFloat16, HalfType::kBFloat16}) {
    for (size_t d : {size_t{17}, size_t{128}}) {
      const size_t n = 2000;
      const std::vector<uint16_t> rows = Random(t, n * d, 11);
      const std::vector<uint16_t> q = Random(t, d, 12);
      for (Metric metric : {Metric::kL2, Metric::kIP}) {
        HalfExactView view{rows.data(), n, d, t, metric, nullptr};
        IndexSearchParams p;
        p.k = 50;
        const std::vector<Neighbor> a = HalfExactSearch(view, q.data(), 1, p);
        Bitset all(n, true);
        p.allowed = &all;
        const std::vector<Neighbor> b = HalfExactSearch(view, q.data(), 1, p);
        ASSERT_EQ(a.size(), b.size());
        for (size_t i = 0; i < a.size(); ++i) {
          EXPECT_EQ(a[i].row, b[i].row);
          EXPECT_EQ(a[i].score, b[i].score);
        }
      }
    }
  }
}

INSTANTIATE_TEST_SUITE_P(AllLevels, HalfFlatTest,
                         ::testing::Values(SimdLevel::kScalar, SimdLevel::kAvx2,
                                           SimdLevel::kAvx512),
                         [](const auto& info) {
                           return std::string(SimdLevelName(info.param));
                         });

}  // namespace half_flat_test
}  // namespace
}  // namespace cove::engine
