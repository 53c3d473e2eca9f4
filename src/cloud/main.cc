// cove-cloud: the BYOC cloud emulator (control plane plus local data planes).
//
//   cove-cloud --state-dir DIR --listen 127.0.0.1:PORT
//              [--tls-cert F --tls-key F | --tls-generate]
//              [--transition-delay-ms N] [--vectors-per-cu N]
//              [--admin-key K] [--manual-clock]
//              [--agent-heartbeat-ms N] [--agent-heartbeat-timeout-ms N]
//              [--agent-operation-timeout-ms N]
//              [--metrics-listen HOST:PORT] [--http-listen HOST:PORT]
//              [--console-dir DIR]
//
// Prints "cove-cloud listening on HOST:PORT" once serving (with port 0, the
// port chosen), "http: http(s)://HOST:PORT" with --http-listen, and, on the
// first start of a state directory only, "admin key: <secret>". Shuts down on
// SIGINT or SIGTERM: the clusters' data planes stop and the state is kept.
#include <signal.h>

#include <CLI/CLI.hpp>
#include <iostream>
#include <string>

#include "cloud/cloud_server.h"

int main(int argc, char** argv) {
  CLI::App app{"cove-cloud: the Cove BYOC cloud emulator"};
  cove::cloud::CloudOptions options;
  int64_t delay_ms = options.transition_delay.count();
  int64_t retention_s = options.retention.count();
  int64_t heartbeat_ms = options.agent_heartbeat_interval.count();
  int64_t heartbeat_timeout_ms = options.agent_heartbeat_timeout.count();
  int64_t agent_op_timeout_ms = options.agent_operation_timeout.count();
  app.add_option("--state-dir", options.state_dir,
                 "directory of the state (SQLite) and TLS material")
      ->required();
  app.add_option("--listen", options.listen_address,
                 "host:port to listen on (port 0: any free port)");
  app.add_option("--tls-cert", options.tls_cert_file,
                 "PEM certificate chain (enables TLS)");
  app.add_option("--tls-key", options.tls_key_file, "PEM private key");
  app.add_flag("--tls-generate", options.generate_tls,
               "TLS with a self-signed certificate kept in the state dir");
  app.add_option("--transition-delay-ms", delay_ms,
                 "how long cluster transitions take (default 200)");
  app.add_option("--retention-seconds", retention_s,
                 "restore window of deleted clusters (default 7 days)");
  app.add_option("--vectors-per-cu", options.vectors_per_cu,
                 "vectors per performance CU (capacity CUs: 4x)");
  app.add_option("--bytes-per-cu", options.bytes_per_cu,
                 "bytes of storage per performance CU (capacity CUs: 4x)");
  // Prices of EstimateCost (issue 19; docs/cloud-emulator.md).
  app.add_option("--price-cu-hour-performance",
                 options.price_cu_hour_performance,
                 "price of one performance CU for one hour (default 0.16)");
  app.add_option("--price-cu-hour-capacity", options.price_cu_hour_capacity,
                 "price of one capacity CU for one hour (default 0.12)");
  app.add_option("--price-storage-gib-month", options.price_storage_gib_month,
                 "price of one GiB stored for a month (default 0.025)");
  app.add_option("--price-currency", options.price_currency,
                 "currency of the prices (default USD)");
  app.add_option("--admin-key", options.admin_key,
                 "admin secret to install on the first start");
  app.add_flag("--manual-clock", options.manual_clock,
               "start with the manual clock (Emulator.AdvanceClock)");
  app.add_option("--metrics-listen", options.metrics_listen_address,
                 "host:port of the Prometheus endpoint (GET /metrics)");
  app.add_option("--http-listen,--http_listen", options.http_listen_address,
                 "host:port of the HTTP(S) port: REST/JSON API (/v1), "
                 "OpenAPI document and console (port 0: any free port)");
  app.add_option("--console-dir,--console_dir", options.console_dir,
                 "the web console's files (default: share/cove/console of "
                 "the install, or the source tree's console/)");
  app.add_option("--http-max-body-bytes", options.http_max_body_bytes,
                 "largest REST request body accepted (default 1 MiB)");
  app.add_option("--agent-heartbeat-ms", heartbeat_ms,
                 "agent mode: heartbeat interval of agents (default 5000)");
  app.add_option("--agent-heartbeat-timeout-ms", heartbeat_timeout_ms,
                 "agent mode: an environment without its agent for this long "
                 "(emulator clock) is DISCONNECTED (default 30000)");
  app.add_option("--agent-operation-timeout-ms", agent_op_timeout_ms,
                 "agent mode: operations wait this long for a missing agent "
                 "(emulator clock) before failing (default 300000)");
  std::vector<std::string> releases;
  app.add_option("--release", releases,
                 "a release of the catalog (repeatable): "
                 "VERSION[:FROM,FROM...][:default][:broken]; none: the "
                 "build's version only");
  CLI11_PARSE(app, argc, argv);
  for (const std::string& spec : releases) {
    auto r = cove::cloud::ParseCloudRelease(spec);
    if (!r.ok()) {
      std::cerr << "cove-cloud: " << r.status().message() << std::endl;
      return 2;
    }
    options.releases.push_back(*std::move(r));
  }
  options.agent_heartbeat_interval = std::chrono::milliseconds(heartbeat_ms);
  options.agent_heartbeat_timeout =
      std::chrono::milliseconds(heartbeat_timeout_ms);
  options.agent_operation_timeout =
      std::chrono::milliseconds(agent_op_timeout_ms);
  options.transition_delay = std::chrono::milliseconds(delay_ms);
  options.retention = std::chrono::seconds(retention_s);

  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  auto server = cove::cloud::StartCloud(options);
  if (!server.ok()) {
    std::cerr << "cove-cloud: " << server.status().message() << std::endl;
    return 1;
  }
  std::cout << "cove-cloud listening on " << (*server)->address()
            << ((*server)->ca_file().empty() ? "" : " (TLS)") << std::endl;
  if (!(*server)->ca_file().empty()) {
    std::cout << "trust: " << (*server)->ca_file() << std::endl;
  }
  if (!(*server)->http_url().empty()) {
    std::cout << "http: " << (*server)->http_url() << std::endl;
  }
  if (!(*server)->metrics_url().empty()) {
    std::cout << "metrics: " << (*server)->metrics_url() << std::endl;
  }
  if (!(*server)->initial_admin_key().empty()) {
    std::cout << "admin key: " << (*server)->initial_admin_key() << std::endl;
  }
  int sig = 0;
  sigwait(&signals, &sig);
  std::cout << "cove-cloud: shutting down" << std::endl;
  (*server)->Shutdown();
  (*server)->Wait();
  return 0;
}
