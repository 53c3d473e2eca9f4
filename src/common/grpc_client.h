// What the two gRPC clients (the data plane's remote backend and the
// control-plane client) share: TLS credentials loaded from their options
// (verified by default; the explicitly named opt-out that skips
// verification), the channel arguments that leave retries to our own retry
// loop, and the line their logging stub decorators write per RPC.
#ifndef COVE_SRC_COMMON_GRPC_CLIENT_H_
#define COVE_SRC_COMMON_GRPC_CLIENT_H_

#include <chrono>
#include <functional>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "common/retry.h"
#include "grpcpp/security/credentials.h"
#include "grpcpp/support/channel_arguments.h"
#include "grpcpp/support/status.h"

namespace cove::internal {

/// A client's TLS settings, as RemoteOptions and ControlOptions give them.
struct TlsSettings {
  /// Trusted CAs: PEM text, else a PEM file (empty both: the system roots).
  std::string ca_cert_pem;
  std::string ca_cert_file;
  /// Mutual TLS: the client's certificate chain and key (PEM files).
  std::string client_cert_file;
  std::string client_key_file;
  /// Overrides the name checked in the server certificate.
  std::string server_name;
  /// Accept any server certificate; `skip_verification_option` names the
  /// option that asked for it, in the warning printed on every use.
  bool skip_verification = false;
  std::string skip_verification_option;
};

/// The credentials of a channel to `target` ("host:port"): TLS when
/// `tls_endpoint` (an https:// endpoint) or when any TLS setting is given,
/// reading the files of `tls` (NotFound naming the option, e.g.
/// "ca_cert_file", for a file that cannot be read) and setting the server
/// name override in `args`; else plaintext. `target` is named in the warning
/// of skip_verification.
absl::StatusOr<std::shared_ptr<grpc::ChannelCredentials>> ChannelCredentials(
    const TlsSettings& tls, bool tls_endpoint, const std::string& target,
    grpc::ChannelArguments* args);

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

/// Channel arguments of a client whose own retry loop (RetryLoop) decides
/// what is safe to repeat: gRPC's retries off, a subchannel of its own, and
/// reconnection (and re-resolution of the address) after a server restart
/// paced like `policy`'s backoff (from max(100 ms, initial_backoff) to
/// max_backoff), so that retries find the channel ready again soon.
/// `user_agent` is the primary user agent.
grpc::ChannelArguments ClientChannelArguments(const RetryPolicy& policy,
                                              const std::string& user_agent);

/// Receives one line per finished RPC (name, status, duration); never
/// metadata or payloads, so no secret is logged.
using RpcLogSink = std::function<void(const std::string& line)>;

/// The sink of `log_rpcs` options: std::clog.
RpcLogSink StderrRpcLogSink();

/// The line logged for one finished RPC: "cove rpc <name>: OK (<us> us)",
/// or "cove rpc <name>: grpc code <n> <message> (<us> us)".
std::string RpcLogLine(const char* name, const grpc::Status& status,
                       std::chrono::steady_clock::duration took);

}  // namespace cove::internal

// The methods of our stub interfaces (MilvusStub, ControlStub) and their
// decorators, for X(Name, Request, Response) lists of RPCs. Each stub method
// is `grpc::Status Name(grpc::ClientContext&, const Request&, Response*)`.

/// The interface's method: a default body answering UNIMPLEMENTED, so that
/// fakes override only what a test needs.
#define COVE_GRPC_STUB_DEFAULT(Name, Request, Response)                   \
  virtual grpc::Status Name(grpc::ClientContext& context,                 \
                            const Request& request, Response* response) { \
    return grpc::Status(grpc::StatusCode::UNIMPLEMENTED,                  \
                        #Name ": not implemented by this stub");          \
  }

/// The gRPC implementation's method: calls the generated stub `stub`.
#define COVE_GRPC_STUB_FORWARD(stub, Name, Request, Response)             \
  grpc::Status Name(grpc::ClientContext& context, const Request& request, \
                    Response* response) override {                        \
    return stub->Name(&context, request, response);                       \
  }

/// A metadata decorator's method: `AddMetadata(context)` (the decorator's
/// member function), then `next_`.
#define COVE_GRPC_STUB_METADATA(Name, Request, Response)                  \
  grpc::Status Name(grpc::ClientContext& context, const Request& request, \
                    Response* response) override {                        \
    AddMetadata(context);                                                 \
    return next_->Name(context, request, response);                       \
  }

/// The logging decorator's method: calls `next_` and writes RpcLogLine to
/// `sink_` (the decorator's members).
#define COVE_GRPC_STUB_LOG(Name, Request, Response)                       \
  grpc::Status Name(grpc::ClientContext& context, const Request& request, \
                    Response* response) override {                        \
    const auto start = std::chrono::steady_clock::now();                  \
    grpc::Status s = next_->Name(context, request, response);             \
    sink_(::cove::internal::RpcLogLine(                                   \
        #Name, s, std::chrono::steady_clock::now() - start));             \
    return s;                                                             \
  }

#endif  // COVE_SRC_COMMON_GRPC_CLIENT_H_
