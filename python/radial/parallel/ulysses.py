"""Ulysses sequence-parallel radial attention over a torch.distributed process group."""

from __future__ import annotations

from typing import Optional

import torch
import torch.distributed as dist

import radial
from radial.parallel.all_to_all import HeadsToSequence, SequenceToHeads
from radial.parallel.sharding import ShardLayout


def validate_context_parallel(ulysses_degree: int = 1, ring_degree: int = 1) -> None:
    """Radial attention parallelises over heads only (Ulysses); ring attention would split the keys
    of each block row across ranks and is refused."""
    if ring_degree != 1:
        raise ValueError(f"ring_degree: expected 1 (radial supports Ulysses sequence parallelism only), "
                         f"got {ring_degree}")
    if ulysses_degree < 1:
        raise ValueError(f"ulysses_degree: expected an integer >= 1, got {ulysses_degree}")


def ulysses_attention(
    q: torch.Tensor,
    k: torch.Tensor,
    v: torch.Tensor,
    mask,
    *,
    layout: ShardLayout,
    group: Optional[dist.ProcessGroup] = None,
    kv_valid_len: Optional[torch.Tensor] = None,
    scale: Optional[float] = None,
) -> torch.Tensor:
    """Radial attention of this rank's sequence shard, all heads.

    Args:
      q, k, v: ``[B, layout.tokens_per_rank, H, D]``: this rank's shard as
        :func:`radial.parallel.shard_sequence` cuts it (its video part, then its text part, padded).
        ``H`` must be divisible by the group's size.
      mask: the full sequence's mask (a :class:`radial.RadialMask` or bool ``[nb, nb]``,
        ``nb = ceil(layout.seq_len / 128)``), the same on every rank.
      layout: how the sequence is split; ``layout.world_size`` must equal the group's size.
      kv_valid_len: int32 ``[B]`` over the full sequence (padded text), the same on every rank.
    Returns:
      ``[B, layout.tokens_per_rank, H, D]``; padding rows are zeros.
    """
    world = dist.get_world_size(group) if dist.is_initialized() else 1
    if layout.world_size != world:
        raise ValueError(f"layout: expected world_size {world} (the process group's size), got {layout.world_size}")
    for name, t in (("q", q), ("k", k), ("v", v)):
        if t.dim() != 4:
            raise ValueError(f"{name}: expected rank 4 [B, tokens_per_rank, H, D], got shape {tuple(t.shape)}")
        if t.shape[1] != layout.tokens_per_rank:
            raise ValueError(f"{name}: expected {layout.tokens_per_rank} tokens per rank (dim 1), got {t.shape[1]}")
    heads = q.shape[2]
    if heads % world != 0:
        raise ValueError(f"q: expected a head count divisible by the world size {world}, got {heads} heads")

    index = layout.gather_index.to(q.device)
    if world > 1:
        q, k, v = (SequenceToHeads.apply(t.contiguous(), group, world) for t in (q, k, v))
    # [B, P * tokens_per_rank, H / P, D] -> model order [B, S, H / P, D], padding dropped
    q, k, v = (t.index_select(1, index) for t in (q, k, v))
    out = radial.attention(q, k, v, mask, kv_valid_len=kv_valid_len, scale=scale)
    rank_major = out.new_zeros(out.shape[0], world * layout.tokens_per_rank, *out.shape[2:])
    rank_major = rank_major.index_copy(1, index, out)
    if world > 1:
        return HeadsToSequence.apply(rank_major, group, world)
    return rank_major
