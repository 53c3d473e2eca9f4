// 8-bit scalar quantization (SQ8): every dimension is mapped affinely onto
// 0..255 using the minimum and maximum seen in training data. Used by the
// HNSW_SQ and IVF_SQ8 indexes to store vectors in a quarter of the memory.
#ifndef COVE_SRC_ENGINE_INDEXES_SQ8_H_
#define COVE_SRC_ENGINE_INDEXES_SQ8_H_

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "engine/indexes/index_io.h"
#include "engine/kernels/distance.h"

namespace cove::engine {

/// A query turned into 16-bit integer weights, so that its distance to a code
/// takes one integer dot product (DotU8I16 of distance.h):
///   kL2:        |q - Decode(c)|^2    ~= bias + factor * dot(c, w) +
///   CodeNorm(c) kIP/kCosine: <q, Decode(c)>      ~= bias + factor * dot(c, w)
/// The only error beyond the code's own is the rounding of w to 16 bits
/// (relative 2^-15 of the largest weight for d <= 256; see PrepareQuery).
struct Sq8Query {
  std::vector<int16_t> w;
  float factor = 0.0f;
  float bias = 0.0f;
};

/// A per-dimension min/max scalar quantizer with 8-bit codes:
/// x[i] ~= vmin[i] + code[i] * vdiff[i] / 255 (the map of distance.h's *Sq8
/// kernels). Values outside the trained range are clamped.
///
/// Thread safety: const methods may run concurrently; Train() needs exclusive
/// access.
class Sq8Quantizer {
 public:
  Sq8Quantizer() = default;
  explicit Sq8Quantizer(size_t dim) : dim_(dim) {}

  size_t dim() const { return dim_; }
  /// Bytes per code (one per dimension).
  size_t code_size() const { return dim_; }
  bool trained() const { return !vmin_.empty(); }

  /// Sets the range of each dimension to the min and max of n row-major
  /// vectors. With n == 0 every range becomes [0, 0].
  void Train(const float* data, size_t n);

  /// Encodes one vector into code_size() bytes.
  void Encode(const float* x, uint8_t* code) const;
  /// Encodes n vectors into n * code_size() bytes.
  void EncodeBatch(const float* x, size_t n, uint8_t* codes) const;
  /// Reconstructs an approximation of the vector encoded in `code`.
  void Decode(const uint8_t* code, float* x) const;

  /// Distance between a float query and a code: squared L2 for kL2, inner
  /// product for kIP and kCosine.
  float Score(Metric metric, const float* query, const uint8_t* code) const {
    return metric == Metric::kL2
               ? L2SqrSq8(query, code, vmin_.data(), vdiff_.data(), dim_)
               : InnerProductSq8(query, code, vmin_.data(), vdiff_.data(),
                                 dim_);
  }

  /// Prepares `query` for integer distances (see Sq8Query). Needs trained().
  /// The weights are scaled so that sum_i 255 * |w_i| < 2^31: the integer
  /// dot product never overflows, for any dimension.
  void PrepareQuery(Metric metric, const float* query, Sq8Query* out) const;
  /// sum_i (vdiff[i] / 255)^2 * code[i]^2: the code's part of the expanded
  /// squared L2 distance, stored next to each code by HNSW_SQ.
  float CodeNorm(const uint8_t* code) const;

  const float* vmin() const { return vmin_.data(); }
  const float* vdiff() const { return vdiff_.data(); }

  /// Bytes held by the trained ranges.
  size_t MemoryBytes() const {
    return (vmin_.capacity() + vdiff_.capacity() + scale_.capacity()) *
           sizeof(float);
  }

  /// Appends the quantizer to a payload.
  void Save(cove::internal::IndexWriter* w) const;
  /// Reads a quantizer of dimension `dim` saved by Save() (trained or not);
  /// false when the bytes are truncated or invalid (non-finite or negative
  /// ranges).
  bool Load(cove::internal::IndexReader* r, size_t dim);

 private:
  void ComputeScale();

  size_t dim_ = 0;
  std::vector<float> vmin_;
  std::vector<float> vdiff_;  // max - min, >= 0
  std::vector<float> scale_;  // 255 / vdiff (0 where vdiff == 0)
};

}  // namespace cove::engine

#endif  // COVE_SRC_ENGINE_INDEXES_SQ8_H_
