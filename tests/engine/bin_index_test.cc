// BIN_IVF_FLAT (engine/indexes/bin_index.h) on its own: clustered codes are
// found with few probes (recall against the exact BIN_FLAT scan), every list
// probed is exact, Save/Load round trips, corrupt bytes are DataLoss, and
// the parameters are checked.
#include "engine/indexes/bin_index.h"

#include <cstring>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "gtest/gtest.h"

namespace cove::engine {
namespace {
namespace bin_index_test {

constexpr size_t kBytes = 32;  // 256-bit codes: 8 slots
constexpr size_t kSlots = kBytes / 4;

using Centers = std::vector<std::vector<uint8_t>>;

Centers RandomCenters(size_t n, std::mt19937& rng) {
  Centers c(n, std::vector<uint8_t>(kBytes));
  for (auto& v : c) {
    for (auto& b : v) b = static_cast<uint8_t>(rng());
  }
  return c;
}

// n codes around the centers, each bit flipped with probability 1/16,
// packed into float32 slots as a segment stores them.
std::vector<float> Clustered(size_t n, const Centers& c, std::mt19937& rng) {
  std::vector<float> out(n * kSlots);
  for (size_t i = 0; i < n; ++i) {
    std::vector<uint8_t> code = c[rng() % c.size()];
    for (auto& b : code) {
      for (int k = 0; k < 8; ++k) {
        if (rng() % 16 == 0) b ^= uint8_t(1u << k);
      }
    }
    std::memcpy(out.data() + i * kSlots, code.data(), kBytes);
  }
  return out;
}

IndexParams Params(Metric m, int nlist) {
  IndexParams p;
  p.type = IndexType::kBinIvfFlat;
  p.metric = m;
  p.dim = kSlots;
  p.nlist = nlist;
  return p;
}

TEST(BinIvfIndexTest, RecallAgainstTheExactScanAndSaveLoad) {
  std::mt19937 rng(3);
  const size_t n = 4000;
  const Centers centers = RandomCenters(64, rng);
  const std::vector<float> rows = Clustered(n, centers, rng);
  const std::vector<float> queries = Clustered(50, centers, rng);
  for (Metric m : {Metric::kHamming, Metric::kJaccard}) {
    SCOPED_TRACE(MetricName(m));
    auto made = MakeIndex(Params(m, 64));
    ASSERT_TRUE(made.ok()) << made.status();
    VectorIndex& index = **made;
    ASSERT_TRUE(index.Build(rows.data(), n).ok());
    EXPECT_EQ(index.size(), n);
    BinaryView view;
    view.data = reinterpret_cast<const uint8_t*>(rows.data());
    view.n = n;
    view.stride = kBytes;
    view.metric = m;
    std::string saved;
    ASSERT_TRUE(index.Save(&saved).ok());
    auto loaded = LoadIndex(saved);
    ASSERT_TRUE(loaded.ok()) << loaded.status();
    size_t found = 0, total = 0;
    for (size_t q = 0; q < 50; ++q) {
      const float* query = queries.data() + q * kSlots;
      IndexSearchParams sp;
      sp.k = 10;
      const std::vector<Neighbor> exact =
          BinaryExactSearch(view, reinterpret_cast<const uint8_t*>(query), sp);
      ASSERT_EQ(exact.size(), 10u);
      // One probe: most of the true top-10 (ties: any row at the k-th
      // distance counts).
      sp.nprobe = 1;
      const std::vector<Neighbor> approx = index.Search(query, sp);
      ASSERT_EQ(approx.size(), 10u);
      for (const Neighbor& nb : approx) found += nb.score <= exact[9].score;
      total += 10;
      // Every list probed: the exact distances, before and after Load.
      sp.nprobe = 64;
      for (const VectorIndex* idx : {&index, loaded->get()}) {
        const std::vector<Neighbor> all = idx->Search(query, sp);
        ASSERT_EQ(all.size(), 10u);
        for (size_t i = 0; i < 10; ++i) {
          EXPECT_EQ(all[i].score, exact[i].score) << "query " << q;
        }
      }
    }
    const double recall = static_cast<double>(found) / total;
    EXPECT_GT(recall, 0.9) << "nprobe 1 of 64 lists";
    // Adding after the build lands rows in lists.
    ASSERT_TRUE(index.Add(rows.data(), 5).ok());
    EXPECT_EQ(index.size(), n + 5);
    // Corrupt bytes: DataLoss, never a crash.
    for (size_t at : {size_t{30}, saved.size() / 2, saved.size() - 1}) {
      std::string bad = saved;
      bad[at] ^= 0x40;
      EXPECT_EQ(LoadIndex(bad).status().code(), absl::StatusCode::kDataLoss);
    }
    EXPECT_EQ(LoadIndex(saved.substr(0, saved.size() - 3)).status().code(),
              absl::StatusCode::kDataLoss);
  }
}

TEST(BinIvfIndexTest, FiltersAndAddBeforeBuild) {
  std::mt19937 rng(9);
  const std::vector<float> rows = Clustered(500, RandomCenters(8, rng), rng);
  auto made = MakeIndex(Params(Metric::kHamming, 8));
  ASSERT_TRUE(made.ok());
  EXPECT_EQ((*made)->Add(rows.data(), 1).code(),
            absl::StatusCode::kFailedPrecondition);
  ASSERT_TRUE((*made)->Build(rows.data(), 500).ok());
  Bitset allowed(500);
  for (size_t r = 0; r < 500; r += 3) allowed.Set(r);
  IndexSearchParams sp;
  sp.k = 50;
  sp.nprobe = 8;
  sp.allowed = &allowed;
  const auto hits = (*made)->Search(rows.data() + 7 * kSlots, sp);
  ASSERT_EQ(hits.size(), 50u);
  for (const Neighbor& nb : hits) EXPECT_EQ(nb.row % 3, 0u);
}

TEST(BinIvfIndexTest, ParametersAreChecked) {
  EXPECT_EQ(MakeIndex(Params(Metric::kSubstructure, 8)).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(MakeIndex(Params(Metric::kL2, 8)).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(MakeIndex(Params(Metric::kHamming, 0)).status().code(),
            absl::StatusCode::kInvalidArgument);
}

}  // namespace bin_index_test
}  // namespace
}  // namespace cove::engine
