// Fuzz target: recovery from the write-ahead log (engine/wal.cc framing and
// checksums, engine/store.cc recovery and torn-tail truncation, and the
// replay of every record type in embedded_connection.cc and
// engine/collection_io.cc).
//
// Input, first byte:
//   even: the rest is the log file itself (wal-0.log), header and frames,
//         so the frame parser sees arbitrary bytes;
//   odd:  the rest is a list of records separated by "|REC|", framed with
//         valid checksums by WalWriter, so record decoding and replay see
//         arbitrary record contents.
// In the first case the store is also opened alone: a record appended after
// recovery must be read back by the next open (no acknowledged write lost).
// Then the store is opened (every error must be a Status), exercised through
// the Connection API, closed (a checkpoint) and opened again, which must
// succeed: whatever recovery accepted, the engine must be able to write back
// and read again.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "engine/storage/store.h"
#include "engine/storage/wal.h"
#include "fuzz/fuzz_util.h"

namespace {
constexpr std::string_view kSeparator = "|REC|";
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static cove::fuzz::ScratchDir scratch;  // removed at exit
  cove::fuzz::ScratchDir* dir = &scratch;
  if (size < 1 || size > (1u << 16)) return -1;
  dir->Clear();
  const std::string wal_path = dir->File("wal-0.log");
  std::string_view rest(reinterpret_cast<const char*>(data) + 1, size - 1);
  if ((data[0] & 1) == 0) {
    cove::fuzz::WriteFileOrDie(wal_path, rest);
    // The store alone first: whatever it recovers, a record appended after
    // recovery must be the last record read by the next open.
    auto ignore = [](std::string_view) { return absl::OkStatus(); };
    cove::engine::StoreOptions options;
    options.sync = false;
    auto store =
        cove::engine::Store::Open(dir->path(), options, ignore, ignore);
    if (store.ok()) {
      if (absl::Status s = (*store)->Append("fuzz-marker"); !s.ok()) {
        cove::fuzz::Fail("append after recovery", s);
      }
      store->reset();
      std::string last;
      auto reopened = cove::engine::Store::Open(dir->path(), options, ignore,
                                                [&](std::string_view record) {
                                                  last = std::string(record);
                                                  return absl::OkStatus();
                                                });
      if (!reopened.ok()) {
        cove::fuzz::Fail("reopen after an acknowledged append",
                         reopened.status());
      }
      if (last != "fuzz-marker") {
        cove::fuzz::Fail("reopen after an acknowledged append",
                         absl::DataLossError("the appended record is lost"));
      }
    } else if (store.status().message().empty()) {
      cove::fuzz::Fail("open store", store.status());
    }
    dir->Clear();
    cove::fuzz::WriteFileOrDie(wal_path, rest);
  } else {
    auto writer = cove::engine::WalWriter::Create(wal_path, nullptr, false);
    if (!writer.ok()) cove::fuzz::Fail("create log", writer.status());
    while (true) {
      size_t end = rest.find(kSeparator);
      std::string_view record = rest.substr(0, end);
      if (absl::Status s = (*writer)->Append(record); !s.ok()) {
        cove::fuzz::Fail("append", s);
      }
      if (end == std::string_view::npos) break;
      rest.remove_prefix(end + kSeparator.size());
    }
  }
  cove::fuzz::OpenExerciseReopen(dir->path());
  return 0;
}
