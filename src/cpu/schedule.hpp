#pragma once
// Block rows (or columns) differ in length; handing them to threads longest first, one at a time,
// keeps the threads finishing together (longest-processing-time-first scheduling).
#include <algorithm>
#include <cstdint>
#include <numeric>
#include <vector>

namespace radial::cpu {

// Block indices ordered by descending offsets[i + 1] - offsets[i], ties by index.
inline std::vector<int32_t> longest_first(const int32_t* offsets, int32_t count) {
  std::vector<int32_t> order(count);
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(), [offsets](int32_t a, int32_t b) {
    return offsets[a + 1] - offsets[a] > offsets[b + 1] - offsets[b];
  });
  return order;
}

// How many (batch, head) pairs to pack and compute together: enough blocks that every thread has
// several to take (short sequences, many heads), but no more packed memory than a long sequence's
// single head needs anyway.
inline int64_t heads_per_group(int64_t num_blocks, int64_t total_heads, int64_t threads, int64_t bytes_per_head) {
  constexpr int64_t kBlocksPerThread = 4;
  constexpr int64_t kGroupBytes = int64_t{256} << 20;
  const int64_t wanted = (kBlocksPerThread * threads + num_blocks - 1) / num_blocks;
  const int64_t affordable = std::max<int64_t>(1, kGroupBytes / std::max<int64_t>(bytes_per_head, 1));
  return std::clamp<int64_t>(std::min(wanted, affordable), 1, total_heads);
}

// One work item of a driver's group loop: g indexes the group's packed heads (the group starts at
// the flat head index first_head = batch * heads + head), b and h are the caller's batch and head,
// and block is one block row or column of that head.
struct GroupItem {
  int64_t g, b, h, block;
};

// Packing items [0, count * num_blocks): every block of the group's head 0, then of head 1, ...
inline GroupItem packing_item(int64_t item, int64_t num_blocks, int64_t first_head, int64_t heads) {
  const int64_t g = item / num_blocks;
  return {g, (first_head + g) / heads, (first_head + g) % heads, item % num_blocks};
}

// Compute items [0, count * order.size()): the group's count heads of block order[0], then of
// order[1], ..., so that with order = longest_first(...) the longest blocks are taken first.
inline GroupItem longest_first_item(int64_t item, const std::vector<int32_t>& order, int64_t count,
                                    int64_t first_head, int64_t heads) {
  const int64_t g = item % count;
  return {g, (first_head + g) / heads, (first_head + g) % heads, order[item / count]};
}

}  // namespace radial::cpu
