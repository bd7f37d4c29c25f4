// The float64 oracle itself: against numbers worked out by hand, against a brute-force dense
// computation over a token-level mask, and its gradients against central finite differences.
#include "radial/reference.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <vector>

#include "attention_problem.hpp"
#include "test_support.hpp"

namespace radial::testing {
namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();

int64_t at(const TensorView& v, int64_t b, int64_t s, int64_t h, int64_t d) {
  return b * v.strides[0] + s * v.strides[1] + h * v.strides[2] + d * v.strides[3];
}
int64_t stat_at(const TensorView& v, int64_t b, int64_t h, int64_t s) {
  return b * v.strides[0] + h * v.strides[1] + s * v.strides[2];
}

TEST(ReferenceAttention, MatchesAHandComputation) {
  // One head, two tokens, D = 8, scale 1: q0 = e0 sees scores (1, 0); q1 = 0 sees (0, 0).
  HostTensor q = token_tensor(DType::f64, 1, 2, 1, 8, Storage::bshd, 0.0);
  HostTensor k = q, v = q;
  k.view.data = k.storage.data();
  v.view.data = v.storage.data();
  set_element(q, at(q.view, 0, 0, 0, 0), 1.0);
  set_element(k, at(k.view, 0, 0, 0, 0), 1.0);
  for (int64_t d = 0; d < 8; ++d) {
    set_element(v, at(v.view, 0, 0, 0, d), 1.0 + d);
    set_element(v, at(v.view, 0, 1, 0, d), -2.0);
  }
  HostTensor out = token_tensor(DType::f64, 1, 2, 1, 8);
  HostTensor lse = row_stat_tensor(DType::f64, 1, 1, 2);
  const BlockSparseLayout layout(BlockMask(1, true), 2, 128);
  AttentionForwardArgs args{.q = q.view, .k = k.view, .v = v.view, .out = out.view, .lse = lse.view,
                            .layout = layout.view(), .scale = 1.0f};
  reference::attention_forward(args);
  const double e = std::exp(1.0), p0 = e / (e + 1.0), p1 = 1.0 / (e + 1.0);
  for (int64_t d = 0; d < 8; ++d) {
    EXPECT_NEAR(get_element(out.view, at(out.view, 0, 0, 0, d)), p0 * (1.0 + d) - 2.0 * p1, 1e-15);
    EXPECT_NEAR(get_element(out.view, at(out.view, 0, 1, 0, d)), 0.5 * (1.0 + d) - 1.0, 1e-15);
  }
  EXPECT_NEAR(get_element(lse.view, 0), std::log(e + 1.0), 1e-15);
  EXPECT_NEAR(get_element(lse.view, 1), std::log(2.0), 1e-15);
}

// Dense attention over a (S, S) token mask built straight from BlockMask::test and kv_valid_len.
void brute_force_forward(const Problem& p, std::vector<double>& out, std::vector<double>& lse) {
  const ProblemSpec& s = p.spec;
  out.assign(s.batch * s.seq * s.heads * s.dim, 0.0);
  lse.assign(s.batch * s.heads * s.seq, -kInf);
  for (int64_t b = 0; b < s.batch; ++b) {
    const int64_t limit = p.kv_valid_len.empty() ? s.seq : p.kv_valid_len[b];
    for (int64_t h = 0; h < s.heads; ++h)
      for (int64_t i = 0; i < s.seq; ++i) {
        std::vector<double> weight(s.seq, 0.0);
        double max_score = -kInf;
        for (int64_t j = 0; j < s.seq; ++j) {
          if (!p.mask.test(i / 128, j / 128) || j >= limit) {
            weight[j] = -kInf;
            continue;
          }
          double score = 0.0;
          for (int64_t d = 0; d < s.dim; ++d)
            score += get_element(p.q.view, at(p.q.view, b, i, h, d)) * get_element(p.k.view, at(p.k.view, b, j, h, d));
          weight[j] = score * static_cast<double>(p.scale);
          max_score = std::max(max_score, weight[j]);
        }
        if (max_score == -kInf) continue;
        double sum = 0.0;
        for (double& w : weight) sum += w = std::exp(w - max_score);
        lse[(b * s.heads + h) * s.seq + i] = max_score + std::log(sum);
        for (int64_t d = 0; d < s.dim; ++d) {
          double o = 0.0;
          for (int64_t j = 0; j < s.seq; ++j) o += weight[j] / sum * get_element(p.v.view, at(p.v.view, b, j, h, d));
          out[((b * s.seq + i) * s.heads + h) * s.dim + d] = o;
        }
      }
  }
}

class ReferenceVsBruteForce : public ::testing::TestWithParam<ProblemSpec> {};

TEST_P(ReferenceVsBruteForce, AgreesToRounding) {
  auto rng = seeded_rng();
  const Problem p = make_problem(rng, GetParam());
  const ProblemSpec& s = p.spec;
  HostTensor out = token_tensor(DType::f64, s.batch, s.seq, s.heads, s.dim);
  HostTensor lse = row_stat_tensor(DType::f64, s.batch, s.heads, s.seq);
  reference::attention_forward(forward_args(p, out, lse));
  std::vector<double> expected_out, expected_lse;
  brute_force_forward(p, expected_out, expected_lse);
  EXPECT_LE(compare(values(out.view), expected_out).relative_l2, 1e-13);
  EXPECT_LE(compare(values(lse.view), expected_lse).relative_l2, 1e-13);
}

INSTANTIATE_TEST_SUITE_P(
    Cases, ReferenceVsBruteForce,
    ::testing::Values(ProblemSpec{.batch = 1, .seq = 300, .heads = 2, .dim = 16, .dtype = DType::f32, .mask = MaskKind::random_with_empty_rows},
                      ProblemSpec{.batch = 3, .seq = 260, .heads = 1, .dim = 8, .dtype = DType::bf16, .storage = Storage::bhsd,
                                  .mask = MaskKind::random, .padded_keys = true},
                      ProblemSpec{.batch = 1, .seq = 400, .heads = 1, .dim = 8, .dtype = DType::f64, .storage = Storage::padded,
                                  .mask = MaskKind::radial_pattern, .frames = 4}));

TEST(ReferenceAttention, RowSubsetMatchesFullAndLeavesOtherRows) {
  auto rng = seeded_rng();
  const Problem p = make_problem(rng, {.batch = 2, .seq = 300, .heads = 2, .dim = 16, .mask = MaskKind::random});
  HostTensor full = token_tensor(DType::f64, 2, 300, 2, 16), part = token_tensor(DType::f64, 2, 300, 2, 16);
  HostTensor full_lse = row_stat_tensor(DType::f64, 2, 2, 300), part_lse = row_stat_tensor(DType::f64, 2, 2, 300);
  reference::attention_forward(forward_args(p, full, full_lse));
  const std::vector<int64_t> rows = {0, 127, 128, 299};
  reference::attention_forward_rows(forward_args(p, part, part_lse), rows);
  for (int64_t b = 0; b < 2; ++b)
    for (int64_t h = 0; h < 2; ++h)
      for (int64_t s = 0; s < 300; ++s) {
        const bool listed = s == 0 || s == 127 || s == 128 || s == 299;
        const double got = get_element(part_lse.view, stat_at(part_lse.view, b, h, s));
        if (listed)
          EXPECT_EQ(got, get_element(full_lse.view, stat_at(full_lse.view, b, h, s)));
        else
          EXPECT_TRUE(std::isnan(got));
        for (int64_t d = 0; d < 16; ++d) {
          const double o = get_element(part.view, at(part.view, b, s, h, d));
          if (listed)
            EXPECT_EQ(o, get_element(full.view, at(full.view, b, s, h, d)));
          else
            EXPECT_TRUE(std::isnan(o));
        }
      }
}

TEST(ReferenceAttention, AllKeysMaskedGivesZerosMinusInfinityAndZeroGradients) {
  auto rng = seeded_rng();
  Problem p = make_problem(rng, {.batch = 2, .seq = 150, .heads = 1, .dim = 8, .dtype = DType::f64, .mask = MaskKind::dense});
  p.kv_valid_len = {0, 150};
  HostTensor out = token_tensor(DType::f64, 2, 150, 1, 8), lse = row_stat_tensor(DType::f64, 2, 1, 150);
  reference::attention_forward(forward_args(p, out, lse));
  HostTensor dout = random_token_tensor(rng, DType::f64, 2, 150, 1, 8);
  HostTensor dq = token_tensor(DType::f64, 2, 150, 1, 8), dk = token_tensor(DType::f64, 2, 150, 1, 8),
             dv = token_tensor(DType::f64, 2, 150, 1, 8);
  reference::attention_backward(backward_args(p, out, dout, lse, dq, dk, dv));
  for (int64_t s = 0; s < 150; ++s) {
    EXPECT_EQ(get_element(lse.view, stat_at(lse.view, 0, 0, s)), -kInf);
    EXPECT_TRUE(std::isfinite(get_element(lse.view, stat_at(lse.view, 1, 0, s))));
    for (int64_t d = 0; d < 8; ++d)
      for (const HostTensor* t : {&out, &dq, &dk, &dv}) EXPECT_EQ(get_element(t->view, at(t->view, 0, s, 0, d)), 0.0);
  }
}

// L = sum(out * dout); dL/dx by central differences must match the reference's gradients.
TEST(ReferenceAttention, GradientsMatchFiniteDifferences) {
  auto rng = seeded_rng();
  Problem p = make_problem(rng, {.batch = 2, .seq = 140, .heads = 2, .dim = 8, .dtype = DType::f64,
                                 .mask = MaskKind::random_with_empty_rows, .padded_keys = true});
  p.kv_valid_len[1] = 133;  // keys cut inside the last block
  const HostTensor dout = random_token_tensor(rng, DType::f64, 2, 140, 2, 8);
  auto loss = [&] {
    HostTensor out = token_tensor(DType::f64, 2, 140, 2, 8), lse = row_stat_tensor(DType::f64, 2, 2, 140);
    reference::attention_forward(forward_args(p, out, lse));
    double sum = 0.0;
    const std::vector<double> o = values(out.view), g = values(dout.view);
    for (size_t n = 0; n < o.size(); ++n) sum += o[n] * g[n];
    return sum;
  };
  HostTensor out = token_tensor(DType::f64, 2, 140, 2, 8), lse = row_stat_tensor(DType::f64, 2, 2, 140);
  reference::attention_forward(forward_args(p, out, lse));
  HostTensor dq = token_tensor(DType::f64, 2, 140, 2, 8), dk = token_tensor(DType::f64, 2, 140, 2, 8),
             dv = token_tensor(DType::f64, 2, 140, 2, 8);
  reference::attention_backward(backward_args(p, out, dout, lse, dq, dk, dv));

  std::uniform_int_distribution<int64_t> pick(0, 2 * 140 * 2 * 8 - 1);
  constexpr double kStep = 1e-5;
  for (auto [input, grad] : {std::pair{&p.q, &dq}, {&p.k, &dk}, {&p.v, &dv}}) {
    const std::vector<int64_t> offsets = element_offsets(input->view);
    std::vector<double> numeric, analytic;
    for (int n = 0; n < 150; ++n) {
      const int64_t e = pick(rng), offset = offsets[e];
      const double x = get_element(input->view, offset);
      set_element(*input, offset, x + kStep);
      const double up = loss();
      set_element(*input, offset, x - kStep);
      const double down = loss();
      set_element(*input, offset, x);
      numeric.push_back((up - down) / (2 * kStep));
      analytic.push_back(get_element(grad->view, element_offsets(grad->view)[e]));
    }
    EXPECT_LE(compare(analytic, numeric).relative_l2, 1e-7);
  }
}

}  // namespace
}  // namespace radial::testing
