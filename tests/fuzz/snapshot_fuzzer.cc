// Fuzz target: loading a snapshot (embedded_connection.cc LoadSnapshotLocked,
// engine/collection_io.cc Collection::Deserialize for format versions 1 and
// 2, segments, tombstones, primary-key maps and the saved vector indexes).
//
// Input: the snapshot body. The harness writes it as snapshot-1.cove with a
// valid header and checksum (engine/store.cc format), so the decoders see
// arbitrary bytes rather than failing the checksum. Then, as for the WAL
// target, the store is opened, exercised, closed (a checkpoint that
// serializes the loaded state) and opened again, which must succeed.
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

#include "common/crc32c.h"
#include "fuzz/fuzz_util.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static cove::fuzz::ScratchDir scratch;  // removed at exit
  cove::fuzz::ScratchDir* dir = &scratch;
  if (size > (1u << 18)) return -1;
  dir->Clear();
  std::string_view body(reinterpret_cast<const char*>(data), size);
  // Header: "COVESNP1", u32 flags (0: plaintext), 16-byte key id (zero),
  // u64 body length at 28, u32 crc32c of the body at 36.
  std::string file(40, '\0');
  std::memcpy(file.data(), "COVESNP1", 8);
  uint64_t length = body.size();
  uint32_t crc = cove::internal::Crc32c(body);
  std::memcpy(file.data() + 28, &length, 8);
  std::memcpy(file.data() + 36, &crc, 4);
  file.append(body);
  cove::fuzz::WriteFileOrDie(dir->File("snapshot-1.cove"), file);
  cove::fuzz::OpenExerciseReopen(dir->path());
  return 0;
}
