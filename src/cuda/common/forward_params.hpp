#pragma once
// The forward kernels' arguments as plain values (no TensorView, no std:: types), filled once on the
// host by the dispatch point and passed by value to every CUDA forward kernel.
#include <cstdint>

namespace radial::cuda {

struct ForwardParams {
  const void* q;  // (B, S, H, D), element strides below, unit last dimension
  const void* k;
  const void* v;
  void* out;
  float* lse;     // (B, H, S) float32
  int64_t q_stride_b, q_stride_s, q_stride_h;
  int64_t k_stride_b, k_stride_s, k_stride_h;
  int64_t v_stride_b, v_stride_s, v_stride_h;
  int64_t o_stride_b, o_stride_s, o_stride_h;
  int64_t lse_stride_b, lse_stride_h, lse_stride_s;
  int32_t batch, seq_len, heads, head_dim;
  int32_t num_blocks;          // query and key blocks of 128 tokens
  const int32_t* row_offsets;  // (num_blocks + 1) CSR, on the device, indexed by the grid's x
  const int32_t* col_indices;  // (nnz)
  const int32_t* q_blocks;     // (num_blocks) query block of the grid's x, or null: x itself (sm_90a only)
  int32_t merge;               // 1: add to the out and lse already written, through the lse (sm_90a only)
  const int32_t* kv_valid_len; // (B) or null
  float scale_log2;            // softmax scale * log2(e): the kernels exponentiate with exp2
};

}  // namespace radial::cuda
