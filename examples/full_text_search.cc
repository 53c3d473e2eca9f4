// Full-text search (BM25): a VARCHAR field with the English analyzer feeds a
// BM25 function; the engine fills its sparse output at insert; searches take
// raw query texts, with a filter and search-time BM25 parameters; a
// TEXT_MATCH filter; and a hybrid search fusing BM25 with a dense search
// (RRF), RAG style. The dense vectors come from a small hashed
// bag-of-words embedding so that the example needs no model.
//
// The documents are the paragraphs of a real text (the GPL-3, from
// /usr/share/common-licenses, or a file given as the second argument).
// Runs embedded (first argument: a data directory, default ":memory:") and
// exits non-zero when a result is not what BM25 gives.
#include <cctype>
#include <cmath>
#include <cstdlib>
#include <fstream>
#include <functional>
#include <iostream>
#include <sstream>
#include <string>
#include <vector>

#include "cove/cove.h"

namespace {

int Fail(const std::string& what) {
  std::cerr << "full_text_search: " << what << "\n";
  return 1;
}

std::vector<std::string> Paragraphs(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  const std::string text = ss.str();
  std::vector<std::string> out;
  size_t start = 0;
  while (start < text.size()) {
    size_t end = text.find("\n\n", start);
    if (end == std::string::npos) end = text.size();
    std::string p = text.substr(start, end - start);
    if (p.size() > 20) out.push_back(p);
    start = end + 2;
  }
  return out;
}

std::string Snippet(const std::string& text) {
  std::string s = text.substr(0, 70);
  for (char& c : s) {
    if (c == '\n') c = ' ';
  }
  return s + (text.size() > 70 ? "..." : "");
}

constexpr int64_t kDim = 32;

// A unit vector of hashed word counts (a stand-in for an embedding model).
std::vector<float> Embed(const std::string& text) {
  std::vector<float> v(kDim, 0.0f);
  std::string word;
  auto flush = [&] {
    if (!word.empty()) v[std::hash<std::string>()(word) % kDim] += 1.0f;
    word.clear();
  };
  for (char c : text) {
    if (std::isalpha(static_cast<unsigned char>(c))) {
      word += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    } else {
      flush();
    }
  }
  flush();
  float n = 0;
  for (float x : v) n += x * x;
  n = n > 0 ? std::sqrt(n) : 1.0f;
  for (float& x : v) x /= n;
  return v;
}

}  // namespace

int main(int argc, char** argv) {
  const std::string uri = argc > 1 ? argv[1] : ":memory:";
  const std::string corpus_path =
      argc > 2 ? argv[2] : "/usr/share/common-licenses/GPL-3";
  const std::vector<std::string> docs = Paragraphs(corpus_path);
  if (docs.size() < 10) return Fail("no text in " + corpus_path);

  auto client = cove::Client::Open(uri);
  if (!client.ok()) return Fail(client.status().ToString());

  // id, the text (English analyzer: stop words, stemming), a section
  // number to filter on, and the BM25 output field.
  cove::CollectionSchema schema;
  cove::FieldSchema id;
  id.name = "id";
  id.type = cove::DataType::kInt64;
  id.is_primary_key = true;
  cove::FieldSchema text;
  text.name = "text";
  text.type = cove::DataType::kVarChar;
  text.max_length = 65535;
  text.enable_analyzer = true;
  text.analyzer_params = R"({"type": "english"})";
  text.enable_match = true;
  cove::FieldSchema dense;
  dense.name = "dense";
  dense.type = cove::DataType::kFloatVector;
  dense.dim = kDim;
  cove::FieldSchema section;
  section.name = "section";
  section.type = cove::DataType::kInt64;
  cove::FieldSchema sparse;
  sparse.name = "sparse";
  sparse.type = cove::DataType::kSparseFloatVector;
  cove::FunctionSchema bm25;
  bm25.name = "text_bm25";
  bm25.type = cove::FunctionType::kBM25;
  bm25.input_field_names = {"text"};
  bm25.output_field_names = {"sparse"};
  schema.AddField(id)
      .AddField(text)
      .AddField(section)
      .AddField(sparse)
      .AddField(dense);
  schema.AddFunction(bm25);

  cove::IndexSpec index;
  index.field_name = "sparse";
  index.index_type = cove::IndexType::kSparseInvertedIndex;
  index.metric_type = cove::MetricType::kBM25;
  index.params = {{"bm25_k1", "1.2"}, {"bm25_b", "0.75"}};
  cove::IndexSpec dense_index;
  dense_index.field_name = "dense";
  dense_index.index_type = cove::IndexType::kFlat;
  dense_index.metric_type = cove::MetricType::kCosine;
  if (auto s =
          client->CreateCollection("license", schema, {index, dense_index});
      !s.ok()) {
    return Fail(s.ToString());
  }

  // Rows carry the text only: the engine computes the sparse field.
  std::vector<cove::Row> rows;
  for (size_t i = 0; i < docs.size(); ++i) {
    rows.push_back({{"id", cove::Value(static_cast<int64_t>(i))},
                    {"text", cove::Value(docs[i])},
                    {"section", cove::Value(static_cast<int64_t>(i / 20))},
                    {"dense", cove::Value::FloatVector(Embed(docs[i]))}});
  }
  auto inserted = client->Insert("license", std::move(rows));
  if (!inserted.ok()) return Fail(inserted.status().ToString());
  std::cout << "inserted " << inserted->count << " paragraphs\n";

  cove::SearchRequest req;
  req.collection_name = "license";
  req.anns_field = "sparse";
  req.texts = {"patent license granted to you", "no warranty for the program"};
  req.limit = 3;
  req.output_fields = {"text", "section"};
  auto results = client->Search(req);
  if (!results.ok()) return Fail(results.status().ToString());
  for (size_t q = 0; q < req.texts.size(); ++q) {
    std::cout << "query: " << req.texts[q] << "\n";
    if (results->hits[q].empty()) return Fail("no hits for a query");
    float last = results->hits[q][0].distance;
    for (const cove::Hit& hit : results->hits[q]) {
      if (hit.distance > last || hit.distance <= 0) {
        return Fail("hits not in decreasing BM25 order");
      }
      last = hit.distance;
      std::cout << "  " << hit.id.ToJson() << "  score " << hit.distance << "  "
                << Snippet(hit.entity.at("text").AsString()) << "\n";
    }
  }

  // Stemming: "warranties" and "warranty" are one term, so the best hit
  // of either spelling is the same paragraph.
  req.texts = {"warranties"};
  req.filter = "section >= 1";
  req.params = {{"bm25_k1", cove::Value(1.5)}, {"bm25_b", cove::Value(0.5)}};
  auto plural = client->Search(req);
  req.texts = {"warranty"};
  auto singular = client->Search(req);
  if (!plural.ok()) return Fail(plural.status().ToString());
  if (!singular.ok()) return Fail(singular.status().ToString());
  if (plural->hits[0].empty() ||
      plural->hits[0][0].id != singular->hits[0][0].id ||
      plural->hits[0][0].entity.at("section").AsInt() < 1) {
    return Fail("stemmed search disagrees or ignores the filter");
  }
  std::cout << "'warranties' and 'warranty' both find paragraph "
            << plural->hits[0][0].id.ToJson() << " (section >= 1)\n";

  // TEXT_MATCH: the paragraphs holding any of the words (stemmed).
  cove::QueryRequest match;
  match.collection_name = "license";
  match.filter = "TEXT_MATCH(text, 'patents') and section < 3";
  match.output_fields = {"text"};
  auto matched = client->Query(match);
  if (!matched.ok()) return Fail(matched.status().ToString());
  for (const cove::Row& row : *matched) {
    if (row.at("text").AsString().find("atent") == std::string::npos) {
      return Fail("TEXT_MATCH returned a paragraph without the word");
    }
  }
  std::cout << "paragraphs of sections 0-2 mentioning patents: "
            << matched->size() << "\n";

  // Hybrid (RAG style): BM25 on the question's words and a dense search on
  // its embedding, fused by reciprocal rank.
  const std::string question = "Can I charge a fee for conveying copies?";
  cove::HybridSearchRequest hybrid;
  hybrid.collection_name = "license";
  cove::SearchRequest by_words;
  by_words.anns_field = "sparse";
  by_words.texts = {question};
  by_words.limit = 20;
  cove::SearchRequest by_meaning;
  by_meaning.anns_field = "dense";
  by_meaning.vectors = Embed(question);
  by_meaning.dim = kDim;
  by_meaning.limit = 20;
  hybrid.requests = {by_words, by_meaning};
  hybrid.ranker = cove::Ranker::RRF(60);
  hybrid.limit = 3;
  hybrid.output_fields = {"text"};
  auto fused = client->HybridSearch(hybrid);
  if (!fused.ok()) return Fail(fused.status().ToString());
  if (fused->hits.size() != 1 || fused->hits[0].empty()) {
    return Fail("no hybrid hits");
  }
  std::cout << "hybrid (RRF): " << question << "\n";
  float last = 2.0f / 61.0f + 1e-6f;  // the best possible RRF score
  for (const cove::Hit& hit : fused->hits[0]) {
    if (hit.distance > last) return Fail("fused scores out of order");
    last = hit.distance;
    std::cout << "  " << hit.id.ToJson() << "  score " << hit.distance << "  "
              << Snippet(hit.entity.at("text").AsString()) << "\n";
  }
  return 0;
}
