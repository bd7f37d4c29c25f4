"""A differentiable all-gather for tensors every rank goes on to use identically (replicated).

Shapes (P ranks): ``[B, T, ...]`` on each rank -> ``[B, P * T, ...]`` on every rank, rank-major.
"""

from __future__ import annotations

import torch
import torch.distributed as dist


class AllGatherReplicated(torch.autograd.Function):
    """Forward: every rank's piece, concatenated along ``dim`` in rank order. Backward: this rank's
    slice of the gradient. The gathered tensor feeds the same computation on every rank, so every
    rank holds the same gradient of it, and its own slice is the gradient of its own piece."""

    @staticmethod
    def forward(ctx, x: torch.Tensor, dim: int, group) -> torch.Tensor:
        ctx.dim, ctx.rank, ctx.world = dim, dist.get_rank(group), dist.get_world_size(group)
        pieces = [torch.empty_like(x) for _ in range(ctx.world)]
        dist.all_gather(pieces, x.contiguous(), group=group)
        return torch.cat(pieces, dim=dim)

    @staticmethod
    def backward(ctx, grad: torch.Tensor):
        return grad.chunk(ctx.world, dim=ctx.dim)[ctx.rank], None, None
