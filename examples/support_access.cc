// Support access with customer approval, as a user program: the vendor makes
// a support principal; it has no access until it requests access to one
// cluster for a reason and a duration and an organization owner approves;
// it then reads the cluster on the control plane and on the data plane
// (read-only Milvus credentials); every call is audited under it with the
// grant; access ends by itself when the duration is over (the emulator's
// manual clock moves two hours at once).
//
//   support_access --endpoint http://127.0.0.1:PORT --api-key ADMIN_KEY
//                  [--ca-file CA.pem] [--bucket DIR] [--org ID]
//
// docs/control-plane.md#support-access-with-customer-approval has the rules.

#include <iostream>
#include <string>
#include <vector>

#include "cove/cove.h"
#include "example_support.h"

namespace {

using example::Check;
using example::Expect;
using example::Must;
using example::Step;

absl::StatusOr<cove::Client> DataClient(const std::string& endpoint,
                                        const std::string& user,
                                        const std::string& password) {
  cove::ClientOptions o;
  o.remote.user = user;
  o.remote.password = password;
  o.remote.timeout = std::chrono::seconds(30);
  o.remote.max_attempts = 1;
  return cove::Client::Open(endpoint, o);
}

cove::ControlClient ConnectAs(const example::Args& args,
                              const std::string& key) {
  cove::ControlOptions o = args.options;
  o.api_key = key;
  return Must(cove::ControlClient::Connect(o), "connect");
}

}  // namespace

int main(int argc, char** argv) {
  const example::Args args = example::ParseArgs(argc, argv, "support_access");
  cove::ControlClient cc =
      Must(cove::ControlClient::Connect(args.options), "connect");
  cove::EmulatorClient emulator = cc.emulator();

  Step("organization, project, environment and its owner's API key");
  const example::Landing landing =
      example::CreateCrossAccountLanding(cc, args, "shop");
  cove::control::CreateApiKeyRequest key_req;
  key_req.parent = landing.org.name;
  key_req.api_key.role = "roles/organization.owner";
  key_req.api_key.scope = landing.org.name;
  cove::ControlClient owner = ConnectAs(
      args, Must(cc.CreateApiKey(key_req), "create owner key").secret);
  Must(emulator.SetClock({}), "switch to the manual clock");

  Step("create cluster 'orders' with a collection");
  cove::control::CreateClusterRequest req;
  req.parent = landing.project.name;
  req.cluster_id = "orders";
  req.cluster.environment = landing.env.name;
  cove::ControlOperation op =
      Must(owner.StartCreateCluster(req), "start create cluster");
  Must(emulator.AdvanceClock(std::chrono::seconds(1)), "advance clock");
  Check(op.Wait(std::chrono::minutes(1)), "wait for the create");
  const cove::control::Cluster cluster = Must(op.cluster(), "cluster");
  {
    cove::Client data = Must(
        DataClient(cluster.endpoint, "root", cluster.admin_password), "root");
    Check(data.CreateCollection("orders", 4), "create collection");
  }

  Step("the vendor makes support principal 'alice': no standing access");
  cove::control::CreateSupportPrincipalRequest sp;
  sp.support_principal_id = "alice";
  sp.display_name = "Alice (support)";
  cove::ControlClient alice = ConnectAs(
      args,
      Must(emulator.CreateSupportPrincipal(sp), "create principal").secret);
  absl::Status denied = alice.GetCluster(cluster.name).status();
  std::cout << "    " << denied << std::endl;
  Expect(absl::IsPermissionDenied(denied), "alice cannot read the cluster");

  Step("alice requests 2 hours of access for a ticket; the owner approves");
  cove::control::RequestSupportAccessRequest ask;
  ask.cluster = cluster.name;
  ask.reason = "ticket 4711: searches are slow";
  ask.duration = std::chrono::hours(2);
  const cove::control::SupportAccessGrant pending =
      Must(alice.RequestSupportAccess(ask), "request access");
  std::cout << "    " << pending.name << " PENDING" << std::endl;
  cove::control::SupportAccessActionRequest approve;
  approve.name = pending.name;
  Must(owner.ApproveSupportAccess(approve), "approve");

  Step("alice reads the cluster and, read-only, its data plane");
  const cove::control::SupportAccessGrant grant =
      Must(alice.GetSupportAccess(pending.name), "get grant");
  Expect(grant.state == cove::control::SupportAccessState::kActive, "ACTIVE");
  Must(alice.GetCluster(cluster.name), "get cluster");
  {
    cove::Client data = Must(DataClient(cluster.endpoint, grant.data_plane_user,
                                        grant.data_plane_password),
                             "support data client");
    std::vector<std::string> names =
        Must(data.ListCollections(), "list collections");
    std::cout << "    collections: " << names.size() << " (" << names.at(0)
              << ")" << std::endl;
    absl::Status write = data.DropCollection("orders");
    std::cout << "    " << write << std::endl;
    Expect(absl::IsPermissionDenied(write), "support access is read-only");
  }

  Step("every call is in the audit log under alice, with the grant");
  Must(emulator.AdvanceClock(std::chrono::seconds(1)), "advance clock");
  cove::control::ListAuditEventsRequest audit;
  audit.parent = landing.org.name;
  audit.filter = "support_grant=" + pending.name;
  int data_plane = 0;
  for (const cove::control::AuditEvent& e :
       Must(owner.ListAuditEvents(audit), "audit").items) {
    std::cout << "    " << e.actor << " " << e.action << " "
              << cove::control::ToString(e.outcome) << std::endl;
    Expect(e.actor == "supportPrincipals/alice", "actor is alice");
    if (e.action.rfind("dataPlane.", 0) == 0) ++data_plane;
  }
  Expect(data_plane >= 2, "the data-plane calls are audited");

  Step("two hours later the access has ended by itself");
  Must(emulator.AdvanceClock(std::chrono::hours(2)), "advance clock");
  const cove::control::SupportAccessGrant ended =
      Must(owner.GetSupportAccess(pending.name), "get grant");
  Expect(ended.state == cove::control::SupportAccessState::kExpired, "EXPIRED");
  Expect(absl::IsPermissionDenied(alice.GetCluster(cluster.name).status()),
         "the control plane refuses alice again");
  Expect(absl::IsUnauthenticated(DataClient(cluster.endpoint,
                                            grant.data_plane_user,
                                            grant.data_plane_password)
                                     .status()),
         "the data plane refuses the grant's credentials");
  std::cout << "done" << std::endl;
  return 0;
}
