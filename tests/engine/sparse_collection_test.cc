// SPARSE_FLOAT_VECTOR fields of a collection: inserts, background index
// builds, searches (IP) across growing and sealed segments with deletes,
// filters and drop ratios, against a brute-force inner product as the
// oracle; index checks; and a snapshot round trip.
#include <algorithm>
#include <map>
#include <random>
#include <string>
#include <vector>

#include "common/bytes.h"
#include "engine/build_pool.h"
#include "engine/collection.h"
#include "engine/sparse/sparse.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "testing/status_matchers.h"

namespace cove::engine {
namespace {
namespace sparse_collection_test {

using ::cove::testing::IsOk;
using ::cove::testing::StatusIs;
using ::testing::HasSubstr;

Schema SparseSchema() {
  Schema s;
  FieldDef id;
  id.name = "id";
  id.type = DataType::kInt64;
  id.is_primary_key = true;
  s.fields.push_back(id);
  FieldDef sp;
  sp.name = "sp";
  sp.type = DataType::kSparseFloatVector;
  s.fields.push_back(sp);
  FieldDef tag;
  tag.name = "tag";
  tag.type = DataType::kInt64;
  s.fields.push_back(tag);
  return s;
}

SparseVector RandomSparse(std::mt19937& rng) {
  std::uniform_int_distribution<int> nnz(1, 12);
  std::uniform_int_distribution<uint32_t> term(0, 60);
  std::uniform_real_distribution<float> w(0.05f, 2.0f);
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

std::unique_ptr<Collection> Make(size_t seal_rows) {
  CollectionContext context;
  context.segments.seal_rows = seal_rows;
  context.pool = std::make_shared<BuildPool>(2);
  auto c = Collection::Create("c", SparseSchema(), 0, std::move(context));
  EXPECT_THAT(c.status(), IsOk());
  return *std::move(c);
}

IndexDef SparseIndex(IndexKind kind, std::map<std::string, std::string> p) {
  IndexDef def;
  def.field_name = "sp";
  def.kind = kind;
  def.metric = Metric::kIP;
  def.params = std::move(p);
  return def;
}

class SparseCollectionTest : public ::testing::TestWithParam<IndexKind> {};

TEST_P(SparseCollectionTest, SearchMatchesBruteForceAcrossSegments) {
  auto c = Make(/*seal_rows=*/64);
  ASSERT_THAT(c->CreateIndex(SparseIndex(GetParam(), {})), IsOk());
  ASSERT_THAT(c->Load(), IsOk());
  std::mt19937 rng(7);
  std::map<int64_t, std::pair<SparseVector, int64_t>> truth;
  for (int batch = 0; batch < 5; ++batch) {
    std::vector<std::vector<Value>> rows;
    for (int i = 0; i < 50; ++i) {
      const int64_t id = batch * 50 + i;
      SparseVector v = RandomSparse(rng);
      truth[id] = {v, id % 3};
      rows.push_back({Value(id), Value::Sparse(v), Value(id % 3)});
    }
    ASSERT_THAT(c->Insert(std::move(rows), "", false).status(), IsOk());
  }
  DeleteSpec del;
  for (int64_t id = 0; id < 250; id += 7) {
    del.ids.push_back(Value(id));
    truth.erase(id);
  }
  ASSERT_THAT(c->Delete(del).status(), IsOk());
  c->WaitForIndexBuilds();
  size_t indexed = 0;
  for (const auto& seg : c->Pin()->segments) {
    indexed += seg->SparseIndexOf(0) != nullptr;
  }
  EXPECT_GE(indexed, 3u);  // sealed segments searched through their index

  auto filter = c->CompileFilter("tag == 1", {});
  ASSERT_THAT(filter.status(), IsOk());
  for (int q = 0; q < 20; ++q) {
    SparseSearchSpec spec;
    spec.queries = {RandomSparse(rng)};
    spec.k = 10;
    const bool filtered = q % 2 == 1;
    if (filtered) spec.filter = &*filter;
    auto hits = c->Search(spec);
    ASSERT_THAT(hits.status(), IsOk());
    // Oracle: every live row sharing a term, by inner product.
    std::vector<std::pair<float, int64_t>> expect;
    for (const auto& [id, row] : truth) {
      if (filtered && row.second != 1) continue;
      bool shares = false;
      for (uint32_t t : spec.queries[0].indices) {
        shares |= std::binary_search(row.first.indices.begin(),
                                     row.first.indices.end(), t);
      }
      if (shares) {
        expect.push_back({sparse::Dot(spec.queries[0], row.first), id});
      }
    }
    std::sort(expect.begin(), expect.end(), [](auto& a, auto& b) {
      return a.first != b.first ? a.first > b.first : a.second < b.second;
    });
    if (expect.size() > 10) expect.resize(10);
    const auto& got = hits->hits[0];
    ASSERT_EQ(got.size(), expect.size()) << "query " << q;
    for (size_t i = 0; i < got.size(); ++i) {
      EXPECT_NEAR(got[i].score, expect[i].first, 1e-4) << "query " << q;
      const int64_t id =
          c->ValueAt(*hits->state, got[i].ref, c->primary_key()).AsInt();
      EXPECT_TRUE(truth.count(id)) << "deleted row " << id << " returned";
    }
  }
}

INSTANTIATE_TEST_SUITE_P(Kinds, SparseCollectionTest,
                         ::testing::Values(IndexKind::kSparseInvertedIndex,
                                           IndexKind::kSparseWand));

TEST(SparseCollection, DropRatioSearchKeepsLargestQueryWeights) {
  auto c = Make(1000);
  ASSERT_THAT(c->CreateIndex(SparseIndex(IndexKind::kSparseInvertedIndex, {})),
              IsOk());
  ASSERT_THAT(c->Load(), IsOk());
  // Row 1 shares only the query's small term; row 2 its large one.
  std::vector<std::vector<Value>> rows;
  rows.push_back({Value(int64_t{1}), Value::Sparse({{1}, {5.0f}}), Value(0)});
  rows.push_back({Value(int64_t{2}), Value::Sparse({{2}, {1.0f}}), Value(0)});
  ASSERT_THAT(c->Insert(std::move(rows), "", false).status(), IsOk());
  SparseSearchSpec spec;
  spec.queries = {SparseVector{{1, 2}, {0.1f, 3.0f}}};
  auto all = c->Search(spec);
  ASSERT_THAT(all.status(), IsOk());
  EXPECT_EQ(all->hits[0].size(), 2u);
  spec.drop_ratio_search = 0.5;
  auto dropped = c->Search(spec);
  ASSERT_THAT(dropped.status(), IsOk());
  ASSERT_EQ(dropped->hits[0].size(), 1u);
  EXPECT_FLOAT_EQ(dropped->hits[0][0].score, 3.0f);
  spec.drop_ratio_search = 1.0;
  EXPECT_THAT(c->Search(spec).status(),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("drop_ratio_search")));
}

TEST(SparseCollection, IndexChecks) {
  auto c = Make(1000);
  IndexDef wrong_metric = SparseIndex(IndexKind::kSparseWand, {});
  wrong_metric.metric = Metric::kL2;
  EXPECT_THAT(c->CreateIndex(wrong_metric),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("IP")));
  EXPECT_THAT(c->CreateIndex(SparseIndex(IndexKind::kHnsw, {})),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("SPARSE_INVERTED_INDEX")));
  EXPECT_THAT(
      c->CreateIndex(SparseIndex(IndexKind::kSparseWand, {{"nlist", "4"}})),
      StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("'nlist'")));
  EXPECT_THAT(c->CreateIndex(SparseIndex(IndexKind::kSparseWand,
                                         {{"drop_ratio_build", "1.5"}})),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("drop_ratio_build")));
  EXPECT_THAT(c->Load(), StatusIs(absl::StatusCode::kFailedPrecondition,
                                  HasSubstr("'sp'")));
  ASSERT_THAT(c->CreateIndex(SparseIndex(IndexKind::kSparseWand,
                                         {{"drop_ratio_build", "0.2"}})),
              IsOk());
  ASSERT_EQ(c->DescribeIndexes().size(), 1u);
  EXPECT_EQ(c->DescribeIndexes()[0].def.kind, IndexKind::kSparseWand);
  SparseSearchSpec spec;
  spec.queries = {SparseVector{{1}, {1.0f}}};
  EXPECT_THAT(c->Search(spec).status(),
              StatusIs(absl::StatusCode::kFailedPrecondition));
  ASSERT_THAT(c->DropIndex("sp"), IsOk());
  EXPECT_TRUE(c->DescribeIndexes().empty());
}

TEST(SparseCollection, SnapshotRoundTripKeepsRowsAndIndex) {
  auto c = Make(16);
  ASSERT_THAT(c->CreateIndex(SparseIndex(IndexKind::kSparseInvertedIndex,
                                         {{"drop_ratio_build", "0"}})),
              IsOk());
  ASSERT_THAT(c->Load(), IsOk());
  std::mt19937 rng(3);
  std::vector<std::vector<Value>> rows;
  for (int64_t id = 0; id < 40; ++id) {
    rows.push_back({Value(id), Value::Sparse(RandomSparse(rng)), Value(id)});
  }
  ASSERT_THAT(c->Insert(rows, "", false).status(), IsOk());
  c->WaitForIndexBuilds();
  internal::ByteWriter w;
  c->Serialize(&w);
  const std::string bytes = w.Take();
  internal::ByteReader r(bytes);
  CollectionContext context;
  context.pool = std::make_shared<BuildPool>(1);
  auto back = Collection::Deserialize(&r, kCollectionFormatV3, context);
  ASSERT_THAT(back.status(), IsOk());
  (*back)->WaitForIndexBuilds();
  ASSERT_EQ((*back)->DescribeIndexes().size(), 1u);
  for (int q = 0; q < 5; ++q) {
    SparseSearchSpec spec;
    spec.queries = {RandomSparse(rng)};
    spec.k = 5;
    auto a = c->Search(spec);
    auto b = (*back)->Search(spec);
    ASSERT_THAT(a.status(), IsOk());
    ASSERT_THAT(b.status(), IsOk());
    ASSERT_EQ(a->hits[0].size(), b->hits[0].size());
    for (size_t i = 0; i < a->hits[0].size(); ++i) {
      EXPECT_FLOAT_EQ(a->hits[0][i].score, b->hits[0][i].score);
      EXPECT_EQ(c->ValueAt(*a->state, a->hits[0][i].ref, 0).AsInt(),
                (*back)->ValueAt(*b->state, b->hits[0][i].ref, 0).AsInt());
    }
  }
}

}  // namespace sparse_collection_test
}  // namespace
}  // namespace cove::engine
