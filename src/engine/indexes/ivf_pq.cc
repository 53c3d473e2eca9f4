#include "engine/indexes/ivf_pq.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <numeric>
#include <random>
#include <thread>
#include <utility>

#include "absl/strings/str_cat.h"
#include "common/strings.h"
#include "engine/indexes/half_rows.h"
#include "engine/indexes/index_io.h"
#include "engine/indexes/kmeans.h"
#include "engine/indexes/top_k.h"
#include "engine/kernels/distance.h"
#include "engine/kernels/pq_kernels.h"

namespace cove::engine {
namespace {

// Rows whose residuals are computed and encoded at a time.
constexpr size_t kChunk = 32768;
// Training sample of the product quantizer: rows per centroid, and at least
// this many rows whatever the centroid count (4-bit codes have 16).
constexpr size_t kPqPointsPerCentroid = 256;
constexpr size_t kPqMinTrainRows = 16384;

absl::Status IvfPqDataLoss(std::string_view what) {
  return absl::DataLossError(
      absl::StrCat("IVF_PQ/SCANN index bytes: ", cove::internal::Sv(what)));
}

// The default sub-vector count of IVF_PQ: the largest divisor of dim not
// above dim / 4 (4 dimensions per sub-vector when dim allows it).
size_t DefaultPqM(size_t dim) {
  for (size_t m = std::max<size_t>(1, dim / 4); m > 1; --m) {
    if (dim % m == 0) return m;
  }
  return 1;
}

}  // namespace

// Per-search buffers, reused by the searches of one thread.
struct IvfPqIndex::Scratch {
  std::vector<float> table;       // m * ksub internal distances
  std::vector<float> residual;    // dim
  std::vector<uint8_t> qtable;    // SCANN: m4 * 16
  std::vector<uint8_t> prepared;  // SCANN: Pq4PreparedBytes(m4)
  Pq4Quantized quant;
  bool ip_ready = false;  // kIP: table (and SCANN's qtable) is set
  // Internal distance = to_a * scan distance + to_b (kCOSINE: lists are
  // scanned on squared L2, see ivf_pq.h).
  float to_a = 1.0f;
  float to_b = 0.0f;
  std::vector<uint16_t> ids;  // m
  std::vector<float> cd;      // coarse distances
  std::vector<uint32_t> order;
  std::vector<Candidate> heap;
  uint16_t sums[kPq4BlockRows];
};

absl::Status IvfPqIndex::ValidateParams(const IndexParams& p) {
  if (p.type != IndexType::kIvfPq && p.type != IndexType::kScann) {
    return absl::InvalidArgumentError(
        "type: IvfPqIndex needs kIvfPq or kScann");
  }
  if (p.dim == 0 || p.dim > kMaxIndexDim) {
    return absl::InvalidArgumentError(absl::StrCat(
        "dim: must be in [1, ", kMaxIndexDim, "] (got ", p.dim, ")"));
  }
  if (p.nlist < 1 || p.nlist > kMaxNlist) {
    return absl::InvalidArgumentError(absl::StrCat(
        "nlist: must be in [1, ", kMaxNlist, "] (got ", p.nlist, ")"));
  }
  if (p.type == IndexType::kIvfPq) {
    // 16-bit rows are quantized as 2 * dim values (dim counts slots).
    const size_t vdim = IndexValueDim(p);
    if (p.pq_m < 0 || static_cast<size_t>(p.pq_m) > vdim ||
        (p.pq_m > 0 && vdim % static_cast<size_t>(p.pq_m) != 0)) {
      return absl::InvalidArgumentError(absl::StrCat(
          "m: must divide the dimension ", vdim, " (got ", p.pq_m, ")"));
    }
    if (p.pq_nbits < 1 || p.pq_nbits > ProductQuantizer::kMaxBits) {
      return absl::InvalidArgumentError(
          absl::StrCat("nbits: must be in [1, ", ProductQuantizer::kMaxBits,
                       "] (got ", p.pq_nbits, ")"));
    }
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

size_t IvfPqIndex::SubVectors(const IndexParams& p) {
  const size_t vdim = IndexValueDim(p);
  if (p.type == IndexType::kScann) return (vdim + 1) / 2;
  return p.pq_m > 0 ? static_cast<size_t>(p.pq_m) : DefaultPqM(vdim);
}

IvfPqIndex::IvfPqIndex(const IndexParams& params)
    : params_(params),
      dim_(params.dim),
      vdim_(IndexValueDim(params)),
      scann_(params.type == IndexType::kScann),
      metric_ip_(params.metric != Metric::kL2),
      ip_tables_(params.metric == Metric::kIP),
      pq_(IndexValueDim(params), SubVectors(params),
          scann_ ? 4 : params.pq_nbits),
      m4_((pq_.m() + 3) / 4 * 4) {
  if (scann_) params_.pq_nbits = 4;
  params_.pq_m = static_cast<int>(pq_.m());
  if (!scann_) params_.with_raw_data = false;
}

absl::Status IvfPqIndex::Build(const float* data, size_t n) {
  if (n == 0 || data == nullptr) {
    return absl::InvalidArgumentError(
        "n: IVF_PQ/SCANN Build needs at least one vector to train on");
  }
  if (n >= std::numeric_limits<uint32_t>::max()) {
    return absl::InvalidArgumentError(
        absl::StrCat("n: too many rows for one index (got ", n, ")"));
  }
  const int threads = BuildThreadCount(params_.build_threads);
  // 16-bit rows: the quantizers learn from them widened to float32.
  std::vector<float> widened;
  const float* values = IndexRowValues(params_, data, n, &widened);
  KMeansOptions opt;
  opt.seed = params_.seed;
  opt.threads = threads;
  centroids_ =
      TrainKMeans(values, n, vdim_, static_cast<size_t>(params_.nlist), opt);
  if (params_.cancelled()) {
    params_.cancel = nullptr;
    return absl::CancelledError("IVF_PQ/SCANN build: cancelled");
  }
  const size_t nc = centroids_.size() / vdim_;
  // The product quantizer learns the residuals of a sample of the rows.
  std::mt19937_64 rng(params_.seed ^ 0x5DEECE66DULL);
  const size_t s =
      std::min(n, std::max(kPqMinTrainRows, kPqPointsPerCentroid * pq_.ksub()));
  std::vector<size_t> rows(n);
  std::iota(rows.begin(), rows.end(), size_t{0});
  if (s < n) {
    for (size_t i = 0; i < s; ++i) {
      std::swap(rows[i],
                rows[std::uniform_int_distribution<size_t>(i, n - 1)(rng)]);
    }
    rows.resize(s);
    std::sort(rows.begin(), rows.end());
  }
  std::vector<float> train(s * vdim_);
  for (size_t i = 0; i < s; ++i) {
    std::memcpy(train.data() + i * vdim_, values + rows[i] * vdim_,
                vdim_ * sizeof(float));
  }
  rows = std::vector<size_t>();
  std::vector<uint32_t> assign(s);
  AssignNearest(train.data(), s, centroids_.data(), nc, vdim_, threads,
                assign.data(), nullptr);
  for (size_t i = 0; i < s; ++i) {
    const float* c = centroids_.data() + size_t{assign[i]} * vdim_;
    float* x = train.data() + i * vdim_;
    for (size_t t = 0; t < vdim_; ++t) x[t] -= c[t];
  }
  pq_ = ProductQuantizer(vdim_, pq_.m(), pq_.nbits());
  pq_.Train(train.data(), s, params_.seed + 7, threads, 25, s);
  train = std::vector<float>();
  if (params_.cancelled()) {
    params_.cancel = nullptr;
    return absl::CancelledError("IVF_PQ/SCANN build: cancelled");
  }
  params_.cancel = nullptr;  // the flag's owner may go away before the index
  lists_.clear();
  lists_.resize(nc);
  lists_.shrink_to_fit();
  n_ = 0;
  ext_ = ExternalVectors();
  floats_ = std::vector<float>();
  if (scann_ && params_.with_raw_data) floats_.reserve(n * dim_);
  Append(data, values, n);
  for (List& l : lists_) {
    l.ids.shrink_to_fit();
    l.codes.shrink_to_fit();
  }
  return absl::OkStatus();
}

absl::Status IvfPqIndex::Add(const float* data, size_t n) {
  if (lists_.empty()) {
    return absl::FailedPreconditionError(
        "IVF_PQ/SCANN index: Add() before Build() (the index needs "
        "training)");
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

void IvfPqIndex::PutFastScanCode(List* l, size_t pos,
                                 const uint16_t* ids) const {
  const size_t bb = Pq4BlockBytes(m4_);
  const size_t block = pos / kPq4BlockRows;
  const size_t v = pos % kPq4BlockRows;
  if (l->codes.size() < (block + 1) * bb) l->codes.resize((block + 1) * bb, 0);
  uint8_t* base = l->codes.data() + block * bb + v;
  const size_t m = pq_.m();
  for (size_t p = 0; p < m4_ / 2; ++p) {
    const uint32_t lo = 2 * p < m ? ids[2 * p] : 0;
    const uint32_t hi = 2 * p + 1 < m ? ids[2 * p + 1] : 0;
    base[p * 32] = static_cast<uint8_t>((lo & 15u) | ((hi & 15u) << 4));
  }
}

void IvfPqIndex::GetFastScanCode(const List& l, size_t pos,
                                 uint16_t* ids) const {
  const size_t bb = Pq4BlockBytes(m4_);
  const uint8_t* base =
      l.codes.data() + (pos / kPq4BlockRows) * bb + pos % kPq4BlockRows;
  const size_t m = pq_.m();
  for (size_t p = 0; p < m4_ / 2; ++p) {
    const uint8_t b = base[p * 32];
    if (2 * p < m) ids[2 * p] = b & 15;
    if (2 * p + 1 < m) ids[2 * p + 1] = b >> 4;
  }
}

void IvfPqIndex::Append(const float* data, const float* values, size_t n) {
  if (scann_ && params_.with_raw_data && floats_.size() == n_ * dim_) {
    floats_.insert(floats_.end(), data, data + n * dim_);
  }
  const int threads = BuildThreadCount(params_.build_threads);
  const size_t nc = lists_.size();
  const size_t cs = pq_.code_size();
  std::vector<uint32_t> assign(n);
  AssignNearest(values, n, centroids_.data(), nc, vdim_, threads, assign.data(),
                nullptr);
  std::vector<size_t> grow(nc, 0);
  for (uint32_t a : assign) ++grow[a];
  for (size_t c = 0; c < nc; ++c) {
    List& l = lists_[c];
    const size_t want = l.ids.size() + grow[c];
    l.ids.reserve(want);
    if (scann_) {
      l.codes.reserve((want + kPq4BlockRows - 1) / kPq4BlockRows *
                      Pq4BlockBytes(m4_));
    } else {
      l.codes.reserve(want * cs);
    }
  }
  std::vector<float> residual;
  std::vector<uint8_t> codes;
  std::vector<uint16_t> ids(pq_.m());
  for (size_t r0 = 0; r0 < n; r0 += kChunk) {
    const size_t nr = std::min(kChunk, n - r0);
    residual.resize(nr * vdim_);
    for (size_t i = 0; i < nr; ++i) {
      const float* x = values + (r0 + i) * vdim_;
      const float* c = centroids_.data() + size_t{assign[r0 + i]} * vdim_;
      float* out = residual.data() + i * vdim_;
      for (size_t t = 0; t < vdim_; ++t) out[t] = x[t] - c[t];
    }
    codes.resize(nr * cs);
    pq_.EncodeBatch(residual.data(), nr, codes.data(), threads);
    for (size_t i = 0; i < nr; ++i) {
      List& l = lists_[assign[r0 + i]];
      const uint8_t* code = codes.data() + i * cs;
      if (scann_) {
        pq_.Unpack(code, ids.data());
        PutFastScanCode(&l, l.ids.size(), ids.data());
      } else {
        l.codes.insert(l.codes.end(), code, code + cs);
      }
      l.ids.push_back(static_cast<uint32_t>(n_ + r0 + i));
    }
  }
  n_ += n;
}

float IvfPqIndex::RowDist(const float* query, uint32_t id) const {
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

float IvfPqIndex::ListTable(const float* query, size_t c, Scratch* s) const {
  const float* centroid = centroids_.data() + c * vdim_;
  if (!ip_tables_) {
    for (size_t t = 0; t < vdim_; ++t) s->residual[t] = query[t] - centroid[t];
    pq_.ComputeTable(Metric::kL2, s->residual.data(), s->table.data());
    return 0.0f;
  }
  if (!s->ip_ready) {
    pq_.ComputeTable(Metric::kIP, query, s->table.data());
    for (float& v : s->table) v = -v;
  }
  return -InnerProduct(query, centroid, vdim_);
}

void IvfPqIndex::ScanList(size_t c, const float* query, const float* values,
                          size_t depth, const Bitset* allowed,
                          size_t allowed_limit, float lo, float hi, bool floats,
                          Scratch* s) const {
  const List& l = lists_[c];
  const size_t len = l.ids.size();
  if (len == 0) return;
  std::vector<Candidate>& heap = s->heap;
  auto push = [&](float d, uint32_t id) {
    if (!(d >= lo && d < hi)) return;
    KeepNearest(&heap, depth, Candidate{d, id});
  };
  auto is_allowed = [&](uint32_t id) {
    return allowed == nullptr || (id < allowed_limit && allowed->Test(id));
  };
  if (floats) {
    for (size_t i = 0; i < len; ++i) {
      const uint32_t id = l.ids[i];
      if (is_allowed(id)) push(RowDist(query, id), id);
    }
    return;
  }
  const float base = ListTable(values, c, s);
  if (!scann_) {
    const size_t cs = pq_.code_size();
    const float* table = s->table.data();
    for (size_t i = 0; i < len; ++i) {
      const uint32_t id = l.ids[i];
      if (!is_allowed(id)) continue;
      push(s->to_a * (base + pq_.Adc(table, l.codes.data() + i * cs)) + s->to_b,
           id);
    }
    s->ip_ready = ip_tables_;
    return;
  }
  // SCANN: the table in bytes, laid out for the kernel (once for kIP).
  const PqKernels& kernels = ActivePqKernels();
  if (!ip_tables_ || !s->ip_ready) {
    s->quant = QuantizeTable(s->table.data(), pq_.m(), m4_, s->qtable.data());
    kernels.pq4_prepare(s->qtable.data(), m4_, s->prepared.data());
  }
  s->ip_ready = ip_tables_;
  const float qbase = base + s->quant.bias;
  const float scale = s->quant.scale;
  // Rounding error of a sum of m quantized entries: about sqrt(m / 12)
  // units; rows within sqrt(m4) units of the threshold are still scored.
  const float slack = std::ceil(std::sqrt(static_cast<float>(m4_)));
  const size_t bb = Pq4BlockBytes(m4_);
  const size_t m = pq_.m();
  const float* table = s->table.data();
  uint16_t* ids = s->ids.data();
  for (size_t b = 0; b * kPq4BlockRows < len; ++b) {
    const size_t rows = std::min(kPq4BlockRows, len - b * kPq4BlockRows);
    const uint32_t valid =
        rows == 32 ? 0xFFFFFFFFu : ((uint32_t{1} << rows) - 1u);
    uint16_t threshold = 0xFFFF;
    const bool full = heap.size() >= depth;
    if (full) {
      const float worst = (heap.front().dist - s->to_b) / s->to_a;
      const float t = (worst - qbase) * scale + slack + 1.0f;
      threshold = t <= 0.0f       ? 0
                  : t >= 65535.0f ? 0xFFFF
                                  : static_cast<uint16_t>(t);
    }
    uint32_t mask = kernels.pq4_scan(l.codes.data() + b * bb, m4_,
                                     s->prepared.data(), threshold, s->sums);
    mask = (full ? mask : 0xFFFFFFFFu) & valid;
    while (mask != 0) {
      const size_t v = static_cast<size_t>(__builtin_ctz(mask));
      mask &= mask - 1;
      const size_t pos = b * kPq4BlockRows + v;
      const uint32_t id = l.ids[pos];
      if (!is_allowed(id)) continue;
      GetFastScanCode(l, pos, ids);
      float d = base;
      for (size_t j = 0; j < m; ++j) d += table[j * 16 + ids[j]];
      push(s->to_a * d + s->to_b, id);
    }
  }
}

std::vector<Neighbor> IvfPqIndex::Search(const float* query,
                                         const IndexSearchParams& sp) const {
  const size_t k = sp.k;
  const size_t nc = lists_.size();
  if (k == 0 || n_ == 0 || nc == 0 || query == nullptr) return {};
  size_t nprobe =
      sp.nprobe > 0 ? static_cast<size_t>(sp.nprobe) : kDefaultNprobe;
  nprobe = std::min(nprobe, nc);
  // 16-bit rows: the query widened for the centroids and the tables.
  std::vector<float> widened;
  const float* values = IndexRowValues(params_, query, 1, &widened);

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

  const bool floats = has_floats();
  const bool rerank = floats && !ranged;
  size_t depth = k;
  if (rerank) {
    depth = sp.rerank > 0 ? static_cast<size_t>(sp.rerank)
                          : std::max(kRerankPerK * k, kRerankMin);
    depth = std::max(depth, k);
  }
  const float scan_lo = rerank ? -kInf : lo;
  const float scan_hi = rerank ? kInf : hi;

  thread_local Scratch scratch;
  Scratch* s = &scratch;
  s->table.resize(pq_.m() * pq_.ksub());
  s->residual.resize(vdim_);
  s->ids.resize(pq_.m());
  if (scann_) {
    s->qtable.resize(m4_ * 16);
    s->prepared.resize(Pq4PreparedBytes(m4_));
  }
  s->ip_ready = false;
  s->to_a = 1.0f;
  s->to_b = 0.0f;
  if (metric_ip_ && !ip_tables_) {
    // COSINE: rows are unit vectors, so <q, x> = (|q|^2 + 1 - |q - x|^2) / 2
    // and minus that is the internal distance.
    s->to_a = 0.5f;
    s->to_b = -0.5f * (InnerProduct(values, values, vdim_) + 1.0f);
  }
  std::vector<Candidate>& heap = s->heap;
  heap.clear();
  heap.reserve(depth + 1);
  bool exact = false;
  auto scan_everything = [&] {
    heap.clear();
    if (floats && allowed != nullptr) {
      // Few allowed rows (or probing found too few): score them all on
      // float32, so the filtered top-k is exact.
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
    for (size_t c = 0; c < nc; ++c) {
      ScanList(c, query, values, depth, allowed, allowed_limit, scan_lo,
               scan_hi, floats && ranged, s);
    }
  };
  if (scan_all) {
    scan_everything();
  } else {
    std::vector<float>& cd = s->cd;
    cd.resize(nc);
    if (ip_tables_) {
      InnerProductBatch(values, centroids_.data(), nc, vdim_, cd.data());
      for (float& v : cd) v = -v;
    } else {
      L2SqrBatch(values, centroids_.data(), nc, vdim_, cd.data());
    }
    std::vector<uint32_t>& order = s->order;
    order.resize(nc);
    std::iota(order.begin(), order.end(), 0u);
    std::partial_sort(order.begin(), order.begin() + nprobe, order.end(),
                      [&](uint32_t a, uint32_t b) {
                        return cd[a] < cd[b] || (cd[a] == cd[b] && a < b);
                      });
    for (size_t p = 0; p < nprobe; ++p) {
      ScanList(order[p], query, values, depth, allowed, allowed_limit, scan_lo,
               scan_hi, floats && ranged, s);
    }
    if (!ranged && heap.size() < std::min(k, allowed_count)) {
      scan_everything();
    }
  }
  if (rerank && !exact) {
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

bool IvfPqIndex::has_floats() const {
  if (scann_ && !params_.with_raw_data) return false;
  return ext_.data != nullptr || (n_ > 0 && floats_.size() == n_ * dim_);
}

size_t IvfPqIndex::code_bytes() const {
  size_t bytes = 0;
  for (const List& l : lists_) bytes += l.codes.size();
  return bytes;
}

absl::Status IvfPqIndex::AttachVectors(const ExternalVectors& v) {
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
  ext_ = v;
  return absl::OkStatus();
}

void IvfPqIndex::DetachVectors() {
  if (ext_.data == nullptr) return;
  if (scann_ && params_.with_raw_data) {
    floats_.resize(n_ * dim_);
    for (size_t r = 0; r < n_; ++r) {
      const float* x = ext_.data + r * dim_;
      const float s = ext_.scale != nullptr ? ext_.scale[r] : 1.0f;
      if (params_.half.has_value() && ext_.scale != nullptr) {
        ScaleHalfRow(*params_.half, x, dim_, s, floats_.data() + r * dim_);
        continue;
      }
      for (size_t t = 0; t < dim_; ++t) floats_[r * dim_ + t] = x[t] * s;
    }
  }
  ext_ = ExternalVectors();
}

size_t IvfPqIndex::MemoryBytes() const {
  size_t bytes = sizeof(*this) + centroids_.capacity() * sizeof(float) +
                 lists_.capacity() * sizeof(List) + pq_.MemoryBytes();
  for (const List& l : lists_) {
    bytes += l.ids.capacity() * sizeof(uint32_t) + l.codes.capacity();
  }
  return bytes + floats_.capacity() * sizeof(float);
}

absl::Status IvfPqIndex::Save(std::string* out) const {
  if (out == nullptr) return absl::InvalidArgumentError("out: null");
  out->clear();
  size_t header = cove::internal::BeginIndexHeader(params_.type, out);
  cove::internal::IndexWriter w(out);
  w.Put<uint8_t>(MetricByteWithHalf(params_.metric, params_.half));
  w.Put<uint64_t>(dim_);
  w.Put<int32_t>(params_.nlist);
  w.Put<int32_t>(params_.build_threads);
  w.Put<uint64_t>(params_.seed);
  w.Put<int32_t>(params_.pq_m);
  w.Put<int32_t>(params_.pq_nbits);
  w.Put<uint8_t>(params_.with_raw_data ? 1 : 0);
  w.Put<uint64_t>(n_);
  w.Put<uint64_t>(lists_.size());
  w.PutArray(centroids_.data(), centroids_.size());
  pq_.Save(&w);
  for (const List& l : lists_) {
    w.PutVector(l.ids);
    w.PutArray(l.codes.data(), l.codes.size());
  }
  if (scann_ && n_ > 0 && has_floats()) {
    // SCANN's raw data, in row order, after a marker byte.
    w.Put<uint8_t>(1);
    cove::internal::PutScaledRows(
        &w, n_, dim_, ext_.scale, [this](uint32_t id) { return Row(id); },
        params_.half);
  }
  cove::internal::FinishIndexHeader(header, out);
  return absl::OkStatus();
}

absl::StatusOr<std::unique_ptr<IvfPqIndex>> IvfPqIndex::Load(
    IndexType type, std::string_view payload) {
  cove::internal::IndexReader r(payload);
  IndexParams p;
  p.type = type;
  uint8_t metric = 0;
  uint64_t dim = 0;
  uint8_t raw = 0;
  uint64_t n = 0;
  uint64_t nc = 0;
  if (!r.Get(&metric) || !r.Get(&dim) || !r.Get(&p.nlist) ||
      !r.Get(&p.build_threads) || !r.Get(&p.seed) || !r.Get(&p.pq_m) ||
      !r.Get(&p.pq_nbits) || !r.Get(&raw) || !r.Get(&n) || !r.Get(&nc)) {
    return IvfPqDataLoss("truncated parameters");
  }
  if (!SplitMetricByte(metric, &metric, &p.half) ||
      metric > static_cast<uint8_t>(Metric::kCosine) || raw > 1) {
    return IvfPqDataLoss("unknown metric or flag");
  }
  p.metric = static_cast<Metric>(metric);
  p.dim = static_cast<size_t>(dim);
  p.with_raw_data = raw == 1;
  if (!ValidateParams(p).ok()) return IvfPqDataLoss("invalid parameters");
  if (type == IndexType::kScann &&
      (p.pq_nbits != 4 || static_cast<size_t>(p.pq_m) != SubVectors(p))) {
    return IvfPqDataLoss("SCANN quantizer geometry");
  }
  if (type == IndexType::kIvfPq && (p.pq_m < 1 || p.with_raw_data)) {
    return IvfPqDataLoss("IVF_PQ quantizer geometry");
  }
  if (nc > static_cast<uint64_t>(p.nlist) || (n > 0 && nc == 0) ||
      n >= std::numeric_limits<uint32_t>::max()) {
    return IvfPqDataLoss("inconsistent list count");
  }
  const size_t vdim = IndexValueDim(p);
  if (nc > r.remaining() / (vdim * sizeof(float))) {
    return IvfPqDataLoss("truncated centroids");
  }
  auto index = std::make_unique<IvfPqIndex>(p);
  IvfPqIndex& x = *index;
  x.centroids_.resize(static_cast<size_t>(nc) * vdim);
  if (!r.GetArray(x.centroids_.data(), x.centroids_.size())) {
    return IvfPqDataLoss("truncated centroids");
  }
  for (float f : x.centroids_) {
    if (!std::isfinite(f)) return IvfPqDataLoss("non-finite centroid");
  }
  ProductQuantizer pq;
  if (!pq.Load(&r, vdim) || pq.m() != x.pq_.m() ||
      pq.nbits() != x.pq_.nbits() || (nc > 0 && !pq.trained())) {
    return IvfPqDataLoss("bad product quantizer");
  }
  x.pq_ = std::move(pq);
  const size_t cs = x.pq_.code_size();
  const size_t bb = Pq4BlockBytes(x.m4_);
  // Every row takes its id and at least its share of code bytes: a row
  // count the remaining bytes cannot hold is corrupt (checked before
  // allocating).
  const size_t row_bytes = sizeof(uint32_t) + (x.scann_ ? bb / 32 : cs);
  if (n > r.remaining() / row_bytes) {
    return IvfPqDataLoss("row count larger than the lists can hold");
  }
  x.lists_.resize(static_cast<size_t>(nc));
  Bitset seen(static_cast<size_t>(n));
  size_t total = 0;
  for (List& l : x.lists_) {
    if (!r.GetVector(&l.ids, n - total)) return IvfPqDataLoss("truncated list");
    total += l.ids.size();
    for (uint32_t id : l.ids) {
      if (id >= n || seen.Test(id))
        return IvfPqDataLoss("bad row id in a list");
      seen.Set(id);
    }
    const size_t bytes =
        x.scann_ ? (l.ids.size() + kPq4BlockRows - 1) / kPq4BlockRows * bb
                 : l.ids.size() * cs;
    if (bytes > r.remaining()) return IvfPqDataLoss("truncated list codes");
    l.codes.resize(bytes);
    r.GetArray(l.codes.data(), bytes);
  }
  if (!r.ok() || total != n) return IvfPqDataLoss("row count mismatch");
  if (x.scann_ && n > 0 && r.remaining() != 0) {
    uint8_t has_floats = 0;
    if (!p.with_raw_data || !r.Get(&has_floats) || has_floats != 1 ||
        r.remaining() != n * p.dim * sizeof(float)) {
      return IvfPqDataLoss("bad float32 rows");
    }
    x.floats_.resize(static_cast<size_t>(n) * p.dim);
    if (!r.GetArray(x.floats_.data(), x.floats_.size())) {
      return IvfPqDataLoss("truncated float32 rows");
    }
    // (16-bit rows are value pairs, not float32 values.)
    for (size_t i = 0; !p.half.has_value() && i < x.floats_.size(); ++i) {
      if (!std::isfinite(x.floats_[i])) {
        return IvfPqDataLoss("non-finite float32 row");
      }
    }
  }
  if (r.remaining() != 0) return IvfPqDataLoss("trailing bytes");
  x.n_ = static_cast<size_t>(n);
  return index;
}

}  // namespace cove::engine
