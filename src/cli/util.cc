// Parsing helpers of the `cove` CLI: durations, times, labels, endpoints.
#include <time.h>

#include <CLI/CLI.hpp>
#include <cctype>
#include <cstdlib>
#include <istream>
#include <ostream>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/strip.h"
#include "cli/cli.h"
#include "common/status_macros.h"

namespace cove::cli {

absl::StatusOr<std::chrono::milliseconds> ParseDuration(
    const std::string& text, const std::string& flag) {
  auto bad = [&] {
    return absl::InvalidArgumentError(absl::StrCat(
        flag,
        ": expected a duration such as 90s, 10m, 1h30m, 500ms or 2d, "
        "got '",
        text, "'"));
  };
  if (text.empty()) return bad();
  double plain = 0;
  if (absl::SimpleAtod(text, &plain)) {
    if (plain < 0) return bad();
    return std::chrono::milliseconds(static_cast<int64_t>(plain * 1000));
  }
  double total_ms = 0;
  size_t i = 0;
  while (i < text.size()) {
    size_t start = i;
    while (
        i < text.size() &&
        (std::isdigit(static_cast<unsigned char>(text[i])) || text[i] == '.')) {
      ++i;
    }
    if (i == start) return bad();
    double number = 0;
    if (!absl::SimpleAtod(text.substr(start, i - start), &number)) return bad();
    size_t unit_start = i;
    while (i < text.size() &&
           std::isalpha(static_cast<unsigned char>(text[i]))) {
      ++i;
    }
    std::string unit = text.substr(unit_start, i - unit_start);
    double scale = 0;
    if (unit == "ms") {
      scale = 1;
    } else if (unit == "s") {
      scale = 1000;
    } else if (unit == "m") {
      scale = 60 * 1000;
    } else if (unit == "h") {
      scale = 3600 * 1000;
    } else if (unit == "d") {
      scale = 24 * 3600 * 1000;
    } else {
      return bad();
    }
    total_ms += number * scale;
  }
  if (total_ms > 1e15) return bad();
  return std::chrono::milliseconds(static_cast<int64_t>(total_ms));
}

absl::StatusOr<control::Timestamp> ParseTime(const std::string& text,
                                             const std::string& flag) {
  auto now = std::chrono::system_clock::now();
  if (!text.empty() && text[0] == '+') {
    COVE_ASSIGN_OR_RETURN(std::chrono::milliseconds d,
                          ParseDuration(text.substr(1), flag));
    return std::chrono::time_point_cast<control::Timestamp::duration>(now + d);
  }
  if (!absl::StrContains(text, 'T')) {
    absl::StatusOr<std::chrono::milliseconds> d = ParseDuration(text, flag);
    if (d.ok()) {
      return std::chrono::time_point_cast<control::Timestamp::duration>(now -
                                                                        *d);
    }
  }
  auto bad = [&] {
    return absl::InvalidArgumentError(absl::StrCat(
        flag,
        ": expected an RFC 3339 time (2026-12-03T11:45:01Z), a duration ago "
        "(1h) or from now (+7d), got '",
        text, "'"));
  };
  struct tm tm = {};
  const char* rest = strptime(text.c_str(), "%Y-%m-%dT%H:%M:%S", &tm);
  if (rest == nullptr) return bad();
  int64_t nanos = 0;
  if (*rest == '.') {
    ++rest;
    int digits = 0;
    while (std::isdigit(static_cast<unsigned char>(*rest))) {
      if (digits < 9) {
        nanos = nanos * 10 + (*rest - '0');
        ++digits;
      }
      ++rest;
    }
    if (digits == 0) return bad();
    for (; digits < 9; ++digits) nanos *= 10;
  }
  int64_t offset_s = 0;
  if (*rest == 'Z' || *rest == 'z') {
    ++rest;
  } else if (*rest == '+' || *rest == '-') {
    int sign = *rest == '-' ? -1 : 1;
    int hh = 0, mm = 0;
    if (std::sscanf(rest + 1, "%2d:%2d", &hh, &mm) != 2) return bad();
    offset_s = sign * (hh * 3600 + mm * 60);
    rest += 6;
  } else {
    return bad();
  }
  if (*rest != '\0') return bad();
  time_t secs = timegm(&tm);
  auto t = control::Timestamp() +
           std::chrono::duration_cast<control::Timestamp::duration>(
               std::chrono::seconds(secs - offset_s) +
               std::chrono::nanoseconds(nanos));
  return t;
}

absl::StatusOr<std::map<std::string, std::string>> ParseLabels(
    const std::vector<std::string>& items, const std::string& flag) {
  std::map<std::string, std::string> out;
  for (const std::string& item : items) {
    size_t eq = item.find('=');
    if (eq == std::string::npos || eq == 0) {
      return absl::InvalidArgumentError(
          absl::StrCat(flag, ": expected KEY=VALUE, got '", item, "'"));
    }
    out[item.substr(0, eq)] = item.substr(eq + 1);
  }
  return out;
}

std::string NormalizeEndpoint(const std::string& endpoint, bool tls) {
  if (absl::StrContains(endpoint, "://")) return endpoint;
  return absl::StrCat(tls ? "https://" : "http://", endpoint);
}

CLI::App* AddGroup(CLI::App& app, const std::string& name,
                   const std::string& description) {
  CLI::App* group = app.add_subcommand(name, description);
  group->require_subcommand(1);
  return group;
}

std::string ListFlags::Filter() const {
  std::vector<std::string> all = terms;
  if (!filter.empty()) all.push_back(filter);
  return absl::StrJoin(all, " AND ");
}

void AddListFlags(CLI::App* cmd, ListFlags& flags, bool with_filter) {
  cmd->add_option("--limit", flags.limit,
                  "print at most this many (default: all, fetched page by "
                  "page)")
      ->check(WholeNumber(0, INT32_MAX));
  if (with_filter) {
    cmd->add_option("--filter", flags.filter,
                    "server-side filter: field=value terms joined by ' AND ' "
                    "(added to the other filter flags)");
  }
}

CLI::Validator WholeNumber(int64_t min, int64_t max) {
  return CLI::Validator(
      [min, max](std::string& text) -> std::string {
        int64_t v = 0;
        if (absl::SimpleAtoi(text, &v) && v >= min && v <= max) return "";
        return absl::StrCat("expected a whole number from ", min, " to ", max,
                            ", got '", text, "'");
      },
      absl::StrCat(min, "..", max));
}

std::shared_ptr<MutationFlags> AddMutationFlags(CLI::App* cmd,
                                                bool destructive) {
  auto flags = std::make_shared<MutationFlags>();
  flags->destructive = destructive;
  cmd->add_option(
      "--request-id", flags->request_id,
      "idempotency key: run again with the same id (after a timeout, a lost "
      "connection), the command returns the first result instead of acting "
      "twice (default: a new id per run)");
  if (destructive) {
    cmd->add_flag("-y,--yes", flags->yes,
                  "do not ask for confirmation (needed when standard input "
                  "is not a terminal)");
  }
  return flags;
}

absl::Status Confirm(const MutationFlags& flags, const std::string& what,
                     bool interactive, std::istream& in, std::ostream& err) {
  if (!flags.destructive || flags.yes) return absl::OkStatus();
  if (!interactive) {
    return absl::InvalidArgumentError(absl::StrCat(
        what,
        ": needs confirmation: pass --yes (standard input is not a terminal, "
        "so cove cannot ask)"));
  }
  err << "cove: " << Printable(what) << "? [y/N] " << std::flush;
  std::string answer;
  std::getline(in, answer);
  answer = absl::AsciiStrToLower(absl::StripAsciiWhitespace(answer));
  if (answer == "y" || answer == "yes") return absl::OkStatus();
  return absl::CancelledError(
      absl::StrCat(what, ": not confirmed: nothing was done"));
}

}  // namespace cove::cli
