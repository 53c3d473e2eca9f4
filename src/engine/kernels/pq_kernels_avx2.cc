// AVX2+FMA product-quantization kernels (pq_kernels.h).
//
// Compiler flags (this file only): -mavx2 -mfma. pq_kernels.cc calls these
// only when the CPU runs the distance kernels' AVX2 level.
//
// The fast-scan: one 32-byte chunk holds two sub-quantizers' codes of the 32
// rows of a block; their low and high nibbles index two tables with vpshufb
// (each table repeated in both 128-bit lanes by pq4_prepare), giving 32 byte
// distances each. They are summed in 16-bit lanes without unpacking: adding
// a byte vector as 16-bit words adds even + 256 * odd, and adding it shifted
// right by 8 adds odd alone, so after the loop even = acc - 256 * odd (mod
// 2^16, exact since every row's sum fits in 16 bits).
#include "engine/kernels/pq_kernels.h"

#if defined(__x86_64__) && defined(__AVX2__) && defined(__FMA__)

#include <immintrin.h>

#include <cstring>

namespace cove::internal {
namespace {

void TableAvx2(bool ip, const float* query, const float* transposed, size_t dim,
               size_t m, size_t ksub, float* table) {
  for (size_t j = 0; j < m; ++j) {
    const size_t begin = j * dim / m;
    const size_t dsub = (j + 1) * dim / m - begin;
    const float* cw = transposed + ksub * begin;
    float* out = table + j * ksub;
    size_t c = 0;
    for (; c + 8 <= ksub; c += 8) {
      __m256 acc = _mm256_setzero_ps();
      for (size_t t = 0; t < dsub; ++t) {
        const __m256 q = _mm256_set1_ps(query[begin + t]);
        const __m256 x = _mm256_loadu_ps(cw + t * ksub + c);
        if (ip) {
          acc = _mm256_fmadd_ps(q, x, acc);
        } else {
          const __m256 d = _mm256_sub_ps(q, x);
          acc = _mm256_fmadd_ps(d, d, acc);
        }
      }
      _mm256_storeu_ps(out + c, acc);
    }
    for (; c < ksub; ++c) {  // ksub < 8 (nbits < 3)
      float acc = 0.0f;
      for (size_t t = 0; t < dsub; ++t) {
        const float q = query[begin + t];
        const float x = cw[t * ksub + c];
        acc += ip ? q * x : (q - x) * (q - x);
      }
      out[c] = acc;
    }
  }
}

void Pq4PrepareAvx2(const uint8_t* table, size_t m4, uint8_t* prepared) {
  for (size_t j = 0; j < m4; ++j) {
    std::memcpy(prepared + j * 32, table + j * 16, 16);
    std::memcpy(prepared + j * 32 + 16, table + j * 16, 16);
  }
}

uint32_t Pq4ScanAvx2(const uint8_t* block, size_t m4, const uint8_t* prepared,
                     uint16_t threshold, uint16_t* out) {
  const __m256i low4 = _mm256_set1_epi8(0x0F);
  __m256i acc = _mm256_setzero_si256();
  __m256i odd = _mm256_setzero_si256();
  for (size_t p = 0; p < m4 / 2; ++p) {
    const __m256i c =
        _mm256_loadu_si256(reinterpret_cast<const __m256i*>(block + p * 32));
    const __m256i lo = _mm256_and_si256(c, low4);
    const __m256i hi = _mm256_and_si256(_mm256_srli_epi16(c, 4), low4);
    const __m256i t0 =
        _mm256_loadu_si256(reinterpret_cast<const __m256i*>(prepared + p * 64));
    const __m256i t1 = _mm256_loadu_si256(
        reinterpret_cast<const __m256i*>(prepared + p * 64 + 32));
    const __m256i d0 = _mm256_shuffle_epi8(t0, lo);
    const __m256i d1 = _mm256_shuffle_epi8(t1, hi);
    acc = _mm256_add_epi16(acc, _mm256_add_epi16(d0, d1));
    odd = _mm256_add_epi16(odd, _mm256_add_epi16(_mm256_srli_epi16(d0, 8),
                                                 _mm256_srli_epi16(d1, 8)));
  }
  // Word w of lane L: rows 16L + 2w (even) and 16L + 2w + 1 (odd).
  const __m256i even = _mm256_sub_epi16(acc, _mm256_slli_epi16(odd, 8));
  const __m256i a = _mm256_unpacklo_epi16(even, odd);  // rows 0-7 | 16-23
  const __m256i b = _mm256_unpackhi_epi16(even, odd);  // rows 8-15 | 24-31
  const __m256i r0 = _mm256_permute2x128_si256(a, b, 0x20);  // rows 0-15
  const __m256i r1 = _mm256_permute2x128_si256(a, b, 0x31);  // rows 16-31
  _mm256_storeu_si256(reinterpret_cast<__m256i*>(out), r0);
  _mm256_storeu_si256(reinterpret_cast<__m256i*>(out + 16), r1);
  if (threshold == 0) return 0;
  const __m256i limit =
      _mm256_set1_epi16(static_cast<short>(threshold - 1));  // v < t: v <= t-1
  const __m256i lt0 = _mm256_cmpeq_epi16(_mm256_min_epu16(r0, limit), r0);
  const __m256i lt1 = _mm256_cmpeq_epi16(_mm256_min_epu16(r1, limit), r1);
  // packs interleaves lanes: rows 0-7, 16-23 | 8-15, 24-31; 0xD8 reorders.
  const __m256i packed =
      _mm256_permute4x64_epi64(_mm256_packs_epi16(lt0, lt1), 0xD8);
  return static_cast<uint32_t>(_mm256_movemask_epi8(packed));
}

}  // namespace

const engine::PqKernels* Avx2PqKernels() {
  static constexpr engine::PqKernels kTable = {
      engine::SimdLevel::kAvx2,
      TableAvx2,
      Pq4PrepareAvx2,
      Pq4ScanAvx2,
  };
  return &kTable;
}

}  // namespace cove::internal

#else  // no AVX2 in this build

#if defined(__x86_64__)
#warning \
    "pq_kernels_avx2.cc built without -mavx2 -mfma: AVX2 PQ kernels disabled"
#endif

namespace cove::internal {
const engine::PqKernels* Avx2PqKernels() { return nullptr; }
}  // namespace cove::internal

#endif
