#pragma once
// wgmma with a (64, 64) f32 accumulator, both operands from shared memory, for the backward's
// products whose N is 64: S^T = K Q^T and dP^T = V dO^T over a 64-query tile (K-major operands).
#include <cuda_bf16.h>
#include <cuda_fp16.h>

#include <cstdint>
#include <type_traits>

#include "sm90/primitives.cuh"

namespace radial::cuda::sm90 {

// d: (64, 64) f32 per warpgroup, 8 mma.sync-style C tiles per warp (d[n][0..1]: row 16 warp + lane / 4,
// cols 8 n + 2 (lane % 4) + {0, 1}; d[n][2..3]: that row + 8). A and B K-major. accumulate = 0
// overwrites d.
template <typename Element>
__device__ __forceinline__ void wgmma_m64n64_ss(float (&d)[8][4], uint64_t desc_a, uint64_t desc_b, int accumulate) {
#ifdef RADIAL_SM90_ENABLED
#define RADIAL_WGMMA_SS_N64(TYPE)                                                                           \
  asm volatile("{\n.reg .pred p;\nsetp.ne.b32 p, %34, 0;\n"                                                 \
               "wgmma.mma_async.sync.aligned.m64n64k16.f32." TYPE "." TYPE " " RADIAL_WGMMA_REGS_N64            \
               ", %32, %33, p, 1, 1, 0, 0;\n}\n"                                                            \
               : RADIAL_WGMMA_ACC_N64(d)                                                                    \
               : "l"(desc_a), "l"(desc_b), "r"(accumulate))
  RADIAL_WGMMA_BY_ELEMENT(Element, RADIAL_WGMMA_SS_N64)
#undef RADIAL_WGMMA_SS_N64
#endif
}

}  // namespace radial::cuda::sm90
