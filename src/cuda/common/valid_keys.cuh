#pragma once
// How many keys of batch element `batch` get weight: the sequence, or its kv_valid_len clamped to it.
// Every CUDA kernel's bound for masking and skipping key blocks.
namespace radial::cuda {

template <typename Params>
__device__ __forceinline__ int valid_keys(const Params& p, int batch) {
  return p.kv_valid_len ? max(0, min(p.seq_len, p.kv_valid_len[batch])) : p.seq_len;
}

}  // namespace radial::cuda
