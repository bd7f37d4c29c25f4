#pragma once
// Every CUDA kernel here moves 16 bytes per access (cp.async, TMA, vectorised epilogues), so every row
// of every tensor must start on a 16-byte boundary. Host-side check shared by the can_implement
// functions of each kernel family.
#include <cstdint>
#include <string>

namespace radial::cuda {

// Empty when `data` and the batch/sequence/head strides (elements) keep rows 16-byte aligned, else a
// sentence naming the tensor and what was wrong.
std::string misaligned_rows(const char* name, const void* data, int64_t stride_b, int64_t stride_s,
                            int64_t stride_h, int element_bytes);

}  // namespace radial::cuda
