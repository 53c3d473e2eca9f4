// Dispatch of the product-quantization kernels (pq_kernels.h): the level is
// the distance kernels' (ActiveSimdLevel()), so COVE_SIMD and
// SetSimdLevelForTesting() steer both. Also the table quantization of the
// fast-scan, which is level-independent.
//
// Compiler flags: none beyond the baseline.
#include "engine/kernels/pq_kernels.h"

#include <algorithm>
#include <cmath>
#include <cstring>

namespace cove::engine {
namespace {

struct Tables {
  const PqKernels* by_level[3];
};

const Tables& Resolved() {
  static const Tables tables = [] {
    Tables t{};
    t.by_level[0] = &cove::internal::ScalarPqKernels();
    t.by_level[1] = SimdLevelSupported(SimdLevel::kAvx2)
                        ? cove::internal::Avx2PqKernels()
                        : nullptr;
    t.by_level[2] = SimdLevelSupported(SimdLevel::kAvx512)
                        ? cove::internal::Avx512PqKernels()
                        : nullptr;
    return t;
  }();
  return tables;
}

}  // namespace

const PqKernels* PqKernelsFor(SimdLevel level) {
  return Resolved().by_level[static_cast<int>(level)];
}

const PqKernels& ActivePqKernels() {
  const PqKernels* k = PqKernelsFor(ActiveSimdLevel());
  return k != nullptr ? *k : cove::internal::ScalarPqKernels();
}

Pq4Quantized QuantizeTable(const float* table, size_t m, size_t m4,
                           uint8_t* out) {
  Pq4Quantized q;
  float max_range = 0.0f;
  for (size_t j = 0; j < m; ++j) {
    const float* row = table + j * 16;
    const float lo = *std::min_element(row, row + 16);
    const float hi = *std::max_element(row, row + 16);
    q.bias += lo;
    max_range = std::max(max_range, hi - lo);
  }
  const float max_entry = static_cast<float>(
      std::min<size_t>(255, 65535 / std::max<size_t>(m4, 1)));
  q.scale = max_range > 0.0f && std::isfinite(max_range) ? max_entry / max_range
                                                         : 0.0f;
  for (size_t j = 0; j < m; ++j) {
    const float* row = table + j * 16;
    const float lo = *std::min_element(row, row + 16);
    for (size_t c = 0; c < 16; ++c) {
      float v = std::nearbyint((row[c] - lo) * q.scale);
      v = std::min(std::max(v, 0.0f), max_entry);
      out[j * 16 + c] = static_cast<uint8_t>(v);
    }
  }
  if (m4 > m) std::memset(out + m * 16, 0, (m4 - m) * 16);
  return q;
}

}  // namespace cove::engine
