// BM25 in the engine: a VARCHAR field with an analyzer, a BM25 function
// that fills a sparse field at insert, and BM25 search with raw text, on a
// real text corpus (the paragraphs of the GPL-3 in /usr/share/common-
// licenses). Scores are checked against an independent computation of the
// formula in doubles from the raw token counts, with exact corpus
// statistics across growing and sealed segments, deletes and a snapshot
// round trip.
#include <algorithm>
#include <cmath>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/str_split.h"
#include "common/bytes.h"
#include "engine/build_pool.h"
#include "engine/collection.h"
#include "engine/text/analyzer.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "testing/status_matchers.h"

namespace cove::engine {
namespace {
namespace bm25_collection_test {

using ::cove::testing::IsOk;
using ::cove::testing::StatusIs;
using ::testing::HasSubstr;

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

Schema Bm25Schema() {
  Schema s;
  FieldDef id;
  id.name = "id";
  id.type = DataType::kInt64;
  id.is_primary_key = true;
  s.fields.push_back(id);
  FieldDef text;
  text.name = "text";
  text.type = DataType::kVarChar;
  text.max_length = 65535;
  text.enable_analyzer = true;
  text.analyzer_params = kAnalyzer;
  s.fields.push_back(text);
  FieldDef sp;
  sp.name = "sparse";
  sp.type = DataType::kSparseFloatVector;
  sp.is_function_output = true;
  s.fields.push_back(sp);
  FunctionDef fn;
  fn.name = "bm25";
  fn.kind = FunctionKind::kBM25;
  fn.input_fields = {"text"};
  fn.output_fields = {"sparse"};
  s.functions.push_back(fn);
  return s;
}

// The reference: BM25 over the live documents, from the analyzer's tokens
// (the analyzer is tested on its own), in doubles.
std::map<int64_t, double> ReferenceScores(
    const std::map<int64_t, std::string>& docs, const std::string& query,
    double k1, double b) {
  auto analyzer = text::Analyzer::Make(kAnalyzer);
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
      double df = 0;
      for (const auto& [other, counts] : tf) df += counts.count(t) ? 1 : 0;
      auto it = tf[id].find(t);
      if (it == tf[id].end()) continue;
      shares = true;
      const double idf = std::log(1 + (n - df + 0.5) / (df + 0.5));
      const double f = it->second;
      score += qc * idf * f * (k1 + 1) / (f + k1 * (1 - b + b * dl / avgdl));
    }
    if (shares) out[id] = score;
  }
  return out;
}

void ExpectMatchesReference(const Collection& c,
                            const std::map<int64_t, std::string>& docs,
                            const std::string& query, size_t k, double k1,
                            double b, SparseSearchSpec spec = {}) {
  spec.texts = {query};
  spec.k = k;
  auto hits = c.Search(spec);
  ASSERT_THAT(hits.status(), IsOk());
  std::map<int64_t, double> want = ReferenceScores(docs, query, k1, b);
  std::vector<double> best;
  for (const auto& [id, s] : want) best.push_back(s);
  std::sort(best.rbegin(), best.rend());
  ASSERT_EQ(hits->hits[0].size(), std::min(k, want.size())) << query;
  for (size_t i = 0; i < hits->hits[0].size(); ++i) {
    const auto& hit = hits->hits[0][i];
    const int64_t id = c.ValueAt(*hits->state, hit.ref, 0).AsInt();
    ASSERT_TRUE(want.count(id)) << query << ": row " << id;
    EXPECT_NEAR(hit.score, want[id], 1e-4 * std::max(1.0, want[id]))
        << query << ": row " << id;
    // The top k of the reference (scores; equal scores may swap rows).
    EXPECT_NEAR(hit.score, best[i], 1e-4 * std::max(1.0, best[i])) << query;
  }
}

std::unique_ptr<Collection> Make(IndexKind kind,
                                 std::map<std::string, std::string> params) {
  CollectionContext context;
  context.segments.seal_rows = 40;
  context.pool = std::make_shared<BuildPool>(2);
  auto c = Collection::Create("docs", Bm25Schema(), 0, std::move(context));
  EXPECT_THAT(c.status(), IsOk());
  IndexDef def;
  def.field_name = "sparse";
  def.kind = kind;
  def.metric = Metric::kBM25;
  def.params = std::move(params);
  EXPECT_THAT((*c)->CreateIndex(def), IsOk());
  EXPECT_THAT((*c)->Load(), IsOk());
  return *std::move(c);
}

const char* const kQueries[] = {"free software",
                                "copyright license terms",
                                "the source code",
                                "warranty of any kind",
                                "patent claims",
                                "modified versions",
                                "installation information for user products",
                                "zebra"};

class Bm25CollectionTest : public ::testing::TestWithParam<IndexKind> {};

TEST_P(Bm25CollectionTest, ScoresEqualTheReferenceAcrossSegmentsAndDeletes) {
  const std::vector<std::string> corpus = Corpus();
  ASSERT_GT(corpus.size(), 100u) << "GPL-3 text not found";
  auto c = Make(GetParam(), {});
  std::map<int64_t, std::string> docs;
  std::vector<std::vector<Value>> rows;
  for (size_t i = 0; i < corpus.size(); ++i) {
    docs[static_cast<int64_t>(i)] = corpus[i];
    rows.push_back({Value(static_cast<int64_t>(i)), Value(corpus[i]), Value()});
    if (rows.size() == 25) {
      ASSERT_THAT(c->Insert(std::move(rows), "", false).status(), IsOk());
      rows.clear();
    }
  }
  ASSERT_THAT(c->Insert(std::move(rows), "", false).status(), IsOk());
  c->WaitForIndexBuilds();
  for (const char* q : kQueries)
    ExpectMatchesReference(*c, docs, q, 10, 1.2, 0.75);

  // Deletes and an upsert change the statistics exactly.
  DeleteSpec del;
  for (int64_t id = 0; id < static_cast<int64_t>(corpus.size()); id += 4) {
    del.ids.push_back(Value(id));
    docs.erase(id);
  }
  ASSERT_THAT(c->Delete(del).status(), IsOk());
  docs[1] = "free software free software free";
  ASSERT_THAT(c->Insert({{Value(int64_t{1}), Value(docs[1]), Value()}}, "",
                        /*upsert=*/true)
                  .status(),
              IsOk());
  c->WaitForIndexBuilds();
  for (const char* q : kQueries)
    ExpectMatchesReference(*c, docs, q, 10, 1.2, 0.75);

  // Search-time k1 and b.
  SparseSearchSpec spec;
  spec.bm25_k1 = 1.5f;
  spec.bm25_b = 0.3f;
  ExpectMatchesReference(*c, docs, "free software license", 15, 1.5, 0.3, spec);

  // A snapshot keeps the rows, the statistics and the index.
  internal::ByteWriter w;
  c->Serialize(&w);
  const std::string bytes = w.Take();
  internal::ByteReader r(bytes);
  CollectionContext context;
  context.pool = std::make_shared<BuildPool>(1);
  auto back = Collection::Deserialize(&r, kCollectionFormatV3, context);
  ASSERT_THAT(back.status(), IsOk());
  (*back)->WaitForIndexBuilds();
  for (const char* q : kQueries) {
    ExpectMatchesReference(**back, docs, q, 10, 1.2, 0.75);
  }
}

INSTANTIATE_TEST_SUITE_P(Kinds, Bm25CollectionTest,
                         ::testing::Values(IndexKind::kSparseInvertedIndex,
                                           IndexKind::kSparseWand));

TEST(Bm25Collection, IndexParamsAndRefusals) {
  const std::vector<std::string> corpus = Corpus();
  ASSERT_GT(corpus.size(), 100u);
  auto c = Make(IndexKind::kSparseInvertedIndex,
                {{"bm25_k1", "1.8"}, {"bm25_b", "0.5"}});
  std::map<int64_t, std::string> docs;
  std::vector<std::vector<Value>> rows;
  for (size_t i = 0; i < 60; ++i) {
    docs[static_cast<int64_t>(i)] = corpus[i];
    rows.push_back({Value(static_cast<int64_t>(i)), Value(corpus[i]), Value()});
  }
  ASSERT_THAT(c->Insert(std::move(rows), "", false).status(), IsOk());
  ExpectMatchesReference(*c, docs, "software license", 10, 1.8, 0.5);

  SparseSearchSpec vectors;
  vectors.queries = {SparseVector{{1}, {1.0f}}};
  EXPECT_THAT(
      c->Search(vectors).status(),
      StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("query texts")));
  SparseSearchSpec ip;
  ip.texts = {"free"};
  ip.metric = Metric::kIP;
  EXPECT_THAT(c->Search(ip).status(),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("BM25")));

  // The index of a BM25 output must use BM25.
  auto other = Collection::Create("o", Bm25Schema(), 0, CollectionContext{});
  ASSERT_THAT(other.status(), IsOk());
  IndexDef def;
  def.field_name = "sparse";
  def.kind = IndexKind::kSparseWand;
  def.metric = Metric::kIP;
  EXPECT_THAT((*other)->CreateIndex(def),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("BM25")));
  // A function whose input has no analyzer is refused.
  Schema bad = Bm25Schema();
  bad.fields[1].enable_analyzer = false;
  bad.fields[1].analyzer_params.clear();
  EXPECT_THAT(Collection::Create("b", bad, 0, CollectionContext{}).status(),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("enable_analyzer")));
}

}  // namespace bm25_collection_test
}  // namespace
}  // namespace cove::engine
