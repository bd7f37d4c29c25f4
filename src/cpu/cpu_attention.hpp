#pragma once
// The CPU backend's entry points, called only from src/attention.cpp (the one dispatch point)
// after the arguments have been checked there. The CPU path needs no caller workspace: it packs one
// head at a time into buffers of its own.
#include <cstddef>

#include "radial/attention.hpp"

namespace radial::cpu {

void attention_forward(const AttentionForwardArgs& args);
void attention_backward(const AttentionBackwardArgs& args);
size_t attention_backward_workspace_bytes(const AttentionBackwardArgs& args);

}  // namespace radial::cpu
