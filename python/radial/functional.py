"""``radial.attention``: block-sparse attention over a radial (or any block) mask, differentiable."""

from __future__ import annotations

import math
from typing import Optional, Union

import torch

from radial import ops
from radial.masks import RadialMask

MaskLike = Union[RadialMask, torch.Tensor]


def _resolve_mask(mask: MaskLike, q: torch.Tensor) -> RadialMask:
    seq_len = q.shape[1]
    if isinstance(mask, RadialMask):
        if mask.seq_len != seq_len:
            raise ValueError(
                f"mask: expected a mask over {seq_len} tokens (q's sequence dimension), got one over"
                f" {mask.seq_len} tokens ({mask!r})"
            )
        return mask.to(q.device)
    if isinstance(mask, torch.Tensor):
        return RadialMask.from_dense(mask, seq_len).to(q.device)
    raise TypeError(f"mask: expected a RadialMask or a bool tensor [nb, nb], got {type(mask).__name__}")


def attention(
    q: torch.Tensor,
    k: torch.Tensor,
    v: torch.Tensor,
    mask: MaskLike,
    *,
    kv_valid_len: Optional[torch.Tensor] = None,
    scale: Optional[float] = None,
) -> torch.Tensor:
    """Attention of every query over the keys of its kept blocks only.

    Args:
      q, k, v: ``[B, S, H, D]`` (batch, sequence, heads, head dim), one dtype (float32, bfloat16,
        float16; float64 on the CPU runs the float64 reference), one device, any strides with a unit
        last dimension (so ``[B, H, S, D]`` storage passes as ``x.transpose(1, 2)``).
      mask: a :class:`RadialMask` over ``S`` tokens, or a bool tensor ``[nb, nb]`` of 128-token blocks
        with ``nb = ceil(S / 128)`` (its layout is built on every call: prefer a RadialMask, which is
        built once and uploaded once per device, and is what ``torch.compile`` traces without a break).
      kv_valid_len: int32 ``[B]`` on q's device, each in ``[0, S]``: keys at positions
        ``>= kv_valid_len[b]`` get no weight (padded text). Values are checked on the CPU only.
      scale: softmax scale, default ``1 / sqrt(D)``.

    Returns:
      ``[B, S, H, D]``, contiguous, in q's dtype (the autocast dtype under autocast). A query row with
      no key of weight gets zeros. Differentiable in q, k and v.

    Raises:
      ValueError naming the argument: rank, mismatched shapes, mixed devices, unsupported head dim, a
      sequence that does not match the mask, a non-unit last stride, kv_valid_len out of range.
      TypeError: a wrong dtype or a wrong kind of object.
    """
    for name, t in (("q", q), ("k", k), ("v", v)):
        if not isinstance(t, torch.Tensor):
            raise TypeError(f"{name}: expected a tensor [B, S, H, D], got {type(t).__name__}")
    if q.dim() != 4:
        raise ValueError(f"q: expected rank 4 [B, S, H, D], got shape {list(q.shape)}")
    if kv_valid_len is not None and not isinstance(kv_valid_len, torch.Tensor):
        raise TypeError(f"kv_valid_len: expected an int32 tensor [B], got {type(kv_valid_len).__name__}")
    # Devices first, before any address is taken; the core checks shapes, dtypes, strides, head dims.
    for name, t in (("k", k), ("v", v), ("kv_valid_len", kv_valid_len)):
        if t is not None and t.device != q.device:
            raise ValueError(f"{name}: expected device {q.device} like q, got {t.device}")
    layout = _resolve_mask(mask, q)
    if torch.is_autocast_enabled(q.device.type):
        dtype = torch.get_autocast_dtype(q.device.type)
        q, k, v = q.to(dtype), k.to(dtype), v.to(dtype)
    if scale is None:
        scale = 1.0 / math.sqrt(q.shape[-1])
    out, _ = ops.attention_forward(q, k, v, *layout.index, kv_valid_len, float(scale), layout.block_size,
                                   layout.forward_schedule, layout.backward_schedule)
    return out
