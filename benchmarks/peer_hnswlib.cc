// hnswlib behind AnnIndex. Compiled with -O3 -march=native (hnswlib's best
// case: its distance functions pick AVX-512 at compile time).
#include <hnswlib/hnswlib.h>

#include <atomic>
#include <fstream>
#include <thread>
#include <vector>

#include "peers.h"

namespace cove::bench {
namespace {

class Hnswlib : public AnnIndex {
 public:
  Hnswlib(size_t dim, bool ip, size_t max_n, int m, int ef_construction)
      : dim_(dim) {
    if (ip) {
      space_ = std::make_unique<hnswlib::InnerProductSpace>(dim);
    } else {
      space_ = std::make_unique<hnswlib::L2Space>(dim);
    }
    index_ = std::make_unique<hnswlib::HierarchicalNSW<float>>(
        space_.get(), max_n, m, ef_construction, 100);
  }
  std::string name() const override { return "hnswlib"; }
  void Build(const float* data, size_t n, int threads) override {
    std::atomic<size_t> next{0};
    auto work = [&] {
      for (size_t i = next++; i < n; i = next++) {
        index_->addPoint(data + i * dim_, i);
      }
    };
    std::vector<std::thread> pool;
    for (int t = 1; t < threads; ++t) pool.emplace_back(work);
    work();
    for (auto& t : pool) t.join();
  }
  void Search(const float* query, size_t k, int ef, int64_t* labels) override {
    index_->setEf(static_cast<size_t>(ef));
    auto result = index_->searchKnn(query, k);
    size_t i = result.size();
    while (!result.empty()) {
      labels[--i] = static_cast<int64_t>(result.top().second);
      result.pop();
    }
  }
  bool Save(const std::string& path) override {
    index_->saveIndex(path);
    return true;
  }
  bool Load(const std::string& path) override {
    std::ifstream probe(path, std::ios::binary);
    if (!probe) return false;
    index_ =
        std::make_unique<hnswlib::HierarchicalNSW<float>>(space_.get(), path);
    return true;
  }
  size_t ReportedBytes() const override {
    size_t bytes = index_->max_elements_ * index_->size_data_per_element_;
    for (size_t i = 0; i < index_->cur_element_count; ++i) {
      if (index_->element_levels_[i] > 0) {
        bytes += index_->size_links_per_element_ *
                 static_cast<size_t>(index_->element_levels_[i]);
      }
    }
    return bytes;
  }

 private:
  size_t dim_;
  std::unique_ptr<hnswlib::SpaceInterface<float>> space_;
  std::unique_ptr<hnswlib::HierarchicalNSW<float>> index_;
};

}  // namespace

std::unique_ptr<AnnIndex> MakeHnswlib(size_t dim, bool ip, size_t max_n, int m,
                                      int ef_construction) {
  return std::make_unique<Hnswlib>(dim, ip, max_n, m, ef_construction);
}

}  // namespace cove::bench
