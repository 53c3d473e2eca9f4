// TLS credentials and channel arguments of the gRPC clients (see
// grpc_client.h).
#include "common/grpc_client.h"

#include <algorithm>
#include <iostream>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "common/files.h"
#include "common/status_macros.h"
#include "grpcpp/security/tls_certificate_provider.h"
#include "grpcpp/security/tls_certificate_verifier.h"
#include "grpcpp/security/tls_credentials_options.h"

namespace cove::internal {

absl::StatusOr<std::shared_ptr<grpc::ChannelCredentials>> ChannelCredentials(
    const TlsSettings& tls, bool tls_endpoint, const std::string& target,
    grpc::ChannelArguments* args) {
  if (!tls_endpoint && tls.ca_cert_pem.empty() && tls.ca_cert_file.empty() &&
      tls.client_cert_file.empty() && !tls.skip_verification) {
    return grpc::InsecureChannelCredentials();
  }
  if (!tls.server_name.empty()) args->SetSslTargetNameOverride(tls.server_name);
  std::string roots = tls.ca_cert_pem;
  if (roots.empty() && !tls.ca_cert_file.empty()) {
    COVE_ASSIGN_OR_RETURN(roots, ReadFile("ca_cert_file", tls.ca_cert_file));
  }
  std::string cert, key;
  if (!tls.client_cert_file.empty()) {
    COVE_ASSIGN_OR_RETURN(cert,
                          ReadFile("client_cert_file", tls.client_cert_file));
    COVE_ASSIGN_OR_RETURN(key,
                          ReadFile("client_key_file", tls.client_key_file));
  }
  if (tls.skip_verification) {
    return UnverifiedTlsCredentials(tls.skip_verification_option, target, cert,
                                    key);
  }
  return VerifiedTlsCredentials(roots, cert, key);
}

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

grpc::ChannelArguments ClientChannelArguments(const RetryPolicy& policy,
                                              const std::string& user_agent) {
  grpc::ChannelArguments args;
  args.SetInt(GRPC_ARG_ENABLE_RETRIES, 0);
  args.SetInt(GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL, 1);
  const int reconnect_ms =
      std::max<int>(100, static_cast<int>(policy.initial_backoff.count()));
  args.SetInt(GRPC_ARG_INITIAL_RECONNECT_BACKOFF_MS, reconnect_ms);
  // Not GRPC_ARG_MIN_RECONNECT_BACKOFF_MS: gRPC's minimum connect timeout.
  const int max_reconnect_ms =
      std::max(reconnect_ms, static_cast<int>(policy.max_backoff.count()));
  args.SetInt(GRPC_ARG_MAX_RECONNECT_BACKOFF_MS, max_reconnect_ms);
  // After a restart the channel asks for the address again before it
  // reconnects; the resolver's default cooldown (30 s) would hold the
  // reconnection back that long.
  args.SetInt(GRPC_ARG_DNS_MIN_TIME_BETWEEN_RESOLUTIONS_MS, max_reconnect_ms);
  args.SetString(GRPC_ARG_PRIMARY_USER_AGENT_STRING, user_agent);
  return args;
}

RpcLogSink StderrRpcLogSink() {
  return [](const std::string& line) { std::clog << line << std::endl; };
}

std::string RpcLogLine(const char* name, const grpc::Status& status,
                       std::chrono::steady_clock::duration took) {
  const auto us =
      std::chrono::duration_cast<std::chrono::microseconds>(took).count();
  return absl::StrCat(
      "cove rpc ", name, ": ",
      status.ok()
          ? std::string("OK")
          : absl::StrCat("grpc code ", static_cast<int>(status.error_code()),
                         " ", status.error_message()),
      " (", us, " us)");
}

}  // namespace cove::internal
