// The 16-bit float conversions, the portable reference kernels, and the
// dispatch of half.h to the table of the active SIMD level.
//
// Compiler flags: none beyond the baseline.
#include "engine/kernels/half.h"

#include <cmath>
#include <cstring>

namespace cove::engine {
namespace {

uint32_t Bits(float f) {
  uint32_t u;
  std::memcpy(&u, &f, sizeof u);
  return u;
}

float FromBits(uint32_t u) {
  float f;
  std::memcpy(&f, &u, sizeof f);
  return f;
}

float F16ToFloat(uint16_t h) {
  const uint32_t sign = static_cast<uint32_t>(h & 0x8000u) << 16;
  const uint32_t exp = (h >> 10) & 0x1fu;
  const uint32_t mant = h & 0x3ffu;
  if (exp == 0) {
    // Zero or subnormal: mant * 2^-24, exact in float32.
    const float f = std::ldexp(static_cast<float>(mant), -24);
    return sign != 0 ? -f : f;
  }
  if (exp == 31) return FromBits(sign | 0x7f800000u | (mant << 13));
  return FromBits(sign | ((exp + 112) << 23) | (mant << 13));
}

uint16_t FloatToF16(float f) {
  uint32_t u = Bits(f);
  const uint16_t sign = static_cast<uint16_t>((u >> 16) & 0x8000u);
  u &= 0x7fffffffu;
  if (u > 0x7f800000u) return sign | 0x7e00u;   // NaN
  if (u >= 0x477ff000u) return sign | 0x7c00u;  // >= 65520: infinity
  if (u < 0x38800000u) {
    // Below 2^-14: a subnormal (or zero) of 2^-24 steps; the scaling is
    // exact and nearbyint rounds to nearest even (the default mode).
    const float steps = std::nearbyint(FromBits(u) * 16777216.0f);
    return sign | static_cast<uint16_t>(steps);  // 1024: the smallest normal
  }
  u -= 112u << 23;  // rebias the exponent
  u += 0xfffu + ((u >> 13) & 1u);
  return sign | static_cast<uint16_t>(u >> 13);
}

float Bf16ToFloat(uint16_t h) {
  return FromBits(static_cast<uint32_t>(h) << 16);
}

uint16_t FloatToBf16(float f) {
  const uint32_t u = Bits(f);
  if ((u & 0x7fffffffu) > 0x7f800000u) {
    return static_cast<uint16_t>((u >> 16) | 0x40u);  // quiet NaN
  }
  return static_cast<uint16_t>((u + 0x7fffu + ((u >> 16) & 1u)) >> 16);
}

// The reference kernels: widen, then eight float32 accumulators as the
// float32 scalar kernels.
template <float (*Widen)(uint16_t)>
float L2SqrRef(const uint16_t* a, const uint16_t* b, size_t d) {
  float s[8] = {0, 0, 0, 0, 0, 0, 0, 0};
  for (size_t i = 0; i < d; ++i) {
    const float t = Widen(a[i]) - Widen(b[i]);
    s[i & 7] += t * t;
  }
  return ((s[0] + s[4]) + (s[1] + s[5])) + ((s[2] + s[6]) + (s[3] + s[7]));
}

template <float (*Widen)(uint16_t)>
float IpRef(const uint16_t* a, const uint16_t* b, size_t d) {
  float s[8] = {0, 0, 0, 0, 0, 0, 0, 0};
  for (size_t i = 0; i < d; ++i) s[i & 7] += Widen(a[i]) * Widen(b[i]);
  return ((s[0] + s[4]) + (s[1] + s[5])) + ((s[2] + s[6]) + (s[3] + s[7]));
}

template <float (*Widen)(uint16_t)>
void BatchRef(bool l2, const uint16_t* q, const uint16_t* base, size_t n,
              size_t d, float* out) {
  for (size_t j = 0; j < n; ++j) {
    out[j] = l2 ? L2SqrRef<Widen>(q, base + j * d, d)
                : IpRef<Widen>(q, base + j * d, d);
  }
}

template <float (*Widen)(uint16_t), bool kL2>
float SlotsRef(const float* a, const float* b, size_t slots) {
  const auto* x = reinterpret_cast<const uint16_t*>(a);
  const auto* y = reinterpret_cast<const uint16_t*>(b);
  return kL2 ? L2SqrRef<Widen>(x, y, 2 * slots) : IpRef<Widen>(x, y, 2 * slots);
}

const cove::internal::HalfKernels& ActiveHalf() {
  const SimdLevel level = ActiveSimdLevel();
  if (level == SimdLevel::kAvx512) {
    if (const auto* k = cove::internal::Avx512HalfKernels()) return *k;
  }
  if (level == SimdLevel::kAvx2 || level == SimdLevel::kAvx512) {
    if (const auto* k = cove::internal::Avx2HalfKernels()) return *k;
  }
  return cove::internal::ScalarHalfKernels();
}

}  // namespace

float HalfToFloat(HalfType t, uint16_t h) {
  return t == HalfType::kFloat16 ? F16ToFloat(h) : Bf16ToFloat(h);
}

uint16_t FloatToHalf(HalfType t, float f) {
  return t == HalfType::kFloat16 ? FloatToF16(f) : FloatToBf16(f);
}

HalfDistanceFn HalfL2SqrFunction(HalfType t) {
  return t == HalfType::kFloat16 ? ActiveHalf().l2sqr_f16
                                 : ActiveHalf().l2sqr_bf16;
}

HalfDistanceFn HalfInnerProductFunction(HalfType t) {
  return t == HalfType::kFloat16 ? ActiveHalf().ip_f16 : ActiveHalf().ip_bf16;
}

float HalfL2Sqr(HalfType t, const uint16_t* a, const uint16_t* b, size_t d) {
  return HalfL2SqrFunction(t)(a, b, d);
}

float HalfInnerProduct(HalfType t, const uint16_t* a, const uint16_t* b,
                       size_t d) {
  return HalfInnerProductFunction(t)(a, b, d);
}

float HalfNorm(HalfType t, const uint16_t* a, size_t d) {
  return std::sqrt(HalfInnerProduct(t, a, a, d));
}

void HalfScoreBatch(HalfType t, Metric metric, const uint16_t* query,
                    const uint16_t* base, size_t n, size_t d, float* out) {
  const auto& k = ActiveHalf();
  (t == HalfType::kFloat16 ? k.batch_f16 : k.batch_bf16)(
      metric == Metric::kL2, query, base, n, d, out);
}

bool HalfUsesAvx512Bf16() { return ActiveHalf().uses_dpbf16; }

DistanceFn HalfSlotL2SqrFunction(HalfType t) {
  return t == HalfType::kFloat16 ? ActiveHalf().l2sqr_f16_slots
                                 : ActiveHalf().l2sqr_bf16_slots;
}

DistanceFn HalfSlotInnerProductFunction(HalfType t) {
  return t == HalfType::kFloat16 ? ActiveHalf().ip_f16_slots
                                 : ActiveHalf().ip_bf16_slots;
}

}  // namespace cove::engine

namespace cove::internal {

const HalfKernels& ScalarHalfKernels() {
  using engine::Bf16ToFloat;
  using engine::F16ToFloat;
  static const HalfKernels kTable = {
      engine::SimdLevel::kScalar,          engine::L2SqrRef<F16ToFloat>,
      engine::IpRef<F16ToFloat>,           engine::L2SqrRef<Bf16ToFloat>,
      engine::IpRef<Bf16ToFloat>,          engine::BatchRef<F16ToFloat>,
      engine::BatchRef<Bf16ToFloat>,       false,
      engine::SlotsRef<F16ToFloat, true>,  engine::SlotsRef<F16ToFloat, false>,
      engine::SlotsRef<Bf16ToFloat, true>, engine::SlotsRef<Bf16ToFloat, false>,
  };
  return kTable;
}

}  // namespace cove::internal
