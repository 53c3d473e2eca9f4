// cove-agent: the agent of an agent-mode environment of cove-cloud.
//
//   cove-agent --control-plane HOST:PORT --token-file FILE --bucket DIR
//              [--tls-ca FILE] [--state-dir DIR] [--environment NAME]
//              [--data-plane-tls-cert F --data-plane-tls-key F]
//              [--data-plane-host H] [--private-address A]
//
// Dials out to the control plane (https://... or --tls-ca: TLS), registers
// with the one-time token (--token-file FILE or -, COVE_AGENT_TOKEN, or
// --token, which other users see in the process list; later starts reuse the
// credential kept in the state dir, so --token is then optional), prints
// "cove-agent connected: <environment>" once registered, and runs the clusters'
// data planes until SIGINT or SIGTERM. Exits 1 when the control plane refuses
// it for good (bad or spent token, unknown environment).
#include <signal.h>
#include <sys/stat.h>

#include <CLI/CLI.hpp>
#include <chrono>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/strip.h"
#include "agent/agent.h"

namespace {

// The agent token from --token-file (a file, or "-": a line of standard
// input), else COVE_AGENT_TOKEN, else --token as given.
absl::Status ReadToken(const std::string& file, std::string* token) {
  std::string text;
  if (file == "-") {
    std::getline(std::cin, text);
  } else if (!file.empty()) {
    struct stat st;
    if (::stat(file.c_str(), &st) != 0) {
      return absl::NotFoundError(
          absl::StrCat("--token-file: cannot read '", file, "'"));
    }
    if ((st.st_mode & 077) != 0) {
      return absl::FailedPreconditionError(absl::StrFormat(
          "--token-file: '%s' is readable by others (mode %03o); chmod 600 "
          "it",
          file, st.st_mode & 0777));
    }
    std::ifstream in(file);
    if (!in) {
      return absl::NotFoundError(
          absl::StrCat("--token-file: cannot read '", file, "'"));
    }
    std::getline(in, text);
  } else if (const char* env = std::getenv("COVE_AGENT_TOKEN");
             env != nullptr && token->empty()) {
    text = env;
  } else {
    return absl::OkStatus();
  }
  *token = std::string(absl::StripAsciiWhitespace(text));
  if (token->empty()) {
    return absl::InvalidArgumentError(
        file.empty() ? "COVE_AGENT_TOKEN: empty"
                     : absl::StrCat("--token-file: no token in '", file, "'"));
  }
  return absl::OkStatus();
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{
      "cove-agent: runs the data planes of a Cove agent-mode "
      "environment and takes its commands from the control plane"};
  cove::agent::AgentOptions options;
  app.add_option("--control-plane", options.control_plane,
                 "control plane: host:port, http://host:port or "
                 "https://host:port")
      ->required();
  std::string token_file;
  CLI::Option* token =
      app.add_option("--token", options.token,
                     "the environment's one-time agent token (first start); "
                     "visible to other users in the process list: prefer "
                     "--token-file or COVE_AGENT_TOKEN");
  app.add_option("--token-file", token_file,
                 "read the agent token from this file (not readable by "
                 "others), or '-' for one line of standard input")
      ->excludes(token);
  app.add_option("--bucket", options.bucket,
                 "directory holding the clusters' data")
      ->required();
  app.add_option("--tls-ca", options.tls_ca_file,
                 "PEM file to trust for the control plane (enables TLS)");
  app.add_option("--state-dir", options.state_dir,
                 "credential and cluster list (default <bucket>/.cove-agent)");
  app.add_option("--environment", options.environment,
                 "the environment's name (optional with --token)");
  app.add_option("--data-plane-tls-cert", options.data_plane_tls_cert_file,
                 "PEM certificate chain of the data planes (enables TLS)");
  app.add_option("--data-plane-tls-key", options.data_plane_tls_key_file,
                 "PEM private key of the data planes");
  app.add_option("--data-plane-host", options.data_plane_host,
                 "address the data planes bind (default 127.0.0.1)");
  app.add_option("--private-address", options.private_address,
                 "address of the customer's own network that clusters' "
                 "private endpoints listen on (e.g. 127.0.0.5; default: "
                 "none)");
  CLI11_PARSE(app, argc, argv);
  if (absl::Status s = ReadToken(token_file, &options.token); !s.ok()) {
    std::cerr << "cove-agent: " << s.message() << std::endl;
    return 2;
  }

  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  auto agent = cove::agent::Agent::Start(options);
  if (!agent.ok()) {
    std::cerr << "cove-agent: " << agent.status().message() << std::endl;
    return 1;
  }
  // Announces the registration, notices a refusal (bad token, environment
  // deleted) and stops on SIGINT/SIGTERM.
  bool announced = false;
  bool reported_wait = false;
  const auto started = std::chrono::steady_clock::now();
  while (true) {
    timespec slice{0, 200 * 1000 * 1000};
    if (sigtimedwait(&signals, nullptr, &slice) > 0) break;
    const bool connected = (*agent)->connected();
    if (connected && !announced) {
      std::cout << "cove-agent connected: " << (*agent)->environment()
                << std::endl;
      announced = true;
    }
    if ((*agent)->refused()) {
      std::cerr << "cove-agent: refused: " << (*agent)->last_error().message()
                << std::endl;
      (*agent)->Stop();
      return 1;
    }
    if (!connected && !announced && !reported_wait &&
        std::chrono::steady_clock::now() - started > std::chrono::seconds(10)) {
      std::cerr << "cove-agent: not connected yet ("
                << (*agent)->last_error().message() << "); retrying"
                << std::endl;
      reported_wait = true;
    }
  }
  std::cout << "cove-agent: shutting down" << std::endl;
  (*agent)->Stop();
  return 0;
}
