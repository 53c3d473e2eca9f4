// Files that hold customer data or secrets, written by the cloud emulator
// and cove-agent: mode 0600, in directories of mode 0700 that they create
// (directories that already exist, such as the customer's bucket itself,
// are left as they are). See docs/security.md#file-modes.
#ifndef COVE_SRC_HOSTING_PRIVATE_FILES_H_
#define COVE_SRC_HOSTING_PRIVATE_FILES_H_

#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace cove::hosting {

/// Creates `dir` and its missing parents with mode 0700 (an existing
/// directory is kept as it is). `what` names it in the message:
/// Unavailable "<what> '<dir>': cannot create (...)".
absl::Status MakePrivateDirs(const std::string& what, const std::string& dir);

/// Creates the directory `dir` itself with mode 0700 (parents: as
/// MakePrivateDirs); AlreadyExists when it exists.
absl::Status MakeNewPrivateDir(const std::string& what, const std::string& dir);

/// Replaces `path` atomically (a temporary file in the same directory,
/// fsync, rename) with `data`, mode 0600.
absl::Status WritePrivateFile(const std::string& what, const std::string& path,
                              const std::string& data);

/// Creates `path` (it must not exist: AlreadyExists) with `data`, mode
/// 0600, fsynced.
absl::Status WriteNewPrivateFile(const std::string& what,
                                 const std::string& path,
                                 const std::string& data);

/// Sets mode 0600 on an existing file, 0700 on an existing directory (for
/// files that other code created, such as SQLite's). Errors are ignored
/// when the path does not exist.
absl::Status RestrictMode(const std::string& path);

}  // namespace cove::hosting

#endif  // COVE_SRC_HOSTING_PRIVATE_FILES_H_
