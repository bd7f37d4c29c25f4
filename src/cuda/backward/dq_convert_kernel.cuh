#pragma once
// dQ of the default Hopper mode: the fp32 accumulator (backward/dq_accum_layout.cuh) times the
// softmax scale, converted to the element type and written in dq's (B, S, H, D) strides. One CTA per
// (64-query tile, head, batch); each thread moves groups of 8 columns (two float4 in, 16 bytes out).
#include <cstdint>

#include "backward/backward_params.hpp"
#include "backward/dq_accum_layout.cuh"
#include "common/pack.cuh"

namespace radial::cuda::portable {

constexpr int kDqConvertThreads = 256;

template <typename Element, int HEAD_DIM>
__global__ void __launch_bounds__(kDqConvertThreads) dq_convert_kernel(const __grid_constant__ BackwardParams p) {
  using L = DqAccumLayout<HEAD_DIM>;
  constexpr int kGroupsPerRow = HEAD_DIM / 8;
  const int tile = blockIdx.x, head = blockIdx.y, batch = blockIdx.z;
  Element* dq = static_cast<Element*>(p.dq) + batch * p.dq_stride_b + head * p.dq_stride_h;
  for (int group = threadIdx.x; group < L::kTileRows * kGroupsPerRow; group += kDqConvertThreads) {
    const int row = group / kGroupsPerRow;
    const int col = (group % kGroupsPerRow) * 8;  // over every chunk
    const int token = tile * L::kTileRows + row;
    if (token >= p.seq_len) continue;
    const float* src = p.dq_accum + L::chunk_offset(batch, head, p.heads, p.padded_len, tile, col / L::kChunkCols) +
                       L::index_in_chunk(row, col % L::kChunkCols);
    const float4 lo = *reinterpret_cast<const float4*>(src);
    const float4 hi = *reinterpret_cast<const float4*>(src + 4);
    uint4 out;
    out.x = pack2<Element>(lo.x * p.scale, lo.y * p.scale);
    out.y = pack2<Element>(lo.z * p.scale, lo.w * p.scale);
    out.z = pack2<Element>(hi.x * p.scale, hi.y * p.scale);
    out.w = pack2<Element>(hi.z * p.scale, hi.w * p.scale);
    *reinterpret_cast<uint4*>(dq + static_cast<int64_t>(token) * p.dq_stride_s + col) = out;
  }
}

}  // namespace radial::cuda::portable
