// `radial bench --cpu`: dense against radial attention on this CPU for one sequence shape, as a
// table (median time, GFLOP/s over the blocks each visits, density, speedup over dense, ideal).
#include <omp.h>

#include <cstdio>
#include <iostream>
#include <memory>
#include <string>

#include "attention_workload.hpp"
#include "commands.hpp"
#include "radial/error.hpp"
#include "radial/radial_mask.hpp"

namespace radial::cli {
namespace {

struct BenchOptions {
  bool cpu = false;
  int64_t frames = 21, tokens_per_frame = 1560, text_tokens = 0, head_dim = 128, heads = 1;
  double decay = 1.0;
  bool sink = true;
  int threads = 0;
  int repeats = 3;
  std::string dtype = "f32";
  bool backward = false;
};

void run_bench(const BenchOptions& o) {
  if (!o.cpu) throw ArgumentError("--cpu", "the backend to benchmark (this tool benchmarks the CPU kernels)", "nothing");
  if (o.threads < 0) throw ArgumentError("--threads", ">= 0 (0: all cores)", std::to_string(o.threads));
  if (o.heads < 1) throw ArgumentError("--heads", ">= 1", std::to_string(o.heads));
  if (o.repeats < 1) throw ArgumentError("--repeats", ">= 1", std::to_string(o.repeats));
  const DType dtype = parse_input_dtype(o.dtype);
  if (o.threads > 0) omp_set_num_threads(o.threads);

  SequenceLayout layout;
  layout.frames = o.frames;
  layout.tokens_per_frame = o.tokens_per_frame;
  layout.text_tokens = o.text_tokens;
  layout.validate();
  RadialParams params;
  params.decay = o.decay;
  params.sink = o.sink;
  params.validate();
  const int64_t seq = layout.seq_len();
  const BlockSparseLayout radial(build_radial_mask(layout, params), seq, layout.block_size);
  const BlockSparseLayout dense(BlockMask(layout.num_blocks(), true), seq, layout.block_size);
  AttentionWorkload workload(seq, o.heads, o.head_dim, dtype, 2025);

  std::printf("CPU attention %s: S = %lld (%lld frames x %lld tokens + %lld text), %lld head(s), D = %lld, %s, "
              "decay %g, %d threads, median of %d\n",
              o.backward ? "backward" : "forward", static_cast<long long>(seq), static_cast<long long>(o.frames),
              static_cast<long long>(o.tokens_per_frame), static_cast<long long>(o.text_tokens),
              static_cast<long long>(o.heads), static_cast<long long>(o.head_dim), o.dtype.c_str(), o.decay,
              omp_get_max_threads(), o.repeats);
  // The backward's FLOPs: 2.5x the forward's (five block products instead of two), the usual count.
  const double pass_factor = o.backward ? 2.5 : 1.0;
  auto time = [&](const BlockSparseLayout& l) {
    attention_forward(workload.forward_args(l));  // warm-up; also the backward's out and lse
    if (o.backward) {
      const AttentionBackwardArgs args = workload.backward_args(l);
      return median_seconds(o.repeats, [&] { attention_backward(args); }, [] {});
    }
    const AttentionForwardArgs args = workload.forward_args(l);
    return median_seconds(o.repeats, [&] { attention_forward(args); }, [] {});
  };
  const double dense_s = time(dense), radial_s = time(radial);
  std::printf("| kernel | ms | GFLOP/s | density | speedup | ideal |\n|---|---|---|---|---|---|\n");
  auto row = [&](const char* name, const BlockSparseLayout& l, double seconds) {
    const double flops = l.kept_forward_flops(o.head_dim, o.heads) * pass_factor;
    std::printf("| %s | %.1f | %.1f | %.3f | %.2fx | %.2fx |\n", name, seconds * 1e3, flops / seconds * 1e-9,
                l.density(), dense_s / seconds, 1.0 / l.density());
  };
  row("dense", dense, dense_s);
  row("radial", radial, radial_s);
}

}  // namespace

void register_bench_command(CLI::App& app) {
  auto options = std::make_shared<BenchOptions>();
  CLI::App* bench = app.add_subcommand("bench", "Time dense against radial attention kernels");
  bench->add_flag("--cpu", options->cpu, "benchmark the CPU kernels");
  bench->add_option("--frames", options->frames, "latent frames F")->capture_default_str();
  bench->add_option("--tokens-per-frame", options->tokens_per_frame, "tokens per latent frame T")->capture_default_str();
  bench->add_option("--text-tokens", options->text_tokens, "text tokens after the video tokens")->capture_default_str();
  bench->add_option("--head-dim", options->head_dim, "head dimension D")->capture_default_str();
  bench->add_option("--heads", options->heads, "attention heads")->capture_default_str();
  bench->add_option("--decay", options->decay, "radial decay")->capture_default_str();
  bench->add_option("--threads", options->threads, "CPU threads (0: all cores)")->capture_default_str();
  bench->add_option("--dtype", options->dtype, "input dtype: f32 or bf16")->capture_default_str();
  bench->add_option("--repeats", options->repeats, "timed runs per kernel")->capture_default_str();
  bench->add_flag("--backward,!--forward", options->backward, "time the backward pass instead of the forward");
  bench->add_flag("--sink,!--no-sink", options->sink, "frame-0 attention sink (Wan)")->capture_default_str();
  bench->callback([options] { run_bench(*options); });
}

}  // namespace radial::cli
