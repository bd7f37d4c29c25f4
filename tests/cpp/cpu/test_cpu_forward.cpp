// The CPU forward against the float64 reference on every case of the table, plus properties the
// table cannot show: determinism across thread counts.
#include <gtest/gtest.h>
#include <omp.h>

#include "cpu_cases.hpp"
#include "radial/attention.hpp"
#include "radial/reference.hpp"
#include "test_support.hpp"

namespace radial::testing {
namespace {

struct ForwardResult {
  HostTensor out, lse;
};

ForwardResult run_cpu_forward(const Problem& p) {
  const ProblemSpec& s = p.spec;
  ForwardResult r{token_tensor(s.dtype, s.batch, s.seq, s.heads, s.dim, s.storage),
                  row_stat_tensor(DType::f32, s.batch, s.heads, s.seq)};
  attention_forward(forward_args(p, r.out, r.lse));
  return r;
}

ForwardResult run_reference_forward(const Problem& p) {
  const ProblemSpec& s = p.spec;
  ForwardResult r{token_tensor(DType::f64, s.batch, s.seq, s.heads, s.dim), row_stat_tensor(DType::f64, s.batch, s.heads, s.seq)};
  reference::attention_forward(forward_args(p, r.out, r.lse));
  return r;
}

class CpuForward : public ::testing::TestWithParam<ProblemSpec> {};

TEST_P(CpuForward, MatchesFloat64Reference) {
  auto rng = seeded_rng();
  const Problem p = make_problem(rng, GetParam());
  const ForwardResult cpu = run_cpu_forward(p);
  const ForwardResult ref = run_reference_forward(p);

  const std::vector<double> out = values(cpu.out.view), lse = values(cpu.lse.view);
  EXPECT_EQ(count_nan(out), 0) << "out elements left unwritten (NaN)";
  EXPECT_EQ(count_nan(lse), 0) << "lse elements left unwritten (NaN)";
  const Error out_error = compare(out, values(ref.out.view));
  const Error lse_error = compare(lse, values(ref.lse.view));
  RecordProperty("out_relative_l2", scientific(out_error.relative_l2));
  RecordProperty("lse_relative_l2", scientific(lse_error.relative_l2));
  EXPECT_LE(out_error.relative_l2, tolerance(p.spec.dtype)) << "out max-abs " << out_error.max_abs;
  // lse is fp32 whatever the input dtype, computed from the same (exactly widened) inputs.
  EXPECT_LE(lse_error.relative_l2, 1e-5) << "lse max-abs " << lse_error.max_abs;
}

INSTANTIATE_TEST_SUITE_P(Cases, CpuForward, ::testing::ValuesIn(cpu_attention_cases()), case_name);

TEST(CpuForwardDeterminism, SameBitsForOneAndTwoThreads) {
  auto rng = seeded_rng();
  const Problem p = make_problem(rng, {.batch = 2, .seq = 700, .heads = 3, .dim = 64, .mask = MaskKind::random});
  const int threads = omp_get_max_threads();
  omp_set_num_threads(1);
  const ForwardResult one = run_cpu_forward(p);
  omp_set_num_threads(2);
  const ForwardResult two = run_cpu_forward(p);
  omp_set_num_threads(threads);
  EXPECT_EQ(values(one.out.view), values(two.out.view));
  EXPECT_EQ(values(one.lse.view), values(two.lse.view));
}

TEST(CpuForwardRows, EmptyBlockRowAndUnweightedKeysGiveZeroAndMinusInfinity) {
  auto rng = seeded_rng();
  ProblemSpec spec{.batch = 2, .seq = 300, .heads = 2, .dim = 64, .mask = MaskKind::dense};
  Problem p = make_problem(rng, spec);
  p.mask = BlockMask(3, true);
  for (int64_t c = 0; c < 3; ++c) p.mask.row_words(1)[0] &= ~(uint64_t{1} << c);  // block row 1 empty
  p.layout = std::make_unique<BlockSparseLayout>(p.mask, spec.seq, 128);
  p.kv_valid_len = {0, 300};  // batch 0: every key masked
  const ForwardResult cpu = run_cpu_forward(p);
  for (int64_t b = 0; b < 2; ++b)
    for (int64_t h = 0; h < 2; ++h)
      for (int64_t s = 0; s < spec.seq; ++s) {
        const bool empty = b == 0 || (s >= 128 && s < 256);
        const double lse = get_element(cpu.lse.view, b * cpu.lse.view.strides[0] + h * cpu.lse.view.strides[1] + s);
        if (empty) {
          ASSERT_EQ(lse, -std::numeric_limits<double>::infinity()) << b << " " << h << " " << s;
          for (int64_t d = 0; d < spec.dim; ++d)
            ASSERT_EQ(get_element(cpu.out.view, b * cpu.out.view.strides[0] + s * cpu.out.view.strides[1] +
                                                    h * cpu.out.view.strides[2] + d),
                      0.0);
        } else {
          ASSERT_TRUE(std::isfinite(lse)) << b << " " << h << " " << s;
        }
      }
}

}  // namespace
}  // namespace radial::testing
