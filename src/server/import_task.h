// Bulk import for cove-server (Milvus' Import, GetImportState,
// ListImportTasks): files placed in the server's import directory, the local
// stand-in for Milvus' bucket, are read and inserted by a background worker,
// with progress.
//
// Formats (as Milvus' bulk insert):
//   - row-based JSON (`.json`): a list of row objects, or {"rows": [...]};
//   - NumPy (`.npy`): one file per field, named after the field
//     (`<field>.npy`), all files of one request making one batch of
//     columns. dtypes: bool, int8..int64, float32, float64 and unicode
//     strings (`<U`); float vectors are 2-D float32 arrays.
// Other formats (Parquet, CSV) fail the task with a message naming them.
#ifndef COVE_SRC_SERVER_IMPORT_TASK_H_
#define COVE_SRC_SERVER_IMPORT_TASK_H_

#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "cove/connection.h"
#include "cove/types.h"

namespace cove::server {

/// What GetImportState reports about one task.
struct ImportTaskState {
  enum class Phase { kPending, kRunning, kCompleted, kFailed };
  int64_t id = 0;
  Phase phase = Phase::kPending;
  std::string collection;
  std::string partition;
  std::string db_name;
  int64_t collection_id = 0;
  std::vector<std::string> files;
  int64_t rows_total = 0;     // known once the files are read
  int64_t rows_imported = 0;  // inserted so far
  std::vector<Value> auto_ids;
  std::string failed_reason;
  uint64_t create_ts = 0;  // hybrid timestamp
  /// 0..100.
  int progress() const;
};

/// Runs imports one after the other on one background thread.
///
/// Thread safety: every method may be called from many threads.
class ImportManager {
 public:
  /// `dir`: the import directory; files of requests are relative to it.
  ImportManager(std::shared_ptr<Connection> connection, std::string dir);
  ~ImportManager();
  ImportManager(const ImportManager&) = delete;
  ImportManager& operator=(const ImportManager&) = delete;

  /// Queues a task. InvalidArgument for no files, absolute paths or paths
  /// leaving the directory; FailedPrecondition without an import directory.
  absl::StatusOr<int64_t> Start(ImportTaskState task, const CallOptions& call);
  /// NotFound for an unknown id.
  absl::StatusOr<ImportTaskState> Get(int64_t id) const;
  /// Tasks of a collection (all when empty) in creation order; the most
  /// recent `limit` when limit > 0.
  std::vector<ImportTaskState> List(const std::string& collection,
                                    const std::string& db_name,
                                    int64_t limit) const;

 private:
  struct Queued {
    int64_t id;
    CallOptions call;
  };
  void Work();
  absl::Status Run(int64_t id, const CallOptions& call);
  absl::StatusOr<std::vector<Row>> ReadRows(const ImportTaskState& task,
                                            const CollectionSchema& schema);
  void Update(int64_t id, const std::function<void(ImportTaskState&)>& fn);

  const std::shared_ptr<Connection> connection_;
  const std::string dir_;
  mutable absl::Mutex mu_;
  std::map<int64_t, ImportTaskState> tasks_ ABSL_GUARDED_BY(mu_);
  std::deque<Queued> queue_ ABSL_GUARDED_BY(mu_);
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  int64_t next_id_ ABSL_GUARDED_BY(mu_) = 1;
  std::thread worker_;
};

/// Parses a NumPy .npy file into one value per row (2-D float32 arrays into
/// float vectors). InvalidArgument naming the file for unsupported dtypes,
/// Fortran order or malformed headers.
absl::StatusOr<std::vector<Value>> ParseNpy(const std::string& name,
                                            const std::string& bytes);

}  // namespace cove::server

#endif  // COVE_SRC_SERVER_IMPORT_TASK_H_
