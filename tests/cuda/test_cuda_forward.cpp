// The CUDA forward against the float64 reference on fresh random inputs (seed printed), through the
// library's one entry point radial::attention_forward with CUDA tensors. Every case runs on the
// Hopper kernel (where the GPU is an H100/H200) and on the portable kernel; radial masks also in the
// two passes of their forward schedule.
// Without a GPU every test skips and says why.
#include <cuda_runtime.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <string>
#include <utility>
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

struct ForwardResult {
  HostTensor out, lse;
};

// two_passes: with the radial mask's forward schedule (near_frames 1, so that the few frames of these cases
// leave far blocks) and RADIAL_CUDA_FORWARD_SCHEDULE=always, which the Hopper kernel follows.
ForwardResult run_cuda_forward(const Problem& p, bool two_passes = false) {
  const ProblemSpec& s = p.spec;
  ForwardResult r{token_tensor(s.dtype, s.batch, s.seq, s.heads, s.dim, s.storage),  // NaN-poisoned
                  row_stat_tensor(DType::f32, s.batch, s.heads, s.seq)};
  const DeviceTensor q(p.q), k(p.k), v(p.v), out(r.out), lse(r.lse);
  const auto& rows = p.layout->row_offsets();
  // A mask with no kept block at all still needs a buffer to point at.
  const std::vector<int32_t> cols = p.layout->nnz() > 0 ? p.layout->col_indices() : std::vector<int32_t>{0};
  DeviceBuffer row_offsets(rows.data(), rows.size() * sizeof(int32_t));
  DeviceBuffer col_indices(cols.data(), cols.size() * sizeof(int32_t));
  const std::vector<int32_t> no_lengths(1, 0);
  const std::vector<int32_t>& lengths = p.kv_valid_len.empty() ? no_lengths : p.kv_valid_len;
  DeviceBuffer kv_valid_len(lengths.data(), lengths.size() * sizeof(int32_t));

  AttentionForwardArgs args;
  args.q = q.view;
  args.k = k.view;
  args.v = v.view;
  args.out = out.view;
  args.lse = lse.view;
  args.layout = p.layout->view();
  args.layout.row_offsets = static_cast<const int32_t*>(row_offsets.get());
  args.layout.col_indices = static_cast<const int32_t*>(col_indices.get());
  args.layout.col_offsets = nullptr;
  args.layout.row_indices = nullptr;
  args.kv_valid_len = p.kv_valid_len.empty() ? nullptr : static_cast<const int32_t*>(kv_valid_len.get());
  args.scale = p.scale;
  std::vector<int32_t> plan{0};
  if (two_passes) plan = build_forward_schedule(*p.layout, p.radial->sequence, p.radial->params, /*near_frames=*/1);
  const DeviceBuffer d_plan(plan.data(), plan.size() * sizeof(int32_t));
  if (two_passes) args.forward_schedule = static_cast<const int32_t*>(d_plan.get());
  const EnvironmentScope schedule_scope("RADIAL_CUDA_FORWARD_SCHEDULE", two_passes ? "always" : "never");
  attention_forward(args, nullptr);
  check_cuda(cudaDeviceSynchronize(), "forward kernel");
  out.copy_to(r.out);
  lse.copy_to(r.lse);
  return r;
}

ForwardResult run_reference_forward(const Problem& p) {
  const ProblemSpec& s = p.spec;
  ForwardResult r{token_tensor(DType::f64, s.batch, s.seq, s.heads, s.dim), row_stat_tensor(DType::f64, s.batch, s.heads, s.seq)};
  reference::attention_forward(forward_args(p, r.out, r.lse));
  return r;
}

// The kernel families a case runs on: "auto" is what the library picks (sm_90a on Hopper),
// "portable" forces the sm_80+ kernel through RADIAL_CUDA_FORWARD.
const char* const kFamilies[] = {"auto", "portable"};

class CudaForward : public ::testing::TestWithParam<ProblemSpec> {};

TEST_P(CudaForward, MatchesFloat64Reference) {
  RADIAL_SKIP_WITHOUT_GPU();
  auto rng = seeded_rng();
  const Problem p = make_problem(rng, GetParam());
  const ForwardResult ref = run_reference_forward(p);
  const std::vector<double> ref_out = values(ref.out.view), ref_lse = values(ref.lse.view);
  // Each family in one pass; for radial masks the library's choice also in two passes.
  std::vector<std::pair<const char*, bool>> variants;
  for (const char* family : kFamilies) variants.emplace_back(family, false);
  if (p.radial) variants.emplace_back("auto", true);
  for (const auto& [family, two_passes] : variants) {
    const std::string label = std::string(family) + (two_passes ? "_two_passes" : "");
    SCOPED_TRACE("kernel family " + label);
    const EnvironmentScope scope("RADIAL_CUDA_FORWARD", family);
    const ForwardResult gpu = run_cuda_forward(p, two_passes);
    const std::vector<double> out = values(gpu.out.view), lse = values(gpu.lse.view);
    EXPECT_EQ(std::count_if(out.begin(), out.end(), [](double x) { return std::isnan(x); }), 0)
        << "out elements left unwritten (NaN)";
    EXPECT_EQ(std::count_if(lse.begin(), lse.end(), [](double x) { return std::isnan(x); }), 0)
        << "lse elements left unwritten (NaN)";
    const Error out_error = compare(out, ref_out);
    const Error lse_error = compare(lse, ref_lse);
    RecordProperty("out_relative_l2_" + label, std::to_string(out_error.relative_l2));
    EXPECT_LE(out_error.relative_l2, cuda_tolerance(p.spec.dtype)) << "out max-abs " << out_error.max_abs;
    // lse is fp32 from exactly widened inputs; -inf rows must match exactly (compare() skips them
    // only when both are -inf, and a mismatch shows as an infinite error).
    EXPECT_LE(lse_error.max_abs, 1e-3) << "lse relative " << lse_error.relative_l2;
  }
}

INSTANTIATE_TEST_SUITE_P(Cases, CudaForward, ::testing::ValuesIn(cuda_forward_cases()), case_name);

TEST(CudaForwardArguments, UnbuiltHeadDimNamesTheValueAndTheBuiltSet) {
  RADIAL_SKIP_WITHOUT_GPU();
  auto rng = seeded_rng();
  const Problem p = make_problem(rng, {.batch = 1, .seq = 100, .heads = 1, .dim = 96, .dtype = DType::bf16});
  try {
    run_cuda_forward(p);
    FAIL() << "head dim 96 was accepted";
  } catch (const ArgumentError& e) {
    const std::string what = e.what();
    EXPECT_NE(what.find("96"), std::string::npos) << what;
    EXPECT_NE(what.find("64, 128"), std::string::npos) << what;
  }
}

}  // namespace
}  // namespace radial::testing
