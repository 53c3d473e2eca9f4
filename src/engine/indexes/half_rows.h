// Helpers of the indexes that take FLOAT16_VECTOR / BFLOAT16_VECTOR rows as a
// segment stores them: 16-bit values packed two per float32 slot
// (IndexParams::half; `dim` counts slots). The IVF indexes train and encode
// on the rows widened to float32 (2 * slots values: an odd dimension's pad
// value is zero, which adds nothing to L2 or IP) and keep and compare the
// rows themselves in their 16-bit form.
#ifndef COVE_SRC_ENGINE_INDEXES_HALF_ROWS_H_
#define COVE_SRC_ENGINE_INDEXES_HALF_ROWS_H_

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <optional>
#include <vector>

#include "engine/indexes/vector_index.h"
#include "engine/kernels/half.h"

namespace cove::engine {

/// The dimension an index trains and quantizes on: 2 * dim values for
/// 16-bit rows, dim for float32 rows.
inline size_t IndexValueDim(const IndexParams& p) {
  return p.half.has_value() ? 2 * p.dim : p.dim;
}

/// Widens n packed rows of `slots` slots each to n * 2 * slots float32
/// values.
inline void WidenHalfRows(HalfType t, const float* packed, size_t n,
                          size_t slots, float* out) {
  const auto* h = reinterpret_cast<const uint16_t*>(packed);
  const size_t values = n * 2 * slots;
  for (size_t i = 0; i < values; ++i) out[i] = HalfToFloat(t, h[i]);
}

/// The float32 values of n rows of an index with `params`: `rows` itself
/// for float32 rows; 16-bit rows widened into `storage`.
inline const float* IndexRowValues(const IndexParams& params, const float* rows,
                                   size_t n, std::vector<float>* storage) {
  if (!params.half.has_value()) return rows;
  storage->resize(n * 2 * params.dim);
  WidenHalfRows(*params.half, rows, n, params.dim, storage->data());
  return storage->data();
}

/// One packed row with every value multiplied by `scale` and rounded back to
/// its type (the unit rows a COSINE index was built on).
inline void ScaleHalfRow(HalfType t, const float* packed, size_t slots,
                         float scale, float* out) {
  const auto* h = reinterpret_cast<const uint16_t*>(packed);
  auto* o = reinterpret_cast<uint16_t*>(out);
  for (size_t i = 0; i < 2 * slots; ++i) {
    o[i] = FloatToHalf(t, HalfToFloat(t, h[i]) * scale);
  }
}

/// The row kernels of an index over `half` rows (the packed-slot kernels) or
/// float32 rows, resolved now.
inline DistanceFn RowL2SqrFunction(const std::optional<HalfType>& half) {
  return half.has_value() ? HalfSlotL2SqrFunction(*half) : L2SqrFunction();
}
inline DistanceFn RowInnerProductFunction(const std::optional<HalfType>& half) {
  return half.has_value() ? HalfSlotInnerProductFunction(*half)
                          : InnerProductFunction();
}

/// The metric byte of a saved IVF index: the metric in the low four bits,
/// the 16-bit row type in the next two (0: float32 rows, 1: float16,
/// 2: bfloat16; bytes written before 16-bit rows existed have 0 there).
inline uint8_t MetricByteWithHalf(Metric metric,
                                  const std::optional<HalfType>& half) {
  const uint8_t tag = !half.has_value()             ? 0
                      : *half == HalfType::kFloat16 ? 1
                                                    : 2;
  return static_cast<uint8_t>(static_cast<uint8_t>(metric) | (tag << 4));
}
/// Splits a metric byte; false for an unknown row type tag.
inline bool SplitMetricByte(uint8_t byte, uint8_t* metric,
                            std::optional<HalfType>* half) {
  *metric = byte & 0x0F;
  switch (byte >> 4) {
    case 0:
      half->reset();
      return true;
    case 1:
      *half = HalfType::kFloat16;
      return true;
    case 2:
      *half = HalfType::kBFloat16;
      return true;
    default:
      return false;
  }
}

}  // namespace cove::engine

#endif  // COVE_SRC_ENGINE_INDEXES_HALF_ROWS_H_
