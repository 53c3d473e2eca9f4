// Licenses and cost through the control plane, as a user program: the vendor
// gives a project a license of 16 CUs; clusters grow until the license stops
// a scale with RESOURCE_EXHAUSTED naming it; EstimateCost prices specs from
// the control plane's price table.
//
//   licenses --endpoint http://127.0.0.1:PORT --api-key ADMIN_KEY
//            [--ca-file CA.pem] [--bucket DIR] [--org ID]
//
// Run it against cove-cloud with its admin key (see docs/cloud-emulator.md):
// setting a license is the vendor's side (the Emulator service).
// docs/control-plane.md#licenses-and-cost has the rules.

#include <cmath>
#include <iomanip>
#include <iostream>
#include <string>
#include <tuple>
#include <utility>

#include "cove/cove.h"
#include "example_support.h"

namespace {

using example::Check;
using example::Expect;
using example::Must;
using example::Step;

void PrintLicense(const cove::control::Project& p) {
  if (!p.license) {
    std::cout << "    " << p.name << ": no license" << std::endl;
    return;
  }
  std::cout << "    license " << p.license->license_id << ": "
            << p.license->used_cus << " of " << p.license->max_cus << " CUs, "
            << p.license->used_replicas << " of " << p.license->max_replicas
            << " replicas in use" << std::endl;
}

}  // namespace

int main(int argc, char** argv) {
  const example::Args args = example::ParseArgs(argc, argv, "licenses");
  cove::ControlClient cc =
      Must(cove::ControlClient::Connect(args.options), "connect");
  cove::EmulatorClient emulator = cc.emulator();

  Step("organization, project and cross-account environment");
  const example::Landing landing =
      example::CreateCrossAccountLanding(cc, args, "licensed");
  const std::string project = landing.project.name;

  Step("the vendor licenses the project for 16 CUs and 4 replicas");
  cove::control::SetProjectLicenseRequest set;
  set.project = project;
  set.license = cove::control::License{};
  set.license->license_id = "lic-acme-2026";
  set.license->max_cus = 16;
  set.license->max_replicas = 4;
  PrintLicense(Must(emulator.SetProjectLicense(set), "set license"));

  Step("create 'search' (8 CU) and 'logs' (4 CU)");
  for (const auto& [id, cu] : {std::pair<std::string, int>{"search", 8},
                               std::pair<std::string, int>{"logs", 4}}) {
    cove::control::CreateClusterRequest req;
    req.parent = project;
    req.cluster_id = id;
    req.cluster.environment = landing.env.name;
    req.cluster.cu_size = cu;
    Must(cc.CreateCluster(req), "create cluster " + id);
  }
  cove::control::Project p = Must(cc.GetProject(project), "get project");
  PrintLicense(p);
  Expect(p.license && p.license->used_cus == 12, "12 CUs in use");

  Step("scaling 'search' to 16 CU would need 20: refused by the license");
  cove::control::ScaleClusterRequest scale;
  scale.name = project + "/clusters/search";
  scale.cu_size = 16;
  absl::StatusOr<cove::control::Cluster> scaled = cc.ScaleCluster(scale);
  std::cout << "    " << scaled.status() << std::endl;
  Expect(absl::IsResourceExhausted(scaled.status()),
         "the scale is RESOURCE_EXHAUSTED");
  Expect(scaled.status().message().find("lic-acme-2026") != std::string::npos,
         "the error names the license");

  Step("scaling 'search' to 12 CU fits exactly");
  scale.cu_size = 12;
  Must(cc.ScaleCluster(scale), "scale to 12 CU");
  p = Must(cc.GetProject(project), "get project");
  PrintLicense(p);
  Expect(p.license->used_cus == 16, "16 of 16 CUs in use");

  Step("what would specs cost? (the control plane's price table)");
  std::cout << std::fixed << std::setprecision(2);
  for (const auto& [cu, replicas, gib] :
       {std::tuple<int, int, int64_t>{1, 1, 10}, {8, 2, 500}, {32, 4, 4000}}) {
    cove::control::EstimateCostRequest req;
    req.parent = project;
    req.cu_size = cu;
    req.replicas = replicas;
    req.storage_gib = gib;
    const cove::control::CostEstimate e =
        Must(cc.EstimateCost(req), "estimate cost");
    std::cout << "    " << cu << " CU x " << replicas << ", " << gib
              << " GiB in " << e.region << ": " << e.per_hour << " "
              << e.currency << "/hour, " << e.per_month << " " << e.currency
              << "/month (";
    for (size_t i = 0; i < e.items.size(); ++i) {
      std::cout << (i ? ", " : "") << e.items[i].item << " "
                << e.items[i].per_month;
    }
    std::cout << ")" << std::endl;
    const cove::control::EmulatorSettings s =
        Must(emulator.GetSettings(), "settings");
    const double compute =
        cu * replicas * s.price_table.cu_hour.at("performance");
    Expect(std::abs(e.items[0].per_hour - compute) < 1e-9,
           "compute per hour = CUs x price per CU-hour");
  }
  std::cout << "done" << std::endl;
  return 0;
}
