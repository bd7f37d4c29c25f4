#pragma once
// A plain token-level implementation of docs/mask-spec.md, independent of the closed form: every
// frame pair's T x T token mask is materialised, padded into its canvas and reduced by column
// densities in float32, as the reference does. Slow by design; only for tests.
#include <cstdint>

#include "radial/block_mask.hpp"
#include "radial/layout.hpp"

namespace radial::testing {

BlockMask token_level_radial_mask(const SequenceLayout& layout, const RadialParams& params);

// Distinct frame-pair classes the oracle will materialise (each costs about (ceil(T/B) * B)^2).
int64_t token_level_pair_classes(const SequenceLayout& layout, const RadialParams& params);

}  // namespace radial::testing
