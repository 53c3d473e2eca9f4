// Portable reference of the product-quantization kernels (pq_kernels.h):
// the definition the SIMD levels are tested against.
#include <cstring>

#include "engine/kernels/pq_kernels.h"

namespace cove::internal {
namespace {

void TableScalar(bool ip, const float* query, const float* transposed,
                 size_t dim, size_t m, size_t ksub, float* table) {
  for (size_t j = 0; j < m; ++j) {
    const size_t begin = j * dim / m;
    const size_t dsub = (j + 1) * dim / m - begin;
    const float* cw = transposed + ksub * begin;
    float* out = table + j * ksub;
    for (size_t c = 0; c < ksub; ++c) out[c] = 0.0f;
    for (size_t t = 0; t < dsub; ++t) {
      const float q = query[begin + t];
      const float* row = cw + t * ksub;
      if (ip) {
        for (size_t c = 0; c < ksub; ++c) out[c] += q * row[c];
      } else {
        for (size_t c = 0; c < ksub; ++c) {
          const float d = q - row[c];
          out[c] += d * d;
        }
      }
    }
  }
}

void Pq4PrepareScalar(const uint8_t* table, size_t m4, uint8_t* prepared) {
  std::memcpy(prepared, table, m4 * 16);
}

uint32_t Pq4ScanScalar(const uint8_t* block, size_t m4, const uint8_t* prepared,
                       uint16_t threshold, uint16_t* out) {
  uint32_t sums[engine::kPq4BlockRows] = {};
  for (size_t p = 0; p < m4 / 2; ++p) {
    const uint8_t* chunk = block + p * 32;
    const uint8_t* lo = prepared + (2 * p) * 16;
    const uint8_t* hi = lo + 16;
    for (size_t v = 0; v < engine::kPq4BlockRows; ++v) {
      sums[v] += lo[chunk[v] & 15] + hi[chunk[v] >> 4];
    }
  }
  uint32_t mask = 0;
  for (size_t v = 0; v < engine::kPq4BlockRows; ++v) {
    out[v] = static_cast<uint16_t>(sums[v]);
    if (out[v] < threshold) mask |= uint32_t{1} << v;
  }
  return mask;
}

}  // namespace

const engine::PqKernels& ScalarPqKernels() {
  static constexpr engine::PqKernels kTable = {
      engine::SimdLevel::kScalar,
      TableScalar,
      Pq4PrepareScalar,
      Pq4ScanScalar,
  };
  return kTable;
}

}  // namespace cove::internal
