// IdleListener: a generic callback service that refuses every call with
// UNAVAILABLE and reports it.
#include "hosting/idle_listener.h"

#include <grpcpp/generic/async_generic_service.h>
#include <grpcpp/grpcpp.h>
#include <grpcpp/support/server_callback.h>

#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "common/files.h"
#include "common/status_macros.h"

namespace cove::hosting {

namespace {

// Finishes the call at once; the client's messages are never read.
class RefuseReactor : public grpc::ServerGenericBidiReactor {
 public:
  RefuseReactor(grpc::StatusCode code, const std::string& message) {
    Finish(grpc::Status(code, message));
  }
  void OnDone() override { delete this; }
};

}  // namespace

class IdleListener::Service : public grpc::CallbackGenericService {
 public:
  Service(IdleListener* owner, std::string message,
          std::function<void()> on_wake,
          std::function<void(const server::AccessDenial&)> on_denied)
      : owner_(owner),
        message_(std::move(message)),
        on_wake_(std::move(on_wake)),
        on_denied_(std::move(on_denied)) {}

  grpc::ServerGenericBidiReactor* CreateReactor(
      grpc::GenericCallbackServerContext* ctx) override {
    // A client the IP access list refuses wakes nothing.
    if (absl::Status allowed = owner_->ip_access_->Check(ctx->peer());
        !allowed.ok()) {
      const std::string message(allowed.message());
      if (on_denied_) {
        server::AccessDenial d;
        d.kind = server::AccessDenial::Kind::kNetwork;
        d.peer = ctx->peer();
        absl::string_view method = ctx->method();
        d.method = std::string(method.substr(method.rfind('/') + 1));
        d.message = message;
        d.time = absl::Now();
        on_denied_(d);
      }
      return new RefuseReactor(grpc::StatusCode::PERMISSION_DENIED, message);
    }
    owner_->calls_.fetch_add(1);
    if (on_wake_) on_wake_();
    return new RefuseReactor(grpc::StatusCode::UNAVAILABLE, message_);
  }

 private:
  IdleListener* owner_;
  const std::string message_;
  const std::function<void()> on_wake_;
  const std::function<void(const server::AccessDenial&)> on_denied_;
};

absl::StatusOr<std::unique_ptr<IdleListener>> IdleListener::Start(
    const std::string& cluster, const std::string& listen_address,
    const std::string& tls_cert_file, const std::string& tls_key_file,
    std::function<void()> on_wake,
    const std::vector<std::string>& ip_access_list,
    std::function<void(const server::AccessDenial&)> on_access_denied,
    const std::vector<std::string>& more_listen_addresses) {
  std::unique_ptr<IdleListener> l(new IdleListener());
  l->ip_access_ = std::make_shared<server::IpAccessControl>(
      absl::StrCat("cluster '", cluster, "'"));
  COVE_RETURN_IF_ERROR(l->ip_access_->Set(ip_access_list));
  l->service_ = std::make_unique<Service>(
      l.get(),
      absl::StrCat("cluster '", cluster,
                   "' is waking up from idle; retry (its data plane starts "
                   "on this endpoint in a moment)"),
      std::move(on_wake), std::move(on_access_denied));
  std::shared_ptr<grpc::ServerCredentials> credentials =
      grpc::InsecureServerCredentials();
  if (!tls_cert_file.empty()) {
    COVE_ASSIGN_OR_RETURN(std::string cert,
                          internal::ReadFile("tls_cert_file", tls_cert_file));
    COVE_ASSIGN_OR_RETURN(std::string key,
                          internal::ReadFile("tls_key_file", tls_key_file));
    grpc::SslServerCredentialsOptions ssl;
    ssl.pem_key_cert_pairs.push_back({key, cert});
    credentials = grpc::SslServerCredentials(ssl);
  }
  grpc::ServerBuilder builder;
  int port = 0;
  builder.AddListeningPort(listen_address, credentials, &port);
  std::vector<int> more_ports(more_listen_addresses.size(), 0);
  for (size_t i = 0; i < more_ports.size(); ++i) {
    builder.AddListeningPort(more_listen_addresses[i], credentials,
                             &more_ports[i]);
  }
  builder.RegisterCallbackGenericService(l->service_.get());
  l->server_ = builder.BuildAndStart();
  bool bound = port != 0;
  for (int p : more_ports) bound = bound && p != 0;
  if (l->server_ == nullptr || !bound) {
    return absl::UnavailableError(absl::StrCat("idle endpoint of cluster '",
                                               cluster, "': cannot listen on ",
                                               listen_address));
  }
  return l;
}

IdleListener::~IdleListener() { Stop(); }

void IdleListener::Stop() {
  if (stopped_ || server_ == nullptr) return;
  stopped_ = true;
  // Calls in flight are refused at once anyway: a short grace lets their
  // "waking up" answer reach the client instead of a cancellation (the
  // wake that stops the listener follows the first call closely).
  server_->Shutdown(std::chrono::system_clock::now() +
                    std::chrono::milliseconds(200));
  server_->Wait();
}

}  // namespace cove::hosting
