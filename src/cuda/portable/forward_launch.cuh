#pragma once
// The launch of one portable forward variant: grid (query blocks, heads, batch), 256 threads,
// dynamic shared memory above the 48 KB default.
#include "common/check.hpp"
#include "portable/forward_kernel.cuh"
#include "portable/forward_launch.hpp"
#include "portable/forward_traits.cuh"

namespace radial::cuda::portable {

template <typename Element, int HEAD_DIM>
void launch_forward(const ForwardParams& p, cudaStream_t stream) {
  using Traits = ForwardTraits<Element, HEAD_DIM>;
  auto kernel = forward_kernel<Traits>;
  RADIAL_CUDA_CHECK(cudaFuncSetAttribute(kernel, cudaFuncAttributeMaxDynamicSharedMemorySize, Traits::kSmemBytes));
  const dim3 grid(static_cast<unsigned>(p.num_blocks), static_cast<unsigned>(p.heads), static_cast<unsigned>(p.batch));
  kernel<<<grid, Traits::kThreads, Traits::kSmemBytes, stream>>>(p);
  RADIAL_CUDA_CHECK(cudaGetLastError());
}

}  // namespace radial::cuda::portable
