// The function-pointer tables behind distance.h: one per SIMD level, each
// defined in its own translation unit (distance_scalar.cc, distance_avx2.cc,
// distance_avx512.cc) so only that file is compiled with wider instructions.
// distance.cc picks one table at first use and forwards every call to it.
//
// Besides the public kernels, the tables carry a few helpers the exact
// (FLAT) search needs in its inner loops, so that they are vectorized too.
#ifndef COVE_SRC_ENGINE_KERNELS_DISTANCE_INTERNAL_H_
#define COVE_SRC_ENGINE_KERNELS_DISTANCE_INTERNAL_H_

#include <cstddef>
#include <cstdint>

#include "engine/kernels/distance.h"

namespace cove::internal {

/// The kernels of one SIMD level. Every entry is non-null; the semantics are
/// those of the same-named functions of distance.h.
struct DistanceKernels {
  engine::SimdLevel level;
  float (*l2sqr)(const float* a, const float* b, size_t d);
  float (*inner_product)(const float* a, const float* b, size_t d);
  void (*l2sqr_batch)(const float* query, const float* base, size_t n, size_t d,
                      float* out);
  void (*inner_product_batch)(const float* query, const float* base, size_t n,
                              size_t d, float* out);
  void (*inner_product_matrix)(const float* queries, size_t nq,
                               const float* base, size_t nx, size_t d,
                               float* out);
  float (*l2sqr_sq8)(const float* query, const uint8_t* code, const float* vmin,
                     const float* vdiff, size_t d);
  float (*inner_product_sq8)(const float* query, const uint8_t* code,
                             const float* vmin, const float* vdiff, size_t d);
  /// Integer dot product of 8-bit codes with 16-bit weights (see DotU8I16).
  int32_t (*dot_u8_i16)(const uint8_t* code, const int16_t* w, size_t d);
  /// Selection for top-k scans. For j in [0, n) computes
  ///   s = (add != nullptr ? add[j] : 0) + alpha * v[j]
  /// and, when s <= threshold, appends j to idx and s to val. Returns the
  /// number appended (idx and val must hold n entries). With add == nullptr
  /// and alpha == +-1 the values are exact (no rounding).
  size_t (*select_le)(const float* v, const float* add, float alpha, size_t n,
                      float threshold, uint32_t* idx, float* val);
};

/// The portable reference kernels (always available).
const DistanceKernels& ScalarDistanceKernels();
/// The AVX2+FMA kernels, or nullptr when not compiled in (non-x86 build, or
/// the file was built without its flags). Does not check the CPU.
const DistanceKernels* Avx2DistanceKernels();
/// The AVX-512 (F/BW/DQ/VL) kernels, or nullptr when not compiled in.
const DistanceKernels* Avx512DistanceKernels();

/// The table of the active level (see engine::ActiveSimdLevel()). Hoisting it
/// out of a loop saves one atomic load per call; the reference stays valid
/// for the life of the process.
const DistanceKernels& ActiveDistanceKernels();

/// Walks the cache lines of a block of rows (the next panel a GEMM driver
/// will pack) a few at a time, prefetching them into L2, so that packing does
/// not wait for memory when the base is streamed from DRAM.
class PanelPrefetcher {
 public:
  /// `rows` rows of `row_floats` floats, `ld` floats apart, from p (nullptr:
  /// nothing to prefetch).
  void Reset(const float* p, size_t rows, size_t ld, size_t row_floats) {
    p_ = reinterpret_cast<const char*>(p);
    rows_ = p == nullptr ? 0 : rows;
    ld_bytes_ = ld * sizeof(float);
    // +1: a row need not start on a line boundary.
    lines_per_row_ = (row_floats * sizeof(float) + 63) / 64 + 1;
    r_ = 0;
    l_ = 0;
  }
  /// Lines left to prefetch in total.
  size_t lines() const { return rows_ * lines_per_row_; }
  /// Prefetches the next n lines.
  void Step(size_t n) {
    for (; n > 0 && r_ < rows_; --n) {
      __builtin_prefetch(p_ + r_ * ld_bytes_ + 64 * l_, 0, 2);
      if (++l_ == lines_per_row_) {
        l_ = 0;
        ++r_;
      }
    }
  }

 private:
  const char* p_ = nullptr;
  size_t rows_ = 0;
  size_t ld_bytes_ = 0;
  size_t lines_per_row_ = 0;
  size_t r_ = 0;
  size_t l_ = 0;
};

/// Scalar reference of the SQ8 map, shared by every level for tails:
/// x = vmin + code * vdiff / 255.
inline float DequantizeSq8(uint8_t code, float vmin, float vdiff) {
  return vmin + static_cast<float>(code) * (vdiff * (1.0f / 255.0f));
}

}  // namespace cove::internal

#endif  // COVE_SRC_ENGINE_KERNELS_DISTANCE_INTERNAL_H_
