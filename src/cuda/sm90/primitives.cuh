#pragma once
// Hopper (sm_90a) primitives of the FA3-class kernels: mbarriers, TMA tile loads, shared-memory
// descriptors and the fence / commit / wait around wgmma (the products are in wgmma.cuh), register-
// count hand-off between warpgroups. Everything that emits an sm_90a-only instruction is inside
// RADIAL_SM90_ENABLED, so the sm_80 pass compiles these headers to empty bodies (the host never
// launches the sm_90a kernel on other GPUs).
#include <cstdint>

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

}  // namespace radial::cuda::sm90
