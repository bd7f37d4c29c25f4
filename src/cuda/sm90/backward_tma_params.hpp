#pragma once
// The arguments of both Hopper backward kernels: the common backward parameters and one TMA
// descriptor per input read tile-wise, each a 4-D view (head dim, sequence, heads, batch) of its
// (B, S, H, D) tensor. The kernels differ only in the box heights they load.
#include <cuda.h>

#include "backward/backward_params.hpp"
#include "sm90/tensor_map.hpp"

namespace radial::cuda::sm90 {

struct BackwardTmaParams {
  CUtensorMap q, k, v, dout;
  BackwardParams p;
};

// Q and dO in boxes of `query_rows` rows, K and V in boxes of `key_rows` rows.
inline BackwardTmaParams make_backward_tma_params(const BackwardParams& p, bool is_bf16, int query_rows, int key_rows) {
  BackwardTmaParams params;
  params.p = p;
  params.q = make_bshd_tensor_map(p.q, 2, is_bf16, p.batch, p.seq_len, p.heads, p.head_dim, p.q_stride_b, p.q_stride_s,
                                  p.q_stride_h, query_rows);
  params.dout = make_bshd_tensor_map(p.dout, 2, is_bf16, p.batch, p.seq_len, p.heads, p.head_dim, p.do_stride_b,
                                     p.do_stride_s, p.do_stride_h, query_rows);
  params.k = make_bshd_tensor_map(p.k, 2, is_bf16, p.batch, p.seq_len, p.heads, p.head_dim, p.k_stride_b, p.k_stride_s,
                                  p.k_stride_h, key_rows);
  params.v = make_bshd_tensor_map(p.v, 2, is_bf16, p.batch, p.seq_len, p.heads, p.head_dim, p.v_stride_b, p.v_stride_s,
                                  p.v_stride_h, key_rows);
  return params;
}

}  // namespace radial::cuda::sm90
