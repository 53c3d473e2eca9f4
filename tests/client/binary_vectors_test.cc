// BINARY_VECTOR fields through the client (embedded backend and engine):
// codes stored as dim / 8 bytes, BIN_FLAT and BIN_IVF_FLAT searches with
// HAMMING, JACCARD, SUBSTRUCTURE and SUPERSTRUCTURE checked against a
// bit-by-bit reference across sealed and growing segments, filters, range
// search, reopen and compaction; the codes read back byte for byte; and the
// refusals of wrong metric / index / field combinations.
#include <stdlib.h>

#include <algorithm>
#include <map>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "cove/client.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "testing/status_matchers.h"

namespace cove {
namespace {

using ::cove::testing::IsOk;
using ::cove::testing::StatusIs;
using ::testing::HasSubstr;

constexpr int kBits = 72;  // 9 bytes: rows are padded to 12 in the storage
constexpr int kBytes = kBits / 8;

std::string TempDir() {
  std::string tmpl = ::testing::TempDir() + "cove_binary_XXXXXX";
  EXPECT_NE(mkdtemp(tmpl.data()), nullptr);
  return tmpl + "/data";
}

ClientOptions SmallSegments() {
  ClientOptions options;
  options.embedded.segment_seal_rows = 40;
  options.embedded.index_threads = 1;
  options.embedded.sync = EmbeddedOptions::SyncPolicy::kNone;
  return options;
}

CollectionSchema Schema(int bits = kBits) {
  CollectionSchema schema;
  FieldSchema id;
  id.name = "id";
  id.type = DataType::kInt64;
  id.is_primary_key = true;
  schema.AddField(id);
  FieldSchema vec;
  vec.name = "vec";
  vec.type = DataType::kBinaryVector;
  vec.dim = bits;
  schema.AddField(vec);
  FieldSchema parity;
  parity.name = "parity";
  parity.type = DataType::kInt64;
  schema.AddField(parity);
  return schema;
}

using Code = std::vector<uint8_t>;

int Pop(uint8_t x) { return __builtin_popcount(x); }

// The reference, bit by bit: a distance, or nothing for a row a structure
// metric leaves out.
std::optional<double> RefScore(MetricType m, const Code& q, const Code& r) {
  int x = 0, a = 0, o = 0;
  bool q_in_r = true, r_in_q = true;
  for (int i = 0; i < kBytes; ++i) {
    x += Pop(q[i] ^ r[i]);
    a += Pop(q[i] & r[i]);
    o += Pop(q[i] | r[i]);
    q_in_r &= (q[i] & r[i]) == q[i];
    r_in_q &= (q[i] & r[i]) == r[i];
  }
  switch (m) {
    case MetricType::kHamming:
      return x;
    case MetricType::kJaccard:
      return o == 0 ? 1.0 : static_cast<double>(o - a) / o;
    case MetricType::kSubstructure:
      return q_in_r ? std::optional<double>(0.0) : std::nullopt;
    case MetricType::kSuperstructure:
      return r_in_q ? std::optional<double>(0.0) : std::nullopt;
    default:
      return std::nullopt;
  }
}

class BinaryVectorsTest : public ::testing::TestWithParam<MetricType> {
 protected:
  MetricType metric() const { return GetParam(); }

  Code Random(int density) {
    Code c(kBytes);
    for (auto& b : c) {
      uint8_t x = 0;
      for (int k = 0; k < 8; ++k) {
        if (static_cast<int>(rng_() % 8) < density) x |= uint8_t(1u << k);
      }
      b = x;
    }
    return c;
  }

  void Insert(Client& client, int64_t first, int64_t last) {
    std::vector<Row> rows;
    for (int64_t id = first; id < last; ++id) {
      // Mostly dense rows, some sparse ones: both structure metrics match.
      rows_.push_back(Random(id % 5 == 0 ? 1 : 6));
      rows.push_back(Row{{"id", Value(id)},
                         {"vec", Value::BinaryVector(rows_.back())},
                         {"parity", Value(id % 2)}});
    }
    ASSERT_THAT(client.Insert("docs", rows), IsOk());
  }

  // Every hit's distance is the reference's for its row, the hits are
  // distinct and allowed, and the list is the reference's best in order of
  // distance (ties may come in any order).
  void ExpectHitsMatch(const std::vector<Hit>& hits, const Code& q,
                       bool even_only, size_t limit,
                       std::optional<double> radius = std::nullopt,
                       std::optional<double> range_filter = std::nullopt) {
    std::vector<double> ref;
    for (size_t id = 0; id < rows_.size(); ++id) {
      if (even_only && id % 2 != 0) continue;
      const auto s = RefScore(metric(), q, rows_[id]);
      if (!s.has_value()) continue;
      if (radius.has_value() && !(*s < *radius)) continue;
      if (range_filter.has_value() && !(*s >= *range_filter)) continue;
      ref.push_back(*s);
    }
    std::sort(ref.begin(), ref.end());
    ASSERT_EQ(hits.size(), std::min(limit, ref.size()));
    std::set<int64_t> seen;
    for (size_t i = 0; i < hits.size(); ++i) {
      SCOPED_TRACE(::testing::Message() << "hit " << i);
      const int64_t id = hits[i].id.AsInt();
      ASSERT_TRUE(seen.insert(id).second) << "duplicate id " << id;
      if (even_only) {
        EXPECT_EQ(id % 2, 0);
      }
      const auto s = RefScore(metric(), q, rows_[id]);
      ASSERT_TRUE(s.has_value()) << "row " << id << " does not match";
      EXPECT_FLOAT_EQ(hits[i].distance, static_cast<float>(*s));
      EXPECT_FLOAT_EQ(hits[i].distance, static_cast<float>(ref[i]));
    }
  }

  std::vector<Code> Queries() {
    // Structure metrics: sparse queries (contained in dense rows) and dense
    // ones (containing sparse rows).
    std::vector<Code> out;
    for (int q = 0; q < 4; ++q) out.push_back(Random(q % 2 == 0 ? 1 : 7));
    return out;
  }

  void ExpectSearchMatchesReference(Client& client, int nprobe = 0) {
    SearchRequest s;
    s.collection_name = "docs";
    const std::vector<Code> queries = Queries();
    for (const Code& q : queries)
      s.vector_values.push_back(Value::BinaryVector(q));
    s.limit = 10;
    if (nprobe > 0) s.params["nprobe"] = Value(int64_t{nprobe});
    for (bool filtered : {false, true}) {
      s.filter = filtered ? "parity == 0" : "";
      ASSERT_OK_AND_ASSIGN(SearchResults results, client.Search(s));
      ASSERT_EQ(results.hits.size(), queries.size());
      // Distances find rows for every query; the structure metrics for some
      // (sparse queries are in dense rows, sparse rows in dense queries):
      // the test would prove nothing on empty results.
      size_t answered = 0;
      for (const auto& hits : results.hits) answered += !hits.empty();
      const bool structure = metric() == MetricType::kSubstructure ||
                             metric() == MetricType::kSuperstructure;
      if (structure) {
        EXPECT_GE(answered, 1u);
      } else {
        EXPECT_EQ(answered, queries.size());
      }
      for (size_t q = 0; q < queries.size(); ++q) {
        SCOPED_TRACE(::testing::Message()
                     << "query " << q << " filtered " << filtered);
        ExpectHitsMatch(results.hits[q], queries[q], filtered, 10);
      }
    }
  }

  std::mt19937 rng_{5};
  std::vector<Code> rows_;
};

TEST_P(BinaryVectorsTest, BinFlatMatchesReferenceAcrossSegmentsAndReopen) {
  const std::string dir = TempDir();
  IndexSpec index;
  index.field_name = "vec";
  index.index_type = IndexType::kBinFlat;
  index.metric_type = metric();
  {
    ASSERT_OK_AND_ASSIGN(Client client, Client::Open(dir, SmallSegments()));
    ASSERT_THAT(client.CreateCollection("docs", Schema(), {index}), IsOk());
    Insert(client, 0, 130);  // three sealed segments and a growing one
    ExpectSearchMatchesReference(client);
    ASSERT_THAT(client.Flush("docs"), IsOk());
    ASSERT_OK_AND_ASSIGN(auto indexes, client.DescribeIndexes("docs"));
    ASSERT_EQ(indexes.size(), 1u);
    EXPECT_EQ(indexes[0].index_type, IndexType::kBinFlat);
    EXPECT_EQ(indexes[0].metric_type, metric());
    EXPECT_EQ(indexes[0].indexed_rows, 130);
    Insert(client, 130, 150);  // only in the log
    ExpectSearchMatchesReference(client);
  }
  ASSERT_OK_AND_ASSIGN(Client client, Client::Open(dir, SmallSegments()));
  ExpectSearchMatchesReference(client);
  QueryRequest q;
  q.collection_name = "docs";
  q.filter = "id in [0, 77, 149]";
  q.output_fields = {"vec"};
  ASSERT_OK_AND_ASSIGN(std::vector<Row> got, client.Query(q));
  ASSERT_EQ(got.size(), 3u);
  for (const Row& r : got) {
    ASSERT_TRUE(r.at("vec").is_binary_vector());
    EXPECT_EQ(r.at("vec").AsBinaryVector(), rows_[r.at("id").AsInt()]);
  }
  ASSERT_THAT(client.Compact("docs"), IsOk());
  ExpectSearchMatchesReference(client);
}

INSTANTIATE_TEST_SUITE_P(
    Metrics, BinaryVectorsTest,
    ::testing::Values(MetricType::kHamming, MetricType::kJaccard,
                      MetricType::kSubstructure, MetricType::kSuperstructure),
    [](const auto& info) { return std::string(MetricTypeName(info.param)); });

class BinaryIvfTest : public BinaryVectorsTest {};

// BIN_IVF_FLAT probing every list is exact; the index is saved with sealed
// segments and reopened.
TEST_P(BinaryIvfTest, AllListsProbedIsExactAndSurvivesReopen) {
  const std::string dir = TempDir();
  IndexSpec index;
  index.field_name = "vec";
  index.index_type = IndexType::kBinIvfFlat;
  index.metric_type = metric();
  index.params["nlist"] = "4";
  {
    ASSERT_OK_AND_ASSIGN(Client client, Client::Open(dir, SmallSegments()));
    ASSERT_THAT(client.CreateCollection("docs", Schema(), {index}), IsOk());
    Insert(client, 0, 130);
    ASSERT_THAT(client.Flush("docs"), IsOk());
    ASSERT_OK_AND_ASSIGN(auto indexes, client.DescribeIndexes("docs"));
    ASSERT_EQ(indexes.size(), 1u);
    EXPECT_EQ(indexes[0].index_type, IndexType::kBinIvfFlat);
    EXPECT_EQ(indexes[0].indexed_rows, 130);  // Flush waited for the builds
    ExpectSearchMatchesReference(client, /*nprobe=*/4);
  }
  ASSERT_OK_AND_ASSIGN(Client client, Client::Open(dir, SmallSegments()));
  ExpectSearchMatchesReference(client, /*nprobe=*/4);
}

INSTANTIATE_TEST_SUITE_P(Metrics, BinaryIvfTest,
                         ::testing::Values(MetricType::kHamming,
                                           MetricType::kJaccard),
                         [](const auto& info) {
                           return std::string(MetricTypeName(info.param));
                         });

TEST(BinaryRangeSearchTest, HammingKeepsRangeFilterToRadius) {
  ASSERT_OK_AND_ASSIGN(Client client, Client::Open(":memory:", {}));
  IndexSpec index;
  index.field_name = "vec";
  index.index_type = IndexType::kBinFlat;
  index.metric_type = MetricType::kHamming;
  ASSERT_THAT(client.CreateCollection("docs", Schema(8), {index}), IsOk());
  // One row per byte value: Hamming distances to 0x00 are the popcounts.
  std::vector<Row> rows;
  for (int64_t b = 0; b < 256; ++b) {
    rows.push_back(Row{{"id", Value(b)},
                       {"vec", Value::BinaryVector({static_cast<uint8_t>(b)})},
                       {"parity", Value(b % 2)}});
  }
  ASSERT_THAT(client.Insert("docs", rows), IsOk());
  SearchRequest s;
  s.collection_name = "docs";
  s.vector_values = {Value::BinaryVector({0x00})};
  s.limit = 100;
  s.params["radius"] = Value(4.0);
  s.params["range_filter"] = Value(2.0);
  ASSERT_OK_AND_ASSIGN(SearchResults results, client.Search(s));
  // popcount 2 or 3: C(8,2) + C(8,3) = 28 + 56 = 84 rows.
  ASSERT_EQ(results.hits[0].size(), 84u);
  for (const Hit& h : results.hits[0]) {
    const int pop = __builtin_popcount(static_cast<unsigned>(h.id.AsInt()));
    EXPECT_EQ(h.distance, static_cast<float>(pop));
    EXPECT_TRUE(pop == 2 || pop == 3);
  }
  EXPECT_EQ(results.hits[0].front().distance, 2.0f);
  EXPECT_EQ(results.hits[0].back().distance, 3.0f);
}

TEST(BinaryRefusalsTest, WrongCombinationsNameWhatIsWrong) {
  ASSERT_OK_AND_ASSIGN(Client client, Client::Open(":memory:", {}));
  auto index = [](IndexType t, MetricType m) {
    IndexSpec i;
    i.field_name = "vec";
    i.index_type = t;
    i.metric_type = m;
    return i;
  };
  EXPECT_THAT(
      client.CreateCollection("a", Schema(12), {}),
      StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("multiple of 8")));
  EXPECT_THAT(
      client.CreateCollection("b", Schema(),
                              {index(IndexType::kFlat, MetricType::kHamming)}),
      StatusIs(absl::StatusCode::kInvalidArgument,
               HasSubstr("FLAT is not supported on BINARY_VECTOR")));
  EXPECT_THAT(
      client.CreateCollection("c", Schema(),
                              {index(IndexType::kBinFlat, MetricType::kL2)}),
      StatusIs(absl::StatusCode::kInvalidArgument,
               HasSubstr("metric L2 is not a metric of BINARY_VECTOR")));
  EXPECT_THAT(
      client.CreateCollection(
          "d", Schema(),
          {index(IndexType::kBinIvfFlat, MetricType::kSubstructure)}),
      StatusIs(absl::StatusCode::kInvalidArgument,
               HasSubstr("SUBSTRUCTURE is only supported by BIN_FLAT")));
  // Binary metrics and indexes on a float field.
  CollectionSchema floats = Schema();
  floats.fields[1].type = DataType::kFloatVector;
  floats.fields[1].dim = 4;
  EXPECT_THAT(client.CreateCollection(
                  "e", floats, {index(IndexType::kFlat, MetricType::kHamming)}),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("metric HAMMING is for BINARY_VECTOR")));
  EXPECT_THAT(client.CreateCollection(
                  "f", floats, {index(IndexType::kBinFlat, MetricType::kL2)}),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("index type BIN_FLAT is for BINARY_VECTOR")));

  // AUTOINDEX with IndexSpec's default metric: BIN_FLAT with HAMMING.
  IndexSpec autoindex;
  autoindex.field_name = "vec";
  ASSERT_THAT(client.CreateCollection("g", Schema(), {autoindex}), IsOk());
  ASSERT_OK_AND_ASSIGN(auto indexes, client.DescribeIndexes("g"));
  ASSERT_EQ(indexes.size(), 1u);
  EXPECT_EQ(indexes[0].metric_type, MetricType::kHamming);
  EXPECT_THAT(client.Insert("g", {Row{{"id", Value(int64_t{1})},
                                      {"vec", Value::BinaryVector({1, 2})},
                                      {"parity", Value(int64_t{1})}}}),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("expected 72 bits in 9 bytes, got 2")));
  EXPECT_THAT(client.Insert("g", {Row{{"id", Value(int64_t{1})},
                                      {"vec", Value::FloatVector({1, 2})},
                                      {"parity", Value(int64_t{1})}}}),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("expected BINARY_VECTOR bytes")));
  SearchRequest s;
  s.collection_name = "g";
  s.vectors = {1, 2, 3};
  s.dim = 3;
  EXPECT_THAT(client.Search(s),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("give binary query vectors")));
  s.vectors.clear();
  s.dim = 0;
  s.vector_values = {Value::BinaryVector(Code(8))};
  EXPECT_THAT(client.Search(s),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("expected 72 bits in 9 bytes, got 8")));
  s.vector_values = {Value::BinaryVector(Code(9))};
  s.metric_type = MetricType::kJaccard;
  EXPECT_THAT(client.Search(s), StatusIs(absl::StatusCode::kInvalidArgument,
                                         HasSubstr("the index uses HAMMING")));
  // Range search needs a distance.
  ASSERT_THAT(client.CreateCollection(
                  "h", Schema(),
                  {index(IndexType::kBinFlat, MetricType::kSubstructure)}),
              IsOk());
  s.collection_name = "h";
  s.metric_type.reset();
  s.params["radius"] = Value(3.0);
  EXPECT_THAT(client.Search(s),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("range search (radius, range_filter) is not "
                                 "supported with metric SUBSTRUCTURE")));
}

}  // namespace
}  // namespace cove

namespace cove {
namespace {

// Grouping searches and search iterators (read sessions: every allowed row
// scored, pages in (distance, primary key) order) on a binary field.
TEST(BinaryGroupingTest, GroupByAndIteratorFollowTheReference) {
  ClientOptions options = SmallSegments();
  ASSERT_OK_AND_ASSIGN(Client client, Client::Open(":memory:", options));
  IndexSpec index;
  index.field_name = "vec";
  index.index_type = IndexType::kBinFlat;
  index.metric_type = MetricType::kHamming;
  ASSERT_THAT(client.CreateCollection("docs", Schema(), {index}), IsOk());
  std::mt19937 rng(17);
  std::vector<Code> rows(100, Code(kBytes));
  std::vector<Row> batch;
  for (int64_t id = 0; id < 100; ++id) {
    for (auto& b : rows[id]) b = static_cast<uint8_t>(rng());
    batch.push_back(Row{{"id", Value(id)},
                        {"vec", Value::BinaryVector(rows[id])},
                        {"parity", Value(id % 7)}});
  }
  ASSERT_THAT(client.Insert("docs", batch), IsOk());
  const Code q = rows[0];
  std::vector<std::pair<int, int64_t>> ref;
  for (int64_t id = 0; id < 100; ++id) {
    int d = 0;
    for (int i = 0; i < kBytes; ++i) d += Pop(q[i] ^ rows[id][i]);
    ref.emplace_back(d, id);
  }
  std::sort(ref.begin(), ref.end());

  SearchRequest s;
  s.collection_name = "docs";
  s.vector_values = {Value::BinaryVector(q)};
  s.limit = 3;
  s.group_by_field = "parity";
  s.group_size = 2;
  ASSERT_OK_AND_ASSIGN(SearchResults grouped, client.Search(s));
  // The reference groups: the first three values of `parity` in distance
  // order, two closest rows each.
  std::map<int64_t, int> taken;
  std::vector<int64_t> order;
  std::multiset<int> want;
  for (const auto& [d, id] : ref) {
    const int64_t g = id % 7;
    if (!taken.count(g)) {
      if (order.size() == 3) continue;
      order.push_back(g);
    }
    if (taken[g] == 2) continue;
    ++taken[g];
    want.insert(d);
  }
  ASSERT_EQ(grouped.hits[0].size(), 6u);
  std::multiset<int> got;
  for (const Hit& h : grouped.hits[0]) {
    got.insert(static_cast<int>(h.distance));
    EXPECT_TRUE(std::find(order.begin(), order.end(), h.id.AsInt() % 7) !=
                order.end());
  }
  EXPECT_EQ(got, want);

  SearchRequest it = s;
  it.group_by_field.clear();
  it.group_size = 1;
  ASSERT_OK_AND_ASSIGN(SearchIterator pages,
                       client.NewSearchIterator(it, /*batch_size=*/7,
                                                /*limit=*/40));
  std::vector<Hit> all;
  while (true) {
    ASSERT_OK_AND_ASSIGN(std::vector<Hit> page, pages.Next());
    if (page.empty()) break;
    all.insert(all.end(), page.begin(), page.end());
  }
  ASSERT_EQ(all.size(), 40u);
  for (size_t i = 0; i < all.size(); ++i) {
    EXPECT_EQ(all[i].distance, static_cast<float>(ref[i].first)) << i;
    EXPECT_EQ(all[i].id.AsInt(), ref[i].second) << i;  // ties by key
  }
}

}  // namespace
}  // namespace cove
