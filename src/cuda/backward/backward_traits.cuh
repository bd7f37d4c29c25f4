#pragma once
// Tile sizes of the portable (sm_80+) backward kernels. Both reuse the forward's swizzled
// (rows, HEAD_DIM) shared tiles, its cp.async tile loader and its warp products.
#include <cuda_bf16.h>
#include <cuda_fp16.h>

namespace radial::cuda::portable {

// dK/dV: one CTA per (key block, head, batch); each warp owns 16 keys and accumulates their dK and
// dV rows in fp32 registers while the CTA walks the key block's query blocks in 64-query tiles.
template <typename Element_, int HEAD_DIM>
struct DkDvTraits {
  using Element = Element_;
  static_assert(HEAD_DIM == 64 || HEAD_DIM == 128, "the portable backward is written for head dims 64 and 128");
  static constexpr int kHeadDim = HEAD_DIM;
  static constexpr int kBlockK = 128;  // one key block of the mask per CTA
  // S^T and dP^T tiles (32 registers each) live beside the (16, HEAD_DIM) dK and dV accumulators
  // (128 registers at head dim 128). At head dim 128 that spills 48 bytes, yet measured 8 % faster
  // than 32-query tiles without spills (half the barriers and loop overhead per FLOP): H100,
  // bench/results/2026-11-24-h100-gpu-backward.md.
  static constexpr int kTileQ = 64;
  static constexpr int kWarps = 8;
  static constexpr int kThreads = kWarps * 32;
  static constexpr int kStages = 2;  // Q/dO tiles in flight: load tile i+1 while computing tile i
  static constexpr int kChunksPerRow = kHeadDim / 8;
  // Two CTAs per SM at head dim 64 would cap registers at 128 and spill; one is enough to keep
  // 8 warps of mma.sync busy.
  static constexpr int kMinBlocksPerSm = 1;
  static constexpr int kSmemElements = (2 * kBlockK + 2 * kStages * kTileQ) * kHeadDim;  // K, V, Q, dO
  static constexpr int kSmemBytes =
      kSmemElements * static_cast<int>(sizeof(Element)) + 2 * kStages * kTileQ * static_cast<int>(sizeof(float));
  static_assert(kBlockK == kWarps * 16, "each warp owns 16 keys");
  static_assert(128 % kTileQ == 0, "query tiles split a 128-query mask block evenly");
};

// dQ: one CTA per (query block, head, batch), the forward's shape: each warp owns 16 query rows and
// walks the query block's key blocks in 64-key tiles, recomputing P and dS.
template <typename Element_, int HEAD_DIM>
struct DqTraits {
  using Element = Element_;
  static_assert(HEAD_DIM == 64 || HEAD_DIM == 128, "the portable backward is written for head dims 64 and 128");
  static constexpr int kHeadDim = HEAD_DIM;
  static constexpr int kBlockQ = 128;
  static constexpr int kTileK = 64;  // S and dP at 32 registers each beside dQ and the Q, dO fragments
  static constexpr int kWarps = 8;
  static constexpr int kThreads = kWarps * 32;
  static constexpr int kStages = 2;
  static constexpr int kChunksPerRow = kHeadDim / 8;
  static constexpr int kMinBlocksPerSm = 1;  // as for dK/dV: 128 registers would spill
  static constexpr int kSmemElements = (2 * kBlockQ + 2 * kStages * kTileK) * kHeadDim;  // Q, dO, K, V
  static constexpr int kSmemBytes = kSmemElements * static_cast<int>(sizeof(Element));
  static_assert(kBlockQ == kWarps * 16, "each warp owns 16 query rows");
};

// The forward's warp products (portable/forward_mma.cuh) take the width of their shared tile from
// Traits::kBlockK: the n extent of Q K^T-shaped products, the k extent of P V-shaped ones.
template <typename Element_, int HEAD_DIM, int WIDTH>
struct ProductShape {
  using Element = Element_;
  static constexpr int kHeadDim = HEAD_DIM;
  static constexpr int kBlockK = WIDTH;
};

// The preprocessing kernel: each row of dO and O is read by kHeadDim / 8 threads, 16 bytes each.
template <int HEAD_DIM>
struct PreprocessTraits {
  static constexpr int kThreads = 256;
  static constexpr int kThreadsPerRow = HEAD_DIM / 8;
  static constexpr int kRows = kThreads / kThreadsPerRow;
  static_assert(128 % kRows == 0, "a CTA's rows never straddle a 128-token block");
};

}  // namespace radial::cuda::portable
