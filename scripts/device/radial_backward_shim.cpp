// A C ABI over the CUDA backward, loaded with ctypes by bench/gpu/ (beside radial_cuda_shim.cpp's
// forward and mask entry points, in the same library) while radial._C is not built on the GPU
// machine. It adds no logic: it fills radial::AttentionBackwardArgs and calls the CUDA backend
// directly, as the forward shim does (the argument checks of src/attention.cpp are not linked in).
#include <cstdint>
#include <exception>
#include <string>

#include "cuda/dispatch.hpp"
#include "radial/attention.hpp"

namespace {

thread_local std::string last_error;

int fail(const std::exception& e) {
  last_error = e.what();
  return 1;
}

radial::TensorView cuda_view(void* data, radial::DType dtype, int device, const int64_t* shape, const int64_t* strides,
                             int rank) {
  radial::TensorView v;
  v.data = data;
  v.dtype = dtype;
  v.device = radial::DeviceType::cuda;
  v.device_index = device;
  v.rank = rank;
  for (int i = 0; i < rank; ++i) {
    v.shape[i] = shape[i];
    v.strides[i] = strides[i];
  }
  return v;
}

// tensors: q, k, v, out, dout, dq, dk, dv; strides8x4 their (4)-strides in that order.
radial::AttentionBackwardArgs backward_args(void* const* tensors, float* lse, int dtype, int device, const int64_t* shape,
                                            const int64_t* strides8x4, const int64_t* lse_strides,
                                            const int32_t* const* layout, int32_t num_blocks,
                                            const int32_t* kv_valid_len, float scale, int deterministic,
                                            const int32_t* backward_schedule) {
  const radial::DType dt = dtype == 0 ? radial::DType::bf16 : radial::DType::f16;
  radial::AttentionBackwardArgs a;
  radial::TensorView* views[8] = {&a.q, &a.k, &a.v, &a.out, &a.dout, &a.dq, &a.dk, &a.dv};
  for (int i = 0; i < 8; ++i) *views[i] = cuda_view(tensors[i], dt, device, shape, strides8x4 + 4 * i, 4);
  const int64_t lse_shape[3] = {shape[0], shape[2], shape[1]};
  a.lse = cuda_view(lse, radial::DType::f32, device, lse_shape, lse_strides, 3);
  a.layout.seq_len = shape[1];
  a.layout.num_blocks = num_blocks;
  a.layout.block_size = 128;
  a.layout.row_offsets = layout[0];
  a.layout.col_indices = layout[1];
  a.layout.col_offsets = layout[2];
  a.layout.row_indices = layout[3];
  a.kv_valid_len = kv_valid_len;
  a.scale = scale;
  a.deterministic = deterministic != 0;
  a.backward_schedule = backward_schedule;
  return a;
}

}  // namespace

extern "C" {

const char* radial_backward_shim_last_error() { return last_error.c_str(); }

// layout: row_offsets, col_indices, col_offsets, row_indices on the GPU; backward_schedule: the layout's
// backward plan on the GPU (radial_shim_radial_backward_schedule) or null. With workspace null, writes
// the bytes it needs to *workspace_bytes and runs nothing.
int radial_shim_backward(void* const* tensors, float* lse, int dtype, int device, const int64_t* shape,
                         const int64_t* strides8x4, const int64_t* lse_strides, const int32_t* const* layout,
                         int32_t num_blocks, const int32_t* kv_valid_len, float scale, int deterministic,
                         const int32_t* backward_schedule, void* workspace, uint64_t* workspace_bytes, void* stream) {
  try {
    radial::AttentionBackwardArgs a = backward_args(tensors, lse, dtype, device, shape, strides8x4, lse_strides, layout,
                                                    num_blocks, kv_valid_len, scale, deterministic, backward_schedule);
    if (workspace == nullptr) {
      *workspace_bytes = radial::cuda::attention_backward_workspace_bytes(a);
      return 0;
    }
    a.workspace = workspace;
    a.workspace_bytes = *workspace_bytes;
    radial::cuda::attention_backward(a, stream);
    return 0;
  } catch (const std::exception& e) {
    return fail(e);
  }
}

}  // extern "C"
