// The CUDA backward's single dispatch point: arguments (already checked by
// radial::check_backward_args) become BackwardParams, then (dtype, head dim) become template
// arguments here and nowhere else. Every GPU runs the portable (sm_80+) kernels. Both modes gather dQ
// per query block in its own kernel (deterministic): dQ added up with fp32 atomics inside the dK/dV
// kernel measured slower on an H100 (bench/results/2026-11-24-h100-gpu-backward.md).
#include <cuda_bf16.h>
#include <cuda_fp16.h>
#include <cuda_runtime.h>

#include <cmath>
#include <cstdint>
#include <limits>
#include <string>

#include "backward/backward_launch.hpp"
#include "common/device_guard.hpp"
#include "cuda/dispatch.hpp"
#include "radial/error.hpp"

namespace radial::cuda {

namespace {

int64_t padded_len(const AttentionBackwardArgs& a) { return static_cast<int64_t>(a.layout.num_blocks) * 128; }

BackwardParams make_backward_params(const AttentionBackwardArgs& a) {
  if (a.q.shape[1] > std::numeric_limits<int32_t>::max() - 128)
    throw ArgumentError("q", "at most 2^31 - 129 tokens on the CUDA backend", std::to_string(a.q.shape[1]));
  if (a.layout.block_size != 128)
    throw ArgumentError("layout.block_size", "128 on the CUDA backend", std::to_string(a.layout.block_size));
  BackwardParams p{};
  p.q = a.q.data;
  p.k = a.k.data;
  p.v = a.v.data;
  p.out = a.out.data;
  p.dout = a.dout.data;
  p.dq = a.dq.data;
  p.dk = a.dk.data;
  p.dv = a.dv.data;
  p.lse = static_cast<const float*>(a.lse.data);
  p.q_stride_b = a.q.strides[0], p.q_stride_s = a.q.strides[1], p.q_stride_h = a.q.strides[2];
  p.k_stride_b = a.k.strides[0], p.k_stride_s = a.k.strides[1], p.k_stride_h = a.k.strides[2];
  p.v_stride_b = a.v.strides[0], p.v_stride_s = a.v.strides[1], p.v_stride_h = a.v.strides[2];
  p.o_stride_b = a.out.strides[0], p.o_stride_s = a.out.strides[1], p.o_stride_h = a.out.strides[2];
  p.do_stride_b = a.dout.strides[0], p.do_stride_s = a.dout.strides[1], p.do_stride_h = a.dout.strides[2];
  p.dq_stride_b = a.dq.strides[0], p.dq_stride_s = a.dq.strides[1], p.dq_stride_h = a.dq.strides[2];
  p.dk_stride_b = a.dk.strides[0], p.dk_stride_s = a.dk.strides[1], p.dk_stride_h = a.dk.strides[2];
  p.dv_stride_b = a.dv.strides[0], p.dv_stride_s = a.dv.strides[1], p.dv_stride_h = a.dv.strides[2];
  p.lse_stride_b = a.lse.strides[0], p.lse_stride_h = a.lse.strides[1], p.lse_stride_s = a.lse.strides[2];
  p.batch = static_cast<int32_t>(a.q.shape[0]);
  p.seq_len = static_cast<int32_t>(a.q.shape[1]);
  p.heads = static_cast<int32_t>(a.q.shape[2]);
  p.head_dim = static_cast<int32_t>(a.q.shape[3]);
  p.padded_len = static_cast<int32_t>(padded_len(a));
  p.num_blocks = a.layout.num_blocks;
  const int64_t rows = a.q.shape[0] * a.q.shape[2] * padded_len(a);
  p.delta = static_cast<float*>(a.workspace);
  p.lse_log2 = p.delta + rows;
  p.row_offsets = a.layout.row_offsets;
  p.col_indices = a.layout.col_indices;
  p.col_offsets = a.layout.col_offsets;
  p.row_indices = a.layout.row_indices;
  p.kv_valid_len = a.kv_valid_len;
  p.scale = a.scale;
  p.scale_log2 = a.scale * static_cast<float>(M_LOG2E);
  return p;
}

// The one place where runtime values become template arguments.
void launch(DType dtype, int head_dim, const BackwardParams& p, cudaStream_t stream) {
  const std::string why = portable::backward_cannot_implement(p, static_cast<int>(dtype_bytes(dtype)));
  if (!why.empty()) throw ArgumentError("attention_backward(cuda)", "arguments the CUDA kernels support", why);
  const std::string built = "built: bf16 and f16 with head dims 64, 128";
  switch (dtype) {
    case DType::bf16:
      switch (head_dim) {
        case 64: return portable::launch_backward<__nv_bfloat16, 64>(p, stream);
        case 128: return portable::launch_backward<__nv_bfloat16, 128>(p, stream);
        default: throw ArgumentError("head_dim", "one of 64, 128 (" + built + ")", std::to_string(head_dim));
      }
    case DType::f16:
      switch (head_dim) {
        case 64: return portable::launch_backward<__half, 64>(p, stream);
        case 128: return portable::launch_backward<__half, 128>(p, stream);
        default: throw ArgumentError("head_dim", "one of 64, 128 (" + built + ")", std::to_string(head_dim));
      }
    default: throw ArgumentError("q.dtype", "bf16 or f16 on the CUDA backend (" + built + ")", dtype_name(dtype));
  }
}

}  // namespace

void attention_backward(const AttentionBackwardArgs& args, void* stream) {
  const DeviceGuard guard(args.q.device_index);
  const BackwardParams p = make_backward_params(args);
  launch(args.q.dtype, p.head_dim, p, static_cast<cudaStream_t>(stream));
}

size_t attention_backward_workspace_bytes(const AttentionBackwardArgs& args) {
  return portable::backward_workspace_bytes(args.q.shape[0], args.q.shape[2], padded_len(args));
}

}  // namespace radial::cuda
