// Full-text search (BM25) on every backend (embedded, and remote through an
// in-process cove-server speaking Milvus' wire format): a VARCHAR field
// with an analyzer, a BM25 function filling a sparse field at insert,
// searches with raw query texts checked against an independent BM25
// computation over a real text (the paragraphs of the GPL-3), filters,
// offsets, grouping, search-time bm25_k1/bm25_b, the schema described back,
// and the refusals (a given function output, its raw data, unsupported
// analyzers).
#include <algorithm>
#include <cmath>
#include <fstream>
#include <map>
#include <memory>
#include <set>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "conformance/backends.h"
#include "cove/client.h"
#include "engine/text/analyzer.h"
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

constexpr char kAnalyzer[] = R"({"type": "english"})";

std::vector<std::string> Corpus() {
  std::ifstream in("/usr/share/common-licenses/GPL-3");
  std::stringstream ss;
  ss << in.rdbuf();
  std::vector<std::string> out;
  for (absl::string_view p : absl::StrSplit(ss.str(), "\n\n")) {
    if (p.size() > 20) out.emplace_back(p);
  }
  return out;
}

// BM25 of `query` against the docs, in doubles from the analyzer's tokens
// (the analyzer has its own tests): only docs sharing a term score.
std::map<int64_t, double> Reference(const std::map<int64_t, std::string>& docs,
                                    const std::string& query, double k1,
                                    double b) {
  auto analyzer = engine::text::Analyzer::Make(kAnalyzer);
  std::map<int64_t, std::map<std::string, double>> tf;
  double total = 0;
  for (const auto& [id, text] : docs) {
    for (const std::string& t : (*analyzer)->Analyze(text)) {
      tf[id][t] += 1;
      total += 1;
    }
  }
  const double n = static_cast<double>(docs.size());
  const double avgdl = total / n;
  std::map<std::string, double> q;
  for (const std::string& t : (*analyzer)->Analyze(query)) q[t] += 1;
  std::map<int64_t, double> out;
  for (const auto& [id, text] : docs) {
    double dl = 0;
    for (const auto& [t, c] : tf[id]) dl += c;
    double score = 0;
    bool shares = false;
    for (const auto& [t, qc] : q) {
      auto it = tf[id].find(t);
      if (it == tf[id].end()) continue;
      shares = true;
      double df = 0;
      for (const auto& [other, counts] : tf) df += counts.count(t) ? 1 : 0;
      const double idf = std::log(1 + (n - df + 0.5) / (df + 0.5));
      const double f = it->second;
      score += qc * idf * f * (k1 + 1) / (f + k1 * (1 - b + b * dl / avgdl));
    }
    if (shares) out[id] = score;
  }
  return out;
}

class Bm25ConformanceTest
    : public ::testing::TestWithParam<std::tuple<Backend, IndexType>> {
 protected:
  void SetUp() override {
    EmbeddedOptions embedded;
    embedded.segment_seal_rows = 40;  // sealed, indexed segments too
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

  static CollectionSchema Schema() {
    CollectionSchema schema;
    FieldSchema id;
    id.name = "id";
    id.type = DataType::kInt64;
    id.is_primary_key = true;
    schema.AddField(id);
    FieldSchema text;
    text.name = "text";
    text.type = DataType::kVarChar;
    text.max_length = 65535;
    text.enable_analyzer = true;
    text.analyzer_params = kAnalyzer;
    text.enable_match = true;
    schema.AddField(text);
    FieldSchema tag;
    tag.name = "tag";
    tag.type = DataType::kInt64;
    schema.AddField(tag);
    FieldSchema sparse;
    sparse.name = "sparse";
    sparse.type = DataType::kSparseFloatVector;
    schema.AddField(sparse);
    FunctionSchema fn;
    fn.name = "text_bm25";
    fn.type = FunctionType::kBM25;
    fn.input_field_names = {"text"};
    fn.output_field_names = {"sparse"};
    schema.AddFunction(fn);
    return schema;
  }

  // Collection "docs" over the corpus (tag = id % 3), indexed and loaded.
  void MakeCollection() {
    ASSERT_THAT(client().CreateCollection("docs", Schema()), IsOk());
    IndexSpec index;
    index.field_name = "sparse";
    index.index_type = std::get<1>(GetParam());
    index.metric_type = MetricType::kBM25;
    index.params["bm25_k1"] = "1.2";
    index.params["bm25_b"] = "0.75";
    ASSERT_THAT(client().CreateIndex("docs", index), IsOk());
    ASSERT_THAT(client().LoadCollection("docs"), IsOk());
    std::vector<std::string> corpus = Corpus();
    ASSERT_GT(corpus.size(), 100u);
    std::vector<Row> rows;
    for (size_t i = 0; i < corpus.size(); ++i) {
      const int64_t id = static_cast<int64_t>(i);
      docs_[id] = corpus[i];
      rows.push_back({{"id", Value(id)},
                      {"text", Value(corpus[i])},
                      {"tag", Value(id % 3)}});
    }
    ASSERT_THAT(client().Insert("docs", rows), IsOk());
  }

  // Searches `query` and checks every hit against the reference.
  void ExpectReference(const std::string& query, SearchRequest req, double k1,
                       double b, int64_t only_tag = -1) {
    req.collection_name = "docs";
    req.anns_field = "sparse";
    req.texts = {query};
    auto results = client().Search(req);
    ASSERT_THAT(results, IsOk());
    ASSERT_EQ(results->hits.size(), 1u);
    std::map<int64_t, std::string> docs;
    for (const auto& [id, text] : docs_) docs[id] = text;
    std::map<int64_t, double> want = Reference(docs, query, k1, b);
    std::vector<double> best;
    for (const auto& [id, s] : want) {
      if (only_tag < 0 || id % 3 == only_tag) best.push_back(s);
    }
    std::sort(best.rbegin(), best.rend());
    const size_t expect =
        std::min<size_t>(static_cast<size_t>(req.limit),
                         best.size() > static_cast<size_t>(req.offset)
                             ? best.size() - static_cast<size_t>(req.offset)
                             : 0);
    ASSERT_EQ(results->hits[0].size(), expect) << query;
    ASSERT_GT(expect, 0u) << query;
    for (size_t i = 0; i < results->hits[0].size(); ++i) {
      const Hit& hit = results->hits[0][i];
      const int64_t id = hit.id.AsInt();
      ASSERT_TRUE(want.count(id)) << query << ": row " << id;
      if (only_tag >= 0) EXPECT_EQ(id % 3, only_tag);
      EXPECT_NEAR(hit.distance, want[id], 1e-4 * std::max(1.0, want[id]));
      const double rank = best[i + static_cast<size_t>(req.offset)];
      EXPECT_NEAR(hit.distance, rank, 1e-4 * std::max(1.0, rank)) << query;
    }
  }

  std::map<int64_t, std::string> docs_;
  std::unique_ptr<server::Server> server_;
  std::unique_ptr<Client> client_;
};

TEST_P(Bm25ConformanceTest, DescribeShowsAnalyzerAndFunction) {
  MakeCollection();
  auto d = client().DescribeCollection("docs");
  ASSERT_THAT(d, IsOk());
  ASSERT_EQ(d->schema.fields.size(), 4u);
  const FieldSchema& text = d->schema.fields[1];
  EXPECT_TRUE(text.enable_analyzer);
  EXPECT_TRUE(text.enable_match);
  EXPECT_EQ(text.analyzer_params, kAnalyzer);
  EXPECT_TRUE(d->schema.fields[3].is_function_output);
  EXPECT_FALSE(d->schema.fields[2].is_function_output);
  ASSERT_EQ(d->schema.functions.size(), 1u);
  const FunctionSchema& fn = d->schema.functions[0];
  EXPECT_EQ(fn.name, "text_bm25");
  EXPECT_EQ(fn.type, FunctionType::kBM25);
  EXPECT_EQ(fn.input_field_names, std::vector<std::string>{"text"});
  EXPECT_EQ(fn.output_field_names, std::vector<std::string>{"sparse"});
}

TEST_P(Bm25ConformanceTest, TextSearchScoresAreBm25) {
  MakeCollection();
  SearchRequest req;
  req.limit = 10;
  for (const char* q :
       {"free software", "the source code of the program",
        "warranty liability damages", "Licensing patents", "conveying"}) {
    ExpectReference(q, req, 1.2, 0.75);
  }
  // Search-time k1 and b override the index's.
  req.params["bm25_k1"] = Value(2.0);
  req.params["bm25_b"] = Value(0.3);
  ExpectReference("copyright holders and licensees", req, 2.0, 0.3);
}

TEST_P(Bm25ConformanceTest, FiltersOffsetsAndOutputFields) {
  MakeCollection();
  SearchRequest req;
  req.limit = 5;
  req.filter = "tag == 1";
  ExpectReference("object code", req, 1.2, 0.75, /*only_tag=*/1);
  req.filter.clear();
  req.offset = 3;
  ExpectReference("object code", req, 1.2, 0.75);

  // "*" leaves the BM25 output out; naming it is refused (as Milvus).
  SearchRequest out;
  out.collection_name = "docs";
  out.anns_field = "sparse";
  out.texts = {"patent license", "installation information"};
  out.limit = 3;
  out.output_fields = {"*"};
  auto results = client().Search(out);
  ASSERT_THAT(results, IsOk());
  ASSERT_EQ(results->hits.size(), 2u);
  for (const auto& hits : results->hits) {
    ASSERT_FALSE(hits.empty());
    for (const Hit& hit : hits) {
      EXPECT_EQ(hit.entity.count("sparse"), 0u);
      ASSERT_EQ(hit.entity.count("text"), 1u);
      EXPECT_EQ(hit.entity.at("text").AsString(), docs_[hit.id.AsInt()]);
      EXPECT_EQ(hit.entity.at("tag").AsInt(), hit.id.AsInt() % 3);
    }
  }
  out.output_fields = {"sparse"};
  EXPECT_THAT(client().Search(out),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("not allowed to retrieve raw data of field "
                                 "sparse (the output of a BM25 function)")));
  QueryRequest query;
  query.collection_name = "docs";
  query.filter = "id < 3";
  query.output_fields = {"*"};
  auto rows = client().Query(query);
  ASSERT_THAT(rows, IsOk());
  ASSERT_EQ(rows->size(), 3u);
  for (const Row& row : *rows) EXPECT_EQ(row.count("sparse"), 0u);
}

// Grouping a full-text search (group_by_field, Milvus 2.5): the groups are
// the walk over the plain search's order (checked against the reference
// above; rows of equal score keep that order), best first, with filters,
// an offset over groups and each hit's group value.
TEST_P(Bm25ConformanceTest, GroupedSearchWalksTheRanking) {
  MakeCollection();
  struct Variant {
    int64_t limit, offset, size;
    bool strict;
    std::string filter;
  };
  for (const Variant& v :
       {Variant{3, 0, 1, false, ""}, Variant{2, 1, 4, true, ""},
        Variant{2, 0, 3, true, "id > 20"}}) {
    SCOPED_TRACE(absl::StrCat("limit ", v.limit, " offset ", v.offset, " size ",
                              v.size, " filter '", v.filter, "'"));
    SearchRequest req;
    req.collection_name = "docs";
    req.anns_field = "sparse";
    req.texts = {"free software", "warranty of the program"};
    req.filter = v.filter;
    req.limit = 1000;  // every row sharing a term
    ASSERT_OK_AND_ASSIGN(SearchResults plain, client().Search(req));
    req.limit = v.limit;
    req.offset = v.offset;
    req.group_by_field = "tag";
    req.group_size = v.size;
    req.strict_group_size = v.strict;
    req.output_fields = {"tag"};
    ASSERT_OK_AND_ASSIGN(SearchResults got, client().Search(req));
    ASSERT_EQ(got.hits.size(), 2u);
    for (size_t q = 0; q < 2; ++q) {
      const std::map<int64_t, double> want_scores =
          Reference(docs_, req.texts[q], 1.2, 0.75);
      std::vector<int64_t> tags;
      std::map<int64_t, std::vector<int64_t>> groups;
      for (const Hit& hit : plain.hits[q]) {
        const int64_t tag = hit.id.AsInt() % 3;
        if (groups.count(tag) == 0) {
          if (static_cast<int64_t>(tags.size()) == v.limit + v.offset) {
            continue;
          }
          tags.push_back(tag);
        }
        auto& g = groups[tag];
        if (static_cast<int64_t>(g.size()) < v.size) {
          g.push_back(hit.id.AsInt());
        }
      }
      std::vector<int64_t> want;
      for (size_t t = static_cast<size_t>(v.offset); t < tags.size(); ++t) {
        for (int64_t id : groups[tags[t]]) want.push_back(id);
      }
      ASSERT_FALSE(want.empty());
      const auto& hits = got.hits[q];
      ASSERT_EQ(hits.size(), want.size()) << "query " << q;
      for (size_t i = 0; i < hits.size(); ++i) {
        const int64_t id = hits[i].id.AsInt();
        EXPECT_EQ(id, want[i]) << "query " << q << " hit " << i;
        ASSERT_EQ(want_scores.count(id), 1u);
        EXPECT_NEAR(hits[i].distance, want_scores.at(id),
                    1e-4 * std::max(1.0, want_scores.at(id)));
        EXPECT_EQ(hits[i].group_by_value, Value(id % 3));
        EXPECT_EQ(hits[i].entity.at("tag"), hits[i].group_by_value);
        if (!v.filter.empty()) EXPECT_GT(id, 20);
      }
    }
  }
}

TEST_P(Bm25ConformanceTest, TextMatchFilters) {
  MakeCollection();
  auto analyzer = engine::text::Analyzer::Make(kAnalyzer);
  auto holds_any = [&](const std::string& text, const std::string& words) {
    std::vector<std::string> q = (*analyzer)->Analyze(words);
    for (const std::string& t : (*analyzer)->Analyze(text)) {
      if (std::find(q.begin(), q.end(), t) != q.end()) return true;
    }
    return false;
  };
  QueryRequest query;
  query.collection_name = "docs";
  query.filter = "TEXT_MATCH(text, 'patents warranty') and tag != 2";
  query.output_fields = {"text", "tag"};
  auto rows = client().Query(query);
  ASSERT_THAT(rows, IsOk());
  std::set<int64_t> got;
  for (const Row& row : *rows) got.insert(row.at("id").AsInt());
  std::set<int64_t> want;
  for (const auto& [id, text] : docs_) {
    if (id % 3 != 2 && holds_any(text, "patents warranty")) want.insert(id);
  }
  EXPECT_FALSE(want.empty());
  EXPECT_EQ(got, want);
  // In a full-text search's filter.
  SearchRequest req;
  req.collection_name = "docs";
  req.anns_field = "sparse";
  req.texts = {"source code"};
  req.limit = 50;
  req.filter = "text_match(text, {w})";
  req.filter_params["w"] = Value("license");
  auto results = client().Search(req);
  ASSERT_THAT(results, IsOk());
  ASSERT_FALSE(results->hits[0].empty());
  for (const Hit& hit : results->hits[0]) {
    EXPECT_TRUE(holds_any(docs_[hit.id.AsInt()], "license"));
  }
  // A field without enable_match is refused, naming it.
  query.filter = "TEXT_MATCH(tag, 'x')";
  EXPECT_THAT(client().Query(query),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("field 'tag' has no enable_match")));
}

TEST_P(Bm25ConformanceTest, DeletesAndUpsertsChangeTheStatistics) {
  MakeCollection();
  DeleteRequest del;
  del.collection_name = "docs";
  del.filter = "id < 20";
  ASSERT_THAT(client().Delete(del), IsOk());
  for (int64_t id = 0; id < 20; ++id) docs_.erase(id);
  docs_[25] = "free free free software, free as in freedom";
  ASSERT_THAT(client().Upsert("docs", {{{"id", Value(int64_t{25})},
                                        {"text", Value(docs_[25])},
                                        {"tag", Value(int64_t{1})}}}),
              IsOk());
  SearchRequest req;
  req.limit = 10;
  ExpectReference("free software freedom", req, 1.2, 0.75);
}

TEST_P(Bm25ConformanceTest, Refusals) {
  MakeCollection();
  // The client never gives the output of a function.
  Row row{{"id", Value(int64_t{100000})},
          {"text", Value("hello")},
          {"tag", Value(int64_t{0})},
          {"sparse", Value::Sparse({{1}, {1.0f}})}};
  EXPECT_THAT(
      client().Insert("docs", {row}),
      StatusIs(absl::StatusCode::kInvalidArgument,
               HasSubstr("'sparse': unexpected function output field")));
  // A BM25 field is searched with texts; texts need a BM25 field.
  SearchRequest req;
  req.collection_name = "docs";
  req.anns_field = "sparse";
  req.sparse_vectors = {Value::Sparse({{1}, {1.0f}}).AsSparseVector()};
  EXPECT_THAT(client().Search(req),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("search it with query texts")));
  req.sparse_vectors.clear();
  req.texts = {"software"};
  // A dense index's key is accepted without effect, as Milvus does (the
  // Node SDK's FullTextSearch spec sends nprobe to a BM25 field).
  ASSERT_OK_AND_ASSIGN(SearchResults plain, client().Search(req));
  req.params["nprobe"] = Value(int64_t{8});
  ASSERT_OK_AND_ASSIGN(SearchResults with_nprobe, client().Search(req));
  ASSERT_EQ(with_nprobe.hits.size(), 1u);
  ASSERT_EQ(with_nprobe.hits[0].size(), plain.hits[0].size());
  for (size_t i = 0; i < plain.hits[0].size(); ++i) {
    EXPECT_EQ(with_nprobe.hits[0][i].id, plain.hits[0][i].id);
    EXPECT_EQ(with_nprobe.hits[0][i].distance, plain.hits[0][i].distance);
  }
  req.params = {{"search_k", Value(int64_t{8})}};
  EXPECT_THAT(client().Search(req),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("search param 'search_k'")));
  req.params.clear();
  req.params["bm25_k1"] = Value(7.0);
  EXPECT_THAT(client().Search(req),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("'bm25_k1': expected 0 to 3")));
  req.params.clear();
  req.metric_type = MetricType::kIP;
  EXPECT_THAT(client().Search(req), StatusIs(absl::StatusCode::kInvalidArgument,
                                             HasSubstr("the index uses BM25")));

  // Analyzers Cove does not have are refused, naming them.
  CollectionSchema schema = Schema();
  schema.fields[1].analyzer_params = R"({"type": "chinese"})";
  EXPECT_THAT(
      client().CreateCollection("other", schema),
      StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("chinese")));
  schema.fields[1].analyzer_params =
      R"({"tokenizer": "standard", "filter": ["lowercase", "decompounder"]})";
  EXPECT_THAT(
      client().CreateCollection("other", schema),
      StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("decompounder")));
  // A BM25 function reads an analyzed VARCHAR.
  schema = Schema();
  schema.fields[1].enable_analyzer = false;
  schema.fields[1].enable_match = false;
  schema.fields[1].analyzer_params.clear();
  EXPECT_THAT(client().CreateCollection("other", schema),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("enable_analyzer")));
}

TEST_P(Bm25ConformanceTest, StandardAnalyzerWithStopWords) {
  CollectionSchema schema = Schema();
  schema.fields[1].analyzer_params =
      R"({"type": "standard", "stop_words": ["the", "of"]})";
  ASSERT_THAT(client().CreateCollection("std", schema), IsOk());
  IndexSpec index;
  index.field_name = "sparse";
  index.index_type = std::get<1>(GetParam());
  index.metric_type = MetricType::kBM25;
  ASSERT_THAT(client().CreateIndex("std", index), IsOk());
  ASSERT_THAT(client().LoadCollection("std"), IsOk());
  ASSERT_THAT(
      client().Insert("std", {{{"id", Value(int64_t{1})},
                               {"text", Value("The Running of the Dogs")},
                               {"tag", Value(int64_t{0})}},
                              {{"id", Value(int64_t{2})},
                               {"text", Value("the dog runs")},
                               {"tag", Value(int64_t{0})}}}),
      IsOk());
  SearchRequest req;
  req.collection_name = "std";
  req.anns_field = "sparse";
  req.limit = 5;
  // No stemming: "running" matches row 1 only; a stop word matches none.
  req.texts = {"running", "THE of", "dogs"};
  auto results = client().Search(req);
  ASSERT_THAT(results, IsOk());
  ASSERT_EQ(results->hits.size(), 3u);
  ASSERT_EQ(results->hits[0].size(), 1u);
  EXPECT_EQ(results->hits[0][0].id.AsInt(), 1);
  EXPECT_TRUE(results->hits[1].empty());
  ASSERT_EQ(results->hits[2].size(), 1u);
  EXPECT_EQ(results->hits[2][0].id.AsInt(), 1);
}

INSTANTIATE_TEST_SUITE_P(
    Backends, Bm25ConformanceTest,
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
