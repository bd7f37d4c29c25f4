"""The gradient of ``radial::attention_forward``: ``radial::attention_backward`` on the saved inputs.

The log-sum-exp output is an auxiliary for the backward pass and is not differentiable.
"""

from __future__ import annotations

import torch


def setup_context(ctx, inputs, output) -> None:
    (q, k, v, row_offsets, col_indices, col_offsets, row_indices, kv_valid_len, scale, block_size, _forward_schedule,
     backward_schedule) = inputs
    out, lse = output
    ctx.save_for_backward(q, k, v, out, lse, row_offsets, col_indices, col_offsets, row_indices, kv_valid_len,
                          backward_schedule)
    ctx.scale = scale
    ctx.block_size = block_size
    ctx.mark_non_differentiable(lse)


def backward(ctx, dout: torch.Tensor, _dlse: torch.Tensor):
    q, k, v, out, lse, row_offsets, col_indices, col_offsets, row_indices, kv_valid_len, backward_schedule = (
        ctx.saved_tensors)
    # Incoming gradients may have any strides (an expanded scalar has stride 0): the kernels need a
    # unit last stride, and a contiguous dout is what they read fastest.
    dq, dk, dv = torch.ops.radial.attention_backward(
        dout.contiguous(), q, k, v, out, lse, row_offsets, col_indices, col_offsets, row_indices,
        kv_valid_len, ctx.scale, ctx.block_size, torch.are_deterministic_algorithms_enabled(), backward_schedule,
    )
    return dq, dk, dv, None, None, None, None, None, None, None, None, None
