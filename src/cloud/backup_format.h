// The on-disk format of cluster backups, independent of the control plane:
// a consistent-per-collection export of schemas, partitions, indexes and
// rows read through a data plane's Connection, and its restore.
//
// A backup directory holds:
//   manifest.json   plaintext: format, encryption (key reference and key
//                   fingerprint, never the key), and every other file with
//                   its size and SHA-256;
//   catalog.json    collections: database, name, schema, partitions,
//                   indexes, row count and data file (".enc" when sealed);
//   data-N.jsonl    one JSON line per row: {"p": partition, "r": row}
//                   (".enc": the whole file sealed with AES-256-GCM).
// Values keep their kinds exactly: float vectors as base64 of little-endian
// float32, JSON objects tagged, non-finite doubles tagged.
#ifndef COVE_SRC_CLOUD_BACKUP_FORMAT_H_
#define COVE_SRC_CLOUD_BACKUP_FORMAT_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "common/cipher.h"
#include "cove/connection.h"

namespace cove::cloud {

/// "db.collection" or "collection" (default database).
struct CollectionRef {
  std::string db;
  std::string name;
  std::string Display() const;
};

/// Parses collection references; InvalidArgument naming `field`.
absl::StatusOr<std::vector<CollectionRef>> ParseCollectionRefs(
    const std::string& field, const std::vector<std::string>& refs);

struct BackupSummary {
  std::vector<std::string> collections;  // "db.collection"
  int64_t rows = 0;
  int64_t bytes = 0;  // on disk
};

/// Writes a backup of `collections` (empty: every collection of every
/// database) from `conn` into `dir` (created; must not exist). `cipher`
/// (may be null) seals the catalog and the data; `key_ref` is recorded.
/// On failure the directory is removed.
absl::StatusOr<BackupSummary> WriteBackup(
    Connection& conn, const std::vector<CollectionRef>& collections,
    const std::string& dir, const internal::Cipher* cipher,
    const std::string& key_ref);

/// Reads the manifest of `dir`: whether it is encrypted and the key
/// fingerprint. DataLoss naming the file when unreadable.
struct BackupHeader {
  bool encrypted = false;
  std::string key_ref;
  std::string key_id;
};
absl::StatusOr<BackupHeader> ReadBackupHeader(const std::string& dir);

/// Verifies every file of `dir` against the manifest (sizes, SHA-256).
absl::Status VerifyBackup(const std::string& dir);

/// Restores `collections` (empty: all) of the backup in `dir` into `conn`.
/// Verifies first (DataLoss naming the file); a collection that exists is
/// AlreadyExists unless `overwrite` (then dropped and replaced); a reference
/// not in the backup is NotFound. Returns the summary of what was restored.
absl::StatusOr<BackupSummary> RestoreBackupInto(
    Connection& conn, const std::string& dir, const internal::Cipher* cipher,
    const std::vector<CollectionRef>& collections, bool overwrite);

/// Only the conflict check of RestoreBackupInto (nothing is changed).
absl::Status CheckRestoreConflicts(
    Connection& conn, const std::string& dir, const internal::Cipher* cipher,
    const std::vector<CollectionRef>& collections, bool overwrite);

}  // namespace cove::cloud

#endif  // COVE_SRC_CLOUD_BACKUP_FORMAT_H_
