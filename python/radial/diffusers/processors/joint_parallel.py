"""Joint (video + text) self-attention under diffusers' context parallelism, for models whose plan
(:func:`radial.diffusers.context_parallel_plan`) splits the video over the Ulysses group and keeps the
short text replicated on every rank.

Each rank cuts from the full text the slice :class:`radial.parallel.ShardLayout` gives it, so the
all-to-all sees the layout radial.parallel expects (video shard, then text shard, padded), and
all-gathers the text rows of the output, so the replicated text stays whole and equal on every rank.
"""

from __future__ import annotations

import functools

import torch
import torch.distributed as dist

from radial.masks import DEFAULT_BLOCK_SIZE, RadialMask
from radial.parallel import ShardLayout, ulysses_attention
from radial.parallel.gather import AllGatherReplicated


@functools.lru_cache(maxsize=8)
def dense_mask(seq_len: int) -> RadialMask:
    """The all-ones block mask of ``seq_len`` tokens, built once per length: dense layers and dense
    steps under context parallelism go through the same Ulysses path with it."""
    blocks = -(-seq_len // DEFAULT_BLOCK_SIZE)
    return RadialMask.from_dense(torch.ones(blocks, blocks, dtype=torch.bool), seq_len)


def joint_sequence_parallel_attention(video: tuple[torch.Tensor, ...], text: tuple[torch.Tensor, ...], mask, *,
                                      kv_valid_len: torch.Tensor, group) -> tuple[torch.Tensor, torch.Tensor]:
    """Attention over the full ``V + N`` sequence, video split over ``group``, text replicated.

    Args:
      video: (q, k, v), each ``[B, V / P, H, D]``: this rank's contiguous video shard.
      text: (q, k, v), each ``[B, N, H, D]``: the whole text, the same on every rank.
      mask: the mask of the full sequence (``seq_len == V + N``), the same on every rank.
      kv_valid_len: int32 ``[B]``, valid keys of the full sequence (video then real text).
    Returns:
      (``[B, V / P, H, D]`` this rank's video rows, ``[B, N, H, D]`` all text rows).
    """
    world, rank = dist.get_world_size(group), dist.get_rank(group)
    local_video, text_len = video[0].shape[1], text[0].shape[1]
    layout = ShardLayout(local_video * world, text_len, world)
    _, text_range = layout.rank_slices(rank)  # model positions, past the video
    start, stop = text_range.start - layout.video_tokens, text_range.stop - layout.video_tokens

    def local_shard(video_part: torch.Tensor, text_part: torch.Tensor) -> torch.Tensor:
        piece = text_part[:, start:stop]  # (B, <= Np, H, D): the last ranks' slices may be short or empty
        missing = layout.text_per_rank - piece.shape[1]
        if missing:
            piece = torch.cat([piece, piece.new_zeros(piece.shape[0], missing, *piece.shape[2:])], dim=1)
        return torch.cat([video_part, piece], dim=1)  # (B, Vp + Np, H, D)

    q, k, v = (local_shard(a, b) for a, b in zip(video, text))
    out = ulysses_attention(q, k, v, mask, layout=layout, group=group, kv_valid_len=kv_valid_len)
    video_out, text_piece = out.split([local_video, layout.text_per_rank], dim=1)
    text_out = AllGatherReplicated.apply(text_piece, 1, group)  # (B, P * Np, H, D), rank-major = text order
    return video_out, text_out[:, :text_len]
