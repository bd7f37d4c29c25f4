// Every bad argument of the attention API gets an ArgumentError naming it (src/attention.cpp).
#include <gtest/gtest.h>

#include <cmath>
#include <functional>
#include <string>

#include "attention_problem.hpp"
#include "radial/attention.hpp"
#include "radial/error.hpp"
#include "radial/reference.hpp"
#include "test_support.hpp"

namespace radial::testing {
namespace {

std::string argument_of(const std::function<void()>& call) {
  try {
    call();
  } catch (const ArgumentError& e) {
    return e.argument();
  }
  return "(no error)";
}

struct ForwardFixture {
  std::mt19937_64 rng{seeded_rng()};
  Problem p = make_problem(rng, {.batch = 2, .seq = 300, .heads = 3, .dim = 64});
  HostTensor out = token_tensor(DType::f32, 2, 300, 3, 64);
  HostTensor lse = row_stat_tensor(DType::f32, 2, 3, 300);
  AttentionForwardArgs args = forward_args(p, out, lse);
};

TEST(AttentionArguments, GoodForwardArgumentsPass) {
  ForwardFixture f;
  EXPECT_NO_THROW(check_forward_args(f.args));
}

TEST(AttentionArguments, ForwardNamesTheBadArgument) {
  ForwardFixture f;
  const HostTensor short_k = random_token_tensor(f.rng, DType::f32, 2, 299, 3, 64);
  const HostTensor bf16_k = random_token_tensor(f.rng, DType::bf16, 2, 300, 3, 64);
  const HostTensor q100 = random_token_tensor(f.rng, DType::f32, 2, 300, 3, 100);
  const HostTensor q264 = random_token_tensor(f.rng, DType::f32, 2, 300, 3, 264);
  const HostTensor q_f64 = random_token_tensor(f.rng, DType::f64, 2, 300, 3, 64);
  HostTensor lse_f64 = row_stat_tensor(DType::f64, 2, 3, 300);
  HostTensor lse_wrong = row_stat_tensor(DType::f32, 2, 300, 3);
  const BlockSparseLayout wrong_size(BlockMask(2, true), 256, 128);
  const BlockSparseLayout block64(BlockMask(5, true), 300, 64);
  const int32_t too_long[2] = {300, 301}, negative[2] = {-1, 3};

  auto with = [&](auto&& change) {
    return argument_of([&] {
      AttentionForwardArgs a = f.args;
      change(a);
      attention_forward(a);
    });
  };
  EXPECT_EQ(with([&](auto& a) { a.k = short_k.view; }), "k");
  EXPECT_EQ(with([&](auto& a) { a.k = bf16_k.view; }), "k");
  EXPECT_EQ(with([&](auto& a) { a.q = q100.view; }), "k");  // q sets the shape; k then disagrees
  EXPECT_EQ(with([&](auto& a) { a.v.strides[3] = 2; }), "v");
  EXPECT_EQ(with([&](auto& a) { a.out.rank = 3; }), "out");
  EXPECT_EQ(with([&](auto& a) { a.out.data = nullptr; }), "out");
  EXPECT_EQ(with([&](auto& a) { a.lse = lse_wrong.view; }), "lse");
  EXPECT_EQ(with([&](auto& a) { a.lse = lse_f64.view; }), "lse");
  EXPECT_EQ(with([&](auto& a) { a.layout = wrong_size.view(); }), "layout");
  EXPECT_EQ(with([&](auto& a) { a.layout = block64.view(); }), "layout");
  EXPECT_EQ(with([&](auto& a) { a.scale = 0.0f; }), "scale");
  EXPECT_EQ(with([&](auto& a) { a.scale = std::nanf(""); }), "scale");
  EXPECT_EQ(with([&](auto& a) { a.kv_valid_len = too_long; }), "kv_valid_len");
  EXPECT_EQ(with([&](auto& a) { a.kv_valid_len = negative; }), "kv_valid_len");
  EXPECT_EQ(with([&](auto& a) { a.k.device = DeviceType::cuda; }), "k");
  // Unsupported head dims, with every tensor of that head dim.
  auto head_dim = [&](const HostTensor& q) {
    return with([&](auto& a) { a.q = a.k = a.v = a.out = q.view; });
  };
  EXPECT_EQ(head_dim(q100), "q");
  EXPECT_EQ(head_dim(q264), "q");
  EXPECT_EQ(head_dim(q_f64), "q");  // f64 is for the reference only
}

TEST(AttentionArguments, MessageReadsExpectedGot) {
  ForwardFixture f;
  const HostTensor bf16_k = random_token_tensor(f.rng, DType::bf16, 2, 300, 3, 64);
  AttentionForwardArgs a = f.args;
  a.q = a.v = a.out = bf16_k.view;  // k stays f32
  try {
    attention_forward(a);
    FAIL() << "no error";
  } catch (const ArgumentError& e) {
    EXPECT_STREQ(e.what(), "k: expected dtype bf16 like q, got f32");
  }
}

#ifndef RADIAL_WITH_CUDA
TEST(AttentionArguments, CudaTensorsNeedACudaBuild) {
  ForwardFixture f;
  AttentionForwardArgs a = f.args;
  for (TensorView* v : {&a.q, &a.k, &a.v, &a.out, &a.lse}) v->device = DeviceType::cuda;
  EXPECT_EQ(argument_of([&] { attention_forward(a); }), "q");
}
#endif

TEST(AttentionArguments, BackwardNamesTheBadArgument) {
  auto rng = seeded_rng();
  const Problem p = make_problem(rng, {.batch = 1, .seq = 200, .heads = 2, .dim = 64});
  HostTensor out = random_token_tensor(rng, DType::f32, 1, 200, 2, 64), dout = out;
  dout.view.data = dout.storage.data();
  HostTensor lse = row_stat_tensor(DType::f32, 1, 2, 200);
  HostTensor dq = token_tensor(DType::f32, 1, 200, 2, 64), dk = dq, dv = dq;
  dk.view.data = dk.storage.data();
  dv.view.data = dv.storage.data();
  const HostTensor short_dout = random_token_tensor(rng, DType::f32, 1, 199, 2, 64);
  const AttentionBackwardArgs good = backward_args(p, out, dout, lse, dq, dk, dv);
  EXPECT_NO_THROW(check_backward_args(good));
  EXPECT_EQ(attention_backward_workspace_bytes(good), 0u);
  auto with = [&](auto&& change) {
    return argument_of([&] {
      AttentionBackwardArgs a = good;
      change(a);
      attention_backward(a);
    });
  };
  EXPECT_EQ(with([&](auto& a) { a.dout = short_dout.view; }), "dout");
  EXPECT_EQ(with([&](auto& a) { a.dk.dtype = DType::bf16; }), "dk");
  EXPECT_EQ(with([&](auto& a) { a.dv.strides[3] = 0; }), "dv");
  EXPECT_EQ(with([&](auto& a) { a.layout.col_offsets = nullptr; }), "layout");
  EXPECT_EQ(with([&](auto& a) { a.scale = -1.0f; }), "scale");
}

TEST(AttentionArguments, ReferenceChecksShapesAndRows) {
  auto rng = seeded_rng();
  const Problem p = make_problem(rng, {.batch = 1, .seq = 200, .heads = 2, .dim = 64});
  HostTensor out = token_tensor(DType::f64, 1, 200, 2, 64);
  HostTensor lse = row_stat_tensor(DType::f64, 1, 2, 200);
  AttentionForwardArgs args = forward_args(p, out, lse);
  const int64_t bad_row[] = {200};
  EXPECT_EQ(argument_of([&] { reference::attention_forward_rows(args, bad_row); }), "rows");
  args.lse.shape[2] = 199;
  EXPECT_EQ(argument_of([&] { reference::attention_forward(args); }), "lse");
}

}  // namespace
}  // namespace radial::testing
