// The Emulator service's side in the core: settings, the clock, fault
// injection. Only the emulator's admin key may call it.
#include "absl/strings/str_cat.h"
#include "cloud/cloud_core.h"
#include "cloud/util.h"
#include "google/protobuf/descriptor.h"

namespace cove::cloud {
namespace {

absl::Status AdminOnly(Call& call) {
  if (call.principal.admin) return absl::OkStatus();
  call.denied = true;
  return absl::PermissionDeniedError(
      absl::StrCat("permission denied: ", call.principal.actor, " may not use ",
                   call.action, " (only the emulator's admin key may)"));
}

}  // namespace

#define COVE_SETTINGS_FILL(resp)                                              \
  do {                                                                        \
    *(resp)->mutable_transition_delay() = ToProtoDuration(transition_delay_); \
    *(resp)->mutable_retention() = ToProtoDuration(retention_);               \
    for (const auto& [t, n] : vectors_per_cu_) {                              \
      (*(resp)->mutable_vectors_per_cu())[t] = n;                             \
    }                                                                         \
    for (const auto& [t, n] : bytes_per_cu_) {                                \
      (*(resp)->mutable_bytes_per_cu())[t] = n;                               \
    }                                                                         \
    (resp)->set_manual_clock(manual_clock_);                                  \
    *(resp)->mutable_now() = ToProto(NowLocked());                            \
  } while (false)

absl::Status CloudCore::GetSettings(const RequestContext& ctx,
                                    const v1::GetSettingsRequest& req,
                                    v1::EmulatorSettings* resp) {
  return Handle(ctx, "GetSettings", "emulator.getSettings", false, "emulator",
                "", [&](Call& call) -> absl::Status {
                  COVE_RETURN_IF_ERROR(AdminOnly(call));
                  COVE_SETTINGS_FILL(resp);
                  return absl::OkStatus();
                });
}

absl::Status CloudCore::UpdateSettings(const RequestContext& ctx,
                                       const v1::UpdateSettingsRequest& req,
                                       v1::EmulatorSettings* resp) {
  return Handle(
      ctx, "UpdateSettings", "emulator.updateSettings", true, "emulator", "",
      [&](Call& call) -> absl::Status {
        COVE_RETURN_IF_ERROR(AdminOnly(call));
        if (req.has_transition_delay()) {
          absl::Duration d = FromProtoDuration(req.transition_delay());
          if (d < absl::ZeroDuration()) {
            return absl::InvalidArgumentError(
                absl::StrCat("transition_delay: expected >= 0 (got ",
                             absl::FormatDuration(d), ")"));
          }
          transition_delay_ = d;
        }
        if (req.has_retention()) {
          absl::Duration d = FromProtoDuration(req.retention());
          if (d < absl::ZeroDuration()) {
            return absl::InvalidArgumentError(
                absl::StrCat("retention: expected >= 0 (got ",
                             absl::FormatDuration(d), ")"));
          }
          retention_ = d;
        }
        for (const auto& [type, n] : req.vectors_per_cu()) {
          if (type != "performance" && type != "capacity") {
            return absl::InvalidArgumentError(
                absl::StrCat("vectors_per_cu: expected cu_type performance or "
                             "capacity (got '",
                             type, "')"));
          }
          if (n < 1) {
            return absl::InvalidArgumentError(
                absl::StrCat("vectors_per_cu[", type,
                             "]: expected at least 1 (got ", n, ")"));
          }
        }
        for (const auto& [type, n] : req.bytes_per_cu()) {
          if (type != "performance" && type != "capacity") {
            return absl::InvalidArgumentError(
                absl::StrCat("bytes_per_cu: expected cu_type performance or "
                             "capacity (got '",
                             type, "')"));
          }
          if (n < 1) {
            return absl::InvalidArgumentError(absl::StrCat(
                "bytes_per_cu[", type, "]: expected at least 1 (got ", n, ")"));
          }
        }
        if (!req.vectors_per_cu().empty() || !req.bytes_per_cu().empty()) {
          for (const auto& [type, n] : req.vectors_per_cu())
            vectors_per_cu_[type] = n;
          for (const auto& [type, n] : req.bytes_per_cu())
            bytes_per_cu_[type] = n;
          // Capacities follow at once, also on serving data planes.
          for (auto& [name, c] : clusters_) {
            c.set_capacity_vectors(CapacityLocked(c.cu_type(), c.cu_size()));
            c.set_capacity_bytes(CapacityBytesLocked(c.cu_type(), c.cu_size()));
            auto rt = runtimes_.find(name);
            if (rt != runtimes_.end()) {
              rt->second.plane->connection()->set_capacity(
                  c.capacity_vectors());
              rt->second.plane->connection()->set_capacity_bytes(
                  c.capacity_bytes());
            }
            COVE_RETURN_IF_ERROR(Persist("cluster", name, c));
          }
        }
        wake_ = true;
        COVE_SETTINGS_FILL(resp);
        return absl::OkStatus();
      });
}

absl::Status CloudCore::SetClock(const RequestContext& ctx,
                                 const v1::SetClockRequest& req,
                                 v1::EmulatorSettings* resp) {
  return Handle(ctx, "SetClock", "emulator.setClock", true, "emulator", "",
                [&](Call& call) -> absl::Status {
                  COVE_RETURN_IF_ERROR(AdminOnly(call));
                  if (req.real()) {
                    manual_clock_ = false;
                  } else {
                    manual_now_ =
                        req.has_time() ? FromProto(req.time()) : absl::Now();
                    manual_clock_ = true;
                  }
                  MirrorClockLocked();
                  RunDueLocked();
                  wake_ = true;
                  COVE_SETTINGS_FILL(resp);
                  return absl::OkStatus();
                });
}

absl::Status CloudCore::AdvanceClock(const RequestContext& ctx,
                                     const v1::AdvanceClockRequest& req,
                                     v1::EmulatorSettings* resp) {
  return Handle(ctx, "AdvanceClock", "emulator.advanceClock", true, "emulator",
                "", [&](Call& call) -> absl::Status {
                  COVE_RETURN_IF_ERROR(AdminOnly(call));
                  const absl::Duration by = FromProtoDuration(req.by());
                  if (by < absl::ZeroDuration()) {
                    return absl::InvalidArgumentError(
                        absl::StrCat("by: expected a duration >= 0 (got ",
                                     absl::FormatDuration(by), ")"));
                  }
                  if (!manual_clock_) {
                    return absl::FailedPreconditionError(
                        "clock: the emulator runs on the real clock; call "
                        "SetClock first");
                  }
                  manual_now_ += by;
                  MirrorClockLocked();
                  // Transitions that became due run before the reply.
                  RunDueLocked();
                  wake_ = true;
                  COVE_SETTINGS_FILL(resp);
                  return absl::OkStatus();
                });
}

absl::Status CloudCore::InjectFault(const RequestContext& ctx,
                                    const v1::InjectFaultRequest& req,
                                    v1::Fault* resp) {
  return Handle(
      ctx, "InjectFault", "emulator.injectFault", true, "emulator", "",
      [&](Call& call) -> absl::Status {
        COVE_RETURN_IF_ERROR(AdminOnly(call));
        const v1::Fault& f = req.fault();
        const auto* service =
            google::protobuf::DescriptorPool::generated_pool()
                ->FindServiceByName("cove.control.v1.ControlPlane");
        if (f.verb() != "*" &&
            (service == nullptr ||
             service->FindMethodByName(f.verb()) == nullptr)) {
          return absl::InvalidArgumentError(
              absl::StrCat("fault.verb: expected a ControlPlane RPC name such "
                           "as CreateCluster, "
                           "or \"*\" (got '",
                           f.verb(), "')"));
        }
        if (f.mode() == v1::Fault::MODE_UNSPECIFIED) {
          return absl::InvalidArgumentError(
              "fault.mode: expected FAIL, STALL or UNAVAILABLE (got "
              "MODE_UNSPECIFIED)");
        }
        if (f.count() < 0) {
          return absl::InvalidArgumentError(absl::StrCat(
              "fault.count: expected 0 (until cleared) or more (got ",
              f.count(), ")"));
        }
        if (f.mode() == v1::Fault::FAIL &&
            (f.code() < 0 || f.code() > 16 || f.code() == 0)) {
          if (f.code() != 0) {
            return absl::InvalidArgumentError(absl::StrCat(
                "fault.code: expected a google.rpc.Code from 1 to 16 (got ",
                f.code(), ")"));
          }
        }
        FaultRecord r;
        r.fault = f;
        if (r.fault.mode() == v1::Fault::FAIL && r.fault.code() == 0) {
          r.fault.set_code(13);
        }
        r.remaining = f.count();
        faults_.push_back(r);
        *resp = r.fault;
        return absl::OkStatus();
      });
}

absl::Status CloudCore::ListFaults(const RequestContext& ctx,
                                   const v1::ListFaultsRequest& req,
                                   v1::ListFaultsResponse* resp) {
  return Handle(ctx, "ListFaults", "emulator.listFaults", false, "emulator", "",
                [&](Call& call) -> absl::Status {
                  COVE_RETURN_IF_ERROR(AdminOnly(call));
                  for (const FaultRecord& r : faults_) {
                    v1::Fault* f = resp->add_faults();
                    *f = r.fault;
                    f->set_count(r.remaining);
                  }
                  return absl::OkStatus();
                });
}

absl::Status CloudCore::ClearFaults(const RequestContext& ctx,
                                    const v1::ClearFaultsRequest& req,
                                    v1::ClearFaultsResponse* resp) {
  return Handle(ctx, "ClearFaults", "emulator.clearFaults", true, "emulator",
                "", [&](Call& call) -> absl::Status {
                  COVE_RETURN_IF_ERROR(AdminOnly(call));
                  faults_.erase(std::remove_if(faults_.begin(), faults_.end(),
                                               [&](const FaultRecord& r) {
                                                 return req.verb().empty() ||
                                                        r.fault.verb() ==
                                                            req.verb();
                                               }),
                                faults_.end());
                  // Stalled operations of the verb progress again.
                  const absl::Time now = NowLocked();
                  for (auto& [name, p] : pending_) {
                    auto op = operations_.find(name);
                    if (!p.stalled || op == operations_.end()) continue;
                    if (req.verb().empty() || req.verb() == "*" ||
                        op->second.verb() == req.verb()) {
                      p.stalled = false;
                      p.due = std::min(p.due, now);
                    }
                  }
                  wake_ = true;
                  return absl::OkStatus();
                });
}

}  // namespace cove::cloud
