#pragma once
// Tile sizes and shared-memory plan of the Hopper (sm_90a) forward.
#include <cstdint>

namespace radial::cuda::sm90 {

template <typename Element_, int HEAD_DIM>
struct ForwardTraits {
  using Element = Element_;
  static_assert(HEAD_DIM == 64 || HEAD_DIM == 128, "head dims 64 and 128: whole 64-column (128-byte) swizzle rows");
  static constexpr int kHeadDim = HEAD_DIM;
  static constexpr int kBlockQ = 128;  // one query block of the mask per CTA
  static constexpr int kBlockK = 128;  // one key block of the mask per tile: a kept block is one TMA pair
  static constexpr int kConsumerWarpgroups = 2;  // 64 query rows each (wgmma M = 64)
  static constexpr int kThreads = 128 * (1 + kConsumerWarpgroups);  // warpgroup 0 produces
  // Three stages (224 KB) measured the same as two on an H100 (bench/results/): two leave room.
  static constexpr int kStages = 2;
  // Register hand-off: the producer needs few; the consumers hold S and O (64 x 128 each) in f32, P, and
  // their Q rows as bf16 A fragments (32 registers at head dim 128).
  static constexpr int kProducerRegs = 24;
  static constexpr int kConsumerRegs = 240;
  // TMA boxes are 64 elements (128 bytes, the swizzle width) wide: a (rows, D) tile is HALVES = D / 64
  // (rows, 64) boxes ("halves") stored one after the other.
  static constexpr int kHalfCols = 64;
  static constexpr int kHalves = kHeadDim / kHalfCols;
  static constexpr int kQBytes = kBlockQ * kHeadDim * 2;
  static constexpr int kKVBytes = kBlockK * kHeadDim * 2;
  static constexpr int kHalfBytesQ = kBlockQ * kHalfCols * 2;
  static constexpr int kHalfBytesKV = kBlockK * kHalfCols * 2;
};

// Shared memory, every tile 1024-byte aligned (the 128-byte swizzle repeats every 8 rows of 128 bytes).
template <typename Traits>
struct SharedStorage {
  alignas(1024) unsigned char q[Traits::kQBytes];                      // (HALVES, BLK_Q, 64)
  alignas(1024) unsigned char k[Traits::kStages][Traits::kKVBytes];    // (STAGES, HALVES, BLK_K, 64)
  alignas(1024) unsigned char v[Traits::kStages][Traits::kKVBytes];    // (STAGES, HALVES, BLK_K, 64)
  float row_weight[Traits::kBlockQ];  // a merging pass: the weight of each row's earlier output
  alignas(8) uint64_t q_full;
  uint64_t k_full[Traits::kStages];
  uint64_t v_full[Traits::kStages];
  // K and V stages are released separately: the pipelined consumer is done with K of block j long
  // before it is done with V of block j.
  uint64_t k_empty[Traits::kStages];
  uint64_t v_empty[Traits::kStages];
};

}  // namespace radial::cuda::sm90
