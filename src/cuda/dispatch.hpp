#pragma once
// The CUDA backend's entry points, called only from src/attention.cpp (the one dispatch point)
// after the arguments have been checked there. Declared for every build; defined only when
// RADIAL_CUDA is on.
#include "radial/attention.hpp"

namespace radial::cuda {

void attention_forward(const AttentionForwardArgs& args, void* stream);
void attention_backward(const AttentionBackwardArgs& args, void* stream);
size_t attention_backward_workspace_bytes(const AttentionBackwardArgs& args);

}  // namespace radial::cuda
