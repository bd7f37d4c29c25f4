#pragma once
// Makes `device` current for a scope and restores the caller's device afterwards, so a call on
// tensors of GPU 1 neither fails on GPU 0 nor leaves the caller switched.
#include <cuda_runtime.h>

#include "common/check.hpp"

namespace radial::cuda {

class DeviceGuard {
 public:
  explicit DeviceGuard(int device) {
    RADIAL_CUDA_CHECK(cudaGetDevice(&previous_));
    if (device != previous_) RADIAL_CUDA_CHECK(cudaSetDevice(device));
  }
  ~DeviceGuard() {
    int current = previous_;
    if (cudaGetDevice(&current) == cudaSuccess && current != previous_) cudaSetDevice(previous_);
  }
  DeviceGuard(const DeviceGuard&) = delete;
  DeviceGuard& operator=(const DeviceGuard&) = delete;

 private:
  int previous_ = 0;
};

}  // namespace radial::cuda
