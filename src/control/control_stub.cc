// The gRPC ControlStub and its decorators (see control_stub.h).
#include "control/control_stub.h"

#include <chrono>
#include <utility>

#include "absl/strings/str_cat.h"

namespace cove::internal {
namespace {

// Calls the generated gRPC stubs of the two services.
class GrpcControlStub final : public ControlStub {
 public:
  explicit GrpcControlStub(const std::shared_ptr<grpc::Channel>& channel)
      : control_(pb::ControlPlane::NewStub(channel)),
        emulator_(pb::Emulator::NewStub(channel)) {}

#define COVE_CONTROL_PLANE_FORWARD(Name, Request, Response) \
  COVE_GRPC_STUB_FORWARD(control_, Name, Request, Response)
#define COVE_EMULATOR_FORWARD(Name, Request, Response) \
  COVE_GRPC_STUB_FORWARD(emulator_, Name, Request, Response)
  COVE_CONTROL_PLANE_RPCS(COVE_CONTROL_PLANE_FORWARD)
  COVE_EMULATOR_RPCS(COVE_EMULATOR_FORWARD)
#undef COVE_EMULATOR_FORWARD
#undef COVE_CONTROL_PLANE_FORWARD

 private:
  std::unique_ptr<pb::ControlPlane::Stub> control_;
  std::unique_ptr<pb::Emulator::Stub> emulator_;
};

// Adds the API key to every call.
class CredentialsStub final : public ControlStub {
 public:
  CredentialsStub(std::shared_ptr<ControlStub> next, const std::string& key)
      : next_(std::move(next)), authorization_(absl::StrCat("Bearer ", key)) {}

  COVE_CONTROL_PLANE_RPCS(COVE_GRPC_STUB_METADATA)
  COVE_EMULATOR_RPCS(COVE_GRPC_STUB_METADATA)

 private:
  void AddMetadata(grpc::ClientContext& context) const {
    context.AddMetadata("authorization", authorization_);
  }

  std::shared_ptr<ControlStub> next_;
  const std::string authorization_;
};

// Logs the name, transport status and duration of every call.
class LoggingStub final : public ControlStub {
 public:
  LoggingStub(std::shared_ptr<ControlStub> next, RpcLogSink sink)
      : next_(std::move(next)), sink_(std::move(sink)) {}

  COVE_CONTROL_PLANE_RPCS(COVE_GRPC_STUB_LOG)
  COVE_EMULATOR_RPCS(COVE_GRPC_STUB_LOG)

 private:
  std::shared_ptr<ControlStub> next_;
  RpcLogSink sink_;
};

}  // namespace

std::shared_ptr<ControlStub> MakeGrpcControlStub(
    std::shared_ptr<grpc::Channel> channel) {
  return std::make_shared<GrpcControlStub>(channel);
}

std::shared_ptr<ControlStub> MakeDecoratedControlStub(
    std::shared_ptr<ControlStub> base, const std::string& api_key,
    RpcLogSink log) {
  std::shared_ptr<ControlStub> stub = std::move(base);
  if (!api_key.empty()) {
    stub = std::make_shared<CredentialsStub>(std::move(stub), api_key);
  }
  if (log)
    stub = std::make_shared<LoggingStub>(std::move(stub), std::move(log));
  return stub;
}

}  // namespace cove::internal
