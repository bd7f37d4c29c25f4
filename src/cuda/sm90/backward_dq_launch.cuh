#pragma once
// Launch of one Hopper dQ variant: TMA descriptors for Q, dO, K, V (boxes of 64 columns by one
// 128-row block), grid (query blocks, heads, batch), 384 threads, dynamic shared memory for
// BackwardDqSharedStorage plus the slack that lets the kernel align it to 1024 bytes.
#include <type_traits>

#include "common/check.hpp"
#include "sm90/backward_dq_kernel.cuh"
#include "sm90/backward_launch.hpp"
#include "sm90/backward_tma_params.hpp"

namespace radial::cuda::sm90 {

template <typename Element, int HEAD_DIM>
void launch_backward_dq(const BackwardParams& p, cudaStream_t stream) {
  using Traits = BackwardDqTraits<Element, HEAD_DIM>;
  constexpr bool kBf16 = std::is_same_v<Element, __nv_bfloat16>;
  const BackwardTmaParams params = make_backward_tma_params(p, kBf16, Traits::kBlockQ, Traits::kBlockK);
  constexpr int kSmemBytes = static_cast<int>(sizeof(BackwardDqSharedStorage<Traits>)) + 1024;
  static_assert(kSmemBytes <= 227 * 1024, "Q, dO and two K/V stages must fit one SM's shared memory");
  auto kernel = backward_dq_kernel<Traits>;
  RADIAL_CUDA_CHECK(cudaFuncSetAttribute(kernel, cudaFuncAttributeMaxDynamicSharedMemorySize, kSmemBytes));
  const dim3 grid(static_cast<unsigned>(p.num_blocks), static_cast<unsigned>(p.heads), static_cast<unsigned>(p.batch));
  kernel<<<grid, Traits::kThreads, kSmemBytes, stream>>>(params);
  RADIAL_CUDA_CHECK(cudaGetLastError());
}

}  // namespace radial::cuda::sm90
