// AVX2 + FMA distance kernels.
//
// Compiler flags (this file only): -mavx2 -mfma. distance.cc calls these only
// after checking the CPU with __builtin_cpu_supports.
//
// Same structure as the AVX-512 kernels (distance_avx512.cc) at half the
// width: four 8-float accumulators, masked tails (vmaskmovps), four rows at a
// time for one-query batches, and a 6 x 16 register-blocked GEMM microkernel
// (12 ymm accumulators) over panels of 16 base rows packed transposed.
#include "engine/kernels/distance_internal.h"

#if defined(__x86_64__) && defined(__AVX2__) && defined(__FMA__)

#include <immintrin.h>

#include <algorithm>
#include <cstring>

namespace cove::internal {
namespace {

alignas(32) constexpr int32_t kMaskWindow[16] = {-1, -1, -1, -1, -1, -1, -1, -1,
                                                 0,  0,  0,  0,  0,  0,  0,  0};

// Lanes [0, r) set, r in [0, 8].
inline __m256i TailMask(size_t r) {
  return _mm256_loadu_si256(
      reinterpret_cast<const __m256i*>(kMaskWindow + 8 - r));
}

inline float ReduceAdd(__m256 v) {
  __m128 x = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
  x = _mm_add_ps(x, _mm_movehl_ps(x, x));
  x = _mm_add_ss(x, _mm_movehdup_ps(x));
  return _mm_cvtss_f32(x);
}

inline __m128 Reduce4(__m256 a, __m256 b, __m256 c, __m256 d) {
  __m256 ab = _mm256_hadd_ps(a, b);
  __m256 cd = _mm256_hadd_ps(c, d);
  __m256 abcd = _mm256_hadd_ps(ab, cd);
  return _mm_add_ps(_mm256_castps256_ps128(abcd),
                    _mm256_extractf128_ps(abcd, 1));
}

template <bool kL2>
inline void Accumulate(__m256 x, __m256 q, __m256& acc) {
  if constexpr (kL2) {
    __m256 t = _mm256_sub_ps(x, q);
    acc = _mm256_fmadd_ps(t, t, acc);
  } else {
    acc = _mm256_fmadd_ps(x, q, acc);
  }
}

// ---------------------------------------------------------------------------
// Pairwise kernels.

template <bool kL2>
float Pair256(const float* a, const float* b, size_t d) {
  __m256 s0 = _mm256_setzero_ps(), s1 = _mm256_setzero_ps();
  __m256 s2 = _mm256_setzero_ps(), s3 = _mm256_setzero_ps();
  size_t i = 0;
  for (; i + 32 <= d; i += 32) {
    Accumulate<kL2>(_mm256_loadu_ps(a + i), _mm256_loadu_ps(b + i), s0);
    Accumulate<kL2>(_mm256_loadu_ps(a + i + 8), _mm256_loadu_ps(b + i + 8), s1);
    Accumulate<kL2>(_mm256_loadu_ps(a + i + 16), _mm256_loadu_ps(b + i + 16),
                    s2);
    Accumulate<kL2>(_mm256_loadu_ps(a + i + 24), _mm256_loadu_ps(b + i + 24),
                    s3);
  }
  if (i + 16 <= d) {
    Accumulate<kL2>(_mm256_loadu_ps(a + i), _mm256_loadu_ps(b + i), s0);
    Accumulate<kL2>(_mm256_loadu_ps(a + i + 8), _mm256_loadu_ps(b + i + 8), s1);
    i += 16;
  }
  if (i + 8 <= d) {
    Accumulate<kL2>(_mm256_loadu_ps(a + i), _mm256_loadu_ps(b + i), s2);
    i += 8;
  }
  if (i < d) {
    __m256i m = TailMask(d - i);
    Accumulate<kL2>(_mm256_maskload_ps(a + i, m), _mm256_maskload_ps(b + i, m),
                    s3);
  }
  return ReduceAdd(_mm256_add_ps(_mm256_add_ps(s0, s1), _mm256_add_ps(s2, s3)));
}

float L2Sqr256(const float* a, const float* b, size_t d) {
  return Pair256<true>(a, b, d);
}

float InnerProduct256(const float* a, const float* b, size_t d) {
  return Pair256<false>(a, b, d);
}

// ---------------------------------------------------------------------------
// One query against many rows.

constexpr size_t kPrefetchBytes = 8192;
constexpr size_t kPrefetchMinBytes = size_t{64} << 10;

template <bool kL2>
void Batch256(const float* q, const float* base, size_t n, size_t d,
              float* out) {
  const size_t d16 = d & ~size_t{15};
  const size_t rem = d - d16;  // 0 .. 15
  const __m256i mlo = TailMask(std::min<size_t>(rem, 8));
  const __m256i mhi = TailMask(rem > 8 ? rem - 8 : 0);
  // Software prefetch when streaming from memory (see distance_avx512.cc).
  const size_t block_bytes = 4 * d * sizeof(float);
  const bool prefetch = n * d * sizeof(float) >= kPrefetchMinBytes;
  size_t j = 0;
  for (; j + 4 <= n; j += 4) {
    const float* x0 = base + j * d;
    const float* x1 = x0 + d;
    const float* x2 = x1 + d;
    const float* x3 = x2 + d;
    if (prefetch) {
      const char* pf = reinterpret_cast<const char*>(x0) + kPrefetchBytes;
      for (size_t b = 0; b < block_bytes; b += 64) {
        _mm_prefetch(pf + b, _MM_HINT_T0);
      }
    }
    __m256 a0 = _mm256_setzero_ps(), a1 = _mm256_setzero_ps();
    __m256 a2 = _mm256_setzero_ps(), a3 = _mm256_setzero_ps();
    __m256 b0 = _mm256_setzero_ps(), b1 = _mm256_setzero_ps();
    __m256 b2 = _mm256_setzero_ps(), b3 = _mm256_setzero_ps();
    for (size_t k = 0; k < d16; k += 16) {
      __m256 qa = _mm256_loadu_ps(q + k);
      __m256 qb = _mm256_loadu_ps(q + k + 8);
      Accumulate<kL2>(_mm256_loadu_ps(x0 + k), qa, a0);
      Accumulate<kL2>(_mm256_loadu_ps(x1 + k), qa, a1);
      Accumulate<kL2>(_mm256_loadu_ps(x2 + k), qa, a2);
      Accumulate<kL2>(_mm256_loadu_ps(x3 + k), qa, a3);
      Accumulate<kL2>(_mm256_loadu_ps(x0 + k + 8), qb, b0);
      Accumulate<kL2>(_mm256_loadu_ps(x1 + k + 8), qb, b1);
      Accumulate<kL2>(_mm256_loadu_ps(x2 + k + 8), qb, b2);
      Accumulate<kL2>(_mm256_loadu_ps(x3 + k + 8), qb, b3);
    }
    if (rem != 0) {
      const size_t k = d16;
      __m256 qa = _mm256_maskload_ps(q + k, mlo);
      __m256 qb = _mm256_maskload_ps(q + k + 8, mhi);
      Accumulate<kL2>(_mm256_maskload_ps(x0 + k, mlo), qa, a0);
      Accumulate<kL2>(_mm256_maskload_ps(x1 + k, mlo), qa, a1);
      Accumulate<kL2>(_mm256_maskload_ps(x2 + k, mlo), qa, a2);
      Accumulate<kL2>(_mm256_maskload_ps(x3 + k, mlo), qa, a3);
      Accumulate<kL2>(_mm256_maskload_ps(x0 + k + 8, mhi), qb, b0);
      Accumulate<kL2>(_mm256_maskload_ps(x1 + k + 8, mhi), qb, b1);
      Accumulate<kL2>(_mm256_maskload_ps(x2 + k + 8, mhi), qb, b2);
      Accumulate<kL2>(_mm256_maskload_ps(x3 + k + 8, mhi), qb, b3);
    }
    _mm_storeu_ps(out + j,
                  Reduce4(_mm256_add_ps(a0, b0), _mm256_add_ps(a1, b1),
                          _mm256_add_ps(a2, b2), _mm256_add_ps(a3, b3)));
  }
  for (; j < n; ++j) out[j] = Pair256<kL2>(q, base + j * d, d);
}

void L2SqrBatch256(const float* q, const float* base, size_t n, size_t d,
                   float* out) {
  Batch256<true>(q, base, n, d, out);
}

void InnerProductBatch256(const float* q, const float* base, size_t n, size_t d,
                          float* out) {
  Batch256<false>(q, base, n, d, out);
}

// ---------------------------------------------------------------------------
// Many queries against many rows: a register-blocked GEMM.

constexpr int kMr = 6;       // query rows per microkernel tile
constexpr int kNr = 16;      // base rows per panel (two ymm)
constexpr size_t kKc = 256;  // dimensions per packed panel (16 KiB)
constexpr size_t kMinPackedQueries = 3;

// panel[k * kNr + r] = x[r * ldx + k]; rows nc .. kNr-1 are zero.
void PackPanel(const float* x, size_t ldx, size_t nc, size_t kc, float* panel) {
  if (nc < static_cast<size_t>(kNr)) {
    std::memset(panel, 0, sizeof(float) * kNr * kc);
  }
  size_t r = 0;
  for (; r + 8 <= nc; r += 8) {
    size_t k = 0;
    for (; k + 8 <= kc; k += 8) {
      // 8 x 8 transpose.
      __m256 v0 = _mm256_loadu_ps(x + (r + 0) * ldx + k);
      __m256 v1 = _mm256_loadu_ps(x + (r + 1) * ldx + k);
      __m256 v2 = _mm256_loadu_ps(x + (r + 2) * ldx + k);
      __m256 v3 = _mm256_loadu_ps(x + (r + 3) * ldx + k);
      __m256 v4 = _mm256_loadu_ps(x + (r + 4) * ldx + k);
      __m256 v5 = _mm256_loadu_ps(x + (r + 5) * ldx + k);
      __m256 v6 = _mm256_loadu_ps(x + (r + 6) * ldx + k);
      __m256 v7 = _mm256_loadu_ps(x + (r + 7) * ldx + k);
      __m256 t0 = _mm256_unpacklo_ps(v0, v1);
      __m256 t1 = _mm256_unpackhi_ps(v0, v1);
      __m256 t2 = _mm256_unpacklo_ps(v2, v3);
      __m256 t3 = _mm256_unpackhi_ps(v2, v3);
      __m256 t4 = _mm256_unpacklo_ps(v4, v5);
      __m256 t5 = _mm256_unpackhi_ps(v4, v5);
      __m256 t6 = _mm256_unpacklo_ps(v6, v7);
      __m256 t7 = _mm256_unpackhi_ps(v6, v7);
      __m256 u0 = _mm256_shuffle_ps(t0, t2, 0x44);
      __m256 u1 = _mm256_shuffle_ps(t0, t2, 0xEE);
      __m256 u2 = _mm256_shuffle_ps(t1, t3, 0x44);
      __m256 u3 = _mm256_shuffle_ps(t1, t3, 0xEE);
      __m256 u4 = _mm256_shuffle_ps(t4, t6, 0x44);
      __m256 u5 = _mm256_shuffle_ps(t4, t6, 0xEE);
      __m256 u6 = _mm256_shuffle_ps(t5, t7, 0x44);
      __m256 u7 = _mm256_shuffle_ps(t5, t7, 0xEE);
      float* p = panel + k * kNr + r;
      _mm256_store_ps(p + 0 * kNr, _mm256_permute2f128_ps(u0, u4, 0x20));
      _mm256_store_ps(p + 1 * kNr, _mm256_permute2f128_ps(u1, u5, 0x20));
      _mm256_store_ps(p + 2 * kNr, _mm256_permute2f128_ps(u2, u6, 0x20));
      _mm256_store_ps(p + 3 * kNr, _mm256_permute2f128_ps(u3, u7, 0x20));
      _mm256_store_ps(p + 4 * kNr, _mm256_permute2f128_ps(u0, u4, 0x31));
      _mm256_store_ps(p + 5 * kNr, _mm256_permute2f128_ps(u1, u5, 0x31));
      _mm256_store_ps(p + 6 * kNr, _mm256_permute2f128_ps(u2, u6, 0x31));
      _mm256_store_ps(p + 7 * kNr, _mm256_permute2f128_ps(u3, u7, 0x31));
    }
    for (; k < kc; ++k) {
      for (size_t i = 0; i < 8; ++i)
        panel[k * kNr + r + i] = x[(r + i) * ldx + k];
    }
  }
  for (; r < nc; ++r) {
    const float* src = x + r * ldx;
    for (size_t k = 0; k < kc; ++k) panel[k * kNr + r] = src[k];
  }
}

// C[0..MR) x [0..16) (+)= A[0..MR) x panel over kc dimensions; `ncols` of the
// 16 columns are live (the others are neither read nor written).
template <int MR>
void MicroKernel(const float* a, size_t lda, const float* panel, size_t kc,
                 float* c, size_t ldc, size_t ncols, bool accumulate) {
  __m256 acc[MR][2];
#pragma GCC unroll 8
  for (int i = 0; i < MR; ++i) {
    acc[i][0] = _mm256_setzero_ps();
    acc[i][1] = _mm256_setzero_ps();
  }
  const float* ap[MR];
#pragma GCC unroll 8
  for (int i = 0; i < MR; ++i) ap[i] = a + i * lda;
  const float* bp = panel;
  for (size_t k = 0; k < kc; ++k, bp += kNr) {
    __m256 b0 = _mm256_load_ps(bp);
    __m256 b1 = _mm256_load_ps(bp + 8);
#pragma GCC unroll 8
    for (int i = 0; i < MR; ++i) {
      __m256 ai = _mm256_broadcast_ss(ap[i] + k);
      acc[i][0] = _mm256_fmadd_ps(ai, b0, acc[i][0]);
      acc[i][1] = _mm256_fmadd_ps(ai, b1, acc[i][1]);
    }
  }
  if (ncols == static_cast<size_t>(kNr)) {
#pragma GCC unroll 8
    for (int i = 0; i < MR; ++i) {
      float* p = c + i * ldc;
      __m256 v0 = acc[i][0], v1 = acc[i][1];
      if (accumulate) {
        v0 = _mm256_add_ps(v0, _mm256_loadu_ps(p));
        v1 = _mm256_add_ps(v1, _mm256_loadu_ps(p + 8));
      }
      _mm256_storeu_ps(p, v0);
      _mm256_storeu_ps(p + 8, v1);
    }
  } else {
    const __m256i m0 = TailMask(std::min<size_t>(ncols, 8));
    const __m256i m1 = TailMask(ncols > 8 ? ncols - 8 : 0);
#pragma GCC unroll 8
    for (int i = 0; i < MR; ++i) {
      float* p = c + i * ldc;
      __m256 v0 = acc[i][0], v1 = acc[i][1];
      if (accumulate) {
        v0 = _mm256_add_ps(v0, _mm256_maskload_ps(p, m0));
        v1 = _mm256_add_ps(v1, _mm256_maskload_ps(p + 8, m1));
      }
      _mm256_maskstore_ps(p, m0, v0);
      _mm256_maskstore_ps(p + 8, m1, v1);
    }
  }
}

using MicroKernelFn = void (*)(const float*, size_t, const float*, size_t,
                               float*, size_t, size_t, bool);
constexpr MicroKernelFn kMicroKernels[kMr + 1] = {
    nullptr,        MicroKernel<1>, MicroKernel<2>, MicroKernel<3>,
    MicroKernel<4>, MicroKernel<5>, MicroKernel<6>,
};

void InnerProductMatrix256(const float* queries, size_t nq, const float* base,
                           size_t nx, size_t d, float* out) {
  if (nq == 0 || nx == 0) return;
  if (d == 0) {
    std::fill(out, out + nq * nx, 0.0f);
    return;
  }
  if (nq < kMinPackedQueries) {
    for (size_t i = 0; i < nq; ++i) {
      Batch256<false>(queries + i * d, base, nx, d, out + i * nx);
    }
    return;
  }
  alignas(64) float panel[kNr * kKc];
  const size_t calls = (nq + kMr - 1) / kMr;
  PanelPrefetcher prefetch;
  for (size_t j0 = 0; j0 < nx; j0 += kNr) {
    const size_t nc = std::min<size_t>(kNr, nx - j0);
    for (size_t k0 = 0; k0 < d; k0 += kKc) {
      const size_t kc = std::min(kKc, d - k0);
      PackPanel(base + j0 * d + k0, d, nc, kc, panel);
      if (k0 + kKc < d) {
        prefetch.Reset(base + j0 * d + k0 + kKc, nc, d,
                       std::min(kKc, d - k0 - kKc));
      } else if (j0 + kNr < nx) {
        prefetch.Reset(base + (j0 + kNr) * d,
                       std::min<size_t>(kNr, nx - j0 - kNr), d,
                       std::min(kKc, d));
      } else {
        prefetch.Reset(nullptr, 0, 0, 0);
      }
      const size_t per_call = prefetch.lines() / calls + 1;
      size_t i0 = 0;
      for (; i0 + kMr <= nq; i0 += kMr) {
        MicroKernel<kMr>(queries + i0 * d + k0, d, panel, kc,
                         out + i0 * nx + j0, nx, nc, k0 != 0);
        prefetch.Step(per_call);
      }
      if (i0 < nq) {
        kMicroKernels[nq - i0](queries + i0 * d + k0, d, panel, kc,
                               out + i0 * nx + j0, nx, nc, k0 != 0);
        prefetch.Step(per_call);
      }
    }
  }
}

// ---------------------------------------------------------------------------
// SQ8.

inline __m256 Dequantize8(__m128i codes8, __m256 vmin, __m256 vdiff) {
  const __m256 inv = _mm256_set1_ps(1.0f / 255.0f);
  __m256 cf = _mm256_cvtepi32_ps(_mm256_cvtepu8_epi32(codes8));
  return _mm256_fmadd_ps(cf, _mm256_mul_ps(vdiff, inv), vmin);
}

template <bool kL2>
float Sq8Kernel256(const float* q, const uint8_t* code, const float* vmin,
                   const float* vdiff, size_t d) {
  __m256 s0 = _mm256_setzero_ps(), s1 = _mm256_setzero_ps();
  size_t i = 0;
  for (; i + 16 <= d; i += 16) {
    __m128i c16 = _mm_loadu_si128(reinterpret_cast<const __m128i*>(code + i));
    __m256 x0 =
        Dequantize8(c16, _mm256_loadu_ps(vmin + i), _mm256_loadu_ps(vdiff + i));
    __m256 x1 =
        Dequantize8(_mm_unpackhi_epi64(c16, c16), _mm256_loadu_ps(vmin + i + 8),
                    _mm256_loadu_ps(vdiff + i + 8));
    Accumulate<kL2>(x0, _mm256_loadu_ps(q + i), s0);
    Accumulate<kL2>(x1, _mm256_loadu_ps(q + i + 8), s1);
  }
  for (; i < d; i += 8) {
    const size_t r = std::min<size_t>(8, d - i);
    const __m256i m = TailMask(r);
    uint64_t bytes = 0;
    std::memcpy(&bytes, code + i, r);
    __m256 x = Dequantize8(_mm_cvtsi64_si128(static_cast<long long>(bytes)),
                           _mm256_maskload_ps(vmin + i, m),
                           _mm256_maskload_ps(vdiff + i, m));
    Accumulate<kL2>(x, _mm256_maskload_ps(q + i, m), s0);
  }
  return ReduceAdd(_mm256_add_ps(s0, s1));
}

float L2SqrSq8_256(const float* q, const uint8_t* code, const float* vmin,
                   const float* vdiff, size_t d) {
  return Sq8Kernel256<true>(q, code, vmin, vdiff, d);
}

float InnerProductSq8_256(const float* q, const uint8_t* code,
                          const float* vmin, const float* vdiff, size_t d) {
  return Sq8Kernel256<false>(q, code, vmin, vdiff, d);
}

// Code (u8, widened to i16) times weight (i16) with vpmaddwd, 32 dimensions
// per iteration in two chains.
int32_t DotU8I16_256(const uint8_t* code, const int16_t* w, size_t d) {
  __m256i s0 = _mm256_setzero_si256(), s1 = _mm256_setzero_si256();
  size_t i = 0;
  for (; i + 32 <= d; i += 32) {
    __m256i c0 = _mm256_cvtepu8_epi16(
        _mm_loadu_si128(reinterpret_cast<const __m128i*>(code + i)));
    __m256i c1 = _mm256_cvtepu8_epi16(
        _mm_loadu_si128(reinterpret_cast<const __m128i*>(code + i + 16)));
    s0 = _mm256_add_epi32(
        s0,
        _mm256_madd_epi16(
            c0, _mm256_loadu_si256(reinterpret_cast<const __m256i*>(w + i))));
    s1 = _mm256_add_epi32(
        s1, _mm256_madd_epi16(
                c1, _mm256_loadu_si256(
                        reinterpret_cast<const __m256i*>(w + i + 16))));
  }
  for (; i + 16 <= d; i += 16) {
    __m256i c0 = _mm256_cvtepu8_epi16(
        _mm_loadu_si128(reinterpret_cast<const __m128i*>(code + i)));
    s0 = _mm256_add_epi32(
        s0,
        _mm256_madd_epi16(
            c0, _mm256_loadu_si256(reinterpret_cast<const __m256i*>(w + i))));
  }
  __m256i s = _mm256_add_epi32(s0, s1);
  __m128i h =
      _mm_add_epi32(_mm256_castsi256_si128(s), _mm256_extracti128_si256(s, 1));
  h = _mm_add_epi32(h, _mm_shuffle_epi32(h, 0x4E));
  h = _mm_add_epi32(h, _mm_shuffle_epi32(h, 0xB1));
  uint32_t total = static_cast<uint32_t>(_mm_cvtsi128_si32(h));
  for (; i < d; ++i) {  // wraps modulo 2^32 like the lanes
    total += static_cast<uint32_t>(static_cast<int32_t>(code[i]) *
                                   static_cast<int32_t>(w[i]));
  }
  return static_cast<int32_t>(total);
}

// ---------------------------------------------------------------------------
// Selection for top-k scans.

size_t SelectLe256(const float* v, const float* add, float alpha, size_t n,
                   float threshold, uint32_t* idx, float* val) {
  const __m256 va = _mm256_set1_ps(alpha);
  const __m256 vt = _mm256_set1_ps(threshold);
  size_t m = 0;
  size_t j = 0;
  for (; j + 8 <= n; j += 8) {
    __m256 s = _mm256_mul_ps(va, _mm256_loadu_ps(v + j));
    if (add != nullptr) s = _mm256_add_ps(s, _mm256_loadu_ps(add + j));
    unsigned hit = static_cast<unsigned>(
        _mm256_movemask_ps(_mm256_cmp_ps(s, vt, _CMP_LE_OQ)));
    if (hit == 0) continue;
    alignas(32) float sv[8];
    _mm256_store_ps(sv, s);
    while (hit != 0) {
      unsigned b = static_cast<unsigned>(__builtin_ctz(hit));
      idx[m] = static_cast<uint32_t>(j + b);
      val[m] = sv[b];
      ++m;
      hit &= hit - 1;
    }
  }
  for (; j < n; ++j) {
    float s = alpha * v[j];
    if (add != nullptr) s += add[j];
    if (s <= threshold) {
      idx[m] = static_cast<uint32_t>(j);
      val[m] = s;
      ++m;
    }
  }
  return m;
}

}  // namespace

const DistanceKernels* Avx2DistanceKernels() {
  static constexpr DistanceKernels kTable = {
      engine::SimdLevel::kAvx2,
      L2Sqr256,
      InnerProduct256,
      L2SqrBatch256,
      InnerProductBatch256,
      InnerProductMatrix256,
      L2SqrSq8_256,
      InnerProductSq8_256,
      DotU8I16_256,
      SelectLe256,
  };
  return &kTable;
}

}  // namespace cove::internal

#else  // no AVX2 in this build

#if defined(__x86_64__)
#warning "distance_avx2.cc built without -mavx2 -mfma: AVX2 kernels disabled"
#endif

namespace cove::internal {
const DistanceKernels* Avx2DistanceKernels() { return nullptr; }
}  // namespace cove::internal

#endif
