#pragma once
// Comparing two block masks with a message that points at the first differing block.
#include <gtest/gtest.h>

#include <sstream>
#include <string>

#include "radial/block_mask.hpp"

namespace radial::testing {

inline ::testing::AssertionResult masks_equal(const BlockMask& expected, const BlockMask& actual) {
  if (expected.num_blocks() != actual.num_blocks())
    return ::testing::AssertionFailure() << "num_blocks " << actual.num_blocks() << " != expected "
                                         << expected.num_blocks();
  int64_t differing = 0;
  std::string first;
  for (int64_t r = 0; r < expected.num_blocks(); ++r)
    for (int64_t c = 0; c < expected.num_blocks(); ++c)
      if (expected.test(r, c) != actual.test(r, c) && differing++ == 0) {
        // A stream, not operator+ on literals: GCC 12 warns falsely (-Wrestrict) on the latter.
        std::ostringstream where;
        where << "(" << r << ", " << c << ") expected " << expected.test(r, c);
        first = where.str();
      }
  if (differing == 0 && !(expected == actual))
    return ::testing::AssertionFailure() << "bits past the last column differ";
  if (differing == 0) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure() << differing << " blocks differ, first at " << first;
}

}  // namespace radial::testing
