// CPU block-sparse attention, dense (all-ones mask) beside radial, at Wan2.1-1.3B 480p 81 frames
// (F = 21, T = 1560, S = 32,760), one head, D = 128, decay 1. GFLOP/s counts the kept blocks only
// (BlockSparseLayout::kept_forward_flops, x2.5 for the backward), so dense and radial compare
// directly; the speedup over dense should approach 1 / density.
#include <benchmark/benchmark.h>

#include <algorithm>
#include <bit>
#include <cstdint>
#include <random>
#include <vector>

#include "radial/attention.hpp"
#include "radial/half_precision.hpp"
#include "radial/presets.hpp"
#include "radial/radial_mask.hpp"
#include "radial/sparse_layout.hpp"

namespace {

struct Workload {
  radial::SequenceLayout sequence;
  radial::BlockSparseLayout dense, radial;
  int64_t head_dim;
};

const Workload& wan_1_3b_480p() {
  static const Workload workload = [] {
    const radial::PresetConfig c = radial::configure_preset("wan2.1-t2v-1.3b", 480, 832, 81);
    radial::RadialParams params = c.params;
    params.decay = 1.0;
    const int64_t seq = c.layout.seq_len();
    return Workload{c.layout,
                    radial::BlockSparseLayout(radial::BlockMask(c.layout.num_blocks(), true), seq, c.layout.block_size),
                    radial::BlockSparseLayout(radial::build_radial_mask(c.layout, params), seq, c.layout.block_size),
                    128};
  }();
  return workload;
}

// A (1, S, 1, D) buffer of uniform values, stored as f32 or bf16 bits.
std::vector<uint32_t> random_tokens(int64_t count, radial::DType dtype, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<float> uniform(-2.0f, 2.0f);
  std::vector<uint32_t> words(count);
  auto* halves = reinterpret_cast<uint16_t*>(words.data());
  for (int64_t i = 0; i < count; ++i) {
    const float x = uniform(rng);
    if (dtype == radial::DType::f32)
      words[i] = std::bit_cast<uint32_t>(x);
    else
      halves[i] = radial::float_to_bf16(x);
  }
  return words;
}

void attention(benchmark::State& state, bool radial_mask, radial::DType dtype, bool backward) {
  const Workload& w = wan_1_3b_480p();
  const radial::BlockSparseLayout& layout = radial_mask ? w.radial : w.dense;
  const int64_t seq = w.sequence.seq_len(), d = w.head_dim, n = seq * d;
  std::vector<uint32_t> q = random_tokens(n, dtype, 1), k = random_tokens(n, dtype, 2), v = random_tokens(n, dtype, 3);
  std::vector<uint32_t> dout = random_tokens(n, dtype, 4), out(n), dq(n), dk(n), dv(n);
  std::vector<float> lse(seq);
  auto view = [&](std::vector<uint32_t>& data) { return radial::contiguous_view(data.data(), dtype, {1, seq, 1, d}); };
  const float scale = 0.08838835f;
  radial::AttentionForwardArgs fwd{.q = view(q), .k = view(k), .v = view(v), .out = view(out),
                                   .lse = radial::contiguous_view(lse.data(), radial::DType::f32, {1, 1, seq}),
                                   .layout = layout.view(), .scale = scale};
  radial::attention_forward(fwd);
  radial::AttentionBackwardArgs bwd{.q = fwd.q, .k = fwd.k, .v = fwd.v, .out = fwd.out, .dout = view(dout),
                                    .lse = fwd.lse, .dq = view(dq), .dk = view(dk), .dv = view(dv),
                                    .layout = layout.view(), .scale = scale};
  for (auto _ : state) {
    if (backward)
      radial::attention_backward(bwd);
    else
      radial::attention_forward(fwd);
  }
  const double flops = layout.kept_forward_flops(d) * (backward ? 2.5 : 1.0);
  state.counters["GFLOP/s"] = benchmark::Counter(flops * 1e-9, benchmark::Counter::kIsIterationInvariantRate);
  state.counters["density"] = layout.density();
}

// The minimum over repetitions next to the median: on a shared machine other work only ever adds time.
double minimum(const std::vector<double>& v) { return *std::min_element(v.begin(), v.end()); }

}  // namespace

#define RADIAL_CPU_BENCHMARK(name, radial_mask, dtype, backward)                                      \
  BENCHMARK_CAPTURE(attention, name, radial_mask, dtype, backward)                                   \
      ->Unit(benchmark::kMillisecond)                                                                \
      ->UseRealTime()                                                                                \
      ->Iterations(1)                                                                                \
      ->Repetitions(5)                                                                               \
      ->ComputeStatistics("min", minimum)

using radial::DType;
RADIAL_CPU_BENCHMARK(forward_dense_f32, false, DType::f32, false);
RADIAL_CPU_BENCHMARK(forward_radial_f32, true, DType::f32, false);
RADIAL_CPU_BENCHMARK(forward_dense_bf16, false, DType::bf16, false);
RADIAL_CPU_BENCHMARK(forward_radial_bf16, true, DType::bf16, false);
RADIAL_CPU_BENCHMARK(backward_dense_f32, false, DType::f32, true);
RADIAL_CPU_BENCHMARK(backward_radial_f32, true, DType::f32, true);

BENCHMARK_MAIN();
