#pragma once
// Writes one consumer warpgroup's (64, D) output rows and their log-sum-exp. Rows are staged in the
// warpgroup's own rows of the Q tile (no other warpgroup reads them) and leave in 16-byte stores.
#include <cmath>
#include <cstdint>

#include "common/forward_params.hpp"
#include "common/pack.cuh"
#include "sm90/forward_traits.cuh"

namespace radial::cuda::sm90 {

// Byte offset of 16-byte chunk `chunk` (0..15) of row `row` in a (2 halves, ROWS, 64) tile with the
// 128-byte swizzle: the layout TMA writes and wgmma reads.
template <int ROWS>
__device__ __forceinline__ int swizzled_byte_offset(int row, int chunk) {
  return (chunk / 8) * ROWS * 128 + row * 128 + (((chunk % 8) ^ (row % 8)) << 4);
}

// Eight elements: a + b * weight, in f32, rounded once.
template <typename Element>
__device__ __forceinline__ uint4 add_scaled(uint4 a, uint4 b, float weight) {
  const uint32_t* pa = reinterpret_cast<const uint32_t*>(&a);
  const uint32_t* pb = reinterpret_cast<const uint32_t*>(&b);
  uint4 result;
  uint32_t* pr = reinterpret_cast<uint32_t*>(&result);
#pragma unroll
  for (int i = 0; i < 4; ++i) {
    const float2 x = unpack2<Element>(pa[i]);
    const float2 y = unpack2<Element>(pb[i]);
    pr[i] = pack2<Element>(x.x + y.x * weight, x.y + y.y * weight);
  }
  return result;
}

// A merging pass (p.merge) adds its rows to the output and lse an earlier pass over other key blocks of
// the same rows wrote: out = out_old * exp(lse_old - lse) + out_new * exp(lse_new - lse), lse the
// log-sum-exp of the two.
template <typename Traits, typename Softmax>
__device__ __forceinline__ void store_output(const ForwardParams& p, float (&o)[Traits::kHeadDim / 8][4],
                                             const Softmax& softmax, unsigned char* q_tile, float* row_weight,
                                             int batch, int head, int q_block, int row0, int warp, int lane) {
  using Element = typename Traits::Element;
  const int g = lane / 4;
  const int t = lane % 4;
  float* lse_row[2];
  float lse_old[2] = {-INFINITY, -INFINITY};
#pragma unroll
  for (int r = 0; r < 2; ++r) {
    const int token = q_block * Traits::kBlockQ + row0 + warp * 16 + g + 8 * r;
    lse_row[r] = token < p.seq_len ? p.lse + batch * p.lse_stride_b + head * p.lse_stride_h +
                                         static_cast<int64_t>(token) * p.lse_stride_s
                                   : nullptr;
    if (p.merge && lse_row[r]) lse_old[r] = *lse_row[r];
  }
  // The staging overwrites the warp's Q rows, which other lanes of the warp read (load_q_fragments); with
  // no key block in the row nothing else has synchronised the warp since. It also orders the lse reads
  // above before lane t == 0 overwrites them.
  __syncwarp();
#pragma unroll
  for (int r = 0; r < 2; ++r) {
    // Rows without a single weighted key: out = 0, lse = -inf (the contract).
    const float inv = softmax.row_sum[r] > 0.0f ? 1.0f / softmax.row_sum[r] : 0.0f;
    const int row = row0 + warp * 16 + g + 8 * r;
    float lse = softmax.row_sum[r] > 0.0f ? (softmax.row_max[r] + log2f(softmax.row_sum[r])) * 0.69314718055994531f
                                          : -INFINITY;
    float scale_new = inv;
    if (p.merge) {
      const float top = fmaxf(lse, lse_old[r]);
      const float merged = top == -INFINITY ? -INFINITY : top + logf(expf(lse - top) + expf(lse_old[r] - top));
      scale_new = merged == -INFINITY ? 0.0f : inv * expf(lse - merged);
      if (t == 0) row_weight[row] = merged == -INFINITY ? 0.0f : expf(lse_old[r] - merged);
      lse = merged;
    }
#pragma unroll
    for (int n = 0; n < Traits::kHeadDim / 8; ++n)
      *reinterpret_cast<uint32_t*>(q_tile + swizzled_byte_offset<Traits::kBlockQ>(row, n) + 4 * t) =
          pack2<Element>(o[n][2 * r] * scale_new, o[n][2 * r + 1] * scale_new);
    if (t == 0 && lse_row[r]) *lse_row[r] = lse;
  }
  __syncwarp();
  Element* out = static_cast<Element*>(p.out) + batch * p.o_stride_b + head * p.o_stride_h;
  constexpr int kChunksPerRow = Traits::kHeadDim / 8;
#pragma unroll
  for (int i = 0; i < 16 * kChunksPerRow / 32; ++i) {
    const int idx = lane + 32 * i;
    const int row = row0 + warp * 16 + idx / kChunksPerRow;
    const int chunk = idx % kChunksPerRow;
    const int token = q_block * Traits::kBlockQ + row;
    if (token >= p.seq_len) continue;
    uint4* dst = reinterpret_cast<uint4*>(out + static_cast<int64_t>(token) * p.o_stride_s + chunk * 8);
    uint4 value = *reinterpret_cast<const uint4*>(q_tile + swizzled_byte_offset<Traits::kBlockQ>(row, chunk));
    if (p.merge) value = add_scaled<Element>(value, *dst, row_weight[row]);
    *dst = value;
  }
}

}  // namespace radial::cuda::sm90
