#pragma once
// The one warp product the forward does not have: C (16, WIDTH) = A B^T with both operands in shared
// memory, A the warp's 16 rows of a (rows, HEAD_DIM) tile and B a (WIDTH, HEAD_DIM) tile. The dK/dV
// kernel uses it for S^T = K Q^T and dP^T = V dO^T; A fragments are read per 16-wide k step, so
// the (16, HEAD_DIM) K and V slices never occupy registers beside the dK and dV accumulators.
#include <cstdint>

#include "common/sm80_primitives.cuh"
#include "portable/forward_traits.cuh"

namespace radial::cuda::portable {

template <typename Shape>
__device__ __forceinline__ void product_abt_smem(float (&c)[Shape::kBlockK / 8][4],
                                                 const typename Shape::Element* sA, int a_row0,
                                                 const typename Shape::Element* sB, int lane) {
  using Mma = sm80::MmaOp<typename Shape::Element>;
  constexpr int D = Shape::kHeadDim;
#pragma unroll
  for (int n = 0; n < Shape::kBlockK / 8; ++n)
#pragma unroll
    for (int i = 0; i < 4; ++i) c[n][i] = 0.0f;
  const uint32_t a_base = sm80::smem_addr(sA);
  const uint32_t b_base = sm80::smem_addr(sB);
  const int matrix = lane / 8;
  // A: matrix 0 rows 0-7 k 0-7, 1 rows 8-15 k 0-7, 2 rows 0-7 k 8-15, 3 rows 8-15 k 8-15.
  const int a_row = a_row0 + (matrix % 2) * 8 + lane % 8;
#pragma unroll
  for (int kk = 0; kk < D / 16; ++kk) {
    uint32_t a[4];  // (16, 16) A fragment
    sm80::ldmatrix_x4(a, a_base + swizzled_offset<D>(a_row, 2 * kk + matrix / 2) * 2);
#pragma unroll
    for (int np = 0; np < Shape::kBlockK / 16; ++np) {
      // B: matrix 0 rows 0-7 k 0-7, 1 rows 0-7 k 8-15, 2 rows 8-15 k 0-7, 3 rows 8-15 k 8-15.
      const int b_row = np * 16 + (matrix / 2) * 8 + lane % 8;
      uint32_t b[4];
      sm80::ldmatrix_x4(b, b_base + swizzled_offset<D>(b_row, 2 * kk + matrix % 2) * 2);
      Mma::run(c[2 * np], a, b[0], b[1]);
      Mma::run(c[2 * np + 1], a, b[2], b[3]);
    }
  }
}

}  // namespace radial::cuda::portable
