#pragma once
// Backward preprocessing: delta = rowsum(dO * O) in fp32 and the forward's LSE moved into the log2
// domain, per (batch, head, query row) up to the padded length, so that the dK/dV and dQ kernels
// read both as (B, H, padded_len) arrays with 16-byte copies and need no bounds or -inf cases.
#include <cuda_bf16.h>
#include <cuda_fp16.h>

#include <cmath>
#include <cstdint>

#include "backward/backward_params.hpp"
#include "backward/backward_traits.cuh"

namespace radial::cuda::portable {

template <typename Element>
__device__ __forceinline__ float dot_chunk(const uint4& a, const uint4& b);  // 8 elements, fp32 sum

template <>
__device__ __forceinline__ float dot_chunk<__nv_bfloat16>(const uint4& a, const uint4& b) {
  const auto* x = reinterpret_cast<const __nv_bfloat162*>(&a);
  const auto* y = reinterpret_cast<const __nv_bfloat162*>(&b);
  float sum = 0.0f;
#pragma unroll
  for (int i = 0; i < 4; ++i) {
    const float2 fx = __bfloat1622float2(x[i]), fy = __bfloat1622float2(y[i]);
    sum = fmaf(fx.x, fy.x, fmaf(fx.y, fy.y, sum));
  }
  return sum;
}

template <>
__device__ __forceinline__ float dot_chunk<__half>(const uint4& a, const uint4& b) {
  const auto* x = reinterpret_cast<const __half2*>(&a);
  const auto* y = reinterpret_cast<const __half2*>(&b);
  float sum = 0.0f;
#pragma unroll
  for (int i = 0; i < 4; ++i) {
    const float2 fx = __half22float2(x[i]), fy = __half22float2(y[i]);
    sum = fmaf(fx.x, fy.x, fmaf(fx.y, fy.y, sum));
  }
  return sum;
}

// Grid (padded_len / kRows, heads, batch).
template <typename Element, int HEAD_DIM>
__global__ void __launch_bounds__(PreprocessTraits<HEAD_DIM>::kThreads)
    preprocess_kernel(const __grid_constant__ BackwardParams p) {
  using Traits = PreprocessTraits<HEAD_DIM>;
  const int head = blockIdx.y;
  const int batch = blockIdx.z;
  const int chunk = threadIdx.x % Traits::kThreadsPerRow;
  const int row = blockIdx.x * Traits::kRows + threadIdx.x / Traits::kThreadsPerRow;

  float partial = 0.0f;
  if (row < p.seq_len) {
    const Element* o = static_cast<const Element*>(p.out) + batch * p.o_stride_b + head * p.o_stride_h +
                       row * p.o_stride_s + chunk * 8;
    const Element* dout = static_cast<const Element*>(p.dout) + batch * p.do_stride_b + head * p.do_stride_h +
                          row * p.do_stride_s + chunk * 8;
    partial = dot_chunk<Element>(*reinterpret_cast<const uint4*>(o), *reinterpret_cast<const uint4*>(dout));
  }
  // The row's threads are consecutive lanes of one warp (kThreadsPerRow divides 32).
#pragma unroll
  for (int width = Traits::kThreadsPerRow / 2; width > 0; width /= 2)
    partial += __shfl_xor_sync(0xffffffffu, partial, width);
  if (chunk != 0) return;

  float lse_log2 = INFINITY;
  if (row < p.seq_len) {
    const float lse = p.lse[batch * p.lse_stride_b + head * p.lse_stride_h + row * p.lse_stride_s];
    if (lse != -INFINITY) lse_log2 = lse * static_cast<float>(M_LOG2E);
  }
  const int64_t at = (static_cast<int64_t>(batch) * p.heads + head) * p.padded_len + row;
  p.delta[at] = partial;
  p.lse_log2[at] = lse_log2;
}

}  // namespace radial::cuda::portable
