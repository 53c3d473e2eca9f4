#include "engine/indexes/diskann_index.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <mutex>
#include <numeric>
#include <random>
#include <thread>
#include <utility>

#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "common/strings.h"
#include "engine/indexes/index_io.h"
#include "engine/indexes/top_k.h"
#include "engine/kernels/distance_internal.h"

namespace cove::engine {
namespace {

// Lloyd iterations and training rows per centroid of the quantizer (2-d
// sub-spaces converge fast).
constexpr int kPqIterations = 10;
constexpr size_t kPqPointsPerCentroid = 64;
// A build candidate list holds at most this many visited rows for pruning.
constexpr size_t kMaxPruneCandidates = 750;

absl::Status DiskAnnDataLoss(std::string_view what) {
  return absl::DataLossError(
      absl::StrCat("DISKANN index bytes: ", cove::internal::Sv(what)));
}

// High bit of a pool entry's id: the row has been expanded.
constexpr uint32_t kExpanded = 0x80000000u;

inline void CpuRelax() {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_ia32_pause();
#endif
}

}  // namespace

// Buffers of one build thread or one search.
struct DiskAnnIndex::Scratch {
  std::vector<uint16_t> tags;
  uint16_t gen = 0;
  std::vector<Candidate> pool;     // sorted, closest first
  std::vector<Candidate> visited;  // expanded rows
  std::vector<Candidate> cand;     // pruning candidates
  std::vector<uint32_t> chosen;
  std::vector<uint32_t> links;
  std::vector<uint8_t> removed;
  std::vector<float> table;  // search: the ADC table
  std::vector<Candidate> heap;

  uint16_t NewGeneration(size_t n) {
    if (tags.size() < n) tags.resize(n, 0);
    if (++gen == 0) {
      std::fill(tags.begin(), tags.end(), 0);
      gen = 1;
    }
    return gen;
  }
};

absl::Status DiskAnnIndex::ValidateParams(const IndexParams& p) {
  if (p.type != IndexType::kDiskAnn) {
    return absl::InvalidArgumentError("type: DiskAnnIndex needs kDiskAnn");
  }
  if (p.dim == 0 || p.dim > kMaxIndexDim) {
    return absl::InvalidArgumentError(absl::StrCat(
        "dim: must be in [1, ", kMaxIndexDim, "] (got ", p.dim, ")"));
  }
  if (p.max_degree < 1 || p.max_degree > kMaxDegree) {
    return absl::InvalidArgumentError(
        absl::StrCat("max_degree: must be in [1, ", kMaxDegree, "] (got ",
                     p.max_degree, ")"));
  }
  if (p.search_list_size < 1) {
    return absl::InvalidArgumentError(absl::StrCat(
        "search_list_size: must be >= 1 (got ", p.search_list_size, ")"));
  }
  if (!(p.pq_code_budget_ratio > 0.0 && p.pq_code_budget_ratio <= 0.25)) {
    return absl::InvalidArgumentError(
        absl::StrCat("pq_code_budget_gb_ratio: must be in (0, 0.25] (got ",
                     p.pq_code_budget_ratio, ")"));
  }
  if (p.build_threads < 0) {
    return absl::InvalidArgumentError(absl::StrCat(
        "build_threads: must be >= 0 (got ", p.build_threads, ")"));
  }
  if (p.metric != Metric::kL2 && p.metric != Metric::kIP &&
      p.metric != Metric::kCosine) {
    return absl::InvalidArgumentError("metric: DISKANN needs L2, IP or COSINE");
  }
  return absl::OkStatus();
}

size_t DiskAnnIndex::SubVectors(const IndexParams& p) {
  const double bytes =
      p.pq_code_budget_ratio * 4.0 * static_cast<double>(p.dim);
  return std::clamp<size_t>(static_cast<size_t>(bytes), 1, p.dim);
}

DiskAnnIndex::DiskAnnIndex(const IndexParams& params)
    : params_(params),
      dim_(params.dim),
      metric_ip_(params.metric != Metric::kL2),
      degree_(static_cast<size_t>(params.max_degree)),
      stride_(static_cast<size_t>(params.max_degree) + 1),
      pq_(params.dim, SubVectors(params), 8) {}

DiskAnnIndex::~DiskAnnIndex() = default;

const float* DiskAnnIndex::Rows() const {
  if (ext_.data != nullptr) return ext_.data;
  if (spilled_ != nullptr) return spilled_->data();
  return floats_.empty() ? nullptr : floats_.data();
}

float DiskAnnIndex::RowL2(uint32_t a, uint32_t b) const {
  const cove::internal::DistanceKernels& k =
      cove::internal::ActiveDistanceKernels();
  if (ext_.scale == nullptr) return k.l2sqr(Row(a), Row(b), dim_);
  // Attached COSINE rows: the index's vectors are row * scale.
  const float sa = ext_.scale[a];
  const float sb = ext_.scale[b];
  const float* x = Row(a);
  const float* y = Row(b);
  float sum = 0;
  for (size_t t = 0; t < dim_; ++t) {
    const float d = x[t] * sa - y[t] * sb;
    sum += d * d;
  }
  return sum;
}

float DiskAnnIndex::RowDist(const float* query, uint32_t id) const {
  const cove::internal::DistanceKernels& k =
      cove::internal::ActiveDistanceKernels();
  if (metric_ip_) {
    const float s = ext_.scale != nullptr ? ext_.scale[id] : 1.0f;
    return -k.inner_product(query, Row(id), dim_) * s;
  }
  return k.l2sqr(query, Row(id), dim_);
}

void DiskAnnIndex::Lock(uint32_t id) const {
  if (!locks_) return;
  std::atomic<uint8_t>& l = locks_[id];
  while (l.exchange(1, std::memory_order_acquire) != 0) {
    while (l.load(std::memory_order_relaxed) != 0) CpuRelax();
  }
}

void DiskAnnIndex::Unlock(uint32_t id) const {
  if (!locks_) return;
  locks_[id].store(0, std::memory_order_release);
}

void DiskAnnIndex::SetLinks(uint32_t id, const std::vector<uint32_t>& ids) {
  uint32_t* l = graph_.data() + size_t{id} * stride_;
  l[0] = static_cast<uint32_t>(ids.size());
  std::copy(ids.begin(), ids.end(), l + 1);
}

void DiskAnnIndex::ChooseMedoid() {
  // The row nearest the mean (DiskANN's entry point).
  std::vector<double> mean(dim_, 0.0);
  for (size_t r = 0; r < n_; ++r) {
    const float* x = Row(static_cast<uint32_t>(r));
    for (size_t t = 0; t < dim_; ++t) mean[t] += x[t];
  }
  std::vector<float> m(dim_);
  for (size_t t = 0; t < dim_; ++t) {
    m[t] = static_cast<float>(mean[t] / static_cast<double>(n_));
  }
  const cove::internal::DistanceKernels& k =
      cove::internal::ActiveDistanceKernels();
  float best = kInf;
  medoid_ = 0;
  for (size_t r = 0; r < n_; ++r) {
    const float d = k.l2sqr(m.data(), Row(static_cast<uint32_t>(r)), dim_);
    if (d < best) {
      best = d;
      medoid_ = static_cast<uint32_t>(r);
    }
  }
}

void DiskAnnIndex::BuildSearch(const float* q, uint32_t self,
                               Scratch* s) const {
  const cove::internal::DistanceKernels& k =
      cove::internal::ActiveDistanceKernels();
  const size_t list = static_cast<size_t>(params_.search_list_size);
  const uint16_t gen = s->NewGeneration(n_);
  std::vector<Candidate>& pool = s->pool;
  pool.clear();
  s->visited.clear();
  s->tags[self] = gen;
  s->tags[medoid_] = gen;
  pool.push_back({k.l2sqr(q, Row(medoid_), dim_), medoid_});
  size_t cur = 0;
  while (cur < pool.size()) {
    const uint32_t c = pool[cur].id;
    pool[cur].id = c | kExpanded;
    if (c != self) s->visited.push_back({pool[cur].dist, c});
    Lock(c);
    const uint32_t* l = graph_.data() + size_t{c} * stride_;
    s->links.assign(l + 1, l + 1 + l[0]);
    Unlock(c);
    size_t lowest = pool.size();
    for (uint32_t nb : s->links) {
      if (s->tags[nb] == gen) continue;
      s->tags[nb] = gen;
      const float d = k.l2sqr(q, Row(nb), dim_);
      lowest = std::min(lowest, InsertBounded(&pool, Candidate{d, nb}, list));
    }
    cur = std::min(cur + 1, lowest);
    while (cur < pool.size() && (pool[cur].id & kExpanded) != 0) ++cur;
  }
}

void DiskAnnIndex::Prune(uint32_t base, std::vector<Candidate>* candidates,
                         size_t max, std::vector<uint32_t>* out) const {
  std::vector<Candidate>& c = *candidates;
  std::sort(c.begin(), c.end(), ByDistThenId());
  // Drop the base and repeated ids (sorted by distance, equal ids adjacent
  // only when their distances are equal, which they are).
  size_t w = 0;
  for (size_t i = 0; i < c.size(); ++i) {
    if (c[i].id == base) continue;
    if (w > 0 && c[w - 1].id == c[i].id) continue;
    c[w++] = c[i];
  }
  c.resize(std::min(w, kMaxPruneCandidates));
  out->clear();
  std::vector<uint8_t> removed(c.size(), 0);
  for (size_t i = 0; i < c.size() && out->size() < max; ++i) {
    if (removed[i]) continue;
    out->push_back(c[i].id);
    for (size_t j = i + 1; j < c.size(); ++j) {
      if (removed[j]) continue;
      // c[j] is reached through c[i] (alpha-shorter) rather than directly.
      if (kAlpha * RowL2(c[i].id, c[j].id) <= c[j].dist) removed[j] = 1;
    }
  }
}

void DiskAnnIndex::Insert(uint32_t node, size_t capacity, Scratch* s) {
  BuildSearch(Row(node), node, s);
  s->cand.assign(s->visited.begin(), s->visited.end());
  Prune(node, &s->cand, degree_, &s->chosen);
  Lock(node);
  SetLinks(node, s->chosen);
  Unlock(node);
  std::vector<uint32_t> pruned;
  for (uint32_t j : s->chosen) {
    Lock(j);
    uint32_t* l = graph_.data() + size_t{j} * stride_;
    const size_t cnt = l[0];
    bool present = false;
    for (size_t t = 1; t <= cnt; ++t) present |= l[t] == node;
    if (!present) {
      if (cnt < capacity) {
        l[1 + cnt] = node;
        l[0] = static_cast<uint32_t>(cnt + 1);
      } else {
        s->cand.clear();
        s->cand.push_back({RowL2(j, node), node});
        for (size_t t = 1; t <= cnt; ++t) {
          s->cand.push_back({RowL2(j, l[t]), l[t]});
        }
        Prune(j, &s->cand, degree_, &pruned);
        SetLinks(j, pruned);
      }
    }
    Unlock(j);
  }
}

void DiskAnnIndex::InsertRows(size_t begin, size_t end, int threads) {
  if (begin >= end) return;
  // Room for kSlack * max_degree links per row while building.
  const size_t capacity = std::max(
      degree_,
      static_cast<size_t>(std::ceil(kSlack * static_cast<double>(degree_))));
  const size_t old_stride = stride_;
  stride_ = capacity + 1;
  std::vector<uint32_t> wide(n_ * stride_, 0);
  for (size_t r = 0; r < begin; ++r) {
    const uint32_t* from = graph_.data() + r * old_stride;
    std::copy(from, from + 1 + from[0], wide.data() + r * stride_);
  }
  graph_ = std::move(wide);

  std::vector<uint32_t> order;
  order.reserve(end - begin);
  for (size_t r = begin; r < end; ++r) {
    if (r != medoid_ || begin > 0) order.push_back(static_cast<uint32_t>(r));
  }
  std::mt19937_64 rng(params_.seed ^ begin);
  std::shuffle(order.begin(), order.end(), rng);

  const size_t nt =
      std::min<size_t>(static_cast<size_t>(BuildThreadCount(threads)),
                       std::max<size_t>(order.size(), 1));
  std::atomic<size_t> next{0};
  auto work = [&](Scratch* s) {
    for (;;) {
      const size_t i = next.fetch_add(1, std::memory_order_relaxed);
      if (i >= order.size() || params_.cancelled()) break;
      Insert(order[i], capacity, s);
    }
  };
  std::vector<std::unique_ptr<Scratch>> scratches;
  for (size_t t = 0; t < nt; ++t) {
    scratches.push_back(std::make_unique<Scratch>());
  }
  if (nt > 1) locks_.reset(new std::atomic<uint8_t>[n_]());
  std::vector<std::thread> workers;
  for (size_t t = 1; t < nt; ++t) {
    workers.emplace_back(work, scratches[t].get());
  }
  work(scratches[0].get());
  for (std::thread& w : workers) w.join();

  // Every list down to max_degree, then the compact layout.
  std::atomic<size_t> next_row{0};
  auto finish = [&](Scratch* s) {
    std::vector<uint32_t> pruned;
    for (;;) {
      const size_t r = next_row.fetch_add(1, std::memory_order_relaxed);
      if (r >= n_) break;
      const uint32_t* l = graph_.data() + r * stride_;
      if (l[0] <= degree_) continue;
      s->cand.clear();
      for (size_t t = 1; t <= l[0]; ++t) {
        s->cand.push_back({RowL2(static_cast<uint32_t>(r), l[t]), l[t]});
      }
      Prune(static_cast<uint32_t>(r), &s->cand, degree_, &pruned);
      SetLinks(static_cast<uint32_t>(r), pruned);
    }
  };
  workers.clear();
  for (size_t t = 1; t < nt; ++t) {
    workers.emplace_back(finish, scratches[t].get());
  }
  finish(scratches[0].get());
  for (std::thread& w : workers) w.join();
  locks_.reset();

  std::vector<uint32_t> compact(n_ * (degree_ + 1), 0);
  for (size_t r = 0; r < n_; ++r) {
    const uint32_t* from = graph_.data() + r * stride_;
    std::copy(from, from + 1 + from[0], compact.data() + r * (degree_ + 1));
  }
  graph_ = std::move(compact);
  stride_ = degree_ + 1;
}

absl::Status DiskAnnIndex::Build(const float* data, size_t n) {
  if (n > 0 && data == nullptr) {
    return absl::InvalidArgumentError("data: null with n > 0");
  }
  if (n >= std::numeric_limits<uint32_t>::max() / 2) {
    return absl::InvalidArgumentError(
        absl::StrCat("n: too many rows for one index (got ", n, ")"));
  }
  ext_ = ExternalVectors();
  spilled_.reset();
  n_ = n;
  floats_.assign(data, data + n * dim_);
  graph_.assign(n * stride_, 0);
  codes_.clear();
  pq_ = ProductQuantizer(dim_, SubVectors(params_), 8);
  medoid_ = 0;
  if (n == 0) return absl::OkStatus();
  const int threads = BuildThreadCount(params_.build_threads);
  pq_.Train(data, n, params_.seed, threads, kPqIterations,
            kPqPointsPerCentroid);
  codes_.resize(n * pq_.code_size());
  pq_.EncodeBatch(data, n, codes_.data(), threads);
  ChooseMedoid();
  InsertRows(0, n, threads);
  const bool cancelled = params_.cancelled();
  params_.cancel = nullptr;
  if (cancelled) return absl::CancelledError("DISKANN build: cancelled");
  return absl::OkStatus();
}

absl::Status DiskAnnIndex::Add(const float* data, size_t n) {
  if (n == 0) return absl::OkStatus();
  if (data == nullptr) {
    return absl::InvalidArgumentError("data: null with n > 0");
  }
  if (n_ == 0 || !pq_.trained()) return Build(data, n);
  if (Rows() == nullptr) {
    return absl::FailedPreconditionError(
        "DISKANN Add: the index has no float32 rows to link new rows "
        "(attach the segment's vectors first)");
  }
  if (n >= std::numeric_limits<uint32_t>::max() / 2 - n_) {
    return absl::InvalidArgumentError(absl::StrCat(
        "n: too many rows for one index (have ", n_, ", adding ", n, ")"));
  }
  // Own rows in memory: the attached or spilled ones, scaled, then the new.
  std::vector<float> rows(n_ * dim_);
  for (size_t r = 0; r < n_; ++r) {
    const float* x = Row(static_cast<uint32_t>(r));
    const float s = ext_.scale != nullptr ? ext_.scale[r] : 1.0f;
    for (size_t t = 0; t < dim_; ++t) rows[r * dim_ + t] = x[t] * s;
  }
  rows.insert(rows.end(), data, data + n * dim_);
  floats_ = std::move(rows);
  ext_ = ExternalVectors();
  spilled_.reset();
  const size_t begin = n_;
  n_ += n;
  graph_.resize(n_ * stride_, 0);
  codes_.resize(n_ * pq_.code_size());
  pq_.EncodeBatch(data, n, codes_.data() + begin * pq_.code_size(),
                  BuildThreadCount(params_.build_threads));
  InsertRows(begin, n_, params_.build_threads);
  return absl::OkStatus();
}

std::vector<Neighbor> DiskAnnIndex::ExactSearch(const float* query, size_t k,
                                                const Bitset* allowed, float lo,
                                                float hi) const {
  const bool floats = has_floats();
  std::vector<float> table;
  if (!floats) {
    table.resize(pq_.m() * pq_.ksub());
    pq_.ComputeTable(metric_ip_ ? Metric::kIP : Metric::kL2, query,
                     table.data());
  }
  const size_t cs = pq_.code_size();
  const std::vector<Candidate> heap =
      ExactNearest<Candidate>(n_, allowed, k, lo, hi, [&](uint32_t id) {
        if (floats) return RowDist(query, id);
        const float a = pq_.Adc(table.data(), codes_.data() + size_t{id} * cs);
        return metric_ip_ ? -a : a;
      });
  std::vector<Neighbor> out;
  out.reserve(heap.size());
  for (const Candidate& c : heap) out.push_back({c.id, ToScore(c.dist)});
  return out;
}

std::vector<Neighbor> DiskAnnIndex::Search(const float* query,
                                           const IndexSearchParams& sp) const {
  const size_t k = sp.k;
  if (k == 0 || n_ == 0 || query == nullptr) return {};
  size_t list = sp.ef > 0 ? static_cast<size_t>(sp.ef)
                          : std::max<size_t>(k, kDefaultSearchList);
  list = std::max(list, k);

  const DistanceRange range = InternalRange(sp, metric_ip_);
  const float lo = range.lo;
  const float hi = range.hi;
  const bool ranged = range.ranged;

  const Bitset* allowed = sp.allowed;
  size_t allowed_count = n_;
  if (allowed != nullptr) {
    allowed_count = allowed->CountBelow(n_);
    if (allowed_count == 0) return {};
    if (allowed_count == n_) {
      allowed = nullptr;
    } else if (static_cast<double>(allowed_count) <
               kExactFraction * static_cast<double>(n_)) {
      return ExactSearch(query, k, allowed, lo, hi);
    }
  }

  const bool floats = has_floats();
  std::unique_ptr<Scratch> scratch = AcquireScratch();
  Scratch& s = *scratch;
  s.pool.clear();
  s.table.resize(pq_.m() * pq_.ksub());
  pq_.ComputeTable(metric_ip_ ? Metric::kIP : Metric::kL2, query,
                   s.table.data());
  const size_t cs = pq_.code_size();
  auto adc = [&](uint32_t id) {
    const float a = pq_.Adc(s.table.data(), codes_.data() + size_t{id} * cs);
    return metric_ip_ ? -a : a;
  };
  auto ok = [&](uint32_t id) {
    return allowed == nullptr || allowed->Test(id);
  };

  const uint16_t gen = s.NewGeneration(n_);
  uint16_t* seen = s.tags.data();
  std::vector<Candidate>& pool = s.pool;
  pool.reserve(list + 1);
  pool.push_back({adc(medoid_), medoid_});
  seen[medoid_] = gen;
  std::vector<Candidate>& found = s.heap;
  found.clear();  // exact (or ADC) distances of kept rows
  float farthest_expanded = -kInf;
  size_t cur = 0;
  while (cur < pool.size()) {
    const uint32_t c = pool[cur].id;
    pool[cur].id = c | kExpanded;
    if (floats) {
      const float d = RowDist(query, c);
      farthest_expanded = std::max(farthest_expanded, d);
      if (ok(c) && d >= lo && d < hi) {
        if (ranged) {
          found.push_back({d, c});
        } else {
          KeepNearest(&found, k, Candidate{d, c});
        }
      }
    }
    const uint32_t* l = links(c);
    const size_t cnt = degree(c);
    for (size_t t = 0; t < cnt; ++t) {
      __builtin_prefetch(codes_.data() + size_t{l[t]} * cs);
    }
    size_t lowest = pool.size();
    for (size_t t = 0; t < cnt; ++t) {
      const uint32_t nb = l[t];
      if (seen[nb] == gen) continue;
      seen[nb] = gen;
      const float d = adc(nb);
      lowest = std::min(lowest, InsertBounded(&pool, Candidate{d, nb}, list));
    }
    cur = std::min(cur + 1, lowest);
    while (cur < pool.size() && (pool[cur].id & kExpanded) != 0) ++cur;
  }
  if (!floats) {
    // Ranked on ADC distances: the list itself.
    for (const Candidate& c : pool) {
      const uint32_t id = c.id & ~kExpanded;
      if (!ok(id) || !(c.dist >= lo && c.dist < hi)) continue;
      if (ranged) {
        found.push_back({c.dist, id});
      } else {
        KeepNearest(&found, k, Candidate{c.dist, id});
      }
    }
    farthest_expanded = pool.empty() ? -kInf : pool.back().dist;
  }
  const size_t want = std::min(k, allowed_count);
  // A ranged walk that stayed inside the range may have missed rows further
  // out that are inside too.
  const bool exact =
      ranged ? found.size() < k && farthest_expanded < hi : found.size() < want;
  std::vector<Neighbor> out;
  if (!exact) {
    std::sort(found.begin(), found.end(), ByDistThenId());
    if (found.size() > k) found.resize(k);
    out.reserve(found.size());
    for (const Candidate& c : found) out.push_back({c.id, ToScore(c.dist)});
  }
  ReleaseScratch(std::move(scratch));
  if (exact) return ExactSearch(query, k, allowed, lo, hi);
  return out;
}

std::unique_ptr<DiskAnnIndex::Scratch> DiskAnnIndex::AcquireScratch() const {
  {
    std::lock_guard<std::mutex> lock(pool_mu_);
    if (!scratch_pool_.empty()) {
      std::unique_ptr<Scratch> s = std::move(scratch_pool_.back());
      scratch_pool_.pop_back();
      return s;
    }
  }
  return std::make_unique<Scratch>();
}

void DiskAnnIndex::ReleaseScratch(std::unique_ptr<Scratch> s) const {
  std::lock_guard<std::mutex> lock(pool_mu_);
  scratch_pool_.push_back(std::move(s));
}

size_t DiskAnnIndex::MemoryBytes() const {
  size_t bytes = sizeof(*this) + graph_.capacity() * sizeof(uint32_t) +
                 codes_.capacity() + pq_.MemoryBytes() +
                 floats_.capacity() * sizeof(float);
  std::lock_guard<std::mutex> lock(pool_mu_);
  for (const auto& s : scratch_pool_) {
    bytes += sizeof(Scratch) + s->tags.capacity() * sizeof(uint16_t) +
             (s->pool.capacity() + s->heap.capacity()) * sizeof(Candidate) +
             s->table.capacity() * sizeof(float);
  }
  return bytes;
}

void DiskAnnIndex::DropOwnRows() {
  floats_ = std::vector<float>();
  spilled_.reset();
}

absl::Status DiskAnnIndex::AttachVectors(const ExternalVectors& v) {
  if (v.n != n_ || v.dim != dim_ || (n_ > 0 && v.data == nullptr)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "vectors: expected ", n_, " rows of dim ", dim_, " (got ", v.n,
        " rows of dim ", v.dim, v.data == nullptr ? ", no data" : "", ")"));
  }
  if (v.scale != nullptr && !metric_ip_) {
    return absl::InvalidArgumentError(
        "vectors.scale: only for IP/COSINE indexes (this one is L2)");
  }
  DropOwnRows();
  ext_ = v;
  return absl::OkStatus();
}

absl::Status DiskAnnIndex::SpillVectors(const std::string& dir) {
  if (floats_.empty()) return absl::OkStatus();
  COVE_ASSIGN_OR_RETURN(spilled_,
                        FloatRows::Spill(floats_.data(), n_, dim_, dir));
  floats_ = std::vector<float>();
  return absl::OkStatus();
}

absl::Status DiskAnnIndex::Save(std::string* out) const {
  if (out == nullptr) return absl::InvalidArgumentError("out: null");
  out->clear();
  size_t header = cove::internal::BeginIndexHeader(IndexType::kDiskAnn, out);
  cove::internal::IndexWriter w(out);
  w.Put<uint8_t>(static_cast<uint8_t>(params_.metric));
  w.Put<uint64_t>(dim_);
  w.Put<int32_t>(params_.max_degree);
  w.Put<int32_t>(params_.search_list_size);
  w.Put<double>(params_.pq_code_budget_ratio);
  w.Put<int32_t>(params_.build_threads);
  w.Put<uint64_t>(params_.seed);
  w.Put<uint64_t>(n_);
  w.Put<uint32_t>(medoid_);
  pq_.Save(&w);
  w.PutArray(codes_.data(), codes_.size());
  for (size_t r = 0; r < n_; ++r) {
    const uint32_t* l = graph_.data() + r * stride_;
    w.PutArray(l, 1 + l[0]);
  }
  // The float32 rows are the segment's (attached); an index used alone
  // writes its own after a marker byte.
  if (n_ > 0 && ext_.data == nullptr && Rows() != nullptr) {
    w.Put<uint8_t>(1);
    w.PutArray(Rows(), n_ * dim_);
  }
  cove::internal::FinishIndexHeader(header, out);
  return absl::OkStatus();
}

absl::StatusOr<std::unique_ptr<DiskAnnIndex>> DiskAnnIndex::Load(
    std::string_view payload) {
  cove::internal::IndexReader r(payload);
  IndexParams p;
  p.type = IndexType::kDiskAnn;
  uint8_t metric = 0;
  uint64_t dim = 0;
  uint64_t n = 0;
  uint32_t medoid = 0;
  if (!r.Get(&metric) || !r.Get(&dim) || !r.Get(&p.max_degree) ||
      !r.Get(&p.search_list_size) || !r.Get(&p.pq_code_budget_ratio) ||
      !r.Get(&p.build_threads) || !r.Get(&p.seed) || !r.Get(&n) ||
      !r.Get(&medoid)) {
    return DiskAnnDataLoss("truncated parameters");
  }
  if (metric > static_cast<uint8_t>(Metric::kCosine)) {
    return DiskAnnDataLoss("unknown metric");
  }
  p.metric = static_cast<Metric>(metric);
  p.dim = static_cast<size_t>(dim);
  if (!ValidateParams(p).ok()) return DiskAnnDataLoss("invalid parameters");
  if (n >= std::numeric_limits<uint32_t>::max() / 2 || (n > 0 && medoid >= n)) {
    return DiskAnnDataLoss("inconsistent row count or medoid");
  }
  auto index = std::make_unique<DiskAnnIndex>(p);
  DiskAnnIndex& x = *index;
  ProductQuantizer pq;
  if (!pq.Load(&r, p.dim) || pq.m() != x.pq_.m() || pq.nbits() != 8 ||
      (n > 0 && !pq.trained())) {
    return DiskAnnDataLoss("bad product quantizer");
  }
  x.pq_ = std::move(pq);
  const size_t cs = x.pq_.code_size();
  if (n > r.remaining() / (cs + sizeof(uint32_t))) {
    return DiskAnnDataLoss(
        "row count larger than the codes and links can hold");
  }
  x.codes_.resize(static_cast<size_t>(n) * cs);
  if (!r.GetArray(x.codes_.data(), x.codes_.size())) {
    return DiskAnnDataLoss("truncated codes");
  }
  x.graph_.assign(static_cast<size_t>(n) * x.stride_, 0);
  for (size_t row = 0; row < n; ++row) {
    uint32_t* l = x.graph_.data() + row * x.stride_;
    if (!r.Get(&l[0]) || l[0] > x.degree_ || !r.GetArray(l + 1, l[0])) {
      return DiskAnnDataLoss("bad links");
    }
    for (size_t t = 1; t <= l[0]; ++t) {
      if (l[t] >= n)
        return DiskAnnDataLoss("link to a row that does not exist");
    }
  }
  if (n > 0 && r.remaining() != 0) {
    uint8_t has_floats = 0;
    if (!r.Get(&has_floats) || has_floats != 1 ||
        r.remaining() != n * p.dim * sizeof(float)) {
      return DiskAnnDataLoss("bad float32 rows");
    }
    x.floats_.resize(static_cast<size_t>(n) * p.dim);
    r.GetArray(x.floats_.data(), x.floats_.size());
    for (float f : x.floats_) {
      if (!std::isfinite(f)) return DiskAnnDataLoss("non-finite float32 row");
    }
  }
  if (!r.ok() || r.remaining() != 0) return DiskAnnDataLoss("trailing bytes");
  x.n_ = static_cast<size_t>(n);
  x.medoid_ = medoid;
  return index;
}

}  // namespace cove::engine
