// JSON conversion and tables of the `cove` CLI (see output.h).
#include "cli/output.h"

#include <time.h>

#include <algorithm>
#include <cctype>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "common/utf8.h"

namespace cove::cli {
namespace {

Json Time(control::Timestamp t) {
  if (!control::IsSet(t)) return nullptr;
  return FormatTime(t);
}

Json Labels(const std::map<std::string, std::string>& labels) {
  Json out = Json::object();
  for (const auto& [k, v] : labels) out[k] = v;
  return out;
}

Json Strings(const std::vector<std::string>& v) {
  Json out = Json::array();
  for (const std::string& s : v) out.push_back(s);
  return out;
}

// Fields that carry a secret shown once: left out of the details view when
// empty, so that they only show where there is something to keep.
bool IsOnceSecret(const std::string& field) {
  return field == "secret" || field == "token" || field == "admin_password" ||
         field == "agent_token";
}

// Objects that are maps (shown as k=v,k=v) rather than nested messages.
bool IsMap(const std::string& field) {
  return field == "labels" || field == "vectors_per_cu";
}

void Details(const std::string& prefix, const Json& object,
             std::vector<std::pair<std::string, std::string>>& lines) {
  for (auto it = object.begin(); it != object.end(); ++it) {
    std::string key = prefix.empty() ? it.key() : prefix + "." + it.key();
    const Json& v = *it;
    if (IsOnceSecret(it.key()) && v.is_string() &&
        v.get_ref<const std::string&>().empty()) {
      continue;
    }
    bool object_array =
        v.is_array() && std::any_of(v.begin(), v.end(), [](const Json& e) {
          return e.is_object();
        });
    if (v.is_object() && !v.empty() && !IsMap(it.key())) {
      Details(key, v, lines);
    } else if (object_array) {
      for (size_t i = 0; i < v.size(); ++i) {
        std::string k = absl::StrCat(key, "[", i, "]");
        if (v[i].is_object()) {
          Details(k, v[i], lines);
        } else {
          lines.emplace_back(k, Cell(v[i]));
        }
      }
    } else {
      lines.emplace_back(key, Cell(v));
    }
  }
}

}  // namespace

std::string FormatTime(control::Timestamp t) {
  auto since_epoch = t.time_since_epoch();
  auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(since_epoch)
                .count();
  int64_t secs = ms / 1000;
  int64_t frac = ms % 1000;
  if (frac < 0) {
    frac += 1000;
    secs -= 1;
  }
  time_t tt = static_cast<time_t>(secs);
  struct tm tm;
  gmtime_r(&tt, &tm);
  char buf[64];
  strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%S", &tm);
  if (frac == 0) return absl::StrCat(buf, "Z");
  return absl::StrFormat("%s.%03dZ", buf, static_cast<int>(frac));
}

std::string DurationText(std::chrono::milliseconds d) {
  const int64_t ms = d.count();
  if (ms % 1000 == 0) return absl::StrCat(ms / 1000, "s");
  return absl::StrFormat("%s%d.%03ds", ms < 0 ? "-" : "",
                         (ms < 0 ? -ms : ms) / 1000,
                         (ms < 0 ? -ms : ms) % 1000);
}

std::string BackupStateName(control::BackupState s) {
  switch (s) {
    case control::BackupState::kCreating:
      return "CREATING";
    case control::BackupState::kReady:
      return "READY";
    case control::BackupState::kFailed:
      return "FAILED";
    case control::BackupState::kDeleting:
      return "DELETING";
    case control::BackupState::kUnspecified:
      break;
  }
  return "STATE_UNSPECIFIED";
}

std::string CodeName(absl::StatusCode code) {
  return absl::StatusCodeToString(code);
}

Json ToJson(const control::Organization& v) {
  Json j;
  j["name"] = v.name;
  j["display_name"] = v.display_name;
  j["create_time"] = Time(v.create_time);
  j["update_time"] = Time(v.update_time);
  j["etag"] = v.etag;
  j["external_id"] = v.external_id;
  return j;
}

Json ToJson(const control::Member& v) {
  Json j;
  j["name"] = v.name;
  j["user"] = v.user;
  j["role"] = v.role;
  j["create_time"] = Time(v.create_time);
  return j;
}

Json ToJson(const control::Invitation& v) {
  Json j;
  j["name"] = v.name;
  j["email"] = v.email;
  j["role"] = v.role;
  j["state"] = control::ToString(v.state);
  j["create_time"] = Time(v.create_time);
  j["expire_time"] = Time(v.expire_time);
  j["token"] = v.token;
  j["etag"] = v.etag;
  return j;
}

Json ToJson(const control::Project& v) {
  Json j;
  j["name"] = v.name;
  j["display_name"] = v.display_name;
  j["plan"] = v.plan;
  j["region"] = v.region;
  j["create_time"] = Time(v.create_time);
  j["update_time"] = Time(v.update_time);
  j["etag"] = v.etag;
  j["labels"] = Labels(v.labels);
  j["license"] = ToJson(v.license);
  return j;
}

Json ToJson(const std::optional<control::License>& v) {
  if (!v) return nullptr;  // no license
  Json j;
  j["license_id"] = v->license_id;
  j["max_cus"] = v->max_cus;
  j["max_replicas"] = v->max_replicas;
  j["used_cus"] = v->used_cus;
  j["used_replicas"] = v->used_replicas;
  j["update_time"] = Time(v->update_time);
  return j;
}

Json ToJson(const control::Environment& v) {
  Json j;
  j["name"] = v.name;
  j["mode"] = control::ToString(v.mode);
  j["state"] = control::ToString(v.state);
  j["cloud_account_id"] = v.cloud_account_id;
  j["region"] = v.region;
  j["vpc_id"] = v.vpc_id;
  j["subnet_ids"] = Strings(v.subnet_ids);
  j["bucket"] = v.bucket;
  j["role_arn"] = v.role_arn;
  j["external_id"] = v.external_id;
  j["create_time"] = Time(v.create_time);
  j["update_time"] = Time(v.update_time);
  j["etag"] = v.etag;
  j["state_message"] = v.state_message;
  j["agent_token"] = v.agent_token;
  j["agent_token_expire_time"] = Time(v.agent_token_expire_time);
  j["last_heartbeat_time"] = Time(v.last_heartbeat_time);
  j["private_network_address"] = v.private_network_address;
  return j;
}

Json ToJson(const control::EnvironmentValidation& v) {
  Json j;
  j["valid"] = v.valid;
  j["problems"] = Json::array();
  for (const auto& p : v.problems) {
    Json e;
    e["field"] = p.field;
    e["message"] = p.message;
    j["problems"].push_back(std::move(e));
  }
  return j;
}

Json ToJson(const control::Cluster& v) {
  Json j;
  j["name"] = v.name;
  j["display_name"] = v.display_name;
  j["environment"] = v.environment;
  j["state"] = control::ToString(v.state);
  j["cu_type"] = v.cu_type;
  j["cu_size"] = v.cu_size;
  j["replicas"] = v.replicas;
  j["labels"] = Labels(v.labels);
  j["endpoint"] = v.endpoint;
  j["create_time"] = Time(v.create_time);
  j["update_time"] = Time(v.update_time);
  j["delete_time"] = Time(v.delete_time);
  j["purge_time"] = Time(v.purge_time);
  j["etag"] = v.etag;
  j["state_message"] = v.state_message;
  j["admin_user"] = v.admin_user;
  j["admin_password"] = v.admin_password;
  j["capacity_vectors"] = v.capacity_vectors;
  j["used_vectors"] = v.used_vectors;
  j["autoscaling"] = ToJson(v.autoscaling);
  j["metrics_endpoint"] = v.metrics_endpoint;
  j["encryption_key"] = v.encryption_key;
  j["encryption_key_id"] = v.encryption_key_id;
  j["backup_policy"] = ToJson(v.backup_policy);
  j["idle_timeout_seconds"] = static_cast<int64_t>(
      std::chrono::duration_cast<std::chrono::seconds>(v.idle_timeout).count());
  j["idle_time"] = Time(v.idle_time);
  j["ip_access_list"] = v.ip_access_list;
  j["private_endpoint_enabled"] = v.private_endpoint_enabled;
  j["public_endpoint_disabled"] = v.public_endpoint_disabled;
  j["private_endpoint"] = v.private_endpoint;
  // Versions and upgrades (issue 19).
  j["version"] = v.version;
  j["available_upgrades"] = v.available_upgrades;
  j["maintenance_window"] = nullptr;
  if (v.maintenance_window.has_value())
    j["maintenance_window"] = ToJson(*v.maintenance_window);
  j["scheduled_upgrade"] = nullptr;
  if (v.scheduled_upgrade.has_value()) {
    Json s;
    s["version"] = v.scheduled_upgrade->version;
    s["operation"] = v.scheduled_upgrade->operation;
    s["start_time"] = Time(v.scheduled_upgrade->start_time);
    s["deferrals"] = v.scheduled_upgrade->deferrals;
    j["scheduled_upgrade"] = std::move(s);
  }
  return j;
}

Json ToJson(const control::MaintenanceWindow& v) {
  Json j;
  j["day_of_week"] = v.day_of_week;
  j["start_time"] = v.start_time;
  j["duration"] = DurationText(v.duration);
  j["time_zone"] = v.time_zone;
  return j;
}

Json ToJson(const control::BackupPolicy& v) {
  Json j;
  j["enabled"] = v.enabled;
  j["interval"] = DurationText(v.interval);
  j["retention_count"] = v.retention_count;
  j["retention"] = DurationText(v.retention);
  j["next_backup_time"] = Time(v.next_backup_time);
  return j;
}

Json ToJson(const control::Backup& v) {
  Json j;
  j["name"] = v.name;
  j["cluster"] = v.cluster;
  j["state"] = BackupStateName(v.state);
  j["state_message"] = v.state_message;
  j["collections"] = Strings(v.collections);
  j["size_bytes"] = v.size_bytes;
  j["row_count"] = v.row_count;
  j["create_time"] = Time(v.create_time);
  j["expire_time"] = Time(v.expire_time);
  j["encrypted"] = v.encrypted;
  j["encryption_key"] = v.encryption_key;
  j["location"] = v.location;
  j["scheduled"] = v.scheduled;
  j["etag"] = v.etag;
  j["environment"] = v.environment;
  return j;
}

Json ToJson(const control::Autoscaling& v) {
  Json a;
  a["enabled"] = v.enabled;
  a["min_cu_size"] = v.min_cu_size;
  a["max_cu_size"] = v.max_cu_size;
  a["min_replicas"] = v.min_replicas;
  a["max_replicas"] = v.max_replicas;
  a["scale_up_fill_percent"] = v.scale_up_fill_percent;
  a["scale_down_fill_percent"] = v.scale_down_fill_percent;
  a["cool_down_seconds"] = v.cool_down_seconds;
  a["target_qps_per_replica"] = v.target_qps_per_replica;
  a["schedules"] = Json::array();
  for (const control::AutoscalingSchedule& s : v.schedules) {
    Json e;
    e["cron"] = s.cron;
    e["time_zone"] = s.time_zone;
    e["min_cu_size"] = s.min_cu_size;
    e["duration_minutes"] = s.duration_minutes;
    a["schedules"].push_back(std::move(e));
  }
  return a;
}

Json ToJson(const control::RequestKindMetrics& v) {
  Json j;
  j["kind"] = v.kind;
  j["requests"] = v.requests;
  j["errors"] = v.errors;
  j["qps"] = v.qps;
  j["latency_p50_ms"] = v.latency_p50_ms;
  j["latency_p95_ms"] = v.latency_p95_ms;
  j["latency_p99_ms"] = v.latency_p99_ms;
  return j;
}

Json ToJson(const control::ClusterMetrics& v) {
  Json j;
  j["cluster"] = v.cluster;
  j["time"] = Time(v.time);
  j["serving"] = v.serving;
  j["window_seconds"] = v.window_seconds;
  j["qps"] = v.qps;
  j["requests"] = v.requests;
  j["errors"] = v.errors;
  j["latency_p50_ms"] = v.latency_p50_ms;
  j["latency_p95_ms"] = v.latency_p95_ms;
  j["latency_p99_ms"] = v.latency_p99_ms;
  j["kinds"] = Json::array();
  for (const control::RequestKindMetrics& k : v.kinds) {
    j["kinds"].push_back(ToJson(k));
  }
  j["vector_count"] = v.vector_count;
  j["storage_bytes"] = v.storage_bytes;
  j["capacity_vectors"] = v.capacity_vectors;
  j["cu_usage"] = v.cu_usage;
  j["cu_size"] = v.cu_size;
  j["replicas"] = v.replicas;
  j["metrics_endpoint"] = v.metrics_endpoint;
  return j;
}

void PrintMetrics(std::ostream& out, const Json& metrics) {
  // Figures rounded for people (JSON keeps them exact); the kinds as a
  // table below the totals.
  auto round = [](const Json& v) -> Json {
    if (!v.is_number_float()) return v;
    return absl::StrFormat("%.3f", v.get<double>());
  };
  Json totals = Json::object();
  for (auto it = metrics.begin(); it != metrics.end(); ++it) {
    if (it.key() == "kinds") continue;
    totals[it.key()] = round(*it);
  }
  if (metrics.contains("cu_usage") && metrics["cu_usage"].is_number()) {
    totals["cu_usage"] =
        absl::StrFormat("%.2f%%", metrics["cu_usage"].get<double>() * 100);
  }
  PrintDetails(out, totals);
  std::vector<Json> rows;
  if (metrics.contains("kinds")) {
    for (const Json& k : metrics["kinds"]) {
      Json row = Json::object();
      for (auto it = k.begin(); it != k.end(); ++it) {
        row[it.key()] = round(*it);
      }
      rows.push_back(std::move(row));
    }
  }
  if (rows.empty()) return;
  out << "\n";
  PrintTable(out,
             {{"KIND", "kind"},
              {"REQUESTS", "requests"},
              {"ERRORS", "errors"},
              {"QPS", "qps"},
              {"P50 MS", "latency_p50_ms"},
              {"P95 MS", "latency_p95_ms"},
              {"P99 MS", "latency_p99_ms"}},
             rows);
}

Json ToJson(const control::Operation& v) {
  Json j;
  j["name"] = v.name;
  j["verb"] = v.verb;
  j["target"] = v.target;
  j["done"] = v.done;
  j["error_code"] = CodeName(v.error_code);
  j["error_message"] = v.error_message;
  j["progress_percent"] = v.progress_percent;
  j["create_time"] = Time(v.create_time);
  j["end_time"] = Time(v.end_time);
  j["request_id"] = v.request_id;
  j["cancel_requested"] = v.cancel_requested;
  j["cluster"] = v.cluster ? ToJson(*v.cluster) : Json(nullptr);
  j["environment"] = v.environment ? ToJson(*v.environment) : Json(nullptr);
  j["backup"] = v.backup ? ToJson(*v.backup) : Json(nullptr);
  return j;
}

Json ToJson(const control::ApiKey& v) {
  Json j;
  j["name"] = v.name;
  j["display_name"] = v.display_name;
  j["scope"] = v.scope;
  j["role"] = v.role;
  j["enabled"] = v.enabled;
  j["create_time"] = Time(v.create_time);
  j["expire_time"] = Time(v.expire_time);
  j["last_used_time"] = Time(v.last_used_time);
  j["secret"] = v.secret;
  j["etag"] = v.etag;
  j["owner"] = v.owner;
  return j;
}

Json ToJson(const control::Role& v) {
  Json j;
  j["name"] = v.name;
  j["display_name"] = v.display_name;
  j["level"] = control::ToString(v.level);
  j["built_in"] = v.built_in;
  j["statements"] = Json::array();
  for (const control::Statement& s : v.statements) {
    Json e;
    e["effect"] = control::ToString(s.effect);
    e["actions"] = Strings(s.actions);
    e["resources"] = Strings(s.resources);
    j["statements"].push_back(std::move(e));
  }
  j["create_time"] = Time(v.create_time);
  j["etag"] = v.etag;
  return j;
}

Json ToJson(const control::RoleBinding& v) {
  Json j;
  j["name"] = v.name;
  j["role"] = v.role;
  j["principal"] = v.principal;
  j["scope"] = v.scope;
  j["create_time"] = Time(v.create_time);
  return j;
}

Json ToJson(const control::AuditEvent& v) {
  Json j;
  j["name"] = v.name;
  j["time"] = Time(v.time);
  j["actor"] = v.actor;
  j["action"] = v.action;
  j["resource"] = v.resource;
  j["outcome"] = control::ToString(v.outcome);
  j["status_code"] = CodeName(v.status_code);
  j["message"] = v.message;
  j["request_id"] = v.request_id;
  j["client_address"] = v.client_address;
  if (!v.support_grant.empty()) j["support_grant"] = v.support_grant;
  return j;
}

Json ToJson(const control::AcceptInvitationResult& v) {
  Json j;
  j["member"] = ToJson(v.member);
  j["api_key"] = ToJson(v.api_key);
  return j;
}

Json ToJson(const control::EmulatorSettings& v) {
  Json j;
  j["transition_delay_ms"] = v.transition_delay.count();
  j["retention_ms"] = v.retention.count();
  Json per_cu = Json::object();
  for (const auto& [type, n] : v.vectors_per_cu) per_cu[type] = n;
  j["vectors_per_cu"] = std::move(per_cu);
  Json bytes_per_cu = Json::object();
  for (const auto& [type, n] : v.bytes_per_cu) bytes_per_cu[type] = n;
  j["bytes_per_cu"] = std::move(bytes_per_cu);
  j["manual_clock"] = v.manual_clock;
  j["now"] = Time(v.now);
  Json prices;
  prices["currency"] = v.price_table.currency;
  Json cu_hour = Json::object();
  for (const auto& [type, p] : v.price_table.cu_hour) cu_hour[type] = p;
  prices["cu_hour"] = std::move(cu_hour);
  prices["storage_gib_month"] = v.price_table.storage_gib_month;
  Json factors = Json::object();
  for (const auto& [region, f] : v.price_table.region_factor)
    factors[region] = f;
  prices["region_factor"] = std::move(factors);
  prices["hours_per_month"] = v.price_table.hours_per_month;
  j["price_table"] = std::move(prices);
  Json releases = Json::array();
  for (const control::Release& r : v.releases) {
    Json x;
    x["version"] = r.version;
    x["release_notes"] = r.release_notes;
    x["upgrades_from"] = r.upgrades_from;
    x["default"] = r.is_default;
    x["broken"] = r.broken;
    releases.push_back(std::move(x));
  }
  j["releases"] = std::move(releases);
  return j;
}

Json ToJson(const control::Fault& v) {
  Json j;
  j["verb"] = v.verb;
  j["mode"] = control::ToString(v.mode);
  j["code"] = CodeName(v.code);
  j["message"] = v.message;
  j["count"] = v.count;
  j["replica"] = v.replica;
  return j;
}

std::vector<Column> ColumnsFor(const control::Organization*) {
  return {{"NAME", "name"},
          {"DISPLAY NAME", "display_name"},
          {"EXTERNAL ID", "external_id"},
          {"CREATED", "create_time"}};
}
std::vector<Column> ColumnsFor(const control::Member*) {
  return {{"USER", "user"}, {"ROLE", "role"}, {"CREATED", "create_time"}};
}
std::vector<Column> ColumnsFor(const control::Invitation*) {
  return {{"NAME", "name"},
          {"EMAIL", "email"},
          {"ROLE", "role"},
          {"STATE", "state"},
          {"EXPIRES", "expire_time"}};
}
std::vector<Column> ColumnsFor(const control::Project*) {
  return {{"NAME", "name"},
          {"DISPLAY NAME", "display_name"},
          {"PLAN", "plan"},
          {"REGION", "region"},
          {"LABELS", "labels"}};
}
std::vector<Column> ColumnsFor(const control::Environment*) {
  return {{"NAME", "name"},
          {"MODE", "mode"},
          {"STATE", "state"},
          {"REGION", "region"},
          {"BUCKET", "bucket"}};
}
std::vector<Column> ColumnsFor(const control::Cluster*) {
  return {{"NAME", "name"},
          {"STATE", "state"},
          {"CU TYPE", "cu_type"},
          {"CU", "cu_size"},
          {"REPLICAS", "replicas"},
          {"USED", "used_vectors"},
          {"CAPACITY", "capacity_vectors"},
          {"ENDPOINT", "endpoint"}};
}
std::vector<Column> ColumnsFor(const control::Backup*) {
  return {{"NAME", "name"},           {"STATE", "state"},
          {"ROWS", "row_count"},      {"BYTES", "size_bytes"},
          {"SCHEDULED", "scheduled"}, {"CREATED", "create_time"},
          {"EXPIRES", "expire_time"}};
}
std::vector<Column> ColumnsFor(const control::Operation*) {
  return {{"NAME", "name"},        {"VERB", "verb"},
          {"TARGET", "target"},    {"DONE", "done"},
          {"ERROR", "error_code"}, {"CREATED", "create_time"}};
}
std::vector<Column> ColumnsFor(const control::ApiKey*) {
  return {{"NAME", "name"},       {"DISPLAY NAME", "display_name"},
          {"SCOPE", "scope"},     {"ROLE", "role"},
          {"ENABLED", "enabled"}, {"EXPIRES", "expire_time"}};
}
std::vector<Column> ColumnsFor(const control::Role*) {
  return {{"NAME", "name"},
          {"DISPLAY NAME", "display_name"},
          {"LEVEL", "level"},
          {"BUILT IN", "built_in"}};
}
std::vector<Column> ColumnsFor(const control::RoleBinding*) {
  return {{"NAME", "name"},
          {"ROLE", "role"},
          {"PRINCIPAL", "principal"},
          {"SCOPE", "scope"}};
}
std::vector<Column> ColumnsFor(const control::AuditEvent*) {
  return {{"TIME", "time"},
          {"ACTOR", "actor"},
          {"ACTION", "action"},
          {"RESOURCE", "resource"},
          {"OUTCOME", "outcome"},
          {"STATUS", "status_code"},
          {"CLIENT", "client_address"}};
}
std::vector<Column> ColumnsFor(const control::Fault*) {
  return {{"VERB", "verb"},   {"MODE", "mode"},       {"CODE", "code"},
          {"COUNT", "count"}, {"REPLICA", "replica"}, {"MESSAGE", "message"}};
}

std::string Printable(std::string_view s, bool keep_backslash) {
  internal::EscapeOptions options;
  options.escape_backslash = !keep_backslash;
  return internal::EscapeForDisplay(s, options);
}

size_t DisplayWidth(std::string_view s) {
  size_t n = 0, i = 0;
  while (i < s.size()) {
    (void)internal::NextCodePoint(s, &i);
    ++n;
  }
  return n;
}

std::string Cell(const Json& value) {
  if (value.is_null()) return "-";
  if (value.is_string()) {
    const std::string& s = value.get_ref<const std::string&>();
    return s.empty() ? "-" : Printable(s);
  }
  if (value.is_boolean()) return value.get<bool>() ? "true" : "false";
  if (value.is_array()) {
    if (value.empty()) return "-";
    std::vector<std::string> parts;
    for (const Json& e : value) parts.push_back(Cell(e));
    return absl::StrJoin(parts, ",");
  }
  if (value.is_object()) {
    if (value.empty()) return "-";
    std::vector<std::string> parts;
    for (auto it = value.begin(); it != value.end(); ++it) {
      parts.push_back(Printable(it.key()) + "=" + Cell(*it));
    }
    return absl::StrJoin(parts, ",");
  }
  return value.dump();
}

void PrintTable(std::ostream& out, const std::vector<Column>& columns,
                const std::vector<Json>& rows) {
  std::vector<std::vector<std::string>> cells;
  std::vector<size_t> width(columns.size());
  std::vector<std::string> header;
  for (size_t c = 0; c < columns.size(); ++c) {
    header.push_back(absl::AsciiStrToUpper(columns[c].header));
    width[c] = DisplayWidth(header.back());
  }
  for (const Json& row : rows) {
    std::vector<std::string> line;
    for (size_t c = 0; c < columns.size(); ++c) {
      auto it = row.find(columns[c].field);
      line.push_back(it == row.end() ? "-" : Cell(*it));
      width[c] = std::max(width[c], DisplayWidth(line.back()));
    }
    cells.push_back(std::move(line));
  }
  auto print = [&](const std::vector<std::string>& line) {
    std::string text;
    for (size_t c = 0; c < line.size(); ++c) {
      text += line[c];
      if (c + 1 < line.size())
        text += std::string(width[c] - DisplayWidth(line[c]) + 2, ' ');
    }
    out << text << "\n";
  };
  print(header);
  for (const auto& line : cells) print(line);
}

void PrintDetails(std::ostream& out, const Json& object) {
  std::vector<std::pair<std::string, std::string>> lines;
  if (object.is_object()) {
    Details("", object, lines);
  } else {
    lines.emplace_back("value", Cell(object));
  }
  size_t width = 0;
  for (auto& [k, v] : lines) {
    k = Printable(k);
    width = std::max(width, DisplayWidth(k));
  }
  for (const auto& [k, v] : lines) {
    out << k << ":" << std::string(width - DisplayWidth(k) + 2, ' ') << v
        << "\n";
  }
}

}  // namespace cove::cli
