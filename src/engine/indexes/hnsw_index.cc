#include "engine/indexes/hnsw_index.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstring>
#include <limits>
#include <string>
#include <thread>
#include <utility>

#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "common/strings.h"
#include "engine/indexes/index_io.h"
#include "engine/indexes/top_k.h"
#include "engine/kernels/distance.h"
#include "engine/kernels/distance_internal.h"
#include "engine/kernels/half.h"

namespace cove::engine {
namespace {

constexpr int kMaxM = 1024;
// The last payload byte of an index over 16-bit rows (IndexParams::half).
constexpr uint8_t kHalfTagFloat16 = 1;
constexpr uint8_t kHalfTagBFloat16 = 2;

inline void CpuRelax() {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_ia32_pause();
#else
  std::this_thread::yield();
#endif
}

// Prefetches the first `lines` cache lines at p (the hardware prefetcher
// follows on for longer vectors).
inline void PrefetchLines(const void* p, size_t lines) {
  const char* c = static_cast<const char*>(p);
  for (size_t i = 0; i < lines; ++i) __builtin_prefetch(c + 64 * i);
}

size_t PrefetchLinesFor(size_t bytes) {
  return std::min<size_t>((bytes + 63) / 64, 4);
}

// The search "spaces": the distance from the query to a row in the
// representation traversed, and where that representation lives.
using FloatKernel = float (*)(const float*, const float*, size_t);

struct FloatL2Space {
  FloatKernel fn;
  const float* q;
  const float* base;
  size_t d;
  size_t lines;
  float operator()(uint32_t id) const { return fn(q, base + id * d, d); }
  void Prefetch(uint32_t id) const { PrefetchLines(base + id * d, lines); }
};

struct FloatIpSpace {
  FloatKernel fn;
  const float* q;
  const float* base;
  size_t d;
  size_t lines;
  float operator()(uint32_t id) const { return -fn(q, base + id * d, d); }
  void Prefetch(uint32_t id) const { PrefetchLines(base + id * d, lines); }
};

// Attached raw rows with a per-row factor (COSINE segments: 1/|x|).
struct FloatIpScaledSpace {
  FloatKernel fn;
  const float* q;
  const float* base;
  const float* scale;
  size_t d;
  size_t lines;
  float operator()(uint32_t id) const {
    return -fn(q, base + id * d, d) * scale[id];
  }
  void Prefetch(uint32_t id) const {
    PrefetchLines(base + id * d, lines);
    __builtin_prefetch(scale + id);
  }
};

// HNSW_SQ: integer distances from a prepared query (Sq8Query) to the codes
// inside the level-0 blocks; kL2 adds the code norm stored after the code.
template <bool kL2>
struct Sq8Space {
  DotU8I16Fn fn;
  const int16_t* w;
  float factor;
  float bias;
  const uint32_t* blocks;
  size_t stride;     // words per block
  size_t norm_word;  // word offset of the norm in a block
  size_t d;
  size_t lines;
  float operator()(uint32_t id) const {
    const uint32_t* b = blocks + size_t{id} * stride;
    const float dot =
        static_cast<float>(fn(reinterpret_cast<const uint8_t*>(b), w, d));
    if (kL2) {
      float norm;
      std::memcpy(&norm, b + norm_word, sizeof(float));
      return bias + factor * dot + norm;
    }
    return -(bias + factor * dot);
  }
  void Prefetch(uint32_t id) const {
    PrefetchLines(blocks + size_t{id} * stride, lines);
  }
};

struct AcceptAll {
  bool operator()(uint32_t) const { return true; }
};

struct AcceptBits {
  const Bitset* bits;
  size_t limit;  // min(bits->size(), rows)
  bool operator()(uint32_t id) const { return id < limit && bits->Test(id); }
};

uint64_t SplitMix64(uint64_t z) {
  z += 0x9E3779B97F4A7C15ULL;
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
  return z ^ (z >> 31);
}

absl::Status HnswDataLoss(std::string_view what) {
  return absl::DataLossError(
      absl::StrCat("HNSW index bytes: ", cove::internal::Sv(what)));
}

}  // namespace

struct HnswIndex::Scratch {
  std::vector<uint16_t> tags;
  uint16_t gen = 0;
  std::vector<Candidate> cand;  // min-heap on dist (closest at front)
  std::vector<Candidate> top;   // max-heap on dist (farthest at front)
  std::vector<Candidate> result;
  // Insert: the neighbors chosen on each level, linked once all are chosen.
  std::vector<std::vector<Candidate>> chosen;
  std::vector<Candidate> prune;
  std::vector<Candidate> pruned;
  std::vector<uint32_t> links;
  std::vector<Candidate> pool;  // SearchLevel0Pool: sorted, closest first
  std::vector<uint32_t> fresh;  // unvisited neighbors of the expanded row
  Sq8Query query;               // HNSW_SQ: the prepared query

  // A fresh "visited" generation for n rows.
  uint16_t NewGeneration(size_t n) {
    if (tags.size() < n) tags.resize(n, 0);
    if (++gen == 0) {
      std::fill(tags.begin(), tags.end(), 0);
      gen = 1;
    }
    return gen;
  }
};

absl::Status HnswIndex::ValidateParams(const IndexParams& p) {
  if (p.type != IndexType::kHnsw && p.type != IndexType::kHnswSq) {
    return absl::InvalidArgumentError("type: HnswIndex needs kHnsw or kHnswSq");
  }
  if (p.half.has_value() && p.type != IndexType::kHnsw) {
    return absl::InvalidArgumentError(
        "type: 16-bit rows (IndexParams::half) take HNSW, not HNSW_SQ");
  }
  if (p.dim == 0 || p.dim > kMaxIndexDim) {
    return absl::InvalidArgumentError(absl::StrCat(
        "dim: must be in [1, ", kMaxIndexDim, "] (got ", p.dim, ")"));
  }
  if (p.m < 2 || p.m > kMaxM) {
    return absl::InvalidArgumentError(
        absl::StrCat("m: must be in [2, ", kMaxM, "] (got ", p.m, ")"));
  }
  if (p.ef_construction < 1) {
    return absl::InvalidArgumentError(absl::StrCat(
        "ef_construction: must be >= 1 (got ", p.ef_construction, ")"));
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

HnswIndex::HnswIndex(const IndexParams& params)
    : params_(params),
      dim_(params.dim),
      quantized_(params.type == IndexType::kHnswSq),
      metric_ip_(params.metric != Metric::kL2),
      max_m_(static_cast<size_t>(params.m)),
      max_m0_(2 * static_cast<size_t>(params.m)),
      code_words_(params.type == IndexType::kHnswSq ? (params.dim + 3) / 4 : 0),
      links_off_(params.type == IndexType::kHnswSq ? code_words_ + 1 : 0),
      stride0_(params.type == IndexType::kHnswSq
                   ? (links_off_ + 1 + max_m0_ + 15) / 16 * 16
                   : 1 + max_m0_),
      level_mult_(1.0 / std::log(static_cast<double>(std::max(params.m, 2)))),
      sq_(params.dim) {
  RefreshKernels();
}

HnswIndex::~HnswIndex() = default;

float HnswIndex::Dist(const float* a, const float* b) const {
  return metric_ip_ ? -ip_fn_(a, b, dim_) : l2_fn_(a, b, dim_);
}

void HnswIndex::RefreshKernels() {
  // Resolved once per Build/Add/Search rather than per distance.
  const cove::internal::DistanceKernels& k =
      cove::internal::ActiveDistanceKernels();
  l2_fn_ = k.l2sqr;
  ip_fn_ = k.inner_product;
  if (params_.half.has_value()) {
    // 16-bit rows packed two per float slot (dim_ slots).
    l2_fn_ = HalfSlotL2SqrFunction(*params_.half);
    ip_fn_ = HalfSlotInnerProductFunction(*params_.half);
  }
}

uint32_t* HnswIndex::Links(uint32_t id, int level) {
  if (level == 0) return Links0(id);
  return upper_.data() +
         (size_t{upper_block_[id]} + static_cast<size_t>(level - 1)) *
             (1 + max_m_);
}

const uint32_t* HnswIndex::Links(uint32_t id, int level) const {
  if (level == 0) return Links0(id);
  return upper_.data() +
         (size_t{upper_block_[id]} + static_cast<size_t>(level - 1)) *
             (1 + max_m_);
}

int HnswIndex::DrawLevel(size_t row) const {
  // A hash of (seed, row) rather than a stateful generator: levels do not
  // depend on thread scheduling or on how rows were batched into Add() calls.
  uint64_t z = SplitMix64(params_.seed ^ SplitMix64(row));
  double u = (static_cast<double>(z >> 11) + 1.0) * 0x1.0p-53;  // (0, 1]
  double level = -std::log(u) * level_mult_;
  return level >= kMaxLevel ? kMaxLevel : static_cast<int>(level);
}

void HnswIndex::Lock(uint32_t id) const {
  if (!locks_) return;
  std::atomic<uint8_t>& l = locks_[id];
  while (l.exchange(1, std::memory_order_acquire) != 0) {
    while (l.load(std::memory_order_relaxed) != 0) CpuRelax();
  }
}

void HnswIndex::Unlock(uint32_t id) const {
  if (!locks_) return;
  locks_[id].store(0, std::memory_order_release);
}

std::unique_ptr<HnswIndex::Scratch> HnswIndex::AcquireScratch() const {
  {
    std::lock_guard<std::mutex> lock(pool_mu_);
    if (!pool_.empty()) {
      std::unique_ptr<Scratch> s = std::move(pool_.back());
      pool_.pop_back();
      return s;
    }
  }
  return std::make_unique<Scratch>();
}

void HnswIndex::ReleaseScratch(std::unique_ptr<Scratch> s) const {
  std::lock_guard<std::mutex> lock(pool_mu_);
  pool_.push_back(std::move(s));
}

// ---------------------------------------------------------------------------
// Construction

absl::Status HnswIndex::Build(const float* data, size_t n) {
  if (n > 0 && data == nullptr) {
    return absl::InvalidArgumentError("data: null with n > 0");
  }
  if (n >= std::numeric_limits<uint32_t>::max()) {
    return absl::InvalidArgumentError(
        absl::StrCat("n: too many rows for one index (got ", n, ")"));
  }
  spilled_.reset();
  mapped_ = nullptr;
  ext_ = ExternalVectors();
  n_ = 0;
  max_level_ = -1;
  entry_ = 0;
  // Exact reservations: MemoryBytes() reports capacities.
  vectors_ = decltype(vectors_)();
  vectors_.reserve(n * dim_);
  level0_ = decltype(level0_)();
  level0_.reserve(n * stride0_);
  levels_ = std::vector<uint8_t>();
  levels_.reserve(n);
  upper_block_ = std::vector<uint32_t>();
  upper_block_.reserve(n);
  upper_ = std::vector<uint32_t>();
  sq_ = Sq8Quantizer(dim_);
  {
    std::lock_guard<std::mutex> lock(pool_mu_);
    pool_.clear();
  }
  if (quantized_) sq_.Train(data, n);
  AppendRows(data, n);
  InsertRows(0, n, params_.build_threads);
  const bool cancelled = params_.cancelled();
  params_.cancel = nullptr;  // the flag's owner may go away before the index
  if (cancelled) return absl::CancelledError("HNSW build: cancelled");
  return absl::OkStatus();
}

absl::Status HnswIndex::Add(const float* data, size_t n) {
  if (n == 0) return absl::OkStatus();
  if (params_.half.has_value() && ext_.scale != nullptr) {
    // Taking scaled rows back would multiply 16-bit patterns as floats.
    return absl::FailedPreconditionError(
        "add: an HNSW index over scaled 16-bit rows takes no more rows");
  }
  if (data == nullptr) {
    return absl::InvalidArgumentError("data: null with n > 0");
  }
  if (n >= std::numeric_limits<uint32_t>::max() - n_) {
    return absl::InvalidArgumentError(absl::StrCat(
        "n: too many rows for one index (have ", n_, ", adding ", n, ")"));
  }
  if (quantized_ && !sq_.trained()) sq_.Train(data, n);
  UnspillVectors();
  DetachVectors();
  size_t begin = n_;
  AppendRows(data, n);
  InsertRows(begin, n_, params_.build_threads);
  return absl::OkStatus();
}

void HnswIndex::AppendRows(const float* data, size_t n) {
  size_t old = n_;
  vectors_.insert(vectors_.end(), data, data + n * dim_);
  level0_.resize((old + n) * stride0_, 0);
  if (quantized_) {
    for (size_t r = old; r < old + n; ++r) {
      const uint32_t id = static_cast<uint32_t>(r);
      sq_.Encode(data + (r - old) * dim_, Code(id));
      SetCodeNorm(id, sq_.CodeNorm(Code(id)));
    }
  }
  levels_.resize(old + n);
  upper_block_.resize(old + n, 0);
  size_t upper_blocks = 0;
  for (size_t r = old; r < old + n; ++r) {
    int level = DrawLevel(r);
    levels_[r] = static_cast<uint8_t>(level);
    upper_blocks += static_cast<size_t>(level);
  }
  upper_.reserve(upper_.size() + upper_blocks * (1 + max_m_));
  for (size_t r = old; r < old + n; ++r) {
    if (levels_[r] == 0) continue;
    upper_block_[r] = static_cast<uint32_t>(upper_.size() / (1 + max_m_));
    upper_.resize(upper_.size() + levels_[r] * (1 + max_m_), 0);
  }
  n_ = old + n;
}

void HnswIndex::InsertRows(size_t begin, size_t end, int threads) {
  if (begin >= end) return;
  RefreshKernels();
  std::unique_ptr<Scratch> s = AcquireScratch();
  if (max_level_ < 0) Insert(static_cast<uint32_t>(begin++), s.get());
  size_t nt = threads > 0 ? static_cast<size_t>(threads)
                          : std::max(1u, std::thread::hardware_concurrency());
  nt = std::min(nt, end - begin);
  if (nt <= 1) {
    for (size_t i = begin; i < end && !params_.cancelled(); ++i) {
      Insert(static_cast<uint32_t>(i), s.get());
    }
    ReleaseScratch(std::move(s));
    return;
  }
  locks_.reset(new std::atomic<uint8_t>[n_]());
  std::atomic<size_t> next{begin};
  auto work = [&](Scratch* scratch) {
    for (;;) {
      size_t i = next.fetch_add(1, std::memory_order_relaxed);
      if (i >= end || params_.cancelled()) break;
      Insert(static_cast<uint32_t>(i), scratch);
    }
  };
  std::vector<std::unique_ptr<Scratch>> scratches;
  std::vector<std::thread> workers;
  for (size_t t = 1; t < nt; ++t) {
    scratches.push_back(std::make_unique<Scratch>());
    workers.emplace_back(work, scratches.back().get());
  }
  work(s.get());
  for (std::thread& w : workers) w.join();
  locks_.reset();
  ReleaseScratch(std::move(s));
  for (auto& sc : scratches) ReleaseScratch(std::move(sc));
}

void HnswIndex::Insert(uint32_t node, Scratch* s) {
  const int level = levels_[node];
  std::unique_lock<std::mutex> entry_lock(entry_mu_);
  const int max_level = max_level_;
  const uint32_t ep = entry_;
  if (max_level < 0) {
    entry_ = node;
    max_level_ = level;
    return;
  }
  // A node that raises the top level keeps the entry lock until it is
  // linked, so no one starts from a level it has no links on yet.
  if (level <= max_level) entry_lock.unlock();

  const float* q = vector(node);
  uint32_t cur = ep;
  float cur_dist = Dist(q, vector(cur));
  for (int l = max_level; l > level; --l) {
    bool changed = true;
    while (changed) {
      changed = false;
      Lock(cur);
      const uint32_t* ll = Links(cur, l);
      s->links.assign(ll + 1, ll + 1 + ll[0]);
      Unlock(cur);
      for (uint32_t nb : s->links) {
        float d = Dist(q, vector(nb));
        if (d < cur_dist) {
          cur_dist = d;
          cur = nb;
          changed = true;
        }
      }
    }
  }
  const size_t ef =
      std::max(static_cast<size_t>(params_.ef_construction), max_m_);
  // Neighbors are chosen top-down but linked bottom-up: a row becomes
  // reachable on a level only once its links on every lower level exist.
  // Linked top-down, another builder could descend through the row onto a
  // level where it has no links yet, take it as its only neighbor there, and
  // lose the reverse link when the row's own links are written: that
  // builder's row would be unreachable.
  const int top_level = std::min(level, max_level);
  if (s->chosen.size() < static_cast<size_t>(top_level) + 1) {
    s->chosen.resize(static_cast<size_t>(top_level) + 1);
  }
  for (int l = top_level; l >= 0; --l) {
    SearchLayerForInsert(node, cur, cur_dist, l, ef, s);
    cur = s->result.front().id;
    cur_dist = s->result.front().dist;
    SelectNeighbors(s->result, max_m_, &s->chosen[static_cast<size_t>(l)]);
  }
  for (int l = 0; l <= top_level; ++l) {
    Connect(node, l, s->chosen[static_cast<size_t>(l)], s);
  }
  if (level > max_level) {
    entry_ = node;
    max_level_ = level;
  }
}

void HnswIndex::SearchLayerForInsert(uint32_t node, uint32_t ep, float ep_dist,
                                     int level, size_t ef, Scratch* s) const {
  const float* q = vector(node);
  uint16_t gen = s->NewGeneration(n_);
  uint16_t* tags = s->tags.data();
  std::vector<Candidate>& cand = s->cand;
  std::vector<Candidate>& top = s->top;
  cand.clear();
  top.clear();
  tags[node] = gen;  // never link a row to itself
  tags[ep] = gen;
  cand.push_back({ep_dist, ep});
  top.push_back({ep_dist, ep});
  const size_t lines = PrefetchLinesFor(dim_ * sizeof(float));
  while (!cand.empty()) {
    Candidate c = cand.front();
    if (c.dist > top.front().dist && top.size() >= ef) break;
    std::pop_heap(cand.begin(), cand.end(), CloserOnTop());
    cand.pop_back();
    Lock(c.id);
    const uint32_t* ll = Links(c.id, level);
    s->links.assign(ll + 1, ll + 1 + ll[0]);
    Unlock(c.id);
    const size_t cnt = s->links.size();
    for (size_t j = 0; j < cnt; ++j) {
      if (j + 1 < cnt) PrefetchLines(vector(s->links[j + 1]), lines);
      uint32_t id = s->links[j];
      if (tags[id] == gen) continue;
      tags[id] = gen;
      float d = Dist(q, vector(id));
      if (top.size() < ef || d < top.front().dist) {
        cand.push_back({d, id});
        std::push_heap(cand.begin(), cand.end(), CloserOnTop());
        top.push_back({d, id});
        std::push_heap(top.begin(), top.end(), FartherOnTop());
        if (top.size() > ef) {
          std::pop_heap(top.begin(), top.end(), FartherOnTop());
          top.pop_back();
        }
      }
    }
  }
  s->result.assign(top.begin(), top.end());
  std::sort(s->result.begin(), s->result.end(), ByDistThenId());
}

void HnswIndex::SelectNeighbors(const std::vector<Candidate>& sorted,
                                size_t max_count,
                                std::vector<Candidate>* out) const {
  out->clear();
  if (sorted.size() <= max_count) {
    out->assign(sorted.begin(), sorted.end());
    return;
  }
  for (const Candidate& c : sorted) {
    if (out->size() >= max_count) break;
    bool keep = true;
    for (const Candidate& r : *out) {
      // c is better reached through r than directly from the base.
      if (DistRows(c.id, r.id) < c.dist) {
        keep = false;
        break;
      }
    }
    if (keep) out->push_back(c);
  }
}

void HnswIndex::Connect(uint32_t node, int level,
                        const std::vector<Candidate>& selected, Scratch* s) {
  Lock(node);
  uint32_t* own = Links(node, level);
  own[0] = static_cast<uint32_t>(selected.size());
  for (size_t j = 0; j < selected.size(); ++j) own[1 + j] = selected[j].id;
  Unlock(node);

  const size_t max_links = MaxLinks(level);
  for (const Candidate& sel : selected) {
    const uint32_t nb = sel.id;
    Lock(nb);
    uint32_t* ll = Links(nb, level);
    const size_t cnt = ll[0];
    bool present = false;
    for (size_t j = 1; j <= cnt; ++j) present |= (ll[j] == node);
    if (!present) {
      if (cnt < max_links) {
        ll[1 + cnt] = node;
        ll[0] = static_cast<uint32_t>(cnt + 1);
      } else {
        // Full: keep the best diversified subset of the old links plus node.
        s->prune.clear();
        s->prune.push_back({sel.dist, node});
        for (size_t j = 1; j <= cnt; ++j) {
          s->prune.push_back({DistRows(nb, ll[j]), ll[j]});
        }
        std::sort(s->prune.begin(), s->prune.end(), ByDistThenId());
        SelectNeighbors(s->prune, max_links, &s->pruned);
        ll[0] = static_cast<uint32_t>(s->pruned.size());
        for (size_t j = 0; j < s->pruned.size(); ++j) {
          ll[1 + j] = s->pruned[j].id;
        }
      }
    }
    Unlock(nb);
  }
}

// ---------------------------------------------------------------------------
// Search

template <typename Space>
uint32_t HnswIndex::GreedyUpper(const Space& space) const {
  uint32_t cur = entry_;
  float cur_dist = space(cur);
  for (int l = max_level_; l > 0; --l) {
    bool changed = true;
    while (changed) {
      changed = false;
      const uint32_t* ll = Links(cur, l);
      const uint32_t cnt = ll[0];
      // Every neighbor is read: start fetching all of them at once.
      for (uint32_t j = 1; j <= cnt; ++j) space.Prefetch(ll[j]);
      for (uint32_t j = 1; j <= cnt; ++j) {
        float d = space(ll[j]);
        if (d < cur_dist) {
          cur_dist = d;
          cur = ll[j];
          changed = true;
        }
      }
    }
  }
  return cur;
}

template <typename Space, typename Accept>
void HnswIndex::SearchLevel0(const Space& space, uint32_t ep, size_t ef,
                             const Accept& accept, Scratch* s) const {
  const uint16_t gen = s->NewGeneration(n_);
  uint16_t* tags = s->tags.data();
  std::vector<Candidate>& cand = s->cand;
  std::vector<Candidate>& top = s->top;
  cand.clear();
  top.clear();
  float d0 = space(ep);
  tags[ep] = gen;
  cand.push_back({d0, ep});
  if (accept(ep)) top.push_back({d0, ep});
  // The ef-th best accepted distance so far (infinite until there are ef).
  float worst = top.size() >= ef ? top.front().dist : kInf;
  while (!cand.empty()) {
    const Candidate c = cand.front();
    if (c.dist > worst) break;
    std::pop_heap(cand.begin(), cand.end(), CloserOnTop());
    cand.pop_back();
    const uint32_t* ll = Links0(c.id);
    const uint32_t cnt = ll[0];
    if (cnt > 0) {
      __builtin_prefetch(tags + ll[1]);
      space.Prefetch(ll[1]);
    }
    for (uint32_t j = 1; j <= cnt; ++j) {
      const uint32_t id = ll[j];
      if (j < cnt) {
        __builtin_prefetch(tags + ll[j + 1]);
        space.Prefetch(ll[j + 1]);
      }
      if (tags[id] == gen) continue;
      tags[id] = gen;
      const float d = space(id);
      if (d < worst) {
        cand.push_back({d, id});
        std::push_heap(cand.begin(), cand.end(), CloserOnTop());
        __builtin_prefetch(Links0(cand.front().id));
        if (accept(id)) {
          top.push_back({d, id});
          std::push_heap(top.begin(), top.end(), FartherOnTop());
          if (top.size() > ef) {
            std::pop_heap(top.begin(), top.end(), FartherOnTop());
            top.pop_back();
          }
          if (top.size() >= ef) worst = top.front().dist;
        }
      }
    }
  }
}

template <typename Space>
void HnswIndex::SearchLevel0Pool(const Space& space, uint32_t ep, size_t ef,
                                 Scratch* s) const {
  const uint16_t gen = s->NewGeneration(n_);
  uint16_t* tags = s->tags.data();
  if (s->pool.size() < ef + 1) s->pool.resize(ef + 1);
  if (s->fresh.size() < max_m0_) s->fresh.resize(max_m0_);
  Candidate* pool = s->pool.data();
  uint32_t* fresh = s->fresh.data();
  size_t size = 1;
  size_t cur = 0;
  pool[0] = {space(ep), ep};
  tags[ep] = gen;
  const size_t ahead = kPrefetchAhead;
  while (cur < size) {
    const uint32_t c = pool[cur].id;
    pool[cur].id = c | kExpanded;
    // The next candidate in line (unless an insertion overtakes it): start
    // fetching its links now.
    for (size_t j = cur + 1; j < size; ++j) {
      if ((pool[j].id & kExpanded) == 0) {
        __builtin_prefetch(Links0(pool[j].id));
        break;
      }
    }
    const uint32_t* ll = Links0(c);
    const uint32_t cnt = ll[0];
    size_t m = 0;
    for (uint32_t j = 1; j <= cnt; ++j) __builtin_prefetch(tags + ll[j]);
    for (uint32_t j = 1; j <= cnt; ++j) {
      const uint32_t id = ll[j];
      if (tags[id] == gen) continue;
      tags[id] = gen;
      fresh[m++] = id;
    }
    for (size_t j = 0; j < m && j < ahead; ++j) space.Prefetch(fresh[j]);
    size_t lowest = size;
    for (size_t j = 0; j < m; ++j) {
      if (j + ahead < m) space.Prefetch(fresh[j + ahead]);
      const float d = space(fresh[j]);
      if (size == ef && !(d < pool[size - 1].dist)) continue;
      // First position whose distance is larger than d (branch-free).
      size_t lo = 0;
      size_t len = size;
      while (len > 1) {
        const size_t half = len / 2;
        lo = pool[lo + half - 1].dist <= d ? lo + half : lo;
        len -= half;
      }
      if (len == 1 && pool[lo].dist <= d) ++lo;
      const size_t moved = size < ef ? size - lo : size - 1 - lo;
      std::memmove(pool + lo + 1, pool + lo, moved * sizeof(Candidate));
      pool[lo] = {d, fresh[j]};
      if (size < ef) ++size;
      if (lo < lowest) lowest = lo;
    }
    cur = std::min(cur + 1, lowest);
    while (cur < size && (pool[cur].id & kExpanded) != 0) ++cur;
  }
  std::vector<Candidate>& top = s->top;
  top.resize(size);
  for (size_t i = 0; i < size; ++i) {
    top[i] = {pool[i].dist, pool[i].id & ~kExpanded};
  }
}

template <typename Space>
void HnswIndex::GraphSearch(const Space& space, size_t ef,
                            const Bitset* allowed, Scratch* s) const {
  uint32_t ep = GreedyUpper(space);
  if (allowed == nullptr && n_ < kExpanded) {
    SearchLevel0Pool(space, ep, ef, s);
  } else if (allowed == nullptr) {
    SearchLevel0(space, ep, ef, AcceptAll(), s);
  } else {
    SearchLevel0(space, ep, ef,
                 AcceptBits{allowed, std::min(allowed->size(), n_)}, s);
  }
}

std::vector<Neighbor> HnswIndex::ExactSearch(const float* query, size_t k,
                                             const Bitset* allowed, float lo,
                                             float hi) const {
  const std::vector<Candidate> heap = ExactNearest<Candidate>(
      n_, allowed, k, lo, hi,
      [&](uint32_t row) { return RowDist(query, row); });
  std::vector<Neighbor> out;
  out.reserve(heap.size());
  for (const Candidate& c : heap) out.push_back({c.id, ToScore(c.dist)});
  return out;
}

std::vector<Neighbor> HnswIndex::Search(const float* query,
                                        const IndexSearchParams& sp) const {
  const size_t k = sp.k;
  if (k == 0 || n_ == 0 || query == nullptr) return {};
  size_t ef = sp.ef > 0 ? static_cast<size_t>(sp.ef) : std::max<size_t>(k, 64);
  ef = std::max(ef, k);

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
                   kExactFraction * static_cast<double>(n_) ||
               allowed_count <= kExactMinRowsPerEf * ef) {
      return ExactSearch(query, k, allowed, lo, hi);
    }
  }

  const cove::internal::DistanceKernels& kern =
      cove::internal::ActiveDistanceKernels();
  std::unique_ptr<Scratch> s = AcquireScratch();
  if (quantized_) {
    // Code, norm: the lines a distance reads from a block.
    const size_t lines = PrefetchLinesFor(code_words_ * 4 + 4);
    sq_.PrepareQuery(params_.metric, query, &s->query);
    const Sq8Query& pq = s->query;
    if (metric_ip_) {
      GraphSearch(
          Sq8Space<false>{kern.dot_u8_i16, pq.w.data(), pq.factor, pq.bias,
                          level0_.data(), stride0_, code_words_, dim_, lines},
          ef, allowed, s.get());
    } else {
      GraphSearch(
          Sq8Space<true>{kern.dot_u8_i16, pq.w.data(), pq.factor, pq.bias,
                         level0_.data(), stride0_, code_words_, dim_, lines},
          ef, allowed, s.get());
    }
    // Re-rank the best candidates of the walk on float32 vectors (all ef of
    // them for range searches, whose fallback rule looks at the whole pool).
    std::vector<Candidate>& pool = s->top;
    size_t rerank = sp.rerank > 0 ? static_cast<size_t>(sp.rerank)
                                  : std::max(kRerankPerK * k, kRerankMin);
    rerank = std::max(rerank, k);
    if (!ranged && rerank < pool.size()) {
      std::partial_sort(pool.begin(), pool.begin() + rerank, pool.end(),
                        ByDistThenId());
      pool.resize(rerank);
    }
    const size_t flines = PrefetchLinesFor(dim_ * sizeof(float));
    for (const Candidate& c : pool) PrefetchLines(vector(c.id), flines);
    for (Candidate& c : pool) c.dist = RowDist(query, c.id);
  } else {
    const size_t lines = PrefetchLinesFor(dim_ * sizeof(float));
    DistanceFn ipf = kern.inner_product;
    DistanceFn l2f = kern.l2sqr;
    if (params_.half.has_value()) {
      ipf = HalfSlotInnerProductFunction(*params_.half);
      l2f = HalfSlotL2SqrFunction(*params_.half);
    }
    if (ext_.scale != nullptr) {
      GraphSearch(
          FloatIpScaledSpace{ipf, query, vector(0), ext_.scale, dim_, lines},
          ef, allowed, s.get());
    } else if (metric_ip_) {
      GraphSearch(FloatIpSpace{ipf, query, vector(0), dim_, lines}, ef, allowed,
                  s.get());
    } else {
      GraphSearch(FloatL2Space{l2f, query, vector(0), dim_, lines}, ef, allowed,
                  s.get());
    }
  }
  std::vector<Candidate>& pool = s->top;
  std::sort(pool.begin(), pool.end(), ByDistThenId());
  std::vector<Neighbor> out;
  out.reserve(std::min(k, pool.size()));
  for (const Candidate& c : pool) {
    if (out.size() >= k) break;
    if (c.dist >= lo && c.dist < hi) out.push_back({c.id, ToScore(c.dist)});
  }
  bool exact = false;
  if (out.size() < std::min(k, allowed_count)) {
    if (!ranged) {
      // The walk found fewer than k allowed rows although there are more.
      exact = true;
    } else {
      // Inside the range there may be rows beyond what the walk reached.
      exact = pool.size() < std::min(ef, allowed_count) || pool.empty() ||
              pool.back().dist < hi;
    }
  }
  ReleaseScratch(std::move(s));
  if (exact) return ExactSearch(query, k, allowed, lo, hi);
  return out;
}

// ---------------------------------------------------------------------------
// Float vectors out of memory (HNSW_SQ)

absl::Status HnswIndex::SpillVectors(const std::string& dir) {
  if (!quantized_) {
    return absl::FailedPreconditionError(
        "SpillVectors: only HNSW_SQ can keep its float32 vectors on disk "
        "(HNSW traverses them)");
  }
  if (dir.empty()) return absl::InvalidArgumentError("dir: empty");
  if (mapped_ != nullptr || ext_.data != nullptr || n_ == 0) {
    return absl::OkStatus();
  }
  COVE_ASSIGN_OR_RETURN(auto rows,
                        FloatRows::Spill(vectors_.data(), n_, dim_, dir));
  spilled_ = std::move(rows);
  mapped_ = spilled_->data();
  vectors_ = decltype(vectors_)();
  return absl::OkStatus();
}

absl::Status HnswIndex::AttachVectors(const ExternalVectors& v) {
  if (v.n != n_ || v.dim != dim_ || (n_ > 0 && v.data == nullptr)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "vectors: expected ", n_, " rows of dim ", dim_, " (got ", v.n,
        " rows of dim ", v.dim, v.data == nullptr ? ", no data" : "", ")"));
  }
  if (v.scale != nullptr && !metric_ip_) {
    return absl::InvalidArgumentError(
        "vectors.scale: only for IP/COSINE indexes (this one is L2)");
  }
  spilled_.reset();
  mapped_ = nullptr;
  vectors_ = decltype(vectors_)();
  ext_ = v;
  return absl::OkStatus();
}

void HnswIndex::DetachVectors() {
  if (ext_.data == nullptr) return;
  vectors_ = decltype(vectors_)();
  vectors_.reserve(n_ * dim_);
  vectors_.insert(vectors_.end(), ext_.data, ext_.data + n_ * dim_);
  if (ext_.scale != nullptr) {
    for (size_t r = 0; r < n_; ++r) {
      for (size_t i = 0; i < dim_; ++i) vectors_[r * dim_ + i] *= ext_.scale[r];
    }
  }
  ext_ = ExternalVectors();
}

void HnswIndex::UnspillVectors() {
  if (mapped_ == nullptr) return;
  vectors_ = decltype(vectors_)();
  vectors_.reserve(n_ * dim_);
  vectors_.insert(vectors_.end(), mapped_, mapped_ + n_ * dim_);
  spilled_.reset();
  mapped_ = nullptr;
}

// ---------------------------------------------------------------------------
// Memory and serialization

HnswIndex::MemoryBreakdown HnswIndex::Memory() const {
  MemoryBreakdown m;
  m.floats = vectors_.capacity() * sizeof(float);
  m.floats_on_disk = spilled_ != nullptr ? spilled_->mapped_bytes() : 0;
  m.floats_attached = ext_.data != nullptr ? n_ * dim_ * sizeof(float) : 0;
  // HNSW_SQ codes and norms share the level-0 blocks with the links.
  const size_t code_bytes =
      quantized_ ? n_ * (code_words_ + 1) * sizeof(uint32_t) : 0;
  m.codes = code_bytes + (quantized_ ? sq_.MemoryBytes() : 0);
  m.graph = level0_.capacity() * sizeof(uint32_t) - code_bytes +
            levels_.capacity() + upper_block_.capacity() * sizeof(uint32_t) +
            upper_.capacity() * sizeof(uint32_t);
  std::lock_guard<std::mutex> lock(pool_mu_);
  for (const auto& s : pool_) {
    for (const auto& c : s->chosen) {
      m.scratch += sizeof(c) + c.capacity() * sizeof(Candidate);
    }
    m.scratch +=
        sizeof(Scratch) + s->tags.capacity() * sizeof(uint16_t) +
        (s->cand.capacity() + s->top.capacity() + s->result.capacity() +
         s->prune.capacity() + s->pruned.capacity()) *
            sizeof(Candidate) +
        s->links.capacity() * sizeof(uint32_t);
  }
  return m;
}

size_t HnswIndex::MemoryBytes() const {
  MemoryBreakdown m = Memory();
  return sizeof(*this) + m.floats + m.codes + m.graph + m.scratch;
}

absl::Status HnswIndex::Save(std::string* out) const {
  if (out == nullptr) return absl::InvalidArgumentError("out: null");
  out->clear();
  out->reserve(cove::internal::kIndexHeaderSize + 64 + n_ +
               n_ * (1 + max_m0_) * 4 + upper_block_.size() * 4 +
               upper_.size() * 4 + n_ * dim_ * 4 +
               (quantized_ ? n_ * dim_ : 0) + dim_ * 8);
  size_t header = cove::internal::BeginIndexHeader(params_.type, out);
  cove::internal::IndexWriter w(out);
  w.Put<uint8_t>(static_cast<uint8_t>(params_.metric));
  w.Put<uint64_t>(dim_);
  w.Put<int32_t>(params_.m);
  w.Put<int32_t>(params_.ef_construction);
  w.Put<int32_t>(params_.build_threads);
  w.Put<uint64_t>(params_.seed);
  w.Put<uint64_t>(n_);
  w.Put<int32_t>(max_level_);
  w.Put<uint32_t>(entry_);
  w.PutArray(levels_.data(), n_);
  // The payload keeps links and codes apart (the format does not depend on
  // the in-memory block layout).
  for (size_t i = 0; i < n_; ++i) {
    w.PutArray(Links0(static_cast<uint32_t>(i)), 1 + max_m0_);
  }
  w.PutArray(upper_block_.data(), n_);
  w.PutVector(upper_);
  if (n_ > 0 && ext_.scale != nullptr && params_.half.has_value()) {
    // 16-bit rows: scaled and rounded back to their type, as the build saw
    // them (Collection::BuildSegmentIndex).
    const HalfType t = *params_.half;
    std::vector<float> row(dim_);
    auto* h = reinterpret_cast<uint16_t*>(row.data());
    for (size_t r = 0; r < n_; ++r) {
      const auto* x =
          reinterpret_cast<const uint16_t*>(vector(static_cast<uint32_t>(r)));
      for (size_t i = 0; i < 2 * dim_; ++i) {
        h[i] = FloatToHalf(t, HalfToFloat(t, x[i]) * ext_.scale[r]);
      }
      w.PutArray(row.data(), dim_);
    }
  } else if (n_ > 0 && ext_.scale != nullptr) {
    // The format holds the vectors the index works on: scaled.
    std::vector<float> row(dim_);
    for (size_t r = 0; r < n_; ++r) {
      const float* x = vector(static_cast<uint32_t>(r));
      for (size_t i = 0; i < dim_; ++i) row[i] = x[i] * ext_.scale[r];
      w.PutArray(row.data(), dim_);
    }
  } else if (n_ > 0) {
    w.PutArray(vector(0), n_ * dim_);
  }
  if (quantized_) {
    sq_.Save(&w);
    for (size_t i = 0; i < n_; ++i) {
      w.PutArray(Code(static_cast<uint32_t>(i)), dim_);
    }
  }
  if (params_.half.has_value()) {
    // 16-bit rows packed two per slot: a last byte names their type
    // (indexes over float32 rows end before it, as they always did).
    w.Put<uint8_t>(*params_.half == HalfType::kFloat16 ? kHalfTagFloat16
                                                       : kHalfTagBFloat16);
  }
  cove::internal::FinishIndexHeader(header, out);
  return absl::OkStatus();
}

absl::StatusOr<std::unique_ptr<HnswIndex>> HnswIndex::Load(
    IndexType type, std::string_view payload) {
  cove::internal::IndexReader r(payload);
  IndexParams p;
  p.type = type;
  uint8_t metric = 0;
  uint64_t dim = 0;
  uint64_t n = 0;
  int32_t max_level = 0;
  uint32_t entry = 0;
  if (!r.Get(&metric) || !r.Get(&dim) || !r.Get(&p.m) ||
      !r.Get(&p.ef_construction) || !r.Get(&p.build_threads) ||
      !r.Get(&p.seed) || !r.Get(&n) || !r.Get(&max_level) || !r.Get(&entry)) {
    return HnswDataLoss("truncated parameters");
  }
  if (metric > static_cast<uint8_t>(Metric::kCosine)) {
    return HnswDataLoss("unknown metric");
  }
  p.metric = static_cast<Metric>(metric);
  p.dim = static_cast<size_t>(dim);
  if (!ValidateParams(p).ok()) return HnswDataLoss("invalid parameters");
  // Every row takes at least its vector's bytes, which bounds n.
  if (n >= std::numeric_limits<uint32_t>::max() ||
      n > r.remaining() / (dim * sizeof(float))) {
    return HnswDataLoss("row count larger than the payload");
  }
  auto index = std::make_unique<HnswIndex>(p);
  HnswIndex& x = *index;
  const size_t rows = static_cast<size_t>(n);
  x.levels_.resize(rows);
  x.level0_.resize(rows * x.stride0_);
  x.upper_block_.resize(rows);
  std::vector<uint32_t> links(rows * (1 + x.max_m0_));
  if (!r.GetArray(x.levels_.data(), rows) ||
      !r.GetArray(links.data(), links.size()) ||
      !r.GetArray(x.upper_block_.data(), rows) || !r.GetVector(&x.upper_)) {
    return HnswDataLoss("truncated graph");
  }
  for (size_t i = 0; i < rows; ++i) {
    std::copy_n(links.data() + i * (1 + x.max_m0_), 1 + x.max_m0_,
                x.Links0(static_cast<uint32_t>(i)));
  }
  links = std::vector<uint32_t>();
  x.vectors_.resize(rows * p.dim);
  if (!r.GetArray(x.vectors_.data(), x.vectors_.size())) {
    return HnswDataLoss("truncated vectors");
  }
  if (x.quantized_) {
    if (!x.sq_.Load(&r, p.dim) || (rows > 0 && !x.sq_.trained())) {
      return HnswDataLoss("bad quantizer");
    }
    std::vector<uint8_t> codes(rows * p.dim);
    if (!r.GetArray(codes.data(), codes.size())) {
      return HnswDataLoss("truncated codes");
    }
    for (size_t i = 0; i < rows; ++i) {
      const uint32_t id = static_cast<uint32_t>(i);
      std::copy_n(codes.data() + i * p.dim, p.dim, x.Code(id));
      x.SetCodeNorm(id, x.sq_.CodeNorm(x.Code(id)));
    }
  }
  if (!x.quantized_ && r.remaining() == 1) {
    uint8_t tag = 0;
    r.Get(&tag);
    if (tag != kHalfTagFloat16 && tag != kHalfTagBFloat16) {
      return HnswDataLoss("unknown 16-bit row type");
    }
    x.params_.half =
        tag == kHalfTagFloat16 ? HalfType::kFloat16 : HalfType::kBFloat16;
    x.RefreshKernels();
  }
  if (r.remaining() != 0) return HnswDataLoss("trailing bytes");

  // Structure: every link must point at a row that exists on that level, and
  // the entry point must sit on the top level.
  const size_t block = 1 + x.max_m_;
  if (x.upper_.size() % block != 0) return HnswDataLoss("bad upper-level size");
  const size_t upper_blocks = x.upper_.size() / block;
  int top = -1;
  for (size_t i = 0; i < rows; ++i) {
    int level = x.levels_[i];
    if (level > kMaxLevel) return HnswDataLoss("level out of range");
    top = std::max(top, level);
    if (level > 0 &&
        (x.upper_block_[i] > upper_blocks ||
         static_cast<size_t>(level) > upper_blocks - x.upper_block_[i])) {
      return HnswDataLoss("upper-level links out of range");
    }
    for (int l = 0; l <= level; ++l) {
      const uint32_t* ll = x.Links(static_cast<uint32_t>(i), l);
      if (ll[0] > x.MaxLinks(l)) return HnswDataLoss("too many links");
      for (uint32_t j = 1; j <= ll[0]; ++j) {
        if (ll[j] >= rows || x.levels_[ll[j]] < l) {
          return HnswDataLoss("link to a missing row");
        }
      }
    }
  }
  if (top != max_level ||
      (rows > 0 && (entry >= rows || x.levels_[entry] != max_level))) {
    return HnswDataLoss("bad entry point");
  }
  x.n_ = rows;
  x.max_level_ = max_level;
  x.entry_ = entry;
  return index;
}

}  // namespace cove::engine
