// SPARSE_FLOAT_VECTOR fields on every backend (embedded, and remote through
// an in-process cove-server speaking Milvus' wire format): every input form
// clients send, both sparse indexes, search (IP) with drop ratios, filters
// and offsets against a brute-force inner product, grouping searches,
// sparse output fields, and the refusals.
#include <algorithm>
#include <map>
#include <memory>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "conformance/backends.h"
#include "cove/client.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "server/server_fixture.h"
#include "testing/status_matchers.h"

namespace cove {
namespace {

using ::cove::testing::IsOk;
using ::cove::testing::StatusIs;
using ::testing::HasSubstr;

using ::cove::testing::Backend;

class SparseConformanceTest
    : public ::testing::TestWithParam<std::tuple<Backend, IndexType>> {
 protected:
  void SetUp() override {
    EmbeddedOptions embedded;
    embedded.segment_seal_rows = 32;  // sealed, indexed segments too
    auto client = cove::testing::OpenOnBackend(std::get<0>(GetParam()),
                                               embedded, &server_);
    ASSERT_THAT(client, IsOk());
    client_ = *std::move(client);
  }
  void TearDown() override {
    client_.reset();
    if (server_ != nullptr) server_->Shutdown(std::chrono::milliseconds(0));
  }
  Client& client() { return *client_; }

  // A collection "sp": id INT64, tag INT64, emb SPARSE_FLOAT_VECTOR with
  // the test's index (IP), loaded.
  void MakeCollection() {
    CollectionSchema schema;
    FieldSchema id;
    id.name = "id";
    id.type = DataType::kInt64;
    id.is_primary_key = true;
    schema.AddField(id);
    FieldSchema tag;
    tag.name = "tag";
    tag.type = DataType::kInt64;
    schema.AddField(tag);
    FieldSchema emb;
    emb.name = "emb";
    emb.type = DataType::kSparseFloatVector;
    schema.AddField(emb);
    ASSERT_THAT(client().CreateCollection("sp", schema), IsOk());
    IndexSpec index;
    index.field_name = "emb";
    index.index_type = std::get<1>(GetParam());
    index.metric_type = MetricType::kIP;
    index.params["drop_ratio_build"] = "0";
    ASSERT_THAT(client().CreateIndex("sp", index), IsOk());
    ASSERT_THAT(client().LoadCollection("sp"), IsOk());
  }

  std::unique_ptr<server::Server> server_;
  std::unique_ptr<Client> client_;
};

SparseVector RandomSparse(std::mt19937& rng) {
  std::uniform_int_distribution<int> nnz(1, 8);
  std::uniform_int_distribution<uint32_t> term(0, 40);
  std::uniform_real_distribution<float> w(0.1f, 1.0f);
  std::map<uint32_t, float> m;
  const int n = nnz(rng);
  for (int i = 0; i < n; ++i) m[term(rng)] = w(rng);
  SparseVector v;
  for (const auto& [k, x] : m) {
    v.indices.push_back(k);
    v.values.push_back(x);
  }
  return v;
}

float Dot(const SparseVector& a, const SparseVector& b) {
  float s = 0;
  size_t i = 0, j = 0;
  while (i < a.indices.size() && j < b.indices.size()) {
    if (a.indices[i] == b.indices[j]) {
      s += a.values[i++] * b.values[j++];
    } else if (a.indices[i] < b.indices[j]) {
      ++i;
    } else {
      ++j;
    }
  }
  return s;
}

bool Shares(const SparseVector& a, const SparseVector& b) {
  for (uint32_t t : a.indices) {
    if (std::binary_search(b.indices.begin(), b.indices.end(), t)) return true;
  }
  return false;
}

TEST_P(SparseConformanceTest, InputFormsAreOneVector) {
  MakeCollection();
  // {1: 0.5, 7: 2.0} in every form a client sends.
  Value::Object dict{{"7", Value(2.0)}, {"1", Value(0.5)}};
  Value pairs(Value::Array{Value(Value::Array{Value(7), Value(2.0)}),
                           Value(Value::Array{Value(1), Value(0.5)})});
  Value csr_row(
      Value::Object{{"indices", Value(Value::Array{Value(1), Value(7)})},
                    {"values", Value(Value::Array{Value(0.5), Value(2.0)})}});
  std::vector<Row> rows = {
      {{"id", Value(1)},
       {"tag", Value(0)},
       {"emb", Value::Sparse({{1, 7}, {0.5f, 2.0f}})}},
      {{"id", Value(2)}, {"tag", Value(0)}, {"emb", Value(dict)}},
      {{"id", Value(3)}, {"tag", Value(0)}, {"emb", pairs}},
      {{"id", Value(4)}, {"tag", Value(0)}, {"emb", csr_row}},
  };
  ASSERT_THAT(client().Insert("sp", rows), IsOk());
  auto got =
      client().Get("sp", {Value(1), Value(2), Value(3), Value(4)}, {"emb"});
  ASSERT_THAT(got, IsOk());
  ASSERT_EQ(got->size(), 4u);
  const SparseVector want{{1, 7}, {0.5f, 2.0f}};
  for (const Row& row : *got) {
    ASSERT_TRUE(row.at("emb").is_sparse_vector()) << row.at("id").ToJson();
    EXPECT_EQ(row.at("emb").AsSparseVector(), want) << row.at("id").ToJson();
  }
  // Without output fields a get returns the scalar fields, not the sparse
  // vector (Milvus counts sparse fields among the vector ones).
  auto plain = client().Get("sp", {Value(1)}, {});
  ASSERT_THAT(plain, IsOk());
  ASSERT_EQ(plain->size(), 1u);
  EXPECT_EQ(plain->at(0).count("tag"), 1u);
  EXPECT_EQ(plain->at(0).count("emb"), 0u);
  SearchRequest search;
  search.collection_name = "sp";
  search.anns_field = "emb";
  search.sparse_vectors = {SparseVector{{7}, {1.0f}}};
  search.limit = 10;
  search.output_fields = {"emb"};
  auto hits = client().Search(search);
  ASSERT_THAT(hits, IsOk());
  ASSERT_EQ(hits->hits[0].size(), 4u);
  for (const Hit& h : hits->hits[0]) {
    EXPECT_FLOAT_EQ(h.distance, 2.0f);
    EXPECT_EQ(h.entity.at("emb").AsSparseVector(), want);
  }
}

TEST_P(SparseConformanceTest, SearchMatchesBruteForce) {
  MakeCollection();
  std::mt19937 rng(11);
  std::map<int64_t, std::pair<SparseVector, int64_t>> truth;
  for (int batch = 0; batch < 4; ++batch) {
    std::vector<Row> rows;
    for (int i = 0; i < 40; ++i) {
      const int64_t id = batch * 40 + i;
      SparseVector v = RandomSparse(rng);
      truth[id] = {v, id % 2};
      rows.push_back({{"id", Value(id)},
                      {"tag", Value(id % 2)},
                      {"emb", Value::Sparse(v)}});
    }
    ASSERT_THAT(client().Insert("sp", rows), IsOk());
  }
  std::vector<Value> gone;
  for (int64_t id = 0; id < 160; id += 5) {
    gone.push_back(Value(id));
    truth.erase(id);
  }
  ASSERT_THAT(client().Delete("sp", gone), IsOk());
  ASSERT_THAT(client().Flush("sp"), IsOk());
  for (int q = 0; q < 10; ++q) {
    SearchRequest search;
    search.collection_name = "sp";
    search.sparse_vectors = {RandomSparse(rng), RandomSparse(rng)};
    search.limit = 5;
    search.offset = q % 3;
    if (q % 2 == 1) search.filter = "tag == 1";
    search.params["drop_ratio_search"] = Value(0.0);
    auto hits = client().Search(search);
    ASSERT_THAT(hits, IsOk());
    ASSERT_EQ(hits->hits.size(), 2u);
    for (size_t k = 0; k < 2; ++k) {
      std::vector<std::pair<float, int64_t>> expect;
      for (const auto& [id, row] : truth) {
        if (q % 2 == 1 && row.second != 1) continue;
        if (Shares(search.sparse_vectors[k], row.first)) {
          expect.push_back({Dot(search.sparse_vectors[k], row.first), id});
        }
      }
      std::sort(expect.begin(), expect.end(), [](auto& a, auto& b) {
        return a.first != b.first ? a.first > b.first : a.second < b.second;
      });
      expect.erase(
          expect.begin(),
          expect.begin() + std::min<size_t>(expect.size(), search.offset));
      if (expect.size() > 5) expect.resize(5);
      const auto& got = hits->hits[k];
      ASSERT_EQ(got.size(), expect.size()) << "query " << q << "/" << k;
      for (size_t i = 0; i < got.size(); ++i) {
        EXPECT_NEAR(got[i].distance, expect[i].first, 1e-4);
        EXPECT_TRUE(truth.count(got[i].id.AsInt()));
      }
    }
  }
}

// Grouping a sparse search (group_by_field, Milvus 2.5): the groups are
// the walk over every row's exact inner product, best first; a filter
// applies, offset skips whole groups, hits carry their group's value.
TEST_P(SparseConformanceTest, GroupedSearchMatchesBruteForce) {
  MakeCollection();
  std::mt19937 rng(23);
  std::map<int64_t, std::pair<SparseVector, int64_t>> truth;
  for (int batch = 0; batch < 4; ++batch) {
    std::vector<Row> rows;
    for (int i = 0; i < 40; ++i) {
      const int64_t id = batch * 40 + i;
      SparseVector v = RandomSparse(rng);
      truth[id] = {v, id % 7};
      rows.push_back({{"id", Value(id)},
                      {"tag", Value(id % 7)},
                      {"emb", Value::Sparse(v)}});
    }
    ASSERT_THAT(client().Insert("sp", rows), IsOk());
  }
  ASSERT_THAT(client().Flush("sp"), IsOk());
  struct Variant {
    int64_t limit, offset, size;
    bool strict;
    std::string filter;
  };
  for (const Variant& v :
       {Variant{3, 0, 1, false, ""}, Variant{3, 1, 4, true, ""},
        Variant{2, 2, 3, true, "tag != 3"}}) {
    SCOPED_TRACE(absl::StrCat("limit ", v.limit, " offset ", v.offset, " size ",
                              v.size, " filter '", v.filter, "'"));
    SearchRequest search;
    search.collection_name = "sp";
    search.anns_field = "emb";
    search.sparse_vectors = {RandomSparse(rng), RandomSparse(rng)};
    search.limit = v.limit;
    search.offset = v.offset;
    search.filter = v.filter;
    search.group_by_field = "tag";
    search.group_size = v.size;
    search.strict_group_size = v.strict;
    search.output_fields = {"tag"};
    ASSERT_OK_AND_ASSIGN(SearchResults got, client().Search(search));
    ASSERT_EQ(got.hits.size(), 2u);
    for (size_t k = 0; k < 2; ++k) {
      std::vector<std::pair<float, int64_t>> order;
      for (const auto& [id, row] : truth) {
        if (!v.filter.empty() && row.second == 3) continue;
        if (Shares(search.sparse_vectors[k], row.first)) {
          order.push_back({Dot(search.sparse_vectors[k], row.first), id});
        }
      }
      std::sort(order.begin(), order.end(), [](auto& a, auto& b) {
        return a.first != b.first ? a.first > b.first : a.second < b.second;
      });
      // The walk: the first offset + limit tags, size rows each.
      std::vector<int64_t> tags;
      std::map<int64_t, std::vector<std::pair<float, int64_t>>> groups;
      for (const auto& [score, id] : order) {
        const int64_t tag = truth[id].second;
        if (groups.count(tag) == 0) {
          if (static_cast<int64_t>(tags.size()) == v.limit + v.offset) {
            continue;
          }
          tags.push_back(tag);
        }
        auto& g = groups[tag];
        if (static_cast<int64_t>(g.size()) < v.size) g.push_back({score, id});
      }
      std::vector<std::pair<float, int64_t>> want;
      for (size_t t = static_cast<size_t>(v.offset); t < tags.size(); ++t) {
        for (const auto& hit : groups[tags[t]]) want.push_back(hit);
      }
      ASSERT_FALSE(want.empty());
      const auto& hits = got.hits[k];
      ASSERT_EQ(hits.size(), want.size()) << "query " << k;
      for (size_t i = 0; i < hits.size(); ++i) {
        EXPECT_EQ(hits[i].id.AsInt(), want[i].second) << "query " << k;
        EXPECT_NEAR(hits[i].distance, want[i].first, 1e-4);
        EXPECT_EQ(hits[i].group_by_value, Value(want[i].second % 7));
        EXPECT_EQ(hits[i].entity.at("tag"), hits[i].group_by_value);
      }
    }
  }
}

TEST_P(SparseConformanceTest, Refusals) {
  MakeCollection();
  ASSERT_THAT(client().Insert("sp", {{{"id", Value(1)},
                                      {"tag", Value(0)},
                                      {"emb", Value::Sparse({{3}, {1.0f}})}}}),
              IsOk());
  // Repeated index, unsorted handled, negative index refused.
  EXPECT_THAT(client().Insert(
                  "sp", {{{"id", Value(2)},
                          {"tag", Value(0)},
                          {"emb", Value(Value::Object{{"-1", Value(1.0)}})}}}),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("emb")));
  SearchRequest search;
  search.collection_name = "sp";
  search.anns_field = "emb";
  search.sparse_vectors = {SparseVector{{3}, {1.0f}}};
  // A dense index's key is accepted without effect, as Milvus does (the
  // Node SDK's own specs send nprobe to sparse fields); other keys are not.
  ASSERT_OK_AND_ASSIGN(SearchResults plain, client().Search(search));
  search.params["nprobe"] = Value(4);
  ASSERT_OK_AND_ASSIGN(SearchResults with_nprobe, client().Search(search));
  ASSERT_EQ(with_nprobe.hits.size(), 1u);
  ASSERT_EQ(with_nprobe.hits[0].size(), plain.hits[0].size());
  for (size_t i = 0; i < plain.hits[0].size(); ++i) {
    EXPECT_EQ(with_nprobe.hits[0][i].id, plain.hits[0][i].id);
  }
  search.params = {{"nprobe", Value(0)}};
  EXPECT_THAT(
      client().Search(search),
      StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("nprobe")));
  search.params = {{"rerank", Value(4)}};
  EXPECT_THAT(
      client().Search(search),
      StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("rerank")));
  search.params = {{"drop_ratio_search", Value(1.5)}};
  EXPECT_THAT(client().Search(search),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("drop_ratio_search")));
  search.params.clear();
  search.metric_type = MetricType::kL2;
  EXPECT_THAT(client().Search(search),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("IP")));
}

INSTANTIATE_TEST_SUITE_P(
    All, SparseConformanceTest,
    ::testing::Combine(::testing::Values(Backend::kEmbedded, Backend::kRemote),
                       ::testing::Values(IndexType::kSparseInvertedIndex,
                                         IndexType::kSparseWand)),
    [](const auto& info) {
      return std::string(std::get<0>(info.param) == Backend::kEmbedded
                             ? "Embedded"
                             : "Remote") +
             (std::get<1>(info.param) == IndexType::kSparseWand ? "Wand"
                                                                : "Inverted");
    });

}  // namespace
}  // namespace cove
