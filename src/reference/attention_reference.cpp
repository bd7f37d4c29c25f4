// Float64 attention, written for obviousness rather than speed: every score, probability and
// gradient of one (batch, head) is a plain loop over the keys a query row may see.
#include "radial/reference.hpp"

#include <algorithm>
#include <cmath>
#include <initializer_list>
#include <limits>
#include <numeric>
#include <string>
#include <utility>
#include <vector>

#include "attention_checks.hpp"
#include "element_io.hpp"
#include "radial/error.hpp"

namespace radial::reference {
namespace {

void check_on_cpu(std::initializer_list<std::pair<const char*, const TensorView*>> views) {
  for (const auto& [name, view] : views)
    if (view->device != DeviceType::cpu) throw ArgumentError(name, "a CPU tensor", "cuda");
}

// The keys query row i may weigh, ascending: token-level expansion of i's CSR block row, cut at
// min(seq_len, kv_valid_len[b]).
std::vector<int64_t> visible_keys(const BlockSparseView& layout, int64_t i, int64_t key_limit) {
  std::vector<int64_t> keys;
  const int64_t row = i / layout.block_size;
  for (int32_t n = layout.row_offsets[row]; n < layout.row_offsets[row + 1]; ++n) {
    const int64_t first = int64_t{layout.col_indices[n]} * layout.block_size;
    const int64_t last = std::min(first + layout.block_size, key_limit);
    for (int64_t j = first; j < last; ++j) keys.push_back(j);
  }
  return keys;
}

int64_t key_limit(const int32_t* kv_valid_len, int64_t b, int64_t seq_len) {
  return kv_valid_len == nullptr ? seq_len : std::min<int64_t>(seq_len, kv_valid_len[b]);
}

double dot(const TensorView& a, int64_t a_offset, const TensorView& b, int64_t b_offset, int64_t head_dim) {
  double sum = 0.0;
  for (int64_t d = 0; d < head_dim; ++d)
    sum += load_as_double(a.data, a.dtype, a_offset + d) * load_as_double(b.data, b.dtype, b_offset + d);
  return sum;
}

// Softmax probabilities of one query row over `keys`, and the row's log-sum-exp.
struct RowSoftmax {
  std::vector<double> probabilities;  // (keys)
  double lse = -std::numeric_limits<double>::infinity();
};

RowSoftmax row_softmax(const TensorView& q, const TensorView& k, int64_t b, int64_t h, int64_t i,
                       const std::vector<int64_t>& keys, double scale) {
  RowSoftmax row;
  if (keys.empty()) return row;
  const int64_t head_dim = q.shape[3];
  std::vector<double> scores(keys.size());
  for (size_t n = 0; n < keys.size(); ++n)
    scores[n] = scale * dot(q, token_offset(q, b, i, h), k, token_offset(k, b, keys[n], h), head_dim);
  const double max_score = *std::max_element(scores.begin(), scores.end());
  double sum = 0.0;
  row.probabilities.resize(keys.size());
  for (size_t n = 0; n < keys.size(); ++n) sum += row.probabilities[n] = std::exp(scores[n] - max_score);
  for (double& p : row.probabilities) p /= sum;
  row.lse = max_score + std::log(sum);
  return row;
}

void forward_row(const AttentionForwardArgs& args, int64_t b, int64_t h, int64_t i) {
  const int64_t seq_len = args.q.shape[1], head_dim = args.q.shape[3];
  const std::vector<int64_t> keys = visible_keys(args.layout, i, key_limit(args.kv_valid_len, b, seq_len));
  const RowSoftmax row = row_softmax(args.q, args.k, b, h, i, keys, args.scale);
  const int64_t out_offset = token_offset(args.out, b, i, h);
  for (int64_t d = 0; d < head_dim; ++d) {
    double sum = 0.0;
    for (size_t n = 0; n < keys.size(); ++n)
      sum += row.probabilities[n] * load_as_double(args.v.data, args.v.dtype, token_offset(args.v, b, keys[n], h) + d);
    store_from_double(args.out.data, args.out.dtype, out_offset + d, sum);
  }
  store_from_double(args.lse.data, args.lse.dtype, row_stat_offset(args.lse, b, h, i), row.lse);
}

void check_forward(const AttentionForwardArgs& args) {
  detail::check_forward_shapes(args);
  check_on_cpu({{"q", &args.q}, {"k", &args.k}, {"v", &args.v}, {"out", &args.out}, {"lse", &args.lse}});
  detail::check_kv_valid_len_on_cpu(args.kv_valid_len, args.q.shape[0], args.q.shape[1]);
}

}  // namespace

void attention_forward_rows(const AttentionForwardArgs& args, std::span<const int64_t> rows) {
  check_forward(args);
  const int64_t batch = args.q.shape[0], seq_len = args.q.shape[1], heads = args.q.shape[2];
  for (int64_t i : rows)
    if (i < 0 || i >= seq_len)
      throw ArgumentError("rows", "positions in [0, " + std::to_string(seq_len) + ")", std::to_string(i));
  const int64_t work = batch * heads * static_cast<int64_t>(rows.size());
#pragma omp parallel for schedule(dynamic, 16)
  for (int64_t item = 0; item < work; ++item) {
    const int64_t bh = item / static_cast<int64_t>(rows.size());
    forward_row(args, bh / heads, bh % heads, rows[item % static_cast<int64_t>(rows.size())]);
  }
}

void attention_forward(const AttentionForwardArgs& args) {
  std::vector<int64_t> rows(args.q.rank == 4 ? args.q.shape[1] : 0);
  std::iota(rows.begin(), rows.end(), int64_t{0});
  attention_forward_rows(args, rows);
}

void attention_backward(const AttentionBackwardArgs& args) {
  detail::check_backward_shapes(args);
  check_on_cpu({{"q", &args.q}, {"k", &args.k}, {"v", &args.v}, {"out", &args.out}, {"dout", &args.dout},
                {"lse", &args.lse}, {"dq", &args.dq}, {"dk", &args.dk}, {"dv", &args.dv}});
  const int64_t batch = args.q.shape[0], seq_len = args.q.shape[1], heads = args.q.shape[2];
  const int64_t head_dim = args.q.shape[3];
  detail::check_kv_valid_len_on_cpu(args.kv_valid_len, batch, seq_len);
  const double scale = args.scale;

  // Each (batch, head) is independent; dk and dv gather from every query row, so they accumulate
  // in float64 buffers of the whole sequence before being written once.
#pragma omp parallel for schedule(dynamic, 1)
  for (int64_t bh = 0; bh < batch * heads; ++bh) {
    const int64_t b = bh / heads, h = bh % heads;
    std::vector<double> dk(seq_len * head_dim, 0.0), dv(seq_len * head_dim, 0.0);  // (S, D)
    std::vector<double> dq(head_dim);                                               // (D)
    const int64_t limit = key_limit(args.kv_valid_len, b, seq_len);
    for (int64_t i = 0; i < seq_len; ++i) {
      const std::vector<int64_t> keys = visible_keys(args.layout, i, limit);
      const RowSoftmax row = row_softmax(args.q, args.k, b, h, i, keys, scale);
      const int64_t q_offset = token_offset(args.q, b, i, h), dout_offset = token_offset(args.dout, b, i, h);
      // dP_ij = dO_i . v_j; dS_ij = P_ij (dP_ij - sum_j' P_ij' dP_ij')
      std::vector<double> dp(keys.size());
      double weighted = 0.0;
      for (size_t n = 0; n < keys.size(); ++n) {
        dp[n] = dot(args.dout, dout_offset, args.v, token_offset(args.v, b, keys[n], h), head_dim);
        weighted += row.probabilities[n] * dp[n];
      }
      std::fill(dq.begin(), dq.end(), 0.0);
      for (size_t n = 0; n < keys.size(); ++n) {
        const double p = row.probabilities[n];
        const double ds = p * (dp[n] - weighted);
        const int64_t j = keys[n], k_offset = token_offset(args.k, b, j, h);
        for (int64_t d = 0; d < head_dim; ++d) {
          dq[d] += scale * ds * load_as_double(args.k.data, args.k.dtype, k_offset + d);
          dk[j * head_dim + d] += scale * ds * load_as_double(args.q.data, args.q.dtype, q_offset + d);
          dv[j * head_dim + d] += p * load_as_double(args.dout.data, args.dout.dtype, dout_offset + d);
        }
      }
      const int64_t dq_offset = token_offset(args.dq, b, i, h);
      for (int64_t d = 0; d < head_dim; ++d) store_from_double(args.dq.data, args.dq.dtype, dq_offset + d, dq[d]);
    }
    for (int64_t j = 0; j < seq_len; ++j) {
      const int64_t dk_offset = token_offset(args.dk, b, j, h), dv_offset = token_offset(args.dv, b, j, h);
      for (int64_t d = 0; d < head_dim; ++d) {
        store_from_double(args.dk.data, args.dk.dtype, dk_offset + d, dk[j * head_dim + d]);
        store_from_double(args.dv.data, args.dv.dtype, dv_offset + d, dv[j * head_dim + d]);
      }
    }
  }
}

}  // namespace radial::reference
