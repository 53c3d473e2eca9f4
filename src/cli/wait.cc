// --wait for long-running verbs: polls the operation with a progress display
// on stderr (a live line on a terminal, plain lines otherwise).
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <cstdio>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "cli/cli.h"
#include "common/status_macros.h"

namespace cove::cli {
namespace {

using Clock = std::chrono::steady_clock;

std::string Describe(const control::Operation& op) {
  return absl::StrCat(op.name, " (", op.verb, " ", op.target, ")");
}

class Progress {
 public:
  Progress(bool enabled, bool tty) : enabled_(enabled), tty_(tty) {}

  void Update(const control::Operation& op, Clock::duration elapsed) {
    if (!enabled_) return;
    std::string state;
    // A restore's target cluster tells more than its backup.
    if (op.backup) state = BackupStateName(op.backup->state);
    if (op.cluster) state = control::ToString(op.cluster->state);
    if (op.environment) state = control::ToString(op.environment->state);
    double secs = std::chrono::duration<double>(elapsed).count();
    if (tty_) {
      static const char kSpin[] = "|/-\\";
      std::string line = absl::StrFormat(
          "%c %s %s: %s%s %.1fs", op.done ? '*' : kSpin[tick_++ % 4], op.verb,
          op.target, state.empty() ? "" : state + " ",
          op.progress_percent > 0 ? absl::StrCat(op.progress_percent, "%")
                                  : std::string(),
          secs);
      std::fprintf(stderr, "\r\033[K%s", line.c_str());
      std::fflush(stderr);
      drawn_ = true;
      return;
    }
    std::string key =
        absl::StrCat(state, "/", op.progress_percent, "/", op.done ? 1 : 0);
    if (key == last_) return;
    last_ = key;
    std::fprintf(stderr, "cove: %s %s: %s%s%s (%.1fs)\n", op.verb.c_str(),
                 op.target.c_str(), op.done ? "done, " : "",
                 state.empty() ? "waiting" : state.c_str(),
                 op.progress_percent > 0
                     ? absl::StrCat(" ", op.progress_percent, "%").c_str()
                     : "",
                 secs);
  }

  void End() {
    if (enabled_ && tty_ && drawn_) {
      std::fprintf(stderr, "\n");
      std::fflush(stderr);
    }
  }

 private:
  bool enabled_;
  bool tty_;
  bool drawn_ = false;
  int tick_ = 0;
  std::string last_;
};

}  // namespace

void AddWaitFlags(CLI::App* cmd, WaitFlags& flags) {
  cmd->add_flag("--wait,-w", flags.wait,
                "wait until the operation is done and print its result (the "
                "cluster; for backups create, the backup) with progress on "
                "stderr; without it, print the operation and return at once");
  cmd->add_option("--timeout", flags.timeout,
                  "with --wait: how long to wait (90s, 10m, 1h; default 10m); "
                  "exit code 7 when it passes, the operation goes on");
}

absl::Status WaitForOperation(Context& ctx, ControlOperation& op,
                              std::chrono::milliseconds timeout) {
  const bool tty = ::isatty(STDERR_FILENO) == 1;
  Progress progress(!ctx.global.quiet, tty);
  const Clock::time_point start = Clock::now();
  const Clock::time_point deadline = start + timeout;
  // On a terminal, redraw often; otherwise long-poll in bigger slices.
  const std::chrono::milliseconds slice(tty ? 250 : 2000);
  for (;;) {
    progress.Update(op.operation(), Clock::now() - start);
    if (op.done()) break;
    auto remaining = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - Clock::now());
    if (remaining.count() <= 0) {
      progress.End();
      return absl::DeadlineExceededError(absl::StrCat(
          "operation ", Describe(op.operation()), " not done after ",
          std::chrono::duration_cast<std::chrono::seconds>(timeout).count(),
          "s; it goes on (see: cove operations wait ", op.name(), ")"));
    }
    absl::Status s = op.Wait(std::min(slice, remaining));
    if (op.done()) continue;
    // A slice that ended before the operation did is not an error.
    if (!s.ok() && s.code() != absl::StatusCode::kDeadlineExceeded) {
      progress.End();
      return s;
    }
  }
  progress.End();
  absl::Status result = op.status();
  if (result.ok()) return result;
  return absl::Status(result.code(),
                      absl::StrCat("operation ", Describe(op.operation()),
                                   " failed: ", result.message()));
}

absl::Status FinishClusterOperation(
    Context& ctx, const WaitFlags& flags,
    const std::function<absl::StatusOr<ControlOperation>()>& start) {
  // Check --timeout before anything starts.
  COVE_ASSIGN_OR_RETURN(std::chrono::milliseconds timeout,
                        ParseDuration(flags.timeout, "--timeout"));
  COVE_ASSIGN_OR_RETURN(ControlOperation started, start());
  if (!flags.wait) return ctx.PrintItem(started.operation());
  COVE_RETURN_IF_ERROR(WaitForOperation(ctx, started, timeout));
  const control::Operation& op = started.operation();
  if (op.cluster) return ctx.PrintItem(*op.cluster);
  return ctx.PrintItem(op);
}

}  // namespace cove::cli
