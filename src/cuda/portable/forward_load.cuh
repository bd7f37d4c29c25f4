#pragma once
// Global -> shared copies of (ROWS, HEAD_DIM) tiles with cp.async; rows at or past `row_limit`
// (sequence end, or the batch's valid key length) are zero-filled so they add nothing to P @ V.
#include <cstdint>

#include "common/sm80_primitives.cuh"
#include "portable/forward_traits.cuh"

namespace radial::cuda::portable {

template <typename Traits, int ROWS>
__device__ __forceinline__ void load_tile_async(typename Traits::Element* tile,  // (ROWS, HEAD_DIM) swizzled
                                                const typename Traits::Element* base, int64_t row_stride,
                                                int row0, int row_limit, int tid) {
  constexpr int kChunks = ROWS * Traits::kChunksPerRow;
  static_assert(kChunks % Traits::kThreads == 0, "every thread copies the same number of chunks");
  const uint32_t tile_addr = sm80::smem_addr(tile);
#pragma unroll
  for (int i = 0; i < kChunks / Traits::kThreads; ++i) {
    const int idx = tid + i * Traits::kThreads;
    const int row = idx / Traits::kChunksPerRow;
    const int chunk = idx % Traits::kChunksPerRow;
    const int token = row0 + row;
    const bool valid = token < row_limit;
    // An invalid row still needs a legal address; row 0 of the slice always exists.
    const typename Traits::Element* src = base + (valid ? static_cast<int64_t>(token) * row_stride : 0) + chunk * 8;
    const uint32_t dst = tile_addr + swizzled_offset<Traits::kHeadDim>(row, chunk) * 2;
    sm80::cp_async_16(dst, src, valid);
  }
}

}  // namespace radial::cuda::portable
