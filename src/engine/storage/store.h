// The durable store of the embedded engine: one data directory holding
//
//   LOCK                 flock()ed by the one writer; names the holder
//   snapshot-<seq>.cove  the whole state at a checkpoint (optional)
//   wal-<seq>.log        records written since that checkpoint
//
// A checkpoint writes snapshot-<seq+1>.cove.tmp, fsyncs it, renames it,
// starts wal-<seq+1>.log and only then removes the older files, so a crash
// at any point leaves a consistent (snapshot, log) pair. Opening replays the
// newest snapshot and then its log.
//
// One process may open a directory for writing; a second writer gets
// FailedPrecondition naming the holder. Any number of processes may open it
// read-only: they load what was committed when they opened.
#ifndef COVE_SRC_ENGINE_STORAGE_STORE_H_
#define COVE_SRC_ENGINE_STORAGE_STORE_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "common/cipher.h"
#include "engine/storage/wal.h"

namespace cove::engine {

struct StoreOptions {
  bool read_only = false;
  /// fsync every appended record (true) or leave it to the OS (false).
  bool sync = true;
  /// Encryption at rest; nullopt for plaintext.
  std::optional<internal::Cipher> cipher;
};

/// What recovery found (for logs and tests).
struct RecoveryReport {
  uint64_t snapshot_seq = 0;
  uint64_t records_replayed = 0;
  /// Bytes of a torn last record that were dropped (never acknowledged).
  uint64_t torn_bytes = 0;
};

class Store {
 public:
  /// Opens (creating it when needed, unless read-only) the directory.
  /// `load_snapshot` receives the newest snapshot's bytes (if any), then
  /// `replay` every record of its log in order.
  static absl::StatusOr<std::unique_ptr<Store>> Open(
      const std::string& dir, StoreOptions options,
      const std::function<absl::Status(std::string_view)>& load_snapshot,
      const std::function<absl::Status(std::string_view)>& replay);
  ~Store();

  bool read_only() const { return options_.read_only; }
  const RecoveryReport& recovery() const { return recovery_; }
  const std::string& dir() const { return dir_; }

  /// Appends a record (durable on return when sync is on).
  /// FailedPrecondition on a read-only store. `while_syncing`: see
  /// WalWriter::Append.
  absl::Status Append(std::string_view record,
                      const std::function<void()>& while_syncing = {});

  /// Bytes in the current log.
  uint64_t log_size() const;

  /// Writes `state` as the new snapshot and starts an empty log. The caller
  /// must make sure no record is appended while it runs (the state must
  /// include every record appended before).
  absl::Status Checkpoint(std::string_view state);

 private:
  Store(std::string dir, StoreOptions options)
      : dir_(std::move(dir)), options_(std::move(options)) {}
  const internal::Cipher* cipher() const {
    return options_.cipher.has_value() ? &*options_.cipher : nullptr;
  }
  absl::Status Lock();
  std::string SnapshotPath(uint64_t seq) const;
  std::string WalPath(uint64_t seq) const;
  absl::StatusOr<std::string> ReadSnapshot(uint64_t seq) const;

  const std::string dir_;
  const StoreOptions options_;
  int lock_fd_ = -1;
  RecoveryReport recovery_;
  mutable absl::Mutex mu_;
  uint64_t seq_ = 0;
  std::unique_ptr<WalWriter> wal_;
};

}  // namespace cove::engine

#endif  // COVE_SRC_ENGINE_STORAGE_STORE_H_
