#pragma once
// The Hopper forward as a persistent kernel: one CTA per SM takes (query block, head, batch) items
// from a global counter until none are left. The producer thread claims the next item and loads its
// Q and first K/V tiles while the consumers still compute and write out the current one: the
// prologue and epilogue that a one-CTA-per-item grid pays per item overlap with other work here.
// Items come in the per-item grid's order except at the end, which is longest rows first
// (locate_item). The mainloop and epilogue are the per-item kernel's (forward_kernel.cuh).
//
// Barrier phases: the K/V ring continues across items (tile0 = tiles this CTA consumed before);
// Q buffer b of 2 serves the CTA's items n = b, b + 2, ..., so q_full[b] completes for the (n / 2)-th
// time (from 0) when item n is published and q_empty[b] when item n is written out.
#include <cstdint>

#include "common/forward_params.hpp"
#include "sm90/forward_kernel.cuh"
#include "sm90/forward_params.hpp"
#include "sm90/forward_traits.cuh"
#include "sm90/primitives.cuh"

namespace radial::cuda::sm90 {

struct ItemCoordinates {
  int q_block, head, batch;
};

// Item w. Before the tail: slice by slice, rows in order, like the per-item grid's blockIdx order,
// so that the CTAs running at once work on neighbouring rows of one head and share its K/V in L2
// (bench/results/2026-11-24-h100-gpu-forward.md: a persistent grid that spread its CTAs over distant
// rows lost up to 7 %). The tail (the last tail_slices slices) goes longest rows first across its
// slices, so that no long row starts last and the launch ends on short items (the radial masks of
// Wan2.1 720p and HunyuanVideo 117 f keep every block of their last, partial row: 4x the mean row,
// which the per-item grid starts last).
__device__ __forceinline__ ItemCoordinates locate_item(const ForwardParams& p, const PersistentSchedule& schedule,
                                                       uint32_t w) {
  const uint32_t rows = static_cast<uint32_t>(p.num_blocks);
  const uint32_t tail = static_cast<uint32_t>(schedule.tail_slices);
  const uint32_t slices = static_cast<uint32_t>(schedule.num_items) / rows;
  const uint32_t first_tail_item = (slices - tail) * rows;
  uint32_t slice, q_block;
  if (w < first_tail_item) {
    slice = w / rows;
    q_block = w - slice * rows;
  } else {
    const uint32_t k = w - first_tail_item;
    const uint32_t rank = k / tail;
    slice = slices - tail + (k - rank * tail);
    q_block = static_cast<uint32_t>(schedule.row_order[rank]);
  }
  const uint32_t heads = static_cast<uint32_t>(p.heads);
  return {static_cast<int>(q_block), static_cast<int>(slice % heads), static_cast<int>(slice / heads)};
}

template <typename Traits>
__device__ __forceinline__ void produce_items(const ForwardTmaParams& params, const PersistentSchedule& schedule,
                                              PersistentSharedStorage<Traits>& smem) {
  const ForwardParams& p = params.p;
  prefetch_tensor_map(&params.q);
  prefetch_tensor_map(&params.k);
  prefetch_tensor_map(&params.v);
  constexpr int BUFFERS = PersistentSharedStorage<Traits>::kQBuffers;
  const uint32_t num_items = static_cast<uint32_t>(schedule.num_items);
  uint32_t claimed = atomicAdd(schedule.next_item, 1u);
  int tile0 = 0;
  for (int n = 0;; ++n) {
    const int buffer = n % BUFFERS;
    // Item n - BUFFERS used this buffer: its epilogue staged O in the Q tile, and its record must
    // have been read, before either is overwritten.
    if (n >= BUFFERS) mbarrier_wait(&smem.q_empty[buffer], ((n / BUFFERS) - 1) & 1);
    if (claimed >= num_items) {
      smem.item[buffer].q_block = -1;
      mbarrier_arrive(&smem.q_full[buffer]);  // releases the record: the consumers stop
      return;
    }
    const ItemCoordinates at = locate_item(p, schedule, claimed);
    const WorkItem item = describe_item<Traits>(p, at.q_block, at.head, at.batch);
    smem.item[buffer] = item;
    load_q<Traits>(params, smem.q[buffer], &smem.q_full[buffer], item);  // publishes the record with Q
    // The next item is claimed just before the last tile, whose wait for a free stage hides the
    // atomic's latency; claiming at the start of an item would let a busy CTA sit on an item that an
    // idle one could run, which matters at the end of the launch.
    const int last = item.num_tiles > 0 ? item.num_tiles - 1 : 0;
    load_kv_tiles<Traits>(params, smem, item, 0, last, tile0);
    claimed = atomicAdd(schedule.next_item, 1u);
    load_kv_tiles<Traits>(params, smem, item, last, item.num_tiles, tile0);
    tile0 += item.num_tiles;
  }
}

template <typename Traits>
__device__ __forceinline__ void consume_items(const ForwardParams& p, PersistentSharedStorage<Traits>& smem,
                                              int consumer) {
  constexpr int BUFFERS = PersistentSharedStorage<Traits>::kQBuffers;
  const int lane = threadIdx.x % 32;
  if (consumer == 1) pass_turn(consumer);
  int tile0 = 0;
  for (int n = 0;; ++n) {
    const int buffer = n % BUFFERS;
    mbarrier_wait(&smem.q_full[buffer], (n / BUFFERS) & 1);
    const WorkItem item = smem.item[buffer];
    if (item.q_block < 0) return;
    consume_item<Traits>(p, smem, smem.q[buffer], item, consumer, tile0);
    tile0 += item.num_tiles;
    // The epilogue read and wrote q[buffer] through the generic proxy; the producer's next write
    // there is a TMA copy (async proxy), ordered after this warp's arrival below.
    fence_proxy_async_shared();
    __syncwarp();
    if (lane == 0) mbarrier_arrive(&smem.q_empty[buffer]);
  }
}

template <typename Traits>
__global__ void __launch_bounds__(Traits::kThreads, 1)
    forward_persistent_kernel(const __grid_constant__ ForwardTmaParams params, const PersistentSchedule schedule) {
#ifdef RADIAL_SM90_ENABLED
  using Storage = PersistentSharedStorage<Traits>;
  extern __shared__ __align__(1024) unsigned char smem_raw[];
  // The dynamic shared window is only 16-byte aligned by contract; round up to the swizzle's 1024.
  auto& smem = *reinterpret_cast<Storage*>((reinterpret_cast<uintptr_t>(smem_raw) + 1023) & ~uintptr_t{1023});
  const int warpgroup = threadIdx.x / 128;

  if (threadIdx.x == 0) {
#pragma unroll
    for (int b = 0; b < Storage::kQBuffers; ++b) {
      mbarrier_init(&smem.q_full[b], 1);
      mbarrier_init(&smem.q_empty[b], Traits::kConsumerWarpgroups * 4);  // one arrival per consumer warp
    }
    init_kv_barriers<Traits>(smem);
    fence_barrier_init();
  }
  __syncthreads();

  if (warpgroup == 0) {
    setmaxnreg_dec<Traits::kProducerRegs>();
    if (threadIdx.x == 0) produce_items<Traits>(params, schedule, smem);
  } else {
    setmaxnreg_inc<Traits::kConsumerRegs>();
    consume_items<Traits>(params.p, smem, warpgroup - 1);
  }
#endif
}

}  // namespace radial::cuda::sm90
