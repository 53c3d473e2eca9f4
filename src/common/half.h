// Scalar conversions between float32 and the 16-bit float formats that
// Milvus' FLOAT16_VECTOR (IEEE 754 binary16) and BFLOAT16_VECTOR (the upper
// half of a float32) fields hold. Rounding is to nearest, ties to even, as
// numpy and the hardware conversions do; NaN stays NaN.
#ifndef COVE_SRC_COMMON_HALF_H_
#define COVE_SRC_COMMON_HALF_H_

#include <cstdint>
#include <cstring>

namespace cove::internal {

inline uint32_t FloatBits(float f) {
  uint32_t u = 0;
  std::memcpy(&u, &f, sizeof(u));
  return u;
}

inline float BitsFloat(uint32_t u) {
  float f = 0;
  std::memcpy(&f, &u, sizeof(f));
  return f;
}

/// bfloat16 bits to float32 (exact).
inline float BFloat16ToFloat(uint16_t h) {
  return BitsFloat(static_cast<uint32_t>(h) << 16);
}

/// float32 to bfloat16 bits, rounding to nearest even.
inline uint16_t FloatToBFloat16(float f) {
  const uint32_t u = FloatBits(f);
  if ((u & 0x7fffffffu) > 0x7f800000u) {
    return static_cast<uint16_t>((u >> 16) | 0x40);  // quiet NaN
  }
  const uint32_t rounding = 0x7fffu + ((u >> 16) & 1);
  return static_cast<uint16_t>((u + rounding) >> 16);
}

/// IEEE binary16 bits to float32 (exact).
inline float HalfToFloat(uint16_t h) {
  const uint32_t sign = static_cast<uint32_t>(h & 0x8000u) << 16;
  uint32_t exp = (h >> 10) & 0x1f;
  uint32_t mant = h & 0x3ffu;
  if (exp == 0x1f) return BitsFloat(sign | 0x7f800000u | (mant << 13));
  if (exp == 0) {
    if (mant == 0) return BitsFloat(sign);
    // Subnormal: normalize.
    exp = 127 - 15 + 1;
    while ((mant & 0x400u) == 0) {
      mant <<= 1;
      --exp;
    }
    mant &= 0x3ffu;
    return BitsFloat(sign | (exp << 23) | (mant << 13));
  }
  return BitsFloat(sign | ((exp + 127 - 15) << 23) | (mant << 13));
}

/// float32 to IEEE binary16 bits, rounding to nearest even; overflow
/// becomes infinity.
inline uint16_t FloatToHalf(float f) {
  const uint32_t u = FloatBits(f);
  const uint16_t sign = static_cast<uint16_t>((u >> 16) & 0x8000u);
  const uint32_t abs = u & 0x7fffffffu;
  if (abs > 0x7f800000u) return sign | 0x7e00u;   // NaN
  if (abs >= 0x477ff000u) return sign | 0x7c00u;  // >= 65520: infinity
  if (abs < 0x38800000u) {
    // Subnormal or zero in half: value / 2^-24, rounded to nearest even.
    if (abs < 0x33000000u) return sign;  // below half the smallest: zero
    const uint32_t exp = abs >> 23;
    const uint32_t mant = (abs & 0x7fffffu) | 0x800000u;
    const uint32_t shift = 126 - exp;  // 14 + (113 - exp)
    const uint32_t halfway = 1u << (shift - 1);
    uint32_t out = mant >> shift;
    const uint32_t rest = mant & ((1u << shift) - 1);
    if (rest > halfway || (rest == halfway && (out & 1))) ++out;
    return sign | static_cast<uint16_t>(out);
  }
  // Normal: rebias the exponent, round the mantissa to 10 bits.
  uint32_t h = ((abs >> 13) - ((127 - 15) << 10));
  const uint32_t rest = abs & 0x1fffu;
  if (rest > 0x1000u || (rest == 0x1000u && (h & 1))) ++h;
  return sign | static_cast<uint16_t>(h);
}

}  // namespace cove::internal

#endif  // COVE_SRC_COMMON_HALF_H_
