// The CPU backward driver. (batch, head) pairs go in groups (schedule.hpp): all threads pack a
// group's tensors into fp32 blocks and per-row statistics, then compute dQ over the query blocks
// (CSR rows) and dK/dV over the key blocks (CSC columns), each longest first. Every output element
// is written exactly once, by one thread: no atomics, the same bits for any thread count.
#include <omp.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <vector>

#include "attention_checks.hpp"
#include "cpu/cpu_attention.hpp"
#include "cpu/pack.hpp"
#include "cpu/schedule.hpp"
#include "cpu/tiles.hpp"
#include "element_io.hpp"
#include "hwy/aligned_allocator.h"

namespace radial::cpu {
namespace {

struct BackwardScratch {
  hwy::AlignedFreeUniquePtr<float[]> scores, dscores, grad_a, grad_b;
  explicit BackwardScratch(int64_t dp)
      : scores(hwy::AllocateAligned<float>(kBlock * kBlock)),   // (BLK, BLK)
        dscores(hwy::AllocateAligned<float>(kBlock * kBlock)),  // (BLK, BLK)
        grad_a(hwy::AllocateAligned<float>(kBlock * dp)),       // (BLK, dp) dq or dk
        grad_b(hwy::AllocateAligned<float>(kBlock * dp)) {}     // (BLK, dp) dv
};

// One group's packed heads in the kernels' layouts (tiles.hpp); head g's buffers start at g times
// the matching stride.
struct PackedGroup {
  int64_t rows_stride, transposed_stride, stats_stride;
  hwy::AlignedFreeUniquePtr<float[]> q, k, v, dout;      // (G, S_pad, dp)
  hwy::AlignedFreeUniquePtr<float[]> qt, kt, vt, doutt;  // (G, num_blocks, HEAD_DIM, BLK)
  hwy::AlignedFreeUniquePtr<float[]> lse, delta;         // (G, S_pad)
  PackedGroup(int64_t heads, int64_t padded_len, int64_t head_dim, int64_t dp)
      : rows_stride(padded_len * dp),
        transposed_stride(padded_len * head_dim),
        stats_stride(padded_len),
        q(hwy::AllocateAligned<float>(heads * rows_stride)),
        k(hwy::AllocateAligned<float>(heads * rows_stride)),
        v(hwy::AllocateAligned<float>(heads * rows_stride)),
        dout(hwy::AllocateAligned<float>(heads * rows_stride)),
        qt(hwy::AllocateAligned<float>(heads * transposed_stride)),
        kt(hwy::AllocateAligned<float>(heads * transposed_stride)),
        vt(hwy::AllocateAligned<float>(heads * transposed_stride)),
        doutt(hwy::AllocateAligned<float>(heads * transposed_stride)),
        lse(hwy::AllocateAligned<float>(heads * stats_stride)),
        delta(hwy::AllocateAligned<float>(heads * stats_stride)) {}
};

// lse and delta of one block's rows: lse -inf (a row with no key) and rows past the end become
// +inf, so that exp(score - lse) = 0 there; delta = rowsum(dO * O) in fp32.
void pack_row_stats_block(const AttentionBackwardArgs& args, int64_t b, int64_t h, int64_t block, float* lse,
                          float* delta) {
  const int64_t seq_len = args.q.shape[1], head_dim = args.q.shape[3];
  constexpr float kInf = std::numeric_limits<float>::infinity();
  for (int64_t s = block * kBlock; s < (block + 1) * kBlock; ++s) {
    if (s >= seq_len) {
      lse[s] = kInf;
      delta[s] = 0.0f;
      continue;
    }
    const float row_lse = static_cast<float>(load_as_double(args.lse.data, args.lse.dtype, row_stat_offset(args.lse, b, h, s)));
    lse[s] = row_lse == -kInf ? kInf : row_lse;
    const int64_t o_offset = token_offset(args.out, b, s, h), do_offset = token_offset(args.dout, b, s, h);
    float sum = 0.0f;
    for (int64_t d = 0; d < head_dim; ++d)
      sum += static_cast<float>(load_as_double(args.out.data, args.out.dtype, o_offset + d)) *
             static_cast<float>(load_as_double(args.dout.data, args.dout.dtype, do_offset + d));
    delta[s] = sum;
  }
}

}  // namespace

size_t attention_backward_workspace_bytes(const AttentionBackwardArgs&) { return 0; }

void attention_backward(const AttentionBackwardArgs& args) {
  const int64_t batch = args.q.shape[0], seq_len = args.q.shape[1], heads = args.q.shape[2];
  const int64_t head_dim = args.q.shape[3], dp = padded_head_dim(head_dim);
  detail::check_kv_valid_len_on_cpu(args.kv_valid_len, batch, seq_len);
  const BlockSparseView& layout = args.layout;
  const int32_t num_blocks = layout.num_blocks;
  if (num_blocks == 0 || batch * heads == 0) return;
  const int64_t padded_len = int64_t{num_blocks} * kBlock;
  const std::vector<int32_t> row_order = longest_first(layout.row_offsets, num_blocks);
  const std::vector<int32_t> column_order = longest_first(layout.col_offsets, num_blocks);
  const int64_t group = heads_per_group(num_blocks, batch * heads, omp_get_max_threads(),
                                        padded_len * (4 * dp + 4 * head_dim + 2) * int64_t{sizeof(float)});

  PackedGroup packed(group, padded_len, head_dim, dp);
  std::vector<BackwardScratch> scratch;
  for (int t = 0; t < omp_get_max_threads(); ++t) scratch.emplace_back(dp);

#pragma omp parallel
  {
    BackwardScratch& mine = scratch[omp_get_thread_num()];
    for (int64_t first_head = 0; first_head < batch * heads; first_head += group) {
      const int64_t count = std::min(group, batch * heads - first_head);
#pragma omp for schedule(static)
      for (int64_t item = 0; item < count * num_blocks; ++item) {
        const auto [g, b, h, block] = packing_item(item, num_blocks, first_head, heads);
        const int64_t rows_at = g * packed.rows_stride, transposed_at = g * packed.transposed_stride;
        pack_rows_block(args.q, b, h, block, dp, packed.q.get() + rows_at);
        pack_rows_block(args.k, b, h, block, dp, packed.k.get() + rows_at);
        pack_rows_block(args.v, b, h, block, dp, packed.v.get() + rows_at);
        pack_rows_block(args.dout, b, h, block, dp, packed.dout.get() + rows_at);
        pack_transposed_block(args.q, b, h, block, packed.qt.get() + transposed_at);
        pack_transposed_block(args.k, b, h, block, packed.kt.get() + transposed_at);
        pack_transposed_block(args.v, b, h, block, packed.vt.get() + transposed_at);
        pack_transposed_block(args.dout, b, h, block, packed.doutt.get() + transposed_at);
        pack_row_stats_block(args, b, h, block, packed.lse.get() + g * packed.stats_stride,
                             packed.delta.get() + g * packed.stats_stride);
      }
      // dQ then dK/dV: both only read the packed group, so threads flow from one to the other.
#pragma omp for schedule(dynamic, 1) nowait
      for (int64_t item = 0; item < count * num_blocks; ++item) {
        const auto [g, b, h, row] = longest_first_item(item, row_order, count, first_head, heads);
        const int64_t first = row * kBlock, rows = std::min(kBlock, seq_len - first);
        const int32_t begin = layout.row_offsets[row], end = layout.row_offsets[row + 1];
        const int64_t rows_at = g * packed.rows_stride, stats_at = g * packed.stats_stride;
        dq_query_block(DqBlockTask{
            .q = packed.q.get() + rows_at + first * dp,
            .dout = packed.dout.get() + rows_at + first * dp,
            .lse = packed.lse.get() + stats_at + first,
            .delta = packed.delta.get() + stats_at + first,
            .kt_blocks = packed.kt.get() + g * packed.transposed_stride,
            .vt_blocks = packed.vt.get() + g * packed.transposed_stride,
            .k = packed.k.get() + rows_at,
            .key_blocks = layout.col_indices + begin,
            .num_key_blocks = end - begin,
            .rows = rows,
            .key_limit = key_limit(args.kv_valid_len, b, seq_len),
            .head_dim = head_dim,
            .dp = dp,
            .scale = args.scale,
            .scores = mine.scores.get(),
            .dscores = mine.dscores.get(),
            .dq = mine.grad_a.get(),
        });
        store_rows(mine.grad_a.get(), dp, rows, args.dq, b, h, first);
      }
#pragma omp for schedule(dynamic, 1)
      for (int64_t item = 0; item < count * num_blocks; ++item) {
        const auto [g, b, h, column] = longest_first_item(item, column_order, count, first_head, heads);
        const int64_t first = column * kBlock, tokens = std::min(kBlock, seq_len - first);
        const int32_t begin = layout.col_offsets[column], end = layout.col_offsets[column + 1];
        const int64_t rows_at = g * packed.rows_stride, transposed_at = g * packed.transposed_stride;
        dkdv_key_block(DkdvBlockTask{
            .k = packed.k.get() + rows_at + first * dp,
            .v = packed.v.get() + rows_at + first * dp,
            .qt_blocks = packed.qt.get() + transposed_at,
            .doutt_blocks = packed.doutt.get() + transposed_at,
            .q = packed.q.get() + rows_at,
            .dout = packed.dout.get() + rows_at,
            .lse = packed.lse.get() + g * packed.stats_stride,
            .delta = packed.delta.get() + g * packed.stats_stride,
            .query_blocks = layout.row_indices + begin,
            .num_query_blocks = end - begin,
            .keys = std::clamp<int64_t>(key_limit(args.kv_valid_len, b, seq_len) - first, 0, tokens),
            .seq_len = seq_len,
            .head_dim = head_dim,
            .dp = dp,
            .scale = args.scale,
            .scores = mine.scores.get(),
            .dscores = mine.dscores.get(),
            .dk = mine.grad_a.get(),
            .dv = mine.grad_b.get(),
        });
        store_rows(mine.grad_a.get(), dp, tokens, args.dk, b, h, first);
        store_rows(mine.grad_b.get(), dp, tokens, args.dv, b, h, first);
      }
    }
  }
}

}  // namespace radial::cpu
