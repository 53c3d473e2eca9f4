// Write-ahead log: framing, appending and recovery reads.
#include "engine/storage/wal.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "common/crc32c.h"
#include "common/status_macros.h"

namespace cove::engine {
namespace {

constexpr char kMagic[8] = {'C', 'O', 'V', 'E', 'W', 'A', 'L', '1'};
constexpr uint32_t kFormatVersion = 1;
constexpr uint32_t kFlagEncrypted = 1;

void PutU32(char* p, uint32_t v) { std::memcpy(p, &v, 4); }
uint32_t GetU32(const char* p) {
  uint32_t v;
  std::memcpy(&v, p, 4);
  return v;
}

std::string MakeHeader(const internal::Cipher* cipher) {
  std::string h(kWalHeaderSize, '\0');
  std::memcpy(h.data(), kMagic, 8);
  PutU32(h.data() + 8, kFormatVersion);
  PutU32(h.data() + 12, cipher != nullptr ? kFlagEncrypted : 0);
  if (cipher != nullptr) {
    std::string id = cipher->KeyId();  // 16 hex chars
    std::memcpy(h.data() + 16, id.data(), std::min<size_t>(16, id.size()));
  }
  return h;
}

absl::Status WriteAll(int fd, const char* data, size_t n,
                      const std::string& path) {
  while (n > 0) {
    ssize_t w = ::write(fd, data, n);
    if (w < 0) {
      if (errno == EINTR) continue;
      return IoError(absl::StrCat("write '", path, "'"), errno);
    }
    data += w;
    n -= static_cast<size_t>(w);
  }
  return absl::OkStatus();
}

// Writes a frame header and its payload, in one writev() call unless the
// kernel takes part of it.
absl::Status WriteFrame(int fd, const char* header, std::string_view payload,
                        const std::string& path) {
  iovec parts[2];
  parts[0].iov_base = const_cast<char*>(header);
  parts[0].iov_len = kWalFrameHeaderSize;
  parts[1].iov_base = const_cast<char*>(payload.data());
  parts[1].iov_len = payload.size();
  iovec* next = parts;
  int count = payload.empty() ? 1 : 2;
  while (count > 0) {
    ssize_t w = ::writev(fd, next, count);
    if (w < 0) {
      if (errno == EINTR) continue;
      return IoError(absl::StrCat("write '", path, "'"), errno);
    }
    size_t done = static_cast<size_t>(w);
    while (count > 0 && done >= next->iov_len) {
      done -= next->iov_len;
      ++next;
      --count;
    }
    if (count > 0) {
      next->iov_base = static_cast<char*>(next->iov_base) + done;
      next->iov_len -= done;
    }
  }
  return absl::OkStatus();
}

}  // namespace

absl::Status IoError(const std::string& what, int error_number) {
  std::string message = absl::StrCat(what, ": ", std::strerror(error_number));
  if (error_number == ENOSPC || error_number == EDQUOT ||
      error_number == EFBIG) {
    return absl::ResourceExhaustedError(message);
  }
  if (error_number == EACCES || error_number == EPERM ||
      error_number == EROFS) {
    return absl::PermissionDeniedError(message);
  }
  if (error_number == ENOENT) return absl::NotFoundError(message);
  return absl::InternalError(message);
}

absl::Status SyncDirectory(const std::string& dir) {
  int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return IoError(absl::StrCat("open directory '", dir, "'"), errno);
  int rc = ::fsync(fd);
  int err = errno;
  ::close(fd);
  if (rc != 0) return IoError(absl::StrCat("fsync '", dir, "'"), err);
  return absl::OkStatus();
}

absl::StatusOr<std::unique_ptr<WalWriter>> WalWriter::Create(
    const std::string& path, const internal::Cipher* cipher, bool sync) {
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0) return IoError(absl::StrCat("create '", path, "'"), errno);
  std::string header = MakeHeader(cipher);
  absl::Status s = WriteAll(fd, header.data(), header.size(), path);
  if (s.ok() && ::fsync(fd) != 0) {
    s = IoError(absl::StrCat("fsync '", path, "'"), errno);
  }
  if (!s.ok()) {
    ::close(fd);
    ::unlink(path.c_str());
    return s;
  }
  return std::unique_ptr<WalWriter>(
      new WalWriter(path, fd, kWalHeaderSize, cipher, sync));
}

absl::StatusOr<std::unique_ptr<WalWriter>> WalWriter::OpenForAppend(
    const std::string& path, uint64_t size, const internal::Cipher* cipher,
    bool sync) {
  int fd = ::open(path.c_str(), O_WRONLY | O_CLOEXEC);
  if (fd < 0) return IoError(absl::StrCat("open '", path, "'"), errno);
  if (::ftruncate(fd, static_cast<off_t>(size)) != 0 ||
      ::lseek(fd, static_cast<off_t>(size), SEEK_SET) < 0 || ::fsync(fd) != 0) {
    int err = errno;
    ::close(fd);
    return IoError(absl::StrCat("truncate '", path, "'"), err);
  }
  if (size < kWalHeaderSize) {
    // The header itself was torn (a crash while creating the file): write
    // it again, or the frames appended next could never be read back.
    std::string header = MakeHeader(cipher);
    absl::Status s = WriteAll(fd, header.data(), header.size(), path);
    if (s.ok() && ::fsync(fd) != 0) {
      s = IoError(absl::StrCat("fsync '", path, "'"), errno);
    }
    if (!s.ok()) {
      ::close(fd);
      return s;
    }
    size = kWalHeaderSize;
  }
  return std::unique_ptr<WalWriter>(
      new WalWriter(path, fd, size, cipher, sync));
}

WalWriter::~WalWriter() {
  if (fd_ >= 0) ::close(fd_);
}

absl::Status WalWriter::Append(std::string_view record,
                               const std::function<void()>& while_syncing) {
  std::string sealed;
  std::string_view payload = record;
  if (cipher_ != nullptr) {
    COVE_ASSIGN_OR_RETURN(auto s, cipher_->Seal(record));
    sealed = std::move(s);
    payload = sealed;
  }
  if (payload.size() > kWalMaxRecord) {
    return absl::InvalidArgumentError(
        absl::StrCat("write-ahead log record: ", payload.size(),
                     " bytes exceeds the limit of ", kWalMaxRecord,
                     " (insert fewer rows per call)"));
  }
  // The frame header and the payload in one writev() call: the payload
  // (megabytes for a batch of vectors) is not copied into a frame buffer.
  char header[kWalFrameHeaderSize];
  PutU32(header, static_cast<uint32_t>(payload.size()));
  PutU32(header + 4, internal::Crc32c(payload));
  PutU32(header + 8, internal::Crc32c(std::string_view(header, 8)));
  absl::Status s = WriteFrame(fd_, header, payload, path_);
  if (s.ok() && sync_) {
    if (while_syncing) {
      // The flush runs on a helper thread while the caller's work (which
      // must not depend on the record being durable) runs here.
      int rc = 0;
      int err = 0;
      std::thread flusher([&] {
        rc = ::fdatasync(fd_);
        err = errno;
      });
      while_syncing();
      flusher.join();
      if (rc != 0) s = IoError(absl::StrCat("fdatasync '", path_, "'"), err);
    } else if (::fdatasync(fd_) != 0) {
      s = IoError(absl::StrCat("fdatasync '", path_, "'"), errno);
    }
  } else if (s.ok() && while_syncing) {
    while_syncing();
  }
  if (!s.ok()) {
    // Cut off whatever part of the frame reached the file, so that the log
    // stays a sequence of whole frames and later appends are readable.
    if (::ftruncate(fd_, static_cast<off_t>(size_)) == 0) {
      (void)::lseek(fd_, static_cast<off_t>(size_), SEEK_SET);
    }
    return s;
  }
  size_ += kWalFrameHeaderSize + payload.size();
  return absl::OkStatus();
}

absl::StatusOr<WalReadResult> ReadWal(
    const std::string& path, const internal::Cipher* cipher,
    const std::function<absl::Status(std::string_view)>& on_record) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return IoError(absl::StrCat("open '", path, "'"), errno);
  std::string data;
  struct stat st;
  if (::fstat(fd, &st) != 0) {
    int err = errno;
    ::close(fd);
    return IoError(absl::StrCat("stat '", path, "'"), err);
  }
  data.resize(static_cast<size_t>(st.st_size));
  size_t got = 0;
  while (got < data.size()) {
    ssize_t r = ::read(fd, data.data() + got, data.size() - got);
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) break;
    got += static_cast<size_t>(r);
  }
  ::close(fd);
  data.resize(got);

  WalReadResult result;
  if (data.size() < kWalHeaderSize) {
    // A crash while creating the file: nothing was ever acknowledged in it.
    result.torn_bytes = data.size();
    return result;
  }
  if (std::memcmp(data.data(), kMagic, 8) != 0) {
    return absl::DataLossError(
        absl::StrCat("write-ahead log '", path,
                     "': not a Cove log (bad magic at offset 0)"));
  }
  const uint32_t flags = GetU32(data.data() + 12);
  const bool encrypted = (flags & kFlagEncrypted) != 0;
  if (encrypted && cipher == nullptr) {
    return absl::FailedPreconditionError(
        absl::StrCat("write-ahead log '", path,
                     "' is encrypted: open the store with its encryption key"));
  }
  if (!encrypted && cipher != nullptr) {
    return absl::FailedPreconditionError(
        absl::StrCat("write-ahead log '", path,
                     "' is not encrypted, but an encryption key was given"));
  }
  if (encrypted) {
    std::string id = cipher->KeyId();
    if (std::memcmp(data.data() + 16, id.data(), 16) != 0) {
      return absl::FailedPreconditionError(absl::StrCat(
          "write-ahead log '", path,
          "' was written with another encryption key (wrong key)"));
    }
  }
  size_t pos = kWalHeaderSize;
  auto all_zero = [&](size_t from) {
    for (size_t i = from; i < data.size(); ++i) {
      if (data[i] != '\0') return false;
    }
    return true;
  };
  while (pos < data.size()) {
    const size_t remaining = data.size() - pos;
    if (remaining < kWalFrameHeaderSize) {
      result.torn_bytes = remaining;
      break;
    }
    const char* h = data.data() + pos;
    const uint32_t length = GetU32(h);
    const uint32_t payload_crc = GetU32(h + 4);
    const uint32_t header_crc = GetU32(h + 8);
    if (internal::Crc32c(std::string_view(h, 8)) != header_crc ||
        length > kWalMaxRecord) {
      if (all_zero(pos)) {
        result.torn_bytes = remaining;
        break;
      }
      return absl::DataLossError(
          absl::StrCat("write-ahead log '", path,
                       "': corrupt frame header at offset ", pos));
    }
    if (remaining - kWalFrameHeaderSize < length) {
      result.torn_bytes = remaining;  // the last write was cut short
      break;
    }
    std::string_view payload(h + kWalFrameHeaderSize, length);
    const size_t frame_end = pos + kWalFrameHeaderSize + length;
    if (internal::Crc32c(payload) != payload_crc) {
      if (frame_end == data.size() || all_zero(frame_end)) {
        result.torn_bytes = remaining;
        break;
      }
      return absl::DataLossError(
          absl::StrCat("write-ahead log '", path,
                       "': checksum mismatch in the record at "
                       "offset ",
                       pos));
    }
    std::string plain;
    if (cipher != nullptr) {
      auto opened = cipher->Open(payload);
      if (!opened.ok()) {
        return absl::DataLossError(absl::StrCat(
            "write-ahead log '", path, "': the record at offset ", pos,
            " does not decrypt (", opened.status().message(), ")"));
      }
      plain = *std::move(opened);
      payload = plain;
    }
    COVE_RETURN_IF_ERROR(on_record(payload));
    ++result.records;
    pos = frame_end;
    result.valid_size = pos;
  }
  if (result.valid_size == 0) result.valid_size = kWalHeaderSize;
  return result;
}

}  // namespace cove::engine
