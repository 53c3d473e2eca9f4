// Uses the installed Cove SDK: opens the embedded engine, creates a
// collection, inserts and searches. Exits non-zero on any failure.
#include <iostream>
#include <vector>

#include "cove/cove.h"

int main() {
  std::cout << "cove " << cove::VersionString() << " (headers "
            << COVE_VERSION_STRING << ")\n";
  auto client = cove::Client::Open(":memory:");
  if (!client.ok()) {
    std::cerr << client.status() << "\n";
    return 1;
  }
  if (auto s = client->CreateCollection("docs", 4); !s.ok()) {
    std::cerr << s << "\n";
    return 1;
  }
  std::vector<cove::Row> rows;
  for (int i = 0; i < 100; ++i) {
    float f = static_cast<float>(i);
    rows.push_back(
        {{"id", cove::Value(i)},
         {"vector", cove::Value::FloatVector({1.0f, f, f * f, 1.0f})},
         {"tag", cove::Value(i % 2 == 0 ? "even" : "odd")}});
  }
  auto inserted = client->Insert("docs", std::move(rows));
  if (!inserted.ok() || inserted->count != 100) {
    std::cerr << "insert failed: " << inserted.status() << "\n";
    return 1;
  }
  cove::SearchRequest search;
  search.collection_name = "docs";
  search.vectors = {1.0f, 3.0f, 9.0f, 1.0f};
  search.dim = 4;
  search.limit = 3;
  search.filter = "tag == \"odd\"";
  auto results = client->Search(search);
  if (!results.ok() || results->hits.size() != 1 || results->hits[0].empty() ||
      results->hits[0][0].id.AsInt() != 3) {
    std::cerr << "search failed: " << results.status() << "\n";
    return 1;
  }
  std::cout << "top hit: id " << results->hits[0][0].id.AsInt() << ", cosine "
            << results->hits[0][0].distance << "\n";
  return 0;
}
