#pragma once
// The persistent forward's schedule, built on the caller's stream before each launch without a host
// synchronisation: the query blocks longer rows first, and a zeroed item counter.
#include <cuda_runtime.h>

#include <string>

#include "common/forward_params.hpp"
#include "sm90/forward_params.hpp"

namespace radial::cuda::sm90 {

// Layouts with more query blocks than this (2^21 tokens) run on the one-CTA-per-item grid instead:
// the ordering kernel keeps one byte per row in shared memory.
inline constexpr int kMaxScheduledRows = 16384;

struct PersistentLaunch {
  PersistentSchedule schedule;
  int ctas;  // one per SM, at most one per item
};

// Enqueues the ordering kernel for p's layout on `stream` and returns what the persistent kernel
// needs. The order and the counter live in a buffer of this (device, stream): see the .cu file.
PersistentLaunch prepare_persistent_schedule(const ForwardParams& p, cudaStream_t stream);

}  // namespace radial::cuda::sm90
