// The portable reference kernels of binary.h and the dispatch to the table
// of the active SIMD level.
//
// Compiler flags: none beyond the baseline (the popcounts below compile to
// the generic bit-twiddling sequence without -mpopcnt).
#include "engine/kernels/binary.h"

#include <cstring>

namespace cove::engine {
namespace {

// 64-bit words through memcpy (no alignment assumed), then the tail bytes.
inline uint64_t Word(const uint8_t* p) {
  uint64_t w;
  std::memcpy(&w, p, sizeof w);
  return w;
}

inline uint32_t Pop(uint64_t w) {
  return static_cast<uint32_t>(__builtin_popcountll(w));
}

uint32_t HammingRef(const uint8_t* a, const uint8_t* b, size_t n) {
  uint32_t s = 0;
  size_t i = 0;
  for (; i + 8 <= n; i += 8) s += Pop(Word(a + i) ^ Word(b + i));
  for (; i < n; ++i) s += Pop(static_cast<uint64_t>(a[i] ^ b[i]));
  return s;
}

void AndOrRef(const uint8_t* a, const uint8_t* b, size_t n, uint32_t* and_c,
              uint32_t* or_c) {
  uint32_t x = 0, o = 0;
  size_t i = 0;
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

bool ContainsRef(const uint8_t* super, const uint8_t* sub, size_t n) {
  for (size_t i = 0; i < n; ++i) {
    if ((sub[i] & super[i]) != sub[i]) return false;
  }
  return true;
}

void HammingBatchRef(const uint8_t* q, const uint8_t* base, size_t rows,
                     size_t n, uint32_t* out) {
  for (size_t j = 0; j < rows; ++j) out[j] = HammingRef(q, base + j * n, n);
}

void JaccardBatchRef(const uint8_t* q, const uint8_t* base, size_t rows,
                     size_t n, float* out) {
  for (size_t j = 0; j < rows; ++j) {
    uint32_t x, o;
    AndOrRef(q, base + j * n, n, &x, &o);
    out[j] = JaccardFromCounts(x, o);
  }
}

const cove::internal::BinaryKernels& ActiveBinary() {
  const SimdLevel level = ActiveSimdLevel();
  if (level == SimdLevel::kAvx512) {
    if (const auto* k = cove::internal::Avx512BinaryKernels()) return *k;
  }
  if (level == SimdLevel::kAvx2 || level == SimdLevel::kAvx512) {
    if (const auto* k = cove::internal::Avx2BinaryKernels()) return *k;
  }
  return cove::internal::ScalarBinaryKernels();
}

}  // namespace

uint32_t BinaryHamming(const uint8_t* a, const uint8_t* b, size_t n) {
  return ActiveBinary().hamming(a, b, n);
}

void BinaryAndOr(const uint8_t* a, const uint8_t* b, size_t n,
                 uint32_t* and_count, uint32_t* or_count) {
  ActiveBinary().and_or(a, b, n, and_count, or_count);
}

float BinaryJaccard(const uint8_t* a, const uint8_t* b, size_t n) {
  uint32_t x, o;
  ActiveBinary().and_or(a, b, n, &x, &o);
  return JaccardFromCounts(x, o);
}

bool BinaryContains(const uint8_t* super, const uint8_t* sub, size_t n) {
  return ActiveBinary().contains(super, sub, n);
}

void BinaryHammingBatch(const uint8_t* query, const uint8_t* base, size_t rows,
                        size_t n, uint32_t* out) {
  ActiveBinary().hamming_batch(query, base, rows, n, out);
}

void BinaryJaccardBatch(const uint8_t* query, const uint8_t* base, size_t rows,
                        size_t n, float* out) {
  ActiveBinary().jaccard_batch(query, base, rows, n, out);
}

SimdLevel BinaryKernelLevel() { return ActiveBinary().level; }

}  // namespace cove::engine

namespace cove::internal {

const BinaryKernels& ScalarBinaryKernels() {
  static const BinaryKernels kTable = {
      engine::SimdLevel::kScalar, engine::HammingRef,
      engine::AndOrRef,           engine::ContainsRef,
      engine::HammingBatchRef,    engine::JaccardBatchRef,
  };
  return kTable;
}

}  // namespace cove::internal
