#pragma once
// The two warp-level products of one key tile: S = Q K^T and O += P V, on mma.sync m16n8k16.
// Each warp owns 16 query rows; shared tiles are (rows, HEAD_DIM) with the swizzle of forward_traits.
#include <cstdint>

#include "common/pack.cuh"
#include "common/sm80_primitives.cuh"
#include "portable/forward_traits.cuh"

namespace radial::cuda::portable {

// q_frag: (16, HEAD_DIM) A fragments of this warp's query rows, from the (BLK_Q, HEAD_DIM) tile.
template <typename Traits>
__device__ __forceinline__ void load_q_fragments(uint32_t (&q_frag)[Traits::kHeadDim / 16][4],
                                                 const typename Traits::Element* sQ, int warp, int lane) {
  const uint32_t base = sm80::smem_addr(sQ);
  const int matrix = lane / 8;  // 0: rows 0-7 k 0-7, 1: rows 8-15 k 0-7, 2: rows 0-7 k 8-15, 3: rows 8-15 k 8-15
  const int row = warp * 16 + (matrix % 2) * 8 + lane % 8;
#pragma unroll
  for (int kk = 0; kk < Traits::kHeadDim / 16; ++kk)
    sm80::ldmatrix_x4(q_frag[kk], base + swizzled_offset<Traits::kHeadDim>(row, 2 * kk + matrix / 2) * 2);
}

// s: (16, BLK_K) = Q (16, HEAD_DIM) @ K^T, K the (BLK_K, HEAD_DIM) tile.
template <typename Traits>
__device__ __forceinline__ void qk_product(float (&s)[Traits::kBlockK / 8][4],
                                           const uint32_t (&q_frag)[Traits::kHeadDim / 16][4],
                                           const typename Traits::Element* sK, int lane) {
  using Mma = sm80::MmaOp<typename Traits::Element>;
#pragma unroll
  for (int n = 0; n < Traits::kBlockK / 8; ++n)
#pragma unroll
    for (int c = 0; c < 4; ++c) s[n][c] = 0.0f;
  const uint32_t base = sm80::smem_addr(sK);
  const int matrix = lane / 8;  // 0: keys 0-7 k 0-7, 1: keys 0-7 k 8-15, 2: keys 8-15 k 0-7, 3: keys 8-15 k 8-15
#pragma unroll
  for (int kk = 0; kk < Traits::kHeadDim / 16; ++kk) {
#pragma unroll
    for (int np = 0; np < Traits::kBlockK / 16; ++np) {
      const int key = np * 16 + (matrix / 2) * 8 + lane % 8;
      uint32_t b[4];
      sm80::ldmatrix_x4(b, base + swizzled_offset<Traits::kHeadDim>(key, 2 * kk + matrix % 2) * 2);
      Mma::run(s[2 * np], q_frag[kk], b[0], b[1]);
      Mma::run(s[2 * np + 1], q_frag[kk], b[2], b[3]);
    }
  }
}

// o: (16, HEAD_DIM) += P (16, BLK_K) @ V, P the probabilities in s (the C fragments of two adjacent
// n-tiles are exactly one A fragment), V the (BLK_K, HEAD_DIM) tile read transposed.
template <typename Traits>
__device__ __forceinline__ void pv_product(float (&o)[Traits::kHeadDim / 8][4], const float (&s)[Traits::kBlockK / 8][4],
                                           const typename Traits::Element* sV, int lane) {
  using Element = typename Traits::Element;
  using Mma = sm80::MmaOp<Element>;
  const uint32_t base = sm80::smem_addr(sV);
  const int matrix = lane / 8;  // 0: keys 0-7 d 0-7, 1: keys 8-15 d 0-7, 2: keys 0-7 d 8-15, 3: keys 8-15 d 8-15
#pragma unroll
  for (int ks = 0; ks < Traits::kBlockK / 16; ++ks) {
    uint32_t p[4];  // (16, 16) A fragment of P
    p[0] = pack2<Element>(s[2 * ks][0], s[2 * ks][1]);
    p[1] = pack2<Element>(s[2 * ks][2], s[2 * ks][3]);
    p[2] = pack2<Element>(s[2 * ks + 1][0], s[2 * ks + 1][1]);
    p[3] = pack2<Element>(s[2 * ks + 1][2], s[2 * ks + 1][3]);
    const int key = ks * 16 + (matrix % 2) * 8 + lane % 8;
#pragma unroll
    for (int dp = 0; dp < Traits::kHeadDim / 16; ++dp) {
      uint32_t b[4];
      sm80::ldmatrix_x4_trans(b, base + swizzled_offset<Traits::kHeadDim>(key, 2 * dp + matrix / 2) * 2);
      Mma::run(o[2 * dp], p, b[0], b[1]);
      Mma::run(o[2 * dp + 1], p, b[2], b[3]);
    }
  }
}

}  // namespace radial::cuda::portable
