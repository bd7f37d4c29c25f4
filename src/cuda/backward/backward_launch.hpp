#pragma once
// Host side of the portable backward: what it can run, its workspace, and the launch of one
// compiled variant (preprocessing, then dK/dV, then dQ, on one stream).
#include <cuda_runtime.h>

#include <cstddef>
#include <cstdint>
#include <string>

#include "backward/backward_params.hpp"

namespace radial::cuda::portable {

// Empty when the portable kernels can run `p`; otherwise the reason, naming the argument.
std::string backward_cannot_implement(const BackwardParams& p, int element_bytes);

// delta and the log2-domain LSE, each (B, H, padded_len) float32.
size_t backward_workspace_bytes(int64_t batch, int64_t heads, int64_t padded_len);

// Defined in backward_launch.cuh; one explicit instantiation per (Element, HEAD_DIM) under
// backward/instantiations/, so no translation unit compiles more than one variant.
template <typename Element, int HEAD_DIM>
void launch_backward(const BackwardParams& p, cudaStream_t stream);

}  // namespace radial::cuda::portable
