#pragma once
// A two-pass plan for the forward over a radial layout, for the GPU's L2. A row's kept key blocks are of
// two kinds with opposite locality: the near ones (key frames within near_frames of the query's frame,
// the sink frame, text) are shared by the rows of neighbouring frames, so row order keeps them in L2; the
// far ones (the narrower bands of the more distant frames) are shared by the rows of one spatial position
// across frames, so rows taken position first keep those in L2. The Hopper forward runs the near blocks
// in row order, then the far blocks in the plan's row order, merging into the first pass's output through
// the log-sum-exp. The result is the one-pass attention (up to the rounding of the first pass's output).
//
// The plan is one int32 array of forward_schedule_size(num_blocks, nnz) entries:
//   near_offsets [num_blocks + 1]  CSR of the near blocks, indices into cols
//   far_offsets  [num_blocks + 1]  far_offsets[i] .. [i + 1]: the far blocks of query block far_rows[i]
//   far_rows     [num_blocks]      every query block once, in the far pass's order
//   cols         [nnz]             key blocks, ascending within each row's near and far runs
#include <cstdint>
#include <vector>

#include "radial/layout.hpp"
#include "radial/sparse_layout.hpp"

namespace radial {

inline int64_t forward_schedule_size(int64_t num_blocks, int64_t nnz) { return 3 * num_blocks + 2 + nnz; }

// near_frames: the largest frame distance of the near pass (bands up to it are wide and shared by the
// rows of nearby frames). group_frames: the far pass takes the rows of group_frames frames position
// first, then the next group. The defaults measured best on an H100 at the 4x anchors
// (bench/results/2026-11-25-gpu-kernels.md, section 9).
inline constexpr int64_t kNearFrames = 7;
inline constexpr int64_t kGroupFrames = 64;
std::vector<int32_t> build_forward_schedule(const BlockSparseLayout& layout, const SequenceLayout& sequence,
                                            const RadialParams& params, int64_t near_frames = kNearFrames,
                                            int64_t group_frames = kGroupFrames);

// The same plan over the layout's columns, for the backward's dK/dV kernel, whose CTAs own key blocks and
// visit query blocks: near_offsets and far_offsets index the query blocks of each key block (CSC),
// far_rows holds the key blocks in the far pass's order, cols the query blocks. The second pass adds its
// dK and dV to the first's.
std::vector<int32_t> build_backward_schedule(const BlockSparseLayout& layout, const SequenceLayout& sequence,
                                             const RadialParams& params, int64_t near_frames = kNearFrames,
                                             int64_t group_frames = kGroupFrames);

}  // namespace radial
