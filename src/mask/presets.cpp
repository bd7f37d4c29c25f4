#include "radial/presets.hpp"

#include <string>

#include "radial/error.hpp"

namespace radial {
namespace {

// Wan2.1/2.2: VAE 8x spatial, 4x temporal, patch (1, 2, 2); text through cross-attention; frame-0 sink.
// Schedules are the reference's: decay 0.2, first layer and 12 of 50 steps dense at 1x; decay 1 with
// 2 dense layers and 2 dense steps at extended length (with a length-extension LoRA).
ModelPreset wan(std::string name, int64_t heads, int64_t layers, int64_t height, int64_t width) {
  return {.name = std::move(name), .family = "wan", .heads = heads, .head_dim = 128, .layers = layers,
          .spatial_factor = 16, .temporal_factor = 4, .text_tokens = 0, .sink = true,
          .default_height = height, .default_width = width, .default_frames = 81, .default_steps = 50,
          .base = {0.2, 1, 12}, .extended = {1.0, 2, 2}};
}

std::vector<ModelPreset> make_presets() {
  return {
      wan("wan2.1-t2v-14b", 40, 40, 720, 1280),
      wan("wan2.1-t2v-1.3b", 12, 30, 480, 832),
      wan("wan2.2-t2v-a14b", 40, 40, 720, 1280),
      // HunyuanVideo: joint attention over video then (padded) text; 20 dual-stream + 40 single-stream
      // blocks; the paper's default length is 117 frames.
      {.name = "hunyuanvideo", .family = "hunyuanvideo", .heads = 24, .head_dim = 128, .layers = 60,
       .spatial_factor = 16, .temporal_factor = 4, .text_tokens = 256, .sink = false,
       .default_height = 720, .default_width = 1280, .default_frames = 117, .default_steps = 50,
       .base = {0.95, 0, 12}, .extended = {1.0, 2, 2}},
      // Mochi 1: joint attention like HunyuanVideo, VAE 8x spatial and 6x temporal, patch 2, 64 steps.
      // The reference has no Mochi schedule; these are our defaults (docs/presets.md says why).
      {.name = "mochi-1", .family = "mochi", .heads = 24, .head_dim = 128, .layers = 48,
       .spatial_factor = 16, .temporal_factor = 6, .text_tokens = 256, .sink = false,
       .default_height = 480, .default_width = 848, .default_frames = 163, .default_steps = 64,
       .base = {1.0, 1, 16}, .extended = {1.0, 2, 3}},
  };
}

}  // namespace

const std::vector<ModelPreset>& model_presets() {
  static const std::vector<ModelPreset> presets = make_presets();
  return presets;
}

const ModelPreset& find_preset(std::string_view name) {
  std::string known;
  for (const ModelPreset& p : model_presets()) {
    if (p.name == name) return p;
    known += (known.empty() ? "" : ", ") + p.name;
  }
  throw ArgumentError("preset", "one of " + known, "'" + std::string(name) + "'");
}

PresetConfig configure_preset(std::string_view name, int64_t height, int64_t width, int64_t num_frames,
                              std::optional<int64_t> text_tokens) {
  const ModelPreset& preset = find_preset(name);
  const int64_t f = preset.spatial_factor;
  const std::string multiple = "a positive multiple of " + std::to_string(f) + " for " + preset.name;
  if (height <= 0 || height % f != 0) throw ArgumentError("height", multiple, std::to_string(height));
  if (width <= 0 || width % f != 0) throw ArgumentError("width", multiple, std::to_string(width));
  const int64_t t = preset.temporal_factor;
  if (num_frames <= 0 || (num_frames - 1) % t != 0)
    throw ArgumentError("num_frames", "1 + a multiple of " + std::to_string(t) + " for " + preset.name +
                                          " (e.g. " + std::to_string(preset.default_frames) + ")",
                        std::to_string(num_frames));
  const int64_t text = text_tokens.value_or(preset.text_tokens);
  if (text < 0) throw ArgumentError("text_tokens", "an integer >= 0", std::to_string(text));
  if (preset.family == "wan" && text != 0)
    throw ArgumentError("text_tokens", "0 for " + preset.name + " (its text goes through cross-attention)",
                        std::to_string(text));

  PresetConfig config;
  config.preset = &preset;
  config.layout.frames = 1 + (num_frames - 1) / t;
  config.layout.tokens_per_frame = (height / f) * (width / f);
  config.layout.text_tokens = text;
  config.extended_length = num_frames > preset.default_frames;
  config.schedule = config.extended_length ? preset.extended : preset.base;
  config.params.decay = config.schedule.decay;
  config.params.sink = preset.sink;
  config.layout.validate();
  return config;
}

}  // namespace radial
