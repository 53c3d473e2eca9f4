// Kernels of the product-quantization indexes (IVF_PQ, SCANN):
// the query's distance tables, and the "fast-scan" of 4-bit codes, where a
// block of 32 rows is scored with in-register table lookups (pshufb) instead
// of one memory lookup per code (André, Kermarrec, Le Scouarnec, "Cache
// locality is not enough: high-performance nearest neighbor search with
// product quantization fast scan", VLDB 2015; the layout idea of FAISS'
// IndexPQFastScan, written here from the description).
//
// Like the distance kernels, each SIMD level lives in its own translation
// unit (pq_kernels_scalar.cc, pq_kernels_avx2.cc, pq_kernels_avx512.cc) and
// the level is the one of distance.h (ActiveSimdLevel(), COVE_SIMD).
//
// Fast-scan block layout (shared by every level; it is also the saved
// format of SCANN's lists):
//  - m4 = the number of sub-quantizers rounded up to a multiple of 4 (the
//    extra ones have code 0 and an all-zero table);
//  - a block holds the codes of 32 rows in m4 / 2 chunks of 32 bytes; chunk
//    p holds sub-quantizers 2p and 2p + 1: byte v = code(2p, row v) |
//    code(2p + 1, row v) << 4. A block is m4 * 16 bytes.
// A scan needs the query's table quantized to 8 bits (one byte per
// sub-quantizer and code, m4 x 16, see QuantizeTable below) and prepared for
// the level (Pq4Kernels::prepare); the sums are 16-bit, so the quantized
// entries must satisfy m4 * max_entry <= 65535.
#ifndef COVE_SRC_ENGINE_KERNELS_PQ_KERNELS_H_
#define COVE_SRC_ENGINE_KERNELS_PQ_KERNELS_H_

#include <cstddef>
#include <cstdint>

#include "engine/kernels/distance.h"

namespace cove::engine {

/// Rows per fast-scan block.
inline constexpr size_t kPq4BlockRows = 32;
/// Bytes of the prepared table of m4 sub-quantizers (every level).
inline size_t Pq4PreparedBytes(size_t m4) { return m4 * 32; }
/// Bytes of one block of m4 sub-quantizers.
inline size_t Pq4BlockBytes(size_t m4) { return m4 * 16; }

/// The kernels of one SIMD level. Every entry is non-null.
struct PqKernels {
  SimdLevel level;
  /// ADC tables for every sub-space of a product quantizer: for sub-space
  /// j (dimensions [j * dim / m, (j + 1) * dim / m)), table[j * ksub + c] =
  /// squared L2 distance (ip = false) or inner product (ip = true) between
  /// the query's sub-vector and centroid c, whose coordinates are read from
  /// `transposed` (at offset ksub * first dimension of j, dimension-major:
  /// entry t * ksub + c).
  void (*table)(bool ip, const float* query, const float* transposed,
                size_t dim, size_t m, size_t ksub, float* table);
  /// Lays out a quantized table (m4 x 16 bytes, sub-quantizer-major) as the
  /// level's scan reads it, into Pq4PreparedBytes(m4) bytes.
  void (*pq4_prepare)(const uint8_t* table, size_t m4, uint8_t* prepared);
  /// Scores the 32 rows of one block: out[v] = sum over the m4
  /// sub-quantizers of table entry (j, code(j, v)), and returns the mask of
  /// rows v with out[v] < threshold (bit v).
  uint32_t (*pq4_scan)(const uint8_t* block, size_t m4, const uint8_t* prepared,
                       uint16_t threshold, uint16_t* out);
};

/// The kernels of the active level (ActiveSimdLevel()). The reference stays
/// valid for the life of the process.
const PqKernels& ActivePqKernels();
/// The kernels of `level`, or null when this build or CPU cannot run them.
const PqKernels* PqKernelsFor(SimdLevel level);

/// A float table turned into bytes for the fast-scan: entry (j, c) becomes
/// round((table[j * 16 + c] - min_j) * scale), where min_j is the smallest
/// entry of row j, and scale is chosen so that the largest row range maps
/// to `max_entry` = min(255, 65535 / m4): a row of codes then sums to at
/// most 65535. The table's value of a sum s of quantized entries is
/// `bias + s / scale`, with bias = sum_j min_j. Rows m..m4-1 of `out` are
/// zero. `m` rows of 16 floats in, m4 rows of 16 bytes out.
struct Pq4Quantized {
  float bias = 0.0f;
  float scale = 0.0f;  // 0 when every row is constant
};
Pq4Quantized QuantizeTable(const float* table, size_t m, size_t m4,
                           uint8_t* out);

}  // namespace cove::engine

namespace cove::internal {

/// The tables of each level (null when not compiled in), for the dispatcher
/// and the tests.
const engine::PqKernels& ScalarPqKernels();
const engine::PqKernels* Avx2PqKernels();
const engine::PqKernels* Avx512PqKernels();

}  // namespace cove::internal

#endif  // COVE_SRC_ENGINE_KERNELS_PQ_KERNELS_H_
