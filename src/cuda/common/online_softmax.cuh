#pragma once
// Online softmax over one warp's (16, BLK_K) score fragment (mma.sync C layout, which is also the
// per-warp slice of a wgmma accumulator). Thread (g = lane / 4, t = lane % 4)
// holds rows g and g + 8; per n-tile n: s[n][0..1] = row g, keys 8n + 2t + {0, 1}; s[n][2..3] = row g + 8.
// Maxima live in the log2 domain (scores times scale * log2 e) so that one exp2 does the work.
#include <cmath>

namespace radial::cuda {

// 2^x in one MUFU.EX2: flushing subnormal results to zero costs nothing here (they are weights far
// below the row's largest), while exp2f's subnormal-safe form adds instructions per element.
__device__ __forceinline__ float fast_exp2(float x) {
  float y;
  asm("ex2.approx.ftz.f32 %0, %1;" : "=f"(y) : "f"(x));
  return y;
}

template <int N_TILES, int D_TILES>
struct OnlineSoftmax {
  float row_max[2];  // running max per row, log2 domain; -inf before any key is seen
  float row_sum[2];  // this thread's partial sum of exp2(score - max); the quad is summed at the end

  __device__ __forceinline__ void init() {
#pragma unroll
    for (int r = 0; r < 2; ++r) {
      row_max[r] = -INFINITY;
      row_sum[r] = 0.0f;
    }
  }

  // s: (16, BLK_K) raw scores in, probabilities out; returns in `correction` the factor by which each
  // row's earlier output must be scaled (its max grew). The caller applies it with rescale(), which
  // lets a pipelined kernel compute the next tile's probabilities while the last P @ V still runs.
  __device__ __forceinline__ void update_scores(float (&s)[N_TILES][4], float scale_log2, float (&correction)[2]) {
#pragma unroll
    for (int r = 0; r < 2; ++r) {
      float tile_max = -INFINITY;
#pragma unroll
      for (int n = 0; n < N_TILES; ++n) tile_max = fmaxf(tile_max, fmaxf(s[n][2 * r], s[n][2 * r + 1]));
      tile_max = fmaxf(tile_max, __shfl_xor_sync(0xffffffffu, tile_max, 1));
      tile_max = fmaxf(tile_max, __shfl_xor_sync(0xffffffffu, tile_max, 2));
      const float new_max = fmaxf(row_max[r], tile_max * scale_log2);
      // A row with every key masked so far keeps max -inf; subtracting 0 instead keeps exp2(-inf) = 0
      // rather than NaN from -inf - -inf.
      const float base = new_max == -INFINITY ? 0.0f : new_max;
      correction[r] = fast_exp2(row_max[r] - base);
      row_max[r] = new_max;
      float sum = 0.0f;
#pragma unroll
      for (int n = 0; n < N_TILES; ++n) {
#pragma unroll
        for (int c = 0; c < 2; ++c) {
          const float p = fast_exp2(fmaf(s[n][2 * r + c], scale_log2, -base));
          s[n][2 * r + c] = p;
          sum += p;
        }
      }
      row_sum[r] = row_sum[r] * correction[r] + sum;
    }
  }

  // o: (16, HEAD_DIM) accumulator rows scaled by update_scores' corrections. Always multiplied: a
  // branch that skips rows whose max did not move measured 13 % slower on the portable kernel and
  // no faster on the sm_90a one (H100).
  __device__ __forceinline__ static void rescale(float (&o)[D_TILES][4], const float (&correction)[2]) {
#pragma unroll
    for (int d = 0; d < D_TILES; ++d) {
#pragma unroll
      for (int r = 0; r < 2; ++r) {
        o[d][2 * r] *= correction[r];
        o[d][2 * r + 1] *= correction[r];
      }
    }
  }

  __device__ __forceinline__ void update(float (&s)[N_TILES][4], float (&o)[D_TILES][4], float scale_log2) {
    float correction[2];
    update_scores(s, scale_log2, correction);
    rescale(o, correction);
  }

  // Sums the quad's partials; afterwards row_sum is the full row sum in every lane of the quad.
  __device__ __forceinline__ void finalize() {
#pragma unroll
    for (int r = 0; r < 2; ++r) {
      row_sum[r] += __shfl_xor_sync(0xffffffffu, row_sum[r], 1);
      row_sum[r] += __shfl_xor_sync(0xffffffffu, row_sum[r], 2);
    }
  }
};

}  // namespace radial::cuda
