"""How a joint (video + text) sequence is split into contiguous per-rank shards and put back.

Rank ``r`` of ``P`` holds video tokens ``[r * Vp, (r + 1) * Vp)`` and text tokens
``[r * Np, (r + 1) * Np)`` with ``Vp = ceil(V / P)`` and ``Np = ceil(N / P)``; shards past the end are
padded. After the all-to-all a rank sees the shards of every rank one after the other
(``video_0, text_0, video_1, text_1, ...``); :meth:`ShardLayout.gather_index` puts them back in the
model's order, all video then all text, and drops the padding, so padding never counts as keys.
"""

from __future__ import annotations

import dataclasses
import functools

import torch


@dataclasses.dataclass(frozen=True)
class ShardLayout:
    """The split of a ``video_tokens + text_tokens`` sequence over ``world_size`` ranks."""

    video_tokens: int
    text_tokens: int
    world_size: int

    def __post_init__(self) -> None:
        if self.video_tokens < 1:
            raise ValueError(f"video_tokens: expected an integer >= 1, got {self.video_tokens}")
        if self.text_tokens < 0:
            raise ValueError(f"text_tokens: expected an integer >= 0, got {self.text_tokens}")
        if self.world_size < 1:
            raise ValueError(f"world_size: expected an integer >= 1, got {self.world_size}")

    @property
    def seq_len(self) -> int:
        return self.video_tokens + self.text_tokens

    @property
    def video_per_rank(self) -> int:
        return -(-self.video_tokens // self.world_size)

    @property
    def text_per_rank(self) -> int:
        return -(-self.text_tokens // self.world_size)

    @property
    def tokens_per_rank(self) -> int:
        """Tokens each rank holds, padding included: ``Vp + Np``."""
        return self.video_per_rank + self.text_per_rank

    @functools.cached_property
    def gather_index(self) -> torch.Tensor:
        """int64 ``[seq_len]``: for each model position, its position in the rank-major buffer
        ``[world_size * tokens_per_rank]`` that the all-to-all delivers."""
        vp, np_, per_rank = self.video_per_rank, self.text_per_rank, self.tokens_per_rank
        video = torch.arange(self.video_tokens)
        text = torch.arange(self.text_tokens)
        video_pos = (video // vp) * per_rank + video % vp
        text_pos = (text // np_) * per_rank + vp + text % np_ if np_ else text
        return torch.cat([video_pos, text_pos])

    def rank_slices(self, rank: int) -> tuple[slice, slice]:
        """The model-order video and text ranges held by ``rank`` (possibly short or empty)."""
        vp, np_ = self.video_per_rank, self.text_per_rank
        video = slice(min(rank * vp, self.video_tokens), min((rank + 1) * vp, self.video_tokens))
        text = slice(self.video_tokens + min(rank * np_, self.text_tokens),
                     self.video_tokens + min((rank + 1) * np_, self.text_tokens))
        return video, text


def shard_sequence(x: torch.Tensor, layout: ShardLayout, rank: int, dim: int = 1) -> torch.Tensor:
    """Rank ``rank``'s shard of a full sequence ``x`` (``x.shape[dim] == layout.seq_len``), padded
    with zeros to ``layout.tokens_per_rank`` along ``dim``: video part then text part."""
    if x.shape[dim] != layout.seq_len:
        raise ValueError(f"x: expected {layout.seq_len} tokens along dim {dim}, got {x.shape[dim]}")
    video, text = layout.rank_slices(rank)
    parts = []
    for part, width in ((video, layout.video_per_rank), (text, layout.text_per_rank)):
        piece = x.narrow(dim, part.start, part.stop - part.start)
        if piece.shape[dim] < width:
            pad_shape = list(x.shape)
            pad_shape[dim] = width - piece.shape[dim]
            piece = torch.cat([piece, x.new_zeros(pad_shape)], dim=dim)
        parts.append(piece)
    return torch.cat(parts, dim=dim)


def unshard_sequence(shards: list[torch.Tensor], layout: ShardLayout, dim: int = 1) -> torch.Tensor:
    """The inverse of :func:`shard_sequence` over all ranks' shards: the full sequence."""
    if len(shards) != layout.world_size:
        raise ValueError(f"shards: expected {layout.world_size} tensors, got {len(shards)}")
    stacked = torch.cat(shards, dim=dim)
    return stacked.index_select(dim, layout.gather_index.to(stacked.device))
