// AVX2 kernels of half.h: float16 widened with F16C (vcvtph2ps), bfloat16
// with a zero-extend and a 16-bit shift, both accumulated with FMA in two
// 8-float accumulators (16 values per iteration); tails widen one value at a
// time with the scalar conversion.
//
// Compiler flags (this file only): -mavx2 -mfma -mf16c. Avx2HalfKernels()
// checks the CPU for F16C (distance.cc checked AVX2 and FMA).
#include "engine/kernels/half.h"

#if defined(__x86_64__) && defined(__AVX2__) && defined(__FMA__) && \
    defined(__F16C__)

#include <cpuid.h>
#include <immintrin.h>

namespace cove::internal {
namespace {

using engine::HalfType;

inline float Sum256(__m256 v) {
  __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
  s = _mm_add_ps(s, _mm_movehl_ps(s, s));
  s = _mm_add_ss(s, _mm_movehdup_ps(s));
  return _mm_cvtss_f32(s);
}

struct F16 {
  static constexpr HalfType kType = HalfType::kFloat16;
  static __m256 Load(const uint16_t* p) {
    return _mm256_cvtph_ps(
        _mm_loadu_si128(reinterpret_cast<const __m128i*>(p)));
  }
};

struct Bf16 {
  static constexpr HalfType kType = HalfType::kBFloat16;
  static __m256 Load(const uint16_t* p) {
    const __m256i w = _mm256_cvtepu16_epi32(
        _mm_loadu_si128(reinterpret_cast<const __m128i*>(p)));
    return _mm256_castsi256_ps(_mm256_slli_epi32(w, 16));
  }
};

template <typename T>
inline float L2(const uint16_t* a, const uint16_t* b, size_t d) {
  __m256 s0 = _mm256_setzero_ps(), s1 = _mm256_setzero_ps();
  size_t i = 0;
  for (; i + 16 <= d; i += 16) {
    const __m256 t0 = _mm256_sub_ps(T::Load(a + i), T::Load(b + i));
    const __m256 t1 = _mm256_sub_ps(T::Load(a + i + 8), T::Load(b + i + 8));
    s0 = _mm256_fmadd_ps(t0, t0, s0);
    s1 = _mm256_fmadd_ps(t1, t1, s1);
  }
  if (i + 8 <= d) {
    const __m256 t0 = _mm256_sub_ps(T::Load(a + i), T::Load(b + i));
    s0 = _mm256_fmadd_ps(t0, t0, s0);
    i += 8;
  }
  float s = Sum256(_mm256_add_ps(s0, s1));
  for (; i < d; ++i) {
    const float t = engine::HalfToFloat(T::kType, a[i]) -
                    engine::HalfToFloat(T::kType, b[i]);
    s += t * t;
  }
  return s;
}

template <typename T>
inline float Ip(const uint16_t* a, const uint16_t* b, size_t d) {
  __m256 s0 = _mm256_setzero_ps(), s1 = _mm256_setzero_ps();
  size_t i = 0;
  for (; i + 16 <= d; i += 16) {
    s0 = _mm256_fmadd_ps(T::Load(a + i), T::Load(b + i), s0);
    s1 = _mm256_fmadd_ps(T::Load(a + i + 8), T::Load(b + i + 8), s1);
  }
  if (i + 8 <= d) {
    s0 = _mm256_fmadd_ps(T::Load(a + i), T::Load(b + i), s0);
    i += 8;
  }
  float s = Sum256(_mm256_add_ps(s0, s1));
  for (; i < d; ++i) {
    s += engine::HalfToFloat(T::kType, a[i]) *
         engine::HalfToFloat(T::kType, b[i]);
  }
  return s;
}

template <typename T, bool kL2>
float SlotsFn(const float* a, const float* b, size_t slots) {
  const auto* x = reinterpret_cast<const uint16_t*>(a);
  const auto* y = reinterpret_cast<const uint16_t*>(b);
  return kL2 ? L2<T>(x, y, 2 * slots) : Ip<T>(x, y, 2 * slots);
}

template <typename T>
float L2Fn(const uint16_t* a, const uint16_t* b, size_t d) {
  return L2<T>(a, b, d);
}

template <typename T>
float IpFn(const uint16_t* a, const uint16_t* b, size_t d) {
  return Ip<T>(a, b, d);
}

template <typename T>
void Batch(bool l2, const uint16_t* q, const uint16_t* base, size_t n, size_t d,
           float* out) {
  for (size_t j = 0; j < n; ++j) {
    const uint16_t* row = base + j * d;
    // The rows are streamed: fetch a few rows ahead.
    _mm_prefetch(reinterpret_cast<const char*>(row + 8 * d), _MM_HINT_T0);
    out[j] = l2 ? L2<T>(q, row, d) : Ip<T>(q, row, d);
  }
}

}  // namespace

const HalfKernels* Avx2HalfKernels() {
  static const HalfKernels kTable = {
      engine::SimdLevel::kAvx2,
      L2Fn<F16>,
      IpFn<F16>,
      L2Fn<Bf16>,
      IpFn<Bf16>,
      Batch<F16>,
      Batch<Bf16>,
      false,
      SlotsFn<F16, true>,
      SlotsFn<F16, false>,
      SlotsFn<Bf16, true>,
      SlotsFn<Bf16, false>,
  };
  static const bool kCpuOk = [] {
    // CPUID leaf 1, ECX bit 29 (clang 14's __builtin_cpu_supports has no
    // "f16c").
    unsigned a = 0, b = 0, c = 0, d = 0;
    return __get_cpuid(1, &a, &b, &c, &d) != 0 && (c & bit_F16C) != 0;
  }();
  return kCpuOk ? &kTable : nullptr;
}

}  // namespace cove::internal

#else

namespace cove::internal {
const HalfKernels* Avx2HalfKernels() { return nullptr; }
}  // namespace cove::internal

#endif
