// Segments through the client: small seal thresholds (EmbeddedOptions) so
// that collections span many sealed segments; Compact(); durability of
// segments across reopen and across SIGKILL.
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmath>
#include <cstdlib>
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

constexpr int kSegmentsDim = 6;

std::string TempDir() {
  std::string tmpl = ::testing::TempDir() + "cove_seg_XXXXXX";
  EXPECT_NE(mkdtemp(tmpl.data()), nullptr);
  return tmpl + "/data";
}

ClientOptions SmallSegments(int64_t seal_rows = 40) {
  ClientOptions options;
  options.embedded.segment_seal_rows = seal_rows;
  options.embedded.index_threads = 2;
  options.embedded.sync = EmbeddedOptions::SyncPolicy::kNone;
  return options;
}

Row MakeRow(int64_t id) {
  std::vector<float> v(kSegmentsDim);
  for (int i = 0; i < kSegmentsDim; ++i) {
    v[i] = static_cast<float>(std::sin(0.37 * static_cast<double>(id) + i));
  }
  return Row{{"id", Value(id)},
             {"vector", Value::FloatVector(std::move(v))},
             {"parity", Value(id % 2)}};
}

std::set<int64_t> AllIds(Client& client) {
  QueryRequest q;
  q.collection_name = "docs";
  q.filter = "id >= 0";
  q.output_fields = {"id"};
  auto rows = client.Query(q);
  EXPECT_THAT(rows, IsOk());
  std::set<int64_t> ids;
  if (rows.ok()) {
    for (const Row& r : *rows) ids.insert(r.at("id").AsInt());
  }
  return ids;
}

std::vector<std::vector<int64_t>> Search(Client& client) {
  SearchRequest s;
  s.collection_name = "docs";
  for (int q = 0; q < 5; ++q) {
    Row r = MakeRow(1000 + q * 7);
    const auto& v = r.at("vector").AsFloatVector();
    s.vectors.insert(s.vectors.end(), v.begin(), v.end());
  }
  s.dim = kSegmentsDim;
  s.limit = 8;
  s.filter = "parity == 0";
  s.params["ef"] = Value(200);
  auto results = client.Search(s);
  EXPECT_THAT(results, IsOk());
  std::vector<std::vector<int64_t>> out;
  if (results.ok()) {
    for (const auto& hits : results->hits) {
      std::vector<int64_t> ids;
      for (const Hit& h : hits) ids.push_back(h.id.AsInt());
      out.push_back(std::move(ids));
    }
  }
  return out;
}

void InsertRange(Client& client, int64_t first, int64_t last, int batch) {
  for (int64_t id = first; id < last; id += batch) {
    std::vector<Row> rows;
    for (int64_t i = id; i < std::min(last, id + batch); ++i) {
      rows.push_back(MakeRow(i));
    }
    ASSERT_THAT(client.Insert("docs", rows), IsOk());
  }
}

TEST(SegmentsClientTest, CompactInMemoryKeepsResults) {
  ASSERT_OK_AND_ASSIGN(Client client,
                       Client::Open(":memory:", SmallSegments()));
  ASSERT_THAT(client.CreateCollection("docs", kSegmentsDim), IsOk());
  // FLAT: compaction rebuilds the segments' indexes, and an approximate
  // index (HNSW, built on two threads) may then answer a filtered search a
  // little differently (TSan's timing showed it): results are compared
  // exactly, so the index is exact.
  ASSERT_THAT(client.ReleaseCollection("docs"), IsOk());
  ASSERT_THAT(client.DropIndex("docs", "vector"), IsOk());
  IndexSpec flat;
  flat.field_name = "vector";
  flat.index_type = IndexType::kFlat;
  flat.metric_type = MetricType::kCosine;
  ASSERT_THAT(client.CreateIndex("docs", flat), IsOk());
  ASSERT_THAT(client.LoadCollection("docs"), IsOk());
  InsertRange(client, 0, 300, 13);
  std::vector<Value> doomed;
  for (int64_t i = 0; i < 300; ++i) {
    if (i % 4 != 0) doomed.push_back(Value(i));
  }
  ASSERT_THAT(client.Delete("docs", doomed), IsOk());
  const auto ids = AllIds(client);
  const auto hits = Search(client);
  ASSERT_THAT(client.Compact("docs"), IsOk());
  EXPECT_EQ(AllIds(client), ids);
  EXPECT_EQ(Search(client), hits);
  ASSERT_OK_AND_ASSIGN(auto stats, client.GetCollectionStats("docs"));
  EXPECT_EQ(stats.row_count, 75);
  ASSERT_OK_AND_ASSIGN(auto indexes, client.DescribeIndexes("docs"));
  ASSERT_EQ(indexes.size(), 1u);
  // The growing segment's rows are pending until sealed: Flush seals them.
  EXPECT_EQ(indexes[0].indexed_rows + indexes[0].pending_index_rows, 75);
  ASSERT_THAT(client.Flush("docs"), IsOk());
  ASSERT_OK_AND_ASSIGN(indexes, client.DescribeIndexes("docs"));
  EXPECT_EQ(indexes[0].state, "Finished");
  EXPECT_EQ(indexes[0].indexed_rows, 75);
  EXPECT_EQ(Search(client), hits);
  EXPECT_THAT(client.Compact("nope"), StatusIs(absl::StatusCode::kNotFound));
}

TEST(SegmentsClientTest, SegmentsSurviveReopenWithAndWithoutCheckpoint) {
  const std::string dir = TempDir();
  std::set<int64_t> ids;
  std::vector<std::vector<int64_t>> hits;
  {
    ASSERT_OK_AND_ASSIGN(Client client, Client::Open(dir, SmallSegments()));
    ASSERT_THAT(client.CreateCollection("docs", kSegmentsDim), IsOk());
    InsertRange(client, 0, 150, 9);
    ASSERT_THAT(client.Flush("docs"), IsOk());  // snapshot with segments
    InsertRange(client, 150, 260, 11);          // only in the log
    std::vector<Value> doomed;
    for (int64_t i = 0; i < 260; i += 3) doomed.push_back(Value(i));
    ASSERT_THAT(client.Delete("docs", doomed), IsOk());
    ASSERT_THAT(client.Upsert("docs", {MakeRow(5), MakeRow(200)}), IsOk());
    ids = AllIds(client);
    hits = Search(client);
  }
  {
    ASSERT_OK_AND_ASSIGN(Client client, Client::Open(dir, SmallSegments()));
    EXPECT_EQ(AllIds(client), ids);
    EXPECT_EQ(Search(client), hits);
  }
  // A writer killed without a checkpoint: recovery replays the log into
  // segments and rebuilds their indexes in the background.
  pid_t pid = fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    auto client = Client::Open(dir, SmallSegments());
    if (!client.ok()) _exit(2);
    for (int64_t id = 1000; id < 1100; id += 10) {
      std::vector<Row> rows;
      for (int64_t i = id; i < id + 10; ++i) rows.push_back(MakeRow(i));
      if (!client->Insert("docs", rows).ok()) _exit(3);
    }
    if (!client->Delete("docs", {Value(int64_t{1001})}).ok()) _exit(4);
    kill(getpid(), SIGKILL);
  }
  int status = 0;
  waitpid(pid, &status, 0);
  ASSERT_TRUE(WIFSIGNALED(status)) << "writer exited early: " << status;
  for (int64_t i = 1000; i < 1100; ++i) {
    if (i != 1001) ids.insert(i);
  }
  ASSERT_OK_AND_ASSIGN(Client client, Client::Open(dir, SmallSegments()));
  EXPECT_EQ(AllIds(client), ids);
  ASSERT_THAT(client.Flush("docs"), IsOk());  // waits for the rebuilds
  ASSERT_OK_AND_ASSIGN(auto indexes, client.DescribeIndexes("docs"));
  EXPECT_EQ(indexes[0].state, "Finished");
  EXPECT_EQ(indexes[0].indexed_rows, static_cast<int64_t>(ids.size()));
  ASSERT_THAT(client.Compact("docs"), IsOk());
  EXPECT_EQ(AllIds(client), ids);
}

}  // namespace
}  // namespace cove
