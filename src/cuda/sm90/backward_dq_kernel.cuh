#pragma once
// dQ of the block-sparse backward on Hopper (sm_90a), in the forward's shape: one CTA per (query
// block, head, batch) with three warpgroups. Warpgroup 0 produces: one thread TMA-loads Q and dO of
// the query block once, then K and V of exactly the kept key blocks (CSR row) into a two-stage ring
// guarded by mbarriers. Warpgroups 1 and 2 each own 64 query rows and recompute, per key block,
//   S = Q K^T,   P = exp2(S * scale_log2 - lse_log2),   dP = dO V^T,   dS = P * (dP - delta),
//   dQ += dS K
// on wgmma (S and dP from shared memory, dS from registers against K read MN-major), times scale at
// the end. Each query row's dQ lives in one warpgroup's registers: no atomics, so the result is
// bit-identical from run to run (the deterministic mode). Same inputs and outputs as the portable
// dq_kernel (backward/dq_kernel.cuh), which runs on every other GPU.
#include <cmath>
#include <cstdint>

#include "backward/backward_epilogue.cuh"
#include "backward/backward_params.hpp"
#include "common/valid_keys.cuh"
#include "sm90/backward_dq_score_gradient.cuh"
#include "sm90/backward_dq_traits.cuh"
#include "sm90/backward_tma_params.hpp"
#include "sm90/forward_mma.cuh"
#include "sm90/kept_row.cuh"
#include "sm90/primitives.cuh"

namespace radial::cuda::sm90 {

template <typename Traits>
__device__ __forceinline__ void produce_dq_tiles(const BackwardTmaParams& params,
                                                 BackwardDqSharedStorage<Traits>& smem, int q_block, int head,
                                                 int batch, int row_begin, int num_tiles) {
  const BackwardParams& p = params.p;
  prefetch_tensor_map(&params.q);
  prefetch_tensor_map(&params.dout);
  prefetch_tensor_map(&params.k);
  prefetch_tensor_map(&params.v);
  // Rows past the sequence end arrive as zeros and still count their bytes.
  mbarrier_arrive_expect_tx(&smem.q_dout_full, 2 * Traits::kQBytes);
  tma_load_tile<Traits::kHalves>(smem.q, Traits::kHalfBytesQ, &params.q, &smem.q_dout_full, q_block * Traits::kBlockQ,
                                 head, batch);
  tma_load_tile<Traits::kHalves>(smem.dout, Traits::kHalfBytesQ, &params.dout, &smem.q_dout_full,
                                 q_block * Traits::kBlockQ, head, batch);
  for (int tile = 0; tile < num_tiles; ++tile) {
    const int stage = tile % Traits::kStages;
    // Use u of a stage (u = tile / kStages) waits for the consumers' release of use u - 1.
    const uint32_t empty_parity = ((tile / Traits::kStages) - 1) & 1;
    const int key0 = p.col_indices[row_begin + tile] * Traits::kBlockK;
    // V first: the consumers release V of a block (after dP) before K (after dQ += dS K).
    if (tile >= Traits::kStages) mbarrier_wait(&smem.v_empty[stage], empty_parity);
    mbarrier_arrive_expect_tx(&smem.v_full[stage], Traits::kKVBytes);
    tma_load_tile<Traits::kHalves>(smem.v[stage], Traits::kHalfBytesKV, &params.v, &smem.v_full[stage], key0, head, batch);
    if (tile >= Traits::kStages) mbarrier_wait(&smem.k_empty[stage], empty_parity);
    mbarrier_arrive_expect_tx(&smem.k_full[stage], Traits::kKVBytes);
    tma_load_tile<Traits::kHalves>(smem.k[stage], Traits::kHalfBytesKV, &params.k, &smem.k_full[stage], key0, head, batch);
  }
}

// Serial within the warpgroup: S and dP are issued together (two commit groups, so the exponentials
// overlap dP), dQ += dS K after them. The two consumer warpgroups run independently, so one's
// elementwise work overlaps the other's products. Issuing S and dP of block j + 1 before dQ of block
// j would keep S, dP, dQ and the dS fragments live at once: 224 registers before any address or
// row statistic, where this loop already needs 216 of the consumers' 240 (ptxas, sm_90a).
template <typename Traits>
__device__ __forceinline__ void consume_dq_tiles(const BackwardParams& p, BackwardDqSharedStorage<Traits>& smem,
                                                 int q_block, int head, int batch, int row_begin, int num_tiles,
                                                 int first_masked, int kv_limit, int consumer) {
  using Element = typename Traits::Element;
  constexpr int BLK_K = Traits::kBlockK;
  constexpr int D = Traits::kHeadDim;
  const int thread = threadIdx.x % 128;
  const int warp = thread / 32;  // within the warpgroup: rows 16 warp .. 16 warp + 15 of its 64
  const int lane = thread % 32;
  const int row0 = consumer * 64;  // this warpgroup's first row in the query block
  const int warp_token0 = q_block * Traits::kBlockQ + row0 + warp * 16;

  // This thread's two query rows (g and g + 8 of the warp's 16): log2-domain LSE and delta, both
  // defined up to the padded length.
  const int64_t row_stats = (static_cast<int64_t>(batch) * p.heads + head) * p.padded_len + warp_token0 + lane / 4;
  const float row_lse_log2[2] = {p.lse_log2[row_stats], p.lse_log2[row_stats + 8]};
  const float row_delta[2] = {p.delta[row_stats], p.delta[row_stats + 8]};

  float dq[D / 8][4];  // (64, D) per warpgroup, (16, D) per warp, fp32
#pragma unroll
  for (int d = 0; d < D / 8; ++d)
#pragma unroll
    for (int c = 0; c < 4; ++c) dq[d][c] = 0.0f;
  float s[BLK_K / 8][4];            // (64, BLK_K) S, then P, then dS
  float dp[BLK_K / 8][4];           // (64, BLK_K) dP
  uint32_t ds_frag[BLK_K / 16][4];  // (64, BLK_K) dS as A fragments, one per 16-key step
  auto release = [&](uint64_t* empty) {
    __syncwarp();
    if (lane == 0) mbarrier_arrive(empty);
  };

  if (num_tiles > 0) mbarrier_wait(&smem.q_dout_full, 0);
  for (int tile = 0; tile < num_tiles; ++tile) {
    const int stage = tile % Traits::kStages;
    const uint32_t full_parity = (tile / Traits::kStages) & 1;
    mbarrier_wait(&smem.k_full[stage], full_parity);
    mbarrier_wait(&smem.v_full[stage], full_parity);
    fence_fragment(s);
    fence_fragment(dp);
    wgmma_fence();
    issue_qk<Traits>(s, smem.q, smem.k[stage], row0);  // S = Q K^T
    wgmma_commit();
    issue_qk<Traits>(dp, smem.dout, smem.v[stage], row0);  // dP = dO V^T, the same form
    wgmma_commit();
    wgmma_wait<1>();  // S is done; dP may still run
    fence_fragment(s);
    if (tile >= first_masked) mask_scores(s, p.col_indices[row_begin + tile] * BLK_K, kv_limit, lane);
    scores_to_probabilities(s, p.scale_log2, row_lse_log2);
    wgmma_wait<0>();
    fence_fragment(dp);
    release(&smem.v_empty[stage]);  // V is only needed for dP
    probabilities_to_score_gradient(s, dp, row_delta);
    // dS in the A-fragment layout is exactly the forward's P: same conversion, same product.
    to_prob_fragments<Element>(ds_frag, s);
    fence_fragment(dq);
    wgmma_fence();
    issue_pv<Traits>(dq, ds_frag, smem.k[stage]);  // dQ += dS K, K read MN-major like V in the forward
    wgmma_commit();
    wgmma_wait<0>();
    fence_fragment(dq);
    fence_fragment(ds_frag);
    release(&smem.k_empty[stage]);
  }

  Element* dq_slice = static_cast<Element*>(p.dq) + batch * p.dq_stride_b + head * p.dq_stride_h;
  portable::store_gradient_rows<Element, D>(dq_slice, p.dq_stride_s, warp_token0, p.seq_len, dq, p.scale, lane);
}

template <typename Traits>
__global__ void __launch_bounds__(Traits::kThreads, 1)
    backward_dq_kernel(const __grid_constant__ BackwardTmaParams params) {
#ifdef RADIAL_SM90_ENABLED
  extern __shared__ __align__(1024) unsigned char smem_raw[];
  auto& smem = aligned_storage<BackwardDqSharedStorage<Traits>>(smem_raw);
  const BackwardParams& p = params.p;
  const int q_block = blockIdx.x;
  const int head = blockIdx.y;
  const int batch = blockIdx.z;
  const int warpgroup = threadIdx.x / 128;

  const int kv_limit = valid_keys(p, batch);
  const KeptRow row = kept_row<Traits::kBlockK>(p.row_offsets, p.col_indices, q_block, kv_limit);

  if (threadIdx.x == 0) {
    mbarrier_init(&smem.q_dout_full, 1);
#pragma unroll
    for (int s = 0; s < Traits::kStages; ++s) {
      mbarrier_init(&smem.k_full[s], 1);
      mbarrier_init(&smem.v_full[s], 1);
      mbarrier_init(&smem.k_empty[s], Traits::kConsumerWarpgroups * 4);  // one arrival per consumer warp
      mbarrier_init(&smem.v_empty[s], Traits::kConsumerWarpgroups * 4);
    }
    fence_barrier_init();
  }
  __syncthreads();

  if (warpgroup == 0) {
    setmaxnreg_dec<Traits::kProducerRegs>();
    // A row with no kept block loads nothing: its consumers wait for nothing and write dQ = 0.
    if (threadIdx.x == 0 && row.num_tiles > 0)
      produce_dq_tiles<Traits>(params, smem, q_block, head, batch, row.begin, row.num_tiles);
  } else {
    setmaxnreg_inc<Traits::kConsumerRegs>();
    consume_dq_tiles<Traits>(p, smem, q_block, head, batch, row.begin, row.num_tiles, row.first_masked, kv_limit,
                             warpgroup - 1);
  }
#endif
}

}  // namespace radial::cuda::sm90
