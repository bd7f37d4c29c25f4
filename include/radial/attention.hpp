#pragma once
// Block-sparse attention: one contract for every backend (CPU, CUDA portable, CUDA Hopper).
//
// Shapes (B batch, S sequence, H heads, D head dim):
//   q, k, v, out, dout, dq, dk, dv: (B, S, H, D), any strides with a unit last dimension
//   lse:                            (B, H, S) float32, natural-log log-sum-exp of each query row
//   kv_valid_len:                   (B) int32 or null; keys at positions >= kv_valid_len[b] get no weight
// For query block r the kernel visits exactly the key blocks layout.col_indices[row_offsets[r] ..
// row_offsets[r + 1]); a query row that has no key with weight (an empty block row, or every key
// masked by kv_valid_len) gets out = 0 and lse = -inf, and zero gradients.
// Accumulation is float32 (float64 in the reference).
#include <cstddef>
#include <cstdint>

#include "radial/sparse_layout.hpp"
#include "radial/tensor_view.hpp"

namespace radial {

struct AttentionForwardArgs {
  TensorView q, k, v;
  TensorView out;  // written
  TensorView lse;  // written
  BlockSparseView layout;
  const int32_t* kv_valid_len = nullptr;  // on the device of q
  float scale = 0.0f;                     // softmax scale; > 0 and finite
  // build_forward_schedule's plan for this layout (radial/two_pass_plans.hpp), on the device of q, or
  // null. The Hopper forward then runs in two passes for the GPU's L2; other backends ignore it.
  const int32_t* forward_schedule = nullptr;
};

struct AttentionBackwardArgs {
  TensorView q, k, v, out, dout, lse;
  TensorView dq, dk, dv;  // written
  BlockSparseView layout;
  const int32_t* kv_valid_len = nullptr;
  float scale = 0.0f;
  bool deterministic = false;  // no atomics anywhere (GPU); the CPU path is always deterministic
  // build_backward_schedule's plan for this layout (radial/two_pass_plans.hpp), on the device of q, or
  // null. Only the Hopper kernels of the default mode follow it, once one head's Q and dO outgrow the L2;
  // the result is the same gradients up to one more rounding of dK and dV.
  const int32_t* backward_schedule = nullptr;
  void* workspace = nullptr;   // attention_backward_workspace_bytes(args) bytes on the device of q
  size_t workspace_bytes = 0;
};

// Checks every argument (shapes, dtypes, strides, devices, head dim, layout vs sequence) and throws
// ArgumentError naming the first one that is wrong. Every entry point below calls it first.
void check_forward_args(const AttentionForwardArgs& args);
void check_backward_args(const AttentionBackwardArgs& args);

// Scratch the backward needs on q's device: two float32 rows (B, H, padded S) for the softmax
// statistics, plus, in the default mode on Hopper at head dim 128, the float32 dQ accumulator
// (B, H, padded S, 128) that the kernels add into (1.5 GB at Wan2.1 720p 81 f, 40 heads).
size_t attention_backward_workspace_bytes(const AttentionBackwardArgs& args);

// Dispatch on q's device. `stream` is a cudaStream_t for CUDA tensors, ignored on the CPU.
void attention_forward(const AttentionForwardArgs& args, void* stream = nullptr);
void attention_backward(const AttentionBackwardArgs& args, void* stream = nullptr);

}  // namespace radial
