#pragma once
// dQ of the portable (sm_80+) block-sparse backward: one CTA per (query block, head, batch), the
// forward's shape. The CTA walks the key blocks its CSR row keeps in 64-key tiles, double-buffered
// with cp.async, and recomputes
//   S = Q K^T,   P = exp(S * scale - LSE),   dP = dO V^T,   dS = P * (dP - delta),   dQ += dS K
// (times scale at the end). Each query row's dQ lives in one warp's registers: no atomics, so the
// result is bit-identical from run to run (the deterministic mode, and for now the only one).
#include <cmath>
#include <cstdint>

#include "backward/backward_epilogue.cuh"
#include "backward/backward_params.hpp"
#include "backward/backward_traits.cuh"
#include "common/online_softmax.cuh"
#include "common/sm80_primitives.cuh"
#include "common/valid_keys.cuh"
#include "portable/forward_load.cuh"
#include "portable/forward_mma.cuh"

namespace radial::cuda::portable {

template <typename Traits>
__global__ void __launch_bounds__(Traits::kThreads, Traits::kMinBlocksPerSm)
    dq_kernel(const __grid_constant__ BackwardParams p) {
  using Element = typename Traits::Element;
  using Shape = ProductShape<Element, Traits::kHeadDim, Traits::kTileK>;
  constexpr int D = Traits::kHeadDim;
  constexpr int TILE_K = Traits::kTileK;
  constexpr int kTilesPerBlock = 128 / TILE_K;

  extern __shared__ __align__(128) unsigned char smem_raw[];
  Element* sQ = reinterpret_cast<Element*>(smem_raw);  // (BLK_Q, D)
  Element* sdO = sQ + Traits::kBlockQ * D;              // (BLK_Q, D)
  Element* sK = sdO + Traits::kBlockQ * D;              // (STAGES, TILE_K, D)
  Element* sV = sK + Traits::kStages * TILE_K * D;      // (STAGES, TILE_K, D)

  const int q_block = blockIdx.x;
  const int head = blockIdx.y;
  const int batch = blockIdx.z;
  const int tid = threadIdx.x;
  const int warp = tid / 32;
  const int lane = tid % 32;

  const int kv_limit = valid_keys(p, batch);
  const int row_begin = p.row_offsets[q_block];
  auto tile_key0 = [&](int tile) {
    return p.col_indices[row_begin + tile / kTilesPerBlock] * 128 + (tile % kTilesPerBlock) * TILE_K;
  };
  // Column indices ascend, so tiles that start at or past the valid length are all at the end.
  int num_tiles = (p.row_offsets[q_block + 1] - row_begin) * kTilesPerBlock;
  while (num_tiles > 0 && tile_key0(num_tiles - 1) >= kv_limit) --num_tiles;

  const Element* k = static_cast<const Element*>(p.k) + batch * p.k_stride_b + head * p.k_stride_h;
  const Element* v = static_cast<const Element*>(p.v) + batch * p.v_stride_b + head * p.v_stride_h;
  const int q0 = q_block * Traits::kBlockQ;

  auto load_kv = [&](int tile, int stage) {
    const int key0 = tile_key0(tile);
    load_tile_async<Traits, TILE_K>(sK + stage * TILE_K * D, k, p.k_stride_s, key0, kv_limit, tid);
    load_tile_async<Traits, TILE_K>(sV + stage * TILE_K * D, v, p.v_stride_s, key0, kv_limit, tid);
  };

  if (num_tiles > 0) {
    const Element* q = static_cast<const Element*>(p.q) + batch * p.q_stride_b + head * p.q_stride_h;
    const Element* dout = static_cast<const Element*>(p.dout) + batch * p.do_stride_b + head * p.do_stride_h;
    load_tile_async<Traits, Traits::kBlockQ>(sQ, q, p.q_stride_s, q0, p.seq_len, tid);
    load_tile_async<Traits, Traits::kBlockQ>(sdO, dout, p.do_stride_s, q0, p.seq_len, tid);
    load_kv(0, 0);
  }
  sm80::cp_async_commit();

  // This thread's two query rows (g and g + 8 of the warp's 16), log2-domain LSE and delta.
  const int64_t row_stats = (static_cast<int64_t>(batch) * p.heads + head) * p.padded_len + q0 + warp * 16 + lane / 4;
  const float row_lse[2] = {p.lse_log2[row_stats], p.lse_log2[row_stats + 8]};
  const float row_delta[2] = {p.delta[row_stats], p.delta[row_stats + 8]};

  float dq[D / 8][4];  // (16, D) this warp's query rows, fp32
#pragma unroll
  for (int d = 0; d < D / 8; ++d)
#pragma unroll
    for (int c = 0; c < 4; ++c) dq[d][c] = 0.0f;
  uint32_t q_frag[D / 16][4];   // (16, D) A fragments, loaded once
  uint32_t do_frag[D / 16][4];  // (16, D)

  for (int tile = 0; tile < num_tiles; ++tile) {
    const int stage = tile % Traits::kStages;
    sm80::cp_async_wait<0>();
    // Tile `tile` is visible to all warps, and every warp is done with the stage the next load reuses.
    __syncthreads();
    if (tile + 1 < num_tiles) {
      load_kv(tile + 1, (tile + 1) % Traits::kStages);
      sm80::cp_async_commit();
    }
    if (tile == 0) {
      load_q_fragments<Shape>(q_frag, sQ, warp, lane);
      load_q_fragments<Shape>(do_frag, sdO, warp, lane);
    }
    const Element* sK_tile = sK + stage * TILE_K * D;  // (TILE_K, D)
    const Element* sV_tile = sV + stage * TILE_K * D;  // (TILE_K, D)

    float ds[TILE_K / 8][4];  // (16, TILE_K) S, then P, then dS
    float dp[TILE_K / 8][4];  // (16, TILE_K) dP
    qk_product<Shape>(ds, q_frag, sK_tile, lane);
    qk_product<Shape>(dp, do_frag, sV_tile, lane);
    const int key0 = tile_key0(tile);
#pragma unroll
    for (int n = 0; n < TILE_K / 8; ++n) {
#pragma unroll
      for (int c = 0; c < 4; ++c) {
        const bool valid = key0 + n * 8 + 2 * (lane % 4) + (c % 2) < kv_limit;
        const float prob = valid ? fast_exp2(fmaf(ds[n][c], p.scale_log2, -row_lse[c / 2])) : 0.0f;
        ds[n][c] = prob * (dp[n][c] - row_delta[c / 2]);
      }
    }
    pv_product<Shape>(dq, ds, sK_tile, lane);
  }
  sm80::cp_async_wait<0>();

  Element* dq_slice = static_cast<Element*>(p.dq) + batch * p.dq_stride_b + head * p.dq_stride_h;
  store_gradient_rows<Element, D>(dq_slice, p.dq_stride_s, q0 + warp * 16, p.seq_len, dq, p.scale, lane);
}

}  // namespace radial::cuda::portable
