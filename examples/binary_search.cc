// Binary codes: near-duplicate lookup by Hamming distance.
//
// Stores 20,000 256-bit codes (as a perceptual image hash or a sign-binarized
// embedding gives them: 32 bytes a row) in a BINARY_VECTOR field, embedded,
// twice: with BIN_FLAT (an exact scan) and with BIN_IVF_FLAT (inverted lists
// around binary centroids). Each query is a stored code with 10 bits flipped
// (an edited copy of an image); the search must find the original at Hamming
// distance 10. Queries are sent as bytes (Value::BinaryVector), as pymilvus
// sends them. Exits non-zero if BIN_FLAT misses an original, if BIN_IVF_FLAT
// finds fewer than 90% of them, or if anything fails.
#include <cstdint>
#include <iostream>
#include <random>
#include <string>
#include <vector>

#include "cove/cove.h"

namespace {

constexpr int64_t kBits = 256;
constexpr int kRows = 20000;
constexpr int kQueries = 50;
constexpr int kFlips = 10;

int Fail(const absl::Status& status) {
  std::cerr << "binary_search: " << status << "\n";
  return 1;
}

absl::Status Make(cove::Client& client, const std::string& name,
                  cove::IndexType type) {
  cove::CollectionSchema schema;
  cove::FieldSchema id;
  id.name = "id";
  id.type = cove::DataType::kInt64;
  id.is_primary_key = true;
  cove::FieldSchema code;
  code.name = "code";
  code.type = cove::DataType::kBinaryVector;
  code.dim = kBits;  // bits: 32 bytes per row
  schema.AddField(id).AddField(code);
  cove::IndexSpec index;
  index.field_name = "code";
  index.index_type = type;
  index.metric_type = cove::MetricType::kHamming;
  if (type == cove::IndexType::kBinIvfFlat) index.params["nlist"] = "32";
  return client.CreateCollection(name, schema, {index});
}

// The share of queries whose top hit is the original at distance kFlips.
absl::StatusOr<double> Found(cove::Client& client, const std::string& name,
                             const std::vector<cove::Value>& queries,
                             const std::vector<int64_t>& originals) {
  cove::SearchRequest s;
  s.collection_name = name;
  s.vector_values = queries;
  s.limit = 3;
  s.params["nprobe"] = cove::Value(int64_t{4});  // BIN_IVF_FLAT: 4 of 32
  auto results = client.Search(s);
  if (!results.ok()) return results.status();
  int found = 0;
  for (size_t q = 0; q < queries.size(); ++q) {
    const auto& hits = results->hits[q];
    found += !hits.empty() && hits[0].id.AsInt() == originals[q] &&
             hits[0].distance == kFlips;
  }
  return static_cast<double>(found) / queries.size();
}

}  // namespace

int main() {
  cove::ClientOptions options;
  options.embedded.segment_seal_rows = 8192;  // sealed, indexed segments
  auto client = cove::Client::Open(":memory:", options);
  if (!client.ok()) return Fail(client.status());
  for (auto [name, type] : {std::pair{"flat", cove::IndexType::kBinFlat},
                            std::pair{"ivf", cove::IndexType::kBinIvfFlat}}) {
    if (auto s = Make(*client, name, type); !s.ok()) return Fail(s);
  }
  // Codes in families (edited copies of a few thousand originals), so that
  // the inverted lists have clusters to find.
  std::mt19937_64 rng(7);
  std::vector<std::vector<uint8_t>> codes(kRows);
  for (int i = 0; i < kRows; ++i) {
    if (i < 2000) {
      codes[i].resize(kBits / 8);
      for (auto& b : codes[i]) b = static_cast<uint8_t>(rng());
    } else {
      codes[i] = codes[rng() % 2000];
      for (int f = 0; f < 40; ++f) {
        const size_t bit = rng() % kBits;
        codes[i][bit / 8] ^= static_cast<uint8_t>(1u << (bit % 8));
      }
    }
  }
  std::vector<cove::Row> rows;
  for (int64_t i = 0; i < kRows; ++i) {
    rows.push_back({{"id", cove::Value(i)},
                    {"code", cove::Value::BinaryVector(codes[i])}});
  }
  for (const char* name : {"flat", "ivf"}) {
    if (auto s = client->Insert(name, rows); !s.ok()) return Fail(s.status());
    if (auto s = client->Flush(name); !s.ok()) return Fail(s);
  }
  // Queries: stored codes with kFlips distinct bits flipped.
  std::vector<cove::Value> queries;
  std::vector<int64_t> originals;
  for (int q = 0; q < kQueries; ++q) {
    const int64_t id = static_cast<int64_t>(rng() % kRows);
    std::vector<uint8_t> code = codes[id];
    std::vector<bool> flipped(kBits, false);
    for (int f = 0; f < kFlips;) {
      const size_t bit = rng() % kBits;
      if (flipped[bit]) continue;
      flipped[bit] = true;
      code[bit / 8] ^= static_cast<uint8_t>(1u << (bit % 8));
      ++f;
    }
    queries.push_back(cove::Value::BinaryVector(code));
    originals.push_back(id);
  }
  auto flat = Found(*client, "flat", queries, originals);
  if (!flat.ok()) return Fail(flat.status());
  auto ivf = Found(*client, "ivf", queries, originals);
  if (!ivf.ok()) return Fail(ivf.status());
  std::cout << "rows: " << kRows << " codes of " << kBits << " bits ("
            << kBits / 8 << " bytes each)\n"
            << "originals found at Hamming distance " << kFlips << ": BIN_FLAT "
            << *flat * 100 << "%, BIN_IVF_FLAT (nprobe 4 of "
            << "32 lists) " << *ivf * 100 << "%\n";
  if (*flat < 1.0) {
    std::cerr << "binary_search: BIN_FLAT missed an original\n";
    return 1;
  }
  if (*ivf < 0.9) {
    std::cerr << "binary_search: BIN_IVF_FLAT found fewer than 90%\n";
    return 1;
  }
  return 0;
}
