#include "engine/indexes/pq.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <numeric>
#include <random>

#include "engine/indexes/kmeans.h"
#include "engine/kernels/pq_kernels.h"

namespace cove::engine {
namespace {

// Rows encoded per chunk (bounds the temporary sub-vectors and ids).
constexpr size_t kEncodeChunk = 32768;

}  // namespace

ProductQuantizer::ProductQuantizer(size_t dim, size_t m, int nbits)
    : dim_(dim), m_(m), nbits_(nbits), ksub_(size_t{1} << nbits) {}

void ProductQuantizer::Train(const float* data, size_t n, uint64_t seed,
                             int threads, int iterations,
                             size_t max_points_per_centroid) {
  centroids_.assign(ksub_ * dim_, 0.0f);
  if (n == 0) {
    Transpose();
    return;
  }
  // One random sample of rows for every sub-space.
  std::mt19937_64 rng(seed);
  const size_t s =
      std::min(n, ksub_ * std::max<size_t>(1, max_points_per_centroid));
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
  KMeansOptions opt;
  opt.iterations = iterations;
  opt.max_points_per_centroid = s;  // sampled already
  opt.threads = std::max(threads, 1);
  std::vector<float> sub;
  for (size_t j = 0; j < m_; ++j) {
    const size_t begin = sub_begin(j);
    const size_t dsub = sub_dim(j);
    sub.resize(s * dsub);
    for (size_t i = 0; i < s; ++i) {
      std::memcpy(sub.data() + i * dsub, data + rows[i] * dim_ + begin,
                  dsub * sizeof(float));
    }
    opt.seed = seed + 1 + j;
    std::vector<float> c = TrainKMeans(sub.data(), s, dsub, ksub_, opt);
    float* out = centroids_.data() + ksub_ * begin;
    std::copy(c.begin(), c.end(), out);
    // Fewer points than centroids: the rest repeat centroid 0 (an encoder
    // picks the first of equal centroids, so they are never used).
    for (size_t k = c.size() / dsub; k < ksub_; ++k) {
      std::copy(out, out + dsub, out + k * dsub);
    }
  }
  Transpose();
}

void ProductQuantizer::Transpose() {
  transposed_.assign(centroids_.size(), 0.0f);
  for (size_t j = 0; j < m_; ++j) {
    const size_t base = ksub_ * sub_begin(j);
    const size_t dsub = sub_dim(j);
    for (size_t c = 0; c < ksub_; ++c) {
      for (size_t t = 0; t < dsub; ++t) {
        transposed_[base + t * ksub_ + c] = centroids_[base + c * dsub + t];
      }
    }
  }
}

void ProductQuantizer::EncodeBatch(const float* x, size_t n, uint8_t* codes,
                                   int threads) const {
  const size_t cs = code_size();
  std::vector<float> sub;
  std::vector<uint32_t> assign;
  std::vector<uint16_t> ids;
  for (size_t r0 = 0; r0 < n; r0 += kEncodeChunk) {
    const size_t nr = std::min(kEncodeChunk, n - r0);
    ids.assign(nr * m_, 0);
    assign.resize(nr);
    for (size_t j = 0; j < m_; ++j) {
      const size_t begin = sub_begin(j);
      const size_t dsub = sub_dim(j);
      sub.resize(nr * dsub);
      for (size_t i = 0; i < nr; ++i) {
        std::memcpy(sub.data() + i * dsub, x + (r0 + i) * dim_ + begin,
                    dsub * sizeof(float));
      }
      AssignNearest(sub.data(), nr, centroids_.data() + ksub_ * begin, ksub_,
                    dsub, nr >= 4096 ? threads : 1, assign.data(), nullptr);
      for (size_t i = 0; i < nr; ++i) {
        ids[i * m_ + j] = static_cast<uint16_t>(assign[i]);
      }
    }
    for (size_t i = 0; i < nr; ++i) {
      Pack(ids.data() + i * m_, codes + (r0 + i) * cs);
    }
  }
}

void ProductQuantizer::Pack(const uint16_t* ids, uint8_t* code) const {
  if (nbits_ == 8) {
    for (size_t j = 0; j < m_; ++j) code[j] = static_cast<uint8_t>(ids[j]);
    return;
  }
  std::memset(code, 0, code_size());
  size_t bit = 0;
  for (size_t j = 0; j < m_; ++j) {
    uint32_t v = ids[j];
    for (int b = 0; b < nbits_; ++b, ++bit) {
      if ((v >> b) & 1u)
        code[bit >> 3] |= static_cast<uint8_t>(1u << (bit & 7));
    }
  }
}

void ProductQuantizer::Unpack(const uint8_t* code, uint16_t* out) const {
  if (nbits_ == 8) {
    for (size_t j = 0; j < m_; ++j) out[j] = code[j];
    return;
  }
  size_t bit = 0;
  for (size_t j = 0; j < m_; ++j) {
    uint32_t v = 0;
    for (int b = 0; b < nbits_; ++b, ++bit) {
      v |= static_cast<uint32_t>((code[bit >> 3] >> (bit & 7)) & 1u) << b;
    }
    out[j] = static_cast<uint16_t>(v);
  }
}

void ProductQuantizer::Decode(const uint8_t* code, float* x) const {
  std::vector<uint16_t> ids(m_);
  Unpack(code, ids.data());
  for (size_t j = 0; j < m_; ++j) {
    std::memcpy(x + sub_begin(j), centroid(j, ids[j]),
                sub_dim(j) * sizeof(float));
  }
}

void ProductQuantizer::ComputeTable(Metric metric, const float* query,
                                    float* table) const {
  ActivePqKernels().table(metric != Metric::kL2, query, transposed_.data(),
                          dim_, m_, ksub_, table);
}

float ProductQuantizer::Adc(const float* table, const uint8_t* code) const {
  if (nbits_ == 8) {
    float a = 0, b = 0, c = 0, d = 0;
    size_t j = 0;
    for (; j + 4 <= m_; j += 4) {
      a += table[(j + 0) * 256 + code[j + 0]];
      b += table[(j + 1) * 256 + code[j + 1]];
      c += table[(j + 2) * 256 + code[j + 2]];
      d += table[(j + 3) * 256 + code[j + 3]];
    }
    for (; j < m_; ++j) a += table[j * 256 + code[j]];
    return (a + b) + (c + d);
  }
  float s = 0;
  size_t bit = 0;
  for (size_t j = 0; j < m_; ++j) {
    uint32_t v = 0;
    for (int b = 0; b < nbits_; ++b, ++bit) {
      v |= static_cast<uint32_t>((code[bit >> 3] >> (bit & 7)) & 1u) << b;
    }
    s += table[j * ksub_ + v];
  }
  return s;
}

void ProductQuantizer::Save(cove::internal::IndexWriter* w) const {
  w->Put<uint64_t>(m_);
  w->Put<uint8_t>(static_cast<uint8_t>(nbits_));
  w->Put<uint8_t>(trained() ? 1 : 0);
  if (trained()) w->PutArray(centroids_.data(), centroids_.size());
}

bool ProductQuantizer::Load(cove::internal::IndexReader* r, size_t dim) {
  uint64_t m = 0;
  uint8_t nbits = 0;
  uint8_t trained = 0;
  if (!r->Get(&m) || !r->Get(&nbits) || !r->Get(&trained)) return false;
  if (dim == 0 || m == 0 || m > dim || nbits == 0 || nbits > kMaxBits ||
      trained > 1) {
    return false;
  }
  *this = ProductQuantizer(dim, static_cast<size_t>(m), nbits);
  if (trained == 0) return true;
  if (ksub_ * dim_ > r->remaining() / sizeof(float)) return false;
  centroids_.resize(ksub_ * dim_);
  if (!r->GetArray(centroids_.data(), centroids_.size())) return false;
  for (float f : centroids_) {
    if (!std::isfinite(f)) return false;
  }
  Transpose();
  return true;
}

}  // namespace cove::engine
