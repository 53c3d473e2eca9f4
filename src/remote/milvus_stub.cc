// The gRPC MilvusStub and its decorators.
#include "remote/milvus_stub.h"

#include <chrono>
#include <utility>

#include "absl/strings/str_cat.h"
#include "google/protobuf/descriptor.h"
#include "google/protobuf/reflection.h"
#include "milvus/convert.h"

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

// Protobuf refuses to send a string field that is not valid UTF-8, and the
// failure reaches the caller as an unclear transport error. This decorator
// refuses such requests first, naming the field (the bytes escaped).
class Utf8Stub final : public MilvusStub {
 public:
  explicit Utf8Stub(std::shared_ptr<MilvusStub> next)
      : next_(std::move(next)) {}

#define COVE_STUB_UTF8(Name, Request, Response)                           \
  grpc::Status Name(grpc::ClientContext& context, const Request& request, \
                    Response* response) override {                        \
    std::string bad = InvalidUtf8Field(request);                          \
    if (!bad.empty()) {                                                   \
      return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, bad);       \
    }                                                                     \
    return next_->Name(context, request, response);                       \
  }
  COVE_MILVUS_STUB_RPCS(COVE_STUB_UTF8)
#undef COVE_STUB_UTF8

 private:
  std::shared_ptr<MilvusStub> next_;
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

std::string InvalidUtf8Field(const google::protobuf::Message& message) {
  const google::protobuf::Descriptor* d = message.GetDescriptor();
  const google::protobuf::Reflection* r = message.GetReflection();
  for (int i = 0; i < d->field_count(); ++i) {
    const google::protobuf::FieldDescriptor* f = d->field(i);
    if (f->type() == google::protobuf::FieldDescriptor::TYPE_STRING) {
      auto check = [&](const std::string& value) -> std::string {
        if (IsValidUtf8(value)) return std::string();
        return absl::StrCat(f->name(), ": not valid UTF-8 ('", ValidUtf8(value),
                            "'; names and text fields must be UTF-8)");
      };
      if (f->is_repeated()) {
        for (int k = 0; k < r->FieldSize(message, f); ++k) {
          std::string bad = check(r->GetRepeatedString(message, f, k));
          if (!bad.empty()) return bad;
        }
      } else {
        std::string bad = check(r->GetString(message, f));
        if (!bad.empty()) return bad;
      }
    } else if (f->type() == google::protobuf::FieldDescriptor::TYPE_MESSAGE) {
      if (f->is_repeated()) {
        for (int k = 0; k < r->FieldSize(message, f); ++k) {
          std::string bad =
              InvalidUtf8Field(r->GetRepeatedMessage(message, f, k));
          if (!bad.empty()) return bad;
        }
      } else if (r->HasField(message, f)) {
        std::string bad = InvalidUtf8Field(r->GetMessage(message, f));
        if (!bad.empty()) return bad;
      }
    }
  }
  return std::string();
}

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
  stub = std::make_shared<Utf8Stub>(std::move(stub));
  if (log)
    stub = std::make_shared<LoggingStub>(std::move(stub), std::move(log));
  return stub;
}

}  // namespace cove::internal
