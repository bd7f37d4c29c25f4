#include "radial/sparse_layout.hpp"

#include <bit>
#include <limits>
#include <string>

#include "radial/error.hpp"

namespace radial {

BlockSparseLayout::BlockSparseLayout(const BlockMask& mask, int64_t seq_len, int64_t block_size)
    : seq_len_(seq_len), num_blocks_(0), block_size_(static_cast<int32_t>(block_size)) {
  if (block_size < 1) throw ArgumentError("block_size", ">= 1", std::to_string(block_size));
  if (seq_len < 0) throw ArgumentError("seq_len", ">= 0", std::to_string(seq_len));
  const int64_t blocks = (seq_len + block_size - 1) / block_size;
  if (blocks != mask.num_blocks())
    throw ArgumentError("mask", std::to_string(blocks) + " x " + std::to_string(blocks) +
                                    " blocks for seq_len " + std::to_string(seq_len) + " and block " +
                                    std::to_string(block_size),
                        std::to_string(mask.num_blocks()) + " x " + std::to_string(mask.num_blocks()));
  if (mask.count() > std::numeric_limits<int32_t>::max())
    throw ArgumentError("mask", "fewer than 2^31 kept blocks", std::to_string(mask.count()));
  num_blocks_ = static_cast<int32_t>(blocks);

  row_offsets_.assign(num_blocks_ + 1, 0);
  col_offsets_.assign(num_blocks_ + 1, 0);
  col_indices_.reserve(static_cast<size_t>(mask.count()));
  for (int32_t r = 0; r < num_blocks_; ++r) {
    const uint64_t* words = mask.row_words(r);
    for (int64_t w = 0; w < mask.words_per_row(); ++w) {
      for (uint64_t bits = words[w]; bits; bits &= bits - 1) {
        const auto c = static_cast<int32_t>(w * 64 + std::countr_zero(bits));
        col_indices_.push_back(c);
        ++col_offsets_[c + 1];
      }
    }
    row_offsets_[r + 1] = static_cast<int32_t>(col_indices_.size());
  }
  for (int32_t c = 0; c < num_blocks_; ++c) col_offsets_[c + 1] += col_offsets_[c];

  // Rows are visited in ascending order, so every column's row list comes out sorted.
  row_indices_.resize(col_indices_.size());
  std::vector<int32_t> next(col_offsets_.begin(), col_offsets_.end() - 1);
  for (int32_t r = 0; r < num_blocks_; ++r)
    for (int32_t k = row_offsets_[r]; k < row_offsets_[r + 1]; ++k) row_indices_[next[col_indices_[k]]++] = r;
}

double BlockSparseLayout::density() const {
  if (num_blocks_ == 0) return 0.0;
  return static_cast<double>(nnz()) / (static_cast<double>(num_blocks_) * static_cast<double>(num_blocks_));
}

int64_t BlockSparseLayout::kept_token_pairs() const {
  auto extent = [&](int32_t block) {
    return std::min<int64_t>(block_size_, seq_len_ - static_cast<int64_t>(block) * block_size_);
  };
  int64_t pairs = 0;
  for (int32_t r = 0; r < num_blocks_; ++r) {
    int64_t keys = 0;
    for (int32_t k = row_offsets_[r]; k < row_offsets_[r + 1]; ++k) keys += extent(col_indices_[k]);
    pairs += extent(r) * keys;
  }
  return pairs;
}

double BlockSparseLayout::kept_forward_flops(int64_t head_dim, int64_t heads, int64_t batch) const {
  return 4.0 * static_cast<double>(kept_token_pairs()) * static_cast<double>(head_dim * heads * batch);
}

double BlockSparseLayout::dense_forward_flops(int64_t head_dim, int64_t heads, int64_t batch) const {
  const double s = static_cast<double>(seq_len_);
  return 4.0 * s * s * static_cast<double>(head_dim * heads * batch);
}

BlockSparseView BlockSparseLayout::view() const {
  BlockSparseView v;
  v.seq_len = seq_len_;
  v.num_blocks = num_blocks_;
  v.block_size = block_size_;
  v.row_offsets = row_offsets_.data();
  v.col_indices = col_indices_.data();
  v.col_offsets = col_offsets_.data();
  v.row_indices = row_indices_.data();
  return v;
}

}  // namespace radial
