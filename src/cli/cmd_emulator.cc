// cove emulator: the cove-cloud emulator's test knobs (admin key only):
// settings, the manual clock, fault injection.
#include <CLI/CLI.hpp>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "cli/cli.h"
#include "common/status_macros.h"

namespace cove::cli {
namespace {

absl::StatusOr<absl::StatusCode> ParseCode(const std::string& text) {
  std::string upper = absl::AsciiStrToUpper(text);
  for (int i = 1; i <= 16; ++i) {
    auto code = static_cast<absl::StatusCode>(i);
    if (absl::StatusCodeToString(code) == upper) return code;
  }
  return absl::InvalidArgumentError(absl::StrCat(
      "--code: expected a status code name such as INTERNAL, UNAVAILABLE or "
      "RESOURCE_EXHAUSTED, got '",
      text, "'"));
}

}  // namespace

void AddEmulatorCommands(CLI::App& app, Context& ctx) {
  CLI::App* group =
      AddGroup(app, "emulator",
               "Test knobs of the cove-cloud emulator (its admin key only): "
               "settings, manual clock, fault injection.");
  CLI::App* settings = AddGroup(*group, "settings",
                                "Transition delay, restore window, capacity "
                                "per CU.");
  {
    CLI::App* cmd = settings->add_subcommand("get", "Show the settings.");
    ctx.OnCall(cmd, [&ctx](ControlClient& c) -> absl::Status {
      return ctx.Print(c.emulator().GetSettings(ctx.Call()));
    });
  }
  {
    struct Flags {
      std::string delay, retention;
      std::vector<std::string> per_cu;
    };
    auto f = std::make_shared<Flags>();
    CLI::App* cmd = settings->add_subcommand(
        "update", "Change settings (until the emulator stops).");
    cmd->add_option("--transition-delay", f->delay,
                    "how long cluster transitions take (e.g. 200ms)");
    cmd->add_option("--retention", f->retention,
                    "restore window of deleted clusters (e.g. 7d)");
    cmd->add_option("--vectors-per-cu", f->per_cu,
                    "CU_TYPE=N vectors per CU (repeatable)");
    ctx.OnCall(cmd, [&ctx, f](ControlClient& c) -> absl::Status {
      control::UpdateEmulatorSettingsRequest req;
      if (!f->delay.empty()) {
        COVE_ASSIGN_OR_RETURN(auto d,
                              ParseDuration(f->delay, "--transition-delay"));
        req.transition_delay = d;
      }
      if (!f->retention.empty()) {
        COVE_ASSIGN_OR_RETURN(auto d,
                              ParseDuration(f->retention, "--retention"));
        req.retention = d;
      }
      COVE_ASSIGN_OR_RETURN(auto per_cu,
                            ParseLabels(f->per_cu, "--vectors-per-cu"));
      for (const auto& [type, n] : per_cu) {
        int64_t v = 0;
        if (!absl::SimpleAtoi(n, &v) || v <= 0) {
          return absl::InvalidArgumentError(
              absl::StrCat("--vectors-per-cu: expected a positive number for ",
                           type, ", got '", n, "'"));
        }
        req.vectors_per_cu[type] = v;
      }
      return ctx.Print(c.emulator().UpdateSettings(req, ctx.Call()));
    });
  }
  CLI::App* clock = AddGroup(*group, "clock", "The emulator's clock.");
  {
    struct Flags {
      std::string time;
      bool real = false;
    };
    auto f = std::make_shared<Flags>();
    CLI::App* cmd = clock->add_subcommand(
        "set",
        "Switch to the manual clock (at --time, or now), or back to "
        "the real one (--real).");
    CLI::Option* t =
        cmd->add_option("--time", f->time, "RFC 3339 time of the manual clock");
    CLI::Option* r = cmd->add_flag("--real", f->real, "back to the real clock");
    t->excludes(r);
    ctx.OnCall(cmd, [&ctx, f](ControlClient& c) -> absl::Status {
      control::SetClockRequest req;
      req.real = f->real;
      if (!f->time.empty()) {
        COVE_ASSIGN_OR_RETURN(auto t, ParseTime(f->time, "--time"));
        req.time = t;
      }
      return ctx.Print(c.emulator().SetClock(req, ctx.Call()));
    });
  }
  {
    auto by = std::make_shared<std::string>();
    CLI::App* cmd = clock->add_subcommand(
        "advance",
        "Move the manual clock forward (due transitions, expiries "
        "and purges run before it returns).");
    cmd->add_option("DURATION", *by, "e.g. 90s, 1h, 8d")->required();
    ctx.OnCall(cmd, [&ctx, by](ControlClient& c) -> absl::Status {
      COVE_ASSIGN_OR_RETURN(auto d, ParseDuration(*by, "DURATION"));
      return ctx.Print(c.emulator().AdvanceClock(d, ctx.Call()));
    });
  }
  CLI::App* faults = AddGroup(*group, "faults", "Fault injection per RPC.");
  {
    struct Flags {
      std::string verb, mode, code, message;
      int count = 0;
      int replica = 0;
    };
    auto f = std::make_shared<Flags>();
    CLI::App* cmd = faults->add_subcommand(
        "inject",
        "Make an RPC fail, stall or be unavailable. fail: verbs with an "
        "operation are accepted and the operation ends with --code; stall: "
        "the operation makes no progress until cleared.");
    cmd->add_option("--verb", f->verb, "RPC name (CreateCluster, ...) or *")
        ->required();
    cmd->add_option("--mode", f->mode, "fail, stall or unavailable")
        ->required()
        ->check(CLI::IsMember({"fail", "stall", "unavailable"}));
    cmd->add_option("--code", f->code, "with fail: the status code (INTERNAL)");
    cmd->add_option("--message", f->message, "with fail: the error message");
    cmd->add_option("--count", f->count,
                    "how many times it fires (default 0: until cleared)")
        ->check(WholeNumber(0, INT32_MAX));
    cmd->add_option("--replica", f->replica,
                    "UpgradeCluster with fail only: the upgrade runs and this "
                    "replica's health check (1-based) fails; the replicas "
                    "upgraded before it are rolled back")
        ->check(WholeNumber(0, INT32_MAX));
    ctx.OnCall(cmd, [&ctx, f](ControlClient& c) -> absl::Status {
      control::Fault fault;
      fault.verb = f->verb;
      fault.mode = f->mode == "fail"    ? control::FaultMode::kFail
                   : f->mode == "stall" ? control::FaultMode::kStall
                                        : control::FaultMode::kUnavailable;
      if (!f->code.empty()) {
        COVE_ASSIGN_OR_RETURN(auto code, ParseCode(f->code));
        fault.code = code;
      }
      fault.message = f->message;
      fault.count = f->count;
      fault.replica = f->replica;
      return ctx.Print(c.emulator().InjectFault(fault, ctx.Call()));
    });
  }
  {
    CLI::App* cmd = faults->add_subcommand("list", "List the active faults.");
    ctx.OnCall(cmd, [&ctx](ControlClient& c) -> absl::Status {
      return ctx.PrintList(c.emulator().ListFaults(ctx.Call()));
    });
  }
  {
    auto verb = std::make_shared<std::string>();
    CLI::App* cmd = faults->add_subcommand(
        "clear", "Clear the faults of a verb (default: all).");
    cmd->add_option("--verb", *verb, "RPC name (default: all)");
    ctx.OnCall(cmd, [&ctx, verb](ControlClient& c) -> absl::Status {
      COVE_RETURN_IF_ERROR(c.emulator().ClearFaults(*verb, ctx.Call()));
      return ctx.PrintDone(verb->empty() ? "Cleared all faults"
                                         : "Cleared the faults of " + *verb);
    });
  }
}

}  // namespace cove::cli
