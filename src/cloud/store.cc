// SQLite persistence of the cloud emulator.
#include "cloud/store.h"

#include <fcntl.h>
#include <sqlite3.h>
#include <unistd.h>

#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "hosting/private_files.h"

namespace cove::cloud {
namespace {

// A prepared statement, finalized on scope exit.
class Stmt {
 public:
  Stmt(sqlite3* db, const char* sql) {
    rc_ = sqlite3_prepare_v2(db, sql, -1, &stmt_, nullptr);
  }
  ~Stmt() { sqlite3_finalize(stmt_); }
  bool ok() const { return rc_ == SQLITE_OK; }
  sqlite3_stmt* get() { return stmt_; }
  void BindText(int i, const std::string& s) {
    sqlite3_bind_text(stmt_, i, s.data(), static_cast<int>(s.size()),
                      SQLITE_TRANSIENT);
  }
  void BindBlob(int i, const std::string& s) {
    sqlite3_bind_blob(stmt_, i, s.data(), static_cast<int>(s.size()),
                      SQLITE_TRANSIENT);
  }
  std::string Column(int i) {
    const void* p = sqlite3_column_blob(stmt_, i);
    int n = sqlite3_column_bytes(stmt_, i);
    return p == nullptr ? std::string()
                        : std::string(static_cast<const char*>(p), n);
  }

 private:
  sqlite3_stmt* stmt_ = nullptr;
  int rc_;
};

}  // namespace

Store::~Store() { sqlite3_close_v2(db_); }

absl::Status Store::Error(const char* what) const {
  return absl::InternalError(
      absl::StrCat("state database: ", what, ": ", sqlite3_errmsg(db_)));
}

absl::Status Store::Exec(const char* sql) {
  char* err = nullptr;
  if (sqlite3_exec(db_, sql, nullptr, nullptr, &err) != SQLITE_OK) {
    std::string msg = err == nullptr ? "" : err;
    sqlite3_free(err);
    return absl::DataLossError(absl::StrCat("state database: ", msg));
  }
  return absl::OkStatus();
}

absl::StatusOr<std::unique_ptr<Store>> Store::Open(const std::string& path) {
  // The database holds secrets' hashes and every resource: mode 0600 (SQLite
  // gives its -wal and -shm files the database file's mode), created so
  // before SQLite opens it; an older database is restricted too.
  int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (fd >= 0) ::close(fd);
  for (const char* suffix : {"", "-wal", "-shm"}) {
    COVE_RETURN_IF_ERROR(hosting::RestrictMode(path + suffix));
  }
  sqlite3* db = nullptr;
  int rc = sqlite3_open_v2(
      path.c_str(), &db,
      SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_FULLMUTEX,
      nullptr);
  if (rc != SQLITE_OK) {
    std::string msg = db == nullptr ? "out of memory" : sqlite3_errmsg(db);
    sqlite3_close_v2(db);
    return absl::UnavailableError(
        absl::StrCat("state database '", path, "': cannot open (", msg, ")"));
  }
  sqlite3_busy_timeout(db, 5000);
  std::unique_ptr<Store> store(new Store(db));
  COVE_RETURN_IF_ERROR(store->Exec(
      "PRAGMA journal_mode=WAL;"
      "PRAGMA synchronous=NORMAL;"
      "CREATE TABLE IF NOT EXISTS resources("
      "  kind TEXT NOT NULL, name TEXT NOT NULL, data BLOB NOT NULL,"
      "  PRIMARY KEY(kind, name));"
      "CREATE TABLE IF NOT EXISTS audit("
      "  id INTEGER PRIMARY KEY, data BLOB NOT NULL);"));
  return store;
}

absl::Status Store::Put(const std::string& kind, const std::string& name,
                        const std::string& data) {
  Stmt st(db_,
          "INSERT OR REPLACE INTO resources(kind, name, data) VALUES(?,?,?)");
  if (!st.ok()) return Error("prepare put");
  st.BindText(1, kind);
  st.BindText(2, name);
  st.BindBlob(3, data);
  if (sqlite3_step(st.get()) != SQLITE_DONE) return Error("put");
  return absl::OkStatus();
}

absl::Status Store::Delete(const std::string& kind, const std::string& name) {
  Stmt st(db_, "DELETE FROM resources WHERE kind=? AND name=?");
  if (!st.ok()) return Error("prepare delete");
  st.BindText(1, kind);
  st.BindText(2, name);
  if (sqlite3_step(st.get()) != SQLITE_DONE) return Error("delete");
  return absl::OkStatus();
}

absl::StatusOr<std::vector<std::pair<std::string, std::string>>>
Store::LoadKind(const std::string& kind) {
  Stmt st(db_, "SELECT name, data FROM resources WHERE kind=? ORDER BY name");
  if (!st.ok()) return Error("prepare load");
  st.BindText(1, kind);
  std::vector<std::pair<std::string, std::string>> out;
  int rc;
  while ((rc = sqlite3_step(st.get())) == SQLITE_ROW) {
    out.emplace_back(st.Column(0), st.Column(1));
  }
  if (rc != SQLITE_DONE) return Error("load");
  return out;
}

absl::Status Store::Begin() { return Exec("SAVEPOINT cove_atomic"); }

absl::Status Store::Commit() { return Exec("RELEASE cove_atomic"); }

void Store::Rollback() {
  (void)Exec("ROLLBACK TO cove_atomic");
  (void)Exec("RELEASE cove_atomic");
}

absl::Status Store::AppendAudit(int64_t id, const std::string& data) {
  Stmt st(db_, "INSERT INTO audit(id, data) VALUES(?,?)");
  if (!st.ok()) return Error("prepare audit");
  sqlite3_bind_int64(st.get(), 1, id);
  st.BindBlob(2, data);
  if (sqlite3_step(st.get()) != SQLITE_DONE) return Error("audit");
  return absl::OkStatus();
}

absl::StatusOr<std::vector<std::pair<int64_t, std::string>>>
Store::LoadAudit() {
  Stmt st(db_, "SELECT id, data FROM audit ORDER BY id");
  if (!st.ok()) return Error("prepare audit load");
  std::vector<std::pair<int64_t, std::string>> out;
  int rc;
  while ((rc = sqlite3_step(st.get())) == SQLITE_ROW) {
    out.emplace_back(sqlite3_column_int64(st.get(), 0), st.Column(1));
  }
  if (rc != SQLITE_DONE) return Error("audit load");
  return out;
}

}  // namespace cove::cloud
