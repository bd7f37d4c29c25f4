#pragma once
// The shape-level argument checks (defined in src/attention.cpp), shared by the dispatch, which adds the
// dtype, device and head-dim rules of the fast kernels, and by the float64 reference (which also
// takes f64 tensors and any block size). Each throws ArgumentError naming the first bad argument.
#include <cstdint>

#include "radial/attention.hpp"

namespace radial::detail {

void check_forward_shapes(const AttentionForwardArgs& args);
void check_backward_shapes(const AttentionBackwardArgs& args);

// The per-batch valid key lengths live in memory the caller owns, so they are read where they are
// used: on the CPU by the kernels and the reference, each entry in [0, seq_len].
void check_kv_valid_len_on_cpu(const int32_t* kv_valid_len, int64_t batch, int64_t seq_len);

}  // namespace radial::detail
