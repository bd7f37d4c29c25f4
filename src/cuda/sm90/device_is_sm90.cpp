#include <cuda_runtime.h>

#include "common/check.hpp"
#include "sm90/forward_launch.hpp"

namespace radial::cuda::sm90 {

bool device_is_sm90(int device) {
  int major = 0, minor = 0;
  RADIAL_CUDA_CHECK(cudaDeviceGetAttribute(&major, cudaDevAttrComputeCapabilityMajor, device));
  RADIAL_CUDA_CHECK(cudaDeviceGetAttribute(&minor, cudaDevAttrComputeCapabilityMinor, device));
  return major == 9 && minor == 0;
}

}  // namespace radial::cuda::sm90
