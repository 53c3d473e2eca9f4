// Where the float32 vectors of sealed segments live: one copy shared by the
// segment and its index (no duplicate), HNSW_SQ/IVF_SQ8 segments mapped from
// nameless files in a spill directory (identical results after a snapshot
// round trip), IVF_SQ8 re-ranking on float32 in a collection (exact scores,
// recall against the FLAT oracle with filters, deletes and upserts), and no
// mapped plaintext for an encrypted store.
#include <dirent.h>
#include <stdlib.h>

#include <algorithm>
#include <cmath>
#include <fstream>
#include <map>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "common/bytes.h"
#include "cove/client.h"
#include "embedded/requests.h"
#include "engine/build_pool.h"
#include "engine/collection.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "testing/status_matchers.h"

namespace cove::engine {
namespace {
namespace segment_vectors_test {

using ::cove::testing::IsOk;

constexpr int kDim = 16;

CollectionSchema Schema() {
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
  return schema;
}

// Clustered vectors (a few Gaussian blobs), so that IVF lists and HNSW
// neighborhoods mean something.
std::vector<float> Vec(std::mt19937& rng) {
  std::normal_distribution<float> g;
  std::uniform_int_distribution<int> blob(0, 7);
  const int b = blob(rng);
  std::vector<float> v(kDim);
  for (int i = 0; i < kDim; ++i) {
    v[i] = static_cast<float>((b * 7 + i * 3) % 11) - 5.0f + 0.6f * g(rng);
  }
  return v;
}

std::string TempDir() {
  std::string tmpl = ::testing::TempDir() + "cove_segvec_XXXXXX";
  EXPECT_NE(mkdtemp(tmpl.data()), nullptr);
  return tmpl;
}

size_t CountFiles(const std::string& dir) {
  size_t n = 0;
  DIR* d = opendir(dir.c_str());
  if (d == nullptr) return 0;
  while (auto* e = readdir(d)) {
    std::string name = e->d_name;
    if (name != "." && name != "..") ++n;
  }
  closedir(d);
  return n;
}

// Lines of /proc/self/maps that map a file under `dir`.
size_t MappingsUnder(const std::string& dir) {
  std::ifstream maps("/proc/self/maps");
  std::string line;
  size_t n = 0;
  while (std::getline(maps, line)) {
    if (line.find(dir + "/") != std::string::npos) ++n;
  }
  return n;
}

IndexSpec Spec(cove::IndexType type, MetricType metric,
               std::map<std::string, std::string> params = {}) {
  IndexSpec spec;
  spec.field_name = "vec";
  spec.index_type = type;
  spec.metric_type = metric;
  spec.params = std::move(params);
  return spec;
}

CollectionContext Context(size_t seal_rows, const std::string& spill_dir) {
  CollectionContext context;
  context.segments.seal_rows = seal_rows;
  context.pool = std::make_shared<BuildPool>(2);
  context.spill_dir = spill_dir;
  return context;
}

std::unique_ptr<Collection> Make(const IndexSpec& spec, size_t seal_rows,
                                 const std::string& spill_dir = "") {
  auto c = Collection::Create("c", internal::ToEngineSchema(Schema()), 0,
                              Context(seal_rows, spill_dir));
  EXPECT_THAT(c.status(), IsOk());
  EXPECT_THAT(internal::CreateIndexIn(**c, spec), IsOk());
  EXPECT_THAT((*c)->Load(), IsOk());
  return *std::move(c);
}

void Insert(Collection& c, const std::vector<Row>& rows, bool upsert = false) {
  InsertRequest request;
  request.rows = rows;
  ASSERT_THAT(internal::InsertInto(c, request, upsert).status(), IsOk());
}

struct Hits {
  std::vector<int64_t> ids;
  std::vector<float> distances;
};

std::vector<Hits> Search(const Collection& c, const std::vector<float>& queries,
                         const std::string& filter = "", int64_t limit = 10,
                         std::map<std::string, Value> params = {}) {
  SearchRequest request;
  request.vectors = queries;
  request.dim = kDim;
  request.limit = limit;
  request.filter = filter;
  request.params = std::move(params);
  auto results = internal::SearchIn(c, request);
  EXPECT_THAT(results.status(), IsOk());
  std::vector<Hits> out;
  if (!results.ok()) return out;
  for (const auto& hits : results->hits) {
    Hits h;
    for (const Hit& hit : hits) {
      h.ids.push_back(hit.id.AsInt());
      h.distances.push_back(hit.distance);
    }
    out.push_back(std::move(h));
  }
  return out;
}

// Heap bytes the same index holds when built on its own (with its own
// float32 copy) over `rows` rows of `seg`.
size_t StandaloneBytes(const SegmentView& seg, const IndexSpec& spec) {
  IndexParams p;
  switch (spec.index_type) {
    case cove::IndexType::kFlat:
      p.type = IndexType::kFlat;
      break;
    case cove::IndexType::kHnsw:
      p.type = IndexType::kHnsw;
      break;
    case cove::IndexType::kHnswSq:
      p.type = IndexType::kHnswSq;
      break;
    case cove::IndexType::kIvfFlat:
      p.type = IndexType::kIvfFlat;
      break;
    default:
      p.type = IndexType::kIvfSq8;
  }
  p.metric = spec.metric_type == MetricType::kL2 ? Metric::kL2 : Metric::kIP;
  p.dim = kDim;
  p.nlist = 8;
  p.build_threads = 1;
  auto index = MakeIndex(p);
  EXPECT_THAT(index.status(), IsOk());
  EXPECT_THAT((*index)->Build(seg.vectors[0]->data(), seg.rows), IsOk());
  return (*index)->MemoryBytes();
}

class SharedVectorsTest
    : public ::testing::TestWithParam<std::tuple<cove::IndexType, MetricType>> {
 protected:
  cove::IndexType type() const { return std::get<0>(GetParam()); }
  MetricType metric() const { return std::get<1>(GetParam()); }
};

// Every sealed segment's index reads the segment's own rows: no second
// float32 copy, in memory accounting and by pointer identity; results stay
// those of the FLAT oracle's neighborhood (COSINE goes through the per-row
// scale).
TEST_P(SharedVectorsTest, IndexReadsTheSegmentsRowsWithoutACopy) {
  std::map<std::string, std::string> params;
  if (type() == cove::IndexType::kIvfFlat ||
      type() == cove::IndexType::kIvfSq8) {
    params["nlist"] = "8";
  }
  const IndexSpec spec = Spec(type(), metric(), params);
  auto c = Make(spec, 300);
  auto oracle = Make(Spec(cove::IndexType::kFlat, metric()), 1 << 20);
  std::mt19937 rng(11);
  std::vector<Row> rows;
  for (int64_t i = 0; i < 1000; ++i) {
    rows.push_back(Row{{"id", Value(i)},
                       {"vec", Value::FloatVector(Vec(rng))},
                       {"tag", Value(i % 5)}});
  }
  Insert(*c, rows);
  Insert(*oracle, rows);
  c->WaitForIndexBuilds();

  std::shared_ptr<const CollectionState> state = c->Pin();
  size_t sealed = 0;
  for (const auto& seg : state->segments) {
    if (!seg->sealed) continue;
    ++sealed;
    const VectorIndex* index = seg->index[0].get();
    ASSERT_NE(index, nullptr);
    const FloatRows& rows_of_segment = *seg->vectors[0];
    EXPECT_FALSE(rows_of_segment.mapped());  // no spill directory
    // Pointer identity: the index reads the segment's rows.
    EXPECT_EQ(index->attached_vectors(), rows_of_segment.data());
    // Memory: the index holds no float32 copy of its own; built alone it
    // would hold at least the rows' bytes more.
    const size_t floats = seg->rows * kDim * sizeof(float);
    const size_t alone = StandaloneBytes(*seg, spec);
    EXPECT_GE(alone, index->MemoryBytes() + floats * 9 / 10)
        << "attached " << index->MemoryBytes() << ", alone " << alone;
  }
  EXPECT_EQ(sealed, 3u);
  // Segment memory = columns + one float copy + the index (no second copy).
  for (const SegmentInfo& info : c->Segments()) {
    if (!info.sealed) continue;
    EXPECT_EQ(info.mapped_vector_bytes, 0u);
  }

  std::vector<float> queries;
  for (int q = 0; q < 20; ++q) {
    std::vector<float> v = Vec(rng);
    queries.insert(queries.end(), v.begin(), v.end());
  }
  std::vector<Hits> got = Search(*c, queries, "tag != 3");
  std::vector<Hits> want = Search(*oracle, queries, "tag != 3");
  ASSERT_EQ(got.size(), want.size());
  double recall = 0;
  for (size_t q = 0; q < got.size(); ++q) {
    std::set<int64_t> truth(want[q].ids.begin(), want[q].ids.end());
    for (int64_t id : got[q].ids) recall += truth.count(id) / 10.0;
  }
  EXPECT_GE(recall / static_cast<double>(got.size()), 0.9);
}

INSTANTIATE_TEST_SUITE_P(
    All, SharedVectorsTest,
    ::testing::Combine(::testing::Values(cove::IndexType::kFlat,
                                         cove::IndexType::kHnsw,
                                         cove::IndexType::kHnswSq,
                                         cove::IndexType::kIvfFlat,
                                         cove::IndexType::kIvfSq8),
                       ::testing::Values(MetricType::kL2, MetricType::kCosine)),
    [](const auto& info) {
      std::string name;
      switch (std::get<0>(info.param)) {
        case cove::IndexType::kFlat:
          name = "Flat";
          break;
        case cove::IndexType::kHnsw:
          name = "Hnsw";
          break;
        case cove::IndexType::kHnswSq:
          name = "HnswSq";
          break;
        case cove::IndexType::kIvfFlat:
          name = "IvfFlat";
          break;
        default:
          name = "IvfSq8";
      }
      return name +
             (std::get<1>(info.param) == MetricType::kL2 ? "L2" : "Cosine");
    });

class SpillTest : public ::testing::TestWithParam<cove::IndexType> {};

// HNSW_SQ and IVF_SQ8 segments keep their floats in nameless mapped files in
// the spill directory (nothing to see in the directory), the heap holds the
// rest; a snapshot round trip maps them again and gives identical results
// (ids and distances), and so does a restore without a spill directory.
TEST_P(SpillTest, SegmentsMapTheirFloatsAndReopenIdentically) {
  const std::string dir = TempDir();
  std::map<std::string, std::string> params;
  if (GetParam() == cove::IndexType::kIvfSq8) params["nlist"] = "8";
  const IndexSpec spec = Spec(GetParam(), MetricType::kCosine, params);
  auto c = Make(spec, 250, dir);
  std::mt19937 rng(5);
  std::vector<Row> rows;
  for (int64_t i = 0; i < 900; ++i) {
    rows.push_back(Row{{"id", Value(i)},
                       {"vec", Value::FloatVector(Vec(rng))},
                       {"tag", Value(i % 3)}});
  }
  Insert(*c, rows);
  c->WaitForIndexBuilds();
  const size_t mappings_before = MappingsUnder(dir);
  size_t mapped_segments = 0;
  for (const SegmentInfo& info : c->Segments()) {
    if (!info.sealed) {
      EXPECT_EQ(info.mapped_vector_bytes, 0u);  // growing: in the heap
      continue;
    }
    ++mapped_segments;
    EXPECT_THAT(info.vectors_mapped, ::testing::ElementsAre(true));
    EXPECT_EQ(info.mapped_vector_bytes,
              static_cast<size_t>(info.rows) * kDim * sizeof(float));
    // Heap: columns and index, less than the mapped floats would add.
    EXPECT_GT(info.memory_bytes, 0u);
  }
  EXPECT_EQ(mapped_segments, 3u);
  EXPECT_EQ(CountFiles(dir), 0u) << "spill files must have no name";
  EXPECT_GE(mappings_before, 3u);
  // The index reads the mapped rows themselves.
  std::shared_ptr<const CollectionState> state = c->Pin();
  for (const auto& seg : state->segments) {
    if (!seg->sealed) continue;
    EXPECT_TRUE(seg->vectors[0]->mapped());
    EXPECT_EQ(seg->index[0]->attached_vectors(), seg->vectors[0]->data());
  }
  state.reset();

  std::vector<float> queries;
  for (int q = 0; q < 15; ++q) {
    std::vector<float> v = Vec(rng);
    queries.insert(queries.end(), v.begin(), v.end());
  }
  std::vector<Hits> before = Search(*c, queries, "tag != 1");
  std::vector<Hits> before_all = Search(*c, queries);

  internal::ByteWriter w;
  c->Serialize(&w);
  const std::string bytes = w.Take();
  for (const std::string& spill : {dir, std::string()}) {
    SCOPED_TRACE(spill.empty() ? "restored into the heap"
                               : "restored into mapped files");
    internal::ByteReader r(bytes);
    auto restored =
        Collection::Deserialize(&r, kCollectionFormatV3, Context(250, spill));
    ASSERT_THAT(restored.status(), IsOk());
    (*restored)->WaitForIndexBuilds();
    for (const SegmentInfo& info : (*restored)->Segments()) {
      if (!info.sealed) continue;
      EXPECT_THAT(info.indexed, ::testing::ElementsAre(true));
      EXPECT_THAT(info.vectors_mapped, ::testing::ElementsAre(!spill.empty()));
    }
    std::vector<Hits> after = Search(**restored, queries, "tag != 1");
    std::vector<Hits> after_all = Search(**restored, queries);
    ASSERT_EQ(after.size(), before.size());
    for (size_t q = 0; q < before.size(); ++q) {
      EXPECT_EQ(after[q].ids, before[q].ids);
      EXPECT_EQ(after[q].distances, before[q].distances);
      EXPECT_EQ(after_all[q].ids, before_all[q].ids);
      EXPECT_EQ(after_all[q].distances, before_all[q].distances);
    }
  }
  EXPECT_EQ(CountFiles(dir), 0u);
}

// A HNSW index traverses its floats: they stay in the heap even with a
// spill directory, and re-creating the index as HNSW brings mapped rows
// back.
TEST(SpillRuleTest, HnswKeepsFloatsInTheHeap) {
  const std::string dir = TempDir();
  auto c = Make(Spec(cove::IndexType::kHnswSq, MetricType::kL2), 200, dir);
  std::mt19937 rng(8);
  std::vector<Row> rows;
  for (int64_t i = 0; i < 400; ++i) {
    rows.push_back(Row{{"id", Value(i)},
                       {"vec", Value::FloatVector(Vec(rng))},
                       {"tag", Value(i)}});
  }
  Insert(*c, rows);
  c->WaitForIndexBuilds();
  for (const SegmentInfo& info : c->Segments()) {
    if (info.sealed) EXPECT_GT(info.mapped_vector_bytes, 0u);
  }
  ASSERT_THAT(c->Release(), IsOk());
  ASSERT_THAT(c->DropIndex("vec"), IsOk());
  ASSERT_THAT(internal::CreateIndexIn(
                  *c, Spec(cove::IndexType::kHnsw, MetricType::kL2)),
              IsOk());
  c->WaitForIndexBuilds();
  for (const SegmentInfo& info : c->Segments()) {
    EXPECT_EQ(info.mapped_vector_bytes, 0u);
    if (info.sealed) {
      EXPECT_THAT(info.indexed, ::testing::ElementsAre(true));
    }
  }
}

// A spill directory that cannot take the file leaves the rows in the heap:
// the segment stays indexed and searchable. FloatRows::Spill names the
// directory and the errno.
TEST(SpillRuleTest, UnwritableDirectoryKeepsRowsInTheHeap) {
  const std::string missing = TempDir() + "/no-such-dir";
  std::vector<float> floats(4 * kDim, 1.0f);
  auto spilled = FloatRows::Spill(floats.data(), 4, kDim, missing);
  EXPECT_EQ(spilled.status().code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(std::string(spilled.status().message()),
              ::testing::HasSubstr(missing));
  auto ok = FloatRows::Spill(floats.data(), 4, kDim, TempDir());
  ASSERT_THAT(ok.status(), IsOk());
  EXPECT_TRUE((*ok)->mapped());
  EXPECT_EQ((*ok)->row(3)[kDim - 1], 1.0f);

  auto c =
      Make(Spec(cove::IndexType::kIvfSq8, MetricType::kL2, {{"nlist", "4"}}),
           100, missing);
  std::mt19937 rng(9);
  std::vector<Row> rows;
  for (int64_t i = 0; i < 250; ++i) {
    rows.push_back(Row{{"id", Value(i)},
                       {"vec", Value::FloatVector(Vec(rng))},
                       {"tag", Value(i)}});
  }
  Insert(*c, rows);
  c->WaitForIndexBuilds();
  size_t sealed = 0;
  for (const SegmentInfo& info : c->Segments()) {
    EXPECT_EQ(info.mapped_vector_bytes, 0u);
    if (!info.sealed) continue;
    ++sealed;
    EXPECT_THAT(info.indexed, ::testing::ElementsAre(true));
  }
  EXPECT_EQ(sealed, 2u);
  std::vector<float> query = Vec(rng);
  std::vector<Hits> hits = Search(*c, query);
  ASSERT_EQ(hits.size(), 1u);
  EXPECT_EQ(hits[0].ids.size(), 10u);
}

INSTANTIATE_TEST_SUITE_P(All, SpillTest,
                         ::testing::Values(cove::IndexType::kHnswSq,
                                           cove::IndexType::kIvfSq8),
                         [](const auto& info) {
                           return info.param == cove::IndexType::kHnswSq
                                      ? std::string("HnswSq")
                                      : std::string("IvfSq8");
                         });

// IVF_SQ8 in a collection re-ranks on float32: every returned distance is
// the exact float32 distance of that row, and recall@10 against the FLAT
// oracle stays >= 0.95 through filters, deletes and upserts.
TEST(IvfSq8RerankTest, ExactScoresAndRecallAgainstFlat) {
  const std::string dir = TempDir();
  const IndexSpec spec =
      Spec(cove::IndexType::kIvfSq8, MetricType::kL2, {{"nlist", "16"}});
  auto c = Make(spec, 400, dir);
  auto oracle = Make(Spec(cove::IndexType::kFlat, MetricType::kL2), 1 << 20);
  std::mt19937 rng(3);
  std::map<int64_t, std::vector<float>> truth_vectors;
  std::vector<Row> rows;
  for (int64_t i = 0; i < 2000; ++i) {
    std::vector<float> v = Vec(rng);
    truth_vectors[i] = v;
    rows.push_back(Row{{"id", Value(i)},
                       {"vec", Value::FloatVector(v)},
                       {"tag", Value(i % 10)}});
  }
  Insert(*c, rows);
  Insert(*oracle, rows);
  // Deletes and upserts (new vectors for old keys) land in sealed and
  // growing segments alike.
  DeleteRequest del;
  for (int64_t i = 0; i < 2000; i += 7) del.ids.push_back(Value(i));
  ASSERT_THAT(internal::DeleteFrom(*c, del).status(), IsOk());
  ASSERT_THAT(internal::DeleteFrom(*oracle, del).status(), IsOk());
  std::vector<Row> upserts;
  for (int64_t i = 3; i < 2000; i += 11) {
    std::vector<float> v = Vec(rng);
    truth_vectors[i] = v;
    upserts.push_back(Row{{"id", Value(i)},
                          {"vec", Value::FloatVector(v)},
                          {"tag", Value(i % 10)}});
  }
  Insert(*c, upserts, /*upsert=*/true);
  Insert(*oracle, upserts, /*upsert=*/true);
  c->WaitForIndexBuilds();
  size_t indexed = 0;
  for (const SegmentInfo& info : c->Segments()) {
    if (info.sealed && info.indexed[0]) ++indexed;
  }
  EXPECT_GE(indexed, 4u);

  std::vector<float> queries;
  for (int q = 0; q < 30; ++q) {
    std::vector<float> v = Vec(rng);
    queries.insert(queries.end(), v.begin(), v.end());
  }
  for (const std::string filter : {"", "tag in [1, 2, 3, 4, 5]", "tag == 4"}) {
    SCOPED_TRACE(filter);
    std::vector<Hits> got =
        Search(*c, queries, filter, 10, {{"nprobe", Value(int64_t{4})}});
    std::vector<Hits> want = Search(*oracle, queries, filter);
    ASSERT_EQ(got.size(), want.size());
    double recall = 0;
    for (size_t q = 0; q < got.size(); ++q) {
      ASSERT_EQ(got[q].ids.size(), want[q].ids.size());
      std::set<int64_t> truth(want[q].ids.begin(), want[q].ids.end());
      const float* query = queries.data() + q * kDim;
      for (size_t i = 0; i < got[q].ids.size(); ++i) {
        recall += truth.count(got[q].ids[i]) / 10.0;
        const std::vector<float>& x = truth_vectors.at(got[q].ids[i]);
        float exact = 0;
        for (int d = 0; d < kDim; ++d) {
          exact += (query[d] - x[d]) * (query[d] - x[d]);
        }
        EXPECT_NEAR(got[q].distances[i], exact, 1e-3f * std::max(1.0f, exact))
            << "id " << got[q].ids[i];
      }
    }
    EXPECT_GE(recall / static_cast<double>(got.size()), 0.95);
  }
  // A shallow re-rank depth (the "rerank" search param) still returns exact
  // scores, of fewer true neighbors at most.
  std::vector<Hits> shallow =
      Search(*c, queries, "", 10,
             {{"nprobe", Value(int64_t{4})}, {"rerank", Value(int64_t{10})}});
  ASSERT_EQ(shallow.size(), 30u);
  EXPECT_EQ(shallow[0].ids.size(), 10u);
}

// An encrypted store keeps HNSW_SQ floats in the heap: no file under the
// data directory is mapped, and no file there holds a vector in plaintext.
// The same store unencrypted does map them (the rule is on).
TEST(EncryptedSpillTest, EncryptedStoreMapsNothingAndLeavesNoPlaintext) {
  for (bool encrypted : {true, false}) {
    SCOPED_TRACE(encrypted ? "encrypted" : "plaintext");
    const std::string dir = TempDir() + "/data";
    ClientOptions options;
    options.embedded.segment_seal_rows = 64;
    if (encrypted) options.embedded.encryption_key = std::string(64, 'e');
    ASSERT_OK_AND_ASSIGN(Client client, Client::Open(dir, options));
    CollectionSchema schema = Schema();
    ASSERT_THAT(
        client.CreateCollection(
            "docs", schema, {Spec(cove::IndexType::kHnswSq, MetricType::kL2)}),
        IsOk());
    const float needle = 4321.125f;
    std::vector<Row> rows;
    for (int64_t i = 0; i < 300; ++i) {
      std::vector<float> v(kDim, static_cast<float>(i % 13));
      v[0] = needle;
      rows.push_back(Row{
          {"id", Value(i)}, {"vec", Value::FloatVector(v)}, {"tag", Value(i)}});
    }
    ASSERT_THAT(client.Insert("docs", rows).status(), IsOk());
    ASSERT_THAT(client.Flush("docs"), IsOk());  // waits for index builds
    const size_t mappings = MappingsUnder(dir);
    std::string needle_bytes(reinterpret_cast<const char*>(&needle), 4);
    bool plaintext = false;
    DIR* d = opendir(dir.c_str());
    ASSERT_NE(d, nullptr);
    while (auto* e = readdir(d)) {
      std::string name = e->d_name;
      if (name == "." || name == "..") continue;
      std::ifstream in(dir + "/" + name, std::ios::binary);
      std::string data(std::istreambuf_iterator<char>(in), {});
      plaintext |= data.find(needle_bytes) != std::string::npos;
    }
    closedir(d);
    if (encrypted) {
      EXPECT_EQ(mappings, 0u);
      EXPECT_FALSE(plaintext);
    } else {
      EXPECT_GE(mappings, 4u);  // 300 / 64: four sealed segments
    }
  }
}

}  // namespace segment_vectors_test
}  // namespace
}  // namespace cove::engine
