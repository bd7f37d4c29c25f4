#pragma once
// Host side of the portable backward kernels: what they can run, their workspace, and one launch
// function per kernel, so that the dispatch point (src/cuda/attention_backward.cpp) can pair them
// with the Hopper kernels. All run on one stream, in order: preprocessing first.
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

// Defined in backward_launch.cuh; one explicit instantiation per (kernel, Element, HEAD_DIM) under
// backward/instantiations/, so no translation unit compiles more than one kernel.
template <typename Element, int HEAD_DIM>
void launch_backward_preprocess(const BackwardParams& p, cudaStream_t stream);  // delta, lse_log2
template <typename Element, int HEAD_DIM>
void launch_backward_dkdv(const BackwardParams& p, cudaStream_t stream);  // dk, dv over the CSC lists
template <typename Element, int HEAD_DIM>
void launch_backward_dq(const BackwardParams& p, cudaStream_t stream);  // dq over the CSR lists
// dq from p.dq_accum (head dim 128: the Hopper default mode's accumulator).
template <typename Element, int HEAD_DIM>
void launch_backward_dq_convert(const BackwardParams& p, cudaStream_t stream);

}  // namespace radial::cuda::portable
