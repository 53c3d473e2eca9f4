#include "engine/indexes/kmeans.h"

#include <algorithm>
#include <cstring>
#include <limits>
#include <numeric>
#include <random>
#include <thread>

#include "engine/kernels/distance.h"

namespace cove::engine {
namespace {

constexpr size_t kSeedingMinPoints = 4096;
// Rows and centroids per block of the blocked assignment.
constexpr size_t kRowBlock = 64;
constexpr size_t kCentroidBlock = 1024;

// Assigns rows [begin, end) using the precomputed squared centroid norms.
void AssignRange(const float* data, size_t begin, size_t end,
                 const float* centroids, const float* cnorms, size_t k,
                 size_t d, uint32_t* assign, float* dist) {
  std::vector<float> ip(kRowBlock * std::min(k, kCentroidBlock));
  std::vector<float> best(kRowBlock);
  std::vector<uint32_t> best_id(kRowBlock);
  for (size_t r0 = begin; r0 < end; r0 += kRowBlock) {
    size_t nr = std::min(kRowBlock, end - r0);
    std::fill(best.begin(), best.begin() + nr,
              std::numeric_limits<float>::infinity());
    std::fill(best_id.begin(), best_id.begin() + nr, 0);
    for (size_t c0 = 0; c0 < k; c0 += kCentroidBlock) {
      size_t nc = std::min(kCentroidBlock, k - c0);
      InnerProductMatrix(data + r0 * d, nr, centroids + c0 * d, nc, d,
                         ip.data());
      for (size_t i = 0; i < nr; ++i) {
        const float* row = ip.data() + i * nc;
        // ||x||^2 is the same for every centroid: compare ||c||^2 - 2<x,c>.
        for (size_t j = 0; j < nc; ++j) {
          float v = cnorms[c0 + j] - 2.0f * row[j];
          if (v < best[i]) {
            best[i] = v;
            best_id[i] = static_cast<uint32_t>(c0 + j);
          }
        }
      }
    }
    for (size_t i = 0; i < nr; ++i) {
      assign[r0 + i] = best_id[i];
      if (dist != nullptr) {
        const float* x = data + (r0 + i) * d;
        float v = best[i] + InnerProduct(x, x, d);
        dist[r0 + i] = v > 0.0f ? v : 0.0f;
      }
    }
  }
}

// k-means++ seeding on `s` rows; returns k * d floats.
std::vector<float> SeedPlusPlus(const float* data, size_t s, size_t d, size_t k,
                                std::mt19937_64& rng) {
  std::vector<float> centroids(k * d);
  std::vector<float> mind(s);
  std::vector<float> tmp(s);
  size_t first = std::uniform_int_distribution<size_t>(0, s - 1)(rng);
  std::memcpy(centroids.data(), data + first * d, d * sizeof(float));
  L2SqrBatch(centroids.data(), data, s, d, mind.data());
  std::uniform_real_distribution<double> unif(0.0, 1.0);
  for (size_t c = 1; c < k; ++c) {
    double total = 0;
    for (float v : mind) total += v;
    size_t pick = 0;
    if (total > 0) {
      double target = unif(rng) * total;
      double acc = 0;
      pick = s - 1;
      for (size_t i = 0; i < s; ++i) {
        acc += mind[i];
        if (acc >= target && mind[i] > 0) {
          pick = i;
          break;
        }
      }
    } else {
      // All remaining points coincide with a center: any will do.
      pick = std::uniform_int_distribution<size_t>(0, s - 1)(rng);
    }
    float* cen = centroids.data() + c * d;
    std::memcpy(cen, data + pick * d, d * sizeof(float));
    L2SqrBatch(cen, data, s, d, tmp.data());
    for (size_t i = 0; i < s; ++i) mind[i] = std::min(mind[i], tmp[i]);
  }
  return centroids;
}

// Random sample of m distinct row indices out of n (sorted, for locality).
std::vector<size_t> SampleRows(size_t n, size_t m, std::mt19937_64& rng) {
  std::vector<size_t> idx(n);
  std::iota(idx.begin(), idx.end(), size_t{0});
  for (size_t i = 0; i < m; ++i) {
    size_t j = std::uniform_int_distribution<size_t>(i, n - 1)(rng);
    std::swap(idx[i], idx[j]);
  }
  idx.resize(m);
  std::sort(idx.begin(), idx.end());
  return idx;
}

std::vector<float> Gather(const float* data, const std::vector<size_t>& rows,
                          size_t d) {
  std::vector<float> out(rows.size() * d);
  for (size_t i = 0; i < rows.size(); ++i) {
    std::memcpy(out.data() + i * d, data + rows[i] * d, d * sizeof(float));
  }
  return out;
}

}  // namespace

void AssignNearest(const float* data, size_t n, const float* centroids,
                   size_t k, size_t d, int threads, uint32_t* assign,
                   float* dist) {
  if (n == 0 || k == 0) return;
  std::vector<float> cnorms(k);
  for (size_t j = 0; j < k; ++j) {
    cnorms[j] = InnerProduct(centroids + j * d, centroids + j * d, d);
  }
  size_t nt = static_cast<size_t>(std::max(threads, 1));
  // Not worth a thread for fewer than a few blocks each.
  nt = std::min(nt, std::max<size_t>(1, n / (4 * kRowBlock)));
  if (nt == 1) {
    AssignRange(data, 0, n, centroids, cnorms.data(), k, d, assign, dist);
    return;
  }
  std::vector<std::thread> workers;
  size_t per = (n + nt - 1) / nt;
  for (size_t t = 0; t < nt; ++t) {
    size_t b = t * per;
    size_t e = std::min(n, b + per);
    if (b >= e) break;
    workers.emplace_back([=, &cnorms] {
      AssignRange(data, b, e, centroids, cnorms.data(), k, d, assign, dist);
    });
  }
  for (auto& w : workers) w.join();
}

std::vector<float> TrainKMeans(const float* data, size_t n, size_t d, size_t k,
                               const KMeansOptions& options) {
  k = std::min(k, n);
  if (k == 0 || d == 0) return {};
  std::mt19937_64 rng(options.seed);

  // Training sample.
  size_t max_train = k * std::max<size_t>(options.max_points_per_centroid, 1);
  std::vector<float> sample_storage;
  const float* train = data;
  size_t s = n;
  if (n > max_train) {
    sample_storage = Gather(data, SampleRows(n, max_train, rng), d);
    train = sample_storage.data();
    s = max_train;
  }

  // Seeding on a (smaller) sub-sample.
  size_t seed_points =
      std::max(kSeedingMinPoints, options.seeding_points_per_centroid * k);
  std::vector<float> centroids;
  if (s > seed_points) {
    std::vector<float> sub = Gather(train, SampleRows(s, seed_points, rng), d);
    centroids = SeedPlusPlus(sub.data(), seed_points, d, k, rng);
  } else {
    centroids = SeedPlusPlus(train, s, d, k, rng);
  }

  // Lloyd iterations.
  std::vector<uint32_t> assign(s, UINT32_MAX);
  std::vector<uint32_t> next(s);
  std::vector<double> sums(k * d);
  std::vector<size_t> counts(k);
  for (int it = 0; it < options.iterations; ++it) {
    AssignNearest(train, s, centroids.data(), k, d, options.threads,
                  next.data(), nullptr);
    if (next == assign) break;
    assign.swap(next);
    std::fill(sums.begin(), sums.end(), 0.0);
    std::fill(counts.begin(), counts.end(), 0);
    for (size_t i = 0; i < s; ++i) {
      uint32_t c = assign[i];
      ++counts[c];
      const float* x = train + i * d;
      double* acc = sums.data() + size_t{c} * d;
      for (size_t j = 0; j < d; ++j) acc[j] += x[j];
    }
    for (size_t c = 0; c < k; ++c) {
      if (counts[c] == 0) continue;
      for (size_t j = 0; j < d; ++j) {
        centroids[c * d + j] = static_cast<float>(
            sums[c * d + j] / static_cast<double>(counts[c]));
      }
    }
    // Refill empty clusters by splitting the largest one in two slightly
    // perturbed copies (as FAISS does).
    constexpr float kEps = 1.0f / 1024;
    for (size_t c = 0; c < k; ++c) {
      if (counts[c] != 0) continue;
      size_t big = static_cast<size_t>(
          std::max_element(counts.begin(), counts.end()) - counts.begin());
      if (counts[big] < 2) break;
      float* dst = centroids.data() + c * d;
      float* src = centroids.data() + big * d;
      for (size_t j = 0; j < d; ++j) {
        float v = src[j];
        dst[j] = (j % 2 == 0) ? v * (1 + kEps) + kEps : v * (1 - kEps) - kEps;
        src[j] = (j % 2 == 0) ? v * (1 - kEps) - kEps : v * (1 + kEps) + kEps;
      }
      counts[c] = counts[big] / 2;
      counts[big] -= counts[c];
    }
  }
  return centroids;
}

}  // namespace cove::engine
