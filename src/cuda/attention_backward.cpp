// The CUDA backward's single dispatch point: arguments (already checked by
// radial::check_backward_args) become BackwardParams, then (dtype, head dim) become template
// arguments here and nowhere else. After the portable preprocessing:
//   Hopper, default mode: the fused sm_90a dK/dV kernel also adds dQ's fp32 partial
//     sums into a workspace accumulator (bulk reduce-adds), then a conversion kernel writes dq. Given a
//     radial mask's backward schedule, at long lengths the dK/dV kernel runs in its two passes.
//   Hopper, deterministic: sm_90a dK/dV, then sm_90a dQ per query block (no atomics).
//   Everything else, and any GPU with RADIAL_CUDA_BACKWARD=portable (side-by-side benchmarks): the
//     portable dK/dV and dQ kernels (no atomics). Scalar fp32 atomics for dQ inside the portable
//     dK/dV kernel measured slower on an H100 (bench/results/2026-11-24-h100-gpu-backward.md).
#include <cuda_bf16.h>
#include <cuda_fp16.h>
#include <cuda_runtime.h>

#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <limits>
#include <string>

#include "backward/backward_launch.hpp"
#include "common/check.hpp"
#include "common/device_guard.hpp"
#include "common/two_pass_choice.hpp"
#include "cuda/dispatch.hpp"
#include "radial/error.hpp"
#include "sm90/backward_launch.hpp"
#include "sm90/forward_launch.hpp"

namespace radial::cuda {

namespace {

int64_t padded_len(const AttentionBackwardArgs& a) { return static_cast<int64_t>(a.layout.num_blocks) * 128; }

enum class Family { portable, sm90 };

Family choose_family(const AttentionBackwardArgs& a) {
  const char* forced = std::getenv("RADIAL_CUDA_BACKWARD");
  if (forced && std::string(forced) == "portable") return Family::portable;
  return sm90::device_is_sm90(a.q.device_index) ? Family::sm90 : Family::portable;
}

// The default mode on Hopper accumulates dQ in fp32 in the workspace, after delta and lse_log2.
bool accumulates_dq(const AttentionBackwardArgs& a, Family family) { return family == Family::sm90 && !a.deterministic; }

int64_t dq_accum_floats(const AttentionBackwardArgs& a) {
  return a.q.shape[0] * a.q.shape[2] * padded_len(a) * a.q.shape[3];  // (batch, heads, padded rows, head dim)
}

BackwardParams make_backward_params(const AttentionBackwardArgs& a, Family family) {
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
  p.dq_accum = accumulates_dq(a, family) ? p.lse_log2 + rows : nullptr;
  p.row_offsets = a.layout.row_offsets;
  p.col_indices = a.layout.col_indices;
  p.col_offsets = a.layout.col_offsets;
  p.row_indices = a.layout.row_indices;
  p.kv_valid_len = a.kv_valid_len;
  p.scale = a.scale;
  p.scale_log2 = a.scale * static_cast<float>(M_LOG2E);
  return p;
}

// schedule: the backward schedule's plan when the dK/dV kernel takes two passes over it, else null.
template <typename Element, int HEAD_DIM>
void run_kernels(Family family, const BackwardParams& p, const int32_t* schedule, cudaStream_t stream) {
  portable::launch_backward_preprocess<Element, HEAD_DIM>(p, stream);
  if (family == Family::sm90) {
    if (p.dq_accum) {
      RADIAL_CUDA_CHECK(cudaMemsetAsync(p.dq_accum, 0,
                                        static_cast<size_t>(p.batch) * p.heads * p.padded_len * HEAD_DIM * sizeof(float),
                                        stream));
      if (schedule) {
        // Each key block's near query blocks in column order, then its far ones with the key blocks in the
        // plan's order, added to the first pass's dK and dV; dQ adds up in the accumulator either way.
        const int32_t n = p.num_blocks;
        BackwardParams near = p;
        near.col_offsets = schedule;
        near.row_indices = schedule + 3 * n + 2;
        sm90::launch_backward_dkdv<Element, HEAD_DIM>(near, stream);
        BackwardParams far = near;
        far.col_offsets = schedule + n + 1;
        far.k_blocks = schedule + 2 * n + 2;
        far.merge = 1;
        sm90::launch_backward_dkdv<Element, HEAD_DIM>(far, stream);
      } else {
        sm90::launch_backward_dkdv<Element, HEAD_DIM>(p, stream);
      }
      portable::launch_backward_dq_convert<Element, HEAD_DIM>(p, stream);
    } else {
      sm90::launch_backward_dkdv<Element, HEAD_DIM>(p, stream);
      sm90::launch_backward_dq<Element, HEAD_DIM>(p, stream);
    }
    return;
  }
  portable::launch_backward_dkdv<Element, HEAD_DIM>(p, stream);
  portable::launch_backward_dq<Element, HEAD_DIM>(p, stream);
}

// The one place where runtime values become template arguments.
void launch(Family family, DType dtype, int head_dim, const BackwardParams& p, const int32_t* schedule,
            cudaStream_t stream) {
  const std::string why = portable::backward_cannot_implement(p, static_cast<int>(dtype_bytes(dtype)));
  if (!why.empty()) throw ArgumentError("attention_backward(cuda)", "arguments the CUDA kernels support", why);
  const std::string built = "built: bf16 and f16 with head dims 64, 128";
  switch (dtype) {
    case DType::bf16:
      switch (head_dim) {
        case 64: return run_kernels<__nv_bfloat16, 64>(family, p, schedule, stream);
        case 128: return run_kernels<__nv_bfloat16, 128>(family, p, schedule, stream);
        default: throw ArgumentError("head_dim", "one of 64, 128 (" + built + ")", std::to_string(head_dim));
      }
    case DType::f16:
      switch (head_dim) {
        case 64: return run_kernels<__half, 64>(family, p, schedule, stream);
        case 128: return run_kernels<__half, 128>(family, p, schedule, stream);
        default: throw ArgumentError("head_dim", "one of 64, 128 (" + built + ")", std::to_string(head_dim));
      }
    default: throw ArgumentError("q.dtype", "bf16 or f16 on the CUDA backend (" + built + ")", dtype_name(dtype));
  }
}

}  // namespace

void attention_backward(const AttentionBackwardArgs& args, void* stream) {
  const DeviceGuard guard(args.q.device_index);
  const Family family = choose_family(args);
  const BackwardParams p = make_backward_params(args, family);
  const bool two_passes = p.dq_accum && args.backward_schedule &&
                          use_two_pass_schedule("RADIAL_CUDA_BACKWARD_SCHEDULE", p.seq_len, p.head_dim,
                                                args.q.device_index);
  launch(family, args.q.dtype, p.head_dim, p, two_passes ? args.backward_schedule : nullptr,
         static_cast<cudaStream_t>(stream));
}

size_t attention_backward_workspace_bytes(const AttentionBackwardArgs& args) {
  const size_t accum = accumulates_dq(args, choose_family(args)) ? dq_accum_floats(args) * sizeof(float) : 0;
  return portable::backward_workspace_bytes(args.q.shape[0], args.q.shape[2], padded_len(args)) + accum;
}

}  // namespace radial::cuda
