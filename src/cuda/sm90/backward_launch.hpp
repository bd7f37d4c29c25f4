#pragma once
// Host side of the Hopper (sm_90a) backward kernels, head dim 128. They run after the portable
// preprocessing (delta, lse_log2) on the same stream.
#include <cuda_runtime.h>

#include "backward/backward_params.hpp"

namespace radial::cuda::sm90 {

// dk and dv per key block; when p.dq_accum is set, also dQ's fp32 partial sums added into it with
// bulk reduce-adds (the default mode; a conversion kernel then writes dq).
template <typename Element, int HEAD_DIM>
void launch_backward_dkdv(const BackwardParams& p, cudaStream_t stream);
// dq per query block without atomics (the deterministic mode).
template <typename Element, int HEAD_DIM>
void launch_backward_dq(const BackwardParams& p, cudaStream_t stream);

}  // namespace radial::cuda::sm90
