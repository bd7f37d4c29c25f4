// `radial mask`: build one radial mask from an explicit layout or a model preset, print its summary,
// and optionally write it as .mask text (the reference vectors' format) and as a PNG.
#include <chrono>
#include <iostream>
#include <optional>
#include <string>

#include "commands.hpp"
#include "mask_summary.hpp"
#include "radial/error.hpp"
#include "radial/mask_io.hpp"
#include "radial/presets.hpp"
#include "radial/radial_mask.hpp"

namespace radial::cli {
namespace {

struct MaskOptions {
  std::optional<int64_t> frames, tokens_per_frame, text_tokens;
  std::optional<double> decay;
  int64_t block = kDefaultBlockSize;
  std::string preset;
  std::optional<int64_t> height, width, num_frames;
  bool sink = false, no_sink = false, json = false;
  std::string out, png;
};

void require(bool present, const std::string& flag, const std::string& because) {
  if (!present) throw ArgumentError(flag, "a value " + because, "nothing");
}

void run_mask(const MaskOptions& o) {
  SequenceLayout layout;
  RadialParams params;
  std::string preset_label;
  int64_t heads = 1, head_dim = 128;
  if (!o.preset.empty()) {
    if (o.frames || o.tokens_per_frame)
      throw ArgumentError("--frames/--tokens-per-frame", "no explicit layout together with --preset",
                          "both");
    require(o.height.has_value(), "--height", "with --preset");
    require(o.width.has_value(), "--width", "with --preset");
    require(o.num_frames.has_value(), "--num-frames", "with --preset");
    const PresetConfig config = configure_preset(o.preset, *o.height, *o.width, *o.num_frames, o.text_tokens);
    layout = config.layout;
    params = config.params;
    heads = config.preset->heads;
    head_dim = config.preset->head_dim;
    preset_label = config.preset->name + " " + std::to_string(*o.height) + "x" + std::to_string(*o.width) +
                   ", " + std::to_string(*o.num_frames) + " frames" +
                   (config.extended_length ? " (extended length)" : "");
  } else {
    if (o.height || o.width || o.num_frames)
      throw ArgumentError("--height/--width/--num-frames", "only together with --preset", "no --preset");
    require(o.frames.has_value(), "--frames", "(or --preset)");
    require(o.tokens_per_frame.has_value(), "--tokens-per-frame", "(or --preset)");
    layout.frames = *o.frames;
    layout.tokens_per_frame = *o.tokens_per_frame;
    layout.text_tokens = o.text_tokens.value_or(0);
    params.decay = 1.0;
  }
  layout.block_size = o.block;
  if (o.decay) params.decay = *o.decay;
  if (o.sink) params.sink = true;
  if (o.no_sink) params.sink = false;
  layout.validate();
  params.validate();

  const auto start = std::chrono::steady_clock::now();
  const BlockMask mask = build_radial_mask(layout, params);
  const double build_ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();

  if (!o.out.empty()) write_mask_file(o.out, layout, params, mask);
  if (!o.png.empty()) write_mask_png(o.png, mask);
  const MaskSummary summary = summarize_mask(layout, params, mask, build_ms, heads, head_dim, preset_label);
  if (o.json) {
    nlohmann::json j = mask_summary_json(summary);
    if (!o.out.empty()) j["out"] = o.out;
    if (!o.png.empty()) j["png"] = o.png;
    std::cout << j.dump(2) << '\n';
  } else {
    print_mask_summary(std::cout, summary);
    if (!o.out.empty()) std::cout << "wrote        " << o.out << '\n';
    if (!o.png.empty()) std::cout << "wrote        " << o.png << '\n';
  }
}

}  // namespace

void register_mask_command(CLI::App& app) {
  auto options = std::make_shared<MaskOptions>();
  CLI::App* cmd = app.add_subcommand("mask", "Build a radial block mask; print its summary, write it as text or PNG");
  cmd->add_option("--frames", options->frames, "Latent frames F");
  cmd->add_option("--tokens-per-frame", options->tokens_per_frame, "Tokens per latent frame T");
  cmd->add_option("--text-tokens", options->text_tokens, "Text tokens N appended to the sequence (default 0, or the preset's)");
  cmd->add_option("--decay", options->decay, "Band decay factor (default 1, or the preset's)");
  cmd->add_option("--block", options->block, "Block size (64 or 128)")->capture_default_str();
  auto* sink = cmd->add_flag("--sink", options->sink, "Frame 0 is an attention sink (Wan)");
  auto* no_sink = cmd->add_flag("--no-sink", options->no_sink, "No attention sink");
  sink->excludes(no_sink);
  cmd->add_option("--preset", options->preset, "Model preset: wan2.1-t2v-14b, wan2.1-t2v-1.3b, wan2.2-t2v-a14b, hunyuanvideo, mochi-1");
  cmd->add_option("--height", options->height, "Video height in pixels (with --preset)");
  cmd->add_option("--width", options->width, "Video width in pixels (with --preset)");
  cmd->add_option("--num-frames", options->num_frames, "Video frames (with --preset)");
  cmd->add_option("--out", options->out, "Write the mask in the .mask text format");
  cmd->add_option("--png", options->png, "Write the mask as a PNG (kept blocks dark)");
  cmd->add_flag("--json", options->json, "Print the summary as JSON");
  cmd->callback([options] { run_mask(*options); });
}

}  // namespace radial::cli
