// The on-disk format of cluster backups, independent of the control plane:
// a consistent-per-collection export of schemas, partitions, indexes and
// rows read through a data plane's Connection, and its restore.
//
// A backup directory (mode 0700, files 0600) holds:
//   manifest.json   plaintext: format, the backup it belongs to (its
//                   resource name: "owner"), encryption (key reference and
//                   key fingerprint, never the key), and every other file
//                   with its size and SHA-256; a file is listed before it is
//                   written, so that the files of an interrupted backup can
//                   be found and removed;
//   catalog.json.enc  collections: database, name, schema, partitions,
//                   indexes, row count and data file;
//   data-N.jsonl.enc  one JSON line per row: {"p": partition, "r": row}.
// Every file but the manifest is sealed whole with AES-256-GCM (the file name
// as associated data): backups are always encrypted. Backups written by
// earlier versions may be plaintext ("catalog.json", "data-N.jsonl", no
// owner); they are still read, never written.
// Values keep their kinds exactly: float vectors as base64 of little-endian
// float32, JSON objects tagged, non-finite doubles tagged.
#ifndef COVE_SRC_HOSTING_BACKUP_FORMAT_H_
#define COVE_SRC_HOSTING_BACKUP_FORMAT_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "common/cipher.h"
#include "cove/connection.h"

namespace cove::hosting {

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

/// Writes backup `owner` (its resource name, recorded in the manifest) of
/// `collections` (empty: every collection of every database) from `conn`
/// into `dir`, which must not exist (AlreadyExists): it is created with mode
/// 0700 (missing parents too), its files with 0600. `cipher` seals the
/// catalog and the data; `key_ref` names its key in the manifest. On
/// failure the files written are removed (DeleteBackupFiles).
absl::StatusOr<BackupSummary> WriteBackup(
    Connection& conn, const std::vector<CollectionRef>& collections,
    const std::string& dir, const internal::Cipher& cipher,
    const std::string& key_ref, const std::string& owner);

/// Removes the files of backup `owner` from `dir`: only the files its
/// manifest lists and the manifest, then `dir` and its parent when they are
/// left empty. Nothing is removed when the manifest belongs to another
/// backup (a manifest without an owner, from an earlier version, counts as
/// `owner`'s), nor when there is no manifest (then `dir` is removed only
/// when empty). OK when `dir` does not exist; Unavailable when a file
/// cannot be removed.
absl::Status DeleteBackupFiles(const std::string& dir,
                               const std::string& owner);

/// Reads the manifest of `dir`: whether it is encrypted and the key
/// fingerprint. DataLoss naming the file when unreadable.
struct BackupHeader {
  bool encrypted = false;
  std::string key_ref;
  std::string key_id;
};
absl::StatusOr<BackupHeader> ReadBackupHeader(const std::string& dir);

/// Verifies every file of `dir` against the manifest (sizes, SHA-256).
/// With `owner`, FailedPrecondition when the manifest belongs to another
/// backup.
absl::Status VerifyBackup(const std::string& dir,
                          const std::string& owner = "");

/// Restores `collections` (empty: all) of the backup in `dir` into `conn`.
/// Verifies first (DataLoss naming the file); a collection that exists is
/// AlreadyExists unless `overwrite` (then dropped and replaced); a reference
/// not in the backup is NotFound. Returns the summary of what was restored.
/// With `owner`, the backup must be that one's (as VerifyBackup).
absl::StatusOr<BackupSummary> RestoreBackupInto(
    Connection& conn, const std::string& dir, const internal::Cipher* cipher,
    const std::vector<CollectionRef>& collections, bool overwrite,
    const std::string& owner = "");

/// The key reference of the backup data key of cluster `cluster_name`
/// ("organizations/.../clusters/{id}"): "keys/backup-{id}". Clusters without
/// a customer-managed key seal their backups with it; it lives in the
/// environment's key store like customer keys.
std::string BackupDataKeyRef(const std::string& cluster_name);

/// True for the name part of a key reference ("keys/{name}"): a valid id,
/// or "backup-" and a valid id (data keys).
bool ValidKeyName(const std::string& name);

/// The cipher of the key file `path`; when the file does not exist, a new
/// random 32-byte key is written there first (hex, mode 0600, its directory
/// created with 0700). For backup data keys, never customer keys.
absl::StatusOr<internal::Cipher> LoadOrCreateDataKey(const std::string& path);

/// Reads the catalog of the backup in `dir` (checking the key and `owner`
/// as RestoreBackupInto) and checks that `collections` are in it
/// (NotFound otherwise); nothing is restored.
absl::Status CheckBackupSelection(const std::string& dir,
                                  const internal::Cipher* cipher,
                                  const std::vector<CollectionRef>& collections,
                                  const std::string& owner = "");

/// Only the conflict check of RestoreBackupInto (nothing is changed).
absl::Status CheckRestoreConflicts(
    Connection& conn, const std::string& dir, const internal::Cipher* cipher,
    const std::vector<CollectionRef>& collections, bool overwrite,
    const std::string& owner = "");

}  // namespace cove::hosting

#endif  // COVE_SRC_HOSTING_BACKUP_FORMAT_H_
