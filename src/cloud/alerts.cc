// Alert rules (issue 19): ControlPlane.{Create,Get,List,Delete,Test,Silence}
// AlertRule, their evaluation on the emulator clock at every scheduler pass
// (RunDueLocked), and their notifications: an audit event and/or a webhook
// (queued to the WebhookSender, which POSTs apart from mu_).
#include <algorithm>
#include <cmath>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "cloud/cloud_core.h"
#include "cloud/util.h"
#include "common/status_macros.h"
#include "nlohmann/json.hpp"

namespace cove::cloud {
namespace {

const std::vector<std::string> kAlertsRuleName = {"organizations", "projects",
                                                  "alertRules"};
const std::vector<std::string> kAlertsProjectName = {"organizations",
                                                     "projects"};
const std::vector<std::string> kAlertsClusterName = {"organizations",
                                                     "projects", "clusters"};
constexpr int kDefaultWindowSeconds = 60;
constexpr int kMaxWindowSeconds = 600;
constexpr int64_t kMaxForSeconds = 24 * 3600;
constexpr size_t kMaxSecretBytes = 1024;
constexpr size_t kMaxDisplayName = 200;

std::string RuleId(const std::string& name) {
  return name.substr(name.rfind('/') + 1);
}

absl::Status RuleNotFound(const std::string& name) {
  return absl::NotFoundError(absl::StrCat("alert rule '", name, "' not found"));
}

std::string SecretAad(const std::string& name) {
  return "cove-alert-webhook-secret:" + name;
}

// Checks of the rule alone (InvalidArgument naming the field).
absl::Status CheckRule(const v1::AlertRule& in, const std::string& project) {
  COVE_RETURN_IF_ERROR(
      ParseName("alert_rule.cluster", in.cluster(), kAlertsClusterName)
          .status());
  if (!Within(in.cluster(), project)) {
    return absl::InvalidArgumentError(
        absl::StrCat("alert_rule.cluster: expected a cluster of ", project,
                     " (got '", in.cluster(), "')"));
  }
  if (in.metric() == v1::AlertRule::METRIC_UNSPECIFIED ||
      !v1::AlertRule::Metric_IsValid(in.metric())) {
    return absl::InvalidArgumentError(absl::StrCat(
        "alert_rule.metric: expected QPS, LATENCY_P99_MS, CU_USAGE, "
        "STORAGE_BYTES, ERROR_RATE, AGENT_DISCONNECTED or BACKUP_FAILED (got ",
        static_cast<int>(in.metric()), ")"));
  }
  if (!v1::AlertRule::Comparison_IsValid(in.comparison())) {
    return absl::InvalidArgumentError(absl::StrCat(
        "alert_rule.comparison: expected GREATER_THAN or LESS_THAN (got ",
        static_cast<int>(in.comparison()), ")"));
  }
  if (!std::isfinite(in.threshold())) {
    return absl::InvalidArgumentError(
        "alert_rule.threshold: expected a finite number");
  }
  const google::protobuf::Duration& f = in.for_duration();
  if (f.seconds() < 0 || f.seconds() > kMaxForSeconds || f.nanos() != 0) {
    return absl::InvalidArgumentError(absl::StrCat(
        "alert_rule.for_duration: expected whole seconds 0..", kMaxForSeconds,
        " (got ", f.seconds(), "s ", f.nanos(), "ns)"));
  }
  if (in.window_seconds() < 0 || in.window_seconds() > kMaxWindowSeconds) {
    return absl::InvalidArgumentError(absl::StrCat(
        "alert_rule.window_seconds: expected 1..", kMaxWindowSeconds,
        " (0: ", kDefaultWindowSeconds, ") (got ", in.window_seconds(), ")"));
  }
  if (in.display_name().size() > kMaxDisplayName) {
    return absl::InvalidArgumentError(absl::StrCat(
        "alert_rule.display_name: expected at most ", kMaxDisplayName,
        " bytes (got ", in.display_name().size(), ")"));
  }
  if (in.has_webhook()) {
    COVE_RETURN_IF_ERROR(WebhookSender::ValidateUrl("alert_rule.webhook.url",
                                                    in.webhook().url()));
    if (in.webhook().secret().size() > kMaxSecretBytes) {
      return absl::InvalidArgumentError(absl::StrCat(
          "alert_rule.webhook.secret: expected at most ", kMaxSecretBytes,
          " bytes (got ", in.webhook().secret().size(), ")"));
    }
  }
  if (!in.has_webhook() && !in.audit()) {
    return absl::InvalidArgumentError(
        "alert_rule: expected at least one channel (webhook.url, or audit: "
        "true)");
  }
  return absl::OkStatus();
}

bool Holds(const v1::AlertRule& r, double value) {
  return r.comparison() == v1::AlertRule::LESS_THAN ? value < r.threshold()
                                                    : value > r.threshold();
}

}  // namespace

// ---- lifecycle --------------------------------------------------------------

absl::Status CloudCore::StartAlertsLocked() {
  COVE_ASSIGN_OR_RETURN(auto rules, store_->LoadKind("alertrule"));
  for (const auto& [name, data] : rules) {
    v1::AlertRule rule;
    if (!rule.ParseFromString(data)) {
      return absl::DataLossError(
          absl::StrCat("state database: alert rule '", name, "' is corrupt"));
    }
    alert_rules_[name] = std::move(rule);
  }
  COVE_ASSIGN_OR_RETURN(auto sealed, store_->LoadKind("alertsecret"));
  for (const auto& [name, data] : sealed) {
    std::string raw;
    if (!absl::Base64Unescape(data, &raw)) {
      return absl::DataLossError(absl::StrCat(
          "state database: webhook secret of '", name, "' is corrupt"));
    }
    COVE_ASSIGN_OR_RETURN(const internal::Cipher* cipher,
                          SealingCipherLocked());
    COVE_ASSIGN_OR_RETURN(std::string secret,
                          cipher->Open(raw, SecretAad(name)));
    alert_secrets_[name] = std::move(secret);
  }
  WebhookOptions options;  // 5 attempts, backoff 1 s doubling to 5 min
  options.clock = [this] { return ClockNowNoLock(); };
  webhooks_ = std::make_unique<WebhookSender>(std::move(options));
  webhooks_->Start();
  return absl::OkStatus();
}

void CloudCore::StopAlerts() {
  if (webhooks_ != nullptr) webhooks_->Stop();
}

absl::Status CloudCore::PersistAlertRuleLocked(const v1::AlertRule& rule) {
  v1::AlertRule stored = rule;
  stored.mutable_webhook()->clear_secret();
  if (!rule.has_webhook()) stored.clear_webhook();
  stored.clear_last_delivery();
  return Persist("alertrule", rule.name(), stored);
}

v1::AlertRule CloudCore::AlertRuleViewLocked(const v1::AlertRule& rule) const {
  v1::AlertRule out = rule;
  if (out.has_webhook()) {
    out.mutable_webhook()->clear_secret();
    out.mutable_webhook()->set_secret_set(alert_secrets_.count(rule.name()) !=
                                          0);
  }
  if (webhooks_ != nullptr) {
    if (auto d = webhooks_->Last(rule.name())) {
      v1::AlertDelivery* p = out.mutable_last_delivery();
      p->set_notification_id(d->notification_id);
      p->set_event(d->event);
      p->set_attempts(d->attempts);
      p->set_http_status(d->http_status);
      p->set_error(d->error);
      p->set_delivered(d->delivered);
      p->set_gave_up(d->gave_up);
      if (d->time != absl::InfinitePast())
        *p->mutable_time() = ToProto(d->time);
    }
  }
  return out;
}

absl::Status CloudCore::AuthorizeAlertLocked(Call& call,
                                             const std::string& action,
                                             const std::string& name) {
  absl::Status s = AuthorizeLocked(call, action, name);
  if (s.ok() || s.code() != absl::StatusCode::kPermissionDenied) return s;
  // Tenant isolation: another organization's rule looks like a missing one.
  const std::string org = OrgOf(call.principal.scope);
  if (org.empty() || !Within(name, org)) return RuleNotFound(name);
  return s;
}

// ---- evaluation -------------------------------------------------------------

std::optional<double> CloudCore::AlertValueLocked(const v1::AlertRule& rule) {
  auto it = clusters_.find(rule.cluster());
  if (it == clusters_.end()) return std::nullopt;
  const v1::Cluster& c = it->second;
  switch (rule.metric()) {
    case v1::AlertRule::AGENT_DISCONNECTED:
      if (!IsAgentEnvironmentLocked(c.environment())) return std::nullopt;
      return AgentSessionLocked(c.environment()) == nullptr ? 1.0 : 0.0;
    case v1::AlertRule::BACKUP_FAILED: {
      const v1::Backup* latest = nullptr;
      for (const auto& [name, b] : backups_) {
        if (b.cluster() != c.name()) continue;
        if (latest == nullptr ||
            FromProto(b.create_time()) >= FromProto(latest->create_time())) {
          latest = &b;
        }
      }
      return latest != nullptr && latest->state() == v1::Backup::FAILED ? 1.0
                                                                        : 0.0;
    }
    default:
      break;
  }
  if (c.state() == v1::Cluster::DELETED) return std::nullopt;
  v1::ClusterMetrics m;
  const int window = rule.window_seconds() == 0 ? kDefaultWindowSeconds
                                                : rule.window_seconds();
  FillClusterMetricsLocked(c, window, &m);
  switch (rule.metric()) {
    case v1::AlertRule::CU_USAGE:
      return m.cu_usage();
    case v1::AlertRule::STORAGE_BYTES:
      return static_cast<double>(m.storage_bytes());
    case v1::AlertRule::QPS:
      if (!m.serving()) return std::nullopt;
      return m.qps();
    case v1::AlertRule::LATENCY_P99_MS:
      if (!m.serving() || m.requests() == 0) return std::nullopt;
      return m.latency_p99_ms();
    case v1::AlertRule::ERROR_RATE:
      if (!m.serving() || m.requests() == 0) return std::nullopt;
      return static_cast<double>(m.errors()) /
             static_cast<double>(m.requests());
    default:
      return std::nullopt;
  }
}

void CloudCore::EvaluateAlertsLocked() {
  if (webhooks_ != nullptr) webhooks_->Poke();  // retries due on the clock
  if (alert_rules_.empty()) return;
  const absl::Time now = NowLocked();
  for (auto& [name, rule] : alert_rules_) {
    const std::optional<double> value = AlertValueLocked(rule);
    rule.set_has_value(value.has_value());
    rule.set_value(value.value_or(0));
    *rule.mutable_evaluate_time() = ToProto(now);
    const bool holds = value.has_value() && Holds(rule, *value);
    const v1::AlertRule::State before = rule.state();
    v1::AlertRule::State after = before;
    if (holds) {
      if (before != v1::AlertRule::PENDING && before != v1::AlertRule::FIRING) {
        after = v1::AlertRule::PENDING;
        *rule.mutable_state_time() = ToProto(now);
      }
      if (after == v1::AlertRule::PENDING &&
          now - FromProto(rule.state_time()) >=
              FromProtoDuration(rule.for_duration())) {
        after = v1::AlertRule::FIRING;
      }
    } else if (before == v1::AlertRule::PENDING) {
      after = v1::AlertRule::INACTIVE;
    } else if (before == v1::AlertRule::FIRING) {
      after = v1::AlertRule::RESOLVED;
    }
    if (after == before) continue;
    rule.set_state(after);
    *rule.mutable_state_time() = ToProto(now);
    (void)PersistAlertRuleLocked(rule);
    if (after == v1::AlertRule::FIRING) NotifyAlertLocked(rule, "firing");
    if (after == v1::AlertRule::RESOLVED) NotifyAlertLocked(rule, "resolved");
  }
}

std::string CloudCore::NotifyAlertLocked(const v1::AlertRule& rule,
                                         const std::string& event) {
  const std::string id =
      absl::StrCat("n-", RuleId(rule.name()), "-", next_notification_++);
  const absl::Time now = NowLocked();
  // Silenced: transitions notify no channel (a test still goes out).
  if (event != "test" && rule.has_silenced_until() &&
      FromProto(rule.silenced_until()) > now) {
    return id;
  }
  const std::string metric = v1::AlertRule::Metric_Name(rule.metric());
  const std::string comparison =
      rule.comparison() == v1::AlertRule::LESS_THAN ? "<" : ">";
  const std::string summary =
      rule.has_value() ? absl::StrCat(metric, " = ", rule.value(), " ",
                                      comparison, " ", rule.threshold())
                       : absl::StrCat(metric, ": no value (threshold ",
                                      comparison, " ", rule.threshold(), ")");
  if (rule.audit()) {
    SystemEventLocked(absl::StrCat("alerts.", event), rule.name(),
                      absl::OkStatus(),
                      absl::StrCat("alert ", event, " (", id, "): ", summary,
                                   " on ", rule.cluster()));
  }
  if (rule.has_webhook() && webhooks_ != nullptr) {
    nlohmann::json labels = nlohmann::json::object();
    for (const auto& [k, v] : rule.labels()) labels[k] = v;
    nlohmann::json body = {
        {"notification_id", id},
        {"event", event},
        {"rule", rule.name()},
        {"display_name", rule.display_name()},
        {"cluster", rule.cluster()},
        {"metric", metric},
        {"comparison", v1::AlertRule::Comparison_Name(
                           rule.comparison() == v1::AlertRule::LESS_THAN
                               ? v1::AlertRule::LESS_THAN
                               : v1::AlertRule::GREATER_THAN)},
        {"threshold", rule.threshold()},
        {"for_seconds", rule.for_duration().seconds()},
        {"state", v1::AlertRule::State_Name(rule.state())},
        {"labels", labels},
        {"time",
         absl::FormatTime(absl::RFC3339_full, now, absl::UTCTimeZone())},
    };
    if (rule.has_value()) {
      body["value"] = rule.value();
    } else {
      body["value"] = nullptr;
    }
    auto secret = alert_secrets_.find(rule.name());
    webhooks_->Enqueue(
        rule.name(), id, event, rule.webhook().url(),
        secret == alert_secrets_.end() ? std::string() : secret->second,
        body.dump());
  }
  return id;
}

// ---- RPCs -------------------------------------------------------------------

absl::Status CloudCore::CheckRuleClusterLocked(const v1::AlertRule& rule) {
  auto cluster = clusters_.find(rule.cluster());
  if (cluster == clusters_.end()) return NotFound("cluster", rule.cluster());
  if (rule.metric() == v1::AlertRule::AGENT_DISCONNECTED &&
      !IsAgentEnvironmentLocked(cluster->second.environment())) {
    return absl::InvalidArgumentError(absl::StrCat(
        "alert_rule.metric: AGENT_DISCONNECTED watches clusters of "
        "agent-mode environments (cluster '",
        rule.cluster(), "' is in a cross-account environment)"));
  }
  return absl::OkStatus();
}

absl::Status CloudCore::CreateAlertRule(const RequestContext& ctx,
                                        const v1::CreateAlertRuleRequest& req,
                                        v1::AlertRule* resp) {
  const std::string name =
      absl::StrCat(req.parent(), "/alertRules/", req.alert_rule_id());
  return Handle(
      ctx, "CreateAlertRule", "alertRules.create", true, name, req.request_id(),
      [&](Call& call) -> absl::Status {
        COVE_RETURN_IF_ERROR(
            ParseName("parent", req.parent(), kAlertsProjectName).status());
        COVE_RETURN_IF_ERROR(ValidateId("alert_rule_id", req.alert_rule_id()));
        COVE_RETURN_IF_ERROR(CheckRule(req.alert_rule(), req.parent()));
        COVE_RETURN_IF_ERROR(
            AuthorizeLocked(call, "alertRules.create", req.parent()));
        COVE_ASSIGN_OR_RETURN(bool replayed, ReplayLocked(call, req, resp));
        if (replayed) return absl::OkStatus();
        if (projects_.count(req.parent()) == 0)
          return NotFound("project", req.parent());
        const v1::AlertRule& in = req.alert_rule();
        COVE_RETURN_IF_ERROR(CheckRuleClusterLocked(in));
        if (alert_rules_.count(name) != 0) {
          return absl::AlreadyExistsError(
              absl::StrCat("alert rule '", name, "' already exists"));
        }
        v1::AlertRule rule;
        rule.set_name(name);
        rule.set_display_name(in.display_name().empty() ? req.alert_rule_id()
                                                        : in.display_name());
        rule.set_cluster(in.cluster());
        rule.set_metric(in.metric());
        rule.set_comparison(in.comparison() ==
                                    v1::AlertRule::COMPARISON_UNSPECIFIED
                                ? v1::AlertRule::GREATER_THAN
                                : in.comparison());
        rule.set_threshold(in.threshold());
        *rule.mutable_for_duration() = in.for_duration();
        rule.set_window_seconds(in.window_seconds() == 0 ? kDefaultWindowSeconds
                                                         : in.window_seconds());
        if (in.has_webhook()) {
          rule.mutable_webhook()->set_url(in.webhook().url());
        }
        rule.set_audit(in.audit());
        *rule.mutable_labels() = in.labels();
        rule.set_state(v1::AlertRule::INACTIVE);
        const absl::Time now = NowLocked();
        *rule.mutable_state_time() = ToProto(now);
        *rule.mutable_create_time() = ToProto(now);
        *rule.mutable_update_time() = ToProto(now);
        rule.set_etag(NewEtag());
        if (in.has_webhook() && !in.webhook().secret().empty()) {
          COVE_ASSIGN_OR_RETURN(const internal::Cipher* cipher,
                                SealingCipherLocked());
          COVE_ASSIGN_OR_RETURN(
              std::string sealed,
              cipher->Seal(in.webhook().secret(), SecretAad(name)));
          COVE_RETURN_IF_ERROR(
              store_->Put("alertsecret", name, absl::Base64Escape(sealed)));
          alert_secrets_[name] = in.webhook().secret();
        }
        COVE_RETURN_IF_ERROR(PersistAlertRuleLocked(rule));
        alert_rules_[name] = rule;
        *resp = AlertRuleViewLocked(rule);
        return RememberLocked(call, req, *resp, *resp);
      });
}

absl::Status CloudCore::GetAlertRule(const RequestContext& ctx,
                                     const v1::GetRequest& req,
                                     v1::AlertRule* resp) {
  return Handle(ctx, "GetAlertRule", "alertRules.get", false, req.name(), "",
                [&](Call& call) -> absl::Status {
                  COVE_RETURN_IF_ERROR(
                      ParseName("name", req.name(), kAlertsRuleName).status());
                  COVE_RETURN_IF_ERROR(
                      AuthorizeAlertLocked(call, "alertRules.get", req.name()));
                  auto it = alert_rules_.find(req.name());
                  if (it == alert_rules_.end()) return RuleNotFound(req.name());
                  *resp = AlertRuleViewLocked(it->second);
                  return absl::OkStatus();
                });
}

absl::Status CloudCore::ListAlertRules(const RequestContext& ctx,
                                       const v1::ListAlertRulesRequest& req,
                                       v1::ListAlertRulesResponse* resp) {
  return Handle(
      ctx, "ListAlertRules", "alertRules.list", false, req.parent(), "",
      [&](Call& call) -> absl::Status {
        COVE_RETURN_IF_ERROR(
            ParseName("parent", req.parent(), kAlertsProjectName).status());
        COVE_ASSIGN_OR_RETURN(
            Filter filter,
            ParseFilter(req.filter(), {"cluster", "state", "metric"}));
        if (auto* v = filter.Get("state")) {
          v1::AlertRule::State s;
          if (!v1::AlertRule::State_Parse(*v, &s)) {
            return absl::InvalidArgumentError(absl::StrCat(
                "filter: state expects INACTIVE, PENDING, FIRING or RESOLVED "
                "(got '",
                *v, "')"));
          }
        }
        if (auto* v = filter.Get("metric")) {
          v1::AlertRule::Metric m;
          if (!v1::AlertRule::Metric_Parse(*v, &m)) {
            return absl::InvalidArgumentError(absl::StrCat(
                "filter: metric expects a metric such as QPS (got '", *v,
                "')"));
          }
        }
        COVE_RETURN_IF_ERROR(
            AuthorizeListLocked(call, "alertRules.list", req.parent()));
        std::vector<std::pair<std::string, v1::AlertRule>> items;
        for (const auto& [name, r] : alert_rules_) {
          if (!Within(name, req.parent())) continue;
          if (!AllowedLocked(call.principal, "alertRules.get", name)) continue;
          if (auto* v = filter.Get("cluster"); v && *v != r.cluster()) continue;
          if (auto* v = filter.Get("state");
              v && *v != v1::AlertRule::State_Name(r.state())) {
            continue;
          }
          if (auto* v = filter.Get("metric");
              v && *v != v1::AlertRule::Metric_Name(r.metric())) {
            continue;
          }
          items.emplace_back(name, AlertRuleViewLocked(r));
        }
        PageRequest page;
        page.page_size = req.page_size();
        page.page_token = req.page_token();
        page.list_id =
            absl::StrCat("ListAlertRules|", req.parent(), "|", req.filter());
        return Paginate(items, page, resp->mutable_alert_rules(),
                        resp->mutable_next_page_token());
      });
}

absl::Status CloudCore::DeleteAlertRule(const RequestContext& ctx,
                                        const v1::DeleteRequest& req,
                                        google::protobuf::Empty* resp) {
  (void)resp;
  return Handle(ctx, "DeleteAlertRule", "alertRules.delete", true, req.name(),
                "", [&](Call& call) -> absl::Status {
                  COVE_RETURN_IF_ERROR(
                      ParseName("name", req.name(), kAlertsRuleName).status());
                  COVE_RETURN_IF_ERROR(AuthorizeAlertLocked(
                      call, "alertRules.delete", req.name()));
                  auto it = alert_rules_.find(req.name());
                  if (it == alert_rules_.end()) return RuleNotFound(req.name());
                  COVE_RETURN_IF_ERROR(
                      CheckEtag("alert rule", req.etag(), it->second.etag()));
                  COVE_RETURN_IF_ERROR(Unpersist("alertrule", req.name()));
                  if (alert_secrets_.erase(req.name()) != 0) {
                    COVE_RETURN_IF_ERROR(Unpersist("alertsecret", req.name()));
                  }
                  alert_rules_.erase(it);
                  if (webhooks_ != nullptr) webhooks_->Forget(req.name());
                  return absl::OkStatus();
                });
}

absl::Status CloudCore::TestAlertRule(const RequestContext& ctx,
                                      const v1::TestAlertRuleRequest& req,
                                      v1::TestAlertRuleResponse* resp) {
  return Handle(
      ctx, "TestAlertRule", "alertRules.test", true, req.name(), "",
      [&](Call& call) -> absl::Status {
        COVE_RETURN_IF_ERROR(
            ParseName("name", req.name(), kAlertsRuleName).status());
        COVE_RETURN_IF_ERROR(
            AuthorizeAlertLocked(call, "alertRules.test", req.name()));
        auto it = alert_rules_.find(req.name());
        if (it == alert_rules_.end()) return RuleNotFound(req.name());
        resp->set_notification_id(NotifyAlertLocked(it->second, "test"));
        if (it->second.has_webhook()) resp->add_channels("webhook");
        if (it->second.audit()) resp->add_channels("audit");
        return absl::OkStatus();
      });
}

absl::Status CloudCore::SilenceAlertRule(const RequestContext& ctx,
                                         const v1::SilenceAlertRuleRequest& req,
                                         v1::AlertRule* resp) {
  return Handle(
      ctx, "SilenceAlertRule", "alertRules.silence", true, req.name(), "",
      [&](Call& call) -> absl::Status {
        COVE_RETURN_IF_ERROR(
            ParseName("name", req.name(), kAlertsRuleName).status());
        COVE_RETURN_IF_ERROR(
            AuthorizeAlertLocked(call, "alertRules.silence", req.name()));
        auto it = alert_rules_.find(req.name());
        if (it == alert_rules_.end()) return RuleNotFound(req.name());
        v1::AlertRule& rule = it->second;
        COVE_RETURN_IF_ERROR(CheckEtag("alert rule", req.etag(), rule.etag()));
        const absl::Time now = NowLocked();
        if (req.has_until() && FromProto(req.until()) > now) {
          *rule.mutable_silenced_until() = req.until();
          call.audit_message = absl::StrCat(
              "silenced until ",
              absl::FormatTime(absl::RFC3339_sec, FromProto(req.until()),
                               absl::UTCTimeZone()));
        } else {
          rule.clear_silenced_until();
          call.audit_message = "silence lifted";
        }
        *rule.mutable_update_time() = ToProto(now);
        rule.set_etag(NewEtag());
        COVE_RETURN_IF_ERROR(PersistAlertRuleLocked(rule));
        *resp = AlertRuleViewLocked(rule);
        return absl::OkStatus();
      });
}

absl::Status CloudCore::UpdateAlertRule(const RequestContext& ctx,
                                        const v1::UpdateAlertRuleRequest& req,
                                        v1::AlertRule* resp) {
  const v1::AlertRule& in = req.alert_rule();
  return Handle(
      ctx, "UpdateAlertRule", "alertRules.update", true, in.name(), "",
      [&](Call& call) -> absl::Status {
        COVE_RETURN_IF_ERROR(
            ParseName("alert_rule.name", in.name(), kAlertsRuleName).status());
        COVE_RETURN_IF_ERROR(
            AuthorizeAlertLocked(call, "alertRules.update", in.name()));
        auto it = alert_rules_.find(in.name());
        if (it == alert_rules_.end()) return RuleNotFound(in.name());
        COVE_RETURN_IF_ERROR(
            CheckEtag("alert rule", in.etag(), it->second.etag()));
        if (req.update_mask().paths().empty()) {
          return absl::InvalidArgumentError(
              "update_mask: expected at least one path (display_name, "
              "metric, comparison, threshold, for_duration, window_seconds, "
              "webhook, webhook.url, webhook.secret, audit, labels)");
        }
        // The rule as it will be: checked whole before anything changes.
        v1::AlertRule next = it->second;
        bool condition = false;             // the evaluation restarts
        std::optional<std::string> secret;  // set: the new secret ("" none)
        for (const std::string& path : req.update_mask().paths()) {
          if (path == "display_name") {
            next.set_display_name(
                in.display_name().empty()
                    ? next.name().substr(next.name().rfind('/') + 1)
                    : in.display_name());
          } else if (path == "metric") {
            next.set_metric(in.metric());
            condition = true;
          } else if (path == "comparison") {
            next.set_comparison(in.comparison() ==
                                        v1::AlertRule::COMPARISON_UNSPECIFIED
                                    ? v1::AlertRule::GREATER_THAN
                                    : in.comparison());
            condition = true;
          } else if (path == "threshold") {
            next.set_threshold(in.threshold());
            condition = true;
          } else if (path == "for_duration") {
            *next.mutable_for_duration() = in.for_duration();
            condition = true;
          } else if (path == "window_seconds") {
            next.set_window_seconds(in.window_seconds() == 0
                                        ? kDefaultWindowSeconds
                                        : in.window_seconds());
            condition = true;
          } else if (path == "webhook") {
            if (in.has_webhook()) {
              next.mutable_webhook()->set_url(in.webhook().url());
              next.mutable_webhook()->set_secret(in.webhook().secret());
              secret = in.webhook().secret();
            } else {
              next.clear_webhook();
              secret = "";
            }
          } else if (path == "webhook.url") {
            next.mutable_webhook()->set_url(in.webhook().url());
          } else if (path == "webhook.secret") {
            if (!next.has_webhook()) {
              return absl::InvalidArgumentError(
                  "update_mask: webhook.secret: the rule has no webhook (set "
                  "webhook, or webhook.url with it)");
            }
            next.mutable_webhook()->set_secret(in.webhook().secret());
            secret = in.webhook().secret();
          } else if (path == "audit") {
            next.set_audit(in.audit());
          } else if (path == "labels") {
            *next.mutable_labels() = in.labels();
          } else if (path == "cluster") {
            return absl::InvalidArgumentError(
                "update_mask: cluster cannot change (a rule watches the "
                "cluster it was made for: create another rule)");
          } else {
            return absl::InvalidArgumentError(absl::StrCat(
                "update_mask: unknown path '", path,
                "' (expected display_name, metric, comparison, threshold, "
                "for_duration, window_seconds, webhook, webhook.url, "
                "webhook.secret, audit or labels)"));
          }
        }
        const std::string project =
            next.name().substr(0, next.name().find("/alertRules/"));
        COVE_RETURN_IF_ERROR(CheckRule(next, project));
        // The secret is kept sealed, apart from the rule.
        if (next.has_webhook()) next.mutable_webhook()->clear_secret();
        COVE_RETURN_IF_ERROR(CheckRuleClusterLocked(next));
        if (secret.has_value()) {
          if (secret->empty()) {
            if (alert_secrets_.erase(next.name()) != 0) {
              COVE_RETURN_IF_ERROR(Unpersist("alertsecret", next.name()));
            }
          } else {
            COVE_ASSIGN_OR_RETURN(const internal::Cipher* cipher,
                                  SealingCipherLocked());
            COVE_ASSIGN_OR_RETURN(
                std::string sealed,
                cipher->Seal(*secret, SecretAad(next.name())));
            COVE_RETURN_IF_ERROR(store_->Put("alertsecret", next.name(),
                                             absl::Base64Escape(sealed)));
            alert_secrets_[next.name()] = *secret;
          }
        }
        const absl::Time now = NowLocked();
        if (condition) {
          next.set_state(v1::AlertRule::INACTIVE);
          *next.mutable_state_time() = ToProto(now);
          next.clear_value();
          next.set_has_value(false);
          next.clear_evaluate_time();
        }
        *next.mutable_update_time() = ToProto(now);
        next.set_etag(NewEtag());
        COVE_RETURN_IF_ERROR(PersistAlertRuleLocked(next));
        it->second = next;
        call.audit_message = absl::StrCat(
            "updated ", absl::StrJoin(req.update_mask().paths(), ", "),
            condition ? " (evaluation restarted)" : "");
        *resp = AlertRuleViewLocked(next);
        return absl::OkStatus();
      });
}

}  // namespace cove::cloud
