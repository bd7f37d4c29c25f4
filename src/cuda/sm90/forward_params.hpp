#pragma once
// Arguments of the sm_90a forward: the common parameters plus one TMA descriptor per input, each a
// 4-D view (head dim, sequence, heads, batch) of its (B, S, H, D) tensor.
#include <cuda.h>

#include <cstdint>

#include "common/forward_params.hpp"

namespace radial::cuda::sm90 {

struct ForwardTmaParams {
  CUtensorMap q, k, v;
  ForwardParams p;
};

// Where the persistent kernel takes its items from; rebuilt on the stream before every launch
// (persistent_schedule.hpp). Items are (query block, slice) pairs, slice = batch * heads + head, and
// go out in two parts: first the slices before the last tail_slices, slice by slice in row order
// (the per-item grid's order); then the last tail_slices slices, rank by rank of row_order, every
// tail slice's row of one rank before the next rank (forward_persistent_kernel.cuh: locate_item).
struct PersistentSchedule {
  const int32_t* row_order;  // (num_blocks) query blocks, longer rows first
  unsigned int* next_item;   // the first item no CTA has claimed; zero at launch
  int32_t num_items;         // num_blocks * heads * batch
  int32_t tail_slices;       // 1 .. heads * batch
};

}  // namespace radial::cuda::sm90
