#pragma once
// Owned CPU tensors for the attention tests: random (B, S, H, D) inputs at a non-unit scale in any
// dtype and storage order, NaN-poisoned outputs, random block masks, and the error measures every
// attention test reports (relative 2-norm and max-abs, over every element).
#include <cmath>
#include <cstdint>
#include <limits>
#include <random>
#include <vector>

#include "radial/block_mask.hpp"
#include "radial/half_precision.hpp"
#include "radial/tensor_view.hpp"

namespace radial::testing {

// How a (B, S, H, D) tensor sits in memory: the diffusers order, the (B, H, S, D) order seen
// through strides, or the diffusers order with gaps between tokens and between heads.
enum class Storage { bshd, bhsd, padded };

struct HostTensor {
  std::vector<double> storage;  // 8-byte words: enough for any dtype, and aligned for all
  TensorView view;
};

inline void set_element(HostTensor& t, int64_t offset, double value) {
  void* data = t.storage.data();
  switch (t.view.dtype) {
    case DType::f64: static_cast<double*>(data)[offset] = value; break;
    case DType::f32: static_cast<float*>(data)[offset] = static_cast<float>(value); break;
    case DType::bf16: static_cast<uint16_t*>(data)[offset] = float_to_bf16(static_cast<float>(value)); break;
    case DType::f16: static_cast<uint16_t*>(data)[offset] = float_to_f16(static_cast<float>(value)); break;
    case DType::i32: static_cast<int32_t*>(data)[offset] = static_cast<int32_t>(value); break;
  }
}

inline double get_element(const TensorView& v, int64_t offset) {
  switch (v.dtype) {
    case DType::f64: return static_cast<const double*>(v.data)[offset];
    case DType::f32: return static_cast<const float*>(v.data)[offset];
    case DType::bf16: return bf16_to_float(static_cast<const uint16_t*>(v.data)[offset]);
    case DType::f16: return f16_to_float(static_cast<const uint16_t*>(v.data)[offset]);
    case DType::i32: return static_cast<const int32_t*>(v.data)[offset];
  }
  return 0.0;
}

// Offsets of every element in logical (row-major over shape) order.
inline std::vector<int64_t> element_offsets(const TensorView& v) {
  std::vector<int64_t> offsets;
  std::array<int64_t, kMaxRank> index{};
  const int64_t n = v.numel();
  offsets.reserve(n);
  for (int64_t e = 0; e < n; ++e) {
    int64_t offset = 0;
    for (int d = 0; d < v.rank; ++d) offset += index[d] * v.strides[d];
    offsets.push_back(offset);
    for (int d = v.rank - 1; d >= 0; --d) {
      if (++index[d] < v.shape[d]) break;
      index[d] = 0;
    }
  }
  return offsets;
}

inline std::vector<double> values(const TensorView& v) {
  std::vector<double> out;
  for (int64_t offset : element_offsets(v)) out.push_back(get_element(v, offset));
  return out;
}

// A (B, S, H, D) tensor filled with `fill` (NaN by default: outputs must overwrite every element).
inline HostTensor token_tensor(DType dtype, int64_t batch, int64_t seq, int64_t heads, int64_t dim,
                               Storage storage = Storage::bshd,
                               double fill = std::numeric_limits<double>::quiet_NaN()) {
  HostTensor t;
  TensorView& v = t.view;
  v.dtype = dtype;
  v.rank = 4;
  v.shape = {batch, seq, heads, dim};
  int64_t words = 0;
  switch (storage) {
    case Storage::bshd: v.strides = {seq * heads * dim, heads * dim, dim, 1}; words = batch * seq * heads * dim; break;
    case Storage::bhsd: v.strides = {heads * seq * dim, dim, seq * dim, 1}; words = batch * seq * heads * dim; break;
    case Storage::padded: {
      const int64_t head_stride = dim + 8, token_stride = heads * head_stride + 24;
      v.strides = {seq * token_stride + 40, token_stride, head_stride, 1};
      words = batch * v.strides[0];
      break;
    }
  }
  t.storage.assign(words, 0.0);
  v.data = t.storage.data();
  // Gaps between elements carry NaN too, so a kernel that reads them shows it.
  const int64_t elements = words * 8 / dtype_bytes(dtype);
  for (int64_t e = 0; e < elements; ++e) set_element(t, e, std::numeric_limits<double>::quiet_NaN());
  if (!std::isnan(fill))
    for (int64_t offset : element_offsets(v)) set_element(t, offset, fill);
  return t;
}

// Uniform in [-amplitude, amplitude): non-unit scale so that a missing softmax scale shows.
inline HostTensor random_token_tensor(std::mt19937_64& rng, DType dtype, int64_t batch, int64_t seq, int64_t heads,
                                      int64_t dim, Storage storage = Storage::bshd, double amplitude = 2.5) {
  HostTensor t = token_tensor(dtype, batch, seq, heads, dim, storage);
  std::uniform_real_distribution<double> uniform(-amplitude, amplitude);
  for (int64_t offset : element_offsets(t.view)) set_element(t, offset, uniform(rng));
  return t;
}

// (B, H, S) row statistics, NaN-filled.
inline HostTensor row_stat_tensor(DType dtype, int64_t batch, int64_t heads, int64_t seq) {
  HostTensor t;
  t.view.dtype = dtype;
  t.view.rank = 3;
  t.view.shape = {batch, heads, seq, 0};
  t.view.strides = {heads * seq, seq, 1, 0};
  t.storage.assign(batch * heads * seq, std::numeric_limits<double>::quiet_NaN());
  t.view.data = t.storage.data();
  for (int64_t e = 0; e < batch * heads * seq; ++e) set_element(t, e, std::numeric_limits<double>::quiet_NaN());
  return t;
}

// Each block kept with probability `density`; diagonal kept unless the row is chosen empty.
inline BlockMask random_block_mask(std::mt19937_64& rng, int64_t blocks, double density, double empty_row_probability) {
  BlockMask mask(blocks);
  std::bernoulli_distribution keep(density), empty(empty_row_probability);
  for (int64_t r = 0; r < blocks; ++r) {
    if (empty(rng)) continue;
    mask.set(r, r);
    for (int64_t c = 0; c < blocks; ++c)
      if (keep(rng)) mask.set(r, c);
  }
  return mask;
}

inline int64_t count_nan(const std::vector<double>& xs) {
  int64_t n = 0;
  for (double x : xs) n += std::isnan(x);
  return n;
}

struct Error {
  double relative_l2 = 0.0;  // ||a - b|| / ||b||; NaN if any element is NaN
  double max_abs = 0.0;
};

// Elements where both are -inf (or both +inf) agree exactly and are left out of the norms.
inline Error compare(const std::vector<double>& actual, const std::vector<double>& expected) {
  double diff = 0.0, norm = 0.0, max_abs = 0.0;
  for (size_t i = 0; i < expected.size(); ++i) {
    if (std::isinf(expected[i]) && actual[i] == expected[i]) continue;
    const double d = actual[i] - expected[i];
    diff += d * d;
    norm += expected[i] * expected[i];
    max_abs = std::max(max_abs, std::abs(d));
    if (std::isnan(d)) max_abs = d;
  }
  if (actual.size() != expected.size()) return {std::numeric_limits<double>::quiet_NaN(), 0.0};
  return {norm > 0.0 ? std::sqrt(diff / norm) : std::sqrt(diff), max_abs};
}

}  // namespace radial::testing
