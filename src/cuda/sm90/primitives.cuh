#pragma once
// Hopper (sm_90a) primitives for the FA3-class forward: mbarriers, TMA tile loads, wgmma on
// shared-memory descriptors, register-count hand-off between warpgroups. Everything that emits an
// sm_90a-only instruction is inside RADIAL_SM90_ENABLED, so the sm_80 pass compiles these headers to
// empty bodies (the host never launches the sm_90a kernel on other GPUs).
#include <cuda_bf16.h>
#include <cuda_fp16.h>

#include <cstdint>
#include <type_traits>

#if defined(__CUDA_ARCH__) && __CUDA_ARCH__ == 900 && defined(__CUDA_ARCH_FEAT_SM90_ALL)
#define RADIAL_SM90_ENABLED 1
#endif

namespace radial::cuda::sm90 {

// The kernel's dynamic shared memory as its storage struct: the window is only 16-byte aligned by
// contract, so it is rounded up to the 128-byte swizzle's 1024 (launches add 1024 bytes of slack).
// Offsetting raw itself (not a rounded integer) keeps the pointer's shared address space visible to
// the compiler: accesses through the storage become LDS/STS instead of generic LD/ST.
template <typename Storage>
__device__ __forceinline__ Storage& aligned_storage(unsigned char* raw) {
  const uint32_t padding = (1024u - static_cast<uint32_t>(__cvta_generic_to_shared(raw)) % 1024u) % 1024u;
  return *reinterpret_cast<Storage*>(raw + padding);
}

__device__ __forceinline__ uint32_t smem_addr(const void* ptr) {
  return static_cast<uint32_t>(__cvta_generic_to_shared(ptr));
}

// ---- mbarriers -------------------------------------------------------------------------------

__device__ __forceinline__ void mbarrier_init(uint64_t* bar, uint32_t count) {
#ifdef RADIAL_SM90_ENABLED
  asm volatile("mbarrier.init.shared::cta.b64 [%0], %1;\n" ::"r"(smem_addr(bar)), "r"(count));
#endif
}

// Makes initialised barriers visible to the async (TMA) proxy before any copy names them.
__device__ __forceinline__ void fence_barrier_init() {
#ifdef RADIAL_SM90_ENABLED
  asm volatile("fence.mbarrier_init.release.cluster;\n" ::: "memory");
#endif
}

__device__ __forceinline__ void mbarrier_arrive_expect_tx(uint64_t* bar, uint32_t bytes) {
#ifdef RADIAL_SM90_ENABLED
  asm volatile("mbarrier.arrive.expect_tx.shared::cta.b64 _, [%0], %1;\n" ::"r"(smem_addr(bar)), "r"(bytes)
               : "memory");
#endif
}

__device__ __forceinline__ void mbarrier_arrive(uint64_t* bar) {
#ifdef RADIAL_SM90_ENABLED
  asm volatile("mbarrier.arrive.shared::cta.b64 _, [%0];\n" ::"r"(smem_addr(bar)) : "memory");
#endif
}

// Blocks until the barrier's phase with the given parity has completed.
__device__ __forceinline__ void mbarrier_wait(uint64_t* bar, uint32_t parity) {
#ifdef RADIAL_SM90_ENABLED
  asm volatile(
      "{\n.reg .pred done;\n"
      "wait_loop:\n"
      "mbarrier.try_wait.parity.shared::cta.b64 done, [%0], %1;\n"
      "@!done bra wait_loop;\n}\n" ::"r"(smem_addr(bar)),
      "r"(parity)
      : "memory");
#endif
}

// Orders this thread's earlier generic-proxy accesses to shared memory (ld/st.shared) before later
// async-proxy ones (a TMA write into the same bytes), once the two are also ordered by an mbarrier.
__device__ __forceinline__ void fence_proxy_async_shared() {
#ifdef RADIAL_SM90_ENABLED
  asm volatile("fence.proxy.async.shared::cta;\n" ::: "memory");
#endif
}

// ---- TMA ---------------------------------------------------------------------------------------

// One box of a 4-D tensor map (coordinates innermost first) into shared memory, completing on `bar`.
__device__ __forceinline__ void tma_load_4d(void* dst, const void* tensor_map, uint64_t* bar, int c0, int c1, int c2,
                                            int c3) {
#ifdef RADIAL_SM90_ENABLED
  asm volatile(
      "cp.async.bulk.tensor.4d.shared::cluster.global.tile.mbarrier::complete_tx::bytes [%0], [%1, {%2, %3, %4, %5}], "
      "[%6];\n" ::"r"(smem_addr(dst)),
      "l"(reinterpret_cast<uint64_t>(tensor_map)), "r"(c0), "r"(c1), "r"(c2), "r"(c3), "r"(smem_addr(bar))
      : "memory");
#endif
}

// A (rows, 64 HALVES) tile of a (B, S, H, D) tensor map with 64-column boxes, starting at sequence row
// `row`: HALVES boxes stored one after the other, `half_bytes` apart, all completing on `bar`.
template <int HALVES>
__device__ __forceinline__ void tma_load_tile(unsigned char* dst, int half_bytes, const void* tensor_map, uint64_t* bar,
                                              int row, int head, int batch) {
#pragma unroll
  for (int h = 0; h < HALVES; ++h) tma_load_4d(dst + h * half_bytes, tensor_map, bar, h * 64, row, head, batch);
}

__device__ __forceinline__ void prefetch_tensor_map(const void* tensor_map) {
#ifdef RADIAL_SM90_ENABLED
  asm volatile("prefetch.tensormap [%0];\n" ::"l"(reinterpret_cast<uint64_t>(tensor_map)) : "memory");
#endif
}

// ---- named barriers (ids 1..15; 0 is __syncthreads) ---------------------------------------------

__device__ __forceinline__ void named_barrier_sync(int id, int threads) {
#ifdef RADIAL_SM90_ENABLED
  asm volatile("bar.sync %0, %1;\n" ::"r"(id), "r"(threads) : "memory");
#endif
}
__device__ __forceinline__ void named_barrier_arrive(int id, int threads) {
#ifdef RADIAL_SM90_ENABLED
  asm volatile("bar.arrive %0, %1;\n" ::"r"(id), "r"(threads) : "memory");
#endif
}

// ---- register hand-off -------------------------------------------------------------------------

template <int REGS>
__device__ __forceinline__ void setmaxnreg_dec() {
#ifdef RADIAL_SM90_ENABLED
  asm volatile("setmaxnreg.dec.sync.aligned.u32 %0;\n" ::"n"(REGS));
#endif
}
template <int REGS>
__device__ __forceinline__ void setmaxnreg_inc() {
#ifdef RADIAL_SM90_ENABLED
  asm volatile("setmaxnreg.inc.sync.aligned.u32 %0;\n" ::"n"(REGS));
#endif
}

// ---- wgmma ---------------------------------------------------------------------------------------

// Shared-memory matrix descriptor for a 128-byte-swizzled operand (the layout TMA writes with
// CU_TENSOR_MAP_SWIZZLE_128B): rows of 64 16-bit elements, 8-row atoms of 1024 bytes.
//   K-major (Q, K): stride_bytes = 1024 between 8-row groups; leading_bytes unused.
//   MN-major (V):   leading_bytes = distance between 64-column halves, stride_bytes = 1024 between
//                   8-key groups.
__device__ __forceinline__ uint64_t smem_descriptor(uint32_t address, uint32_t leading_bytes, uint32_t stride_bytes) {
  uint64_t desc = 0;
  desc |= static_cast<uint64_t>((address & 0x3FFFF) >> 4);
  desc |= static_cast<uint64_t>((leading_bytes >> 4) & 0x3FFF) << 16;
  desc |= static_cast<uint64_t>((stride_bytes >> 4) & 0x3FFF) << 32;
  desc |= static_cast<uint64_t>(1) << 62;  // 128-byte swizzle
  return desc;
}
__device__ __forceinline__ uint64_t smem_descriptor(const void* ptr, uint32_t leading_bytes, uint32_t stride_bytes) {
  return smem_descriptor(smem_addr(ptr), leading_bytes, stride_bytes);
}

// x, opaque to the optimiser: what is computed from it (descriptors, swizzled offsets) is
// recomputed at each use, a few integer operations, instead of being hoisted out of loops into
// registers that the accumulators need.
__device__ __forceinline__ uint32_t opaque(uint32_t x) {
  asm volatile("" : "+r"(x));
  return x;
}
__device__ __forceinline__ int opaque(int x) {
  asm volatile("" : "+r"(x));
  return x;
}
__device__ __forceinline__ uint32_t opaque_smem_addr(const void* ptr) { return opaque(smem_addr(ptr)); }

__device__ __forceinline__ void wgmma_fence() {
#ifdef RADIAL_SM90_ENABLED
  asm volatile("wgmma.fence.sync.aligned;\n" ::: "memory");
#endif
}
__device__ __forceinline__ void wgmma_commit() {
#ifdef RADIAL_SM90_ENABLED
  asm volatile("wgmma.commit_group.sync.aligned;\n" ::: "memory");
#endif
}
template <int N>
__device__ __forceinline__ void wgmma_wait() {
#ifdef RADIAL_SM90_ENABLED
  asm volatile("wgmma.wait_group.sync.aligned %0;\n" ::"n"(N) : "memory");
#endif
}

// Keeps the compiler from moving reads or writes of accumulator registers across an async wgmma.
template <int N>
__device__ __forceinline__ void fence_fragment(float (&d)[N][4]) {
#pragma unroll
  for (int n = 0; n < N; ++n)
#pragma unroll
    for (int c = 0; c < 4; ++c) asm volatile("" : "+f"(d[n][c])::"memory");
}

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

// d: (64, 128) f32 per warpgroup, laid out like 16 mma.sync m16n8 C fragments per warp:
// d[n][0..1] = row 16 * warp + lane / 4, cols 8n + 2 (lane % 4) + {0, 1}; d[n][2..3] = that row + 8.
// A (64, 16) and B (128, 16) from shared memory. TRANS_A / TRANS_B: 0 = K-major (Q and K in the
// forward's S = Q K^T), 1 = MN-major (the backward's dQ = dS K reads dS^T and K so). accumulate = 0
// overwrites d. The transposes are instruction immediates.
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

// d as for wgmma_ss; A (64, 16) from registers (the mma.sync m16n8k16 A-fragment layout per warp),
// B (16, 128) MN-major in shared memory.
template <typename Element>
__device__ __forceinline__ void wgmma_rs_b_mn_major(float (&d)[16][4], const uint32_t (&a)[4], uint64_t desc_b,
                                                    int accumulate) {
#ifdef RADIAL_SM90_ENABLED
#define RADIAL_WGMMA_RS_N128(TYPE)                                                                          \
  asm volatile("{\n.reg .pred p;\nsetp.ne.b32 p, %69, 0;\n"                                                 \
               "wgmma.mma_async.sync.aligned.m64n128k16.f32." TYPE "." TYPE " " RADIAL_WGMMA_REGS_N128          \
               ", {%64, %65, %66, %67}, %68, p, 1, 1, 1;\n}\n"                                              \
               : RADIAL_WGMMA_ACC_N128(d)                                                                   \
               : "r"(a[0]), "r"(a[1]), "r"(a[2]), "r"(a[3]), "l"(desc_b), "r"(accumulate))
  RADIAL_WGMMA_BY_ELEMENT(Element, RADIAL_WGMMA_RS_N128)
#undef RADIAL_WGMMA_RS_N128
#endif
}

}  // namespace radial::cuda::sm90
