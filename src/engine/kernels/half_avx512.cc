// AVX-512 kernels of half.h: 16 values per register, masked loads for the
// tails (no scalar loop). float16 is widened with vcvtph2ps and accumulated
// with FMA; bfloat16 L2 widens with a zero-extend and a shift; bfloat16
// inner products use vdpbf16ps (32 products per instruction, float32
// accumulation) when the CPU has AVX-512 BF16, else the widening path.
//
// Compiler flags (this file only): -mavx512f -mavx512bw -mavx512dq
// -mavx512vl -mfma -mavx2; the vdpbf16ps functions carry a target attribute
// and run only after __builtin_cpu_supports("avx512bf16").
#include "engine/kernels/half.h"

#if defined(__x86_64__) && defined(__AVX512F__) && defined(__AVX512BW__) && \
    defined(__AVX512VL__) && defined(__FMA__)

#include <immintrin.h>

// GCC 12 warns about the deliberate self-initialization inside
// _mm512_undefined_*() wherever the intrinsics get inlined (GCC bug 105593).
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wuninitialized"
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif

namespace cove::internal {
namespace {

inline __mmask16 Mask16(size_t n) {
  return static_cast<__mmask16>((1u << n) - 1u);
}

struct F16 {
  static __m512 Load(const uint16_t* p) {
    return _mm512_cvtph_ps(
        _mm256_loadu_si256(reinterpret_cast<const __m256i*>(p)));
  }
  static __m512 LoadTail(const uint16_t* p, size_t n) {
    return _mm512_cvtph_ps(_mm256_maskz_loadu_epi16(Mask16(n), p));
  }
};

struct Bf16 {
  static __m512 Widen(__m256i h) {
    return _mm512_castsi512_ps(_mm512_slli_epi32(_mm512_cvtepu16_epi32(h), 16));
  }
  static __m512 Load(const uint16_t* p) {
    return Widen(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(p)));
  }
  static __m512 LoadTail(const uint16_t* p, size_t n) {
    return Widen(_mm256_maskz_loadu_epi16(Mask16(n), p));
  }
};

template <typename T>
inline float L2(const uint16_t* a, const uint16_t* b, size_t d) {
  __m512 s0 = _mm512_setzero_ps(), s1 = _mm512_setzero_ps();
  size_t i = 0;
  for (; i + 32 <= d; i += 32) {
    const __m512 t0 = _mm512_sub_ps(T::Load(a + i), T::Load(b + i));
    const __m512 t1 = _mm512_sub_ps(T::Load(a + i + 16), T::Load(b + i + 16));
    s0 = _mm512_fmadd_ps(t0, t0, s0);
    s1 = _mm512_fmadd_ps(t1, t1, s1);
  }
  for (; i < d; i += 16) {
    const size_t n = d - i < 16 ? d - i : 16;
    const __m512 t0 =
        _mm512_sub_ps(T::LoadTail(a + i, n), T::LoadTail(b + i, n));
    s0 = _mm512_fmadd_ps(t0, t0, s0);
  }
  return _mm512_reduce_add_ps(_mm512_add_ps(s0, s1));
}

template <typename T>
inline float Ip(const uint16_t* a, const uint16_t* b, size_t d) {
  __m512 s0 = _mm512_setzero_ps(), s1 = _mm512_setzero_ps();
  size_t i = 0;
  for (; i + 32 <= d; i += 32) {
    s0 = _mm512_fmadd_ps(T::Load(a + i), T::Load(b + i), s0);
    s1 = _mm512_fmadd_ps(T::Load(a + i + 16), T::Load(b + i + 16), s1);
  }
  for (; i < d; i += 16) {
    const size_t n = d - i < 16 ? d - i : 16;
    s0 = _mm512_fmadd_ps(T::LoadTail(a + i, n), T::LoadTail(b + i, n), s0);
  }
  return _mm512_reduce_add_ps(_mm512_add_ps(s0, s1));
}

// vdpbf16ps: each 32-bit lane accumulates the products of two bf16 pairs.
__attribute__((target("avx512bf16"))) inline float IpDp(const uint16_t* a,
                                                        const uint16_t* b,
                                                        size_t d) {
  __m512 s0 = _mm512_setzero_ps(), s1 = _mm512_setzero_ps();
  size_t i = 0;
  for (; i + 64 <= d; i += 64) {
    s0 = _mm512_dpbf16_ps(s0, (__m512bh)_mm512_loadu_si512(a + i),
                          (__m512bh)_mm512_loadu_si512(b + i));
    s1 = _mm512_dpbf16_ps(s1, (__m512bh)_mm512_loadu_si512(a + i + 32),
                          (__m512bh)_mm512_loadu_si512(b + i + 32));
  }
  for (; i < d; i += 32) {
    const size_t n = d - i < 32 ? d - i : 32;
    const __mmask32 m =
        n == 32 ? ~__mmask32{0} : static_cast<__mmask32>((1u << n) - 1u);
    s0 = _mm512_dpbf16_ps(s0, (__m512bh)_mm512_maskz_loadu_epi16(m, a + i),
                          (__m512bh)_mm512_maskz_loadu_epi16(m, b + i));
  }
  return _mm512_reduce_add_ps(_mm512_add_ps(s0, s1));
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

__attribute__((target("avx512bf16"))) float IpDpFn(const uint16_t* a,
                                                   const uint16_t* b,
                                                   size_t d) {
  return IpDp(a, b, d);
}

__attribute__((target("avx512bf16"))) float IpDpSlots(const float* a,
                                                      const float* b,
                                                      size_t slots) {
  return IpDp(reinterpret_cast<const uint16_t*>(a),
              reinterpret_cast<const uint16_t*>(b), 2 * slots);
}

inline void Prefetch(const uint16_t* row, size_t d) {
  // The rows are streamed: fetch a few rows ahead.
  _mm_prefetch(reinterpret_cast<const char*>(row + 8 * d), _MM_HINT_T0);
}

template <typename T>
void Batch(bool l2, const uint16_t* q, const uint16_t* base, size_t n, size_t d,
           float* out) {
  for (size_t j = 0; j < n; ++j) {
    const uint16_t* row = base + j * d;
    Prefetch(row, d);
    out[j] = l2 ? L2<T>(q, row, d) : Ip<T>(q, row, d);
  }
}

__attribute__((target("avx512bf16"))) void BatchDp(bool l2, const uint16_t* q,
                                                   const uint16_t* base,
                                                   size_t n, size_t d,
                                                   float* out) {
  for (size_t j = 0; j < n; ++j) {
    const uint16_t* row = base + j * d;
    Prefetch(row, d);
    out[j] = l2 ? L2<Bf16>(q, row, d) : IpDp(q, row, d);
  }
}

}  // namespace

const HalfKernels* Avx512HalfKernels() {
  static const HalfKernels kWiden = {
      engine::SimdLevel::kAvx512,
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
  static const HalfKernels kDp = {
      engine::SimdLevel::kAvx512,
      L2Fn<F16>,
      IpFn<F16>,
      L2Fn<Bf16>,
      IpDpFn,
      Batch<F16>,
      BatchDp,
      true,
      SlotsFn<F16, true>,
      SlotsFn<F16, false>,
      SlotsFn<Bf16, true>,
      IpDpSlots,
  };
  static const bool kBf16 = [] {
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx512bf16") != 0;
  }();
  return kBf16 ? &kDp : &kWiden;
}

}  // namespace cove::internal

#else

namespace cove::internal {
const HalfKernels* Avx512HalfKernels() { return nullptr; }
}  // namespace cove::internal

#endif
