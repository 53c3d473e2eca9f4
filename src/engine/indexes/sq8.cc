#include "engine/indexes/sq8.h"

#include <algorithm>
#include <cmath>

namespace cove::engine {

void Sq8Quantizer::Train(const float* data, size_t n) {
  vmin_.assign(dim_, 0.0f);
  vdiff_.assign(dim_, 0.0f);
  if (n > 0) {
    std::vector<float> vmax(data, data + dim_);
    std::copy(data, data + dim_, vmin_.begin());
    for (size_t r = 1; r < n; ++r) {
      const float* x = data + r * dim_;
      for (size_t i = 0; i < dim_; ++i) {
        vmin_[i] = std::min(vmin_[i], x[i]);
        vmax[i] = std::max(vmax[i], x[i]);
      }
    }
    for (size_t i = 0; i < dim_; ++i) vdiff_[i] = vmax[i] - vmin_[i];
  }
  ComputeScale();
}

void Sq8Quantizer::ComputeScale() {
  scale_.resize(dim_);
  for (size_t i = 0; i < dim_; ++i) {
    scale_[i] = vdiff_[i] > 0.0f ? 255.0f / vdiff_[i] : 0.0f;
  }
}

void Sq8Quantizer::Encode(const float* x, uint8_t* code) const {
  for (size_t i = 0; i < dim_; ++i) {
    float v = (x[i] - vmin_[i]) * scale_[i];
    // Clamp before the conversion (also maps NaN to 0).
    v = v > 0.0f ? v : 0.0f;
    v = v < 255.0f ? v : 255.0f;
    code[i] = static_cast<uint8_t>(v + 0.5f);  // round to nearest
  }
}

void Sq8Quantizer::EncodeBatch(const float* x, size_t n, uint8_t* codes) const {
  for (size_t r = 0; r < n; ++r) Encode(x + r * dim_, codes + r * dim_);
}

void Sq8Quantizer::Decode(const uint8_t* code, float* x) const {
  for (size_t i = 0; i < dim_; ++i) {
    x[i] = vmin_[i] + static_cast<float>(code[i]) * vdiff_[i] / 255.0f;
  }
}

void Sq8Quantizer::PrepareQuery(Metric metric, const float* query,
                                Sq8Query* out) const {
  // x_i = vmin_i + s_i * c_i with s_i = vdiff_i / 255, so
  //   |q - x|^2 = sum (q_i - vmin_i)^2 - 2 sum s_i (q_i - vmin_i) c_i
  //               + sum s_i^2 c_i^2
  //   <q, x>    = sum q_i vmin_i + sum q_i s_i c_i.
  // The per-dimension weights u_i (s_i (q_i - vmin_i), or q_i s_i) become
  // int16 w_i = round(u_i / alpha).
  const bool l2 = metric == Metric::kL2;
  std::vector<float> u(dim_);
  double bias = 0.0;
  float umax = 0.0f;
  for (size_t i = 0; i < dim_; ++i) {
    const float s = vdiff_[i] / 255.0f;
    if (l2) {
      const double t = static_cast<double>(query[i]) - vmin_[i];
      bias += t * t;
      u[i] = static_cast<float>(s * t);
    } else {
      bias += static_cast<double>(query[i]) * vmin_[i];
      u[i] = query[i] * s;
    }
    if (!(std::fabs(u[i]) <= umax)) umax = std::fabs(u[i]);  // NaN too
  }
  // Largest |w|: 32767, or less for large d so that 255 * d * wmax < 2^31.
  const double wmax = std::min<double>(
      32767.0,
      std::floor(2147483647.0 /
                 (255.0 * static_cast<double>(std::max<size_t>(dim_, 1)))));
  const double alpha = std::isfinite(umax) && umax > 0.0f ? umax / wmax : 1.0;
  out->w.resize(dim_);
  for (size_t i = 0; i < dim_; ++i) {
    double v = std::nearbyint(u[i] / alpha);
    if (!(v >= -wmax)) v = -wmax;  // NaN too
    if (v > wmax) v = wmax;
    out->w[i] = static_cast<int16_t>(v);
  }
  out->bias = static_cast<float>(bias);
  out->factor = static_cast<float>(l2 ? -2.0 * alpha : alpha);
}

float Sq8Quantizer::CodeNorm(const uint8_t* code) const {
  float s = 0.0f;
  for (size_t i = 0; i < dim_; ++i) {
    const float x = vdiff_[i] / 255.0f * static_cast<float>(code[i]);
    s += x * x;
  }
  return s;
}

void Sq8Quantizer::Save(cove::internal::IndexWriter* w) const {
  w->Put<uint8_t>(trained() ? 1 : 0);
  if (!trained()) return;
  w->PutArray(vmin_.data(), dim_);
  w->PutArray(vdiff_.data(), dim_);
}

bool Sq8Quantizer::Load(cove::internal::IndexReader* r, size_t dim) {
  dim_ = dim;
  vmin_.clear();
  vdiff_.clear();
  scale_.clear();
  uint8_t trained = 0;
  if (!r->Get(&trained) || trained > 1) return false;
  if (trained == 0) return true;
  vmin_.resize(dim);
  vdiff_.resize(dim);
  if (!r->GetArray(vmin_.data(), dim) || !r->GetArray(vdiff_.data(), dim)) {
    return false;
  }
  for (size_t i = 0; i < dim; ++i) {
    if (!std::isfinite(vmin_[i]) || !std::isfinite(vdiff_[i]) ||
        vdiff_[i] < 0.0f) {
      return false;
    }
  }
  ComputeScale();
  return true;
}

}  // namespace cove::engine
