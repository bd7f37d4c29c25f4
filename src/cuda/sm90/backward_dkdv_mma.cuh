#pragma once
// The warpgroup-level products of the Hopper dK/dV kernel on wgmma (issue only: callers commit and
// wait), and the hand-over of dS^T through shared memory to the dQ product.
#include <cstdint>

#include "sm90/backward_dkdv_traits.cuh"
#include "sm90/forward_epilogue.cuh"
#include "sm90/primitives.cuh"
#include "sm90/wgmma.cuh"

namespace radial::cuda::sm90 {

// acc (64 keys, 64 queries) = rows key_row0 .. + 63 of a (BLK_K, D) tile @ the (64, D) tile^T.
template <typename Traits>
__device__ __forceinline__ void issue_keys_by_tile(float (&acc)[8][4], const unsigned char* keys, int key_row0,
                                                   const unsigned char* tile) {
  const uint32_t a = opaque_smem_addr(keys) + key_row0 * 128, b = opaque_smem_addr(tile);
#pragma unroll
  for (int ks = 0; ks < Traits::kHeadDim / 16; ++ks) {
    const int half = ks / 4;
    const int step_bytes = (ks % 4) * 32;
    const uint64_t desc_a = smem_descriptor(a + half * Traits::kHalfBytesKV + step_bytes, 16, 1024);
    const uint64_t desc_b = smem_descriptor(b + half * Traits::kHalfBytesTile + step_bytes, 16, 1024);
    wgmma_ss<typename Traits::Element>(acc, desc_a, desc_b, ks > 0);
  }
}

// acc (64 keys, D) += A (64 keys, 64 queries, registers) @ the (64 queries, D) tile read MN-major.
template <typename Traits>
__device__ __forceinline__ void issue_fragments_by_tile(float (&acc)[Traits::kHeadDim / 8][4],
                                                        const uint32_t (&a)[Traits::kTileQ / 16][4],
                                                        const unsigned char* tile) {
  const uint32_t b = opaque_smem_addr(tile);
#pragma unroll
  for (int ks = 0; ks < Traits::kTileQ / 16; ++ks) {
    const uint64_t desc_b = smem_descriptor(b + ks * 16 * 128, Traits::kHalfBytesTile, 1024);
    wgmma_rs<typename Traits::Element, 1>(acc, a[ks], desc_b, 1);
  }
}

// dq (64 queries, D) = dS (64 queries, BLK_K keys) @ K (BLK_K, D): dS^T and K both read MN-major, K's
// two 64-column halves kHalfBytesKV apart.
template <typename Traits>
__device__ __forceinline__ void issue_dq(float (&dq)[Traits::kHeadDim / 8][4], const unsigned char* ds,
                                         const unsigned char* k) {
  const uint32_t a = opaque_smem_addr(ds), b = opaque_smem_addr(k);
#pragma unroll
  for (int ks = 0; ks < Traits::kBlockK / 16; ++ks) {
    const uint64_t desc_a = smem_descriptor(a + ks * 16 * 128, Traits::kDsBytes, 1024);
    const uint64_t desc_b = smem_descriptor(b + ks * 16 * 128, Traits::kHalfBytesKV, 1024);
    wgmma_ss<typename Traits::Element, 1, 1>(dq, desc_a, desc_b, ks > 0);
  }
}

// dS^T fragments (this thread's rows g and g + 8 of its warp's 16 keys) into the (BLK_K keys, 64
// queries) swizzled tile: fragment [ks][j] holds queries 16 ks + 8 (j / 2) + 2 t .. + 1 of row g + 8 (j % 2).
template <typename Traits>
__device__ __forceinline__ void store_ds(unsigned char* ds, const uint32_t (&frag)[Traits::kTileQ / 16][4], int key_row0,
                                         int lane) {
  lane = opaque(lane);
  const int g = lane / 4, t = lane % 4;
#pragma unroll
  for (int ks = 0; ks < Traits::kTileQ / 16; ++ks)
#pragma unroll
    for (int j = 0; j < 4; ++j) {
      const int row = key_row0 + g + 8 * (j % 2);
      const int chunk = 2 * ks + j / 2;
      *reinterpret_cast<uint32_t*>(ds + swizzled_byte_offset<Traits::kBlockK>(row, chunk) + 4 * t) = frag[ks][j];
    }
}

}  // namespace radial::cuda::sm90
