// StartCloud: state, TLS material, services and the gRPC server.
#include "cloud/cloud_server.h"

#include <grpcpp/grpcpp.h>
#include <grpcpp/security/server_credentials.h>

#include <filesystem>

#include "absl/strings/str_cat.h"
#include "cloud/cloud_core.h"
#include "cloud/console_routes.h"
#include "cloud/grpc_agent_gateway.h"
#include "cloud/grpc_service.h"
#include "cloud/http_server.h"
#include "cloud/rest_gateway.h"
#include "cloud/tls.h"
#include "common/files.h"
#include "common/status_macros.h"

namespace cove::cloud {

CloudServer::CloudServer() = default;

CloudServer::~CloudServer() {
  Shutdown();
  Wait();
}

std::string CloudServer::endpoint() const {
  return absl::StrCat(tls_ ? "https://" : "http://", address_);
}

std::string CloudServer::metrics_url() const {
  return metrics_ == nullptr ? std::string() : metrics_->url();
}

int CloudServer::http_port() const {
  return http_ == nullptr ? 0 : http_->port();
}

std::string CloudServer::http_url() const {
  return http_ == nullptr ? std::string() : http_->base_url();
}

void CloudServer::Shutdown() {
  if (shut_down_) return;
  shut_down_ = true;
  if (metrics_ != nullptr) metrics_->Stop();
  // Wakes WaitOperation calls first, so that the server can drain.
  if (core_ != nullptr) core_->Stop();
  // Ends the agents' streams (they reconnect to the next control plane).
  if (core_ != nullptr) core_->AgentShutdown();
  // After core_->Stop(): blocked WaitOperation handlers have returned.
  if (http_ != nullptr) http_->Stop();
  if (grpc_server_ != nullptr) {
    grpc_server_->Shutdown(std::chrono::system_clock::now() +
                           std::chrono::seconds(2));
  }
}

void CloudServer::Wait() {
  if (grpc_server_ != nullptr) grpc_server_->Wait();
}

absl::StatusOr<std::unique_ptr<CloudServer>> StartCloud(
    const CloudOptions& options) {
  COVE_RETURN_IF_ERROR(options.Validate());
  std::error_code ec;
  std::filesystem::create_directories(options.state_dir, ec);
  if (ec || !std::filesystem::is_directory(options.state_dir)) {
    return absl::InvalidArgumentError(
        absl::StrCat("state_dir: cannot create directory '", options.state_dir,
                     "' (", ec.message(), ")"));
  }
  std::unique_ptr<CloudServer> server(new CloudServer());
  std::string cert_file = options.tls_cert_file;
  std::string key_file = options.tls_key_file;
  if (options.generate_tls) {
    const std::string dir = options.state_dir + "/tls";
    std::filesystem::create_directories(dir, ec);
    cert_file = dir + "/cert.pem";
    key_file = dir + "/key.pem";
    COVE_RETURN_IF_ERROR(EnsureSelfSignedCertificate(cert_file, key_file));
  }
  std::shared_ptr<grpc::ServerCredentials> credentials =
      grpc::InsecureServerCredentials();
  if (!cert_file.empty()) {
    COVE_ASSIGN_OR_RETURN(auto cert,
                          internal::ReadFile("tls_cert_file", cert_file));
    COVE_ASSIGN_OR_RETURN(auto key,
                          internal::ReadFile("tls_key_file", key_file));
    grpc::SslServerCredentialsOptions ssl(
        GRPC_SSL_DONT_REQUEST_CLIENT_CERTIFICATE);
    ssl.pem_key_cert_pairs.push_back({key, cert});
    credentials = grpc::SslServerCredentials(ssl);
    server->tls_ = true;
    server->ca_file_ = cert_file;
  }
  COVE_ASSIGN_OR_RETURN(auto store,
                        Store::Open(options.state_dir + "/cloud.db"));
  server->core_ = std::make_unique<CloudCore>(options, std::move(store),
                                              cert_file, key_file);
  COVE_ASSIGN_OR_RETURN(server->initial_admin_key_, server->core_->Start());
  server->control_ = std::make_unique<ControlPlaneService>(server->core_.get());
  server->emulator_ = std::make_unique<EmulatorService>(server->core_.get());
  server->agent_gateway_ =
      std::make_unique<AgentGatewayService>(server->core_.get());

  grpc::ServerBuilder builder;
  int port = 0;
  builder.AddListeningPort(options.listen_address, credentials, &port);
  builder.RegisterService(server->control_.get());
  builder.RegisterService(server->emulator_.get());
  builder.RegisterService(server->agent_gateway_.get());
  server->grpc_server_ = builder.BuildAndStart();
  if (server->grpc_server_ == nullptr || port == 0) {
    server->core_->Stop();
    return absl::UnavailableError(
        absl::StrCat("listen: cannot listen on '", options.listen_address,
                     "' (address in use, or not a local address)"));
  }
  server->port_ = port;
  std::string host =
      options.listen_address.substr(0, options.listen_address.rfind(':'));
  if (host.empty() || host == "0.0.0.0" || host == "[::]") host = "127.0.0.1";
  server->address_ = absl::StrCat(host, ":", port);
  if (!options.metrics_listen_address.empty()) {
    CloudCore* core = server->core_.get();
    COVE_ASSIGN_OR_RETURN(
        server->metrics_,
        server::MetricsEndpoint::Start(options.metrics_listen_address, [core] {
          return core->ControlPlaneMetricsText();
        }));
  }
  if (!options.http_listen_address.empty()) {
    HttpServer::Options http_options;
    http_options.listen_address = options.http_listen_address;
    http_options.tls_cert_file = cert_file;
    http_options.tls_key_file = key_file;
    http_options.max_body_bytes = options.http_max_body_bytes;
    COVE_ASSIGN_OR_RETURN(server->http_, HttpServer::Bind(http_options));
    // The web console ("/", /console/..., the data explorer's
    // /v1/{cluster}/collections...; console_routes.h), first: its regex
    // routes go before the gateway's.
    ConsoleOptions console;
    auto console_dir = ResolveConsoleDir(options.console_dir);
    if (!console_dir.ok() && !options.console_dir.empty()) {
      return console_dir.status();
    }
    console.console_dir = console_dir.ok() ? *console_dir : "";
    console.chartjs_file = options.chartjs_file;
    console.control_plane_address = server->address_;
    console.data_plane_ca_file = server->ca_file_;
    RegisterConsole(server->core_.get(), server->http_.get(), console);
    // The REST/JSON API and its OpenAPI document (/v1/...).
    RegisterRestGateway(server->core_.get(), server->http_.get());
    // Other routes register here, before Start().
    server->http_->Start();
  }
  return server;
}

}  // namespace cove::cloud
