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

inline void Prefetch(const uint16_t* rows, size_t values) {
  // The rows are streamed: fetch the block after the next one, a line per
  // 32 values.
  const char* p = reinterpret_cast<const char*>(rows + 2 * values);
  for (size_t b = 0; b < values * 2; b += 64) {
    _mm_prefetch(p + b, _MM_HINT_T0);
  }
}

// The horizontal sums of four accumulators: {sum(a), sum(b), sum(c),
// sum(e)}, one reduction for four rows.
inline __m128 Sum4(__m512 a, __m512 b, __m512 c, __m512 e) {
  // Per 128-bit lane: ab = [a0+a2, b0+b2, a1+a3, b1+b3], ce alike.
  const __m512 ab =
      _mm512_add_ps(_mm512_unpacklo_ps(a, b), _mm512_unpackhi_ps(a, b));
  const __m512 ce =
      _mm512_add_ps(_mm512_unpacklo_ps(c, e), _mm512_unpackhi_ps(c, e));
  // Per lane: [a, b, c, e] partial sums.
  const __m512 abce =
      _mm512_add_ps(_mm512_castpd_ps(_mm512_unpacklo_pd(_mm512_castps_pd(ab),
                                                        _mm512_castps_pd(ce))),
                    _mm512_castpd_ps(_mm512_unpackhi_pd(_mm512_castps_pd(ab),
                                                        _mm512_castps_pd(ce))));
  const __m256 h = _mm256_add_ps(_mm512_castps512_ps256(abce),
                                 _mm512_extractf32x8_ps(abce, 1));
  return _mm_add_ps(_mm256_castps256_ps128(h), _mm256_extractf128_ps(h, 1));
}

template <bool kL2>
inline __m512 Acc(__m512 x, __m512 y, __m512 s) {
  if (kL2) {
    const __m512 t = _mm512_sub_ps(x, y);
    return _mm512_fmadd_ps(t, t, s);
  }
  return _mm512_fmadd_ps(x, y, s);
}

// Four consecutive rows (r, r + d, r + 2d, r + 3d) against the query: the
// query is widened once per four rows, and one reduction serves all four.
template <typename T, bool kL2>
inline void Rows4(const uint16_t* q, const uint16_t* r, size_t d, float* out) {
  __m512 s0 = _mm512_setzero_ps(), s1 = _mm512_setzero_ps();
  __m512 s2 = _mm512_setzero_ps(), s3 = _mm512_setzero_ps();
  size_t i = 0;
  for (; i + 16 <= d; i += 16) {
    const __m512 x = T::Load(q + i);
    s0 = Acc<kL2>(x, T::Load(r + i), s0);
    s1 = Acc<kL2>(x, T::Load(r + d + i), s1);
    s2 = Acc<kL2>(x, T::Load(r + 2 * d + i), s2);
    s3 = Acc<kL2>(x, T::Load(r + 3 * d + i), s3);
  }
  if (i < d) {
    const size_t m = d - i;
    const __m512 x = T::LoadTail(q + i, m);
    s0 = Acc<kL2>(x, T::LoadTail(r + i, m), s0);
    s1 = Acc<kL2>(x, T::LoadTail(r + d + i, m), s1);
    s2 = Acc<kL2>(x, T::LoadTail(r + 2 * d + i, m), s2);
    s3 = Acc<kL2>(x, T::LoadTail(r + 3 * d + i, m), s3);
  }
  _mm_storeu_ps(out, Sum4(s0, s1, s2, s3));
}

template <typename T>
void Batch(bool l2, const uint16_t* q, const uint16_t* base, size_t n, size_t d,
           float* out) {
  size_t j = 0;
  for (; j + 4 <= n; j += 4) {
    const uint16_t* r = base + j * d;
    Prefetch(r, 4 * d);
    l2 ? Rows4<T, true>(q, r, d, out + j) : Rows4<T, false>(q, r, d, out + j);
  }
  for (; j < n; ++j) {
    const uint16_t* row = base + j * d;
    out[j] = l2 ? L2<T>(q, row, d) : Ip<T>(q, row, d);
  }
}

// Inner products of four rows with vdpbf16ps, 32 values per instruction.
__attribute__((target("avx512bf16"))) inline void Rows4Dp(const uint16_t* q,
                                                          const uint16_t* r,
                                                          size_t d,
                                                          float* out) {
  __m512 s0 = _mm512_setzero_ps(), s1 = _mm512_setzero_ps();
  __m512 s2 = _mm512_setzero_ps(), s3 = _mm512_setzero_ps();
  for (size_t i = 0; i < d; i += 32) {
    const size_t m = d - i < 32 ? d - i : 32;
    const __mmask32 k =
        m == 32 ? ~__mmask32{0} : static_cast<__mmask32>((1u << m) - 1u);
    const __m512bh x = (__m512bh)_mm512_maskz_loadu_epi16(k, q + i);
    s0 = _mm512_dpbf16_ps(s0, x, (__m512bh)_mm512_maskz_loadu_epi16(k, r + i));
    s1 = _mm512_dpbf16_ps(s1, x,
                          (__m512bh)_mm512_maskz_loadu_epi16(k, r + d + i));
    s2 = _mm512_dpbf16_ps(s2, x,
                          (__m512bh)_mm512_maskz_loadu_epi16(k, r + 2 * d + i));
    s3 = _mm512_dpbf16_ps(s3, x,
                          (__m512bh)_mm512_maskz_loadu_epi16(k, r + 3 * d + i));
  }
  _mm_storeu_ps(out, Sum4(s0, s1, s2, s3));
}

__attribute__((target("avx512bf16"))) void BatchDp(bool l2, const uint16_t* q,
                                                   const uint16_t* base,
                                                   size_t n, size_t d,
                                                   float* out) {
  if (l2) {
    Batch<Bf16>(true, q, base, n, d, out);
    return;
  }
  size_t j = 0;
  for (; j + 4 <= n; j += 4) {
    const uint16_t* r = base + j * d;
    Prefetch(r, 4 * d);
    Rows4Dp(q, r, d, out + j);
  }
  for (; j < n; ++j) out[j] = IpDp(q, base + j * d, d);
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
