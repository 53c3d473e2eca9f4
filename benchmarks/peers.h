// Peer indexes for the ANN benchmark behind one small interface, so that the
// peers are compiled in their own translation units (hnswlib with
// -O3 -march=native, its best case) and the benchmark loop treats all alike.
#ifndef COVE_BENCHMARKS_PEERS_H_
#define COVE_BENCHMARKS_PEERS_H_

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace cove::bench {

/// An index under test.
class AnnIndex {
 public:
  virtual ~AnnIndex() = default;
  virtual std::string name() const = 0;
  /// Builds over n row-major vectors with `threads` threads.
  virtual void Build(const float* data, size_t n, int threads) = 0;
  /// The k nearest labels (row numbers) of one query at search width `ef`.
  virtual void Search(const float* query, size_t k, int ef,
                      int64_t* labels) = 0;
  /// Bytes held by the index as it reports them (0 if it cannot tell).
  virtual size_t ReportedBytes() const = 0;
  /// Writes the built index to `path` / replaces it with the one saved
  /// there; false when not supported or on failure.
  virtual bool Save(const std::string& /*path*/) { return false; }
  virtual bool Load(const std::string& /*path*/) { return false; }
};

/// hnswlib 0.6.2 (header-only, Debian's libhnswlib-dev). `ip` selects the
/// inner product space (cosine on normalized data).
std::unique_ptr<AnnIndex> MakeHnswlib(size_t dim, bool ip, size_t max_n, int m,
                                      int ef_construction);
/// FAISS 1.7.3 IndexHNSWFlat (Debian's libfaiss-dev).
std::unique_ptr<AnnIndex> MakeFaissHnsw(size_t dim, bool ip, int m,
                                        int ef_construction);

/// FAISS 1.7.3 IndexIVFPQ (nlist lists, m codes of nbits bits, no
/// re-rank); the search width is nprobe.
std::unique_ptr<AnnIndex> MakeFaissIvfPq(size_t dim, bool ip, size_t nlist,
                                         size_t m, int nbits);
/// FAISS 1.7.3 IndexIVFPQFastScan (m codes of 4 bits), wrapped in
/// IndexRefineFlat with k_factor = rerank / k when rerank > 0.
std::unique_ptr<AnnIndex> MakeFaissIvfPqFastScan(size_t dim, bool ip,
                                                 size_t nlist, size_t m,
                                                 int rerank);

}  // namespace cove::bench

#endif  // COVE_BENCHMARKS_PEERS_H_
