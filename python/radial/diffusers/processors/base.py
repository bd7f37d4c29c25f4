"""What every radial self-attention processor shares: it wraps the stock processor it replaces, hands
dense layers and dense steps to it unchanged, and runs the radial computation otherwise.

diffusers cannot register a new attention backend (its backend names are a closed enum), so radial
replaces processors instead. ``_attention_backend`` and ``_parallel_config`` read and write through to
the wrapped stock processor: ``set_attention_backend`` and ``enable_parallelism`` recognise radial's
processors, their dense calls honour the choice, and the stock processor that
``disable_radial_attention`` puts back carries it.
"""

from __future__ import annotations

from typing import Optional

import torch

import radial
from radial.diffusers.run import RadialRun
from radial.parallel import ShardLayout, ulysses_attention, validate_context_parallel


def sparse_attention(q: torch.Tensor, k: torch.Tensor, v: torch.Tensor, mask, *,
                     kv_valid_len: Optional[torch.Tensor] = None) -> torch.Tensor:
    """The radial computation of every processor: q, k, v ``[B, S, H, D]`` -> ``[B, S, H, D]``. One
    function, so tests can put a float64 dense masked reference in its place."""
    return radial.attention(q, k, v, mask, kv_valid_len=kv_valid_len)


def sequence_parallel_attention(q: torch.Tensor, k: torch.Tensor, v: torch.Tensor, run: RadialRun,
                                group) -> torch.Tensor:
    """Radial attention when diffusers' context-parallel plan has split the sequence evenly over the
    Ulysses group: q, k, v ``[B, S / P, H, D]`` (this rank's contiguous shard) -> ``[B, S / P, H, D]``."""
    world = torch.distributed.get_world_size(group)
    seq_len = q.shape[1] * world
    mask = run.require_mask(seq_len)
    return ulysses_attention(q, k, v, mask, layout=ShardLayout(seq_len, 0, world), group=group)


class RadialProcessor:
    """Base class. Subclasses define ``__call__`` with the stock processor's exact signature
    (diffusers' ``Attention.forward`` passes only the keyword arguments that signature names) and
    ``radial(...)``, the sparse computation."""

    def __init__(self, original, run: RadialRun, layer: int):
        self.original = original
        self.run = run
        self.layer = layer
        self.dense_layer = layer < run.settings.dense_layers

    @property
    def _attention_backend(self):
        return getattr(self.original, "_attention_backend", None)

    @_attention_backend.setter
    def _attention_backend(self, backend) -> None:
        self.original._attention_backend = backend

    @property
    def _parallel_config(self):
        return getattr(self.original, "_parallel_config", None)

    @_parallel_config.setter
    def _parallel_config(self, config) -> None:
        self.original._parallel_config = config

    def uses_dense(self) -> bool:
        return self.dense_layer or self.run.dense_step

    def ulysses_group(self):
        """The Ulysses process group of diffusers' context parallelism (``enable_parallelism``), or
        None when it is off. Ring attention would split each block row's keys across ranks: refused."""
        config = self._parallel_config
        cp = getattr(config, "context_parallel_config", None) if config is not None else None
        if cp is None:
            return None
        validate_context_parallel(ulysses_degree=cp.ulysses_degree or 1, ring_degree=cp.ring_degree or 1)
        if getattr(cp, "ulysses_anything", False):
            raise NotImplementedError("radial: ContextParallelConfig(ulysses_anything=True) is not supported;"
                                      " radial pads uneven shards itself only through radial.parallel")
        return cp._ulysses_mesh.get_group()

    def __repr__(self) -> str:
        return f"{type(self).__name__}(layer={self.layer}, dense_layer={self.dense_layer}, wraps={self.original!r})"
