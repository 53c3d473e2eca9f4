// A self-signed TLS certificate for the cloud emulator (OpenSSL): EC P-256,
// SAN 127.0.0.1 and localhost, CA:TRUE so that clients can trust the file
// itself; kept in the state directory and reused on later starts.
#ifndef COVE_SRC_CLOUD_TLS_H_
#define COVE_SRC_CLOUD_TLS_H_

#include <string>

#include "absl/status/status.h"

namespace cove::cloud {

/// Writes `cert_file` and `key_file` (mode 0600) unless both exist.
/// Internal when OpenSSL fails; Unavailable when the files cannot be written.
absl::Status EnsureSelfSignedCertificate(const std::string& cert_file,
                                         const std::string& key_file);

}  // namespace cove::cloud

#endif  // COVE_SRC_CLOUD_TLS_H_
