#include "radial/layout.hpp"

#include <cmath>
#include <string>

#include "radial/error.hpp"

namespace radial {

void SequenceLayout::validate() const {
  if (frames < 1) throw ArgumentError("frames", "an integer >= 1", std::to_string(frames));
  if (tokens_per_frame < 1)
    throw ArgumentError("tokens_per_frame", "an integer >= 1", std::to_string(tokens_per_frame));
  if (text_tokens < 0) throw ArgumentError("text_tokens", "an integer >= 0", std::to_string(text_tokens));
  if (block_size != 64 && block_size != 128)
    throw ArgumentError("block_size", "64 or 128", std::to_string(block_size));
  // int32 block indices and token offsets must stay exact.
  constexpr int64_t kMaxTokens = int64_t{1} << 31;
  if (frames > kMaxTokens / tokens_per_frame || seq_len() >= kMaxTokens)
    throw ArgumentError("frames * tokens_per_frame + text_tokens", "fewer than 2^31 tokens",
                        std::to_string(frames) + " * " + std::to_string(tokens_per_frame) + " + " +
                            std::to_string(text_tokens));
}

void RadialParams::validate() const {
  if (!std::isfinite(decay) || decay <= 0.0)
    throw ArgumentError("decay", "a finite number > 0", std::to_string(decay));
}

std::string describe(const SequenceLayout& layout, const RadialParams& params) {
  return "frames=" + std::to_string(layout.frames) +
         " tokens_per_frame=" + std::to_string(layout.tokens_per_frame) +
         " text_tokens=" + std::to_string(layout.text_tokens) + " block=" + std::to_string(layout.block_size) +
         " decay=" + std::to_string(params.decay) + " sink=" + (params.sink ? "on" : "off");
}

}  // namespace radial
