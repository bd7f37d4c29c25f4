#include "radial/block_mask.hpp"

#include <bit>

#include "radial/error.hpp"

namespace radial {

BlockMask::BlockMask(int64_t num_blocks, bool value)
    : num_blocks_(num_blocks), words_per_row_((num_blocks + 63) / 64) {
  if (num_blocks < 0) throw ArgumentError("num_blocks", ">= 0", std::to_string(num_blocks));
  bits_.assign(static_cast<size_t>(num_blocks_ * words_per_row_), 0);
  if (value)
    for (int64_t r = 0; r < num_blocks_; ++r) set_row(r);
}

void BlockMask::set_row(int64_t row) {
  uint64_t* words = row_words(row);
  for (int64_t w = 0; w < words_per_row_; ++w) words[w] = ~uint64_t{0};
  // Bits past the last column stay clear so that counts and comparisons see only real blocks.
  if (const int64_t tail = num_blocks_ & 63) words[words_per_row_ - 1] = (uint64_t{1} << tail) - 1;
}

void BlockMask::set_col(int64_t col) {
  for (int64_t r = 0; r < num_blocks_; ++r) set(r, col);
}

int64_t BlockMask::row_count(int64_t row) const {
  int64_t n = 0;
  const uint64_t* words = row_words(row);
  for (int64_t w = 0; w < words_per_row_; ++w) n += std::popcount(words[w]);
  return n;
}

int64_t BlockMask::count() const {
  int64_t n = 0;
  for (uint64_t word : bits_) n += std::popcount(word);
  return n;
}

double BlockMask::density() const {
  if (num_blocks_ == 0) return 0.0;
  return static_cast<double>(count()) / (static_cast<double>(num_blocks_) * static_cast<double>(num_blocks_));
}

}  // namespace radial
