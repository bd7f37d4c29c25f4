#pragma once
// Host side of the Hopper forward: whether it applies, and the launch of one compiled variant.
#include <cuda_runtime.h>

#include <string>

#include "common/forward_params.hpp"

namespace radial::cuda::sm90 {

// True when the current device is compute capability 9.0 (the sm_90a SASS runs nowhere else).
bool device_is_sm90(int device);

// Empty when the persistent kernel can run p; otherwise why not (the caller then launches the
// one-CTA-per-item kernel, which computes the same).
std::string persistent_cannot_implement(const ForwardParams& p);

// Defined in forward_launch.cuh and forward_persistent_launch.cuh; one explicit instantiation per
// Element and kernel under instantiations/.
template <typename Element, int HEAD_DIM>
void launch_forward(const ForwardParams& p, cudaStream_t stream);
template <typename Element, int HEAD_DIM>
void launch_forward_persistent(const ForwardParams& p, cudaStream_t stream);

}  // namespace radial::cuda::sm90
