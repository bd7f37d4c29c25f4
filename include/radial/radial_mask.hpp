#pragma once
// The radial block mask, bit for bit the reference's gen_log_mask_shrinked (docs/mask-spec.md),
// built in closed form per (band width, block phase) class: no T x T token mask is ever made.
#include "radial/block_mask.hpp"
#include "radial/layout.hpp"

namespace radial {

BlockMask build_radial_mask(const SequenceLayout& layout, const RadialParams& params);

}  // namespace radial
