// The remote backend: the same client code against a Milvus server.
//
//   remote_search [URI]        (default http://127.0.0.1:19530)
//
// Credentials come from the environment (COVE_USER and COVE_PASSWORD, or
// COVE_TOKEN), TLS from an https:// URI and COVE_CA_CERT_FILE. Works against
// cove-server, Milvus 2.4/2.5 and Zilliz Cloud. Creates a collection with
// the quick form, upserts documents in batches, searches with a filter,
// pages through every match with a query iterator, then drops the
// collection. Exits non-zero if anything fails.
#include <cstdlib>
#include <iostream>
#include <random>
#include <string>
#include <vector>

#include "cove/cove.h"

namespace {

int Fail(const char* step, const absl::Status& status) {
  std::cerr << "remote_search: " << step << ": " << status << "\n";
  return 1;
}

}  // namespace

int main(int argc, char** argv) {
  const std::string uri = argc > 1 ? argv[1] : "http://127.0.0.1:19530";
  constexpr int64_t kDim = 32;
  constexpr int kRows = 3000;
  constexpr int kBatch = 1000;
  const std::string name = "remote_example";

  cove::ClientOptions options;
  if (const char* ca = std::getenv("COVE_CA_CERT_FILE")) {
    options.remote.ca_cert_file = ca;
  }
  auto client = cove::Client::Open(uri, options);
  if (!client.ok()) return Fail("open", client.status());
  auto version = client->GetServerVersion();
  if (!version.ok()) return Fail("version", version.status());
  std::cout << "connected to " << uri << " (server " << *version << ")\n";

  if (auto has = client->HasCollection(name); has.ok() && *has) {
    if (auto s = client->DropCollection(name); !s.ok()) return Fail("drop", s);
  }
  cove::QuickCollectionOptions quick;
  quick.metric_type = cove::MetricType::kCosine;
  if (auto s = client->CreateCollection(name, kDim, quick); !s.ok()) {
    return Fail("create", s);
  }

  // Batches of upserts; "topic" lands in the dynamic field.
  std::mt19937 rng(3);
  std::normal_distribution<float> gauss;
  const char* topics[] = {"sports", "science", "travel"};
  for (int first = 0; first < kRows; first += kBatch) {
    std::vector<cove::Row> rows;
    for (int i = first; i < first + kBatch; ++i) {
      std::vector<float> v(kDim);
      for (float& x : v) x = gauss(rng);
      rows.push_back({{"id", cove::Value(int64_t{i})},
                      {"vector", cove::Value::FloatVector(std::move(v))},
                      {"topic", cove::Value(topics[i % 3])}});
    }
    auto r = client->Upsert(name, std::move(rows));
    if (!r.ok()) return Fail("upsert", r.status());
  }
  std::cout << "upserted " << kRows << " rows\n";

  cove::SearchRequest search;
  search.collection_name = name;
  search.dim = kDim;
  for (int i = 0; i < kDim; ++i) search.vectors.push_back(gauss(rng));
  search.limit = 5;
  search.filter = "topic == \"science\"";
  search.output_fields = {"topic"};
  auto results = client->Search(search);
  if (!results.ok()) return Fail("search", results.status());
  for (const cove::Hit& hit : results->hits[0]) {
    std::cout << "  id=" << hit.id.ToJson() << " score=" << hit.distance
              << " topic=" << hit.entity.at("topic").AsString() << "\n";
    if (hit.entity.at("topic").AsString() != "science") {
      std::cerr << "remote_search: a hit does not match the filter\n";
      return 1;
    }
  }
  if (results->hits[0].size() != 5) {
    std::cerr << "remote_search: expected 5 hits\n";
    return 1;
  }

  cove::QueryRequest query;
  query.collection_name = name;
  query.filter = "topic == \"travel\"";
  auto it = client->NewQueryIterator(query, /*batch_size=*/250);
  if (!it.ok()) return Fail("iterator", it.status());
  size_t travel = 0;
  while (!it->done()) {
    auto page = it->Next();
    if (!page.ok()) return Fail("iterator page", page.status());
    travel += page->size();
  }
  std::cout << "travel rows: " << travel << "\n";
  if (travel != kRows / 3) {
    std::cerr << "remote_search: expected " << kRows / 3 << " travel rows\n";
    return 1;
  }
  if (auto s = client->DropCollection(name); !s.ok()) return Fail("drop", s);
  return 0;
}
