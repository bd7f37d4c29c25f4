#include "radial/forward_schedule.hpp"

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

}  // namespace

std::vector<int32_t> build_forward_schedule(const BlockSparseLayout& layout, const SequenceLayout& sequence,
                                            const RadialParams& params, int64_t near_frames, int64_t group_frames) {
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
    if (frame[row] < 0 || frame[col] < 0) return true;  // text rows and columns stay in row order
    if (params.sink && frame[col] == 0) return true;
    return std::abs(frame[row] - frame[col]) <= near_frames;
  };

  std::vector<int32_t> plan(forward_schedule_size(n, layout.nnz()));
  int32_t* near_offsets = plan.data();
  int32_t* far_offsets = near_offsets + n + 1;
  int32_t* far_rows = far_offsets + n + 1;
  int32_t* cols = far_rows + n;
  const auto& offsets = layout.row_offsets();
  const auto& indices = layout.col_indices();
  int32_t written = 0;
  for (int32_t r = 0; r < n; ++r) {
    near_offsets[r] = written;
    for (int32_t i = offsets[r]; i < offsets[r + 1]; ++i)
      if (is_near(r, indices[i])) cols[written++] = indices[i];
  }
  near_offsets[n] = written;

  // Far pass order: groups of group_frames frames; inside a group, by position within the frame, then
  // frame. Rows without far blocks (text, short sequences) go last.
  std::iota(far_rows, far_rows + n, 0);
  auto far_count = [&](int32_t r) {
    int32_t count = 0;
    for (int32_t i = offsets[r]; i < offsets[r + 1]; ++i) count += !is_near(r, indices[i]);
    return count;
  };
  std::vector<int32_t> counts(n);
  for (int32_t r = 0; r < n; ++r) counts[r] = far_count(r);
  auto key = [&](int32_t r) {
    const int64_t position = r * sequence.block_size % sequence.tokens_per_frame / sequence.block_size;
    return std::make_tuple(counts[r] == 0, frame[r] / group_frames, position, frame[r]);
  };
  std::stable_sort(far_rows, far_rows + n, [&](int32_t a, int32_t b) { return key(a) < key(b); });
  for (int32_t i = 0; i < n; ++i) {
    far_offsets[i] = written;
    const int32_t r = far_rows[i];
    for (int32_t j = offsets[r]; j < offsets[r + 1]; ++j)
      if (!is_near(r, indices[j])) cols[written++] = indices[j];
  }
  far_offsets[n] = written;
  return plan;
}

}  // namespace radial
