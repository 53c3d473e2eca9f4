// Sparse vectors and their inverted indexes, against the exact scan.
#include "engine/sparse/sparse.h"

#include <cmath>
#include <map>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "engine/sparse/sparse_index.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "testing/status_matchers.h"

namespace cove::engine::sparse {
namespace {
namespace sparse_test {

using ::cove::testing::IsOk;
using ::cove::testing::StatusIs;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

SparseVector Sv(std::vector<uint32_t> i, std::vector<float> v) {
  return SparseVector{std::move(i), std::move(v)};
}

TEST(SparseTest, CheckRefusesBadVectorsByName) {
  EXPECT_THAT(Check(Sv({1, 5}, {0.5f, 1.0f}), "row 0"), IsOk());
  EXPECT_THAT(Check(Sv({5, 1}, {0.5f, 1.0f}), "row 0"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("row 0: sparse indices must be strictly")));
  EXPECT_THAT(Check(Sv({1}, {NAN}), "v"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("not a finite number")));
  EXPECT_THAT(
      Check(Sv({0xffffffffu}, {1}), "v"),
      StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("out of range")));
  EXPECT_THAT(Check(Sv({1, 2}, {1}), "v"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("2 indices and 1 values")));
}

TEST(SparseTest, EveryClientFormGivesTheSameVector) {
  const SparseVector want = Sv({2, 7, 100}, {0.5f, 1.5f, -2.0f});
  // dict (keys as strings, as JSON objects have them)
  auto dict = FromValue(
      Value::MakeObject({{"100", -2.0}, {"2", 0.5}, {"7", 1.5}}), "r");
  ASSERT_THAT(dict.status(), IsOk());
  EXPECT_EQ(*dict, want);
  // list of pairs, any order
  auto pairs = FromValue(Value::MakeArray({Value::MakeArray({7, 1.5}),
                                           Value::MakeArray({100, -2.0}),
                                           Value::MakeArray({2, 0.5})}),
                         "r");
  ASSERT_THAT(pairs.status(), IsOk());
  EXPECT_EQ(*pairs, want);
  // a CSR row as {"indices", "values"}
  auto csr_row = FromValue(
      Value::MakeObject({{"indices", Value::MakeArray({100, 2, 7})},
                         {"values", Value::MakeArray({-2.0, 0.5, 1.5})}}),
      "r");
  ASSERT_THAT(csr_row.status(), IsOk());
  EXPECT_EQ(*csr_row, want);
  // bytes
  auto bytes = FromBytes(ToBytes(want), "r");
  ASSERT_THAT(bytes.status(), IsOk());
  EXPECT_EQ(*bytes, want);
  // CSR and COO matrices
  auto csr = FromCsr({0, 3, 3}, {7, 2, 100}, {1.5, 0.5, -2.0}, "m");
  ASSERT_THAT(csr.status(), IsOk());
  ASSERT_EQ(csr->size(), 2u);
  EXPECT_EQ((*csr)[0], want);
  EXPECT_TRUE((*csr)[1].indices.empty());
  auto coo = FromCoo(2, {0, 0, 0}, {100, 7, 2}, {-2.0, 1.5, 0.5}, "m");
  ASSERT_THAT(coo.status(), IsOk());
  EXPECT_EQ((*coo)[0], want);
  EXPECT_EQ(Dim(want), 101u);
}

TEST(SparseTest, BadFormsAreRefused) {
  EXPECT_THAT(FromValue(Value::MakeArray({Value::MakeArray({1, 2}),
                                          Value::MakeArray({1, 3})}),
                        "row 3")
                  .status(),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("row 3: sparse index 1 given twice")));
  EXPECT_THAT(FromValue(Value::MakeObject({{"-1", 1.0}}), "r").status(),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("non-negative integer")));
  EXPECT_THAT(FromValue(Value("text"), "r").status(),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("expected SPARSE_FLOAT_VECTOR")));
  EXPECT_THAT(FromBytes("1234567", "r").status(),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("not a multiple of 8")));
  EXPECT_THAT(
      FromCsr({0, 2}, {1}, {1.0}, "m").status(),
      StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("CSR matrix")));
  EXPECT_THAT(FromCoo(1, {1}, {0}, {1.0}, "m").status(),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("outside 1 rows")));
}

TEST(SparseTest, DotAndDropSmallest) {
  EXPECT_FLOAT_EQ(Dot(Sv({1, 3, 5}, {1, 2, 3}), Sv({3, 4, 5}, {10, 20, 30})),
                  2 * 10 + 3 * 30);
  const SparseVector v = Sv({1, 2, 3, 4}, {0.1f, -0.9f, 0.5f, 0.2f});
  EXPECT_EQ(DropSmallest(v, 0.0), v);
  EXPECT_EQ(DropSmallest(v, 0.5), Sv({2, 3}, {-0.9f, 0.5f}));
  EXPECT_EQ(DropSmallest(v, 0.8).indices,
            std::vector<uint32_t>({2}));  // floor(3.2) dropped
}

// Random rows over a Zipf-like vocabulary, as text has.
std::vector<SparseVector> RandomRows(size_t n, bool counts, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::vector<SparseVector> rows(n);
  for (size_t r = 0; r < n; ++r) {
    std::vector<std::pair<uint64_t, double>> pairs;
    const int len = 1 + static_cast<int>(rng() % 12);
    std::map<uint64_t, double> terms;
    for (int i = 0; i < len; ++i) {
      const double u = std::uniform_real_distribution<double>(0, 1)(rng);
      const uint64_t term = static_cast<uint64_t>(std::pow(500.0, u)) - 1;
      terms[term] +=
          counts ? 1.0 : std::uniform_real_distribution<double>(0.01, 1.0)(rng);
    }
    rows[r] = *FromPairs({terms.begin(), terms.end()}, "row");
  }
  return rows;
}

std::vector<const SparseVector*> Pointers(const std::vector<SparseVector>& v) {
  std::vector<const SparseVector*> out;
  for (const auto& x : v) out.push_back(&x);
  return out;
}

void ExpectSameHits(const std::vector<Neighbor>& got,
                    const std::vector<Neighbor>& want) {
  ASSERT_EQ(got.size(), want.size());
  for (size_t i = 0; i < got.size(); ++i) {
    EXPECT_NEAR(got[i].score, want[i].score, 1e-4f * std::fabs(want[i].score))
        << "hit " << i;
    // Rows may swap only where scores tie to rounding.
    if (got[i].row != want[i].row) {
      EXPECT_NEAR(got[i].score, want[i].score, 1e-5f);
    }
  }
}

class SparseIndexTest
    : public ::testing::TestWithParam<std::tuple<SparseAlgo, bool>> {};

TEST_P(SparseIndexTest, MatchesTheExactScan) {
  const auto [algo, bm25] = GetParam();
  const std::vector<SparseVector> rows = RandomRows(3000, bm25, 7);
  std::vector<const SparseVector*> ptrs = Pointers(rows);
  ptrs[10] = nullptr;  // a row without a vector
  SparseIndexParams params;
  params.algo = algo;
  params.bm25 = bm25;
  auto index = SparseIndex::Build(ptrs, params);
  ASSERT_EQ(index->size(), rows.size());
  Bitset allowed(rows.size(), true);
  for (size_t r = 0; r < rows.size(); r += 3) allowed.Reset(r);
  const std::vector<SparseVector> queries = RandomRows(40, false, 99);
  for (const SparseVector& q : queries) {
    SparseQuery query;
    query.weights = q;
    query.avgdl = 6.5f;
    for (size_t k : {1, 10, 100}) {
      ExpectSameHits(index->Search(query, k, nullptr),
                     ExactSearch(ptrs, bm25, query, k, nullptr));
      ExpectSameHits(index->Search(query, k, &allowed),
                     ExactSearch(ptrs, bm25, query, k, &allowed));
    }
  }
}

INSTANTIATE_TEST_SUITE_P(
    Kinds, SparseIndexTest,
    ::testing::Combine(::testing::Values(SparseAlgo::kTaat,
                                         SparseAlgo::kMaxScore,
                                         SparseAlgo::kWand),
                       ::testing::Bool()));

// Pruning property: on generated corpora (Zipf-like vocabularies, short and
// long documents, duplicated rows so that scores tie exactly, negative IP
// values, zero and repeated query weights, filters), MaxScore returns
// exactly the rows and scores of the exhaustive scan (it sums a document's
// terms in the same order), and WAND the same rows up to rounding, for
// every k, k1, b and average length.
TEST(SparsePruningTest, EqualsExhaustiveScoringOnGeneratedCorpora) {
  for (uint64_t seed = 1; seed <= 12; ++seed) {
    std::mt19937_64 rng(seed);
    const bool bm25 = seed % 2 == 0;
    const size_t n = 200 + rng() % 3000;
    const double vocab = 20.0 + static_cast<double>(rng() % 2000);
    const int max_len = 1 + static_cast<int>(rng() % 60);
    std::vector<SparseVector> rows(n);
    for (size_t r = 0; r < n; ++r) {
      if (r > 0 && rng() % 5 == 0) {
        rows[r] = rows[rng() % r];  // an exact tie with an earlier row
        continue;
      }
      std::map<uint64_t, double> terms;
      const int len = 1 + static_cast<int>(rng() % max_len);
      for (int i = 0; i < len; ++i) {
        const double u = std::uniform_real_distribution<double>(0, 1)(rng);
        const uint64_t term = static_cast<uint64_t>(std::pow(vocab, u)) - 1;
        terms[term] += bm25 ? 1.0
                            : std::uniform_real_distribution<double>(
                                  seed % 3 == 1 ? -0.5 : 0.0, 1.0)(rng);
      }
      rows[r] = *FromPairs({terms.begin(), terms.end()}, "row");
    }
    std::vector<const SparseVector*> ptrs = Pointers(rows);
    for (size_t r = 0; r < n; r += 97) ptrs[r] = nullptr;
    Bitset allowed(n, true);
    for (size_t r = 0; r < n; ++r) {
      if (rng() % 4 == 0) allowed.Reset(r);
    }
    std::map<SparseAlgo, std::unique_ptr<SparseIndex>> indexes;
    for (SparseAlgo algo :
         {SparseAlgo::kTaat, SparseAlgo::kMaxScore, SparseAlgo::kWand}) {
      SparseIndexParams params;
      params.algo = algo;
      params.bm25 = bm25;
      indexes[algo] = SparseIndex::Build(ptrs, params);
    }
    for (int qi = 0; qi < 30; ++qi) {
      // Queries drawn from rows (common terms) plus a few random terms.
      std::map<uint64_t, double> terms;
      const SparseVector& from = rows[rng() % n];
      for (size_t i = 0; i < from.indices.size(); ++i) {
        if (rng() % 2 == 0) terms[from.indices[i]] = 0;
      }
      const int extra = static_cast<int>(rng() % 4);
      for (int i = 0; i < extra; ++i) {
        terms[rng() % static_cast<uint64_t>(vocab)] = 0;
      }
      if (terms.empty()) terms[0] = 0;
      for (auto& [t, w] : terms) {
        // Some weights zero, some equal, the rest random.
        const int pick = static_cast<int>(rng() % 6);
        w = pick == 0   ? 0.0
            : pick == 1 ? 1.0
                        : std::uniform_real_distribution<double>(0.1, 5)(rng);
      }
      SparseQuery query;
      query.weights = *FromPairs({terms.begin(), terms.end()}, "query");
      query.avgdl = std::uniform_real_distribution<float>(1, 40)(rng);
      query.bm25.k1 = std::uniform_real_distribution<float>(0, 3)(rng);
      query.bm25.b = std::uniform_real_distribution<float>(0, 1)(rng);
      for (size_t k : {size_t{1}, size_t{3}, size_t{10}, size_t{57}, n + 5}) {
        for (const Bitset* filter : {static_cast<const Bitset*>(nullptr),
                                     static_cast<const Bitset*>(&allowed)}) {
          const std::vector<Neighbor> want =
              ExactSearch(ptrs, bm25, query, k, filter);
          const std::vector<Neighbor> taat =
              indexes[SparseAlgo::kTaat]->Search(query, k, filter);
          const std::vector<Neighbor> maxscore =
              indexes[SparseAlgo::kMaxScore]->Search(query, k, filter);
          SCOPED_TRACE(::testing::Message()
                       << "seed " << seed << " query " << qi << " k " << k
                       << (filter != nullptr ? " filtered" : ""));
          ASSERT_EQ(maxscore.size(), want.size());
          ASSERT_EQ(taat.size(), want.size());
          for (size_t i = 0; i < want.size(); ++i) {
            EXPECT_EQ(maxscore[i].row, want[i].row) << "hit " << i;
            EXPECT_EQ(maxscore[i].score, want[i].score) << "hit " << i;
            EXPECT_EQ(taat[i].row, want[i].row) << "hit " << i;
            EXPECT_EQ(taat[i].score, want[i].score) << "hit " << i;
          }
          ExpectSameHits(indexes[SparseAlgo::kWand]->Search(query, k, filter),
                         want);
        }
      }
    }
  }
}

TEST(SparseIndexTest, RangeSearchKeepsScoresInRange) {
  const std::vector<SparseVector> rows = RandomRows(500, false, 3);
  auto index = SparseIndex::Build(Pointers(rows), {});
  SparseQuery q;
  q.weights = rows[0];
  q.radius = 0.2f;
  q.range_filter = 0.8f;
  const std::vector<Neighbor> hits = index->Search(q, 500, nullptr);
  ASSERT_FALSE(hits.empty());
  for (const Neighbor& n : hits) {
    EXPECT_GT(n.score, 0.2f);
    EXPECT_LE(n.score, 0.8f);
  }
  ExpectSameHits(hits, ExactSearch(Pointers(rows), false, q, 500, nullptr));
}

TEST(SparseIndexTest, DropRatioBuildLeavesPostingsOutButCountsThem) {
  const SparseVector a = Sv({1, 2, 3, 4}, {1, 2, 3, 4});
  const SparseVector b = Sv({1, 4}, {5, 1});
  SparseIndexParams params;
  params.drop_ratio_build = 0.5;
  params.bm25 = true;
  auto index = SparseIndex::Build({&a, &b}, params);
  // Row a keeps terms 3 and 4; row b keeps term 1.
  SparseQuery q;
  q.weights = Sv({2}, {1});
  EXPECT_TRUE(index->Search(q, 10, nullptr).empty());
  EXPECT_EQ(index->DocFreq(2, nullptr), 1u);
  EXPECT_EQ(index->DocFreq(4, nullptr), 2u);
  EXPECT_EQ(index->DocFreq(9, nullptr), 0u);
  Bitset deleted(2);
  deleted.Set(1);
  EXPECT_EQ(index->DocFreq(4, &deleted), 1u);
  EXPECT_FLOAT_EQ(index->doc_length(0), 10.0f);
  EXPECT_FLOAT_EQ(index->doc_length(1), 6.0f);
}

TEST(Bm25Test, Formula) {
  // Lucene's IDF and TF parts, by hand.
  EXPECT_NEAR(Bm25Idf(10, 2), std::log(1 + (10 - 2 + 0.5) / (2 + 0.5)), 1e-6);
  Bm25Params p;
  p.k1 = 1.5f;
  p.b = 0.5f;
  EXPECT_NEAR(Bm25Tf(2, 10, 5, p),
              2 * 2.5 / (2 + 1.5 * (1 - 0.5 + 0.5 * 10.0 / 5.0)), 1e-6);
}

}  // namespace sparse_test
}  // namespace
}  // namespace cove::engine::sparse
