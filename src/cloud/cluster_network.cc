// Network access of clusters (issue 19): IP access lists and private
// endpoints.
//
// IP access lists. The API accepts
// exactly what the data plane enforces (one parser, server/ip_access.h),
// stores the canonical CIDRs, and puts a changed list in force at once
// where the cluster's data plane runs: the emulator's data plane or idle
// endpoint (cross-account mode), or the agent of its environment (agent
// mode, AgentSetIpAccessList over the agent's stream; sent again after
// every hello, so that a list changed while the agent was away arrives).
// Refusals are audited with the other data-plane refusals
// (data_plane_audit.cc).
//
// Private endpoints. Every environment may have a private network address
// (Environment.private_network_address: an address of this machine other
// than the public endpoints' 127.0.0.1, standing for the environment's own
// network; chosen by the emulator as 127.1.x.y or given at creation in
// cross-account mode, reported by the agent in agent mode). A cluster with
// private_endpoint_enabled has a second listener there, on a port held
// for it like its public one (hosting::ClusterPorts); with
// public_endpoint_disabled its public listener is off. Changes take effect
// on the running data plane (hosting::DataPlane::ChangeEndpoints: a server
// with the new listeners beside the running one, over the same engine),
// its idle endpoint, or the agent (AgentSetEndpoints, sent again after
// every hello).
#include <arpa/inet.h>

#include "absl/strings/str_cat.h"
#include "cloud/cloud_core.h"
#include "common/status_macros.h"
#include "hosting/port_reservation.h"
#include "server/ip_access.h"

namespace cove::cloud {

absl::StatusOr<std::vector<std::string>> CloudCore::CanonicalIpAccessList(
    const v1::Cluster& in) {
  return server::CanonicalIpAccessList(
      "cluster.ip_access_list",
      {in.ip_access_list().begin(), in.ip_access_list().end()});
}

v1::AgentCommand CloudCore::AgentIpAccessCommand(const v1::Cluster& c) {
  v1::AgentCommand cmd;
  cmd.set_command_id(absl::StrCat("access/", c.name()));
  cmd.set_cluster(c.name());
  *cmd.mutable_ip_access()->mutable_ip_access_list() = c.ip_access_list();
  return cmd;
}

void CloudCore::ApplyIpAccessListLocked(const v1::Cluster& c) {
  const std::vector<std::string> list(c.ip_access_list().begin(),
                                      c.ip_access_list().end());
  if (IsAgentEnvironmentLocked(c.environment())) {
    // Not connected: the next hello sends it (AgentReconcileLocked).
    AgentSendLocked(c.environment(), AgentIpAccessCommand(c));
    return;
  }
  // The list was validated by the API: setting it cannot fail.
  if (auto rt = runtimes_.find(c.name()); rt != runtimes_.end())
    (void)rt->second.plane->SetIpAccessList(list);
  if (auto idle = idle_listeners_.find(c.name());
      idle != idle_listeners_.end()) {
    (void)idle->second->SetIpAccessList(list);
  }
}

std::string CloudCore::PrivateAddressLocked(const v1::Cluster& c) const {
  auto env = environments_.find(c.environment());
  return env == environments_.end() ? std::string()
                                    : env->second.private_network_address();
}

absl::Status CloudCore::CheckEndpointsLocked(const v1::Cluster& c,
                                             bool private_enabled,
                                             bool public_disabled) {
  if (public_disabled && !private_enabled) {
    return absl::FailedPreconditionError(
        "cluster.public_endpoint_disabled: needs "
        "cluster.private_endpoint_enabled (a cluster without any endpoint "
        "is unreachable)");
  }
  if (private_enabled && PrivateAddressLocked(c).empty()) {
    return absl::FailedPreconditionError(
        absl::StrCat("cluster.private_endpoint_enabled: environment '",
                     c.environment(), "' has no private network address",
                     IsAgentEnvironmentLocked(c.environment())
                         ? " (its agent reports none: start cove-agent with "
                           "--private-address)"
                         : ""));
  }
  return absl::OkStatus();
}

v1::AgentCommand CloudCore::AgentEndpointsCommand(const v1::Cluster& c) {
  v1::AgentCommand cmd;
  cmd.set_command_id(absl::StrCat("endpoints/", c.name()));
  cmd.set_cluster(c.name());
  cmd.mutable_endpoints()->set_private_endpoint_enabled(
      c.private_endpoint_enabled());
  cmd.mutable_endpoints()->set_public_endpoint_disabled(
      c.public_endpoint_disabled());
  return cmd;
}

absl::Status CloudCore::ApplyEndpointsLocked(v1::Cluster* c) {
  if (IsAgentEnvironmentLocked(c->environment())) {
    // The agent reports the private endpoint (its result, then heartbeats);
    // not connected: the next hello sends it (AgentReconcileLocked).
    if (!c->private_endpoint_enabled()) c->clear_private_endpoint();
    AgentSendLocked(c->environment(), AgentEndpointsCommand(*c));
    return absl::OkStatus();
  }
  if (auto rt = runtimes_.find(c->name()); rt != runtimes_.end()) {
    std::string endpoint = c->endpoint();
    std::string private_endpoint = c->private_endpoint();
    COVE_RETURN_IF_ERROR(rt->second.plane->ChangeEndpoints(
        c->private_endpoint_enabled() ? PrivateAddressLocked(*c) : "",
        c->public_endpoint_disabled(), &ports_[c->name()], &endpoint,
        &private_endpoint));
    c->set_endpoint(endpoint);
    c->set_private_endpoint(private_endpoint);
    return absl::OkStatus();
  }
  if (idle_listeners_.count(c->name()) != 0) {
    // The idle endpoint listens where the cluster is reachable.
    StopIdleListenerLocked(c);
    return StartIdleListenerLocked(c);
  }
  // Not serving: the ports are held (or the private one let go).
  return HoldPortsLocked(c, false);
}

absl::Status CloudCore::AssignPrivateAddressLocked(v1::Environment* env) {
  const std::string given = env->private_network_address();
  if (env->mode() == v1::Environment::AGENT) {
    if (!given.empty()) {
      return absl::InvalidArgumentError(absl::StrCat(
          "environment.private_network_address: expected unset for an "
          "agent-mode environment (its agent reports it: cove-agent "
          "--private-address; got '",
          given, "')"));
    }
    return absl::OkStatus();
  }
  const auto used = [&](const std::string& a) {
    for (const auto& [name, e] : environments_)
      if (e.private_network_address() == a) return true;
    return false;
  };
  if (given.empty()) {
    // The first loopback address 127.1.x.y no environment has and this
    // machine binds.
    for (int n = 1; n < 65536; ++n) {
      const std::string a = absl::StrCat("127.1.", n / 256, ".", n % 256);
      if (n % 256 == 0 || used(a)) continue;
      if (!hosting::PortReservation::Reserve(a, 0).ok()) continue;
      env->set_private_network_address(a);
      return absl::OkStatus();
    }
    return absl::ResourceExhaustedError(
        "environment.private_network_address: no free loopback address "
        "127.1.x.y left; give one");
  }
  unsigned char buf[16];
  const bool v4 = inet_pton(AF_INET, given.c_str(), buf) == 1;
  const bool v6 = !v4 && inet_pton(AF_INET6, given.c_str(), buf) == 1;
  if (!v4 && !v6) {
    return absl::InvalidArgumentError(absl::StrCat(
        "environment.private_network_address: expected an IPv4 or IPv6 "
        "address (got '",
        given, "')"));
  }
  if (given == "0.0.0.0" || given == "::" || given == "127.0.0.1") {
    return absl::InvalidArgumentError(absl::StrCat(
        "environment.private_network_address: expected an address of the "
        "environment's own (not a wildcard, not 127.0.0.1 where public "
        "endpoints listen; got '",
        given, "')"));
  }
  if (used(given)) {
    return absl::AlreadyExistsError(absl::StrCat(
        "environment.private_network_address: '", given,
        "' is the private network address of another environment"));
  }
  if (!hosting::PortReservation::Reserve(given, 0).ok()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "environment.private_network_address: '", given,
        "' is not an address of this machine (expected one its listeners "
        "can bind, e.g. a loopback address 127.x.y.z)"));
  }
  return absl::OkStatus();
}

}  // namespace cove::cloud
