#pragma once
// The warpgroup-level products of one key block on wgmma: S = Q K^T (Q from registers or shared memory,
// K from shared memory) and O += P V (P from registers, V read MN-major from shared memory). Both only
// issue: the caller commits and waits, so that one product can run while the softmax of another proceeds.
#include <cmath>
#include <cstdint>

#include "common/pack.cuh"
#include "common/sm80_primitives.cuh"
#include "sm90/forward_traits.cuh"
#include "sm90/primitives.cuh"
#include "sm90/wgmma.cuh"

namespace radial::cuda::sm90 {

// s: (64, BLK_K) per warpgroup = Q rows row0 .. row0 + 63 of the (BLK_Q, D) tile @ K^T, both from shared
// memory (the deterministic dQ kernel's S and dP).
template <typename Traits>
__device__ __forceinline__ void issue_qk(float (&s)[Traits::kBlockK / 8][4], const unsigned char* q,
                                         const unsigned char* k, int row0) {
#pragma unroll
  for (int ks = 0; ks < Traits::kHeadDim / 16; ++ks) {
    // k-step ks covers head-dim columns 16 ks .. 16 ks + 15: half ks / 4, 32 bytes per step inside it.
    const int half = ks / 4;
    const int step_bytes = (ks % 4) * 32;
    const uint64_t desc_q = smem_descriptor(q + half * Traits::kHalfBytesQ + row0 * 128 + step_bytes, 16, 1024);
    const uint64_t desc_k = smem_descriptor(k + half * Traits::kHalfBytesKV + step_bytes, 16, 1024);
    wgmma_ss<typename Traits::Element>(s, desc_q, desc_k, ks > 0);
  }
}

// The forward keeps its warpgroup's Q rows in registers for the whole row: S = Q K^T then reads only K
// from shared memory. Measured on an H100 (bench/results/2026-11-25-gpu-kernels.md, section 7): 2 - 5 %
// faster at every anchor shape than reading Q from shared memory for each key block.

// q_frag: this warp's 16 of the warpgroup's 64 Q rows (row0 ..) as wgmma A fragments, one per 16
// head-dim columns, read once from the swizzled (HALVES, BLK_Q, 64) tile.
template <typename Traits>
__device__ __forceinline__ void load_q_fragments(uint32_t (&q_frag)[Traits::kHeadDim / 16][4], const unsigned char* q,
                                                 int row0, int warp, int lane) {
  const uint32_t base = smem_addr(q);
  const int matrix = lane / 8;  // 0: rows 0-7 k 0-7, 1: rows 8-15 k 0-7, 2: rows 0-7 k 8-15, 3: rows 8-15 k 8-15
  const int row = row0 + warp * 16 + (matrix % 2) * 8 + lane % 8;
#pragma unroll
  for (int ks = 0; ks < Traits::kHeadDim / 16; ++ks) {
    const int chunk = 2 * ks + matrix / 2;  // 16-byte chunk of the row, 0 .. D / 8 - 1
    const uint32_t offset = (chunk / 8) * Traits::kHalfBytesQ + row * 128 + (((chunk % 8) ^ (row % 8)) << 4);
    sm80::ldmatrix_x4(q_frag[ks], base + offset);
  }
}

// s: (64, BLK_K) per warpgroup = Q (its q_frag rows) @ K^T.
template <typename Traits>
__device__ __forceinline__ void issue_qk(float (&s)[Traits::kBlockK / 8][4],
                                         const uint32_t (&q_frag)[Traits::kHeadDim / 16][4], const unsigned char* k) {
#pragma unroll
  for (int ks = 0; ks < Traits::kHeadDim / 16; ++ks) {
    const int half = ks / 4;
    const int step_bytes = (ks % 4) * 32;
    const uint64_t desc_k = smem_descriptor(k + half * Traits::kHalfBytesKV + step_bytes, 16, 1024);
    wgmma_rs<typename Traits::Element, 0>(s, q_frag[ks], desc_k, ks > 0);
  }
}

// o: (64, D) per warpgroup += P (64, BLK_K) @ V (BLK_K, D).
template <typename Traits>
__device__ __forceinline__ void issue_pv(float (&o)[Traits::kHeadDim / 8][4], const uint32_t (&prob)[Traits::kBlockK / 16][4],
                                         const unsigned char* v) {
#pragma unroll
  for (int ks = 0; ks < Traits::kBlockK / 16; ++ks) {
    // 16 keys per step: 16 rows of 128 bytes in each half; the halves are kHalfBytesKV apart.
    const uint64_t desc_v = smem_descriptor(v + ks * 16 * 128, Traits::kHalfBytesKV, 1024);
    wgmma_rs<typename Traits::Element, 1>(o, prob[ks], desc_v, 1);
  }
}

// Keys at or past kv_limit get no weight (the partial last block, or the batch's valid length).
template <int N_TILES>
__device__ __forceinline__ void mask_scores(float (&s)[N_TILES][4], int key0, int kv_limit, int lane) {
  if (key0 + N_TILES * 8 <= kv_limit) return;
#pragma unroll
  for (int n = 0; n < N_TILES; ++n)
#pragma unroll
    for (int c = 0; c < 4; ++c)
      if (key0 + n * 8 + 2 * (lane % 4) + (c % 2) >= kv_limit) s[n][c] = -INFINITY;
}

// P (64, BLK_K) as wgmma A fragments, one per 16-key step: the accumulator fragments of two adjacent
// 8-key tiles are exactly one A fragment.
template <typename Element, int N_TILES>
__device__ __forceinline__ void to_prob_fragments(uint32_t (&prob)[N_TILES / 2][4], const float (&s)[N_TILES][4]) {
#pragma unroll
  for (int ks = 0; ks < N_TILES / 2; ++ks) {
    prob[ks][0] = pack2<Element>(s[2 * ks][0], s[2 * ks][1]);
    prob[ks][1] = pack2<Element>(s[2 * ks][2], s[2 * ks][3]);
    prob[ks][2] = pack2<Element>(s[2 * ks + 1][0], s[2 * ks + 1][1]);
    prob[ks][3] = pack2<Element>(s[2 * ks + 1][2], s[2 * ks + 1][3]);
  }
}

// Keeps the compiler from reusing the registers of P while an issued wgmma still reads them.
template <int N>
__device__ __forceinline__ void fence_fragment(uint32_t (&a)[N][4]) {
#pragma unroll
  for (int n = 0; n < N; ++n)
#pragma unroll
    for (int c = 0; c < 4; ++c) asm volatile("" : "+r"(a[n][c])::"memory");
}

}  // namespace radial::cuda::sm90
