#pragma once
// The backward kernels' arguments as plain values, filled once on the host by the dispatch point
// (src/cuda/attention_backward.cpp) and passed by value to every CUDA backward kernel.
#include <cstdint>

namespace radial::cuda {

struct BackwardParams {
  const void* q;  // (B, S, H, D), element strides below, unit last dimension
  const void* k;
  const void* v;
  const void* out;
  const void* dout;
  void* dq;
  void* dk;
  void* dv;
  const float* lse;  // (B, H, S) natural-log log-sum-exp from the forward
  int64_t q_stride_b, q_stride_s, q_stride_h;
  int64_t k_stride_b, k_stride_s, k_stride_h;
  int64_t v_stride_b, v_stride_s, v_stride_h;
  int64_t o_stride_b, o_stride_s, o_stride_h;
  int64_t do_stride_b, do_stride_s, do_stride_h;
  int64_t dq_stride_b, dq_stride_s, dq_stride_h;
  int64_t dk_stride_b, dk_stride_s, dk_stride_h;
  int64_t dv_stride_b, dv_stride_s, dv_stride_h;
  int64_t lse_stride_b, lse_stride_h, lse_stride_s;
  // Workspace, both (B, H, padded_len) contiguous, written by the preprocessing kernel:
  float* delta;     // rowsum(dO * O); 0 past the sequence end
  float* lse_log2;  // lse * log2(e); +inf for rows with no weight and past the end, so exp2(s - it) = 0
  // Default mode on Hopper only (null otherwise): unscaled dQ in fp32, added up by the fused dK/dV
  // kernel with bulk reduce-adds, in 64-query tiles (backward/dq_accum_layout.cuh), zeroed per call.
  float* dq_accum;
  int32_t batch, seq_len, heads, head_dim;
  int32_t padded_len;            // num_blocks * 128
  int32_t num_blocks;            // query and key blocks of 128 tokens
  const int32_t* row_offsets;    // (num_blocks + 1) CSR: key blocks of each query block (dQ)
  const int32_t* col_indices;    // (nnz)
  const int32_t* col_offsets;    // (num_blocks + 1) CSC: query blocks of each key block (dK, dV)
  const int32_t* row_indices;    // (nnz)
  const int32_t* kv_valid_len;   // (B) or null
  // The backward schedule's passes (Hopper dK/dV only; radial/two_pass_plans.hpp): CTA x of the dK/dV
  // grid owns key block k_blocks[x] (null: key block x) and visits col_offsets[x] .. [x + 1]; with merge
  // set it adds its dK and dV to what the previous pass wrote, and a CTA with nothing to visit returns.
  const int32_t* k_blocks;
  int32_t merge;
  float scale;                   // softmax scale
  float scale_log2;              // scale * log2(e): the kernels exponentiate with exp2
};

}  // namespace radial::cuda
