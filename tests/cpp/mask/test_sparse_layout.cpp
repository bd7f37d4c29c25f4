// CSR and CSC lists must describe exactly the bit matrix; counts and FLOPs follow from them.
#include <gtest/gtest.h>

#include "radial/error.hpp"
#include "radial/radial_mask.hpp"
#include "radial/sparse_layout.hpp"
#include "test_support.hpp"

namespace radial {
namespace {

BlockMask random_mask(std::mt19937_64& rng, int64_t blocks, double keep) {
  std::bernoulli_distribution kept(keep);
  BlockMask mask(blocks);
  for (int64_t r = 0; r < blocks; ++r)
    for (int64_t c = 0; c < blocks; ++c)
      if (kept(rng)) mask.set(r, c);
  return mask;
}

void expect_layout_matches(const BlockMask& mask, const BlockSparseLayout& layout) {
  const int32_t n = layout.num_blocks();
  ASSERT_EQ(n, mask.num_blocks());
  ASSERT_EQ(layout.nnz(), mask.count());
  ASSERT_EQ(layout.row_offsets().front(), 0);
  ASSERT_EQ(layout.col_offsets().front(), 0);
  for (int32_t r = 0; r < n; ++r) {
    std::vector<int32_t> expected;
    for (int32_t c = 0; c < n; ++c)
      if (mask.test(r, c)) expected.push_back(c);
    const std::vector<int32_t> actual(layout.col_indices().begin() + layout.row_offsets()[r],
                                      layout.col_indices().begin() + layout.row_offsets()[r + 1]);
    ASSERT_EQ(actual, expected) << "row " << r;
    ASSERT_EQ(layout.row_count(r), mask.row_count(r));
  }
  for (int32_t c = 0; c < n; ++c) {
    std::vector<int32_t> expected;
    for (int32_t r = 0; r < n; ++r)
      if (mask.test(r, c)) expected.push_back(r);
    const std::vector<int32_t> actual(layout.row_indices().begin() + layout.col_offsets()[c],
                                      layout.row_indices().begin() + layout.col_offsets()[c + 1]);
    ASSERT_EQ(actual, expected) << "column " << c;
  }
}

TEST(SparseLayout, CsrAndCscAgreeWithRandomMasks) {
  auto rng = testing::seeded_rng();
  std::uniform_int_distribution<int64_t> seq(1, 3000);
  std::uniform_real_distribution<double> keep(0.0, 1.0);
  for (int n = 0; n < 50; ++n) {
    const int64_t seq_len = seq(rng);
    const int64_t blocks = (seq_len + 127) / 128;
    const BlockMask mask = random_mask(rng, blocks, keep(rng));
    expect_layout_matches(mask, BlockSparseLayout(mask, seq_len, 128));
  }
}

TEST(SparseLayout, CsrAndCscAgreeWithRadialMask) {
  const SequenceLayout layout{21, 1560, 77, 128};
  const BlockMask mask = build_radial_mask(layout, {0.2, true});
  expect_layout_matches(mask, BlockSparseLayout(mask, layout.seq_len(), 128));
}

TEST(SparseLayout, EmptyRowsAndColumnsHaveEmptyLists) {
  BlockMask mask(5);
  mask.set(1, 3);
  mask.set(4, 0);
  const BlockSparseLayout layout(mask, 5 * 128 - 7, 128);
  EXPECT_EQ(layout.row_count(0), 0);
  EXPECT_EQ(layout.row_count(1), 1);
  EXPECT_EQ(layout.col_offsets()[2] - layout.col_offsets()[1], 0);
  expect_layout_matches(mask, layout);
}

TEST(SparseLayout, KeptPairsCountPartialTailBlocks) {
  const int64_t seq_len = 3 * 128 + 5;  // 4 blocks, the last holds 5 tokens
  BlockMask mask(4);
  mask.set(0, 0);  // 128 x 128
  mask.set(0, 3);  // 128 x 5
  mask.set(3, 3);  // 5 x 5
  const BlockSparseLayout layout(mask, seq_len, 128);
  EXPECT_EQ(layout.kept_token_pairs(), 128 * 128 + 128 * 5 + 5 * 5);
  EXPECT_DOUBLE_EQ(layout.kept_forward_flops(64, 3, 2), 4.0 * (128 * 128 + 128 * 5 + 5 * 5) * 64 * 3 * 2);
  const BlockSparseLayout dense(BlockMask(4, true), seq_len, 128);
  EXPECT_EQ(dense.kept_token_pairs(), seq_len * seq_len);
  EXPECT_DOUBLE_EQ(dense.density(), 1.0);
}

TEST(SparseLayout, MaskOfTheWrongSizeIsRejected) {
  try {
    BlockSparseLayout layout(BlockMask(3), 1000, 128);
    FAIL() << "no error";
  } catch (const ArgumentError& e) {
    EXPECT_EQ(e.argument(), "mask");
    EXPECT_NE(std::string(e.what()).find("8 x 8"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace radial
