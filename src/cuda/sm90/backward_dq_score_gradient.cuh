#pragma once
// The elementwise part of dQ for one key block, on a warpgroup's (64, BLK_K) accumulator fragments
// (the per-warp mma.sync C layout: thread (g = lane / 4, t = lane % 4) holds rows g and g + 8; per
// n-tile n, s[n][0..1] = row g, keys 8n + 2t + {0, 1}; s[n][2..3] = row g + 8). Split in two so that
// the exponentials run while the tensor cores still compute dP.
#include "common/online_softmax.cuh"

namespace radial::cuda::sm90 {

// s: (64, BLK_K) scores -> P = exp2(s * scale_log2 - lse_log2[row]). A masked score (-inf) and a row
// without weight or past the end (lse_log2 = +inf) both give exp2(-inf) = 0.
template <int N_TILES>
__device__ __forceinline__ void scores_to_probabilities(float (&s)[N_TILES][4], float scale_log2,
                                                        const float (&row_lse_log2)[2]) {
#pragma unroll
  for (int n = 0; n < N_TILES; ++n)
#pragma unroll
    for (int c = 0; c < 4; ++c) s[n][c] = fast_exp2(fmaf(s[n][c], scale_log2, -row_lse_log2[c / 2]));
}

// s: (64, BLK_K) P -> dS = P * (dP - delta[row]), dp: (64, BLK_K) dO V^T.
template <int N_TILES>
__device__ __forceinline__ void probabilities_to_score_gradient(float (&s)[N_TILES][4], const float (&dp)[N_TILES][4],
                                                                const float (&row_delta)[2]) {
#pragma unroll
  for (int n = 0; n < N_TILES; ++n)
#pragma unroll
    for (int c = 0; c < 4; ++c) s[n][c] = s[n][c] * (dp[n][c] - row_delta[c / 2]);
}

}  // namespace radial::cuda::sm90
