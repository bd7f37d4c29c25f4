#pragma once
// Writes one warp's (16, HEAD_DIM) output rows and their log-sum-exp. The rows go through the warp's
// own rows of the Q tile in shared memory so that global stores are 16 bytes wide and coalesced.
#include <cmath>
#include <cstdint>

#include "common/forward_params.hpp"
#include "common/pack.cuh"
#include "common/sm80_primitives.cuh"
#include "portable/forward_traits.cuh"

namespace radial::cuda::portable {

template <typename Traits, typename Softmax>
__device__ __forceinline__ void store_output(const ForwardParams& p, float (&o)[Traits::kHeadDim / 8][4],
                                             const Softmax& softmax,
                                             typename Traits::Element* sQ,  // (BLK_Q, HEAD_DIM) swizzled, free now
                                             int batch, int head, int q0, int warp, int lane) {
  using Element = typename Traits::Element;
  constexpr int D = Traits::kHeadDim;
  const int g = lane / 4;
  const int t = lane % 4;
#pragma unroll
  for (int r = 0; r < 2; ++r) {
    // Rows without a single weighted key: out = 0, lse = -inf (the contract).
    const float inv = softmax.row_sum[r] > 0.0f ? 1.0f / softmax.row_sum[r] : 0.0f;
    const int row = warp * 16 + g + 8 * r;
#pragma unroll
    for (int d = 0; d < D / 8; ++d) {
      const uint32_t packed = pack2<Element>(o[d][2 * r] * inv, o[d][2 * r + 1] * inv);
      *reinterpret_cast<uint32_t*>(sQ + swizzled_offset<D>(row, d) + 2 * t) = packed;
    }
    const int token = q0 + row;
    if (t == 0 && token < p.seq_len) {
      const float lse = softmax.row_sum[r] > 0.0f
                            ? (softmax.row_max[r] + log2f(softmax.row_sum[r])) * 0.69314718055994531f
                            : -INFINITY;
      p.lse[batch * p.lse_stride_b + head * p.lse_stride_h + static_cast<int64_t>(token) * p.lse_stride_s] = lse;
    }
  }
  __syncwarp();
  Element* out = static_cast<Element*>(p.out) + batch * p.o_stride_b + head * p.o_stride_h;
  constexpr int kChunks = 16 * (D / 8);  // this warp's 16 rows in 16-byte chunks
#pragma unroll
  for (int i = 0; i < kChunks / 32; ++i) {
    const int idx = lane + 32 * i;
    const int row = warp * 16 + idx / (D / 8);
    const int chunk = idx % (D / 8);
    const int token = q0 + row;
    if (token < p.seq_len) {
      const uint4 value = *reinterpret_cast<const uint4*>(sQ + swizzled_offset<D>(row, chunk));
      *reinterpret_cast<uint4*>(out + static_cast<int64_t>(token) * p.o_stride_s + chunk * 8) = value;
    }
  }
}

}  // namespace radial::cuda::portable
