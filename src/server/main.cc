// cove-server: serves the Milvus v2 gRPC protocol over the embedded engine.
//
//   cove-server --data DIR --listen 127.0.0.1:19530
//               [--tls-cert F --tls-key F [--tls-client-ca F]]
//               [--auth --root-password-file F]
//               [--metrics-listen 127.0.0.1:9091] [--import-dir DIR]
//               [--ip-allow CIDR[,CIDR...]]
//
// Prints "cove-server listening on HOST:PORT" once serving (with port 0, the
// port chosen), and shuts down gracefully on SIGINT or SIGTERM.
#include <signal.h>

#include <CLI/CLI.hpp>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <string>

#include "embedded/embedded_connection.h"
#include "server/ip_access.h"
#include "server/server.h"

namespace {

// The first line of a file, without its line ending.
bool ReadFirstLine(const std::string& path, std::string* out) {
  std::ifstream in(path);
  if (!in) return false;
  std::getline(in, *out);
  while (!out->empty() && (out->back() == '\r' || out->back() == '\n')) {
    out->pop_back();
  }
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"cove-server: a Milvus v2 (gRPC) server over the Cove engine"};
  cove::server::ServerOptions options;
  std::string root_password_file;
  app.add_option("--data", options.data_dir,
                 "data directory, or :memory: (default)");
  app.add_option("--listen", options.listen_address,
                 "host:port to listen on (port 0: any free port)");
  app.add_option("--tls-cert", options.tls_cert_file,
                 "PEM certificate chain (enables TLS)");
  app.add_option("--tls-key", options.tls_key_file, "PEM private key");
  app.add_option("--tls-client-ca", options.tls_client_ca_file,
                 "PEM CAs for client certificates (enables mutual TLS)");
  app.add_flag("--auth", options.auth_enabled,
               "require user/password authentication and check privileges");
  app.add_option("--root-password-file", root_password_file,
                 "file whose first line is the password of user root");
  app.add_option("--import-dir", options.import_dir,
                 "folder that Import (bulk insert) reads files from");
  app.add_option("--metrics-listen", options.metrics_listen_address,
                 "host:port of the Prometheus endpoint (GET /metrics)");
  app.add_option("--ip-allow", options.ip_access_list,
                 "IP access list: the CIDRs (10.0.0.0/8, 2001:db8::/32, or "
                 "a bare address) whose clients may call; default: all")
      ->delimiter(',');
  CLI11_PARSE(app, argc, argv);
  if (auto list = cove::server::CanonicalIpAccessList("--ip-allow",
                                                      options.ip_access_list);
      !list.ok()) {
    std::cerr << "cove-server: " << list.status().message() << "\n";
    return 2;
  }

  if (options.auth_enabled) {
    if (root_password_file.empty()) {
      std::cerr << "cove-server: --auth needs --root-password-file\n";
      return 2;
    }
    if (!ReadFirstLine(root_password_file, &options.root_password)) {
      std::cerr << "cove-server: cannot read --root-password-file '"
                << root_password_file << "'\n";
      return 2;
    }
  }

  // Block the shutdown signals in every thread (gRPC's threads inherit the
  // mask) and wait for them here.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  auto server = cove::server::StartServer(options);
  if (!server.ok()) {
    std::cerr << "cove-server: " << server.status().message() << "\n";
    return 1;
  }
  std::cout << "cove-server listening on " << (*server)->address()
            << (options.tls_cert_file.empty() ? "" : " (TLS)")
            << (options.auth_enabled ? " (auth)" : "") << std::endl;
  if (!(*server)->metrics_url().empty()) {
    std::cout << "cove-server metrics on " << (*server)->metrics_url()
              << std::endl;
  }
  int sig = 0;
  sigwait(&signals, &sig);
  std::cout << "cove-server: shutting down" << std::endl;
  // Index builds and compactions stop at once (they restart on the next
  // start); what remains is the final checkpoint (docs/engine.md, "Shutdown").
  cove::internal::CancelBackgroundWork(*(*server)->connection());
  (*server)->Shutdown();
  (*server)->Wait();
  return 0;
}
