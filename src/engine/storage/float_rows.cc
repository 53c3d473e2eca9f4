#include "engine/storage/float_rows.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <string>
#include <string_view>

#include "absl/strings/str_cat.h"
#include "common/strings.h"

namespace cove::engine {
namespace {

absl::Status ErrnoStatus(int err, std::string_view what,
                         const std::string& dir) {
  std::string msg =
      absl::StrCat("vector spill file in '", dir,
                   "': ", cove::internal::Sv(what), ": ", std::strerror(err));
  switch (err) {
    case ENOENT:
    case ENOTDIR:
      return absl::NotFoundError(msg);
    case EACCES:
    case EPERM:
    case EROFS:
      return absl::PermissionDeniedError(msg);
    case ENOSPC:
    case EDQUOT:
    case ENOMEM:
    case EFBIG:
      return absl::ResourceExhaustedError(msg);
    default:
      return absl::InternalError(msg);
  }
}

// A file in `dir` without a name: O_TMPFILE where the file system has it,
// else mkstemp + unlink.
int OpenNamelessFile(const std::string& dir) {
#ifdef O_TMPFILE
  int fd = open(dir.c_str(), O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
  if (fd >= 0) return fd;
  if (errno != EOPNOTSUPP && errno != EISDIR && errno != EINVAL) return -1;
#endif
  std::string path = dir + "/cove-vectors-XXXXXX";
  int fd2 = mkostemp(path.data(), O_CLOEXEC);
  if (fd2 < 0) return -1;
  unlink(path.c_str());
  return fd2;
}

}  // namespace

FloatRows::FloatRows(size_t capacity, size_t dim)
    : capacity_(capacity), dim_(dim), heap_(capacity * dim) {
  std::fill(heap_.begin(), heap_.end(), 0.0f);
  data_ = heap_.data();
}

std::shared_ptr<FloatRows> FloatRows::Uninitialized(size_t capacity,
                                                    size_t dim) {
  std::shared_ptr<FloatRows> rows(new FloatRows());
  rows->capacity_ = capacity;
  rows->dim_ = dim;
  rows->heap_.resize(capacity * dim);  // default-initialized: not written
  rows->data_ = rows->heap_.data();
  return rows;
}

FloatRows::~FloatRows() {
  if (mapped_bytes_ > 0) {
    munmap(const_cast<float*>(data_), mapped_bytes_);
  }
}

std::shared_ptr<FloatRows> FloatRows::Copy(const float* data, size_t n,
                                           size_t dim) {
  auto rows = Uninitialized(n, dim);
  if (n * dim > 0) std::copy_n(data, n * dim, rows->heap_.data());
  return rows;
}

absl::StatusOr<std::shared_ptr<FloatRows>> FloatRows::Spill(
    const float* data, size_t n, size_t dim, const std::string& dir) {
  if (dir.empty()) return absl::InvalidArgumentError("dir: empty");
  const size_t bytes = n * dim * sizeof(float);
  if (bytes == 0) return Copy(data, n, dim);
  int fd = OpenNamelessFile(dir);
  if (fd < 0) return ErrnoStatus(errno, "create", dir);
  const char* p = reinterpret_cast<const char*>(data);
  for (size_t done = 0; done < bytes;) {
    ssize_t w = write(fd, p + done, bytes - done);
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) {
      int err = w < 0 ? errno : ENOSPC;
      close(fd);
      return ErrnoStatus(err, "write", dir);
    }
    done += static_cast<size_t>(w);
  }
  void* m = mmap(nullptr, bytes, PROT_READ, MAP_SHARED, fd, 0);
  const int map_err = errno;
  close(fd);
  if (m == MAP_FAILED) return ErrnoStatus(map_err, "mmap", dir);
  madvise(m, bytes, MADV_RANDOM);  // a hint: no read-ahead around rows
  std::shared_ptr<FloatRows> rows(new FloatRows());
  rows->capacity_ = n;
  rows->dim_ = dim;
  rows->data_ = static_cast<const float*>(m);
  rows->mapped_bytes_ = bytes;
  return rows;
}

}  // namespace cove::engine
