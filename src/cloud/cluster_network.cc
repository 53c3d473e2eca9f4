// Network access of clusters (issue 19): IP access lists. The API accepts
// exactly what the data plane enforces (one parser, server/ip_access.h),
// stores the canonical CIDRs, and puts a changed list in force at once
// where the cluster's data plane runs: the emulator's data plane or idle
// endpoint (cross-account mode), or the agent of its environment (agent
// mode, AgentSetIpAccessList over the agent's stream; sent again after
// every hello, so that a list changed while the agent was away arrives).
// Refusals are audited with the other data-plane refusals
// (data_plane_audit.cc).
#include "absl/strings/str_cat.h"
#include "cloud/cloud_core.h"
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

}  // namespace cove::cloud
