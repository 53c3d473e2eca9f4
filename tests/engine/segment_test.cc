// Segments of a collection: sealing at the threshold, background index
// builds and the switch-over from exact scans, search merging across
// segments (against an unsegmented collection as the oracle), compaction,
// snapshot reads under concurrent writes, and snapshots of segments.
#include <algorithm>
#include <atomic>
#include <map>
#include <random>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "absl/synchronization/notification.h"
#include "common/bytes.h"
#include "embedded/requests.h"
#include "engine/build_pool.h"
#include "engine/collection.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "testing/status_matchers.h"

namespace cove::engine {
namespace {
namespace segment_test {

using ::cove::testing::IsOk;

constexpr int kDim = 8;

CollectionSchema TestSchema() {
  CollectionSchema schema;
  FieldSchema id;
  id.name = "id";
  id.type = cove::DataType::kInt64;
  id.is_primary_key = true;
  schema.AddField(id);
  FieldSchema vec;
  vec.name = "vec";
  vec.type = cove::DataType::kFloatVector;
  vec.dim = kDim;
  schema.AddField(vec);
  FieldSchema tag;
  tag.name = "tag";
  tag.type = cove::DataType::kInt64;
  schema.AddField(tag);
  FieldSchema check;
  check.name = "check";
  check.type = cove::DataType::kInt64;
  schema.AddField(check);
  return schema;
}

std::vector<float> RandomVector(std::mt19937& rng) {
  std::normal_distribution<float> g;
  std::vector<float> v(kDim);
  for (float& x : v) x = g(rng);
  return v;
}

Row MakeRow(int64_t id, std::vector<float> v, int64_t tag, int64_t check = 0) {
  return Row{{"id", Value(id)},
             {"vec", Value::FloatVector(std::move(v))},
             {"tag", Value(tag)},
             {"check", Value(check)}};
}

std::unique_ptr<Collection> MakeCollection(
    size_t seal_rows, cove::IndexType type, MetricType metric,
    std::shared_ptr<BuildPool> pool = nullptr, double ratio = 0.2,
    std::map<std::string, std::string> params = {}, size_t merge_rows = 0) {
  CollectionContext context;
  context.segments.seal_rows = seal_rows;
  context.segments.compact_deleted_ratio = ratio;
  context.segments.merge_rows = merge_rows;
  context.pool = pool != nullptr ? pool : std::make_shared<BuildPool>(2);
  auto c = Collection::Create("c", internal::ToEngineSchema(TestSchema()), 0,
                              std::move(context));
  EXPECT_THAT(c.status(), IsOk());
  IndexSpec spec;
  spec.field_name = "vec";
  spec.index_type = type;
  spec.metric_type = metric;
  spec.params = std::move(params);
  EXPECT_THAT(internal::CreateIndexIn(**c, spec), IsOk());
  EXPECT_THAT((*c)->Load(), IsOk());
  return *std::move(c);
}

void Insert(Collection& c, std::vector<Row> rows, bool upsert = false) {
  InsertRequest request;
  request.rows = std::move(rows);
  ASSERT_THAT(internal::InsertInto(c, request, upsert).status(), IsOk());
}

void DeleteIds(Collection& c, const std::vector<int64_t>& ids) {
  DeleteRequest request;
  for (int64_t id : ids) request.ids.push_back(Value(id));
  ASSERT_THAT(internal::DeleteFrom(c, request).status(), IsOk());
}

std::vector<std::vector<int64_t>> SearchIds(
    const Collection& c, const std::vector<float>& queries,
    const std::string& filter = "", int64_t limit = 10, int64_t offset = 0,
    std::map<std::string, Value> params = {},
    std::vector<std::vector<float>>* distances = nullptr) {
  SearchRequest request;
  request.vectors = queries;
  request.dim = kDim;
  request.limit = limit;
  request.offset = offset;
  request.filter = filter;
  request.params = std::move(params);
  request.output_fields = {"tag"};
  auto results = internal::SearchIn(c, request);
  EXPECT_THAT(results.status(), IsOk());
  std::vector<std::vector<int64_t>> out;
  if (!results.ok()) return out;
  for (const auto& hits : results->hits) {
    std::vector<int64_t> ids;
    std::vector<float> d;
    for (const Hit& h : hits) {
      ids.push_back(h.id.AsInt());
      d.push_back(h.distance);
    }
    out.push_back(std::move(ids));
    if (distances != nullptr) distances->push_back(std::move(d));
  }
  return out;
}

std::set<int64_t> AllIds(const Collection& c,
                         const std::string& filter = "id >= 0") {
  QueryRequest q;
  q.filter = filter;
  q.output_fields = {"id"};
  auto rows = internal::QueryIn(c, q);
  EXPECT_THAT(rows.status(), IsOk());
  std::set<int64_t> ids;
  if (rows.ok()) {
    for (const Row& r : *rows) ids.insert(r.at("id").AsInt());
  }
  return ids;
}

// Blocks a pool's workers until released, so that background work queues up
// deterministically. Destroying it releases them and waits until none of
// them touches it any more (a worker still returning from
// WaitForNotification would read the destroyed notification: ASan reported
// it once the tests were compiled at -O0).
class PoolBlocker {
 public:
  explicit PoolBlocker(BuildPool& pool) : workers_(pool.max_workers()) {
    for (int i = 0; i < workers_; ++i) {
      pool.Submit([this] {
        started_.fetch_add(1);
        release_.WaitForNotification();
        finished_.fetch_add(1);  // the last access to *this
      });
    }
    while (started_.load() < workers_) std::this_thread::yield();
  }
  ~PoolBlocker() {
    Release();
    while (finished_.load() < workers_) std::this_thread::yield();
  }
  void Release() {
    if (!release_.HasBeenNotified()) release_.Notify();
  }

 private:
  const int workers_;
  std::atomic<int> started_{0};
  std::atomic<int> finished_{0};
  absl::Notification release_;
};

TEST(SegmentTest, GrowingSegmentIsSealedAtTheThreshold) {
  auto c = MakeCollection(100, cove::IndexType::kFlat, MetricType::kL2);
  std::mt19937 rng(1);
  int64_t id = 0;
  for (int batch = 0; batch < 36; ++batch) {  // 36 x 7 = 252 rows
    std::vector<Row> rows;
    for (int i = 0; i < 7; ++i, ++id) {
      rows.push_back(MakeRow(id, RandomVector(rng), id % 5));
    }
    Insert(*c, std::move(rows));
  }
  c->WaitForIndexBuilds();
  std::vector<SegmentInfo> segments = c->Segments();
  ASSERT_EQ(segments.size(), 3u);
  EXPECT_TRUE(segments[0].sealed);
  EXPECT_TRUE(segments[1].sealed);
  EXPECT_FALSE(segments[2].sealed);
  EXPECT_EQ(segments[0].rows, 100);
  EXPECT_EQ(segments[1].rows, 100);
  EXPECT_EQ(segments[2].rows, 52);
  EXPECT_THAT(segments[0].indexed, ::testing::ElementsAre(true));
  EXPECT_THAT(segments[1].indexed, ::testing::ElementsAre(true));
  EXPECT_THAT(segments[2].indexed, ::testing::ElementsAre(false));
  EXPECT_EQ(c->row_count(), 252);
  EXPECT_EQ(AllIds(*c).size(), 252u);
  // The growing segment's rows are searched exactly: not indexed yet.
  auto described = internal::DescribeIndexesOf(*c);
  ASSERT_EQ(described.size(), 1u);
  EXPECT_EQ(described[0].state, "InProgress");
  EXPECT_EQ(described[0].indexed_rows, 200);
  EXPECT_EQ(described[0].pending_index_rows, 52);
  // Sealing it (Flush, idle) gets them indexed.
  c->Seal();
  c->WaitForIndexBuilds();
  described = internal::DescribeIndexesOf(*c);
  EXPECT_EQ(described[0].state, "Finished");
  EXPECT_EQ(described[0].indexed_rows, 252);
  EXPECT_EQ(c->Segments().size(), 4u);
  EXPECT_EQ(AllIds(*c).size(), 252u);
}

// Segmented collections with exact indexes return what one unsegmented
// collection returns, through filters, deletes, upserts, offsets, range
// search and every metric.
class ExactAcrossSegmentsTest : public ::testing::TestWithParam<MetricType> {};

TEST_P(ExactAcrossSegmentsTest, SameResultsAsOneSegment) {
  const MetricType metric = GetParam();
  auto segmented = MakeCollection(64, cove::IndexType::kFlat, metric);
  auto single = MakeCollection(size_t{1} << 30, cove::IndexType::kFlat, metric);
  std::mt19937 rng(7);
  for (int64_t id = 0; id < 700; id += 10) {
    std::vector<Row> rows;
    for (int64_t i = id; i < id + 10; ++i) {
      rows.push_back(MakeRow(i, RandomVector(rng), i % 7));
    }
    Insert(*segmented, rows);
    Insert(*single, rows);
  }
  std::vector<int64_t> doomed;
  for (int64_t id = 0; id < 700; id += 3) doomed.push_back(id);
  DeleteIds(*segmented, doomed);
  DeleteIds(*single, doomed);
  std::vector<Row> replaced;
  for (int64_t id = 1; id < 700; id += 11) {
    replaced.push_back(MakeRow(id, RandomVector(rng), 100));
  }
  Insert(*segmented, replaced, /*upsert=*/true);
  Insert(*single, replaced, /*upsert=*/true);
  segmented->WaitForIndexBuilds();
  EXPECT_GT(segmented->Segments().size(), 5u);
  ASSERT_EQ(single->Segments().size(), 1u);
  EXPECT_EQ(segmented->row_count(), single->row_count());

  std::vector<float> queries;
  for (int q = 0; q < 20; ++q) {
    std::vector<float> v = RandomVector(rng);
    queries.insert(queries.end(), v.begin(), v.end());
  }
  for (const std::string& filter :
       {std::string(), std::string("tag == 3"), std::string("tag in [1, 100]"),
        std::string("id < 40")}) {
    std::vector<std::vector<float>> d1, d2;
    auto a = SearchIds(*segmented, queries, filter, 10, 3, {}, &d1);
    auto b = SearchIds(*single, queries, filter, 10, 3, {}, &d2);
    EXPECT_EQ(a, b) << "filter '" << filter << "'";
    for (size_t q = 0; q < d1.size() && q < d2.size(); ++q) {
      for (size_t i = 0; i < d1[q].size() && i < d2[q].size(); ++i) {
        EXPECT_NEAR(d1[q][i], d2[q][i], 1e-4) << "filter '" << filter << "'";
      }
    }
  }
  // Range search: the bounds of the 5th and 30th hit of the first query.
  std::vector<std::vector<float>> d;
  SearchIds(*single,
            std::vector<float>(queries.begin(), queries.begin() + kDim), "", 40,
            0, {}, &d);
  ASSERT_EQ(d[0].size(), 40u);
  // Bounds between two scores: rounding cannot move a row across them.
  std::map<std::string, Value> range{
      {"range_filter", Value((d[0][3] + d[0][4]) / 2.0)},
      {"radius", Value((d[0][29] + d[0][30]) / 2.0)}};
  auto ra = SearchIds(*segmented, queries, "", 50, 0, range);
  auto rb = SearchIds(*single, queries, "", 50, 0, range);
  EXPECT_EQ(ra, rb);
  EXPECT_EQ(AllIds(*segmented), AllIds(*single));
  EXPECT_EQ(AllIds(*segmented, "tag == 100"), AllIds(*single, "tag == 100"));
}

INSTANTIATE_TEST_SUITE_P(Metrics, ExactAcrossSegmentsTest,
                         ::testing::Values(MetricType::kL2, MetricType::kIP,
                                           MetricType::kCosine));

// Recall of the approximate indexes across segments (each sealed segment
// has its own graph or lists) against the exact oracle, with deletes,
// upserts and filters.
struct RecallCase {
  const char* name;
  cove::IndexType type;
  std::map<std::string, std::string> build;
  std::map<std::string, Value> search;
  double min_recall;
};

class RecallAcrossSegmentsTest : public ::testing::TestWithParam<RecallCase> {};

TEST_P(RecallAcrossSegmentsTest, MatchesTheOracle) {
  const RecallCase& rc = GetParam();
  auto index =
      MakeCollection(300, rc.type, MetricType::kL2, nullptr, 0.2, rc.build);
  auto oracle =
      MakeCollection(size_t{1} << 30, cove::IndexType::kFlat, MetricType::kL2);
  std::mt19937 rng(11);
  for (int64_t id = 0; id < 2000; id += 50) {
    std::vector<Row> rows;
    for (int64_t i = id; i < id + 50; ++i) {
      rows.push_back(MakeRow(i, RandomVector(rng), i % 10));
    }
    Insert(*index, rows);
    Insert(*oracle, rows);
  }
  std::vector<int64_t> doomed;
  for (int64_t id = 0; id < 2000; id += 7) doomed.push_back(id);
  DeleteIds(*index, doomed);
  DeleteIds(*oracle, doomed);
  std::vector<Row> replaced;
  for (int64_t id = 3; id < 2000; id += 13) {
    replaced.push_back(MakeRow(id, RandomVector(rng), 10));
  }
  Insert(*index, replaced, true);
  Insert(*oracle, replaced, true);
  index->WaitForIndexBuilds();
  int indexed = 0;
  for (const SegmentInfo& s : index->Segments()) {
    if (s.sealed) {
      ++indexed;
      EXPECT_THAT(s.indexed, ::testing::ElementsAre(true));
    }
  }
  EXPECT_GE(indexed, 5);
  std::vector<float> queries;
  for (int q = 0; q < 50; ++q) {
    std::vector<float> v = RandomVector(rng);
    queries.insert(queries.end(), v.begin(), v.end());
  }
  for (const std::string& filter :
       {std::string(), std::string("tag < 5"), std::string("tag == 10")}) {
    auto got = SearchIds(*index, queries, filter, 10, 0, rc.search);
    auto want = SearchIds(*oracle, queries, filter, 10);
    ASSERT_EQ(got.size(), want.size());
    size_t found = 0, total = 0;
    for (size_t q = 0; q < want.size(); ++q) {
      std::set<int64_t> truth(want[q].begin(), want[q].end());
      for (int64_t id : got[q]) found += truth.count(id);
      total += want[q].size();
    }
    EXPECT_GE(static_cast<double>(found) / total, rc.min_recall)
        << rc.name << " filter '" << filter << "'";
  }
}

INSTANTIATE_TEST_SUITE_P(
    Indexes, RecallAcrossSegmentsTest,
    ::testing::Values(RecallCase{"HNSW",
                                 cove::IndexType::kHnsw,
                                 {{"M", "16"}, {"efConstruction", "100"}},
                                 {{"ef", Value(64)}},
                                 0.95},
                      RecallCase{"HNSW_SQ",
                                 cove::IndexType::kHnswSq,
                                 {{"M", "16"}, {"efConstruction", "100"}},
                                 {{"ef", Value(64)}},
                                 0.95},
                      RecallCase{"IVF_FLAT",
                                 cove::IndexType::kIvfFlat,
                                 {{"nlist", "16"}},
                                 {{"nprobe", Value(8)}},
                                 0.95},
                      RecallCase{"IVF_SQ8",
                                 cove::IndexType::kIvfSq8,
                                 {{"nlist", "16"}},
                                 {{"nprobe", Value(8)}},
                                 0.85}),
    [](const ::testing::TestParamInfo<RecallCase>& info) {
      return std::string(info.param.name);
    });

// While the index of a sealed segment is being built, searches scan it
// exactly; when the index is ready they switch to it, and results stay.
TEST(SegmentTest, SearchesScanExactlyUntilTheIndexIsReady) {
  auto pool = std::make_shared<BuildPool>(1);
  auto c = MakeCollection(50, cove::IndexType::kHnsw, MetricType::kIP, pool);
  auto oracle =
      MakeCollection(size_t{1} << 30, cove::IndexType::kFlat, MetricType::kIP);
  std::mt19937 rng(3);
  std::vector<Row> rows;
  for (int64_t i = 0; i < 180; ++i) {
    rows.push_back(MakeRow(i, RandomVector(rng), i % 3));
  }
  std::vector<float> queries;
  for (int q = 0; q < 10; ++q) {
    std::vector<float> v = RandomVector(rng);
    queries.insert(queries.end(), v.begin(), v.end());
  }
  Insert(*oracle, rows);
  auto want = SearchIds(*oracle, queries, "tag != 1");
  {
    PoolBlocker blocker(*pool);
    Insert(*c, rows);
    std::vector<SegmentInfo> segments = c->Segments();
    ASSERT_EQ(segments.size(), 4u);
    for (int s = 0; s < 3; ++s) {
      EXPECT_TRUE(segments[s].sealed);
      EXPECT_THAT(segments[s].indexed, ::testing::ElementsAre(false));
    }
    EXPECT_EQ(internal::DescribeIndexesOf(*c)[0].state, "InProgress");
    EXPECT_EQ(internal::DescribeIndexesOf(*c)[0].indexed_rows, 0);
    EXPECT_EQ(SearchIds(*c, queries, "tag != 1"), want);  // exact scans
  }
  c->Seal();
  c->WaitForIndexBuilds();
  for (const SegmentInfo& s : c->Segments()) {
    EXPECT_THAT(s.indexed, ::testing::ElementsAre(s.sealed));
  }
  EXPECT_EQ(internal::DescribeIndexesOf(*c)[0].state, "Finished");
  // 50-row graphs with ef 64 are exact.
  EXPECT_EQ(SearchIds(*c, queries, "tag != 1"), want);
}

TEST(SegmentTest, DroppedIndexDiscardsBuildsAndRecreatingBuildsAgain) {
  auto pool = std::make_shared<BuildPool>(1);
  auto c = MakeCollection(40, cove::IndexType::kHnsw, MetricType::kL2, pool);
  std::mt19937 rng(5);
  std::vector<Row> rows;
  for (int64_t i = 0; i < 130; ++i)
    rows.push_back(MakeRow(i, RandomVector(rng), 0));
  {
    PoolBlocker blocker(*pool);
    Insert(*c, rows);
    ASSERT_THAT(c->Release(), IsOk());
    ASSERT_THAT(c->DropIndex("vec"), IsOk());
    IndexSpec spec;
    spec.field_name = "vec";
    spec.index_type = cove::IndexType::kFlat;
    spec.metric_type = MetricType::kL2;
    ASSERT_THAT(internal::CreateIndexIn(*c, spec), IsOk());
    ASSERT_THAT(c->Load(), IsOk());
  }
  c->WaitForIndexBuilds();
  for (const SegmentInfo& s : c->Segments()) {
    EXPECT_THAT(s.indexed, ::testing::ElementsAre(s.sealed));
  }
  EXPECT_EQ(internal::DescribeIndexesOf(*c)[0].index_type,
            cove::IndexType::kFlat);
}

TEST(SegmentTest, BackgroundCompactionReclaimsDeletedRows) {
  auto c = MakeCollection(100, cove::IndexType::kFlat, MetricType::kL2);
  std::mt19937 rng(9);
  std::vector<Row> rows;
  for (int64_t i = 0; i < 1000; ++i)
    rows.push_back(MakeRow(i, RandomVector(rng), i % 4));
  Insert(*c, rows);
  c->WaitForIndexBuilds();
  const size_t before = c->MemoryBytes();
  std::vector<float> queries;
  for (int q = 0; q < 10; ++q) {
    std::vector<float> v = RandomVector(rng);
    queries.insert(queries.end(), v.begin(), v.end());
  }
  std::vector<int64_t> doomed;
  for (int64_t i = 0; i < 1000; ++i) {
    if (i % 10 != 0) doomed.push_back(i);
  }
  DeleteIds(*c, doomed);
  const auto want = SearchIds(*c, queries, "tag < 3");
  const auto ids = AllIds(*c);
  c->WaitForIndexBuilds();  // the compaction ran in the background
  int64_t stored = 0;
  for (const SegmentInfo& s : c->Segments()) {
    stored += s.rows;
    if (s.sealed) EXPECT_THAT(s.indexed, ::testing::ElementsAre(true));
  }
  EXPECT_EQ(stored, 100);  // sealed: merged without deleted rows
  EXPECT_LE(c->Segments().size(), 2u);
  EXPECT_LT(c->MemoryBytes(), before / 3);
  EXPECT_EQ(c->row_count(), 100);
  EXPECT_EQ(SearchIds(*c, queries, "tag < 3"), want);
  EXPECT_EQ(AllIds(*c), ids);
  // Deletes and upserts still find the moved rows.
  DeleteIds(*c, {10, 20});
  Insert(*c, {MakeRow(30, RandomVector(rng), 99)}, true);
  EXPECT_EQ(c->row_count(), 98);
  EXPECT_EQ(AllIds(*c, "tag == 99"), std::set<int64_t>{30});
}

TEST(SegmentTest, ExplicitCompactReclaimsEverySegmentIncludingGrowing) {
  // Ratio 1 and no merging: nothing is compacted in the background.
  auto c = MakeCollection(100, cove::IndexType::kHnsw, MetricType::kCosine,
                          nullptr, 1.0, {}, /*merge_rows=*/1);
  std::mt19937 rng(13);
  std::vector<Row> rows;
  for (int64_t i = 0; i < 450; ++i)
    rows.push_back(MakeRow(i, RandomVector(rng), i % 2));
  Insert(*c, rows);
  std::vector<int64_t> doomed;
  for (int64_t i = 0; i < 450; ++i) {
    if (i % 5 != 0) doomed.push_back(i);
  }
  DeleteIds(*c, doomed);
  c->WaitForIndexBuilds();
  EXPECT_EQ(c->Segments().size(), 5u);
  const size_t before = c->MemoryBytes();
  const auto ids = AllIds(*c);
  std::vector<float> queries;
  for (int q = 0; q < 10; ++q) {
    std::vector<float> v = RandomVector(rng);
    queries.insert(queries.end(), v.begin(), v.end());
  }
  const auto want = SearchIds(*c, queries, "", 20);
  ASSERT_THAT(c->Compact(), IsOk());
  std::vector<SegmentInfo> segments = c->Segments();
  // Four sealed segments of 20 live rows each merge into one; the growing
  // segment (50 rows, 10 live) is rewritten.
  ASSERT_EQ(segments.size(), 2u);
  EXPECT_TRUE(segments[0].sealed);
  EXPECT_EQ(segments[0].rows, 80);
  EXPECT_EQ(segments[0].deleted, 0);
  EXPECT_THAT(segments[0].indexed, ::testing::ElementsAre(true));
  EXPECT_FALSE(segments[1].sealed);
  EXPECT_EQ(segments[1].rows, 10);
  EXPECT_LT(c->MemoryBytes(), before / 2);
  EXPECT_EQ(AllIds(*c), ids);
  EXPECT_EQ(SearchIds(*c, queries, "", 20), want);
  // Writes go on in the rewritten growing segment.
  Insert(*c, {MakeRow(1000, RandomVector(rng), 1)});
  EXPECT_EQ(c->row_count(), 91);
}

// Readers search and query while writers insert, upsert and delete whole
// batches, and segments are sealed, indexed and compacted: every read must
// see whole batches only, each row consistent with itself.
TEST(SegmentTest, SnapshotReadsSeeWholeBatchesUnderConcurrentWrites) {
  auto pool = std::make_shared<BuildPool>(2);
  auto c = MakeCollection(64, cove::IndexType::kHnsw, MetricType::kL2, pool,
                          0.2, {{"M", "8"}, {"efConstruction", "40"}});
  constexpr int kBatch = 4;
  constexpr int kBatches = 300;
  std::atomic<bool> done{false};
  std::atomic<int> bad{0};
  std::atomic<int> reads{0};
  // Row (batch b, member m, version v): id b*kBatch+m, tag b, check
  // b*1000+v, vector (check, m, 0...).
  auto batch_rows = [](int b, int version) {
    std::vector<Row> rows;
    for (int m = 0; m < kBatch; ++m) {
      std::vector<float> v(kDim, 0.0f);
      v[0] = static_cast<float>(b * 1000 + version);
      v[1] = static_cast<float>(m);
      rows.push_back(MakeRow(b * kBatch + m, v, b, b * 1000 + version));
    }
    return rows;
  };
  auto check_rows = [&](const std::vector<Row>& rows, bool whole) {
    std::map<int64_t, std::set<int64_t>> checks;  // tag -> checks
    std::map<int64_t, int> members;
    for (const Row& r : rows) {
      const int64_t tag = r.at("tag").AsInt();
      const int64_t check = r.at("check").AsInt();
      if (check / 1000 != tag) ++bad;
      if (r.count("vec") != 0 &&
          r.at("vec").AsFloatVector()[0] != static_cast<float>(check)) {
        ++bad;
      }
      checks[tag].insert(check);
      ++members[tag];
    }
    for (const auto& [tag, set] : checks) {
      if (set.size() != 1) ++bad;                  // a batch seen half upserted
      if (whole && members[tag] != kBatch) ++bad;  // half inserted/deleted
    }
  };
  std::thread writer([&] {
    std::mt19937 rng(1);
    std::vector<int> version(kBatches, -1);
    for (int step = 0; step < 1200; ++step) {
      const int b = static_cast<int>(rng() % kBatches);
      InsertRequest request;
      if (version[b] < 0) {
        request.rows = batch_rows(b, version[b] = 0);
        if (!internal::InsertInto(*c, request, false).ok()) ++bad;
      } else if (rng() % 3 == 0) {
        DeleteRequest del;
        del.filter = "tag == " + std::to_string(b);
        auto r = internal::DeleteFrom(*c, del);
        if (!r.ok() || r->count != kBatch) ++bad;
        version[b] = -1;
      } else {
        request.rows = batch_rows(b, ++version[b]);
        if (!internal::InsertInto(*c, request, true).ok()) ++bad;
      }
      if (step % 400 == 399) {
        if (!c->Compact().ok()) ++bad;
      }
    }
    done = true;
  });
  auto reader = [&](int seed) {
    std::mt19937 rng(seed);
    while (!done.load() || reads.load() < 20) {
      QueryRequest q;
      q.filter = "tag >= 0";
      q.output_fields = {"tag", "check", "vec"};
      auto rows = internal::QueryIn(*c, q);
      if (!rows.ok()) {
        ++bad;
      } else {
        check_rows(*rows, true);
      }
      QueryRequest count;
      count.output_fields = {"count(*)"};
      auto n = internal::QueryIn(*c, count);
      if (!n.ok() || (*n)[0].at("count(*)").AsInt() % kBatch != 0) ++bad;
      SearchRequest s;
      s.vectors.assign(kDim, 0.0f);
      s.vectors[0] = static_cast<float>(rng() % (kBatches * 1000));
      s.dim = kDim;
      s.limit = 3 * kBatch;
      s.filter = "tag % 2 == 0";
      s.output_fields = {"tag", "check", "vec"};
      auto found = internal::SearchIn(*c, s);
      if (!found.ok()) {
        ++bad;
      } else {
        std::vector<Row> hits;
        for (const Hit& h : found->hits[0]) {
          if (h.entity.at("tag").AsInt() % 2 != 0) ++bad;
          hits.push_back(h.entity);
        }
        check_rows(hits, false);
      }
      ++reads;
    }
  };
  std::thread r1(reader, 2), r2(reader, 3);
  writer.join();
  r1.join();
  r2.join();
  c->WaitForIndexBuilds();
  EXPECT_EQ(bad.load(), 0);
  EXPECT_GE(reads.load(), 20);
  QueryRequest q;
  q.filter = "tag >= 0";
  q.output_fields = {"tag", "check", "vec"};
  auto rows = internal::QueryIn(*c, q);
  ASSERT_THAT(rows.status(), IsOk());
  check_rows(*rows, true);
  EXPECT_EQ(bad.load(), 0);
}

TEST(SegmentTest, SnapshotRoundTripRebuildsMissingIndexes) {
  auto pool = std::make_shared<BuildPool>(1);
  auto c = MakeCollection(60, cove::IndexType::kHnsw, MetricType::kL2, pool);
  std::mt19937 rng(21);
  std::vector<Row> rows;
  for (int64_t i = 0; i < 200; ++i)
    rows.push_back(MakeRow(i, RandomVector(rng), i % 3));
  Insert(*c, std::vector<Row>(rows.begin(), rows.begin() + 120));
  c->WaitForIndexBuilds();  // two sealed segments with their index
  internal::ByteWriter w;
  {
    PoolBlocker blocker(*pool);
    Insert(*c, std::vector<Row>(rows.begin() + 120, rows.end()));
    DeleteIds(*c, {1, 61, 130, 199});
    c->Serialize(&w);  // the third sealed segment's index is not built yet
  }
  const std::string bytes = w.Take();
  internal::ByteReader r(bytes);
  auto restored_pool = std::make_shared<BuildPool>(1);
  std::optional<PoolBlocker> blocker(*restored_pool);
  CollectionContext context;
  context.segments.seal_rows = 60;
  context.pool = restored_pool;
  ASSERT_OK_AND_ASSIGN(
      auto restored, Collection::Deserialize(&r, kCollectionFormatV3, context));
  std::vector<SegmentInfo> segments = restored->Segments();
  ASSERT_EQ(segments.size(), 4u);
  EXPECT_THAT(segments[0].indexed, ::testing::ElementsAre(true));
  EXPECT_THAT(segments[1].indexed, ::testing::ElementsAre(true));
  EXPECT_THAT(segments[2].indexed, ::testing::ElementsAre(false));
  EXPECT_FALSE(segments[3].sealed);
  EXPECT_EQ(segments[3].rows, 20);
  blocker.reset();
  restored->WaitForIndexBuilds();
  EXPECT_THAT(restored->Segments()[2].indexed, ::testing::ElementsAre(true));
  EXPECT_EQ(restored->row_count(), 196);
  EXPECT_EQ(AllIds(*restored), AllIds(*c));
  std::vector<float> queries;
  for (int q = 0; q < 5; ++q) {
    std::vector<float> v = RandomVector(rng);
    queries.insert(queries.end(), v.begin(), v.end());
  }
  c->WaitForIndexBuilds();
  EXPECT_EQ(SearchIds(*restored, queries, "tag != 2"),
            SearchIds(*c, queries, "tag != 2"));
  // Writes continue in the restored growing segment.
  Insert(*restored, {MakeRow(500, RandomVector(rng), 0)});
  EXPECT_EQ(restored->row_count(), 197);
}

// A snapshot of format 1 (one block of rows) is migrated: its live rows are
// re-inserted into segments and the index is rebuilt.
TEST(SegmentTest, FormatOneSnapshotIsMigratedIntoSegments) {
  std::mt19937 rng(31);
  const int64_t n = 150;
  std::vector<std::vector<float>> vectors;
  for (int64_t i = 0; i < n; ++i) vectors.push_back(RandomVector(rng));
  internal::ByteWriter w;
  w.I64(4242);
  w.Str("old");
  w.I64(1);
  EncodeSchema(internal::ToEngineSchema(TestSchema()), &w);
  w.U8(1);     // loaded
  w.I64(100);  // next auto id
  w.Varint(2);
  w.Str(kDefaultPartition);
  w.Str("p1");
  w.Varint(n);
  for (int64_t i = 0; i < n; ++i) {
    uint16_t p = i < 100 ? 0 : 1;
    w.Raw(&p, sizeof(p));
  }
  for (int64_t i = 0; i < n; ++i) w.U8(i % 4 == 0 ? 1 : 0);  // deleted
  for (int64_t i = 0; i < n; ++i) w.Val(Value(i));           // id
  for (int64_t i = 0; i < n; ++i) w.Val(Value(i % 3));       // tag
  for (int64_t i = 0; i < n; ++i) w.Val(Value(int64_t{7}));  // check
  std::vector<float> flat;
  for (const auto& v : vectors) flat.insert(flat.end(), v.begin(), v.end());
  w.Floats(flat.data(), flat.size());
  w.U8(1);
  IndexSpec spec;
  spec.field_name = "vec";
  spec.index_name = "vec";
  spec.index_type = cove::IndexType::kFlat;
  spec.metric_type = MetricType::kL2;
  EncodeIndexDef(*internal::ToIndexDef(spec), &w);
  w.Str("");
  const std::string bytes = w.Take();
  internal::ByteReader r(bytes);
  CollectionContext context;
  context.segments.seal_rows = 50;
  ASSERT_OK_AND_ASSIGN(
      auto c, Collection::Deserialize(&r, kCollectionFormatV1, context));
  c->WaitForIndexBuilds();
  EXPECT_EQ(c->name(), "old");
  EXPECT_EQ(c->row_count(), 112);
  EXPECT_EQ(c->loaded(), true);
  std::set<int64_t> want;
  for (int64_t i = 0; i < n; ++i) {
    if (i % 4 != 0) want.insert(i);
  }
  EXPECT_EQ(AllIds(*c), want);
  QueryRequest q;
  q.partition_names = {"p1"};
  q.output_fields = {"count(*)"};
  ASSERT_OK_AND_ASSIGN(auto count, internal::QueryIn(*c, q));
  EXPECT_EQ(count[0].at("count(*)").AsInt(), 37);
  size_t sealed = 0;
  for (const SegmentInfo& s : c->Segments()) {
    if (s.sealed) {
      ++sealed;
      EXPECT_THAT(s.indexed, ::testing::ElementsAre(true));
    }
  }
  EXPECT_EQ(sealed, 2u);
  EXPECT_THAT(Collection::Deserialize(&r, 9, context).status(),
              ::cove::testing::StatusIs(absl::StatusCode::kDataLoss));
}

}  // namespace segment_test
}  // namespace
}  // namespace cove::engine

namespace cove::engine {
namespace {
namespace segment_test {

// Inserts copy their vectors into the growing segment while the log record
// is flushed (the logger's while_syncing), and publish them only once it is
// durable: a failed flush leaves no row behind, and the slots it filled are
// written again by the next insert, across the storage's growth too.
TEST(SegmentTest, StagedRowsArePublishedOnlyWhenTheLogSucceeds) {
  auto c = MakeCollection(5000, cove::IndexType::kFlat, MetricType::kCosine);
  bool fail = false;
  int staged_calls = 0;
  c->set_logger([&](std::string_view, const std::function<void()>& staging) {
    if (staging) {
      staging();
      ++staged_calls;
    }
    return fail ? absl::InternalError("fdatasync: injected") : absl::OkStatus();
  });
  std::mt19937 rng(3);
  std::map<int64_t, std::vector<float>> vectors;
  auto batch = [&](int64_t first, int64_t n) {
    std::vector<Row> rows;
    for (int64_t id = first; id < first + n; ++id) {
      vectors[id] = RandomVector(rng);
      rows.push_back(MakeRow(id, vectors[id], id % 7));
    }
    InsertRequest request;
    request.rows = std::move(rows);
    return internal::InsertInto(*c, request, false).status();
  };
  ASSERT_THAT(batch(0, 1000), IsOk());
  fail = true;
  EXPECT_FALSE(batch(1000, 1000).ok());  // fills 24 slots, then fails
  fail = false;
  ASSERT_THAT(batch(2000, 1000), IsOk());  // 24 staged, the rest after growth
  EXPECT_EQ(staged_calls, 3);
  std::set<int64_t> want;
  for (int64_t id = 0; id < 1000; ++id) want.insert(id);
  for (int64_t id = 2000; id < 3000; ++id) want.insert(id);
  EXPECT_EQ(AllIds(*c), want);
  for (int64_t id : {0, 999, 2000, 2023, 2024, 2500, 2999}) {
    std::vector<std::vector<float>> distances;
    auto ids = SearchIds(*c, vectors[id], "", 1, 0, {}, &distances);
    ASSERT_EQ(ids.size(), 1u);
    ASSERT_EQ(ids[0].size(), 1u);
    EXPECT_EQ(ids[0][0], id);
    EXPECT_NEAR(distances[0][0], 1.0f, 1e-4) << id;  // COSINE of itself
  }
}

}  // namespace segment_test
}  // namespace
}  // namespace cove::engine
