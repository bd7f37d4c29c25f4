#pragma once
// Launch of one Hopper dK/dV variant: TMA descriptors (Q and dO in 64-row boxes, K and V in 128-row
// boxes), grid (key blocks, heads, batch), 384 threads, dynamic shared memory for the storage plus
// alignment slack. With p.dq_accum set, the variant that also adds up dQ.
#include <type_traits>

#include "common/check.hpp"
#include "sm90/backward_dkdv_kernel.cuh"
#include "sm90/backward_launch.hpp"
#include "sm90/tensor_map.hpp"

namespace radial::cuda::sm90 {

template <typename Element, int HEAD_DIM>
void launch_backward_dkdv(const BackwardParams& p, cudaStream_t stream) {
  using Traits = BackwardDkDvTraits<Element, HEAD_DIM>;
  constexpr bool kBf16 = std::is_same_v<Element, __nv_bfloat16>;
  BackwardTmaParams params;
  params.p = p;
  params.q = make_bshd_tensor_map(p.q, 2, kBf16, p.batch, p.seq_len, p.heads, p.head_dim, p.q_stride_b, p.q_stride_s,
                                  p.q_stride_h, Traits::kTileQ);
  params.dout = make_bshd_tensor_map(p.dout, 2, kBf16, p.batch, p.seq_len, p.heads, p.head_dim, p.do_stride_b,
                                     p.do_stride_s, p.do_stride_h, Traits::kTileQ);
  params.k = make_bshd_tensor_map(p.k, 2, kBf16, p.batch, p.seq_len, p.heads, p.head_dim, p.k_stride_b, p.k_stride_s,
                                  p.k_stride_h, Traits::kBlockK);
  params.v = make_bshd_tensor_map(p.v, 2, kBf16, p.batch, p.seq_len, p.heads, p.head_dim, p.v_stride_b, p.v_stride_s,
                                  p.v_stride_h, Traits::kBlockK);
  constexpr int kSmemBytes = static_cast<int>(sizeof(BackwardDkDvStorage<Traits>)) + 1024;
  auto kernel = p.dq_accum ? backward_dkdv_kernel<Traits, true> : backward_dkdv_kernel<Traits, false>;
  RADIAL_CUDA_CHECK(cudaFuncSetAttribute(kernel, cudaFuncAttributeMaxDynamicSharedMemorySize, kSmemBytes));
  const dim3 grid(static_cast<unsigned>(p.num_blocks), static_cast<unsigned>(p.heads), static_cast<unsigned>(p.batch));
  kernel<<<grid, Traits::kThreads, kSmemBytes, stream>>>(params);
  RADIAL_CUDA_CHECK(cudaGetLastError());
}

}  // namespace radial::cuda::sm90
