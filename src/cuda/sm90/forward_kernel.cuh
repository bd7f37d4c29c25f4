#pragma once
// The Hopper (sm_90a) block-sparse attention forward, FA3-style: one CTA per (query block, head,
// batch) with three warpgroups. Warpgroup 0 is the producer: one thread issues TMA copies of Q and of
// the K/V tiles of exactly the kept key blocks (CSR row), into a two-stage ring guarded by mbarriers.
// Warpgroups 1 and 2 each own 64 query rows: S = Q K^T on wgmma from shared memory, the online
// softmax in f32 registers, O += P V with P straight from registers, pipelined within the warpgroup.
// The per-item pieces (describe_item, load_q, load_kv_tiles, consume_item) also serve the persistent
// kernel (forward_persistent_kernel.cuh), which runs many items per CTA.
#include <cmath>
#include <cstdint>

#include "common/forward_params.hpp"
#include "common/online_softmax.cuh"
#include "sm90/forward_params.hpp"
#include "sm90/forward_epilogue.cuh"
#include "sm90/forward_mma.cuh"
#include "sm90/forward_traits.cuh"
#include "sm90/primitives.cuh"

namespace radial::cuda::sm90 {

// The row of one (query block, head, batch) item, cut to the batch's kv_limit.
template <typename Traits>
__device__ __forceinline__ WorkItem describe_item(const ForwardParams& p, int q_block, int head, int batch) {
  WorkItem item;
  item.q_block = q_block;
  item.head = head;
  item.batch = batch;
  item.kv_limit = p.kv_valid_len ? max(0, min(p.seq_len, p.kv_valid_len[batch])) : p.seq_len;
  item.row_begin = p.row_offsets[q_block];
  int num_tiles = p.row_offsets[q_block + 1] - item.row_begin;
  // Column indices ascend, so blocks that start at or past the valid length are all at the end.
  while (num_tiles > 0 && p.col_indices[item.row_begin + num_tiles - 1] * Traits::kBlockK >= item.kv_limit) --num_tiles;
  // Blocks from this one on reach past kv_limit and need masking inside the tile; again all at the end.
  int first_masked = num_tiles;
  while (first_masked > 0 && (p.col_indices[item.row_begin + first_masked - 1] + 1) * Traits::kBlockK > item.kv_limit)
    --first_masked;
  item.num_tiles = num_tiles;
  item.first_masked = first_masked;
  return item;
}

// Barriers of the K/V ring, by one thread before the CTA's first __syncthreads.
template <typename Traits, typename Storage>
__device__ __forceinline__ void init_kv_barriers(Storage& smem) {
#pragma unroll
  for (int s = 0; s < Traits::kStages; ++s) {
    mbarrier_init(&smem.k_full[s], 1);
    mbarrier_init(&smem.v_full[s], 1);
    mbarrier_init(&smem.k_empty[s], Traits::kConsumerWarpgroups * 4);  // one arrival per consumer warp
    mbarrier_init(&smem.v_empty[s], Traits::kConsumerWarpgroups * 4);
  }
}

// Q of one item into a (2 halves, BLK_Q, 64) buffer. The arrival releases this thread's earlier
// shared-memory writes too: the persistent kernel publishes the item record with it.
template <typename Traits>
__device__ __forceinline__ void load_q(const ForwardTmaParams& params, unsigned char* q_tile, uint64_t* q_full,
                                       const WorkItem& item) {
  mbarrier_arrive_expect_tx(q_full, Traits::kQBytes);
#pragma unroll
  for (int h = 0; h < Traits::kHalves; ++h)
    tma_load_4d(q_tile + h * Traits::kHalfBytesQ, &params.q, q_full, h * Traits::kHalfCols,
                item.q_block * Traits::kBlockQ, item.head, item.batch);
}

// K/V tiles first .. last - 1 of the item's row into the ring. tile0 is how many tiles this CTA loaded
// for earlier items: ring stages and barrier phases follow the CTA's running tile count.
template <typename Traits, typename Storage>
__device__ __forceinline__ void load_kv_tiles(const ForwardTmaParams& params, Storage& smem, const WorkItem& item,
                                              int first, int last, int tile0) {
  for (int tile = first; tile < last; ++tile) {
    const int n = tile0 + tile;
    const int stage = n % Traits::kStages;
    const uint32_t empty_parity = ((n / Traits::kStages) - 1) & 1;
    const int key0 = params.p.col_indices[item.row_begin + tile] * Traits::kBlockK;
    if (n >= Traits::kStages) mbarrier_wait(&smem.k_empty[stage], empty_parity);
    mbarrier_arrive_expect_tx(&smem.k_full[stage], Traits::kKVBytes);
#pragma unroll
    for (int h = 0; h < Traits::kHalves; ++h)
      tma_load_4d(smem.k[stage] + h * Traits::kHalfBytesKV, &params.k, &smem.k_full[stage], h * Traits::kHalfCols, key0,
                  item.head, item.batch);
    if (n >= Traits::kStages) mbarrier_wait(&smem.v_empty[stage], empty_parity);
    mbarrier_arrive_expect_tx(&smem.v_full[stage], Traits::kKVBytes);
#pragma unroll
    for (int h = 0; h < Traits::kHalves; ++h)
      tma_load_4d(smem.v[stage] + h * Traits::kHalfBytesKV, &params.v, &smem.v_full[stage], h * Traits::kHalfCols, key0,
                  item.head, item.batch);
  }
}

template <typename Traits>
__device__ __forceinline__ void produce(const ForwardTmaParams& params, SharedStorage<Traits>& smem,
                                        const WorkItem& item) {
  prefetch_tensor_map(&params.q);
  prefetch_tensor_map(&params.k);
  prefetch_tensor_map(&params.v);
  load_q<Traits>(params, smem.q, &smem.q_full, item);
  load_kv_tiles<Traits>(params, smem, item, 0, item.num_tiles, 0);
}

// Ping-pong between the two consumer warpgroups: named barrier 1 is "consumer 0 may issue", 2 is
// "consumer 1 may issue". Every issue block waits for its turn and passes it on, so the two alternate
// strictly; both see the same items with the same tile counts, so the alternation carries from one
// item to the next. Consumer 1 hands consumer 0 the first turn, once per CTA.
__device__ __forceinline__ void wait_turn(int consumer) { named_barrier_sync(1 + consumer, 256); }
__device__ __forceinline__ void pass_turn(int consumer) { named_barrier_arrive(2 - consumer, 256); }

// One item on one consumer warpgroup, from its Q in q_tile to O and the LSE in global memory; O is
// staged in this warpgroup's rows of q_tile. tile0 as in load_kv_tiles.
// Software pipeline inside the warpgroup (FA3's intra-warpgroup overlap): S of block j is issued
// before P V of block j - 1, so the softmax of block j runs while the tensor cores do P V of j - 1.
// Ping-pong turns make one warpgroup's softmax coincide with the other's products. Measured on an
// H100 at Wan2.1 720p: serial 531, overlap 546, overlap + ping-pong 565 effective TFLOP/s
// (bench/results/).
template <typename Traits, typename Storage>
__device__ __forceinline__ void consume_item(const ForwardParams& p, Storage& smem, unsigned char* q_tile,
                                             const WorkItem& item, int consumer, int tile0) {
  using Element = typename Traits::Element;
  constexpr int BLK_K = Traits::kBlockK;
  constexpr int D = Traits::kHeadDim;
  constexpr int STAGES = Traits::kStages;
  const int thread = threadIdx.x % 128;
  const int warp = thread / 32;  // within the warpgroup: rows 16 warp .. 16 warp + 15 of its 64
  const int lane = thread % 32;
  const int row0 = consumer * 64;  // this warpgroup's first row in the query block
  const int num_tiles = item.num_tiles;

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
  auto release = [&](uint64_t* empty) {
    __syncwarp();
    if (lane == 0) mbarrier_arrive(empty);
  };

  if (num_tiles > 0) {
    const int stage = tile0 % STAGES;
    mbarrier_wait(&smem.k_full[stage], (tile0 / STAGES) & 1);
    fence_fragment(s);
    wait_turn(consumer);
    wgmma_fence();
    issue_qk<Traits>(s, q_tile, smem.k[stage], row0);
    wgmma_commit();
    pass_turn(consumer);
    wgmma_wait<0>();
    fence_fragment(s);
    release(&smem.k_empty[stage]);
    if (item.first_masked == 0) mask_scores(s, p.col_indices[item.row_begin] * BLK_K, item.kv_limit, lane);
    softmax.update_scores(s, p.scale_log2, correction);  // o is still zero: nothing to rescale
    to_prob_fragments<Element>(prob, s);
  }
  for (int tile = 1; tile < num_tiles; ++tile) {
    const int n = tile0 + tile;
    const int stage = n % STAGES;
    const int prev = (n - 1) % STAGES;
    mbarrier_wait(&smem.k_full[stage], (n / STAGES) & 1);
    fence_fragment(s);
    fence_fragment(o);
    mbarrier_wait(&smem.v_full[prev], ((n - 1) / STAGES) & 1);
    wait_turn(consumer);
    wgmma_fence();
    issue_qk<Traits>(s, q_tile, smem.k[stage], row0);
    wgmma_commit();
    issue_pv<Traits>(o, prob, smem.v[prev]);
    wgmma_commit();
    pass_turn(consumer);
    wgmma_wait<1>();  // S of this block is done; P V of the previous one may still run
    fence_fragment(s);
    release(&smem.k_empty[stage]);
    if (tile >= item.first_masked)
      mask_scores(s, p.col_indices[item.row_begin + tile] * BLK_K, item.kv_limit, lane);
    softmax.update_scores(s, p.scale_log2, correction);
    wgmma_wait<0>();
    fence_fragment(o);
    fence_fragment(prob);
    release(&smem.v_empty[prev]);
    OnlineSoftmax<BLK_K / 8, D / 8>::rescale(o, correction);
    to_prob_fragments<Element>(prob, s);
  }
  if (num_tiles > 0) {
    const int n = tile0 + num_tiles - 1;
    const int last = n % STAGES;
    mbarrier_wait(&smem.v_full[last], (n / STAGES) & 1);
    fence_fragment(o);
    wait_turn(consumer);
    wgmma_fence();
    issue_pv<Traits>(o, prob, smem.v[last]);
    wgmma_commit();
    pass_turn(consumer);
    wgmma_wait<0>();
    fence_fragment(o);
    fence_fragment(prob);
    release(&smem.v_empty[last]);
  }

  softmax.finalize();
  store_output<Traits>(p, o, softmax, q_tile, item.batch, item.head, item.q_block, row0, warp, lane);
}

template <typename Traits>
__device__ __forceinline__ void consume(const ForwardParams& p, SharedStorage<Traits>& smem, const WorkItem& item,
                                        int consumer) {
  if (consumer == 1) pass_turn(consumer);
  mbarrier_wait(&smem.q_full, 0);
  consume_item<Traits>(p, smem, smem.q, item, consumer, 0);
}

template <typename Traits>
__global__ void __launch_bounds__(Traits::kThreads, 1) forward_kernel(const __grid_constant__ ForwardTmaParams params) {
#ifdef RADIAL_SM90_ENABLED
  extern __shared__ __align__(1024) unsigned char smem_raw[];
  // The dynamic shared window is only 16-byte aligned by contract; round up to the swizzle's 1024.
  auto& smem = *reinterpret_cast<SharedStorage<Traits>*>((reinterpret_cast<uintptr_t>(smem_raw) + 1023) & ~uintptr_t{1023});
  const ForwardParams& p = params.p;
  const int warpgroup = threadIdx.x / 128;
  const WorkItem item = describe_item<Traits>(p, blockIdx.x, blockIdx.y, blockIdx.z);

  if (threadIdx.x == 0) {
    mbarrier_init(&smem.q_full, 1);
    init_kv_barriers<Traits>(smem);
    fence_barrier_init();
  }
  __syncthreads();

  if (warpgroup == 0) {
    setmaxnreg_dec<Traits::kProducerRegs>();
    if (threadIdx.x == 0) produce<Traits>(params, smem, item);
  } else {
    setmaxnreg_inc<Traits::kConsumerRegs>();
    consume<Traits>(p, smem, item, warpgroup - 1);
  }
#endif
}

}  // namespace radial::cuda::sm90
