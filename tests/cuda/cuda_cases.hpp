#pragma once
// The CUDA tests' cases: the compiled variants every table sweeps, and the forward's table: tails
// (S < 128, S % 128 != 0), every storage order, random / empty-row / radial / dense masks and padded
// keys; each forward case runs on every kernel family the GPU has (see kFamilies).
#include <vector>

#include "attention_problem.hpp"

namespace radial::testing {

// Each shape in every compiled variant (bf16/f16 x head dim 128/64, the axes of
// tools/gen_cuda_instantiations.py), variant by variant; the shapes' dtype and dim are replaced.
inline std::vector<ProblemSpec> in_every_compiled_variant(const std::vector<ProblemSpec>& shapes) {
  std::vector<ProblemSpec> cases;
  for (DType dtype : {DType::bf16, DType::f16}) {
    for (int64_t dim : {128, 64}) {
      for (ProblemSpec spec : shapes) {
        spec.dtype = dtype;
        spec.dim = dim;
        cases.push_back(spec);
      }
    }
  }
  return cases;
}

inline std::vector<ProblemSpec> cuda_forward_cases() {
  using enum MaskKind;
  using enum Storage;
  return in_every_compiled_variant({
      {.batch = 2, .seq = 1000, .heads = 3, .storage = bshd, .mask = random},
      {.batch = 1, .seq = 37, .heads = 2, .storage = bshd, .mask = dense},
      {.batch = 1, .seq = 1, .heads = 3, .storage = bshd, .mask = dense},
      {.batch = 1, .seq = 129, .heads = 2, .storage = padded, .mask = random_with_empty_rows},
      {.batch = 2, .seq = 640, .heads = 3, .storage = bhsd, .mask = random},
      {.batch = 3, .seq = 537, .heads = 2, .storage = padded, .mask = radial_pattern, .padded_keys = true, .frames = 3},
      {.batch = 1, .seq = 2000, .heads = 2, .storage = bshd, .mask = radial_pattern, .frames = 8},
      {.batch = 3, .seq = 300, .heads = 1, .storage = bhsd, .mask = random_with_empty_rows, .padded_keys = true},
      // 11 blocks x 5 heads x 3 batches = 165 CTAs, more than an H100's 132 SMs: a second wave
      // reuses shared memory and barriers of finished CTAs.
      {.batch = 3, .seq = 1300, .heads = 5, .storage = bshd, .mask = random_with_empty_rows, .padded_keys = true},
      // 6 x 20 x 4 = 480 CTAs over rows of many lengths, empty ones and a batch with kv_valid_len 0.
      {.batch = 4, .seq = 700, .heads = 20, .storage = bshd, .mask = random_with_empty_rows, .padded_keys = true},
  });
}

// Relative 2-norm bounds on out: fp32 accumulation, so the output's own rounding and that of P
// (16-bit for the second product) dominate.
inline double cuda_tolerance(DType dtype) { return dtype == DType::f16 ? 2e-3 : 1e-2; }

}  // namespace radial::testing
