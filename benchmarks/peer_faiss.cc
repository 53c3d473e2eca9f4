// FAISS IndexHNSWFlat behind AnnIndex.
#include <faiss/IndexHNSW.h>
#include <omp.h>

#include "peers.h"

namespace cove::bench {
namespace {

class FaissHnsw : public AnnIndex {
 public:
  FaissHnsw(size_t dim, bool ip, int m, int ef_construction)
      : index_(static_cast<int>(dim), m,
               ip ? faiss::METRIC_INNER_PRODUCT : faiss::METRIC_L2) {
    index_.hnsw.efConstruction = ef_construction;
  }
  std::string name() const override { return "faiss"; }
  void Build(const float* data, size_t n, int threads) override {
    omp_set_num_threads(threads);
    index_.add(static_cast<faiss::Index::idx_t>(n), data);
    omp_set_num_threads(1);
  }
  void Search(const float* query, size_t k, int ef, int64_t* labels) override {
    index_.hnsw.efSearch = ef;
    std::vector<float> distances(k);
    std::vector<faiss::Index::idx_t> ids(k);
    index_.search(1, query, static_cast<faiss::Index::idx_t>(k),
                  distances.data(), ids.data());
    for (size_t i = 0; i < k; ++i) labels[i] = ids[i];
  }
  size_t ReportedBytes() const override {
    return index_.ntotal * index_.d * sizeof(float) +
           index_.hnsw.neighbors.size() * sizeof(faiss::HNSW::storage_idx_t);
  }

 private:
  faiss::IndexHNSWFlat index_;
};

}  // namespace

std::unique_ptr<AnnIndex> MakeFaissHnsw(size_t dim, bool ip, int m,
                                        int ef_construction) {
  return std::make_unique<FaissHnsw>(dim, ip, m, ef_construction);
}

}  // namespace cove::bench
