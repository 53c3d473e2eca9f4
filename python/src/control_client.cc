// cove._core, the control-plane client: the structs of
// cove/control_types.h, cove::ControlClient, ControlOperation and
// EmulatorClient. Calls run with the GIL released.
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <chrono>
#include <cmath>
#include <optional>
#include <string>
#include <tuple>
#include <type_traits>
#include <utility>

#include "bindings.h"
#include "cove/cove.h"
#include "values.h"

namespace cove_python {
namespace {

// The structs of cove/control_types.h as classes with the same field names;
// times are float seconds since the epoch (None when unset), durations float
// seconds, enums and status codes plain ints. The Pythonic layer
// (cove/control.py) turns them into dataclasses and enums.

py::object TimeToPy(cove::control::Timestamp t) {
  if (!cove::control::IsSet(t)) return py::none();
  return py::float_(
      std::chrono::duration<double>(t.time_since_epoch()).count());
}

cove::control::Timestamp TimeFromPy(const py::object& v) {
  if (v.is_none()) return cove::control::Timestamp();
  const double s = v.cast<double>();
  if (!std::isfinite(s)) RaiseInvalid("time: expected a finite number");
  return cove::control::Timestamp(
      std::chrono::duration_cast<cove::control::Timestamp::duration>(
          std::chrono::duration<double>(s)));
}

// Runs fn() without the GIL; raises on error; Status gives None.
template <typename F>
auto Blocking(F fn) {
  using R = decltype(fn());
  std::optional<R> r;
  {
    py::gil_scoped_release nogil;
    r.emplace(fn());
  }
  if constexpr (std::is_same_v<R, absl::Status>) {
    Check(*r);
  } else {
    return Unwrap(std::move(*r));
  }
}

cove::ControlCallOptions ControlCall(std::optional<double> timeout) {
  cove::ControlCallOptions call;
  if (timeout.has_value()) call.timeout = FromSeconds(*timeout, "timeout");
  return call;
}

template <typename T>
py::tuple PageTuple(cove::control::Page<T> page) {
  return py::make_tuple(py::cast(std::move(page.items)),
                        py::str(page.next_page_token));
}

// Binds a client method `R M(A..., const ControlCallOptions&)` as a Python
// method taking A... and then `timeout` (seconds), run without the GIL:
// ControlMethod returns the result, ControlPageMethod a (items, token) tuple.
template <bool kPage, typename C, typename R, typename Tuple, size_t... I>
auto BindTimeout(R (C::*method)(std::tuple_element_t<I, Tuple>...,
                                const cove::ControlCallOptions&),
                 std::index_sequence<I...>) {
  return [method](C& c, std::tuple_element_t<I, Tuple>... args,
                  std::optional<double> timeout) {
    auto call = ControlCall(timeout);
    if constexpr (kPage) {
      return PageTuple(Blocking([&] { return (c.*method)(args..., call); }));
    } else {
      return Blocking([&] { return (c.*method)(args..., call); });
    }
  };
}
template <typename C, typename R, typename... A>
auto ControlMethod(R (C::*method)(A...)) {
  using Args = std::tuple<A...>;
  return BindTimeout<false, C, R, Args>(
      method, std::make_index_sequence<sizeof...(A) - 1>{});
}
template <typename C, typename R, typename... A>
auto ControlPageMethod(R (C::*method)(A...)) {
  using Args = std::tuple<A...>;
  return BindTimeout<true, C, R, Args>(
      method, std::make_index_sequence<sizeof...(A) - 1>{});
}

#define COVE_PY_TIME(T, f)                          \
  .def_property(                                    \
      #f, [](const T& o) { return TimeToPy(o.f); }, \
      [](T& o, const py::object& v) { o.f = TimeFromPy(v); })
#define COVE_PY_ENUM(T, f)                                  \
  .def_property(                                            \
      #f, [](const T& o) { return static_cast<int>(o.f); }, \
      [](T& o, int v) { o.f = static_cast<decltype(o.f)>(v); })
#define COVE_PY_MS(T, f)                                   \
  .def_property(                                           \
      #f, [](const T& o) { return o.f.count() / 1000.0; }, \
      [](T& o, double s) { o.f = FromSeconds(s, #f); })
#define COVE_PY_OPT_MS(T, f)                         \
  .def_property(                                     \
      #f, [](const T& o) { return ToSeconds(o.f); }, \
      [](T& o, std::optional<double> s) {            \
        if (s.has_value()) {                         \
          o.f = FromSeconds(*s, #f);                 \
        } else {                                     \
          o.f.reset();                               \
        }                                            \
      })

}  // namespace

void BindControl(py::module_& m) {
  py::class_<cove::ControlOptions>(m, "ControlOptions",
                                   "Options of the control-plane client.")
      .def(py::init<>())
      .def_readwrite("endpoint", &cove::ControlOptions::endpoint)
      .def_readwrite("api_key", &cove::ControlOptions::api_key)
      .def_readwrite("ca_cert_file", &cove::ControlOptions::ca_cert_file)
      .def_readwrite("ca_cert_pem", &cove::ControlOptions::ca_cert_pem)
      .def_readwrite("server_name", &cove::ControlOptions::server_name)
      .def_readwrite("dangerously_skip_tls_verification",
                     &cove::ControlOptions::dangerously_skip_tls_verification)
          COVE_PY_MS(cove::ControlOptions, timeout)
      .def_readwrite("max_attempts", &cove::ControlOptions::max_attempts)
          COVE_PY_MS(cove::ControlOptions, initial_backoff)
              COVE_PY_MS(cove::ControlOptions, max_backoff)
                  COVE_PY_MS(cove::ControlOptions, operation_timeout)
                      COVE_PY_MS(cove::ControlOptions, poll_interval)
      .def_readwrite("log_rpcs", &cove::ControlOptions::log_rpcs);
  m.def("apply_control_environment", &cove::ApplyControlEnvironment,
        py::arg("options"),
        "Fills unset options from COVE_CLOUD_ENDPOINT, COVE_API_KEY, "
        "COVE_CA_FILE, COVE_TIMEOUT_MS, COVE_LOG_RPCS=1.");

  namespace ctl = cove::control;
  py::class_<ctl::Organization>(m, "Organization")
      .def(py::init<>())
      .def_readwrite("name", &ctl::Organization::name)
      .def_readwrite("display_name", &ctl::Organization::display_name)
          COVE_PY_TIME(ctl::Organization, create_time)
              COVE_PY_TIME(ctl::Organization, update_time)
      .def_readwrite("etag", &ctl::Organization::etag)
      .def_readwrite("external_id", &ctl::Organization::external_id);
  py::class_<ctl::Member>(m, "Member")
      .def(py::init<>())
      .def_readwrite("name", &ctl::Member::name)
      .def_readwrite("user", &ctl::Member::user)
      .def_readwrite("role", &ctl::Member::role)
          COVE_PY_TIME(ctl::Member, create_time);
  py::class_<ctl::Invitation>(m, "Invitation")
      .def(py::init<>())
      .def_readwrite("name", &ctl::Invitation::name)
      .def_readwrite("email", &ctl::Invitation::email)
      .def_readwrite("role", &ctl::Invitation::role)
          COVE_PY_ENUM(ctl::Invitation, state)
              COVE_PY_TIME(ctl::Invitation, create_time)
                  COVE_PY_TIME(ctl::Invitation, expire_time)
      .def_readwrite("token", &ctl::Invitation::token)
      .def_readwrite("etag", &ctl::Invitation::etag);
  py::class_<ctl::Project>(m, "Project")
      .def(py::init<>())
      .def_readwrite("name", &ctl::Project::name)
      .def_readwrite("display_name", &ctl::Project::display_name)
      .def_readwrite("plan", &ctl::Project::plan)
      .def_readwrite("region", &ctl::Project::region)
          COVE_PY_TIME(ctl::Project, create_time)
              COVE_PY_TIME(ctl::Project, update_time)
      .def_readwrite("etag", &ctl::Project::etag)
      .def_readwrite("labels", &ctl::Project::labels)
      .def_readwrite("license", &ctl::Project::license);
  // Versions and upgrades (issue 19).
  py::class_<ctl::MaintenanceWindow>(m, "MaintenanceWindow")
      .def(py::init<>())
      .def_readwrite("day_of_week", &ctl::MaintenanceWindow::day_of_week)
      .def_readwrite("start_time", &ctl::MaintenanceWindow::start_time)
          COVE_PY_MS(ctl::MaintenanceWindow, duration)
      .def_readwrite("time_zone", &ctl::MaintenanceWindow::time_zone);
  py::class_<ctl::ScheduledUpgrade>(m, "ScheduledUpgrade")
      .def(py::init<>())
      .def_readwrite("version", &ctl::ScheduledUpgrade::version)
      .def_readwrite("operation", &ctl::ScheduledUpgrade::operation)
          COVE_PY_TIME(ctl::ScheduledUpgrade, start_time)
      .def_readwrite("deferrals", &ctl::ScheduledUpgrade::deferrals);
  py::class_<ctl::Release>(m, "Release")
      .def(py::init<>())
      .def_readwrite("version", &ctl::Release::version)
      .def_readwrite("release_notes", &ctl::Release::release_notes)
      .def_readwrite("upgrades_from", &ctl::Release::upgrades_from)
      .def_readwrite("is_default", &ctl::Release::is_default)
      .def_readwrite("broken", &ctl::Release::broken);
  py::class_<ctl::MaintenanceWindowInfo>(m, "MaintenanceWindowInfo")
      .def(py::init<>())
      .def_readwrite("window", &ctl::MaintenanceWindowInfo::window)
      .def_readwrite("source", &ctl::MaintenanceWindowInfo::source)
          COVE_PY_TIME(ctl::MaintenanceWindowInfo, next_start_time);
  py::class_<ctl::UpgradeClusterRequest>(m, "UpgradeClusterRequest")
      .def(py::init<>())
      .def_readwrite("name", &ctl::UpgradeClusterRequest::name)
      .def_readwrite("version", &ctl::UpgradeClusterRequest::version)
      .def_readwrite("schedule", &ctl::UpgradeClusterRequest::schedule)
          COVE_PY_ENUM(ctl::UpgradeClusterRequest, action)
      .def_readwrite("etag", &ctl::UpgradeClusterRequest::etag)
      .def_readwrite("request_id", &ctl::UpgradeClusterRequest::request_id);
  // Licenses and cost (issue 19).
  py::class_<ctl::License>(m, "License")
      .def(py::init<>())
      .def_readwrite("license_id", &ctl::License::license_id)
      .def_readwrite("max_cus", &ctl::License::max_cus)
      .def_readwrite("max_replicas", &ctl::License::max_replicas)
          COVE_PY_TIME(ctl::License, update_time)
      .def_readwrite("used_cus", &ctl::License::used_cus)
      .def_readwrite("used_replicas", &ctl::License::used_replicas);
  py::class_<ctl::PriceTable>(m, "PriceTable")
      .def(py::init<>())
      .def_readwrite("currency", &ctl::PriceTable::currency)
      .def_readwrite("cu_hour", &ctl::PriceTable::cu_hour)
      .def_readwrite("storage_gib_month", &ctl::PriceTable::storage_gib_month)
      .def_readwrite("region_factor", &ctl::PriceTable::region_factor)
      .def_readwrite("hours_per_month", &ctl::PriceTable::hours_per_month);
  py::class_<ctl::SetProjectLicenseRequest>(m, "SetProjectLicenseRequest")
      .def(py::init<>())
      .def_readwrite("project", &ctl::SetProjectLicenseRequest::project)
      .def_readwrite("license", &ctl::SetProjectLicenseRequest::license);
  py::class_<ctl::EstimateCostRequest>(m, "EstimateCostRequest")
      .def(py::init<>())
      .def_readwrite("parent", &ctl::EstimateCostRequest::parent)
      .def_readwrite("cu_type", &ctl::EstimateCostRequest::cu_type)
      .def_readwrite("cu_size", &ctl::EstimateCostRequest::cu_size)
      .def_readwrite("replicas", &ctl::EstimateCostRequest::replicas)
      .def_readwrite("storage_gib", &ctl::EstimateCostRequest::storage_gib)
      .def_readwrite("region", &ctl::EstimateCostRequest::region);
  py::class_<ctl::CostItem>(m, "CostItem")
      .def(py::init<>())
      .def_readwrite("item", &ctl::CostItem::item)
      .def_readwrite("quantity", &ctl::CostItem::quantity)
      .def_readwrite("unit", &ctl::CostItem::unit)
      .def_readwrite("unit_price", &ctl::CostItem::unit_price)
      .def_readwrite("per_hour", &ctl::CostItem::per_hour)
      .def_readwrite("per_month", &ctl::CostItem::per_month);
  py::class_<ctl::CostEstimate>(m, "CostEstimate")
      .def(py::init<>())
      .def_readwrite("items", &ctl::CostEstimate::items)
      .def_readwrite("per_hour", &ctl::CostEstimate::per_hour)
      .def_readwrite("per_month", &ctl::CostEstimate::per_month)
      .def_readwrite("currency", &ctl::CostEstimate::currency)
      .def_readwrite("hours_per_month", &ctl::CostEstimate::hours_per_month)
      .def_readwrite("region", &ctl::CostEstimate::region)
      .def_readwrite("region_factor", &ctl::CostEstimate::region_factor)
      .def_readwrite("cu_type", &ctl::CostEstimate::cu_type);
  // Alerts (issue 19).
  py::class_<ctl::AlertWebhook>(m, "AlertWebhook")
      .def(py::init<>())
      .def_readwrite("url", &ctl::AlertWebhook::url)
      .def_readwrite("secret", &ctl::AlertWebhook::secret)
      .def_readwrite("secret_set", &ctl::AlertWebhook::secret_set);
  py::class_<ctl::AlertDelivery>(m, "AlertDelivery")
      .def(py::init<>())
      .def_readwrite("notification_id", &ctl::AlertDelivery::notification_id)
      .def_readwrite("event", &ctl::AlertDelivery::event)
      .def_readwrite("attempts", &ctl::AlertDelivery::attempts)
      .def_readwrite("http_status", &ctl::AlertDelivery::http_status)
      .def_readwrite("error", &ctl::AlertDelivery::error)
      .def_readwrite("delivered", &ctl::AlertDelivery::delivered)
      .def_readwrite("gave_up", &ctl::AlertDelivery::gave_up)
          COVE_PY_TIME(ctl::AlertDelivery, time);
  py::class_<ctl::AlertRule>(m, "AlertRule")
      .def(py::init<>())
      .def_readwrite("name", &ctl::AlertRule::name)
      .def_readwrite("display_name", &ctl::AlertRule::display_name)
      .def_readwrite("cluster", &ctl::AlertRule::cluster)
          COVE_PY_ENUM(ctl::AlertRule, metric)
              COVE_PY_ENUM(ctl::AlertRule, comparison)
      .def_readwrite("threshold", &ctl::AlertRule::threshold)
      .def_property(
          "for_duration",
          [](const ctl::AlertRule& o) {
            return static_cast<double>(o.for_duration.count());
          },
          [](ctl::AlertRule& o, double s) {
            if (!std::isfinite(s) || s < 0 || s != std::floor(s) || s > 1e9) {
              RaiseInvalid("for_duration: expected whole seconds >= 0 (got " +
                           std::to_string(s) + ")");
            }
            o.for_duration = std::chrono::seconds(static_cast<int64_t>(s));
          })
      .def_readwrite("window_seconds", &ctl::AlertRule::window_seconds)
      .def_readwrite("webhook", &ctl::AlertRule::webhook)
      .def_readwrite("audit", &ctl::AlertRule::audit)
      .def_readwrite("labels", &ctl::AlertRule::labels)
          COVE_PY_ENUM(ctl::AlertRule, state)
              COVE_PY_TIME(ctl::AlertRule, state_time)
      .def_readwrite("value", &ctl::AlertRule::value)
      .def_readwrite("has_value", &ctl::AlertRule::has_value)
          COVE_PY_TIME(ctl::AlertRule, evaluate_time)
              COVE_PY_TIME(ctl::AlertRule, silenced_until)
      .def_readwrite("last_delivery", &ctl::AlertRule::last_delivery)
          COVE_PY_TIME(ctl::AlertRule, create_time)
              COVE_PY_TIME(ctl::AlertRule, update_time)
      .def_readwrite("etag", &ctl::AlertRule::etag);
  py::class_<ctl::CreateAlertRuleRequest>(m, "CreateAlertRuleRequest")
      .def(py::init<>())
      .def_readwrite("parent", &ctl::CreateAlertRuleRequest::parent)
      .def_readwrite("alert_rule_id",
                     &ctl::CreateAlertRuleRequest::alert_rule_id)
      .def_readwrite("alert_rule", &ctl::CreateAlertRuleRequest::alert_rule)
      .def_readwrite("request_id", &ctl::CreateAlertRuleRequest::request_id);
  py::class_<ctl::TestAlertRuleResult>(m, "TestAlertRuleResult")
      .def(py::init<>())
      .def_readwrite("notification_id",
                     &ctl::TestAlertRuleResult::notification_id)
      .def_readwrite("channels", &ctl::TestAlertRuleResult::channels);
  py::class_<ctl::SilenceAlertRuleRequest>(m, "SilenceAlertRuleRequest")
      .def(py::init<>())
      .def_readwrite("name", &ctl::SilenceAlertRuleRequest::name)
          COVE_PY_TIME(ctl::SilenceAlertRuleRequest, until)
      .def_readwrite("etag", &ctl::SilenceAlertRuleRequest::etag);
  py::class_<ctl::Environment>(m, "Environment")
      .def(py::init<>())
      .def_readwrite("name", &ctl::Environment::name)
          COVE_PY_ENUM(ctl::Environment, mode)
              COVE_PY_ENUM(ctl::Environment, state)
      .def_readwrite("cloud_account_id", &ctl::Environment::cloud_account_id)
      .def_readwrite("region", &ctl::Environment::region)
      .def_readwrite("vpc_id", &ctl::Environment::vpc_id)
      .def_readwrite("private_network_address",
                     &ctl::Environment::private_network_address)
      .def_readwrite("subnet_ids", &ctl::Environment::subnet_ids)
      .def_readwrite("bucket", &ctl::Environment::bucket)
      .def_readwrite("role_arn", &ctl::Environment::role_arn)
      .def_readwrite("external_id", &ctl::Environment::external_id)
          COVE_PY_TIME(ctl::Environment, create_time)
              COVE_PY_TIME(ctl::Environment, update_time)
      .def_readwrite("etag", &ctl::Environment::etag)
      .def_readwrite("state_message", &ctl::Environment::state_message)
      .def_readwrite("agent_token", &ctl::Environment::agent_token)
          COVE_PY_TIME(ctl::Environment, agent_token_expire_time)
              COVE_PY_TIME(ctl::Environment, last_heartbeat_time);
  py::class_<ctl::EnvironmentValidation::Problem>(
      m, "EnvironmentValidationProblem")
      .def(py::init<>())
      .def_readwrite("field", &ctl::EnvironmentValidation::Problem::field)
      .def_readwrite("message", &ctl::EnvironmentValidation::Problem::message);
  py::class_<ctl::EnvironmentValidation>(m, "EnvironmentValidation")
      .def(py::init<>())
      .def_readwrite("valid", &ctl::EnvironmentValidation::valid)
      .def_readwrite("problems", &ctl::EnvironmentValidation::problems);
  py::class_<ctl::AutoscalingSchedule>(m, "AutoscalingSchedule")
      .def(py::init<>())
      .def_readwrite("cron", &ctl::AutoscalingSchedule::cron)
      .def_readwrite("time_zone", &ctl::AutoscalingSchedule::time_zone)
      .def_readwrite("min_cu_size", &ctl::AutoscalingSchedule::min_cu_size)
      .def_readwrite("duration_minutes",
                     &ctl::AutoscalingSchedule::duration_minutes);
  py::class_<ctl::Autoscaling>(m, "Autoscaling")
      .def(py::init<>())
      .def_readwrite("enabled", &ctl::Autoscaling::enabled)
      .def_readwrite("min_cu_size", &ctl::Autoscaling::min_cu_size)
      .def_readwrite("max_cu_size", &ctl::Autoscaling::max_cu_size)
      .def_readwrite("min_replicas", &ctl::Autoscaling::min_replicas)
      .def_readwrite("max_replicas", &ctl::Autoscaling::max_replicas)
      .def_readwrite("scale_up_fill_percent",
                     &ctl::Autoscaling::scale_up_fill_percent)
      .def_readwrite("scale_down_fill_percent",
                     &ctl::Autoscaling::scale_down_fill_percent)
      .def_readwrite("cool_down_seconds", &ctl::Autoscaling::cool_down_seconds)
      .def_readwrite("schedules", &ctl::Autoscaling::schedules)
      .def_readwrite("target_qps_per_replica",
                     &ctl::Autoscaling::target_qps_per_replica);
  py::class_<ctl::RequestKindMetrics>(m, "RequestKindMetrics")
      .def(py::init<>())
      .def_readwrite("kind", &ctl::RequestKindMetrics::kind)
      .def_readwrite("requests", &ctl::RequestKindMetrics::requests)
      .def_readwrite("errors", &ctl::RequestKindMetrics::errors)
      .def_readwrite("qps", &ctl::RequestKindMetrics::qps)
      .def_readwrite("latency_p50_ms", &ctl::RequestKindMetrics::latency_p50_ms)
      .def_readwrite("latency_p95_ms", &ctl::RequestKindMetrics::latency_p95_ms)
      .def_readwrite("latency_p99_ms",
                     &ctl::RequestKindMetrics::latency_p99_ms);
  py::class_<ctl::ClusterMetrics>(m, "ClusterMetrics")
      .def(py::init<>())
      .def_readwrite("cluster", &ctl::ClusterMetrics::cluster)
          COVE_PY_TIME(ctl::ClusterMetrics, time)
      .def_readwrite("serving", &ctl::ClusterMetrics::serving)
      .def_readwrite("window_seconds", &ctl::ClusterMetrics::window_seconds)
      .def_readwrite("qps", &ctl::ClusterMetrics::qps)
      .def_readwrite("requests", &ctl::ClusterMetrics::requests)
      .def_readwrite("errors", &ctl::ClusterMetrics::errors)
      .def_readwrite("latency_p50_ms", &ctl::ClusterMetrics::latency_p50_ms)
      .def_readwrite("latency_p95_ms", &ctl::ClusterMetrics::latency_p95_ms)
      .def_readwrite("latency_p99_ms", &ctl::ClusterMetrics::latency_p99_ms)
      .def_readwrite("kinds", &ctl::ClusterMetrics::kinds)
      .def_readwrite("vector_count", &ctl::ClusterMetrics::vector_count)
      .def_readwrite("storage_bytes", &ctl::ClusterMetrics::storage_bytes)
      .def_readwrite("capacity_vectors", &ctl::ClusterMetrics::capacity_vectors)
      .def_readwrite("cu_usage", &ctl::ClusterMetrics::cu_usage)
      .def_readwrite("cu_size", &ctl::ClusterMetrics::cu_size)
      .def_readwrite("replicas", &ctl::ClusterMetrics::replicas)
      .def_readwrite("metrics_endpoint",
                     &ctl::ClusterMetrics::metrics_endpoint);
  py::class_<ctl::BackupPolicy>(m, "BackupPolicy")
      .def(py::init<>())
      .def_readwrite("enabled", &ctl::BackupPolicy::enabled)
          COVE_PY_MS(ctl::BackupPolicy, interval)
      .def_readwrite("retention_count", &ctl::BackupPolicy::retention_count)
          COVE_PY_MS(ctl::BackupPolicy, retention)
              COVE_PY_TIME(ctl::BackupPolicy, next_backup_time);
  py::class_<ctl::Backup>(m, "Backup")
      .def(py::init<>())
      .def_readwrite("name", &ctl::Backup::name)
      .def_readwrite("cluster", &ctl::Backup::cluster)
          COVE_PY_ENUM(ctl::Backup, state)
      .def_readwrite("state_message", &ctl::Backup::state_message)
      .def_readwrite("collections", &ctl::Backup::collections)
      .def_readwrite("size_bytes", &ctl::Backup::size_bytes)
      .def_readwrite("row_count", &ctl::Backup::row_count)
          COVE_PY_TIME(ctl::Backup, create_time)
              COVE_PY_TIME(ctl::Backup, expire_time)
      .def_readwrite("encrypted", &ctl::Backup::encrypted)
      .def_readwrite("encryption_key", &ctl::Backup::encryption_key)
      .def_readwrite("location", &ctl::Backup::location)
      .def_readwrite("scheduled", &ctl::Backup::scheduled)
      .def_readwrite("etag", &ctl::Backup::etag)
      .def_readwrite("environment", &ctl::Backup::environment);
  py::class_<ctl::Cluster>(m, "Cluster")
      .def(py::init<>())
      .def_readwrite("name", &ctl::Cluster::name)
      .def_readwrite("display_name", &ctl::Cluster::display_name)
      .def_readwrite("environment", &ctl::Cluster::environment)
          COVE_PY_ENUM(ctl::Cluster, state)
      .def_readwrite("cu_type", &ctl::Cluster::cu_type)
      .def_readwrite("cu_size", &ctl::Cluster::cu_size)
      .def_readwrite("replicas", &ctl::Cluster::replicas)
      .def_readwrite("labels", &ctl::Cluster::labels)
      .def_readwrite("endpoint", &ctl::Cluster::endpoint)
          COVE_PY_TIME(ctl::Cluster, create_time)
              COVE_PY_TIME(ctl::Cluster, update_time)
                  COVE_PY_TIME(ctl::Cluster, delete_time)
                      COVE_PY_TIME(ctl::Cluster, purge_time)
      .def_readwrite("etag", &ctl::Cluster::etag)
      .def_readwrite("state_message", &ctl::Cluster::state_message)
      .def_readwrite("admin_user", &ctl::Cluster::admin_user)
      .def_readwrite("admin_password", &ctl::Cluster::admin_password)
      .def_readwrite("capacity_vectors", &ctl::Cluster::capacity_vectors)
      .def_readwrite("used_vectors", &ctl::Cluster::used_vectors)
      .def_readwrite("capacity_bytes", &ctl::Cluster::capacity_bytes)
      .def_readwrite("used_bytes", &ctl::Cluster::used_bytes)
      .def_readwrite("autoscaling", &ctl::Cluster::autoscaling)
      .def_readwrite("metrics_endpoint", &ctl::Cluster::metrics_endpoint)
      .def_readwrite("encryption_key", &ctl::Cluster::encryption_key)
      .def_readwrite("encryption_key_id", &ctl::Cluster::encryption_key_id)
      .def_readwrite("backup_policy", &ctl::Cluster::backup_policy)
          COVE_PY_MS(ctl::Cluster, idle_timeout)
              COVE_PY_TIME(ctl::Cluster, idle_time)
      .def_readwrite("ip_access_list", &ctl::Cluster::ip_access_list)
      .def_readwrite("private_endpoint_enabled",
                     &ctl::Cluster::private_endpoint_enabled)
      .def_readwrite("public_endpoint_disabled",
                     &ctl::Cluster::public_endpoint_disabled)
      .def_readwrite("private_endpoint", &ctl::Cluster::private_endpoint)
      // Versions and upgrades (issue 19).
      .def_readwrite("version", &ctl::Cluster::version)
      .def_readwrite("available_upgrades", &ctl::Cluster::available_upgrades)
      .def_readwrite("maintenance_window", &ctl::Cluster::maintenance_window)
      .def_readwrite("scheduled_upgrade", &ctl::Cluster::scheduled_upgrade);
  py::class_<ctl::Operation>(m, "Operation")
      .def(py::init<>())
      .def_readwrite("name", &ctl::Operation::name)
      .def_readwrite("verb", &ctl::Operation::verb)
      .def_readwrite("target", &ctl::Operation::target)
      .def_readwrite("done", &ctl::Operation::done)
          COVE_PY_ENUM(ctl::Operation, error_code)
      .def_readwrite("error_message", &ctl::Operation::error_message)
      .def_readwrite("progress_percent", &ctl::Operation::progress_percent)
          COVE_PY_TIME(ctl::Operation, create_time)
              COVE_PY_TIME(ctl::Operation, end_time)
      .def_readwrite("request_id", &ctl::Operation::request_id)
      .def_readwrite("cancel_requested", &ctl::Operation::cancel_requested)
      .def_readwrite("cluster", &ctl::Operation::cluster)
      .def_readwrite("environment", &ctl::Operation::environment)
      .def_readwrite("backup", &ctl::Operation::backup);
  py::class_<ctl::ApiKey>(m, "ApiKey")
      .def(py::init<>())
      .def_readwrite("name", &ctl::ApiKey::name)
      .def_readwrite("display_name", &ctl::ApiKey::display_name)
      .def_readwrite("scope", &ctl::ApiKey::scope)
      .def_readwrite("role", &ctl::ApiKey::role)
      .def_readwrite("enabled", &ctl::ApiKey::enabled)
          COVE_PY_TIME(ctl::ApiKey, create_time)
              COVE_PY_TIME(ctl::ApiKey, expire_time)
                  COVE_PY_TIME(ctl::ApiKey, last_used_time)
      .def_readwrite("secret", &ctl::ApiKey::secret)
      .def_readwrite("etag", &ctl::ApiKey::etag)
      .def_readwrite("owner", &ctl::ApiKey::owner);
  py::class_<ctl::Statement>(m, "Statement")
      .def(py::init<>()) COVE_PY_ENUM(ctl::Statement, effect)
      .def_readwrite("actions", &ctl::Statement::actions)
      .def_readwrite("resources", &ctl::Statement::resources);
  py::class_<ctl::Role>(m, "Role")
      .def(py::init<>())
      .def_readwrite("name", &ctl::Role::name)
      .def_readwrite("display_name", &ctl::Role::display_name)
          COVE_PY_ENUM(ctl::Role, level)
      .def_readwrite("built_in", &ctl::Role::built_in)
      .def_readwrite("statements", &ctl::Role::statements)
          COVE_PY_TIME(ctl::Role, create_time)
      .def_readwrite("etag", &ctl::Role::etag);
  py::class_<ctl::RoleBinding>(m, "RoleBinding")
      .def(py::init<>())
      .def_readwrite("name", &ctl::RoleBinding::name)
      .def_readwrite("role", &ctl::RoleBinding::role)
      .def_readwrite("principal", &ctl::RoleBinding::principal)
      .def_readwrite("scope", &ctl::RoleBinding::scope)
          COVE_PY_TIME(ctl::RoleBinding, create_time);
  py::class_<ctl::AuditEvent>(m, "AuditEvent")
      .def(py::init<>())
      .def_readwrite("name", &ctl::AuditEvent::name)
          COVE_PY_TIME(ctl::AuditEvent, time)
      .def_readwrite("actor", &ctl::AuditEvent::actor)
      .def_readwrite("action", &ctl::AuditEvent::action)
      .def_readwrite("resource", &ctl::AuditEvent::resource)
          COVE_PY_ENUM(ctl::AuditEvent, outcome)
              COVE_PY_ENUM(ctl::AuditEvent, status_code)
      .def_readwrite("message", &ctl::AuditEvent::message)
      .def_readwrite("request_id", &ctl::AuditEvent::request_id)
      .def_readwrite("client_address", &ctl::AuditEvent::client_address)
      .def_readwrite("support_grant", &ctl::AuditEvent::support_grant);
  // Support access (issue 19).
  py::class_<ctl::SupportPrincipal>(m, "SupportPrincipal")
      .def(py::init<>())
      .def_readwrite("name", &ctl::SupportPrincipal::name)
      .def_readwrite("display_name", &ctl::SupportPrincipal::display_name)
          COVE_PY_TIME(ctl::SupportPrincipal, create_time)
      .def_readwrite("secret", &ctl::SupportPrincipal::secret);
  py::class_<ctl::CreateSupportPrincipalRequest>(
      m, "CreateSupportPrincipalRequest")
      .def(py::init<>())
      .def_readwrite("support_principal_id",
                     &ctl::CreateSupportPrincipalRequest::support_principal_id)
      .def_readwrite("display_name",
                     &ctl::CreateSupportPrincipalRequest::display_name);
  py::class_<ctl::SupportAccessGrant>(m, "SupportAccessGrant")
      .def(py::init<>())
      .def_readwrite("name", &ctl::SupportAccessGrant::name)
      .def_readwrite("cluster", &ctl::SupportAccessGrant::cluster)
      .def_readwrite("requester", &ctl::SupportAccessGrant::requester)
      .def_readwrite("reason", &ctl::SupportAccessGrant::reason)
          COVE_PY_MS(ctl::SupportAccessGrant, duration)
              COVE_PY_ENUM(ctl::SupportAccessGrant, state)
                  COVE_PY_TIME(ctl::SupportAccessGrant, create_time)
                      COVE_PY_TIME(ctl::SupportAccessGrant, approve_time)
                          COVE_PY_TIME(ctl::SupportAccessGrant, expire_time)
                              COVE_PY_TIME(ctl::SupportAccessGrant, end_time)
      .def_readwrite("decided_by", &ctl::SupportAccessGrant::decided_by)
      .def_readwrite("revoked_by", &ctl::SupportAccessGrant::revoked_by)
      .def_readwrite("decision_reason",
                     &ctl::SupportAccessGrant::decision_reason)
      .def_readwrite("data_plane_user",
                     &ctl::SupportAccessGrant::data_plane_user)
      .def_readwrite("data_plane_password",
                     &ctl::SupportAccessGrant::data_plane_password)
      .def_readwrite("etag", &ctl::SupportAccessGrant::etag);
  py::class_<ctl::RequestSupportAccessRequest>(m, "RequestSupportAccessRequest")
      .def(py::init<>())
      .def_readwrite("cluster", &ctl::RequestSupportAccessRequest::cluster)
      .def_readwrite("reason", &ctl::RequestSupportAccessRequest::reason)
          COVE_PY_MS(ctl::RequestSupportAccessRequest, duration)
      .def_readwrite("request_id",
                     &ctl::RequestSupportAccessRequest::request_id);
  py::class_<ctl::SupportAccessActionRequest>(m, "SupportAccessActionRequest")
      .def(py::init<>())
      .def_readwrite("name", &ctl::SupportAccessActionRequest::name)
      .def_readwrite("reason", &ctl::SupportAccessActionRequest::reason)
      .def_readwrite("etag", &ctl::SupportAccessActionRequest::etag);
  py::class_<ctl::ListRequest>(m, "ListRequest")
      .def(py::init<>())
      .def_readwrite("parent", &ctl::ListRequest::parent)
      .def_readwrite("filter", &ctl::ListRequest::filter)
      .def_readwrite("page_size", &ctl::ListRequest::page_size)
      .def_readwrite("page_token", &ctl::ListRequest::page_token);
  py::class_<ctl::ListAuditEventsRequest>(m, "ListAuditEventsRequest")
      .def(py::init<>())
      .def_readwrite("parent", &ctl::ListAuditEventsRequest::parent)
      .def_readwrite("filter", &ctl::ListAuditEventsRequest::filter)
          COVE_PY_TIME(ctl::ListAuditEventsRequest, start_time)
              COVE_PY_TIME(ctl::ListAuditEventsRequest, end_time)
      .def_readwrite("page_size", &ctl::ListAuditEventsRequest::page_size)
      .def_readwrite("page_token", &ctl::ListAuditEventsRequest::page_token);
  py::class_<ctl::DeleteRequest>(m, "DeleteRequest")
      .def(py::init<>())
      .def_readwrite("name", &ctl::DeleteRequest::name)
      .def_readwrite("etag", &ctl::DeleteRequest::etag)
      .def_readwrite("request_id", &ctl::DeleteRequest::request_id);
  py::class_<ctl::CreateOrganizationRequest>(m, "CreateOrganizationRequest")
      .def(py::init<>())
      .def_readwrite("organization_id",
                     &ctl::CreateOrganizationRequest::organization_id)
      .def_readwrite("organization",
                     &ctl::CreateOrganizationRequest::organization)
      .def_readwrite("request_id", &ctl::CreateOrganizationRequest::request_id)
      .def_readwrite("owner_email",
                     &ctl::CreateOrganizationRequest::owner_email);
  py::class_<ctl::CreateInvitationRequest>(m, "CreateInvitationRequest")
      .def(py::init<>())
      .def_readwrite("parent", &ctl::CreateInvitationRequest::parent)
      .def_readwrite("invitation", &ctl::CreateInvitationRequest::invitation)
      .def_readwrite("request_id", &ctl::CreateInvitationRequest::request_id);
  py::class_<ctl::AcceptInvitationRequest>(m, "AcceptInvitationRequest")
      .def(py::init<>())
      .def_readwrite("name", &ctl::AcceptInvitationRequest::name)
      .def_readwrite("token", &ctl::AcceptInvitationRequest::token);
  py::class_<ctl::AcceptInvitationResult>(m, "AcceptInvitationResult")
      .def(py::init<>())
      .def_readwrite("member", &ctl::AcceptInvitationResult::member)
      .def_readwrite("api_key", &ctl::AcceptInvitationResult::api_key);
  py::class_<ctl::CreateProjectRequest>(m, "CreateProjectRequest")
      .def(py::init<>())
      .def_readwrite("parent", &ctl::CreateProjectRequest::parent)
      .def_readwrite("project_id", &ctl::CreateProjectRequest::project_id)
      .def_readwrite("project", &ctl::CreateProjectRequest::project)
      .def_readwrite("request_id", &ctl::CreateProjectRequest::request_id);
  py::class_<ctl::CreateEnvironmentRequest>(m, "CreateEnvironmentRequest")
      .def(py::init<>())
      .def_readwrite("parent", &ctl::CreateEnvironmentRequest::parent)
      .def_readwrite("environment_id",
                     &ctl::CreateEnvironmentRequest::environment_id)
      .def_readwrite("environment", &ctl::CreateEnvironmentRequest::environment)
      .def_readwrite("request_id", &ctl::CreateEnvironmentRequest::request_id);
  py::class_<ctl::RotateAgentTokenRequest>(m, "RotateAgentTokenRequest")
      .def(py::init<>())
      .def_readwrite("name", &ctl::RotateAgentTokenRequest::name)
      .def_readwrite("etag", &ctl::RotateAgentTokenRequest::etag);
  py::class_<ctl::CreateClusterRequest>(m, "CreateClusterRequest")
      .def(py::init<>())
      .def_readwrite("parent", &ctl::CreateClusterRequest::parent)
      .def_readwrite("cluster_id", &ctl::CreateClusterRequest::cluster_id)
      .def_readwrite("cluster", &ctl::CreateClusterRequest::cluster)
      .def_readwrite("request_id", &ctl::CreateClusterRequest::request_id);
  py::class_<ctl::ClusterActionRequest>(m, "ClusterActionRequest")
      .def(py::init<>())
      .def_readwrite("name", &ctl::ClusterActionRequest::name)
      .def_readwrite("etag", &ctl::ClusterActionRequest::etag)
      .def_readwrite("request_id", &ctl::ClusterActionRequest::request_id);
  py::class_<ctl::CreateBackupRequest>(m, "CreateBackupRequest")
      .def(py::init<>())
      .def_readwrite("parent", &ctl::CreateBackupRequest::parent)
      .def_readwrite("backup_id", &ctl::CreateBackupRequest::backup_id)
      .def_readwrite("collections", &ctl::CreateBackupRequest::collections)
          COVE_PY_TIME(ctl::CreateBackupRequest, expire_time)
      .def_readwrite("request_id", &ctl::CreateBackupRequest::request_id);
  py::class_<ctl::RestoreBackupRequest>(m, "RestoreBackupRequest")
      .def(py::init<>())
      .def_readwrite("name", &ctl::RestoreBackupRequest::name)
      .def_readwrite("target_cluster",
                     &ctl::RestoreBackupRequest::target_cluster)
      .def_readwrite("parent", &ctl::RestoreBackupRequest::parent)
      .def_readwrite("cluster_id", &ctl::RestoreBackupRequest::cluster_id)
      .def_readwrite("cluster", &ctl::RestoreBackupRequest::cluster)
      .def_readwrite("collections", &ctl::RestoreBackupRequest::collections)
      .def_readwrite("overwrite", &ctl::RestoreBackupRequest::overwrite)
      .def_readwrite("request_id", &ctl::RestoreBackupRequest::request_id);
  py::class_<ctl::SetBackupPolicyRequest>(m, "SetBackupPolicyRequest")
      .def(py::init<>())
      .def_readwrite("name", &ctl::SetBackupPolicyRequest::name)
      .def_readwrite("policy", &ctl::SetBackupPolicyRequest::policy)
      .def_readwrite("etag", &ctl::SetBackupPolicyRequest::etag);
  py::class_<ctl::ScaleClusterRequest>(m, "ScaleClusterRequest")
      .def(py::init<>())
      .def_readwrite("name", &ctl::ScaleClusterRequest::name)
      .def_readwrite("cu_size", &ctl::ScaleClusterRequest::cu_size)
      .def_readwrite("replicas", &ctl::ScaleClusterRequest::replicas)
      .def_readwrite("etag", &ctl::ScaleClusterRequest::etag)
      .def_readwrite("request_id", &ctl::ScaleClusterRequest::request_id);
  py::class_<ctl::CreateApiKeyRequest>(m, "CreateApiKeyRequest")
      .def(py::init<>())
      .def_readwrite("parent", &ctl::CreateApiKeyRequest::parent)
      .def_readwrite("api_key_id", &ctl::CreateApiKeyRequest::api_key_id)
      .def_readwrite("api_key", &ctl::CreateApiKeyRequest::api_key)
      .def_readwrite("request_id", &ctl::CreateApiKeyRequest::request_id);
  py::class_<ctl::CreateRoleRequest>(m, "CreateRoleRequest")
      .def(py::init<>())
      .def_readwrite("parent", &ctl::CreateRoleRequest::parent)
      .def_readwrite("role_id", &ctl::CreateRoleRequest::role_id)
      .def_readwrite("role", &ctl::CreateRoleRequest::role)
      .def_readwrite("request_id", &ctl::CreateRoleRequest::request_id);
  py::class_<ctl::CreateRoleBindingRequest>(m, "CreateRoleBindingRequest")
      .def(py::init<>())
      .def_readwrite("parent", &ctl::CreateRoleBindingRequest::parent)
      .def_readwrite("role_binding",
                     &ctl::CreateRoleBindingRequest::role_binding)
      .def_readwrite("request_id", &ctl::CreateRoleBindingRequest::request_id);
  py::class_<ctl::TestPermissionsRequest>(m, "TestPermissionsRequest")
      .def(py::init<>())
      .def_readwrite("resource", &ctl::TestPermissionsRequest::resource)
      .def_readwrite("actions", &ctl::TestPermissionsRequest::actions);
  py::class_<ctl::EmulatorSettings>(m, "EmulatorSettings")
      .def(py::init<>()) COVE_PY_MS(ctl::EmulatorSettings, transition_delay)
          COVE_PY_MS(ctl::EmulatorSettings, retention)
      .def_readwrite("vectors_per_cu", &ctl::EmulatorSettings::vectors_per_cu)
      .def_readwrite("bytes_per_cu", &ctl::EmulatorSettings::bytes_per_cu)
      .def_readwrite("manual_clock", &ctl::EmulatorSettings::manual_clock)
          COVE_PY_TIME(ctl::EmulatorSettings, now)
      .def_readwrite("price_table", &ctl::EmulatorSettings::price_table)
      .def_readwrite("releases", &ctl::EmulatorSettings::releases);
  py::class_<ctl::UpdateEmulatorSettingsRequest>(
      m, "UpdateEmulatorSettingsRequest")
      .def(py::init<>())
          COVE_PY_OPT_MS(ctl::UpdateEmulatorSettingsRequest, transition_delay)
              COVE_PY_OPT_MS(ctl::UpdateEmulatorSettingsRequest, retention)
      .def_readwrite("vectors_per_cu",
                     &ctl::UpdateEmulatorSettingsRequest::vectors_per_cu)
      .def_readwrite("bytes_per_cu",
                     &ctl::UpdateEmulatorSettingsRequest::bytes_per_cu)
      .def_readwrite("price_table",
                     &ctl::UpdateEmulatorSettingsRequest::price_table)
      .def_readwrite("releases", &ctl::UpdateEmulatorSettingsRequest::releases);
  py::class_<ctl::SetClockRequest>(m, "SetClockRequest")
      .def(py::init<>()) COVE_PY_TIME(ctl::SetClockRequest, time)
      .def_readwrite("real", &ctl::SetClockRequest::real);
  py::class_<ctl::Fault>(m, "Fault")
      .def(py::init<>())
      .def_readwrite("verb", &ctl::Fault::verb) COVE_PY_ENUM(ctl::Fault, mode)
          COVE_PY_ENUM(ctl::Fault, code)
      .def_readwrite("message", &ctl::Fault::message)
      .def_readwrite("count", &ctl::Fault::count)
      .def_readwrite("replica", &ctl::Fault::replica);
  py::class_<cove::ControlClient>(
      m, "ControlClient", "cove::ControlClient: the control-plane client.")
      .def(py::init([](const cove::ControlOptions& options) {
             return Blocking(
                 [&] { return cove::ControlClient::Connect(options); });
           }),
           py::arg("options"))
      .def("emulator", &cove::ControlClient::emulator,
           "The emulator test knobs.")
      .def_static("new_request_id", &cove::ControlClient::NewRequestId)
      .def("create_organization",
           ControlMethod(&cove::ControlClient::CreateOrganization),
           py::arg("request"), py::arg("timeout") = py::none())
      .def("get_organization",
           ControlMethod(&cove::ControlClient::GetOrganization),
           py::arg("name"), py::arg("timeout") = py::none())
      .def("list_organizations",
           ControlPageMethod(&cove::ControlClient::ListOrganizations),
           py::arg("request"), py::arg("timeout") = py::none())
      .def("update_organization",
           ControlMethod(&cove::ControlClient::UpdateOrganization),
           py::arg("resource"), py::arg("update_mask"),
           py::arg("timeout") = py::none())
      .def("delete_organization",
           ControlMethod(&cove::ControlClient::DeleteOrganization),
           py::arg("request"), py::arg("timeout") = py::none())
      .def("list_members", ControlPageMethod(&cove::ControlClient::ListMembers),
           py::arg("request"), py::arg("timeout") = py::none())
      .def("get_member", ControlMethod(&cove::ControlClient::GetMember),
           py::arg("name"), py::arg("timeout") = py::none())
      .def("update_member", ControlMethod(&cove::ControlClient::UpdateMember),
           py::arg("resource"), py::arg("update_mask"),
           py::arg("timeout") = py::none())
      .def("delete_member", ControlMethod(&cove::ControlClient::DeleteMember),
           py::arg("request"), py::arg("timeout") = py::none())
      .def("create_invitation",
           ControlMethod(&cove::ControlClient::CreateInvitation),
           py::arg("request"), py::arg("timeout") = py::none())
      .def("get_invitation", ControlMethod(&cove::ControlClient::GetInvitation),
           py::arg("name"), py::arg("timeout") = py::none())
      .def("list_invitations",
           ControlPageMethod(&cove::ControlClient::ListInvitations),
           py::arg("request"), py::arg("timeout") = py::none())
      .def("revoke_invitation",
           ControlMethod(&cove::ControlClient::RevokeInvitation),
           py::arg("request"), py::arg("timeout") = py::none())
      .def("accept_invitation",
           ControlMethod(&cove::ControlClient::AcceptInvitation),
           py::arg("request"), py::arg("timeout") = py::none())
      .def("create_project", ControlMethod(&cove::ControlClient::CreateProject),
           py::arg("request"), py::arg("timeout") = py::none())
      .def("get_project", ControlMethod(&cove::ControlClient::GetProject),
           py::arg("name"), py::arg("timeout") = py::none())
      .def("list_projects",
           ControlPageMethod(&cove::ControlClient::ListProjects),
           py::arg("request"), py::arg("timeout") = py::none())
      .def("update_project", ControlMethod(&cove::ControlClient::UpdateProject),
           py::arg("resource"), py::arg("update_mask"),
           py::arg("timeout") = py::none())
      .def("delete_project", ControlMethod(&cove::ControlClient::DeleteProject),
           py::arg("request"), py::arg("timeout") = py::none())
      .def("create_environment",
           ControlMethod(&cove::ControlClient::CreateEnvironment),
           py::arg("request"), py::arg("timeout") = py::none())
      .def("get_environment",
           ControlMethod(&cove::ControlClient::GetEnvironment), py::arg("name"),
           py::arg("timeout") = py::none())
      .def("list_environments",
           ControlPageMethod(&cove::ControlClient::ListEnvironments),
           py::arg("request"), py::arg("timeout") = py::none())
      .def("delete_environment",
           ControlMethod(&cove::ControlClient::DeleteEnvironment),
           py::arg("request"), py::arg("timeout") = py::none())
      .def("validate_environment",
           ControlMethod(&cove::ControlClient::ValidateEnvironment),
           py::arg("name"), py::arg("timeout") = py::none())
      .def("rotate_agent_token",
           ControlMethod(&cove::ControlClient::RotateAgentToken),
           py::arg("request"), py::arg("timeout") = py::none())
      .def("start_create_cluster",
           ControlMethod(&cove::ControlClient::StartCreateCluster),
           py::arg("request"), py::arg("timeout") = py::none())
      .def("get_cluster", ControlMethod(&cove::ControlClient::GetCluster),
           py::arg("name"), py::arg("timeout") = py::none())
      .def("list_clusters",
           ControlPageMethod(&cove::ControlClient::ListClusters),
           py::arg("request"), py::arg("timeout") = py::none())
      .def("update_cluster", ControlMethod(&cove::ControlClient::UpdateCluster),
           py::arg("resource"), py::arg("update_mask"),
           py::arg("timeout") = py::none())
      .def("start_suspend_cluster",
           ControlMethod(&cove::ControlClient::StartSuspendCluster),
           py::arg("request"), py::arg("timeout") = py::none())
      .def("start_resume_cluster",
           ControlMethod(&cove::ControlClient::StartResumeCluster),
           py::arg("request"), py::arg("timeout") = py::none())
      .def("start_reset_cluster_password",
           ControlMethod(&cove::ControlClient::StartResetClusterPassword),
           py::arg("request"), py::arg("timeout") = py::none())
      .def("start_scale_cluster",
           ControlMethod(&cove::ControlClient::StartScaleCluster),
           py::arg("request"), py::arg("timeout") = py::none())
      .def("start_delete_cluster",
           ControlMethod(&cove::ControlClient::StartDeleteCluster),
           py::arg("request"), py::arg("timeout") = py::none())
      .def("start_restore_cluster",
           ControlMethod(&cove::ControlClient::StartRestoreCluster),
           py::arg("request"), py::arg("timeout") = py::none())
      .def("start_purge_cluster",
           ControlMethod(&cove::ControlClient::StartPurgeCluster),
           py::arg("request"), py::arg("timeout") = py::none())
      .def("create_api_key", ControlMethod(&cove::ControlClient::CreateApiKey),
           py::arg("request"), py::arg("timeout") = py::none())
      .def("get_api_key", ControlMethod(&cove::ControlClient::GetApiKey),
           py::arg("name"), py::arg("timeout") = py::none())
      .def("list_api_keys",
           ControlPageMethod(&cove::ControlClient::ListApiKeys),
           py::arg("request"), py::arg("timeout") = py::none())
      .def("update_api_key", ControlMethod(&cove::ControlClient::UpdateApiKey),
           py::arg("resource"), py::arg("update_mask"),
           py::arg("timeout") = py::none())
      .def("delete_api_key", ControlMethod(&cove::ControlClient::DeleteApiKey),
           py::arg("request"), py::arg("timeout") = py::none())
      .def("create_role", ControlMethod(&cove::ControlClient::CreateRole),
           py::arg("request"), py::arg("timeout") = py::none())
      .def("get_role", ControlMethod(&cove::ControlClient::GetRole),
           py::arg("name"), py::arg("timeout") = py::none())
      .def("list_roles", ControlPageMethod(&cove::ControlClient::ListRoles),
           py::arg("request"), py::arg("timeout") = py::none())
      .def("update_role", ControlMethod(&cove::ControlClient::UpdateRole),
           py::arg("resource"), py::arg("update_mask"),
           py::arg("timeout") = py::none())
      .def("delete_role", ControlMethod(&cove::ControlClient::DeleteRole),
           py::arg("request"), py::arg("timeout") = py::none())
      .def("create_role_binding",
           ControlMethod(&cove::ControlClient::CreateRoleBinding),
           py::arg("request"), py::arg("timeout") = py::none())
      .def("get_role_binding",
           ControlMethod(&cove::ControlClient::GetRoleBinding), py::arg("name"),
           py::arg("timeout") = py::none())
      .def("list_role_bindings",
           ControlPageMethod(&cove::ControlClient::ListRoleBindings),
           py::arg("request"), py::arg("timeout") = py::none())
      .def("delete_role_binding",
           ControlMethod(&cove::ControlClient::DeleteRoleBinding),
           py::arg("request"), py::arg("timeout") = py::none())
      .def("test_permissions",
           ControlMethod(&cove::ControlClient::TestPermissions),
           py::arg("request"), py::arg("timeout") = py::none())
      .def("list_audit_events",
           ControlPageMethod(&cove::ControlClient::ListAuditEvents),
           py::arg("request"), py::arg("timeout") = py::none())
      .def("get_operation", ControlMethod(&cove::ControlClient::GetOperation),
           py::arg("name"), py::arg("timeout") = py::none())
      .def("list_operations",
           ControlPageMethod(&cove::ControlClient::ListOperations),
           py::arg("request"), py::arg("timeout") = py::none())
      .def("get_cluster_metrics",
           ControlMethod(&cove::ControlClient::GetClusterMetrics),
           py::arg("name"), py::arg("window_seconds") = 0,
           py::arg("timeout") = py::none())
      .def("start_create_backup",
           ControlMethod(&cove::ControlClient::StartCreateBackup),
           py::arg("request"), py::arg("timeout") = py::none())
      .def("get_backup", ControlMethod(&cove::ControlClient::GetBackup),
           py::arg("name"), py::arg("timeout") = py::none())
      .def("list_backups", ControlPageMethod(&cove::ControlClient::ListBackups),
           py::arg("request"), py::arg("timeout") = py::none())
      .def("start_delete_backup",
           ControlMethod(&cove::ControlClient::StartDeleteBackup),
           py::arg("request"), py::arg("timeout") = py::none())
      .def("start_restore_backup",
           ControlMethod(&cove::ControlClient::StartRestoreBackup),
           py::arg("request"), py::arg("timeout") = py::none())
      .def("set_backup_policy",
           ControlMethod(&cove::ControlClient::SetBackupPolicy),
           py::arg("request"), py::arg("timeout") = py::none())
      .def("estimate_cost", ControlMethod(&cove::ControlClient::EstimateCost),
           py::arg("request"), py::arg("timeout") = py::none())
      // Alerts (issue 19).
      .def("create_alert_rule",
           ControlMethod(&cove::ControlClient::CreateAlertRule),
           py::arg("request"), py::arg("timeout") = py::none())
      .def("get_alert_rule", ControlMethod(&cove::ControlClient::GetAlertRule),
           py::arg("name"), py::arg("timeout") = py::none())
      .def("list_alert_rules",
           ControlPageMethod(&cove::ControlClient::ListAlertRules),
           py::arg("request"), py::arg("timeout") = py::none())
      .def("delete_alert_rule",
           ControlMethod(&cove::ControlClient::DeleteAlertRule),
           py::arg("request"), py::arg("timeout") = py::none())
      .def("test_alert_rule",
           ControlMethod(&cove::ControlClient::TestAlertRule), py::arg("name"),
           py::arg("timeout") = py::none())
      .def("silence_alert_rule",
           ControlMethod(&cove::ControlClient::SilenceAlertRule),
           py::arg("request"), py::arg("timeout") = py::none())
      .def("update_alert_rule",
           ControlMethod(&cove::ControlClient::UpdateAlertRule),
           py::arg("resource"), py::arg("update_mask"),
           py::arg("timeout") = py::none())
      // Support access (issue 19).
      .def("request_support_access",
           ControlMethod(&cove::ControlClient::RequestSupportAccess),
           py::arg("request"), py::arg("timeout") = py::none())
      .def("get_support_access",
           ControlMethod(&cove::ControlClient::GetSupportAccess),
           py::arg("name"), py::arg("timeout") = py::none())
      .def("list_support_access",
           ControlPageMethod(&cove::ControlClient::ListSupportAccess),
           py::arg("request"), py::arg("timeout") = py::none())
      .def("approve_support_access",
           ControlMethod(&cove::ControlClient::ApproveSupportAccess),
           py::arg("request"), py::arg("timeout") = py::none())
      .def("deny_support_access",
           ControlMethod(&cove::ControlClient::DenySupportAccess),
           py::arg("request"), py::arg("timeout") = py::none())
      .def("revoke_support_access",
           ControlMethod(&cove::ControlClient::RevokeSupportAccess),
           py::arg("request"), py::arg("timeout") = py::none())
      // Versions and upgrades (issue 19).
      .def("list_releases", ControlMethod(&cove::ControlClient::ListReleases),
           py::arg("cluster"), py::arg("timeout") = py::none())
      .def("start_upgrade_cluster",
           ControlMethod(&cove::ControlClient::StartUpgradeCluster),
           py::arg("request"), py::arg("timeout") = py::none())
      .def("set_maintenance_window",
           ControlMethod(&cove::ControlClient::SetMaintenanceWindow),
           py::arg("name"), py::arg("window"), py::arg("timeout") = py::none())
      .def("get_maintenance_window",
           ControlMethod(&cove::ControlClient::GetMaintenanceWindow),
           py::arg("name"), py::arg("timeout") = py::none());

  py::class_<cove::ControlOperation>(m, "ControlOperation",
                                     "A long-running operation.")
      .def_property_readonly("name", &cove::ControlOperation::name)
      .def_property_readonly("done", &cove::ControlOperation::done)
      .def_property_readonly("operation", &cove::ControlOperation::operation)
      .def(
          "refresh",
          [](cove::ControlOperation& op, std::optional<double> timeout) {
            auto call = ControlCall(timeout);
            Blocking([&] { return op.Refresh(call); });
          },
          py::arg("timeout") = py::none())
      .def(
          "wait",
          [](cove::ControlOperation& op, std::optional<double> timeout) {
            std::optional<std::chrono::milliseconds> t;
            if (timeout.has_value()) t = FromSeconds(*timeout, "timeout");
            Blocking([&] { return op.Wait(t); });
          },
          py::arg("timeout") = py::none(),
          "Waits until done (raises the operation's error, or "
          "DeadlineExceededError after `timeout` seconds).")
      .def(
          "cancel",
          [](cove::ControlOperation& op, std::optional<double> timeout) {
            auto call = ControlCall(timeout);
            Blocking([&] { return op.Cancel(call); });
          },
          py::arg("timeout") = py::none());

  py::class_<cove::EmulatorClient>(m, "EmulatorClient",
                                   "The cove-cloud emulator's test knobs.")
      .def(
          "get_settings",
          [](cove::EmulatorClient& e, std::optional<double> timeout) {
            auto call = ControlCall(timeout);
            return Blocking([&] { return e.GetSettings(call); });
          },
          py::arg("timeout") = py::none())
      .def(
          "update_settings",
          [](cove::EmulatorClient& e,
             const ctl::UpdateEmulatorSettingsRequest& request,
             std::optional<double> timeout) {
            auto call = ControlCall(timeout);
            return Blocking([&] { return e.UpdateSettings(request, call); });
          },
          py::arg("request"), py::arg("timeout") = py::none())
      .def(
          "set_clock",
          [](cove::EmulatorClient& e, const ctl::SetClockRequest& request,
             std::optional<double> timeout) {
            auto call = ControlCall(timeout);
            return Blocking([&] { return e.SetClock(request, call); });
          },
          py::arg("request"), py::arg("timeout") = py::none())
      .def(
          "advance_clock",
          [](cove::EmulatorClient& e, double by,
             std::optional<double> timeout) {
            auto call = ControlCall(timeout);
            auto d = FromSeconds(by, "by");
            return Blocking([&] { return e.AdvanceClock(d, call); });
          },
          py::arg("by"), py::arg("timeout") = py::none())
      .def(
          "inject_fault",
          [](cove::EmulatorClient& e, const ctl::Fault& fault,
             std::optional<double> timeout) {
            auto call = ControlCall(timeout);
            return Blocking([&] { return e.InjectFault(fault, call); });
          },
          py::arg("fault"), py::arg("timeout") = py::none())
      .def(
          "list_faults",
          [](cove::EmulatorClient& e, std::optional<double> timeout) {
            auto call = ControlCall(timeout);
            return Blocking([&] { return e.ListFaults(call); });
          },
          py::arg("timeout") = py::none())
      .def(
          "clear_faults",
          [](cove::EmulatorClient& e, const std::string& verb,
             std::optional<double> timeout) {
            auto call = ControlCall(timeout);
            Blocking([&] { return e.ClearFaults(verb, call); });
          },
          py::arg("verb") = "", py::arg("timeout") = py::none())
      .def(
          "set_project_license",
          [](cove::EmulatorClient& e, const ctl::SetProjectLicenseRequest& r,
             std::optional<double> timeout) {
            auto call = ControlCall(timeout);
            return Blocking([&] { return e.SetProjectLicense(r, call); });
          },
          py::arg("request"), py::arg("timeout") = py::none())
      .def(
          "create_support_principal",
          [](cove::EmulatorClient& e,
             const ctl::CreateSupportPrincipalRequest& r,
             std::optional<double> timeout) {
            auto call = ControlCall(timeout);
            return Blocking([&] { return e.CreateSupportPrincipal(r, call); });
          },
          py::arg("request"), py::arg("timeout") = py::none());
}

#undef COVE_PY_TIME
#undef COVE_PY_ENUM
#undef COVE_PY_MS
#undef COVE_PY_OPT_MS

}  // namespace cove_python
