// Backward of one query block (dQ, over its CSR row) and of one key block (dK, dV, over its CSC
// column). Each recomputes P from Q, K and the forward's LSE, so the two passes share nothing but
// read-only inputs and need no atomics: the result is deterministic for any thread count.
//   P = exp(scale * Q K^T - lse),  dP = dO V^T,  dS = P * (dP - delta),  delta = rowsum(dO * O)
//   dQ = scale * dS K,  dK = scale * dS^T Q,  dV = P^T dO
#include "cpu/hwy_targets.hpp"
#include "cpu/tiles.hpp"

#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "cpu/backward_blocks.cpp"
#include "hwy/foreach_target.h"  // IWYU pragma: keep

#include "cpu/tile_math-inl.h"
#include "hwy/highway.h"

HWY_BEFORE_NAMESPACE();
namespace radial::cpu::HWY_NAMESPACE {

void DqQueryBlock(const DqBlockTask& task) {
  const FloatTag df;
  const size_t N = hn::Lanes(df);
  const size_t rows = static_cast<size_t>(task.rows), head_dim = static_cast<size_t>(task.head_dim);
  const size_t dp = static_cast<size_t>(task.dp);
  ZeroRows(task.dq, rows, dp);  // (BLK_Q, dp)
  for (int64_t n = 0; n < task.num_key_blocks; ++n) {
    const int64_t block = task.key_blocks[n], first_key = block * kBlock;
    const int64_t keys_signed = HWY_MIN(kBlock, task.key_limit - first_key);
    if (keys_signed <= 0) continue;
    const size_t keys = static_cast<size_t>(keys_signed);
    const float* kt = task.kt_blocks + block * head_dim * kBlock;  // (HEAD_DIM, BLK_K)
    const float* vt = task.vt_blocks + block * head_dim * kBlock;  // (HEAD_DIM, BLK_K)
    TileProduct(task.q, dp, rows, kt, kBlock, head_dim, kBlock, task.scores, kBlock, false);       // (BLK_Q, BLK_K) S
    TileProduct(task.dout, dp, rows, vt, kBlock, head_dim, kBlock, task.dscores, kBlock, false);  // (BLK_Q, BLK_K) dP
    const FloatVec scale = hn::Set(df, task.scale);
    for (size_t i = 0; i < rows; ++i) {
      const FloatVec lse = hn::Set(df, task.lse[i]), delta = hn::Set(df, task.delta[i]);
      float* s = task.scores + i * kBlock;
      const float* dpr = task.dscores + i * kBlock;
      for (size_t j = 0; j < keys; j += N) {
        const FloatVec p = hn::Exp(df, hn::MulSub(hn::LoadU(df, s + j), scale, lse));
        hn::StoreU(hn::Mul(p, hn::Sub(hn::LoadU(df, dpr + j), delta)), df, s + j);  // dS, in place of S
      }
    }
    // (BLK_Q, dp) += (BLK_Q, keys) . (keys, dp); lanes of dS past `keys` are never read.
    TileProduct(task.scores, kBlock, rows, task.k + first_key * dp, dp, keys, dp, task.dq, dp, true);
  }
  for (size_t i = 0; i < rows; ++i) ScaleRow(task.dq + i * dp, dp, task.scale);
}

void DkdvKeyBlock(const DkdvBlockTask& task) {
  const FloatTag df;
  const size_t N = hn::Lanes(df);
  const size_t keys = static_cast<size_t>(task.keys), head_dim = static_cast<size_t>(task.head_dim);
  const size_t dp = static_cast<size_t>(task.dp);
  ZeroRows(task.dk, kBlock, dp);  // (BLK_K, dp)
  ZeroRows(task.dv, kBlock, dp);  // (BLK_K, dp)
  if (keys == 0) return;
  const FloatVec scale = hn::Set(df, task.scale);
  for (int64_t n = 0; n < task.num_query_blocks; ++n) {
    const int64_t block = task.query_blocks[n], first_query = block * kBlock;
    const size_t queries = static_cast<size_t>(HWY_MIN(kBlock, task.seq_len - first_query));
    const float* qt = task.qt_blocks + block * head_dim * kBlock;        // (HEAD_DIM, BLK_Q)
    const float* doutt = task.doutt_blocks + block * head_dim * kBlock;  // (HEAD_DIM, BLK_Q)
    TileProduct(task.k, dp, keys, qt, kBlock, head_dim, kBlock, task.scores, kBlock, false);      // (BLK_K, BLK_Q) S^T
    TileProduct(task.v, dp, keys, doutt, kBlock, head_dim, kBlock, task.dscores, kBlock, false);  // (BLK_K, BLK_Q) dP^T
    const float* lse = task.lse + first_query;      // (BLK_Q), +inf past the end: P = 0 there
    const float* delta = task.delta + first_query;  // (BLK_Q)
    for (size_t i = 0; i < keys; ++i) {
      float* s = task.scores + i * kBlock;
      float* ds = task.dscores + i * kBlock;
      for (size_t j = 0; j < kBlock; j += N) {
        const FloatVec p = hn::Exp(df, hn::MulSub(hn::LoadU(df, s + j), scale, hn::LoadU(df, lse + j)));
        hn::StoreU(p, df, s + j);                                                                // P^T
        hn::StoreU(hn::Mul(p, hn::Sub(hn::LoadU(df, ds + j), hn::LoadU(df, delta + j))), df, ds + j);  // dS^T
      }
    }
    // (BLK_K, dp) += (BLK_K, queries) . (queries, dp)
    TileProduct(task.scores, kBlock, keys, task.dout + first_query * dp, dp, queries, dp, task.dv, dp, true);
    TileProduct(task.dscores, kBlock, keys, task.q + first_query * dp, dp, queries, dp, task.dk, dp, true);
  }
  for (size_t i = 0; i < keys; ++i) ScaleRow(task.dk + i * dp, dp, task.scale);
}

}  // namespace radial::cpu::HWY_NAMESPACE
HWY_AFTER_NAMESPACE();

#if HWY_ONCE
namespace radial::cpu {

HWY_EXPORT(DqQueryBlock);
HWY_EXPORT(DkdvKeyBlock);

void dq_query_block(const DqBlockTask& task) { HWY_DYNAMIC_DISPATCH(DqQueryBlock)(task); }
void dkdv_key_block(const DkdvBlockTask& task) { HWY_DYNAMIC_DISPATCH(DkdvKeyBlock)(task); }

}  // namespace radial::cpu
#endif
