#include <cstdint>
#include <string>

#include "portable/forward_launch.hpp"
#include "common/row_alignment.hpp"

namespace radial::cuda::portable {

std::string forward_cannot_implement(const ForwardParams& p, int element_bytes) {
  if (auto why = misaligned_rows("q", p.q, p.q_stride_b, p.q_stride_s, p.q_stride_h, element_bytes); !why.empty()) return why;
  if (auto why = misaligned_rows("k", p.k, p.k_stride_b, p.k_stride_s, p.k_stride_h, element_bytes); !why.empty()) return why;
  if (auto why = misaligned_rows("v", p.v, p.v_stride_b, p.v_stride_s, p.v_stride_h, element_bytes); !why.empty()) return why;
  if (auto why = misaligned_rows("out", p.out, p.o_stride_b, p.o_stride_s, p.o_stride_h, element_bytes); !why.empty())
    return why;
  if (p.heads > 65535 || p.batch > 65535)
    return "q: expected at most 65535 heads and batches (grid limits), got " + std::to_string(p.heads) + " heads, " +
           std::to_string(p.batch) + " batches";
  return {};
}

}  // namespace radial::cuda::portable
