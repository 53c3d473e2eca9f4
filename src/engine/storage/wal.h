// The write-ahead log of the embedded engine.
//
// File layout: a 32-byte header ("COVEWAL1", format version, flags, the key
// id of the encryption key or zeros), then frames:
//
//   u32 length | u32 crc32c(payload) | u32 crc32c(length, payload crc) |
//   payload
//
// With encryption the payload is an AES-256-GCM sealed message. Every
// frame is written with one writev() call; with SyncPolicy kPerBatch the file
// is fsynced before Append returns, so an acknowledged record survives power
// loss.
//
// Reading distinguishes a torn tail (the last frame is incomplete, or it is
// the last frame and its payload checksum fails, or the rest of the file is
// zeros) from corruption (a bad frame followed by more data): the first is
// reported and, for a writer, truncated; the second is DataLoss naming the
// file and the offset.
#ifndef COVE_SRC_ENGINE_STORAGE_WAL_H_
#define COVE_SRC_ENGINE_STORAGE_WAL_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "common/cipher.h"

namespace cove::engine {

inline constexpr size_t kWalHeaderSize = 32;
inline constexpr size_t kWalFrameHeaderSize = 12;
/// Largest record accepted (and believed when reading).
inline constexpr uint32_t kWalMaxRecord = 1u << 30;

class WalWriter {
 public:
  /// Creates the file (it must not exist) and writes its header.
  static absl::StatusOr<std::unique_ptr<WalWriter>> Create(
      const std::string& path, const internal::Cipher* cipher, bool sync);
  /// Opens an existing, already recovered log for appending at `size`
  /// (bytes after `size` are cut off: that is how a torn tail is removed).
  /// A `size` below the header size (the header itself was torn) rewrites
  /// the header.
  static absl::StatusOr<std::unique_ptr<WalWriter>> OpenForAppend(
      const std::string& path, uint64_t size, const internal::Cipher* cipher,
      bool sync);
  ~WalWriter();

  /// Appends one record. ResourceExhausted when the disk is full, Internal
  /// for other I/O errors. After an error nothing of the record is
  /// considered written (a partial frame is cut off).
  ///
  /// `while_syncing` (optional) runs once the record is written, while it is
  /// flushed to disk (on another thread): work that must not depend on the
  /// record being durable, such as staging rows that are published only
  /// once Append returned OK. It is not called when the write fails.
  absl::Status Append(std::string_view record,
                      const std::function<void()>& while_syncing = {});

  uint64_t size() const { return size_; }
  const std::string& path() const { return path_; }

 private:
  WalWriter(std::string path, int fd, uint64_t size,
            const internal::Cipher* cipher, bool sync)
      : path_(std::move(path)),
        fd_(fd),
        size_(size),
        cipher_(cipher),
        sync_(sync) {}

  std::string path_;
  int fd_;
  uint64_t size_;
  const internal::Cipher* cipher_;
  bool sync_;
};

/// What reading a log found.
struct WalReadResult {
  /// Records delivered.
  uint64_t records = 0;
  /// Offset just past the last good frame.
  uint64_t valid_size = 0;
  /// Bytes of an incomplete or torn last frame (0 when the tail is clean).
  uint64_t torn_bytes = 0;
};

/// Reads every record of a log and calls `on_record` for each, in order.
/// DataLoss for corruption before the tail (naming the file and offset), for
/// a header that is not a Cove log, or for a record that does not decrypt;
/// FailedPrecondition when the log was written with another key (or without
/// encryption when a key is given, and the other way round).
/// An error from `on_record` stops the read and is returned.
absl::StatusOr<WalReadResult> ReadWal(
    const std::string& path, const internal::Cipher* cipher,
    const std::function<absl::Status(std::string_view)>& on_record);

/// fsyncs a directory (after creating or renaming files in it).
absl::Status SyncDirectory(const std::string& dir);

/// Maps errno of a failed write to a status: ENOSPC/EDQUOT/EFBIG are
/// ResourceExhausted, the rest Internal.
absl::Status IoError(const std::string& what, int error_number);

}  // namespace cove::engine

#endif  // COVE_SRC_ENGINE_STORAGE_WAL_H_
