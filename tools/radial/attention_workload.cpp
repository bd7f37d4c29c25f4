#include "attention_workload.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <iostream>
#include <random>

#include "radial/error.hpp"
#include "radial/half_precision.hpp"

namespace radial::cli {

DType parse_input_dtype(const std::string& name) {
  if (name == "f32") return DType::f32;
  if (name == "bf16") return DType::bf16;
  throw ArgumentError("--dtype", "f32 or bf16", name);
}

namespace {

std::vector<uint32_t> random_words(int64_t count, DType dtype, std::mt19937_64& rng) {
  std::uniform_real_distribution<float> uniform(-2.0f, 2.0f);
  std::vector<uint32_t> words(count);
  auto* halves = reinterpret_cast<uint16_t*>(words.data());
  for (int64_t i = 0; i < count; ++i) {
    const float x = uniform(rng);
    if (dtype == DType::f32)
      words[i] = std::bit_cast<uint32_t>(x);
    else
      halves[i] = float_to_bf16(x);
  }
  return words;
}

}  // namespace

AttentionWorkload::AttentionWorkload(int64_t seq_len, int64_t heads, int64_t head_dim, DType dtype, uint64_t seed)
    : seq_len_(seq_len),
      heads_(heads),
      head_dim_(head_dim),
      dtype_(dtype),
      scale_(static_cast<float>(1.0 / std::sqrt(static_cast<double>(head_dim)))) {
  std::mt19937_64 rng(seed);
  const int64_t n = seq_len * heads * head_dim;
  q_ = random_words(n, dtype, rng);
  k_ = random_words(n, dtype, rng);
  v_ = random_words(n, dtype, rng);
  dout_ = random_words(n, dtype, rng);
  out_.assign(n, 0);
  dq_.assign(n, 0);
  dk_.assign(n, 0);
  dv_.assign(n, 0);
  lse_.assign(heads * seq_len, 0.0f);
}

TensorView AttentionWorkload::token_view(std::vector<uint32_t>& storage) {
  return contiguous_view(storage.data(), dtype_, {1, seq_len_, heads_, head_dim_});
}

AttentionForwardArgs AttentionWorkload::forward_args(const BlockSparseLayout& layout) {
  return AttentionForwardArgs{.q = token_view(q_), .k = token_view(k_), .v = token_view(v_), .out = token_view(out_),
                              .lse = contiguous_view(lse_.data(), DType::f32, {1, heads_, seq_len_}),
                              .layout = layout.view(), .scale = scale_};
}

AttentionBackwardArgs AttentionWorkload::backward_args(const BlockSparseLayout& layout) {
  const AttentionForwardArgs f = forward_args(layout);
  return AttentionBackwardArgs{.q = f.q, .k = f.k, .v = f.v, .out = f.out, .dout = token_view(dout_), .lse = f.lse,
                               .dq = token_view(dq_), .dk = token_view(dk_), .dv = token_view(dv_),
                               .layout = f.layout, .scale = scale_};
}

double median_seconds(int repeats, const std::function<void()>& work, const std::function<void()>& after_each) {
  std::vector<double> seconds;
  for (int r = 0; r < repeats; ++r) {
    const auto start = std::chrono::steady_clock::now();
    work();
    seconds.push_back(std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
    after_each();
  }
  std::sort(seconds.begin(), seconds.end());
  return seconds[seconds.size() / 2];
}

ProgressBar::ProgressBar(int total_steps) : total_(std::max(total_steps, 1)) {}

void ProgressBar::advance(const std::string& label) {
  ++done_;
  draw(label);
}

void ProgressBar::draw(const std::string& label) const {
  constexpr int kWidth = 30;
  const int filled = kWidth * std::min(done_, total_) / total_;
  std::cerr << "\r[" << std::string(filled, '#') << std::string(kWidth - filled, '.') << "] " << 100 * done_ / total_
            << "% " << label << "\033[K" << std::flush;
}

void ProgressBar::finish() { std::cerr << "\r\033[K" << std::flush; }

}  // namespace radial::cli
