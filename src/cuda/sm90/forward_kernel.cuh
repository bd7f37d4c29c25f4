#pragma once
// The Hopper (sm_90a) block-sparse attention forward, FA3-style: one CTA per (query block, head,
// batch) with three warpgroups. Warpgroup 0 is the producer: one thread issues TMA copies of Q and of
// the K/V tiles of exactly the kept key blocks (CSR row), into a two-stage ring guarded by mbarriers.
// Warpgroups 1 and 2 each own 64 query rows: S = Q K^T on wgmma (Q held in registers, K from shared
// memory), the online softmax in f32 registers, O += P V with P straight from registers, pipelined
// within the warpgroup.
#include <cmath>
#include <cstdint>

#include "common/forward_params.hpp"
#include "common/online_softmax.cuh"
#include "common/valid_keys.cuh"
#include "sm90/forward_epilogue.cuh"
#include "sm90/forward_mma.cuh"
#include "sm90/forward_params.hpp"
#include "sm90/forward_traits.cuh"
#include "sm90/kept_row.cuh"
#include "sm90/primitives.cuh"

namespace radial::cuda::sm90 {

template <typename Traits>
__device__ __forceinline__ void produce(const ForwardTmaParams& params, SharedStorage<Traits>& smem, int q_block,
                                        int head, int batch, int row_begin, int num_tiles) {
  const ForwardParams& p = params.p;
  prefetch_tensor_map(&params.q);
  prefetch_tensor_map(&params.k);
  prefetch_tensor_map(&params.v);
  mbarrier_arrive_expect_tx(&smem.q_full, Traits::kQBytes);
  tma_load_tile<Traits::kHalves>(smem.q, Traits::kHalfBytesQ, &params.q, &smem.q_full, q_block * Traits::kBlockQ, head,
                                 batch);
  for (int tile = 0; tile < num_tiles; ++tile) {
    const int stage = tile % Traits::kStages;
    const uint32_t empty_parity = ((tile / Traits::kStages) - 1) & 1;
    const int key0 = p.col_indices[row_begin + tile] * Traits::kBlockK;
    if (tile >= Traits::kStages) mbarrier_wait(&smem.k_empty[stage], empty_parity);
    mbarrier_arrive_expect_tx(&smem.k_full[stage], Traits::kKVBytes);
    tma_load_tile<Traits::kHalves>(smem.k[stage], Traits::kHalfBytesKV, &params.k, &smem.k_full[stage], key0, head, batch);
    if (tile >= Traits::kStages) mbarrier_wait(&smem.v_empty[stage], empty_parity);
    mbarrier_arrive_expect_tx(&smem.v_full[stage], Traits::kKVBytes);
    tma_load_tile<Traits::kHalves>(smem.v[stage], Traits::kHalfBytesKV, &params.v, &smem.v_full[stage], key0, head, batch);
  }
}

// Software pipeline inside the warpgroup (FA3's intra-warpgroup overlap): S of block j is issued
// before P V of block j - 1, so the softmax of block j runs while the tensor cores do P V of j - 1.
// Across the two consumer warpgroups, ping-pong turns (two named barriers) make one warpgroup's
// softmax coincide with the other's products. Measured on an H100 at Wan2.1 720p: serial 531,
// overlap 546, overlap + ping-pong 565 effective TFLOP/s (bench/results/).
template <typename Traits>
__device__ __forceinline__ void consume(const ForwardParams& p, SharedStorage<Traits>& smem, int q_block, int head,
                                        int batch, int row_begin, int num_tiles, int first_masked, int kv_limit,
                                        int consumer) {
  using Element = typename Traits::Element;
  constexpr int BLK_K = Traits::kBlockK;
  constexpr int D = Traits::kHeadDim;
  const int thread = threadIdx.x % 128;
  const int warp = thread / 32;  // within the warpgroup: rows 16 warp .. 16 warp + 15 of its 64
  const int lane = thread % 32;
  const int row0 = consumer * 64;  // this warpgroup's first row in the query block

  float o[D / 8][4];  // (64, D) per warpgroup, (16, D) per warp
#pragma unroll
  for (int d = 0; d < D / 8; ++d)
#pragma unroll
    for (int c = 0; c < 4; ++c) o[d][c] = 0.0f;
  OnlineSoftmax<BLK_K / 8, D / 8> softmax;
  softmax.init();
  float s[BLK_K / 8][4];         // (64, BLK_K) scores of the newest block
  uint32_t prob[BLK_K / 16][4];  // (64, BLK_K) probabilities of the block before it, as A fragments
  float correction[2];
  // Named barriers 1 and 2: "consumer 0 may issue" and "consumer 1 may issue" (ping-pong).
  auto wait_turn = [&] { named_barrier_sync(1 + consumer, 256); };
  auto pass_turn = [&] { named_barrier_arrive(2 - consumer, 256); };
  auto release = [&](uint64_t* empty) {
    __syncwarp();
    if (lane == 0) mbarrier_arrive(empty);
  };

  // Consumer 0 goes first: consumer 1 hands it the first turn.
  if (consumer == 1) pass_turn();
  mbarrier_wait(&smem.q_full, 0);
  uint32_t q_frag[D / 16][4];  // this warp's Q rows, held for the whole row of key blocks
  load_q_fragments<Traits>(q_frag, smem.q, row0, warp, lane);
  if (num_tiles > 0) {
    mbarrier_wait(&smem.k_full[0], 0);
    fence_fragment(s);
    wait_turn();
    wgmma_fence();
    issue_qk<Traits>(s, q_frag, smem.k[0]);
    wgmma_commit();
    pass_turn();
    wgmma_wait<0>();
    fence_fragment(s);
    release(&smem.k_empty[0]);
    if (first_masked == 0) mask_scores(s, p.col_indices[row_begin] * BLK_K, kv_limit, lane);
    softmax.update_scores(s, p.scale_log2, correction);  // o is still zero: nothing to rescale
    to_prob_fragments<Element>(prob, s);
  }
  for (int tile = 1; tile < num_tiles; ++tile) {
    const int stage = tile % Traits::kStages;
    const int prev = (tile - 1) % Traits::kStages;
    mbarrier_wait(&smem.k_full[stage], (tile / Traits::kStages) & 1);
    fence_fragment(s);
    fence_fragment(o);
    mbarrier_wait(&smem.v_full[prev], ((tile - 1) / Traits::kStages) & 1);
    wait_turn();
    wgmma_fence();
    issue_qk<Traits>(s, q_frag, smem.k[stage]);
    wgmma_commit();
    issue_pv<Traits>(o, prob, smem.v[prev]);
    wgmma_commit();
    pass_turn();
    wgmma_wait<1>();  // S of this block is done; P V of the previous one may still run
    fence_fragment(s);
    release(&smem.k_empty[stage]);
    if (tile >= first_masked) mask_scores(s, p.col_indices[row_begin + tile] * BLK_K, kv_limit, lane);
    softmax.update_scores(s, p.scale_log2, correction);
    wgmma_wait<0>();
    fence_fragment(o);
    fence_fragment(prob);
    release(&smem.v_empty[prev]);
    OnlineSoftmax<BLK_K / 8, D / 8>::rescale(o, correction);
    to_prob_fragments<Element>(prob, s);
  }
  if (num_tiles > 0) {
    const int last = (num_tiles - 1) % Traits::kStages;
    mbarrier_wait(&smem.v_full[last], ((num_tiles - 1) / Traits::kStages) & 1);
    fence_fragment(o);
    wait_turn();
    wgmma_fence();
    issue_pv<Traits>(o, prob, smem.v[last]);
    wgmma_commit();
    pass_turn();
    wgmma_wait<0>();
    fence_fragment(o);
    fence_fragment(prob);
    release(&smem.v_empty[last]);
  }

  softmax.finalize();
  store_output<Traits>(p, o, softmax, smem.q, smem.row_weight, batch, head, q_block, row0, warp, lane);
}

template <typename Traits>
__global__ void __launch_bounds__(Traits::kThreads, 1) forward_kernel(const __grid_constant__ ForwardTmaParams params) {
#ifdef RADIAL_SM90_ENABLED
  extern __shared__ __align__(1024) unsigned char smem_raw[];
  auto& smem = aligned_storage<SharedStorage<Traits>>(smem_raw);
  const ForwardParams& p = params.p;
  const int q_block = p.q_blocks ? p.q_blocks[blockIdx.x] : blockIdx.x;
  const int head = blockIdx.y;
  const int batch = blockIdx.z;
  const int warpgroup = threadIdx.x / 128;

  const int kv_limit = valid_keys(p, batch);
  const KeptRow row = kept_row<Traits::kBlockK>(p.row_offsets, p.col_indices, blockIdx.x, kv_limit);
  // A merging pass with nothing to add leaves the row as the first pass wrote it.
  if (p.merge && row.num_tiles == 0) return;

  if (threadIdx.x == 0) {
    mbarrier_init(&smem.q_full, 1);
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
    if (threadIdx.x == 0) produce<Traits>(params, smem, q_block, head, batch, row.begin, row.num_tiles);
  } else {
    setmaxnreg_inc<Traits::kConsumerRegs>();
    consume<Traits>(p, smem, q_block, head, batch, row.begin, row.num_tiles, row.first_masked, kv_limit,
                    warpgroup - 1);
  }
#endif
}

}  // namespace radial::cuda::sm90
