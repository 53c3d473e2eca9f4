// Reading and writing the CLI configuration file (see config.h).
#include "cli/config.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "common/status_macros.h"
#include "nlohmann/json.hpp"

namespace cove::cli {
namespace {

std::string Dirname(const std::string& path) {
  size_t slash = path.rfind('/');
  if (slash == std::string::npos) return ".";
  if (slash == 0) return "/";
  return path.substr(0, slash);
}

// mkdir -p with mode 0700 for the directories it creates.
absl::Status MakeDirs(const std::string& dir) {
  if (dir.empty() || dir == "/" || dir == ".") return absl::OkStatus();
  struct stat st;
  if (::stat(dir.c_str(), &st) == 0) {
    if (S_ISDIR(st.st_mode)) return absl::OkStatus();
    return absl::FailedPreconditionError(
        absl::StrCat("config directory '", dir, "' is not a directory"));
  }
  COVE_RETURN_IF_ERROR(MakeDirs(Dirname(dir)));
  if (::mkdir(dir.c_str(), 0700) != 0 && errno != EEXIST) {
    return absl::PermissionDeniedError(absl::StrCat(
        "cannot create config directory '", dir, "': ", std::strerror(errno)));
  }
  return absl::OkStatus();
}

absl::StatusOr<std::string> StringField(const nlohmann::json& object,
                                        const std::string& profile,
                                        const char* field) {
  auto it = object.find(field);
  if (it == object.end() || it->is_null()) return std::string();
  if (!it->is_string()) {
    return absl::InvalidArgumentError(
        absl::StrCat("config: profiles.", profile, ".", field,
                     ": expected a string, got ", it->type_name()));
  }
  return it->get<std::string>();
}

}  // namespace

absl::StatusOr<std::string> ConfigPath(const std::string& explicit_path) {
  if (!explicit_path.empty()) return explicit_path;
  std::string path = GetEnv("COVE_CONFIG");
  if (!path.empty()) return path;
  std::string xdg = GetEnv("XDG_CONFIG_HOME");
  if (!xdg.empty()) return xdg + "/cove/config.json";
  std::string home = GetEnv("HOME");
  if (!home.empty()) return home + "/.config/cove/config.json";
  return absl::FailedPreconditionError(
      "no configuration file location: set COVE_CONFIG, XDG_CONFIG_HOME or "
      "HOME, or pass --config FILE");
}

absl::StatusOr<Config> LoadConfig(const std::string& path) {
  Config config;
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    if (errno == ENOENT) return config;
    return absl::PermissionDeniedError(absl::StrCat(
        "cannot read config file '", path, "': ", std::strerror(errno)));
  }
  struct stat st;
  if (::fstat(fd, &st) != 0) {
    int err = errno;
    ::close(fd);
    return absl::PermissionDeniedError(absl::StrCat(
        "cannot stat config file '", path, "': ", std::strerror(err)));
  }
  if ((st.st_mode & 077) != 0) {
    ::close(fd);
    return absl::FailedPreconditionError(absl::StrFormat(
        "permissions %04o for config file '%s' are too open: it holds API "
        "keys and must be accessible by its owner only (run: chmod 600 %s)",
        st.st_mode & 07777, path, path));
  }
  if (st.st_uid != ::geteuid()) {
    ::close(fd);
    return absl::FailedPreconditionError(
        absl::StrCat("config file '", path, "' is owned by uid ", st.st_uid,
                     ", not by the current user (uid ", ::geteuid(),
                     "): refusing to use it"));
  }
  std::string text;
  char buffer[4096];
  for (;;) {
    ssize_t n = ::read(fd, buffer, sizeof(buffer));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      int err = errno;
      ::close(fd);
      return absl::PermissionDeniedError(absl::StrCat(
          "cannot read config file '", path, "': ", std::strerror(err)));
    }
    if (n == 0) break;
    text.append(buffer, static_cast<size_t>(n));
  }
  ::close(fd);
  if (text.find_first_not_of(" \t\r\n") == std::string::npos) return config;

  nlohmann::json json = nlohmann::json::parse(text, nullptr, false);
  if (json.is_discarded() || !json.is_object()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "config file '", path, "' is not a JSON object (fix or remove it)"));
  }
  auto profiles = json.find("profiles");
  if (profiles == json.end()) return config;
  if (!profiles->is_object()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "config file '", path, "': profiles: expected an object, got ",
        profiles->type_name()));
  }
  for (auto it = profiles->begin(); it != profiles->end(); ++it) {
    if (!it->is_object()) {
      return absl::InvalidArgumentError(
          absl::StrCat("config file '", path, "': profiles.", it.key(),
                       ": expected an object, got ", it->type_name()));
    }
    Profile p;
    struct Field {
      const char* name;
      std::string* value;
    } fields[] = {{"endpoint", &p.endpoint},
                  {"api_key", &p.api_key},
                  {"tls_ca", &p.tls_ca},
                  {"organization", &p.organization},
                  {"project", &p.project}};
    for (const Field& f : fields) {
      COVE_ASSIGN_OR_RETURN(std::string v, StringField(*it, it.key(), f.name));
      *f.value = std::move(v);
    }
    config.profiles[it.key()] = std::move(p);
  }
  return config;
}

absl::Status SaveConfig(const std::string& path, const Config& config) {
  COVE_RETURN_IF_ERROR(MakeDirs(Dirname(path)));
  nlohmann::ordered_json json;
  json["profiles"] = nlohmann::ordered_json::object();
  for (const auto& [name, p] : config.profiles) {
    nlohmann::ordered_json o = nlohmann::ordered_json::object();
    if (!p.endpoint.empty()) o["endpoint"] = p.endpoint;
    if (!p.api_key.empty()) o["api_key"] = p.api_key;
    if (!p.tls_ca.empty()) o["tls_ca"] = p.tls_ca;
    if (!p.organization.empty()) o["organization"] = p.organization;
    if (!p.project.empty()) o["project"] = p.project;
    json["profiles"][name] = std::move(o);
  }
  std::string text = json.dump(2) + "\n";

  std::string tmp = absl::StrCat(path, ".tmp.", ::getpid());
  ::unlink(tmp.c_str());
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0) {
    return absl::PermissionDeniedError(absl::StrCat(
        "cannot write config file '", tmp, "': ", std::strerror(errno)));
  }
  // The umask cannot widen 0600, but make the mode explicit anyway.
  ::fchmod(fd, 0600);
  size_t done = 0;
  while (done < text.size()) {
    ssize_t n = ::write(fd, text.data() + done, text.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      int err = errno;
      ::close(fd);
      ::unlink(tmp.c_str());
      return absl::PermissionDeniedError(absl::StrCat(
          "cannot write config file '", tmp, "': ", std::strerror(err)));
    }
    done += static_cast<size_t>(n);
  }
  int sync_rc = ::fsync(fd);
  int sync_err = errno;
  int close_rc = ::close(fd);
  int close_err = errno;
  if (sync_rc != 0 || close_rc != 0) {
    int err = sync_rc != 0 ? sync_err : close_err;
    ::unlink(tmp.c_str());
    return absl::PermissionDeniedError(absl::StrCat(
        "cannot write config file '", tmp, "': ", std::strerror(err)));
  }
  if (::rename(tmp.c_str(), path.c_str()) != 0) {
    int err = errno;
    ::unlink(tmp.c_str());
    return absl::PermissionDeniedError(absl::StrCat(
        "cannot replace config file '", path, "': ", std::strerror(err)));
  }
  return absl::OkStatus();
}

std::string GetEnv(const char* name) {
  const char* v = std::getenv(name);
  return v == nullptr ? std::string() : std::string(v);
}

}  // namespace cove::cli
