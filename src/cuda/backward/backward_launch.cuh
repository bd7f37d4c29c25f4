#pragma once
// The launches of the portable backward kernels: preprocessing over (padded rows, heads, batch), the
// dK/dV kernel over (key blocks, heads, batch), the dQ kernel over (query blocks, heads, batch), and
// the accumulator conversion over (64-query tiles, heads, batch); dynamic shared memory above the
// 48 KB default where a kernel needs it.
#include "backward/backward_launch.hpp"
#include "backward/backward_traits.cuh"
#include "backward/dkdv_kernel.cuh"
#include "backward/dq_convert_kernel.cuh"
#include "backward/dq_kernel.cuh"
#include "backward/preprocess_kernel.cuh"
#include "common/check.hpp"

namespace radial::cuda::portable {

template <typename Element, int HEAD_DIM>
void launch_backward_preprocess(const BackwardParams& p, cudaStream_t stream) {
  using Pre = PreprocessTraits<HEAD_DIM>;
  const dim3 grid(static_cast<unsigned>(p.padded_len / Pre::kRows), static_cast<unsigned>(p.heads),
                  static_cast<unsigned>(p.batch));
  preprocess_kernel<Element, HEAD_DIM><<<grid, Pre::kThreads, 0, stream>>>(p);
  RADIAL_CUDA_CHECK(cudaGetLastError());
}

template <typename Element, int HEAD_DIM>
void launch_backward_dkdv(const BackwardParams& p, cudaStream_t stream) {
  using DkDv = DkDvTraits<Element, HEAD_DIM>;
  auto kernel = dkdv_kernel<DkDv>;
  RADIAL_CUDA_CHECK(cudaFuncSetAttribute(kernel, cudaFuncAttributeMaxDynamicSharedMemorySize, DkDv::kSmemBytes));
  const dim3 grid(static_cast<unsigned>(p.num_blocks), static_cast<unsigned>(p.heads), static_cast<unsigned>(p.batch));
  kernel<<<grid, DkDv::kThreads, DkDv::kSmemBytes, stream>>>(p);
  RADIAL_CUDA_CHECK(cudaGetLastError());
}

template <typename Element, int HEAD_DIM>
void launch_backward_dq(const BackwardParams& p, cudaStream_t stream) {
  using Dq = DqTraits<Element, HEAD_DIM>;
  auto kernel = dq_kernel<Dq>;
  RADIAL_CUDA_CHECK(cudaFuncSetAttribute(kernel, cudaFuncAttributeMaxDynamicSharedMemorySize, Dq::kSmemBytes));
  const dim3 grid(static_cast<unsigned>(p.num_blocks), static_cast<unsigned>(p.heads), static_cast<unsigned>(p.batch));
  kernel<<<grid, Dq::kThreads, Dq::kSmemBytes, stream>>>(p);
  RADIAL_CUDA_CHECK(cudaGetLastError());
}

template <typename Element, int HEAD_DIM>
void launch_backward_dq_convert(const BackwardParams& p, cudaStream_t stream) {
  constexpr int kTileRows = DqAccumLayout<HEAD_DIM>::kTileRows;
  const dim3 grid(static_cast<unsigned>(p.padded_len / kTileRows), static_cast<unsigned>(p.heads),
                  static_cast<unsigned>(p.batch));
  dq_convert_kernel<Element, HEAD_DIM><<<grid, kDqConvertThreads, 0, stream>>>(p);
  RADIAL_CUDA_CHECK(cudaGetLastError());
}

}  // namespace radial::cuda::portable
