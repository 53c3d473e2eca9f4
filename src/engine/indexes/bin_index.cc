#include "engine/indexes/bin_index.h"

#include <algorithm>
#include <cstring>
#include <limits>
#include <numeric>
#include <random>

#include "absl/strings/str_cat.h"
#include "engine/indexes/index_io.h"
#include "engine/kernels/binary.h"

namespace cove::engine {
namespace {

constexpr size_t kBlock = 256;
constexpr int kTrainIterations = 10;
constexpr size_t kMaxTrainRows = 65536;

}  // namespace

void BinaryScan(const BinaryView& view, const uint8_t* query,
                const IndexSearchParams& params, TopK* top) {
  const size_t s = view.stride;
  const Metric metric = view.metric;
  auto row_id = [&](size_t r) {
    return view.ids != nullptr ? view.ids[r] : static_cast<uint32_t>(r);
  };
  const Bitset* allowed = params.allowed;
  auto admit = [&](size_t r) {
    return allowed == nullptr || allowed->Test(row_id(r));
  };
  if (metric == Metric::kSubstructure || metric == Metric::kSuperstructure) {
    const bool sub = metric == Metric::kSubstructure;
    for (size_t r = 0; r < view.n; ++r) {
      if (!admit(r)) continue;
      const uint8_t* row = view.data + r * s;
      // SUBSTRUCTURE: the query is a substructure of the row.
      if (sub ? BinaryContains(row, query, s) : BinaryContains(query, row, s)) {
        top->Push(row_id(r), 0.0f);
      }
    }
    return;
  }
  if (params.radius.has_value()) top->SetBound(*params.radius);
  const bool ranged = params.range_filter.has_value();
  const float lo = ranged ? *params.range_filter : 0.0f;
  uint32_t counts[kBlock];
  float scores[kBlock];
  const bool hamming = metric == Metric::kHamming;
  auto offer = [&](size_t r, float d) {
    if (ranged && !(d >= lo)) return;
    top->Push(row_id(r), d);
  };
  if (allowed == nullptr) {
    for (size_t r0 = 0; r0 < view.n; r0 += kBlock) {
      const size_t m = std::min(kBlock, view.n - r0);
      const uint8_t* base = view.data + r0 * s;
      if (hamming) {
        BinaryHammingBatch(query, base, m, s, counts);
        const float thr = top->threshold_key();
        for (size_t j = 0; j < m; ++j) {
          const float d = static_cast<float>(counts[j]);
          if (d <= thr) offer(r0 + j, d);
        }
      } else {
        BinaryJaccardBatch(query, base, m, s, scores);
        for (size_t j = 0; j < m; ++j) offer(r0 + j, scores[j]);
      }
    }
    return;
  }
  for (size_t r = 0; r < view.n; ++r) {
    if (!admit(r)) continue;
    const uint8_t* row = view.data + r * s;
    offer(r, hamming ? static_cast<float>(BinaryHamming(query, row, s))
                     : BinaryJaccard(query, row, s));
  }
}

bool BinaryScoreOne(Metric metric, const uint8_t* query, const uint8_t* row,
                    size_t stride, float* score) {
  switch (metric) {
    case Metric::kSubstructure:
      *score = 0.0f;
      return BinaryContains(row, query, stride);
    case Metric::kSuperstructure:
      *score = 0.0f;
      return BinaryContains(query, row, stride);
    case Metric::kJaccard:
      *score = BinaryJaccard(query, row, stride);
      return true;
    default:
      *score = static_cast<float>(BinaryHamming(query, row, stride));
      return true;
  }
}

std::vector<Neighbor> BinaryExactSearch(const BinaryView& view,
                                        const uint8_t* query,
                                        const IndexSearchParams& params) {
  TopK top(params.k, /*larger_is_closer=*/false);
  BinaryScan(view, query, params, &top);
  return top.Take();
}

BinIvfIndex::BinIvfIndex(const IndexParams& params)
    : params_(params), stride_(params.dim * sizeof(float)) {}

absl::Status BinIvfIndex::ValidateParams(const IndexParams& p) {
  if (p.dim < 1 || p.dim > kMaxIndexDim) {
    return absl::InvalidArgumentError(absl::StrCat(
        "dim: expected 1 to ", kMaxIndexDim, " slots (got ", p.dim, ")"));
  }
  if (p.nlist < 1) {
    return absl::InvalidArgumentError(
        absl::StrCat("nlist: expected at least 1 (got ", p.nlist, ")"));
  }
  if (p.metric != Metric::kHamming && p.metric != Metric::kJaccard) {
    return absl::InvalidArgumentError(
        absl::StrCat("metric_type: BIN_IVF_FLAT takes HAMMING or JACCARD (got ",
                     MetricName(p.metric), ")"));
  }
  return absl::OkStatus();
}

float BinIvfIndex::Distance(const uint8_t* a, const uint8_t* b) const {
  return params_.metric == Metric::kJaccard
             ? BinaryJaccard(a, b, stride_)
             : static_cast<float>(BinaryHamming(a, b, stride_));
}

size_t BinIvfIndex::Nearest(const uint8_t* code) const {
  size_t best = 0;
  float best_d = std::numeric_limits<float>::infinity();
  for (size_t c = 0; c < lists_.size(); ++c) {
    const float d = Distance(code, centroids_.data() + c * stride_);
    if (d < best_d) {
      best_d = d;
      best = c;
    }
  }
  return best;
}

void BinIvfIndex::Train(const uint8_t* codes, size_t n) {
  std::mt19937_64 rng(params_.seed);
  const size_t nlist = std::min<size_t>(static_cast<size_t>(params_.nlist), n);
  // The training sample: every row, or a random subset of them.
  std::vector<uint32_t> sample(n);
  std::iota(sample.begin(), sample.end(), 0u);
  std::shuffle(sample.begin(), sample.end(), rng);
  if (sample.size() > std::max(kMaxTrainRows, nlist)) {
    sample.resize(std::max(kMaxTrainRows, nlist));
  }
  lists_.assign(nlist, List{});
  centroids_.assign(nlist * stride_, 0);
  // k-means++ seeding on Hamming distances: each next centroid is a sample
  // row drawn with probability proportional to its squared distance to the
  // nearest centroid so far (spread seeds; random ones often share a
  // cluster).
  std::vector<double> nearest(sample.size(),
                              std::numeric_limits<double>::infinity());
  size_t pick = 0;
  for (size_t c = 0; c < nlist; ++c) {
    uint8_t* cen = centroids_.data() + c * stride_;
    std::memcpy(cen, codes + size_t{sample[pick]} * stride_, stride_);
    if (params_.cancelled()) return;
    double total = 0;
    for (size_t i = 0; i < sample.size(); ++i) {
      const double d =
          BinaryHamming(codes + size_t{sample[i]} * stride_, cen, stride_);
      nearest[i] = std::min(nearest[i], d * d);
      total += nearest[i];
    }
    if (total <= 0) {
      pick = (pick + 1) % sample.size();  // all rows equal a centroid
      continue;
    }
    double x = std::uniform_real_distribution<double>(0.0, total)(rng);
    pick = sample.size() - 1;
    for (size_t i = 0; i < sample.size(); ++i) {
      x -= nearest[i];
      if (x < 0) {
        pick = i;
        break;
      }
    }
  }
  // k-modes: assign by Hamming distance, then each centroid bit becomes the
  // majority bit of its members (ties: 0); an emptied list takes a random
  // row of the sample.
  std::vector<uint32_t> assign(sample.size());
  std::vector<uint32_t> bit_counts(stride_ * 8);
  std::vector<std::vector<uint32_t>> members(nlist);
  for (int it = 0; it < kTrainIterations && !params_.cancelled(); ++it) {
    for (auto& m : members) m.clear();
    for (size_t i = 0; i < sample.size(); ++i) {
      const uint8_t* code = codes + size_t{sample[i]} * stride_;
      uint32_t best = 0, best_d = std::numeric_limits<uint32_t>::max();
      for (size_t c = 0; c < nlist; ++c) {
        const uint32_t d =
            BinaryHamming(code, centroids_.data() + c * stride_, stride_);
        if (d < best_d) {
          best_d = d;
          best = static_cast<uint32_t>(c);
        }
      }
      members[best].push_back(sample[i]);
    }
    for (size_t c = 0; c < nlist; ++c) {
      uint8_t* cen = centroids_.data() + c * stride_;
      if (members[c].empty()) {
        const uint32_t pick = sample[rng() % sample.size()];
        std::memcpy(cen, codes + size_t{pick} * stride_, stride_);
        continue;
      }
      std::fill(bit_counts.begin(), bit_counts.end(), 0u);
      for (uint32_t id : members[c]) {
        const uint8_t* code = codes + size_t{id} * stride_;
        for (size_t b = 0; b < stride_; ++b) {
          const uint8_t x = code[b];
          if (x == 0) continue;
          for (int k = 0; k < 8; ++k) bit_counts[b * 8 + k] += (x >> k) & 1u;
        }
      }
      const size_t half = members[c].size();
      for (size_t b = 0; b < stride_; ++b) {
        uint8_t x = 0;
        for (int k = 0; k < 8; ++k) {
          if (2 * bit_counts[b * 8 + k] > half) x |= uint8_t(1u << k);
        }
        cen[b] = x;
      }
    }
  }
  trained_ = true;
}

void BinIvfIndex::Assign(const uint8_t* codes, size_t n, uint32_t first_id) {
  for (size_t i = 0; i < n; ++i) {
    const uint8_t* code = codes + i * stride_;
    List& l = lists_[Nearest(code)];
    l.ids.push_back(first_id + static_cast<uint32_t>(i));
    l.codes.insert(l.codes.end(), code, code + stride_);
  }
}

absl::Status BinIvfIndex::Build(const float* data, size_t n) {
  const auto* codes = reinterpret_cast<const uint8_t*>(data);
  n_ = 0;
  lists_.clear();
  centroids_.clear();
  trained_ = false;
  if (n == 0) return absl::OkStatus();
  Train(codes, n);
  if (params_.cancelled()) return absl::CancelledError("index build cancelled");
  Assign(codes, n, 0);
  n_ = n;
  return absl::OkStatus();
}

absl::Status BinIvfIndex::Add(const float* data, size_t n) {
  if (!trained_) {
    return absl::FailedPreconditionError(
        "BIN_IVF_FLAT: Build() must come before Add()");
  }
  Assign(reinterpret_cast<const uint8_t*>(data), n, static_cast<uint32_t>(n_));
  n_ += n;
  return absl::OkStatus();
}

std::vector<Neighbor> BinIvfIndex::Search(
    const float* query, const IndexSearchParams& params) const {
  TopK top(params.k, /*larger_is_closer=*/false);
  if (lists_.empty()) return top.Take();
  const auto* q = reinterpret_cast<const uint8_t*>(query);
  const size_t nprobe = std::min(
      lists_.size(), params.nprobe > 0 ? static_cast<size_t>(params.nprobe)
                                       : std::min<size_t>(lists_.size(), 16));
  std::vector<std::pair<float, uint32_t>> order(lists_.size());
  for (size_t c = 0; c < lists_.size(); ++c) {
    order[c] = {Distance(q, centroids_.data() + c * stride_),
                static_cast<uint32_t>(c)};
  }
  std::partial_sort(order.begin(), order.begin() + nprobe, order.end());
  for (size_t i = 0; i < nprobe; ++i) {
    const List& l = lists_[order[i].second];
    BinaryView view;
    view.data = l.codes.data();
    view.n = l.ids.size();
    view.stride = stride_;
    view.metric = params_.metric;
    view.ids = l.ids.data();
    BinaryScan(view, q, params, &top);
  }
  return top.Take();
}

size_t BinIvfIndex::MemoryBytes() const {
  size_t bytes = centroids_.capacity();
  for (const List& l : lists_) {
    bytes += l.ids.capacity() * sizeof(uint32_t) + l.codes.capacity();
  }
  return bytes;
}

absl::Status BinIvfIndex::AttachVectors(const ExternalVectors& v) {
  if (v.n != n_ || v.dim != params_.dim || v.scale != nullptr) {
    return absl::InvalidArgumentError(absl::StrCat(
        "vectors: expected ", n_, " rows of ", params_.dim,
        " slots without scale (got ", v.n, " rows of ", v.dim, ")"));
  }
  return absl::OkStatus();
}

absl::Status BinIvfIndex::Save(std::string* out) const {
  if (out == nullptr) return absl::InvalidArgumentError("out: null");
  out->clear();
  const size_t header =
      cove::internal::BeginIndexHeader(IndexType::kBinIvfFlat, out);
  cove::internal::IndexWriter w(out);
  w.Put<uint8_t>(static_cast<uint8_t>(params_.metric));
  w.Put<uint64_t>(params_.dim);
  w.Put<int32_t>(params_.nlist);
  w.Put<uint64_t>(params_.seed);
  w.Put<uint8_t>(trained_ ? 1 : 0);
  w.Put<uint64_t>(n_);
  w.PutVector(centroids_);
  w.Put<uint64_t>(lists_.size());
  for (const List& l : lists_) {
    w.PutVector(l.ids);
    w.PutArray(l.codes.data(), l.codes.size());
  }
  cove::internal::FinishIndexHeader(header, out);
  return absl::OkStatus();
}

absl::StatusOr<std::unique_ptr<BinIvfIndex>> BinIvfIndex::Load(
    std::string_view payload) {
  cove::internal::IndexReader r(payload);
  IndexParams p;
  p.type = IndexType::kBinIvfFlat;
  uint8_t metric = 0, trained = 0;
  uint64_t dim = 0, n = 0, nlists = 0;
  int32_t nlist = 0;
  auto corrupt = [](const char* what) {
    return absl::DataLossError(
        absl::StrCat("index bytes: BIN_IVF_FLAT ", what, " are corrupt"));
  };
  if (!r.Get(&metric) || !r.Get(&dim) || !r.Get(&nlist) || !r.Get(&p.seed) ||
      !r.Get(&trained) || !r.Get(&n) ||
      metric > static_cast<uint8_t>(kLastMetric) || dim > kMaxIndexDim) {
    return corrupt("parameters");
  }
  p.metric = static_cast<Metric>(metric);
  p.dim = static_cast<size_t>(dim);
  p.nlist = nlist;
  if (!ValidateParams(p).ok()) return corrupt("parameters");
  auto index = std::make_unique<BinIvfIndex>(p);
  index->trained_ = trained != 0;
  const size_t stride = index->stride_;
  if (!r.GetVector(&index->centroids_) || !r.Get(&nlists) ||
      index->centroids_.size() != nlists * stride ||
      nlists > static_cast<uint64_t>(nlist)) {
    return corrupt("centroids");
  }
  // Each row takes an id and a code in the lists that follow: a count the
  // bytes cannot hold is corrupt (and must not size an allocation).
  if (n >= std::numeric_limits<uint32_t>::max() ||
      n > r.remaining() / (sizeof(uint32_t) + stride)) {
    return corrupt("lists");
  }
  index->lists_.resize(static_cast<size_t>(nlists));
  uint64_t total = 0;
  std::vector<bool> seen(n, false);
  for (List& l : index->lists_) {
    if (!r.GetVector(&l.ids, n)) return corrupt("lists");
    for (uint32_t id : l.ids) {
      if (id >= n || seen[id]) return corrupt("lists");
      seen[id] = true;
    }
    l.codes.resize(l.ids.size() * stride);
    if (!r.GetArray(l.codes.data(), l.codes.size())) return corrupt("lists");
    total += l.ids.size();
  }
  if (total != n || r.remaining() != 0) return corrupt("lists");
  index->n_ = static_cast<size_t>(n);
  return index;
}

}  // namespace cove::engine
