// cove-agent as a library: the agent of an agent-mode ("BYOC-I")
// environment. It runs in the customer's network, dials out to the control
// plane's AgentGateway (one bidirectional gRPC stream, TLS when asked),
// registers with the environment's one-time agent token (then reconnects
// with the long-lived credential it got in exchange), sends heartbeats with
// the status of its clusters, and carries out the control plane's commands
// locally: it hosts the clusters' data-plane servers (Milvus protocol over
// the embedded engine, capacity enforced), with their data under the bucket
// directory. Nothing connects to the agent except the data-plane clients.
//
// When the stream drops the agent reconnects with backoff; its data planes
// keep serving meanwhile.
#ifndef COVE_SRC_AGENT_AGENT_H_
#define COVE_SRC_AGENT_AGENT_H_

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "auth/password.h"

namespace cove::agent {

/// How to start an agent.
struct AgentOptions {
  /// The control plane: "host:port", "http://host:port" or
  /// "https://host:port" (https: TLS with the system roots, or tls_ca_file).
  std::string control_plane;
  /// The environment's one-time agent token (first registration). Not needed
  /// once the credential file exists in state_dir.
  std::string token;
  /// The environment's name; optional with a token (the control plane finds
  /// the environment the token belongs to).
  std::string environment;
  /// The bucket: clusters' data under <bucket>/clusters/<cluster id>.
  std::string bucket;
  /// Where the agent keeps its credential (0600) and the list of clusters it
  /// holds; default <bucket>/.cove-agent.
  std::string state_dir;
  /// PEM file to trust for the control plane (enables TLS).
  std::string tls_ca_file;
  /// TLS of the data planes (both or neither): PEM chain and key.
  std::string data_plane_tls_cert_file, data_plane_tls_key_file;
  /// Address the data planes bind (port chosen per cluster).
  std::string data_plane_host = "127.0.0.1";
  /// The address of the customer's own network (its VPC) that private
  /// endpoints listen on (issue 19), reported to the control plane as the
  /// environment's private network address; empty: none (the control
  /// plane refuses private endpoints). An IP literal of this machine, not
  /// data_plane_host.
  std::string private_address;
  /// Reported to the control plane; default the host name.
  std::string host_name;
  /// Reconnect backoff (doubles from min to max; reset after a registration).
  std::chrono::milliseconds min_backoff{200};
  std::chrono::milliseconds max_backoff{10000};
  /// PBKDF2 iterations of the data planes' user stores (tests use fewer).
  int pbkdf2_iterations = auth::kDefaultPbkdf2Iterations;

  /// InvalidArgument naming the option.
  absl::Status Validate() const;
};

/// One cluster the agent holds.
struct AgentCluster {
  std::string name;      // the cluster's resource name
  std::string data_dir;  // under the bucket
  bool running = false;
  /// "http://host:port" (https with TLS) and the Prometheus endpoint
  /// "http://host:port/metrics": the cluster's for its lifetime (the agent
  /// holds the ports while the data plane does not serve, and across agent
  /// restarts); empty before the first start.
  std::string endpoint;
  std::string metrics_endpoint;
  int64_t capacity_vectors = 0;
  int64_t capacity_bytes = 0;  // storage admitted; 0: not limited
  /// Customer-managed key "keys/{name}" (material in <bucket>/.kms) and its
  /// fingerprint when the cluster was created; empty without a key.
  std::string encryption_key;
  std::string encryption_key_id;
  /// Stopped because its key left the key store (or was replaced).
  bool key_revoked = false;
  /// IP access list of its data plane (canonical CIDRs from the control
  /// plane; empty: every client). Kept across agent restarts, so that a
  /// data plane the agent starts before it reaches the control plane
  /// enforces it from its first call.
  std::vector<std::string> ip_access_list;
  /// The release its data plane runs (issue 19: set at creation, changed by
  /// upgrades); empty: the build's version.
  std::string release;
  /// Its endpoints (issue 19): a private endpoint on the agent's
  /// private_address ("http(s)://ADDRESS:PORT", its port held for the
  /// cluster while enabled), and the public one off.
  bool private_endpoint_enabled = false;
  bool public_endpoint_disabled = false;
  std::string private_endpoint;
  /// Auto-idle (issue 19): its data plane is stopped by the control
  /// plane's idle command and an idle endpoint answers on its ports (the
  /// first call wakes it), and the number of idle/wake transitions made.
  bool idle = false;
  int64_t idle_epoch = 0;
  /// Replicas (issue 19): the data-plane server instances serving it
  /// (hosting::DataPlane), set by create, start and scale.
  int replicas = 1;
};

/// A running agent.
///
/// Thread safety: every method may be called from any thread.
class Agent {
 public:
  ~Agent();
  Agent(const Agent&) = delete;
  Agent& operator=(const Agent&) = delete;

  /// Starts the data planes of the clusters it ran before (from state_dir)
  /// and the connection loop. InvalidArgument for bad options; errors of the
  /// state directory.
  static absl::StatusOr<std::unique_ptr<Agent>> Start(
      const AgentOptions& options);

  /// Stops the connection and every data plane (their data is kept).
  void Stop();

  /// True while registered on a live stream.
  bool connected() const;
  /// Registrations so far (1 after the first connection).
  int64_t registrations() const;
  /// The environment, once registered.
  std::string environment() const;
  /// Why the last connection attempt ended (OK while connected).
  absl::Status last_error() const;
  /// True after the control plane refused the agent for good (bad or spent
  /// token, unknown environment): the agent no longer retries.
  bool refused() const;
  std::vector<AgentCluster> clusters() const;

  /// Waits (real time) until connected(), or refused; false on timeout.
  bool WaitConnected(absl::Duration timeout) const;
  /// Waits until `registrations() >= n`.
  bool WaitRegistrations(int64_t n, absl::Duration timeout) const;

  /// Test hooks of agent loss: cuts the stream and stops reconnecting
  /// (data planes keep serving) until Reconnect().
  void Disconnect();
  void Reconnect();
  /// Test hook of a hung agent: the stream stays open but the agent sends
  /// no heartbeats and carries out no commands; once the control plane ends
  /// the stream it does not reconnect. Reconnect() ends the hang.
  void Hang();

 private:
  class Impl;
  explicit Agent(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace cove::agent

#endif  // COVE_SRC_AGENT_AGENT_H_
