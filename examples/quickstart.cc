// Quickstart: the embedded engine in a few lines.
//
// Creates a collection with a schema, inserts 5,000 vectors with scalar
// fields, searches with a filter and prints the hits. Runs in-process: no
// server, no sockets. Exits non-zero if anything fails.
#include <cstdlib>
#include <iostream>
#include <random>
#include <string>
#include <vector>

#include "cove/cove.h"

namespace {

int Fail(const absl::Status& status) {
  std::cerr << "quickstart: " << status << "\n";
  return 1;
}

}  // namespace

int main(int argc, char** argv) {
  const std::string uri = argc > 1 ? argv[1] : ":memory:";
  constexpr int64_t kDim = 64;
  constexpr int kRows = 5000;

  auto client = cove::Client::Open(uri);
  if (!client.ok()) return Fail(client.status());

  // A schema: an INT64 primary key, a vector, two scalar fields, and dynamic
  // fields for anything else.
  cove::CollectionSchema schema;
  schema.enable_dynamic_field = true;
  cove::FieldSchema id;
  id.name = "id";
  id.type = cove::DataType::kInt64;
  id.is_primary_key = true;
  cove::FieldSchema embedding;
  embedding.name = "embedding";
  embedding.type = cove::DataType::kFloatVector;
  embedding.dim = kDim;
  cove::FieldSchema category;
  category.name = "category";
  category.type = cove::DataType::kVarChar;
  category.max_length = 32;
  cove::FieldSchema price;
  price.name = "price";
  price.type = cove::DataType::kFloat;
  schema.AddField(id).AddField(embedding).AddField(category).AddField(price);

  cove::IndexSpec index;
  index.field_name = "embedding";
  index.index_type = cove::IndexType::kHnsw;
  index.metric_type = cove::MetricType::kL2;
  index.params = {{"M", "16"}, {"efConstruction", "200"}};
  if (auto s = client->CreateCollection("products", schema, {index}); !s.ok()) {
    return Fail(s);
  }

  // Insert rows: typed values, plus a dynamic "in_stock" key.
  std::mt19937 rng(7);
  std::normal_distribution<float> gauss(0.0f, 1.0f);
  const char* categories[] = {"books", "music", "games", "tools"};
  std::vector<cove::Row> rows;
  rows.reserve(kRows);
  for (int i = 0; i < kRows; ++i) {
    std::vector<float> v(kDim);
    for (float& x : v) x = gauss(rng);
    rows.push_back({{"id", cove::Value(int64_t{i})},
                    {"embedding", cove::Value::FloatVector(std::move(v))},
                    {"category", cove::Value(categories[i % 4])},
                    {"price", cove::Value(static_cast<double>(i % 100))},
                    {"in_stock", cove::Value(i % 3 != 0)}});
  }
  auto inserted = client->Insert("products", std::move(rows));
  if (!inserted.ok()) return Fail(inserted.status());
  std::cout << "inserted " << inserted->count << " rows\n";

  // Search two query vectors, keeping cheap books that are in stock.
  cove::SearchRequest search;
  search.collection_name = "products";
  search.dim = kDim;
  for (int q = 0; q < 2 * kDim; ++q) search.vectors.push_back(gauss(rng));
  search.limit = 5;
  search.filter = "category == {cat} and price < 50 and in_stock == true";
  search.filter_params = {{"cat", cove::Value("books")}};
  search.output_fields = {"category", "price", "in_stock"};
  search.params = {{"ef", cove::Value(64)}};
  auto results = client->Search(search);
  if (!results.ok()) return Fail(results.status());

  for (size_t q = 0; q < results->hits.size(); ++q) {
    std::cout << "query " << q << ":\n";
    for (const cove::Hit& hit : results->hits[q]) {
      const cove::Row& e = hit.entity;
      std::cout << "  id=" << hit.id.ToJson() << " distance=" << hit.distance
                << " category=" << e.at("category").AsString()
                << " price=" << e.at("price").AsDouble()
                << " in_stock=" << e.at("in_stock").ToJson() << "\n";
      // The example doubles as a test: every hit must pass the filter.
      if (e.at("category").AsString() != "books" ||
          e.at("price").AsDouble() >= 50 || !e.at("in_stock").AsBool()) {
        std::cerr << "quickstart: a hit does not match the filter\n";
        return 1;
      }
    }
    if (results->hits[q].size() != 5) {
      std::cerr << "quickstart: expected 5 hits\n";
      return 1;
    }
  }

  cove::QueryRequest count;
  count.collection_name = "products";
  count.filter = "category in [\"books\", \"music\"]";
  count.output_fields = {"count(*)"};
  auto counted = client->Query(count);
  if (!counted.ok()) return Fail(counted.status());
  std::cout << "books and music: " << (*counted)[0].at("count(*)").AsInt()
            << " rows\n";
  return 0;
}
