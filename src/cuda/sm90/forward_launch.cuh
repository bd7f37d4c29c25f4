#pragma once
// Launch of one Hopper forward variant: TMA descriptors for Q, K, V, grid (query blocks, heads,
// batch), 384 threads, dynamic shared memory for SharedStorage plus alignment slack.
#include <type_traits>

#include "common/check.hpp"
#include "sm90/forward_kernel.cuh"
#include "sm90/forward_launch.hpp"
#include "sm90/tensor_map.hpp"

namespace radial::cuda::sm90 {

template <typename Element, int HEAD_DIM>
void launch_forward(const ForwardParams& p, cudaStream_t stream) {
  using Traits = ForwardTraits<Element, HEAD_DIM>;
  constexpr bool kBf16 = std::is_same_v<Element, __nv_bfloat16>;
  ForwardTmaParams params;
  params.p = p;
  params.q = make_bshd_tensor_map(p.q, 2, kBf16, p.batch, p.seq_len, p.heads, p.head_dim, p.q_stride_b, p.q_stride_s,
                                  p.q_stride_h, Traits::kBlockQ);
  params.k = make_bshd_tensor_map(p.k, 2, kBf16, p.batch, p.seq_len, p.heads, p.head_dim, p.k_stride_b, p.k_stride_s,
                                  p.k_stride_h, Traits::kBlockK);
  params.v = make_bshd_tensor_map(p.v, 2, kBf16, p.batch, p.seq_len, p.heads, p.head_dim, p.v_stride_b, p.v_stride_s,
                                  p.v_stride_h, Traits::kBlockK);
  constexpr int kSmemBytes = static_cast<int>(sizeof(SharedStorage<Traits>)) + 1024;
  auto kernel = forward_kernel<Traits>;
  RADIAL_CUDA_CHECK(cudaFuncSetAttribute(kernel, cudaFuncAttributeMaxDynamicSharedMemorySize, kSmemBytes));
  const dim3 grid(static_cast<unsigned>(p.num_blocks), static_cast<unsigned>(p.heads), static_cast<unsigned>(p.batch));
  kernel<<<grid, Traits::kThreads, kSmemBytes, stream>>>(params);
  RADIAL_CUDA_CHECK(cudaGetLastError());
}

}  // namespace radial::cuda::sm90
