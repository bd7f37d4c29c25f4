#pragma once
// The .mask text format (a header line of key=value pairs, then one '0'/'1' row per query block),
// shared with the reference's test vectors, and a PNG picture of a mask.
#include <string>

#include "radial/block_mask.hpp"
#include "radial/layout.hpp"

namespace radial {

struct MaskFile {
  SequenceLayout layout;
  RadialParams params;
  std::string model;  // "wan" (sink on) or "hunyuan" (sink off)
  double density = 0.0;
  BlockMask mask;
};

MaskFile read_mask_file(const std::string& path);
std::string mask_header(const SequenceLayout& layout, const RadialParams& params, const BlockMask& mask);
void write_mask_file(const std::string& path, const SequenceLayout& layout, const RadialParams& params,
                     const BlockMask& mask);

// Kept blocks dark on white; masks wider than max_pixels are max-pooled down so no kept block vanishes.
void write_mask_png(const std::string& path, const BlockMask& mask, int64_t max_pixels = 2048);

}  // namespace radial
