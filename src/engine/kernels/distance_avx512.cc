// AVX-512 distance kernels.
//
// Compiler flags (this file only): -mavx512f -mavx512bw -mavx512dq
// -mavx512vl -mfma (and -mavx2, implied). distance.cc calls these only after
// checking the CPU with __builtin_cpu_supports.
//
// Design notes:
//  - pairwise kernels use four 16-float accumulators (64 floats per
//    iteration) and a masked load for the tail, never a scalar loop;
//  - the one-query batch kernels process four base rows at a time with two
//    accumulators each and reduce the four sums together (one horizontal
//    reduction per four rows), so streaming is limited by memory, not by the
//    reductions; when the rows are many, they are also prefetched 8 KiB
//    ahead in software (worth ~10% of single-core bandwidth on Zen 5);
//  - InnerProductMatrix is a register-blocked GEMM (C = Q * X^T): a panel of
//    48 base rows x 128 dimensions is packed transposed (k-major, 48 floats
//    per k, 24 KiB: stays in L1) and an 8 x 48 tile of C (24 zmm
//    accumulators) is computed per microkernel call by broadcasting one
//    query scalar per row and doing three FMAs with the panel line; the
//    next panel's rows are prefetched while the current one is multiplied.
#include "engine/kernels/distance_internal.h"

#if defined(__x86_64__) && defined(__AVX512F__) && defined(__AVX512BW__) && \
    defined(__AVX512DQ__) && defined(__AVX512VL__) && defined(__FMA__)

// GCC 12 warns about the deliberate self-initialization inside
// _mm512_undefined_*() wherever the intrinsics get inlined (GCC bug 105593).
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wuninitialized"
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif
#include <immintrin.h>

#include <algorithm>
#include <cstring>

namespace cove::internal {
namespace {

inline __mmask16 TailMask(size_t r) {  // r in [0, 16]
  return static_cast<__mmask16>((1u << r) - 1u);
}

inline float ReduceAdd(__m512 v) {
  __m256 h =
      _mm256_add_ps(_mm512_castps512_ps256(v), _mm512_extractf32x8_ps(v, 1));
  __m128 x = _mm_add_ps(_mm256_castps256_ps128(h), _mm256_extractf128_ps(h, 1));
  x = _mm_add_ps(x, _mm_movehl_ps(x, x));
  x = _mm_add_ss(x, _mm_movehdup_ps(x));
  return _mm_cvtss_f32(x);
}

inline __m256 Half(__m512 v) {
  return _mm256_add_ps(_mm512_castps512_ps256(v), _mm512_extractf32x8_ps(v, 1));
}

// The four horizontal sums of a, b, c, d as one 4-float vector.
inline __m128 Reduce4(__m512 a, __m512 b, __m512 c, __m512 d) {
  __m256 ab = _mm256_hadd_ps(Half(a), Half(b));
  __m256 cd = _mm256_hadd_ps(Half(c), Half(d));
  __m256 abcd = _mm256_hadd_ps(ab, cd);
  return _mm_add_ps(_mm256_castps256_ps128(abcd),
                    _mm256_extractf128_ps(abcd, 1));
}

// ---------------------------------------------------------------------------
// Pairwise kernels.

float L2Sqr512(const float* a, const float* b, size_t d) {
  __m512 s0 = _mm512_setzero_ps(), s1 = _mm512_setzero_ps();
  __m512 s2 = _mm512_setzero_ps(), s3 = _mm512_setzero_ps();
  size_t i = 0;
  for (; i + 64 <= d; i += 64) {
    __m512 t0 = _mm512_sub_ps(_mm512_loadu_ps(a + i), _mm512_loadu_ps(b + i));
    __m512 t1 =
        _mm512_sub_ps(_mm512_loadu_ps(a + i + 16), _mm512_loadu_ps(b + i + 16));
    __m512 t2 =
        _mm512_sub_ps(_mm512_loadu_ps(a + i + 32), _mm512_loadu_ps(b + i + 32));
    __m512 t3 =
        _mm512_sub_ps(_mm512_loadu_ps(a + i + 48), _mm512_loadu_ps(b + i + 48));
    s0 = _mm512_fmadd_ps(t0, t0, s0);
    s1 = _mm512_fmadd_ps(t1, t1, s1);
    s2 = _mm512_fmadd_ps(t2, t2, s2);
    s3 = _mm512_fmadd_ps(t3, t3, s3);
  }
  if (i + 32 <= d) {
    __m512 t0 = _mm512_sub_ps(_mm512_loadu_ps(a + i), _mm512_loadu_ps(b + i));
    __m512 t1 =
        _mm512_sub_ps(_mm512_loadu_ps(a + i + 16), _mm512_loadu_ps(b + i + 16));
    s0 = _mm512_fmadd_ps(t0, t0, s0);
    s1 = _mm512_fmadd_ps(t1, t1, s1);
    i += 32;
  }
  if (i + 16 <= d) {
    __m512 t = _mm512_sub_ps(_mm512_loadu_ps(a + i), _mm512_loadu_ps(b + i));
    s2 = _mm512_fmadd_ps(t, t, s2);
    i += 16;
  }
  if (i < d) {
    __mmask16 m = TailMask(d - i);
    __m512 t = _mm512_sub_ps(_mm512_maskz_loadu_ps(m, a + i),
                             _mm512_maskz_loadu_ps(m, b + i));
    s3 = _mm512_fmadd_ps(t, t, s3);
  }
  return ReduceAdd(_mm512_add_ps(_mm512_add_ps(s0, s1), _mm512_add_ps(s2, s3)));
}

float InnerProduct512(const float* a, const float* b, size_t d) {
  __m512 s0 = _mm512_setzero_ps(), s1 = _mm512_setzero_ps();
  __m512 s2 = _mm512_setzero_ps(), s3 = _mm512_setzero_ps();
  size_t i = 0;
  for (; i + 64 <= d; i += 64) {
    s0 = _mm512_fmadd_ps(_mm512_loadu_ps(a + i), _mm512_loadu_ps(b + i), s0);
    s1 = _mm512_fmadd_ps(_mm512_loadu_ps(a + i + 16),
                         _mm512_loadu_ps(b + i + 16), s1);
    s2 = _mm512_fmadd_ps(_mm512_loadu_ps(a + i + 32),
                         _mm512_loadu_ps(b + i + 32), s2);
    s3 = _mm512_fmadd_ps(_mm512_loadu_ps(a + i + 48),
                         _mm512_loadu_ps(b + i + 48), s3);
  }
  if (i + 32 <= d) {
    s0 = _mm512_fmadd_ps(_mm512_loadu_ps(a + i), _mm512_loadu_ps(b + i), s0);
    s1 = _mm512_fmadd_ps(_mm512_loadu_ps(a + i + 16),
                         _mm512_loadu_ps(b + i + 16), s1);
    i += 32;
  }
  if (i + 16 <= d) {
    s2 = _mm512_fmadd_ps(_mm512_loadu_ps(a + i), _mm512_loadu_ps(b + i), s2);
    i += 16;
  }
  if (i < d) {
    __mmask16 m = TailMask(d - i);
    s3 = _mm512_fmadd_ps(_mm512_maskz_loadu_ps(m, a + i),
                         _mm512_maskz_loadu_ps(m, b + i), s3);
  }
  return ReduceAdd(_mm512_add_ps(_mm512_add_ps(s0, s1), _mm512_add_ps(s2, s3)));
}

// ---------------------------------------------------------------------------
// One query against many rows.

template <bool kL2>
inline void Accumulate(__m512 x, __m512 q, __m512& acc) {
  if constexpr (kL2) {
    __m512 t = _mm512_sub_ps(x, q);
    acc = _mm512_fmadd_ps(t, t, acc);
  } else {
    acc = _mm512_fmadd_ps(x, q, acc);
  }
}

constexpr size_t kPrefetchBytes = 8192;
constexpr size_t kPrefetchMinBytes = size_t{64} << 10;

template <bool kL2>
void Batch512(const float* q, const float* base, size_t n, size_t d,
              float* out) {
  const size_t d32 = d & ~size_t{31};
  const size_t rem = d - d32;  // 0 .. 31
  const __mmask16 mlo = TailMask(std::min<size_t>(rem, 16));
  const __mmask16 mhi = TailMask(rem > 16 ? rem - 16 : 0);
  // Streaming from memory: software prefetch kPrefetchBytes ahead adds
  // about 10% to what the hardware prefetchers reach alone on one core. Not
  // worth its instructions when the rows are likely cached.
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
    __m512 a0 = _mm512_setzero_ps(), a1 = _mm512_setzero_ps();
    __m512 a2 = _mm512_setzero_ps(), a3 = _mm512_setzero_ps();
    __m512 b0 = _mm512_setzero_ps(), b1 = _mm512_setzero_ps();
    __m512 b2 = _mm512_setzero_ps(), b3 = _mm512_setzero_ps();
    for (size_t k = 0; k < d32; k += 32) {
      __m512 qa = _mm512_loadu_ps(q + k);
      __m512 qb = _mm512_loadu_ps(q + k + 16);
      Accumulate<kL2>(_mm512_loadu_ps(x0 + k), qa, a0);
      Accumulate<kL2>(_mm512_loadu_ps(x1 + k), qa, a1);
      Accumulate<kL2>(_mm512_loadu_ps(x2 + k), qa, a2);
      Accumulate<kL2>(_mm512_loadu_ps(x3 + k), qa, a3);
      Accumulate<kL2>(_mm512_loadu_ps(x0 + k + 16), qb, b0);
      Accumulate<kL2>(_mm512_loadu_ps(x1 + k + 16), qb, b1);
      Accumulate<kL2>(_mm512_loadu_ps(x2 + k + 16), qb, b2);
      Accumulate<kL2>(_mm512_loadu_ps(x3 + k + 16), qb, b3);
    }
    if (rem != 0) {
      const size_t k = d32;
      __m512 qa = _mm512_maskz_loadu_ps(mlo, q + k);
      __m512 qb = _mm512_maskz_loadu_ps(mhi, q + k + 16);
      Accumulate<kL2>(_mm512_maskz_loadu_ps(mlo, x0 + k), qa, a0);
      Accumulate<kL2>(_mm512_maskz_loadu_ps(mlo, x1 + k), qa, a1);
      Accumulate<kL2>(_mm512_maskz_loadu_ps(mlo, x2 + k), qa, a2);
      Accumulate<kL2>(_mm512_maskz_loadu_ps(mlo, x3 + k), qa, a3);
      Accumulate<kL2>(_mm512_maskz_loadu_ps(mhi, x0 + k + 16), qb, b0);
      Accumulate<kL2>(_mm512_maskz_loadu_ps(mhi, x1 + k + 16), qb, b1);
      Accumulate<kL2>(_mm512_maskz_loadu_ps(mhi, x2 + k + 16), qb, b2);
      Accumulate<kL2>(_mm512_maskz_loadu_ps(mhi, x3 + k + 16), qb, b3);
    }
    _mm_storeu_ps(out + j,
                  Reduce4(_mm512_add_ps(a0, b0), _mm512_add_ps(a1, b1),
                          _mm512_add_ps(a2, b2), _mm512_add_ps(a3, b3)));
  }
  for (; j < n; ++j) {
    out[j] = kL2 ? L2Sqr512(q, base + j * d, d)
                 : InnerProduct512(q, base + j * d, d);
  }
}

void L2SqrBatch512(const float* q, const float* base, size_t n, size_t d,
                   float* out) {
  Batch512<true>(q, base, n, d, out);
}

void InnerProductBatch512(const float* q, const float* base, size_t n, size_t d,
                          float* out) {
  Batch512<false>(q, base, n, d, out);
}

// ---------------------------------------------------------------------------
// Many queries against many rows: a register-blocked GEMM.

constexpr int kMr = 8;         // query rows per microkernel tile
constexpr int kNc = 3;         // zmm columns per tile
constexpr int kNr = 16 * kNc;  // base rows per packed panel
constexpr size_t kKc = 128;    // dimensions per packed panel (24 KiB)
constexpr size_t kMinPackedQueries = 3;

// Packs rows [0, nc) x dims [0, kc) of x (row stride ldx) transposed into
// panel[k * kNr + r]; rows nc .. kNr-1 are zero.
void PackPanel(const float* x, size_t ldx, size_t nc, size_t kc, float* panel) {
  if (nc < static_cast<size_t>(kNr)) {
    std::memset(panel, 0, sizeof(float) * kNr * kc);
  }
  size_t r = 0;
  // 16 rows at a time: 16 x 16 blocks transposed in registers.
  for (; r + 16 <= nc; r += 16) {
    size_t k = 0;
    for (; k + 16 <= kc; k += 16) {
      __m512 v[16];
      for (int i = 0; i < 16; ++i)
        v[i] = _mm512_loadu_ps(x + (r + i) * ldx + k);
      // Standard 4-stage transpose of a 16 x 16 block.
      __m512 t[16];
      for (int i = 0; i < 16; i += 2) {
        t[i] = _mm512_unpacklo_ps(v[i], v[i + 1]);
        t[i + 1] = _mm512_unpackhi_ps(v[i], v[i + 1]);
      }
      for (int i = 0; i < 16; i += 4) {
        v[i] = _mm512_shuffle_ps(t[i], t[i + 2], 0x44);
        v[i + 1] = _mm512_shuffle_ps(t[i], t[i + 2], 0xEE);
        v[i + 2] = _mm512_shuffle_ps(t[i + 1], t[i + 3], 0x44);
        v[i + 3] = _mm512_shuffle_ps(t[i + 1], t[i + 3], 0xEE);
      }
      // v[4g + s] now holds, for rows 4g .. 4g+3, lane groups of 128 bits:
      // column (4 * lane128 + s) of each of the four rows.
      for (int i = 0; i < 4; ++i) {
        t[i] = _mm512_shuffle_f32x4(v[i], v[i + 4], 0x88);
        t[i + 4] = _mm512_shuffle_f32x4(v[i], v[i + 4], 0xDD);
        t[i + 8] = _mm512_shuffle_f32x4(v[i + 8], v[i + 12], 0x88);
        t[i + 12] = _mm512_shuffle_f32x4(v[i + 8], v[i + 12], 0xDD);
      }
      for (int i = 0; i < 4; ++i) {
        v[i] = _mm512_shuffle_f32x4(t[i], t[i + 8], 0x88);
        v[i + 8] = _mm512_shuffle_f32x4(t[i], t[i + 8], 0xDD);
        v[i + 4] = _mm512_shuffle_f32x4(t[i + 4], t[i + 12], 0x88);
        v[i + 12] = _mm512_shuffle_f32x4(t[i + 4], t[i + 12], 0xDD);
      }
      // v[c] is column k + c of rows r .. r+15.
      for (int c = 0; c < 16; ++c) {
        _mm512_store_ps(panel + (k + c) * kNr + r, v[c]);
      }
    }
    for (; k < kc; ++k) {
      for (size_t i = 0; i < 16; ++i)
        panel[k * kNr + r + i] = x[(r + i) * ldx + k];
    }
  }
  for (; r < nc; ++r) {
    const float* src = x + r * ldx;
    for (size_t k = 0; k < kc; ++k) panel[k * kNr + r] = src[k];
  }
}

// C[0..MR) x [0..kNr) (+)= A[0..MR) x panel, over kc dimensions. Columns
// whose mask bit is clear are neither read nor written.
template <int MR>
void MicroKernel(const float* a, size_t lda, const float* panel, size_t kc,
                 float* c, size_t ldc, const __mmask16* masks,
                 bool accumulate) {
  __m512 acc[MR][kNc];
#pragma GCC unroll 16
  for (int i = 0; i < MR; ++i) {
#pragma GCC unroll 4
    for (int j = 0; j < kNc; ++j) acc[i][j] = _mm512_setzero_ps();
  }
  const float* ap[MR];
#pragma GCC unroll 16
  for (int i = 0; i < MR; ++i) ap[i] = a + i * lda;
  const float* bp = panel;
  for (size_t k = 0; k < kc; ++k, bp += kNr) {
    __m512 b0 = _mm512_load_ps(bp);
    __m512 b1 = _mm512_load_ps(bp + 16);
    __m512 b2 = _mm512_load_ps(bp + 32);
#pragma GCC unroll 16
    for (int i = 0; i < MR; ++i) {
      __m512 ai = _mm512_set1_ps(ap[i][k]);
      acc[i][0] = _mm512_fmadd_ps(ai, b0, acc[i][0]);
      acc[i][1] = _mm512_fmadd_ps(ai, b1, acc[i][1]);
      acc[i][2] = _mm512_fmadd_ps(ai, b2, acc[i][2]);
    }
  }
#pragma GCC unroll 16
  for (int i = 0; i < MR; ++i) {
#pragma GCC unroll 4
    for (int j = 0; j < kNc; ++j) {
      float* p = c + i * ldc + 16 * j;
      __m512 v = acc[i][j];
      if (accumulate) v = _mm512_add_ps(v, _mm512_maskz_loadu_ps(masks[j], p));
      _mm512_mask_storeu_ps(p, masks[j], v);
    }
  }
}

using MicroKernelFn = void (*)(const float*, size_t, const float*, size_t,
                               float*, size_t, const __mmask16*, bool);
constexpr MicroKernelFn kMicroKernels[kMr + 1] = {
    nullptr,        MicroKernel<1>, MicroKernel<2>,
    MicroKernel<3>, MicroKernel<4>, MicroKernel<5>,
    MicroKernel<6>, MicroKernel<7>, MicroKernel<8>,
};

void InnerProductMatrix512(const float* queries, size_t nq, const float* base,
                           size_t nx, size_t d, float* out) {
  if (nq == 0 || nx == 0) return;
  if (d == 0) {
    std::fill(out, out + nq * nx, 0.0f);
    return;
  }
  if (nq < kMinPackedQueries) {
    for (size_t i = 0; i < nq; ++i) {
      Batch512<false>(queries + i * d, base, nx, d, out + i * nx);
    }
    return;
  }
  alignas(64) float panel[kNr * kKc];
  const size_t calls = (nq + kMr - 1) / kMr;
  PanelPrefetcher prefetch;
  for (size_t j0 = 0; j0 < nx; j0 += kNr) {
    const size_t nc = std::min<size_t>(kNr, nx - j0);
    __mmask16 masks[kNc];
    for (int j = 0; j < kNc; ++j) {
      size_t lo = 16 * static_cast<size_t>(j);
      masks[j] = nc <= lo ? 0 : TailMask(std::min<size_t>(16, nc - lo));
    }
    for (size_t k0 = 0; k0 < d; k0 += kKc) {
      const size_t kc = std::min(kKc, d - k0);
      PackPanel(base + j0 * d + k0, d, nc, kc, panel);
      // The next block to pack, in loop order, is fetched from memory while
      // this one is multiplied.
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
                         out + i0 * nx + j0, nx, masks, k0 != 0);
        prefetch.Step(per_call);
      }
      if (i0 < nq) {
        kMicroKernels[nq - i0](queries + i0 * d + k0, d, panel, kc,
                               out + i0 * nx + j0, nx, masks, k0 != 0);
        prefetch.Step(per_call);
      }
    }
  }
}

// ---------------------------------------------------------------------------
// SQ8.

inline __m512 Dequantize16(__m128i codes, const float* vmin, const float* vdiff,
                           __mmask16 m) {
  const __m512 inv = _mm512_set1_ps(1.0f / 255.0f);
  __m512 cf = _mm512_cvtepi32_ps(_mm512_cvtepu8_epi32(codes));
  __m512 scale = _mm512_mul_ps(_mm512_maskz_loadu_ps(m, vdiff), inv);
  return _mm512_fmadd_ps(cf, scale, _mm512_maskz_loadu_ps(m, vmin));
}

template <bool kL2>
float Sq8Kernel512(const float* q, const uint8_t* code, const float* vmin,
                   const float* vdiff, size_t d) {
  __m512 s0 = _mm512_setzero_ps(), s1 = _mm512_setzero_ps();
  size_t i = 0;
  const __mmask16 all = 0xFFFF;
  for (; i + 32 <= d; i += 32) {
    __m512 x0 = Dequantize16(
        _mm_loadu_si128(reinterpret_cast<const __m128i*>(code + i)), vmin + i,
        vdiff + i, all);
    __m512 x1 = Dequantize16(
        _mm_loadu_si128(reinterpret_cast<const __m128i*>(code + i + 16)),
        vmin + i + 16, vdiff + i + 16, all);
    Accumulate<kL2>(x0, _mm512_loadu_ps(q + i), s0);
    Accumulate<kL2>(x1, _mm512_loadu_ps(q + i + 16), s1);
  }
  for (; i < d; i += 16) {
    __mmask16 m = TailMask(std::min<size_t>(16, d - i));
    __m512 x =
        Dequantize16(_mm_maskz_loadu_epi8(m, code + i), vmin + i, vdiff + i, m);
    Accumulate<kL2>(x, _mm512_maskz_loadu_ps(m, q + i), s0);
  }
  return ReduceAdd(_mm512_add_ps(s0, s1));
}

float L2SqrSq8_512(const float* q, const uint8_t* code, const float* vmin,
                   const float* vdiff, size_t d) {
  return Sq8Kernel512<true>(q, code, vmin, vdiff, d);
}

float InnerProductSq8_512(const float* q, const uint8_t* code,
                          const float* vmin, const float* vdiff, size_t d) {
  return Sq8Kernel512<false>(q, code, vmin, vdiff, d);
}

// Code (u8, widened to i16) times weight (i16): vpmaddwd sums pairs into
// 16 int32 lanes; 64 dimensions per iteration in two chains.
int32_t DotU8I16_512(const uint8_t* code, const int16_t* w, size_t d) {
  __m512i s0 = _mm512_setzero_si512(), s1 = _mm512_setzero_si512();
  size_t i = 0;
  for (; i + 64 <= d; i += 64) {
    __m512i c0 = _mm512_cvtepu8_epi16(
        _mm256_loadu_si256(reinterpret_cast<const __m256i*>(code + i)));
    __m512i c1 = _mm512_cvtepu8_epi16(
        _mm256_loadu_si256(reinterpret_cast<const __m256i*>(code + i + 32)));
    s0 = _mm512_add_epi32(s0, _mm512_madd_epi16(c0, _mm512_loadu_si512(w + i)));
    s1 = _mm512_add_epi32(
        s1, _mm512_madd_epi16(c1, _mm512_loadu_si512(w + i + 32)));
  }
  for (; i < d; i += 32) {
    const size_t r = std::min<size_t>(32, d - i);
    const __mmask32 m =
        r == 32 ? ~__mmask32{0} : static_cast<__mmask32>((1u << r) - 1u);
    __m512i c = _mm512_cvtepu8_epi16(_mm256_maskz_loadu_epi8(m, code + i));
    s0 = _mm512_add_epi32(
        s0, _mm512_madd_epi16(c, _mm512_maskz_loadu_epi16(m, w + i)));
  }
  return _mm512_reduce_add_epi32(_mm512_add_epi32(s0, s1));
}

// ---------------------------------------------------------------------------
// Selection for top-k scans.

size_t SelectLe512(const float* v, const float* add, float alpha, size_t n,
                   float threshold, uint32_t* idx, float* val) {
  const __m512 va = _mm512_set1_ps(alpha);
  const __m512 vt = _mm512_set1_ps(threshold);
  const __m512i iota =
      _mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15);
  size_t m = 0;
  for (size_t j = 0; j < n; j += 16) {
    __mmask16 live = TailMask(std::min<size_t>(16, n - j));
    __m512 s = _mm512_mul_ps(va, _mm512_maskz_loadu_ps(live, v + j));
    if (add != nullptr) {
      s = _mm512_add_ps(s, _mm512_maskz_loadu_ps(live, add + j));
    }
    __mmask16 hit = _mm512_mask_cmp_ps_mask(live, s, vt, _CMP_LE_OQ);
    if (hit == 0) continue;
    unsigned cnt = static_cast<unsigned>(__builtin_popcount(hit));
    __mmask16 out_mask = TailMask(cnt);
    __m512i ids =
        _mm512_add_epi32(_mm512_set1_epi32(static_cast<int>(j)), iota);
    _mm512_mask_storeu_epi32(idx + m, out_mask,
                             _mm512_maskz_compress_epi32(hit, ids));
    _mm512_mask_storeu_ps(val + m, out_mask, _mm512_maskz_compress_ps(hit, s));
    m += cnt;
  }
  return m;
}

}  // namespace

const DistanceKernels* Avx512DistanceKernels() {
  static constexpr DistanceKernels kTable = {
      engine::SimdLevel::kAvx512,
      L2Sqr512,
      InnerProduct512,
      L2SqrBatch512,
      InnerProductBatch512,
      InnerProductMatrix512,
      L2SqrSq8_512,
      InnerProductSq8_512,
      DotU8I16_512,
      SelectLe512,
  };
  return &kTable;
}

}  // namespace cove::internal

#else  // no AVX-512 in this build

#if defined(__x86_64__)
#warning \
    "distance_avx512.cc built without -mavx512f -mavx512bw -mavx512dq -mavx512vl -mfma: AVX-512 kernels disabled"
#endif

namespace cove::internal {
const DistanceKernels* Avx512DistanceKernels() { return nullptr; }
}  // namespace cove::internal

#endif
