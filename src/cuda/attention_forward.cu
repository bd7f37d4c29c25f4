// The CUDA forward's single dispatch point: arguments (already checked by radial::check_forward_args)
// become ForwardParams, then (dtype, head dim) become template arguments here and nowhere else.
#include <cuda_bf16.h>
#include <cuda_fp16.h>
#include <cuda_runtime.h>

#include <cmath>
#include <cstdlib>
#include <limits>
#include <string>

#include "common/check.hpp"
#include "common/device_guard.hpp"
#include "common/forward_params.hpp"
#include "common/two_pass_choice.hpp"
#include "cuda/dispatch.hpp"
#include "portable/forward_launch.hpp"
#include "sm90/forward_launch.hpp"
#include "radial/error.hpp"

namespace radial::cuda {

namespace {

ForwardParams make_forward_params(const AttentionForwardArgs& a) {
  if (a.q.shape[1] > std::numeric_limits<int32_t>::max())
    throw ArgumentError("q", "at most 2^31 - 1 tokens on the CUDA backend", std::to_string(a.q.shape[1]));
  // Both kernels take one mask block per query tile and one or two key tiles per kept block.
  if (a.layout.block_size != 128)
    throw ArgumentError("layout.block_size", "128 on the CUDA backend", std::to_string(a.layout.block_size));
  ForwardParams p{};
  p.q = a.q.data;
  p.k = a.k.data;
  p.v = a.v.data;
  p.out = a.out.data;
  p.lse = static_cast<float*>(a.lse.data);
  p.q_stride_b = a.q.strides[0], p.q_stride_s = a.q.strides[1], p.q_stride_h = a.q.strides[2];
  p.k_stride_b = a.k.strides[0], p.k_stride_s = a.k.strides[1], p.k_stride_h = a.k.strides[2];
  p.v_stride_b = a.v.strides[0], p.v_stride_s = a.v.strides[1], p.v_stride_h = a.v.strides[2];
  p.o_stride_b = a.out.strides[0], p.o_stride_s = a.out.strides[1], p.o_stride_h = a.out.strides[2];
  p.lse_stride_b = a.lse.strides[0], p.lse_stride_h = a.lse.strides[1], p.lse_stride_s = a.lse.strides[2];
  p.batch = static_cast<int32_t>(a.q.shape[0]);
  p.seq_len = static_cast<int32_t>(a.q.shape[1]);
  p.heads = static_cast<int32_t>(a.q.shape[2]);
  p.head_dim = static_cast<int32_t>(a.q.shape[3]);
  p.num_blocks = a.layout.num_blocks;
  p.row_offsets = a.layout.row_offsets;
  p.col_indices = a.layout.col_indices;
  p.kv_valid_len = a.kv_valid_len;
  p.scale_log2 = a.scale * static_cast<float>(M_LOG2E);
  return p;
}

// Which kernel family runs a call. Hopper gets the sm_90a kernel; every other GPU, and any GPU when
// RADIAL_CUDA_FORWARD=portable (for side-by-side benchmarks), the portable one.
enum class Family { portable, sm90 };

Family choose_family(int device) {
  const char* forced = std::getenv("RADIAL_CUDA_FORWARD");
  if (forced && std::string(forced) == "portable") return Family::portable;
  return sm90::device_is_sm90(device) ? Family::sm90 : Family::portable;
}

template <typename Element, int HEAD_DIM>
void launch_variant(Family family, const ForwardParams& p, cudaStream_t stream) {
  if (family == Family::sm90) return sm90::launch_forward<Element, HEAD_DIM>(p, stream);
  portable::launch_forward<Element, HEAD_DIM>(p, stream);
}

// The one place where runtime values become template arguments.
void launch(Family family, DType dtype, int head_dim, const ForwardParams& p, cudaStream_t stream) {
  const std::string why = portable::forward_cannot_implement(p, static_cast<int>(dtype_bytes(dtype)));
  if (!why.empty()) throw ArgumentError("attention_forward(cuda)", "arguments the CUDA kernels support", why);
  const std::string built = "built: bf16 and f16 with head dims 64, 128";
  switch (dtype) {
    case DType::bf16:
      switch (head_dim) {
        case 64: return launch_variant<__nv_bfloat16, 64>(family, p, stream);
        case 128: return launch_variant<__nv_bfloat16, 128>(family, p, stream);
        default: throw ArgumentError("head_dim", "one of 64, 128 (" + built + ")", std::to_string(head_dim));
      }
    case DType::f16:
      switch (head_dim) {
        case 64: return launch_variant<__half, 64>(family, p, stream);
        case 128: return launch_variant<__half, 128>(family, p, stream);
        default: throw ArgumentError("head_dim", "one of 64, 128 (" + built + ")", std::to_string(head_dim));
      }
    default: throw ArgumentError("q.dtype", "bf16 or f16 on the CUDA backend (" + built + ")", dtype_name(dtype));
  }
}

}  // namespace

void attention_forward(const AttentionForwardArgs& args, void* stream) {
  const DeviceGuard guard(args.q.device_index);
  const ForwardParams p = make_forward_params(args);
  const Family family = choose_family(args.q.device_index);
  const auto cuda_stream = static_cast<cudaStream_t>(stream);
  if (family != Family::sm90 || args.forward_schedule == nullptr ||
      !use_two_pass_schedule("RADIAL_CUDA_FORWARD_SCHEDULE", p.seq_len, p.head_dim, args.q.device_index))
    return launch(family, args.q.dtype, p.head_dim, p, cuda_stream);
  // Two passes over the plan (radial/two_pass_plans.hpp): the near blocks in row order, then the far
  // blocks in the plan's row order, added to the first pass's output.
  const int32_t n = p.num_blocks;
  const int32_t* plan = args.forward_schedule;
  ForwardParams near = p;
  near.row_offsets = plan;
  near.col_indices = plan + 3 * n + 2;
  launch(family, args.q.dtype, p.head_dim, near, cuda_stream);
  ForwardParams far = near;
  far.row_offsets = plan + n + 1;
  far.q_blocks = plan + 2 * n + 2;
  far.merge = 1;
  launch(family, args.q.dtype, p.head_dim, far, cuda_stream);
}

}  // namespace radial::cuda
