#pragma once
// A square bit matrix over (query block, key block): bit (r, c) set means query block r attends to
// key block c. Rows are packed 64 blocks to a word so that a 3600 x 3600 mask takes 1.6 MB.
#include <cstdint>
#include <iosfwd>
#include <string>
#include <vector>

namespace radial {

class BlockMask {
 public:
  BlockMask() = default;
  explicit BlockMask(int64_t num_blocks, bool value = false);

  int64_t num_blocks() const { return num_blocks_; }
  int64_t words_per_row() const { return words_per_row_; }

  bool test(int64_t row, int64_t col) const {
    return (row_words(row)[col >> 6] >> (col & 63)) & 1u;
  }
  void set(int64_t row, int64_t col) { row_words(row)[col >> 6] |= uint64_t{1} << (col & 63); }
  void set_row(int64_t row);
  void set_col(int64_t col);

  const uint64_t* row_words(int64_t row) const { return bits_.data() + row * words_per_row_; }
  uint64_t* row_words(int64_t row) { return bits_.data() + row * words_per_row_; }

  int64_t count() const;          // kept blocks
  int64_t row_count(int64_t row) const;
  double density() const;         // kept blocks / num_blocks^2

  bool operator==(const BlockMask& other) const = default;

 private:
  int64_t num_blocks_ = 0;
  int64_t words_per_row_ = 0;
  std::vector<uint64_t> bits_;  // (num_blocks, words_per_row)
};

}  // namespace radial
