// Test helpers of the reliability tests: start a real program (cove-server,
// cove-cloud) as a child process, wait for its "listening on HOST:PORT"
// line, kill it (SIGKILL or SIGTERM), read its resident memory, and make
// temporary directories.
#ifndef COVE_TESTS_RELIABILITY_PROCESS_H_
#define COVE_TESTS_RELIABILITY_PROCESS_H_

#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <memory>
#include <optional>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"

#if defined(__SANITIZE_ADDRESS__)
#define COVE_TEST_UNDER_SANITIZER 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer)
#define COVE_TEST_UNDER_SANITIZER 1
#endif
#endif
#ifndef COVE_TEST_UNDER_SANITIZER
#define COVE_TEST_UNDER_SANITIZER 0
#endif

namespace cove::testing {

/// True in sanitizer builds: tests scale their work down (and skip memory
/// bounds, which ASan's quarantine makes meaningless).
inline constexpr bool kUnderSanitizer = COVE_TEST_UNDER_SANITIZER != 0;

/// A fresh directory under the test temporary directory, removed by the
/// destructor.
class ScratchDir {
 public:
  ScratchDir() {
    std::string tmpl = std::filesystem::temp_directory_path().string() +
                       "/cove-reliability-XXXXXX";
    if (::mkdtemp(tmpl.data()) != nullptr) path_ = tmpl;
  }
  ~ScratchDir() {
    std::error_code ec;
    if (!path_.empty()) std::filesystem::remove_all(path_, ec);
  }
  ScratchDir(const ScratchDir&) = delete;
  ScratchDir& operator=(const ScratchDir&) = delete;
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

/// What to start.
struct ProcessSpec {
  std::string program;
  std::vector<std::string> args;
  /// stdout and stderr of the child go (appended) to this file.
  std::string log_file;
  /// When set: RLIMIT_FSIZE of the child, with SIGXFSZ ignored so that a
  /// write beyond it fails with EFBIG instead of killing the process.
  std::optional<uint64_t> file_size_limit;
};

/// A child process. The destructor kills it (SIGKILL) if it still runs.
class ChildProcess {
 public:
  /// Starts the program and waits (at most `timeout`) until its log has a
  /// line containing "listening on HOST:PORT"; address() is then HOST:PORT.
  /// Unavailable when it exits first or does not get there in time (with
  /// the log in the message).
  static absl::StatusOr<std::unique_ptr<ChildProcess>> Start(
      const ProcessSpec& spec,
      std::chrono::milliseconds timeout = std::chrono::seconds(60)) {
    const auto log_start = FileSize(spec.log_file);
    std::vector<std::string> argv_strings = {spec.program};
    argv_strings.insert(argv_strings.end(), spec.args.begin(), spec.args.end());
    std::vector<char*> argv;
    for (auto& a : argv_strings) argv.push_back(a.data());
    argv.push_back(nullptr);
    const int log_fd = ::open(spec.log_file.c_str(),
                              O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
    if (log_fd < 0) {
      return absl::InternalError(absl::StrCat("open '", spec.log_file, "'"));
    }
    const pid_t pid = ::fork();
    if (pid < 0) {
      ::close(log_fd);
      return absl::InternalError("fork failed");
    }
    if (pid == 0) {
      ::dup2(log_fd, 1);
      ::dup2(log_fd, 2);
      if (spec.file_size_limit.has_value()) {
        ::signal(SIGXFSZ, SIG_IGN);  // kept across exec
        struct rlimit limit;
        limit.rlim_cur = *spec.file_size_limit;
        limit.rlim_max = *spec.file_size_limit;
        ::setrlimit(RLIMIT_FSIZE, &limit);
      }
      ::execv(argv[0], argv.data());
      _exit(127);
    }
    ::close(log_fd);
    std::unique_ptr<ChildProcess> child(new ChildProcess(pid, spec.log_file));
    const auto until = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < until) {
      std::string log = ReadFrom(spec.log_file, log_start);
      auto at = log.find("listening on ");
      if (at != std::string::npos) {
        auto end = log.find_first_of(" \n", at + 13);
        if (end != std::string::npos) {
          child->address_ = log.substr(at + 13, end - at - 13);
          return child;
        }
      }
      int status = 0;
      if (::waitpid(pid, &status, WNOHANG) == pid) {
        child->pid_ = -1;
        return absl::UnavailableError(
            absl::StrCat(spec.program, " exited (status ", status,
                         ") before listening; log:\n", log));
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    return absl::UnavailableError(
        absl::StrCat(spec.program, " did not listen in time; log:\n",
                     ReadFrom(spec.log_file, log_start)));
  }

  ~ChildProcess() {
    if (pid_ > 0) Kill(SIGKILL);
  }

  pid_t pid() const { return pid_; }
  /// HOST:PORT it listens on.
  const std::string& address() const { return address_; }

  /// Sends `sig` and waits for the process to end; returns its wait status.
  int Kill(int sig = SIGKILL) {
    if (pid_ <= 0) return -1;
    ::kill(pid_, sig);
    int status = 0;
    while (::waitpid(pid_, &status, 0) < 0 && errno == EINTR) {
    }
    pid_ = -1;
    return status;
  }

  /// Resident set size of the process in bytes (VmRSS of /proc/PID/status),
  /// or -1 when it cannot be read.
  int64_t ResidentBytes() const {
    std::ifstream in(absl::StrCat("/proc/", pid_, "/status"));
    std::string line;
    while (std::getline(in, line)) {
      if (line.rfind("VmRSS:", 0) == 0) {
        std::istringstream fields(line.substr(6));
        int64_t kb = -1;
        fields >> kb;
        return kb < 0 ? -1 : kb * 1024;
      }
    }
    return -1;
  }

 private:
  ChildProcess(pid_t pid, std::string log) : pid_(pid), log_(std::move(log)) {}

  static uint64_t FileSize(const std::string& path) {
    std::error_code ec;
    auto size = std::filesystem::file_size(path, ec);
    return ec ? 0 : size;
  }
  static std::string ReadFrom(const std::string& path, uint64_t offset) {
    std::ifstream in(path, std::ios::binary);
    in.seekg(static_cast<std::streamoff>(offset));
    return std::string(std::istreambuf_iterator<char>(in), {});
  }

  pid_t pid_;
  std::string log_;
  std::string address_;
};

/// Reads a whole file.
inline std::string ReadWholeFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

}  // namespace cove::testing

#endif  // COVE_TESTS_RELIABILITY_PROCESS_H_
