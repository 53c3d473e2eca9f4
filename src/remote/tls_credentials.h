// Channel credentials shared by the data-plane (remote) and control-plane
// clients: verified TLS by default, and the explicitly named opt-out that
// skips certificate verification.
#ifndef COVE_SRC_REMOTE_TLS_CREDENTIALS_H_
#define COVE_SRC_REMOTE_TLS_CREDENTIALS_H_

#include <memory>
#include <string>

#include "grpcpp/security/credentials.h"

namespace cove::internal {

/// TLS that verifies the server certificate against `pem_root_certs` (empty:
/// the system roots), optionally presenting a client certificate.
std::shared_ptr<grpc::ChannelCredentials> VerifiedTlsCredentials(
    const std::string& pem_root_certs, const std::string& pem_cert_chain,
    const std::string& pem_private_key);

/// TLS that encrypts but accepts any server certificate and host name.
/// Prints a warning to stderr naming `option` and `target` every time it is
/// used: the connection is open to a man in the middle.
std::shared_ptr<grpc::ChannelCredentials> UnverifiedTlsCredentials(
    const std::string& option, const std::string& target,
    const std::string& pem_cert_chain, const std::string& pem_private_key);

}  // namespace cove::internal

#endif  // COVE_SRC_REMOTE_TLS_CREDENTIALS_H_
