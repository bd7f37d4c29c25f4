#pragma once
// What `radial demo` and `radial bench --cpu` share: random (1, S, H, D) attention inputs in f32 or
// bf16, timing of the CPU kernels, and a text progress bar on stderr.
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "radial/attention.hpp"
#include "radial/sparse_layout.hpp"
#include "radial/tensor_view.hpp"

namespace radial::cli {

DType parse_input_dtype(const std::string& name);  // "f32" or "bf16"

class AttentionWorkload {
 public:
  // Uniform inputs in [-2, 2), seeded; out and lse are allocated, softmax scale 1 / sqrt(head_dim).
  AttentionWorkload(int64_t seq_len, int64_t heads, int64_t head_dim, DType dtype, uint64_t seed);

  AttentionForwardArgs forward_args(const BlockSparseLayout& layout);
  AttentionBackwardArgs backward_args(const BlockSparseLayout& layout);  // out and lse from forward_args' run
  TensorView token_view(std::vector<uint32_t>& storage);
  int64_t seq_len() const { return seq_len_; }
  int64_t heads() const { return heads_; }
  int64_t head_dim() const { return head_dim_; }

 private:
  int64_t seq_len_, heads_, head_dim_;
  DType dtype_;
  float scale_;
  std::vector<uint32_t> q_, k_, v_, out_, dout_, dq_, dk_, dv_;  // 32-bit words: room for f32 or bf16
  std::vector<float> lse_;                                       // (1, H, S)
};

// Runs `work` `repeats` times and returns the median wall time in seconds; `after_each` is called
// after each run (for progress).
double median_seconds(int repeats, const std::function<void()>& work, const std::function<void()>& after_each);

class ProgressBar {
 public:
  explicit ProgressBar(int total_steps);
  void start(const std::string& label) const { draw(label); }  // nothing done yet; `label` runs first
  void advance(const std::string& label);  // one step done; `label` says what runs next
  void finish();

 private:
  void draw(const std::string& label) const;
  int total_, done_ = 0;
};

}  // namespace radial::cli
