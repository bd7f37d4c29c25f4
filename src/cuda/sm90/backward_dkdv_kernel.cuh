#pragma once
// dK and dV of the Hopper (sm_90a) block-sparse backward, and in the default mode dQ's partial sums:
// one CTA per (key block, head, batch), three warpgroups. Warpgroup 0's first thread issues the loads
// (backward_dkdv_load.cuh): the key block's K and V once, then, for exactly the query blocks its CSC
// column keeps, 64-query tiles of Q and dO with their lse_log2 and delta into a two-stage ring; in the
// default mode its second warp writes dQ (write_dq).
// Warpgroups 1 and 2 each own 64 keys and, per tile, on wgmma:
//   S^T = K Q^T, dP^T = V dO^T                    (shared x shared, 64 x 64)
//   P^T = exp2(S^T scale_log2 - lse_log2), dS^T = P^T (dP^T - delta)          (registers)
//   dV += P^T dO, dK += dS^T Q                    (P^T, dS^T straight from registers)
// dK and dV stay in registers to the end: no atomics for them. In the default mode (FUSE_DQ) both
// also write dS^T to shared memory, and the warpgroups take turns (even tiles the first, odd tiles the
// second) computing dQ = dS K of the whole tile, 64 queries x 128 columns over all 128 keys, which
// they stage for the writer warp; it adds them to the fp32 accumulator with bulk reduce-adds: no
// scalar atomics. (Measured against the alternatives in bench/results/.)
#include <cmath>
#include <cstdint>

#include "backward/backward_epilogue.cuh"
#include "backward/backward_params.hpp"
#include "backward/dq_accum_layout.cuh"
#include "common/online_softmax.cuh"
#include "common/valid_keys.cuh"
#include "sm90/backward_dkdv_load.cuh"
#include "sm90/backward_dkdv_mma.cuh"
#include "sm90/backward_dkdv_traits.cuh"
#include "sm90/bulk_copy.cuh"
#include "sm90/forward_mma.cuh"
#include "sm90/primitives.cuh"

namespace radial::cuda::sm90 {

template <typename Traits>
__device__ __forceinline__ void produce_dkdv(const BackwardTmaParams& params, BackwardDkDvStorage<Traits>& smem,
                                             int k_block, int head, int batch, int col_begin, int num_tiles) {
  if (num_tiles == 0) return;
  load_keys<Traits>(params, smem, k_block, head, batch);
  for (int tile = 0; tile < num_tiles; ++tile) load_tile<Traits>(params, smem, head, batch, col_begin, tile);
}

// dQ of one tile (64 queries x 128 columns) into this warpgroup's staging buffer (its two 64-column
// halves, one accumulator chunk each), handed to the dQ writer warp (write_dq) with a non-blocking
// arrive. The buffer was last used two tiles ago: it is first waited for until the writer's reduce
// has read it. Row 16 warp + g (+ 8), columns 8 n + 2 t: the 8-float group n % 8 of half n / 8 lands
// XOR-ed with g (DqAccumLayout).
template <typename Traits>
__device__ __forceinline__ void stage_dq(BackwardDkDvStorage<Traits>& smem, const float (&dq)[Traits::kHeadDim / 8][4],
                                         int consumer, uint32_t thread, int tile) {
  thread = opaque(thread);
  const uint32_t g = (thread % 32) / 4;
  using Layout = DqAccumLayout<Traits::kHeadDim>;
  const uint32_t row = (thread / 32 * 16 + g) * Layout::kChunkCols + 2 * (thread % 4);
  if (tile >= 2) named_barrier_sync(Traits::kBarrierDqEmpty + consumer, Traits::kDqHandOffThreads);
#pragma unroll
  for (uint32_t n = 0; n < Traits::kHeadDim / 8; ++n)
#pragma unroll
    for (uint32_t r = 0; r < 2; ++r)
      *reinterpret_cast<float2*>(smem.dq[consumer][n / 8] + row + r * 8 * Layout::kChunkCols +
                                 ((n % 8) ^ g) * 8) = make_float2(dq[n][2 * r], dq[n][2 * r + 1]);
  fence_proxy_async_shared();  // the writer's bulk copy reads through the async proxy
  named_barrier_arrive(Traits::kBarrierDqFull + consumer, Traits::kDqHandOffThreads);
}

// The dQ writer warp (the producer warpgroup's second): per tile, the staged dQ of the warpgroup
// whose turn it was goes to the fp32 accumulator with two 16 KB bulk reduce-adds (one per half); a
// buffer is handed back once its reduces have read it, if a later tile uses it. Keeps the reduces'
// waits off the consumers' path (FA3's dQ writer).
template <typename Traits>
__device__ __forceinline__ void write_dq(const BackwardParams& p, BackwardDkDvStorage<Traits>& smem, int head,
                                         int batch, int col_begin, int num_tiles, int lane) {
  using Layout = DqAccumLayout<Traits::kHeadDim>;
  for (int tile = 0; tile < num_tiles; ++tile) {
    const int query_tile = tile_query0<Traits>(p, col_begin, tile) / Traits::kTileQ;
    const int consumer = tile % 2;
    named_barrier_sync(Traits::kBarrierDqFull + consumer, Traits::kDqHandOffThreads);
    if (lane == 0) {
#pragma unroll
      for (int half = 0; half < Traits::kHalves; ++half)
        bulk_reduce_add_f32(p.dq_accum + Layout::chunk_offset(batch, head, p.heads, p.padded_len, query_tile, half),
                            smem.dq[consumer][half], Layout::kChunkBytes);
      bulk_commit_group();
    }
    // The previous tile's buffer goes back to its warpgroup if that one stages again (tile + 1).
    if (tile >= 1 && tile + 1 < num_tiles) {
      if (lane == 0) bulk_wait_group_read<1>();
      __syncwarp();
      named_barrier_arrive(Traits::kBarrierDqEmpty + (tile - 1) % 2, Traits::kDqHandOffThreads);
    }
  }
  if (lane == 0) bulk_wait_group<0>();  // the shared source must outlive every reduce
}

template <typename Traits, bool FUSE_DQ>
__device__ __forceinline__ void consume_dkdv(const BackwardParams& p, BackwardDkDvStorage<Traits>& smem, int k_block,
                                             int head, int batch, int col_begin, int num_tiles, int kv_limit,
                                             int consumer) {
  using Element = typename Traits::Element;
  constexpr int D = Traits::kHeadDim;
  constexpr int TQ = Traits::kTileQ;
  const int thread = threadIdx.x % 128;
  const int warp = thread / 32;
  const int lane = thread % 32;
  const int t = lane % 4;
  const int key_row0 = consumer * 64;  // this warpgroup's first key in the block
  const int k0 = k_block * Traits::kBlockK;

  float dk[D / 8][4], dv[D / 8][4];
#pragma unroll
  for (int d = 0; d < D / 8; ++d)
#pragma unroll
    for (int c = 0; c < 4; ++c) dk[d][c] = dv[d][c] = 0.0f;
  // This thread's two keys: rows g and g + 8 of its warp's 16. Past kv_limit they get no weight.
  const int key = k0 + key_row0 + warp * 16 + lane / 4;
  const bool key_valid[2] = {key < kv_limit, key + 8 < kv_limit};
  // The stage's lse_log2 and delta were read with ordinary loads and are next written by bulk copies
  // (the async proxy): the proxy fence orders the two before the producer learns of the release.
  // Every thread arrives for its own reads (compute-sanitizer's racecheck does not see one lane's
  // arrival after __syncwarp as ordering the warp's loads; measured no slower, bench/results/).
  auto release = [&](uint64_t* empty) {
    fence_proxy_async_shared();
    mbarrier_arrive(empty);
  };

  if (num_tiles > 0) mbarrier_wait(&smem.kv_full, 0);
  for (int tile = 0; tile < num_tiles; ++tile) {
    const int stage = tile % Traits::kStages;
    const uint32_t parity = (tile / Traits::kStages) & 1;
    // The wgmma asm reads its accumulators ("+f"): zeroed, the previous tile's values die at their
    // last real use instead of living until the next product is issued.
    float st[TQ / 8][4] = {};   // S^T, then P^T
    float dpt[TQ / 8][4] = {};  // dP^T, then dS^T
    fence_fragment(st);
    fence_fragment(dpt);
    mbarrier_wait(&smem.q_full[stage], parity);
    wgmma_fence();
    issue_keys_by_tile<Traits>(st, smem.k, key_row0, smem.q[stage]);
    wgmma_commit();
    mbarrier_wait(&smem.dout_full[stage], parity);
    wgmma_fence();
    issue_keys_by_tile<Traits>(dpt, smem.v, key_row0, smem.dout[stage]);
    wgmma_commit();

    wgmma_wait<1>();
    fence_fragment(st);
    const float* lse_tile = smem.lse_log2[stage] + 2 * opaque(t);
    const float* delta_tile = smem.delta[stage] + 2 * opaque(t);
#pragma unroll
    for (int n = 0; n < TQ / 8; ++n) {
      const float2 lse = *reinterpret_cast<const float2*>(lse_tile + n * 8);
#pragma unroll
      for (int c = 0; c < 4; ++c)
        st[n][c] = key_valid[c / 2] ? fast_exp2(fmaf(st[n][c], p.scale_log2, -(c % 2 ? lse.y : lse.x))) : 0.0f;
    }
    wgmma_wait<0>();
    fence_fragment(dpt);
#pragma unroll
    for (int n = 0; n < TQ / 8; ++n) {
      const float2 delta = *reinterpret_cast<const float2*>(delta_tile + n * 8);
#pragma unroll
      for (int c = 0; c < 4; ++c) dpt[n][c] = st[n][c] * (dpt[n][c] - (c % 2 ? delta.y : delta.x));
    }
    // Packed only now, so that S^T, P^T and their fragments are never live at once.
    uint32_t pt[TQ / 16][4], dst[TQ / 16][4];
    to_prob_fragments<Element>(pt, st);
    to_prob_fragments<Element>(dst, dpt);

    fence_fragment(dv);
    fence_fragment(dk);
    wgmma_fence();
    issue_fragments_by_tile<Traits>(dv, pt, smem.dout[stage]);
    issue_fragments_by_tile<Traits>(dk, dst, smem.q[stage]);
    wgmma_commit();

    if constexpr (FUSE_DQ) {
      // dQ of the tile (64 queries, all 128 columns, over both warpgroups' keys) is computed by one
      // warpgroup, the two taking turns: the other only hands its dS^T over and runs ahead, so the
      // two can drift apart and one's exponentials and staging overlap the other's products.
      // Two dS^T buffers and two barriers, one per tile parity: a buffer is written again only after
      // its dQ has been read (the writer of tile i + 2 has passed the barrier of tile i + 1, which
      // the dQ warpgroup of tile i reaches after that product).
      const bool dq_turn = tile % 2 == consumer;
      unsigned char* ds = smem.ds[tile % 2];
      store_ds<Traits>(ds, dst, key_row0 + warp * 16, lane);
      fence_proxy_async_shared();
      __syncwarp();  // bar.sync is .aligned
      if (dq_turn)
        named_barrier_sync(Traits::kBarrierDsWritten + tile % 2, 256);
      else
        named_barrier_arrive(Traits::kBarrierDsWritten + tile % 2, 256);
      wgmma_wait<0>();  // dV and dK of this tile are done: the stage may be refilled
      fence_fragment(dv);
      fence_fragment(dk);
      fence_fragment(pt);
      fence_fragment(dst);
      release(&smem.tile_empty[stage]);
      if (dq_turn) {
        float dq[D / 8][4] = {};
        fence_fragment(dq);
        wgmma_fence();
        issue_dq<Traits>(dq, ds, smem.k);
        wgmma_commit();
        wgmma_wait<0>();
        fence_fragment(dq);
        stage_dq<Traits>(smem, dq, consumer, thread, tile);
      }
    } else {
      wgmma_wait<0>();
      fence_fragment(dv);
      fence_fragment(dk);
      fence_fragment(pt);
      fence_fragment(dst);
      release(&smem.tile_empty[stage]);
    }
  }
  const int warp_row0 = k0 + key_row0 + warp * 16;
  Element* dk_slice = static_cast<Element*>(p.dk) + batch * p.dk_stride_b + head * p.dk_stride_h;
  Element* dv_slice = static_cast<Element*>(p.dv) + batch * p.dv_stride_b + head * p.dv_stride_h;
  portable::store_gradient_rows<Element, D>(dk_slice, p.dk_stride_s, warp_row0, p.seq_len, dk, p.scale, lane,
                                            p.merge != 0);
  portable::store_gradient_rows<Element, D>(dv_slice, p.dv_stride_s, warp_row0, p.seq_len, dv, 1.0f, lane,
                                            p.merge != 0);
}

template <typename Traits, bool FUSE_DQ>
__global__ void __launch_bounds__(Traits::kThreads, 1)
    backward_dkdv_kernel(const __grid_constant__ BackwardTmaParams params) {
#ifdef RADIAL_SM90_ENABLED
  extern __shared__ __align__(1024) unsigned char smem_raw[];
  auto& smem = aligned_storage<BackwardDkDvStorage<Traits>>(smem_raw);
  const BackwardParams& p = params.p;
  const int line = blockIdx.x;  // this CTA's column of the CSC (of the schedule's pass, if any)
  const int k_block = p.k_blocks ? p.k_blocks[line] : line;
  const int head = blockIdx.y;
  const int batch = blockIdx.z;
  const int warpgroup = threadIdx.x / 128;

  const int kv_limit = valid_keys(p, batch);
  const int col_begin = p.col_offsets[line];
  // A key block wholly past the valid length gets zero gradients without visiting anything; row
  // indices ascend, so query tiles that start past the sequence end (partial last block) are last.
  int num_tiles = k_block * Traits::kBlockK < kv_limit ? (p.col_offsets[line + 1] - col_begin) * Traits::kTilesPerBlock : 0;
  while (num_tiles > 0 && tile_query0<Traits>(p, col_begin, num_tiles - 1) >= p.seq_len) --num_tiles;
  if (p.merge && num_tiles == 0) return;  // nothing to add to the first pass's gradients (whole CTA)

  if (threadIdx.x == 0) {
    mbarrier_init(&smem.kv_full, 1);
#pragma unroll
    for (int s = 0; s < Traits::kStages; ++s) {
      mbarrier_init(&smem.q_full[s], 1);
      mbarrier_init(&smem.dout_full[s], 1);
      mbarrier_init(&smem.tile_empty[s], Traits::kConsumerWarpgroups * 128);  // one per consumer thread
    }
    fence_barrier_init();
  }
  __syncthreads();

  if (warpgroup == 0) {
    setmaxnreg_dec<Traits::kProducerRegs>();
    if (threadIdx.x == 0) produce_dkdv<Traits>(params, smem, k_block, head, batch, col_begin, num_tiles);
    if (FUSE_DQ && threadIdx.x / 32 == 1) write_dq<Traits>(p, smem, head, batch, col_begin, num_tiles, threadIdx.x % 32);
  } else {
    setmaxnreg_inc<Traits::kConsumerRegs>();
    consume_dkdv<Traits, FUSE_DQ>(p, smem, k_block, head, batch, col_begin, num_tiles, kv_limit, warpgroup - 1);
  }
#endif
}

}  // namespace radial::cuda::sm90
