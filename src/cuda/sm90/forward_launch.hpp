#pragma once
// Host side of the Hopper forward: whether it applies, and the launch of one compiled variant.
#include <cuda_runtime.h>

#include "common/forward_params.hpp"

namespace radial::cuda::sm90 {

// True when the current device is compute capability 9.0 (the sm_90a SASS runs nowhere else).
bool device_is_sm90(int device);

// Defined in forward_launch.cuh; one explicit instantiation per Element under instantiations/.
template <typename Element, int HEAD_DIM>
void launch_forward(const ForwardParams& p, cudaStream_t stream);

}  // namespace radial::cuda::sm90
