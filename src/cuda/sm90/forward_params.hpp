#pragma once
// Arguments of the sm_90a forward: the common parameters plus one TMA descriptor per input, each a
// 4-D view (head dim, sequence, heads, batch) of its (B, S, H, D) tensor.
#include <cuda.h>

#include "common/forward_params.hpp"

namespace radial::cuda::sm90 {

struct ForwardTmaParams {
  CUtensorMap q, k, v;
  ForwardParams p;
};

}  // namespace radial::cuda::sm90
