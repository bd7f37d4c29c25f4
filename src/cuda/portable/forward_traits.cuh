#pragma once
// Tile sizes of the portable (sm_80+) forward kernel, and the shared-memory swizzle they share.
#include <cuda_bf16.h>
#include <cuda_fp16.h>

namespace radial::cuda::portable {

template <typename Element_, int HEAD_DIM>
struct ForwardTraits {
  using Element = Element_;
  static_assert(HEAD_DIM == 64 || HEAD_DIM == 128, "the portable forward is written for head dims 64 and 128");
  static constexpr int kHeadDim = HEAD_DIM;
  static constexpr int kBlockQ = 128;  // one query block of the mask per CTA
  // Half a mask block per tile keeps the score fragment at 32 registers per thread, which leaves
  // room for the (16, 128) output accumulator and the Q fragments without spilling.
  static constexpr int kBlockK = 64;
  static constexpr int kWarps = 8;  // 16 query rows each: one m16 MMA row per warp
  static constexpr int kThreads = kWarps * 32;
  static constexpr int kStages = 2;  // K/V tiles in flight: load tile i+1 while computing tile i
  static constexpr int kChunksPerRow = kHeadDim / 8;  // 16-byte chunks of one token's head vector
  // Head dim 64 needs half the registers: two CTAs per SM hide each other's barriers.
  static constexpr int kMinBlocksPerSm = kHeadDim == 64 ? 2 : 1;
  static constexpr int kSmemElements = (kBlockQ + 2 * kStages * kBlockK) * kHeadDim;
  static constexpr int kSmemBytes = kSmemElements * static_cast<int>(sizeof(Element));
  static_assert(kBlockQ == kWarps * 16, "each warp owns 16 query rows");
  static_assert(kBlockK % 16 == 0 && 128 % kBlockK == 0, "key tiles split a 128-key mask block evenly");
};

// Element offset of 16-byte chunk `chunk` of row `row` in a (rows, HEAD_DIM) tile. XOR-ing the chunk
// with the row's low three bits puts the 8 rows an ldmatrix reads (and the 8 chunks a row's
// cp.async writes) in 8 different bank groups.
template <int HEAD_DIM>
__device__ __forceinline__ int swizzled_offset(int row, int chunk) {
  return row * HEAD_DIM + ((chunk ^ (row & 7)) << 3);
}

}  // namespace radial::cuda::portable
