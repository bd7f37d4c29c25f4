// The argument checks and the one dispatch point of the attention API: CPU tensors go to the
// Highway/OpenMP kernels in src/cpu/, CUDA tensors to src/cuda/ when this build has it.
#include "radial/attention.hpp"

#include <cmath>
#include <string>

#include "attention_checks.hpp"
#include "cpu/cpu_attention.hpp"
#include "radial/error.hpp"
#ifdef RADIAL_WITH_CUDA
#include "cuda/dispatch.hpp"
#endif

namespace radial {
namespace detail {
namespace {

bool is_floating(DType dtype) { return dtype != DType::i32; }

void check_token_tensor(const char* name, const TensorView& view, const TensorView& q) {
  if (view.data == nullptr) throw ArgumentError(name, "a non-null data pointer", "null");
  if (view.rank != 4) throw ArgumentError(name, "rank 4 (B, S, H, D)", "rank " + std::to_string(view.rank));
  if (&view != &q && !view.same_shape(q))
    throw ArgumentError(name, "shape " + q.shape_string() + " like q", view.shape_string());
  if (!is_floating(view.dtype)) throw ArgumentError(name, "a floating dtype", dtype_name(view.dtype));
  if (view.strides[3] != 1)
    throw ArgumentError(name, "unit stride in the last dimension", "stride " + std::to_string(view.strides[3]));
}

void check_lse_shape(const TensorView& lse, const TensorView& q) {
  if (lse.data == nullptr) throw ArgumentError("lse", "a non-null data pointer", "null");
  const std::string expected = "shape [" + std::to_string(q.shape[0]) + ", " + std::to_string(q.shape[2]) +
                               ", " + std::to_string(q.shape[1]) + "] (B, H, S)";
  if (lse.rank != 3 || lse.shape[0] != q.shape[0] || lse.shape[1] != q.shape[2] || lse.shape[2] != q.shape[1])
    throw ArgumentError("lse", expected, lse.shape_string());
  if (!is_floating(lse.dtype)) throw ArgumentError("lse", "a floating dtype", dtype_name(lse.dtype));
}

void check_layout(const BlockSparseView& layout, const TensorView& q, bool needs_columns) {
  const int64_t seq_len = q.shape[1];
  if (layout.seq_len != seq_len)
    throw ArgumentError("layout", "seq_len " + std::to_string(seq_len) + " like q's sequence dimension",
                        std::to_string(layout.seq_len));
  if (layout.block_size <= 0)
    throw ArgumentError("layout", "a positive block_size", std::to_string(layout.block_size));
  const int64_t blocks = (seq_len + layout.block_size - 1) / layout.block_size;
  if (layout.num_blocks != blocks)
    throw ArgumentError("layout",
                        std::to_string(blocks) + " blocks (ceil(" + std::to_string(seq_len) + " / " +
                            std::to_string(layout.block_size) + "))",
                        std::to_string(layout.num_blocks));
  // The index arrays may be null when the mask keeps no block (nnz = 0); the offsets never are.
  if (layout.row_offsets == nullptr) throw ArgumentError("layout", "CSR row_offsets", "null");
  if (needs_columns && layout.col_offsets == nullptr)
    throw ArgumentError("layout", "CSC col_offsets for the backward pass", "null");
}

void check_scale(float scale) {
  if (!(scale > 0.0f) || !std::isfinite(scale))
    throw ArgumentError("scale", "a positive finite softmax scale", std::to_string(scale));
}

}  // namespace

void check_forward_shapes(const AttentionForwardArgs& args) {
  check_token_tensor("q", args.q, args.q);
  check_token_tensor("k", args.k, args.q);
  check_token_tensor("v", args.v, args.q);
  check_token_tensor("out", args.out, args.q);
  check_lse_shape(args.lse, args.q);
  check_layout(args.layout, args.q, false);
  check_scale(args.scale);
}

void check_backward_shapes(const AttentionBackwardArgs& args) {
  check_token_tensor("q", args.q, args.q);
  check_token_tensor("k", args.k, args.q);
  check_token_tensor("v", args.v, args.q);
  check_token_tensor("out", args.out, args.q);
  check_token_tensor("dout", args.dout, args.q);
  check_lse_shape(args.lse, args.q);
  check_token_tensor("dq", args.dq, args.q);
  check_token_tensor("dk", args.dk, args.q);
  check_token_tensor("dv", args.dv, args.q);
  check_layout(args.layout, args.q, true);
  check_scale(args.scale);
}

void check_kv_valid_len_on_cpu(const int32_t* kv_valid_len, int64_t batch, int64_t seq_len) {
  if (kv_valid_len == nullptr) return;
  for (int64_t b = 0; b < batch; ++b)
    if (kv_valid_len[b] < 0 || kv_valid_len[b] > seq_len)
      throw ArgumentError("kv_valid_len", "values in [0, " + std::to_string(seq_len) + "]",
                          "kv_valid_len[" + std::to_string(b) + "] = " + std::to_string(kv_valid_len[b]));
}

}  // namespace detail

namespace {

constexpr int64_t kMaxHeadDim = 256;
constexpr int32_t kKernelBlockSize = 128;

// The fast kernels' rules on top of the shape checks: one input dtype among f32/bf16/f16, outputs in
// it (lse f32), one device, a head dim they are built for, 128-token blocks.
std::string device_name(const TensorView& view) {
  return view.device == DeviceType::cpu ? "cpu" : "cuda:" + std::to_string(view.device_index);
}

void check_same_device(const char* name, const TensorView& view, const TensorView& q) {
  if (view.device != q.device || view.device_index != q.device_index)
    throw ArgumentError(name, "device " + device_name(q) + " like q", device_name(view));
}

void check_kernel_tensor(const char* name, const TensorView& view, const TensorView& q) {
  if (view.dtype != q.dtype)
    throw ArgumentError(name, "dtype " + dtype_name(q.dtype) + " like q", dtype_name(view.dtype));
  check_same_device(name, view, q);
}

void check_kernel_common(const TensorView& q, const TensorView& lse, const BlockSparseView& layout) {
  if (q.dtype != DType::f32 && q.dtype != DType::bf16 && q.dtype != DType::f16)
    throw ArgumentError("q", "dtype f32, bf16 or f16", dtype_name(q.dtype));
  const int64_t head_dim = q.shape[3];
  if (head_dim <= 0 || head_dim % 8 != 0 || head_dim > kMaxHeadDim)
    throw ArgumentError("q", "head dim a multiple of 8 up to " + std::to_string(kMaxHeadDim),
                        std::to_string(head_dim));
  if (lse.dtype != DType::f32) throw ArgumentError("lse", "dtype f32", dtype_name(lse.dtype));
  check_same_device("lse", lse, q);
  if (layout.block_size != kKernelBlockSize)
    throw ArgumentError("layout", "block_size " + std::to_string(kKernelBlockSize),
                        std::to_string(layout.block_size));
}

#ifndef RADIAL_WITH_CUDA
[[noreturn]] void throw_no_cuda() {
  throw ArgumentError("q", "a CPU tensor (this build has no CUDA)", "cuda");
}
#endif

}  // namespace

void check_forward_args(const AttentionForwardArgs& args) {
  detail::check_forward_shapes(args);
  check_kernel_common(args.q, args.lse, args.layout);
  check_kernel_tensor("k", args.k, args.q);
  check_kernel_tensor("v", args.v, args.q);
  check_kernel_tensor("out", args.out, args.q);
}

void check_backward_args(const AttentionBackwardArgs& args) {
  detail::check_backward_shapes(args);
  check_kernel_common(args.q, args.lse, args.layout);
  check_kernel_tensor("k", args.k, args.q);
  check_kernel_tensor("v", args.v, args.q);
  check_kernel_tensor("out", args.out, args.q);
  check_kernel_tensor("dout", args.dout, args.q);
  check_kernel_tensor("dq", args.dq, args.q);
  check_kernel_tensor("dk", args.dk, args.q);
  check_kernel_tensor("dv", args.dv, args.q);
  const size_t needed = attention_backward_workspace_bytes(args);
  if (args.workspace_bytes < needed || (needed > 0 && args.workspace == nullptr))
    throw ArgumentError("workspace", std::to_string(needed) + " bytes (attention_backward_workspace_bytes)",
                        args.workspace == nullptr ? std::string("null")
                                                  : std::to_string(args.workspace_bytes) + " bytes");
}

size_t attention_backward_workspace_bytes(const AttentionBackwardArgs& args) {
  if (args.q.device == DeviceType::cpu) return cpu::attention_backward_workspace_bytes(args);
#ifdef RADIAL_WITH_CUDA
  return cuda::attention_backward_workspace_bytes(args);
#else
  throw_no_cuda();
#endif
}

void attention_forward(const AttentionForwardArgs& args, [[maybe_unused]] void* stream) {
  check_forward_args(args);
  if (args.q.device == DeviceType::cpu) return cpu::attention_forward(args);
#ifdef RADIAL_WITH_CUDA
  cuda::attention_forward(args, stream);
#else
  throw_no_cuda();
#endif
}

void attention_backward(const AttentionBackwardArgs& args, [[maybe_unused]] void* stream) {
  check_backward_args(args);
  if (args.q.device == DeviceType::cpu) return cpu::attention_backward(args);
#ifdef RADIAL_WITH_CUDA
  cuda::attention_backward(args, stream);
#else
  throw_no_cuda();
#endif
}

}  // namespace radial
