#pragma once
// The kernels that walk one CSR row of the mask (the forward and the dQ kernel): which of the row's
// kept key blocks to visit, and from which one on they need masking inside the tile.
#include <cstdint>

namespace radial::cuda::sm90 {

struct KeptRow {
  int begin;         // index of the row's first kept block in col_indices
  int num_tiles;     // kept blocks that start before kv_limit
  int first_masked;  // the first of them that reaches past kv_limit
};

// Column indices ascend, so the blocks that start at or past kv_limit (their keys get no weight:
// skipping them is exact) and those that reach past it are all at the end of the row.
// csr_row: the row of row_offsets to walk (the query block itself, or its place in a forward schedule).
template <int BLOCK_K>
__device__ __forceinline__ KeptRow kept_row(const int32_t* row_offsets, const int32_t* col_indices, int csr_row,
                                            int kv_limit) {
  KeptRow row{row_offsets[csr_row], row_offsets[csr_row + 1] - row_offsets[csr_row], 0};
  while (row.num_tiles > 0 && col_indices[row.begin + row.num_tiles - 1] * BLOCK_K >= kv_limit) --row.num_tiles;
  row.first_masked = row.num_tiles;
  while (row.first_masked > 0 && (col_indices[row.begin + row.first_masked - 1] + 1) * BLOCK_K > kv_limit)
    --row.first_masked;
  return row;
}

}  // namespace radial::cuda::sm90
