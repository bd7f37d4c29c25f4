#include "mask_summary.hpp"

#include <fmt/format.h>

#include "radial/sparse_layout.hpp"

namespace radial::cli {

MaskSummary summarize_mask(const SequenceLayout& layout, const RadialParams& params, const BlockMask& mask,
                           double build_ms, int64_t heads, int64_t head_dim, std::string preset) {
  const BlockSparseLayout sparse(mask, layout.seq_len(), layout.block_size);
  MaskSummary s;
  s.preset = std::move(preset);
  s.layout = layout;
  s.params = params;
  s.heads = heads;
  s.head_dim = head_dim;
  s.num_blocks = mask.num_blocks();
  s.kept_blocks = sparse.nnz();
  for (int32_t r = 0; r < sparse.num_blocks(); ++r) s.empty_rows += sparse.row_count(r) == 0;
  s.density = sparse.density();
  s.kept_flops = sparse.kept_forward_flops(head_dim, heads);
  s.dense_flops = sparse.dense_forward_flops(head_dim, heads);
  s.build_ms = build_ms;
  return s;
}

void print_mask_summary(std::ostream& out, const MaskSummary& s) {
  const SequenceLayout& l = s.layout;
  if (!s.preset.empty()) out << fmt::format("preset       {}\n", s.preset);
  out << fmt::format("sequence     {} frames x {} tokens + {} text = {} tokens (block {})\n", l.frames,
                     l.tokens_per_frame, l.text_tokens, l.seq_len(), l.block_size);
  out << fmt::format("radial       decay {}, frame-0 sink {}\n", s.params.decay, s.params.sink ? "on" : "off");
  out << fmt::format("blocks       {} x {}, {} kept, density {:.4f}\n", s.num_blocks, s.num_blocks,
                     s.kept_blocks, s.density);
  out << fmt::format("attention    {:.2f} of {:.2f} TFLOP kept per forward ({} heads x dim {}), {:.1f}%\n",
                     s.kept_flops * 1e-12, s.dense_flops * 1e-12, s.heads, s.head_dim,
                     100.0 * s.kept_flops / s.dense_flops);
  out << fmt::format("ideal        {:.2f}x faster than dense attention\n", s.dense_flops / s.kept_flops);
  out << fmt::format("built in     {:.2f} ms\n", s.build_ms);
  if (s.empty_rows)
    out << fmt::format("warning      {} query blocks keep no key block (frames under 43 tokens do not survive the"
                       " block reduction): their queries get zeros\n", s.empty_rows);
}

nlohmann::json mask_summary_json(const MaskSummary& s) {
  nlohmann::json j;
  if (!s.preset.empty()) j["preset"] = s.preset;
  j["frames"] = s.layout.frames;
  j["tokens_per_frame"] = s.layout.tokens_per_frame;
  j["text_tokens"] = s.layout.text_tokens;
  j["seq_len"] = s.layout.seq_len();
  j["block"] = s.layout.block_size;
  j["decay"] = s.params.decay;
  j["sink"] = s.params.sink;
  j["blocks"] = s.num_blocks;
  j["kept_blocks"] = s.kept_blocks;
  j["density"] = s.density;
  j["empty_rows"] = s.empty_rows;
  j["heads"] = s.heads;
  j["head_dim"] = s.head_dim;
  j["kept_flops"] = s.kept_flops;
  j["dense_flops"] = s.dense_flops;
  j["ideal_speedup"] = s.dense_flops / s.kept_flops;
  j["build_ms"] = s.build_ms;
  return j;
}

}  // namespace radial::cli
