// Runtime dispatch of the distance kernels: picks the kernel table of the best
// SIMD level the CPU supports (or the one forced by COVE_SIMD) once, at first
// use, and forwards every public function of distance.h to it.
//
// Compiler flags: none beyond the baseline (this file must run on any x86-64).
#include "engine/kernels/distance.h"

#include <atomic>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "engine/kernels/distance_internal.h"

namespace cove::engine {
namespace {

using cove::internal::DistanceKernels;

bool CpuSupports(SimdLevel level) {
  switch (level) {
    case SimdLevel::kScalar:
      return true;
    case SimdLevel::kAvx2:
#if defined(__x86_64__)
      __builtin_cpu_init();
      return cove::internal::Avx2DistanceKernels() != nullptr &&
             __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
#else
      return false;
#endif
    case SimdLevel::kAvx512:
#if defined(__x86_64__)
      __builtin_cpu_init();
      return cove::internal::Avx512DistanceKernels() != nullptr &&
             __builtin_cpu_supports("avx512f") &&
             __builtin_cpu_supports("avx512bw") &&
             __builtin_cpu_supports("avx512dq") &&
             __builtin_cpu_supports("avx512vl") &&
             __builtin_cpu_supports("fma");
#else
      return false;
#endif
  }
  return false;
}

const DistanceKernels* TableFor(SimdLevel level) {
  switch (level) {
    case SimdLevel::kScalar:
      return &cove::internal::ScalarDistanceKernels();
    case SimdLevel::kAvx2:
      return cove::internal::Avx2DistanceKernels();
    case SimdLevel::kAvx512:
      return cove::internal::Avx512DistanceKernels();
  }
  return nullptr;
}

SimdLevel BestSupported() {
  if (CpuSupports(SimdLevel::kAvx512)) return SimdLevel::kAvx512;
  if (CpuSupports(SimdLevel::kAvx2)) return SimdLevel::kAvx2;
  return SimdLevel::kScalar;
}

// The level at startup: the best one, unless COVE_SIMD asks for a lower one
// (or for one this CPU lacks, which falls back to the best with a warning).
SimdLevel ResolveInitialLevel() {
  SimdLevel best = BestSupported();
  const char* env = std::getenv("COVE_SIMD");
  if (env == nullptr || *env == '\0') return best;
  SimdLevel wanted;
  if (std::strcmp(env, "scalar") == 0) {
    wanted = SimdLevel::kScalar;
  } else if (std::strcmp(env, "avx2") == 0) {
    wanted = SimdLevel::kAvx2;
  } else if (std::strcmp(env, "avx512") == 0) {
    wanted = SimdLevel::kAvx512;
  } else {
    std::fprintf(stderr,
                 "cove: COVE_SIMD: unknown level \"%s\" (expected scalar, "
                 "avx2 or avx512); using %s\n",
                 env, SimdLevelName(best));
    return best;
  }
  if (!CpuSupports(wanted)) {
    std::fprintf(stderr,
                 "cove: COVE_SIMD=%s is not supported by this CPU or build; "
                 "using %s\n",
                 env, SimdLevelName(best));
    return best;
  }
  return wanted;
}

// The active table. Initialized once (thread-safe function-local static);
// SetSimdLevelForTesting() may swap it later.
std::atomic<const DistanceKernels*>& Slot() {
  static std::atomic<const DistanceKernels*> slot{
      TableFor(ResolveInitialLevel())};
  return slot;
}

inline const DistanceKernels& K() {
  return *Slot().load(std::memory_order_acquire);
}

}  // namespace

SimdLevel ActiveSimdLevel() { return K().level; }

const char* SimdLevelName(SimdLevel level) {
  switch (level) {
    case SimdLevel::kScalar:
      return "scalar";
    case SimdLevel::kAvx2:
      return "avx2";
    case SimdLevel::kAvx512:
      return "avx512";
  }
  return "unknown";
}

bool SetSimdLevelForTesting(SimdLevel level) {
  if (!CpuSupports(level)) return false;
  Slot().store(TableFor(level), std::memory_order_release);
  return true;
}

bool SimdLevelSupported(SimdLevel level) { return CpuSupports(level); }

float L2Sqr(const float* a, const float* b, size_t d) {
  return K().l2sqr(a, b, d);
}

float InnerProduct(const float* a, const float* b, size_t d) {
  return K().inner_product(a, b, d);
}

float Norm(const float* a, size_t d) {
  return std::sqrt(K().inner_product(a, a, d));
}

DistanceFn L2SqrFunction() { return K().l2sqr; }
DistanceFn InnerProductFunction() { return K().inner_product; }

void L2SqrBatch(const float* query, const float* base, size_t n, size_t d,
                float* out) {
  K().l2sqr_batch(query, base, n, d, out);
}

void InnerProductBatch(const float* query, const float* base, size_t n,
                       size_t d, float* out) {
  K().inner_product_batch(query, base, n, d, out);
}

void InnerProductMatrix(const float* queries, size_t nq, const float* base,
                        size_t nx, size_t d, float* out) {
  K().inner_product_matrix(queries, nq, base, nx, d, out);
}

float L2SqrSq8(const float* query, const uint8_t* code, const float* vmin,
               const float* vdiff, size_t d) {
  return K().l2sqr_sq8(query, code, vmin, vdiff, d);
}

float InnerProductSq8(const float* query, const uint8_t* code,
                      const float* vmin, const float* vdiff, size_t d) {
  return K().inner_product_sq8(query, code, vmin, vdiff, d);
}

int32_t DotU8I16(const uint8_t* code, const int16_t* w, size_t d) {
  return K().dot_u8_i16(code, w, d);
}

DotU8I16Fn DotU8I16Function() { return K().dot_u8_i16; }

}  // namespace cove::engine

namespace cove::internal {

const DistanceKernels& ActiveDistanceKernels() {
  return *cove::engine::Slot().load(std::memory_order_acquire);
}

}  // namespace cove::internal
