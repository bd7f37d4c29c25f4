#pragma once
// Layout of the fp32 dQ accumulator of the default (atomic) mode: for each (batch, head) the padded
// query rows in tiles of 64, each tile HEAD_DIM / 64 chunks of 64 columns, each one contiguous
// (64 rows, 64 floats) chunk of 16 KB. A chunk is what one warpgroup of the fused Hopper dK/dV kernel
// adds with one bulk reduce from shared memory, so its order inside is the shared-memory order: the
// 32-byte groups of 8 floats of row r are stored XOR-ed with r % 8, which makes the warps' staging
// stores free of bank conflicts. Only the conversion kernel reads it back.
#include <cstdint>

namespace radial::cuda {

template <int HEAD_DIM>
struct DqAccumLayout {
  static constexpr int kTileRows = 64;
  static constexpr int kChunkCols = 64;
  static_assert(HEAD_DIM % kChunkCols == 0, "head dims in whole 64-column chunks");
  static constexpr int kChunks = HEAD_DIM / kChunkCols;
  static constexpr int kChunkFloats = kTileRows * kChunkCols;
  static constexpr int kChunkBytes = kChunkFloats * 4;

  // First float of the chunk of query tile `tile` (rows 64 tile ..), columns 64 chunk ...
  __host__ __device__ static int64_t chunk_offset(int batch, int head, int heads, int padded_len, int tile, int chunk) {
    const int64_t tiles = padded_len / kTileRows;
    return ((((static_cast<int64_t>(batch) * heads + head) * tiles + tile) * kChunks) + chunk) * kChunkFloats;
  }
  // Float index inside a chunk of (row, col): col % 8 stays, the group col / 8 is swizzled by row.
  __host__ __device__ static int index_in_chunk(int row, int col) {
    return row * kChunkCols + (((col / 8) ^ (row % 8)) * 8) + col % 8;
  }
};

}  // namespace radial::cuda
