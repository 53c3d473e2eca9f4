// ControlOptions and the names of the control-plane enums.
#include "cove/control_types.h"

#include <cstdlib>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"

namespace cove {

absl::Status ControlOptions::Validate() const {
  if (endpoint.empty()) {
    return absl::InvalidArgumentError(
        "endpoint: required (expected http://host:port or https://host:port)");
  }
  if (timeout <= std::chrono::milliseconds(0)) {
    return absl::InvalidArgumentError(
        absl::StrCat("timeout: expected > 0 ms (got ", timeout.count(), ")"));
  }
  if (max_attempts < 1) {
    return absl::InvalidArgumentError(
        absl::StrCat("max_attempts: expected >= 1 (got ", max_attempts, ")"));
  }
  if (dangerously_skip_tls_verification &&
      (!ca_cert_file.empty() || !ca_cert_pem.empty())) {
    return absl::InvalidArgumentError(
        "dangerously_skip_tls_verification: cannot be combined with "
        "ca_cert_file or ca_cert_pem (a CA asks for verification; got both)");
  }
  if (initial_backoff < std::chrono::milliseconds(0) ||
      max_backoff < initial_backoff) {
    return absl::InvalidArgumentError(absl::StrCat(
        "initial_backoff, max_backoff: expected 0 <= initial <= max (got ",
        initial_backoff.count(), " ms, ", max_backoff.count(), " ms)"));
  }
  if (operation_timeout <= std::chrono::milliseconds(0)) {
    return absl::InvalidArgumentError(
        absl::StrCat("operation_timeout: expected > 0 ms (got ",
                     operation_timeout.count(), ")"));
  }
  if (poll_interval < std::chrono::milliseconds(0)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "poll_interval: expected >= 0 ms (got ", poll_interval.count(), ")"));
  }
  return absl::OkStatus();
}

ControlOptions ApplyControlEnvironment(ControlOptions options) {
  auto env = [](const char* name) -> std::string {
    const char* v = std::getenv(name);
    return v == nullptr ? std::string() : std::string(v);
  };
  if (options.endpoint.empty()) options.endpoint = env("COVE_CLOUD_ENDPOINT");
  if (options.api_key.empty()) options.api_key = env("COVE_API_KEY");
  if (options.ca_cert_file.empty() && options.ca_cert_pem.empty()) {
    options.ca_cert_file = env("COVE_CA_FILE");
  }
  int64_t ms = 0;
  std::string timeout = env("COVE_TIMEOUT_MS");
  if (options.timeout == ControlOptions().timeout && !timeout.empty() &&
      absl::SimpleAtoi(timeout, &ms) && ms > 0) {
    options.timeout = std::chrono::milliseconds(ms);
  }
  if (env("COVE_LOG_RPCS") == "1") options.log_rpcs = true;
  return options;
}

namespace control {
namespace {

template <size_t N>
std::string Name(const char* const (&names)[N], int v) {
  if (v < 0 || v >= static_cast<int>(N)) return "STATE_UNSPECIFIED";
  return names[v];
}

}  // namespace

std::string ToString(InvitationState v) {
  static const char* const kNames[] = {"STATE_UNSPECIFIED", "PENDING",
                                       "ACCEPTED", "EXPIRED", "REVOKED"};
  return Name(kNames, static_cast<int>(v));
}

std::string ToString(EnvironmentMode v) {
  static const char* const kNames[] = {"MODE_UNSPECIFIED", "CROSS_ACCOUNT",
                                       "AGENT"};
  return Name(kNames, static_cast<int>(v));
}

std::string ToString(EnvironmentState v) {
  static const char* const kNames[] = {
      "STATE_UNSPECIFIED", "AWAITING_AGENT", "CONNECTED",
      "PROVISIONING",      "READY",          "FAILED",
      "DISCONNECTED"};
  return Name(kNames, static_cast<int>(v));
}

std::string ToString(ClusterState v) {
  static const char* const kNames[] = {
      "STATE_UNSPECIFIED", "CREATING",  "RUNNING",  "MODIFYING",
      "SUSPENDING",        "SUSPENDED", "RESUMING", "DELETING",
      "DELETED",           "FAILED",    "IDLE"};
  return Name(kNames, static_cast<int>(v));
}

std::string ToString(Effect v) {
  static const char* const kNames[] = {"EFFECT_UNSPECIFIED", "ALLOW", "DENY"};
  return Name(kNames, static_cast<int>(v));
}

std::string ToString(RoleLevel v) {
  static const char* const kNames[] = {"LEVEL_UNSPECIFIED", "ORGANIZATION",
                                       "PROJECT"};
  return Name(kNames, static_cast<int>(v));
}

std::string ToString(AuditOutcome v) {
  static const char* const kNames[] = {"OUTCOME_UNSPECIFIED", "SUCCEEDED",
                                       "FAILED", "DENIED"};
  return Name(kNames, static_cast<int>(v));
}

std::string ToString(FaultMode v) {
  static const char* const kNames[] = {"MODE_UNSPECIFIED", "FAIL", "STALL",
                                       "UNAVAILABLE"};
  return Name(kNames, static_cast<int>(v));
}

// Alerts (issue 19).
std::string ToString(AlertMetric v) {
  static const char* const kNames[] = {"METRIC_UNSPECIFIED", "QPS",
                                       "LATENCY_P99_MS",     "CU_USAGE",
                                       "STORAGE_BYTES",      "ERROR_RATE",
                                       "AGENT_DISCONNECTED", "BACKUP_FAILED"};
  return Name(kNames, static_cast<int>(v));
}

std::string ToString(AlertState v) {
  static const char* const kNames[] = {"STATE_UNSPECIFIED", "INACTIVE",
                                       "PENDING", "FIRING", "RESOLVED"};
  return Name(kNames, static_cast<int>(v));
}

}  // namespace control
}  // namespace cove
