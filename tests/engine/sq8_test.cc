// Tests of the 8-bit scalar quantizer: training, round-trip error, clamping,
// distances against decoded vectors, and serialization.
#include "engine/indexes/sq8.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include "engine/indexes/index_io.h"
#include "engine/kernels/distance.h"
#include "gtest/gtest.h"

namespace cove::engine {
namespace {
namespace sq8_test {

std::vector<float> Uniform(size_t n, size_t d, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::vector<float> out(n * d);
  for (size_t i = 0; i < n; ++i) {
    for (size_t j = 0; j < d; ++j) {
      // Different range per dimension, some negative.
      float lo = -static_cast<float>(j);
      float hi = static_cast<float>(j) * 0.5f + 1.0f;
      out[i * d + j] = std::uniform_real_distribution<float>(lo, hi)(rng);
    }
  }
  return out;
}

TEST(Sq8Test, TrainsPerDimensionMinAndMax) {
  const size_t d = 5;
  std::vector<float> data = Uniform(1000, d, 1);
  Sq8Quantizer sq(d);
  EXPECT_FALSE(sq.trained());
  sq.Train(data.data(), 1000);
  ASSERT_TRUE(sq.trained());
  EXPECT_EQ(sq.code_size(), d);
  for (size_t j = 0; j < d; ++j) {
    float lo = data[j];
    float hi = data[j];
    for (size_t i = 0; i < 1000; ++i) {
      lo = std::min(lo, data[i * d + j]);
      hi = std::max(hi, data[i * d + j]);
    }
    EXPECT_EQ(sq.vmin()[j], lo);
    EXPECT_FLOAT_EQ(sq.vdiff()[j], hi - lo);
  }
}

TEST(Sq8Test, RoundTripErrorIsHalfAStep) {
  for (size_t d : {1, 7, 16, 33, 100}) {
    SCOPED_TRACE(d);
    std::vector<float> data = Uniform(500, d, d);
    Sq8Quantizer sq(d);
    sq.Train(data.data(), 500);
    std::vector<uint8_t> codes(500 * d);
    sq.EncodeBatch(data.data(), 500, codes.data());
    std::vector<float> back(d);
    for (size_t i = 0; i < 500; ++i) {
      sq.Decode(codes.data() + i * d, back.data());
      for (size_t j = 0; j < d; ++j) {
        float step = sq.vdiff()[j] / 255.0f;
        EXPECT_LE(std::fabs(back[j] - data[i * d + j]), 0.5f * step + 1e-5f);
      }
    }
  }
}

TEST(Sq8Test, ExtremesMapToEndCodesAndOutOfRangeClamps) {
  const size_t d = 3;
  std::vector<float> data = {0, -1, 5, 10, 1, 5};  // dim 2 is constant
  Sq8Quantizer sq(d);
  sq.Train(data.data(), 2);
  uint8_t code[3];
  sq.Encode(data.data(), code);
  EXPECT_EQ(code[0], 0);
  EXPECT_EQ(code[1], 0);
  EXPECT_EQ(code[2], 0);
  sq.Encode(data.data() + 3, code);
  EXPECT_EQ(code[0], 255);
  EXPECT_EQ(code[1], 255);
  float outside[3] = {-100, 100, std::nanf("")};
  sq.Encode(outside, code);
  EXPECT_EQ(code[0], 0);
  EXPECT_EQ(code[1], 255);
  EXPECT_EQ(code[2], 0);
  float back[3];
  sq.Decode(code, back);
  EXPECT_EQ(back[2], 5.0f);  // constant dimension decodes exactly
}

TEST(Sq8Test, ScoresMatchDistancesToDecodedVectors) {
  for (size_t d : {1, 15, 17, 64, 100}) {
    SCOPED_TRACE(d);
    std::vector<float> data = Uniform(200, d, 100 + d);
    Sq8Quantizer sq(d);
    sq.Train(data.data(), 200);
    std::vector<float> q = Uniform(1, d, 7);
    std::vector<uint8_t> code(d);
    std::vector<float> back(d);
    for (size_t i = 0; i < 200; ++i) {
      sq.Encode(data.data() + i * d, code.data());
      sq.Decode(code.data(), back.data());
      float l2 = L2Sqr(q.data(), back.data(), d);
      float ip = InnerProduct(q.data(), back.data(), d);
      EXPECT_NEAR(sq.Score(Metric::kL2, q.data(), code.data()), l2,
                  1e-4f * (1 + std::fabs(l2)));
      EXPECT_NEAR(sq.Score(Metric::kIP, q.data(), code.data()), ip,
                  1e-4f * (1 + std::fabs(ip)));
      EXPECT_EQ(sq.Score(Metric::kCosine, q.data(), code.data()),
                sq.Score(Metric::kIP, q.data(), code.data()));
    }
  }
}

// The integer path of HNSW_SQ: a prepared query's distances to codes agree
// with the float scores of the decoded vectors, over awkward dimensions and
// with dimensions of zero range.
TEST(Sq8Test, PreparedQueryMatchesFloatScores) {
  for (size_t d : {1, 7, 15, 17, 33, 100, 768, 1000}) {
    SCOPED_TRACE(d);
    std::vector<float> data = Uniform(100, d, 200 + d);
    for (size_t i = 0; i < 100; ++i) data[i * d] = 0.5f;  // a flat dimension
    Sq8Quantizer sq(d);
    sq.Train(data.data(), 100);
    std::vector<float> q = Uniform(1, d, 9);
    std::vector<uint8_t> code(d);
    Sq8Query l2;
    Sq8Query ip;
    sq.PrepareQuery(Metric::kL2, q.data(), &l2);
    sq.PrepareQuery(Metric::kIP, q.data(), &ip);
    ASSERT_EQ(l2.w.size(), d);
    for (size_t i = 0; i < 100; ++i) {
      sq.Encode(data.data() + i * d, code.data());
      const float dot_l2 =
          static_cast<float>(DotU8I16(code.data(), l2.w.data(), d));
      const float dot_ip =
          static_cast<float>(DotU8I16(code.data(), ip.w.data(), d));
      const float want_l2 = sq.Score(Metric::kL2, q.data(), code.data());
      const float want_ip = sq.Score(Metric::kIP, q.data(), code.data());
      // Error budget: the int16 rounding of the weights (relative ~2^-15 per
      // term, more for large d) and float32 sums of d terms.
      double scale_l2 = 0;
      double scale_ip = 0;
      for (size_t j = 0; j < d; ++j) {
        const double x = sq.vmin()[j] + code[j] * sq.vdiff()[j] / 255.0;
        scale_l2 += (q[j] - sq.vmin()[j]) * (q[j] - sq.vmin()[j]) + x * x;
        scale_ip += std::fabs(q[j] * x) + std::fabs(q[j] * sq.vmin()[j]);
      }
      const double tol =
          (2e-4 + 1e-6 * d) * (1.0 + std::max(scale_l2, scale_ip));
      EXPECT_NEAR(l2.bias + l2.factor * dot_l2 + sq.CodeNorm(code.data()),
                  want_l2, tol);
      EXPECT_NEAR(ip.bias + ip.factor * dot_ip, want_ip, tol);
    }
  }
}

TEST(Sq8Test, PreparedQueryOfNonFiniteValuesStaysBounded) {
  const size_t d = 8;
  std::vector<float> data = Uniform(10, d, 3);
  Sq8Quantizer sq(d);
  sq.Train(data.data(), 10);
  std::vector<float> q(d, 1.0f);
  q[2] = std::nanf("");
  q[5] = std::numeric_limits<float>::infinity();
  Sq8Query pq;
  sq.PrepareQuery(Metric::kL2, q.data(), &pq);
  ASSERT_EQ(pq.w.size(), d);
  for (int16_t w : pq.w) EXPECT_GE(w, -32767);  // no overflow, no UB
}

TEST(Sq8Test, SaveLoadRoundTripAndRejectsBadBytes) {
  const size_t d = 9;
  std::vector<float> data = Uniform(100, d, 3);
  Sq8Quantizer sq(d);
  sq.Train(data.data(), 100);
  std::string bytes;
  cove::internal::IndexWriter w(&bytes);
  sq.Save(&w);

  Sq8Quantizer back;
  cove::internal::IndexReader r(bytes);
  ASSERT_TRUE(back.Load(&r, d));
  EXPECT_EQ(r.remaining(), 0u);
  std::vector<uint8_t> a(d);
  std::vector<uint8_t> b(d);
  for (size_t i = 0; i < 100; ++i) {
    sq.Encode(data.data() + i * d, a.data());
    back.Encode(data.data() + i * d, b.data());
    EXPECT_EQ(a, b);
  }
  for (size_t len = 0; len < bytes.size(); ++len) {
    cove::internal::IndexReader t(std::string_view(bytes).substr(0, len));
    Sq8Quantizer x;
    EXPECT_FALSE(x.Load(&t, d)) << len;
  }
  // A negative range is invalid.
  std::string bad = bytes;
  float neg = -1.0f;
  std::memcpy(&bad[1 + d * sizeof(float)], &neg, sizeof(float));
  cove::internal::IndexReader t(bad);
  Sq8Quantizer x;
  EXPECT_FALSE(x.Load(&t, d));

  // Untrained quantizers round-trip too.
  std::string empty;
  cove::internal::IndexWriter we(&empty);
  Sq8Quantizer(d).Save(&we);
  cove::internal::IndexReader re(empty);
  Sq8Quantizer y;
  ASSERT_TRUE(y.Load(&re, d));
  EXPECT_FALSE(y.trained());
}

}  // namespace sq8_test
}  // namespace
}  // namespace cove::engine
