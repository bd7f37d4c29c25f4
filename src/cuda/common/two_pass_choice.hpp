#pragma once
// Whether a Hopper kernel follows a radial mask's two-pass schedule (radial/two_pass_plans.hpp). The
// two passes exist to read K/V (forward) or Q/dO (backward) from DRAM less often, which only pays for
// the second pass's merge once one head's keys and values (or queries and output gradients) outgrow the
// L2: measured on an H100, the forward is 2 % faster at HunyuanVideo 117 f (1.1 times the L2), 7 % at the
// 4x anchors, and 0.5 - 2 % slower at the Wan2.1 1x shapes, which fit (bench/results/). For tests and
// comparisons the environment variable `override_variable` = always or never overrides the choice.
#include <cuda_runtime.h>

#include <cstdint>
#include <cstdlib>
#include <string>

#include "common/check.hpp"

namespace radial::cuda {

inline bool use_two_pass_schedule(const char* override_variable, int64_t seq_len, int64_t head_dim, int device) {
  const char* forced = std::getenv(override_variable);
  if (forced && std::string(forced) == "always") return true;
  if (forced && std::string(forced) == "never") return false;
  int l2_bytes = 0;
  RADIAL_CUDA_CHECK(cudaDeviceGetAttribute(&l2_bytes, cudaDevAttrL2CacheSize, device));
  const int64_t bytes_per_head = int64_t{2} * seq_len * head_dim * 2;  // two 16-bit tensors
  return bytes_per_head > l2_bytes;
}

}  // namespace radial::cuda
