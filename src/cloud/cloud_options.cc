// CloudOptions::Validate.
#include "cloud/cloud_options.h"

#include <cmath>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"

namespace cove::cloud {

absl::Status CloudOptions::Validate() const {
  if (state_dir.empty()) {
    return absl::InvalidArgumentError(
        "state_dir: expected a directory (got an empty string)");
  }
  if (listen_address.empty() || listen_address.find(':') == std::string::npos) {
    return absl::InvalidArgumentError(absl::StrCat(
        "listen_address: expected host:port (got '", listen_address, "')"));
  }
  if (tls_cert_file.empty() != tls_key_file.empty()) {
    return absl::InvalidArgumentError(
        "tls_cert_file/tls_key_file: TLS needs both (got only one)");
  }
  if (generate_tls && !tls_cert_file.empty()) {
    return absl::InvalidArgumentError(
        "generate_tls: expected either generate_tls or tls_cert_file/"
        "tls_key_file (got both)");
  }
  if (!admin_key.empty() && admin_key.size() < 8) {
    return absl::InvalidArgumentError(
        absl::StrCat("admin_key: expected at least 8 characters (got ",
                     admin_key.size(), ")"));
  }
  if (transition_delay.count() < 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("transition_delay: expected >= 0 ms (got ",
                     transition_delay.count(), ")"));
  }
  if (retention.count() < 0) {
    return absl::InvalidArgumentError(absl::StrCat(
        "retention: expected >= 0 s (got ", retention.count(), ")"));
  }
  if (bytes_per_cu < 1) {
    return absl::InvalidArgumentError(absl::StrCat(
        "bytes_per_cu: expected at least 1 (got ", bytes_per_cu, ")"));
  }
  if (vectors_per_cu < 1) {
    return absl::InvalidArgumentError(absl::StrCat(
        "vectors_per_cu: expected at least 1 (got ", vectors_per_cu, ")"));
  }
  if (agent_heartbeat_interval.count() < 1 ||
      agent_heartbeat_timeout.count() < 1 ||
      agent_operation_timeout.count() < 1) {
    return absl::InvalidArgumentError(absl::StrCat(
        "agent_heartbeat_interval/agent_heartbeat_timeout/"
        "agent_operation_timeout: expected at least 1 ms (got ",
        agent_heartbeat_interval.count(), "/", agent_heartbeat_timeout.count(),
        "/", agent_operation_timeout.count(), ")"));
  }
  for (const auto& [field, price] :
       {std::pair<const char*, double>{"price_cu_hour_performance",
                                       price_cu_hour_performance},
        {"price_cu_hour_capacity", price_cu_hour_capacity},
        {"price_storage_gib_month", price_storage_gib_month}}) {
    if (!std::isfinite(price) || price < 0) {
      return absl::InvalidArgumentError(absl::StrCat(
          field, ": expected a finite price >= 0 (got ", price, ")"));
    }
  }
  if (!std::isfinite(price_hours_per_month) || price_hours_per_month <= 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("price_hours_per_month: expected > 0 (got ",
                     price_hours_per_month, ")"));
  }
  if (price_currency.empty()) {
    return absl::InvalidArgumentError(
        "price_currency: expected a currency such as USD (got an empty "
        "string)");
  }
  if (http_max_body_bytes < 1) {
    return absl::InvalidArgumentError(
        absl::StrCat("http_max_body_bytes: expected at least 1 (got ",
                     http_max_body_bytes, ")"));
  }
  if (!http_listen_address.empty() &&
      http_listen_address.find(':') == std::string::npos) {
    return absl::InvalidArgumentError(
        absl::StrCat("http_listen_address: expected host:port (got '",
                     http_listen_address, "')"));
  }
  if (pbkdf2_iterations < 1) {
    return absl::InvalidArgumentError(
        absl::StrCat("pbkdf2_iterations: expected at least 1 (got ",
                     pbkdf2_iterations, ")"));
  }
  return absl::OkStatus();
}

absl::StatusOr<CloudRelease> ParseCloudRelease(const std::string& spec) {
  std::vector<std::string> parts = absl::StrSplit(spec, ':');
  CloudRelease r;
  r.version = parts[0];
  const auto bad = [&](const std::string& why) {
    return absl::InvalidArgumentError(absl::StrCat(
        "release: expected VERSION[:FROM,FROM...][:default][:broken] (got '",
        spec, "': ", why, ")"));
  };
  if (r.version.empty()) return bad("no version");
  for (size_t i = 1; i < parts.size(); ++i) {
    if (parts[i] == "default") {
      r.is_default = true;
    } else if (parts[i] == "broken") {
      r.broken = true;
    } else if (i == 1) {
      for (absl::string_view f : absl::StrSplit(parts[i], ',')) {
        if (f.empty()) return bad("an empty version to upgrade from");
        r.upgrades_from.emplace_back(f);
      }
    } else {
      return bad(absl::StrCat("unknown part '", parts[i], "'"));
    }
  }
  r.release_notes =
      absl::StrCat("Release ", r.version, " (--release ", spec, ").");
  return r;
}

}  // namespace cove::cloud
