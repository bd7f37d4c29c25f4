#pragma once
// CUDA status checks: a failing runtime call becomes radial::RuntimeError carrying file, line and
// the expression, so a caller (C++, CLI, Python) sees where the device gave up. Never exits.
#include <cuda_runtime.h>

#include <string>

#include "radial/error.hpp"

namespace radial::cuda {

[[noreturn]] inline void throw_cuda_error(cudaError_t status, const char* expr, const char* file, int line) {
  throw RuntimeError(std::string(file) + ":" + std::to_string(line) + ": " + expr + " failed: " +
                     cudaGetErrorName(status) + " (" + cudaGetErrorString(status) + ")");
}

}  // namespace radial::cuda

#define RADIAL_CUDA_CHECK(expr)                                                        \
  do {                                                                                 \
    cudaError_t radial_cuda_status_ = (expr);                                          \
    if (radial_cuda_status_ != cudaSuccess)                                            \
      ::radial::cuda::throw_cuda_error(radial_cuda_status_, #expr, __FILE__, __LINE__); \
  } while (0)
