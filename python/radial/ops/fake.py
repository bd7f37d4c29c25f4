"""Fake (meta) implementations: output shapes and dtypes only, from the same helper the real
implementation allocates with, so the two cannot drift. No kernel tile size appears here."""

from __future__ import annotations

from typing import Optional

import torch

from radial.ops.kernels import forward_output_shapes


def attention_forward_fake(
    q, k, v, row_offsets, col_indices, col_offsets, row_indices, kv_valid_len: Optional[torch.Tensor],
    scale: float, block_size: int, forward_schedule: Optional[torch.Tensor] = None,
    backward_schedule: Optional[torch.Tensor] = None,
) -> tuple[torch.Tensor, torch.Tensor]:
    out_shape, lse_shape = forward_output_shapes(q)
    return q.new_empty(out_shape), q.new_empty(lse_shape, dtype=torch.float32)


def attention_backward_fake(
    dout, q, k, v, out, lse, row_offsets, col_indices, col_offsets, row_indices,
    kv_valid_len: Optional[torch.Tensor], scale: float, block_size: int, deterministic: bool,
    backward_schedule: Optional[torch.Tensor] = None,
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    return q.new_empty(q.shape), k.new_empty(k.shape), v.new_empty(v.shape)
