// Helpers shared by the fuzz targets: scratch directories and a bounded
// workout of an opened embedded store.
#ifndef COVE_TESTS_FUZZ_FUZZ_UTIL_H_
#define COVE_TESTS_FUZZ_FUZZ_UTIL_H_

#include <dirent.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "cove/connection.h"
#include "cove/options.h"
#include "cove/types.h"
#include "embedded/embedded_connection.h"

namespace cove::fuzz {

/// Aborts with a message (libFuzzer then saves the input as a crash).
[[noreturn]] inline void Fail(const std::string& what,
                              const absl::Status& status) {
  std::fprintf(stderr, "fuzz check failed: %s: %s\n", what.c_str(),
               status.ToString().c_str());
  std::abort();
}

/// An empty scratch directory, on tmpfs when there is one (fsync is cheap
/// there), removed with its files on destruction. Created once per process
/// and emptied for every input.
class ScratchDir {
 public:
  ScratchDir() {
    const char* base = std::getenv("COVE_FUZZ_TMPDIR");
    std::string root = base != nullptr                   ? base
                       : ::access("/dev/shm", W_OK) == 0 ? "/dev/shm"
                                                         : "/tmp";
    std::string tmpl = root + "/cove-fuzz-XXXXXX";
    if (::mkdtemp(tmpl.data()) == nullptr) {
      std::perror("mkdtemp");
      std::abort();
    }
    path_ = tmpl;
  }
  ~ScratchDir() {
    Clear();
    ::rmdir(path_.c_str());
  }
  const std::string& path() const { return path_; }
  std::string File(const std::string& name) const { return path_ + "/" + name; }
  /// Removes every file in the directory (it holds no subdirectories).
  void Clear() const {
    DIR* d = ::opendir(path_.c_str());
    if (d == nullptr) return;
    std::vector<std::string> names;
    while (struct dirent* e = ::readdir(d)) {
      std::string n = e->d_name;
      if (n != "." && n != "..") names.push_back(n);
    }
    ::closedir(d);
    for (const auto& n : names) ::unlink(File(n).c_str());
  }

 private:
  std::string path_;
};

inline void WriteFileOrDie(const std::string& path, std::string_view bytes) {
  FILE* f = std::fopen(path.c_str(), "wb");
  if (f == nullptr ||
      std::fwrite(bytes.data(), 1, bytes.size(), f) != bytes.size() ||
      std::fclose(f) != 0) {
    std::perror(path.c_str());
    std::abort();
  }
}

/// Options for opening fuzzed stores: no fsync, one index thread, small
/// segments (so sealing and compaction paths run).
inline EmbeddedOptions FuzzEmbeddedOptions() {
  EmbeddedOptions o;
  o.sync = EmbeddedOptions::SyncPolicy::kNone;
  o.index_threads = 1;
  o.segment_seal_rows = 8;
  return o;
}

/// Reads everything an opened store holds through the public API: every
/// database, collection, description, statistics, indexes, a query of up to
/// 16 rows with all fields, a count, and (when the collection can be loaded)
/// a search with a zero vector on each vector field. Errors are fine (a
/// fuzzed store may hold odd but valid state); crashes are not.
inline void Exercise(Connection& c) {
  auto dbs = c.ListDatabases(CallOptions{});
  if (!dbs.ok()) return;
  for (const std::string& db : *dbs) {
    CallOptions call;
    call.db_name = db;
    auto names = c.ListCollections(call);
    if (!names.ok()) continue;
    for (const std::string& name : *names) {
      auto d = c.DescribeCollection(name, call);
      if (!d.ok()) continue;
      (void)c.GetCollectionStats(name, call);
      (void)c.DescribeIndexes(name, call);
      (void)c.ListPartitions(name, call);
      if (!c.LoadCollection(name, call).ok()) continue;
      QueryRequest q;
      q.collection_name = name;
      q.output_fields = {"*"};
      q.limit = 16;
      (void)c.Query(q, call);
      QueryRequest count;
      count.collection_name = name;
      count.output_fields = {"count(*)"};
      (void)c.Query(count, call);
      for (const FieldSchema& f : d->schema.fields) {
        if (f.type != DataType::kFloatVector || f.dim <= 0 || f.dim > 4096) {
          continue;
        }
        SearchRequest s;
        s.collection_name = name;
        s.anns_field = f.name;
        s.dim = static_cast<size_t>(f.dim);
        s.vectors.assign(s.dim, 0.5f);
        s.limit = 4;
        s.output_fields = {"*"};
        (void)c.Search(s, call);
      }
    }
  }
}

/// Opens the store in `dir`, exercises it, closes it (a checkpoint) and
/// opens it again: a state that opened once must open again after the
/// engine wrote it back, and hold the same collections.
inline void OpenExerciseReopen(const std::string& dir) {
  size_t collections = 0;
  {
    auto c = internal::MakeEmbeddedConnection(dir, FuzzEmbeddedOptions());
    if (!c.ok()) {
      // Bad bytes are reported as errors, never as success with a wrong
      // state; an error must say what is wrong.
      if (c.status().message().empty()) Fail("open", c.status());
      return;
    }
    Exercise(**c);
    auto dbs = (*c)->ListDatabases(CallOptions{});
    if (dbs.ok()) {
      for (const auto& db : *dbs) {
        CallOptions call;
        call.db_name = db;
        auto names = (*c)->ListCollections(call);
        if (names.ok()) collections += names->size();
      }
    }
  }
  auto again = internal::MakeEmbeddedConnection(dir, FuzzEmbeddedOptions());
  if (!again.ok()) Fail("reopen after checkpoint", again.status());
  size_t collections_again = 0;
  auto dbs = (*again)->ListDatabases(CallOptions{});
  if (!dbs.ok()) Fail("list databases after reopen", dbs.status());
  for (const auto& db : *dbs) {
    CallOptions call;
    call.db_name = db;
    auto names = (*again)->ListCollections(call);
    if (!names.ok()) Fail("list collections after reopen", names.status());
    collections_again += names->size();
  }
  if (collections != collections_again) {
    Fail("reopen after checkpoint",
         absl::InternalError(
             "collection count changed: " + std::to_string(collections) +
             " -> " + std::to_string(collections_again)));
  }
}

}  // namespace cove::fuzz

#endif  // COVE_TESTS_FUZZ_FUZZ_UTIL_H_
