#include "radial/two_pass_plans.hpp"

#include <algorithm>
#include <cstdlib>
#include <numeric>
#include <string>
#include <tuple>

#include "radial/error.hpp"

namespace radial {

namespace {

// Frame of a block's first token; text (and blocks reaching into it) report -1.
int64_t block_frame(int64_t block, const SequenceLayout& sequence) {
  const int64_t first = block * sequence.block_size;
  const int64_t last = std::min(first + sequence.block_size, sequence.seq_len()) - 1;
  if (last >= sequence.video_tokens()) return -1;
  return first / sequence.tokens_per_frame;
}

enum class Walk { rows, columns };

// The plan over the CSR (Walk::rows: each query block's key blocks, the forward) or the CSC
// (Walk::columns: each key block's query blocks, the backward's dK/dV). A "line" is the block a
// CTA owns, an "entry" one block it visits.
std::vector<int32_t> build_two_pass_plan(const BlockSparseLayout& layout, const SequenceLayout& sequence,
                                         const RadialParams& params, int64_t near_frames, int64_t group_frames,
                                         Walk walk) {
  sequence.validate();
  if (near_frames < 0) throw ArgumentError("near_frames", ">= 0", std::to_string(near_frames));
  if (group_frames < 1) throw ArgumentError("group_frames", ">= 1", std::to_string(group_frames));
  if (layout.num_blocks() != sequence.num_blocks() || layout.block_size() != sequence.block_size)
    throw ArgumentError("layout", std::to_string(sequence.num_blocks()) + " blocks of " +
                                      std::to_string(sequence.block_size) + " tokens (the sequence's)",
                        std::to_string(layout.num_blocks()) + " blocks of " + std::to_string(layout.block_size()));
  const int32_t n = layout.num_blocks();
  std::vector<int64_t> frame(n);
  for (int32_t b = 0; b < n; ++b) frame[b] = block_frame(b, sequence);
  auto is_near = [&](int32_t row, int32_t col) {
    if (frame[row] < 0 || frame[col] < 0) return true;  // text rows and columns stay in the first pass
    if (params.sink && frame[col] == 0) return true;
    return std::abs(frame[row] - frame[col]) <= near_frames;
  };
  const bool rows = walk == Walk::rows;
  const auto& offsets = rows ? layout.row_offsets() : layout.col_offsets();
  const auto& indices = rows ? layout.col_indices() : layout.row_indices();
  auto entry_is_near = [&](int32_t line, int32_t entry) { return rows ? is_near(line, entry) : is_near(entry, line); };

  std::vector<int32_t> plan(two_pass_plan_size(n, layout.nnz()));
  int32_t* near_offsets = plan.data();
  int32_t* far_offsets = near_offsets + n + 1;
  int32_t* far_lines = far_offsets + n + 1;
  int32_t* entries = far_lines + n;
  int32_t written = 0;
  std::vector<int32_t> far_counts(n, 0);
  for (int32_t line = 0; line < n; ++line) {
    near_offsets[line] = written;
    for (int32_t i = offsets[line]; i < offsets[line + 1]; ++i) {
      if (entry_is_near(line, indices[i]))
        entries[written++] = indices[i];
      else
        ++far_counts[line];
    }
  }
  near_offsets[n] = written;

  // Far pass order: groups of group_frames frames; inside a group, by position within the frame, then
  // frame. Lines without far blocks (text, short sequences) go last.
  std::iota(far_lines, far_lines + n, 0);
  auto key = [&](int32_t line) {
    const int64_t position = line * sequence.block_size % sequence.tokens_per_frame / sequence.block_size;
    return std::make_tuple(far_counts[line] == 0, frame[line] / group_frames, position, frame[line]);
  };
  std::stable_sort(far_lines, far_lines + n, [&](int32_t a, int32_t b) { return key(a) < key(b); });
  for (int32_t i = 0; i < n; ++i) {
    far_offsets[i] = written;
    const int32_t line = far_lines[i];
    for (int32_t j = offsets[line]; j < offsets[line + 1]; ++j)
      if (!entry_is_near(line, indices[j])) entries[written++] = indices[j];
  }
  far_offsets[n] = written;
  return plan;
}

}  // namespace

std::vector<int32_t> build_forward_schedule(const BlockSparseLayout& layout, const SequenceLayout& sequence,
                                            const RadialParams& params, int64_t near_frames, int64_t group_frames) {
  return build_two_pass_plan(layout, sequence, params, near_frames, group_frames, Walk::rows);
}

std::vector<int32_t> build_backward_schedule(const BlockSparseLayout& layout, const SequenceLayout& sequence,
                                             const RadialParams& params, int64_t near_frames, int64_t group_frames) {
  return build_two_pass_plan(layout, sequence, params, near_frames, group_frames, Walk::columns);
}

}  // namespace radial
