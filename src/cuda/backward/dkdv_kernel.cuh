#pragma once
// dK and dV of the portable (sm_80+) block-sparse backward: one CTA per (key block, head, batch).
// The CTA walks only the query blocks its CSC column keeps, two 64-query tiles per block,
// double-buffered with cp.async, recomputing P^T = exp(S^T * scale - LSE) from the forward's LSE:
//   dV += P^T dO,   dP^T = V dO^T,   dS^T = P^T * (dP^T - delta),   dK += dS^T Q (times scale at the end).
// Each key's gradient row lives in one warp's registers from start to end: no atomics.
#include <cmath>
#include <cstdint>

#include "backward/backward_epilogue.cuh"
#include "backward/backward_mma.cuh"
#include "backward/backward_params.hpp"
#include "backward/backward_traits.cuh"
#include "common/online_softmax.cuh"
#include "common/sm80_primitives.cuh"
#include "common/valid_keys.cuh"
#include "portable/forward_load.cuh"
#include "portable/forward_mma.cuh"

namespace radial::cuda::portable {

// Copies `count` floats (a multiple of 4) from global to shared memory, 16 bytes per thread.
template <int COUNT>
__device__ __forceinline__ void load_floats_async(float* dst, const float* src, int tid) {
  static_assert(COUNT % 4 == 0, "16-byte chunks");
  if (tid < COUNT / 4) sm80::cp_async_16(sm80::smem_addr(dst + 4 * tid), src + 4 * tid, true);
}

template <typename Traits>
__global__ void __launch_bounds__(Traits::kThreads, Traits::kMinBlocksPerSm)
    dkdv_kernel(const __grid_constant__ BackwardParams p) {
  using Element = typename Traits::Element;
  using Shape = ProductShape<Element, Traits::kHeadDim, Traits::kTileQ>;
  constexpr int D = Traits::kHeadDim;
  constexpr int TILE_Q = Traits::kTileQ;
  constexpr int kTilesPerBlock = 128 / TILE_Q;

  extern __shared__ __align__(128) unsigned char smem_raw[];
  Element* sK = reinterpret_cast<Element*>(smem_raw);  // (BLK_K, D)
  Element* sV = sK + Traits::kBlockK * D;               // (BLK_K, D)
  Element* sQ = sV + Traits::kBlockK * D;               // (STAGES, TILE_Q, D)
  Element* sdO = sQ + Traits::kStages * TILE_Q * D;     // (STAGES, TILE_Q, D)
  float* sLse = reinterpret_cast<float*>(sdO + Traits::kStages * TILE_Q * D);  // (STAGES, TILE_Q) log2 domain
  float* sDelta = sLse + Traits::kStages * TILE_Q;                            // (STAGES, TILE_Q)

  const int k_block = blockIdx.x;
  const int head = blockIdx.y;
  const int batch = blockIdx.z;
  const int tid = threadIdx.x;
  const int warp = tid / 32;
  const int lane = tid % 32;

  const int kv_limit = valid_keys(p, batch);
  const int k0 = k_block * Traits::kBlockK;
  const int col_begin = p.col_offsets[k_block];
  auto tile_query0 = [&](int tile) {
    return p.row_indices[col_begin + tile / kTilesPerBlock] * 128 + (tile % kTilesPerBlock) * TILE_Q;
  };
  // A key block wholly past the valid length gets zero gradients without visiting anything; row
  // indices ascend, so query tiles that start past the sequence end (partial last block) are last.
  int num_tiles = k0 < kv_limit ? (p.col_offsets[k_block + 1] - col_begin) * kTilesPerBlock : 0;
  while (num_tiles > 0 && tile_query0(num_tiles - 1) >= p.seq_len) --num_tiles;

  const Element* q = static_cast<const Element*>(p.q) + batch * p.q_stride_b + head * p.q_stride_h;
  const Element* dout = static_cast<const Element*>(p.dout) + batch * p.do_stride_b + head * p.do_stride_h;
  const int64_t row_stats = (static_cast<int64_t>(batch) * p.heads + head) * p.padded_len;

  auto load_tile = [&](int tile, int stage) {
    const int query0 = tile_query0(tile);
    load_tile_async<Traits, TILE_Q>(sQ + stage * TILE_Q * D, q, p.q_stride_s, query0, p.seq_len, tid);
    load_tile_async<Traits, TILE_Q>(sdO + stage * TILE_Q * D, dout, p.do_stride_s, query0, p.seq_len, tid);
    load_floats_async<TILE_Q>(sLse + stage * TILE_Q, p.lse_log2 + row_stats + query0, tid);
    load_floats_async<TILE_Q>(sDelta + stage * TILE_Q, p.delta + row_stats + query0, tid);
  };

  if (num_tiles > 0) {
    // Keys at or past the sequence end enter as zeros; keys past kv_limit are masked in P below.
    const Element* k = static_cast<const Element*>(p.k) + batch * p.k_stride_b + head * p.k_stride_h;
    const Element* v = static_cast<const Element*>(p.v) + batch * p.v_stride_b + head * p.v_stride_h;
    load_tile_async<Traits, Traits::kBlockK>(sK, k, p.k_stride_s, k0, p.seq_len, tid);
    load_tile_async<Traits, Traits::kBlockK>(sV, v, p.v_stride_s, k0, p.seq_len, tid);
    load_tile(0, 0);
  }
  sm80::cp_async_commit();

  float dk[D / 8][4];  // (16, D) this warp's keys, fp32
  float dv[D / 8][4];  // (16, D)
#pragma unroll
  for (int d = 0; d < D / 8; ++d)
#pragma unroll
    for (int c = 0; c < 4; ++c) dk[d][c] = dv[d][c] = 0.0f;

  // This thread's two key rows (g and g + 8 of the warp's 16): past kv_limit they get no weight.
  const int key_row = k0 + warp * 16 + lane / 4;
  const bool key_valid[2] = {key_row < kv_limit, key_row + 8 < kv_limit};

  for (int tile = 0; tile < num_tiles; ++tile) {
    const int stage = tile % Traits::kStages;
    sm80::cp_async_wait<0>();
    // Tile `tile` is visible to all warps, and every warp is done with the stage the next load reuses.
    __syncthreads();
    if (tile + 1 < num_tiles) {
      load_tile(tile + 1, (tile + 1) % Traits::kStages);
      sm80::cp_async_commit();
    }
    const Element* sQ_tile = sQ + stage * TILE_Q * D;    // (TILE_Q, D)
    const Element* sdO_tile = sdO + stage * TILE_Q * D;  // (TILE_Q, D)
    const float* lse_tile = sLse + stage * TILE_Q;       // (TILE_Q)
    const float* delta_tile = sDelta + stage * TILE_Q;   // (TILE_Q)

    float pt[TILE_Q / 8][4];  // (16, TILE_Q) S^T, then P^T
    product_abt_smem<Shape>(pt, sK, warp * 16, sQ_tile, lane);
#pragma unroll
    for (int n = 0; n < TILE_Q / 8; ++n) {
      const float2 lse = *reinterpret_cast<const float2*>(lse_tile + n * 8 + 2 * (lane % 4));
#pragma unroll
      for (int c = 0; c < 4; ++c) {
        const float row_lse = c % 2 ? lse.y : lse.x;
        pt[n][c] = key_valid[c / 2] ? fast_exp2(fmaf(pt[n][c], p.scale_log2, -row_lse)) : 0.0f;
      }
    }
    pv_product<Shape>(dv, pt, sdO_tile, lane);

    float dst[TILE_Q / 8][4];  // (16, TILE_Q) dP^T, then dS^T
    product_abt_smem<Shape>(dst, sV, warp * 16, sdO_tile, lane);
#pragma unroll
    for (int n = 0; n < TILE_Q / 8; ++n) {
      const float2 delta = *reinterpret_cast<const float2*>(delta_tile + n * 8 + 2 * (lane % 4));
#pragma unroll
      for (int c = 0; c < 4; ++c) dst[n][c] = pt[n][c] * (dst[n][c] - (c % 2 ? delta.y : delta.x));
    }
    pv_product<Shape>(dk, dst, sQ_tile, lane);
  }
  sm80::cp_async_wait<0>();

  const int warp_row0 = k0 + warp * 16;
  Element* dk_slice = static_cast<Element*>(p.dk) + batch * p.dk_stride_b + head * p.dk_stride_h;
  Element* dv_slice = static_cast<Element*>(p.dv) + batch * p.dv_stride_b + head * p.dv_stride_h;
  store_gradient_rows<Element, D>(dk_slice, p.dk_stride_s, warp_row0, p.seq_len, dk, p.scale, lane);
  store_gradient_rows<Element, D>(dv_slice, p.dv_stride_s, warp_row0, p.seq_len, dv, 1.0f, lane);
}

}  // namespace radial::cuda::portable
