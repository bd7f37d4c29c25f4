#include <cstdint>
#include <string>

#include "backward/backward_launch.hpp"
#include "common/row_alignment.hpp"

namespace radial::cuda::portable {

std::string backward_cannot_implement(const BackwardParams& p, int element_bytes) {
  struct Operand {
    const char* name;
    const void* data;
    int64_t sb, ss, sh;
  };
  const Operand operands[] = {
      {"q", p.q, p.q_stride_b, p.q_stride_s, p.q_stride_h},
      {"k", p.k, p.k_stride_b, p.k_stride_s, p.k_stride_h},
      {"v", p.v, p.v_stride_b, p.v_stride_s, p.v_stride_h},
      {"out", p.out, p.o_stride_b, p.o_stride_s, p.o_stride_h},
      {"dout", p.dout, p.do_stride_b, p.do_stride_s, p.do_stride_h},
      {"dq", p.dq, p.dq_stride_b, p.dq_stride_s, p.dq_stride_h},
      {"dk", p.dk, p.dk_stride_b, p.dk_stride_s, p.dk_stride_h},
      {"dv", p.dv, p.dv_stride_b, p.dv_stride_s, p.dv_stride_h},
  };
  for (const Operand& o : operands)
    if (auto why = misaligned_rows(o.name, o.data, o.sb, o.ss, o.sh, element_bytes); !why.empty()) return why;
  if (p.heads > 65535 || p.batch > 65535)
    return "q: expected at most 65535 heads and batches (grid limits), got " + std::to_string(p.heads) + " heads, " +
           std::to_string(p.batch) + " batches";
  if (reinterpret_cast<uintptr_t>(p.delta) % 16 != 0)
    return "workspace: expected a 16-byte aligned pointer, got one " +
           std::to_string(reinterpret_cast<uintptr_t>(p.delta) % 16) + " bytes past a 16-byte boundary";
  return {};
}

size_t backward_workspace_bytes(int64_t batch, int64_t heads, int64_t padded_len) {
  return 2 * static_cast<size_t>(batch * heads * padded_len) * sizeof(float);
}

}  // namespace radial::cuda::portable
