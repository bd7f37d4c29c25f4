#pragma once
// Two-pass plans over a radial layout, for the GPU's L2: the forward's (over the rows: each query block's
// key blocks) and the backward's dK/dV (over the columns: each key block's query blocks). A line's kept
// blocks are of two kinds with opposite locality: the near ones (frame distance up to near_frames, the
// sink frame, text) are shared by the lines of neighbouring frames, so line order keeps them in L2; the
// far ones (the narrower bands of the more distant frames) are shared by the lines of one spatial
// position across frames, so lines taken position first keep those in L2. The Hopper kernels run the near
// blocks in line order, then the far blocks in the plan's line order, the second pass merging into the
// first's results (the forward through the log-sum-exp, the backward by adding dK and dV). The result is
// the one-pass attention or gradients, up to one more rounding of the first pass's output.
//
// A plan is one int32 array of two_pass_plan_size(num_blocks, nnz) entries:
//   near_offsets [num_blocks + 1]  near_offsets[line] .. [line + 1]: the near blocks of a line, in entries
//   far_offsets  [num_blocks + 1]  far_offsets[i] .. [i + 1]: the far blocks of line far_lines[i]
//   far_lines    [num_blocks]      every line once, in the far pass's order
//   entries      [nnz]             the visited blocks, ascending within each line's near and far runs
#include <cstdint>
#include <vector>

#include "radial/layout.hpp"
#include "radial/sparse_layout.hpp"

namespace radial {

inline int64_t two_pass_plan_size(int64_t num_blocks, int64_t nnz) { return 3 * num_blocks + 2 + nnz; }

// The plan over the rows, for the forward, whose CTAs own query blocks and visit their key blocks (CSR).
// near_frames: the largest frame distance of the near pass (bands up to it are wide and shared by the
// lines of nearby frames). group_frames: the far pass takes the lines of group_frames frames position
// first, then the next group. The defaults measured best on an H100 at the 4x anchors
// (bench/results/2026-11-25-gpu-kernels.md, section 9).
inline constexpr int64_t kNearFrames = 7;
inline constexpr int64_t kGroupFrames = 64;
std::vector<int32_t> build_forward_schedule(const BlockSparseLayout& layout, const SequenceLayout& sequence,
                                            const RadialParams& params, int64_t near_frames = kNearFrames,
                                            int64_t group_frames = kGroupFrames);

// The plan over the columns, for the backward's dK/dV kernel, whose CTAs own key blocks and visit the
// query blocks of their column (CSC).
std::vector<int32_t> build_backward_schedule(const BlockSparseLayout& layout, const SequenceLayout& sequence,
                                             const RadialParams& params, int64_t near_frames = kNearFrames,
                                             int64_t group_frames = kGroupFrames);

}  // namespace radial
