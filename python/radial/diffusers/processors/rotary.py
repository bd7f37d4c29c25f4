"""Rotary position embedding on interleaved pairs, the form Wan and Mochi apply inside their processors
(HunyuanVideo's form is diffusers' public ``apply_rotary_emb``, which radial calls as it is)."""

from __future__ import annotations

from typing import Optional

import torch


def rotate_pairs(x: torch.Tensor, cos: torch.Tensor, sin: torch.Tensor,
                 compute_dtype: Optional[torch.dtype] = None) -> torch.Tensor:
    """Rotates each pair ``(x[..., 2i], x[..., 2i+1])`` by the angle whose cosine and sine are
    ``cos[..., i]`` and ``sin[..., i]``.

    x ``[B, S, H, D]``; cos, sin broadcastable to ``[B, S, H, D/2]``. The products are taken in
    ``compute_dtype`` if given (Mochi: float32), else in the promoted dtype of x and cos (Wan: its
    float64 frequencies), then rounded once to x's dtype, as the stock processors do.
    """
    even, odd = x[..., 0::2], x[..., 1::2]  # (B, S, H, D/2) each
    if compute_dtype is not None:
        even, odd = even.to(compute_dtype), odd.to(compute_dtype)
    rotated = torch.stack((even * cos - odd * sin, even * sin + odd * cos), dim=-1)  # (B, S, H, D/2, 2)
    return rotated.flatten(-2).to(x.dtype)
