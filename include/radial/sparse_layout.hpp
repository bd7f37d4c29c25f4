#pragma once
// The block-sparse layout that kernels consume, built once per mask: CSR rows (forward and dQ) and
// CSC columns (dK/dV), both as int32 with sorted indices.
#include <cstdint>
#include <vector>

#include "radial/block_mask.hpp"

namespace radial {

// Non-owning view of a layout's index arrays, on whichever device the pointers live.
struct BlockSparseView {
  int64_t seq_len = 0;     // tokens; the last block may be partial
  int32_t num_blocks = 0;  // ceil(seq_len / block_size), rows and columns
  int32_t block_size = 0;
  const int32_t* row_offsets = nullptr;  // (num_blocks + 1) CSR
  const int32_t* col_indices = nullptr;  // (nnz) key blocks of each query block, ascending
  const int32_t* col_offsets = nullptr;  // (num_blocks + 1) CSC
  const int32_t* row_indices = nullptr;  // (nnz) query blocks of each key block, ascending
};

class BlockSparseLayout {
 public:
  // seq_len must satisfy ceil(seq_len / block_size) == mask.num_blocks().
  BlockSparseLayout(const BlockMask& mask, int64_t seq_len, int64_t block_size);

  int64_t seq_len() const { return seq_len_; }
  int32_t num_blocks() const { return num_blocks_; }
  int32_t block_size() const { return block_size_; }
  int64_t nnz() const { return static_cast<int64_t>(col_indices_.size()); }

  const std::vector<int32_t>& row_offsets() const { return row_offsets_; }
  const std::vector<int32_t>& col_indices() const { return col_indices_; }
  const std::vector<int32_t>& col_offsets() const { return col_offsets_; }
  const std::vector<int32_t>& row_indices() const { return row_indices_; }
  int32_t row_count(int32_t row) const { return row_offsets_[row + 1] - row_offsets_[row]; }

  // Kept blocks over all blocks.
  double density() const;
  // Query-key token pairs inside kept blocks (partial tail blocks counted by their real size).
  int64_t kept_token_pairs() const;
  // Forward FLOPs of attention restricted to kept blocks: 4 * pairs * head_dim * heads * batch.
  double kept_forward_flops(int64_t head_dim, int64_t heads = 1, int64_t batch = 1) const;
  double dense_forward_flops(int64_t head_dim, int64_t heads = 1, int64_t batch = 1) const;

  BlockSparseView view() const;

 private:
  int64_t seq_len_;
  int32_t num_blocks_;
  int32_t block_size_;
  std::vector<int32_t> row_offsets_, col_indices_, col_offsets_, row_indices_;
};

}  // namespace radial
