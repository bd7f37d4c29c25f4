#include <cstdint>
#include <string>

#include "backward/backward_launch.hpp"

namespace radial::cuda::portable {

namespace {

// cp.async moves 16 bytes per access and the gradients are stored two elements at a time: every
// row of every tensor must start on a 16-byte boundary.
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
    if (auto why = misaligned(o.name, o.data, o.sb, o.ss, o.sh, element_bytes); !why.empty()) return why;
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
