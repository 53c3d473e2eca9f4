// AVX2 kernels of half.h. A row is read 16 values (32 bytes) at a time and
// widened into two 8-float registers: float16 with F16C (vcvtph2ps), bfloat16
// with one shift (the even values) and one mask (the odd values) of the same
// load, so the two halves land in different lanes than in the row; the query
// is widened the same way, which leaves the products' pairing intact. Both
// are accumulated with FMA in two accumulators per row (one per half); a tail
// of fewer than 16 values is copied into a zero-padded chunk and goes
// through the same path.
//
// The batch kernel scores four rows per pass (the query chunk widened once
// for four rows, one horizontal reduction for four sums). The pairwise
// kernels are the same code on one row, so a row's score is bit-identical
// whichever kernel computed it (FLAT's filtered and unfiltered scans agree).
//
// Compiler flags (this file only): -mavx2 -mfma -mf16c. Avx2HalfKernels()
// checks the CPU for F16C (distance.cc checked AVX2 and FMA).
#include <cstring>

#include "engine/kernels/half.h"

#if defined(__x86_64__) && defined(__AVX2__) && defined(__FMA__) && \
    defined(__F16C__)

#include <cpuid.h>
#include <immintrin.h>

namespace cove::internal {
namespace {

constexpr size_t kChunk = 16;

struct F16 {
  // Values 0-7 and 8-15.
  static void Widen(const uint16_t* p, __m256* a, __m256* b) {
    *a = _mm256_cvtph_ps(_mm_loadu_si128(reinterpret_cast<const __m128i*>(p)));
    *b = _mm256_cvtph_ps(
        _mm_loadu_si128(reinterpret_cast<const __m128i*>(p + 8)));
  }
};

struct Bf16 {
  // Each 32-bit lane holds two values: the low one (even index) shifted up
  // is a float32, the high one (odd index) with the low bits cleared too.
  static void Widen(const uint16_t* p, __m256* a, __m256* b) {
    const __m256i v = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(p));
    *a = _mm256_castsi256_ps(_mm256_slli_epi32(v, 16));
    *b = _mm256_castsi256_ps(
        _mm256_and_si256(v, _mm256_set1_epi32(static_cast<int>(0xffff0000u))));
  }
};

template <bool kL2>
inline __m256 Acc(__m256 x, __m256 y, __m256 s) {
  if (kL2) {
    const __m256 t = _mm256_sub_ps(x, y);
    return _mm256_fmadd_ps(t, t, s);
  }
  return _mm256_fmadd_ps(x, y, s);
}

// The sums of four registers, {sum(a), sum(b), sum(c), sum(e)}, each as
// ((x0 + x1) + (x2 + x3)) + ((x4 + x5) + (x6 + x7)).
inline __m128 Sum4(__m256 a, __m256 b, __m256 c, __m256 e) {
  const __m256 h = _mm256_hadd_ps(_mm256_hadd_ps(a, b), _mm256_hadd_ps(c, e));
  return _mm_add_ps(_mm256_castps256_ps128(h), _mm256_extractf128_ps(h, 1));
}

// Scores kRows rows (r, r + d, ...) against the query into out[0..kRows).
template <typename T, bool kL2, int kRows>
inline void Rows(const uint16_t* q, const uint16_t* r, size_t d, float* out) {
  __m256 lo[kRows], hi[kRows];
  for (int j = 0; j < kRows; ++j) {
    lo[j] = _mm256_setzero_ps();
    hi[j] = _mm256_setzero_ps();
  }
  size_t i = 0;
  for (; i + kChunk <= d; i += kChunk) {
    __m256 qa, qb;
    T::Widen(q + i, &qa, &qb);
    for (int j = 0; j < kRows; ++j) {
      __m256 xa, xb;
      T::Widen(r + j * d + i, &xa, &xb);
      lo[j] = Acc<kL2>(qa, xa, lo[j]);
      hi[j] = Acc<kL2>(qb, xb, hi[j]);
    }
  }
  if (i < d) {
    // The tail, zero-padded (zeros add nothing to either score).
    const size_t m = d - i;
    uint16_t buf[kChunk] = {};
    std::memcpy(buf, q + i, m * sizeof(uint16_t));
    __m256 qa, qb;
    T::Widen(buf, &qa, &qb);
    for (int j = 0; j < kRows; ++j) {
      std::memcpy(buf, r + j * d + i, m * sizeof(uint16_t));
      __m256 xa, xb;
      T::Widen(buf, &xa, &xb);
      lo[j] = Acc<kL2>(qa, xa, lo[j]);
      hi[j] = Acc<kL2>(qb, xb, hi[j]);
    }
  }
  if (kRows == 4) {
    _mm_storeu_ps(
        out, Sum4(_mm256_add_ps(lo[0], hi[0]), _mm256_add_ps(lo[1], hi[1]),
                  _mm256_add_ps(lo[2], hi[2]), _mm256_add_ps(lo[3], hi[3])));
  } else {
    for (int j = 0; j < kRows; ++j) {
      const __m256 s = _mm256_add_ps(lo[j], hi[j]);
      out[j] = _mm_cvtss_f32(Sum4(s, s, s, s));
    }
  }
}

template <typename T, bool kL2>
float Pair(const uint16_t* a, const uint16_t* b, size_t d) {
  float s;
  Rows<T, kL2, 1>(a, b, d, &s);
  return s;
}

template <typename T, bool kL2>
float SlotsFn(const float* a, const float* b, size_t slots) {
  return Pair<T, kL2>(reinterpret_cast<const uint16_t*>(a),
                      reinterpret_cast<const uint16_t*>(b), 2 * slots);
}

template <typename T, bool kL2>
void BatchOf(const uint16_t* q, const uint16_t* base, size_t n, size_t d,
             float* out) {
  size_t j = 0;
  for (; j + 4 <= n; j += 4) Rows<T, kL2, 4>(q, base + j * d, d, out + j);
  for (; j < n; ++j) Rows<T, kL2, 1>(q, base + j * d, d, out + j);
}

template <typename T>
void Batch(bool l2, const uint16_t* q, const uint16_t* base, size_t n, size_t d,
           float* out) {
  l2 ? BatchOf<T, true>(q, base, n, d, out)
     : BatchOf<T, false>(q, base, n, d, out);
}

}  // namespace

const HalfKernels* Avx2HalfKernels() {
  static const HalfKernels kTable = {
      engine::SimdLevel::kAvx2,
      Pair<F16, true>,
      Pair<F16, false>,
      Pair<Bf16, true>,
      Pair<Bf16, false>,
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
