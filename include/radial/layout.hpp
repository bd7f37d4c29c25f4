#pragma once
// The token layout of one video diffusion transformer's self-attention sequence and the radial
// mask's parameters. Token order is frame-major: token t of frame f sits at f * tokens_per_frame + t;
// text tokens (joint attention) follow the video tokens. See docs/mask-spec.md.
#include <cstdint>
#include <string>

namespace radial {

inline constexpr int kDefaultBlockSize = 128;

struct SequenceLayout {
  int64_t frames = 1;            // latent frames F >= 1
  int64_t tokens_per_frame = 1;  // T >= 1
  int64_t text_tokens = 0;       // N >= 0, appended after the video tokens
  int64_t block_size = kDefaultBlockSize;  // B, query and key

  int64_t video_tokens() const { return frames * tokens_per_frame; }
  int64_t seq_len() const { return video_tokens() + text_tokens; }
  int64_t num_blocks() const { return (seq_len() + block_size - 1) / block_size; }

  // Throws ArgumentError naming the first field out of range.
  void validate() const;
};

struct RadialParams {
  double decay = 1.0;  // delta: scales the band width for frame distance >= 2; finite, > 0
  bool sink = false;   // frame 0 visible to every query frame in full (Wan)

  void validate() const;
};

std::string describe(const SequenceLayout& layout, const RadialParams& params);

}  // namespace radial
