#pragma once
// Launch of one persistent Hopper forward variant: the schedule (one small kernel on the stream),
// then one CTA per SM with PersistentSharedStorage plus alignment slack.
#include "common/check.hpp"
#include "sm90/forward_launch.cuh"
#include "sm90/forward_launch.hpp"
#include "sm90/forward_persistent_kernel.cuh"
#include "sm90/persistent_schedule.hpp"

namespace radial::cuda::sm90 {

template <typename Element, int HEAD_DIM>
void launch_forward_persistent(const ForwardParams& p, cudaStream_t stream) {
  using Traits = ForwardTraits<Element, HEAD_DIM>;
  const ForwardTmaParams params = make_tma_params<Traits>(p);
  constexpr int kSmemBytes = static_cast<int>(sizeof(PersistentSharedStorage<Traits>)) + 1024;
  static_assert(kSmemBytes <= 227 * 1024, "the persistent kernel's tiles must fit an H100's 227 KB per CTA");
  auto kernel = forward_persistent_kernel<Traits>;
  RADIAL_CUDA_CHECK(cudaFuncSetAttribute(kernel, cudaFuncAttributeMaxDynamicSharedMemorySize, kSmemBytes));
  const PersistentLaunch launch = prepare_persistent_schedule(p, stream);
  kernel<<<launch.ctas, Traits::kThreads, kSmemBytes, stream>>>(params, launch.schedule);
  RADIAL_CUDA_CHECK(cudaGetLastError());
}

}  // namespace radial::cuda::sm90
