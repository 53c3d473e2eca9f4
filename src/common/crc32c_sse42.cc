// CRC32C with the SSE4.2 crc32 instruction. Compiled with -msse4.2; only
// called after a CPU check.
#if defined(__x86_64__)
#include <nmmintrin.h>

#include <cstddef>
#include <cstdint>
#include <cstring>

namespace cove::internal {

uint32_t Crc32cExtendSse42(uint32_t crc, const void* data, size_t n) {
  const auto* p = static_cast<const uint8_t*>(data);
  uint64_t c = ~crc;
  while (n >= 8) {
    uint64_t word;
    std::memcpy(&word, p, 8);
    c = _mm_crc32_u64(c, word);
    p += 8;
    n -= 8;
  }
  uint32_t c32 = static_cast<uint32_t>(c);
  while (n-- > 0) c32 = _mm_crc32_u8(c32, *p++);
  return ~c32;
}

}  // namespace cove::internal
#endif
