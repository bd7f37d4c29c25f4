#pragma once
// One attention test case: a spec (sizes, dtype, storage, mask kind, padded keys), its random
// inputs and block layout, the backward's extra inputs and gradients, and the argument structs that
// point at them.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <memory>
#include <optional>
#include <ostream>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "attention_tensors.hpp"
#include "radial/attention.hpp"
#include "radial/radial_mask.hpp"
#include "radial/sparse_layout.hpp"

namespace radial::testing {

enum class MaskKind { dense, random, random_with_empty_rows, radial_pattern };

struct ProblemSpec {
  int64_t batch = 1, seq = 200, heads = 1, dim = 64;
  DType dtype = DType::f32;
  Storage storage = Storage::bshd;
  MaskKind mask = MaskKind::random;
  bool padded_keys = false;  // kv_valid_len per batch: one full, one 0 (all masked), others random
  int64_t frames = 3;        // radial masks: seq = frames * tokens_per_frame + text tokens
};

inline const char* dtype_label(DType d) {
  switch (d) {
    case DType::f32: return "f32";
    case DType::bf16: return "bf16";
    case DType::f16: return "f16";
    case DType::f64: return "f64";
    case DType::i32: return "i32";
  }
  return "?";
}

inline std::ostream& operator<<(std::ostream& os, const ProblemSpec& s) {
  static const char* masks[] = {"dense", "random", "random_empty_rows", "radial"};
  static const char* storages[] = {"bshd", "bhsd", "padded"};
  return os << "B" << s.batch << "_S" << s.seq << "_H" << s.heads << "_D" << s.dim << "_" << dtype_label(s.dtype)
            << "_" << storages[static_cast<int>(s.storage)] << "_" << masks[static_cast<int>(s.mask)]
            << (s.padded_keys ? "_kvlen" : "");
}

// gtest's name for a case of a parameterized suite: the spec as operator<< writes it.
inline std::string case_name(const ::testing::TestParamInfo<ProblemSpec>& info) {
  std::ostringstream name;
  name << info.param;
  return name.str();
}

// The sequence and parameters a radial_pattern mask was built from (for the masks' two-pass schedules).
struct RadialSource {
  SequenceLayout sequence;
  RadialParams params;
};

struct Problem {
  ProblemSpec spec;
  float scale = 0.0f;
  HostTensor q, k, v;
  BlockMask mask;
  std::optional<RadialSource> radial;  // set for MaskKind::radial_pattern
  std::unique_ptr<BlockSparseLayout> layout;
  std::vector<int32_t> kv_valid_len;  // empty: none

  const int32_t* kv_valid_len_or_null() const { return kv_valid_len.empty() ? nullptr : kv_valid_len.data(); }
};

inline BlockMask make_mask(std::mt19937_64& rng, const ProblemSpec& spec, std::optional<RadialSource>& radial) {
  const int64_t blocks = (spec.seq + 127) / 128;
  switch (spec.mask) {
    case MaskKind::dense: return BlockMask(blocks, true);
    case MaskKind::random: return random_block_mask(rng, blocks, 0.4, 0.0);
    case MaskKind::random_with_empty_rows: return random_block_mask(rng, blocks, 0.4, 0.3);
    case MaskKind::radial_pattern: {
      // Video tokens frame-major plus text tokens that make up the requested length.
      SequenceLayout layout;
      layout.frames = spec.frames;
      layout.tokens_per_frame = spec.seq / spec.frames;
      layout.text_tokens = spec.seq - layout.video_tokens();
      RadialParams params;
      params.decay = 1.0;
      params.sink = std::bernoulli_distribution(0.5)(rng);
      radial = RadialSource{layout, params};
      return build_radial_mask(layout, params);
    }
  }
  return BlockMask(blocks, true);
}

inline Problem make_problem(std::mt19937_64& rng, const ProblemSpec& spec) {
  Problem p;
  p.spec = spec;
  // Not 1/sqrt(D): a kernel that assumes the usual scale shows.
  p.scale = static_cast<float>(0.73 / std::sqrt(static_cast<double>(spec.dim)));
  p.q = random_token_tensor(rng, spec.dtype, spec.batch, spec.seq, spec.heads, spec.dim, spec.storage);
  p.k = random_token_tensor(rng, spec.dtype, spec.batch, spec.seq, spec.heads, spec.dim, spec.storage);
  p.v = random_token_tensor(rng, spec.dtype, spec.batch, spec.seq, spec.heads, spec.dim, spec.storage);
  p.mask = make_mask(rng, spec, p.radial);
  p.layout = std::make_unique<BlockSparseLayout>(p.mask, spec.seq, 128);
  if (spec.padded_keys) {
    std::uniform_int_distribution<int32_t> length(1, static_cast<int32_t>(spec.seq));
    for (int64_t b = 0; b < spec.batch; ++b)
      p.kv_valid_len.push_back(b == 0 ? static_cast<int32_t>(spec.seq) : b == 1 ? 0 : length(rng));
  }
  return p;
}

inline AttentionForwardArgs forward_args(const Problem& p, HostTensor& out, HostTensor& lse) {
  AttentionForwardArgs args;
  args.q = p.q.view;
  args.k = p.k.view;
  args.v = p.v.view;
  args.out = out.view;
  args.lse = lse.view;
  args.layout = p.layout->view();
  args.kv_valid_len = p.kv_valid_len_or_null();
  args.scale = p.scale;
  return args;
}

inline AttentionBackwardArgs backward_args(const Problem& p, const HostTensor& out, const HostTensor& dout,
                                           const HostTensor& lse, HostTensor& dq, HostTensor& dk, HostTensor& dv) {
  AttentionBackwardArgs args;
  args.q = p.q.view;
  args.k = p.k.view;
  args.v = p.v.view;
  args.out = out.view;
  args.dout = dout.view;
  args.lse = lse.view;
  args.dq = dq.view;
  args.dk = dk.view;
  args.dv = dv.view;
  args.layout = p.layout->view();
  args.kv_valid_len = p.kv_valid_len_or_null();
  args.scale = p.scale;
  return args;
}

// What a backward reads besides q, k and v.
struct BackwardInputs {
  HostTensor out, lse, dout;
};

// out (the case's dtype and storage) and lse (f32) as `forward` writes them, and a random dout.
inline BackwardInputs make_backward_inputs(std::mt19937_64& rng, const Problem& p,
                                           void (*forward)(const AttentionForwardArgs&)) {
  const ProblemSpec& s = p.spec;
  BackwardInputs in{token_tensor(s.dtype, s.batch, s.seq, s.heads, s.dim, s.storage),
                    row_stat_tensor(DType::f32, s.batch, s.heads, s.seq),
                    random_token_tensor(rng, s.dtype, s.batch, s.seq, s.heads, s.dim, s.storage, 1.7)};
  forward(forward_args(p, in.out, in.lse));
  return in;
}

struct Gradients {
  HostTensor dq, dk, dv;
};

// dq, dk and dv shaped like q, NaN-poisoned (token_tensor) so that an element a backward leaves
// unwritten shows.
inline Gradients poisoned_gradients(const ProblemSpec& s, DType dtype, Storage storage) {
  return {token_tensor(dtype, s.batch, s.seq, s.heads, s.dim, storage),
          token_tensor(dtype, s.batch, s.seq, s.heads, s.dim, storage),
          token_tensor(dtype, s.batch, s.seq, s.heads, s.dim, storage)};
}

}  // namespace radial::testing
