// The gRPC MilvusStub and its decorators.
#include "remote/milvus_stub.h"

#include <chrono>
#include <utility>

#include "absl/strings/str_cat.h"

namespace cove::internal {
namespace {

// Calls the generated gRPC stub.
class GrpcMilvusStub final : public MilvusStub {
 public:
  explicit GrpcMilvusStub(std::shared_ptr<grpc::Channel> channel)
      : channel_(std::move(channel)),
        stub_(stub_pb::milvus::MilvusService::NewStub(channel_)) {}

#define COVE_MILVUS_STUB_FORWARD(Name, Request, Response) \
  COVE_GRPC_STUB_FORWARD(stub_, Name, Request, Response)
  COVE_MILVUS_STUB_RPCS(COVE_MILVUS_STUB_FORWARD)
#undef COVE_MILVUS_STUB_FORWARD

 private:
  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<stub_pb::milvus::MilvusService::Stub> stub_;
};

// Adds the session metadata (credentials, identifier) to every call.
class MetadataStub final : public MilvusStub {
 public:
  MetadataStub(std::shared_ptr<MilvusStub> next,
               std::shared_ptr<const SessionMetadata> session)
      : next_(std::move(next)), session_(std::move(session)) {}

  COVE_MILVUS_STUB_RPCS(COVE_GRPC_STUB_METADATA)

 private:
  void AddMetadata(grpc::ClientContext& context) const {
    session_->Apply(context);
  }

  std::shared_ptr<MilvusStub> next_;
  std::shared_ptr<const SessionMetadata> session_;
};

// Logs the name, transport status and duration of every call.
class LoggingStub final : public MilvusStub {
 public:
  LoggingStub(std::shared_ptr<MilvusStub> next, RpcLogSink sink)
      : next_(std::move(next)), sink_(std::move(sink)) {}

  COVE_MILVUS_STUB_RPCS(COVE_GRPC_STUB_LOG)

 private:
  std::shared_ptr<MilvusStub> next_;
  RpcLogSink sink_;
};

}  // namespace

void SessionMetadata::Apply(grpc::ClientContext& context) const {
  if (!authorization_.empty()) {
    context.AddMetadata("authorization", authorization_);
  }
  absl::MutexLock lock(&mu_);
  if (identifier_ != 0) {
    context.AddMetadata("identifier", absl::StrCat(identifier_));
  }
}

std::shared_ptr<MilvusStub> MakeGrpcMilvusStub(
    std::shared_ptr<grpc::Channel> channel) {
  return std::make_shared<GrpcMilvusStub>(std::move(channel));
}

std::shared_ptr<MilvusStub> MakeDecoratedStub(
    std::shared_ptr<MilvusStub> base,
    std::shared_ptr<const SessionMetadata> session, RpcLogSink log) {
  std::shared_ptr<MilvusStub> stub =
      std::make_shared<MetadataStub>(std::move(base), std::move(session));
  if (log)
    stub = std::make_shared<LoggingStub>(std::move(stub), std::move(log));
  return stub;
}

}  // namespace cove::internal
