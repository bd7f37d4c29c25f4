#include "sm90/tensor_map.hpp"

#include <cuda_runtime.h>
#include <cudaTypedefs.h>

#include <mutex>
#include <string>

#include "common/check.hpp"
#include "radial/error.hpp"

namespace radial::cuda::sm90 {

namespace {

PFN_cuTensorMapEncodeTiled_v12000 encode_function() {
  static PFN_cuTensorMapEncodeTiled_v12000 fn = nullptr;
  static std::once_flag once;
  std::call_once(once, [] {
    void* ptr = nullptr;
    cudaDriverEntryPointQueryResult found{};
    RADIAL_CUDA_CHECK(cudaGetDriverEntryPointByVersion("cuTensorMapEncodeTiled", &ptr, 12000, cudaEnableDefault, &found));
    if (found == cudaDriverEntryPointSuccess) fn = reinterpret_cast<PFN_cuTensorMapEncodeTiled_v12000>(ptr);
  });
  if (!fn) throw RuntimeError("cuTensorMapEncodeTiled is not available from the installed CUDA driver");
  return fn;
}

}  // namespace

CUtensorMap make_bshd_tensor_map(const void* data, int element_bytes, bool is_bf16, int64_t batch, int64_t seq_len,
                                 int64_t heads, int64_t head_dim, int64_t stride_b, int64_t stride_s, int64_t stride_h,
                                 int box_rows) {
  CUtensorMap map{};
  const cuuint64_t dims[4] = {static_cast<cuuint64_t>(head_dim), static_cast<cuuint64_t>(seq_len),
                              static_cast<cuuint64_t>(heads), static_cast<cuuint64_t>(batch)};
  // Strides of dimensions 1..3 in bytes; dimension 0 is contiguous by contract.
  const cuuint64_t strides[3] = {static_cast<cuuint64_t>(stride_s * element_bytes),
                                 static_cast<cuuint64_t>(stride_h * element_bytes),
                                 static_cast<cuuint64_t>(stride_b * element_bytes)};
  const cuuint32_t box[4] = {static_cast<cuuint32_t>(128 / element_bytes), static_cast<cuuint32_t>(box_rows), 1, 1};
  const cuuint32_t element_strides[4] = {1, 1, 1, 1};
  const CUresult status = encode_function()(
      &map, is_bf16 ? CU_TENSOR_MAP_DATA_TYPE_BFLOAT16 : CU_TENSOR_MAP_DATA_TYPE_FLOAT16, 4, const_cast<void*>(data), dims,
      strides, box, element_strides, CU_TENSOR_MAP_INTERLEAVE_NONE, CU_TENSOR_MAP_SWIZZLE_128B,
      CU_TENSOR_MAP_L2_PROMOTION_L2_256B, CU_TENSOR_MAP_FLOAT_OOB_FILL_NONE);
  if (status != CUDA_SUCCESS)
    throw RuntimeError("cuTensorMapEncodeTiled failed with CUresult " + std::to_string(static_cast<int>(status)) +
                       " for a (" + std::to_string(batch) + ", " + std::to_string(seq_len) + ", " +
                       std::to_string(heads) + ", " + std::to_string(head_dim) + ") tensor");
  return map;
}

}  // namespace radial::cuda::sm90
