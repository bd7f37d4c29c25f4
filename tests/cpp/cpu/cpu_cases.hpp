#pragma once
// The case table both CPU suites sweep: tails, blocks shorter than 128, heads 1-5, head dims
// 8-256, every storage order, random / empty-row / radial (with and without text tokens) / dense
// masks, padded keys, every dtype.
#include <cstdio>
#include <string>
#include <vector>

#include "attention_problem.hpp"

namespace radial::testing {

inline std::vector<ProblemSpec> cpu_attention_cases() {
  using enum MaskKind;
  using enum Storage;
  return {
      {.batch = 1, .seq = 200, .heads = 1, .dim = 64, .dtype = DType::f32, .storage = bshd, .mask = random},
      {.batch = 2, .seq = 37, .heads = 3, .dim = 64, .dtype = DType::f32, .storage = bshd, .mask = dense},
      {.batch = 1, .seq = 129, .heads = 2, .dim = 128, .dtype = DType::f32, .storage = padded, .mask = random_with_empty_rows},
      {.batch = 1, .seq = 300, .heads = 5, .dim = 80, .dtype = DType::f32, .storage = bhsd, .mask = random},
      {.batch = 1, .seq = 537, .heads = 2, .dim = 128, .dtype = DType::f32, .storage = padded, .mask = radial_pattern, .frames = 3},
      {.batch = 1, .seq = 1000, .heads = 1, .dim = 64, .dtype = DType::f32, .storage = bshd, .mask = radial_pattern, .frames = 7},
      {.batch = 3, .seq = 300, .heads = 2, .dim = 64, .dtype = DType::f32, .storage = bhsd, .mask = random_with_empty_rows, .padded_keys = true},
      // Ten (batch, head) pairs of one block each: packed and computed in groups of several heads.
      {.batch = 2, .seq = 100, .heads = 5, .dim = 64, .dtype = DType::f32, .storage = padded, .mask = random_with_empty_rows, .padded_keys = true},
      {.batch = 1, .seq = 150, .heads = 2, .dim = 8, .dtype = DType::f32, .storage = bshd, .mask = random},
      {.batch = 1, .seq = 150, .heads = 1, .dim = 256, .dtype = DType::f32, .storage = padded, .mask = dense},
      {.batch = 1, .seq = 150, .heads = 4, .dim = 24, .dtype = DType::f32, .storage = bshd, .mask = random},
      {.batch = 1, .seq = 257, .heads = 3, .dim = 128, .dtype = DType::bf16, .storage = bshd, .mask = random},
      {.batch = 3, .seq = 537, .heads = 1, .dim = 64, .dtype = DType::bf16, .storage = padded, .mask = radial_pattern, .padded_keys = true, .frames = 4},
      {.batch = 1, .seq = 100, .heads = 2, .dim = 80, .dtype = DType::bf16, .storage = bhsd, .mask = dense},
      {.batch = 1, .seq = 200, .heads = 2, .dim = 64, .dtype = DType::f16, .storage = bshd, .mask = random_with_empty_rows},
  };
}

// Relative 2-norm bounds: fp32 accumulation everywhere, so the output's own rounding dominates
// (bf16: 2^-9, f16: 2^-12 relative per element).
inline double tolerance(DType dtype) {
  switch (dtype) {
    case DType::f32: return 1e-5;
    case DType::f16: return 2e-3;
    default: return 1e-2;
  }
}

inline std::string scientific(double x) {
  char text[32];
  std::snprintf(text, sizeof text, "%.2e", x);
  return text;
}

}  // namespace radial::testing
