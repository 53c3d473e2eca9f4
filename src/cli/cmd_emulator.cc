// cove emulator: the cove-cloud emulator's test knobs (admin key only):
// settings (release catalog and price table included), the manual clock,
// fault injection.
#include <CLI/CLI.hpp>
#include <cmath>
#include <map>
#include <string>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
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

// A --release flag, the syntax of cove-cloud's:
// "VERSION[:FROM,FROM...][:default][:broken]".
absl::StatusOr<control::Release> ParseRelease(const std::string& spec) {
  const std::vector<std::string> parts = absl::StrSplit(spec, ':');
  const auto bad = [&](const std::string& why) {
    return absl::InvalidArgumentError(absl::StrCat(
        "--release: expected VERSION[:FROM,FROM...][:default][:broken] (got '",
        spec, "': ", why, ")"));
  };
  control::Release r;
  r.version = parts[0];
  if (r.version.empty()) return bad("no version");
  for (size_t i = 1; i < parts.size(); ++i) {
    if (parts[i] == "default") {
      r.is_default = true;
    } else if (parts[i] == "broken") {
      r.broken = true;
    } else if (i == 1) {
      for (absl::string_view from : absl::StrSplit(parts[i], ',')) {
        if (from.empty()) return bad("an empty version to upgrade from");
        r.upgrades_from.emplace_back(from);
      }
    } else {
      return bad(absl::StrCat("unknown part '", parts[i], "'"));
    }
  }
  r.release_notes =
      absl::StrCat("Release ", r.version,
                   " (cove emulator settings update --release ", spec, ").");
  return r;
}

// A price or factor given to a flag: a finite number, > 0 when `positive`
// (the API leaves a price table field alone when it is 0), else >= 0.
absl::StatusOr<double> ParsePrice(const std::string& text,
                                  const std::string& flag, bool positive) {
  double v = 0;
  if (!absl::SimpleAtod(text, &v) || !std::isfinite(v) || v < 0 ||
      (positive && v == 0)) {
    return absl::InvalidArgumentError(absl::StrCat(flag, ": expected a number ",
                                                   positive ? "> 0" : ">= 0",
                                                   ", got '", text, "'"));
  }
  return v;
}

// KEY=NUMBER entries of a repeatable flag.
absl::StatusOr<std::map<std::string, double>> ParsePrices(
    const std::vector<std::string>& items, const std::string& flag,
    bool positive) {
  COVE_ASSIGN_OR_RETURN(auto entries, ParseLabels(items, flag));
  std::map<std::string, double> out;
  for (const auto& [key, text] : entries) {
    COVE_ASSIGN_OR_RETURN(
        out[key], ParsePrice(text, absl::StrCat(flag, " ", key), positive));
  }
  return out;
}

}  // namespace

void AddEmulatorCommands(CLI::App& app, Context& ctx) {
  CLI::App* group =
      AddGroup(app, "emulator",
               "Test knobs of the cove-cloud emulator (its admin key only): "
               "settings, manual clock, fault injection.");
  CLI::App* settings = AddGroup(*group, "settings",
                                "Transition delay, restore window, capacity "
                                "per CU, prices, release catalog.");
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
      std::vector<std::string> releases;
      std::string currency, storage_price, hours;
      std::vector<std::string> cu_hour, region_factor;
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
    cmd->add_option("--release", f->releases,
                    "add or replace a release of the catalog (repeatable), "
                    "as cove-cloud's flag: "
                    "VERSION[:FROM,FROM...][:default][:broken]");
    cmd->add_option("--currency", f->currency,
                    "price table: the currency code (e.g. EUR)");
    cmd->add_option("--cu-hour", f->cu_hour,
                    "price table: CU_TYPE=PRICE of one CU for one hour "
                    "(repeatable)");
    cmd->add_option("--storage-gib-month", f->storage_price,
                    "price table: one GiB of storage for a month (> 0)");
    cmd->add_option("--region-factor", f->region_factor,
                    "price table: REGION=FACTOR multiplying its prices (> 0; "
                    "repeatable)");
    cmd->add_option("--hours-per-month", f->hours,
                    "price table: hours in a month of per_month (> 0)");
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
      for (const std::string& spec : f->releases) {
        COVE_ASSIGN_OR_RETURN(auto r, ParseRelease(spec));
        req.releases.push_back(std::move(r));
      }
      control::PriceTable& prices = req.price_table;
      prices.currency = f->currency;
      COVE_ASSIGN_OR_RETURN(prices.cu_hour,
                            ParsePrices(f->cu_hour, "--cu-hour", false));
      COVE_ASSIGN_OR_RETURN(
          prices.region_factor,
          ParsePrices(f->region_factor, "--region-factor", true));
      if (!f->storage_price.empty()) {
        COVE_ASSIGN_OR_RETURN(
            prices.storage_gib_month,
            ParsePrice(f->storage_price, "--storage-gib-month", true));
      }
      if (!f->hours.empty()) {
        COVE_ASSIGN_OR_RETURN(prices.hours_per_month,
                              ParsePrice(f->hours, "--hours-per-month", true));
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
