// cove alerts (issue 19): create, update, get, list, delete, test and
// silence the alert rules of a project (--project) on the metrics of its
// clusters.
#include <CLI/CLI.hpp>
#include <chrono>
#include <cstdlib>
#include <iostream>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "cli/cli.h"
#include "common/status_macros.h"

namespace cove::cli {
namespace {

Json AlertJson(const control::AlertRule& v) {
  Json j;
  j["name"] = v.name;
  j["display_name"] = v.display_name;
  j["cluster"] = v.cluster;
  j["metric"] = control::ToString(v.metric);
  j["comparison"] = v.comparison == control::AlertComparison::kLessThan
                        ? "LESS_THAN"
                        : "GREATER_THAN";
  j["threshold"] = v.threshold;
  j["for_duration"] = absl::StrCat(v.for_duration.count(), "s");
  j["window_seconds"] = v.window_seconds;
  if (v.webhook) {
    Json w;
    w["url"] = v.webhook->url;
    w["secret_set"] = v.webhook->secret_set;
    j["webhook"] = std::move(w);
  } else {
    j["webhook"] = nullptr;
  }
  j["audit"] = v.audit;
  Json labels = Json::object();
  for (const auto& [k, x] : v.labels) labels[k] = x;
  j["labels"] = std::move(labels);
  j["state"] = control::ToString(v.state);
  j["state_time"] = control::IsSet(v.state_time)
                        ? Json(FormatTime(v.state_time))
                        : Json(nullptr);
  j["value"] = v.has_value ? Json(v.value) : Json(nullptr);
  j["silenced_until"] = control::IsSet(v.silenced_until)
                            ? Json(FormatTime(v.silenced_until))
                            : Json(nullptr);
  if (v.last_delivery) {
    const control::AlertDelivery& d = *v.last_delivery;
    Json x;
    x["notification_id"] = d.notification_id;
    x["event"] = d.event;
    x["attempts"] = d.attempts;
    x["http_status"] = d.http_status;
    x["error"] = d.error;
    x["delivered"] = d.delivered;
    x["gave_up"] = d.gave_up;
    x["time"] =
        control::IsSet(d.time) ? Json(FormatTime(d.time)) : Json(nullptr);
    j["last_delivery"] = std::move(x);
  } else {
    j["last_delivery"] = nullptr;
  }
  j["create_time"] = control::IsSet(v.create_time)
                         ? Json(FormatTime(v.create_time))
                         : Json(nullptr);
  j["etag"] = v.etag;
  return j;
}

absl::Status Show(Context& ctx, const Json& j) {
  if (ctx.json()) {
    std::cout << j.dump(2) << std::endl;
  } else {
    PrintDetails(std::cout, j);
  }
  return absl::OkStatus();
}

absl::Status ShowRule(Context& ctx,
                      const absl::StatusOr<control::AlertRule>& r) {
  COVE_RETURN_IF_ERROR(r);
  return Show(ctx, AlertJson(*r));
}

absl::StatusOr<control::AlertMetric> ParseMetric(const std::string& text) {
  const std::string t = absl::AsciiStrToLower(text);
  if (t == "qps") return control::AlertMetric::kQps;
  if (t == "latency-p99" || t == "latency_p99_ms")
    return control::AlertMetric::kLatencyP99Ms;
  if (t == "cu-usage" || t == "cu_usage") return control::AlertMetric::kCuUsage;
  if (t == "storage" || t == "storage_bytes")
    return control::AlertMetric::kStorageBytes;
  if (t == "error-rate" || t == "error_rate")
    return control::AlertMetric::kErrorRate;
  if (t == "agent-disconnected" || t == "agent_disconnected")
    return control::AlertMetric::kAgentDisconnected;
  if (t == "backup-failed" || t == "backup_failed")
    return control::AlertMetric::kBackupFailed;
  return absl::InvalidArgumentError(absl::StrCat(
      "--metric: expected qps, latency-p99, cu-usage, storage, error-rate, "
      "agent-disconnected or backup-failed (got '",
      text, "')"));
}

absl::StatusOr<control::AlertComparison> ParseComparison(
    const std::string& text) {
  if (text == ">" || text == "gt")
    return control::AlertComparison::kGreaterThan;
  if (text == "<" || text == "lt") return control::AlertComparison::kLessThan;
  return absl::InvalidArgumentError(
      absl::StrCat("--comparison: expected '>' or '<' (got '", text, "')"));
}

absl::StatusOr<std::chrono::seconds> ParseForDuration(const std::string& text) {
  COVE_ASSIGN_OR_RETURN(auto ms, ParseDuration(text, "--for"));
  if (ms.count() % 1000 != 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("--for: expected whole seconds (got '", text, "')"));
  }
  return std::chrono::duration_cast<std::chrono::seconds>(ms);
}

// The webhook secret named by --webhook-secret-env (never a flag: it would
// show in ps).
absl::StatusOr<std::string> SecretFromEnv(const std::string& variable) {
  const char* secret = std::getenv(variable.c_str());
  if (secret == nullptr || *secret == '\0') {
    return absl::InvalidArgumentError(
        absl::StrCat("--webhook-secret-env: the environment variable ",
                     variable, " is not set"));
  }
  return std::string(secret);
}

}  // namespace

void AddAlertCommands(CLI::App& app, Context& ctx) {
  CLI::App* group = AddGroup(
      app, "alerts",
      "Alert rules on cluster metrics, notified to a webhook and/or the audit "
      "log (in the project given by --project).");
  {
    struct Flags {
      std::string id, cluster, metric, comparison = ">", display_name;
      double threshold = 0;
      std::string for_duration = "0s";
      int window = 0;
      std::string webhook, secret_env;
      bool audit = false;
      std::vector<std::string> labels;
    };
    auto f = std::make_shared<Flags>();
    CLI::App* cmd = group->add_subcommand("create", "Create an alert rule.");
    auto mut = AddMutationFlags(cmd, /*destructive=*/false);
    cmd->add_option("RULE", f->id, "rule id")->required();
    cmd->add_option("--cluster", f->cluster, "cluster id or name")->required();
    cmd->add_option("--metric", f->metric,
                    "qps, latency-p99, cu-usage, storage, error-rate, "
                    "agent-disconnected or backup-failed")
        ->required();
    cmd->add_option("--threshold", f->threshold,
                    "the value the metric is compared with (default 0)");
    cmd->add_option("--comparison", f->comparison, "'>' (default) or '<'");
    cmd->add_option("--for", f->for_duration,
                    "how long the condition must hold before the rule fires "
                    "(e.g. 5m; default 0s)");
    cmd->add_option("--window", f->window,
                    "qps, error-rate: seconds the value is taken over "
                    "(1..600; default 60)");
    cmd->add_option("--webhook", f->webhook,
                    "an http:// or https:// URL notifications are POSTed to");
    cmd->add_option("--webhook-secret-env", f->secret_env,
                    "the environment variable holding the webhook's HMAC "
                    "secret (never a flag: it would show in ps)");
    cmd->add_flag("--audit", f->audit,
                  "also write each notification to the audit log");
    cmd->add_option("--display-name", f->display_name, "display name");
    cmd->add_option("--label", f->labels, "KEY=VALUE (repeatable)");
    ctx.OnCall(cmd, [&ctx, f, mut](ControlClient& c) -> absl::Status {
      COVE_ASSIGN_OR_RETURN(auto project, ctx.Project());
      COVE_ASSIGN_OR_RETURN(auto cluster,
                            ctx.ProjectChild(f->cluster, "clusters"));
      control::CreateAlertRuleRequest req;
      req.parent = project;
      req.alert_rule_id = f->id;
      req.request_id = mut->request_id;
      control::AlertRule& r = req.alert_rule;
      r.cluster = cluster;
      COVE_ASSIGN_OR_RETURN(r.metric, ParseMetric(f->metric));
      COVE_ASSIGN_OR_RETURN(r.comparison, ParseComparison(f->comparison));
      r.threshold = f->threshold;
      COVE_ASSIGN_OR_RETURN(r.for_duration, ParseForDuration(f->for_duration));
      r.window_seconds = f->window;
      if (!f->webhook.empty()) {
        control::AlertWebhook w;
        w.url = f->webhook;
        if (!f->secret_env.empty()) {
          COVE_ASSIGN_OR_RETURN(w.secret, SecretFromEnv(f->secret_env));
        }
        r.webhook = w;
      } else if (!f->secret_env.empty()) {
        return absl::InvalidArgumentError(
            "--webhook-secret-env: give --webhook too");
      }
      r.audit = f->audit;
      r.display_name = f->display_name;
      COVE_ASSIGN_OR_RETURN(r.labels, ParseLabels(f->labels, "--label"));
      return ShowRule(ctx, c.CreateAlertRule(req, ctx.Call()));
    });
  }
  {
    struct Flags {
      std::string id, metric, comparison, display_name, for_duration;
      std::string webhook, secret_env, etag;
      double threshold = 0;
      int window = 0;
      bool audit = false, no_webhook = false;
      std::vector<std::string> labels;
    };
    auto f = std::make_shared<Flags>();
    CLI::App* cmd = group->add_subcommand(
        "update",
        "Change an alert rule: only the fields given change (a new condition "
        "restarts its evaluation). Its cluster cannot change.");
    cmd->add_option("RULE", f->id, "rule id or name")->required();
    auto* metric = cmd->add_option("--metric", f->metric,
                                   "qps, latency-p99, cu-usage, storage, "
                                   "error-rate, agent-disconnected or "
                                   "backup-failed");
    auto* threshold = cmd->add_option("--threshold", f->threshold,
                                      "the value the metric is compared with");
    auto* comparison =
        cmd->add_option("--comparison", f->comparison, "'>' or '<'");
    auto* for_duration = cmd->add_option(
        "--for", f->for_duration, "how long the condition must hold (e.g. 5m)");
    auto* window = cmd->add_option("--window", f->window,
                                   "qps, error-rate: seconds (1..600; 0: 60)");
    auto* webhook =
        cmd->add_option("--webhook", f->webhook,
                        "a new webhook URL (its secret stays, unless "
                        "--webhook-secret-env gives another)");
    auto* secret = cmd->add_option(
        "--webhook-secret-env", f->secret_env,
        "the environment variable holding the webhook's new HMAC secret");
    auto* no_webhook = cmd->add_flag("--no-webhook", f->no_webhook,
                                     "remove the webhook (and its secret)");
    auto* audit = cmd->add_option(
        "--audit", f->audit,
        "true or false: write each notification to the audit log");
    auto* display_name =
        cmd->add_option("--display-name", f->display_name, "display name");
    auto* labels = cmd->add_option(
        "--label", f->labels, "KEY=VALUE (repeatable; replaces every label)");
    cmd->add_option("--etag", f->etag,
                    "fail (ABORTED) unless the rule still has this etag");
    ctx.OnCall(
        cmd,
        [&ctx, f, metric, threshold, comparison, for_duration, window, webhook,
         secret, no_webhook, audit, display_name,
         labels](ControlClient& c) -> absl::Status {
          COVE_ASSIGN_OR_RETURN(auto name,
                                ctx.ProjectChild(f->id, "alertRules"));
          control::AlertRule r;
          r.name = name;
          r.etag = f->etag;
          std::vector<std::string> mask;
          if (metric->count() > 0) {
            COVE_ASSIGN_OR_RETURN(r.metric, ParseMetric(f->metric));
            mask.push_back("metric");
          }
          if (threshold->count() > 0) {
            r.threshold = f->threshold;
            mask.push_back("threshold");
          }
          if (comparison->count() > 0) {
            COVE_ASSIGN_OR_RETURN(r.comparison, ParseComparison(f->comparison));
            mask.push_back("comparison");
          }
          if (for_duration->count() > 0) {
            COVE_ASSIGN_OR_RETURN(r.for_duration,
                                  ParseForDuration(f->for_duration));
            mask.push_back("for_duration");
          }
          if (window->count() > 0) {
            r.window_seconds = f->window;
            mask.push_back("window_seconds");
          }
          if (no_webhook->count() > 0) {
            if (webhook->count() > 0 || secret->count() > 0) {
              return absl::InvalidArgumentError(
                  "--no-webhook: give neither --webhook nor "
                  "--webhook-secret-env "
                  "with it");
            }
            mask.push_back("webhook");
          } else if (webhook->count() > 0 || secret->count() > 0) {
            control::AlertWebhook w;
            w.url = f->webhook;
            if (webhook->count() > 0) mask.push_back("webhook.url");
            if (secret->count() > 0) {
              COVE_ASSIGN_OR_RETURN(w.secret, SecretFromEnv(f->secret_env));
              mask.push_back("webhook.secret");
            }
            r.webhook = w;
          }
          if (audit->count() > 0) {
            r.audit = f->audit;
            mask.push_back("audit");
          }
          if (display_name->count() > 0) {
            r.display_name = f->display_name;
            mask.push_back("display_name");
          }
          if (labels->count() > 0) {
            COVE_ASSIGN_OR_RETURN(r.labels, ParseLabels(f->labels, "--label"));
            mask.push_back("labels");
          }
          if (mask.empty()) {
            return absl::InvalidArgumentError(
                "update: expected at least one field to change (--threshold, "
                "--metric, --comparison, --for, --window, --webhook, "
                "--webhook-secret-env, --no-webhook, --audit, --display-name, "
                "--label)");
          }
          return ShowRule(ctx, c.UpdateAlertRule(r, mask, ctx.Call()));
        });
  }
  {
    auto id = std::make_shared<std::string>();
    CLI::App* cmd = group->add_subcommand(
        "get", "Show an alert rule: its state, last value and last delivery.");
    cmd->add_option("RULE", *id, "rule id or name")->required();
    ctx.OnCall(cmd, [&ctx, id](ControlClient& c) -> absl::Status {
      COVE_ASSIGN_OR_RETURN(auto name, ctx.ProjectChild(*id, "alertRules"));
      return ShowRule(ctx, c.GetAlertRule(name, ctx.Call()));
    });
  }
  {
    auto flags = std::make_shared<ListFlags>();
    CLI::App* cmd = group->add_subcommand(
        "list",
        "List the project's alert rules (filter: cluster=NAME, "
        "state=FIRING, metric=QPS).");
    AddListFlags(cmd, *flags, /*with_filter=*/true);
    ctx.OnCall(cmd, [&ctx, flags](ControlClient& c) -> absl::Status {
      COVE_ASSIGN_OR_RETURN(auto project, ctx.Project());
      control::ListRequest req;
      req.parent = project;
      req.filter = flags->Filter();
      COVE_ASSIGN_OR_RETURN(
          auto rules,
          Collect(c.ListAllAlertRules(req, ctx.Call()), flags->limit));
      std::vector<Json> rows;
      Json array = Json::array();
      for (const control::AlertRule& r : rules) {
        rows.push_back(AlertJson(r));
        array.push_back(rows.back());
      }
      if (ctx.json()) {
        std::cout << array.dump(2) << std::endl;
      } else {
        PrintTable(std::cout,
                   {{"NAME", "name"},
                    {"CLUSTER", "cluster"},
                    {"METRIC", "metric"},
                    {"THRESHOLD", "threshold"},
                    {"FOR", "for_duration"},
                    {"STATE", "state"},
                    {"SILENCED UNTIL", "silenced_until"}},
                   rows);
      }
      return absl::OkStatus();
    });
  }
  {
    auto id = std::make_shared<std::string>();
    CLI::App* cmd = group->add_subcommand("delete", "Delete an alert rule.");
    auto mut = AddMutationFlags(cmd, /*destructive=*/true);
    cmd->add_option("RULE", *id, "rule id or name")->required();
    ctx.OnCall(cmd, [&ctx, id, mut](ControlClient& c) -> absl::Status {
      COVE_ASSIGN_OR_RETURN(auto name, ctx.ProjectChild(*id, "alertRules"));
      control::DeleteRequest req;
      req.name = name;
      req.request_id = mut->request_id;
      COVE_RETURN_IF_ERROR(ctx.Confirm(*mut, "delete " + req.name));
      COVE_RETURN_IF_ERROR(c.DeleteAlertRule(req, ctx.Call()));
      return ctx.PrintDone(absl::StrCat("Deleted ", name));
    });
  }
  {
    auto id = std::make_shared<std::string>();
    CLI::App* cmd = group->add_subcommand(
        "test",
        "Send a test notification to the rule's channels (the webhook "
        "delivery is queued: see 'alerts get' for its outcome).");
    cmd->add_option("RULE", *id, "rule id or name")->required();
    ctx.OnCall(cmd, [&ctx, id](ControlClient& c) -> absl::Status {
      COVE_ASSIGN_OR_RETURN(auto name, ctx.ProjectChild(*id, "alertRules"));
      COVE_ASSIGN_OR_RETURN(auto sent, c.TestAlertRule(name, ctx.Call()));
      Json j;
      j["notification_id"] = sent.notification_id;
      j["channels"] = sent.channels;
      return Show(ctx, j);
    });
  }
  {
    struct Flags {
      std::string id, until;
      bool off = false;
    };
    auto f = std::make_shared<Flags>();
    CLI::App* cmd = group->add_subcommand(
        "silence",
        "Silence a rule's notifications until a time (--until +2h, or RFC "
        "3339), or lift the silence (--off).");
    cmd->add_option("RULE", f->id, "rule id or name")->required();
    cmd->add_option("--until", f->until,
                    "+DURATION from now (e.g. +2h) or an RFC 3339 time");
    cmd->add_flag("--off", f->off, "lift the silence");
    ctx.OnCall(cmd, [&ctx, f](ControlClient& c) -> absl::Status {
      COVE_ASSIGN_OR_RETURN(auto name, ctx.ProjectChild(f->id, "alertRules"));
      control::SilenceAlertRuleRequest req;
      req.name = name;
      if (f->off == !f->until.empty()) {
        return absl::InvalidArgumentError(
            "--until/--off: give exactly one of them");
      }
      if (!f->off) {
        COVE_ASSIGN_OR_RETURN(req.until, ParseTime(f->until, "--until"));
      }
      return ShowRule(ctx, c.SilenceAlertRule(req, ctx.Call()));
    });
  }
}

}  // namespace cove::cli
