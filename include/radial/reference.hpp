#pragma once
// The float64 oracle that every backend is tested against: plain attention, one query row at a time,
// with the block mask applied at token level. Query i (in block i / block_size) gives weight to key j
// exactly when j's block is in the layout's CSR row of i's block and j < min(seq_len, kv_valid_len[b]).
//
// Inputs may be f32, f16, bf16 or f64; outputs are written in the dtype of their own views (f64
// included, so tests can compare without rounding), lse in any floating dtype. Any block size.
// A row with no key of weight gets out = 0, lse = -inf and dq = 0; a key no query weighs gets
// dk = dv = 0. The backward pass recomputes the probabilities in float64 from q and k (out and lse
// are checked for shape only), so it gives the exact gradient of the forward.
// Arguments are checked like attention_forward/backward's shapes (ArgumentError), kv_valid_len
// included; devices must be the CPU.
#include <cstdint>
#include <span>

#include "radial/attention.hpp"

namespace radial::reference {

void attention_forward(const AttentionForwardArgs& args);

// The forward for the listed query rows only (sequence positions, for every batch and head); the
// other rows of out and lse are left as they were. For spot checks of large problems.
void attention_forward_rows(const AttentionForwardArgs& args, std::span<const int64_t> rows);

void attention_backward(const AttentionBackwardArgs& args);

}  // namespace radial::reference
