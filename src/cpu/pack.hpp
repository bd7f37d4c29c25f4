#pragma once
// Conversions between the caller's tensors (any dtype, any strides) and the CPU kernels' packed
// fp32 buffers of one (batch, head); layouts in tiles.hpp. Packing costs O(S * D) per head, which
// the O(S^2 * D) block products amortize.
#include <algorithm>
#include <cstdint>

#include "radial/tensor_view.hpp"

namespace radial::cpu {

// Each packs one block of one head, so that threads can share the packing of a head.
// rows (S_pad, dp): rows [block * kBlock, +kBlock) <- view[b, those tokens, h, :], zero-padded.
void pack_rows_block(const TensorView& view, int64_t b, int64_t h, int64_t block, int64_t dp, float* rows);

// transposed (num_blocks, head_dim, kBlock): tile `block` <- view[b, its tokens, h, :]^T, zero-padded.
void pack_transposed_block(const TensorView& view, int64_t b, int64_t h, int64_t block, float* transposed);

// dst[b, first + i, h, :] <- src (count, dp) rows, converted to dst's dtype.
void store_rows(const float* src, int64_t dp, int64_t count, const TensorView& dst, int64_t b, int64_t h,
                int64_t first);

// dst[b, h, first + i] <- src (count), converted to dst's dtype.
void store_row_stats(const float* src, int64_t count, const TensorView& dst, int64_t b, int64_t h, int64_t first);

// The tasks' key_limit (tiles.hpp) for batch b: min(seq_len, kv_valid_len[b]), or seq_len where the
// caller passes no kv_valid_len.
inline int64_t key_limit(const int32_t* kv_valid_len, int64_t b, int64_t seq_len) {
  return kv_valid_len ? std::min<int64_t>(seq_len, kv_valid_len[b]) : seq_len;
}

}  // namespace radial::cpu
