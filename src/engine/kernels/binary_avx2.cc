// AVX2 kernels of binary.h: 32 bytes per iteration with the nibble-table
// popcount (vpshufb looks up the bit count of each 4-bit half, vpsadbw sums
// the bytes into four 64-bit lanes), popcnt on the 8-byte words of the tail
// and then single bytes.
//
// Compiler flags (this file only): -mavx2 -mpopcnt (AVX2 CPUs have popcnt;
// distance.cc checked AVX2 before this table is picked).
#include "engine/kernels/binary.h"

#if defined(__x86_64__) && defined(__AVX2__) && defined(__POPCNT__)

#include <immintrin.h>

#include <cstring>

namespace cove::internal {
namespace {

inline __m256i Load(const uint8_t* p) {
  return _mm256_loadu_si256(reinterpret_cast<const __m256i*>(p));
}

// Per-byte bit counts of v, summed into the four 64-bit lanes of acc.
inline __m256i PopAdd(__m256i acc, __m256i v) {
  const __m256i table =
      _mm256_setr_epi8(0, 1, 1, 2, 1, 2, 2, 3, 1, 2, 2, 3, 2, 3, 3, 4, 0, 1, 1,
                       2, 1, 2, 2, 3, 1, 2, 2, 3, 2, 3, 3, 4);
  const __m256i low = _mm256_set1_epi8(0x0f);
  const __m256i lo = _mm256_shuffle_epi8(table, _mm256_and_si256(v, low));
  const __m256i hi = _mm256_shuffle_epi8(
      table, _mm256_and_si256(_mm256_srli_epi16(v, 4), low));
  return _mm256_add_epi64(
      acc, _mm256_sad_epu8(_mm256_add_epi8(lo, hi), _mm256_setzero_si256()));
}

inline uint32_t Sum(__m256i v) {
  const __m128i s =
      _mm_add_epi64(_mm256_castsi256_si128(v), _mm256_extracti128_si256(v, 1));
  return static_cast<uint32_t>(_mm_cvtsi128_si64(s) + _mm_extract_epi64(s, 1));
}

inline uint64_t Word(const uint8_t* p) {
  uint64_t w;
  std::memcpy(&w, p, sizeof w);
  return w;
}

inline uint32_t Pop(uint64_t w) {
  return static_cast<uint32_t>(_mm_popcnt_u64(w));
}

uint32_t Hamming(const uint8_t* a, const uint8_t* b, size_t n) {
  size_t i = 0;
  uint32_t s = 0;
  if (n >= 32) {
    __m256i acc = _mm256_setzero_si256();
    for (; i + 32 <= n; i += 32) {
      acc = PopAdd(acc, _mm256_xor_si256(Load(a + i), Load(b + i)));
    }
    s = Sum(acc);
  }
  for (; i + 8 <= n; i += 8) s += Pop(Word(a + i) ^ Word(b + i));
  for (; i < n; ++i) s += Pop(static_cast<uint64_t>(a[i] ^ b[i]));
  return s;
}

void AndOr(const uint8_t* a, const uint8_t* b, size_t n, uint32_t* and_c,
           uint32_t* or_c) {
  size_t i = 0;
  uint32_t x = 0, o = 0;
  if (n >= 32) {
    __m256i ax = _mm256_setzero_si256(), ao = _mm256_setzero_si256();
    for (; i + 32 <= n; i += 32) {
      const __m256i u = Load(a + i), v = Load(b + i);
      ax = PopAdd(ax, _mm256_and_si256(u, v));
      ao = PopAdd(ao, _mm256_or_si256(u, v));
    }
    x = Sum(ax);
    o = Sum(ao);
  }
  for (; i + 8 <= n; i += 8) {
    const uint64_t u = Word(a + i), v = Word(b + i);
    x += Pop(u & v);
    o += Pop(u | v);
  }
  for (; i < n; ++i) {
    x += Pop(static_cast<uint64_t>(a[i] & b[i]));
    o += Pop(static_cast<uint64_t>(a[i] | b[i]));
  }
  *and_c = x;
  *or_c = o;
}

bool Contains(const uint8_t* super, const uint8_t* sub, size_t n) {
  size_t i = 0;
  for (; i + 32 <= n; i += 32) {
    // sub & ~super must be all zeros.
    const __m256i extra = _mm256_andnot_si256(Load(super + i), Load(sub + i));
    if (!_mm256_testz_si256(extra, extra)) return false;
  }
  for (; i + 8 <= n; i += 8) {
    if ((Word(sub + i) & ~Word(super + i)) != 0) return false;
  }
  for (; i < n; ++i) {
    if ((sub[i] & ~super[i]) != 0) return false;
  }
  return true;
}

void HammingBatch(const uint8_t* q, const uint8_t* base, size_t rows, size_t n,
                  uint32_t* out) {
  if (n == 32) {
    // 256-bit codes: four popcnt per row beat the table.
    const uint64_t q0 = Word(q), q1 = Word(q + 8), q2 = Word(q + 16),
                   q3 = Word(q + 24);
    for (size_t j = 0; j < rows; ++j) {
      const uint8_t* r = base + j * 32;
      out[j] = Pop(Word(r) ^ q0) + Pop(Word(r + 8) ^ q1) +
               Pop(Word(r + 16) ^ q2) + Pop(Word(r + 24) ^ q3);
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

}  // namespace

const BinaryKernels* Avx2BinaryKernels() {
  static const BinaryKernels kTable = {
      engine::SimdLevel::kAvx2,
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
const BinaryKernels* Avx2BinaryKernels() { return nullptr; }
}  // namespace cove::internal

#endif
