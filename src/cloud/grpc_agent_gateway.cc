// AgentGatewayService: agent streams over gRPC (see grpc_agent_gateway.h).
#include "cloud/grpc_agent_gateway.h"

#include <deque>
#include <memory>
#include <thread>
#include <utility>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"

namespace cove::cloud {
namespace {

namespace v1 = ::cove::control::v1;

// An agent's stream: the outbox the core fills, and the call to cancel
// when the core ends the stream.
class GrpcAgentStream final : public AgentStream {
 public:
  explicit GrpcAgentStream(grpc::ServerContext* ctx) : ctx_(ctx) {}

  void Send(v1::ControlMessage m) override {
    absl::MutexLock lock(&mu_);
    if (!closed_) outbox_.push_back(std::move(m));
  }
  void End() override {
    Close();
    ctx_->TryCancel();
  }
  void Close() {
    absl::MutexLock lock(&mu_);
    closed_ = true;
  }

  // The writer: sends the outbox until the stream is closed or cancelled.
  void WriteLoop(
      grpc::ServerReaderWriter<v1::ControlMessage, v1::AgentMessage>* stream) {
    while (true) {
      v1::ControlMessage m;
      {
        absl::MutexLock lock(&mu_);
        mu_.AwaitWithTimeout(
            absl::Condition(
                +[](GrpcAgentStream* s) ABSL_EXCLUSIVE_LOCKS_REQUIRED(s->mu_) {
                  return s->closed_ || !s->outbox_.empty();
                },
                this),
            absl::Milliseconds(200));
        if (closed_) return;
        if (outbox_.empty()) {
          if (ctx_->IsCancelled()) return;
          continue;
        }
        m = std::move(outbox_.front());
        outbox_.pop_front();
      }
      if (!stream->Write(m)) return;
    }
  }

 private:
  grpc::ServerContext* const ctx_;
  absl::Mutex mu_;
  std::deque<v1::ControlMessage> outbox_ ABSL_GUARDED_BY(mu_);
  bool closed_ ABSL_GUARDED_BY(mu_) = false;
};

grpc::Status ToGrpc(const absl::Status& s) {
  if (s.ok()) return grpc::Status::OK;
  return grpc::Status(static_cast<grpc::StatusCode>(s.code()),
                      std::string(s.message()));
}

}  // namespace

grpc::Status AgentGatewayService::Connect(
    grpc::ServerContext* ctx,
    grpc::ServerReaderWriter<v1::ControlMessage, v1::AgentMessage>* stream) {
  v1::AgentMessage first;
  if (!stream->Read(&first)) {
    return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT,
                        "agent stream: ended before the hello");
  }
  if (!first.has_hello()) {
    return grpc::Status(
        grpc::StatusCode::INVALID_ARGUMENT,
        "agent stream: expected a hello as the first message (got another "
        "message)");
  }
  auto session = std::make_shared<GrpcAgentStream>(ctx);
  absl::StatusOr<v1::AgentWelcome> welcome =
      core_->AgentConnect(first.hello(), session, ctx->peer());
  if (!welcome.ok()) return ToGrpc(welcome.status());
  v1::ControlMessage w;
  *w.mutable_welcome() = *welcome;
  bool alive = stream->Write(w);

  // Commands go out from their own thread, so that reading never waits on
  // writing.
  std::thread writer([session, stream] { session->WriteLoop(stream); });
  v1::AgentMessage in;
  while (alive && stream->Read(&in)) core_->AgentReceive(session.get(), in);
  core_->AgentDisconnect(session.get());
  session->Close();
  writer.join();
  return grpc::Status::OK;
}

}  // namespace cove::cloud
