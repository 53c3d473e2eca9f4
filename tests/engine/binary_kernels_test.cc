// The binary-vector kernels (engine/kernels/binary.h): every SIMD level this
// CPU runs against a bit-by-bit reference over generated codes of many
// lengths (odd ones included), and the dispatch.
#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "engine/kernels/binary.h"
#include "gtest/gtest.h"

namespace cove::engine {
namespace {
namespace binary_kernels_test {

// Bit by bit, independent of the kernels' word tricks.
uint32_t RefHamming(const uint8_t* a, const uint8_t* b, size_t n) {
  uint32_t s = 0;
  for (size_t i = 0; i < n * 8; ++i) {
    s += ((a[i / 8] >> (i % 8)) & 1) != ((b[i / 8] >> (i % 8)) & 1);
  }
  return s;
}

void RefAndOr(const uint8_t* a, const uint8_t* b, size_t n, uint32_t* x,
              uint32_t* o) {
  *x = *o = 0;
  for (size_t i = 0; i < n * 8; ++i) {
    const int u = (a[i / 8] >> (i % 8)) & 1, v = (b[i / 8] >> (i % 8)) & 1;
    *x += u & v;
    *o += u | v;
  }
}

bool RefContains(const uint8_t* super, const uint8_t* sub, size_t n) {
  for (size_t i = 0; i < n * 8; ++i) {
    if (((sub[i / 8] >> (i % 8)) & 1) && !((super[i / 8] >> (i % 8)) & 1)) {
      return false;
    }
  }
  return true;
}

std::vector<uint8_t> RandomBytes(size_t n, std::mt19937& rng, int density) {
  std::vector<uint8_t> v(n);
  for (auto& b : v) {
    uint8_t x = 0;
    for (int k = 0; k < 8; ++k) {
      if (static_cast<int>(rng() % 8) < density) x |= uint8_t(1u << k);
    }
    b = x;
  }
  return v;
}

class BinaryKernelTest : public ::testing::TestWithParam<SimdLevel> {
 protected:
  void SetUp() override {
    saved_ = ActiveSimdLevel();
    if (!SimdLevelSupported(GetParam())) {
      GTEST_SKIP() << SimdLevelName(GetParam()) << " not supported here";
    }
    ASSERT_TRUE(SetSimdLevelForTesting(GetParam()));
    if (GetParam() == SimdLevel::kAvx512 &&
        BinaryKernelLevel() != SimdLevel::kAvx512) {
      GTEST_SKIP() << "this CPU has AVX-512 but not VPOPCNTDQ (the avx512 "
                      "level runs the avx2 binary kernels)";
    }
  }
  void TearDown() override { SetSimdLevelForTesting(saved_); }

  SimdLevel saved_ = SimdLevel::kScalar;
};

TEST_P(BinaryKernelTest, ActiveLevelIsTheRequestedOne) {
  EXPECT_EQ(BinaryKernelLevel(), GetParam());
}

TEST_P(BinaryKernelTest, PairKernelsMatchTheBitReference) {
  std::mt19937 rng(7);
  for (size_t n : {0,  1,  3,  7,   8,   9,   15,  16,  31,  32, 33,
                   63, 64, 65, 100, 127, 128, 129, 200, 256, 513}) {
    for (int trial = 0; trial < 20; ++trial) {
      const int density = trial % 9;  // all zeros .. all ones
      std::vector<uint8_t> a = RandomBytes(n, rng, density);
      std::vector<uint8_t> b = RandomBytes(n, rng, 8 - density);
      if (trial == 5) b = a;
      if (trial == 6) {  // a subset of b
        for (size_t i = 0; i < n; ++i) a[i] &= b[i];
      }
      ASSERT_EQ(BinaryHamming(a.data(), b.data(), n),
                RefHamming(a.data(), b.data(), n))
          << "n=" << n << " trial " << trial;
      uint32_t x, o, rx, ro;
      BinaryAndOr(a.data(), b.data(), n, &x, &o);
      RefAndOr(a.data(), b.data(), n, &rx, &ro);
      ASSERT_EQ(x, rx) << "n=" << n;
      ASSERT_EQ(o, ro) << "n=" << n;
      const float want =
          ro == 0 ? 1.0f : static_cast<float>(ro - rx) / static_cast<float>(ro);
      ASSERT_EQ(BinaryJaccard(a.data(), b.data(), n), want);
      ASSERT_EQ(BinaryContains(b.data(), a.data(), n),
                RefContains(b.data(), a.data(), n))
          << "n=" << n << " trial " << trial;
      ASSERT_EQ(BinaryContains(a.data(), b.data(), n),
                RefContains(a.data(), b.data(), n))
          << "n=" << n << " trial " << trial;
    }
  }
}

TEST_P(BinaryKernelTest, BatchKernelsMatchTheBitReference) {
  std::mt19937 rng(11);
  for (size_t n : {1, 5, 8, 16, 24, 31, 32, 33, 48, 64, 65, 96, 130}) {
    for (size_t rows : {0, 1, 7, 8, 9, 17, 33}) {
      const std::vector<uint8_t> q = RandomBytes(n, rng, 4);
      const std::vector<uint8_t> base = RandomBytes(n * rows, rng, 3);
      std::vector<uint32_t> h(rows + 1, 12345u);
      std::vector<float> jd(rows + 1, -1.0f);
      BinaryHammingBatch(q.data(), base.data(), rows, n, h.data());
      BinaryJaccardBatch(q.data(), base.data(), rows, n, jd.data());
      for (size_t j = 0; j < rows; ++j) {
        ASSERT_EQ(h[j], RefHamming(q.data(), base.data() + j * n, n))
            << "n=" << n << " rows=" << rows << " row " << j;
        uint32_t rx, ro;
        RefAndOr(q.data(), base.data() + j * n, n, &rx, &ro);
        ASSERT_EQ(jd[j], JaccardFromCounts(rx, ro));
      }
      EXPECT_EQ(h[rows], 12345u) << "wrote past the batch";
      EXPECT_EQ(jd[rows], -1.0f) << "wrote past the batch";
    }
  }
}

TEST(BinaryKernelsTest, JaccardOfEmptySetsIsOneAsKnowhere) {
  const uint8_t z[4] = {0, 0, 0, 0};
  EXPECT_EQ(BinaryJaccard(z, z, 4), 1.0f);
  const uint8_t a[1] = {0x0f}, b[1] = {0x03};
  EXPECT_EQ(BinaryJaccard(a, b, 1), 0.5f);
  EXPECT_EQ(BinaryHamming(a, b, 1), 2u);
  EXPECT_TRUE(BinaryContains(a, b, 1));
  EXPECT_FALSE(BinaryContains(b, a, 1));
}

INSTANTIATE_TEST_SUITE_P(AllLevels, BinaryKernelTest,
                         ::testing::Values(SimdLevel::kScalar, SimdLevel::kAvx2,
                                           SimdLevel::kAvx512),
                         [](const auto& info) {
                           return std::string(SimdLevelName(info.param));
                         });

}  // namespace binary_kernels_test
}  // namespace
}  // namespace cove::engine
