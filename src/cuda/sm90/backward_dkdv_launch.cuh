#pragma once
// Launch of one Hopper dK/dV variant: TMA descriptors (Q and dO in 64-row boxes, K and V in 128-row
// boxes), grid (key blocks, heads, batch), 384 threads, dynamic shared memory for the storage plus
// alignment slack. With p.dq_accum set, the variant that also adds up dQ.
#include <type_traits>

#include "common/check.hpp"
#include "sm90/backward_dkdv_kernel.cuh"
#include "sm90/backward_launch.hpp"
#include "sm90/backward_tma_params.hpp"

namespace radial::cuda::sm90 {

template <typename Element, int HEAD_DIM>
void launch_backward_dkdv(const BackwardParams& p, cudaStream_t stream) {
  using Traits = BackwardDkDvTraits<Element, HEAD_DIM>;
  constexpr bool kBf16 = std::is_same_v<Element, __nv_bfloat16>;
  const BackwardTmaParams params = make_backward_tma_params(p, kBf16, Traits::kTileQ, Traits::kBlockK);
  constexpr int kSmemBytes = static_cast<int>(sizeof(BackwardDkDvStorage<Traits>)) + 1024;
  static_assert(kSmemBytes <= 227 * 1024, "more shared memory than an sm_90 CTA may have");
  auto kernel = p.dq_accum ? backward_dkdv_kernel<Traits, true> : backward_dkdv_kernel<Traits, false>;
  RADIAL_CUDA_CHECK(cudaFuncSetAttribute(kernel, cudaFuncAttributeMaxDynamicSharedMemorySize, kSmemBytes));
  const dim3 grid(static_cast<unsigned>(p.num_blocks), static_cast<unsigned>(p.heads), static_cast<unsigned>(p.batch));
  kernel<<<grid, Traits::kThreads, kSmemBytes, stream>>>(params);
  RADIAL_CUDA_CHECK(cudaGetLastError());
}

}  // namespace radial::cuda::sm90
