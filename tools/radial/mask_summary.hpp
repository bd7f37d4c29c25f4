#pragma once
// What `radial mask` and `radial demo` print about a mask: geometry, density, attention FLOPs kept,
// ideal speedup, build time; as text or as JSON.
#include <nlohmann/json.hpp>
#include <ostream>
#include <string>

#include "radial/block_mask.hpp"
#include "radial/layout.hpp"

namespace radial::cli {

struct MaskSummary {
  std::string preset;  // empty for an explicit layout
  SequenceLayout layout;
  RadialParams params;
  int64_t heads = 1;
  int64_t head_dim = 128;
  int64_t num_blocks = 0;
  int64_t kept_blocks = 0;
  int64_t empty_rows = 0;     // query blocks that keep no key block: their queries get zeros
  double density = 0.0;       // kept blocks / all blocks
  double kept_flops = 0.0;    // forward attention FLOPs inside kept blocks, all heads
  double dense_flops = 0.0;   // forward attention FLOPs of dense attention, all heads
  double build_ms = 0.0;
};

MaskSummary summarize_mask(const SequenceLayout& layout, const RadialParams& params, const BlockMask& mask,
                           double build_ms, int64_t heads, int64_t head_dim, std::string preset = {});
void print_mask_summary(std::ostream& out, const MaskSummary& summary);
nlohmann::json mask_summary_json(const MaskSummary& summary);

}  // namespace radial::cli
