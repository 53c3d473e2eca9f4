// CloudOptions: how to start cove-cloud (the control-plane core and its
// transports).
#ifndef COVE_SRC_CLOUD_CLOUD_OPTIONS_H_
#define COVE_SRC_CLOUD_CLOUD_OPTIONS_H_

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "auth/password.h"

namespace cove::cloud {

/// A release of the data plane in the emulator's catalog (issue 19).
struct CloudRelease {
  std::string version;
  std::string release_notes;
  std::vector<std::string> upgrades_from;
  bool is_default = false;
  bool broken = false;
};

/// How to start the emulator.
struct CloudOptions {
  /// Required; created if missing. Holds cloud.db (SQLite) and TLS material.
  std::string state_dir;
  /// host:port; port 0 picks a free port (see CloudServer::port()).
  std::string listen_address = "127.0.0.1:0";
  /// TLS with a given PEM certificate chain and key (both or neither).
  std::string tls_cert_file, tls_key_file;
  /// TLS with a self-signed certificate generated once into state_dir
  /// (tls/cert.pem, tls/key.pem); CloudServer::ca_file() names the PEM to
  /// trust.
  bool generate_tls = false;
  /// The admin secret to install on the first start of a state_dir instead
  /// of a random one (tests); at least 8 characters.
  std::string admin_key;
  /// How long each cluster transition takes, on the emulator clock.
  std::chrono::milliseconds transition_delay{200};
  /// Restore window of soft-deleted clusters.
  std::chrono::seconds retention{7 * 24 * 3600};
  /// Vectors admitted per CU of cu_type "performance"; "capacity" CUs admit
  /// four times as many.
  int64_t vectors_per_cu = 10000;
  /// Bytes of storage (the data directory on disk: scalars, JSON, dynamic
  /// fields, vectors) admitted per CU of cu_type "performance"; "capacity"
  /// CUs admit four times as many.
  int64_t bytes_per_cu = int64_t{64} << 20;
  /// Start with the manual clock (tests move it with Emulator.AdvanceClock).
  bool manual_clock = false;
  /// PBKDF2 iterations of new secret hashes (API keys, tokens, data-plane
  /// passwords); tests use fewer.
  int pbkdf2_iterations = auth::kDefaultPbkdf2Iterations;
  /// host:port of the control plane's Prometheus endpoint (HTTP GET
  /// /metrics; port 0: a free port); empty: none. Each cluster's data plane
  /// has its own (Cluster.metrics_endpoint).
  std::string metrics_listen_address;
  /// host:port of the HTTP(S) port: the REST/JSON API (/v1/...), its
  /// OpenAPI document (/v1/openapi.json) and the web console (/); HTTPS
  /// with the same certificate as the gRPC port when TLS is on. Port 0:
  /// a free port (CloudServer::http_port()). Empty: none.
  std::string http_listen_address;
  /// The largest REST request body accepted (bytes); larger ones are
  /// refused with RESOURCE_EXHAUSTED (HTTP 413) before they are parsed.
  int64_t http_max_body_bytes = int64_t{1} << 20;
  /// Chart.js for the console's dashboards, served at /vendor/chart.js
  /// (Debian's libjs-chart.js). A missing file leaves the dashboards as
  /// tables.
  std::string chartjs_file = "/usr/share/javascript/chart.js/chart.min.js";
  /// The web console's files (index.html, app.js, ...), served at "/" on
  /// the HTTP port. Empty: share/cove/console beside the program's bin/
  /// directory (an install), else the source tree's console/ (a build
  /// tree); none found: the console is not served (its pages are 404s). A
  /// given directory without index.html is an error (NotFound) at start.
  std::string console_dir;

  /// Agent mode: how often agents send heartbeats (real time; told to the
  /// agent when it connects).
  std::chrono::milliseconds agent_heartbeat_interval{5000};
  /// Agent mode: an environment whose agent has had no stream for this long
  /// (emulator clock) becomes DISCONNECTED. Also the heartbeat deadline: an
  /// agent whose stream is open but that sent no heartbeat for this long
  /// (and for at least max(3 intervals, 2 s) of real time) is hung: its
  /// stream is ended and the environment is DISCONNECTED at once.
  std::chrono::milliseconds agent_heartbeat_timeout{30000};
  /// Agent mode: how long an operation waits for a missing agent (emulator
  /// clock) before it fails with UNAVAILABLE.
  std::chrono::milliseconds agent_operation_timeout{300000};

  /// Prices of EstimateCost (Emulator.UpdateSettings changes them while
  /// running): one CU for one hour by cu_type, one GiB stored for a month,
  /// the currency and the hours of a month. Regions are priced alike
  /// (factor 1) until UpdateSettings sets a region_factor.
  double price_cu_hour_performance = 0.16;
  double price_cu_hour_capacity = 0.12;
  double price_storage_gib_month = 0.025;
  std::string price_currency = "USD";
  double price_hours_per_month = 730;

  /// The release catalog (issue 19; Emulator.UpdateSettings changes it
  /// while running). Every release is this build's data plane reporting
  /// the release's version (no download). Empty: one release, the build's
  /// version, the default.
  std::vector<CloudRelease> releases;

  /// InvalidArgument naming the option.
  absl::Status Validate() const;
};

/// Parses a --release flag: "VERSION[:FROM,FROM...][:default][:broken]"
/// (the versions it upgrades from; "default": new clusters get it;
/// "broken": its health check fails, for rollback tests).
absl::StatusOr<CloudRelease> ParseCloudRelease(const std::string& spec);

}  // namespace cove::cloud

#endif  // COVE_SRC_CLOUD_CLOUD_OPTIONS_H_
