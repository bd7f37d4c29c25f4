#pragma once
// Tile sizes and shared-memory plan of the Hopper (sm_90a) dK/dV kernel, head dim 64 or 128.
#include <cstdint>

namespace radial::cuda::sm90 {

template <typename Element_, int HEAD_DIM>
struct BackwardDkDvTraits {
  using Element = Element_;
  static_assert(HEAD_DIM == 64 || HEAD_DIM == 128, "head dims 64 and 128: whole 64-column (128-byte) swizzle rows");
  static constexpr int kHeadDim = HEAD_DIM;
  static constexpr int kBlockK = 128;  // one key block of the mask per CTA, resident for the whole walk
  // Query tiles of 64: S^T and dP^T are then (64 keys, 64 queries) per warpgroup, 32 registers each,
  // beside the dK and dV accumulators (64 each); 128-query tiles would not fit in 240 registers.
  static constexpr int kTileQ = 64;
  static constexpr int kTilesPerBlock = 128 / kTileQ;
  static constexpr int kConsumerWarpgroups = 2;  // 64 keys each (wgmma M = 64)
  static constexpr int kThreads = 128 * (1 + kConsumerWarpgroups);
  static constexpr int kStages = 2;
  static constexpr int kProducerRegs = 24;
  static constexpr int kConsumerRegs = 240;
  // Named barriers (0 is __syncthreads): dS^T of all 128 keys written, one per tile parity (the
  // warpgroup whose dQ turn it is waits, the other arrives); per consumer warpgroup the hand-over of
  // its dQ staging buffer to the dQ writer warp and back.
  static constexpr int kBarrierDsWritten = 1;  // + tile % 2
  static constexpr int kBarrierDqFull = 3;     // + consumer
  static constexpr int kBarrierDqEmpty = 5;    // + consumer
  static constexpr int kDqHandOffThreads = 128 + 32;  // a consumer warpgroup and the writer warp
  // TMA boxes are 64 columns (128 bytes, the swizzle width) wide: a (rows, D) tile is HALVES = D / 64
  // such boxes ("halves") one after the other.
  static constexpr int kHalfCols = 64;
  static constexpr int kHalves = kHeadDim / kHalfCols;
  static constexpr int kKVBytes = kBlockK * kHeadDim * 2;
  static constexpr int kHalfBytesKV = kBlockK * kHalfCols * 2;
  static constexpr int kTileBytes = kTileQ * kHeadDim * 2;
  static constexpr int kHalfBytesTile = kTileQ * kHalfCols * 2;
  static constexpr int kStatBytes = kTileQ * 4;  // lse_log2 or delta of one tile
  static constexpr int kDsBytes = kBlockK * kTileQ * 2;  // dS^T of the whole key block, (keys, queries)
  static constexpr int kDqChunkFloats = kTileQ * kHalfCols;  // one half of a tile's dQ, (64, 64)
};

template <typename Traits>
struct BackwardDkDvStorage {
  alignas(1024) unsigned char k[Traits::kKVBytes];                       // (HALVES, BLK_K, 64)
  alignas(1024) unsigned char v[Traits::kKVBytes];                       // (HALVES, BLK_K, 64)
  alignas(1024) unsigned char q[Traits::kStages][Traits::kTileBytes];     // (STAGES, HALVES, 64, 64)
  alignas(1024) unsigned char dout[Traits::kStages][Traits::kTileBytes];  // (STAGES, HALVES, 64, 64)
  // dS^T, read MN-major as the A operand of dQ = dS K; two buffers (by tile parity) so that tile
  // i + 1's can be written while tile i's dQ warpgroup still reads it.
  alignas(1024) unsigned char ds[2][Traits::kDsBytes];
  // dQ staging, the bulk reduces' sources: (consumer warpgroup, half, 64 x 64 floats).
  alignas(1024) float dq[Traits::kConsumerWarpgroups][Traits::kHalves][Traits::kDqChunkFloats];
  alignas(16) float lse_log2[Traits::kStages][Traits::kTileQ];
  alignas(16) float delta[Traits::kStages][Traits::kTileQ];
  alignas(8) uint64_t kv_full;
  uint64_t q_full[Traits::kStages];     // Q tile and its lse_log2
  uint64_t dout_full[Traits::kStages];  // dO tile and its delta
  uint64_t tile_empty[Traits::kStages];
};

}  // namespace radial::cuda::sm90
