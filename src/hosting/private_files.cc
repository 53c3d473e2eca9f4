// Private files and directories (mode 0600 / 0700).
#include "hosting/private_files.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstring>
#include <filesystem>

#include "absl/strings/str_cat.h"
#include "common/status_macros.h"

namespace cove::hosting {
namespace {

absl::Status Errno(const std::string& what, const std::string& path,
                   const char* verb, int err) {
  return absl::UnavailableError(absl::StrCat(
      what, " '", path, "': cannot ", verb, " (", std::strerror(err), ")"));
}

absl::Status WriteAll(int fd, const std::string& data) {
  size_t done = 0;
  while (done < data.size()) {
    ssize_t n = ::write(fd, data.data() + done, data.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return absl::UnknownError(std::strerror(errno));
    done += static_cast<size_t>(n);
  }
  if (::fsync(fd) != 0) return absl::UnknownError(std::strerror(errno));
  return absl::OkStatus();
}

}  // namespace

absl::Status MakePrivateDirs(const std::string& what, const std::string& dir) {
  if (dir.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat(what, ": expected a directory (got an empty path)"));
  }
  std::filesystem::path p = std::filesystem::path(dir).lexically_normal();
  std::filesystem::path at;
  for (const auto& part : p) {
    at /= part;
    if (part == "/" || part.empty()) continue;
    struct stat st;
    if (::stat(at.c_str(), &st) == 0) {
      if (!S_ISDIR(st.st_mode)) {
        return absl::FailedPreconditionError(absl::StrCat(
            what, " '", dir, "': '", at.string(), "' is not a directory"));
      }
      continue;
    }
    if (::mkdir(at.c_str(), 0700) != 0 && errno != EEXIST) {
      return Errno(what, dir, "create", errno);
    }
  }
  return absl::OkStatus();
}

absl::Status MakeNewPrivateDir(const std::string& what,
                               const std::string& dir) {
  const std::filesystem::path p = std::filesystem::path(dir).lexically_normal();
  if (p.has_parent_path()) {
    COVE_RETURN_IF_ERROR(MakePrivateDirs(what, p.parent_path().string()));
  }
  if (::mkdir(p.c_str(), 0700) != 0) {
    if (errno == EEXIST) {
      return absl::AlreadyExistsError(
          absl::StrCat(what, " '", dir, "' already exists"));
    }
    return Errno(what, dir, "create", errno);
  }
  return absl::OkStatus();
}

absl::Status WritePrivateFile(const std::string& what, const std::string& path,
                              const std::string& data) {
  const std::string tmp = path + ".tmp";
  int fd = ::open(tmp.c_str(), O_CREAT | O_WRONLY | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) return Errno(what, tmp, "create", errno);
  ::fchmod(fd, 0600);
  absl::Status s = WriteAll(fd, data);
  ::close(fd);
  if (!s.ok()) {
    ::unlink(tmp.c_str());
    return absl::UnavailableError(
        absl::StrCat(what, " '", tmp, "': cannot write (", s.message(), ")"));
  }
  if (::rename(tmp.c_str(), path.c_str()) != 0) {
    const int err = errno;
    ::unlink(tmp.c_str());
    return Errno(what, path, "replace", err);
  }
  return absl::OkStatus();
}

absl::Status WriteNewPrivateFile(const std::string& what,
                                 const std::string& path,
                                 const std::string& data) {
  int fd = ::open(path.c_str(), O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC, 0600);
  if (fd < 0) {
    if (errno == EEXIST) {
      return absl::AlreadyExistsError(
          absl::StrCat(what, " '", path, "' already exists"));
    }
    return Errno(what, path, "create", errno);
  }
  absl::Status s = WriteAll(fd, data);
  ::close(fd);
  if (!s.ok()) {
    return absl::UnavailableError(
        absl::StrCat(what, " '", path, "': cannot write (", s.message(), ")"));
  }
  return absl::OkStatus();
}

absl::Status RestrictMode(const std::string& path) {
  struct stat st;
  if (::stat(path.c_str(), &st) != 0) return absl::OkStatus();
  const mode_t mode = S_ISDIR(st.st_mode) ? 0700 : 0600;
  if ((st.st_mode & 07777) == mode) return absl::OkStatus();
  if (::chmod(path.c_str(), mode) != 0) {
    return Errno("file", path, "change the mode of", errno);
  }
  return absl::OkStatus();
}

}  // namespace cove::hosting
