// Tests of product quantization (pq.h) and its kernels (pq_kernels.h): every
// SIMD level against the scalar reference over tail-heavy dimensions and
// code counts, the fast-scan block layout against a direct sum, table
// quantization bounds, encoding, and the saved form.
#include "engine/indexes/pq.h"

#include <cmath>
#include <cstdint>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "engine/index_test_util.h"
#include "engine/kernels/pq_kernels.h"
#include "gtest/gtest.h"

namespace cove::engine {
namespace {
namespace pq_test {

using ::cove::engine::testing::Clustered;

constexpr size_t kDims[] = {1, 7, 15, 16, 17, 33, 100, 128, 768, 1000};

std::vector<const PqKernels*> Levels() {
  std::vector<const PqKernels*> out;
  for (SimdLevel l :
       {SimdLevel::kScalar, SimdLevel::kAvx2, SimdLevel::kAvx512}) {
    if (const PqKernels* k = PqKernelsFor(l)) out.push_back(k);
  }
  return out;
}

TEST(PqKernelsTest, ScalarIsAlwaysThereAndActiveFollowsTheDistanceLevel) {
  ASSERT_NE(PqKernelsFor(SimdLevel::kScalar), nullptr);
  EXPECT_EQ(ActivePqKernels().level, ActiveSimdLevel());
}

TEST(PqKernelsTest, TablesMatchTheScalarReferenceAtEveryLevel) {
  std::mt19937 rng(1);
  std::uniform_real_distribution<float> u(-1.0f, 1.0f);
  const PqKernels& ref = cove::internal::ScalarPqKernels();
  for (size_t dim : kDims) {
    for (size_t m : {size_t{1}, size_t{3}, dim / 2, dim}) {
      if (m == 0 || m > dim) continue;
      for (size_t ksub : {size_t{2}, size_t{4}, size_t{16}, size_t{256}}) {
        std::vector<float> q(dim), cw(ksub * dim);
        for (float& v : q) v = u(rng);
        for (float& v : cw) v = u(rng);
        for (bool ip : {false, true}) {
          std::vector<float> want(m * ksub);
          ref.table(ip, q.data(), cw.data(), dim, m, ksub, want.data());
          // The reference itself against a direct computation.
          for (size_t j = 0; j < m; ++j) {
            const size_t b = j * dim / m;
            const size_t ds = (j + 1) * dim / m - b;
            for (size_t c = 0; c < ksub; c += 7) {
              double s = 0;
              for (size_t t = 0; t < ds; ++t) {
                double x = cw[ksub * b + t * ksub + c];
                s += ip ? q[b + t] * x : (q[b + t] - x) * (q[b + t] - x);
              }
              ASSERT_NEAR(want[j * ksub + c], s, 1e-4 * (1 + std::fabs(s)));
            }
          }
          for (const PqKernels* k : Levels()) {
            std::vector<float> got(m * ksub, -1.0f);
            k->table(ip, q.data(), cw.data(), dim, m, ksub, got.data());
            for (size_t i = 0; i < got.size(); ++i) {
              ASSERT_NEAR(got[i], want[i], 1e-4 * (1 + std::fabs(want[i])))
                  << "level " << SimdLevelName(k->level) << " dim " << dim
                  << " m " << m << " ksub " << ksub << " entry " << i;
            }
          }
        }
      }
    }
  }
}

TEST(PqKernelsTest, FastScanSumsEveryRowOfABlockAtEveryLevel) {
  std::mt19937 rng(2);
  for (size_t m4 : {size_t{4}, size_t{8}, size_t{12}, size_t{64}, size_t{256},
                    size_t{512}}) {
    const size_t max_entry = std::min<size_t>(255, 65535 / m4);
    std::vector<uint8_t> table(m4 * 16);
    for (uint8_t& t : table) t = static_cast<uint8_t>(rng() % (max_entry + 1));
    std::vector<uint8_t> block(Pq4BlockBytes(m4));
    for (uint8_t& b : block) b = static_cast<uint8_t>(rng());
    // The sums by the layout's definition.
    uint32_t want[32];
    for (size_t v = 0; v < 32; ++v) {
      want[v] = 0;
      for (size_t j = 0; j < m4; ++j) {
        const uint8_t byte = block[(j / 2) * 32 + v];
        const uint8_t code = j % 2 == 0 ? byte & 15 : byte >> 4;
        want[v] += table[j * 16 + code];
      }
      ASSERT_LE(want[v], 65535u);
    }
    for (const PqKernels* k : Levels()) {
      std::vector<uint8_t> prepared(Pq4PreparedBytes(m4));
      k->pq4_prepare(table.data(), m4, prepared.data());
      for (uint32_t threshold :
           {0u, 1u, want[3], want[17] + 1, 40000u, 65535u}) {
        uint16_t out[32];
        const uint32_t mask =
            k->pq4_scan(block.data(), m4, prepared.data(),
                        static_cast<uint16_t>(threshold), out);
        for (size_t v = 0; v < 32; ++v) {
          ASSERT_EQ(out[v], want[v])
              << SimdLevelName(k->level) << " m4 " << m4 << " row " << v;
          ASSERT_EQ((mask >> v) & 1u, want[v] < threshold ? 1u : 0u)
              << SimdLevelName(k->level) << " m4 " << m4 << " row " << v
              << " threshold " << threshold;
        }
      }
    }
  }
}

TEST(PqKernelsTest, QuantizedTableBoundsTheSumAndDecodesBack) {
  std::mt19937 rng(3);
  std::uniform_real_distribution<float> u(-5.0f, 20.0f);
  for (size_t m : {size_t{1}, size_t{5}, size_t{64}, size_t{300}}) {
    const size_t m4 = (m + 3) / 4 * 4;
    std::vector<float> table(m * 16);
    for (float& v : table) v = u(rng);
    std::vector<uint8_t> q(m4 * 16, 7);
    Pq4Quantized quant = QuantizeTable(table.data(), m, m4, q.data());
    ASSERT_GT(quant.scale, 0.0f);
    uint32_t worst = 0;
    for (size_t j = 0; j < m4; ++j) {
      uint32_t row_max = 0;
      for (size_t c = 0; c < 16; ++c)
        row_max = std::max<uint32_t>(row_max, q[j * 16 + c]);
      if (j >= m) {
        EXPECT_EQ(row_max, 0u);
      }
      worst += row_max;
    }
    EXPECT_LE(worst, 65535u);
    // A random code's quantized sum decodes to its float sum within the
    // rounding (half a unit per entry).
    for (int trial = 0; trial < 20; ++trial) {
      float exact = 0;
      uint32_t s = 0;
      for (size_t j = 0; j < m; ++j) {
        size_t c = rng() % 16;
        exact += table[j * 16 + c];
        s += q[j * 16 + c];
      }
      EXPECT_NEAR(quant.bias + s / quant.scale, exact,
                  0.5 * m / quant.scale + 1e-3 * std::fabs(exact));
    }
  }
}

TEST(ProductQuantizerTest, PackUnpackRoundTripsEveryBitWidth) {
  std::mt19937 rng(4);
  for (int nbits = 1; nbits <= ProductQuantizer::kMaxBits; ++nbits) {
    for (size_t m : {size_t{1}, size_t{3}, size_t{8}, size_t{13}}) {
      ProductQuantizer pq(16, m, nbits);
      EXPECT_EQ(pq.code_size(), (m * nbits + 7) / 8);
      std::vector<uint16_t> ids(m), back(m);
      for (uint16_t& v : ids) {
        v = static_cast<uint16_t>(rng() & ((1u << nbits) - 1));
      }
      std::vector<uint8_t> code(pq.code_size());
      pq.Pack(ids.data(), code.data());
      pq.Unpack(code.data(), back.data());
      EXPECT_EQ(back, ids) << "nbits " << nbits << " m " << m;
    }
  }
}

TEST(ProductQuantizerTest, AdcEqualsTheDistanceToTheDecodedVector) {
  const size_t dim = 24;
  const size_t n = 3000;
  std::vector<float> data = Clustered(n, dim, 5, false);
  for (int nbits : {4, 8, 5}) {
    for (size_t m : {size_t{6}, size_t{24}, size_t{5}}) {
      ProductQuantizer pq(dim, m, nbits);
      pq.Train(data.data(), n, 1, 2);
      ASSERT_TRUE(pq.trained());
      std::vector<uint8_t> codes(n * pq.code_size());
      pq.EncodeBatch(data.data(), n, codes.data(), 2);
      std::vector<float> table(m * pq.ksub()), decoded(dim);
      const float* q = data.data() + 17 * dim;
      for (Metric metric : {Metric::kL2, Metric::kIP}) {
        pq.ComputeTable(metric, q, table.data());
        for (size_t i = 0; i < n; i += 97) {
          const uint8_t* code = codes.data() + i * pq.code_size();
          pq.Decode(code, decoded.data());
          double want = 0;
          for (size_t t = 0; t < dim; ++t) {
            want += metric == Metric::kL2
                        ? (q[t] - decoded[t]) * (q[t] - decoded[t])
                        : q[t] * decoded[t];
          }
          EXPECT_NEAR(pq.Adc(table.data(), code), want,
                      1e-3 * (1 + std::fabs(want)));
        }
      }
      // The quantization error shrinks as codes get bigger; with 8 bits and
      // one dimension per code it is small against the data's spread.
      double err = 0, spread = 0;
      for (size_t i = 0; i < n; ++i) {
        pq.Decode(codes.data() + i * pq.code_size(), decoded.data());
        for (size_t t = 0; t < dim; ++t) {
          const double x = data[i * dim + t];
          err += (x - decoded[t]) * (x - decoded[t]);
          spread += x * x;
        }
      }
      if (nbits == 8 && m == dim) {
        EXPECT_LT(err, 0.01 * spread);
      }
      EXPECT_LT(err, 0.5 * spread) << "nbits " << nbits << " m " << m;
    }
  }
}

TEST(ProductQuantizerTest, FewerPointsThanCentroidsStillEncode) {
  const size_t dim = 8;
  std::vector<float> data = Clustered(5, dim, 6, false);
  ProductQuantizer pq(dim, 4, 8);
  pq.Train(data.data(), 5, 1, 1);
  std::vector<uint8_t> codes(5 * pq.code_size());
  pq.EncodeBatch(data.data(), 5, codes.data(), 1);
  std::vector<float> decoded(dim);
  for (size_t i = 0; i < 5; ++i) {
    pq.Decode(codes.data() + i * pq.code_size(), decoded.data());
    for (size_t t = 0; t < dim; ++t) {
      EXPECT_FLOAT_EQ(decoded[t], data[i * dim + t]);  // each point a centroid
    }
  }
}

TEST(ProductQuantizerTest, SaveLoadAndCorruption) {
  const size_t dim = 12;
  std::vector<float> data = Clustered(500, dim, 7, false);
  ProductQuantizer pq(dim, 4, 6);
  pq.Train(data.data(), 500, 1, 1);
  std::string bytes;
  cove::internal::IndexWriter w(&bytes);
  pq.Save(&w);
  {
    ProductQuantizer back;
    cove::internal::IndexReader r(bytes);
    ASSERT_TRUE(back.Load(&r, dim));
    EXPECT_EQ(back.m(), 4u);
    EXPECT_EQ(back.nbits(), 6);
    EXPECT_EQ(r.remaining(), 0u);
    std::vector<uint8_t> a(pq.code_size()), b(pq.code_size());
    pq.Encode(data.data() + dim, a.data());
    back.Encode(data.data() + dim, b.data());
    EXPECT_EQ(a, b);
  }
  for (size_t len = 0; len < bytes.size(); len += 7) {
    ProductQuantizer back;
    cove::internal::IndexReader r(std::string_view(bytes).substr(0, len));
    EXPECT_FALSE(back.Load(&r, dim)) << len;
  }
  ProductQuantizer back;
  cove::internal::IndexReader wrong_dim(bytes);
  EXPECT_FALSE(back.Load(&wrong_dim, 3));  // m = 4 > dim 3
  std::string nan = bytes;
  const float bad = std::nanf("");
  std::memcpy(&nan[nan.size() - 4], &bad, 4);
  cove::internal::IndexReader r(nan);
  EXPECT_FALSE(back.Load(&r, dim));
}

}  // namespace pq_test
}  // namespace
}  // namespace cove::engine
