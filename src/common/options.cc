// Validation of the client options and their environment overrides.
#include "cove/options.h"

#include <cstdlib>
#include <string>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "common/status_macros.h"

namespace cove {
namespace {

std::string Env(const char* name) {
  const char* v = std::getenv(name);
  return v == nullptr ? std::string() : std::string(v);
}

}  // namespace

absl::Status EmbeddedOptions::Validate() const {
  if (index_threads < 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("EmbeddedOptions.index_threads: must be >= 0 (got ",
                     index_threads, ")"));
  }
  if (segment_seal_rows < 1 || segment_seal_rows > (int64_t{1} << 30)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "EmbeddedOptions.segment_seal_rows: expected 1 to 2^30 (got ",
        segment_seal_rows, ")"));
  }
  if (!(compaction_deleted_ratio >= 0.0 && compaction_deleted_ratio <= 1.0)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "EmbeddedOptions.compaction_deleted_ratio: expected 0 to 1 (got ",
        compaction_deleted_ratio, ")"));
  }
  if (read_session_idle_timeout.count() <= 0) {
    return absl::InvalidArgumentError(absl::StrCat(
        "EmbeddedOptions.read_session_idle_timeout: expected a positive "
        "duration (got ",
        read_session_idle_timeout.count(), " ms)"));
  }
  int key_sources = (encryption_key.empty() ? 0 : 1) +
                    (encryption_key_file.empty() ? 0 : 1) +
                    (encryption_key_env.empty() ? 0 : 1);
  if (key_sources > 1) {
    return absl::InvalidArgumentError(
        "EmbeddedOptions.encryption_key: give at most one of encryption_key, "
        "encryption_key_file and encryption_key_env (got several)");
  }
  if (!encryption_key.empty() && encryption_key.size() != 32 &&
      encryption_key.size() != 64) {
    return absl::InvalidArgumentError(absl::StrCat(
        "EmbeddedOptions.encryption_key: expected 32 raw bytes or 64 hex "
        "digits (got ",
        encryption_key.size(), " bytes)"));
  }
  return absl::OkStatus();
}

absl::Status RemoteOptions::Validate() const {
  if (timeout.count() <= 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("RemoteOptions.timeout: must be positive (got ",
                     timeout.count(), " ms)"));
  }
  if (max_attempts < 1) {
    return absl::InvalidArgumentError(absl::StrCat(
        "RemoteOptions.max_attempts: must be >= 1 (got ", max_attempts, ")"));
  }
  if (initial_backoff.count() < 0 || max_backoff < initial_backoff) {
    return absl::InvalidArgumentError(absl::StrCat(
        "RemoteOptions.initial_backoff/max_backoff: expected 0 <= initial <= "
        "max (got ",
        initial_backoff.count(), " ms and ", max_backoff.count(), " ms)"));
  }
  if (client_cert_file.empty() != client_key_file.empty()) {
    return absl::InvalidArgumentError(
        "RemoteOptions.client_cert_file/client_key_file: mutual TLS needs "
        "both (got only one)");
  }
  if (!token.empty() && (!user.empty() || !password.empty())) {
    return absl::InvalidArgumentError(
        "RemoteOptions.token: give a token or user and password, not both");
  }
  if (dangerously_skip_tls_verification && !ca_cert_file.empty()) {
    return absl::InvalidArgumentError(
        "RemoteOptions.dangerously_skip_tls_verification: cannot be combined "
        "with ca_cert_file (a CA asks for verification; got both)");
  }
  return absl::OkStatus();
}

absl::Status ClientOptions::Validate() const {
  COVE_RETURN_IF_ERROR(embedded.Validate());
  return remote.Validate();
}

ClientOptions ApplyEnvironment(ClientOptions options) {
  RemoteOptions& r = options.remote;
  if (r.token.empty() && r.user.empty()) r.token = Env("COVE_TOKEN");
  if (r.user.empty() && r.token.empty()) r.user = Env("COVE_USER");
  if (r.password.empty() && r.token.empty()) r.password = Env("COVE_PASSWORD");
  if (r.db_name.empty()) r.db_name = Env("COVE_DB_NAME");
  std::string timeout = Env("COVE_TIMEOUT_MS");
  int64_t ms = 0;
  if (!timeout.empty() && absl::SimpleAtoi(timeout, &ms) && ms > 0) {
    r.timeout = std::chrono::milliseconds(ms);
  }
  if (Env("COVE_LOG_RPCS") == "1") r.log_rpcs = true;
  EmbeddedOptions& e = options.embedded;
  if (e.encryption_key.empty() && e.encryption_key_file.empty() &&
      e.encryption_key_env.empty()) {
    e.encryption_key_file = Env("COVE_ENCRYPTION_KEY_FILE");
  }
  return options;
}

}  // namespace cove
