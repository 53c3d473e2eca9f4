// The cloud emulator's durable state: a SQLite database (WAL mode) in the
// state directory holding every resource as a serialized proto, keyed by
// kind and name, plus the append-only audit log.
#ifndef COVE_SRC_CLOUD_STORE_H_
#define COVE_SRC_CLOUD_STORE_H_

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

struct sqlite3;

namespace cove::cloud {

/// Thread safety: not thread-safe; the caller serializes (CloudCore holds
/// its mutex around every call).
class Store {
 public:
  ~Store();
  Store(const Store&) = delete;
  Store& operator=(const Store&) = delete;

  /// Opens (creating) `path`. Unavailable when it cannot be opened; DataLoss
  /// when it is not a database.
  static absl::StatusOr<std::unique_ptr<Store>> Open(const std::string& path);

  /// Inserts or replaces one record.
  absl::Status Put(const std::string& kind, const std::string& name,
                   const std::string& data);
  absl::Status Delete(const std::string& kind, const std::string& name);
  /// Every record of a kind, sorted by name.
  absl::StatusOr<std::vector<std::pair<std::string, std::string>>> LoadKind(
      const std::string& kind);

  /// Savepoints: the writes between Begin() and Commit() are one atomic
  /// change (a crash keeps all or none of them); Rollback() undoes them.
  /// They nest. Use Store::Atomic rather than these directly.
  absl::Status Begin();
  absl::Status Commit();
  void Rollback();

  /// Begin() now; Rollback() when destroyed without Commit().
  class Atomic {
   public:
    explicit Atomic(Store* store) : store_(store) {
      begun_ = store_->Begin().ok();
    }
    ~Atomic() {
      if (begun_) store_->Rollback();
    }
    Atomic(const Atomic&) = delete;
    Atomic& operator=(const Atomic&) = delete;
    absl::Status Commit() {
      if (!begun_) return absl::OkStatus();
      begun_ = false;
      return store_->Commit();
    }

   private:
    Store* store_;
    bool begun_ = false;
  };

  /// The audit log: `id` increases.
  absl::Status AppendAudit(int64_t id, const std::string& data);
  absl::StatusOr<std::vector<std::pair<int64_t, std::string>>> LoadAudit();

 private:
  explicit Store(sqlite3* db) : db_(db) {}
  absl::Status Exec(const char* sql);
  absl::Status Error(const char* what) const;

  sqlite3* db_;
};

}  // namespace cove::cloud

#endif  // COVE_SRC_CLOUD_STORE_H_
