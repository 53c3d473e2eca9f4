// Product quantization (Jégou, Douze, Schmid, "Product quantization for
// nearest neighbor search", 2011): a vector is cut into m sub-vectors and each
// is replaced by the index of the nearest of 2^nbits centroids trained for its
// sub-space, so a vector costs m * nbits bits. Distances between a float32
// query and codes are sums of m table lookups ("asymmetric distance
// computation", ADC): the tables hold the distance from each query
// sub-vector to every centroid of its sub-space.
//
// Used by IVF_PQ (8 bits and others) and SCANN (4 bits, fast-scan layout of
// pq_kernels.h).
#ifndef COVE_SRC_ENGINE_INDEXES_PQ_H_
#define COVE_SRC_ENGINE_INDEXES_PQ_H_

#include <cstddef>
#include <cstdint>
#include <vector>

#include "engine/indexes/index_io.h"
#include "engine/kernels/distance.h"

namespace cove::engine {

/// A product quantizer of `dim`-dimensional vectors into `m` codes of
/// `nbits` bits. Sub-space j covers dimensions [j * dim / m, (j + 1) * dim /
/// m) (equal sizes when m divides dim; sizes differ by at most one
/// otherwise). Codes are bit-packed, sub-space 0 in the lowest bits of byte 0
/// (with nbits = 8 one byte per sub-space; with 4 two per byte, low nibble
/// first).
///
/// Thread safety: const methods may run concurrently; Train() needs exclusive
/// access.
class ProductQuantizer {
 public:
  static constexpr int kMaxBits = 16;

  ProductQuantizer() = default;
  /// Needs 1 <= m <= dim and 1 <= nbits <= kMaxBits (checked by callers).
  ProductQuantizer(size_t dim, size_t m, int nbits);

  size_t dim() const { return dim_; }
  size_t m() const { return m_; }
  int nbits() const { return nbits_; }
  /// Centroids per sub-space: 2^nbits.
  size_t ksub() const { return ksub_; }
  /// Bytes per code: ceil(m * nbits / 8).
  size_t code_size() const {
    return (m_ * static_cast<size_t>(nbits_) + 7) / 8;
  }
  /// First dimension of sub-space j, and its number of dimensions.
  size_t sub_begin(size_t j) const { return j * dim_ / m_; }
  size_t sub_dim(size_t j) const { return sub_begin(j + 1) - sub_begin(j); }
  bool trained() const { return !centroids_.empty(); }

  /// Trains the codebooks: k-means (k-means++ seeding, `iterations` Lloyd
  /// iterations) per sub-space on at most `max_points_per_centroid` * ksub()
  /// of the n row-major vectors. Fewer distinct points than ksub() leave the
  /// surplus centroids as copies of the first (never chosen by Encode).
  void Train(const float* data, size_t n, uint64_t seed, int threads,
             int iterations = 25, size_t max_points_per_centroid = 256);

  /// Encodes n row-major vectors into n * code_size() bytes, using `threads`
  /// threads for the nearest-centroid search. Needs trained().
  void EncodeBatch(const float* x, size_t n, uint8_t* codes,
                   int threads = 1) const;
  /// Encodes one vector.
  void Encode(const float* x, uint8_t* code) const {
    EncodeBatch(x, 1, code, 1);
  }
  /// The centroid ids of a code: out[j] for j < m.
  void Unpack(const uint8_t* code, uint16_t* out) const;
  /// Writes the m centroid ids `ids` as a code.
  void Pack(const uint16_t* ids, uint8_t* code) const;
  /// Reconstructs the vector a code stands for.
  void Decode(const uint8_t* code, float* x) const;

  /// The ADC table of a query for `metric`: table[j * ksub() + c] is the
  /// squared L2 distance (kL2) or the inner product (kIP, kCosine) between
  /// the query's sub-vector j and centroid c of sub-space j. m() * ksub()
  /// floats.
  void ComputeTable(Metric metric, const float* query, float* table) const;
  /// The sum of a code's table entries: the ADC distance (or inner
  /// product) of the query the table was computed for.
  float Adc(const float* table, const uint8_t* code) const;

  /// Centroid c of sub-space j (sub_dim(j) floats).
  const float* centroid(size_t j, size_t c) const {
    return centroids_.data() + ksub_ * sub_begin(j) + c * sub_dim(j);
  }

  size_t MemoryBytes() const {
    return (centroids_.capacity() + transposed_.capacity()) * sizeof(float);
  }

  /// Appends the quantizer's geometry and codebooks to a payload.
  void Save(cove::internal::IndexWriter* w) const;
  /// Reads a quantizer of dimension `dim` saved by Save(); false when the
  /// bytes are truncated, the geometry is invalid or a centroid is not
  /// finite.
  bool Load(cove::internal::IndexReader* r, size_t dim);

 private:
  // Fills transposed_ from centroids_.
  void Transpose();

  size_t dim_ = 0;
  size_t m_ = 0;
  int nbits_ = 0;
  size_t ksub_ = 0;
  // Sub-space j's ksub centroids, row-major, at offset ksub * sub_begin(j).
  std::vector<float> centroids_;
  // The same, per sub-space dimension-major (entry t * ksub + c at offset
  // ksub * sub_begin(j)), for the table kernels.
  std::vector<float> transposed_;
};

}  // namespace cove::engine

#endif  // COVE_SRC_ENGINE_INDEXES_PQ_H_
