#pragma once
// The loads of the Hopper dK/dV kernel, issued by one thread: the key block's K and V once, and per
// 64-query tile of its CSC column Q and dO (TMA, 64-row boxes) with their lse_log2 and delta (bulk
// copies of 256 bytes), into a two-stage ring whose stages the dK/dV warpgroups release.
#include <cstdint>

#include "backward/backward_params.hpp"
#include "sm90/backward_dkdv_traits.cuh"
#include "sm90/backward_tma_params.hpp"
#include "sm90/bulk_copy.cuh"
#include "sm90/primitives.cuh"

namespace radial::cuda::sm90 {

template <typename Traits>
__device__ __forceinline__ int tile_query0(const BackwardParams& p, int col_begin, int tile) {
  return p.row_indices[col_begin + tile / Traits::kTilesPerBlock] * 128 + (tile % Traits::kTilesPerBlock) * Traits::kTileQ;
}

template <typename Traits>
__device__ __forceinline__ void load_keys(const BackwardTmaParams& params, BackwardDkDvStorage<Traits>& smem, int k_block,
                                          int head, int batch) {
  prefetch_tensor_map(&params.q);
  prefetch_tensor_map(&params.k);
  prefetch_tensor_map(&params.v);
  prefetch_tensor_map(&params.dout);
  const int key0 = k_block * Traits::kBlockK;
  mbarrier_arrive_expect_tx(&smem.kv_full, 2 * Traits::kKVBytes);
  tma_load_tile<Traits::kHalves>(smem.k, Traits::kHalfBytesKV, &params.k, &smem.kv_full, key0, head, batch);
  tma_load_tile<Traits::kHalves>(smem.v, Traits::kHalfBytesKV, &params.v, &smem.kv_full, key0, head, batch);
}

// Tile `tile` into its stage, once the dK/dV warpgroups have released the tile two before it.
template <typename Traits>
__device__ __forceinline__ void load_tile(const BackwardTmaParams& params, BackwardDkDvStorage<Traits>& smem, int head,
                                          int batch, int col_begin, int tile) {
  const BackwardParams& p = params.p;
  const int stage = tile % Traits::kStages;
  const int query0 = tile_query0<Traits>(p, col_begin, tile);
  const int64_t row_stats = (static_cast<int64_t>(batch) * p.heads + head) * p.padded_len;
  if (tile >= Traits::kStages) mbarrier_wait(&smem.tile_empty[stage], ((tile / Traits::kStages) - 1) & 1);
  mbarrier_arrive_expect_tx(&smem.q_full[stage], Traits::kTileBytes + Traits::kStatBytes);
  tma_load_tile<Traits::kHalves>(smem.q[stage], Traits::kHalfBytesTile, &params.q, &smem.q_full[stage], query0, head,
                                 batch);
  bulk_load(smem.lse_log2[stage], p.lse_log2 + row_stats + query0, Traits::kStatBytes, &smem.q_full[stage]);
  mbarrier_arrive_expect_tx(&smem.dout_full[stage], Traits::kTileBytes + Traits::kStatBytes);
  tma_load_tile<Traits::kHalves>(smem.dout[stage], Traits::kHalfBytesTile, &params.dout, &smem.dout_full[stage], query0,
                                 head, batch);
  bulk_load(smem.delta[stage], p.delta + row_stats + query0, Traits::kStatBytes, &smem.dout_full[stage]);
}

}  // namespace radial::cuda::sm90
