// Agent: the connection to the control plane. It dials out to the
// AgentGateway, registers (token, then its credential), sends heartbeats
// with the status of its clusters and the refused data-plane calls, carries
// out commands (agent_clusters.cc), and reconnects with backoff.
#include <algorithm>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "agent/agent_impl.h"
#include "common/files.h"
#include "cove/version.h"
#include "hosting/private_files.h"
#include "nlohmann/json.hpp"

namespace cove::agent {

namespace {

bool IsRefusal(grpc::StatusCode code) {
  return code == grpc::StatusCode::UNAUTHENTICATED ||
         code == grpc::StatusCode::NOT_FOUND ||
         code == grpc::StatusCode::FAILED_PRECONDITION ||
         code == grpc::StatusCode::INVALID_ARGUMENT ||
         code == grpc::StatusCode::PERMISSION_DENIED;
}

absl::Status FromGrpc(const grpc::Status& s) {
  return absl::Status(static_cast<absl::StatusCode>(s.error_code()),
                      s.error_message());
}

}  // namespace

// ---- the connection
// ------------------------------------------------------------

std::shared_ptr<grpc::ChannelCredentials> Agent::Impl::Credentials(
    std::string* target) {
  std::string t = options_.control_plane;
  bool tls = !options_.tls_ca_file.empty();
  if (absl::StartsWith(t, "https://")) {
    tls = true;
    t = t.substr(8);
  } else if (absl::StartsWith(t, "http://")) {
    t = t.substr(7);
  }
  *target = t;
  if (!tls) return grpc::InsecureChannelCredentials();
  grpc::SslCredentialsOptions ssl;
  if (!options_.tls_ca_file.empty()) {
    auto pem = internal::ReadFile("tls_ca_file", options_.tls_ca_file);
    if (pem.ok()) ssl.pem_root_certs = *pem;
  }
  return grpc::SslCredentials(ssl);
}

absl::Status Agent::Impl::RunSession() {
  std::string target;
  auto creds = Credentials(&target);
  auto channel = grpc::CreateChannel(target, creds);
  auto stub = v1::AgentGateway::NewStub(channel);
  grpc::ClientContext ctx;
  v1::AgentMessage hello;
  {
    absl::MutexLock lock(&mu_);
    if (stopping_ || paused_) return absl::CancelledError("agent: stopping");
    live_ctx_ = &ctx;
    auto* h = hello.mutable_hello();
    h->set_environment(environment_.empty() ? options_.environment
                                            : environment_);
    if (!credential_.empty()) {
      h->set_credential(credential_);
    } else {
      h->set_token(options_.token);
    }
    h->set_agent_version(COVE_VERSION_STRING);
    h->set_host(options_.host_name);
    h->set_private_network_address(options_.private_address);
    for (auto& s : StatusesLocked()) *h->add_clusters() = std::move(s);
  }
  auto clear_ctx = [&] {
    absl::MutexLock lock(&mu_);
    live_ctx_ = nullptr;
    connected_ = false;
  };
  std::unique_ptr<Stream> stream = stub->Connect(&ctx);
  v1::ControlMessage m;
  const bool wrote = stream->Write(hello);
  const bool read = wrote && stream->Read(&m);
  if (!read || !m.has_welcome()) {
    // A refused hello ends the call with the control plane's status; read
    // it before cancelling anything.
    if (read || !wrote) ctx.TryCancel();
    grpc::Status st = stream->Finish();
    clear_ctx();
    if (st.ok()) {
      return absl::UnavailableError(
          "agent stream: ended before the control plane's welcome");
    }
    if (IsRefusal(st.error_code())) {
      absl::MutexLock lock(&mu_);
      last_error_ = FromGrpc(st);
      refused_ = true;
    }
    return FromGrpc(st);
  }
  const v1::AgentWelcome& welcome = m.welcome();
  {
    absl::MutexLock lock(&mu_);
    environment_ = welcome.environment();
    if (!welcome.credential().empty()) {
      credential_ = welcome.credential();
      nlohmann::json j = {{"environment", environment_},
                          {"credential", credential_},
                          {"control_plane", options_.control_plane}};
      absl::Status s = hosting::WritePrivateFile(
          "state file", options_.state_dir + "/" + kCredentialFile, j.dump());
      if (!s.ok()) last_error_ = s;
    }
    ++registrations_;
    connected_ = true;
  }
  absl::Mutex write_mu;
  bool session_done = false;  // guarded by mu_
  const absl::Duration interval = absl::Milliseconds(
      std::max<int64_t>(welcome.heartbeat_interval_ms(), 10));
  std::thread heartbeat([&] {
    while (true) {
      v1::AgentMessage beat;
      {
        absl::MutexLock lock(&mu_);
        // Every interval, or at once when a cluster woke from idle.
        struct Due {
          Impl* impl;
          const bool* done;
        } due{this, &session_done};
        mu_.AwaitWithTimeout(absl::Condition(
                                 +[](Due* d) ABSL_NO_THREAD_SAFETY_ANALYSIS {
                                   return *d->done || d->impl->beat_now_;
                                 },
                                 &due),
                             interval);
        if (session_done) return;
        beat_now_ = false;
        if (hung_) continue;  // test hook: a hung agent sends nothing
        CheckKeysLocked();
        for (auto& s : StatusesLocked())
          *beat.mutable_heartbeat()->add_clusters() = std::move(s);
      }
      absl::MutexLock lock(&write_mu);
      if (!stream->Write(beat)) return;
      // Refused data-plane calls, for the control plane's audit log; lost
      // with the stream if it breaks now (the count is bounded anyway).
      if (auto denials = TakeDenials(); denials.has_value()) {
        if (!stream->Write(*denials)) return;
      }
    }
  });
  while (stream->Read(&m)) {
    if (!m.has_command()) continue;
    {
      // A hung agent (test hook) carries out nothing; the command waits.
      absl::MutexLock lock(&mu_);
      mu_.Await(absl::Condition(
          +[](Impl* i) ABSL_EXCLUSIVE_LOCKS_REQUIRED(i->mu_) {
            return !i->hung_ || i->stopping_;
          },
          this));
      if (stopping_) break;
    }
    v1::AgentMessage out;
    *out.mutable_result() = Execute(m.command(), stream.get(), &write_mu);
    absl::MutexLock lock(&write_mu);
    if (!stream->Write(out)) break;
  }
  {
    absl::MutexLock lock(&mu_);
    session_done = true;
  }
  heartbeat.join();
  ctx.TryCancel();
  grpc::Status st = stream->Finish();
  clear_ctx();
  if (!st.ok()) return FromGrpc(st);
  return absl::UnavailableError("agent stream: closed by the control plane");
}

void Agent::Impl::Loop() {
  absl::Duration backoff = absl::FromChrono(options_.min_backoff);
  const absl::Duration max_backoff = absl::FromChrono(options_.max_backoff);
  while (true) {
    int64_t before = 0;
    {
      absl::MutexLock lock(&mu_);
      mu_.Await(absl::Condition(
          +[](Impl* i) ABSL_EXCLUSIVE_LOCKS_REQUIRED(i->mu_) {
            return i->stopping_ || !i->paused_;
          },
          this));
      if (stopping_) return;
      before = registrations_;
    }
    absl::Status s = RunSession();
    {
      absl::MutexLock lock(&mu_);
      last_error_ = s;
      if (stopping_ || refused_) return;
      if (registrations_ > before)
        backoff = absl::FromChrono(options_.min_backoff);
      mu_.AwaitWithTimeout(absl::Condition(&stopping_), backoff);
      if (stopping_) return;
    }
    backoff = std::min(backoff * 2, max_backoff);
  }
}

}  // namespace cove::agent
