// Hybrid search on every backend (embedded, and remote through an
// in-process cove-server speaking Milvus' HybridSearch RPC): a dense search
// and a full-text (BM25) search of one collection, each with its own filter
// and limit, fused by RRF and by weighted ranking; the fused hits are
// checked against a fusion computed here from the two searches run on
// their own (Milvus' formulas), with limit, offset and output fields, and
// the refusals.
#include <algorithm>
#include <cmath>
#include <fstream>
#include <map>
#include <memory>
#include <random>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
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
constexpr int kHybridDim = 4;

class HybridConformanceTest : public ::testing::TestWithParam<Backend> {
 protected:
  void SetUp() override {
    EmbeddedOptions embedded;
    embedded.segment_seal_rows = 40;
    auto client = cove::testing::OpenOnBackend(GetParam(), embedded, &server_);
    ASSERT_THAT(client, IsOk());
    client_ = *std::move(client);
    MakeCollection();
  }
  void TearDown() override {
    client_.reset();
    if (server_ != nullptr) server_->Shutdown(std::chrono::milliseconds(0));
  }
  Client& client() { return *client_; }

  void MakeCollection() {
    CollectionSchema schema;
    FieldSchema id;
    id.name = "id";
    id.type = DataType::kInt64;
    id.is_primary_key = true;
    FieldSchema text;
    text.name = "text";
    text.type = DataType::kVarChar;
    text.max_length = 65535;
    text.enable_analyzer = true;
    text.analyzer_params = R"({"type": "english"})";
    FieldSchema tag;
    tag.name = "tag";
    tag.type = DataType::kInt64;
    FieldSchema dense;
    dense.name = "dense";
    dense.type = DataType::kFloatVector;
    dense.dim = kHybridDim;
    FieldSchema dense2;
    dense2.name = "dense2";
    dense2.type = DataType::kFloatVector;
    dense2.dim = kHybridDim;
    FieldSchema doc;  // the document of a chunk: five rows each
    doc.name = "doc";
    doc.type = DataType::kInt64;
    FieldSchema sparse;
    sparse.name = "sparse";
    sparse.type = DataType::kSparseFloatVector;
    FunctionSchema fn;
    fn.name = "bm25";
    fn.type = FunctionType::kBM25;
    fn.input_field_names = {"text"};
    fn.output_field_names = {"sparse"};
    schema.AddField(id).AddField(text).AddField(tag).AddField(dense).AddField(
        sparse);
    schema.AddField(dense2).AddField(doc);
    schema.AddFunction(fn);
    IndexSpec dense_index;
    dense_index.field_name = "dense";
    dense_index.index_type = IndexType::kFlat;
    dense_index.metric_type = MetricType::kL2;
    IndexSpec sparse_index;
    sparse_index.field_name = "sparse";
    sparse_index.index_type = IndexType::kSparseInvertedIndex;
    sparse_index.metric_type = MetricType::kBM25;
    IndexSpec dense2_index;
    dense2_index.field_name = "dense2";
    dense2_index.index_type = IndexType::kFlat;
    dense2_index.metric_type = MetricType::kIP;
    ASSERT_THAT(client().CreateCollection(
                    "docs", schema, {dense_index, sparse_index, dense2_index}),
                IsOk());
    std::ifstream in("/usr/share/common-licenses/GPL-3");
    std::stringstream ss;
    ss << in.rdbuf();
    std::vector<std::string> corpus;
    for (absl::string_view p : absl::StrSplit(ss.str(), "\n\n")) {
      if (p.size() > 20) corpus.emplace_back(p);
    }
    ASSERT_GT(corpus.size(), 100u);
    std::mt19937 rng(11);
    std::normal_distribution<float> g;
    std::vector<Row> rows;
    for (size_t i = 0; i < corpus.size(); ++i) {
      std::vector<float> v(kHybridDim), v2(kHybridDim);
      for (float& x : v) x = g(rng);
      for (float& x : v2) x = g(rng);
      rows.push_back({{"id", Value(static_cast<int64_t>(i))},
                      {"text", Value(corpus[i])},
                      {"tag", Value(static_cast<int64_t>(i % 3))},
                      {"dense", Value::FloatVector(v)},
                      {"dense2", Value::FloatVector(v2)},
                      {"doc", Value(static_cast<int64_t>(i / 5))}});
    }
    ASSERT_THAT(client().Insert("docs", rows), IsOk());
  }

  SearchRequest Dense() {
    SearchRequest r;
    r.anns_field = "dense";
    r.vectors = {0.3f, -0.2f, 0.9f, 0.1f, -1.0f, 0.5f, 0.0f, 0.2f};
    r.dim = kHybridDim;
    r.limit = 15;
    r.filter = "tag != 2";
    return r;
  }
  SearchRequest Text() {
    SearchRequest r;
    r.anns_field = "sparse";
    r.texts = {"patent license", "warranty of the program"};
    r.limit = 12;
    r.filter = "id > 3";
    return r;
  }

  // The searches on their own, fused here: per query, id -> score.
  std::vector<std::vector<std::pair<int64_t, double>>> Expected(
      const std::vector<SearchRequest>& requests, const Ranker& ranker,
      const std::vector<MetricType>& metrics) {
    std::vector<std::map<int64_t, double>> fused;
    for (size_t i = 0; i < requests.size(); ++i) {
      SearchRequest r = requests[i];
      r.collection_name = "docs";
      auto results = client().Search(r);
      EXPECT_THAT(results, IsOk());
      fused.resize(results->hits.size());
      for (size_t q = 0; q < results->hits.size(); ++q) {
        const auto& hits = results->hits[q];
        for (size_t rank = 0; rank < hits.size(); ++rank) {
          const double s = hits[rank].distance;
          double add = 0;
          if (ranker.kind == Ranker::Kind::kRRF) {
            add = 1.0 / (ranker.k + static_cast<double>(rank) + 1);
          } else {
            double norm = s;
            if (metrics[i] == MetricType::kL2) {
              norm = 1 - 2 * std::atan(s) / M_PI;
            } else if (metrics[i] == MetricType::kBM25) {
              norm = 2 * std::atan(s) / M_PI;
            }
            add = ranker.weights[i] * norm;
          }
          fused[q][hits[rank].id.AsInt()] += add;
        }
      }
    }
    std::vector<std::vector<std::pair<int64_t, double>>> out;
    for (const auto& m : fused) {
      std::vector<std::pair<int64_t, double>> v(m.begin(), m.end());
      std::stable_sort(v.begin(), v.end(), [](const auto& a, const auto& b) {
        return a.second > b.second;
      });
      out.push_back(std::move(v));
    }
    return out;
  }

  void ExpectFused(const HybridSearchRequest& req,
                   const std::vector<MetricType>& metrics) {
    auto got = client().HybridSearch(req);
    ASSERT_THAT(got, IsOk());
    auto want = Expected(req.requests, req.ranker, metrics);
    ASSERT_EQ(got->hits.size(), want.size());
    for (size_t q = 0; q < want.size(); ++q) {
      const size_t begin = std::min(want[q].size(), size_t(req.offset));
      const size_t n = std::min(want[q].size() - begin, size_t(req.limit));
      ASSERT_EQ(got->hits[q].size(), n);
      for (size_t i = 0; i < n; ++i) {
        const auto& [id, score] = want[q][begin + i];
        const Hit& hit = got->hits[q][i];
        EXPECT_NEAR(hit.distance, score, 1e-5) << "query " << q << " hit " << i;
        // Equal fused scores may come in either order; distinct ones not.
        if (i + 1 < n &&
            std::abs(want[q][begin + i + 1].second - score) > 1e-6 &&
            (i == 0 ||
             std::abs(want[q][begin + i - 1].second - score) > 1e-6)) {
          EXPECT_EQ(hit.id.AsInt(), id) << "query " << q << " hit " << i;
        }
      }
    }
  }

  std::unique_ptr<server::Server> server_;
  std::unique_ptr<Client> client_;
};

TEST_P(HybridConformanceTest, RrfFusesDenseAndFullText) {
  HybridSearchRequest req;
  req.collection_name = "docs";
  req.requests = {Dense(), Text()};
  req.ranker = Ranker::RRF(60);
  req.limit = 10;
  ExpectFused(req, {MetricType::kL2, MetricType::kBM25});
  req.ranker = Ranker::RRF(5);
  req.offset = 4;
  req.limit = 6;
  ExpectFused(req, {MetricType::kL2, MetricType::kBM25});
}

TEST_P(HybridConformanceTest, WeightedNormalizesPerMetric) {
  HybridSearchRequest req;
  req.collection_name = "docs";
  req.requests = {Dense(), Text()};
  req.ranker = Ranker::Weighted({0.3, 0.7});
  req.limit = 20;
  ExpectFused(req, {MetricType::kL2, MetricType::kBM25});
  req.ranker = Ranker::Weighted({1.0, 0.1});
  ExpectFused(req, {MetricType::kL2, MetricType::kBM25});
}

TEST_P(HybridConformanceTest, OutputFieldsAndFilters) {
  HybridSearchRequest req;
  req.collection_name = "docs";
  req.requests = {Dense(), Text()};
  req.requests[0].filter = "tag == 0";
  req.requests[1].filter = "tag == 0";
  req.ranker = Ranker::RRF();
  req.limit = 8;
  req.output_fields = {"text", "tag"};
  auto got = client().HybridSearch(req);
  ASSERT_THAT(got, IsOk());
  ASSERT_EQ(got->hits.size(), 2u);
  for (const auto& hits : got->hits) {
    ASSERT_EQ(hits.size(), 8u);
    for (const Hit& hit : hits) {
      EXPECT_EQ(hit.entity.at("tag").AsInt(), 0);
      EXPECT_EQ(hit.id.AsInt() % 3, 0);
      EXPECT_TRUE(hit.entity.at("text").is_string());
      EXPECT_EQ(hit.entity.count("dense"), 0u);
    }
  }
}

// Grouping a hybrid search (Milvus 2.5), of two dense fields and of a dense
// and a BM25 field: each search groups by "doc", the
// fused rows are bucketed by their doc, groups scored by the scorer; the
// expected groups are computed here from the grouped searches run on their
// own.
TEST_P(HybridConformanceTest, GroupsFusedRowsByField) {
  SearchRequest a = Dense();
  a.limit = 9;  // groups
  SearchRequest b;
  b.anns_field = "dense2";
  b.vectors = {0.5f, 0.5f, -0.4f, 1.0f, 0.1f, -0.9f, 0.7f, 0.3f};
  b.dim = kHybridDim;
  b.limit = 7;
  b.filter = "id > 10";
  // Two dense searches, and a dense and a full-text (BM25, sparse) one.
  SearchRequest t = Text();
  t.limit = 6;
  for (const std::vector<SearchRequest>& searches :
       {std::vector<SearchRequest>{a, b}, std::vector<SearchRequest>{a, t}}) {
    for (const char* scorer : {"max", "sum", "avg"}) {
      for (int64_t size : {1, 3}) {
        for (int64_t offset : {0, 2}) {
          SCOPED_TRACE(absl::StrCat(searches[1].anns_field, " ", scorer,
                                    " group_size ", size, " offset ", offset));
          HybridSearchRequest req;
          req.collection_name = "docs";
          req.requests = searches;
          req.ranker = Ranker::RRF(10);
          req.limit = 5;
          req.offset = offset;
          req.group_by_field = "doc";
          req.group_size = size;
          req.group_scorer = scorer;
          req.output_fields = {"doc"};
          ASSERT_OK_AND_ASSIGN(SearchResults got, client().HybridSearch(req));

          // The oracle: each search grouped on its own, RRF by position.
          std::vector<std::map<int64_t, double>> fused(2);
          for (SearchRequest r : req.requests) {
            r.collection_name = "docs";
            r.group_by_field = "doc";
            r.group_size = size;
            ASSERT_OK_AND_ASSIGN(SearchResults one, client().Search(r));
            for (size_t q = 0; q < 2; ++q) {
              for (size_t rank = 0; rank < one.hits[q].size(); ++rank) {
                fused[q][one.hits[q][rank].id.AsInt()] += 1.0 / (10 + rank + 1);
              }
            }
          }
          for (size_t q = 0; q < 2; ++q) {
            std::vector<std::pair<double, int64_t>> rows;
            for (const auto& [id, score] : fused[q])
              rows.push_back({-score, id});
            std::sort(rows.begin(), rows.end());
            std::map<int64_t, std::vector<std::pair<double, int64_t>>> groups;
            for (const auto& [neg, id] : rows) {
              auto& g = groups[id / 5];
              if (static_cast<int64_t>(g.size()) < size)
                g.push_back({-neg, id});
            }
            struct Scored {
              double score;
              size_t n;
              int64_t first;
              int64_t doc;
            };
            std::vector<Scored> order;
            for (const auto& [doc, members] : groups) {
              double sum = 0, max = members[0].first;
              for (const auto& m : members) {
                sum += m.first;
                max = std::max(max, m.first);
              }
              const double score = std::string(scorer) == "sum" ? sum
                                   : std::string(scorer) == "avg"
                                       ? sum / members.size()
                                       : max;
              order.push_back({score, members.size(), members[0].second, doc});
            }
            std::sort(order.begin(), order.end(), [](auto& x, auto& y) {
              if (x.score != y.score) return x.score > y.score;
              if (x.n != y.n) return x.n > y.n;
              return x.first < y.first;
            });
            std::vector<std::pair<int64_t, double>> want;
            for (size_t gi = offset;
                 gi < order.size() && gi < static_cast<size_t>(offset + 5);
                 ++gi) {
              for (const auto& [score, id] : groups[order[gi].doc]) {
                want.push_back({id, score});
              }
            }
            ASSERT_EQ(got.hits[q].size(), want.size()) << "query " << q;
            for (size_t i = 0; i < want.size(); ++i) {
              const Hit& h = got.hits[q][i];
              EXPECT_EQ(h.id.AsInt(), want[i].first)
                  << "query " << q << " " << i;
              EXPECT_NEAR(h.distance, want[i].second, 1e-6);
              EXPECT_EQ(h.group_by_value, Value(h.id.AsInt() / 5));
              EXPECT_EQ(h.entity.at("doc"), h.group_by_value);
            }
          }
        }
      }
    }
  }
  // Grouping belongs to the hybrid search, not to one of its searches; an
  // unknown scorer is refused.
  HybridSearchRequest req;
  req.collection_name = "docs";
  req.requests = {a, b};
  req.requests[1].group_by_field = "doc";
  EXPECT_THAT(client().HybridSearch(req),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("group the hybrid search itself")));
  req.requests = {a, b};
  req.group_by_field = "doc";
  req.group_scorer = "median";
  EXPECT_THAT(client().HybridSearch(req),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("rank_group_scorer")));
}

TEST_P(HybridConformanceTest, Refusals) {
  HybridSearchRequest req;
  req.collection_name = "docs";
  req.requests = {Dense(), Text()};
  req.ranker = Ranker::Weighted({0.5});
  EXPECT_THAT(client().HybridSearch(req),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("one weight per search")));
  req.ranker = Ranker::RRF();
  req.requests[1].texts = {"just one query"};
  EXPECT_THAT(client().HybridSearch(req),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("the same number of queries")));
  req.requests = {Dense()};
  req.requests[0].anns_field.clear();
  EXPECT_THAT(
      client().HybridSearch(req),
      StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("anns_field")));
  req.requests = {Dense()};
  req.requests[0].filter = "nope == 1";
  EXPECT_THAT(client().HybridSearch(req),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("hybrid search request 0")));
}

INSTANTIATE_TEST_SUITE_P(Backends, HybridConformanceTest,
                         ::testing::Values(Backend::kEmbedded,
                                           Backend::kRemote),
                         [](const auto& info) {
                           return std::string(info.param == Backend::kEmbedded
                                                  ? "Embedded"
                                                  : "Remote");
                         });

}  // namespace
}  // namespace cove
