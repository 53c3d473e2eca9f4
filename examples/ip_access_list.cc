// IP access lists through the control plane, as a user program: create a
// cluster that admits only 10.0.0.0/8, see this machine (127.0.0.1) refused,
// allow it with UpdateCluster (in force at once, no restart), see a bad
// entry refused by name, and read the refusal in the audit log. Then the
// private endpoint: a second listener on the environment's private network
// address, the public endpoint turned off (data still served privately)
// and on again.
//
//   ip_access_list --endpoint http://127.0.0.1:PORT --api-key ADMIN_KEY
//                  [--ca-file CA.pem] [--bucket DIR] [--org ID]
//
// Run it against cove-cloud with its admin key (see
// docs/cloud-emulator.md). docs/control-plane.md#network-access-ip-access-lists
// and #network-access-private-endpoints have the rules.

#include <chrono>
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

absl::StatusOr<cove::Client> DataClient(const cove::control::Cluster& c,
                                        const std::string& password,
                                        const std::string& endpoint = "") {
  cove::ClientOptions o;
  o.remote.user = c.admin_user.empty() ? "root" : c.admin_user;
  o.remote.password = password;
  o.remote.timeout = std::chrono::seconds(30);
  o.remote.max_attempts = 1;
  return cove::Client::Open(endpoint.empty() ? c.endpoint : endpoint, o);
}

std::string Join(const std::vector<std::string>& v) {
  std::string out;
  for (const std::string& s : v) out += (out.empty() ? "" : ", ") + s;
  return "[" + out + "]";
}

}  // namespace

int main(int argc, char** argv) {
  const example::Args args = example::ParseArgs(argc, argv, "ip_access_list");
  cove::ControlClient cc =
      Must(cove::ControlClient::Connect(args.options), "connect");

  Step("organization, project and cross-account environment");
  const example::Landing landing =
      example::CreateCrossAccountLanding(cc, args, "private");

  Step("create cluster 'private' that admits 10.0.0.0/8 only");
  cove::control::CreateClusterRequest req;
  req.parent = landing.project.name;
  req.cluster_id = "private";
  req.cluster.environment = landing.env.name;
  req.cluster.ip_access_list = {"10.0.0.0/8"};
  cove::ControlOperation op =
      Must(cc.StartCreateCluster(req), "start create cluster");
  Check(op.Wait(std::chrono::minutes(1)), "wait for the create");
  cove::control::Cluster cluster = Must(op.cluster(), "created cluster");
  const std::string password = cluster.admin_password;  // shown only once
  std::cout << "    " << cluster.name << " at " << cluster.endpoint
            << ", ip_access_list " << Join(cluster.ip_access_list) << std::endl;

  Step("this machine (127.0.0.1) is refused");
  absl::StatusOr<cove::Client> refused = DataClient(cluster, password);
  std::cout << "    " << refused.status() << std::endl;
  Expect(absl::IsPermissionDenied(refused.status()),
         "a client outside the list gets PERMISSION_DENIED");

  Step("a bad entry is refused by name (host bits set)");
  cove::control::Cluster change;
  change.name = cluster.name;
  change.ip_access_list = {"10.0.0.0/8", "127.0.0.1/8"};
  absl::StatusOr<cove::control::Cluster> bad =
      cc.UpdateCluster(change, {"ip_access_list"});
  std::cout << "    " << bad.status() << std::endl;
  Expect(absl::IsInvalidArgument(bad.status()),
         "127.0.0.1/8 is refused (write 127.0.0.0/8 or 127.0.0.1/32)");

  Step("allow 127.0.0.1 too: in force at once, no restart");
  change.ip_access_list = {"10.0.0.0/8", "127.0.0.1"};
  cluster = Must(cc.UpdateCluster(change, {"ip_access_list"}),
                 "update the IP access list");
  std::cout << "    ip_access_list " << Join(cluster.ip_access_list)
            << std::endl;
  {
    cove::Client data = Must(DataClient(cluster, password), "data client");
    Check(data.CreateCollection("docs", 4), "create collection");
    std::cout << "    collections: "
              << Join(Must(data.ListCollections(), "list collections"))
              << std::endl;
  }

  Step("the refusal in the audit log");
  cove::control::ListAuditEventsRequest audit;
  audit.parent = landing.org.name;
  audit.filter = "action=dataPlane.ipAccessList";
  int refusals = 0;
  for (const auto& e :
       Must(cc.ListAllAuditEvents(audit).ToVector(), "list audit events")) {
    ++refusals;
    std::cout << "    " << e.action << " from " << e.client_address << ": "
              << e.message << std::endl;
  }
  Expect(refusals == 1, "one refused connection audited");

  Step("clear the list: open to every address again");
  change.ip_access_list.clear();
  cluster = Must(cc.UpdateCluster(change, {"ip_access_list"}), "clear");
  Expect(cluster.ip_access_list.empty(), "the list is empty");

  Step("private endpoint on the environment's own address");
  std::cout << "    environment private_network_address "
            << landing.env.private_network_address << std::endl;
  change.private_endpoint_enabled = true;
  cluster = Must(cc.UpdateCluster(change, {"private_endpoint_enabled"}),
                 "enable the private endpoint");
  const std::string public_endpoint = cluster.endpoint;
  std::cout << "    endpoint " << public_endpoint << ", private_endpoint "
            << cluster.private_endpoint << std::endl;
  Expect(!cluster.private_endpoint.empty(), "a private endpoint");

  Step("the public endpoint off: only the private one serves");
  change.public_endpoint_disabled = true;
  cluster = Must(cc.UpdateCluster(change, {"public_endpoint_disabled"}),
                 "disable the public endpoint");
  Expect(cluster.endpoint.empty(), "no public endpoint shown");
  {
    cove::Client data = Must(
        DataClient(cluster, password, cluster.private_endpoint), "private");
    std::cout << "    collections via " << cluster.private_endpoint << ": "
              << Join(Must(data.ListCollections(), "list collections"))
              << std::endl;
  }
  absl::StatusOr<cove::Client> closed =
      DataClient(cluster, password, public_endpoint);
  std::cout << "    " << public_endpoint << ": " << closed.status()
            << std::endl;
  Expect(!closed.ok(), "the public endpoint refuses connections");

  Step("the public endpoint on again");
  change.public_endpoint_disabled = false;
  cluster = Must(cc.UpdateCluster(change, {"public_endpoint_disabled"}),
                 "enable the public endpoint");
  Expect(cluster.endpoint == public_endpoint, "the same public endpoint");
  Check(
      Must(DataClient(cluster, password), "public").ListCollections().status(),
      "list collections on the public endpoint");
  std::cout << "done" << std::endl;
  return 0;
}
