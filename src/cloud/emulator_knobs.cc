// The Emulator service's side in the core: settings, the clock, fault
// injection. Only the emulator's admin key may call it.
#include <cmath>

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

// Prices: finite and >= 0; factors and hours_per_month > 0.
absl::Status CheckPrice(const std::string& field, double v, bool positive) {
  if (!std::isfinite(v) || v < 0 || (positive && v == 0)) {
    return absl::InvalidArgumentError(
        absl::StrCat(field, ": expected a finite number ",
                     positive ? "> 0" : ">= 0", " (got ", v, ")"));
  }
  return absl::OkStatus();
}

// Applies UpdateSettingsRequest.price_table to `table` (all or nothing).
absl::Status UpdatePriceTable(const v1::PriceTable& in, v1::PriceTable* table) {
  for (const auto& [type, v] : in.cu_hour()) {
    if (type != "performance" && type != "capacity") {
      return absl::InvalidArgumentError(
          absl::StrCat("price_table.cu_hour: expected cu_type performance or "
                       "capacity (got '",
                       type, "')"));
    }
    COVE_RETURN_IF_ERROR(
        CheckPrice(absl::StrCat("price_table.cu_hour[", type, "]"), v, false));
  }
  for (const auto& [region, v] : in.region_factor()) {
    if (region.empty() || region.size() > 63) {
      return absl::InvalidArgumentError(absl::StrCat(
          "price_table.region_factor: expected a region name of 1 to 63 "
          "bytes (got '",
          region, "')"));
    }
    COVE_RETURN_IF_ERROR(CheckPrice(
        absl::StrCat("price_table.region_factor[", region, "]"), v, true));
  }
  COVE_RETURN_IF_ERROR(CheckPrice("price_table.storage_gib_month",
                                  in.storage_gib_month(), false));
  COVE_RETURN_IF_ERROR(
      CheckPrice("price_table.hours_per_month", in.hours_per_month(), false));
  if (in.currency().size() > 8) {
    return absl::InvalidArgumentError(absl::StrCat(
        "price_table.currency: expected a currency code such as USD (got '",
        in.currency(), "')"));
  }
  for (const auto& [type, v] : in.cu_hour())
    (*table->mutable_cu_hour())[type] = v;
  for (const auto& [region, v] : in.region_factor())
    (*table->mutable_region_factor())[region] = v;
  if (in.storage_gib_month() > 0)
    table->set_storage_gib_month(in.storage_gib_month());
  if (in.hours_per_month() > 0)
    table->set_hours_per_month(in.hours_per_month());
  if (!in.currency().empty()) table->set_currency(in.currency());
  return absl::OkStatus();
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
    *(resp)->mutable_price_table() = price_table_;                            \
    FillReleasesLocked(resp);                                                 \
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
        // The release catalog (upgrades.cc): checked before anything
        // changes.
        COVE_RETURN_IF_ERROR(UpdateReleasesLocked(req.releases(), false));
        COVE_RETURN_IF_ERROR(
            UpdatePriceTable(req.price_table(), &price_table_));
        COVE_RETURN_IF_ERROR(UpdateReleasesLocked(req.releases(), true));
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
        if (f.replica() < 0 ||
            (f.replica() > 0 &&
             (f.verb() != "UpgradeCluster" || f.mode() != v1::Fault::FAIL))) {
          return absl::InvalidArgumentError(absl::StrCat(
              "fault.replica: expected 0, or a replica number (from 1) with "
              "verb UpgradeCluster and mode FAIL (got ",
              f.replica(), " with verb '", f.verb(), "' and mode ",
              v1::Fault::Mode_Name(f.mode()), ")"));
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
