// The CUDA backward against the float64 reference on fresh random inputs (seed printed), through the
// library's one entry point radial::attention_backward with CUDA tensors. out and lse come from the
// float64 reference forward, rounded to the input dtype and float32 as a GPU forward would write
// them; gradients and workspace are NaN-poisoned before every call. Every case runs in both modes
// (deterministic and the default, which may use atomics) and on both kernel families ("auto" is what
// the library picks: sm_90a on Hopper; "portable" forces the sm_80+ kernels through
// RADIAL_CUDA_BACKWARD). Without a GPU every test skips and says why.
#include <cuda_runtime.h>
#include <gtest/gtest.h>

#include <cmath>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <memory>
#include <string>
#include <vector>

#include "attention_problem.hpp"
#include "cuda_cases.hpp"
#include "cuda_test_support.hpp"
#include "radial/attention.hpp"
#include "radial/error.hpp"
#include "radial/reference.hpp"
#include "radial/two_pass_plans.hpp"
#include "test_support.hpp"

namespace radial::testing {
namespace {

// Every compiled variant (bf16/f16 x head dim 64/128) over tails (S < 128, S % 128 == 1, others),
// every storage order, random / empty-row / radial / dense masks and padded keys (kv_valid_len with
// one batch full, one 0, the rest random).
std::vector<ProblemSpec> cuda_backward_cases() {
  using enum MaskKind;
  using enum Storage;
  return in_every_compiled_variant({
      {.batch = 2, .seq = 1000, .heads = 3, .storage = bshd, .mask = random},
      {.batch = 1, .seq = 37, .heads = 2, .storage = bshd, .mask = dense},
      {.batch = 1, .seq = 129, .heads = 2, .storage = padded, .mask = random_with_empty_rows},
      {.batch = 2, .seq = 640, .heads = 3, .storage = bhsd, .mask = random},
      {.batch = 3, .seq = 537, .heads = 2, .storage = padded, .mask = radial_pattern, .padded_keys = true, .frames = 3},
      {.batch = 3, .seq = 300, .heads = 1, .storage = bhsd, .mask = random_with_empty_rows, .padded_keys = true},
      {.batch = 1, .seq = 2000, .heads = 2, .storage = bshd, .mask = radial_pattern, .frames = 8},
  });
}

// Relative 2-norm bounds: fp32 accumulation, so the rounding of the 16-bit operands of the second
// products (P, dS) and of the gradients themselves dominates; delta comes from the rounded out.
// Seen on an H100: at most 2.5e-3 (bf16) and 5.1e-4 (f16) over every case.
double backward_tolerance(DType dtype) { return dtype == DType::f16 ? 2e-3 : 1e-2; }

const char* const kFamilies[] = {"auto", "portable"};

Gradients run_reference_backward(const Problem& p, BackwardInputs& in) {
  Gradients g = poisoned_gradients(p.spec, DType::f64, Storage::bshd);
  reference::attention_backward(backward_args(p, in.out, in.dout, in.lse, g.dq, g.dk, g.dv));
  return g;
}

// two_passes: with the radial mask's backward schedule (near_frames 1, so that the few frames of these
// cases leave far blocks) and RADIAL_CUDA_BACKWARD_SCHEDULE=always, which the Hopper default mode follows.
Gradients run_cuda_backward(const Problem& p, BackwardInputs& in, bool deterministic, bool two_passes = false) {
  Gradients g = poisoned_gradients(p.spec, p.spec.dtype, p.spec.storage);
  const DeviceTensor q(p.q), k(p.k), v(p.v), out(in.out), dout(in.dout), lse(in.lse);
  const DeviceTensor dq(g.dq), dk(g.dk), dv(g.dv);
  // A mask with no kept block at all still needs buffers to point at.
  auto or_one = [](const std::vector<int32_t>& xs) { return xs.empty() ? std::vector<int32_t>{0} : xs; };
  const std::vector<int32_t> rows = p.layout->row_offsets(), cols = or_one(p.layout->col_indices());
  const std::vector<int32_t> col_offsets = p.layout->col_offsets(), row_indices = or_one(p.layout->row_indices());
  const DeviceBuffer d_rows(rows.data(), rows.size() * 4), d_cols(cols.data(), cols.size() * 4);
  const DeviceBuffer d_col_offsets(col_offsets.data(), col_offsets.size() * 4);
  const DeviceBuffer d_row_indices(row_indices.data(), row_indices.size() * 4);
  const std::vector<int32_t> lengths = or_one(p.kv_valid_len);
  const DeviceBuffer d_lengths(lengths.data(), lengths.size() * 4);

  AttentionBackwardArgs args;
  args.q = q.view, args.k = k.view, args.v = v.view, args.out = out.view, args.dout = dout.view, args.lse = lse.view;
  args.dq = dq.view, args.dk = dk.view, args.dv = dv.view;
  args.layout = p.layout->view();
  args.layout.row_offsets = static_cast<const int32_t*>(d_rows.get());
  args.layout.col_indices = static_cast<const int32_t*>(d_cols.get());
  args.layout.col_offsets = static_cast<const int32_t*>(d_col_offsets.get());
  args.layout.row_indices = static_cast<const int32_t*>(d_row_indices.get());
  args.kv_valid_len = p.kv_valid_len.empty() ? nullptr : static_cast<const int32_t*>(d_lengths.get());
  args.scale = p.scale;
  args.deterministic = deterministic;
  std::vector<int32_t> plan{0};
  if (two_passes)
    plan = build_backward_schedule(*p.layout, p.radial->sequence, p.radial->params, /*near_frames=*/1);
  const DeviceBuffer d_plan(plan.data(), plan.size() * 4);
  if (two_passes) args.backward_schedule = static_cast<const int32_t*>(d_plan.get());
  const EnvironmentScope schedule_scope("RADIAL_CUDA_BACKWARD_SCHEDULE", two_passes ? "always" : "never");
  args.workspace_bytes = attention_backward_workspace_bytes(args);
  const DeviceBuffer workspace(args.workspace_bytes);
  // All-ones bytes are NaN as float32: a kernel that reads workspace nobody wrote shows.
  check_cuda(cudaMemset(workspace.get(), 0xff, args.workspace_bytes), "poison workspace");
  args.workspace = workspace.get();
  attention_backward(args, nullptr);
  check_cuda(cudaDeviceSynchronize(), "backward kernels");
  dq.copy_to(g.dq);
  dk.copy_to(g.dk);
  dv.copy_to(g.dv);
  return g;
}

class CudaBackward : public ::testing::TestWithParam<ProblemSpec> {};

TEST_P(CudaBackward, MatchesFloat64Reference) {
  RADIAL_SKIP_WITHOUT_GPU();
  auto rng = seeded_rng();
  const Problem p = make_problem(rng, GetParam());
  BackwardInputs in = make_backward_inputs(rng, p, reference::attention_forward);
  const Gradients ref = run_reference_backward(p, in);
  for (const char* family : kFamilies) {
    const EnvironmentScope scope("RADIAL_CUDA_BACKWARD", family);
    // Modes: deterministic, default, and for radial masks default with the two-pass schedule.
    for (int mode_index = 0; mode_index < (p.radial ? 3 : 2); ++mode_index) {
      const bool deterministic = mode_index == 0, two_passes = mode_index == 2;
      const char* mode_name = deterministic ? "deterministic" : two_passes ? "default_two_passes" : "default";
      SCOPED_TRACE(std::string(family) + ", mode " + mode_name);
      const std::string mode = std::string("_") + family + "_" + mode_name;
      const Gradients gpu = run_cuda_backward(p, in, deterministic, two_passes);
      for (auto [name, actual, expected] : {std::tuple{"dq", &gpu.dq, &ref.dq}, {"dk", &gpu.dk, &ref.dk}, {"dv", &gpu.dv, &ref.dv}}) {
        const std::vector<double> got = values(actual->view);
        EXPECT_EQ(count_nan(got), 0) << name << " elements left unwritten (NaN)";
        const Error error = compare(got, values(expected->view));
        RecordProperty(std::string(name) + mode + "_relative_l2", std::to_string(error.relative_l2));
        EXPECT_LE(error.relative_l2, backward_tolerance(p.spec.dtype)) << name << " max-abs " << error.max_abs;
      }
    }
  }
}

INSTANTIATE_TEST_SUITE_P(Cases, CudaBackward, ::testing::ValuesIn(cuda_backward_cases()), case_name);

// Bits, not values: two runs on the same inputs give the same bytes in deterministic mode (the
// default mode may add up in a varying order).
TEST(CudaBackwardDeterminism, BitIdenticalAcrossRuns) {
  RADIAL_SKIP_WITHOUT_GPU();
  auto rng = seeded_rng();
  const Problem p = make_problem(rng, {.batch = 2, .seq = 1100, .heads = 3, .dim = 128, .dtype = DType::bf16,
                                       .mask = MaskKind::radial_pattern, .padded_keys = true, .frames = 5});
  BackwardInputs in = make_backward_inputs(rng, p, reference::attention_forward);
  for (const char* family : kFamilies) {
    const EnvironmentScope scope("RADIAL_CUDA_BACKWARD", family);
    const Gradients one = run_cuda_backward(p, in, true);
    const Gradients two = run_cuda_backward(p, in, true);
    EXPECT_EQ(std::memcmp(one.dq.storage.data(), two.dq.storage.data(), storage_bytes(one.dq)), 0) << family << ": dq differs";
    EXPECT_EQ(std::memcmp(one.dk.storage.data(), two.dk.storage.data(), storage_bytes(one.dk)), 0) << family << ": dk differs";
    EXPECT_EQ(std::memcmp(one.dv.storage.data(), two.dv.storage.data(), storage_bytes(one.dv)), 0) << family << ": dv differs";
  }
}

TEST(CudaBackwardEmptyMask, NoKeptBlockGivesZeroGradients) {
  RADIAL_SKIP_WITHOUT_GPU();
  auto rng = seeded_rng();
  for (int dim : {64, 128}) {
    Problem p = make_problem(rng, {.batch = 1, .seq = 260, .heads = 2, .dim = dim, .dtype = DType::bf16, .mask = MaskKind::dense});
    p.mask = BlockMask(3, false);  // nnz = 0: the index arrays are empty
    p.layout = std::make_unique<BlockSparseLayout>(p.mask, 260, 128);
    BackwardInputs in = make_backward_inputs(rng, p, reference::attention_forward);
    for (bool deterministic : {true, false}) {
      const Gradients g = run_cuda_backward(p, in, deterministic);
      for (const HostTensor* t : {&g.dq, &g.dk, &g.dv})
        for (double x : values(t->view))
          ASSERT_EQ(x, 0.0) << "head dim " << dim << (deterministic ? ", deterministic mode" : ", default mode");
    }
  }
}

TEST(CudaBackwardArguments, UnbuiltHeadDimNamesTheValueAndTheBuiltSet) {
  RADIAL_SKIP_WITHOUT_GPU();
  auto rng = seeded_rng();
  const Problem p = make_problem(rng, {.batch = 1, .seq = 100, .heads = 1, .dim = 96, .dtype = DType::bf16});
  BackwardInputs in = make_backward_inputs(rng, p, reference::attention_forward);
  try {
    run_cuda_backward(p, in, true);
    FAIL() << "head dim 96 was accepted";
  } catch (const ArgumentError& e) {
    const std::string what = e.what();
    EXPECT_NE(what.find("96"), std::string::npos) << what;
    EXPECT_NE(what.find("64, 128"), std::string::npos) << what;
  }
}

}  // namespace
}  // namespace radial::testing
