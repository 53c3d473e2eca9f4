// Portable reference kernels: the semantics every SIMD level is tested
// against, and the level used on CPUs (or architectures) without AVX2.
//
// Compiler flags: none beyond the baseline (x86-64 / aarch64 defaults).
#include <algorithm>
#include <cstddef>
#include <cstdint>

#include "engine/kernels/distance_internal.h"

namespace cove::internal {
namespace {

// Eight independent accumulators: short dependency chains (compilers turn
// them into two SIMD registers at the baseline ISA, SSE2 or NEON), and the
// same association on every platform.
float L2SqrScalar(const float* a, const float* b, size_t d) {
  float s[8] = {0, 0, 0, 0, 0, 0, 0, 0};
  size_t i = 0;
  for (; i + 8 <= d; i += 8) {
    for (size_t j = 0; j < 8; ++j) {
      float t = a[i + j] - b[i + j];
      s[j] += t * t;
    }
  }
  for (; i < d; ++i) {
    float t = a[i] - b[i];
    s[i & 7] += t * t;
  }
  return ((s[0] + s[4]) + (s[1] + s[5])) + ((s[2] + s[6]) + (s[3] + s[7]));
}

float InnerProductScalar(const float* a, const float* b, size_t d) {
  float s[8] = {0, 0, 0, 0, 0, 0, 0, 0};
  size_t i = 0;
  for (; i + 8 <= d; i += 8) {
    for (size_t j = 0; j < 8; ++j) s[j] += a[i + j] * b[i + j];
  }
  for (; i < d; ++i) s[i & 7] += a[i] * b[i];
  return ((s[0] + s[4]) + (s[1] + s[5])) + ((s[2] + s[6]) + (s[3] + s[7]));
}

void L2SqrBatchScalar(const float* query, const float* base, size_t n, size_t d,
                      float* out) {
  for (size_t j = 0; j < n; ++j) out[j] = L2SqrScalar(query, base + j * d, d);
}

void InnerProductBatchScalar(const float* query, const float* base, size_t n,
                             size_t d, float* out) {
  for (size_t j = 0; j < n; ++j) {
    out[j] = InnerProductScalar(query, base + j * d, d);
  }
}

// Blocked over the base so a block of base rows stays in cache while every
// query passes over it.
void InnerProductMatrixScalar(const float* queries, size_t nq,
                              const float* base, size_t nx, size_t d,
                              float* out) {
  const size_t block =
      std::max<size_t>(1, (32 * 1024) / (4 * std::max<size_t>(d, 1)));
  for (size_t j0 = 0; j0 < nx; j0 += block) {
    size_t j1 = std::min(nx, j0 + block);
    for (size_t i = 0; i < nq; ++i) {
      const float* q = queries + i * d;
      for (size_t j = j0; j < j1; ++j) {
        out[i * nx + j] = InnerProductScalar(q, base + j * d, d);
      }
    }
  }
}

float L2SqrSq8Scalar(const float* query, const uint8_t* code, const float* vmin,
                     const float* vdiff, size_t d) {
  float s = 0;
  for (size_t i = 0; i < d; ++i) {
    float t = query[i] - DequantizeSq8(code[i], vmin[i], vdiff[i]);
    s += t * t;
  }
  return s;
}

float InnerProductSq8Scalar(const float* query, const uint8_t* code,
                            const float* vmin, const float* vdiff, size_t d) {
  float s = 0;
  for (size_t i = 0; i < d; ++i) {
    s += query[i] * DequantizeSq8(code[i], vmin[i], vdiff[i]);
  }
  return s;
}

int32_t DotU8I16Scalar(const uint8_t* code, const int16_t* w, size_t d) {
  // Unsigned arithmetic: wraps modulo 2^32 like the SIMD lanes instead of
  // overflowing (each product fits in int32: 255 * 32768 < 2^31).
  uint32_t s = 0;
  for (size_t i = 0; i < d; ++i) {
    s += static_cast<uint32_t>(static_cast<int32_t>(code[i]) *
                               static_cast<int32_t>(w[i]));
  }
  return static_cast<int32_t>(s);
}

size_t SelectLeScalar(const float* v, const float* add, float alpha, size_t n,
                      float threshold, uint32_t* idx, float* val) {
  size_t m = 0;
  for (size_t j = 0; j < n; ++j) {
    float s = alpha * v[j];
    if (add != nullptr) s += add[j];
    if (s <= threshold) {
      idx[m] = static_cast<uint32_t>(j);
      val[m] = s;
      ++m;
    }
  }
  return m;
}

}  // namespace

const DistanceKernels& ScalarDistanceKernels() {
  static constexpr DistanceKernels kTable = {
      engine::SimdLevel::kScalar,
      L2SqrScalar,
      InnerProductScalar,
      L2SqrBatchScalar,
      InnerProductBatchScalar,
      InnerProductMatrixScalar,
      L2SqrSq8Scalar,
      InnerProductSq8Scalar,
      DotU8I16Scalar,
      SelectLeScalar,
  };
  return kTable;
}

}  // namespace cove::internal
