#include "cpu/pack.hpp"

#include <algorithm>

#include "cpu/tiles.hpp"
#include "element_io.hpp"
#include "radial/half_precision.hpp"

namespace radial::cpu {
namespace {

// One token's head vector as fp32; the switch sits outside the element loop so the loops vectorize.
void load_token(const TensorView& view, int64_t offset, int64_t head_dim, float* dst) {
  switch (view.dtype) {
    case DType::f32: {
      const float* src = static_cast<const float*>(view.data) + offset;
      std::copy(src, src + head_dim, dst);
      return;
    }
    case DType::bf16: {
      const uint16_t* src = static_cast<const uint16_t*>(view.data) + offset;
      for (int64_t d = 0; d < head_dim; ++d) dst[d] = bf16_to_float(src[d]);
      return;
    }
    default:
      for (int64_t d = 0; d < head_dim; ++d) dst[d] = static_cast<float>(load_as_double(view.data, view.dtype, offset + d));
      return;
  }
}

}  // namespace

void pack_rows_block(const TensorView& view, int64_t b, int64_t h, int64_t block, int64_t dp, float* rows) {
  const int64_t seq_len = view.shape[1], head_dim = view.shape[3];
  for (int64_t s = block * kBlock; s < (block + 1) * kBlock; ++s) {
    float* row = rows + s * dp;
    int64_t filled = 0;
    if (s < seq_len) {
      load_token(view, token_offset(view, b, s, h), head_dim, row);
      filled = head_dim;
    }
    std::fill(row + filled, row + dp, 0.0f);
  }
}

void pack_transposed_block(const TensorView& view, int64_t b, int64_t h, int64_t block, float* transposed) {
  const int64_t seq_len = view.shape[1], head_dim = view.shape[3];
  float* tile = transposed + block * head_dim * kBlock;  // (HEAD_DIM, BLK)
  const int64_t tokens = std::min(kBlock, seq_len - block * kBlock);
  float token[kMaxPackedHeadDim];  // (HEAD_DIM) one token, converted
  for (int64_t t = 0; t < tokens; ++t) {
    load_token(view, token_offset(view, b, block * kBlock + t, h), head_dim, token);
    for (int64_t d = 0; d < head_dim; ++d) tile[d * kBlock + t] = token[d];
  }
  for (int64_t d = 0; d < head_dim; ++d) std::fill(tile + d * kBlock + tokens, tile + (d + 1) * kBlock, 0.0f);
}

void store_rows(const float* src, int64_t dp, int64_t count, const TensorView& dst, int64_t b, int64_t h,
                int64_t first) {
  const int64_t head_dim = dst.shape[3];
  for (int64_t i = 0; i < count; ++i) {
    const float* row = src + i * dp;
    const int64_t offset = token_offset(dst, b, first + i, h);
    switch (dst.dtype) {
      case DType::f32: std::copy(row, row + head_dim, static_cast<float*>(dst.data) + offset); break;
      case DType::bf16: {
        uint16_t* out = static_cast<uint16_t*>(dst.data) + offset;
        for (int64_t d = 0; d < head_dim; ++d) out[d] = float_to_bf16(row[d]);
        break;
      }
      default:
        for (int64_t d = 0; d < head_dim; ++d) store_from_double(dst.data, dst.dtype, offset + d, row[d]);
    }
  }
}

void store_row_stats(const float* src, int64_t count, const TensorView& dst, int64_t b, int64_t h, int64_t first) {
  for (int64_t i = 0; i < count; ++i) store_from_double(dst.data, dst.dtype, row_stat_offset(dst, b, h, first + i), src[i]);
}

}  // namespace radial::cpu
