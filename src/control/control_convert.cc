// Conversions between cove::control structs and cove.control.v1 protos.
#include "control/control_convert.h"

#include <algorithm>
#include <string>
#include <type_traits>
#include <vector>

namespace cove::internal {
namespace {

using std::chrono::duration_cast;
using std::chrono::nanoseconds;
using std::chrono::seconds;

// Our enums number their values as the protos do (kUnspecified = 0, ...);
// an unknown value from a newer server becomes kUnspecified.
template <typename E>
E EnumFromInt(int v, E max) {
  if (v < 0 || v > static_cast<int>(max)) return E{};
  return static_cast<E>(v);
}

absl::StatusCode CodeFromInt(int v) {
  if (v < 0 || v > static_cast<int>(absl::StatusCode::kUnauthenticated)) {
    return absl::StatusCode::kUnknown;
  }
  return static_cast<absl::StatusCode>(v);
}

template <typename Map>
std::map<std::string, std::string> LabelsFrom(const Map& m) {
  return std::map<std::string, std::string>(m.begin(), m.end());
}

template <typename Map>
void LabelsTo(const std::map<std::string, std::string>& labels, Map* out) {
  for (const auto& [k, v] : labels) (*out)[k] = v;
}

template <typename Repeated>
std::vector<std::string> Strings(const Repeated& r) {
  return std::vector<std::string>(r.begin(), r.end());
}

template <typename Repeated>
void SetStrings(const std::vector<std::string>& v, Repeated* out) {
  for (const auto& s : v) out->Add(std::string(s));
}

}  // namespace

void ToProto(control::Timestamp t, google::protobuf::Timestamp* out) {
  const auto ns = duration_cast<nanoseconds>(t.time_since_epoch()).count();
  int64_t s = ns / 1000000000;
  int64_t n = ns % 1000000000;
  if (n < 0) {
    n += 1000000000;
    s -= 1;
  }
  out->set_seconds(s);
  out->set_nanos(static_cast<int32_t>(n));
}

control::Timestamp FromProto(const google::protobuf::Timestamp& t) {
  return control::Timestamp(duration_cast<control::Timestamp::duration>(
      seconds(t.seconds()) + nanoseconds(t.nanos())));
}

void ToProto(std::chrono::milliseconds d, google::protobuf::Duration* out) {
  out->set_seconds(d.count() / 1000);
  out->set_nanos(static_cast<int32_t>((d.count() % 1000) * 1000000));
}

std::chrono::milliseconds FromProto(const google::protobuf::Duration& d) {
  return std::chrono::milliseconds(d.seconds() * 1000 + d.nanos() / 1000000);
}

#define COVE_TIME_TO(field) \
  if (control::IsSet(v.field)) ToProto(v.field, p.mutable_##field())
#define COVE_TIME_FROM(field) \
  if (p.has_##field()) v.field = FromProto(p.field())

// ---- resources
// ----------------------------------------------------------------

pb::Organization ToProto(const control::Organization& v) {
  pb::Organization p;
  p.set_name(v.name);
  p.set_display_name(v.display_name);
  COVE_TIME_TO(create_time);
  COVE_TIME_TO(update_time);
  p.set_etag(v.etag);
  p.set_external_id(v.external_id);
  return p;
}

control::Organization FromProto(const pb::Organization& p) {
  control::Organization v;
  v.name = p.name();
  v.display_name = p.display_name();
  COVE_TIME_FROM(create_time);
  COVE_TIME_FROM(update_time);
  v.etag = p.etag();
  v.external_id = p.external_id();
  return v;
}

pb::Member ToProto(const control::Member& v) {
  pb::Member p;
  p.set_name(v.name);
  p.set_user(v.user);
  p.set_role(v.role);
  COVE_TIME_TO(create_time);
  return p;
}

control::Member FromProto(const pb::Member& p) {
  control::Member v;
  v.name = p.name();
  v.user = p.user();
  v.role = p.role();
  COVE_TIME_FROM(create_time);
  return v;
}

pb::Invitation ToProto(const control::Invitation& v) {
  pb::Invitation p;
  p.set_name(v.name);
  p.set_email(v.email);
  p.set_role(v.role);
  p.set_state(static_cast<pb::Invitation::State>(v.state));
  COVE_TIME_TO(create_time);
  COVE_TIME_TO(expire_time);
  p.set_token(v.token);
  p.set_etag(v.etag);
  return p;
}

control::Invitation FromProto(const pb::Invitation& p) {
  control::Invitation v;
  v.name = p.name();
  v.email = p.email();
  v.role = p.role();
  v.state = EnumFromInt(p.state(), control::InvitationState::kRevoked);
  COVE_TIME_FROM(create_time);
  COVE_TIME_FROM(expire_time);
  v.token = p.token();
  v.etag = p.etag();
  return v;
}

pb::Project ToProto(const control::Project& v) {
  pb::Project p;
  p.set_name(v.name);
  p.set_display_name(v.display_name);
  p.set_plan(v.plan);
  p.set_region(v.region);
  COVE_TIME_TO(create_time);
  COVE_TIME_TO(update_time);
  p.set_etag(v.etag);
  LabelsTo(v.labels, p.mutable_labels());
  if (v.license) *p.mutable_license() = ToProto(*v.license);
  if (v.maintenance_window.has_value())
    *p.mutable_maintenance_window() = ToProto(*v.maintenance_window);
  return p;
}

pb::License ToProto(const control::License& v) {
  pb::License p;
  p.set_license_id(v.license_id);
  p.set_max_cus(v.max_cus);
  p.set_max_replicas(v.max_replicas);
  COVE_TIME_TO(update_time);
  p.set_used_cus(v.used_cus);
  p.set_used_replicas(v.used_replicas);
  return p;
}

control::License FromProto(const pb::License& p) {
  control::License v;
  v.license_id = p.license_id();
  v.max_cus = p.max_cus();
  v.max_replicas = p.max_replicas();
  COVE_TIME_FROM(update_time);
  v.used_cus = p.used_cus();
  v.used_replicas = p.used_replicas();
  return v;
}

pb::PriceTable ToProto(const control::PriceTable& v) {
  pb::PriceTable p;
  p.set_currency(v.currency);
  for (const auto& [k, x] : v.cu_hour) (*p.mutable_cu_hour())[k] = x;
  p.set_storage_gib_month(v.storage_gib_month);
  for (const auto& [k, x] : v.region_factor)
    (*p.mutable_region_factor())[k] = x;
  p.set_hours_per_month(v.hours_per_month);
  return p;
}

control::PriceTable FromProto(const pb::PriceTable& p) {
  control::PriceTable v;
  v.currency = p.currency();
  v.cu_hour.insert(p.cu_hour().begin(), p.cu_hour().end());
  v.storage_gib_month = p.storage_gib_month();
  v.region_factor.insert(p.region_factor().begin(), p.region_factor().end());
  v.hours_per_month = p.hours_per_month();
  return v;
}

pb::SetProjectLicenseRequest ToProto(
    const control::SetProjectLicenseRequest& v) {
  pb::SetProjectLicenseRequest p;
  p.set_project(v.project);
  if (v.license) {
    pb::License* l = p.mutable_license();
    l->set_license_id(v.license->license_id);
    l->set_max_cus(v.license->max_cus);
    l->set_max_replicas(v.license->max_replicas);
  }
  return p;
}

pb::EstimateCostRequest ToProto(const control::EstimateCostRequest& v) {
  pb::EstimateCostRequest p;
  p.set_parent(v.parent);
  p.set_cu_type(v.cu_type);
  p.set_cu_size(v.cu_size);
  p.set_replicas(v.replicas);
  p.set_storage_gib(v.storage_gib);
  p.set_region(v.region);
  return p;
}

control::EstimateCostRequest FromProto(const pb::EstimateCostRequest& p) {
  control::EstimateCostRequest v;
  v.parent = p.parent();
  v.cu_type = p.cu_type();
  v.cu_size = p.cu_size();
  v.replicas = p.replicas();
  v.storage_gib = p.storage_gib();
  v.region = p.region();
  return v;
}

pb::CostEstimate ToProto(const control::CostEstimate& v) {
  pb::CostEstimate p;
  for (const control::CostItem& i : v.items) {
    pb::CostEstimate::Item* item = p.add_items();
    item->set_item(i.item);
    item->set_quantity(i.quantity);
    item->set_unit(i.unit);
    item->set_unit_price(i.unit_price);
    item->set_per_hour(i.per_hour);
    item->set_per_month(i.per_month);
  }
  p.set_per_hour(v.per_hour);
  p.set_per_month(v.per_month);
  p.set_currency(v.currency);
  p.set_hours_per_month(v.hours_per_month);
  p.set_region(v.region);
  p.set_region_factor(v.region_factor);
  p.set_cu_type(v.cu_type);
  return p;
}

control::CostEstimate FromProto(const pb::CostEstimate& p) {
  control::CostEstimate v;
  for (const pb::CostEstimate::Item& i : p.items()) {
    control::CostItem item;
    item.item = i.item();
    item.quantity = i.quantity();
    item.unit = i.unit();
    item.unit_price = i.unit_price();
    item.per_hour = i.per_hour();
    item.per_month = i.per_month();
    v.items.push_back(std::move(item));
  }
  v.per_hour = p.per_hour();
  v.per_month = p.per_month();
  v.currency = p.currency();
  v.hours_per_month = p.hours_per_month();
  v.region = p.region();
  v.region_factor = p.region_factor();
  v.cu_type = p.cu_type();
  return v;
}

control::Project FromProto(const pb::Project& p) {
  control::Project v;
  v.name = p.name();
  v.display_name = p.display_name();
  v.plan = p.plan();
  v.region = p.region();
  COVE_TIME_FROM(create_time);
  COVE_TIME_FROM(update_time);
  v.etag = p.etag();
  v.labels = LabelsFrom(p.labels());
  if (p.has_license()) v.license = FromProto(p.license());
  if (p.has_maintenance_window())
    v.maintenance_window = FromProto(p.maintenance_window());
  return v;
}

pb::Environment ToProto(const control::Environment& v) {
  pb::Environment p;
  p.set_name(v.name);
  p.set_mode(static_cast<pb::Environment::Mode>(v.mode));
  p.set_state(static_cast<pb::Environment::State>(v.state));
  p.set_cloud_account_id(v.cloud_account_id);
  p.set_region(v.region);
  p.set_vpc_id(v.vpc_id);
  SetStrings(v.subnet_ids, p.mutable_subnet_ids());
  p.set_bucket(v.bucket);
  p.set_role_arn(v.role_arn);
  p.set_external_id(v.external_id);
  COVE_TIME_TO(create_time);
  COVE_TIME_TO(update_time);
  p.set_etag(v.etag);
  p.set_state_message(v.state_message);
  p.set_agent_token(v.agent_token);
  COVE_TIME_TO(agent_token_expire_time);
  COVE_TIME_TO(last_heartbeat_time);
  p.set_private_network_address(v.private_network_address);
  return p;
}

control::Environment FromProto(const pb::Environment& p) {
  control::Environment v;
  v.name = p.name();
  v.mode = EnumFromInt(p.mode(), control::EnvironmentMode::kAgent);
  v.state = EnumFromInt(p.state(), control::EnvironmentState::kDisconnected);
  v.cloud_account_id = p.cloud_account_id();
  v.region = p.region();
  v.vpc_id = p.vpc_id();
  v.subnet_ids = Strings(p.subnet_ids());
  v.bucket = p.bucket();
  v.role_arn = p.role_arn();
  v.external_id = p.external_id();
  COVE_TIME_FROM(create_time);
  COVE_TIME_FROM(update_time);
  v.etag = p.etag();
  v.state_message = p.state_message();
  v.agent_token = p.agent_token();
  COVE_TIME_FROM(agent_token_expire_time);
  COVE_TIME_FROM(last_heartbeat_time);
  v.private_network_address = p.private_network_address();
  return v;
}

pb::EnvironmentValidation ToProto(const control::EnvironmentValidation& v) {
  pb::EnvironmentValidation p;
  p.set_valid(v.valid);
  for (const auto& problem : v.problems) {
    auto* out = p.add_problems();
    out->set_field(problem.field);
    out->set_message(problem.message);
  }
  return p;
}

control::EnvironmentValidation FromProto(const pb::EnvironmentValidation& p) {
  control::EnvironmentValidation v;
  v.valid = p.valid();
  for (const auto& problem : p.problems()) {
    v.problems.push_back({problem.field(), problem.message()});
  }
  return v;
}

pb::Autoscaling ToProto(const control::Autoscaling& v) {
  pb::Autoscaling p;
  p.set_enabled(v.enabled);
  p.set_min_cu_size(v.min_cu_size);
  p.set_max_cu_size(v.max_cu_size);
  p.set_min_replicas(v.min_replicas);
  p.set_max_replicas(v.max_replicas);
  p.set_scale_up_fill_percent(v.scale_up_fill_percent);
  p.set_scale_down_fill_percent(v.scale_down_fill_percent);
  p.set_cool_down_seconds(v.cool_down_seconds);
  p.set_target_qps_per_replica(v.target_qps_per_replica);
  for (const control::AutoscalingSchedule& s : v.schedules) {
    pb::AutoscalingSchedule* ps = p.add_schedules();
    ps->set_cron(s.cron);
    ps->set_time_zone(s.time_zone);
    ps->set_min_cu_size(s.min_cu_size);
    ps->set_duration_minutes(s.duration_minutes);
  }
  return p;
}

control::Autoscaling FromProto(const pb::Autoscaling& p) {
  control::Autoscaling v;
  v.enabled = p.enabled();
  v.min_cu_size = p.min_cu_size();
  v.max_cu_size = p.max_cu_size();
  v.min_replicas = p.min_replicas();
  v.max_replicas = p.max_replicas();
  v.scale_up_fill_percent = p.scale_up_fill_percent();
  v.scale_down_fill_percent = p.scale_down_fill_percent();
  v.cool_down_seconds = p.cool_down_seconds();
  v.target_qps_per_replica = p.target_qps_per_replica();
  for (const pb::AutoscalingSchedule& ps : p.schedules()) {
    v.schedules.push_back(
        {ps.cron(), ps.time_zone(), ps.min_cu_size(), ps.duration_minutes()});
  }
  return v;
}

control::ClusterMetrics FromProto(const pb::ClusterMetrics& p) {
  control::ClusterMetrics v;
  v.cluster = p.cluster();
  COVE_TIME_FROM(time);
  v.serving = p.serving();
  v.window_seconds = p.window_seconds();
  v.qps = p.qps();
  v.requests = p.requests();
  v.errors = p.errors();
  v.latency_p50_ms = p.latency_p50_ms();
  v.latency_p95_ms = p.latency_p95_ms();
  v.latency_p99_ms = p.latency_p99_ms();
  for (const pb::RequestKindMetrics& k : p.kinds()) {
    v.kinds.push_back({k.kind(), k.requests(), k.errors(), k.qps(),
                       k.latency_p50_ms(), k.latency_p95_ms(),
                       k.latency_p99_ms()});
  }
  v.vector_count = p.vector_count();
  v.storage_bytes = p.storage_bytes();
  v.capacity_vectors = p.capacity_vectors();
  v.cu_usage = p.cu_usage();
  v.cu_size = p.cu_size();
  v.replicas = p.replicas();
  v.metrics_endpoint = p.metrics_endpoint();
  return v;
}

pb::Cluster ToProto(const control::Cluster& v) {
  pb::Cluster p;
  p.set_name(v.name);
  p.set_display_name(v.display_name);
  p.set_environment(v.environment);
  p.set_state(static_cast<pb::Cluster::State>(v.state));
  p.set_cu_type(v.cu_type);
  p.set_cu_size(v.cu_size);
  p.set_replicas(v.replicas);
  LabelsTo(v.labels, p.mutable_labels());
  p.set_endpoint(v.endpoint);
  COVE_TIME_TO(create_time);
  COVE_TIME_TO(update_time);
  COVE_TIME_TO(delete_time);
  COVE_TIME_TO(purge_time);
  p.set_etag(v.etag);
  p.set_state_message(v.state_message);
  p.set_admin_user(v.admin_user);
  p.set_admin_password(v.admin_password);
  p.set_capacity_vectors(v.capacity_vectors);
  p.set_used_vectors(v.used_vectors);
  p.set_capacity_bytes(v.capacity_bytes);
  p.set_used_bytes(v.used_bytes);
  if (v.autoscaling.enabled || v.autoscaling.min_cu_size != 0 ||
      v.autoscaling.max_cu_size != 0 || !v.autoscaling.schedules.empty() ||
      v.autoscaling.min_replicas != 0 || v.autoscaling.max_replicas != 0 ||
      v.autoscaling.scale_up_fill_percent != 0 ||
      v.autoscaling.scale_down_fill_percent != 0 ||
      v.autoscaling.cool_down_seconds != 0) {
    *p.mutable_autoscaling() = ToProto(v.autoscaling);
  }
  p.set_metrics_endpoint(v.metrics_endpoint);
  p.set_encryption_key(v.encryption_key);
  p.set_encryption_key_id(v.encryption_key_id);
  if (v.backup_policy.enabled || v.backup_policy.interval.count() != 0) {
    *p.mutable_backup_policy() = ToProto(v.backup_policy);
  }
  if (v.idle_timeout.count() != 0)
    ToProto(v.idle_timeout, p.mutable_idle_timeout());
  COVE_TIME_TO(idle_time);
  for (const std::string& cidr : v.ip_access_list) p.add_ip_access_list(cidr);
  p.set_private_endpoint_enabled(v.private_endpoint_enabled);
  p.set_public_endpoint_disabled(v.public_endpoint_disabled);
  p.set_private_endpoint(v.private_endpoint);
  p.set_version(v.version);
  for (const std::string& u : v.available_upgrades) p.add_available_upgrades(u);
  if (v.maintenance_window.has_value())
    *p.mutable_maintenance_window() = ToProto(*v.maintenance_window);
  if (v.scheduled_upgrade.has_value())
    *p.mutable_scheduled_upgrade() = ToProto(*v.scheduled_upgrade);
  return p;
}

control::Cluster FromProto(const pb::Cluster& p) {
  control::Cluster v;
  v.name = p.name();
  v.display_name = p.display_name();
  v.environment = p.environment();
  v.state = EnumFromInt(p.state(), control::ClusterState::kIdle);
  v.cu_type = p.cu_type();
  v.cu_size = p.cu_size();
  v.replicas = p.replicas();
  v.labels = LabelsFrom(p.labels());
  v.endpoint = p.endpoint();
  COVE_TIME_FROM(create_time);
  COVE_TIME_FROM(update_time);
  COVE_TIME_FROM(delete_time);
  COVE_TIME_FROM(purge_time);
  v.etag = p.etag();
  v.state_message = p.state_message();
  v.admin_user = p.admin_user();
  v.admin_password = p.admin_password();
  v.capacity_vectors = p.capacity_vectors();
  v.used_vectors = p.used_vectors();
  v.capacity_bytes = p.capacity_bytes();
  v.used_bytes = p.used_bytes();
  v.autoscaling = FromProto(p.autoscaling());
  v.metrics_endpoint = p.metrics_endpoint();
  v.encryption_key = p.encryption_key();
  v.encryption_key_id = p.encryption_key_id();
  v.backup_policy = FromProto(p.backup_policy());
  v.idle_timeout = FromProto(p.idle_timeout());
  COVE_TIME_FROM(idle_time);
  v.ip_access_list.assign(p.ip_access_list().begin(), p.ip_access_list().end());
  v.private_endpoint_enabled = p.private_endpoint_enabled();
  v.public_endpoint_disabled = p.public_endpoint_disabled();
  v.private_endpoint = p.private_endpoint();
  v.version = p.version();
  v.available_upgrades.assign(p.available_upgrades().begin(),
                              p.available_upgrades().end());
  if (p.has_maintenance_window())
    v.maintenance_window = FromProto(p.maintenance_window());
  if (p.has_scheduled_upgrade())
    v.scheduled_upgrade = FromProto(p.scheduled_upgrade());
  return v;
}

pb::Operation ToProto(const control::Operation& v) {
  pb::Operation p;
  p.set_name(v.name);
  p.set_verb(v.verb);
  p.set_target(v.target);
  p.set_done(v.done);
  p.set_error_code(static_cast<int32_t>(v.error_code));
  p.set_error_message(v.error_message);
  p.set_progress_percent(v.progress_percent);
  COVE_TIME_TO(create_time);
  COVE_TIME_TO(end_time);
  p.set_request_id(v.request_id);
  p.set_cancel_requested(v.cancel_requested);
  if (v.cluster.has_value()) {
    *p.mutable_cluster() = ToProto(*v.cluster);
  } else if (v.environment.has_value()) {
    *p.mutable_environment() = ToProto(*v.environment);
  } else if (v.backup.has_value()) {
    *p.mutable_backup() = ToProto(*v.backup);
  }
  return p;
}

control::Operation FromProto(const pb::Operation& p) {
  control::Operation v;
  v.name = p.name();
  v.verb = p.verb();
  v.target = p.target();
  v.done = p.done();
  v.error_code = CodeFromInt(p.error_code());
  v.error_message = p.error_message();
  v.progress_percent = p.progress_percent();
  COVE_TIME_FROM(create_time);
  COVE_TIME_FROM(end_time);
  v.request_id = p.request_id();
  v.cancel_requested = p.cancel_requested();
  if (p.has_cluster()) v.cluster = FromProto(p.cluster());
  if (p.has_environment()) v.environment = FromProto(p.environment());
  if (p.has_backup()) v.backup = FromProto(p.backup());
  return v;
}

pb::ApiKey ToProto(const control::ApiKey& v) {
  pb::ApiKey p;
  p.set_name(v.name);
  p.set_display_name(v.display_name);
  p.set_scope(v.scope);
  p.set_role(v.role);
  p.set_enabled(v.enabled);
  COVE_TIME_TO(create_time);
  COVE_TIME_TO(expire_time);
  COVE_TIME_TO(last_used_time);
  p.set_secret(v.secret);
  p.set_etag(v.etag);
  p.set_owner(v.owner);
  return p;
}

control::ApiKey FromProto(const pb::ApiKey& p) {
  control::ApiKey v;
  v.name = p.name();
  v.display_name = p.display_name();
  v.scope = p.scope();
  v.role = p.role();
  v.enabled = p.enabled();
  COVE_TIME_FROM(create_time);
  COVE_TIME_FROM(expire_time);
  COVE_TIME_FROM(last_used_time);
  v.secret = p.secret();
  v.etag = p.etag();
  v.owner = p.owner();
  return v;
}

pb::Statement ToProto(const control::Statement& v) {
  pb::Statement p;
  p.set_effect(static_cast<pb::Statement::Effect>(v.effect));
  SetStrings(v.actions, p.mutable_actions());
  SetStrings(v.resources, p.mutable_resources());
  return p;
}

control::Statement FromProto(const pb::Statement& p) {
  control::Statement v;
  v.effect = EnumFromInt(p.effect(), control::Effect::kDeny);
  v.actions = Strings(p.actions());
  v.resources = Strings(p.resources());
  return v;
}

pb::Role ToProto(const control::Role& v) {
  pb::Role p;
  p.set_name(v.name);
  p.set_display_name(v.display_name);
  p.set_level(static_cast<pb::Role::Level>(v.level));
  p.set_built_in(v.built_in);
  for (const auto& s : v.statements) *p.add_statements() = ToProto(s);
  COVE_TIME_TO(create_time);
  p.set_etag(v.etag);
  return p;
}

control::Role FromProto(const pb::Role& p) {
  control::Role v;
  v.name = p.name();
  v.display_name = p.display_name();
  v.level = EnumFromInt(p.level(), control::RoleLevel::kProject);
  v.built_in = p.built_in();
  for (const auto& s : p.statements()) v.statements.push_back(FromProto(s));
  COVE_TIME_FROM(create_time);
  v.etag = p.etag();
  return v;
}

pb::RoleBinding ToProto(const control::RoleBinding& v) {
  pb::RoleBinding p;
  p.set_name(v.name);
  p.set_role(v.role);
  p.set_principal(v.principal);
  p.set_scope(v.scope);
  COVE_TIME_TO(create_time);
  return p;
}

control::RoleBinding FromProto(const pb::RoleBinding& p) {
  control::RoleBinding v;
  v.name = p.name();
  v.role = p.role();
  v.principal = p.principal();
  v.scope = p.scope();
  COVE_TIME_FROM(create_time);
  return v;
}

pb::AuditEvent ToProto(const control::AuditEvent& v) {
  pb::AuditEvent p;
  p.set_name(v.name);
  COVE_TIME_TO(time);
  p.set_actor(v.actor);
  p.set_action(v.action);
  p.set_resource(v.resource);
  p.set_outcome(static_cast<pb::AuditEvent::Outcome>(v.outcome));
  p.set_status_code(static_cast<int32_t>(v.status_code));
  p.set_message(v.message);
  p.set_request_id(v.request_id);
  p.set_client_address(v.client_address);
  p.set_support_grant(v.support_grant);
  return p;
}

control::AuditEvent FromProto(const pb::AuditEvent& p) {
  control::AuditEvent v;
  v.name = p.name();
  COVE_TIME_FROM(time);
  v.actor = p.actor();
  v.action = p.action();
  v.resource = p.resource();
  v.outcome = EnumFromInt(p.outcome(), control::AuditOutcome::kDenied);
  v.status_code = CodeFromInt(p.status_code());
  v.message = p.message();
  v.request_id = p.request_id();
  v.client_address = p.client_address();
  v.support_grant = p.support_grant();
  return v;
}

pb::EmulatorSettings ToProto(const control::EmulatorSettings& v) {
  pb::EmulatorSettings p;
  ToProto(v.transition_delay, p.mutable_transition_delay());
  ToProto(v.retention, p.mutable_retention());
  for (const auto& [k, n] : v.vectors_per_cu)
    (*p.mutable_vectors_per_cu())[k] = n;
  for (const auto& [k, n] : v.bytes_per_cu) (*p.mutable_bytes_per_cu())[k] = n;
  p.set_manual_clock(v.manual_clock);
  COVE_TIME_TO(now);
  *p.mutable_price_table() = ToProto(v.price_table);
  for (const control::Release& r : v.releases) *p.add_releases() = ToProto(r);
  return p;
}

control::EmulatorSettings FromProto(const pb::EmulatorSettings& p) {
  control::EmulatorSettings v;
  v.transition_delay = FromProto(p.transition_delay());
  v.retention = FromProto(p.retention());
  v.vectors_per_cu.insert(p.vectors_per_cu().begin(), p.vectors_per_cu().end());
  v.bytes_per_cu.insert(p.bytes_per_cu().begin(), p.bytes_per_cu().end());
  v.manual_clock = p.manual_clock();
  COVE_TIME_FROM(now);
  v.price_table = FromProto(p.price_table());
  for (const pb::Release& r : p.releases()) v.releases.push_back(FromProto(r));
  return v;
}

pb::Fault ToProto(const control::Fault& v) {
  pb::Fault p;
  p.set_verb(v.verb);
  p.set_mode(static_cast<pb::Fault::Mode>(v.mode));
  p.set_code(static_cast<int32_t>(v.code));
  p.set_message(v.message);
  p.set_count(v.count);
  p.set_replica(v.replica);
  return p;
}

control::Fault FromProto(const pb::Fault& p) {
  control::Fault v;
  v.verb = p.verb();
  v.mode = EnumFromInt(p.mode(), control::FaultMode::kUnavailable);
  v.code = CodeFromInt(p.code());
  v.message = p.message();
  v.count = p.count();
  v.replica = p.replica();
  return v;
}

// ---- requests
// --------------------------------------------------------------------

pb::CreateOrganizationRequest ToProto(
    const control::CreateOrganizationRequest& v) {
  pb::CreateOrganizationRequest p;
  p.set_organization_id(v.organization_id);
  *p.mutable_organization() = ToProto(v.organization);
  p.set_request_id(v.request_id);
  p.set_owner_email(v.owner_email);
  return p;
}

control::CreateOrganizationRequest FromProto(
    const pb::CreateOrganizationRequest& p) {
  control::CreateOrganizationRequest v;
  v.organization_id = p.organization_id();
  v.organization = FromProto(p.organization());
  v.request_id = p.request_id();
  v.owner_email = p.owner_email();
  return v;
}

pb::DeleteRequest ToProto(const control::DeleteRequest& v) {
  pb::DeleteRequest p;
  p.set_name(v.name);
  p.set_etag(v.etag);
  p.set_request_id(v.request_id);
  return p;
}

control::DeleteRequest FromProto(const pb::DeleteRequest& p) {
  return control::DeleteRequest{p.name(), p.etag(), p.request_id()};
}

pb::CreateInvitationRequest ToProto(const control::CreateInvitationRequest& v) {
  pb::CreateInvitationRequest p;
  p.set_parent(v.parent);
  *p.mutable_invitation() = ToProto(v.invitation);
  p.set_request_id(v.request_id);
  return p;
}

control::CreateInvitationRequest FromProto(
    const pb::CreateInvitationRequest& p) {
  control::CreateInvitationRequest v;
  v.parent = p.parent();
  v.invitation = FromProto(p.invitation());
  v.request_id = p.request_id();
  return v;
}

pb::AcceptInvitationRequest ToProto(const control::AcceptInvitationRequest& v) {
  pb::AcceptInvitationRequest p;
  p.set_name(v.name);
  p.set_token(v.token);
  return p;
}

control::AcceptInvitationResult FromProto(
    const pb::AcceptInvitationResponse& p) {
  control::AcceptInvitationResult v;
  v.member = FromProto(p.member());
  v.api_key = FromProto(p.api_key());
  return v;
}

pb::CreateProjectRequest ToProto(const control::CreateProjectRequest& v) {
  pb::CreateProjectRequest p;
  p.set_parent(v.parent);
  p.set_project_id(v.project_id);
  *p.mutable_project() = ToProto(v.project);
  p.set_request_id(v.request_id);
  return p;
}

control::CreateProjectRequest FromProto(const pb::CreateProjectRequest& p) {
  control::CreateProjectRequest v;
  v.parent = p.parent();
  v.project_id = p.project_id();
  v.project = FromProto(p.project());
  v.request_id = p.request_id();
  return v;
}

pb::CreateEnvironmentRequest ToProto(
    const control::CreateEnvironmentRequest& v) {
  pb::CreateEnvironmentRequest p;
  p.set_parent(v.parent);
  p.set_environment_id(v.environment_id);
  *p.mutable_environment() = ToProto(v.environment);
  p.set_request_id(v.request_id);
  return p;
}

control::CreateEnvironmentRequest FromProto(
    const pb::CreateEnvironmentRequest& p) {
  control::CreateEnvironmentRequest v;
  v.parent = p.parent();
  v.environment_id = p.environment_id();
  v.environment = FromProto(p.environment());
  v.request_id = p.request_id();
  return v;
}

pb::CreateClusterRequest ToProto(const control::CreateClusterRequest& v) {
  pb::CreateClusterRequest p;
  p.set_parent(v.parent);
  p.set_cluster_id(v.cluster_id);
  *p.mutable_cluster() = ToProto(v.cluster);
  p.set_request_id(v.request_id);
  return p;
}

control::CreateClusterRequest FromProto(const pb::CreateClusterRequest& p) {
  control::CreateClusterRequest v;
  v.parent = p.parent();
  v.cluster_id = p.cluster_id();
  v.cluster = FromProto(p.cluster());
  v.request_id = p.request_id();
  return v;
}

pb::ClusterActionRequest ToProto(const control::ClusterActionRequest& v) {
  pb::ClusterActionRequest p;
  p.set_name(v.name);
  p.set_etag(v.etag);
  p.set_request_id(v.request_id);
  return p;
}

control::ClusterActionRequest FromProto(const pb::ClusterActionRequest& p) {
  return control::ClusterActionRequest{p.name(), p.etag(), p.request_id()};
}

pb::ScaleClusterRequest ToProto(const control::ScaleClusterRequest& v) {
  pb::ScaleClusterRequest p;
  p.set_name(v.name);
  p.set_cu_size(v.cu_size);
  p.set_replicas(v.replicas);
  p.set_etag(v.etag);
  p.set_request_id(v.request_id);
  return p;
}

control::ScaleClusterRequest FromProto(const pb::ScaleClusterRequest& p) {
  control::ScaleClusterRequest v;
  v.name = p.name();
  v.cu_size = p.cu_size();
  v.replicas = p.replicas();
  v.etag = p.etag();
  v.request_id = p.request_id();
  return v;
}

pb::CreateApiKeyRequest ToProto(const control::CreateApiKeyRequest& v) {
  pb::CreateApiKeyRequest p;
  p.set_parent(v.parent);
  p.set_api_key_id(v.api_key_id);
  *p.mutable_api_key() = ToProto(v.api_key);
  p.set_request_id(v.request_id);
  return p;
}

control::CreateApiKeyRequest FromProto(const pb::CreateApiKeyRequest& p) {
  control::CreateApiKeyRequest v;
  v.parent = p.parent();
  v.api_key_id = p.api_key_id();
  v.api_key = FromProto(p.api_key());
  v.request_id = p.request_id();
  return v;
}

pb::CreateRoleRequest ToProto(const control::CreateRoleRequest& v) {
  pb::CreateRoleRequest p;
  p.set_parent(v.parent);
  p.set_role_id(v.role_id);
  *p.mutable_role() = ToProto(v.role);
  p.set_request_id(v.request_id);
  return p;
}

control::CreateRoleRequest FromProto(const pb::CreateRoleRequest& p) {
  control::CreateRoleRequest v;
  v.parent = p.parent();
  v.role_id = p.role_id();
  v.role = FromProto(p.role());
  v.request_id = p.request_id();
  return v;
}

pb::CreateRoleBindingRequest ToProto(
    const control::CreateRoleBindingRequest& v) {
  pb::CreateRoleBindingRequest p;
  p.set_parent(v.parent);
  *p.mutable_role_binding() = ToProto(v.role_binding);
  p.set_request_id(v.request_id);
  return p;
}

control::CreateRoleBindingRequest FromProto(
    const pb::CreateRoleBindingRequest& p) {
  control::CreateRoleBindingRequest v;
  v.parent = p.parent();
  v.role_binding = FromProto(p.role_binding());
  v.request_id = p.request_id();
  return v;
}

pb::ListAuditEventsRequest ToProto(const control::ListAuditEventsRequest& v) {
  pb::ListAuditEventsRequest p;
  p.set_parent(v.parent);
  p.set_filter(v.filter);
  COVE_TIME_TO(start_time);
  COVE_TIME_TO(end_time);
  p.set_page_size(v.page_size);
  p.set_page_token(v.page_token);
  return p;
}

control::ListAuditEventsRequest FromProto(const pb::ListAuditEventsRequest& p) {
  control::ListAuditEventsRequest v;
  v.parent = p.parent();
  v.filter = p.filter();
  COVE_TIME_FROM(start_time);
  COVE_TIME_FROM(end_time);
  v.page_size = p.page_size();
  v.page_token = p.page_token();
  return v;
}

pb::UpdateSettingsRequest ToProto(
    const control::UpdateEmulatorSettingsRequest& v) {
  pb::UpdateSettingsRequest p;
  if (v.transition_delay) {
    ToProto(*v.transition_delay, p.mutable_transition_delay());
  }
  if (v.retention) ToProto(*v.retention, p.mutable_retention());
  for (const auto& [k, n] : v.vectors_per_cu)
    (*p.mutable_vectors_per_cu())[k] = n;
  for (const auto& [k, n] : v.bytes_per_cu) (*p.mutable_bytes_per_cu())[k] = n;
  *p.mutable_price_table() = ToProto(v.price_table);
  for (const control::Release& r : v.releases) *p.add_releases() = ToProto(r);
  return p;
}

control::UpdateEmulatorSettingsRequest FromProto(
    const pb::UpdateSettingsRequest& p) {
  control::UpdateEmulatorSettingsRequest v;
  if (p.has_transition_delay()) {
    v.transition_delay = FromProto(p.transition_delay());
  }
  if (p.has_retention()) v.retention = FromProto(p.retention());
  v.vectors_per_cu.insert(p.vectors_per_cu().begin(), p.vectors_per_cu().end());
  v.bytes_per_cu.insert(p.bytes_per_cu().begin(), p.bytes_per_cu().end());
  v.price_table = FromProto(p.price_table());
  for (const pb::Release& r : p.releases()) v.releases.push_back(FromProto(r));
  return v;
}

pb::SetClockRequest ToProto(const control::SetClockRequest& v) {
  pb::SetClockRequest p;
  COVE_TIME_TO(time);
  p.set_real(v.real);
  return p;
}

control::SetClockRequest FromProto(const pb::SetClockRequest& p) {
  control::SetClockRequest v;
  COVE_TIME_FROM(time);
  v.real = p.real();
  return v;
}

// ---- backups and the backup policy

pb::BackupPolicy ToProto(const control::BackupPolicy& v) {
  pb::BackupPolicy p;
  p.set_enabled(v.enabled);
  if (v.interval.count() != 0) ToProto(v.interval, p.mutable_interval());
  p.set_retention_count(v.retention_count);
  if (v.retention.count() != 0) ToProto(v.retention, p.mutable_retention());
  COVE_TIME_TO(next_backup_time);
  return p;
}

control::BackupPolicy FromProto(const pb::BackupPolicy& p) {
  control::BackupPolicy v;
  v.enabled = p.enabled();
  v.interval = FromProto(p.interval());
  v.retention_count = p.retention_count();
  v.retention = FromProto(p.retention());
  COVE_TIME_FROM(next_backup_time);
  return v;
}

pb::Backup ToProto(const control::Backup& v) {
  pb::Backup p;
  p.set_name(v.name);
  p.set_cluster(v.cluster);
  p.set_state(static_cast<pb::Backup::State>(v.state));
  p.set_state_message(v.state_message);
  for (const std::string& c : v.collections) p.add_collections(c);
  p.set_size_bytes(v.size_bytes);
  p.set_row_count(v.row_count);
  COVE_TIME_TO(create_time);
  COVE_TIME_TO(expire_time);
  p.set_encrypted(v.encrypted);
  p.set_encryption_key(v.encryption_key);
  p.set_location(v.location);
  p.set_scheduled(v.scheduled);
  p.set_etag(v.etag);
  p.set_environment(v.environment);
  return p;
}

control::Backup FromProto(const pb::Backup& p) {
  control::Backup v;
  v.name = p.name();
  v.cluster = p.cluster();
  v.state = EnumFromInt(p.state(), control::BackupState::kDeleting);
  v.state_message = p.state_message();
  v.collections.assign(p.collections().begin(), p.collections().end());
  v.size_bytes = p.size_bytes();
  v.row_count = p.row_count();
  COVE_TIME_FROM(create_time);
  COVE_TIME_FROM(expire_time);
  v.encrypted = p.encrypted();
  v.encryption_key = p.encryption_key();
  v.location = p.location();
  v.scheduled = p.scheduled();
  v.etag = p.etag();
  v.environment = p.environment();
  return v;
}

pb::CreateBackupRequest ToProto(const control::CreateBackupRequest& v) {
  pb::CreateBackupRequest p;
  p.set_parent(v.parent);
  p.set_backup_id(v.backup_id);
  for (const std::string& c : v.collections)
    p.mutable_backup()->add_collections(c);
  if (control::IsSet(v.expire_time))
    ToProto(v.expire_time, p.mutable_backup()->mutable_expire_time());
  p.set_request_id(v.request_id);
  return p;
}

pb::RestoreBackupRequest ToProto(const control::RestoreBackupRequest& v) {
  pb::RestoreBackupRequest p;
  p.set_name(v.name);
  p.set_target_cluster(v.target_cluster);
  p.set_parent(v.parent);
  p.set_cluster_id(v.cluster_id);
  if (!v.cluster_id.empty() || !v.parent.empty())
    *p.mutable_cluster() = ToProto(v.cluster);
  for (const std::string& c : v.collections) p.add_collections(c);
  p.set_overwrite(v.overwrite);
  p.set_request_id(v.request_id);
  return p;
}

pb::SetBackupPolicyRequest ToProto(const control::SetBackupPolicyRequest& v) {
  pb::SetBackupPolicyRequest p;
  p.set_name(v.name);
  *p.mutable_policy() = ToProto(v.policy);
  p.set_etag(v.etag);
  return p;
}

// ---- the client's other requests and responses

pb::RotateAgentTokenRequest ToProto(const control::RotateAgentTokenRequest& v) {
  pb::RotateAgentTokenRequest p;
  p.set_name(v.name);
  p.set_etag(v.etag);
  return p;
}

pb::TestPermissionsRequest ToProto(const control::TestPermissionsRequest& v) {
  pb::TestPermissionsRequest p;
  p.set_resource(v.resource);
  for (const std::string& a : v.actions) p.add_actions(a);
  return p;
}

std::vector<std::string> FromProto(const pb::TestPermissionsResponse& p) {
  return {p.allowed_actions().begin(), p.allowed_actions().end()};
}

pb::WaitOperationRequest ToProto(const control::WaitOperationRequest& v) {
  pb::WaitOperationRequest p;
  p.set_name(v.name);
  p.set_timeout_ms(std::max<int64_t>(1, v.timeout.count()));
  return p;
}

pb::GetClusterMetricsRequest ClusterMetricsRequestToProto(
    const std::string& name, int32_t window_seconds) {
  pb::GetClusterMetricsRequest p;
  p.set_name(name);
  p.set_window_seconds(window_seconds);
  return p;
}

pb::AdvanceClockRequest AdvanceClockToProto(std::chrono::milliseconds by) {
  pb::AdvanceClockRequest p;
  ToProto(by, p.mutable_by());
  return p;
}

pb::InjectFaultRequest InjectFaultToProto(const control::Fault& fault) {
  pb::InjectFaultRequest p;
  *p.mutable_fault() = ToProto(fault);
  return p;
}

pb::ClearFaultsRequest ClearFaultsToProto(const std::string& verb) {
  pb::ClearFaultsRequest p;
  p.set_verb(verb);
  return p;
}

namespace {

template <typename Repeated>
auto ItemsFrom(const Repeated& r) {
  std::vector<decltype(FromProto(*r.begin()))> out;
  out.reserve(r.size());
  for (const auto& p : r) out.push_back(FromProto(p));
  return out;
}

template <typename Repeated>
auto PageFrom(const Repeated& r, const std::string& next_page_token) {
  return control::Page<decltype(FromProto(*r.begin()))>{ItemsFrom(r),
                                                        next_page_token};
}

}  // namespace

std::vector<control::Fault> FromProto(const pb::ListFaultsResponse& p) {
  return ItemsFrom(p.faults());
}

// ---- pages

control::Page<control::Organization> FromProto(
    const pb::ListOrganizationsResponse& p) {
  return PageFrom(p.organizations(), p.next_page_token());
}
control::Page<control::Member> FromProto(const pb::ListMembersResponse& p) {
  return PageFrom(p.members(), p.next_page_token());
}
control::Page<control::Invitation> FromProto(
    const pb::ListInvitationsResponse& p) {
  return PageFrom(p.invitations(), p.next_page_token());
}
control::Page<control::Project> FromProto(const pb::ListProjectsResponse& p) {
  return PageFrom(p.projects(), p.next_page_token());
}
control::Page<control::Environment> FromProto(
    const pb::ListEnvironmentsResponse& p) {
  return PageFrom(p.environments(), p.next_page_token());
}
control::Page<control::Cluster> FromProto(const pb::ListClustersResponse& p) {
  return PageFrom(p.clusters(), p.next_page_token());
}
control::Page<control::ApiKey> FromProto(const pb::ListApiKeysResponse& p) {
  return PageFrom(p.api_keys(), p.next_page_token());
}
control::Page<control::Role> FromProto(const pb::ListRolesResponse& p) {
  return PageFrom(p.roles(), p.next_page_token());
}
control::Page<control::RoleBinding> FromProto(
    const pb::ListRoleBindingsResponse& p) {
  return PageFrom(p.role_bindings(), p.next_page_token());
}
control::Page<control::AuditEvent> FromProto(
    const pb::ListAuditEventsResponse& p) {
  return PageFrom(p.audit_events(), p.next_page_token());
}
control::Page<control::Operation> FromProto(
    const pb::ListOperationsResponse& p) {
  return PageFrom(p.operations(), p.next_page_token());
}
control::Page<control::Backup> FromProto(const pb::ListBackupsResponse& p) {
  return PageFrom(p.backups(), p.next_page_token());
}

// ---- alerts (issue 19)

pb::AlertRule ToProto(const control::AlertRule& v) {
  pb::AlertRule p;
  p.set_name(v.name);
  p.set_display_name(v.display_name);
  p.set_cluster(v.cluster);
  p.set_metric(static_cast<pb::AlertRule::Metric>(v.metric));
  p.set_comparison(static_cast<pb::AlertRule::Comparison>(v.comparison));
  p.set_threshold(v.threshold);
  p.mutable_for_duration()->set_seconds(v.for_duration.count());
  p.set_window_seconds(v.window_seconds);
  if (v.webhook) {
    p.mutable_webhook()->set_url(v.webhook->url);
    p.mutable_webhook()->set_secret(v.webhook->secret);
    p.mutable_webhook()->set_secret_set(v.webhook->secret_set);
  }
  p.set_audit(v.audit);
  LabelsTo(v.labels, p.mutable_labels());
  // Output fields too (a rule read back and sent again: the server takes
  // only the input fields, or the update mask's).
  p.set_state(static_cast<pb::AlertRule::State>(v.state));
  COVE_TIME_TO(state_time);
  p.set_value(v.value);
  p.set_has_value(v.has_value);
  COVE_TIME_TO(evaluate_time);
  COVE_TIME_TO(silenced_until);
  if (v.last_delivery) {
    const control::AlertDelivery& d = *v.last_delivery;
    pb::AlertDelivery* out = p.mutable_last_delivery();
    out->set_notification_id(d.notification_id);
    out->set_event(d.event);
    out->set_attempts(d.attempts);
    out->set_http_status(d.http_status);
    out->set_error(d.error);
    out->set_delivered(d.delivered);
    out->set_gave_up(d.gave_up);
    if (control::IsSet(d.time)) ToProto(d.time, out->mutable_time());
  }
  COVE_TIME_TO(create_time);
  COVE_TIME_TO(update_time);
  p.set_etag(v.etag);
  return p;
}

control::AlertRule FromProto(const pb::AlertRule& p) {
  control::AlertRule v;
  v.name = p.name();
  v.display_name = p.display_name();
  v.cluster = p.cluster();
  v.metric = static_cast<control::AlertMetric>(p.metric());
  v.comparison = static_cast<control::AlertComparison>(p.comparison());
  v.threshold = p.threshold();
  v.for_duration = std::chrono::seconds(p.for_duration().seconds());
  v.window_seconds = p.window_seconds();
  if (p.has_webhook()) {
    control::AlertWebhook w;
    w.url = p.webhook().url();
    w.secret = p.webhook().secret();
    w.secret_set = p.webhook().secret_set();
    v.webhook = w;
  }
  v.audit = p.audit();
  v.labels = LabelsFrom(p.labels());
  v.state = static_cast<control::AlertState>(p.state());
  COVE_TIME_FROM(state_time);
  v.value = p.value();
  v.has_value = p.has_value();
  COVE_TIME_FROM(evaluate_time);
  COVE_TIME_FROM(silenced_until);
  if (p.has_last_delivery()) {
    const pb::AlertDelivery& d = p.last_delivery();
    control::AlertDelivery out;
    out.notification_id = d.notification_id();
    out.event = d.event();
    out.attempts = d.attempts();
    out.http_status = d.http_status();
    out.error = d.error();
    out.delivered = d.delivered();
    out.gave_up = d.gave_up();
    if (d.has_time()) out.time = FromProto(d.time());
    v.last_delivery = out;
  }
  COVE_TIME_FROM(create_time);
  COVE_TIME_FROM(update_time);
  v.etag = p.etag();
  return v;
}

pb::CreateAlertRuleRequest ToProto(const control::CreateAlertRuleRequest& v) {
  pb::CreateAlertRuleRequest p;
  p.set_parent(v.parent);
  p.set_alert_rule_id(v.alert_rule_id);
  *p.mutable_alert_rule() = ToProto(v.alert_rule);
  p.set_request_id(v.request_id);
  return p;
}

pb::SilenceAlertRuleRequest ToProto(const control::SilenceAlertRuleRequest& v) {
  pb::SilenceAlertRuleRequest p;
  p.set_name(v.name);
  COVE_TIME_TO(until);
  p.set_etag(v.etag);
  return p;
}

control::TestAlertRuleResult FromProto(const pb::TestAlertRuleResponse& p) {
  control::TestAlertRuleResult v;
  v.notification_id = p.notification_id();
  v.channels.assign(p.channels().begin(), p.channels().end());
  return v;
}

control::Page<control::AlertRule> FromProto(
    const pb::ListAlertRulesResponse& p) {
  return PageFrom(p.alert_rules(), p.next_page_token());
}

#undef COVE_TIME_TO
#undef COVE_TIME_FROM

// ---- versions and upgrades (issue 19)

pb::MaintenanceWindow ToProto(const control::MaintenanceWindow& v) {
  pb::MaintenanceWindow p;
  p.set_day_of_week(v.day_of_week);
  p.set_start_time(v.start_time);
  ToProto(v.duration, p.mutable_duration());
  p.set_time_zone(v.time_zone);
  return p;
}

control::MaintenanceWindow FromProto(const pb::MaintenanceWindow& p) {
  control::MaintenanceWindow v;
  v.day_of_week = p.day_of_week();
  v.start_time = p.start_time();
  v.duration = FromProto(p.duration());
  v.time_zone = p.time_zone();
  return v;
}

pb::ScheduledUpgrade ToProto(const control::ScheduledUpgrade& v) {
  pb::ScheduledUpgrade p;
  p.set_version(v.version);
  p.set_operation(v.operation);
  if (control::IsSet(v.start_time))
    ToProto(v.start_time, p.mutable_start_time());
  p.set_deferrals(v.deferrals);
  return p;
}

control::ScheduledUpgrade FromProto(const pb::ScheduledUpgrade& p) {
  control::ScheduledUpgrade v;
  v.version = p.version();
  v.operation = p.operation();
  if (p.has_start_time()) v.start_time = FromProto(p.start_time());
  v.deferrals = p.deferrals();
  return v;
}

pb::Release ToProto(const control::Release& v) {
  pb::Release p;
  p.set_version(v.version);
  p.set_release_notes(v.release_notes);
  for (const std::string& f : v.upgrades_from) p.add_upgrades_from(f);
  p.set_is_default(v.is_default);
  p.set_broken(v.broken);
  return p;
}

control::Release FromProto(const pb::Release& p) {
  control::Release v;
  v.version = p.version();
  v.release_notes = p.release_notes();
  v.upgrades_from.assign(p.upgrades_from().begin(), p.upgrades_from().end());
  v.is_default = p.is_default();
  v.broken = p.broken();
  return v;
}

pb::UpgradeClusterRequest ToProto(const control::UpgradeClusterRequest& v) {
  pb::UpgradeClusterRequest p;
  p.set_name(v.name);
  p.set_version(v.version);
  p.set_schedule(v.schedule);
  switch (v.action) {
    case control::UpgradeClusterRequest::Action::kNew:
      break;
    case control::UpgradeClusterRequest::Action::kDefer:
      p.set_action(pb::UpgradeClusterRequest::DEFER);
      break;
    case control::UpgradeClusterRequest::Action::kRunNow:
      p.set_action(pb::UpgradeClusterRequest::RUN_NOW);
      break;
  }
  p.set_etag(v.etag);
  p.set_request_id(v.request_id);
  return p;
}

pb::MaintenanceWindowInfo ToProto(const control::MaintenanceWindowInfo& v) {
  pb::MaintenanceWindowInfo p;
  if (v.window.has_value()) *p.mutable_window() = ToProto(*v.window);
  p.set_source(v.source);
  if (control::IsSet(v.next_start_time))
    ToProto(v.next_start_time, p.mutable_next_start_time());
  return p;
}

control::MaintenanceWindowInfo FromProto(const pb::MaintenanceWindowInfo& p) {
  control::MaintenanceWindowInfo v;
  if (p.has_window()) v.window = FromProto(p.window());
  v.source = p.source();
  if (p.has_next_start_time())
    v.next_start_time = FromProto(p.next_start_time());
  return v;
}

}  // namespace cove::internal
