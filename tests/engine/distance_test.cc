// Tests of the distance kernels: every kernel at every SIMD level this CPU can
// run, against a double-precision reference and against the scalar level,
// over tail-heavy dimensions and unaligned pointers; and the dispatch itself
// (COVE_SIMD, SetSimdLevelForTesting).
#include "engine/kernels/distance.h"

#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <random>
#include <string>
#include <vector>

#include "engine/kernels/distance_internal.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace cove::engine {
namespace {
namespace distance_test {

using ::cove::internal::DistanceKernels;
using ::cove::internal::ScalarDistanceKernels;

constexpr size_t kDims[] = {1, 7, 15, 16, 17, 33, 100, 128, 768, 1000};

// Random floats in [-1, 1), in a buffer shifted by `offset` floats from a
// 64-byte boundary so the kernels see unaligned pointers.
class Buffer {
 public:
  Buffer(size_t n, std::mt19937* rng, size_t offset = 1)
      : storage_(n + offset + 16), offset_(offset) {
    std::uniform_real_distribution<float> u(-1.0f, 1.0f);
    for (size_t i = 0; i < n; ++i) data()[i] = u(*rng);
  }
  float* data() { return storage_.data() + offset_; }
  const float* data() const { return storage_.data() + offset_; }

 private:
  std::vector<float> storage_;
  size_t offset_;
};

double RefL2(const float* a, const float* b, size_t d) {
  double s = 0;
  for (size_t i = 0; i < d; ++i) {
    double t = double{a[i]} - double{b[i]};
    s += t * t;
  }
  return s;
}

double RefIp(const float* a, const float* b, size_t d) {
  double s = 0;
  for (size_t i = 0; i < d; ++i) s += double{a[i]} * double{b[i]};
  return s;
}

// Sum of |terms|: the scale against which a float sum's error is measured.
double IpScale(const float* a, const float* b, size_t d) {
  double s = 0;
  for (size_t i = 0; i < d; ++i) s += std::fabs(double{a[i]} * double{b[i]});
  return s;
}

// Tolerance for a float32 reduction of d terms of total magnitude `scale`.
double Tol(double scale, size_t d) {
  return 4e-7 * (static_cast<double>(d) + 8) * scale + 1e-30;
}

class KernelTest : public ::testing::TestWithParam<SimdLevel> {
 protected:
  void SetUp() override {
    if (!SimdLevelSupported(GetParam())) {
      GTEST_SKIP() << SimdLevelName(GetParam()) << " not supported here";
    }
    saved_ = ActiveSimdLevel();
    ASSERT_TRUE(SetSimdLevelForTesting(GetParam()));
    ASSERT_EQ(ActiveSimdLevel(), GetParam());
  }
  void TearDown() override {
    if (SimdLevelSupported(GetParam())) SetSimdLevelForTesting(saved_);
  }

  const DistanceKernels& Scalar() const { return ScalarDistanceKernels(); }

  std::mt19937 rng_{1234};
  SimdLevel saved_ = SimdLevel::kScalar;
};

TEST_P(KernelTest, PairwiseMatchReferenceAndScalar) {
  for (size_t d : kDims) {
    for (int trial = 0; trial < 5; ++trial) {
      Buffer a(d, &rng_, 1 + trial % 3), b(d, &rng_, 3);
      const double l2 = RefL2(a.data(), b.data(), d);
      const double ip = RefIp(a.data(), b.data(), d);
      const double ip_scale = IpScale(a.data(), b.data(), d);
      SCOPED_TRACE(::testing::Message() << "d=" << d << " trial=" << trial);
      EXPECT_NEAR(L2Sqr(a.data(), b.data(), d), l2, Tol(l2, d));
      EXPECT_NEAR(InnerProduct(a.data(), b.data(), d), ip, Tol(ip_scale, d));
      const double nrm = std::sqrt(RefIp(a.data(), a.data(), d));
      EXPECT_NEAR(Norm(a.data(), d), nrm, Tol(nrm, d));
      EXPECT_NEAR(L2Sqr(a.data(), b.data(), d),
                  Scalar().l2sqr(a.data(), b.data(), d), Tol(l2, d));
      EXPECT_NEAR(InnerProduct(a.data(), b.data(), d),
                  Scalar().inner_product(a.data(), b.data(), d),
                  Tol(ip_scale, d));
    }
  }
}

TEST_P(KernelTest, PairwiseOfIdenticalVectorsIsExact) {
  for (size_t d : kDims) {
    Buffer a(d, &rng_);
    EXPECT_EQ(L2Sqr(a.data(), a.data(), d), 0.0f) << "d=" << d;
  }
}

TEST_P(KernelTest, FunctionPointersMatchDispatch) {
  Buffer a(128, &rng_), b(128, &rng_);
  EXPECT_EQ(L2SqrFunction()(a.data(), b.data(), 128),
            L2Sqr(a.data(), b.data(), 128));
  EXPECT_EQ(InnerProductFunction()(a.data(), b.data(), 128),
            InnerProduct(a.data(), b.data(), 128));
}

TEST_P(KernelTest, BatchMatchesReference) {
  for (size_t d : kDims) {
    for (size_t n :
         {size_t{1}, size_t{3}, size_t{4}, size_t{5}, size_t{13}, size_t{64}}) {
      Buffer q(d, &rng_), base(n * d, &rng_, 2);
      std::vector<float> l2(n + 1, -7.0f), ip(n + 1, -7.0f);
      L2SqrBatch(q.data(), base.data(), n, d, l2.data());
      InnerProductBatch(q.data(), base.data(), n, d, ip.data());
      SCOPED_TRACE(::testing::Message() << "d=" << d << " n=" << n);
      for (size_t j = 0; j < n; ++j) {
        const float* x = base.data() + j * d;
        double rl2 = RefL2(q.data(), x, d);
        EXPECT_NEAR(l2[j], rl2, Tol(rl2, d)) << "row " << j;
        EXPECT_NEAR(ip[j], RefIp(q.data(), x, d),
                    Tol(IpScale(q.data(), x, d), d))
            << "row " << j;
      }
      EXPECT_EQ(l2[n], -7.0f) << "wrote past the end";
      EXPECT_EQ(ip[n], -7.0f) << "wrote past the end";
    }
  }
}

TEST_P(KernelTest, MatrixMatchesReference) {
  const size_t nqs[] = {1, 2, 3, 5, 6, 7, 8, 9, 17};
  const size_t nxs[] = {1, 5, 15, 16, 17, 47, 48, 49, 100, 131};
  for (size_t d : kDims) {
    for (size_t nq : nqs) {
      for (size_t nx : nxs) {
        if (d >= 768 && nx > 49) continue;  // keep the test fast
        Buffer q(nq * d, &rng_, 1), base(nx * d, &rng_, 2);
        std::vector<float> out(nq * nx + 1, -7.0f);
        InnerProductMatrix(q.data(), nq, base.data(), nx, d, out.data());
        SCOPED_TRACE(::testing::Message()
                     << "d=" << d << " nq=" << nq << " nx=" << nx);
        for (size_t i = 0; i < nq; ++i) {
          for (size_t j = 0; j < nx; ++j) {
            const float* a = q.data() + i * d;
            const float* x = base.data() + j * d;
            ASSERT_NEAR(out[i * nx + j], RefIp(a, x, d),
                        Tol(IpScale(a, x, d), d))
                << "i=" << i << " j=" << j;
          }
        }
        ASSERT_EQ(out[nq * nx], -7.0f) << "wrote past the end";
      }
    }
  }
}

TEST_P(KernelTest, MatrixLargeBatch) {
  // Enough queries and rows for several full microkernel tiles and panels,
  // and a dimension spanning several packed depth blocks.
  const size_t nq = 70, nx = 300, d = 300;
  Buffer q(nq * d, &rng_), base(nx * d, &rng_);
  std::vector<float> out(nq * nx);
  InnerProductMatrix(q.data(), nq, base.data(), nx, d, out.data());
  for (size_t i = 0; i < nq; ++i) {
    for (size_t j = 0; j < nx; ++j) {
      const float* a = q.data() + i * d;
      const float* x = base.data() + j * d;
      ASSERT_NEAR(out[i * nx + j], RefIp(a, x, d), Tol(IpScale(a, x, d), d))
          << "i=" << i << " j=" << j;
    }
  }
}

TEST_P(KernelTest, Sq8MatchesDequantizeThenFloat) {
  std::uniform_int_distribution<int> byte(0, 255);
  std::uniform_real_distribution<float> u(-1.0f, 1.0f);
  for (size_t d : kDims) {
    for (int trial = 0; trial < 4; ++trial) {
      Buffer q(d, &rng_);
      std::vector<uint8_t> code(d + 1);
      std::vector<float> vmin(d + 1), vdiff(d + 1), x(d);
      for (size_t i = 0; i < d; ++i) {
        code[i + 1] = static_cast<uint8_t>(byte(rng_));
        vmin[i + 1] = u(rng_);
        vdiff[i + 1] =
            trial == 3 && i % 5 == 0 ? 0.0f : 2.0f * std::fabs(u(rng_));
      }
      // Unaligned: start at offset 1 in each array.
      const uint8_t* c = code.data() + 1;
      const float* mn = vmin.data() + 1;
      const float* df = vdiff.data() + 1;
      for (size_t i = 0; i < d; ++i) {
        x[i] = mn[i] + static_cast<float>(c[i]) * df[i] / 255.0f;
      }
      SCOPED_TRACE(::testing::Message() << "d=" << d << " trial=" << trial);
      const double l2 = RefL2(q.data(), x.data(), d);
      const double ip = RefIp(q.data(), x.data(), d);
      const double ip_scale = IpScale(q.data(), x.data(), d);
      EXPECT_NEAR(L2SqrSq8(q.data(), c, mn, df, d), l2, Tol(l2, d) + 1e-5);
      EXPECT_NEAR(InnerProductSq8(q.data(), c, mn, df, d), ip,
                  Tol(ip_scale, d) + 1e-5);
      // ... and the float kernel on the dequantized vector.
      EXPECT_NEAR(L2SqrSq8(q.data(), c, mn, df, d),
                  L2Sqr(q.data(), x.data(), d), Tol(l2, d) + 1e-5);
      EXPECT_NEAR(InnerProductSq8(q.data(), c, mn, df, d),
                  InnerProduct(q.data(), x.data(), d), Tol(ip_scale, d) + 1e-5);
    }
  }
}

TEST_P(KernelTest, DotU8I16MatchesScalarAndReference) {
  std::uniform_int_distribution<int> byte(0, 255);
  std::uniform_int_distribution<int> word(-32768, 32767);
  for (size_t d : kDims) {
    // Random, then the extremes: all codes 255 with weights at +-wmax, where
    // wmax keeps 255 * d * wmax below 2^31 (the documented exact range).
    const int64_t wmax =
        std::min<int64_t>(32767, (int64_t{1} << 31) / (255 * int64_t(d)) - 1);
    for (int trial = 0; trial < 5; ++trial) {
      std::vector<uint8_t> code(d + 3);
      std::vector<int16_t> w(d + 3);
      uint8_t* c = code.data() + 3;  // unaligned
      int16_t* x = w.data() + 1;
      for (size_t i = 0; i < d; ++i) {
        c[i] =
            trial == 3 || trial == 4 ? 255 : static_cast<uint8_t>(byte(rng_));
        int v = word(rng_);
        if (trial >= 1)
          v = static_cast<int>(std::clamp<int64_t>(v, -wmax, wmax));
        if (trial == 3) v = static_cast<int>(wmax);
        if (trial == 4) v = static_cast<int>(-wmax);
        x[i] = static_cast<int16_t>(v);
      }
      SCOPED_TRACE(::testing::Message() << "d=" << d << " trial=" << trial);
      const int32_t got = DotU8I16(c, x, d);
      EXPECT_EQ(got, Scalar().dot_u8_i16(c, x, d));
      EXPECT_EQ(got, DotU8I16Function()(c, x, d));
      if (trial >= 1) {  // inside the exact range
        int64_t ref = 0;
        for (size_t i = 0; i < d; ++i) ref += int64_t{c[i]} * x[i];
        EXPECT_EQ(got, ref);
      }
    }
  }
  EXPECT_EQ(DotU8I16(nullptr, nullptr, 0), 0);
}

TEST_P(KernelTest, SelectLeMatchesScalar) {
  const DistanceKernels& k = ::cove::internal::ActiveDistanceKernels();
  ASSERT_EQ(k.level, GetParam());
  for (size_t n : {size_t{0}, size_t{1}, size_t{7}, size_t{16}, size_t{33},
                   size_t{1000}}) {
    Buffer v(n, &rng_), add(n, &rng_);
    for (const float* a : {static_cast<const float*>(nullptr),
                           static_cast<const float*>(add.data())}) {
      for (float alpha : {1.0f, -1.0f, -2.0f}) {
        for (float thr : {-2.0f, -0.3f, 0.0f, 0.5f, 10.0f}) {
          std::vector<uint32_t> idx(n + 1), ref_idx(n + 1);
          std::vector<float> val(n + 1), ref_val(n + 1);
          size_t m =
              k.select_le(v.data(), a, alpha, n, thr, idx.data(), val.data());
          size_t rm = Scalar().select_le(v.data(), a, alpha, n, thr,
                                         ref_idx.data(), ref_val.data());
          SCOPED_TRACE(::testing::Message()
                       << "n=" << n << " alpha=" << alpha << " thr=" << thr);
          if (a == nullptr) {
            // Exact: identical selections.
            ASSERT_EQ(m, rm);
            for (size_t i = 0; i < m; ++i) {
              EXPECT_EQ(idx[i], ref_idx[i]);
              EXPECT_EQ(val[i], ref_val[i]);
            }
          } else {
            // Rounding (fused or not) may move values sitting on the
            // threshold; everything selected must satisfy it up to 1 ulp.
            EXPECT_NEAR(static_cast<double>(m), static_cast<double>(rm), 1.0);
            for (size_t i = 0; i < m; ++i) {
              ASSERT_LT(idx[i], n);
              EXPECT_LE(val[i], thr + 1e-6f);
              EXPECT_NEAR(val[i], a[idx[i]] + alpha * v.data()[idx[i]], 1e-6);
              if (i > 0) {
                EXPECT_LT(idx[i - 1], idx[i]);
              }
            }
          }
        }
      }
    }
  }
}

TEST_P(KernelTest, ZeroDimensionIsZero) {
  float a = 1.0f, b = 2.0f;
  EXPECT_EQ(L2Sqr(&a, &b, 0), 0.0f);
  EXPECT_EQ(InnerProduct(&a, &b, 0), 0.0f);
  float out[4] = {-1, -1, -1, -1};
  InnerProductMatrix(&a, 2, &b, 2, 0, out);
  for (float o : out) EXPECT_EQ(o, 0.0f);
}

INSTANTIATE_TEST_SUITE_P(AllLevels, KernelTest,
                         ::testing::Values(SimdLevel::kScalar, SimdLevel::kAvx2,
                                           SimdLevel::kAvx512),
                         [](const ::testing::TestParamInfo<SimdLevel>& info) {
                           return std::string(SimdLevelName(info.param));
                         });

TEST(DispatchTest, NamesAndActiveLevel) {
  EXPECT_STREQ(SimdLevelName(SimdLevel::kScalar), "scalar");
  EXPECT_STREQ(SimdLevelName(SimdLevel::kAvx2), "avx2");
  EXPECT_STREQ(SimdLevelName(SimdLevel::kAvx512), "avx512");
  EXPECT_TRUE(SimdLevelSupported(SimdLevel::kScalar));
  EXPECT_TRUE(SimdLevelSupported(ActiveSimdLevel()));
#if !defined(__x86_64__)
  EXPECT_FALSE(SetSimdLevelForTesting(SimdLevel::kAvx2));
  EXPECT_EQ(ActiveSimdLevel(), SimdLevel::kScalar);
#endif
}

TEST(DispatchTest, UnsupportedLevelIsRefused) {
  for (SimdLevel level : {SimdLevel::kAvx2, SimdLevel::kAvx512}) {
    if (SimdLevelSupported(level)) continue;
    SimdLevel before = ActiveSimdLevel();
    EXPECT_FALSE(SetSimdLevelForTesting(level));
    EXPECT_EQ(ActiveSimdLevel(), before);
  }
}

// The level is resolved once per process, so these run in a fresh process
// (a "threadsafe" death test re-executes the test binary).
SimdLevel BestLevel() {
  if (SimdLevelSupported(SimdLevel::kAvx512)) return SimdLevel::kAvx512;
  if (SimdLevelSupported(SimdLevel::kAvx2)) return SimdLevel::kAvx2;
  return SimdLevel::kScalar;
}

TEST(DispatchDeathTest, EnvironmentForcesScalar) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  EXPECT_EXIT(
      {
        setenv("COVE_SIMD", "scalar", 1);
        std::exit(ActiveSimdLevel() == SimdLevel::kScalar ? 0 : 1);
      },
      ::testing::ExitedWithCode(0), "");
}

TEST(DispatchDeathTest, EnvironmentUnknownLevelWarnsAndUsesBest) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  const SimdLevel best = BestLevel();
  EXPECT_EXIT(
      {
        setenv("COVE_SIMD", "sse9", 1);
        std::exit(ActiveSimdLevel() == best ? 0 : 1);
      },
      ::testing::ExitedWithCode(0), "COVE_SIMD: unknown level \"sse9\"");
}

TEST(DispatchDeathTest, EnvironmentUnsupportedLevelFallsBack) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  SimdLevel missing = SimdLevel::kScalar;
  if (!SimdLevelSupported(SimdLevel::kAvx512)) {
    missing = SimdLevel::kAvx512;
  } else {
    GTEST_SKIP() << "every level is supported on this CPU";
  }
  const SimdLevel best = BestLevel();
  EXPECT_EXIT(
      {
        setenv("COVE_SIMD", SimdLevelName(missing), 1);
        std::exit(ActiveSimdLevel() == best ? 0 : 1);
      },
      ::testing::ExitedWithCode(0), "not supported");
}

}  // namespace distance_test
}  // namespace
}  // namespace cove::engine
