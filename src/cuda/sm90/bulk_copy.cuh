#pragma once
// Hopper bulk (non-tensor) copies: contiguous global -> shared loads completing on an mbarrier, and
// shared -> global fp32 reduce-adds in bulk groups (the backward's dQ accumulation). Ordinary
// shared-memory stores reach them only after fence_proxy_async_shared (primitives.cuh).
#include <cstdint>

#include "sm90/primitives.cuh"

namespace radial::cuda::sm90 {

// `bytes` (a multiple of 16, both addresses 16-byte aligned) from global to shared memory.
__device__ __forceinline__ void bulk_load(void* dst, const void* src, uint32_t bytes, uint64_t* bar) {
#ifdef RADIAL_SM90_ENABLED
  asm volatile("cp.async.bulk.shared::cluster.global.mbarrier::complete_tx::bytes [%0], [%1], %2, [%3];\n" ::"r"(
                   smem_addr(dst)),
               "l"(reinterpret_cast<uint64_t>(src)), "r"(bytes), "r"(smem_addr(bar))
               : "memory");
#endif
}

// global[i] += shared[i] for `bytes / 4` floats, element-wise atomic with respect to other reduces.
__device__ __forceinline__ void bulk_reduce_add_f32(float* dst, const float* src, uint32_t bytes) {
#ifdef RADIAL_SM90_ENABLED
  asm volatile("cp.reduce.async.bulk.global.shared::cta.bulk_group.add.f32 [%0], [%1], %2;\n" ::"l"(
                   reinterpret_cast<uint64_t>(dst)),
               "r"(smem_addr(src)), "r"(bytes)
               : "memory");
#endif
}

__device__ __forceinline__ void bulk_commit_group() {
#ifdef RADIAL_SM90_ENABLED
  asm volatile("cp.async.bulk.commit_group;\n" ::: "memory");
#endif
}

// Until at most N of this thread's bulk groups still read their shared-memory source.
template <int N>
__device__ __forceinline__ void bulk_wait_group_read() {
#ifdef RADIAL_SM90_ENABLED
  asm volatile("cp.async.bulk.wait_group.read %0;\n" ::"n"(N) : "memory");
#endif
}

// Until at most N of this thread's bulk groups are incomplete (writes done too).
template <int N>
__device__ __forceinline__ void bulk_wait_group() {
#ifdef RADIAL_SM90_ENABLED
  asm volatile("cp.async.bulk.wait_group %0;\n" ::"n"(N) : "memory");
#endif
}

}  // namespace radial::cuda::sm90
