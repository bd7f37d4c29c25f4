#pragma once
// The fp32 tile kernels of the CPU backend and the tasks they are handed. The drivers
// (attention_forward.cpp, attention_backward.cpp) pack one head's tensors into fp32 buffers
// (pack.hpp), hand one block's task at a time to these kernels, and write the results back in the
// caller's dtype; the kernels never see a TensorView, a dtype or a stride.
//
// Packed layouts, for one (batch, head) with S_pad = num_blocks * kBlock tokens:
//   rows:       (S_pad, dp)                  token-major, dp = padded_head_dim(head_dim), zeros past
//                                            the sequence end and past head_dim
//   transposed: (num_blocks, head_dim, kBlock) each block's tokens along the fast axis, zeros past
//                                            the sequence end
#include <cstdint>

namespace radial::cpu {

inline constexpr int64_t kBlock = 128;  // tokens per block, queries and keys
inline constexpr int64_t kMaxPackedHeadDim = 256;

// Row-major tiles are padded to whole 16-float groups so that every SIMD width divides them.
inline int64_t padded_head_dim(int64_t head_dim) { return (head_dim + 15) / 16 * 16; }

struct ForwardBlockTask {
  const float* q;             // (rows, dp) this block's packed query rows
  const float* kt_blocks;     // (num_blocks, head_dim, kBlock)
  const float* v;             // (S_pad, dp)
  const int32_t* key_blocks;  // (num_key_blocks) kept key blocks, ascending
  int64_t num_key_blocks;
  int64_t rows;               // query rows in this block; the last block may be partial
  int64_t key_limit;          // keys at or past it get no weight: min(S, kv_valid_len[b])
  int64_t head_dim, dp;
  float scale;
  float* scores;  // (kBlock, kBlock) scratch
  float* out;     // (kBlock, dp) written: normalized output rows, zeros for rows with no key
  float* lse;     // (kBlock) written: natural-log LSE, -inf for rows with no key
};

struct DqBlockTask {
  const float* q;             // (rows, dp)
  const float* dout;          // (rows, dp)
  const float* lse;           // (rows) with -inf replaced by +inf, so that such rows get P = 0
  const float* delta;         // (rows) rowsum(dO * O)
  const float* kt_blocks;     // (num_blocks, head_dim, kBlock)
  const float* vt_blocks;     // (num_blocks, head_dim, kBlock)
  const float* k;             // (S_pad, dp)
  const int32_t* key_blocks;  // (num_key_blocks) ascending
  int64_t num_key_blocks;
  int64_t rows, key_limit, head_dim, dp;
  float scale;
  float* scores;   // (kBlock, kBlock) scratch
  float* dscores;  // (kBlock, kBlock) scratch
  float* dq;       // (kBlock, dp) written, scale applied
};

struct DkdvBlockTask {
  const float* k;               // (keys, dp) this key block's packed rows
  const float* v;               // (keys, dp)
  const float* qt_blocks;       // (num_blocks, head_dim, kBlock)
  const float* doutt_blocks;    // (num_blocks, head_dim, kBlock)
  const float* q;               // (S_pad, dp)
  const float* dout;            // (S_pad, dp)
  const float* lse;             // (S_pad) +inf past the sequence end and for rows with no key
  const float* delta;           // (S_pad) zeros past the sequence end
  const int32_t* query_blocks;  // (num_query_blocks) query blocks that keep this key block, ascending
  int64_t num_query_blocks;
  int64_t keys;                 // keys of this block with weight: min(kBlock, key_limit - first key), >= 0
  int64_t seq_len, head_dim, dp;
  float scale;
  float* scores;   // (kBlock, kBlock) scratch
  float* dscores;  // (kBlock, kBlock) scratch
  float* dk;       // (kBlock, dp) written, scale applied; rows >= keys are zero
  float* dv;       // (kBlock, dp) written; rows >= keys are zero
};

// Each runs on the best SIMD target of the running CPU (Highway dynamic dispatch).
void forward_query_block(const ForwardBlockTask& task);
void dq_query_block(const DqBlockTask& task);
void dkdv_key_block(const DkdvBlockTask& task);

}  // namespace radial::cpu
