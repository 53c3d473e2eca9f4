// Distance kernels on 16-bit floating-point vectors: IEEE 754 half precision
// (FLOAT16_VECTOR fields) and bfloat16 (BFLOAT16_VECTOR, the upper 16 bits
// of a float32). Rows and queries stay in their 16-bit form (2 bytes per
// dimension); the kernels widen them to float32 in registers and accumulate
// in float32:
//  - float16: F16C conversions (vcvtph2ps) and FMA (AVX2 and AVX-512);
//  - bfloat16: a 16-bit shift and FMA, and for inner products on CPUs with
//    AVX-512 BF16 the vdpbf16ps dot-product instruction (32 products per
//    instruction, accumulated in float32);
//  - a portable scalar reference.
// The level follows the float32 kernels' (ActiveSimdLevel(), COVE_SIMD,
// SetSimdLevelForTesting()). Thread-safe; never allocates.
#ifndef COVE_SRC_ENGINE_KERNELS_HALF_H_
#define COVE_SRC_ENGINE_KERNELS_HALF_H_

#include <cstddef>
#include <cstdint>

#include "engine/kernels/distance.h"

namespace cove::engine {

/// The 16-bit formats.
enum class HalfType : uint8_t { kFloat16, kBFloat16 };

/// "float16" or "bfloat16".
inline const char* HalfTypeName(HalfType t) {
  return t == HalfType::kFloat16 ? "float16" : "bfloat16";
}

/// Exact widening of one 16-bit value to float32.
float HalfToFloat(HalfType t, uint16_t h);
/// Rounds a float32 to the 16-bit format (to nearest, ties to even; float16
/// overflows to infinity, NaN stays NaN).
uint16_t FloatToHalf(HalfType t, float f);

/// Pairwise kernels on n 16-bit values of the same format each.
using HalfDistanceFn = float (*)(const uint16_t* a, const uint16_t* b,
                                 size_t d);
/// Squared L2 distance / inner product of the active level, resolved now
/// (for hot loops; does not follow a later SetSimdLevelForTesting()).
HalfDistanceFn HalfL2SqrFunction(HalfType t);
HalfDistanceFn HalfInnerProductFunction(HalfType t);
float HalfL2Sqr(HalfType t, const uint16_t* a, const uint16_t* b, size_t d);
float HalfInnerProduct(HalfType t, const uint16_t* a, const uint16_t* b,
                       size_t d);

/// The Euclidean norm of a (d values), computed as sqrt(<a, a>).
float HalfNorm(HalfType t, const uint16_t* a, size_t d);

/// One query against n rows stored contiguously (n x d values): out[j] =
/// squared L2 (metric kL2) or inner product (kIP, kCosine) of query and row j.
void HalfScoreBatch(HalfType t, Metric metric, const uint16_t* query,
                    const uint16_t* base, size_t n, size_t d, float* out);

/// Kernels on rows stored packed two 16-bit values per float32 slot (a
/// segment's FloatRows of a 16-bit field): `slots` slots, 2 * slots values.
/// They have the float32 kernels' signature, so that an index written for
/// float32 rows (HNSW) walks 16-bit rows with them. Resolved now, as
/// HalfL2SqrFunction().
DistanceFn HalfSlotL2SqrFunction(HalfType t);
DistanceFn HalfSlotInnerProductFunction(HalfType t);

/// True when the active level computes bfloat16 inner products with
/// vdpbf16ps (the CPU has AVX-512 BF16 and the level is avx512).
bool HalfUsesAvx512Bf16();

}  // namespace cove::engine

namespace cove::internal {

/// The half kernels of one SIMD level (all entries non-null).
struct HalfKernels {
  engine::SimdLevel level;
  float (*l2sqr_f16)(const uint16_t* a, const uint16_t* b, size_t d);
  float (*ip_f16)(const uint16_t* a, const uint16_t* b, size_t d);
  float (*l2sqr_bf16)(const uint16_t* a, const uint16_t* b, size_t d);
  float (*ip_bf16)(const uint16_t* a, const uint16_t* b, size_t d);
  /// out[j] = kernel(query, base + j * d) for j < n.
  void (*batch_f16)(bool l2, const uint16_t* q, const uint16_t* base, size_t n,
                    size_t d, float* out);
  void (*batch_bf16)(bool l2, const uint16_t* q, const uint16_t* base, size_t n,
                     size_t d, float* out);
  bool uses_dpbf16;
  /// The pairwise kernels on packed slots (see HalfSlotL2SqrFunction).
  engine::DistanceFn l2sqr_f16_slots;
  engine::DistanceFn ip_f16_slots;
  engine::DistanceFn l2sqr_bf16_slots;
  engine::DistanceFn ip_bf16_slots;
};

const HalfKernels& ScalarHalfKernels();
/// Null when not compiled in, or the CPU lacks what the file needs (F16C).
const HalfKernels* Avx2HalfKernels();
/// Null when not compiled in; picks the vdpbf16ps inner product when the
/// CPU has AVX-512 BF16.
const HalfKernels* Avx512HalfKernels();

}  // namespace cove::internal

#endif  // COVE_SRC_ENGINE_KERNELS_HALF_H_
