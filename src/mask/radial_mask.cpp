// The radial block mask in closed form (docs/mask-spec.md).
//
// The reference builds, for every frame pair (i, j), a T x T token mask, pads it into a canvas at
// the pair's block phase, and reduces each B x B tile by its column densities. A pair's tiles depend
// only on (band half-width W, row phase rho, column phase kappa), so each such class is reduced once
// and its kept tiles are OR-ed, as shifted bit rows, into every pair of the class. Inside a class,
// a tile whose rows and columns are all real tokens depends only on its diagonal offset, so those
// reductions are memoised too. Nothing of size T x T is ever materialised.
#include "radial/radial_mask.hpp"

#include <algorithm>
#include <bit>
#include <cmath>
#include <map>
#include <tuple>
#include <unordered_map>
#include <vector>

namespace radial {
namespace {

int64_t bit_length(int64_t x) { return x == 0 ? 0 : 64 - std::countl_zero(static_cast<uint64_t>(x)); }

// What one frame pair contributes before reduction: nothing (thinned out), or the band
// |c - r| <= band over its T x T tokens (band >= T - 1 is the full pair).
struct PairRule {
  bool thinned = false;
  int64_t band = 0;
};

PairRule pair_rule(int64_t query_frame, int64_t key_frame, const SequenceLayout& layout,
                   const RadialParams& params) {
  const int64_t T = layout.tokens_per_frame;
  const int64_t B = layout.block_size;
  if (params.sink && key_frame == 0) return {false, T};
  const int64_t distance = query_frame > key_frame ? query_frame - key_frame : key_frame - query_frame;
  const int64_t group = bit_length(distance);
  // The undecayed band length halves with each doubling of the frame distance.
  const double base_length = static_cast<double>(int64_t{1} << bit_length(T)) /
                             static_cast<double>(int64_t{1} << group);
  if (base_length < static_cast<double>(B)) {
    const auto keep_every = static_cast<int64_t>(static_cast<double>(B) / base_length);
    if (distance % keep_every != 0) return {true, 0};
  }
  if (distance <= 1) return {false, T};
  const double decayed_length = base_length * params.decay;
  const double width = decayed_length >= static_cast<double>(B) ? decayed_length : static_cast<double>(B);
  // The reference compares integer distances with this width in float32.
  const auto band = static_cast<int64_t>(std::floor(static_cast<double>(static_cast<float>(width))));
  return {false, std::min(band, T)};
}

// Smallest column count whose density count / B exceeds 1/3 in float32, as the reference computes it.
int64_t dense_column_min_count(int64_t block) {
  const float third = static_cast<float>(1.0 / 3.0);
  int64_t count = 0;
  while (static_cast<float>(count) / static_cast<float>(block) <= third) ++count;
  return count;
}

class ClassReducer {
 public:
  ClassReducer(int64_t tokens_per_frame, int64_t block)
      : T_(tokens_per_frame),
        B_(block),
        tiles_((tokens_per_frame + block - 1) / block),
        words_per_row_((tiles_ + 63) / 64),
        dense_min_(dense_column_min_count(block)) {}

  int64_t tiles() const { return tiles_; }
  int64_t words_per_row() const { return words_per_row_; }

  // Kept tiles of one (band, rho, kappa) class: (tiles, words_per_row) bit rows.
  const std::vector<uint64_t>& pattern(int64_t band, int64_t rho, int64_t kappa) {
    auto [it, inserted] = patterns_.try_emplace(std::make_tuple(band, rho, kappa));
    if (inserted) it->second = reduce_class(band, rho, kappa);
    return it->second;
  }

 private:
  // The reference's shrink rule for one B x B tile. Real rows [x0, x1) and columns [y0, y1) in tile
  // coordinates; token (x, y) is set iff |y - x + offset| <= band.
  bool tile_kept(int64_t x0, int64_t x1, int64_t y0, int64_t y1, int64_t offset, int64_t band) const {
    int64_t nonzero = 0, dense = 0;
    for (int64_t y = y0; y < y1; ++y) {
      const int64_t count = std::min(x1, y + offset + band + 1) - std::max(x0, y + offset - band);
      nonzero += count >= 1;
      dense += count >= dense_min_;
    }
    return 5 * dense > 3 * nonzero;  // dense / nonzero > 0.6, exactly as in float32
  }

  bool interior_tile_kept(int64_t offset, int64_t band) {
    const int64_t key = ((offset + (int64_t{1} << 31)) << 32) | band;
    auto [it, inserted] = interior_.try_emplace(key, false);
    if (inserted) it->second = tile_kept(0, B_, 0, B_, offset, band);
    return it->second;
  }

  std::vector<uint64_t> reduce_class(int64_t band, int64_t rho, int64_t kappa) {
    std::vector<uint64_t> bits(static_cast<size_t>(tiles_ * words_per_row_), 0);
    const int64_t shift = kappa - rho;  // token (X, Y) of the canvas is set iff |Y - X - shift| <= band
    for (int64_t a = 0; a < tiles_; ++a) {
      const int64_t x0 = std::clamp(rho - a * B_, int64_t{0}, B_);
      const int64_t x1 = std::clamp(rho + T_ - a * B_, int64_t{0}, B_);
      if (x0 >= x1) continue;
      const int64_t y_first = std::max(a * B_ + x0 + shift - band, kappa);
      const int64_t y_last = std::min(a * B_ + x1 - 1 + shift + band, kappa + T_ - 1);
      if (y_first > y_last) continue;
      const int64_t b_first = y_first / B_;
      const int64_t b_last = std::min(y_last / B_, tiles_ - 1);
      for (int64_t b = b_first; b <= b_last; ++b) {
        const int64_t y0 = std::clamp(kappa - b * B_, int64_t{0}, B_);
        const int64_t y1 = std::clamp(kappa + T_ - b * B_, int64_t{0}, B_);
        const int64_t offset = (b - a) * B_ - shift;
        const bool interior = x0 == 0 && x1 == B_ && y0 == 0 && y1 == B_;
        const bool kept = interior ? interior_tile_kept(offset, band) : tile_kept(x0, x1, y0, y1, offset, band);
        if (kept) bits[static_cast<size_t>(a * words_per_row_ + (b >> 6))] |= uint64_t{1} << (b & 63);
      }
    }
    return bits;
  }

  int64_t T_, B_, tiles_, words_per_row_, dense_min_;
  std::map<std::tuple<int64_t, int64_t, int64_t>, std::vector<uint64_t>> patterns_;
  std::unordered_map<int64_t, bool> interior_;
};

// dst |= src << shift over a row of `dst_bits` bits; source bits that land past the row are dropped.
void or_shifted(uint64_t* dst, int64_t dst_bits, const uint64_t* src, int64_t src_words, int64_t shift) {
  const int64_t dst_words = (dst_bits + 63) / 64;
  const int64_t word_shift = shift >> 6;
  const int bit_shift = static_cast<int>(shift & 63);
  for (int64_t w = 0; w < src_words; ++w) {
    const uint64_t value = src[w];
    if (!value) continue;
    const int64_t target = w + word_shift;
    if (target < dst_words) dst[target] |= value << bit_shift;
    if (bit_shift && target + 1 < dst_words) dst[target + 1] |= value >> (64 - bit_shift);
  }
  if (const int64_t tail = dst_bits & 63) dst[dst_words - 1] &= (uint64_t{1} << tail) - 1;
}

}  // namespace

BlockMask build_radial_mask(const SequenceLayout& layout, const RadialParams& params) {
  layout.validate();
  params.validate();
  const int64_t F = layout.frames;
  const int64_t T = layout.tokens_per_frame;
  const int64_t B = layout.block_size;
  const int64_t num_blocks = layout.num_blocks();
  BlockMask mask(num_blocks);

  ClassReducer reducer(T, B);
  for (int64_t i = 0; i < F; ++i) {
    const int64_t rho = (i * T) % B;
    const int64_t row_start = (i * T) / B;
    for (int64_t j = 0; j < F; ++j) {
      const PairRule rule = pair_rule(i, j, layout, params);
      if (rule.thinned) continue;
      const int64_t kappa = (j * T) % B;
      const int64_t col_start = (j * T) / B;
      const std::vector<uint64_t>& pattern = reducer.pattern(rule.band, rho, kappa);
      for (int64_t a = 0; a < reducer.tiles() && row_start + a < num_blocks; ++a)
        or_shifted(mask.row_words(row_start + a), num_blocks, pattern.data() + a * reducer.words_per_row(),
                   reducer.words_per_row(), col_start);
    }
  }

  // Text rows and columns (and the block straddling the video end) are dense.
  const int64_t video_text_border = layout.video_tokens() / B;
  for (int64_t r = video_text_border; r < num_blocks; ++r) mask.set_row(r);
  for (int64_t r = 0; r < video_text_border; ++r)
    for (int64_t c = video_text_border; c < num_blocks; ++c) mask.set(r, c);
  return mask;
}

}  // namespace radial
