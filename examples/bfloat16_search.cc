// bfloat16 vectors: half the bytes of float32, nearly the same answers.
//
// Stores the same 4,000 embeddings twice, embedded: once as FLOAT_VECTOR
// (4 bytes per dimension) and once as BFLOAT16_VECTOR (2 bytes per
// dimension: the upper half of each float32, rounded), both with a FLAT
// index, then compares the top-10 of 20 queries. Queries are sent as
// bfloat16 values (Value::BFloat16Vector), as pymilvus sends numpy arrays.
// Exits non-zero if the bfloat16 top-10 agree with float32 on less than 90%
// of the hits, or if anything fails.
#include <cstdint>
#include <cstring>
#include <iostream>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "cove/cove.h"

namespace {

int Fail(const absl::Status& status) {
  std::cerr << "bfloat16_search: " << status << "\n";
  return 1;
}

// float32 -> bfloat16, rounded to nearest even (finite inputs).
uint16_t ToBFloat16(float f) {
  uint32_t u;
  std::memcpy(&u, &f, sizeof u);
  return static_cast<uint16_t>((u + 0x7fffu + ((u >> 16) & 1u)) >> 16);
}

std::vector<uint16_t> ToBFloat16(const std::vector<float>& v) {
  std::vector<uint16_t> out;
  for (float f : v) out.push_back(ToBFloat16(f));
  return out;
}

absl::Status Make(cove::Client& client, const std::string& name,
                  cove::DataType type, int64_t dim) {
  cove::CollectionSchema schema;
  cove::FieldSchema id;
  id.name = "id";
  id.type = cove::DataType::kInt64;
  id.is_primary_key = true;
  cove::FieldSchema vec;
  vec.name = "vec";
  vec.type = type;
  vec.dim = dim;
  schema.AddField(id).AddField(vec);
  cove::IndexSpec index;
  index.field_name = "vec";
  index.index_type = cove::IndexType::kFlat;
  index.metric_type = cove::MetricType::kCosine;
  return client.CreateCollection(name, schema, {index});
}

}  // namespace

int main() {
  constexpr int64_t kDim = 96;
  constexpr int kRows = 4000;
  constexpr int kQueries = 20;
  auto client = cove::Client::Open(":memory:");
  if (!client.ok()) return Fail(client.status());
  if (auto s = Make(*client, "f32", cove::DataType::kFloatVector, kDim);
      !s.ok()) {
    return Fail(s);
  }
  if (auto s = Make(*client, "bf16", cove::DataType::kBFloat16Vector, kDim);
      !s.ok()) {
    return Fail(s);
  }
  std::mt19937 rng(1);
  std::normal_distribution<float> g;
  std::vector<cove::Row> f32_rows, bf16_rows;
  for (int64_t i = 0; i < kRows; ++i) {
    std::vector<float> v(kDim);
    for (float& x : v) x = g(rng);
    bf16_rows.push_back({{"id", cove::Value(i)},
                         {"vec", cove::Value::BFloat16Vector(ToBFloat16(v))}});
    f32_rows.push_back(
        {{"id", cove::Value(i)}, {"vec", cove::Value::FloatVector(v)}});
  }
  if (auto s = client->Insert("f32", f32_rows); !s.ok())
    return Fail(s.status());
  if (auto s = client->Insert("bf16", bf16_rows); !s.ok())
    return Fail(s.status());

  cove::SearchRequest f32;
  f32.collection_name = "f32";
  f32.dim = kDim;
  f32.limit = 10;
  cove::SearchRequest bf16 = f32;
  bf16.collection_name = "bf16";
  bf16.dim = 0;
  for (int q = 0; q < kQueries; ++q) {
    std::vector<float> v(kDim);
    for (float& x : v) x = g(rng);
    f32.vectors.insert(f32.vectors.end(), v.begin(), v.end());
    bf16.vector_values.push_back(cove::Value::BFloat16Vector(ToBFloat16(v)));
  }
  auto exact = client->Search(f32);
  if (!exact.ok()) return Fail(exact.status());
  auto half = client->Search(bf16);
  if (!half.ok()) return Fail(half.status());
  int agree = 0;
  for (int q = 0; q < kQueries; ++q) {
    std::set<int64_t> want;
    for (const cove::Hit& h : exact->hits[q]) want.insert(h.id.AsInt());
    for (const cove::Hit& h : half->hits[q]) agree += want.count(h.id.AsInt());
  }
  const double overlap = agree / (10.0 * kQueries);
  std::cout << "top hit of query 0: float32 id " << exact->hits[0][0].id.AsInt()
            << " (cosine " << exact->hits[0][0].distance << "), bfloat16 id "
            << half->hits[0][0].id.AsInt() << " (cosine "
            << half->hits[0][0].distance << ")\n"
            << "vector bytes per row: float32 " << kDim * 4 << ", bfloat16 "
            << kDim * 2 << "\n"
            << "top-10 agreement with float32: " << overlap * 100 << "%\n";
  if (overlap < 0.9) {
    std::cerr << "bfloat16_search: top-10 agreement below 90%\n";
    return 1;
  }
  return 0;
}
