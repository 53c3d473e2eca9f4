// The Emulator service (test knobs): forwards to CloudCore.
#ifndef COVE_SRC_CLOUD_EMULATOR_SERVICE_H_
#define COVE_SRC_CLOUD_EMULATOR_SERVICE_H_

#include "cloud/cloud_core.h"
#include "cove/control/v1/emulator.grpc.pb.h"

namespace cove::cloud {

class EmulatorService final : public v1::Emulator::Service {
 public:
  explicit EmulatorService(CloudCore* core) : core_(core) {}

  grpc::Status GetSettings(grpc::ServerContext* ctx,
                           const v1::GetSettingsRequest* req,
                           v1::EmulatorSettings* resp) override {
    return core_->EmGetSettings(ctx, req, resp);
  }
  grpc::Status UpdateSettings(grpc::ServerContext* ctx,
                              const v1::UpdateSettingsRequest* req,
                              v1::EmulatorSettings* resp) override {
    return core_->EmUpdateSettings(ctx, req, resp);
  }
  grpc::Status SetClock(grpc::ServerContext* ctx,
                        const v1::SetClockRequest* req,
                        v1::EmulatorSettings* resp) override {
    return core_->EmSetClock(ctx, req, resp);
  }
  grpc::Status AdvanceClock(grpc::ServerContext* ctx,
                            const v1::AdvanceClockRequest* req,
                            v1::EmulatorSettings* resp) override {
    return core_->EmAdvanceClock(ctx, req, resp);
  }
  grpc::Status InjectFault(grpc::ServerContext* ctx,
                           const v1::InjectFaultRequest* req,
                           v1::Fault* resp) override {
    return core_->EmInjectFault(ctx, req, resp);
  }
  grpc::Status ListFaults(grpc::ServerContext* ctx,
                          const v1::ListFaultsRequest* req,
                          v1::ListFaultsResponse* resp) override {
    return core_->EmListFaults(ctx, req, resp);
  }
  grpc::Status ClearFaults(grpc::ServerContext* ctx,
                           const v1::ClearFaultsRequest* req,
                           v1::ClearFaultsResponse* resp) override {
    return core_->EmClearFaults(ctx, req, resp);
  }

 private:
  CloudCore* core_;
};

}  // namespace cove::cloud

#endif  // COVE_SRC_CLOUD_EMULATOR_SERVICE_H_
