// StartServer: gRPC server setup for the Milvus service.
#include "server/server.h"

#include <grpcpp/grpcpp.h>
#include <grpcpp/security/server_credentials.h>
#include <grpcpp/support/server_interceptor.h>

#include <utility>

#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "common/files.h"
#include "common/status_macros.h"
#include "embedded/embedded_connection.h"
#include "server/milvus_service.h"

namespace cove::server {

absl::Status WriteTooLargeError(int64_t bytes, int64_t limit) {
  return absl::ResourceExhaustedError(absl::StrCat(
      "request size: this write holds ", bytes, " bytes, over the limit of ",
      limit, " bytes",
      limit % (int64_t{1} << 20) == 0 ? absl::StrCat(" (", limit >> 20, " MiB)")
                                      : std::string(),
      " per insert or upsert request; split it into smaller batches"));
}
namespace {

// Largest message accepted (large inserts and results).
constexpr int kMaxMessageBytes = 512 * 1024 * 1024;

// Tells ServerOptions::on_access_denied of the calls refused for their
// credentials (gRPC UNAUTHENTICATED, or a reply status saying so) or their
// privileges (a reply status PermissionDenied): an observer beside the
// service, so that the request path stays as it is.
class AccessInterceptor final : public grpc::experimental::Interceptor {
 public:
  AccessInterceptor(
      grpc::experimental::ServerRpcInfo* info,
      const std::function<void(const AccessDenial&)>* observer,
      const std::function<void(const SupportCall&)>* support_observer)
      : info_(info), observer_(observer), support_observer_(support_observer) {
    absl::string_view method = info->method() ? info->method() : "";
    method_ = std::string(method.substr(method.rfind('/') + 1));
  }

  void Intercept(grpc::experimental::InterceptorBatchMethods* m) override {
    using grpc::experimental::InterceptionHookPoints;
    if (m->QueryInterceptionHookPoint(
            InterceptionHookPoints::POST_RECV_INITIAL_METADATA)) {
      ReadUser(*m->GetRecvInitialMetadata());
    }
    if (m->QueryInterceptionHookPoint(
            InterceptionHookPoints::POST_RECV_MESSAGE)) {
      // The privilege the RPC needs, from its request type (the request is
      // gone by the time the reply is sent).
      if (const void* p = m->GetRecvMessage(); p != nullptr) {
        const auto* request = static_cast<const google::protobuf::Message*>(p);
        const auto& opts = request->GetDescriptor()->options();
        if (opts.HasExtension(common_pb::privilege_ext_obj)) {
          std::string name = common_pb::ObjectPrivilege_Name(
              opts.GetExtension(common_pb::privilege_ext_obj)
                  .object_privilege());
          if (absl::StartsWith(name, "Privilege")) name = name.substr(9);
          privilege_ = name;
        }
      }
    }
    if (m->QueryInterceptionHookPoint(
            InterceptionHookPoints::PRE_SEND_MESSAGE)) {
      if (const void* p = m->GetSendMessage(); p != nullptr) {
        CheckReply(*static_cast<const google::protobuf::Message*>(p));
      }
    }
    if (m->QueryInterceptionHookPoint(
            InterceptionHookPoints::PRE_SEND_STATUS)) {
      const grpc::Status status = m->GetSendStatus();
      if (status.error_code() == grpc::StatusCode::UNAUTHENTICATED) {
        Report(AccessDenial::Kind::kAuthentication, status.error_message());
      } else if (status.error_code() == grpc::StatusCode::PERMISSION_DENIED) {
        // Only the IP access list refuses a call at the gRPC level (missing
        // privileges are reply statuses, above).
        Report(AccessDenial::Kind::kNetwork, status.error_message());
      }
      ReportSupportCall(status);
    }
    m->Proceed();
  }

 private:
  void ReadUser(const std::multimap<grpc::string_ref, grpc::string_ref>& md) {
    auto it = md.find("authorization");
    if (it == md.end()) return;
    std::string decoded;
    if (!absl::Base64Unescape(
            absl::string_view(it->second.data(), it->second.size()),
            &decoded)) {
      return;
    }
    // user:password: the user only; a token names no user.
    const size_t colon = decoded.find(':');
    if (colon != std::string::npos) user_ = decoded.substr(0, colon);
  }

  void CheckReply(const google::protobuf::Message& reply) {
    const common_pb::Status* status = nullptr;
    if (reply.GetDescriptor() == common_pb::Status::descriptor()) {
      status = static_cast<const common_pb::Status*>(&reply);
    } else if (const auto* f = reply.GetDescriptor()->FindFieldByName("status");
               f != nullptr &&
               f->type() == google::protobuf::FieldDescriptor::TYPE_MESSAGE &&
               f->message_type() == common_pb::Status::descriptor()) {
      status = static_cast<const common_pb::Status*>(
          &reply.GetReflection()->GetMessage(reply, f));
    }
    if (status != nullptr) reply_status_ = internal::StatusFromProto(*status);
    // Milvus codes 1400 (not authenticated: a wrong old password, ...) and
    // 1401 (not permitted: a missing privilege).
    if (status == nullptr ||
        (status->code() != 1400 && status->code() != 1401)) {
      return;
    }
    Report(status->code() == 1400 ? AccessDenial::Kind::kAuthentication
                                  : AccessDenial::Kind::kPermission,
           status->reason());
  }

  // A call of a support session (server/support_access.h) that passed
  // authentication, with its outcome: the host audits it under the grant's
  // support principal.
  void ReportSupportCall(const grpc::Status& status) {
    if (support_observer_ == nullptr || !*support_observer_ ||
        !IsSupportUser(user_) || authentication_failed_) {
      return;
    }
    SupportCall c;
    c.grant = user_.substr(sizeof(kSupportUserPrefix) - 1);
    c.peer = info_->server_context() != nullptr
                 ? info_->server_context()->peer()
                 : std::string();
    c.method = method_;
    if (!status.ok()) {
      c.code = static_cast<absl::StatusCode>(status.error_code());
      c.message = status.error_message();
    } else {
      c.code = reply_status_.code();
      c.message = std::string(reply_status_.message());
    }
    c.time = absl::Now();
    (*support_observer_)(c);
  }

  void Report(AccessDenial::Kind kind, std::string message) {
    if (kind == AccessDenial::Kind::kAuthentication ||
        kind == AccessDenial::Kind::kNetwork) {
      authentication_failed_ = true;
    }
    if (observer_ == nullptr || !*observer_) return;
    // A support session's refused call is audited as its support call.
    if (kind == AccessDenial::Kind::kPermission && IsSupportUser(user_) &&
        support_observer_ != nullptr && *support_observer_) {
      return;
    }
    if (reported_) return;
    reported_ = true;
    AccessDenial d;
    d.kind = kind;
    d.user = user_;
    d.peer = info_->server_context() != nullptr
                 ? info_->server_context()->peer()
                 : std::string();
    d.method = method_;
    if (kind == AccessDenial::Kind::kPermission) d.privilege = privilege_;
    d.message = std::move(message);
    d.time = absl::Now();
    (*observer_)(d);
  }

  grpc::experimental::ServerRpcInfo* info_;
  const std::function<void(const AccessDenial&)>* observer_;
  const std::function<void(const SupportCall&)>* support_observer_;
  std::string method_, user_, privilege_;
  absl::Status reply_status_;
  bool reported_ = false;
  bool authentication_failed_ = false;
};

class AccessInterceptorFactory final
    : public grpc::experimental::ServerInterceptorFactoryInterface {
 public:
  AccessInterceptorFactory(
      std::function<void(const AccessDenial&)> observer,
      std::function<void(const SupportCall&)> support_observer)
      : observer_(std::move(observer)),
        support_observer_(std::move(support_observer)) {}
  grpc::experimental::Interceptor* CreateServerInterceptor(
      grpc::experimental::ServerRpcInfo* info) override {
    return new AccessInterceptor(info, &observer_, &support_observer_);
  }

 private:
  const std::function<void(const AccessDenial&)> observer_;
  const std::function<void(const SupportCall&)> support_observer_;
};

}  // namespace

absl::Status ServerOptions::Validate() const {
  if (listen_address.empty() || listen_address.find(':') == std::string::npos) {
    return absl::InvalidArgumentError(absl::StrCat(
        "listen_address: expected host:port (got '", listen_address, "')"));
  }
  for (size_t i = 0; i < more_listen_addresses.size(); ++i) {
    const std::string& a = more_listen_addresses[i];
    if (a.find(':') == std::string::npos || a.back() == ':' ||
        a.substr(a.rfind(':') + 1) == "0") {
      return absl::InvalidArgumentError(
          absl::StrCat("more_listen_addresses[", i,
                       "]: expected host:port with a port (got '", a, "')"));
    }
  }
  if (tls_cert_file.empty() != tls_key_file.empty()) {
    return absl::InvalidArgumentError(
        "tls_cert_file/tls_key_file: TLS needs both (got only one)");
  }
  if (!tls_client_ca_file.empty() && tls_cert_file.empty()) {
    return absl::InvalidArgumentError(
        "tls_client_ca_file: mutual TLS needs tls_cert_file and "
        "tls_key_file too");
  }
  if (auth_enabled && auth_store == nullptr &&
      (root_password.size() < 6 || root_password.size() > 256)) {
    return absl::InvalidArgumentError(
        absl::StrCat("root_password: with authentication on, expected 6 to 256 "
                     "characters (got ",
                     root_password.size(), ")"));
  }
  if (pbkdf2_iterations < 1) {
    return absl::InvalidArgumentError(
        absl::StrCat("pbkdf2_iterations: expected at least 1 (got ",
                     pbkdf2_iterations, ")"));
  }
  COVE_RETURN_IF_ERROR(IpAccessList::Parse("ip_access_list", ip_access_list));
  if (connection == nullptr && data_dir.empty()) {
    return absl::InvalidArgumentError(
        "data_dir: expected a directory or ':memory:' (got an empty string)");
  }
  return absl::OkStatus();
}

Server::~Server() {
  Shutdown(std::chrono::milliseconds(0));
  Wait();
}

void Server::Shutdown(std::chrono::milliseconds grace) {
  if (grpc_server_ == nullptr || shut_down_.exchange(true)) return;
  if (metrics_endpoint_ != nullptr) metrics_endpoint_->Stop();
  grpc_server_->Shutdown(std::chrono::system_clock::now() + grace);
}

std::string Server::metrics_url() const {
  return metrics_endpoint_ == nullptr ? std::string()
                                      : metrics_endpoint_->url();
}

DataPlaneUsage Server::Usage() const {
  return usage_ ? usage_() : DataPlaneUsage{};
}

absl::Status Server::SetIpAccessList(const std::vector<std::string>& cidrs) {
  return ip_access_->Set(cidrs);
}

std::vector<std::string> Server::ip_access_list() const {
  return ip_access_->Get();
}

void Server::Wait() {
  if (grpc_server_ != nullptr) grpc_server_->Wait();
}

absl::StatusOr<std::unique_ptr<Server>> StartServer(
    const ServerOptions& options) {
  COVE_RETURN_IF_ERROR(options.Validate());
  std::unique_ptr<Server> server(new Server());
  server->connection_ = options.connection;
  if (server->connection_ == nullptr) {
    COVE_ASSIGN_OR_RETURN(
        server->connection_,
        internal::MakeEmbeddedConnection(options.data_dir, EmbeddedOptions{}));
  }
  server->auth_ = options.auth_store;
  if (server->auth_ == nullptr) {
    auth::AuthStore::Options auth_options;
    auth_options.pbkdf2_iterations = options.pbkdf2_iterations;
    if (options.data_dir != ":memory:" && options.connection == nullptr) {
      // Users, roles and grants live next to the data (hashes only).
      auth_options.state_file = options.data_dir + "/cove-users.json";
      COVE_ASSIGN_OR_RETURN(server->auth_, auth::AuthStore::Open(auth_options));
    } else {
      server->auth_ = std::make_shared<auth::AuthStore>(auth_options);
    }
    // The root password is set when root is first created; later changes
    // go through UpdateCredential and persist.
    if (options.auth_enabled && !server->auth_->HasUser(auth::kRootUser)) {
      COVE_RETURN_IF_ERROR(
          server->auth_->CreateUser(auth::kRootUser, options.root_password));
    }
  }
  server->metrics_ = options.metrics != nullptr
                         ? options.metrics
                         : std::make_shared<ServerMetrics>();
  server->usage_ = options.usage;
  if (!server->usage_) {
    std::shared_ptr<Connection> conn = server->connection_;
    std::string dir = options.connection == nullptr ? options.data_dir : "";
    server->usage_ = [conn, dir] {
      DataPlaneUsage u;
      u.vectors = CountEntities(*conn).value_or(-1);
      u.storage_bytes = DirectoryBytes(dir);
      return u;
    };
  }
  MilvusServiceImpl::Options service_options;
  service_options.auth_enabled = options.auth_enabled;
  service_options.metrics = server->metrics_;
  service_options.import_dir = options.import_dir;
  service_options.release = options.release;
  service_options.unhealthy_reason = options.unhealthy_reason;
  service_options.max_write_request_bytes = options.max_write_request_bytes;
  server->ip_access_ = std::make_shared<IpAccessControl>(
      options.ip_access_owner.empty() ? std::string("this server")
                                      : options.ip_access_owner);
  COVE_RETURN_IF_ERROR(server->ip_access_->Set(options.ip_access_list));
  service_options.ip_access = server->ip_access_;
  service_options.support_sessions = options.support_sessions;
  server->service_ = std::make_unique<MilvusServiceImpl>(
      server->connection_, server->auth_, service_options);

  std::shared_ptr<grpc::ServerCredentials> credentials =
      grpc::InsecureServerCredentials();
  if (!options.tls_cert_file.empty()) {
    COVE_ASSIGN_OR_RETURN(
        auto cert, internal::ReadFile("tls_cert_file", options.tls_cert_file));
    COVE_ASSIGN_OR_RETURN(
        auto key, internal::ReadFile("tls_key_file", options.tls_key_file));
    grpc::SslServerCredentialsOptions ssl(
        GRPC_SSL_DONT_REQUEST_CLIENT_CERTIFICATE);
    ssl.pem_key_cert_pairs.push_back({key, cert});
    if (!options.tls_client_ca_file.empty()) {
      COVE_ASSIGN_OR_RETURN(
          ssl.pem_root_certs,
          internal::ReadFile("tls_client_ca_file", options.tls_client_ca_file));
      ssl.client_certificate_request =
          GRPC_SSL_REQUEST_AND_REQUIRE_CLIENT_CERTIFICATE_AND_VERIFY;
    }
    credentials = grpc::SslServerCredentials(ssl);
  }

  grpc::ServerBuilder builder;
  int port = 0;
  builder.AddListeningPort(options.listen_address, credentials, &port);
  std::vector<int> more_ports(options.more_listen_addresses.size(), 0);
  for (size_t i = 0; i < more_ports.size(); ++i) {
    builder.AddListeningPort(options.more_listen_addresses[i], credentials,
                             &more_ports[i]);
  }
  builder.RegisterService(server->service_.get());
  builder.SetMaxReceiveMessageSize(kMaxMessageBytes);
  builder.SetMaxSendMessageSize(kMaxMessageBytes);
  // Accept the keepalive pings of clients (Milvus clients ping every 10 s or
  // more, also between calls); gRPC's default would answer them with GOAWAY.
  builder.AddChannelArgument(GRPC_ARG_KEEPALIVE_PERMIT_WITHOUT_CALLS, 1);
  builder.AddChannelArgument(
      GRPC_ARG_HTTP2_MIN_RECV_PING_INTERVAL_WITHOUT_DATA_MS, 5000);
  builder.AddChannelArgument(GRPC_ARG_HTTP2_MAX_PING_STRIKES, 0);
  if (options.reuse_port) {
    builder.AddChannelArgument(GRPC_ARG_ALLOW_REUSEPORT, 1);
  }
  if (options.on_access_denied || options.on_support_call) {
    std::vector<
        std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface>>
        interceptors;
    interceptors.push_back(std::make_unique<AccessInterceptorFactory>(
        options.on_access_denied, options.on_support_call));
    builder.experimental().SetInterceptorCreators(std::move(interceptors));
  }
  server->grpc_server_ = builder.BuildAndStart();
  if (server->grpc_server_ == nullptr || port == 0) {
    return absl::UnavailableError(
        absl::StrCat("listen: cannot listen on '", options.listen_address,
                     "' (address in use, or not a local address)"));
  }
  for (size_t i = 0; i < more_ports.size(); ++i) {
    if (more_ports[i] == 0) {
      return absl::UnavailableError(absl::StrCat(
          "listen: cannot listen on '", options.more_listen_addresses[i],
          "' (address in use, or not a local address)"));
    }
  }
  server->port_ = port;
  if (!options.metrics_listen_address.empty()) {
    ServerMetrics* metrics = server->metrics_.get();
    std::function<DataPlaneUsage()> usage = server->usage_;
    COVE_ASSIGN_OR_RETURN(
        server->metrics_endpoint_,
        MetricsEndpoint::Start(
            options.metrics_listen_address,
            [metrics, usage] { return metrics->PrometheusText(usage()); },
            options.reuse_port));
  }
  std::string host =
      options.listen_address.substr(0, options.listen_address.rfind(':'));
  if (host.empty() || host == "0.0.0.0" || host == "[::]") host = "127.0.0.1";
  server->address_ = absl::StrCat(host, ":", port);
  server->service_->SetAddress(server->address_);
  return server;
}

}  // namespace cove::server
