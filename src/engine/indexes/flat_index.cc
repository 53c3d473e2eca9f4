// The exact (FLAT) index. See flat_index.h.
//
// Every search path (one query streaming, one query over a sparse allowed set,
// query batches through matrix products) collects candidates with the
// distances of its own kernel in a TopK of k + a small margin, then rescores
// the candidates with the pairwise kernel (L2Sqr / InnerProduct), applies the
// exact range bounds and keeps the k best. So every path returns the same
// rows with bit-identical scores, while the bulk of the work runs in whatever
// kernel is fastest for it.
//
// Compiler flags: none beyond the baseline.
#include "engine/indexes/flat_index.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <utility>

#if defined(__linux__)
#include <sys/mman.h>
#endif

#include "absl/strings/str_cat.h"
#include "engine/indexes/index_io.h"
#include "engine/kernels/distance_internal.h"
#include "engine/kernels/topk.h"

namespace cove::internal {

void AdviseHugePages(void* p, size_t bytes) {
#if defined(__linux__) && defined(MADV_HUGEPAGE)
  // Best effort: THP may be disabled, which is fine.
  (void)madvise(p, bytes, MADV_HUGEPAGE);
#else
  (void)p;
  (void)bytes;
#endif
}

}  // namespace cove::internal

namespace cove::engine {
namespace {

using cove::internal::ActiveDistanceKernels;
using cove::internal::DistanceKernels;

// Rows scored per call of the one-query kernels (the scores of a block stay
// in L1).
constexpr size_t kScanBlock = 1024;
// An allowed-rows word with at least this many bits set is scored with the
// batch kernel (all 64 rows); sparser words row by row.
constexpr int kDenseWordBits = 12;
// SearchBatch: below this many queries, or when fewer than 1/kSparseFactor of
// the rows are allowed, one Search() per query is faster.
constexpr size_t kMinBatchQueries = 4;
constexpr size_t kSparseFactor = 16;
// SearchBatch blocking: a tile of kQueryBlock x kBaseBlock inner products
// (512 KiB) is computed, then consumed by the per-query selection while it
// is still in L2; the base is streamed from memory once per query block.
constexpr size_t kQueryBlock = 256;
constexpr size_t kBaseBlock = 512;
// Bound on the relative rounding error of a distance computed along another
// summation order (a generous multiple of d * FLT_EPSILON).
constexpr float kTolPerDim = 1e-6f;

constexpr uint64_t kMaxRows = std::numeric_limits<uint32_t>::max();

size_t Margin(size_t k) { return 8 + k / 16; }

bool RowAllowed(const Bitset* allowed, size_t row) {
  return allowed == nullptr || (row < allowed->size() && allowed->Test(row));
}

}  // namespace

absl::Status FlatIndex::ValidateParams(const IndexParams& params) {
  if (params.type != IndexType::kFlat) {
    return absl::InvalidArgumentError(
        absl::StrCat("index type: expected FLAT (got type tag ",
                     static_cast<int>(params.type), ")"));
  }
  if (params.dim == 0 || params.dim > kMaxDim) {
    return absl::InvalidArgumentError(absl::StrCat(
        "dim: expected 1 to ", kMaxDim, " (got ", params.dim, ")"));
  }
  if (params.metric != Metric::kL2 && params.metric != Metric::kIP &&
      params.metric != Metric::kCosine) {
    return absl::InvalidArgumentError(absl::StrCat(
        "metric: unknown metric tag ", static_cast<int>(params.metric)));
  }
  return absl::OkStatus();
}

FlatIndex::FlatIndex(const IndexParams& params)
    : params_(params), dim_(params.dim) {
  params_.type = IndexType::kFlat;
}

absl::Status FlatIndex::Build(const float* data, size_t n) {
  ext_ = ExternalVectors();
  data_.clear();
  norms_.clear();
  n_ = 0;
  max_norm_ = 0.0f;
  return Add(data, n);
}

absl::Status FlatIndex::Add(const float* data, size_t n) {
  if (n == 0) return absl::OkStatus();
  if (data == nullptr) {
    return absl::InvalidArgumentError(
        absl::StrCat("FLAT add: data is null for ", n, " vectors"));
  }
  if (dim_ == 0) {
    return absl::FailedPreconditionError("FLAT add: index has dim 0");
  }
  if (n > kMaxRows - n_) {
    return absl::ResourceExhaustedError(
        absl::StrCat("FLAT add: at most ", kMaxRows, " rows per index (have ",
                     n_, ", adding ", n, ")"));
  }
  const DistanceKernels& kern = ActiveDistanceKernels();
  if (ext_.data != nullptr) {
    // Take the attached vectors back (scaled) before appending.
    data_.assign(ext_.data, ext_.data + n_ * dim_);
    if (ext_.scale != nullptr) {
      for (size_t r = 0; r < n_; ++r) {
        for (size_t i = 0; i < dim_; ++i) data_[r * dim_ + i] *= ext_.scale[r];
      }
    }
    ext_ = ExternalVectors();
  }
  data_.insert(data_.end(), data, data + n * dim_);
  if (!ip()) norms_.reserve(n_ + n);
  for (size_t i = 0; i < n; ++i) {
    const float* x = data_.data() + (n_ + i) * dim_;
    float nrm = kern.inner_product(x, x, dim_);
    if (!ip()) norms_.push_back(nrm);
    if (nrm > max_norm_) max_norm_ = nrm;
  }
  n_ += n;
  return absl::OkStatus();
}

size_t FlatIndex::MemoryBytes() const {
  return data_.capacity() * sizeof(float) + norms_.capacity() * sizeof(float);
}

FlatIndex::Range FlatIndex::DistanceRange(
    const IndexSearchParams& params) const {
  Range r{-std::numeric_limits<float>::infinity(),
          std::numeric_limits<float>::infinity(), false};
  // L2: range_filter <= score < radius. IP: radius < score <= range_filter,
  // i.e. -range_filter <= -score < -radius.
  if (params.radius.has_value()) {
    r.hi = ip() ? -*params.radius : *params.radius;
    r.has_hi = true;
  }
  if (params.range_filter.has_value()) {
    r.lo = ip() ? -*params.range_filter : *params.range_filter;
  }
  return r;
}

namespace {

// A query's candidate collection in distance form with a tolerance for
// rounding differences between kernels: candidates are admitted with bounds
// widened by `tol`, and Finalize() rescores them exactly.
struct Collector {
  Collector(size_t k, float hi, bool has_hi, float lo, float tol)
      : top(k + Margin(k), /*larger_is_closer=*/false), lo(lo - tol) {
    if (has_hi) top.SetBound(hi + tol);
  }
  TopK top;
  float lo;

  float threshold() const { return top.threshold_key(); }
  void Offer(uint32_t row, float dist) {
    if (dist >= lo) top.PushKey(row, dist);
  }
};

// Range bounds in distance form (smaller is closer): keep lo <= dist < hi.
struct DistRange {
  float lo;
  float hi;
  bool has_hi;
};

DistRange ToDistRange(bool ip, const IndexSearchParams& params) {
  DistRange r{-std::numeric_limits<float>::infinity(),
              std::numeric_limits<float>::infinity(), false};
  if (params.radius.has_value()) {
    r.hi = ip ? -*params.radius : *params.radius;
    r.has_hi = true;
  }
  if (params.range_filter.has_value()) {
    r.lo = ip ? -*params.range_filter : *params.range_filter;
  }
  return r;
}

// Rescoring with the pairwise kernel (the same on every path) and the exact
// range bounds.
std::vector<Neighbor> Finalize(const ExactView& v, const float* query, size_t k,
                               const DistRange& range,
                               std::vector<Neighbor> cand) {
  const DistanceKernels& kern = ActiveDistanceKernels();
  const bool ip = v.metric != Metric::kL2;
  auto pair = ip ? kern.inner_product : kern.l2sqr;
  const float sign = ip ? -1.0f : 1.0f;
  TopK final_top(k, /*larger_is_closer=*/false);
  if (range.has_hi) final_top.SetBound(range.hi);
  for (const Neighbor& nb : cand) {
    float d = sign * pair(query, v.data + size_t{nb.row} * v.dim, v.dim);
    if (v.scale != nullptr) d *= v.scale[nb.row];
    if (d >= range.lo) final_top.PushKey(nb.row, d);
  }
  std::vector<Neighbor> out = final_top.Take();
  if (ip) {
    for (Neighbor& nb : out) nb.score = -nb.score;
  }
  return out;
}

std::vector<Neighbor> ExactSearchAll(const ExactView& v, const float* query,
                                     size_t k, const DistRange& range) {
  const DistanceKernels& kern = ActiveDistanceKernels();
  const bool ip = v.metric != Metric::kL2;
  const size_t dim = v.dim;
  const float qnorm = kern.inner_product(query, query, dim);
  const float tol = kTolPerDim * static_cast<float>(dim + 16) *
                    (ip ? std::sqrt(qnorm * v.max_norm) : qnorm + v.max_norm);
  Collector c(k, range.hi, range.has_hi, range.lo, tol);

  auto batch = ip ? kern.inner_product_batch : kern.l2sqr_batch;
  const float alpha = ip ? -1.0f : 1.0f;
  alignas(64) float dist[kScanBlock];
  alignas(64) float val[kScanBlock];
  alignas(64) uint32_t idx[kScanBlock];
  for (size_t r0 = 0; r0 < v.n; r0 += kScanBlock) {
    const size_t cnt = std::min(kScanBlock, v.n - r0);
    batch(query, v.data + r0 * dim, cnt, dim, dist);
    if (v.scale != nullptr) {
      const float* s = v.scale + r0;
      for (size_t i = 0; i < cnt; ++i) dist[i] *= s[i];
    }
    size_t m =
        kern.select_le(dist, nullptr, alpha, cnt, c.threshold(), idx, val);
    for (size_t i = 0; i < m; ++i) {
      c.Offer(static_cast<uint32_t>(r0 + idx[i]), val[i]);
    }
  }
  return Finalize(v, query, k, range, c.top.Take());
}

std::vector<Neighbor> ExactSearchAllowed(const ExactView& v, const float* query,
                                         size_t k, const Bitset& allowed,
                                         const DistRange& range) {
  const DistanceKernels& kern = ActiveDistanceKernels();
  const bool ip = v.metric != Metric::kL2;
  const size_t dim = v.dim;
  const float qnorm = kern.inner_product(query, query, dim);
  const float tol = kTolPerDim * static_cast<float>(dim + 16) *
                    (ip ? std::sqrt(qnorm * v.max_norm) : qnorm + v.max_norm);
  Collector c(k, range.hi, range.has_hi, range.lo, tol);

  auto batch = ip ? kern.inner_product_batch : kern.l2sqr_batch;
  auto pair = ip ? kern.inner_product : kern.l2sqr;
  const float sign = ip ? -1.0f : 1.0f;
  const std::vector<uint64_t>& words = allowed.words();
  const size_t nwords = std::min(words.size(), (v.n + 63) / 64);
  const float* base = v.data;
  const float* scale = v.scale;
  alignas(64) float dist[64];
  for (size_t w = 0; w < nwords; ++w) {
    uint64_t bits = words[w];
    const size_t r0 = w * 64;
    const size_t cnt = std::min<size_t>(64, v.n - r0);
    if (cnt < 64) bits &= (uint64_t{1} << cnt) - 1;
    if (bits == 0) continue;
    if (__builtin_popcountll(bits) >= kDenseWordBits) {
      batch(query, base + r0 * dim, cnt, dim, dist);
      while (bits != 0) {
        int b = __builtin_ctzll(bits);
        bits &= bits - 1;
        float d = sign * dist[b];
        if (scale != nullptr) d *= scale[r0 + b];
        if (d <= c.threshold()) c.Offer(static_cast<uint32_t>(r0 + b), d);
      }
    } else {
      while (bits != 0) {
        int b = __builtin_ctzll(bits);
        bits &= bits - 1;
        float d = sign * pair(query, base + (r0 + b) * dim, dim);
        if (scale != nullptr) d *= scale[r0 + b];
        if (d <= c.threshold()) c.Offer(static_cast<uint32_t>(r0 + b), d);
      }
    }
  }
  return Finalize(v, query, k, range, c.top.Take());
}

}  // namespace

std::vector<Neighbor> ExactSearch(const ExactView& view, const float* query,
                                  const IndexSearchParams& params) {
  if (params.k == 0 || view.n == 0 || query == nullptr) return {};
  const DistRange range = ToDistRange(view.metric != Metric::kL2, params);
  const size_t k = std::min(params.k, view.n);
  if (params.allowed != nullptr) {
    return ExactSearchAllowed(view, query, k, *params.allowed, range);
  }
  return ExactSearchAll(view, query, k, range);
}

std::vector<Neighbor> FlatIndex::Search(const float* query,
                                        const IndexSearchParams& params) const {
  ExactView view;
  view.data = data();
  view.scale = ext_.scale;
  view.n = n_;
  view.dim = dim_;
  view.metric = params_.metric;
  view.max_norm = max_norm_;
  return ExactSearch(view, query, params);
}

std::vector<std::vector<Neighbor>> ExactSearchBatch(
    const ExactView& view, const float* queries, size_t nq,
    const IndexSearchParams& params) {
  std::vector<std::vector<Neighbor>> results(nq);
  const size_t n = view.n;
  if (nq == 0 || params.k == 0 || n == 0 || queries == nullptr) {
    return results;
  }
  const size_t allowed_count =
      params.allowed != nullptr ? params.allowed->Count() : n;
  if (nq < kMinBatchQueries || allowed_count * kSparseFactor < n) {
    for (size_t i = 0; i < nq; ++i) {
      results[i] = ExactSearch(view, queries + i * view.dim, params);
    }
    return results;
  }

  const bool ip = view.metric != Metric::kL2;
  const DistRange range = ToDistRange(ip, params);
  const DistanceKernels& kern = ActiveDistanceKernels();
  const size_t d = view.dim;
  const size_t k = std::min(params.k, n);
  const float* base = view.data;
  const float* scale = view.scale;

  std::vector<float> tile(kQueryBlock * kBaseBlock);
  std::vector<uint32_t> idx(kBaseBlock);
  std::vector<float> val(kBaseBlock);
  // L2 without the rows' squared norms: computed per block of rows.
  std::vector<float> block_norms(view.sq_norms == nullptr && !ip ? kBaseBlock
                                                                 : 0);
  std::vector<Collector> collectors;
  collectors.reserve(kQueryBlock);

  for (size_t q0 = 0; q0 < nq; q0 += kQueryBlock) {
    const size_t qb = std::min(kQueryBlock, nq - q0);
    const float* qs = queries + q0 * d;
    collectors.clear();
    for (size_t i = 0; i < qb; ++i) {
      const float* q = qs + i * d;
      const float qnorm = kern.inner_product(q, q, d);
      const float tol =
          kTolPerDim * static_cast<float>(d + 16) *
          (ip ? std::sqrt(qnorm * view.max_norm) : qnorm + view.max_norm);
      // L2 distances are collected without the constant ||q||^2.
      const float shift = ip ? 0.0f : qnorm;
      collectors.emplace_back(k, range.hi - shift, range.has_hi,
                              range.lo - shift, tol);
    }
    for (size_t x0 = 0; x0 < n; x0 += kBaseBlock) {
      const size_t xb = std::min(kBaseBlock, n - x0);
      kern.inner_product_matrix(qs, qb, base + x0 * d, xb, d, tile.data());
      const float* norms = nullptr;
      if (!ip) {
        if (view.sq_norms != nullptr) {
          norms = view.sq_norms + x0;
        } else {
          for (size_t r = 0; r < xb; ++r) {
            const float* x = base + (x0 + r) * d;
            block_norms[r] = kern.inner_product(x, x, d);
          }
          norms = block_norms.data();
        }
      }
      for (size_t i = 0; i < qb; ++i) {
        Collector& c = collectors[i];
        float* row = tile.data() + i * xb;
        if (scale != nullptr) {
          // COSINE over raw rows: <q, x> / |x|.
          for (size_t r = 0; r < xb; ++r) row[r] *= scale[x0 + r];
        }
        // L2: ||x||^2 - 2 <q, x>; IP: -<q, x>.
        const size_t m =
            ip ? kern.select_le(row, nullptr, -1.0f, xb, c.threshold(),
                                idx.data(), val.data())
               : kern.select_le(row, norms, -2.0f, xb, c.threshold(),
                                idx.data(), val.data());
        for (size_t t = 0; t < m; ++t) {
          const size_t r = x0 + idx[t];
          if (!RowAllowed(params.allowed, r)) continue;
          c.Offer(static_cast<uint32_t>(r), val[t]);
        }
      }
    }
    for (size_t i = 0; i < qb; ++i) {
      results[q0 + i] =
          Finalize(view, qs + i * d, k, range, collectors[i].top.Take());
    }
  }
  return results;
}

std::vector<std::vector<Neighbor>> FlatIndex::SearchBatch(
    const float* queries, size_t nq, const IndexSearchParams& params) const {
  ExactView view;
  view.data = data();
  view.scale = ext_.scale;
  view.n = n_;
  view.dim = dim_;
  view.metric = params_.metric;
  view.max_norm = max_norm_;
  view.sq_norms = ext_.scale == nullptr && !ip() ? norms_.data() : nullptr;
  return ExactSearchBatch(view, queries, nq, params);
}

absl::Status FlatIndex::Save(std::string* out) const {
  if (out == nullptr) {
    return absl::InvalidArgumentError("FLAT save: output is null");
  }
  size_t pos = cove::internal::BeginIndexHeader(IndexType::kFlat, out);
  cove::internal::IndexWriter w(out);
  w.Put<uint8_t>(static_cast<uint8_t>(params_.metric));
  w.Put<uint8_t>(0);
  w.Put<uint8_t>(0);
  w.Put<uint8_t>(0);
  w.Put<uint64_t>(dim_);
  w.Put<uint64_t>(n_);
  if (ext_.scale != nullptr) {
    std::vector<float> row(dim_);
    for (size_t r = 0; r < n_; ++r) {
      const float* x = vector(static_cast<uint32_t>(r));
      for (size_t i = 0; i < dim_; ++i) row[i] = x[i] * ext_.scale[r];
      w.PutArray(row.data(), dim_);
    }
  } else {
    w.PutArray(data(), n_ * dim_);
  }
  cove::internal::FinishIndexHeader(pos, out);
  return absl::OkStatus();
}

absl::Status FlatIndex::AttachVectors(const ExternalVectors& v) {
  if (v.n != n_ || v.dim != dim_ || (n_ > 0 && v.data == nullptr)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "vectors: expected ", n_, " rows of dim ", dim_, " (got ", v.n,
        " rows of dim ", v.dim, v.data == nullptr ? ", no data" : "", ")"));
  }
  if (v.scale != nullptr && !ip()) {
    return absl::InvalidArgumentError(
        "vectors.scale: only for IP/COSINE indexes (this one is L2)");
  }
  data_ = decltype(data_)();
  ext_ = v;
  return absl::OkStatus();
}

absl::StatusOr<std::unique_ptr<FlatIndex>> FlatIndex::Load(
    std::string_view payload) {
  cove::internal::IndexReader r(payload);
  uint8_t metric = 0;
  uint8_t pad[3] = {0, 0, 0};
  uint64_t dim = 0;
  uint64_t n = 0;
  if (!r.Get(&metric) || !r.GetArray(pad, 3) || !r.Get(&dim) || !r.Get(&n)) {
    return absl::DataLossError(
        absl::StrCat("FLAT index payload: truncated header (got ",
                     payload.size(), " bytes)"));
  }
  if (metric > static_cast<uint8_t>(Metric::kCosine)) {
    return absl::DataLossError(
        absl::StrCat("FLAT index payload: unknown metric tag ", metric));
  }
  if (pad[0] != 0 || pad[1] != 0 || pad[2] != 0) {
    return absl::DataLossError("FLAT index payload: reserved bytes not zero");
  }
  if (dim == 0 || dim > kMaxDim) {
    return absl::DataLossError(
        absl::StrCat("FLAT index payload: dim out of range (expected 1 to ",
                     kMaxDim, ", got ", dim, ")"));
  }
  if (n > kMaxRows) {
    return absl::DataLossError(
        absl::StrCat("FLAT index payload: too many rows (", n, ")"));
  }
  const uint64_t floats = n * dim;  // no overflow: n < 2^32, dim <= 2^16
  if (r.remaining() != floats * sizeof(float)) {
    return absl::DataLossError(
        absl::StrCat("FLAT index payload: vector data size mismatch (expected ",
                     floats * sizeof(float), " bytes for ", n, " x ", dim,
                     ", got ", r.remaining(), ")"));
  }
  IndexParams params;
  params.type = IndexType::kFlat;
  params.metric = static_cast<Metric>(metric);
  params.dim = static_cast<size_t>(dim);
  auto index = std::make_unique<FlatIndex>(params);
  index->data_.resize(static_cast<size_t>(floats));
  if (!r.GetArray(index->data_.data(), static_cast<size_t>(floats))) {
    return absl::DataLossError("FLAT index payload: truncated vector data");
  }
  // Recompute the norms (not stored: they are derived data).
  const DistanceKernels& kern = ActiveDistanceKernels();
  index->n_ = static_cast<size_t>(n);
  if (!index->ip()) index->norms_.resize(index->n_);
  for (size_t i = 0; i < index->n_; ++i) {
    const float* x = index->data_.data() + i * index->dim_;
    float nrm = kern.inner_product(x, x, index->dim_);
    if (!index->ip()) index->norms_[i] = nrm;
    if (nrm > index->max_norm_) index->max_norm_ = nrm;
  }
  return index;
}

}  // namespace cove::engine
