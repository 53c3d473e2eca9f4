// BIN_FLAT Hamming search against FAISS' IndexBinaryFlat on the same codes:
// n random codes of `bits` bits, k = 10, one thread each; one query per
// call, then one call with the whole batch. Both must return the same
// distances (checked). Prints QPS and the ratio Cove / FAISS.
//
//   binary_benchmark [--rows 1000000] [--bits 256] [--queries 200]
//                    [--batch 1000]
#include <faiss/IndexBinaryFlat.h>
#include <omp.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "engine/indexes/bin_index.h"
#include "engine/kernels/binary.h"

namespace {

double Seconds(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0)
      .count();
}

}  // namespace

int main(int argc, char** argv) {
  size_t rows = 1000000, bits = 256, queries = 200, batch = 1000;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string a = argv[i];
    const size_t v = std::strtoull(argv[i + 1], nullptr, 10);
    if (a == "--rows") rows = v;
    if (a == "--bits") bits = v;
    if (a == "--queries") queries = v;
    if (a == "--batch") batch = v;
  }
  const size_t bytes = bits / 8, k = 10;
  omp_set_num_threads(1);
  std::mt19937_64 rng(1);
  std::vector<uint8_t> codes(rows * bytes),
      qs(std::max(queries, batch) * bytes);
  for (auto& b : codes) b = static_cast<uint8_t>(rng());
  for (auto& b : qs) b = static_cast<uint8_t>(rng());

  faiss::IndexBinaryFlat faiss_index(static_cast<int>(bits));
  faiss_index.add(static_cast<faiss::Index::idx_t>(rows), codes.data());

  cove::engine::BinaryView view;
  view.data = codes.data();
  view.n = rows;
  view.stride = bytes;  // bits a multiple of 32: no pad
  view.metric = cove::engine::Metric::kHamming;
  cove::engine::IndexSearchParams sp;
  sp.k = k;

  std::printf(
      "BIN_FLAT HAMMING, %zu x %zu-bit codes, k=%zu, one thread, "
      "cove kernels: %s\n",
      rows, bits, k,
      cove::engine::SimdLevelName(cove::engine::BinaryKernelLevel()));
  // One query per call.
  std::vector<int32_t> fd(batch * k);
  std::vector<faiss::Index::idx_t> fl(batch * k);
  std::vector<std::vector<cove::engine::Neighbor>> mine(queries);
  auto t0 = std::chrono::steady_clock::now();
  for (size_t q = 0; q < queries; ++q) {
    mine[q] = cove::engine::BinaryExactSearch(view, qs.data() + q * bytes, sp);
  }
  const double cove_one = queries / Seconds(t0);
  t0 = std::chrono::steady_clock::now();
  for (size_t q = 0; q < queries; ++q) {
    faiss_index.search(1, qs.data() + q * bytes, k, fd.data() + q * k,
                       fl.data() + q * k);
  }
  const double faiss_one = queries / Seconds(t0);
  size_t mismatches = 0;
  for (size_t q = 0; q < queries; ++q) {
    for (size_t i = 0; i < k; ++i) {
      mismatches += mine[q][i].score != static_cast<float>(fd[q * k + i]);
    }
  }
  std::printf(
      "one query per call: cove %.1f QPS, faiss %.1f QPS, ratio %.2f "
      "(distance mismatches: %zu)\n",
      cove_one, faiss_one, cove_one / faiss_one, mismatches);
  // The batch: cove answers query by query (as a segment does), FAISS with
  // its blocked batch search.
  mine.assign(batch, {});
  t0 = std::chrono::steady_clock::now();
  for (size_t q = 0; q < batch; ++q) {
    mine[q] = cove::engine::BinaryExactSearch(view, qs.data() + q * bytes, sp);
  }
  const double cove_batch = batch / Seconds(t0);
  t0 = std::chrono::steady_clock::now();
  faiss_index.search(static_cast<faiss::Index::idx_t>(batch), qs.data(), k,
                     fd.data(), fl.data());
  const double faiss_batch = batch / Seconds(t0);
  mismatches = 0;
  for (size_t q = 0; q < batch; ++q) {
    for (size_t i = 0; i < k; ++i) {
      mismatches += mine[q][i].score != static_cast<float>(fd[q * k + i]);
    }
  }
  std::printf(
      "batch of %zu: cove %.1f QPS, faiss %.1f QPS, ratio %.2f "
      "(distance mismatches: %zu)\n",
      batch, cove_batch, faiss_batch, cove_batch / faiss_batch, mismatches);
  return mismatches == 0 ? 0 : 1;
}
