"""Test helpers shared by radial's tests and its integrations: a float64 dense masked reference in
PyTorch (differentiable, so it gives reference gradients too) and NaN-poisoned outputs."""

from __future__ import annotations

import math
from typing import Optional, Union

import torch

from radial.masks import RadialMask
from radial.ops.kernels import poisoned_outputs

__all__ = ["token_mask", "reference_attention", "poisoned_outputs"]


def token_mask(block_mask: torch.Tensor, seq_len: int, block_size: int = 128) -> torch.Tensor:
    """bool ``[S, S]``: the block mask ``[nb, nb]`` expanded to tokens and cut to ``S = seq_len``."""
    expanded = block_mask.repeat_interleave(block_size, 0).repeat_interleave(block_size, 1)
    return expanded[:seq_len, :seq_len]


def reference_attention(
    q: torch.Tensor,
    k: torch.Tensor,
    v: torch.Tensor,
    mask: Union[RadialMask, torch.Tensor],
    *,
    kv_valid_len: Optional[torch.Tensor] = None,
    scale: Optional[float] = None,
    block_size: int = 128,
) -> tuple[torch.Tensor, torch.Tensor]:
    """Dense attention in float64 with the block mask applied at token level.

    q, k, v ``[B, S, H, D]`` (any dtype; computed in float64 and differentiable); mask a RadialMask or a
    bool ``[nb, nb]`` tensor. Returns out ``[B, S, H, D]`` and lse ``[B, H, S]``, both float64; a row
    with no key of weight gets out = 0 and lse = -inf, as the kernels' contract says.
    """
    if isinstance(mask, RadialMask):
        block_size = mask.block_size
        mask = mask.dense()
    b, s, _, d = q.shape
    scale = 1.0 / math.sqrt(d) if scale is None else scale
    allowed = token_mask(mask.to(q.device), s, block_size)[None, None]  # (1, 1, S, S)
    if kv_valid_len is not None:
        keys = torch.arange(s, device=q.device)
        valid_keys = keys[None, :] < kv_valid_len.to(q.device, torch.int64)[:, None]  # (B, S)
        allowed = allowed & valid_keys[:, None, None, :]  # (B, 1, S, S)
    q64, k64, v64 = q.double(), k.double(), v.double()
    scores = torch.einsum("bshd,bthd->bhst", q64, k64) * scale  # (B, H, S, S)
    scores = scores.masked_fill(~allowed, float("-inf"))
    lse = torch.logsumexp(scores, dim=-1)  # (B, H, S)
    finite_lse = torch.where(torch.isfinite(lse), lse, torch.zeros_like(lse))
    probs = torch.exp(scores - finite_lse[..., None]).masked_fill(~allowed, 0.0)
    out = torch.einsum("bhst,bthd->bshd", probs, v64)
    return out, lse
