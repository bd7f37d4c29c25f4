#pragma once
// Model presets: from a pipeline's (height, width, num_frames) to the self-attention sequence
// layout, the radial parameters and the dense-layers / dense-steps schedule (docs/mask-spec.md).
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "radial/layout.hpp"

namespace radial {

// When radial attention is applied: the first `dense_layers` transformer blocks and the first
// `dense_steps` denoising steps stay dense.
struct RadialSchedule {
  double decay = 1.0;
  int64_t dense_layers = 0;
  int64_t dense_steps = 0;
};

struct ModelPreset {
  std::string name;            // "wan2.1-t2v-14b", ...
  std::string family;          // "wan", "hunyuanvideo", "mochi"
  int64_t heads = 0;
  int64_t head_dim = 0;
  int64_t layers = 0;          // transformer blocks (HunyuanVideo: dual-stream then single-stream)
  int64_t spatial_factor = 0;  // VAE spatial compression x patch size: pixels per latent token side
  int64_t temporal_factor = 0; // VAE temporal compression: latent frames = 1 + (n - 1) / factor
  int64_t text_tokens = 0;     // text tokens appended to the self-attention sequence (joint attention)
  bool sink = false;           // frame-0 attention sink
  int64_t default_height = 0, default_width = 0, default_frames = 0;
  int64_t default_steps = 50;  // denoising steps the schedule refers to
  RadialSchedule base;         // at or below default_frames
  RadialSchedule extended;     // above default_frames (with a length-extension LoRA)
};

const std::vector<ModelPreset>& model_presets();
// Throws ArgumentError listing the known names.
const ModelPreset& find_preset(std::string_view name);

struct PresetConfig {
  const ModelPreset* preset = nullptr;
  SequenceLayout layout;
  RadialParams params;
  RadialSchedule schedule;
  bool extended_length = false;
};

// Errors name the argument: sizes not divisible by the spatial factor, frame counts that do not map
// onto latent frames ((n - 1) % temporal_factor != 0), non-positive values.
PresetConfig configure_preset(std::string_view name, int64_t height, int64_t width, int64_t num_frames,
                              std::optional<int64_t> text_tokens = std::nullopt);

}  // namespace radial
