// The BYOC lifecycle through the control plane, as a user program: create an
// organization, a project and a cross-account environment; create a
// cluster, use it with the data client, scale it, suspend and resume it,
// delete, restore, delete and purge it; then print the audit log.
//
//   control_plane --endpoint http://127.0.0.1:PORT --api-key KEY
//                 [--ca-file CA.pem] [--bucket DIR] [--org ID]
//
// The endpoint and key may also come from COVE_CLOUD_ENDPOINT and
// COVE_API_KEY. Run it against cove-cloud (see docs/cloud-emulator.md).

#include <filesystem>
#include <iostream>
#include <string>
#include <vector>

#include "cove/cove.h"
#include "example_support.h"

namespace {

using example::Check;
using example::DataClient;
using example::Must;
using example::Step;

void Show(const cove::control::Cluster& c) {
  std::cout << "    " << c.name << ": " << cove::control::ToString(c.state)
            << ", " << c.cu_size << " CU x " << c.replicas
            << " replica(s), capacity " << c.capacity_vectors << " vectors"
            << (c.endpoint.empty() ? "" : ", endpoint " + c.endpoint)
            << std::endl;
}

absl::StatusOr<int64_t> CountRows(cove::Client& client) {
  cove::QueryRequest count;
  count.collection_name = "docs";
  count.output_fields = {"count(*)"};
  auto rows = client.Query(count);
  if (!rows.ok()) return rows.status();
  return rows->at(0).at("count(*)").AsInt();
}

}  // namespace

int main(int argc, char** argv) {
  const example::Args args = example::ParseArgs(argc, argv, "control_plane");
  const std::string& bucket = args.bucket;
  const std::string& org_id = args.org_id;
  cove::ControlClient cc =
      Must(cove::ControlClient::Connect(args.options), "connect");

  Step("create organization " + org_id);
  cove::control::CreateOrganizationRequest org_req;
  org_req.organization_id = org_id;
  org_req.organization.display_name = "Example Org";
  cove::control::Organization org =
      Must(cc.CreateOrganization(org_req), "create organization");
  std::cout << "    " << org.name << ", external id " << org.external_id
            << std::endl;

  Step("create project");
  cove::control::CreateProjectRequest project_req;
  project_req.parent = org.name;
  project_req.project_id = "search";
  project_req.project.plan = "standard";
  project_req.project.region = "us-east-1";
  cove::control::Project project =
      Must(cc.CreateProject(project_req), "create project");
  std::cout << "    " << project.name << std::endl;

  Step("create cross-account environment (bucket " + bucket + ")");
  cove::control::CreateEnvironmentRequest env_req;
  env_req.parent = project.name;
  env_req.environment_id = "aws";
  env_req.environment.mode = cove::control::EnvironmentMode::kCrossAccount;
  env_req.environment.cloud_account_id = "123456789012";
  env_req.environment.region = "us-east-1";
  env_req.environment.vpc_id = "vpc-0123abcd";
  env_req.environment.bucket = bucket;
  env_req.environment.role_arn = "arn:aws:iam::123456789012:role/cove-byoc";
  env_req.environment.external_id = org.external_id;
  cove::control::Environment env =
      Must(cc.CreateEnvironment(env_req), "create environment");
  std::cout << "    " << env.name << ": " << cove::control::ToString(env.state)
            << std::endl;

  Step("create cluster and wait");
  cove::control::CreateClusterRequest cluster_req;
  cluster_req.parent = project.name;
  cluster_req.cluster_id = "prod";
  cluster_req.cluster.environment = env.name;
  cluster_req.cluster.cu_type = "performance";
  cluster_req.cluster.cu_size = 1;
  cluster_req.cluster.replicas = 1;
  cove::ControlOperation op =
      Must(cc.StartCreateCluster(cluster_req), "start create cluster");
  std::cout << "    operation " << op.name() << std::endl;
  Check(op.Wait(std::chrono::minutes(2)), "wait for create cluster");
  cove::control::Cluster cluster = Must(op.cluster(), "created cluster");
  const std::string password = cluster.admin_password;  // shown only once
  Show(cluster);

  Step("insert and search through the data plane");
  {
    cove::Client data = Must(DataClient(cluster, password), "data client");
    Check(data.CreateCollection("docs", 4), "create collection");
    std::vector<cove::Row> rows;
    for (int i = 0; i < 10; ++i) {
      rows.push_back(
          cove::Row{{"id", cove::Value(int64_t{i})},
                    {"vector", cove::Value::FloatVector({float(i), 1, 0, 0})}});
    }
    Check(data.Insert("docs", rows).status(), "insert");
    cove::SearchRequest search;
    search.collection_name = "docs";
    search.vectors = {3, 1, 0, 0};
    search.dim = 4;
    search.limit = 3;
    cove::SearchResults hits = Must(data.Search(search), "search");
    std::cout << "    nearest to [3,1,0,0]:";
    for (const cove::Hit& h : hits.hits.at(0)) {
      std::cout << " id " << h.id.AsInt();
    }
    std::cout << std::endl;
  }

  Step("scale up to 2 CU and wait");
  cove::control::ScaleClusterRequest scale;
  scale.name = cluster.name;
  scale.cu_size = 2;
  Show(Must(cc.ScaleCluster(scale), "scale"));

  cove::control::ClusterActionRequest action;
  action.name = cluster.name;
  Step("suspend");
  Show(Must(cc.SuspendCluster(action), "suspend"));
  {
    auto data = DataClient(cluster, password);
    absl::Status s = data.ok() ? CountRows(*data).status() : data.status();
    if (s.ok()) {
      std::cerr << "FAILED: the data plane still answers while suspended"
                << std::endl;
      return 1;
    }
    std::cout << "    the data client gets: " << s << std::endl;
  }

  Step("resume; the data is still there");
  cove::control::Cluster resumed = Must(cc.ResumeCluster(action), "resume");
  Show(resumed);
  {
    cove::Client data = Must(DataClient(resumed, password), "data client");
    std::cout << "    rows: " << Must(CountRows(data), "count") << std::endl;
  }

  Step("delete (soft)");
  cove::control::Cluster deleted = Must(cc.DeleteCluster(action), "delete");
  Show(deleted);
  Step("restore within the window");
  Show(Must(cc.RestoreCluster(action), "restore"));
  Step("delete and purge");
  Must(cc.DeleteCluster(action), "delete again");
  Must(cc.PurgeCluster(action), "purge");
  absl::Status gone = cc.GetCluster(cluster.name).status();
  std::cout << "    get after purge: " << gone << std::endl;
  if (!absl::IsNotFound(gone)) return 1;

  Step("audit log");
  cove::control::ListAuditEventsRequest audit;
  audit.parent = org.name;
  auto events = cc.ListAllAuditEvents(audit);
  for (const cove::control::AuditEvent& e : events) {
    std::cout << "    " << e.action << " " << e.resource << " "
              << cove::control::ToString(e.outcome) << std::endl;
  }
  Check(events.status(), "list audit events");

  std::error_code ec;
  std::filesystem::remove_all(bucket, ec);
  std::cout << "done" << std::endl;
  return 0;
}
