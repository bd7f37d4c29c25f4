// Forward of one query block: for each kept key block, S = Q K^T, an online-softmax update of the
// running row max and sum, and O += P V; then O / l and LSE = m + log(l).
#include "cpu/hwy_targets.hpp"
#include "cpu/tiles.hpp"

#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "cpu/forward_block.cpp"
#include "hwy/foreach_target.h"  // IWYU pragma: keep

#include "cpu/tile_math-inl.h"
#include "hwy/highway.h"

HWY_BEFORE_NAMESPACE();
namespace radial::cpu::HWY_NAMESPACE {

void ForwardQueryBlock(const ForwardBlockTask& task) {
  const size_t rows = static_cast<size_t>(task.rows), head_dim = static_cast<size_t>(task.head_dim);
  const size_t dp = static_cast<size_t>(task.dp);
  float row_max[kBlock];  // (BLK_Q) running max of the scaled scores
  float row_sum[kBlock];  // (BLK_Q) running sum of exp(scaled score - row_max)
  for (size_t i = 0; i < rows; ++i) {
    row_max[i] = kNegInf;
    row_sum[i] = 0.0f;
  }
  ZeroRows(task.out, rows, dp);  // (BLK_Q, dp) unnormalized output
  for (int64_t n = 0; n < task.num_key_blocks; ++n) {
    const int64_t first_key = int64_t{task.key_blocks[n]} * kBlock;
    const int64_t keys_signed = HWY_MIN(kBlock, task.key_limit - first_key);
    if (keys_signed <= 0) continue;  // every key of this block is past kv_valid_len
    const size_t keys = static_cast<size_t>(keys_signed);
    const float* kt = task.kt_blocks + task.key_blocks[n] * head_dim * kBlock;  // (HEAD_DIM, BLK_K)
    const float* v = task.v + first_key * dp;                                     // (BLK_K, dp)
    // (BLK_Q, BLK_K) raw scores; columns past `keys` are computed on zero padding and never read.
    TileProduct(task.q, dp, rows, kt, kBlock, head_dim, kBlock, task.scores, kBlock, false);
    for (size_t i = 0; i < rows; ++i) {
      float* p = task.scores + i * kBlock;
      const float new_max = HWY_MAX(row_max[i], task.scale * RowMax(p, keys));
      const float sum = ExpShiftedRow(p, keys, task.scale, new_max);
      // Rescale only when the max moved: exp(-inf - finite) is 0, which zeroes an empty history.
      if (new_max != row_max[i]) {
        const float correction = std::exp(row_max[i] - new_max);
        row_sum[i] *= correction;
        ScaleRow(task.out + i * dp, dp, correction);
      }
      row_max[i] = new_max;
      row_sum[i] += sum;
    }
    // (BLK_Q, dp) += (BLK_Q, keys) . (keys, dp)
    TileProduct(task.scores, kBlock, rows, v, dp, keys, dp, task.out, dp, true);
  }
  for (size_t i = 0; i < rows; ++i) {
    if (row_sum[i] > 0.0f) {
      ScaleRow(task.out + i * dp, dp, 1.0f / row_sum[i]);
      task.lse[i] = row_max[i] + std::log(row_sum[i]);
    } else {
      task.lse[i] = kNegInf;  // no key with weight: out stays 0
    }
  }
}

}  // namespace radial::cpu::HWY_NAMESPACE
HWY_AFTER_NAMESPACE();

#if HWY_ONCE
namespace radial::cpu {

HWY_EXPORT(ForwardQueryBlock);

void forward_query_block(const ForwardBlockTask& task) { HWY_DYNAMIC_DISPATCH(ForwardQueryBlock)(task); }

}  // namespace radial::cpu
#endif
