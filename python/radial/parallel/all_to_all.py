"""The two differentiable all-to-alls of Ulysses attention.

Shapes (B batch, T tokens per rank, H heads, P ranks):
  sequence_to_heads: [B, T, H, D]        -> [B, P * T, H / P, D]   (source-rank-major sequence)
  heads_to_sequence: [B, P * T, H / P, D] -> [B, T, H, D]
Each is the other's adjoint, so each one's backward is the other applied to the gradient.
"""

from __future__ import annotations

import torch
import torch.distributed as dist


def _exchange(send: torch.Tensor, group) -> torch.Tensor:
    """all_to_all_single over dim 0 of ``send`` ``[P, ...]``: chunk p goes to rank p."""
    received = torch.empty_like(send)
    dist.all_to_all_single(received, send, group=group)
    return received


def _sequence_to_heads(x: torch.Tensor, group, world: int) -> torch.Tensor:
    batch, tokens, heads, dim = x.shape
    send = x.reshape(batch, tokens, world, heads // world, dim).permute(2, 0, 1, 3, 4).contiguous()
    received = _exchange(send, group)  # [P source ranks, B, T, H / P, D]
    return received.permute(1, 0, 2, 3, 4).reshape(batch, world * tokens, heads // world, dim)


def _heads_to_sequence(y: torch.Tensor, group, world: int) -> torch.Tensor:
    batch, all_tokens, local_heads, dim = y.shape
    tokens = all_tokens // world
    send = y.reshape(batch, world, tokens, local_heads, dim).permute(1, 0, 2, 3, 4).contiguous()
    received = _exchange(send, group)  # [P head groups, B, T, H / P, D]
    return received.permute(1, 2, 0, 3, 4).reshape(batch, tokens, world * local_heads, dim)


class SequenceToHeads(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x: torch.Tensor, group, world: int) -> torch.Tensor:
        ctx.group, ctx.world = group, world
        return _sequence_to_heads(x, group, world)

    @staticmethod
    def backward(ctx, grad: torch.Tensor):
        return _heads_to_sequence(grad.contiguous(), ctx.group, ctx.world), None, None


class HeadsToSequence(torch.autograd.Function):
    @staticmethod
    def forward(ctx, y: torch.Tensor, group, world: int) -> torch.Tensor:
        ctx.group, ctx.world = group, world
        return _heads_to_sequence(y, group, world)

    @staticmethod
    def backward(ctx, grad: torch.Tensor):
        return _sequence_to_heads(grad.contiguous(), ctx.group, ctx.world), None, None
