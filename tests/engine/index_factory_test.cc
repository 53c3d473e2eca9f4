// Tests of MakeIndex()/LoadIndex(): every index type behind the VectorIndex
// interface, checked against the FLAT index as the oracle; parameter
// validation; the serialized framing and its corruption handling.
#include <cmath>
#include <cstring>
#include <memory>
#include <random>
#include <set>
#include <string>
#include <tuple>
#include <vector>

#include "engine/indexes/index_io.h"
#include "engine/indexes/vector_index.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "testing/status_matchers.h"

namespace cove::engine {
namespace {
namespace index_factory_test {

using ::cove::testing::IsOk;
using ::cove::testing::StatusIs;
using ::testing::HasSubstr;

std::vector<float> Blobs(size_t n, size_t d, uint64_t seed, bool normalize) {
  std::mt19937_64 rng(seed);
  std::mt19937_64 shape(99);
  std::normal_distribution<float> g(0.0f, 1.0f);
  const size_t clusters = 20;
  std::vector<float> centers(clusters * d);
  for (float& c : centers) c = 2.0f * g(shape);
  std::vector<float> out(n * d);
  for (size_t i = 0; i < n; ++i) {
    const float* c = centers.data() + (rng() % clusters) * d;
    float norm = 0;
    for (size_t j = 0; j < d; ++j) {
      // Low intrinsic dimension: most of the spread on the first 6 axes.
      float spread = j < 6 ? 1.0f : 0.1f;
      out[i * d + j] = c[j] + spread * g(rng);
      norm += out[i * d + j] * out[i * d + j];
    }
    if (normalize) {
      for (size_t j = 0; j < d; ++j) out[i * d + j] /= std::sqrt(norm);
    }
  }
  return out;
}

IndexParams Params(IndexType type, Metric metric, size_t dim) {
  IndexParams p;
  p.type = type;
  p.metric = metric;
  p.dim = dim;
  p.nlist = 32;
  p.build_threads = 2;
  return p;
}

const char* TypeName(IndexType t) {
  switch (t) {
    case IndexType::kFlat:
      return "Flat";
    case IndexType::kHnsw:
      return "Hnsw";
    case IndexType::kHnswSq:
      return "HnswSq";
    case IndexType::kIvfFlat:
      return "IvfFlat";
    case IndexType::kIvfSq8:
      return "IvfSq8";
    case IndexType::kIvfPq:
      return "IvfPq";
    case IndexType::kScann:
      return "Scann";
    case IndexType::kDiskAnn:
      return "DiskAnn";
    case IndexType::kBinIvfFlat:  // binary codes: bin_index_test.cc
      return "BinIvfFlat";
  }
  return "?";
}

class FactoryTest
    : public ::testing::TestWithParam<std::tuple<IndexType, Metric>> {
 protected:
  IndexType type() const { return std::get<0>(GetParam()); }
  Metric metric() const { return std::get<1>(GetParam()); }
};

constexpr size_t kDim = 24;

TEST_P(FactoryTest, RecallAgainstFlatOracle) {
  const size_t n = 8000;
  std::vector<float> data = Blobs(n, kDim, 1, metric() != Metric::kL2);
  std::vector<float> queries = Blobs(50, kDim, 2, metric() != Metric::kL2);
  ASSERT_OK_AND_ASSIGN(auto index, MakeIndex(Params(type(), metric(), kDim)));
  ASSERT_OK_AND_ASSIGN(auto oracle,
                       MakeIndex(Params(IndexType::kFlat, metric(), kDim)));
  EXPECT_EQ(index->params().type, type());
  ASSERT_THAT(index->Build(data.data(), n), IsOk());
  ASSERT_THAT(oracle->Build(data.data(), n), IsOk());
  EXPECT_EQ(index->size(), n);
  EXPECT_GE(index->MemoryBytes(), n * kDim);
  for (double fraction : {1.0, 0.1, 0.01, 0.001}) {
    SCOPED_TRACE(fraction);
    Bitset allowed(n);
    std::mt19937_64 rng(3);
    for (size_t i = 0; i < n; ++i) {
      allowed.Assign(i,
                     std::uniform_real_distribution<double>()(rng) < fraction);
    }
    IndexSearchParams sp;
    sp.allowed = &allowed;
    // DISKANN's default search list is Milvus' 16.
    if (type() == IndexType::kDiskAnn) sp.ef = 64;
    double recall = 0;
    for (size_t q = 0; q < 50; ++q) {
      std::vector<Neighbor> got = index->Search(queries.data() + q * kDim, sp);
      std::vector<Neighbor> truth =
          oracle->Search(queries.data() + q * kDim, sp);
      ASSERT_EQ(got.size(), truth.size());
      std::set<uint32_t> t;
      for (const Neighbor& nb : truth) t.insert(nb.row);
      for (const Neighbor& nb : got) {
        EXPECT_TRUE(allowed.Test(nb.row));
        recall += static_cast<double>(t.count(nb.row)) /
                  static_cast<double>(truth.size());
      }
    }
    // IVF_SQ8 picks its re-rank candidates on approximate (quantized)
    // scores.
    double min_recall = type() == IndexType::kIvfSq8 ? 0.9 : 0.95;
    EXPECT_GE(recall / 50, min_recall);
  }
}

TEST_P(FactoryTest, SaveLoadRoundTrip) {
  const size_t n = 1500;
  std::vector<float> data = Blobs(n, kDim, 4, metric() != Metric::kL2);
  ASSERT_OK_AND_ASSIGN(auto index, MakeIndex(Params(type(), metric(), kDim)));
  ASSERT_THAT(index->Build(data.data(), n), IsOk());
  std::string bytes;
  ASSERT_THAT(index->Save(&bytes), IsOk());
  ASSERT_OK_AND_ASSIGN(auto loaded, LoadIndex(bytes));
  EXPECT_EQ(loaded->params().type, type());
  EXPECT_EQ(loaded->params().metric, metric());
  EXPECT_EQ(loaded->params().dim, kDim);
  EXPECT_EQ(loaded->size(), n);
  IndexSearchParams sp;
  for (size_t q = 0; q < 20; ++q) {
    std::vector<Neighbor> a = index->Search(data.data() + q * 31 * kDim, sp);
    std::vector<Neighbor> b = loaded->Search(data.data() + q * 31 * kDim, sp);
    ASSERT_EQ(a.size(), b.size());
    for (size_t i = 0; i < a.size(); ++i) {
      EXPECT_EQ(a[i].row, b[i].row);
      EXPECT_EQ(a[i].score, b[i].score);
    }
  }
}

TEST_P(FactoryTest, CorruptOrTruncatedBytesAreDataLoss) {
  const size_t n = 300;
  std::vector<float> data = Blobs(n, 8, 5, metric() != Metric::kL2);
  IndexParams p = Params(type(), metric(), 8);
  p.nlist = 8;
  p.m = 4;
  ASSERT_OK_AND_ASSIGN(auto index, MakeIndex(p));
  ASSERT_THAT(index->Build(data.data(), n), IsOk());
  std::string bytes;
  ASSERT_THAT(index->Save(&bytes), IsOk());
  for (size_t len = 0; len < bytes.size(); len += 1 + len / 5) {
    EXPECT_THAT(LoadIndex(std::string_view(bytes).substr(0, len)),
                StatusIs(absl::StatusCode::kDataLoss))
        << len;
  }
  std::mt19937_64 rng(6);
  for (int trial = 0; trial < 200; ++trial) {
    std::string copy = bytes;
    size_t pos = rng() % copy.size();
    copy[pos] = static_cast<char>(copy[pos] ^ (1 << (rng() % 8)));
    EXPECT_THAT(LoadIndex(copy), StatusIs(absl::StatusCode::kDataLoss)) << pos;
  }
  EXPECT_THAT(LoadIndex(bytes + "x"), StatusIs(absl::StatusCode::kDataLoss));
}

INSTANTIATE_TEST_SUITE_P(
    All, FactoryTest,
    ::testing::Combine(::testing::Values(IndexType::kFlat, IndexType::kHnsw,
                                         IndexType::kHnswSq,
                                         IndexType::kIvfFlat,
                                         IndexType::kIvfSq8,
                                         IndexType::kDiskAnn),
                       ::testing::Values(Metric::kL2, Metric::kIP)),
    [](const auto& info) {
      return std::string(TypeName(std::get<0>(info.param))) +
             (std::get<1>(info.param) == Metric::kL2 ? "L2" : "IP");
    });

TEST(FactoryParamsTest, BadParamsAreInvalidArgumentNamingTheParameter) {
  struct Case {
    IndexType type;
    void (*mutate)(IndexParams*);
    const char* name;
  };
  const Case cases[] = {
      {IndexType::kFlat, [](IndexParams* p) { p->dim = 0; }, "dim"},
      {IndexType::kHnsw, [](IndexParams* p) { p->dim = 0; }, "dim"},
      {IndexType::kHnsw, [](IndexParams* p) { p->m = 1; }, "m:"},
      {IndexType::kHnswSq, [](IndexParams* p) { p->m = 0; }, "m:"},
      {IndexType::kHnsw, [](IndexParams* p) { p->ef_construction = 0; },
       "ef_construction"},
      {IndexType::kHnsw, [](IndexParams* p) { p->build_threads = -1; },
       "build_threads"},
      {IndexType::kIvfFlat, [](IndexParams* p) { p->nlist = 0; }, "nlist"},
      {IndexType::kIvfSq8, [](IndexParams* p) { p->dim = 0; }, "dim"},
      {IndexType::kIvfSq8, [](IndexParams* p) { p->build_threads = -4; },
       "build_threads"},
      {IndexType::kFlat,
       [](IndexParams* p) { p->type = static_cast<IndexType>(77); }, "type"},
  };
  for (const Case& c : cases) {
    IndexParams p = Params(c.type, Metric::kL2, 16);
    ASSERT_THAT(MakeIndex(p), IsOk());
    c.mutate(&p);
    EXPECT_THAT(MakeIndex(p), StatusIs(absl::StatusCode::kInvalidArgument,
                                       HasSubstr(c.name)));
  }
}

TEST(FactoryLoadTest, GarbageAndBadHeadersAreDataLoss) {
  EXPECT_THAT(LoadIndex(""), StatusIs(absl::StatusCode::kDataLoss));
  EXPECT_THAT(LoadIndex("hello world, this is not an index"),
              StatusIs(absl::StatusCode::kDataLoss));
  std::string random(4096, '\0');
  std::mt19937_64 rng(7);
  for (char& c : random) c = static_cast<char>(rng());
  EXPECT_THAT(LoadIndex(random), StatusIs(absl::StatusCode::kDataLoss));

  // A valid HNSW index, then its header mangled field by field.
  std::vector<float> data = Blobs(100, 8, 8, false);
  ASSERT_OK_AND_ASSIGN(auto index,
                       MakeIndex(Params(IndexType::kHnsw, Metric::kL2, 8)));
  ASSERT_THAT(index->Build(data.data(), 100), IsOk());
  std::string bytes;
  ASSERT_THAT(index->Save(&bytes), IsOk());
  ASSERT_THAT(LoadIndex(bytes), IsOk());
  std::string bad_version = bytes;
  bad_version[4] = 9;
  EXPECT_THAT(LoadIndex(bad_version),
              StatusIs(absl::StatusCode::kDataLoss, HasSubstr("version")));
  std::string bad_tag = bytes;
  bad_tag[5] = 42;
  EXPECT_THAT(LoadIndex(bad_tag),
              StatusIs(absl::StatusCode::kDataLoss, HasSubstr("type")));
  std::string bad_sum = bytes;
  bad_sum[20] ^= 1;
  EXPECT_THAT(LoadIndex(bad_sum),
              StatusIs(absl::StatusCode::kDataLoss, HasSubstr("checksum")));
  // An HNSW payload under an IVF tag (checksum still right): parsed as IVF,
  // rejected, no crash.
  std::string wrong_type = bytes;
  wrong_type[5] = static_cast<char>(IndexType::kIvfFlat);
  EXPECT_THAT(LoadIndex(wrong_type), StatusIs(absl::StatusCode::kDataLoss));
  wrong_type[5] = static_cast<char>(IndexType::kHnswSq);
  EXPECT_THAT(LoadIndex(wrong_type), StatusIs(absl::StatusCode::kDataLoss));
}

}  // namespace index_factory_test
}  // namespace
}  // namespace cove::engine
