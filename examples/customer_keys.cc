// Customer-managed keys, as a user program: put a key in the environment's
// key store, create a cluster encrypted with it and write data; revoke the
// key (remove its file) and see the control plane suspend the cluster with
// the audit event clusters.keyRevoked; put the key back, resume, and read
// the data again.
//
//   customer_keys --endpoint http://127.0.0.1:PORT --api-key ADMIN_KEY
//                 [--ca-file CA.pem] [--bucket DIR] [--org ID]
//
// The endpoint and key may also come from COVE_CLOUD_ENDPOINT and
// COVE_API_KEY. Run it against cove-cloud (see docs/cloud-emulator.md), whose
// key store is the directory <bucket>/.kms/ of the environment. The control
// plane notices a revoked key on its next scheduler pass (within 0.5 s);
// to see it at a chosen moment, the example steps the emulator's manual
// clock once (the Emulator service, admin key only), then returns to the
// real clock. docs/control-plane.md#customer-managed-keys has the rules.
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <iterator>
#include <random>
#include <string>
#include <vector>

#include "cove/cove.h"
#include "example_support.h"

namespace fs = std::filesystem;

namespace {

using example::Check;
using example::DataClient;
using example::Expect;
using example::Must;
using example::Step;

void Show(const cove::control::Cluster& c) {
  std::cout << "    " << c.name << ": " << cove::control::ToString(c.state)
            << (c.state_message.empty() ? "" : " (" + c.state_message + ")")
            << (c.endpoint.empty() ? "" : ", endpoint " + c.endpoint)
            << std::endl;
}

// 32 random bytes as 64 hex digits: a key file the key store accepts.
std::string NewKeyHex() {
  std::random_device rd;
  static const char kHex[] = "0123456789abcdef";
  std::string out;
  for (int i = 0; i < 32; ++i) {
    const unsigned byte = rd() & 0xff;
    out += kHex[byte >> 4];
    out += kHex[byte & 0xf];
  }
  return out;
}

void WriteKeyFile(const fs::path& path, const std::string& hex) {
  fs::create_directories(path.parent_path());
  {
    std::ofstream out(path, std::ios::trunc);
    out << hex << "\n";
    Expect(out.good(), "write " + path.string());
  }
  Expect(::chmod(path.c_str(), 0600) == 0, "chmod 0600 " + path.string());
}

// True when any file under `dir` contains `needle` in clear.
bool AnyFileContains(const fs::path& dir, const std::string& needle) {
  for (const auto& entry : fs::recursive_directory_iterator(dir)) {
    if (!entry.is_regular_file()) continue;
    std::ifstream in(entry.path(), std::ios::binary);
    std::string bytes((std::istreambuf_iterator<char>(in)),
                      std::istreambuf_iterator<char>());
    if (bytes.find(needle) != std::string::npos) {
      std::cout << "    found in clear: " << entry.path() << std::endl;
      return true;
    }
  }
  return false;
}

absl::StatusOr<std::vector<cove::Row>> ReadAll(cove::Client& client) {
  cove::QueryRequest query;
  query.collection_name = "payments";
  query.filter = "id >= 0";
  query.output_fields = {"*"};
  return client.Query(query);
}

}  // namespace

int main(int argc, char** argv) {
  const example::Args args = example::ParseArgs(argc, argv, "customer_keys");
  const std::string& bucket = args.bucket;
  cove::ControlClient cc =
      Must(cove::ControlClient::Connect(args.options), "connect");

  Step("organization, project and cross-account environment");
  const example::Landing landing =
      example::CreateCrossAccountLanding(cc, args, "billing");
  const cove::control::Organization& org = landing.org;
  const cove::control::Project& project = landing.project;
  const cove::control::Environment& env = landing.env;

  const fs::path key_file = fs::path(bucket) / ".kms" / "payments.key";
  const std::string key_hex = NewKeyHex();
  Step("put key 'payments' in the environment's key store: " +
       key_file.string());
  WriteKeyFile(key_file, key_hex);

  Step("create cluster 'ledger' encrypted with keys/payments");
  cove::control::CreateClusterRequest cluster_req;
  cluster_req.parent = project.name;
  cluster_req.cluster_id = "ledger";
  cluster_req.cluster.environment = env.name;
  cluster_req.cluster.cu_size = 1;
  cluster_req.cluster.encryption_key = "keys/payments";
  cove::control::Cluster cluster =
      Must(cc.CreateCluster(cluster_req), "create cluster");
  const std::string password = cluster.admin_password;  // shown only once
  Show(cluster);
  std::cout << "    encryption_key " << cluster.encryption_key
            << ", fingerprint " << cluster.encryption_key_id << std::endl;
  Expect(cluster.encryption_key == "keys/payments" &&
             !cluster.encryption_key_id.empty(),
         "the cluster names its key and the key's fingerprint");

  Step("write rows; the data files hold no plaintext");
  const std::string marker = "iban-DE89370400440532013000";
  std::vector<cove::Row> written;
  {
    cove::Client data = Must(DataClient(cluster, password, 1), "data client");
    Check(data.CreateCollection("payments", 4), "create collection");
    for (int i = 0; i < 50; ++i) {
      written.push_back(cove::Row{
          {"id", cove::Value(int64_t{i})},
          {"vector", cove::Value::FloatVector({float(i), 1, 0, float(i % 5)})},
          {"account", cove::Value(marker + "-" + std::to_string(i))}});
    }
    Must(data.Insert("payments", written), "insert");
    Check(data.Flush("payments"), "flush");
    std::cout << "    " << Must(ReadAll(data), "read").size()
              << " rows readable" << std::endl;
  }
  // The cluster's data directory: <bucket>/clusters/<org>/<project>/<id>
  // (cluster.name is organizations/<org>/projects/<project>/clusters/<id>).
  std::vector<std::string> parts;
  for (size_t start = 0, slash; start <= cluster.name.size();
       start = slash + 1) {
    slash = cluster.name.find('/', start);
    if (slash == std::string::npos) slash = cluster.name.size();
    parts.push_back(cluster.name.substr(start, slash - start));
  }
  Expect(parts.size() == 6, "cluster name " + cluster.name);
  const fs::path data_dir =
      fs::path(bucket) / "clusters" / parts[1] / parts[3] / parts[5];
  Expect(fs::is_directory(data_dir), "data directory " + data_dir.string());
  Expect(!AnyFileContains(data_dir, marker),
         "no file under " + data_dir.string() + " holds the rows in clear");
  std::cout << "    no file under " << data_dir << " contains '" << marker
            << "'" << std::endl;

  const cove::control::Cluster running = cluster;  // its endpoint, for later
  Step("revoke the key: remove its file");
  fs::remove(key_file);
  // Run one scheduler pass now instead of waiting for the next one.
  cove::EmulatorClient emulator = cc.emulator();
  Must(emulator.SetClock({}), "manual clock");
  Must(emulator.AdvanceClock(std::chrono::seconds(1)), "advance clock");
  cove::control::SetClockRequest real;
  real.real = true;
  Must(emulator.SetClock(real), "real clock");
  cluster = Must(cc.GetCluster(cluster.name), "get cluster");
  Show(cluster);
  Expect(cluster.state == cove::control::ClusterState::kSuspended,
         "the cluster is SUSPENDED after the key was revoked");

  cove::control::ListAuditEventsRequest audit;
  audit.parent = org.name;
  audit.filter = "action=clusters.keyRevoked";
  std::vector<cove::control::AuditEvent> events =
      Must(cc.ListAllAuditEvents(audit).ToVector(), "audit events");
  for (const cove::control::AuditEvent& e : events) {
    std::cout << "    audit: " << e.actor << " " << e.action << " "
              << e.resource << ": " << e.message << std::endl;
  }
  Expect(events.size() == 1 && events[0].actor == "system" &&
             events[0].resource == cluster.name,
         "one clusters.keyRevoked event by system on the cluster");

  {
    // The endpoint the cluster had while it ran: nothing serves there now.
    auto data = DataClient(running, password, 1);
    absl::Status s = data.ok() ? ReadAll(*data).status() : data.status();
    std::cout << "    a data call to " << running.endpoint << " now gets: " << s
              << std::endl;
    Expect(absl::IsUnavailable(s),
           "the data plane does not answer without the key (UNAVAILABLE)");
  }
  cove::control::ClusterActionRequest resume;
  resume.name = cluster.name;
  absl::Status refused = cc.ResumeCluster(resume).status();
  std::cout << "    resume without the key: " << refused << std::endl;
  Expect(absl::IsFailedPrecondition(refused),
         "resuming without the key is FAILED_PRECONDITION");

  Step("restore the key: put the same file back, then resume");
  WriteKeyFile(key_file, key_hex);
  cluster = Must(cc.ResumeCluster(resume), "resume");
  Show(cluster);
  Expect(cluster.state == cove::control::ClusterState::kRunning,
         "the cluster is RUNNING again");
  {
    cove::Client data = Must(DataClient(cluster, password, 1), "data client");
    std::vector<cove::Row> rows = Must(ReadAll(data), "read after resume");
    std::sort(rows.begin(), rows.end(), [](const auto& a, const auto& b) {
      return a.at("id").AsInt() < b.at("id").AsInt();
    });
    Expect(rows == written, "every row reads back unchanged after resume");
    std::cout << "    " << rows.size() << " rows read back unchanged; row 3: "
              << rows[3].at("account").ToJson() << std::endl;
  }

  std::error_code ec;
  fs::remove_all(bucket, ec);
  std::cout << "done" << std::endl;
  return 0;
}
