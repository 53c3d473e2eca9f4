#include "engine/indexes/ivf_index.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>
#include <thread>
#include <utility>

#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "common/strings.h"
#include "engine/indexes/half_rows.h"
#include "engine/indexes/index_io.h"
#include "engine/indexes/kmeans.h"
#include "engine/indexes/top_k.h"
#include "engine/kernels/distance.h"

namespace cove::engine {
namespace {

absl::Status IvfDataLoss(std::string_view what) {
  return absl::DataLossError(
      absl::StrCat("IVF index bytes: ", cove::internal::Sv(what)));
}

}  // namespace

absl::Status IvfIndex::ValidateParams(const IndexParams& p) {
  if (p.type != IndexType::kIvfFlat && p.type != IndexType::kIvfSq8) {
    return absl::InvalidArgumentError(
        "type: IvfIndex needs kIvfFlat or kIvfSq8");
  }
  if (p.dim == 0 || p.dim > kMaxIndexDim) {
    return absl::InvalidArgumentError(absl::StrCat(
        "dim: must be in [1, ", kMaxIndexDim, "] (got ", p.dim, ")"));
  }
  if (p.nlist < 1 || p.nlist > kMaxNlist) {
    return absl::InvalidArgumentError(absl::StrCat(
        "nlist: must be in [1, ", kMaxNlist, "] (got ", p.nlist, ")"));
  }
  if (p.build_threads < 0) {
    return absl::InvalidArgumentError(absl::StrCat(
        "build_threads: must be >= 0 (got ", p.build_threads, ")"));
  }
  if (p.metric != Metric::kL2 && p.metric != Metric::kIP &&
      p.metric != Metric::kCosine) {
    return absl::InvalidArgumentError("metric: unknown metric");
  }
  return absl::OkStatus();
}

IvfIndex::IvfIndex(const IndexParams& params)
    : params_(params),
      dim_(params.dim),
      vdim_(IndexValueDim(params)),
      quantized_(params.type == IndexType::kIvfSq8),
      metric_ip_(params.metric != Metric::kL2),
      sq_(IndexValueDim(params)) {}

absl::Status IvfIndex::Build(const float* data, size_t n) {
  if (n == 0 || data == nullptr) {
    return absl::InvalidArgumentError(
        "n: IVF Build needs at least one vector to train on");
  }
  if (n >= std::numeric_limits<uint32_t>::max()) {
    return absl::InvalidArgumentError(
        absl::StrCat("n: too many rows for one index (got ", n, ")"));
  }
  // 16-bit rows: k-means and SQ8 learn from them widened to float32.
  std::vector<float> widened;
  const float* values = IndexRowValues(params_, data, n, &widened);
  KMeansOptions opt;
  opt.seed = params_.seed;
  opt.threads = BuildThreadCount(params_.build_threads);
  centroids_ =
      TrainKMeans(values, n, vdim_, static_cast<size_t>(params_.nlist), opt);
  if (params_.cancelled()) {
    params_.cancel = nullptr;
    return absl::CancelledError("IVF build: cancelled");
  }
  params_.cancel = nullptr;  // the flag's owner may go away before the index
  lists_.clear();
  lists_.resize(centroids_.size() / vdim_);
  lists_.shrink_to_fit();
  sq_ = Sq8Quantizer(vdim_);
  if (quantized_) sq_.Train(values, n);
  n_ = 0;
  ext_ = ExternalVectors();
  ext_spilled_ = false;
  floats_ = std::vector<float>();
  if (quantized_) floats_.reserve(n * dim_);
  Append(data, values, n);
  for (List& l : lists_) {
    l.ids.shrink_to_fit();
    l.vectors.shrink_to_fit();
    l.codes.shrink_to_fit();
  }
  return absl::OkStatus();
}

absl::Status IvfIndex::Add(const float* data, size_t n) {
  if (lists_.empty()) {
    return absl::FailedPreconditionError(
        "IVF index: Add() before Build() (the index needs training)");
  }
  if (n == 0) return absl::OkStatus();
  if (data == nullptr) {
    return absl::InvalidArgumentError("data: null with n > 0");
  }
  if (n >= std::numeric_limits<uint32_t>::max() - n_) {
    return absl::InvalidArgumentError(absl::StrCat(
        "n: too many rows for one index (have ", n_, ", adding ", n, ")"));
  }
  DetachVectors();
  std::vector<float> widened;
  const float* values = IndexRowValues(params_, data, n, &widened);
  Append(data, values, n);
  return absl::OkStatus();
}

void IvfIndex::Append(const float* data, const float* values, size_t n) {
  // IVF_SQ8 keeps its rows for re-ranking while it has all of them.
  if (quantized_ && floats_.size() == n_ * dim_) {
    floats_.insert(floats_.end(), data, data + n * dim_);
  }
  const size_t nc = lists_.size();
  std::vector<uint32_t> assign(n);
  AssignNearest(values, n, centroids_.data(), nc, vdim_,
                BuildThreadCount(params_.build_threads), assign.data(),
                nullptr);
  std::vector<size_t> grow(nc, 0);
  for (uint32_t a : assign) ++grow[a];
  for (size_t c = 0; c < nc; ++c) {
    List& l = lists_[c];
    size_t want = l.ids.size() + grow[c];
    l.ids.reserve(want);
    if (quantized_) {
      l.codes.reserve(want * vdim_);
    } else {
      l.vectors.reserve(want * dim_);
    }
  }
  for (size_t i = 0; i < n; ++i) {
    List& l = lists_[assign[i]];
    const float* x = data + i * dim_;
    l.ids.push_back(static_cast<uint32_t>(n_ + i));
    if (quantized_) {
      size_t at = l.codes.size();
      l.codes.resize(at + vdim_);
      sq_.Encode(values + i * vdim_, l.codes.data() + at);
    } else {
      l.vectors.insert(l.vectors.end(), x, x + dim_);
    }
  }
  n_ += n;
}

float IvfIndex::RowDist(const float* query, uint32_t id) const {
  const float* x = Row(id);
  if (params_.half.has_value()) {
    if (!metric_ip_)
      return HalfSlotL2SqrFunction(*params_.half)(query, x, dim_);
    const float ip =
        HalfSlotInnerProductFunction(*params_.half)(query, x, dim_);
    return ext_.scale != nullptr ? -ip * ext_.scale[id] : -ip;
  }
  if (!metric_ip_) return L2Sqr(query, x, dim_);
  const float ip = InnerProduct(query, x, dim_);
  return ext_.scale != nullptr ? -ip * ext_.scale[id] : -ip;
}

void IvfIndex::ScanList(const List& l, const float* query, const float* values,
                        size_t k, const Bitset* allowed, size_t allowed_limit,
                        float lo, float hi, bool floats,
                        std::vector<float>* buf,
                        std::vector<Candidate>* heap) const {
  const size_t len = l.ids.size();
  if (len == 0) return;
  auto push = [&](float d, uint32_t id) {
    if (!(d >= lo && d < hi)) return;
    if (heap->size() < k) {
      heap->push_back({d, id});
      std::push_heap(heap->begin(), heap->end(), FartherOnTop());
    } else if (d < heap->front().dist) {
      std::pop_heap(heap->begin(), heap->end(), FartherOnTop());
      heap->back() = {d, id};
      std::push_heap(heap->begin(), heap->end(), FartherOnTop());
    }
  };
  const float sign = metric_ip_ ? -1.0f : 1.0f;
  // IVF_FLAT with attached vectors reads its rows from there.
  floats |= !quantized_ && ext_.data != nullptr;
  if (floats) {
    // Rows are scattered: prefetch a few rows ahead of the one scored.
    constexpr size_t kAhead = 4;
    const size_t lines = std::min<size_t>((dim_ * 4 + 63) / 64, 8);
    auto prefetch = [&](size_t i) {
      const char* p = reinterpret_cast<const char*>(Row(l.ids[i]));
      for (size_t c = 0; c < lines; ++c) __builtin_prefetch(p + 64 * c);
    };
    for (size_t i = 0; i < std::min(kAhead, len); ++i) prefetch(i);
    for (size_t i = 0; i < len; ++i) {
      const uint32_t id = l.ids[i];
      if (i + kAhead < len) prefetch(i + kAhead);
      if (allowed != nullptr && !(id < allowed_limit && allowed->Test(id))) {
        continue;
      }
      push(RowDist(query, id), id);
    }
    return;
  }
  if (allowed == nullptr && !quantized_) {
    // Unfiltered float lists: one batched kernel call per list.
    buf->resize(len);
    if (params_.half.has_value()) {
      HalfScoreBatch(*params_.half, params_.metric,
                     reinterpret_cast<const uint16_t*>(query),
                     reinterpret_cast<const uint16_t*>(l.vectors.data()), len,
                     2 * dim_, buf->data());
    } else if (metric_ip_) {
      InnerProductBatch(query, l.vectors.data(), len, dim_, buf->data());
    } else {
      L2SqrBatch(query, l.vectors.data(), len, dim_, buf->data());
    }
    for (size_t i = 0; i < len; ++i) push(sign * (*buf)[i], l.ids[i]);
    return;
  }
  const DistanceFn row_l2 = RowL2SqrFunction(params_.half);
  const DistanceFn row_ip = RowInnerProductFunction(params_.half);
  for (size_t i = 0; i < len; ++i) {
    const uint32_t id = l.ids[i];
    if (allowed != nullptr && !(id < allowed_limit && allowed->Test(id))) {
      continue;
    }
    float s;
    if (quantized_) {
      s = sq_.Score(params_.metric, values, l.codes.data() + i * vdim_);
    } else if (params_.half.has_value()) {
      s = metric_ip_ ? row_ip(query, l.vectors.data() + i * dim_, dim_)
                     : row_l2(query, l.vectors.data() + i * dim_, dim_);
    } else if (metric_ip_) {
      s = InnerProduct(query, l.vectors.data() + i * dim_, dim_);
    } else {
      s = L2Sqr(query, l.vectors.data() + i * dim_, dim_);
    }
    push(sign * s, id);
  }
}

std::vector<Neighbor> IvfIndex::Search(const float* query,
                                       const IndexSearchParams& sp) const {
  const size_t k = sp.k;
  const size_t nc = lists_.size();
  if (k == 0 || n_ == 0 || nc == 0 || query == nullptr) return {};
  size_t nprobe = sp.nprobe > 0 ? static_cast<size_t>(sp.nprobe) : 16;
  // 16-bit rows: the query widened for the centroids and the SQ8 codes.
  std::vector<float> widened;
  const float* values = IndexRowValues(params_, query, 1, &widened);
  nprobe = std::min(nprobe, nc);

  const DistanceRange range = InternalRange(sp, metric_ip_);
  const float lo = range.lo;
  const float hi = range.hi;
  const bool ranged = range.ranged;

  const Bitset* allowed = sp.allowed;
  size_t allowed_count = n_;
  size_t allowed_limit = 0;
  bool scan_all = nprobe == nc;
  if (allowed != nullptr) {
    allowed_count = allowed->CountBelow(n_);
    if (allowed_count == 0) return {};
    if (allowed_count == n_) {
      allowed = nullptr;
    } else {
      allowed_limit = std::min(allowed->size(), n_);
      scan_all |= static_cast<double>(allowed_count) <
                  kExactFraction * static_cast<double>(n_);
    }
  }

  // IVF_SQ8 with float rows: the lists are scanned on the codes for the
  // best `depth` candidates, re-scored on float32 below; range searches and
  // exact scans of few allowed rows score on float32 directly.
  const bool rerank = quantized_ && has_floats();
  const bool floats = rerank && ranged;
  size_t depth = k;
  if (rerank && !ranged) {
    depth = sp.rerank > 0 ? static_cast<size_t>(sp.rerank)
                          : std::max(kRerankPerK * k, kRerankMin);
    depth = std::max(depth, k);
  }
  const float scan_lo = rerank && !ranged ? -kInf : lo;
  const float scan_hi = rerank && !ranged ? kInf : hi;
  std::vector<float> buf;
  std::vector<Candidate> heap;
  heap.reserve(depth + 1);
  bool exact = false;
  auto scan_everything = [&] {
    heap.clear();
    if (rerank && allowed != nullptr) {
      // Exact over the allowed rows (there are few of them, or probing did
      // not find enough): the top-k is exact.
      exact = true;
      allowed->ForEachSet([&](size_t r) {
        if (r >= allowed_limit) return;
        const uint32_t id = static_cast<uint32_t>(r);
        const float d = RowDist(query, id);
        if (!(d >= lo && d < hi)) return;
        KeepNearest(&heap, k, Candidate{d, id});
      });
      return;
    }
    for (const List& l : lists_) {
      ScanList(l, query, values, depth, allowed, allowed_limit, scan_lo,
               scan_hi, floats, &buf, &heap);
    }
  };
  if (scan_all) {
    scan_everything();
  } else {
    // Coarse step: the nprobe closest centroids.
    std::vector<float> cd(nc);
    if (metric_ip_) {
      InnerProductBatch(values, centroids_.data(), nc, vdim_, cd.data());
      for (float& v : cd) v = -v;
    } else {
      L2SqrBatch(values, centroids_.data(), nc, vdim_, cd.data());
    }
    std::vector<uint32_t> order(nc);
    std::iota(order.begin(), order.end(), 0u);
    std::partial_sort(order.begin(), order.begin() + nprobe, order.end(),
                      [&](uint32_t a, uint32_t b) {
                        return cd[a] < cd[b] || (cd[a] == cd[b] && a < b);
                      });
    for (size_t p = 0; p < nprobe; ++p) {
      ScanList(lists_[order[p]], query, values, depth, allowed, allowed_limit,
               scan_lo, scan_hi, floats, &buf, &heap);
    }
    if (!ranged && heap.size() < std::min(k, allowed_count)) {
      scan_everything();
    }
  }
  if (rerank && !ranged && !exact) {
    for (Candidate& c : heap) {
      const char* x = reinterpret_cast<const char*>(Row(c.id));
      __builtin_prefetch(x);
      __builtin_prefetch(x + 64);
    }
    for (Candidate& c : heap) c.dist = RowDist(query, c.id);
  }
  std::sort(heap.begin(), heap.end(),
            [](const Candidate& a, const Candidate& b) {
              return a.dist < b.dist || (a.dist == b.dist && a.id < b.id);
            });
  std::vector<Neighbor> out;
  out.reserve(std::min(k, heap.size()));
  for (const Candidate& c : heap) {
    if (out.size() >= k) break;
    out.push_back({c.id, metric_ip_ ? -c.dist : c.dist});
  }
  return out;
}

bool IvfIndex::has_floats() const {
  if (!quantized_) return true;
  return ext_.data != nullptr || (n_ > 0 && floats_.size() == n_ * dim_);
}

size_t IvfIndex::float_bytes() const {
  size_t bytes = floats_.capacity() * sizeof(float);
  for (const List& l : lists_) bytes += l.vectors.capacity() * sizeof(float);
  return bytes;
}

absl::Status IvfIndex::AttachVectors(const ExternalVectors& v) {
  if (v.n != n_ || v.dim != dim_ || (n_ > 0 && v.data == nullptr)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "vectors: expected ", n_, " rows of dim ", dim_, " (got ", v.n,
        " rows of dim ", v.dim, v.data == nullptr ? ", no data" : "", ")"));
  }
  if (v.scale != nullptr && !metric_ip_) {
    return absl::InvalidArgumentError(
        "vectors.scale: only for IP/COSINE indexes (this one is L2)");
  }
  floats_ = std::vector<float>();
  for (List& l : lists_) l.vectors = std::vector<float>();
  ext_ = v;
  ext_spilled_ = false;
  return absl::OkStatus();
}

void IvfIndex::DetachVectors() {
  if (ext_.data == nullptr) return;
  auto scaled = [&](uint32_t id, float* out) {
    const float* x = ext_.data + size_t{id} * dim_;
    const float s = ext_.scale != nullptr ? ext_.scale[id] : 1.0f;
    if (params_.half.has_value() && ext_.scale != nullptr) {
      ScaleHalfRow(*params_.half, x, dim_, s, out);
      return;
    }
    for (size_t i = 0; i < dim_; ++i) out[i] = ext_.scale ? x[i] * s : x[i];
  };
  if (quantized_) {
    floats_.resize(n_ * dim_);
    for (size_t r = 0; r < n_; ++r) {
      scaled(static_cast<uint32_t>(r), floats_.data() + r * dim_);
    }
  } else {
    for (List& l : lists_) {
      l.vectors.resize(l.ids.size() * dim_);
      for (size_t i = 0; i < l.ids.size(); ++i) {
        scaled(l.ids[i], l.vectors.data() + i * dim_);
      }
    }
  }
  ext_ = ExternalVectors();
  ext_spilled_ = false;
}

absl::Status IvfIndex::SpillVectors(const std::string& dir) {
  if (!quantized_) {
    return absl::FailedPreconditionError(
        "SpillVectors: only IVF_SQ8 can keep its float32 vectors on disk "
        "(IVF_FLAT scans them in its lists)");
  }
  if (dir.empty()) return absl::InvalidArgumentError("dir: empty");
  if (ext_.data != nullptr || floats_.empty()) return absl::OkStatus();
  COVE_ASSIGN_OR_RETURN(auto rows,
                        FloatRows::Spill(floats_.data(), n_, dim_, dir));
  ExternalVectors v;
  v.data = rows->data();
  v.n = n_;
  v.dim = dim_;
  v.mapped = true;
  v.owner = std::move(rows);
  floats_ = std::vector<float>();
  ext_ = std::move(v);
  ext_spilled_ = true;
  return absl::OkStatus();
}

size_t IvfIndex::MemoryBytes() const {
  size_t bytes = sizeof(*this) + centroids_.capacity() * sizeof(float) +
                 lists_.capacity() * sizeof(List) + sq_.MemoryBytes();
  for (const List& l : lists_) {
    bytes += l.ids.capacity() * sizeof(uint32_t) +
             l.vectors.capacity() * sizeof(float) + l.codes.capacity();
  }
  return bytes + floats_.capacity() * sizeof(float);
}

absl::Status IvfIndex::Save(std::string* out) const {
  if (out == nullptr) return absl::InvalidArgumentError("out: null");
  out->clear();
  size_t header = cove::internal::BeginIndexHeader(params_.type, out);
  cove::internal::IndexWriter w(out);
  w.Put<uint8_t>(MetricByteWithHalf(params_.metric, params_.half));
  w.Put<uint64_t>(dim_);
  w.Put<int32_t>(params_.nlist);
  w.Put<int32_t>(params_.build_threads);
  w.Put<uint64_t>(params_.seed);
  w.Put<uint64_t>(n_);
  w.Put<uint64_t>(lists_.size());
  w.PutArray(centroids_.data(), centroids_.size());
  if (quantized_) sq_.Save(&w);
  std::vector<float> row(dim_);
  for (const List& l : lists_) {
    w.PutVector(l.ids);
    if (quantized_) {
      w.PutArray(l.codes.data(), l.codes.size());
    } else if (ext_.data != nullptr) {
      // Attached: the list's rows, scaled as the index sees them.
      for (uint32_t id : l.ids) {
        const float* x = Row(id);
        const float s = ext_.scale != nullptr ? ext_.scale[id] : 1.0f;
        if (params_.half.has_value() && ext_.scale != nullptr) {
          ScaleHalfRow(*params_.half, x, dim_, s, row.data());
        } else {
          for (size_t i = 0; i < dim_; ++i) row[i] = x[i] * s;
        }
        w.PutArray(row.data(), dim_);
      }
    } else {
      w.PutArray(l.vectors.data(), l.vectors.size());
    }
  }
  if (quantized_ && n_ > 0 && has_floats()) {
    // IVF_SQ8's float32 rows for re-ranking, in row order, after a marker
    // byte (bytes written before re-ranking existed end with the lists).
    w.Put<uint8_t>(1);
    cove::internal::PutScaledRows(
        &w, n_, dim_, ext_.scale, [this](uint32_t id) { return Row(id); },
        params_.half);
  }
  cove::internal::FinishIndexHeader(header, out);
  return absl::OkStatus();
}

absl::StatusOr<std::unique_ptr<IvfIndex>> IvfIndex::Load(
    IndexType type, std::string_view payload) {
  cove::internal::IndexReader r(payload);
  IndexParams p;
  p.type = type;
  uint8_t metric = 0;
  uint64_t dim = 0;
  uint64_t n = 0;
  uint64_t nc = 0;
  if (!r.Get(&metric) || !r.Get(&dim) || !r.Get(&p.nlist) ||
      !r.Get(&p.build_threads) || !r.Get(&p.seed) || !r.Get(&n) ||
      !r.Get(&nc)) {
    return IvfDataLoss("truncated parameters");
  }
  if (!SplitMetricByte(metric, &metric, &p.half) ||
      metric > static_cast<uint8_t>(Metric::kCosine)) {
    return IvfDataLoss("unknown metric or row type");
  }
  p.metric = static_cast<Metric>(metric);
  p.dim = static_cast<size_t>(dim);
  if (!ValidateParams(p).ok()) return IvfDataLoss("invalid parameters");
  if (nc > static_cast<uint64_t>(p.nlist) || (n > 0 && nc == 0) ||
      n >= std::numeric_limits<uint32_t>::max()) {
    return IvfDataLoss("inconsistent list count");
  }
  const size_t vdim = IndexValueDim(p);
  if (nc > r.remaining() / (vdim * sizeof(float))) {
    return IvfDataLoss("truncated centroids");
  }
  auto index = std::make_unique<IvfIndex>(p);
  IvfIndex& x = *index;
  x.centroids_.resize(static_cast<size_t>(nc) * vdim);
  if (!r.GetArray(x.centroids_.data(), x.centroids_.size())) {
    return IvfDataLoss("truncated centroids");
  }
  if (x.quantized_ && (!x.sq_.Load(&r, vdim) || (nc > 0 && !x.sq_.trained()))) {
    return IvfDataLoss("bad quantizer");
  }
  x.lists_.resize(static_cast<size_t>(nc));
  const size_t row_bytes = x.quantized_ ? vdim : p.dim * sizeof(float);
  // Every row takes an id and its vector in some list: a row count the
  // remaining bytes cannot hold is corrupt (checked before allocating).
  if (n > r.remaining() / (sizeof(uint32_t) + row_bytes)) {
    return IvfDataLoss("row count larger than the lists can hold");
  }
  Bitset seen(static_cast<size_t>(n));
  size_t total = 0;
  for (List& l : x.lists_) {
    if (!r.GetVector(&l.ids, n - total)) return IvfDataLoss("truncated list");
    total += l.ids.size();
    for (uint32_t id : l.ids) {
      if (id >= n || seen.Test(id)) return IvfDataLoss("bad row id in a list");
      seen.Set(id);
    }
    if (l.ids.size() > r.remaining() / row_bytes) {
      return IvfDataLoss("truncated list data");
    }
    if (x.quantized_) {
      l.codes.resize(l.ids.size() * vdim);
      r.GetArray(l.codes.data(), l.codes.size());
    } else {
      l.vectors.resize(l.ids.size() * p.dim);
      r.GetArray(l.vectors.data(), l.vectors.size());
    }
  }
  if (!r.ok() || total != n) return IvfDataLoss("row count mismatch");
  if (x.quantized_ && n > 0 && r.remaining() != 0) {
    uint8_t has_floats = 0;
    if (!r.Get(&has_floats) || has_floats != 1 ||
        r.remaining() != n * p.dim * sizeof(float)) {
      return IvfDataLoss("bad float32 rows");
    }
    x.floats_.resize(static_cast<size_t>(n) * p.dim);
    if (!r.GetArray(x.floats_.data(), x.floats_.size())) {
      return IvfDataLoss("truncated float32 rows");
    }
    // (16-bit rows are value pairs, not float32 values.)
    for (size_t i = 0; !p.half.has_value() && i < x.floats_.size(); ++i) {
      if (!std::isfinite(x.floats_[i])) {
        return IvfDataLoss("non-finite float32 row");
      }
    }
  }
  if (r.remaining() != 0) return IvfDataLoss("trailing bytes");
  x.n_ = static_cast<size_t>(n);
  return index;
}

}  // namespace cove::engine
