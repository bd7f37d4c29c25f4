#pragma once
// TMA descriptors for (B, S, H, D) tensors, encoded through the driver entry point that the CUDA
// runtime hands out (no link against libcuda, so CI builds without a driver).
#include <cuda.h>

#include <cstdint>

namespace radial::cuda::sm90 {

// A 4-D tiled map over (D, S, H, B) (innermost first) with strides in elements, boxes of
// (64, box_rows, 1, 1), 128-byte swizzle; rows past S read as zeros.
CUtensorMap make_bshd_tensor_map(const void* data, int element_bytes, bool is_bf16, int64_t batch, int64_t seq_len,
                                 int64_t heads, int64_t head_dim, int64_t stride_b, int64_t stride_s, int64_t stride_h,
                                 int box_rows);

}  // namespace radial::cuda::sm90
