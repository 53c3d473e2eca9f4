// Full-text benchmark: BM25 top-10 queries and indexing over WordNet's
// glosses (Debian's wordnet-base, about 117,000 synsets: one document per
// synset, its words then its gloss), against SQLite FTS5's bm25() and
// Xapian's BM25Weight on the same documents and queries; then dense + BM25
// hybrid search latency against the two searches and a client-side RRF.
//
// Same terms everywhere: every document is analyzed once by Cove's english
// analyzer (ICU words, lowercase, Lucene's English stop words, Snowball
// English stemmer). Cove is given the raw text (it analyzes at insert and at
// query time, as a user reaches it); the peers are given those tokens, so
// that all three index the same terms with the same document lengths (their
// own tokenizers would split and stem differently: FTS5's porter is the
// original Porter stemmer, without stop words). A token that is not [a-z0-9]+
// is spelled as hex for FTS5's unicode61 tokenizer, which would split it.
// What the peers' time does not hold, analysis, is timed on its own.
//
// BM25 differences (k1 = 1.2, b = 0.75 everywhere): Cove, like Milvus and
// Lucene, has idf = ln(1 + (N - df + 0.5) / (df + 0.5)); FTS5 and Xapian
// have ln((N - df + 0.5) / (df + 0.5)) (FTS5 floors it at 1e-6, Xapian maps
// x < 2 to x / 2 + 1 first). Xapian gets min_normlen 0, so that lengths are
// not clamped. Their top-10 may therefore differ from the reference; the
// reference BM25 (doubles, from token strings, term at a time over every
// posting) must agree with Cove's: each of Cove's hits has the reference
// score of its rank.
//
// Queries: 2 to 5 words (--query-words) drawn from the gloss of a random
// document, kept when they analyze to distinct terms (at least one). One query
// per request, one thread; QPS from the thread's CPU time (median of --reps),
// wall time too.
//
//   fulltext_benchmark [--queries 1000] [--reps 3] [--docs 0 (all)]
//       [--wordnet /usr/share/wordnet] [--tmp /tmp] [--hybrid 1]
//       [--peers 1] [--dense-dim 64] [--query-words 2-5]
#include <sqlite3.h>
#include <time.h>
#include <unistd.h>
#include <xapian.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <memory>
#include <random>
#include <set>
#include <sstream>
#include <string>
#include <unordered_map>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "embedded/requests.h"
#include "engine/build_pool.h"
#include "engine/collection.h"
#include "engine/sparse/sparse.h"
#include "engine/sparse/sparse_index.h"
#include "engine/text/analyzer.h"

namespace cove::bench {
namespace {

constexpr char kAnalyzer[] = R"({"type": "english"})";
constexpr size_t kTopK = 10;
constexpr double kK1 = 1.2;
constexpr double kB = 0.75;

double ThreadSeconds() {
  timespec ts;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + ts.tv_nsec * 1e-9;
}

double WallSeconds() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<double>(ts.tv_sec) + ts.tv_nsec * 1e-9;
}

struct Options {
  size_t nq = 1000;
  int reps = 3;
  size_t max_docs = 0;
  std::string wordnet = "/usr/share/wordnet";
  std::string tmp = "/tmp";
  bool hybrid = true;
  bool peers = true;
  size_t dense_dim = 64;
  size_t min_words = 2;  // words drawn per query
  size_t max_words = 5;
};

// One document per synset line of data.{noun,verb,adj,adv}: its words
// (underscores as spaces) and its gloss.
struct Corpus {
  std::vector<std::string> text;
  std::vector<std::string> gloss;
};

Corpus LoadWordNet(const Options& opt) {
  Corpus c;
  for (const char* pos : {"noun", "verb", "adj", "adv"}) {
    std::ifstream in(opt.wordnet + "/data." + pos);
    if (!in) {
      std::fprintf(stderr,
                   "cannot read %s/data.%s (apt install wordnet-base)\n",
                   opt.wordnet.c_str(), pos);
      std::exit(2);
    }
    std::string line;
    while (std::getline(in, line)) {
      if (line.empty() || line[0] == ' ') continue;  // the license header
      const size_t bar = line.find(" | ");
      if (bar == std::string::npos) continue;
      std::istringstream fields(line.substr(0, bar));
      std::string offset, lex, type, count_hex;
      fields >> offset >> lex >> type >> count_hex;
      const int words = std::stoi(count_hex, nullptr, 16);
      std::string text;
      for (int w = 0; w < words; ++w) {
        std::string word, lex_id;
        fields >> word >> lex_id;
        std::replace(word.begin(), word.end(), '_', ' ');
        text += word;
        text += ' ';
      }
      std::string gloss = line.substr(bar + 3);
      while (!gloss.empty() && gloss.back() == ' ') gloss.pop_back();
      text += gloss;
      c.text.push_back(std::move(text));
      c.gloss.push_back(std::move(gloss));
      if (opt.max_docs > 0 && c.text.size() >= opt.max_docs) return c;
    }
  }
  return c;
}

// A token as FTS5's unicode61 tokenizer keeps it whole.
std::string PeerToken(const std::string& token) {
  bool plain = !token.empty();
  for (char ch : token) {
    plain &= (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9');
  }
  if (plain) return token;
  static const char kHex[] = "0123456789abcdef";
  std::string out = "zz";
  for (unsigned char ch : token) {
    out += kHex[ch >> 4];
    out += kHex[ch & 15];
  }
  return out;
}

using Ids = std::vector<int64_t>;

// The reference: BM25 in doubles from token strings, every posting scored.
class Reference {
 public:
  explicit Reference(const std::vector<std::vector<std::string>>& docs) {
    doc_len_.resize(docs.size());
    double total = 0;
    for (size_t d = 0; d < docs.size(); ++d) {
      absl::flat_hash_map<std::string, int> tf;
      for (const std::string& t : docs[d]) ++tf[t];
      for (const auto& [t, n] : tf) {
        postings_[t].push_back({static_cast<uint32_t>(d), n});
      }
      doc_len_[d] = static_cast<double>(docs[d].size());
      total += doc_len_[d];
    }
    avgdl_ = total / static_cast<double>(docs.size());
  }

  // Every scored document's score.
  absl::flat_hash_map<int64_t, double> Scores(
      const std::vector<std::string>& terms) const {
    absl::flat_hash_map<int64_t, double> out;
    const double n = static_cast<double>(doc_len_.size());
    for (const std::string& t : terms) {
      auto it = postings_.find(t);
      if (it == postings_.end()) continue;
      const double df = static_cast<double>(it->second.size());
      const double idf = std::log(1 + (n - df + 0.5) / (df + 0.5));
      for (const auto& [d, f] : it->second) {
        const double norm = kK1 * (1 - kB + kB * doc_len_[d] / avgdl_);
        out[d] += idf * f * (kK1 + 1) / (f + norm);
      }
    }
    return out;
  }

  // The top k scores, best first (ties: lower id).
  static std::vector<std::pair<double, int64_t>> Top(
      const absl::flat_hash_map<int64_t, double>& scores, size_t k) {
    std::vector<std::pair<double, int64_t>> all;
    for (const auto& [d, s] : scores) all.push_back({-s, d});
    const size_t keep = std::min(k, all.size());
    std::partial_sort(all.begin(), all.begin() + keep, all.end());
    all.resize(keep);
    for (auto& p : all) p.first = -p.first;
    return all;
  }

  size_t terms() const { return postings_.size(); }

 private:
  struct Posting {
    uint32_t doc;
    int tf;
  };
  absl::flat_hash_map<std::string, std::vector<Posting>> postings_;
  std::vector<double> doc_len_;
  double avgdl_ = 1;
};

struct Query {
  std::string text;                // what a Cove user sends
  std::vector<std::string> terms;  // its analyzed terms (distinct)
  std::string fts5;                // "t1" OR "t2" ...
};

std::vector<Query> DrawQueries(const Corpus& corpus,
                               const engine::text::Analyzer& analyzer,
                               const Options& opt) {
  const size_t nq = opt.nq;
  std::mt19937_64 rng(20261207);
  std::vector<Query> out;
  while (out.size() < nq) {
    const std::string& gloss =
        corpus.gloss[std::uniform_int_distribution<size_t>(
            0, corpus.gloss.size() - 1)(rng)];
    std::vector<std::string> words;
    std::istringstream in(gloss);
    for (std::string w; in >> w;) words.push_back(w);
    if (words.empty()) continue;
    const size_t want = std::uniform_int_distribution<size_t>(
        opt.min_words, opt.max_words)(rng);
    std::shuffle(words.begin(), words.end(), rng);
    words.resize(std::min(want, words.size()));
    Query q;
    for (const std::string& w : words)
      q.text += (q.text.empty() ? "" : " ") + w;
    q.terms = analyzer.Analyze(q.text);
    std::set<std::string> distinct(q.terms.begin(), q.terms.end());
    if (q.terms.empty() || distinct.size() != q.terms.size()) continue;
    for (const std::string& t : q.terms) {
      q.fts5 += (q.fts5.empty() ? "\"" : " OR \"") + PeerToken(t) + "\"";
    }
    out.push_back(std::move(q));
  }
  return out;
}

// The engines' query loops, timed with their repetitions interleaved (so
// that a change of the machine's load hits all of them alike): per engine,
// the median CPU and wall seconds over all queries.
class Timer {
 public:
  void Add(std::string name, std::function<void(size_t)> search) {
    runs_.push_back(Run{std::move(name), std::move(search), {}, {}});
  }
  void TimeAll(int reps, size_t nq) {
    for (int rep = 0; rep < reps; ++rep) {
      for (Run& r : runs_) {
        const double c0 = ThreadSeconds(), w0 = WallSeconds();
        for (size_t q = 0; q < nq; ++q) r.search(q);
        r.cpu.push_back(ThreadSeconds() - c0);
        r.wall.push_back(WallSeconds() - w0);
      }
    }
  }
  void Print(size_t nq) {
    for (Run& r : runs_) {
      std::sort(r.cpu.begin(), r.cpu.end());
      std::sort(r.wall.begin(), r.wall.end());
      const double cpu = r.cpu[r.cpu.size() / 2];
      const double wall = r.wall[r.wall.size() / 2];
      std::printf("  %-40s QPS %9.0f (CPU)  %9.0f (wall)  %7.1f us/query\n",
                  r.name.c_str(), nq / cpu, nq / wall, 1e6 * cpu / nq);
    }
  }

 private:
  struct Run {
    std::string name;
    std::function<void(size_t)> search;
    std::vector<double> cpu, wall;
  };
  std::vector<Run> runs_;
};

// Agreement of one engine's top-10 with the reference: hits whose reference
// score is the reference's at their rank (so ties may swap rows), and the
// plain overlap of the id sets.
struct Agreement {
  size_t queries_equal = 0;  // every rank holds a reference-equal score
  size_t overlap = 0;        // ids also in the reference top-10
  size_t expected = 0;       // reference hits
  double max_rel_error = 0;  // of Cove's own scores
  void Add(const std::vector<std::pair<double, int64_t>>& want,
           const absl::flat_hash_map<int64_t, double>& scores, const Ids& got,
           const std::vector<float>* got_scores) {
    expected += want.size();
    bool equal = got.size() == want.size();
    std::set<int64_t> want_ids;
    for (const auto& w : want) want_ids.insert(w.second);
    for (size_t i = 0; i < got.size(); ++i) {
      overlap += want_ids.count(got[i]);
      auto it = scores.find(got[i]);
      const double s = it == scores.end() ? -1 : it->second;
      if (i >= want.size() ||
          std::abs(s - want[i].first) > 1e-5 * std::max(1.0, want[i].first)) {
        equal = false;
      }
      if (got_scores != nullptr && it != scores.end()) {
        max_rel_error =
            std::max(max_rel_error, std::abs((*got_scores)[i] - s) /
                                        std::max(1e-9, std::abs(s)));
      }
    }
    queries_equal += equal;
  }
  void Print(const char* name, size_t nq) const {
    std::printf(
        "  %-40s top-10 equal to the reference: %zu/%zu queries; overlap "
        "%.4f",
        name, queries_equal, nq,
        expected == 0 ? 1.0 : static_cast<double>(overlap) / expected);
    if (max_rel_error > 0) std::printf("; max score error %.2g", max_rel_error);
    std::printf("\n");
  }
};

CollectionSchema TextSchema(size_t dense_dim) {
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
  schema.AddField(text);
  FieldSchema sp;
  sp.name = "sparse";
  sp.type = DataType::kSparseFloatVector;
  schema.AddField(sp);
  if (dense_dim > 0) {
    FieldSchema dense;
    dense.name = "dense";
    dense.type = DataType::kFloatVector;
    dense.dim = static_cast<int64_t>(dense_dim);
    schema.AddField(dense);
  }
  FunctionSchema fn;
  fn.name = "bm25";
  fn.type = FunctionType::kBM25;
  fn.input_field_names = {"text"};
  fn.output_field_names = {"sparse"};
  schema.AddFunction(fn);
  return schema;
}

// A cheap deterministic "embedding" for the hybrid part: the normalized sum
// of one pseudo-random vector per term (random projection of the term
// counts), so that dense neighbours share terms.
class Embedder {
 public:
  explicit Embedder(size_t dim) : dim_(dim) {}
  std::vector<float> Embed(const std::vector<std::string>& terms) {
    std::vector<float> v(dim_, 0.0f);
    for (const std::string& t : terms) {
      const uint32_t id = engine::text::TermId(t);
      auto it = cache_.find(id);
      if (it == cache_.end()) {
        std::mt19937 rng(id);
        std::normal_distribution<float> unit(0.0f, 1.0f);
        std::vector<float> r(dim_);
        for (float& x : r) x = unit(rng);
        it = cache_.emplace(id, std::move(r)).first;
      }
      for (size_t j = 0; j < dim_; ++j) v[j] += it->second[j];
    }
    double norm = 0;
    for (float x : v) norm += static_cast<double>(x) * x;
    if (norm == 0) {
      v[0] = 1;
      return v;
    }
    const float inv = static_cast<float>(1 / std::sqrt(norm));
    for (float& x : v) x *= inv;
    return v;
  }

 private:
  size_t dim_;
  absl::flat_hash_map<uint32_t, std::vector<float>> cache_;
};

std::unique_ptr<engine::Collection> MakeCollection(
    const std::string& name, size_t dense_dim,
    const std::vector<IndexSpec>& indexes) {
  engine::CollectionContext context;
  context.pool = std::make_shared<engine::BuildPool>(1);
  auto created = engine::Collection::Create(
      name, internal::ToEngineSchema(TextSchema(dense_dim)), 0, context);
  if (!created.ok()) {
    std::fprintf(stderr, "create: %s\n",
                 std::string(created.status().message()).c_str());
    std::exit(1);
  }
  std::unique_ptr<engine::Collection> c = *std::move(created);
  for (const IndexSpec& spec : indexes) {
    absl::Status st = internal::CreateIndexIn(*c, spec);
    if (!st.ok()) {
      std::fprintf(stderr, "index: %s\n", std::string(st.message()).c_str());
      std::exit(1);
    }
  }
  if (!c->Load().ok()) std::exit(1);
  return c;
}

// Inserts the corpus (batches of 5,000 rows), seals the growing segment and
// waits for every index: wall seconds.
double Fill(engine::Collection& c, const Corpus& corpus,
            const std::vector<std::vector<float>>* dense) {
  const double w0 = WallSeconds();
  const size_t kBatch = 5000;
  for (size_t done = 0; done < corpus.text.size(); done += kBatch) {
    InsertRequest request;
    const size_t end = std::min(corpus.text.size(), done + kBatch);
    for (size_t i = done; i < end; ++i) {
      Row row{{"id", Value(static_cast<int64_t>(i))},
              {"text", Value(corpus.text[i])}};
      if (dense != nullptr) row["dense"] = Value::FloatVector((*dense)[i]);
      request.rows.push_back(std::move(row));
    }
    auto st = internal::InsertInto(c, request, false);
    if (!st.ok()) {
      std::fprintf(stderr, "insert: %s\n",
                   std::string(st.status().message()).c_str());
      std::exit(1);
    }
  }
  c.Seal();
  c.WaitForIndexBuilds();
  return WallSeconds() - w0;
}

Ids CoveSearch(const engine::Collection& c, const std::string& text,
               std::vector<float>* scores) {
  SearchRequest request;
  request.texts = {text};
  request.anns_field = "sparse";
  request.limit = kTopK;
  auto results = internal::SearchIn(c, request);
  if (!results.ok()) {
    std::fprintf(stderr, "search: %s\n",
                 std::string(results.status().message()).c_str());
    std::exit(1);
  }
  Ids ids;
  for (const Hit& h : results->hits[0]) {
    ids.push_back(h.id.AsInt());
    if (scores != nullptr) scores->push_back(h.distance);
  }
  return ids;
}

void Check(int rc, sqlite3* db, const char* what) {
  if (rc != SQLITE_OK && rc != SQLITE_DONE && rc != SQLITE_ROW) {
    std::fprintf(stderr, "sqlite %s: %s\n", what, sqlite3_errmsg(db));
    std::exit(1);
  }
}

int Run(const Options& opt) {
  char load[128] = "?";
  if (FILE* f = std::fopen("/proc/loadavg", "r")) {
    if (std::fgets(load, sizeof(load), f) == nullptr) load[0] = 0;
    std::fclose(f);
  }
  const Corpus corpus = LoadWordNet(opt);
  const size_t n = corpus.text.size();
  auto made = engine::text::Analyzer::Make(kAnalyzer);
  if (!made.ok()) return 1;
  const engine::text::Analyzer& analyzer = **made;

  // Analysis once, timed: the peers index its output.
  std::vector<std::vector<std::string>> tokens(n);
  const double a0 = ThreadSeconds();
  for (size_t d = 0; d < n; ++d) tokens[d] = analyzer.Analyze(corpus.text[d]);
  const double analysis = ThreadSeconds() - a0;
  size_t total_tokens = 0;
  for (const auto& t : tokens) total_tokens += t.size();
  const Reference reference(tokens);
  absl::flat_hash_set<uint32_t> ids;
  {
    absl::flat_hash_set<std::string> seen;
    for (const auto& doc : tokens) {
      for (const std::string& t : doc) {
        if (seen.insert(t).second) ids.insert(engine::text::TermId(t));
      }
    }
  }
  const std::vector<Query> queries = DrawQueries(corpus, analyzer, opt);
  const size_t nq = queries.size();
  size_t query_terms = 0;
  for (const Query& q : queries) query_terms += q.terms.size();
  std::printf(
      "WordNet glosses: %zu documents, %.1f terms each on average, %zu "
      "distinct terms (%zu distinct 32-bit term ids); %zu queries of %.2f "
      "terms; load average %s",
      n, static_cast<double>(total_tokens) / n, reference.terms(), ids.size(),
      nq, static_cast<double>(query_terms) / nq, load);
  std::printf("analysis (english analyzer, one thread): %.0f documents/s\n",
              n / analysis);

  std::vector<std::vector<std::pair<double, int64_t>>> want(nq);
  std::vector<absl::flat_hash_map<int64_t, double>> want_scores(nq);
  for (size_t q = 0; q < nq; ++q) {
    want_scores[q] = reference.Scores(queries[q].terms);
    want[q] = Reference::Top(want_scores[q], kTopK);
  }
  std::printf("\n");

  // Cove through the engine collection, both sparse index types.
  std::printf("indexing (documents/s, wall):\n");
  std::vector<std::unique_ptr<engine::Collection>> coves;
  // The index types and query algorithms (Milvus' inverted_index_algo; the
  // default of SPARSE_INVERTED_INDEX is TAAT_NAIVE here).
  struct Kind {
    const char* name;
    IndexType type;
    const char* algo;  // null: the index type's default
  };
  const std::vector<Kind> kinds = {
      {"SPARSE_INVERTED_INDEX (TAAT)", IndexType::kSparseInvertedIndex,
       nullptr},
      {"SPARSE_INVERTED_INDEX DAAT_MAXSCORE", IndexType::kSparseInvertedIndex,
       "DAAT_MAXSCORE"},
      {"SPARSE_WAND", IndexType::kSparseWand, nullptr}};
  for (const auto& [kind_name, kind, algo] : kinds) {
    IndexSpec spec;
    spec.field_name = "sparse";
    spec.index_type = kind;
    spec.metric_type = MetricType::kBM25;
    if (algo != nullptr) spec.params["inverted_index_algo"] = algo;
    coves.push_back(
        MakeCollection("bm25_" + std::to_string(coves.size()), 0, {spec}));
    const double secs = Fill(*coves.back(), corpus, nullptr);
    std::printf("  %-40s %9.0f  (%.2f s, analysis included)\n",
                (std::string("Cove ") + kind_name).c_str(), n / secs, secs);
  }

  // The raw index (no analysis, one segment).
  std::vector<SparseVector> rows(n);
  for (size_t d = 0; d < n; ++d) {
    std::map<uint32_t, double> tf;
    for (const std::string& t : tokens[d]) tf[engine::text::TermId(t)] += 1;
    for (const auto& [t, c] : tf) {
      rows[d].indices.push_back(t);
      rows[d].values.push_back(static_cast<float>(c));
    }
  }
  std::vector<const SparseVector*> row_ptrs;
  for (const SparseVector& r : rows) row_ptrs.push_back(&r);
  std::vector<std::unique_ptr<engine::sparse::SparseIndex>> raw;
  const std::vector<std::pair<const char*, engine::sparse::SparseAlgo>> algos =
      {{"Cove raw index, MaxScore", engine::sparse::SparseAlgo::kMaxScore},
       {"Cove raw index, TAAT", engine::sparse::SparseAlgo::kTaat},
       {"Cove raw index, WAND", engine::sparse::SparseAlgo::kWand}};
  for (const auto& [algo_name, algo] : algos) {
    engine::sparse::SparseIndexParams p;
    p.bm25 = true;
    p.algo = algo;
    const double t0 = WallSeconds();
    raw.push_back(engine::sparse::SparseIndex::Build(row_ptrs, p));
    const double secs = WallSeconds() - t0;
    std::printf("  %-40s %9.0f  (%.2f s, term counts given)\n", algo_name,
                n / secs, secs);
  }

  // Peers.
  sqlite3* db = nullptr;
  std::unique_ptr<Xapian::Database> xdb;
  std::unique_ptr<Xapian::WritableDatabase> xmem;
  const std::string xpath =
      opt.tmp + "/cove_fulltext_xapian_" + std::to_string(getpid());
  if (opt.peers) {
    std::vector<std::string> peer_text(n);
    for (size_t d = 0; d < n; ++d) {
      for (const std::string& t : tokens[d]) {
        if (!peer_text[d].empty()) peer_text[d] += ' ';
        peer_text[d] += PeerToken(t);
      }
    }
    Check(sqlite3_open(":memory:", &db), db, "open");
    double t0 = WallSeconds();
    Check(sqlite3_exec(db,
                       "CREATE VIRTUAL TABLE docs USING fts5(body, tokenize = "
                       "'unicode61 remove_diacritics 0');"
                       "BEGIN;",
                       nullptr, nullptr, nullptr),
          db, "create");
    sqlite3_stmt* insert = nullptr;
    Check(sqlite3_prepare_v2(db, "INSERT INTO docs(rowid, body) VALUES (?, ?)",
                             -1, &insert, nullptr),
          db, "prepare");
    for (size_t d = 0; d < n; ++d) {
      sqlite3_bind_int64(insert, 1, static_cast<int64_t>(d) + 1);
      sqlite3_bind_text(insert, 2, peer_text[d].data(),
                        static_cast<int>(peer_text[d].size()), SQLITE_STATIC);
      Check(sqlite3_step(insert), db, "insert");
      sqlite3_reset(insert);
    }
    sqlite3_finalize(insert);
    Check(sqlite3_exec(db, "COMMIT; INSERT INTO docs(docs) VALUES('optimize');",
                       nullptr, nullptr, nullptr),
          db, "commit");
    double secs = WallSeconds() - t0;
    std::printf("  %-40s %9.0f  (%.2f s, tokens given; optimized)\n",
                "SQLite FTS5 (in memory)", n / secs, secs);

    auto fill_xapian = [&](Xapian::WritableDatabase& w) {
      for (size_t d = 0; d < n; ++d) {
        Xapian::Document doc;
        absl::flat_hash_map<std::string, int> tf;
        for (const std::string& t : tokens[d]) ++tf[t];
        for (const auto& [t, c] : tf) doc.add_term(t, c);
        w.add_document(doc);
      }
      w.commit();
    };
    t0 = WallSeconds();
    {
      Xapian::WritableDatabase w(
          xpath, Xapian::DB_CREATE_OR_OVERWRITE | Xapian::DB_BACKEND_GLASS);
      fill_xapian(w);
    }
    secs = WallSeconds() - t0;
    std::printf("  %-40s %9.0f  (%.2f s, tokens given; in %s)\n",
                "Xapian glass", n / secs, secs, opt.tmp.c_str());
    xdb = std::make_unique<Xapian::Database>(xpath);
    t0 = WallSeconds();
    xmem = std::make_unique<Xapian::WritableDatabase>(Xapian::InMemory::open());
    fill_xapian(*xmem);
    secs = WallSeconds() - t0;
    std::printf("  %-40s %9.0f  (%.2f s, tokens given)\n", "Xapian inmemory",
                n / secs, secs);
  }

  // Queries.
  std::printf("\ntop-10 queries, one thread (median of %d, interleaved):\n",
              opt.reps);
  Timer timer;
  std::vector<Agreement> agree(coves.size());
  for (size_t i = 0; i < coves.size(); ++i) {
    const engine::Collection& c = *coves[i];
    for (size_t q = 0; q < nq; ++q) {
      std::vector<float> scores;
      const Ids got = CoveSearch(c, queries[q].text, &scores);
      agree[i].Add(want[q], want_scores[q], got, &scores);
    }
    timer.Add(std::string("Cove ") + kinds[i].name, [&c, &queries](size_t q) {
      CoveSearch(c, queries[q].text, nullptr);
    });
  }
  // Raw index queries: weights from the index's own statistics.
  std::vector<engine::sparse::SparseQuery> raw_queries(nq);
  {
    const double avgdl = raw[0]->total_length() / static_cast<double>(n);
    for (size_t q = 0; q < nq; ++q) {
      std::vector<std::pair<uint64_t, double>> w;
      for (const std::string& t : queries[q].terms) {
        const uint32_t id = engine::text::TermId(t);
        w.emplace_back(id,
                       engine::sparse::Bm25Idf(
                           static_cast<double>(n),
                           static_cast<double>(raw[0]->DocFreq(id, nullptr))));
      }
      raw_queries[q].weights = *engine::sparse::FromPairs(std::move(w), "q");
      raw_queries[q].avgdl = static_cast<float>(avgdl);
    }
  }
  std::vector<Agreement> raw_agree(raw.size());
  for (size_t i = 0; i < raw.size(); ++i) {
    for (size_t q = 0; q < nq; ++q) {
      Ids got;
      std::vector<float> scores;
      for (const auto& nb : raw[i]->Search(raw_queries[q], kTopK, nullptr)) {
        got.push_back(nb.row);
        scores.push_back(nb.score);
      }
      raw_agree[i].Add(want[q], want_scores[q], got, &scores);
    }
    const engine::sparse::SparseIndex* index = raw[i].get();
    timer.Add(algos[i].first, [index, &raw_queries](size_t q) {
      index->Search(raw_queries[q], kTopK, nullptr);
    });
  }
  Agreement fts_agree, xapian_agree;
  sqlite3_stmt* select = nullptr;
  std::vector<std::unique_ptr<Xapian::Enquire>> enquires;
  if (opt.peers) {
    Check(sqlite3_prepare_v2(db,
                             "SELECT rowid FROM docs WHERE docs MATCH ? ORDER "
                             "BY bm25(docs) LIMIT 10",
                             -1, &select, nullptr),
          db, "prepare");
    auto fts = [select, db, &queries](size_t q) {
      Ids ids;
      sqlite3_bind_text(select, 1, queries[q].fts5.data(),
                        static_cast<int>(queries[q].fts5.size()),
                        SQLITE_STATIC);
      int rc;
      while ((rc = sqlite3_step(select)) == SQLITE_ROW) {
        ids.push_back(sqlite3_column_int64(select, 0) - 1);
      }
      Check(rc, db, "select");
      sqlite3_reset(select);
      return ids;
    };
    for (size_t q = 0; q < nq; ++q) {
      fts_agree.Add(want[q], want_scores[q], fts(q), nullptr);
    }
    timer.Add("SQLite FTS5 bm25()", fts);

    const std::vector<const Xapian::Database*> xapians = {xdb.get(),
                                                          xmem.get()};
    for (const Xapian::Database* x : xapians) {
      enquires.push_back(std::make_unique<Xapian::Enquire>(*x));
      Xapian::Enquire* enquire = enquires.back().get();
      enquire->set_weighting_scheme(Xapian::BM25Weight(kK1, 0, 1, kB, 0));
      auto xapian = [enquire, &queries](size_t q) {
        Xapian::Query query(Xapian::Query::OP_OR, queries[q].terms.begin(),
                            queries[q].terms.end());
        enquire->set_query(query);
        Xapian::MSet mset = enquire->get_mset(0, kTopK);
        Ids ids;
        for (auto it = mset.begin(); it != mset.end(); ++it) {
          ids.push_back(static_cast<int64_t>(*it) - 1);
        }
        return ids;
      };
      if (x == xdb.get()) {
        for (size_t q = 0; q < nq; ++q) {
          xapian_agree.Add(want[q], want_scores[q], xapian(q), nullptr);
        }
      }
      timer.Add(x == xdb.get() ? "Xapian glass BM25Weight"
                               : "Xapian inmemory BM25Weight",
                xapian);
    }
  }
  timer.TimeAll(opt.reps, nq);
  timer.Print(nq);
  if (select != nullptr) sqlite3_finalize(select);
  enquires.clear();

  std::printf(
      "\nagreement with the reference BM25 (doubles, token strings):\n");
  for (size_t i = 0; i < coves.size(); ++i) {
    agree[i].Print((std::string("Cove ") + kinds[i].name).c_str(), nq);
  }
  for (size_t i = 0; i < raw.size(); ++i)
    raw_agree[i].Print(algos[i].first, nq);
  if (opt.peers) {
    fts_agree.Print("SQLite FTS5 (idf ln(x))", nq);
    xapian_agree.Print("Xapian (idf ln(x), x<2 mapped)", nq);
    sqlite3_close(db);
    xdb.reset();
    xmem.reset();
    std::filesystem::remove_all(xpath);
  }
  coves.clear();
  raw.clear();
  std::fflush(stdout);

  if (!opt.hybrid) return 0;
  // Hybrid: dense (HNSW, COSINE) + BM25 in one collection.
  std::printf(
      "\nhybrid search (dense %zu-d HNSW + BM25, RRF k=60, top 10), "
      "latency over %zu queries:\n",
      opt.dense_dim, nq);
  Embedder embedder(opt.dense_dim);
  std::vector<std::vector<float>> dense(n);
  for (size_t d = 0; d < n; ++d) dense[d] = embedder.Embed(tokens[d]);
  IndexSpec sparse_spec;
  sparse_spec.field_name = "sparse";
  sparse_spec.index_type = IndexType::kSparseInvertedIndex;
  sparse_spec.metric_type = MetricType::kBM25;
  IndexSpec dense_spec;
  dense_spec.field_name = "dense";
  dense_spec.index_type = IndexType::kHnsw;
  dense_spec.metric_type = MetricType::kCosine;
  dense_spec.params = {{"M", "16"}, {"efConstruction", "100"}};
  auto c = MakeCollection("hybrid", opt.dense_dim, {sparse_spec, dense_spec});
  const double fill = Fill(*c, corpus, &dense);
  std::printf("  (inserted and indexed in %.1f s)\n", fill);
  std::vector<std::vector<float>> qvec(nq);
  for (size_t q = 0; q < nq; ++q) qvec[q] = embedder.Embed(queries[q].terms);
  auto dense_request = [&](size_t q) {
    SearchRequest r;
    r.vectors = qvec[q];
    r.dim = opt.dense_dim;
    r.anns_field = "dense";
    r.limit = kTopK;
    r.params["ef"] = Value(int64_t{64});
    return r;
  };
  auto text_request = [&](size_t q) {
    SearchRequest r;
    r.texts = {queries[q].text};
    r.anns_field = "sparse";
    r.limit = kTopK;
    return r;
  };
  auto hybrid = [&](size_t q) {
    HybridSearchRequest h;
    h.requests = {dense_request(q), text_request(q)};
    h.ranker = Ranker::RRF(60);
    h.limit = kTopK;
    auto res = internal::HybridSearchIn(*c, h);
    if (!res.ok()) {
      std::fprintf(stderr, "hybrid: %s\n",
                   std::string(res.status().message()).c_str());
      std::exit(1);
    }
    Ids ids;
    for (const Hit& hit : res->hits[0]) ids.push_back(hit.id.AsInt());
    return ids;
  };
  auto one = [&](const SearchRequest& r) {
    auto res = internal::SearchIn(*c, r);
    if (!res.ok()) {
      std::fprintf(stderr, "search: %s\n",
                   std::string(res.status().message()).c_str());
      std::exit(1);
    }
    Ids ids;
    for (const Hit& hit : res->hits[0]) ids.push_back(hit.id.AsInt());
    return ids;
  };
  // The client side: both searches, then RRF (ties: lower id first, as the
  // engine orders equal fused scores by primary key).
  auto separate = [&](size_t q) {
    const Ids a = one(dense_request(q));
    const Ids b = one(text_request(q));
    std::map<int64_t, double> fused;
    for (size_t i = 0; i < a.size(); ++i) fused[a[i]] += 1.0 / (60 + i + 1);
    for (size_t i = 0; i < b.size(); ++i) fused[b[i]] += 1.0 / (60 + i + 1);
    std::vector<std::pair<double, int64_t>> order;
    for (const auto& [id, s] : fused) order.push_back({-s, id});
    std::sort(order.begin(), order.end());
    Ids ids;
    for (size_t i = 0; i < std::min(kTopK, order.size()); ++i) {
      ids.push_back(order[i].second);
    }
    return ids;
  };
  size_t same = 0;
  for (size_t q = 0; q < nq; ++q) same += hybrid(q) == separate(q);
  // Latencies (wall), the four ways interleaved query by query.
  const std::vector<std::pair<const char*, std::function<void(size_t)>>> ways =
      {{"dense search alone", [&](size_t q) { one(dense_request(q)); }},
       {"BM25 search alone", [&](size_t q) { one(text_request(q)); }},
       {"both searches + client-side RRF", [&](size_t q) { separate(q); }},
       {"HybridSearch (RRF)", [&](size_t q) { hybrid(q); }}};
  std::vector<std::vector<double>> lat(ways.size());
  for (int rep = 0; rep < opt.reps; ++rep) {
    for (size_t q = 0; q < nq; ++q) {
      for (size_t w = 0; w < ways.size(); ++w) {
        const double t0 = WallSeconds();
        ways[w].second(q);
        lat[w].push_back(WallSeconds() - t0);
      }
    }
  }
  std::vector<double> p50(ways.size());
  for (size_t w = 0; w < ways.size(); ++w) {
    std::sort(lat[w].begin(), lat[w].end());
    p50[w] = lat[w][lat[w].size() / 2];
    std::printf("  %-40s p50 %7.1f us  p99 %7.1f us\n", ways[w].first,
                1e6 * p50[w], 1e6 * lat[w][lat[w].size() * 99 / 100]);
  }
  std::printf(
      "  hybrid / separate p50: %.2f; same top-10 ids in %zu/%zu "
      "queries\n",
      p50[3] / p50[2], same, nq);
  return 0;
}

}  // namespace
}  // namespace cove::bench

int main(int argc, char** argv) {
  using namespace cove::bench;
  Options opt;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string key = argv[i];
    const std::string value = argv[i + 1];
    if (key == "--queries") {
      opt.nq = std::stoul(value);
    } else if (key == "--reps") {
      opt.reps = std::stoi(value);
    } else if (key == "--docs") {
      opt.max_docs = std::stoul(value);
    } else if (key == "--wordnet") {
      opt.wordnet = value;
    } else if (key == "--tmp") {
      opt.tmp = value;
    } else if (key == "--hybrid") {
      opt.hybrid = value == "1";
    } else if (key == "--peers") {
      opt.peers = value == "1";
    } else if (key == "--query-words") {
      const size_t dash = value.find('-');
      opt.min_words = std::stoul(value.substr(0, dash));
      opt.max_words = dash == std::string::npos
                          ? opt.min_words
                          : std::stoul(value.substr(dash + 1));
    } else if (key == "--dense-dim") {
      opt.dense_dim = std::stoul(value);
    } else {
      std::fprintf(stderr, "unknown option %s\n", key.c_str());
      return 2;
    }
  }
  return Run(opt);
}
