// FAISS IndexIVFPQ and IndexIVFPQFastScan (Debian's FAISS 1.7.3) behind
// AnnIndex, the peers of Cove's IVF_PQ and SCANN. The search width is
// nprobe. The fast-scan peer can re-rank on float32 (IndexRefineFlat, with
// k_factor = rerank / k), as Cove's SCANN does with reorder_k.
#include <faiss/IndexFlat.h>
#include <faiss/IndexIVFPQ.h>
#include <faiss/IndexIVFPQFastScan.h>
#include <faiss/IndexRefine.h>
#include <omp.h>

#include <algorithm>

#include "peers.h"

namespace cove::bench {
namespace {

faiss::MetricType Metric(bool ip) {
  return ip ? faiss::METRIC_INNER_PRODUCT : faiss::METRIC_L2;
}

class FaissIvfPq : public AnnIndex {
 public:
  FaissIvfPq(std::string name, size_t dim, bool ip, size_t nlist, size_t m,
             int nbits, bool fast_scan, int rerank)
      : name_(std::move(name)),
        quantizer_(ip ? static_cast<faiss::IndexFlat*>(
                            new faiss::IndexFlatIP(static_cast<int>(dim)))
                      : new faiss::IndexFlatL2(static_cast<int>(dim))),
        rerank_(rerank) {
    if (fast_scan) {
      auto* fs = new faiss::IndexIVFPQFastScan(quantizer_.get(), dim, nlist, m,
                                               4, Metric(ip));
      ivf_ = fs;
    } else {
      auto* pq = new faiss::IndexIVFPQ(quantizer_.get(), dim, nlist, m, nbits,
                                       Metric(ip));
      ivf_ = pq;
    }
    base_.reset(ivf_);
    if (rerank_ > 0) {
      refine_ = std::make_unique<faiss::IndexRefineFlat>(base_.get());
    }
  }
  std::string name() const override { return name_; }
  void Build(const float* data, size_t n, int threads) override {
    omp_set_num_threads(threads);
    faiss::Index* top =
        refine_ ? static_cast<faiss::Index*>(refine_.get()) : base_.get();
    top->train(static_cast<faiss::Index::idx_t>(n), data);
    top->add(static_cast<faiss::Index::idx_t>(n), data);
    omp_set_num_threads(1);
  }
  void Search(const float* query, size_t k, int ef, int64_t* labels) override {
    ivf_->nprobe = static_cast<size_t>(ef);
    distances_.resize(k);
    ids_.resize(k);
    if (refine_) {
      refine_->k_factor =
          std::max(1.0f, static_cast<float>(rerank_) / static_cast<float>(k));
      refine_->search(1, query, static_cast<faiss::Index::idx_t>(k),
                      distances_.data(), ids_.data());
    } else {
      ivf_->search(1, query, static_cast<faiss::Index::idx_t>(k),
                   distances_.data(), ids_.data());
    }
    for (size_t i = 0; i < k; ++i) labels[i] = ids_[i];
  }
  size_t ReportedBytes() const override {
    // Codes and ids of the lists, the coarse centroids, the float32 rows
    // of the refine index.
    size_t bytes = quantizer_->ntotal * quantizer_->d * sizeof(float);
    for (size_t l = 0; l < ivf_->nlist; ++l) {
      const size_t len = ivf_->invlists->list_size(l);
      bytes += len * sizeof(faiss::Index::idx_t);
    }
    bytes += ivf_->ntotal * ivf_->code_size;
    if (refine_) bytes += ivf_->ntotal * ivf_->d * sizeof(float);
    return bytes;
  }

 private:
  std::string name_;
  std::unique_ptr<faiss::IndexFlat> quantizer_;
  faiss::IndexIVF* ivf_ = nullptr;
  std::unique_ptr<faiss::Index> base_;
  std::unique_ptr<faiss::IndexRefineFlat> refine_;
  int rerank_;
  std::vector<float> distances_;
  std::vector<faiss::Index::idx_t> ids_;
};

}  // namespace

std::unique_ptr<AnnIndex> MakeFaissIvfPq(size_t dim, bool ip, size_t nlist,
                                         size_t m, int nbits) {
  return std::make_unique<FaissIvfPq>("faiss-ivfpq", dim, ip, nlist, m, nbits,
                                      false, 0);
}

std::unique_ptr<AnnIndex> MakeFaissIvfPqFastScan(size_t dim, bool ip,
                                                 size_t nlist, size_t m,
                                                 int rerank) {
  return std::make_unique<FaissIvfPq>("faiss-ivfpq-fs", dim, ip, nlist, m, 4,
                                      true, rerank);
}

}  // namespace cove::bench
