// `radial demo`: the README's first command. Builds the Wan2.1-14B 720p 81-frame mask, prints its
// summary and writes radial-mask.png, then times radial against dense attention on a real-shaped
// slice (by default Wan2.1-1.3B 480p 81 frames, one head) on this CPU, and checks the radial output
// against the float64 reference on sampled query rows.
#include <omp.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <iomanip>
#include <iostream>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include "attention_workload.hpp"
#include "commands.hpp"
#include "mask_summary.hpp"
#include "radial/error.hpp"
#include "radial/half_precision.hpp"
#include "radial/mask_io.hpp"
#include "radial/presets.hpp"
#include "radial/radial_mask.hpp"
#include "radial/reference.hpp"

namespace radial::cli {
namespace {

struct DemoOptions {
  std::string preset = "wan2.1-t2v-1.3b";
  int64_t height = 480, width = 832, num_frames = 81, heads = 1;
  std::optional<double> decay;  // the preset's own by default
  int threads = 0;              // 0: OpenMP's default
  int repeats = 3;
  int sampled_rows = 64;
  std::string png = "radial-mask.png";
};

void show_big_mask(const std::string& png) {
  const PresetConfig c = configure_preset("wan2.1-t2v-14b", 720, 1280, 81);
  const auto start = std::chrono::steady_clock::now();
  const BlockMask mask = build_radial_mask(c.layout, c.params);
  const double build_ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
  std::cout << "Wan2.1-T2V-14B, 720x1280, 81 frames: the radial mask\n";
  print_mask_summary(std::cout, summarize_mask(c.layout, c.params, mask, build_ms, c.preset->heads,
                                               c.preset->head_dim, c.preset->name));
  write_mask_png(png, mask);
  std::cout << "wrote " << png << "\n\n";
}

// Query rows to check: the first and last (a partial block) and evenly spread random ones.
std::vector<int64_t> sample_rows(int64_t seq_len, int count) {
  std::mt19937_64 rng(7);
  std::uniform_int_distribution<int64_t> pick(0, seq_len - 1);
  std::vector<int64_t> rows = {0, seq_len - 1};
  while (static_cast<int>(rows.size()) < std::min<int64_t>(count, seq_len)) rows.push_back(pick(rng));
  std::sort(rows.begin(), rows.end());
  rows.erase(std::unique(rows.begin(), rows.end()), rows.end());
  return rows;
}

struct RowError {
  double relative_l2 = 0.0, max_abs = 0.0;
};

// The fp32 kernel's output on `rows` against the float64 reference evaluated on those rows only.
RowError check_rows(AttentionWorkload& workload, const BlockSparseLayout& layout, const std::vector<int64_t>& rows) {
  AttentionForwardArgs args = workload.forward_args(layout);
  const TensorView fast_out = args.out;
  const int64_t seq = workload.seq_len(), heads = workload.heads(), dim = workload.head_dim();
  std::vector<double> reference_out(seq * heads * dim, 0.0), reference_lse(heads * seq, 0.0);
  args.out = contiguous_view(reference_out.data(), DType::f64, {1, seq, heads, dim});
  args.lse = contiguous_view(reference_lse.data(), DType::f64, {1, heads, seq});
  reference::attention_forward_rows(args, rows);
  double diff = 0.0, norm = 0.0, max_abs = 0.0;
  for (int64_t i : rows)
    for (int64_t h = 0; h < heads; ++h)
      for (int64_t d = 0; d < dim; ++d) {
        const int64_t at = (i * heads + h) * dim + d;
        const double fast = fast_out.dtype == DType::f32 ? static_cast<const float*>(fast_out.data)[at]
                                                         : bf16_to_float(static_cast<const uint16_t*>(fast_out.data)[at]);
        const double e = fast - reference_out[at];
        diff += e * e;
        norm += reference_out[at] * reference_out[at];
        max_abs = std::max(max_abs, std::abs(e));
      }
  return {std::sqrt(diff / norm), max_abs};
}

void run_demo(const DemoOptions& o) {
  if (o.threads < 0) throw ArgumentError("--threads", ">= 0 (0: all cores)", std::to_string(o.threads));
  if (o.heads < 1) throw ArgumentError("--heads", ">= 1", std::to_string(o.heads));
  if (o.repeats < 1) throw ArgumentError("--repeats", ">= 1", std::to_string(o.repeats));
  if (o.sampled_rows < 1) throw ArgumentError("--rows", ">= 1", std::to_string(o.sampled_rows));
  if (o.threads > 0) omp_set_num_threads(o.threads);
  show_big_mask(o.png);

  const PresetConfig c = configure_preset(o.preset, o.height, o.width, o.num_frames);
  RadialParams params = c.params;
  if (o.decay) params.decay = *o.decay;
  params.validate();
  const int64_t seq = c.layout.seq_len(), dim = c.preset->head_dim;
  const BlockSparseLayout radial(build_radial_mask(c.layout, params), seq, c.layout.block_size);
  const BlockSparseLayout dense(BlockMask(c.layout.num_blocks(), true), seq, c.layout.block_size);
  std::cout << "Attention slice: " << c.preset->name << ", " << o.height << "x" << o.width << ", " << o.num_frames
            << " frames: S = " << seq << " (" << c.layout.frames << " latent frames x " << c.layout.tokens_per_frame
            << " tokens";
  if (c.layout.text_tokens) std::cout << " + " << c.layout.text_tokens << " text";
  std::cout << "), " << o.heads << (o.heads == 1 ? " head" : " heads") << ", D = " << dim << ", f32, decay "
            << params.decay << ", " << omp_get_max_threads() << " threads\n";

  AttentionWorkload workload(seq, o.heads, dim, DType::f32, 2025);
  const std::vector<int64_t> rows = sample_rows(seq, o.sampled_rows);
  std::vector<std::string> labels = {"warm-up"};
  for (int r = 1; r <= o.repeats; ++r) labels.push_back("radial attention " + std::to_string(r) + "/" + std::to_string(o.repeats));
  labels.push_back("float64 reference on " + std::to_string(rows.size()) + " query rows");
  for (int r = 1; r <= o.repeats; ++r) labels.push_back("dense attention " + std::to_string(r) + "/" + std::to_string(o.repeats));
  ProgressBar bar(static_cast<int>(labels.size()));
  size_t step = 0;
  auto advance = [&] {
    ++step;
    bar.advance(step < labels.size() ? labels[step] : "done");
  };

  bar.start(labels[0]);
  const AttentionForwardArgs radial_args = workload.forward_args(radial);
  attention_forward(radial_args);  // first touch of every buffer, outside the timings
  advance();
  const double radial_s = median_seconds(o.repeats, [&] { attention_forward(radial_args); }, advance);
  const RowError error = check_rows(workload, radial, rows);  // reads the radial output before dense overwrites it
  advance();
  const AttentionForwardArgs dense_args = workload.forward_args(dense);
  const double dense_s = median_seconds(o.repeats, [&] { attention_forward(dense_args); }, advance);
  bar.finish();

  const double radial_flops = radial.kept_forward_flops(dim, o.heads), dense_flops = dense.kept_forward_flops(dim, o.heads);
  std::cout << std::fixed << std::setprecision(1);
  std::cout << "  radial (density " << std::setprecision(3) << radial.density() << "): " << std::setprecision(1)
            << radial_s * 1e3 << " ms, " << radial_flops / radial_s * 1e-9 << " GFLOP/s over kept blocks\n";
  std::cout << "  dense:                  " << dense_s * 1e3 << " ms, " << dense_flops / dense_s * 1e-9 << " GFLOP/s\n";
  std::cout << std::setprecision(2) << "  speedup " << dense_s / radial_s << "x (ideal 1 / density = "
            << 1.0 / radial.density() << "x)\n";
  std::cout << std::scientific << std::setprecision(1) << "  radial vs float64 reference on " << rows.size()
            << " sampled query rows: relative 2-norm error " << error.relative_l2 << ", max abs error " << error.max_abs
            << "\n";
}

}  // namespace

void register_demo_command(CLI::App& app) {
  auto options = std::make_shared<DemoOptions>();
  CLI::App* demo = app.add_subcommand("demo", "Build a radial mask and race radial against dense attention on this CPU");
  demo->add_option("--preset", options->preset, "model preset of the attention slice")->capture_default_str();
  demo->add_option("--height", options->height, "video height in pixels")->capture_default_str();
  demo->add_option("--width", options->width, "video width in pixels")->capture_default_str();
  demo->add_option("--num-frames", options->num_frames, "video frames")->capture_default_str();
  demo->add_option("--heads", options->heads, "attention heads to run")->capture_default_str();
  demo->add_option("--threads", options->threads, "CPU threads (0: all cores)")->capture_default_str();
  demo->add_option("--decay", options->decay, "radial decay (default: the preset's)");
  demo->add_option("--repeats", options->repeats, "timed runs of each kernel; the median is reported")->capture_default_str();
  demo->add_option("--rows", options->sampled_rows, "query rows checked against the float64 reference")->capture_default_str();
  demo->add_option("--png", options->png, "where to write the mask picture")->capture_default_str();
  demo->callback([options] { run_demo(*options); });
}

}  // namespace radial::cli
