#pragma once
// The wgmma instructions the Hopper kernels issue, m64nNk16 with an f32 accumulator, N = 64 or 128
// chosen by the accumulator's size (head dim 64 or 128, or the backward's 64-query tiles):
//   wgmma_ss             A and B from shared memory (descriptors), either operand K- or MN-major;
//   wgmma_rs             A from registers (the mma.sync m16n8k16 A-fragment layout per warp), B from
//                        shared memory, K- or MN-major.
// The accumulator d: (64, N) f32 per warpgroup, laid out like N / 8 mma.sync m16n8 C fragments per
// warp: d[n][0..1] = row 16 * warp + lane / 4, cols 8n + 2 (lane % 4) + {0, 1}; d[n][2..3] = that
// row + 8. accumulate = 0 overwrites d. Only issue: callers fence, commit and wait (primitives.cuh).
#include <cuda_bf16.h>
#include <cuda_fp16.h>

#include <cstdint>
#include <type_traits>

#include "sm90/primitives.cuh"

namespace radial::cuda::sm90 {

// The accumulator of an m64nN wgmma as inline-asm operands: d[n][0..3] for each 8 columns n.
#define RADIAL_WGMMA_ACC8(d, n) "+f"(d[n][0]), "+f"(d[n][1]), "+f"(d[n][2]), "+f"(d[n][3])
#define RADIAL_WGMMA_ACC_N64(d)                                                                         \
  RADIAL_WGMMA_ACC8(d, 0), RADIAL_WGMMA_ACC8(d, 1), RADIAL_WGMMA_ACC8(d, 2), RADIAL_WGMMA_ACC8(d, 3),   \
      RADIAL_WGMMA_ACC8(d, 4), RADIAL_WGMMA_ACC8(d, 5), RADIAL_WGMMA_ACC8(d, 6), RADIAL_WGMMA_ACC8(d, 7)
#define RADIAL_WGMMA_ACC_N128(d)                                                                          \
  RADIAL_WGMMA_ACC_N64(d), RADIAL_WGMMA_ACC8(d, 8), RADIAL_WGMMA_ACC8(d, 9), RADIAL_WGMMA_ACC8(d, 10),    \
      RADIAL_WGMMA_ACC8(d, 11), RADIAL_WGMMA_ACC8(d, 12), RADIAL_WGMMA_ACC8(d, 13), RADIAL_WGMMA_ACC8(d, 14), \
      RADIAL_WGMMA_ACC8(d, 15)
// Their names in the instruction text (operands %0 ..).
#define RADIAL_WGMMA_REGS_N64 "{%0, %1, %2, %3, %4, %5, %6, %7, %8, %9, %10, %11, %12, %13, %14, %15, %16, %17, %18, %19, %20, %21, %22, %23, %24, %25, %26, %27, %28, %29, %30, %31}"
#define RADIAL_WGMMA_REGS_N128 "{%0, %1, %2, %3, %4, %5, %6, %7, %8, %9, %10, %11, %12, %13, %14, %15, %16, %17, %18, %19, %20, %21, %22, %23, %24, %25, %26, %27, %28, %29, %30, %31, %32, %33, %34, %35, %36, %37, %38, %39, %40, %41, %42, %43, %44, %45, %46, %47, %48, %49, %50, %51, %52, %53, %54, %55, %56, %57, %58, %59, %60, %61, %62, %63}"
// The instruction's input type, from Element (bf16 or f16): TYPE is what the macro body is written for.
#define RADIAL_WGMMA_BY_ELEMENT(Element, STATEMENT)                                                    \
  static_assert(std::is_same_v<Element, __nv_bfloat16> || std::is_same_v<Element, __half>, "bf16 or f16"); \
  if constexpr (std::is_same_v<Element, __nv_bfloat16>) {                                              \
    STATEMENT("bf16");                                                                                  \
  } else {                                                                                              \
    STATEMENT("f16");                                                                                   \
  }

// A (64, 16) and B (N, 16) from shared memory. TRANS_A / TRANS_B: 0 = K-major (Q and K in S = Q K^T),
// 1 = MN-major (the backward's dQ = dS K reads dS^T and K so). The transposes are instruction immediates.
template <typename Element, int TRANS_A = 0, int TRANS_B = 0>
__device__ __forceinline__ void wgmma_ss(float (&d)[16][4], uint64_t desc_a, uint64_t desc_b, int accumulate) {
#ifdef RADIAL_SM90_ENABLED
#define RADIAL_WGMMA_SS_N128(TYPE)                                                                          \
  asm volatile("{\n.reg .pred p;\nsetp.ne.b32 p, %66, 0;\n"                                                 \
               "wgmma.mma_async.sync.aligned.m64n128k16.f32." TYPE "." TYPE " " RADIAL_WGMMA_REGS_N128          \
               ", %64, %65, p, 1, 1, %67, %68;\n}\n"                                                        \
               : RADIAL_WGMMA_ACC_N128(d)                                                                   \
               : "l"(desc_a), "l"(desc_b), "r"(accumulate), "n"(TRANS_A), "n"(TRANS_B))
  RADIAL_WGMMA_BY_ELEMENT(Element, RADIAL_WGMMA_SS_N128)
#undef RADIAL_WGMMA_SS_N128
#endif
}
template <typename Element, int TRANS_A = 0, int TRANS_B = 0>
__device__ __forceinline__ void wgmma_ss(float (&d)[8][4], uint64_t desc_a, uint64_t desc_b, int accumulate) {
#ifdef RADIAL_SM90_ENABLED
#define RADIAL_WGMMA_SS_N64(TYPE)                                                                           \
  asm volatile("{\n.reg .pred p;\nsetp.ne.b32 p, %34, 0;\n"                                                 \
               "wgmma.mma_async.sync.aligned.m64n64k16.f32." TYPE "." TYPE " " RADIAL_WGMMA_REGS_N64            \
               ", %32, %33, p, 1, 1, %35, %36;\n}\n"                                                        \
               : RADIAL_WGMMA_ACC_N64(d)                                                                    \
               : "l"(desc_a), "l"(desc_b), "r"(accumulate), "n"(TRANS_A), "n"(TRANS_B))
  RADIAL_WGMMA_BY_ELEMENT(Element, RADIAL_WGMMA_SS_N64)
#undef RADIAL_WGMMA_SS_N64
#endif
}

// A (64, 16) from registers, B from shared memory: TRANS_B 0 = K-major (K in S = Q K^T with Q held in
// registers), 1 = MN-major (V in O += P V).
template <typename Element, int TRANS_B>
__device__ __forceinline__ void wgmma_rs(float (&d)[16][4], const uint32_t (&a)[4], uint64_t desc_b, int accumulate) {
#ifdef RADIAL_SM90_ENABLED
#define RADIAL_WGMMA_RS_N128(TYPE)                                                                          \
  asm volatile("{\n.reg .pred p;\nsetp.ne.b32 p, %69, 0;\n"                                                 \
               "wgmma.mma_async.sync.aligned.m64n128k16.f32." TYPE "." TYPE " " RADIAL_WGMMA_REGS_N128          \
               ", {%64, %65, %66, %67}, %68, p, 1, 1, %70;\n}\n"                                            \
               : RADIAL_WGMMA_ACC_N128(d)                                                                   \
               : "r"(a[0]), "r"(a[1]), "r"(a[2]), "r"(a[3]), "l"(desc_b), "r"(accumulate), "n"(TRANS_B))
  RADIAL_WGMMA_BY_ELEMENT(Element, RADIAL_WGMMA_RS_N128)
#undef RADIAL_WGMMA_RS_N128
#endif
}
template <typename Element, int TRANS_B>
__device__ __forceinline__ void wgmma_rs(float (&d)[8][4], const uint32_t (&a)[4], uint64_t desc_b, int accumulate) {
#ifdef RADIAL_SM90_ENABLED
#define RADIAL_WGMMA_RS_N64(TYPE)                                                                           \
  asm volatile("{\n.reg .pred p;\nsetp.ne.b32 p, %37, 0;\n"                                                 \
               "wgmma.mma_async.sync.aligned.m64n64k16.f32." TYPE "." TYPE " " RADIAL_WGMMA_REGS_N64            \
               ", {%32, %33, %34, %35}, %36, p, 1, 1, %38;\n}\n"                                            \
               : RADIAL_WGMMA_ACC_N64(d)                                                                    \
               : "r"(a[0]), "r"(a[1]), "r"(a[2]), "r"(a[3]), "l"(desc_b), "r"(accumulate), "n"(TRANS_B))
  RADIAL_WGMMA_BY_ELEMENT(Element, RADIAL_WGMMA_RS_N64)
#undef RADIAL_WGMMA_RS_N64
#endif
}

}  // namespace radial::cuda::sm90
