#pragma once
// What the CUDA tests share: why no GPU test can run here, device copies of host test tensors
// (strides and gaps included), and the skip that says why.
#include <cuda_runtime.h>
#include <gtest/gtest.h>

#include <cstdlib>
#include <string>

#include "attention_tensors.hpp"

namespace radial::testing {

// Why the tests cannot run here, or empty when a GPU is visible.
inline std::string no_gpu_reason() {
  int count = 0;
  const cudaError_t status = cudaGetDeviceCount(&count);
  if (status != cudaSuccess) return std::string("no usable CUDA GPU: ") + cudaGetErrorString(status);
  if (count == 0) return "no CUDA GPU visible";
  return {};
}

#define RADIAL_SKIP_WITHOUT_GPU()                                                              \
  do {                                                                                         \
    if (const std::string why = ::radial::testing::no_gpu_reason(); !why.empty()) GTEST_SKIP() << why; \
  } while (0)

// Sets an environment variable (the kernels' RADIAL_CUDA_* overrides) for one scope.
class EnvironmentScope {
 public:
  EnvironmentScope(const char* name, const char* value) : name_(name) { setenv(name, value, 1); }
  ~EnvironmentScope() { unsetenv(name_); }
  EnvironmentScope(const EnvironmentScope&) = delete;
  EnvironmentScope& operator=(const EnvironmentScope&) = delete;

 private:
  const char* name_;
};

inline void check_cuda(cudaError_t status, const char* what) {
  ASSERT_EQ(status, cudaSuccess) << what << ": " << cudaGetErrorString(status);
}

// A device buffer, optionally a copy of host bytes; freed on scope exit.
class DeviceBuffer {
 public:
  explicit DeviceBuffer(size_t bytes) { check_cuda(cudaMalloc(&data_, bytes > 0 ? bytes : 16), "cudaMalloc"); }
  DeviceBuffer(const void* host, size_t bytes) : DeviceBuffer(bytes) {
    check_cuda(cudaMemcpy(data_, host, bytes, cudaMemcpyHostToDevice), "cudaMemcpy to device");
  }
  ~DeviceBuffer() { cudaFree(data_); }
  DeviceBuffer(const DeviceBuffer&) = delete;
  DeviceBuffer& operator=(const DeviceBuffer&) = delete;
  void* get() const { return data_; }

 private:
  void* data_ = nullptr;
};

inline size_t storage_bytes(const HostTensor& t) { return t.storage.size() * sizeof(double); }

// A device copy of a host tensor's whole storage, and the same view over it.
struct DeviceTensor {
  explicit DeviceTensor(const HostTensor& t) : buffer(t.storage.data(), storage_bytes(t)), view(t.view) {
    view.data = buffer.get();
    view.device = DeviceType::cuda;
    view.device_index = 0;
  }
  void copy_to(HostTensor& t) const {
    check_cuda(cudaMemcpy(t.storage.data(), buffer.get(), storage_bytes(t), cudaMemcpyDeviceToHost), "cudaMemcpy to host");
  }
  DeviceBuffer buffer;
  TensorView view;
};

}  // namespace radial::testing
