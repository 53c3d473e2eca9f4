// The float16 / bfloat16 kernels (engine/kernels/half.h): conversions
// against their definitions, and every SIMD level this CPU runs against a
// double-precision reference over generated vectors.
#include <cmath>
#include <cstdint>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "engine/kernels/half.h"
#include "gtest/gtest.h"

namespace cove::engine {
namespace {
namespace half_kernels_test {

float FromBits(uint32_t u) {
  float f;
  std::memcpy(&f, &u, sizeof f);
  return f;
}

TEST(HalfConversionTest, EveryFloat16RoundTrips) {
  for (uint32_t h = 0; h < 65536; ++h) {
    const float f = HalfToFloat(HalfType::kFloat16, static_cast<uint16_t>(h));
    if (std::isnan(f)) {
      EXPECT_TRUE(std::isnan(
          HalfToFloat(HalfType::kFloat16, FloatToHalf(HalfType::kFloat16, f))));
      continue;
    }
    ASSERT_EQ(FloatToHalf(HalfType::kFloat16, f), h) << "pattern " << h;
  }
}

TEST(HalfConversionTest, Float16ValuesAndRounding) {
  const HalfType t = HalfType::kFloat16;
  EXPECT_EQ(HalfToFloat(t, 0x3c00), 1.0f);
  EXPECT_EQ(HalfToFloat(t, 0xc000), -2.0f);
  EXPECT_EQ(HalfToFloat(t, 0x7bff), 65504.0f);
  EXPECT_EQ(HalfToFloat(t, 0x0001), std::ldexp(1.0f, -24));
  EXPECT_TRUE(std::isinf(HalfToFloat(t, 0x7c00)));
  // Ties go to even; past 65520 is infinity.
  EXPECT_EQ(FloatToHalf(t, 1.0f + std::ldexp(1.0f, -11)), 0x3c00);
  EXPECT_EQ(FloatToHalf(t, 1.0f + 3 * std::ldexp(1.0f, -11)), 0x3c02);
  EXPECT_EQ(FloatToHalf(t, 65519.0f), 0x7bff);
  EXPECT_EQ(FloatToHalf(t, 65520.0f), 0x7c00);
  EXPECT_EQ(FloatToHalf(t, -1e9f), 0xfc00);
  EXPECT_EQ(FloatToHalf(t, std::ldexp(1.0f, -25)), 0x0000);  // tie to even
  EXPECT_EQ(FloatToHalf(t, std::ldexp(3.0f, -26)), 0x0001);
  EXPECT_EQ(FloatToHalf(t, std::ldexp(1023.5f, -24)), 0x0400);
}

TEST(HalfConversionTest, BFloat16IsTheUpperHalfRounded) {
  const HalfType t = HalfType::kBFloat16;
  for (uint32_t h = 0; h < 65536; ++h) {
    const float f = HalfToFloat(t, static_cast<uint16_t>(h));
    uint32_t bits;
    std::memcpy(&bits, &f, sizeof bits);
    ASSERT_EQ(bits, h << 16);
    EXPECT_EQ(f == f ? FloatToHalf(t, f) : h, h);
  }
  EXPECT_EQ(FloatToHalf(t, FromBits(0x3f808000u)), 0x3f80);  // tie: even
  EXPECT_EQ(FloatToHalf(t, FromBits(0x3f818000u)), 0x3f82);  // tie: even
  EXPECT_EQ(FloatToHalf(t, FromBits(0x3f808001u)), 0x3f81);
  EXPECT_TRUE(std::isnan(HalfToFloat(t, FloatToHalf(t, NAN))));
}

class HalfKernelTest : public ::testing::TestWithParam<SimdLevel> {
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

std::vector<uint16_t> Random(HalfType t, size_t d, std::mt19937& rng) {
  std::normal_distribution<float> g(0.0f, 2.0f);
  std::vector<uint16_t> v(d);
  for (auto& x : v) x = FloatToHalf(t, g(rng));
  return v;
}

TEST_P(HalfKernelTest, PairwiseAndBatchMatchDoubleReference) {
  std::mt19937 rng(7);
  const size_t dims[] = {1,  3,  7,  8,  15,  16,  17,  31, 32,
                         33, 63, 64, 65, 100, 128, 257, 768};
  for (HalfType t : {HalfType::kFloat16, HalfType::kBFloat16}) {
    for (size_t d : dims) {
      const size_t n = 9;
      const std::vector<uint16_t> q = Random(t, d, rng);
      const std::vector<uint16_t> base = Random(t, n * d, rng);
      std::vector<float> l2(n), ip(n);
      HalfScoreBatch(t, Metric::kL2, q.data(), base.data(), n, d, l2.data());
      HalfScoreBatch(t, Metric::kIP, q.data(), base.data(), n, d, ip.data());
      for (size_t j = 0; j < n; ++j) {
        const uint16_t* x = base.data() + j * d;
        double rl2 = 0, rip = 0, mag = 0;
        for (size_t i = 0; i < d; ++i) {
          const double a = HalfToFloat(t, q[i]), b = HalfToFloat(t, x[i]);
          rl2 += (a - b) * (a - b);
          rip += a * b;
          mag += std::fabs(a * b);
        }
        const double tol_l2 = 1e-5 * rl2 + 1e-6;
        const double tol_ip = 1e-5 * mag + 1e-6;
        SCOPED_TRACE(::testing::Message() << HalfTypeName(t) << " d=" << d);
        EXPECT_NEAR(HalfL2Sqr(t, q.data(), x, d), rl2, tol_l2);
        EXPECT_NEAR(HalfInnerProduct(t, q.data(), x, d), rip, tol_ip);
        EXPECT_NEAR(HalfL2SqrFunction(t)(q.data(), x, d), rl2, tol_l2);
        EXPECT_NEAR(HalfInnerProductFunction(t)(q.data(), x, d), rip, tol_ip);
        EXPECT_NEAR(l2[j], rl2, tol_l2);
        EXPECT_NEAR(ip[j], rip, tol_ip);
        if (d % 2 == 0) {
          // Rows packed two values per float32 slot (as segments hold them).
          const auto* qs = reinterpret_cast<const float*>(q.data());
          const auto* xs = reinterpret_cast<const float*>(x);
          EXPECT_NEAR(HalfSlotL2SqrFunction(t)(qs, xs, d / 2), rl2, tol_l2);
          EXPECT_NEAR(HalfSlotInnerProductFunction(t)(qs, xs, d / 2), rip,
                      tol_ip);
        }
      }
    }
  }
}

TEST_P(HalfKernelTest, IdenticalVectorsHaveZeroDistance) {
  std::mt19937 rng(3);
  for (HalfType t : {HalfType::kFloat16, HalfType::kBFloat16}) {
    const std::vector<uint16_t> v = Random(t, 129, rng);
    EXPECT_EQ(HalfL2Sqr(t, v.data(), v.data(), v.size()), 0.0f);
    EXPECT_EQ(HalfL2Sqr(t, v.data(), v.data(), 0), 0.0f);
    EXPECT_EQ(HalfInnerProduct(t, v.data(), v.data(), 0), 0.0f);
  }
}

TEST_P(HalfKernelTest, Avx512UsesDpbf16WhereTheCpuHasIt) {
  __builtin_cpu_init();
  const bool expect =
      GetParam() == SimdLevel::kAvx512 && __builtin_cpu_supports("avx512bf16");
  EXPECT_EQ(HalfUsesAvx512Bf16(), expect);
}

INSTANTIATE_TEST_SUITE_P(AllLevels, HalfKernelTest,
                         ::testing::Values(SimdLevel::kScalar, SimdLevel::kAvx2,
                                           SimdLevel::kAvx512),
                         [](const auto& info) {
                           return std::string(SimdLevelName(info.param));
                         });

}  // namespace half_kernels_test
}  // namespace
}  // namespace cove::engine
