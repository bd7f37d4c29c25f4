#include <cstdint>
#include <string>

#include "portable/forward_launch.hpp"

namespace radial::cuda::portable {

namespace {

// cp.async and the epilogue move 16 bytes per access: every row of every tensor must start on a
// 16-byte boundary.
std::string misaligned(const char* name, const void* data, int64_t sb, int64_t ss, int64_t sh, int element_bytes) {
  const int64_t per_chunk = 16 / element_bytes;
  const bool ok = reinterpret_cast<uintptr_t>(data) % 16 == 0 && sb % per_chunk == 0 && ss % per_chunk == 0 &&
                  sh % per_chunk == 0;
  if (ok) return {};
  return std::string(name) + ": expected a 16-byte aligned pointer and batch/sequence/head strides that are multiples of " +
         std::to_string(per_chunk) + " elements, got pointer " + std::to_string(reinterpret_cast<uintptr_t>(data) % 16) +
         " bytes past a 16-byte boundary and strides (" + std::to_string(sb) + ", " + std::to_string(ss) + ", " +
         std::to_string(sh) + ")";
}

}  // namespace

std::string forward_cannot_implement(const ForwardParams& p, int element_bytes) {
  if (auto why = misaligned("q", p.q, p.q_stride_b, p.q_stride_s, p.q_stride_h, element_bytes); !why.empty()) return why;
  if (auto why = misaligned("k", p.k, p.k_stride_b, p.k_stride_s, p.k_stride_h, element_bytes); !why.empty()) return why;
  if (auto why = misaligned("v", p.v, p.v_stride_b, p.v_stride_s, p.v_stride_h, element_bytes); !why.empty()) return why;
  if (auto why = misaligned("out", p.out, p.o_stride_b, p.o_stride_s, p.o_stride_h, element_bytes); !why.empty())
    return why;
  if (p.heads > 65535 || p.batch > 65535)
    return "q: expected at most 65535 heads and batches (grid limits), got " + std::to_string(p.heads) + " heads, " +
           std::to_string(p.batch) + " batches";
  return {};
}

}  // namespace radial::cuda::portable
