#pragma once
// The launch of one portable backward variant: preprocessing over (padded rows, heads, batch), then
// the dK/dV kernel over (key blocks, heads, batch) and the dQ kernel over (query blocks, heads,
// batch), 256 threads each, dynamic shared memory above the 48 KB default.
#include "backward/backward_launch.hpp"
#include "backward/backward_traits.cuh"
#include "backward/dkdv_kernel.cuh"
#include "backward/dq_kernel.cuh"
#include "backward/preprocess_kernel.cuh"
#include "common/check.hpp"

namespace radial::cuda::portable {

template <typename Element, int HEAD_DIM>
void launch_backward(const BackwardParams& p, cudaStream_t stream) {
  using Pre = PreprocessTraits<HEAD_DIM>;
  using DkDv = DkDvTraits<Element, HEAD_DIM>;
  using Dq = DqTraits<Element, HEAD_DIM>;
  const unsigned heads = static_cast<unsigned>(p.heads), batch = static_cast<unsigned>(p.batch);
  const unsigned blocks = static_cast<unsigned>(p.num_blocks);

  preprocess_kernel<Element, HEAD_DIM><<<dim3(p.padded_len / Pre::kRows, heads, batch), Pre::kThreads, 0, stream>>>(p);
  RADIAL_CUDA_CHECK(cudaGetLastError());

  auto dkdv = dkdv_kernel<DkDv>;
  RADIAL_CUDA_CHECK(cudaFuncSetAttribute(dkdv, cudaFuncAttributeMaxDynamicSharedMemorySize, DkDv::kSmemBytes));
  dkdv<<<dim3(blocks, heads, batch), DkDv::kThreads, DkDv::kSmemBytes, stream>>>(p);
  RADIAL_CUDA_CHECK(cudaGetLastError());

  auto dq = dq_kernel<Dq>;
  RADIAL_CUDA_CHECK(cudaFuncSetAttribute(dq, cudaFuncAttributeMaxDynamicSharedMemorySize, Dq::kSmemBytes));
  dq<<<dim3(blocks, heads, batch), Dq::kThreads, Dq::kSmemBytes, stream>>>(p);
  RADIAL_CUDA_CHECK(cudaGetLastError());
}

}  // namespace radial::cuda::portable
