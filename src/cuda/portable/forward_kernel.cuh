#pragma once
// The portable (sm_80+) block-sparse attention forward: one CTA per (query block, head, batch),
// FA2-style. The CTA walks only the key blocks its CSR row keeps, two 64-key tiles per block,
// double-buffered with cp.async, with the online softmax in fp32 registers.
#include <cmath>
#include <cstdint>

#include "common/forward_params.hpp"
#include "common/online_softmax.cuh"
#include "common/sm80_primitives.cuh"
#include "common/valid_keys.cuh"
#include "portable/forward_epilogue.cuh"
#include "portable/forward_load.cuh"
#include "portable/forward_mma.cuh"
#include "portable/forward_traits.cuh"

namespace radial::cuda::portable {

template <typename Traits>
__global__ void __launch_bounds__(Traits::kThreads, Traits::kMinBlocksPerSm)
    forward_kernel(const __grid_constant__ ForwardParams p) {
  using Element = typename Traits::Element;
  constexpr int D = Traits::kHeadDim;
  constexpr int BLK_K = Traits::kBlockK;
  constexpr int kTilesPerBlock = 128 / BLK_K;

  extern __shared__ __align__(128) unsigned char smem_raw[];
  Element* sQ = reinterpret_cast<Element*>(smem_raw);   // (BLK_Q, D)
  Element* sK = sQ + Traits::kBlockQ * D;                // (STAGES, BLK_K, D)
  Element* sV = sK + Traits::kStages * BLK_K * D;        // (STAGES, BLK_K, D)

  const int q_block = blockIdx.x;
  const int head = blockIdx.y;
  const int batch = blockIdx.z;
  const int tid = threadIdx.x;
  const int warp = tid / 32;
  const int lane = tid % 32;

  const int kv_limit = valid_keys(p, batch);
  const int row_begin = p.row_offsets[q_block];
  const int row_end = p.row_offsets[q_block + 1];
  auto tile_key0 = [&](int tile) {
    return p.col_indices[row_begin + tile / kTilesPerBlock] * 128 + (tile % kTilesPerBlock) * BLK_K;
  };
  // Column indices ascend, so tiles that start at or past the valid length are all at the end.
  int num_tiles = (row_end - row_begin) * kTilesPerBlock;
  while (num_tiles > 0 && tile_key0(num_tiles - 1) >= kv_limit) --num_tiles;

  const Element* q = static_cast<const Element*>(p.q) + batch * p.q_stride_b + head * p.q_stride_h;
  const Element* k = static_cast<const Element*>(p.k) + batch * p.k_stride_b + head * p.k_stride_h;
  const Element* v = static_cast<const Element*>(p.v) + batch * p.v_stride_b + head * p.v_stride_h;
  const int q0 = q_block * Traits::kBlockQ;

  auto load_kv = [&](int tile, int stage) {
    const int key0 = tile_key0(tile);
    load_tile_async<Traits, BLK_K>(sK + stage * BLK_K * D, k, p.k_stride_s, key0, kv_limit, tid);
    load_tile_async<Traits, BLK_K>(sV + stage * BLK_K * D, v, p.v_stride_s, key0, kv_limit, tid);
  };

  load_tile_async<Traits, Traits::kBlockQ>(sQ, q, p.q_stride_s, q0, p.seq_len, tid);
  if (num_tiles > 0) load_kv(0, 0);
  sm80::cp_async_commit();

  float o[D / 8][4];  // (16, D) this warp's output rows, fp32
#pragma unroll
  for (int d = 0; d < D / 8; ++d)
#pragma unroll
    for (int c = 0; c < 4; ++c) o[d][c] = 0.0f;
  OnlineSoftmax<BLK_K / 8, D / 8> softmax;
  softmax.init();
  uint32_t q_frag[D / 16][4];  // (16, D) A fragments, loaded once

  for (int tile = 0; tile < num_tiles; ++tile) {
    const int stage = tile % Traits::kStages;
    sm80::cp_async_wait<0>();
    // Tile `tile` is visible to all warps, and every warp is done with the stage the next load reuses.
    __syncthreads();
    if (tile + 1 < num_tiles) {
      load_kv(tile + 1, (tile + 1) % Traits::kStages);
      sm80::cp_async_commit();
    }
    if (tile == 0) load_q_fragments<Traits>(q_frag, sQ, warp, lane);

    float s[BLK_K / 8][4];  // (16, BLK_K) scores
    qk_product<Traits>(s, q_frag, sK + stage * BLK_K * D, lane);
    const int key0 = tile_key0(tile);
    if (key0 + BLK_K > kv_limit) {  // the partial last block, or the batch's valid length inside it
#pragma unroll
      for (int n = 0; n < BLK_K / 8; ++n)
#pragma unroll
        for (int c = 0; c < 4; ++c)
          if (key0 + n * 8 + 2 * (lane % 4) + (c % 2) >= kv_limit) s[n][c] = -INFINITY;
    }
    softmax.update(s, o, p.scale_log2);
    pv_product<Traits>(o, s, sV + stage * BLK_K * D, lane);
  }

  softmax.finalize();
  // A row with no tiles still has its Q copy in flight; the epilogue reuses that shared memory.
  sm80::cp_async_wait<0>();
  __syncthreads();
  store_output<Traits>(p, o, softmax, sQ, batch, head, q0, warp, lane);
}

}  // namespace radial::cuda::portable
