#include "common/row_alignment.hpp"

namespace radial::cuda {

std::string misaligned_rows(const char* name, const void* data, int64_t stride_b, int64_t stride_s,
                            int64_t stride_h, int element_bytes) {
  const int64_t per_chunk = 16 / element_bytes;
  const auto address = reinterpret_cast<uintptr_t>(data);
  const bool ok = address % 16 == 0 && stride_b % per_chunk == 0 && stride_s % per_chunk == 0 &&
                  stride_h % per_chunk == 0;
  if (ok) return {};
  return std::string(name) + ": expected a 16-byte aligned pointer and batch/sequence/head strides that are multiples of " +
         std::to_string(per_chunk) + " elements, got pointer " + std::to_string(address % 16) +
         " bytes past a 16-byte boundary and strides (" + std::to_string(stride_b) + ", " + std::to_string(stride_s) +
         ", " + std::to_string(stride_h) + ")";
}

}  // namespace radial::cuda
