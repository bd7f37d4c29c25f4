#pragma once
// Tile sizes and shared-memory plan of the Hopper (sm_90a) dQ kernel. Its tiles are
// the forward's (a 128-query block per CTA, one 128-key block per pipeline stage, 64-column swizzled
// halves), so the forward's wgmma products (forward_mma.cuh) run on them unchanged: issue_qk and
// issue_pv read kBlockK, kHeadDim, kHalfBytesQ, kHalfBytesKV and Element from these traits.
#include <cstdint>

namespace radial::cuda::sm90 {

template <typename Element_, int HEAD_DIM>
struct BackwardDqTraits {
  using Element = Element_;
  static_assert(HEAD_DIM == 64 || HEAD_DIM == 128, "head dims 64 and 128: whole 64-column (128-byte) swizzle rows");
  static constexpr int kHeadDim = HEAD_DIM;
  static constexpr int kBlockQ = 128;  // one query block of the mask per CTA
  static constexpr int kBlockK = 128;  // one key block of the mask per stage: a kept block is one K/V pair
  static constexpr int kConsumerWarpgroups = 2;  // 64 query rows each (wgmma M = 64)
  static constexpr int kThreads = 128 * (1 + kConsumerWarpgroups);  // warpgroup 0 produces
  // Q and dO (64 KB at head dim 128) stay for the whole row, so two K/V stages (128 KB) fit beside them.
  static constexpr int kStages = 2;
  // The consumers hold S, dP and dQ (64 x 128 f32 per warpgroup: 64 registers each per thread) while
  // S and dP are in flight; the producer needs few. 128 * 24 + 256 * 240 fits the 64 K registers.
  static constexpr int kProducerRegs = 24;
  static constexpr int kConsumerRegs = 240;
  // TMA boxes are 64 elements (128 bytes, the swizzle width) wide: a (rows, D) tile is HALVES = D / 64
  // (rows, 64) boxes ("halves") stored one after the other.
  static constexpr int kHalfCols = 64;
  static constexpr int kHalves = kHeadDim / kHalfCols;
  static constexpr int kQBytes = kBlockQ * kHeadDim * 2;   // also dO's
  static constexpr int kKVBytes = kBlockK * kHeadDim * 2;  // K's or V's, one stage
  static constexpr int kHalfBytesQ = kBlockQ * kHalfCols * 2;
  static constexpr int kHalfBytesKV = kBlockK * kHalfCols * 2;
  static_assert(kBlockQ == kConsumerWarpgroups * 64, "each consumer warpgroup owns 64 query rows");
  static_assert(sizeof(Element) == 2, "TMA boxes and wgmma descriptors assume 16-bit elements");
};

// Shared memory, every tile 1024-byte aligned (the 128-byte swizzle repeats every 8 rows of 128 bytes).
template <typename Traits>
struct BackwardDqSharedStorage {
  alignas(1024) unsigned char q[Traits::kQBytes];                    // (HALVES, BLK_Q, 64)
  alignas(1024) unsigned char dout[Traits::kQBytes];                 // (HALVES, BLK_Q, 64)
  alignas(1024) unsigned char k[Traits::kStages][Traits::kKVBytes];  // (STAGES, HALVES, BLK_K, 64)
  alignas(1024) unsigned char v[Traits::kStages][Traits::kKVBytes];  // (STAGES, HALVES, BLK_K, 64)
  alignas(8) uint64_t q_dout_full;  // Q and dO arrive together: the first tile needs both
  uint64_t k_full[Traits::kStages];
  uint64_t v_full[Traits::kStages];
  // Released separately: V of block j is done once dP is, K of block j only after dQ += dS K.
  uint64_t k_empty[Traits::kStages];
  uint64_t v_empty[Traits::kStages];
};

}  // namespace radial::cuda::sm90
