#include "token_level_oracle.hpp"

#include <cmath>
#include <cstdlib>
#include <map>
#include <set>
#include <tuple>
#include <vector>

namespace radial::testing {
namespace {

int64_t bits_in(int64_t x) {
  int64_t n = 0;
  for (; x > 0; x >>= 1) ++n;
  return n;
}

// The T x T token mask of frame pair (i, j), row-major.
std::vector<uint8_t> pair_token_mask(int64_t i, int64_t j, const SequenceLayout& layout,
                                     const RadialParams& params) {
  const int64_t T = layout.tokens_per_frame, B = layout.block_size;
  std::vector<uint8_t> mask(static_cast<size_t>(T * T), 0);
  if (params.sink && j == 0) {
    std::fill(mask.begin(), mask.end(), 1);
    return mask;
  }
  const int64_t d = std::llabs(i - j);
  const double base = std::pow(2.0, static_cast<double>(bits_in(T))) / std::pow(2.0, static_cast<double>(bits_in(d)));
  double width = static_cast<double>(T);
  if (d > 1) {
    const double decayed = base * params.decay;
    width = decayed >= static_cast<double>(B) ? decayed : static_cast<double>(B);
  }
  bool thinned = false;
  if (base < static_cast<double>(B)) thinned = d % static_cast<int64_t>(static_cast<double>(B) / base) != 0;
  if (thinned) return mask;
  const float width32 = static_cast<float>(width);
  for (int64_t r = 0; r < T; ++r)
    for (int64_t c = 0; c < T; ++c) mask[r * T + c] = static_cast<float>(std::llabs(c - r)) <= width32;
  return mask;
}

// The reference's shrink of one padded canvas into whole B x B tiles, in float32.
std::vector<uint8_t> shrink(const std::vector<uint8_t>& canvas, int64_t rows, int64_t cols, int64_t B,
                            int64_t& tile_rows, int64_t& tile_cols) {
  tile_rows = rows / B;
  tile_cols = cols / B;
  std::vector<uint8_t> kept(static_cast<size_t>(tile_rows * tile_cols), 0);
  for (int64_t a = 0; a < tile_rows; ++a)
    for (int64_t b = 0; b < tile_cols; ++b) {
      int64_t nonzero = 0, dense = 0;
      for (int64_t y = 0; y < B; ++y) {
        int64_t count = 0;
        for (int64_t x = 0; x < B; ++x) count += canvas[(a * B + x) * cols + b * B + y];
        const float density = static_cast<float>(count) / static_cast<float>(B);
        nonzero += density > 0.0f;
        dense += density > static_cast<float>(1.0 / 3.0);
      }
      const float fraction = static_cast<float>(dense) / (static_cast<float>(nonzero) + 1e-9f);
      kept[a * tile_cols + b] = fraction > 0.6f;
    }
  return kept;
}

using PairKey = std::tuple<int64_t, bool, int64_t, int64_t>;  // distance, sink pair, row phase, col phase

PairKey pair_key(int64_t i, int64_t j, const SequenceLayout& layout, const RadialParams& params) {
  const int64_t T = layout.tokens_per_frame, B = layout.block_size;
  return {std::llabs(i - j), params.sink && j == 0, (i * T) % B, (j * T) % B};
}

}  // namespace

int64_t token_level_pair_classes(const SequenceLayout& layout, const RadialParams& params) {
  std::set<PairKey> keys;
  for (int64_t i = 0; i < layout.frames; ++i)
    for (int64_t j = 0; j < layout.frames; ++j) keys.insert(pair_key(i, j, layout, params));
  return static_cast<int64_t>(keys.size());
}

BlockMask token_level_radial_mask(const SequenceLayout& layout, const RadialParams& params) {
  const int64_t F = layout.frames, T = layout.tokens_per_frame, B = layout.block_size;
  const int64_t nb = layout.num_blocks();
  BlockMask result(nb);
  const int64_t border = layout.video_tokens() / B;
  for (int64_t r = 0; r < nb; ++r)
    for (int64_t c = 0; c < nb; ++c)
      if (r >= border || c >= border) result.set(r, c);

  // A pair's reduced tiles depend only on its distance, sink role and block phases.
  struct Reduced {
    std::vector<uint8_t> kept;
    int64_t rows = 0, cols = 0;
  };
  std::map<PairKey, Reduced> memo;
  const int64_t padded = ((T - 1) / B + 1) * B;
  for (int64_t i = 0; i < F; ++i)
    for (int64_t j = 0; j < F; ++j) {
      const PairKey key = pair_key(i, j, layout, params);
      auto it = memo.find(key);
      if (it == memo.end()) {
        const int64_t rho = (i * T) % B, kappa = (j * T) % B;
        const int64_t rows = rho + padded, cols = kappa + padded;
        std::vector<uint8_t> canvas(static_cast<size_t>(rows * cols), 0);
        const std::vector<uint8_t> tokens = pair_token_mask(i, j, layout, params);
        for (int64_t r = 0; r < T; ++r)
          for (int64_t c = 0; c < T; ++c) canvas[(rho + r) * cols + kappa + c] = tokens[r * T + c];
        Reduced reduced;
        reduced.kept = shrink(canvas, rows, cols, B, reduced.rows, reduced.cols);
        it = memo.emplace(key, std::move(reduced)).first;
      }
      const Reduced& reduced = it->second;
      const int64_t row0 = (i * T) / B, col0 = (j * T) / B;
      for (int64_t a = 0; a < reduced.rows; ++a)
        for (int64_t b = 0; b < reduced.cols; ++b)
          if (reduced.kept[a * reduced.cols + b] && row0 + a < nb && col0 + b < nb) result.set(row0 + a, col0 + b);
    }
  return result;
}

}  // namespace radial::testing
