// FLOAT16_VECTOR and BFLOAT16_VECTOR fields through the client (embedded
// backend and engine): rows stored as 16-bit values, FLAT and the IVF
// indexes searched against a double-precision reference on every metric
// across sealed and growing segments, the values read back bit for bit,
// durability across reopen (snapshot and log), and the refusals.
#include <stdlib.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <random>
#include <string>
#include <tuple>
#include <vector>

#include "cove/client.h"
#include "engine/kernels/half.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "testing/status_matchers.h"

namespace cove {
namespace {

using ::cove::engine::FloatToHalf;
using ::cove::engine::HalfToFloat;
using ::cove::engine::HalfType;
using ::cove::testing::IsOk;
using ::cove::testing::StatusIs;
using ::testing::HasSubstr;

constexpr int kHalfDim = 19;  // odd: rows are padded in the storage

std::string HalfTempDir() {
  std::string tmpl = ::testing::TempDir() + "cove_half_XXXXXX";
  EXPECT_NE(mkdtemp(tmpl.data()), nullptr);
  return tmpl + "/data";
}

ClientOptions HalfSmallSegments() {
  ClientOptions options;
  options.embedded.segment_seal_rows = 40;
  options.embedded.index_threads = 1;
  options.embedded.sync = EmbeddedOptions::SyncPolicy::kNone;
  return options;
}

CollectionSchema Schema(DataType type) {
  CollectionSchema schema;
  FieldSchema id;
  id.name = "id";
  id.type = DataType::kInt64;
  id.is_primary_key = true;
  schema.AddField(id);
  FieldSchema vec;
  vec.name = "vec";
  vec.type = type;
  vec.dim = kHalfDim;
  schema.AddField(vec);
  FieldSchema parity;
  parity.name = "parity";
  parity.type = DataType::kInt64;
  schema.AddField(parity);
  return schema;
}

Value HalfValue(HalfType t, const std::vector<uint16_t>& bits) {
  return t == HalfType::kFloat16 ? Value::Float16Vector(bits)
                                 : Value::BFloat16Vector(bits);
}

class HalfVectorsTest
    : public ::testing::TestWithParam<std::tuple<HalfType, MetricType>> {
 protected:
  HalfType type() const { return std::get<0>(GetParam()); }
  MetricType metric() const { return std::get<1>(GetParam()); }
  DataType data_type() const {
    return type() == HalfType::kFloat16 ? DataType::kFloat16Vector
                                        : DataType::kBFloat16Vector;
  }

  std::vector<uint16_t> Random() {
    std::normal_distribution<float> g(0.0f, 1.0f);
    std::vector<uint16_t> v(kHalfDim);
    for (auto& x : v) x = FloatToHalf(type(), g(rng_));
    return v;
  }

  void Insert(Client& client, int64_t first, int64_t last) {
    std::vector<Row> rows;
    for (int64_t id = first; id < last; ++id) {
      rows_.push_back(Random());
      rows.push_back(Row{{"id", Value(id)},
                         {"vec", HalfValue(type(), rows_.back())},
                         {"parity", Value(id % 2)}});
    }
    ASSERT_THAT(client.Insert("docs", rows), IsOk());
  }

  // The reference: every (parity-matching) row scored in double.
  std::vector<std::pair<double, int64_t>> Reference(
      const std::vector<uint16_t>& q, bool even_only) const {
    std::vector<std::pair<double, int64_t>> out;
    for (size_t id = 0; id < rows_.size(); ++id) {
      if (even_only && id % 2 != 0) continue;
      double l2 = 0, ip = 0, qq = 0, xx = 0;
      for (int i = 0; i < kHalfDim; ++i) {
        const double a = HalfToFloat(type(), q[i]);
        const double b = HalfToFloat(type(), rows_[id][i]);
        l2 += (a - b) * (a - b);
        ip += a * b;
        qq += a * a;
        xx += b * b;
      }
      const double score = metric() == MetricType::kL2 ? l2
                           : metric() == MetricType::kIP
                               ? ip
                               : ip / std::sqrt(qq * xx);
      out.emplace_back(score, static_cast<int64_t>(id));
    }
    const bool larger = metric() != MetricType::kL2;
    std::sort(out.begin(), out.end(), [&](const auto& a, const auto& b) {
      return larger ? a.first > b.first : a.first < b.first;
    });
    return out;
  }

  void ExpectSearchMatchesReference(Client& client) {
    SearchRequest s;
    s.collection_name = "docs";
    std::vector<std::vector<uint16_t>> queries;
    for (int q = 0; q < 3; ++q) {
      queries.push_back(Random());
      s.vector_values.push_back(HalfValue(type(), queries.back()));
    }
    s.limit = 10;
    for (bool filtered : {false, true}) {
      s.filter = filtered ? "parity == 0" : "";
      ASSERT_OK_AND_ASSIGN(SearchResults results, client.Search(s));
      ASSERT_EQ(results.hits.size(), 3u);
      for (int q = 0; q < 3; ++q) {
        const auto ref = Reference(queries[q], filtered);
        ASSERT_EQ(results.hits[q].size(), 10u);
        for (size_t i = 0; i < 10; ++i) {
          SCOPED_TRACE(::testing::Message() << "query " << q << " hit " << i);
          EXPECT_EQ(results.hits[q][i].id.AsInt(), ref[i].second);
          EXPECT_NEAR(results.hits[q][i].distance, ref[i].first,
                      1e-4 * (1 + std::fabs(ref[i].first)));
        }
      }
    }
  }

  std::mt19937 rng_{11};
  std::vector<std::vector<uint16_t>> rows_;
};

TEST_P(HalfVectorsTest, FlatMatchesReferenceAcrossSegmentsAndReopen) {
  const std::string dir = HalfTempDir();
  IndexSpec index;
  index.field_name = "vec";
  index.index_type = IndexType::kFlat;
  index.metric_type = metric();
  {
    ASSERT_OK_AND_ASSIGN(Client client, Client::Open(dir, HalfSmallSegments()));
    ASSERT_THAT(client.CreateCollection("docs", Schema(data_type()), {index}),
                IsOk());
    Insert(client, 0, 130);  // three sealed segments and a growing one
    ExpectSearchMatchesReference(client);
    ASSERT_THAT(client.Flush("docs"), IsOk());
    // FLAT on 16-bit rows scans the sealed rows: nothing to build.
    ASSERT_OK_AND_ASSIGN(auto indexes, client.DescribeIndexes("docs"));
    ASSERT_EQ(indexes.size(), 1u);
    EXPECT_EQ(indexes[0].state, "Finished");
    EXPECT_EQ(indexes[0].indexed_rows, 130);
    Insert(client, 130, 150);  // only in the log
    ExpectSearchMatchesReference(client);
  }
  ASSERT_OK_AND_ASSIGN(Client client, Client::Open(dir, HalfSmallSegments()));
  ExpectSearchMatchesReference(client);
  // The values come back bit for bit.
  QueryRequest q;
  q.collection_name = "docs";
  q.filter = "id in [0, 77, 149]";
  q.output_fields = {"vec"};
  ASSERT_OK_AND_ASSIGN(std::vector<Row> got, client.Query(q));
  ASSERT_EQ(got.size(), 3u);
  for (const Row& r : got) {
    const Value& v = r.at("vec");
    ASSERT_EQ(v.kind(), HalfValue(type(), {}).kind());
    EXPECT_EQ(type() == HalfType::kFloat16 ? v.AsFloat16Vector()
                                           : v.AsBFloat16Vector(),
              rows_[r.at("id").AsInt()]);
  }
  ASSERT_THAT(client.Compact("docs"), IsOk());
  ExpectSearchMatchesReference(client);
}

TEST_P(HalfVectorsTest, Float32QueriesAndRowsAreRoundedToTheFieldType) {
  ASSERT_OK_AND_ASSIGN(Client client, Client::Open(":memory:", {}));
  IndexSpec index;
  index.field_name = "vec";
  index.index_type = IndexType::kAutoIndex;
  index.metric_type = metric();
  ASSERT_THAT(client.CreateCollection("docs", Schema(data_type()), {index}),
              IsOk());
  std::vector<float> x(kHalfDim);
  for (int i = 0; i < kHalfDim; ++i) x[i] = 0.1f * static_cast<float>(i + 1);
  ASSERT_THAT(client.Insert("docs", {Row{{"id", Value(int64_t{1})},
                                         {"vec", Value::FloatVector(x)},
                                         {"parity", Value(int64_t{1})}}}),
              IsOk());
  SearchRequest s;
  s.collection_name = "docs";
  s.vectors = x;
  s.dim = kHalfDim;
  s.limit = 1;
  s.output_fields = {"vec"};
  ASSERT_OK_AND_ASSIGN(SearchResults results, client.Search(s));
  ASSERT_EQ(results.hits[0].size(), 1u);
  const Hit& hit = results.hits[0][0];
  std::vector<uint16_t> rounded(kHalfDim);
  for (int i = 0; i < kHalfDim; ++i) rounded[i] = FloatToHalf(type(), x[i]);
  EXPECT_EQ(hit.entity.at("vec"), HalfValue(type(), rounded));
  if (metric() == MetricType::kL2) {
    EXPECT_EQ(hit.distance, 0.0f);
  }
  if (metric() == MetricType::kCosine) {
    EXPECT_NEAR(hit.distance, 1.0f, 1e-6);
  }
}

// IVF_FLAT, IVF_SQ8, IVF_PQ and SCANN on the field, built in the background
// on three sealed segments, saved with them and read back on reopen:
// probing every list (and re-ranking deep) gives the reference top-10, with
// and without a filter; a partial probe keeps most of it.
TEST_P(HalfVectorsTest, IvfIndexesMatchReferenceAcrossSegmentsAndReopen) {
  const std::string dir = HalfTempDir();
  ClientOptions options = HalfSmallSegments();
  options.embedded.segment_seal_rows = 100;
  const std::vector<IndexType> kinds = {IndexType::kIvfFlat, IndexType::kIvfSq8,
                                        IndexType::kIvfPq, IndexType::kScann};
  auto name = [](size_t i) { return "ivf" + std::to_string(i); };
  std::vector<std::vector<uint16_t>> queries;
  for (int q = 0; q < 4; ++q) queries.push_back(Random());
  auto check = [&](Client& client, const std::string& collection,
                   IndexType kind) {
    for (bool filtered : {false, true}) {
      for (int nprobe : {8, 2}) {
        SearchRequest s;
        s.collection_name = collection;
        for (const auto& q : queries) {
          s.vector_values.push_back(HalfValue(type(), q));
        }
        s.limit = 10;
        s.filter = filtered ? "parity == 0" : "";
        s.params["nprobe"] = Value(int64_t{nprobe});
        // The re-rank depth, by each index's name for it.
        if (kind == IndexType::kIvfSq8 || kind == IndexType::kIvfPq) {
          s.params["rerank"] = Value(int64_t{300});
        } else if (kind == IndexType::kScann) {
          s.params["reorder_k"] = Value(int64_t{300});
        }
        ASSERT_OK_AND_ASSIGN(SearchResults results, client.Search(s));
        ASSERT_EQ(results.hits.size(), queries.size());
        double recall = 0;
        for (size_t q = 0; q < queries.size(); ++q) {
          const auto ref = Reference(queries[q], filtered);
          ASSERT_EQ(results.hits[q].size(), 10u);
          for (size_t i = 0; i < 10; ++i) {
            const Hit& hit = results.hits[q][i];
            if (filtered) EXPECT_EQ(hit.id.AsInt() % 2, 0);
            recall += std::count_if(
                ref.begin(), ref.begin() + 10,
                [&](const auto& r) { return r.second == hit.id.AsInt(); });
            if (nprobe == 8) {
              // COSINE indexes score the unit query rounded to the type.
              EXPECT_NEAR(hit.distance, ref[i].first,
                          (metric() == MetricType::kCosine ? 2e-2 : 1e-4) *
                              (1 + std::fabs(ref[i].first)))
                  << collection << " query " << q << " hit " << i;
            }
          }
        }
        recall /= 10.0 * static_cast<double>(queries.size());
        EXPECT_GE(recall, nprobe == 8 ? 0.97 : 0.5)
            << collection << " nprobe " << nprobe << " filtered " << filtered;
      }
    }
  };
  {
    ASSERT_OK_AND_ASSIGN(Client client, Client::Open(dir, options));
    std::vector<Row> rows;
    for (int64_t id = 0; id < 300; ++id) {
      rows_.push_back(Random());
      rows.push_back(Row{{"id", Value(id)},
                         {"vec", HalfValue(type(), rows_.back())},
                         {"parity", Value(id % 2)}});
    }
    for (size_t i = 0; i < kinds.size(); ++i) {
      IndexSpec index;
      index.field_name = "vec";
      index.index_type = kinds[i];
      index.metric_type = metric();
      index.params = {{"nlist", "8"}};
      ASSERT_THAT(
          client.CreateCollection(name(i), Schema(data_type()), {index}),
          IsOk());
      ASSERT_THAT(client.Insert(name(i), rows), IsOk());
      ASSERT_THAT(client.Flush(name(i)), IsOk());  // waits for the builds
      ASSERT_OK_AND_ASSIGN(auto indexes, client.DescribeIndexes(name(i)));
      ASSERT_EQ(indexes.size(), 1u);
      EXPECT_EQ(indexes[0].index_type, kinds[i]);
      EXPECT_EQ(indexes[0].indexed_rows, 300);
      check(client, name(i), kinds[i]);
    }
  }
  // Reopened: the indexes were saved with the segments.
  ASSERT_OK_AND_ASSIGN(Client client, Client::Open(dir, options));
  for (size_t i = 0; i < kinds.size(); ++i) {
    ASSERT_OK_AND_ASSIGN(auto indexes, client.DescribeIndexes(name(i)));
    EXPECT_EQ(indexes[0].indexed_rows, 300);
    check(client, name(i), kinds[i]);
  }
}

INSTANTIATE_TEST_SUITE_P(
    TypesAndMetrics, HalfVectorsTest,
    ::testing::Combine(::testing::Values(HalfType::kFloat16,
                                         HalfType::kBFloat16),
                       ::testing::Values(MetricType::kL2, MetricType::kIP,
                                         MetricType::kCosine)),
    [](const auto& info) {
      const MetricType m = std::get<1>(info.param);
      return std::string(engine::HalfTypeName(std::get<0>(info.param))) +
             (m == MetricType::kL2   ? "_L2"
              : m == MetricType::kIP ? "_IP"
                                     : "_COSINE");
    });

// HNSW over bfloat16 rows against HNSW over the same values in float32, at
// the same ef: the recall@10 (against an exact double-precision top-10)
// must be within 0.005; the graphs are saved and reloaded with a reopen.
TEST(HalfHnswTest, BFloat16RecallWithinFloat32AtTheSameEf) {
  constexpr int kRows = 3000, kQueries = 100, kD = 32;
  std::mt19937 rng(21);
  std::normal_distribution<float> g;
  std::vector<std::vector<uint16_t>> rows(kRows), queries(kQueries);
  for (auto* set : {&rows, &queries}) {
    for (auto& v : *set) {
      for (int i = 0; i < kD; ++i) {
        v.push_back(FloatToHalf(HalfType::kBFloat16, g(rng)));
      }
    }
  }
  auto widen = [](const std::vector<uint16_t>& v) {
    std::vector<float> out;
    for (uint16_t b : v) out.push_back(HalfToFloat(HalfType::kBFloat16, b));
    return out;
  };
  ClientOptions options = HalfSmallSegments();
  options.embedded.segment_seal_rows = 1000;  // three HNSW segments
  const std::string dir = HalfTempDir();
  for (MetricType metric : {MetricType::kL2, MetricType::kCosine}) {
    SCOPED_TRACE(metric == MetricType::kL2 ? "L2" : "COSINE");
    // The exact top-10 in double precision.
    std::vector<std::vector<int64_t>> truth(kQueries);
    for (int q = 0; q < kQueries; ++q) {
      const std::vector<float> a = widen(queries[q]);
      std::vector<std::pair<double, int64_t>> scored;
      for (int r = 0; r < kRows; ++r) {
        const std::vector<float> b = widen(rows[r]);
        double l2 = 0, ip = 0, bb = 0;
        for (int i = 0; i < kD; ++i) {
          l2 += (double{a[i]} - b[i]) * (double{a[i]} - b[i]);
          ip += double{a[i]} * b[i];
          bb += double{b[i]} * b[i];
        }
        scored.emplace_back(
            metric == MetricType::kL2 ? l2 : -ip / std::sqrt(bb), r);
      }
      std::partial_sort(scored.begin(), scored.begin() + 10, scored.end());
      for (int i = 0; i < 10; ++i) truth[q].push_back(scored[i].second);
    }
    auto recall = [&](Client& client, const std::string& name, bool typed) {
      SearchRequest s;
      s.collection_name = name;
      for (const auto& q : queries) {
        if (typed) {
          s.vector_values.push_back(Value::BFloat16Vector(q));
        } else {
          const std::vector<float> w = widen(q);
          s.vectors.insert(s.vectors.end(), w.begin(), w.end());
        }
      }
      s.dim = typed ? 0 : kD;
      s.limit = 10;
      s.params["ef"] = Value(int64_t{16});
      auto results = client.Search(s);
      EXPECT_THAT(results, IsOk());
      if (!results.ok()) return 0.0;
      int found = 0;
      for (int q = 0; q < kQueries; ++q) {
        for (const Hit& h : results->hits[q]) {
          found += std::count(truth[q].begin(), truth[q].end(), h.id.AsInt());
        }
      }
      return found / (10.0 * kQueries);
    };
    const std::string bf16 = metric == MetricType::kL2 ? "bf16_l2" : "bf16_cos";
    double f32_recall = 0, bf16_recall = 0;
    {
      ASSERT_OK_AND_ASSIGN(Client client, Client::Open(dir, options));
      IndexSpec index;
      index.field_name = "vec";
      index.index_type = IndexType::kHnsw;
      index.metric_type = metric;
      index.params = {{"M", "8"}, {"efConstruction", "64"}};
      CollectionSchema f32_schema = Schema(DataType::kFloatVector);
      f32_schema.fields[1].dim = kD;
      CollectionSchema bf16_schema = Schema(DataType::kBFloat16Vector);
      bf16_schema.fields[1].dim = kD;
      ASSERT_THAT(client.CreateCollection("f32", f32_schema, {index}), IsOk());
      ASSERT_THAT(client.CreateCollection(bf16, bf16_schema, {index}), IsOk());
      std::vector<Row> f32_rows, bf16_rows;
      for (int64_t r = 0; r < kRows; ++r) {
        f32_rows.push_back(Row{{"id", Value(r)},
                               {"vec", Value::FloatVector(widen(rows[r]))},
                               {"parity", Value(r % 2)}});
        bf16_rows.push_back(Row{{"id", Value(r)},
                                {"vec", Value::BFloat16Vector(rows[r])},
                                {"parity", Value(r % 2)}});
      }
      ASSERT_THAT(client.Insert("f32", f32_rows), IsOk());
      ASSERT_THAT(client.Insert(bf16, bf16_rows), IsOk());
      ASSERT_THAT(client.Flush("f32"), IsOk());  // waits for the builds
      ASSERT_THAT(client.Flush(bf16), IsOk());
      ASSERT_OK_AND_ASSIGN(auto indexes, client.DescribeIndexes(bf16));
      EXPECT_EQ(indexes[0].indexed_rows, kRows);
      EXPECT_EQ(indexes[0].index_type, IndexType::kHnsw);
      f32_recall = recall(client, "f32", false);
      bf16_recall = recall(client, bf16, true);
      EXPECT_GE(bf16_recall, f32_recall - 0.005)
          << "float32 " << f32_recall << ", bfloat16 " << bf16_recall;
      std::printf("HNSW ef 16 %s recall@10: float32 %.3f, bfloat16 %.3f\n",
                  metric == MetricType::kL2 ? "L2" : "COSINE", f32_recall,
                  bf16_recall);
      EXPECT_GT(f32_recall, 0.5);  // a graph walk, not a scan, yet sound
      ASSERT_THAT(client.DropCollection("f32"), IsOk());
    }
    // Reopened: the 16-bit HNSW graphs were saved with the segments, so
    // every row is indexed at once (a rebuild would run in the background).
    ASSERT_OK_AND_ASSIGN(Client client, Client::Open(dir, options));
    ASSERT_OK_AND_ASSIGN(auto indexes, client.DescribeIndexes(bf16));
    EXPECT_EQ(indexes[0].indexed_rows, kRows);
    EXPECT_GE(recall(client, bf16, true), f32_recall - 0.005);
  }
}

TEST(HalfVectorsErrorsTest, RefusalsNameTheFieldAndType) {
  ASSERT_OK_AND_ASSIGN(Client client, Client::Open(":memory:", {}));
  ASSERT_THAT(client.CreateCollection("docs", Schema(DataType::kFloat16Vector)),
              IsOk());
  IndexSpec diskann;
  diskann.field_name = "vec";
  diskann.index_type = IndexType::kDiskAnn;
  diskann.metric_type = MetricType::kL2;
  EXPECT_THAT(client.CreateIndex("docs", diskann),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("index type DISKANN is not supported on "
                                 "FLOAT16_VECTOR fields")));
  IndexSpec flat = diskann;
  flat.index_type = IndexType::kFlat;
  ASSERT_THAT(client.CreateIndex("docs", flat), IsOk());
  ASSERT_THAT(client.LoadCollection("docs"), IsOk());
  auto row = [](Value v) {
    return Row{{"id", Value(int64_t{1})},
               {"vec", std::move(v)},
               {"parity", Value(int64_t{0})}};
  };
  EXPECT_THAT(
      client.Insert("docs", {row(Value::BFloat16Vector(
                                std::vector<uint16_t>(kHalfDim, 0x3f80)))}),
      StatusIs(absl::StatusCode::kInvalidArgument,
               HasSubstr("field 'vec': expected FLOAT16_VECTOR (got "
                         "bfloat16_vector)")));
  EXPECT_THAT(client.Insert("docs", {row(Value::Float16Vector(
                                        std::vector<uint16_t>(3, 0x3c00)))}),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("wrong dimension (expected 19, got 3)")));
  std::vector<float> big(kHalfDim, 1.0f);
  big[4] = 1e6f;  // beyond float16's 65504
  EXPECT_THAT(client.Insert("docs", {row(Value::FloatVector(big))}),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("element 4 is not a finite float16 number")));
  SearchRequest s;
  s.collection_name = "docs";
  s.vector_values = {
      Value::BFloat16Vector(std::vector<uint16_t>(kHalfDim, 0x3f80))};
  EXPECT_THAT(client.Search(s),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("query 0: expected FLOAT16_VECTOR for field "
                                 "'vec' (got bfloat16_vector)")));
  s.vector_values = {
      Value::Float16Vector(std::vector<uint16_t>(kHalfDim, 0x7c00))};
  EXPECT_THAT(client.Search(s),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("not a finite float16 number")));
}

}  // namespace
}  // namespace cove
