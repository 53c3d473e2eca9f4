// AVX-512 kernels of binary.h: 64 bytes per iteration, counted with
// vpopcntq (AVX-512 VPOPCNTDQ) into eight 64-bit lanes, the tail through a
// masked load (no scalar loop). Batches of short codes (up to 64 bytes) take
// one masked load per row.
//
// Compiler flags (this file only): -mavx512f -mavx512bw -mavx512vpopcntdq
// -mavx2 -mpopcnt. Avx512BinaryKernels() checks the CPU for VPOPCNTDQ
// (cpuid leaf 7, ecx bit 14); distance.cc checked AVX-512 F/BW and the OS
// state before the avx512 level is active.
#include "engine/kernels/binary.h"

#if defined(__x86_64__) && defined(__AVX512F__) && defined(__AVX512BW__) && \
    defined(__AVX512VPOPCNTDQ__)

#include <cpuid.h>
#include <immintrin.h>

// GCC 12 warns about the deliberate self-initialization inside
// _mm512_undefined_*() wherever the intrinsics get inlined (GCC bug 105593).
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wuninitialized"
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif

namespace cove::internal {
namespace {

inline __m512i Load(const uint8_t* p) { return _mm512_loadu_si512(p); }

inline __m512i LoadTail(const uint8_t* p, size_t n) {
  const __mmask64 m = n >= 64 ? ~__mmask64{0} : ((__mmask64{1} << n) - 1);
  return _mm512_maskz_loadu_epi8(m, p);
}

inline uint32_t Sum(__m512i v) {
  return static_cast<uint32_t>(_mm512_reduce_add_epi64(v));
}

uint32_t Hamming(const uint8_t* a, const uint8_t* b, size_t n) {
  __m512i acc = _mm512_setzero_si512();
  size_t i = 0;
  for (; i + 64 <= n; i += 64) {
    acc = _mm512_add_epi64(
        acc, _mm512_popcnt_epi64(_mm512_xor_si512(Load(a + i), Load(b + i))));
  }
  if (i < n) {
    acc = _mm512_add_epi64(
        acc, _mm512_popcnt_epi64(_mm512_xor_si512(LoadTail(a + i, n - i),
                                                  LoadTail(b + i, n - i))));
  }
  return Sum(acc);
}

void AndOr(const uint8_t* a, const uint8_t* b, size_t n, uint32_t* and_c,
           uint32_t* or_c) {
  __m512i ax = _mm512_setzero_si512(), ao = _mm512_setzero_si512();
  size_t i = 0;
  for (; i + 64 <= n; i += 64) {
    const __m512i u = Load(a + i), v = Load(b + i);
    ax = _mm512_add_epi64(ax, _mm512_popcnt_epi64(_mm512_and_si512(u, v)));
    ao = _mm512_add_epi64(ao, _mm512_popcnt_epi64(_mm512_or_si512(u, v)));
  }
  if (i < n) {
    const __m512i u = LoadTail(a + i, n - i), v = LoadTail(b + i, n - i);
    ax = _mm512_add_epi64(ax, _mm512_popcnt_epi64(_mm512_and_si512(u, v)));
    ao = _mm512_add_epi64(ao, _mm512_popcnt_epi64(_mm512_or_si512(u, v)));
  }
  *and_c = Sum(ax);
  *or_c = Sum(ao);
}

bool Contains(const uint8_t* super, const uint8_t* sub, size_t n) {
  size_t i = 0;
  for (; i + 64 <= n; i += 64) {
    if (_mm512_test_epi64_mask(
            Load(sub + i),
            _mm512_ternarylogic_epi64(Load(super + i), Load(super + i),
                                      Load(super + i), 0x55)) != 0) {
      return false;
    }
  }
  if (i < n) {
    const __m512i s = LoadTail(sub + i, n - i);
    const __m512i notsup =
        _mm512_xor_si512(LoadTail(super + i, n - i), _mm512_set1_epi64(-1));
    if (_mm512_test_epi64_mask(s, notsup) != 0) return false;
  }
  return true;
}

void HammingBatch(const uint8_t* q, const uint8_t* base, size_t rows, size_t n,
                  uint32_t* out) {
  if (n == 32) {
    // 256-bit codes: two rows per register, the query in both halves; the
    // eight lane counts fold into one count per row.
    const __m256i q256 =
        _mm256_loadu_si256(reinterpret_cast<const __m256i*>(q));
    const __m512i qq =
        _mm512_inserti64x4(_mm512_castsi256_si512(q256), q256, 1);
    size_t j = 0;
    for (; j + 8 <= rows; j += 8) {
      const uint8_t* r = base + j * 32;
      const __m512i p0 = _mm512_popcnt_epi64(_mm512_xor_si512(Load(r), qq));
      const __m512i p1 =
          _mm512_popcnt_epi64(_mm512_xor_si512(Load(r + 64), qq));
      const __m512i p2 =
          _mm512_popcnt_epi64(_mm512_xor_si512(Load(r + 128), qq));
      const __m512i p3 =
          _mm512_popcnt_epi64(_mm512_xor_si512(Load(r + 192), qq));
      // Pairwise lane sums: each row's four lanes down to one.
      const __m512i idx_even = _mm512_setr_epi64(0, 2, 4, 6, 8, 10, 12, 14);
      const __m512i idx_odd = _mm512_setr_epi64(1, 3, 5, 7, 9, 11, 13, 15);
      const __m512i s01 = _mm512_add_epi64(
          _mm512_permutex2var_epi64(p0, idx_even, p1),
          _mm512_permutex2var_epi64(p0, idx_odd, p1));  // 2 lanes per row
      const __m512i s23 =
          _mm512_add_epi64(_mm512_permutex2var_epi64(p2, idx_even, p3),
                           _mm512_permutex2var_epi64(p2, idx_odd, p3));
      const __m512i s = _mm512_add_epi64(
          _mm512_permutex2var_epi64(s01, idx_even, s23),
          _mm512_permutex2var_epi64(s01, idx_odd, s23));  // 1 lane per row
      _mm256_storeu_si256(reinterpret_cast<__m256i*>(out + j),
                          _mm512_cvtepi64_epi32(s));
    }
    for (; j < rows; ++j) out[j] = Hamming(q, base + j * 32, 32);
    return;
  }
  if (n <= 64) {
    const __m512i qv = LoadTail(q, n);
    for (size_t j = 0; j < rows; ++j) {
      out[j] = Sum(
          _mm512_popcnt_epi64(_mm512_xor_si512(LoadTail(base + j * n, n), qv)));
    }
    return;
  }
  for (size_t j = 0; j < rows; ++j) out[j] = Hamming(q, base + j * n, n);
}

void JaccardBatch(const uint8_t* q, const uint8_t* base, size_t rows, size_t n,
                  float* out) {
  for (size_t j = 0; j < rows; ++j) {
    uint32_t x, o;
    AndOr(q, base + j * n, n, &x, &o);
    out[j] = engine::JaccardFromCounts(x, o);
  }
}

bool CpuHasVpopcntdq() {
  unsigned a = 0, b = 0, c = 0, d = 0;
  if (!__get_cpuid_count(7, 0, &a, &b, &c, &d)) return false;
  return (c & (1u << 14)) != 0;
}

}  // namespace

const BinaryKernels* Avx512BinaryKernels() {
  static const bool kHas = CpuHasVpopcntdq();
  if (!kHas) return nullptr;
  static const BinaryKernels kTable = {
      engine::SimdLevel::kAvx512,
      Hamming,
      AndOr,
      Contains,
      HammingBatch,
      JaccardBatch,
  };
  return &kTable;
}

}  // namespace cove::internal

#else

namespace cove::internal {
const BinaryKernels* Avx512BinaryKernels() { return nullptr; }
}  // namespace cove::internal

#endif
