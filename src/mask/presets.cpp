#include "radial/presets.hpp"

#include <string>

#include "radial/error.hpp"

namespace radial {
namespace {

// Wan2.1/2.2: VAE 8x spatial, 4x temporal, patch (1, 2, 2); text through cross-attention; frame-0 sink.
// Schedules are the reference's: decay 0.2, first layer and 12 of 50 steps dense at 1x; decay 1 with
// 2 dense layers and 2 dense steps at extended length (with a length-extension LoRA).
ModelPreset wan(std::string name, int64_t heads, int64_t layers, int64_t height, int64_t width) {
  ModelPreset p;
  p.name = std::move(name);
  p.family = "wan";
  p.heads = heads;
  p.head_dim = 128;
  p.layers = layers;
  p.spatial_factor = 16;
  p.temporal_factor = 4;
  p.text_tokens = 0;
  p.sink = true;
  p.default_height = height;
  p.default_width = width;
  p.default_frames = 81;
  p.default_steps = 50;
  p.base = {0.2, 1, 12};
  p.extended = {1.0, 2, 2};
  return p;
}

std::vector<ModelPreset> make_presets() {
  std::vector<ModelPreset> presets;
  presets.push_back(wan("wan2.1-t2v-14b", 40, 40, 720, 1280));
  presets.push_back(wan("wan2.1-t2v-1.3b", 12, 30, 480, 832));
  presets.push_back(wan("wan2.2-t2v-a14b", 40, 40, 720, 1280));

  // HunyuanVideo: joint attention over video then (padded) text; 20 dual-stream + 40 single-stream
  // blocks; the paper's default length is 117 frames.
  ModelPreset hunyuan;
  hunyuan.name = "hunyuanvideo";
  hunyuan.family = "hunyuanvideo";
  hunyuan.heads = 24;
  hunyuan.head_dim = 128;
  hunyuan.layers = 60;
  hunyuan.spatial_factor = 16;
  hunyuan.temporal_factor = 4;
  hunyuan.text_tokens = 256;
  hunyuan.sink = false;
  hunyuan.default_height = 720;
  hunyuan.default_width = 1280;
  hunyuan.default_frames = 117;
  hunyuan.default_steps = 50;
  hunyuan.base = {0.95, 0, 12};
  hunyuan.extended = {1.0, 2, 2};
  presets.push_back(hunyuan);

  // Mochi 1: joint attention like HunyuanVideo, VAE 8x spatial and 6x temporal, patch 2, 64 steps.
  // The reference has no Mochi schedule; these are our defaults (docs/presets.md says why).
  ModelPreset mochi;
  mochi.name = "mochi-1";
  mochi.family = "mochi";
  mochi.heads = 24;
  mochi.head_dim = 128;
  mochi.layers = 48;
  mochi.spatial_factor = 16;
  mochi.temporal_factor = 6;
  mochi.text_tokens = 256;
  mochi.sink = false;
  mochi.default_height = 480;
  mochi.default_width = 848;
  mochi.default_frames = 163;
  mochi.default_steps = 64;
  mochi.base = {1.0, 1, 16};
  mochi.extended = {1.0, 2, 3};
  presets.push_back(mochi);
  return presets;
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
