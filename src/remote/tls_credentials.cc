#include "remote/tls_credentials.h"

#include <iostream>
#include <utility>

#include "grpcpp/security/tls_certificate_provider.h"
#include "grpcpp/security/tls_certificate_verifier.h"
#include "grpcpp/security/tls_credentials_options.h"

namespace cove::internal {

std::shared_ptr<grpc::ChannelCredentials> VerifiedTlsCredentials(
    const std::string& pem_root_certs, const std::string& pem_cert_chain,
    const std::string& pem_private_key) {
  grpc::SslCredentialsOptions ssl;
  ssl.pem_root_certs = pem_root_certs;
  ssl.pem_cert_chain = pem_cert_chain;
  ssl.pem_private_key = pem_private_key;
  return grpc::SslCredentials(ssl);
}

std::shared_ptr<grpc::ChannelCredentials> UnverifiedTlsCredentials(
    const std::string& option, const std::string& target,
    const std::string& pem_cert_chain, const std::string& pem_private_key) {
  std::cerr << "cove: WARNING: " << option << " is set: the TLS certificate of "
            << target
            << " is NOT verified; anyone on the network path can impersonate "
               "the server. Use it only against a test server.\n";
  grpc::experimental::TlsChannelCredentialsOptions tls;
  tls.set_verify_server_certs(false);
  tls.set_check_call_host(false);
  tls.set_certificate_verifier(
      std::make_shared<grpc::experimental::NoOpCertificateVerifier>());
  if (!pem_cert_chain.empty()) {
    std::vector<grpc::experimental::IdentityKeyCertPair> pairs;
    pairs.push_back({pem_private_key, pem_cert_chain});
    tls.set_certificate_provider(
        std::make_shared<grpc::experimental::StaticDataCertificateProvider>(
            std::move(pairs)));
    tls.watch_identity_key_cert_pairs();
  }
  return grpc::experimental::TlsCredentials(tls);
}

}  // namespace cove::internal
