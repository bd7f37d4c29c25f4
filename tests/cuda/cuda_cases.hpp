#pragma once
// The case table of the CUDA forward: every compiled variant (bf16/f16 x head dim 64/128) over tails
// (S < 128, S % 128 != 0), every storage order, random / empty-row / radial / dense masks and padded
// keys; each case runs on every kernel family the GPU has (see kFamilies).
#include <vector>

#include "attention_problem.hpp"

namespace radial::testing {

inline std::vector<ProblemSpec> cuda_forward_cases() {
  using enum MaskKind;
  using enum Storage;
  std::vector<ProblemSpec> cases;
  for (DType dtype : {DType::bf16, DType::f16}) {
    for (int64_t dim : {128, 64}) {
      cases.push_back({.batch = 2, .seq = 1000, .heads = 3, .dim = dim, .dtype = dtype, .storage = bshd, .mask = random});
      cases.push_back({.batch = 1, .seq = 37, .heads = 2, .dim = dim, .dtype = dtype, .storage = bshd, .mask = dense});
      cases.push_back({.batch = 1, .seq = 1, .heads = 3, .dim = dim, .dtype = dtype, .storage = bshd, .mask = dense});
      cases.push_back({.batch = 1, .seq = 129, .heads = 2, .dim = dim, .dtype = dtype, .storage = padded,
                       .mask = random_with_empty_rows});
      cases.push_back({.batch = 2, .seq = 640, .heads = 3, .dim = dim, .dtype = dtype, .storage = bhsd, .mask = random});
      cases.push_back({.batch = 3, .seq = 537, .heads = 2, .dim = dim, .dtype = dtype, .storage = padded,
                       .mask = radial_pattern, .padded_keys = true, .frames = 3});
      cases.push_back({.batch = 1, .seq = 2000, .heads = 2, .dim = dim, .dtype = dtype, .storage = bshd,
                       .mask = radial_pattern, .frames = 8});
      cases.push_back({.batch = 3, .seq = 300, .heads = 1, .dim = dim, .dtype = dtype, .storage = bhsd,
                       .mask = random_with_empty_rows, .padded_keys = true});
      // 11 blocks x 5 heads x 3 batches = 165 CTAs, more than an H100's 132 SMs: a second wave
      // reuses shared memory and barriers of finished CTAs.
      cases.push_back({.batch = 3, .seq = 1300, .heads = 5, .dim = dim, .dtype = dtype, .storage = bshd,
                       .mask = random_with_empty_rows, .padded_keys = true});
    }
  }
  return cases;
}

// Relative 2-norm bounds on out: fp32 accumulation, so the output's own rounding and that of P
// (16-bit for the second product) dominate.
inline double cuda_tolerance(DType dtype) { return dtype == DType::f16 ? 2e-3 : 1e-2; }

}  // namespace radial::testing
