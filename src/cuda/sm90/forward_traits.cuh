#pragma once
// Tile sizes and shared-memory plan of the Hopper (sm_90a) forward.
#include <cstdint>

namespace radial::cuda::sm90 {

template <typename Element_, int HEAD_DIM>
struct ForwardTraits {
  using Element = Element_;
  static_assert(HEAD_DIM == 128, "the sm_90a forward is written for head dim 128 (64 runs on the portable kernel)");
  static constexpr int kHeadDim = HEAD_DIM;
  static constexpr int kBlockQ = 128;  // one query block of the mask per CTA
  static constexpr int kBlockK = 128;  // one key block of the mask per tile: a kept block is one TMA pair
  static constexpr int kConsumerWarpgroups = 2;  // 64 query rows each (wgmma M = 64)
  static constexpr int kThreads = 128 * (1 + kConsumerWarpgroups);  // warpgroup 0 produces
  // Three stages (224 KB) measured the same as two on an H100 (bench/results/): two leave room.
  static constexpr int kStages = 2;
  // Register hand-off: the producer needs few, the consumers hold S (64 x 128) and O (64 x 128) in f32.
  // 24/240 measured the same as 40/232.
  static constexpr int kProducerRegs = 40;
  static constexpr int kConsumerRegs = 232;
  // TMA boxes are 64 elements (128 bytes, the swizzle width) wide: a (rows, 128) tile is two
  // (rows, 64) halves stored one after the other.
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
  alignas(1024) unsigned char q[Traits::kQBytes];                      // (2 halves, BLK_Q, 64)
  alignas(1024) unsigned char k[Traits::kStages][Traits::kKVBytes];    // (STAGES, 2 halves, BLK_K, 64)
  alignas(1024) unsigned char v[Traits::kStages][Traits::kKVBytes];    // (STAGES, 2 halves, BLK_K, 64)
  alignas(8) uint64_t q_full;
  uint64_t k_full[Traits::kStages];
  uint64_t v_full[Traits::kStages];
  // K and V stages are released separately: the pipelined consumer is done with K of block j long
  // before it is done with V of block j.
  uint64_t k_empty[Traits::kStages];
  uint64_t v_empty[Traits::kStages];
};

// One (query block, head, batch) work item with its row resolved against kv_limit. q_block < 0: no
// work is left (the persistent kernel's last hand-off).
struct WorkItem {
  int32_t q_block, head, batch;
  int32_t row_begin;     // first CSR entry of the row
  int32_t num_tiles;     // kept key blocks that start before kv_limit
  int32_t first_masked;  // the first of those that reaches past kv_limit: masked inside the tile
  int32_t kv_limit;      // keys at or past this get no weight
};

// The persistent kernel's shared memory: two Q buffers, so that the next item's Q lands while the
// current item's epilogue stages O in its own buffer (192 KB of tiles, one CTA per SM either way).
template <typename Traits>
struct PersistentSharedStorage {
  static constexpr int kQBuffers = 2;
  alignas(1024) unsigned char q[kQBuffers][Traits::kQBytes];          // (2 items, 2 halves, BLK_Q, 64)
  alignas(1024) unsigned char k[Traits::kStages][Traits::kKVBytes];    // (STAGES, 2 halves, BLK_K, 64)
  alignas(1024) unsigned char v[Traits::kStages][Traits::kKVBytes];    // (STAGES, 2 halves, BLK_K, 64)
  // q_full[b]: Q of the item in buffer b landed and item[b] is published (or says no work is left).
  // q_empty[b]: every consumer warp finished that item's epilogue, which stages O in q[b].
  alignas(8) uint64_t q_full[kQBuffers];
  uint64_t q_empty[kQBuffers];
  uint64_t k_full[Traits::kStages];
  uint64_t v_full[Traits::kStages];
  uint64_t k_empty[Traits::kStages];
  uint64_t v_empty[Traits::kStages];
  WorkItem item[kQBuffers];
};

}  // namespace radial::cuda::sm90
