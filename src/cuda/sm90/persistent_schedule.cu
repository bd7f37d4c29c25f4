// The persistent forward's schedule: one single-CTA kernel per call sorts the query blocks by row
// length (a counting sort over a few length classes) and zeroes the item counter; the host picks how
// many slices form the longest-first tail.
//
// Where the buffer lives: the forward's contract has no workspace argument (the backward's has).
// Adding one would touch the public API, the Python operator, its fake and every caller for 64 KB,
// so instead each (device, stream) gets its own buffer on first use and keeps it for the life of the
// process. Calls on one stream run in order and may share it; calls on two streams may overlap and
// must not. Two CUDA graphs replayed at once on different streams would still share the buffer of the
// stream they were captured on. The order belongs with the layout (built once per mask, design.md):
// once BlockSparseView carries it, only the counter is left here.
#include "sm90/persistent_schedule.hpp"

#include <algorithm>
#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <utility>

#include "common/check.hpp"
#include "sm90/forward_launch.hpp"

namespace radial::cuda::sm90 {

namespace {

// Rows whose lengths fall in the same sixteenth of the longest row keep their natural order:
// neighbouring query blocks share most key blocks, and so do the CTAs that run the tail at once.
// Ending on short rows needs no finer order.
constexpr int kLengthClasses = 16;
constexpr int kOrderThreads = 1024;
// The tail that goes longest rows first (forward_persistent_kernel.cuh: locate_item) spans at least
// this many waves of items, so that a row a few times the mean (3.8x at Wan2.1 720p), started first,
// ends with the rest; a longer tail would give up more of the per-item order's L2 reuse.
constexpr int kTailWaves = 4;

// One CTA. order: (rows) query blocks, class 0 (the longest rows) first, row order within a class.
__global__ void __launch_bounds__(kOrderThreads)
    longest_first_kernel(const int32_t* row_offsets, int rows, int32_t* order, unsigned int* next_item) {
  __shared__ uint8_t row_class[kMaxScheduledRows];
  __shared__ int class_start[kLengthClasses];  // counts, then each class's next free slot in order
  __shared__ int longest;
  const int lane = threadIdx.x % 32;
  if (threadIdx.x < kLengthClasses) class_start[threadIdx.x] = 0;
  if (threadIdx.x == 0) {
    longest = 0;
    *next_item = 0;  // the persistent kernel runs after this one on the stream
  }
  __syncthreads();
  int my_longest = 0;
  for (int r = threadIdx.x; r < rows; r += kOrderThreads)
    my_longest = max(my_longest, row_offsets[r + 1] - row_offsets[r]);
  my_longest = __reduce_max_sync(0xffffffffu, my_longest);
  if (lane == 0) atomicMax(&longest, my_longest);
  __syncthreads();
  for (int r = threadIdx.x; r < rows; r += kOrderThreads) {
    const int length = row_offsets[r + 1] - row_offsets[r];
    const int cls = kLengthClasses - 1 - min(kLengthClasses - 1, max(0, length * kLengthClasses / (longest + 1)));
    row_class[r] = static_cast<uint8_t>(cls);
    atomicAdd(&class_start[cls], 1);
  }
  __syncthreads();
  if (threadIdx.x >= 32) return;
  const int count = lane < kLengthClasses ? class_start[lane] : 0;
  int inclusive = count;
#pragma unroll
  for (int offset = 1; offset < 32; offset *= 2) {
    const int below = __shfl_up_sync(0xffffffffu, inclusive, offset);
    if (lane >= offset) inclusive += below;
  }
  if (lane < kLengthClasses) class_start[lane] = inclusive - count;
  __syncwarp();
  // One warp scatters 32 rows at a time in row order, so the sort is stable.
  const unsigned int lanes_below = (1u << lane) - 1;
  for (int base = 0; base < rows; base += 32) {
    const int r = base + lane;
    const int cls = r < rows ? row_class[r] : kLengthClasses;  // past the end: a class of its own
    const unsigned int peers = __match_any_sync(0xffffffffu, cls);
    const int rank = __popc(peers & lanes_below);
    if (r < rows) order[class_start[cls] + rank] = r;
    __syncwarp();
    if (r < rows && rank == 0) class_start[cls] += __popc(peers);
    __syncwarp();
  }
}

struct Workspace {
  int32_t* order;           // (kMaxScheduledRows)
  unsigned int* next_item;  // one counter
  int sm_count;
};

Workspace workspace(cudaStream_t stream) {
  int device = 0;
  RADIAL_CUDA_CHECK(cudaGetDevice(&device));
  static std::mutex mutex;
  static std::map<std::pair<int, cudaStream_t>, Workspace> workspaces;
  const std::lock_guard<std::mutex> lock(mutex);
  const auto found = workspaces.find({device, stream});
  if (found != workspaces.end()) return found->second;
  Workspace w{};
  RADIAL_CUDA_CHECK(cudaDeviceGetAttribute(&w.sm_count, cudaDevAttrMultiProcessorCount, device));
  // A first call inside a CUDA graph capture may allocate: relaxed mode lets cudaMalloc run (it is not
  // a stream operation) instead of invalidating the capture, as PyTorch's allocator does.
  cudaStreamCaptureMode mode = cudaStreamCaptureModeRelaxed;
  RADIAL_CUDA_CHECK(cudaThreadExchangeStreamCaptureMode(&mode));
  void* bytes = nullptr;
  const cudaError_t allocated = cudaMalloc(&bytes, kMaxScheduledRows * sizeof(int32_t) + sizeof(unsigned int));
  RADIAL_CUDA_CHECK(cudaThreadExchangeStreamCaptureMode(&mode));
  RADIAL_CUDA_CHECK(allocated);
  w.order = static_cast<int32_t*>(bytes);
  w.next_item = reinterpret_cast<unsigned int*>(w.order + kMaxScheduledRows);
  workspaces.emplace(std::make_pair(device, stream), w);
  return w;
}

}  // namespace

std::string persistent_cannot_implement(const ForwardParams& p) {
  if (p.num_blocks > kMaxScheduledRows)
    return "at most " + std::to_string(kMaxScheduledRows) + " query blocks, got " + std::to_string(p.num_blocks);
  // Every CTA claims one item past the last before it stops: the counter must not wrap.
  const int64_t items = static_cast<int64_t>(p.num_blocks) * p.heads * p.batch;
  if (items == 0) return "at least one work item";
  if (items + 65536 > INT32_MAX) return "fewer than 2^31 - 65536 work items, got " + std::to_string(items);
  return {};
}

PersistentLaunch prepare_persistent_schedule(const ForwardParams& p, cudaStream_t stream) {
  const Workspace w = workspace(stream);
  longest_first_kernel<<<1, kOrderThreads, 0, stream>>>(p.row_offsets, p.num_blocks, w.order, w.next_item);
  RADIAL_CUDA_CHECK(cudaGetLastError());
  PersistentLaunch launch{};
  launch.schedule.row_order = w.order;
  launch.schedule.next_item = w.next_item;
  const int slices = p.heads * p.batch;
  launch.schedule.num_items = p.num_blocks * slices;
  launch.ctas = std::min(launch.schedule.num_items, w.sm_count);
  const int tail_items = kTailWaves * launch.ctas;
  launch.schedule.tail_slices = std::min(slices, (tail_items + p.num_blocks - 1) / p.num_blocks);
  return launch;
}

}  // namespace radial::cuda::sm90
