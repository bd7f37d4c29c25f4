// The CPU backward against the float64 reference on every case of the table: out and lse come from
// the CPU forward (as in training), the reference recomputes everything in float64.
#include <gtest/gtest.h>
#include <omp.h>

#include "cpu_cases.hpp"
#include "radial/attention.hpp"
#include "radial/reference.hpp"
#include "test_support.hpp"

namespace radial::testing {
namespace {

// The backward's out and lse come from the CPU forward, as in training.
void cpu_forward(const AttentionForwardArgs& args) { attention_forward(args); }

Gradients run_backward(const Problem& p, BackwardInputs& in, DType dtype, Storage storage, bool reference) {
  Gradients g = poisoned_gradients(p.spec, dtype, storage);
  const AttentionBackwardArgs args = backward_args(p, in.out, in.dout, in.lse, g.dq, g.dk, g.dv);
  if (reference)
    reference::attention_backward(args);
  else
    attention_backward(args);
  return g;
}

class CpuBackward : public ::testing::TestWithParam<ProblemSpec> {};

TEST_P(CpuBackward, MatchesFloat64Reference) {
  auto rng = seeded_rng();
  const Problem p = make_problem(rng, GetParam());
  BackwardInputs in = make_backward_inputs(rng, p, cpu_forward);
  const Gradients cpu = run_backward(p, in, p.spec.dtype, p.spec.storage, false);
  const Gradients ref = run_backward(p, in, DType::f64, Storage::bshd, true);
  for (auto [name, actual, expected] : {std::tuple{"dq", &cpu.dq, &ref.dq}, {"dk", &cpu.dk, &ref.dk}, {"dv", &cpu.dv, &ref.dv}}) {
    const std::vector<double> got = values(actual->view);
    EXPECT_EQ(count_nan(got), 0) << name << " elements left unwritten (NaN)";
    const Error error = compare(got, values(expected->view));
    RecordProperty(std::string(name) + "_relative_l2", scientific(error.relative_l2));
    EXPECT_LE(error.relative_l2, tolerance(p.spec.dtype)) << name << " max-abs " << error.max_abs;
  }
}

INSTANTIATE_TEST_SUITE_P(Cases, CpuBackward, ::testing::ValuesIn(cpu_attention_cases()), case_name);

TEST(CpuBackwardDeterminism, SameBitsForOneAndTwoThreads) {
  auto rng = seeded_rng();
  const Problem p = make_problem(rng, {.batch = 2, .seq = 700, .heads = 3, .dim = 64, .mask = MaskKind::random});
  BackwardInputs in = make_backward_inputs(rng, p, cpu_forward);
  const int threads = omp_get_max_threads();
  omp_set_num_threads(1);
  const Gradients one = run_backward(p, in, DType::f32, Storage::bshd, false);
  omp_set_num_threads(2);
  const Gradients two = run_backward(p, in, DType::f32, Storage::bshd, false);
  omp_set_num_threads(threads);
  EXPECT_EQ(values(one.dq.view), values(two.dq.view));
  EXPECT_EQ(values(one.dk.view), values(two.dk.view));
  EXPECT_EQ(values(one.dv.view), values(two.dv.view));
}

TEST(CpuBackwardEmptyMask, NoKeptBlockGivesZeroOutputsAndGradients) {
  auto rng = seeded_rng();
  Problem p = make_problem(rng, {.batch = 1, .seq = 260, .heads = 2, .dim = 64, .mask = MaskKind::dense});
  p.mask = BlockMask(3, false);  // nnz = 0: the index arrays are empty
  p.layout = std::make_unique<BlockSparseLayout>(p.mask, 260, 128);
  BackwardInputs in = make_backward_inputs(rng, p, cpu_forward);
  for (double lse : values(in.lse.view)) ASSERT_EQ(lse, -std::numeric_limits<double>::infinity());
  for (double o : values(in.out.view)) ASSERT_EQ(o, 0.0);
  const Gradients g = run_backward(p, in, DType::f32, Storage::bshd, false);
  for (const HostTensor* t : {&g.dq, &g.dk, &g.dv})
    for (double x : values(t->view)) ASSERT_EQ(x, 0.0);
}

}  // namespace
}  // namespace radial::testing
