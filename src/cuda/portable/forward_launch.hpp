#pragma once
// Host side of the portable forward: what it can run, and the launch of one compiled variant.
#include <cuda_runtime.h>

#include <string>

#include "common/forward_params.hpp"

namespace radial::cuda::portable {

// Empty when the portable kernel can run `p`; otherwise the reason, naming the argument.
std::string forward_cannot_implement(const ForwardParams& p, int element_bytes);

// Defined in forward_launch.cuh; one explicit instantiation per (Element, HEAD_DIM) under
// instantiations/, so no translation unit compiles more than one kernel.
template <typename Element, int HEAD_DIM>
void launch_forward(const ForwardParams& p, cudaStream_t stream);

}  // namespace radial::cuda::portable
