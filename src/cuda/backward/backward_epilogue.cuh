#pragma once
// Writes one warp's (16, HEAD_DIM) fp32 gradient rows, times `scale`, to a (S, HEAD_DIM) slice of a
// (B, S, H, D) tensor, or with add_to_stored adds them to what the slice holds (the second pass of the
// backward schedule). Each thread stores pairs of adjacent columns (mma.sync C layout: rows g and
// g + 8, columns 8d + 2t + {0, 1}); rows at or past the sequence end are not written.
#include <cstdint>

#include "common/pack.cuh"

namespace radial::cuda::portable {

template <typename Element, int HEAD_DIM>
__device__ __forceinline__ void store_gradient_rows(Element* slice, int64_t row_stride, int row0, int seq_len,
                                                    const float (&acc)[HEAD_DIM / 8][4], float scale, int lane,
                                                    bool add_to_stored = false) {
  const int g = lane / 4, t = lane % 4;
#pragma unroll
  for (int r = 0; r < 2; ++r) {
    const int row = row0 + g + 8 * r;
    if (row >= seq_len) continue;
    Element* dst = slice + static_cast<int64_t>(row) * row_stride + 2 * t;
#pragma unroll
    for (int d = 0; d < HEAD_DIM / 8; ++d) {
      uint32_t* pair = reinterpret_cast<uint32_t*>(dst + 8 * d);
      const float2 stored = add_to_stored ? unpack2<Element>(*pair) : float2{0.0f, 0.0f};
      *pair = pack2<Element>(stored.x + acc[d][2 * r] * scale, stored.y + acc[d][2 * r + 1] * scale);
    }
  }
}

}  // namespace radial::cuda::portable
