// k-means clustering (squared L2) for the coarse quantizer of the IVF
// indexes, and the nearest-centroid assignment it is built on.
#ifndef COVE_SRC_ENGINE_INDEXES_KMEANS_H_
#define COVE_SRC_ENGINE_INDEXES_KMEANS_H_

#include <cstddef>
#include <cstdint>
#include <vector>

namespace cove::engine {

/// Options of TrainKMeans().
struct KMeansOptions {
  /// Lloyd iterations after seeding (stops early once no point moves).
  int iterations = 10;
  /// Training uses a random sample of at most k * max_points_per_centroid
  /// vectors (the rest adds little to the centroids and costs time).
  size_t max_points_per_centroid = 256;
  /// k-means++ seeding runs on a sub-sample of at most
  /// max(kSeedingMinPoints, seeding_points_per_centroid * k) vectors, so that
  /// its sequential O(points * k * d) cost stays bounded for large k.
  size_t seeding_points_per_centroid = 16;
  /// Seed of the sampling and of the seeding.
  uint64_t seed = 42;
  /// Threads for the assignment steps (>= 1).
  int threads = 1;
};

/// Clusters n row-major vectors of dimension d into k groups with k-means++
/// seeding and Lloyd iterations; empty clusters are refilled by splitting the
/// largest one. k is clamped to n. Returns min(k, n) * d floats, row-major.
/// Deterministic for a given input, options and thread count.
std::vector<float> TrainKMeans(const float* data, size_t n, size_t d, size_t k,
                               const KMeansOptions& options);

/// For each of n vectors, the index of the nearest of k centroids (squared
/// L2) in assign[i] and, when dist is not null, that distance in dist[i].
/// Uses blocked matrix kernels; `threads` >= 1 split the rows.
void AssignNearest(const float* data, size_t n, const float* centroids,
                   size_t k, size_t d, int threads, uint32_t* assign,
                   float* dist);

}  // namespace cove::engine

#endif  // COVE_SRC_ENGINE_INDEXES_KMEANS_H_
