// Distance kernels on packed binary vectors (BINARY_VECTOR fields: dim bits
// stored as dim / 8 bytes, bit i of the vector in byte i / 8, most
// significant bit first as Milvus packs them; the kernels only count bits,
// so the bit order inside a byte does not matter).
//
//  - HAMMING: the number of differing bits, popcount(a ^ b);
//  - JACCARD: 1 - |a & b| / |a | b| (1 when both are all zeros, as Milvus'
//    knowhere);
//  - SUBSTRUCTURE / SUPERSTRUCTURE: whether the query's set bits are all set
//    in the row (the query is a substructure of the row), or the row's in
//    the query.
// Levels: AVX-512 with VPOPCNTDQ (vpopcntq on 64 bytes per instruction,
// masked loads for the tails), AVX2 (the nibble-table vpshufb popcount on 32
// bytes, popcnt on the tail), and a portable scalar reference. The level
// follows the float32 kernels' (ActiveSimdLevel(), COVE_SIMD,
// SetSimdLevelForTesting()); a CPU with AVX-512 but without VPOPCNTDQ runs
// the AVX2 table. Thread-safe; never allocates.
#ifndef COVE_SRC_ENGINE_KERNELS_BINARY_H_
#define COVE_SRC_ENGINE_KERNELS_BINARY_H_

#include <cstddef>
#include <cstdint>

#include "engine/kernels/distance.h"

namespace cove::engine {

/// popcount(a ^ b) over n bytes.
uint32_t BinaryHamming(const uint8_t* a, const uint8_t* b, size_t n);
/// popcount(a & b) and popcount(a | b) over n bytes.
void BinaryAndOr(const uint8_t* a, const uint8_t* b, size_t n,
                 uint32_t* and_count, uint32_t* or_count);
/// The Jaccard distance of the counts BinaryAndOr gives (every level derives
/// it here, so all levels agree to the bit).
inline float JaccardFromCounts(uint32_t and_count, uint32_t or_count) {
  if (or_count == 0) return 1.0f;
  return static_cast<float>(or_count - and_count) /
         static_cast<float>(or_count);
}
float BinaryJaccard(const uint8_t* a, const uint8_t* b, size_t n);
/// True when every bit set in `sub` is set in `super` ((sub & super) ==
/// sub).
bool BinaryContains(const uint8_t* super, const uint8_t* sub, size_t n);

/// One query against `rows` codes of n bytes stored contiguously:
/// out[j] = Hamming distance to row j.
void BinaryHammingBatch(const uint8_t* query, const uint8_t* base, size_t rows,
                        size_t n, uint32_t* out);
/// out[j] = Jaccard distance to row j.
void BinaryJaccardBatch(const uint8_t* query, const uint8_t* base, size_t rows,
                        size_t n, float* out);

/// The level whose table is active ("scalar", "avx2" or "avx512": avx512
/// only with VPOPCNTDQ).
SimdLevel BinaryKernelLevel();

}  // namespace cove::engine

namespace cove::internal {

/// The binary kernels of one SIMD level (all entries non-null).
struct BinaryKernels {
  engine::SimdLevel level;
  uint32_t (*hamming)(const uint8_t* a, const uint8_t* b, size_t n);
  void (*and_or)(const uint8_t* a, const uint8_t* b, size_t n, uint32_t* and_c,
                 uint32_t* or_c);
  bool (*contains)(const uint8_t* super, const uint8_t* sub, size_t n);
  void (*hamming_batch)(const uint8_t* q, const uint8_t* base, size_t rows,
                        size_t n, uint32_t* out);
  void (*jaccard_batch)(const uint8_t* q, const uint8_t* base, size_t rows,
                        size_t n, float* out);
};

const BinaryKernels& ScalarBinaryKernels();
/// Null when not compiled in.
const BinaryKernels* Avx2BinaryKernels();
/// Null when not compiled in or the CPU lacks AVX-512 VPOPCNTDQ.
const BinaryKernels* Avx512BinaryKernels();

}  // namespace cove::internal

#endif  // COVE_SRC_ENGINE_KERNELS_BINARY_H_
