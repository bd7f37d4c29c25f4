// A C ABI over the mask engine and the CUDA forward, loaded with ctypes by bench/gpu/ and
// scripts/device/ while the Python package (radial._C) is not built on the GPU machine. It adds no
// logic: it fills the library's own argument structs and calls the library.
#include <cstdint>
#include <cstring>
#include <exception>
#include <string>
#include <utility>
#include <vector>

#include "cuda/dispatch.hpp"
#include "radial/attention.hpp"
#include "radial/two_pass_plans.hpp"
#include "radial/radial_mask.hpp"
#include "radial/sparse_layout.hpp"

namespace {

thread_local std::string last_error;

int fail(const std::exception& e) {
  last_error = e.what();
  return 1;
}

radial::TensorView view(void* data, radial::DType dtype, int device, const int64_t* shape, const int64_t* strides,
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

// A radial mask's sequence, parameters and CSR, from the C ABI's arguments.
struct RadialCsr {
  radial::SequenceLayout sequence;
  radial::RadialParams params;
  radial::BlockSparseLayout csr;
};

RadialCsr radial_csr(int64_t frames, int64_t tokens_per_frame, int64_t text_tokens, double decay, int sink) {
  radial::SequenceLayout sequence;
  sequence.frames = frames;
  sequence.tokens_per_frame = tokens_per_frame;
  sequence.text_tokens = text_tokens;
  radial::RadialParams params;
  params.decay = decay;
  params.sink = sink != 0;
  radial::BlockSparseLayout csr(radial::build_radial_mask(sequence, params), sequence.seq_len(), sequence.block_size);
  return {sequence, params, std::move(csr)};
}

using PlanBuilder = std::vector<int32_t> (*)(const radial::BlockSparseLayout&, const radial::SequenceLayout&,
                                             const radial::RadialParams&, int64_t, int64_t);

int two_pass_plan(PlanBuilder build, int64_t frames, int64_t tokens_per_frame, int64_t text_tokens, double decay,
                  int sink, int64_t near_frames, int64_t group_frames, int32_t* plan, int64_t* size) {
  try {
    const RadialCsr mask = radial_csr(frames, tokens_per_frame, text_tokens, decay, sink);
    const std::vector<int32_t> schedule =
        build(mask.csr, mask.sequence, mask.params, near_frames < 0 ? radial::kNearFrames : near_frames,
              group_frames < 0 ? radial::kGroupFrames : group_frames);
    *size = static_cast<int64_t>(schedule.size());
    if (plan) std::memcpy(plan, schedule.data(), schedule.size() * sizeof(int32_t));
    return 0;
  } catch (const std::exception& e) {
    return fail(e);
  }
}

}  // namespace

extern "C" {

const char* radial_shim_last_error() { return last_error.c_str(); }

// Radial mask CSR of (frames, tokens_per_frame, text_tokens, decay, sink). Call once with null
// arrays to get num_blocks and nnz, then again with arrays of that size.
int radial_shim_radial_csr(int64_t frames, int64_t tokens_per_frame, int64_t text_tokens, double decay, int sink,
                           int32_t* row_offsets, int32_t* col_indices, int64_t* num_blocks, int64_t* nnz) {
  try {
    const radial::BlockSparseLayout csr = radial_csr(frames, tokens_per_frame, text_tokens, decay, sink).csr;
    *num_blocks = csr.num_blocks();
    *nnz = csr.nnz();
    if (row_offsets) std::memcpy(row_offsets, csr.row_offsets().data(), csr.row_offsets().size() * sizeof(int32_t));
    if (col_indices) std::memcpy(col_indices, csr.col_indices().data(), csr.col_indices().size() * sizeof(int32_t));
    return 0;
  } catch (const std::exception& e) {
    return fail(e);
  }
}

// The two-pass forward plan (radial/two_pass_plans.hpp) of the same radial mask; near_frames and
// group_frames below 0 take the library's defaults. Call once with a null array to get its size, then
// again with an array of that size.
int radial_shim_radial_schedule(int64_t frames, int64_t tokens_per_frame, int64_t text_tokens, double decay,
                                int sink, int64_t near_frames, int64_t group_frames, int32_t* plan, int64_t* size) {
  return two_pass_plan(radial::build_forward_schedule, frames, tokens_per_frame, text_tokens, decay, sink, near_frames,
                       group_frames, plan, size);
}

// The backward's plan of the same mask (build_backward_schedule), called the same way.
int radial_shim_radial_backward_schedule(int64_t frames, int64_t tokens_per_frame, int64_t text_tokens, double decay,
                                         int sink, int64_t near_frames, int64_t group_frames, int32_t* plan,
                                         int64_t* size) {
  return two_pass_plan(radial::build_backward_schedule, frames, tokens_per_frame, text_tokens, decay, sink,
                       near_frames, group_frames, plan, size);
}

// dtype: 0 bf16, 1 f16. shape (4) and the three (4)-strides of q/k/v/out (rows: q, k, v, out) and
// the (3) strides of lse, all in elements. Layout arrays, kv_valid_len and the forward schedule (or
// null) live on the GPU.
int radial_shim_forward(void* q, void* k, void* v, void* out, float* lse, int dtype, int device,
                        const int64_t* shape, const int64_t* strides4x4, const int64_t* lse_strides,
                        const int32_t* row_offsets, const int32_t* col_indices, int32_t num_blocks,
                        const int32_t* kv_valid_len, float scale, const int32_t* forward_schedule,
                        void* stream) {
  try {
    const radial::DType dt = dtype == 0 ? radial::DType::bf16 : radial::DType::f16;
    radial::AttentionForwardArgs a;
    a.q = view(q, dt, device, shape, strides4x4 + 0, 4);
    a.k = view(k, dt, device, shape, strides4x4 + 4, 4);
    a.v = view(v, dt, device, shape, strides4x4 + 8, 4);
    a.out = view(out, dt, device, shape, strides4x4 + 12, 4);
    const int64_t lse_shape[3] = {shape[0], shape[2], shape[1]};
    a.lse = view(lse, radial::DType::f32, device, lse_shape, lse_strides, 3);
    a.layout.seq_len = shape[1];
    a.layout.num_blocks = num_blocks;
    a.layout.block_size = 128;
    a.layout.row_offsets = row_offsets;
    a.layout.col_indices = col_indices;
    a.kv_valid_len = kv_valid_len;
    a.scale = scale;
    a.forward_schedule = forward_schedule;
    radial::cuda::attention_forward(a, stream);
    return 0;
  } catch (const std::exception& e) {
    return fail(e);
  }
}

}  // extern "C"
