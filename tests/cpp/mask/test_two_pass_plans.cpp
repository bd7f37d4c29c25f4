// The two-pass plans must split every row's (forward) or column's (backward) kept blocks exactly into its
// near and far parts, by the frame rule at the given near_frames, with every line in the far pass once.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdlib>
#include <string>
#include <vector>

#include "radial/error.hpp"
#include "radial/two_pass_plans.hpp"
#include "radial/radial_mask.hpp"
#include "radial/sparse_layout.hpp"

namespace radial {
namespace {

struct Case {
  SequenceLayout sequence;
  RadialParams params;
};

int64_t frame_of(int64_t block, const SequenceLayout& s) {
  const int64_t first = block * s.block_size;
  const int64_t last = std::min(first + s.block_size, s.seq_len()) - 1;
  return last >= s.video_tokens() ? -1 : first / s.tokens_per_frame;
}

void expect_plan_splits_layout(const Case& c, int64_t near_frames, bool backward) {
  SCOPED_TRACE("near_frames " + std::to_string(near_frames) + (backward ? ", backward" : ", forward"));
  const BlockMask mask = build_radial_mask(c.sequence, c.params);
  const BlockSparseLayout layout(mask, c.sequence.seq_len(), c.sequence.block_size);
  const std::vector<int32_t> plan = backward ? build_backward_schedule(layout, c.sequence, c.params, near_frames)
                                             : build_forward_schedule(layout, c.sequence, c.params, near_frames);
  const auto& offsets = backward ? layout.col_offsets() : layout.row_offsets();
  const auto& indices = backward ? layout.row_indices() : layout.col_indices();
  const int32_t n = layout.num_blocks();
  ASSERT_EQ(static_cast<int64_t>(plan.size()), two_pass_plan_size(n, layout.nnz()));
  const int32_t* near_offsets = plan.data();
  const int32_t* far_offsets = near_offsets + n + 1;
  const int32_t* far_rows = far_offsets + n + 1;
  const int32_t* cols = far_rows + n;
  EXPECT_EQ(near_offsets[0], 0);
  EXPECT_EQ(far_offsets[0], near_offsets[n]);
  EXPECT_EQ(far_offsets[n], layout.nnz());

  std::vector<int32_t> seen(n, 0);
  std::vector<std::vector<int32_t>> far_of(n);
  for (int32_t i = 0; i < n; ++i) {
    ASSERT_GE(far_rows[i], 0);
    ASSERT_LT(far_rows[i], n);
    ++seen[far_rows[i]];
    far_of[far_rows[i]].assign(cols + far_offsets[i], cols + far_offsets[i + 1]);
  }
  EXPECT_TRUE(std::all_of(seen.begin(), seen.end(), [](int32_t k) { return k == 1; }));
  int64_t far_blocks = 0;
  for (int32_t r = 0; r < n; ++r) {
    const std::vector<int32_t> near(cols + near_offsets[r], cols + near_offsets[r + 1]);
    const std::vector<int32_t>& far = far_of[r];
    far_blocks += static_cast<int64_t>(far.size());
    EXPECT_TRUE(std::is_sorted(near.begin(), near.end())) << "row " << r;
    EXPECT_TRUE(std::is_sorted(far.begin(), far.end())) << "row " << r;
    std::vector<int32_t> both = near;
    both.insert(both.end(), far.begin(), far.end());
    std::sort(both.begin(), both.end());
    const std::vector<int32_t> kept(indices.begin() + offsets[r], indices.begin() + offsets[r + 1]);
    ASSERT_EQ(both, kept) << "line " << r;
    // A line is a query block (forward) or a key block (backward); the rule is on (query, key) frames.
    const int64_t fr = frame_of(r, c.sequence);
    for (int32_t other : near) {
      const int64_t fc = frame_of(other, c.sequence);
      const int64_t key_frame = backward ? fr : fc;
      EXPECT_TRUE(fr < 0 || fc < 0 || std::abs(fr - fc) <= near_frames || (c.params.sink && key_frame == 0))
          << "line " << r << " near " << other;
    }
    for (int32_t other : far) {
      const int64_t fc = frame_of(other, c.sequence);
      const int64_t key_frame = backward ? fr : fc;
      EXPECT_TRUE(fr >= 0 && fc >= 0 && std::abs(fr - fc) > near_frames && !(c.params.sink && key_frame == 0))
          << "line " << r << " far " << other;
    }
  }
  EXPECT_GT(far_blocks, 0) << "the case should have far blocks";
}

TEST(TwoPassPlans, SplitsRadialLayoutsExactly) {
  // Frames that do not fill whole blocks, a partial last block, text after the video, with and without
  // the sink.
  for (const bool backward : {false, true}) {
    for (const int64_t near_frames : {int64_t{0}, int64_t{1}, kNearFrames}) {
      expect_plan_splits_layout({{12, 300, 0, 128}, {1.0, true}}, near_frames, backward);
      expect_plan_splits_layout({{12, 300, 77, 128}, {0.5, false}}, near_frames, backward);
      expect_plan_splits_layout({{20, 1024, 0, 128}, {1.0, false}}, near_frames, backward);
      expect_plan_splits_layout({{9, 3600, 226, 128}, {0.95, true}}, near_frames, backward);
    }
  }
}

TEST(TwoPassPlans, TakesTheFarRowsPositionFirstWithinFrameGroups) {
  const SequenceLayout sequence{40, 1024, 0, 128};  // 8 blocks per frame
  const RadialParams params{1.0, false};
  const BlockSparseLayout layout(build_radial_mask(sequence, params), sequence.seq_len(), 128);
  const std::vector<int32_t> plan = build_forward_schedule(layout, sequence, params, 1, 16);
  const int32_t n = layout.num_blocks();
  const int32_t* far_rows = plan.data() + 2 * (n + 1);
  // The first group (frames 0 - 15) opens with position 0 of frames 0, 1, 2, ...
  EXPECT_EQ(far_rows[0], 0);
  EXPECT_EQ(far_rows[1], 8);
  EXPECT_EQ(far_rows[2], 16);
  EXPECT_EQ(far_rows[16], 1);  // then position 1
}

TEST(TwoPassPlans, RejectsMismatchedArguments) {
  const SequenceLayout sequence{4, 512, 0, 128};
  const RadialParams params{1.0, false};
  const BlockSparseLayout layout(build_radial_mask(sequence, params), sequence.seq_len(), 128);
  EXPECT_THROW(build_forward_schedule(layout, sequence, params, -1), ArgumentError);
  EXPECT_THROW(build_forward_schedule(layout, sequence, params, kNearFrames, 0), ArgumentError);
  const SequenceLayout other{5, 512, 0, 128};
  EXPECT_THROW(build_forward_schedule(layout, other, params), ArgumentError);
}

}  // namespace
}  // namespace radial
