// The CPU forward driver. (batch, head) pairs go in groups (schedule.hpp): all threads pack a
// group's Q, K^T and V into fp32 blocks, then take its (head, query block) items longest row
// first and run the tile kernel on each, writing the rows back in the caller's dtype.
#include <omp.h>

#include <algorithm>
#include <vector>

#include "attention_checks.hpp"
#include "cpu/cpu_attention.hpp"
#include "cpu/pack.hpp"
#include "cpu/schedule.hpp"
#include "cpu/tiles.hpp"
#include "hwy/aligned_allocator.h"

namespace radial::cpu {
namespace {

struct ForwardScratch {
  hwy::AlignedFreeUniquePtr<float[]> scores, out, lse;
  explicit ForwardScratch(int64_t dp)
      : scores(hwy::AllocateAligned<float>(kBlock * kBlock)),  // (BLK_Q, BLK_K)
        out(hwy::AllocateAligned<float>(kBlock * dp)),         // (BLK_Q, dp)
        lse(hwy::AllocateAligned<float>(kBlock)) {}            // (BLK_Q)
};

// One group's packed heads: head g's buffers start at g * padded_len * (dp or head_dim).
struct PackedGroup {
  int64_t rows_stride, transposed_stride;
  hwy::AlignedFreeUniquePtr<float[]> q, kt, v;  // (G, S_pad, dp), (G, num_blocks, HEAD_DIM, BLK), (G, S_pad, dp)
  PackedGroup(int64_t heads, int64_t padded_len, int64_t head_dim, int64_t dp)
      : rows_stride(padded_len * dp),
        transposed_stride(padded_len * head_dim),
        q(hwy::AllocateAligned<float>(heads * rows_stride)),
        kt(hwy::AllocateAligned<float>(heads * transposed_stride)),
        v(hwy::AllocateAligned<float>(heads * rows_stride)) {}
};

}  // namespace

void attention_forward(const AttentionForwardArgs& args) {
  const int64_t batch = args.q.shape[0], seq_len = args.q.shape[1], heads = args.q.shape[2];
  const int64_t head_dim = args.q.shape[3], dp = padded_head_dim(head_dim);
  detail::check_kv_valid_len_on_cpu(args.kv_valid_len, batch, seq_len);
  const int32_t num_blocks = args.layout.num_blocks;
  if (num_blocks == 0 || batch * heads == 0) return;
  const int64_t padded_len = int64_t{num_blocks} * kBlock;
  const std::vector<int32_t> order = longest_first(args.layout.row_offsets, num_blocks);
  const int64_t group = heads_per_group(num_blocks, batch * heads, omp_get_max_threads(),
                                        padded_len * (2 * dp + head_dim) * int64_t{sizeof(float)});

  PackedGroup packed(group, padded_len, head_dim, dp);
  std::vector<ForwardScratch> scratch;
  for (int t = 0; t < omp_get_max_threads(); ++t) scratch.emplace_back(dp);

#pragma omp parallel
  {
    ForwardScratch& mine = scratch[omp_get_thread_num()];
    for (int64_t first_head = 0; first_head < batch * heads; first_head += group) {
      const int64_t count = std::min(group, batch * heads - first_head);
#pragma omp for schedule(static)
      for (int64_t item = 0; item < count * num_blocks; ++item) {
        const auto [g, b, h, block] = packing_item(item, num_blocks, first_head, heads);
        pack_rows_block(args.q, b, h, block, dp, packed.q.get() + g * packed.rows_stride);
        pack_transposed_block(args.k, b, h, block, packed.kt.get() + g * packed.transposed_stride);
        pack_rows_block(args.v, b, h, block, dp, packed.v.get() + g * packed.rows_stride);
      }
#pragma omp for schedule(dynamic, 1)
      for (int64_t item = 0; item < count * num_blocks; ++item) {
        const auto [g, b, h, row] = longest_first_item(item, order, count, first_head, heads);
        const int64_t first = row * kBlock, rows = std::min(kBlock, seq_len - first);
        const int32_t begin = args.layout.row_offsets[row], end = args.layout.row_offsets[row + 1];
        forward_query_block(ForwardBlockTask{
            .q = packed.q.get() + g * packed.rows_stride + first * dp,
            .kt_blocks = packed.kt.get() + g * packed.transposed_stride,
            .v = packed.v.get() + g * packed.rows_stride,
            .key_blocks = args.layout.col_indices + begin,
            .num_key_blocks = end - begin,
            .rows = rows,
            .key_limit = key_limit(args.kv_valid_len, b, seq_len),
            .head_dim = head_dim,
            .dp = dp,
            .scale = args.scale,
            .scores = mine.scores.get(),
            .out = mine.out.get(),
            .lse = mine.lse.get(),
        });
        store_rows(mine.out.get(), dp, rows, args.out, b, h, first);
        store_row_stats(mine.lse.get(), rows, args.lse, b, h, first);
      }
    }
  }
}

}  // namespace radial::cpu
