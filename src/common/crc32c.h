// CRC32C (Castagnoli), used to frame write-ahead-log records and snapshots.
// Uses the SSE4.2 crc32 instruction when the CPU has it (checked once), a
// slicing-by-8 table otherwise.
#ifndef COVE_SRC_COMMON_CRC32C_H_
#define COVE_SRC_COMMON_CRC32C_H_

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace cove::internal {

/// Extends `crc` (0 for a new checksum) with `n` bytes.
uint32_t Crc32cExtend(uint32_t crc, const void* data, size_t n);

/// The CRC32C of a byte string.
inline uint32_t Crc32c(std::string_view bytes) {
  return Crc32cExtend(0, bytes.data(), bytes.size());
}

/// The portable implementation (tests compare both paths).
uint32_t Crc32cExtendPortable(uint32_t crc, const void* data, size_t n);

}  // namespace cove::internal

#endif  // COVE_SRC_COMMON_CRC32C_H_
