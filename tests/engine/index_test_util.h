// Shared helpers of the vector index tests: clustered test data, a
// brute-force oracle with Milvus range semantics, recall and random bitsets.
#ifndef COVE_TESTS_ENGINE_INDEX_TEST_UTIL_H_
#define COVE_TESTS_ENGINE_INDEX_TEST_UTIL_H_

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <optional>
#include <random>
#include <set>
#include <vector>

#include "engine/bitset.h"
#include "engine/indexes/vector_index.h"
#include "gtest/gtest.h"

namespace cove::engine::testing {

// Gaussian clusters of low intrinsic dimension (as real embeddings are): a
// center plus a random linear image of an 8-d latent, plus a little noise.
// Unit-normalized when `normalize` (for IP/cosine).
inline std::vector<float> Clustered(size_t n, size_t d, uint64_t seed,
                                    bool normalize, size_t clusters = 32) {
  constexpr size_t kLatent = 8;
  std::mt19937_64 rng(seed);
  std::mt19937_64 shape_rng(1234);  // same clusters for data and queries
  std::normal_distribution<float> g(0.0f, 1.0f);
  std::vector<float> centers(clusters * d);
  for (float& c : centers) c = 3.0f * g(shape_rng);
  std::vector<float> w(d * kLatent);
  for (float& v : w) v = g(shape_rng) / std::sqrt(float{kLatent});
  std::vector<float> out(n * d);
  std::uniform_int_distribution<size_t> pick(0, clusters - 1);
  float z[kLatent];
  for (size_t i = 0; i < n; ++i) {
    const float* c = centers.data() + pick(rng) * d;
    for (float& v : z) v = g(rng);
    float* x = out.data() + i * d;
    for (size_t j = 0; j < d; ++j) {
      float v = c[j] + 0.1f * g(rng);
      for (size_t l = 0; l < kLatent; ++l) v += w[j * kLatent + l] * z[l];
      x[j] = v;
    }
    if (normalize) {
      float norm = 0;
      for (size_t j = 0; j < d; ++j) norm += x[j] * x[j];
      norm = std::sqrt(norm);
      for (size_t j = 0; j < d; ++j) x[j] /= norm;
    }
  }
  return out;
}

// Exact top-k of the allowed rows inside the Milvus-style range.
inline std::vector<Neighbor> BruteForce(
    const std::vector<float>& data, size_t d, Metric metric, const float* q,
    size_t k, const Bitset* allowed = nullptr,
    std::optional<float> radius = std::nullopt,
    std::optional<float> range_filter = std::nullopt) {
  const bool ip = metric != Metric::kL2;
  std::vector<Neighbor> all;
  size_t n = data.size() / d;
  for (size_t i = 0; i < n; ++i) {
    if (allowed != nullptr && !allowed->Test(i)) continue;
    double s = 0;
    for (size_t j = 0; j < d; ++j) {
      double a = data[i * d + j];
      double b = q[j];
      s += ip ? a * b : (a - b) * (a - b);
    }
    float score = static_cast<float>(s);
    if (ip) {
      if (radius && !(score > *radius)) continue;
      if (range_filter && !(score <= *range_filter)) continue;
    } else {
      if (radius && !(score < *radius)) continue;
      if (range_filter && !(score >= *range_filter)) continue;
    }
    all.push_back({static_cast<uint32_t>(i), score});
  }
  std::sort(all.begin(), all.end(), [&](const Neighbor& a, const Neighbor& b) {
    return ip ? a.score > b.score : a.score < b.score;
  });
  if (all.size() > k) all.resize(k);
  return all;
}

inline double Recall(const std::vector<Neighbor>& got,
                     const std::vector<Neighbor>& truth) {
  if (truth.empty()) return got.empty() ? 1.0 : 0.0;
  std::set<uint32_t> t;
  for (const Neighbor& n : truth) t.insert(n.row);
  size_t hit = 0;
  for (const Neighbor& n : got) hit += t.count(n.row);
  return static_cast<double>(hit) / static_cast<double>(truth.size());
}

// Same length and the same scores in order (ties may swap rows).
inline void ExpectSameScores(const std::vector<Neighbor>& got,
                             const std::vector<Neighbor>& truth) {
  ASSERT_EQ(got.size(), truth.size());
  for (size_t i = 0; i < got.size(); ++i) {
    EXPECT_NEAR(got[i].score, truth[i].score,
                1e-4f * (1.0f + std::fabs(truth[i].score)))
        << "rank " << i;
  }
}

inline Bitset RandomBits(size_t n, double fraction, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::bernoulli_distribution coin(fraction);
  Bitset b(n);
  for (size_t i = 0; i < n; ++i) b.Assign(i, coin(rng));
  return b;
}

}  // namespace cove::engine::testing

#endif  // COVE_TESTS_ENGINE_INDEX_TEST_UTIL_H_
