// AVX-512 product-quantization kernels (pq_kernels.h).
//
// Compiler flags (this file only): -mavx512f -mavx512bw -mavx512dq
// -mavx512vl -mfma. pq_kernels.cc calls these only when the CPU runs the
// distance kernels' AVX-512 level.
//
// The fast-scan reads two 32-byte chunks (four sub-quantizers of the block's
// 32 rows) per 64-byte load; vpshufb works per 128-bit lane, so the prepared
// table puts, for the low nibbles, sub-quantizer 4g's table in lanes 0-1 and
// 4g + 2's in lanes 2-3 (4g + 1 and 4g + 3 for the high nibbles). Sums are
// 16-bit as in the AVX2 kernel (even = acc - 256 * odd); the two 256-bit
// halves, which hold different sub-quantizers of the same rows, are added at
// the end.
#include "engine/kernels/pq_kernels.h"

#if defined(__x86_64__) && defined(__AVX512F__) && defined(__AVX512BW__) && \
    defined(__AVX512DQ__) && defined(__AVX512VL__) && defined(__FMA__)

#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wuninitialized"
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif
#include <immintrin.h>

#include <cstring>

namespace cove::internal {
namespace {

void TableAvx512(bool ip, const float* query, const float* transposed,
                 size_t dim, size_t m, size_t ksub, float* table) {
  for (size_t j = 0; j < m; ++j) {
    const size_t begin = j * dim / m;
    const size_t dsub = (j + 1) * dim / m - begin;
    const float* cw = transposed + ksub * begin;
    float* out = table + j * ksub;
    for (size_t c = 0; c < ksub; c += 16) {
      const size_t left = ksub - c;
      const __mmask16 mask = left >= 16
                                 ? static_cast<__mmask16>(0xFFFF)
                                 : static_cast<__mmask16>((1u << left) - 1u);
      __m512 acc = _mm512_setzero_ps();
      for (size_t t = 0; t < dsub; ++t) {
        const __m512 q = _mm512_set1_ps(query[begin + t]);
        const __m512 x = _mm512_maskz_loadu_ps(mask, cw + t * ksub + c);
        if (ip) {
          acc = _mm512_fmadd_ps(q, x, acc);
        } else {
          const __m512 d = _mm512_sub_ps(q, x);
          acc = _mm512_fmadd_ps(d, d, acc);
        }
      }
      _mm512_mask_storeu_ps(out + c, mask, acc);
    }
  }
}

// Group g (sub-quantizers 4g .. 4g + 3) takes 128 bytes: the low-nibble
// register [T(4g) T(4g) T(4g+2) T(4g+2)], then the high-nibble register
// [T(4g+1) T(4g+1) T(4g+3) T(4g+3)].
void Pq4PrepareAvx512(const uint8_t* table, size_t m4, uint8_t* prepared) {
  for (size_t g = 0; g < m4 / 4; ++g) {
    const uint8_t* t = table + g * 64;
    uint8_t* out = prepared + g * 128;
    const size_t order[8] = {0, 0, 2, 2, 1, 1, 3, 3};
    for (size_t i = 0; i < 8; ++i)
      std::memcpy(out + i * 16, t + order[i] * 16, 16);
  }
}

uint32_t Pq4ScanAvx512(const uint8_t* block, size_t m4, const uint8_t* prepared,
                       uint16_t threshold, uint16_t* out) {
  const __m512i low4 = _mm512_set1_epi8(0x0F);
  __m512i acc = _mm512_setzero_si512();
  __m512i odd = _mm512_setzero_si512();
  for (size_t g = 0; g < m4 / 4; ++g) {
    const __m512i c = _mm512_loadu_si512(block + g * 64);
    const __m512i lo = _mm512_and_si512(c, low4);
    const __m512i hi = _mm512_and_si512(_mm512_srli_epi16(c, 4), low4);
    const __m512i t0 = _mm512_loadu_si512(prepared + g * 128);
    const __m512i t1 = _mm512_loadu_si512(prepared + g * 128 + 64);
    const __m512i d0 = _mm512_shuffle_epi8(t0, lo);
    const __m512i d1 = _mm512_shuffle_epi8(t1, hi);
    acc = _mm512_add_epi16(acc, _mm512_add_epi16(d0, d1));
    odd = _mm512_add_epi16(odd, _mm512_add_epi16(_mm512_srli_epi16(d0, 8),
                                                 _mm512_srli_epi16(d1, 8)));
  }
  const __m256i acc256 = _mm256_add_epi16(_mm512_castsi512_si256(acc),
                                          _mm512_extracti64x4_epi64(acc, 1));
  const __m256i odd256 = _mm256_add_epi16(_mm512_castsi512_si256(odd),
                                          _mm512_extracti64x4_epi64(odd, 1));
  const __m256i even = _mm256_sub_epi16(acc256, _mm256_slli_epi16(odd256, 8));
  const __m256i a = _mm256_unpacklo_epi16(even, odd256);  // rows 0-7 | 16-23
  const __m256i b = _mm256_unpackhi_epi16(even, odd256);  // rows 8-15 | 24-31
  const __m256i r0 = _mm256_permute2x128_si256(a, b, 0x20);
  const __m256i r1 = _mm256_permute2x128_si256(a, b, 0x31);
  const __m512i sums = _mm512_inserti64x4(_mm512_castsi256_si512(r0), r1, 1);
  _mm512_storeu_si512(out, sums);
  return static_cast<uint32_t>(_mm512_cmplt_epu16_mask(
      sums, _mm512_set1_epi16(static_cast<short>(threshold))));
}

}  // namespace

const engine::PqKernels* Avx512PqKernels() {
  static constexpr engine::PqKernels kTable = {
      engine::SimdLevel::kAvx512,
      TableAvx512,
      Pq4PrepareAvx512,
      Pq4ScanAvx512,
  };
  return &kTable;
}

}  // namespace cove::internal

#else  // no AVX-512 in this build

#if defined(__x86_64__)
#warning \
    "pq_kernels_avx512.cc built without -mavx512f -mavx512bw -mavx512dq -mavx512vl -mfma: AVX-512 PQ kernels disabled"
#endif

namespace cove::internal {
const engine::PqKernels* Avx512PqKernels() { return nullptr; }
}  // namespace cove::internal

#endif
