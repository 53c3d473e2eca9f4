// Sparse float vectors: checks, the forms clients send them in, Milvus'
// byte encoding, and the scoring formulas (inner product and BM25).
#ifndef COVE_SRC_ENGINE_SPARSE_SPARSE_H_
#define COVE_SRC_ENGINE_SPARSE_SPARSE_H_

#include <cmath>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "cove/value.h"

namespace cove::engine::sparse {

/// The largest index plus one (Milvus: indices in [0, 2^32 - 1)).
inline constexpr uint64_t kMaxIndex = 0xffffffffull;

/// InvalidArgument (starting with `where`) unless indices are strictly
/// increasing and below kMaxIndex, values finite, and both lists of one
/// length.
absl::Status Check(const SparseVector& v, const std::string& where);

/// A sparse vector from (index, value) pairs in any order: sorted by index;
/// a repeated index is InvalidArgument.
absl::StatusOr<SparseVector> FromPairs(
    std::vector<std::pair<uint64_t, double>> pairs, const std::string& where);

/// The sparse vector a client sent as a Value: a sparse vector; an object
/// {"index": value} (a dict, keys as decimal strings); a list of [index,
/// value] pairs; or an object {"indices": [...], "values": [...]} (one row
/// of a CSR/COO matrix). Checked as Check() does.
absl::StatusOr<SparseVector> FromValue(const Value& v,
                                       const std::string& where);

/// Rows of a CSR matrix (indptr of n + 1 offsets into indices/values).
absl::StatusOr<std::vector<SparseVector>> FromCsr(
    const std::vector<int64_t>& indptr, const std::vector<int64_t>& indices,
    const std::vector<double>& values, const std::string& where);

/// Rows of a COO matrix with `rows` rows (entries in any order).
absl::StatusOr<std::vector<SparseVector>> FromCoo(
    size_t rows, const std::vector<int64_t>& row,
    const std::vector<int64_t>& col, const std::vector<double>& values,
    const std::string& where);

/// Milvus' encoding of one row: (uint32 index, float32 value) pairs,
/// little-endian, in index order.
std::string ToBytes(const SparseVector& v);
/// The inverse; InvalidArgument for a length that is not a multiple of 8
/// or a row that fails Check().
absl::StatusOr<SparseVector> FromBytes(std::string_view bytes,
                                       const std::string& where);

/// The largest index plus one (0 for an empty vector): Milvus' "dim".
uint64_t Dim(const SparseVector& v);

/// Inner product of two sparse vectors.
float Dot(const SparseVector& a, const SparseVector& b);

/// Keeps the largest (1 - ratio) fraction of entries by absolute value
/// (Milvus' drop_ratio_build / drop_ratio_search); ratio in [0, 1).
SparseVector DropSmallest(const SparseVector& v, double ratio);

/// BM25 parameters (Milvus' bm25_k1, bm25_b).
struct Bm25Params {
  float k1 = 1.2f;
  float b = 0.75f;
};

/// The inverse document frequency of a term found in `df` of `n` documents,
/// as Milvus and Lucene compute it: ln(1 + (n - df + 0.5) / (df + 0.5)).
inline float Bm25Idf(double n, double df) {
  return static_cast<float>(std::log1p((n - df + 0.5) / (df + 0.5)));
}

/// The term-frequency part of BM25 for a term seen `tf` times in a document
/// of `dl` tokens, with average length `avgdl`:
/// tf (k1 + 1) / (tf + k1 (1 - b + b dl / avgdl)).
inline float Bm25Tf(float tf, float dl, float avgdl, const Bm25Params& p) {
  const float norm =
      p.k1 * (1.0f - p.b + (avgdl > 0 ? p.b * dl / avgdl : 0.0f));
  return tf * (p.k1 + 1.0f) / (tf + norm);
}

}  // namespace cove::engine::sparse

#endif  // COVE_SRC_ENGINE_SPARSE_SPARSE_H_
