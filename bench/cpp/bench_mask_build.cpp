// Mask build time on one core at the anchor shapes (docs/anchors.md): targets <= 2 ms for Wan2.1 720p
// 81 f and <= 20 ms for HunyuanVideo at 4x length. Each iteration builds the mask and its CSR/CSC
// layout from scratch, as a new resolution or length would.
#include <benchmark/benchmark.h>

#include "radial/presets.hpp"
#include "radial/radial_mask.hpp"
#include "radial/sparse_layout.hpp"

namespace {

void build(benchmark::State& state, const radial::SequenceLayout& layout, const radial::RadialParams& params,
           bool with_layout) {
  double density = 0;
  for (auto _ : state) {
    const radial::BlockMask mask = radial::build_radial_mask(layout, params);
    if (with_layout) {
      const radial::BlockSparseLayout sparse(mask, layout.seq_len(), layout.block_size);
      benchmark::DoNotOptimize(sparse.nnz());
    }
    density = mask.density();
  }
  state.counters["blocks"] = static_cast<double>(layout.num_blocks());
  state.counters["density"] = density;
}

void preset(benchmark::State& state, const char* name, int64_t height, int64_t width, int64_t frames,
            int64_t text, bool with_layout) {
  const radial::PresetConfig c = radial::configure_preset(name, height, width, frames, text);
  build(state, c.layout, c.params, with_layout);
}

}  // namespace

BENCHMARK_CAPTURE(preset, wan21_720p_81f_mask, "wan2.1-t2v-14b", 720, 1280, 81, 0, false)->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(preset, wan21_720p_81f_mask_and_layout, "wan2.1-t2v-14b", 720, 1280, 81, 0, true)->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(preset, wan21_768p_69f_mask, "wan2.1-t2v-14b", 768, 1280, 69, 0, false)->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(preset, hunyuan_720p_117f_text256_mask, "hunyuanvideo", 720, 1280, 117, 256, false)->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(preset, wan21_720p_321f_4x_mask, "wan2.1-t2v-14b", 720, 1280, 321, 0, false)->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(preset, hunyuan_720p_509f_4x_mask, "hunyuanvideo", 720, 1280, 509, 0, false)->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(preset, hunyuan_720p_509f_4x_mask_and_layout, "hunyuanvideo", 720, 1280, 509, 0, true)->Unit(benchmark::kMillisecond);

BENCHMARK_MAIN();
