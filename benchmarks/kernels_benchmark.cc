// Benchmark of the distance kernels and the exact (FLAT) search, reported
// against what one core of this machine can do at best:
//
//  1. streaming read bandwidth of one core (summing a large array with the
//     widest loads available),
//  2. FP32 FMA peak of one core (a register-only loop of independent FMAs),
//  3. pairwise kernels per SIMD level (ns per call, data in L1),
//  4. FLAT search of one query over n x d float32 (default 1M x 128), as a
//     fraction of (1), and over the same rows in bfloat16 and in float16
//     (half the bytes: BFLOAT16_VECTOR's and FLOAT16_VECTOR's FLAT, with
//     their QPS against float32's),
//  5. FLAT search of a batch of queries (default 1000), and the bare
//     InnerProductMatrix kernel, as a fraction of (2),
//  6. IVF_FLAT over --ivf_n x d rows (default 200,000; 0 skips) in float32
//     and in bfloat16 (BFLOAT16_VECTOR's IVF_FLAT: lists of the 16-bit rows),
//     same nlist, same seed, one query at a time at the same nprobe: QPS and
//     recall@10 against the exact float32 top-10 (and bfloat16's against
//     the exact bfloat16 top-10 too).
//
// Times are thread CPU times (CLOCK_THREAD_CPUTIME_ID), medians of several
// runs: the machine is shared. Single-threaded. Build with -O3 and no
// -march: the kernels dispatch at run time; the two reference loops here use
// function-level target attributes.
//
// Usage: kernels_benchmark [--n=ROWS] [--d=DIM] [--nq=QUERIES] [--reps=R]
//                          [--ivf_n=ROWS] [--nlist=L] [--nprobe=P]
#include <time.h>

#include <algorithm>
#include <cinttypes>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#if defined(__x86_64__)
// GCC 12 warns about the self-initialization inside _mm512_undefined_*()
// wherever the intrinsics get inlined (GCC bug 105593).
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wuninitialized"
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif
#include <immintrin.h>
#endif

#include "engine/indexes/flat_index.h"
#include "engine/indexes/half_flat.h"
#include "engine/indexes/ivf_index.h"
#include "engine/kernels/distance.h"
#include "engine/kernels/half.h"
#include "engine/storage/huge_page_allocator.h"

namespace {

using cove::engine::FlatIndex;
using cove::engine::IndexParams;
using cove::engine::IndexSearchParams;
using cove::engine::Metric;
using cove::engine::Neighbor;
using cove::engine::SimdLevel;

double ThreadSeconds() {
  timespec ts;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) +
         1e-9 * static_cast<double>(ts.tv_nsec);
}

double Median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  size_t n = v.size();
  return n % 2 == 1 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

template <typename F>
double MedianSeconds(int reps, F&& f) {
  std::vector<double> t;
  for (int r = 0; r < reps; ++r) {
    double t0 = ThreadSeconds();
    f();
    t.push_back(ThreadSeconds() - t0);
  }
  return Median(t);
}

// Keeps the optimizer from discarding results.
volatile float g_sink;

// Fast uniform floats in [-1, 1).
struct Rng {
  uint64_t s;
  explicit Rng(uint64_t seed) : s(seed * 0x9E3779B97F4A7C15ULL + 1) {}
  float Next() {
    s ^= s << 13;
    s ^= s >> 7;
    s ^= s << 17;
    return static_cast<float>(static_cast<int32_t>(s >> 32)) *
           (1.0f / 2147483648.0f);
  }
};

// A Gaussian-mixture-like data set: 256 random centers plus uniform noise.
void FillMixture(float* x, size_t n, size_t d, uint64_t seed) {
  Rng rng(seed);
  const size_t kCenters = 256;
  std::vector<float> centers(kCenters * d);
  for (float& c : centers) c = 2.0f * rng.Next();
  for (size_t i = 0; i < n; ++i) {
    size_t c = static_cast<size_t>(rng.s % kCenters);
    for (size_t j = 0; j < d; ++j) {
      x[i * d + j] = centers[c * d + j] + 0.5f * rng.Next();
    }
  }
}

// ---------------------------------------------------------------------------
// Machine limits.

#if defined(__x86_64__)
__attribute__((target("avx512f"))) float SumAvx512(const float* p, size_t n) {
  __m512 s[8];
  for (int i = 0; i < 8; ++i) s[i] = _mm512_setzero_ps();
  size_t i = 0;
  for (; i + 128 <= n; i += 128) {
    for (int j = 0; j < 8; ++j) {
      s[j] = _mm512_add_ps(s[j], _mm512_load_ps(p + i + 16 * j));
    }
  }
  for (int j = 1; j < 8; ++j) s[0] = _mm512_add_ps(s[0], s[j]);
  float r = _mm512_reduce_add_ps(s[0]);
  for (; i < n; ++i) r += p[i];
  return r;
}

// The same with software prefetch 8 KiB ahead (on some cores the hardware
// prefetchers alone do not reach the bandwidth a core can sustain).
__attribute__((target("avx512f"))) float SumAvx512Prefetch(const float* p,
                                                           size_t n) {
  __m512 s[8];
  for (int i = 0; i < 8; ++i) s[i] = _mm512_setzero_ps();
  size_t i = 0;
  for (; i + 128 <= n; i += 128) {
    const char* pf = reinterpret_cast<const char*>(p + i) + 8192;
    for (int j = 0; j < 8; ++j) _mm_prefetch(pf + 64 * j, _MM_HINT_T0);
    for (int j = 0; j < 8; ++j) {
      s[j] = _mm512_add_ps(s[j], _mm512_load_ps(p + i + 16 * j));
    }
  }
  for (int j = 1; j < 8; ++j) s[0] = _mm512_add_ps(s[0], s[j]);
  float r = _mm512_reduce_add_ps(s[0]);
  for (; i < n; ++i) r += p[i];
  return r;
}

__attribute__((target("avx2"))) float SumAvx2(const float* p, size_t n) {
  __m256 s[8];
  for (int i = 0; i < 8; ++i) s[i] = _mm256_setzero_ps();
  size_t i = 0;
  for (; i + 64 <= n; i += 64) {
    for (int j = 0; j < 8; ++j) {
      s[j] = _mm256_add_ps(s[j], _mm256_load_ps(p + i + 8 * j));
    }
  }
  for (int j = 1; j < 8; ++j) s[0] = _mm256_add_ps(s[0], s[j]);
  alignas(32) float t[8];
  _mm256_store_ps(t, s[0]);
  float r = 0;
  for (float v : t) r += v;
  for (; i < n; ++i) r += p[i];
  return r;
}

// Independent FMA chains in registers (written in assembly so the compiler
// can neither spill nor fold them): with 2 FMA pipes of 4 cycles latency at
// least 8 must be in flight; we use 16 zmm (12 ymm for AVX2). Returns the
// flop count.
__attribute__((target("avx512f,fma"), noinline)) double FmaLoopAvx512(
    int64_t iters) {
  const float m = 1e-8f, c = 1e-8f;
  int64_t n = iters;
  __asm__ volatile(
      "vbroadcastss %[m], %%zmm16\n\t"
      "vbroadcastss %[c], %%zmm17\n\t"
      "vxorps %%xmm0, %%xmm0, %%xmm0\n\t"
      "vxorps %%xmm1, %%xmm1, %%xmm1\n\t"
      "vxorps %%xmm2, %%xmm2, %%xmm2\n\t"
      "vxorps %%xmm3, %%xmm3, %%xmm3\n\t"
      "vxorps %%xmm4, %%xmm4, %%xmm4\n\t"
      "vxorps %%xmm5, %%xmm5, %%xmm5\n\t"
      "vxorps %%xmm6, %%xmm6, %%xmm6\n\t"
      "vxorps %%xmm7, %%xmm7, %%xmm7\n\t"
      "vxorps %%xmm8, %%xmm8, %%xmm8\n\t"
      "vxorps %%xmm9, %%xmm9, %%xmm9\n\t"
      "vxorps %%xmm10, %%xmm10, %%xmm10\n\t"
      "vxorps %%xmm11, %%xmm11, %%xmm11\n\t"
      "vxorps %%xmm12, %%xmm12, %%xmm12\n\t"
      "vxorps %%xmm13, %%xmm13, %%xmm13\n\t"
      "vxorps %%xmm14, %%xmm14, %%xmm14\n\t"
      "vxorps %%xmm15, %%xmm15, %%xmm15\n\t"
      "1:\n\t"
      "vfmadd231ps %%zmm16, %%zmm17, %%zmm0\n\t"
      "vfmadd231ps %%zmm16, %%zmm17, %%zmm1\n\t"
      "vfmadd231ps %%zmm16, %%zmm17, %%zmm2\n\t"
      "vfmadd231ps %%zmm16, %%zmm17, %%zmm3\n\t"
      "vfmadd231ps %%zmm16, %%zmm17, %%zmm4\n\t"
      "vfmadd231ps %%zmm16, %%zmm17, %%zmm5\n\t"
      "vfmadd231ps %%zmm16, %%zmm17, %%zmm6\n\t"
      "vfmadd231ps %%zmm16, %%zmm17, %%zmm7\n\t"
      "vfmadd231ps %%zmm16, %%zmm17, %%zmm8\n\t"
      "vfmadd231ps %%zmm16, %%zmm17, %%zmm9\n\t"
      "vfmadd231ps %%zmm16, %%zmm17, %%zmm10\n\t"
      "vfmadd231ps %%zmm16, %%zmm17, %%zmm11\n\t"
      "vfmadd231ps %%zmm16, %%zmm17, %%zmm12\n\t"
      "vfmadd231ps %%zmm16, %%zmm17, %%zmm13\n\t"
      "vfmadd231ps %%zmm16, %%zmm17, %%zmm14\n\t"
      "vfmadd231ps %%zmm16, %%zmm17, %%zmm15\n\t"
      "dec %[n]\n\t"
      "jnz 1b\n\t"
      : [n] "+r"(n)
      : [m] "m"(m), [c] "m"(c)
      : "xmm0", "xmm1", "xmm2", "xmm3", "xmm4", "xmm5", "xmm6", "xmm7", "xmm8",
        "xmm9", "xmm10", "xmm11", "xmm12", "xmm13", "xmm14", "xmm15", "xmm16",
        "xmm17", "cc");
  return static_cast<double>(iters) * 16 * 16 * 2;
}

__attribute__((target("avx2,fma"), noinline)) double FmaLoopAvx2(
    int64_t iters) {
  const float m = 1e-8f, c = 1e-8f;
  int64_t n = iters;
  __asm__ volatile(
      "vbroadcastss %[m], %%ymm12\n\t"
      "vbroadcastss %[c], %%ymm13\n\t"
      "vxorps %%xmm0, %%xmm0, %%xmm0\n\t"
      "vxorps %%xmm1, %%xmm1, %%xmm1\n\t"
      "vxorps %%xmm2, %%xmm2, %%xmm2\n\t"
      "vxorps %%xmm3, %%xmm3, %%xmm3\n\t"
      "vxorps %%xmm4, %%xmm4, %%xmm4\n\t"
      "vxorps %%xmm5, %%xmm5, %%xmm5\n\t"
      "vxorps %%xmm6, %%xmm6, %%xmm6\n\t"
      "vxorps %%xmm7, %%xmm7, %%xmm7\n\t"
      "vxorps %%xmm8, %%xmm8, %%xmm8\n\t"
      "vxorps %%xmm9, %%xmm9, %%xmm9\n\t"
      "vxorps %%xmm10, %%xmm10, %%xmm10\n\t"
      "vxorps %%xmm11, %%xmm11, %%xmm11\n\t"
      "1:\n\t"
      "vfmadd231ps %%ymm12, %%ymm13, %%ymm0\n\t"
      "vfmadd231ps %%ymm12, %%ymm13, %%ymm1\n\t"
      "vfmadd231ps %%ymm12, %%ymm13, %%ymm2\n\t"
      "vfmadd231ps %%ymm12, %%ymm13, %%ymm3\n\t"
      "vfmadd231ps %%ymm12, %%ymm13, %%ymm4\n\t"
      "vfmadd231ps %%ymm12, %%ymm13, %%ymm5\n\t"
      "vfmadd231ps %%ymm12, %%ymm13, %%ymm6\n\t"
      "vfmadd231ps %%ymm12, %%ymm13, %%ymm7\n\t"
      "vfmadd231ps %%ymm12, %%ymm13, %%ymm8\n\t"
      "vfmadd231ps %%ymm12, %%ymm13, %%ymm9\n\t"
      "vfmadd231ps %%ymm12, %%ymm13, %%ymm10\n\t"
      "vfmadd231ps %%ymm12, %%ymm13, %%ymm11\n\t"
      "dec %[n]\n\t"
      "jnz 1b\n\t"
      : [n] "+r"(n)
      : [m] "m"(m), [c] "m"(c)
      : "xmm0", "xmm1", "xmm2", "xmm3", "xmm4", "xmm5", "xmm6", "xmm7", "xmm8",
        "xmm9", "xmm10", "xmm11", "xmm12", "xmm13", "cc");
  return static_cast<double>(iters) * 12 * 8 * 2;
}
#endif

float SumScalar(const float* p, size_t n) {
  float s[8] = {0, 0, 0, 0, 0, 0, 0, 0};
  size_t i = 0;
  for (; i + 8 <= n; i += 8) {
    for (int j = 0; j < 8; ++j) s[j] += p[i + j];
  }
  float r = 0;
  for (float v : s) r += v;
  for (; i < n; ++i) r += p[i];
  return r;
}

bool Has(SimdLevel level) { return cove::engine::SimdLevelSupported(level); }

// GB/s of a streaming read of `bytes` with the widest loads available.
double MeasureBandwidth(size_t bytes, int reps, const char** how) {
  const size_t n = bytes / sizeof(float);
  float* p = static_cast<float*>(
      std::aligned_alloc(size_t{2} << 20, n * sizeof(float)));
  for (size_t i = 0; i < n; ++i) p[i] = 1.0f;  // fault the pages in
  double secs;
#if defined(__x86_64__)
  if (Has(SimdLevel::kAvx512)) {
    // Plain loads, and with software prefetch: the better of the two.
    double plain = MedianSeconds(reps, [&] { g_sink = SumAvx512(p, n); });
    double pf = MedianSeconds(reps, [&] { g_sink = SumAvx512Prefetch(p, n); });
    *how = pf < plain ? "avx512 loads + prefetch, better of two"
                      : "avx512 loads, better of two";
    secs = std::min(plain, pf);
  } else if (Has(SimdLevel::kAvx2)) {
    *how = "avx2 loads";
    secs = MedianSeconds(reps, [&] { g_sink = SumAvx2(p, n); });
  } else
#endif
  {
    *how = "scalar loads";
    secs = MedianSeconds(reps, [&] { g_sink = SumScalar(p, n); });
  }
  std::free(p);
  return static_cast<double>(bytes) / secs / 1e9;
}

// FP32 GFLOP/s of a register-only FMA loop.
double MeasureFmaPeak(int reps, const char** how) {
#if defined(__x86_64__)
  const int64_t iters = 20'000'000;
  double flops = 0;
  double secs;
  if (Has(SimdLevel::kAvx512)) {
    *how = "avx512 zmm FMA";
    secs = MedianSeconds(reps, [&] { flops = FmaLoopAvx512(iters); });
  } else if (Has(SimdLevel::kAvx2)) {
    *how = "avx2 ymm FMA";
    secs = MedianSeconds(reps, [&] { flops = FmaLoopAvx2(iters); });
  } else {
    *how = "none";
    return 0;
  }
  return flops / secs / 1e9;
#else
  *how = "none";
  (void)reps;
  return 0;
#endif
}

struct Args {
  size_t n = 1'000'000;
  size_t d = 128;
  size_t nq = 1000;
  int reps = 5;
  size_t ivf_n = 200'000;
  int nlist = 512;
  int nprobe = 16;
};

Args ParseArgs(int argc, char** argv) {
  Args a;
  for (int i = 1; i < argc; ++i) {
    const char* s = argv[i];
    if (std::strncmp(s, "--n=", 4) == 0) {
      a.n = std::strtoull(s + 4, nullptr, 10);
    } else if (std::strncmp(s, "--d=", 4) == 0) {
      a.d = std::strtoull(s + 4, nullptr, 10);
    } else if (std::strncmp(s, "--nq=", 5) == 0) {
      a.nq = std::strtoull(s + 5, nullptr, 10);
    } else if (std::strncmp(s, "--reps=", 7) == 0) {
      a.reps = std::atoi(s + 7);
    } else if (std::strncmp(s, "--ivf_n=", 8) == 0) {
      a.ivf_n = std::strtoull(s + 8, nullptr, 10);
    } else if (std::strncmp(s, "--nlist=", 8) == 0) {
      a.nlist = std::atoi(s + 8);
    } else if (std::strncmp(s, "--nprobe=", 9) == 0) {
      a.nprobe = std::atoi(s + 9);
    } else {
      std::fprintf(stderr,
                   "usage: %s [--n=ROWS] [--d=DIM] [--nq=QUERIES] [--reps=R] "
                   "[--ivf_n=ROWS] [--nlist=L] [--nprobe=P]\n",
                   argv[0]);
      std::exit(2);
    }
  }
  return a;
}

// 6. IVF_FLAT in float32 and in bfloat16 (rows packed two per float32 slot,
// as a BFLOAT16_VECTOR segment stores them), L2, same nlist and seed.
void RunIvfHalf(const Args& args, const std::vector<float>& all_queries) {
  using cove::engine::HalfType;
  using cove::engine::IndexType;
  using cove::engine::IvfIndex;
  const size_t n = args.ivf_n, d = args.d, slots = d / 2;
  const size_t nq = std::min<size_t>(all_queries.size() / d, 500);
  std::vector<float> data(n * d);
  FillMixture(data.data(), n, d, 11);
  std::vector<float> packed(n * slots), packed_q(nq * slots);
  auto* h = reinterpret_cast<uint16_t*>(packed.data());
  for (size_t i = 0; i < n * d; ++i) {
    h[i] = cove::engine::FloatToHalf(HalfType::kBFloat16, data[i]);
  }
  auto* hq = reinterpret_cast<uint16_t*>(packed_q.data());
  for (size_t i = 0; i < nq * d; ++i) {
    hq[i] = cove::engine::FloatToHalf(HalfType::kBFloat16, all_queries[i]);
  }
  // Exact top-10s: float32 FLAT, and the bfloat16 FLAT scan.
  IndexSearchParams exact;
  exact.k = 10;
  std::vector<std::vector<Neighbor>> truth32(nq), truth16(nq);
  {
    IndexParams p;
    p.type = IndexType::kFlat;
    p.dim = d;
    FlatIndex flat(p);
    if (!flat.Build(data.data(), n).ok()) return;
    cove::engine::HalfExactView view;
    view.data = h;
    view.n = n;
    view.dim = d;
    view.type = HalfType::kBFloat16;
    for (size_t q = 0; q < nq; ++q) {
      truth32[q] = flat.Search(all_queries.data() + q * d, exact);
      truth16[q] = cove::engine::HalfExactSearch(view, hq + q * d, 1.0f, exact);
    }
  }
  auto recall = [&](const std::vector<std::vector<Neighbor>>& got,
                    const std::vector<std::vector<Neighbor>>& truth) {
    size_t hit = 0;
    for (size_t q = 0; q < nq; ++q) {
      for (const Neighbor& g : got[q]) {
        for (const Neighbor& t : truth[q]) hit += g.row == t.row ? 1 : 0;
      }
    }
    return static_cast<double>(hit) / static_cast<double>(10 * nq);
  };
  std::printf(
      "\nIVF_FLAT, L2: %zu x %zu, nlist %d, nprobe %d, k = 10, %zu queries "
      "one at a time\n",
      n, d, args.nlist, args.nprobe, nq);
  std::printf("%-28s %10s %10s %12s %12s %14s\n", "", "build s", "MiB rows",
              "ms/query", "QPS", "recall@10");
  double qps32 = 0, qps32_attached = 0;
  for (bool bf16 : {false, true}) {
    IndexParams p;
    p.type = IndexType::kIvfFlat;
    p.dim = bf16 ? slots : d;
    p.nlist = args.nlist;
    p.build_threads = 2;
    if (bf16) p.half = HalfType::kBFloat16;
    IvfIndex index(p);
    // Build: wall time (two threads).
    timespec w0, w1;
    clock_gettime(CLOCK_MONOTONIC, &w0);
    if (!index.Build(bf16 ? packed.data() : data.data(), n).ok()) return;
    clock_gettime(CLOCK_MONOTONIC, &w1);
    const double build = static_cast<double>(w1.tv_sec - w0.tv_sec) +
                         1e-9 * static_cast<double>(w1.tv_nsec - w0.tv_nsec);
    IndexSearchParams sp;
    sp.k = 10;
    sp.nprobe = args.nprobe;
    const double own_bytes = static_cast<double>(index.float_bytes());
    const float* qs = bf16 ? packed_q.data() : all_queries.data();
    const size_t stride = bf16 ? slots : d;
    // First the lists holding their rows; then, as a segment runs it, the
    // lists reading the rows from the segment's storage (attached).
    for (bool attached : {false, true}) {
      if (attached) {
        cove::engine::ExternalVectors v;
        v.data = bf16 ? packed.data() : data.data();
        v.n = n;
        v.dim = stride;
        if (!index.AttachVectors(v).ok()) return;
      }
      std::vector<std::vector<Neighbor>> got(nq);
      std::vector<double> times;
      for (int r = 0; r < std::max(args.reps, 3); ++r) {
        const double s0 = ThreadSeconds();
        for (size_t q = 0; q < nq; ++q) {
          got[q] = index.Search(qs + q * stride, sp);
        }
        times.push_back((ThreadSeconds() - s0) / static_cast<double>(nq));
      }
      const double secs = Median(times);
      if (!bf16) (attached ? qps32_attached : qps32) = 1.0 / secs;
      char rec[64];
      if (bf16) {
        std::snprintf(rec, sizeof(rec), "%.4f (%.4f vs bf16 exact)",
                      recall(got, truth32), recall(got, truth16));
      } else {
        std::snprintf(rec, sizeof(rec), "%.4f", recall(got, truth32));
      }
      char label[64];
      std::snprintf(label, sizeof(label), "%s IVF_FLAT, %s",
                    bf16 ? "bfloat16" : "float32",
                    attached ? "attached" : "own lists");
      std::printf("%-28s %10.1f %10.0f %12.3f %12.0f   %s", label, build,
                  own_bytes / (1 << 20), secs * 1e3, 1.0 / secs, rec);
      if (bf16) {
        std::printf("   %.2fx float32 QPS",
                    (1.0 / secs) / (attached ? qps32_attached : qps32));
      }
      std::printf("\n");
    }
  }
}

}  // namespace

int main(int argc, char** argv) {
  const Args args = ParseArgs(argc, argv);
  const SimdLevel best = cove::engine::ActiveSimdLevel();
  std::printf(
      "Cove kernels benchmark: active SIMD level %s, one thread, "
      "thread CPU time, medians\n\n",
      cove::engine::SimdLevelName(best));

  // 1-2. Machine limits.
  const char* bw_how = "";
  const char* fma_how = "";
  const size_t data_bytes = args.n * args.d * sizeof(float);
  const double bw = MeasureBandwidth(
      std::max<size_t>(data_bytes, size_t{256} << 20), args.reps, &bw_how);
  const double peak = MeasureFmaPeak(args.reps, &fma_how);
  std::printf("%-44s %10.1f GB/s   (%s)\n", "streaming read bandwidth, 1 core",
              bw, bw_how);
  std::printf("%-44s %10.1f GFLOP/s (%s)\n\n", "FP32 FMA peak, 1 core", peak,
              fma_how);

  // 3. Pairwise kernels per level, data in L1.
  {
    std::printf("%-10s %6s %14s %14s %14s\n", "level", "dim", "L2Sqr ns",
                "IP ns", "L2Sqr GFLOP/s");
    for (size_t d : {size_t{128}, size_t{768}}) {
      // Vectors that fit in L1 together (32 KiB).
      const size_t kVecs = std::max<size_t>(4, (32 * 1024) / (4 * d));
      std::vector<float> v(kVecs * d);
      FillMixture(v.data(), kVecs, d, 3);
      for (SimdLevel level :
           {SimdLevel::kScalar, SimdLevel::kAvx2, SimdLevel::kAvx512}) {
        if (!cove::engine::SetSimdLevelForTesting(level)) continue;
        const int64_t calls = 2'000'000 * 128 / static_cast<int64_t>(d);
        auto run = [&](auto fn) {
          return MedianSeconds(
                     args.reps,
                     [&] {
                       float s = 0;
                       for (int64_t c = 0; c < calls; ++c) {
                         size_t i = static_cast<size_t>(c) % kVecs;
                         size_t j = (static_cast<size_t>(c) * 7 + 1) % kVecs;
                         s += fn(v.data() + i * d, v.data() + j * d, d);
                       }
                       g_sink = s;
                     }) /
                 static_cast<double>(calls);
        };
        double l2 = run(cove::engine::L2Sqr);
        double ip = run(cove::engine::InnerProduct);
        std::printf("%-10s %6zu %14.2f %14.2f %14.1f\n",
                    cove::engine::SimdLevelName(level), d, l2 * 1e9, ip * 1e9,
                    3.0 * static_cast<double>(d) / l2 / 1e9);
      }
    }
    cove::engine::SetSimdLevelForTesting(best);
    std::printf("\n");
  }

  // 4-5. FLAT search over n x d.
  const size_t n = args.n, d = args.d, nq = args.nq;
  std::printf("FLAT index: %zu x %zu float32 (%.0f MiB), k = 10\n", n, d,
              static_cast<double>(data_bytes) / (1 << 20));
  std::unique_ptr<FlatIndex> l2_index, ip_index;
  std::vector<float> queries(nq * d);
  FillMixture(queries.data(), nq, d, 99);
  // The same rows and queries rounded to bfloat16 (BFLOAT16_VECTOR FLAT) and
  // to float16 (FLOAT16_VECTOR FLAT).
  // The rows live as a segment keeps them (2 MiB-aligned, huge pages
  // advised), as the float32 FLAT index keeps its own.
  using cove::engine::HalfType;
  using Rows16 =
      std::vector<uint16_t, cove::engine::HugePageAllocator<uint16_t>>;
  Rows16 bf16_rows(n * d), f16_rows(n * d);
  std::vector<uint16_t> bf16_queries(nq * d), f16_queries(nq * d);
  for (size_t i = 0; i < nq * d; ++i) {
    bf16_queries[i] =
        cove::engine::FloatToHalf(HalfType::kBFloat16, queries[i]);
    f16_queries[i] = cove::engine::FloatToHalf(HalfType::kFloat16, queries[i]);
  }
  {
    std::vector<float> data(n * d);
    FillMixture(data.data(), n, d, 7);
    for (size_t i = 0; i < n * d; ++i) {
      bf16_rows[i] = cove::engine::FloatToHalf(HalfType::kBFloat16, data[i]);
      f16_rows[i] = cove::engine::FloatToHalf(HalfType::kFloat16, data[i]);
    }
    IndexParams p;
    p.type = cove::engine::IndexType::kFlat;
    p.dim = d;
    p.metric = Metric::kL2;
    l2_index = std::make_unique<FlatIndex>(p);
    if (!l2_index->Build(data.data(), n).ok()) return 1;
    p.metric = Metric::kIP;
    ip_index = std::make_unique<FlatIndex>(p);
    if (!ip_index->Build(data.data(), n).ok()) return 1;
  }
  IndexSearchParams sp;
  sp.k = 10;

  std::printf("%-44s %12s %12s %12s\n", "", "ms/query", "GB/s", "% of BW");
  for (SimdLevel level : {SimdLevel::kAvx2, SimdLevel::kAvx512}) {
    if (!cove::engine::SetSimdLevelForTesting(level)) continue;
    for (const auto& [name, index] :
         {std::pair<const char*, FlatIndex*>{"L2", l2_index.get()},
          std::pair<const char*, FlatIndex*>{"IP", ip_index.get()}}) {
      size_t qi = 0;
      double secs = MedianSeconds(std::max(args.reps, 7), [&] {
        std::vector<Neighbor> r =
            index->Search(queries.data() + (qi++ % nq) * d, sp);
        g_sink = r.empty() ? 0.0f : r[0].score;
      });
      double gbs = static_cast<double>(data_bytes) / secs / 1e9;
      char label[96];
      std::snprintf(label, sizeof(label), "one query, %s, %s", name,
                    cove::engine::SimdLevelName(level));
      std::printf("%-44s %12.2f %12.1f %11.0f%%\n", label, secs * 1e3, gbs,
                  100.0 * gbs / bw);
      // The same search over the 16-bit rows (half the bytes), as a
      // BFLOAT16_VECTOR / FLOAT16_VECTOR segment runs it (HalfExactSearch).
      for (HalfType t : {HalfType::kBFloat16, HalfType::kFloat16}) {
        const bool bf16 = t == HalfType::kBFloat16;
        cove::engine::HalfExactView view;
        view.data = bf16 ? bf16_rows.data() : f16_rows.data();
        view.n = n;
        view.dim = d;
        view.type = t;
        view.metric = index == l2_index.get() ? Metric::kL2 : Metric::kIP;
        const uint16_t* hq = bf16 ? bf16_queries.data() : f16_queries.data();
        double hsecs = MedianSeconds(std::max(args.reps, 7), [&] {
          std::vector<Neighbor> r = cove::engine::HalfExactSearch(
              view, hq + (qi++ % nq) * d, 1.0f, sp);
          g_sink = r.empty() ? 0.0f : r[0].score;
        });
        std::snprintf(label, sizeof(label), "one query, %s, %s, %s", name,
                      cove::engine::SimdLevelName(level),
                      cove::engine::HalfTypeName(t));
        std::printf(
            "%-44s %12.2f %12.1f %11.0f%%   %.2fx float32 QPS%s\n", label,
            hsecs * 1e3, static_cast<double>(data_bytes) / 2 / hsecs / 1e9,
            100.0 * static_cast<double>(data_bytes) / 2 / hsecs / 1e9 / bw,
            secs / hsecs,
            bf16 && cove::engine::HalfUsesAvx512Bf16() && name[0] == 'I'
                ? " (vdpbf16ps)"
                : "");
      }
    }
  }
  cove::engine::SetSimdLevelForTesting(best);

  // The FMA peak again, right before the compute-bound part (the clock of a
  // shared machine drifts); the larger of the two readings is the reference.
  const double peak2 = MeasureFmaPeak(args.reps, &fma_how);
  // No FMA reference on this build (non-x86): report GFLOP/s only.
  const double ref_peak = std::max({peak, peak2, 1e-9});
  std::printf("\n%-44s %10.1f GFLOP/s (max of %.1f and %.1f)\n",
              "FP32 FMA peak used below", ref_peak, peak, peak2);

  // Bare matrix kernel, in the blocks SearchBatch uses (128 queries x 512
  // rows, in cache), over nq queries x 4096 rows.
  std::printf("%-44s %12s %12s %12s\n", "", "seconds", "GFLOP/s", "% of peak");
  {
    const size_t nx = std::min<size_t>(n, 4096);
    const size_t qblock = 128, xblock = 512;
    std::vector<float> out(qblock * xblock);
    double secs = MedianSeconds(args.reps, [&] {
      for (size_t q0 = 0; q0 < nq; q0 += qblock) {
        for (size_t x0 = 0; x0 < nx; x0 += xblock) {
          cove::engine::InnerProductMatrix(
              queries.data() + q0 * d, std::min(qblock, nq - q0),
              l2_index->data() + x0 * d, std::min(xblock, nx - x0), d,
              out.data());
        }
      }
      g_sink = out[0];
    });
    double gflops = 2.0 * static_cast<double>(nq) * nx * d / secs / 1e9;
    char label[96];
    std::snprintf(label, sizeof(label), "InnerProductMatrix %zu x %zu x %zu",
                  nq, nx, d);
    std::printf("%-44s %12.4f %12.1f %11.0f%%\n", label, secs, gflops,
                100.0 * gflops / ref_peak);
  }
  for (const auto& [name, index] :
       {std::pair<const char*, FlatIndex*>{"L2", l2_index.get()},
        std::pair<const char*, FlatIndex*>{"IP", ip_index.get()}}) {
    double secs = MedianSeconds(std::max(1, std::min(args.reps, 3)), [&] {
      auto r = index->SearchBatch(queries.data(), nq, sp);
      g_sink = r[0].empty() ? 0.0f : r[0][0].score;
    });
    double gflops = 2.0 * static_cast<double>(nq) * n * d / secs / 1e9;
    char label[96];
    std::snprintf(label, sizeof(label), "SearchBatch %zu queries, %s", nq,
                  name);
    std::printf("%-44s %12.3f %12.1f %11.0f%%\n", label, secs, gflops,
                100.0 * gflops / ref_peak);
  }
  l2_index.reset();
  ip_index.reset();
  if (args.ivf_n > 0 && d % 2 == 0) RunIvfHalf(args, queries);
  return 0;
}
