// The durable store: directory lock, snapshots, write-ahead log, recovery.
#include "engine/storage/store.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "common/crc32c.h"
#include "common/status_macros.h"
#include "common/strings.h"

namespace cove::engine {
namespace {

constexpr char kSnapshotMagic[8] = {'C', 'O', 'V', 'E', 'S', 'N', 'P', '1'};
constexpr size_t kSnapshotHeaderSize = 40;  // magic, flags, key id, len, crc

struct DirListing {
  std::vector<uint64_t> snapshots;
  std::vector<uint64_t> wals;
};

absl::StatusOr<DirListing> List(const std::string& dir) {
  DIR* d = ::opendir(dir.c_str());
  if (d == nullptr) {
    return IoError(absl::StrCat("open directory '", dir, "'"), errno);
  }
  DirListing out;
  while (struct dirent* e = ::readdir(d)) {
    std::string name = e->d_name;
    uint64_t seq = 0;
    auto parse = [&](absl::string_view prefix, absl::string_view suffix) {
      absl::string_view n = name;
      if (!absl::StartsWith(n, prefix) || !absl::EndsWith(n, suffix)) {
        return false;
      }
      n.remove_prefix(prefix.size());
      n.remove_suffix(suffix.size());
      return absl::SimpleAtoi(n, &seq);
    };
    if (parse("snapshot-", ".cove")) out.snapshots.push_back(seq);
    if (parse("wal-", ".log")) out.wals.push_back(seq);
  }
  ::closedir(d);
  std::sort(out.snapshots.begin(), out.snapshots.end());
  std::sort(out.wals.begin(), out.wals.end());
  return out;
}

absl::Status WriteFileDurably(const std::string& path,
                              std::string_view contents) {
  const std::string tmp = path + ".tmp";
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) return IoError(absl::StrCat("create '", tmp, "'"), errno);
  const char* p = contents.data();
  size_t n = contents.size();
  while (n > 0) {
    ssize_t w = ::write(fd, p, n);
    if (w < 0 && errno == EINTR) continue;
    if (w < 0) {
      int err = errno;
      ::close(fd);
      ::unlink(tmp.c_str());
      return IoError(absl::StrCat("write '", tmp, "'"), err);
    }
    p += w;
    n -= static_cast<size_t>(w);
  }
  if (::fsync(fd) != 0) {
    int err = errno;
    ::close(fd);
    ::unlink(tmp.c_str());
    return IoError(absl::StrCat("fsync '", tmp, "'"), err);
  }
  ::close(fd);
  if (::rename(tmp.c_str(), path.c_str()) != 0) {
    int err = errno;
    ::unlink(tmp.c_str());
    return IoError(absl::StrCat("rename '", tmp, "'"), err);
  }
  return absl::OkStatus();
}

}  // namespace

std::string Store::SnapshotPath(uint64_t seq) const {
  return absl::StrCat(dir_, "/snapshot-", seq, ".cove");
}

std::string Store::WalPath(uint64_t seq) const {
  return absl::StrCat(dir_, "/wal-", seq, ".log");
}

absl::Status Store::Lock() {
  const std::string path = dir_ + "/LOCK";
  lock_fd_ = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (lock_fd_ < 0) return IoError(absl::StrCat("open '", path, "'"), errno);
  if (::flock(lock_fd_, LOCK_EX | LOCK_NB) != 0) {
    int err = errno;
    char holder[256] = {0};
    ssize_t n = ::pread(lock_fd_, holder, sizeof(holder) - 1, 0);
    ::close(lock_fd_);
    lock_fd_ = -1;
    if (err == EWOULDBLOCK) {
      std::string who = n > 0 ? std::string(holder, static_cast<size_t>(n))
                              : std::string("another process");
      while (!who.empty() && (who.back() == '\n' || who.back() == '\0')) {
        who.pop_back();
      }
      return absl::FailedPreconditionError(
          absl::StrCat("data directory '", dir_, "' is open for writing by ",
                       who, " (open it read-only, or close the other writer)"));
    }
    return IoError(absl::StrCat("lock '", path, "'"), err);
  }
  char host[128] = {0};
  ::gethostname(host, sizeof(host) - 1);
  std::string who = absl::StrCat("pid ", ::getpid(), " on ", host, "\n");
  // Overwrite, then cut: the file keeps its block, so that a store on a full
  // disk still opens.
  if (::pwrite(lock_fd_, who.data(), who.size(), 0) < 0 ||
      ::ftruncate(lock_fd_, static_cast<off_t>(who.size())) != 0) {
    return IoError(absl::StrCat("write '", path, "'"), errno);
  }
  return absl::OkStatus();
}

absl::StatusOr<std::string> Store::ReadSnapshot(uint64_t seq) const {
  const std::string path = SnapshotPath(seq);
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return IoError(absl::StrCat("open '", path, "'"), errno);
  std::string data;
  char buf[1 << 16];
  while (true) {
    ssize_t r = ::read(fd, buf, sizeof(buf));
    if (r < 0 && errno == EINTR) continue;
    if (r < 0) {
      int err = errno;
      ::close(fd);
      return IoError(absl::StrCat("read '", path, "'"), err);
    }
    if (r == 0) break;
    data.append(buf, static_cast<size_t>(r));
  }
  ::close(fd);
  if (data.size() < kSnapshotHeaderSize ||
      std::memcmp(data.data(), kSnapshotMagic, 8) != 0) {
    return absl::DataLossError(absl::StrCat(
        "snapshot '", path, "': not a Cove snapshot (bad header at offset 0)"));
  }
  uint32_t flags;
  uint64_t length;
  uint32_t crc;
  std::memcpy(&flags, data.data() + 8, 4);
  std::memcpy(&length, data.data() + 28, 8);
  std::memcpy(&crc, data.data() + 36, 4);
  const bool encrypted = (flags & 1) != 0;
  if (encrypted != (cipher() != nullptr)) {
    return absl::FailedPreconditionError(absl::StrCat(
        "snapshot '", path, "': ",
        encrypted ? "the store is encrypted: open it with its encryption key"
                  : "the store is not encrypted, but a key was given"));
  }
  if (encrypted &&
      std::memcmp(data.data() + 12, cipher()->KeyId().data(), 16) != 0) {
    return absl::FailedPreconditionError(
        absl::StrCat("snapshot '", path,
                     "' was written with another encryption key (wrong key)"));
  }
  if (length != data.size() - kSnapshotHeaderSize) {
    return absl::DataLossError(
        absl::StrCat("snapshot '", path, "': truncated (expected ", length,
                     " bytes of body at offset ", kSnapshotHeaderSize, ", got ",
                     data.size() - kSnapshotHeaderSize, ")"));
  }
  std::string_view body(data.data() + kSnapshotHeaderSize, length);
  if (internal::Crc32c(body) != crc) {
    return absl::DataLossError(absl::StrCat(
        "snapshot '", path, "': checksum mismatch in the body at offset ",
        kSnapshotHeaderSize));
  }
  if (cipher() != nullptr) {
    auto opened = cipher()->Open(body);
    if (!opened.ok()) {
      return absl::DataLossError(
          absl::StrCat("snapshot '", path, "': ", opened.status().message()));
    }
    return *std::move(opened);
  }
  return std::string(body);
}

absl::StatusOr<std::unique_ptr<Store>> Store::Open(
    const std::string& dir, StoreOptions options,
    const std::function<absl::Status(std::string_view)>& load_snapshot,
    const std::function<absl::Status(std::string_view)>& replay) {
  if (!options.read_only) {
    if (::mkdir(dir.c_str(), 0700) != 0 && errno != EEXIST) {
      return IoError(absl::StrCat("create directory '", dir, "'"), errno);
    }
  }
  struct stat st;
  if (::stat(dir.c_str(), &st) != 0) {
    return IoError(absl::StrCat("data directory '", dir, "'"), errno);
  }
  if (!S_ISDIR(st.st_mode)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "data directory '", dir, "': exists and is not a directory"));
  }
  std::unique_ptr<Store> store(new Store(dir, std::move(options)));
  if (!store->read_only()) {
    COVE_RETURN_IF_ERROR(store->Lock());
  }
  // A reader may race a writer's checkpoint that removes the files it
  // listed: list again and retry a few times.
  for (int attempt = 0;; ++attempt) {
    COVE_ASSIGN_OR_RETURN(auto listing, List(dir));
    uint64_t seq = listing.snapshots.empty() ? 0 : listing.snapshots.back();
    if (listing.snapshots.empty() && !listing.wals.empty()) {
      seq = listing.wals.front();
    }
    store->recovery_ = RecoveryReport{};
    store->recovery_.snapshot_seq = seq;
    absl::Status s;
    if (!listing.snapshots.empty()) {
      auto bytes = store->ReadSnapshot(seq);
      s = bytes.status();
      if (s.ok()) s = load_snapshot(*bytes);
    }
    WalReadResult read;
    bool have_wal =
        std::binary_search(listing.wals.begin(), listing.wals.end(), seq);
    if (s.ok() && have_wal) {
      auto r = ReadWal(store->WalPath(seq), store->cipher(), replay);
      s = r.status();
      if (s.ok()) read = *r;
    }
    if (!s.ok()) {
      if (store->read_only() && absl::IsNotFound(s) && attempt < 5) continue;
      return s;
    }
    store->seq_ = seq;
    store->recovery_.records_replayed = read.records;
    store->recovery_.torn_bytes = read.torn_bytes;
    if (store->read_only()) break;
    if (read.torn_bytes > 0) {
      std::fprintf(stderr,
                   "cove: %s: dropped a torn last record (%llu bytes, never "
                   "acknowledged)\n",
                   store->WalPath(seq).c_str(),
                   static_cast<unsigned long long>(read.torn_bytes));
    }
    COVE_ASSIGN_OR_RETURN(
        auto wal,
        have_wal
            ? WalWriter::OpenForAppend(store->WalPath(seq), read.valid_size,
                                       store->cipher(), store->options_.sync)
            : WalWriter::Create(store->WalPath(seq), store->cipher(),
                                store->options_.sync));
    store->wal_ = std::move(wal);
    if (!have_wal) {
      COVE_RETURN_IF_ERROR(SyncDirectory(dir));
    }
    // Leftovers of an interrupted checkpoint: older files that were not
    // removed yet, or a newer log whose snapshot never got renamed in.
    for (uint64_t other : listing.snapshots) {
      if (other != seq) ::unlink(store->SnapshotPath(other).c_str());
    }
    for (uint64_t other : listing.wals) {
      if (other != seq) ::unlink(store->WalPath(other).c_str());
    }
    ::unlink((store->SnapshotPath(seq + 1) + ".tmp").c_str());
    break;
  }
  return store;
}

Store::~Store() {
  if (lock_fd_ >= 0) ::close(lock_fd_);  // releases the flock
}

absl::Status Store::Append(std::string_view record,
                           const std::function<void()>& while_syncing) {
  absl::MutexLock lock(&mu_);
  if (wal_ == nullptr) {
    return absl::FailedPreconditionError(absl::StrCat(
        "data directory '", dir_, "' is open read-only: writes are refused"));
  }
  return wal_->Append(record, while_syncing);
}

uint64_t Store::log_size() const {
  absl::MutexLock lock(&mu_);
  return wal_ == nullptr ? 0 : wal_->size();
}

absl::Status Store::Checkpoint(std::string_view state) {
  absl::MutexLock lock(&mu_);
  if (wal_ == nullptr) {
    return absl::FailedPreconditionError(absl::StrCat(
        "data directory '", dir_, "' is open read-only: cannot checkpoint"));
  }
  const uint64_t next = seq_ + 1;
  std::string body;
  if (cipher() != nullptr) {
    COVE_ASSIGN_OR_RETURN(auto sealed, cipher()->Seal(state));
    body = std::move(sealed);
  } else {
    body = std::string(state);
  }
  std::string file(kSnapshotHeaderSize, '\0');
  std::memcpy(file.data(), kSnapshotMagic, 8);
  uint32_t flags = cipher() != nullptr ? 1 : 0;
  std::memcpy(file.data() + 8, &flags, 4);
  if (cipher() != nullptr) {
    std::string id = cipher()->KeyId();
    std::memcpy(file.data() + 12, id.data(), 16);
  }
  uint64_t length = body.size();
  uint32_t crc = internal::Crc32c(body);
  std::memcpy(file.data() + 28, &length, 8);
  std::memcpy(file.data() + 36, &crc, 4);
  file += body;
  // New log first, then the snapshot that points at it, then cleanup. A
  // crash before the rename leaves the old snapshot and log in charge; the
  // next open removes the unused new log.
  ::unlink(WalPath(next).c_str());
  COVE_ASSIGN_OR_RETURN(
      auto wal, WalWriter::Create(WalPath(next), cipher(), options_.sync));
  if (absl::Status s = WriteFileDurably(SnapshotPath(next), file); !s.ok()) {
    ::unlink(WalPath(next).c_str());
    return s;
  }
  COVE_RETURN_IF_ERROR(SyncDirectory(dir_));
  wal_ = std::move(wal);
  ::unlink(WalPath(seq_).c_str());
  ::unlink(SnapshotPath(seq_).c_str());
  seq_ = next;
  return SyncDirectory(dir_);
}

}  // namespace cove::engine
